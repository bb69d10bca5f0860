/*
 * The accumulator table shared by the hardening suites (test_alloc,
 * test_props, test_threads): one row per accumulator type with the verbs
 * those suites need, so that adding a type to all three is one row here.
 *
 * Every row knows how to make an empty object with a given allocator, how
 * to draw the i-th event of a random stream, feed it one by one or as a
 * batch (the type's add_array), spoil an event so that a batch is
 * rejected, read a few figures, and compare two objects that should hold
 * the same data (by serialized bytes where the state is exactly
 * mergeable, by the sketch's promise where it is not).
 *
 * The ticket engine is left out on purpose: its allocation behaviour is
 * covered by tests/test_engine.c.
 * SPDX-License-Identifier: MIT
 */
#ifndef KPI_ROBUST_H
#define KPI_ROBUST_H

#include "kpi.h"
#include "testutil.h"

/* Threads: make, add, add_n, finish, merge, ser and reads of every row
 * make no Check call, so that tests/test_threads.c may run them on other
 * threads (and test_alloc may watch the C library's allocator around
 * them: Check's assertions take memory from it). */

/* ---- events -------------------------------------------------------------
 * One generic event; each row gives its fields a meaning.  `key` is the
 * shard key: streams are split by key (customer for a journey, agent for a
 * group), so a sharded run sees the same per-key order as a single one. */
typedef struct rb_ev {
    uint64_t key;
    int64_t t;     /* event time (monotone in the stream) */
    int64_t v[3];  /* small integers */
    double x;      /* a real amount (a multiple of 1/8: sums stay exact) */
    char label[40]; /* long enough to pass top-k's 24 inline label bytes */
} rb_ev;

#define RB_MAX_READS 24

typedef struct rb_type rb_type;
struct rb_type {
    const char *name;
    /* an empty, configured object using `a` (NULL = libc) */
    int (*make)(void **out, const kpi_allocator *a);
    void (*destroy)(void *o);
    int (*clone)(const void *o, void **out);
    int (*merge)(void *dst, const void *src); /* NULL: not mergeable */
    int (*ser)(const void *o, void *buf, size_t cap, size_t *len);
    int (*deser)(void **out, const void *buf, size_t len,
                 const kpi_allocator *a);
    /* the i-th event of the stream drawn from r */
    void (*gen)(test_rng *r, size_t i, rb_ev *e);
    int (*add)(void *o, const rb_ev *e);
    int (*add_n)(void *o, const rb_ev *e, size_t n); /* NULL: no batch call */
    void (*spoil)(rb_ev *e); /* make the event invalid; NULL: impossible */
    int (*finish)(void *o);  /* before a merge (NULL: nothing to do) */
    /* the single call whose allocations the sweep fails (NULL: add) */
    int (*grow)(void *o, const rb_ev *e);
    size_t (*reads)(const void *o, double *v);
    /* assert a and b hold the same data within the sketch's promise;
     * NULL: their serialized bytes must be equal */
    void (*close)(const void *a, const void *b, const char *ctx);
    size_t grow_steps;  /* growth states swept by test_alloc */
    int grow_allocates; /* some grow step must allocate */
    int merge_props;    /* merging non-empty shards is allowed */
    const rb_type *member; /* groups: the member row */
};

/* A read inside a reads function (which declares `int rc_;`): the value
 * the call wrote, or a marker for its status code. */
#define RD(call, val)                                                        \
    ((rc_ = (call)) == KPI_OK ? (double)(val) : (double)rc_ * 1e250)

/* ---- verbs shared by every row ------------------------------------------ */

#define RB_VERBS_BASE(T)                                                     \
    static void T##_destroy_(void *o) { kpi_##T##_free(o); }                 \
    static int T##_clone_(const void *o, void **out)                         \
    {                                                                        \
        kpi_##T *p = NULL;                                                   \
        int rc = kpi_##T##_clone(o, &p);                                     \
        if (rc == KPI_OK)                                                    \
            *out = p;                                                        \
        return rc;                                                           \
    }                                                                        \
    static int T##_ser_(const void *o, void *b, size_t c, size_t *l)         \
    {                                                                        \
        return kpi_##T##_serialize(o, b, c, l);                              \
    }                                                                        \
    static int T##_deser_(void **out, const void *b, size_t l,               \
                          const kpi_allocator *a)                            \
    {                                                                        \
        kpi_##T *p = NULL;                                                   \
        int rc = kpi_##T##_deserialize_with(&p, b, l, a);                    \
        if (rc == KPI_OK)                                                    \
            *out = p;                                                        \
        return rc;                                                           \
    }
#define RB_VERBS(T)                                                          \
    RB_VERBS_BASE(T)                                                         \
    static int T##_merge_(void *d, const void *s)                            \
    {                                                                        \
        return kpi_##T##_merge(d, s);                                        \
    }

RB_VERBS(score)
RB_VERBS(rate)
RB_VERBS(mean)
RB_VERBS(ratio)
RB_VERBS(duration)
RB_VERBS(aht)
RB_VERBS(service_level)
RB_VERBS_BASE(sla_policy)
RB_VERBS_BASE(calendar)
RB_VERBS(series)
RB_VERBS(topk)
RB_VERBS(topk_id)
RB_VERBS(distinct)
RB_VERBS(customers)
RB_VERBS(journey)
RB_VERBS(group)

/* Hand *out an object built by `rc = make` then configured by `config`;
 * on a failed configuration the object is freed and the status returned. */
#define RB_MAKE(T, out, make_call, config)                                   \
    do {                                                                     \
        kpi_##T *p_ = NULL;                                                  \
        int rc_ = (make_call);                                               \
        if (rc_ == KPI_OK && (rc_ = (config)) != KPI_OK)                     \
            kpi_##T##_free(p_);                                              \
        if (rc_ == KPI_OK)                                                   \
            *(out) = p_;                                                     \
        return rc_;                                                          \
    } while (0)

/* A scratch array of n elements for a batch call (libc, not the object's
 * allocator: the sweeps count only the library's allocations), in a
 * function returning a status; no Check call (threads, and the C
 * library's allocator watched by test_alloc). */
#define RB_ARRAY(type, name, n)                                              \
    type *name = malloc(((n) ? (n) : 1) * sizeof *name);                     \
    if (name == NULL)                                                        \
    abort()

/* A batch wrapper over a one-array add_array call: a[i] = VALUE (of
 * e[i]), then CALL (of o, a, n). */
