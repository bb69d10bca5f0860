/*
 * Thread use, as every header documents it: an object is used by one
 * thread at a time, different objects need no lock, and const reads of one
 * object may run concurrently.
 * - shards: for every mergeable type at once, 8 threads each feed their
 *   own object with their slice of a stream (by key) and finish it; the
 *   main thread merges the shards and compares with one object fed
 *   everything (same bytes, or the sketch's promise);
 * - readers: 8 threads serialize and clone one shared object concurrently,
 *   each result equal to the bytes read before they started;
 * - value readers: 8 threads make every row's documented reads of one
 *   shared object at once (top-k ranks, quantiles, ...), each equal to
 *   the reads made before;
 * - engine readers: 8 threads make every const read of one engine at once
 *   (counters, every metric under every dimension, groups' keys, windows,
 *   every rank of the top topics, a tie of 30 that the first reader sorts
 *   into the shared rank cache, aging, SLA risk, statuses, serialize,
 *   clone), first on a fresh engine, then after a read.
 * Worker threads make no Check calls (Check is not thread-safe); they
 * return a status that the main thread asserts.
 * SPDX-License-Identifier: MIT
 */
#include <pthread.h>

#include "robust.h"

#define NTHREADS 8
#define NEV 2000

typedef struct job {
    const rb_type *T;
    const rb_ev *ev;  /* the whole stream; the job takes key % NTHREADS == slice */
    size_t n;
    unsigned slice;
    void *obj;        /* out: the shard */
    int rc;           /* out: the first failure, or KPI_OK */
    size_t failed_at;
} job;

static void *feed_slice(void *arg)
{
    job *j = arg;
    j->rc = j->T->make(&j->obj, NULL);
    for (size_t i = 0; i < j->n && j->rc == KPI_OK; i++)
        if (j->ev[i].key % NTHREADS == j->slice) {
            j->rc = j->T->add(j->obj, &j->ev[i]);
            j->failed_at = i;
        }
    if (j->rc == KPI_OK && j->T->finish)
        j->rc = j->T->finish(j->obj);
    return NULL;
}

static int mergeable(const rb_type *T)
{
    return T->merge != NULL && T->merge_props;
}

START_TEST(shards_on_threads_merge_to_one)
{
    job jobs[RB_NTYPES][NTHREADS];
    pthread_t tid[RB_NTYPES][NTHREADS];
    rb_ev *ev[RB_NTYPES];
    for (size_t t = 0; t < RB_NTYPES; t++) {
        ev[t] = rb_stream(&rb_types[t], 100 + t, NEV);
        if (!mergeable(&rb_types[t]))
            continue;
        for (unsigned k = 0; k < NTHREADS; k++) {
            jobs[t][k] = (job){&rb_types[t], ev[t], NEV, k, NULL, KPI_OK, 0};
            ck_assert_int_eq(pthread_create(&tid[t][k], NULL, feed_slice, &jobs[t][k]), 0);
        }
    }
    size_t checked = 0;
    for (size_t t = 0; t < RB_NTYPES; t++) {
        const rb_type *T = &rb_types[t];
        if (!mergeable(T)) {
            free(ev[t]);
            continue;
        }
        for (unsigned k = 0; k < NTHREADS; k++) {
            ck_assert_int_eq(pthread_join(tid[t][k], NULL), 0);
            ck_assert_msg(jobs[t][k].rc == KPI_OK, "%s: thread %u, event %zu: %s",
                          T->name, k, jobs[t][k].failed_at,
                          kpi_status_name(jobs[t][k].rc));
        }
        void *one = rb_fed(T, ev[t], NEV, NULL), *up = NULL, *down = NULL;
        rb_finish(T, one);
        /* merged in thread order, and in reverse order */
        ck_assert_ok(T->clone(jobs[t][0].obj, &up));
        ck_assert_ok(T->clone(jobs[t][NTHREADS - 1].obj, &down));
        for (unsigned k = 1; k < NTHREADS; k++) {
            ck_assert_ok(T->merge(up, jobs[t][k].obj));
            ck_assert_ok(T->merge(down, jobs[t][NTHREADS - 1 - k].obj));
        }
        rb_same(T, up, one, "8 shards merged vs one fed everything");
        rb_same(T, down, one, "8 shards merged backwards vs one fed everything");
        for (unsigned k = 0; k < NTHREADS; k++)
            T->destroy(jobs[t][k].obj);
        T->destroy(up);
        T->destroy(down);
        T->destroy(one);
        free(ev[t]);
        checked++;
    }
    ck_assert_uint_ge(checked, 15);
}
END_TEST

typedef struct reader {
    const rb_type *T;
    const void *obj;
    const unsigned char *want;
    size_t len;
    int mismatches;
} reader;

