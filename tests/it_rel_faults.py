"""Reliability under faults (issue 9), black-box against the real daemon:

- a camera that flaps (goes away and comes back UK_FLAPS times, default 20,
  through a relay that drops it: see FlapProxy): one gap per outage, open fds and RSS the same before and after,
  recording again at the end;
- the daemon SIGKILLed at random moments under incident load (UK_KILLS times,
  default 8): every acknowledged incident present, PRAGMA integrity_check ok,
  index and segment files agree, at most 1 s of footage lost per camera;
- disk full on a 64 MiB loop-mounted ext4 holding both the footage and the
  database: held footage kept, incidents still accepted and durable, the
  disk.full alert, recording resumes when space returns; and with the
  filesystem filled to the last block, no incident is acknowledged that is
  not stored;
- an outside reader (the sqlite3 CLI running long queries in one read
  transaction for UK_READER_S, default 10 s): incidents are acknowledged with normal latency, index rows keep
  coming, the WAL is checkpointed once the reader ends.

The figures are printed; docs/RELIABILITY.md records them. UK_ONLY=flap (etc.)
runs one test.
"""
import asyncio
import glob
import json
import os
import random
import re
import signal
import subprocess
import threading
import time

import uktest as u
from it_console import Client, run

CRASH_REASON = "uitkijk stopped unexpectedly (crash or power loss)"
FLAPS = int(os.environ.get("UK_FLAPS", "20"))
KILLS = int(os.environ.get("UK_KILLS", "8"))
READER_ROWS = int(os.environ.get("UK_READER_ROWS", "1000000"))
READER_S = float(os.environ.get("UK_READER_S", "10"))
CAPTURE_RE = re.compile(rb"uitkijk capture_us=(\d+) frame=(\d+) cam=(\d+)")


def pct(values, p):
    s = sorted(values)
    return s[min(len(s) - 1, int(round(p / 100 * (len(s) - 1))))] if s else float("nan")


def proc_fds(pid):
    return len(os.listdir(f"/proc/{pid}/fd"))


def steady_fds(pid, seconds=2.0):
    """The fewest open fds over @seconds (every 0.1 s): what stays open, without
    the short-lived ones (a segment being rotated, a camera check's socket)."""
    n = proc_fds(pid)
    for _ in range(int(seconds * 10)):
        time.sleep(0.1)
        n = min(n, proc_fds(pid))
    return n


def captures(path):
    """(capture_us, frame) of every frame in a segment file, from the simulated
    camera's SEI (one per frame; the text cannot occur in the H.264 data)."""
    with open(path, "rb") as f:
        return [(int(m.group(1)), int(m.group(2))) for m in CAPTURE_RE.finditer(f.read())]


class FlapProxy:
    """A TCP relay in front of a simulated camera that can go down: down()
    closes the listening socket and every relayed connection (the camera is
    gone: its stream ends, connects are refused); up() listens again on the
    same port. Restarting `uitkijk testcam` itself costs its clip encoding
    (10 s on the loaded 2-core machine) per flap; the daemon cannot tell the
    difference, it sees the same RTSP server go away and come back."""

    def __init__(self, port, target):
        self.port, self.target = port, target
        self.lock = threading.Lock()
        self.listener = None
        self.conns = []
        self.stopping = False
        self.up()

    def up(self):
        import socket
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind(("127.0.0.1", self.port))
        s.listen(16)
        with self.lock:
            self.listener = s
        threading.Thread(target=self._accept, args=(s,), daemon=True).start()

    def down(self):
        import socket
        with self.lock:
            s, self.listener = self.listener, None
            conns, self.conns = self.conns, []
        if s:
            try:
                s.shutdown(socket.SHUT_RDWR)  # wakes the accept() (Linux)
            except OSError:
                pass
            s.close()
        for c in conns:
            try:
                c.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            c.close()

    def _accept(self, s):
        import socket
        while True:
            try:
                a, _ = s.accept()
            except OSError:
                return
            try:
                b = socket.create_connection(("127.0.0.1", self.target), timeout=5)
                b.settimeout(None)
            except OSError:
                a.close()
                continue
            with self.lock:
                if self.listener is not s:
                    a.close(), b.close()
                    return
                self.conns += [a, b]
            for x, y in ((a, b), (b, a)):
                threading.Thread(target=self._pump, args=(x, y), daemon=True).start()

    @staticmethod
    def _pump(x, y):
        import socket
        try:
            while True:
                data = x.recv(65536)
                if not data:
                    break
                y.sendall(data)
        except OSError:
            pass
        for z in (x, y):
            try:
                z.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass


