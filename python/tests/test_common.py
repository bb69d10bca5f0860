"""What every type shares: merge equals one stream, portable bytes and
pickling (also across a multiprocessing pool of fresh processes), copies,
reset, freeing, and the errors of bad bytes."""

import copy
import gc
import math
import multiprocessing
import os
import pickle
import subprocess
import sys
import textwrap
import weakref

import pytest

import kpi
from kpi import _lib

np = pytest.importorskip("numpy")

T0 = 1_700_000_000_000  # a fixed instant (ms)


def flat(x):
    """Numbers of a read, flattened (for approx comparison)."""
    if isinstance(x, dict):
        return [v for k in sorted(x) for v in flat(x[k])]
    if isinstance(x, (list, tuple)):
        return [v for item in x for v in flat(item)]
    if isinstance(x, np.ndarray):
        return [float(v) for v in x]
    if isinstance(x, str):
        return [x]
    return [x]


def _series_feed(o, d):
    o.add_array(d[0], d[1])


# name -> (make, data(rng, n), feed(obj, data slice), read(obj))
CASES = {
    "nps": (kpi.nps, lambda r, n: r.integers(0, 11, n, dtype=np.int32),
            lambda o, d: o.add_array(d),
            lambda o: (o.count, o.nps(), o.nps_shares(), o.distribution, o.mean)),
    "csat": (lambda: kpi.csat(5, 4), lambda r, n: r.integers(1, 6, n),
             lambda o, d: o.add_array(d), lambda o: (o.csat(), o.mean_ci())),
    "rate": (kpi.Rate, lambda r, n: r.random(n) < 0.7,
             lambda o, d: o.add_array(d), lambda o: (o.successes, o.trials, o.share())),
    "mean": (kpi.Mean, lambda r, n: r.normal(3.0, 1.5, n),
             lambda o, d: o.add_array(d),
             lambda o: (o.count, o.mean, o.variance, o.min, o.max, o.mean_ci())),
    "ratio": (kpi.cost_per_resolution, lambda r, n: (r.random(n) * 100, r.random(n) + 1),
              lambda o, d: o.add_array(d[0], d[1]),
              lambda o: (o.count, o.numerator, o.denominator, o.value)),
    "duration": (lambda: kpi.frt(targets=[60_000]),
                 lambda r, n: r.lognormal(10, 1.2, n).astype(np.int64),
                 lambda o, d: o.add_array(d),
                 lambda o: (o.count, o.sum, o.min, o.max, o.mean,
                            o.quantiles([0, 0.5, 0.9, 0.99, 1]), o.share_within(60_000))),
    "aht": (kpi.Aht, lambda r, n: r.integers(0, 600_000, (3, n)),
            lambda o, d: o.add_array(d[0], d[1], d[2]),
            lambda o: (o.count, o.mean, o.talk_mean, o.hold_mean, o.quantile(0.5))),
    "service_level": (lambda: kpi.ServiceLevel(20_000, 5_000),
                      lambda r, n: (r.integers(0, 60_000, n), r.integers(0, 2, n).astype(np.intc)),
                      lambda o, d: o.add_array(d[0], d[1]),
                      lambda o: (o.offered, o.answered, o.share(), o.abandon_rate(), o.asa,
                                 [o.share(f) for f in range(5)], o.wait_quantile(0.8))),
    "series": (lambda: kpi.Series(kpi.MS_PER_HOUR, 48, 0),
               lambda r, n: (np.sort(T0 + r.integers(0, 40 * kpi.MS_PER_HOUR, n)), r.random(n)),
               _series_feed,
               lambda o: (o.total, o.latest, o.values())),
    "topk": (lambda: kpi.TopK(64),
             lambda r, n: np.array([b"t%d" % i for i in r.zipf(1.5, n) % 50]),
             lambda o, d: o.add_array(d),
             lambda o: (o.total, o.size, o.error_bound, o.top())),
    "topk_id": (lambda: kpi.TopKId(64), lambda r, n: r.zipf(1.5, n) % 60,
                lambda o, d: o.add_array(d),
                lambda o: (o.total, o.size, o.error_bound, o.top())),
    "distinct": (lambda: kpi.Distinct(12), lambda r, n: r.integers(0, 5000, n),
                 lambda o, d: o.add_array(d),
                 lambda o: (o.estimate(), o.is_exact)),
    "group": (lambda: kpi.Group(kpi.frt()),
              lambda r, n: (r.integers(0, 7, n), r.integers(0, 10**6, n)),
              lambda o, d: [o[int(k)].add(int(v)) for k, v in zip(*d)],
              lambda o: ([(k, m.count, m.quantile(0.5)) for k, m in o.items()],
                         o.total().quantile(0.9))),
}


