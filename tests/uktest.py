"""Shared helpers for uitkijk's black-box tests.

The tests start the real `uitkijk` binary (path in $UITKIJK) on free ports,
with real simulated cameras (`uitkijk testcam`, gst-rtsp-server), real sqlite
files in a temporary folder, and check recordings with the real ffprobe.
"""
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

UITKIJK = os.environ.get("UITKIJK", "uitkijk")
SEI_RE = re.compile(rb"uitkijk capture_us=(\d+) frame=(\d+) cam=(\d+)")


def log(*args):
    print(*args, flush=True)


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_until(what, fn, timeout, interval=0.2):
    deadline = time.monotonic() + timeout
    while True:
        value = fn()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        time.sleep(interval)


def proc_kb(pid, field="VmRSS"):
    """A figure of /proc/PID/status in kB (VmRSS, VmHWM, ...); None when the
    process or the line is gone (a zombie has no VmRSS)."""
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith(field + ":"):
                    return int(line.split()[1])
    except OSError:
        pass
    return None


def port_open(port):
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5):
            return True
    except OSError:
        return False


class Proc:
    """A child process whose output goes to a log file in the test folder."""

    def __init__(self, name, args, folder):
        self.name = name
        self.log_path = os.path.join(folder, f"{name}.log")
        self.log = open(self.log_path, "ab")
        self.p = subprocess.Popen(args, stdout=self.log, stderr=subprocess.STDOUT,
                                  stdin=subprocess.DEVNULL)

    def alive(self):
        return self.p.poll() is None

    def stop(self, sig=signal.SIGTERM, timeout=30):
        if self.alive():
            self.p.send_signal(sig)
            try:
                self.p.wait(timeout)
            except subprocess.TimeoutExpired:
                self.p.kill()
                self.p.wait()
        self.log.close()
        return self.p.returncode

    def tail(self, n=30):
        with open(self.log_path, "rb") as f:
            return b"\n".join(f.read().splitlines()[-n:]).decode(errors="replace")


def start_testcam(folder, port, cameras=1, drift_ppm=0, h265=False, name="testcam"):
    args = [UITKIJK, "testcam", "--cameras", str(cameras), "--port", str(port),
            "--clip-seconds", "4"]
    if drift_ppm:
        args += ["--drift-ppm", str(drift_ppm)]
    if h265:
        args.append("--h265")
    proc = Proc(name, args, folder)
    wait_until(f"{name} listening on {port}", lambda: port_open(port) or not proc.alive(), 60)
    assert proc.alive(), proc.tail()
    return proc


def write_config(folder, cameras, segment_seconds=60, listen_port=None, extra="", designated=True):
    """cameras: list of (camera_id, area_id, url). Each area gets a designation
    valid from 2020 to 2099 (cameras record only in a designated area) unless
    designated is False, or a set of the areas that get one."""
    listen_port = listen_port or free_port()
    lines = ["[server]", f"listen = 127.0.0.1:{listen_port}", "",
             "[storage]", f"path = {folder}/data", f"segment_seconds = {segment_seconds}", ""]
    for area in sorted({c[1] for c in cameras}):
        lines += [f"[area:{area}]", f"name = Area {area}", ""]
        if designated is True or (designated and area in designated):
            lines += [f"[designation:{area}-test]", f"area = {area}",
                      f"decision = Testbesluit cameratoezicht {area}",
                      "valid_from = 2020-01-01T00:00:00Z", "valid_until = 2099-01-01T00:00:00Z",
                      "dpia = DPIA-TEST-1", "signage = yes", ""]
    for cam, area, url in cameras:
        lines += [f"[camera:{cam}]", f"area = {area}", f"url = {url}", ""]
    path = os.path.join(folder, "uitkijk.conf")
    with open(path, "w") as f:
        f.write("\n".join(lines) + extra)
    return path


