"""Staffing functions against an independent Erlang C in Python."""

import math

import pytest

import kpi


def erlang_b(a, n):
    b = 1.0
    for k in range(1, n + 1):
        b = a * b / (k + a * b)
    return b


def erlang_c(a, n):
    b = erlang_b(a, n)
    return n * b / (n - a * (1 - b))


@pytest.mark.parametrize("a,n", [(2.0, 3), (10.0, 12), (45.5, 50)])
def test_erlang_c_against_the_formula(a, n):
    aht, t = 240.0, 20.0
    assert kpi.erlang_b(a, n) == pytest.approx(erlang_b(a, n), rel=1e-9)
    c = erlang_c(a, n)
    assert kpi.erlang_c_wait_probability(a, n) == pytest.approx(c, rel=1e-9)
    assert kpi.erlang_c_service_level(a, n, aht, t) == pytest.approx(
        1 - c * math.exp(-(n - a) * t / aht), rel=1e-9)
    assert kpi.erlang_c_asa(a, n, aht) == pytest.approx(c * aht / (n - a), rel=1e-9)
    assert kpi.erlang_c_occupancy(a, n) == pytest.approx(a / n)


def test_agents_headcount_and_traffic():
    a = kpi.erlang_traffic(600, 3600, 240)
    assert a == pytest.approx(40.0)
    n = kpi.erlang_c_agents(a, 240, 20, 0.8)
    sl = lambda k: 1 - erlang_c(a, k) * math.exp(-(k - a) * 20 / 240)  # noqa: E731
    assert sl(n) >= 0.8 > sl(n - 1)
    assert kpi.erlang_c_agents(a, 240, 20, 0.8, max_occupancy=0.85) >= math.ceil(a / 0.85)
    m = kpi.erlang_c_agents_for_asa(a, 240, 15)
    assert erlang_c(a, m) * 240 / (m - a) <= 15
    assert kpi.staffing_headcount(n, 0.3) == math.ceil(n / 0.7)


def test_erlang_a():
    a, n, aht = 10.0, 11, 180.0
    patient = kpi.erlang_a_wait_probability(a, n, aht, 1e9)
    assert patient == pytest.approx(erlang_c(a, n), rel=1e-3)
    p_ab = kpi.erlang_a_abandon_probability(a, n, aht, 60.0)
    assert 0 < p_ab < 1
    assert kpi.erlang_a_asa(a, n, aht, 60.0) < kpi.erlang_c_asa(a, n, aht)
    assert 0 < kpi.erlang_a_service_level(a, n, aht, 60.0, 20.0) < 1


def test_staffing_errors():
    with pytest.raises(kpi.KpiRangeError):
        kpi.erlang_c_wait_probability(5.0, 0)
    with pytest.raises(kpi.KpiInvalidError):
        kpi.erlang_b(float("nan"), 3)
    with pytest.raises(kpi.KpiRangeError):
        kpi.staffing_headcount(10, 1.0)
