"""Heavy hitters and distinct counts: TopK (string labels), TopKId (64-bit
ids), Distinct (exact set, then HyperLogLog)."""

import ctypes
import itertools
import numbers
import sys
from collections import namedtuple

from . import _lib
from ._base import KpiObject, read_estimate, register, thread_count
from ._buffers import need_1d, numpy, refuse_masked, uint_array
from ._lib import C

TopEntry = namedtuple("TopEntry", "label count low high")
TopEntry.__doc__ = """One monitored label: its count (an upper bound) and
the bounds [low, high] of its true count (low = count - error, high = count)."""
TopIdEntry = namedtuple("TopIdEntry", "id count low high")
Bounds = namedtuple("Bounds", "count low high")

DEFAULT_CAPACITY = 100

_U64_MAX = (1 << 64) - 1
_ID_CHUNK = 1 << 16  # ids per conversion: 512 KiB of uint64, in L2


def _narrow_int_array(ids):
    """`ids` as a 1-D numpy array of an integer (or bool) type narrower than
    64 bits, or None (no numpy, another type or shape, or empty: those go
    through as_c_array)."""
    if numpy is None:
        return None
    a = ids if isinstance(ids, numpy.ndarray) else None
    if a is None and hasattr(ids, "dtype") and hasattr(ids, "to_numpy"):
        a = ids.to_numpy()  # a pandas Series or Index
    if a is None or a.ndim != 1 or a.size == 0 or a.dtype.kind not in "biu" \
            or a.dtype.itemsize >= 8:
        return None
    return a


def _add_narrow_ids(obj, a, lo, hi):
    """TopKId: ids a[lo:hi] (a narrow integer array) converted
    _ID_CHUNK at a time into one uint64 buffer of this call's own, each
    chunk added to obj (which cannot overflow: the caller checked)."""
    buf = numpy.empty(min(hi - lo, _ID_CHUNK), numpy.uint64)
    address = buf.ctypes.data
    for i in range(lo, hi, _ID_CHUNK):
        part = a[i:min(i + _ID_CHUNK, hi)]
        m = part.size
        numpy.copyto(buf[:m], part, casting="unsafe")
        C.kpi_topk_id_add_array(obj._p, address, m)


# What add_array's threads= gives for TopK and TopKId (their docstrings).
_TOPK_THREADS = """

        ``threads=k`` (an int; None or 1: this thread only) counts k
        contiguous parts of the array at once, each into a fresh summary
        of this capacity, and merges them in: the GIL is released during
        the C calls, so the parts run on k cores.  While the summary holds
        every distinct key (no eviction: error_bound 0) every count and
        read is exactly one call's; only the serialized order of entries
        with equal counts may differ (one stream keeps them as they came,
        a merge sorts them by key).  Once keys are evicted, the merge of
        lossy summaries is not the summary of one stream: its counts
        differ from one call's, but stay within Space-Saving's bounds
        (each count - error <= true count <= count, every key above
        total / capacity monitored).  A refused array raises what one
        call raises and changes nothing."""


def _label_bytes(label):
    """A label as bytes: str is UTF-8 (surrogateescape round-trips any
    bytes read back with decode=True); bytes, bytearray or any buffer of
    bytes as they are.  Anything else (a number: bytes(3) would be three
    NUL bytes, bytes(numpy.int64(3)) its 8 bytes) is a TypeError."""
    if isinstance(label, str):
        return label.encode("utf-8", "surrogateescape")
    if isinstance(label, bytes):
        return bytes(label)
    try:
        mv = memoryview(label)
    except TypeError:
        mv = None
    if mv is None or mv.format not in ("B", "b", "c") or isinstance(label, numbers.Number):
        raise TypeError(f"a label is str or bytes, not {type(label).__name__}")
    return mv.tobytes()


def _top_count(obj, k):
    """How many entries top(k) reads: all for None, else k (an integer,
    TypeError for a float or text; KpiRangeError below 0) up to the size."""
    if k is None:
        return obj.size
    k = _lib._int_in(k, 0, float("inf"), "k")
    return min(k, obj.size)