#define RB_BATCH(NAME, ELEM, VALUE, CALL)                                    \
    static int NAME(void *o, const rb_ev *e, size_t n)                       \
    {                                                                        \
        RB_ARRAY(ELEM, a, n);                                                \
        for (size_t i = 0; i < n; i++)                                       \
            a[i] = (VALUE);                                                  \
        int rc = (CALL);                                                     \
        free(a);                                                             \
        return rc;                                                           \
    }

/* ---- score (CSAT 1..5, NPS 0..10, CES 1..7) ------------------------------ */

static int csat_make(void **out, const kpi_allocator *a)
{
    RB_MAKE(score, out, kpi_score_new_with(&p_, 1, 5, a),
            kpi_score_set_threshold(p_, 4));
}
static int nps_make(void **out, const kpi_allocator *a)
{
    RB_MAKE(score, out, kpi_score_new_with(&p_, 0, 10, a), KPI_OK);
}
static int ces_make(void **out, const kpi_allocator *a)
{
    RB_MAKE(score, out, kpi_score_new_with(&p_, 1, 7, a),
            kpi_score_set_threshold(p_, 5));
}
static void score_gen(test_rng *r, size_t i, rb_ev *e)
{
    (void)i;
    e->key = test_rand(r);
    e->v[0] = test_range(r, 0, 1000);
}
/* the answer on the object's own scale; v[0] < 0 is one past the top */
static int32_t score_answer(const void *o, const rb_ev *e)
{
    int32_t lo = 0, hi = 0;
    if (kpi_score_scale(o, &lo, &hi) != KPI_OK) /* no check call: threads */
        return INT32_MIN;
    return e->v[0] < 0 ? hi + 1 : lo + (int32_t)(e->v[0] % (hi - lo + 1));
}
static int score_add(void *o, const rb_ev *e)
{
    return kpi_score_add(o, score_answer(o, e));
}
RB_BATCH(score_add_n, int32_t, score_answer(o, &e[i]),
         kpi_score_add_array(o, a, n))
static void score_spoil(rb_ev *e) { e->v[0] = -1; }
static size_t score_reads(const void *o, double *v)
{
    int rc_;
    kpi_estimate c, n;
    double m;
    uint64_t d[11] = {0};
    size_t k = 0;
    v[k++] = (double)kpi_score_count(o);
    v[k++] = RD(kpi_score_mean(o, &m), m);
    v[k++] = RD(kpi_score_csat(o, &c), c.value);
    v[k++] = RD(kpi_score_ces_easy(o, &c), c.upper);
    v[k++] = RD(kpi_score_nps(o, &n), n.value);
    v[k++] = RD(kpi_score_distribution(o, d, 11), 0);
    for (size_t i = 0; i < 11; i++)
        v[k++] = (double)d[i];
    return k;
}

/* ---- rate ---------------------------------------------------------------- */

static int rate_make(void **out, const kpi_allocator *a)
{
    RB_MAKE(rate, out, kpi_rate_new_with(&p_, a), KPI_OK);
}
static void rate_gen(test_rng *r, size_t i, rb_ev *e)
{
    (void)i;
    e->key = test_rand(r);
    e->v[0] = test_uniform(r) < 0.3;
}
static int rate_add(void *o, const rb_ev *e)
{
    return kpi_rate_add(o, (int)e->v[0]);
}
RB_BATCH(rate_add_n, uint8_t, (uint8_t)e[i].v[0],
         kpi_rate_add_array(o, a, n))
static void rate_spoil(rb_ev *e) { e->v[0] = 2; }
static size_t rate_reads(const void *o, double *v)
{
    int rc_;
    kpi_estimate s;
    v[0] = (double)kpi_rate_successes(o);
    v[1] = (double)kpi_rate_trials(o);
    v[2] = RD(kpi_rate_share(o, &s), s.lower);
    return 3;
}

/* ---- mean ---------------------------------------------------------------- */

static int mean_make(void **out, const kpi_allocator *a)
{
    RB_MAKE(mean, out, kpi_mean_new_with(&p_, a), KPI_OK);
}
static void real_gen(test_rng *r, size_t i, rb_ev *e)
{
    (void)i;
    e->key = test_rand(r);
    e->x = (double)test_range(r, -400, 800) / 8.0;
    e->v[0] = test_range(r, 0, 80); /* a denominator, for ratios */
}
static int mean_add(void *o, const rb_ev *e) { return kpi_mean_add(o, e->x); }
RB_BATCH(mean_add_n, double, e[i].x,
         kpi_mean_add_array(o, a, n))
static void real_spoil(rb_ev *e)
{
    e->x = NAN;
    e->v[0] = -1;
}
static size_t mean_reads(const void *o, double *v)
{
    int rc_;
    kpi_estimate m;
    double x;
    size_t k = 0;
    v[k++] = (double)kpi_mean_count(o);
    v[k++] = RD(kpi_mean_mean_ci(o, &m), m.value);
    v[k++] = RD(kpi_mean_variance(o, &x), x);
    v[k++] = RD(kpi_mean_min(o, &x), x);
    v[k++] = RD(kpi_mean_max(o, &x), x);
    return k;
}

/* two objects whose reads agree to a relative 1e-9 (floating sums in
 * another order) */
static void rb_reads_close(size_t (*reads)(const void *, double *),
                           const void *a, const void *b, double rtol,
                           const char *ctx)
{
    double va[RB_MAX_READS], vb[RB_MAX_READS];
    size_t na = reads(a, va), nb = reads(b, vb);
    ck_assert_uint_eq(na, nb);
    for (size_t i = 0; i < na; i++)
        ck_assert_msg(fabs(va[i] - vb[i]) <= rtol * fmax(1.0, fabs(va[i])),
                      "%s read %zu: %.17g vs %.17g", ctx, i, va[i], vb[i]);
}
static void mean_close(const void *a, const void *b, const char *ctx)
{
    rb_reads_close(mean_reads, a, b, 1e-9, ctx);
}

/* ---- ratio --------------------------------------------------------------- */

static int ratio_make(void **out, const kpi_allocator *a)
{
    RB_MAKE(ratio, out,
            kpi_ratio_new_with(&p_, KPI_RATIO_COST_PER_TICKET, a), KPI_OK);
}
static int ratio_add(void *o, const rb_ev *e)
{
    return kpi_ratio_add(o, e->x, (double)e->v[0]);
}
static int ratio_add_n(void *o, const rb_ev *e, size_t n)
{
    RB_ARRAY(double, num, n);
    RB_ARRAY(double, den, n);
    for (size_t i = 0; i < n; i++) {
        num[i] = e[i].x;
        den[i] = (double)e[i].v[0];
    }
    int rc = kpi_ratio_add_array(o, num, den, n);
    free(num);
    free(den);
    return rc;
}
static size_t ratio_reads(const void *o, double *v)
{
    int rc_;
    double x;
    v[0] = kpi_ratio_numerator(o);
    v[1] = kpi_ratio_denominator(o);
    v[2] = (double)kpi_ratio_count(o);
    v[3] = RD(kpi_ratio_value(o, &x), x);
    return 4;
}
static void ratio_close(const void *a, const void *b, const char *ctx)
{
    rb_reads_close(ratio_reads, a, b, 1e-9, ctx);
}