def slices(data, lo, hi):
    if isinstance(data, tuple):
        return tuple(slices(d, lo, hi) for d in data)
    if isinstance(data, np.ndarray) and data.ndim == 2:
        return data[:, lo:hi]
    return data[lo:hi]


def built(name, n=3000, seed=7):
    make, gen, feed, read = CASES[name]
    data = gen(np.random.default_rng(seed), n)
    obj = make()
    feed(obj, data)
    return obj


@pytest.mark.parametrize("name", sorted(CASES))
def test_merge_equals_one_stream(name):
    make, gen, feed, read = CASES[name]
    n = 3000
    data = gen(np.random.default_rng(11), n)
    whole, a, b = make(), make(), make()
    feed(whole, data)
    if name == "series":  # shards of one time range: interleaved events
        idx = np.arange(n)
        feed(a, tuple(d[idx % 2 == 0] for d in data))
        feed(b, tuple(d[idx % 2 == 1] for d in data))
    else:
        feed(a, slices(data, 0, n // 3))
        feed(b, slices(data, n // 3, n))
    merged = a + b
    assert flat(read(merged)) == pytest.approx(flat(read(whole)), rel=1e-9)
    a += b
    assert flat(read(a)) == pytest.approx(flat(read(whole)), rel=1e-9)
    if name != "series":  # the source of a merge is unchanged
        b2 = make()
        feed(b2, slices(data, n // 3, n))
        assert flat(read(b)) == flat(read(b2))


@pytest.mark.parametrize("name", sorted(CASES))
def test_bytes_pickle_copy_round_trip(name):
    read = CASES[name][3]
    obj = built(name)
    want = flat(read(obj))
    data = bytes(obj)
    assert data[:4] == b"kpiS"
    assert data == obj.to_bytes()
    back = type(obj).from_bytes(data)
    assert flat(read(back)) == want
    assert flat(read(kpi.from_bytes(bytearray(data)))) == want
    assert flat(read(pickle.loads(pickle.dumps(obj)))) == want
    c = copy.deepcopy(obj)
    assert flat(read(c)) == want
    assert bytes(copy.copy(obj)) == data


@pytest.mark.parametrize("name", sorted(CASES))
def test_copy_is_independent_and_reset_empties(name):
    make, gen, feed, read = CASES[name]
    obj = built(name)
    before = bytes(obj)
    c = obj.copy()
    c.reset()
    assert bytes(obj) == before
    assert bytes(c) == bytes(make())


def _build_part(args):
    name, seed = args
    return built(name, n=2000, seed=seed)


@pytest.fixture(scope="module")
def pool():
    ctx = multiprocessing.get_context("spawn")  # fresh interpreters: nothing shared
    with ctx.Pool(2) as p:
        yield p


@pytest.mark.parametrize("name", sorted(CASES))
def test_pickle_across_a_process_pool(pool, name):
    read = CASES[name][3]
    parts = pool.map(_build_part, [(name, s) for s in (1, 2, 3)])
    local = [built(name, n=2000, seed=s) for s in (1, 2, 3)]
    for remote, here in zip(parts, local):
        assert bytes(remote) == bytes(here)
    assert flat(read(sum(parts))) == pytest.approx(flat(read(sum(local))), rel=1e-12)
    # and back out to the workers
    echoed = pool.map(bytes, parts)
    assert echoed == [bytes(p) for p in parts]


def test_merge_refuses_other_types_and_configurations():
    a, b = kpi.nps(), kpi.csat()
    a.add(9)
    with pytest.raises(kpi.KpiIncompatibleError) as e:
        a.merge(b)
    assert e.value.code == -5 and a.count == 1
    with pytest.raises(TypeError):
        a.merge(kpi.Rate())
    with pytest.raises(TypeError):
        a + 1


def test_bad_bytes_raise_the_right_codes():
    s = kpi.nps()
    s.add_array([1, 9, 10])
    good = bytes(s)
    with pytest.raises(kpi.KpiCorruptError) as e:
        kpi.Score.from_bytes(b"not a state at all")
    assert e.value.code == _lib.ERR_CORRUPT and e.value.name == "KPI_ERR_CORRUPT"
    flipped = bytearray(good)
    flipped[-6] ^= 0x40
    with pytest.raises(kpi.KpiCorruptError):
        kpi.Score.from_bytes(flipped)
    with pytest.raises(kpi.KpiTruncatedError) as e:
        kpi.Score.from_bytes(good[:-3])
    assert e.value.code == _lib.ERR_TRUNCATED
    with pytest.raises(kpi.KpiTypeError) as e:
        kpi.Rate.from_bytes(good)
    assert e.value.code == _lib.ERR_TYPE
    newer = bytearray(good)
    newer[4] = 99
    with pytest.raises(kpi.KpiVersionError):
        kpi.Score.from_bytes(newer)
    with pytest.raises(kpi.KpiTypeError):
        kpi.from_bytes(with_crc(good[:6] + b"\xff\x7f" + good[8:]))


def test_close_context_manager_and_finalizer_free_once():
    freed = []
    real = _lib.C.kpi_rate_free

    def spy(p):
        freed.append(p)
        real(p)

    _lib.C.kpi_rate_free = spy
    try:
        with kpi.Rate() as r:
            r.add(True)
            h = r._h
        assert freed == [h] and r.closed
        with pytest.raises(ValueError):
            r.share()
        r.close()  # twice is harmless
        assert freed == [h]
        r2 = kpi.Rate()
        h2 = r2._h
        ref = weakref.ref(r2)
        del r2
        gc.collect()
        assert ref() is None and freed == [h, h2]
    finally:
        del _lib.C.kpi_rate_free


def test_sum_and_repr():
    parts = [kpi.nps() for _ in range(3)]
    for i, p in enumerate(parts):
        p.add(i)
    total = sum(parts)
    assert total.count == 3 and all(p.count == 1 for p in parts)
    assert repr(total) == "<kpi.Score 0..10 n=3>"
    total.close()
    assert repr(total) == "<kpi.Score closed>"


def test_estimate_is_a_named_tuple():
    r = kpi.Rate()
    r.add_counts(3, 4)
    e = r.share()
    value, low, high, n = e
    assert (e.value, e.n) == (0.75, 4) and low < value < high
    assert not math.isnan(e.low)


def test_configuration_objects_do_not_merge():
    cal = kpi.Calendar()
    with pytest.raises(TypeError):
        cal.merge(cal.copy())
    with pytest.raises(TypeError):
        cal.reset()


def test_a_view_of_a_closed_owner_is_closed_and_its_repr_says_so():
    # a view's owner closed: every use raises ValueError ("this Engine is
    # closed"), so the view is closed too; repr() raised that ValueError
    # (in a traceback, a log line, a list's repr) and .closed said False
    e = kpi.Engine()
    e.created(1000, 1)
    e.assigned(1500, 1, 5)
    e.agent_reply(2000, 1, 5)  # FRT 500 ms by agent 5
    frt, by_agent = e.metric("frt"), e.group("frt", "agent")
    member = by_agent[5]
    assert repr(frt) == "<kpi.Duration view of engine frt n=1 accuracy=0.01>"
    assert not frt.closed and not member.closed
    e.close()
    for view, name in ((frt, "Duration"), (by_agent, "Group"), (member, "Duration")):
        assert view.closed
        assert repr(view) == f"<kpi.{name} closed>"
        with pytest.raises(ValueError):
            view.count if name == "Duration" else len(view)
    g = kpi.Group(kpi.Rate())
    m = g[1]
    g.close()
    assert m.closed and repr(m) == "<kpi.Rate closed>"


def test_an_object_freed_at_interpreter_exit_is_closed_not_used():
    # weakref.finalize frees every live object at exit, before the atexit
    # handlers registered before it (LIFO) run; such a handler, or a
    # __del__ during shutdown, that reads the object called C on the freed
    # pointer (use after free: here kpi_rate_share saw freed memory); the
    # object must read as closed and raise ValueError, with no C call on it
    # (and still be freed at exit, once)
    code = textwrap.dedent('''
        import atexit
        def report():  # registered first, so it runs after the finalizers
            print("freed once", freed == [h])
            print("closed", r.closed)
            try:
                r.share()
            except ValueError as e:
                print("ValueError", type(e).__name__)
        atexit.register(report)
        import kpi
        from kpi import _lib
        freed = []
        real_free, real_share = _lib.C.kpi_rate_free, _lib.C.kpi_rate_share
        def free_spy(p):
            freed.append(p)
            real_free(p)
        def share_spy(p, out):
            if p in freed:
                print("kpi_rate_share on a freed object")
            return real_share(p, out)
        _lib.C.kpi_rate_free, _lib.C.kpi_rate_share = free_spy, share_spy
        r = kpi.Rate()
        r.add(1)
        h = r._h
    ''')
    env = dict(os.environ, PYTHONPATH=os.path.dirname(os.path.dirname(kpi.__file__)))
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         env=env, timeout=60)
    assert out.returncode == 0, out.stderr
    assert out.stdout.split("\n") == ["freed once True", "closed True", "ValueError ValueError", ""]


def test_a_double_argument_refuses_an_int_beyond_doubles_and_text():
    # a C double argument was handed to ctypes as given: an int beyond the
    # double range (10**400 > DBL_MAX, about 1.8e308) and text raised
    # ctypes.ArgumentError ("argument 2: TypeError: wrong type"), neither a
    # KpiError nor a TypeError, where the README promises KpiRangeError for
    # an integer a C argument cannot hold (and bulk arrays refuse text with
    # TypeError); the objects stay as they were
    from fractions import Fraction
    np = pytest.importorskip("numpy")
    m, r, s, c, d = kpi.Mean(), kpi.Ratio(), kpi.Series(1000, 4), kpi.Customers(), kpi.frt()
    m.add(1.5)
    d.add(5)
    objs = (m, r, s, c, d)
    before = [bytes(o) for o in objs]
    calls = (m.add, lambda v: m.add(1.0, v), lambda v: m.set_cuts(v, 1.0),
             lambda v: m.iqs_add(v, 1.0), lambda v: r.add(v, 1.0), lambda v: s.add(0, v),
             lambda v: s.set_forecast(2, v, 0.1, 0.1), c.add_revenue, c.set_margin,
             d.quantile, kpi.Duration, lambda v: kpi.erlang_traffic(v, 1.0, 1.0),
             lambda v: kpi.erlang_c_agents(v, 1.0, 1.0, 0.8),
             lambda v: kpi.staffing_headcount(10, v))
    for call in calls:
        with pytest.raises(kpi.KpiRangeError):
            call(10**400)
        with pytest.raises(TypeError):
            call("0.5")
        with pytest.raises(TypeError):
            call([0.5])
    assert [bytes(o) for o in objs] == before
    # what ctypes took still works: ints, numpy scalars, fractions
    m.add(2**70)
    m.add(np.float32(0.5))
    m.add(Fraction(1, 4))
    assert m.count == 4 and m.max == 2.0**70 and m.min == 0.25
    assert d.quantile(np.float64(0.5)) == d.quantile(Fraction(1, 2))


def test_a_closed_object_refuses_empty_batches_too():
    # README: using a closed object raises ValueError; these calls return
    # before their first C call when given nothing to do, so on a closed
    # object (or a view of a closed group) they succeeded without a word
    np = pytest.importorskip("numpy")
    t, d, e, g = kpi.TopK(), kpi.frt(), kpi.Engine(), kpi.Group(kpi.TopK())
    member = g[1]
    for obj in (t, d, e, g):
        obj.close()
    for topk in (t, member):
        for empty in ([], (), np.array([], dtype="S3"), np.array([], dtype=object)):
            with pytest.raises(ValueError, match="closed"):
                topk.add_array(empty)
    with pytest.raises(ValueError, match="closed"):
        d.quantiles([])
    with pytest.raises(ValueError, match="closed"):
        e.set_names("topic", {})


def test_the_start_of_a_state_is_truncated_for_from_bytes_as_in_c():
    # kpi.from_bytes read the header in Python and called every input of
    # under 4 bytes "no libkpi magic" (KpiCorruptError), where the library
    # compares the magic as far as the bytes go (docs/format.md): b"" and
    # b"kp", the start of a state cut short, are KpiTruncatedError there
    # (Score.from_bytes), and only bytes that differ from it are corrupt
    for data in (b"", b"k", b"kp", b"kpi", b"kpiS", bytes(kpi.nps())[:15]):
        for from_bytes in (kpi.from_bytes, kpi.Score.from_bytes):
            with pytest.raises(kpi.KpiTruncatedError):
                from_bytes(data)
    for data in (b"x", b"kx", b"kpI", b"kpiX" + bytes(12)):
        for from_bytes in (kpi.from_bytes, kpi.Score.from_bytes):
            with pytest.raises(kpi.KpiCorruptError):
                from_bytes(data)


def crc32c(data):
    """CRC-32C (Castagnoli, reflected 0x82F63B78), as docs/format.md."""
    crc = 0xFFFFFFFF
    for byte in data:
        crc ^= byte
        for _ in range(8):
            crc = (crc >> 1) ^ (0x82F63B78 if crc & 1 else 0)
    return crc ^ 0xFFFFFFFF


def with_crc(state):
    """A state with its trailing CRC-32C made right again."""
    body = bytes(state[:-4])
    return body + crc32c(body).to_bytes(4, "little")


def test_from_bytes_of_an_unknown_type_checks_what_the_library_checks_first():
    # kpi.from_bytes called every state whose type tag it does not know
    # KpiTypeError, before the checks docs/format.md puts first (version,
    # length, CRC-32C, then the tag), so a state damaged in its tag read
    # as "unknown type tag" instead of KpiCorruptError, a newer format's
    # state as KpiTypeError instead of KpiVersionError, a cut one instead
    # of KpiTruncatedError; Score.from_bytes of the same bytes (the
    # library) said CORRUPT, VERSION and TRUNCATED
    good = bytes(kpi.nps())
    assert good[4:8] == b"\x01\x00\x02\x00"  # version 1, tag 2 (score)
    assert with_crc(good) == good  # the test's CRC is the library's
    unknown = good[:6] + (999).to_bytes(2, "little") + good[8:]  # CRC of tag 2
    cases = [
        (unknown, kpi.KpiCorruptError),                        # CRC fails
        (unknown[:-3], kpi.KpiTruncatedError),                 # cut short
        (with_crc(unknown[:4] + b"\x00\x00" + unknown[6:]), kpi.KpiCorruptError),  # version 0
        (with_crc(unknown[:4] + b"\x03\x00" + unknown[6:]), kpi.KpiVersionError),  # newer
        (with_crc(unknown) + b"\x00", kpi.KpiCorruptError),     # trailing byte
        (with_crc(unknown), kpi.KpiTypeError),                 # a sound state of type 999
    ]
    for data, error in cases:
        with pytest.raises(error) as info:
            kpi.from_bytes(data)
        assert type(info.value) is error
        # the same code as the library gives for those bytes
        with pytest.raises(kpi.KpiError) as lib:
            kpi.Score.from_bytes(data)
        if error is not kpi.KpiTypeError:
            assert info.value.code == lib.value.code
    with pytest.raises(kpi.KpiTypeError, match="unknown type tag 999"):
        kpi.from_bytes(with_crc(unknown))
