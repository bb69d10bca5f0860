"""TopK, TopKId and Distinct against pandas value_counts / exact sets."""

import pytest

import kpi

np = pytest.importorskip("numpy")


def zipf_topics(rng, n, k=40):
    return np.array([b"topic-%02d" % i for i in (rng.zipf(1.3, n) % k)])


def test_topk_exact_while_labels_fit(rng):
    pd = pytest.importorskip("pandas")
    labels = zipf_topics(rng, 30_000)
    tk = kpi.TopK(64)
    tk.add_array(labels)  # 'S' array: label bytes used in place
    counts = pd.Series(labels).value_counts()
    top = tk.top(10, decode=False)
    assert tk.error_bound == 0 and tk.total == labels.size and tk.size == counts.size
    assert [(e.label, e.count) for e in top] == \
        sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))[:10]
    assert all(e.low == e.count == e.high for e in top)
    first = top[0]
    assert tk.estimate(first.label) == (first.count, first.count, first.count)
    assert tk.share(first.label).value == pytest.approx(first.count / labels.size)


def test_topk_bounds_hold_after_evictions(rng):
    pd = pytest.importorskip("pandas")
    labels = zipf_topics(rng, 50_000, k=500)
    tk = kpi.TopK(50)
    tk.add_array(labels)
    true = pd.Series(labels).value_counts()
    assert 0 < tk.error_bound <= labels.size / 50
    for e in tk.top(decode=False):
        assert e.low <= true[e.label] <= e.high
    # every label above N / m is monitored
    monitored = {e.label for e in tk.top(decode=False)}
    assert set(true[true > labels.size / 50].index) <= monitored


def test_topk_label_forms_agree():
    words = ["billing", "login", "billing", "refund", "ünïcode", "billing", "login"]
    by_list, by_u, by_s, one = kpi.TopK(8), kpi.TopK(8), kpi.TopK(8), kpi.TopK(8)
    by_list.add_array(words)
    by_u.add_array(np.array(words))
    by_s.add_array(np.array([w.encode() for w in words]))
    for w in words:
        one.add(w)
    assert bytes(by_list) == bytes(by_u) == bytes(by_s) == bytes(one)
    assert by_list.top(2) == [kpi.TopEntry("billing", 3, 3, 3), kpi.TopEntry("login", 2, 2, 2)]
    one.add(b"\xff\xfe raw", weight=5)
    assert one.top(1)[0].label.encode("utf-8", "surrogateescape") == b"\xff\xfe raw"
    assert one.estimate("\udcff\udcfe raw").count == 5


def test_topk_unicode_arrays_take_labels_read_back_from_raw_bytes():
    # a label of bytes that are not UTF-8 reads back (decode=True) as str
    # with surrogate escapes, which add() and a list take back as the same
    # bytes: a numpy 'U' array of them must count them too, not raise
    raw = kpi.TopK(4)
    raw.add(b"\xff\xfe raw", weight=2)
    raw.add(b"plain")
    labels = [e.label for e in raw.top()]  # ["\udcff\udcfe raw", "plain"]
    assert labels == ["\udcff\udcfe raw", "plain"]
    by_u, by_list = kpi.TopK(4), kpi.TopK(4)
    by_u.add_array(np.array(labels + labels[:1]))
    by_list.add_array(labels + labels[:1])
    # b"\xff\xfe raw" twice, b"plain" once, as bytes
    assert by_u.top(decode=False) == [kpi.TopEntry(b"\xff\xfe raw", 2, 2, 2),
                                      kpi.TopEntry(b"plain", 1, 1, 1)]
    assert bytes(by_u) == bytes(by_list)


