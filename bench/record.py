#!/usr/bin/python3
"""Recording benchmark: uitkijk versus one ffmpeg process per camera.

For each camera count N (default 1, 8, 32, 64) it starts `uitkijk testcam` with N
simulated cameras, then, one after the other and never at the same time:

  1. records all N cameras with one `uitkijk serve` process, and
  2. records all N cameras with N `ffmpeg ... -c copy -f segment` processes,

each for a warm-up and then a measured window. It reports CPU (% of one core) and
RSS per camera, the ratios uitkijk/ffmpeg, the load generator's (testcam's) own CPU,
and checks that every camera was really recorded. See README.md beside this file.

Python 3 standard library only.  Run: /usr/bin/python3 bench/record.py [--help]
"""
import argparse
import ctypes
import json
import os
import platform
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import traceback

# ---- constants -------------------------------------------------------------

DEFAULT_CAMERAS = [1, 8, 32, 64]
DEFAULT_SECONDS = 30
DEFAULT_WARMUP = 5
# The simulated cameras send H.264 1280x720 25 fps at about 3 Mbit/s.
NOMINAL_BYTES_PER_S = 3_000_000 / 8
NOMINAL_FPS = 25
# A camera counts as recorded when it wrote at least this share of the nominal rate.
PLAUSIBLE_SHARE = 0.5
# Targets (for uitkijk at N = TARGET_N).
TARGET_N = 64
TARGET_CPU_PCT = 0.5
TARGET_RSS_MB = 2.0
TARGET_CPU_RATIO = 0.5

MB = 1024 * 1024  # RSS is reported in MiB ("MB" in the table), like top and free
CLK_TCK = os.sysconf("SC_CLK_TCK")
PAGE = os.sysconf("SC_PAGE_SIZE")


