"""Bulk paths: correctly typed contiguous arrays reach C without a copy
(checked on the pointer passed), other arrays are converted with range
checks, and the buffer-protocol path works without numpy."""

import array
import ctypes

import pytest

import kpi
from kpi import _buffers, _lib

np = pytest.importorskip("numpy")


@pytest.fixture
def spy(monkeypatch):
    """spy(name) -> list of the argument tuples of each call to C function name."""
    def install(name):
        real = getattr(_lib.C, name)
        calls = []

        def record(*args):
            calls.append(args)
            return real(*args)
        monkeypatch.setattr(_lib.C, name, record)
        return calls
    return install


def addr(a):
    return a.ctypes.data


def test_correct_dtypes_are_passed_in_place(spy, rng):
    cases = [
        (kpi.nps(), "kpi_score_add_array", [rng.integers(0, 11, 100, dtype=np.int32)]),
        (kpi.Rate(), "kpi_rate_add_array", [rng.random(100) < 0.5]),
        (kpi.Rate(), "kpi_rate_add_array", [rng.integers(0, 2, 100, dtype=np.uint8)]),
        (kpi.Mean(), "kpi_mean_add_array", [rng.random(100)]),
        (kpi.frt(), "kpi_duration_add_array", [rng.integers(0, 10**6, 100)]),
        (kpi.frt(), "kpi_duration_add_array",
         [rng.integers(0, 10**6, 100).astype("timedelta64[ms]")]),
        (kpi.Distinct(), "kpi_distinct_add_array", [rng.integers(-10**9, 10**9, 100)]),
        (kpi.TopKId(), "kpi_topk_id_add_array", [rng.integers(0, 9, 100).astype(np.uint64)]),
        (kpi.Ratio(), "kpi_ratio_add_array", [rng.random(100), rng.random(100) + 1]),
        (kpi.Aht(), "kpi_aht_add_array", [rng.integers(0, 10**5, 100) for _ in range(3)]),
        (kpi.ServiceLevel(20_000), "kpi_service_level_add_array",
         [rng.integers(0, 10**5, 100), rng.integers(0, 2, 100).astype(np.intc)]),
        (kpi.Series(1000, 10), "kpi_series_add_array",
         [np.sort(rng.integers(0, 9000, 100)).astype("datetime64[ms]"), rng.random(100)]),
    ]
    for obj, name, arrays in cases:
        calls = spy(name)
        obj.add_array(*arrays)
        (args,) = calls
        assert list(args[1:1 + len(arrays)]) == [addr(a) for a in arrays], name
        assert args[-1] == 100


def test_pandas_columns_are_passed_in_place(spy, rng):
    pd = pytest.importorskip("pandas")
    df = pd.DataFrame({"answer": rng.integers(0, 11, 1000).astype("int32"),
                       "frt": rng.integers(0, 10**7, 1000)})
    calls = spy("kpi_score_add_array")
    kpi.nps().add_array(df["answer"])
    assert calls[0][1] == addr(df["answer"].to_numpy())
    calls = spy("kpi_duration_add_array")
    kpi.frt().add_array(df["frt"])
    assert calls[0][1] == addr(df["frt"].to_numpy())


def test_buffers_numpy_can_see_are_passed_in_place(spy):
    ints = array.array("i", [1, 5, 9, 10])
    calls = spy("kpi_score_add_array")
    s = kpi.nps()
    s.add_array(memoryview(ints))
    assert calls[0][1] == ints.buffer_info()[0]
    assert s.count == 4


def test_topk_labels_are_used_in_place(spy):
    labels = np.array([b"billing", b"login", b"refund-request"])
    calls = spy("kpi_topk_add_array")
    kpi.TopK().add_array(labels)
    ptrs = (ctypes.c_uint64 * 3).from_address(calls[0][1])
    lens = (ctypes.c_size_t * 3).from_address(calls[0][2])
    w = labels.dtype.itemsize
    assert list(ptrs) == [addr(labels) + i * w for i in range(3)]
    assert list(lens) == [7, 5, 14]


def test_wrong_dtypes_are_converted_with_one_copy(spy, rng):
    answers = rng.integers(0, 11, 1000)  # int64: numpy's default
    calls = spy("kpi_score_add_array")
    a, b = kpi.nps(), kpi.nps()
    a.add_array(answers)
    b.add_array(answers.astype(np.int32))
    assert calls[0][1] != addr(answers) and bytes(a) == bytes(b)
    strided = rng.integers(0, 10**6, 2000)[::2]
    c, d = kpi.frt(), kpi.frt()
    c.add_array(strided)
    d.add_array(np.ascontiguousarray(strided))
    assert bytes(c) == bytes(d)
    swapped = np.arange(50, dtype=">i8")
    e, f = kpi.frt(), kpi.frt()
    e.add_array(swapped)
    f.add_array(np.arange(50))
    assert bytes(e) == bytes(f)
    g, h = kpi.Mean(), kpi.Mean()
    g.add_array(np.arange(10, dtype=np.int16))
    h.add_array(np.arange(10, dtype=np.float64))
    assert bytes(g) == bytes(h)