def test_topk_errors():
    tk = kpi.TopK(4)
    tk.add("a")
    with pytest.raises(kpi.KpiInvalidError):
        tk.add("")
    with pytest.raises(kpi.KpiRangeError):
        tk.add("x" * 256)
    with pytest.raises(kpi.KpiInvalidError):
        tk.add_array(np.array([b"ok", b""]))  # all or nothing
    with pytest.raises(kpi.KpiUnknownIdError):
        tk.estimate("never")
    assert tk.total == 1
    with pytest.raises(kpi.KpiRangeError):
        kpi.TopK(0)
    with pytest.raises(kpi.KpiIncompatibleError):
        tk.merge(kpi.TopK(5))


def test_topk_id_against_pandas_categoricals(rng):
    pd = pytest.importorskip("pandas")
    topics = pd.Categorical.from_codes(rng.zipf(1.4, 40_000) % 30,
                                       [f"topic-{i}" for i in range(30)])
    tk = kpi.TopKId(64)
    tk.add_array(topics.codes)  # int8 codes: converted to uint64
    counts = pd.Series(topics).value_counts()
    top = [(topics.categories[e.id], e.count) for e in tk.top(5)]
    assert top == list(counts.iloc[:5].items())
    assert tk.total == 40_000 and tk.error_bound == 0
    tk.add(-1, weight=3)  # negative ids are their two's complement
    assert tk.estimate(2**64 - 1).count == 3
    assert tk.share(0).n == 40_003


def test_distinct_exact_then_hll(rng):
    ids = rng.integers(0, 2**63, 200_000)
    small = kpi.Distinct(12)
    small.add_array(ids[:300])
    assert small.is_exact and small.estimate().value == len(set(ids[:300].tolist()))
    d = kpi.Distinct(12)
    d.add_array(np.concatenate([ids, ids[:1000]]))  # duplicates count once
    assert not d.is_exact
    e = d.estimate()
    assert abs(e.value - 200_000) <= 3 * 1.04 / 64 * 200_000
    assert e.low < e.value < e.high and e.n == round(e.value)
    s = kpi.Distinct()
    for email in ("a@x.org", "b@x.org", "a@x.org"):
        s.add_bytes(email)
    assert s.estimate().value == 2
    with pytest.raises(kpi.KpiEmptyError):
        kpi.Distinct().estimate()
    with pytest.raises(kpi.KpiRangeError):
        kpi.Distinct(30)


def _state(tk):
    return bytes(tk), tk.total, tk.size, tk.error_bound, tk.top()


@pytest.mark.parametrize("dtype", ["int32", "uint8", "uint16", "uint32", "bool"])
def test_topk_id_narrow_arrays_count_in_chunks(rng, dtype, monkeypatch):
    from kpi import _lib
    n = 200_000  # four chunks, the last one short
    codes = (rng.zipf(1.3, n) % (2 if dtype == "bool" else 60)).astype(dtype)
    calls = []
    real = _lib.C.kpi_topk_id_add_array

    def record(p, address, m):
        calls.append(m)
        return real(p, address, m)
    monkeypatch.setattr(_lib.C, "kpi_topk_id_add_array", record)
    tk = kpi.TopKId(100)
    tk.add_array(codes)
    assert calls == [65536, 65536, 65536, n - 3 * 65536]
    counts = np.bincount(codes.astype(np.int64))
    want = sorted(((int(c), i) for i, c in enumerate(counts) if c), key=lambda t: (-t[0], t[1]))
    assert [(e.count, e.id) for e in tk.top()] == want
    assert all(e.low == e.count == e.high for e in tk.top())
    assert tk.total == n and tk.error_bound == 0
    # the same reads as the uint64 array in one call, as a strided view,
    # and as a pandas column
    ref = kpi.TopKId(100)
    ref.add_array(codes.astype(np.uint64))
    assert tk.top() == ref.top() and tk.total == ref.total
    strided = kpi.TopKId(100)
    strided.add_array(np.repeat(codes, 2)[::2])
    assert strided.top() == ref.top()
    pd = pytest.importorskip("pandas")
    col = kpi.TopKId(100)
    col.add_array(pd.Series(codes))
    assert col.top() == ref.top()


