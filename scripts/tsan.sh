#!/usr/bin/env bash
# The suites that share objects or run threads, built with clang's
# ThreadSanitizer: tests/test_threads.c (one object per thread, merged) and
# tests/test_topk.c (threads reading every rank of one top-k at once, through
# its shared rank cache).  The library's sources are compiled into each test
# directly (no configure), in a scratch directory; any report fails the run.
# Called by scripts/test.sh.
set -euo pipefail
cd "$(dirname "$0")/.."
command -v clang >/dev/null || { echo "tsan: clang not installed"; exit 1; }
work=$(mktemp -d "${TMPDIR:-/tmp}/kpi-tsan.XXXXXX")
trap 'rm -rf "$work"' EXIT
check_flags=$(pkg-config --cflags --libs check)
export TSAN_OPTIONS=halt_on_error=1:exitcode=66
export CK_FORK=no CK_DEFAULT_TIMEOUT=900
for t in test_threads test_topk; do
  # shellcheck disable=SC2086
  clang -O1 -g -fsanitize=thread -DHAVE_CONFIG_H -DKPI_BUILDING -I. -Iinclude -Ilib -Itests \
    -o "$work/$t" "tests/$t.c" lib/*.c $check_flags -lm -lpthread
  if ! "$work/$t" >"$work/$t.log" 2>&1; then
    tail -60 "$work/$t.log"; echo "tsan: $t FAILED"; exit 1
  fi
done
echo "tsan: test_threads and test_topk passed under ThreadSanitizer"
