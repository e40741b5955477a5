#!/usr/bin/env python3
"""GET /api/v1/stats on a big store, and its request counts against the way schema v3 took them.

    bench/stats/stats_query.py --gatehoused BUILD/app/gatehoused/gatehoused [--requests 100000]

Creates a store with gatehoused, fills it directly through SQLite with `--requests` recorded
requests spread over 7 days (each a session of its own with http.request, http.response and
http.response.end, plus policy.masked on 10 %, policy.refused on 3 % and approval.requested on
1 % of them, as the proxy records them; the requests counted per connection and second in
event_counts, as the store writer counts them), restarts gatehoused on it and times the stats
route (median of 15 calls) for the last 24 h and the last 7 days. Then the requests' part of the
query alone, side by side on the same file: from event_counts (schema v4) and, as the baseline,
from the events themselves through schema v3's partial index (rebuilt for the comparison). Prints
a table. Everything runs in a temporary directory on 127.0.0.1 and is stopped at the end.
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
    counts = {}
    conn_of = {s[0]: s[1] for s in sessions}
    for e in events:
        if e[3] == "http.request":
            key = (conn_of[e[0]], e[2] // 10**6 * 10**6)
            counts[key] = counts.get(key, 0) + 1
    db.executemany("INSERT INTO event_counts (connection, kind, second_us, n) VALUES (?, 'http.request', ?, ?)",
                   [(c, sec, n) for (c, sec), n in counts.items()])
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


V3_WHERE = ("(kind = 'http.request' OR kind = 'policy.refused' OR kind = 'approval.requested' OR "
            "kind = 'policy.masked')")
REQUESTS_V4 = ("SELECT connection, (second_us - ?1) / ?3, SUM(n) FROM event_counts "
               "WHERE kind = 'http.request' AND second_us >= ?1 AND second_us < ?2 GROUP BY 1, 2")
REQUESTS_V3 = ("SELECT s.connection, (e.ts_us - ?1) / ?3, COUNT(*) FROM events e CROSS JOIN sessions s "
               "ON s.id = e.session_id WHERE " + V3_WHERE.replace("kind", "e.kind") +
               " AND e.kind = 'http.request' AND e.ts_us >= ?1 AND e.ts_us < ?2 GROUP BY 1, 2")


def timed_sql(db, sql, since_us, until_us, bucket_us, runs=15):
    times, total = [], 0
    for _ in range(runs):
        t0 = time.perf_counter()
        rows = db.execute(sql, (since_us, until_us, bucket_us)).fetchall()
        times.append((time.perf_counter() - t0) * 1000)
        total = sum(r[2] for r in rows)
    return statistics.median(times), total


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--gatehoused", required=True)
    ap.add_argument("--requests", type=int, default=100000)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as data:
        p, url, token = start(args.gatehoused, data)
        stop(p)
        path = os.path.join(data, "gatehouse.db")
        n = fill(path, args.requests)
        size = os.path.getsize(path) / 2**20
        p, url, token = start(args.gatehoused, data)
        try:
            day = timed(url, token, "?since=24h&bucket=1h")
            week = timed(url, token, "?since=7d&bucket=6h")
        finally:
            stop(p)

        db = sqlite3.connect(path)
        db.execute("CREATE INDEX bench_events_stats_v3 ON events (kind, ts_us, session_id) WHERE " + V3_WHERE)
        db.execute("ANALYZE")
        now_us = int(time.time() * 1e6)
        hour, sixh = 3600 * 10**6, 6 * 3600 * 10**6
        windows = [("24h, 1h buckets", (now_us - 86400 * 10**6) // hour * hour, now_us, hour),
                   ("7d, 6h buckets", (now_us - 7 * 86400 * 10**6) // sixh * sixh, now_us, sixh)]
        sql_rows = []
        for label, since, until, bucket in windows:
            v4 = timed_sql(db, REQUESTS_V4, since, until, bucket)
            v3 = timed_sql(db, REQUESTS_V3, since, until, bucket)
            sql_rows.append((label, v4, v3))
        plan = " | ".join(r[3] for r in db.execute("EXPLAIN QUERY PLAN " + REQUESTS_V4, (0, 1, 1)).fetchall())
        db.close()

        print("store: %d requests, %d events, %.1f MiB" % (args.requests, n, size))
        print("| GET /api/v1/stats | since=24h&bucket=1h | since=7d&bucket=6h |")
        print("|---|---|---|")
        print("| gatehoused (median of 15) | %.1f ms (%d requests counted) | %.1f ms (%d requests counted) |"
              % (day[0], day[1], week[0], week[1]))
        print()
        print("requests per connection and bucket (plan: %s)" % plan)
        print("| window | event_counts (v4) | events through v3's index (baseline) | baseline / v4 |")
        print("|---|---|---|---|")
        for label, v4, v3 in sql_rows:
            print("| %s | %.2f ms (%d) | %.2f ms (%d) | %.1fx |" % (label, v4[0], v4[1], v3[0], v3[1], v3[0] / v4[0]))


if __name__ == "__main__":
    main()
