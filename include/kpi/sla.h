/*
 * libkpi - incremental customer-service KPIs.
 * SPDX-License-Identifier: MIT
 */
/**
 * @file kpi/sla.h
 * @brief SLA policies: per priority (0..7), targets for first response,
 *        next response and resolution, each in calendar time or in
 *        business time of an attached business calendar; due instants,
 *        met/breached and time remaining, with paused time.
 *
 * Paused time (statuses "pending", "waiting on customer") is given by the
 * caller as `paused_ms`, in the metric's own time base: calendar ms for a
 * calendar-time target, business ms for a business-time target (compute
 * it with kpi_calendar_elapsed() over the paused intervals).  The clock
 * is then elapsed - paused; a target is met when that clock is at most
 * the target (a reply exactly at the due instant meets it).
 *
 * A policy is configuration, not an accumulator.
 *
 * Thread safety: an object must not be used from two threads at once
 * without the caller's lock; different objects need no lock; const reads
 * may run concurrently when no thread writes.
 */
#ifndef KPI_SLA_H
#define KPI_SLA_H

#include "kpi/calendar.h"
#include "kpi/common.h"

#ifdef __cplusplus
extern "C" {
#endif

/** An SLA policy (opaque). */
typedef struct kpi_sla_policy kpi_sla_policy;

/** Metric: time to the first agent response. */
#define KPI_SLA_FIRST_RESPONSE 0
/** Metric: time from a customer message to the next agent response. */
#define KPI_SLA_NEXT_RESPONSE 1
/** Metric: time to resolution. */
#define KPI_SLA_RESOLUTION 2
/** Number of priorities (0 .. KPI_SLA_PRIORITIES - 1). */
#define KPI_SLA_PRIORITIES 8

/**
 * @brief Create a policy with no targets.
 * @param[out] out receives the policy.
 * @param cal the business calendar for business-time targets, or NULL;
 *        the policy keeps its own clone.
 * @return #KPI_OK; #KPI_ERR_INVALID if `out` is NULL or `cal` is not a
 *         calendar; #KPI_ERR_NOMEM.
 *         Thread-safe (a const read of `cal`).
 */
KPI_API int kpi_sla_policy_new(kpi_sla_policy **out, const kpi_calendar *cal);

/**
 * @brief kpi_sla_policy_new() with a custom allocator (also used for the
 *        calendar's clone).
 * @param[out] out receives the policy.
 * @param cal the business calendar, or NULL.
 * @param alloc the allocator; NULL = libc.
 * @return #KPI_OK; #KPI_ERR_INVALID (NULL `out`, bad allocator);
 *         #KPI_ERR_NOMEM.  Thread-safe.
 */
KPI_API int kpi_sla_policy_new_with(kpi_sla_policy **out,
                                    const kpi_calendar *cal,
                                    const kpi_allocator *alloc);

/**
 * @brief Free a policy.
 * @param p the policy; NULL is a no-op.
 * Thread safety: the policy must not be in use elsewhere.
 */
KPI_API void kpi_sla_policy_free(kpi_sla_policy *p);

/**
 * @brief Deep copy (calendar included), with the same allocator.
 * @param p the policy.
 * @param[out] out receives the copy.
 * @return #KPI_OK; #KPI_ERR_INVALID if a pointer is NULL; #KPI_ERR_NOMEM.
 *         Thread safety: a const read.
 */
KPI_API int kpi_sla_policy_clone(const kpi_sla_policy *p, kpi_sla_policy **out);

/**
 * @brief Set (or replace) a target.
 * @param p the policy.
 * @param priority 0 .. #KPI_SLA_PRIORITIES - 1.
 * @param metric #KPI_SLA_FIRST_RESPONSE, #KPI_SLA_NEXT_RESPONSE or
 *        #KPI_SLA_RESOLUTION.
 * @param target_ms the target, >= 0 (business ms when business_hours).
 * @param business_hours 1 to count in business time, 0 for calendar time.
 * @return #KPI_OK; #KPI_ERR_INVALID if `p` is NULL or the metric is
 *         unknown; #KPI_ERR_RANGE for a priority of #KPI_SLA_PRIORITIES or
 *         more, a negative target, or business_hours other than 0 or 1;
 *         #KPI_ERR_STATE for a business-time target on a policy without a
 *         calendar.  Not thread-safe on `p`.
 */
KPI_API int kpi_sla_policy_set_target(kpi_sla_policy *p, uint32_t priority,
                                      int metric, int64_t target_ms,
                                      int business_hours);

/**
 * @brief Read a target.
 * @param p the policy.
 * @param priority the priority.
 * @param metric the metric.
 * @param[out] target_ms receives the target.
 * @param[out] business_hours receives 1 for business time, 0 otherwise.
 * @return #KPI_OK; #KPI_ERR_INVALID if a pointer is NULL or the metric
 *         is unknown; #KPI_ERR_RANGE for a priority of
 *         #KPI_SLA_PRIORITIES or more; #KPI_ERR_UNKNOWN_ID if no target
 *         is set.  Thread safety: a const read.
 */
KPI_API int kpi_sla_policy_target(const kpi_sla_policy *p, uint32_t priority,
                                  int metric, int64_t *target_ms,
                                  int *business_hours);

/**
 * @brief The instant a target falls due: start + target + paused in
 *        calendar time, or the calendar's due instant for target + paused
 *        business ms.
 * @param p the policy.
 * @param priority the priority.
 * @param metric the metric.
 * @param start_ms when the clock started (UTC ms).
 * @param paused_ms time paused so far, in the metric's time base, >= 0.
 * @param[out] due_ms receives the due instant.
 * @return #KPI_OK; #KPI_ERR_INVALID if a pointer is NULL or the metric
 *         is unknown; #KPI_ERR_RANGE for a priority of
 *         #KPI_SLA_PRIORITIES or more, negative paused_ms, or a due
 *         instant out of range; #KPI_ERR_UNKNOWN_ID if no target is set;
 *         #KPI_ERR_EMPTY if business time is used, the calendar has
 *         no opening hours and target + paused > 0 (never due; a sum of 0
 *         is due at start_ms, as kpi_calendar_due() says);
 *         #KPI_ERR_OVERFLOW if the sum overflows.
 *         Thread safety: a const read.
 */
KPI_API int kpi_sla_policy_due(const kpi_sla_policy *p, uint32_t priority,
                               int metric, int64_t start_ms, int64_t paused_ms,
                               int64_t *due_ms);

/**
 * @brief Whether a target was met: (elapsed(start, end) - paused) <=
 *        target, elapsed in the metric's time base.
 * @param p the policy.
 * @param priority the priority.
 * @param metric the metric.
 * @param start_ms when the clock started.
 * @param end_ms when it stopped (the response or resolution).
 * @param paused_ms time paused in between, in the metric's time base.
 * @param[out] met receives 1 when met, 0 when breached.
 * @return #KPI_OK; #KPI_ERR_INVALID if a pointer is NULL or the metric
 *         is unknown; #KPI_ERR_RANGE for a priority of
 *         #KPI_SLA_PRIORITIES or more, end before start, negative
 *         paused_ms or paused_ms above the elapsed time, instants out of
 *         the calendar's range; #KPI_ERR_UNKNOWN_ID if no target is set.
 *         Thread safety: a const read.
 */
KPI_API int kpi_sla_policy_met(const kpi_sla_policy *p, uint32_t priority,
                               int metric, int64_t start_ms, int64_t end_ms,
                               int64_t paused_ms, int *met);

/**
 * @brief Time left before breach at `now_ms`: target - (elapsed - paused),
 *        in the metric's time base; negative once breached.
 * @param p the policy.
 * @param priority the priority.
 * @param metric the metric.
 * @param start_ms when the clock started.
 * @param now_ms the current instant, not before start.
 * @param paused_ms time paused so far, in the metric's time base.
 * @param[out] remaining_ms receives the time left (negative when breached).
 * @return #KPI_OK; #KPI_ERR_INVALID and #KPI_ERR_RANGE as for
 *         kpi_sla_policy_met(); #KPI_ERR_UNKNOWN_ID if no target is set.
 *         Thread safety: a const read.
 */
KPI_API int kpi_sla_policy_remaining(const kpi_sla_policy *p,
                                     uint32_t priority, int metric,
                                     int64_t start_ms, int64_t now_ms,
                                     int64_t paused_ms, int64_t *remaining_ms);

/**
 * @brief Whether two policies hold the same targets and equal calendars.
 * @param a a policy.
 * @param b a policy.
 * @param[out] equal receives 1 when equal, 0 otherwise.
 * @return #KPI_OK; #KPI_ERR_INVALID if a pointer is NULL.  Thread safety:
 *         const reads.
 */
KPI_API int kpi_sla_policy_equal(const kpi_sla_policy *a,
                                 const kpi_sla_policy *b, int *equal);

/**
 * @brief Write the policy (targets and calendar) as portable bytes.
 * @param p the policy.
 * @param buf the output buffer; NULL to ask for the size only.
 * @param cap the size of `buf`.
 * @param[out] len receives the size of the state.
 * @return #KPI_OK; #KPI_ERR_INVALID if `p` or `len` is NULL;
 *         #KPI_ERR_LIMIT if the state's body would pass 4 GiB
 *         (the format's limit); #KPI_ERR_BUFFER if `cap` is too small.  Thread safety: a const
 *         read.
 */
KPI_API int kpi_sla_policy_serialize(const kpi_sla_policy *p, void *buf,
                                     size_t cap, size_t *len);

/**
 * @brief Rebuild a policy from kpi_sla_policy_serialize() bytes.
 * @param[out] out receives the policy.
 * @param buf the bytes.
 * @param len their number.
 * @return #KPI_OK; #KPI_ERR_INVALID (NULL pointer); #KPI_ERR_CORRUPT,
 *         #KPI_ERR_TRUNCATED, #KPI_ERR_VERSION, #KPI_ERR_TYPE for bad
 *         bytes; #KPI_ERR_NOMEM.  Thread-safe.
 */
KPI_API int kpi_sla_policy_deserialize(kpi_sla_policy **out, const void *buf,
                                       size_t len);

/**
 * @brief kpi_sla_policy_deserialize() with a custom allocator.
 * @param[out] out receives the policy.
 * @param buf the bytes.
 * @param len their number.
 * @param alloc the allocator; NULL = libc.
 * @return as kpi_sla_policy_deserialize().  Thread-safe.
 */
KPI_API int kpi_sla_policy_deserialize_with(kpi_sla_policy **out,
                                            const void *buf, size_t len,
                                            const kpi_allocator *alloc);

/**
 * @brief Bytes of memory held by the policy, its calendar included.
 * @param p the policy.
 * @return the bytes; 0 for NULL.  Thread safety: a const read.
 */
KPI_API size_t kpi_sla_policy_footprint(const kpi_sla_policy *p);

#ifdef __cplusplus
}
#endif

#endif /* KPI_SLA_H */
