/*
 * The shared driver of the libFuzzer targets (fuzz/fuzz_*.c).
 * SPDX-License-Identifier: MIT
 *
 * A deserializer target is a table of its type's verbs (kpi_fuzz_ops, made
 * by KPI_FUZZ_ACCUMULATOR or KPI_FUZZ_CONFIG from the type's name and a
 * function that reads its KPIs) and one line, KPI_FUZZ_STATE_TARGET, that
 * defines LLVMFuzzerTestOneInput over kpi_fuzz_state().  For every input,
 * kpi_fuzz_state() decodes
 *   1. the bytes as given (header, length and checksum checks), and
 *   2. the bytes with magic, version, body length and CRC-32C repaired, so
 *      that mutations reach the type's body decoder instead of dying at the
 *      checksum.
 * A decode must fail with a decoding error and leave the output pointer
 * untouched, or succeed; a decoded object is then exercised: its KPIs are
 * read, it is serialized (size query, short buffer, full write), the bytes
 * decode again and re-encode to identical bytes, a clone encodes alike, it
 * is merged into an empty copy of its configuration and into a second copy
 * of itself (a failed merge must leave the destination byte-identical),
 * calendars and policies compare equal to their copy.  Any violation
 * aborts, which libFuzzer (and the replay driver, fuzz/replay.c) reports.
 *
 * The targets link the library's sources (or libkpicore) directly: the
 * repair uses the internal kpi__crc32c().
 */
#ifndef KPI_FUZZ_H
#define KPI_FUZZ_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kpi.h"

#include "codec.h"

/* The entry point every target defines (libFuzzer's interface). */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
/* The target's name ("score", "engine_events", ...): the replay driver
 * reads fuzz/corpus/<name>/ and fuzz/regress/<name>/. */
extern const char kpi_fuzz_name[];

static inline void kpi_fuzz_fail(const char *file, int line, const char *what)
{
    fprintf(stderr, "%s:%d: fuzz check failed: %s\n", file, line, what);
    abort();
}

