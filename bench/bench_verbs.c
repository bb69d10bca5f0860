/*
 * The verb sheet: every accumulator through the verbs it shares with all
 * the others (single add, batch add, read, merge, serialize, deserialize,
 * memory), each beside a naive exact computation of the same KPI in the
 * same run: the naive method stores every event in an array (add), reads
 * the KPI from the stored events (read), concatenates two arrays (merge)
 * and keeps the array (bytes).  Sketches also print their measured error
 * against that exact value.  Figures are medians of bench_reps()
 * repetitions; nothing is asserted.
 * SPDX-License-Identifier: MIT
 */
#include <math.h>

#include "bench.h"
#include "kpi.h"

/* ------------------------------------------------------------------ */
/* The event stream shared by every type                               */
/* ------------------------------------------------------------------ */

static size_t N;              /* events per stream */
static int32_t *answers;      /* 0..10 */
static uint8_t *outcomes;     /* 0/1 */
static double *values;        /* sentiment in [-1, 1] */
static double *costs, *counts;/* ratio numerators and denominators */
static int64_t *durs;         /* log-uniform 1 s .. 30 days */
static int64_t *talk, *hold, *wrap;
static int *sl_outcome;       /* service-level outcomes */
static int64_t *times;        /* monotone event times */
static double *amounts;
static uint64_t *ids;         /* Zipf ranks as ids */
static uint64_t *uids;        /* uniform ids for distinct counts */
static const char **lab_ptrs;     /* Zipf ranks as labels */
static size_t *lab_lens;
#define NLAB 100000
#define NKEYS 1000
static char labtext[NLAB][16];


static void *xmalloc(size_t n)
{
    void *p = malloc(n ? n : 1);
    if (p == NULL) {
        fprintf(stderr, "bench_verbs: out of memory\n");
        exit(1);
    }
    return p;
}

static void make_stream(void)
{
    double *cdf = xmalloc(NLAB * sizeof *cdf), sum = 0;
    for (int i = 0; i < NLAB; i++) {
        cdf[i] = (sum += 1.0 / pow(i + 1.0, 1.1));
        snprintf(labtext[i], sizeof labtext[i], "topic-%d", i);
    }
    answers = xmalloc(N * sizeof *answers);
    outcomes = xmalloc(N);
    values = xmalloc(N * sizeof *values);
    costs = xmalloc(N * sizeof *costs);
    counts = xmalloc(N * sizeof *counts);
    durs = xmalloc(N * sizeof *durs);
    talk = xmalloc(N * sizeof *talk);
    hold = xmalloc(N * sizeof *hold);
    wrap = xmalloc(N * sizeof *wrap);
    sl_outcome = xmalloc(N * sizeof *sl_outcome);
    times = xmalloc(N * sizeof *times);
    amounts = xmalloc(N * sizeof *amounts);
    ids = xmalloc(N * sizeof *ids);
    uids = xmalloc((N + 4) * sizeof *uids); /* + room for a 24-byte naive item */
    lab_ptrs = xmalloc(N * sizeof *lab_ptrs);
    lab_lens = xmalloc(N * sizeof *lab_lens);
    int64_t t = INT64_C(1767225600000); /* 2026-01-01 */
    for (size_t i = 0; i < N; i++) {
        answers[i] = (int32_t)(bench_rand() % 11);
        outcomes[i] = (uint8_t)(bench_unif() < 0.7);
        values[i] = 2 * bench_unif() - 1;
        costs[i] = 10 + 90 * bench_unif();
        counts[i] = (double)(bench_rand() % 3);
        durs[i] = (int64_t)(1000.0 * exp(bench_unif() * log(30.0 * 86400.0)));
        talk[i] = 30000 + (int64_t)(bench_rand() % 600000);
        hold[i] = (int64_t)(bench_rand() % 60000);
        wrap[i] = (int64_t)(bench_rand() % 120000);
        sl_outcome[i] = bench_unif() < 0.1 ? KPI_CONTACT_ABANDONED : KPI_CONTACT_ANSWERED;
        t += (int64_t)(bench_rand() % 2000);
        times[i] = t;
        amounts[i] = (double)(1 + bench_rand() % 5);
        size_t lo = bench_rank_of(cdf, NLAB, bench_unif() * sum);
        ids[i] = lo;
        uids[i] = bench_rand() % (N / 2 + 1);
        uids[i + 1] = uids[i + 2] = uids[i + 3] = 0;
        lab_ptrs[i] = labtext[lo];
        lab_lens[i] = strlen(labtext[lo]);
    }
    free(cdf);
}

