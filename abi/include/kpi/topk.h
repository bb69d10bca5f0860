/*
 * libkpi - incremental customer-service KPIs.
 * SPDX-License-Identifier: MIT
 */
/**
 * @file kpi/topk.h
 * @brief Top-k labels (heavy hitters): top topics, recurring questions,
 *        busiest channels, in bounded memory with guaranteed error bounds.
 *
 * Two types share one implementation of the Space-Saving algorithm
 * (A. Metwally, D. Agrawal, A. El Abbadi, "Efficient computation of
 * frequent and top-k elements in data streams", ICDT 2005):
 * - #kpi_topk counts string labels (byte strings of 1 to 255 bytes, copied
 *   into the object's own memory);
 * - #kpi_topk_id counts 64-bit ids, for callers who intern their labels.
 *
 * An object monitors at most `capacity` (m) labels.  With N the total
 * weight added, every monitored label reports a count (an overestimate)
 * and an error; its true count lies in [count - error, count].  A label
 * that is not monitored has a true count of at most kpi_topk_error_bound(),
 * which is at most N / m; so every label whose true count exceeds N / m is
 * monitored.  While the number of distinct labels is at most m, every count
 * is exact (all errors are 0).  When a label that is not monitored arrives
 * and all m counters are in use, one counter with the smallest count is
 * replaced (which one, among several with that count, is unspecified).
 *
 * Cost: the counters are kept ordered by count in runs of equal counts,
 * so an add of weight 1 is O(1) (expected, through a hash index); a larger
 * weight costs one step per run of counts it overtakes.  Ranks order
 * labels by count, descending; equal counts by label bytes (or ids)
 * ascending.  Reading a rank whose count at most 8 labels share selects
 * it among them; a longer run of equal counts is sorted by label (or id)
 * at the first read of one of its ranks after a change and kept until the
 * next change, so reading every rank costs O(m log m) in all.
 *
 * Memory: the counters, the order of ranks in long runs and the hash
 * index, 80 to 101 bytes per counter for ids and 112 to 165 for labels
 * (the index has a power of two of at least 4m entries, at least 16, of 5
 * bytes each for ids and 13 for labels, plus 1 byte per 16 entries), are
 * allocated when the object is created; kpi_topk adds 25 bytes per
 * counter, where a label of up to 24 bytes is stored.  Longer labels go to an arena that
 * grows as they arrive (at most (m + 1) x 260 bytes) and is compacted in
 * place.  Each add reserves the arena space it may need before changing
 * anything, so a failed add changes nothing and a batch (_add_array) is
 * applied completely or not at all.  A batch counts on the stack, not the
 * heap: kpi_topk_add_array() uses up to about 29 KB of it and
 * kpi_topk_id_add_array() up to about 35 KB (threads with small stacks:
 * add one at a time, or give them more); only an id batch of more than
 * 256 distinct ids in a short range (see kpi_topk_id_add_array()) counts
 * in tables allocated for the call (at most about 1.7 MB, freed before
 * it returns; without them the batch goes one id at a time).  A label batch holding labels
 * read from the object itself (kpi_topk_entry()) is added from a copy of
 * the object's stored labels, allocated for the call.
 *
 * Thread safety: an object must not be used from two threads at once
 * without the caller's lock; different objects need no lock; const reads
 * may run concurrently when no thread writes.
 */
#ifndef KPI_TOPK_H
#define KPI_TOPK_H

#include "kpi/common.h"

