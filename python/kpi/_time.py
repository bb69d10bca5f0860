"""Durations and time: Duration (FRT, ART, ASA, resolution time), Aht,
ServiceLevel and Series (volume per period with a Holt-Winters forecast).

Durations and timestamps are int64 milliseconds.  Bulk calls take int64
arrays without a copy, and timedelta64[ms] / datetime64[ms] arrays as the
same int64 bits; other units are converted (rounded down to whole ms).
"""

import ctypes
from collections import namedtuple

from . import _lib
from ._base import KpiObject, read_estimate, read_out, register
from ._buffers import out_array, to_result
from ._lib import C

DEFAULT_ACCURACY = 0.01


@register
class Duration(KpiObject):
    """Durations in ms: exact count, sum, min, max; the mean from them;
    quantiles from a DDSketch-style sketch within ``accuracy`` relative
    error of the exact value at rank floor(q (n - 1)) (numpy's
    ``method="lower"``).

    Presets: :func:`kpi.frt`, :func:`kpi.art`, :func:`kpi.asa`,
    :func:`kpi.resolution_time` (1% accuracy).
    """

    _prefix, _tag = "duration", 7

    def __init__(self, accuracy=DEFAULT_ACCURACY, targets=()):
        self._new("kpi_duration_new", _lib.real(accuracy, "accuracy"))
        for t in targets:
            self.add_target(t)

    @classmethod
    def _with_targets(cls, fname, targets):
        obj = cls._preset(fname)
        for t in targets:
            obj.add_target(t)
        return obj

    def add_target(self, target_ms):
        """Register a target for an exact share_within() (only while empty)."""
        C.kpi_duration_add_target(self._p, _lib.i64(target_ms, "target_ms"))

    def add(self, ms):
        """Add one duration in ms, 0 or more (kpi_duration_add).
        KpiRangeError for a negative one, KpiOverflowError if the count or
        the sum would overflow, KpiNoMemError when the sketch's buckets
        cannot grow."""
        C.kpi_duration_add(self._p, _lib.i64(ms, "ms"))

    def add_array(self, ms, threads=None):
        """Add many durations, all or nothing (int64 / timedelta64[ms]
        arrays without a copy).

        ``threads=k`` (an int; None or 1: this thread only) counts k
        contiguous parts of the array at once, each into a fresh object of
        this configuration, and merges them in: the GIL is released during
        the C calls, so the parts run on k cores.  Count, sum, min, max,
        the targets' counts and the sketch's bucket counts add exactly, so
        the result is the one call's, to the byte (also for a sketch that
        collapsed its lowest buckets, which needs an accuracy finer than
        about 0.54%, or 0.3% for durations up to a year: the merge takes
        the collapse floor on).  A refused
        array raises what one call raises and changes nothing."""
        self._add_c_array(C.kpi_duration_add_array, ms, "ms", "durations", threads)

    @property
    def count(self):
        """Number of durations added (kpi_duration_count)."""
        return C.kpi_duration_count(self._p)


    @property
    def accuracy(self):
        """The sketch's relative accuracy given at creation, e.g. 0.01
        (kpi_duration_accuracy)."""
        return C.kpi_duration_accuracy(self._p)

    @property
    def mean(self):
        """The mean in ms, from the exact sum and count (not the sketch),
        divided in double precision (kpi_duration_mean); KpiEmptyError
        while empty."""
        return read_out(C.kpi_duration_mean, ctypes.c_double, self._p)

    @property
    def min(self):
        """The exact smallest duration in ms, an int (kpi_duration_min);
        KpiEmptyError while empty."""
        return read_out(C.kpi_duration_min, ctypes.c_int64, self._p)

    @property
    def max(self):
        """The exact largest duration in ms, an int (kpi_duration_max);
        KpiEmptyError while empty."""
        return read_out(C.kpi_duration_max, ctypes.c_int64, self._p)

    @property
    def sum(self):
        """The exact sum of the durations in ms, an int (kpi_duration_sum);
        KpiEmptyError while empty."""
        return read_out(C.kpi_duration_sum, ctypes.c_int64, self._p)

    def quantile(self, q):
        """The q-quantile in ms (q in [0, 1]; 0.9 is the p90)."""
        return read_out(C.kpi_duration_quantile, ctypes.c_double, self._p, _lib.real(q, "q"))

    def quantiles(self, qs):
        """[quantile(q) for q in qs]."""
        self._p  # closed: ValueError, also for no q
        return [self.quantile(q) for q in qs]

    def share_within(self, target_ms):
        """Share of durations <= target (exact for registered targets)."""
        return read_estimate(C.kpi_duration_share_within, self._p,
                             _lib.i64(target_ms, "target_ms"))

    def _describe(self):
        return f"n={self.count} accuracy={self.accuracy:g}"