/* ---- duration and AHT ------------------------------------------------------ */

static int duration_make(void **out, const kpi_allocator *a)
{
    RB_MAKE(duration, out, kpi_duration_new_with(&p_, 0.02, a),
            kpi_duration_add_target(p_, 60000));
}
/* log-uniform from 1 ms to about 3 hours: many buckets */
static int64_t log_ms(test_rng *r)
{
    return (int64_t)exp(test_uniform(r) * 16.0);
}
static void duration_gen(test_rng *r, size_t i, rb_ev *e)
{
    (void)i;
    e->key = test_rand(r);
    for (int k = 0; k < 3; k++)
        e->v[k] = log_ms(r);
    if (test_uniform(r) < 0.05)
        e->v[0] = 0;
}
static int duration_add(void *o, const rb_ev *e)
{
    return kpi_duration_add(o, e->v[0]);
}
RB_BATCH(duration_add_n, int64_t, e[i].v[0],
         kpi_duration_add_array(o, a, n))
static void duration_spoil(rb_ev *e) { e->v[0] = e->v[1] = e->v[2] = -5; }
static size_t duration_reads(const void *o, double *v)
{
    int rc_;
    int64_t i;
    double x;
    kpi_estimate s;
    size_t k = 0;
    v[k++] = (double)kpi_duration_count(o);
    v[k++] = RD(kpi_duration_sum(o, &i), (double)i);
    v[k++] = RD(kpi_duration_min(o, &i), (double)i);
    v[k++] = RD(kpi_duration_max(o, &i), (double)i);
    v[k++] = RD(kpi_duration_mean(o, &x), x);
    v[k++] = RD(kpi_duration_quantile(o, 0.5, &x), x);
    v[k++] = RD(kpi_duration_quantile(o, 0.9, &x), x);
    v[k++] = RD(kpi_duration_share_within(o, 60000, &s), s.value);
    v[k++] = RD(kpi_duration_share_within(o, 1000, &s), s.value);
    return k;
}

static int aht_make(void **out, const kpi_allocator *a)
{
    RB_MAKE(aht, out, kpi_aht_new_with(&p_, a), KPI_OK);
}
static int aht_add(void *o, const rb_ev *e)
{
    return kpi_aht_add(o, e->v[0], e->v[1], e->v[2]);
}
static int aht_add_n(void *o, const rb_ev *e, size_t n)
{
    RB_ARRAY(int64_t, t, n);
    RB_ARRAY(int64_t, h, n);
    RB_ARRAY(int64_t, w, n);
    for (size_t i = 0; i < n; i++) {
        t[i] = e[i].v[0];
        h[i] = e[i].v[1];
        w[i] = e[i].v[2];
    }
    int rc = kpi_aht_add_array(o, t, h, w, n);
    free(t);
    free(h);
    free(w);
    return rc;
}
static size_t aht_reads(const void *o, double *v)
{
    int rc_;
    double x;
    size_t k = 0;
    v[k++] = (double)kpi_aht_count(o);
    v[k++] = RD(kpi_aht_mean(o, &x), x);
    for (int c = KPI_AHT_TALK; c <= KPI_AHT_AFTER_WORK; c++)
        v[k++] = RD(kpi_aht_component_mean(o, c, &x), x);
    v[k++] = RD(kpi_aht_quantile(o, 0.5, &x), x);
    v[k++] = RD(kpi_aht_quantile(o, 0.95, &x), x);
    return k;
}

/* ---- service level ------------------------------------------------------- */

static int service_level_make(void **out, const kpi_allocator *a)
{
    RB_MAKE(service_level, out,
            kpi_service_level_new_with(&p_, 20000, 5000, a), KPI_OK);
}
static void service_level_gen(test_rng *r, size_t i, rb_ev *e)
{
    (void)i;
    e->key = test_rand(r);
    e->v[0] = test_range(r, 0, 90000);
    double u = test_uniform(r);
    e->v[1] = u < 0.75 ? KPI_CONTACT_ANSWERED
              : u < 0.95 ? KPI_CONTACT_ABANDONED : KPI_CONTACT_UNSERVED;
}
static int service_level_add(void *o, const rb_ev *e)
{
    return kpi_service_level_add(o, e->v[0], (int)e->v[1]);
}
static int service_level_add_n(void *o, const rb_ev *e, size_t n)
{
    RB_ARRAY(int64_t, w, n);
    RB_ARRAY(int, c, n);
    for (size_t i = 0; i < n; i++) {
        w[i] = e[i].v[0];
        c[i] = (int)e[i].v[1];
    }
    int rc = kpi_service_level_add_array(o, w, c, n);
    free(w);
    free(c);
    return rc;
}
static void service_level_spoil(rb_ev *e) { e->v[1] = 7; }
static size_t service_level_reads(const void *o, double *v)
{
    int rc_;
    kpi_estimate s;
    double x;
    size_t k = 0;
    v[k++] = (double)kpi_service_level_offered(o);
    v[k++] = (double)kpi_service_level_answered(o);
    v[k++] = (double)kpi_service_level_abandoned(o);
    for (int f = KPI_SL_ANSWERED_OVER_OFFERED; f <= KPI_SL_EXCLUDE_ABANDONS_IN_T; f++)
        v[k++] = RD(kpi_service_level_share(o, f, &s), s.value);
    v[k++] = RD(kpi_service_level_abandon_rate(o, &s), s.value);
    v[k++] = RD(kpi_service_level_asa(o, &x), x);
    v[k++] = RD(kpi_service_level_wait_quantile(o, 0.8, &x), x);
    return k;
}

/* ---- calendar and SLA policy (configuration objects: no merge) ------------ */