static void must(int rc, const char *what)
{
    if (rc != KPI_OK) {
        fprintf(stderr, "bench_verbs: %s: %s\n", what, kpi_strerror(rc));
        exit(1);
    }
}

/* ------------------------------------------------------------------ */
/* One row of the sheet per type                                       */
/* ------------------------------------------------------------------ */

typedef struct verbs {
    const char *name;
    void *(*make)(void);
    void (*free_)(void *);
    void (*reset)(void *);
    int (*clone)(const void *, void **);
    void (*add1)(void *, size_t i);            /* event i, one call */
    void (*addn)(void *, size_t from, size_t n); /* NULL: no batch call */
    double (*read)(const void *);              /* the type's main read */
    int (*merge)(void *, const void *);
    int (*ser)(const void *, void *, size_t, size_t *);
    int (*deser)(void **, const void *, size_t);
    size_t (*footprint)(const void *);
    size_t item_bytes;                         /* what the naive method stores */
    double (*exact)(size_t from, size_t n);    /* the naive exact read */
    int sketch;                                /* read is an estimate */
    void (*settle)(void *);                    /* before it is merged (NULL: none) */
} verbs;

/* The verbs every type spells the same way. */
#define COMMON_VERBS(T)                                                      \
    static void T##_free_(void *p) { kpi_##T##_free(p); }                    \
    static void T##_reset_(void *p) { kpi_##T##_reset(p); }                  \
    static int T##_clone_(const void *p, void **o)                           \
    {                                                                        \
        kpi_##T *c = NULL;                                                   \
        int rc = kpi_##T##_clone(p, &c);                                     \
        *o = c;                                                              \
        return rc;                                                           \
    }                                                                        \
    static int T##_merge_(void *d, const void *s) { return kpi_##T##_merge(d, s); } \
    static int T##_ser_(const void *p, void *b, size_t c, size_t *l)         \
    {                                                                        \
        return kpi_##T##_serialize(p, b, c, l);                              \
    }                                                                        \
    static int T##_deser_(void **o, const void *b, size_t l)                 \
    {                                                                        \
        kpi_##T *c = NULL;                                                   \
        int rc = kpi_##T##_deserialize(&c, b, l);                            \
        *o = c;                                                              \
        return rc;                                                           \
    }                                                                        \
    static size_t T##_fp_(const void *p) { return kpi_##T##_footprint(p); }
#define COMMON(T) T##_free_, T##_reset_, T##_clone_

/* score: NPS over 0..10 */
COMMON_VERBS(score)
static void *score_make(void) { kpi_score *s; must(kpi_nps_new(&s), "nps"); return s; }
static void score_add1(void *p, size_t i) { kpi_score_add(p, answers[i]); }
static void score_addn(void *p, size_t f, size_t n) { must(kpi_score_add_array(p, answers + f, n), "score"); }
static double score_read(const void *p) { kpi_estimate e; kpi_score_nps(p, &e); return e.value; }
static double score_exact(size_t f, size_t n)
{
    size_t pro = 0, det = 0;
    for (size_t i = f; i < f + n; i++) {
        pro += answers[i] >= 9;
        det += answers[i] <= 6;
    }
    return 100.0 * ((double)pro - (double)det) / (double)n;
}

/* rate: FCR-style yes/no outcomes */
COMMON_VERBS(rate)
static void *rate_make(void) { kpi_rate *r; must(kpi_rate_new(&r), "rate"); return r; }
static void rate_add1(void *p, size_t i) { kpi_rate_add(p, outcomes[i]); }
static void rate_addn(void *p, size_t f, size_t n) { must(kpi_rate_add_array(p, outcomes + f, n), "rate"); }
static double rate_read(const void *p) { kpi_estimate e; kpi_rate_share(p, &e); return e.value; }
static double rate_exact(size_t f, size_t n)
{
    size_t yes = 0;
    for (size_t i = f; i < f + n; i++)
        yes += outcomes[i];
    return (double)yes / (double)n;
}

