#!/bin/sh
# The Python package's pytest suite (python/tests) against the freshly
# built lib/.libs/libkpi.so, given to the package through KPI_LIBRARY.
# The interpreter: $KPI_PYTHON (configure picks a python3 that imports
# pytest and numpy), else the first of python3 on PATH and /usr/bin/python3
# that imports pytest.  Skipped (77) only when no interpreter has pytest.
set -eu
: "${top_builddir:=.}" "${top_srcdir:=.}" "${KPI_PYTHON:=}"
# An interpreter cannot load a sanitizer-built library (the sanitizer
# runtime must come first): scripts/sanitize.sh sets KPI_SKIP_PYTHON.
if [ -n "${KPI_SKIP_PYTHON:-}" ]; then
  echo "python: skipped in the sanitizer build (KPI_SKIP_PYTHON)"; exit 77
fi
so="$top_builddir/lib/.libs/libkpi.so"
if [ ! -f "$so" ]; then
  echo "python: $so not built (shared library disabled?)"; exit 77
fi
py=
for cand in "$KPI_PYTHON" python3 /usr/bin/python3; do
  [ -n "$cand" ] || continue
  if "$cand" -c 'import pytest' > /dev/null 2>&1; then py=$cand; break; fi
done
if [ -z "$py" ]; then
  echo "python: no interpreter with pytest (KPI_PYTHON='$KPI_PYTHON', python3, /usr/bin/python3)"
  exit 77
fi
so=$(cd "$(dirname "$so")" && pwd)/libkpi.so
echo "python: $py $("$py" -c 'import sys; print(sys.version.split()[0])'), KPI_LIBRARY=$so"
# -p no:cacheprovider and no bytecode: the source tree may be read-only
# (make distcheck).
KPI_LIBRARY=$so PYTHONDONTWRITEBYTECODE=1 PYTHONPATH="$top_srcdir/python" \
  exec "$py" -m pytest -p no:cacheprovider -q -rs "$top_srcdir/python/tests"
