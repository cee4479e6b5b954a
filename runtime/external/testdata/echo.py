#!/usr/bin/env python3
"""Exec-protocol child: answers each event with the event itself."""
import sys

inp, out = sys.stdin.buffer, sys.stdout.buffer
for line in inp:
    out.write(line)
    out.flush()
