"""Arrays for the bulk (``add_array``) paths, without copying when possible.

:func:`as_c_array` turns what the caller gave into (address, n, keep):
the address of n contiguous C values of the wanted type and an object to
keep alive until the call returns.

Zero copy: a numpy array (or pandas column, or anything numpy sees as one
without copying: ``memoryview``, ``array.array``, ``bytes``) whose dtype is
already the wanted one, in native byte order, C-contiguous and aligned, is
passed by address.  So are these exact reinterpretations:

- ``bool`` arrays for ``uint8`` outcomes;
- ``int64`` arrays for ``uint64`` ids (two's complement: the same bits);
- ``timedelta64[ms]`` for ``int64`` durations and ``datetime64[ms]`` for
  ``int64`` timestamps (both are int64 milliseconds); a ``datetime64``
  array given as durations, or a ``timedelta64`` array given as
  timestamps, is refused (``TypeError``).

Converted (one copy, documented): any other integer dtype (e.g. ``int64``
answers for an ``int32`` scale, after checking every value fits; an
out-of-range value raises :class:`KpiRangeError`); integers for ``float64``
values; ``timedelta64``/``datetime64`` of another unit (rounded down to whole ms;
a value whose milliseconds overflow int64 raises KpiRangeError);
non-contiguous, misaligned or byte-swapped arrays; a list or tuple of
Python ints that numpy would hold as floats (``-1`` beside ``2**63``) or
objects is converted item by item, exactly.  Floats are never
converted to integers (``TypeError``): round them yourself.  Nor is a
numpy masked array with masked values taken (``TypeError``): numpy reads
them as values; fill or compress them first.

Without numpy: a writable buffer of the right item type (``array.array``,
``memoryview``) is used in place; a read-only or misaligned one is
copied; any other
sequence is copied through ``array.array`` (with the same range checks).
"""

import array
import ctypes
import operator
import struct
import sys
from fractions import Fraction

from . import _lib

try:
    import numpy
except ImportError:  # numpy is optional
    numpy = None

# kind -> (ctypes type, numpy dtype name, array.array typecode)
KINDS = {
    "int32": (ctypes.c_int32, "int32", "i"),
    "intc": (ctypes.c_int, "intc", "i"),
    "int64": (ctypes.c_int64, "int64", "q"),
    "ms": (ctypes.c_int64, "int64", "q"),  # durations: timedelta64 too
    "time_ms": (ctypes.c_int64, "int64", "q"),  # timestamps: datetime64 too
    "uint64": (ctypes.c_uint64, "uint64", "Q"),
    "uint8": (ctypes.c_uint8, "uint8", "B"),
    "int8": (ctypes.c_int8, "int8", "b"),  # categorical codes (TopKId)
    "int16": (ctypes.c_int16, "int16", "h"),  # wider categorical codes (TopKId)
    "double": (ctypes.c_double, "float64", "d"),
}

# struct format characters by (signed, size); '?' is bool
_SIGNED = set("bhilqn")
_UNSIGNED = set("BHILQN")


def _range_error(what, detail):
    return _lib.KpiRangeError(_lib.ERR_RANGE, what, detail)


def refuse_masked(obj, what):
    """TypeError for a numpy masked array that holds masked values: numpy
    (asarray, the buffer) drops the mask, so they would be read as values."""
    if numpy is None or not isinstance(obj, numpy.ma.MaskedArray):
        return
    mask = numpy.ma.getmask(obj)
    if mask is numpy.ma.nomask:
        return
    names = mask.dtype.names  # a structured array's mask: one per field
    if any(mask[n].any() for n in names) if names else mask.any():
        raise TypeError(f"{what}: a masked array with masked values (missing data): "
                        "fill or compress them first")


def nullable_values(obj, what):
    """A pandas column (Series or array) of a nullable dtype (Int32,
    Int64, UInt64, boolean, Float64, ...) as a numpy array of its values,
    one copy (numpy alone would make it an object array); TypeError if it
    holds missing values (pd.NA), as for a masked array.  A column of
    tz-aware datetimes as numpy datetime64 of its UTC instants.  Anything
    else is returned as it is."""
    dt = getattr(obj, "dtype", None)
    if numpy is None or dt is None or isinstance(dt, numpy.dtype):
        return obj
    if getattr(dt, "kind", None) == "M" and getattr(dt, "tz", None) is not None:
        # pandas' tz-aware datetimes (datetime64[ns, tz]), which numpy
        # alone makes an object array of Timestamps: their UTC instants,
        # as datetime64 of the column's unit (NaT stays NaT)
        return numpy.asarray(obj, dtype=f"datetime64[{getattr(dt, 'unit', 'ns')}]")
    npdt = getattr(dt, "numpy_dtype", None)  # pandas' masked dtypes have it
    if npdt is None or not hasattr(obj, "isna") or not hasattr(obj, "to_numpy"):
        return obj
    if bool(numpy.asarray(obj.isna()).any()):
        raise TypeError(f"{what}: a column of dtype {dt} with missing values (NA): "
                        "fill or drop them first")
    return obj.to_numpy(dtype=npdt)


