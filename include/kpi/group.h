/*
 * libkpi - incremental customer-service KPIs.
 * SPDX-License-Identifier: MIT
 */
/**
 * @file kpi/group.h
 * @brief Group-by: one accumulator per 64-bit key (agent, team, channel,
 *        priority), for any libkpi accumulator type.
 *
 * A kpi_group is created from a prototype accumulator (a kpi_score,
 * kpi_rate, kpi_mean, kpi_duration, kpi_ratio, kpi_series, kpi_customers,
 * another kpi_group, ...; not a kpi_journey, which is keyed by customer
 * itself): it keeps its own empty copy of the prototype's
 * configuration, and kpi_group_get() creates each member as such a copy
 * the first time its key is seen.  Members are fed and read with their
 * own type's functions (kpi_score_add(), kpi_rate_share(), ...); they
 * belong to the group, which frees them: kpi_score_free() and the other
 * types' free functions leave a member alone (a member handed to one by
 * mistake stays the group's, whole).  Their
 * configuration is the group's: the configuration setters
 * (kpi_score_set_threshold(), kpi_score_set_high_is_easy(),
 * kpi_score_set_nps_cuts(), kpi_mean_set_cuts(), kpi_duration_add_target(),
 * kpi_series_set_forecast()) refuse a member with #KPI_ERR_STATE, so that
 * members are configured alike and the group decodes; configure the
 * prototype instead.  Members still merge only by their type's rules:
 * series with a forecast do not merge once both hold data, and customers
 * members may set different gross margins, so kpi_group_total() of such
 * members is #KPI_ERR_INCOMPATIBLE.  A clone of a member and kpi_group_total()'s
 * result are the caller's own objects again.  Pointers to
 * members stay valid until the member is removed, the group is reset or
 * freed, or kpi_group_merge() merges a member of the same key into it
 * (the merge replaces such members with merged copies, so that a failure
 * leaves the group as it was); growth moves the table, not the members.
 *
 * The spread between agents ("consistent resolution") over a group of
 * kpi_rate (adherence yes/no): kpi_group_rate_spread(); over a group of
 * kpi_mean (a QA score per conversation, or IQS): kpi_group_mean_spread().
 *
 * Thread safety: an object must not be used from two threads at once
 * without the caller's lock; different objects need no lock; const reads
 * may run concurrently when no thread writes.  Members belong to their
 * group for this rule.
 */
#ifndef KPI_GROUP_H
#define KPI_GROUP_H

#include "kpi/common.h"

