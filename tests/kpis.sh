#!/bin/sh
# The user-facing docs name what exists: every function, metric and macro
# that docs/kpis.md (the KPI -> function table), docs/mainpage.md and
# README.md write is in include/, each table row's function in the row's
# header, source and tests (tests/kpis.py); and README's C snippet compiles
# warning-free and prints what it says.
set -eu
: "${top_srcdir:=.}" "${top_builddir:=.}" "${CC:=cc}"
tmp=$(mktemp -d "${TMPDIR:-/tmp}/kpi-kpis.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
status=0

# the python3 of the build (configure's KPI_PYTHON), else python3 on PATH
py=${KPI_PYTHON:-python3}
[ "$py" != no ] || py=python3
if command -v "$py" >/dev/null 2>&1; then
  top_srcdir=$top_srcdir "$py" -B "$top_srcdir/tests/kpis.py" || status=1
else
  echo "kpis: no python3: docs/kpis.md is not checked"
fi

# README's snippet (its one ```c block) as the body of a function given
# `answers` and `n`: promoters 2 of 3 and a detractor read NPS +33.3; a
# batch with an 11 is refused whole, so nothing is printed (KPI_ERR_EMPTY).
# The interval is score.h's adjusted Wald: n 6, promoters (2 + 3/4) / 6,
# detractors (1 + 3/4) / 6, difference 1/6, half-width 1.96 sqrt((0.75 -
# 1/36) / 6) = 0.680: 16.7 -+ 68.0 = -51.3 .. +84.7
awk '/^```c$/ { on = 1; next } /^```$/ { on = 0 } on' "$top_srcdir/README.md" >"$tmp/snippet.h"
[ -s "$tmp/snippet.h" ] || { echo "kpis: README.md has no \`\`\`c block"; exit 1; }
cat >"$tmp/readme.c" <<'C'
#include <stdio.h>
#include <kpi.h>
static void run(const int32_t *answers, size_t n)
{
#include "snippet.h"
}
int main(void)
{
    static const int32_t good[] = {10, 9, 3}, bad[] = {10, 11};
    run(good, 3);
    run(bad, 2);
    return 0;
}
C
# (compiled only in the sanitizer build: an instrumented libkpi does not
# link into an uninstrumented program)
lib=
if [ -n "${KPI_SANITIZE:-}" ]; then :
elif [ -f "$top_builddir/lib/.libs/libkpi.a" ]; then lib="$top_builddir/lib/.libs/libkpi.a -lm"
elif [ -f "$top_builddir/lib/.libs/libkpi.so" ]; then lib="-L$top_builddir/lib/.libs -Wl,-rpath,$top_builddir/lib/.libs -lkpi -lm"
fi
if ! $CC -std=c11 -Wall -Wextra -Werror -I"$top_srcdir/include" -I"$tmp" -c "$tmp/readme.c" -o "$tmp/readme.o"; then
  echo "kpis: README.md's C snippet does not compile"; exit 1
fi
if [ -n "$lib" ]; then
  # shellcheck disable=SC2086
  $CC "$tmp/readme.o" $lib -o "$tmp/readme" && "$tmp/readme" >"$tmp/out" ||
    { echo "kpis: README.md's C snippet does not link or run"; exit 1; }
  printf 'NPS +33.3 (95%% CI -51.3 .. +84.7, n = 3)\n' >"$tmp/want"
  cmp -s "$tmp/out" "$tmp/want" || { echo "kpis: README.md's snippet printed:"; cat "$tmp/out"; status=1; }
fi
[ $status -ne 0 ] || echo "kpis: README.md's C snippet compiles${lib:+ and prints what it says}"
exit $status
