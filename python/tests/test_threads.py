"""add_array(..., threads=k): the array counted in k contiguous parts on k
threads, the parts merged in.  Results only (timing would be flaky): the
same state as one call, the same error as one call, all or nothing."""

import math

import pytest

import kpi
from kpi import _base

np = pytest.importorskip("numpy")

N = 200_003  # above _base.MIN_PARALLEL_ITEMS, and not a multiple of 2, 3 or 4
U64_MAX = (1 << 64) - 1


def canonical(obj):
    """A top-k summary's bytes with its entries in canonical order: one
    stream serializes entries of equal count in the order they came, a
    merge sorts them by key; merging into an empty summary sorts."""
    empty = obj.copy()
    empty.reset()
    empty.merge(obj)
    return bytes(empty)


def custom_score():
    s = kpi.Score(1, 7)  # CES-like, low is easy
    s.set_threshold(3)
    s.set_high_is_easy(False)
    return s


def labels(rng, n, k):
    return np.array([b"topic-%02d" % i for i in range(k)])[rng.integers(0, k, n)]


# name -> (new object, data from rng); every one is exact on this data
EXACT = {
    "nps": (kpi.nps, lambda r: r.integers(0, 11, N).astype(np.int32)),
    "score custom threshold": (custom_score, lambda r: r.integers(1, 8, N)),  # int64: converted
    "score 0..1000": (lambda: kpi.Score(0, 1000), lambda r: r.integers(0, 1001, N).astype(np.int32)),
    "rate": (kpi.Rate, lambda r: r.random(N) < 0.7),
    "duration targets": (lambda: kpi.frt(targets=[60_000, 3_600_000]),
                         lambda r: r.lognormal(13, 1.5, N).astype(np.int64)),
    "duration 2% timedelta": (lambda: kpi.Duration(0.02, targets=[1_000]),
                              lambda r: r.integers(0, 10**6, N).astype("m8[ms]")),
    "topk_id int64": (lambda: kpi.TopKId(100), lambda r: r.integers(-30, 30, N)),
    "topk_id int8 codes": (lambda: kpi.TopKId(64),
                           lambda r: ((r.zipf(1.3, N) - 1) % 60).astype(np.int8)),
    "topk S": (lambda: kpi.TopK(100), lambda r: labels(r, N, 60)),
    "topk U": (lambda: kpi.TopK(100), lambda r: labels(r, N, 60).astype("U")),
    "distinct exact": (kpi.Distinct, lambda r: r.integers(0, 400, N)),
    "distinct hll": (lambda: kpi.Distinct(14), lambda r: r.integers(0, 1 << 62, N)),
}


def state(obj):
    if isinstance(obj, (kpi.TopK, kpi.TopKId)):
        return canonical(obj), obj.top(), obj.total, obj.error_bound
    return bytes(obj)


@pytest.mark.parametrize("threads", [2, 3, 4])
@pytest.mark.parametrize("name", sorted(EXACT))
def test_threads_equal_one_call(rng, name, threads):
    new, data = EXACT[name]
    values = data(rng)
    head = data(rng)[:1000]
    one, parts = new(), new()
    for obj in (one, parts):  # something already there: merged into
        obj.add_array(head)
    one.add_array(values)
    parts.add_array(values, threads=threads)
    assert state(parts) == state(one)
    # the one call itself is unchanged by the option's existence
    plain = new()
    plain.add_array(head)
    plain.add_array(values, threads=1)
    assert bytes(plain) == bytes(one)


def test_topk_list_threads_equal_one_call(rng):
    words = [w.decode() for w in labels(rng, 70_001, 40)]
    one, parts = kpi.TopK(64), kpi.TopK(64)
    one.add_array(words)
    parts.add_array(words, threads=3)
    assert state(parts) == state(one) and parts.error_bound == 0