/* A property that must hold whatever the input: abort otherwise. */
#define KPI_FUZZ_CHECK(cond)                                                  \
    do {                                                                      \
        if (!(cond))                                                          \
            kpi_fuzz_fail(__FILE__, __LINE__, #cond);                         \
    } while (0)

/* ---- a bounded allocator ---------------------------------------------------
 * Decoded objects use it (kpi_<T>_deserialize_with): a state may announce a
 * configuration that reserves much memory (a journey reserves room for up
 * to 16M customers); past KPI_FUZZ_HEAP_LIMIT live bytes every allocation
 * fails, and the decoder must then answer KPI_ERR_NOMEM cleanly. */
#define KPI_FUZZ_HEAP_LIMIT ((size_t)64 << 20)
#define KPI_FUZZ_HEADER 16 /* keeps blocks aligned for any type */

static size_t kpi_fuzz_heap_live;

static inline void *kpi_fuzz_realloc(void *opaque, void *ptr, size_t n)
{
    (void)opaque;
    size_t old = 0;
    uint8_t *base = NULL;
    if (ptr != NULL) {
        base = (uint8_t *)ptr - KPI_FUZZ_HEADER;
        memcpy(&old, base, sizeof old);
    }
    if (n > KPI_FUZZ_HEAP_LIMIT - (kpi_fuzz_heap_live - old))
        return NULL;
    uint8_t *p = realloc(base, n + KPI_FUZZ_HEADER);
    if (p == NULL)
        return NULL;
    kpi_fuzz_heap_live = kpi_fuzz_heap_live - old + n;
    memcpy(p, &n, sizeof n);
    return p + KPI_FUZZ_HEADER;
}

static inline void *kpi_fuzz_malloc(void *opaque, size_t n)
{
    return kpi_fuzz_realloc(opaque, NULL, n);
}

static inline void kpi_fuzz_free(void *opaque, void *ptr)
{
    (void)opaque;
    size_t n;
    uint8_t *base = (uint8_t *)ptr - KPI_FUZZ_HEADER;
    memcpy(&n, base, sizeof n);
    kpi_fuzz_heap_live -= n;
    free(base);
}

static const kpi_allocator kpi_fuzz_allocator = {kpi_fuzz_malloc, kpi_fuzz_realloc,
                                                 kpi_fuzz_free, NULL};

/* The verbs of one serializable type, behind void pointers. */
typedef struct kpi_fuzz_ops {
    int (*deserialize)(void **out, const void *buf, size_t len);
    int (*serialize)(const void *obj, void *buf, size_t cap, size_t *len);
    int (*clone)(const void *obj, void **out);
    void (*destroy)(void *obj);
    size_t (*footprint)(const void *obj);
    void (*reads)(const void *obj);
    /* accumulators: back to empty, and dst += src (NULL for configuration
     * objects, which have neither) */
    void (*reset)(void *obj);
    int (*merge)(void *dst, const void *src);
    /* configuration objects: whether two compute the same answers */
    int (*equal)(const void *a, const void *b, int *equal);
} kpi_fuzz_ops;

/* Where a decoder's output pointer is parked: it must stay there when the
 * decode fails. */
static char kpi_fuzz_untouched;

/* The errors a decoder may return for bad bytes. */
static inline int kpi_fuzz_decode_error(int rc)
{
    return rc == KPI_ERR_CORRUPT || rc == KPI_ERR_TRUNCATED ||
           rc == KPI_ERR_VERSION || rc == KPI_ERR_TYPE || rc == KPI_ERR_NOMEM;
}

/* The object's state, in a malloc'd buffer: checks the size query and the
 * short-buffer answer on the way. */
static inline uint8_t *kpi_fuzz_encode(const kpi_fuzz_ops *ops, const void *obj,
                                       size_t *len)
{
    size_t need = 0, got = 0;
    KPI_FUZZ_CHECK(ops->serialize(obj, NULL, 0, &need) == KPI_OK);
    KPI_FUZZ_CHECK(need >= 16);
    uint8_t *buf = malloc(need);
    KPI_FUZZ_CHECK(buf != NULL);
    KPI_FUZZ_CHECK(ops->serialize(obj, buf, need - 1, &got) == KPI_ERR_BUFFER);
    KPI_FUZZ_CHECK(got == need);
    KPI_FUZZ_CHECK(ops->serialize(obj, buf, need, &got) == KPI_OK);
    KPI_FUZZ_CHECK(got == need);
    *len = need;
    return buf;
}

/* Whether obj serializes to exactly `ref`. */
static inline int kpi_fuzz_encodes_as(const kpi_fuzz_ops *ops, const void *obj,
                                      const uint8_t *ref, size_t ref_len)
{
    size_t len;
    uint8_t *buf = kpi_fuzz_encode(ops, obj, &len);
    int same = len == ref_len && memcmp(buf, ref, len) == 0;
    free(buf);
    return same;
}

/* Merge src into a copy of dst-to-be: on success read the result, on
 * failure the destination must encode exactly as before. */
static inline void kpi_fuzz_merge_into(const kpi_fuzz_ops *ops, void *dst,
                                       const void *src)
{
    size_t before_len;
    uint8_t *before = kpi_fuzz_encode(ops, dst, &before_len);
    int rc = ops->merge(dst, src);
    if (rc == KPI_OK)
        ops->reads(dst);
    else
        KPI_FUZZ_CHECK(kpi_fuzz_encodes_as(ops, dst, before, before_len));
    free(before);
}

/* Everything a decoded object must survive. */
static inline void kpi_fuzz_exercise(const kpi_fuzz_ops *ops, void *obj)
{
    ops->reads(obj);
    KPI_FUZZ_CHECK(ops->footprint(obj) > 0);

    size_t len;
    uint8_t *bytes = kpi_fuzz_encode(ops, obj, &len);
    /* what the library wrote it must read, and write again alike */
    void *again = NULL, *copy = NULL;
    int rc = ops->deserialize(&again, bytes, len);
    /* (the bounded allocator may refuse a second copy) */
    KPI_FUZZ_CHECK(rc == KPI_OK || rc == KPI_ERR_NOMEM);
    if (rc == KPI_OK) {
        KPI_FUZZ_CHECK(kpi_fuzz_encodes_as(ops, again, bytes, len));
        rc = ops->clone(obj, &copy);
        KPI_FUZZ_CHECK(rc == KPI_OK || rc == KPI_ERR_NOMEM);
    }
    if (rc != KPI_OK) {
        ops->destroy(again);
        free(bytes);
        return;
    }
    KPI_FUZZ_CHECK(kpi_fuzz_encodes_as(ops, copy, bytes, len));

    if (ops->equal != NULL) {
        int eq = 0;
        KPI_FUZZ_CHECK(ops->equal(obj, again, &eq) == KPI_OK && eq == 1);
        KPI_FUZZ_CHECK(ops->equal(copy, obj, &eq) == KPI_OK && eq == 1);
    }
    if (ops->merge != NULL) {
        /* an empty object of the same configuration ... */
        ops->reset(copy);
        ops->reads(copy);
        size_t empty_len;
        uint8_t *empty = kpi_fuzz_encode(ops, copy, &empty_len);
        void *empty_again = NULL;
        rc = ops->deserialize(&empty_again, empty, empty_len);
        KPI_FUZZ_CHECK(rc == KPI_OK || rc == KPI_ERR_NOMEM);
        if (rc == KPI_OK)
            ops->destroy(empty_again);
        free(empty);
        /* ... takes the object in, and the object takes its twin in */
        kpi_fuzz_merge_into(ops, copy, obj);
        kpi_fuzz_merge_into(ops, again, obj);
    }
    ops->destroy(copy);
    ops->destroy(again);
    free(bytes);
}

/* Decode one byte string and exercise what it gives. */
static inline void kpi_fuzz_decode(const kpi_fuzz_ops *ops, const uint8_t *data,
                                   size_t size)
{
    void *obj = &kpi_fuzz_untouched;
    int rc = ops->deserialize(&obj, data, size);
    if (rc != KPI_OK) {
        KPI_FUZZ_CHECK(kpi_fuzz_decode_error(rc));
        KPI_FUZZ_CHECK(obj == &kpi_fuzz_untouched);
        return;
    }
    KPI_FUZZ_CHECK(obj != NULL && obj != &kpi_fuzz_untouched);
    kpi_fuzz_exercise(ops, obj);
    ops->destroy(obj);
}

/* The input as given, then with its header fields and checksum repaired. */
static inline void kpi_fuzz_state(const kpi_fuzz_ops *ops, const uint8_t *data,
                                  size_t size)
{
    kpi_fuzz_decode(ops, data, size);
    if (size < KPI__HEADER_SIZE + KPI__TRAILER_SIZE || size - 16 > UINT32_MAX)
        return;
    uint8_t *fixed = malloc(size);
    KPI_FUZZ_CHECK(fixed != NULL);
    memcpy(fixed, data, size);
    size_t body = size - KPI__HEADER_SIZE - KPI__TRAILER_SIZE;
    memcpy(fixed, "kpiS", 4);
    /* every version this library reads keeps its own layout (format 1
     * engines differ from format 2): an input's known version is kept */
    uint16_t v = (uint16_t)(data[4] | data[5] << 8);
    fixed[4] = (uint8_t)(v >= 1 && v <= KPI__FORMAT_VERSION ? v : KPI__FORMAT_VERSION);
    fixed[5] = 0;
    for (int i = 0; i < 4; i++)
        fixed[8 + i] = (uint8_t)(body >> (8 * i));
    uint32_t crc = kpi__crc32c(fixed, KPI__HEADER_SIZE + body);
    for (int i = 0; i < 4; i++)
        fixed[size - 4 + i] = (uint8_t)(crc >> (8 * i));
    if (memcmp(fixed, data, size) != 0)
        kpi_fuzz_decode(ops, fixed, size);
    free(fixed);
}

/* ---- reads shared by the engine targets --------------------------------- */

/* Free an accumulator returned by kpi_engine_window(). */
static inline void kpi_fuzz_free_metric(int metric, void *acc)
{
    switch (kpi_engine_metric_type(metric)) {
    case KPI_ENGINE_TYPE_DURATION: kpi_duration_free(acc); break;
    case KPI_ENGINE_TYPE_RATE: kpi_rate_free(acc); break;
    case KPI_ENGINE_TYPE_SCORE: kpi_score_free(acc); break;
    case KPI_ENGINE_TYPE_RATIO: kpi_ratio_free(acc); break;
    default: KPI_FUZZ_CHECK(acc == NULL); break;
    }
}

/* Read one metric's accumulator (overall, a breakdown member or a
 * window) by its type. */
static inline void kpi_fuzz_read_metric(int metric, const void *acc)
{
    double v;
    kpi_estimate e;
    switch (kpi_engine_metric_type(metric)) {
    case KPI_ENGINE_TYPE_DURATION:
        (void)kpi_duration_count(acc);
        (void)kpi_duration_mean(acc, &v);
        (void)kpi_duration_quantile(acc, 0.9, &v);
        break;
    case KPI_ENGINE_TYPE_RATE:
        KPI_FUZZ_CHECK(kpi_rate_successes(acc) <= kpi_rate_trials(acc));
        (void)kpi_rate_share(acc, &e);
        break;
    case KPI_ENGINE_TYPE_SCORE:
        (void)kpi_score_mean(acc, &v);
        (void)kpi_score_nps(acc, &e);
        (void)kpi_score_csat(acc, &e);
        break;
    case KPI_ENGINE_TYPE_RATIO:
        (void)kpi_ratio_value(acc, &v);
        break;
    case KPI_ENGINE_TYPE_SERIES:
        (void)kpi_series_total(acc, &v);
        (void)kpi_series_last(acc, 1, &v);
        break;
    default:
        KPI_FUZZ_CHECK(0);
    }
}

/* Read an engine all over: counters, every metric overall, by dimension
 * and over the last periods, backlog, aging, SLA risk, top topics,
 * ticket statuses and names.  `deep` adds the per-key and window reads. */
static inline void kpi_fuzz_engine_reads(const kpi_engine *e, int deep)
{
    int64_t now = 0, period = 1, origin = 0;
    uint64_t n, counts[KPI_ENGINE_AGING_BUCKETS], risk, breached;
    int64_t next_due;
    int have_time = kpi_engine_time(e, &now) == KPI_OK;
    for (int c = 0; c <= KPI_ENGINE_COUNTERS; c++)
        KPI_FUZZ_CHECK(kpi_engine_count(e, c, &n) == (c < KPI_ENGINE_COUNTERS ? KPI_OK : KPI_ERR_INVALID));
    KPI_FUZZ_CHECK(kpi_engine_option(e, KPI_ENGINE_OPT_PERIOD_MS, &period) == KPI_OK);
    KPI_FUZZ_CHECK(kpi_engine_option(e, KPI_ENGINE_OPT_PERIOD_ORIGIN_MS, &origin) == KPI_OK);
    KPI_FUZZ_CHECK(period > 0);
    (void)kpi_engine_footprint(e);
    (void)kpi_engine_ticket_bytes(e);
    for (int m = 0; m < KPI_ENGINE_METRICS; m++) {
        const void *acc;
        if (kpi_engine_metric(e, m, KPI_DIM_ALL, 0, &acc) == KPI_OK)
            kpi_fuzz_read_metric(m, acc);
        if (!deep)
            continue;
        for (int dim = KPI_DIM_AGENT; dim <= KPI_DIM_PRIORITY; dim++) {
            const kpi_group *g;
            if (kpi_engine_group(e, m, dim, &g) != KPI_OK)
                continue;
            uint64_t keys[8];
            size_t nk = 0;
            int rc = kpi_group_keys(g, keys, 8, &nk);
            KPI_FUZZ_CHECK(rc == KPI_OK || rc == KPI_ERR_BUFFER);
            for (size_t i = 0; rc == KPI_OK && i < nk; i++) {
                KPI_FUZZ_CHECK(kpi_engine_metric(e, m, dim, keys[i], &acc) == KPI_OK);
                kpi_fuzz_read_metric(m, acc);
            }
        }
        if (have_time && m != KPI_ENGINE_VOLUME) {
            /* the current period and the two before it (older ones may be
             * gone: KPI_ERR_ORDER) */
            int64_t start = now - ((now - origin) % period + period) % period;
            void *w = NULL;
            int rc = kpi_engine_window(e, m, start - 2 * period, INT64_MAX, &w);
            if (rc == KPI_OK)
                kpi_fuzz_read_metric(m, w);
            kpi_fuzz_free_metric(m, rc == KPI_OK ? w : NULL);
        }
    }
    if (have_time) {
        int64_t start = now - ((now - origin) % period + period) % period;
        (void)kpi_engine_backlog(e, start - period, &n);
        (void)kpi_engine_backlog(e, start, &n);
        KPI_FUZZ_CHECK(kpi_engine_aging(e, now, counts) == KPI_OK);
        (void)kpi_engine_sla_risk(e, now, KPI_MS_PER_HOUR, &risk, &breached, &next_due);
    }
    const kpi_topk *top;
    KPI_FUZZ_CHECK(kpi_engine_top_topics(e, &top) == KPI_OK);
    (void)kpi_topk_size(top);
    if (have_time) {
        /* the periods' topics: every kept period, the window within all
         * time (each period is, so a sum above it only overflows) */
        int64_t periods = 0;
        KPI_FUZZ_CHECK(kpi_engine_option(e, KPI_ENGINE_OPT_PERIODS, &periods) == KPI_OK);
        int64_t start = now - ((now - origin) % period + period) % period;
        kpi_topk *w = NULL;
        int rc = kpi_engine_window_topics(e, start - (periods - 1) * period, INT64_MAX, &w);
        KPI_FUZZ_CHECK(rc == KPI_OK || rc == KPI_ERR_OVERFLOW || rc == KPI_ERR_NOMEM);
        if (rc == KPI_OK) {
            for (size_t r = 0; r < kpi_topk_size(w); r++)
                KPI_FUZZ_CHECK(kpi_topk_entry(w, r, NULL, NULL, NULL, NULL, NULL) == KPI_OK);
            kpi_topk_free(w);
        }
    }
    for (uint64_t t = 0; t < 8; t++) {
        int status;
        if (kpi_engine_ticket_status(e, t, &status) == KPI_OK)
            KPI_FUZZ_CHECK(status >= KPI_STATUS_NEW && status <= KPI_STATUS_MERGED);
    }
    for (int dim = KPI_DIM_AGENT; dim <= KPI_DIM_TOPIC; dim++)
        for (uint64_t code = 0; code < 4; code++) {
            const char *name;
            if (kpi_engine_name(e, dim, code, &name) == KPI_OK)
                KPI_FUZZ_CHECK(name != NULL && name[0] != '\0');
        }
}

/* The verbs every serializable type kpi_<T> has, wrapped for the table. */
#define KPI_FUZZ_VERBS(T, READS)                                              \
    static int kpi_fuzz_deserialize(void **out, const void *buf, size_t len)  \
    {                                                                         \
        kpi_##T *p = (kpi_##T *)(void *)*out;                                 \
        int rc = kpi_##T##_deserialize_with(&p, buf, len, &kpi_fuzz_allocator); \
        *out = p;                                                             \
        return rc;                                                            \
    }                                                                         \
    static int kpi_fuzz_serialize(const void *obj, void *buf, size_t cap,     \
                                  size_t *len)                                \
    {                                                                         \
        return kpi_##T##_serialize(obj, buf, cap, len);                       \
    }                                                                         \
    static int kpi_fuzz_clone(const void *obj, void **out)                    \
    {                                                                         \
        kpi_##T *p = NULL;                                                    \
        int rc = kpi_##T##_clone(obj, &p);                                    \
        *out = p;                                                             \
        return rc;                                                            \
    }                                                                         \
    static void kpi_fuzz_destroy(void *obj) { kpi_##T##_free(obj); }          \
    static size_t kpi_fuzz_footprint(const void *obj)                         \
    {                                                                         \
        return kpi_##T##_footprint(obj);                                      \
    }                                                                         \
    static void kpi_fuzz_reads(const void *obj) { READS(obj); }

/* The verb table kpi_fuzz_ops_of_target of an accumulator type kpi_<T>
 * (reset and merge). */
#define KPI_FUZZ_ACCUMULATOR_OPS(T, READS)                                    \
    KPI_FUZZ_VERBS(T, READS)                                                  \
    static void kpi_fuzz_reset(void *obj) { kpi_##T##_reset(obj); }           \
    static int kpi_fuzz_merge(void *dst, const void *src)                     \
    {                                                                         \
        return kpi_##T##_merge(dst, src);                                     \
    }                                                                         \
    static const kpi_fuzz_ops kpi_fuzz_ops_of_target = {                      \
        kpi_fuzz_deserialize, kpi_fuzz_serialize, kpi_fuzz_clone,             \
        kpi_fuzz_destroy,     kpi_fuzz_footprint, kpi_fuzz_reads,             \
        kpi_fuzz_reset,       kpi_fuzz_merge,     NULL};

/* The verb table of a configuration type kpi_<T> (equal, no merge). */
#define KPI_FUZZ_CONFIG_OPS(T, READS)                                         \
    KPI_FUZZ_VERBS(T, READS)                                                  \
    static int kpi_fuzz_equal(const void *a, const void *b, int *eq)          \
    {                                                                         \
        return kpi_##T##_equal(a, b, eq);                                     \
    }                                                                         \
    static const kpi_fuzz_ops kpi_fuzz_ops_of_target = {                      \
        kpi_fuzz_deserialize, kpi_fuzz_serialize, kpi_fuzz_clone,             \
        kpi_fuzz_destroy,     kpi_fuzz_footprint, kpi_fuzz_reads,             \
        NULL,                 NULL,               kpi_fuzz_equal};

/* A deserializer target for an accumulator type kpi_<T>. */
#define KPI_FUZZ_ACCUMULATOR(T, READS)                                        \
    KPI_FUZZ_ACCUMULATOR_OPS(T, READS)                                        \
    KPI_FUZZ_STATE_TARGET(T)

/* A deserializer target for a configuration type kpi_<T>. */
#define KPI_FUZZ_CONFIG(T, READS)                                             \
    KPI_FUZZ_CONFIG_OPS(T, READS)                                             \
    KPI_FUZZ_STATE_TARGET(T)

#define KPI_FUZZ_STATE_TARGET(T)                                              \
    const char kpi_fuzz_name[] = #T;                                          \
    int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)              \
    {                                                                         \
        kpi_fuzz_state(&kpi_fuzz_ops_of_target, data, size);                  \
        return 0;                                                             \
    }

#endif /* KPI_FUZZ_H */
