"""Shared helpers for the kpi tests.

The package is imported from this source tree (python/), and the C library
from KPI_LIBRARY when set (tests/python.sh sets it to the freshly built
lib/.libs/libkpi.so), else by the package's own loading rules.
"""
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
