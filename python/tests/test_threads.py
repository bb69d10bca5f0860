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


@pytest.fixture
def started(monkeypatch):
    """The names of the worker threads _add_in_parts starts, in order."""
    names = []

    class Counting(_base.threading.Thread):
        def start(self):
            names.append(self.name)
            super().start()

    monkeypatch.setattr(_base.threading, "Thread", Counting)
    return names


# ---- refused arrays: the one call's error, nothing changed -----------------
def refusal(obj, values, threads, error=kpi.KpiError):
    """What obj.add_array(values, threads=threads) raises (values: one
    array, or a tuple of paired arrays), asserting the object's bytes are
    unchanged: (class, code, C function, text)."""
    args = values if isinstance(values, tuple) else (values,)
    before = bytes(obj)
    with pytest.raises(error) as info:
        obj.add_array(*args, threads=threads)
    assert bytes(obj) == before
    e = info.value
    return type(e), getattr(e, "code", None), getattr(e, "function", None), str(e)


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
# threads= values refused, and what they raise
BAD_THREADS = [(0, ValueError), (-1, ValueError), (1.5, TypeError), (True, TypeError),
               (False, TypeError), ("2", TypeError), (2.0, TypeError)]
ALL = [kpi.nps, kpi.Rate, kpi.Mean, kpi.frt, kpi.TopKId, kpi.TopK, kpi.Distinct]


def some_values(new):
    if new is kpi.TopK:
        return np.array([b"a", b"b", b"a"])
    if new is kpi.Mean:
        return np.array([1.0, 3.0])  # exact in binary, merged or not
    return np.array([1, 0, 1], dtype=np.int32)


@pytest.mark.parametrize("new", ALL)
@pytest.mark.parametrize("threads, error", BAD_THREADS)
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


def test_parts_run_on_worker_threads(started, rng):
    # structure, not speed: threads=3 starts two workers, each on a part
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



# ---- bulk calls of paired arrays: Ratio, Aht, ServiceLevel; Series ------------
def whole_ratio_pairs(r, n=N):
    # whole numbers: every compensated sum is exact, so the bytes are one call's
    return (r.integers(-1000, 10**6, n).astype(np.float64),
            r.integers(0, 50, n).astype(np.float64))


def cost_pairs(r, n=N):
    return r.lognormal(5, 2, n) * r.choice([-1.0, 1.0], n, p=[0.1, 0.9]), r.random(n) * 8


def aht_times(r, n=N):
    return (r.lognormal(12, 1, n).astype(np.int64), r.integers(0, 60_000, n),
            r.integers(0, 10**5, n).astype("m8[ms]"))


def sl_contacts(r, n=N):
    return r.lognormal(9, 2, n).astype(np.int64), r.integers(0, 3, n).astype(np.int32)


def sl_contacts_int64(r, n=N):  # outcomes converted to C int
    return r.integers(0, 10**6, n), r.integers(0, 3, n)


# name -> (new object, paired arrays from rng, exact to the byte)
PAIRED = {
    "ratio whole": (kpi.Ratio, whole_ratio_pairs, True),
    "ratio cost": (kpi.cost_per_resolution, cost_pairs, False),
    "aht": (kpi.Aht, aht_times, True),
    "service level": (lambda: kpi.ServiceLevel(20_000, 5_000), sl_contacts, True),
    "service level int64": (lambda: kpi.ServiceLevel(60_000), sl_contacts_int64, True),
}


def reads(obj):
    if isinstance(obj, kpi.Ratio):
        return obj.count, obj.numerator, obj.denominator, obj.value
    if isinstance(obj, kpi.Aht):
        return (obj.count, obj.mean, obj.talk_mean, obj.hold_mean, obj.after_work_mean,
                obj.quantile(0.5), obj.quantile(0.99))
    return (obj.offered, obj.answered, obj.abandoned, obj.share(), obj.abandon_rate(),
            obj.unserved_share(), obj.asa, obj.wait_quantile(0.9))


@pytest.mark.parametrize("threads", [2, 3])
@pytest.mark.parametrize("name", sorted(PAIRED))
def test_paired_threads_equal_one_call(rng, name, threads):
    new, data, exact = PAIRED[name]
    arrays = data(rng)  # N = 200,003: odd, parts of unequal length
    head = data(rng, 1000)
    one, parts = new(), new()
    for obj in (one, parts):  # something already there: merged into
        obj.add_array(*head)
    one.add_array(*arrays)
    parts.add_array(*arrays, threads=threads)
    if exact:
        assert bytes(parts) == bytes(one)
        assert reads(parts) == reads(one)
    else:  # Ratio with fractions: compensated sums in another order
        assert bytes(parts) != bytes(one)  # the state is not the one call's ...
        assert parts.count == one.count
        for got, want in zip(reads(parts)[1:], reads(one)[1:]):  # ... its reads are
            assert got == pytest.approx(want, rel=4 * 2.0**-53)
        assert parts.numerator == pytest.approx(math.fsum([*head[0], *arrays[0]]), rel=4 * 2.0**-53)