def need_1d(ndim, what):
    """TypeError for a scalar (0 dimensions), ValueError for 2 or more:
    every bulk call takes one 1-D array of values."""
    if ndim != 1:
        if ndim == 0:
            raise TypeError(f"{what}: a 1-D array is needed, got a scalar")
        raise ValueError(f"{what}: a 1-D array is needed, got {ndim} dimensions")


def _numpy_array(obj, kind, what):
    np = numpy
    refuse_masked(obj, what)
    obj = nullable_values(obj, what)
    ctype, dtname, _ = KINDS[kind]
    want = np.dtype(dtname)
    if isinstance(obj, bytes):
        obj = memoryview(obj)  # numpy would see one 'S' scalar, not n bytes
    a = np.asarray(obj)
    if isinstance(obj, (list, tuple)) and (a.dtype.kind == "O" or
                                           (a.dtype.kind == "f" and want.kind in "iu")):
        # Python ints that numpy holds as floats (-1 beside 2**63) or
        # objects (beyond 64 bits): convert them one by one, exactly
        return _buffer_array(obj, kind, what)
    need_1d(a.ndim, what)
    t = a.dtype
    if a.size == 0:
        return None, 0, a
    if t == want:
        pass
    elif kind == "uint8" and t == np.bool_:
        a = a.view(np.uint8)
    elif kind == "uint64" and t.kind == "i":
        a = a.astype(np.int64, copy=False).view(np.uint64)
    elif kind in ("ms", "time_ms") and t.kind in "mM":
        if t.kind != ("m" if kind == "ms" else "M"):
            # epoch milliseconds taken as durations, or the reverse
            raise TypeError(f"{what}: a {t} array holds "
                            + ("timestamps, not durations: subtract the start"
                               if kind == "ms" else "durations, not timestamps"))
        # another unit (rounded down to ms) or byte order: a view of
        # '>m8[ms]' as int64 would read its bytes swapped
        a = in_ms(a, what).view(np.int64)
    elif t.kind in "biu" and want.kind in "iu":
        info = np.iinfo(want)
        if a.size and t.kind != "b":
            # as Python ints: numpy 1.x compares uint64 with an int64
            # bound as float64, where 2**63 == INT64_MAX
            lo, hi = int(a.min()), int(a.max())
            if lo < info.min or hi > info.max:
                bad = lo if lo < info.min else hi
                raise _range_error(what, f"{bad} does not fit in {dtname}")
        a = a.astype(want)
    elif t.kind in "biu" and want.kind == "f":
        a = a.astype(want)
    elif t.kind == "f" and want.kind == "f":
        a = a.astype(want)  # float32 -> float64 is exact
    else:
        raise TypeError(f"{what}: cannot use a {t} array as {dtname}"
                        + (" (round floats to integers yourself)" if t.kind == "f" else ""))
    if not a.dtype.isnative:
        a = a.astype(a.dtype.newbyteorder("="))
    if not (a.flags.c_contiguous and a.flags.aligned):
        # a copy, aligned: ascontiguousarray returns a contiguous but
        # misaligned array (numpy.frombuffer at an odd offset) as it is
        a = np.array(a, order="C", copy=True)
    return a.ctypes.data if a.size else None, a.size, a


# units whose conversion to ms multiplies (and so may overflow int64)
_COARSER_THAN_MS = frozenset(("Y", "M", "W", "D", "h", "m", "s"))
# finer units: how many make 1 ms
_FINER_THAN_MS = {"us": 10**3, "ns": 10**6, "ps": 10**9, "fs": 10**12, "as": 10**15}
_INT64_MIN = -(1 << 63)


def _floor_near_int64_min(a, out, den):
    """Fix numpy's cast of `a` (a finer unit, den of them a ms) into `out`
    for the values just above INT64_MIN: numpy rounds down as
    (v - (den - 1)) / den, which wraps there (-9223372036854775807 ns,
    pandas' Timestamp.min, became +9223372036853 ms)."""
    np = numpy
    v = a.view(np.int64) if a.dtype.isnative else \
        a.astype(a.dtype.newbyteorder("=")).view(np.int64)
    low = (v < _INT64_MIN + den - 1) & (v != _INT64_MIN)  # NaT stays NaT
    if low.any():
        out.view(np.int64)[low] = np.floor_divide(v[low], den)