def _decode(b, decode):
    return b.decode("utf-8", "surrogateescape") if decode else b


def _strip_padding(u8, lens):
    """Lengths of labels held as the rows of u8 (n x itemsize bytes):
    lens (preset to the itemsize) less each row's trailing NUL bytes
    (numpy's own 'S' semantics), found one column at a time from the
    right, stopping at the first column where no label is still in its
    NUL padding."""
    padding = numpy.ones(u8.shape[0], dtype=bool)
    for j in range(u8.shape[1] - 1, -1, -1):
        padding &= u8[:, j] == 0
        if not padding.any():
            break
        lens -= padding


def _fixed_width_labels(a):
    """Pointers and lengths for a numpy 'S' array, without copying the
    label bytes: label i starts at base + i * itemsize; its length is the
    itemsize less trailing NUL bytes."""
    np = numpy
    n, w = a.size, a.dtype.itemsize
    ptrs = np.arange(n, dtype=np.uint64)
    ptrs *= np.uint64(w)
    ptrs += np.uint64(a.ctypes.data)
    lens = np.full(n, w, dtype=np.uintp)
    _strip_padding(a.view(np.uint8).reshape(n, w), lens)
    return ptrs, lens


# labels per kpi_topk_add_array call when an 'S' array is fed in chunks:
# their pointers and lengths (16 bytes a label, 1 MiB) stay in the caches
# between numpy writing them and the library reading them
_LABEL_CHUNK = 1 << 16
# labels of at most this many bytes are stored inline: adding them never
# allocates (kpi/topk.h), so a chunk cannot fail for memory
_LABEL_INLINE = 24


def _chunks_cannot_fail(obj, a):
    """Whether every chunk of the 'S' array a is sure to be accepted, so
    that feeding a in chunks is all or nothing like one call: labels that
    never allocate, none empty (a label is empty only if its first byte is
    NUL: such arrays take the one-call way, which refuses exactly as it
    must), and a total that cannot overflow."""
    w = a.dtype.itemsize
    return (w <= _LABEL_INLINE and a.size <= _U64_MAX - obj.total and
            int(a.view(numpy.uint8).reshape(a.size, w)[:, 0].min()) > 0)


def _add_label_chunks(obj, a, lo, hi):
    """Labels [lo, hi) of the 'S' array a, _LABEL_CHUNK per call, the
    pointer and length buffers reused (a chunk whose labels all fill the
    itemsize, the last byte of none NUL, shares one constant lengths
    buffer)."""
    np = numpy
    w = a.dtype.itemsize
    m = min(hi - lo, _LABEL_CHUNK)
    step = np.arange(m, dtype=np.uint64)
    step *= np.uint64(w)
    ptrs = np.empty(m, dtype=np.uint64)
    full = np.full(m, w, dtype=np.uintp)
    lens = np.empty(m, dtype=np.uintp)
    u8 = a.view(np.uint8).reshape(a.size, w)
    base = a.ctypes.data
    for s in range(lo, hi, m):
        k = min(m, hi - s)
        np.add(step[:k], np.uint64(base + s * w), out=ptrs[:k])
        rows = u8[s:s + k]
        if int(rows[:, w - 1].min()) > 0:
            C.kpi_topk_add_array(obj._p, ptrs.ctypes.data, full.ctypes.data, k)
            continue
        lens[:k] = w
        _strip_padding(rows, lens[:k])
        C.kpi_topk_add_array(obj._p, ptrs.ctypes.data, lens.ctypes.data, k)


