"""Duration (FRT, ART, ASA, resolution time), Aht, ServiceLevel and Series
against hand values and exact numpy / pandas computations."""

import pytest

import kpi
from conftest import assert_wilson

np = pytest.importorskip("numpy")

QS = [0.0, 0.01, 0.1, 0.25, 0.5, 0.75, 0.9, 0.95, 0.99, 0.999, 1.0]


def exact_quantile(xs, q):
    """libkpi's rank convention: the value at rank floor(q (n - 1))."""
    return float(np.quantile(xs, q, method="lower"))


@pytest.mark.parametrize("make", [kpi.frt, kpi.art, kpi.asa, kpi.resolution_time,
                                  lambda: kpi.Duration(0.002)])
def test_duration_quantiles_within_the_sketch_accuracy(make, rng):
    ms = np.concatenate([rng.lognormal(11, 1.5, 60_000).astype(np.int64),
                         np.zeros(500, dtype=np.int64)])
    d = make()
    d.add_array(ms)
    a = d.accuracy
    for q in QS:
        v = exact_quantile(ms, q)
        assert abs(d.quantile(q) - v) <= a * v + 1e-9, q
    assert d.count == ms.size and d.sum == int(ms.sum())
    assert (d.min, d.max) == (int(ms.min()), int(ms.max()))
    assert d.mean == pytest.approx(ms.mean(), rel=1e-12)


def test_duration_by_hand_and_targets():
    d = kpi.frt(targets=[1000])
    d.add_array([100, 200, 1000, 5000])
    assert d.quantile(0) == 100 and d.quantile(1) == 5000
    assert_wilson(d.share_within(1000), 3, 4)  # registered target: exact
    assert_wilson(d.share_within(50), 0, 4)
    assert d.accuracy == 0.01
    with pytest.raises(kpi.KpiStateError):
        d.add_target(2000)  # only while empty
    with pytest.raises(kpi.KpiRangeError):
        d.quantile(1.5)
    before = bytes(d)
    with pytest.raises(kpi.KpiRangeError) as e:
        d.add_array(np.array([5, -1], dtype=np.int64))  # all or nothing
    assert e.value.code == -2 and bytes(d) == before
    with pytest.raises(kpi.KpiEmptyError):
        kpi.frt().quantile(0.5)
    with pytest.raises(kpi.KpiDuplicateError):
        kpi.frt(targets=[10, 10])
    with pytest.raises(kpi.KpiRangeError):
        kpi.Duration(0.9)


def test_duration_share_within_against_pandas(rng):
    pd = pytest.importorskip("pandas")
    frt = pd.Series(rng.exponential(3_600_000, 30_000).astype("int64"))
    d = kpi.frt(targets=[kpi.MS_PER_HOUR, 4 * kpi.MS_PER_HOUR])
    d.add_array(frt)
    for t in (kpi.MS_PER_HOUR, 4 * kpi.MS_PER_HOUR):
        assert_wilson(d.share_within(t), int((frt <= t).sum()), len(frt))
    # pandas' exact quantile with the same rank convention
    for q in (0.5, 0.9, 0.99):
        v = frt.quantile(q, interpolation="lower")
        assert abs(d.quantile(q) - v) <= 0.01 * v


def test_duration_takes_timedelta64(rng):
    ms = rng.integers(0, 10**7, 1000)
    a, b = kpi.frt(), kpi.frt()
    a.add_array(ms)
    b.add_array(ms.astype("timedelta64[ms]"))
    assert bytes(a) == bytes(b)
    c = kpi.frt()
    c.add_array((ms * 1000).astype("timedelta64[us]"))  # converted to ms
    assert bytes(c) == bytes(a)


def test_timestamps_are_not_durations_nor_the_reverse():
    """datetime64 values are epoch milliseconds: as durations they would be
    decades long; timedelta64 values are no instants.  Both refused, the
    object unchanged."""
    now = np.array([1_700_000_000_000, 1_700_000_060_000], dtype="datetime64[ms]")
    for obj, call in ((kpi.frt(), lambda o, a: o.add_array(a)),
                      (kpi.ServiceLevel(20_000), lambda o, a: o.add_array(a, [0, 0])),
                      (kpi.Series(kpi.MS_PER_HOUR, 24, 0),
                       lambda o, a: o.add_array(a - now[0])),
                      (kpi.Aht(), lambda o, a: o.add_array(a, a, a))):
        before = bytes(obj)
        with pytest.raises(TypeError, match="timestamps, not durations|durations, not timestamps"):
            call(obj, now)
        assert bytes(obj) == before
    s = kpi.Series(kpi.MS_PER_HOUR, 24, 0)
    s.add_array(now)  # timestamps where timestamps are due
    assert s.total == 2


