"""Browser test of the operator's and the supervisor's console
(tests/browser/operator.test.mjs in Debian's chromium, driven by
playwright-core) against the real daemon with two simulated cameras: the
grid layouts, watching, an incident logged with the keyboard alone (checked
here in the database: the position is the frame the tile showed), the feed,
playback from the feed, the page at 1366x768, and the supervisor's plans.
Screenshots of every page go to uktest.screenshot_dir("operator").

Skips (exit 77) when chromium, node or tests/browser/node_modules is missing."""
import json
import os
import sqlite3
import sys

import uktest as u
from it_console import password


class OperatorUiTests(u.DaemonTests):
    def __init__(self):
        super().__init__("ui-operator")

    def setup(self):
        self.cam_port, self.port = u.free_port(), u.free_port()
        self.cam = self.start(u.start_testcam(self.dir, self.cam_port, cameras=2))
        self.config = u.write_config(self.dir, [
            ("station-1", "station", f"rtsp://127.0.0.1:{self.cam_port}/cam1"),
            ("station-2", "station", f"rtsp://127.0.0.1:{self.cam_port}/cam2"),
        ], segment_seconds=4, listen_port=self.port)
        u.add_users(self.config, [("anna", "operator", "station"), ("sup", "supervisor", "station")])
        self.serve = self.start(u.start_serve(self.dir, self.config))
        u.wait_until("the console", lambda: u.port_open(self.port), 30)
        for cam in ("station-1", "station-2"):
            u.wait_until(f"{cam} recording", lambda: u.recordings(self.config, cam)["segments"], 30, 0.3)

    def check_incident(self, number, position, camera, action):
        """The incident the browser logged, as stored."""
        db = sqlite3.connect(f"file:{os.path.join(self.dir, 'data', 'uitkijk.db')}?mode=ro", uri=True)
        try:
            row = db.execute("SELECT camera, cameras, position_90k, source, frame_90k, category, severity, "
                             "description, actions, created_by FROM incident WHERE id = ?", (number,)).fetchone()
        finally:
            db.close()
        assert row, f"incident {number} is not in the database"
        cam, cams, pos90k, source, frame90k, category, severity, description, actions, by = row
        u.log(f"  incident {number} stored: {row}")
        assert cam == camera and json.loads(cams)[0] == camera, row
        assert source == "live" and category == "overlast" and severity == "high", row
        assert by == "anna" and "fietsenstalling" in description, row
        assert json.loads(actions) == [action.replace("_", " ")], row
        # The position is the frame the tile showed when "n" was pressed (to the ms).
        want_us = u.parse_rfc3339_us(position)
        assert abs(pos90k * 1000 // 90 - want_us) < 1000, (pos90k, position)
        # ... and it resolved to a recorded frame at most a frame before it.
        assert frame90k is not None and 0 <= pos90k - frame90k < 90 * 100, (pos90k, frame90k)

    def on_command(self, line):
        words = line.split()
        if words[0] == "check-incident":
            try:
                self.check_incident(int(words[1]), words[2], words[3], words[4])
            except AssertionError as e:
                return f"failed {e}"
            return "ok"
        return f"unknown {line}"

    def test_operator_and_supervisor(self):
        shots = u.screenshot_dir("operator")
        for f in os.listdir(shots):  # this run's screenshots only
            if f.endswith(".png"):
                os.unlink(os.path.join(shots, f))
        rc, last = u.run_node("operator.test.mjs", [
            f"http://127.0.0.1:{self.port}/", "--operator", "anna", "--operator-password", password("anna"),
            "--supervisor", "sup", "--supervisor-password", password("sup"),
            "--cameras", "station-1,station-2", "--screenshots", shots], self.on_command, timeout=240)
        assert rc == 0 and last.endswith(" 0 failed"), f"operator.test.mjs exited {rc}: {last}\n{self.serve.tail()}"


if __name__ == "__main__":
    why = u.browser_missing()
    if why:
        u.log(f"SKIP: missing {why}")
        sys.exit(77)
    OperatorUiTests().run()