/* mean: sentiment */
COMMON_VERBS(mean)
static void *mean_make(void) { kpi_mean *m; must(kpi_sentiment_new(&m), "mean"); return m; }
static void mean_add1(void *p, size_t i) { kpi_mean_add(p, values[i]); }
static void mean_addn(void *p, size_t f, size_t n) { must(kpi_mean_add_array(p, values + f, n), "mean"); }
static double mean_read(const void *p) { kpi_estimate e; kpi_mean_mean_ci(p, &e); return e.value; }
static double mean_exact(size_t f, size_t n)
{
    double s = 0;
    for (size_t i = f; i < f + n; i++)
        s += values[i];
    return s / (double)n;
}

/* ratio: cost per resolution */
COMMON_VERBS(ratio)
static void *ratio_make(void) { kpi_ratio *r; must(kpi_cost_per_resolution_new(&r), "ratio"); return r; }
static void ratio_add1(void *p, size_t i) { kpi_ratio_add(p, costs[i], counts[i]); }
static void ratio_addn(void *p, size_t f, size_t n) { must(kpi_ratio_add_array(p, costs + f, counts + f, n), "ratio"); }
static double ratio_read(const void *p) { double v = 0; kpi_ratio_value(p, &v); return v; }
static double ratio_exact(size_t f, size_t n)
{
    double a = 0, b = 0;
    for (size_t i = f; i < f + n; i++) {
        a += costs[i];
        b += counts[i];
    }
    return a / b;
}

/* duration: FRT p90 (sketch, 1%) */
static int cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}
/* The exact q-quantile by the sketch's rank rule (rank floor(q (n - 1))). */
static double exact_quantile(const int64_t *src, size_t n, double q)
{
    int64_t *c = xmalloc(n * sizeof *c);
    memcpy(c, src, n * sizeof *c);
    qsort(c, n, sizeof *c, cmp_i64);
    double v = (double)c[(size_t)(q * (double)(n - 1))];
    free(c);
    return v;
}
COMMON_VERBS(duration)
static void *duration_make(void) { kpi_duration *d; must(kpi_frt_new(&d), "frt"); return d; }
static void duration_add1(void *p, size_t i) { kpi_duration_add(p, durs[i]); }
static void duration_addn(void *p, size_t f, size_t n) { must(kpi_duration_add_array(p, durs + f, n), "duration"); }
static double duration_read(const void *p) { double v = 0; kpi_duration_quantile(p, 0.9, &v); return v; }
static double duration_exact(size_t f, size_t n) { return exact_quantile(durs + f, n, 0.9); }

/* aht: talk + hold + wrap, p90 of the handle time */
COMMON_VERBS(aht)
static void *aht_make(void) { kpi_aht *a; must(kpi_aht_new(&a), "aht"); return a; }
static void aht_add1(void *p, size_t i) { kpi_aht_add(p, talk[i], hold[i], wrap[i]); }
static void aht_addn(void *p, size_t f, size_t n) { must(kpi_aht_add_array(p, talk + f, hold + f, wrap + f, n), "aht"); }
static double aht_read(const void *p) { double v = 0; kpi_aht_quantile(p, 0.9, &v); return v; }
static double aht_exact(size_t f, size_t n)
{
    int64_t *h = xmalloc(n * sizeof *h);
    for (size_t i = 0; i < n; i++)
        h[i] = talk[f + i] + hold[f + i] + wrap[f + i];
    double v = exact_quantile(h, n, 0.9);
    free(h);
    return v;
}

