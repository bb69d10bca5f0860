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


def test_calls_on_inputs_of_new_sizes_leave_no_cyclic_garbage(no_gc):
    # bytes()/pickle made a ctypes buffer type per state size
    # (create_string_buffer(n) is c_char * n), TopK.add_array one per
    # column length (the object column's pointers, a list's labels), and
    # the buffers without numpy one per length: every such type is a
    # reference cycle, some 5 KB left to the cyclic GC at every call whose
    # size was new (an engine serialized as it grows: 16 MB per 5,000
    # pickles with gc disabled).
    import array
    import pickle

    from kpi import _buffers, _engine
    e = kpi.Engine()
    topics = np.array(["billing", "login", "refund"], dtype=object)
    t = kpi.TopK(10)
    ev = kpi.events(1)
    ev["kind"], ev["ticket"] = kpi.EVENT_CREATED, 1
    gc.collect()
    for i in range(1, 40):
        e.created(1_700_000_000_000 + i, i, customer=i, topic="billing")
        assert kpi.Engine.from_bytes(bytes(e)).count("created") == i
        pickle.dumps(e)
        t.add_array(topics[np.arange(i) % 3])                 # identity count
        t.add_array(["billing", "login", "refund"][:1 + i % 3] * i)  # label by label
        _buffers._buffer_array(array.array("q", range(i)), "int64", "x")
        _buffers._buffer_array(bytes(8 * i), "int64", "x")
        _engine._event_buffer(ev.tobytes() * i)
    assert gc.collect() == 0
    assert t.estimate("billing").count == sum(
        len(range(0, i, 3)) + (1 + i % 3 >= 1) * i for i in range(1, 40))
