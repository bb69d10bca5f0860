"""Survey scores and shares: Score (CSAT, ESAT, NPS, CES), Rate, Mean
(sentiment, IQS) and Ratio (cost per resolution, ...)."""

import ctypes
import sys
from collections import namedtuple

from . import _lib
from ._base import KpiObject, read_estimate, read_estimates, read_out, register
from ._buffers import largest_magnitude, out_array
from ._lib import C

NpsShares = namedtuple("NpsShares", "promoters passives detractors")
Shares = namedtuple("Shares", "negative neutral positive")


@register
class Score(KpiObject):
    """Integer answers on a bounded scale [min, max] (at most 1001 values):
    exact counts per answer, so every read is exact.

    Presets: :func:`kpi.csat`, :func:`kpi.esat`, :func:`kpi.nps`,
    :func:`kpi.ces`.  ``Score(min, max)`` sets the favourable threshold to
    max - 1 (top-2-box; max itself when min == max, as max - 1 would be off
    the scale) and the NPS cuts to 9 / 6 when both lie on the scale.
    """

    _prefix, _tag = "score", 2

    def __init__(self, min, max):
        self._new("kpi_score_new", _lib.i32(min, "min"), _lib.i32(max, "max"))

    # -- configuration ------------------------------------------------------
    def set_threshold(self, threshold):
        """The favourable-share threshold (CSAT satisfied, CES easy)."""
        C.kpi_score_set_threshold(self._p, _lib.i32(threshold, "threshold"))

    def set_high_is_easy(self, high_is_easy):
        """True (default): favourable = answer >= threshold; False: <=.
        1 and 0 are taken too; any other value raises (KpiRangeError for
        another integer, as C refuses it; TypeError for a non-integer)."""
        C.kpi_score_set_high_is_easy(self._p, _lib.flag(high_is_easy, "high_is_easy"))

    def set_nps_cuts(self, promoter_from, detractor_to):
        """Set the NPS cut points: promoters answer >= promoter_from, detractors
        <= detractor_to, passives in between (kpi_score_set_nps_cuts).
        KpiRangeError for a cut off the scale or detractor_to >=
        promoter_from, KpiStateError on a group's member."""
        C.kpi_score_set_nps_cuts(self._p, _lib.i32(promoter_from), _lib.i32(detractor_to))

    # -- feeding ------------------------------------------------------------
    def add(self, answer):
        """Add one answer; KpiRangeError off the scale (nothing changes)."""
        C.kpi_score_add(self._p, _lib.i32(answer, "answer"))

    def add_array(self, answers, threads=None):
        """Add many answers, all or nothing.  int32 arrays are passed
        without a copy; other integer arrays are converted (see kpi docs).

        ``threads=k`` (an int; None or 1: this thread only) counts k
        contiguous parts of the array at once, each into a fresh object of
        this configuration, and merges them in: the GIL is released during
        the C calls, so the parts run on k cores.  The counts per answer are
        exact, so the result is the one call's, to the byte; a refused
        array raises what one call raises and changes nothing."""
        self._add_c_array(C.kpi_score_add_array, answers, "int32", "answers", threads)

    # -- reads --------------------------------------------------------------
    @property
    def count(self):
        """Number of answers added (kpi_score_count)."""
        return C.kpi_score_count(self._p)


    @property
    def scale(self):
        """(min, max)."""
        lo, hi = ctypes.c_int32(), ctypes.c_int32()
        C.kpi_score_scale(self._p, ctypes.byref(lo), ctypes.byref(hi))
        return lo.value, hi.value

    def count_of(self, answer):
        """How many times `answer` was given, 0 included (kpi_score_count_of);
        KpiRangeError for an answer off the scale."""
        return read_out(C.kpi_score_count_of, ctypes.c_uint64, self._p, _lib.i32(answer))

    @property
    def distribution(self):
        """{answer: count} for every answer on the scale."""
        lo, hi = self.scale
        a, address = out_array("uint64", hi - lo + 1)
        C.kpi_score_distribution(self._p, address, hi - lo + 1)
        return {lo + i: int(c) for i, c in enumerate(a)}

    @property
    def mean(self):
        """The mean answer (KpiEmptyError before the first answer)."""
        return read_out(C.kpi_score_mean, ctypes.c_double, self._p)

    def mean_ci(self):
        """The mean with a 95% normal-approximation interval."""
        return read_estimate(C.kpi_score_mean_ci, self._p)

    def share_at_least(self, threshold):
        """Share of answers >= threshold: an Estimate, value in [0, 1] with its
        Wilson 95% interval (kpi_score_share_at_least).  KpiRangeError for a
        threshold off the scale, KpiEmptyError before the first answer."""
        return read_estimate(C.kpi_score_share_at_least, self._p, _lib.i32(threshold))

    def share_at_most(self, threshold):
        """Share of answers <= threshold: an Estimate, value in [0, 1] with its
        Wilson 95% interval (kpi_score_share_at_most).  KpiRangeError for a
        threshold off the scale, KpiEmptyError before the first answer."""
        return read_estimate(C.kpi_score_share_at_most, self._p, _lib.i32(threshold))

    def share(self):
        """The favourable share by the configured threshold and direction
        (CSAT satisfied, CES easy), Wilson 95%."""
        return read_estimate(C.kpi_score_csat, self._p)

    def csat(self):
        """CSAT / ESAT: the satisfied share (same figure as share())."""
        return read_estimate(C.kpi_score_csat, self._p)

    def ces_easy(self):
        """CES: the "easy" share (same figure as share())."""
        return read_estimate(C.kpi_score_ces_easy, self._p)

    def nps(self):
        """NPS in [-100, 100] with its adjusted-Wald 95% interval (KpiStateError
        without NPS cut points)."""
        return read_estimate(C.kpi_score_nps, self._p)

    def nps_margin(self):
        """The NPS margin of error in points, 1.96 sqrt((p + d - (p - d)^2) / n)
        x 100 (plain Wald, as the KPI catalogue defines it; 0 when every
        answer is in one class; nps() gives the interval to report)."""
        return read_out(C.kpi_score_nps_margin, ctypes.c_double, self._p)

    def nps_shares(self):
        """NpsShares(promoters, passives, detractors), each an Estimate."""
        return NpsShares(*read_estimates(C.kpi_score_nps_shares, self._p, 3))

    def _describe(self):
        lo, hi = self.scale
        return f"{lo}..{hi} n={self.count}"


