#!/usr/bin/env python3
"""A test upstream for the HTTP proxy (Python 3 standard library only).

Listens on 127.0.0.1 (port 0 unless --port; HTTPS with --tls-cert/--tls-key), prints "PORT <n>" on stdout once bound, serves:

  /sse?n=N&pause=S[&close=1]   text/event-stream: N events "data: event <i>", S seconds apart
                               (chunked; close=1: no framing, the end is the end of the connection)
  /chunked?n=N&size=B          a chunked body of N chunks of B bytes each
  /large?bytes=N               a Content-Length body of N bytes, generated on the fly
  /slow?delay=S                waits S seconds, then echoes
  /close-mid-body              declares 1000 bytes, sends 100, closes
  /garbage                     answers with bytes that are not HTTP, then closes
  /status?code=C               an empty answer with status C
  /aborts                      JSON list of the paths of /reflect answers the peer closed before
                               they were whole (so a test can see the gateway let an upstream go)
  /reflect?split=B&pause=S&mode=M&type=T&encoding=E
                               answers with the request body itself (Content-Type T, default
                               text/plain): mode=length (default) one Content-Length body written in
                               pieces of B bytes S seconds apart; mode=chunked one chunk per piece;
                               mode=sse text/event-stream, chunked, one piece per chunk.
                               encoding=gzip|deflate|br compresses the body and labels it so
                               (br: labelled only, the bytes are the gzip ones: a codec nobody
                               should pass through unmasked)
  anything else                echo: JSON {method, path, query, headers, body}

Request bodies may be Content-Length or chunked. Every request is appended to the file named by
--log (one JSON line: method, path, headers) so tests can check what reached the upstream.
"""
import argparse
import gzip
import json
import zlib
import socketserver
import ssl
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, HTTPServer
from urllib.parse import parse_qs, urlsplit

LOG_LOCK = threading.Lock()
LOG_PATH = None
ABORTED = []


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, fmt, *args):  # quiet: tests read stdout
        pass

    def read_body(self):
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            out = bytearray()
            while True:
                line = self.rfile.readline(1024).strip()
                size = int(line.split(b";")[0], 16)
                if size == 0:
                    while self.rfile.readline(1024) not in (b"\r\n", b"\n", b""):
                        pass
                    return bytes(out)
                out += self.rfile.read(size)
                self.rfile.readline(8)
        length = int(self.headers.get("Content-Length", "0") or "0")
        return self.rfile.read(length) if length > 0 else b""

    def send_chunk(self, data):
        self.wfile.write(b"%x\r\n%s\r\n" % (len(data), data))
        self.wfile.flush()

    def handle_any(self):
        url = urlsplit(self.path)
        q = {k: v[-1] for k, v in parse_qs(url.query).items()}
        body = self.read_body()
        if LOG_PATH:
            with LOG_LOCK, open(LOG_PATH, "a") as f:
                f.write(json.dumps({"method": self.command, "path": self.path,
                                    "headers": [[k, v] for k, v in self.headers.items()]}) + "\n")
        route = url.path.rstrip("/").rsplit("/", 1)[-1] if url.path.startswith("/") else ""

        if route == "sse":
            n, pause = int(q.get("n", "3")), float(q.get("pause", "0.2"))
            close = q.get("close") == "1"
            self.send_response(200)
            self.send_header("Content-Type", "text/event-stream")
            self.send_header("Cache-Control", "no-cache")
            if close:
                self.send_header("Connection", "close")
                self.close_connection = True
            else:
                self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            for i in range(n):
                event = b"data: event %d\n\n" % i
                if close:
                    self.wfile.write(event)
                    self.wfile.flush()
                else:
                    self.send_chunk(event)
                if i + 1 < n:
                    time.sleep(pause)
            if not close:
                self.wfile.write(b"0\r\n\r\n")
            return
        if route == "chunked":
            n, size = int(q.get("n", "4")), int(q.get("size", "10"))
            self.send_response(200)
            self.send_header("Content-Type", "application/octet-stream")
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            for i in range(n):
                self.send_chunk(bytes([ord("a") + i % 26]) * size)
            self.wfile.write(b"0\r\n\r\n")
            return
        if route == "large":
            total = int(q.get("bytes", "1048576"))
            self.send_response(200)
            self.send_header("Content-Type", "application/octet-stream")
            self.send_header("Content-Length", str(total))
            self.end_headers()
            block = b"x" * 65536
            left = total
            while left > 0:
                piece = block if left >= len(block) else block[:left]
                self.wfile.write(piece)
                left -= len(piece)
            return
        if route == "close-mid-body":
            self.send_response(200)
            self.send_header("Content-Type", "text/plain")
            self.send_header("Content-Length", "1000")
            self.end_headers()
            self.wfile.write(b"y" * 100)
            self.wfile.flush()
            self.close_connection = True
            return
        if route == "garbage":
            self.wfile.write(b"this is not HTTP at all\r\n\r\n")
            self.wfile.flush()
            self.close_connection = True
            return
        if route == "reflect":
            data = body
            encoding = q.get("encoding", "")
            if encoding in ("gzip", "br"):
                data = gzip.compress(data)
            elif encoding == "deflate":
                data = zlib.compress(data)
            split = int(q.get("split", "0")) or max(len(data), 1)
            pause = float(q.get("pause", "0"))
            mode = q.get("mode", "length")
            self.send_response(200)
            self.send_header("Content-Type", "text/event-stream" if mode == "sse" else q.get("type", "text/plain"))
            if encoding:
                self.send_header("Content-Encoding", encoding)
            if mode == "length":
                self.send_header("Content-Length", str(len(data)))
            else:
                self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            pieces = [data[i:i + split] for i in range(0, len(data), split)]
            try:
                for i, piece in enumerate(pieces):
                    if mode == "length":
                        self.wfile.write(piece)
                        self.wfile.flush()
                    else:
                        self.send_chunk(piece)
                    if pause and i + 1 < len(pieces):
                        time.sleep(pause)
                if mode != "length":
                    self.wfile.write(b"0\r\n\r\n")
            except (BrokenPipeError, ConnectionResetError):
                with LOG_LOCK:
                    ABORTED.append(self.path)
                self.close_connection = True
            return
        if route == "aborts":
            with LOG_LOCK:
                payload = json.dumps(ABORTED).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)
            return
        if route == "status":
            self.send_response(int(q.get("code", "204")))
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        if route == "slow":
            time.sleep(float(q.get("delay", "1")))

        payload = json.dumps({
            "method": self.command,
            "path": url.path,
            "query": url.query,
            "headers": [[k, v] for k, v in self.headers.items()],
            "body": body.decode("utf-8", "replace"),
            "body_size": len(body),
            "peer_port": self.client_address[1],
        }).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(payload)

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = do_OPTIONS = handle_any


class Server(socketserver.ThreadingMixIn, HTTPServer):
    daemon_threads = True
    allow_reuse_address = True


def main():
    global LOG_PATH
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--log")
    parser.add_argument("--tls-cert", help="PEM certificate: serve HTTPS")
    parser.add_argument("--tls-key", help="PEM private key of --tls-cert")
    args = parser.parse_args()
    LOG_PATH = args.log
    server = Server(("127.0.0.1", args.port), Handler)
    if args.tls_cert:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(args.tls_cert, args.tls_key)
        server.socket = context.wrap_socket(server.socket, server_side=True)
    print("PORT %d" % server.server_address[1], flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    sys.exit(main())
