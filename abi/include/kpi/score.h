/*
 * libkpi - incremental customer-service KPIs.
 * SPDX-License-Identifier: MIT
 */
/**
 * @file kpi/score.h
 * @brief Survey scores on a bounded integer scale: CSAT, ESAT, NPS, CES.
 *
 * A kpi_score counts integer answers on a scale [min, max] (at most 1001
 * values): one 64-bit counter per value, so every read (share at or above
 * a threshold, NPS, mean, distribution) is exact.  Presets configure the
 * scale and cut points:
 *
 * - CSAT: kpi_csat_new() - scale 1..max, satisfied = answer >= satisfied_from
 *   (top-2-box on 1-5 is satisfied_from = 4); read kpi_score_csat().
 * - ESAT (employee satisfaction): kpi_esat_new(), the same as CSAT.
 * - NPS: kpi_nps_new() - scale 0..10, promoters >= 9, detractors <= 6;
 *   other scales (1-10) through kpi_score_new() and kpi_score_set_nps_cuts().
 * - CES: kpi_ces_new() - scale 1..max, "easy" = answer >= easy_from, or
 *   answer <= easy_from after kpi_score_set_high_is_easy(s, 0).
 *
 * Every object carries one threshold with a direction (the CSAT
 * "satisfied" / CES "easy" cut: the favourable share) and optional NPS cut
 * points.  kpi_score_new() sets the threshold to max - 1 (top-2-box, high
 * is good; max itself when min == max) and the NPS cuts to 9 / 6 when both
 * lie on the scale.
 *
 * Thread safety: an object must not be used from two threads at once
 * without the caller's lock; different objects need no lock; const reads
 * may run concurrently when no thread writes.
 */
#ifndef KPI_SCORE_H
#define KPI_SCORE_H

#include "kpi/common.h"

