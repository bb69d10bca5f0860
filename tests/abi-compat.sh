#!/bin/sh
# A program built for the recorded ABI runs on the current library: the
# compatibility program (abi/compat/compat.c) is compiled against the
# RECORDED headers (abi/include), linked with the current build's
# libkpi.so and run; and every symbol version the binary requires from
# libkpi is one the current library provides (readelf's version needs
# against its version definitions).
set -eu
: "${top_srcdir:=.}" "${top_builddir:=.}" "${CC:=cc}"
top_srcdir=$(cd "$top_srcdir" && pwd)
top_builddir=$(cd "$top_builddir" && pwd)
# an instrumented libkpi.so cannot be loaded by an uninstrumented program
[ -z "${KPI_SANITIZE:-}" ] || { echo "abi-compat: skipped in the sanitizer build"; exit 77; }
so="$top_builddir/lib/.libs/libkpi.so"
[ -f "$so" ] || { echo "abi-compat: $so not built (shared library disabled?)"; exit 77; }
[ -f "$top_srcdir/abi/include/kpi.h" ] || { echo "abi-compat: no recorded headers (make update-abi)"; exit 1; }
tmp=$(mktemp -d "${TMPDIR:-/tmp}/kpi-compat.XXXXXX")
trap 'rm -rf "$tmp"' EXIT

# only the recorded headers are on the include path
$CC -std=c11 -Wall -Wextra -Werror -I"$top_srcdir/abi/include" \
  -c "$top_srcdir/abi/compat/compat.c" -o "$tmp/compat.o"
$CC "$tmp/compat.o" -o "$tmp/compat" -L"$top_builddir/lib/.libs" -lkpi -lm
if ! LD_LIBRARY_PATH="$top_builddir/lib/.libs${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}" \
  "$tmp/compat" > "$tmp/out" 2>&1; then
  cat "$tmp/out"; echo "abi-compat: the program built on abi/include failed on the current library"; exit 1
fi

# the versions the binary needs from libkpi, and those the library defines
soname=$(readelf -d "$so" | sed -n 's/.*(SONAME).*\[\(.*\)\].*/\1/p')
readelf -V "$tmp/compat" | awk -v lib="$soname" '
  /File:/ { inlib = (index($0, "File: " lib " ") > 0) }
  inlib && /Name:/ { for (i = 1; i < NF; i++) if ($i == "Name:") print $(i + 1) }' \
  | LC_ALL=C sort -u > "$tmp/needed"
readelf -V "$so" | awk '/Version definition section/ { d = 1 } /Version needs section/ { d = 0 }
  d && /Name:/ { for (i = 1; i < NF; i++) if ($i == "Name:") print $(i + 1) }' \
  | LC_ALL=C sort -u > "$tmp/defined"
if [ ! -s "$tmp/needed" ]; then
  echo "abi-compat: the program needs no symbol version from $soname (unversioned link?)"; exit 1
fi
missing=$(LC_ALL=C comm -23 "$tmp/needed" "$tmp/defined")
if [ -n "$missing" ]; then
  echo "abi-compat: versions needed but not defined by $soname:"; printf '  %s\n' $missing; exit 1
fi
# and each libkpi symbol the binary imports exists at its version
dynsyms() { objdump -T "$1" | awk -v und="$2" '$0 ~ /KPI_[0-9]/ && (und == ($0 ~ /\*UND\*/)) {
  v = $(NF - 1); gsub(/[()]/, "", v); print $NF "@" v }' | LC_ALL=C sort -u; }
dynsyms "$tmp/compat" 1 > "$tmp/imports"
dynsyms "$so" 0 > "$tmp/provided"
absent=$(LC_ALL=C comm -23 "$tmp/imports" "$tmp/provided")
if [ -n "$absent" ]; then
  echo "abi-compat: symbols imported but not provided at their version:"; printf '  %s\n' $absent; exit 1
fi
echo "abi-compat: built on abi/include, ran on $soname: $(tail -1 "$tmp/out");" \
  "$(grep -c . "$tmp/imports") imports at $(paste -sd' ' "$tmp/needed"), all provided"
