"""Loading libkpi, its C signatures, and its errors.

Everything that touches ctypes directly lives here:

- :func:`load` finds the shared library (``KPI_LIBRARY``, then the build
  tree, then the system) and says which paths it tried when it fails;
- :data:`C` is the table of C functions: each is declared (``argtypes``,
  ``restype``) the first time it is used, from :data:`SIGNATURES` or, for
  the verbs every accumulator shares, from its name prefix
  (:func:`verb_signature`); status-returning functions raise a
  :class:`KpiError` subclass through ``errcheck``, so no error passes
  silently;
- argument checks (``i32``, ``u64``, ...) that refuse Python integers a C
  integer cannot hold, instead of letting ctypes truncate them.
"""

import ctypes
import ctypes.util
import operator
import os
from ctypes import (POINTER, c_char_p, c_double, c_int, c_int32, c_int64,
                    c_size_t, c_uint32, c_uint64, c_void_p)

# The major version of the C library this package speaks to: the
# package's own (kpi.__version__); a 1.x package takes every 1.x library.
LIB_MAJOR = 0
# The shared library's soname number, libkpi.so.N: libtool's CURRENT - AGE
# (configure.ac), not the version's major: every 1.x release installs
# libkpi.so.0 (docs/abi.md, "How the soname changes").
SONAME_MAJOR = 0

# ---------------------------------------------------------------------------
# Status codes (include/kpi/common.h; append-only, never renumbered)
# ---------------------------------------------------------------------------
OK = 0
ERR_INVALID = -1
ERR_RANGE = -2
ERR_NOMEM = -3
ERR_EMPTY = -4
ERR_INCOMPATIBLE = -5
ERR_CORRUPT = -6
ERR_VERSION = -7
ERR_BUFFER = -8
ERR_ORDER = -9
ERR_UNKNOWN_ID = -10
ERR_DUPLICATE = -11
ERR_TRUNCATED = -12
ERR_TYPE = -13
ERR_STATE = -14
ERR_LIMIT = -15
ERR_OVERFLOW = -16


class KpiError(Exception):
    """A libkpi call failed.

    ``code`` is the negative status code, ``name`` its symbol
    ("KPI_ERR_RANGE"), ``strerror`` the library's text (kpi_strerror) and
    ``function`` the C function (or Python check) that refused.  The object
    the call was made on is unchanged, but for Engine.apply, which keeps
    the records before the bad one applied (the error's ``index``; None
    when the conversion of the records refused a value: nothing applied).
    """

    def __init__(self, code, function=None, detail=None):
        self.code = code
        self.name = status_name(code)
        self.strerror = strerror(code)
        self.function = function
        self.detail = detail
        text = self.strerror
        if detail:
            text = f"{text}: {detail}"
        where = f"{function}: " if function else ""
        super().__init__(f"{where}{text} ({self.name}, {code})")

    def __reduce__(self):
        # attributes set after construction (Engine.apply's `index`)
        # travel too
        return (_rebuild_error, (self.code, self.function, self.detail), self.__dict__)

    def __str__(self):
        return self.args[0] if self.args else ""


def _rebuild_error(code, function, detail):
    return error_for(code, function, detail)


class KpiLoadError(OSError):
    """The C library could not be found or loaded (every path tried is in
    the message)."""


# One subclass per code; the Python builtin beside KpiError lets generic
# handlers (except ValueError, except MemoryError, except KeyError) work.
class KpiInvalidError(KpiError, ValueError):
    """KPI_ERR_INVALID: NULL, NaN, a malformed string or option."""


class KpiRangeError(KpiError, ValueError):
    """KPI_ERR_RANGE: a value outside the accepted range."""


class KpiNoMemError(KpiError, MemoryError):
    """KPI_ERR_NOMEM: an allocation failed; nothing changed."""


class KpiEmptyError(KpiError):
    """KPI_ERR_EMPTY: the object holds no data, so the value does not exist."""


class KpiIncompatibleError(KpiError, ValueError):
    """KPI_ERR_INCOMPATIBLE: two objects configured differently."""


class KpiCorruptError(KpiError, ValueError):
    """KPI_ERR_CORRUPT: bytes that are not a libkpi state."""


class KpiVersionError(KpiError, ValueError):
    """KPI_ERR_VERSION: a state format this library does not know."""


