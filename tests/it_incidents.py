"""Black-box tests of the incident log over the real websocket: logging at a
frame, amendments and status, area scoping, live push, review (filters, full
text, stats, CSV), bad input, and durability under SIGKILL."""
import asyncio
import json
import os
import signal
import subprocess
import time

import uktest as u
from it_console import Client, password, run


class IncidentTests(u.Tests):
    def __init__(self):
        self.dir = u.tmpdir("incidents")
        u.log("test folder:", self.dir)
        self.cam_port = u.free_port()
        self.cam = u.start_testcam(self.dir, self.cam_port, cameras=1)
        dead = u.free_port()
        self.port = u.free_port()
        self.config = u.write_config(self.dir, [
            ("station-1", "station", f"rtsp://127.0.0.1:{self.cam_port}/cam1"),
            ("station-2", "station", f"rtsp://127.0.0.1:{dead}/x"),
            ("centrum-1", "centrum", f"rtsp://127.0.0.1:{dead}/y"),
        ], segment_seconds=4, listen_port=self.port)
        self.db = os.path.join(self.dir, "data", "uitkijk.db")
        for name, role, areas in [("op", "operator", "station"), ("op2", "operator", "station"),
                                  ("sup", "supervisor", "station,centrum"),
                                  ("hh", "handhaving", "station"), ("hhc", "handhaving", "centrum"),
                                  ("pol", "police", "station")]:
            r = subprocess.run([u.UITKIJK, "user", "add", "-c", self.config, name, "--role", role,
                                "--areas", areas, "--password-stdin"], input=password(name) + "\n",
                               capture_output=True, text=True)
            assert r.returncode == 0, r.stderr
        self.start_serve()

    def start_serve(self, name="serve"):
        self.serve = u.start_serve(self.dir, self.config, name=name)
        u.wait_until("the console", lambda: u.port_open(self.port) or not self.serve.alive(), 30)
        assert self.serve.alive(), self.serve.tail()

    def cleanup(self):
        self.serve.stop()
        self.cam.stop()

    def sql(self, statement, check=True):
        r = subprocess.run(["sqlite3", self.db, statement], capture_output=True, text=True)
        if check:
            assert r.returncode == 0, r.stderr
        return r

    async def client(self, user):
        c = await Client.open(self.port)
        r = await c.login(user)
        assert r["type"] == "result", r
        return c

    async def next_event(self, c, timeout=5):
        """The next incident event, whether pushed alone or in an "events" batch."""
        pending = c.__dict__.setdefault("pending_events", [])
        while True:
            while pending:
                msg = pending.pop(0)
                if msg["event"].startswith("incident."):
                    return msg
            msg = json.loads(await asyncio.wait_for(c.ws.recv(), timeout))
            if msg["type"] == "event":
                pending.append(msg)
            elif msg["type"] == "events":
                pending.extend(msg["events"])

    def now_iso(self, offset_s=0):
        return u.rfc3339((time.time() + offset_s) * 1e6)

    def test_log_and_live_push(self):
        async def t():
            op, hh, hhc = await self.client("op"), await self.client("hh"), await self.client("hhc")
            r = await op.req("incident.create", camera="station-1", cameras=["station-2"],
                             position=self.now_iso(-2), source="live", category="overlast",
                             severity="high", description="Groep jongeren bij de fietsenstalling",
                             actions=["boa ingezet", "politie ingelicht"])
            assert r["type"] == "result", r
            inc = r["incident"]
            assert inc["status"] == "open" and inc["area"] == "station", inc
            assert inc["cameras"] == ["station-1", "station-2"], inc
            assert inc["actions"] == ["boa ingezet", "politie ingelicht"], inc
            assert inc["created_by"] == "op" and inc["playback"].startswith("/#/playback?camera=station-1")
            ev = await self.next_event(hh)
            assert ev["event"] == "incident.created" and ev["incident"]["incident"] == inc["incident"], ev
            try:
                ev = await self.next_event(hhc, timeout=1)
                raise AssertionError(f"another area's console got {ev}")
            except asyncio.TimeoutError:
                pass
            for c in (op, hh, hhc):
                await c.close()
        run(t())

    def test_push_batches(self):
        """A burst of incidents reaches another console complete and in order,
        several to a message ("events") rather than one message each."""
        async def t():
            op, hh = await self.client("op"), await self.client("hh")
            pos = self.now_iso(-2)
            for k in range(20):
                await op.ws.send(json.dumps({"type": "incident.create", "id": 1000 + k, "camera": "station-1",
                                             "position": pos, "source": "live", "category": "overlast",
                                             "description": f"burst {k}"}))
            ids, batches = [], 0
            while len(ids) < 20:
                msg = json.loads(await asyncio.wait_for(hh.ws.recv(), 10))
                events = msg["events"] if msg["type"] == "events" else [msg] if msg["type"] == "event" else []
                batches += msg["type"] == "events"
                ids += [e["incident"]["incident"] for e in events if e["event"] == "incident.created"
                        and e["incident"]["description"].startswith("burst ")]
            assert ids == sorted(ids) and len(set(ids)) == 20, ids
            assert batches >= 1, "twenty incidents in one burst came as twenty messages"
            for c in (op, hh):
                await c.close()
        run(t())

    def test_frame_exact(self):
        segs = u.wait_until("a complete segment", lambda: [
            s for s in u.recordings(self.config, "station-1")["segments"] if s["complete"]], 60, 1)
        frames = u.probe_frames(segs[0]["path"])

        async def t():
            op = await self.client("op")
            for f in (frames[3], frames[len(frames) // 2], frames[-1]):
                pos = u.rfc3339(f["capture_us"] + 20_000)
                r = await op.req("incident.create", camera="station-1", position=pos,
                                 source="playback", category="verdacht gedrag",
                                 description=f"frame {f['frame']}")
                inc = r["incident"]
                assert inc["frame_time"] is not None, inc
                err_ms = abs(u.parse_rfc3339_us(inc["frame_time"]) - f["capture_us"]) / 1000
                assert err_ms < 40, err_ms
                assert abs(inc["frame_pts_s"] - f["pts_time"]) < 1e-4, (inc, f)
            # A position with no recording (a camera that never connected) is still logged.
            r = await op.req("incident.create", camera="station-2", position=self.now_iso(-1),
                             source="live", category="anders", description="geen beeld")
            assert r["type"] == "result" and r["incident"]["frame_time"] is None, r
            await op.close()
        run(t())

    def test_amend_status_history(self):
        async def t():
            op, sup = await self.client("op"), await self.client("sup")
            r = await op.req("incident.create", camera="station-1", position=self.now_iso(-5),
                             source="live", category="geweld", description="Vechtpartij")
            iid = r["incident"]["incident"]
            r = await op.req("incident.amend", incident=iid, field="description",
                             value="Vechtpartij tussen twee mannen", note="aangevuld")
            assert r["incident"]["description"] == "Vechtpartij tussen twee mannen", r
            r = await op.req("incident.amend", incident=iid, field="actions",
                             value=["politie ingelicht"])
            assert r["incident"]["actions"] == ["politie ingelicht"], r
            r = await sup.req("incident.status", incident=iid, status="handed_to_police",
                              note="politie ter plaatse")
            assert r["incident"]["status"] == "handed_to_police" and r["incident"]["changes"] == 3, r
            r = await sup.req("incident.status", incident=iid, status="handed_to_police")
            assert r["code"] == "bad_message", r
            r = await op.req("incident.get", incident=iid)
            hist = r["incident"]["history"]
            assert [h["field"] for h in hist] == ["description", "actions", "status"], hist
            assert [h["author"] for h in hist] == ["op", "op", "sup"], hist
            assert hist[0]["note"] == "aangevuld" and hist[2]["value"] == "handed_to_police"
            await op.close()
            await sup.close()
            return iid
        iid = run(t())
        # Append-only in the database itself.
        r = self.sql(f"UPDATE incident SET description = 'x' WHERE id = {iid}", check=False)
        assert r.returncode != 0 and "append-only" in r.stderr, r.stderr
        r = self.sql(f"DELETE FROM incident_change WHERE incident_id = {iid}", check=False)
        assert r.returncode != 0 and "retention" in r.stderr, r.stderr
        original = self.sql(f"SELECT description FROM incident WHERE id = {iid}").stdout.strip()
        assert original == "Vechtpartij", original

    def test_area_scoping(self):
        async def t():
            op, sup, hh, pol = [await self.client(n) for n in ("op", "sup", "hh", "pol")]
            r = await sup.req("incident.create", camera="centrum-1", position=self.now_iso(-3),
                              source="live", category="vernieling", description="ruit ingegooid")
            ciid = r["incident"]["incident"]
            r = await op.req("incident.create", camera="station-1", position=self.now_iso(-3),
                             source="live", category="overlast", description="op het perron")
            assert r["type"] == "result", r
            r = await op.req("incident.amend", incident=ciid, field="note", value="x")
            assert r["code"] == "forbidden", r
            r = await op.req("incident.get", incident=ciid)
            assert r["code"] == "forbidden", r
            r = await op.req("incident.create", camera="centrum-1", position=self.now_iso(-3),
                             source="live", category="overlast", description="x")
            assert r["code"] == "forbidden", r
            r = await op.req("incident.create", camera="station-1", cameras=["centrum-1"],
                             position=self.now_iso(-3), source="live", category="overlast",
                             description="x")
            assert r["code"] == "forbidden", r
            r = await hh.req("incidents.query", limit=500)
            assert r["incidents"] and {i["area"] for i in r["incidents"]} == {"station"}, r
            r = await hh.req("incidents.query", areas=["centrum"])
            assert r["code"] == "forbidden", r
            r = await hh.req("incident.create", camera="station-1", position=self.now_iso(-3),
                             source="live", category="overlast", description="x")
            assert r["code"] == "forbidden", r
            r = await pol.req("incidents.query")
            assert r["code"] == "forbidden", r
            r = await sup.req("incidents.query", areas=["centrum"])
            assert [i["incident"] for i in r["incidents"]] == [ciid], r
            for c in (op, sup, hh, pol):
                await c.close()
        run(t())
        assert int(self.sql("SELECT count(*) FROM audit WHERE action = 'incidents_query'").stdout) >= 2

    def test_review(self):
        async def t():
            op, hh = await self.client("op2"), await self.client("hh")
            ids = []
            for k, (cat, text) in enumerate([("drugshandel op straat", "Overdracht bij de tunnel"),
                                             ("drugshandel op straat", "Dealer op de fiets, café-terras"),
                                             ("straatintimidatie", "Nafluiten bij het station")]):
                r = await op.req("incident.create", camera="station-1", position=self.now_iso(-60 + k),
                                 source="playback", category=cat, description=text)
                ids.append(r["incident"]["incident"])
            await op.req("incident.amend", incident=ids[2], field="note", value="herhaling vorige week")
            r = await hh.req("incidents.query", category="drugshandel op straat")
            got = [i["incident"] for i in r["incidents"]]
            assert ids[0] in got and ids[1] in got and ids[2] not in got, got
            r = await hh.req("incidents.query", text="cafe")  # accents ignored
            assert [i["incident"] for i in r["incidents"]] == [ids[1]], r
            r = await hh.req("incidents.query", text="herhal")  # notes, prefixes
            assert [i["incident"] for i in r["incidents"]] == [ids[2]], r
            r = await hh.req("incidents.query", text='" OR 1=1; DROP TABLE incident; --')
            assert r["type"] == "result" and r["incidents"] == [], r
            r = await hh.req("incidents.query", limit=2)
            assert len(r["incidents"]) == 2 and r["more"], r
            r2 = await hh.req("incidents.query", limit=2, before=r["incidents"][-1]["incident"])
            assert r2["incidents"][0]["incident"] < r["incidents"][-1]["incident"], r2
            r = await hh.req("incidents.query", status="closed")
            assert r["incidents"] == [], r
            r = await hh.req("incidents.stats")
            counts = {(c["category"], c["area"]): c["count"] for c in r["counts"]}
            assert counts[("drugshandel op straat", "station")] >= 2, r
            assert all(c["week"].startswith("20") and "-W" in c["week"] for c in r["counts"])
            r = await hh.req("incidents.export", category="straatintimidatie")
            lines = r["csv"].split("\r\n")
            assert lines[0].startswith("incident,area,camera,cameras,position,frame_time"), lines[0]
            assert r["rows"] >= 1 and "/#/playback?camera=station-1" in lines[1], lines[1]
            r = await hh.req("incident.options")
            assert "OV/stationsgebied" in r["categories"] and "geen actie" in r["actions"], r
            await op.close()
            await hh.close()
        run(t())

    def test_bad_input(self):
        before = int(self.sql("SELECT count(*) FROM incident").stdout)

        async def t():
            op = await self.client("op")
            base = dict(camera="station-1", position=self.now_iso(-1), source="live",
                        category="overlast", description="x")
            cases = [
                (dict(base, category="ufo"), "bad_message"),
                (dict(base, position=self.now_iso(3600)), "bad_message"),
                (dict(base, position="gisteren"), "bad_message"),
                (dict(base, position="2020-01-01T00:00:00Z"), "bad_message"),
                (dict(base, severity="extreme"), "bad_message"),
                (dict(base, source="tv"), "bad_message"),
                (dict(base, actions=["bellen"]), "bad_message"),
                (dict(base, actions="boa ingezet"), "bad_message"),
                (dict(base, description=""), "bad_message"),
                (dict(base, description="x" * 5000), "bad_message"),
                (dict(base, camera="../../etc/passwd"), "not_found"),
                (dict(base, cameras=["nope"]), "not_found"),
                (dict(base, cameras=[5]), "bad_message"),
            ]
            for fields, code in cases:
                r = await op.req("incident.create", **fields)
                assert r["type"] == "error" and r["code"] == code, (fields, r)
            for fields, code in [({"incident": 999999, "field": "note", "value": "x"}, "not_found"),
                                 ({"incident": "1", "field": "note", "value": "x"}, "bad_message"),
                                 ({"field": "note", "value": "x"}, "bad_message"),
                                 ({"incident": 1, "field": "created_by", "value": "x"}, "bad_message")]:
                r = await op.req("incident.amend", **fields)
                assert r["type"] == "error" and r["code"] == code, (fields, r)
            await op.close()
        run(t())
        assert int(self.sql("SELECT count(*) FROM incident").stdout) == before

    def test_durable_under_sigkill(self):
        acked = []

        async def writer(name, n):
            c = await self.client(name)
            for k in range(n):
                r = await c.req("incident.create", camera="station-1", position=self.now_iso(-1),
                                source="live", category="overlast", description=f"{name} {k}")
                assert r["type"] == "result", r
                acked.append(r["incident"]["incident"])
            return c

        async def t():
            clients = await asyncio.gather(*(writer(n, 150) for n in ("op", "op2", "sup")))
            # SIGKILL right after the last acknowledgements.
            os.kill(self.serve.p.pid, signal.SIGKILL)
            for c in clients:
                try:
                    await c.close()
                except Exception:
                    pass
        run(t())
        self.serve.stop()
        assert len(acked) == 450
        assert self.sql("PRAGMA integrity_check").stdout.strip() == "ok"
        self.start_serve(name="serve-2")
        stored = set(int(x) for x in self.sql("SELECT id FROM incident").stdout.split())
        missing = [i for i in acked if i not in stored]
        assert not missing, f"{len(missing)} acknowledged incidents lost"
        r = u.cli("audit", "verify", "-c", self.config)
        assert "intact" in r.stdout, r.stdout


if __name__ == "__main__":
    asyncio.set_event_loop(asyncio.new_event_loop())
    IncidentTests().run()
