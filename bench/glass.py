#!/usr/bin/env python3
"""Live view benchmark: glass-to-glass latency in a real browser, and the
daemon's CPU per viewer-stream.

1. Glass to glass. `uitkijk testcam` writes each frame's capture time
   (CLOCK_REALTIME, µs) into the frame as an SEI. Debian's chromium (driven by
   bench/glass-browser.mjs with playwright-core) logs in to the real console
   and watches live; for every frame presented (requestVideoFrameCallback) the
   page finds that frame's fragment, reads the SEI from its mdat and records
   performance.timeOrigin + expectedDisplayTime - capture time. That is the
   whole chain: camera encoder output -> RTSP -> recorder -> websocket ->
   Media Source Extensions -> decoder -> compositor. Not included: a real
   monitor's scan-out (headless chromium has none; add up to one refresh,
   8 to 17 ms) and the camera's own encoder delay.
   Targets: p50 <= 250 ms, p99 <= 500 ms.

2. CPU per viewer-stream. The daemon records --cameras cameras; its CPU
   (utime + stime from /proc/PID/stat, all threads) is measured over a window
   with no viewer (baseline, before and after), then with --viewers websocket
   clients each watching every camera. Live view's cost is the difference;
   per viewer-stream = difference / (viewers x cameras).
   Target: <= 0.2 % of a core per viewer-stream.
   The viewers are raw websocket clients (python3-websockets) in separate
   processes that read and discard the video, not 8 chromiums: on 2 cores 8
   browsers decoding 16 streams each would starve the daemon and measure the
   browsers. For the server a client is a client: it sends the same bytes.

  /usr/bin/python3 bench/glass.py [--seconds 60] [--viewers 8] [--cameras 16]
        [--cpu-seconds 30] [--glass-cameras 1] [--skip-glass] [--skip-cpu] [--json FILE]

Needs the uitkijk binary (--uitkijk, $UITKIJK or build/app/uitkijk),
/usr/bin/chromium and tests/browser/node_modules (tools/setup.sh installs
both) for part 1, python3-websockets for part 2.
"""
import argparse
import asyncio
import json
import multiprocessing
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "tests"))
import uktest as u  # noqa: E402

TICK = os.sysconf("SC_CLK_TCK")


def password(user):
    return f"wachtwoord-{user}"


def cpu_ticks(pid):
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return int(fields[11]) + int(fields[12])  # utime, stime


def machine_busy():
    with open("/proc/stat") as f:
        v = [int(x) for x in f.readline().split()[1:]]
    idle = v[3] + v[4]
    return sum(v), idle


def measure_cpu(pids, seconds):
    """% of one core used by each pid over @seconds, and the machine's busy %."""
    a = {p: cpu_ticks(p) for p in pids}
    m0 = machine_busy()
    t0 = time.monotonic()
    time.sleep(seconds)
    b = {p: cpu_ticks(p) for p in pids}
    m1 = machine_busy()
    dt = time.monotonic() - t0
    total, idle = m1[0] - m0[0], m1[1] - m0[1]
    return {p: (b[p] - a[p]) / TICK / dt * 100 for p in pids}, 100 * (1 - idle / total)


def pct(sorted_values, q):
    if not sorted_values:
        return float("nan")
    k = min(len(sorted_values) - 1, max(0, round(q * (len(sorted_values) - 1))))
    return sorted_values[k]


# ---- part 2: websocket viewers ----

