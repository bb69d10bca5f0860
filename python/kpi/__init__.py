"""libkpi from Python: incremental customer-service KPIs through ctypes.

Every accumulator of the C library is a class here (Score, Rate, Mean,
Ratio, Group, Series, Customers, Journey, Duration, Aht, ServiceLevel,
TopK, TopKId, Distinct, Calendar, SlaPolicy), and so is the ticket engine
(Engine: lifecycle events in, as calls or EVENT_DTYPE arrays; every
operational KPI out), with the KPI presets as
functions named like the C ones (kpi_nps_new -> kpi.nps(), kpi_frt_new ->
kpi.frt()).  Objects merge (``a + b``, ``a += b``), serialize to portable
bytes (``bytes(a)``, ``Type.from_bytes``, pickle), and free their C memory
on ``close()``, at the end of a ``with`` block or when collected.

The C library is found through KPI_LIBRARY, then the build tree, then the
system (see kpi._lib.candidates); ``kpi.library_path`` tells which.
Errors raise KpiError subclasses carrying the library's code and text.
"""

from ._lib import (KpiBufferError, KpiCorruptError, KpiDuplicateError,
                   KpiEmptyError, KpiError, KpiIncompatibleError,
                   KpiInvalidError, KpiLimitError, KpiLoadError,
                   KpiNoMemError, KpiOrderError, KpiOverflowError,
                   KpiRangeError, KpiStateError, KpiTruncatedError,
                   KpiTypeError, KpiUnknownIdError, KpiVersionError,
                   library_path, version)
from ._base import Estimate, KpiObject, from_bytes
from ._survey import (NpsShares, Shares, Score, Rate, Mean, Ratio, wilson,
                      csat, esat, nps, ces, sentiment, iqs,
                      cost_per_resolution, cost_per_ticket, cost_to_revenue,
                      tickets_per_agent_hour, RATIO_GENERIC,
                      RATIO_COST_PER_RESOLUTION, RATIO_COST_PER_TICKET,
                      RATIO_COST_TO_REVENUE, RATIO_TICKETS_PER_AGENT_HOUR)
from ._time import (Duration, Aht, ServiceLevel, Series, SeriesValues,
                    ForecastError, frt, art, asa, resolution_time,
                    AHT_TALK, AHT_HOLD, AHT_AFTER_WORK, CONTACT_ANSWERED,
                    CONTACT_ABANDONED, CONTACT_UNSERVED,
                    SL_ANSWERED_OVER_OFFERED, SL_EXCLUDE_SHORT_ABANDONS,
                    SL_ANSWERED_OVER_ANSWERED, SL_ABANDONS_IN_T_MET,
                    SL_EXCLUDE_ABANDONS_IN_T)
from ._counting import TopK, TopKId, Distinct, TopEntry, TopIdEntry, Bounds
from ._customers import (Customers, Journey, UNSERVED_ABANDONED,
                         UNSERVED_NO_AGENT, UNSERVED_SYSTEM_FAILURE)
from ._group import Group, MeanSpread, RateSpread
from ._calendar import (Calendar, SlaPolicy, LocalTime, Target,
                        SLA_FIRST_RESPONSE, SLA_NEXT_RESPONSE, SLA_RESOLUTION)
from . import _engine
from ._engine import *  # noqa: F401,F403  Engine, EVENT_DTYPE and the engine constants
from ._staffing import (erlang_traffic, erlang_b, erlang_c_wait_probability,
                        erlang_c_service_level, erlang_c_asa,
                        erlang_c_occupancy, erlang_c_agents,
                        erlang_c_agents_for_asa, staffing_headcount,
                        erlang_a_wait_probability,
                        erlang_a_abandon_probability, erlang_a_asa,
                        erlang_a_service_level)

__version__ = "0.1.0"

__all__ = [
    'AHT_AFTER_WORK', 'AHT_HOLD', 'AHT_TALK', 'Aht', 'Bounds',
    'CONTACT_ABANDONED', 'CONTACT_ANSWERED', 'CONTACT_UNSERVED', 'Calendar',
    'Customers', 'Distinct', 'Duration', 'Estimate', 'ForecastError',
    'Group', 'Journey', 'KpiBufferError', 'KpiCorruptError',
    'KpiDuplicateError', 'KpiEmptyError', 'KpiError',
    'KpiIncompatibleError', 'KpiInvalidError', 'KpiLimitError',
    'KpiLoadError', 'KpiNoMemError', 'KpiObject', 'KpiOrderError',
    'KpiOverflowError', 'KpiRangeError', 'KpiStateError',
    'KpiTruncatedError', 'KpiTypeError', 'KpiUnknownIdError',
    'KpiVersionError', 'LocalTime', 'Mean', 'MeanSpread', 'NpsShares',
    'RATIO_COST_PER_RESOLUTION', 'RATIO_COST_PER_TICKET',
    'RATIO_COST_TO_REVENUE', 'RATIO_GENERIC',
    'RATIO_TICKETS_PER_AGENT_HOUR', 'Rate', 'RateSpread', 'Ratio',
    'SLA_FIRST_RESPONSE', 'SLA_NEXT_RESPONSE', 'SLA_RESOLUTION',
    'SL_ABANDONS_IN_T_MET', 'SL_ANSWERED_OVER_ANSWERED',
    'SL_ANSWERED_OVER_OFFERED', 'SL_EXCLUDE_ABANDONS_IN_T',
    'SL_EXCLUDE_SHORT_ABANDONS', 'Score', 'Series', 'SeriesValues',
    'ServiceLevel', 'Shares', 'SlaPolicy', 'Target', 'TopEntry',
    'TopIdEntry', 'TopK', 'TopKId', 'UNSERVED_ABANDONED',
    'UNSERVED_NO_AGENT', 'UNSERVED_SYSTEM_FAILURE', 'art', 'asa', 'ces',
    'cost_per_resolution', 'cost_per_ticket', 'cost_to_revenue', 'csat',
    'erlang_a_abandon_probability', 'erlang_a_asa',
    'erlang_a_service_level', 'erlang_a_wait_probability', 'erlang_b',
    'erlang_c_agents', 'erlang_c_agents_for_asa', 'erlang_c_asa',
    'erlang_c_occupancy', 'erlang_c_service_level',
    'erlang_c_wait_probability', 'erlang_traffic', 'esat', 'from_bytes',
    'frt', 'iqs', 'library_path', 'nps', 'resolution_time', 'sentiment',
    'staffing_headcount', 'tickets_per_agent_hour', 'version', 'wilson',
    'MS_PER_SECOND', 'MS_PER_MINUTE', 'MS_PER_HOUR', 'MS_PER_DAY',
    *_engine.__all__
]

MS_PER_SECOND = 1000
MS_PER_MINUTE = 60 * MS_PER_SECOND
MS_PER_HOUR = 60 * MS_PER_MINUTE
MS_PER_DAY = 24 * MS_PER_HOUR