# ---- TopK.add_array on a column of Python objects (pandas' object dtype) ----
#
# Such a column is an array of PyObject pointers, and a low-cardinality
# column (topics, channels) holds few distinct objects, each repeated:
# pandas' own readers and numpy's fancy indexing repeat the same object.
# The pointers are counted as 64-bit ids in C (a TopKId: their values only,
# no object is touched), then each distinct pointer is turned back into its
# object without ever dereferencing it: a place i of the column that held
# it is found (numpy), a[i] read (a new reference to whatever object is
# there now) and kept only if id() of it is the pointer.  Another thread
# may replace elements meanwhile (the C count runs without the GIL, and
# the GIL can change hands between any two calls here): an object freed
# since its pointer was counted is then not found or not confirmed, and
# the column takes the general way; a count is never read through a
# pointer to a freed object.  Each object found is encoded once and its
# count added as one weight.  CPython with 64-bit pointers only (an
# object's address is its id()).

_OBJ_DISTINCT = 4096  # distinct objects the identity count may meet
_OBJ_CHUNK = 1 << 18  # pointers per call (2 MiB): an eviction shows a chunk later
_OBJ_FIRST = 1 << 12  # the first window searched for the distinct pointers
_OBJ_FEW = 16         # pointers still sought one comparison pass each


def _pointer_ids(p, address, n):
    """The identity count's C call (a seam for the tests)."""
    C.kpi_topk_id_add_array(p, address, n)


def _object_array(labels):
    """`labels` as a 1-D numpy array of Python objects (a pandas Series or
    Index of objects gives its own), or None for anything else."""
    if numpy is None or sys.implementation.name != "cpython" or \
            ctypes.sizeof(ctypes.c_void_p) != 8:
        return None
    a = labels if isinstance(labels, numpy.ndarray) else None
    if a is None and hasattr(labels, "dtype") and hasattr(labels, "to_numpy"):
        a = labels.to_numpy()
    if a is None or a.dtype != object or a.size == 0:
        return None
    return numpy.ascontiguousarray(a.reshape(-1))


def _pointers(a):
    """The object array a's elements as uint64 pointer values: a view of
    its buffer (no copy, no reference taken), valid while a lives."""
    return numpy.asarray(_Words(a))


class _Words:
    """The pointers of an object array as an __array_interface__ (no
    ctypes array type of its length, a reference cycle per length)."""

    def __init__(self, a):
        self.a = a  # kept alive by the array made over it (its base)
        self.__array_interface__ = {"data": (a.ctypes.data, True), "shape": (a.size,),
                                    "typestr": numpy.dtype(numpy.uint64).str, "version": 3}


def _count_pointer_part(ids, base, lo, hi):
    """Count pointers [lo, hi) at base into the TopKId ids, _OBJ_CHUNK per
    call, stopping at the first chunk after which it has evicted."""
    for s in range(lo, hi, _OBJ_CHUNK):
        _pointer_ids(ids._p, base + 8 * s, min(_OBJ_CHUNK, hi - s))
        if ids.error_bound:
            return


def _find_places(view, wanted):
    """{pointer: a place i with view[i] == pointer} for every pointer of
    `wanted`, searched from the column's start in growing windows (while
    many are sought, one sort of the window finds them all; the last few
    one comparison pass each), or None if one is not in the column."""
    want = set(wanted)
    places = {}
    lo, width, n = 0, _OBJ_FIRST, view.size
    while want and lo < n:
        win = view[lo:lo + width]
        if len(want) > _OBJ_FEW:
            values, first = numpy.unique(win, return_index=True)
            for p, f in zip(values.tolist(), first.tolist()):
                if p in want:
                    places[p] = lo + f
                    want.discard(p)
        else:
            for p in list(want):
                hit = win == numpy.uint64(p)
                f = int(hit.argmax())
                if hit[f]:
                    places[p] = lo + f
                    want.discard(p)
        lo += win.size
        width = min(4 * width, _OBJ_CHUNK)
    return None if want else places


