"""More edge cases of the package, each checked against what the rest of
the package does with the same input or against values written by hand."""

import pytest

import kpi

np = pytest.importorskip("numpy")


# -- TopK.add_array takes one 1-D column, as every bulk call --------------------
def test_topk_add_array_refuses_what_is_not_one_column():
    pd = pytest.importorskip("pandas")
    df = pd.DataFrame({"topic": ["billing", "login", "billing"]})
    labels = np.array([["billing", "login"], ["billing", "refund"]])
    t = kpi.TopK(10)
    # a DataFrame iterates its column names: it counted one label "topic"
    with pytest.raises(ValueError, match="1-D"):
        t.add_array(df)
    # 2-D arrays of every kind were flattened, which no other bulk call does
    for two_d in (labels, labels.astype("S"), labels.astype(object), df.values):
        with pytest.raises(ValueError, match="1-D"):
            t.add_array(two_d)
    with pytest.raises(ValueError, match="1-D"):
        kpi.nps().add_array(np.ones((2, 2), dtype=np.int32))  # as the others
    assert t.total == 0 and t.size == 0
    # the column itself (and each 1-D form of it) is counted
    for column in (df["topic"], df["topic"].to_numpy(), df["topic"].to_numpy().astype("S"),
                   list(df["topic"])):
        one = kpi.TopK(10)
        one.add_array(column)
        assert one.top(decode=True) == [kpi.TopEntry("billing", 2, 2, 2),
                                        kpi.TopEntry("login", 1, 1, 1)]


# -- without numpy: buffers whose format states its byte order --------------------
def _without_numpy(monkeypatch):
    for module in (kpi._buffers, kpi._engine, kpi._counting):
        monkeypatch.setattr(module, "numpy", None)


def _ctypes_array(ctype, values):
    return (ctype * len(values))(*values)


def test_without_numpy_buffers_of_an_explicit_byte_order_are_read_as_numbers(monkeypatch):
    import ctypes
    answers = [9, 10, 0, 7, 3]
    durations = [0, 1, 999, 60_000, 2**40]
    singles = {}
    for make, values in ((kpi.nps, answers), (kpi.frt, durations), (kpi.Mean, [0.5, 1.25])):
        obj = make()
        for v in values:
            obj.add(v)
        singles[make] = bytes(obj)
    _without_numpy(monkeypatch)
    # ctypes arrays state their byte order ('<h', '>i'; '<l' of 8 bytes):
    # memoryview.tolist() raised NotImplementedError for every one that was
    # not already the C type, where the README converts any other buffer
    cases = [
        (kpi.nps, answers, ctypes.c_int16), (kpi.nps, answers, ctypes.c_uint8),
        (kpi.nps, answers, ctypes.c_int64), (kpi.nps, answers, ctypes.c_long),
        (kpi.nps, answers, ctypes.c_int32.__ctype_be__),
        (kpi.nps, answers, ctypes.c_uint16.__ctype_be__),
        (kpi.frt, durations, ctypes.c_int64.__ctype_be__),
        (kpi.frt, durations, ctypes.c_uint64),
        (kpi.Mean, [0.5, 1.25], ctypes.c_float), (kpi.Mean, [0.5, 1.25], ctypes.c_double.__ctype_be__),
    ]
    for make, values, ctype in cases:
        data = _ctypes_array(ctype, values)
        assert memoryview(data).format[0] in "<>", ctype
        obj = make()
        obj.add_array(data)
        assert bytes(obj) == singles[make], ctype
        wide = _ctypes_array(ctype, [x for v in values for x in (v, 0)])
        obj = make()
        obj.add_array(memoryview(wide)[::2])  # strided: read the same way
        assert bytes(obj) == singles[make], ctype
    # out of range as ever, the object unchanged
    s = kpi.nps()
    with pytest.raises(kpi.KpiRangeError):
        s.add_array(_ctypes_array(ctypes.c_int64.__ctype_be__, [1, 2**40]))
    with pytest.raises(kpi.KpiRangeError):
        s.add_array(_ctypes_array(ctypes.c_int16, [1, -1]))
    # records and characters are no numbers; a scalar is no array
    class Pair(ctypes.Structure):
        _fields_ = [("a", ctypes.c_int32), ("b", ctypes.c_int32)]
    for bad in ((Pair * 2)(), ctypes.create_string_buffer(b"\x01\x02"), ctypes.c_int16(3)):
        with pytest.raises(TypeError):
            s.add_array(bad)
    assert s.count == 0


# -- to_events: a column is the field's shape, never broadcast ---------------------
def _two_creations(dtype):
    a = np.zeros(2, dtype=dtype)
    a["time_ms"], a["ticket"], a["kind"] = [1000, 2000], [1, 2], kpi.EVENT_CREATED
    return a


def test_to_events_takes_no_reserved_column_of_another_shape():
    # a structured array whose 'reserved' is one u4, not the record's pair:
    # numpy broadcast [0, 5] over both records' pairs, so record 0 (reserved
    # 0, valid) was refused as record 0 and nothing applied, where record 0
    # holds 0 and only record 1 is wrong
    one = np.dtype([("time_ms", "i8"), ("ticket", "u8"), ("kind", "u4"), ("reserved", "u4")])
    log = _two_creations(one)
    log["reserved"] = [0, 5]
    e = kpi.Engine()
    with pytest.raises(ValueError, match="reserved") as info:
        e.apply(log)
    assert not isinstance(info.value, kpi.KpiError)
    assert e.count("events") == 0
    for columns in ({"time_ms": [1000, 2000], "ticket": [1, 2], "kind": ["created"] * 2,
                     "reserved": [0, 0]},
                    {"time_ms": [1000, 2000], "ticket": [1, 2], "kind": [1, 1],
                     "reserved": np.zeros((2, 1), dtype=np.uint32)},
                    {"time_ms": [1000, 2000], "ticket": [1, 2], "kind": [1, 1],
                     "reserved": np.zeros((2, 3), dtype=np.uint32)}):
        with pytest.raises(ValueError, match="reserved"):
            kpi.to_events(columns)
    # the record's own shape: the pairs as given, the bad record named
    pairs = np.dtype([("time_ms", "i8"), ("ticket", "u8"), ("kind", "u4"),
                      ("reserved", "u4", (2,))])
    log = _two_creations(pairs)
    log["reserved"][1] = [0, 5]
    with pytest.raises(kpi.KpiInvalidError) as info:
        e.apply(log)
    assert info.value.index == 1
    assert e.count("created") == 1 and e.ticket_status(1) == kpi.STATUS_NEW
    assert kpi.to_events({"reserved": [[0, 0]], "kind": ["created"]})["kind"][0] == 1