static int calendar_make(void **out, const kpi_allocator *a)
{
    RB_MAKE(calendar, out,
            kpi_calendar_new_with(&p_, "CET-1CEST,M3.5.0,M10.5.0/3", a),
            KPI_OK);
}
static void calendar_gen(test_rng *r, size_t i, rb_ev *e)
{
    e->key = test_rand(r);
    /* hours (16 a day at most: the first 112), holidays, closures */
    e->v[0] = i % 3 == 0 && i / 3 < 112 ? 0 : 1 + (int64_t)(i % 2);
    e->v[1] = e->v[0] == 0 ? (int64_t)(i / 3) : (int64_t)i; /* all unique */
    e->v[2] = test_range(r, 0, 29);
}
/* 2026-01-01T00:00:00Z */
#define RB_T2026 INT64_C(1767225600000)
static int calendar_add(void *o, const rb_ev *e)
{
    int32_t j = (int32_t)e->v[1];
    switch (e->v[0]) {
    case 0: /* weekday j % 7, slot j / 7 of one hour (at most 16 a day) */
        return kpi_calendar_add_hours(o, j % 7, 60 * (j / 7 % 16) + 360,
                                      60 * (j / 7 % 16) + 360 + 30 + (int32_t)e->v[2]);
    case 1:
        return kpi_calendar_add_holiday(o, 2026 + j / 336, 1 + j / 28 % 12,
                                        1 + j % 28);
    default:
        return kpi_calendar_add_closure(o, 2036 + j / 336, 1 + j / 28 % 12,
                                        1 + j % 28, 600, 900 + (int32_t)e->v[2]);
    }
}
static size_t calendar_reads(const void *o, double *v)
{
    int rc_;
    int64_t x;
    int open;
    size_t k = 0;
    v[k++] = RD(kpi_calendar_elapsed(o, RB_T2026, RB_T2026 + 60 * KPI_MS_PER_DAY, &x),
                   (double)x);
    v[k++] = RD(kpi_calendar_due(o, RB_T2026, 7 * KPI_MS_PER_HOUR, &x), (double)x);
    for (int h = 0; h < 8; h++)
        v[k++] = RD(kpi_calendar_is_open(o, RB_T2026 + h * 31 * KPI_MS_PER_HOUR, &open),
                       open);
    v[k++] = (double)kpi_calendar_week_ms(o);
    return k;
}

static int sla_policy_make(void **out, const kpi_allocator *a)
{
    /* the calendar with the same allocator: every block of the row's
     * calls comes from `a` (test_alloc sweeps and watches them) */
    kpi_calendar *cal = NULL;
    int rc = kpi_calendar_new_with(&cal, "UTC0", a);
    for (int d = 1; d <= 5 && rc == KPI_OK; d++)
        rc = kpi_calendar_add_hours(cal, d, 9 * 60, 17 * 60);
    kpi_sla_policy *p = NULL;
    if (rc == KPI_OK)
        rc = kpi_sla_policy_new_with(&p, cal, a);
    kpi_calendar_free(cal);
    if (rc == KPI_OK)
        *out = p;
    return rc;
}
static void sla_policy_gen(test_rng *r, size_t i, rb_ev *e)
{
    e->key = test_rand(r);
    e->v[0] = test_range(r, 0, KPI_SLA_PRIORITIES - 1);
    e->v[1] = test_range(r, KPI_SLA_FIRST_RESPONSE, KPI_SLA_RESOLUTION);
    e->v[2] = test_range(r, 0, 48) * KPI_MS_PER_HOUR / 2;
    e->x = (double)(i % 2);
}
static int sla_policy_add(void *o, const rb_ev *e)
{
    return kpi_sla_policy_set_target(o, (uint32_t)e->v[0], (int)e->v[1], e->v[2],
                                     (int)e->x);
}
static size_t sla_policy_reads(const void *o, double *v)
{
    int rc_;
    size_t k = 0;
    for (uint32_t p = 0; p < 3; p++)
        for (int m = KPI_SLA_FIRST_RESPONSE; m <= KPI_SLA_RESOLUTION; m++) {
            int64_t t, due;
            int bh;
            v[k++] = RD(kpi_sla_policy_target(o, p, m, &t, &bh), (double)t + bh);
            v[k++] = RD(kpi_sla_policy_due(o, p, m, RB_T2026, 0, &due), (double)due);
        }
    return k;
}

/* ---- series (without and with a Holt-Winters forecast) --------------------- */

static int series_make(void **out, const kpi_allocator *a)
{
    RB_MAKE(series, out,
            kpi_series_new_with(&p_, KPI_MS_PER_HOUR, 48, 0, a), KPI_OK);
}
static int series_hw_make(void **out, const kpi_allocator *a)
{
    RB_MAKE(series, out,
            kpi_series_new_with(&p_, KPI_MS_PER_HOUR, 48, 0, a),
            kpi_series_set_forecast(p_, 6, 0.3, 0.1, 0.2));
}
/* 300 events over about 33 hours, some of them late */
static void series_gen(test_rng *r, size_t i, rb_ev *e)
{
    e->key = test_rand(r);
    e->t = RB_T2026 + (int64_t)i * 400000 - test_range(r, 0, 3) * 400000;
    e->x = (double)test_range(r, 1, 5);
}
static int series_add(void *o, const rb_ev *e)
{
    return kpi_series_add(o, e->t, e->x);
}
static int series_add_n(void *o, const rb_ev *e, size_t n)
{
    RB_ARRAY(int64_t, t, n);
    RB_ARRAY(double, x, n);
    for (size_t i = 0; i < n; i++) {
        t[i] = e[i].t;
        x[i] = e[i].x;
    }
    int rc = kpi_series_add_array(o, t, x, n);
    free(t);
    free(x);
    return rc;
}
static void series_spoil(rb_ev *e) { e->x = NAN; }
static size_t series_reads(const void *o, double *v)
{
    int rc_;
    double x, f[3];
    int64_t t;
    kpi_estimate fi;
    size_t k = 0;
    v[k++] = RD(kpi_series_total(o, &x), x);
    v[k++] = RD(kpi_series_last(o, 24, &x), x);
    v[k++] = RD(kpi_series_last(o, 3, &x), x);
    v[k++] = RD(kpi_series_latest(o, &t), (double)t);
    int rc = kpi_series_forecast(o, 3, f, 3);
    for (int h = 0; h < 3; h++)
        v[k++] = RD(rc, f[h]);
    v[k++] = RD(kpi_series_forecast_interval(o, 1, &fi), fi.upper);
    return k;
}

/* ---- top-k (labels and ids) ------------------------------------------------ */

static int topk_make(void **out, const kpi_allocator *a)
{
    RB_MAKE(topk, out, kpi_topk_new_with(&p_, 16, a), KPI_OK);
}
static int topk_id_make(void **out, const kpi_allocator *a)
{
    RB_MAKE(topk_id, out, kpi_topk_id_new_with(&p_, 16, a), KPI_OK);
}
/* a skewed universe of 40 labels (more than the capacity: evictions);
 * the first events name new labels, and every third label is longer
 * than the 24 bytes kept inline, which is the growth path (the arena) */
