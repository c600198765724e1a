"""Hostile input, black box: the real daemon against hostile clients and cameras.

- Hostile RTSP cameras (a tiny Python server): garbage SDP, a DESCRIBE reply
  with a huge Content-Length and an endless body, binary junk instead of RTSP.
  Each is marked down with a reason; the daemon keeps running, its memory
  stays bounded, and the real camera next to them keeps recording. The
  huge-length camera is refused by the recorder's capped DESCRIBE (its reason
  names the limit); VmRSS, sampled every 0.2 s while it is tried three times
  before anyone logs in, stays below 150 MB.
- Path traversal on every file URL a client can influence: /files/pb,
  /files/clip, /files/export-key.pub and the static files (`..`, %2e%2e,
  encoded slashes, absolute paths, NUL, overlong UTF-8, very long paths).
- SQL and FTS metacharacters (' " ; -- % _ \\ unicode) in every filter of
  incidents.query (text, category, status, camera, areas), audit.query and
  user names: correct results, no error beyond a clean bad_message /
  not_found / forbidden, and the database and audit chain still verify.
- Login brute force: the lockout holds over HTTP and the websocket alike, also
  for a burst of parallel guesses; unknown and known users are answered alike.
- Origin spoofing on the websocket and POST /login (also with a valid cookie).
- A live viewer that never reads: the daemon drops its video within the
  bounded queue, memory stays bounded, another viewer keeps getting video.
- Oversize frames (a 2^62 declared length, fragments adding up), deeply
  nested and malformed JSON, wrong types, oversize HTTP bodies and headers.

Takes about 2 minutes. The fuzzers (tests/run-fuzz.sh) cover the rest of the
message space.
"""
import asyncio
import base64
import json
import os
import random
import re
import socket
import struct
import subprocess
import threading
import time

import websockets

import uktest as u
from it_console import Client, password, run

# Under tools/asan.sh the daemon is instrumented: ASan's quarantine alone holds
# up to 256 MiB of freed memory, and everything is ~2-3x slower.
SANITIZED = "ASAN_OPTIONS" in os.environ
MEM_SLACK_KB = 320 * 1024 if SANITIZED else 0
# A string with \u0000 is refused (json-glib would cut it at the NUL);
# UK_STRICT_NUL=0 accepts a server that still cuts it.
STRICT_NUL = os.environ.get("UK_STRICT_NUL", "1") == "1"
# How much SDP body the huge-length camera sends per connection before it
# stalls (MiB); the daemon reads none of it now.
HUGE_SDP_MIB = int(os.environ.get("UK_HUGE_SDP_MIB", "256"))
# The daemon's VmRSS while the huge-length camera is tried, before any login
# (an argon2id hash takes 64 MiB, so a burst of logins would hide it): 44 MB;
# before the recorder's capped DESCRIBE check rtspsrc buffered the body, 306 MB.
RSS_LIMIT_KB = 150 * 1024 + MEM_SLACK_KB

ROLE_USERS = [("op", "operator", "station"), ("op2", "operator", "station"), ("sup", "supervisor", "station"),
              ("priv", "privacy", None), ("adm", "admin", None), ("pol", "police", "station"),
              ("victim", "operator", "station"), ("victim2", "operator", "station"),
              ("victim3", "operator", "station")]


async def open_client(port, cookie=None, origin=None):
    """it_console.Client without the client library's keepalive pings: under
    the sanitizers on a busy machine a pong can take longer than its 20 s,
    and the server's own ping/timeout is not what these tests are about."""
    headers = {"Cookie": f"uk_session={cookie}"} if cookie else None
    ws = await websockets.connect(f"ws://127.0.0.1:{port}/ws", subprotocols=["uitkijk.v1"], origin=origin,
                                  extra_headers=headers, max_size=2 ** 24, ping_interval=None)
    return Client(ws, json.loads(await ws.recv()))


# ---- a hostile RTSP camera ----