def http(port, method, path, headers=None, body=None, timeout=30):
    """One HTTP request to the daemon: (status, headers with Title-Case names, body bytes)."""
    import http.client
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    c.request(method, path, body=body, headers=headers or {})
    r = c.getresponse()
    data = r.read()
    c.close()
    return r.status, {k.title(): v for k, v in r.getheaders()}, data


def session_cookie(port, user):
    """Logs @user in over POST /login: the "uk_session=..." cookie."""
    status, headers, _ = http(port, "POST", "/login", {"Content-Type": "application/json"},
                              json.dumps({"user": user, "password": f"wachtwoord-{user}"}))
    assert status == 200, status
    return headers["Set-Cookie"].split(";")[0]


def add_users(config, users):
    """users: (name, role, areas or None); the password is "wachtwoord-NAME"
    (it_console.password)."""
    for name, role, areas in users:
        args = [UITKIJK, "user", "add", "-c", config, name, "--role", role, "--password-stdin"]
        if areas:
            args += ["--areas", areas]
        r = subprocess.run(args, input=f"wachtwoord-{name}\n", capture_output=True, text=True)
        assert r.returncode == 0, r.stderr


def start_serve(folder, config, name="serve"):
    return Proc(name, [UITKIJK, "serve", "-c", config], folder)


def cli(*args, check=True):
    r = subprocess.run([UITKIJK, *args], capture_output=True, text=True, timeout=60)
    if check and r.returncode != 0:
        raise AssertionError(f"uitkijk {' '.join(args)} exited {r.returncode}: {r.stderr}")
    return r


def recordings(config, camera, *extra):
    return json.loads(cli("recordings", "-c", config, camera, "--json", *extra).stdout)


def complete_segments(config, camera):
    return [s for s in recordings(config, camera)["segments"] if s["complete"]]


def wait_complete_segments(config, camera, n, timeout=40):
    """At least @n complete segments of @camera (the list)."""
    return wait_until(f"{n} complete segments of {camera}", lambda: (
        lambda segs: segs if len(segs) >= n else None)(complete_segments(config, camera)), timeout, 0.5)


def locate(config, camera, t):
    r = cli("locate", "-c", config, camera, t, "--json", check=False)
    return (json.loads(r.stdout) if r.returncode == 0 else None), r


def rfc3339(us):
    """Formats microseconds since the epoch as RFC 3339 UTC with milliseconds (floor)."""
    secs, rem = divmod(int(us), 1_000_000)
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(secs)) + f".{rem // 1000:03d}Z"


def parse_rfc3339_us(text):
    """Parses the UTC form uitkijk prints into microseconds."""
    import calendar
    main, frac = text.rstrip("Z").split(".")
    secs = calendar.timegm(time.strptime(main, "%Y-%m-%dT%H:%M:%S"))
    return secs * 1_000_000 + int(frac.ljust(6, "0")[:6])


def sei_of(data):
    m = SEI_RE.search(data)
    if not m:
        return None
    return {"capture_us": int(m.group(1)), "frame": int(m.group(2)), "cam": int(m.group(3))}


def probe_frames(path):
    """Every packet of a recording, read by ffprobe: pts_time, key flag, and the
    capture time and frame number of the simulated camera's SEI."""
    r = subprocess.run(["ffprobe", "-v", "error", "-select_streams", "v:0", "-show_packets",
                        "-show_data", "-of", "json", path], capture_output=True, text=True,
                       timeout=120)
    assert r.returncode == 0, f"ffprobe failed on {path}: {r.stderr}"
    assert r.stderr.strip() == "", f"ffprobe reported errors on {path}: {r.stderr}"
    frames = []
    for p in json.loads(r.stdout).get("packets", []):
        hexdump = "".join(line[10:49].replace(" ", "") for line in p["data"].splitlines())
        data = bytes.fromhex(hexdump)
        sei = sei_of(data) or {}
        frames.append({"pts_time": float(p["pts_time"]), "key": "K" in p.get("flags", ""),
                       "capture_us": sei.get("capture_us"), "frame": sei.get("frame")})
    return frames