static void topk_gen(test_rng *r, size_t i, rb_ev *e)
{
    e->key = test_rand(r);
    double u = test_uniform(r);
    e->v[0] = i < 24 ? (int64_t)i : (int64_t)(40 * u * u);
    snprintf(e->label, sizeof e->label, "label-%02d%s", (int)e->v[0],
             e->v[0] % 3 ? "" : "-long-enough-for-the-arena");
}
static int topk_add(void *o, const rb_ev *e)
{
    return kpi_topk_add(o, e->label, strlen(e->label), 1);
}
RB_BATCH(topk_add_n, const char *, e[i].label,
         kpi_topk_add_array(o, a, NULL, n))
static void topk_spoil(rb_ev *e) { e->label[0] = '\0'; }
static size_t topk_reads(const void *o, double *v)
{
    int rc_;
    size_t k = 0;
    v[k++] = (double)kpi_topk_total(o);
    v[k++] = (double)kpi_topk_size(o);
    v[k++] = (double)kpi_topk_error_bound(o);
    for (size_t rank = 0; rank < 4; rank++) {
        const char *l;
        size_t len;
        uint64_t c, lo, hi;
        int rc = kpi_topk_entry(o, rank, &l, &len, &c, &lo, &hi);
        v[k++] = RD(rc, (double)c);
        v[k++] = RD(rc, (double)lo);
    }
    return k;
}
/* Space-Saving merges are not exact: both objects' bounds for the heavy
 * labels must contain the true count, so the intervals overlap; totals
 * are exact, and unmonitored labels stay below the error bound. */
/* The bounds of the heavy item i (0..3) in o: [lower, upper], or
 * [0, error bound] when it is not monitored. */
typedef void (*rb_bounds_fn)(const void *o, int i, uint64_t *lo, uint64_t *hi);

/* Space-Saving merges are not exact.  Both objects' bounds for the heavy
 * items must contain the true count, so they overlap; totals are exact,
 * and the error bound stays at most N / m (m = 16). */
static void rb_topk_promise(const void *a, const void *b, uint64_t total_a,
                            uint64_t total_b, uint64_t bound_a, uint64_t bound_b,
                            rb_bounds_fn bounds, const char *ctx)
{
    ck_assert_uint_eq(total_a, total_b);
    ck_assert_uint_le(bound_a, total_a / 16);
    ck_assert_uint_le(bound_b, total_b / 16);
    for (int i = 0; i < 4; i++) {
        uint64_t lo[2], hi[2];
        bounds(a, i, &lo[0], &hi[0]);
        bounds(b, i, &lo[1], &hi[1]);
        ck_assert_msg(lo[0] <= hi[1] && lo[1] <= hi[0],
                      "top-k %s: item %d bounds [%llu, %llu] and [%llu, %llu]", ctx, i,
                      (unsigned long long)lo[0], (unsigned long long)hi[0],
                      (unsigned long long)lo[1], (unsigned long long)hi[1]);
    }
}
static void rb_unmonitored(int rc, uint64_t bound, uint64_t *lo, uint64_t *hi)
{
    if (rc == KPI_ERR_UNKNOWN_ID) {
        *lo = 0;
        *hi = bound;
    } else {
        ck_assert_ok(rc);
    }
}
static void topk_bounds(const void *o, int i, uint64_t *lo, uint64_t *hi)
{
    char l[16];
    uint64_t c;
    snprintf(l, sizeof l, "label-%02d%s", i, i % 3 ? "" : "-long");
    rb_unmonitored(kpi_topk_estimate(o, l, strlen(l), &c, lo, hi),
                   kpi_topk_error_bound(o), lo, hi);
}
static void topk_close(const void *a, const void *b, const char *ctx)
{
    rb_topk_promise(a, b, kpi_topk_total(a), kpi_topk_total(b),
                    kpi_topk_error_bound(a), kpi_topk_error_bound(b), topk_bounds, ctx);
}
static int topk_id_add(void *o, const rb_ev *e)
{
    return kpi_topk_id_add(o, (uint64_t)e->v[0] * 1000003u, 1);
}
RB_BATCH(topk_id_add_n, uint64_t, (uint64_t)e[i].v[0] * 1000003u,
         kpi_topk_id_add_array(o, a, n))
static size_t topk_id_reads(const void *o, double *v)
{
    int rc_;
    size_t k = 0;
    v[k++] = (double)kpi_topk_id_total(o);
    v[k++] = (double)kpi_topk_id_size(o);
    v[k++] = (double)kpi_topk_id_error_bound(o);
    for (size_t rank = 0; rank < 4; rank++) {
        uint64_t id, c, lo, hi;
        int rc = kpi_topk_id_entry(o, rank, &id, &c, &lo, &hi);
        v[k++] = RD(rc, (double)id);
        v[k++] = RD(rc, (double)c);
    }
    return k;
}
static void topk_id_bounds(const void *o, int i, uint64_t *lo, uint64_t *hi)
{
    uint64_t c;
    rb_unmonitored(kpi_topk_id_estimate(o, (uint64_t)i * 1000003u, &c, lo, hi),
                   kpi_topk_id_error_bound(o), lo, hi);
}
static void topk_id_close(const void *a, const void *b, const char *ctx)
{
    rb_topk_promise(a, b, kpi_topk_id_total(a), kpi_topk_id_total(b),
                    kpi_topk_id_error_bound(a), kpi_topk_id_error_bound(b),
                    topk_id_bounds, ctx);
}

/* Categorical codes: small ids (the dense batch path of
 * kpi_topk_id_add_array), 14 codes and, now and then, one of two ids
 * beyond the dense bound (batches holding one go one id at a time): at
 * most 16 distinct ids in a summary of 16, so it stays exact. */
static void topk_id_codes_gen(test_rng *r, size_t i, rb_ev *e)
{
    e->key = test_rand(r);
    double u = test_uniform(r);
    e->v[0] = i < 8 ? (int64_t)i : (int64_t)(14 * u * u);
    if (test_range(r, 0, 49) == 0)
        e->v[0] = 256 + test_range(r, 0, 1) * 1000;
}
static int topk_id_codes_add(void *o, const rb_ev *e)
{
    return kpi_topk_id_add(o, (uint64_t)e->v[0], 1);
}
RB_BATCH(topk_id_codes_add_n, uint64_t, (uint64_t)e[i].v[0],
         kpi_topk_id_add_array(o, a, n))
/* Exact objects (error bound 0) must read the same at every rank (the
 * order of equal counts inside the summary, which a batch may set
 * differently, is never read); others keep the promise. */
