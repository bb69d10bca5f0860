"""The ticket engine: raw helpdesk lifecycle events in, every operational
KPI out (include/kpi/engine.h).

An :class:`Engine` takes events one call per kind (``created``,
``agent_reply``, ``resolved``, ...), one record at a time (``event``) or as
a numpy structured array of :data:`EVENT_DTYPE` records (``apply``, the
fast path: the array is handed to C without a copy).  It keeps a small
state per live ticket and feeds the library's primitives; its reads return
those primitives as the package's own classes (Duration, Rate, Score,
Ratio, Series, Group, TopK).

EVENT_DTYPE is the C kpi_event record: 64 bytes, native byte order,
time_ms i8 @0, ticket u8 @8, actor u8 @16, value i8 @24, kind u4 @32,
flags u4 @36, channel u4 @40, priority u4 @44, team u4 @48, topic u4 @52,
reserved (u4, 2) @56 (zero); the offsets are checked against kpi.CEvent
at import.

Reads are **read-only views**, not copies: each view keeps the engine alive
and looks its C object up again at every use, so it always shows the
engine's current value and never points at freed memory (after
``reset()`` a breakdown key's view raises KpiUnknownIdError; after the
engine's ``close()``, ValueError).  Methods that would change the object
(``add``, ``merge``, ``reset``, ``set_*``) raise TypeError; ``view.copy()``
is an owned snapshot.  ``window()`` returns a new owned object.

The constants are the C ones without ``KPI_``: ``EVENT_*`` kinds and
flags, ``ENGINE_*`` metrics, ``ENGINE_TYPE_*``, ``DIM_*``,
``ENGINE_COUNT_*`` counters, ``STATUS_*``, ``ENGINE_OPT_*`` options.
Wherever a metric, dimension, counter, option or event kind is asked for,
its lower-case name ("frt", "agent", "created", "reopen_window_ms") works
as well as the number.
"""

import ctypes
import operator
from collections import namedtuple

from . import _lib
from ._base import KpiObject, read_estimate, read_only_class, read_out, register
from ._buffers import (as_int, buffer_address, buffer_copy, in_ms, nullable_values, numpy,
                       refuse_masked)
from ._calendar import Calendar, SlaPolicy
from ._calendar import to_ms as _ms
from ._counting import TopK, _label_bytes
from ._group import Group
from ._lib import C
from ._survey import Rate, Ratio, Score, _above_middle, _top_two_box
from ._time import Duration, Series

# -- names, in code order (include/kpi/engine.h) ------------------------------
EVENT_KINDS = (None, "created", "customer_message", "agent_reply", "bot_reply", "handoff",
               "note", "open", "pending", "on_hold", "assigned", "resolved", "reopened",
               "closed", "merged", "csat", "nps", "ces", "logged_in")
METRICS = ("frt", "frt_business", "reply_time", "reply_time_business", "first_resolution",
           "first_resolution_business", "full_resolution", "full_resolution_business",
           "requester_wait", "agent_work", "fcr", "reopen", "repeat_contact",
           "sla_first_reply", "sla_next_reply", "sla_resolution", "csat", "nps", "ces",
           "resolved_per_hour", "replies_per_hour", "volume", "requester_wait_business",
           "agent_work_business")
TYPES = (None, "duration", "rate", "score", "ratio", "series")
DIMS = ("all", "agent", "team", "channel", "priority", "topic")
COUNTERS = ("created", "resolves", "resolved", "reopens", "closed", "merged", "replies",
            "bot_replies", "customer_messages", "notes", "handoffs", "surveys",
            "bot_resolved", "settled", "events", "live", "unresolved", "waiting", "new",
            "open", "pending", "on_hold", "solved", "customers")
STATUSES = ("new", "open", "pending", "on_hold", "solved", "closed", "merged")
OPTIONS = ("reopen_window_ms", "repeat_window_ms", "repeat_same_topic", "bot_replies_count",
           "frt_from_handoff", "fcr_max_replies", "message_reopens", "period_ms",
           "period_origin_ms", "periods", "topk_capacity", "csat_max",
           "csat_satisfied_from", "ces_max", "ces_easy_from", "breakdowns", "fcr_min_replies")


def _constants(prefix, names):
    return {f"{prefix}{n.upper()}": i for i, n in enumerate(names) if n is not None}


CONSTANTS = {
    **_constants("EVENT_", EVENT_KINDS),
    "EVENT_KIND_MAX": len(EVENT_KINDS) - 1,
    "EVENT_FLAG_BY_AGENT": 0x1, "EVENT_FLAG_BY_BOT": 0x2, "EVENT_FLAGS_ALL": 0x3,
    **_constants("ENGINE_", METRICS), "ENGINE_METRICS": len(METRICS),
    **_constants("ENGINE_TYPE_", TYPES),
    **_constants("DIM_", DIMS),
    **_constants("ENGINE_COUNT_", COUNTERS), "ENGINE_COUNTERS": len(COUNTERS),
    **_constants("STATUS_", STATUSES),
    **_constants("ENGINE_OPT_", OPTIONS), "ENGINE_OPTIONS": len(OPTIONS),
    "ENGINE_AGING_BUCKETS": 4,
}
globals().update(CONSTANTS)

__all__ = ["Engine", "EVENT_DTYPE", "CEvent", "Aging", "SlaRisk", "events", "to_events",
           "metric_type", "metric_class", *CONSTANTS]

CEvent = _lib.CEvent
INT64_MAX = (1 << 63) - 1
EVENT_SIZE = ctypes.sizeof(_lib.CEvent)
_NAME_MAX = 255  # KPI_TOPK_MAX_LABEL (include/kpi/topk.h): a name's bytes
_CEVENT_FORMAT = memoryview((_lib.CEvent * 1)()).format  # a buffer of CEvent records
_RECORD_ALIGN = ctypes.alignment(_lib.CEvent)  # 8: the int64 fields

