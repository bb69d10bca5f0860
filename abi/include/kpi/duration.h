/*
 * libkpi - incremental customer-service KPIs.
 * SPDX-License-Identifier: MIT
 */
/**
 * @file kpi/duration.h
 * @brief Durations (FRT, ART, ASA, resolution time) and average handle
 *        time: exact count, sum, min and max, their mean, and any quantile
 *        from a bounded-memory sketch with a guaranteed relative error.
 *
 * A #kpi_duration accumulates durations in milliseconds (0 and above).
 * Count, sum, min and max are exact, and the mean is computed from them
 * (sum / count in double precision).  Quantiles come from a mergeable
 * log-bucketed histogram in the style of DDSketch (Masson, Rim and Lee,
 * VLDB 2019): with relative accuracy a, every quantile answer x
 * satisfies |x - v| <= a * v, where v is the exact value of the stream at
 * the requested rank; 0 ms durations are counted exactly apart.
 *
 * Rank convention: for n durations sorted ascending as v[0] <= ... <=
 * v[n-1], the quantile q is the value at rank floor(q * (n - 1)); q = 0 is
 * the exact minimum and q = 1 the exact maximum, and every answer is
 * clamped to [min, max].
 *
 * Memory: one 8-byte counter per bucket over the range of buckets in use.
 * At 1% accuracy the whole range 1 ms .. 2^63 ms is 2205 buckets, so the
 * sketch never needs to collapse; 1 ms .. 1 day is 923 buckets (7.4 KB).
 * A hard cap of #KPI_DURATION_MAX_BUCKETS buckets bounds memory for finer
 * accuracies: when the values in use span more buckets than that, the
 * lowest buckets collapse into one (as DDSketch's collapsing store does).
 * The guarantee then holds for the quantiles whose exact value lies in the
 * 4096 buckets kept up to the maximum's, which reach down to about
 * max / 2^(11700 a) (max / 3300 at a = 0.1%, max / 2.25 at a = 0.01%);
 * a quantile under that reads as the collapsed bucket, too high (at 0.01%
 * over 1 ms .. 1 day even the p90 does).  Low quantiles lose accuracy
 * first; the exact reads and the exact target counters stay correct.  At
 * 1% (the presets) nothing ever collapses.
 *
 * Thread safety: an object must not be used from two threads at once
 * without the caller's lock; different objects need no lock; const reads
 * may run concurrently when no thread writes.
 */
#ifndef KPI_DURATION_H
#define KPI_DURATION_H

#include "kpi/common.h"