class KpiBufferError(KpiError):
    """KPI_ERR_BUFFER: an output buffer was too small."""


class KpiOrderError(KpiError, ValueError):
    """KPI_ERR_ORDER: an event earlier than one already applied."""


class KpiUnknownIdError(KpiError, KeyError):
    """KPI_ERR_UNKNOWN_ID: an id the object has never seen."""


class KpiDuplicateError(KpiError, ValueError):
    """KPI_ERR_DUPLICATE: an id or entry the object already has."""


class KpiTruncatedError(KpiError, ValueError):
    """KPI_ERR_TRUNCATED: state bytes end early."""


class KpiTypeError(KpiError, ValueError):
    """KPI_ERR_TYPE: state bytes of another type, or a type that cannot be
    used here."""


class KpiStateError(KpiError):
    """KPI_ERR_STATE: not allowed in the object's current state."""


class KpiLimitError(KpiError):
    """KPI_ERR_LIMIT: a hard capacity limit would be exceeded."""


class KpiOverflowError(KpiError, OverflowError):
    """KPI_ERR_OVERFLOW: a counter or sum would overflow."""


ERRORS = {
    ERR_INVALID: KpiInvalidError, ERR_RANGE: KpiRangeError,
    ERR_NOMEM: KpiNoMemError, ERR_EMPTY: KpiEmptyError,
    ERR_INCOMPATIBLE: KpiIncompatibleError, ERR_CORRUPT: KpiCorruptError,
    ERR_VERSION: KpiVersionError, ERR_BUFFER: KpiBufferError,
    ERR_ORDER: KpiOrderError, ERR_UNKNOWN_ID: KpiUnknownIdError,
    ERR_DUPLICATE: KpiDuplicateError, ERR_TRUNCATED: KpiTruncatedError,
    ERR_TYPE: KpiTypeError, ERR_STATE: KpiStateError,
    ERR_LIMIT: KpiLimitError, ERR_OVERFLOW: KpiOverflowError,
}


def error_for(code, function=None, detail=None):
    """The exception for a status code (KpiError itself for a code newer
    than this package)."""
    return ERRORS.get(code, KpiError)(code, function, detail)


# ---------------------------------------------------------------------------
# The estimate struct (frozen layout: include/kpi/common.h)
# ---------------------------------------------------------------------------
class CEstimate(ctypes.Structure):
    _fields_ = [("value", c_double), ("lower", c_double),
                ("upper", c_double), ("n", c_uint64)]


# ---------------------------------------------------------------------------
# The engine's event record (frozen layout: include/kpi/engine.h kpi_event,
# 64 bytes, naturally aligned, no padding)
# ---------------------------------------------------------------------------
class CEvent(ctypes.Structure):
    """The C kpi_event record (kpi/engine.h) as a ctypes Structure: 64 bytes,
    the layout of EVENT_DTYPE (time_ms, ticket, actor, value, kind, flags,
    channel, priority, team, topic, reserved: zero).  Engine.event()
    takes one; an array of them is a batch for Engine.apply()."""
    _fields_ = [("time_ms", c_int64), ("ticket", c_uint64), ("actor", c_uint64),
                ("value", c_int64), ("kind", c_uint32), ("flags", c_uint32),
                ("channel", c_uint32), ("priority", c_uint32), ("team", c_uint32),
                ("topic", c_uint32), ("reserved", c_uint32 * 2)]


assert ctypes.sizeof(CEvent) == 64


# ---------------------------------------------------------------------------
# Finding and loading the library
# ---------------------------------------------------------------------------
_HERE = os.path.dirname(os.path.abspath(__file__))


def candidates():
    """The places :func:`load` tries, in order, as (origin, path) pairs.

    ``KPI_LIBRARY`` set: that path only (no fallback).  Otherwise the
    automake build tree: ``$KPI_BUILDDIR/lib/.libs/libkpi.so`` when that
    variable names a (possibly out-of-tree) build directory, then
    ``lib/.libs/libkpi.so`` of the source tree this package sits in
    (``python/kpi/../../lib/.libs``); then the system:
    ``ctypes.util.find_library("kpi")`` and the soname through the dynamic
    loader's own search (``LD_LIBRARY_PATH``, ``/etc/ld.so.cache``).
    """
    env = os.environ.get("KPI_LIBRARY")
    if env:
        return [("KPI_LIBRARY", env)]
    out = []
    builddir = os.environ.get("KPI_BUILDDIR")
    if builddir:
        out.append(("KPI_BUILDDIR",
                    os.path.join(builddir, "lib", ".libs", "libkpi.so")))
    out.append(("build tree", os.path.normpath(
        os.path.join(_HERE, "..", "..", "lib", ".libs", "libkpi.so"))))
    found = ctypes.util.find_library("kpi")
    if found:
        out.append(("find_library", found))
    out.append(("system", f"libkpi.so.{SONAME_MAJOR}"))
    return out