def _record_calls(monkeypatch, name):
    """The (address, n) of each call of the C function `name` (a batch
    call taking an object, a buffer and a length), which still runs."""
    from kpi import _lib
    calls = []
    real = getattr(_lib.C, name)

    def record(p, address, m):
        calls.append((address, m))
        return real(p, address, m)
    monkeypatch.setattr(_lib.C, name, record)
    return calls


def _codes_whole(monkeypatch, name, codes, capacity):
    """codes (-1 every 97th) into a TopKId(capacity): one call of the C
    function `name` on their own buffer, read as their int64 ids are
    (returned: the object and the reference)."""
    calls = _record_calls(monkeypatch, name)
    tk = kpi.TopKId(capacity)
    tk.add_array(codes)
    assert calls == [(codes.ctypes.data, len(codes))]  # no copy
    ref = kpi.TopKId(capacity)
    ref.add_array(codes.astype(np.int64))
    assert tk.top() == ref.top() and tk.total == ref.total == len(codes)
    assert tk.estimate(2**64 - 1).count == len(codes[::97])
    return tk, ref


def _two_threads_and_too_small(codes, capacity, ref):
    """codes in two threads into a TopKId(capacity) read as ref; and the
    codes and their int64 ids each into a TopKId(8) (returned)."""
    two = kpi.TopKId(capacity)
    two.add_array(codes, threads=2)
    assert two.top() == ref.top()
    small, small_ref = kpi.TopKId(8), kpi.TopKId(8)
    small.add_array(codes)
    small_ref.add_array(codes.astype(np.int64))
    return small, small_ref


def test_topk_id_int8_codes_go_whole_to_add_codes(rng, monkeypatch):
    # pandas' categorical codes (int8, -1 missing): one kpi_topk_id_add_codes
    # call on the array's own buffer, the same reads as the ids as uint64
    n = 200_000
    codes = (rng.zipf(1.3, n) % 60).astype(np.int8)
    codes[::97] = -1
    tk, ref = _codes_whole(monkeypatch, "kpi_topk_id_add_codes", codes, 100)
    for form in (np.repeat(codes, 2)[::2], codes.tolist()):  # strided, a list
        other = kpi.TopKId(100)
        other.add_array(form)
        assert other.top() == ref.top()
    pd = pytest.importorskip("pandas")
    cat = pd.Categorical.from_codes(codes, [f"t{i}" for i in range(60)])
    col = kpi.TopKId(100)
    col.add_array(pd.Series(cat).cat.codes)
    assert col.top() == ref.top()
    # too many codes for the summary: one at a time, as add_array takes
    # the ids (the same bytes)
    small = _two_threads_and_too_small(codes, 100, ref)
    assert bytes(small[0]) == bytes(small[1])


def test_topk_id_int16_codes_go_whole_to_add_codes16(rng, monkeypatch):
    # pandas' categorical codes for 128 to 32,767 categories (int16, -1
    # missing): one kpi_topk_id_add_codes16 call on the array's own
    # buffer, the same reads as the ids as int64
    n = 200_000
    codes = (rng.zipf(1.3, n) % 300).astype(np.int16)
    codes[::97] = -1
    codes[5] = 32767
    tk, ref = _codes_whole(monkeypatch, "kpi_topk_id_add_codes16", codes, 1000)
    assert tk.estimate(32767).count == 1
    counts = {}
    for c in codes.tolist():
        counts[c % 2**64] = counts.get(c % 2**64, 0) + 1
    assert {e.id: e.count for e in tk.top()} == counts
    for form in (np.repeat(codes, 2)[::2], codes.byteswap().view(codes.dtype.newbyteorder()),
                 codes.tolist()):  # strided, big-endian, a list
        other = kpi.TopKId(1000)
        other.add_array(form)
        assert other.top() == ref.top()
    pd = pytest.importorskip("pandas")
    cat = pd.Categorical.from_codes(np.where(codes == 32767, 0, codes),
                                    [f"t{i}" for i in range(300)])
    assert pd.Series(cat).cat.codes.dtype == np.int16
    col, col_ref = kpi.TopKId(1000), kpi.TopKId(1000)
    col.add_array(pd.Series(cat).cat.codes)
    col_ref.add_array(pd.Series(cat).cat.codes.astype(np.int64))
    assert col.top() == col_ref.top()
    # too many codes for the summary: one at a time (the same reads); a
    # total that would wrap: refused whole
    small = _two_threads_and_too_small(codes, 1000, ref)
    assert small[0].top() == small[1].top()
    full = kpi.TopKId(8)
    full.add(2, weight=2**64 - 100_000)
    before = _state(full)
    with pytest.raises(kpi.KpiOverflowError):
        full.add_array(codes[:100_000])
    assert _state(full) == before


