#!/bin/sh
# Builds the libFuzzer target for the console protocol (clang, ASan+UBSan)
# in its own build folder and runs it for a bounded time on the sample
# messages of tests/data/protocol.
#   tests/run-fuzz.sh [SECONDS]     default 60; run it longer by hand, e.g. 3600
set -eu
src=$(cd "$(dirname "$0")/.." && pwd)
seconds=${1:-60}
build=${UK_FUZZ_BUILD:-$src/build-fuzz}
cmake -S "$src" -B "$build" -DCMAKE_C_COMPILER=clang -DUK_FUZZ=ON -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build "$build" --target fuzz-protocol -j"$(nproc)" >/dev/null
corpus=$build/fuzz-corpus
mkdir -p "$corpus"
# Seeds: every sample request, as an operator (first byte 1) and as privacy (2).
python3 - "$src/tests/data/protocol" "$corpus" <<'PY'
import json, os, sys
src, out = sys.argv[1], sys.argv[2]
for name in os.listdir(src):
    request = json.dumps(json.load(open(os.path.join(src, name)))["request"]).encode()
    for who in (0, 1, 2):  # not logged in, operator, privacy
        with open(os.path.join(out, f"{name}-{who}"), "wb") as f:
            f.write(bytes([who]) + request)
PY
cd "$build"
exec ./tests/fuzz-protocol -max_total_time="$seconds" -max_len=70000 -timeout=20 -rss_limit_mb=4096 \
  -print_final_stats=1 "$corpus"
