#!/usr/bin/env bash
# One command: run every test (after scripts/setup.sh has built the tree).
#   bash scripts/test.sh
set -uo pipefail
cd "$(dirname "$0")/.."
[ -f Makefile ] || { echo "test: run scripts/setup.sh first"; exit 1; }

status=0
make -j"$(nproc)" check || status=1
# the C suite again under AddressSanitizer + UndefinedBehaviorSanitizer
bash scripts/sanitize.sh || status=1
# the threaded suites under ThreadSanitizer (shared top-k rank cache, objects per thread)
bash scripts/tsan.sh || status=1
# every fuzz target for a bounded time (KPI_FUZZ_SECONDS, default 10 s each; fuzz/README.md)
bash scripts/fuzz.sh >fuzz.log 2>&1 && tail -1 fuzz.log || { tail -80 fuzz.log; echo "fuzz: FAILED"; status=1; }
# benchmarks: built and run once on small sizes to prove they work (no times asserted)
KPI_BENCH_QUICK=1 make -s bench >bench-quick.log 2>&1 \
  && echo "bench (quick): ran" || { tail -20 bench-quick.log; echo "bench (quick): FAILED"; status=1; }
make -j"$(nproc)" distcheck DISTCHECK_CONFIGURE_FLAGS=--enable-werror >distcheck.log 2>&1 \
  && echo "distcheck: passed" || { tail -40 distcheck.log; echo "distcheck: FAILED"; status=1; }

# One closing line for every runner: count the results automake recorded.
count() { find . -name '*.trs' -not -path './libkpi-*' -exec grep -l ":test-result: $1" {} + 2>/dev/null | wc -l; }
pass=$(count PASS); fail=$(( $(count FAIL) + $(count ERROR) )); skip=$(count SKIP)
[ $status -eq 0 ] || [ "$fail" -gt 0 ] || fail=1
echo "$pass passed, $fail failed, $skip skipped"
exit $status