def frt(targets=()):
    """First response time (1% accuracy); `targets` registers exact SLA targets."""
    return Duration._with_targets("kpi_frt_new", targets)


def art(targets=()):
    """Average response time (1% accuracy)."""
    return Duration._with_targets("kpi_art_new", targets)


def asa(targets=()):
    """Average speed of answer (1% accuracy)."""
    return Duration._with_targets("kpi_asa_new", targets)


def resolution_time(targets=()):
    """Resolution time (1% accuracy)."""
    return Duration._with_targets("kpi_resolution_time_new", targets)


AHT_TALK, AHT_HOLD, AHT_AFTER_WORK = 0, 1, 2


@register
class Aht(KpiObject):
    """Average handle time: (talk + hold + after-work) / contacts, from the
    exact sums and count (divided in double precision), with per-component
    means and handle-time quantiles (1%)."""

    _prefix, _tag = "aht", 9

    def __init__(self):
        self._new("kpi_aht_new")

    def add(self, talk_ms, hold_ms=0, after_work_ms=0):
        """Add one handled contact: its talk (or chat), hold and after-contact
        work times in ms, each 0 or more (kpi_aht_add).  KpiRangeError for a
        negative time, KpiOverflowError if a sum would overflow,
        KpiNoMemError."""
        C.kpi_aht_add(self._p, _lib.i64(talk_ms), _lib.i64(hold_ms), _lib.i64(after_work_ms))

    def add_array(self, talk_ms, hold_ms, after_work_ms, threads=None):
        """Add n contacts from three int64 (or timedelta64[ms]) arrays, all
        or nothing; ValueError for arrays of different lengths.

        ``threads=k`` (an int; None or 1: this thread only) counts k
        contiguous parts of the contacts at once (the three arrays cut at
        the same indices), each into a fresh Aht, and merges them in: the
        GIL is released during the C calls, so the parts run on k cores.
        The count, the three sums and the handle-time sketch's buckets add
        exactly (every time is 0 or more, so a part or a merge overflows
        only when the whole batch does), so the result is the one call's,
        to the byte.  A refused array raises what one call raises and
        changes nothing."""
        self._add_c_arrays(C.kpi_aht_add_array,
                           ((talk_ms, "ms", "talk_ms"), (hold_ms, "ms", "hold_ms"),
                            (after_work_ms, "ms", "after_work_ms")), threads, "aht")

    @property
    def count(self):
        """Number of handled contacts (kpi_aht_count)."""
        return C.kpi_aht_count(self._p)


    @property
    def mean(self):
        """AHT in ms: (talk + hold + after-work) / contacts, from the exact sums
        and count, divided in double precision (kpi_aht_mean); KpiEmptyError
        while empty."""
        return read_out(C.kpi_aht_mean, ctypes.c_double, self._p)

    def component_mean(self, component):
        """The mean in ms of one component over the handled contacts: AHT_TALK,
        AHT_HOLD or AHT_AFTER_WORK (kpi_aht_component_mean).
        KpiInvalidError for another component, KpiEmptyError while empty."""
        return read_out(C.kpi_aht_component_mean, ctypes.c_double, self._p,
                        _lib.i32(component, "component"))

    @property
    def talk_mean(self):
        """Mean talk time per contact in ms, component_mean(AHT_TALK);
        KpiEmptyError while empty."""
        return self.component_mean(AHT_TALK)

    @property
    def hold_mean(self):
        """Mean hold time per contact in ms, component_mean(AHT_HOLD);
        KpiEmptyError while empty."""
        return self.component_mean(AHT_HOLD)

    @property
    def after_work_mean(self):
        """Mean after-contact work time per contact in ms,
        component_mean(AHT_AFTER_WORK); KpiEmptyError while empty."""
        return self.component_mean(AHT_AFTER_WORK)

    def quantile(self, q):
        """The q-quantile (q in [0, 1]) of the handle time per contact, talk +
        hold + after-work, in ms: 1% relative accuracy, rank convention of
        Duration.quantile (kpi_aht_quantile).  KpiRangeError for q outside
        [0, 1], KpiEmptyError while empty."""
        return read_out(C.kpi_aht_quantile, ctypes.c_double, self._p, _lib.real(q, "q"))

    def _describe(self):
        return f"n={self.count}"


