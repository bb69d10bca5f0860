/*
 * libkpi - incremental customer-service KPIs.
 * SPDX-License-Identifier: MIT
 */
/**
 * @file kpi/staffing.h
 * @brief Staffing: Erlang C (M/M/N) and Erlang A (M/M/N+M, with customer
 *        abandonment) as pure functions.
 *
 * Given the offered traffic A in Erlangs (arrival rate x average handle
 * time, see kpi_erlang_traffic()), a number of agents N and the average
 * handle time (AHT), these functions give the probability that a contact
 * waits, the service level (share answered within a threshold T), the
 * average speed of answer (ASA), the occupancy, and the agents needed for a
 * service-level or ASA target; kpi_staffing_headcount() turns agents into a
 * rostered headcount after shrinkage.
 *
 * Numerics: the Erlang B blocking probability is computed by the
 * recursion B(0) = 1, B(n) = A B(n-1) / (n + A B(n-1)), carried in its
 * reciprocal form 1/B(n) = 1 + (n/A) / B(n-1) (no factorials, no overflow:
 * 1/B may grow to +inf, which correctly gives B = 0); Erlang C follows as
 * C = N B / (N - A (1 - B)).  A call costs O(N) and is stable for any
 * number of agents that fits an int32_t (tested at 10,000).
 *
 * Erlang A uses the exact closed forms of the M/M/N+M queue (Palm; Garnett,
 * Mandelbaum and Reiman 2002), written as one-dimensional integrals of a
 * log-concave function and evaluated by Gauss-Legendre quadrature over the
 * region where the integrand is within e^-40 of its peak (truncation error
 * below 1e-15 relative; overall accuracy about 1e-10).
 *
 * Against measured KPIs (kpi/service_level.h): Erlang C has no
 * abandonment, so its service level predicts a queue where every formula
 * agrees; with abandons, kpi_erlang_a_service_level() (denominator every
 * offered contact) is the counterpart of #KPI_SL_ANSWERED_OVER_OFFERED,
 * kpi_erlang_a_abandon_probability() of kpi_service_level_abandon_rate()
 * and kpi_erlang_a_asa() (answered contacts only) of
 * kpi_service_level_asa(), none of them counting unserved contacts.  Times
 * here are in seconds; kpi/service_level.h counts milliseconds.
 *
 * Errors: a NULL out pointer, a NaN or infinite argument, or a negative
 * traffic or time gives #KPI_ERR_INVALID; a value off its scale (agents <= 0,
 * an unstable Erlang C queue with traffic >= agents, a zero AHT, a target
 * or share outside its interval) gives #KPI_ERR_RANGE.  On error nothing is
 * written through the out pointers.
 *
 * Thread safety: every function here is pure (no state, no allocation)
 * and may be called from any number of threads at once.
 */
#ifndef KPI_STAFFING_H
#define KPI_STAFFING_H

#include "kpi/common.h"