def _scaled_to_ms(a, step, ms, what):
    """A timedelta64 / datetime64 array `a` of a unit that is a multiple
    of a finer one (1500 us: step = 3/2 ms) in native [ms] units, rounded
    down, exactly: numpy's cast multiplies by step's numerator first, in
    int64, and wraps around (2**62 x [1500 us] became -2**61 ms).  A value
    whose milliseconds pass int64 raises KpiRangeError; NaT stays NaT."""
    np = numpy
    num, den = step.numerator, step.denominator
    v = a.astype(a.dtype.newbyteorder("=")).view(np.int64)
    nat = np.isnat(a)
    if not nat.all():
        # the conversion is monotonic: the extremes decide
        for i in (int(np.argmin(np.where(nat, np.iinfo(np.int64).max, v))),
                  int(np.argmax(v))):
            if not _INT64_MIN < int(v[i]) * num // den < (1 << 63):
                raise _range_error(what, f"{a[i]} does not fit in int64 milliseconds")
    if num * den < (1 << 62):
        q, r = np.divmod(v, den)
        # wraps only in between: the result fits (checked above)
        out = q * np.int64(num) + (r * np.int64(num)) // np.int64(den)
    else:  # units such as [2147483647 as]: r x num could pass int64
        out = np.array([_INT64_MIN if n else int(x) * num // den
                        for x, n in zip(v.tolist(), nat.tolist())], dtype=np.int64)
    out[nat] = _INT64_MIN
    return out.view(ms)


def in_ms(a, what):
    """A timedelta64 / datetime64 array `a` in native-order [ms] units
    (`a` itself when it already is).  numpy's cast from a coarser unit
    wraps a value whose milliseconds pass int64 around without a word
    (2**64 + 384 ms becomes 384 ms): such a value raises KpiRangeError.
    A multiple of a finer unit (1500 us) is converted here, exactly
    (_scaled_to_ms), where numpy's cast wraps in between, and so are the
    values of a finer unit just above INT64_MIN (_floor_near_int64_min).
    NaT stays NaT."""
    np = numpy
    ms = np.dtype(("m8" if a.dtype.kind == "m" else "M8") + "[ms]")  # native order
    if a.dtype == ms:
        return a
    unit, count = np.datetime_data(a.dtype)
    step = None
    if unit in _FINER_THAN_MS:
        step = Fraction(count, _FINER_THAN_MS[unit])  # one unit, in ms
        if step.numerator > 1:
            return _scaled_to_ms(a, step, ms, what)
    out = a.astype(ms)
    if step is not None and step.denominator > 1 and out.size:
        _floor_near_int64_min(a, out, step.denominator)
    if out.size and (unit in _COARSER_THAN_MS or (unit == "ms" and count > 1)):
        # exact conversions come back to the same value; wrapped ones not
        bad = (out.astype(a.dtype) != a) & ~np.isnat(a)
        if bad.any():
            value = a[int(np.argmax(bad))]
            raise _range_error(what, f"{value} does not fit in int64 milliseconds")
    return out


def _format_matches(fmt, kind, itemsize):
    ctype = KINDS[kind][0]
    if itemsize != ctypes.sizeof(ctype):
        return False
    if fmt[:1] in "@=" or (fmt[:1] == "<" and sys.byteorder == "little") or \
            (fmt[:1] in ">!" and sys.byteorder == "big"):
        fmt = fmt[1:]
    if len(fmt) != 1:
        return False
    if kind == "double":
        return fmt == "d"
    if kind == "uint8":
        return fmt in "B?"
    if kind == "uint64":
        return fmt in _UNSIGNED or fmt in _SIGNED  # ids: the same bits
    return fmt in _SIGNED


# byte orders a buffer's format may state (struct's prefixes)
_BYTE_ORDERS = {"<": "little", ">": "big", "!": "big", "=": sys.byteorder, "@": sys.byteorder}


def _buffer_items(mv, what):
    """The items of a 1-D buffer of numbers as Python numbers.
    memoryview.tolist() reads native formats only ('i', 'q'): one that
    states its byte order ('<h', '>i', '<l' of 8 bytes: ctypes' arrays
    state theirs) is read here item by item at the buffer's own item
    size; records ('T{...}') or characters are no numbers (TypeError)."""
    need_1d(mv.ndim, what)
    try:
        return mv.tolist()
    except NotImplementedError:
        pass
    fmt = mv.format
    order = _BYTE_ORDERS.get(fmt[:1])
    code = fmt[1:] if order else fmt
    order = order or sys.byteorder
    size, raw = mv.itemsize, mv.tobytes()
    items = [raw[i:i + size] for i in range(0, len(raw), size)]
    if len(code) == 1 and (code in _SIGNED or code in _UNSIGNED or code == "?"):
        return [int.from_bytes(b, order, signed=code in _SIGNED) for b in items]
    if code in ("e", "f", "d") and struct.calcsize("<" + code) == size:
        one = struct.Struct(("<" if order == "little" else ">") + code)
        return [one.unpack(b)[0] for b in items]
    raise TypeError(f"{what}: a buffer of {fmt!r} items is not a sequence of numbers")


