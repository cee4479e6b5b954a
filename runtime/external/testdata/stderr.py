#!/usr/bin/env python3
"""Exec-protocol child: writes the event's data (text) to its standard
error, then answers null."""
import json
import sys

out = sys.stdout.buffer
for line in sys.stdin.buffer:
    sys.stderr.write(json.loads(line)["data"])
    sys.stderr.flush()
    out.write(b"null\n")
    out.flush()