/* service level: answered within 20 s over offered (waits from durs / 1000) */
COMMON_VERBS(service_level)
static void *service_level_make(void)
{
    kpi_service_level *s;
    must(kpi_service_level_new(&s, 20000, 5000), "service level");
    return s;
}
static void service_level_add1(void *p, size_t i) { kpi_service_level_add(p, durs[i] / 1000, sl_outcome[i]); }
static void service_level_addn(void *p, size_t f, size_t n)
{
    int64_t w[1024];
    for (size_t done = 0; done < n; done += 1024) {
        size_t k = n - done < 1024 ? n - done : 1024;
        for (size_t i = 0; i < k; i++)
            w[i] = durs[f + done + i] / 1000;
        must(kpi_service_level_add_array(p, w, sl_outcome + f + done, k), "service level");
    }
}
static double service_level_read(const void *p)
{
    kpi_estimate e;
    kpi_service_level_share(p, KPI_SL_ANSWERED_OVER_OFFERED, &e);
    return e.value;
}
static double service_level_exact(size_t f, size_t n)
{
    size_t met = 0;
    for (size_t i = f; i < f + n; i++)
        met += sl_outcome[i] == KPI_CONTACT_ANSWERED && durs[i] / 1000 <= 20000;
    return (double)met / (double)n;
}

/* series: contacts per hour over a week, amount = contacts */
COMMON_VERBS(series)
static void *series_make(void)
{
    kpi_series *s;
    must(kpi_series_new(&s, 3600000, 168, times[0]), "series");
    return s;
}
static void series_add1(void *p, size_t i) { kpi_series_add(p, times[i], amounts[i]); }
static void series_addn(void *p, size_t f, size_t n) { must(kpi_series_add_array(p, times + f, amounts + f, n), "series"); }
static double series_read(const void *p) { double v = 0; kpi_series_last(p, 24, &v); return v; }
static double series_exact(size_t f, size_t n)
{
    /* the last 24 whole hours of the ring that ends with the last event */
    int64_t period = 3600000, last = (times[f + n - 1] - times[0]) / period;
    double s = 0;
    for (size_t i = f; i < f + n; i++)
        if ((times[i] - times[0]) / period > last - 24)
            s += amounts[i];
    return s;
}

/* top-k labels: the count of the most frequent topic */
COMMON_VERBS(topk)
static void *topk_make(void) { kpi_topk *t; must(kpi_topk_new(&t, 1000), "topk"); return t; }
static void topk_add1(void *p, size_t i) { kpi_topk_add(p, lab_ptrs[i], lab_lens[i], 1); }
static void topk_addn(void *p, size_t f, size_t n) { must(kpi_topk_add_array(p, lab_ptrs + f, lab_lens + f, n), "topk"); }
static double topk_read(const void *p)
{
    const char *l;
    size_t len;
    uint64_t c = 0, lo, hi;
    double s = 0;
    for (size_t r = 0; r < 10 && kpi_topk_entry(p, r, &l, &len, &c, &lo, &hi) == KPI_OK; r++)
        s += (double)c;
    return s; /* the top 10 counts, summed */
}
static double topk_exact(size_t f, size_t n)
{
    uint64_t *c = calloc(NLAB, sizeof *c), top[10] = {0};
    for (size_t i = f; i < f + n; i++)
        c[ids[i]]++;
    for (size_t k = 0; k < NLAB; k++)
        for (int r = 0; r < 10; r++)
            if (c[k] > top[r]) {
                memmove(top + r + 1, top + r, (size_t)(9 - r) * sizeof *top);
                top[r] = c[k];
                break;
            }
    free(c);
    double s = 0;
    for (int r = 0; r < 10; r++)
        s += (double)top[r];
    return s;
}

/* top-k ids: the same stream as interned ids */
COMMON_VERBS(topk_id)
static void *topk_id_make(void) { kpi_topk_id *t; must(kpi_topk_id_new(&t, 1000), "topk_id"); return t; }
static void topk_id_add1(void *p, size_t i) { kpi_topk_id_add(p, ids[i], 1); }
static void topk_id_addn(void *p, size_t f, size_t n) { must(kpi_topk_id_add_array(p, ids + f, n), "topk_id"); }
static double topk_id_read(const void *p)
{
    uint64_t id, c = 0, lo, hi;
    double s = 0;
    for (size_t r = 0; r < 10 && kpi_topk_id_entry(p, r, &id, &c, &lo, &hi) == KPI_OK; r++)
        s += (double)c;
    return s;
}