# Never `(ctype * n)` for a length n that varies from call to call: ctypes
# makes a new array type for each length, and a type is a reference cycle,
# so each call left some 5 KB to the cyclic garbage collector (kept for
# good with gc disabled).  These give the address of a buffer's first byte
# through a c_char (one fixed type) instead.

def buffer_address(buf):
    """(address, keep-alive) of the first byte of a writable buffer of at
    least one byte (bytearray, array.array, writable memoryview), in place."""
    first = ctypes.c_char.from_buffer(buf)
    return ctypes.addressof(first), first


def buffer_copy(mv):
    """(address, keep-alive) of a new copy of the bytes of a buffer."""
    return buffer_address(bytearray(mv))


def uint_array(size, values=()):
    """An array.array of unsigned integers of `size` bytes (a pointer's,
    a size_t's)."""
    for code in "BHILQ":
        if array.array(code).itemsize == size:
            return array.array(code, values)
    raise TypeError(f"no array.array of {size}-byte integers")  # pragma: no cover


def _buffer_array(obj, kind, what):
    ctype, _, code = KINDS[kind]
    try:
        mv = memoryview(obj)
    except TypeError:
        mv = None
    if mv is not None and mv.ndim == 1 and mv.c_contiguous and \
            _format_matches(mv.format, kind, mv.itemsize):
        n = len(mv)
        if n == 0:
            return None, 0, mv
        address = None
        if not mv.readonly:  # in place, if aligned for the C type
            address, keep = buffer_address(mv)
            if address % ctypes.alignment(ctype):
                address = None
        if address is None:
            address, keep = buffer_copy(mv)  # malloc'd: aligned
        return address, n, (keep, mv)
    seq = _buffer_items(mv, what) if mv is not None else obj
    if isinstance(seq, (str, bytes)):
        raise TypeError(f"{what}: a sequence of numbers is needed, got {type(obj).__name__}")
    try:
        if code == "d":
            arr = array.array(code, (_as_float(x, what) for x in seq))
        elif code == "Q":
            arr = array.array(code, (_lib.id64(as_int(x, what), what) for x in seq))
        else:
            arr = array.array(code, (as_int(x, what) for x in seq))
    except OverflowError as e:
        raise _range_error(what, f"a value does not fit in {kind}: {e}") from None
    n = len(arr)
    if n == 0:
        return None, 0, arr
    address, _ = arr.buffer_info()
    return address, n, arr


def as_int(x, what):
    if isinstance(x, float):
        raise TypeError(f"{what}: float {x!r} given where an integer is needed")
    try:
        return operator.index(x)  # as add() takes it: no str, no float
    except TypeError:
        raise TypeError(f"{what}: {x!r} is not an integer") from None


def _as_float(x, what):
    if isinstance(x, (str, bytes, bytearray)):
        raise TypeError(f"{what}: {x!r} is not a number")
    return float(x)


def as_c_array(obj, kind, what="array"):
    """(address or None, n, keep-alive) of `obj` as n C values of `kind`."""
    if numpy is not None:
        return _numpy_array(obj, kind, what)
    return _buffer_array(obj, kind, what)


def same_length(what, *ns):
    if len(set(ns)) > 1:
        raise ValueError(f"{what}: arrays of different lengths {ns}")
    return ns[0]


def largest_magnitude(keep):
    """The largest |x| of the float64 values behind the `keep` of an
    ``as_c_array(obj, "double")`` of at least one value, read in place (a
    NaN or an infinity among them may give any answer: the C call refuses
    those anyway)."""
    values = keep[1] if isinstance(keep, tuple) else keep  # _buffer_array's (keep, mv)
    if numpy is not None:
        a = numpy.asarray(values)
        return max(-float(a.min()), float(a.max()))
    mv = memoryview(values).cast("B").cast("d")  # '<d' and '=d' too
    return max(-min(mv), max(mv))


def out_array(kind, n):
    """A zeroed output array of n C values: numpy when available."""
    ctype, dtname, code = KINDS[kind]
    if numpy is not None:
        a = numpy.zeros(n, dtype=dtname)
        return a, (a.ctypes.data if n else None)
    a = array.array(code, bytes(n * ctypes.sizeof(ctype)))
    return a, (a.buffer_info()[0] if n else None)


def to_result(a):
    """What a read returns: the numpy array itself, else a list."""
    if numpy is not None:
        return a
    return a.tolist()
