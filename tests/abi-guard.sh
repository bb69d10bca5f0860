#!/bin/sh
# The ABI guard (tests/abi.sh) catches what docs/abi.md says it catches:
# it is run on a scratch copy of include/, lib/ and abi/ that carries
# deliberate breaking changes and must fail, naming each of them.
# Skipped (77) when tests/abi.sh itself would be (no abigail-tools, no
# shared library).
set -eu
: "${top_srcdir:=.}" "${top_builddir:=.}" "${CC:=cc}" "${NM:=nm}"
top_srcdir=$(cd "$top_srcdir" && pwd)
top_builddir=$(cd "$top_builddir" && pwd)
for tool in "${ABIDW:-abidw}" "${ABIDIFF:-abidiff}"; do
  command -v "$tool" > /dev/null || { echo "abi-guard: $tool not found (install abigail-tools)"; exit 77; }
done
[ -f "$top_builddir/lib/.libs/libkpi.so" ] || { echo "abi-guard: no shared library built"; exit 77; }
tmp=$(mktemp -d "${TMPDIR:-/tmp}/kpi-abi-guard.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
fail() { echo "abi-guard: $*"; exit 1; }

# a fresh copy of the sources the guard reads
copy() {
  rm -rf "$tmp/src"; mkdir "$tmp/src"
  cp -R "$top_srcdir/include" "$top_srcdir/lib" "$top_srcdir/abi" "$tmp/src/"
  chmod -R u+w "$tmp/src"
}
# mutate FILE OLD NEW: replace the line OLD (exactly) of the copy's FILE by NEW
mutate() {
  f=$tmp/src/$1
  grep -qxF "$2" "$f" || fail "$1 has no line '$2' (update this test)"
  awk -v old="$2" -v new="$3" '$0 == old { print new; next } { print }' "$f" > "$f.new"
  mv "$f.new" "$f"
}
# the guard on the copy (the built library's symbols are unchanged: the
# mutations touch types and constants only): guard STATUS WHAT, with the
# output in $tmp/out
guard() {
  rc=0
  top_srcdir="$tmp/src" top_builddir="$top_builddir" CC="$CC" NM="$NM" \
    sh "$top_srcdir/tests/abi.sh" > "$tmp/out" 2>&1 || rc=$?
  [ $rc -eq "$1" ] || { cat "$tmp/out"; fail "exit status $rc with $2 (expected $1)"; }
}
names() { grep -qE "$1" "$tmp/out" || { cat "$tmp/out"; fail "the guard does not name $2"; }; }

# 1. constants: option codes renumbered (frozen like every code, although
# their names hold MAX), and bounds shrunk (a program built for the record
# may use the whole range they gave: a label of 200 bytes, event kind 18)
copy
mutate include/kpi/engine.h '#define KPI_ENGINE_OPT_FCR_MAX_REPLIES 5' '#define KPI_ENGINE_OPT_FCR_MAX_REPLIES 40'
mutate include/kpi/engine.h '#define KPI_ENGINE_OPT_CSAT_MAX 11' '#define KPI_ENGINE_OPT_CSAT_MAX 41'
mutate include/kpi/engine.h '#define KPI_ENGINE_OPT_CES_MAX 13' '#define KPI_ENGINE_OPT_CES_MAX 42'
mutate include/kpi/topk.h '#define KPI_TOPK_MAX_LABEL 255' '#define KPI_TOPK_MAX_LABEL 100'
mutate include/kpi/engine.h '#define KPI_EVENT_KIND_MAX 18u' '#define KPI_EVENT_KIND_MAX 17u'
guard 1 "option codes renumbered and bounds shrunk"
for constant in 'KPI_ENGINE_OPT_FCR_MAX_REPLIES 5' 'KPI_ENGINE_OPT_CSAT_MAX 11' 'KPI_ENGINE_OPT_CES_MAX 13' \
    'KPI_TOPK_MAX_LABEL 255' 'KPI_EVENT_KIND_MAX 18u'; do
  names "^  $constant\$" "the changed ${constant% *}"
done

# 2. the public structs' members retyped through a typedef of the system
# headers (int64_t, uint64_t, size_t): each changes what callers read,
# pass or are called with
copy
mutate include/kpi/common.h '    uint64_t n;     /**< sample size */' '    uint32_t n;     /**< sample size */'
mutate include/kpi/common.h '    void *(*malloc_fn)(void *opaque, size_t size);' '    void *(*malloc_fn)(void *opaque, uint32_t size);'
mutate include/kpi/engine.h '    uint64_t ticket;' '    int64_t ticket;'
guard 1 "public struct members retyped"
for member in 'uint64_t n' 'uint64_t ticket'; do
  names "type of '$member' changed" "the retyped member '$member'"
done
names "malloc_fn" "kpi_allocator's malloc_fn taking a uint32_t size"

# 3. and it still passes what is no ABI change: the layout behind an opaque
# handle, a bound grown
copy
mutate lib/internal.h '    uint64_t trials;' '    uint64_t trials; uint32_t more;'
mutate include/kpi/topk.h '#define KPI_TOPK_MAX_LABEL 255' '#define KPI_TOPK_MAX_LABEL 511'
guard 0 "a private layout changed and a bound grown"

echo "abi-guard: tests/abi.sh fails on renumbered option codes, retyped public struct members and shrunk bounds, and passes a private layout change and a grown bound"
