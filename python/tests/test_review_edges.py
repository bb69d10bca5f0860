"""Edge cases of the bulk paths, the engine's record arrays, errors and
object lifetime, each checked against the same data fed one value at a
time or against a value computed by hand."""

import array
import pickle

import pytest

import kpi
from kpi import _lib

np = pytest.importorskip("numpy")

from test_engine import TOPICS, T0, new_engine, scenario  # noqa: E402


def fed_singly(make, values, add="add"):
    obj = make()
    for v in values:
        getattr(obj, add)(v)
    return obj


def fed_array(make, data, **kw):
    obj = make()
    obj.add_array(data, **kw)
    return obj


# -- buffers: every layout and dtype gives the singles' state or raises ----------
ANSWERS = [9, 10, 0, 7, 10, 3, 6, 9]  # NPS by hand: 4 promoters, 3 detractors -> 12.5


def test_score_layouts_and_dtypes_equal_singles():
    want = fed_singly(kpi.nps, ANSWERS)
    assert want.nps().value == pytest.approx(100 * (4 - 3) / 8)
    base = np.array(ANSWERS, dtype=np.int32)
    wide = np.zeros(2 * len(ANSWERS), dtype=np.int32)
    wide[::2] = ANSWERS
    rev = base[::-1].copy()
    fortran = np.asfortranarray(np.array([ANSWERS, [1] * len(ANSWERS)], dtype=np.int32))
    ro = base.copy()
    ro.flags.writeable = False
    cases = {
        "strided": wide[::2],
        "reversed view": rev[::-1],
        "fortran row (strided)": fortran[0],
        "int64": base.astype(np.int64),
        "uint64": base.astype(np.uint64),
        "int8": base.astype(np.int8),
        "big-endian i8": base.astype(">i8"),
        "big-endian i4 strided": np.repeat(base.astype(">i4"), 3)[::3],
        "read-only": ro,
        "list": list(ANSWERS),
        "array.array i": array.array("i", ANSWERS),
        "array.array q": array.array("q", ANSWERS),
        "memoryview": memoryview(array.array("i", ANSWERS)),
        "strided memoryview": memoryview(array.array("i", [x for a in ANSWERS for x in (a, 99)]))[::2],
        "bytes": bytes(ANSWERS),
        "bytearray": bytearray(ANSWERS),
    }
    for name, data in cases.items():
        got = fed_array(kpi.nps, data)
        assert bytes(got) == bytes(want), name


def test_score_refusals_raise_and_change_nothing():
    s = fed_singly(kpi.nps, [5])
    before = bytes(s)
    bad = {
        "float": (np.array([9.0, 10.0]), TypeError),
        "object": (np.array([9, 10], dtype=object), TypeError),
        "2-D C": (np.zeros((2, 2), dtype=np.int32), ValueError),
        "transposed": (np.zeros((2, 3), dtype=np.int32).T, ValueError),
        "off the scale": (np.array([3, 11], dtype=np.int32), kpi.KpiRangeError),
        "too wide for int32": (np.array([3, 2**31]), kpi.KpiRangeError),
        "too wide uint64": (np.array([3, 2**63], dtype=np.uint64), kpi.KpiRangeError),
        "list of floats": ([1.0, 2.0], TypeError),
        "str": ("910", TypeError),
    }
    for name, (data, error) in bad.items():
        with pytest.raises(error) as info:
            s.add_array(data)
        if isinstance(info.value, kpi.KpiError):
            assert info.value.code == _lib.ERR_RANGE, name
            assert _lib.strerror(_lib.ERR_RANGE) in str(info.value), name
        assert bytes(s) == before, name
    for empty in (np.array([], dtype=np.int32), np.array([], dtype=np.float64), [],
                  b"", array.array("i"), np.zeros(4, dtype=np.int32)[::5][:0]):
        s.add_array(empty)
        assert bytes(s) == before


DURATIONS = [0, 1, 999, 60_000, 3_600_000, 2**40]


