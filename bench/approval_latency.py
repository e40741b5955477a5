#!/usr/bin/env python3
"""Time from a request being held to `approval.requested` on the admin event stream (issue 4).

    approval_latency.py --proxy URL --admin URL --admin-token T --token T --path /conn/held [--runs N]

Subscribes to GET /api/v1/events with the admin token, then, run by run, sends a request that an
approve rule holds and waits for its approval.requested event. The time counts from just before the
request is sent (so it includes the client's connect and the gateway's parsing, an upper bound on
"held -> event"), and each held approval is then denied so the client returns. Prints JSON.
"""
import argparse
import http.client
import json
import statistics
import threading
import time
import urllib.parse
import urllib.request


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--proxy", required=True)
    ap.add_argument("--admin", required=True)
    ap.add_argument("--admin-token", required=True)
    ap.add_argument("--token", required=True)
    ap.add_argument("--path", required=True, help="a path an approve rule holds, e.g. /origin/held")
    ap.add_argument("--runs", type=int, default=30)
    args = ap.parse_args()

    admin = urllib.parse.urlsplit(args.admin)
    events = http.client.HTTPConnection(admin.hostname, admin.port, timeout=30)
    events.request("GET", "/api/v1/events", headers={"Authorization": "Bearer " + args.admin_token,
                                                      "Accept": "text/event-stream"})
    stream = events.getresponse()
    assert stream.status == 200, stream.status
    seen = {}
    cond = threading.Condition()

    def reader():
        kind = None
        for raw in stream:
            line = raw.decode().rstrip("\r\n")
            if line.startswith("event:"):
                kind = line[6:].strip()
            elif line.startswith("data:") and kind == "approval.requested":
                data = json.loads(line[5:])
                with cond:
                    seen[data.get("path")] = (time.perf_counter(), data.get("id"))
                    cond.notify_all()
            elif not line:
                kind = None

    threading.Thread(target=reader, daemon=True).start()
    time.sleep(0.3)

    proxy = urllib.parse.urlsplit(args.proxy)
    samples = []
    for i in range(args.runs):
        path = "%s/%d-%d" % (args.path, int(time.time()), i)
        conn = http.client.HTTPConnection(proxy.hostname, proxy.port, timeout=30)
        t0 = time.perf_counter()
        conn.request("GET", path, headers={"Authorization": "Bearer " + args.token})
        upstream_path = "/" + path.lstrip("/").split("/", 1)[1]
        with cond:
            cond.wait_for(lambda: upstream_path in seen, timeout=10)
            got = seen.get(upstream_path)
        if not got:
            raise SystemExit("no approval.requested for %s" % path)
        samples.append((got[0] - t0) * 1000)
        req = urllib.request.Request("%s/api/v1/approvals/%s/deny" % (args.admin, got[1]), method="POST",
                                     data=b'{"reason":"bench"}',
                                     headers={"Authorization": "Bearer " + args.admin_token,
                                              "Content-Type": "application/json"})
        urllib.request.urlopen(req, timeout=10).read()
        resp = conn.getresponse()
        resp.read()
        assert resp.status == 403, resp.status
        conn.close()
    samples.sort()
    print(json.dumps({"runs": len(samples), "median_ms": statistics.median(samples),
                      "p90_ms": samples[int(0.9 * (len(samples) - 1))], "max_ms": samples[-1]}))


if __name__ == "__main__":
    main()
