#!/bin/sh
# The Doxygen reference builds with zero warnings: every public symbol is
# documented.  WARN_AS_ERROR is set in docs/Doxyfile.in.
set -eu
: "${top_builddir:=.}" "${DOXYGEN:=}"
[ -n "$DOXYGEN" ] || { echo "docs: doxygen not found"; exit 77; }
cd "$top_builddir"
log=docs/doxygen.log
if ! "$DOXYGEN" docs/Doxyfile > /dev/null 2> "$log" || [ -s "$log" ]; then
  cat "$log"; echo "docs: doxygen reported warnings"; exit 1
fi
echo "docs: reference built with no warnings"
