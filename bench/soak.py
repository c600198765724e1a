#!/usr/bin/env python3
"""Soak test (issue 9): 64 simulated cameras recording, 16 websocket consoles
(4 of them each watching 4 cameras live, reading the binary frames) and 50
incidents/s in all, for --minutes (default 10). Then:

- per camera, the frames in the recordings against the frames the simulated
  camera sent: every frame carries an SEI with its frame number (counted from
  0 when the camera's media starts) and capture time, so within one recording
  run (one RTSP connection) the numbers must be consecutive; a hole is a
  frame missing from the recordings, unless the simulated camera itself
  skipped it (it skips frames when it is starved of CPU, or when its send
  queue is full because its sending or the client's reading falls behind,
  and says so on its debug log, which this script reads). Frames lost to reconnects (gaps in the
  index) are counted separately;
- the daemon's RSS, CPU and open fds every 30 s;
- incident acknowledgement p50/p99, measured from each incident's scheduled
  send time (open loop: no coordinated omission);
- live frames received per watched camera.

  /usr/bin/python3 bench/soak.py [--minutes 10] [--cameras 64] [--testcams 2]
        [--consoles 16] [--watchers 4] [--watch 4] [--rate 50] [--data DIR] [--keep]

The simulated cameras are `uitkijk testcam` (1280x720, 25 fps, H.264 at
3 Mbit/s, 2 s GOP: its only size choices are 1280x720 and 1920x1080), split
over --testcams processes. The recordings need about 22 MB per camera-minute
(14 GB for 64 cameras and 10 minutes): --data puts them on a disk with room;
they are deleted at the end unless --keep.
"""
import argparse
import asyncio
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "tests"))
import uktest as u  # noqa: E402

import websockets  # noqa: E402

SEI_RE = re.compile(rb"uitkijk capture_us=(\d+) frame=(\d+) cam=(\d+)")
SKIP_RE = re.compile(r"cam(\d+): (late|queue full), skipping frames (\d+)\.\.(\d+)")
TICK = os.sysconf("SC_CLK_TCK")


def pct(values, p):
    s = sorted(values)
    return s[min(len(s) - 1, int(round(p / 100 * (len(s) - 1))))] if s else float("nan")


def proc_sample(pid):
    """(VmRSS KiB, CPU seconds user+system) of @pid."""
    with open(f"/proc/{pid}/status") as f:
        rss = next(int(line.split()[1]) for line in f if line.startswith("VmRSS:"))
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return rss, (int(fields[11]) + int(fields[12])) / TICK


class Console:
    def __init__(self, port, user):
        self.port, self.user = port, user
        self.next_id = 0
        self.pending = {}      # id -> scheduled send time (monotonic)
        self.latencies = []
        self.errors = []
        self.live_frames = {}  # camera -> frames received
        self.live_bytes = 0

    async def open(self):
        # No client-side keepalive: the server pings (every 20 s) and drops
        # silent peers itself; a client ping timing out on a starved machine
        # would end the run.
        self.ws = await websockets.connect(f"ws://127.0.0.1:{self.port}/ws", subprotocols=["uitkijk.v1"],
                                           max_size=2 ** 24, max_queue=4096, ping_interval=None)
        self.closed = None
        json.loads(await self.ws.recv())  # hello
        self.reader = asyncio.ensure_future(self.read())
        r = await self.req("login", user=self.user, password=f"wachtwoord-{self.user}")
        assert r["type"] == "result", r

    async def req(self, type_, **fields):
        self.next_id += 1
        fut = asyncio.get_event_loop().create_future()
        self.pending[self.next_id] = fut
        await self.ws.send(json.dumps({"type": type_, "id": self.next_id, **fields}))
        return await asyncio.wait_for(fut, 60)

    def send_incident(self, scheduled, camera):
        self.next_id += 1
        self.pending[self.next_id] = scheduled
        msg = {"type": "incident.create", "id": self.next_id, "camera": camera,
               "position": u.rfc3339((time.time() - 1) * 1e6), "source": "live",
               "category": "overlast", "description": f"soak {self.user} {self.next_id}"}
        return self.ws.send(json.dumps(msg))

    async def read(self):
        try:
            async for raw in self.ws:
                if isinstance(raw, bytes):
                    if raw[0] == 2:
                        cam = raw[3:3 + raw[2]].decode()
                        self.live_frames[cam] = self.live_frames.get(cam, 0) + 1
                        self.live_bytes += len(raw)
                    continue
                msg = json.loads(raw)
                if msg.get("type") not in ("result", "error"):
                    continue
                waiter = self.pending.pop(msg.get("id"), None)
                if isinstance(waiter, asyncio.Future):
                    waiter.set_result(msg)
                elif waiter is not None:
                    if msg["type"] == "result":
                        self.latencies.append(time.monotonic() - waiter)
                    else:
                        self.errors.append(msg)
        except websockets.ConnectionClosed as e:
            self.closed = (time.monotonic(), f"{e}")


