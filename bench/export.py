#!/usr/bin/env python3
"""Clip export benchmark: `uitkijk export clip` against ffmpeg's concat demuxer
with stream copy, on the same segment files, in the same run.

Records a simulated camera (`uitkijk testcam`, H.264 1280x720 25 fps ~3 Mbit/s)
with `uitkijk serve`, stops both, then exports a range that starts and ends
mid-GOP with, alternately and never at the same time,

  uitkijk export clip -c CONF cam1 FROM TO out.mp4 --force --json
  ffmpeg -f concat -safe 0 -ss S -i list.txt -t D -c copy out.mp4

and, for information, the same ffmpeg with -movflags +faststart (the uitkijk
clip has its moov in front), and ffmpeg followed by `sha256sum` and `sync` on
its output (what an export needs besides the remux). One warm-up run each,
then --reps runs each, interleaved; `sync` between runs (not timed) so that no
run pays for the previous one's writeback. Prints the medians and the ratio
uitkijk / ffmpeg (target: <= 1.0).

What each side does: uitkijk also writes a subtitle track (one cue per frame),
takes the SHA-256 of the file (GChecksum, on a second thread while writing),
fsyncs it and renames it into place; plain ffmpeg does none of that (and, on
these fragmented segments without an index, cannot seek: it reads each file
from its start).

  /usr/bin/python3 bench/export.py                 # 64 s recorded in 4 s segments (~2 min)
  /usr/bin/python3 bench/export.py --minutes 10    # also a 10-minute clip (60 s segments; +12 min)
  /usr/bin/python3 bench/export.py --minutes 10 --keep              # keep the recordings, then
  /usr/bin/python3 bench/export.py --minutes 10 --reuse KEPT_FOLDER  # measure again without recording
"""
import argparse
import json
import os
import resource
import shlex
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "tests"))
import uktest as u  # noqa: E402

FPS = 25
LABELS = {"uitkijk": "uitkijk export clip", "ffmpeg": "ffmpeg concat -c copy",
          "ffmpeg+faststart": "ffmpeg ... +faststart",
          "ffmpeg+sha256+sync": "ffmpeg, sha256sum, sync"}


