#!/usr/bin/env python3
"""Incident logging benchmark: 1, 10 and 50 concurrent consoles log incidents
as fast as they can (each waits for its acknowledgement, which comes only
once the incident is durable). Prints p50/p99 acknowledgement latency and
durable incidents per second, against the targets p99 <= 10 ms at 50
consoles and >= 2000 durable incidents/s.

The consoles run in separate client processes (so that one Python process's
speed does not cap the figure); the daemon is the real `uitkijk serve` with a
real recording camera (`uitkijk testcam`), so every incident is resolved to
its recorded frame as in production.

  /usr/bin/python3 bench/incidents.py [--consoles 1,10,50] [--seconds 10]
"""
import argparse
import asyncio
import json
import multiprocessing
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "tests"))
import uktest as u  # noqa: E402


def client_proc(port, users, seconds, start_at, out):
    import websockets

    async def one(user):
        ws = await websockets.connect(f"ws://127.0.0.1:{port}/ws", subprotocols=["uitkijk.v1"])
        await ws.recv()
        await ws.send(json.dumps({"type": "login", "id": 0, "user": user, "password": f"wachtwoord-{user}"}))
        r = json.loads(await ws.recv())
        assert r["type"] == "result", r
        while time.time() < start_at:
            await asyncio.sleep(0.001)
        lat = []
        k = 0
        end = start_at + seconds
        while time.time() < end:
            k += 1
            pos = u.rfc3339(time.time() * 1e6 - 2e6)
            t0 = time.perf_counter()
            await ws.send(json.dumps({"type": "incident.create", "id": k, "camera": "cam1",
                                      "position": pos, "source": "live", "category": "overlast",
                                      "description": f"bench {user} {k}"}))
            while True:
                raw = await ws.recv()
                if raw.startswith('{"type":"event"'):
                    continue  # other consoles' incidents, pushed live
                m = json.loads(raw)
                if m.get("id") == k:
                    break
            lat.append(time.perf_counter() - t0)
            assert m["type"] == "result", m
        await ws.close()
        return lat

    async def main():
        return await asyncio.gather(*(one(x) for x in users))

    res = asyncio.new_event_loop().run_until_complete(main())
    out.put([x for r in res for x in r])


def run_level(port, n, seconds):
    procs_n = min(n, 4)
    groups = [[f"u{i}" for i in range(n) if i % procs_n == p] for p in range(procs_n)]
    q = multiprocessing.Queue()
    start_at = time.time() + 3
    procs = [multiprocessing.Process(target=client_proc, args=(port, g, seconds, start_at, q))
             for g in groups]
    for p in procs:
        p.start()
    lat = []
    for _ in procs:
        lat += q.get()
    for p in procs:
        p.join()
    lat.sort()
    p50 = lat[len(lat) // 2] * 1000
    p99 = lat[int(len(lat) * 0.99)] * 1000
    return len(lat) / seconds, p50, p99, len(lat)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--consoles", default="1,10,50")
    ap.add_argument("--seconds", type=float, default=10)
    ap.add_argument("--uitkijk", default=os.environ.get("UITKIJK", os.path.join(HERE, "..", "build", "app", "uitkijk")))
    args = ap.parse_args()
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
        print(" consoles | incidents/s (durable) | p50 ack ms | p99 ack ms | acknowledged")
        results = {}
        for n in levels:
            rate, p50, p99, total = run_level(port, n, args.seconds)
            results[n] = (rate, p50, p99)
            print(f" {n:8d} | {rate:21.0f} | {p50:10.2f} | {p99:10.2f} | {total}")
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
        if 50 in results:
            rate, p50, p99 = results[50]
            print(f"target p99 <= 10 ms at 50 consoles: {p99:.2f} ms -> {'met' if p99 <= 10 else 'not met'}")
            best = max(r[0] for r in results.values())
            print(f"target >= 2000 durable incidents/s: {best:.0f}/s -> {'met' if best >= 2000 else 'not met'}")
    finally:
        for p in (serve, cam):
            if p:
                p.stop()
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