#ifdef __cplusplus
extern "C" {
#endif

/**
 * @brief The offered traffic in Erlangs: contacts x AHT / interval.
 *
 * Example: 100 contacts in 30 minutes (1800 s) at an AHT of 180 s offer
 * 10 Erlangs.
 *
 * @param contacts contacts arriving in the interval (>= 0; need not be an
 *        integer, e.g. a forecast).
 * @param interval_s length of the interval in seconds (> 0).
 * @param aht_s average handle time in seconds (>= 0).
 * @param[out] erlangs receives the traffic in Erlangs.
 * @return #KPI_OK; #KPI_ERR_INVALID if `erlangs` is NULL, an argument is
 *         NaN or infinite, or `contacts`, `interval_s` or `aht_s` is
 *         negative; #KPI_ERR_RANGE if `interval_s` is 0 or the result
 *         overflows.  Thread-safe (pure).
 */
KPI_API int kpi_erlang_traffic(double contacts, double interval_s, double aht_s,
                               double *erlangs);

/**
 * @brief Erlang B: the probability that a contact finds all N agents busy
 *        in a loss system (M/M/N/N, no queue).
 *
 * This is also the limit of the Erlang A probability of abandoning when
 * customers have no patience at all.
 *
 * @param traffic offered traffic A in Erlangs (>= 0; may exceed `agents`).
 * @param agents number of agents N (> 0).
 * @param[out] blocking receives B(N, A) in [0, 1].
 * @return #KPI_OK; #KPI_ERR_INVALID if `blocking` is NULL or `traffic` is
 *         NaN, infinite or negative; #KPI_ERR_RANGE if `agents` <= 0.
 *         Thread-safe (pure).
 */
KPI_API int kpi_erlang_b(double traffic, int32_t agents, double *blocking);

/**
 * @brief Erlang C: the probability that a contact has to wait (all N
 *        agents busy on arrival) in the M/M/N queue.
 *
 * The queue is stable only when traffic < agents; otherwise the queue grows
 * without bound, every contact waits (probability 1) and the ASA is
 * infinite, which this function reports as #KPI_ERR_RANGE.
 *
 * @param traffic offered traffic A in Erlangs (>= 0).
 * @param agents number of agents N (> 0).
 * @param[out] p_wait receives C(N, A) in [0, 1].
 * @return #KPI_OK; #KPI_ERR_INVALID if `p_wait` is NULL or `traffic` is
 *         NaN, infinite or negative; #KPI_ERR_RANGE if `agents` <= 0 or
 *         traffic >= agents.  Thread-safe (pure).
 */
KPI_API int kpi_erlang_c_wait_probability(double traffic, int32_t agents,
                                          double *p_wait);

/**
 * @brief Erlang C service level: the share of contacts answered within
 *        `threshold_s`, 1 - C(N, A) exp(-(N - A) T / AHT).
 *
 * @param traffic offered traffic A in Erlangs (>= 0).
 * @param agents number of agents N (> 0).
 * @param aht_s average handle time in seconds (> 0).
 * @param threshold_s answer threshold T in seconds (>= 0).
 * @param[out] service_level receives the share in [0, 1].
 * @return #KPI_OK; #KPI_ERR_INVALID if `service_level` is NULL, an argument
 *         is NaN or infinite, or `traffic`, `aht_s` or `threshold_s` is
 *         negative; #KPI_ERR_RANGE if `agents` <= 0, `aht_s` is 0 or
 *         traffic >= agents.  Thread-safe (pure).
 */
KPI_API int kpi_erlang_c_service_level(double traffic, int32_t agents,
                                       double aht_s, double threshold_s,
                                       double *service_level);

/**
 * @brief Erlang C average speed of answer: C(N, A) AHT / (N - A) seconds,
 *        the mean wait over all contacts (those answered at once count 0).
 *
 * @param traffic offered traffic A in Erlangs (>= 0).
 * @param agents number of agents N (> 0).
 * @param aht_s average handle time in seconds (> 0).
 * @param[out] asa_s receives the ASA in seconds.
 * @return #KPI_OK; #KPI_ERR_INVALID if `asa_s` is NULL, an argument is NaN
 *         or infinite, or `traffic` or `aht_s` is negative; #KPI_ERR_RANGE
 *         if `agents` <= 0, `aht_s` is 0, traffic >= agents (infinite
 *         ASA) or the ASA, finite, is beyond the largest double.
 *         Thread-safe (pure).
 */
KPI_API int kpi_erlang_c_asa(double traffic, int32_t agents, double aht_s,
                             double *asa_s);

/**
 * @brief Erlang C occupancy: the share of agent time spent handling
 *        contacts, A / N.
 *
 * @param traffic offered traffic A in Erlangs (>= 0).
 * @param agents number of agents N (> 0).
 * @param[out] occupancy receives A / N in [0, 1).
 * @return #KPI_OK; #KPI_ERR_INVALID if `occupancy` is NULL or `traffic` is
 *         NaN, infinite or negative; #KPI_ERR_RANGE if `agents` <= 0 or
 *         traffic >= agents.  Thread-safe (pure).
 */
KPI_API int kpi_erlang_c_occupancy(double traffic, int32_t agents,
                                   double *occupancy);

/**
 * @brief The fewest agents meeting a service-level target under Erlang C.
 *
 * Returns the smallest N > A with service level (see
 * kpi_erlang_c_service_level()) >= `target_service_level` and occupancy
 * A / N <= `max_occupancy`; an A / N within a relative 1e-9 of the cap
 * counts as the cap, so that decimal inputs such as 4.2 Erlangs at a 70%
 * cap give 6 agents, not 7 from rounding noise.  The search starts at the smallest N allowed by
 * stability and the occupancy cap and continues the Erlang B recursion one
 * agent at a time, so its cost is O(N).
 *
 * Example: 10 Erlangs, AHT 180 s, 80% in 20 s, occupancy at most 85%:
 * 14 agents.
 *
 * @param traffic offered traffic A in Erlangs (>= 0).
 * @param aht_s average handle time in seconds (> 0).
 * @param threshold_s answer threshold T in seconds (>= 0).
 * @param target_service_level the target share, in [0, 1).
 * @param max_occupancy the occupancy cap, in (0, 1]; 1 means no cap.
 * @param[out] agents receives N.
 * @return #KPI_OK; #KPI_ERR_INVALID if `agents` is NULL, an argument is NaN
 *         or infinite, or `traffic`, `aht_s` or `threshold_s` is negative;
 *         #KPI_ERR_RANGE if `aht_s` is 0, the target is outside [0, 1),
 *         `max_occupancy` is outside (0, 1], or the answer would not fit
 *         an int32_t.  Thread-safe (pure).
 */
KPI_API int kpi_erlang_c_agents(double traffic, double aht_s, double threshold_s,
                                double target_service_level,
                                double max_occupancy, int32_t *agents);

/**
 * @brief The fewest agents meeting an ASA target under Erlang C.
 *
 * Returns the smallest N > A with ASA (see kpi_erlang_c_asa()) <=
 * `target_asa_s` and occupancy A / N <= `max_occupancy` (an A / N within
 * a relative 1e-9 of the cap counting as the cap, as in
 * kpi_erlang_c_agents()).  Cost O(N).
 *
 * @param traffic offered traffic A in Erlangs (>= 0).
 * @param aht_s average handle time in seconds (> 0).
 * @param target_asa_s the largest acceptable ASA in seconds (> 0).
 * @param max_occupancy the occupancy cap, in (0, 1]; 1 means no cap.
 * @param[out] agents receives N.
 * @return #KPI_OK; #KPI_ERR_INVALID if `agents` is NULL, an argument is NaN
 *         or infinite, or `traffic`, `aht_s` or `target_asa_s` is negative;
 *         #KPI_ERR_RANGE if `aht_s` or `target_asa_s` is 0,
 *         `target_asa_s / aht_s` underflows to 0 in double precision (a
 *         target some 10^308 times below the handle time), `max_occupancy`
 *         is outside (0, 1], or the answer would not fit an int32_t.
 *         Thread-safe (pure).
 */
KPI_API int kpi_erlang_c_agents_for_asa(double traffic, double aht_s,
                                        double target_asa_s,
                                        double max_occupancy, int32_t *agents);

/**
 * @brief Rostered headcount after shrinkage: ceil(agents / (1 - shrinkage)).
 *
 * Shrinkage is the share of paid time agents are not available to handle
 * contacts (breaks, training, absence).  A quotient within a relative
 * 1e-9 of an integer is taken as that integer, so that decimal inputs such
 * as 14 agents at 30% shrinkage give 20, not 21 from rounding noise.
 *
 * @param agents agents needed on the floor (>= 0).
 * @param shrinkage the share of time lost, in [0, 1).
 * @param[out] headcount receives the headcount.
 * @return #KPI_OK; #KPI_ERR_INVALID if `headcount` is NULL or `shrinkage`
 *         is NaN or infinite; #KPI_ERR_RANGE if `agents` < 0, `shrinkage`
 *         is outside [0, 1), or the result would not fit an int32_t.
 *         Thread-safe (pure).
 */
KPI_API int kpi_staffing_headcount(int32_t agents, double shrinkage,
                                   int32_t *headcount);

/**
 * @brief Erlang A: the probability that a contact has to wait (finds all
 *        agents busy), whether it is later answered or abandons.
 *
 * Erlang A (M/M/N+M) adds customer patience to Erlang C: each waiting
 * contact abandons after an exponentially distributed patience with mean
 * `patience_s`.  The queue is stable for any traffic, so traffic may exceed
 * agents.  As patience grows the results tend to Erlang C (when A < N);
 * as it shrinks to 0, to Erlang B.
 *
 * @param traffic offered traffic A in Erlangs (>= 0).
 * @param agents number of agents N (> 0).
 * @param aht_s average handle time in seconds (> 0).
 * @param patience_s mean patience in seconds (> 0, at most 1e12 x aht_s).
 * @param[out] p receives the probability in [0, 1].
 * @return #KPI_OK; #KPI_ERR_INVALID if `p` is NULL, an argument is NaN or
 *         infinite, or `traffic`, `aht_s` or `patience_s` is negative;
 *         #KPI_ERR_RANGE if `agents` <= 0, `aht_s` or `patience_s` is 0, or
 *         patience_s / aht_s is outside [1e-12, 1e12] (use Erlang C for
 *         practically infinite patience).  Thread-safe (pure).
 */
KPI_API int kpi_erlang_a_wait_probability(double traffic, int32_t agents,
                                          double aht_s, double patience_s,
                                          double *p);

/**
 * @brief Erlang A: the probability that a contact abandons before it is
 *        answered (the abandonment rate of offered contacts).
 *
 * @param traffic offered traffic A in Erlangs (>= 0).
 * @param agents number of agents N (> 0).
 * @param aht_s average handle time in seconds (> 0).
 * @param patience_s mean patience in seconds (> 0).
 * @param[out] p receives the probability in [0, 1].
 * @return #KPI_OK; #KPI_ERR_INVALID if `p` is NULL, an argument is NaN or
 *         infinite, or `traffic`, `aht_s` or `patience_s` is negative;
 *         #KPI_ERR_RANGE if `agents` <= 0, `aht_s` or `patience_s` is 0, or
 *         patience_s / aht_s is outside [1e-12, 1e12].  Thread-safe (pure).
 */
KPI_API int kpi_erlang_a_abandon_probability(double traffic, int32_t agents,
                                             double aht_s, double patience_s,
                                             double *p);

/**
 * @brief Erlang A: the average speed of answer of answered contacts, in
 *        seconds (contacts answered at once count 0; abandoned contacts
 *        are excluded).
 *
 * @param traffic offered traffic A in Erlangs (>= 0).
 * @param agents number of agents N (> 0).
 * @param aht_s average handle time in seconds (> 0).
 * @param patience_s mean patience in seconds (> 0).
 * @param[out] asa_s receives the ASA in seconds.
 * @return #KPI_OK; #KPI_ERR_INVALID if `asa_s` is NULL, an argument is NaN or
 *         infinite, or `traffic`, `aht_s` or `patience_s` is negative;
 *         #KPI_ERR_RANGE if `agents` <= 0, `aht_s` or `patience_s` is 0, or
 *         patience_s / aht_s is outside [1e-12, 1e12].  Thread-safe (pure).
 */
KPI_API int kpi_erlang_a_asa(double traffic, int32_t agents, double aht_s,
                             double patience_s, double *asa_s);

/**
 * @brief Erlang A: the service level, the share of ALL offered contacts
 *        that are answered within `threshold_s`.
 *
 * Abandoned contacts count as not answered in time, however soon they
 * abandon (the denominator is every offered contact); with infinite
 * patience this is the Erlang C service level.
 *
 * @param traffic offered traffic A in Erlangs (>= 0).
 * @param agents number of agents N (> 0).
 * @param aht_s average handle time in seconds (> 0).
 * @param patience_s mean patience in seconds (> 0).
 * @param threshold_s answer threshold T in seconds (>= 0).
 * @param[out] service_level receives the share in [0, 1].
 * @return #KPI_OK; #KPI_ERR_INVALID if `service_level` is NULL, an
 *         argument is NaN or infinite, or `traffic`, `aht_s`, `patience_s`
 *         or `threshold_s` is negative; #KPI_ERR_RANGE if `agents` <= 0,
 *         `aht_s` or `patience_s` is 0, or patience_s / aht_s is outside
 *         [1e-12, 1e12].  Thread-safe (pure).
 */
KPI_API int kpi_erlang_a_service_level(double traffic, int32_t agents,
                                       double aht_s, double patience_s,
                                       double threshold_s,
                                       double *service_level);

#ifdef __cplusplus
}
#endif

#endif /* KPI_STAFFING_H */