def test_conversion_refusals():
    s = kpi.nps()
    with pytest.raises(kpi.KpiRangeError) as e:
        s.add_array(np.array([3, 2**31]))
    assert e.value.code == _lib.ERR_RANGE
    with pytest.raises(TypeError):
        s.add_array(np.array([1.0]))
    with pytest.raises(TypeError):
        s.add_array(np.array(["1"]))
    with pytest.raises(ValueError):
        s.add_array(np.zeros((2, 2), dtype=np.int32))
    with pytest.raises(TypeError):
        s.add_array(5)
    s.add_array(np.array([], dtype=np.int32))
    s.add_array([])
    assert s.count == 0


def test_without_numpy(monkeypatch, spy):
    monkeypatch.setattr(_buffers, "numpy", None)
    monkeypatch.setattr(kpi._counting, "numpy", None)
    ints = array.array("i", [1, 2, 9])
    calls = spy("kpi_score_add_array")
    s = kpi.nps()
    s.add_array(ints)  # writable buffer of int32: in place
    assert calls[0][1] == ints.buffer_info()[0]
    s.add_array([10, 0])  # a list: copied
    s.add_array(array.array("q", [7]))  # int64 items: converted
    s.add_array(memoryview(bytes(array.array("i", [8]))).cast("i"))  # read-only: copied
    assert s.distribution == {0: 1, 1: 1, 2: 1, 3: 0, 4: 0, 5: 0, 6: 0, 7: 1, 8: 1, 9: 1, 10: 1}
    with pytest.raises(kpi.KpiRangeError):
        s.add_array([1, 2**40])
    with pytest.raises(TypeError):
        s.add_array([1.5])
    d = kpi.Distinct()
    d.add_array([-1, 2**64 - 1, 5])  # ids: the same bits
    assert d.estimate().value == 2
    r = kpi.Rate()
    r.add_array([True, False, True])
    assert r.successes == 2
    series = kpi.Series(1000, 4)
    series.add_array([0, 1500, 3100], [1.0, 2.0, 4.0])
    assert series.values() == (0, [1.0, 2.0, 0.0, 4.0])
    t = kpi.TopK()
    t.add_array(["a", "b", "a"])
    assert t.top(1)[0] == kpi.TopEntry("a", 2, 2, 2)
    g = kpi.Group(kpi.Rate())
    g[3].add(True)
    assert g.keys() == [3]


