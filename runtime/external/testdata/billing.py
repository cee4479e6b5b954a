import json, sys

for line in sys.stdin:                      # one event per line; ends on EOF
    ev = json.loads(line)
    if ev["type"] == "com.example.order.created":
        reply = {"specversion": "1.0", "id": ev["id"] + "-ack",
                 "source": "/billing", "type": "com.example.order.billed"}
        print(json.dumps(reply), flush=True)
    elif ev["type"] == "com.example.ping":
        print("null", flush=True)           # handled, no reply
    else:
        print(json.dumps({"error": "unknown type " + ev["type"],
                          "permanent": True}), flush=True)