def viewer_proc(port, users, cameras, start_at, end_at, out):
    import websockets

    async def one(user):
        ws = await websockets.connect(f"ws://127.0.0.1:{port}/ws", subprotocols=["uitkijk.v1"],
                                      max_size=2 ** 24, max_queue=None)
        await ws.recv()
        await ws.send(json.dumps({"type": "login", "id": 0, "user": user, "password": password(user)}))
        while True:
            m = await ws.recv()
            if isinstance(m, str) and json.loads(m).get("id") == 0:
                assert json.loads(m)["type"] == "result", m
                break
        for k, cam in enumerate(cameras, 1):
            await ws.send(json.dumps({"type": "live.start", "id": k, "camera": cam}))
        frames = {}
        nbytes = 0
        while True:
            left = end_at - time.time()
            if left <= 0:
                break
            try:
                m = await asyncio.wait_for(ws.recv(), left)
            except asyncio.TimeoutError:
                break
            now = time.time()
            if isinstance(m, bytes) and start_at <= now and m[0] == 2:
                cam = m[3:3 + m[2]].decode()
                frames[cam] = frames.get(cam, 0) + 1
                nbytes += len(m)
        await ws.close()
        return frames, nbytes

    async def main():
        return await asyncio.gather(*(one(x) for x in users))

    try:
        out.put(asyncio.new_event_loop().run_until_complete(main()))
    except Exception as e:  # noqa: BLE001 - reported by the parent
        out.put(e)


def cpu_part(args, serve, cam, port, cameras, viewers):
    r = {}
    print(f"\n== CPU: daemon recording {len(cameras)} cameras, {args.cpu_seconds:.0f} s windows ==",
          file=sys.stderr)
    cpu, busy = measure_cpu([serve.p.pid, cam.p.pid], args.cpu_seconds)
    r["baseline_before"] = {"daemon_cpu": cpu[serve.p.pid], "testcam_cpu": cpu[cam.p.pid], "machine_busy": busy}
    print(f"0 viewers: daemon {cpu[serve.p.pid]:.1f} % of a core (machine {busy:.0f} % busy)", file=sys.stderr)

    procs_n = min(len(viewers), 4)
    groups = [viewers[p::procs_n] for p in range(procs_n)]
    q = multiprocessing.Queue()
    start_at = time.time() + args.warmup + 2
    end_at = start_at + args.cpu_seconds + 1
    procs = [multiprocessing.Process(target=viewer_proc, args=(port, g, cameras, start_at, end_at, q), daemon=True)
             for g in groups]
    for p in procs:
        p.start()
    time.sleep(max(0, start_at - time.time()) + 0.5)
    pids = [serve.p.pid, cam.p.pid] + [p.pid for p in procs]
    cpu, busy = measure_cpu(pids, args.cpu_seconds)
    results = []
    for _ in procs:
        got = q.get(timeout=args.warmup + 60)
        if isinstance(got, Exception):
            raise RuntimeError(f"a viewer process failed: {got!r}\nserve log:\n{serve.tail()}")
        results += got
    for p in procs:
        p.join()
    frames = [n for f, _ in results for n in f.values()]
    streams = len(viewers) * len(cameras)
    got = sum(frames)
    per_stream_fps = got / streams / (end_at - start_at)
    mbps = sum(b for _, b in results) * 8 / (end_at - start_at) / 1e6
    client_cpu = sum(cpu[p.pid] for p in procs)
    r["viewers"] = {"daemon_cpu": cpu[serve.p.pid], "testcam_cpu": cpu[cam.p.pid], "clients_cpu": client_cpu,
                    "machine_busy": busy, "streams": streams, "streams_receiving": len(frames),
                    "fps_per_stream": per_stream_fps, "min_frames_stream": min(frames) if frames else 0,
                    "mbit_s_total": mbps}
    print(f"{len(viewers)} viewers x {len(cameras)} cameras: daemon {cpu[serve.p.pid]:.1f} % "
          f"(clients {client_cpu:.0f} %, machine {busy:.0f} % busy); {len(frames)}/{streams} streams, "
          f"{per_stream_fps:.1f} fps each, {mbps:.0f} Mbit/s in all", file=sys.stderr)
    time.sleep(3)  # the views end (connections closed) and the recorders stop posting live frames
    cpu, busy = measure_cpu([serve.p.pid], args.cpu_seconds)
    r["baseline_after"] = {"daemon_cpu": cpu[serve.p.pid], "machine_busy": busy}
    print(f"0 viewers again: daemon {cpu[serve.p.pid]:.1f} %", file=sys.stderr)
    base = (r["baseline_before"]["daemon_cpu"] + r["baseline_after"]["daemon_cpu"]) / 2
    live = r["viewers"]["daemon_cpu"] - base
    r["live_cpu"] = live
    r["per_viewer_stream"] = live / streams
    return r


