#!/bin/sh
# Builds the libFuzzer targets (clang, ASan+UBSan) in their own build folder
# and runs each for a bounded time:
#   fuzz-protocol  the console protocol (one websocket message per input)
#   fuzz-config    the config loader (one config file per input)
#   fuzz-camera    fMP4 reader, capture SEI, frame index, clock map, writer round trip
#
#   tests/run-fuzz.sh [SECONDS [TARGET...]]
# SECONDS (default 60) is the total, split between the targets: protocol gets
# half, the others share the rest. Run it longer by hand, e.g. 3600. Corpora
# stay in the build folder (fuzz-corpus/TARGET) so later runs go on from them;
# a crash is written to fuzz-artifacts/ and fails the script.
set -eu
src=$(cd "$(dirname "$0")/.." && pwd)
seconds=${1:-60}
[ $# -gt 0 ] && shift
targets=${*:-fuzz-protocol fuzz-config fuzz-camera}
build=${UK_FUZZ_BUILD:-$src/build-fuzz}
cmake -S "$src" -B "$build" -DCMAKE_C_COMPILER=clang -DUK_FUZZ=ON -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
# shellcheck disable=SC2086
cmake --build "$build" --target $targets -j"$(nproc)" >/dev/null
artifacts=$build/fuzz-artifacts
mkdir -p "$artifacts"
n=$(echo $targets | wc -w)

# Seeds for each target (added to the corpus kept from earlier runs).
seed() {
  corpus=$build/fuzz-corpus/$1
  mkdir -p "$corpus"
  case $1 in
  fuzz-protocol)
    # Every sample request, not logged in (first byte 0), as an operator (1), as privacy (2).
    python3 - "$src/tests/data/protocol" "$corpus" <<'PY'
import json, os, sys
src, out = sys.argv[1], sys.argv[2]
for name in os.listdir(src):
    request = json.dumps(json.load(open(os.path.join(src, name)))["request"]).encode()
    for who in (0, 1, 2):
        with open(os.path.join(out, f"{name}-{who}"), "wb") as f:
            f.write(bytes([who]) + request)
PY
    ;;
  fuzz-config)
    # The example config, a test config as tests/uktest.py writes it (with
    # designations, a risk area, retention), and a dictionary of the key names.
    cp "$src/config/uitkijk.conf.example" "$corpus/example.conf"
    python3 - "$src" "$corpus" "$build/fuzz-config.dict" <<'PY'
import os, re, sys
src, out, dict_path = sys.argv[1:]
sys.path.insert(0, os.path.join(src, "tests"))
import uktest
extra = """
[risk_area:uitgaan]
area = station
decision = Aanwijzing veiligheidsrisicogebied 2026-7
prosecutor = mr. J. de Vries
valid_from = 2026-01-01T00:00:00Z
valid_until = 2026-07-01T00:00:00+02:00

[designation:koningsdag]
area = centrum
kind = event
decision = Besluit Koningsdag 2026
valid_from = 2026-04-27T06:00:00+02:00
valid_until = 2026-04-28T02:00:00+02:00
live_watch = fri-sat 22:00-04:00; daily 08:00-09:00; 2026-12-31T20:00:00+01:00/2027-01-01T04:00:00+01:00
dpia = DPIA-2026-3
signage = yes

[retention]
footage_days = 28
export_link_days = 14
incident_active_days = 365
incident_delete_days = 1825

[storage]
min_free = 512M
"""
d = os.path.join(out, "t")
os.makedirs(d, exist_ok=True)
path = uktest.write_config(d, [("station-1", "station", "rtsp://127.0.0.1:8554/a"),
                               ("centrum-1", "centrum", "rtsps://cam.example:322/b")],
                           listen_port=8080, extra=extra)
os.replace(path, os.path.join(out, "test.conf"))
os.rmdir(d)
words = set()
for f in ("config/uk-config.c", "config/uk-windows.c"):
    text = open(os.path.join(src, f)).read()
    words |= set(re.findall(r'\.name = "([a-z_]+)"', text))
    words |= set(re.findall(r'"\[?([a-z_]+):?\]?"', text))
words |= {"[server]", "[storage]", "[retention]", "[incidents]", "[area:", "[camera:",
          "[designation:", "[risk_area:", "daily", "mon", "fri-sat", "24:00", "T00:00:00Z", "+02:00"}
with open(dict_path, "w") as f:
    for w in sorted(words):
        f.write('"%s"\n' % w.replace("\\", "\\\\").replace('"', '\\"'))
PY
    ;;
  fuzz-camera)
    UK_FUZZ_SEEDS=$corpus "$build/tests/fuzz-camera" -runs=0 >/dev/null 2>&1
    # Inputs that once found bugs (test-fmp4 reads them too).
    cp "$src"/tests/data/fuzz-camera/* "$corpus"/
    ;;
  esac
}

# Any undefined behaviour is a finding, like a crash.
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-halt_on_error=1:print_stacktrace=1}
status=0
for t in $targets; do
  seed "$t"
  if [ "$n" -gt 1 ] && [ "$t" = fuzz-protocol ]; then
    secs=$((seconds / 2))
  elif [ "$n" -gt 1 ] && echo " $targets " | grep -q " fuzz-protocol "; then
    secs=$(( (seconds - seconds / 2) / (n - 1) ))
  else
    secs=$((seconds / n))
  fi
  [ "$secs" -lt 1 ] && secs=1
  dict=
  [ "$t" = fuzz-config ] && dict=-dict=$build/fuzz-config.dict
  echo "== $t: $secs s"
  # Run in the build folder: the protocol fixture's temporary folder goes under TMPDIR.
  # UK_FUZZ_SEED (ctest sets it): the same inputs in the same order on every
  # run, so CI fails on a bug every time, not when the dice fall that way;
  # by hand (no seed) each run explores anew.
  seed_opt=
  [ -n "${UK_FUZZ_SEED:-}" ] && seed_opt=-seed=$UK_FUZZ_SEED
  (cd "$build" && ./tests/$t -max_total_time="$secs" -max_len=70000 -timeout=20 -rss_limit_mb=4096 \
      -print_final_stats=1 -artifact_prefix="$artifacts/$t-" $seed_opt $dict "$build/fuzz-corpus/$t") || status=1
done
exit $status