# The primitive class of each metric type.
_TYPE_CLASSES = {1: Duration, 2: Rate, 3: Score, 4: Ratio, 5: Series}
_TYPE_READS = {1: "kpi_engine_duration", 2: "kpi_engine_rate", 3: "kpi_engine_score",
               4: "kpi_engine_ratio"}  # the series: kpi_engine_volume


# (maximum, threshold): kpi_engine_set_option refuses a threshold above
# its maximum (include/kpi/engine.h, KPI_ENGINE_OPT_CSAT_SATISFIED_FROM ...)
_OPTION_PAIRS = (("csat_max", "csat_satisfied_from"), ("ces_max", "ces_easy_from"),
                 ("fcr_max_replies", "fcr_min_replies"))


def _code(table, value, what, number=_lib.i32):
    """A code from its number (checked by `number`: the C argument's type,
    an int unless said) or its lower-case name in `table`.  An unknown
    name is an unknown selector: KpiInvalidError, as C answers an unknown
    number."""
    if isinstance(value, str):
        try:
            return table.index(value.lower())
        except ValueError:
            raise _lib.KpiInvalidError(_lib.ERR_INVALID, what,
                                     f"unknown name {value!r}; one of {[n for n in table if n]}"
                                     ) from None
    return number(value, what)


def metric_type(metric):
    """The primitive type of a metric: an ENGINE_TYPE_* value."""
    rc = C.kpi_engine_metric_type(_code(METRICS, metric, "metric"))
    if rc < 0:
        raise _lib.error_for(rc, "kpi_engine_metric_type")
    return rc


def metric_class(metric):
    """The package class of a metric's accumulator (Duration, Rate, ...)."""
    return _TYPE_CLASSES[metric_type(metric)]


# -- the event record ---------------------------------------------------------
_FIELDS = [(name, ctype) for name, ctype in _lib.CEvent._fields_]
_NP_CODES = {ctypes.c_int64: "i8", ctypes.c_uint64: "u8", ctypes.c_uint32: "u4"}

if numpy is not None:
    EVENT_DTYPE = numpy.dtype([
        (name, ("=u4", (2,)) if name == "reserved" else "=" + _NP_CODES[ctype])
        for name, ctype in _FIELDS], align=True)
    assert EVENT_DTYPE.itemsize == EVENT_SIZE == 64
    for _name, _ in _FIELDS:
        assert EVENT_DTYPE.fields[_name][1] == getattr(_lib.CEvent, _name).offset, _name
else:  # pragma: no cover - numpy is optional
    EVENT_DTYPE = None

_FIELD_RANGES = {
    ctypes.c_int64: (-(1 << 63), (1 << 63) - 1),
    ctypes.c_uint64: (0, (1 << 64) - 1),
    ctypes.c_uint32: (0, (1 << 32) - 1),
}


def events(n):
    """A zeroed EVENT_DTYPE array of n records, to fill field by field."""
    _need_numpy("kpi.events")
    return numpy.zeros(n, dtype=EVENT_DTYPE)


def _need_numpy(what):
    if numpy is None:
        raise ImportError(f"{what} needs numpy")


def to_events(data):
    """An EVENT_DTYPE array from `data`, without a copy when it already is
    one (1-D, C-contiguous, aligned, native order).

    Converted (one copy): an EVENT_DTYPE array that is strided or
    misaligned; any other structured array, record array, pandas
    DataFrame or mapping of columns whose names are event fields (absent
    fields are zero; ``kind`` may hold names like "created"; every integer
    is checked to fit its field, KpiRangeError otherwise).
    """
    _need_numpy("kpi.to_events")
    np = numpy
    refuse_masked(data, "events")
    if isinstance(data, np.ndarray) and data.dtype == EVENT_DTYPE:
        a = data.reshape(-1) if data.ndim == 0 else data
        if a.ndim != 1:
            raise ValueError(f"events: a 1-D array is needed, got {a.ndim} dimensions")
        # aligned for the record's int64s: numpy's own flag is no proof, as
        # an equal dtype written without align=True has alignment 1
        if not (a.flags.c_contiguous and a.ctypes.data % _RECORD_ALIGN == 0):
            a = np.array(a, dtype=EVENT_DTYPE, order="C", copy=True)  # a copy is aligned
        return a
    if isinstance(data, np.ndarray) and data.dtype.names is not None:
        columns = {name: data[name] for name in data.dtype.names}
        n = data.size
    elif hasattr(data, "items"):  # a DataFrame or a mapping of columns
        columns = dict(data.items())
        n = len(next(iter(columns.values()))) if columns else 0
    else:
        raise TypeError("events: an EVENT_DTYPE array, a structured array, a DataFrame "
                        f"or a mapping of columns is needed, got {type(data).__name__}")
    out = np.zeros(n, dtype=EVENT_DTYPE)
    for name, col in columns.items():
        if name not in EVENT_DTYPE.names:
            raise ValueError(f"events: {name!r} is not an event field {EVENT_DTYPE.names}")
        refuse_masked(col, f"events: column {name!r}")
        col = nullable_values(col, f"events: column {name!r}")
        raw, col = col, np.asarray(col)
        if len(col) != n:
            raise ValueError(f"events: column {name!r} has {len(col)} values, not {n}")
        if col.shape[1:] != out.dtype[name].shape:
            # numpy would broadcast it: a one-value 'reserved' column of two
            # records became the pair of each record
            raise ValueError(f"events: column {name!r} has the shape {col.shape}, "
                             f"not {(n,) + out.dtype[name].shape}")
        want = out.dtype[name].base
        listed = isinstance(raw, (list, tuple))
        if name == "kind" and (col.dtype.kind in "OUS" or (listed and col.dtype.kind == "f")):
            # each kind as given: a list's own items, which numpy would
            # turn into text beside a name (["created", 11]: "11")
            items = raw if listed else col.tolist()
            col = np.array([_kind_code(k) for k in items], dtype=np.int64)
        elif name == "time_ms" and col.dtype.kind == "M":
            col = in_ms(col, "events: time_ms").view(np.int64)
        elif listed and col.dtype.kind in "fO":
            # Python ints that numpy holds as floats (-1 beside 2**63) or
            # as objects (past 64 bits): one by one, exactly, as the bulk
            # calls take them (kpi._buffers)
            col = _exact_ints(raw, name, want)
        if col.dtype.kind == "f":
            raise TypeError(f"events: column {name!r} holds floats; round them to integers")
        if col.dtype.kind not in "biu":
            raise TypeError(f"events: column {name!r} of dtype {col.dtype} is not integer")
        if n and col.dtype.kind != "b" and not np.can_cast(col.dtype, want):
            info = np.iinfo(want)
            lo, hi = col.min(), col.max()
            if int(lo) < info.min or int(hi) > info.max:
                bad = lo if int(lo) < info.min else hi
                raise _lib.KpiRangeError(_lib.ERR_RANGE, "events",
                                         f"{name}: {bad} does not fit in {want}")
        out[name] = col
    return out


