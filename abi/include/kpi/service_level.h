/*
 * libkpi - incremental customer-service KPIs.
 * SPDX-License-Identifier: MIT
 */
/**
 * @file kpi/service_level.h
 * @brief Service level, abandonment, blocked (unserved) contacts and ASA
 *        of a queue of calls or chats.
 *
 * A #kpi_service_level counts contacts offered to a queue by outcome:
 * answered (after a wait), abandoned by the customer (after a wait), or
 * unserved (blocked: no agent free, network or system failure, with a
 * caller-defined reason code 0..63).  Offered = answered + abandoned +
 * unserved.  Abandoned contacts are an outcome of their own here, never
 * an unserved reason: reason 0 holds the unserved contacts added without
 * one (kpi_service_level_add() with #KPI_CONTACT_UNSERVED), although
 * kpi/customers.h, whose unserved contacts include the abandoned ones,
 * names 0 #KPI_UNSERVED_ABANDONED; its #KPI_UNSERVED_NO_AGENT (1) and
 * #KPI_UNSERVED_SYSTEM_FAILURE (2) mean the same here.  With threshold T, a contact is "answered in T" when
 * answered with wait <= T and "abandoned in T" when abandoned with wait
 * <= T; with short-abandon threshold S > 0, a "short abandon" is an
 * abandon with wait < S.
 *
 * Service-level formulas (kpi_service_level_share()), with Cisco's worked
 * example of 70 answered in T, 10 abandoned in T, 20 answered after T
 * (100 offered):
 * - #KPI_SL_ANSWERED_OVER_OFFERED: answered-in-T / offered; abandons
 *   count against (Cisco "abandoned calls have a negative impact"): 70%.
 * - #KPI_SL_EXCLUDE_SHORT_ABANDONS: answered-in-T / (offered - short
 *   abandons); with S = 0 no abandon is short and this equals the first.
 * - #KPI_SL_ANSWERED_OVER_ANSWERED: answered-in-T / answered: 70/90 = 77.8%.
 * - #KPI_SL_ABANDONS_IN_T_MET: (answered-in-T + abandoned-in-T) / offered;
 *   abandons within T count for the center (Cisco "positive impact"): 80%.
 * - #KPI_SL_EXCLUDE_ABANDONS_IN_T: answered-in-T / (offered -
 *   abandoned-in-T); abandons within T are ignored (Cisco "ignore
 *   abandoned calls"): 70/90 = 77.8%.
 *
 * ASA (average speed of answer) and wait quantiles are over answered
 * contacts only, from a #kpi_duration at 1% accuracy inside.
 *
 * Thread safety: an object must not be used from two threads at once
 * without the caller's lock; different objects need no lock; const reads
 * may run concurrently when no thread writes.
 */
#ifndef KPI_SERVICE_LEVEL_H
#define KPI_SERVICE_LEVEL_H

#include "kpi/common.h"