static void topk_id_codes_close(const void *a, const void *b, const char *ctx)
{
    if (kpi_topk_id_error_bound(a) != 0 || kpi_topk_id_error_bound(b) != 0) {
        topk_id_close(a, b, ctx);
        return;
    }
    ck_assert_uint_eq(kpi_topk_id_total(a), kpi_topk_id_total(b));
    ck_assert_uint_eq(kpi_topk_id_size(a), kpi_topk_id_size(b));
    for (size_t rank = 0; rank < kpi_topk_id_size(a); rank++) {
        uint64_t x[4], y[4];
        ck_assert_ok(kpi_topk_id_entry(a, rank, &x[0], &x[1], &x[2], &x[3]));
        ck_assert_ok(kpi_topk_id_entry(b, rank, &y[0], &y[1], &y[2], &y[3]));
        ck_assert_msg(memcmp(x, y, sizeof x) == 0,
                      "topk_id_codes %s: rank %zu: id %llu count %llu vs id %llu count %llu",
                      ctx, rank, (unsigned long long)x[0], (unsigned long long)x[1],
                      (unsigned long long)y[0], (unsigned long long)y[1]);
    }
}

/* ---- distinct (exact set, then HyperLogLog) --------------------------------- */

static int distinct_exact_make(void **out, const kpi_allocator *a)
{
    RB_MAKE(distinct, out, kpi_distinct_new_with(&p_, 12, a), KPI_OK);
}
/* p = 8: exact up to 32 hashes, then 256 registers */
static int distinct_hll_make(void **out, const kpi_allocator *a)
{
    RB_MAKE(distinct, out, kpi_distinct_new_with(&p_, 8, a), KPI_OK);
}
static void distinct_gen(test_rng *r, size_t i, rb_ev *e)
{
    e->key = test_rand(r);
    e->v[0] = i < 40 ? (int64_t)i : test_range(r, 0, 299);
}
static int distinct_add(void *o, const rb_ev *e)
{
    return kpi_distinct_add(o, (uint64_t)e->v[0]);
}
RB_BATCH(distinct_add_n, uint64_t, (uint64_t)e[i].v[0],
         kpi_distinct_add_array(o, a, n))
static size_t distinct_reads(const void *o, double *v)
{
    int rc_;
    kpi_estimate d;
    int exact;
    v[0] = RD(kpi_distinct_estimate(o, &d), d.value);
    v[1] = RD(kpi_distinct_estimate(o, &d), d.upper);
    v[2] = RD(kpi_distinct_is_exact(o, &exact), exact);
    return 3;
}

/* ---- customers and journeys ----------------------------------------------- */

static int customers_make(void **out, const kpi_allocator *a)
{
    RB_MAKE(customers, out, kpi_customers_new_with(&p_, a),
            kpi_customers_set_margin(p_, 0.25));
}
static void customers_gen(test_rng *r, size_t i, rb_ev *e)
{
    (void)i;
    e->key = test_rand(r);
    e->v[0] = test_range(r, 0, 8);
    e->v[1] = test_range(r, 0, 20);
    e->v[2] = test_range(r, 0, 20);
    e->x = (double)test_range(r, 0, 4000) / 8.0;
}
static int customers_add(void *o, const rb_ev *e)
{
    uint64_t a = (uint64_t)e->v[1], b = (uint64_t)e->v[2];
    switch (e->v[0]) {
    case 0: return kpi_customers_add_new(o, a + b);
    case 1: return kpi_customers_add_lost(o, a);
    case 2: return kpi_customers_add_referred(o, b / 2);
    case 3: return kpi_customers_add_revenue(o, e->x);
    case 4: return kpi_customers_add_interactions(o, a);
    case 5: return kpi_customers_add_purchasers(o, a + b, b);
    case 6: return kpi_customers_add_self_service(o, a + b, b, a);
    case 7: return kpi_customers_add_offered(o, a + b);
    default: return kpi_customers_add_unserved(o, (uint32_t)(a % 3), b / 4);
    }
}
static size_t customers_reads(const void *o, double *v)
{
    int rc_;
    kpi_estimate s;
    uint64_t c;
    size_t k = 0;
    v[k++] = RD(kpi_customers_referral_rate(o, &s), s.value);
    v[k++] = RD(kpi_customers_repeat_share(o, &s), s.value);
    v[k++] = RD(kpi_customers_self_service(o, &s), s.value);
    v[k++] = RD(kpi_customers_self_service_usage(o, &s), s.value);
    v[k++] = RD(kpi_customers_unserved_share(o, &s), s.value);
    v[k++] = RD(kpi_customers_abandon_rate(o, &s), s.value);
    v[k++] = RD(kpi_customers_unserved_count(o, KPI_UNSERVED_NO_AGENT, &c), (double)c);
    return k;
}

static int journey_make(void **out, const kpi_allocator *a)
{
    RB_MAKE(journey, out, kpi_journey_new_with(&p_, 64, KPI_MS_PER_HOUR, a),
            KPI_OK);
}
/* 24 customers, one event a minute: touches on three channels and some
 * resolutions; journeys idle for an hour close as unresolved */
static void journey_gen(test_rng *r, size_t i, rb_ev *e)
{
    e->key = (uint64_t)test_range(r, 0, 23);
    e->t = RB_T2026 + (int64_t)i * KPI_MS_PER_MINUTE;
    e->v[0] = test_range(r, 0, 3);
    e->v[1] = test_range(r, 0, 2);
}
static int journey_add(void *o, const rb_ev *e)
{
    if (e->v[0] < 3)
        return kpi_journey_touch(o, e->key, (uint32_t)e->v[1], e->t);
    int rc = kpi_journey_resolve(o, e->key, e->t);
    return rc == KPI_ERR_UNKNOWN_ID ? KPI_OK : rc;
}
static int journey_finish(void *o)
{
    return kpi_journey_advance(o, RB_T2026 + 400 * KPI_MS_PER_DAY);
}
static size_t journey_reads(const void *o, double *v);
/* A merge adds the closed journeys' statistics and takes the later clock;
 * the time-to-resolution sum is a floating sum whose last bits depend on
 * the order of the merges: same reads. */
static void journey_close(const void *a, const void *b, const char *ctx)
{
    rb_reads_close(journey_reads, a, b, 0.0, ctx);
}
static size_t journey_reads(const void *o, double *v)
{
    int rc_;
    double x;
    uint64_t n = 0; /* written only on success */
    size_t k = 0;
    v[k++] = RD(kpi_journey_touchpoints_mean(o, &x), x);
    v[k++] = RD(kpi_journey_switches_mean(o, &x), x);
    v[k++] = RD(kpi_journey_resolution_mean(o, &x, &n), x);
    v[k++] = (double)n;
    v[k++] = (double)kpi_journey_open(o);
    v[k++] = (double)kpi_journey_unresolved(o);
    v[k++] = (double)kpi_journey_evicted(o);
    return k;
}