# contact outcomes and service-level formulas (include/kpi/service_level.h)
CONTACT_ANSWERED, CONTACT_ABANDONED, CONTACT_UNSERVED = 0, 1, 2
SL_ANSWERED_OVER_OFFERED = 0
SL_EXCLUDE_SHORT_ABANDONS = 1
SL_ANSWERED_OVER_ANSWERED = 2
SL_ABANDONS_IN_T_MET = 3
SL_EXCLUDE_ABANDONS_IN_T = 4


@register
class ServiceLevel(KpiObject):
    """Contacts offered to a queue (answered / abandoned after a wait, or
    unserved): service level by five formulas, abandonment, unserved
    shares by reason, ASA and wait quantiles of answered contacts.
    Abandons are an outcome of their own, never an unserved reason: reason
    0 holds unserved contacts added without one (add(..., CONTACT_UNSERVED)),
    though Customers names 0 UNSERVED_ABANDONED."""

    _prefix, _tag = "service_level", 8

    def __init__(self, threshold_ms, short_abandon_ms=0):
        self._new("kpi_service_level_new", _lib.i64(threshold_ms, "threshold_ms"),
                  _lib.i64(short_abandon_ms, "short_abandon_ms"))

    def add(self, wait_ms, outcome=CONTACT_ANSWERED):
        """Add one offered contact: its wait in queue in ms (0 or more; ignored
        for an unserved one) and its outcome, CONTACT_ANSWERED,
        CONTACT_ABANDONED or CONTACT_UNSERVED (counted with reason 0)
        (kpi_service_level_add).  KpiInvalidError for an unknown outcome,
        KpiRangeError for a negative wait, KpiOverflowError, KpiNoMemError."""
        C.kpi_service_level_add(self._p, _lib.i64(wait_ms, "wait_ms"),
                                _lib.i32(outcome, "outcome"))

    def add_array(self, wait_ms, outcomes, threads=None):
        """n waits (int64 or timedelta64[ms]) and outcomes (C int: int32
        here), all or nothing; ValueError for arrays of different lengths.

        ``threads=k`` (an int; None or 1: this thread only) counts k
        contiguous parts of the contacts at once (both arrays cut at the
        same indices), each into a fresh object of this threshold and
        short-abandon limit, and merges them in: the GIL is released during
        the C calls, so the parts run on k cores.  The counts per outcome
        and threshold, the unserved reasons and the wait sketch's buckets
        add exactly, so the result is the one call's, to the byte.  A
        refused array raises what one call raises and changes nothing."""
        self._add_c_arrays(C.kpi_service_level_add_array,
                           ((wait_ms, "ms", "wait_ms"), (outcomes, "intc", "outcomes")),
                           threads, "service level")

    def add_unserved(self, reason):
        """Add one unserved (blocked) contact, counted as offered, with a
        caller-defined reason code 0..63 (kpi_service_level_add_unserved).
        KpiRangeError for a reason of 64 or more, KpiOverflowError."""
        C.kpi_service_level_add_unserved(self._p, _lib.u32(reason, "reason"))

    @property
    def offered(self):
        """Offered contacts: answered + abandoned + unserved
        (kpi_service_level_offered)."""
        return C.kpi_service_level_offered(self._p)

    @property
    def answered(self):
        """Answered contacts (kpi_service_level_answered)."""
        return C.kpi_service_level_answered(self._p)

    @property
    def abandoned(self):
        """Abandoned contacts (kpi_service_level_abandoned)."""
        return C.kpi_service_level_abandoned(self._p)

    def share(self, formula=SL_ANSWERED_OVER_OFFERED):
        """The service level by one of the SL_* formulas (by default answered
        within the threshold / offered): an Estimate, value in [0, 1] with
        its Wilson 95% interval, n the formula's denominator
        (kpi_service_level_share).  KpiInvalidError for an unknown formula,
        KpiEmptyError when the denominator is 0."""
        return read_estimate(C.kpi_service_level_share, self._p, _lib.i32(formula, "formula"))

    def abandon_rate(self):
        """Abandoned / offered: an Estimate, value in [0, 1] with its Wilson 95%
        interval (kpi_service_level_abandon_rate); KpiEmptyError with no
        contact offered."""
        return read_estimate(C.kpi_service_level_abandon_rate, self._p)

    def unserved_count(self, reason):
        """Unserved contacts counted with one reason, 0..63; 0 is an answer,
        not an error (kpi_service_level_unserved_count).  KpiRangeError for
        a reason of 64 or more."""
        return read_out(C.kpi_service_level_unserved_count, ctypes.c_uint64, self._p,
                        _lib.u32(reason, "reason"))

    def unserved_share(self, reason=None):
        """Share of offered contacts unserved (for one reason, or any)."""
        if reason is None:
            return read_estimate(C.kpi_service_level_unserved_share, self._p)
        return read_estimate(C.kpi_service_level_unserved_reason_share, self._p,
                             _lib.u32(reason, "reason"))

    @property
    def asa(self):
        """Mean wait of answered contacts (ms): the exact sum over the exact
        count, divided in double precision."""
        return read_out(C.kpi_service_level_asa, ctypes.c_double, self._p)

    def wait_quantile(self, q):
        """The q-quantile (q in [0, 1]) of the wait of answered contacts in ms:
        1% relative accuracy, rank convention of Duration.quantile
        (kpi_service_level_wait_quantile).  KpiRangeError for q outside
        [0, 1], KpiEmptyError with no answered contact."""
        return read_out(C.kpi_service_level_wait_quantile, ctypes.c_double, self._p,
                        _lib.real(q, "q"))

    def _describe(self):
        return f"offered={self.offered}"


