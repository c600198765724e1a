"""Black-box tests of coordination over the console websocket: claims,
releases and handovers, presence, watch plans, and the alerts (camera down
and back, a must-watch camera nobody watches, an operator with cameras who
disconnects), against the real daemon and a real RTSP camera."""
import asyncio
import json
import subprocess
import time

import uktest as u
from it_console import Client, password, run


class WatchTests(u.Tests):
    def __init__(self):
        self.dir = u.tmpdir("watch")
        u.log("test folder:", self.dir)
        self.cam_port, self.port = u.free_port(), u.free_port()
        self.cam = u.start_testcam(self.dir, self.cam_port, cameras=2)
        self.config = u.write_config(self.dir, [
            ("station-1", "station", f"rtsp://127.0.0.1:{self.cam_port}/cam1"),
            ("station-2", "station", f"rtsp://127.0.0.1:{self.cam_port}/cam2"),
            ("centrum-1", "centrum", f"rtsp://127.0.0.1:{u.free_port()}/x"),
        ], segment_seconds=4, listen_port=self.port)
        u.add_users(self.config, [("op", "operator", "station"), ("op2", "operator", "station"),
                                  ("opc", "operator", "centrum"), ("sup", "supervisor", "station"),
                                  ("hh", "handhaving", "station")])
        self.serve = u.start_serve(self.dir, self.config)
        u.wait_until("the console", lambda: u.port_open(self.port), 30)
        for cam in ("station-1", "station-2"):
            u.wait_until(f"{cam} recording", lambda: u.recordings(self.config, cam)["segments"], 30, 0.5)

    def cleanup(self):
        for p in (self.serve, self.cam):
            p.stop()

    async def client(self, user):
        c = await Client.open(self.port)
        r = await c.login(user)
        assert r["type"] == "result", r
        c.pending = []
        return c

    async def event(self, c, match, timeout=10):
        """The next pushed event (alone or in an "events" batch) that @match accepts."""
        end = time.time() + timeout
        while True:
            while c.pending:
                ev = c.pending.pop(0)
                if match(ev):
                    return ev
            left = end - time.time()
            if left <= 0:
                raise AssertionError(f"no matching event within {timeout} s")
            try:
                raw = await asyncio.wait_for(c.ws.recv(), left)
            except asyncio.TimeoutError:
                continue
            if isinstance(raw, bytes):
                continue
            msg = json.loads(raw)
            if msg["type"] == "event":
                c.pending.append(msg)
            elif msg["type"] == "events":
                c.pending.extend(msg["events"])

    def presence_of(self, camera):
        return lambda ev: ev["event"] == "presence" and any(
            x["camera"] == camera for x in ev["cameras"])

    @staticmethod
    def alert(kind, camera=None, active=True):
        return lambda ev: (ev["event"] == "alert" and ev["alert"]["kind"] == kind
                           and (camera is None or ev["alert"]["camera"] == camera)
                           and ev["alert"]["active"] == active)

    def test_claim_release_handover(self):
        async def t():
            op, op2, sup = await self.client("op"), await self.client("op2"), await self.client("sup")
            r = await op.req("camera.claim", camera="station-1")
            assert r["type"] == "result" and r["claimed_by"] == "op", r
            ev = await self.event(op2, lambda e: self.presence_of("station-1")(e) and any(
                x["camera"] == "station-1" and x["claimed_by"] == "op" for x in e["cameras"]))
            cam = [x for x in ev["cameras"] if x["camera"] == "station-1"][0]
            assert cam["claimant_online"] and cam["watched"], cam
            r = await op2.req("camera.claim", camera="station-1")
            assert r["type"] == "error" and r["code"] == "claimed" and "op" in r["message"], r
            # Only the holder (or a supervisor) may hand over.
            r = await op2.req("camera.handover", cameras=["station-1"], to="op2", note="x")
            assert r["code"] == "not_claimed", r
            r = await op.req("camera.handover", cameras=["station-1"], to="opc", note="x")
            assert r["code"] == "bad_message" and "station" in r["message"], r  # not authorised there
            r = await op.req("camera.handover", cameras=["station-1"], to="op2",
                             note="Let op de groep bij de fietsenstalling")
            assert r["type"] == "result" and r["to"] == "op2", r
            ev = await self.event(op2, lambda e: e["event"] == "handover")
            assert ev["from"] == "op" and ev["cameras"] == ["station-1"], ev
            assert ev["note"] == "Let op de groep bij de fietsenstalling", ev
            r = await sup.req("presence")
            cam = [x for x in r["cameras"] if x["camera"] == "station-1"][0]
            assert cam["claimed_by"] == "op2", cam
            assert all(x["area"] == "station" for x in r["cameras"]), r  # only authorised areas
            # An operator cannot release another's claim; a supervisor can.
            r = await op.req("camera.release", camera="station-1")
            assert r["claimed_by"] == "op2", r
            r = await sup.req("camera.release", camera="station-1")
            assert r["type"] == "result" and r["claimed_by"] is None, r
            rows = subprocess.run(["sqlite3", f"{self.dir}/data/uitkijk.db",
                                   "SELECT action, actor FROM audit WHERE action LIKE 'camera_%' ORDER BY id"],
                                  capture_output=True, text=True).stdout.split()
            assert rows == ["camera_claimed|op", "camera_handover|op", "camera_released|sup"], rows
            for c in (op, op2, sup):
                await c.close()
        run(t())

    def test_plan_and_unwatched(self):
        async def t():
            op, sup = await self.client("op"), await self.client("sup")
            now = time.time()
            r = await sup.req("plan.create", kind="event", name="Evenement Centrum",
                              start=u.rfc3339((now - 60) * 1e6), end=u.rfc3339((now + 3600) * 1e6),
                              cameras=["station-2"], operators=["op"], note="Kermis")
            assert r["type"] == "result", r
            plan = r["plan"]
            assert plan["active"] and plan["cameras"][0]["must_watch"] and plan["operators"] == ["op"], plan
            ev = await self.event(op, lambda e: e["event"] == "plan.created")
            assert ev["plan"]["plan"] == plan["plan"], ev
            # Nobody watches station-2: the operator on duty and the supervisor are told.
            t0 = time.time()
            ev = await self.event(op, self.alert("camera.unwatched", "station-2"), timeout=20)
            u.log(f"unwatched alert after {time.time() - t0:.1f} s (grace 10 s)")
            assert "station-2" in ev["alert"]["message"] and ev["alert"]["notify"] == ["op"], ev
            await self.event(sup, self.alert("camera.unwatched", "station-2"))
            # Watching it live resolves it.
            r = await op.req("live.start", camera="station-2")
            assert r["type"] == "result", r
            ev = await self.event(op, self.alert("camera.unwatched", "station-2", active=False), timeout=5)
            r = await op.req("alerts.list")
            assert any(a["kind"] == "camera.unwatched" and not a["active"] for a in r["alerts"]), r
            r = await op.req("plans.list")
            assert [p["name"] for p in r["plans"]] == ["Evenement Centrum"], r
            bad = await sup.req("plan.create", kind="event", name="x", start=u.rfc3339(now * 1e6),
                                end=u.rfc3339((now - 10) * 1e6), cameras=["station-2"])
            assert bad["code"] == "bad_message", bad
            bad = await sup.req("plan.create", kind="event", name="x", start=u.rfc3339(now * 1e6),
                                end=u.rfc3339((now + 3600) * 1e6), cameras=["centrum-1"])
            assert bad["code"] == "forbidden", bad
            r = await sup.req("plan.cancel", plan=plan["plan"])
            assert r["type"] == "result" and r["plan"]["cancelled"] and not r["plan"]["active"], r
            r = await sup.req("plan.cancel", plan=plan["plan"])
            assert r["code"] == "not_found", r
            await op.req("live.stop", camera="station-2")
            for c in (op, sup):
                await c.close()
        run(t())

    def test_operator_gone(self):
        async def t():
            op, sup = await self.client("op"), await self.client("sup")
            r = await op.req("camera.claim", camera="station-1")
            assert r["type"] == "result", r
            await op.close()
            ev = await self.event(sup, self.alert("operator.gone"), timeout=5)
            assert ev["alert"]["user"] == "op" and ev["alert"]["cameras"] == ["station-1"], ev
            assert "op is niet meer verbonden" in ev["alert"]["message"], ev
            op = await self.client("op")  # back within the grace: resolved, still hers
            await self.event(sup, self.alert("operator.gone", active=False), timeout=5)
            r = await op.req("presence")
            assert [x["claimed_by"] for x in r["cameras"] if x["camera"] == "station-1"] == ["op"], r
            await op.req("camera.release", camera="station-1")
            for c in (op, sup):
                await c.close()
        run(t())

    def test_camera_down_and_up(self):
        async def t():
            op, sup, hh = await self.client("op"), await self.client("sup"), await self.client("hh")
            r = await op.req("camera.claim", camera="station-1")
            assert r["type"] == "result", r
            self.cam.stop()
            killed = time.time()
            ev = await self.event(op, self.alert("camera.down", "station-1"), timeout=10)
            down_s = time.time() - killed
            assert "station-1" in ev["alert"]["message"] and "uitgevallen" in ev["alert"]["message"], ev
            await self.event(sup, self.alert("camera.down", "station-1"), timeout=2)
            # Off long enough for the reconnect backoff to reach 8-16 s: the
            # return is still noticed within 5 s (the port is probed).
            await asyncio.sleep(15)
            self.cam = u.start_testcam(self.dir, self.cam_port, cameras=2)
            back = time.time()
            ev = await self.event(op, self.alert("camera.up", "station-1", active=False), timeout=40)
            up_s = time.time() - back
            u.log(f"camera.down alert {down_s:.1f} s after the camera died; "
                  f"camera.up {up_s:.1f} s after it was back")
            assert down_s <= 5, down_s
            assert up_s <= 5, up_s
            # handhaving is not concerned with watching.
            r = await hh.req("alerts.list")
            assert r["code"] == "forbidden", r
            await op.req("camera.release", camera="station-1")
            for c in (op, sup, hh):
                await c.close()
        run(t())


if __name__ == "__main__":
    asyncio.set_event_loop(asyncio.new_event_loop())
    WatchTests().run()
