#!/usr/bin/env python3
"""Exec-protocol child: answers events of type "garbage" with a line that
is not JSON, of type "long" with a JSON string of as many bytes as the
event's data says, and echoes the rest."""
import json
import sys

out = sys.stdout.buffer
for line in sys.stdin.buffer:
    ev = json.loads(line)
    if ev["type"] == "garbage":
        out.write(b"this is not JSON\n")
    elif ev["type"] == "long":
        out.write(b'"' + b"x" * (int(ev["data"]) - 2) + b'"\n')
    else:
        out.write(line)
    out.flush()
