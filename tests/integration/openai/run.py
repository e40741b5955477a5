#!/usr/bin/env python3
"""Runs chat.test.mjs (the real `openai` npm client) through a real gatehoused.

    run.py --gatehoused PATH --gatehousectl PATH

Starts tests/support/openai_upstream.py and gatehoused (temporary data dir, every port on
127.0.0.1 chosen by the OS), applies an http connection whose credential is the upstream's key,
issues a token, runs the node test, and stops everything. Exit 77 (ctest SKIP_RETURN_CODE) only
when node is not installed; dependencies come from `npm ci` in scripts/setup.sh.
"""
import argparse
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.normpath(os.path.join(HERE, "..", "..", ".."))
SKIP = 77
CHUNKS, PAUSE_MS = 8, 150


def fail(msg):
    print("run.py: " + msg, file=sys.stderr)
    sys.exit(1)


def wait_for_file(path, proc, what, timeout=20):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            fail(f"{what} exited with {proc.returncode} before writing {os.path.basename(path)}")
        try:
            with open(path) as f:
                text = f.read().strip()
            if text:
                return text
        except FileNotFoundError:
            pass
        time.sleep(0.05)
    fail(f"{what} did not write {os.path.basename(path)} within {timeout} s")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--gatehoused", required=True)
    ap.add_argument("--gatehousectl", required=True)
    args = ap.parse_args()

    node = shutil.which("node")
    if not node:
        print("node is not installed: skipping the openai client test")
        return SKIP
    if not os.path.isfile(os.path.join(HERE, "node_modules", "openai", "package.json")):
        fail("the openai package is not installed: run scripts/setup.sh --deps-only "
             "(npm ci --prefix tests/integration/openai)")

    procs = []
    tmp = tempfile.mkdtemp(prefix="gatehouse-openai-")
    try:
        key = "sk-upstream-" + os.urandom(12).hex()
        log = os.path.join(tmp, "upstream.log")
        open(log, "w").close()
        upstream = subprocess.Popen(
            [sys.executable, os.path.join(ROOT, "tests", "support", "openai_upstream.py"),
             "--key", key, "--chunks", str(CHUNKS), "--pause", str(PAUSE_MS / 1000), "--log", log],
            stdout=subprocess.PIPE, text=True)
        procs.append(upstream)
        line = upstream.stdout.readline().split()
        if len(line) != 2 or line[0] != "PORT":
            fail("the upstream did not start")
        upstream_port = int(line[1])

        data = os.path.join(tmp, "data")
        config = os.path.join(tmp, "gatehoused.toml")
        with open(config, "w") as f:
            f.write('[gateway]\nadmin_listen = "127.0.0.1:0"\nhttp_listen = "127.0.0.1:0"\n'
                    'pg_listen = "127.0.0.1:0"\n')
        env = dict(os.environ, OPENAI_UPSTREAM_KEY=key)
        daemon_log = open(os.path.join(tmp, "gatehoused.log"), "w")
        daemon = subprocess.Popen([args.gatehoused, "--config", config, "--data-dir", data],
                                  stdout=daemon_log, stderr=subprocess.STDOUT, env=env)
        procs.append(daemon)
        admin = wait_for_file(os.path.join(data, "admin.url"), daemon, "gatehoused")
        proxy = wait_for_file(os.path.join(data, "proxy.url"), daemon, "gatehoused")
        for _ in range(100):
            try:
                urllib.request.urlopen(admin + "/healthz", timeout=2).read()
                break
            except OSError:
                time.sleep(0.05)

        ctl = [args.gatehousectl, "--server", admin, "--token",
               open(os.path.join(data, "admin.token")).read().strip()]
        resources = os.path.join(tmp, "llm.toml")
        with open(resources, "w") as f:
            f.write(f'''[[connection]]
name         = "llm"
type         = "http"
upstream     = "http://127.0.0.1:{upstream_port}"
allow_groups = ["ml-eng"]
credential   = {{ header = "Authorization", value = "Bearer ${{env:OPENAI_UPSTREAM_KEY}}" }}

[[rule]]
name        = "mask-email"
kind        = "mask"
connections = ["llm"]
detector    = "email"

[[rule]]
name        = "no-secret-project"
kind        = "deny"
connections = ["llm"]
match       = {{ body = "(?i)project +nightshade" }}

[[rule]]
name        = "approve-production-data"
kind        = "approve"
connections = ["llm"]
match       = {{ body = "production-data" }}
approvers   = ["security"]
timeout     = "30s"
''')
        subprocess.run(ctl + ["apply", "-f", resources], check=True, stdout=subprocess.DEVNULL)
        token = subprocess.run(ctl + ["token", "issue", "--subject", "openai-test", "--groups", "ml-eng",
                                      "--ttl", "10m"], check=True, capture_output=True,
                               text=True).stdout.strip()

        approver = subprocess.run(ctl + ["token", "issue", "--subject", "reviewer", "--groups", "security",
                                         "--ttl", "10m"], check=True, capture_output=True,
                                  text=True).stdout.strip()
        test_env = dict(os.environ, GATEHOUSE_OPENAI_BASE_URL=f"{proxy}/llm/v1", GATEHOUSE_TOKEN=token,
                        GATEHOUSECTL=args.gatehousectl, GATEHOUSE_ADMIN_URL=admin,
                        GATEHOUSE_APPROVER_TOKEN=approver,
                        UPSTREAM_LOG=log, UPSTREAM_KEY=key, UPSTREAM_CHUNKS=str(CHUNKS),
                        UPSTREAM_PAUSE_MS=str(PAUSE_MS), NO_COLOR="1")
        for k in ("OPENAI_API_KEY", "OPENAI_BASE_URL", "OPENAI_ORG_ID", "OPENAI_PROJECT_ID"):
            test_env.pop(k, None)
        rc = subprocess.run([node, "--test", "--test-reporter=spec", os.path.join(HERE, "chat.test.mjs")],
                            cwd=HERE, env=test_env, timeout=120).returncode
        if rc != 0:
            daemon_log.flush()
            print("---- gatehoused log", file=sys.stderr)
            print(open(daemon_log.name).read()[-4000:], file=sys.stderr)
        return rc
    finally:
        for p in reversed(procs):
            if p.poll() is None:
                p.send_signal(signal.SIGTERM)
                try:
                    p.wait(10)
                except subprocess.TimeoutExpired:
                    p.kill()
                    p.wait()
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
