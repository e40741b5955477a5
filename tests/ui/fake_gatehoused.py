#!/usr/bin/env python3
# Stands in for gatehoused in tests of the desktop app's auto-start: like the real daemon it
# takes --data-dir, writes admin.url and admin.token there, and answers /healthz on 127.0.0.1.
import http.server, json, os, sys, threading

data_dir = sys.argv[sys.argv.index("--data-dir") + 1]
token = "fake-local-token"

class Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        if self.path == "/healthz":
            self.reply(200, {"status": "ok"})
        elif self.headers.get("Authorization") != "Bearer " + token:
            self.reply(401, {"error": "unauthenticated"})
        elif self.path == "/api/v1/connections":
            self.reply(200, [{"name": "local-llm", "type": "http", "upstream": "http://127.0.0.1:9"}])
        else:
            self.reply(404, {"error": "not_found"})

    def reply(self, status, body):
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args):
        pass

server = http.server.HTTPServer(("127.0.0.1", 0), Handler)
with open(os.path.join(data_dir, "gatehoused.pid"), "w") as f:
    f.write(str(os.getpid()))
with open(os.path.join(data_dir, "admin.token"), "w") as f:
    f.write(token + "\n")
with open(os.path.join(data_dir, "admin.url"), "w") as f:
    f.write("http://127.0.0.1:%d\n" % server.server_address[1])
# Never outlive a test run that forgot to stop it.
threading.Timer(60, server.shutdown).start()
server.serve_forever()
