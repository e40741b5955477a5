#!/usr/bin/env python3
"""The desktop app's start-up and idle memory (bench/README.md, "Desktop app start").

    bench/app_start/app_start.py --build BUILD_DIR [--runs 10] [--idle 10]

Starts a gatehoused of its own (temporary data dir, ports chosen by the OS) and points the app at
it the way a desktop does, through $XDG_DATA_HOME/gatehouse/admin.url. Then, on each platform
(offscreen, and Xvfb when installed), starts `gatehouse` `--runs` times and reads from its stderr
(GATEHOUSE_STARTUP_REPORT) the monotonic time of the first expose of its window and of the first
answer from the gateway, against the monotonic time just before the process was spawned. The last
run is left `--idle` seconds after it connected, and its VmRSS is read from /proc. Every process
started here is stopped by its pid at the end.
"""
import argparse, os, shutil, signal, statistics, subprocess, sys, tempfile, time, urllib.request


def start_gateway(gatehoused, data_home):
    data = os.path.join(data_home, "gatehouse")
    os.makedirs(data, mode=0o700)
    cfg = os.path.join(data_home, "node.toml")
    with open(cfg, "w") as f:
        f.write('[gateway]\nadmin_listen = "127.0.0.1:0"\nhttp_listen = "127.0.0.1:0"\npg_listen = "127.0.0.1:0"\n')
    p = subprocess.Popen([gatehoused, "--config", cfg, "--data-dir", data, "--log-level", "warning"],
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url_file = os.path.join(data, "admin.url")
    for _ in range(200):
        try:
            url = open(url_file).read().strip()
            urllib.request.urlopen(url + "/healthz", timeout=2).read()
            return p
        except OSError:
            time.sleep(0.05)
    p.kill()
    sys.exit("gatehoused did not start")


def start_xvfb():
    if not shutil.which("Xvfb"):
        return None, None
    r, w = os.pipe()
    p = subprocess.Popen(["Xvfb", "-displayfd", str(w), "-screen", "0", "1280x800x24", "-nolisten", "tcp"],
                         pass_fds=(w,), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    os.close(w)
    display = os.read(r, 16).decode().strip()
    os.close(r)
    return p, ":" + display


def run_app(app, env, idle=0.0):
    t0 = time.monotonic_ns()
    p = subprocess.Popen([app], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    marks = {}
    deadline = time.monotonic() + 30
    try:
        while len(marks) < 2 and time.monotonic() < deadline:
            line = p.stderr.readline()
            if not line:
                break
            parts = line.split()
            if len(parts) == 3 and parts[0] == "gatehouse-startup":
                marks[parts[1]] = (int(parts[2]) - t0) / 1e6
        rss = None
        if idle > 0 and "connected" in marks:
            time.sleep(idle)
            for l in open("/proc/%d/status" % p.pid):
                if l.startswith("VmRSS:"):
                    rss = int(l.split()[1]) / 1024
        return marks, rss
    finally:
        p.send_signal(signal.SIGTERM)
        try:
            p.wait(timeout=10)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", required=True)
    ap.add_argument("--runs", type=int, default=10)
    ap.add_argument("--idle", type=float, default=10.0)
    args = ap.parse_args()
    app = os.path.join(args.build, "app", "gatehoused", "gatehouse")
    gatehoused = os.path.join(args.build, "app", "gatehoused", "gatehoused")
    with tempfile.TemporaryDirectory() as home:
        runtime = os.path.join(home, "runtime")
        os.makedirs(runtime, mode=0o700)
        gateway = start_gateway(gatehoused, home)
        xvfb, display = start_xvfb()
        try:
            platforms = [("offscreen", {"QT_QPA_PLATFORM": "offscreen"})]
            if display:
                platforms.append(("xcb on Xvfb", {"QT_QPA_PLATFORM": "xcb", "DISPLAY": display}))
            print("| platform | first window exposed, median (min–max) of %d | gateway answered, median | idle RSS after %g s connected |"
                  % (args.runs, args.idle))
            print("|---|---|---|---|")
            for name, extra in platforms:
                env = dict(os.environ, XDG_DATA_HOME=home, XDG_CONFIG_HOME=os.path.join(home, "config"),
                           XDG_RUNTIME_DIR=runtime, GATEHOUSE_STARTUP_REPORT="1", **extra)
                env.pop("DBUS_SESSION_BUS_ADDRESS", None)
                exposed, connected, rss = [], [], None
                for i in range(args.runs):
                    marks, r = run_app(app, env, idle=args.idle if i == args.runs - 1 else 0)
                    if "exposed" not in marks:
                        sys.exit("%s: the window was never exposed" % name)
                    exposed.append(marks["exposed"])
                    if "connected" in marks:
                        connected.append(marks["connected"])
                    rss = r if r is not None else rss
                print("| %s | %.0f ms (%.0f–%.0f) | %s | %s |" % (
                    name, statistics.median(exposed), min(exposed), max(exposed),
                    "%.0f ms" % statistics.median(connected) if connected else "never",
                    "%.1f MiB" % rss if rss else "n/a"))
        finally:
            for p in (xvfb, gateway):
                if p:
                    p.send_signal(signal.SIGTERM)
                    p.wait(timeout=15)


if __name__ == "__main__":
    main()