class Daemon:
    """One daemon's folder: config, users, database, serve process."""

    def __init__(self, name, cameras, segment_seconds=2, extra_conf=None, users=()):
        self.dir = u.tmpdir(name)
        u.log(f"{name}: test folder {self.dir}")
        self.port = u.free_port()
        self.config = u.write_config(self.dir, cameras, segment_seconds=segment_seconds,
                                     listen_port=self.port)
        if extra_conf:
            text = extra_conf(open(self.config).read())
            open(self.config, "w").write(text)
        self.storage = re.search(r"^path = (.*)$", open(self.config).read(), re.M).group(1)
        m = re.search(r"^database = (.*)$", open(self.config).read(), re.M)
        self.db = m.group(1) if m else os.path.join(self.storage, "uitkijk.db")
        self.cameras = [c[0] for c in cameras]
        u.add_users(self.config, users)
        self.serve = None
        self.starts = 0

    def start(self):
        self.starts += 1
        self.serve = u.start_serve(self.dir, self.config, name=f"serve-{self.starts}")
        u.wait_until("the console", lambda: u.port_open(self.port) or not self.serve.alive(), 60, 0.05)
        assert self.serve.alive(), self.serve.tail()

    def stop(self, sig=signal.SIGTERM):
        if self.serve:
            self.serve.stop(sig)

    def sql(self, q, readonly=True):
        args = ["sqlite3"] + (["-readonly"] if readonly else []) + [self.db, q]
        r = subprocess.run(args, capture_output=True, text=True, timeout=120)
        assert r.returncode == 0, f"sqlite3 {q}: {r.stderr}"
        return r.stdout.strip()

    def rows(self, q):
        out = self.sql(q)
        return [line.split("|") for line in out.splitlines()] if out else []

    def files(self):
        return {os.path.relpath(p, self.storage)
                for p in glob.glob(os.path.join(self.storage, "*", "*", "*.mp4"))}

    def indexed(self):
        return {r[0] for r in self.rows("SELECT path FROM recording")}

    async def client(self, user):
        c = await Client.open(self.port)
        r = await c.login(user)
        assert r["type"] == "result", r
        return c


def now_iso(offset_s=0.0):
    return u.rfc3339((time.time() + offset_s) * 1e6)


async def incident_writer(c, camera, acked, latencies, stop, label, pace_s=0.0):
    """Logs incidents one after another on @c until @stop is set or the
    connection breaks; the ids of acknowledged ones go to @acked."""
    k = 0
    while not stop.is_set():
        k += 1
        t0 = time.monotonic()
        try:
            r = await c.req("incident.create", camera=camera, position=now_iso(-1), source="live",
                            category="overlast", description=f"{label} {k}")
        except Exception:  # noqa: BLE001 - the daemon was killed: the connection breaks
            return
        if r["type"] != "result":
            raise AssertionError(f"incident refused: {r}")
        latencies.append(time.monotonic() - t0)
        acked.append(r["incident"]["incident"])
        if pace_s:
            await asyncio.sleep(pace_s)