def test_duration_dtypes_equal_singles():
    want = fed_singly(kpi.frt, DURATIONS)
    base = np.array(DURATIONS, dtype=np.int64)
    cases = {
        "int64": base, "big-endian": base.astype(">i8"),
        "strided big-endian": np.repeat(base.astype(">i8"), 2)[::2],
        "uint64": base.astype(np.uint64), "timedelta64[ms]": base.astype("m8[ms]"),
        "list": DURATIONS, "array.array q": array.array("q", DURATIONS),
    }
    for name, data in cases.items():
        assert bytes(fed_array(kpi.frt, data)) == bytes(want), name
    secs = np.array([0, 1, 60], dtype="m8[s]")
    assert bytes(fed_array(kpi.frt, secs)) == bytes(fed_singly(kpi.frt, [0, 1000, 60_000]))


def test_uint64_beyond_int64_is_refused_not_wrapped():
    # 2**63 .. 2**63 + 1024 round to the float 2**63 == float(INT64_MAX): the
    # range check must compare integers, or they wrap to negative int64s
    for v in (2**63, 2**63 + 1000, 2**64 - 1):
        d = fed_singly(kpi.frt, [5])
        before = bytes(d)
        with pytest.raises(kpi.KpiRangeError) as info:
            d.add_array(np.array([7, v], dtype=np.uint64))
        assert info.value.code == _lib.ERR_RANGE
        assert bytes(d) == before
        s = kpi.Series(1000, 4)
        with pytest.raises(kpi.KpiRangeError):
            s.add_array(np.array([v], dtype=np.uint64))
        assert bytes(s) == bytes(kpi.Series(1000, 4))
    # the largest value that fits still goes in
    d = kpi.Duration()
    d.add_array(np.array([2**62], dtype=np.uint64))
    assert d.max == 2**62


def test_rate_and_mean_dtypes_equal_singles():
    outcomes = [True, False, True, True, False]
    want = fed_singly(kpi.Rate, outcomes)
    b = np.array(outcomes)
    for name, data in {"bool": b, "strided bool": np.repeat(b, 2)[::2],
                       "uint8": b.astype(np.uint8), "int64": b.astype(np.int64),
                       "list": outcomes, "bytes": bytes([1, 0, 1, 1, 0])}.items():
        assert bytes(fed_array(kpi.Rate, data)) == bytes(want), name
    r = fed_singly(kpi.Rate, [True])
    before = bytes(r)
    for data in (np.array([1, 2], dtype=np.uint8), np.array([1, 256]), np.array([0.0, 1.0])):
        with pytest.raises((kpi.KpiRangeError, TypeError)):
            r.add_array(data)
        assert bytes(r) == before
    xs = [0.5, -1.25, 3.0, 0.125]  # exact in float32
    m = fed_singly(kpi.Mean, xs)
    f = np.array(xs)
    for name, data in {"float32 exact": f.astype(np.float32), ">f8 strided":
                       np.repeat(f.astype(">f8"), 2)[::2], "list": xs}.items():
        assert bytes(fed_array(kpi.Mean, data)) == bytes(m), name
    m2 = fed_singly(kpi.Mean, [1, 2, 3])
    assert bytes(fed_array(kpi.Mean, np.array([1, 2, 3], dtype=np.int16))) == bytes(m2)
    with pytest.raises(kpi.KpiInvalidError):
        m2.add_array(np.array([1.0, np.nan]))
    assert bytes(m2) == bytes(fed_singly(kpi.Mean, [1, 2, 3]))


def test_ids_two_complement_everywhere():
    ids = [-1, 5, 2**63, -(2**63), 7, 5]
    want_d = fed_singly(kpi.Distinct, ids)
    want_t = fed_singly(kpi.TopKId, ids)
    as_u = [x & (2**64 - 1) for x in ids]
    for name, data in {"uint64": np.array(as_u, dtype=np.uint64),
                       "int64 view": np.array(as_u, dtype=np.uint64).view(np.int64),
                       ">u8 strided": np.repeat(np.array(as_u, dtype=">u8"), 2)[::2],
                       "list": ids}.items():
        assert bytes(fed_array(kpi.Distinct, data)) == bytes(want_d), name
        assert bytes(fed_array(kpi.TopKId, data)) == bytes(want_t), name
    narrow = [-1, 3, 3, -128, 127]
    want = fed_singly(kpi.TopKId, narrow)
    for data in (np.array(narrow, dtype=np.int8), np.repeat(np.array(narrow, ">i2"), 3)[::3]):
        assert bytes(fed_array(kpi.TopKId, data)) == bytes(want)


