"""Found by integrating libkpi from the public docs only (a vendor's
Python engineer): each test is a regression test for one defect."""

import gc
import weakref

import pytest

import kpi

np = pytest.importorskip("numpy")


def _bad_batch():
    """Two good records, then one of an unknown kind."""
    ev = kpi.events(3)
    ev["time_ms"] = [1000, 2000, 3000]
    ev["ticket"] = [1, 1, 1]
    ev["kind"] = [kpi.EVENT_CREATED, kpi.EVENT_AGENT_REPLY, 99]
    return ev


def test_engine_freed_at_once_after_a_refused_batch():
    # A refused record made Engine.apply raise an exception held by a
    # local of its own frame (a reference cycle through the traceback),
    # so the engine, its C memory and the batch stayed alive until the
    # cyclic garbage collector ran: never, with gc disabled.
    enabled = gc.isenabled()
    gc.disable()
    try:
        e = kpi.Engine()
        batch = _bad_batch()
        we, wb = weakref.ref(e), weakref.ref(batch)
        with pytest.raises(kpi.KpiInvalidError) as info:
            e.apply(batch)
        assert info.value.index == 2
        assert info.value.name == "KPI_ERR_INVALID"
        del info, e, batch
        assert we() is None
        assert wb() is None
    finally:
        if enabled:
            gc.enable()


def test_refused_batch_error_still_describes_the_record():
    e = kpi.Engine()
    with pytest.raises(kpi.KpiInvalidError) as info:
        e.apply(_bad_batch())
    err = info.value
    assert err.index == 2
    assert "record 2" in str(err) and "kind 99" in str(err)
    assert err.__suppress_context__
    assert e.count("events") == 2


T0 = 1_704_067_200_000  # 2024-01-01T00:00:00Z


def _aware(ms, tz="Europe/Berlin"):
    pd = pytest.importorskip("pandas")
    return pd.Series(pd.to_datetime(ms, unit="ms", utc=True)).dt.tz_convert(tz)


def test_series_times_from_a_tz_aware_pandas_column():
    # pandas keeps instants as datetime64[ns, tz] (pd.to_datetime(...,
    # utc=True)); numpy alone makes that an object array of Timestamps,
    # which add_array refused ("cannot use a object array as int64"),
    # though a naive datetime64 column (taken as UTC) was accepted.
    pd = pytest.importorskip("pandas")
    ms = np.array([T0, T0 + 3_600_000, T0 + 90_000_000, T0 + 90_000_001], dtype=np.int64)
    want = kpi.Series(kpi.MS_PER_DAY, 7)
    want.add_array(ms)
    for col in (_aware(ms), _aware(ms, "UTC"), pd.DatetimeIndex(_aware(ms)),
                _aware(ms).array):
        got = kpi.Series(kpi.MS_PER_DAY, 7)
        got.add_array(col)
        assert bytes(got) == bytes(want)
        got = kpi.Series(kpi.MS_PER_DAY, 7)
        got.add_array(col, np.ones(len(ms)))
        assert bytes(got) == bytes(want)


def test_durations_refuse_a_tz_aware_column_as_timestamps():
    with pytest.raises(TypeError, match="timestamps, not durations"):
        kpi.frt().add_array(_aware([T0]))


def test_tz_aware_missing_time_is_refused_like_a_naive_one():
    pd = pytest.importorskip("pandas")
    s = kpi.Series(kpi.MS_PER_DAY, 7)
    before = bytes(s)
    col = pd.Series(pd.to_datetime([T0, None], unit="ms", utc=True))
    with pytest.raises(kpi.KpiRangeError):
        s.add_array(col)
    assert bytes(s) == before


def test_engine_apply_dataframe_with_tz_aware_times():
    pd = pytest.importorskip("pandas")
    ms = [T0, T0 + 60_000, T0 + 120_000]
    rows = {"kind": ["created", "agent_reply", "resolved"], "ticket": [7, 7, 7],
            "actor": [3, 0, 0]}
    want = kpi.Engine()
    want.apply(pd.DataFrame(dict(rows, time_ms=ms)))
    got = kpi.Engine()
    got.apply(pd.DataFrame(dict(rows, time_ms=_aware(ms, "America/New_York"))))
    assert bytes(got) == bytes(want)
    assert (kpi.to_events({"time_ms": _aware(ms), "kind": rows["kind"],
                           "ticket": rows["ticket"]})["time_ms"] == ms).all()


def test_late_ticket_settles_by_the_engine_clock_as_documented():
    # python/README.md, "Order": a ticket fed behind the engine's clock
    # by more than the reopen window settles at its resolve, and its
    # later events are refused; fed in time order they are taken.
    day = kpi.MS_PER_DAY

    def feed(e):
        e.created(T0, 1, customer=1)
        e.agent_reply(T0 + 1000, 1)
        e.resolved(T0 + 60_000, 1)
        e.survey(T0 + 120_000, 1, "csat", 5)
        e.close_ticket(T0 + 180_000, 1)

    in_order = kpi.Engine(reopen_window_ms=2 * day)
    feed(in_order)
    in_order.created(T0 + 10 * day, 2, customer=2)
    assert in_order.score("csat").count == 1
    assert in_order.count("closed") == 1

    late = kpi.Engine(reopen_window_ms=2 * day)
    late.created(T0 + 10 * day, 2, customer=2)  # the clock is ahead
    with pytest.raises(kpi.KpiUnknownIdError):
        feed(late)
    assert late.count("settled") == 1
    assert late.rate("fcr").trials == 1
    with pytest.raises(kpi.KpiEmptyError):
        late.score("csat").csat()


def test_target_on_a_metric_that_is_no_duration_says_so():
    # Engine(targets={"fcr": [...]}) raised KpiTypeError with the text
    # "state bytes hold another type", which names no state a vendor gave.
    with pytest.raises(kpi.KpiTypeError, match="fcr is a rate, not a duration") as info:
        kpi.Engine(targets={"fcr": [kpi.MS_PER_HOUR]})
    assert info.value.code == -13
    e = kpi.Engine()
    before = bytes(e)
    with pytest.raises(kpi.KpiTypeError, match="csat is a score, not a duration"):
        e.add_target("csat", 1000)
    assert bytes(e) == before
    e.add_target("frt_business", 1000)  # a duration: taken


def test_set_option_scale_maximum_alone_keeps_the_threshold_as_documented():
    # Engine(csat_max=10) brings the satisfied threshold to 9, but
    # set_option("csat_max", 10) is the one C option (its docstring says
    # so): the threshold stays 4 until it is set too.
    assert kpi.Engine(csat_max=10).option("csat_satisfied_from") == 9
    e = kpi.Engine()
    e.set_option("csat_max", 10)
    assert e.option("csat_satisfied_from") == 4
    assert "satisfied_from" in kpi.Engine.set_option.__doc__
    e.set_option("csat_satisfied_from", 9)
    assert e.options == kpi.Engine(csat_max=10).options
    f = kpi.Engine(csat_max=10)
    with pytest.raises(kpi.KpiRangeError):
        f.set_option("csat_max", 7)  # the threshold 9 is off 1..7
    assert f.option("csat_max") == 10
