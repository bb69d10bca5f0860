#!/bin/sh
# The ABI guard: the fresh libkpi.so against the ABI recorded in abi/.
#
#   tests/abi.sh            check (make check)
#   tests/abi.sh --update   rewrite the record (make update-abi), deliberately
#
# The record (docs/abi.md, "ABI policy"):
#   abi/libkpi.abi      abidw's description of the library: every exported
#                       function with its types, each type located by its
#                       path in the tree (include/kpi/common.h, lib/rate.c)
#                       or the system's (/usr/include/...), so the record
#                       does not depend on where the tree is
#   (abidiff compares with --headers-dir1/2, so that a change to a type
#   defined outside the public headers, such as the layout behind an opaque
#   handle, is not an ABI change; that needs the file names in the record:
#   with --no-show-locs every recorded type would count as private and a
#   changed kpi_estimate would pass.  --drop-private-types is not used:
#   with headers dirs it makes abidiff 2.2 abort reading the record.)
#   abi/libkpi.symbols  every exported symbol with its version node
#   abi/include/        the public headers as recorded
#
# The check fails on any incompatible change:
# 1. a recorded symbol is gone or has another version node, or a new
#    symbol went into a node the record already has (a new function
#    belongs in a new node: KPI_1.1 { ... } KPI_1.0;);
# 2. abidiff finds a changed function or public type (any change it reports
#    once added functions are left out: ABIDIFF_ABI_CHANGE, bit 4, or
#    ABIDIFF_ABI_INCOMPATIBLE_CHANGE, bit 8, of its exit status);
# 3. a KPI_ constant of the recorded headers is gone or has another value
#    (status codes, event kinds, metric and option numbers are frozen),
#    except the bounds meant to grow (KPI_ERR_LAST, the version, *_MAX
#    limits, KPI_EVENT_FLAGS_ALL, the engine's counts of metrics, options
#    and counters), which may grow but not shrink or go; an option code is
#    frozen even when its name holds MAX (KPI_ENGINE_OPT_CSAT_MAX,
#    KPI_ENGINE_OPT_FCR_MAX_REPLIES, ...).
# Added functions in a new version node pass, with a reminder to record
# them.  Skipped (77) only when
# abigail-tools (abidw, abidiff) are missing or the shared library is not
# built (--disable-shared).  The copy abidw reads is compiled with $CC (gcc
# or clang both match the record), so the sanitizer build runs it too.
set -eu
: "${top_srcdir:=.}" "${top_builddir:=.}" "${CC:=cc}" "${NM:=nm}"
: "${ABIDW:=abidw}" "${ABIDIFF:=abidiff}"
top_srcdir=$(cd "$top_srcdir" && pwd)
top_builddir=$(cd "$top_builddir" && pwd)
record="$top_srcdir/abi"
mode=${1:-check}

for tool in "$ABIDW" "$ABIDIFF"; do
  command -v "$tool" > /dev/null || { echo "abi: $tool not found (install abigail-tools)"; exit 77; }
