/*
 * libkpi - incremental customer-service KPIs.
 * SPDX-License-Identifier: MIT
 */
/**
 * @file kpi/rate.h
 * @brief Yes/no outcomes and their share: FCR answers, PEC, script
 *        adherence, referral, self-service success, any share.
 *
 * A kpi_rate counts successes and trials; kpi_rate_share() reads the share
 * with its Wilson 95% interval.  Per-agent breakdowns and the spread
 * between agents (consistent resolution) come from kpi/group.h.
 *
 * Thread safety: an object must not be used from two threads at once
 * without the caller's lock; different objects need no lock; const reads
 * may run concurrently when no thread writes.
 */
#ifndef KPI_RATE_H
#define KPI_RATE_H

#include "kpi/common.h"

#ifdef __cplusplus
extern "C" {
#endif

/** @brief A count of successes out of trials (opaque). */
typedef struct kpi_rate kpi_rate;

/**
 * @brief Create an empty rate.
 * @param[out] out receives the new object.
 * @return #KPI_OK; #KPI_ERR_INVALID if `out` is NULL; #KPI_ERR_NOMEM.
 *         Thread-safe (creates a new object).
 */
KPI_API int kpi_rate_new(kpi_rate **out);

/**
 * @brief kpi_rate_new() with a custom allocator.
 * @param[out] out receives the new object.
 * @param alloc the allocator; NULL = libc.
 * @return #KPI_OK; #KPI_ERR_INVALID if `out` is NULL or `alloc` has a NULL
 *         function; #KPI_ERR_NOMEM.  Thread-safe (creates a new object).
 */
KPI_API int kpi_rate_new_with(kpi_rate **out, const kpi_allocator *alloc);

/**
 * @brief Release an object; NULL is a no-op.
 * @param r the object or NULL.  Not thread-safe on one object.
 */
KPI_API void kpi_rate_free(kpi_rate *r);

/**
 * @brief Forget every outcome; NULL is a no-op.
 * @param r the object or NULL.  Not thread-safe on one object.
 */
KPI_API void kpi_rate_reset(kpi_rate *r);

/**
 * @brief Deep copy, with the same allocator.
 * @param r the object.
 * @param[out] out receives the copy.
 * @return #KPI_OK; #KPI_ERR_INVALID if an argument is NULL; #KPI_ERR_NOMEM.
 *         Safe concurrently with other const reads of `r`.
 */
KPI_API int kpi_rate_clone(const kpi_rate *r, kpi_rate **out);

/**
 * @brief Add one outcome.
 * @param r the object.
 * @param success 1 for a success, 0 for a failure.
 * @return #KPI_OK; #KPI_ERR_INVALID if `r` is NULL; #KPI_ERR_RANGE if
 *         success is neither 0 nor 1; #KPI_ERR_OVERFLOW if the trial count
 *         would pass 2^64 - 1.  Not thread-safe on one object.
 */
KPI_API int kpi_rate_add(kpi_rate *r, int success);

/**
 * @brief Add pre-counted outcomes.
 * @param r the object.
 * @param successes number of successes.
 * @param trials number of trials (>= successes).
 * @return #KPI_OK; #KPI_ERR_INVALID if `r` is NULL; #KPI_ERR_RANGE if
 *         successes > trials; #KPI_ERR_OVERFLOW if a count would pass
 *         2^64 - 1.  Not thread-safe on one object.
 */
KPI_API int kpi_rate_add_counts(kpi_rate *r, uint64_t successes, uint64_t trials);

/**
 * @brief Add n outcomes (each 0 or 1), all or nothing.
 * @param r the object.
 * @param outcomes the outcomes (may be NULL when n is 0).
 * @param n how many.
 * @return #KPI_OK; #KPI_ERR_INVALID if `r` is NULL or outcomes is NULL with
 *         n > 0; #KPI_ERR_RANGE if any outcome is above 1 (nothing
 *         changes); #KPI_ERR_OVERFLOW.  Not thread-safe on one object.
 */
KPI_API int kpi_rate_add_array(kpi_rate *r, const uint8_t *outcomes, size_t n);

/**
 * @brief Number of successes.
 * @param r the object (NULL gives 0).
 * @return the count.  Safe concurrently with other const reads.
 */
KPI_API uint64_t kpi_rate_successes(const kpi_rate *r);

/**
 * @brief Number of trials.
 * @param r the object (NULL gives 0).
 * @return the count.  Safe concurrently with other const reads.
 */
KPI_API uint64_t kpi_rate_trials(const kpi_rate *r);

/**
 * @brief The share of successes with its Wilson 95% interval.
 * @param r the object.
 * @param[out] out receives the estimate.
 * @return #KPI_OK; #KPI_ERR_INVALID if an argument is NULL; #KPI_ERR_EMPTY
 *         with no trials.  Safe concurrently with other const reads.
 */
KPI_API int kpi_rate_share(const kpi_rate *r, kpi_estimate *out);

/**
 * @brief dst += src.
 * @param dst the object that receives.
 * @param src the object added (may equal dst).
 * @return #KPI_OK; #KPI_ERR_INVALID if an argument is NULL;
 *         #KPI_ERR_OVERFLOW; #KPI_ERR_NOMEM.  dst is unchanged on failure.
 *         Not thread-safe on dst.
 */
KPI_API int kpi_rate_merge(kpi_rate *dst, const kpi_rate *src);

/**
 * @brief Serialize into a portable byte string.
 * @param r the object.
 * @param buf destination, or NULL to ask for the size.
 * @param cap capacity of buf.
 * @param[out] len receives the size of the state.
 * @return #KPI_OK; #KPI_ERR_INVALID if `r` or `len` is NULL;
 *         #KPI_ERR_LIMIT if the state's body would pass 4 GiB
 *         (the format's limit); #KPI_ERR_BUFFER if cap is too small (*len says how much is
 *         needed).  Safe concurrently with other const reads.
 */
KPI_API int kpi_rate_serialize(const kpi_rate *r, void *buf, size_t cap, size_t *len);

/**
 * @brief Rebuild an object from kpi_rate_serialize() bytes.
 * @param[out] out receives the new object.
 * @param buf the bytes.
 * @param len their length.
 * @return #KPI_OK; #KPI_ERR_INVALID if an argument is NULL;
 *         #KPI_ERR_CORRUPT, #KPI_ERR_TRUNCATED, #KPI_ERR_VERSION,
 *         #KPI_ERR_TYPE for bad bytes; #KPI_ERR_NOMEM.  Thread-safe.
 */
KPI_API int kpi_rate_deserialize(kpi_rate **out, const void *buf, size_t len);

/**
 * @brief kpi_rate_deserialize() with a custom allocator.
 * @param[out] out receives the new object.
 * @param buf the bytes.
 * @param len their length.
 * @param alloc the allocator; NULL = libc.
 * @return as kpi_rate_deserialize().  Thread-safe.
 */
KPI_API int kpi_rate_deserialize_with(kpi_rate **out, const void *buf, size_t len,
                                      const kpi_allocator *alloc);

/**
 * @brief Bytes of memory held by the object.
 * @param r the object (NULL gives 0).
 * @return the byte count.  Safe concurrently with other const reads.
 */
KPI_API size_t kpi_rate_footprint(const kpi_rate *r);

#ifdef __cplusplus
}
#endif

#endif /* KPI_RATE_H */