# -- configuration objects do not merge, sum() included ----------------------------
def test_configuration_objects_do_not_sum():
    cal = kpi.Calendar("CET-1CEST,M3.5.0,M10.5.0/3")
    cal.add_hours(1, 9 * 60, 17 * 60)  # Monday
    policy = kpi.SlaPolicy(cal)
    for config in (cal, policy):
        before = bytes(config)
        # sum([config]) and 0 + config returned a copy, though config + config,
        # config += x and merge() raise TypeError: a calendar merges with nothing
        for merged in (lambda: sum([config]), lambda: 0 + config, lambda: config + config,
                       lambda: config.merge(config.copy())):
            with pytest.raises(TypeError, match="configuration"):
                merged()
        assert bytes(config) == before
    # accumulators sum as before
    parts = [kpi.nps(), kpi.nps()]
    parts[0].add(10)
    parts[1].add(0)
    assert sum(parts).count == 2 and (0 + parts[0]).count == 1


# -- a merge of an object into itself ----------------------------------------------
def _fed_objects(rng):
    s = kpi.nps()
    s.add_array(rng.integers(0, 11, 200))
    r = kpi.Rate()
    r.add_array(rng.integers(0, 2, 200))
    m = kpi.sentiment()
    m.add_array(rng.random(200) * 2 - 1)
    ratio = kpi.cost_per_resolution()
    ratio.add_array(rng.random(20) * 100, rng.random(20) + 1)
    d = kpi.frt(targets=[60_000])
    d.add_array(rng.integers(0, 10**6, 200))
    aht = kpi.Aht()
    aht.add_array(*(rng.integers(0, 10**5, 20) for _ in range(3)))
    sl = kpi.ServiceLevel(20_000, 5_000)
    sl.add_array(rng.integers(0, 60_000, 50), rng.integers(0, 2, 50).astype(np.intc))
    sl.add_unserved(1)
    series = kpi.Series(1000, 8)
    series.add_array(np.sort(rng.integers(0, 8000, 50)), rng.random(50))
    topk = kpi.TopK(4)
    topk.add_array(np.array([b"a", b"b", b"c", b"d", b"e", b"f"])[rng.integers(0, 6, 100)])
    topk_id = kpi.TopKId(4)
    topk_id.add_array(rng.integers(0, 9, 100))
    distinct = kpi.Distinct(4)
    distinct.add_array(rng.integers(0, 10**6, 1000))
    customers = kpi.Customers()
    customers.set_start(10)
    customers.add_new(3)
    customers.add_offered(9)
    customers.add_unserved(kpi.UNSERVED_ABANDONED, 2)
    journey = kpi.Journey(5, 1000)
    journey.touch(1, 1, 0)
    journey.resolve(1, 10)  # no journey open: it merges with itself
    group = kpi.Group(kpi.Group(kpi.Rate()))
    for k, k2, v in zip(rng.integers(0, 3, 30), rng.integers(0, 3, 30), rng.integers(0, 2, 30)):
        group[int(k)][int(k2)].add(int(v))
    return [s, r, m, ratio, d, aht, sl, series, topk, topk_id, distinct, customers, journey,
            group]


def test_an_object_merged_into_itself_equals_one_merged_with_its_copy(rng):
    # every merge but the engine's and an open journey's takes src == dst
    # (the headers: "may equal dst"); through `a += a` and merge(a) too
    for obj in _fed_objects(rng):
        want = obj.copy()
        want += obj.copy()
        obj += obj
        assert bytes(obj) == bytes(want), type(obj).__name__
        obj.merge(obj)
        want.merge(want.copy())
        assert bytes(obj) == bytes(want), type(obj).__name__
    # a group's member into itself, through the group's view
    g = kpi.Group(kpi.frt())
    g[7].add_array(rng.integers(0, 10**6, 100))
    want = g[7].copy()
    want += g[7].copy()
    g[7] += g[7]
    assert bytes(g[7]) == bytes(want)


def test_an_engine_or_open_journey_merged_into_itself_is_refused_unchanged():
    e = kpi.Engine()
    e.created(1000, 1, customer=5)
    e.agent_reply(2000, 1, 100)
    before = bytes(e)
    with pytest.raises(kpi.KpiInvalidError) as info:
        e += e  # kpi_engine_merge: KPI_ERR_INVALID on dst == src
    assert info.value.code == kpi._lib.ERR_INVALID and "kpi_engine_merge" in str(info.value)
    assert bytes(e) == before
    with pytest.raises(kpi.KpiDuplicateError):
        e + e  # a copy and the engine: the live ticket is in both
    assert bytes(e) == before
    j = kpi.Journey(5, 1000)
    j.touch(1, 1, 0)
    before = bytes(j)
    with pytest.raises(kpi.KpiStateError):
        j.merge(j)
    assert bytes(j) == before