done
so="$top_builddir/lib/.libs/libkpi.so"
[ -f "$so" ] || { echo "abi: $so not built (shared library disabled?)"; exit 77; }
tmp=$(mktemp -d "${TMPDIR:-/tmp}/kpi-abi.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
# exported symbols with their version node, "name@@KPI_1.0"
symbols() {
  $NM -D --defined-only "$1" | awk '$2 ~ /^[TDBRVW]$/ && $3 ~ /@/ {print $3}' \
    | grep -vE '^KPI_[0-9.]+@' | LC_ALL=C sort
}

# The library abidw reads: a -g -O0 copy of the built one, compiled from
# the same sources with the same visibility, version script and soname.
# abidw needs complete DWARF: the build may have none (CFLAGS without -g),
# and at -O2 GCC describes some small wrappers (kpi_art_new, kpi_ces_new,
# ...) only as concrete instances of inlined functions, which abidw 2.2
# does not link to their symbols.  Types and signatures do not depend on
# the optimization level; the symbols and their versions are checked on
# the built library itself (step 1).
# It is compiled in the source directory with relative paths, so that
# its types are located in include/kpi/*.h and lib/*, the system's in
# their absolute paths, wherever the tree is.
soname=$(readelf -d "$so" | sed -n 's/.*(SONAME).*\[\(.*\)\].*/\1/p')
(cd "$top_srcdir" && $CC -g -O0 -fPIC -shared -fvisibility=hidden -DKPI_BUILDING \
  -Iinclude -Ilib lib/*.c \
  -Wl,--version-script=lib/libkpi.map -Wl,-soname,"$soname" \
  -o "$tmp/libkpi.so" -lm)
lib=$tmp/libkpi.so
if [ "$(symbols "$lib")" != "$(symbols "$so")" ]; then
  echo "abi: the debug copy exports other symbols than $so (rebuild the library)"; exit 1
fi

# --exported-interfaces-only: without it abidw 2.2 describes a function
# called from another source file before its own (kpi_rate_add, from
# engine.c) by the caller's declaration, unlinked from its symbol, and
# abidiff then ignores changes to it.
abidw_flags="--headers-dir $top_srcdir/include --exported-interfaces-only --no-corpus-path \
--no-comp-dir-path --type-id-style hash"
# every exported function is described, linked to its symbol
described() { grep "<function-decl " "$1" | grep -c "elf-symbol-id=" || true; }
# the KPI_ constants of a header tree, "NAME VALUE", as the preprocessor sees them
constants() {
  printf '#include <kpi.h>\n' > "$tmp/c.c"
  $CC -dM -E -I"$1" "$tmp/c.c" > "$tmp/c.i"
  sed -n 's/^#define \(KPI_[A-Za-z0-9_]*\) \(.*\)/\1 \2/p' "$tmp/c.i" \
    | grep -vE '^(KPI_API|KPI_[A-Z_]*_H) ' | LC_ALL=C sort
}

if [ "$mode" = --update ]; then
  # shellcheck disable=SC2086
  $ABIDW $abidw_flags --out-file "$tmp/libkpi.abi" "$lib"
  symbols "$so" > "$tmp/libkpi.symbols"
  if [ "$(described "$tmp/libkpi.abi")" -ne "$(grep -c . "$tmp/libkpi.symbols")" ]; then
    echo "abi: abidw described $(described "$tmp/libkpi.abi") functions of $(grep -c . "$tmp/libkpi.symbols") symbols; not recorded"
    exit 1
  fi
  mkdir -p "$record"
  mv "$tmp/libkpi.abi" "$record/libkpi.abi"
  mv "$tmp/libkpi.symbols" "$record/libkpi.symbols"
  rm -rf "$record/include"
  cp -R "$top_srcdir/include" "$record/include"
  echo "abi: recorded $(grep -c . "$record/libkpi.symbols") symbols ($(sed 's/.*@//' "$record/libkpi.symbols" | sort -u | paste -sd' ' -)) in abi/"
  exit 0
fi

for f in libkpi.abi libkpi.symbols include/kpi.h; do
  [ -f "$record/$f" ] || { echo "abi: abi/$f missing: record the ABI with 'make update-abi'"; exit 1; }
done
status=0

# 1. symbols and their version nodes
symbols "$so" > "$tmp/current"
gone=$(LC_ALL=C comm -23 "$record/libkpi.symbols" "$tmp/current")
if [ -n "$gone" ]; then
  echo "abi: recorded symbols removed or moved to another version node:"; printf '  %s\n' $gone; status=1
fi
added=$(LC_ALL=C comm -13 "$record/libkpi.symbols" "$tmp/current")
old_nodes=$(sed 's/.*@//' "$record/libkpi.symbols" | sort -u)
in_old=""
for s in $added; do
  printf '%s\n' "$old_nodes" | grep -qxF "${s##*@}" && in_old="$in_old $s"
done
if [ -n "$in_old" ]; then
  echo "abi: new symbols in a version node the record already has; a function"
  echo "added after a release goes into a new node (lib/libkpi.map), or, before"
  echo "the release is cut, record it deliberately with 'make update-abi':"
  printf '  %s\n' $in_old; status=1
fi

# 2. functions and public types, by abidiff (added functions left out).
# A type is public when it is defined in a header that a program including
# kpi.h reads: the public headers and the system headers they include,
# each given (--hf1/--hf2) beside the public directory.  --headers-dir
# alone counts only include/ and /usr/include public: size_t (the
# compiler's stddef.h) counted as private, and so did every system type
# while the record held file names without directories (abidw
# --short-locs): a public struct's member retyped from uint64_t, int64_t
# or size_t passed.
public_headers() {
  printf '#include <kpi.h>\n' > "$tmp/h.c"
  $CC -M -I"$1" "$tmp/h.c" | tr ' \\' '\n\n' | grep '\.h$' | LC_ALL=C sort -u
}
headers=""
for h in $(public_headers "$record/include"); do headers="$headers --hf1 $h"; done
for h in $(public_headers "$top_srcdir/include"); do headers="$headers --hf2 $h"; done
rc=0
# shellcheck disable=SC2086
$ABIDIFF --no-added-syms --exported-interfaces-only --headers-dir1 "$record/include" --headers-dir2 "$top_srcdir/include" \
  $headers "$record/libkpi.abi" "$lib" > "$tmp/abidiff.txt" 2>&1 || rc=$?
if [ $((rc & 3)) -ne 0 ]; then
  cat "$tmp/abidiff.txt"; echo "abi: abidiff failed (exit $rc)"; status=1
elif [ $((rc & 12)) -ne 0 ]; then
  cat "$tmp/abidiff.txt"
  if [ $((rc & 8)) -ne 0 ]; then kind="incompatible change"; else kind="change"; fi
  echo "abi: abidiff reports an ABI $kind (exit $rc) against abi/libkpi.abi"; status=1
fi

# 3. the constants of the public headers
constants "$record/include" > "$tmp/const.old"
constants "$top_srcdir/include" > "$tmp/const.new"
grows='^(KPI_VERSION_[A-Z]*|KPI_ERR_LAST|KPI_[A-Z_]*_MAX(_[A-Z_]*)?|KPI_EVENT_FLAGS_ALL|KPI_ENGINE_(METRICS|OPTIONS|COUNTERS)) '
# option codes are codes, not bounds, whatever their names say
codes='^KPI_ENGINE_OPT_'
changed=$(LC_ALL=C comm -23 "$tmp/const.old" "$tmp/const.new" \
  | awk -v grows="$grows" -v codes="$codes" '$0 ~ codes || $0 !~ grows' || true)
if [ -n "$changed" ]; then
  echo "abi: constants of the recorded headers removed or changed (recorded value shown):"
  printf '%s\n' "$changed" | sed 's/^/  /'; status=1
fi
# A bound may grow, never shrink or go: a program built for the record may
# use the whole range it gave (a label of KPI_TOPK_MAX_LABEL bytes, event
# kinds up to KPI_EVENT_KIND_MAX).  KPI_ERR_LAST grows downwards (codes are
# negative).  Each changed bound is compared by the compiler, its recorded
# value read with the current headers.
bounds=$(LC_ALL=C comm -23 "$tmp/const.old" "$tmp/const.new" \
  | awk -v grows="$grows" -v codes="$codes" '$0 !~ codes && $0 ~ grows' || true)
if [ -n "$bounds" ]; then
  { printf '#include <stdio.h>\n#include <kpi.h>\nint main(void)\n{\n    int shrunk = 0;\n'
    printf '%s\n' "$bounds" | while read -r name value; do
      if grep -q "^$name " "$tmp/const.new"; then
        op='>='; [ "$name" != KPI_ERR_LAST ] || op='<='
        printf '    if (!((long double)(%s) %s (long double)(%s))) {\n' "$name" "$op" "$value"
      else
        printf '    {\n'
      fi
      printf '        puts("  %s %s");\n        shrunk = 1;\n    }\n' "$name" "$value"
    done
    printf '    return shrunk;\n}\n'; } > "$tmp/bounds.c"
  out=""
  if ! $CC -I"$top_srcdir/include" "$tmp/bounds.c" -o "$tmp/bounds" > "$tmp/bounds.log" 2>&1; then
    cat "$tmp/bounds.log"; echo "abi: cannot compare the bounds"; status=1
  elif ! out=$("$tmp/bounds"); then
    echo "abi: bounds of the recorded headers shrunk or removed (recorded value shown):"
    printf '%s\n' "$out"; status=1
  fi
fi

if [ $status -eq 0 ]; then
  n=$(grep -c . "$tmp/current")
  msg="abi: $n symbols and the public types match abi/ (abidiff exit $rc)"
  if [ -n "$added" ]; then
    msg="$msg; $(printf '%s\n' $added | grep -c .) added in new version nodes (record them: make update-abi)"
  fi
  echo "$msg"
fi
exit $status
