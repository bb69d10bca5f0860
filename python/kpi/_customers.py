"""Customer KPIs of a period (Customers) and journeys across channels
(Journey)."""

import ctypes

from . import _lib
from ._base import KpiObject, read_estimate, read_out, register
from ._lib import C

UNSERVED_ABANDONED, UNSERVED_NO_AGENT, UNSERVED_SYSTEM_FAILURE = 0, 1, 2


def _double(fname, doc):
    def get(self):
        return read_out(getattr(C, fname), ctypes.c_double, self._p)
    get.__doc__ = doc
    return property(get)


def _share(fname, doc):
    def get(self):
        return read_estimate(getattr(C, fname), self._p)
    get.__doc__ = doc
    return get


def _count_setter(fname, doc):
    def call(self, n):
        getattr(C, fname)(self._p, _lib.u64(n, "count"))
    call.__doc__ = doc
    return call


@register
class Customers(KpiObject):
    """The inputs of one period and the customer KPIs computed from them
    (churn, retention, referral rate, CLV, engagement, repeat share,
    self-service, unserved contacts).  Each read raises KpiEmptyError when
    its denominator is 0 or an input it needs was never given, except CLV,
    whose denominator is the customers lost: KpiRangeError when none was
    lost (an infinite value); KpiRangeError too for inputs that contradict
    each other (more lost than at the start, more referred than new, ...)."""

    _prefix, _tag = "customers", 16

    def __init__(self):
        self._new("kpi_customers_new")

    set_start = _count_setter("kpi_customers_set_start", "Customers at the start of the period.")
    set_end = _count_setter("kpi_customers_set_end", "Customers at the end of the period.")
    set_active = _count_setter("kpi_customers_set_active", "Active customers, an int "
                               "(from a Distinct: round(Distinct.estimate().value)).")
    add_new = _count_setter("kpi_customers_add_new", "Customers won.")
    add_lost = _count_setter("kpi_customers_add_lost", "Customers lost (of those at the start).")
    add_referred = _count_setter("kpi_customers_add_referred", "New customers who came by referral.")
    add_interactions = _count_setter("kpi_customers_add_interactions", "Customer interactions.")
    add_offered = _count_setter("kpi_customers_add_offered", "Offered contacts.")

    def add_revenue(self, revenue):
        """Add revenue of the period, finite and >= 0, to a compensated sum:
        the revenue of revenue_per_customer and clv
        (kpi_customers_add_revenue).  KpiInvalidError for NaN or an infinity,
        KpiRangeError for a negative amount, KpiOverflowError if the sum
        would pass the largest double (nothing changes)."""
        C.kpi_customers_add_revenue(self._p, _lib.real(revenue, "revenue"))

    def set_margin(self, gross_margin):
        """Set the gross margin used by clv, a share in [0, 1]
        (kpi_customers_set_margin); KpiInvalidError for NaN, KpiRangeError
        outside [0, 1]."""
        C.kpi_customers_set_margin(self._p, _lib.real(gross_margin, "gross_margin"))

    def add_purchasers(self, customers, repeat_customers):
        """Add purchasing customers, `repeat_customers` of whom bought more than
        once: the counts of repeat_share (kpi_customers_add_purchasers).
        KpiRangeError if repeat_customers > customers, KpiOverflowError."""
        C.kpi_customers_add_purchasers(self._p, _lib.u64(customers), _lib.u64(repeat_customers))

    def add_self_service(self, sessions, self_served, assisted):
        """Add self-service sessions (FAQ, knowledge base, chatbot), those of
        them that ended without an assisted ticket (self_served), and
        assisted contacts (tickets, calls, chats with an agent): the counts of
        self_service and self_service_usage (kpi_customers_add_self_service).
        KpiRangeError if self_served > sessions, KpiOverflowError."""
        C.kpi_customers_add_self_service(self._p, _lib.u64(sessions), _lib.u64(self_served),
                                         _lib.u64(assisted))

    def add_unserved(self, reason, n=1):
        """Add n unserved (blocked or abandoned) contacts with a reason 0..63,
        UNSERVED_* or your own (kpi_customers_add_unserved).  They are not
        added to the offered contacts: count them in add_offered() too.
        KpiRangeError for a reason above 63, KpiOverflowError."""
        C.kpi_customers_add_unserved(self._p, _lib.u32(reason, "reason"), _lib.u64(n))

    churn_net = _double("kpi_customers_churn_net", "(start - end) / start.")
    retention = _double("kpi_customers_retention", "CRR = (end - new) / start, never clamped: "
                        "negative when new > end.")
    revenue_per_customer = _double("kpi_customers_revenue_per_customer", "revenue / start.")
    clv = _double("kpi_customers_clv", "revenue x margin / lost (KpiRangeError when "
                  "none was lost: infinite).")
    engagement = _double("kpi_customers_engagement", "interactions / active.")
    churn_lost = _share("kpi_customers_churn_lost", "lost / start, Wilson 95%.")
    referral_rate = _share("kpi_customers_referral_rate", "referred / new.")
    repeat_share = _share("kpi_customers_repeat_share", "repeat / purchasing customers.")
    self_service = _share("kpi_customers_self_service", "self-served / (self-served + assisted).")
    self_service_usage = _share("kpi_customers_self_service_usage",
                                "sessions / (sessions + assisted).")
    abandon_rate = _share("kpi_customers_abandon_rate",
                          "abandoned (KPI_UNSERVED_ABANDONED) / offered.")

    def unserved_count(self, reason):
        """Unserved contacts counted with one reason 0..63, an int; 0 is an
        answer, not an error (kpi_customers_unserved_count).  KpiRangeError
        for a reason above 63."""
        return read_out(C.kpi_customers_unserved_count, ctypes.c_uint64, self._p,
                        _lib.u32(reason, "reason"))

    def unserved_share(self, reason=None):
        """Unserved contacts / offered contacts, for one reason or (None)
        any: an Estimate, value in [0, 1] with its Wilson 95% interval
        (kpi_customers_unserved_reason_share, kpi_customers_unserved_share;
        as ServiceLevel.unserved_share).  KpiEmptyError with no offered
        contacts, KpiRangeError for a reason above 63 or a count above the
        offered contacts."""
        if reason is None:
            return read_estimate(C.kpi_customers_unserved_share, self._p)
        return read_estimate(C.kpi_customers_unserved_reason_share, self._p,
                             _lib.u32(reason, "reason"))