def _count_objects(a, threads=None):
    """{label bytes: count} over the object array a, or None when it holds
    more than _OBJ_DISTINCT distinct objects, an object that is not a
    label, or an element replaced while it was counted (the caller then
    takes the general way, which says why or counts what is there), or
    when the count's own TopKId cannot be allocated."""
    try:
        ids = TopKId(_OBJ_DISTINCT)
    except _lib.KpiNoMemError:  # the general way needs no such object
        return None
    try:
        base, n = a.ctypes.data, a.size
        ids._add_in_parts(n, threads, lambda obj, lo, hi: _count_pointer_part(obj, base, lo, hi),
                          a)
        if ids.error_bound:
            return None  # evicted: more distinct objects than it holds
        pointers = {e.id: e.count for e in ids.top()}
        places = _find_places(_pointers(a), pointers)
        if places is None:
            return None
        counts = {}
        for p, c in pointers.items():
            obj = a[places[p]]  # a reference to what is there now
            if id(obj) != p or not isinstance(obj, (str, bytes)):
                return None
            b = _label_bytes(obj)
            counts[b] = counts.get(b, 0) + c
        return counts
    finally:
        ids.close()


def _add_counted_labels(obj, counts):
    """Add each label of `counts` with its count as weight, all or nothing,
    if that reads exactly as one add per occurrence: on a copy, kept (the
    copy's C object taken over) only if it never evicted.  False, nothing
    changed, when it does not apply, the copy cannot be allocated or a
    label is refused (the general way then refuses it, with its own
    error)."""
    if obj.error_bound or obj._h is None or obj._readonly:
        return False
    try:
        tmp = obj.copy()
    except _lib.KpiError:  # no memory for the copy: the general way needs none
        return False
    try:
        for b, w in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])):
            C.kpi_topk_add(tmp._p, b, len(b), w)
        if tmp.error_bound:
            return False
        obj._take(tmp)
        return True
    except _lib.KpiError:
        return False
    finally:
        tmp.close()


