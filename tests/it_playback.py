"""Black-box tests of playback and the timeline: a playback grant over the
websocket (audited), the granted segment files over HTTP with byte ranges
(206, Content-Range, 416), for the grant's user's session only; the timeline's
recorded spans, gaps and incidents."""
import asyncio
import json
import os
import subprocess
import time

import uktest as u
from it_console import Client, password, run


class PlaybackTests(u.Tests):
    def __init__(self):
        self.dir = u.tmpdir("playback")
        u.log("test folder:", self.dir)
        self.cam_port, self.port = u.free_port(), u.free_port()
        self.cam = u.start_testcam(self.dir, self.cam_port, cameras=1)
        self.config = u.write_config(self.dir, [
            ("station-1", "station", f"rtsp://127.0.0.1:{self.cam_port}/cam1"),
            ("centrum-1", "centrum", f"rtsp://127.0.0.1:{u.free_port()}/x"),
        ], segment_seconds=2, listen_port=self.port)
        u.add_users(self.config, [(n, r, "station") for n, r in (
            ("op", "operator"), ("op2", "operator"), ("pol", "police"), ("hh", "handhaving"))]
                    + [("priv", "privacy", None)])
        self.serve = u.start_serve(self.dir, self.config)
        u.wait_until("the console", lambda: u.port_open(self.port), 30)
        u.wait_complete_segments(self.config, "station-1", 3, 30)

    def cleanup(self):
        for p in (self.serve, self.cam):
            p.stop()

    def http(self, method, path, headers=None, body=None):
        return u.http(self.port, method, path, headers, body)

    def cookie(self, user):
        return u.session_cookie(self.port, user)

    def test_playback_grant_and_ranges(self):
        cookie = self.cookie("op")
        segs = u.complete_segments(self.config, "station-1")

        async def t():
            c = await Client.open(self.port, cookie=cookie.split("=", 1)[1])
            assert c.hello["logged_in"], c.hello
            start = segs[0]["start"]
            r = await c.req("playback.open", camera="station-1", **{"from": start})
            assert r["type"] == "result" and r["segments"], r
            r2 = await c.req("playback.open", camera="centrum-1", **{"from": start})
            assert r2["code"] == "forbidden", r2
            await c.close()
            return r
        grant = run(t())
        first = grant["segments"][0]
        path = os.path.join(self.dir, "data", segs[0]["path"])
        data = open(path, "rb").read()
        # The whole file, then a range, a suffix range and one past the end.
        status, headers, body = self.http("GET", first["url"], {"Cookie": cookie})
        assert status == 200 and body == data and headers["Accept-Ranges"] == "bytes", (status, headers)
        assert headers["Content-Type"] == "video/mp4", headers
        status, headers, body = self.http("GET", first["url"], {"Cookie": cookie, "Range": "bytes=100-1099"})
        assert status == 206 and body == data[100:1100], (status, len(body))
        assert headers["Content-Range"] == f"bytes 100-1099/{len(data)}", headers
        status, headers, body = self.http("GET", first["url"], {"Cookie": cookie, "Range": "bytes=-500"})
        assert status == 206 and body == data[-500:], status
        status, headers, _ = self.http("GET", first["url"], {"Cookie": cookie, "Range": f"bytes={len(data) + 10}-"})
        assert status == 416 and headers["Content-Range"] == f"bytes */{len(data)}", (status, headers)
        status, headers, body = self.http("HEAD", first["url"], {"Cookie": cookie})
        assert status == 200 and body == b"" and int(headers["Content-Length"]) == len(data), headers
        # Only with the grant's user's session, only the granted files, no path tricks.
        assert self.http("GET", first["url"])[0] == 404
        assert self.http("GET", first["url"], {"Cookie": self.cookie("op2")})[0] == 404
        token = grant["token"]
        for bad in (f"/files/pb/{token}/../uitkijk.db", f"/files/pb/{token}/station-1/../../uitkijk.db",
                    f"/files/pb/{'0' * 32}/{segs[0]['path']}", "/files/uitkijk.db", "/files/pb/"):
            assert self.http("GET", bad, {"Cookie": cookie})[0] == 404, bad
        # Audited: camera and range.
        rows = subprocess.run(["sqlite3", os.path.join(self.dir, "data", "uitkijk.db"),
                               "SELECT actor, camera FROM audit WHERE action = 'playback'"],
                              capture_output=True, text=True).stdout.split()
        assert rows == ["op|station-1"], rows

    def test_timeline(self):
        async def t():
            c = await Client.open(self.port)
            await c.login("op")
            now = time.time()
            r = await c.req("incident.create", camera="station-1", position=u.rfc3339((now - 2) * 1e6),
                            source="live", category="overlast", description="tijdlijn")
            assert r["type"] == "result", r
            r = await c.req("timeline", camera="station-1", **{"from": u.rfc3339((now - 3600) * 1e6),
                                                                 "to": u.rfc3339((now + 60) * 1e6)})
            assert r["type"] == "result" and len(r["recorded"]) == 1, r  # one continuous span
            assert [i["category"] for i in r["incidents"]] == ["overlast"], r
            bad = await c.req("timeline", camera="station-1", **{"from": u.rfc3339(now * 1e6),
                                                                   "to": u.rfc3339((now - 5) * 1e6)})
            assert bad["code"] == "bad_message", bad
            await c.close()
            pol = await Client.open(self.port)
            await pol.login("pol")
            r = await pol.req("timeline", camera="station-1", **{"from": u.rfc3339((now - 3600) * 1e6)})
            assert r["type"] == "result" and r["incidents"] == [], r  # no incident log for the police
            r = await pol.req("playback.open", camera="station-1", **{"from": u.rfc3339((now - 60) * 1e6)})
            assert r["code"] == "forbidden", r
            await pol.close()
        run(t())

    def test_handhaving_video_only_when_granted(self):
        """Handhaving reads incident logs; recorded video of an area only with
        a video grant from the privacy officer (never live)."""
        async def t():
            now = time.time()
            span = {"from": u.rfc3339((now - 60) * 1e6)}
            hh, priv = await Client.open(self.port), await Client.open(self.port)
            await hh.login("hh")
            await priv.login("priv")
            for m in ("timeline", "playback.open"):
                r = await hh.req(m, camera="station-1", **span)
                assert r["code"] == "forbidden" and "video grant" in r["message"], r
            r = await priv.req("user.authorise", user="op", area="centrum", video=True)
            assert r["code"] == "bad_message", r  # the operator's role decides
            r = await priv.req("user.authorise", user="hh", area="station", video="ja")
            assert r["code"] == "bad_message", r
            r = await priv.req("user.authorise", user="hh", area="station", video=True,
                               valid_until=u.rfc3339((now + 3600) * 1e6))
            assert r["type"] == "result" and r["video"] is True, r
            r = await hh.req("session")
            assert any(a["area"] == "station" and a["video"] for a in r["areas"]), r
            r = await hh.req("timeline", camera="station-1", **span)
            assert r["type"] == "result" and r["recorded"], r
            r = await hh.req("playback.open", camera="station-1", **span)
            assert r["type"] == "result" and r["segments"], r
            r = await hh.req("playback.open", camera="centrum-1", **span)
            assert r["code"] == "forbidden", r  # not its area
            r = await hh.req("live.start", camera="station-1")
            assert r["code"] == "forbidden", r  # never live
            for c in (hh, priv):
                await c.close()
        run(t())
        rows = subprocess.run(["sqlite3", os.path.join(self.dir, "data", "uitkijk.db"),
                               "SELECT actor || '|' || action || '|' || coalesce(json_extract(detail, '$.video'), '') "
                               "FROM audit WHERE action IN ('authorisation_granted', 'playback')"],
                              capture_output=True, text=True).stdout.split()
        assert "priv|authorisation_granted|1" in rows and any(r.startswith("hh|playback") for r in rows), rows


if __name__ == "__main__":
    asyncio.set_event_loop(asyncio.new_event_loop())
    PlaybackTests().run()