@register
class Journey(KpiObject):
    """Customer journeys across channels: touchpoints until resolve() or
    until idle longer than idle_ms (or evicted when max_customers are
    open).  Means over closed journeys."""

    _prefix, _tag = "journey", 17

    def __init__(self, max_customers, idle_ms):
        self._new("kpi_journey_new", _lib.u32(max_customers, "max_customers"),
                  _lib.i64(idle_ms, "idle_ms"))

    def touch(self, customer, channel, t_ms):
        """Record a touchpoint of a customer (a 64-bit id) on a caller-defined
        channel code at t_ms, opening a journey if the customer has none
        (kpi_journey_touch).  KpiOrderError for a t before the last touch of
        the customer's open journey or older than the clock minus idle_ms;
        KpiOverflowError once 2**64 - 1 touches were made."""
        C.kpi_journey_touch(self._p, _lib.id64(customer, "customer"),
                            _lib.u32(channel, "channel"), _lib.i64(t_ms, "t_ms"))

    def resolve(self, customer, t_ms):
        """End the customer's open journey as resolved at t_ms
        (kpi_journey_resolve).  KpiUnknownIdError if the customer has no open
        journey (or it has been idle longer than idle_ms at t), KpiOrderError
        for a t before its last touch or older than the clock minus
        idle_ms."""
        C.kpi_journey_resolve(self._p, _lib.id64(customer, "customer"), _lib.i64(t_ms, "t_ms"))

    def advance(self, t_ms):
        """Move the clock to t, closing idle journeys as unresolved."""
        C.kpi_journey_advance(self._p, _lib.i64(t_ms, "t_ms"))

    touchpoints_mean = _double(
        "kpi_journey_touchpoints_mean",
        "Mean touchpoints per closed journey: a customer with two journeys counts twice "
        "(per distinct customer: the touches over a Distinct fed the same ids).")
    switches_mean = _double("kpi_journey_switches_mean", "Mean channel switches per closed journey.")

    @property
    def resolution_mean(self):
        """Mean ms from first touch to resolution over resolved journeys."""
        out, n = ctypes.c_double(), ctypes.c_uint64()
        C.kpi_journey_resolution_mean(self._p, ctypes.byref(out), ctypes.byref(n))
        return out.value

    @property
    def resolved(self):
        """Number of resolved journeys."""
        out, n = ctypes.c_double(), ctypes.c_uint64()
        try:
            C.kpi_journey_resolution_mean(self._p, ctypes.byref(out), ctypes.byref(n))
        except _lib.KpiEmptyError:
            return 0
        return n.value

    @property
    def open(self):
        """Number of journeys open now (kpi_journey_open)."""
        return C.kpi_journey_open(self._p)

    @property
    def unresolved(self):
        """Journeys closed as unresolved: idle longer than idle_ms, or evicted
        (kpi_journey_unresolved)."""
        return C.kpi_journey_unresolved(self._p)

    @property
    def evicted(self):
        """Journeys evicted to make room while max_customers were open; part of
        unresolved (kpi_journey_evicted)."""
        return C.kpi_journey_evicted(self._p)

    def _describe(self):
        return f"open={self.open}"
