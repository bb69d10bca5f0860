"""Shared helpers for the kpi tests.

The package is imported from this source tree (python/), and the C library
from KPI_LIBRARY when set (tests/python.sh sets it to the freshly built
lib/.libs/libkpi.so), else by the package's own loading rules.
"""
import contextlib
import importlib.util
import math
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))

import pytest  # noqa: E402

Z95 = 1.959963984540054


def wilson(successes, trials, z=Z95):
    """The Wilson score interval, computed independently of libkpi."""
    p = successes / trials
    denom = 1 + z * z / trials
    centre = (p + z * z / (2 * trials)) / denom
    half = z * math.sqrt(p * (1 - p) / trials + z * z / (4 * trials * trials)) / denom
    return p, max(0.0, centre - half), min(1.0, centre + half)


def assert_estimate(e, value, low, high, n, rel=1e-9):
    assert e.value == pytest.approx(value, rel=rel, abs=1e-12)
    assert e.low == pytest.approx(low, rel=rel, abs=1e-12)
    assert e.high == pytest.approx(high, rel=rel, abs=1e-12)
    assert e.n == n


def assert_wilson(e, successes, trials):
    assert_estimate(e, *wilson(successes, trials), trials, rel=1e-6)


@pytest.fixture
def rng():
    np = pytest.importorskip("numpy")
    return np.random.default_rng(20240601)


EXAMPLES = os.path.join(HERE, "..", "..", "examples", "python")


@contextlib.contextmanager
def example_module(name):
    """Import examples/python/<name>.py, a Dask example, as module `name`
    (the workers unpickle its functions by that name); skip when it is
    not beside this package or numpy, pandas or Dask is missing."""
    for module in ("numpy", "pandas", "dask.dataframe", "distributed"):
        pytest.importorskip(module)
    path = os.path.join(EXAMPLES, name + ".py")
    if not os.path.exists(path):
        pytest.skip(f"examples/python/{name}.py is not beside this package")
    spec = importlib.util.spec_from_file_location(name, path)
    mod = importlib.util.module_from_spec(spec)
    sys.modules[name] = mod
    sys.path.insert(0, EXAMPLES)
    try:
        spec.loader.exec_module(mod)
        yield mod
    finally:
        sys.path.remove(EXAMPLES)