def test_pair_arrays():
    sl = kpi.ServiceLevel(20_000, 5_000)
    waits, outs = [1000, 30_000, 2000, 40_000], [0, 0, 1, 1]
    for w, o in zip(waits, outs):
        sl.add(w, o)
    got = kpi.ServiceLevel(20_000, 5_000)
    got.add_array(np.array(waits, dtype=">i8"), np.array(outs, dtype=np.int64)[::1])
    assert bytes(got) == bytes(sl)
    before = bytes(got)
    with pytest.raises(ValueError):
        got.add_array(np.array(waits), np.array(outs[:3]))
    with pytest.raises(TypeError):
        got.add_array(np.array(waits, dtype=float), np.array(outs))
    assert bytes(got) == before
    r = kpi.Ratio()
    r.add_array(np.array([], dtype=float), [])
    assert r.count == 0
    r.add_array(np.array([1, 2, 3])[::2], [2.0, 4.0])
    assert (r.numerator, r.denominator, r.value) == (4.0, 6.0, pytest.approx(4 / 6))


# -- labels: only text or bytes are labels ----------------------------------------
def test_numbers_are_not_labels():
    t = kpi.TopK(10)
    t.add("a")
    before = bytes(t)
    for bad in (3, np.int64(3), True, 2.5, None):
        with pytest.raises(TypeError):
            t.add(bad)
        with pytest.raises(TypeError):
            t.add_array([b"x", bad])
        assert bytes(t) == before
    with pytest.raises(TypeError):
        t.add_array(np.array([1, 2, 3]))
    with pytest.raises(TypeError):
        t.add_array(np.array(["a", 3], dtype=object))
    assert bytes(t) == before
    d = kpi.Distinct()
    with pytest.raises(TypeError):
        d.add_bytes(4)
    assert bytes(d) == bytes(kpi.Distinct())
    e = new_engine()
    with pytest.raises(TypeError):
        e.created(T0, 1, topic=5)
    with pytest.raises(TypeError):
        e.set_name("agent", 5, 7)
    # bytes-like labels stay accepted
    t2 = kpi.TopK(10)
    t2.add(bytearray(b"ab"))
    t2.add(memoryview(b"ab"))
    t2.add(np.bytes_(b"ab"))
    t2.add(np.str_("ab"))
    assert t2.top(decode=False) == [kpi.TopEntry(b"ab", 4, 4, 4)]


# -- the engine's structured arrays ------------------------------------------------
def _relaid(log, names, align=True):
    """log's records in a structured array of the fields `names`, in that
    order (align: C's padding, else packed)."""
    dt = np.dtype([(n, kpi.EVENT_DTYPE[n]) for n in names], align=align)
    out = np.zeros(len(log), dt)
    for n in names:
        out[n] = log[n]
    return out


def _reordered(log, align):
    return _relaid(log, list(reversed(kpi.EVENT_DTYPE.names)), align)


def test_other_layouts_are_converted_by_field_name():
    log = scenario(8, seed=21)
    want = new_engine()
    want.apply(log)
    cases = {
        "reordered aligned": _reordered(log, True),
        "reordered packed": _reordered(log, False),
        "big-endian": log.astype(kpi.EVENT_DTYPE.newbyteorder(">")),
        "strided": np.repeat(log, 2)[::2],
        "missing reserved": log[[n for n in log.dtype.names if n != "reserved"]],
        "recarray": log.view(np.recarray),
        "bytes of records": log.tobytes(),
        "memoryview of records": memoryview(log),
    }
    assert cases["reordered aligned"].dtype.itemsize == 64  # same size, other order
    for name, data in cases.items():
        e = new_engine()
        assert e.apply(data) == len(log), name
        assert bytes(e) == bytes(want), name