def _exact_ints(values, name, want):
    """A list column of Python integers as an array of `want`, each
    checked to fit it (KpiRangeError); a float or anything else that is no
    integer raises TypeError."""
    info = numpy.iinfo(want)
    out = numpy.empty(len(values), dtype=want)
    for i, v in enumerate(values):
        v = as_int(v, f"events: column {name!r}")
        if not info.min <= v <= info.max:
            raise _lib.KpiRangeError(_lib.ERR_RANGE, "events", f"{name}: {v} does not fit in {want}")
        out[i] = v
    return out


def _kind_code(k):
    """An event kind from a column of names: a name (str, or bytes as in
    an 'S' column) or an integer; never a number parsed from text or a
    float truncated."""
    if isinstance(k, bytes):
        k = k.decode("utf-8", "surrogateescape")
    if isinstance(k, str):
        return _code(EVENT_KINDS, k, "kind")
    try:
        return _lib.i64(k, "kind")
    except TypeError:
        raise TypeError(f"events: kind {k!r} is neither a name nor an integer") from None


def _event_buffer(data):
    """(address, n, keep-alive) of the records of `data`."""
    if isinstance(data, ctypes.Array) and data._type_ is _lib.CEvent:
        if ctypes.addressof(data) % _RECORD_ALIGN:
            # from_buffer() builds one at any offset: copied, aligned
            data = type(data).from_buffer_copy(data)
        return (ctypes.addressof(data) if len(data) else None), len(data), data
    if numpy is not None and (isinstance(data, numpy.ndarray) or hasattr(data, "items")):
        a = to_events(data)
        return (a.ctypes.data if a.size else None), a.size, a
    mv = memoryview(data)
    if mv.format.startswith("T{"):
        # records of a stated layout (a memoryview of a structured array):
        # read by field name, never reinterpreted as kpi_event bytes
        if numpy is not None:
            a = to_events(numpy.asarray(mv))
            return (a.ctypes.data if a.size else None), a.size, a
        if mv.format != _CEVENT_FORMAT:
            raise TypeError(f"events: records of layout {mv.format} are not kpi_event "
                            "records (install numpy to convert them by field name)")
    mv = mv.cast("B")  # a buffer of whole records
    if mv.nbytes % EVENT_SIZE:
        raise ValueError(f"events: {mv.nbytes} bytes is not a whole number of "
                         f"{EVENT_SIZE}-byte records")
    n = mv.nbytes // EVENT_SIZE
    if numpy is not None:
        # in place when aligned, read-only ones too (bytes, a read-only
        # mmap of a record file): ctypes' from_buffer needs a writable one
        a = to_events(numpy.frombuffer(mv, dtype=EVENT_DTYPE))
        return (a.ctypes.data if a.size else None), a.size, a
    if n == 0:
        return None, 0, mv
    address = None  # no (CEvent * n): a ctypes type per length (_buffers.buffer_address)
    if not mv.readonly:  # in place, if aligned for the record's int64s
        address, keep = buffer_address(mv)
        if address % ctypes.alignment(_lib.CEvent):
            address = None
    if address is None:
        address, keep = buffer_copy(mv)  # malloc'd: aligned
    return address, n, (keep, mv)


def _c_event(record, fields):
    """A CEvent from a record (EVENT_DTYPE scalar, CEvent, 64 bytes) and
    keyword fields (range-checked; kind may be a name)."""
    if record is None:
        ev = _lib.CEvent()
    elif isinstance(record, _lib.CEvent):
        ev = _lib.CEvent.from_buffer_copy(record)
    else:
        if numpy is not None and isinstance(record, (numpy.void, numpy.ndarray)):
            if record.dtype != EVENT_DTYPE:
                raise TypeError(f"event: a record of EVENT_DTYPE is needed, got {record.dtype}")
            record = record.tobytes()
        try:
            # a buffer's bytes: bytes(64) would be 64 zero bytes, and
            # bytes([0] * 64) a record made of a list
            raw = bytes(memoryview(record))
        except TypeError:
            raise TypeError("event: a record is an EVENT_DTYPE scalar, a CEvent or 64 bytes, "
                            f"not {type(record).__name__}") from None
        if len(raw) != EVENT_SIZE:
            raise ValueError(f"event: a record is {EVENT_SIZE} bytes, got {len(raw)}")
        ev = _lib.CEvent.from_buffer_copy(raw)
    types = dict(_FIELDS)
    for name, value in fields.items():
        if name not in types:
            raise TypeError(f"event: unknown field {name!r}")
        if name == "reserved":
            values = list(value)
            if len(values) != 2:
                raise ValueError("event: reserved holds 2 values")
            for i, v in enumerate(values):
                ev.reserved[i] = _lib.u32(v, "reserved")
            continue
        if name == "kind":
            value = _code(EVENT_KINDS, value, "kind", _lib.u32)
        elif name == "time_ms":
            value = _ms(value, "time_ms")
        lo, hi = _FIELD_RANGES[types[name]]
        setattr(ev, name, _lib._int_in(value, lo, hi, name))
    return ev


