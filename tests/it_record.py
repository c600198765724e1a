"""Integration tests: recording real RTSP cameras (issue: foundation).

Starts `uitkijk testcam` (gst-rtsp-server) and `uitkijk serve` for real, then
checks with ffprobe and the cameras' embedded capture times: continuity,
locate exact to the frame, a drifting camera, a camera killed and restarted,
and serve killed with SIGKILL mid-segment.
"""
import os
import random
import signal
import time

import uktest as u


def complete_segments(config, camera):
    return [s for s in u.recordings(config, camera)["segments"] if s["complete"]]


class RecordTests(u.Tests):
    def __init__(self):
        self.dir = u.tmpdir("record")
        u.log("test folder:", self.dir)
        self.cam_port = u.free_port()
        self.drift_port = u.free_port()
        self.cam = u.start_testcam(self.dir, self.cam_port, cameras=2)
        self.drift = u.start_testcam(self.dir, self.drift_port, cameras=1, drift_ppm=500,
                                     name="testcam-drift")
        self.h265_port = u.free_port()
        self.h265 = u.start_testcam(self.dir, self.h265_port, cameras=1, h265=True,
                                    name="testcam-h265")
        self.config = u.write_config(self.dir, [
            ("cam-h", "station", f"rtsp://127.0.0.1:{self.h265_port}/cam1"),
            ("cam-a", "station", f"rtsp://127.0.0.1:{self.cam_port}/cam1"),
            ("cam-b", "centrum", f"rtsp://127.0.0.1:{self.cam_port}/cam2"),
            ("cam-d", "centrum", f"rtsp://127.0.0.1:{self.drift_port}/cam1"),
        ], segment_seconds=4)
        self.serve = u.start_serve(self.dir, self.config)
        self.started = time.time()
        self.probed = {}

    def cleanup(self):
        for p in (self.serve, self.cam, self.drift, self.h265):
            p.stop()

    def probe(self, path):
        if path not in self.probed:
            self.probed[path] = u.probe_frames(path)
        return self.probed[path]

    def test_continuity(self):
        segs = u.wait_until("3 complete segments of cam-a",
                            lambda: len(complete_segments(self.config, "cam-a")) >= 3 and
                            complete_segments(self.config, "cam-a"), 60, 1)
        rec = u.recordings(self.config, "cam-a")
        assert rec["gaps"] == [], rec["gaps"]
        last_frame = None
        for i, s in enumerate(segs):
            assert os.path.isabs(s["path"]) and os.path.exists(s["path"]), s
            if i:
                assert s["start"] == segs[i - 1]["end"], (segs[i - 1], s)
            frames = self.probe(s["path"])
            assert len(frames) == s["frames"], (len(frames), s)
            assert frames[0]["key"], "a segment starts with a keyframe"
            assert abs(frames[0]["pts_time"]) < 1e-6
            assert 3.9 <= len(frames) / 25 <= 4.2, f"{len(frames)} frames in a 4 s segment"
            for j, f in enumerate(frames):
                assert f["frame"] is not None, "every frame carries the camera's capture SEI"
                if last_frame is not None:
                    assert f["frame"] == last_frame + 1, f"frame {last_frame + 1} missing in {s['path']}"
                last_frame = f["frame"]
                assert abs(f["pts_time"] - j * 0.04) < 1e-3, (j, f)
        # The other camera records too.
        assert len(complete_segments(self.config, "cam-b")) >= 2

    def test_locate_exact(self):
        segs = complete_segments(self.config, "cam-a")
        rnd = random.Random(1)
        checked = 0
        for s in segs:
            frames = self.probe(s["path"])
            for f in rnd.sample(frames, 8) + [frames[0], frames[-1]]:
                t = u.rfc3339(f["capture_us"] + 20_000)  # mid-frame, as an operator sees it
                got, r = u.locate(self.config, "cam-a", t)
                assert got, f"locate {t}: {r.stderr}"
                shown = [g for g in self.probe(got["path"]) if abs(g["pts_time"] - got["pts_s"]) < 1e-4]
                assert len(shown) == 1, (got, t)
                assert shown[0]["frame"] == f["frame"], \
                    f"locate {t} gave frame {shown[0]['frame']}, captured as {f['frame']}"
                err_ms = abs(u.parse_rfc3339_us(got["frame_time"]) - f["capture_us"]) / 1000
                assert err_ms < 40, f"frame_time off by {err_ms:.1f} ms"
                checked += 1
        assert checked >= 30
        # Before anything was recorded: a clear message and exit 1.
        got, r = u.locate(self.config, "cam-a", "2020-01-01T00:00:00.000Z")
        assert got is None and r.returncode == 1 and "no recording" in r.stderr, r
        # The segment being written is found too (read from its file).
        now = u.rfc3339(time.time() * 1e6 - 1_500_000)
        got, r = u.locate(self.config, "cam-a", now)
        assert got, r.stderr
        # Bad input.
        r = u.cli("locate", "-c", self.config, "cam-a", "yesterday", check=False)
        assert r.returncode == 2 and "RFC 3339" in r.stderr, r.stderr
        r = u.cli("locate", "-c", self.config, "nope", "2026-01-01T00:00:00Z", check=False)
        assert r.returncode == 2 and "unknown camera 'nope'" in r.stderr, r.stderr

    def test_h265(self):
        segs = u.wait_until("2 complete H.265 segments",
                            lambda: len(complete_segments(self.config, "cam-h")) >= 2 and
                            complete_segments(self.config, "cam-h"), 30, 1)
        r = u.subprocess.run(["ffprobe", "-v", "error", "-show_entries", "stream=codec_name,codec_tag_string",
                              "-of", "json", segs[0]["path"]], capture_output=True, text=True)
        stream = u.json.loads(r.stdout)["streams"][0]
        assert stream["codec_name"] == "hevc" and stream["codec_tag_string"] == "hvc1", stream
        frames = self.probe(segs[0]["path"]) + self.probe(segs[1]["path"])
        numbers = [f["frame"] for f in frames]
        assert numbers == list(range(numbers[0], numbers[0] + len(numbers))), "no frame missing"
        f = frames[len(frames) // 2]
        got, r = u.locate(self.config, "cam-h", u.rfc3339(f["capture_us"] + 20_000))
        assert got and got["path"] == segs[1]["path"], (got, r.stderr)

    def test_drift_500ppm(self):
        # A camera whose clock runs 500 ppm fast: uncorrected, its frames' times
        # would be off by 30 ms a minute. Check 75 s of one run.
        u.wait_until("75 s of cam-d", lambda: sum(
            1 for _ in complete_segments(self.config, "cam-d")) >= 19, 120, 2)
        segs = complete_segments(self.config, "cam-d")
        first = self.probe(segs[0]["path"])
        last = self.probe(segs[-1]["path"])
        media_s = (last[-1]["frame"] - first[0]["frame"]) * 0.04
        real_s = (last[-1]["capture_us"] - first[0]["capture_us"]) / 1e6
        ratio = media_s / real_s
        u.log(f"cam-d: {media_s:.3f} s of camera time in {real_s:.3f} s: {(ratio - 1) * 1e6:.0f} ppm")
        assert 300e-6 < ratio - 1 < 700e-6, "the simulated camera drifts 500 ppm"
        worst = 0
        for s in segs[-6:]:
            frames = self.probe(s["path"])
            for f in frames[::10] + [frames[-1]]:
                got, r = u.locate(self.config, "cam-d", u.rfc3339(f["capture_us"] + 20_000))
                assert got, r.stderr
                shown = [g for g in self.probe(got["path"]) if abs(g["pts_time"] - got["pts_s"]) < 1e-4]
                assert shown and shown[0]["frame"] == f["frame"], (f, got)
                worst = max(worst, abs(u.parse_rfc3339_us(got["frame_time"]) - f["capture_us"]) / 1000)
        u.log(f"cam-d: worst frame_time error {worst:.1f} ms")
        assert worst < 40

    def test_camera_killed_and_restarted(self):
        self.cam.stop(signal.SIGKILL)
        killed = time.time()
        time.sleep(2)
        self.cam = u.start_testcam(self.dir, self.cam_port, cameras=2, name="testcam-2")
        back = time.time()

        def resumed():
            rec = u.recordings(self.config, "cam-a")
            gaps = [g for g in rec["gaps"] if g["end"] is not None and
                    u.parse_rfc3339_us(g["end"]) / 1e6 > killed - 5]
            return gaps and rec
        rec = u.wait_until("cam-a to resume", resumed, 30, 0.5)
        gap = [g for g in rec["gaps"] if g["end"]][-1]
        u.log("gap:", gap)
        assert gap["reason"], gap
        resumed_at = u.parse_rfc3339_us(gap["end"]) / 1e6
        assert resumed_at - back <= 5.0, f"resumed {resumed_at - back:.1f} s after the camera returned"
        gap_start = u.parse_rfc3339_us(gap["start"]) / 1e6
        assert abs(gap_start - killed) < 1.5, (gap_start, killed)
        # The segment after the gap starts where the gap ends.
        starts = [s["start"] for s in rec["segments"]]
        assert gap["end"] in starts, (gap, starts[-3:])

    def test_serve_sigkilled_mid_segment(self):
        segs = u.wait_until("a complete segment of cam-b",
                            lambda: complete_segments(self.config, "cam-b"), 60, 1)
        # Kill 2 s into a 4 s segment.
        time.sleep(2 + (time.time() - u.parse_rfc3339_us(segs[-1]["end"]) / 1e6) % 4)
        self.serve.stop(signal.SIGKILL)
        killed = time.time()
        time.sleep(1)
        self.serve = u.start_serve(self.dir, self.config, name="serve-2")
        u.wait_until("serve-2 to record", lambda: any(
            u.parse_rfc3339_us(s["start"]) / 1e6 > killed
            for s in u.recordings(self.config, "cam-b")["segments"]), 30, 0.5)
        rec = u.recordings(self.config, "cam-b")
        before = [s for s in rec["segments"] if u.parse_rfc3339_us(s["start"]) / 1e6 < killed]
        last = before[-1]
        assert last["complete"], last
        lost = killed - u.parse_rfc3339_us(last["end"]) / 1e6
        u.log(f"cam-b: {lost:.2f} s lost at SIGKILL")
        assert lost <= 1.0, f"{lost:.2f} s of video lost"
        frames = self.probe(last["path"])  # ffprobe: no errors, every frame whole
        assert len(frames) == last["frames"]
        gap = [g for g in rec["gaps"] if "unexpectedly" in g["reason"]]
        assert gap, rec["gaps"]


if __name__ == "__main__":
    RecordTests().run()