def tmpdir(name):
    return tempfile.mkdtemp(prefix=f"uk-{name}-")


class Tests:
    """A tiny runner: each test_* method runs in order; prints a summary line."""

    def run(self):
        names = [n for n in dir(self) if n.startswith("test_")]
        names.sort(key=lambda n: getattr(self, n).__code__.co_firstlineno)
        only = os.environ.get("UK_ONLY")
        passed = failed = 0
        for n in names:
            if only and only not in n:
                continue
            t0 = time.monotonic()
            try:
                getattr(self, n)()
                passed += 1
                log(f"ok   {n} ({time.monotonic() - t0:.1f} s)")
            except Exception as e:  # noqa: BLE001 - report every failure
                failed += 1
                log(f"FAIL {n}: {type(e).__name__}: {e}")
                import traceback
                traceback.print_exc()
        if hasattr(self, "cleanup"):
            self.cleanup()
        log(f"{passed} passed, {failed} failed")
        sys.exit(1 if failed else 0)


# ---- browser tests (tests/browser/*.test.mjs, driven by tests/it_ui_*.py) ----

BROWSER_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "browser")
CHROMIUM = os.environ.get("UK_CHROMIUM", "/usr/bin/chromium")


def browser_missing():
    """What a browser test lacks (None: nothing); tools/setup.sh installs it."""
    if not os.access(CHROMIUM, os.X_OK):
        return f"{CHROMIUM} (apt-get install chromium)"
    if not shutil.which("node"):
        return "node"
    if not os.path.isdir(os.path.join(BROWSER_DIR, "node_modules", "playwright-core")):
        return "tests/browser/node_modules (npm ci --prefix tests/browser)"
    return None


def screenshot_dir(role):
    """The folder a browser test saves its screenshots in: $UK_SCREENSHOTS/ROLE
    (ctest sets it to <build>/screenshots), printed so people can find it."""
    base = os.environ.get("UK_SCREENSHOTS") or os.path.join(tempfile.gettempdir(), "uitkijk-screenshots")
    d = os.path.join(os.path.abspath(base), role)
    os.makedirs(d, exist_ok=True)
    log(f"screenshots: {d}")
    return d


def run_node(script, args, on_command=None, timeout=180):
    """Runs tests/browser/SCRIPT with node, logging its output. A line
    "@@ WORD ..." calls on_command(line) and sends its return (or "ok") back
    on stdin. Returns (exit code, last line)."""
    import threading
    node = subprocess.Popen(["node", os.path.join(BROWSER_DIR, script), *args], stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, cwd=BROWSER_DIR)
    watchdog = threading.Timer(timeout, node.kill)
    watchdog.start()
    last = ""
    try:
        for line in node.stdout:
            line = line.rstrip("\n")
            log("  node: " + line)
            last = line or last
            if line.startswith("@@ ") and on_command:
                answer = on_command(line[3:]) or "ok"
                node.stdin.write(answer + "\n")
                node.stdin.flush()
        rc = node.wait()
    finally:
        watchdog.cancel()
        if node.poll() is None:
            node.kill()
            node.wait()
    return rc, last


class DaemonTests(Tests):
    """Tests against processes started in setup() (testcams, the daemon):
    a test folder named after @name, and every process in self.procs
    stopped at the end, also when setup() itself fails."""

    def __init__(self, name):
        self.dir = tmpdir(name)
        log("test folder:", self.dir)
        self.procs = []
        try:
            self.setup()
        except BaseException:
            self.cleanup()  # no process outlives a failed set-up
            raise

    def start(self, proc):
        """Keeps @proc (a Proc) to stop it at the end; returns it."""
        self.procs.append(proc)
        return proc

    def cleanup(self):
        for p in reversed(self.procs):
            p.stop()
        self.procs = []