#ifdef __cplusplus
extern "C" {
#endif

/** @brief Accumulators by 64-bit key (opaque). */
typedef struct kpi_group kpi_group;

/**
 * @brief Create an empty group whose members copy the prototype's
 *        configuration (not its data).
 * @param[out] out receives the new object.
 * @param prototype any libkpi accumulator (the caller keeps it).
 * @return #KPI_OK; #KPI_ERR_INVALID if an argument is NULL;
 *         #KPI_ERR_TYPE if the prototype's type cannot be a member (a
 *         kpi_journey, a calendar, a group whose prototypes already nest
 *         groups 64 deep); #KPI_ERR_NOMEM.  Thread-safe if nobody writes
 *         the prototype.
 */
KPI_API int kpi_group_new(kpi_group **out, const void *prototype);

/**
 * @brief kpi_group_new() with a custom allocator (for the group, its
 *        prototype copy and every member).
 * @param[out] out receives the new object.
 * @param prototype any libkpi accumulator.
 * @param alloc the allocator; NULL = libc.
 * @return #KPI_OK; #KPI_ERR_INVALID if an argument is NULL or `alloc` has a
 *         NULL function; #KPI_ERR_TYPE if the prototype's type cannot be a
 *         member; #KPI_ERR_NOMEM.  Thread-safe if nobody writes the
 *         prototype.
 */
KPI_API int kpi_group_new_with(kpi_group **out, const void *prototype,
                               const kpi_allocator *alloc);

/**
 * @brief Release the group and all its members; NULL is a no-op.
 * @param g the object or NULL.  Not thread-safe on one object.
 */
KPI_API void kpi_group_free(kpi_group *g);

/**
 * @brief Remove every member; NULL is a no-op.
 * @param g the object or NULL.  Not thread-safe on one object.
 */
KPI_API void kpi_group_reset(kpi_group *g);

/**
 * @brief Deep copy (prototype and members), with the same allocator.
 * @param g the object.
 * @param[out] out receives the copy.
 * @return #KPI_OK; #KPI_ERR_INVALID if an argument is NULL; #KPI_ERR_NOMEM.
 *         Safe concurrently with other const reads of `g`.
 */
KPI_API int kpi_group_clone(const kpi_group *g, kpi_group **out);

/**
 * @brief The member for `key`, created empty if absent.
 * @param g the object.
 * @param key any 64-bit key.
 * @param[out] acc receives the member (of the prototype's type).
 * @return #KPI_OK; #KPI_ERR_INVALID if an argument is NULL;
 *         #KPI_ERR_LIMIT if the group already holds 2^32 - 3 members (its most);
 *         #KPI_ERR_NOMEM (nothing changes).  Not thread-safe on one object.
 */
KPI_API int kpi_group_get(kpi_group *g, uint64_t key, void **acc);

/**
 * @brief The member for `key`, if present.
 * @param g the object.
 * @param key the key.
 * @param[out] acc receives the member.
 * @return #KPI_OK; #KPI_ERR_INVALID if an argument is NULL;
 *         #KPI_ERR_UNKNOWN_ID if the key has no member.
 *         Safe concurrently with other const reads.
 */
KPI_API int kpi_group_find(const kpi_group *g, uint64_t key, const void **acc);

/**
 * @brief Number of members.
 * @param g the object (NULL gives 0).
 * @return the count.  Safe concurrently with other const reads.
 */
KPI_API size_t kpi_group_size(const kpi_group *g);

/**
 * @brief The keys, in ascending order.
 * @param g the object.
 * @param[out] keys receives the keys (may be NULL when cap is 0).
 * @param cap capacity of `keys`.
 * @param[out] n receives the number of keys (also when the buffer is too
 *        small).
 * @return #KPI_OK; #KPI_ERR_INVALID if `g` or `n` is NULL, or keys is NULL
 *         with cap > 0; #KPI_ERR_BUFFER if cap < *n (nothing written).
 *         Safe concurrently with other const reads.
 */
KPI_API int kpi_group_keys(const kpi_group *g, uint64_t *keys, size_t cap, size_t *n);

/**
 * @brief Remove and free the member for `key`.
 * @param g the object.
 * @param key the key.
 * @return #KPI_OK; #KPI_ERR_INVALID if `g` is NULL; #KPI_ERR_UNKNOWN_ID if
 *         the key has no member.  Not thread-safe on one object.
 */
KPI_API int kpi_group_remove(kpi_group *g, uint64_t key);

/**
 * @brief A new accumulator (of the prototype's type) holding the merge of
 *        every member: the overall figure (with no member, an empty copy
 *        of the prototype; customers members' total has their gross
 *        margin, not the prototype's).  Free it with the type's own free
 *        function.
 * @param g the object.
 * @param[out] out receives the new accumulator.
 * @return #KPI_OK; #KPI_ERR_INVALID if an argument is NULL;
 *         #KPI_ERR_INCOMPATIBLE if two members do not merge by their
 *         type's rules (series with a forecast when two of them hold data,
 *         kpi/series.h; customers with different gross margins,
 *         kpi/customers.h); #KPI_ERR_OVERFLOW; #KPI_ERR_NOMEM.  Nothing
 *         is handed out on failure.  Safe concurrently with other const
 *         reads.
 */
KPI_API int kpi_group_total(const kpi_group *g, void **out);

/**
 * @brief dst += src key by key (members present in both are merged,
 *        others copied).
 * @param dst the object that receives.
 * @param src the object added (may equal dst).
 * @return #KPI_OK; #KPI_ERR_INVALID if an argument is NULL;
 *         #KPI_ERR_INCOMPATIBLE if the member types or configurations
 *         differ, or two members of one key do not merge by their type's
 *         rules (as for kpi_group_total()); #KPI_ERR_OVERFLOW;
 *         #KPI_ERR_LIMIT; #KPI_ERR_NOMEM.
 *         dst is unchanged on failure.  Not thread-safe on dst.
 */
KPI_API int kpi_group_merge(kpi_group *dst, const kpi_group *src);

/**
 * @brief Serialize (prototype configuration and every member).
 * @param g the object.
 * @param buf destination, or NULL to ask for the size.
 * @param cap capacity of buf.
 * @param[out] len receives the size of the state.
 * @return #KPI_OK; #KPI_ERR_INVALID if `g` or `len` is NULL;
 *         #KPI_ERR_LIMIT if the state's body would pass 4 GiB
 *         (the format's limit); #KPI_ERR_BUFFER if cap is too small (*len says how much is
 *         needed).  Safe concurrently with other const reads.
 */
KPI_API int kpi_group_serialize(const kpi_group *g, void *buf, size_t cap, size_t *len);

/**
 * @brief Rebuild a group from kpi_group_serialize() bytes.
 * @param[out] out receives the new object.
 * @param buf the bytes.
 * @param len their length.
 * @return #KPI_OK; #KPI_ERR_INVALID if an argument is NULL;
 *         #KPI_ERR_CORRUPT (also for a member type this library does not
 *         know, and for groups nested more than 64 deep),
 *         #KPI_ERR_TRUNCATED, #KPI_ERR_VERSION, #KPI_ERR_TYPE for bad
 *         bytes; #KPI_ERR_NOMEM.  Thread-safe.
 */
KPI_API int kpi_group_deserialize(kpi_group **out, const void *buf, size_t len);

/**
 * @brief kpi_group_deserialize() with a custom allocator.
 * @param[out] out receives the new object.
 * @param buf the bytes.
 * @param len their length.
 * @param alloc the allocator; NULL = libc.
 * @return as kpi_group_deserialize().  Thread-safe.
 */
KPI_API int kpi_group_deserialize_with(kpi_group **out, const void *buf, size_t len,
                                       const kpi_allocator *alloc);

/**
 * @brief Bytes of memory held by the group, its prototype and members.
 * @param g the object (NULL gives 0).
 * @return the byte count.  Safe concurrently with other const reads.
 */
KPI_API size_t kpi_group_footprint(const kpi_group *g);

/**
 * @brief Consistency between agents: the spread of the per-member shares
 *        of a group of kpi_rate.
 *
 * Members with fewer than min_trials trials are skipped.  Over the others:
 * the unweighted mean of their shares, the population standard deviation
 * (denominator = number of members, not n - 1), the smallest and largest
 * share.  Any output pointer may be NULL.
 * @param g a group whose prototype is a kpi_rate.
 * @param min_trials members need at least this many trials (0 counts
 *        every member with at least one trial).
 * @param[out] mean_share receives the mean of the shares.
 * @param[out] stddev receives their population standard deviation.
 * @param[out] min_share receives the smallest share.
 * @param[out] max_share receives the largest share.
 * @param[out] agents receives the number of members counted.
 * @return #KPI_OK; #KPI_ERR_INVALID if `g` is NULL; #KPI_ERR_TYPE if the
 *         members are not kpi_rate; #KPI_ERR_EMPTY if no member qualifies.
 *         Safe concurrently with other const reads.
 */
KPI_API int kpi_group_rate_spread(const kpi_group *g, uint64_t min_trials,
                                  double *mean_share, double *stddev,
                                  double *min_share, double *max_share,
                                  size_t *agents);

/**
 * @brief Consistency between agents on a score: the spread of the
 *        per-member means of a group of kpi_mean.
 *
 * KPIS.md's consistent resolution fed with a QA score per conversation
 * instead of a yes/no: each agent's mean score (kpi_mean_mean(): the
 * weighted mean; for members made by kpi_iqs_new(), earned / possible as a
 * fraction, x 100 for kpi_iqs_percent()'s points), then, as
 * kpi_group_rate_spread() does for shares, over the members with at least
 * min_count values: the unweighted mean of their means, the population
 * standard deviation (denominator = number of members, not n - 1), the
 * smallest and largest mean.  Any output pointer may be NULL.
 * @param g a group whose prototype is a kpi_mean (kpi_mean_new(),
 *        kpi_sentiment_new() or kpi_iqs_new()).
 * @param min_count members need at least this many values (0 counts every
 *        member with at least one value).
 * @param[out] mean_of_means receives the mean of the members' means.
 * @param[out] stddev receives their population standard deviation.
 * @param[out] min_mean receives the smallest mean.
 * @param[out] max_mean receives the largest mean.
 * @param[out] agents receives the number of members counted.
 * @return #KPI_OK; #KPI_ERR_INVALID if `g` is NULL; #KPI_ERR_TYPE if the
 *         members are not kpi_mean; #KPI_ERR_EMPTY if no member qualifies.
 *         Safe concurrently with other const reads.
 */
KPI_API int kpi_group_mean_spread(const kpi_group *g, uint64_t min_count,
                                  double *mean_of_means, double *stddev,
                                  double *min_mean, double *max_mean,
                                  size_t *agents);

#ifdef __cplusplus
}
#endif

#endif /* KPI_GROUP_H */
