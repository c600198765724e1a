"""Black-box tests of the legal rules (docs/legal-rules.md) against the real
daemon: no designation means no recording and no live view; a withdrawn
designation stops recording within 2 s; footage older than 28 days is
destroyed (files and index) unless an evidence hold keeps it, with the rules'
clock moved by the test (UITKIJK_TEST_CLOCK_FILE); holds need a police case
and a criminal offence and a second person's approval; under disk pressure
the oldest unheld footage goes first and held footage never."""
import asyncio
import glob
import json
import os
import subprocess
import time

import uktest as u
from it_console import Client, password, run

DAY = 86400


class RulesTests(u.Tests):
    def __init__(self):
        self.dir = u.tmpdir("rules")
        u.log("test folder:", self.dir)
        self.cam_port, self.port = u.free_port(), u.free_port()
        self.cam = u.start_testcam(self.dir, self.cam_port, cameras=2)
        self.clock = os.path.join(self.dir, "clock")
        self.set_clock(0)
        self.config = u.write_config(self.dir, [
            ("station-1", "station", f"rtsp://127.0.0.1:{self.cam_port}/cam1"),
            ("centrum-1", "centrum", f"rtsp://127.0.0.1:{self.cam_port}/cam2"),
        ], segment_seconds=2, listen_port=self.port, designated={"station"}, extra="""
[risk_area:centrum-151b]
area = centrum
decision = Aanwijzing veiligheidsrisicogebied Centrum
valid_from = 2020-01-01T00:00:00Z
valid_until = 2099-01-01T00:00:00Z
prosecutor = mr. A. de Vries, geraadpleegd 2026-01-05
""")
        self.db = os.path.join(self.dir, "data", "uitkijk.db")
        u.add_users(self.config, [("op", "operator", "station,centrum"), ("sup", "supervisor", "station"),
                                  ("sup2", "supervisor", "station"), ("pol", "police", "station"),
                                  ("priv", "privacy", None)])
        os.environ["UITKIJK_TEST_CLOCK_FILE"] = self.clock
        try:
            self.serve = u.start_serve(self.dir, self.config)
        finally:
            del os.environ["UITKIJK_TEST_CLOCK_FILE"]
        u.wait_until("the console", lambda: u.port_open(self.port), 30)
        u.wait_until("station-1 recording", lambda: u.recordings(self.config, "station-1")["segments"], 30, 0.5)

    def cleanup(self):
        for p in (self.serve, self.cam):
            p.stop()

    def set_clock(self, offset_s):
        with open(self.clock + ".tmp", "w") as f:
            f.write(f"{int(offset_s)}\n")
        os.replace(self.clock + ".tmp", self.clock)

    def sql(self, statement):
        r = subprocess.run(["sqlite3", self.db, statement], capture_output=True, text=True)
        assert r.returncode == 0, r.stderr
        return r.stdout.strip()

    async def client(self, user):
        c = await Client.open(self.port)
        r = await c.login(user)
        assert r["type"] == "result", r
        return c

    def files(self, camera):
        return sorted(glob.glob(os.path.join(self.dir, "data", camera, "*", "*.mp4")))

    def test_no_designation_no_recording(self):
        time.sleep(3)
        assert u.recordings(self.config, "centrum-1")["segments"] == [], "centrum has no designation"
        assert self.files("centrum-1") == [], self.files("centrum-1")

        async def t():
            op = await self.client("op")
            r = await op.req("live.start", camera="centrum-1")
            assert r["type"] == "error" and r["code"] == "not_allowed", r
            assert "no designation" in r["message"], r
            r = await op.req("cameras.list")
            cam = [c for c in r["cameras"] if c["camera"] == "centrum-1"][0]
            assert cam["state"] == "stopped", cam
            r = await op.req("designations.list")
            assert [d["designation"] for d in r["designations"]] == ["station-test"], r
            assert r["designations"][0]["active"], r
            # A veiligheidsrisicogebied is shown, but never enables cameras.
            assert [(x["risk_area"], x["active"], x["enables_cameras"]) for x in r["risk_areas"]] == [
                ("centrum-151b", True, False)], r
            await op.close()
        run(t())

    def test_designation_rules(self):
        async def t():
            priv = await self.client("priv")
            now = time.time()
            # Activation without DPIA or signage is refused.
            r = await priv.req("designation.save", designation="centrum-event", area="centrum", kind="event",
                               decision="Evenement Centrum, kenmerk Z/26/1", valid_from=u.rfc3339((now - 60) * 1e6),
                               valid_until=u.rfc3339((now + 3600) * 1e6), signage=True)
            assert r["type"] == "error" and r["code"] == "not_allowed" and "DPIA" in r["message"], r
            r = await priv.req("designation.save", designation="centrum-event", area="centrum", kind="event",
                               decision="Evenement Centrum, kenmerk Z/26/1", valid_from=u.rfc3339((now - 60) * 1e6),
                               valid_until=u.rfc3339((now + 3600) * 1e6), dpia="DPIA-EV-1", signage=True,
                               live_watch="daily 00:00-00:00")
            assert r["type"] == "result" and r["designation"]["active"], r
            assert r["designation"]["live_watch_now"], r
            t0 = time.time()
            op = await self.client("op")
            u.wait_until("centrum-1 recording", lambda: u.recordings(self.config, "centrum-1")["segments"], 20, 0.5)
            u.log(f"centrum-1 recorded {time.time() - t0:.1f} s after its designation was saved")
            # In its live-watch window nobody watches centrum-1: the area's
            # operators are told (camera.unwatched).
            while True:
                raw = json.loads(await asyncio.wait_for(op.ws.recv(), 20))
                evs = raw.get("events", [raw])
                if any(e.get("event") == "alert" and e["alert"]["kind"] == "camera.unwatched"
                       and e["alert"]["camera"] == "centrum-1" for e in evs):
                    break
            u.log(f"camera.unwatched for the live-watch window {time.time() - t0:.1f} s after saving")
            # Withdrawal stops recording within 2 s: no byte is written after.
            r = await priv.req("designation.withdraw", designation="centrum-event",
                               reason="evenement afgelast")
            assert r["type"] == "result" and r["designation"]["withdrawn"], r
            withdrawn = time.time()
            while True:
                raw = json.loads(await asyncio.wait_for(op.ws.recv(), 5))
                evs = raw.get("events", [raw])
                if any(e.get("event") == "camera.state" and e.get("camera") == "centrum-1"
                       and e.get("state") == "stopped" for e in evs):
                    break
            stop_s = time.time() - withdrawn
            sizes = {f: os.path.getsize(f) for f in self.files("centrum-1")}
            time.sleep(3)
            after = {f: os.path.getsize(f) for f in self.files("centrum-1")}
            u.log(f"withdrawal stopped recording after {stop_s:.2f} s")
            assert stop_s <= 2.0, stop_s
            assert after == sizes, (sizes, after)
            r = await op.req("live.start", camera="centrum-1")
            assert r["code"] == "not_allowed" and "withdrawn" in r["message"], r
            rows = self.sql("SELECT action FROM audit WHERE action LIKE 'designation_%' ORDER BY id").split()
            assert rows[-2:] == ["designation_declared", "designation_withdrawn"], rows
            # An event designation ends by itself at valid_until.
            now = time.time()
            r = await priv.req("designation.save", designation="centrum-avond", area="centrum", kind="event",
                               decision="Evenement Centrum, kenmerk Z/26/2", valid_from=u.rfc3339((now - 60) * 1e6),
                               valid_until=u.rfc3339((now + 3600) * 1e6), dpia="DPIA-EV-2", signage=True)
            assert r["type"] == "result" and r["designation"]["active"], r
            n = len(u.recordings(self.config, "centrum-1")["segments"])
            u.wait_until("centrum-1 recording again",
                         lambda: len(u.recordings(self.config, "centrum-1")["segments"]) > n, 20, 0.5)
            self.set_clock(2 * 3600)  # two hours later: the event is over
            try:
                u.wait_until("recording stopped at valid_until", lambda: self.sql(
                    "SELECT count(*) FROM gap WHERE camera = 'centrum-1' AND end_90k IS NULL "
                    "AND reason LIKE '%expired%'") == "1", 5, 0.2)
            finally:
                self.set_clock(0)
            for c in (priv, op):
                await c.close()
        run(t())

    def test_holds_and_retention(self):
        segs = u.wait_complete_segments(self.config, "station-1", 5)[:5]
        held = segs[2]

        async def t():
            pol, sup, sup2 = await self.client("pol"), await self.client("sup"), await self.client("sup2")
            # Strictly inside the held segment (the listed times are rounded to ms).
            inside = {"from": u.rfc3339(u.parse_rfc3339_us(held["start"]) + 100e3),
                      "to": u.rfc3339(u.parse_rfc3339_us(held["end"]) - 100e3)}
            base = dict(cameras=["station-1"], **inside)
            r = await pol.req("hold.request", purpose="openbare orde", case_ref="PL01-2026-77",
                              offence="-", **base)
            assert r["type"] == "error" and r["code"] == "not_allowed" and "151c" in r["message"], r
            r = await pol.req("hold.request", case_ref="PL01-2026-77", **base)
            assert r["type"] == "error" and r["code"] == "bad_message", r  # no offence
            r = await pol.req("hold.request", case_ref="PL01-2026-77", offence="mishandeling (art. 300 Sr)",
                              justification="Vechtpartij bij de fietsenstalling", **base)
            assert r["type"] == "result" and r["hold"]["state"] == "requested", r
            hold = r["hold"]["hold"]
            r = await sup.req("hold.decide", hold=hold, approve=True, note="akkoord")
            assert r["type"] == "result" and r["hold"]["state"] == "approved", r
            r = await sup2.req("hold.decide", hold=hold, approve=True)
            assert r["code"] == "not_found", r  # decided already
            for c in (pol, sup, sup2):
                await c.close()
        run(t())
        # 28 days and a minute later (the rules' clock only).
        self.set_clock(28 * DAY + 60)
        t0 = time.time()
        gone = lambda: not any(os.path.exists(os.path.join(self.dir, "data", s["path"]))
                               for s in segs if s["path"] != held["path"])
        u.wait_until("old footage destroyed", gone, 20, 0.5)
        u.log(f"footage past 28 days destroyed {time.time() - t0:.1f} s after the clock moved")
        left = {s["path"] for s in u.recordings(self.config, "station-1")["segments"]}
        assert held["path"] in left, "held footage must stay"
        assert os.path.exists(os.path.join(self.dir, "data", held["path"]))
        assert not any(s["path"] in left for s in segs if s["path"] != held["path"]), left
        # The index rows go first (with their garbage rows), the files and
        # the garbage rows a moment later.
        u.wait_until("the garbage table empty", lambda: self.sql("SELECT count(*) FROM garbage") == "0", 10)
        assert int(self.sql("SELECT count(*) FROM audit WHERE action = 'footage_deleted'")) >= 1
        r = subprocess.run([u.UITKIJK, "audit", "verify", "-c", self.config], capture_output=True, text=True)
        assert r.returncode == 0, r.stdout + r.stderr
        self.set_clock(0)

    def test_disk_pressure(self):
        """On a 12 MiB filesystem with min_free 8M: the oldest unheld footage
        goes first and recording goes on; when only held footage is left,
        recording stops with an alert, and resumes once a hold is released."""
        small = os.path.join(self.dir, "small")
        os.makedirs(small, exist_ok=True)
        m = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=12m", "tmpfs", small],
                           capture_output=True, text=True)
        if m.returncode != 0:
            u.log(f"SKIP disk pressure: cannot mount a small tmpfs ({m.stderr.strip()})")
            return
        port = u.free_port()
        folder = os.path.join(self.dir, "pressure")
        os.makedirs(folder, exist_ok=True)
        conf = u.write_config(folder, [("station-1", "station", f"rtsp://127.0.0.1:{self.cam_port}/cam1")],
                              segment_seconds=2, listen_port=port)
        text = open(conf).read().replace(f"path = {folder}/data",
                                         f"path = {small}/data\ndatabase = {folder}/uitkijk.db\nmin_free = 8M")
        open(conf, "w").write(text)
        u.add_users(conf, [(n, r, "station") for n, r in (("sup", "supervisor"), ("sup2", "supervisor"),
                                                           ("pol", "police"))])
        serve = u.start_serve(folder, conf, name="serve-pressure")
        try:
            u.wait_until("the console", lambda: u.port_open(port), 30)
            db = os.path.join(folder, "uitkijk.db")

            def sql(q):
                return subprocess.run(["sqlite3", db, q], capture_output=True, text=True).stdout.strip()

            first = u.wait_complete_segments(conf, "station-1", 1, 30)[0]
            u.wait_until("footage destroyed for space", lambda: int(sql(
                "SELECT count(*) FROM audit WHERE action = 'footage_deleted' AND detail LIKE '%min_free%'")) > 0,
                60, 0.5)
            segs = u.recordings(conf, "station-1")["segments"]
            assert first["path"] not in {s["path"] for s in segs}, "the oldest went first"
            assert segs and not os.path.exists(os.path.join(small, "data", first["path"]))
            st = os.statvfs(small)
            u.log(f"pressure: {len(segs)} segments left, {st.f_bavail * st.f_frsize / 2**20:.1f} MiB free")

            async def t():
                sup = await Client.open(port)
                await sup.login("sup")
                pol = await Client.open(port)
                await pol.login("pol")
                r = await pol.req("hold.request", cameras=["station-1"], case_ref="PL01-2026-99",
                                  offence="diefstal", justification="alles bewaren",
                                  **{"from": u.rfc3339((time.time() - 3600) * 1e6),
                                     "to": u.rfc3339((time.time() + 3600) * 1e6)})
                assert r["type"] == "result", r
                hold = r["hold"]["hold"]
                sup2 = await Client.open(port)
                await sup2.login("sup2")
                r = await sup2.req("hold.decide", hold=hold, approve=True)
                assert r["type"] == "result", r
                # Everything is held now: recording stops with a loud alert.
                t0 = time.time()
                while True:
                    raw = json.loads(await asyncio.wait_for(sup.ws.recv(), 60))
                    evs = raw.get("events", [raw])
                    if any(e.get("event") == "alert" and e["alert"]["kind"] == "disk.full"
                           and e["alert"]["active"] for e in evs):
                        break
                u.log(f"disk.full alert {time.time() - t0:.1f} s after everything was held")
                held = {s["path"] for s in u.complete_segments(conf, "station-1")}
                r = await sup.req("cameras.list")
                cam = r["cameras"][0]
                u.wait_until("recording stopped", lambda: sql(
                    "SELECT count(*) FROM gap WHERE end_90k IS NULL AND reason LIKE '%disk is full%'") == "1", 10, 0.5)
                # Nothing held was deleted.
                for p in held:
                    assert os.path.exists(os.path.join(small, "data", p)), p
                # Released: the footage may go, recording resumes.
                r = await sup.req("hold.release", hold=hold, reason="zaak gesloten")
                assert r["type"] == "result", r
                u.wait_until("recording resumed", lambda: sql(
                    "SELECT count(*) FROM gap WHERE end_90k IS NULL") == "0", 30, 0.5)
                for c in (sup, sup2, pol):
                    await c.close()
            run(t())
        finally:
            serve.stop()
            subprocess.run(["umount", small], capture_output=True)


if __name__ == "__main__":
    asyncio.set_event_loop(asyncio.new_event_loop())
    RulesTests().run()