def _top_two_box(max):
    """The lowest satisfied answer of top-2-box on a 1..max scale: max - 1
    (4 on 1-5, 9 on 1-10), 1 on a one-answer scale."""
    top = _lib.i32(max, "max")
    return top - 1 if top > 1 else 1


def _above_middle(max):
    """The lowest "easy" answer on a 1..max CES scale by default: the
    answers above the scale's middle (max + 1) / 2, so 5 on 1-7, 4 on 1-5,
    6 on 1-10; 1 on a one-answer scale."""
    top = _lib.i32(max, "max")
    return min(top, (top + 1) // 2 + 1)


def csat(max=5, satisfied_from=None):
    """CSAT: scale 1..max, satisfied = answer >= satisfied_from; by default
    top-2-box on the given scale (4 and 5 on 1-5, 9 and 10 on 1-10: see
    _top_two_box).  Read with .csat() / .share()."""
    if satisfied_from is None:
        satisfied_from = _top_two_box(max)
    return Score._preset("kpi_csat_new", _lib.i32(max, "max"), _lib.i32(satisfied_from))


def esat(max=5, satisfied_from=None):
    """ESAT (employee satisfaction): exactly a CSAT preset (top-2-box by
    default)."""
    if satisfied_from is None:
        satisfied_from = _top_two_box(max)
    return Score._preset("kpi_esat_new", _lib.i32(max, "max"), _lib.i32(satisfied_from))


def nps():
    """NPS: scale 0..10, promoters 9-10, detractors 0-6.  Read with .nps()."""
    return Score._preset("kpi_nps_new")


def ces(max=7, easy_from=None):
    """CES: scale 1..max, easy = answer >= easy_from; by default the
    answers above the scale's middle (5-7 on 1-7, 4-5 on 1-5, 6-10 on
    1-10: see _above_middle).  See Score.set_high_is_easy for scales where 1 is
    easy.  Read with .ces_easy() / .share()."""
    if easy_from is None:
        easy_from = _above_middle(max)
    return Score._preset("kpi_ces_new", _lib.i32(max, "max"), _lib.i32(easy_from))


@register
class Rate(KpiObject):
    """Yes/no outcomes (FCR, reopen, adherence, ...): the share of
    successes with a Wilson 95% interval."""

    _prefix, _tag = "rate", 3

    def __init__(self):
        self._new("kpi_rate_new")

    def add(self, success):
        """Add one outcome: a bool, or 0 / 1."""
        C.kpi_rate_add(self._p, _lib.flag(success, "success"))

    def add_counts(self, successes, trials):
        """Add outcomes counted elsewhere: `successes` out of `trials`
        (kpi_rate_add_counts).  KpiRangeError if successes > trials (or a
        count is negative or above 2**64 - 1), KpiOverflowError if a total
        would pass 2**64 - 1."""
        C.kpi_rate_add_counts(self._p, _lib.u64(successes, "successes"),
                              _lib.u64(trials, "trials"))

    def add_array(self, outcomes, threads=None):
        """Add many outcomes (0/1), all or nothing.  bool and uint8 arrays
        are passed without a copy.

        ``threads=k`` (an int; None or 1: this thread only) counts k
        contiguous parts of the array at once, each into a fresh object of
        this configuration, and merges them in: the GIL is released during
        the C calls, so the parts run on k cores.  Successes and trials
        are exact counts, so the result is the one call's, to the byte; a
        refused array raises what one call raises and changes nothing."""
        self._add_c_array(C.kpi_rate_add_array, outcomes, "uint8", "outcomes", threads)

    @property
    def successes(self):
        """Number of successes added (kpi_rate_successes)."""
        return C.kpi_rate_successes(self._p)

    @property
    def trials(self):
        """Number of outcomes added, successes and failures (kpi_rate_trials)."""
        return C.kpi_rate_trials(self._p)

    def share(self):
        """successes / trials: an Estimate, value in [0, 1] with its Wilson 95%
        interval, n = trials (kpi_rate_share); KpiEmptyError with no
        trials."""
        return read_estimate(C.kpi_rate_share, self._p)

    def _describe(self):
        return f"{self.successes}/{self.trials}"


def wilson(successes, trials):
    """The Wilson 95% interval of successes / trials, without an object
    (kpi_wilson_interval): an Estimate (value, low, high, n = trials).
    KpiRangeError if successes > trials (or either is negative or above
    2**64 - 1), KpiEmptyError if trials is 0."""
    return read_estimate(C.kpi_wilson_interval, _lib.u64(successes, "successes"),
                         _lib.u64(trials, "trials"))


@register
class Mean(KpiObject):
    """Real values: count, (weighted) mean with a 95% interval, variance,
    min, max and shares around two cut points.  Presets
    :func:`kpi.sentiment` and :func:`kpi.iqs`."""

    _prefix, _tag = "mean", 4

    def __init__(self):
        self._new("kpi_mean_new")

    def set_cuts(self, negative_below, positive_above):
        """Cut points of shares() (only while empty)."""
        C.kpi_mean_set_cuts(self._p, _lib.real(negative_below, "negative_below"),
                            _lib.real(positive_above, "positive_above"))

    def add(self, x, weight=None):
        """Add one value x with weight 1 (kpi_mean_add), or with a weight for a
        weighted mean (kpi_mean_add_weighted; finite, at least 2**-511).
        KpiInvalidError for NaN or an infinity; KpiRangeError for x outside
        the accepted range (any finite value, [-1, 1] for sentiment(),
        [0, 1] for iqs()) or a weight below 2**-511, 0 and negative ones
        included; KpiOverflowError if a sum would overflow.  Nothing changes
        on failure."""
        if weight is None:
            C.kpi_mean_add(self._p, _lib.real(x, "x"))
        else:
            C.kpi_mean_add_weighted(self._p, _lib.real(x, "x"), _lib.real(weight, "weight"))

    def add_array(self, xs, threads=None):
        """Add many values (weight 1), all or nothing; float64 arrays are
        passed without a copy, integer arrays converted.

        ``threads=k`` (an int; None or 1: this thread only) counts k
        contiguous parts of the array at once, each into a fresh object of
        this configuration, and merges them in: the GIL is released during
        the C calls, so the parts run on k cores.  count, min, max and the
        shares' counts are exact, so equal to one call's; the mean and
        variance are combined by Chan's formula, as every merge is, and so
        agree with one call's to floating-point rounding, not to the bit:
        each is a plain double sum in another order, so the difference
        grows with the number of values and their spread (the means of a
        million values, half 1e8 and half below 1, thousands of ulps or a
        relative 1e-12 apart; at most about 2 n 2^-53 relative for values
        of one sign).  A refused array raises what one call raises and
        changes nothing."""
        self._add_c_array(C.kpi_mean_add_array, xs, "double", "values", threads)

    def iqs_add(self, points_earned, points_possible):
        """IQS: one reviewed conversation (earned / possible, weight possible)."""
        C.kpi_iqs_add(self._p, _lib.real(points_earned, "points_earned"),
                      _lib.real(points_possible, "points_possible"))

    @property
    def iqs_percent(self):
        """IQS in percent: the weighted mean x 100, so sum earned / sum possible
        x 100 for values fed by iqs_add() (kpi_iqs_percent), up to rounding
        in the last digits (compare with a tolerance); KpiEmptyError with no
        values."""
        return read_out(C.kpi_iqs_percent, ctypes.c_double, self._p)

    @property
    def count(self):
        """Number of values added (kpi_mean_count)."""
        return C.kpi_mean_count(self._p)


    @property
    def mean(self):
        """The (weighted) mean without an interval (kpi_mean_mean);
        KpiEmptyError with no values."""
        return read_out(C.kpi_mean_mean, ctypes.c_double, self._p)

    def mean_ci(self):
        """The (weighted) mean as an Estimate with a 95% normal-approximation
        interval, n the number of values (kpi_mean_mean_ci); with a single value
        the interval is (-inf, inf).  KpiEmptyError with no values."""
        return read_estimate(C.kpi_mean_mean_ci, self._p)

    @property
    def variance(self):
        """Sample variance (n - 1); KpiEmptyError below two values; inf when
        weights below 1 take it past the largest float (kpi/mean.h)."""
        return read_out(C.kpi_mean_variance, ctypes.c_double, self._p)

    @property
    def min(self):
        """The smallest value added (kpi_mean_min); KpiEmptyError with no
        values."""
        return read_out(C.kpi_mean_min, ctypes.c_double, self._p)

    @property
    def max(self):
        """The largest value added (kpi_mean_max); KpiEmptyError with no
        values."""
        return read_out(C.kpi_mean_max, ctypes.c_double, self._p)

    def shares(self):
        """Shares(negative, neutral, positive), each an Estimate."""
        return Shares(*read_estimates(C.kpi_mean_shares, self._p, 3))

    def _describe(self):
        return f"n={self.count}"


def sentiment():
    """Sentiment scores in [-1, 1], cuts -0.05 / +0.05."""
    return Mean._preset("kpi_sentiment_new")


def iqs():
    """Internal quality score: feed iqs_add(earned, possible), read iqs_percent."""
    return Mean._preset("kpi_iqs_new")


# ratio kinds (include/kpi/ratio.h)
RATIO_GENERIC = 0
RATIO_COST_PER_RESOLUTION = 1
RATIO_COST_PER_TICKET = 2
RATIO_COST_TO_REVENUE = 3
RATIO_TICKETS_PER_AGENT_HOUR = 4


@register
class Ratio(KpiObject):
    """Sum of numerators / sum of denominators (cost per resolution, cost
    to revenue, tickets per agent-hour).  ``Ratio(kind)`` takes a RATIO_*
    kind; KpiInvalidError for an unknown one."""

    _prefix, _tag = "ratio", 5

    def __init__(self, kind=RATIO_GENERIC):
        self._new("kpi_ratio_new_with", _lib.u32(kind, "kind"), None)

    def add(self, numerator, denominator):
        """Add to the numerator sum (finite; negative for refunds or credits)
        and the denominator sum (finite, >= 0) (kpi_ratio_add).
        KpiInvalidError for NaN or an infinity, KpiRangeError for a negative
        denominator, KpiOverflowError if the count or a sum would overflow;
        nothing changes on failure."""
        C.kpi_ratio_add(self._p, _lib.real(numerator, "numerator"),
                        _lib.real(denominator, "denominator"))

    def add_array(self, numerators, denominators, threads=None):
        """Add n pairs, all or nothing (float64 arrays without a copy);
        ValueError for arrays of different lengths.

        ``threads=k`` (an int; None or 1: this thread only) counts k
        contiguous parts of the pairs at once (both arrays cut at the same
        indices), each into a fresh ratio of this kind, and merges them
        in: the GIL is released during the C calls, so the parts run on k
        cores.  The count is exact; the sums are compensated (Neumaier)
        sums taken in another order, so the reads (numerator, denominator,
        value) agree with one call's to rounding, within a few ulps, and
        the bytes (each sum's two parts) may differ; for whole-number
        amounts (sums within 2**53) every sum is exact and the state is
        one call's, to the byte.  One call refuses a batch whose running
        sum passes the largest double on the way even when the final sum
        would not (1e308, 1e308, -1e308); parts could accept it, so a batch
        whose magnitudes (the object's sums plus n times the largest
        |amount|) could reach a quarter of the largest double is counted
        on this thread.  A refused array raises what one call raises and
        changes nothing."""
        self._add_c_arrays(C.kpi_ratio_add_array,
                           ((numerators, "double", "numerators"),
                            (denominators, "double", "denominators")),
                           threads, "ratio", self._sums_stay_finite)

    def _sums_stay_finite(self, keeps, n):
        """Whether no running sum of these n pairs after this object's
        sums, in any order and rounding, can pass DBL_MAX (each stays below
        (1 + 2**-53)**n times the bound, far below 4 for any n there is)."""
        bound = abs(self.numerator) + abs(self.denominator) + \
            n * max(largest_magnitude(k) for k in keeps)
        return bound < sys.float_info.max / 4

    @property
    def value(self):
        """Numerator sum / denominator sum (kpi_ratio_value).  KpiEmptyError
        while the denominator sum is 0, KpiOverflowError when the quotient
        passes the range of a double."""
        return read_out(C.kpi_ratio_value, ctypes.c_double, self._p)

    @property
    def numerator(self):
        """The numerator sum (compensated summation; 0.0 while empty)
        (kpi_ratio_numerator)."""
        return C.kpi_ratio_numerator(self._p)

    @property
    def denominator(self):
        """The denominator sum (compensated summation; 0.0 while empty)
        (kpi_ratio_denominator)."""
        return C.kpi_ratio_denominator(self._p)

    @property
    def count(self):
        """Number of (numerator, denominator) pairs added (kpi_ratio_count)."""
        return C.kpi_ratio_count(self._p)

    @property
    def kind(self):
        """The RATIO_* kind given at creation (kpi_ratio_kind); ratios of
        different kinds do not merge."""
        return C.kpi_ratio_kind(self._p)

    def _describe(self):
        return f"{self.numerator}/{self.denominator}"


def cost_per_resolution():
    """Cost per resolution: a Ratio of kind RATIO_COST_PER_RESOLUTION; add
    (operating cost of the period, tickets resolved).  Made by
    kpi_ratio_new_with: the object C's kpi_cost_per_resolution_new makes."""
    return Ratio(RATIO_COST_PER_RESOLUTION)


def cost_per_ticket():
    """Average cost per ticket: a Ratio of kind RATIO_COST_PER_TICKET; add
    (support expenses, tickets opened in the same period).  Made by
    kpi_ratio_new_with: the object C's kpi_cost_per_ticket_new makes."""
    return Ratio(RATIO_COST_PER_TICKET)


def cost_to_revenue():
    """Support cost to revenue: a Ratio of kind RATIO_COST_TO_REVENUE; add
    (support cost, revenue of the period); kpi/ratio.h quotes a value
    under 0.10 as the benchmark.  Made by kpi_ratio_new_with: the object
    C's kpi_cost_to_revenue_new makes."""
    return Ratio(RATIO_COST_TO_REVENUE)


def tickets_per_agent_hour():
    """Tickets per agent-hour: a Ratio of kind RATIO_TICKETS_PER_AGENT_HOUR;
    add (tickets handled, agent hours worked).  Made by
    kpi_ratio_new_with: the object C's kpi_tickets_per_agent_hour_new
    makes."""
    return Ratio(RATIO_TICKETS_PER_AGENT_HOUR)