class HostileCamera:
    """Accepts RTSP connections and misbehaves in one of these ways:
    garbage-sdp: DESCRIBE answered 200 with an SDP that is not one;
    huge-length: DESCRIBE answered with Content-Length 2^31-1 and a stream of
      junk (UK_HUGE_SDP_MIB, default 256 MiB per connection, then the line stalls);
    junk: every request answered with binary junk."""

    def __init__(self, mode):
        self.mode = mode
        self.sock = socket.socket()
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.port = self.sock.getsockname()[1]
        self.connections = 0
        self.describes = 0  # DESCRIBE requests (connections include the recorder's port probes)
        self.sent_junk = 0
        self.stopped = False
        threading.Thread(target=self.accept, daemon=True).start()

    def accept(self):
        while not self.stopped:
            try:
                c, _ = self.sock.accept()
            except OSError:
                return
            self.connections += 1
            threading.Thread(target=self.serve, args=(c,), daemon=True).start()

    def serve(self, c):
        rnd = random.Random(self.connections)
        buf = b""
        try:
            c.settimeout(60)
            while not self.stopped:
                while b"\r\n\r\n" not in buf:
                    data = c.recv(65536)
                    if not data:
                        return
                    buf += data
                head, buf = buf.split(b"\r\n\r\n", 1)
                lines = head.decode("latin-1").split("\r\n")
                method = lines[0].split(" ")[0]
                if method == "DESCRIBE":
                    self.describes += 1
                cseq = next((l.split(":", 1)[1].strip() for l in lines if l.lower().startswith("cseq:")), "1")
                if self.mode == "junk":
                    c.sendall(bytes(rnd.getrandbits(8) for _ in range(4096)))
                    continue
                if method != "DESCRIBE":
                    c.sendall(f"RTSP/1.0 200 OK\r\nCSeq: {cseq}\r\n"
                              "Public: OPTIONS, DESCRIBE, SETUP, PLAY, TEARDOWN\r\n\r\n".encode())
                    continue
                if self.mode == "garbage-sdp":
                    body = (b"v=banana\r\no=- x y IN IP9 ::::\r\ns=\xff\xfe\r\nm=video -1 RTP/AVP 96 97 98\r\n"
                            b"a=rtpmap:96 H264/0\r\na=fmtp:96 packetization-mode=9;sprop-parameter-sets=!!!!,@@@@\r\n"
                            b"a=control:../../../../etc/passwd\r\nm=\r\n" + b"a=" + b"x" * 20000 + b"\r\n"
                            + bytes(rnd.getrandbits(8) for _ in range(2000)))
                    c.sendall(f"RTSP/1.0 200 OK\r\nCSeq: {cseq}\r\nContent-Type: application/sdp\r\n"
                              f"Content-Length: {len(body)}\r\n\r\n".encode() + body)
                    continue
                # huge-length
                c.sendall(f"RTSP/1.0 200 OK\r\nCSeq: {cseq}\r\nContent-Type: application/sdp\r\n"
                          "Content-Length: 2147483647\r\n\r\nv=0\r\n".encode())
                chunk = b"a=" + b"z" * 65533 + b"\r\n"
                for _ in range(HUGE_SDP_MIB * 16):  # 64 KiB each
                    if self.stopped:
                        return
                    c.sendall(chunk)
                    self.sent_junk += len(chunk)
                while not self.stopped and c.recv(65536):
                    pass
                return
        except OSError:
            return
        finally:
            c.close()

    def stop(self):
        self.stopped = True
        self.sock.close()


# Two password checks at a time (64 MiB each) and some slack (ASan's quarantine).
LOGIN_BURST_GROWTH_KB = 200 * 1024


class RssSampler:
    """Reads a process's VmRSS every 0.2 s: the highest value seen and when."""

    def __init__(self, pid):
        self.pid = pid
        self.t0 = time.monotonic()
        self.peak_kb = 0
        self.peak_at = 0.0
        self.samples = 0
        self.done = threading.Event()
        threading.Thread(target=self.sample, daemon=True).start()

    def sample(self):
        while not self.done.wait(0.2):
            kb = u.proc_kb(self.pid)
            if kb is None:  # gone, or a zombie without VmRSS
                return
            self.samples += 1
            if kb > self.peak_kb:
                self.peak_kb, self.peak_at = kb, time.monotonic() - self.t0

    def stop(self):
        self.done.set()


# ---- raw HTTP and websocket helpers ----

def raw_http(port, request, timeout=10):
    """Sends @request bytes as is; the status code (0 if the server closed
    without an answer) and the response bytes."""
    s = socket.create_connection(("127.0.0.1", port), timeout=timeout)
    try:
        s.sendall(request)
        data = b""
        while True:
            try:
                chunk = s.recv(65536)
            except (socket.timeout, ConnectionResetError):
                break
            if not chunk:
                break
            data += chunk
            m = re.match(rb"HTTP/1\.[01] (\d+)", data)
            if m and b"\r\n\r\n" in data:
                head, body = data.split(b"\r\n\r\n", 1)
                cl = re.search(rb"(?i)content-length: *(\d+)", head)
                if cl and len(body) >= int(cl.group(1)):
                    break
        m = re.match(rb"HTTP/1\.[01] (\d+)", data)
        return (int(m.group(1)) if m else 0), data
    finally:
        s.close()


def ws_connect_raw(port, cookie=None, rcvbuf=None):
    s = socket.create_connection(("127.0.0.1", port), timeout=10)
    if rcvbuf:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
    key = base64.b64encode(os.urandom(16)).decode()
    extra = f"Cookie: {cookie}\r\n" if cookie else ""
    s.sendall((f"GET /ws HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nUpgrade: websocket\r\n"
               f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n"
               f"Sec-WebSocket-Protocol: uitkijk.v1\r\n{extra}\r\n").encode())
    head = b""
    while b"\r\n\r\n" not in head:
        head += s.recv(1)
    assert b" 101 " in head.split(b"\r\n")[0], head
    return s


def ws_frame(payload, opcode=0x1, fin=True, declared=None):
    mask = os.urandom(4)
    n = len(payload) if declared is None else declared
    first = (0x80 if fin else 0) | opcode
    if n < 126:
        head = bytes([first, 0x80 | n])
    elif n < 65536:
        head = bytes([first, 0x80 | 126]) + struct.pack(">H", n)
    else:
        head = bytes([first, 0x80 | 127]) + struct.pack(">Q", n)
    return head + mask + bytes(b ^ mask[i % 4] for i, b in enumerate(payload))


def ws_read_text(s, timeout=10):
    """The next text message from the server that is not an event (skips
    binary and control frames); None when the server closed the connection."""
    s.settimeout(timeout)

    def exact(n):
        out = b""
        while len(out) < n:
            chunk = s.recv(n - len(out))
            if not chunk:
                raise ConnectionError("closed")
            out += chunk
        return out
    try:
        while True:
            b0, b1 = exact(2)
            n = b1 & 0x7F
            if n == 126:
                n = struct.unpack(">H", exact(2))[0]
            elif n == 127:
                n = struct.unpack(">Q", exact(8))[0]
            data = exact(n)
            op = b0 & 0x0F
            if op == 0x8:
                return None
            if op == 0x1:
                msg = json.loads(data)
                if msg.get("type") not in ("event", "events"):  # pushes come in between
                    return msg
    except (ConnectionError, OSError):
        return None


