"""Customers (churn, retention, CLV, ...) and Journey by hand."""

import pytest

import kpi
from conftest import assert_wilson


def test_customers_period_by_hand():
    c = kpi.Customers()
    c.set_start(1000)
    c.set_end(1050)
    c.add_new(120)
    c.add_lost(70)
    c.add_referred(30)
    c.add_revenue(50_000.0)
    c.set_margin(0.4)
    c.set_active(400)
    c.add_interactions(1200)
    c.add_purchasers(300, 90)
    c.add_self_service(500, 350, 150)
    c.add_offered(1000)
    c.add_unserved(kpi.UNSERVED_ABANDONED, 40)
    c.add_unserved(kpi.UNSERVED_NO_AGENT, 10)
    assert c.churn_net == pytest.approx(-0.05)
    assert_wilson(c.churn_lost(), 70, 1000)
    assert c.retention == pytest.approx((1050 - 120) / 1000)
    assert_wilson(c.referral_rate(), 30, 120)
    assert c.revenue_per_customer == pytest.approx(50.0)
    assert c.clv == pytest.approx(50_000 * 0.4 / 70)
    assert c.engagement == pytest.approx(3.0)
    assert_wilson(c.repeat_share(), 90, 300)
    assert_wilson(c.self_service(), 350, 500)
    assert_wilson(c.self_service_usage(), 500, 650)
    assert c.unserved_count(kpi.UNSERVED_NO_AGENT) == 10
    assert_wilson(c.unserved_share(kpi.UNSERVED_ABANDONED), 40, 1000)
    assert_wilson(c.unserved_share(), 50, 1000)
    assert_wilson(c.abandon_rate(), 40, 1000)
    # shards of disjoint customer bases add up
    d = kpi.Customers()
    d.set_start(500)
    d.add_lost(30)
    total = c + d
    assert_wilson(total.churn_lost(), 100, 1500)


def test_customers_errors():
    c = kpi.Customers()
    with pytest.raises(kpi.KpiEmptyError):
        c.churn_net
    with pytest.raises(kpi.KpiRangeError):
        c.add_new(-1)  # a negative count never wraps around
    with pytest.raises(kpi.KpiRangeError):
        c.set_margin(1.5)
    with pytest.raises(kpi.KpiInvalidError):
        c.add_revenue(float("nan"))
    c.set_start(10)
    c.add_revenue(100.0)
    c.set_margin(0.5)
    with pytest.raises(kpi.KpiRangeError):
        c.clv  # nobody lost: infinite CLV
    a, b = kpi.Customers(), kpi.Customers()
    a.set_margin(0.3)
    b.set_margin(0.5)
    with pytest.raises(kpi.KpiIncompatibleError):
        a.merge(b)


def test_active_customers_from_a_distinct_count():
    """set_active takes an int: the docstring said "e.g. a Distinct
    estimate", but an Estimate (or its float value) is a TypeError; its
    rounded value is what to give.  5 distinct ids, 15 interactions:
    engagement 15 / 5 = 3."""
    d = kpi.Distinct()
    for i in range(5):
        d.add(1000 + i)
    c = kpi.Customers()
    c.add_interactions(15)
    for wrong in (d.estimate(), d.estimate().value):
        with pytest.raises(TypeError):
            c.set_active(wrong)
    c.set_active(round(d.estimate().value))
    assert c.engagement == 3.0
    assert "round(Distinct.estimate().value)" in kpi.Customers.set_active.__doc__


def test_journey_by_hand():
    minute = kpi.MS_PER_MINUTE
    j = kpi.Journey(max_customers=100, idle_ms=60 * minute)
    j.touch(1, channel=0, t_ms=0)
    j.touch(1, channel=1, t_ms=5 * minute)
    j.touch(1, channel=1, t_ms=9 * minute)
    j.resolve(1, 10 * minute)
    j.touch(2, channel=2, t_ms=20 * minute)
    assert (j.open, j.resolved) == (1, 1)
    j.advance(200 * minute)  # customer 2 idles out unresolved
    assert (j.open, j.unresolved, j.evicted) == (0, 1, 0)
    assert j.touchpoints_mean == pytest.approx(2.0)
    assert j.switches_mean == pytest.approx(0.5)
    assert j.resolution_mean == pytest.approx(10 * minute)
    with pytest.raises(kpi.KpiUnknownIdError):
        j.resolve(3, 201 * minute)
    with pytest.raises(kpi.KpiOrderError):
        j.touch(4, 0, 0)
    other = kpi.Journey(100, 60 * minute)
    other.touch(9, 0, 0)  # idle by j's clock (200 min): closes unresolved
    other.touch(7, 1, 190 * minute)  # still open: goes on in j
    j.touch(8, 2, 200 * minute)
    clash = kpi.Journey(100, 60 * minute)
    clash.touch(8, 0, 199 * minute)
    with pytest.raises(kpi.KpiStateError):
        j.merge(clash)  # customer 8 open on both sides
    j += other
    assert (j.open, j.unresolved) == (2, 2)
    j.touch(7, 0, 210 * minute)  # the journey begun in `other`: a switch
    j.resolve(7, 220 * minute)
    assert j.resolved == 2
    assert j.resolution_mean == pytest.approx((10 + 30) / 2 * minute)
    with pytest.raises(kpi.KpiEmptyError):
        kpi.Journey(10, minute).touchpoints_mean


def test_clv_with_nobody_lost_is_a_range_error_as_documented():
    # the class docstring said every read raises KpiEmptyError when its
    # denominator is 0; CLV = revenue x margin / lost with lost = 0 is
    # KPI_ERR_RANGE (an infinite value, customers.h), not KPI_ERR_EMPTY
    c = kpi.Customers()
    c.set_start(10)
    c.add_revenue(100.0)
    c.set_margin(0.5)
    with pytest.raises(kpi.KpiRangeError) as e:
        c.clv
    assert e.value.code == -2 and not isinstance(e.value, kpi.KpiEmptyError)
    assert "KpiRangeError" in kpi.Customers.__doc__
    assert "KpiRangeError" in type(c).clv.__doc__
    c.add_lost(2)
    assert c.clv == 100.0 * 0.5 / 2  # 25
