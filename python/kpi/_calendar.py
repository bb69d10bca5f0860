"""Configuration objects: the business Calendar and the SlaPolicy.

They serialize, copy and pickle like accumulators but do not merge or
reset; ``==`` compares their configurations as written
(kpi_calendar_equal, kpi_sla_policy_equal; identity once one is
closed, as on every other object): equal ones give the same
answers, but not every pair that gives the same answers is equal (a
holiday on a day without opening hours, "J1/0" beside "0/0" in a DST
rule: see kpi/calendar.h).  Instants are int milliseconds since the epoch
(UTC) or timezone-aware ``datetime`` objects.
"""

import ctypes
import datetime
from collections import namedtuple

from . import _lib
from ._base import KpiObject, read_out, register
from ._lib import C

LocalTime = namedtuple("LocalTime", "year month day weekday ms_of_day")
Target = namedtuple("Target", "target_ms business_hours")

SUNDAY, MONDAY, TUESDAY, WEDNESDAY, THURSDAY, FRIDAY, SATURDAY = range(7)
SLA_FIRST_RESPONSE, SLA_NEXT_RESPONSE, SLA_RESOLUTION = 0, 1, 2
_EPOCH = datetime.datetime(1970, 1, 1, tzinfo=datetime.timezone.utc)


def to_ms(t, what="t_ms"):
    """int ms since the epoch from an int or an aware datetime."""
    if isinstance(t, datetime.datetime):
        if t.tzinfo is None:
            raise ValueError(f"{what}: a naive datetime is ambiguous; give tzinfo")
        return (t - _EPOCH) // datetime.timedelta(milliseconds=1)
    return _lib.i64(t, what)


def _ymd(date, what):
    if isinstance(date, datetime.date):
        return date.year, date.month, date.day
    y, m, d = date
    return _lib.i32(y, what), _lib.i32(m, what), _lib.i32(d, what)


class _Configuration(KpiObject):
    _mergeable = False
    _equal = None

    def __eq__(self, other):
        """The configurations as written (kpi_calendar_equal,
        kpi_sla_policy_equal); with a closed operand, identity (as ==
        on every other kpi object), never an error."""
        if type(other) is not type(self):
            return NotImplemented
        if self.closed or other.closed:
            return self is other
        return bool(read_out(getattr(C, self._equal), ctypes.c_int, self._p, other._p))

    __hash__ = None


@register
class Calendar(_Configuration):
    """Weekly opening hours in a POSIX TZ time zone
    ("CET-1CEST,M3.5.0,M10.5.0/3"), holidays and partial closures:
    business time elapsed between instants and due instants."""

    _prefix, _tag, _equal = "calendar", 10, "kpi_calendar_equal"

    def __init__(self, posix_tz="UTC0"):
        if not isinstance(posix_tz, str):
            raise TypeError(f"posix_tz: a str is needed, not {type(posix_tz).__name__}")
        tz = posix_tz.encode()
        if b"\0" in tz:
            # C reads up to the first NUL: the rest would be dropped unseen
            raise _lib.KpiInvalidError(_lib.ERR_INVALID, "kpi_calendar_new",
                                       "a time zone holds no NUL")
        self._new("kpi_calendar_new", tz)

    def add_hours(self, weekday, open_minute, close_minute):
        """Open on weekday (0 = Sunday) from open_minute to close_minute
        (minutes after local midnight, close exclusive)."""
        C.kpi_calendar_add_hours(self._p, _lib.i32(weekday, "weekday"),
                                 _lib.i32(open_minute, "open_minute"),
                                 _lib.i32(close_minute, "close_minute"))

    def add_holiday(self, date):
        """Close a whole local date (a datetime.date or (year, month, day))."""
        C.kpi_calendar_add_holiday(self._p, *_ymd(date, "date"))

    def add_closure(self, date, from_minute, to_minute):
        """Close part of a local date (a datetime.date or (year, month, day))
        from from_minute to to_minute, minutes after local midnight, the end
        exclusive: Christmas Eve from noon is 720, 1440
        (kpi_calendar_add_closure).  KpiRangeError for a date that does not
        exist or unless 0 <= from_minute < to_minute <= 1440,
        KpiDuplicateError if the date already has a holiday or closure,
        KpiLimitError beyond 1,000,000 dates."""
        C.kpi_calendar_add_closure(self._p, *_ymd(date, "date"),
                                   _lib.i32(from_minute, "from_minute"),
                                   _lib.i32(to_minute, "to_minute"))

    def elapsed(self, start, end):
        """Business ms between two instants."""
        return read_out(C.kpi_calendar_elapsed, ctypes.c_int64, self._p,
                        to_ms(start, "start"), to_ms(end, "end"))

    def due(self, start, business_ms):
        """The instant (ms) at which business_ms of business time from start
        have passed."""
        return read_out(C.kpi_calendar_due, ctypes.c_int64, self._p, to_ms(start, "start"),
                        _lib.i64(business_ms, "business_ms"))

    def is_open(self, t):
        """Whether the business is open at instant t, int ms since the epoch or
        an aware datetime (kpi_calendar_is_open).  KpiRangeError for |t|
        above 8.64e15 ms (KPI_CALENDAR_MAX_TIME); ValueError for a naive
        datetime."""
        return bool(read_out(C.kpi_calendar_is_open, ctypes.c_int, self._p, to_ms(t)))

    def utc_offset(self, t):
        """Local time minus UTC at t, in seconds."""
        return read_out(C.kpi_calendar_utc_offset, ctypes.c_int32, self._p, to_ms(t))

    def local_time(self, t):
        """LocalTime(year, month, day, weekday (0 = Sunday), ms_of_day)."""
        out = [ctypes.c_int32() for _ in range(5)]
        C.kpi_calendar_local_time(self._p, to_ms(t), *(ctypes.byref(x) for x in out))
        return LocalTime(*(x.value for x in out))

    @property
    def week_ms(self):
        """Business ms in an ordinary week."""
        return C.kpi_calendar_week_ms(self._p)

    def _describe(self):
        return f"week_ms={self.week_ms}"