#ifdef __cplusplus
extern "C" {
#endif

/** A service-level and abandonment accumulator (opaque). */
typedef struct kpi_service_level kpi_service_level;

/** @name Contact outcomes (the `outcome` of kpi_service_level_add())
 *  @{ */
/** Answered by an agent after waiting wait_ms. */
#define KPI_CONTACT_ANSWERED 0
/** Abandoned by the customer after waiting wait_ms. */
#define KPI_CONTACT_ABANDONED 1
/** Not served (blocked), counted with reason 0; wait_ms is not used. */
#define KPI_CONTACT_UNSERVED 2
/** @} */

/** Unserved reason codes are 0 .. KPI_UNSERVED_REASONS - 1. */
#define KPI_UNSERVED_REASONS 64

/** @name Service-level formulas (see the file description)
 *  @{ */
/** answered-in-T / offered (the default; abandons count against). */
#define KPI_SL_ANSWERED_OVER_OFFERED 0
/** answered-in-T / (offered - abandons with wait < S). */
#define KPI_SL_EXCLUDE_SHORT_ABANDONS 1
/** answered-in-T / answered. */
#define KPI_SL_ANSWERED_OVER_ANSWERED 2
/** (answered-in-T + abandoned-in-T) / offered. */
#define KPI_SL_ABANDONS_IN_T_MET 3
/** answered-in-T / (offered - abandoned-in-T). */
#define KPI_SL_EXCLUDE_ABANDONS_IN_T 4
/** @} */

/**
 * @brief Create an empty accumulator.
 * @param[out] out receives the new object.
 * @param threshold_ms the service-level threshold T (0 or more), for
 *        example 20000 for "80% in 20 s".
 * @param short_abandon_ms S: abandons with wait < S are short abandons;
 *        0 = none.
 * @return #KPI_OK; #KPI_ERR_INVALID if `out` is NULL; #KPI_ERR_RANGE if a
 *         threshold is negative; #KPI_ERR_NOMEM.  Thread-safe.
 */
KPI_API int kpi_service_level_new(kpi_service_level **out, int64_t threshold_ms,
                                  int64_t short_abandon_ms);

/**
 * @brief kpi_service_level_new() with a custom allocator.
 * @param[out] out receives the new object.
 * @param threshold_ms T.
 * @param short_abandon_ms S (0 = none).
 * @param alloc the allocator; NULL = libc.
 * @return as kpi_service_level_new(); #KPI_ERR_INVALID for a bad
 *         allocator.  Thread-safe.
 */
KPI_API int kpi_service_level_new_with(kpi_service_level **out, int64_t threshold_ms,
                                       int64_t short_abandon_ms,
                                       const kpi_allocator *alloc);

/**
 * @brief Release an object.  NULL is a no-op.
 * @param s the object.
 * @remark Thread safety: see this file's description.
 */
KPI_API void kpi_service_level_free(kpi_service_level *s);

/**
 * @brief Empty the object, keeping its thresholds.  NULL is a no-op.
 * @param s the object.
 * @remark Thread safety: see this file's description.
 */
KPI_API void kpi_service_level_reset(kpi_service_level *s);

/**
 * @brief Deep copy, with the same allocator.
 * @param s the object.
 * @param[out] out receives the copy.
 * @return #KPI_OK; #KPI_ERR_INVALID; #KPI_ERR_NOMEM.
 * @remark Thread safety: see this file's description.
 */
KPI_API int kpi_service_level_clone(const kpi_service_level *s,
                                    kpi_service_level **out);

/**
 * @brief Add one offered contact.
 * @param s the object.
 * @param wait_ms time in queue (0 or more; ignored for unserved).
 * @param outcome #KPI_CONTACT_ANSWERED, #KPI_CONTACT_ABANDONED or
 *        #KPI_CONTACT_UNSERVED (reason 0).
 * @return #KPI_OK; #KPI_ERR_INVALID for NULL or an unknown outcome;
 *         #KPI_ERR_RANGE for a negative wait; #KPI_ERR_OVERFLOW;
 *         #KPI_ERR_NOMEM.
 * @remark Thread safety: see this file's description.
 */
KPI_API int kpi_service_level_add(kpi_service_level *s, int64_t wait_ms, int outcome);

/**
 * @brief Add n offered contacts, all or nothing.
 * @param s the object.
 * @param wait_ms n waits.
 * @param outcome n outcomes.
 * @param n how many.
 * @return as kpi_service_level_add(); #KPI_ERR_INVALID also for a NULL
 *         array with n above 0.
 * @remark Thread safety: see this file's description.
 */
KPI_API int kpi_service_level_add_array(kpi_service_level *s, const int64_t *wait_ms,
                                        const int *outcome, size_t n);

/**
 * @brief Add one unserved (blocked) contact with its reason.
 * @param s the object.
 * @param reason a caller-defined code below #KPI_UNSERVED_REASONS.
 * @return #KPI_OK; #KPI_ERR_INVALID if `s` is NULL; #KPI_ERR_RANGE for a
 *         reason of 64 or more; #KPI_ERR_OVERFLOW.
 * @remark Thread safety: see this file's description.
 */
KPI_API int kpi_service_level_add_unserved(kpi_service_level *s, uint32_t reason);

/**
 * @brief Merge `src` into `dst`.
 * @param dst the object that receives.
 * @param src the object added in (may be dst itself).
 * @return #KPI_OK; #KPI_ERR_INVALID; #KPI_ERR_INCOMPATIBLE if the
 *         thresholds differ; #KPI_ERR_OVERFLOW; #KPI_ERR_NOMEM.
 * @remark Thread safety: see this file's description.
 */
KPI_API int kpi_service_level_merge(kpi_service_level *dst,
                                    const kpi_service_level *src);

/**
 * @brief Serialize the state.
 * @param s the object.
 * @param buf the output buffer, or NULL to ask only for the size.
 * @param cap the buffer's size.
 * @param[out] len receives the size of the state.
 * @return #KPI_OK; #KPI_ERR_INVALID; #KPI_ERR_LIMIT if the state's body would pass 4 GiB
 *         (the format's limit); #KPI_ERR_BUFFER.
 * @remark Thread safety: see this file's description.
 */
KPI_API int kpi_service_level_serialize(const kpi_service_level *s, void *buf,
                                        size_t cap, size_t *len);

/**
 * @brief Rebuild an object from kpi_service_level_serialize() bytes.
 * @param[out] out receives the new object.
 * @param buf the bytes.
 * @param len their number.
 * @return #KPI_OK; #KPI_ERR_INVALID; #KPI_ERR_CORRUPT; #KPI_ERR_TRUNCATED;
 *         #KPI_ERR_VERSION; #KPI_ERR_TYPE; #KPI_ERR_NOMEM.
 * @remark Thread safety: see this file's description.
 */
KPI_API int kpi_service_level_deserialize(kpi_service_level **out, const void *buf,
                                          size_t len);

/**
 * @brief kpi_service_level_deserialize() with a custom allocator.
 * @param[out] out receives the new object.
 * @param buf the bytes.
 * @param len their number.
 * @param alloc the allocator; NULL = libc.
 * @return as kpi_service_level_deserialize().
 * @remark Thread safety: see this file's description.
 */
KPI_API int kpi_service_level_deserialize_with(kpi_service_level **out,
                                               const void *buf, size_t len,
                                               const kpi_allocator *alloc);

/**
 * @brief Bytes of memory held by the object.
 * @param s the object (NULL gives 0).
 * @return the byte count.
 * @remark Thread safety: see this file's description.
 */
KPI_API size_t kpi_service_level_footprint(const kpi_service_level *s);

/**
 * @brief Offered contacts (answered + abandoned + unserved).
 * @param s the object (NULL gives 0).
 * @return the count.
 * @remark Thread safety: see this file's description.
 */
KPI_API uint64_t kpi_service_level_offered(const kpi_service_level *s);

/**
 * @brief Answered contacts.
 * @param s the object (NULL gives 0).
 * @return the count.
 * @remark Thread safety: see this file's description.
 */
KPI_API uint64_t kpi_service_level_answered(const kpi_service_level *s);

/**
 * @brief Abandoned contacts.
 * @param s the object (NULL gives 0).
 * @return the count.
 * @remark Thread safety: see this file's description.
 */
KPI_API uint64_t kpi_service_level_abandoned(const kpi_service_level *s);

/**
 * @brief The service level by one formula, with its Wilson 95% interval.
 * @param s the object.
 * @param formula one of the KPI_SL_* formulas.
 * @param[out] out receives the share; n is the formula's denominator.
 * @return #KPI_OK; #KPI_ERR_INVALID for NULL or an unknown formula;
 *         #KPI_ERR_EMPTY when the denominator is 0.
 * @remark Thread safety: see this file's description.
 */
KPI_API int kpi_service_level_share(const kpi_service_level *s, int formula,
                                    kpi_estimate *out);

/**
 * @brief Abandonment rate: abandoned / offered, with its Wilson interval.
 * @param s the object.
 * @param[out] out receives the share.
 * @return #KPI_OK; #KPI_ERR_INVALID; #KPI_ERR_EMPTY.
 * @remark Thread safety: see this file's description.
 */
KPI_API int kpi_service_level_abandon_rate(const kpi_service_level *s,
                                           kpi_estimate *out);

/**
 * @brief Unserved (blocked) contacts: count for one reason.
 * @param s the object.
 * @param reason below #KPI_UNSERVED_REASONS.
 * @param[out] out receives the count (0 is a valid answer).
 * @return #KPI_OK; #KPI_ERR_INVALID; #KPI_ERR_RANGE for a bad reason.
 * @remark Thread safety: see this file's description.
 */
KPI_API int kpi_service_level_unserved_count(const kpi_service_level *s,
                                             uint32_t reason, uint64_t *out);

/**
 * @brief Share of offered contacts left unserved, over all reasons.
 * @param s the object.
 * @param[out] out receives the share.
 * @return #KPI_OK; #KPI_ERR_INVALID; #KPI_ERR_EMPTY.
 * @remark Thread safety: see this file's description.
 */
KPI_API int kpi_service_level_unserved_share(const kpi_service_level *s,
                                             kpi_estimate *out);

/**
 * @brief Share of offered contacts unserved for one reason.
 * @param s the object.
 * @param reason below #KPI_UNSERVED_REASONS.
 * @param[out] out receives the share.
 * @return #KPI_OK; #KPI_ERR_INVALID; #KPI_ERR_RANGE; #KPI_ERR_EMPTY.
 * @remark Thread safety: see this file's description.
 */
KPI_API int kpi_service_level_unserved_reason_share(const kpi_service_level *s,
                                                    uint32_t reason,
                                                    kpi_estimate *out);

/**
 * @brief ASA: the mean wait of answered contacts, from the exact sum of
 *        their waits and their count, divided in double precision.
 * @param s the object.
 * @param[out] mean_ms receives the mean in milliseconds.
 * @return #KPI_OK; #KPI_ERR_INVALID; #KPI_ERR_EMPTY when none answered.
 * @remark Thread safety: see this file's description.
 */
KPI_API int kpi_service_level_asa(const kpi_service_level *s, double *mean_ms);

/**
 * @brief A quantile of the wait of answered contacts (1% accuracy, rank
 *        convention of kpi_duration_quantile()).
 * @param s the object.
 * @param q in [0, 1].
 * @param[out] out receives the wait in milliseconds.
 * @return #KPI_OK; #KPI_ERR_INVALID; #KPI_ERR_RANGE; #KPI_ERR_EMPTY.
 * @remark Thread safety: see this file's description.
 */
KPI_API int kpi_service_level_wait_quantile(const kpi_service_level *s, double q,
                                            double *out);

#ifdef __cplusplus
}
#endif

#endif /* KPI_SERVICE_LEVEL_H */