def test_topk_id_narrow_arrays_negative_ids_are_twos_complement():
    # as for add(-1) and int64 arrays: the same 64-bit pattern
    codes = np.array([-1, 3, -1, -128, 3, -1] * 20_000, dtype=np.int8)
    tk, ref = kpi.TopKId(8), kpi.TopKId(8)
    tk.add_array(codes)
    ref.add_array(codes.astype(np.int64))  # viewed as uint64, no copy
    assert tk.top() == ref.top()
    assert tk.estimate(2**64 - 1).count == 60_000
    assert tk.estimate(2**64 - 128).count == 20_000


def test_topk_id_narrow_array_all_or_nothing():
    tk = kpi.TopKId(8)
    tk.add(2, weight=2**64 - 100_000)
    before = _state(tk)
    codes = np.zeros(150_000, dtype=np.int32)  # the first chunk would fit
    with pytest.raises(kpi.KpiOverflowError):
        tk.add_array(codes)
    assert _state(tk) == before
    tk.add_array(codes[:99_999])  # what fits goes in
    assert tk.total == 2**64 - 1
    with pytest.raises(TypeError):
        tk.add_array(np.zeros(10, dtype=np.float32))
    empty = kpi.TopKId(8)
    empty.add_array(np.zeros(0, dtype=np.int8))
    assert empty.total == 0


def _label_calls(monkeypatch):
    """Record the sizes of kpi_topk_add_array calls, with chunks of 1,000."""
    from kpi import _counting, _lib
    monkeypatch.setattr(_counting, "_LABEL_CHUNK", 1000)
    calls = []
    real = _lib.C.kpi_topk_add_array

    def record(p, ptrs, lens, m):
        calls.append(m)
        return real(p, ptrs, lens, m)
    monkeypatch.setattr(_lib.C, "kpi_topk_add_array", record)
    return calls


@pytest.mark.parametrize("threads", [None, 2])
def test_topk_label_arrays_in_chunks_read_like_one_call(rng, monkeypatch, threads):
    from kpi import _base
    monkeypatch.setattr(_base, "MIN_PARALLEL_ITEMS", 1)
    # chunks of full-width labels only, of padded ones only, and mixed
    full = np.array([b"topic-%02d" % i for i in rng.zipf(1.3, 3000) % 50])
    short = np.array([b"t%d" % i for i in rng.zipf(1.3, 2000) % 9], dtype="S8")
    labels = np.concatenate([full, short, full[:500], short[:700], full[500:1700]])
    singles = kpi.TopK(100)
    for b in labels:
        singles.add(bytes(b))
    ref = kpi.TopK(100)
    ref.add_array(labels[:10])  # below a chunk: one call
    ref.add_array(labels[10:])
    calls = _label_calls(monkeypatch)
    tk = kpi.TopK(100)
    tk.add_array(labels, threads=threads)
    assert len(calls) >= labels.size // 1000 and max(calls) == 1000
    assert sum(calls) == labels.size
    assert tk.top(decode=False) == singles.top(decode=False)
    assert (tk.total, tk.size, tk.error_bound) == (labels.size, 59, 0)
    assert tk.top(decode=False) == ref.top(decode=False)
    # lossy: once labels are evicted, chunks still read as one call
    lossy, one = kpi.TopK(20), kpi.TopK(20)
    lossy.add_array(labels)
    for b in labels:
        one.add(bytes(b))
    assert lossy.top(decode=False) == one.top(decode=False)
    assert lossy.error_bound == one.error_bound > 0


