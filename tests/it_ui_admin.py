"""Browser test of the administrator's console page "Gebruikers"
(ui/www/page-users.js) with the real daemon (no camera needed: one that is
down): tests/browser/users.test.mjs logs in as the administrator, creates an
operator with the keyboard, disables, enables and gives them a new password.
This script answers its questions: it logs the new user in over a websocket
(with the cookie of POST /login) and checks that the session ends at once
when the account is disabled or its password set, and which logins work.
Afterwards it checks the audit log holds what the browser did, without
passwords or hashes, and that the chain is intact.

Skips (exit 77) when chromium, node or tests/browser/node_modules is missing."""
import asyncio
import json
import os
import re
import subprocess
import sys

import uktest as u
from it_console import Client, password


class AdminUiTests(u.Tests):
    def __init__(self):
        self.dir = u.tmpdir("ui-admin")
        u.log("test folder:", self.dir)
        self.serve = None
        self.loop = asyncio.new_event_loop()
        self.client = None
        try:
            self.setup()
        except BaseException:
            self.cleanup()
            raise

    def setup(self):
        dead, self.port = u.free_port(), u.free_port()
        self.config = u.write_config(self.dir, [("station-1", "station", f"rtsp://127.0.0.1:{dead}/x")],
                                     listen_port=self.port)
        self.db = os.path.join(self.dir, "data", "uitkijk.db")
        u.add_users(self.config, [("beheer", "admin", None), ("op", "operator", "station"),
                                  ("priv", "privacy", None)])
        self.serve = u.start_serve(self.dir, self.config)
        u.wait_until("the console", lambda: u.port_open(self.port) or not self.serve.alive(), 30)
        assert self.serve.alive(), self.serve.tail()

    def cleanup(self):
        if self.client:
            self.loop.run_until_complete(self.client.close())
        if self.serve:
            self.serve.stop()

    def sql(self, statement):
        r = subprocess.run(["sqlite3", self.db, statement], capture_output=True, text=True)
        assert r.returncode == 0, r.stderr
        return r.stdout.strip()

    def http_login(self, user, pw):
        status, headers, body = u.http(self.port, "POST", "/login", {"Content-Type": "application/json"},
                                       json.dumps({"user": user, "password": pw}))
        return status, headers, json.loads(body or b"{}")

    async def connect(self, user, pw):
        status, headers, body = self.http_login(user, pw)
        if status != 200:
            return f"no login: {status} {body}"
        token = re.match(r"uk_session=([A-Za-z0-9_-]+)", headers["Set-Cookie"]).group(1)
        if self.client:
            await self.client.close()
        self.client = await Client.open(self.port, cookie=token)
        r = await self.client.req("session")
        return "ok" if r.get("user") == user else f"no session: {r}"

    async def ended(self, user):
        """The connection of @user got session.ended and its next request session_expired."""
        c = self.client
        while True:
            msg = json.loads(await asyncio.wait_for(c.ws.recv(), 10))
            events = msg.get("events", [msg]) if msg.get("type") in ("event", "events") else []
            if any(e.get("event") == "session.ended" for e in events):
                break
        r = await c.req("session")
        return "ok" if r.get("code") == "session_expired" else f"still logged in: {r}"

    def on_command(self, line):
        words = line.split()
        try:
            if words[0] == "connect":
                return self.loop.run_until_complete(self.connect(words[1], words[2]))
            if words[0] == "ended":
                return self.loop.run_until_complete(self.ended(words[1]))
            if words[0] == "login":
                status, _, body = self.http_login(words[1], words[2])
                return "ok" if status == 200 else f"refused: {status} {body}"
            if words[0] == "refused":
                status, _, body = self.http_login(words[1], words[2])
                return "ok" if status == 401 and body.get("code") == "account_inactive" else \
                    f"not refused as inactive: {status} {body}"
        except Exception as e:  # noqa: BLE001 - the browser test reports it
            return f"error: {type(e).__name__}: {e}"
        return f"unknown command {line}"

    def test_users_page(self):
        before = int(self.sql("SELECT max(id) FROM audit"))
        rc, last = u.run_node("users.test.mjs", [
            f"http://127.0.0.1:{self.port}/", "beheer", password("beheer"), "--new", "nieuwe-collega",
            "--screenshots", u.screenshot_dir("admin")], self.on_command)
        if rc == 77:
            sys.exit(77)
        assert rc == 0 and last.endswith(" 0 failed"), f"users.test.mjs exited {rc}: {last}\n{self.serve.tail()}"
        rows = self.sql(f"SELECT actor || '|' || action FROM audit WHERE id > {before} AND action LIKE 'user%' "
                        "AND json_extract(detail, '$.user') = 'nieuwe-collega' ORDER BY id").split()
        assert rows == ["beheer|user_added", "beheer|user_disabled", "beheer|user_enabled",
                        "beheer|user_password_set"], rows
        assert self.sql("SELECT role || ' ' || disabled FROM user WHERE name = 'nieuwe-collega'") == "operator 0"
        leaks = self.sql("SELECT count(*) FROM audit WHERE detail LIKE '%wachtwoord-%' OR detail LIKE '%argon2%'")
        assert leaks == "0", "passwords or hashes in the audit log"
        r = u.cli("audit", "verify", "-c", self.config)
        u.log("audit verify:", r.stdout.strip())


if __name__ == "__main__":
    why = u.browser_missing()
    if why:
        u.log(f"SKIP: missing {why}")
        sys.exit(77)
    AdminUiTests().run()