# The codes a kpi_event carries in each dimension (index: DIMS): agent
# any, team 0..65535, channel and priority 0..255, topic 32 bits.
_CODE_MAX = (0, 2**64 - 1, 65535, 255, 255, 2**32 - 1)


def _name_args(dim, code, name):
    """(dim, code, name bytes) for kpi_engine_set_name, refused here as the
    library would refuse them: a name is 1..KPI_TOPK_MAX_LABEL bytes
    without NUL (KpiInvalidError / KpiRangeError), the dimension one of
    DIMS after "all" (KpiInvalidError), the code one an event can carry
    (KpiRangeError)."""
    d = _code(DIMS, dim, "dim")
    if not 0 < d < len(DIMS):
        raise _lib.KpiInvalidError(_lib.ERR_INVALID, "set_name", f"dimension {dim!r}")
    b = _label_bytes(name)
    if not b or b"\0" in b:
        raise _lib.KpiInvalidError(_lib.ERR_INVALID, "set_name",
                                   "a name is not empty and holds no NUL byte")
    if len(b) > _NAME_MAX:
        raise _lib.KpiRangeError(_lib.ERR_RANGE, "set_name",
                                 f"a name of {len(b)} bytes (at most {_NAME_MAX})")
    c = _lib.id64(code, "code")
    if c > _CODE_MAX[d]:
        raise _lib.KpiRangeError(_lib.ERR_RANGE, "set_name",
                                 f"{DIMS[d]} code {c} (an event carries 0..{_CODE_MAX[d]})")
    return d, c, b


def _option_int(v):
    """An option's value as a Python int: True and False (numpy's too) as
    1 and 0, any integer as itself; TypeError for anything else."""
    return int(v) if _lib.is_bool(v) else operator.index(v)


def _describe_record(ev):
    get = (lambda f: int(ev[f])) if not isinstance(ev, _lib.CEvent) else \
        (lambda f: getattr(ev, f))
    kind = get("kind")
    name = EVENT_KINDS[kind] if 0 < kind < len(EVENT_KINDS) else f"kind {kind}"
    t = get("time_ms")
    # a NaT of a datetime64 column reaches C as INT64_MIN (out of range)
    when = "NaT (a missing time)" if t == -(1 << 63) else t
    return f"{name} of ticket {get('ticket')} at {when}"


# -- read results -------------------------------------------------------------
Aging = namedtuple("Aging", "under_1d d1_to_3d d3_to_7d over_7d")
Aging.__doc__ = """Unresolved tickets by age: [0, 1 d), [1 d, 3 d), [3 d, 7 d), >= 7 d."""
SlaRisk = namedtuple("SlaRisk", "at_risk breached next_due")
SlaRisk.__doc__ = """Live tickets with a running SLA target already past due
(breached), and the others with one due within the horizon (at_risk): a
ticket counts once; next_due: the earliest due time
at or after now (ms), None if no running target is due at or after now
(none runs, or every running one is past due)."""


def _kind_call(kind, doc):
    """An Engine method for one ticket_event() kind."""
    code = EVENT_KINDS.index(kind)

    def call(self, t_ms, ticket):
        self.ticket_event(t_ms, ticket, code)
    call.__name__ = call.__qualname__ = kind if kind != "closed" else "close_ticket"
    call.__doc__ = f"{doc} (ticket_event with EVENT_{kind.upper()})"
    return call


class _Ref(namedtuple("_Ref", "fname args label")):
    """How a view finds its C object again: C.<fname>(engine, *args, &out)."""

    def __repr__(self):
        return self.label


def _label(metric, dim, key):
    name = METRICS[metric] if 0 <= metric < len(METRICS) else str(metric)
    if dim == 0:
        return f"engine {name}"
    d = DIMS[dim] if 0 <= dim < len(DIMS) else str(dim)
    return f"engine {name} {d}={key}" if key is not None else f"engine {name} by {d}"


def _check_type(m, expected, where):
    """Metric m's type number; KpiTypeError naming both types if it is not
    `expected` (None: any)."""
    t = metric_type(m)
    if expected is not None and t != expected:
        raise _lib.error_for(_lib.ERR_TYPE, where,
                             f"{METRICS[m]} is a {TYPES[t]}, not a {TYPES[expected]}")
    return t