def test_topk_label_arrays_in_chunks_all_or_nothing(monkeypatch):
    calls = _label_calls(monkeypatch)
    ok = np.array([b"billing", b"login", b"refund!!"] * 1000)
    tk = kpi.TopK(8)
    tk.add("seed")
    before = _state(tk)
    # an empty label in the last chunk: refused by the one-call way, whole
    bad = ok.copy()
    bad[-1] = b""
    with pytest.raises(kpi.KpiInvalidError):
        tk.add_array(bad)
    assert _state(tk) == before and calls == [3000]
    # a label whose first byte is NUL is not empty: counted, as one call would
    odd = ok.copy()
    odd[2500] = b"\x00x"
    calls.clear()
    tk.add_array(odd)
    assert calls == [3000] and tk.estimate(b"\x00x").count == 1
    assert tk.estimate(b"login").count == 999  # odd[2500] was a login
    # a total that would overflow: refused whole, nothing added
    big = kpi.TopK(8)
    big.add("seed", weight=2**64 - 2500)
    before = _state(big)
    calls.clear()
    with pytest.raises(kpi.KpiOverflowError):
        big.add_array(ok)
    assert _state(big) == before and calls == [3000]
    # labels longer than the inline 24 bytes may allocate: one call
    long = np.array([b"a-rather-long-topic-label-%d" % (i % 5) for i in range(2500)])
    calls.clear()
    lt = kpi.TopK(8)
    lt.add_array(long)
    assert calls == [2500] and lt.estimate(b"a-rather-long-topic-label-3").count == 500
    # without an error, an array of several chunks goes in chunks
    calls.clear()
    tk.add_array(ok)
    assert calls == [1000, 1000, 1000]


def _object_column(rng, n, k):
    """An object column of k topics as pandas makes it: each label one str
    object, repeated (numpy fancy indexing), some repeated topics also as a
    second, equal str object."""
    names = np.array([f"topic-{i:03d}" for i in range(k)], dtype=object)
    col = names[rng.zipf(1.3, n) % k]
    twin = "".join(["topic-", "001"])  # equal to names[1], another object
    assert twin == names[1] and twin is not names[1]
    col[::97] = twin
    return col


def _singles(capacity, labels):
    one = kpi.TopK(capacity)
    for x in labels:
        one.add(x)
    return one


def _reads(tk):
    return tk.total, tk.size, tk.error_bound, tk.top(decode=False)


def _object_calls(monkeypatch):
    """Record the sizes of the identity count's calls (chunks of 1,000)."""
    from kpi import _counting
    monkeypatch.setattr(_counting, "_OBJ_CHUNK", 1000)
    calls, real = [], _counting._pointer_ids

    def record(p, address, m):
        calls.append(m)
        return real(p, address, m)

    monkeypatch.setattr(_counting, "_pointer_ids", record)
    return calls


def test_topk_object_columns_count_by_identity_and_read_as_singles(rng, monkeypatch):
    pd = pytest.importorskip("pandas")
    calls = _object_calls(monkeypatch)
    col = _object_column(rng, 20_000, 50)
    col[5] = "ünïcode"  # UTF-8, as add() encodes it
    col[6] = b"\xff raw bytes"
    tk = kpi.TopK(100)
    tk.add("seed")
    tk.add_array(col)
    assert calls == [1000] * 20  # counted by identity, in chunks
    one = _singles(100, ["seed"] + list(col))
    assert _reads(tk) == _reads(one) and tk.error_bound == 0
    assert tk.estimate("topic-001").count == sum(1 for x in col if x == "topic-001")
    assert tk.estimate(b"\xff raw bytes").count == 1
    # a pandas Series (or Index) of objects takes the same way
    calls.clear()
    by_series = kpi.TopK(100)
    by_series.add("seed")
    by_series.add_array(pd.Series(col))
    assert calls == [1000] * 20 and _reads(by_series) == _reads(one)
    # and the top ten are pandas' own value_counts
    counts = pd.Series(col[7:]).value_counts()
    top = kpi.TopK(100)
    top.add_array(col[7:])
    assert [(e.label, e.count) for e in top.top(10)] == \
        sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))[:10]


