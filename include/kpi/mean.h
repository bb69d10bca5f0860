/*
 * libkpi - incremental customer-service KPIs.
 * SPDX-License-Identifier: MIT
 */
/**
 * @file kpi/mean.h
 * @brief Real-valued scores: count, (weighted) mean with a 95% interval,
 *        variance, min, max, and shares below / between / above two cut
 *        points.  Presets: sentiment and IQS.
 *
 * One type, kpi_mean, with configurations:
 *
 * - kpi_mean_new(): any finite value, no cut points.
 * - kpi_sentiment_new(): accepts only [-1, 1] (scores from the caller's
 *   sentiment model; libkpi does no text analysis); cut points -0.05 and
 *   +0.05: negative = x < -0.05, positive = x > +0.05, neutral between
 *   (both ends included).
 * - kpi_iqs_new(): internal quality score; accepts values in [0, 1], fed
 *   with kpi_iqs_add(earned, possible), which adds earned / possible with
 *   weight possible, so that kpi_iqs_percent() = sum earned / sum possible
 *   x 100 up to rounding (the weighted mean is updated value by value, not
 *   kept as two sums: see kpi_iqs_percent()).
 *
 * The mean and variance are kept with Welford's (West's weighted) update
 * and merged with the parallel formula of Chan, Golub and LeVeque (1979),
 * so a merge equals one object fed both streams up to rounding.  The
 * interval of the mean is the normal approximation mean -/+ 1.96 SE with
 * SE = s sqrt(sum w^2) / sum w (s / sqrt(n) when unweighted), s^2 the
 * sample variance; it needs n >= 2.  Shares count observations, not
 * weights.
 *
 * Thread safety: an object must not be used from two threads at once
 * without the caller's lock; different objects need no lock; const reads
 * may run concurrently when no thread writes.
 */
#ifndef KPI_MEAN_H
#define KPI_MEAN_H

#include "kpi/common.h"

