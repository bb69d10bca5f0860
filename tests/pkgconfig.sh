#!/bin/sh
# Install into a scratch root, then build the quickstart example out of the
# tree with nothing but `pkg-config --cflags --libs kpi`: linked against the
# shared library, and statically (`pkg-config --static`).  Twice: installed
# as configured (DESTDIR), and with the prefix given to `make install`
# (`make install prefix=/elsewhere`, which the GNU standards let a user do):
# the installed kpi.pc must name the directories the files went to.
set -eu
: "${top_srcdir:=.}" "${top_builddir:=.}" "${CC:=cc}" "${MAKE:=make}"
# an instrumented libkpi.so cannot be loaded by an uninstrumented program
[ -z "${KPI_SANITIZE:-}" ] || { echo "pkgconfig: skipped in the sanitizer build"; exit 77; }
command -v pkg-config >/dev/null || { echo "pkgconfig: no pkg-config"; exit 77; }
root=$(mktemp -d "${TMPDIR:-/tmp}/kpi-install.XXXXXX")
trap 'rm -rf "$root"' EXIT
src="$top_srcdir/examples/quickstart.c"

# check_install NAME [MAKE-ARGS...]: install into $root/NAME (DESTDIR), find
# the kpi.pc it installed, and build and run the quickstart from its flags.
check_install() {
  dest="$root/$1"; shift
  $MAKE -s -C "$top_builddir" install DESTDIR="$dest" "$@" >"$root/install.log" 2>&1 || {
    cat "$root/install.log"; echo "pkgconfig: make install $* failed"; exit 1; }
  pc=$(find "$dest" -path '*/pkgconfig/kpi.pc' | head -n 1)
  [ -n "$pc" ] || { echo "pkgconfig: make install $* installed no kpi.pc"; exit 1; }
  pcdir=$(dirname "$pc")
  export PKG_CONFIG_PATH="$pcdir" PKG_CONFIG_SYSROOT_DIR="$dest" PKG_CONFIG_LIBDIR="$pcdir"
  cflags=$(pkg-config --cflags kpi)
  libs=$(pkg-config --libs kpi)
  static_libs=$(pkg-config --static --libs kpi)
  # the directory the library is in, as kpi.pc names it
  libpath=$(pkg-config --libs-only-L kpi | sed 's/^ *-L//; s/ *$//')
  # (pkg-config leaves out a system directory such as /usr/lib)
  [ -n "$libpath" ] || libpath="$dest$libdir"
  [ -f "$libpath/libkpi.so" ] || [ -f "$libpath/libkpi.a" ] || {
    echo "pkgconfig: make install $*: kpi.pc says -L$libpath, which holds no libkpi:"
    cat "$pc"; exit 1; }
  # the static link only where libkpi.a was built (not with ./configure
  # --disable-static, a common choice for a system's package)
  static=no; [ -f "$libpath/libkpi.a" ] && static=yes
  work="$dest-work"; mkdir -p "$work"
  cp "$src" "$work/"
  ( cd "$work"
    $CC -std=c11 -Wall -Werror $cflags quickstart.c -o quickstart-shared $libs
    LD_LIBRARY_PATH="$libpath" ./quickstart-shared > shared.out
    [ -s shared.out ]
    [ $static = yes ] || exit 0
    $CC -std=c11 -Wall -Werror $cflags quickstart.c -o quickstart-static -static $static_libs
    ./quickstart-static > static.out
    if ldd ./quickstart-static 2>/dev/null | grep -q libkpi; then
      echo "pkgconfig: static build still loads libkpi.so"; exit 1; fi
    cmp shared.out static.out )
  [ $static = yes ] || echo "pkgconfig: no libkpi.a installed (--disable-static): static build skipped"
}
check_install staged
# `make install prefix=...` (kept under DESTDIR: an explicitly configured
# libdir or includedir stays where it was configured)
check_install moved prefix=/kpi-moved
echo "pkgconfig: shared (and, where built, static) out-of-tree builds via pkg-config run and agree (installed as configured, and with prefix= at install time)"