def test_topk_object_columns_fall_back_where_identity_cannot_serve(rng, monkeypatch):
    from kpi import _counting
    calls = _object_calls(monkeypatch)
    # more distinct objects than the identity count holds: counted as before
    monkeypatch.setattr(_counting, "_OBJ_DISTINCT", 64)
    many = np.array([f"label-{i % 300}" for i in range(5000)], dtype=object)
    tk = kpi.TopK(400)
    tk.add_array(many)
    assert calls == [1000]  # gave up after the first chunk
    assert _reads(tk) == _reads(_singles(400, many))
    monkeypatch.setattr(_counting, "_OBJ_DISTINCT", 4096)
    # a summary that would evict (more labels than it holds), or has:
    # the general way, whose evictions are the singles'
    col = _object_column(rng, 5000, 50)
    small = kpi.TopK(20)
    small.add_array(col)
    assert small.error_bound > 0 and _reads(small) == _reads(_singles(20, col))
    small.add_array(col[:3000])
    assert _reads(small) == _reads(_singles(20, list(col) + list(col[:3000])))
    # objects that are not labels: refused as the general way refuses them,
    # nothing changed
    for bad, error in ((None, TypeError), ("", kpi.KpiInvalidError),
                       ("x" * 256, kpi.KpiRangeError)):
        tk = kpi.TopK(100)
        tk.add("seed")
        before = _state(tk)
        mixed = col.copy()
        mixed[4321] = bad
        with pytest.raises(error):
            tk.add_array(mixed)
        assert _state(tk) == before
    # a total that would overflow: refused whole
    big = kpi.TopK(100)
    big.add("seed", weight=2**64 - 100)
    before = _state(big)
    with pytest.raises(kpi.KpiOverflowError):
        big.add_array(col)
    assert _state(big) == before


def test_topk_object_column_leaves_its_copy_closed_and_the_object_usable(rng):
    col = _object_column(rng, 3000, 30)
    tk = kpi.TopK(100)
    for _ in range(3):
        tk.add_array(col)
    assert tk.total == 9000 and tk.top(1)[0].count % 3 == 0
    back = kpi.TopK.from_bytes(bytes(tk))
    assert _reads(back) == _reads(tk)
    tk.close()
    assert back.total == 9000


def _fresh_label(text):
    """A str object of its own (not interned, not shared)."""
    return "".join([text[:1], text[1:]])


def test_topk_object_columns_never_read_an_object_replaced_meanwhile(rng, monkeypatch):
    """The C count reads the column's pointers without the GIL, and the GIL
    can change hands between the package's calls: an element replaced by
    another thread meanwhile must never be read through its old pointer
    (its object may be freed).  Such a column takes the general way, which
    counts what the column holds then."""
    from kpi import _counting
    col = _object_column(rng, 5000, 20)
    col[:1000] = _fresh_label("gone-label")  # one object, held by col only
    gone = id(col[0])
    seen, real = [], _counting._pointer_ids

    def count_then_replace(p, address, m):
        real(p, address, m)
        if not seen:  # after the first chunk: "another thread" replaces them
            seen.append(m)
            col[:1000] = _fresh_label("new-label")  # the old object is freed
    monkeypatch.setattr(_counting, "_OBJ_CHUNK", 1000)
    monkeypatch.setattr(_counting, "_pointer_ids", count_then_replace)
    tk = kpi.TopK(100)
    tk.add_array(col)
    assert seen == [1000] and gone not in {id(x) for x in col}
    assert _reads(tk) == _reads(_singles(100, col))
    assert tk.estimate("new-label").count == 1000
    with pytest.raises(kpi.KpiUnknownIdError):
        tk.estimate("gone-label")

    # replaced after its place was found: not confirmed, the general way
    monkeypatch.setattr(_counting, "_pointer_ids", real)
    places = _counting._find_places

    replaced = []

    def find_then_replace(view, wanted):
        found = places(view, wanted)
        for i in found.values():
            col[i] = _fresh_label("late-label")
        replaced.append(len(found))
        return found
    monkeypatch.setattr(_counting, "_find_places", find_then_replace)
    tk = kpi.TopK(100)
    tk.add_array(col)
    assert _reads(tk) == _reads(_singles(100, col))
    assert replaced[0] > 20 and tk.estimate("late-label").count == replaced[0]


