"""Memory and state over long runs (a server or a Dask worker running for
days): objects, batches and their converted copies are freed as soon as
nothing names them, without waiting for the cyclic garbage collector
(which a service may have disabled), and failing calls leave no state
behind.  Each test is a regression test for one defect."""

import gc
import weakref

import pytest

import kpi
from kpi import _base

np = pytest.importorskip("numpy")


@pytest.fixture
def no_gc():
    enabled = gc.isenabled()
    gc.collect()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


@pytest.mark.parametrize("bad_at", [0, -1])  # in part 0 (this thread), in part 1 (a worker)
def test_refused_threaded_add_frees_its_input_copy_at_once(no_gc, monkeypatch, bad_at):
    # _add_in_parts kept each part's exception in a list its workers'
    # frames referred to (failed -> exception -> traceback -> frame ->
    # cell of failed): a reference cycle holding the converted copy of
    # the array (4 bytes an answer), the parts and, when part 0 failed on
    # the calling thread, its own frame and the object itself, until the
    # cyclic GC ran: a 1 M-answer int64 batch refused 50 times held 195 MB
    # with gc disabled.
    copies = []
    real = _base.as_c_array

    def as_c_array(values, kind, what):
        address, n, keep = real(values, kind, what)
        copies.append(weakref.ref(keep))
        return address, n, keep

    monkeypatch.setattr(_base, "as_c_array", as_c_array)
    answers = np.full(_base.MIN_PARALLEL_ITEMS + 10, 9)  # int64: converted to int32
    answers[bad_at] = 11
    s = kpi.nps()
    s.add(3)
    before = bytes(s)
    with pytest.raises(kpi.KpiRangeError):
        s.add_array(answers, threads=2)
    assert bytes(s) == before
    assert copies and copies[0]() is None
    ref = weakref.ref(s)
    del s
    assert ref() is None