@register
class Engine(KpiObject):
    """The ticket engine (kpi_engine): lifecycle events in, FRT, reply
    time, resolution times, FCR, reopens, repeat contacts, CSAT/NPS/CES,
    SLA, productivity, volume, backlog and aging out, overall and by agent,
    team, channel and priority.  See include/kpi/engine.h for every
    definition.

    ``Engine(**options)`` sets options by name (``reopen_window_ms=...``,
    ``period_ms=...``; see :data:`OPTIONS`), and ``calendar=``,
    ``sla_policy=``, ``targets={metric: [ms, ...]}`` and
    ``names={dim: {code: name}}``; the options are one configuration,
    taken in any keyword order (``csat_max=3, csat_satisfied_from=2`` as
    well as the reverse), and a scale's maximum given alone brings the
    threshold kpi.csat() and kpi.ces() default to on that scale
    (``csat_max=10``: satisfied from 9; ``ces_max=5``: easy from 4);
    options, calendar, policy and targets
    are only possible before the first event (KpiStateError later; after
    reset() again until the next event), names at any time (set_name,
    set_names); calendar and policy are copied (changing or deleting the
    Python object later does not reach the engine).  Times are int ms since the epoch (or aware
    datetimes).  Failing calls raise a KpiError and change nothing, but
    apply(), which keeps the records before a bad one applied.

    Engines merge (``a + b``, ``a += b``; engines that saw disjoint
    tickets, e.g. sharded by customer), serialize (``bytes(e)``,
    ``Engine.from_bytes``, pickle) with their live tickets, copy and reset.
    Not thread-safe: one engine must not be used from two threads at once,
    and its views (metric(), group(), top_topics()) count as the engine.
    """

    _prefix, _tag = "engine", 18

    # the names of the codes, in code order
    KINDS, METRICS, TYPES, DIMS = EVENT_KINDS, METRICS, TYPES, DIMS
    COUNTERS, STATUSES, OPTIONS = COUNTERS, STATUSES, OPTIONS

    def __init__(self, *, calendar=None, sla_policy=None, targets=None, names=None,
                 **options):
        for what, table in (("targets", targets), ("names", names)):
            if table is not None and not hasattr(table, "items"):
                raise TypeError(f"Engine: {what} is a mapping ({what}={{...}}), "
                                f"not a {type(table).__name__}")
        self._new("kpi_engine_new")
        for option in options:
            if option not in OPTIONS:
                raise TypeError(f"Engine: unknown option {option!r}; options: {OPTIONS}")
        # a scale's maximum alone brings the presets' default threshold on
        # that scale (kpi.csat(), kpi.ces()), not the 1-5 / 1-7 default's
        for maximum, threshold, default in (("csat_max", "csat_satisfied_from", _top_two_box),
                                            ("ces_max", "ces_easy_from", _above_middle)):
            if maximum in options and threshold not in options:
                options[threshold] = default(options[maximum])
        for option in self._option_order(options):
            self.set_option(option, options[option])
        if calendar is not None:
            self.set_calendar(calendar)
        if sla_policy is not None:
            self.set_sla_policy(sla_policy)
        for metric, ms in (targets or {}).items():
            try:  # a list of targets, or one (an int, a numpy integer)
                ms = list(ms)
            except TypeError:
                ms = [ms]
            for t in ms:
                self.add_target(metric, t)
        for dim, table in (names or {}).items():
            self.set_names(dim, table)

    def _option_order(self, options):
        """The names of `options` in an order the library accepts them one
        by one: a threshold and its scale's maximum (the FCR minimum and
        maximum) are checked against each other's current value at every
        kpi_engine_set_option, so the threshold goes first when it fits
        under the current maximum (lowering both), else the maximum
        (raising both).  Either order works when only one changes, and
        none for an inconsistent pair, which the library refuses."""
        order = list(options)
        for maximum, threshold in _OPTION_PAIRS:
            if maximum in options and threshold in options:
                try:
                    value = _option_int(options[threshold])
                    top = _option_int(options[maximum])
                    # an inconsistent pair sets its maximum first, so that the
                    # threshold is refused: the FCR maximum would otherwise
                    # take a minimum set first down with it
                    low_first = value <= self.option(maximum) and value <= top
                except TypeError:
                    low_first = True  # set_option raises its own error
                first, second = (threshold, maximum) if low_first else (maximum, threshold)
                order.remove(second)
                order.insert(order.index(first) + 1, second)
        return order

    # -- configuration ------------------------------------------------------
    def set_option(self, option, value):
        """Set an option (a number or name from OPTIONS) before the first
        event; KpiInvalidError for an unknown option, KpiRangeError for a
        value outside its domain, KpiStateError later.

        One option only, as the C call: unlike ``Engine(csat_max=10)``,
        ``set_option("csat_max", 10)`` leaves ``csat_satisfied_from`` where
        it was (4, the default of the 1..5 scale, so 4..10 would count as
        satisfied), and a threshold above the new maximum is refused
        (KpiRangeError): set the threshold too (raise the maximum first,
        lower the threshold first), or give both to the constructor.
        The same holds for ``ces_max`` and ``ces_easy_from``."""
        C.kpi_engine_set_option(self._p, _code(OPTIONS, option, "option"),
                                _lib.i64(_option_int(value), "value"))

    def option(self, option):
        """The value of an option (an int), by ENGINE_OPT_* number or name as in
        options, e.g. "reopen_window_ms" (kpi_engine_option);
        KpiInvalidError for an unknown option."""
        return read_out(C.kpi_engine_option, ctypes.c_int64, self._p,
                        _code(OPTIONS, option, "option"))

    @property
    def options(self):
        """{name: value} of every option."""
        return {name: self.option(i) for i, name in enumerate(OPTIONS)}

    def set_calendar(self, calendar):
        """Attach a copy of a kpi.Calendar (None detaches) for the *_business
        metrics."""
        if calendar is not None and not isinstance(calendar, Calendar):
            raise TypeError("calendar must be a kpi.Calendar or None")
        C.kpi_engine_set_calendar(self._p, calendar._p if calendar is not None else None)

    def set_sla_policy(self, policy):
        """Attach a copy of a kpi.SlaPolicy (None detaches)."""
        if policy is not None and not isinstance(policy, SlaPolicy):
            raise TypeError("policy must be a kpi.SlaPolicy or None")
        C.kpi_engine_set_sla_policy(self._p, policy._p if policy is not None else None)

    def add_target(self, metric, target_ms):
        """Register an exact share_within() target on a duration metric
        (KpiTypeError for another metric; KpiRangeError for a target of 0
        or less, checked first, as the C call does)."""
        m = _code(METRICS, metric, "metric")
        t = _lib.i64(target_ms, "target_ms")
        if t > 0:  # the C call answers a target out of range before a type
            _check_type(m, 1, "kpi_engine_add_target")
        C.kpi_engine_add_target(self._p, m, t)

    def set_name(self, dim, code, name):
        """Name a code of a dimension (agent, team, channel, priority,
        topic); topic codes used in event records must be named first.
        The code is one an event can carry (channel and priority 0..255,
        team 0..65535, topic 0..2**32 - 1; else KpiRangeError).
        A topic is its label, taken at each creation: renaming a code
        leaves the top topics counted so far and the topic of a customer's
        earlier contact as they were (so no same-topic repeat across a
        rename), and two codes of one name are one topic."""
        C.kpi_engine_set_name(self._p, *_name_args(dim, code, name))

    def set_names(self, dim, names):
        """set_name() for each {code: name}.  Every name is checked (a
        dimension, a code, 1..255 bytes without NUL) before the first is
        set, so a refused one (KpiInvalidError, KpiRangeError, TypeError)
        sets none; but the library copies each name as it is set, and a
        failure of that memory (KpiNoMemError) leaves the names before it
        set (no call takes a name back)."""
        self._p  # closed: ValueError, also for no name
        args = [_name_args(dim, code, name) for code, name in dict(names).items()]
        for a in args:
            C.kpi_engine_set_name(self._p, *a)

    def name(self, dim, code):
        """The name of a code (str); KpiInvalidError for a dimension other
        than agent .. topic, KpiUnknownIdError if the code has none."""
        out = ctypes.c_char_p()
        C.kpi_engine_name(self._p, _code(DIMS, dim, "dim"), _lib.id64(code, "code"),
                          ctypes.byref(out))
        return out.value.decode("utf-8", "surrogateescape")

    # -- intake -------------------------------------------------------------
    def created(self, t_ms, ticket, customer=0, channel=0, priority=0, topic=None, flags=0):
        """A ticket was created (topic: a label, str or bytes, or None;
        flags: 0 or EVENT_FLAG_BY_AGENT)."""
        label = None
        if topic is not None:
            label = _label_bytes(topic)
            if b"\0" in label:
                raise _lib.KpiInvalidError(_lib.ERR_INVALID, "created", "a topic holds no NUL")
        C.kpi_engine_created(self._p, _ms(t_ms), _lib.id64(ticket, "ticket"),
                             _lib.id64(customer, "customer"), _lib.u32(channel, "channel"),
                             _lib.u32(priority, "priority"), label, _lib.u32(flags, "flags"))

    def customer_message(self, t_ms, ticket):
        """A customer message on a ticket (kpi_engine_customer_message): a
        customer waits from t_ms unless one already was, pending becomes
        open, and a solved ticket is reopened first (with the option
        message_reopens 0 it is only counted).  KpiUnknownIdError for a
        ticket the engine does not hold, KpiOrderError for a time before the
        ticket's last event, KpiStateError on a closed or merged ticket,
        KpiRangeError, KpiNoMemError, KpiOverflowError; nothing changes on
        failure."""
        C.kpi_engine_customer_message(self._p, _ms(t_ms), _lib.id64(ticket, "ticket"))

    def agent_reply(self, t_ms, ticket, agent=0):
        """A public reply by a human agent (agent 0: the assignee)."""
        C.kpi_engine_agent_reply(self._p, _ms(t_ms), _lib.id64(ticket, "ticket"),
                                 _lib.id64(agent, "agent"))

    def ticket_event(self, t_ms, ticket, kind):
        """A bot reply, handoff, note, open, pending, on-hold, reopen or
        close (EVENT_* kind or its name)."""
        C.kpi_engine_ticket_event(self._p, _ms(t_ms), _lib.id64(ticket, "ticket"),
                                  _code(EVENT_KINDS, kind, "kind", _lib.u32))

    bot_reply = _kind_call("bot_reply", "A reply by a bot or an automation.")
    handoff = _kind_call("handoff", "A bot hands the ticket over to human agents.")
    note = _kind_call("note", "An internal note (never a reply).")
    open = _kind_call("open", "Status change to open.")
    pending = _kind_call("pending", "Status change to pending (pauses the clocks).")
    on_hold = _kind_call("on_hold", "Status change to on-hold.")
    reopened = _kind_call("reopened", "A solved ticket was reopened.")
    close_ticket = _kind_call("closed", "The ticket was closed (close() frees the engine).")

    def assigned(self, t_ms, ticket, agent, team=0):
        """Assigned to an agent (0 = unassigned) and team code (0 = none)."""
        C.kpi_engine_assigned(self._p, _ms(t_ms), _lib.id64(ticket, "ticket"),
                              _lib.id64(agent, "agent"), _lib.u32(team, "team"))

    def resolved(self, t_ms, ticket, agent=0, flags=0):
        """Resolved by an agent (0 = the assignee); flags EVENT_FLAG_BY_BOT."""
        C.kpi_engine_resolved(self._p, _ms(t_ms), _lib.id64(ticket, "ticket"),
                              _lib.id64(agent, "agent"), _lib.u32(flags, "flags"))

    def merged(self, t_ms, ticket, into):
        """Merged into ticket `into` (it settles as merged)."""
        C.kpi_engine_merged(self._p, _ms(t_ms), _lib.id64(ticket, "ticket"),
                            _lib.id64(into, "into"))

    def survey(self, t_ms, ticket, kind, answer):
        """A survey answer: kind EVENT_CSAT, EVENT_NPS or EVENT_CES (or
        "csat", "nps", "ces")."""
        C.kpi_engine_survey(self._p, _ms(t_ms), _lib.id64(ticket, "ticket"),
                            _code(EVENT_KINDS, kind, "kind", _lib.u32),
                            _lib.i32(answer, "answer"))

    def logged_in(self, t_ms, agent, team, logged_in_ms):
        """An agent's logged-in time, for the per-hour productivity ratios
        (kpi_engine_logged_in): agent not 0 (KpiInvalidError),
        logged_in_ms 0 .. 2**40 - 1 (KpiRangeError outside)."""
        C.kpi_engine_logged_in(self._p, _ms(t_ms), _lib.id64(agent, "agent"),
                               _lib.u32(team, "team"), _lib.i64(logged_in_ms, "logged_in_ms"))

    def event(self, record=None, /, **fields):
        """Apply one record: an EVENT_DTYPE scalar, a CEvent, 64 bytes,
        and/or keyword fields (``event(time_ms=..., kind="created",
        ticket=7, ...)``; unused fields stay zero)."""
        ev = _c_event(record, fields)
        C.kpi_engine_event(self._p, ctypes.byref(ev))

    def apply(self, events):
        """Apply records in order; the fast path.

        `events`: an EVENT_DTYPE array (1-D, C-contiguous, aligned: used in
        place, no copy), anything :func:`to_events` converts (one copy), a
        ctypes CEvent array or a buffer of 64-byte records (in place when
        aligned for their int64 fields, read-only ones such as bytes or a
        read-only mmap too, though without numpy only writable ones;
        else copied once; a buffer
        whose items are records of another layout, such as a memoryview
        of a structured array, is converted by field name as to_events()
        does, or refused without numpy).  Returns the
        number applied (all of them).  On a bad record, every record before
        it stays applied, it and the rest are not, and the KpiError raised
        carries ``index`` (the bad record's position = the number applied).
        A value the conversion cannot put in its field (a negative ticket, a
        kind name it does not know) is refused before any record is
        applied: nothing is, and ``index`` is None.
        """
        try:
            address, n, keep = _event_buffer(events)
        except _lib.KpiError as e:
            e.index = None  # a value the conversion refused: nothing applied
            raise
        applied = ctypes.c_size_t()
        try:
            C.kpi_engine_apply(self._p, address, n, EVENT_SIZE, ctypes.byref(applied))
        except _lib.KpiError as e:
            i = applied.value
            detail = f"record {i}"
            if i < n:
                rec = keep[i] if numpy is not None and isinstance(keep, numpy.ndarray) \
                    else _lib.CEvent.from_buffer_copy(
                        ctypes.string_at(address + i * EVENT_SIZE, EVENT_SIZE))
                detail += f" ({_describe_record(rec)})"
            err = _lib.error_for(e.code, "kpi_engine_apply", detail)
            err.index = i
            try:
                raise err from None
            finally:
                # err's traceback holds this frame: a local naming err
                # would make a cycle that keeps the engine, its C memory
                # and the batch alive until the cyclic GC runs
                del err
        return n

    def advance(self, t_ms):
        """Move the engine's time forward: settle tickets whose window
        ended, close periods (earlier times are a no-op)."""
        C.kpi_engine_advance(self._p, _ms(t_ms))

    # -- scalar reads -------------------------------------------------------
    @property
    def time(self):
        """The engine's time (ms): the latest event or advance; KpiEmptyError
        before the first event."""
        return read_out(C.kpi_engine_time, ctypes.c_int64, self._p)

    def count(self, counter):
        """A counter (ENGINE_COUNT_* or its name, e.g. "created");
        KpiInvalidError for an unknown counter."""
        return read_out(C.kpi_engine_count, ctypes.c_uint64, self._p,
                        _code(COUNTERS, counter, "counter"))

    def counts(self):
        """{name: value} of every counter."""
        return {name: self.count(i) for i, name in enumerate(COUNTERS)}

    def backlog(self, period_start_ms):
        """Unresolved tickets at the end of the kept period starting then
        (kpi_engine_backlog): counted when the engine's time first passed
        the period's end.  KpiInvalidError for a time that is no period
        boundary, KpiOrderError for a period no longer kept, KpiEmptyError
        for one that has not ended yet (or ended before the first event)."""
        return read_out(C.kpi_engine_backlog, ctypes.c_uint64, self._p,
                        _ms(period_start_ms, "period_start_ms"))

    def aging(self, now_ms=None):
        """Aging(under_1d, d1_to_3d, d3_to_7d, over_7d): the ages at now_ms
        (default: the engine's time; KpiEmptyError before the first event)
        of the tickets unresolved now (kpi_engine_aging), those created
        after now_ms left out.  The tickets are taken as the engine holds
        them after its latest event: an earlier now_ms is no view of the
        past (a ticket resolved since is not counted); for a past period's
        end read backlog()."""
        now = self.time if now_ms is None else _ms(now_ms, "now_ms")
        out = (ctypes.c_uint64 * CONSTANTS["ENGINE_AGING_BUCKETS"])()
        C.kpi_engine_aging(self._p, now, out)
        return Aging(*out)

    def sla_risk(self, horizon_ms, now_ms=None):
        """SlaRisk(at_risk, breached, next_due) of the live tickets under
        the attached policy at now_ms (default: the engine's time;
        KpiEmptyError before the first event) (kpi_engine_sla_risk): at
        risk means a running target due in [now, now + horizon_ms] (one
        due exactly at now is at risk, not breached).  The tickets are
        taken as the engine holds them after its latest event, also those
        created after now_ms: an earlier now_ms is no view of the past.
        KpiEmptyError without a policy, KpiInvalidError for a negative
        horizon_ms."""
        now = self.time if now_ms is None else _ms(now_ms, "now_ms")
        at_risk, breached, due = ctypes.c_uint64(), ctypes.c_uint64(), ctypes.c_int64()
        C.kpi_engine_sla_risk(self._p, now, _lib.i64(horizon_ms, "horizon_ms"),
                              ctypes.byref(at_risk), ctypes.byref(breached), ctypes.byref(due))
        return SlaRisk(at_risk.value, breached.value,
                       None if due.value == INT64_MAX else due.value)

    def ticket_status(self, ticket):
        """A live ticket's STATUS_* value; KpiUnknownIdError if not live."""
        return read_out(C.kpi_engine_ticket_status, ctypes.c_int, self._p,
                        _lib.id64(ticket, "ticket"))

    @property
    def ticket_bytes(self):
        """Bytes held for live tickets (slots, index, settlement queue)."""
        return C.kpi_engine_ticket_bytes(self._p)

    # -- accumulator reads: read-only views ---------------------------------
    def _member_pointer(self, ref):
        out = ctypes.c_void_p()
        getattr(C, ref.fname)(self._p, *ref.args, ctypes.byref(out))
        return out.value

    def _borrow(self, cls, fname, args, label):
        view = read_only_class(cls).__new__(read_only_class(cls))
        view._member = (self, _Ref(fname, args, label))
        view._p  # look it up once now: errors are raised here
        return view

    def _metric_view(self, metric, dim, key, expected=None):
        m = _code(METRICS, metric, "metric")
        d = _code(DIMS, dim, "dim")
        k = _lib.id64(key, "key")
        if not 0 <= d < len(DIMS):  # as C: an unknown dimension before the type
            raise _lib.KpiInvalidError(_lib.ERR_INVALID, "kpi.Engine", f"dimension {dim!r}")
        t = _check_type(m, expected, "kpi.Engine")
        if t in _TYPE_READS:
            fname, args = _TYPE_READS[t], (m, d, k)
        else:  # the volume series
            fname, args = "kpi_engine_volume", (d, k)
        return self._borrow(_TYPE_CLASSES[t], fname, args,
                            _label(m, d, k if d else None))

    def metric(self, metric, dim=0, key=0):
        """A metric's accumulator, overall (dim DIM_ALL) or for one key of a
        breakdown (dim DIM_AGENT and an agent id, ...), as a read-only view
        of its class (metric_class()).  KpiInvalidError for an unknown
        metric or dimension, KpiRangeError for a breakdown not kept,
        KpiUnknownIdError if nothing was recorded for the key."""
        return self._metric_view(metric, dim, key)

    def duration(self, metric, dim=0, key=0):
        """metric() for a duration metric (KpiTypeError otherwise)."""
        return self._metric_view(metric, dim, key, 1)

    def rate(self, metric, dim=0, key=0):
        """metric() for a rate metric (fcr, reopen, repeat_contact, sla_*): a
        read-only Rate view (kpi_engine_rate).  KpiTypeError for a metric of
        another type, KpiUnknownIdError if nothing was recorded for the
        key."""
        return self._metric_view(metric, dim, key, 2)

    def score(self, metric, dim=0, key=0):
        """metric() for a score metric (csat, nps, ces): a read-only Score view
        (kpi_engine_score).  KpiTypeError for a metric of another type,
        KpiUnknownIdError if nothing was recorded for the key."""
        return self._metric_view(metric, dim, key, 3)

    def ratio(self, metric, dim=0, key=0):
        """metric() for a ratio metric (resolved_per_hour, replies_per_hour): a
        read-only Ratio view (kpi_engine_ratio).  KpiTypeError for a metric
        of another type, KpiUnknownIdError if nothing was recorded for the
        key."""
        return self._metric_view(metric, dim, key, 4)

    def volume(self, dim=0, key=0):
        """The tickets-created Series (overall, or by channel, ...).  Its
        newest period is that of its latest creation, not the engine's
        time (advance() moves neither): ``period(t)`` of a later period
        raises KpiRangeError (no ticket was created in it: a count of 0)."""
        return self._metric_view("volume", dim, key)

    def group(self, metric, dim):
        """A metric broken down by a dimension, as a read-only Group view:
        keys are agent ids or codes, members read-only views.
        KpiInvalidError for an unknown metric or a dimension other than
        agent .. topic, KpiRangeError for a breakdown not kept."""
        m = _code(METRICS, metric, "metric")
        d = _code(DIMS, dim, "dim")
        view = self._borrow(Group, "kpi_engine_group", (m, d), _label(m, d, None))
        view._chain = (metric_class(m),)
        return view

    def top_topics(self):
        """The top-topics TopK (labels of created tickets), a read-only view."""
        return self._borrow(TopK, "kpi_engine_top_topics", (), "engine top topics")

    def window(self, metric, from_ms, to_ms=INT64_MAX):
        """A new owned accumulator: the metric over the kept periods that
        start in [from_ms, to_ms) (kpi_engine_window; "the last N days":
        from_ms = the start of the period N - 1 before the current one).
        KpiInvalidError for an unknown metric, KpiRangeError for the
        volume metric (read volume() instead) or an empty range,
        KpiOrderError if a period starting in the window is
        no longer kept."""
        m = _code(METRICS, metric, "metric")
        cls = metric_class(m)
        out = ctypes.c_void_p()
        C.kpi_engine_window(self._p, m, _ms(from_ms, "from_ms"),
                            _ms(to_ms, "to_ms"), ctypes.byref(out))
        return cls._adopt(out.value)

    def contacts_per_issue(self, repeat=None):
        """Contacts per issue, an Estimate (value, low, high, n): from
        `repeat`, a repeat-contact Rate (a breakdown member's or a
        window's), by default the engine's; 1 / (1 - repeat share).
        ValueError once the engine is closed, `repeat` given or not."""
        self._p  # closed: ValueError, also with a repeat rate of its own
        if repeat is None:
            repeat = self.rate("repeat_contact")
        if not isinstance(repeat, Rate):
            raise TypeError("repeat must be a Rate (of the repeat_contact metric)")
        return read_estimate(C.kpi_engine_contacts_per_issue, repeat._p)

    def window_topics(self, from_ms, to_ms=INT64_MAX):
        """A new owned TopK: the top topics (labels of tickets created) in
        the kept periods that start in [from_ms, to_ms), merged; exact
        while the window's topics fit in the capacity, else with the
        TopK's error bounds.  KpiRangeError for an empty range,
        KpiOrderError if a period starting in the window is no longer
        kept."""
        out = ctypes.c_void_p()
        C.kpi_engine_window_topics(self._p, _ms(from_ms, "from_ms"),
                                   _ms(to_ms, "to_ms"), ctypes.byref(out))
        return TopK._adopt(out.value)

    def _describe(self):
        return f"events={self.count('events')} live={self.count('live')}"
