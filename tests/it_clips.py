"""Black-box tests of police clip requests: the request's required fields and
legal basis, four-eyes approval, the export (remuxed, never transcoded) with
its progress and signed manifest, the download for the requester only, every
step audited, and `uitkijk export verify` catching one flipped byte."""
import asyncio
import json
import os
import subprocess
import time

import uktest as u
from it_console import Client, password, run


class ClipTests(u.Tests):
    def __init__(self):
        self.dir = u.tmpdir("clips")
        u.log("test folder:", self.dir)
        self.cam_port, self.port = u.free_port(), u.free_port()
        self.cam = u.start_testcam(self.dir, self.cam_port, cameras=1)
        self.config = u.write_config(self.dir, [
            ("station-1", "station", f"rtsp://127.0.0.1:{self.cam_port}/cam1"),
            ("centrum-1", "centrum", f"rtsp://127.0.0.1:{u.free_port()}/x"),
        ], segment_seconds=2, listen_port=self.port)
        u.add_users(self.config, [(n, r, "station") for n, r in (
            ("pol", "police"), ("sup", "supervisor"), ("op", "operator"))])
        # The rules' clock (retention of exports), moved by the last test.
        self.clock = os.path.join(self.dir, "clock")
        open(self.clock, "w").write("0\n")
        os.environ["UITKIJK_TEST_CLOCK_FILE"] = self.clock
        try:
            self.serve = u.start_serve(self.dir, self.config)
        finally:
            del os.environ["UITKIJK_TEST_CLOCK_FILE"]
        u.wait_until("the console", lambda: u.port_open(self.port), 30)
        u.wait_complete_segments(self.config, "station-1", 4)

    def cleanup(self):
        for p in (self.serve, self.cam):
            p.stop()

    def http(self, method, path, headers=None, body=None):
        return u.http(self.port, method, path, headers, body)

    def cookie(self, user):
        return u.session_cookie(self.port, user)

    def test_request_approve_export_verify(self):
        segs = u.complete_segments(self.config, "station-1")
        start_us = u.parse_rfc3339_us(segs[0]["start"]) + 700e3  # mid-segment
        end_us = u.parse_rfc3339_us(segs[3]["end"]) - 300e3        # across three boundaries
        span = {"from": u.rfc3339(start_us), "to": u.rfc3339(end_us)}

        async def t():
            pol, sup = await Client.open(self.port), await Client.open(self.port)
            await pol.login("pol")
            await sup.login("sup")
            base = dict(cameras=["station-1"], case_ref="PL0100-2026-4711", purpose="opsporing mishandeling", **span)
            r = await pol.req("clip.request", legal_basis="sv-126nd", **base)
            assert r["code"] == "bad_message" and "vordering" in r["message"], r
            r = await pol.req("clip.request", legal_basis="wpg-15-16", **{**base, "case_ref": ""})
            assert r["code"] == "bad_message", r
            r = await pol.req("clip.request", legal_basis="wpg-15-16", **{**base, "cameras": ["centrum-1"]})
            assert r["code"] == "forbidden", r
            r = await pol.req("clip.request", legal_basis="wpg-15-16", **base)
            assert r["type"] == "result" and r["clip"]["state"] == "requested", r
            clip = r["clip"]["clip"]
            r = await pol.req("clip.decide", clip=clip, approve=True)
            assert r["code"] == "forbidden", r  # the requester cannot approve
            r = await sup.req("clip.decide", clip=clip, approve=False)
            assert r["code"] == "bad_message", r  # a decision needs a reason
            t0 = time.time()
            r = await sup.req("clip.decide", clip=clip, approve=True, reason="akkoord")
            assert r["type"] == "result" and r["clip"]["state"] == "approved", r
            progress, done = [], None
            while not done:
                raw = json.loads(await asyncio.wait_for(pol.ws.recv(), 60))
                for ev in raw.get("events", [raw]):
                    if ev.get("event") == "clip.progress":
                        progress.append(ev["progress"])
                    if ev.get("event") == "clip.exported":
                        done = ev["clip"]
            u.log(f"export ready {time.time() - t0:.2f} s after approval; progress {progress}")
            assert progress and progress[-1] == 1.0, progress
            r = await sup.req("clip.decide", clip=clip, approve=True, reason="nogmaals")
            assert r["code"] == "not_found", r  # decided once
            for c in (pol, sup):
                await c.close()
            return done
        clip = run(t())
        exp = clip["exports"][0]
        assert exp["state"] == "ready" and len(exp["sha256"]) == 64, exp
        # The requester downloads it; nobody else.
        pol_cookie = self.cookie("pol")
        status, headers, video = self.http("GET", exp["video_url"], {"Cookie": pol_cookie})
        assert status == 200 and headers["Content-Type"] == "video/mp4" and len(video) == exp["bytes"], status
        status, _, manifest = self.http("GET", exp["manifest_url"], {"Cookie": pol_cookie})
        assert status == 200, status
        assert self.http("GET", exp["video_url"], {"Cookie": self.cookie("sup")})[0] == 404
        assert self.http("GET", exp["video_url"])[0] == 404
        m = json.loads(manifest)
        assert m["camera"] == "station-1" and m["case_ref"] == "PL0100-2026-4711", m
        assert m["original_stream"] is True and m["transcoded"] is False and m["file"]["sha256"] == exp["sha256"], m
        assert m["approved_by"] == "sup" and m["requested_by"] == "pol", m
        # verify: 0 as exported, 1 after one flipped byte.
        folder = os.path.join(self.dir, "download")
        os.makedirs(folder, exist_ok=True)
        mp4, man = os.path.join(folder, "clip.mp4"), os.path.join(folder, "clip.manifest.json")
        open(mp4, "wb").write(video)
        open(man, "wb").write(manifest)
        status, _, pub = self.http("GET", "/files/export-key.pub")
        assert status == 200 and len(pub.strip()) == 64, (status, pub)
        key = os.path.join(folder, "key.pub")
        open(key, "wb").write(pub)
        r = subprocess.run([u.UITKIJK, "export", "verify", mp4, man, "--pubkey", key], capture_output=True, text=True)
        assert r.returncode == 0, r.stdout + r.stderr
        bad = os.path.join(folder, "bad.mp4")
        data = bytearray(video)
        data[len(data) // 2] ^= 0x01
        open(bad, "wb").write(data)
        r = subprocess.run([u.UITKIJK, "export", "verify", bad, man, "--pubkey", key], capture_output=True, text=True)
        assert r.returncode == 1 and "SHA-256" in (r.stdout + r.stderr), r.stdout + r.stderr
        badman = os.path.join(folder, "bad.manifest.json")
        open(badman, "w").write(manifest.decode().replace("PL0100-2026-4711", "PL0100-2026-4712"))
        r = subprocess.run([u.UITKIJK, "export", "verify", mp4, badman, "--pubkey", key], capture_output=True, text=True)
        assert r.returncode == 1 and "signature" in (r.stdout + r.stderr), r.stdout + r.stderr
        # ffprobe: no errors.
        p = subprocess.run(["ffprobe", "-v", "error", "-show_entries", "stream=codec_name", "-of", "json", mp4],
                           capture_output=True, text=True)
        assert p.returncode == 0 and p.stderr == "", p.stderr
        # Audited: request, approval, export, downloads.
        rows = subprocess.run(["sqlite3", os.path.join(self.dir, "data", "uitkijk.db"),
                               "SELECT action FROM audit WHERE action LIKE 'clip_%' ORDER BY id"],
                              capture_output=True, text=True).stdout.split()
        assert rows[:3] == ["clip_requested", "clip_approved", "clip_exported"], rows
        assert rows.count("clip_downloaded") == 2, rows
        self.expired_clip = clip

    def test_zz_export_deleted_when_link_expires(self):
        """After the download link's end (export_link_days, default 14) the
        retention task deletes the export's files (garbage table, audited);
        clips.list then says so and gives no URLs."""
        db = os.path.join(self.dir, "data", "uitkijk.db")
        files = subprocess.run(["sqlite3", db, "SELECT file || char(10) || manifest FROM clip_export "
                                "WHERE state = 'ready'"], capture_output=True, text=True).stdout.split()
        assert len(files) == 2, files
        storage = os.path.join(self.dir, "data")
        assert all(os.path.exists(os.path.join(storage, f)) for f in files), files
        with open(self.clock + ".tmp", "w") as f:
            f.write(f"{15 * 86400}\n")
        os.replace(self.clock + ".tmp", self.clock)
        u.wait_until("the export's files deleted",
                     lambda: not any(os.path.exists(os.path.join(storage, f)) for f in files), 30, 0.5)

        async def t():
            pol = await Client.open(self.port)
            await pol.login("pol")
            r = await pol.req("clips.list")
            await pol.close()
            return r
        r = run(t())
        exp = [c for c in r["clips"] if c["clip"] == self.expired_clip["clip"]][0]["exports"][0]
        assert exp["deleted"] is True and exp["video_url"] is None and exp["manifest_url"] is None, exp
        rows = subprocess.run(["sqlite3", db, "SELECT count(*) FROM audit WHERE action = 'clip_export_deleted'"],
                              capture_output=True, text=True).stdout.strip()
        assert rows == "1", rows
        assert subprocess.run(["sqlite3", db, "SELECT count(*) FROM garbage"], capture_output=True,
                              text=True).stdout.strip() == "0"


if __name__ == "__main__":
    asyncio.set_event_loop(asyncio.new_event_loop())
    ClipTests().run()
