#!/usr/bin/env python3
"""GET /api/v1/stats on a big store: the overview's query, with and without its index.

    bench/stats/stats_query.py --gatehoused BUILD/app/gatehoused/gatehoused [--requests 100000]

Creates a store with gatehoused, fills it directly through SQLite with `--requests` recorded
requests spread over 7 days (each a session of its own with http.request, http.response and
http.response.end, plus policy.masked on 10 %, policy.refused on 3 % and approval.requested on
1 % of them, as the proxy records them), restarts gatehoused on it and times the stats route
(median of 15 calls) for the last 24 h and the last 7 days; then drops the events_stats index and
times the same calls again, as the baseline. Prints a table. Everything runs in a temporary
directory on 127.0.0.1 and is stopped at the end.
"""
import argparse, json, os, random, signal, sqlite3, statistics, subprocess, sys, tempfile, time, urllib.request


def start(gatehoused, data):
    cfg = os.path.join(data, "node.toml")
    with open(cfg, "w") as f:
        f.write('[gateway]\nadmin_listen = "127.0.0.1:0"\nhttp_listen = "127.0.0.1:0"\npg_listen = "127.0.0.1:0"\n')
    url_file = os.path.join(data, "admin.url")
    if os.path.exists(url_file):
        os.remove(url_file)
    p = subprocess.Popen([gatehoused, "--config", cfg, "--data-dir", data, "--log-level", "warning"],
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    for _ in range(200):
        if os.path.exists(url_file) and open(url_file).read().strip():
            url = open(url_file).read().strip()
            try:
                urllib.request.urlopen(url + "/healthz", timeout=2).read()
                return p, url, open(os.path.join(data, "admin.token")).read().strip()
            except OSError:
                pass
        time.sleep(0.05)
    p.kill()
    sys.exit("gatehoused did not start")


def stop(p):
    p.send_signal(signal.SIGTERM)
    p.wait(timeout=30)


def fill(db_path, requests):
    db = sqlite3.connect(db_path)
    now_us = int(time.time() * 1e6)
    week_us = 7 * 86400 * 10**6
    rnd = random.Random(7)
    conns = ["llm", "billing", "warehouse", "search"]
    sessions, events = [], []
    h = b"\0" * 32
    for i in range(requests):
        sid = "%032x" % i
        t = now_us - rnd.randrange(week_us)
        conn = conns[i % len(conns)]
        sessions.append((sid, conn, "user%d" % (i % 50), '["ml-eng"]', "gatehouse", "127.0.0.1:5000",
                         t, t + 3000, 200, 1200, 3))
        rid = "r%d" % i
        ev = [("http.request", json.dumps({"request_id": rid, "method": "POST", "path": "/v1/chat/completions"}))]
        roll = rnd.random()
        if roll < 0.03:
            ev.append(("policy.refused", json.dumps({"request_id": rid, "status": 403, "error": "denied",
                                                     "rule": "no-weights", "method": "GET", "path": "/v1/models/x/weights"})))
        elif roll < 0.04:
            ev.append(("approval.requested", json.dumps({"request_id": rid, "rule": "approve-ft"})))
        else:
            ev.append(("http.response", json.dumps({"request_id": rid, "status": 200})))
            if roll < 0.14:
                ev.append(("policy.masked", json.dumps({"request_id": rid, "masks": [
                    {"rule": "mask-email", "detector": "email", "count": 2, "ranges": [[10, 20], [40, 20]]}]})))
            ev.append(("http.response.end", json.dumps({"request_id": rid, "body_size": 1024})))
        for seq, (kind, data) in enumerate(ev):
            events.append((sid, seq, t + seq * 500, kind, "identity", len(data), data.encode(), h))
    db.executemany("INSERT INTO sessions (id, connection, subject, groups, issuer, client_addr, started_at_us, "
                   "ended_at_us, bytes_in, bytes_out, event_count) VALUES (?,?,?,?,?,?,?,?,?,?,?)", sessions)
    db.executemany("INSERT INTO events (session_id, seq, ts_us, kind, encoding, raw_size, data, hash) "
                   "VALUES (?,?,?,?,?,?,?,?)", events)
    db.commit()
    db.execute("ANALYZE")
    db.close()
    return len(events)


def timed(url, token, query, runs=15):
    times = []
    body = None
    for _ in range(runs):
        req = urllib.request.Request(url + "/api/v1/stats" + query, headers={"Authorization": "Bearer " + token})
        t0 = time.perf_counter()
        body = urllib.request.urlopen(req, timeout=60).read()
        times.append((time.perf_counter() - t0) * 1000)
    counted = sum(c["totals"]["requests"] for c in json.loads(body)["connections"])
    return statistics.median(times), counted


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--gatehoused", required=True)
    ap.add_argument("--requests", type=int, default=100000)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as data:
        p, url, token = start(args.gatehoused, data)
        stop(p)
        n = fill(os.path.join(data, "gatehouse.db"), args.requests)
        size = os.path.getsize(os.path.join(data, "gatehouse.db")) / 2**20
        plan = sqlite3.connect(os.path.join(data, "gatehouse.db")).execute(
            "EXPLAIN QUERY PLAN SELECT s.connection, (e.ts_us - 0) / 1, COUNT(*) FROM events e CROSS JOIN sessions s "
            "ON s.id = e.session_id WHERE e.kind IN ('http.request', 'policy.refused', 'approval.requested', "
            "'policy.masked') AND e.kind = 'http.request' AND e.ts_us >= 0 AND e.ts_us < 1 GROUP BY 1, 2").fetchall()
        rows = []
        for label in ("with events_stats", "without (baseline)"):
            if label.startswith("without"):
                db = sqlite3.connect(os.path.join(data, "gatehouse.db"))
                db.execute("DROP INDEX events_stats")
                db.commit()
                db.close()
            p, url, token = start(args.gatehoused, data)
            try:
                day = timed(url, token, "?since=24h&bucket=1h")
                week = timed(url, token, "?since=7d&bucket=6h")
            finally:
                stop(p)
            rows.append((label, day, week))
        print("store: %d requests, %d events, %.1f MiB" % (args.requests, n, size))
        print("plan: " + " | ".join(r[3] for r in plan))
        print("| index | since=24h&bucket=1h | since=7d&bucket=6h |")
        print("|---|---|---|")
        for label, day, week in rows:
            print("| %s | %.1f ms (%d requests counted) | %.1f ms (%d requests counted) |" % (label, day[0], day[1], week[0], week[1]))
        print("ratio without/with: 24h %.1fx, 7d %.1fx" % (rows[1][1][0] / rows[0][1][0], rows[1][2][0] / rows[0][2][0]))


if __name__ == "__main__":
    main()
