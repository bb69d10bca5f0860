#!/bin/sh
# The amalgamation (scripts/amalgamate.sh, `make amalgamate`) builds with
# the project's warnings as errors, as C11, in every linkage mode, and runs:
# - kpi.h compiles alone (twice included) as C11 and as C++;
# - exported: kpi.c compiled alone exports exactly the library's symbols
#   (lib/libkpi.exports: kpi_ names only, no kpi__ helper), and the smoke
#   program (abi/compat/compat.c) linked with it passes;
# - KPI_AMALGAMATION_STATIC: kpi.c included into the smoke program's
#   translation unit; the object defines no global symbol but main, a
#   shared "plugin" built from it exports no kpi_ symbol, and it passes;
# - KPI_STATIC_BUILD with -fvisibility=hidden (a plugin of several files):
#   the shared plugin exports no kpi_ symbol, and the program passes.
set -eu
: "${top_srcdir:=.}" "${CC:=cc}" "${NM:=nm}" "${CXX:=}"
top_srcdir=$(cd "$top_srcdir" && pwd)
tmp=$(mktemp -d "${TMPDIR:-/tmp}/kpi-amalg-test.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
# The project's warning set, plus C11 as the headers promise.
flags="-std=c11 -O2 -Wall -Wextra -Wpedantic -Wshadow -Wstrict-prototypes \
-Wmissing-prototypes -Wpointer-arith -Wcast-align -Wwrite-strings -Wformat=2 -Wundef -Wvla -Werror"

sh "$top_srcdir/scripts/amalgamate.sh" "$tmp/am" > /dev/null
cp "$top_srcdir/abi/compat/compat.c" "$tmp/am/smoke.c"
cd "$tmp/am"
status=0

# ---- kpi.h alone, included twice, as C11 and as C++ -------------------------
printf '#include "kpi.h"\n#include "kpi.h"\nint kpi_header_anchor;\n' > h.c
cp h.c h.cpp
$CC -std=c11 -pedantic -Wall -Wextra -Werror -c h.c -o h.o
if [ -n "${CXX:-}" ] && command -v "${CXX%% *}" > /dev/null; then
  $CXX -std=c++11 -pedantic -Wall -Wextra -Werror -c h.cpp -o h.o
fi

# ---- exported ---------------------------------------------------------------
$CC $flags -fPIC -c kpi.c -o kpi.o
$NM -g --defined-only kpi.o | awk '{print $NF}' | LC_ALL=C sort > exported
if ! LC_ALL=C sort -u "$top_srcdir/lib/libkpi.exports" | cmp -s - exported; then
  echo "amalgamation: kpi.o's global symbols differ from lib/libkpi.exports:"
  LC_ALL=C sort -u "$top_srcdir/lib/libkpi.exports" | diff - exported | head -20; status=1
fi
$CC $flags -c smoke.c -o smoke.o
$CC smoke.o kpi.o -o smoke -lm
./smoke > smoke.out || { cat smoke.out; echo "amalgamation: smoke program failed (exported)"; status=1; }

# ---- KPI_AMALGAMATION_STATIC ------------------------------------------------
printf '#define KPI_AMALGAMATION_STATIC 1\n#include "kpi.c"\n#include "smoke.c"\n' > plugin.c
$CC $flags -fPIC -c plugin.c -o plugin.o
leaked=$($NM -g --defined-only plugin.o | awk '{print $NF}' | grep -v '^main$' || true)
if [ -n "$leaked" ]; then
  echo "amalgamation: the static build exports more than main:"; printf '  %s\n' $leaked; status=1
fi
$CC -shared plugin.o -o plugin.so -lm
leaked=$($NM -D --defined-only plugin.so | awk '{print $NF}' | grep '^kpi_' || true)
if [ -n "$leaked" ]; then
  echo "amalgamation: the static plugin exports kpi_ symbols:"; printf '  %s\n' $leaked; status=1
fi
$CC plugin.o -o smoke_static -lm
./smoke_static > static.out || { cat static.out; echo "amalgamation: smoke program failed (static)"; status=1; }
# ---- KPI_STATIC_BUILD -fvisibility=hidden (a plugin of several files) ----
$CC $flags -fPIC -fvisibility=hidden -DKPI_STATIC_BUILD -c kpi.c -o hidden.o
$CC $flags -fPIC -fvisibility=hidden -DKPI_STATIC_BUILD -c smoke.c -o smoke_hidden.o
$CC -shared hidden.o smoke_hidden.o -o hidden.so -lm
leaked=$($NM -D --defined-only hidden.so | awk '{print $NF}' | grep '^kpi_' || true)
if [ -n "$leaked" ]; then
  echo "amalgamation: the hidden plugin exports kpi_ symbols:"; printf '  %s\n' $leaked; status=1
fi
$CC hidden.o smoke_hidden.o -o smoke_hidden -lm
./smoke_hidden > hidden.out || { cat hidden.out; echo "amalgamation: smoke program failed (hidden)"; status=1; }

if ! cmp -s smoke.out static.out || ! cmp -s smoke.out hidden.out; then
  echo "amalgamation: the builds print different results:"
  diff smoke.out static.out | head; diff smoke.out hidden.out | head; status=1
fi

if [ $status -eq 0 ]; then
  n=$(grep -c . exported)
  echo "amalgamation: kpi.c builds with -Werror; exported: $n kpi_ symbols (= libkpi.exports);"
  echo "amalgamation: static and hidden plugins export no kpi_ symbol; smoke (3 builds): $(tail -1 smoke.out)"
fi
exit $status
