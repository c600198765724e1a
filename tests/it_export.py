"""Integration tests: police clip exports (`uitkijk export clip`).

Records a simulated camera (which embeds each frame's capture time and number
in an SEI) with 2 s segments, then exports ranges and checks the MP4 with
ffprobe/ffmpeg: no errors, the camera's packets copied byte for byte, the first
displayed frame exactly the one `uitkijk locate` gives for FROM, the last the
one on screen just before TO, one wall-clock subtitle cue per frame, the
SHA-256; a range across a camera outage; and the errors.
"""
import datetime
import hashlib
import json
import os
import re
import shutil
import signal
import struct
import subprocess
import time
import zoneinfo

import uktest as u

AMSTERDAM = zoneinfo.ZoneInfo("Europe/Amsterdam")
CUE_RE = re.compile(r"(\d\d:\d\d:\d\d,\d\d\d) --> (\d\d:\d\d:\d\d,\d\d\d)\n(.*?)\n\n", re.S)
TAG_RE = re.compile(r"<[^>]*>")


def complete_segments(config, camera):
    return [s for s in u.recordings(config, camera)["segments"] if s["complete"]]


def rfc3339_of(us):
    return u.rfc3339(us)


def local_text(rfc):
    """The subtitle text uitkijk writes for a UTC RFC 3339 instant (ms already rounded)."""
    us = u.parse_rfc3339_us(rfc)
    dt = datetime.datetime.fromtimestamp(us // 1_000_000, datetime.timezone.utc)
    dt = dt.astimezone(AMSTERDAM)
    off = dt.strftime("%z")
    return f"{dt:%Y-%m-%d %H:%M:%S}.{(us // 1000) % 1000:03d} {off[:3]}:{off[3:]}"


def srt_seconds(text):
    h, m, rest = text.split(":")
    s, ms = rest.split(",")
    return int(h) * 3600 + int(m) * 60 + int(s) + int(ms) / 1000


def packets(path):
    """Video packets as ffprobe reads them: pts_time, pos, flags and the camera's SEI."""
    r = subprocess.run(["ffprobe", "-v", "error", "-select_streams", "v:0", "-show_packets",
                        "-show_data", "-of", "json", path], capture_output=True, text=True,
                       timeout=120)
    assert r.returncode == 0 and r.stderr.strip() == "", f"ffprobe {path}: {r.stderr}"
    out = []
    for p in json.loads(r.stdout).get("packets", []):
        hexdump = "".join(line[10:49].replace(" ", "") for line in p["data"].splitlines())
        sei = u.sei_of(bytes.fromhex(hexdump)) or {}
        out.append({"pts_time": float(p["pts_time"]), "pos": int(p["pos"]),
                    "flags": p.get("flags", ""), "frame": sei.get("frame"),
                    "capture_us": sei.get("capture_us")})
    return out


def decoded_frames(path):
    """Frames the decoder outputs (edit list applied): pts_time and the packet's pos."""
    r = subprocess.run(["ffprobe", "-v", "error", "-select_streams", "v:0", "-show_frames",
                        "-show_entries", "frame=pts_time,pkt_pos", "-of", "json", path],
                       capture_output=True, text=True, timeout=300)
    assert r.returncode == 0 and r.stderr.strip() == "", f"ffprobe -show_frames: {r.stderr}"
    return [{"pts_time": float(f["pts_time"]), "pos": int(f["pkt_pos"])}
            for f in json.loads(r.stdout)["frames"]]


def streams(path):
    r = subprocess.run(["ffprobe", "-v", "error", "-show_streams", "-show_format", "-of", "json",
                        path], capture_output=True, text=True, timeout=60)
    assert r.returncode == 0 and r.stderr.strip() == "", f"ffprobe -v error said: {r.stderr}"
    return json.loads(r.stdout)


def cues(path):
    """The subtitle track's cues: (start s, end s, text)."""
    r = subprocess.run(["ffmpeg", "-v", "error", "-i", path, "-map", "0:s:0", "-f", "srt", "-"],
                       capture_output=True, text=True, timeout=60)
    assert r.returncode == 0 and r.stderr.strip() == "", r.stderr
    return [(srt_seconds(a), srt_seconds(b), TAG_RE.sub("", t).strip())
            for a, b, t in CUE_RE.findall(r.stdout.replace("\r", ""))]


def packet_md5s(path):
    """MD5 of every video packet's data, as stored (stream copy)."""
    r = subprocess.run(["ffmpeg", "-v", "error", "-i", path, "-map", "0:v:0", "-c", "copy",
                        "-f", "framemd5", "-"], capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    return [line.split(",")[-1].strip() for line in r.stdout.splitlines()
            if line and not line.startswith("#")]


def top_level_boxes(path):
    boxes = []
    with open(path, "rb") as f:
        while True:
            head = f.read(8)
            if len(head) < 8:
                return boxes
            size, kind = struct.unpack(">I4s", head)
            if size == 1:
                size = struct.unpack(">Q", f.read(8))[0]
                f.seek(size - 16, 1)
            else:
                f.seek(size - 8, 1)
            boxes.append(kind.decode())


def frame_at(config, t_rfc, camera="cam-a"):
    """locate: the SEI frame number and wall time of the frame on screen at t."""
    got, r = u.locate(config, camera, t_rfc)
    assert got, f"locate {t_rfc}: {r.stderr}"
    shown = [p for p in u.probe_frames(got["path"]) if abs(p["pts_time"] - got["pts_s"]) < 1e-4]
    assert len(shown) == 1, (got, t_rfc)
    return shown[0]["frame"], got["frame_time"], got


class ExportTests(u.Tests):
    def __init__(self):
        self.dir = u.tmpdir("export")
        u.log("test folder:", self.dir)
        self.port = u.free_port()
        self.cam = u.start_testcam(self.dir, self.port)
        self.h265_port = u.free_port()
        self.h265 = u.start_testcam(self.dir, self.h265_port, h265=True, name="testcam-h265")
        self.config = u.write_config(self.dir, [
            ("cam-a", "station", f"rtsp://127.0.0.1:{self.port}/cam1"),
            ("cam-h", "station", f"rtsp://127.0.0.1:{self.h265_port}/cam1"),
        ], segment_seconds=2)
        self.serve = u.start_serve(self.dir, self.config)
        self.out = os.path.join(self.dir, "clips")
        os.makedirs(self.out)

    def cleanup(self):
        for p in (self.serve, self.cam, self.h265):
            p.stop()

    def export(self, frm, to, name, *extra, check=True, camera="cam-a"):
        path = os.path.join(self.out, name)
        r = u.cli("export", "clip", "-c", self.config, camera, frm, to, path, "--json", *extra,
                  check=check)
        return (json.loads(r.stdout) if r.returncode == 0 else None), r, path

    def check_clip(self, res, path, frm, to, camera="cam-a"):
        """What every clip must satisfy; returns (packets, decoded frames, cues)."""
        info = streams(path)  # ffprobe -v error prints nothing
        video, sub = info["streams"]
        assert video["codec_type"] == "video" and sub["codec_name"] == "mov_text", info["streams"]
        assert float(video["start_time"]) == 0, video
        # Moov in front (faststart), nothing left over.
        boxes = top_level_boxes(path)
        assert boxes.index("moov") < boxes.index("mdat"), boxes
        assert not os.path.exists(path + ".part")
        # Metadata.
        tags = info["format"]["tags"]
        assert "not transcoded" in tags["comment"], tags
        assert tags["creation_time"][:19] == res["first_frame"][:19], (tags, res)
        # The file's hash and size.
        with open(path, "rb") as f:
            data = f.read()
        assert hashlib.sha256(data).hexdigest() == res["sha256"], "sha256 differs"
        assert len(data) == res["bytes"]

        pk = packets(path)
        assert len(pk) == res["frames_written"], (len(pk), res)
        assert pk[0]["flags"].startswith("K"), "the clip starts with a keyframe"
        hidden = [p for p in pk if p["pts_time"] < 0]
        assert all("D" in p["flags"] for p in hidden), "pre-roll is discarded by the edit list"
        assert len(pk) - len(hidden) == res["frames_shown"], (len(hidden), res)
        dec = decoded_frames(path)
        assert len(dec) == res["frames_shown"], (len(dec), res["frames_shown"])
        assert dec[0]["pts_time"] == 0, dec[0]
        by_pos = {p["pos"]: p for p in pk}
        shown = [by_pos[f["pos"]] for f in dec]

        # First displayed frame: exactly the frame locate gives for FROM.
        want_first, first_time, _ = frame_at(self.config, frm, camera)
        assert shown[0]["frame"] == want_first, \
            f"first displayed frame {shown[0]['frame']}, locate({frm}) gives {want_first}"
        assert res["first_frame"] == first_time, (res["first_frame"], first_time)
        # Last displayed frame: the one on screen just before TO.
        want_last, _, _ = frame_at(self.config, to, camera)
        assert shown[-1]["frame"] == want_last, \
            f"last displayed frame {shown[-1]['frame']}, on screen before {to}: {want_last}"

        # One cue per frame with its wall time, in local time, starting with the frame.
        cl = cues(path)
        frame_cues = [c for c in cl if not c[2].startswith("no recording")]
        assert len(frame_cues) == res["frames_shown"], (len(frame_cues), res["frames_shown"])
        assert frame_cues[0][2] == local_text(res["first_frame"]), (frame_cues[0], res)
        assert re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3} [+-]\d\d:\d\d",
                            frame_cues[-1][2]), frame_cues[-1]
        for f, c in zip(dec, frame_cues):
            assert abs(f["pts_time"] - c[0]) <= 0.0011, (f, c)
        # Each cue's wall time matches the frame's capture time (within the clock map's error).
        for p, c in list(zip(shown, frame_cues))[::10]:
            local = datetime.datetime.strptime(c[2][:23], "%Y-%m-%d %H:%M:%S.%f")
            off = c[2][24:]
            sign = 1 if off[0] == "+" else -1
            utc = local - sign * datetime.timedelta(hours=int(off[1:3]), minutes=int(off[4:6]))
            wall_us = utc.replace(tzinfo=datetime.timezone.utc).timestamp() * 1e6
            assert abs(wall_us - p["capture_us"]) < 40_000, (c, p)
        return pk, shown, cl

    def test_clip_exact(self):
        segs = u.wait_until("6 complete segments", lambda: len(
            complete_segments(self.config, "cam-a")) >= 6 and complete_segments(
            self.config, "cam-a"), 60, 0.5)
        # FROM and TO mid-frame: 20 ms after a frame starts, as an operator picks it.
        start1 = u.parse_rfc3339_us(segs[1]["start"])
        _, t, _ = frame_at(self.config, rfc3339_of(start1 + 730_000))
        frm = rfc3339_of(u.parse_rfc3339_us(t) + 20_000)
        start4 = u.parse_rfc3339_us(segs[4]["start"])
        _, t, _ = frame_at(self.config, rfc3339_of(start4 + 510_000))
        to = rfc3339_of(u.parse_rfc3339_us(t) + 20_000)
        res, r, path = self.export(frm, to, "exact.mp4")
        u.log("export:", {k: v for k, v in res.items() if k != "path"})
        assert res["segments"] >= 4 and res["gaps"] == [], res
        assert res["frames_written"] > res["frames_shown"], "FROM is not on a keyframe: pre-roll"
        pk, shown, _ = self.check_clip(res, path, frm, to)
        numbers = [p["frame"] for p in shown]
        assert numbers == list(range(numbers[0], numbers[0] + len(numbers))), "no frame missing"

        # Stream copy: same codec, profile, size as the source; packets byte for byte.
        src = streams(segs[1]["path"])["streams"][0]
        dst = streams(path)["streams"][0]
        for k in ("codec_name", "profile", "codec_tag_string", "width", "height", "pix_fmt",
                  "level", "extradata_size"):
            assert src.get(k) == dst.get(k), (k, src.get(k), dst.get(k))
        source = [m for s in segs[1:5] for m in packet_md5s(s["path"])]
        exported = packet_md5s(path)
        at = source.index(exported[0])
        assert source[at:at + len(exported)] == exported, "packets differ from the recording"
        # The human summary.
        r = u.cli("export", "clip", "-c", self.config, "cam-a", frm, to, path, check=False)
        assert r.returncode == 1 and "exists" in r.stderr, r
        r = u.cli("export", "clip", "-c", self.config, "cam-a", frm, to, path, "--force")
        assert res["sha256"] in r.stdout and "not transcoded" in r.stdout, r.stdout

    def test_h265(self):
        segs = u.wait_until("3 complete H.265 segments", lambda: len(
            complete_segments(self.config, "cam-h")) >= 3 and complete_segments(
            self.config, "cam-h"), 60, 0.5)
        frm = rfc3339_of(u.parse_rfc3339_us(segs[0]["start"]) + 1_234_000)
        to = rfc3339_of(u.parse_rfc3339_us(segs[2]["start"]) + 456_000)
        res, r, path = self.export(frm, to, "h265.mp4", camera="cam-h")
        assert res["codec"] == "h265" and res["frames_written"] > res["frames_shown"], res
        self.check_clip(res, path, frm, to, camera="cam-h")
        src = streams(segs[0]["path"])["streams"][0]
        dst = streams(path)["streams"][0]
        for k in ("codec_name", "profile", "codec_tag_string", "width", "height"):
            assert src.get(k) == dst.get(k), (k, src.get(k), dst.get(k))
        assert dst["codec_tag_string"] == "hvc1", dst  # what Safari and Chrome play

    def test_gap(self):
        before = complete_segments(self.config, "cam-a")[-1]
        self.cam.stop(signal.SIGKILL)
        killed = time.time()
        time.sleep(3)
        self.cam = u.start_testcam(self.dir, self.port, name="testcam-2")

        def resumed():
            rec = u.recordings(self.config, "cam-a")
            gaps = [g for g in rec["gaps"] if g["end"] and u.parse_rfc3339_us(g["end"]) / 1e6
                    > killed - 5]
            return gaps and len([s for s in rec["segments"] if s["complete"] and s["start"]
                                 >= gaps[-1]["end"]]) >= 1 and gaps[-1]
        gap = u.wait_until("cam-a to record again", resumed, 40, 0.5)
        u.log("recorded gap:", gap)
        frm = rfc3339_of(u.parse_rfc3339_us(before["start"]) + 333_000)
        to = rfc3339_of(u.parse_rfc3339_us(gap["end"]) + 1_517_000)
        res, r, path = self.export(frm, to, "gap.mp4")
        u.log("export:", {k: v for k, v in res.items() if k != "path"})
        assert len(res["gaps"]) == 1, res["gaps"]
        g = res["gaps"][0]
        assert g["reason"] == gap["reason"], (g, gap)
        for k in ("start", "end"):
            err_ms = abs(u.parse_rfc3339_us(g[k]) - u.parse_rfc3339_us(gap[k])) / 1000
            assert err_ms <= 1, (k, g, gap)
        pk, shown, cl = self.check_clip(res, path, frm, to)
        # The gap is a gap in the clip's time, with a cue saying so.
        gap_cues = [c for c in cl if c[2].startswith("no recording")]
        assert len(gap_cues) == 1, gap_cues
        gap_s = (u.parse_rfc3339_us(gap["end"]) - u.parse_rfc3339_us(gap["start"])) / 1e6
        assert abs((gap_cues[0][1] - gap_cues[0][0]) - gap_s) < 0.05, (gap_cues, gap_s)
        after = [p for p in shown if p["capture_us"] / 1e6 > killed]
        before_gap = [p for p in shown if p["capture_us"] / 1e6 <= killed]
        clip_step = after[0]["pts_time"] - before_gap[-1]["pts_time"]
        real_step = (after[0]["capture_us"] - before_gap[-1]["capture_us"]) / 1e6
        assert abs(clip_step - real_step) < 0.05, (clip_step, real_step)

    def test_errors(self):
        segs = complete_segments(self.config, "cam-a")
        s = segs[2]
        frm = rfc3339_of(u.parse_rfc3339_us(s["start"]) + 500_000)
        to = rfc3339_of(u.parse_rfc3339_us(s["end"]) + 500_000)
        # Usage.
        r = u.cli("export", check=False)
        assert r.returncode == 2 and "export clip" in r.stderr, r
        r = u.cli("export", "frobnicate", check=False)
        assert r.returncode == 2, r
        r = u.cli("export", "clip", "-c", self.config, "cam-a", "yesterday", to, "x.mp4",
                  check=False)
        assert r.returncode == 2 and "RFC 3339" in r.stderr, r
        r = u.cli("export", "clip", "-c", self.config, "cam-a", to, frm, "x.mp4", check=False)
        assert r.returncode == 2, r
        r = u.cli("export", "clip", "-c", self.config, "nope", frm, to, "x.mp4", check=False)
        assert r.returncode == 2 and "unknown camera" in r.stderr, r
        # Nothing recorded in the range.
        _, r, path = self.export("2020-01-01T00:00:00Z", "2020-01-01T00:01:00Z", "empty.mp4",
                                 check=False)
        assert r.returncode == 1 and "no recording" in r.stderr, r
        assert not os.path.exists(path) and not os.path.exists(path + ".part")
        # Unwritable output.
        _, r, path = self.export(frm, to, "no/such/folder/x.mp4", check=False)
        assert r.returncode == 1 and "cannot write" in r.stderr, r
        # A missing segment, then a corrupt one: a clear error, no file left.
        moved = s["path"] + ".away"
        os.rename(s["path"], moved)
        try:
            _, r, path = self.export(frm, to, "missing.mp4", check=False)
        finally:
            os.rename(moved, s["path"])
        assert r.returncode == 1 and s["path"] in r.stderr, r
        assert not os.path.exists(path) and not os.path.exists(path + ".part")
        shutil.copy(s["path"], moved)
        try:
            with open(s["path"], "r+b") as f:
                f.write(b"\0" * 64)
            _, r, path = self.export(frm, to, "corrupt.mp4", check=False)
        finally:
            os.replace(moved, s["path"])
        assert r.returncode == 1 and s["path"] in r.stderr, r
        assert not os.path.exists(path) and not os.path.exists(path + ".part")
        u.log("errors:", r.stderr.strip())
        leftovers = [n for n in os.listdir(self.out) if n.endswith(".part")]
        assert leftovers == [], leftovers


if __name__ == "__main__":
    ExportTests().run()
