/*
 * libkpi - incremental customer-service KPIs.
 * SPDX-License-Identifier: MIT
 */
/**
 * @file kpi/ratio.h
 * @brief Ratios of two sums: cost per resolution, average cost per
 *        ticket, support cost to revenue, tickets per agent-hour, or any
 *        numerator / denominator KPI.
 *
 * A ratio accumulates a numerator sum and a denominator sum; its value is
 * numerator sum / denominator sum.  Both sums are Neumaier-compensated
 * (improved Kahan summation), so adding many small amounts loses no
 * precision to rounding.  Numerators may be negative (refunds, credits);
 * denominators must be >= 0.
 *
 * Named kinds document what the two sums mean; objects of different kinds
 * do not merge:
 * - #KPI_RATIO_COST_PER_RESOLUTION: operating cost of the period
 *   (salaries, technology, training, licences, overhead) / tickets
 *   resolved.
 * - #KPI_RATIO_COST_PER_TICKET: support expenses / tickets opened in the
 *   same period (average cost per ticket).
 * - #KPI_RATIO_COST_TO_REVENUE: support cost / revenue of the period.
 *   Example benchmark: a support cost to revenue under 10% (value < 0.10)
 *   is the target quoted by the Polish guide; e.g. cost 45,000 against
 *   revenue 600,000 gives 0.075, within the benchmark.
 * - #KPI_RATIO_TICKETS_PER_AGENT_HOUR: tickets handled / agent hours
 *   worked (productivity).
 *
 * Thread safety: an object must not be used from two threads at once
 * without the caller's lock; different objects need no lock; const reads
 * may run concurrently when no thread writes.
 */
#ifndef KPI_RATIO_H
#define KPI_RATIO_H

#include "kpi/common.h"

