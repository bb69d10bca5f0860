#!/bin/sh
# The symbol rule, in one place:
# - the functions declared KPI_API in include/ (read through the
#   preprocessor) are exactly the names listed in lib/libkpi.map, each
#   named explicitly in one version node (no wildcard);
# - libkpi.so exports exactly lib/libkpi.exports, every one kpi_ (never a
#   kpi__ helper), each at the version of its node in the map;
# - it imports only the C library functions listed in 'allowed' below.
#
#   tests/exports.sh              check (make check)
#   tests/exports.sh --print      the library's current exports (make update-exports)
#   tests/exports.sh --print-map  lib/libkpi.map rewritten from the headers: names
#                                 kept in their nodes, names no longer declared
#                                 dropped, new names added to the last node
#                                 (make update-exports)
set -eu
: "${top_builddir:=.}" "${top_srcdir:=.}" "${NM:=nm}" "${CC:=cc}"
top_srcdir=$(cd "$top_srcdir" && pwd)
map="$top_srcdir/lib/libkpi.map"
tmp=$(mktemp -d "${TMPDIR:-/tmp}/kpi-exports.XXXXXX")
trap 'rm -rf "$tmp"' EXIT

# kpi_ functions declared with KPI_API (which expands to the default
# visibility attribute) in every public header.
declared() {
  for h in "$top_srcdir"/include/kpi.h "$top_srcdir"/include/kpi/*.h; do
    printf '#include "%s"\n' "$h"
  done > "$tmp/all.c"
  $CC -E -P -I"$top_srcdir/include" "$tmp/all.c" > "$tmp/all.i"
  tr '\n' ' ' < "$tmp/all.i" \
    | grep -o 'visibility *( *"default" *) *) *)[^;(]*(' \
    | sed 's/ *($//; s/.*[ *]//' | LC_ALL=C sort -u
}

# The map as "node NAME" (each node, in order) and "name NODE" lines
# ("*pattern* NODE TEXT" for a global entry that is not a plain name),
# read token by token after removing the comments.
mapped() {
  sed 's|/\*.*\*/||g; /\/\*/,/\*\//d' "$map" | sed 's/\([{};:]\)/ \1 /g' | tr -s ' \t' '\n\n' | awk '
    $0 == "" { next }
    node == "" { if ($0 == "{") { node = prev; print "node", node; section = "" } prev = $0; next }
    $0 == "}" { node = ""; prev = ""; next }
    $0 == ":" { section = prev; prev = ""; next }
    $0 == ";" { if (section == "global" && prev != "") {
                  if (prev ~ /^[A-Za-z_][A-Za-z0-9_]*$/) print prev, node; else print "*pattern*", node, prev }
                prev = ""; next }
    { prev = $0 }'
}

if [ "${1:-}" = "--print-map" ]; then
  declared > "$tmp/declared"
  mapped > "$tmp/mapped"
  # the header comment, then each node with the names still declared; the
  # names not yet in any node go to the last one (KPI_1.0 if none)
  sed -n '1,/\*\//p' "$map"
  awk -v declared="$tmp/declared" -v mapped="$tmp/mapped" '
    BEGIN {
      while ((getline l < declared) > 0) want[l] = 1
      while ((getline l < mapped) > 0) {
        split(l, f, " ")
        if (f[1] == "node") order[++nodes] = f[2]
        else if (f[1] in want) { list[f[2]] = list[f[2]] "        " f[1] ";\n"; placed[f[1]] = 1 }
      }
      if (nodes == 0) order[++nodes] = "KPI_1.0"
      while (("LC_ALL=C sort " declared) | getline l) if (!(l in placed)) list[order[nodes]] = list[order[nodes]] "        " l ";\n"
      for (i = 1; i <= nodes; i++) {
        printf "%s {\n    global:\n%s", order[i], list[order[i]]
        if (i == 1) printf "    local:\n        *;\n};\n"; else printf "} %s;\n", order[i - 1]
        if (i < nodes) printf "\n"
      }
    }'
  exit 0
fi

so="$top_builddir/lib/.libs/libkpi.so"
if [ ! -f "$so" ]; then
  echo "exports: $so not built (shared library disabled?)"; exit 77
fi
$NM -D --defined-only "$so" | awk '$2 ~ /^[TDBRVW]$/ {print $3}' \
  | grep -vE '^(_init|_fini|_edata|_end|__bss_start|KPI_[0-9.]+)(@.*)?$' | LC_ALL=C sort -u > "$tmp/versioned"
current=$(sed 's/@.*//' "$tmp/versioned" | LC_ALL=C sort -u)
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