def test_duration_bulk_equals_per_item(rng):
    ms = rng.integers(0, 10**8, 2000)
    bulk, single = kpi.frt(), kpi.frt()
    bulk.add_array(ms)
    for x in ms:
        single.add(int(x))
    assert bytes(bulk) == bytes(single)


def test_duration_collapses_at_half_a_percent_across_the_int64_range():
    # add_array's docstring and the README: when a sketch can collapse its
    # lowest buckets.  At 0.5% the bucket of v is floor(k L(v)), k = (1 +
    # 1e-6) / ((10/7) ln(1.005 / 0.995)) = 69.9995; 2^62 ms is bucket
    # floor(62 k) = 4339 and 1 ms bucket 0: 4340 buckets > 4096, so buckets
    # 0..243 fold into 244 (durations under about 2^(244 / k) = 2^3.49 ms):
    # 1, 2 and 3 ms read the floor's 11.25 ms.  At 1% (k = 34.9989, 2170
    # buckets) nothing folds and 2 ms reads 2 ms within 1%.
    values = [1, 2, 3, 2**62]
    fine = kpi.Duration(0.005)
    fine.add_array(values)
    assert fine.quantile(1 / 3) > 11  # rank 1: 2 ms
    coarse = kpi.Duration(0.01)
    coarse.add_array(values)
    assert abs(coarse.quantile(1 / 3) - 2) <= 0.01 * 2


def test_aht_against_numpy(rng):
    talk, hold, wrap = (rng.integers(0, 900_000, 5000) for _ in range(3))
    a = kpi.Aht()
    a.add_array(talk, hold, wrap)
    a.add(60_000, 0, 30_000)
    talk, hold, wrap = (np.append(x, v) for x, v in ((talk, 60_000), (hold, 0), (wrap, 30_000)))
    handle = talk + hold + wrap
    assert a.count == 5001
    assert a.mean == pytest.approx(handle.mean(), rel=1e-12)
    assert (a.talk_mean, a.hold_mean, a.after_work_mean) == pytest.approx(
        (talk.mean(), hold.mean(), wrap.mean()), rel=1e-12)
    for q in (0.5, 0.9):
        v = exact_quantile(handle, q)
        assert abs(a.quantile(q) - v) <= 0.01 * v
    with pytest.raises(kpi.KpiRangeError):
        a.add(-1, 0, 0)
    with pytest.raises(ValueError):
        a.add_array([1, 2], [1, 2], [1])
    with pytest.raises(kpi.KpiInvalidError):
        a.component_mean(7)


def test_service_level_cisco_example():
    # 70 answered in T, 10 abandoned in T, 20 answered after T: 100 offered
    waits = np.array([5_000] * 70 + [8_000] * 10 + [40_000] * 20, dtype=np.int64)
    outcomes = np.array([0] * 70 + [1] * 10 + [0] * 20, dtype=np.intc)
    sl = kpi.ServiceLevel(20_000)
    sl.add_array(waits, outcomes)
    assert (sl.offered, sl.answered, sl.abandoned) == (100, 90, 10)
    assert_wilson(sl.share(kpi.SL_ANSWERED_OVER_OFFERED), 70, 100)
    assert_wilson(sl.share(kpi.SL_ANSWERED_OVER_ANSWERED), 70, 90)
    assert_wilson(sl.share(kpi.SL_ABANDONS_IN_T_MET), 80, 100)
    assert_wilson(sl.share(kpi.SL_EXCLUDE_ABANDONS_IN_T), 70, 90)
    assert_wilson(sl.abandon_rate(), 10, 100)
    assert sl.asa == pytest.approx((70 * 5_000 + 20 * 40_000) / 90)
    sl.add_unserved(kpi.UNSERVED_NO_AGENT)
    sl.add(0, kpi.CONTACT_UNSERVED)
    assert sl.unserved_count(1) == 1 and sl.unserved_count(0) == 1
    assert_wilson(sl.unserved_share(), 2, 102)
    assert_wilson(sl.unserved_share(1), 1, 102)
    with pytest.raises(kpi.KpiInvalidError):
        sl.share(9)
    with pytest.raises(kpi.KpiInvalidError):
        sl.add(10, 7)
    # outcomes as int64 are converted to C int
    sl2 = kpi.ServiceLevel(20_000)
    sl2.add_array(waits, outcomes.astype(np.int64))
    assert sl2.share().value == pytest.approx(0.7)