def load():
    """Load libkpi; return (CDLL, path).  Raises KpiLoadError listing every
    place tried and why each failed."""
    tried = []
    for origin, path in candidates():
        if os.sep in path and not os.path.exists(path):
            tried.append(f"  {origin}: {path} (no such file)")
            continue
        try:
            lib = ctypes.CDLL(path)
        except OSError as e:
            tried.append(f"  {origin}: {path} ({e})")
            continue
        try:
            version = lib.kpi_version_number
        except AttributeError:
            tried.append(f"  {origin}: {path} (not libkpi: no kpi_version_number)")
            continue
        version.restype, version.argtypes = c_uint32, []
        major = version() // 10000
        if major != LIB_MAJOR:
            tried.append(f"  {origin}: {path} (libkpi major version {major}, "
                         f"this package needs {LIB_MAJOR})")
            continue
        return lib, path
    raise KpiLoadError(
        "libkpi: could not load the C library. Tried:\n" + "\n".join(tried) +
        "\nBuild it (./configure && make) or install it, or set KPI_LIBRARY "
        "to the path of libkpi.so.")


lib, library_path = load()

# ---------------------------------------------------------------------------
# Signatures.  P: an object handle; PP: where a new handle is written;
# BUF: a data buffer (numpy array, ctypes array or bytes); the others
# are pointers to outputs.  None as restype below means "status": c_int
# with an errcheck that raises.
# ---------------------------------------------------------------------------
P = c_void_p
PP = POINTER(c_void_p)
BUF = c_void_p
I32, U32, I64, U64, D, SZ, INT = c_int32, c_uint32, c_int64, c_uint64, c_double, c_size_t, c_int
pD, pI64, pU64, pSZ, pI32, pINT = (POINTER(c_double), POINTER(c_int64), POINTER(c_uint64),
                                   POINTER(c_size_t), POINTER(c_int32), POINTER(c_int))
EST = POINTER(CEstimate)
ST = None  # status

