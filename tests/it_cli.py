"""Black-box tests of the command line: config validation and query errors."""
import json
import os

import uktest as u

SRC = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

GOOD = """[server]
listen = 127.0.0.1:8080
[storage]
path = data
segment_seconds = 60
[area:station]
name = Stationsgebied Emmen
[camera:station-1]
area = station
url = rtsp://192.0.2.21/stream1
transport = tcp
"""


class CliTests(u.Tests):
    def __init__(self):
        self.dir = u.tmpdir("cli")

    def conf(self, text):
        path = os.path.join(self.dir, "t.conf")
        with open(path, "w") as f:
            f.write(text)
        return path

    def check(self, text):
        return u.cli("check-config", "-c", self.conf(text), check=False)

    def test_example_config_is_valid(self):
        r = u.cli("check-config", "-c", os.path.join(SRC, "config", "uitkijk.conf.example"))
        assert "ok" in r.stdout, r.stdout

    def test_good_config(self):
        r = self.check(GOOD)
        assert r.returncode == 0 and "1 cameras" in r.stdout, r

    def test_errors_name_group_and_key(self):
        cases = [
            (GOOD + "[cameras:x]\n", "[cameras:x]"),
            (GOOD.replace("transport = tcp", "transprot = tcp"), "transprot"),
            (GOOD.replace("url = rtsp://192.0.2.21/stream1\n", ""), "'url'"),
            (GOOD.replace("transport = tcp", "transport = carrier-pigeon"), "transport"),
            (GOOD.replace("segment_seconds = 60", "segment_seconds = 0"), "segment_seconds"),
            (GOOD.replace("segment_seconds = 60", "segment_seconds = ten"), "segment_seconds"),
            (GOOD.replace("127.0.0.1:8080", "127.0.0.1:99999"), "listen"),
            (GOOD.replace("area = station", "area = nowhere"), "area"),
            (GOOD.replace("[camera:station-1]", "[camera:../etc]"), "camera:../etc"),
            (GOOD.replace("rtsp://192.0.2.21/stream1", "http://192.0.2.21/"), "url"),
            (GOOD.replace("path = data\n", ""), "'path'"),
            ("this is not an ini file\n", "t.conf"),
        ]
        for text, needle in cases:
            r = self.check(text)
            assert r.returncode != 0, f"accepted: {needle}"
            assert needle in r.stderr, f"error does not name {needle!r}: {r.stderr}"
            assert r.stdout == ""

    def test_usage(self):
        r = u.cli(check=False)
        assert r.returncode == 2 and "Usage" in r.stderr
        r = u.cli("frobnicate", check=False)
        assert r.returncode == 2 and "unknown command 'frobnicate'" in r.stderr
        r = u.cli("check-config", check=False)
        assert r.returncode == 2 and "-c FILE" in r.stderr
        r = u.cli("check-config", "-c", "/nonexistent.conf", check=False)
        assert r.returncode == 1 and "/nonexistent.conf" in r.stderr

    def test_queries_before_any_recording(self):
        conf = self.conf(GOOD)
        rec = json.loads(u.cli("recordings", "-c", conf, "station-1", "--json").stdout)
        assert rec == {"segments": [], "gaps": []}, rec
        got, r = u.locate(conf, "station-1", "2026-11-28T21:14:03.120Z")
        assert got is None and r.returncode == 1 and "no recording" in r.stderr
        r = u.cli("recordings", "-c", conf, "station-1", "--from", "2026-11-28T10:00:00Z",
                  "--to", "2026-11-28T09:00:00Z", check=False)
        assert r.returncode == 2 and "--to" in r.stderr
        r = u.cli("recordings", "-c", conf, "station-1", "--from", "2026-13-28T10:00:00Z",
                  check=False)
        assert r.returncode == 2 and "2026-13-28" in r.stderr
        r = u.cli("recordings", "-c", conf, "station-9", check=False)
        assert r.returncode == 2 and "unknown camera 'station-9'" in r.stderr


if __name__ == "__main__":
    CliTests().run()