def _swapped(log):
    """time_ms and ticket swapped: 64 bytes, every field where an int64 or
    uint64 can stand, so its bytes read as EVENT_DTYPE records are
    plausible events of other tickets at other times."""
    names = list(kpi.EVENT_DTYPE.names)
    names[0], names[1] = names[1], names[0]
    return _relaid(log, names)


def test_memoryview_of_another_layout_is_not_reinterpreted():
    log = scenario(8, seed=22)
    want = new_engine()
    want.apply(log)
    for name, other in {"reordered": _reordered(log, True), "packed": _reordered(log, False),
                        "swapped": _swapped(log)}.items():
        e = new_engine()
        try:
            e.apply(memoryview(other))
        except kpi.KpiError as err:  # the library refusing reinterpreted bytes
            pytest.fail(f"{name}: bytes of another layout reached the engine: {err}")
        except (TypeError, ValueError):
            assert e.count("events") == 0, name
        else:
            assert bytes(e) == bytes(want), name


def test_record_arrays_that_cannot_be_events():
    e = new_engine()
    before = bytes(e)
    dt = np.dtype([("time_ms", "f8"), ("kind", "u4"), ("ticket", "u8")])
    with pytest.raises(TypeError):
        e.apply(np.zeros(2, dt))
    with pytest.raises(ValueError):
        e.apply(np.zeros(2, [("time_ms", "i8"), ("when", "i8")]))
    with pytest.raises(kpi.KpiRangeError):
        e.apply({"time_ms": [T0], "kind": ["created"], "ticket": [-1]})
    with pytest.raises(kpi.KpiInvalidError):  # an unknown kind, as in C
        e.apply({"time_ms": [T0], "kind": ["craeted"], "ticket": [1]})
    with pytest.raises(ValueError):
        e.apply(np.zeros((2, 2), kpi.EVENT_DTYPE))
    assert bytes(e) == before
    assert e.apply(kpi.events(0)) == 0 and bytes(e) == before


def test_apply_error_carries_text_code_index_and_keeps_the_prefix():
    e = new_engine()
    log = kpi.to_events({"time_ms": [T0, T0 + 1000, T0 + 500, T0 + 2000],
                         "kind": ["created", "agent_reply", "agent_reply", "resolved"],
                         "ticket": [1, 1, 1, 1], "actor": [9, 5, 5, 5]})
    with pytest.raises(kpi.KpiOrderError) as info:
        e.apply(log)
    err = info.value
    assert err.code == _lib.ERR_ORDER and err.index == 2
    assert _lib.strerror(_lib.ERR_ORDER) in str(err) and "record 2" in str(err)
    only = new_engine()
    only.apply(log[:2])
    assert bytes(e) == bytes(only)
    # the FRT of the two applied records, by hand: 1000 ms
    assert e.duration("frt").sum == 1000 and e.duration("frt").count == 1


def test_single_event_errors_change_nothing():
    e = new_engine()
    e.created(T0, 1, customer=9)
    before = bytes(e)
    calls = [
        (lambda: e.agent_reply(T0 - 1, 1, 5), kpi.KpiOrderError),
        (lambda: e.agent_reply(T0 + 1, 2, 5), kpi.KpiUnknownIdError),
        (lambda: e.created(T0 + 1, 1), kpi.KpiDuplicateError),
        (lambda: e.survey(T0 + 1, 1, "csat", 9), kpi.KpiRangeError),
        (lambda: e.event(time_ms=T0 + 1, kind=99, ticket=1), kpi.KpiError),
    ]
    for call, error in calls:
        with pytest.raises(error) as info:
            call()
        err = info.value
        assert err.strerror == _lib.strerror(err.code) and err.strerror in str(err)
        assert str(err.code) in str(err)
        assert bytes(e) == before


# -- merge, bytes, pickling, lifetime ------------------------------------------------
def test_group_member_augmented_merge():
    g = kpi.Group(kpi.Rate())
    r = kpi.Rate()
    r.add_counts(2, 3)
    g[3] += r  # merges into the member, and must not raise afterwards
    assert (g[3].successes, g[3].trials) == (2, 3)
    g[3] += r
    assert (g[3].successes, g[3].trials) == (4, 6)
    before = bytes(g)
    with pytest.raises(TypeError):
        g[4] = r  # assigning another object is not a merge
    assert bytes(g) == before and 4 not in g