class HostileTests(u.Tests):
    def __init__(self):
        self.t0 = time.monotonic()
        self.dir = u.tmpdir("hostile")
        u.log("test folder:", self.dir)
        self.cam_port, self.port = u.free_port(), u.free_port()
        self.cam = u.start_testcam(self.dir, self.cam_port, cameras=1)
        self.hostile = {m: HostileCamera(m) for m in ("garbage-sdp", "huge-length", "junk")}
        self.config = u.write_config(self.dir, [
            ("station-1", "station", f"rtsp://127.0.0.1:{self.cam_port}/cam1"),
            ("station-2", "station", f"rtsp://127.0.0.1:{self.hostile['garbage-sdp'].port}/x"),
            ("station-3", "station", f"rtsp://127.0.0.1:{self.hostile['huge-length'].port}/x"),
            ("station-4", "station", f"rtsp://127.0.0.1:{self.hostile['junk'].port}/x"),
            ("centrum-1", "centrum", f"rtsp://127.0.0.1:{u.free_port()}/x"),
        ], segment_seconds=2, listen_port=self.port)
        self.db = os.path.join(self.dir, "data", "uitkijk.db")
        self.serve = None
        self.rss = None
        try:
            u.add_users(self.config, ROLE_USERS)
            self.serve = u.start_serve(self.dir, self.config)
            u.wait_until("the console", lambda: u.port_open(self.port) or not self.serve.alive(), 30)
            assert self.serve.alive(), self.serve.tail()
            self.rss_start = self.rss_kb()
            self.rss = RssSampler(self.serve.p.pid)  # the hostile cameras misbehave from now on
        except BaseException:
            self.cleanup()  # no camera or daemon outlives a failed start
            raise

    def cleanup(self):
        if self.rss:
            self.rss.stop()
        for h in self.hostile.values():
            h.stop()
        for p in (self.serve, self.cam):
            if p:
                p.stop()
        u.log(f"total {time.monotonic() - self.t0:.1f} s")

    def rss_kb(self):
        return u.proc_kb(self.serve.p.pid)

    def healthy(self):
        assert self.serve.alive(), self.serve.tail()
        status, _, body = u.http(self.port, "GET", "/healthz")
        assert status == 200, (status, body)

    def sql(self, statement):
        return subprocess.run(["sqlite3", self.db, statement], capture_output=True, text=True,
                              check=True).stdout.strip()

    # -- the huge-length camera's memory (first: before anyone logs in) --

    def test_huge_describe_memory(self):
        cam = self.hostile["huge-length"]
        u.wait_until("three DESCRIBEs at the huge-length camera", lambda: cam.describes >= 3, 60, 0.2)
        time.sleep(1)  # whatever the third attempt would buffer
        peak, at, samples = self.rss.peak_kb, self.rss.peak_at, self.rss.samples
        hwm = u.proc_kb(self.serve.p.pid, "VmHWM")
        u.log(f"huge-length camera: {cam.describes} DESCRIBEs, {cam.sent_junk >> 20} MiB of SDP sent; "
              f"server VmRSS {self.rss_start} kB when the console opened, highest {peak} kB at {at:.1f} s "
              f"({samples} samples, 0.2 s apart), VmHWM {hwm} kB")
        assert samples >= 10, samples
        assert peak < RSS_LIMIT_KB and hwm < RSS_LIMIT_KB, (peak, hwm, RSS_LIMIT_KB)
        huge = b"station-3: down: camera refused: DESCRIBE answer of 2147483647 bytes is over the 64 KiB limit"
        assert open(self.serve.log_path, "rb").read().count(huge) >= 2, self.serve.tail()
        self.healthy()

    # -- path traversal --

    def test_path_traversal(self):
        u.wait_complete_segments(self.config, "station-1", 1, 40)
        cookie = u.session_cookie(self.port, "op")
        segs = u.complete_segments(self.config, "station-1")

        async def grant():
            c = await open_client(self.port, cookie=cookie.split("=", 1)[1])
            r = await c.req("playback.open", camera="station-1", **{"from": segs[0]["start"]})
            await c.close()
            return r
        g = run(grant())
        assert g["type"] == "result" and g["segments"], g
        token, good = g["token"], g["segments"][0]["url"]
        rel = good.split(f"/files/pb/{token}/", 1)[1]
        status, _, body = u.http(self.port, "GET", good, {"Cookie": cookie})
        assert status == 200 and body[4:8] == b"ftyp", status
        secret_markers = (b"SQLite format 3", b"root:x:0:0", b"PRIVATE KEY", b"[storage]")
        pb = f"/files/pb/{token}"
        bad = [
            f"{pb}/../uitkijk.db", f"{pb}/../../uitkijk.conf", f"{pb}/%2e%2e/uitkijk.db",
            f"{pb}/%2E%2E%2Fuitkijk.db", f"{pb}/..%2fuitkijk.db", f"{pb}/..%252fuitkijk.db",
            f"{pb}/station-1/..%2F..%2Fuitkijk.db", f"{pb}//etc/passwd", f"{pb}/%2fetc%2fpasswd",
            f"{pb}/{rel}%00.db", f"{pb}/{rel}/../../../uitkijk.db", f"{pb}/%c0%ae%c0%ae/uitkijk.db",
            f"{pb}/..\\..\\uitkijk.db", f"{pb}/{'../' * 40}etc/passwd", f"/files/pb/..%2f{token}/{rel}",
            f"/files/pb/{token}%2f..%2f..%2fuitkijk.db", f"/files/pb/{token.upper()}/{rel}",
            f"/files/pb/{token[:-1]}/{rel}", f"/files/pb/{token}/", "/files/pb/", "/files/",
            "/files/uitkijk.db", "/files/../data/uitkijk.db", "/files/%2e%2e/uitkijk.conf",
            "/files/clip/1/station-1/../../../uitkijk.db", "/files/clip/1/station-1/..%2f..%2fuitkijk.db",
            "/files/clip/-1/station-1/video", "/files/clip/0/station-1/video",
            "/files/clip/99999999999999999999999/station-1/video", "/files/clip/1%00/station-1/video",
            "/files/clip/1/../../uitkijk.db/video", "/files/clip/1/station-1/manifest/../../uitkijk.db",
            "/files/clip/1e3/station-1/video", "/files/clip/0x1/station-1/video",
            "/files/export-key.pub/../uitkijk.db", "/files/export-key.pub%00", "/files/export-key.pub/..",
            "/files/export-key", "/files/export-key.pub.sig", "/files/%2fetc%2fpasswd", "/files//etc/passwd",
            "/../../../../etc/passwd", "/%2e%2e/%2e%2e/%2e%2e/etc/passwd", "/..%2f..%2f..%2fetc%2fpasswd",
            "/%c0%ae%c0%ae/%c0%ae%c0%ae/etc/passwd", "//etc/passwd", "/etc/passwd", "/index.html/../../uitkijk.conf",
            "/..%5c..%5cetc%5cpasswd", "/%252e%252e/etc/passwd", "/data/uitkijk.db", "/uitkijk.db",
            "/" + "a/" * 2000 + "x", "/" + "%2e%2e/" * 1000 + "etc/passwd", "/files/pb/" + "x" * 8000,
        ]
        codes = {}
        for path in bad:
            for headers in ({"Cookie": cookie}, {}):
                status, data = raw_http(self.port, (f"GET {path} HTTP/1.1\r\nHost: x\r\n"
                                                    + "".join(f"{k}: {v}\r\n" for k, v in headers.items())
                                                    + "\r\n").encode())
                codes[status] = codes.get(status, 0) + 1
                assert status in (0, 400, 403, 404, 405, 414, 431), (path, status, data[:200])
                assert not any(m in data for m in secret_markers), (path, data[:200])
        # NUL bytes and control characters in the request line, absolute-form targets.
        for line in (f"GET {pb}/{rel}\x00/../../uitkijk.db HTTP/1.1", "GET /files/export-key.pub\x00 HTTP/1.1",
                     f"GET http://127.0.0.1:{self.port}/../uitkijk.db HTTP/1.1", "GET file:///etc/passwd HTTP/1.1",
                     "GET ../uitkijk.db HTTP/1.1", "GET \t/etc/passwd HTTP/1.1", "GET /\r\n/etc/passwd HTTP/1.1"):
            status, data = raw_http(self.port, f"{line}\r\nHost: x\r\nCookie: {cookie}\r\n\r\n".encode("latin-1"))
            codes[status] = codes.get(status, 0) + 1
            # "GET /\r\n" alone is an HTTP/0.9-style request for the index page: fine.
            assert not any(m in data for m in secret_markers), (line, status, data[:200])
            assert status != 200 or line.startswith("GET /\r"), (line, status, data[:200])
        u.log(f"path traversal: {sum(codes.values())} requests, answers {dict(sorted(codes.items()))}")
        # The granted file still works, the public key is served, nothing leaked into other grants.
        assert u.http(self.port, "GET", good, {"Cookie": cookie})[0] == 200
        status, _, key = u.http(self.port, "GET", "/files/export-key.pub")
        assert status == 200 and re.fullmatch(rb"[0-9a-f]{64}\n?", key), (status, key[:100])
        self.healthy()

    # -- SQL / FTS metacharacters --

    META = ["'", "\"", ";", "--", "%", "_", "\\", "' OR '1'='1", "\"; DROP TABLE incident; --",
            "a%b_c", "100%", "NEAR(a b)", "x* OR y", "^start", "col:val", "(", ")", "{}", "\u00e9t\u00e9",
            "\u0131\u0130", "\U0001F6B2", "\u202e"]

    def test_sql_metacharacters(self):
        async def t():
            op = await open_client(self.port)
            assert (await op.login("op"))["type"] == "result"
            pos = u.rfc3339(time.time() * 1e6 - 2e6)
            made = {}
            for i, meta in enumerate(self.META):
                word = f"kenmerk{i:02d}x"
                r = await op.req("incident.create", camera="station-1", source="live", category="overlast",
                                 position=pos, description=f"{word} {meta} einde")
                assert r["type"] == "result", (meta, r)
                assert r["incident"]["description"] == f"{word} {meta} einde", r
                made[word] = r["incident"]["incident"]
            # A NUL (\u0000) inside a string: json-glib hands out C strings, so the
            # text used to be cut at the NUL and stored silently shortened. Refused
            # or stored whole are both fine; shortened is not.
            r = await op.req("incident.create", camera="station-1", source="live", category="overlast",
                             position=pos, description="voor\u0000na")
            nul_ok = r["type"] == "error" and r["code"] == "bad_message" or \
                r["type"] == "result" and r["incident"]["description"] == "voor\u0000na"
            u.log("NUL inside a description:", "refused or kept" if nul_ok else f"stored as {r['incident']['description']!r}")
            if r["type"] == "result":
                made["voor"] = r["incident"]["incident"]
            if STRICT_NUL:
                assert nul_ok, r
            ok_codes = ("bad_message", "not_found", "forbidden")
            # Free text: each marker word finds exactly its incident (whatever follows it).
            for word, iid in made.items():
                r = await op.req("incidents.query", text=word)
                assert r["type"] == "result" and [i["incident"] for i in r["incidents"]] == [iid], (word, r)
            # The metacharacters as search text: no error; no false positives (every
            # result contains each alphanumeric word of the query); words with letters
            # find their incident.
            for meta in self.META:
                for text in (meta, f"einde {meta}", f"{meta}*", f'"{meta}"'):
                    r = await op.req("incidents.query", text=text)
                    assert r["type"] == "result" or r.get("code") == "bad_message", (text, r)
                    if r["type"] != "result":
                        continue
                    words = re.findall(r"[^\W_]+", text)
                    for inc in r["incidents"]:
                        desc = inc["description"].lower()
                        assert all(w.lower() in desc or w.lower() in "einde" for w in words), (text, inc)
            # Other filters: exact values, so the metacharacters match nothing.
            for meta in self.META:
                for field in ("category", "status", "camera"):
                    r = await op.req("incidents.query", **{field: meta})
                    assert (r["type"] == "result" and r["incidents"] == []) or r.get("code") in ok_codes, \
                        (field, meta, r)
                r = await op.req("incidents.query", areas=[meta])
                assert r["type"] == "error" and r["code"] in ok_codes, (meta, r)
                r = await op.req("incidents.query", areas=["station", meta])
                assert r["type"] == "error" and r["code"] in ok_codes, (meta, r)
                r = await op.req("incidents.stats", category=meta)
                assert (r["type"] == "result") or r.get("code") in ok_codes, (meta, r)
            r = await op.req("incidents.query", category="overlast", limit=500)
            assert r["type"] == "result" and len(r["incidents"]) == len(made), len(r["incidents"])
            await op.close()

            priv = await open_client(self.port)
            assert (await priv.login("priv"))["type"] == "result"
            for meta in self.META:
                for field in ("actor", "action", "camera"):
                    # Exact match: only rows whose field is that very text (the
                    # incidents.query above audited some of them as cameras).
                    r = await priv.req("audit.query", **{field: meta})
                    assert (r["type"] == "result" and all(x[field] == meta for x in r["rows"])) \
                        or r.get("code") == "bad_message", (field, meta, r)
            r = await priv.req("audit.query", actor="op", limit=1000)
            assert r["type"] == "result" and r["rows"] and all(x["actor"] == "op" for x in r["rows"]), r
            await priv.close()

            adm = await open_client(self.port)
            assert (await adm.login("adm"))["type"] == "result"
            created = []
            for meta in self.META + ["op'--", "OP", "op ", " op", "a" * 33, "-op", "op\u00e9", "op%", "op_"]:
                r = await adm.req("user.create", user=meta, role="operator", password="lang genoeg wachtwoord")
                if re.fullmatch(r"[a-z0-9_][a-z0-9_-]{0,31}", meta):  # a valid name ("_", "op_")
                    assert r["type"] == "result" and r["user"]["user"] == meta, (meta, r)
                    created.append(meta)
                    continue
                assert r["type"] == "error" and r["code"] == "bad_message", (meta, r)
                r = await adm.req("user.disable", user=meta)
                assert r["type"] == "error" and r["code"] in ok_codes, (meta, r)
            r = await adm.req("users.list")
            names = sorted(x["user"] for x in r["users"])
            assert names == sorted([n for n, _, _ in ROLE_USERS] + created), names
            self.extra_users = len(created)
            await adm.close()

            c = await open_client(self.port)
            for meta in self.META + ["op' --", "op' OR '1'='1"]:
                r = await c.login(meta, "' OR '1'='1")
                assert r["type"] == "error" and r["code"] in ("login_failed", "bad_message"), (meta, r)
            await c.close()
        run(t())
        # The database is whole, the audit chain verifies.
        assert self.sql("PRAGMA integrity_check") == "ok"
        assert int(self.sql("SELECT count(*) FROM user")) == len(ROLE_USERS) + self.extra_users
        r = u.cli("audit", "verify", "-c", self.config)
        assert r.stdout.startswith("audit log intact"), r.stdout
        self.healthy()

    # -- login brute force --

    def login_http(self, user, pw, headers=None):
        status, _, body = u.http(self.port, "POST", "/login", {"Content-Type": "application/json", **(headers or {})},
                                 json.dumps({"user": user, "password": pw}))
        return status, json.loads(body) if body else None

    def test_lockout_http_and_websocket(self):
        # Wrong passwords over HTTP lock the account for the websocket too ...
        for _ in range(5):
            status, body = self.login_http("victim", "fout")
            assert status == 401 and body["code"] == "login_failed", (status, body)
        status, body = self.login_http("victim", password("victim"))
        assert status == 423 and body["code"] == "locked", (status, body)
        u.log("423 body:", body)

        async def ws_locked(user):
            c = await open_client(self.port)
            r = await c.login(user)
            await c.close()
            return r
        r = run(ws_locked("victim"))
        assert r["type"] == "error" and r["code"] == "locked", r

        # ... and over the websocket for HTTP.
        async def ws_wrong(user, n):
            c = await open_client(self.port)
            codes = [(await c.login(user, "fout"))["code"] for _ in range(n)]
            await c.close()
            return codes
        assert run(ws_wrong("victim2", 5)) == ["login_failed"] * 5
        status, body = self.login_http("victim2", password("victim2"))
        assert status == 423 and body["code"] == "locked", (status, body)
        assert run(ws_locked("victim2"))["code"] == "locked"

        # A burst of 30 parallel guesses: exactly lockout_failures are checked as
        # wrong passwords, the rest are refused as locked, and the right password
        # after the burst is refused too.
        async def burst():
            conns = [await open_client(self.port) for _ in range(10)]
            async def guesses(c, k):
                return [(await c.login("victim3", f"gok-{k}-{j}"))["code"] for j in range(3)]
            codes = sum(await asyncio.gather(*(guesses(c, k) for k, c in enumerate(conns))), [])
            for c in conns:
                await c.close()
            return codes
        before_kb = self.rss_kb()
        sampler = RssSampler(self.serve.p.pid)
        codes = run(burst())
        sampler.stop()
        # Password checks run two at a time (64 MiB of argon2id each): 30 at once
        # took the daemon from ~45 to 570 MB before.
        u.log(f"30 parallel guesses: VmRSS {before_kb} kB before, highest {sampler.peak_kb} kB "
              f"({sampler.samples} samples)")
        assert sampler.peak_kb - before_kb < LOGIN_BURST_GROWTH_KB, (before_kb, sampler.peak_kb)
        assert sorted(set(codes)) <= ["locked", "login_failed"] and codes.count("login_failed") <= 5, codes
        status, body = self.login_http("victim3", password("victim3"))
        assert status == 423, (status, body)
        reasons = self.sql("SELECT json_extract(detail, '$.reason') FROM audit WHERE actor = 'victim3' "
                           "AND action = 'login_failed'").split()
        assert reasons.count("bad_password") == 5 and len(reasons) == 31, reasons

        # No user enumeration: an unknown name is answered like a wrong password.
        s1, b1 = self.login_http("niemand", "fout")
        s2, b2 = self.login_http("op", "fout")
        assert (s1, b1) == (s2, b2) == (401, b2) and b2["code"] == "login_failed", (b1, b2)
        # The console shows the 423 in Dutch.
        status, _, js = u.http(self.port, "GET", "/app.js")
        assert status == 200 and b"423" in js and "geblokkeerd".encode() in js, status
        self.healthy()

    # -- Origin spoofing --

    def test_origin_spoofing(self):
        cookie = u.session_cookie(self.port, "op")
        token = cookie.split("=", 1)[1]
        foreign = ["http://evil.example", "null", f"http://127.0.0.1:{self.port + 1}",
                   f"https://127.0.0.1:{self.port}", f"http://127.0.0.1:{self.port}.evil.example",
                   f"http://evil.example/http://127.0.0.1:{self.port}", f"http://127.0.0.1:{self.port}@evil.example",
                   "file://", "*"]

        async def t():
            for origin in foreign:
                try:
                    c = await open_client(self.port, cookie=token, origin=origin)
                    await c.close()
                    raise AssertionError(f"Origin {origin!r} was accepted")
                except websockets.exceptions.InvalidStatusCode as e:
                    assert e.status_code == 403, (origin, e)
                except (websockets.exceptions.InvalidHandshake, ValueError) as e:
                    # the client library refuses to send that header: fine, nothing to check
                    u.log(f"origin {origin!r} not sent: {e}")
            # Own origin and no Origin (not a browser) pass; without the cookie
            # the connection still has to log in.
            c = await open_client(self.port, cookie=token, origin=f"http://127.0.0.1:{self.port}")
            assert c.hello["logged_in"], c.hello
            await c.close()
            c = await open_client(self.port)
            assert not c.hello["logged_in"], c.hello
            assert (await c.req("cameras.list"))["code"] == "not_logged_in"
            await c.close()
        run(t())
        for origin in foreign[:6]:
            status, body = self.login_http("op", password("op"), {"Origin": origin})
            assert status == 403 and body["code"] == "bad_origin", (origin, status, body)
        status, _ = self.login_http("op", password("op"), {"Origin": f"http://localhost:{self.port}"})
        assert status == 200
        # Two Origin headers, the first ours: refused or the foreign one wins, never accepted.
        status, data = raw_http(self.port, (
            f"GET /ws HTTP/1.1\r\nHost: 127.0.0.1:{self.port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            f"Sec-WebSocket-Key: {base64.b64encode(os.urandom(16)).decode()}\r\nSec-WebSocket-Version: 13\r\n"
            f"Sec-WebSocket-Protocol: uitkijk.v1\r\nOrigin: http://127.0.0.1:{self.port}\r\n"
            f"Origin: http://evil.example\r\nCookie: {cookie}\r\n\r\n").encode(), timeout=5)
        u.log(f"two Origin headers: {status}")
        assert status != 101, data[:200]
        self.healthy()

    # -- a live viewer that never reads --

    def test_live_viewer_never_reads(self):
        u.wait_until("station-1 recording", lambda: u.complete_segments(self.config, "station-1"), 40)
        cookie = u.session_cookie(self.port, "op")
        rss_before = self.rss_kb()
        slow = ws_connect_raw(self.port, cookie=cookie, rcvbuf=4096)
        slow.sendall(ws_frame(b'{"type":"live.start","id":1,"camera":"station-1"}'))

        async def good_viewer(seconds):
            c = await open_client(self.port, cookie=u.session_cookie(self.port, "op2").split("=", 1)[1])
            await c.ws.send(json.dumps({"type": "live.start", "id": 1, "camera": "station-1"}))
            frames = 0
            end = time.monotonic() + seconds
            while time.monotonic() < end:
                try:
                    m = await asyncio.wait_for(c.ws.recv(), 2)
                except asyncio.TimeoutError:
                    continue
                if isinstance(m, bytes) and m[0] == 2:
                    frames += 1
            await c.close()
            return frames
        # Meanwhile the never-reading viewer also floods requests after a while.
        flood_result = {}

        def flood():
            time.sleep(6)
            sent = 0
            frame = ws_frame(b'{"type":"cameras.list","id":2}')
            slow.settimeout(5)
            end = time.monotonic() + 30
            try:
                while time.monotonic() < end:
                    slow.sendall(frame * 100)
                    sent += 100
                flood_result["closed"] = False
            except (BrokenPipeError, ConnectionResetError, socket.timeout):
                flood_result["closed"] = True
            flood_result["sent"] = sent
        th = threading.Thread(target=flood)
        th.start()
        frames = run(good_viewer(12))
        th.join()
        rss_after = self.rss_kb()
        slow.close()
        u.log(f"never-reading live viewer: the other viewer got {frames} frames in 12 s; flood "
              f"{flood_result}; server RSS {rss_before} -> {rss_after} kB")
        assert frames >= 12 * 25 * (0.3 if SANITIZED else 0.6), frames  # 25 fps testcam
        assert flood_result.get("closed"), "the server kept a live viewer that never reads and floods"
        assert rss_after - rss_before < 64 * 1024 + MEM_SLACK_KB, "server memory grew with the slow viewer"
        # Its view ended and was audited.
        u.wait_until("live_view_stop audited", lambda: self.sql(
            "SELECT count(*) FROM audit WHERE actor = 'op' AND action = 'live_view_stop'") != "0", 10)
        self.healthy()

    # -- oversize and malformed input --

    def test_oversize_and_malformed(self):
        cookie = u.session_cookie(self.port, "op")
        # A frame that declares 2^62 bytes: refused, the server lives.
        s = ws_connect_raw(self.port, cookie=cookie)
        ws_read_text(s)  # hello
        s.sendall(ws_frame(b"x" * 1000, declared=1 << 62)[:14] + b"x" * 1000)
        r = ws_read_text(s, 5)
        u.log("2^62-byte frame:", r)
        assert r is None or r.get("code") == "message_too_large", r
        s.close()
        # Fragments that add up past 65536 bytes, then a normal request on the same connection.
        s = ws_connect_raw(self.port, cookie=cookie)
        ws_read_text(s)
        s.sendall(ws_frame(b'{"type":"session","id":1,"pad":"' + b"y" * 30000, fin=False))
        for _ in range(3):
            s.sendall(ws_frame(b"y" * 30000, opcode=0x0, fin=False))
        s.sendall(ws_frame(b'"}', opcode=0x0, fin=True))
        r = ws_read_text(s)
        u.log("fragments adding up to 120030 bytes:", r if r is None else str(r)[:300])
        assert r is not None and r.get("code") == "message_too_large", r
        s.sendall(ws_frame(b'{"type":"session","id":2}'))
        r = ws_read_text(s)
        assert r is not None and r["type"] == "result" and r["user"] == "op", r
        # Invalid UTF-8 in a text frame, a ping flood, a reserved opcode.
        s.sendall(ws_frame(b'{"type":"session","id":3,"x":"\xff\xfe\xc0\xae"}'))
        r = ws_read_text(s)
        u.log("invalid UTF-8:", r)
        assert r is None or r.get("code") in ("bad_json", "bad_message"), r
        s.close()
        s = ws_connect_raw(self.port, cookie=cookie)
        ws_read_text(s)
        s.sendall(ws_frame(b"p" * 125, opcode=0x9) * 2000)
        s.sendall(ws_frame(b"", opcode=0x3))
        s.close()

        async def t():
            c = await open_client(self.port)
            await c.login("op")
            deep = "[" * 32000 + "]" * 32000
            cases = [
                deep, '{"type":"session","id":' + "[" * 20000 + "]" * 20000 + "}",
                '{"a":' * 10000 + "1" + "}" * 10000,
                '{"type":"session","id":1e999}', '{"type":"session","id":-1}', '{"type":"session","id":1.5}',
                '{"type":"session","id":99999999999999999999999999}', '{"type":null,"id":1}',
                '{"type":"incidents.query","id":1,"areas":"station"}', '{"type":"incidents.query","id":1,"limit":"10"}',
                '{"type":"incidents.query","id":1,"limit":-1}', '{"type":"incidents.query","id":1,"limit":1e9}',
                '{"type":"incidents.query","id":1,"from":"2026-13-45T99:99:99Z"}',
                '{"type":"incidents.query","id":1,"from":"-999999-01-01T00:00:00Z"}',
                '{"type":"incidents.query","id":1,"before":-9223372036854775808}',
                '{"type":"incidents.query","id":1,"text":["a"]}', '{"type":"audit.query","id":1,"after":"x"}',
                '{"type":"live.start","id":1,"camera":null}', '{"type":"live.start","id":1,"camera":{"$ne":1}}',
                '{"type":"playback.open","id":1,"camera":"station-1","from":"9999-12-31T23:59:59Z"}',
                '{"type":"timeline","id":1,"camera":"station-1","from":"1970-01-01T00:00:00Z","to":"2100-01-01T00:00:00Z"}',
                '{"type":"incident.create","id":1,"camera":"station-1","source":"live","category":"overlast",'
                '"position":"2026-01-01T00:00:00Z","description":"' + "d" * 5000 + '"}',
                '{"type":"login","id":1,"user":"op","password":"' + "p" * 60000 + '"}',
                '{"type":"session","id":1}' + " " * 10 + "{}", "\ufeff{\"type\":\"session\",\"id\":1}", "", "null",
                '{"type":"session","id":1,"id":2}',
            ]
            for text in cases:
                r = await c.send_raw(text)
                assert r["type"] in ("error", "result"), r
                if r["type"] == "error":
                    assert r["code"] in ("bad_json", "bad_message", "forbidden", "not_found", "not_allowed",
                                         "message_too_large", "login_failed"), (text[:80], r)
            r = await c.req("session")
            assert r["type"] == "result" and r["user"] == "op", r
            await c.close()
        run(t())
        # HTTP: oversize and malformed logins, huge headers.
        for req in (b"POST /login HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 1000000000000\r\n\r\n{",
                    b"POST /login HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: -5\r\n\r\n{}",
                    b"POST /login HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 18446744073709551617\r\n\r\n{}",
                    b"POST /login HTTP/1.1\r\nHost: x\r\nContent-Length: 9\r\n\r\nnot json!",
                    b"POST /login HTTP/1.1\r\nHost: x\r\nContent-Length: 40\r\n\r\n" + b'{"user":"op","password":{"x":[1,2,3]}}  ',
                    b"POST /login HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nffffffffffff\r\n",
                    b"GET /files/export-key.pub HTTP/1.1\r\nHost: x\r\nCookie: " + b"c" * 100000 + b"\r\n\r\n",
                    b"GET /files/export-key.pub HTTP/1.1\r\nHost: x\r\n" + b"X-A: b\r\n" * 5000 + b"\r\n",
                    b"GET /files/export-key.pub HTTP/1.1\r\nHost: x\r\nRange: bytes=-0,1-2,99999999999999999999999-\r\n\r\n",
                    b"GET /files/export-key.pub HTTP/1.1\r\nHost: x\r\nRange: bytes=18446744073709551615-0\r\n\r\n",
                    b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03" + os.urandom(500),
                    b"GET / HTTP/9.9\r\n\r\n", b"BREW /coffee HTCPCP/1.0\r\n\r\n"):
            status, data = raw_http(self.port, req, timeout=10)
            u.log(f"HTTP {req[:40]!r}...: {status}")
            assert status != 500, (req[:60], status, data[:200])
            if req.startswith(b"POST /login"):
                assert status in (0, 400, 411, 413), (req[:60], status, data[:200])
        self.healthy()

    # -- hostile cameras (last: they have been misbehaving since the start) --

    def test_hostile_cameras(self):
        async def states():
            c = await open_client(self.port)
            await c.login("op")
            out = {}
            for cam in ("station-2", "station-3", "station-4"):
                r = await c.req("camera.status", camera=cam)
                out[cam] = r["camera"]
            r = await c.req("camera.status", camera="station-1")
            out["station-1"] = r["camera"]
            await c.close()
            return out

        def all_down():
            s = run(states())
            # Down with a reason (a reconnect attempt may be under way: "connecting").
            return s if all(s[c]["state"] in ("down", "connecting") and s[c]["last_error"]
                            for c in ("station-2", "station-3", "station-4")) else None
        s = u.wait_until("the hostile cameras down with a reason", all_down, 60, 1)
        for cam in ("station-2", "station-3", "station-4"):
            u.log(f"{cam}: {s[cam]['state']}, reconnects {s[cam]['reconnects']}: {s[cam]['last_error']}")
        assert s["station-1"]["state"] == "recording", s["station-1"]
        # The huge-length camera is refused by the recorder's own capped
        # DESCRIBE, before rtspsrc would buffer its body; the reason says so,
        # on the console and in the log.
        huge = "camera refused: DESCRIBE answer of 2147483647 bytes is over the 64 KiB limit"
        assert s["station-3"]["last_error"] == huge, s["station-3"]
        assert f"station-3: down: {huge}".encode() in open(self.serve.log_path, "rb").read(), \
            self.serve.tail()
        for h in self.hostile.values():
            assert h.connections >= 1, h.mode
        h = self.hostile["huge-length"]
        u.log(f"huge-length camera: {h.describes} DESCRIBEs, sent {h.sent_junk >> 20} MiB of SDP")
        # The real camera keeps recording next to them.
        n = len(u.complete_segments(self.config, "station-1"))
        u.wait_complete_segments(self.config, "station-1", n + 2, 30)
        rss = self.rss_kb()
        peak = u.proc_kb(self.serve.p.pid, "VmHWM")
        # (The peak includes the bursts of parallel logins: 64 MiB per argon2id hash.)
        u.log(f"server RSS {self.rss_start} -> {rss} kB (peak {peak} kB)")
        # (+14 MiB measured; under ASan its quarantine makes it ~380 MiB.)
        assert rss - self.rss_start < 128 * 1024 + MEM_SLACK_KB, (self.rss_start, rss)
        # Nothing critical in the daemon's log.
        log = open(self.serve.log_path, "rb").read()
        assert b"CRITICAL" not in log and b"runtime error" not in log and b"AddressSanitizer" not in log, \
            log[-2000:]
        self.healthy()


if __name__ == "__main__":
    HostileTests().run()