#ifdef __cplusplus
extern "C" {
#endif

/** Longest label accepted by #kpi_topk, in bytes. */
#define KPI_TOPK_MAX_LABEL 255
/** Largest capacity (number of counters) of a top-k object. */
#define KPI_TOPK_MAX_CAPACITY (UINT32_C(1) << 20)

/** Top-k string labels (Space-Saving); opaque. */
typedef struct kpi_topk kpi_topk;
/** Top-k 64-bit ids (Space-Saving); opaque. */
typedef struct kpi_topk_id kpi_topk_id;

/* ---- string labels ------------------------------------------------------ */

/**
 * @brief Create a top-k counter of string labels with the C library
 *        allocator.
 * @param[out] out receives the new object.
 * @param capacity number of counters m, 1 .. #KPI_TOPK_MAX_CAPACITY.
 * @return #KPI_OK; #KPI_ERR_INVALID if `out` is NULL; #KPI_ERR_RANGE if
 *         capacity is out of range; #KPI_ERR_NOMEM.
 *         Thread-safe (touches no shared state).
 */
KPI_API int kpi_topk_new(kpi_topk **out, uint32_t capacity);

/**
 * @brief Create a top-k counter of string labels with a custom allocator.
 * @param[out] out receives the new object.
 * @param capacity number of counters m, 1 .. #KPI_TOPK_MAX_CAPACITY.
 * @param alloc allocator used for all of the object's memory; NULL = libc.
 * @return #KPI_OK; #KPI_ERR_INVALID if `out` is NULL or the allocator has a
 *         NULL function; #KPI_ERR_RANGE; #KPI_ERR_NOMEM.
 *         Thread-safe (touches no shared state).
 */
KPI_API int kpi_topk_new_with(kpi_topk **out, uint32_t capacity,
                              const kpi_allocator *alloc);

/**
 * @brief Free the object and everything it holds.
 * @param p the object; NULL is a no-op.
 * Not thread-safe for the same object.
 */
KPI_API void kpi_topk_free(kpi_topk *p);

/**
 * @brief Forget all labels and counts; the capacity is kept.
 * @param p the object; NULL is a no-op.
 * Not thread-safe for the same object.
 */
KPI_API void kpi_topk_reset(kpi_topk *p);

/**
 * @brief Deep copy, with the same allocator.
 * @param p the object to copy.
 * @param[out] out receives the copy.
 * @return #KPI_OK; #KPI_ERR_INVALID on NULL; #KPI_ERR_NOMEM.
 *         A const read of `p`.
 *         Safe concurrently with other const reads of the same object.
 */
KPI_API int kpi_topk_clone(const kpi_topk *p, kpi_topk **out);

/**
 * @brief Count one occurrence of a label with a weight.
 * @param p the object.
 * @param label the label's bytes (may contain any byte, including NUL).
 * @param len its length, 1 .. #KPI_TOPK_MAX_LABEL.
 * @param weight number of occurrences, at least 1.
 * @return #KPI_OK; #KPI_ERR_INVALID if `p` or `label` is NULL or len is 0;
 *         #KPI_ERR_RANGE if len > #KPI_TOPK_MAX_LABEL or weight is 0;
 *         #KPI_ERR_OVERFLOW if the total would overflow; #KPI_ERR_NOMEM
 *         (the label arena could not grow).  Nothing changes on failure.
 *         Not thread-safe for the same object.
 */
KPI_API int kpi_topk_add(kpi_topk *p, const char *label, size_t len,
                         uint64_t weight);

/**
 * @brief Count one occurrence of a NUL-terminated label (weight 1).
 * @param p the object.
 * @param label a NUL-terminated label of 1 .. #KPI_TOPK_MAX_LABEL bytes.
 * @return as kpi_topk_add().  Not thread-safe for the same object.
 */
KPI_API int kpi_topk_add_str(kpi_topk *p, const char *label);

/**
 * @brief Count one occurrence (weight 1) of each of n labels, all or none.
 *
 * Every read right after the call is what n calls of kpi_topk_add() would
 * give.  A batch counted first (below) may leave equal counts in another
 * order inside the object than those calls (and so other serialized
 * bytes), so a later add that evicts may replace another of the tied
 * smallest counts (which one is unspecified, above) and the reads after it
 * may differ from theirs, within the same bounds.  A batch of at most 256
 * distinct labels (top topics, channels) on an object that has never
 * evicted, whose new labels all fit, is validated and counted in one pass,
 * then added as one weight per label (about twice as fast per label as one
 * call each).
 * @param p the object.
 * @param labels n label pointers (NULL only when n is 0).
 * @param lens n lengths, or NULL when every label is NUL-terminated.
 * @param n number of labels.
 * @return #KPI_OK; #KPI_ERR_INVALID (NULL, empty label); #KPI_ERR_RANGE
 *         (a label too long); #KPI_ERR_OVERFLOW; #KPI_ERR_NOMEM.  Every
 *         label is validated and all memory reserved first: on failure
 *         nothing changes.  Not thread-safe for the same object.
 */
KPI_API int kpi_topk_add_array(kpi_topk *p, const char *const *labels,
                               const size_t *lens, size_t n);

/**
 * @brief Merge `src` into `dst` (the mergeable Space-Saving summary).
 *
 * Counts and errors of labels in both add up; a label monitored on one
 * side only gets the other side's error bound added to its count and
 * error; the m largest counts are kept.  Afterwards every monitored
 * label's true count (over both streams) lies in [count - error, count],
 * every unmonitored label's true count is at most kpi_topk_error_bound()
 * <= N / m, and two exact objects whose union fits in m stay exact.
 * @param dst the object merged into.
 * @param src the object merged from (may equal dst).
 * @return #KPI_OK; #KPI_ERR_INVALID on NULL; #KPI_ERR_INCOMPATIBLE if the
 *         capacities differ; #KPI_ERR_OVERFLOW; #KPI_ERR_NOMEM.  dst is
 *         unchanged on failure.  Not thread-safe for `dst`.
 */
KPI_API int kpi_topk_merge(kpi_topk *dst, const kpi_topk *src);

/**
 * @brief Write the state as portable bytes (labels as length-prefixed
 *        blobs).
 * @param p the object.
 * @param buf destination, or NULL to ask for the size only.
 * @param cap bytes available at buf.
 * @param[out] len receives the size of the state.
 * @return #KPI_OK; #KPI_ERR_INVALID on NULL p or len; #KPI_ERR_BUFFER if
 *         cap is too small (len tells the size needed); #KPI_ERR_LIMIT.
 *         A const read.
 *         Safe concurrently with other const reads of the same object.
 */
KPI_API int kpi_topk_serialize(const kpi_topk *p, void *buf, size_t cap,
                               size_t *len);

/**
 * @brief Rebuild an object from kpi_topk_serialize() bytes.
 * @param[out] out receives the new object.
 * @param buf the bytes.
 * @param len their number.
 * @return #KPI_OK; #KPI_ERR_INVALID; #KPI_ERR_CORRUPT; #KPI_ERR_TRUNCATED;
 *         #KPI_ERR_VERSION; #KPI_ERR_TYPE; #KPI_ERR_NOMEM.
 *         Thread-safe (touches no shared state).
 */
KPI_API int kpi_topk_deserialize(kpi_topk **out, const void *buf,
                                 size_t len);

/**
 * @brief As kpi_topk_deserialize(), with a custom allocator.
 * @param[out] out receives the new object.
 * @param buf the bytes.
 * @param len their number.
 * @param alloc allocator for the new object; NULL = libc.
 * @return as kpi_topk_deserialize().  Thread-safe (no shared state).
 */
KPI_API int kpi_topk_deserialize_with(kpi_topk **out, const void *buf,
                                      size_t len, const kpi_allocator *alloc);

/**
 * @brief Bytes of memory the object holds.
 * @param p the object (NULL gives 0).
 * @return the footprint in bytes.  A const read.
 *         Safe concurrently with other const reads of the same object.
 */
KPI_API size_t kpi_topk_footprint(const kpi_topk *p);

/**
 * @brief Total weight added, N.
 * @param p the object (NULL gives 0).
 * @return N.  A const read.
 *         Safe concurrently with other const reads of the same object.
 */
KPI_API uint64_t kpi_topk_total(const kpi_topk *p);

/**
 * @brief Number of monitored labels (at most the capacity).
 * @param p the object (NULL gives 0).
 * @return the number of labels that have a counter.  A const read.
 *         Safe concurrently with other const reads of the same object.
 */
KPI_API size_t kpi_topk_size(const kpi_topk *p);

/**
 * @brief The maximum overestimation of any count, and the most an
 *        unmonitored label can have occurred: the smallest counter once a
 *        label has been evicted (or dropped by a merge), else 0 (exact).
 *        At most N / m.
 * @param p the object (NULL gives 0).
 * @return the error bound.  A const read.
 *         Safe concurrently with other const reads of the same object.
 */
KPI_API uint64_t kpi_topk_error_bound(const kpi_topk *p);

/**
 * @brief The label at a rank, with its count and bounds.
 *
 * Rank 0 is the most frequent label; equal counts are ordered by label
 * bytes ascending (a shorter prefix first).  The label pointer points into
 * the object and stays valid until the next non-const call on it (it may
 * be passed to that call: kpi_topk_add() and kpi_topk_add_array() count
 * the label it had); the label is not NUL-terminated.
 * @param p the object.
 * @param rank 0 .. kpi_topk_size() - 1.
 * @param[out] label receives a pointer to the label bytes (may be NULL).
 * @param[out] len receives the label length (may be NULL).
 * @param[out] count receives the count, an upper bound (may be NULL).
 * @param[out] lower receives count - error, a lower bound (may be NULL).
 * @param[out] upper receives the upper bound, equal to count (may be NULL).
 * @return #KPI_OK; #KPI_ERR_INVALID if p is NULL; #KPI_ERR_EMPTY if
 *         nothing was added; #KPI_ERR_RANGE if rank >= size.  A const read.
 *         Safe concurrently with other const reads of the same object.
 */
KPI_API int kpi_topk_entry(const kpi_topk *p, size_t rank, const char **label,
                           size_t *len, uint64_t *count, uint64_t *lower,
                           uint64_t *upper);

/**
 * @brief The count and bounds of one label.
 * @param p the object.
 * @param label the label's bytes.
 * @param len its length.
 * @param[out] count receives the count (may be NULL).
 * @param[out] lower receives the lower bound (may be NULL).
 * @param[out] upper receives the upper bound (may be NULL).
 * @return #KPI_OK; #KPI_ERR_INVALID (NULL, len 0); #KPI_ERR_RANGE (len too
 *         long); #KPI_ERR_EMPTY; #KPI_ERR_UNKNOWN_ID if the label is not
 *         monitored, in which case its true count is at most
 *         kpi_topk_error_bound() <= N / m.  A const read.
 *         Safe concurrently with other const reads of the same object.
 */
KPI_API int kpi_topk_estimate(const kpi_topk *p, const char *label,
                              size_t len, uint64_t *count, uint64_t *lower,
                              uint64_t *upper);

/**
 * @brief The share of the total weight taken by one label.
 *
 * value = count / N with the Wilson 95% interval of count out of N; the
 * count is the Space-Saving estimate (exact while no error is reported,
 * otherwise overestimated by at most kpi_topk_error_bound()); n = N.
 * @param p the object.
 * @param label the label's bytes.
 * @param len its length.
 * @param[out] out receives the share.
 * @return #KPI_OK; #KPI_ERR_INVALID; #KPI_ERR_RANGE; #KPI_ERR_EMPTY;
 *         #KPI_ERR_UNKNOWN_ID.  A const read.
 *         Safe concurrently with other const reads of the same object.
 */
KPI_API int kpi_topk_share(const kpi_topk *p, const char *label, size_t len,
                           kpi_estimate *out);

/* ---- 64-bit ids --------------------------------------------------------- */

/**
 * @brief Create a top-k counter of 64-bit ids with the C library allocator.
 * @param[out] out receives the new object.
 * @param capacity number of counters m, 1 .. #KPI_TOPK_MAX_CAPACITY.
 * @return #KPI_OK; #KPI_ERR_INVALID; #KPI_ERR_RANGE; #KPI_ERR_NOMEM.
 *         Thread-safe (touches no shared state).
 */
KPI_API int kpi_topk_id_new(kpi_topk_id **out, uint32_t capacity);

/**
 * @brief Create a top-k counter of 64-bit ids with a custom allocator.
 * @param[out] out receives the new object.
 * @param capacity number of counters m, 1 .. #KPI_TOPK_MAX_CAPACITY.
 * @param alloc allocator for all of the object's memory; NULL = libc.
 * @return #KPI_OK; #KPI_ERR_INVALID; #KPI_ERR_RANGE; #KPI_ERR_NOMEM.
 *         Thread-safe (touches no shared state).
 */
KPI_API int kpi_topk_id_new_with(kpi_topk_id **out, uint32_t capacity,
                                 const kpi_allocator *alloc);

/**
 * @brief Free the object.
 * @param p the object; NULL is a no-op.
 * Not thread-safe for the same object.
 */
KPI_API void kpi_topk_id_free(kpi_topk_id *p);

/**
 * @brief Forget all ids and counts; the capacity is kept.
 * @param p the object; NULL is a no-op.
 * Not thread-safe for the same object.
 */
KPI_API void kpi_topk_id_reset(kpi_topk_id *p);

/**
 * @brief Deep copy, with the same allocator.
 * @param p the object to copy.
 * @param[out] out receives the copy.
 * @return #KPI_OK; #KPI_ERR_INVALID; #KPI_ERR_NOMEM.  A const read of p.
 *         Safe concurrently with other const reads of the same object.
 */
KPI_API int kpi_topk_id_clone(const kpi_topk_id *p, kpi_topk_id **out);

/**
 * @brief Count an id with a weight.  Never allocates.
 * @param p the object.
 * @param id any 64-bit id.
 * @param weight number of occurrences, at least 1.
 * @return #KPI_OK; #KPI_ERR_INVALID if p is NULL; #KPI_ERR_RANGE if weight
 *         is 0; #KPI_ERR_OVERFLOW.  Not thread-safe for the same object.
 */
KPI_API int kpi_topk_id_add(kpi_topk_id *p, uint64_t id, uint64_t weight);

/**
 * @brief Count each of n ids once, all or none.
 *
 * Every read right after the call is what n calls of kpi_topk_id_add()
 * would give; as with kpi_topk_add_array(), a batch counted first may
 * leave equal counts in another order inside the object, so a later
 * eviction may replace another of the tied smallest counts.
 * A batch on an object that has never evicted, whose new ids all fit, is
 * counted first and added as one weight per id when its ids are small
 * (below 256, such as categorical codes: about 0.4 ns per id instead of
 * several), of any size but at most 256 distinct (interned ids, hashes:
 * about 2 ns per id instead of 5 or more), or more than 256 distinct all
 * within 16,384 of the smallest (topic or category ids, wider categorical
 * codes; into a summary of more than 256 counters: about 0.7 ns per id
 * instead of 5), in batches of thousands: a short batch into a summary
 * that already holds many ids, or of many distinct ids (so that the
 * weighted adds would cross too many of its runs: d distinct ids into a
 * summary that will hold s need about d x s / 4 ids in the batch) goes
 * one at a time, decided after a few ids.  The last of those counts
 * allocates its tables for the call (object's allocator); if it cannot,
 * the batch goes one id at a time.  The same reads either way.
 * @param p the object.
 * @param ids n ids (NULL only when n is 0).
 * @param n number of ids.
 * @return #KPI_OK; #KPI_ERR_INVALID; #KPI_ERR_OVERFLOW.
 *         Not thread-safe for the same object.
 */
KPI_API int kpi_topk_id_add_array(kpi_topk_id *p, const uint64_t *ids,
                                  size_t n);

/**
 * @brief Count each of n int8 codes once, all or none: code c counts as
 *        the id (uint64_t)(int64_t)c, as kpi_topk_id_add_array() counts
 *        those ids (-1, a missing value in pandas' categorical codes, is
 *        the id UINT64_MAX).
 *
 * For pandas' categorical codes (int8 for up to 127 categories) without
 * widening them to 64-bit ids first.  Every read right after the call is
 * what n calls of kpi_topk_id_add() would give, with the same caveat on the
 * order of equal counts inside the object as kpi_topk_id_add_array().  A
 * batch that kpi_topk_id_add_array() would count first (at least 32 codes
 * on an object that has never evicted, whose new ids all fit) is counted
 * first, one total per code, and added as one weight per id; where the CPU
 * has AVX-512 (F, BW, VBMI, BITALG) and GFNI, blocks holding only codes 0
 * to 63 and -1 are counted 64 codes at a time (about 0.1 ns a code on the
 * project's VM, against about 0.4 for the same ids through
 * kpi_topk_id_add_array()).  Other batches go one code at a time, as
 * kpi_topk_id_add_array() takes them: either way the same state (bytes)
 * as that call on those ids.  Never allocates; uses up to about 18 KB of
 * stack.
 * @param p the object.
 * @param codes n codes (NULL only when n is 0).
 * @param n number of codes.
 * @return #KPI_OK; #KPI_ERR_INVALID; #KPI_ERR_OVERFLOW (the total would
 *         pass 2^64 - 1: nothing is counted).  Not thread-safe for the
 *         same object.
 */
KPI_API int kpi_topk_id_add_codes(kpi_topk_id *p, const int8_t *codes,
                                  size_t n);

/**
 * @brief Count each of n int16 codes once, all or none: code c counts as
 *        the id (uint64_t)(int64_t)c (-1, a missing value, is the id
 *        UINT64_MAX), as kpi_topk_id_add_codes() counts int8 codes.
 *
 * For pandas' categorical codes for 128 to 32,767 categories (int16)
 * without widening them to 64-bit ids first.  Every read right after the
 * call is what n calls of kpi_topk_id_add() would give, with the same
 * caveat on the order of equal counts inside the object as
 * kpi_topk_id_add_array().  A batch of at least 32 codes on an object that
 * has never evicted, whose new ids all fit, is counted first over the
 * codes' range (the smallest to the largest) and added as one weight per
 * id, unless the weighted adds would cross too many runs of the summary
 * (d distinct codes into a summary that will hold s need about d x s / 4
 * codes in the batch) or the range is wider than both the batch and 256
 * codes; other batches go one code at a time.  The count allocates its
 * tables for the call (the object's allocator: 24 bytes per code of the
 * range, at most 1.5 MB, and 82 to 116 bytes per distinct code, 320 at
 * the least and 5.4 MB for all 65,536), freed
 * before it returns; when it cannot, the batch goes one code at a time,
 * with the same reads.  About 0.4 ns a code for 300 categories on the
 * project's VM, against 5 ns one at a time.
 * @param p the object.
 * @param codes n codes (NULL only when n is 0).
 * @param n number of codes.
 * @return #KPI_OK; #KPI_ERR_INVALID; #KPI_ERR_OVERFLOW (the total would
 *         pass 2^64 - 1: nothing is counted).  Not thread-safe for the
 *         same object.
 */
KPI_API int kpi_topk_id_add_codes16(kpi_topk_id *p, const int16_t *codes,
                                    size_t n);

/**
 * @brief Merge `src` into `dst`; the same rule and bounds as
 *        kpi_topk_merge().
 * @param dst the object merged into.
 * @param src the object merged from (may equal dst).
 * @return #KPI_OK; #KPI_ERR_INVALID; #KPI_ERR_INCOMPATIBLE;
 *         #KPI_ERR_OVERFLOW; #KPI_ERR_NOMEM.  Not thread-safe for `dst`.
 */
KPI_API int kpi_topk_id_merge(kpi_topk_id *dst, const kpi_topk_id *src);

/**
 * @brief Write the state as portable bytes.
 * @param p the object.
 * @param buf destination, or NULL to ask for the size only.
 * @param cap bytes available at buf.
 * @param[out] len receives the size of the state.
 * @return #KPI_OK; #KPI_ERR_INVALID; #KPI_ERR_BUFFER; #KPI_ERR_LIMIT.
 *         A const read.
 *         Safe concurrently with other const reads of the same object.
 */
KPI_API int kpi_topk_id_serialize(const kpi_topk_id *p, void *buf,
                                  size_t cap, size_t *len);

/**
 * @brief Rebuild an object from kpi_topk_id_serialize() bytes.
 * @param[out] out receives the new object.
 * @param buf the bytes.
 * @param len their number.
 * @return #KPI_OK; #KPI_ERR_INVALID; #KPI_ERR_CORRUPT; #KPI_ERR_TRUNCATED;
 *         #KPI_ERR_VERSION; #KPI_ERR_TYPE; #KPI_ERR_NOMEM.
 *         Thread-safe (touches no shared state).
 */
KPI_API int kpi_topk_id_deserialize(kpi_topk_id **out, const void *buf,
                                    size_t len);

/**
 * @brief As kpi_topk_id_deserialize(), with a custom allocator.
 * @param[out] out receives the new object.
 * @param buf the bytes.
 * @param len their number.
 * @param alloc allocator for the new object; NULL = libc.
 * @return as kpi_topk_id_deserialize().  Thread-safe (no shared state).
 */
KPI_API int kpi_topk_id_deserialize_with(kpi_topk_id **out, const void *buf,
                                         size_t len,
                                         const kpi_allocator *alloc);

/**
 * @brief Bytes of memory the object holds.
 * @param p the object (NULL gives 0).
 * @return the footprint in bytes.  A const read.
 *         Safe concurrently with other const reads of the same object.
 */
KPI_API size_t kpi_topk_id_footprint(const kpi_topk_id *p);

/**
 * @brief Total weight added, N.
 * @param p the object (NULL gives 0).
 * @return N.  A const read.
 *         Safe concurrently with other const reads of the same object.
 */
KPI_API uint64_t kpi_topk_id_total(const kpi_topk_id *p);

/**
 * @brief Number of monitored ids.
 * @param p the object (NULL gives 0).
 * @return the number of ids that have a counter.  A const read.
 *         Safe concurrently with other const reads of the same object.
 */
KPI_API size_t kpi_topk_id_size(const kpi_topk_id *p);

/**
 * @brief The maximum overestimation of any count (see
 *        kpi_topk_error_bound()).
 * @param p the object (NULL gives 0).
 * @return the error bound, at most N / m.  A const read.
 *         Safe concurrently with other const reads of the same object.
 */
KPI_API uint64_t kpi_topk_id_error_bound(const kpi_topk_id *p);

/**
 * @brief The id at a rank (0 = most frequent; equal counts by id
 *        ascending), with its count and bounds.
 * @param p the object.
 * @param rank 0 .. kpi_topk_id_size() - 1.
 * @param[out] id receives the id (may be NULL).
 * @param[out] count receives the count, an upper bound (may be NULL).
 * @param[out] lower receives count - error (may be NULL).
 * @param[out] upper receives the upper bound, equal to count (may be NULL).
 * @return #KPI_OK; #KPI_ERR_INVALID; #KPI_ERR_EMPTY; #KPI_ERR_RANGE.
 *         A const read.
 *         Safe concurrently with other const reads of the same object.
 */
KPI_API int kpi_topk_id_entry(const kpi_topk_id *p, size_t rank,
                              uint64_t *id, uint64_t *count, uint64_t *lower,
                              uint64_t *upper);

/**
 * @brief The count and bounds of one id.
 * @param p the object.
 * @param id the id.
 * @param[out] count receives the count (may be NULL).
 * @param[out] lower receives the lower bound (may be NULL).
 * @param[out] upper receives the upper bound (may be NULL).
 * @return #KPI_OK; #KPI_ERR_INVALID; #KPI_ERR_EMPTY; #KPI_ERR_UNKNOWN_ID
 *         if the id is not monitored (its true count is then at most
 *         kpi_topk_id_error_bound() <= N / m).  A const read.
 *         Safe concurrently with other const reads of the same object.
 */
KPI_API int kpi_topk_id_estimate(const kpi_topk_id *p, uint64_t id,
                                 uint64_t *count, uint64_t *lower,
                                 uint64_t *upper);

/**
 * @brief The share of the total weight taken by one id (as
 *        kpi_topk_share()).
 * @param p the object.
 * @param id the id.
 * @param[out] out receives the share with its Wilson 95% interval.
 * @return #KPI_OK; #KPI_ERR_INVALID; #KPI_ERR_EMPTY; #KPI_ERR_UNKNOWN_ID.
 *         A const read.
 *         Safe concurrently with other const reads of the same object.
 */
KPI_API int kpi_topk_id_share(const kpi_topk_id *p, uint64_t id,
                              kpi_estimate *out);

#ifdef __cplusplus
}
#endif

#endif /* KPI_TOPK_H */