def test_paired_parts_run_on_worker_threads(started, rng):
    for name in sorted(PAIRED):
        new, data, _ = PAIRED[name]
        started.clear()
        new().add_array(*data(rng), threads=3)
        assert started == ["kpi add part 1/3", "kpi add part 2/3"], name


@pytest.mark.parametrize("name", sorted(PAIRED))
@pytest.mark.parametrize("n", [0, 1, 2, 5])
def test_paired_fewer_items_than_threads(monkeypatch, rng, name, n):
    # every array split (MIN_PARALLEL_ITEMS 0): one part per item, at most
    monkeypatch.setattr(_base, "MIN_PARALLEL_ITEMS", 0)
    new, data, exact = PAIRED[name]
    arrays = data(rng, n)
    one, parts = new(), new()
    one.add_array(*arrays)
    parts.add_array(*arrays, threads=16)
    if exact or n <= 1:
        assert bytes(parts) == bytes(one)
    else:
        assert reads(parts)[:3] == pytest.approx(reads(one)[:3], rel=4 * 2.0**-53)
    before = bytes(parts)
    parts.add_array(*(a[:0] for a in arrays), threads=3)  # empty arrays: nothing
    assert bytes(parts) == before


def _with(arrays, i, at, value):
    """The paired arrays with arrays[i][at] = value (copies)."""
    out = tuple(np.array(a) for a in arrays)
    out[i][at] = value
    return out