/* ---- helpers over a row ----------------------------------------------------- */

/* the serialized state in a malloc'd buffer */
static inline unsigned char *rb_bytes(const rb_type *T, const void *o, size_t *len)
{
    ck_assert_ok(T->ser(o, NULL, 0, len));
    unsigned char *b = malloc(*len);
    ck_assert_ptr_nonnull(b);
    ck_assert_ok(T->ser(o, b, *len, len));
    return b;
}

/* assert o's state is exactly `before` */
static inline void rb_unchanged(const rb_type *T, const void *o,
                                const unsigned char *before, size_t len,
                                const char *ctx)
{
    size_t l;
    unsigned char *now = rb_bytes(T, o, &l);
    ck_assert_msg(l == len && memcmp(now, before, len) == 0,
                  "%s: %s: state changed", T->name, ctx);
    free(now);
}

/* assert a and b hold the same data: equal bytes, or the row's promise */
static inline void rb_same(const rb_type *T, const void *a, const void *b,
                           const char *ctx)
{
    size_t la, lb;
    unsigned char *ba = rb_bytes(T, a, &la), *bb = rb_bytes(T, b, &lb);
    int same = la == lb && memcmp(ba, bb, la) == 0;
    free(ba);
    free(bb);
    if (same)
        return;
    ck_assert_msg(T->close != NULL, "%s: %s: states differ", T->name, ctx);
    T->close(a, b, ctx);
}

/* assert two read vectors are identical (bit for bit, NaN included) */
static inline void rb_reads_equal(const rb_type *T, const void *a, const void *b,
                                  const char *ctx)
{
    double va[RB_MAX_READS], vb[RB_MAX_READS];
    size_t na = T->reads(a, va), nb = T->reads(b, vb);
    ck_assert_uint_le(na, RB_MAX_READS);
    ck_assert_uint_eq(na, nb);
    ck_assert_msg(memcmp(va, vb, na * sizeof *va) == 0, "%s: %s: reads differ",
                  T->name, ctx);
}

/* ---- groups (members of several types) ------------------------------------ */

/* A group keyed by agent (0..19: the table grows twice) whose members are rows of another type;
 * events are the member's events with the agent as key. */
static int group_make_of(const rb_type *m, void **out, const kpi_allocator *a)
{
    void *proto = NULL;
    kpi_group *g = NULL;
    int rc = m->make(&proto, a); /* no check call: threads */
    if (rc != KPI_OK)
        return rc;
    rc = kpi_group_new_with(&g, proto, a);
    m->destroy(proto);
    if (rc == KPI_OK)
        *out = g;
    return rc;
}
static void group_gen_of(const rb_type *m, test_rng *r, size_t i, rb_ev *e)
{
    m->gen(r, i, e);
    e->key = i < 20 ? i : (uint64_t)test_range(r, 0, 19);
}
static int group_add_of(const rb_type *m, void *o, const rb_ev *e)
{
    void *acc;
    int rc = kpi_group_get(o, e->key, &acc);
    return rc == KPI_OK ? m->add(acc, e) : rc;
}
/* the group's own growth: a member for a new key */
static int group_grow(void *o, const rb_ev *e)
{
    void *acc;
    return kpi_group_get(o, e->key, &acc);
}
static size_t group_reads_of(const rb_type *m, const void *o, double *v)
{
    void *tot = NULL;
    int rc_;
    v[0] = (double)kpi_group_size(o);
    if (kpi_group_size(o) == 0)
        return 1;
    v[1] = RD(kpi_group_total(o, &tot), 0);
    if (rc_ != KPI_OK)
        return 2;
    size_t k = 1 + m->reads(tot, v + 1);
    m->destroy(tot);
    return k;
}
/* groups hold their members in the order the keys arrived, which a merge
 * does not keep: the same keys, and each member the same data */
static void group_close_of(const rb_type *m, const void *a, const void *b,
                           const char *ctx)
{
    size_t na, nb;
    uint64_t ka[32], kb[32];
    ck_assert_ok(kpi_group_keys(a, ka, 32, &na));
    ck_assert_ok(kpi_group_keys(b, kb, 32, &nb));
    ck_assert_uint_eq(na, nb);
    for (size_t i = 0; i < na; i++) {
        const void *ma, *mb;
        ck_assert(ka[i] == kb[i]);
        ck_assert_ok(kpi_group_find(a, ka[i], &ma));
        ck_assert_ok(kpi_group_find(b, kb[i], &mb));
        rb_same(m, ma, mb, ctx);
    }
}