# the map names every declared function, and nothing else, without wildcards
declared > "$tmp/declared"
mapped > "$tmp/mapped"
wild=$(grep '^\*pattern\*' "$tmp/mapped" || true)
if [ -n "$wild" ]; then
  echo "exports: lib/libkpi.map exports by pattern; name each function:"; printf '  %s\n' "$wild"; status=1
fi
grep -v '^\*pattern\*' "$tmp/mapped" | awk '$1 != "node" {print $1}' | LC_ALL=C sort > "$tmp/names"
dups=$(uniq -d "$tmp/names")
if [ -n "$dups" ]; then
  echo "exports: named in more than one node of lib/libkpi.map:"; printf '  %s\n' $dups; status=1
fi
missing=$(LC_ALL=C comm -23 "$tmp/declared" "$tmp/names")
if [ -n "$missing" ]; then
  echo "exports: declared KPI_API in include/ but missing from lib/libkpi.map"
  echo "(add them to the newest version node, or run 'make update-exports'):"
  printf '  %s\n' $missing; status=1
fi
LC_ALL=C sort -u "$tmp/names" > "$tmp/names.u"
extra=$(LC_ALL=C comm -13 "$tmp/declared" "$tmp/names.u")
if [ -n "$extra" ]; then
  echo "exports: in lib/libkpi.map but not declared KPI_API in include/:"; printf '  %s\n' $extra; status=1
fi

# every exported symbol carries the version of its node
awk '$1 != "node" && $1 != "*pattern*" {print $1 "@@" $2}' "$tmp/mapped" | LC_ALL=C sort > "$tmp/want"
wrong=$(LC_ALL=C comm -13 "$tmp/want" "$tmp/versioned")
if [ -n "$wrong" ]; then
  echo "exports: exported at a version other than the node the map names them in:"; printf '  %s\n' $wrong; status=1
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
# Built with -Bsymbolic-functions (configure found it: KPI_SYMBOLIC_LDFLAGS),
# the library's calls to its own kpi_ functions are bound inside it: no
# PLT slot (a JUMP_SLOT relocation) names one.
symbolic=""
if [ -n "${KPI_SYMBOLIC_LDFLAGS:-}" ]; then
  if command -v "${READELF:-readelf}" >/dev/null 2>&1; then
    plt=$("${READELF:-readelf}" -rW "$so" | awk '/JUMP_SLOT/ && $5 ~ /^kpi_/ {print $5}' | LC_ALL=C sort -u)
    if [ -n "$plt" ]; then
      echo "exports: built with $KPI_SYMBOLIC_LDFLAGS, yet these kpi_ calls go through the PLT:"
      printf '  %s\n' $plt; status=1
    else
      symbolic="; no kpi_ call through the PLT"
    fi
  else
    echo "exports: readelf not found, the PLT check skipped"
  fi
fi
# What the library imports: memory and string functions, the allocator of
# objects made without one (malloc, realloc, free) and libm, nothing else
# (common.h: no C library function that allocates, keeps global state or
# does I/O; qsort() was one).  Instrumentation (sanitizers, coverage,
# fortified builds) brings its own names, left out.
# (libm: every function lib/ calls, which one compiler inlines and another
# does not; bcmp: clang's memcmp for equality)
allowed='memcpy memmove memset memcmp bcmp memchr strlen strnlen malloc realloc free
  sqrt fabs exp expm1 log log1p log2 floor ceil nearbyint ldexp frexp fmax cbrt
  __isnan __isinf __finite __signbit __fpclassify'
imports=$($NM -D --undefined-only "$so" | awk '$1 == "U" {print $2}' | sed 's/@.*//' \
  | grep -vE '^(__(asan|ubsan|tsan|msan|sanitizer|gcov|llvm|cxa|stack_chk|tls_get_addr)|__.*_chk$)' \
  | LC_ALL=C sort -u)
foreign=$(printf '%s\n' $imports | grep -vxF "$(printf '%s\n' $allowed)" || true)
# a coverage build links gcov's runtime (files, getenv, fork...) into the library
if $NM "$so" 2>/dev/null | grep -q '__gcov_'; then
  foreign=""; imported="imports not checked (coverage build)"
else
  imported="imports: $(printf '%s\n' $imports | grep -c .) allowed functions"
fi
if [ -n "$foreign" ]; then
  echo "exports: the library imports functions outside its list (tests/exports.sh,"
  echo "'allowed'; none may allocate, keep global state or do I/O):"
  printf '  %s\n' $foreign; status=1
fi
n=$(printf '%s\n' "$current" | grep -c . || true)
nodes=$(awk '$1 == "node" {print $2}' "$tmp/mapped" | paste -sd' ' -)
[ $status -eq 0 ] && echo "exports: $n symbols, all kpi_, each named in its version node ($nodes) and declared in include/; list matches$symbolic; $imported"
exit $status