# ---- Series ----------------------------------------------------------------
T0 = 1_700_006_400_000  # a midnight UTC (ms)


def test_series_against_pandas(rng):
    pd = pytest.importorskip("pandas")
    hour = kpi.MS_PER_HOUR
    t = np.sort(T0 + rng.integers(0, 72 * hour, 20_000))
    amount = rng.random(t.size)
    s = kpi.Series(hour, 48, origin_ms=0)
    s.add_array(t.astype("datetime64[ms]"), amount)
    df = pd.DataFrame({"t": pd.to_datetime(t, unit="ms"), "x": amount})
    hourly = df.set_index("t")["x"].resample("1H").sum()
    start, values = s.values()
    assert start == int(hourly.index[-48].value // 10**6)
    assert list(values) == pytest.approx(list(hourly.iloc[-48:]), rel=1e-12)
    assert s.total == pytest.approx(amount.sum(), rel=1e-12)
    assert s.last(3) == pytest.approx(hourly.iloc[-3:].sum(), rel=1e-12)
    assert s.latest == int(hourly.index[-1].value // 10**6)
    assert s.period(int(t[-1])) == pytest.approx(hourly.iloc[-1])
    with pytest.raises(kpi.KpiOrderError):
        s.add(T0, 1.0)  # older than the ring keeps
    with pytest.raises(kpi.KpiRangeError):
        s.last(49)
    counts = kpi.Series(hour, 48)
    counts.add_array(t)  # no amounts: 1.0 each
    assert counts.total == t.size


def holt_winters(y, m, alpha, beta, gamma, horizon):
    """Additive Holt-Winters as include/kpi/series.h describes it."""
    level = sum(y[:m]) / m
    trend = (sum(y[m:2 * m]) / m - level) / m
    season = [y[i] - level for i in range(m)]
    errors = []
    for t in range(m, len(y)):
        if t >= 2 * m:
            errors.append(y[t] - (level + trend + season[t % m]))
        new_level = alpha * (y[t] - season[t % m]) + (1 - alpha) * (level + trend)
        trend = beta * (new_level - level) + (1 - beta) * trend
        season[t % m] = gamma * (y[t] - new_level) + (1 - gamma) * season[t % m]
        level = new_level
    last = len(y) - 1
    return [level + h * trend + season[(last + h) % m] for h in range(1, horizon + 1)], errors


def test_series_forecast_against_holt_winters():
    day = kpi.MS_PER_DAY
    weekly = [120, 100, 95, 98, 105, 60, 40]
    y = [weekly[i % 7] * (1 + 0.01 * i) + (i % 3) for i in range(35)]
    s = kpi.Series(day, 60, origin_ms=0)
    s.set_forecast(7, 0.3, 0.1, 0.2)
    s.add_array(T0 + day * np.arange(35), np.array(y))
    s.add(T0 + 35 * day, 0.0)  # closes the 35th period
    want, errors = holt_winters(y, 7, 0.3, 0.1, 0.2, 10)
    assert list(s.forecast(10)) == pytest.approx(want, rel=1e-9)
    err = s.forecast_error()
    assert err.mae == pytest.approx(np.mean(np.abs(errors)), rel=1e-9)
    fi = s.forecast_interval(2)
    rmse = float(np.sqrt(np.mean(np.square(errors))))
    assert fi.value == pytest.approx(want[1], rel=1e-9)
    # h = 2: variance ratio 1 + c_1^2, c_1 = alpha (1 + beta) = 0.3 x 1.1 = 0.33
    assert fi.high - fi.value == pytest.approx(1.959964 * rmse * np.sqrt(1 + 0.33**2), rel=1e-5)
    assert fi.n == len(errors)
    with pytest.raises(kpi.KpiStateError):
        kpi.Series(day, 10).forecast(3)
    young = kpi.Series(day, 10)
    young.set_forecast(7, 0.3, 0.1, 0.2)
    young.add(T0, 1.0)
    with pytest.raises(kpi.KpiEmptyError):
        young.forecast(1)
    with pytest.raises(kpi.KpiStateError):
        young.set_forecast(7, 0.3, 0.1, 0.2)
