"""Loading rules, declarations and the error classes."""

import os
import pickle
import re
import subprocess
import sys

import pytest

import kpi
from kpi import _lib

PYDIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
EXPORTS = os.path.join(PYDIR, "..", "lib", "libkpi.exports")

# Exported functions the package deliberately does not call: the custom
# allocator variants (Python objects always use the C library's
# allocator), kpi_ratio_new (Ratio(kind) calls kpi_ratio_new_with) and
# kpi_topk_add_str (labels are passed with their lengths).
NOT_WRAPPED = re.compile(r"_deserialize_with$|_new_with$|^kpi_ratio_new$|^kpi_topk_add_str$")


def run_import(env_extra):
    env = dict(os.environ, PYTHONPATH=PYDIR, **env_extra)
    env.pop("KPI_BUILDDIR", None)
    return subprocess.run([sys.executable, "-c", "import kpi; print(kpi.library_path)"],
                          env=env, capture_output=True, text=True)


def test_kpi_library_is_used_and_missing_paths_are_reported(tmp_path):
    missing = str(tmp_path / "nowhere" / "libkpi.so")
    r = run_import({"KPI_LIBRARY": missing})
    assert r.returncode != 0
    assert "KpiLoadError" in r.stderr and missing in r.stderr and "no such file" in r.stderr
    assert "set KPI_LIBRARY" in r.stderr
    r = run_import({"KPI_LIBRARY": kpi.library_path})
    assert r.returncode == 0 and r.stdout.strip() == kpi.library_path


def test_a_library_that_is_not_libkpi_is_refused():
    import ctypes.util
    libm = ctypes.util.find_library("m")
    r = run_import({"KPI_LIBRARY": libm})
    assert r.returncode != 0 and "not libkpi" in r.stderr


def test_candidates_order(monkeypatch):
    monkeypatch.delenv("KPI_LIBRARY", raising=False)
    monkeypatch.setenv("KPI_BUILDDIR", "/some/build")
    origins = [o for o, _ in _lib.candidates()]
    assert origins[:2] == ["KPI_BUILDDIR", "build tree"] and origins[-1] == "system"
    paths = dict(_lib.candidates())
    assert paths["KPI_BUILDDIR"] == "/some/build/lib/.libs/libkpi.so"
    assert paths["build tree"].endswith(os.path.join("lib", ".libs", "libkpi.so"))
    monkeypatch.setenv("KPI_LIBRARY", "/x/libkpi.so")
    assert _lib.candidates() == [("KPI_LIBRARY", "/x/libkpi.so")]  # no fallback


def test_version():
    assert kpi.version() == kpi.__version__
    assert _lib.C.kpi_version_number() // 10000 == _lib.LIB_MAJOR
    assert int(kpi.__version__.split(".")[0]) == _lib.LIB_MAJOR


def test_the_system_name_is_the_built_soname():
    # the loader's last resort, libkpi.so.N, is the name the build installs
    # (the soname: libtool's CURRENT - AGE), whatever the version's major
    real = os.path.realpath(_lib.library_path)  # libkpi.so.0.0.0, built
    name = f"libkpi.so.{_lib.SONAME_MAJOR}"
    assert _lib.candidates()[-1] == ("system", name) or "KPI_LIBRARY" in os.environ
    if os.path.basename(real).startswith("libkpi.so."):
        assert os.path.exists(os.path.join(os.path.dirname(real), name))


@pytest.mark.skipif(not os.path.exists(EXPORTS), reason="not in the source tree")
def test_every_export_is_declared_and_every_declaration_exported():
    with open(EXPORTS, encoding="utf-8") as f:
        exported = set(f.read().split())
    declared = set(_lib.SIGNATURES)
    assert declared <= exported, declared - exported
    missing = []
    for name in sorted(exported - declared):
        if NOT_WRAPPED.search(name):
            continue
        if _lib.verb_signature(name) is None:
            missing.append(name)
            continue
        getattr(_lib.C, name)  # declared from its prefix, and present
    assert not missing


def test_every_function_has_argtypes_and_restype():
    for name in _lib.SIGNATURES:
        fn = getattr(_lib.C, name)
        assert fn.argtypes is not None and fn.restype is not None, name


def test_error_classes_follow_the_library():
    assert kpi._lib.C.kpi_status_last() == _lib.ERR_OVERFLOW
    for code, cls in _lib.ERRORS.items():
        e = _lib.error_for(code, "f")
        assert type(e) is cls and isinstance(e, kpi.KpiError)
        assert e.name == _lib.status_name(code) and e.name.startswith("KPI_ERR_")
        assert e.strerror == _lib.strerror(code) and e.strerror in str(e)
        assert cls.__name__.upper() == "KPI" + e.name[8:].replace("_", "") + "ERROR"
        back = pickle.loads(pickle.dumps(e))
        assert type(back) is cls and str(back) == str(e)
    unknown = _lib.error_for(-99)
    assert type(unknown) is kpi.KpiError and unknown.code == -99
    assert issubclass(kpi.KpiRangeError, ValueError)
    assert issubclass(kpi.KpiUnknownIdError, KeyError)
    assert issubclass(kpi.KpiNoMemError, MemoryError)


def test_integer_arguments_never_wrap():
    with pytest.raises(kpi.KpiRangeError):
        kpi.TopK(2**32)  # would be 0 after a silent uint32 wrap
    with pytest.raises(kpi.KpiRangeError):
        kpi.Rate().add_counts(2**64, 2**64)
    with pytest.raises(TypeError):
        kpi.TopK(10.0)
