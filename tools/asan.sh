#!/bin/sh
# The test suite under AddressSanitizer + UndefinedBehaviorSanitizer.
#
#   tools/asan.sh [CTEST ARGS...]      e.g. tools/asan.sh -R 'unit-|it-console'
#
# Configures a gcc build with UK_SANITIZE=ON (-fsanitize=address,undefined, see
# CMakeLists.txt) in build-asan/ (UK_ASAN_BUILD overrides), builds it, and runs
# ctest there. Every process the tests start (the daemon, the testcam, the CLI)
# is the instrumented binary; each sanitizer report goes to a file under
# build-asan/sanitizer-logs/, and any report fails this script even when the
# process that made it was killed by its test afterwards (a report at exit
# would otherwise go unnoticed).
#
# Left out (UK_ASAN_EXCLUDE overrides the regex):
#   fuzz-*       builds its own clang ASan+UBSan fuzzers (tests/run-fuzz.sh);
#                running it here would only repeat that, and double the time.
#   it-browser, it-ui-*  Chromium drives the console; the daemon would run
#                instrumented fine, but these tests are timing-bound (frame
#                times, playback start within 1.5 s) on a 2-core machine and
#                take minutes each; they add no server paths the it-* tests
#                do not cover.
# Leak detection is off: the only reports at exit are one-time allocations of
# GLib's type system / library constructors and fontconfig's cache (the
# testcam's clock overlay), and the daemons are ended by signals in most tests.
set -eu
src=$(cd "$(dirname "$0")/.." && pwd)
build=${UK_ASAN_BUILD:-$src/build-asan}
exclude=${UK_ASAN_EXCLUDE:-^(fuzz-|it-browser$|it-ui-)}
jobs=${UK_ASAN_JOBS:-$(nproc)}

cmake -S "$src" -B "$build" -DCMAKE_C_COMPILER="${CC:-gcc}" -DUK_SANITIZE=ON \
  -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build "$build" -j"$jobs" >/dev/null

logs=$build/sanitizer-logs
rm -rf "$logs"
mkdir -p "$logs"
# halt_on_error / abort_on_error: the first error ends the process (so its
# test fails too); log_path: one file per process with an error.
export ASAN_OPTIONS="halt_on_error=1:abort_on_error=1:detect_leaks=0:detect_stack_use_after_return=1:strict_string_checks=1:check_initialization_order=1:log_path=$logs/asan"
export UBSAN_OPTIONS="halt_on_error=1:abort_on_error=1:print_stacktrace=1:log_path=$logs/ubsan"

# What fails the script: any sanitizer report (each instrumented process that
# hits an error aborts and leaves its log, whatever its test makes of that).
# Test failures without a report are printed but do not fail it unless
# UK_ASAN_STRICT=1: under the sanitizers everything runs 2-3x slower, and on a
# busy 2-core machine the black-box tests' timing bounds (frames per segment,
# reconnect within 5 s, /healthz within 250 ms during logins, frame-exact
# positions) fail without any memory error; those bounds are checked by the
# normal build's run.
status=0
ctest_status=0
(cd "$build" && ctest --output-on-failure -E "$exclude" "$@") || ctest_status=$?
if [ -n "$(ls -A "$logs")" ]; then
  echo "asan.sh: sanitizer reports:" >&2
  for f in "$logs"/*; do
    echo "== $f" >&2
    head -n 60 "$f" >&2
  done
  status=1
else
  echo "asan.sh: no sanitizer reports"
fi
if [ "$ctest_status" -ne 0 ]; then
  if [ "${UK_ASAN_STRICT:-0}" = 1 ]; then
    status=1
  else
    echo "asan.sh: some tests failed without a sanitizer report (timing under ASan; see above);" \
      "UK_ASAN_STRICT=1 makes that fail too" >&2
  fi
fi
exit $status
