#!/usr/bin/env python3
"""Time to the first Server-Sent Event, direct and through the gateway (Python 3 stdlib only).

    sse.py serve                      an SSE upstream on 127.0.0.1 (prints "PORT <n>")
    sse.py measure --direct URL --gateway URL --token T [--runs 200]

The upstream answers any GET with a text/event-stream whose headers and first event leave in one
write (TCP_NODELAY), then a second event 20 ms later and the end of the chunked body: the first
event is ready the moment the request arrives, so what a client waits for is the path in between.

`measure` alternates direct and gateway runs (so drift hits both alike); each run opens a new TCP
connection, sends one request and stops its clock at the first "data:" byte. Prints one JSON
object: medians, p90s and the gateway-minus-direct overhead in milliseconds.
"""
import argparse
import json
import socket
import socketserver
import statistics
import sys
import time
from http.server import BaseHTTPRequestHandler, HTTPServer
from urllib.parse import urlsplit


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, fmt, *args):
        pass

    def do_GET(self):
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

        def chunk(data):
            return b"%x\r\n%s\r\n" % (len(data), data)

        self.wfile.write(b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nCache-Control: no-cache\r\n"
                         b"Transfer-Encoding: chunked\r\n\r\n" + chunk(b"data: first\n\n"))
        self.wfile.flush()
        time.sleep(0.02)
        self.wfile.write(chunk(b"data: last\n\n") + b"0\r\n\r\n")
        self.wfile.flush()


class Server(socketserver.ThreadingMixIn, HTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128


def first_event_ms(url, token):
    u = urlsplit(url)
    req = (f"GET {u.path or '/'}{'?' + u.query if u.query else ''} HTTP/1.1\r\nHost: {u.netloc}\r\n"
           f"Accept: text/event-stream\r\n" + (f"Authorization: Bearer {token}\r\n" if token else "")
           + "Connection: close\r\n\r\n").encode()
    t0 = time.perf_counter_ns()
    s = socket.create_connection((u.hostname, u.port), timeout=10)
    try:
        s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        s.sendall(req)
        seen = b""
        while True:
            data = s.recv(65536)
            if not data:
                raise RuntimeError(f"{url}: closed before the first event: {seen[:200]!r}")
            seen += data
            if b"data:" in seen:
                t1 = time.perf_counter_ns()
                break
        if not seen.startswith(b"HTTP/1.1 200"):
            status = seen.split(b"\r\n", 1)[0]
            raise RuntimeError(f"{url}: {status!r}")
        return (t1 - t0) / 1e6
    finally:
        s.close()


def pct(values, p):
    v = sorted(values)
    return v[min(len(v) - 1, int(round(p / 100 * (len(v) - 1))))]


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    sub.add_parser("serve")
    m = sub.add_parser("measure")
    m.add_argument("--direct", required=True)
    m.add_argument("--gateway", required=True)
    m.add_argument("--token", required=True)
    m.add_argument("--runs", type=int, default=200)
    args = ap.parse_args()

    if args.cmd == "serve":
        srv = Server(("127.0.0.1", 0), Handler)
        print("PORT %d" % srv.server_address[1], flush=True)
        try:
            srv.serve_forever()
        except KeyboardInterrupt:
            pass
        return 0

    for _ in range(10):   # warm both paths (the gateway's upstream pool, caches)
        first_event_ms(args.direct, None)
        first_event_ms(args.gateway, args.token)
    direct, gateway = [], []
    for _ in range(args.runs):
        direct.append(first_event_ms(args.direct, None))
        gateway.append(first_event_ms(args.gateway, args.token))
    out = {
        "runs": args.runs,
        "direct_median_ms": statistics.median(direct), "direct_p90_ms": pct(direct, 90),
        "gateway_median_ms": statistics.median(gateway), "gateway_p90_ms": pct(gateway, 90),
    }
    out["overhead_median_ms"] = out["gateway_median_ms"] - out["direct_median_ms"]
    print(json.dumps(out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