def test_coarse_time_units_whose_milliseconds_overflow_are_refused():
    # 18446744073709552 s is (2**64 + 384) / 1000 s (2**64 = 18446744073709551616):
    # in ms it is 2**64 + 384, past INT64_MAX (9223372036854775807), and
    # numpy's cast to timedelta64[ms] wraps it to 384 ms without a word
    huge = 18_446_744_073_709_552
    assert huge * 1000 == 2**64 + 384
    d = kpi.frt()
    with pytest.raises(kpi.KpiRangeError):
        d.add_array(np.array([5, huge], dtype="m8[s]"))
    assert d.count == 0 and bytes(d) == bytes(kpi.frt())
    # the same as timestamps: (2**64 + 1704067200384) / 1000 s after the
    # epoch wraps to 2024-01-01T00:00:00.384
    s = kpi.Series(kpi.MS_PER_DAY, 4, origin_ms=0)
    when = (2**64 + 1_704_067_200_384) // 1000
    assert when * 1000 == 2**64 + 1_704_067_200_384
    with pytest.raises(kpi.KpiRangeError):
        s.add_array(np.array([when], dtype="M8[s]"))
    assert bytes(s) == bytes(kpi.Series(kpi.MS_PER_DAY, 4, origin_ms=0))
    # what fits is converted exactly: 5 s and INT64_MAX // 1000 s
    d.add_array(np.array([5], dtype=">m8[s]"))
    big = kpi.frt()
    big.add_array(np.array([(2**63 - 1) // 1000], dtype="m8[s]"))
    assert d.sum == 5000 and big.sum == 9_223_372_036_854_775_000
    # NaT is no overflow: it reaches C as before (a negative duration there)
    with pytest.raises(kpi.KpiRangeError):
        kpi.frt().add_array(np.array(["NaT"], dtype="m8[s]"))


def test_finer_time_units_are_rounded_down_to_ms():
    # numpy's cast to [ms] rounds toward minus infinity, as to_ms() does
    # for a datetime: -1500 us is -2 ms (not -1, as truncation toward zero
    # would give), 1500 us is 1 ms; the series of 1 ms periods shows which
    fed = kpi.Series(1, 8)
    fed.add_array(np.array([-1500, 1500], dtype="M8[us]"))
    floor, trunc = kpi.Series(1, 8), kpi.Series(1, 8)
    for t in (-2, 1):
        floor.add(t)
    for t in (-1, 1):
        trunc.add(t)
    assert bytes(fed) == bytes(floor) != bytes(trunc)


def test_masked_values_are_refused_not_counted():
    # numpy.asarray drops a masked array's mask: CSAT answers [5, 5, 1]
    # with the 1 masked (no answer) were counted as 3 answers, satisfied
    # 2 / 3, where the answers given are 2, satisfied 2 / 2 = 1.0
    ma = np.ma.array([5, 5, 1], mask=[False, False, True], dtype=np.int32)
    labels = np.ma.array([b"a", b"b"], mask=[False, True])
    calls = [
        (kpi.csat(), lambda o, a: o.add_array(a), ma),
        (kpi.csat(), lambda o, a: o.add_array(a, threads=2), ma),
        (kpi.TopKId(), lambda o, a: o.add_array(a), ma.astype(np.int8)),
        (kpi.TopKId(), lambda o, a: o.add_array(a), ma.astype(np.int64)),
        (kpi.Duration(), lambda o, a: o.add_array(a), ma.astype(np.int64)),
        (kpi.TopK(), lambda o, a: o.add_array(a), labels),
        (kpi.TopK(), lambda o, a: o.add_array(a), labels.astype(object)),
        (kpi.Series(1000, 3), lambda o, a: o.add_array([1000, 2000, 3000], a),
         ma.astype(float)),
    ]
    for obj, call, a in calls:
        before = bytes(obj)
        with pytest.raises(TypeError, match="masked"):
            call(obj, a)
        assert bytes(obj) == before
    events = kpi.events(2)
    events["kind"] = kpi.EVENT_CREATED
    events["ticket"] = [1, 2]
    events["time_ms"] = 1000
    masked_events = np.ma.masked_array(events)
    masked_events["ticket"][1] = np.ma.masked
    with pytest.raises(TypeError, match="masked"):
        kpi.Engine().apply(masked_events)
    with pytest.raises(TypeError, match="masked"):
        kpi.to_events({"time_ms": [1000, 2000], "kind": ["created"] * 2,
                       "ticket": np.ma.array([1, 2], mask=[False, True])})
    # a masked array without masked values is an array like any other
    s = kpi.csat()
    s.add_array(np.ma.array([5, 5, 1], dtype=np.int32))
    assert s.count == 3
    # compressed, the answers given: 2 of 2 satisfied
    s = kpi.csat()
    s.add_array(ma.compressed())
    assert s.csat().value == 1.0 and s.count == 2


def test_multiples_of_finer_units_are_converted_exactly_or_refused():
    # a unit that is a multiple of a finer one (1500 us, 999 us, 1 s as
    # 10**9 ns) is converted by numpy as value x numerator / denominator of
    # its ratio to 1 ms, the product taken in int64 first, so that it wraps
    # around without a word: 2**62 x [1500 us] became -2305843009213693952
    # ms, though 2**62 x 1.5 = 6917529027641081856 ms fits in int64
    q = 2**62  # 4611686018427387904
    d = kpi.frt()
    d.add_array(np.array([q], dtype="m8[1500us]"))
    assert d.sum == 6_917_529_027_641_081_856 == q * 3 // 2
    # floor(2**62 x 0.999) = 4611686018427387904 - 4611686018427387.904
    d = kpi.frt()
    d.add_array(np.array([q], dtype="m8[999us]"))
    assert d.sum == 4_607_074_332_408_960_516 == q * 999 // 1000
    # rounded down as every finer unit: -3 x 1.5 ms = -4.5 -> -5 ms;
    # 3 x 1.5 = 4.5 -> 4; -1 x 0.999 = -0.999 -> -1; NaT stays NaT
    ev = kpi.to_events({"time_ms": np.array([q, -3, 3, "NaT"], dtype="M8[1500us]"),
                        "kind": ["created"] * 4, "ticket": [1, 2, 3, 4]})
    assert ev["time_ms"][:3].tolist() == [6_917_529_027_641_081_856, -5, 4]
    assert ev["time_ms"][3] == np.iinfo(np.int64).min
    ev = kpi.to_events({"time_ms": np.array([-1], dtype="M8[999us]")})
    assert ev["time_ms"].tolist() == [-1]
    # milliseconds past int64 are refused, the object unchanged:
    # 2**62 x 2 ms = 2**63 > INT64_MAX, 2**62 s (as ns) = 2**62 x 1000 ms
    for dtype in ("m8[2000us]", "m8[1000000000ns]"):
        d = kpi.frt()
        with pytest.raises(kpi.KpiRangeError):
            d.add_array(np.array([5, q], dtype=dtype))
        assert d.count == 0 and bytes(d) == bytes(kpi.frt())
    # the library's NaT: as before, a negative duration there
    with pytest.raises(kpi.KpiRangeError):
        kpi.frt().add_array(np.array(["NaT"], dtype="m8[1500us]"))


def test_finer_units_next_to_the_smallest_int64_round_down_not_wrap():
    # numpy's cast of a finer unit to [ms] rounds down as (v - (d - 1)) / d
    # (d = 10**6 for ns), which wraps for the d - 2 values just above
    # INT64_MIN (NaT): pandas' Timedelta.min and Timestamp.min are
    # -9223372036854775807 ns, and numpy made them +9223372036853 ms, so a
    # negative duration was recorded as 292 years and 1677 read as 2262
    lowest = -2**63 + 1  # -9223372036854775807
    # floor(-9223372036854775807 / 10**6) = floor(-9223372036854.775807)
    d = kpi.frt()
    with pytest.raises(kpi.KpiRangeError):  # -9223372036855 ms: negative
        d.add_array(np.array([5, lowest], dtype="m8[ns]"))
    assert d.count == 0 and bytes(d) == bytes(kpi.frt())
    times = np.array([lowest, -2**63 + 999_998, -2**63 + 999_999, 1_500_000, "NaT"],
                     dtype="M8[ns]")
    ev = kpi.to_events({"time_ms": times})
    # floor(-9223372036853775810 / 10**6) = floor(-9223372036853.77581):
    # -9223372036854 for both neighbours of the last wrapped value
    assert ev["time_ms"].tolist() == [-9_223_372_036_855, -9_223_372_036_854,
                                      -9_223_372_036_854, 1, -2**63]
    # [us]: floor(-9223372036854775807 / 1000) = -9223372036854776
    ev = kpi.to_events({"time_ms": np.array([lowest], dtype="M8[us]")})
    assert ev["time_ms"].tolist() == [-9_223_372_036_854_776]
    # a series of days: the 1677 time lands in its day (1677-09-21), not
    # in 2262
    s = kpi.Series(kpi.MS_PER_DAY, 4, origin_ms=0)
    s.add_array(np.array([lowest], dtype="M8[ns]"))
    assert s.latest <= -9_223_372_036_855 < s.latest + kpi.MS_PER_DAY


def test_pandas_nullable_columns_are_their_values_or_refused_with_missing_values():
    # pandas' nullable dtypes: numpy.asarray makes an Int32 column an object
    # array, which no bulk call took ("cannot use a object array"); without
    # missing values a column is its values: CSAT [5, 4, 1] of 1..5 is 2 of
    # 3 satisfied (4 and 5), FRT 1000, 2000, 3000 ms is 3 values summing to
    # 6000 ms, as numpy's own int32 / int64 arrays give
    pd = pytest.importorskip("pandas")
    s, ref = kpi.csat(), kpi.csat()
    s.add_array(pd.Series([5, 4, 1], dtype="Int32"))
    ref.add_array(np.array([5, 4, 1], dtype=np.int32))
    assert bytes(s) == bytes(ref) and s.count == 3
    d, dref = kpi.Duration(), kpi.Duration()
    d.add_array(pd.array([1000, 2000, 3000], dtype="Int64"))
    dref.add_array(np.array([1000, 2000, 3000], dtype=np.int64))
    assert bytes(d) == bytes(dref)
    r = kpi.Rate()
    r.add_array(pd.Series([True, False, True], dtype="boolean"))
    assert r.share().value == 2 / 3
    m = kpi.Mean()
    m.add_array(pd.Series([1.5, 2.5], dtype="Float64"))
    assert m.mean == 2.0 and m.count == 2
    # a missing value (pd.NA) is refused whole, as a masked value is
    for obj, col in ((s, pd.Series([5, None], dtype="Int32")),
                     (d, pd.array([1000, None], dtype="Int64")),
                     (r, pd.Series([True, None], dtype="boolean"))):
        before = bytes(obj)
        with pytest.raises(TypeError, match="missing values"):
            obj.add_array(col)
        assert bytes(obj) == before
    # a DataFrame of nullable columns feeds the engine as the plain one
    df = pd.DataFrame({"kind": ["created", "resolved"],
                       "ticket": pd.Series([7, 7], dtype="Int64"),
                       "time_ms": pd.Series([1000, 2000], dtype="Int64")})
    plain = pd.DataFrame({"kind": ["created", "resolved"], "ticket": [7, 7],
                          "time_ms": [1000, 2000]})
    assert kpi.to_events(df).tobytes() == kpi.to_events(plain).tobytes()
    df.loc[1, "ticket"] = pd.NA
    with pytest.raises(TypeError, match="'ticket'.*missing values"):
        kpi.to_events(df)