/* serialize the shared object, and a clone of it, many times */
static void *read_shared(void *arg)
{
    reader *r = arg;
    unsigned char *buf = malloc(r->len);
    for (int round = 0; round < 50 && buf; round++) {
        size_t len = 0;
        void *copy = NULL;
        if (r->T->ser(r->obj, buf, r->len, &len) != KPI_OK || len != r->len ||
            memcmp(buf, r->want, len) != 0)
            r->mismatches++;
        if (r->T->clone(r->obj, &copy) != KPI_OK ||
            r->T->ser(copy, buf, r->len, &len) != KPI_OK || len != r->len ||
            memcmp(buf, r->want, len) != 0)
            r->mismatches++;
        r->T->destroy(copy);
    }
    if (buf == NULL)
        r->mismatches++;
    free(buf);
    return NULL;
}

/* Run fn on NTHREADS threads at once, thread k on args + k * size, and
 * wait for them all. */
static void on_threads(void *(*fn)(void *), void *args, size_t size)
{
    pthread_t tid[NTHREADS];
    for (int k = 0; k < NTHREADS; k++)
        ck_assert_int_eq(pthread_create(&tid[k], NULL, fn, (char *)args + k * size), 0);
    for (int k = 0; k < NTHREADS; k++)
        ck_assert_int_eq(pthread_join(tid[k], NULL), 0);
}

START_TEST(concurrent_const_reads)
{
    const rb_type *T = &rb_types[_i];
    rb_ev *ev = rb_stream(T, 7, 500);
    void *o = rb_fed(T, ev, 500, NULL);
    size_t len;
    unsigned char *want = rb_bytes(T, o, &len);
    reader r[NTHREADS];
    for (int k = 0; k < NTHREADS; k++)
        r[k] = (reader){T, o, want, len, 0};
    on_threads(read_shared, r, sizeof *r);
    for (int k = 0; k < NTHREADS; k++) {
        ck_assert_msg(r[k].mismatches == 0, "%s: reader %d: %d mismatches", T->name,
                      k, r[k].mismatches);
    }
    rb_unchanged(T, o, want, len, "after the concurrent reads");
    free(want);
    T->destroy(o);
    free(ev);
}
END_TEST

typedef struct value_reader {
    const rb_type *T;
    const void *obj;
    const double *want;
    size_t n;
    int mismatches;
} value_reader;

/* every documented read of the shared object, many times */
static void *read_values(void *arg)
{
    value_reader *r = arg;
    for (int round = 0; round < 50; round++) {
        double v[RB_MAX_READS];
        if (r->T->reads(r->obj, v) != r->n || memcmp(v, r->want, r->n * sizeof *v) != 0)
            r->mismatches++;
    }
    return NULL;
}

START_TEST(concurrent_value_reads)
{
    const rb_type *T = &rb_types[_i];
    if (T->reads == NULL)
        return;
    rb_ev *ev = rb_stream(T, 11, 500);
    void *o = rb_fed(T, ev, 500, NULL);
    double want[RB_MAX_READS];
    size_t n = T->reads(o, want);
    value_reader r[NTHREADS];
    for (int k = 0; k < NTHREADS; k++)
        r[k] = (value_reader){T, o, want, n, 0};
    on_threads(read_values, r, sizeof *r);
    for (int k = 0; k < NTHREADS; k++) {
        ck_assert_msg(r[k].mismatches == 0, "%s: reader %d: %d mismatches", T->name,
                      k, r[k].mismatches);
    }
    T->destroy(o);
    free(ev);
}
END_TEST

/* ---- one engine, read by 8 threads at once ------------------------------ */

/* FNV-1a over bytes: the digest of everything a reader read. */
static uint64_t fnv(uint64_t h, const void *p, size_t n)
{
    const unsigned char *b = p;
    for (size_t i = 0; i < n; i++)
        h = (h ^ b[i]) * UINT64_C(0x100000001b3);
    return h;
}
#define FNV(h, x) ((h) = fnv((h), &(x), sizeof(x)))

#define ENG_T0 INT64_C(1767600000000) /* 2026-01-05 08:00 UTC, a Monday */
#define ENG_TICKETS 600
#define ENG_TOPICS 30

/* 600 tickets over a week: 7 agents, 3 teams, 4 channels, 5 priorities,
 * 30 topics created 20 times each (one tie of 30 in the top topics, which
 * the first reader of a rank sorts into the shared rank cache), replies,
 * resolutions, surveys; SLA policy on a business calendar. */
