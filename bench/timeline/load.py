#!/usr/bin/env python3
"""Makes one long recorded session for bench_timeline.

  load.py serve                       a minimal keep-alive HTTP upstream on 127.0.0.1; prints
                                      "PORT <n>"; every answer goes out in one write with
                                      TCP_NODELAY (tests/support/upstream.py writes head and body
                                      apart, which meets delayed ACKs at about 20 requests/s)
  load.py send PROXY TOKEN N PATH     N GET requests over ONE keep-alive connection to the
                                      gateway's proxy, so they land in one session
"""
import http.client
import socket
import socketserver
import sys
from urllib.parse import urlsplit

BODY = b'{"object":"list","data":[{"id":"model-a"},{"id":"model-b"}]}'
ANSWER = (b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: "
          + str(len(BODY)).encode() + b"\r\n\r\n" + BODY)


class Handler(socketserver.StreamRequestHandler):
    def handle(self):
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        while True:
            length = 0
            line = self.rfile.readline(65536)
            if not line:
                return
            while True:
                h = self.rfile.readline(65536)
                if h in (b"\r\n", b"\n", b""):
                    break
                if h.lower().startswith(b"content-length:"):
                    length = int(h.split(b":", 1)[1])
            if length:
                self.rfile.read(length)
            self.connection.sendall(ANSWER)


class Server(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True


def serve():
    with Server(("127.0.0.1", 0), Handler) as s:
        print("PORT", s.server_address[1], flush=True)
        s.serve_forever()


def send(url, token, n, path):
    u = urlsplit(url)
    c = http.client.HTTPConnection(u.hostname, u.port)
    c.connect()
    c.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    headers = {"Authorization": "Bearer " + token}
    for i in range(n):
        c.request("GET", f"{path}?i={i}", headers=headers)
        r = c.getresponse()
        body = r.read()
        if r.status != 200:
            sys.exit(f"request {i}: HTTP {r.status} {body[:300]!r}")
    c.close()


if __name__ == "__main__":
    if sys.argv[1] == "serve":
        serve()
    else:
        send(sys.argv[2], sys.argv[3], int(sys.argv[4]), sys.argv[5])