@register
class TopK(KpiObject):
    """Top-k string labels (Space-Saving, `capacity` counters): every label
    whose true count exceeds total / capacity is monitored, and each count
    comes with bounds; exact while there are at most `capacity` distinct
    labels.  Labels are 1..255 bytes; str labels are UTF-8."""

    _prefix, _tag = "topk", 12

    def __init__(self, capacity=DEFAULT_CAPACITY):
        self._new("kpi_topk_new", _lib.u32(capacity, "capacity"))

    def add(self, label, weight=1):
        """Count `weight` occurrences (at least 1) of a label, str (UTF-8) or
        bytes, 1..255 bytes (kpi_topk_add).  KpiInvalidError for an empty
        label, KpiRangeError for a longer one or weight 0, KpiOverflowError
        if the total would overflow, KpiNoMemError; nothing changes on
        failure.  TypeError for a label that is neither text nor bytes."""
        b = _label_bytes(label)
        C.kpi_topk_add(self._p, b, len(b), _lib.u64(weight, "weight"))

    def add_array(self, labels, threads=None):
        """Count each label once, all or nothing.

        `labels` is one column (ValueError for a 2-D array or a
        DataFrame, as in every bulk call).  A numpy fixed-width bytes array (dtype 'S') is used in place: only
        the pointer and length arrays are built (vectorized), for labels
        of at most 24 bytes a chunk at a time into buffers that stay in
        cache (such chunks never allocate: with no empty label the array
        is still all or nothing).  A numpy array of Python objects, or a
        pandas Series or Index of them (pandas' object columns of str),
        is counted in place by object identity in C, in CPython: each
        distinct object is then encoded once and added with its count,
        on a copy that is kept only if it never evicted (so every read is
        one add per label's); a column of more than 4,096 distinct
        objects, a summary that would evict, a copy that cannot be
        allocated, a refused label, or an element another thread
        replaced meanwhile takes the general way.  A numpy unicode array ('U') is encoded to UTF-8
        first (a copy; surrogate escapes as add() takes them); any other sequence of str / bytes is encoded label
        by label in Python (slow for millions: prefer 'S' arrays, or
        TopKId on integer codes).  An object column's identity count
        takes ``threads`` too (its objects are then found and encoded on
        this thread)."""
        thread_count(threads)
        self._p  # closed: ValueError, also for an empty array (no C call)
        if isinstance(labels, (str, bytes, bytearray)):
            # iterated, it would be its letters (or byte values)
            raise TypeError(f"labels: a sequence of labels is needed, not one label "
                            f"({type(labels).__name__}): add() counts one label")
        refuse_masked(labels, "labels")
        # one column (a 0-d array holds one label): a 2-D array is not
        # flattened, as by no other bulk call, nor a DataFrame iterated
        # (that gives its column names)
        if getattr(labels, "ndim", 1) > 1:
            need_1d(labels.ndim, "labels")
        a = _object_array(labels)
        if a is not None:
            counts = _count_objects(a, threads)
            if counts is not None and _add_counted_labels(self, counts):
                return
            labels = a
        if numpy is not None and isinstance(labels, numpy.ndarray) and labels.dtype.kind in "SU":
            a = labels.reshape(-1) if labels.ndim != 1 else labels
            if a.dtype.kind == "U":
                # as _label_bytes encodes a str (labels read back from
                # bytes that are not UTF-8 hold surrogate escapes)
                a = numpy.char.encode(a, "utf-8", "surrogateescape")
            a = numpy.ascontiguousarray(a)
            if a.size == 0:
                return

            if _chunks_cannot_fail(self, a):
                self._add_in_parts(a.size, threads,
                                   lambda obj, lo, hi: _add_label_chunks(obj, a, lo, hi))
                return

            def feed(obj, lo, hi):
                ptrs, lens = _fixed_width_labels(a[lo:hi])
                C.kpi_topk_add_array(obj._p, ptrs.ctypes.data, lens.ctypes.data, hi - lo)

            self._add_in_parts(a.size, threads, feed)
            return
        bs = [_label_bytes(x) for x in labels]
        n = len(bs)
        if n == 0:
            return
        # one blob and two array.arrays, no ctypes array type of length n
        # (a reference cycle per length: see _buffers.buffer_address)
        blob = b"".join(bs)
        base = ctypes.cast(blob, ctypes.c_void_p).value
        lens = uint_array(ctypes.sizeof(ctypes.c_size_t), map(len, bs))
        ptrs = uint_array(ctypes.sizeof(ctypes.c_char_p), itertools.accumulate(
            lens[:-1], initial=base))
        pa, la = ptrs.buffer_info()[0], lens.buffer_info()[0]
        ps, ls = ctypes.sizeof(ctypes.c_char_p), ctypes.sizeof(ctypes.c_size_t)
        self._add_in_parts(n, threads, lambda obj, lo, hi: C.kpi_topk_add_array(
            obj._p, pa + lo * ps, la + lo * ls, hi - lo), (ptrs, lens, blob))

    @property
    def total(self):
        """Total weight added, N."""
        return C.kpi_topk_total(self._p)

    @property
    def size(self):
        """Number of monitored labels (at most the capacity)."""
        return C.kpi_topk_size(self._p)


    @property
    def error_bound(self):
        """Largest overestimate of any count; 0 while exact."""
        return C.kpi_topk_error_bound(self._p)

    def entry(self, rank, decode=True):
        """The label at a rank (0 = the most frequent; equal counts by label
        bytes ascending) as TopEntry(label, count, low, high): label as str
        (decode=False: bytes), count an upper bound, [low, high] the bounds
        of its true count (kpi_topk_entry).  KpiEmptyError while empty,
        KpiRangeError for rank >= size."""
        ptr, n = ctypes.c_void_p(), ctypes.c_size_t()
        count, low, high = ctypes.c_uint64(), ctypes.c_uint64(), ctypes.c_uint64()
        C.kpi_topk_entry(self._p, _lib.size(rank, "rank"), ctypes.byref(ptr), ctypes.byref(n),
                         ctypes.byref(count), ctypes.byref(low), ctypes.byref(high))
        label = ctypes.string_at(ptr.value, n.value)
        return TopEntry(_decode(label, decode), count.value, low.value, high.value)

    def top(self, k=None, decode=True):
        """The k most frequent labels, most frequent first (all monitored
        labels when k is None); labels as str (decode=False: bytes)."""
        return [self.entry(r, decode) for r in range(_top_count(self, k))]

    def estimate(self, label):
        """Bounds(count, low, high) of a monitored label; KpiUnknownIdError
        if it is not monitored (its true count is then <= error_bound)."""
        b = _label_bytes(label)
        c, lo, hi = ctypes.c_uint64(), ctypes.c_uint64(), ctypes.c_uint64()
        C.kpi_topk_estimate(self._p, b, len(b), ctypes.byref(c), ctypes.byref(lo),
                            ctypes.byref(hi))
        return Bounds(c.value, lo.value, hi.value)

    def share(self, label):
        """The label's share of the total weight, Wilson 95%."""
        b = _label_bytes(label)
        return read_estimate(C.kpi_topk_share, self._p, b, len(b))

    def _describe(self):
        return f"total={self.total} size={self.size}"


