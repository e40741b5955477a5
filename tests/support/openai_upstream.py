#!/usr/bin/env python3
"""An OpenAI-compatible upstream for tests (Python 3 standard library only).

    openai_upstream.py --key KEY [--port 0] [--chunks 8] [--pause 0.15] [--log FILE]

Listens on 127.0.0.1, prints "PORT <n>" on stdout once bound, and serves

  POST /v1/chat/completions   only with "Authorization: Bearer KEY" (the credential the gateway
                              injects); anything else gets OpenAI's 401 invalid_api_key shape.
                              "stream": false: one chat.completion object. "stream": true: SSE,
                              one "data: {chat.completion.chunk}" event per word of the answer,
                              --pause seconds apart, each flushed as its own HTTP chunk, then
                              "data: [DONE]".
  GET  /v1/models             a one-model list (same key check)

The answer is "chunk-0 chunk-1 ... chunk-<n-1>" so a client can check what arrived and in what
order. Every request is appended to --log as one JSON line (method, path, the Authorization it
carried, stream flag, arrival time) so a test can check what reached the upstream.
"""
import argparse
import json
import socketserver
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, HTTPServer

MODEL = "gatehouse-test-model"


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "openai-upstream/1"

    def log_message(self, fmt, *args):  # quiet: the runner reads stdout
        pass

    def read_body(self):
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            out = bytearray()
            while True:
                size = int(self.rfile.readline(1024).strip().split(b";")[0], 16)
                if size == 0:
                    while self.rfile.readline(1024) not in (b"\r\n", b"\n", b""):
                        pass
                    return bytes(out)
                out += self.rfile.read(size)
                self.rfile.readline(8)
        length = int(self.headers.get("Content-Length", "0") or "0")
        return self.rfile.read(length) if length > 0 else b""

    def send_json(self, status, obj):
        body = json.dumps(obj).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_request_line(self, stream):
        cfg = self.server.cfg
        if not cfg.log:
            return
        with cfg.lock, open(cfg.log, "a") as f:
            f.write(json.dumps({"method": self.command, "path": self.path,
                                "authorization": self.headers.get("Authorization", ""),
                                "request_id": self.headers.get("X-Request-Id", ""),
                                "stream": stream, "t": time.time()}) + "\n")

    def authorized(self):
        if self.headers.get("Authorization", "") == "Bearer " + self.server.cfg.key:
            return True
        self.send_json(401, {"error": {"message": "Incorrect API key provided.",
                                       "type": "invalid_request_error", "param": None,
                                       "code": "invalid_api_key"}})
        return False

    def do_GET(self):
        self.log_request_line(False)
        if not self.authorized():
            return
        if self.path.split("?")[0] == "/v1/models":
            self.send_json(200, {"object": "list", "data": [
                {"id": MODEL, "object": "model", "created": 0, "owned_by": "gatehouse"}]})
        else:
            self.send_json(404, {"error": {"message": "not found", "type": "invalid_request_error"}})

    def do_POST(self):
        raw = self.read_body()
        try:
            req = json.loads(raw or b"{}")
        except ValueError:
            req = None
        stream = bool(req.get("stream")) if isinstance(req, dict) else False
        self.log_request_line(stream)
        if not self.authorized():
            return
        if self.path.split("?")[0] != "/v1/chat/completions":
            self.send_json(404, {"error": {"message": "not found", "type": "invalid_request_error"}})
            return
        if not isinstance(req, dict) or not isinstance(req.get("messages"), list):
            self.send_json(400, {"error": {"message": "messages is required",
                                           "type": "invalid_request_error"}})
            return
        cfg = self.server.cfg
        words = ["chunk-%d" % i for i in range(cfg.chunks)]
        # "echo: some words" makes the model say those words back, one per streamed event, so
        # tests can put known text (PII for masking) into the answer.
        last = req["messages"][-1].get("content") if req["messages"] and isinstance(req["messages"][-1], dict) else None
        sep = " "
        if isinstance(last, str) and last.startswith("echo:"):
            words = last[5:].split() or ["(nothing)"]
        # "pieces:a|b|c" streams exactly those pieces, one per event and nothing added between
        # them, as a model streaming tokens splits words (and e-mail addresses) anywhere.
        if isinstance(last, str) and last.startswith("pieces:"):
            words, sep = last[7:].split("|"), ""
        created = int(time.time())
        cid = "chatcmpl-gatehouse-%d" % threading.get_ident()
        if not stream:
            self.send_json(200, {
                "id": cid, "object": "chat.completion", "created": created, "model": MODEL,
                "choices": [{"index": 0, "finish_reason": "stop",
                             "message": {"role": "assistant", "content": sep.join(words)}}],
                "usage": {"prompt_tokens": 3, "completion_tokens": len(words),
                          "total_tokens": 3 + len(words)}})
            return

        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Cache-Control", "no-cache")
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        self.wfile.flush()

        def event(obj):
            data = b"data: " + (obj if isinstance(obj, bytes) else json.dumps(obj).encode()) + b"\n\n"
            self.wfile.write(b"%x\r\n%s\r\n" % (len(data), data))
            self.wfile.flush()

        for i, w in enumerate(words):
            if i:
                time.sleep(cfg.pause)
            delta = {"content": (sep if i else "") + w}
            if i == 0:
                delta["role"] = "assistant"
            event({"id": cid, "object": "chat.completion.chunk", "created": created, "model": MODEL,
                   "choices": [{"index": 0, "delta": delta, "finish_reason": None}]})
        event({"id": cid, "object": "chat.completion.chunk", "created": created, "model": MODEL,
               "choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]})
        event(b"[DONE]")
        self.wfile.write(b"0\r\n\r\n")
        self.wfile.flush()


class Server(socketserver.ThreadingMixIn, HTTPServer):
    daemon_threads = True
    allow_reuse_address = True


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--key", required=True, help="the API key the gateway must inject")
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--chunks", type=int, default=8)
    ap.add_argument("--pause", type=float, default=0.15)
    ap.add_argument("--log")
    args = ap.parse_args()
    args.lock = threading.Lock()
    srv = Server(("127.0.0.1", args.port), Handler)
    srv.cfg = args
    print("PORT %d" % srv.server_address[1], flush=True)
    try:
        srv.serve_forever()
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