static kpi_engine *engine_fed(void)
{
    kpi_engine *e = NULL;
    kpi_calendar *c = NULL;
    kpi_sla_policy *pol = NULL;
    ck_assert_ok(kpi_engine_new(&e));
    ck_assert_ok(kpi_calendar_new(&c, "UTC0"));
    for (int d = 1; d <= 5; d++)
        ck_assert_ok(kpi_calendar_add_hours(c, d, 9 * 60, 17 * 60));
    ck_assert_ok(kpi_sla_policy_new(&pol, c));
    ck_assert_ok(kpi_sla_policy_set_target(pol, 1, KPI_SLA_FIRST_RESPONSE, KPI_MS_PER_HOUR, 1));
    ck_assert_ok(kpi_sla_policy_set_target(pol, 2, KPI_SLA_RESOLUTION, 8 * KPI_MS_PER_HOUR, 0));
    ck_assert_ok(kpi_engine_set_calendar(e, c));
    ck_assert_ok(kpi_engine_set_sla_policy(e, pol));
    ck_assert_ok(kpi_engine_set_option(e, KPI_ENGINE_OPT_TOPK_CAPACITY, 64));
    ck_assert_ok(kpi_engine_add_target(e, KPI_ENGINE_FRT, 30 * KPI_MS_PER_MINUTE));
    kpi_sla_policy_free(pol);
    kpi_calendar_free(c);
    char name[16];
    for (uint64_t k = 1; k <= ENG_TOPICS; k++) {
        snprintf(name, sizeof name, "topic-%02u", (unsigned)k);
        ck_assert_ok(kpi_engine_set_name(e, KPI_DIM_TOPIC, k, name));
    }
    for (uint64_t i = 1; i <= ENG_TICKETS; i++) {
        int64_t t = ENG_T0 + (int64_t)i * 17 * KPI_MS_PER_MINUTE;
        snprintf(name, sizeof name, "topic-%02u", (unsigned)(1 + i % ENG_TOPICS));
        ck_assert_ok(kpi_engine_created(e, t, i, 1000 + i % 97, (uint32_t)(i % 4),
                                        (uint32_t)(i % 5), name, 0));
        ck_assert_ok(kpi_engine_assigned(e, t + 60000, i, 1 + i % 7, (uint32_t)(1 + i % 3)));
        if (i % 4 != 0)
            ck_assert_ok(kpi_engine_agent_reply(e, t + (int64_t)(i % 50 + 1) * 60000, i,
                                                1 + i % 7));
        if (i % 3 != 0)
            ck_assert_ok(kpi_engine_resolved(e, t + (int64_t)(i % 90 + 60) * 60000, i,
                                             1 + i % 7, 0));
        if (i % 3 == 1)
            ck_assert_ok(kpi_engine_survey(e, t + (int64_t)(i % 90 + 61) * 60000, i,
                                           KPI_EVENT_CSAT, (int32_t)(1 + i % 5)));
    }
    return e;
}

/* Every const read of the engine, its accumulators and its top topics,
 * folded into one digest (NULL-safe reads only: no Check calls here). */