# ---- part 1: the browser ----

def glass_part(args, port, cameras):
    node_modules = os.path.join(HERE, "..", "tests", "browser", "node_modules", "playwright-core")
    if not os.access("/usr/bin/chromium", os.X_OK) or not os.path.isdir(node_modules) or not shutil.which("node"):
        print("glass: needs /usr/bin/chromium, node and tests/browser/node_modules (tools/setup.sh)",
              file=sys.stderr)
        return None
    print(f"\n== glass to glass: chromium watching {len(cameras)} camera(s), {args.seconds:.0f} s ==",
          file=sys.stderr)
    cmd = ["node", os.path.join(HERE, "glass-browser.mjs"), f"http://127.0.0.1:{port}/", "glass",
           password("glass"), "--cameras", ",".join(cameras), "--seconds", str(args.seconds),
           "--warmup", str(args.warmup)]
    r = subprocess.run(cmd, stdout=subprocess.PIPE, text=True, timeout=args.seconds + 120)
    if r.returncode != 0:
        print(f"glass: glass-browser.mjs exited {r.returncode}", file=sys.stderr)
        return None
    data = json.loads(r.stdout.strip().splitlines()[-1])
    elapsed = data.pop("_elapsed_s")
    lat = sorted(x for d in data.values() for x in d["glass_ms"])
    arrival = sorted(x for d in data.values() for x in d["arrival_ms"])
    ahead = sorted(x for d in data.values() for x in d["buffered_ahead_ms"])
    per_cam = {c: {k: v for k, v in d.items() if not k.endswith("_ms")} for c, d in data.items()}
    for c, d in data.items():
        s = sorted(d["glass_ms"])
        per_cam[c].update(samples=len(s), p50=pct(s, 0.5), p99=pct(s, 0.99))
    return {"samples": len(lat), "p50": pct(lat, 0.5), "p90": pct(lat, 0.9), "p99": pct(lat, 0.99),
            "min": lat[0] if lat else None, "max": lat[-1] if lat else None, "elapsed_s": elapsed,
            "arrival_p50": pct(arrival, 0.5), "arrival_p99": pct(arrival, 0.99),
            "ahead_p50": pct(ahead, 0.5), "ahead_p99": pct(ahead, 0.99), "cameras": per_cam}


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--seconds", type=float, default=60, help="glass-to-glass window (s)")
    ap.add_argument("--glass-cameras", type=int, default=1, help="tiles in the browser")
    ap.add_argument("--viewers", type=int, default=8)
    ap.add_argument("--cameras", type=int, default=16, help="cameras each viewer watches (CPU part)")
    ap.add_argument("--cpu-seconds", type=float, default=30, help="each CPU window (s)")
    ap.add_argument("--warmup", type=float, default=5)
    ap.add_argument("--skip-glass", action="store_true")
    ap.add_argument("--skip-cpu", action="store_true")
    ap.add_argument("--json", help="write the results here")
    ap.add_argument("--keep", action="store_true", help="keep the temporary folder")
    ap.add_argument("--uitkijk", default=os.environ.get("UITKIJK", os.path.join(HERE, "..", "build", "app", "uitkijk")))
    args = ap.parse_args()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # stop the children on the way out
    u.UITKIJK = os.path.abspath(args.uitkijk)
    n_cams = max(args.cameras, args.glass_cameras)
    folder = tempfile.mkdtemp(prefix="uk-bench-glass-")
    cam_port, port = u.free_port(), u.free_port()
    cam = serve = None
    results = {"options": vars(args)}
    try:
        cam = u.start_testcam(folder, cam_port, cameras=n_cams)
        cameras = [f"cam{i}" for i in range(1, n_cams + 1)]
        conf = u.write_config(folder, [(c, "bench", f"rtsp://127.0.0.1:{cam_port}/{c}") for c in cameras],
                              segment_seconds=60, listen_port=port)
        viewers = [f"v{i}" for i in range(args.viewers)]
        for user in ["glass"] + viewers:
            subprocess.run([u.UITKIJK, "user", "add", "-c", conf, user, "--role", "operator",
                            "--areas", "bench", "--password-stdin"], input=password(user) + "\n",
                           capture_output=True, check=True, text=True)
        serve = u.start_serve(folder, conf)
        u.wait_until("the console", lambda: u.port_open(port), 30)
        u.wait_until("every camera recording", lambda: all(
            u.recordings(conf, c)["segments"] for c in cameras), 90, 1)
        time.sleep(args.warmup)
        if not args.skip_glass:
            results["glass"] = glass_part(args, port, cameras[:args.glass_cameras])
        if not args.skip_cpu:
            results["cpu"] = cpu_part(args, serve, cam, port, cameras[:args.cameras], viewers)
    finally:
        for p in (serve, cam):
            if p:
                p.stop()
        if not args.keep:
            shutil.rmtree(folder, ignore_errors=True)

    print(f"live view benchmark ({os.cpu_count()} cores; daemon, simulated cameras and clients share them)")
    g = results.get("glass")
    if g:
        print(f"\nglass to glass, chromium {g['elapsed_s']:.0f} s, {len(g['cameras'])} tile(s), "
              f"{g['samples']} frames presented:")
        print(f"  p50 {g['p50']:.0f} ms, p90 {g['p90']:.0f} ms, p99 {g['p99']:.0f} ms, "
              f"min {g['min']:.0f} ms, max {g['max']:.0f} ms")
        print(f"  of which capture -> arrival in the page: p50 {g['arrival_p50']:.0f} ms, p99 {g['arrival_p99']:.0f} ms; "
              f"buffered ahead of the play position: p50 {g['ahead_p50']:.0f} ms, p99 {g['ahead_p99']:.0f} ms")
        for c, d in g["cameras"].items():
            print(f"  {c}: p50 {d['p50']:.0f} ms, p99 {d['p99']:.0f} ms; presented {d['presented']}, "
                  f"decoded {d['decoded']}, dropped by decoder {d['dropped_by_decoder']}, "
                  f"by player {d['dropped_by_player']}, jumps to the live edge {d['jumps_to_live_edge']}")
        print(f"  target p50 <= 250 ms: {'met' if g['p50'] <= 250 else 'NOT met'}; "
              f"p99 <= 500 ms: {'met' if g['p99'] <= 500 else 'NOT met'}")
    c = results.get("cpu")
    if c:
        v = c["viewers"]
        print(f"\ndaemon CPU, {args.cameras} cameras recorded, {args.cpu_seconds:.0f} s windows "
              f"(viewers: raw websocket clients that read and discard, not browsers):")
        print(f"  0 viewers:   {c['baseline_before']['daemon_cpu']:.1f} % of a core before, "
              f"{c['baseline_after']['daemon_cpu']:.1f} % after")
        print(f"  {args.viewers} viewers x {args.cameras} cameras ({v['streams']} streams, "
              f"{v['fps_per_stream']:.1f} fps each, {v['mbit_s_total']:.0f} Mbit/s): "
              f"{v['daemon_cpu']:.1f} %  (clients {v['clients_cpu']:.0f} %, testcam "
              f"{v['testcam_cpu']:.0f} %, machine {v['machine_busy']:.0f} % busy)")
        print(f"  live view: {c['live_cpu']:.1f} % of a core = {c['per_viewer_stream']:.3f} % per viewer-stream "
              f"(all of the daemon / streams: {v['daemon_cpu'] / v['streams']:.3f} %)")
        print(f"  target <= 0.2 % per viewer-stream: {'met' if c['per_viewer_stream'] <= 0.2 else 'NOT met'}")
        if v["streams_receiving"] < v["streams"] or v["fps_per_stream"] < 23:
            print("  note: not every stream got ~25 fps: the clients or the machine could not keep up, "
                  "so the daemon sent less")
    if args.json:
        with open(args.json, "w") as f:
            json.dump(results, f, indent=1)


if __name__ == "__main__":
    main()
