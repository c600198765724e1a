#!/bin/sh
# Sets up uitkijk on a Debian 12 machine (as root): installs the Debian
# packages that are missing, builds, then either starts the demo or runs the
# whole test suite.
#   tools/setup.sh demo    build and run `uitkijk demo` (simulated cameras)
#   tools/setup.sh test    build and run every test (ctest)
#   tools/setup.sh build   only build
set -eu
cd "$(dirname "$0")/.."
mode=${1:-build}

packages="build-essential cmake pkg-config clang-format
  libglib2.0-dev libjson-glib-dev libsqlite3-dev sqlite3 libsodium-dev
  libgstreamer1.0-dev libgstreamer-plugins-base1.0-dev libgstrtspserver-1.0-dev
  gstreamer1.0-tools gstreamer1.0-plugins-base gstreamer1.0-plugins-good
  gstreamer1.0-plugins-bad gstreamer1.0-plugins-ugly
  libavformat-dev libavcodec-dev libavutil-dev ffmpeg
  libwebsockets-dev libwebsockets-evlib-glib python3 python3-websockets curl
  clang libclang-rt-14-dev openssl libssl-dev chromium"
# The browser test (tests/it_browser.py) drives Debian's chromium with
# playwright-core from npm; node and npm come from Debian only when the
# machine has no npm yet (a nodesource nodejs bundles its own npm, which
# Debian's npm package would conflict with).
command -v npm >/dev/null 2>&1 || packages="$packages nodejs npm"

missing=""
for p in $packages; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
if [ -n "$missing" ]; then
  echo "setup: installing:$missing"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  # shellcheck disable=SC2086
  apt-get install -y -qq --no-install-recommends $missing
fi

# playwright-core for the browser test (never a downloaded browser).
browser=tests/browser
if [ ! -d "$browser/node_modules/playwright-core" ] ||
   [ "$browser/package-lock.json" -nt "$browser/node_modules/.package-lock.json" ]; then
  echo "setup: npm ci in $browser"
  PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --prefix "$browser" --no-audit --no-fund
fi

build=${UK_BUILD_DIR:-build}
cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo ${UK_CMAKE_ARGS:-} >/dev/null
cmake --build "$build" -j"$(nproc)"

case "$mode" in
  demo)
    exec "$build/app/uitkijk" demo --data "${UK_DEMO_DIR:-uitkijk-demo}" ;;
  test)
    cd "$build"
    exec ctest --output-on-failure --timeout 900 ;;
  build) ;;
  *) echo "usage: tools/setup.sh demo|test|build" >&2; exit 2 ;;
esac
