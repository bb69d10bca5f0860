#!/bin/sh
# `pip install ./python` works offline (issue 7, python/README.md "Install"):
# the package is built and installed with pip from a copy of python/ (pip
# builds in the source directory, which may be read-only under make
# distcheck) into a scratch target with --no-build-isolation --no-index, then
# imported from there, not from the source tree, and used against the
# freshly built library: every module of the package is installed, and a
# state made by the installed package equals the source tree's bytes.
# Then the same install into a virtual environment, as python/README.md
# gives it.  Skipped (77) only when no interpreter has pip and setuptools.
set -eu
: "${top_builddir:=.}" "${top_srcdir:=.}" "${KPI_PYTHON:=}"
if [ -n "${KPI_SKIP_PYTHON:-}" ]; then
  echo "pip_install: skipped in the sanitizer build (KPI_SKIP_PYTHON)"; exit 77
fi
so="$top_builddir/lib/.libs/libkpi.so"
[ -f "$so" ] || { echo "pip_install: $so not built"; exit 77; }
so=$(cd "$(dirname "$so")" && pwd)/libkpi.so
py=
for cand in "$KPI_PYTHON" /usr/bin/python3 python3; do
  [ -n "$cand" ] || continue
  if "$cand" -c 'import setuptools' > /dev/null 2>&1 &&
     "$cand" -m pip --version > /dev/null 2>&1; then py=$cand; break; fi
done
[ -n "$py" ] || { echo "pip_install: no interpreter with pip and setuptools"; exit 77; }
src=$(cd "$top_srcdir/python" && pwd)
work=$(mktemp -d "${TMPDIR:-/tmp}/kpi-pip.XXXXXX")
trap 'chmod -R u+w "$work"; rm -rf "$work"' EXIT
cp -R "$src" "$work/src"
chmod -R u+w "$work/src"
if ! PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_INPUT=1 PIP_ROOT_USER_ACTION=ignore \
     "$py" -m pip install --no-build-isolation --no-index --no-deps \
     --target "$work/site" "$work/src" > "$work/pip.log" 2>&1; then
  cat "$work/pip.log"; echo "pip_install: pip install failed"; exit 1
fi
# Run from the scratch directory with only the installed copy on the path.
cd "$work"
cat > "$work/check.py" <<'PYEOF'
import os, sys
site, src = sys.argv[1], sys.argv[2]
import kpi
where = os.path.dirname(os.path.abspath(kpi.__file__))
assert where == os.path.join(site, "kpi"), where
# every module of the source package is installed
want = sorted(f for f in os.listdir(os.path.join(src, "kpi")) if f.endswith(".py"))
have = sorted(f for f in os.listdir(where) if f.endswith(".py"))
assert want == have, (want, have)
s = kpi.nps()
for a in (10, 9, 8, 3, 10):
    s.add(a)
e = s.nps()
# 3 promoters, 1 detractor of 5: (3 - 1) / 5 = +40
assert abs(e.value - 40.0) < 1e-9 and e.n == 5, e
again = kpi.from_bytes(bytes(s))
assert bytes(again) == bytes(s)
print("pip_install: installed kpi %s from %s works (NPS %+.1f over %d answers)"
      % (getattr(kpi, "__version__", "?"), where, e.value, e.n))
PYEOF
KPI_LIBRARY=$so PYTHONDONTWRITEBYTECODE=1 PYTHONPATH="$work/site" \
  "$py" "$work/check.py" "$work/site" "$src"

# The install python/README.md gives: Debian's Python refuses `pip install`
# into itself (PEP 668), so into a virtual environment that sees the
# system's packages (pip, setuptools) and needs no ensurepip.
venv="$work/venv"
"$py" -m venv --system-site-packages --without-pip "$venv"
if ! "$venv/bin/python" -m pip --version > /dev/null 2>&1; then
  echo "pip_install: the virtual environment sees no pip: its install skipped"; exit 0
fi
if ! PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_INPUT=1 PIP_ROOT_USER_ACTION=ignore \
     "$venv/bin/python" -m pip install --no-build-isolation --no-index --no-deps \
     "$work/src" > "$work/pip-venv.log" 2>&1; then
  cat "$work/pip-venv.log"; echo "pip_install: pip install into a virtual environment failed"; exit 1
fi
purelib=$("$venv/bin/python" -c 'import sysconfig; print(sysconfig.get_path("purelib"))')
env -u PYTHONPATH KPI_LIBRARY=$so PYTHONDONTWRITEBYTECODE=1 \
  "$venv/bin/python" "$work/check.py" "$purelib" "$src"