def test_mean_threads_within_rounding(rng):
    xs = rng.uniform(-1, 1, N)
    one, parts = kpi.sentiment(), kpi.sentiment()
    one.add_array(xs)
    parts.add_array(xs, threads=3)
    # exact: counts, extremes, the cut counts
    assert (parts.count, parts.min, parts.max) == (one.count, one.min, one.max)
    assert parts.shares() == one.shares()
    # Chan's merge: rounding only
    assert parts.mean == pytest.approx(one.mean, rel=1e-12, abs=1e-15)
    assert parts.variance == pytest.approx(one.variance, rel=1e-12)
    assert parts.mean == pytest.approx(math.fsum(xs) / N, rel=1e-12, abs=1e-15)


def test_mean_threads_differ_by_more_than_a_few_ulps(rng):
    # the docstring said the mean and variance agree with one call's "to
    # rounding (a few ulps)"; each is a plain double sum over n values in
    # another order (the one call's is the one further from the exact
    # mean here), so they differ by rounding that grows with n: half a
    # million 1e8 beside half a million values in [0, 1) put the means
    # thousands of ulps apart, within the relative 2 n 2^-53 of two plain
    # sums of values of one sign (Higham's gamma_n, twice)
    xs = np.concatenate([np.full(500_000, 1e8), rng.random(500_000)])
    one, parts = kpi.Mean(), kpi.Mean()
    one.add_array(xs)
    parts.add_array(xs, threads=2)
    ulps = abs(parts.mean - one.mean) / np.spacing(one.mean)
    assert ulps > 100
    assert abs(parts.mean - one.mean) <= 2 * len(xs) * 2.0**-53 * one.mean
    assert parts.variance == pytest.approx(one.variance, rel=1e-9)
    doc = kpi.Mean.add_array.__doc__
    assert "a few ulps" not in doc and "grows with the number of values" in doc


def test_duration_collapsed_sketch_equals_one_call(rng):
    # a 0.05% sketch over 40 doublings collapses its lowest buckets; the
    # merge takes the collapse floor on, so the state is one call's
    ms = np.exp2(rng.uniform(0, 40, N)).astype(np.int64)
    one, parts = kpi.Duration(0.0005), kpi.Duration(0.0005)
    one.add_array(ms)
    parts.add_array(ms, threads=2)
    qs = [0, 0.01, 0.25, 0.5, 0.9, 0.99, 1]
    assert (parts.count, parts.sum, parts.min, parts.max) == (one.count, one.sum, one.min, one.max)
    assert parts.quantiles(qs) == one.quantiles(qs)
    assert bytes(parts) == bytes(one)


def test_topk_lossy_threads_within_bounds(rng):
    ids = (rng.zipf(1.2, N) - 1) % 5000
    true = np.bincount(ids, minlength=5000)
    t = kpi.TopKId(50)
    t.add_array(ids, threads=4)
    assert t.total == N and 0 < t.error_bound <= N / 50 * 4
    for e in t.top():
        assert e.low <= true[e.id] <= e.high
    monitored = {e.id for e in t.top()}
    assert set(np.flatnonzero(true > N / 50)) <= monitored


# ---- refused arrays: the one call's error, nothing changed -----------------
def refusal(obj, values, threads):
    before = bytes(obj)
    with pytest.raises(kpi.KpiError) as info:
        obj.add_array(values, threads=threads)
    assert bytes(obj) == before
    e = info.value
    return type(e), e.code, e.function, str(e)