@register
class TopKId(KpiObject):
    """Top-k 64-bit ids (Space-Saving): TopK for callers who intern their
    labels (pandas categorical codes, topic ids)."""

    _prefix, _tag = "topk_id", 13

    def __init__(self, capacity=DEFAULT_CAPACITY):
        self._new("kpi_topk_id_new", _lib.u32(capacity, "capacity"))

    def add(self, id, weight=1):
        """Count `weight` occurrences (at least 1) of a 64-bit id (negative ints
        as two's complement); never allocates (kpi_topk_id_add).
        KpiRangeError for weight 0, KpiOverflowError if the total would
        overflow."""
        C.kpi_topk_id_add(self._p, _lib.id64(id), _lib.u64(weight, "weight"))

    def add_array(self, ids, threads=None):
        """Count each id once, all or nothing (uint64 / int64 arrays without
        a copy; other integer arrays converted).

        int8 and int16 arrays (pandas' categorical codes for up to 127 and
        up to 32,767 categories) go to kpi_topk_id_add_codes and
        kpi_topk_id_add_codes16 without a copy.  Other narrower integer
        arrays (uint8, int32, ...) are converted a chunk at a time into one
        reused uint64 buffer that stays in cache (one per thread), rather
        than copied whole.  Negative values are their two's complement, as
        for add() and int64 arrays (-1, a missing code, is 2**64 - 1)."""
        refuse_masked(ids, "ids")
        a = _narrow_int_array(ids)
        if a is None:
            self._add_c_array(C.kpi_topk_id_add_array, ids, "uint64", "ids", threads)
            return
        if a.dtype == numpy.int8:
            self._add_c_array(C.kpi_topk_id_add_codes, a, "int8", "ids", threads)
            return
        if a.dtype == numpy.int16:
            self._add_c_array(C.kpi_topk_id_add_codes16, a, "int16", "ids", threads)
            return
        thread_count(threads)
        n = a.size
        # the chunks' calls can only fail by overflowing the total: refuse
        # that here, before the first chunk, so the array is all or nothing
        if n > _U64_MAX - self.total:
            raise _lib.KpiOverflowError(_lib.ERR_OVERFLOW, "kpi_topk_id_add_array",
                                        f"total {self.total} + {n} ids")
        self._add_in_parts(n, threads, lambda obj, lo, hi: _add_narrow_ids(obj, a, lo, hi))

    @property
    def total(self):
        """Total weight added, N (kpi_topk_id_total)."""
        return C.kpi_topk_id_total(self._p)

    @property
    def size(self):
        """Number of monitored ids, at most the capacity (kpi_topk_id_size)."""
        return C.kpi_topk_id_size(self._p)


    @property
    def error_bound(self):
        """Largest overestimate of any count, at most total / capacity; 0 while
        exact (kpi_topk_id_error_bound)."""
        return C.kpi_topk_id_error_bound(self._p)

    def entry(self, rank):
        """The id at a rank (0 = the most frequent; equal counts by id
        ascending) as TopIdEntry(id, count, low, high): count an upper bound,
        [low, high] the bounds of its true count (kpi_topk_id_entry).
        KpiEmptyError while empty, KpiRangeError for rank >= size."""
        i, c = ctypes.c_uint64(), ctypes.c_uint64()
        lo, hi = ctypes.c_uint64(), ctypes.c_uint64()
        C.kpi_topk_id_entry(self._p, _lib.size(rank, "rank"), ctypes.byref(i), ctypes.byref(c),
                            ctypes.byref(lo), ctypes.byref(hi))
        return TopIdEntry(i.value, c.value, lo.value, hi.value)

    def top(self, k=None):
        """The k most frequent ids as TopIdEntry tuples, most frequent first
        (all monitored ids when k is None; [] while empty): entry() for each
        rank.  KpiRangeError for k below 0."""
        return [self.entry(r) for r in range(_top_count(self, k))]

    def estimate(self, id):
        """Bounds(count, low, high) of a monitored id (kpi_topk_id_estimate).
        KpiUnknownIdError if it is not monitored (its true count is then
        <= error_bound), KpiEmptyError while empty."""
        c, lo, hi = ctypes.c_uint64(), ctypes.c_uint64(), ctypes.c_uint64()
        C.kpi_topk_id_estimate(self._p, _lib.id64(id), ctypes.byref(c), ctypes.byref(lo),
                               ctypes.byref(hi))
        return Bounds(c.value, lo.value, hi.value)

    def share(self, id):
        """The id's share of the total weight, count / N in [0, 1], with the
        Wilson 95% interval and n = N (kpi_topk_id_share).
        KpiUnknownIdError if the id is not monitored, KpiEmptyError while
        empty."""
        return read_estimate(C.kpi_topk_id_share, self._p, _lib.id64(id))

    def _describe(self):
        return f"total={self.total} size={self.size}"