def test_group_member_merge_of_other_configuration_changes_nothing():
    g = kpi.Group(kpi.Duration(0.01))
    g[1].add(5)
    before = bytes(g)
    other = kpi.Duration(0.02)
    other.add(7)
    with pytest.raises(kpi.KpiIncompatibleError) as info:
        g[1] += other
    assert info.value.code == _lib.ERR_INCOMPATIBLE
    assert bytes(g) == before


def test_merge_and_add_of_other_configurations():
    pairs = [(kpi.nps, lambda: kpi.csat(5, 4)), (lambda: kpi.Duration(0.01), lambda: kpi.Duration(0.02)),
             (lambda: kpi.frt([60_000]), lambda: kpi.frt([30_000])),
             (lambda: kpi.TopK(10), lambda: kpi.TopK(11)),
             (lambda: kpi.Distinct(12), lambda: kpi.Distinct(10)),
             (lambda: kpi.Series(1000, 4), lambda: kpi.Series(1000, 5)),
             (lambda: kpi.Engine(), lambda: kpi.Engine(period_ms=3_600_000))]
    for make_a, make_b in pairs:
        a, b = make_a(), make_b()
        before = bytes(a)
        with pytest.raises(kpi.KpiIncompatibleError):
            a + b
        with pytest.raises(kpi.KpiIncompatibleError):
            a.merge(b)
        assert bytes(a) == before