#ifdef __cplusplus
extern "C" {
#endif

/** @brief An accumulator of real-valued scores (opaque). */
typedef struct kpi_mean kpi_mean;

/**
 * @brief Create a mean accumulator accepting any finite value.
 * @param[out] out receives the new object.
 * @return #KPI_OK; #KPI_ERR_INVALID if `out` is NULL; #KPI_ERR_NOMEM.
 *         Thread-safe (creates a new object).
 */
KPI_API int kpi_mean_new(kpi_mean **out);

/**
 * @brief kpi_mean_new() with a custom allocator.
 * @param[out] out receives the new object.
 * @param alloc the allocator; NULL = libc.
 * @return #KPI_OK; #KPI_ERR_INVALID if `out` is NULL or `alloc` has a NULL
 *         function; #KPI_ERR_NOMEM.  Thread-safe (creates a new object).
 */
KPI_API int kpi_mean_new_with(kpi_mean **out, const kpi_allocator *alloc);

/**
 * @brief Create a sentiment accumulator: values in [-1, 1], cut points
 *        -0.05 / +0.05.
 * @param[out] out receives the new object.
 * @return #KPI_OK; #KPI_ERR_INVALID if `out` is NULL; #KPI_ERR_NOMEM.
 *         Thread-safe (creates a new object).
 */
KPI_API int kpi_sentiment_new(kpi_mean **out);

/**
 * @brief Create an IQS accumulator: values in [0, 1], fed with
 *        kpi_iqs_add(), read with kpi_iqs_percent().
 * @param[out] out receives the new object.
 * @return #KPI_OK; #KPI_ERR_INVALID if `out` is NULL; #KPI_ERR_NOMEM.
 *         Thread-safe (creates a new object).
 */
KPI_API int kpi_iqs_new(kpi_mean **out);

/**
 * @brief Set the cut points of kpi_mean_shares(): negative = x <
 *        negative_below, positive = x > positive_above, neutral between.
 *        Only on an empty object.
 * @param m the object.
 * @param negative_below the negative cut.
 * @param positive_above the positive cut (>= negative_below).
 * @return #KPI_OK; #KPI_ERR_INVALID if `m` is NULL or a cut is NaN or
 *         infinite; #KPI_ERR_RANGE if negative_below > positive_above;
 *         #KPI_ERR_STATE if the object already holds values or is a
 *         group's member (kpi/group.h).
 *         Not thread-safe on one object.
 */
KPI_API int kpi_mean_set_cuts(kpi_mean *m, double negative_below, double positive_above);

/**
 * @brief Release an object; NULL is a no-op.
 * @param m the object or NULL.  Not thread-safe on one object.
 */
KPI_API void kpi_mean_free(kpi_mean *m);

/**
 * @brief Forget every value, keeping the configuration; NULL is a no-op.
 * @param m the object or NULL.  Not thread-safe on one object.
 */
KPI_API void kpi_mean_reset(kpi_mean *m);

/**
 * @brief Deep copy, with the same allocator.
 * @param m the object.
 * @param[out] out receives the copy.
 * @return #KPI_OK; #KPI_ERR_INVALID if an argument is NULL; #KPI_ERR_NOMEM.
 *         Safe concurrently with other const reads of `m`.
 */
KPI_API int kpi_mean_clone(const kpi_mean *m, kpi_mean **out);

/**
 * @brief Add one value with weight 1.
 * @param m the object.
 * @param x the value.
 * @return #KPI_OK; #KPI_ERR_INVALID if `m` is NULL or x is NaN or
 *         infinite; #KPI_ERR_RANGE if x is outside the accepted range;
 *         #KPI_ERR_OVERFLOW if the count or the sum of squared
 *         deviations would overflow (values whose spread passes the double
 *         range: 1.7e308 then -1.7e308; nothing changes).
 *         Not thread-safe on one object.
 */
KPI_API int kpi_mean_add(kpi_mean *m, double x);

/**
 * @brief Add one value with a weight (a weighted mean).
 * @param m the object.
 * @param x the value.
 * @param weight its weight, finite and at least 2^-511 (about 1.5e-154,
 *        whose square is the smallest normal double).
 * @return #KPI_OK; #KPI_ERR_INVALID if `m` is NULL or x or weight is NaN
 *         or infinite; #KPI_ERR_RANGE if x is outside the accepted range or
 *         weight is below 2^-511 (0 and negative weights included);
 *         #KPI_ERR_OVERFLOW if the count, the sum of weights (or of
 *         their squares) or the weighted sum of squared deviations would
 *         overflow (nothing changes).  Not thread-safe on one object.
 */
KPI_API int kpi_mean_add_weighted(kpi_mean *m, double x, double weight);

/**
 * @brief Add n values with weight 1, all or nothing.
 * @param m the object.
 * @param xs the values (may be NULL when n is 0).
 * @param n how many.
 * @return #KPI_OK; #KPI_ERR_INVALID if `m` is NULL, xs is NULL with n > 0,
 *         or a value is NaN or infinite; #KPI_ERR_RANGE if a value is
 *         outside the accepted range; #KPI_ERR_OVERFLOW.  Nothing changes
 *         on failure.  Not thread-safe on one object.
 */
KPI_API int kpi_mean_add_array(kpi_mean *m, const double *xs, size_t n);

/**
 * @brief IQS: add one reviewed conversation, earned / possible with
 *        weight possible.
 * @param m the object (an IQS preset, or any kpi_mean whose range accepts
 *        [0, 1]).
 * @param points_earned rubric points earned, 0 <= earned <= possible.
 * @param points_possible rubric points possible, at least 2^-511 (the
 *        weight: see kpi_mean_add_weighted()).
 * @return #KPI_OK; #KPI_ERR_INVALID if `m` is NULL or a value is NaN or
 *         infinite; #KPI_ERR_RANGE if earned < 0, earned > possible or
 *         possible < 2^-511; #KPI_ERR_OVERFLOW.  Not thread-safe on one
 *         object.
 */
KPI_API int kpi_iqs_add(kpi_mean *m, double points_earned, double points_possible);

/**
 * @brief IQS in percent: sum earned / sum possible x 100 (the weighted
 *        mean x 100).
 *
 * Equal to the quotient of the two sums up to rounding, not to the bit:
 * the mean is updated value by value (West), so the last digits can differ
 * from a caller's sum(earned) / sum(possible) x 100 ((3, 4) then (1, 5)
 * reads 44.44444444444445 where 400 / 9 gives 44.444444444444443; within
 * 2e-14 of the quotient, relatively, over a million random reviews).
 * Compare with a tolerance.
 * @param m the object.
 * @param[out] out receives the percentage.
 * @return #KPI_OK; #KPI_ERR_INVALID if an argument is NULL; #KPI_ERR_EMPTY
 *         with no values.  Safe concurrently with other const reads.
 */
KPI_API int kpi_iqs_percent(const kpi_mean *m, double *out);

/**
 * @brief Number of values added.
 * @param m the object (NULL gives 0).
 * @return the count.  Safe concurrently with other const reads.
 */
KPI_API uint64_t kpi_mean_count(const kpi_mean *m);

/**
 * @brief The (weighted) mean without an interval.
 * @param m the object.
 * @param[out] out receives the mean.
 * @return #KPI_OK; #KPI_ERR_INVALID if an argument is NULL; #KPI_ERR_EMPTY
 *         with no values.  Safe concurrently with other const reads.
 */
KPI_API int kpi_mean_mean(const kpi_mean *m, double *out);

/**
 * @brief The (weighted) mean with a 95% normal-approximation interval.
 *
 * With a single value the interval is unknown: lower = -infinity and
 * upper = +infinity (n = 1 tells the caller why).
 * @param m the object.
 * @param[out] out receives the estimate (n = number of values).
 * @return #KPI_OK; #KPI_ERR_INVALID if an argument is NULL; #KPI_ERR_EMPTY
 *         with no values.  Safe concurrently with other const reads.
 */
KPI_API int kpi_mean_mean_ci(const kpi_mean *m, kpi_estimate *out);

/**
 * @brief The sample variance (n - 1 denominator; for weighted values
 *        M2 / sum w x n / (n - 1)).
 *
 * Values whose spread would take M2 past the largest double are refused
 * when added (#KPI_ERR_OVERFLOW), but weights below 1 can still put the
 * variance itself past it (0 and 1.9e154, each of weight 0.001: 1.8e308):
 * it then reads +infinity with #KPI_OK, while kpi_mean_mean_ci()'s interval
 * stays finite.
 * @param m the object.
 * @param[out] out receives the variance.
 * @return #KPI_OK; #KPI_ERR_INVALID if an argument is NULL; #KPI_ERR_EMPTY
 *         with fewer than two values.  Safe concurrently with other const
 *         reads.
 */
KPI_API int kpi_mean_variance(const kpi_mean *m, double *out);

/**
 * @brief The smallest value added.
 * @param m the object.
 * @param[out] out receives the minimum.
 * @return #KPI_OK; #KPI_ERR_INVALID if an argument is NULL; #KPI_ERR_EMPTY
 *         with no values.  Safe concurrently with other const reads.
 */
KPI_API int kpi_mean_min(const kpi_mean *m, double *out);

/**
 * @brief The largest value added.
 * @param m the object.
 * @param[out] out receives the maximum.
 * @return #KPI_OK; #KPI_ERR_INVALID if an argument is NULL; #KPI_ERR_EMPTY
 *         with no values.  Safe concurrently with other const reads.
 */
KPI_API int kpi_mean_max(const kpi_mean *m, double *out);

/**
 * @brief Shares of values below, between and above the cut points, by
 *        count, each with its Wilson 95% interval.
 * @param m the object.
 * @param[out] negative receives the share below negative_below (may be NULL).
 * @param[out] neutral receives the share between the cuts (may be NULL).
 * @param[out] positive receives the share above positive_above (may be NULL).
 * @return #KPI_OK; #KPI_ERR_INVALID if `m` is NULL; #KPI_ERR_STATE if no
 *         cut points are set; #KPI_ERR_EMPTY with no values.
 *         Safe concurrently with other const reads.
 */
KPI_API int kpi_mean_shares(const kpi_mean *m, kpi_estimate *negative,
                            kpi_estimate *neutral, kpi_estimate *positive);

/**
 * @brief dst += src (Chan et al. parallel formula).  Both must have the
 *        same range and cut points.
 * @param dst the object that receives.
 * @param src the object added (may equal dst).
 * @return #KPI_OK; #KPI_ERR_INVALID if an argument is NULL;
 *         #KPI_ERR_INCOMPATIBLE if configured differently;
 *         #KPI_ERR_OVERFLOW; #KPI_ERR_NOMEM.  dst is unchanged on failure.
 *         Not thread-safe on dst.
 */
KPI_API int kpi_mean_merge(kpi_mean *dst, const kpi_mean *src);

/**
 * @brief Serialize into a portable byte string.
 * @param m the object.
 * @param buf destination, or NULL to ask for the size.
 * @param cap capacity of buf.
 * @param[out] len receives the size of the state.
 * @return #KPI_OK; #KPI_ERR_INVALID if `m` or `len` is NULL;
 *         #KPI_ERR_LIMIT if the state's body would pass 4 GiB
 *         (the format's limit); #KPI_ERR_BUFFER if cap is too small (*len says how much is
 *         needed).  Safe concurrently with other const reads.
 */
KPI_API int kpi_mean_serialize(const kpi_mean *m, void *buf, size_t cap, size_t *len);

/**
 * @brief Rebuild an object from kpi_mean_serialize() bytes.
 * @param[out] out receives the new object.
 * @param buf the bytes.
 * @param len their length.
 * @return #KPI_OK; #KPI_ERR_INVALID if an argument is NULL;
 *         #KPI_ERR_CORRUPT, #KPI_ERR_TRUNCATED, #KPI_ERR_VERSION,
 *         #KPI_ERR_TYPE for bad bytes; #KPI_ERR_NOMEM.  Thread-safe.
 */
KPI_API int kpi_mean_deserialize(kpi_mean **out, const void *buf, size_t len);

/**
 * @brief kpi_mean_deserialize() with a custom allocator.
 * @param[out] out receives the new object.
 * @param buf the bytes.
 * @param len their length.
 * @param alloc the allocator; NULL = libc.
 * @return as kpi_mean_deserialize().  Thread-safe.
 */
KPI_API int kpi_mean_deserialize_with(kpi_mean **out, const void *buf, size_t len,
                                      const kpi_allocator *alloc);

/**
 * @brief Bytes of memory held by the object.
 * @param m the object (NULL gives 0).
 * @return the byte count.  Safe concurrently with other const reads.
 */
KPI_API size_t kpi_mean_footprint(const kpi_mean *m);

#ifdef __cplusplus
}
#endif

#endif /* KPI_MEAN_H */