class FaultTests(u.Tests):
    def __init__(self):
        self.cam_port = u.free_port()
        self.cam_dir = u.tmpdir("faults-cams")
        self.cam = u.start_testcam(self.cam_dir, self.cam_port, cameras=2)

    def cleanup(self):
        self.cam.stop()

    # ---- a: a camera that flaps --------------------------------------------------

    def test_flapping_camera(self):
        port = u.free_port()
        cam = FlapProxy(port, self.cam_port)
        d = Daemon("faults-flap", [("flap-1", "station", f"rtsp://127.0.0.1:{port}/cam1")],
                   segment_seconds=4)
        d.start()
        pid = d.serve.p.pid
        open_gaps = lambda: int(d.sql("SELECT count(*) FROM gap WHERE camera = 'flap-1' AND end_90k IS NULL"))
        # Recording: no open gap, and a segment row of an open run.
        recording = lambda: open_gaps() == 0 and int(d.sql(
            "SELECT count(*) FROM recording r JOIN run ON run.id = r.run_id "
            "WHERE r.camera = 'flap-1' AND run.end_90k IS NULL")) > 0
        u.wait_until("flap-1 recording", recording, 60, 0.2)
        time.sleep(2)
        first = (proc_fds(pid), u.proc_kb(pid) or 0)
        gaps_before = int(d.sql("SELECT count(*) FROM gap WHERE camera = 'flap-1'"))
        outages = []
        down_s, up_s, rss_trace = [], [], []
        try:
            for i in range(FLAPS + 2):
                if i == 2:  # after two warm-up flaps: the baseline
                    time.sleep(1)
                    base = (steady_fds(pid), u.proc_kb(pid) or 0)
                    gaps_base = int(d.sql("SELECT count(*) FROM gap WHERE camera = 'flap-1'"))
                cam.down()
                killed = time.time()
                u.wait_until(f"flap {i}: gap opened", lambda: open_gaps() == 1, 20, 0.05)
                down_s.append(time.time() - killed)
                time.sleep(random.uniform(0, 0.5))
                cam.up()
                back = time.time()
                u.wait_until(f"flap {i}: recording again", recording, 40, 0.1)
                up_s.append(time.time() - back)
                outages.append((killed, back))
                rss_trace.append(u.proc_kb(pid) or 0)
                assert d.serve.alive(), d.serve.tail()
            time.sleep(2)
            after = (steady_fds(pid), u.proc_kb(pid) or 0)
            gaps = d.rows("SELECT start_90k, end_90k, reason FROM gap WHERE camera = 'flap-1' ORDER BY id")
            u.log(f"flap: {FLAPS} flaps after 2 warm-up ones; fds {first[0]} at start, {base[0]} before, "
                  f"{after[0]} after; VmRSS {first[1]} KiB at start, {base[1]} KiB before, {after[1]} KiB "
                  f"after ({after[1] - base[1]:+d} KiB, {(after[1] - base[1]) / max(FLAPS, 1):+.1f} KiB per flap)")
            u.log(f"flap: outage noticed (gap open) after p50 {pct(down_s, 50):.2f} s, max {max(down_s):.2f} s; "
                  f"recording again after the camera's port opened p50 {pct(up_s, 50):.2f} s, "
                  f"max {max(up_s):.2f} s")
            u.log("flap: VmRSS (KiB) after every 10th flap: " + ", ".join(str(r) for r in rss_trace[::10]))
            u.log(f"flap: gap reasons: {sorted({g[2] for g in gaps[gaps_before:]})}")
            # Exactly one gap per outage, each covering its outage.
            assert len(gaps) - gaps_before == FLAPS + 2, (len(gaps), gaps_before)
            assert len(gaps) - gaps_base == FLAPS
            for (killed, back), (start, end, reason) in zip(outages, gaps[gaps_before:]):
                assert end, "every outage is over"
                g0, g1 = int(start) / 90000, int(end) / 90000
                assert killed - 1.0 <= g0 <= killed + 0.2, (killed, g0)
                assert g1 >= back - 0.2, (back, g1)
                assert reason, "a gap has its reason"
            assert recording()
            # Still records: a new complete segment after the last flap.
            last_back = outages[-1][1]
            u.wait_until("a complete segment after the last flap", lambda: any(
                u.parse_rfc3339_us(s["start"]) / 1e6 >= last_back - 0.1
                for s in u.complete_segments(d.config, "flap-1")), 30, 0.5)
            assert after[0] == base[0], f"open fds {base[0]} before and {after[0]} after {FLAPS} flaps"
            # Under ASan freed memory sits in its quarantine (up to 256 MB):
            # RSS says nothing about leaks there; the fds still do.
            slack_kb = 300 * 1024 if "ASAN_OPTIONS" in os.environ else 6 * 1024
            assert after[1] - base[1] <= slack_kb, f"VmRSS grew {after[1] - base[1]} KiB over {FLAPS} flaps"
        finally:
            d.stop()
            cam.down()

    # ---- b: SIGKILL under load ---------------------------------------------------

    def test_sigkill_under_load(self):
        cams = [("kill-1", "station", f"rtsp://127.0.0.1:{self.cam_port}/cam1"),
                ("kill-2", "station", f"rtsp://127.0.0.1:{self.cam_port}/cam2")]
        d = Daemon("faults-kill", cams, segment_seconds=4,
                   users=[(f"op{i}", "operator", "station") for i in range(3)])
        acked, latencies, losses, kinds = [], [], [], []
        seed = int(os.environ.get("UK_SEED", str(int(time.time()))))
        rng = random.Random(seed)
        u.log(f"sigkill: UK_SEED={seed}")
        try:
            # The daemon's start (before it was spawned): no run of this
            # daemon can start earlier (a run's first frame time can be a
            # little earlier than the moment its console answered).
            started = time.time()
            d.start()
            for k in range(KILLS):
                t0_90k = int(started * 90000)
                if k % 4 == 3:
                    # A kill during start-up: logins and camera connects under
                    # way, the cameras' first second not yet on disk.
                    delay, kind = rng.uniform(0.05, 1.0), "startup"
                else:
                    # Both cameras record in this run of the daemon first.
                    u.wait_until("both cameras recording", lambda: int(d.sql(
                        f"SELECT count(DISTINCT r.camera) FROM recording r JOIN run ON run.id = r.run_id "
                        f"WHERE run.start_90k > {t0_90k}")) == 2, 60, 0.1)
                    delay, kind = rng.uniform(0.3, 4.0), "recording"

                async def load():
                    stop = asyncio.Event()
                    clients = [await d.client(f"op{i}") for i in range(3)] if kind == "recording" else []
                    tasks = [asyncio.ensure_future(incident_writer(c, "kill-1", acked, latencies, stop, f"k{k}"))
                             for c in clients]
                    await asyncio.sleep(delay)
                    os.kill(d.serve.p.pid, signal.SIGKILL)
                    killed = time.time()
                    await asyncio.gather(*tasks)
                    for c in clients:
                        try:
                            await c.close()
                        except Exception:  # noqa: BLE001
                            pass
                    return killed
                n_acked = len(acked)
                killed = run(load())
                d.stop()  # reaps it
                kinds.append(kind)
                # Before the restart: every indexed file exists; a file with no
                # row is at most the newest one of its camera (created, row not
                # yet written).
                files, indexed = d.files(), d.indexed()
                assert indexed <= files, f"kill {k}: indexed but missing: {sorted(indexed - files)}"
                for extra in files - indexed:
                    cam = extra.split("/")[0]
                    newest = max(f for f in files if f.startswith(cam + "/"))
                    assert extra == newest, f"kill {k}: unindexed file {extra} is not the newest"
                started = time.time()
                d.start()  # recovery runs before the console listens
                assert d.sql("PRAGMA integrity_check") == "ok", f"kill {k}"
                stored = {int(x) for x in d.sql("SELECT id FROM incident").split()}
                missing = [i for i in acked if i not in stored]
                assert not missing, f"kill {k}: {len(missing)} acknowledged incidents lost: {missing[:10]}"
                # Recovery indexed every file that was on disk at the kill, or
                # removed it for holding no whole frame.
                now_files, now_indexed = d.files(), d.indexed()
                assert files & now_files <= now_indexed, f"kill {k}: {sorted((files & now_files) - now_indexed)}"
                assert indexed <= now_indexed, f"kill {k}: rows lost: {sorted(indexed - now_indexed)}"
                if kind == "recording":
                    for cam, _, _ in cams:
                        gap = d.rows(f"SELECT start_90k FROM gap WHERE camera = '{cam}' AND reason = "
                                     f"'{CRASH_REASON}' ORDER BY id DESC LIMIT 1")
                        assert gap, f"kill {k}: no crash gap for {cam}"
                        gap_s = int(gap[0][0]) / 90000
                        assert gap_s > t0_90k / 90000, f"kill {k}: {cam}'s crash gap is an old one"
                        # The SEI capture time of the last frame on disk.
                        path = d.rows(f"SELECT path FROM recording WHERE camera = '{cam}' AND start_90k < "
                                      f"{int(killed * 90000)} ORDER BY start_90k DESC LIMIT 1")[0][0]
                        last_us = captures(os.path.join(d.storage, path))[-1][0]
                        lost_index, lost_sei = killed - gap_s, killed - last_us / 1e6
                        losses.append((lost_index, lost_sei))
                        assert lost_index <= 1.0 and lost_sei <= 1.0, (cam, k, lost_index, lost_sei)
                u.log(f"kill {k} ({kind}, {delay:.2f} s in): {len(acked) - n_acked} incidents acknowledged, "
                      f"all present; lost (index/SEI) {[f'{a:.3f}/{b:.3f}' for a, b in losses[-2:]]}"
                      if kind == "recording" else
                      f"kill {k} ({kind}, {delay:.2f} s after the restart's checks): database and files fine")
            # After the last kill: a clean stop, then index and files agree exactly.
            time.sleep(3)
            d.stop()
            files, indexed = d.files(), d.indexed()
            assert files == indexed, (sorted(files - indexed), sorted(indexed - files))
            assert d.sql("PRAGMA integrity_check") == "ok"
            assert d.sql("SELECT count(*) FROM garbage") == "0"
            for cam, _, _ in cams:
                # No segment overlaps the next one.
                segs = d.rows(f"SELECT start_90k, end_90k FROM recording WHERE camera = '{cam}' ORDER BY start_90k")
                for a, b in zip(segs, segs[1:]):
                    assert int(a[1]) <= int(b[0]) + 90, (cam, a, b)
            r = u.cli("audit", "verify", "-c", d.config, check=False)
            assert r.returncode == 0, r.stdout + r.stderr
            lost_i = [a for a, _ in losses]
            lost_s = [b for _, b in losses]
            u.log(f"sigkill: {KILLS} kills ({kinds.count('recording')} while recording, "
                  f"{kinds.count('startup')} during start-up), {len(acked)} incidents acknowledged, all present; "
                  f"ack latency p50 {pct(latencies, 50) * 1000:.1f} ms p99 {pct(latencies, 99) * 1000:.1f} ms; "
                  f"footage lost per camera per kill (kill time - last recorded instant in the index): "
                  f"median {pct(lost_i, 50):.3f} s, max {max(lost_i):.3f} s; by SEI capture time of the "
                  f"last frame on disk: median {pct(lost_s, 50):.3f} s, max {max(lost_s):.3f} s")
            assert len(acked) > 0
        finally:
            d.stop()

    # ---- c: disk full --------------------------------------------------------------

    def test_disk_full(self):
        base = u.tmpdir("faults-disk")
        image, mnt = os.path.join(base, "fs.img"), os.path.join(base, "mnt")
        os.makedirs(mnt)
        subprocess.run(["dd", "if=/dev/zero", f"of={image}", "bs=1M", "count=64"], check=True,
                       capture_output=True)
        subprocess.run(["mkfs.ext4", "-q", "-m", "0", image], check=True, capture_output=True)
        m = subprocess.run(["mount", "-o", "loop", image, mnt], capture_output=True, text=True)
        if m.returncode != 0:
            u.log(f"SKIP disk full: cannot loop-mount an ext4 image ({m.stderr.strip()})")
            return
        d = None
        try:
            d = Daemon("faults-disk", [("disk-1", "station", f"rtsp://127.0.0.1:{self.cam_port}/cam1")],
                       segment_seconds=2,
                       extra_conf=lambda t: re.sub(r"^path = .*$", f"path = {mnt}/data\nmin_free = 16M", t,
                                                   flags=re.M),
                       users=[("op", "operator", "station"), ("sup", "supervisor", "station"),
                              ("sup2", "supervisor", "station"), ("pol", "police", "station")])
            assert d.db.startswith(mnt), "the database is on the small filesystem too"
            d.start()
            u.wait_complete_segments(d.config, "disk-1", 2, 40)
            filler = os.path.join(mnt, "filler")

            def free():
                st = os.statvfs(mnt)
                return st.f_bavail * st.f_frsize

            async def t():
                sup, pol, sup2, op = [await d.client(n) for n in ("sup", "pol", "sup2", "op")]
                alerts = []

                async def watch_alerts():
                    while True:
                        raw = json.loads(await sup.ws.recv())
                        for e in raw.get("events", [raw]):
                            if e.get("event") == "alert":
                                alerts.append((time.time(), e["alert"]))
                watcher = asyncio.ensure_future(watch_alerts())
                # Everything of the last and the next hour is held.
                r = await pol.req("hold.request", cameras=["disk-1"], case_ref="PL01-2026-501",
                                  offence="diefstal", justification="alles bewaren",
                                  **{"from": now_iso(-3600), "to": now_iso(3600)})
                assert r["type"] == "result", r
                r = await sup2.req("hold.decide", hold=r["hold"]["hold"], approve=True)
                assert r["type"] == "result", r
                # A filler takes the space down to 6 MiB (below min_free 16M).
                size = free() - 6 * 2**20
                subprocess.run(["fallocate", "-l", str(size), filler], check=True)
                filled = time.time()
                u.log(f"disk: {size / 2**20:.1f} MiB filler; {free() / 2**20:.1f} MiB free")
                while not any(a["kind"] == "disk.full" and a["active"] for _, a in alerts):
                    assert time.time() - filled < 30, f"no disk.full alert: {alerts}"
                    await asyncio.sleep(0.2)
                full_at = [t for t, a in alerts if a["kind"] == "disk.full" and a["active"]][0]
                full_msg = [a for _, a in alerts if a["kind"] == "disk.full"][0]
                u.log(f"disk: disk.full {full_at - filled:.1f} s after the filler: "
                      f"{json.dumps(full_msg, ensure_ascii=False)}")
                await asyncio.sleep(0.5)
                gap = d.rows("SELECT reason FROM gap WHERE camera = 'disk-1' AND end_90k IS NULL")
                assert gap and "disk is full" in gap[0][0], gap
                held = d.indexed()
                sizes = {p: os.path.getsize(os.path.join(d.storage, p)) for p in held}
                await asyncio.sleep(3)
                after = {p: os.path.getsize(os.path.join(d.storage, p)) for p in held}
                assert after == sizes, "nothing is written while the disk is full"
                # Incidents are still accepted, durably.
                acked, lat = [], []
                for k in range(20):
                    t0 = time.monotonic()
                    r = await op.req("incident.create", camera="disk-1", position=now_iso(-30),
                                     source="playback", category="overlast", description=f"vol {k}")
                    assert r["type"] == "result", r
                    lat.append(time.monotonic() - t0)
                    acked.append(r["incident"]["incident"])
                stored = {int(x) for x in d.sql("SELECT id FROM incident").split()}
                assert set(acked) <= stored
                u.log(f"disk: 20 incidents acknowledged while disk.full, ack p50 {pct(lat, 50) * 1000:.1f} ms "
                      f"max {max(lat) * 1000:.1f} ms, all stored")
                # To the last block: whatever is acknowledged is stored.
                with open(filler + "2", "wb") as f:
                    try:
                        while True:
                            f.write(b"\0" * 65536)
                            f.flush()
                    except OSError:
                        pass
                    try:
                        os.fsync(f.fileno())
                    except OSError:
                        pass
                u.log(f"disk: filled to the last block: {free()} bytes free")
                replies = []
                for k in range(10):
                    try:
                        r = await asyncio.wait_for(op.req(
                            "incident.create", camera="disk-1", position=now_iso(-30), source="playback",
                            category="overlast", description=f"helemaal vol {k}"), 20)
                    except asyncio.TimeoutError:
                        r = {"type": "timeout"}
                    replies.append(r)
                os.unlink(filler + "2")
                assert d.serve.alive(), d.serve.tail()
                ok = [r["incident"]["incident"] for r in replies if r["type"] == "result"]
                errs = [r for r in replies if r["type"] != "result"]
                u.log(f"disk: with 0 bytes free: {len(ok)} of 10 incidents acknowledged, "
                      f"{len(errs)} refused: {errs[:1]}")
                stored = {int(x) for x in d.sql("SELECT id FROM incident").split()}
                assert set(ok) <= stored, f"acknowledged but not stored: {set(ok) - stored}"
                # Held footage kept.
                for p in held:
                    assert os.path.exists(os.path.join(d.storage, p)), p
                # Space returns: recording resumes and the alert is resolved.
                os.unlink(filler)
                freed = time.time()
                u.wait_until("recording resumed", lambda: d.sql(
                    "SELECT count(*) FROM gap WHERE camera = 'disk-1' AND end_90k IS NULL") == "0", 40, 0.2)
                resumed = time.time() - freed
                while not any(a["kind"] == "disk.full" and not a["active"] for _, a in alerts):
                    assert time.time() - freed < 30, f"disk.full not resolved: {alerts}"
                    await asyncio.sleep(0.2)
                r = await op.req("incident.create", camera="disk-1", position=now_iso(-1), source="live",
                                 category="overlast", description="weer ruimte")
                assert r["type"] == "result", r
                u.wait_until("a complete segment after the space returned", lambda: any(
                    u.parse_rfc3339_us(s["start"]) / 1e6 >= freed for s in u.complete_segments(d.config, "disk-1")),
                    30, 0.5)
                u.log(f"disk: recording resumed {resumed:.1f} s after the filler was deleted; alerts seen: "
                      f"{[(a['kind'], a['active']) for _, a in alerts]}")
                watcher.cancel()
                for c in (sup, pol, sup2, op):
                    await c.close()
            run(t())
            assert d.sql("PRAGMA integrity_check") == "ok"
            log = open(d.serve.log_path, errors="replace").read()
            u.log("disk: daemon log lines: " + " | ".join(
                line.strip() for line in log.splitlines() if re.search(r"disk|space|No space|SQLITE|ENOSPC", line,
                                                                        re.I))[:1500])
        finally:
            if d:
                d.stop()
            if subprocess.run(["umount", mnt], capture_output=True).returncode == 0:
                os.unlink(image)

    # ---- d: an outside reader -------------------------------------------------------

    def test_outside_reader(self):
        cams = [("read-1", "station", f"rtsp://127.0.0.1:{self.cam_port}/cam1"),
                ("read-2", "station", f"rtsp://127.0.0.1:{self.cam_port}/cam2")]
        d = Daemon("faults-reader", cams, segment_seconds=2, users=[("op", "operator", "station")])
        d.start()
        wal = d.db + "-wal"
        try:
            u.wait_complete_segments(d.config, "read-1", 1, 40)
            samples = []  # (time, wal bytes, recording rows)
            stop_sampling = threading.Event()

            def sampler():
                while not stop_sampling.is_set():
                    try:
                        samples.append((time.time(), os.path.getsize(wal)))
                    except OSError:
                        pass
                    time.sleep(0.1)
            th = threading.Thread(target=sampler)
            th.start()

            async def t():
                op = await d.client("op")
                stop = asyncio.Event()
                acked = []
                base_lat, reader_lat = [], []
                task = asyncio.ensure_future(incident_writer(op, "read-1", acked, base_lat, stop, "voor",
                                                             pace_s=0.05))
                await asyncio.sleep(5)
                stop.set()
                await task
                rows0 = int(d.sql("SELECT count(*) FROM recording"))
                # The sqlite3 CLI: a read transaction (its snapshot taken by the
                # first SELECT), then long queries (a recursive CTE of
                # UK_READER_ROWS rows each) until UK_READER_S have passed.
                t_start = time.time()
                reader = await asyncio.create_subprocess_exec(
                    "sqlite3", d.db, stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE,
                    stderr=asyncio.subprocess.PIPE)
                stop = asyncio.Event()
                task = asyncio.ensure_future(incident_writer(op, "read-1", acked, reader_lat, stop, "tijdens",
                                                             pace_s=0.05))
                out = []

                async def say(sql):
                    reader.stdin.write(sql.encode() + b"\n")
                    await reader.stdin.drain()
                    out.append((await reader.stdout.readline()).decode().strip())
                await say("BEGIN; SELECT count(*) FROM recording;")
                queries = 0
                while time.time() - t_start < READER_S:
                    await say("WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < "
                              f"{READER_ROWS}) SELECT count(*) FROM c;")
                    queries += 1
                await say("SELECT count(*) FROM recording; COMMIT;")
                reader.stdin.close()
                err = await reader.stderr.read()
                await reader.wait()
                t_end = time.time()
                stop.set()
                await task
                u.log(f"reader: {queries} queries of {READER_ROWS} rows; recording rows seen by the reader "
                      f"{out[0]} at its start and {out[-1]} at its end (its snapshot)")
                assert out[0] == out[-1], out
                assert reader.returncode == 0, err
                rows1 = int(d.sql("SELECT count(*) FROM recording"))
                await op.close()
                return acked, base_lat, reader_lat, t_start, t_end, rows0, rows1, out[:2]
            acked, base_lat, reader_lat, t_start, t_end, rows0, rows1, out = run(t())
            time.sleep(4)
            stop_sampling.set()
            th.join()
            held = t_end - t_start
            before = max([w for t, w in samples if t < t_start] or [0])
            during = max([w for t, w in samples if t_start <= t <= t_end] or [0])
            after = [w for t, w in samples if t > t_end + 2]
            stored = {int(x) for x in d.sql("SELECT id FROM incident").split()}
            assert set(acked) <= stored
            # The checkpoint caught up: the WAL restarts from its beginning, so
            # it grows no further once the reader is gone; a TRUNCATE
            # checkpoint shows how much was left to copy (none: busy 0).
            for _ in range(10):  # the daemon's own readers may hold a snapshot for a moment
                ck = d.sql("PRAGMA wal_checkpoint(PASSIVE)", readonly=False)
                busy, log_frames, done = (int(x) for x in ck.split("|"))
                if busy == 0 and done == log_frames:
                    break
                time.sleep(0.2)
            u.log(f"reader: sqlite3 CLI held a read transaction {held:.1f} s (out {out}); incidents acknowledged "
                  f"before p50 {pct(base_lat, 50) * 1000:.1f} ms p99 {pct(base_lat, 99) * 1000:.1f} ms "
                  f"max {max(base_lat) * 1000:.1f} ms (n={len(base_lat)}); during p50 "
                  f"{pct(reader_lat, 50) * 1000:.1f} ms p99 {pct(reader_lat, 99) * 1000:.1f} ms max "
                  f"{max(reader_lat) * 1000:.1f} ms (n={len(reader_lat)}); recording rows {rows0} -> {rows1}; "
                  f"WAL max {before / 1024:.0f} KiB before, {during / 1024:.0f} KiB during, "
                  f"{(max(after) if after else 0) / 1024:.0f} KiB after; checkpoint after: {ck}")
            assert max(reader_lat) < 2.0, f"an incident took {max(reader_lat):.3f} s during the read"
            assert pct(reader_lat, 99) < max(0.5, 5 * pct(base_lat, 99)), (pct(reader_lat, 99), pct(base_lat, 99))
            assert rows1 - rows0 >= int(held / 2) - 1, f"recording rows {rows0} -> {rows1} in {held:.1f} s"
            # The checkpoint got through everything after the reader ended.
            assert busy == 0 and done == log_frames, ck
            # Bounded: once the reader is gone, the WAL does not keep growing.
            assert not after or max(after) <= during + 256 * 1024, (during, after)
        finally:
            d.stop()


if __name__ == "__main__":
    asyncio.set_event_loop(asyncio.new_event_loop())
    FaultTests().run()