SIGNATURES = {
    # common
    "kpi_version_number": (U32, []),
    "kpi_version_string": (c_char_p, []),
    "kpi_strerror": (c_char_p, [INT]),
    "kpi_status_name": (c_char_p, [INT]),
    "kpi_status_last": (INT, []),
    "kpi_wilson_interval": (ST, [U64, U64, EST]),
    # score
    "kpi_score_new": (ST, [PP, I32, I32]),
    "kpi_csat_new": (ST, [PP, I32, I32]),
    "kpi_esat_new": (ST, [PP, I32, I32]),
    "kpi_nps_new": (ST, [PP]),
    "kpi_ces_new": (ST, [PP, I32, I32]),
    "kpi_score_set_threshold": (ST, [P, I32]),
    "kpi_score_set_high_is_easy": (ST, [P, INT]),
    "kpi_score_set_nps_cuts": (ST, [P, I32, I32]),
    "kpi_score_add": (ST, [P, I32]),
    "kpi_score_add_array": (ST, [P, BUF, SZ]),
    "kpi_score_count": (U64, [P]),
    "kpi_score_scale": (ST, [P, pI32, pI32]),
    "kpi_score_count_of": (ST, [P, I32, pU64]),
    "kpi_score_distribution": (ST, [P, BUF, SZ]),
    "kpi_score_mean": (ST, [P, pD]),
    "kpi_score_mean_ci": (ST, [P, EST]),
    "kpi_score_share_at_least": (ST, [P, I32, EST]),
    "kpi_score_share_at_most": (ST, [P, I32, EST]),
    "kpi_score_csat": (ST, [P, EST]),
    "kpi_score_ces_easy": (ST, [P, EST]),
    "kpi_score_nps": (ST, [P, EST]),
    "kpi_score_nps_shares": (ST, [P, EST, EST, EST]),
    "kpi_score_nps_margin": (ST, [P, pD]),
    # rate
    "kpi_rate_new": (ST, [PP]),
    "kpi_rate_add": (ST, [P, INT]),
    "kpi_rate_add_counts": (ST, [P, U64, U64]),
    "kpi_rate_add_array": (ST, [P, BUF, SZ]),
    "kpi_rate_successes": (U64, [P]),
    "kpi_rate_trials": (U64, [P]),
    "kpi_rate_share": (ST, [P, EST]),
    # mean
    "kpi_mean_new": (ST, [PP]),
    "kpi_sentiment_new": (ST, [PP]),
    "kpi_iqs_new": (ST, [PP]),
    "kpi_mean_set_cuts": (ST, [P, D, D]),
    "kpi_mean_add": (ST, [P, D]),
    "kpi_mean_add_weighted": (ST, [P, D, D]),
    "kpi_mean_add_array": (ST, [P, BUF, SZ]),
    "kpi_iqs_add": (ST, [P, D, D]),
    "kpi_iqs_percent": (ST, [P, pD]),
    "kpi_mean_count": (U64, [P]),
    "kpi_mean_mean": (ST, [P, pD]),
    "kpi_mean_mean_ci": (ST, [P, EST]),
    "kpi_mean_variance": (ST, [P, pD]),
    "kpi_mean_min": (ST, [P, pD]),
    "kpi_mean_max": (ST, [P, pD]),
    "kpi_mean_shares": (ST, [P, EST, EST, EST]),
    # ratio
    "kpi_ratio_new": (ST, [PP]),
    "kpi_ratio_new_with": (ST, [PP, U32, c_void_p]),
    "kpi_cost_per_resolution_new": (ST, [PP]),
    "kpi_cost_per_ticket_new": (ST, [PP]),
    "kpi_cost_to_revenue_new": (ST, [PP]),
    "kpi_tickets_per_agent_hour_new": (ST, [PP]),
    "kpi_ratio_add": (ST, [P, D, D]),
    "kpi_ratio_add_array": (ST, [P, BUF, BUF, SZ]),
    "kpi_ratio_value": (ST, [P, pD]),
    "kpi_ratio_numerator": (D, [P]),
    "kpi_ratio_denominator": (D, [P]),
    "kpi_ratio_count": (U64, [P]),
    "kpi_ratio_kind": (U32, [P]),
    # group
    "kpi_group_new": (ST, [PP, P]),
    "kpi_group_get": (ST, [P, U64, PP]),
    "kpi_group_find": (ST, [P, U64, PP]),
    "kpi_group_size": (SZ, [P]),
    "kpi_group_keys": (ST, [P, BUF, SZ, pSZ]),
    "kpi_group_remove": (ST, [P, U64]),
    "kpi_group_total": (ST, [P, PP]),
    "kpi_group_rate_spread": (ST, [P, U64, pD, pD, pD, pD, pSZ]),
    "kpi_group_mean_spread": (ST, [P, U64, pD, pD, pD, pD, pSZ]),
    # series
    "kpi_series_new": (ST, [PP, I64, U32, I64]),
    "kpi_series_set_forecast": (ST, [P, U32, D, D, D]),
    "kpi_series_add": (ST, [P, I64, D]),
    "kpi_series_add_array": (ST, [P, BUF, BUF, SZ]),
    "kpi_series_period": (ST, [P, I64, pD]),
    "kpi_series_last": (ST, [P, U32, pD]),
    "kpi_series_latest": (ST, [P, pI64]),
    "kpi_series_length": (U32, [P]),
    "kpi_series_values": (ST, [P, BUF, SZ, pSZ, pI64]),
    "kpi_series_total": (ST, [P, pD]),
    "kpi_series_forecast": (ST, [P, U32, BUF, SZ]),
    "kpi_series_forecast_interval": (ST, [P, U32, EST]),
    "kpi_series_forecast_error": (ST, [P, pD, pD]),
    # customers
    "kpi_customers_new": (ST, [PP]),
    "kpi_customers_set_start": (ST, [P, U64]),
    "kpi_customers_set_end": (ST, [P, U64]),
    "kpi_customers_set_active": (ST, [P, U64]),
    "kpi_customers_add_new": (ST, [P, U64]),
    "kpi_customers_add_lost": (ST, [P, U64]),
    "kpi_customers_add_referred": (ST, [P, U64]),
    "kpi_customers_add_revenue": (ST, [P, D]),
    "kpi_customers_set_margin": (ST, [P, D]),
    "kpi_customers_add_interactions": (ST, [P, U64]),
    "kpi_customers_add_purchasers": (ST, [P, U64, U64]),
    "kpi_customers_add_self_service": (ST, [P, U64, U64, U64]),
    "kpi_customers_add_offered": (ST, [P, U64]),
    "kpi_customers_add_unserved": (ST, [P, U32, U64]),
    "kpi_customers_churn_net": (ST, [P, pD]),
    "kpi_customers_churn_lost": (ST, [P, EST]),
    "kpi_customers_retention": (ST, [P, pD]),
    "kpi_customers_referral_rate": (ST, [P, EST]),
    "kpi_customers_revenue_per_customer": (ST, [P, pD]),
    "kpi_customers_clv": (ST, [P, pD]),
    "kpi_customers_engagement": (ST, [P, pD]),
    "kpi_customers_repeat_share": (ST, [P, EST]),
    "kpi_customers_self_service": (ST, [P, EST]),
    "kpi_customers_self_service_usage": (ST, [P, EST]),
    "kpi_customers_unserved_count": (ST, [P, U32, pU64]),
    "kpi_customers_unserved_reason_share": (ST, [P, U32, EST]),
    "kpi_customers_unserved_share": (ST, [P, EST]),
    "kpi_customers_abandon_rate": (ST, [P, EST]),
    # journey
    "kpi_journey_new": (ST, [PP, U32, I64]),
    "kpi_journey_touch": (ST, [P, U64, U32, I64]),
    "kpi_journey_resolve": (ST, [P, U64, I64]),
    "kpi_journey_advance": (ST, [P, I64]),
    "kpi_journey_touchpoints_mean": (ST, [P, pD]),
    "kpi_journey_switches_mean": (ST, [P, pD]),
    "kpi_journey_resolution_mean": (ST, [P, pD, pU64]),
    "kpi_journey_open": (U64, [P]),
    "kpi_journey_unresolved": (U64, [P]),
    "kpi_journey_evicted": (U64, [P]),
    # duration
    "kpi_duration_new": (ST, [PP, D]),
    "kpi_frt_new": (ST, [PP]),
    "kpi_art_new": (ST, [PP]),
    "kpi_asa_new": (ST, [PP]),
    "kpi_resolution_time_new": (ST, [PP]),
    "kpi_duration_add_target": (ST, [P, I64]),
    "kpi_duration_add": (ST, [P, I64]),
    "kpi_duration_add_array": (ST, [P, BUF, SZ]),
    "kpi_duration_count": (U64, [P]),
    "kpi_duration_accuracy": (D, [P]),
    "kpi_duration_mean": (ST, [P, pD]),
    "kpi_duration_min": (ST, [P, pI64]),
    "kpi_duration_max": (ST, [P, pI64]),
    "kpi_duration_sum": (ST, [P, pI64]),
    "kpi_duration_quantile": (ST, [P, D, pD]),
    "kpi_duration_share_within": (ST, [P, I64, EST]),
    # aht
    "kpi_aht_new": (ST, [PP]),
    "kpi_aht_add": (ST, [P, I64, I64, I64]),
    "kpi_aht_add_array": (ST, [P, BUF, BUF, BUF, SZ]),
    "kpi_aht_count": (U64, [P]),
    "kpi_aht_mean": (ST, [P, pD]),
    "kpi_aht_component_mean": (ST, [P, INT, pD]),
    "kpi_aht_quantile": (ST, [P, D, pD]),
    # service level
    "kpi_service_level_new": (ST, [PP, I64, I64]),
    "kpi_service_level_add": (ST, [P, I64, INT]),
    "kpi_service_level_add_array": (ST, [P, BUF, BUF, SZ]),
    "kpi_service_level_add_unserved": (ST, [P, U32]),
    "kpi_service_level_offered": (U64, [P]),
    "kpi_service_level_answered": (U64, [P]),
    "kpi_service_level_abandoned": (U64, [P]),
    "kpi_service_level_share": (ST, [P, INT, EST]),
    "kpi_service_level_abandon_rate": (ST, [P, EST]),
    "kpi_service_level_unserved_count": (ST, [P, U32, pU64]),
    "kpi_service_level_unserved_share": (ST, [P, EST]),
    "kpi_service_level_unserved_reason_share": (ST, [P, U32, EST]),
    "kpi_service_level_asa": (ST, [P, pD]),
    "kpi_service_level_wait_quantile": (ST, [P, D, pD]),
    # top-k
    "kpi_topk_new": (ST, [PP, U32]),
    "kpi_topk_add": (ST, [P, BUF, SZ, U64]),
    "kpi_topk_add_array": (ST, [P, BUF, BUF, SZ]),
    "kpi_topk_total": (U64, [P]),
    "kpi_topk_size": (SZ, [P]),
    "kpi_topk_error_bound": (U64, [P]),
    "kpi_topk_entry": (ST, [P, SZ, POINTER(c_void_p), pSZ, pU64, pU64, pU64]),
    "kpi_topk_estimate": (ST, [P, BUF, SZ, pU64, pU64, pU64]),
    "kpi_topk_share": (ST, [P, BUF, SZ, EST]),
    "kpi_topk_id_new": (ST, [PP, U32]),
    "kpi_topk_id_add": (ST, [P, U64, U64]),
    "kpi_topk_id_add_array": (ST, [P, BUF, SZ]),
    "kpi_topk_id_add_codes": (ST, [P, BUF, SZ]),
    "kpi_topk_id_add_codes16": (ST, [P, BUF, SZ]),
    "kpi_topk_id_total": (U64, [P]),
    "kpi_topk_id_size": (SZ, [P]),
    "kpi_topk_id_error_bound": (U64, [P]),
    "kpi_topk_id_entry": (ST, [P, SZ, pU64, pU64, pU64, pU64]),
    "kpi_topk_id_estimate": (ST, [P, U64, pU64, pU64, pU64]),
    "kpi_topk_id_share": (ST, [P, U64, EST]),
    # distinct
    "kpi_distinct_new": (ST, [PP, U32]),
    "kpi_distinct_add": (ST, [P, U64]),
    "kpi_distinct_add_array": (ST, [P, BUF, SZ]),
    "kpi_distinct_add_bytes": (ST, [P, BUF, SZ]),
    "kpi_distinct_estimate": (ST, [P, EST]),
    "kpi_distinct_is_exact": (ST, [P, pINT]),
    # calendar
    "kpi_calendar_new": (ST, [PP, c_char_p]),
    "kpi_calendar_add_hours": (ST, [P, INT, I32, I32]),
    "kpi_calendar_add_holiday": (ST, [P, I32, I32, I32]),
    "kpi_calendar_add_closure": (ST, [P, I32, I32, I32, I32, I32]),
    "kpi_calendar_elapsed": (ST, [P, I64, I64, pI64]),
    "kpi_calendar_due": (ST, [P, I64, I64, pI64]),
    "kpi_calendar_is_open": (ST, [P, I64, pINT]),
    "kpi_calendar_utc_offset": (ST, [P, I64, pI32]),
    "kpi_calendar_local_time": (ST, [P, I64, pI32, pI32, pI32, pI32, pI32]),
    "kpi_calendar_week_ms": (I64, [P]),
    "kpi_calendar_equal": (ST, [P, P, pINT]),
    # SLA policy
    "kpi_sla_policy_new": (ST, [PP, P]),
    "kpi_sla_policy_set_target": (ST, [P, U32, INT, I64, INT]),
    "kpi_sla_policy_target": (ST, [P, U32, INT, pI64, pINT]),
    "kpi_sla_policy_due": (ST, [P, U32, INT, I64, I64, pI64]),
    "kpi_sla_policy_met": (ST, [P, U32, INT, I64, I64, I64, pINT]),
    "kpi_sla_policy_remaining": (ST, [P, U32, INT, I64, I64, I64, pI64]),
    "kpi_sla_policy_equal": (ST, [P, P, pINT]),
    # ticket engine
    "kpi_engine_new": (ST, [PP]),
    "kpi_engine_set_option": (ST, [P, INT, I64]),
    "kpi_engine_option": (ST, [P, INT, pI64]),
    "kpi_engine_set_calendar": (ST, [P, P]),
    "kpi_engine_set_sla_policy": (ST, [P, P]),
    "kpi_engine_add_target": (ST, [P, INT, I64]),
    "kpi_engine_set_name": (ST, [P, INT, U64, c_char_p]),
    "kpi_engine_name": (ST, [P, INT, U64, POINTER(c_char_p)]),
    "kpi_engine_created": (ST, [P, I64, U64, U64, U32, U32, c_char_p, U32]),
    "kpi_engine_customer_message": (ST, [P, I64, U64]),
    "kpi_engine_agent_reply": (ST, [P, I64, U64, U64]),
    "kpi_engine_ticket_event": (ST, [P, I64, U64, U32]),
    "kpi_engine_assigned": (ST, [P, I64, U64, U64, U32]),
    "kpi_engine_resolved": (ST, [P, I64, U64, U64, U32]),
    "kpi_engine_merged": (ST, [P, I64, U64, U64]),
    "kpi_engine_survey": (ST, [P, I64, U64, U32, I32]),
    "kpi_engine_logged_in": (ST, [P, I64, U64, U32, I64]),
    "kpi_engine_event": (ST, [P, POINTER(CEvent)]),
    "kpi_engine_apply": (ST, [P, BUF, SZ, SZ, pSZ]),
    "kpi_engine_advance": (ST, [P, I64]),
    "kpi_engine_time": (ST, [P, pI64]),
    "kpi_engine_count": (ST, [P, INT, pU64]),
    "kpi_engine_metric_type": (INT, [INT]),  # a type, or a negative status
    "kpi_engine_metric": (ST, [P, INT, INT, U64, PP]),
    "kpi_engine_duration": (ST, [P, INT, INT, U64, PP]),
    "kpi_engine_rate": (ST, [P, INT, INT, U64, PP]),
    "kpi_engine_score": (ST, [P, INT, INT, U64, PP]),
    "kpi_engine_ratio": (ST, [P, INT, INT, U64, PP]),
    "kpi_engine_volume": (ST, [P, INT, U64, PP]),
    "kpi_engine_group": (ST, [P, INT, INT, PP]),
    "kpi_engine_top_topics": (ST, [P, PP]),
    "kpi_engine_window": (ST, [P, INT, I64, I64, PP]),
    "kpi_engine_window_topics": (ST, [P, I64, I64, PP]),
    "kpi_engine_contacts_per_issue": (ST, [P, EST]),
    "kpi_engine_backlog": (ST, [P, I64, pU64]),
    "kpi_engine_aging": (ST, [P, I64, pU64]),
    "kpi_engine_sla_risk": (ST, [P, I64, I64, pU64, pU64, pI64]),
    "kpi_engine_ticket_status": (ST, [P, U64, pINT]),
    "kpi_engine_ticket_bytes": (SZ, [P]),
    # staffing
    "kpi_erlang_traffic": (ST, [D, D, D, pD]),
    "kpi_erlang_b": (ST, [D, I32, pD]),
    "kpi_erlang_c_wait_probability": (ST, [D, I32, pD]),
    "kpi_erlang_c_service_level": (ST, [D, I32, D, D, pD]),
    "kpi_erlang_c_asa": (ST, [D, I32, D, pD]),
    "kpi_erlang_c_occupancy": (ST, [D, I32, pD]),
    "kpi_erlang_c_agents": (ST, [D, D, D, D, D, pI32]),
    "kpi_erlang_c_agents_for_asa": (ST, [D, D, D, D, pI32]),
    "kpi_staffing_headcount": (ST, [I32, D, pI32]),
    "kpi_erlang_a_wait_probability": (ST, [D, I32, D, D, pD]),
    "kpi_erlang_a_abandon_probability": (ST, [D, I32, D, D, pD]),
    "kpi_erlang_a_asa": (ST, [D, I32, D, D, pD]),
    "kpi_erlang_a_service_level": (ST, [D, I32, D, D, D, pD]),
}

