"""Staffing: Erlang C (M/M/N) and Erlang A (M/M/N+M) as module functions.

Traffic is in Erlangs, times in seconds; each function raises a KpiError
subclass for arguments out of their domain (see include/kpi/staffing.h).
"""

import ctypes

from . import _lib
from ._base import read_out
from ._lib import C

_D, _I = ctypes.c_double, ctypes.c_int32
_R = _lib.real  # a double argument: KpiRangeError / TypeError, not ctypes' ArgumentError


def erlang_traffic(contacts, interval_s, aht_s):
    """Offered traffic in Erlangs: contacts x AHT / interval."""
    return read_out(C.kpi_erlang_traffic, _D, _R(contacts, "contacts"),
                    _R(interval_s, "interval_s"), _R(aht_s, "aht_s"))


def erlang_b(traffic, agents):
    """Erlang B blocking probability B(N, A)."""
    return read_out(C.kpi_erlang_b, _D, _R(traffic, "traffic"), _lib.i32(agents, "agents"))


def erlang_c_wait_probability(traffic, agents):
    """Erlang C: probability that a contact waits, C(N, A)."""
    return read_out(C.kpi_erlang_c_wait_probability, _D, _R(traffic, "traffic"),
                    _lib.i32(agents, "agents"))


def erlang_c_service_level(traffic, agents, aht_s, threshold_s):
    """Erlang C: share of contacts answered within threshold_s."""
    return read_out(C.kpi_erlang_c_service_level, _D, _R(traffic, "traffic"),
                    _lib.i32(agents, "agents"), _R(aht_s, "aht_s"),
                    _R(threshold_s, "threshold_s"))


def erlang_c_asa(traffic, agents, aht_s):
    """Erlang C average speed of answer, seconds."""
    return read_out(C.kpi_erlang_c_asa, _D, _R(traffic, "traffic"), _lib.i32(agents, "agents"),
                    _R(aht_s, "aht_s"))


def erlang_c_occupancy(traffic, agents):
    """Erlang C occupancy A / N."""
    return read_out(C.kpi_erlang_c_occupancy, _D, _R(traffic, "traffic"),
                    _lib.i32(agents, "agents"))


def erlang_c_agents(traffic, aht_s, threshold_s, target_service_level, max_occupancy=1.0):
    """Fewest agents meeting a service-level target (and occupancy cap)."""
    return read_out(C.kpi_erlang_c_agents, _I, _R(traffic, "traffic"), _R(aht_s, "aht_s"),
                    _R(threshold_s, "threshold_s"),
                    _R(target_service_level, "target_service_level"),
                    _R(max_occupancy, "max_occupancy"))


def erlang_c_agents_for_asa(traffic, aht_s, target_asa_s, max_occupancy=1.0):
    """Fewest agents meeting an ASA target (and occupancy cap)."""
    return read_out(C.kpi_erlang_c_agents_for_asa, _I, _R(traffic, "traffic"),
                    _R(aht_s, "aht_s"), _R(target_asa_s, "target_asa_s"),
                    _R(max_occupancy, "max_occupancy"))


def staffing_headcount(agents, shrinkage):
    """Rostered headcount: ceil(agents / (1 - shrinkage))."""
    return read_out(C.kpi_staffing_headcount, _I, _lib.i32(agents, "agents"),
                    _R(shrinkage, "shrinkage"))


def erlang_a_wait_probability(traffic, agents, aht_s, patience_s):
    """Erlang A: probability that a contact waits."""
    return read_out(C.kpi_erlang_a_wait_probability, _D, _R(traffic, "traffic"),
                    _lib.i32(agents, "agents"), _R(aht_s, "aht_s"),
                    _R(patience_s, "patience_s"))


def erlang_a_abandon_probability(traffic, agents, aht_s, patience_s):
    """Erlang A: probability that a contact abandons before service."""
    return read_out(C.kpi_erlang_a_abandon_probability, _D, _R(traffic, "traffic"),
                    _lib.i32(agents, "agents"), _R(aht_s, "aht_s"),
                    _R(patience_s, "patience_s"))


def erlang_a_asa(traffic, agents, aht_s, patience_s):
    """Erlang A: ASA of answered contacts, seconds."""
    return read_out(C.kpi_erlang_a_asa, _D, _R(traffic, "traffic"), _lib.i32(agents, "agents"),
                    _R(aht_s, "aht_s"), _R(patience_s, "patience_s"))


def erlang_a_service_level(traffic, agents, aht_s, patience_s, threshold_s):
    """Erlang A: share of all offered contacts answered within threshold_s."""
    return read_out(C.kpi_erlang_a_service_level, _D, _R(traffic, "traffic"),
                    _lib.i32(agents, "agents"), _R(aht_s, "aht_s"),
                    _R(patience_s, "patience_s"), _R(threshold_s, "threshold_s"))