async def drive(port, users, cameras, args, timed):
    """Logs the consoles in and starts the live views, then runs @timed(stop_at)
    (the sampler) alongside the paced incidents until stop_at."""
    consoles = []
    for name in users:
        c = Console(port, name)
        await c.open()
        consoles.append(c)
    for w in range(args.watchers):
        for cam in cameras[w * args.watch:(w + 1) * args.watch]:
            r = await consoles[w].req("live.start", camera=cam)
            assert r["type"] == "result", r
    print(f"{len(consoles)} consoles logged in; consoles 1..{args.watchers} watch "
          f"{args.watch} cameras each; {args.rate} incidents/s in all", flush=True)
    per = args.rate / len(consoles)
    started = time.monotonic()
    stop_at = started + args.minutes * 60
    sampler = asyncio.ensure_future(timed(started, stop_at))

    async def pace(k, c):
        t0 = time.monotonic() + k / args.rate  # staggered
        n = 0
        while True:
            due = t0 + n / per
            if due >= stop_at:
                return
            await asyncio.sleep(max(0.0, due - time.monotonic()))
            try:
                await c.send_incident(due, cameras[(k * 7 + n) % len(cameras)])
            except websockets.ConnectionClosed as e:
                c.closed = c.closed or (time.monotonic(), f"{e}")
                print(f"  console {c.user} disconnected: {e}", flush=True)
                return
            n += 1
    await asyncio.gather(*(pace(k, c) for k, c in enumerate(consoles)))
    await asyncio.sleep(3)  # the last acknowledgements
    samples = await sampler
    for c in consoles:
        try:
            await asyncio.wait_for(c.ws.close(), 10)
        except (asyncio.TimeoutError, websockets.ConnectionClosed):
            pass
        c.reader.cancel()
    return consoles, started, stop_at, samples


