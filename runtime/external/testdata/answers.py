#!/usr/bin/env python3
"""Exec-protocol child: answers by the event's type, for the answer kinds."""
import json
import sys

ANSWERS = {
    "none": "null",
    "fail": json.dumps({"error": "the database is down", "permanent": False}),
    "reject": json.dumps({"error": "no such customer", "permanent": True}),
    "fail-null": json.dumps({"error": "no verdict", "permanent": None}),
    "invalid": json.dumps({"specversion": "1.0", "id": "", "source": "/answers", "type": "x"}),
    "bad-permanent": json.dumps({"error": "x", "permanent": "yes"}),
    "no-error": json.dumps({"message": "where is the error member"}),
    "array": "[1, 2]",
    "twice": '{"error": "one", "permanent": false}\n{"error": "two", "permanent": false}',
}

out = sys.stdout.buffer
for line in sys.stdin.buffer:
    ev = json.loads(line)
    typ = ev["type"]
    if typ == "reply":
        ev["type"] = "reply.done"
        ev["source"] = "/answers"
        answer = json.dumps(ev, separators=(",", ":"))
    else:
        answer = ANSWERS[typ]
    out.write(answer.encode() + b"\n")
    out.flush()