#ifdef __cplusplus
extern "C" {
#endif

/** @brief An accumulator of integer answers on a bounded scale (opaque). */
typedef struct kpi_score kpi_score;

/** The largest accepted max - min of a scale. */
#define KPI_SCORE_MAX_SPAN 1000

/**
 * @brief Create a score accumulator on the scale [min, max].
 *
 * Threshold (favourable share): answers >= max - 1 (or >= min when
 * min == max).  NPS cuts: promoters >= 9, detractors <= 6 when
 * min <= 6 and max >= 9; otherwise no cuts until kpi_score_set_nps_cuts().
 * @param[out] out receives the new object.
 * @param min lowest answer on the scale.
 * @param max highest answer on the scale.
 * @return #KPI_OK; #KPI_ERR_INVALID if `out` is NULL; #KPI_ERR_RANGE if
 *         max < min or max - min > #KPI_SCORE_MAX_SPAN; #KPI_ERR_NOMEM.
 *         Thread-safe (creates a new object).
 */
KPI_API int kpi_score_new(kpi_score **out, int32_t min, int32_t max);

/**
 * @brief kpi_score_new() with a custom allocator.
 * @param[out] out receives the new object.
 * @param min lowest answer on the scale.
 * @param max highest answer on the scale.
 * @param alloc the allocator for all of the object's memory; NULL = libc.
 * @return #KPI_OK; #KPI_ERR_INVALID if `out` is NULL or `alloc` has a NULL
 *         function; #KPI_ERR_RANGE as kpi_score_new(); #KPI_ERR_NOMEM.
 *         Thread-safe (creates a new object).
 */
KPI_API int kpi_score_new_with(kpi_score **out, int32_t min, int32_t max,
                               const kpi_allocator *alloc);

/**
 * @brief Create a CSAT accumulator: scale 1..max, satisfied = answer >=
 *        satisfied_from (read with kpi_score_csat()).
 * @param[out] out receives the new object.
 * @param max highest answer (5 for the usual 1-5 scale), 1..1001.
 * @param satisfied_from lowest satisfied answer (4 for top-2-box on 1-5).
 * @return #KPI_OK; #KPI_ERR_INVALID if `out` is NULL; #KPI_ERR_RANGE if
 *         max is off 1..1001 or satisfied_from is off 1..max;
 *         #KPI_ERR_NOMEM.  Thread-safe (creates a new object).
 */
KPI_API int kpi_csat_new(kpi_score **out, int32_t max, int32_t satisfied_from);

/**
 * @brief Create an ESAT (employee satisfaction) accumulator: exactly a CSAT
 *        preset, scale 1..max, satisfied = answer >= satisfied_from.
 * @param[out] out receives the new object.
 * @param max highest answer, 1..1001.
 * @param satisfied_from lowest satisfied answer, 1..max.
 * @return as kpi_csat_new().  Thread-safe (creates a new object).
 */
KPI_API int kpi_esat_new(kpi_score **out, int32_t max, int32_t satisfied_from);

/**
 * @brief Create an NPS accumulator: scale 0..10, promoters 9-10,
 *        passives 7-8, detractors 0-6.
 * @param[out] out receives the new object.
 * @return #KPI_OK; #KPI_ERR_INVALID if `out` is NULL; #KPI_ERR_NOMEM.
 *         Thread-safe (creates a new object).
 */
KPI_API int kpi_nps_new(kpi_score **out);

/**
 * @brief Create a CES accumulator: scale 1..max, easy = answer >= easy_from
 *        (high is easy; see kpi_score_set_high_is_easy() for the other
 *        direction).  Read with kpi_score_ces_easy().
 * @param[out] out receives the new object.
 * @param max highest answer (7 by default in surveys, 5 also used), 1..1001.
 * @param easy_from the threshold answer, 1..max.
 * @return #KPI_OK; #KPI_ERR_INVALID if `out` is NULL; #KPI_ERR_RANGE if
 *         max is off 1..1001 or easy_from is off 1..max; #KPI_ERR_NOMEM.
 *         Thread-safe (creates a new object).
 */
KPI_API int kpi_ces_new(kpi_score **out, int32_t max, int32_t easy_from);

/**
 * @brief Set the threshold of the favourable share (CSAT satisfied, CES
 *        easy).
 * @param s the object.
 * @param threshold an answer on the scale.
 * @return #KPI_OK; #KPI_ERR_INVALID if `s` is NULL; #KPI_ERR_RANGE if
 *         threshold is off the scale; #KPI_ERR_STATE if `s` is a group's
 *         member (kpi/group.h).  Not thread-safe on one object.
 */
KPI_API int kpi_score_set_threshold(kpi_score *s, int32_t threshold);

/**
 * @brief Set the direction of the favourable share: 1 (default) counts
 *        answers >= threshold, 0 counts answers <= threshold (for CES
 *        scales where 1 = very easy).
 * @param s the object.
 * @param high_is_easy 1 or 0.
 * @return #KPI_OK; #KPI_ERR_INVALID if `s` is NULL; #KPI_ERR_RANGE if
 *         high_is_easy is neither 0 nor 1; #KPI_ERR_STATE if `s` is a
 *         group's member (kpi/group.h).  Not thread-safe on one object.
 */
KPI_API int kpi_score_set_high_is_easy(kpi_score *s, int high_is_easy);

/**
 * @brief Set the NPS cut points: promoters answer >= promoter_from,
 *        detractors answer <= detractor_to, passives between.
 * @param s the object.
 * @param promoter_from lowest promoter answer, on the scale.
 * @param detractor_to highest detractor answer, on the scale and below
 *        promoter_from.
 * @return #KPI_OK; #KPI_ERR_INVALID if `s` is NULL; #KPI_ERR_RANGE if a cut
 *         is off the scale or detractor_to >= promoter_from;
 *         #KPI_ERR_STATE if `s` is a group's member (kpi/group.h).
 *         Not thread-safe on one object.
 */
KPI_API int kpi_score_set_nps_cuts(kpi_score *s, int32_t promoter_from,
                                   int32_t detractor_to);

/**
 * @brief Release an object; NULL is a no-op.
 * @param s the object or NULL.  Not thread-safe on one object.
 */
KPI_API void kpi_score_free(kpi_score *s);

/**
 * @brief Forget every answer, keeping the scale and cut points; NULL is a
 *        no-op.
 * @param s the object or NULL.  Not thread-safe on one object.
 */
KPI_API void kpi_score_reset(kpi_score *s);

/**
 * @brief Deep copy, with the same allocator.
 * @param s the object to copy.
 * @param[out] out receives the copy.
 * @return #KPI_OK; #KPI_ERR_INVALID if an argument is NULL; #KPI_ERR_NOMEM.
 *         Safe concurrently with other const reads of `s`.
 */
KPI_API int kpi_score_clone(const kpi_score *s, kpi_score **out);

/**
 * @brief Add one answer.
 * @param s the object.
 * @param answer an answer on the scale.
 * @return #KPI_OK; #KPI_ERR_INVALID if `s` is NULL; #KPI_ERR_RANGE if the
 *         answer is off the scale (nothing changes); #KPI_ERR_OVERFLOW if
 *         the count would pass 2^64 - 1.  Not thread-safe on one object.
 */
KPI_API int kpi_score_add(kpi_score *s, int32_t answer);

/**
 * @brief Add n answers, all or nothing: one answer off the scale rejects
 *        the whole batch and changes nothing.
 * @param s the object.
 * @param answers the answers (may be NULL when n is 0).
 * @param n how many.
 * @return #KPI_OK; #KPI_ERR_INVALID if `s` is NULL or `answers` is NULL with
 *         n > 0; #KPI_ERR_RANGE if any answer is off the scale;
 *         #KPI_ERR_OVERFLOW if the count would pass 2^64 - 1.
 *         Not thread-safe on one object.
 */
KPI_API int kpi_score_add_array(kpi_score *s, const int32_t *answers, size_t n);

/**
 * @brief Number of answers.
 * @param s the object (NULL gives 0).
 * @return the count.  Safe concurrently with other const reads.
 */
KPI_API uint64_t kpi_score_count(const kpi_score *s);

/**
 * @brief The scale of the object.
 * @param s the object.
 * @param[out] min receives the lowest answer.
 * @param[out] max receives the highest answer.
 * @return #KPI_OK; #KPI_ERR_INVALID if an argument is NULL.
 *         Safe concurrently with other const reads.
 */
KPI_API int kpi_score_scale(const kpi_score *s, int32_t *min, int32_t *max);

/**
 * @brief Count of one answer value.
 * @param s the object.
 * @param answer an answer on the scale.
 * @param[out] out receives the count.
 * @return #KPI_OK; #KPI_ERR_INVALID if an argument is NULL; #KPI_ERR_RANGE
 *         if the answer is off the scale.  Safe concurrently with other
 *         const reads.
 */
KPI_API int kpi_score_count_of(const kpi_score *s, int32_t answer, uint64_t *out);

/**
 * @brief Counts per answer value, min first (max - min + 1 values).
 * @param s the object.
 * @param[out] counts receives the counts (may be NULL when cap is 0).
 * @param cap capacity of `counts` in elements.
 * @return #KPI_OK; #KPI_ERR_INVALID if `s` is NULL or counts is NULL with
 *         cap > 0; #KPI_ERR_BUFFER if cap < max - min + 1 (nothing written).
 *         Safe concurrently with other const reads.
 */
KPI_API int kpi_score_distribution(const kpi_score *s, uint64_t *counts, size_t cap);

/**
 * @brief Mean answer.
 * @param s the object.
 * @param[out] out receives the mean.
 * @return #KPI_OK; #KPI_ERR_INVALID if an argument is NULL; #KPI_ERR_EMPTY
 *         with no answers.  Safe concurrently with other const reads.
 */
KPI_API int kpi_score_mean(const kpi_score *s, double *out);

/**
 * @brief Mean answer with a 95% normal-approximation interval:
 *        mean -/+ 1.96 s / sqrt(n), s the sample standard deviation.
 *
 * With a single answer the interval is unknown: lower = -infinity and
 * upper = +infinity.
 * @param s the object.
 * @param[out] out receives the estimate.
 * @return #KPI_OK; #KPI_ERR_INVALID if an argument is NULL; #KPI_ERR_EMPTY
 *         with no answers.  Safe concurrently with other const reads.
 */
KPI_API int kpi_score_mean_ci(const kpi_score *s, kpi_estimate *out);

/**
 * @brief Share of answers >= threshold, with its Wilson 95% interval.
 * @param s the object.
 * @param threshold an answer on the scale.
 * @param[out] out receives the estimate.
 * @return #KPI_OK; #KPI_ERR_INVALID if an argument is NULL; #KPI_ERR_RANGE
 *         if threshold is off the scale; #KPI_ERR_EMPTY with no answers.
 *         Safe concurrently with other const reads.
 */
KPI_API int kpi_score_share_at_least(const kpi_score *s, int32_t threshold,
                                     kpi_estimate *out);

/**
 * @brief Share of answers <= threshold, with its Wilson 95% interval.
 * @param s the object.
 * @param threshold an answer on the scale.
 * @param[out] out receives the estimate.
 * @return #KPI_OK; #KPI_ERR_INVALID if an argument is NULL; #KPI_ERR_RANGE
 *         if threshold is off the scale; #KPI_ERR_EMPTY with no answers.
 *         Safe concurrently with other const reads.
 */
KPI_API int kpi_score_share_at_most(const kpi_score *s, int32_t threshold,
                                    kpi_estimate *out);

/**
 * @brief CSAT / ESAT: the favourable share by the configured threshold and
 *        direction (answers >= threshold by default), Wilson 95%.
 * @param s the object.
 * @param[out] out receives the estimate.
 * @return #KPI_OK; #KPI_ERR_INVALID if an argument is NULL; #KPI_ERR_EMPTY
 *         with no answers.  Safe concurrently with other const reads.
 */
KPI_API int kpi_score_csat(const kpi_score *s, kpi_estimate *out);

/**
 * @brief CES: the share of "easy" answers by the configured threshold and
 *        direction (the same figure as kpi_score_csat(), named for CES).
 * @param s the object.
 * @param[out] out receives the estimate.
 * @return #KPI_OK; #KPI_ERR_INVALID if an argument is NULL; #KPI_ERR_EMPTY
 *         with no answers.  Safe concurrently with other const reads.
 */
KPI_API int kpi_score_ces_easy(const kpi_score *s, kpi_estimate *out);

/**
 * @brief Net promoter score in [-100, 100] with its 95% interval.
 *
 * value = 100 (p - d) with p, d the shares of promoters and detractors
 * among the n answers.  The interval is the adjusted-Wald interval
 * (Rocks, "Interval estimation for the net promoter score", The American
 * Statistician 70(4), 2016: the best coverage of the methods compared):
 * with n' = n + 3, p' = (promoters + 3/4) / n' and d' = (detractors +
 * 3/4) / n', lower/upper = 100 (p' - d' -/+ 1.96 sqrt((p' + d' -
 * (p' - d')^2) / n')), clamped to [-100, 100].  Unlike the plain Wald
 * interval it keeps a width when every answer is in one class (10
 * promoters: +100, 95% CI +47.5 .. +100).  It is not centred on the
 * value (it leans towards 0); it always contains it (with one answer the
 * adjusted interval alone would not, and is widened to it).  The
 * catalogue's "margin of error" (plain Wald) is kpi_score_nps_margin().
 * @param s the object.
 * @param[out] out receives the estimate.
 * @return #KPI_OK; #KPI_ERR_INVALID if an argument is NULL; #KPI_ERR_STATE
 *         if the object has no NPS cut points; #KPI_ERR_EMPTY with no
 *         answers.  Safe concurrently with other const reads.
 */
KPI_API int kpi_score_nps(const kpi_score *s, kpi_estimate *out);

/**
 * @brief The NPS margin of error as the KPI catalogue defines it (the
 *        plain Wald margin), in NPS points.
 *
 * margin = z sqrt((p + d - (p - d)^2) / n) x 100, with p, d the shares of
 * promoters and detractors among the n answers and z = 1.959964 (the
 * 1.96 of the usual statement; every 95% figure of the library uses the
 * same z): the "+/-" figure survey tools print beside an NPS.  It is 0
 * when every answer is in one class (all promoters, all passives or all
 * detractors), and value +/- margin may pass the scale's ends: the interval of kpi_score_nps() (adjusted Wald) is the one to
 * report as a range.  Example: 3 promoters, 1 passive and 1 detractor:
 * p = 0.6, d = 0.2, margin = 1.959964 x sqrt((0.8 - 0.16) / 5) x 100 =
 * 70.12 points.
 * @param s the object.
 * @param[out] out receives the margin (>= 0).
 * @return #KPI_OK; #KPI_ERR_INVALID if an argument is NULL; #KPI_ERR_STATE
 *         if the object has no NPS cut points; #KPI_ERR_EMPTY with no
 *         answers (out unchanged on failure).  Safe concurrently with
 *         other const reads.
 */
KPI_API int kpi_score_nps_margin(const kpi_score *s, double *out);

/**
 * @brief Shares of promoters, passives and detractors (Wilson 95% each).
 * @param s the object.
 * @param[out] promoters receives the promoter share (may be NULL).
 * @param[out] passives receives the passive share (may be NULL).
 * @param[out] detractors receives the detractor share (may be NULL).
 * @return #KPI_OK; #KPI_ERR_INVALID if `s` is NULL; #KPI_ERR_STATE if the
 *         object has no NPS cut points; #KPI_ERR_EMPTY with no answers.
 *         Safe concurrently with other const reads.
 */
KPI_API int kpi_score_nps_shares(const kpi_score *s, kpi_estimate *promoters,
                                 kpi_estimate *passives, kpi_estimate *detractors);

/**
 * @brief dst += src.  Both must have the same scale, threshold, direction
 *        and NPS cuts.
 * @param dst the object that receives.
 * @param src the object added (may equal dst).
 * @return #KPI_OK; #KPI_ERR_INVALID if an argument is NULL;
 *         #KPI_ERR_INCOMPATIBLE if configured differently;
 *         #KPI_ERR_OVERFLOW if a count would overflow; #KPI_ERR_NOMEM
 *         (merge with itself copies).  dst is unchanged on failure.
 *         Not thread-safe on dst.
 */
KPI_API int kpi_score_merge(kpi_score *dst, const kpi_score *src);

/**
 * @brief Serialize into a portable byte string.
 * @param s the object.
 * @param buf destination, or NULL to ask for the size.
 * @param cap capacity of buf.
 * @param[out] len receives the size of the state.
 * @return #KPI_OK; #KPI_ERR_INVALID if `s` or `len` is NULL;
 *         #KPI_ERR_LIMIT if the state's body would pass 4 GiB
 *         (the format's limit); #KPI_ERR_BUFFER if cap is too small (*len says how much is
 *         needed).  Safe concurrently with other const reads.
 */
KPI_API int kpi_score_serialize(const kpi_score *s, void *buf, size_t cap, size_t *len);

/**
 * @brief Rebuild an object from kpi_score_serialize() bytes.
 * @param[out] out receives the new object.
 * @param buf the bytes.
 * @param len their length.
 * @return #KPI_OK; #KPI_ERR_INVALID if an argument is NULL;
 *         #KPI_ERR_CORRUPT, #KPI_ERR_TRUNCATED, #KPI_ERR_VERSION,
 *         #KPI_ERR_TYPE for bad bytes; #KPI_ERR_NOMEM.  Thread-safe.
 */
KPI_API int kpi_score_deserialize(kpi_score **out, const void *buf, size_t len);

/**
 * @brief kpi_score_deserialize() with a custom allocator.
 * @param[out] out receives the new object.
 * @param buf the bytes.
 * @param len their length.
 * @param alloc the allocator; NULL = libc.
 * @return as kpi_score_deserialize().  Thread-safe.
 */
KPI_API int kpi_score_deserialize_with(kpi_score **out, const void *buf, size_t len,
                                       const kpi_allocator *alloc);

/**
 * @brief Bytes of memory held by the object.
 * @param s the object (NULL gives 0).
 * @return the byte count.  Safe concurrently with other const reads.
 */
KPI_API size_t kpi_score_footprint(const kpi_score *s);

#ifdef __cplusplus
}
#endif

#endif /* KPI_SCORE_H */