def frames_of(path):
    with open(path, "rb") as f:
        return [(int(m.group(2)), int(m.group(1))) for m in SEI_RE.finditer(f.read())]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--minutes", type=float, default=10)
    ap.add_argument("--cameras", type=int, default=64)
    ap.add_argument("--testcams", type=int, default=2, help="testcam processes the cameras are split over")
    ap.add_argument("--consoles", type=int, default=16)
    ap.add_argument("--watchers", type=int, default=4)
    ap.add_argument("--watch", type=int, default=4, help="cameras each watcher watches live")
    ap.add_argument("--rate", type=float, default=50, help="incidents/s in all")
    ap.add_argument("--segment-seconds", type=int, default=60)
    ap.add_argument("--data", default=None, help="folder for config, database and recordings")
    ap.add_argument("--keep", action="store_true")
    ap.add_argument("--uitkijk", default=os.environ.get("UITKIJK", os.path.join(HERE, "..", "build", "app",
                                                                                 "uitkijk")))
    args = ap.parse_args()
    u.UITKIJK = os.path.abspath(args.uitkijk)
    folder = tempfile.mkdtemp(prefix="uk-soak-", dir=args.data)
    print(f"soak: {args.cameras} cameras, {args.consoles} consoles, {args.rate:g} incidents/s, "
          f"{args.minutes:g} min; folder {folder}", flush=True)
    procs = []
    try:
        # Simulated cameras: --testcams processes, with their frame-skip notes.
        os.environ["G_MESSAGES_DEBUG"] = "uk-testcam"
        per_tc = -(-args.cameras // args.testcams)
        cams = []  # (camera id, area, url, testcam index, cam number in it)
        for t in range(args.testcams):
            n = min(per_tc, args.cameras - t * per_tc)
            if n <= 0:
                break
            port = u.free_port()
            procs.append(u.start_testcam(folder, port, cameras=n, name=f"testcam-{t}"))
            for i in range(1, n + 1):
                k = len(cams)
                cams.append((f"cam{k + 1:02d}", f"area{k // 16 + 1}", f"rtsp://127.0.0.1:{port}/cam{i}", t, i))
        del os.environ["G_MESSAGES_DEBUG"]
        port = u.free_port()
        conf = u.write_config(folder, [c[:3] for c in cams], segment_seconds=args.segment_seconds,
                              listen_port=port)
        areas = ",".join(sorted({c[1] for c in cams}))
        users = [f"op{i + 1:02d}" for i in range(args.consoles)]
        u.add_users(conf, [(n, "operator", areas) for n in users])
        serve = u.start_serve(folder, conf)
        procs.append(serve)
        u.wait_until("the console", lambda: u.port_open(port) or not serve.alive(), 60)
        db = os.path.join(folder, "data", "uitkijk.db")
        sql = lambda q: subprocess.run(["sqlite3", "-readonly", db, q], capture_output=True,
                                       text=True).stdout.strip()
        u.wait_until("every camera recording", lambda: sql(
            "SELECT count(DISTINCT camera) FROM recording") == str(len(cams)), 180, 1)
        print(f"all {len(cams)} cameras recording", flush=True)
        pid = serve.p.pid
        rss0, cpu0 = proc_sample(pid)

        async def sampler(started, stop_at):
            cpu_start = proc_sample(pid)
            samples = [(0.0,) + cpu_start]
            while time.monotonic() < stop_at:
                await asyncio.sleep(min(30, max(0.1, stop_at - time.monotonic())))
                t = time.monotonic() - started
                rss, cpu = proc_sample(pid)
                prev = samples[-1]
                samples.append((t, rss, cpu))
                print(f"  t={t:5.0f} s  RSS {rss / 1024:7.1f} MiB  CPU {100 * (cpu - prev[2]) / (t - prev[0]):6.1f} % "
                      f"of a core  fds {len(os.listdir(f'/proc/{pid}/fd'))}  (machine load average "
                      f"{os.getloadavg()[0]:.1f})", flush=True)
            return samples

        loop = asyncio.new_event_loop()
        asyncio.set_event_loop(loop)
        consoles, started, stop_at, samples = loop.run_until_complete(
            drive(port, users, [c[0] for c in cams], args, sampler))
        wall = time.monotonic() - started
        rss_end, cpu_end = proc_sample(pid)
        alive = serve.alive()
        serve.stop(signal.SIGTERM, timeout=60)
        for p in procs[:-1]:
            p.stop()

        # ---- results --------------------------------------------------------------
        print(f"\n=== after {wall:.0f} s (daemon {'alive' if alive else 'DEAD'}) ===")
        cpu_pct = 100 * (cpu_end - samples[0][2]) / wall
        print(f"daemon: RSS {rss0 / 1024:.1f} MiB with every camera recording, {samples[0][1] / 1024:.1f} MiB "
              f"with the consoles in (the start), {rss_end / 1024:.1f} MiB at the end, "
              f"max {max(s[1] for s in samples) / 1024:.1f} MiB; CPU {cpu_pct:.1f} % of a core on average "
              f"({cpu_pct / len(cams):.2f} % per camera)")
        lat = [x for c in consoles for x in c.latencies]
        errs = [e for c in consoles for e in c.errors]
        unanswered = sum(1 for c in consoles for v in c.pending.values() if not isinstance(v, asyncio.Future))
        print(f"incidents: {len(lat)} acknowledged ({len(lat) / wall:.1f}/s), {len(errs)} errors, "
              f"{unanswered} unanswered; ack p50 {pct(lat, 50) * 1000:.1f} ms, p99 {pct(lat, 99) * 1000:.1f} ms, "
              f"max {max(lat or [0]) * 1000:.1f} ms")
        if errs:
            print(f"  first error: {errs[0]}")
        gone = [(c.user, c.closed) for c in consoles if c.closed and c.closed[0] < stop_at]
        print(f"consoles disconnected during the run: {len(gone)}" + "".join(
            f"\n  {user} at t={t - started:.0f} s: {why}" for user, (t, why) in gone))
        watched = {}
        for c in consoles:
            for cam, n in c.live_frames.items():
                watched[cam] = watched.get(cam, 0) + n
        if watched:
            print(f"live: {len(watched)} cameras watched; frames received per camera min {min(watched.values())}, "
                  f"max {max(watched.values())} ({min(watched.values()) / wall:.1f} to "
                  f"{max(watched.values()) / wall:.1f} fps)")

        # Frames the simulated cameras skipped themselves: "late" when starved
        # of CPU, "queue full" when their RTP sending fell behind (their own
        # sender, or the daemon reading slowly: TCP pushes back).
        skipped = {}  # (testcam, cam number) -> set of frame numbers
        skip_kinds = {"late": 0, "queue full": 0}
        for t in range(args.testcams):
            path = os.path.join(folder, f"testcam-{t}.log")
            if os.path.exists(path):
                for m in SKIP_RE.finditer(open(path, errors="replace").read()):
                    s = skipped.setdefault((t, int(m.group(1))), set())
                    s.update(range(int(m.group(3)), int(m.group(4)) + 1))
                    skip_kinds[m.group(2)] += int(m.group(4)) - int(m.group(3)) + 1
        rows = subprocess.run(["sqlite3", db, "SELECT camera, run_id, path FROM recording ORDER BY camera, "
                               "start_90k"], capture_output=True, text=True).stdout.split("\n")
        by_cam = {}
        for line in rows:
            if line:
                cam, run, path = line.split("|", 2)
                by_cam.setdefault(cam, []).append((int(run), path))
        gaps = sql("SELECT camera, count(*), sum(end_90k - start_90k) / 90000.0 FROM gap "
                   "WHERE end_90k IS NOT NULL GROUP BY camera")
        gap_of = {g.split("|")[0]: (int(g.split("|")[1]), float(g.split("|")[2] or 0)) for g in gaps.splitlines()}
        total_missing = total_rec = total_skip = 0
        holes = {}  # missing frames in one hole (50: 50 or more) -> holes
        worst = []
        print("\nper camera: recorded frames, frames missing from the recordings (within runs), frames the "
              "camera skipped itself, runs, gaps (count, s)")
        for cam_id, area, url, t, i in cams:
            recorded = missing = cam_skipped = 0
            runs = {}
            for run, path in by_cam.get(cam_id, []):
                runs.setdefault(run, []).extend(frames_of(os.path.join(folder, "data", path)))
            for run, frames in runs.items():
                nums = [f for f, _ in frames]
                recorded += len(nums)
                for a, b in zip(nums, nums[1:]):
                    if b <= a:  # the camera's media restarted within a run: cannot happen
                        missing += 1
                        continue
                    hole = set(range(a + 1, b))
                    sk = len(hole & skipped.get((t, i), set()))
                    cam_skipped += sk
                    missing += len(hole) - sk
                    if len(hole) - sk:
                        holes[min(len(hole) - sk, 50)] = holes.get(min(len(hole) - sk, 50), 0) + 1
            total_missing += missing
            total_rec += recorded
            total_skip += cam_skipped
            worst.append((missing, cam_id))
            g = gap_of.get(cam_id, (0, 0.0))
            print(f"  {cam_id} {recorded:7d} {missing:5d} {cam_skipped:5d} {len(runs):3d} {g[0]:3d} {g[1]:7.1f}")
        print(f"frames: {total_rec} recorded, {total_missing} missing from the recordings within runs, "
              f"{total_skip} skipped by the simulated cameras themselves within runs (all skips logged: "
              f"{skip_kinds['late']} late, starved of CPU; {skip_kinds['queue full']} queue full, sending "
              f"fell behind); "
              f"worst camera: {max(worst)[1]} with {max(worst)[0]} missing")
        warn = [line for line in open(os.path.join(folder, "serve.log"), errors="replace")
                if "WARNING" in line or "CRITICAL" in line or "down:" in line]
        print(f"daemon log: {len(warn)} warning/down lines" + "".join(f"\n  {w.strip()}" for w in warn[:5]))
        print("holes (missing frames in a row: count): " + ", ".join(f"{k}: {v}" for k, v in sorted(holes.items())))
        print("memory: RSS every 30 s (MiB): " + ", ".join(f"{s[1] / 1024:.0f}" for s in samples))
    finally:
        for p in procs:
            if p.alive():
                p.stop()
        if not args.keep:
            shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