SeriesValues = namedtuple("SeriesValues", "start_ms values")
ForecastError = namedtuple("ForecastError", "mae smape")


@register
class Series(KpiObject):
    """Sums per fixed period in a ring of `length` periods
    [origin + k period, origin + (k + 1) period), rolling totals, and an
    optional additive Holt-Winters forecast (set_forecast)."""

    _prefix, _tag = "series", 15

    def __init__(self, period_ms, length, origin_ms=0):
        self._new("kpi_series_new", _lib.i64(period_ms, "period_ms"),
                  _lib.u32(length, "length"), _lib.i64(origin_ms, "origin_ms"))

    def set_forecast(self, season_length, alpha, beta, gamma):
        """Enable the forecast (only while empty)."""
        C.kpi_series_set_forecast(self._p, _lib.u32(season_length, "season_length"),
                                  _lib.real(alpha, "alpha"), _lib.real(beta, "beta"),
                                  _lib.real(gamma, "gamma"))

    def add(self, t_ms, amount=1.0):
        """Add an amount (1.0: one event) to the period containing t_ms
        (kpi_series_add); the amount is finite and at most 1e100 in
        magnitude.  KpiInvalidError for NaN or an infinity, KpiOrderError
        for a t older than the oldest kept period, KpiRangeError for a larger
        amount, a t whose period cannot be represented or (with a forecast)
        a jump of more than 1,000,000 periods."""
        C.kpi_series_add(self._p, _lib.i64(t_ms, "t_ms"), _lib.real(amount, "amount"))

    def add_array(self, t_ms, amounts=None, threads=None):
        """n events (int64 ms or datetime64[ms] without a copy), with
        float64 amounts or 1.0 each; all or nothing; ValueError for arrays
        of different lengths.

        ``threads`` is taken as by every bulk call (None or a positive
        int; TypeError / ValueError otherwise) but the events are always
        counted on this thread, in one call: a series batch is not the
        merge of its parts.  One call validates each event against the ring
        as the events before it (and the object's own) have advanced it: an
        event older than the oldest kept period raises KpiOrderError,
        where a part counted into a fresh series would take it and the
        merge would drop its period from the ring without an error.  A
        forecast sees the periods close in order and does not merge (two
        non-empty series with a forecast refuse to).  And a period's
        value is the plain double sum of its amounts in the order added,
        the total a compensated sum folded in as periods close: summed in
        parts, amounts with fractions could differ in the last bits."""
        self._add_c_arrays(C.kpi_series_add_array,
                           ((t_ms, "time_ms", "t_ms"), (amounts, "double", "amounts")),
                           threads, "series", self._refuse_parts)

    @staticmethod
    def _refuse_parts(keeps, n):
        """add_array's may_split: never (see add_array)."""
        return False

    def period(self, t_ms):
        """The value of the period containing t (kpi_series_period);
        KpiEmptyError before the first amount, KpiRangeError for a period
        not in the ring (older than the oldest kept one, or after the
        newest: the period of the latest amount)."""
        return read_out(C.kpi_series_period, ctypes.c_double, self._p, _lib.i64(t_ms, "t_ms"))

    def last(self, n_periods):
        """The total of the newest n periods."""
        return read_out(C.kpi_series_last, ctypes.c_double, self._p,
                        _lib.u32(n_periods, "n_periods"))

    @property
    def latest(self):
        """Start (ms) of the newest period."""
        return read_out(C.kpi_series_latest, ctypes.c_int64, self._p)

    @property
    def length(self):
        """Number of periods kept, the ring length given at creation
        (kpi_series_length)."""
        return C.kpi_series_length(self._p)

    def values(self):
        """SeriesValues(start_ms of the oldest kept period, the `length`
        period values oldest first).  start_ms is clamped to INT64_MIN when
        the oldest kept periods would start before it (kpi/series.h)."""
        n = self.length
        a, address = out_array("double", n)
        got, start = ctypes.c_size_t(), ctypes.c_int64()
        C.kpi_series_values(self._p, address, n, ctypes.byref(got), ctypes.byref(start))
        return SeriesValues(start.value, to_result(a))

    @property
    def total(self):
        """All amounts ever added."""
        return read_out(C.kpi_series_total, ctypes.c_double, self._p)

    def forecast(self, horizon):
        """The next `horizon` periods (1 = the newest, still open one)."""
        h = _lib.u32(horizon, "horizon")
        a, address = out_array("double", h)
        C.kpi_series_forecast(self._p, h, address, h)
        return to_result(a)

    def forecast_interval(self, h):
        """The forecast h periods ahead (h >= 1; 1 = the newest, still open
        period, as in forecast()) as an Estimate with an approximate 95%
        interval, value +- 1.96 x the RMSE of the one-step errors x sqrt(v_h)
        (additive Holt-Winters; v_h in kpi/series.h), n the number of
        one-step errors (kpi_series_forecast_interval).  KpiStateError
        without set_forecast(), KpiEmptyError before the first one-step
        error, KpiRangeError for h = 0."""
        return read_estimate(C.kpi_series_forecast_interval, self._p, _lib.u32(h, "h"))

    def forecast_error(self):
        """ForecastError(mae, smape) of the one-step forecasts so far."""
        mae, smape = ctypes.c_double(), ctypes.c_double()
        C.kpi_series_forecast_error(self._p, ctypes.byref(mae), ctypes.byref(smape))
        return ForecastError(mae.value, smape.value)

    def _describe(self):
        return f"length={self.length}"