def test_topk_object_columns_find_rare_objects_anywhere(rng, monkeypatch):
    """Each distinct object's place is searched from the column's start in
    growing windows: objects first met late, one at the very end, many at
    once and a few at once all read as singles."""
    from kpi import _counting
    monkeypatch.setattr(_counting, "_OBJ_CHUNK", 4096)
    col = _object_column(rng, 60_000, 30)
    col[-1] = _fresh_label("last-one")
    col[30_000:30_040] = np.array([_fresh_label(f"mid-{i:02d}") for i in range(40)],
                                  dtype=object)
    col[50_000] = _fresh_label("late-one")
    tk = kpi.TopK(200)
    tk.add_array(col)
    assert _reads(tk) == _reads(_singles(200, col))
    assert tk.estimate("last-one").count == 1 and tk.estimate("mid-39").count == 1
    view = _counting._pointers(col)
    assert view[-1] == id(col[-1]) and view.size == col.size
    assert _counting._find_places(view, [id(col[-1]) ^ 8]) is None  # not in it


def test_topk_object_columns_take_threads(rng, monkeypatch):
    """threads=2 counts the pointers in two parts at once and merges them;
    the reads are the singles'."""
    from kpi import _base
    monkeypatch.setattr(_base, "MIN_PARALLEL_ITEMS", 1000)
    calls = _object_calls(monkeypatch)
    col = _object_column(rng, 20_000, 50)
    tk = kpi.TopK(100)
    tk.add("seed")
    tk.add_array(col, threads=2)
    assert sorted(calls) == [1000] * 20  # ten chunks in each part
    assert _reads(tk) == _reads(_singles(100, ["seed"] + list(col)))
    # more distinct objects than the parts together may hold: the general way
    from kpi import _counting
    monkeypatch.setattr(_counting, "_OBJ_DISTINCT", 40)
    tk = kpi.TopK(100)
    tk.add_array(col, threads=2)
    assert _reads(tk) == _reads(_singles(100, col))


def test_topk_object_columns_without_a_gil_count_by_identity_too(rng, monkeypatch):
    """No object is read through a counted pointer, so the identity count
    needs no GIL: a free-threaded CPython takes it too."""
    import sys
    from kpi import _counting
    col = _object_column(rng, 2000, 20)
    monkeypatch.setattr(sys, "_is_gil_enabled", lambda: False, raising=False)
    assert _counting._object_array(col) is not None
    calls = _object_calls(monkeypatch)
    tk = kpi.TopK(100)
    tk.add_array(col)
    assert calls == [1000, 1000]
    assert _reads(tk) == _reads(_singles(100, col))


def two_entry_summaries():
    """A TopK of "a" x 5 and "b" x 2, a TopKId of 7 x 5 and 8 x 2."""
    t, ti = kpi.TopK(4), kpi.TopKId(4)
    t.add("a", 5)
    t.add("b", 2)
    ti.add(7, 5)
    ti.add(8, 2)
    return t, ti


