"""Black-box tests of live view over the console websocket (server side):
fragmented MP4 that ffprobe decodes, frames' wall-clock times, a second
viewer starting at once from the latest keyframe, area and role checks,
the H.265 notice, and the audit of every view."""
import asyncio
import json
import os
import struct
import subprocess
import time

import uktest as u
from it_console import Client, password, run


def parse_binary(data):
    kind, flags, idlen = data[0], data[1], data[2]
    camera = data[3:3 + idlen].decode()
    wall_90k = struct.unpack(">q", data[3 + idlen:11 + idlen])[0]
    return kind, bool(flags & 1), camera, wall_90k, data[11 + idlen:]


class LiveTests(u.Tests):
    def __init__(self):
        self.dir = u.tmpdir("live")
        u.log("test folder:", self.dir)
        self.cam_port, self.h265_port, self.port = u.free_port(), u.free_port(), u.free_port()
        self.cam = u.start_testcam(self.dir, self.cam_port, cameras=1)
        self.h265 = u.start_testcam(self.dir, self.h265_port, cameras=1, h265=True, name="testcam-h265")
        self.config = u.write_config(self.dir, [
            ("station-1", "station", f"rtsp://127.0.0.1:{self.cam_port}/cam1"),
            ("station-h", "station", f"rtsp://127.0.0.1:{self.h265_port}/cam1"),
            ("centrum-1", "centrum", f"rtsp://127.0.0.1:{u.free_port()}/x"),
        ], segment_seconds=4, listen_port=self.port)
        for name, role in (("op", "operator"), ("op2", "operator"), ("hh", "handhaving")):
            r = subprocess.run([u.UITKIJK, "user", "add", "-c", self.config, name, "--role", role,
                                "--areas", "station", "--password-stdin"],
                               input=password(name) + "\n", capture_output=True, text=True)
            assert r.returncode == 0, r.stderr
        self.serve = u.start_serve(self.dir, self.config)
        u.wait_until("the console", lambda: u.port_open(self.port), 30)
        u.wait_until("recording", lambda: u.recordings(self.config, "station-1")["segments"], 30, 0.5)

    def cleanup(self):
        for p in (self.serve, self.cam, self.h265):
            p.stop()

    async def viewer(self, user):
        c = await Client.open(self.port)
        r = await c.login(user)
        assert r["type"] == "result", r
        return c

    async def collect(self, c, seconds):
        """Binary messages for @seconds: (arrival time, parsed)."""
        got = []
        end = time.time() + seconds
        while time.time() < end:
            try:
                m = await asyncio.wait_for(c.ws.recv(), max(0.01, end - time.time()))
            except asyncio.TimeoutError:
                break
            if isinstance(m, bytes):
                got.append((time.time(), parse_binary(m)))
        return got

    def test_live_stream(self):
        async def t():
            a = await self.viewer("op")
            r = await a.req("live.start", camera="station-1")
            assert r["type"] == "result" and r["playable"] is True, r
            started = time.time()
            msgs = await self.collect(a, 4)
            assert msgs, "no video"
            kinds = [m[1][0] for m in msgs]
            assert kinds[0] == 1, "the stream starts with an init segment"
            media = [m for m in msgs if m[1][0] == 2]
            assert media[0][1][1], "the first frame is a keyframe"
            first_key_s = media[0][0] - started
            u.log(f"first viewer: first keyframe after {first_key_s:.2f} s (GOP 2 s)")
            walls = [m[1][3] for m in media]
            assert all(b > a for a, b in zip(walls, walls[1:])), "frame times increase"
            lat = [m[0] * 1000 - w / 90 for m, w in zip(media, walls)]
            lat.sort()
            u.log(f"frame time to arrival: p50 {lat[len(lat) // 2]:.0f} ms, max {lat[-1]:.0f} ms")
            assert lat[len(lat) // 2] < 500, lat[len(lat) // 2]
            # The stream decodes: init + fragments is a valid fragmented MP4.
            path = os.path.join(self.dir, "live.mp4")
            with open(path, "wb") as f:
                f.write(msgs[0][1][4])
                for m in media:
                    f.write(m[1][4])
            frames = u.probe_frames(path)
            assert len(frames) == len(media), (len(frames), len(media))
            numbers = [f["frame"] for f in frames]
            assert numbers == list(range(numbers[0], numbers[0] + len(numbers))), "no frame missing"
            # A second viewer starts at once from the latest keyframe.
            b = await self.viewer("op2")
            t0 = time.time()
            r = await b.req("live.start", camera="station-1")
            assert r["mime"] and r["mime"].startswith('video/mp4; codecs="avc1.'), r
            second = await self.collect(b, 1.0)
            assert second[0][1][0] == 1 and second[1][1][0] == 2 and second[1][1][1], second[:2]
            delay = second[1][0] - t0
            u.log(f"second viewer: keyframe after {delay * 1000:.0f} ms")
            assert delay < 0.5, delay
            for c in (a, b):
                r = await c.req("live.stop", camera="station-1")
                assert r["type"] == "result", r
                await c.close()
        run(t())
        rows = subprocess.run(["sqlite3", os.path.join(self.dir, "data", "uitkijk.db"),
                               "SELECT action, actor, camera, json_extract(detail, '$.duration_s') "
                               "FROM audit WHERE action LIKE 'live_view_%'"],
                              capture_output=True, text=True).stdout.split()
        assert any(r.startswith("live_view_start|op|station-1") for r in rows), rows
        stops = [r for r in rows if r.startswith("live_view_stop|op|station-1|")]
        assert stops and float(stops[0].split("|")[3]) >= 3, rows

    def test_logout_stops_video(self):
        async def t():
            c = await self.viewer("op")
            r = await c.req("live.start", camera="station-1")
            assert r["type"] == "result", r
            assert await self.collect(c, 2.5), "no video before logout"
            r = await c.req("logout")  # replies after any video already queued
            assert r["type"] == "result", r
            late = await self.collect(c, 1.5)
            assert not late, f"{len(late)} video messages after logout"
            await c.close()
        run(t())

    def test_refused_and_h265(self):
        async def t():
            op, hh = await self.viewer("op"), await self.viewer("hh")
            r = await op.req("live.start", camera="centrum-1")
            assert r["code"] == "forbidden", r
            r = await hh.req("live.start", camera="station-1")
            assert r["code"] == "forbidden", r
            r = await op.req("live.start", camera="nergens")
            assert r["code"] == "not_found", r
            u.wait_until("H.265 recording", lambda: u.recordings(self.config, "station-h")["segments"], 30, 0.5)
            await asyncio.sleep(1.5)
            r = await op.req("live.start", camera="station-h")
            assert r["type"] == "result" and r["playable"] is False and "H.265" in r["notice"], r
            await op.req("live.stop", camera="station-h")
            for c in (op, hh):
                await c.close()
        run(t())


if __name__ == "__main__":
    asyncio.set_event_loop(asyncio.new_event_loop())
    LiveTests().run()