TopK.add_array.__doc__ += _TOPK_THREADS
TopKId.add_array.__doc__ += _TOPK_THREADS


@register
class Distinct(KpiObject):
    """Distinct count of 64-bit ids or byte strings: exact (64-bit hashes)
    while small, then HyperLogLog with 2**precision registers (relative
    standard error 1.04 / sqrt(2**precision); 12 -> about 1.6%)."""

    _prefix, _tag = "distinct", 14

    def __init__(self, precision=12):
        self._new("kpi_distinct_new", _lib.u32(precision, "precision"))

    def add(self, id):
        """Count a 64-bit id (negative ints as two's complement); an id seen
        before changes nothing (kpi_distinct_add).  KpiNoMemError when the
        exact set or the HyperLogLog registers cannot be allocated; nothing
        changes then."""
        C.kpi_distinct_add(self._p, _lib.id64(id))

    def add_bytes(self, data):
        """Count a byte string (str is UTF-8), e.g. an e-mail address."""
        b = _label_bytes(data)
        C.kpi_distinct_add_bytes(self._p, b, len(b))

    def add_array(self, ids, threads=None):
        """Count many ids (uint64 / int64 arrays without a copy).

        ``threads=k`` (an int; None or 1: this thread only) counts k
        contiguous parts of the array at once, each into a fresh object of
        this precision, and merges them in: the GIL is released during the
        C calls, so the parts run on k cores.  The state is a function of
        the set of ids seen (the exact set while small, then each HLL
        register the max over its ids), so the result is the one call's,
        to the byte.  A refused array raises what one call raises and
        changes nothing."""
        self._add_c_array(C.kpi_distinct_add_array, ids, "uint64", "ids", threads)

    def estimate(self):
        """The number of distinct values, with a 95% interval."""
        return read_estimate(C.kpi_distinct_estimate, self._p)

    @property
    def is_exact(self):
        """True while the count is exact, False once in HyperLogLog mode
        (kpi_distinct_is_exact)."""
        out = ctypes.c_int()
        C.kpi_distinct_is_exact(self._p, ctypes.byref(out))
        return bool(out.value)

    def _describe(self):
        return "exact" if self.is_exact else "hll"