#ifdef __cplusplus
extern "C" {
#endif

/** A duration accumulator (opaque). */
typedef struct kpi_duration kpi_duration;

/** The relative accuracy of the named presets (kpi_frt_new() and others). */
#define KPI_DURATION_DEFAULT_ACCURACY 0.01
/** The finest relative accuracy accepted by kpi_duration_new(). */
#define KPI_DURATION_MIN_ACCURACY 1e-6
/** The coarsest relative accuracy accepted by kpi_duration_new(). */
#define KPI_DURATION_MAX_ACCURACY 0.5
/** The hard cap on quantile buckets per object (8 bytes each). */
#define KPI_DURATION_MAX_BUCKETS 4096
/** The most exact share-within targets one object may register. */
#define KPI_DURATION_MAX_TARGETS 8

/**
 * @brief Create an empty duration accumulator.
 *
 * @param[out] out receives the new object.
 * @param relative_accuracy the quantile guarantee a: every quantile lies
 *        within a * v of the exact value v; 0.01 means 1%.  Accepted:
 *        [#KPI_DURATION_MIN_ACCURACY, #KPI_DURATION_MAX_ACCURACY].
 * @return #KPI_OK; #KPI_ERR_INVALID if `out` is NULL or the accuracy is
 *         NaN; #KPI_ERR_RANGE if the accuracy is outside the accepted
 *         range; #KPI_ERR_NOMEM.  Thread-safe.
 */
KPI_API int kpi_duration_new(kpi_duration **out, double relative_accuracy);

/**
 * @brief kpi_duration_new() with a custom allocator.
 * @param[out] out receives the new object.
 * @param relative_accuracy as for kpi_duration_new().
 * @param alloc the allocator for all of the object's memory; NULL = libc.
 * @return as kpi_duration_new(); #KPI_ERR_INVALID also for an allocator
 *         with a NULL function.  Thread-safe.
 */
KPI_API int kpi_duration_new_with(kpi_duration **out, double relative_accuracy,
                                  const kpi_allocator *alloc);

/**
 * @brief FRT, first response time: a #kpi_duration at 1% accuracy.
 *
 * Feed t1 - t0 (first public agent reply minus ticket creation) once per
 * ticket.  Free with kpi_duration_free().
 * @param[out] out receives the new object.
 * @return #KPI_OK; #KPI_ERR_INVALID if `out` is NULL; #KPI_ERR_NOMEM.
 *         Thread-safe.
 */
KPI_API int kpi_frt_new(kpi_duration **out);

/**
 * @brief ART, average response time: a #kpi_duration at 1% accuracy.
 *
 * Feed the time from the first unanswered customer message to the agent's
 * reply, once per reply.
 * @param[out] out receives the new object.
 * @return #KPI_OK; #KPI_ERR_INVALID if `out` is NULL; #KPI_ERR_NOMEM.
 *         Thread-safe.
 */
KPI_API int kpi_art_new(kpi_duration **out);

/**
 * @brief ASA, average speed of answer: a #kpi_duration at 1% accuracy.
 *
 * Feed the queue wait of answered contacts only (abandoned contacts go to
 * a kpi_service_level instead, which also keeps an ASA).
 * @param[out] out receives the new object.
 * @return #KPI_OK; #KPI_ERR_INVALID if `out` is NULL; #KPI_ERR_NOMEM.
 *         Thread-safe.
 */
KPI_API int kpi_asa_new(kpi_duration **out);

/**
 * @brief Resolution time: a #kpi_duration at 1% accuracy.
 *
 * Feed resolved minus created, once per ticket (first or full resolution:
 * keep one object for each).  The resolution rate (resolved within the
 * target / assigned) is kpi_duration_share_within() with the target
 * registered by kpi_duration_add_target().
 * @param[out] out receives the new object.
 * @return #KPI_OK; #KPI_ERR_INVALID if `out` is NULL; #KPI_ERR_NOMEM.
 *         Thread-safe.
 */
KPI_API int kpi_resolution_time_new(kpi_duration **out);

/**
 * @brief Release an object.  NULL is a no-op.
 * @param d the object.
 * @remark Thread safety: see this file's description.
 */
KPI_API void kpi_duration_free(kpi_duration *d);

/**
 * @brief Empty the object, keeping its accuracy and targets.  NULL is a
 *        no-op.
 * @param d the object.
 * @remark Thread safety: see this file's description.
 */
KPI_API void kpi_duration_reset(kpi_duration *d);

/**
 * @brief Deep copy, with the same allocator.
 * @param d the object.
 * @param[out] out receives the copy.
 * @return #KPI_OK; #KPI_ERR_INVALID if a pointer is NULL; #KPI_ERR_NOMEM.
 * @remark Thread safety: see this file's description.
 */
KPI_API int kpi_duration_clone(const kpi_duration *d, kpi_duration **out);

/**
 * @brief Register a target for an exact share-within counter.
 *
 * Only while the object is empty.  kpi_duration_share_within() is exact
 * for registered targets.
 * @param d the object.
 * @param target_ms the target in milliseconds (0 or more).
 * @return #KPI_OK; #KPI_ERR_INVALID if `d` is NULL; #KPI_ERR_RANGE if the
 *         target is negative; #KPI_ERR_STATE if the object holds data
 *         or is a group's member (kpi/group.h);
 *         #KPI_ERR_DUPLICATE if already registered; #KPI_ERR_LIMIT beyond
 *         #KPI_DURATION_MAX_TARGETS targets.
 * @remark Thread safety: see this file's description.
 */
KPI_API int kpi_duration_add_target(kpi_duration *d, int64_t target_ms);

/**
 * @brief Add one duration.
 * @param d the object.
 * @param ms the duration in milliseconds (0 or more).
 * @return #KPI_OK; #KPI_ERR_INVALID if `d` is NULL; #KPI_ERR_RANGE if `ms`
 *         is negative; #KPI_ERR_OVERFLOW if the sum or the count would
 *         overflow; #KPI_ERR_NOMEM when the buckets cannot grow.
 * @remark Thread safety: see this file's description.
 */
KPI_API int kpi_duration_add(kpi_duration *d, int64_t ms);

/**
 * @brief Add n durations, all or nothing.
 * @param d the object.
 * @param ms the durations (may be NULL when n is 0).
 * @param n how many.
 * @return #KPI_OK; #KPI_ERR_INVALID if `d` is NULL, or `ms` is NULL with n
 *         above 0; #KPI_ERR_RANGE if any value is negative;
 *         #KPI_ERR_OVERFLOW if the sum or count would overflow;
 *         #KPI_ERR_NOMEM.  On failure nothing was added.
 * @remark Thread safety: see this file's description.
 */
KPI_API int kpi_duration_add_array(kpi_duration *d, const int64_t *ms, size_t n);

/**
 * @brief Merge `src` into `dst` (dst then holds both streams).
 *
 * The result is the state of one sketch fed both streams, to the byte:
 * counts, sum, min, max and targets add, buckets add, and a sketch that
 * collapsed its lowest buckets (past #KPI_DURATION_MAX_BUCKETS) passes the
 * collapse on.  `dst` then collapses (as it also does when the two
 * streams together span more buckets than the cap), its floor the cap
 * under the merged maximum's bucket: at least the higher of the two
 * floors, and above both when the other side's maximum is higher.
 * @param dst the object that receives.
 * @param src the object added in (may be dst itself).
 * @return #KPI_OK; #KPI_ERR_INVALID if a pointer is NULL;
 *         #KPI_ERR_INCOMPATIBLE if the accuracies or the target sets
 *         differ; #KPI_ERR_OVERFLOW; #KPI_ERR_NOMEM.
 * @remark Thread safety: see this file's description.
 */
KPI_API int kpi_duration_merge(kpi_duration *dst, const kpi_duration *src);

/**
 * @brief Serialize the state (see docs/format.md).
 * @param d the object.
 * @param buf the output buffer, or NULL to ask only for the size.
 * @param cap the buffer's size.
 * @param[out] len receives the size of the state.
 * @return #KPI_OK; #KPI_ERR_INVALID if `d` or `len` is NULL;
 *         #KPI_ERR_LIMIT if the state's body would pass 4 GiB
 *         (the format's limit); #KPI_ERR_BUFFER if `cap` is too small (`len` says what is
 *         needed).
 * @remark Thread safety: see this file's description.
 */
KPI_API int kpi_duration_serialize(const kpi_duration *d, void *buf, size_t cap,
                                   size_t *len);

/**
 * @brief Rebuild an object from kpi_duration_serialize() bytes.
 * @param[out] out receives the new object.
 * @param buf the bytes.
 * @param len their number.
 * @return #KPI_OK; #KPI_ERR_INVALID; #KPI_ERR_CORRUPT; #KPI_ERR_TRUNCATED;
 *         #KPI_ERR_VERSION; #KPI_ERR_TYPE; #KPI_ERR_NOMEM.
 * @remark Thread safety: see this file's description.
 */
KPI_API int kpi_duration_deserialize(kpi_duration **out, const void *buf,
                                     size_t len);

/**
 * @brief kpi_duration_deserialize() with a custom allocator.
 * @param[out] out receives the new object.
 * @param buf the bytes.
 * @param len their number.
 * @param alloc the allocator; NULL = libc.
 * @return as kpi_duration_deserialize().
 * @remark Thread safety: see this file's description.
 */
KPI_API int kpi_duration_deserialize_with(kpi_duration **out, const void *buf,
                                          size_t len, const kpi_allocator *alloc);

/**
 * @brief Bytes of memory held by the object, its struct included.
 * @param d the object (NULL gives 0).
 * @return the byte count.
 * @remark Thread safety: see this file's description.
 */
KPI_API size_t kpi_duration_footprint(const kpi_duration *d);

/**
 * @brief The number of durations added.
 * @param d the object (NULL gives 0).
 * @return the count.
 * @remark Thread safety: see this file's description.
 */
KPI_API uint64_t kpi_duration_count(const kpi_duration *d);

/**
 * @brief The configured relative accuracy.
 * @param d the object (NULL gives 0).
 * @return the accuracy, for example 0.01.
 * @remark Thread safety: see this file's description.
 */
KPI_API double kpi_duration_accuracy(const kpi_duration *d);

/**
 * @brief The mean, sum / count, in milliseconds: from the exact sum and
 *        count (not from the sketch), divided in double precision.
 * @param d the object.
 * @param[out] out receives the mean.
 * @return #KPI_OK; #KPI_ERR_INVALID if a pointer is NULL; #KPI_ERR_EMPTY.
 * @remark Thread safety: see this file's description.
 */
KPI_API int kpi_duration_mean(const kpi_duration *d, double *out);

/**
 * @brief The exact smallest duration.
 * @param d the object.
 * @param[out] out receives it.
 * @return #KPI_OK; #KPI_ERR_INVALID if a pointer is NULL; #KPI_ERR_EMPTY.
 * @remark Thread safety: see this file's description.
 */
KPI_API int kpi_duration_min(const kpi_duration *d, int64_t *out);

/**
 * @brief The exact largest duration.
 * @param d the object.
 * @param[out] out receives it.
 * @return #KPI_OK; #KPI_ERR_INVALID if a pointer is NULL; #KPI_ERR_EMPTY.
 * @remark Thread safety: see this file's description.
 */
KPI_API int kpi_duration_max(const kpi_duration *d, int64_t *out);

/**
 * @brief The exact sum of the durations.
 * @param d the object.
 * @param[out] out receives it.
 * @return #KPI_OK; #KPI_ERR_INVALID if a pointer is NULL; #KPI_ERR_EMPTY.
 * @remark Thread safety: see this file's description.
 */
KPI_API int kpi_duration_sum(const kpi_duration *d, int64_t *out);

/**
 * @brief The quantile q (see the rank convention in this file's
 *        description), within the configured relative accuracy.
 * @param d the object.
 * @param q in [0, 1]; 0.5 is the median, 0.9 the p90.
 * @param[out] out receives the value in milliseconds.
 * @return #KPI_OK; #KPI_ERR_INVALID if a pointer is NULL or q is NaN;
 *         #KPI_ERR_RANGE if q is outside [0, 1]; #KPI_ERR_EMPTY.
 * @remark Thread safety: see this file's description.
 */
KPI_API int kpi_duration_quantile(const kpi_duration *d, double q, double *out);

/**
 * @brief The share of durations at or under a target, with its Wilson
 *        95% interval (the service level of the durations).
 *
 * Exact for a target registered with kpi_duration_add_target(), and when
 * the target is 0, below the minimum, or at or above the maximum.  For
 * other targets it is estimated from the sketch: all durations in the
 * target's bucket count as within, so every duration at or under the
 * target counts, and so may a duration above it by less than the width of
 * a bucket, a factor (1 + a) / (1 - a) for accuracy a (up to 2.02% above
 * the target at 1%: twice the accuracy, not once).  After a collapse
 * (see this file's description) the floor bucket holds every duration
 * under it and is the bucket of every target under it.
 * @param d the object.
 * @param target_ms the target (0 or more).
 * @param[out] out receives the share, interval and n = count.
 * @return #KPI_OK; #KPI_ERR_INVALID if a pointer is NULL; #KPI_ERR_RANGE
 *         if the target is negative; #KPI_ERR_EMPTY.
 * @remark Thread safety: see this file's description.
 */
KPI_API int kpi_duration_share_within(const kpi_duration *d, int64_t target_ms,
                                      kpi_estimate *out);

/** @name Average handle time components
 *  The `component` argument of kpi_aht_component_mean().
 *  @{ */
/** Talk (or chat) time. */
#define KPI_AHT_TALK 0
/** Hold time. */
#define KPI_AHT_HOLD 1
/** After-contact work (wrap-up) time. */
#define KPI_AHT_AFTER_WORK 2
/** @} */

/**
 * @brief AHT, average handle time: (talk + hold + after-work) / handled
 *        contacts, with per-component means and quantiles of the handle
 *        time (opaque).
 *
 * Holds the exact sums of each component and a #kpi_duration (1%) of the
 * handle time of each contact.  (Handle time from first contact to final
 * resolution is a resolution time, kpi_resolution_time_new().)
 */
typedef struct kpi_aht kpi_aht;

/**
 * @brief Create an empty AHT accumulator (quantiles at 1% accuracy).
 * @param[out] out receives the new object.
 * @return #KPI_OK; #KPI_ERR_INVALID if `out` is NULL; #KPI_ERR_NOMEM.
 *         Thread-safe.
 */
KPI_API int kpi_aht_new(kpi_aht **out);

/**
 * @brief kpi_aht_new() with a custom allocator.
 * @param[out] out receives the new object.
 * @param alloc the allocator; NULL = libc.
 * @return as kpi_aht_new(); #KPI_ERR_INVALID for a bad allocator.
 *         Thread-safe.
 */
KPI_API int kpi_aht_new_with(kpi_aht **out, const kpi_allocator *alloc);

/**
 * @brief Release an object.  NULL is a no-op.
 * @param a the object.
 * @remark Thread safety: see this file's description.
 */
KPI_API void kpi_aht_free(kpi_aht *a);

/**
 * @brief Empty the object.  NULL is a no-op.
 * @param a the object.
 * @remark Thread safety: see this file's description.
 */
KPI_API void kpi_aht_reset(kpi_aht *a);

/**
 * @brief Deep copy, with the same allocator.
 * @param a the object.
 * @param[out] out receives the copy.
 * @return #KPI_OK; #KPI_ERR_INVALID; #KPI_ERR_NOMEM.
 * @remark Thread safety: see this file's description.
 */
KPI_API int kpi_aht_clone(const kpi_aht *a, kpi_aht **out);

/**
 * @brief Add one handled contact.
 * @param a the object.
 * @param talk_ms talk or chat time (0 or more).
 * @param hold_ms hold time (0 or more).
 * @param after_work_ms after-contact work time (0 or more).
 * @return #KPI_OK; #KPI_ERR_INVALID if `a` is NULL; #KPI_ERR_RANGE for a
 *         negative time; #KPI_ERR_OVERFLOW if a sum would overflow;
 *         #KPI_ERR_NOMEM.
 * @remark Thread safety: see this file's description.
 */
KPI_API int kpi_aht_add(kpi_aht *a, int64_t talk_ms, int64_t hold_ms,
                        int64_t after_work_ms);

/**
 * @brief Add n handled contacts, all or nothing.
 * @param a the object.
 * @param talk_ms n talk times.
 * @param hold_ms n hold times.
 * @param after_work_ms n after-work times.
 * @param n how many contacts.
 * @return as kpi_aht_add(); #KPI_ERR_INVALID also for a NULL array with n
 *         above 0.
 * @remark Thread safety: see this file's description.
 */
KPI_API int kpi_aht_add_array(kpi_aht *a, const int64_t *talk_ms,
                              const int64_t *hold_ms,
                              const int64_t *after_work_ms, size_t n);

/**
 * @brief Merge `src` into `dst`.
 * @param dst the object that receives.
 * @param src the object added in (may be dst itself).
 * @return #KPI_OK; #KPI_ERR_INVALID; #KPI_ERR_OVERFLOW; #KPI_ERR_NOMEM.
 * @remark Thread safety: see this file's description.
 */
KPI_API int kpi_aht_merge(kpi_aht *dst, const kpi_aht *src);

/**
 * @brief Serialize the state.
 * @param a the object.
 * @param buf the output buffer, or NULL to ask only for the size.
 * @param cap the buffer's size.
 * @param[out] len receives the size of the state.
 * @return #KPI_OK; #KPI_ERR_INVALID; #KPI_ERR_LIMIT if the state's body would pass 4 GiB
 *         (the format's limit); #KPI_ERR_BUFFER.
 * @remark Thread safety: see this file's description.
 */
KPI_API int kpi_aht_serialize(const kpi_aht *a, void *buf, size_t cap,
                              size_t *len);

/**
 * @brief Rebuild an object from kpi_aht_serialize() bytes.
 * @param[out] out receives the new object.
 * @param buf the bytes.
 * @param len their number.
 * @return #KPI_OK; #KPI_ERR_INVALID; #KPI_ERR_CORRUPT; #KPI_ERR_TRUNCATED;
 *         #KPI_ERR_VERSION; #KPI_ERR_TYPE; #KPI_ERR_NOMEM.
 * @remark Thread safety: see this file's description.
 */
KPI_API int kpi_aht_deserialize(kpi_aht **out, const void *buf, size_t len);

/**
 * @brief kpi_aht_deserialize() with a custom allocator.
 * @param[out] out receives the new object.
 * @param buf the bytes.
 * @param len their number.
 * @param alloc the allocator; NULL = libc.
 * @return as kpi_aht_deserialize().
 * @remark Thread safety: see this file's description.
 */
KPI_API int kpi_aht_deserialize_with(kpi_aht **out, const void *buf, size_t len,
                                     const kpi_allocator *alloc);

/**
 * @brief Bytes of memory held by the object.
 * @param a the object (NULL gives 0).
 * @return the byte count.
 * @remark Thread safety: see this file's description.
 */
KPI_API size_t kpi_aht_footprint(const kpi_aht *a);

/**
 * @brief The number of handled contacts.
 * @param a the object (NULL gives 0).
 * @return the count.
 * @remark Thread safety: see this file's description.
 */
KPI_API uint64_t kpi_aht_count(const kpi_aht *a);

/**
 * @brief AHT = (talk + hold + after-work) / handled: from the exact sums
 *        and count (not from the sketch), divided in double precision.
 * @param a the object.
 * @param[out] out receives the mean handle time in milliseconds.
 * @return #KPI_OK; #KPI_ERR_INVALID; #KPI_ERR_EMPTY.
 * @remark Thread safety: see this file's description.
 */
KPI_API int kpi_aht_mean(const kpi_aht *a, double *out);

/**
 * @brief The mean of one component over handled contacts: its exact sum
 *        over the exact count, divided in double precision.
 * @param a the object.
 * @param component #KPI_AHT_TALK, #KPI_AHT_HOLD or #KPI_AHT_AFTER_WORK.
 * @param[out] out receives the mean in milliseconds.
 * @return #KPI_OK; #KPI_ERR_INVALID for a NULL pointer or an unknown
 *         component; #KPI_ERR_EMPTY.
 * @remark Thread safety: see this file's description.
 */
KPI_API int kpi_aht_component_mean(const kpi_aht *a, int component, double *out);

/**
 * @brief A quantile of the handle time per contact (1% accuracy, rank
 *        convention of kpi_duration_quantile()).
 * @param a the object.
 * @param q in [0, 1].
 * @param[out] out receives the value in milliseconds.
 * @return #KPI_OK; #KPI_ERR_INVALID; #KPI_ERR_RANGE; #KPI_ERR_EMPTY.
 * @remark Thread safety: see this file's description.
 */
KPI_API int kpi_aht_quantile(const kpi_aht *a, double q, double *out);

#ifdef __cplusplus
}
#endif

#endif /* KPI_DURATION_H */