#define RB_GROUP(NAME, MEMBER)                                               \
    static int NAME##_make(void **out, const kpi_allocator *a)               \
    {                                                                        \
        return group_make_of(&MEMBER##_row_, out, a);                        \
    }                                                                        \
    static void NAME##_gen(test_rng *r, size_t i, rb_ev *e)                  \
    {                                                                        \
        group_gen_of(&MEMBER##_row_, r, i, e);                               \
    }                                                                        \
    static int NAME##_add(void *o, const rb_ev *e)                           \
    {                                                                        \
        return group_add_of(&MEMBER##_row_, o, e);                           \
    }                                                                        \
    static size_t NAME##_reads(const void *o, double *v)                     \
    {                                                                        \
        return group_reads_of(&MEMBER##_row_, o, v);                         \
    }

#define RB_GROUP_CLOSE(NAME, MEMBER)                                         \
    static void NAME##_close(const void *a, const void *b, const char *ctx)  \
    {                                                                        \
        group_close_of(&MEMBER##_row_, a, b, ctx);                           \
    }

/* ---- the table ------------------------------------------------------------ */

#define RB_ROW(NAME, T, MAKE, GEN, ADD, ADDN, SPOIL, READS, CLOSE, STEPS, ALLOC) \
    {#NAME, MAKE, T##_destroy_, T##_clone_, T##_merge_, T##_ser_, T##_deser_,     \
     GEN, ADD, ADDN, SPOIL, NULL, NULL, READS, CLOSE, STEPS, ALLOC, 1, NULL}

/* rows that groups use as members are macros, named once */
#define RB_CSAT                                                              \
    RB_ROW(csat, score, csat_make, score_gen, score_add, score_add_n,        \
           score_spoil, score_reads, NULL, 8, 0)
#define RB_MEAN                                                              \
    RB_ROW(mean, mean, mean_make, real_gen, mean_add, mean_add_n,            \
           real_spoil, mean_reads, mean_close, 8, 0)
#define RB_DURATION                                                          \
    RB_ROW(duration, duration, duration_make, duration_gen, duration_add,    \
           duration_add_n, duration_spoil, duration_reads, NULL, 60, 1)
#define RB_TOPK                                                              \
    RB_ROW(topk, topk, topk_make, topk_gen, topk_add, topk_add_n, topk_spoil, \
           topk_reads, topk_close, 40, 1)

static const rb_type csat_row_ = RB_CSAT;
static const rb_type mean_row_ = RB_MEAN;
static const rb_type duration_row_ = RB_DURATION;
static const rb_type topk_row_ = RB_TOPK;

RB_GROUP(group_csat, csat)
RB_GROUP(group_duration, duration)
RB_GROUP(group_topk, topk)
RB_GROUP(group_mean, mean)
RB_GROUP_CLOSE(group_csat, csat)
RB_GROUP_CLOSE(group_duration, duration)
RB_GROUP_CLOSE(group_topk, topk)
RB_GROUP_CLOSE(group_mean, mean)

#define RB_GROUP_ROW(NAME, MEMBER, CLOSE)                                    \
    {#NAME, NAME##_make, group_destroy_, group_clone_, group_merge_,         \
     group_ser_, group_deser_, NAME##_gen, NAME##_add, NULL, NULL, NULL,     \
     group_grow, NAME##_reads, CLOSE, 24, 1, 1, &MEMBER##_row_}

static const rb_type rb_types[] = {
    RB_CSAT,
    RB_ROW(nps, score, nps_make, score_gen, score_add, score_add_n, score_spoil,
           score_reads, NULL, 8, 0),
    RB_ROW(ces, score, ces_make, score_gen, score_add, score_add_n, score_spoil,
           score_reads, NULL, 8, 0),
    RB_ROW(rate, rate, rate_make, rate_gen, rate_add, rate_add_n, rate_spoil,
           rate_reads, NULL, 8, 0),
    RB_MEAN,
    RB_ROW(ratio, ratio, ratio_make, real_gen, ratio_add, ratio_add_n, real_spoil,
           ratio_reads, ratio_close, 8, 0),
    RB_DURATION,
    RB_ROW(aht, aht, aht_make, duration_gen, aht_add, aht_add_n, duration_spoil,
           aht_reads, NULL, 60, 1),
    RB_ROW(service_level, service_level, service_level_make, service_level_gen,
           service_level_add, service_level_add_n, service_level_spoil,
           service_level_reads, NULL, 60, 1),
    {"sla_policy", sla_policy_make, sla_policy_destroy_, sla_policy_clone_, NULL,
     sla_policy_ser_, sla_policy_deser_, sla_policy_gen, sla_policy_add, NULL, NULL,
     NULL, NULL, sla_policy_reads, NULL, 30, 0, 0, NULL},
    {"calendar", calendar_make, calendar_destroy_, calendar_clone_, NULL,
     calendar_ser_, calendar_deser_, calendar_gen, calendar_add, NULL, NULL, NULL,
     NULL, calendar_reads, NULL, 90, 1, 0, NULL},
    RB_ROW(series, series, series_make, series_gen, series_add, series_add_n,
           series_spoil, series_reads, NULL, 40, 0),
    {"series_forecast", series_hw_make, series_destroy_, series_clone_, series_merge_,
     series_ser_, series_deser_, series_gen, series_add, series_add_n, series_spoil,
     NULL, NULL, series_reads, NULL, 40, 0, 0, NULL},
    RB_TOPK,
    RB_ROW(topk_id, topk_id, topk_id_make, topk_gen, topk_id_add, topk_id_add_n, NULL,
           topk_id_reads, topk_id_close, 40, 0),
    RB_ROW(topk_id_codes, topk_id, topk_id_make, topk_id_codes_gen, topk_id_codes_add,
           topk_id_codes_add_n, NULL, topk_id_reads, topk_id_codes_close, 40, 0),
    RB_ROW(distinct_exact, distinct, distinct_exact_make, distinct_gen, distinct_add,
           distinct_add_n, NULL, distinct_reads, NULL, 40, 1),
    RB_ROW(distinct_hll, distinct, distinct_hll_make, distinct_gen, distinct_add,
           distinct_add_n, NULL, distinct_reads, NULL, 40, 1),
    RB_ROW(customers, customers, customers_make, customers_gen, customers_add, NULL,
           NULL, customers_reads, NULL, 12, 0),
    {"journey", journey_make, journey_destroy_, journey_clone_, journey_merge_,
     journey_ser_, journey_deser_, journey_gen, journey_add, NULL, NULL,
     journey_finish, NULL, journey_reads, journey_close, 40, 0, 1, NULL},
    RB_GROUP_ROW(group_csat, csat, group_csat_close),
    RB_GROUP_ROW(group_duration, duration, group_duration_close),
    RB_GROUP_ROW(group_topk, topk, group_topk_close),
    RB_GROUP_ROW(group_mean, mean, group_mean_close),
};
#define RB_NTYPES (sizeof rb_types / sizeof rb_types[0])

/* n events of the stream `seed` */
static inline rb_ev *rb_stream(const rb_type *T, uint64_t seed, size_t n)
{
    test_rng r = {seed * UINT64_C(0x9E3779B97F4A7C15) + 1};
    rb_ev *e = calloc(n ? n : 1, sizeof *e);
    ck_assert_ptr_nonnull(e);
    for (size_t i = 0; i < n; i++)
        T->gen(&r, i, &e[i]);
    return e;
}

/* an object fed events [0, n) of `ev` one by one, with allocator a */
static inline void *rb_fed(const rb_type *T, const rb_ev *ev, size_t n,
                           const kpi_allocator *a)
{
    void *o = NULL;
    ck_assert_ok(T->make(&o, a));
    for (size_t i = 0; i < n; i++) {
        int rc = T->add(o, &ev[i]);
        ck_assert_msg(rc == KPI_OK, "%s: event %zu: %s", T->name, i,
                      kpi_status_name(rc));
    }
    return o;
}

static inline void rb_finish(const rb_type *T, void *o)
{
    if (T->finish)
        ck_assert_ok(T->finish(o));
}

/* a suite of one test case with a generous timeout (valgrind runs) */
static inline Suite *rb_suite(const char *name, TCase **tc)
{
    Suite *s = suite_create(name);
    *tc = tcase_create(name);
    tcase_set_timeout(*tc, 1200);
    suite_add_tcase(s, *tc);
    return s;
}

#endif /* KPI_ROBUST_H */