# The verbs every accumulator type has, declared from its name prefix
# (kpi_<prefix>_<verb>), so a new type needs no new lines for them.
VOID = "void"
VERBS = {
    "free": (VOID, [P]),
    "reset": (VOID, [P]),
    "clone": (ST, [P, PP]),
    "merge": (ST, [P, P]),
    "serialize": (ST, [P, BUF, SZ, pSZ]),
    "deserialize": (ST, [PP, BUF, SZ]),
    "footprint": (SZ, [P]),
}


def verb_signature(name):
    """(restype, argtypes, is_status) of a shared verb kpi_<prefix>_<verb>,
    or None when the name is not one."""
    for verb, (res, args) in VERBS.items():
        if name.startswith("kpi_") and name.endswith("_" + verb):
            return res, args, res is ST
    return None


def _check(result, func, args):
    if result != 0:
        raise error_for(result, func.__name__)
    return result


class _CFunctions:
    """The C functions, each declared on first use and then cached as an
    attribute (so a test may monkeypatch one)."""

    def __getattr__(self, name):
        if name.startswith("__"):
            raise AttributeError(name)
        if name in SIGNATURES:
            res, args = SIGNATURES[name]
            status = res is ST
        else:
            sig = verb_signature(name)
            if sig is None:
                raise AttributeError(f"{name}: no signature declared in kpi._lib")
            res, args, status = sig
        try:
            fn = getattr(lib, name)
        except AttributeError:
            raise NotImplementedError(
                f"{name} is not in the loaded libkpi "
                f"{lib.kpi_version_number()} ({library_path})") from None
        fn.argtypes = args
        if status:
            fn.restype = c_int
            fn.errcheck = _check
        else:
            fn.restype = None if res == VOID else res
        setattr(self, name, fn)
        return fn


