#!/bin/sh
# One version: the package's (configure reads it from
# include/kpi/common.h), the header's macros and kpi.pc's agree.  A version
# bumped in common.h reruns autoconf and configure at the next make
# (CONFIGURE_DEPENDENCIES), so kpi.pc and the tarball name it too.
set -eu
: "${top_srcdir:=.}" "${top_builddir:=.}" "${PACKAGE_VERSION:=}"
header=$(sed -n 's/^#define KPI_VERSION_\(MAJOR\|MINOR\|PATCH\) *\([0-9][0-9]*\).*/\2/p' \
  "$top_srcdir/include/kpi/common.h" | paste -sd. -)
pc=$(sed -n 's/^Version: //p' "$top_builddir/kpi.pc")
if [ "$PACKAGE_VERSION" != "$header" ] || [ "$pc" != "$header" ]; then
  echo "version: include/kpi/common.h says $header, configure '$PACKAGE_VERSION', kpi.pc '$pc'"
  exit 1
fi
echo "version: $header in include/kpi/common.h, configure and kpi.pc"
