#!/usr/bin/env python3
"""After a kill -9 under load: did every request the upstream received get its request event?

    durability.py --upstream-log FILE --gatehousectl PATH --server URL --token ADMIN_TOKEN

FILE is the upstream's access log, one X-Request-Id per line (the id the gateway adds to every
request it forwards). Lists the sessions through the admin API, exports each with
`gatehousectl sessions export`, and looks every id up among the exported http.request events.
Prints one JSON object: received, recorded, missing (and a few of the missing ids).
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile
import urllib.request


def walk_strings(obj):
    if isinstance(obj, str):
        yield obj
    elif isinstance(obj, dict):
        for v in obj.values():
            yield from walk_strings(v)
    elif isinstance(obj, list):
        for v in obj:
            yield from walk_strings(v)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--upstream-log", required=True)
    ap.add_argument("--gatehousectl", required=True)
    ap.add_argument("--server", required=True)
    ap.add_argument("--token", required=True)
    args = ap.parse_args()

    with open(args.upstream_log) as f:
        received = [line.strip() for line in f if line.strip() and line.strip() != "-"]

    req = urllib.request.Request(args.server + "/api/v1/sessions?limit=10000",
                                 headers={"Authorization": "Bearer " + args.token})
    with urllib.request.urlopen(req, timeout=30) as r:
        body = json.load(r)
    sessions = body if isinstance(body, list) else body.get("sessions", body.get("items", []))

    recorded_ids = set()
    request_events = 0
    with tempfile.TemporaryDirectory() as tmp:
        out = os.path.join(tmp, "s.jsonl")
        for s in sessions:
            subprocess.run([args.gatehousectl, "--server", args.server, "--token", args.token,
                            "sessions", "export", s["id"], "-o", out], check=True,
                           stdout=subprocess.DEVNULL)
            with open(out) as f:
                for line in f:
                    ev = json.loads(line)
                    if ev.get("kind") != "http.request":
                        continue
                    request_events += 1
                    # The id's field name is the recorder's business: any string of the event that
                    # equals a forwarded id counts.
                    recorded_ids.update(walk_strings(ev.get("data", {})))

    missing = [i for i in received if i not in recorded_ids]
    print(json.dumps({"sessions": len(sessions), "request_events": request_events,
                      "received": len(received), "unique_received": len(set(received)),
                      "recorded": len(received) - len(missing), "missing": len(missing),
                      "missing_sample": missing[:5]}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