/* distinct: active customers */
static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return (x > y) - (x < y);
}
COMMON_VERBS(distinct)
static void *distinct_make(void) { kpi_distinct *d; must(kpi_distinct_new(&d, 12), "distinct"); return d; }
static void distinct_add1(void *p, size_t i) { kpi_distinct_add(p, uids[i]); }
static void distinct_addn(void *p, size_t f, size_t n) { must(kpi_distinct_add_array(p, uids + f, n), "distinct"); }
static double distinct_read(const void *p) { kpi_estimate e; kpi_distinct_estimate(p, &e); return e.value; }
static double distinct_exact(size_t f, size_t n)
{
    uint64_t *c = xmalloc(n * sizeof *c);
    memcpy(c, uids + f, n * sizeof *c);
    qsort(c, n, sizeof *c, cmp_u64);
    size_t u = n > 0;
    for (size_t i = 1; i < n; i++)
        u += c[i] != c[i - 1];
    free(c);
    return (double)u;
}

/* group: first-contact resolution per agent (kpi_rate members) */
COMMON_VERBS(group)
static void *group_make(void)
{
    kpi_rate *proto;
    kpi_group *g;
    must(kpi_rate_new(&proto), "rate");
    must(kpi_group_new(&g, proto), "group");
    kpi_rate_free(proto);
    return g;
}
static void group_add1(void *p, size_t i)
{
    void *m;
    if (kpi_group_get(p, uids[i] % NKEYS, &m) == KPI_OK)
        kpi_rate_add(m, outcomes[i]);
}
static double group_read(const void *p)
{
    const void *m;
    kpi_estimate e = {0};
    if (kpi_group_find(p, 7, &m) == KPI_OK)
        kpi_rate_share(m, &e);
    return e.value; /* agent 7's share */
}
static double group_exact(size_t f, size_t n)
{
    size_t yes = 0, all = 0;
    for (size_t i = f; i < f + n; i++)
        if (uids[i] % NKEYS == 7) {
            all++;
            yes += outcomes[i];
        }
    return all ? (double)yes / (double)all : 0;
}

/* journey: touchpoints per customer journey (4 channels, 2 h idle) */
COMMON_VERBS(journey)
static void *journey_make(void)
{
    kpi_journey *j;
    must(kpi_journey_new(&j, 200000, 7200000), "journey");
    return j;
}
static void journey_add1(void *p, size_t i) { kpi_journey_touch(p, uids[i] % 100000, (uint32_t)(ids[i] & 3), times[i]); }
static double journey_read(const void *p) { double v = 0; kpi_journey_touchpoints_mean(p, &v); return v; }
/* Exact: every customer's touches in time order, a journey ended by a gap
 * longer than the idle time; the mean touches of the journeys closed by
 * the last event's clock (no eviction: 100,000 customers, room for 200,000). */
static double journey_exact(size_t f, size_t n)
{
    int64_t *last = xmalloc(100000 * sizeof *last);
    uint64_t *open = calloc(100000, sizeof *open), touches = 0, journeys = 0;
    for (size_t i = f; i < f + n; i++) {
        size_t c = (size_t)(uids[i] % 100000);
        if (open[c] && times[i] - last[c] > 7200000) {
            touches += open[c];
            journeys++;
            open[c] = 0;
        }
        open[c]++;
        last[c] = times[i];
    }
    for (size_t c = 0; c < 100000; c++)
        if (open[c] && times[f + n - 1] - last[c] > 7200000) {
            touches += open[c];
            journeys++;
        }
    free(last);
    free(open);
    return journeys ? (double)touches / (double)journeys : 0;
}
/* A merged tracker must have no open journeys: close them past the idle time. */
static void journey_settle(void *p) { must(kpi_journey_advance(p, times[N - 1] + 7200001), "journey"); }

/* customers: the period's inputs (interactions counted one by one) */
COMMON_VERBS(customers)
/* The period's snapshots are set again after each reset. */
static void customers_period(void *p)
{
    customers_reset_(p);
    must(kpi_customers_set_start(p, 10000), "customers");
    must(kpi_customers_set_active(p, 8000), "customers");
}
static void *customers_make(void)
{
    kpi_customers *c;
    must(kpi_customers_new(&c), "customers");
    customers_period(c);
    return c;
}
static void customers_add1(void *p, size_t i) { kpi_customers_add_interactions(p, 1 + (uids[i] & 1)); }
static double customers_read(const void *p) { double v = 0; kpi_customers_engagement(p, &v); return v; }
static double customers_exact(size_t f, size_t n)
{
    double s = 0;
    for (size_t i = f; i < f + n; i++)
        s += (double)(1 + (uids[i] & 1));
    return s / 8000.0;
}