@register
class SlaPolicy(_Configuration):
    """Per priority (0..7), targets for first response, next response and
    resolution in calendar time or in business time of a Calendar (the
    policy keeps its own copy of it)."""

    _prefix, _tag, _equal = "sla_policy", 11, "kpi_sla_policy_equal"

    def __init__(self, calendar=None):
        if calendar is not None and not isinstance(calendar, Calendar):
            raise TypeError("calendar must be a kpi.Calendar or None")
        self._new("kpi_sla_policy_new", calendar._p if calendar is not None else None)

    def set_target(self, priority, metric, target_ms, business_hours=False):
        """The target of a metric for a priority, in business time when
        business_hours is True (or 1); any value but True, False, 1 and 0
        raises (KpiRangeError for another integer, as C refuses it, or,
        before the call, for one C's int cannot hold; TypeError for a
        non-integer).  KpiInvalidError for an unknown
        metric (not an SLA_* value), KpiRangeError for a priority of 8 or
        more or a negative target."""
        C.kpi_sla_policy_set_target(self._p, _lib.u32(priority, "priority"),
                                    _lib.i32(metric, "metric"),
                                    _lib.i64(target_ms, "target_ms"),
                                    _lib.flag(business_hours, "business_hours"))

    def target(self, priority, metric):
        """Target(target_ms, business_hours); KpiUnknownIdError if unset."""
        t, b = ctypes.c_int64(), ctypes.c_int()
        C.kpi_sla_policy_target(self._p, _lib.u32(priority, "priority"),
                                _lib.i32(metric, "metric"), ctypes.byref(t), ctypes.byref(b))
        return Target(t.value, bool(b.value))

    def due(self, priority, metric, start, paused_ms=0):
        """The instant (ms since the epoch) the target of a priority and metric
        (SLA_*) falls due for a clock started at `start`: start + target +
        paused_ms in calendar time, or the calendar's due instant for target
        + paused_ms business ms (kpi_sla_policy_due).  KpiUnknownIdError if
        no target is set; KpiInvalidError for an unknown metric;
        KpiRangeError for a priority of 8 or more, a negative paused_ms or a due instant out of range; KpiEmptyError for
        business time on a calendar without opening hours (never due);
        KpiOverflowError."""
        return read_out(C.kpi_sla_policy_due, ctypes.c_int64, self._p,
                        _lib.u32(priority, "priority"), _lib.i32(metric, "metric"),
                        to_ms(start, "start"), _lib.i64(paused_ms, "paused_ms"))

    def met(self, priority, metric, start, end, paused_ms=0):
        """Whether the target of a priority and metric (SLA_*) was met by a
        clock from `start` to `end`: elapsed - paused_ms <= target, elapsed
        and paused_ms in the target's time base, calendar or business
        (kpi_sla_policy_met).  KpiUnknownIdError if no target is set;
        KpiInvalidError for an unknown metric; KpiRangeError for a
        priority of 8 or more, end before start, a negative paused_ms or
        one above the elapsed time, or instants out of
        the calendar's range."""
        return bool(read_out(C.kpi_sla_policy_met, ctypes.c_int, self._p,
                             _lib.u32(priority, "priority"), _lib.i32(metric, "metric"),
                             to_ms(start, "start"), to_ms(end, "end"),
                             _lib.i64(paused_ms, "paused_ms")))

    def remaining(self, priority, metric, start, now, paused_ms=0):
        """ms left before breach at `now` (negative once breached)."""
        return read_out(C.kpi_sla_policy_remaining, ctypes.c_int64, self._p,
                        _lib.u32(priority, "priority"), _lib.i32(metric, "metric"),
                        to_ms(start, "start"), to_ms(now, "now"),
                        _lib.i64(paused_ms, "paused_ms"))
