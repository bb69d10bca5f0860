#!/bin/sh
# The exported symbols of libkpi.so equal the committed list
# lib/libkpi.exports, and every one starts with kpi_.
# `tests/exports.sh --print` prints the current list (make update-exports).
set -eu
: "${top_builddir:=.}" "${top_srcdir:=.}" "${NM:=nm}"
so="$top_builddir/lib/.libs/libkpi.so"
if [ ! -f "$so" ]; then
  echo "exports: $so not built (shared library disabled?)"; exit 77
fi
current=$($NM -D --defined-only "$so" | awk '$2 ~ /^[TDBRVW]$/ {print $3}' \
  | sed 's/@.*//' | grep -vE '^(_init|_fini|_edata|_end|__bss_start|KPI_[0-9.]+)$' | LC_ALL=C sort -u)
if [ "${1:-}" = "--print" ]; then printf '%s\n' "$current"; exit 0; fi

status=0
bad=$(printf '%s\n' "$current" | grep -v '^kpi_' || true)
if [ -n "$bad" ]; then
  echo "exports: symbols without the kpi_ prefix leave the library:"; printf '  %s\n' $bad; status=1
fi
internal=$(printf '%s\n' "$current" | grep '^kpi__' || true)
if [ -n "$internal" ]; then
  echo "exports: internal kpi__ helpers leave the library:"; printf '  %s\n' $internal; status=1
fi
# every exported symbol carries a version node
unversioned=$($NM -D --defined-only "$so" | awk '$2 == "T" && $3 !~ /@/ {print $3}' || true)
if [ -n "$unversioned" ]; then
  echo "exports: symbols without a version node:"; printf '  %s\n' $unversioned; status=1
fi
committed=$(LC_ALL=C sort -u "$top_srcdir/lib/libkpi.exports")
if [ "$current" != "$committed" ]; then
  echo "exports: the library's exports differ from lib/libkpi.exports"
  echo "(if the change is deliberate, run 'make update-exports' and commit):"
  diff -u "$top_srcdir/lib/libkpi.exports" - <<LIST || true
$current
LIST
  status=1
fi
n=$(printf '%s\n' "$current" | grep -c . || true)
[ $status -eq 0 ] && echo "exports: $n symbols, all kpi_, all versioned, list matches"
exit $status
