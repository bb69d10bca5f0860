/*
 * libkpi - incremental customer-service KPIs.
 * SPDX-License-Identifier: MIT
 */
/**
 * @file kpi/customers.h
 * @brief Customer KPIs of a period (churn both ways, retention CRR,
 *        referral rate, customer lifetime value, engagement, repeat-customer
 *        share, self-service effectiveness, unserved/blocked contacts by
 *        reason) and the customer journey across channels.
 *
 * **kpi_customers** holds the inputs of one period and computes, each
 * read returning #KPI_ERR_EMPTY when its denominator is 0 (or an input it
 * needs was never given):
 * - churn, net (seed 002's formula): (start - end) / start.  It nets new
 *   customers against lost ones, so it is negative when growth exceeds
 *   losses: kpi_customers_churn_net().
 * - churn, lost (event form): lost / start, a share with a Wilson
 *   interval, which new customers cannot hide: kpi_customers_churn_lost().
 * - retention CRR = (end - new) / start: kpi_customers_retention().  Not
 *   a share: negative when more customers were won than are counted at
 *   the end (new customers who also left within the period), never
 *   clamped.
 * - referral rate = referred / new: kpi_customers_referral_rate().
 * - revenue per customer = revenue / start.
 * - CLV = revenue per customer x gross margin / churn (lost / start), per
 *   period, which equals revenue x margin / lost:
 *   kpi_customers_clv(); #KPI_ERR_RANGE when no customer was lost (the
 *   value would be infinite).
 * - engagement = interactions / active customers (active is a number the
 *   caller takes, e.g., from a distinct counter).
 * - repeat-customer share = customers with more than one purchase /
 *   purchasing customers.
 * - self-service effectiveness (deflection) = self-served sessions /
 *   (self-served + assisted contacts); self-service usage share =
 *   self-service sessions / (sessions + assisted contacts).
 * - unserved (blocked) contacts by reason 0..63: count and share of
 *   offered contacts; abandonment rate = unserved with reason
 *   #KPI_UNSERVED_ABANDONED / offered.
 *
 * Merge combines shards of the same period that cover disjoint customer
 * bases: every count and the revenue add up, and the snapshots (start,
 * end, active) add up too, since disjoint bases sum.  A snapshot given on
 * only one side is taken from it.  The gross margin must be equal when
 * both sides set it (else #KPI_ERR_INCOMPATIBLE).
 *
 * **kpi_journey** follows each customer's open journey: touchpoints
 * (channel codes) in time order, until kpi_journey_resolve() ends it
 * (resolved: the time from first touch to resolution is recorded) or it is
 * closed as unresolved: when it has been idle longer than idle_ms as event
 * time advances (the clock is the latest time of any touch, resolve or
 * kpi_journey_advance()), or when it is evicted as the least recently
 * touched journey (by event time, ties by customer id) to make room for a
 * new customer when max_customers journeys are open.  Memory is fixed at
 * creation, proportional to max_customers: 52 bytes per customer and a
 * hash table of 8 to 16 (a power of two of at least 2 x max_customers
 * 4-byte slots), so 60 to 68 bytes per customer besides a fixed part of
 * under 256 bytes (kpi_journey_footprint()).  Means over closed journeys:
 * touchpoints per journey, channel switches per journey (a touch on a
 * channel other than the previous touch's); the time to resolution is a
 * mean over resolved journeys.  Merge adds the completed-journey
 * statistics and takes the source's open journeys along (trackers sharded
 * by customer merge into what one tracker fed every stream reads when the
 * streams together come in time order and that tracker evicted nothing;
 * a customer open on both sides is #KPI_ERR_STATE): see
 * kpi_journey_merge().
 *
 * Thread safety: an object must not be used from two threads at once
 * without the caller's lock; different objects need no lock; const reads
 * may run concurrently when no thread writes.
 */
#ifndef KPI_CUSTOMERS_H
#define KPI_CUSTOMERS_H

#include "kpi/common.h"

