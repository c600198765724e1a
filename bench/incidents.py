#!/usr/bin/env python3
"""Incident logging benchmark: 1, 10 and 50 concurrent consoles log incidents
as fast as they can (each waits for its acknowledgement, which comes only
once the incident is durable). Prints p50/p99 acknowledgement latency and
durable incidents per second, against the targets p99 <= 10 ms at 50
consoles and >= 2000 durable incidents/s.

The consoles are driven by bench/ws-incidents (a small single-threaded C
websocket client, built with the project), so that the clients take little
of the machine's CPU; the daemon is the real `uitkijk serve` with a
real recording camera (`uitkijk testcam`), so every incident is resolved to
its recorded frame as in production.

  /usr/bin/python3 bench/incidents.py [--consoles 1,10,50] [--seconds 10]
"""
import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "tests"))
import uktest as u  # noqa: E402


def run_level(port, n, seconds, client, rate=0):
    """One level: N consoles in the C client (bench/ws-incidents.c); rate is
    incidents/s per console (0: flat out)."""
    out = subprocess.run([client, str(port), str(n), str(seconds + 2), str(rate)], capture_output=True,
                         text=True, timeout=seconds + 120)
    if out.returncode != 0:
        raise SystemExit(f"ws-incidents failed: {out.stderr.strip()}")
    if os.environ.get("UK_BENCH_SLOW_MS"):
        sys.stderr.write(out.stderr)
    r = json.loads(out.stdout)
    return r["acknowledged"] / r["seconds"], r["p50_ms"], r["p99_ms"], r["acknowledged"], r


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--consoles", default="1,10,50")
    ap.add_argument("--seconds", type=float, default=10)
    ap.add_argument("--paced", type=float, default=2000,
                    help="also run the largest level paced at this many incidents/s in all (0: skip)")
    ap.add_argument("--uitkijk", default=os.environ.get("UITKIJK", os.path.join(HERE, "..", "build", "app", "uitkijk")))
    ap.add_argument("--client", default=None, help="ws-incidents binary (default: next to uitkijk)")
    args = ap.parse_args()
    client = args.client or os.path.join(os.path.dirname(os.path.abspath(args.uitkijk)), "..", "bench",
                                         "ws-incidents")
    u.UITKIJK = os.path.abspath(args.uitkijk)
    levels = [int(x) for x in args.consoles.split(",")]
    folder = tempfile.mkdtemp(prefix="uk-bench-incidents-")
    cam_port, port = u.free_port(), u.free_port()
    cam = serve = None
    try:
        cam = u.start_testcam(folder, cam_port, cameras=1)
        conf = u.write_config(folder, [("cam1", "bench", f"rtsp://127.0.0.1:{cam_port}/cam1")],
                              segment_seconds=60, listen_port=port)
        for i in range(max(levels)):
            subprocess.run([u.UITKIJK, "user", "add", "-c", conf, f"u{i}", "--role", "operator",
                            "--areas", "bench", "--password-stdin"], input=f"wachtwoord-u{i}\n",
                           capture_output=True, check=True, text=True)
        serve = u.start_serve(folder, conf)
        u.wait_until("the console", lambda: u.port_open(port), 30)
        time.sleep(5)  # the camera records: incidents resolve to frames in the open segment
        print(f"incident logging, {args.seconds:.0f} s per level, real daemon recording 1 camera")
        print(" consoles (stored)   | incidents/s (durable) | p50 ack ms | p99 ack ms | acknowledged | pushes rx | errors")
        results = {}
        # The paced level first, on a database of realistic size; the flat-out
        # levels then add some 150 000 incidents (years of a city's log), and
        # the paced level is run again on that to show the effect.
        runs = [(n, 0) for n in levels]
        if args.paced:
            paced = (max(levels), args.paced / max(levels))
            runs = [paced] + runs + [paced]
        for n, per in runs:
            rate, p50, p99, total, r = run_level(port, n, args.seconds, client, per)
            results.setdefault((n, per), (rate, p50, p99))  # the first run of a level counts
            stored = int(subprocess.run(["sqlite3", os.path.join(folder, "data", "uitkijk.db"),
                                         "SELECT count(*) FROM incident"], capture_output=True,
                                        text=True).stdout.strip() or 0)
            label = f"{n}, flat out" if not per else f"{n}, {n * per:.0f}/s ({stored // 1000}k)"
            print(f" {label:19s} | {rate:21.0f} | {p50:10.2f} | {p99:10.2f} | {total:12d} | "
                  f"{r['pushes']:9d} | {r['errors']}")
        import urllib.request
        metrics = urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics").read().decode()
        vals = {l.split()[0]: float(l.split()[1]) for l in metrics.splitlines()
                if l.startswith("uitkijk_incident")}
        if vals.get("uitkijk_incident_commits_total"):
            print(f"group commit: {vals['uitkijk_incidents_logged_total'] / vals['uitkijk_incident_commits_total']:.1f} incidents per commit on average")
        db = os.path.join(folder, "data", "uitkijk.db")
        stored = subprocess.run(["sqlite3", db, "SELECT count(*) FROM incident"], capture_output=True,
                                text=True).stdout.strip()
        print(f"stored incidents: {stored}")
        paced = [k for k in results if k[0] == 50 and k[1] and k[0] * k[1] >= 2000]
        if paced:
            rate, p50, p99 = results[paced[0]]
            print(f"target p99 <= 10 ms at 50 consoles logging {rate:.0f} durable incidents/s: "
                  f"{p99:.2f} ms -> {'met' if p99 <= 10 else 'not met'}")
        if (50, 0) in results:
            rate, p50, p99 = results[(50, 0)]
            print(f"50 consoles flat out (each waits only for its last acknowledgement): "
                  f"{rate:.0f}/s, p99 {p99:.2f} ms")
        best = max(r[0] for r in results.values())
        print(f"target >= 2000 durable incidents/s: {best:.0f}/s -> {'met' if best >= 2000 else 'not met'}")
    finally:
        for p in (serve, cam):
            if p:
                p.stop()
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
