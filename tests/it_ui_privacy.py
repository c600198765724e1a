"""Browser test of the privacy officer's console pages (ui/www/page-audit.js,
page-access.js, rules.js) with the real daemon and a simulated camera: this
script logs the operator in a few times (and once with a wrong password) so
the audit log has rows, then tests/browser/privacy.test.mjs logs in as the
privacy officer, filters the audit log on logins, checks the chain, finds the
operator in the register, authorises them for the area "centrum" (which
has no designation), revokes that and grants it again, saves a designation for centrum (refused first without a
DPIA), sees it in force, withdraws it and sees it withdrawn; at 1366x768 too; the operator sees the
designations without forms.
Afterwards this script checks the audit log and the register hold what the
browser did, and that the audit chain is still intact.

Skips (exit 77) when chromium, node or tests/browser/node_modules is missing."""
import json
import os
import subprocess
import sys

import uktest as u
from it_console import password


class PrivacyUiTests(u.DaemonTests):
    def __init__(self):
        super().__init__("ui-privacy")

    def setup(self):
        self.cam_port, dead, self.port = u.free_port(), u.free_port(), u.free_port()
        self.cam = self.start(u.start_testcam(self.dir, self.cam_port, cameras=1))
        self.config = u.write_config(self.dir, [
            ("station-1", "station", f"rtsp://127.0.0.1:{self.cam_port}/cam1"),
            ("centrum-1", "centrum", f"rtsp://127.0.0.1:{dead}/x"),
        ], segment_seconds=4, listen_port=self.port, designated={"station"})
        self.db = os.path.join(self.dir, "data", "uitkijk.db")
        u.add_users(self.config, [("priv", "privacy", None), ("op", "operator", "station")])
        self.serve = self.start(u.start_serve(self.dir, self.config))
        u.wait_until("the console", lambda: u.port_open(self.port) or not self.serve.alive(), 30)
        assert self.serve.alive(), self.serve.tail()

    def sql(self, statement):
        r = subprocess.run(["sqlite3", self.db, statement], capture_output=True, text=True)
        assert r.returncode == 0, r.stderr
        return r.stdout.strip()

    def test_privacy_pages(self):
        for _ in range(3):
            u.session_cookie(self.port, "op")
        status, _, _ = u.http(self.port, "POST", "/login", {"Content-Type": "application/json"},
                              json.dumps({"user": "op", "password": "fout"}))
        assert status == 401, status
        rc, last = u.run_node("privacy.test.mjs", [
            f"http://127.0.0.1:{self.port}/", "priv", password("priv"), "--operator", "op",
            "--area", "centrum", "--operator-password", password("op"), "--screenshots", u.screenshot_dir("privacy")])
        if rc == 77:
            sys.exit(77)
        assert rc == 0 and last.endswith(" 0 failed"), f"privacy.test.mjs exited {rc}: {last}\n{self.serve.tail()}"
        # What the browser did is in the log and the register.
        actions = self.sql("SELECT actor || '|' || action || '|' || ifnull(area, '') FROM audit ORDER BY id").split()
        for row in ("priv|audit_read|", "priv|authorisation_granted|centrum", "priv|authorisation_revoked|centrum",
                    "priv|designation_declared|centrum", "priv|designation_withdrawn|centrum"):
            assert row in actions, (row, actions[-20:])
        assert self.sql("SELECT count(*) FROM designation WHERE id = 'test-evenement' AND withdrawn_90k IS NOT NULL") == "1"
        r = u.cli("audit", "verify", "-c", self.config)
        u.log("audit verify:", r.stdout.strip())


if __name__ == "__main__":
    why = u.browser_missing()
    if why:
        u.log(f"SKIP: missing {why}")
        sys.exit(77)
    PrivacyUiTests().run()
