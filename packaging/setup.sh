#!/usr/bin/env bash
# Stride's one set-up script for a fresh Debian 12 machine.
#   packaging/setup.sh run    install what is needed, build, launch the app on the default model
#   packaging/setup.sh test   install what is needed, build, run every test (CTest)
#   packaging/setup.sh deps | build     the steps alone
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
build_dir="${STRIDE_BUILD_DIR:-build}"
jobs="$(nproc)"

as_root() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }

install_deps() {
  local pkgs
  pkgs="$(grep -v '^\s*#' packaging/debian-packages.txt | tr '\n' ' ')"
  as_root apt-get update -qq
  # shellcheck disable=SC2086
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $pkgs
  # Debian's npm conflicts with a nodejs that bundles its own; install it only where missing.
  command -v npm >/dev/null || as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq npm
}

build() {
  cmake -S . -B "$build_dir" -G Ninja -DCMAKE_BUILD_TYPE=Release -DSTRIDE_QT_MAJOR=5 "$@"
  cmake --build "$build_dir" -j "$jobs"
}

# The Qt 6 flavour (Debian 12 has Qt 6.4 but no KF6: highlighting is compiled out there) is
# compiled in the test run so that Qt 6 never breaks.
build_qt6_check() {
  cmake -S . -B "$build_dir-qt6" -G Ninja -DCMAKE_BUILD_TYPE=Release -DSTRIDE_QT_MAJOR=6 \
        -DSTRIDE_CUDA=OFF -DSTRIDE_BUILD_TESTS=OFF -DSTRIDE_BUILD_BENCH=OFF
  cmake --build "$build_dir-qt6" -j "$jobs"
}

case "${1:-}" in
  deps) install_deps ;;
  build) shift; build "$@" ;;
  run)
    shift
    install_deps
    build
    exec "$root/$build_dir/app/desktop/stride" "$@"
    ;;
  test)
    install_deps
    build
    if [ -f ui/CMakeLists.txt ] && grep -q add_ ui/CMakeLists.txt; then build_qt6_check; fi
    ctest --test-dir "$build_dir" --output-on-failure -j "$jobs" --timeout 1200
    ;;
  *) echo "usage: $0 run|test|deps|build" >&2; exit 2 ;;
esac
