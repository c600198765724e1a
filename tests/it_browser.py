"""Browser test of the console's live view: the real daemon and simulated
cameras (H.264 and H.265), driven from Debian's chromium by playwright-core
(tests/browser/live.test.mjs; no browser is downloaded). The browser logs in
through the form, watches both cameras, sees the H.264 one decode with frame
times near now and the H.265 one explain itself, sees the H.264 camera go down
when this script kills its simulated camera and play on when it comes back
(a new stream), and stops the view; this script then checks the views' audit
rows.

Skips (exit 77) when /usr/bin/chromium, node or tests/browser/node_modules is
missing: tools/setup.sh installs them."""
import os
import signal
import subprocess
import sys
import threading
import time

import uktest as u
from it_console import password

BROWSER_DIR = u.BROWSER_DIR


class BrowserTests(u.Tests):
    def __init__(self):
        self.dir = u.tmpdir("browser")
        u.log("test folder:", self.dir)
        self.cam = self.h265 = self.serve = None
        try:
            self.setup()
        except BaseException:
            self.cleanup()  # no process outlives a failed set-up
            raise

    def setup(self):
        self.cam_port, self.h265_port, self.port = u.free_port(), u.free_port(), u.free_port()
        self.cam = u.start_testcam(self.dir, self.cam_port, cameras=1)
        self.h265 = u.start_testcam(self.dir, self.h265_port, cameras=1, h265=True, name="testcam-h265")
        self.config = u.write_config(self.dir, [
            ("station-1", "station", f"rtsp://127.0.0.1:{self.cam_port}/cam1"),
            ("station-h", "station", f"rtsp://127.0.0.1:{self.h265_port}/cam1"),
        ], segment_seconds=4, listen_port=self.port)
        r = subprocess.run([u.UITKIJK, "user", "add", "-c", self.config, "op", "--role", "operator",
                            "--areas", "station", "--password-stdin"],
                           input=password("op") + "\n", capture_output=True, text=True)
        assert r.returncode == 0, r.stderr
        self.serve = u.start_serve(self.dir, self.config)
        u.wait_until("the console", lambda: u.port_open(self.port), 30)
        for cam in ("station-1", "station-h"):
            u.wait_until(f"{cam} recording", lambda: u.recordings(self.config, cam)["segments"], 30, 0.3)

    def cleanup(self):
        for p in (self.serve, self.cam, self.h265):
            if p:
                p.stop()

    def test_live_in_browser(self):
        shots = os.path.join(self.dir, "screenshots")
        os.makedirs(shots)
        args = ["node", os.path.join(BROWSER_DIR, "live.test.mjs"), f"http://127.0.0.1:{self.port}/",
                "op", password("op"), "--h264", "station-1", "--h265", "station-h", "--control",
                "--screenshots", shots]
        t0 = time.monotonic()
        node = subprocess.Popen(args, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                stderr=subprocess.STDOUT, text=True, cwd=BROWSER_DIR)
        watchdog = threading.Timer(120, node.kill)
        watchdog.start()
        last = ""
        try:
            for line in node.stdout:
                line = line.rstrip("\n")
                u.log("  node: " + line)
                last = line or last
                if line == "@@ kill-camera":
                    self.cam.stop(signal.SIGKILL)
                    node.stdin.write("ok\n")
                elif line == "@@ restart-camera":
                    self.cam = u.start_testcam(self.dir, self.cam_port, cameras=1, name="testcam-2")
                    node.stdin.write("ok\n")
                else:
                    continue
                node.stdin.flush()
            rc = node.wait()
        finally:
            watchdog.cancel()
            if node.poll() is None:
                node.kill()
                node.wait()
        u.log(f"browser part took {time.monotonic() - t0:.1f} s; screenshots in {shots}")
        assert rc == 0, f"live.test.mjs exited {rc}\nserve log:\n{self.serve.tail()}"
        assert last.endswith(" 0 failed"), last
        # The views the browser opened and closed are audited.
        time.sleep(0.5)
        rows = subprocess.run(["sqlite3", os.path.join(self.dir, "data", "uitkijk.db"),
                               "SELECT action || '|' || actor || '|' || camera FROM audit "
                               "WHERE action LIKE 'live_view_%'"],
                              capture_output=True, text=True).stdout.split()
        # The H.265 camera is never streamed (it cannot be shown): no view.
        for row in ("live_view_start|op|station-1", "live_view_stop|op|station-1"):
            assert row in rows, (row, rows)
        assert not any(r.endswith("|station-h") for r in rows), rows


if __name__ == "__main__":
    why = u.browser_missing()
    if why:
        u.log(f"SKIP: missing {why}")
        sys.exit(77)
    BrowserTests().run()