#ifdef __cplusplus
extern "C" {
#endif

/** Sums of a numerator and a denominator. */
typedef struct kpi_ratio kpi_ratio;

/** @name Ratio kinds
 *  @{ */
/** A generic ratio. */
#define KPI_RATIO_GENERIC 0u
/** Cost per resolution = operating cost / tickets resolved. */
#define KPI_RATIO_COST_PER_RESOLUTION 1u
/** Average cost per ticket = support expenses / tickets opened. */
#define KPI_RATIO_COST_PER_TICKET 2u
/** Support cost to revenue = support cost / revenue (target < 0.10). */
#define KPI_RATIO_COST_TO_REVENUE 3u
/** Tickets per agent-hour = tickets handled / agent hours. */
#define KPI_RATIO_TICKETS_PER_AGENT_HOUR 4u
/** The largest kind number. */
#define KPI_RATIO_KIND_MAX 4u
/** @} */

/**
 * @brief Create an empty generic ratio.
 * @param[out] out receives the ratio.
 * @return #KPI_OK; #KPI_ERR_INVALID if `out` is NULL; #KPI_ERR_NOMEM.
 *         Thread-safe.
 */
KPI_API int kpi_ratio_new(kpi_ratio **out);

/**
 * @brief Create an empty ratio of a kind, with a custom allocator.
 * @param[out] out receives the ratio.
 * @param kind one of the KPI_RATIO_* kinds.
 * @param alloc allocator; NULL = C library.
 * @return #KPI_OK; #KPI_ERR_INVALID on NULL `out`, a bad allocator
 *         or an unknown kind (above #KPI_RATIO_KIND_MAX); #KPI_ERR_NOMEM.
 *         Thread-safe.
 */
KPI_API int kpi_ratio_new_with(kpi_ratio **out, uint32_t kind,
                               const kpi_allocator *alloc);

/**
 * @brief Create a cost-per-resolution ratio: add (operating cost,
 *        tickets resolved).
 * @param[out] out receives the ratio.
 * @return as kpi_ratio_new(). Thread-safe.
 */
KPI_API int kpi_cost_per_resolution_new(kpi_ratio **out);

/**
 * @brief Create an average-cost-per-ticket ratio: add (support expenses,
 *        tickets opened).
 * @param[out] out receives the ratio.
 * @return as kpi_ratio_new(). Thread-safe.
 */
KPI_API int kpi_cost_per_ticket_new(kpi_ratio **out);

/**
 * @brief Create a support-cost-to-revenue ratio: add (support cost,
 *        revenue); the benchmark is a value under 0.10.
 * @param[out] out receives the ratio.
 * @return as kpi_ratio_new(). Thread-safe.
 */
KPI_API int kpi_cost_to_revenue_new(kpi_ratio **out);

/**
 * @brief Create a tickets-per-agent-hour ratio: add (tickets handled,
 *        agent hours).
 * @param[out] out receives the ratio.
 * @return as kpi_ratio_new(). Thread-safe.
 */
KPI_API int kpi_tickets_per_agent_hour_new(kpi_ratio **out);

/**
 * @brief Free a ratio; NULL is a no-op.
 * @param p the ratio. Thread safety: not with concurrent use of `p`.
 */
KPI_API void kpi_ratio_free(kpi_ratio *p);

/**
 * @brief Empty the ratio, keeping its kind; NULL is a no-op.
 * @param p the ratio. Thread safety: not with concurrent use of `p`.
 */
KPI_API void kpi_ratio_reset(kpi_ratio *p);

/**
 * @brief Deep copy with the same allocator.
 * @param p the ratio.
 * @param[out] out receives the copy.
 * @return #KPI_OK; #KPI_ERR_INVALID on NULL; #KPI_ERR_NOMEM.
 *         Thread safety: a const read of `p`.
 */
KPI_API int kpi_ratio_clone(const kpi_ratio *p, kpi_ratio **out);

/**
 * @brief Add to the numerator and the denominator.
 * @param p the ratio.
 * @param numerator a finite amount (may be negative).
 * @param denominator a finite amount >= 0.
 * @return #KPI_OK; #KPI_ERR_INVALID on NULL or non-finite input;
 *         #KPI_ERR_RANGE if denominator < 0; #KPI_ERR_OVERFLOW if the count
 *         or a sum would overflow (a sum past DBL_MAX).  Nothing changes
 *         on failure. Thread safety: not with concurrent use of `p`.
 */
KPI_API int kpi_ratio_add(kpi_ratio *p, double numerator, double denominator);

/**
 * @brief Add n pairs, all or nothing.
 * @param p the ratio.
 * @param numerators n finite amounts.
 * @param denominators n finite amounts >= 0.
 * @param n number of pairs (arrays may be NULL when n is 0).
 * @return as kpi_ratio_add(). Thread safety: not with concurrent use.
 */
KPI_API int kpi_ratio_add_array(kpi_ratio *p, const double *numerators,
                                const double *denominators, size_t n);

/**
 * @brief The ratio numerator sum / denominator sum.
 * @param p the ratio.
 * @param[out] out receives the value.
 * @return #KPI_OK; #KPI_ERR_INVALID on NULL; #KPI_ERR_EMPTY when the
 *         denominator sum is 0; #KPI_ERR_OVERFLOW when the quotient passes
 *         the range of a double (1e300 / 1e-10); `out` is unchanged on
 *         failure. Thread safety: a const read.
 */
KPI_API int kpi_ratio_value(const kpi_ratio *p, double *out);

/**
 * @brief The numerator sum.
 * @param p the ratio.
 * @return the sum (0 if `p` is NULL or empty). Thread safety: a const read.
 */
KPI_API double kpi_ratio_numerator(const kpi_ratio *p);

/**
 * @brief The denominator sum.
 * @param p the ratio.
 * @return the sum (0 if `p` is NULL or empty). Thread safety: a const read.
 */
KPI_API double kpi_ratio_denominator(const kpi_ratio *p);

/**
 * @brief The number of pairs added.
 * @param p the ratio.
 * @return the count (0 if `p` is NULL). Thread safety: a const read.
 */
KPI_API uint64_t kpi_ratio_count(const kpi_ratio *p);

/**
 * @brief The kind the ratio was created with.
 * @param p the ratio.
 * @return a KPI_RATIO_* kind (#KPI_RATIO_GENERIC if `p` is NULL).
 *         Thread safety: a const read.
 */
KPI_API uint32_t kpi_ratio_kind(const kpi_ratio *p);

/**
 * @brief Dst += src (sums and counts).
 * @param dst the ratio receiving.
 * @param src the ratio added (may be dst).
 * @return #KPI_OK; #KPI_ERR_INVALID on NULL; #KPI_ERR_INCOMPATIBLE if the
 *         kinds differ; #KPI_ERR_OVERFLOW if the count or a sum would
 *         overflow (dst is then unchanged);
 *         #KPI_ERR_NOMEM. Thread safety: not with concurrent use of `dst`.
 */
KPI_API int kpi_ratio_merge(kpi_ratio *dst, const kpi_ratio *src);

/**
 * @brief Serialize the state.
 * @param p the ratio.
 * @param buf destination, or NULL to ask for the size.
 * @param cap capacity of buf.
 * @param[out] len receives the size needed.
 * @return #KPI_OK; #KPI_ERR_INVALID; #KPI_ERR_LIMIT if the state's body would pass 4 GiB
 *         (the format's limit); #KPI_ERR_BUFFER.
 *         Thread safety: a const read.
 */
KPI_API int kpi_ratio_serialize(const kpi_ratio *p, void *buf, size_t cap,
                                size_t *len);

/**
 * @brief Rebuild a ratio from kpi_ratio_serialize() bytes.
 * @param[out] out receives the ratio.
 * @param buf the bytes.
 * @param len their length.
 * @return #KPI_OK; #KPI_ERR_INVALID; #KPI_ERR_CORRUPT; #KPI_ERR_TRUNCATED;
 *         #KPI_ERR_VERSION; #KPI_ERR_TYPE; #KPI_ERR_NOMEM. Thread-safe.
 */
KPI_API int kpi_ratio_deserialize(kpi_ratio **out, const void *buf,
                                  size_t len);

/**
 * @brief kpi_ratio_deserialize() with a custom allocator.
 * @param[out] out receives the ratio.
 * @param buf the bytes.
 * @param len their length.
 * @param alloc allocator; NULL = C library.
 * @return as kpi_ratio_deserialize(). Thread-safe.
 */
KPI_API int kpi_ratio_deserialize_with(kpi_ratio **out, const void *buf,
                                       size_t len, const kpi_allocator *alloc);

/**
 * @brief Bytes of memory held by the ratio.
 * @param p the ratio.
 * @return the footprint, 0 if `p` is NULL. Thread safety: a const read.
 */
KPI_API size_t kpi_ratio_footprint(const kpi_ratio *p);

#ifdef __cplusplus
}
#endif

#endif /* KPI_RATIO_H */