C = _CFunctions()


def strerror(code):
    return C.kpi_strerror(code).decode()


def status_name(code):
    return C.kpi_status_name(code).decode()


def version():
    """The loaded library's version string, e.g. "0.1.0"."""
    return C.kpi_version_string().decode()


# ---------------------------------------------------------------------------
# Python integers into C integers: ctypes would silently wrap 2**40 into an
# int32; these raise KpiRangeError (or TypeError for a non-integer) first.
# ---------------------------------------------------------------------------
def _int_in(v, lo, hi, what):
    v = operator.index(v)
    if not lo <= v <= hi:
        raise KpiRangeError(ERR_RANGE, what, f"{v} does not fit in [{lo}, {hi}]")
    return v


def i32(v, what="int32 argument"):
    return _int_in(v, -(1 << 31), (1 << 31) - 1, what)


def u32(v, what="uint32 argument"):
    return _int_in(v, 0, (1 << 32) - 1, what)


def i64(v, what="int64 argument"):
    return _int_in(v, -(1 << 63), (1 << 63) - 1, what)


def u64(v, what="uint64 argument"):
    return _int_in(v, 0, (1 << 64) - 1, what)


def size(v, what="size_t argument"):
    return _int_in(v, 0, (1 << (8 * ctypes.sizeof(c_size_t))) - 1, what)


