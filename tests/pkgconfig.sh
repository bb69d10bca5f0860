#!/bin/sh
# Install into a scratch root, then build the quickstart example out of the
# tree with nothing but `pkg-config --cflags --libs kpi`: linked against the
# shared library, and statically (`pkg-config --static`).
set -eu
: "${top_srcdir:=.}" "${top_builddir:=.}" "${CC:=cc}" "${MAKE:=make}"
# an instrumented libkpi.so cannot be loaded by an uninstrumented program
[ -z "${KPI_SANITIZE:-}" ] || { echo "pkgconfig: skipped in the sanitizer build"; exit 77; }
command -v pkg-config >/dev/null || { echo "pkgconfig: no pkg-config"; exit 77; }
root=$(mktemp -d "${TMPDIR:-/tmp}/kpi-install.XXXXXX")
trap 'rm -rf "$root"' EXIT
$MAKE -s -C "$top_builddir" install DESTDIR="$root" >"$root/install.log" 2>&1 || {
  cat "$root/install.log"; echo "pkgconfig: make install failed"; exit 1; }
pcdir="$root$libdir/pkgconfig"
[ -f "$pcdir/kpi.pc" ] || { echo "pkgconfig: kpi.pc not installed in $pcdir"; exit 1; }
export PKG_CONFIG_PATH="$pcdir" PKG_CONFIG_SYSROOT_DIR="$root" PKG_CONFIG_LIBDIR="$pcdir"
cflags=$(pkg-config --cflags kpi)
libs=$(pkg-config --libs kpi)
static_libs=$(pkg-config --static --libs kpi)
src="$top_srcdir/examples/quickstart.c"
work="$root/work"; mkdir -p "$work"
cp "$src" "$work/"
( cd "$work"
  $CC -std=c11 -Wall -Werror $cflags quickstart.c -o quickstart-shared $libs
  LD_LIBRARY_PATH="$root$libdir" ./quickstart-shared > shared.out
  $CC -std=c11 -Wall -Werror $cflags quickstart.c -o quickstart-static -static $static_libs
  ./quickstart-static > static.out
  if ldd ./quickstart-static 2>/dev/null | grep -q libkpi; then
    echo "pkgconfig: static build still loads libkpi.so"; exit 1; fi
  cmp shared.out static.out
  [ -s shared.out ] )
echo "pkgconfig: shared and static out-of-tree builds via pkg-config run and agree"