def progress(msg):
    print(f"[{time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


# ---- child processes -----------------------------------------------------

_libc = None
try:
    _libc = ctypes.CDLL(None, use_errno=True)
except OSError:
    _libc = None
PR_SET_PDEATHSIG = 1


def _child_setup():
    # Own session: a Ctrl-C in the terminal reaches only this script, which then
    # stops the children in order. If this script dies without cleaning up (SIGKILL),
    # the kernel sends the children SIGTERM.
    os.setsid()
    if _libc is not None:
        _libc.prctl(PR_SET_PDEATHSIG, signal.SIGTERM, 0, 0, 0)


class Children:
    """Every child process this script starts, so that all of them can be stopped."""

    def __init__(self):
        self.procs = []

    def start(self, args, log_path):
        with open(log_path, "ab") as log:
            p = subprocess.Popen(args, stdin=subprocess.DEVNULL, stdout=log,
                                 stderr=subprocess.STDOUT, preexec_fn=_child_setup,
                                 close_fds=True)
        self.procs.append(p)
        return p

    def stop(self, procs, timeout=30.0):
        """SIGTERM, wait up to timeout (all together), then SIGKILL. Returns exit codes."""
        for p in procs:
            if p.poll() is None:
                try:
                    p.send_signal(signal.SIGTERM)
                except ProcessLookupError:
                    pass
        deadline = time.monotonic() + timeout
        killed = []
        for p in procs:
            try:
                p.wait(max(0.0, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                killed.append(p)
                p.kill()
                p.wait()
        for p in procs:
            if p in self.procs:
                self.procs.remove(p)
        return [p.returncode for p in procs], killed

    def stop_all(self):
        if self.procs:
            self.stop(list(self.procs), timeout=10.0)


# ---- /proc sampling --------------------------------------------------------

def cpu_ticks(pid):
    """utime + stime of a process (all its threads), in clock ticks; None if gone."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            data = f.read()
    except (FileNotFoundError, ProcessLookupError):
        return None
    fields = data[data.rindex(b")") + 2:].split()
    # fields[0] is field 3 (state); utime is field 14, stime field 15.
    if fields[0] in (b"Z", b"X"):
        return None
    return int(fields[11]) + int(fields[12])


def rss_kb(pid):
    """VmRSS in kB; None if the process is gone."""
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
    except (FileNotFoundError, ProcessLookupError):
        return None
    return None


def pss_kb(pid):
    """Pss in kB (shared pages divided among their users); None if unavailable."""
    try:
        with open(f"/proc/{pid}/smaps_rollup") as f:
            for line in f:
                if line.startswith("Pss:"):
                    return int(line.split()[1])
    except OSError:
        return None
    return None


def host_cpu():
    """(busy, total) jiffies of the whole machine, from /proc/stat."""
    with open("/proc/stat") as f:
        parts = f.readline().split()[1:]
    values = [int(v) for v in parts[:8]]
    idle = values[3] + values[4]  # idle + iowait
    return sum(values) - idle, sum(values)


def measure(pids, testcam_pid, seconds, camera_bytes):
    """Measures the processes `pids` for `seconds` seconds.

    CPU: utime+stime at start and end (last value seen for a process that exits).
    Memory: VmRSS (and Pss) summed over the processes, sampled every second.
    camera_bytes() returns {camera: bytes recorded so far}; taken at start and end.
    """
    t0 = time.monotonic()
    ticks0 = {pid: cpu_ticks(pid) for pid in pids}
    last = dict(ticks0)
    tc0 = cpu_ticks(testcam_pid)
    host0 = host_cpu()
    bytes0 = camera_bytes()
    rss_samples, pss_samples = [], []
    gone = set()
    k = 0
    while True:
        rss = pss = 0
        for pid in pids:
            t = cpu_ticks(pid)
            if t is None:
                gone.add(pid)
                continue
            last[pid] = t
            rss += rss_kb(pid) or 0
            pss += pss_kb(pid) or 0
        rss_samples.append(rss)
        pss_samples.append(pss)
        k += 1
        next_t = t0 + k
        if next_t > t0 + seconds:
            break
        time.sleep(max(0.0, next_t - time.monotonic()))
    t1 = time.monotonic()
    for pid in pids:
        t = cpu_ticks(pid)
        if t is not None:
            last[pid] = t
        else:
            gone.add(pid)
    tc1 = cpu_ticks(testcam_pid)
    host1 = host_cpu()
    bytes1 = camera_bytes()
    elapsed = t1 - t0
    ticks = sum((last[p] or 0) - (ticks0[p] or 0) for p in pids if ticks0[p] is not None)
    cpu_pct = ticks / CLK_TCK / elapsed * 100.0
    tc_pct = None
    if tc0 is not None and tc1 is not None:
        tc_pct = (tc1 - tc0) / CLK_TCK / elapsed * 100.0
    host_busy = None
    if host1[1] > host0[1]:
        host_busy = (host1[0] - host0[0]) / (host1[1] - host0[1]) * 100.0
    rates = {cam: (bytes1.get(cam, 0) - bytes0.get(cam, 0)) / elapsed for cam in bytes1}
    return {
        "elapsed_s": round(elapsed, 3),
        "cpu_ticks": ticks,
        "cpu_pct_total": cpu_pct,
        "rss_mean_kb": sum(rss_samples) / len(rss_samples),
        "rss_peak_kb": max(rss_samples),
        "pss_mean_kb": sum(pss_samples) / len(pss_samples),
        "rss_samples": len(rss_samples),
        "testcam_cpu_pct": tc_pct,
        "host_busy_pct": host_busy,
        "exited_during_measurement": sorted(gone),
        "camera_bytes_per_s": rates,
    }


# ---- helpers ---------------------------------------------------------------

def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def port_open(port):
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5):
            return True
    except OSError:
        return False


def tail(path, n=15):
    try:
        with open(path, "rb") as f:
            lines = f.read().decode(errors="replace").splitlines()
    except OSError:
        return []
    return lines[-n:]


def mp4_files(folder):
    """[(path, size)] of the .mp4 files below folder."""
    out = []
    for root, _dirs, files in os.walk(folder):
        for name in files:
            if name.endswith(".mp4"):
                path = os.path.join(root, name)
                try:
                    out.append((path, os.path.getsize(path)))
                except OSError:
                    pass
    return out


def cam_ids(n):
    return [f"cam{k}" for k in range(1, n + 1)]


def short_list(items, limit=12):
    items = list(items)
    if len(items) <= limit:
        return ", ".join(items)
    return ", ".join(items[:limit]) + f", ... ({len(items)} in all)"


def fmt(value, spec=".2f", none="-"):
    return none if value is None else format(value, spec)


def ratio(a, b):
    if a is None or b is None or b == 0:
        return None
    return a / b


# ---- phases ----------------------------------------------------------------

def write_config(path, server_port, data, rtsp_port, n):
    lines = ["# Written by bench/record.py", "[server]", f"listen = 127.0.0.1:{server_port}",
             "", "[storage]", f"path = {data}", "segment_seconds = 60", "",
             "[area:bench]", "name = Bench"]
    for cam in cam_ids(n):
        lines += ["", f"[camera:{cam}]", "area = bench", f"url = rtsp://127.0.0.1:{rtsp_port}/{cam}"]
    lines += ["", "[designation:bench]", "area = bench", "decision = Benchmark",
              "valid_from = 2020-01-01T00:00:00Z", "valid_until = 2099-01-01T00:00:00Z",
              "dpia = DPIA-BENCH", "signage = yes"]
    with open(path, "w") as f:
        f.write("\n".join(lines) + "\n")


def verify(n, files_by_cam, rates, min_bytes, min_rate):
    """Problems with what was recorded: cameras without files, too small, not growing."""
    problems = []
    missing = [c for c in cam_ids(n) if not files_by_cam.get(c)]
    if missing:
        problems.append(f"no .mp4 for {len(missing)}/{n} cameras: {short_list(missing)}")
    small = [c for c in cam_ids(n)
             if files_by_cam.get(c) and sum(s for _p, s in files_by_cam[c]) < min_bytes]
    if small:
        problems.append(f"{len(small)}/{n} cameras recorded less than {min_bytes / 1e6:.1f} MB: "
                        f"{short_list(small)}")
    slow = [c for c in cam_ids(n) if rates.get(c, 0) < min_rate and c not in missing]
    if slow:
        problems.append(f"{len(slow)}/{n} cameras wrote less than {min_rate / 1e3:.0f} kB/s "
                        f"during the measured window: {short_list(slow)}")
    return problems


def wait_for_recording(proc, n, warmup, timeout, have_files):
    """Waits at least `warmup` s and until have_files() lists every camera (or timeout).
    Returns (seconds waited, cameras without files, exited)."""
    t0 = time.monotonic()
    while True:
        time.sleep(0.5)
        waited = time.monotonic() - t0
        exited = [p for p in proc if p.poll() is not None]
        if len(exited) == len(proc):
            return waited, [c for c in cam_ids(n) if c not in have_files()], True
        missing = [c for c in cam_ids(n) if c not in have_files()]
        if waited >= warmup and not missing:
            return waited, [], False
        if waited >= timeout:
            return waited, missing, False


def phase_uitkijk(args, children, n, rtsp_port, testcam_pid, folder):
    data = os.path.join(folder, "data")
    conf = os.path.join(folder, "uitkijk.conf")
    log_path = os.path.join(folder, "uitkijk.log")
    write_config(conf, free_port(), data, rtsp_port, n)
    result = {"problems": [], "log_notes": []}
    proc = children.start([args.uitkijk, "serve", "-c", conf], log_path)
    result["pid"] = proc.pid

    def files_by_cam():
        out = {}
        for cam in cam_ids(n):
            files = mp4_files(os.path.join(data, cam))
            if files:
                out[cam] = files
        return out

    def have_files():
        return {c for c, files in files_by_cam().items() if any(s > 0 for _p, s in files)}

    def camera_bytes():
        by_cam = files_by_cam()
        return {c: sum(s for _p, s in by_cam.get(c, [])) for c in cam_ids(n)}

    progress(f"N={n}: uitkijk serve (pid {proc.pid}), warming up")
    waited, missing, exited = wait_for_recording([proc], n, args.warmup, args.warmup_timeout,
                                                 have_files)
    result["warmup_s"] = round(waited, 1)
    if exited:
        result["problems"].append(f"uitkijk exited during warm-up with code {proc.returncode}")
        result["log_notes"] = tail(log_path)
        result["measurement"] = None
        return result
    if missing:
        result["problems"].append(f"after {waited:.0f} s of warm-up {len(missing)}/{n} cameras "
                                  f"had no segment yet: {short_list(missing)}")
    progress(f"N={n}: uitkijk measuring {args.seconds} s")
    m = measure([proc.pid], testcam_pid, args.seconds, camera_bytes)
    result["measurement"] = m
    if m["exited_during_measurement"]:
        result["problems"].append("uitkijk exited during the measurement")
    log_size_at_stop = os.path.getsize(log_path)
    t_stop = time.monotonic()
    (rc,), killed = children.stop([proc], timeout=30.0)
    result["stop_s"] = round(time.monotonic() - t_stop, 1)
    result["exit_code"] = rc
    if killed:
        result["problems"].append("uitkijk did not stop within 30 s of SIGTERM (killed)")
    elif rc != 0:
        result["problems"].append(f"uitkijk exited with code {rc}")

    # What was recorded: files, bytes per second during the window, index.
    files = files_by_cam()
    min_bytes = PLAUSIBLE_SHARE * NOMINAL_BYTES_PER_S * args.seconds
    result["problems"] += verify(n, files, m["camera_bytes_per_s"], min_bytes,
                                 PLAUSIBLE_SHARE * NOMINAL_BYTES_PER_S)
    result["files"] = sum(len(v) for v in files.values())
    result["bytes"] = sum(s for v in files.values() for _p, s in v)
    frames = {}
    no_index = []
    for cam in cam_ids(n):
        try:
            out = subprocess.run([args.uitkijk, "recordings", "-c", conf, cam, "--json"],
                                 capture_output=True, timeout=30, check=False)
            doc = json.loads(out.stdout or b"{}")
            frames[cam] = sum(int(s.get("frames", 0)) for s in doc.get("segments", []))
        except (subprocess.TimeoutExpired, ValueError, OSError):
            frames[cam] = 0
        if frames[cam] < PLAUSIBLE_SHARE * NOMINAL_FPS * args.seconds:
            no_index.append(cam)
    result["indexed_frames"] = frames
    if no_index:
        result["problems"].append(
            f"{len(no_index)}/{n} cameras have fewer than "
            f"{PLAUSIBLE_SHARE * NOMINAL_FPS * args.seconds:.0f} frames in the index "
            f"(uitkijk recordings): {short_list(no_index)}")

    # The log: warnings, errors, cameras that went down or connected more than once.
    with open(log_path, "rb") as f:
        text = f.read().decode(errors="replace")
    before_stop = text[:log_size_at_stop]
    notes = []
    for line in before_stop.splitlines():
        if re.search(r"WARNING|CRITICAL|ERROR|error|: down:", line):
            notes.append(line.strip())
    for line in text[log_size_at_stop:].splitlines():
        if re.search(r"WARNING|CRITICAL|ERROR|error", line):
            notes.append("(while stopping) " + line.strip())
    starts = {}
    for cam in re.findall(r"\b(cam\d+): recording\b", before_stop):
        starts[cam] = starts.get(cam, 0) + 1
    never = [c for c in cam_ids(n) if c not in starts]
    again = [c for c in cam_ids(n) if starts.get(c, 0) > 1]
    if never:
        notes.insert(0, f"log: {len(never)}/{n} cameras never logged 'recording': "
                        f"{short_list(never)}")
    if again:
        notes.insert(0, f"log: {len(again)}/{n} cameras started recording more than once "
                        f"(reconnects): {short_list(again)}")
    result["log_notes"] = notes
    return result


def phase_ffmpeg(args, children, n, rtsp_port, testcam_pid, folder):
    out_dir = os.path.join(folder, "out")
    log_dir = os.path.join(folder, "logs")
    os.makedirs(out_dir)
    os.makedirs(log_dir)
    result = {"problems": [], "log_notes": []}
    procs = []
    for k, cam in enumerate(cam_ids(n), 1):
        cmd = [args.ffmpeg, "-nostdin", "-loglevel", "error", "-rtsp_transport", "tcp",
               "-i", f"rtsp://127.0.0.1:{rtsp_port}/{cam}", "-c", "copy", "-f", "segment",
               "-segment_time", "60", "-reset_timestamps", "1",
               os.path.join(out_dir, f"cam{k}-%03d.mp4")]
        procs.append(children.start(cmd, os.path.join(log_dir, f"{cam}.log")))

    def files_by_cam():
        out = {}
        for path, size in mp4_files(out_dir):
            cam = os.path.basename(path).split("-", 1)[0]
            out.setdefault(cam, []).append((path, size))
        return out

    def have_files():
        return {c for c, files in files_by_cam().items() if any(s > 0 for _p, s in files)}

    def camera_bytes():
        by_cam = files_by_cam()
        return {c: sum(s for _p, s in by_cam.get(c, [])) for c in cam_ids(n)}

    progress(f"N={n}: {n} ffmpeg process(es), warming up")
    waited, missing, exited = wait_for_recording(procs, n, args.warmup, args.warmup_timeout,
                                                 have_files)
    result["warmup_s"] = round(waited, 1)
    dead = [cam for cam, p in zip(cam_ids(n), procs) if p.poll() is not None]
    if dead:
        result["problems"].append(f"{len(dead)}/{n} ffmpeg processes exited during warm-up: "
                                  f"{short_list(dead)}")
    if missing:
        result["problems"].append(f"after {waited:.0f} s of warm-up {len(missing)}/{n} ffmpeg "
                                  f"outputs had no file yet: {short_list(missing)}")
    if exited:
        result["measurement"] = None
    else:
        progress(f"N={n}: ffmpeg measuring {args.seconds} s")
        live = [p.pid for p in procs if p.poll() is None]
        m = measure(live, testcam_pid, args.seconds, camera_bytes)
        result["measurement"] = m
        if m["exited_during_measurement"]:
            result["problems"].append(f"{len(m['exited_during_measurement'])} ffmpeg processes "
                                      f"exited during the measurement")
    t_stop = time.monotonic()
    codes, killed = children.stop(procs, timeout=30.0)
    result["stop_s"] = round(time.monotonic() - t_stop, 1)
    if killed:
        result["problems"].append(f"{len(killed)} ffmpeg processes did not stop within 30 s "
                                  f"of SIGTERM (killed)")
    # ffmpeg exits with 255 when it stops on SIGTERM; that is normal.
    odd = sorted({c for c in codes if c not in (0, 255, -signal.SIGTERM)})
    if odd:
        result["problems"].append(f"ffmpeg exit codes {odd}")
    files = files_by_cam()
    m = result["measurement"]
    rates = m["camera_bytes_per_s"] if m else {}
    min_bytes = PLAUSIBLE_SHARE * NOMINAL_BYTES_PER_S * args.seconds
    result["problems"] += verify(n, files, rates, min_bytes,
                                 PLAUSIBLE_SHARE * NOMINAL_BYTES_PER_S)
    result["files"] = sum(len(v) for v in files.values())
    result["bytes"] = sum(s for v in files.values() for _p, s in v)
    notes = []
    for cam in cam_ids(n):
        for line in tail(os.path.join(log_dir, f"{cam}.log"), 3):
            if line.strip():
                notes.append(f"{cam}: {line.strip()}")
    result["log_notes"] = notes
    return result


def start_testcam(args, children, n, folder):
    port = free_port()
    log_path = os.path.join(folder, f"testcam-{n}.log")
    proc = children.start([args.uitkijk, "testcam", "--cameras", str(n), "--port", str(port),
                           "--clip-seconds", str(args.clip_seconds)], log_path)
    progress(f"N={n}: testcam (pid {proc.pid}) on port {port}, encoding its clip")
    deadline = time.monotonic() + 300
    while not port_open(port):
        if proc.poll() is not None:
            raise RuntimeError(f"uitkijk testcam exited with code {proc.returncode}:\n  "
                               + "\n  ".join(tail(log_path)))
        if time.monotonic() > deadline:
            raise RuntimeError("uitkijk testcam did not accept connections within 300 s")
        time.sleep(0.2)
    return proc, port, log_path


# ---- reporting -------------------------------------------------------------

def per_cam(m, n):
    if not m:
        return None, None, None, None
    return (m["cpu_pct_total"] / n, m["rss_peak_kb"] * 1024 / MB / n,
            m["rss_mean_kb"] * 1024 / MB / n, m["pss_mean_kb"] * 1024 / MB / n)


def summarize(n, uk, ff, tc_uk, tc_ff):
    uk_cpu, uk_rss, uk_rss_mean, uk_pss = per_cam(uk["measurement"], n)
    ff_cpu, ff_rss, ff_rss_mean, ff_pss = per_cam(ff["measurement"], n)
    return {
        "cameras": n,
        "uitkijk": {"cpu_pct_per_camera": uk_cpu, "rss_mb_per_camera": uk_rss,
                    "rss_mean_mb_per_camera": uk_rss_mean, "pss_mb_per_camera": uk_pss,
                    "recorded_ok": not uk["problems"], **uk},
        "ffmpeg": {"cpu_pct_per_camera": ff_cpu, "rss_mb_per_camera": ff_rss,
                   "rss_mean_mb_per_camera": ff_rss_mean, "pss_mb_per_camera": ff_pss,
                   "recorded_ok": not ff["problems"], **ff},
        "cpu_ratio": ratio(uk_cpu, ff_cpu),
        "rss_ratio": ratio(uk_rss, ff_rss),
        "pss_ratio": ratio(uk_pss, ff_pss),
        "testcam_cpu_pct": {"uitkijk_phase": tc_uk, "ffmpeg_phase": tc_ff},
    }


def print_report(rows, args, header):
    print()
    print("uitkijk recording benchmark")
    for line in header:
        print(f"  {line}")
    print(f"  {args.seconds} s measured per phase after >= {args.warmup} s warm-up; "
          f"CPU = % of one core (utime+stime); RSS = peak VmRSS; MB = MiB; per cam = total/N")
    print()
    cols = ["N", "uitkijk CPU%/cam", "uitkijk RSS MB/cam", "ffmpeg CPU%/cam",
            "ffmpeg RSS MB/cam", "CPU ratio", "RSS ratio", "testcam CPU% (uk/ff)", "recorded"]
    table = []
    for r in rows:
        uk, ff = r["uitkijk"], r["ffmpeg"]
        tc = r["testcam_cpu_pct"]
        status = []
        if not uk["recorded_ok"]:
            status.append("!!! UITKIJK FAILED")
        if not ff["recorded_ok"]:
            status.append("!!! FFMPEG FAILED")
        table.append([str(r["cameras"]), fmt(uk["cpu_pct_per_camera"], ".3f"),
                      fmt(uk["rss_mb_per_camera"], ".2f"), fmt(ff["cpu_pct_per_camera"], ".3f"),
                      fmt(ff["rss_mb_per_camera"], ".2f"), fmt(r["cpu_ratio"], ".2f"),
                      fmt(r["rss_ratio"], ".2f"),
                      f"{fmt(tc['uitkijk_phase'], '.1f')} / {fmt(tc['ffmpeg_phase'], '.1f')}",
                      " ".join(status) or "ok"])
    widths = [max(len(c), *(len(row[i]) for row in table)) if table else len(c)
              for i, c in enumerate(cols)]
    line = " | ".join(c.rjust(w) if i < len(cols) - 1 else c for i, (c, w) in
                      enumerate(zip(cols, widths)))
    print(line)
    print("-" * len(line))
    for row in table:
        print(" | ".join(v.rjust(w) if i < len(cols) - 1 else v for i, (v, w) in
                         enumerate(zip(row, widths))))
    print()

    # Details: mean RSS, PSS, host load, problems, log lines.
    print("Details (RSS mean / PSS mean in MB per camera; host = whole machine busy %):")
    for r in rows:
        n = r["cameras"]
        for name in ("uitkijk", "ffmpeg"):
            p = r[name]
            m = p["measurement"]
            extra = ""
            rates = list(m["camera_bytes_per_s"].values()) if m else []
            if m:
                extra = (f"RSS mean {fmt(p['rss_mean_mb_per_camera'])}, "
                         f"PSS {fmt(p['pss_mb_per_camera'])}, host busy "
                         f"{fmt(m['host_busy_pct'], '.0f')}%, CPU ticks {m['cpu_ticks']} in "
                         f"{m['elapsed_s']:.1f} s, ")
            print(f"  N={n} {name}: {extra}warm-up {p.get('warmup_s')} s, "
                  f"stop {p.get('stop_s')} s, {p.get('files', 0)} files, "
                  f"{p.get('bytes', 0) / 1e6:.0f} MB recorded")
            if rates:
                print(f"    written per camera during the window: min {min(rates) / 1e3:.0f} / "
                      f"mean {sum(rates) / len(rates) / 1e3:.0f} / max {max(rates) / 1e3:.0f} "
                      f"kB/s (testcam sends ~{NOMINAL_BYTES_PER_S / 1e3:.0f}-400)")
            if m and m["host_busy_pct"] is not None:
                others = (m["host_busy_pct"] * (os.cpu_count() or 1) - m["cpu_pct_total"]
                          - (m["testcam_cpu_pct"] or 0))
                print(f"    CPU in % of one core: {name} {m['cpu_pct_total']:.1f}, testcam "
                      f"{fmt(m['testcam_cpu_pct'], '.1f')}, everything else on the machine "
                      f"{max(0.0, others):.1f} (kernel, other work)")
            if m and m["host_busy_pct"] is not None and m["host_busy_pct"] >= 90:
                print(f"    note: the host was {m['host_busy_pct']:.0f}% busy (all cores): "
                      f"testcam may have skipped frames and the recorders had less to do; "
                      f"compare the kB/s above between the two phases")
            for problem in p["problems"]:
                print(f"    !!! WARNING: {problem}")
            notes = p["log_notes"]
            for note in notes[:args.log_lines]:
                print(f"    log: {note}")
            if len(notes) > args.log_lines:
                print(f"    log: ... {len(notes) - args.log_lines} more lines")
        if r.get("testcam_log"):
            for note in r["testcam_log"][:args.log_lines]:
                print(f"  N={n} testcam log: {note}")
    # Marginal cost: what each camera added between two camera counts.
    ok_rows = [r for r in rows if r["uitkijk"]["measurement"] and r["ffmpeg"]["measurement"]]
    for a, b in zip(ok_rows, ok_rows[1:]):
        na, nb = a["cameras"], b["cameras"]
        if nb <= na:
            continue
        parts = []
        for name in ("uitkijk", "ffmpeg"):
            ma, mb = a[name]["measurement"], b[name]["measurement"]
            cpu = (mb["cpu_pct_total"] - ma["cpu_pct_total"]) / (nb - na)
            rss = (mb["rss_peak_kb"] - ma["rss_peak_kb"]) * 1024 / MB / (nb - na)
            parts.append(f"{name} {cpu:+.3f}% CPU, {rss:+.2f} MB RSS")
        print(f"  marginal per added camera, N={na} -> {nb}: " + "; ".join(parts))
    print()

    # Targets, for uitkijk at N = 64 (or the largest N measured).
    print("Targets:")
    by_n = {r["cameras"]: r for r in rows}
    if TARGET_N in by_n:
        r, where = by_n[TARGET_N], f"N={TARGET_N}"
    elif rows:
        r = max(rows, key=lambda x: x["cameras"])
        where = f"N={r['cameras']} (the targets are for N={TARGET_N}, which was not run)"
    else:
        r, where = None, "nothing measured"
    targets = []
    if r:
        uk = r["uitkijk"]
        valid = uk["recorded_ok"]
        ff_valid = r["ffmpeg"]["recorded_ok"]

        def verdict(value, limit, ok_valid=True):
            if value is None:
                return "not met (not measured)"
            if not ok_valid:
                return "not met (the phase did not record every camera)"
            return "met" if value <= limit else "not met"

        targets = [
            (f"uitkijk CPU per camera <= {TARGET_CPU_PCT}% of a core",
             uk["cpu_pct_per_camera"], TARGET_CPU_PCT, "%", valid),
            (f"uitkijk RSS per camera <= {TARGET_RSS_MB} MB",
             uk["rss_mb_per_camera"], TARGET_RSS_MB, " MB", valid),
            (f"uitkijk CPU per camera <= {TARGET_CPU_RATIO} x ffmpeg's",
             r["cpu_ratio"], TARGET_CPU_RATIO, " x", valid and ff_valid),
        ]
        results = []
        for label, value, limit, unit, ok_valid in targets:
            v = verdict(value, limit, ok_valid)
            results.append({"target": label, "value": value, "limit": limit, "verdict": v})
            print(f"  {label} at {where}: {fmt(value, '.3f')}{unit} -> {v}")
        targets = results
    else:
        print(f"  {where}")
    return targets


# ---- main ------------------------------------------------------------------

def parse_args():
    here = os.path.dirname(os.path.abspath(__file__))
    default_uitkijk = os.environ.get("UITKIJK") or os.path.join(here, "..", "build", "app",
                                                                "uitkijk")
    ap = argparse.ArgumentParser(
        description="Recording benchmark: CPU and RSS per camera of uitkijk versus one "
                    "ffmpeg process per camera, against simulated RTSP cameras.")
    ap.add_argument("--cameras", default=",".join(map(str, DEFAULT_CAMERAS)),
                    help="comma-separated camera counts (default %(default)s)")
    ap.add_argument("--seconds", type=float, default=DEFAULT_SECONDS,
                    help="measured seconds per phase (default %(default)s)")
    ap.add_argument("--warmup", type=float, default=DEFAULT_WARMUP,
                    help="minimum warm-up seconds before measuring (default %(default)s)")
    ap.add_argument("--warmup-timeout", type=float, default=60,
                    help="give up waiting for every camera to record after this many "
                         "seconds and measure anyway, with a warning (default %(default)s)")
    ap.add_argument("--clip-seconds", type=int, default=4,
                    help="length of testcam's looped clip (default %(default)s)")
    ap.add_argument("--uitkijk", default=default_uitkijk,
                    help="uitkijk binary (default $UITKIJK or ../build/app/uitkijk relative "
                         "to this script)")
    ap.add_argument("--ffmpeg", default="ffmpeg", help="ffmpeg binary (default from PATH)")
    ap.add_argument("--json", metavar="FILE", help="also write the results as JSON to FILE")
    ap.add_argument("--keep", action="store_true",
                    help="keep the temporary folder (configs, logs, recordings)")
    ap.add_argument("--tmpdir", help="where to make the temporary folder (default $TMPDIR "
                                     "or /tmp)")
    ap.add_argument("--log-lines", type=int, default=10,
                    help="log lines to show per phase in the details (default %(default)s)")
    args = ap.parse_args()
    try:
        args.cameras = [int(x) for x in args.cameras.split(",") if x.strip()]
    except ValueError:
        ap.error("--cameras takes numbers separated by commas, e.g. 1,8")
    if not args.cameras or any(n < 1 or n > 256 for n in args.cameras):
        ap.error("--cameras: each count must be 1..256")
    if args.seconds <= 0 or args.warmup < 0:
        ap.error("--seconds must be > 0 and --warmup >= 0")
    args.uitkijk = os.path.abspath(args.uitkijk)
    if not os.access(args.uitkijk, os.X_OK):
        ap.error(f"uitkijk binary not found or not executable: {args.uitkijk} "
                 f"(build it first, or pass --uitkijk PATH / set $UITKIJK)")
    ffmpeg = shutil.which(args.ffmpeg)
    if not ffmpeg:
        ap.error(f"ffmpeg not found: {args.ffmpeg}")
    args.ffmpeg = ffmpeg
    return args


def build_info(uitkijk):
    """Build type and sanitizer flag from the CMake cache next to the binary, if any."""
    folder = os.path.dirname(uitkijk)
    for _ in range(3):
        cache = os.path.join(folder, "CMakeCache.txt")
        if os.path.exists(cache):
            info = {}
            with open(cache) as f:
                for line in f:
                    for key in ("CMAKE_BUILD_TYPE", "UK_SANITIZE"):
                        if line.startswith(key + ":"):
                            info[key] = line.split("=", 1)[1].strip()
            return ", ".join(f"{k}={v}" for k, v in info.items()) or None
        folder = os.path.dirname(folder)
    return None


def on_signal(signum, _frame):
    raise KeyboardInterrupt(f"signal {signum}")


def main():
    args = parse_args()
    # Installed explicitly: a shell starts background jobs with SIGINT ignored, and
    # Ctrl-C or kill -INT must still stop the children and clean up.
    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGHUP, on_signal)
    try:
        ffver = subprocess.run([args.ffmpeg, "-version"], capture_output=True, text=True,
                               check=False).stdout.splitlines()[0]
    except (OSError, IndexError):
        ffver = "ffmpeg (version unknown)"
    header = [f"uitkijk: {args.uitkijk}" + (f" ({b})" if (b := build_info(args.uitkijk)) else ""),
              ffver,
              f"host: {platform.node()}, {os.cpu_count()} CPUs, {platform.release()}, "
              f"CLK_TCK {CLK_TCK}, load {open('/proc/loadavg').read().split()[0]} at start",
              f"cameras: testcam H.264 1280x720 25 fps ~3 Mbit/s, clip {args.clip_seconds} s"]
    children = Children()
    top = tempfile.mkdtemp(prefix="uitkijk-bench-", dir=args.tmpdir)
    rows = []
    interrupted = False
    error = None
    try:
        for n in args.cameras:
            nfolder = os.path.join(top, f"n{n}")
            os.makedirs(nfolder)
            tc, port, tc_log = start_testcam(args, children, n, nfolder)
            time.sleep(1.0)
            uk_folder = os.path.join(nfolder, "uitkijk")
            os.makedirs(uk_folder)
            uk = phase_uitkijk(args, children, n, port, tc.pid, uk_folder)
            if not args.keep:
                shutil.rmtree(os.path.join(uk_folder, "data"), ignore_errors=True)
            # Let testcam tear down uitkijk's sessions before the next phase.
            time.sleep(2.0)
            ff_folder = os.path.join(nfolder, "ffmpeg")
            os.makedirs(ff_folder)
            ff = phase_ffmpeg(args, children, n, port, tc.pid, ff_folder)
            if not args.keep:
                shutil.rmtree(os.path.join(ff_folder, "out"), ignore_errors=True)
            tc_died = tc.poll() is not None
            children.stop([tc], timeout=15.0)
            tc_notes = [l.strip() for l in tail(tc_log, 50)
                        if re.search(r"WARNING|CRITICAL|ERROR|error", l)]
            if tc_died:
                tc_notes.insert(0, f"testcam exited by itself with code {tc.returncode}")
            row = summarize(
                n, uk, ff,
                uk["measurement"]["testcam_cpu_pct"] if uk["measurement"] else None,
                ff["measurement"]["testcam_cpu_pct"] if ff["measurement"] else None)
            row["testcam_log"] = tc_notes
            rows.append(row)
            r = row
            progress(f"N={n}: uitkijk {fmt(r['uitkijk']['cpu_pct_per_camera'], '.3f')}%/cam "
                     f"{fmt(r['uitkijk']['rss_mb_per_camera'])} MB/cam; ffmpeg "
                     f"{fmt(r['ffmpeg']['cpu_pct_per_camera'], '.3f')}%/cam "
                     f"{fmt(r['ffmpeg']['rss_mb_per_camera'])} MB/cam"
                     + ("" if r["uitkijk"]["recorded_ok"] and r["ffmpeg"]["recorded_ok"]
                        else " (WITH WARNINGS)"))
    except KeyboardInterrupt:
        interrupted = True
        progress("interrupted; stopping child processes")
    except Exception as e:  # report what was measured so far, then the error
        error = str(e) if isinstance(e, RuntimeError) else f"{type(e).__name__}: {e}"
        if not isinstance(e, RuntimeError):
            traceback.print_exc()
        progress("error; stopping child processes")
    finally:
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        children.stop_all()
        if args.keep:
            progress(f"kept {top}")
        else:
            shutil.rmtree(top, ignore_errors=True)
        signal.signal(signal.SIGINT, signal.default_int_handler)

    targets = print_report(rows, args, header) if rows else []
    if interrupted:
        print("\n!!! interrupted: " + ("the results above are incomplete" if rows
                                        else "no camera count was finished"))
    if args.json:
        doc = {"header": header, "seconds": args.seconds, "warmup_min_s": args.warmup,
               "targets": targets, "results": rows, "interrupted": interrupted,
               "error": error, "mb": MB, "clk_tck": CLK_TCK}
        with open(args.json, "w") as f:
            json.dump(doc, f, indent=2)
        print(f"\nJSON written to {args.json}")
    if error:
        print(f"\n!!! ERROR, the run stopped early: {error}")
        return 1
    if interrupted:
        return 130
    ok = all(r["uitkijk"]["recorded_ok"] and r["ffmpeg"]["recorded_ok"] for r in rows)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