@pytest.mark.parametrize("threads", [2, 3])
@pytest.mark.parametrize("new, make, error", [
    # NaN in the last part of 2 and 3
    (kpi.Ratio, lambda r: _with(whole_ratio_pairs(r), 0, N - 5, np.nan), kpi.KpiInvalidError),
    # a negative denominator in the first part, an infinity in the last: one
    # call reports the first bad pair; the last part alone would say INVALID
    (kpi.Ratio, lambda r: _with(_with(cost_pairs(r), 1, 7, -1.0), 0, N - 5, np.inf),
     kpi.KpiRangeError),
    (kpi.Aht, lambda r: _with(aht_times(r), 1, N * 2 // 3 + 1, -5), kpi.KpiRangeError),
    # one contact whose talk + hold overflows int64
    (kpi.Aht, lambda r: _with(_with(aht_times(r), 0, N - 2, 2**62), 1, N - 2, 2**62),
     kpi.KpiOverflowError),
    (lambda: kpi.ServiceLevel(20_000), lambda r: _with(sl_contacts(r), 1, N // 2 + 3, 3),
     kpi.KpiInvalidError),
    # a negative wait of an answered contact in the first part, an unknown
    # outcome in the last: one call reports the first
    (lambda: kpi.ServiceLevel(20_000),
     lambda r: _with(_with(_with(sl_contacts(r), 0, 9, -1), 1, 9, 0), 1, N - 4, 7),
     kpi.KpiRangeError),
])
def test_paired_bad_value_in_a_later_part(rng, new, make, error, threads):
    arrays = make(rng)
    one, parts = new(), new()
    for obj in (one, parts):
        obj.add_array(*(a[100:200] for a in arrays))  # good values, already there
    single = refusal(one, arrays, None)
    assert single[0] is error
    assert refusal(parts, arrays, threads) == single


def test_service_level_negative_wait_of_unserved_is_no_error(rng):
    waits, outcomes = sl_contacts(rng)
    waits[N - 9], outcomes[N - 9] = -1, kpi.CONTACT_UNSERVED  # its wait is ignored
    one, parts = kpi.ServiceLevel(20_000), kpi.ServiceLevel(20_000)
    one.add_array(waits, outcomes)
    parts.add_array(waits, outcomes, threads=2)
    assert bytes(parts) == bytes(one) and one.offered == N


@pytest.mark.parametrize("threads", [2, 3])
def test_paired_overflow_refused_whole(rng, threads):
    # each part alone fits; only the whole does not
    ms = np.full(N, 1 << 45, np.int64)  # about 2**62.6 in all
    zeros = np.zeros(N, np.int64)
    a1, a2 = kpi.Aht(), kpi.Aht()
    for a in (a1, a2):
        a.add(1 << 62)
    single = refusal(a1, (ms, zeros, zeros), None)
    assert single[0] is kpi.KpiOverflowError
    assert refusal(a2, (ms, zeros, zeros), threads) == single

    s1, s2 = kpi.ServiceLevel(10), kpi.ServiceLevel(10)
    answered = np.zeros(N, np.int32)
    for s in (s1, s2):
        s.add(1 << 62)
    single = refusal(s1, (ms, answered), None)
    assert single[0] is kpi.KpiOverflowError
    assert refusal(s2, (ms, answered), threads) == single


def ratio_overflow_on_the_way():
    # one call: 1e308, then + 1e308 passes DBL_MAX before - 1e308 comes:
    # refused.  In parts (both in the middle part of 2 or 3), 1e308 and
    # 1e308 - 1e308 = 0 would merge to a finite 1e308 and be taken
    num = np.zeros(N)
    num[0], num[N // 2 + 1], num[N // 2 + 2] = 1e308, 1e308, -1e308
    return num, np.ones(N)


@pytest.mark.parametrize("threads", [2, 3])
def test_ratio_running_sum_past_dbl_max_refused_as_one_call(monkeypatch, threads):
    pairs = ratio_overflow_on_the_way()
    single = refusal(kpi.Ratio(), pairs, None)
    assert single[0] is kpi.KpiOverflowError
    assert refusal(kpi.Ratio(), pairs, threads) == single
    # the parts would have taken it: why add_array keeps such batches on
    # this thread
    monkeypatch.setattr(kpi.Ratio, "_sums_stay_finite", lambda self, keeps, n: True)
    lenient = kpi.Ratio()
    lenient.add_array(*pairs, threads=threads)
    assert lenient.numerator == 1e308


def test_ratio_split_only_below_the_bound(monkeypatch, started):
    # no running sum passes 1e305, but n times the largest |amount| could
    # pass DBL_MAX: counted on this thread, so the one call's bytes
    swings = np.resize([1e304, -1e304], N)
    rare = np.zeros(N)
    rare[::50_000] = 1e305
    for num, den, split in [(swings, np.ones(N), False), (np.ones(N), rare, False),
                            (np.ones(N), np.ones(N), True)]:
        started.clear()
        one, parts = kpi.Ratio(), kpi.Ratio()
        one.add_array(num, den)
        parts.add_array(num, den, threads=2)
        assert bytes(parts) == bytes(one)
        assert bool(started) is split
    # the object's own sums count too
    started.clear()
    r = kpi.Ratio()
    r.add(1e308, 0)
    r.add_array(np.ones(N), np.ones(N), threads=2)
    assert started == [] and r.count == N + 1
    # without numpy: the same bound, read from the buffer
    from kpi import _buffers
    import array
    monkeypatch.setattr(_buffers, "numpy", None)
    for values, split in [(array.array("d", [1e304, -1e304]) * (N // 2), False),
                          (array.array("d", [-2.5]) * N, True)]:
        started.clear()
        r = kpi.Ratio()
        r.add_array(values, array.array("d", [1.0]) * len(values), threads=2)
        assert bool(started) is split and r.count == len(values)
        assert r.numerator == (0.0 if values[0] > 0 else -2.5 * N)


@pytest.mark.parametrize("threads", [1, 2, 3])
@pytest.mark.parametrize("new, arrays, error", [
    (kpi.Ratio, lambda r: (np.array(["a"] * N), np.ones(N)), TypeError),
    (kpi.Ratio, lambda r: (np.ones(N), np.ones(N - 1)), ValueError),
    (kpi.Aht, lambda r: (np.ones(N), np.ones(N, np.int64), np.ones(N, np.int64)), TypeError),
    (kpi.Aht, lambda r: (np.ones(N, np.int64), np.ones(N - 1, np.int64),
                         np.ones(N, np.int64)), ValueError),
    (kpi.Aht, lambda r: (np.ones(N, "M8[ms]"), np.ones(N, np.int64),
                         np.ones(N, np.int64)), TypeError),
    (lambda: kpi.ServiceLevel(10), lambda r: (np.ones(N, np.int64), np.ones(N)), TypeError),
    (lambda: kpi.ServiceLevel(10), lambda r: (np.ones(N, np.int64),
                                              np.full(N, 2**40)), kpi.KpiRangeError),
    (lambda: kpi.ServiceLevel(10), lambda r: (np.ones(3, np.int64), np.ones(N, np.int32)),
     ValueError),
    (lambda: kpi.Series(1000, 10), lambda r: (np.ones(N), None), TypeError),
    (lambda: kpi.Series(1000, 10), lambda r: (np.arange(N), np.ones(N - 1)), ValueError),
])
def test_paired_wrong_input_raises_as_one_call(rng, new, arrays, error, threads):
    # wrong dtypes and lengths are refused before any part: the same
    # exception as the one call, the object unchanged
    args = arrays(rng)
    one, parts = new(), new()
    single = refusal(one, args, None, error)
    assert refusal(parts, args, threads, error) == single


PAIRED_NEW = [kpi.Ratio, kpi.Aht, lambda: kpi.ServiceLevel(10), lambda: kpi.Series(1000, 10)]


def paired_values(obj):
    if isinstance(obj, kpi.Ratio):
        return np.array([1.0, 3.0]), np.array([2.0, 0.0])
    if isinstance(obj, kpi.Aht):
        return np.array([5, 7]), np.array([0, 1]), np.array([2, 2])
    if isinstance(obj, kpi.Series):
        return np.array([500, 2500]), np.array([1.0, 2.0])
    return np.array([5, 7]), np.array([0, 1], np.int32)


@pytest.mark.parametrize("new", PAIRED_NEW)
@pytest.mark.parametrize("threads, error", BAD_THREADS)
def test_paired_bad_threads_raise(new, threads, error):
    obj = new()
    before = bytes(obj)
    values = paired_values(obj)
    with pytest.raises(error, match="threads"):
        obj.add_array(*values, threads=threads)
    with pytest.raises(error, match="threads"):
        obj.add_array(*(a[:0] for a in values), threads=threads)  # even when empty
    with pytest.raises(error, match="threads"):
        obj.add_array(values[0], *(a[:1] for a in values[1:]), threads=threads)  # first
    assert bytes(obj) == before
    obj.add_array(*values, threads=np.int64(2))  # a numpy int is an int
    assert bytes(obj) != before


# Series: threads= is taken and checked, the events counted on this thread
def series_events(r, n=N):
    t = np.sort(r.integers(0, 10**9, n))
    return t, r.integers(1, 4, n).astype(np.float64) / 4


@pytest.mark.parametrize("threads", [2, 3])
def test_series_counts_on_this_thread(monkeypatch, started, rng, threads):
    monkeypatch.setattr(_base, "MIN_PARALLEL_ITEMS", 0)
    t, amounts = series_events(rng)
    for fed in (lambda s, **k: s.add_array(t, amounts, **k),
                lambda s, **k: s.add_array(t, **k)):
        one, asked = kpi.Series(3_600_000, 48), kpi.Series(3_600_000, 48)
        forecast = kpi.Series(3_600_000, 48)
        forecast.set_forecast(24, 0.3, 0.1, 0.2)
        again = forecast.copy()
        fed(one)
        fed(asked, threads=threads)
        assert bytes(asked) == bytes(one)
        fed(forecast)
        fed(again, threads=threads)
        assert bytes(again) == bytes(forecast)
        assert forecast.forecast(3).tolist() == again.forecast(3).tolist()
    assert started == []


@pytest.mark.parametrize("threads", [2, 3])
def test_series_late_event_refused_as_one_call(rng, threads):
    # the first event of the last part 30 periods before the one before
    # it: one call refuses it (older than the oldest of 10 kept periods);
    # counted as parts into fresh series and merged, the batch would be
    # taken whole
    t = np.arange(N, dtype=np.int64) * 10  # 2,000,030 ms: 2,001 periods of 1 s
    cut = N * (threads - 1) // threads  # where _add_in_parts starts the last part
    t[cut] = t[cut - 1] - 30_000
    one, asked = kpi.Series(1000, 10), kpi.Series(1000, 10)
    for s in (one, asked):
        s.add(0, 5.0)
    single = refusal(one, (t,), None)
    assert single[0] is kpi.KpiOrderError
    assert refusal(asked, (t,), threads) == single
    # what the parts would have given: no error, the late event's period
    # dropped from the ring but kept in the total
    first, last = kpi.Series(1000, 10), kpi.Series(1000, 10)
    first.add(0, 5.0)
    first.add_array(t[:cut])
    last.add_array(t[cut:])
    first.merge(last)
    assert first.total == N + 5.0


def test_every_bulk_call_takes_threads():
    # every add_array of the package (and any other bulk add of arrays)
    # takes threads=None, documents it, and python/README.md names its class
    import inspect
    from pathlib import Path
    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text()
    section = readme.split("### One bulk call on several threads", 1)[1].split("\n## ", 1)[0]
    found = []
    for name, cls in vars(kpi).items():
        if not (isinstance(cls, type) and issubclass(cls, _base.KpiObject)):
            continue
        for meth in ("add_array", "add_arrays", "add_pairs"):
            fn = getattr(cls, meth, None)
            if fn is None:
                continue
            found.append(name)
            param = inspect.signature(fn).parameters.get("threads")
            assert param is not None and param.default is None, (name, meth)
            assert "threads" in fn.__doc__, (name, meth)
            assert f"`{name}`" in section, name
    assert {"Ratio", "Aht", "ServiceLevel", "Series", "Score", "TopK"} <= set(found)
