#!/usr/bin/env python3
"""Exec-protocol child: sleeps for the number of seconds in the event's
data, then echoes the event."""
import json
import sys
import time

out = sys.stdout.buffer
for line in sys.stdin.buffer:
    time.sleep(float(json.loads(line).get("data", 0)))
    out.write(line)
    out.flush()