def test_entry_rank_beyond_size_t_is_refused_not_wrapped():
    # ranks are size_t: ctypes kept the low 64 bits of a larger int, so
    # entry(2**64) read rank 0 ("a", count 5) and entry(2**64 + 1) rank 1,
    # where every rank >= size (2) is KpiRangeError, as entry(2) is
    t, ti = two_entry_summaries()
    assert t.entry(1) == kpi.TopEntry("b", 2, 2, 2)
    for obj in (t, ti):
        for rank in (2, 2**64, 2**64 + 1, -1):
            with pytest.raises(kpi.KpiRangeError) as e:
                obj.entry(rank)
            assert e.value.code == -2


def test_topk_add_array_takes_no_single_label_for_its_labels():
    # add_array(labels) iterated whatever it was given, so add_array("billing")
    # counted the 7 one-letter labels b, i, l, l, i, n, g (total 7, "i" and
    # "l" twice) instead of refusing a str where a sequence of labels is
    # needed (one label is add()'s); bytes were refused only by accident
    # (their items are ints), so they are refused alike, with the same words
    tk = kpi.TopK(8)
    tk.add("billing")
    before = bytes(tk)
    for one in ("billing", b"billing", bytearray(b"billing")):
        with pytest.raises(TypeError, match="one label"):
            tk.add_array(one)
    assert bytes(tk) == before and tk.total == 1
    tk.add_array(["billing"])
    tk.add_array(np.array("billing"))  # a 0-d array holds one label
    assert tk.top() == [kpi.TopEntry("billing", 3, 3, 3)]


def test_top_k_is_a_count_not_truncated_or_negative():
    # top(k) took min(int(k), size): top(1.9) gave 1 entry (a float
    # truncated, where every other count or rank refuses floats with
    # TypeError), top("2") parsed text, and top(-1) gave [] without a word,
    # where entry(-1) is KpiRangeError
    t, ti = two_entry_summaries()
    for obj in (t, ti):
        for k in (1.9, "2", None.__class__):
            with pytest.raises(TypeError):
                obj.top(k)
        with pytest.raises(kpi.KpiRangeError):
            obj.top(-1)
        assert len(obj.top(0)) == 0 and len(obj.top(1)) == 1
        assert len(obj.top(2**70)) == len(obj.top()) == 2
    assert t.top(np.int64(1)) == [kpi.TopEntry("a", 5, 5, 5)]



def _object_column_without_memory_for(monkeypatch, rng, fname):
    """add_array of an object column while the C function fname fails for
    memory (KPI_ERR_NOMEM): it must read as one add per label."""
    from kpi import _lib
    col = _object_column(rng, 5_000, 20)

    def no_memory(*args):
        raise _lib.error_for(_lib.ERR_NOMEM, fname)

    with monkeypatch.context() as m:
        m.setattr(_lib.C, fname, no_memory)
        tk = kpi.TopK(100)
        tk.add_array(col)
    assert _reads(tk) == _reads(_singles(100, list(col)))


def test_topk_object_column_without_memory_for_its_copy_takes_the_general_way(rng, monkeypatch):
    # the identity count adds its labels to a copy of the summary (kept if
    # it never evicted); when that copy could not be allocated
    # (kpi_topk_clone: KPI_ERR_NOMEM) the KpiNoMemError escaped add_array,
    # where every other reason the fast way cannot serve takes the general
    # way, which needs no copy and reads as one add per label
    _object_column_without_memory_for(monkeypatch, rng, "kpi_topk_clone")


def test_topk_object_column_without_memory_for_its_identity_count_takes_the_general_way(
        rng, monkeypatch):
    # the identity count counts the column's pointers in a TopKId of its
    # own (capacity 4,096); when that could not be allocated
    # (kpi_topk_id_new: KPI_ERR_NOMEM) the KpiNoMemError escaped add_array
    # instead of taking the general way, which needs no such object
    _object_column_without_memory_for(monkeypatch, rng, "kpi_topk_id_new")
