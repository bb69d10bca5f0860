#!/usr/bin/env bash
# Valgrind memcheck of the C Check suites: every tests/test_* program runs
# under `valgrind --leak-check=full --error-exitcode=1` (CK_FORK=no, so the
# tests run in the process valgrind watches; libtool's wrappers are run
# through `libtool --mode=execute`).  Any memcheck error or leak fails it.
#   bash scripts/valgrind.sh            all the suites (after `make check`
#                                       or `make check TESTS=`)
#   bash scripts/valgrind.sh test_alloc one suite, by name
# Not part of scripts/test.sh (it takes several minutes); see
# docs/hardening.md.
set -uo pipefail
cd "$(dirname "$0")/.."
command -v valgrind >/dev/null || { echo "valgrind: not installed"; exit 1; }
[ -f Makefile ] || { echo "valgrind: run scripts/setup.sh first"; exit 1; }
# build the suites without running them
make -s -j2 check TESTS= >/dev/null || { echo "valgrind: build failed"; exit 1; }
if [ $# -gt 0 ]; then
  suites=("$@")
else
  suites=()
  # every built suite, also those built from another suite's source with
  # other flags (test_topk_scalar, test_score_portable)
  for t in tests/test_*; do
    case $t in *.*) continue ;; esac
    [ -f "$t" ] && [ -x "$t" ] && suites+=("${t#tests/}")
  done
fi
export CK_FORK=no CK_DEFAULT_TIMEOUT=0 top_srcdir="$PWD"
export KPI_TEST_UNTIMED=1 # the one loose time bound (a rank-read guard in test_topk)
log=$(mktemp "${TMPDIR:-/tmp}/kpi-valgrind.XXXXXX")
trap 'rm -f "$log"' EXIT
status=0 passed=0
start=$(date +%s)
for t in "${suites[@]}"; do
  t=${t#tests/}
  if ./libtool --mode=execute valgrind -q --leak-check=full --show-leak-kinds=definite,indirect,possible \
       --errors-for-leak-kinds=definite,indirect,possible --error-exitcode=1 \
       "tests/$t" >"$log" 2>&1; then
    echo "valgrind: $t clean ($(grep -o 'Checks: [0-9]*' "$log"))"
    passed=$((passed + 1))
  else
    tail -60 "$log"
    echo "valgrind: $t FAILED"
    status=1
  fi
done
echo "valgrind: $passed of ${#suites[@]} suites clean in $(( $(date +%s) - start )) s"
exit $status