#define ROW(T, batch, item, exact, sketch, settle)                                   \
    { #T, T##_make, COMMON(T), T##_add1, batch, T##_read, T##_merge_,        \
      T##_ser_, T##_deser_, T##_fp_, item, exact, sketch, settle }

static const verbs sheet[] = {
    ROW(score, score_addn, sizeof(int32_t), score_exact, 0, NULL),
    ROW(rate, rate_addn, sizeof(uint8_t), rate_exact, 0, NULL),
    ROW(mean, mean_addn, sizeof(double), mean_exact, 0, NULL),
    ROW(ratio, ratio_addn, 2 * sizeof(double), ratio_exact, 0, NULL),
    ROW(duration, duration_addn, sizeof(int64_t), duration_exact, 1, NULL),
    ROW(aht, aht_addn, 3 * sizeof(int64_t), aht_exact, 1, NULL),
    ROW(service_level, service_level_addn, sizeof(int64_t) + sizeof(int), service_level_exact, 0, NULL),
    ROW(series, series_addn, sizeof(int64_t) + sizeof(double), series_exact, 0, NULL),
    ROW(topk, topk_addn, sizeof(char *) + sizeof(size_t), topk_exact, 1, NULL),
    ROW(topk_id, topk_id_addn, sizeof(uint64_t), topk_exact, 1, NULL),
    ROW(distinct, distinct_addn, sizeof(uint64_t), distinct_exact, 1, NULL),
    ROW(group, NULL, sizeof(uint64_t) + 1, group_exact, 0, NULL),
    ROW(journey, NULL, 2 * sizeof(uint64_t) + sizeof(int64_t), journey_exact, 0, journey_settle),
    { "customers", customers_make, customers_free_, customers_period, customers_clone_,
      customers_add1, NULL, customers_read, customers_merge_, customers_ser_,
      customers_deser_, customers_fp_, sizeof(uint64_t), customers_exact, 0, NULL },
};

/* ------------------------------------------------------------------ */
/* Measuring one row                                                   */
/* ------------------------------------------------------------------ */

static void fill(const verbs *v, void *p, size_t from, size_t n)
{
    if (v->addn)
        v->addn(p, from, n);
    else
        for (size_t i = from; i < from + n; i++)
            v->add1(p, i);
}

/* The naive add: each event's item_bytes stored one after the other.  The
 * size is a constant in each loop, so every store is a few moves inline,
 * as a program keeping its events in an array of structs would do; a
 * memcpy of a run-time size is a call into the C library per event (about
 * 3 ns here), which is not the naive method's cost but the call's. */
#define NAIVE_STORE_CASE(k)                                                  \
    case k:                                                                  \
        for (size_t i = 0; i < N; i++)                                       \
            memcpy(store + i * (k), &uids[i], (k));                          \
        break
static void naive_store(unsigned char *store, size_t item_bytes)
{
    switch (item_bytes) {
    NAIVE_STORE_CASE(1);
    NAIVE_STORE_CASE(4);
    NAIVE_STORE_CASE(8);
    NAIVE_STORE_CASE(9);
    NAIVE_STORE_CASE(12);
    NAIVE_STORE_CASE(16);
    NAIVE_STORE_CASE(24);
    default:
        fprintf(stderr, "bench_verbs: no naive store for %zu-byte items\n", item_bytes);
        exit(1);
    }
}

static void run_row(const verbs *v, unsigned char *buf, size_t cap, unsigned char *store)
{
    char what[96];
    double add1_ns, addn_ns = 0, naive_add, read_ns, exact_ns = 0, merge_ns, naive_merge,
           ser_ns, deser_ns;
    void *p = v->make(), *a = v->make(), *b = v->make();
    size_t half = N / 2, len = 0;

    bench_title(v->name);
    BENCH_MEDIAN(add1_ns, N, v->reset(p), for (size_t i = 0; i < N; i++) v->add1(p, i));
    if (v->addn)
        BENCH_MEDIAN(addn_ns, N, v->reset(p), v->addn(p, 0, N));
    /* naive add: store the event's fields */
    BENCH_MEDIAN(naive_add, N, (void)0, { naive_store(store, v->item_bytes); bench_keep(store); });
    snprintf(what, sizeof what, "%s add, one call per event", v->name);
    bench_line(what, add1_ns, naive_add, "-");
    if (v->addn) {
        snprintf(what, sizeof what, "%s add_array, one batch", v->name);
        bench_line(what, addn_ns, naive_add, "-");
    }

    double got = 0, want = 0;
    int reps = 1000;
    BENCH_MEDIAN(read_ns, reps, (void)0, for (int r = 0; r < reps; r++) { got = v->read(p); bench_keep(&got); });
    if (v->exact)
        BENCH_MEDIAN(exact_ns, 1, (void)0, { want = v->exact(0, N); bench_keep(&want); });
    snprintf(what, sizeof what, "%s read, per call", v->name);
    bench_line(what, read_ns, exact_ns, "-");

    fill(v, a, 0, half);
    fill(v, b, half, N - half);
    if (v->settle)
        v->settle(b);
    void *d = NULL;
    BENCH_MEDIAN(merge_ns, 1, { v->free_(d); must(v->clone(a, &d), "clone"); },
                 must(v->merge(d, b), "merge"));
    v->free_(d);
    BENCH_MEDIAN(naive_merge, 1, (void)0, { memcpy(store, buf, N * v->item_bytes); bench_keep(store); });
    snprintf(what, sizeof what, "%s merge of two halves, per call", v->name);
    bench_line(what, merge_ns, naive_merge, "-");

    BENCH_MEDIAN(ser_ns, 1, (void)0, must(v->ser(p, buf, cap, &len), "serialize"));
    void *q = NULL;
    BENCH_MEDIAN(deser_ns, 1, { v->free_(q); q = NULL; }, must(v->deser(&q, buf, len), "deserialize"));
    snprintf(what, sizeof what, "%s serialize, per call", v->name);
    bench_line(what, ser_ns, 0, "-");
    snprintf(what, sizeof what, "%s deserialize, per call", v->name);
    bench_line(what, deser_ns, 0, "-");
    double got_back = v->read(q);
    v->free_(q);

    snprintf(what, sizeof what, "%s bytes per object", v->name);
    bench_bytes(what, (double)v->footprint(p), (double)(N * v->item_bytes), "-");
    snprintf(what, sizeof what, "%s serialized size", v->name);
    bench_bytes(what, (double)len, (double)(N * v->item_bytes), "-");
    if (v->exact) {
        double err = want != 0 ? fabs(got - want) / fabs(want) : fabs(got);
        snprintf(what, sizeof what, "%s read vs exact: %.6g vs %.6g", v->name, got, want);
        bench_error(what, err, v->sketch ? "the sketch's (see its header)" : "exact (0)");
        /* an exact type off by more than rounding: the naive side and
         * libkpi no longer compute the same KPI (fails the program) */
        if (!v->sketch && !(err <= 1e-9)) {
            printf("  %s: DISAGREE with the exact value\n", v->name);
            bench_disagreements++;
        }
    }
    if (got_back != got) {
        printf("  %s: the deserialized copy reads %.17g, not %.17g\n", v->name, got_back, got);
        bench_disagreements++;
    }
    v->free_(p);
    v->free_(a);
    v->free_(b);
}

int main(void)
{
    bench_seed(42);
    N = bench_size(2000000, 40000);
    make_stream();
    size_t cap = 64u << 20;
    unsigned char *buf = xmalloc(cap), *store = xmalloc(64u << 20);
    memset(store, 1, 64u << 20);
    printf("\n== the verb sheet: %zu events per accumulator; naive = store every "
           "event, read the KPI exactly from them, merge by concatenation%s\n",
           N, bench_quick() ? " (quick mode: small sizes)" : "");
    for (size_t i = 0; i < sizeof sheet / sizeof *sheet; i++)
        run_row(&sheet[i], buf, cap, store);
    free(buf);
    free(store);
    return bench_disagreements != 0;
}