def bad_scores(rng):
    a = rng.integers(1, 8, N).astype(np.int32)  # on both scales
    a[N // 2 + 7] = 11  # the second part of 2 or 3, the third of 4
    a[N - 3] = -1
    return a


def bad_durations(rng):
    a = rng.integers(0, 10**7, N)
    a[N * 2 // 3 + 1] = -5  # the last part of 2 and 3, the third of 4
    return a


def bad_sentiments(rng):
    # out of range in the first part, NaN in the last: one call ranks NaN
    # (KPI_ERR_INVALID) above range wherever they stand, so the error is
    # not the lowest failing part's own
    a = rng.uniform(-1, 1, N)
    a[500] = 1.5
    a[N - 5] = np.nan
    return a


def bad_labels(rng):
    a = labels(rng, N, 30)
    a[N // 2 + 3] = b""  # an empty label
    return a


@pytest.mark.parametrize("threads", [2, 3, 4])
@pytest.mark.parametrize("new, data, error", [
    (kpi.nps, bad_scores, kpi.KpiRangeError),
    (custom_score, bad_scores, kpi.KpiRangeError),
    (lambda: kpi.frt(targets=[60_000]), bad_durations, kpi.KpiRangeError),
    (kpi.sentiment, bad_sentiments, kpi.KpiInvalidError),
    (kpi.TopK, bad_labels, kpi.KpiInvalidError),
])
def test_bad_value_in_a_later_part(rng, new, data, error, threads):
    values = data(rng)
    one, parts = new(), new()
    for obj in (one, parts):
        obj.add_array(values[:100])  # good values, already there
    single = refusal(one, values, None)
    assert single[0] is error
    assert refusal(parts, values, threads) == single


def test_rate_bad_outcome_in_third_part(rng):
    a = (rng.random(N) < 0.5).astype(np.uint8)
    a[N * 3 // 4 + 1] = 2
    single = refusal(kpi.Rate(), a, None)
    assert refusal(kpi.Rate(), a, 4) == single


@pytest.mark.parametrize("threads", [2, 4])
def test_overflow_refused_whole(rng, threads):
    # each part alone fits; only the total does not: refused by the merge,
    # reported as the one call reports it
    d1, d2 = kpi.Duration(), kpi.Duration()
    ms = np.full(N, 1 << 45, np.int64)  # about 2**62.6 in all
    for d in (d1, d2):
        d.add(1 << 62)
    single = refusal(d1, ms, None)
    assert single[0] is kpi.KpiOverflowError
    assert refusal(d2, ms, threads) == single

    r1, r2 = kpi.Rate(), kpi.Rate()
    for r in (r1, r2):
        r.add_counts(0, U64_MAX - N + 1)
    outcomes = rng.random(N) < 0.5
    single = refusal(r1, outcomes, None)
    assert single[0] is kpi.KpiOverflowError
    assert refusal(r2, outcomes, threads) == single

    for ids in (rng.integers(0, 50, N), rng.integers(0, 50, N).astype(np.int16)):
        t1, t2 = kpi.TopKId(64), kpi.TopKId(64)
        for t in (t1, t2):
            t.add(7, weight=U64_MAX - N + 1)
        single = refusal(t1, ids, None)
        assert single[0] is kpi.KpiOverflowError
        assert refusal(t2, ids, threads) == single


# ---- the option itself -------------------------------------------------------
ALL = [kpi.nps, kpi.Rate, kpi.Mean, kpi.frt, kpi.TopKId, kpi.TopK, kpi.Distinct]


def some_values(new):
    if new is kpi.TopK:
        return np.array([b"a", b"b", b"a"])
    if new is kpi.Mean:
        return np.array([1.0, 3.0])  # exact in binary, merged or not
    return np.array([1, 0, 1], dtype=np.int32)


@pytest.mark.parametrize("new", ALL)
@pytest.mark.parametrize("threads, error", [
    (0, ValueError), (-1, ValueError), (1.5, TypeError), (True, TypeError),
    (False, TypeError), ("2", TypeError), (2.0, TypeError),
])
def test_bad_threads_raise(new, threads, error):
    obj = new()
    before = bytes(obj)
    with pytest.raises(error, match="threads"):
        obj.add_array(some_values(new), threads=threads)
    with pytest.raises(error, match="threads"):
        obj.add_array(some_values(new)[:0], threads=threads)  # even when empty
    assert bytes(obj) == before


@pytest.mark.parametrize("new", ALL)
def test_more_threads_than_items(monkeypatch, new):
    # let tiny arrays split (n < MIN_PARALLEL_ITEMS normally stays on one
    # thread): 16 threads asked, one part per item
    monkeypatch.setattr(_base, "MIN_PARALLEL_ITEMS", 0)
    one, parts = new(), new()
    one.add_array(some_values(new))
    parts.add_array(some_values(new), threads=16)
    assert state(parts) == state(one)
    parts.add_array(some_values(new)[:0], threads=16)
    assert state(parts) == state(one)


def test_numpy_integer_threads(rng):
    values = rng.integers(0, 11, N).astype(np.int32)
    one, parts = kpi.nps(), kpi.nps()
    one.add_array(values)
    parts.add_array(values, threads=np.int64(2))
    assert bytes(parts) == bytes(one)


def test_many_threads(rng):
    values = rng.integers(0, 11, N).astype(np.int32)
    one, parts = kpi.nps(), kpi.nps()
    one.add_array(values)
    parts.add_array(values, threads=1000)  # 1000 parts of about 200
    assert bytes(parts) == bytes(one)


def test_parts_run_on_worker_threads(monkeypatch, rng):
    # structure, not speed: threads=3 starts two workers, each on a part
    started = []

    class Counting(_base.threading.Thread):
        def start(self):
            started.append(self.name)
            super().start()

    monkeypatch.setattr(_base.threading, "Thread", Counting)
    values = rng.integers(0, 11, N).astype(np.int32)
    s = kpi.nps()
    s.add_array(values, threads=3)
    assert started == ["kpi add part 1/3", "kpi add part 2/3"]
    assert s.count == N
    started.clear()
    s.add_array(values)  # the default: no thread
    s.add_array(values[:1000], threads=3)  # tiny: no thread
    assert started == []


def test_group_member(rng):
    ms = rng.integers(0, 10**6, N)
    g = kpi.Group(kpi.frt(targets=[1_000]))
    g[5].add_array(ms[:10])
    g[5].add_array(ms, threads=2)  # parts: owned Durations; merged into the member
    one = kpi.frt(targets=[1_000])
    one.add_array(ms[:10])
    one.add_array(ms)
    assert bytes(g[5]) == bytes(one)


def test_a_view_uses_its_owners_c_object(monkeypatch):
    """A view (a group's member, an engine's accumulator or breakdown) is
    another Python object, but every use of it goes through its owner's C
    object (kpi_group_find on the group, kpi_engine_volume & co. on the engine)
    while another thread may be changing that object (g[new_key] grows the
    group's index; an event feeds the engine): under ThreadSanitizer, a
    member view read on one thread while g[k] creates members on another
    is a data race in lib/group.c (lookup against reserve).  So the
    README's thread rule cannot be "different objects need no lock" for
    views: it must count a view as its owner."""
    from pathlib import Path
    from kpi import _lib
    calls = []

    def spy(name):
        real = getattr(_lib.C, name)

        def record(p, *rest):
            calls.append((name, p))
            return real(p, *rest)
        monkeypatch.setattr(_lib.C, name, record)

    spy("kpi_group_find")
    spy("kpi_engine_volume")
    g = kpi.Group(kpi.frt())
    member = g[1]
    member.add(5)
    assert member.count == 1
    assert calls and all(c == ("kpi_group_find", g._p) for c in calls)
    calls.clear()
    e = kpi.Engine()
    e.created(1_000, 1, 7)
    view = e.volume()
    assert view is not e and view.total == 1.0
    assert calls and all(c == ("kpi_engine_volume", e._p) for c in calls)
    # the rule as the README states it (section "Threads")
    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text()
    rule = readme.split("## Threads", 1)[1].split("###", 1)[0]
    assert "view" in rule and "owner" in rule, rule


@pytest.mark.parametrize("threads", [2, 3])
def test_no_memory_for_the_parts_is_the_one_calls_result(monkeypatch, rng, threads):
    # the parts are copies of the object (kpi_*_clone): when one cannot be
    # made (KPI_ERR_NOMEM, a failure of the parts only, as a thread that
    # cannot be started is) the whole array is added on this thread, as
    # _add_in_parts promises for the parts' memory; the copy's NOMEM (and
    # the RuntimeError of a thread that would not start) escaped instead
    from kpi import _lib
    values = rng.integers(0, 11, N).astype(np.int32)
    want = kpi.nps()
    want.add_array(values)
    real_clone = _lib.C.kpi_score_clone
    clones = []

    def clone_once(p, out):
        clones.append(p)
        if len(clones) == 2:  # the second part
            raise _lib.error_for(_lib.ERR_NOMEM, "kpi_score_clone")
        return real_clone(p, out)

    monkeypatch.setattr(_lib.C, "kpi_score_clone", clone_once)
    s = kpi.nps()
    s.add_array(values, threads=threads)
    assert len(clones) == 2 and bytes(s) == bytes(want)
    monkeypatch.setattr(_lib.C, "kpi_score_clone", real_clone)

    class NoThread(_base.threading.Thread):
        def start(self):
            raise RuntimeError("can't start new thread")

    monkeypatch.setattr(_base.threading, "Thread", NoThread)
    s = kpi.nps()
    s.add_array(values, threads=threads)
    assert bytes(s) == bytes(want)


def test_an_interrupt_while_waiting_for_a_part_frees_nothing_under_its_thread(
        monkeypatch, rng):
    # Ctrl-C (KeyboardInterrupt) while the calling thread waits for a worker
    # (Thread.join) left _add_in_parts through its finally, which freed every
    # part (kpi_score_free) while the worker was still counting into its
    # own in C, and unwound add_array, which dropped the int32 copy of the
    # int64 answers the worker was reading: two uses after free.  The worker
    # here is held inside its C call until the interrupt has gone through;
    # its part and its input must both be alive then (freed later, once
    # nothing holds them).
    import gc
    import threading
    import weakref
    from kpi import _lib
    values = rng.integers(0, 11, N)  # int64: converted, a copy only add_array holds
    real_add, real_free = _lib.C.kpi_score_add_array, _lib.C.kpi_score_free
    real_as_c_array = _base.as_c_array
    freed, handles, inputs, seen = set(), set(), [], []
    release = threading.Event()

    def add(p, address, n):
        handles.add(p)
        if threading.current_thread().name.startswith("kpi add part"):
            release.wait(30)
            seen.append(p in freed)
            if p in freed or inputs[0]() is None:
                return 0  # the real call would use freed memory
        return real_add(p, address, n)

    def free(p):
        freed.add(p)
        real_free(p)

    def as_c_array(values, kind, what):
        address, n, keep = real_as_c_array(values, kind, what)
        inputs.append(weakref.ref(keep))
        return address, n, keep

    workers, real_join = [], threading.Thread.join

    class Interrupted(threading.Thread):
        def start(self):
            workers.append(self)
            super().start()

        def join(self, timeout=None):
            raise KeyboardInterrupt  # Ctrl-C while waiting

    monkeypatch.setattr(_lib.C, "kpi_score_add_array", add)
    monkeypatch.setattr(_lib.C, "kpi_score_free", free)
    monkeypatch.setattr(_base, "as_c_array", as_c_array)
    monkeypatch.setattr(_base.threading, "Thread", Interrupted)
    s = kpi.nps()
    try:
        s.add_array(values, threads=2)
    except KeyboardInterrupt:
        pass
    else:
        pytest.fail("the interrupt was lost")
    gc.collect()
    input_alive = inputs[0]() is not None  # while the worker is still in C
    release.set()
    for w in workers:
        real_join(w, 30)
    assert len(workers) == 1 and seen == [False] and input_alive
    assert s.count == 0  # the object itself untouched
    gc.collect()
    assert len(handles) == 2 and handles <= freed  # both parts, freed once unused
    assert inputs[0]() is None
