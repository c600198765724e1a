"""Browser test of the console's #/clips page (ui/www/page-clips.js): the
police liaison requests a clip of recorded footage with the keyboard, the
supervisor approves it in a second browser context, the police page follows
it live to "klaar" and downloads the clip, whose SHA-256 must equal the one
shown; a hold for public order is refused (the Dutch error shown), a hold for
an offence is approved and released; the privacy officer sees both lists
read-only (tests/browser/police.test.mjs). This script then checks the audit
rows of those steps. Screenshots: uktest.screenshot_dir("police").

Skips (exit 77) when chromium, node or tests/browser/node_modules is missing."""
import math
import os
import subprocess
import sys

import uktest as u


class PoliceUiTests(u.DaemonTests):
    def __init__(self):
        super().__init__("ui-police")

    def setup(self):
        self.cam_port, self.port = u.free_port(), u.free_port()
        self.cam = self.start(u.start_testcam(self.dir, self.cam_port, cameras=1))
        self.config = u.write_config(self.dir, [
            ("station-1", "station", f"rtsp://127.0.0.1:{self.cam_port}/cam1"),
            ("centrum-1", "centrum", f"rtsp://127.0.0.1:{u.free_port()}/x"),
        ], segment_seconds=4, listen_port=self.port)
        u.add_users(self.config, [("pol", "police", "station"), ("sup", "supervisor", "station"),
                                  ("priv", "privacy", None)])
        self.serve = self.start(u.start_serve(self.dir, self.config))
        u.wait_until("the console", lambda: u.port_open(self.port), 30)
        self.segments = u.wait_complete_segments(self.config, "station-1", 3, timeout=60)

    def test_clips_page(self):
        segs = self.segments
        # Whole seconds inside the recorded footage (the form types seconds).
        start_us = math.ceil((u.parse_rfc3339_us(segs[0]["start"]) + 300e3) / 1e6) * 1e6
        end_us = math.floor(u.parse_rfc3339_us(segs[-1]["end"]) / 1e6) * 1e6
        assert end_us - start_us >= 4e6, (segs[0], segs[-1])
        args = [f"http://127.0.0.1:{self.port}/",
                "--police", "pol", "--police-password", "wachtwoord-pol",
                "--supervisor", "sup", "--supervisor-password", "wachtwoord-sup",
                "--privacy", "priv", "--privacy-password", "wachtwoord-priv",
                "--camera", "station-1", "--from", u.rfc3339(start_us), "--to", u.rfc3339(end_us),
                "--screenshots", u.screenshot_dir("police")]
        rc, last = u.run_node("police.test.mjs", args, timeout=240)
        assert rc == 0, f"police.test.mjs exited {rc} ({last})\nserve log:\n{self.serve.tail()}"
        assert last.endswith(" 0 failed"), last
        rows = subprocess.run(["sqlite3", os.path.join(self.dir, "data", "uitkijk.db"),
                               "SELECT action || '|' || actor FROM audit "
                               "WHERE action LIKE 'clip_%' OR action LIKE 'hold_%' ORDER BY id"],
                              capture_output=True, text=True).stdout.split()
        u.log("audit:", " ".join(rows))
        for row in ("clip_requested|pol", "clip_approved|sup", "clip_downloaded|pol",
                    "hold_requested|pol", "hold_approved|sup", "hold_released|pol"):
            assert row in rows, (row, rows)
        assert rows.count("clip_downloaded|pol") == 2, rows  # the video and the manifest
        assert rows.count("hold_requested|pol") == 1, rows   # public order was refused


if __name__ == "__main__":
    why = u.browser_missing()
    if why:
        u.log(f"SKIP: missing {why}")
        sys.exit(77)
    PoliceUiTests().run()
