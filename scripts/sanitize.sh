#!/usr/bin/env bash
# The whole C test suite once more, built with clang's AddressSanitizer and
# UndefinedBehaviorSanitizer; any report fails the run.  It builds from the
# distribution tarball in a scratch directory, so the source tree is never
# reconfigured.  Called by scripts/test.sh.
set -euo pipefail
cd "$(dirname "$0")/.."
command -v clang >/dev/null || { echo "sanitize: clang not installed"; exit 1; }
work=$(mktemp -d "${TMPDIR:-/tmp}/kpi-sanitize.XXXXXX")
trap 'rm -rf "$work"' EXIT
version=$(sed -n 's/^PACKAGE_VERSION = //p' Makefile)
make -s dist-gzip >/dev/null || { echo "sanitize: FAILED (make dist-gzip: the tarball could not be made)"; exit 1; }
tar -C "$work" -xzf "libkpi-$version.tar.gz"
rm -f "libkpi-$version.tar.gz"
cd "$work/libkpi-$version"
flags="-fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer -g -O1"
./configure -q CC=clang CXX=clang++ CFLAGS="$flags" LDFLAGS="-fsanitize=address,undefined" \
  --disable-static >/dev/null
export KPI_SKIP_PYTHON=1
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1:strict_string_checks=1
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
export KPI_SANITIZE=1
if make -s -j"$(nproc)" check >check.log 2>&1; then
  echo "sanitize: make check passed under ASan+UBSan ($(grep -c '^PASS:' check.log) passed, $(grep -c '^SKIP:' check.log) skipped)"
else
  grep -E '^(FAIL|ERROR):' check.log || true
  for f in $(grep -lE ':test-result: (FAIL|ERROR)' $(find . -name '*.trs')); do
    tail -40 "${f%.trs}.log"; done
  echo "sanitize: FAILED"; exit 1
fi