static uint64_t engine_reads(const kpi_engine *e)
{
    uint64_t h = UINT64_C(0xcbf29ce484222325);
    int64_t now = 0;
    int rc = kpi_engine_time(e, &now);
    FNV(h, rc);
    for (int c = 0; c < KPI_ENGINE_COUNTERS; c++) {
        uint64_t v = 0;
        rc = kpi_engine_count(e, c, &v);
        FNV(h, rc);
        FNV(h, v);
    }
    for (int m = 0; m < KPI_ENGINE_METRICS; m++) {
        for (int dim = KPI_DIM_ALL; dim <= KPI_DIM_PRIORITY; dim++) {
            for (uint64_t key = 0; key < 8; key++) {
                const void *acc = NULL;
                rc = kpi_engine_metric(e, m, dim, key, &acc);
                FNV(h, rc);
                if (rc != KPI_OK)
                    continue;
                unsigned char buf[4096];
                size_t len = 0;
                switch (kpi_engine_metric_type(m)) {
                case KPI_ENGINE_TYPE_DURATION: {
                    double q = 0;
                    rc = kpi_duration_quantile(acc, 0.9, &q);
                    FNV(h, q);
                    rc = kpi_duration_serialize(acc, buf, sizeof buf, &len);
                    break;
                }
                case KPI_ENGINE_TYPE_RATE:
                    rc = kpi_rate_serialize(acc, buf, sizeof buf, &len);
                    break;
                case KPI_ENGINE_TYPE_SCORE:
                    rc = kpi_score_serialize(acc, buf, sizeof buf, &len);
                    break;
                case KPI_ENGINE_TYPE_RATIO:
                    rc = kpi_ratio_serialize(acc, buf, sizeof buf, &len);
                    break;
                default:
                    rc = kpi_series_serialize(acc, buf, sizeof buf, &len);
                    break;
                }
                FNV(h, rc);
                h = fnv(h, buf, rc == KPI_OK ? len : 0);
            }
            const kpi_group *g = NULL;
            if (dim != KPI_DIM_ALL && kpi_engine_group(e, m, dim, &g) == KPI_OK) {
                uint64_t keys[64];
                size_t n = 0;
                rc = kpi_group_keys(g, keys, 64, &n);
                FNV(h, rc);
                h = fnv(h, keys, rc == KPI_OK ? n * sizeof *keys : 0);
            }
        }
        void *w = NULL;
        if (kpi_engine_window(e, m, ENG_T0, ENG_T0 + 7 * KPI_MS_PER_DAY, &w) == KPI_OK) {
            uint64_t n;
            switch (kpi_engine_metric_type(m)) {
            case KPI_ENGINE_TYPE_DURATION:
                n = kpi_duration_count(w);
                kpi_duration_free(w);
                break;
            case KPI_ENGINE_TYPE_RATE:
                n = kpi_rate_trials(w);
                kpi_rate_free(w);
                break;
            case KPI_ENGINE_TYPE_SCORE:
                n = kpi_score_count(w);
                kpi_score_free(w);
                break;
            default:
                n = kpi_ratio_count(w);
                kpi_ratio_free(w);
                break;
            }
            FNV(h, n);
        }
    }
    const kpi_topk *top = NULL;
    rc = kpi_engine_top_topics(e, &top);
    FNV(h, rc);
    for (size_t r = 0; r < kpi_topk_size(top); r++) {
        const char *label = NULL;
        size_t len = 0;
        uint64_t count = 0;
        rc = kpi_topk_entry(top, r, &label, &len, &count, NULL, NULL);
        FNV(h, rc);
        FNV(h, count);
        h = fnv(h, label, rc == KPI_OK ? len : 0);
    }
    uint64_t aging[KPI_ENGINE_AGING_BUCKETS], risk = 0, late = 0;
    int64_t next = 0;
    rc = kpi_engine_aging(e, now, aging);
    h = fnv(h, aging, sizeof aging);
    rc = kpi_engine_sla_risk(e, now, KPI_MS_PER_HOUR, &risk, &late, &next);
    FNV(h, rc);
    FNV(h, risk);
    FNV(h, late);
    FNV(h, next);
    for (uint64_t i = 1; i <= ENG_TICKETS; i += 37) {
        int st = -1;
        rc = kpi_engine_ticket_status(e, i, &st);
        FNV(h, rc);
        FNV(h, st);
    }
    kpi_engine *copy = NULL;
    size_t len = 0, len2 = 0;
    rc = kpi_engine_serialize(e, NULL, 0, &len);
    unsigned char *a = malloc(len), *b = malloc(len);
    if (a != NULL && b != NULL && kpi_engine_serialize(e, a, len, &len) == KPI_OK &&
        kpi_engine_clone(e, &copy) == KPI_OK &&
        kpi_engine_serialize(copy, b, len, &len2) == KPI_OK && len2 == len)
        h = fnv(h, a, len) ^ (uint64_t)memcmp(a, b, len);
    else
        h = 0;
    kpi_engine_free(copy);
    free(a);
    free(b);
    return h;
}

typedef struct engine_reader {
    const kpi_engine *e;
    uint64_t want;
    int mismatches;
} engine_reader;

static void *read_engine(void *arg)
{
    engine_reader *r = arg;
    for (int round = 0; round < 4; round++)
        if (engine_reads(r->e) != r->want)
            r->mismatches++;
    return NULL;
}

START_TEST(concurrent_engine_reads)
{
    for (int fresh = 0; fresh < 2; fresh++) {
        kpi_engine *e = engine_fed();
        /* round 0: the threads are the first readers (rank cache cold);
         * round 1: the digest is taken first */
        uint64_t want = 0;
        if (fresh) {
            want = engine_reads(e);
            ck_assert(want != 0);
        } else {
            kpi_engine *twin = engine_fed();
            want = engine_reads(twin);
            kpi_engine_free(twin);
        }
        engine_reader r[NTHREADS];
        for (int k = 0; k < NTHREADS; k++)
            r[k] = (engine_reader){e, want, 0};
        on_threads(read_engine, r, sizeof *r);
        for (int k = 0; k < NTHREADS; k++) {
            ck_assert_msg(r[k].mismatches == 0, "engine reader %d: %d mismatches", k,
                          r[k].mismatches);
        }
        ck_assert(engine_reads(e) == want);
        kpi_engine_free(e);
    }
}
END_TEST

static Suite *threads_suite(void)
{
    TCase *tc;
    Suite *s = rb_suite("threads", &tc);
    tcase_add_test(tc, shards_on_threads_merge_to_one);
    tcase_add_loop_test(tc, concurrent_const_reads, 0, (int)RB_NTYPES);
    tcase_add_loop_test(tc, concurrent_value_reads, 0, (int)RB_NTYPES);
    tcase_add_test(tc, concurrent_engine_reads);
    return s;
}

KPI_TEST_MAIN(threads_suite)
