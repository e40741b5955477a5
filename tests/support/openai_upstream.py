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
  POST /v1/responses          the Responses API, same key check. "stream": false: one response
                              object. "stream": true: its SSE events (each with an "event:" line),
                              response.created ... one response.output_text.delta per word, --pause
                              seconds apart ... response.output_text.done, response.completed.
  GET  /v1/models             a one-model list (same key check)

The answer is "chunk-0 chunk-1 ... chunk-<n-1>" so a client can check what arrived and in what
order; a last user message (chat) or input (responses) "echo: some words" answers those words,
"pieces:a|b|c" streams exactly those pieces. Every request is appended to --log as one JSON line (method, path, the Authorization it
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

    def answer(self, last):
        """The words of the answer to the prompt `last`, and what goes between them."""
        words = ["chunk-%d" % i for i in range(self.server.cfg.chunks)]
        # "echo: some words" makes the model say those words back, one per streamed event, so
        # tests can put known text (PII for masking) into the answer.
        if isinstance(last, str) and last.startswith("echo:"):
            return last[5:].split() or ["(nothing)"], " "
        # "pieces:a|b|c" streams exactly those pieces, one per event and nothing added between
        # them, as a model streaming tokens splits words (and e-mail addresses) anywhere.
        if isinstance(last, str) and last.startswith("pieces:"):
            return last[7:].split("|"), ""
        return words, " "

    def start_stream(self):
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Cache-Control", "no-cache")
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        self.wfile.flush()

    def write_chunk(self, data):
        self.wfile.write(b"%x\r\n%s\r\n" % (len(data), data))
        self.wfile.flush()

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
        path = self.path.split("?")[0]
        if path == "/v1/responses":
            self.serve_responses(req, stream)
            return
        if path != "/v1/chat/completions":
            self.send_json(404, {"error": {"message": "not found", "type": "invalid_request_error"}})
            return
        if not isinstance(req, dict) or not isinstance(req.get("messages"), list):
            self.send_json(400, {"error": {"message": "messages is required",
                                           "type": "invalid_request_error"}})
            return
        cfg = self.server.cfg
        last = req["messages"][-1].get("content") if req["messages"] and isinstance(req["messages"][-1], dict) else None
        words, sep = self.answer(last)
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

        self.start_stream()

        def event(obj):
            self.write_chunk(b"data: " + (obj if isinstance(obj, bytes) else json.dumps(obj).encode()) + b"\n\n")

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

    def serve_responses(self, req, stream):
        """POST /v1/responses: the Responses API, its stream as OpenAI sends it."""
        if not isinstance(req, dict) or req.get("input") is None:
            self.send_json(400, {"error": {"message": "input is required", "type": "invalid_request_error"}})
            return
        last = req["input"]
        if isinstance(last, list):  # input items: the last message's text
            last = last[-1].get("content") if last and isinstance(last[-1], dict) else None
            if isinstance(last, list):
                last = "".join(p.get("text", "") for p in last if isinstance(p, dict))
        words, sep = self.answer(last)
        text = sep.join(words)
        created = int(time.time())
        rid, mid = "resp_gatehouse_%d" % threading.get_ident(), "msg_gatehouse_%d" % threading.get_ident()

        def message(status, content):
            return {"id": mid, "type": "message", "status": status, "role": "assistant", "content": content}

        def part(t):
            return {"type": "output_text", "text": t, "annotations": [], "logprobs": []}

        def response(status, output):
            r = {"id": rid, "object": "response", "created_at": created, "status": status, "model": MODEL,
                 "output": output, "error": None, "incomplete_details": None, "parallel_tool_calls": True,
                 "tool_choice": "auto", "tools": [], "usage": None}
            if status == "completed":
                r["usage"] = {"input_tokens": 3, "output_tokens": len(words), "total_tokens": 3 + len(words),
                              "input_tokens_details": {"cached_tokens": 0},
                              "output_tokens_details": {"reasoning_tokens": 0}}
            return r

        if not stream:
            self.send_json(200, response("completed", [message("completed", [part(text)])]))
            return

        self.start_stream()
        seq = [0]

        def event(kind, **fields):
            obj = {"type": kind, "sequence_number": seq[0], **fields}
            seq[0] += 1
            self.write_chunk(b"event: %s\ndata: %s\n\n" % (kind.encode(), json.dumps(obj).encode()))

        where = {"item_id": mid, "output_index": 0, "content_index": 0}
        event("response.created", response=response("in_progress", []))
        event("response.in_progress", response=response("in_progress", []))
        event("response.output_item.added", output_index=0, item=message("in_progress", []))
        event("response.content_part.added", **where, part=part(""))
        for i, w in enumerate(words):
            if i:
                time.sleep(self.server.cfg.pause)
            event("response.output_text.delta", **where, delta=(sep if i else "") + w, logprobs=[])
        event("response.output_text.done", **where, text=text, logprobs=[])
        event("response.content_part.done", **where, part=part(text))
        item = message("completed", [part(text)])
        event("response.output_item.done", output_index=0, item=item)
        event("response.completed", response=response("completed", [item]))
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