#ifdef __cplusplus
extern "C" {
#endif

/** Customer KPIs of one period. */
typedef struct kpi_customers kpi_customers;
/** Customer journeys across channels. */
typedef struct kpi_journey kpi_journey;

/** @name Unserved-contact reasons (0..63; others are caller-defined)
 *  @{ */
/** The customer abandoned (hung up, left the chat) before service. */
#define KPI_UNSERVED_ABANDONED 0u
/** Blocked: no agent free. */
#define KPI_UNSERVED_NO_AGENT 1u
/** Blocked: a network or system failure. */
#define KPI_UNSERVED_SYSTEM_FAILURE 2u
/** The largest reason code. */
#define KPI_UNSERVED_REASON_MAX 63u
/** @} */

/**
 * @brief Create an empty period.
 * @param[out] out receives the object.
 * @return #KPI_OK; #KPI_ERR_INVALID if `out` is NULL; #KPI_ERR_NOMEM.
 *         Thread-safe.
 */
KPI_API int kpi_customers_new(kpi_customers **out);

/**
 * @brief Create an empty period with a custom allocator.
 * @param[out] out receives the object.
 * @param alloc allocator; NULL = C library.
 * @return #KPI_OK; #KPI_ERR_INVALID; #KPI_ERR_NOMEM. Thread-safe.
 */
KPI_API int kpi_customers_new_with(kpi_customers **out,
                                   const kpi_allocator *alloc);

/**
 * @brief Free; NULL is a no-op.
 * @param p the object. Thread safety: not with concurrent use of `p`.
 */
KPI_API void kpi_customers_free(kpi_customers *p);

/**
 * @brief Back to empty, for the next period; NULL is a no-op.
 *
 * Every count, the revenue and what was set (start, end, active) are
 * cleared; the gross margin, configuration like every object's, stays
 * (kpi_customers_set_margin()).
 * @param p the object. Thread safety: not with concurrent use of `p`.
 */
KPI_API void kpi_customers_reset(kpi_customers *p);

/**
 * @brief Deep copy with the same allocator.
 * @param p the object.
 * @param[out] out receives the copy.
 * @return #KPI_OK; #KPI_ERR_INVALID; #KPI_ERR_NOMEM.
 *         Thread safety: a const read of `p`.
 */
KPI_API int kpi_customers_clone(const kpi_customers *p, kpi_customers **out);

/**
 * @brief Set the number of customers at the start of the period.
 * @param p the object.
 * @param customers_at_start the snapshot.
 * @return #KPI_OK; #KPI_ERR_INVALID if `p` is NULL.
 *         Thread safety: not with concurrent use of `p`.
 */
KPI_API int kpi_customers_set_start(kpi_customers *p,
                                    uint64_t customers_at_start);

/**
 * @brief Set the number of customers at the end of the period.
 * @param p the object.
 * @param customers_at_end the snapshot.
 * @return #KPI_OK; #KPI_ERR_INVALID if `p` is NULL.
 *         Thread safety: not with concurrent use of `p`.
 */
KPI_API int kpi_customers_set_end(kpi_customers *p, uint64_t customers_at_end);

/**
 * @brief Set the number of active customers (those who interacted).
 * @param p the object.
 * @param active_customers the snapshot.
 * @return #KPI_OK; #KPI_ERR_INVALID if `p` is NULL.
 *         Thread safety: not with concurrent use of `p`.
 */
KPI_API int kpi_customers_set_active(kpi_customers *p,
                                     uint64_t active_customers);

/**
 * @brief Add customers won in the period.
 * @param p the object.
 * @param n count.
 * @return #KPI_OK; #KPI_ERR_INVALID; #KPI_ERR_OVERFLOW.
 *         Thread safety: not with concurrent use of `p`.
 */
KPI_API int kpi_customers_add_new(kpi_customers *p, uint64_t n);

/**
 * @brief Add customers lost in the period (of those at the start).
 * @param p the object.
 * @param n count.
 * @return #KPI_OK; #KPI_ERR_INVALID; #KPI_ERR_OVERFLOW.
 *         Thread safety: not with concurrent use of `p`.
 */
KPI_API int kpi_customers_add_lost(kpi_customers *p, uint64_t n);

/**
 * @brief Add new customers who came through a referral programme.
 * @param p the object.
 * @param n count (part of the new customers).
 * @return #KPI_OK; #KPI_ERR_INVALID; #KPI_ERR_OVERFLOW.
 *         Thread safety: not with concurrent use of `p`.
 */
KPI_API int kpi_customers_add_referred(kpi_customers *p, uint64_t n);

/**
 * @brief Add revenue of the period (Neumaier-compensated sum).
 * @param p the object.
 * @param revenue a finite amount >= 0.
 * @return #KPI_OK; #KPI_ERR_INVALID on NULL or non-finite;
 *         #KPI_ERR_RANGE if negative; #KPI_ERR_OVERFLOW if the sum would
 *         pass DBL_MAX (nothing changes).
 *         Thread safety: not with concurrent use of `p`.
 */
KPI_API int kpi_customers_add_revenue(kpi_customers *p, double revenue);

/**
 * @brief Set the gross margin used by the CLV.
 * @param p the object.
 * @param gross_margin a share in [0, 1].
 * @return #KPI_OK; #KPI_ERR_INVALID on NULL or NaN; #KPI_ERR_RANGE
 *         outside [0, 1]. Thread safety: not with concurrent use of `p`.
 */
KPI_API int kpi_customers_set_margin(kpi_customers *p, double gross_margin);

/**
 * @brief Add customer interactions (engagement numerator).
 * @param p the object.
 * @param n count.
 * @return #KPI_OK; #KPI_ERR_INVALID; #KPI_ERR_OVERFLOW.
 *         Thread safety: not with concurrent use of `p`.
 */
KPI_API int kpi_customers_add_interactions(kpi_customers *p, uint64_t n);

/**
 * @brief Add purchasing customers, of whom `repeat_customers` bought more
 *        than once.
 * @param p the object.
 * @param customers purchasing customers.
 * @param repeat_customers those with more than one purchase.
 * @return #KPI_OK; #KPI_ERR_INVALID; #KPI_ERR_RANGE if repeat_customers >
 *         customers; #KPI_ERR_OVERFLOW.
 *         Thread safety: not with concurrent use of `p`.
 */
KPI_API int kpi_customers_add_purchasers(kpi_customers *p, uint64_t customers,
                                         uint64_t repeat_customers);

/**
 * @brief Add self-service sessions and assisted contacts.
 * @param p the object.
 * @param sessions self-service sessions (FAQ, knowledge base, chatbot).
 * @param self_served those sessions that ended without an assisted ticket.
 * @param assisted assisted contacts (tickets, calls, chats with an agent).
 * @return #KPI_OK; #KPI_ERR_INVALID; #KPI_ERR_RANGE if self_served >
 *         sessions; #KPI_ERR_OVERFLOW.
 *         Thread safety: not with concurrent use of `p`.
 */
KPI_API int kpi_customers_add_self_service(kpi_customers *p,
                                           uint64_t sessions,
                                           uint64_t self_served,
                                           uint64_t assisted);

/**
 * @brief Add offered contacts (the denominator of unserved shares).
 * @param p the object.
 * @param n count.
 * @return #KPI_OK; #KPI_ERR_INVALID; #KPI_ERR_OVERFLOW.
 *         Thread safety: not with concurrent use of `p`.
 */
KPI_API int kpi_customers_add_offered(kpi_customers *p, uint64_t n);

/**
 * @brief Add unserved (blocked or abandoned) contacts with a reason.
 * @param p the object.
 * @param reason 0..#KPI_UNSERVED_REASON_MAX (KPI_UNSERVED_* or your own).
 * @param n count.  Unserved contacts are part of the offered ones, but this
 *        call does not add them there: count them in
 *        kpi_customers_add_offered() too (the unserved share is unserved
 *        over offered).
 * @return #KPI_OK; #KPI_ERR_INVALID; #KPI_ERR_RANGE if the reason is out
 *         of range; #KPI_ERR_OVERFLOW.
 *         Thread safety: not with concurrent use of `p`.
 */
KPI_API int kpi_customers_add_unserved(kpi_customers *p, uint32_t reason,
                                       uint64_t n);

/**
 * @brief Net churn (start - end) / start; negative when the base grew.
 * @param p the object.
 * @param[out] out receives the rate.
 * @return #KPI_OK; #KPI_ERR_INVALID; #KPI_ERR_EMPTY if start is 0 or end
 *         was never set. Thread safety: a const read.
 */
KPI_API int kpi_customers_churn_net(const kpi_customers *p, double *out);

/**
 * @brief Churn as lost / start, with a Wilson interval.
 * @param p the object.
 * @param[out] out receives the estimate.
 * @return #KPI_OK; #KPI_ERR_INVALID; #KPI_ERR_EMPTY if start is 0;
 *         #KPI_ERR_RANGE if lost > start. Thread safety: a const read.
 */
KPI_API int kpi_customers_churn_lost(const kpi_customers *p,
                                     kpi_estimate *out);

/**
 * @brief Customer retention rate CRR = (end - new) / start.
 *
 * The formula as written, never clamped: when new customers who also left
 * within the period make new > end, the rate is negative (start 10, end
 * 3, new 5: (3 - 5) / 10 = -0.2).
 * @param p the object.
 * @param[out] out receives the rate.
 * @return #KPI_OK; #KPI_ERR_INVALID; #KPI_ERR_EMPTY if start is 0 or end
 *         was never set. Thread safety: a const read.
 */
KPI_API int kpi_customers_retention(const kpi_customers *p, double *out);

/**
 * @brief Referral rate = referred / new, with a Wilson interval.
 * @param p the object.
 * @param[out] out receives the estimate.
 * @return #KPI_OK; #KPI_ERR_INVALID; #KPI_ERR_EMPTY if no new customers;
 *         #KPI_ERR_RANGE if referred > new. Thread safety: a const read.
 */
KPI_API int kpi_customers_referral_rate(const kpi_customers *p,
                                        kpi_estimate *out);

/**
 * @brief Average revenue per customer = revenue / start.
 * @param p the object.
 * @param[out] out receives the value.
 * @return #KPI_OK; #KPI_ERR_INVALID; #KPI_ERR_EMPTY if start is 0 or no
 *         revenue was added. Thread safety: a const read.
 */
KPI_API int kpi_customers_revenue_per_customer(const kpi_customers *p,
                                               double *out);

/**
 * @brief Customer lifetime value = revenue per customer x margin / churn
 *        (lost / start), per period.
 * @param p the object.
 * @param[out] out receives the value.
 * @return #KPI_OK; #KPI_ERR_INVALID; #KPI_ERR_EMPTY if start is 0, no
 *         revenue was added or the margin was never set; #KPI_ERR_RANGE if
 *         no customer was lost (infinite CLV) or lost > start.
 *         Thread safety: a const read.
 */
KPI_API int kpi_customers_clv(const kpi_customers *p, double *out);

/**
 * @brief Engagement = interactions / active customers.
 * @param p the object.
 * @param[out] out receives the value.
 * @return #KPI_OK; #KPI_ERR_INVALID; #KPI_ERR_EMPTY if active is 0 or was
 *         never set. Thread safety: a const read.
 */
KPI_API int kpi_customers_engagement(const kpi_customers *p, double *out);

/**
 * @brief Repeat-customer share = repeat / purchasing customers.
 * @param p the object.
 * @param[out] out receives the estimate.
 * @return #KPI_OK; #KPI_ERR_INVALID; #KPI_ERR_EMPTY if no purchasers.
 *         Thread safety: a const read.
 */
KPI_API int kpi_customers_repeat_share(const kpi_customers *p,
                                       kpi_estimate *out);

/**
 * @brief Self-service effectiveness = self-served / (self-served +
 *        assisted).
 * @param p the object.
 * @param[out] out receives the estimate.
 * @return #KPI_OK; #KPI_ERR_INVALID; #KPI_ERR_EMPTY if both are 0;
 *         #KPI_ERR_OVERFLOW if the sum overflows. Thread safety: a const
 *         read.
 */
KPI_API int kpi_customers_self_service(const kpi_customers *p,
                                       kpi_estimate *out);

/**
 * @brief Self-service usage share = sessions / (sessions + assisted).
 * @param p the object.
 * @param[out] out receives the estimate.
 * @return #KPI_OK; #KPI_ERR_INVALID; #KPI_ERR_EMPTY if both are 0;
 *         #KPI_ERR_OVERFLOW if the sum overflows. Thread safety: a const
 *         read.
 */
KPI_API int kpi_customers_self_service_usage(const kpi_customers *p,
                                             kpi_estimate *out);

/**
 * @brief Unserved contacts with a reason.
 * @param p the object.
 * @param reason 0..#KPI_UNSERVED_REASON_MAX.
 * @param[out] count receives the count.
 * @return #KPI_OK; #KPI_ERR_INVALID; #KPI_ERR_RANGE if the reason is out
 *         of range. Thread safety: a const read.
 */
KPI_API int kpi_customers_unserved_count(const kpi_customers *p, uint32_t reason,
                                         uint64_t *count);

/**
 * @brief Share of offered contacts unserved with a reason.
 * @param p the object.
 * @param reason 0..#KPI_UNSERVED_REASON_MAX.
 * @param[out] out receives the estimate.
 * @return #KPI_OK; #KPI_ERR_INVALID; #KPI_ERR_EMPTY if no offered
 *         contacts; #KPI_ERR_RANGE if the reason is out of range or its
 *         count exceeds the offered contacts. Thread safety: a const read.
 */
KPI_API int kpi_customers_unserved_reason_share(const kpi_customers *p,
                                                uint32_t reason, kpi_estimate *out);

/**
 * @brief Share of offered contacts unserved for any reason.
 * @param p the object.
 * @param[out] out receives the estimate.
 * @return #KPI_OK; #KPI_ERR_INVALID; #KPI_ERR_EMPTY if no offered
 *         contacts; #KPI_ERR_RANGE if unserved exceed offered;
 *         #KPI_ERR_OVERFLOW. Thread safety: a const read.
 */
KPI_API int kpi_customers_unserved_share(const kpi_customers *p,
                                         kpi_estimate *out);

/**
 * @brief Abandonment rate = unserved with #KPI_UNSERVED_ABANDONED /
 *        offered.
 * @param p the object.
 * @param[out] out receives the estimate.
 * @return as kpi_customers_unserved_reason_share(). Thread safety: a const read.
 */
KPI_API int kpi_customers_abandon_rate(const kpi_customers *p,
                                       kpi_estimate *out);

/**
 * @brief Dst += src (see the file description).
 * @param dst the object receiving.
 * @param src the object added (may be dst).
 * @return #KPI_OK; #KPI_ERR_INVALID; #KPI_ERR_INCOMPATIBLE if both set
 *         different margins; #KPI_ERR_OVERFLOW; #KPI_ERR_NOMEM.
 *         Thread safety: not with concurrent use of `dst`.
 */
KPI_API int kpi_customers_merge(kpi_customers *dst, const kpi_customers *src);

/**
 * @brief Serialize the state.
 * @param p the object.
 * @param buf destination, or NULL to ask for the size.
 * @param cap capacity of buf.
 * @param[out] len receives the size needed.
 * @return #KPI_OK; #KPI_ERR_INVALID; #KPI_ERR_LIMIT if the state's body would pass 4 GiB
 *         (the format's limit); #KPI_ERR_BUFFER.
 *         Thread safety: a const read.
 */
KPI_API int kpi_customers_serialize(const kpi_customers *p, void *buf,
                                    size_t cap, size_t *len);

/**
 * @brief Rebuild from kpi_customers_serialize() bytes.
 * @param[out] out receives the object.
 * @param buf the bytes.
 * @param len their length.
 * @return #KPI_OK; #KPI_ERR_INVALID; #KPI_ERR_CORRUPT; #KPI_ERR_TRUNCATED;
 *         #KPI_ERR_VERSION; #KPI_ERR_TYPE; #KPI_ERR_NOMEM. Thread-safe.
 */
KPI_API int kpi_customers_deserialize(kpi_customers **out, const void *buf,
                                      size_t len);

/**
 * @brief kpi_customers_deserialize() with a custom allocator.
 * @param[out] out receives the object.
 * @param buf the bytes.
 * @param len their length.
 * @param alloc allocator; NULL = C library.
 * @return as kpi_customers_deserialize(). Thread-safe.
 */
KPI_API int kpi_customers_deserialize_with(kpi_customers **out,
                                           const void *buf, size_t len,
                                           const kpi_allocator *alloc);

/**
 * @brief Bytes of memory held.
 * @param p the object.
 * @return the footprint, 0 if `p` is NULL. Thread safety: a const read.
 */
KPI_API size_t kpi_customers_footprint(const kpi_customers *p);

/* ---- journey ----------------------------------------------------------- */

/** The largest max_customers accepted by kpi_journey_new(). */
#define KPI_JOURNEY_MAX_CUSTOMERS 16777216u

/**
 * @brief Create an empty journey tracker.
 * @param[out] out receives the tracker.
 * @param max_customers most open journeys at once,
 *        1..#KPI_JOURNEY_MAX_CUSTOMERS (memory is reserved for them now).
 * @param idle_ms a journey idle longer than this (> 0) is closed as
 *        unresolved.
 * @return #KPI_OK; #KPI_ERR_INVALID if `out` is NULL; #KPI_ERR_RANGE;
 *         #KPI_ERR_NOMEM. Thread-safe.
 */
KPI_API int kpi_journey_new(kpi_journey **out, uint32_t max_customers,
                            int64_t idle_ms);

/**
 * @brief kpi_journey_new() with a custom allocator.
 * @param[out] out receives the tracker.
 * @param max_customers most open journeys at once.
 * @param idle_ms idle limit (> 0).
 * @param alloc allocator; NULL = C library.
 * @return as kpi_journey_new(). Thread-safe.
 */
KPI_API int kpi_journey_new_with(kpi_journey **out, uint32_t max_customers,
                                 int64_t idle_ms, const kpi_allocator *alloc);

/**
 * @brief Free; NULL is a no-op.
 * @param p the tracker. Thread safety: not with concurrent use of `p`.
 */
KPI_API void kpi_journey_free(kpi_journey *p);

/**
 * @brief Back to empty (no open journeys, no statistics, clock unset);
 *        NULL is a no-op.
 * @param p the tracker. Thread safety: not with concurrent use of `p`.
 */
KPI_API void kpi_journey_reset(kpi_journey *p);

/**
 * @brief Deep copy with the same allocator.
 * @param p the tracker.
 * @param[out] out receives the copy.
 * @return #KPI_OK; #KPI_ERR_INVALID; #KPI_ERR_NOMEM.
 *         Thread safety: a const read of `p`.
 */
KPI_API int kpi_journey_clone(const kpi_journey *p, kpi_journey **out);

/**
 * @brief Record a touchpoint (opens a journey if the customer has none).
 * @param p the tracker.
 * @param customer customer id.
 * @param channel caller-defined channel code.
 * @param t_ms time of the touch.
 * @return #KPI_OK; #KPI_ERR_INVALID if `p` is NULL; #KPI_ERR_ORDER if t is
 *         earlier than the last touch of the customer's open journey, or
 *         older than the clock minus idle_ms (a journey resolved or
 *         evicted is forgotten: the customer's next touch opens a new
 *         journey, even before that journey's last touch);
 *         #KPI_ERR_OVERFLOW if the touches made (of closed and open
 *         journeys) are already 2^64 - 1, so that the touchpoint sum
 *         could not count this one (reachable through merges).
 *         Thread safety: not with concurrent use of `p`.
 */
KPI_API int kpi_journey_touch(kpi_journey *p, uint64_t customer,
                              uint32_t channel, int64_t t_ms);

/**
 * @brief End a customer's journey as resolved at t.
 * @param p the tracker.
 * @param customer customer id.
 * @param t_ms resolution time.
 * @return #KPI_OK; #KPI_ERR_INVALID; #KPI_ERR_UNKNOWN_ID if the customer
 *         has no open journey (or it has been idle longer than idle_ms at
 *         t); #KPI_ERR_ORDER if t is before the last touch or older than
 *         the clock minus idle_ms. Thread safety: not with concurrent use.
 */
KPI_API int kpi_journey_resolve(kpi_journey *p, uint64_t customer,
                                int64_t t_ms);

/**
 * @brief Advance the clock to t, closing journeys idle longer than
 *        idle_ms as unresolved (an earlier t is a no-op).
 * @param p the tracker.
 * @param t_ms the time now.
 * @return #KPI_OK; #KPI_ERR_INVALID. Thread safety: not with concurrent use.
 */
KPI_API int kpi_journey_advance(kpi_journey *p, int64_t t_ms);

/**
 * @brief Mean touchpoints per closed journey (resolved or not).
 *
 * KPIS.md's "touchpoints per customer" read per journey: a customer whose
 * touches made two journeys (idle longer than idle_ms between them, or
 * resolved and touched again) counts as two, each with its own touches.
 * Touchpoints per distinct customer: the caller's count of touches divided
 * by a kpi_distinct fed the same customer ids (kpi/distinct.h).
 * @param p the tracker.
 * @param[out] out receives the mean.
 * @return #KPI_OK; #KPI_ERR_INVALID; #KPI_ERR_EMPTY if none closed.
 *         Thread safety: a const read.
 */
KPI_API int kpi_journey_touchpoints_mean(const kpi_journey *p, double *out);

/**
 * @brief Mean channel switches per closed journey.
 * @param p the tracker.
 * @param[out] out receives the mean.
 * @return #KPI_OK; #KPI_ERR_INVALID; #KPI_ERR_EMPTY if none closed.
 *         Thread safety: a const read.
 */
KPI_API int kpi_journey_switches_mean(const kpi_journey *p, double *out);

/**
 * @brief Mean time from first touch to resolution (ms) over resolved
 *        journeys.
 * @param p the tracker.
 * @param[out] out receives the mean.
 * @param[out] n receives the number of resolved journeys (may be NULL).
 * @return #KPI_OK; #KPI_ERR_INVALID; #KPI_ERR_EMPTY if none resolved.
 *         Thread safety: a const read.
 */
KPI_API int kpi_journey_resolution_mean(const kpi_journey *p, double *out,
                                        uint64_t *n);

/**
 * @brief Open journeys.
 * @param p the tracker.
 * @return the count (0 if `p` is NULL). Thread safety: a const read.
 */
KPI_API uint64_t kpi_journey_open(const kpi_journey *p);

/**
 * @brief Journeys closed as unresolved (idle or evicted).
 * @param p the tracker.
 * @return the count (0 if `p` is NULL). Thread safety: a const read.
 */
KPI_API uint64_t kpi_journey_unresolved(const kpi_journey *p);

/**
 * @brief Journeys evicted to make room (part of the unresolved).
 * @param p the tracker.
 * @return the count (0 if `p` is NULL). Thread safety: a const read.
 */
KPI_API uint64_t kpi_journey_evicted(const kpi_journey *p);

/**
 * @brief Add src's journeys to dst: its completed-journey statistics and
 *        its open journeys.
 *
 * dst's clock becomes the later of the two clocks, as for one tracker fed
 * both streams: dst's open journeys idle past src's clock close (as
 * kpi_journey_advance() would close them), and touches older than the
 * merged clock's horizon are #KPI_ERR_ORDER afterwards.  src's open
 * journeys idle past the merged clock close unresolved; the others stay
 * open in dst (their touches, switches, channel and times as they were),
 * so that a customer's next touch or resolve continues the journey begun
 * in src.  Shard by customer (a customer open in both is refused): when
 * the two streams together come in time order (no event earlier than one
 * before it in the other shard) and one tracker fed both would have
 * evicted nothing, dst then reads as that tracker (the shards then evict
 * nothing either, and the open journeys fit).  Otherwise it need not:
 * a shard's clock lags the other shard's events, so a touch out of time
 * order can continue a journey that one tracker had already closed as
 * idle; and a shard holds only its own customers, so it keeps journeys
 * that one tracker, full, had evicted.  When the open journeys of both do
 * not fit in max_customers, the least recently touched of both sides are
 * evicted (counted as evicted), so that the max_customers most recently
 * touched stay open, as in a full tracker fed in time order (fed a new
 * customer's touch older than all its open journeys, a full tracker
 * evicts its least recently touched open journey and keeps the new one).
 * @param dst the tracker receiving.
 * @param src the tracker added (unchanged).
 * @return #KPI_OK; #KPI_ERR_INVALID; #KPI_ERR_INCOMPATIBLE if
 *         max_customers or idle_ms differ; #KPI_ERR_STATE if a customer has
 *         an open journey in both (so also for dst merged with itself
 *         while journeys are open); #KPI_ERR_OVERFLOW if a count or sum
 *         would overflow, now or once the open journeys close;
 *         #KPI_ERR_NOMEM.  Nothing changes on failure.
 *         Thread safety: not with concurrent use of `dst`.
 */
KPI_API int kpi_journey_merge(kpi_journey *dst, const kpi_journey *src);

/**
 * @brief Serialize the state (open journeys included).
 * @param p the tracker.
 * @param buf destination, or NULL to ask for the size.
 * @param cap capacity of buf.
 * @param[out] len receives the size needed.
 * @return #KPI_OK; #KPI_ERR_INVALID; #KPI_ERR_LIMIT if the state's body would pass 4 GiB
 *         (the format's limit); #KPI_ERR_BUFFER.
 *         Thread safety: a const read.
 */
KPI_API int kpi_journey_serialize(const kpi_journey *p, void *buf, size_t cap,
                                  size_t *len);

/**
 * @brief Rebuild from kpi_journey_serialize() bytes.
 * @param[out] out receives the tracker.
 * @param buf the bytes.
 * @param len their length.
 * @return #KPI_OK; #KPI_ERR_INVALID; #KPI_ERR_CORRUPT; #KPI_ERR_TRUNCATED;
 *         #KPI_ERR_VERSION; #KPI_ERR_TYPE; #KPI_ERR_NOMEM. Thread-safe.
 */
KPI_API int kpi_journey_deserialize(kpi_journey **out, const void *buf,
                                    size_t len);

/**
 * @brief kpi_journey_deserialize() with a custom allocator.
 * @param[out] out receives the tracker.
 * @param buf the bytes.
 * @param len their length.
 * @param alloc allocator; NULL = C library.
 * @return as kpi_journey_deserialize(). Thread-safe.
 */
KPI_API int kpi_journey_deserialize_with(kpi_journey **out, const void *buf,
                                         size_t len,
                                         const kpi_allocator *alloc);

/**
 * @brief Bytes of memory held.
 * @param p the tracker.
 * @return the footprint, 0 if `p` is NULL. Thread safety: a const read.
 */
KPI_API size_t kpi_journey_footprint(const kpi_journey *p);

#ifdef __cplusplus
}
#endif

#endif /* KPI_CUSTOMERS_H */