def test_bytes_round_trips_and_bad_bytes():
    objs = [fed_singly(kpi.nps, ANSWERS), fed_singly(kpi.frt, DURATIONS),
            fed_singly(kpi.TopK, ["a", "b", "a"]), kpi.Group(kpi.Group(kpi.Rate()))]
    objs[3][1][2].add(True)
    e = new_engine()
    e.apply(scenario(4, seed=5))
    objs.append(e)
    for o in objs:
        data = bytes(o)
        back = pickle.loads(pickle.dumps(o))
        assert type(back) is type(o) and bytes(back) == data
        assert bytes(kpi.from_bytes(data)) == data
        for cut in (0, 3, 11, len(data) // 2, len(data) - 1):
            with pytest.raises((kpi.KpiTruncatedError, kpi.KpiCorruptError)):
                type(o).from_bytes(data[:cut])
            with pytest.raises((kpi.KpiTruncatedError, kpi.KpiCorruptError)):
                kpi.from_bytes(data[:cut])
        with pytest.raises(kpi.KpiTypeError):
            (kpi.Rate if type(o) is not kpi.Rate else kpi.Mean).from_bytes(data)
    # views pickle as owned objects of the plain class
    v = e.duration("frt")
    back = pickle.loads(pickle.dumps(v))
    assert type(back) is kpi.Duration and bytes(back) == bytes(v)
    back.add(5)  # an owned object
    with pytest.raises(kpi.KpiCorruptError):
        kpi.Score.from_bytes(b"\0" * 40)


def test_use_after_close_raises():
    makers = [kpi.nps, kpi.Rate, kpi.Mean, kpi.frt, kpi.TopK, kpi.Distinct,
              lambda: kpi.Group(kpi.Rate()), kpi.Engine]
    for make in makers:
        o, other = make(), make()
        o.close()
        for call in (lambda: bytes(o), o.copy, lambda: o.footprint, o.reset,
                     lambda: o.merge(other), lambda: other.merge(o), lambda: o + other,
                     lambda: other + o, lambda: pickle.dumps(o)):
            with pytest.raises(ValueError):
                call()
        assert bytes(other) == bytes(make())
        with make() as w:
            pass
        with pytest.raises(ValueError):
            bytes(w)
    s = kpi.nps()
    s.close()
    with pytest.raises(ValueError):
        s.add_array(np.array([1, 2], dtype=np.int32))
    with pytest.raises(ValueError):
        s.add(1)
    g = kpi.Group(kpi.Rate())
    m = g[1]
    g.close()
    with pytest.raises(ValueError):
        m.add(True)
    e = new_engine()
    e.created(T0, 1)
    v = e.volume()
    e.close()
    with pytest.raises(ValueError):
        v.total
    with pytest.raises(ValueError):
        e.apply(kpi.events(1))


# -- threads= ------------------------------------------------------------------
@pytest.mark.parametrize("threads", [2, 3])
def test_threads_on_converted_arrays_equal_threads_none(threads):
    rng = np.random.default_rng(99)
    n = 3 * kpi._base.MIN_PARALLEL_ITEMS + 17
    cases = [
        (kpi.nps, np.repeat(rng.integers(0, 11, n), 2)[::2]),  # int64, strided
        (kpi.frt, rng.integers(0, 10**7, n).astype(">i8")),
        (kpi.Rate, np.repeat(rng.random(n) < 0.3, 3)[::3]),
        (kpi.Mean, rng.integers(-5, 5, n).astype(np.int16)),
        (lambda: kpi.TopKId(16), rng.integers(-4, 4, n).astype(np.int8)[::-1]),
        (lambda: kpi.Distinct(10), rng.integers(-10**6, 10**6, n).astype(">i8")),
        (lambda: kpi.TopK(16), np.array([b"a", b"bb", b"ccc"])[rng.integers(0, 3, n)][::-1]),
    ]
    for make, data in cases:
        one = fed_array(make, data)
        many = fed_array(make, data, threads=threads)
        if isinstance(one, kpi.Mean):
            assert (one.count, one.min, one.max) == (many.count, many.min, many.max)
            assert many.mean == pytest.approx(one.mean, rel=1e-12)
        elif isinstance(one, (kpi.TopK, kpi.TopKId)):
            assert one.top() == many.top()
        else:
            assert bytes(one) == bytes(many), make


def test_without_numpy_records_of_another_layout_are_refused(monkeypatch):
    log = scenario(6, seed=23)
    want = new_engine()
    want.apply(log)
    other = _swapped(log)
    ctypes_records = (kpi.CEvent * len(log)).from_buffer_copy(log.tobytes())
    for module in (kpi._buffers, kpi._engine, kpi._counting):
        monkeypatch.setattr(module, "numpy", None)
    e = new_engine()
    with pytest.raises(TypeError):
        e.apply(memoryview(other))
    assert e.count("events") == 0
    e.apply(memoryview(ctypes_records))  # a buffer of CEvent records: used as is
    assert bytes(e) == bytes(want)


@pytest.mark.parametrize("with_numpy", [True, False])
def test_lists_of_ints_are_ints_and_text_is_not_a_number(monkeypatch, with_numpy):
    if not with_numpy:
        for module in (kpi._buffers, kpi._engine, kpi._counting):
            monkeypatch.setattr(module, "numpy", None)
    # text is not a number, with or without numpy (as for add())
    s = kpi.nps()
    for bad in (["9"], [b"9"], [9, "10"]):
        with pytest.raises(TypeError):
            s.add_array(bad)
    with pytest.raises(TypeError):
        kpi.Mean().add_array(["1.5"])
    assert s.count == 0
    # lists of Python ints whatever numpy would make of them: floats
    # (-1 beside 2**63) or objects (beyond 64 bits)
    ids = [-1, 2**63, 5]
    for make in (kpi.Distinct, kpi.TopKId):
        assert bytes(fed_array(make, ids)) == bytes(fed_singly(make, ids))
    with pytest.raises(kpi.KpiRangeError):
        kpi.Distinct().add_array([1, 2**64])
    with pytest.raises(kpi.KpiRangeError):
        kpi.frt().add_array([1, 2**63])
    with pytest.raises(TypeError):
        kpi.frt().add_array([1, 2.5, 2**63])
    m = kpi.Mean()
    m.add_array([1, 2**70])  # floats, as add() takes them
    assert bytes(m) == bytes(fed_singly(kpi.Mean, [1, 2**70]))


def test_set_names_is_all_or_nothing():
    e = kpi.Engine()
    e.set_name("agent", 1, "Ann")
    before = bytes(e)
    bad = [({2: "Bob", 3: ""}, kpi.KpiInvalidError, _lib.ERR_INVALID),
           ({2: "Bob", 3: "a\0b"}, kpi.KpiInvalidError, _lib.ERR_INVALID),
           ({2: "Bob", 3: "x" * 256}, kpi.KpiRangeError, _lib.ERR_RANGE),
           ({2: "Bob", 3: 7}, TypeError, None),
           ({2: "Bob", 2**64: "Cy"}, kpi.KpiRangeError, _lib.ERR_RANGE)]
    for names, error, code in bad:
        with pytest.raises(error) as info:
            e.set_names("agent", names)
        if code is not None:
            assert info.value.code == code and info.value.strerror in str(info.value)
        assert bytes(e) == before, names
        with pytest.raises(kpi.KpiUnknownIdError):
            e.name("agent", 2)
    for dim in ("all", 9, "nowhere"):  # no dimension of names: unknown selectors
        with pytest.raises(kpi.KpiInvalidError):
            e.set_names(dim, {2: "Bob"})
    e.set_names("agent", {2: "Bob", 3: "x" * 255})  # 255 bytes: the longest
    assert (e.name("agent", 1), e.name("agent", 2), e.name("agent", 3)) == ("Ann", "Bob", "x" * 255)


def test_set_names_says_a_failure_of_memory_keeps_the_names_before_it(monkeypatch):
    # Engine.set_names said "all or nothing": its checks come before the
    # first name is set, but kpi_engine_set_name copies each name (malloc):
    # KPI_ERR_NOMEM on the second of {2: "Bob", 3: "Cy"} leaves Bob set
    # (the library has no call that removes a name, so it cannot be undone)
    e = kpi.Engine()
    real, calls = _lib.C.kpi_engine_set_name, []

    def second_fails(*args):
        calls.append(args)
        if len(calls) == 2:
            raise _lib.error_for(_lib.ERR_NOMEM, "kpi_engine_set_name")
        return real(*args)
    monkeypatch.setattr(_lib.C, "kpi_engine_set_name", second_fails)
    with pytest.raises(kpi.KpiNoMemError):
        e.set_names("agent", {2: "Bob", 3: "Cy"})
    assert e.name("agent", 2) == "Bob"
    with pytest.raises(kpi.KpiUnknownIdError):
        e.name("agent", 3)
    doc = " ".join(kpi.Engine.set_names.__doc__.split())
    assert "all or nothing" not in doc and "KpiNoMemError" in doc


def test_different_objects_on_threads_need_no_lock():
    """README, Threads: different objects need no lock.  Four threads, each
    with its own objects, give what the same work gives run one after
    another (ctypes releases the GIL during the C calls, so they overlap)."""
    import threading

    def work(seed, out):
        rng = np.random.default_rng(seed)
        s, d, t = kpi.nps(), kpi.frt(targets=[60_000]), kpi.TopK(8)
        e = new_engine()
        e.apply(scenario(5, seed=seed))
        for _ in range(10):
            s.add_array(rng.integers(0, 11, 5000))
            d.add_array(rng.integers(0, 10**6, 5000))
            t.add_array(np.array([b"a", b"b", b"c"])[rng.integers(0, 3, 5000)])
            s += kpi.Score.from_bytes(bytes(s))
        out[seed] = (bytes(s), bytes(d), bytes(t), bytes(e))

    alone, together = {}, {}
    for seed in range(4):
        work(seed, alone)
    threads = [threading.Thread(target=work, args=(seed, together)) for seed in range(4)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    assert together == alone


def _misaligned(values, dtype):
    """`values` as a numpy array of `dtype` at an odd address (contiguous)."""
    values = np.asarray(values, dtype=dtype)
    buf = bytearray(values.nbytes + 1)
    memoryview(buf)[1:] = values.tobytes()
    return np.frombuffer(buf, dtype=dtype, offset=1, count=values.size), buf


def test_misaligned_arrays_reach_c_aligned(monkeypatch):
    """Documented: misaligned arrays are converted (one copy); the C
    functions take int32_t/int64_t/double pointers, which must be aligned."""
    seen = []

    def spy(name, align):
        real = getattr(_lib.C, name)

        def record(p, address, *rest):
            seen.append((name, address % align))
            return real(p, address, *rest)
        monkeypatch.setattr(_lib.C, name, record)

    cases = [(kpi.nps, "kpi_score_add_array", np.int32, ANSWERS),
             (kpi.frt, "kpi_duration_add_array", np.int64, DURATIONS),
             (kpi.Mean, "kpi_mean_add_array", np.float64, [0.5, 2.0, -3.0]),
             (kpi.Distinct, "kpi_distinct_add_array", np.uint64, [1, 2**63, 7])]
    for make, name, dtype, values in cases:
        spy(name, np.dtype(dtype).alignment)
        a, keep = _misaligned(values, dtype)
        assert a.flags.c_contiguous and not a.flags.aligned
        got = fed_array(make, a)
        assert seen[-1] == (name, 0), name
        assert bytes(got) == bytes(fed_array(make, np.array(values, dtype=dtype))), name
    # the engine's records
    log = scenario(4, seed=31)
    want = new_engine()
    want.apply(log)
    raw = bytearray(log.nbytes + 1)
    memoryview(raw)[1:] = log.tobytes()
    odd = np.frombuffer(raw, dtype=kpi.EVENT_DTYPE, offset=1)
    assert not odd.flags.aligned
    ev = kpi.to_events(odd)
    assert ev.flags.aligned and ev.ctypes.data % 8 == 0
    e = new_engine()
    e.apply(odd)
    assert bytes(e) == bytes(want)


def test_without_numpy_misaligned_buffers_are_copied(monkeypatch):
    monkeypatch.setattr(kpi._buffers, "numpy", None)
    seen = []
    real = _lib.C.kpi_duration_add_array

    def record(p, address, n):
        seen.append(address % 8)
        return real(p, address, n)
    monkeypatch.setattr(_lib.C, "kpi_duration_add_array", record)
    raw = bytearray(8 * len(DURATIONS) + 1)
    memoryview(raw)[1:] = array.array("q", DURATIONS).tobytes()
    d = kpi.frt()
    d.add_array(memoryview(raw)[1:].cast("q"))
    assert seen == [0] and bytes(d) == bytes(fed_singly(kpi.frt, DURATIONS))


def test_byte_swapped_time_arrays_keep_their_values():
    """'>m8[ms]' / '>M8[ms]' hold the same milliseconds as native ones; read
    as int64 without swapping, 256 ms would be 2**48 ms."""
    ms = [0, 256, 1000, 60_000]
    want = fed_singly(kpi.frt, ms)
    for dt in (">m8[ms]", ">m8[s]", "<m8[ms]"):
        data = np.array(ms, dtype="m8[ms]").astype(dt) if dt != ">m8[s]" else \
            np.array([0, 1, 60], dtype=dt)
        got = fed_array(kpi.frt, data)
        expect = want if dt != ">m8[s]" else fed_singly(kpi.frt, [0, 1000, 60_000])
        assert bytes(got) == bytes(expect), dt
    times = [T0, T0 + 256, T0 + 1000, T0 + 60_000]
    want = kpi.Series(1000, 120, T0)
    for t in times:
        want.add(t)
    for dt in (">M8[ms]", "<M8[ms]"):
        s = kpi.Series(1000, 120, T0)
        s.add_array(np.array(times, dtype="M8[ms]").astype(dt))
        assert bytes(s) == bytes(want), dt
    # strided and swapped together
    sl = kpi.ServiceLevel(20_000)
    sl.add_array(np.repeat(np.array(ms, dtype=">m8[ms]"), 2)[::2], np.zeros(4, dtype=np.intc))
    assert sl.asa == pytest.approx(sum(ms) / 4)


def test_from_bytes_takes_only_bytes_like():
    """An int is no state (bytes(5) would be five zeros): TypeError, as for
    a str or a list, from kpi.from_bytes and a class's from_bytes; a
    memoryview or bytearray of a state works."""
    data = bytes(kpi.frt())
    for bad in (5, "abc", [1, 2, 3]):
        with pytest.raises(TypeError):
            kpi.from_bytes(bad)
        with pytest.raises(TypeError):
            kpi.Duration.from_bytes(bad)
    assert bytes(kpi.from_bytes(memoryview(data))) == data
    assert bytes(kpi.Duration.from_bytes(bytearray(data))) == data
