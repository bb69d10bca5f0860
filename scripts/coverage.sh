#!/usr/bin/env bash
# Line and branch coverage of lib/*.c by the C test programs.  Builds the
# distribution tarball in a scratch directory (the source tree is never
# reconfigured) with gcc --coverage -O0 (counters updated atomically: the
# thread suites share them), runs the C check programs there
# (the Check suites tests/test_* and the fuzz corpus replays fuzz/replay_*;
# not the shell or Python checks), then prints per lib/*.c file the lines
# and branches executed, and the total, from gcov's JSON output (gcov comes
# with gcc; the summary needs only /usr/bin/python3's standard library).
# A file compiled twice (lib/topk.c also into tests/test_topk_scalar with
# -DKPI__TOPK_SCALAR, lib/score.c into tests/test_score_portable with
# -DKPI_NO_DISPATCH) counts as one: a line or branch is covered if either
# build executed it.  Not part of scripts/test.sh (it is a tool; under a
# minute on 2 cores); see docs/hardening.md.
#
#   bash scripts/coverage.sh                  every C program, summary table
#   bash scripts/coverage.sh test_engine ...  only these programs (by name)
#
# Environment: KPI_COV_WORK=DIR keeps the build there (instead of a
# temporary directory removed at exit); KPI_COV_UNCOVERED=1 also lists the
# unexecuted lines and the lines with an untaken branch of every file;
# KPI_COV_JOBS (default 2) is make's -j.
set -euo pipefail
cd "$(dirname "$0")/.."
command -v gcc >/dev/null && command -v gcov >/dev/null ||
  { echo "coverage: gcc and gcov needed (apt-get install gcc)"; exit 1; }
py=/usr/bin/python3
[ -x "$py" ] || py=python3
[ -f Makefile ] || { echo "coverage: run scripts/setup.sh first"; exit 1; }
jobs=${KPI_COV_JOBS:-2}
if [ -n "${KPI_COV_WORK:-}" ]; then
  work=$KPI_COV_WORK; rm -rf "$work"; mkdir -p "$work"
else
  work=$(mktemp -d "${TMPDIR:-/tmp}/kpi-coverage.XXXXXX"); trap 'rm -rf "$work"' EXIT
fi
version=$(sed -n 's/^PACKAGE_VERSION = //p' Makefile)
make -s dist-gzip >/dev/null
tar -C "$work" -xzf "libkpi-$version.tar.gz"
rm -f "libkpi-$version.tar.gz"
cd "$work/libkpi-$version"
# static only: every program links the instrumented objects directly
./configure -q CC=gcc CFLAGS="--coverage -fprofile-update=atomic -O0 -g" \
  LDFLAGS="--coverage" \
  --disable-shared >/dev/null
make -s -j"$jobs" check TESTS= >build.log 2>&1 || { tail -40 build.log; echo "coverage: build failed"; exit 1; }
printf 'include Makefile\nkpi-cov-progs:\n\t@echo $(check_PROGRAMS)\n' >cov.mk
progs=$(make -s -f cov.mk kpi-cov-progs | tr ' ' '\n' | grep -E '^(tests|fuzz)/' || true)
if [ $# -gt 0 ]; then
  want=" $* "; sel=""
  for p in $progs; do [[ $want == *" ${p##*/} "* ]] && sel="$sel $p"; done
  progs=$sel
  [ -n "$progs" ] || { echo "coverage: no such program: $*"; exit 1; }
fi
export KPI_SKIP_PYTHON=1
# shellcheck disable=SC2086
if ! make -s -j"$jobs" check TESTS="$(echo $progs)" >check.log 2>&1; then
  grep -E '^(FAIL|ERROR):' check.log || true
  echo "coverage: a test failed (the figures below count what ran)"
  status=1
else
  status=0
fi
echo "coverage: ran $(echo $progs | wc -w) C test programs ($(grep -c '^PASS:' check.log || true) passed)"
mkdir -p gcov
for d in lib/*.gcda; do
  [ -f "$d" ] || continue
  (cd gcov && gcov -b --json-format -o "../$(dirname "$d")" "../$d" >/dev/null 2>&1)
done
"$py" - gcov "${KPI_COV_UNCOVERED:-0}" <<'EOF'
import glob, gzip, json, os, sys
lines, branches = {}, {}   # file -> {line: count}, file -> {(line, i): count}
for path in sorted(glob.glob(os.path.join(sys.argv[1], '*.gcov.json.gz'))):
    with gzip.open(path, 'rt') as f:
        data = json.load(f)
    for fi in data['files']:
        name = fi['file'].split('/')[-2:]
        if name[0] != 'lib' or not name[1].endswith('.c'):
            continue
        name = '/'.join(name)
        fl, fb = lines.setdefault(name, {}), branches.setdefault(name, {})
        for ln in fi['lines']:
            n = ln['line_number']
            fl[n] = fl.get(n, 0) + ln['count']
            for i, b in enumerate(ln.get('branches', [])):
                fb[(n, i)] = fb.get((n, i), 0) + b['count']
def pct(a, b):
    return '%6.1f%%' % (100.0 * a / b) if b else '      -'
print('%-20s %15s %8s %17s %8s' % ('file', 'lines', '', 'branches', ''))
tl = tlc = tb = tbc = 0
for name in sorted(lines):
    fl, fb = lines[name], branches[name]
    lc = sum(1 for c in fl.values() if c); bc = sum(1 for c in fb.values() if c)
    print('%-20s %7d / %5d %s %8d / %5d %s' % (name, lc, len(fl), pct(lc, len(fl)),
                                             bc, len(fb), pct(bc, len(fb))))
    tl += len(fl); tlc += lc; tb += len(fb); tbc += bc
print('%-20s %7d / %5d %s %8d / %5d %s' % ('total', tlc, tl, pct(tlc, tl), tbc, tb, pct(tbc, tb)))
if sys.argv[2] == '1':
    def ranges(ns):
        out, ns = [], sorted(ns)
        for n in ns:
            if out and n == out[-1][1] + 1: out[-1][1] = n
            else: out.append([n, n])
        return ','.join(str(a) if a == b else '%d-%d' % (a, b) for a, b in out)
    for name in sorted(lines):
        fl, fb = lines[name], branches[name]
        miss = [n for n, c in fl.items() if not c]
        part = {n for (n, i), c in fb.items() if not c and fl.get(n)}
        print('\n%s\n  unexecuted lines: %s\n  lines with an untaken branch: %s'
              % (name, ranges(miss) or '-', ranges(part) or '-'))
EOF
[ -z "${KPI_COV_WORK:-}" ] || echo "coverage: build and gcov output kept in $work/libkpi-$version (gcov -b annotated sources: run gcov -b -o lib lib/<gcda> there)"
exit "$status"
