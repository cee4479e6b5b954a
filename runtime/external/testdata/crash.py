#!/usr/bin/env python3
"""Exec-protocol child: echoes events, and exits with status 3 without
answering on the event whose id is its first argument."""
import json
import sys

victim = sys.argv[1]
out = sys.stdout.buffer
for line in sys.stdin.buffer:
    if json.loads(line)["id"] == victim:
        sys.stderr.write("crashing on " + victim + "\n")
        sys.stderr.flush()
        sys.exit(3)
    out.write(line)
    out.flush()
