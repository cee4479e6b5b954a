#!/usr/bin/env python3
"""Exec-protocol child: on its first event, leaves a grandchild that keeps
the standard output open (until its standard input ends) and exits
without answering."""
import os
import sys

sys.stdin.buffer.readline()
if os.fork() == 0:
    sys.stdin.buffer.read()  # the host closes its end when it lets go of the child
    os._exit(0)
os._exit(4)