def real(v, what="double argument"):
    """A C double from a real number (int, float, numpy's scalars,
    Fraction, Decimal: what float() takes, text excepted).  ctypes would
    raise its own ArgumentError ("wrong type", neither a KpiError nor a
    TypeError) for an int beyond the double range and for text; these
    raise KpiRangeError and TypeError."""
    if isinstance(v, (str, bytes, bytearray)):
        raise TypeError(f"{what}: {v!r} is text, not a number")
    try:
        return float(v)
    except OverflowError:
        raise KpiRangeError(ERR_RANGE, what, f"{v} does not fit in a double") from None
    except TypeError:
        raise TypeError(f"{what}: a real number is needed, not {type(v).__name__}") from None


def is_bool(v):
    """Whether v is a bool, Python's or numpy's (whose use as an index,
    operator.index, numpy deprecates)."""
    return isinstance(v, bool) or type(v).__name__ == "bool_"


def flag(v, what="flag"):
    """A C int flag: True and False (numpy's too) as 1 and 0, any other
    integer C's int holds as it is, so that C refuses all but 0 and 1 with
    its own error (KpiRangeError before the call for one it cannot hold,
    as for every integer argument); not the truth value of anything else
    (TypeError)."""
    if is_bool(v):
        return int(v)
    return i32(v, what)


def id64(v, what="64-bit id"):
    """An id: any 64-bit pattern; negative Python ints are taken as their
    two's complement (the same bits as an int64 array viewed as uint64)."""
    return _int_in(v, -(1 << 63), (1 << 64) - 1, what) & ((1 << 64) - 1)