def progress(msg):
    print(f"[{time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


def recorded(folder):
    """An earlier recording (--reuse): (config path, complete segments)."""
    conf = os.path.join(folder, "uitkijk.conf")
    segs = [s for s in u.recordings(conf, "cam1")["segments"] if s["complete"]]
    progress(f"reusing {len(segs)} segments in {folder}")
    return conf, segs


def record(folder, seconds, segment_seconds, reuse=None):
    """Records cam1 for `seconds`; returns (config path, complete segments)."""
    if reuse:
        return recorded(reuse)
    os.makedirs(folder)
    port = u.free_port()
    cam = serve = None
    try:
        cam = u.start_testcam(folder, port)
        conf = u.write_config(folder, [("cam1", "bench", f"rtsp://127.0.0.1:{port}/cam1")],
                              segment_seconds=segment_seconds)
        serve = u.start_serve(folder, conf)
        u.wait_until("recording to start", lambda: u.recordings(conf, "cam1")["segments"], 60, 0.5)
        progress(f"recording {seconds:.0f} s in {segment_seconds} s segments")
        time.sleep(seconds)
    finally:
        for p in (serve, cam):
            if p:
                p.stop()
    rec = u.recordings(conf, "cam1")
    segs = [s for s in rec["segments"] if s["complete"]]
    if rec["gaps"][:-1] or len(segs) < 2:
        raise SystemExit(f"recording went wrong: {len(segs)} segments, gaps {rec['gaps']}")
    return conf, segs


def timed(args):
    """Runs args; returns (wall s, cpu s, stdout)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.monotonic()
    r = subprocess.run(args, capture_output=True, text=True, stdin=subprocess.DEVNULL)
    wall = time.monotonic() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if r.returncode != 0:
        raise SystemExit(f"{' '.join(args)} exited {r.returncode}: {r.stderr.strip()}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu, r.stdout


def run_case(name, folder, conf, segs, lead_s, length_s, reps, ffmpeg):
    t0_us = u.parse_rfc3339_us(segs[0]["start"])
    from_us = t0_us + int(lead_s * 1e6)
    to_us = from_us + int(length_s * 1e6)
    frm, to = u.rfc3339(from_us), u.rfc3339(to_us)
    listing = os.path.join(folder, "list.txt")
    with open(listing, "w") as f:
        for s in segs:
            f.write(f"file '{s['path']}'\n")
    out = {k: os.path.join(folder, f"{k}.mp4") for k in LABELS}
    ff = [ffmpeg, "-nostdin", "-v", "error", "-y", "-f", "concat", "-safe", "0",
          "-ss", f"{(from_us - t0_us) / 1e6:.6f}", "-i", listing, "-t", f"{length_s:.6f}",
          "-c", "copy"]
    cmds = {
        "uitkijk": [u.UITKIJK, "export", "clip", "-c", conf, "cam1", frm, to, "--json",
                    out["uitkijk"]],
        "ffmpeg": ff + [out["ffmpeg"]],
        "ffmpeg+faststart": ff + ["-movflags", "+faststart", out["ffmpeg+faststart"]],
        # What an export needs besides the remux: a hash, and the file on disk.
        "ffmpeg+sha256+sync": ["sh", "-c", " ".join(shlex.quote(a) for a in ff) + " \"$1\" && "
                               "sha256sum \"$1\" >/dev/null && sync \"$1\"", "sh",
                               out["ffmpeg+sha256+sync"]],
    }
    segment_bytes = sum(os.path.getsize(s["path"]) for s in segs)
    progress(f"{name}: {frm} .. {to} ({length_s:.1f} s) over {len(segs)} segments, "
             f"{segment_bytes / 1e6:.1f} MB")
    times = {k: [] for k in cmds}
    cpus = {k: [] for k in cmds}
    result = None
    for rep in range(reps + 1):  # rep 0 warms the page cache
        for k, args in cmds.items():
            if os.path.exists(out[k]):  # each writes a new file, not over an old one
                os.unlink(out[k])
            os.sync()
            wall, cpu, stdout = timed(args)
            if k == "uitkijk":
                result = json.loads(stdout)
            if rep:
                times[k].append(wall)
                cpus[k].append(cpu)
        if rep:
            progress(f"  rep {rep}: " + ", ".join(f"{k} {times[k][-1]:.3f} s" for k in cmds))
    # Sanity: the uitkijk clip holds the range.
    want = length_s * FPS
    if abs(result["frames_shown"] - want) > 2 or result["gaps"]:
        raise SystemExit(f"uitkijk clip is wrong: {result}")
    row = {"case": name, "from": frm, "to": to, "seconds": length_s, "segments": len(segs),
           "segment_bytes": segment_bytes, "uitkijk_bytes": result["bytes"],
           "ffmpeg_bytes": os.path.getsize(out["ffmpeg"]), "frames_shown": result["frames_shown"],
           "frames_written": result["frames_written"]}
    for k in cmds:
        row[k] = {"median_s": statistics.median(times[k]), "min_s": min(times[k]),
                  "max_s": max(times[k]), "cpu_median_s": statistics.median(cpus[k])}
    row["ratio"] = row["uitkijk"]["median_s"] / row["ffmpeg"]["median_s"]
    row["ratio_faststart"] = row["uitkijk"]["median_s"] / row["ffmpeg+faststart"]["median_s"]
    row["ratio_sha256_sync"] = (row["uitkijk"]["median_s"]
                                / row["ffmpeg+sha256+sync"]["median_s"])
    return row


def print_row(row, reps):
    print(f"\n{row['case']}: {row['seconds']:.1f} s of video ({row['frames_shown']} frames shown, "
          f"{row['frames_written']} written), {row['segments']} segments, "
          f"{row['segment_bytes'] / 1e6:.1f} MB; {reps} runs each")
    print(f"  {'':<28} {'median':>8} {'min':>8} {'max':>8} {'cpu':>8}")
    for k, label in LABELS.items():
        m = row[k]
        print(f"  {label:<28} {m['median_s']:7.3f}s {m['min_s']:7.3f}s {m['max_s']:7.3f}s "
              f"{m['cpu_median_s']:7.3f}s")
    met = "met" if row["ratio"] <= 1.0 else "NOT met"
    print(f"  ratio uitkijk / ffmpeg: {row['ratio']:.2f} (target <= 1.0: {met}); "
          f"against +faststart: {row['ratio_faststart']:.2f}; "
          f"against ffmpeg, sha256sum and sync: {row['ratio_sha256_sync']:.2f}")
    print(f"  output: uitkijk {row['uitkijk_bytes'] / 1e6:.1f} MB, "
          f"ffmpeg {row['ffmpeg_bytes'] / 1e6:.1f} MB")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--seconds", type=float, default=64, help="length of the short recording")
    ap.add_argument("--segment-seconds", type=int, default=4, help="its segment length")
    ap.add_argument("--minutes", type=float, default=0,
                    help="also record this many minutes in 60 s segments and export them")
    ap.add_argument("--reps", type=int, default=7)
    ap.add_argument("--uitkijk", default=os.environ.get(
        "UITKIJK", os.path.join(HERE, "..", "build", "app", "uitkijk")))
    ap.add_argument("--ffmpeg", default="ffmpeg")
    ap.add_argument("--json", help="also write the results as JSON to this file")
    ap.add_argument("--keep", action="store_true", help="keep the temporary folder")
    ap.add_argument("--reuse", help="take the recordings from this folder (a --keep run's) "
                    "instead of recording: its short/ and long/ subfolders, where present")
    args = ap.parse_args()
    u.UITKIJK = os.path.abspath(args.uitkijk)
    if not shutil.which(args.ffmpeg):
        raise SystemExit(f"{args.ffmpeg} not found")
    top = tempfile.mkdtemp(prefix="uk-bench-export-")
    rows = []
    try:
        def reuse(name):
            path = os.path.join(args.reuse, name) if args.reuse else None
            return path if path and os.path.exists(os.path.join(path, "uitkijk.conf")) else None
        folder = os.path.join(top, "short")
        conf, segs = record(folder, args.seconds, args.segment_seconds, reuse("short"))
        folder = reuse("short") and os.path.join(top, "short-out") or folder
        os.makedirs(folder, exist_ok=True)
        span = (u.parse_rfc3339_us(segs[-1]["end"]) - u.parse_rfc3339_us(segs[0]["start"])) / 1e6
        # Start 1.3 s in (mid-GOP: 2 s GOP), end 1.7 s before the last segment's end.
        rows.append(run_case("short", folder, conf, segs, 1.3, span - 3.0, args.reps,
                             args.ffmpeg))
        if args.minutes:
            folder = os.path.join(top, "long")
            conf, segs = record(folder, args.minutes * 60 + 20, 60, reuse("long"))
            folder = reuse("long") and os.path.join(top, "long-out") or folder
            os.makedirs(folder, exist_ok=True)
            rows.append(run_case(f"{args.minutes:g} minutes", folder, conf, segs, 7.3,
                                 args.minutes * 60, args.reps, args.ffmpeg))
        for row in rows:
            print_row(row, args.reps)
        if args.json:
            with open(args.json, "w") as f:
                json.dump(rows, f, indent=1)
    finally:
        if args.keep:
            progress(f"kept {top}")
        else:
            shutil.rmtree(top, ignore_errors=True)


if __name__ == "__main__":
    main()
