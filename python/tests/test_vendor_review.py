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
