/*
 * Top-k labels and ids (Space-Saving): hand-computed cases, the
 * guaranteed bounds on Zipf streams against an exact count kept here,
 * merge bounds, the codec and every error path.
 * SPDX-License-Identifier: MIT
 */
#include "internal.h"
#include "kpi/distinct.h"
#include "kpi/topk.h"
#include "testutil.h"

#include <math.h>
#include <pthread.h>
#include <stdbool.h>
#include <time.h>

#define N_OF(a) (sizeof(a) / sizeof((a)[0]))

/* ---- helpers ------------------------------------------------------------ */

/* Serialized bytes of an object (malloc'd), to compare whole states. */
static unsigned char *ser(const kpi_topk *p, size_t *n)
{
    ck_assert_ok(kpi_topk_serialize(p, NULL, 0, n));
    unsigned char *b = malloc(*n);
    ck_assert_ok(kpi_topk_serialize(p, b, *n, n));
    return b;
}

static unsigned char *ser_id(const kpi_topk_id *p, size_t *n)
{
    ck_assert_ok(kpi_topk_id_serialize(p, NULL, 0, n));
    unsigned char *b = malloc(*n);
    ck_assert_ok(kpi_topk_id_serialize(p, b, *n, n));
    return b;
}

static void assert_same_state(const kpi_topk *p, const unsigned char *b,
                              size_t n)
{
    size_t m;
    unsigned char *now = ser(p, &m);
    ck_assert_uint_eq(m, n);
    ck_assert(memcmp(now, b, n) == 0);
    free(now);
}

/* Zipf(s) over k ranks: a cumulative table and inverse sampling. */
typedef struct zipf {
    double *cdf;
    size_t k;
} zipf;

static zipf zipf_make(size_t k, double s)
{
    zipf z = {malloc(k * sizeof(double)), k};
    double sum = 0;
    for (size_t i = 0; i < k; i++)
        z.cdf[i] = (sum += 1.0 / pow((double)(i + 1), s));
    for (size_t i = 0; i < k; i++)
        z.cdf[i] /= sum;
    return z;
}

static size_t zipf_draw(const zipf *z, test_rng *r)
{
    double u = test_uniform(r);
    size_t lo = 0, hi = z->k - 1;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (z->cdf[mid] < u)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

#define NLAB 3000
static char labels[NLAB][16];
static size_t label_len[NLAB];

static void make_labels(void)
{
    for (int i = 0; i < NLAB; i++)
        label_len[i] = (size_t)snprintf(labels[i], sizeof labels[i], "topic-%d", i);
}

/* Feed `n` Zipf draws into p (and into truth[]). */
static void feed(kpi_topk *p, uint64_t *truth, size_t n, uint64_t seed)
{
    zipf z = zipf_make(NLAB, 1.1);
    test_rng r = {seed};
    for (size_t i = 0; i < n; i++) {
        size_t j = zipf_draw(&z, &r);
        truth[j]++;
        ck_assert_ok(kpi_topk_add(p, labels[j], label_len[j], 1));
    }
    free(z.cdf);
}

/* Every true count lies in its reported bounds; every label above the
 * error bound is monitored; the error bound is at most N / m. */
static void check_bounds(const kpi_topk *p, const uint64_t *truth, uint32_t m)
{
    uint64_t n = kpi_topk_total(p), eb = kpi_topk_error_bound(p);
    ck_assert_uint_le(eb, n / m);
    for (int i = 0; i < NLAB; i++) {
        uint64_t c, lo, hi;
        int rc = kpi_topk_estimate(p, labels[i], label_len[i], &c, &lo, &hi);
        if (rc == KPI_OK) {
            ck_assert_uint_le(lo, truth[i]);
            ck_assert_uint_ge(hi, truth[i]);
            ck_assert_uint_le(hi - lo, eb);
        } else {
            ck_assert_status(rc, KPI_ERR_UNKNOWN_ID);
            ck_assert_uint_le(truth[i], eb);
        }
        if (truth[i] > n / m)
            ck_assert_int_eq(rc, KPI_OK);
    }
    /* ranks are sorted by count, descending */
    uint64_t prev = UINT64_MAX;
    for (size_t r = 0; r < kpi_topk_size(p); r++) {
        uint64_t c;
        ck_assert_ok(kpi_topk_entry(p, r, NULL, NULL, &c, NULL, NULL));
        ck_assert_uint_le(c, prev);
        prev = c;
    }
}

/* ---- hand-computed ------------------------------------------------------ */

START_TEST(space_saving_replaces_the_minimum_and_inherits_its_count)
{
    kpi_topk *p;
    ck_assert_ok(kpi_topk_new(&p, 2));
    ck_assert_ok(kpi_topk_add_str(p, "a"));
    ck_assert_ok(kpi_topk_add_str(p, "b"));
    ck_assert_ok(kpi_topk_add_str(p, "a"));
    ck_assert_uint_eq(kpi_topk_error_bound(p), 0); /* full, but still exact */
    ck_assert_ok(kpi_topk_add_str(p, "c"));         /* replaces b (1) */
    ck_assert_uint_eq(kpi_topk_total(p), 4);
    ck_assert_uint_eq(kpi_topk_size(p), 2);
    uint64_t c, lo, hi;
    ck_assert_status(kpi_topk_estimate(p, "b", 1, &c, &lo, &hi), KPI_ERR_UNKNOWN_ID);
    ck_assert_ok(kpi_topk_estimate(p, "c", 1, &c, &lo, &hi));
    ck_assert_uint_eq(c, 2);
    ck_assert_uint_eq(lo, 1);
    ck_assert_uint_eq(hi, 2);
    /* equal counts: label bytes ascending */
    const char *l;
    size_t len;
    ck_assert_ok(kpi_topk_entry(p, 0, &l, &len, &c, &lo, &hi));
    ck_assert_uint_eq(len, 1);
    ck_assert(l[0] == 'a' && c == 2 && lo == 2 && hi == 2);
    ck_assert_ok(kpi_topk_entry(p, 1, &l, &len, &c, &lo, &hi));
    ck_assert(l[0] == 'c' && c == 2 && lo == 1 && hi == 2);
    ck_assert_status(kpi_topk_entry(p, 2, &l, &len, &c, &lo, &hi), KPI_ERR_RANGE);
    ck_assert_uint_eq(kpi_topk_error_bound(p), 2);
    /* weights */
    ck_assert_ok(kpi_topk_add(p, "c", 1, 5));
    ck_assert_ok(kpi_topk_entry(p, 0, &l, &len, &c, &lo, &hi));
    ck_assert(l[0] == 'c' && c == 7 && lo == 6);
    kpi_estimate e;
    ck_assert_ok(kpi_topk_share(p, "c", 1, &e));
    ck_assert_near(e.value, 7.0 / 9.0, 1e-12);
    ck_assert_uint_eq(e.n, 9);
    ck_assert(e.lower < e.value && e.upper > e.value);
    kpi_topk_free(p);
}
END_TEST

START_TEST(labels_are_byte_strings_and_are_copied)
{
    kpi_topk *p;
    ck_assert_ok(kpi_topk_new(&p, 4));
    char buf[4] = {'x', '\0', 'y', '\0'};
    ck_assert_ok(kpi_topk_add(p, buf, 3, 1));
    ck_assert_ok(kpi_topk_add(p, buf, 1, 1)); /* "x" is another label */
    buf[0] = 'z';                             /* the object kept its copy */
    uint64_t c;
    ck_assert_ok(kpi_topk_estimate(p, "x\0y", 3, &c, NULL, NULL));
    ck_assert_uint_eq(c, 1);
    ck_assert_ok(kpi_topk_estimate(p, "x", 1, &c, NULL, NULL));
    ck_assert_uint_eq(c, 1);
    const char *l;
    size_t len;
    ck_assert_ok(kpi_topk_entry(p, 0, &l, &len, NULL, NULL, NULL));
    ck_assert_uint_eq(len, 1); /* "x" sorts before "x\0y" */
    ck_assert_ok(kpi_topk_entry(p, 1, &l, &len, NULL, NULL, NULL));
    ck_assert_uint_eq(len, 3);
    ck_assert(memcmp(l, "x\0y", 3) == 0);
    char big[256];
    memset(big, 'q', sizeof big);
    ck_assert_ok(kpi_topk_add(p, big, 255, 1));
    kpi_topk_free(p);
}
END_TEST

START_TEST(exact_while_distinct_labels_fit)
{
    make_labels();
    kpi_topk *p;
    ck_assert_ok(kpi_topk_new(&p, 500));
    uint64_t truth[NLAB] = {0};
    test_rng r = {7};
    for (int i = 0; i < 20000; i++) {
        size_t j = (size_t)test_range(&r, 0, 499);
        truth[j]++;
        ck_assert_ok(kpi_topk_add(p, labels[j], label_len[j], 1));
    }
    ck_assert_uint_eq(kpi_topk_error_bound(p), 0);
    for (int i = 0; i < 500; i++) {
        uint64_t c, lo, hi;
        if (truth[i] == 0)
            continue;
        ck_assert_ok(kpi_topk_estimate(p, labels[i], label_len[i], &c, &lo, &hi));
        ck_assert(c == truth[i] && lo == c && hi == c);
    }
    check_bounds(p, truth, 500);
    kpi_topk_free(p);
}
END_TEST

START_TEST(bounds_hold_on_zipf_streams)
{
    make_labels();
    const uint32_t caps[] = {1, 10, 100, 400};
    for (size_t t = 0; t < 4; t++) {
        kpi_topk *p;
        ck_assert_ok(kpi_topk_new(&p, caps[t]));
        uint64_t truth[NLAB] = {0};
        feed(p, truth, 30000, 100 + t);
        ck_assert_uint_eq(kpi_topk_size(p), caps[t]);
        check_bounds(p, truth, caps[t]);
        /* the most frequent label is found at rank 0 with enough room */
        if (caps[t] >= 100) {
            const char *l;
            size_t len;
            ck_assert_ok(kpi_topk_entry(p, 0, &l, &len, NULL, NULL, NULL));
            ck_assert(len == label_len[0] && memcmp(l, labels[0], len) == 0);
        }
        kpi_topk_free(p);
    }
}
END_TEST

START_TEST(id_variant_bounds_hold_on_zipf_streams)
{
    kpi_topk_id *p;
    ck_assert_ok(kpi_topk_id_new(&p, 50));
    zipf z = zipf_make(NLAB, 1.2);
    test_rng r = {3};
    static uint64_t truth[NLAB];
    memset(truth, 0, sizeof truth);
    uint64_t batch[100];
    for (int i = 0; i < 300; i++) {
        for (int b = 0; b < 100; b++) {
            size_t j = zipf_draw(&z, &r);
            truth[j]++;
            batch[b] = j * 1000003u;
        }
        ck_assert_ok(kpi_topk_id_add_array(p, batch, 100));
    }
    uint64_t n = kpi_topk_id_total(p), eb = kpi_topk_id_error_bound(p);
    ck_assert_uint_eq(n, 30000);
    ck_assert_uint_le(eb, n / 50);
    for (size_t j = 0; j < NLAB; j++) {
        uint64_t c, lo, hi;
        int rc = kpi_topk_id_estimate(p, j * 1000003u, &c, &lo, &hi);
        if (rc == KPI_OK)
            ck_assert(lo <= truth[j] && truth[j] <= hi);
        else
            ck_assert(rc == KPI_ERR_UNKNOWN_ID && truth[j] <= eb);
        if (truth[j] > n / 50)
            ck_assert_int_eq(rc, KPI_OK);
    }
    uint64_t id, c;
    ck_assert_ok(kpi_topk_id_entry(p, 0, &id, &c, NULL, NULL));
    ck_assert(id == 0);
    kpi_estimate e;
    ck_assert_ok(kpi_topk_id_share(p, 0, &e));
    ck_assert_near(e.value, (double)c / 30000.0, 1e-12);
    ck_assert_status(kpi_topk_id_entry(p, 50, &id, &c, NULL, NULL), KPI_ERR_RANGE);
    free(z.cdf);
    kpi_topk_id_free(p);
}
END_TEST

START_TEST(id_ties_are_ordered_by_id)
{
    kpi_topk_id *p;
    ck_assert_ok(kpi_topk_id_new(&p, 8));
    const uint64_t ids[] = {9, 3, 7, 3, 1, 5};
    ck_assert_ok(kpi_topk_id_add_array(p, ids, 6));
    const uint64_t want[] = {3, 1, 5, 7, 9};
    for (size_t r = 0; r < 5; r++) {
        uint64_t id;
        ck_assert_ok(kpi_topk_id_entry(p, r, &id, NULL, NULL, NULL));
        ck_assert_uint_eq(id, want[r]);
    }
    kpi_topk_id_free(p);
}
END_TEST

/* ---- runs of equal counts, eviction, inline and arena labels ------------ */

#define NALPHA 48
static char alpha[NALPHA][64];
static size_t alpha_len[NALPHA];

/* Labels of every length from 1 to 48 bytes (across the inline limit of
 * 24), several differing only in their last byte or by a trailing NUL. */
static void make_alpha(void)
{
    for (int i = 0; i < NALPHA; i++) {
        size_t n = (size_t)(i % 40) + 1;
        memset(alpha[i], 'a' + (i % 3), n);
        alpha[i][n - 1] = (char)('0' + i / 3);
        if (i % 7 == 6 && n > 1)
            alpha[i][n - 1] = '\0'; /* "aa...a\0" beside "aa...a" */
        alpha_len[i] = n;
    }
}

/* Snapshot of the reported state: per alphabet label its count and error
 * (count 0: not monitored). */
typedef struct snap {
    uint64_t count[NALPHA], err[NALPHA];
    uint64_t last; /* the smallest count (rank size - 1) */
} snap;

static void take(const kpi_topk *p, snap *sn)
{
    uint64_t sum = 0, prev = UINT64_MAX;
    const char *pl = NULL;
    size_t pn = 0;
    sn->last = 0;
    for (size_t r = 0; r < kpi_topk_size(p); r++) {
        const char *l;
        size_t n;
        uint64_t c, lo, hi;
        ck_assert_ok(kpi_topk_entry(p, r, &l, &n, &c, &lo, &hi));
        ck_assert_uint_le(c, prev);
        ck_assert_uint_eq(hi, c);
        ck_assert_uint_le(lo, c);
        if (c == prev) { /* ties by label bytes, a prefix first */
            int cmp = memcmp(pl, l, pn < n ? pn : n);
            ck_assert(cmp < 0 || (cmp == 0 && pn < n));
        }
        prev = c;
        pl = l;
        pn = n;
        sum += c;
        sn->last = c;
    }
    /* Space-Saving moves every unit of weight into exactly one counter */
    ck_assert_uint_eq(sum, kpi_topk_total(p));
    for (int i = 0; i < NALPHA; i++) {
        uint64_t c = 0, lo = 0;
        int rc = kpi_topk_estimate(p, alpha[i], alpha_len[i], &c, &lo, NULL);
        ck_assert(rc == KPI_OK || rc == KPI_ERR_UNKNOWN_ID || rc == KPI_ERR_EMPTY);
        sn->count[i] = rc == KPI_OK ? c : 0;
        sn->err[i] = rc == KPI_OK ? c - lo : 0;
    }
}

START_TEST(every_add_keeps_the_space_saving_invariants)
{
    make_alpha();
    const uint32_t caps[] = {1, 3, 8, 20, 64};
    for (size_t t = 0; t < 5; t++) {
        uint32_t m = caps[t];
        kpi_topk *p;
        ck_assert_ok(kpi_topk_new(&p, m));
        uint64_t truth[NALPHA] = {0};
        test_rng r = {1000 + t};
        snap before, after;
        take(p, &before);
        for (int step = 0; step < 1500; step++) {
            /* skewed: low indexes often; weights mostly 1, at times up to
             * 7, which carries a counter over several runs */
            size_t j = (size_t)(test_uniform(&r) * test_uniform(&r) * NALPHA);
            uint64_t w = test_range(&r, 0, 5) == 0 ? (uint64_t)test_range(&r, 2, 7) : 1;
            bool full = kpi_topk_size(p) == m;
            bool known = before.count[j] > 0;
            truth[j] += w;
            ck_assert_ok(kpi_topk_add(p, alpha[j], alpha_len[j], w));
            take(p, &after);
            for (int i = 0; i < NALPHA; i++) {
                if (after.count[i] > 0) {
                    ck_assert_uint_le(after.count[i] - after.err[i], truth[i]);
                    ck_assert_uint_ge(after.count[i], truth[i]);
                } else {
                    ck_assert_uint_le(truth[i], kpi_topk_error_bound(p));
                }
            }
            if (known) {
                ck_assert_uint_eq(after.count[j], before.count[j] + w);
                ck_assert_uint_eq(after.err[j], before.err[j]);
            } else if (!full) {
                ck_assert_uint_eq(after.count[j], w); /* exact */
                ck_assert_uint_eq(after.err[j], 0);
            } else {
                /* replaced a counter of the smallest count, inheriting it */
                ck_assert_uint_eq(after.count[j], before.last + w);
                ck_assert_uint_eq(after.err[j], before.last);
                int gone = 0;
                for (int i = 0; i < NALPHA; i++) {
                    if (i == (int)j || before.count[i] == 0)
                        continue;
                    if (after.count[i] == 0) {
                        gone++;
                        ck_assert_uint_eq(before.count[i], before.last);
                    } else {
                        ck_assert_uint_eq(after.count[i], before.count[i]);
                    }
                }
                ck_assert_int_eq(gone, 1);
            }
            if (!full || known)
                for (int i = 0; i < NALPHA; i++)
                    if (i != (int)j)
                        ck_assert_uint_eq(after.count[i], before.count[i]);
            before = after;
        }
        ck_assert_uint_le(kpi_topk_error_bound(p), kpi_topk_total(p) / m);
        kpi_topk_free(p);
    }
}
END_TEST

START_TEST(id_runs_hold_through_ties_and_weights)
{
    /* hand-computed: runs of equal counts split and join */
    kpi_topk_id *p;
    ck_assert_ok(kpi_topk_id_new(&p, 3));
    const uint64_t ids[] = {5, 6, 7, 6, 7, 5, 7};
    ck_assert_ok(kpi_topk_id_add_array(p, ids, 7)); /* 5:2 6:2 7:3 */
    uint64_t id, c, lo;
    const uint64_t want[][2] = {{7, 3}, {5, 2}, {6, 2}};
    for (size_t r = 0; r < 3; r++) {
        ck_assert_ok(kpi_topk_id_entry(p, r, &id, &c, &lo, NULL));
        ck_assert(id == want[r][0] && c == want[r][1] && lo == c);
    }
    /* a new id replaces one of the two counters of 2 and gets 3 */
    ck_assert_ok(kpi_topk_id_add(p, 9, 1));
    ck_assert_uint_eq(kpi_topk_id_error_bound(p), 2);
    ck_assert_ok(kpi_topk_id_estimate(p, 9, &c, &lo, NULL));
    ck_assert(c == 3 && lo == 1);
    int left = (kpi_topk_id_estimate(p, 5, NULL, NULL, NULL) == KPI_OK) +
               (kpi_topk_id_estimate(p, 6, NULL, NULL, NULL) == KPI_OK);
    ck_assert_int_eq(left, 1);
    /* a weight carries a counter over two runs at once */
    uint64_t small = kpi_topk_id_estimate(p, 5, NULL, NULL, NULL) == KPI_OK ? 5 : 6;
    ck_assert_ok(kpi_topk_id_add(p, small, 10));
    ck_assert_ok(kpi_topk_id_entry(p, 0, &id, &c, NULL, NULL));
    ck_assert(id == small && c == 12);
    ck_assert_ok(kpi_topk_id_entry(p, 1, &id, &c, NULL, NULL));
    ck_assert(id == 7 && c == 3);
    ck_assert_ok(kpi_topk_id_entry(p, 2, &id, &c, NULL, NULL));
    ck_assert(id == 9 && c == 3);
    kpi_topk_id_free(p);

    /* exact mode equals a plain count; lossy mode keeps the bounds, with
     * random weights over a few hundred ids */
    for (uint32_t m = 1; m <= 300; m *= 7) {
        ck_assert_ok(kpi_topk_id_new(&p, m));
        static uint64_t truth[256];
        memset(truth, 0, sizeof truth);
        test_rng r = {m};
        uint64_t n = 0;
        for (int i = 0; i < 20000; i++) {
            uint64_t x = (uint64_t)(test_uniform(&r) * test_uniform(&r) * 256);
            uint64_t w = test_range(&r, 0, 9) == 0 ? (uint64_t)test_range(&r, 2, 40) : 1;
            truth[x] += w;
            n += w;
            ck_assert_ok(kpi_topk_id_add(p, x * UINT64_C(0x9E3779B97F4A7C15), w));
        }
        uint64_t sum = 0, eb = kpi_topk_id_error_bound(p);
        for (size_t k = 0; k < kpi_topk_id_size(p); k++) {
            ck_assert_ok(kpi_topk_id_entry(p, k, NULL, &c, NULL, NULL));
            sum += c;
        }
        ck_assert_uint_eq(sum, n);
        ck_assert_uint_le(eb, n / m);
        for (uint64_t x = 0; x < 256; x++) {
            uint64_t hi;
            int rc = kpi_topk_id_estimate(p, x * UINT64_C(0x9E3779B97F4A7C15), &c, &lo, &hi);
            if (m >= 256) { /* every id fits: exact */
                ck_assert_uint_eq(eb, 0);
                if (truth[x] > 0)
                    ck_assert(rc == KPI_OK && c == truth[x] && lo == c);
                else
                    ck_assert_status(rc, KPI_ERR_UNKNOWN_ID);
            } else if (rc == KPI_OK) {
                ck_assert(lo <= truth[x] && truth[x] <= hi);
            } else {
                ck_assert_uint_le(truth[x], eb);
            }
        }
        kpi_topk_id_free(p);
    }
}
END_TEST

/* ---- batches of small ids (the dense path of kpi_topk_id_add_array) ----- */

/* Every read of a and b is the same: total, size, error bound, each rank's
 * id, count and bounds, and the estimate of each id below `ids` and of a
 * few large ones. */
static void assert_same_id_reads(const kpi_topk_id *a, const kpi_topk_id *b,
                                 uint64_t ids, const char *ctx)
{
    ck_assert_msg(kpi_topk_id_total(a) == kpi_topk_id_total(b), "%s: total", ctx);
    ck_assert_msg(kpi_topk_id_size(a) == kpi_topk_id_size(b), "%s: size", ctx);
    ck_assert_msg(kpi_topk_id_error_bound(a) == kpi_topk_id_error_bound(b),
                  "%s: error bound", ctx);
    for (size_t r = 0; r <= kpi_topk_id_size(a); r++) {
        uint64_t v[2][4] = {{0}};
        int ra = kpi_topk_id_entry(a, r, &v[0][0], &v[0][1], &v[0][2], &v[0][3]);
        int rb = kpi_topk_id_entry(b, r, &v[1][0], &v[1][1], &v[1][2], &v[1][3]);
        ck_assert_msg(ra == rb && memcmp(v[0], v[1], sizeof v[0]) == 0,
                      "%s: rank %zu: id %llu count %llu [%llu, %llu] vs id %llu "
                      "count %llu [%llu, %llu]",
                      ctx, r, (unsigned long long)v[0][0], (unsigned long long)v[0][1],
                      (unsigned long long)v[0][2], (unsigned long long)v[0][3],
                      (unsigned long long)v[1][0], (unsigned long long)v[1][1],
                      (unsigned long long)v[1][2], (unsigned long long)v[1][3]);
    }
    for (uint64_t x = 0; x < ids + 3; x++) {
        uint64_t id = x < ids ? x : (uint64_t)1 << (20 * (x - ids + 1));
        uint64_t v[2][3] = {{0}};
        int ra = kpi_topk_id_estimate(a, id, &v[0][0], &v[0][1], &v[0][2]);
        int rb = kpi_topk_id_estimate(b, id, &v[1][0], &v[1][1], &v[1][2]);
        ck_assert_msg(ra == rb && memcmp(v[0], v[1], sizeof v[0]) == 0,
                      "%s: estimate of %llu", ctx, (unsigned long long)id);
    }
}

static bool same_id_bytes(const kpi_topk_id *a, const kpi_topk_id *b)
{
    size_t na, nb;
    unsigned char *ba = ser_id(a, &na), *bb = ser_id(b, &nb);
    bool same = na == nb && memcmp(ba, bb, na) == 0;
    free(ba);
    free(bb);
    return same;
}

/* A copy of base with ids[0, n) added one at a time. */
static kpi_topk_id *singles_of(const kpi_topk_id *base, const uint64_t *ids, size_t n)
{
    kpi_topk_id *p;
    ck_assert_ok(kpi_topk_id_clone(base, &p));
    for (size_t i = 0; i < n; i++)
        ck_assert_ok(kpi_topk_id_add(p, ids[i], 1));
    return p;
}

/* `batch` fed to a copy of `base` in one call, and one id at a time to
 * another: the same reads.  Returns the batch's object. */
static kpi_topk_id *batch_vs_singles(const kpi_topk_id *base, const uint64_t *ids,
                                     size_t n, const char *ctx)
{
    kpi_topk_id *a, *b = singles_of(base, ids, n);
    ck_assert_ok(kpi_topk_id_clone(base, &a));
    ck_assert_ok(kpi_topk_id_add_array(a, ids, n));
    assert_same_id_reads(a, b, 300, ctx);
    kpi_topk_id_free(b);
    return a;
}

/* ---- int8 codes (kpi_topk_id_add_codes) --------------------------------- */

/* codes[0, n) at both levels of the count and through the public call,
 * each into a clone of base: the same reads as the ids (int64_t)code
 * through kpi_topk_id_add_array and as singles, and the same state bytes
 * as those ids through kpi_topk_id_add_array (counted first on the same
 * conditions, else one at a time). */
static void codes_vs_ids(const kpi_topk_id *base, const int8_t *codes, size_t n,
                         const char *ctx)
{
    uint64_t *ids = malloc((n ? n : 1) * sizeof *ids);
    ck_assert_ptr_nonnull(ids);
    for (size_t i = 0; i < n; i++)
        ids[i] = (uint64_t)(int64_t)codes[i];
    kpi_topk_id *want = batch_vs_singles(base, ids, n, ctx);
    kpi_topk_id *lv[3];
    for (int level = 0; level < 3; level++) {
        ck_assert_ok(kpi_topk_id_clone(base, &lv[level]));
        ck_assert_ok(level == 2 ? kpi_topk_id_add_codes(lv[level], codes, n)
                                : kpi__topk_id_add_codes_simd(lv[level], codes, n, level));
        assert_same_id_reads(lv[level], want, 300, ctx);
        ck_assert_msg(same_id_bytes(lv[level], want), "%s: bytes (level %d)", ctx, level);
    }
    /* both kernels count alike, to the byte */
    ck_assert_msg(same_id_bytes(lv[0], lv[1]) && same_id_bytes(lv[0], lv[2]), "%s: levels",
                  ctx);
    for (int level = 0; level < 3; level++)
        kpi_topk_id_free(lv[level]);
    kpi_topk_id_free(want);
    free(ids);
}

START_TEST(id_codes_count_as_their_ids)
{
    /* pandas' categorical codes, as int8: Zipf over 60 categories, with
     * and without -1 (missing), with blocks holding codes of 64 to 127 or
     * below -1 (the vector count leaves those blocks to the tables), at
     * lengths around the count's blocks of 4096 and its flushes every 16
     * blocks, from odd starts; on a new summary, one holding counts, one
     * too small for the codes and one that has evicted */
    const size_t n_max = 17 * 4096 + 100;
    int8_t *buf = malloc(n_max + 64);
    ck_assert_ptr_nonnull(buf);
    zipf z = zipf_make(60, 1.1);
    test_rng r = {8};
    kpi_topk_id *fresh, *held, *small, *lossy;
    ck_assert_ok(kpi_topk_id_new(&fresh, 200));
    ck_assert_ok(kpi_topk_id_new(&held, 200));
    ck_assert_ok(kpi_topk_id_add(held, 3, 500));
    ck_assert_ok(kpi_topk_id_add(held, UINT64_MAX, 7)); /* -1 */
    ck_assert_ok(kpi_topk_id_add(held, 1000, 20));
    ck_assert_ok(kpi_topk_id_new(&small, 16));
    ck_assert_ok(kpi_topk_id_new(&lossy, 16));
    for (uint64_t id = 0; id < 40; id++)
        ck_assert_ok(kpi_topk_id_add(lossy, 500 + id, 1 + id % 3));
    const size_t lens[] = {0, 1, 63, 4095, 4096, 4096 + 63, 4096 + 64, 16 * 4096, n_max - 7};
    for (int kind = 0; kind < 4; kind++)
        for (size_t l = 0; l < sizeof lens / sizeof lens[0]; l++) {
            const size_t n = lens[l], start = (l * 7) % 64;
            int8_t *codes = buf + start;
            for (size_t i = 0; i < n; i++) {
                codes[i] = (int8_t)zipf_draw(&z, &r);
                if (kind >= 1 && test_range(&r, 0, 99) < 3)
                    codes[i] = -1;
                if (kind >= 2 && (i / 4096) % 3 == 1 && i % 977 == 5)
                    codes[i] = (int8_t)(kind == 2 ? (int)(64 + i % 64) : -2 - (int)(i % 100));
            }
            if (kind == 3 && n > 0)
                codes[n - 1] = 127;
            char ctx[64];
            snprintf(ctx, sizeof ctx, "codes kind %d, n %zu", kind, n);
            codes_vs_ids(fresh, codes, n, ctx);
            codes_vs_ids(held, codes, n, ctx);
            codes_vs_ids(small, codes, n, ctx);
            codes_vs_ids(lossy, codes, n, ctx);
        }
    kpi_topk_id_free(fresh);
    kpi_topk_id_free(held);
    kpi_topk_id_free(small);
    kpi_topk_id_free(lossy);
    free(z.cdf);
    free(buf);
}
END_TEST

START_TEST(id_codes_count_leaves_the_upper_halves_clean)
{
    /* (see tests/test_score.c: dirty upper halves slow every SSE
     * instruction after the call, the host's included) */
    if (test_upper_dirty() < 0)
        return; /* not x86-64 with XGETBV(1): nothing to read */
    static int8_t codes[3 * 4096 + 70];
    for (int kind = 0; kind < 2; kind++) {
        for (size_t i = 0; i < sizeof codes; i++)
            codes[i] = (int8_t)(i % 61) - 1; /* -1 .. 59 */
        if (kind == 1)
            codes[4096 + 9] = 100; /* a block for the tables */
        for (int level = 0; level < 2; level++) {
            kpi_topk_id *p;
            ck_assert_ok(kpi_topk_id_new(&p, 200));
            test_upper_clear();
            ck_assert_ok(kpi__topk_id_add_codes_simd(p, codes, sizeof codes, level));
            ck_assert_msg(test_upper_dirty() == 0, "kind %d, level %d: upper halves dirty",
                          kind, level);
            kpi_topk_id_free(p);
        }
    }
}
END_TEST

START_TEST(id_codes_not_counted_first_read_like_singles)
{
    /* 7 5 7 5 ... (512 codes, a tie) then 9 into a summary of 2: too many
     * ids to count the batch first, so it goes one at a time.  A first
     * part counted on its own would leave 5 and 7 in id order, and the 9
     * would then evict 5 where the singles evict 7 (see
     * a_later_eviction_may_take_another_tied_minimum_after_a_batch): the
     * reads right after the call must be the singles' */
    static int8_t codes[5000];
    for (size_t i = 0; i < 512; i++)
        codes[i] = (int8_t)(i % 2 ? 5 : 7);
    for (size_t i = 512; i < sizeof codes; i++)
        codes[i] = 9;
    kpi_topk_id *two;
    ck_assert_ok(kpi_topk_id_new(&two, 2));
    const size_t lens[] = {513, 600, 4095, 4096, sizeof codes};
    for (size_t l = 0; l < sizeof lens / sizeof lens[0]; l++) {
        char ctx[64];
        snprintf(ctx, sizeof ctx, "7 5 ... 9, n %zu", lens[l]);
        codes_vs_ids(two, codes, lens[l], ctx);
    }
    kpi_topk_id_free(two);
}
END_TEST

START_TEST(id_codes_refuse_bad_calls_and_change_nothing)
{
    kpi_topk_id *p;
    ck_assert_ok(kpi_topk_id_new(&p, 8));
    int8_t codes[5000];
    for (size_t i = 0; i < 5000; i++)
        codes[i] = (int8_t)(i % 5);
    ck_assert_status(kpi_topk_id_add_codes(NULL, codes, 5), KPI_ERR_INVALID);
    ck_assert_status(kpi_topk_id_add_codes(p, NULL, 5), KPI_ERR_INVALID);
    ck_assert_ok(kpi_topk_id_add_codes(p, NULL, 0));
    ck_assert_uint_eq(kpi_topk_id_total(p), 0);
    kpi_topk *wrong;
    ck_assert_ok(kpi_topk_new(&wrong, 8));
    ck_assert_status(kpi_topk_id_add_codes((kpi_topk_id *)(void *)wrong, codes, 5),
                     KPI_ERR_INVALID);
    kpi_topk_free(wrong);
    /* a total that would pass 2^64 - 1: nothing counted, at every length */
    ck_assert_ok(kpi_topk_id_add(p, 9, UINT64_MAX - 4999));
    size_t len;
    unsigned char *before = ser_id(p, &len);
    for (int level = 0; level < 2; level++) {
        ck_assert_status(kpi__topk_id_add_codes_simd(p, codes, 5000, level), KPI_ERR_OVERFLOW);
        unsigned char *now = NULL;
        size_t l2;
        now = ser_id(p, &l2);
        ck_assert(l2 == len && memcmp(now, before, len) == 0);
        free(now);
    }
    ck_assert_ok(kpi_topk_id_add_codes(p, codes, 4999));
    ck_assert_uint_eq(kpi_topk_id_total(p), UINT64_MAX);
    free(before);
    kpi_topk_id_free(p);
}
END_TEST

START_TEST(id_batches_of_small_ids_read_like_singles)
{
    /* hand-computed: codes 0..3 of a categorical, with ties */
    kpi_topk_id *p, *q;
    ck_assert_ok(kpi_topk_id_new(&p, 8));
    uint64_t ids[64];
    for (size_t i = 0; i < 64; i++)
        ids[i] = (uint64_t)((i * 7) % 4); /* 16 of each: 0 3 2 1 0 3 ... */
    ids[63] = 2;                           /* 0:16 1:15 2:17 3:16 */
    q = batch_vs_singles(p, ids, 64, "four codes");
    const uint64_t want[][2] = {{2, 17}, {0, 16}, {3, 16}, {1, 15}};
    for (size_t r = 0; r < 4; r++) {
        uint64_t id, c, lo, hi;
        ck_assert_ok(kpi_topk_id_entry(q, r, &id, &c, &lo, &hi));
        ck_assert(id == want[r][0] && c == want[r][1] && lo == c && hi == c);
    }
    ck_assert_uint_eq(kpi_topk_id_total(q), 64);
    ck_assert_uint_eq(kpi_topk_id_size(q), 4);
    ck_assert_uint_eq(kpi_topk_id_error_bound(q), 0);
    kpi_topk_id_free(q);

    /* ties with counts already held, ids held and new, weights before */
    ck_assert_ok(kpi_topk_id_add(p, 5, 40));
    ck_assert_ok(kpi_topk_id_add(p, 1, 1));
    ck_assert_ok(kpi_topk_id_add(p, 1000, 17)); /* beyond the dense bound */
    ck_assert_ok(kpi_topk_id_add(p, 3, 2));
    q = batch_vs_singles(p, ids, 64, "after weighted adds");
    uint64_t c;
    ck_assert_ok(kpi_topk_id_estimate(q, 1, &c, NULL, NULL));
    ck_assert_uint_eq(c, 16);
    ck_assert_ok(kpi_topk_id_estimate(q, 3, &c, NULL, NULL));
    ck_assert_uint_eq(c, 18);
    /* 5:40, 3:18, then 2 and 1000 tie at 17 (2 first), then 0 and 1 at 16 */
    const uint64_t order[] = {5, 3, 2, 1000, 0, 1};
    for (size_t r = 0; r < 6; r++) {
        uint64_t id;
        ck_assert_ok(kpi_topk_id_entry(q, r, &id, NULL, NULL, NULL));
        ck_assert_uint_eq(id, order[r]);
    }
    /* and the object goes on like the singles' (weights, new ids, then
     * evictions once full: which tied minimum goes is unspecified, so only
     * the exact part is compared) */
    kpi_topk_id *s;
    ck_assert_ok(kpi_topk_id_clone(p, &s));
    for (size_t i = 0; i < 64; i++)
        ck_assert_ok(kpi_topk_id_add(s, ids[i], 1));
    ck_assert_ok(kpi_topk_id_add(q, 0, 9));
    ck_assert_ok(kpi_topk_id_add(s, 0, 9));
    ck_assert_ok(kpi_topk_id_add(q, 77, 1));
    ck_assert_ok(kpi_topk_id_add(s, 77, 1));
    assert_same_id_reads(q, s, 300, "fed after the batch");
    kpi_topk_id_free(s);
    kpi_topk_id_free(q);
    kpi_topk_id_free(p);
}
END_TEST

START_TEST(id_batch_lists_equal_counts_by_id_inside)
{
    /* The dense path adds each id's total in order of final count, ties by
     * id: its state (serialized bytes included) is that of those weighted
     * adds.  One at a time, 2 came first and stays first inside its run:
     * other bytes, the same reads (ranks order ties by id either way). */
    uint64_t ids[64];
    for (size_t i = 0; i < 64; i++)
        ids[i] = 2 - i % 2; /* 2 1 2 1 ... */
    kpi_topk_id *batch, *weighted, *singles;
    ck_assert_ok(kpi_topk_id_new(&batch, 4));
    ck_assert_ok(kpi_topk_id_new(&weighted, 4));
    ck_assert_ok(kpi_topk_id_new(&singles, 4));
    ck_assert_ok(kpi_topk_id_add_array(batch, ids, 64));
    ck_assert_ok(kpi_topk_id_add(weighted, 1, 32));
    ck_assert_ok(kpi_topk_id_add(weighted, 2, 32));
    for (size_t i = 0; i < 64; i++)
        ck_assert_ok(kpi_topk_id_add(singles, ids[i], 1));
    ck_assert_msg(same_id_bytes(batch, weighted), "the dense path was not taken");
    ck_assert(!same_id_bytes(batch, singles));
    assert_same_id_reads(batch, singles, 4, "2 1 2 1 ...");
    uint64_t id;
    ck_assert_ok(kpi_topk_id_entry(batch, 0, &id, NULL, NULL, NULL));
    ck_assert_uint_eq(id, 1);
    kpi_topk_id_free(batch);
    kpi_topk_id_free(weighted);
    kpi_topk_id_free(singles);
}
END_TEST

START_TEST(id_batches_the_counted_paths_cannot_take_go_one_at_a_time)
{
    /* These batches take the one-at-a-time path: the same bytes as the
     * singles, not only the same reads. */
    enum { N = 9000 }; /* more than one block of the dense count */
    static uint64_t ids[N];
    test_rng r = {17};
    for (size_t i = 0; i < N; i++)
        ids[i] = (uint64_t)(test_uniform(&r) * test_uniform(&r) * 12);
    kpi_topk_id *p, *q, *s;
    /* new ids overflowing the capacity: 5 held + 7 new > 8 */
    ck_assert_ok(kpi_topk_id_new(&p, 8));
    for (uint64_t x = 100; x < 105; x++)
        ck_assert_ok(kpi_topk_id_add(p, x, 1));
    q = batch_vs_singles(p, ids, N, "over the capacity");
    ck_assert_uint_gt(kpi_topk_id_error_bound(q), 0);
    ck_assert_ok(kpi_topk_id_clone(p, &s));
    for (size_t i = 0; i < N; i++)
        ck_assert_ok(kpi_topk_id_add(s, ids[i], 1));
    ck_assert(same_id_bytes(q, s));
    kpi_topk_id_free(q);
    kpi_topk_id_free(s);
    kpi_topk_id_free(p);

    /* more than 256 distinct ids, some beyond the dense bound (so neither
     * counted path): first, past the first block, last */
    const size_t at[] = {0, 5000, N - 1};
    for (size_t k = 0; k < 3; k++) {
        ck_assert_ok(kpi_topk_id_new(&p, 400));
        size_t start = at[k] + 300 <= N ? at[k] : N - 300;
        for (size_t i = 0; i < 300; i++)
            ids[start + i] = 1000 + i;
        q = batch_vs_singles(p, ids, N, "more than 256 distinct ids");
        ck_assert_ok(kpi_topk_id_clone(p, &s));
        for (size_t i = 0; i < N; i++)
            ck_assert_ok(kpi_topk_id_add(s, ids[i], 1));
        ck_assert(same_id_bytes(q, s));
        for (size_t i = 0; i < N; i++) /* back to the small ids */
            ids[i] = ids[i] >= 1000 ? ids[i] % 12 : ids[i];
        kpi_topk_id_free(q);
        kpi_topk_id_free(s);
        kpi_topk_id_free(p);
    }

    /* a summary that has evicted (counts are bounds): one at a time */
    ck_assert_ok(kpi_topk_id_new(&p, 4));
    for (uint64_t x = 0; x < 6; x++)
        ck_assert_ok(kpi_topk_id_add(p, 200 + x, 1));
    ck_assert_uint_eq(kpi_topk_id_error_bound(p), 1);
    q = batch_vs_singles(p, ids, 100, "lossy");
    ck_assert_ok(kpi_topk_id_clone(p, &s));
    for (size_t i = 0; i < 100; i++)
        ck_assert_ok(kpi_topk_id_add(s, ids[i], 1));
    ck_assert(same_id_bytes(q, s));
    kpi_topk_id_free(q);
    kpi_topk_id_free(s);
    kpi_topk_id_free(p);
}
END_TEST

START_TEST(id_batches_of_small_ids_on_random_states)
{
    /* random capacities, states (weights, ids beyond the bound) and
     * batches (sizes around the dense path's limits, universes that fit
     * or not): the batch reads like the singles, every time */
    static uint64_t ids[5000];
    for (uint64_t seed = 1; seed <= 60; seed++) {
        test_rng r = {seed};
        uint32_t cap = (uint32_t)test_range(&r, 1, 80);
        kpi_topk_id *p;
        ck_assert_ok(kpi_topk_id_new(&p, cap));
        int64_t universe = test_range(&r, 1, 100);
        for (int64_t i = test_range(&r, 0, 30); i > 0; i--) {
            uint64_t x = test_range(&r, 0, 9) == 0 ? (uint64_t)test_range(&r, 256, 300)
                                                   : (uint64_t)test_range(&r, 0, universe - 1);
            ck_assert_ok(kpi_topk_id_add(p, x, (uint64_t)test_range(&r, 1, 5)));
        }
        for (int round = 0; round < 3; round++) {
            size_t n = (size_t)test_range(&r, 0, 3) == 0 ? (size_t)test_range(&r, 0, 40)
                                                        : (size_t)test_range(&r, 32, 5000);
            double skew = test_uniform(&r) * 3;
            for (size_t i = 0; i < n; i++)
                ids[i] = (uint64_t)(pow(test_uniform(&r), skew) * (double)universe);
            if (test_range(&r, 0, 7) == 0 && n > 0)
                ids[test_range(&r, 0, (int64_t)n - 1)] = 256;
            char ctx[80];
            snprintf(ctx, sizeof ctx, "seed %llu round %d (m %u, %zu ids < %lld)",
                     (unsigned long long)seed, round, cap, n, (long long)universe);
            kpi_topk_id *q = batch_vs_singles(p, ids, n, ctx);
            kpi_topk_id_free(p); /* the next round starts from the batch's */
            p = q;
        }
        kpi_topk_id_free(p);
    }
}
END_TEST

/* A 64-bit id from x (distinct x give distinct ids, all far beyond the
 * dense bound). */
static uint64_t large_id(uint64_t x) { return (x + 1) * UINT64_C(0x9E3779B97F4A7C15); }

START_TEST(id_batches_of_large_ids_are_counted_first)
{
    /* Up to 256 distinct ids of any size: counted first and added as one
     * weight per id in order of final count, ties by id (the bytes of those
     * weighted adds), reading like the singles. */
    /* 64 ids (the sparse count) and 10,002 (its lanes, which count a long
     * batch: ids in the same lane and in different ones) */
    static uint64_t ids[10002];
    const uint64_t a = (uint64_t)1 << 40, b = UINT64_MAX, c = 12345;
    for (size_t n = 64; n <= 10002; n += 10002 - 64) {
        for (size_t i = 0; i < n; i++)
            ids[i] = i % 2 ? a : b; /* b a b a ... */
        if (n > 64)
            ids[4097] = ids[4098] = c; /* then c c in two lanes */
        kpi_topk_id *batch, *weighted, *singles;
        ck_assert_ok(kpi_topk_id_new(&batch, 4));
        ck_assert_ok(kpi_topk_id_new(&weighted, 4));
        ck_assert_ok(kpi_topk_id_new(&singles, 4));
        ck_assert_ok(kpi_topk_id_add_array(batch, ids, n));
        ck_assert_ok(kpi_topk_id_add(weighted, a, n / 2 - (n > 64)));
        ck_assert_ok(kpi_topk_id_add(weighted, b, n / 2 - (n > 64)));
        if (n > 64)
            ck_assert_ok(kpi_topk_id_add(weighted, c, 2));
        for (size_t i = 0; i < n; i++)
            ck_assert_ok(kpi_topk_id_add(singles, ids[i], 1));
        ck_assert_msg(same_id_bytes(batch, weighted), "%zu ids: the counted path was not taken",
                      n);
        ck_assert(!same_id_bytes(batch, singles));
        assert_same_id_reads(batch, singles, 4, "b a b a ...");
        kpi_topk_id_free(batch);
        kpi_topk_id_free(weighted);
        kpi_topk_id_free(singles);
    }

    /* random capacities, states and batches over universes of large ids of
     * up to 400 (so some batches have more than 256 distinct ids, some do
     * not fit the summary): the batch reads like the singles every time */
    static uint64_t big[6000];
    for (uint64_t seed = 1; seed <= 40; seed++) {
        test_rng r = {seed + 1000};
        uint32_t cap = (uint32_t)test_range(&r, 1, 600);
        kpi_topk_id *p;
        ck_assert_ok(kpi_topk_id_new(&p, cap));
        int64_t universe = test_range(&r, 1, 400);
        for (int64_t i = test_range(&r, 0, 30); i > 0; i--)
            ck_assert_ok(kpi_topk_id_add(p, large_id((uint64_t)test_range(&r, 0, universe - 1)),
                                         (uint64_t)test_range(&r, 1, 5)));
        for (int round = 0; round < 3; round++) {
            size_t n = (size_t)test_range(&r, 0, 3) == 0 ? (size_t)test_range(&r, 0, 40)
                                                        : (size_t)test_range(&r, 32, 6000);
            double skew = test_uniform(&r) * 3;
            for (size_t i = 0; i < n; i++)
                big[i] = large_id((uint64_t)(pow(test_uniform(&r), skew) * (double)universe));
            char ctx[96];
            snprintf(ctx, sizeof ctx, "seed %llu round %d (m %u, %zu ids of %lld)",
                     (unsigned long long)seed, round, cap, n, (long long)universe);
            kpi_topk_id *q = batch_vs_singles(p, big, n, ctx);
            kpi_topk_id_free(p);
            p = q;
        }
        kpi_topk_id_free(p);
    }
}
END_TEST

/* What a batch counted first gives, written out: a copy of base, then each
 * distinct id of ids[0, n) added once with its number in the batch as
 * weight, in order of count after the batch descending, ties by id. */
static kpi_topk_id *weighted_adds(const kpi_topk_id *base, const uint64_t *ids, size_t n)
{
    enum { MOST = 1024 };
    static uint64_t id[MOST], w[MOST], fin[MOST];
    size_t d = 0;
    for (size_t i = 0; i < n; i++) {
        size_t j = 0;
        while (j < d && id[j] != ids[i])
            j++;
        if (j == d) {
            ck_assert_uint_lt(d, MOST);
            id[d] = ids[i];
            w[d++] = 0;
        }
        w[j]++;
    }
    for (size_t j = 0; j < d; j++) {
        uint64_t c = 0;
        int rc = kpi_topk_id_estimate(base, id[j], &c, NULL, NULL);
        ck_assert(rc == KPI_OK || rc == KPI_ERR_UNKNOWN_ID || rc == KPI_ERR_EMPTY);
        fin[j] = (rc == KPI_OK ? c : 0) + w[j];
    }
    for (size_t a = 1; a < d; a++) /* insertion sort of the three columns */
        for (size_t b = a; b > 0 && (fin[b] > fin[b - 1] ||
                                     (fin[b] == fin[b - 1] && id[b] < id[b - 1])); b--) {
            uint64_t t;
            t = fin[b], fin[b] = fin[b - 1], fin[b - 1] = t;
            t = id[b], id[b] = id[b - 1], id[b - 1] = t;
            t = w[b], w[b] = w[b - 1], w[b - 1] = t;
        }
    kpi_topk_id *p;
    ck_assert_ok(kpi_topk_id_clone(base, &p));
    for (size_t j = 0; j < d; j++)
        ck_assert_ok(kpi_topk_id_add(p, id[j], w[j]));
    return p;
}

/* The inverse of an odd x modulo 2^64 (Newton's iteration). */
static uint64_t inverse_odd(uint64_t x)
{
    uint64_t y = x;
    for (int i = 0; i < 6; i++)
        y *= 2 - x * y;
    return y;
}

/* batch into p (replaced by the result): the bytes of the weighted adds
 * and the reads of the singles. */
static void counted_batch(kpi_topk_id **p, const uint64_t *ids, size_t n, const char *ctx)
{
    kpi_topk_id *want = weighted_adds(*p, ids, n);
    kpi_topk_id *got = batch_vs_singles(*p, ids, n, ctx);
    ck_assert_msg(same_id_bytes(got, want), "%s: not the weighted adds' bytes", ctx);
    kpi_topk_id_free(want);
    kpi_topk_id_free(*p);
    *p = got;
}

START_TEST(id_batches_of_pointers_and_colliding_ids_are_counted_first)
{
    /* The sparse count's table places ids by a multiply (top bits of id x
     * K, K = 0x9E3779B97F4A7C15 at first) and may place them again by
     * another multiplier when many are off their home; placing changes no
     * count.  Batches of every length class (shorter than the unroll of 4,
     * not a multiple of it, past the 4,096-id flush of the suite's
     * KPI__TOPK_FLUSH build, long enough to be placed again), each fed
     * twice (the second call starts from the multiplier the first chose):
     * the singles' reads every time, and from 1,000 ids on (where a batch
     * of 60 distinct ids into a summary of 60 is counted first: distinct x
     * size <= 4 n) the weighted adds' bytes. */
    static uint64_t ids[30011];
    const size_t lens[] = {3, 33, 257, 1001, 4097, 9001, 30011};
    const uint64_t k = UINT64_C(0x9E3779B97F4A7C15), kinv = inverse_odd(k);
    ck_assert(k * kinv == 1);
    for (int set = 0; set < 5; set++) {
        /* 0: pointers to str objects 64 bytes apart, in clusters (pandas'
         * object column); 1: 16 bytes apart; 2: 16 ids sharing their home
         * cell in every table size (x K has the same top 9 bits), the
         * rarest seen first; 3: the count's empty-cell value
         * 0x6a09e667f3bcc909 and its neighbours, 0 and UINT64_MAX; 4:
         * bench_topk's interned ids (k + 1) x K */
        uint64_t v[60];
        size_t nv = 60;
        test_rng r = {77 + (uint64_t)set};
        for (size_t j = 0; j < 60; j++) {
            if (set == 0)
                v[j] = UINT64_C(0x7f5a3c201000) + 64 * (j * 7 % 60) +
                       (j % 3) * UINT64_C(0x1000000);
            else if (set == 1)
                v[j] = UINT64_C(0x55d0e4a0) + 16 * j;
            else if (set == 2)
                v[j] = ((UINT64_C(301) << 55) | (j * UINT64_C(0x9E37) + 1)) * kinv;
            else if (set == 3)
                v[j] = j < 58 ? UINT64_C(0x6a09e667f3bcc909) + j - 8 : j == 58 ? 0 : UINT64_MAX;
            else
                v[j] = (j + 1) * k;
        }
        if (set == 2) {
            nv = 16;
            for (size_t j = 0; j < nv; j++)
                ck_assert_uint_eq((v[j] * k) >> 55, 301);
        }
        kpi_topk_id *p;
        ck_assert_ok(kpi_topk_id_new(&p, 4096));
        for (size_t l = 0; l < sizeof lens / sizeof lens[0]; l++) {
            for (int call = 0; call < 2; call++) {
                size_t n = lens[l];
                for (size_t i = 0; i < n; i++) {
                    /* Zipf-like: id j about as often as 1 / (j + 1); in set
                     * 2 the first ids of a batch are the rarest */
                    size_t j = (size_t)(pow(test_uniform(&r), 2.5) * (double)nv);
                    if (set == 2 && i < nv)
                        j = nv - 1 - i;
                    ids[i] = v[j];
                }
                char ctx[80];
                snprintf(ctx, sizeof ctx, "set %d, %zu ids, call %d", set, n, call);
                if (n >= 1000) {
                    counted_batch(&p, ids, n, ctx);
                } else { /* may go one at a time: (4 n / size) */
                    kpi_topk_id *q = batch_vs_singles(p, ids, n, ctx);
                    kpi_topk_id_free(p);
                    p = q;
                }
            }
        }
        kpi_topk_id_free(p);
    }

    /* the colliding ids into a summary of 200 other ids: a batch of 1,001
     * may then have at most 4 n / size = 18 distinct ids, counted in a
     * table of 64 cells (where they collide too), and placed again */
    {
        kpi_topk_id *p;
        ck_assert_ok(kpi_topk_id_new(&p, 4096));
        for (uint64_t i = 0; i < 200; i++)
            ck_assert_ok(kpi_topk_id_add(p, large_id(i), 1 + i % 7));
        test_rng r = {99};
        for (int call = 0; call < 3; call++) {
            for (size_t i = 0; i < 1001; i++) {
                size_t j = i < 16 ? 15 - i : (size_t)(pow(test_uniform(&r), 2.5) * 16);
                ids[i] = ((UINT64_C(301) << 55) | (j * UINT64_C(0x9E37) + 1)) * kinv;
            }
            counted_batch(&p, ids, 1001, "colliding ids into 200 others");
        }
        kpi_topk_id_free(p);
    }

    /* more than 256 distinct ids, all at one home: one at a time (the
     * singles' bytes), after a count that stops */
    static uint64_t many[2000];
    for (size_t i = 0; i < 2000; i++)
        many[i] = ((UINT64_C(5) << 55) | (i % 300 + 1)) * kinv;
    kpi_topk_id *a, *b;
    ck_assert_ok(kpi_topk_id_new(&a, 1000));
    ck_assert_ok(kpi_topk_id_new(&b, 1000));
    ck_assert_ok(kpi_topk_id_add_array(a, many, 2000));
    for (size_t i = 0; i < 2000; i++)
        ck_assert_ok(kpi_topk_id_add(b, many[i], 1));
    ck_assert(same_id_bytes(a, b));
    kpi_topk_id_free(a);
    kpi_topk_id_free(b);
}
END_TEST

/* Every ranked read of two label summaries is the same. */
static void assert_same_label_reads(const kpi_topk *a, const kpi_topk *b, const char *ctx)
{
    ck_assert_msg(kpi_topk_total(a) == kpi_topk_total(b), "%s: total", ctx);
    ck_assert_msg(kpi_topk_size(a) == kpi_topk_size(b), "%s: size", ctx);
    ck_assert_msg(kpi_topk_error_bound(a) == kpi_topk_error_bound(b), "%s: error bound", ctx);
    for (size_t r = 0; r < kpi_topk_size(a); r++) {
        const char *la, *lb;
        size_t na, nb;
        uint64_t v[2][3];
        ck_assert_ok(kpi_topk_entry(a, r, &la, &na, &v[0][0], &v[0][1], &v[0][2]));
        ck_assert_ok(kpi_topk_entry(b, r, &lb, &nb, &v[1][0], &v[1][1], &v[1][2]));
        ck_assert_msg(na == nb && memcmp(la, lb, na) == 0 && memcmp(v[0], v[1], sizeof v[0]) == 0,
                      "%s: rank %zu: %.*s %llu vs %.*s %llu", ctx, r, (int)na, la,
                      (unsigned long long)v[0][0], (int)nb, lb, (unsigned long long)v[1][0]);
    }
}

/* A short batch into a summary that already holds many keys cannot be
 * counted first (its weighted adds would cross too many runs): it goes one
 * at a time, decided after a few keys, so its state is the singles' to
 * the byte; ids and labels. */
/* ---- many distinct ids in a short range ----------------------------------- */

/* ids[0, n): base + values in [0, universe), every one of them among the
 * first `universe` (in a scrambled order), the rest drawn with `skew`. */
static void range_batch(uint64_t *ids, size_t n, uint64_t base, uint64_t universe, double skew,
                        test_rng *r)
{
    for (size_t i = 0; i < n; i++)
        ids[i] = base + (i < universe ? (i * 7919) % universe
                                      : (uint64_t)(pow(test_uniform(r), skew) * (double)universe));
}

START_TEST(id_batches_of_many_ids_in_a_short_range_are_counted_first)
{
    /* More than 256 distinct ids (the sparse count's most) within 16,384
     * of each other, into summaries that can hold them: counted over their
     * range and added as one weight per id (the bytes of those weighted
     * adds), reading like the singles; then a second batch, half of its
     * ids held already (the held ids' order and the new ones', merged). */
    static uint64_t ids[140000];
    const struct {
        uint32_t cap;
        uint64_t universe, base;
        int64_t shift; /* the second batch's range, from the first's */
        size_t n;
    } cases[] = {
        {1000, 600, UINT64_C(1000000000000), 300, 100000},
        {300, 257, 256, 20, 20000},     /* one above the sparse count's most */
        {5000, 650, UINT64_MAX - 649, -100, 120000}, /* the top of the ids */
        {2000, 400, 5, 200, 50000},     /* small ids too, not all below 256 */
    };
    for (size_t c = 0; c < N_OF(cases); c++) {
        test_rng r = {c + 77};
        kpi_topk_id *p, *s;
        ck_assert_ok(kpi_topk_id_new(&p, cases[c].cap));
        range_batch(ids, cases[c].n, cases[c].base, cases[c].universe, 2.5, &r);
        char ctx[96];
        snprintf(ctx, sizeof ctx, "case %zu, first batch", c);
        s = singles_of(p, ids, cases[c].n);
        counted_batch(&p, ids, cases[c].n, ctx);
        ck_assert_msg(!same_id_bytes(p, s), "%s: the singles' bytes", ctx);
        ck_assert_uint_eq(kpi_topk_id_size(p), cases[c].universe);
        kpi_topk_id_free(s);
        range_batch(ids, N_OF(ids), cases[c].base + (uint64_t)cases[c].shift, cases[c].universe,
                    1.5, &r);
        snprintf(ctx, sizeof ctx, "case %zu, second batch", c);
        counted_batch(&p, ids, N_OF(ids), ctx);
        kpi_topk_id_free(p);
    }
}
END_TEST

START_TEST(id_batches_the_range_count_cannot_take_go_one_at_a_time)
{
    /* 300 distinct ids whose range is one too wide (16,385 ids), beside
     * the same with the widest range counted (16,384); a summary too small
     * for them; one that has evicted: one id at a time, the singles' bytes */
    static uint64_t ids[40000];
    const uint64_t base = UINT64_C(1) << 40;
    for (uint64_t wide = 16383; wide <= 16384; wide++) {
        test_rng r = {wide};
        range_batch(ids, N_OF(ids), base, 299, 2.0, &r);
        ids[N_OF(ids) / 2] = base + wide; /* the 300th id, at the range's end */
        kpi_topk_id *p, *s;
        ck_assert_ok(kpi_topk_id_new(&p, 1000));
        s = singles_of(p, ids, N_OF(ids));
        if (wide == 16383) {
            counted_batch(&p, ids, N_OF(ids), "the widest range");
            ck_assert(!same_id_bytes(p, s));
        } else {
            ck_assert_ok(kpi_topk_id_add_array(p, ids, N_OF(ids)));
            ck_assert_msg(same_id_bytes(p, s), "a range too wide was counted first");
        }
        kpi_topk_id_free(s);
        kpi_topk_id_free(p);
    }
    test_rng r = {5};
    range_batch(ids, N_OF(ids), base, 300, 2.0, &r);
    for (int lossy = 0; lossy <= 1; lossy++) {
        kpi_topk_id *p, *s, *q;
        ck_assert_ok(kpi_topk_id_new(&p, lossy ? 1000 : 299));
        for (uint64_t x = 0; lossy && x < 1001; x++)
            ck_assert_ok(kpi_topk_id_add(p, x, 1));
        ck_assert_uint_eq(kpi_topk_id_error_bound(p) > 0, lossy);
        s = singles_of(p, ids, N_OF(ids));
        q = batch_vs_singles(p, ids, N_OF(ids), lossy ? "lossy" : "over the capacity");
        ck_assert(same_id_bytes(q, s));
        kpi_topk_id_free(q);
        kpi_topk_id_free(s);
        kpi_topk_id_free(p);
    }
}
END_TEST

START_TEST(id_range_count_without_its_tables_goes_one_at_a_time)
{
    /* Each of the range count's allocations refused in turn: the batch is
     * added all the same (one id at a time: the singles' bytes), and
     * nothing is left allocated. */
    static uint64_t ids[30000];
    test_rng r = {9};
    range_batch(ids, N_OF(ids), 4096, 300, 2.0, &r);
    for (long k = 1; k <= 3; k++) {
        test_alloc t;
        kpi_allocator a = test_allocator(&t);
        kpi_topk_id *p, *s;
        ck_assert_ok(kpi_topk_id_new_with(&p, 1000, &a));
        s = singles_of(p, ids, N_OF(ids));
        const long live = t.live;
        t.fail_at = t.calls + k;
        ck_assert_ok(kpi_topk_id_add_array(p, ids, N_OF(ids)));
        const long calls = t.calls - (t.fail_at - k);
        t.fail_at = 0;
        ck_assert_int_eq(t.live, live);
        if (k <= calls)
            ck_assert_msg(same_id_bytes(p, s), "allocation %ld refused: not the singles", k);
        else
            ck_assert_msg(!same_id_bytes(p, s), "%ld allocations: not counted first", calls);
        kpi_topk_id_free(s);
        kpi_topk_id_free(p);
        ck_assert_int_eq(t.live, 0);
    }
}
END_TEST

START_TEST(id_batches_of_at_most_256_ids_in_a_short_range_never_allocate)
{
    /* topk.h: only a batch of more than 256 distinct ids in a short range
     * counts in tables allocated for the call; one of at most 256 (topic
     * ids 1000 on, or at the top of the ids), however short its range,
     * counts on the stack (the sparse count) into a summary of 257 or
     * 100,000 counters, empty or holding ids: no allocator call, and the
     * weighted adds' bytes, also with every allocation refused */
    static uint64_t ids[20000];
    const struct {
        uint32_t cap;
        uint64_t base, universe;
        size_t n;
        int held;
    } cases[] = {
        {257, 1000, 10, 4096, 0},   {257, 1000, 256, 20000, 0},
        {100000, 1000, 1, 4096, 0}, {100000, UINT64_MAX - 99, 100, 20000, 1},
        {1000, 1 << 20, 200, 20000, 1},
    };
    for (size_t c = 0; c < N_OF(cases); c++) {
        for (int refuse = 0; refuse <= 1; refuse++) {
            test_rng r = {c + 5};
            range_batch(ids, cases[c].n, cases[c].base, cases[c].universe, 2.0, &r);
            test_alloc t;
            kpi_allocator a = test_allocator(&t);
            kpi_topk_id *p;
            ck_assert_ok(kpi_topk_id_new_with(&p, cases[c].cap, &a));
            for (uint64_t x = 0; cases[c].held && x < 40; x++) /* ids of its range, and others */
                ck_assert_ok(kpi_topk_id_add(p, x % 2 ? cases[c].base + x : x << 30, x + 1));
            kpi_topk_id *want = weighted_adds(p, ids, cases[c].n);
            const long calls = t.calls;
            t.fail_at = refuse ? calls + 1 : 0;
            ck_assert_ok(kpi_topk_id_add_array(p, ids, cases[c].n));
            t.fail_at = 0;
            ck_assert_msg(t.calls == calls, "case %zu: %ld allocator calls", c, t.calls - calls);
            ck_assert_msg(same_id_bytes(p, want), "case %zu (refused %d): not counted first", c,
                          refuse);
            kpi_topk_id_free(want);
            kpi_topk_id_free(p);
            ck_assert_int_eq(t.live, 0);
        }
    }
}
END_TEST

/* ---- int16 codes (kpi_topk_id_add_codes16) ------------------------------- */

/* codes[0, n) into a copy of base through kpi_topk_id_add_codes16, read
 * like the widened ids one at a time; the batch's object, and in *ids the
 * widened ids (at least n). */
static kpi_topk_id *codes16_vs_singles(const kpi_topk_id *base, const int16_t *codes, size_t n,
                                       uint64_t *ids, const char *ctx)
{
    kpi_topk_id *a, *b;
    ck_assert_ok(kpi_topk_id_clone(base, &a));
    ck_assert_ok(kpi_topk_id_add_codes16(a, codes, n));
    for (size_t i = 0; i < n; i++)
        ids[i] = (uint64_t)(int64_t)codes[i];
    b = singles_of(base, ids, n);
    assert_same_id_reads(a, b, 300, ctx);
    kpi_topk_id_free(b);
    return a;
}

/* codes16_vs_singles(), which must also give the bytes of the weighted
 * adds of the widened ids (counted first). */
static kpi_topk_id *codes16_counted(const kpi_topk_id *base, const int16_t *codes, size_t n,
                                    uint64_t *ids, const char *ctx)
{
    for (size_t i = 0; i < n; i++)
        ids[i] = (uint64_t)(int64_t)codes[i];
    kpi_topk_id *want = weighted_adds(base, ids, n);
    kpi_topk_id *q = codes16_vs_singles(base, codes, n, ids, ctx);
    ck_assert_msg(same_id_bytes(q, want), "%s: not the weighted adds' bytes", ctx);
    kpi_topk_id_free(want);
    return q;
}

START_TEST(id_codes16_count_as_their_ids)
{
    /* pandas' int16 codes (-1 missing), counted over their range: the
     * weighted adds' bytes, the singles' reads; at both ends of int16 and
     * with 60 categories (a range of at most 256); then a second batch
     * into the state, part of its codes held */
    static int16_t codes[60000];
    static uint64_t ids[60000];
    const struct {
        int32_t lo;
        uint32_t k; /* categories */
    } cases[] = {{0, 300}, {0, 60}, {-32768, 400}, {32767 - 349, 350}};
    for (size_t c = 0; c < N_OF(cases); c++) {
        test_rng r = {c + 31};
        for (size_t i = 0; i < N_OF(codes); i++) {
            uint32_t v = i < cases[c].k ? (uint32_t)((i * 7919) % cases[c].k)
                                        : (uint32_t)(pow(test_uniform(&r), 2.0) * cases[c].k);
            codes[i] = (int16_t)(cases[c].lo + (int32_t)v);
        }
        if (cases[c].lo == 0)
            for (size_t i = 3; i < N_OF(codes); i += 97)
                codes[i] = -1;
        for (int round = 0; round < 2; round++) {
            kpi_topk_id *p;
            ck_assert_ok(kpi_topk_id_new(&p, 1000));
            if (round == 1) /* held ids, one of them a code */
                for (uint64_t x = 0; x < 20; x++)
                    ck_assert_ok(kpi_topk_id_add(p, x % 2 ? x : (uint64_t)1 << 50 | x, x + 1));
            char ctx[80];
            snprintf(ctx, sizeof ctx, "codes %d + %u, round %d", cases[c].lo, cases[c].k, round);
            kpi_topk_id *q = codes16_counted(p, codes, N_OF(codes), ids, ctx);
            /* a second batch: half of the codes moved past the first's */
            for (size_t i = 0; i < N_OF(codes) / 2; i++)
                codes[i] = (int16_t)(codes[i] == 32767 ? 32767 : codes[i] + (codes[i] > 0));
            kpi_topk_id_free(codes16_counted(q, codes, N_OF(codes), ids, ctx));
            kpi_topk_id_free(q);
            kpi_topk_id_free(p);
        }
    }
}
END_TEST

START_TEST(id_range_and_codes16_counts_at_the_edges_of_their_conditions)
{
    /* 257 distinct ids (the top of the id space, and from 0), each seen,
     * into a summary of 257 counters (full after) or 100,000: counted
     * (the weighted adds' bytes) from 16,513 ids on, where d x s = 257 x
     * 257 <= 4 n; one id fewer goes one at a time (the singles' bytes) */
    static uint64_t ids[70000];
    static int16_t codes[70000];
    const uint64_t bases[] = {UINT64_MAX - 256, 0};
    for (size_t b = 0; b < N_OF(bases); b++)
        for (uint32_t cap = 257; cap <= 100000; cap = cap == 257 ? 100000 : UINT32_MAX) {
            for (size_t n = 16512; n <= 16513; n++) {
                test_rng r = {n + b};
                range_batch(ids, n, bases[b], 257, 3.0, &r);
                kpi_topk_id *p, *s;
                ck_assert_ok(kpi_topk_id_new(&p, cap));
                s = singles_of(p, ids, n);
                char ctx[80];
                snprintf(ctx, sizeof ctx, "base %zu, m %u, %zu ids", b, cap, n);
                if (n == 16513) {
                    counted_batch(&p, ids, n, ctx);
                } else {
                    ck_assert_ok(kpi_topk_id_add_array(p, ids, n));
                    ck_assert_msg(same_id_bytes(p, s), "%s: counted first", ctx);
                }
                ck_assert_uint_eq(kpi_topk_id_size(p), 257);
                kpi_topk_id_free(s);
                kpi_topk_id_free(p);
            }
        }
    /* int16 codes at both ends of int16 in one batch (a range of 65,536
     * codes): counted from 65,536 codes on, one at a time below; all one
     * code (32 of them, the fewest counted; then 5,000); -1 only */
    for (size_t i = 0; i < N_OF(codes); i++)
        codes[i] = (int16_t)(i % 4 == 0 ? -32768 : i % 4 == 1 ? 32767 : i % 4 == 2 ? -1 : 0);
    const struct {
        size_t n;
        int16_t all; /* 0: the mixed codes above */
        bool counted;
    } cases[] = {{65536, 0, true}, {65535, 0, false}, {70000, 0, true},
                 {32, 32767, true}, {5000, -32768, true}, {31, -1, false},
                 {32, -1, true}, {5000, -1, true}};
    for (size_t c = 0; c < N_OF(cases); c++) {
        int16_t *v = codes;
        int16_t same_codes[5000];
        if (cases[c].all != 0) {
            for (size_t i = 0; i < cases[c].n; i++)
                same_codes[i] = cases[c].all;
            v = same_codes;
        }
        kpi_topk_id *p, *q;
        ck_assert_ok(kpi_topk_id_new(&p, 300));
        char ctx[80];
        snprintf(ctx, sizeof ctx, "codes case %zu (%zu codes)", c, cases[c].n);
        if (cases[c].counted) {
            q = codes16_counted(p, v, cases[c].n, ids, ctx);
        } else {
            q = codes16_vs_singles(p, v, cases[c].n, ids, ctx);
            kpi_topk_id *s = singles_of(p, ids, cases[c].n);
            ck_assert_msg(same_id_bytes(q, s), "%s: counted first", ctx);
            kpi_topk_id_free(s);
        }
        kpi_topk_id_free(q);
        kpi_topk_id_free(p);
    }
}
END_TEST

START_TEST(id_codes16_not_counted_first_go_one_at_a_time)
{
    /* lossy, too small, a range wider than the batch and 256 codes, short
     * batches, too many distinct codes for the batch's length, and every
     * allocation refused: the singles' bytes */
    static int16_t codes[20000];
    static uint64_t ids[20000];
    test_rng r = {3};
    for (size_t i = 0; i < N_OF(codes); i++)
        codes[i] = (int16_t)(pow(test_uniform(&r), 2.0) * 300);
    struct {
        uint32_t cap;
        size_t n;
        int lossy;
        const char *what;
    } cases[] = {{1000, 20000, 1, "lossy"}, {100, 20000, 0, "too small"},
                 {1000, 31, 0, "31 codes"}, {1000, 300, 0, "a range wider than the batch"},
                 {1000, 20000, 0, "300 distinct codes in 20000 (d x s > 4 n)"}};
    for (size_t c = 0; c < N_OF(cases); c++) {
        if (c == 3) {
            for (size_t i = 0; i < 300; i++)
                codes[i] = (int16_t)(i % 2 ? -32768 + (int32_t)i : 32767 - (int32_t)i);
        }
        kpi_topk_id *p, *s;
        ck_assert_ok(kpi_topk_id_new(&p, cases[c].cap));
        for (uint64_t x = 0; cases[c].lossy && x <= cases[c].cap; x++)
            ck_assert_ok(kpi_topk_id_add(p, x << 40, 1));
        kpi_topk_id *q = codes16_vs_singles(p, codes, cases[c].n, ids, cases[c].what);
        s = singles_of(p, ids, cases[c].n);
        ck_assert_msg(same_id_bytes(q, s), "%s: counted first", cases[c].what);
        kpi_topk_id_free(s);
        kpi_topk_id_free(q);
        kpi_topk_id_free(p);
    }
    /* each of the count's allocations refused: the singles, nothing left */
    for (size_t i = 0; i < N_OF(codes); i++) /* 250 codes, 80 each, first seen out of order */
        codes[i] = (int16_t)(i * 7919 % 250);
    for (long k = 1; k <= 3; k++) {
        test_alloc t;
        kpi_allocator a = test_allocator(&t);
        kpi_topk_id *p, *s;
        ck_assert_ok(kpi_topk_id_new_with(&p, 1000, &a));
        for (size_t i = 0; i < N_OF(codes); i++)
            ids[i] = (uint64_t)(int64_t)codes[i];
        s = singles_of(p, ids, N_OF(codes));
        const long live = t.live, first = t.calls + 1;
        t.fail_at = first + k - 1;
        ck_assert_ok(kpi_topk_id_add_codes16(p, codes, N_OF(codes)));
        const long calls = t.calls - first + 1;
        t.fail_at = 0;
        ck_assert_int_eq(t.live, live);
        ck_assert_msg(same_id_bytes(p, s) == (k <= calls), "allocation %ld of %ld", k, calls);
        kpi_topk_id_free(s);
        kpi_topk_id_free(p);
        ck_assert_int_eq(t.live, 0);
    }
}
END_TEST

/* An allocator that keeps the sizes it was asked for (at most 8). */
typedef struct sized_alloc {
    size_t size[8];
    int n;
} sized_alloc;

static void *sized_malloc(void *opaque, size_t n)
{
    sized_alloc *s = opaque;
    if (s->n < 8)
        s->size[s->n] = n;
    s->n++;
    return malloc(n);
}

static void *sized_realloc(void *opaque, void *p, size_t n)
{
    (void)opaque;
    return realloc(p, n);
}

static void sized_free(void *opaque, void *p)
{
    (void)opaque;
    free(p);
}

START_TEST(id_codes16_tables_are_the_size_topk_h_gives)
{
    /* topk.h: 24 bytes per code of the range, then 82 to 116 bytes per
     * distinct code (a hash table of 2 to 4 cells a code, its flags and
     * the weighted adds' scratch); 300 and 512 distinct codes, each its
     * own range, counted first */
    static int16_t codes[70000];
    const size_t ks[] = {300, 512};
    for (size_t c = 0; c < N_OF(ks); c++) {
        for (size_t i = 0; i < N_OF(codes); i++)
            codes[i] = (int16_t)(i * 7919 % ks[c]);
        sized_alloc s = {{0}, 0};
        kpi_allocator a = {sized_malloc, sized_realloc, sized_free, &s};
        kpi_topk_id *p;
        ck_assert_ok(kpi_topk_id_new_with(&p, 1000, &a));
        s.n = 0;
        ck_assert_ok(kpi_topk_id_add_codes16(p, codes, N_OF(codes)));
        ck_assert_uint_eq(kpi_topk_id_size(p), ks[c]);
        ck_assert_int_eq(s.n, 2);
        ck_assert_uint_eq(s.size[0], 24 * ks[c]);
        ck_assert_msg(s.size[1] >= 82 * ks[c] && s.size[1] <= 116 * ks[c],
                      "%zu codes: %zu bytes", ks[c], s.size[1]);
        kpi_topk_id_free(p);
    }
}
END_TEST

START_TEST(id_codes16_refuse_bad_calls_and_change_nothing)
{
    int16_t codes[64] = {0};
    kpi_topk_id *p;
    ck_assert_ok(kpi_topk_id_new(&p, 10));
    ck_assert_ok(kpi_topk_id_add(p, 7, UINT64_MAX - 40));
    kpi_topk_id *was;
    ck_assert_ok(kpi_topk_id_clone(p, &was));
    ck_assert_status(kpi_topk_id_add_codes16(NULL, codes, 64), KPI_ERR_INVALID);
    ck_assert_status(kpi_topk_id_add_codes16(p, NULL, 1), KPI_ERR_INVALID);
    ck_assert_status(kpi_topk_id_add_codes16(p, codes, 64), KPI_ERR_OVERFLOW);
    ck_assert_status(kpi_topk_id_add_codes16((kpi_topk_id *)(void *)codes, codes, 1),
                     KPI_ERR_INVALID);
    ck_assert(same_id_bytes(p, was));
    ck_assert_ok(kpi_topk_id_add_codes16(p, NULL, 0));
    ck_assert_ok(kpi_topk_id_add_codes16(p, codes, 40)); /* exactly what fits */
    ck_assert_uint_eq(kpi_topk_id_total(p), UINT64_MAX);
    kpi_topk_id_free(was);
    kpi_topk_id_free(p);
}
END_TEST

START_TEST(short_batches_into_full_summaries_go_one_at_a_time)
{
    kpi_topk_id *a, *b;
    kpi_topk *la, *lb;
    ck_assert_ok(kpi_topk_id_new(&a, 100));
    ck_assert_ok(kpi_topk_new(&la, 100));
    char text[60][16];
    const char *lp[60];
    for (uint64_t i = 0; i < 60; i++) {
        ck_assert_ok(kpi_topk_id_add(a, 1000 + i, 1 + i % 7));
        snprintf(text[i], sizeof text[i], "topic-%02u", (unsigned)i);
        lp[i] = text[i];
        ck_assert_ok(kpi_topk_add_str(la, text[i]));
    }
    ck_assert_ok(kpi_topk_id_clone(a, &b));
    ck_assert_ok(kpi_topk_clone(la, &lb));
    uint64_t ids[40];
    const char *lab[40];
    for (size_t i = 0; i < 40; i++) {
        ids[i] = 1000 + (i * 7) % 60;
        lab[i] = lp[(i * 11) % 60];
    }
    ck_assert_ok(kpi_topk_id_add_array(a, ids, 40));
    ck_assert_ok(kpi_topk_add_array(la, lab, NULL, 40));
    for (size_t i = 0; i < 40; i++) {
        ck_assert_ok(kpi_topk_id_add(b, ids[i], 1));
        ck_assert_ok(kpi_topk_add_str(lb, lab[i]));
    }
    unsigned char x[8192], y[8192];
    size_t nx, ny;
    ck_assert_ok(kpi_topk_id_serialize(a, x, sizeof x, &nx));
    ck_assert_ok(kpi_topk_id_serialize(b, y, sizeof y, &ny));
    ck_assert(nx == ny && memcmp(x, y, nx) == 0);
    unsigned char *bx = ser(la, &nx);
    assert_same_state(lb, bx, nx);
    free(bx);
    kpi_topk_id_free(a);
    kpi_topk_id_free(b);
    kpi_topk_free(la);
    kpi_topk_free(lb);
}
END_TEST

START_TEST(label_batches_are_counted_first_and_read_like_singles)
{
    /* b a b a ...: one weighted add per label, in order of final count,
     * ties by first place in the batch (b first) */
    const char *ab[64];
    for (size_t i = 0; i < 64; i++)
        ab[i] = i % 2 ? "a" : "b";
    kpi_topk *batch, *weighted, *singles;
    ck_assert_ok(kpi_topk_new(&batch, 4));
    ck_assert_ok(kpi_topk_new(&weighted, 4));
    ck_assert_ok(kpi_topk_new(&singles, 4));
    ck_assert_ok(kpi_topk_add_array(batch, ab, NULL, 64));
    ck_assert_ok(kpi_topk_add(weighted, "b", 1, 32));
    ck_assert_ok(kpi_topk_add(weighted, "a", 1, 32));
    for (size_t i = 0; i < 64; i++)
        ck_assert_ok(kpi_topk_add_str(singles, ab[i]));
    size_t n1, n2;
    unsigned char *b1 = ser(batch, &n1), *b2 = ser(weighted, &n2);
    ck_assert_msg(n1 == n2 && memcmp(b1, b2, n1) == 0, "the counted path was not taken");
    free(b1);
    free(b2);
    assert_same_label_reads(batch, singles, "b a b a ...");
    kpi_topk_free(batch);
    kpi_topk_free(weighted);
    kpi_topk_free(singles);

    /* random capacities, states and batches over up to 400 labels of 1 to
     * 60 bytes (inline and in the arena; some sharing their first bytes),
     * given with and without lengths: the batch reads like the singles */
    enum { U = 400, N = 5000 };
    static char text[U][64];
    static size_t tlen[U];
    for (size_t u = 0; u < U; u++) {
        test_rng g = {u + 7};
        tlen[u] = (size_t)test_range(&g, 1, 60);
        for (size_t j = 0; j < tlen[u]; j++)
            text[u][j] = (char)('a' + (u * 7 + j * (u % 5)) % 26);
        snprintf(text[u] + tlen[u] - (tlen[u] < 4 ? tlen[u] : 4), 5, "%04zu", u % 10000);
        tlen[u] = strlen(text[u]);
    }
    static const char *lp[N];
    static size_t ll[N];
    for (uint64_t seed = 1; seed <= 30; seed++) {
        test_rng r = {seed + 500};
        uint32_t cap = (uint32_t)test_range(&r, 1, 500);
        int64_t universe = test_range(&r, 1, U);
        kpi_topk *p;
        ck_assert_ok(kpi_topk_new(&p, cap));
        for (int64_t i = test_range(&r, 0, 20); i > 0; i--) {
            size_t u = (size_t)test_range(&r, 0, universe - 1);
            ck_assert_ok(kpi_topk_add(p, text[u], tlen[u], (uint64_t)test_range(&r, 1, 4)));
        }
        for (int round = 0; round < 3; round++) {
            size_t n = (size_t)test_range(&r, 0, 3) == 0 ? (size_t)test_range(&r, 0, 40)
                                                        : (size_t)test_range(&r, 32, N);
            double skew = test_uniform(&r) * 3;
            for (size_t i = 0; i < n; i++) {
                size_t u = (size_t)(pow(test_uniform(&r), skew) * (double)universe);
                lp[i] = text[u];
                ll[i] = tlen[u];
            }
            bool with_lens = test_range(&r, 0, 1) == 1;
            kpi_topk *q, *s1;
            ck_assert_ok(kpi_topk_clone(p, &q));
            ck_assert_ok(kpi_topk_clone(p, &s1));
            ck_assert_ok(kpi_topk_add_array(q, lp, with_lens ? ll : NULL, n));
            for (size_t i = 0; i < n; i++)
                ck_assert_ok(kpi_topk_add(s1, lp[i], ll[i], 1));
            char ctx[96];
            snprintf(ctx, sizeof ctx, "seed %llu round %d (m %u, %zu labels of %lld)",
                     (unsigned long long)seed, round, cap, n, (long long)universe);
            assert_same_label_reads(q, s1, ctx);
            kpi_topk_free(s1);
            kpi_topk_free(p);
            p = q;
        }
        kpi_topk_free(p);
    }
}
END_TEST

/* Every qsort() of this program, the library's included (a definition in
 * the executable comes first in the dynamic symbol lookup, and one compiled
 * in with lib/topk.c is the only one): counted while qsort_counting is set,
 * then a heapsort.  glibc's qsort() takes a heap buffer of the array's size
 * past 1 KiB, so a call that promises no heap must not sort with it. */
#if defined(__GLIBC__) && defined(__ELF__)
#define COUNTS_QSORT 1
static bool qsort_counting;
static long qsort_calls;

static void sort_swap(unsigned char *a, unsigned char *b, size_t size)
{
    for (size_t k = 0; k < size; k++) {
        unsigned char t = a[k];
        a[k] = b[k];
        b[k] = t;
    }
}

static void sort_sift(unsigned char *b, size_t i, size_t n, size_t size,
                      int (*cmp)(const void *, const void *))
{
    for (size_t k; (k = 2 * i + 1) < n; i = k) {
        if (k + 1 < n && cmp(b + (k + 1) * size, b + k * size) > 0)
            k++;
        if (cmp(b + k * size, b + i * size) <= 0)
            return;
        sort_swap(b + k * size, b + i * size, size);
    }
}

void qsort(void *base, size_t n, size_t size, int (*cmp)(const void *, const void *))
{
    unsigned char *b = base;
    qsort_calls += qsort_counting;
    for (size_t i = n / 2; i-- > 0;)
        sort_sift(b, i, n, size, cmp);
    for (; n > 1; n--) {
        sort_swap(b, b + (n - 1) * size, size);
        sort_sift(b, 0, n - 1, size, cmp);
    }
}
#else
#define COUNTS_QSORT 0
#endif

/* topk.h: "A batch counts on the stack, not the heap" (the sort of its
 * distinct labels included) */
START_TEST(label_batches_sort_without_the_heap)
{
    /* 200 labels x 200 = 40,000 into m = 1000: 200 distinct, all fitting,
     * 200 x 200 (distinct x size) <= 4 x 40,000, so counted first; their
     * 200 weighted adds were sorted by qsort (200 x 16 bytes: glibc's
     * buffer) */
    static char text[200][8];
    static const char *lp[40000];
    for (size_t u = 0; u < 200; u++)
        snprintf(text[u], sizeof text[u], "t%zu", u);
    for (size_t i = 0; i < 40000; i++)
        lp[i] = text[(i * 7) % 200];
    kpi_topk *p;
    ck_assert_ok(kpi_topk_new(&p, 1000));
#if COUNTS_QSORT
    qsort_calls = 0;
    qsort_counting = true;
#endif
    ck_assert_ok(kpi_topk_add_array(p, lp, NULL, 40000));
#if COUNTS_QSORT
    qsort_counting = false;
    ck_assert_int_eq(qsort_calls, 0);
#endif
    /* each label 40,000 / 200 = 200 times, exact; ranks by bytes: "t0",
     * "t1", "t10", "t100" */
    ck_assert_uint_eq(kpi_topk_size(p), 200);
    const char *want[] = {"t0", "t1", "t10", "t100"};
    for (size_t r = 0; r < 4; r++) {
        const char *l;
        size_t n;
        uint64_t c, lo;
        ck_assert_ok(kpi_topk_entry(p, r, &l, &n, &c, &lo, NULL));
        ck_assert(n == strlen(want[r]) && memcmp(l, want[r], n) == 0);
        ck_assert(c == 200 && lo == 200);
    }
    kpi_topk_free(p);
}
END_TEST

START_TEST(id_batch_refused_whole_changes_nothing)
{
    uint64_t ids[100];
    for (size_t i = 0; i < 100; i++)
        ids[i] = i % 10;
    kpi_topk_id *p;
    ck_assert_ok(kpi_topk_id_new(&p, 16));
    ck_assert_ok(kpi_topk_id_add(p, 3, UINT64_MAX - 150));
    ck_assert_ok(kpi_topk_id_add_array(p, ids, 100));
    size_t n;
    unsigned char *before = ser_id(p, &n);
    ck_assert_status(kpi_topk_id_add_array(p, ids, 100), KPI_ERR_OVERFLOW);
    ck_assert_status(kpi_topk_id_add_array(p, NULL, 100), KPI_ERR_INVALID);
    ck_assert_status(kpi_topk_id_add_array(NULL, ids, 100), KPI_ERR_INVALID);
    size_t m;
    unsigned char *after = ser_id(p, &m);
    ck_assert(m == n && memcmp(before, after, n) == 0);
    ck_assert_ok(kpi_topk_id_add_array(p, ids, 50)); /* what still fits */
    ck_assert_uint_eq(kpi_topk_id_total(p), UINT64_MAX);
    free(before);
    free(after);
    kpi_topk_id_free(p);
}
END_TEST

#if defined(__SIZEOF_INT128__)
/* The index's home group of an id, mirroring lib/topk.c (hash_id, the
 * low hash bits); with capacity 16 the index has 4 groups of 16. */
static unsigned home_group(uint64_t id, unsigned groups)
{
    __extension__ typedef unsigned __int128 u128;
    u128 r = (u128)(id ^ UINT64_C(0xa0761d6478bd642f)) *
             UINT64_C(0xe7037ed1a0b428db);
    return (unsigned)(((uint64_t)r ^ (uint64_t)(r >> 64)) & (groups - 1));
}

START_TEST(crowded_index_groups_give_the_same_states)
{
    /* 40 ids sharing one home group: with 16 counters that group fills
     * (16 entries, and the new one of an eviction), so keys spill into
     * the next groups, and deletions leave holes behind them.  The order
     * and counts never depend on key values, only on which adds hit, so
     * an object fed the i-th crowded id must match, rank by rank after
     * every add, one fed the plain id i (ids ascending both ways). */
    uint64_t crowd[40];
    size_t nc = 0;
    for (uint64_t x = 1; nc < 40; x++)
        if (home_group(x, 4) == 0)
            crowd[nc++] = x;
    kpi_topk_id *a, *b;
    ck_assert_ok(kpi_topk_id_new(&a, 16));
    ck_assert_ok(kpi_topk_id_new(&b, 16));
    test_rng r = {7};
    for (int i = 0; i < 4000; i++) {
        size_t j = i < 16 ? (size_t)i
                          : (size_t)(test_uniform(&r) * test_uniform(&r) * 40);
        uint64_t w = test_range(&r, 0, 15) == 0 ? 3 : 1;
        ck_assert_ok(kpi_topk_id_add(a, crowd[j], w));
        ck_assert_ok(kpi_topk_id_add(b, j, w));
        ck_assert_uint_eq(kpi_topk_id_size(a), kpi_topk_id_size(b));
        for (size_t k = 0; k < kpi_topk_id_size(a); k++) {
            uint64_t ia, ib, ca, cb, la, lb;
            ck_assert_ok(kpi_topk_id_entry(a, k, &ia, &ca, &la, NULL));
            ck_assert_ok(kpi_topk_id_entry(b, k, &ib, &cb, &lb, NULL));
            ck_assert(ib < 40 && ia == crowd[ib] && ca == cb && la == lb);
        }
        if (i % 97 == 0)
            for (size_t x = 0; x < 40; x++) {
                uint64_t ca = 0, cb = 0;
                int ra = kpi_topk_id_estimate(a, crowd[x], &ca, NULL, NULL);
                int rb = kpi_topk_id_estimate(b, x, &cb, NULL, NULL);
                ck_assert(ra == rb && ca == cb);
            }
    }
    /* and the crowded object round-trips through its bytes */
    size_t n;
    unsigned char *bytes = ser_id(a, &n);
    kpi_topk_id *c;
    ck_assert_ok(kpi_topk_id_deserialize(&c, bytes, n));
    size_t n2;
    unsigned char *bytes2 = ser_id(c, &n2);
    ck_assert(n == n2 && memcmp(bytes, bytes2, n) == 0);
    free(bytes);
    free(bytes2);
    kpi_topk_id_free(c);
    kpi_topk_id_free(a);
    kpi_topk_id_free(b);
}
END_TEST
#endif

START_TEST(long_labels_survive_eviction_and_compaction)
{
    /* labels of 25..255 bytes live in the arena; heavy churn through four
     * counters makes it compact many times */
    kpi_topk *p;
    ck_assert_ok(kpi_topk_new(&p, 4));
    char heavy[200], l[256];
    memset(heavy, 'h', sizeof heavy);
    test_rng r = {99};
    uint64_t heavy_n = 0;
    for (int i = 0; i < 5000; i++) {
        if (i % 3 == 0) {
            ck_assert_ok(kpi_topk_add(p, heavy, sizeof heavy, 1));
            heavy_n++;
            continue;
        }
        size_t n = (size_t)test_range(&r, 1, 255);
        for (size_t b = 0; b < n; b++)
            l[b] = (char)('a' + (test_rand(&r) % 26));
        ck_assert_ok(kpi_topk_add(p, l, n, 1));
    }
    const char *got;
    size_t n;
    uint64_t c, lo;
    ck_assert_ok(kpi_topk_entry(p, 0, &got, &n, &c, &lo, NULL));
    ck_assert_uint_eq(n, sizeof heavy);
    ck_assert(memcmp(got, heavy, n) == 0);
    ck_assert(lo <= heavy_n && heavy_n <= c);
    /* a round trip keeps every label byte for byte */
    size_t bn;
    unsigned char *b = ser(p, &bn);
    kpi_topk *q;
    ck_assert_ok(kpi_topk_deserialize(&q, b, bn));
    assert_same_state(q, b, bn);
    ck_assert_uint_le(kpi_topk_footprint(p), 8 * 200 + 2 * 4 * 260 + 4 * 200);
    free(b);
    kpi_topk_free(q);
    kpi_topk_free(p);
}
END_TEST

/* An allocator that puts GUARD_N pattern bytes after every block and
 * counts blocks whose pattern was overwritten when they are freed or
 * reallocated (*(long *)opaque): a write past a block's end shows up
 * without a sanitizer. */
#define GUARD_N 64
static void *guard_store(void *raw, size_t n)
{
    if (raw == NULL)
        return NULL;
    memcpy(raw, &n, sizeof n);
    memset((unsigned char *)raw + 16 + n, 0xA5, GUARD_N);
    return (unsigned char *)raw + 16;
}
static void guard_check(void *opaque, void *p)
{
    unsigned char *raw = (unsigned char *)p - 16;
    size_t n;
    memcpy(&n, raw, sizeof n);
    for (size_t i = 0; i < GUARD_N; i++)
        if (raw[16 + n + i] != 0xA5) {
            ++*(long *)opaque;
            break;
        }
}
static void *guard_malloc(void *opaque, size_t n)
{
    (void)opaque;
    return guard_store(malloc(16 + n + GUARD_N), n);
}
static void *guard_realloc(void *opaque, void *p, size_t n)
{
    if (p == NULL)
        return guard_malloc(opaque, n);
    guard_check(opaque, p);
    void *raw = realloc((unsigned char *)p - 16, 16 + n + GUARD_N);
    return guard_store(raw, n);
}
static void guard_free(void *opaque, void *p)
{
    if (p == NULL)
        return;
    guard_check(opaque, p);
    free((unsigned char *)p - 16);
}

/* A slot whose long label gave way to a short one and then to another long
 * one: the first long label's record is garbage, and the compaction that
 * makes room for the new record must drop it.  (It kept it, because the
 * slot's stale arena offset still pointed at it, and wrote the new record
 * past the end of an arena sized to its live labels, as a clone's or a
 * decoded object's is.) */
START_TEST(a_slot_back_to_a_long_label_compacts_its_old_record_away)
{
    long damaged = 0;
    kpi_allocator a = {guard_malloc, guard_realloc, guard_free, &damaged};
    char l255[255], l27[27];
    memset(l255, 'a', sizeof l255);
    memset(l27, 'b', sizeof l27);
    for (int how = 0; how < 2; how++) {
        kpi_topk *p, *q;
        ck_assert_ok(kpi_topk_new_with(&p, 1, &a));
        ck_assert_ok(kpi_topk_add(p, l255, sizeof l255, 1));
        if (how == 0) {
            ck_assert_ok(kpi_topk_clone(p, &q));
        } else {
            size_t n;
            unsigned char *b = ser(p, &n);
            ck_assert_ok(kpi_topk_deserialize_with(&q, b, n, &a));
            free(b);
        }
        ck_assert_ok(kpi_topk_add(q, "x", 1, 1));      /* evicts l255 */
        ck_assert_ok(kpi_topk_add(q, l27, sizeof l27, 1)); /* evicts "x" */
        /* Space-Saving with one counter: l27 inherits 2, counts 3 */
        const char *got;
        size_t n;
        uint64_t c, lo, up;
        ck_assert_ok(kpi_topk_entry(q, 0, &got, &n, &c, &lo, &up));
        ck_assert_uint_eq(n, sizeof l27);
        ck_assert(memcmp(got, l27, n) == 0);
        ck_assert_uint_eq(c, 3);
        ck_assert_uint_eq(lo, 1);
        ck_assert_uint_eq(kpi_topk_error_bound(q), 3); /* the minimum */
        kpi_topk_free(q);
        kpi_topk_free(p);
        ck_assert_int_eq(damaged, 0);
    }
}
END_TEST

/* Two objects of capacity cap fed na and nb Zipf draws (seeds seed and
 * seed + 1000); truth[] (zeroed here) counts both streams. */
static void two_streams(uint32_t cap, size_t na, size_t nb, uint64_t seed,
                        uint64_t *truth, kpi_topk **a, kpi_topk **b)
{
    ck_assert_ok(kpi_topk_new(a, cap));
    ck_assert_ok(kpi_topk_new(b, cap));
    memset(truth, 0, NLAB * sizeof *truth);
    feed(*a, truth, na, seed);
    feed(*b, truth, nb, seed + 1000);
}

START_TEST(merge_after_heavy_eviction_keeps_the_bounds)
{
    make_labels();
    for (uint32_t cap = 2; cap <= 64; cap *= 4) {
        kpi_topk *a, *b;
        static uint64_t truth[NLAB];
        two_streams(cap, 20000, 20000, 7 * cap, truth, &a, &b);
        ck_assert_uint_gt(kpi_topk_error_bound(a), 0);
        /* merging the decoded copy gives the same state as the original */
        size_t bn;
        unsigned char *bb = ser(b, &bn);
        kpi_topk *b2, *a2;
        ck_assert_ok(kpi_topk_deserialize(&b2, bb, bn));
        ck_assert_ok(kpi_topk_clone(a, &a2));
        ck_assert_ok(kpi_topk_merge(a, b));
        ck_assert_ok(kpi_topk_merge(a2, b2));
        size_t n1, n2;
        unsigned char *s1 = ser(a, &n1), *s2 = ser(a2, &n2);
        ck_assert(n1 == n2 && memcmp(s1, s2, n1) == 0);
        ck_assert_uint_eq(kpi_topk_total(a), 40000);
        ck_assert_uint_eq(kpi_topk_size(a), cap);
        check_bounds(a, truth, cap);
        /* the merged counters never exceed N in sum */
        uint64_t sum = 0, c;
        for (size_t k = 0; k < cap; k++) {
            ck_assert_ok(kpi_topk_entry(a, k, NULL, NULL, &c, NULL, NULL));
            sum += c;
        }
        ck_assert_uint_le(sum, 40000);
        /* and the merged object goes on counting within its bounds */
        feed(a, truth, 5000, 3 * cap);
        check_bounds(a, truth, cap);
        free(bb);
        free(s1);
        free(s2);
        kpi_topk_free(a);
        kpi_topk_free(b);
        kpi_topk_free(a2);
        kpi_topk_free(b2);
    }
}
END_TEST

/* ---- merge -------------------------------------------------------------- */

START_TEST(merge_bounds_hold_over_both_streams)
{
    make_labels();
    for (uint32_t cap = 5; cap <= 320; cap *= 4) {
        kpi_topk *a, *b;
        static uint64_t truth[NLAB];
        two_streams(cap, 15000, 9000, cap, truth, &a, &b);
        ck_assert_ok(kpi_topk_merge(a, b));
        ck_assert_uint_eq(kpi_topk_total(a), 24000);
        check_bounds(a, truth, cap);
        kpi_topk_free(a);
        kpi_topk_free(b);
    }
}
END_TEST

START_TEST(merge_of_exact_objects_equals_one_stream)
{
    make_labels();
    for (uint64_t seed = 1; seed <= 5; seed++) {
        kpi_topk *a, *b, *one;
        ck_assert_ok(kpi_topk_new(&a, 300));
        ck_assert_ok(kpi_topk_new(&b, 300));
        ck_assert_ok(kpi_topk_new(&one, 300));
        test_rng r = {seed};
        for (int i = 0; i < 3000; i++) {
            size_t j = (size_t)test_range(&r, 0, 299);
            kpi_topk *half = (test_rand(&r) & 1) ? a : b;
            ck_assert_ok(kpi_topk_add(half, labels[j], label_len[j], 1));
            ck_assert_ok(kpi_topk_add(one, labels[j], label_len[j], 1));
        }
        ck_assert_ok(kpi_topk_merge(a, b));
        ck_assert_uint_eq(kpi_topk_size(a), kpi_topk_size(one));
        ck_assert_uint_eq(kpi_topk_error_bound(a), 0);
        for (size_t k = 0; k < kpi_topk_size(one); k++) {
            const char *l1, *l2;
            size_t n1, n2;
            uint64_t c1, c2, lo1, lo2;
            ck_assert_ok(kpi_topk_entry(a, k, &l1, &n1, &c1, &lo1, NULL));
            ck_assert_ok(kpi_topk_entry(one, k, &l2, &n2, &c2, &lo2, NULL));
            ck_assert(n1 == n2 && memcmp(l1, l2, n1) == 0);
            ck_assert(c1 == c2 && lo1 == lo2 && lo1 == c1);
        }
        kpi_topk_free(a);
        kpi_topk_free(b);
        kpi_topk_free(one);
    }
}
END_TEST

START_TEST(merge_refuses_other_capacities_and_doubles_itself)
{
    kpi_topk *a, *b;
    ck_assert_ok(kpi_topk_new(&a, 4));
    ck_assert_ok(kpi_topk_new(&b, 5));
    ck_assert_ok(kpi_topk_add_str(a, "x"));
    size_t n;
    unsigned char *before = ser(a, &n);
    ck_assert_status(kpi_topk_merge(a, b), KPI_ERR_INCOMPATIBLE);
    assert_same_state(a, before, n);
    ck_assert_status(kpi_topk_merge(a, NULL), KPI_ERR_INVALID);
    ck_assert_status(kpi_topk_merge((kpi_topk *)NULL, b), KPI_ERR_INVALID);
    ck_assert_ok(kpi_topk_merge(a, a));
    uint64_t c;
    ck_assert_ok(kpi_topk_estimate(a, "x", 1, &c, NULL, NULL));
    ck_assert_uint_eq(c, 2);
    ck_assert_uint_eq(kpi_topk_total(a), 2);
    free(before);
    kpi_topk_free(a);
    kpi_topk_free(b);
}
END_TEST

/* ---- errors leave state unchanged --------------------------------------- */

/* An object of another type (a cast, as a binding can pass) is refused
 * by every call, which reads and writes nothing: a top-k of labels, a
 * top-k of ids and a distinct count through each other's calls. */
START_TEST(objects_of_another_type_are_refused_and_unchanged)
{
    kpi_topk *t;
    kpi_topk_id *ti;
    kpi_distinct *dc;
    ck_assert_ok(kpi_topk_new(&t, 8));
    ck_assert_ok(kpi_topk_id_new(&ti, 8));
    ck_assert_ok(kpi_distinct_new(&dc, 12));
    ck_assert_ok(kpi_topk_add_str(t, "billing"));
    ck_assert_ok(kpi_topk_id_add(ti, 7, 3));
    ck_assert_ok(kpi_distinct_add(dc, 7));
    size_t tn, in;
    unsigned char *tb = ser(t, &tn);
    unsigned char *ib = malloc(4096);
    ck_assert_ok(kpi_topk_id_serialize(ti, ib, 4096, &in));
    const char *xs[40];
    uint64_t ids[40];
    for (int i = 0; i < 40; i++) {
        xs[i] = "x";
        ids[i] = (uint64_t)i;
    }
    const char *l;
    size_t len;
    uint64_t id, c, lo, hi;
    kpi_estimate e;
    void *others[2] = {ti, dc};
    for (int k = 0; k < 2; k++) { /* top-k label calls on an id top-k, a distinct */
        kpi_topk *o = others[k];
        ck_assert_status(kpi_topk_add(o, "x", 1, 1), KPI_ERR_INVALID);
        ck_assert_status(kpi_topk_add_str(o, "x"), KPI_ERR_INVALID);
        ck_assert_status(kpi_topk_add_array(o, xs, NULL, 40), KPI_ERR_INVALID);
        ck_assert_status(kpi_topk_entry(o, 0, &l, &len, &c, &lo, &hi), KPI_ERR_INVALID);
        ck_assert_status(kpi_topk_estimate(o, "x", 1, &c, &lo, &hi), KPI_ERR_INVALID);
        ck_assert_status(kpi_topk_share(o, "x", 1, &e), KPI_ERR_INVALID);
        ck_assert_uint_eq(kpi_topk_total(o), 0);
        ck_assert_uint_eq(kpi_topk_size(o), 0);
        ck_assert_uint_eq(kpi_topk_error_bound(o), 0);
        ck_assert_uint_eq(kpi_topk_footprint(o), 0);
        ck_assert_status(kpi_topk_serialize(o, NULL, 0, &len), KPI_ERR_INVALID);
        kpi_topk_reset(o); /* a no-op */
    }
    others[0] = t;
    for (int k = 0; k < 2; k++) { /* id calls on a label top-k, a distinct */
        kpi_topk_id *o = others[k];
        ck_assert_status(kpi_topk_id_add(o, 1, 1), KPI_ERR_INVALID);
        ck_assert_status(kpi_topk_id_add_array(o, ids, 40), KPI_ERR_INVALID);
        ck_assert_status(kpi_topk_id_entry(o, 0, &id, &c, &lo, &hi), KPI_ERR_INVALID);
        ck_assert_status(kpi_topk_id_estimate(o, 1, &c, &lo, &hi), KPI_ERR_INVALID);
        ck_assert_status(kpi_topk_id_share(o, 1, &e), KPI_ERR_INVALID);
        ck_assert_uint_eq(kpi_topk_id_total(o), 0);
        ck_assert_uint_eq(kpi_topk_id_size(o), 0);
        ck_assert_uint_eq(kpi_topk_id_error_bound(o), 0);
        ck_assert_uint_eq(kpi_topk_id_footprint(o), 0);
        ck_assert_status(kpi_topk_id_serialize(o, NULL, 0, &len), KPI_ERR_INVALID);
        kpi_topk_id_reset(o);
    }
    others[1] = ti;
    for (int k = 0; k < 2; k++) { /* distinct calls on both top-k kinds */
        kpi_distinct *o = others[k];
        int exact;
        ck_assert_status(kpi_distinct_add(o, 1), KPI_ERR_INVALID);
        ck_assert_status(kpi_distinct_add_array(o, ids, 40), KPI_ERR_INVALID);
        ck_assert_status(kpi_distinct_add_bytes(o, "x", 1), KPI_ERR_INVALID);
        ck_assert_status(kpi_distinct_estimate(o, &e), KPI_ERR_INVALID);
        ck_assert_status(kpi_distinct_is_exact(o, &exact), KPI_ERR_INVALID);
        ck_assert_uint_eq(kpi_distinct_footprint(o), 0);
        ck_assert_status(kpi_distinct_serialize(o, NULL, 0, &len), KPI_ERR_INVALID);
        kpi_distinct_reset(o);
    }
    assert_same_state(t, tb, tn);
    size_t in2;
    unsigned char *ib2 = malloc(4096);
    ck_assert_ok(kpi_topk_id_serialize(ti, ib2, 4096, &in2));
    ck_assert_uint_eq(in, in2);
    ck_assert_int_eq(memcmp(ib, ib2, in), 0);
    kpi_estimate de;
    ck_assert_ok(kpi_distinct_estimate(dc, &de));
    ck_assert_double_eq(de.value, 1.0);
    free(tb);
    free(ib);
    free(ib2);
    kpi_topk_free(t);
    kpi_topk_id_free(ti);
    kpi_distinct_free(dc);
}
END_TEST

START_TEST(bad_arguments_are_named_and_change_nothing)
{
    kpi_topk *p = NULL;
    ck_assert_status(kpi_topk_new(&p, 0), KPI_ERR_RANGE);
    ck_assert_status(kpi_topk_new(&p, KPI_TOPK_MAX_CAPACITY + 1), KPI_ERR_RANGE);
    ck_assert_status(kpi_topk_new(NULL, 4), KPI_ERR_INVALID);
    ck_assert_ptr_null(p);
    ck_assert_ok(kpi_topk_new(&p, 3));
    uint64_t c;
    const char *l;
    kpi_estimate e;
    ck_assert_status(kpi_topk_entry(p, 0, &l, NULL, &c, NULL, NULL), KPI_ERR_EMPTY);
    ck_assert_status(kpi_topk_estimate(p, "a", 1, &c, NULL, NULL), KPI_ERR_EMPTY);
    ck_assert_status(kpi_topk_share(p, "a", 1, &e), KPI_ERR_EMPTY);
    ck_assert_ok(kpi_topk_add_str(p, "a"));
    ck_assert_ok(kpi_topk_add_str(p, "b"));
    ck_assert_ok(kpi_topk_add_str(p, "c"));
    size_t n;
    unsigned char *before = ser(p, &n);
    char big[300];
    memset(big, 'q', sizeof big);
    big[299] = '\0';
    ck_assert_status(kpi_topk_add(p, NULL, 1, 1), KPI_ERR_INVALID);
    ck_assert_status(kpi_topk_add(p, "a", 0, 1), KPI_ERR_INVALID);
    ck_assert_status(kpi_topk_add(p, big, 256, 1), KPI_ERR_RANGE);
    ck_assert_status(kpi_topk_add(p, "a", 1, 0), KPI_ERR_RANGE);
    ck_assert_status(kpi_topk_add(p, "a", 1, UINT64_MAX), KPI_ERR_OVERFLOW);
    ck_assert_status(kpi_topk_add(NULL, "a", 1, 1), KPI_ERR_INVALID);
    ck_assert_status(kpi_topk_add_str(p, ""), KPI_ERR_INVALID);
    ck_assert_status(kpi_topk_add_str(p, big), KPI_ERR_RANGE);
    ck_assert_status(kpi_topk_add_str(p, NULL), KPI_ERR_INVALID);
    /* a batch with one bad label applies none of them */
    const char *batch[] = {"d", "e", "", "f"};
    ck_assert_status(kpi_topk_add_array(p, batch, NULL, 4), KPI_ERR_INVALID);
    const char *batch2[] = {"d", big};
    ck_assert_status(kpi_topk_add_array(p, batch2, NULL, 2), KPI_ERR_RANGE);
    const char *batch3[] = {"d", NULL};
    ck_assert_status(kpi_topk_add_array(p, batch3, NULL, 2), KPI_ERR_INVALID);
    size_t lens[] = {1, 0};
    ck_assert_status(kpi_topk_add_array(p, batch2, lens, 2), KPI_ERR_INVALID);
    ck_assert_status(kpi_topk_add_array(p, NULL, NULL, 1), KPI_ERR_INVALID);
    ck_assert_ok(kpi_topk_add_array(p, NULL, NULL, 0));
    assert_same_state(p, before, n);
    ck_assert_status(kpi_topk_estimate(p, "zz", 2, &c, NULL, NULL), KPI_ERR_UNKNOWN_ID);
    ck_assert_status(kpi_topk_share(p, "zz", 2, &e), KPI_ERR_UNKNOWN_ID);
    ck_assert_status(kpi_topk_share(p, "a", 1, NULL), KPI_ERR_INVALID);
    ck_assert_status(kpi_topk_estimate(p, big, 256, &c, NULL, NULL), KPI_ERR_RANGE);
    ck_assert_status(kpi_topk_entry(NULL, 0, &l, NULL, &c, NULL, NULL), KPI_ERR_INVALID);
    ck_assert_uint_eq(kpi_topk_total(NULL), 0);
    ck_assert_uint_eq(kpi_topk_size(NULL), 0);
    ck_assert_uint_eq(kpi_topk_footprint(NULL), 0);
    ck_assert_uint_eq(kpi_topk_error_bound(NULL), 0);
    kpi_topk_reset(NULL);
    kpi_topk_free(NULL);

    kpi_topk_id *q;
    ck_assert_status(kpi_topk_id_new(&q, 0), KPI_ERR_RANGE);
    ck_assert_ok(kpi_topk_id_new(&q, 2));
    ck_assert_status(kpi_topk_id_add(q, 1, 0), KPI_ERR_RANGE);
    ck_assert_ok(kpi_topk_id_add(q, 1, UINT64_MAX - 1));
    const uint64_t ids[] = {1, 2};
    ck_assert_status(kpi_topk_id_add_array(q, ids, 2), KPI_ERR_OVERFLOW);
    ck_assert_status(kpi_topk_id_add_array(q, NULL, 2), KPI_ERR_INVALID);
    ck_assert_uint_eq(kpi_topk_id_total(q), UINT64_MAX - 1);
    ck_assert_uint_eq(kpi_topk_id_size(q), 1);
    kpi_topk_id_free(q);
    free(before);
    kpi_topk_free(p);
}
END_TEST

START_TEST(reset_forgets_and_keeps_the_capacity)
{
    kpi_topk *p;
    ck_assert_ok(kpi_topk_new(&p, 2));
    for (int i = 0; i < 10; i++)
        ck_assert_ok(kpi_topk_add_str(p, i % 3 ? "a" : "b"));
    kpi_topk_reset(p);
    ck_assert_uint_eq(kpi_topk_total(p), 0);
    ck_assert_uint_eq(kpi_topk_size(p), 0);
    ck_assert_ok(kpi_topk_add_str(p, "c"));
    uint64_t c;
    ck_assert_ok(kpi_topk_estimate(p, "c", 1, &c, NULL, NULL));
    ck_assert_uint_eq(c, 1);
    ck_assert_status(kpi_topk_estimate(p, "a", 1, &c, NULL, NULL), KPI_ERR_UNKNOWN_ID);
    kpi_topk_free(p);
}
END_TEST

/* ---- a reference Space-Saving, and ranked reads ------------------------- */

/* Space-Saving as plainly as it can be written, with the library's tie
 * rules: counters in an array ordered by count descending; an add of w to
 * the counter at p swaps it with the first counter of equal count, adds w
 * and then, while the counter before it has a smaller count, swaps it
 * with the first counter of that count; a new id starts at the end with
 * count 0 (then as an add of w); when all m are in use the last counter
 * (a minimum) takes the new id, its count becoming the id's error.  Ranks
 * order counts descending and equal counts by id.  Linear scans
 * everywhere: a specification, not an implementation. */
typedef struct ref_ss {
    size_t cap, n;
    uint64_t total;
    bool lossy;
    uint64_t *id, *count, *err;
} ref_ss;

static ref_ss ref_new(size_t cap)
{
    ref_ss r = {cap, 0, 0, false, malloc(cap * 8), malloc(cap * 8),
                malloc(cap * 8)};
    return r;
}

static void ref_free(ref_ss *r)
{
    free(r->id);
    free(r->count);
    free(r->err);
}

static void ref_swap(ref_ss *r, size_t a, size_t b)
{
    uint64_t t;
    t = r->id[a], r->id[a] = r->id[b], r->id[b] = t;
    t = r->count[a], r->count[a] = r->count[b], r->count[b] = t;
    t = r->err[a], r->err[a] = r->err[b], r->err[b] = t;
}

/* the first position with the count of position p */
static size_t ref_head(const ref_ss *r, size_t p)
{
    while (p > 0 && r->count[p - 1] == r->count[p])
        p--;
    return p;
}

static void ref_bump(ref_ss *r, size_t p, uint64_t w)
{
    size_t a = ref_head(r, p);
    ref_swap(r, p, a);
    r->count[a] += w;
    while (a > 0 && r->count[a - 1] < r->count[a]) {
        size_t h = ref_head(r, a - 1);
        ref_swap(r, a, h);
        a = h;
    }
}

static void ref_add(ref_ss *r, uint64_t id, uint64_t w)
{
    r->total += w;
    for (size_t p = 0; p < r->n; p++)
        if (r->id[p] == id) {
            ref_bump(r, p, w);
            return;
        }
    size_t p = r->n;
    if (r->n < r->cap) {
        r->n++;
        r->err[p] = 0;
        r->count[p] = 0;
    } else {
        p = r->n - 1;
        r->err[p] = r->count[p];
        r->lossy = true;
    }
    r->id[p] = id;
    ref_bump(r, p, w);
}

/* the position holding rank k: the k-th in (count desc, id asc) order */
static size_t ref_rank(const ref_ss *r, size_t k)
{
    for (size_t p = 0; p < r->n; p++) {
        size_t before = 0;
        for (size_t q = 0; q < r->n; q++)
            before += r->count[q] > r->count[p] ||
                      (r->count[q] == r->count[p] && r->id[q] < r->id[p]);
        if (before == k)
            return p;
    }
    ck_abort_msg("rank %zu not found", k);
    return 0;
}

static void put_varint(unsigned char *b, size_t *n, uint64_t v)
{
    for (; v >= 0x80; v >>= 7)
        b[(*n)++] = (unsigned char)(v | 0x80);
    b[(*n)++] = (unsigned char)v;
}

/* The object reads as the reference at rank `k` (or at every rank when
 * k is SIZE_MAX, plus the serialized entries, whose order is the
 * summary's: it decides which tied minimum the next eviction takes). */
static void assert_like_ref(const kpi_topk_id *p, const ref_ss *r, size_t k)
{
    ck_assert_uint_eq(kpi_topk_id_total(p), r->total);
    ck_assert_uint_eq(kpi_topk_id_size(p), r->n);
    ck_assert_uint_eq(kpi_topk_id_error_bound(p),
                      r->lossy ? r->count[r->n - 1] : 0);
    size_t lo = k == SIZE_MAX ? 0 : k, hi = k == SIZE_MAX ? r->n : k + 1;
    for (size_t i = lo; i < hi && i < r->n; i++) {
        size_t q = ref_rank(r, i);
        uint64_t id, c, l, u;
        ck_assert_ok(kpi_topk_id_entry(p, i, &id, &c, &l, &u));
        ck_assert_msg(id == r->id[q] && c == r->count[q] && u == c &&
                          l == c - r->err[q],
                      "rank %zu: id %llu count %llu lower %llu, reference "
                      "id %llu count %llu error %llu",
                      i, (unsigned long long)id, (unsigned long long)c,
                      (unsigned long long)l, (unsigned long long)r->id[q],
                      (unsigned long long)r->count[q],
                      (unsigned long long)r->err[q]);
    }
    if (k != SIZE_MAX)
        return;
    unsigned char *want = malloc(40 + r->n * 28);
    size_t wn = 0, bn;
    put_varint(want, &wn, r->cap);
    put_varint(want, &wn, r->total);
    put_varint(want, &wn, r->n);
    want[wn++] = r->lossy;
    for (size_t i = 0; i < r->n; i++) {
        for (int b = 0; b < 8; b++)
            want[wn++] = (unsigned char)(r->id[i] >> (8 * b));
        put_varint(want, &wn, r->count[i]);
        put_varint(want, &wn, r->err[i]);
    }
    unsigned char *got = ser_id(p, &bn);
    bool found = false;
    for (size_t o = 0; o + wn <= bn && !found; o++)
        found = memcmp(got + o, want, wn) == 0;
    ck_assert_msg(found, "the serialized entries differ from the reference's");
    free(got);
    free(want);
}

/* Random streams (ids from a small or a wide range, Zipf-like or flat,
 * weights mostly 1, some batches) against the reference: every read and
 * the summary's order after each step. */
START_TEST(id_adds_equal_a_reference_space_saving)
{
    static const uint32_t caps[] = {1, 2, 3, 7, 16, 64, 200};
    uint32_t m = caps[_i % 7];
    test_rng g = {1000 + (uint64_t)_i};
    uint64_t span = (uint64_t)m * (1 + _i % 4) + 3;
    bool wide = _i >= 7; /* ids spread over 64 bits */
    kpi_topk_id *p;
    ck_assert_ok(kpi_topk_id_new(&p, m));
    ref_ss r = ref_new(m);
    for (int step = 0; step < 6000; step++) {
        uint64_t x = test_rand(&g) % span;
        if (test_rand(&g) % 2) /* skew: small ids more often */
            x = x * (test_rand(&g) % 1000) / 1000;
        uint64_t id = wide ? x * UINT64_C(0x9E3779B97F4A7C15) : x;
        uint64_t w = test_rand(&g) % 8 == 0 ? 1 + test_rand(&g) % 5 : 1;
        if (test_rand(&g) % 400 == 0) {
            /* (fewer than 32 ids: the dense batch, which may order
             * equal counts by id inside the summary, is tested against
             * singles elsewhere) */
            uint64_t b[31];
            size_t n = 1 + test_rand(&g) % 31;
            for (size_t i = 0; i < n; i++)
                b[i] = wide ? test_rand(&g) % span : test_rand(&g) % 40;
            ck_assert_ok(kpi_topk_id_add_array(p, b, n));
            for (size_t i = 0; i < n; i++)
                ref_add(&r, b[i], 1);
            assert_like_ref(p, &r, SIZE_MAX);
            continue;
        }
        ck_assert_ok(kpi_topk_id_add(p, id, w));
        ref_add(&r, id, w);
        if (step % 500 == 499)
            assert_like_ref(p, &r, SIZE_MAX);
        else
            assert_like_ref(p, &r, test_rand(&g) % r.n);
    }
    assert_like_ref(p, &r, SIZE_MAX);
    ref_free(&r);
    kpi_topk_id_free(p);
}
END_TEST

/* Every rank of p against a sort of the estimates of ids [0, span) (the
 * ids fed), read in the order ord[] gives (NULL: 0, 1, ...). */
typedef struct id_count {
    uint64_t id, count, lower;
} id_count;

static int id_count_cmp(const void *pa, const void *pb)
{
    const id_count *a = pa, *b = pb;
    if (a->count != b->count)
        return a->count < b->count ? 1 : -1;
    return (a->id > b->id) - (a->id < b->id);
}

static void assert_ranks_sorted(const kpi_topk_id *p, uint64_t span,
                                const size_t *ord)
{
    size_t n = kpi_topk_id_size(p), k = 0;
    id_count *want = malloc((n ? n : 1) * sizeof *want);
    for (uint64_t id = 0; id < span; id++) {
        uint64_t c, l;
        if (kpi_topk_id_estimate(p, id, &c, &l, NULL) != KPI_OK)
            continue;
        ck_assert_uint_lt(k, n);
        want[k++] = (id_count){id, c, l};
    }
    ck_assert_uint_eq(k, n);
    qsort(want, n, sizeof *want, id_count_cmp);
    for (size_t i = 0; i < n; i++) {
        size_t r = ord ? ord[i] : i;
        uint64_t id, c, l;
        ck_assert_ok(kpi_topk_id_entry(p, r, &id, &c, &l, NULL));
        ck_assert_msg(id == want[r].id && c == want[r].count && l == want[r].lower,
                      "rank %zu: id %llu, want %llu", r, (unsigned long long)id,
                      (unsigned long long)want[r].id);
    }
    free(want);
}

static size_t *shuffled(size_t n, test_rng *g)
{
    size_t *o = malloc((n ? n : 1) * sizeof *o);
    for (size_t i = 0; i < n; i++)
        o[i] = i;
    for (size_t i = n; i > 1; i--) {
        size_t j = test_rand(g) % i, t = o[i - 1];
        o[i - 1] = o[j];
        o[j] = t;
    }
    return o;
}

/* Long runs of equal counts (the minimum run of a flat stream, ties at
 * every count while exact): every rank read in order, backwards, shuffled
 * and after each kind of change (adds into the run, out of it, a weight,
 * reset and the same total again, clone, merge, a round trip). */
START_TEST(ranks_in_long_runs_read_in_id_order)
{
    test_rng g = {77};
    kpi_topk_id *p, *q, *d;
    ck_assert_ok(kpi_topk_id_new(&p, 500));
    /* exact: 400 ids, counts 1..3, shuffled arrival */
    for (int round = 1; round <= 3; round++) {
        size_t *o = shuffled(400, &g);
        for (size_t i = 0; i < 400; i++)
            if (o[i] % 3 + 1 >= (size_t)round)
                ck_assert_ok(kpi_topk_id_add(p, o[i] * 7 % 400, 1));
        free(o);
        assert_ranks_sorted(p, 400, NULL);
    }
    size_t n = kpi_topk_id_size(p);
    size_t *o = shuffled(n, &g), *back = malloc(n * sizeof *back);
    for (size_t i = 0; i < n; i++)
        back[i] = n - 1 - i;
    assert_ranks_sorted(p, 400, o);
    assert_ranks_sorted(p, 400, back);
    free(o);
    free(back);
    /* each change, then a read of every rank */
    const uint64_t changes[][2] = {{5, 1}, {399, 1}, {17, 9}, {1000, 1}, {5, 2}};
    for (size_t i = 0; i < 5; i++) {
        ck_assert_ok(kpi_topk_id_add(p, changes[i][0], changes[i][1]));
        assert_ranks_sorted(p, 1001, NULL);
    }
    /* lossy: a flat stream over 3 x m ids, read after each block */
    for (int blk = 0; blk < 6; blk++) {
        for (int i = 0; i < 700; i++)
            ck_assert_ok(kpi_topk_id_add(p, test_rand(&g) % 1500, 1));
        size_t *sh = shuffled(kpi_topk_id_size(p), &g);
        assert_ranks_sorted(p, 1500, blk % 2 ? sh : NULL);
        free(sh);
    }
    ck_assert_ok(kpi_topk_id_clone(p, &q));
    assert_ranks_sorted(q, 1500, NULL);
    size_t bn;
    unsigned char *b = ser_id(p, &bn);
    kpi_topk_id_free(q);
    ck_assert_ok(kpi_topk_id_deserialize(&q, b, bn));
    assert_ranks_sorted(q, 1500, NULL);
    ck_assert_ok(kpi_topk_id_clone(p, &d));
    ck_assert_ok(kpi_topk_id_merge(d, q));
    assert_ranks_sorted(d, 1500, NULL);
    /* reading changed nothing */
    size_t bn2;
    unsigned char *b2 = ser_id(p, &bn2);
    ck_assert(bn2 == bn && memcmp(b, b2, bn) == 0);
    /* reset, then a different state with the same total as the last read */
    uint64_t total = kpi_topk_id_total(p);
    kpi_topk_id_reset(p);
    for (uint64_t i = 0; i < total; i++)
        ck_assert_ok(kpi_topk_id_add(p, 1500 - i % 450, 1));
    ck_assert_uint_eq(kpi_topk_id_total(p), total);
    assert_ranks_sorted(p, 1501, NULL);
    free(b);
    free(b2);
    kpi_topk_id_free(d);
    kpi_topk_id_free(q);
    kpi_topk_id_free(p);
}
END_TEST

/* The same for labels: ties ordered by label bytes (a shorter prefix
 * first), across inline labels and long ones in the arena. */
START_TEST(label_ranks_in_long_runs_read_in_byte_order)
{
    enum { N = 300 };
    static char lab[N][80];
    static size_t len[N];
    test_rng g = {5};
    for (int i = 0; i < N; i++) {
        /* prefixes of each other, across 24 bytes, and a NUL inside */
        int l = snprintf(lab[i], sizeof lab[i], "%c%0*d", 'a' + i % 3,
                         i % 5 == 0 ? 40 : i % 7, i / 3);
        len[i] = (size_t)l + (i % 11 == 0);
    }
    kpi_topk *p;
    ck_assert_ok(kpi_topk_new(&p, 200));
    for (int step = 0; step < 3; step++) {
        size_t *o = shuffled(N, &g);
        for (size_t i = 0; i < N; i++)
            ck_assert_ok(kpi_topk_add(p, lab[o[i]], len[o[i]], 1));
        free(o);
        size_t n = kpi_topk_size(p);
        size_t *sh = shuffled(n, &g);
        const char *prev = NULL;
        size_t prevlen = 0;
        uint64_t prevc = UINT64_MAX;
        for (size_t r = 0; r < n; r++) {
            const char *l, *l2;
            size_t ln, ln2;
            uint64_t c, c2;
            ck_assert_ok(kpi_topk_entry(p, r, &l, &ln, &c, NULL, NULL));
            ck_assert_uint_le(c, prevc);
            if (c == prevc) { /* strictly after the previous label */
                size_t k = ln < prevlen ? ln : prevlen;
                int d = memcmp(prev, l, k);
                ck_assert(d < 0 || (d == 0 && prevlen < ln));
            }
            ck_assert_ok(kpi_topk_estimate(p, l, ln, &c2, NULL, NULL));
            ck_assert_uint_eq(c2, c);
            /* the same rank read again, out of order, gives the same */
            ck_assert_ok(kpi_topk_entry(p, sh[r], &l2, &ln2, NULL, NULL, NULL));
            ck_assert_ok(kpi_topk_entry(p, r, &l2, &ln2, &c2, NULL, NULL));
            ck_assert(l2 == l && ln2 == ln && c2 == c);
            prev = l, prevlen = ln, prevc = c;
        }
        free(sh);
    }
    kpi_topk_free(p);
}
END_TEST

static double secs(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

/* 100,000 entries all with count 1: reading every rank was a selection
 * per rank (cubic in the run: hours); now one sort.  The bound only tells
 * a sort from hours, loose for a loaded machine (0.17-0.23 s with the
 * machine busy with four builds, load average 6). */
START_TEST(reading_every_rank_of_a_long_tie_is_fast)
{
    enum { N = 100000 };
    test_rng g = {9};
    kpi_topk_id *p;
    kpi_topk *l;
    ck_assert_ok(kpi_topk_id_new(&p, N));
    ck_assert_ok(kpi_topk_new(&l, N));
    size_t *o = shuffled(N, &g);
    for (size_t i = 0; i < N; i++) {
        char b[16];
        int n = snprintf(b, sizeof b, "t%06zu", o[i]);
        ck_assert_ok(kpi_topk_id_add(p, o[i] * 3, 1));
        ck_assert_ok(kpi_topk_add(l, b, (size_t)n, 1));
    }
    /* no ck_assert inside the timed loops: each passing one writes its
     * location to Check's message file (a write(2) per call), which took
     * 1.5-7.8 s of the 400,000 here on a loaded machine; the reads' results
     * are checked after the clock stops */
    size_t bad = 0, first_bad = SIZE_MAX;
    double t0 = secs();
    for (size_t r = 0; r < N; r++) {
        uint64_t id = 0, c = 0;
        if (kpi_topk_id_entry(p, r, &id, &c, NULL, NULL) != KPI_OK || id != r * 3 || c != 1) {
            bad++;
            first_bad = first_bad == SIZE_MAX ? r : first_bad;
        }
    }
    for (size_t r = N; r-- > 0;) {
        const char *s = NULL;
        size_t n = 0;
        char want[16];
        snprintf(want, sizeof want, "t%06zu", r);
        if (kpi_topk_entry(l, r, &s, &n, NULL, NULL, NULL) != KPI_OK || n != 7 ||
            memcmp(s, want, 7) != 0) {
            bad++;
            first_bad = first_bad == SIZE_MAX ? N + r : first_bad;
        }
    }
    double took = secs() - t0;
    ck_assert_msg(bad == 0, "%zu wrong ranks, the first %zu (ids 0..N-1, labels N..)", bad,
                  first_bad);
    /* not under valgrind (scripts/valgrind.sh sets KPI_TEST_UNTIMED): it
     * runs this about 250 times slower */
    if (getenv("KPI_TEST_UNTIMED") == NULL)
        ck_assert_msg(took < 5.0, "reading 2 x 100,000 ranks took %.2f s", took);
    free(o);
    kpi_topk_free(l);
    kpi_topk_id_free(p);
}
END_TEST

/* Const reads may run concurrently: threads reading every rank of one
 * long tie (one of them sorts it, the others wait or use the result). */
typedef struct rank_reader {
    const kpi_topk_id *p;
    size_t n, start;
    int bad;
} rank_reader;

static void *read_ranks(void *arg)
{
    rank_reader *r = arg;
    for (size_t k = 0; k < r->n; k++) {
        size_t i = (k + r->start) % r->n;
        uint64_t id;
        if (kpi_topk_id_entry(r->p, i, &id, NULL, NULL, NULL) != KPI_OK ||
            id != i)
            r->bad++;
    }
    return NULL;
}

START_TEST(concurrent_rank_reads_agree)
{
    enum { N = 20000, T = 4 };
    kpi_topk_id *p;
    ck_assert_ok(kpi_topk_id_new(&p, N));
    for (int round = 0; round < 3; round++) {
        for (uint64_t i = N; i-- > 0;)
            ck_assert_ok(kpi_topk_id_add(p, i, 1));
        rank_reader r[T];
        pthread_t t[T];
        for (int k = 0; k < T; k++) {
            r[k] = (rank_reader){p, N, (size_t)k * N / T, 0};
            ck_assert_int_eq(pthread_create(&t[k], NULL, read_ranks, &r[k]), 0);
        }
        for (int k = 0; k < T; k++) {
            ck_assert_int_eq(pthread_join(t[k], NULL), 0);
            ck_assert_int_eq(r[k].bad, 0);
        }
    }
    kpi_topk_id_free(p);
}
END_TEST

/* ---- codec -------------------------------------------------------------- */

static kpi_topk *sample(void)
{
    make_labels();
    kpi_topk *p;
    ck_assert_ok(kpi_topk_new(&p, 16));
    uint64_t truth[NLAB] = {0};
    feed(p, truth, 500, 11);
    return p;
}

START_TEST(serialize_round_trips_to_identical_reads_and_bytes)
{
    kpi_topk *p = sample();
    size_t n;
    unsigned char *b = ser(p, &n);
    kpi_topk *q;
    ck_assert_ok(kpi_topk_deserialize(&q, b, n));
    assert_same_state(q, b, n);
    ck_assert_uint_eq(kpi_topk_total(q), kpi_topk_total(p));
    ck_assert_uint_eq(kpi_topk_error_bound(q), kpi_topk_error_bound(p));
    for (size_t r = 0; r < kpi_topk_size(p); r++) {
        const char *l1, *l2;
        size_t n1, n2;
        uint64_t c1, c2, lo1, lo2;
        ck_assert_ok(kpi_topk_entry(p, r, &l1, &n1, &c1, &lo1, NULL));
        ck_assert_ok(kpi_topk_entry(q, r, &l2, &n2, &c2, &lo2, NULL));
        ck_assert(n1 == n2 && memcmp(l1, l2, n1) == 0 && c1 == c2 && lo1 == lo2);
    }
    /* both keep counting the same way */
    ck_assert_ok(kpi_topk_add_str(p, "new"));
    ck_assert_ok(kpi_topk_add_str(q, "new"));
    free(b);
    b = ser(p, &n);
    assert_same_state(q, b, n);
    /* clone too */
    kpi_topk *c;
    ck_assert_ok(kpi_topk_clone(p, &c));
    assert_same_state(c, b, n);
    ck_assert_status(kpi_topk_clone(NULL, &c), KPI_ERR_INVALID);
    /* ids */
    kpi_topk_id *ia, *ib;
    ck_assert_ok(kpi_topk_id_new(&ia, 3));
    for (uint64_t i = 0; i < 20; i++)
        ck_assert_ok(kpi_topk_id_add(ia, i % 7, i + 1));
    size_t in;
    unsigned char *ibytes = ser_id(ia, &in);
    ck_assert_ok(kpi_topk_id_deserialize(&ib, ibytes, in));
    size_t in2;
    unsigned char *ibytes2 = ser_id(ib, &in2);
    ck_assert(in == in2 && memcmp(ibytes, ibytes2, in) == 0);
    /* one type's bytes are not the other's */
    kpi_topk *wrong;
    ck_assert_status(kpi_topk_deserialize(&wrong, ibytes, in), KPI_ERR_TYPE);
    kpi_topk_id *wrong2;
    ck_assert_status(kpi_topk_id_deserialize(&wrong2, b, n), KPI_ERR_TYPE);
    free(ibytes);
    free(ibytes2);
    kpi_topk_id_free(ia);
    kpi_topk_id_free(ib);
    kpi_topk_free(c);
    free(b);
    kpi_topk_free(p);
    kpi_topk_free(q);
}
END_TEST

/* Bytes of a golden file (the test fails when it is missing). */
static unsigned char *golden(const char *name, size_t *len)
{
    unsigned char *g = test_read_file(test_data_path(name), len);
    ck_assert_msg(g != NULL, "missing %s", test_data_path(name));
    return g;
}

START_TEST(states_written_by_the_previous_layout_read_back)
{
    /* tests/data/topk-v1.bin and topk-id-v1.bin were written by the
     * revision before the run-ordered counters (the state format is
     * unchanged): m = 4 with 40 weighted adds of four labels (one of 37
     * bytes), then "x\0y" x2 (evicting), "billing" x5, "shipping"
     * (evicting); ids: m = 3, (i * i) % 7 + 1000 with weight 1 + i % 2 */
    size_t glen, len;
    unsigned char *g = golden("topk-v1.bin", &glen);
    kpi_topk *p;
    ck_assert_ok(kpi_topk_deserialize(&p, g, glen));
    ck_assert_uint_eq(kpi_topk_total(p), 87);
    ck_assert_uint_eq(kpi_topk_size(p), 4);
    ck_assert_uint_eq(kpi_topk_error_bound(p), 21);
    const char *want[] = {"billing", "a label longer than twenty-four bytes",
                          "shipping", "x\0y"};
    const size_t wlen[] = {7, 37, 8, 3};
    const uint64_t wc[] = {24, 21, 21, 21}, wlo[] = {24, 21, 1, 2};
    for (size_t r = 0; r < 4; r++) {
        const char *l;
        size_t n;
        uint64_t c, lo;
        ck_assert_ok(kpi_topk_entry(p, r, &l, &n, &c, &lo, NULL));
        ck_assert(n == wlen[r] && memcmp(l, want[r], n) == 0);
        ck_assert(c == wc[r] && lo == wlo[r]);
    }
    unsigned char *b = ser(p, &len);
    ck_assert(len == glen && memcmp(b, g, len) == 0);
    /* and it goes on counting: "refund" replaces a counter of 21 */
    ck_assert_ok(kpi_topk_add(p, "refund", 6, 1));
    uint64_t c, lo;
    ck_assert_ok(kpi_topk_estimate(p, "refund", 6, &c, &lo, NULL));
    ck_assert(c == 22 && lo == 1);
    free(b);
    free(g);
    kpi_topk_free(p);

    g = golden("topk-id-v1.bin", &glen);
    kpi_topk_id *q;
    ck_assert_ok(kpi_topk_id_deserialize(&q, g, glen));
    ck_assert_uint_eq(kpi_topk_id_total(q), 75);
    ck_assert_uint_eq(kpi_topk_id_error_bound(q), 24);
    const uint64_t wid[] = {1000, 1002, 1004}, ic[] = {26, 25, 24}, ilo[] = {2, 3, 2};
    for (size_t r = 0; r < 3; r++) {
        uint64_t id;
        ck_assert_ok(kpi_topk_id_entry(q, r, &id, &c, &lo, NULL));
        ck_assert(id == wid[r] && c == ic[r] && lo == ilo[r]);
    }
    b = ser_id(q, &len);
    ck_assert(len == glen && memcmp(b, g, len) == 0);
    free(b);
    free(g);
    kpi_topk_id_free(q);
}
END_TEST

START_TEST(truncated_and_flipped_bytes_are_rejected)
{
    kpi_topk *p = sample();
    size_t n;
    unsigned char *b = ser(p, &n);
    for (size_t cut = 0; cut < n; cut++) {
        kpi_topk *q = NULL;
        ck_assert_int_lt(kpi_topk_deserialize(&q, b, cut), 0);
        ck_assert_ptr_null(q);
    }
    for (size_t i = 0; i < n; i++)
        for (int bit = 0; bit < 8; bit++) {
            b[i] ^= (unsigned char)(1u << bit);
            kpi_topk *q = NULL;
            ck_assert_int_lt(kpi_topk_deserialize(&q, b, n), 0);
            ck_assert_ptr_null(q);
            b[i] ^= (unsigned char)(1u << bit);
        }
    free(b);
    kpi_topk_free(p);
}
END_TEST

/* A lossy state whose entry has an error above the smallest count is
 * forged: an eviction sets the slot's error to the smallest count of that
 * time, which never decreases, and a merge adds errors of at most the two
 * sides' smallest counts, whose sum every kept count reaches.  Read, it
 * would make kpi_topk_error_bound() (the smallest count) less than that
 * entry's overestimate, which topk.h calls the maximum of all. */
START_TEST(errors_above_the_error_bound_are_rejected)
{
    /* m = 2: "b" x3, "c" x1, then "a" x9 replaces "c" (the minimum, 1):
     * a = 1 + 9 = 10 with error 1, b = 3 with error 0, N = 13; the error
     * bound is the smallest count, 3.  Body: cap 2, N 13, size 2, lossy 1,
     * then ["a" 10 1] ["b" 3 0]: a's error is body byte 7 (ids: the 8-byte
     * id instead of the blob, byte 13) */
    kpi_topk *p;
    ck_assert_ok(kpi_topk_new(&p, 2));
    ck_assert_ok(kpi_topk_add(p, "b", 1, 3));
    ck_assert_ok(kpi_topk_add(p, "c", 1, 1));
    ck_assert_ok(kpi_topk_add(p, "a", 1, 9));
    kpi_topk_id *q;
    ck_assert_ok(kpi_topk_id_new(&q, 2));
    ck_assert_ok(kpi_topk_id_add(q, 2, 3));
    ck_assert_ok(kpi_topk_id_add(q, 3, 1));
    ck_assert_ok(kpi_topk_id_add(q, 1, 9));
    size_t n, in;
    unsigned char *b = ser(p, &n), *ib = ser_id(q, &in);
    const unsigned char body[] = {2, 13, 2, 1, 1, 'a', 10, 1, 1, 'b', 3, 0};
    ck_assert_uint_eq(n, 16 + sizeof body);
    ck_assert(memcmp(b + 12, body, sizeof body) == 0);
    ck_assert(ib[12 + 13] == 1 && ib[12 + 12] == 10 && in == 16 + 4 + 2 * 10);
    /* errors 9 (a's lower bound 1, an overestimate of 9 > 3) and 4 are
     * forged; 3 (lower bound 7) is the largest a real state can hold */
    const unsigned char forged[] = {9, 4};
    for (size_t i = 0; i < 2; i++) {
        b[12 + 7] = ib[12 + 13] = forged[i];
        test_reseal(b, n);
        test_reseal(ib, in);
        kpi_topk *r = NULL;
        ck_assert_status(kpi_topk_deserialize(&r, b, n), KPI_ERR_CORRUPT);
        ck_assert_ptr_null(r);
        kpi_topk_id *ir = NULL;
        ck_assert_status(kpi_topk_id_deserialize(&ir, ib, in), KPI_ERR_CORRUPT);
        ck_assert_ptr_null(ir);
    }
    b[12 + 7] = ib[12 + 13] = 3;
    test_reseal(b, n);
    test_reseal(ib, in);
    kpi_topk *r;
    kpi_topk_id *ir;
    ck_assert_ok(kpi_topk_deserialize(&r, b, n));
    ck_assert_ok(kpi_topk_id_deserialize(&ir, ib, in));
    uint64_t c, lo;
    ck_assert_ok(kpi_topk_estimate(r, "a", 1, &c, &lo, NULL));
    ck_assert(c == 10 && lo == 7 && kpi_topk_error_bound(r) == 3);
    ck_assert_ok(kpi_topk_id_estimate(ir, 1, &c, &lo, NULL));
    ck_assert(c == 10 && lo == 7 && kpi_topk_id_error_bound(ir) == 3);
    kpi_topk_free(r);
    kpi_topk_id_free(ir);
    free(b);
    free(ib);
    kpi_topk_free(p);
    kpi_topk_id_free(q);
}
END_TEST

/* topk.h says a batch reads like n single adds right after the call, and
 * that a later eviction may take another of the tied smallest counts (it
 * claimed every read afterwards, also after later adds).  m = 2.
 * Ids 7 5 7 5 ... (32): one at a time 7 reaches each count first and 5
 * joins its run behind it, so the minimum (the last position) is 5; the
 * counted batch adds 5 x16 then 7 x16 (ties by id), so it is 7.  Adding 9
 * then replaces 5 (singles: 9 = 16 + 1 with error 16, and 7 = 16) or 7
 * (batch: 9 = 17 error 16, and 5 = 16).  Labels "a", "b" x16, "a" x15:
 * one at a time b runs ahead and a joins b's run last (a is the minimum);
 * the batch adds a x16 then b x16 (ties by first place), so b is; "c"
 * then replaces a (singles) or b (batch). */
START_TEST(a_later_eviction_may_take_another_tied_minimum_after_a_batch)
{
    uint64_t ids[32];
    for (size_t i = 0; i < 32; i++)
        ids[i] = i % 2 ? 5 : 7;
    kpi_topk_id *bi, *si;
    ck_assert_ok(kpi_topk_id_new(&bi, 2));
    ck_assert_ok(kpi_topk_id_new(&si, 2));
    ck_assert_ok(kpi_topk_id_add_array(bi, ids, 32));
    for (size_t i = 0; i < 32; i++)
        ck_assert_ok(kpi_topk_id_add(si, ids[i], 1));
    assert_same_id_reads(bi, si, 2, "7 5 7 5 ..."); /* right after: the same */
    ck_assert_ok(kpi_topk_id_add(bi, 9, 1));
    ck_assert_ok(kpi_topk_id_add(si, 9, 1));
    uint64_t id, c, lo;
    ck_assert_ok(kpi_topk_id_entry(bi, 0, &id, &c, &lo, NULL));
    ck_assert(id == 9 && c == 17 && lo == 1);
    ck_assert_ok(kpi_topk_id_entry(si, 0, &id, &c, &lo, NULL));
    ck_assert(id == 9 && c == 17 && lo == 1);
    ck_assert_ok(kpi_topk_id_entry(bi, 1, &id, &c, &lo, NULL));
    ck_assert(id == 5 && c == 16 && lo == 16);
    ck_assert_ok(kpi_topk_id_entry(si, 1, &id, &c, &lo, NULL));
    ck_assert(id == 7 && c == 16 && lo == 16);
    kpi_topk_id_free(bi);
    kpi_topk_id_free(si);

    const char *ls[32];
    for (size_t i = 0; i < 32; i++)
        ls[i] = i >= 1 && i <= 16 ? "b" : "a";
    kpi_topk *bl, *sl;
    ck_assert_ok(kpi_topk_new(&bl, 2));
    ck_assert_ok(kpi_topk_new(&sl, 2));
    ck_assert_ok(kpi_topk_add_array(bl, ls, NULL, 32));
    for (size_t i = 0; i < 32; i++)
        ck_assert_ok(kpi_topk_add_str(sl, ls[i]));
    assert_same_label_reads(bl, sl, "a b x16 a x15"); /* right after: the same */
    ck_assert_ok(kpi_topk_add_str(bl, "c"));
    ck_assert_ok(kpi_topk_add_str(sl, "c"));
    const char *l;
    size_t n;
    ck_assert_ok(kpi_topk_entry(bl, 0, &l, &n, &c, &lo, NULL));
    ck_assert(n == 1 && l[0] == 'c' && c == 17 && lo == 1);
    ck_assert_ok(kpi_topk_entry(sl, 0, &l, &n, &c, &lo, NULL));
    ck_assert(n == 1 && l[0] == 'c' && c == 17 && lo == 1);
    ck_assert_ok(kpi_topk_entry(bl, 1, &l, &n, &c, &lo, NULL));
    ck_assert(n == 1 && l[0] == 'a' && c == 16 && lo == 16);
    ck_assert_ok(kpi_topk_entry(sl, 1, &l, &n, &c, &lo, NULL));
    ck_assert(n == 1 && l[0] == 'b' && c == 16 && lo == 16);
    kpi_topk_free(bl);
    kpi_topk_free(sl);
}
END_TEST

/* A lossy state keeps a trace of its loss: an eviction gives the new label
 * an error of the smallest count (at least 1), a later eviction of that
 * slot gives its successor one again, and a merge only adds errors, so
 * errors can all be 0 only when a merge dropped a label, whose count is
 * then missing from the sum (sum < N).  A lossy state with every error 0
 * and counts summing to N is no state the library writes.  m = 2: exact
 * a x10, b x3 (N 13) merged with exact c x1 (N 1): c (1) is dropped, so
 * lossy, errors 0, N 14 > 10 + 3 = 13: real.  Body: cap 2, N, size 2,
 * lossy 1, ["a" 10 0] ["b" 3 0]; N forged from 14 to 13 (body byte 1),
 * ids (a = 1, b = 2, c = 3) the same at byte 1. */
START_TEST(a_lossy_state_without_a_loss_is_rejected)
{
    kpi_topk *p, *q;
    kpi_topk_id *ip, *iq;
    ck_assert_ok(kpi_topk_new(&p, 2));
    ck_assert_ok(kpi_topk_new(&q, 2));
    ck_assert_ok(kpi_topk_id_new(&ip, 2));
    ck_assert_ok(kpi_topk_id_new(&iq, 2));
    ck_assert_ok(kpi_topk_add(p, "a", 1, 10));
    ck_assert_ok(kpi_topk_add(p, "b", 1, 3));
    ck_assert_ok(kpi_topk_add(q, "c", 1, 1));
    ck_assert_ok(kpi_topk_merge(p, q));
    ck_assert_ok(kpi_topk_id_add(ip, 1, 10));
    ck_assert_ok(kpi_topk_id_add(ip, 2, 3));
    ck_assert_ok(kpi_topk_id_add(iq, 3, 1));
    ck_assert_ok(kpi_topk_id_merge(ip, iq));
    size_t n, in;
    unsigned char *b = ser(p, &n), *ib = ser_id(ip, &in);
    const unsigned char body[] = {2, 14, 2, 1, 1, 'a', 10, 0, 1, 'b', 3, 0};
    ck_assert_uint_eq(n, 16 + sizeof body);
    ck_assert(memcmp(b + 12, body, sizeof body) == 0);
    ck_assert(in == 16 + 4 + 2 * 10 && ib[12 + 1] == 14 && ib[12 + 3] == 1);
    kpi_topk *r;
    kpi_topk_id *ir;
    ck_assert_ok(kpi_topk_deserialize(&r, b, n)); /* the real state reads */
    ck_assert_ok(kpi_topk_id_deserialize(&ir, ib, in));
    ck_assert_uint_eq(kpi_topk_error_bound(r), 3);
    kpi_topk_free(r);
    kpi_topk_id_free(ir);
    b[12 + 1] = ib[12 + 1] = 13;
    test_reseal(b, n);
    test_reseal(ib, in);
    r = NULL;
    ir = NULL;
    ck_assert_status(kpi_topk_deserialize(&r, b, n), KPI_ERR_CORRUPT);
    ck_assert_ptr_null(r);
    ck_assert_status(kpi_topk_id_deserialize(&ir, ib, in), KPI_ERR_CORRUPT);
    ck_assert_ptr_null(ir);
    free(b);
    free(ib);
    kpi_topk_free(p);
    kpi_topk_free(q);
    kpi_topk_id_free(ip);
    kpi_topk_id_free(iq);
}
END_TEST

/* A batch the counted path would take, with one bad label at every place
 * (and a second, other one after it): the first bad label's error, and
 * nothing changes. */
START_TEST(label_batch_refusals_name_the_first_bad_label)
{
    enum { N = 64 };
    static char unterminated[KPI_TOPK_MAX_LABEL + 8];
    memset(unterminated, 'u', sizeof unterminated);
    const char *lp[N];
    size_t ll[N];
    kpi_topk *p;
    ck_assert_ok(kpi_topk_new(&p, 16));
    ck_assert_ok(kpi_topk_add_str(p, "seed"));
    size_t bn;
    unsigned char *before = ser(p, &bn);
    for (int with_lens = 0; with_lens <= 1; with_lens++) {
        for (size_t k = 0; k < N; k++) {
            for (int bad = 0; bad < 3; bad++) {
                for (size_t i = 0; i < N; i++) {
                    lp[i] = i % 3 ? "billing" : "a-label-longer-than-twenty-four-bytes";
                    ll[i] = strlen(lp[i]);
                }
                int want;
                if (bad == 0) { /* NULL */
                    lp[k] = NULL;
                    want = KPI_ERR_INVALID;
                } else if (bad == 1) { /* empty */
                    lp[k] = "";
                    ll[k] = 0;
                    want = KPI_ERR_INVALID;
                } else { /* too long: 256 bytes, or no NUL within 256 */
                    lp[k] = unterminated;
                    ll[k] = KPI_TOPK_MAX_LABEL + 1;
                    want = KPI_ERR_RANGE;
                }
                if (k + 1 < N) { /* a later label bad the other way */
                    lp[k + 1] = want == KPI_ERR_RANGE ? NULL : unterminated;
                    ll[k + 1] = KPI_TOPK_MAX_LABEL + 1;
                }
                ck_assert_status(kpi_topk_add_array(p, lp, with_lens ? ll : NULL, N), want);
                assert_same_state(p, before, bn);
            }
        }
    }
    free(before);
    kpi_topk_free(p);
}
END_TEST

/* ---- allocation --------------------------------------------------------- */

/* A call under a failing allocator: success, or KPI_ERR_NOMEM with the
 * memory and state as before (returns whether it was refused). */
static bool refused_cleanly(int rc, const kpi_topk *p, const unsigned char *before, size_t bn,
                            const test_alloc *t, long live)
{
    if (rc == KPI_OK)
        return false;
    ck_assert_status(rc, KPI_ERR_NOMEM);
    ck_assert_int_eq(t->live, live);
    assert_same_state(p, before, bn);
    return true;
}

START_TEST(every_allocation_failure_is_clean)
{
    make_labels();
    int long_batch_refused = 0;
    size_t n;
    kpi_topk *src = sample();
    unsigned char *bytes = ser(src, &n);
    for (long f = 1; f <= 40; f++) {
        test_alloc t;
        kpi_allocator a = test_allocator(&t);
        /* constructor */
        t.fail_at = f;
        kpi_topk *p = NULL;
        int rc = kpi_topk_new_with(&p, 8, &a);
        if (rc != KPI_OK) {
            ck_assert_status(rc, KPI_ERR_NOMEM);
            ck_assert_ptr_null(p);
            ck_assert_int_eq(t.live, 0);
            continue;
        }
        /* growth of the label arena, by single adds and batches */
        const char *batch[] = {"alpha", "beta", "gamma", "delta", "epsilon",
                               "zeta", "eta", "theta", "iota", "kappa"};
        for (int round = 0; round < 6; round++) {
            size_t bn;
            unsigned char *before = ser(p, &bn);
            long live = t.live;
            refused_cleanly(kpi_topk_add_array(p, batch, NULL, 10), p, before, bn, &t, live);
            refused_cleanly(kpi_topk_add(p, labels[round * 37], label_len[round * 37], 2), p,
                            before, bn, &t, live);
            free(before);
        }
        /* a counted batch of long labels on a fresh object (arena room
         * for its distinct labels reserved before anything changes) */
        kpi_topk *q = NULL;
        if (kpi_topk_new_with(&q, 8, &a) == KPI_OK) {
            const char *lb[64];
            static const char *const longs[] = {
                "a-label-longer-than-twenty-four-bytes-1",
                "a-label-longer-than-twenty-four-bytes-22",
                "a-label-longer-than-twenty-four-bytes-333"};
            for (size_t i = 0; i < 64; i++)
                lb[i] = longs[(i * 7) % 3];
            size_t bn;
            unsigned char *before = ser(q, &bn);
            long live = t.live;
            if (refused_cleanly(kpi_topk_add_array(q, lb, NULL, 64), q, before, bn, &t, live)) {
                long_batch_refused++;
            } else {
                uint64_t c, lo, hi;
                ck_assert_ok(kpi_topk_estimate(q, longs[1], strlen(longs[1]), &c, &lo, &hi));
                ck_assert_uint_eq(c, 21);
                ck_assert_uint_eq(kpi_topk_total(q), 64);
            }
            free(before);
            kpi_topk_free(q);
        }
        /* merge, clone and deserialize */
        kpi_topk *o;
        size_t bn;
        unsigned char *before = ser(p, &bn);
        long live = t.live;
        ck_assert_ok(kpi_topk_deserialize(&o, bytes, n)); /* libc */
        kpi_topk *o8;
        ck_assert_ok(kpi_topk_new(&o8, 8));
        ck_assert_ok(kpi_topk_add_str(o8, "omega"));
        rc = kpi_topk_merge(p, o8);
        if (rc != KPI_OK) {
            ck_assert_status(rc, KPI_ERR_NOMEM);
            ck_assert_int_eq(t.live, live);
            assert_same_state(p, before, bn);
        }
        free(before);
        kpi_topk *c = NULL;
        live = t.live;
        rc = kpi_topk_clone(p, &c);
        if (rc != KPI_OK) {
            ck_assert_status(rc, KPI_ERR_NOMEM);
            ck_assert_int_eq(t.live, live);
        }
        kpi_topk_free(c);
        kpi_topk *d = NULL;
        live = t.live;
        rc = kpi_topk_deserialize_with(&d, bytes, n, &a);
        if (rc != KPI_OK) {
            ck_assert_status(rc, KPI_ERR_NOMEM);
            ck_assert_int_eq(t.live, live);
            ck_assert_ptr_null(d);
        }
        kpi_topk_free(d);
        kpi_topk_free(o);
        kpi_topk_free(o8);
        kpi_topk_free(p);
        ck_assert_int_eq(t.live, 0);
    }
    ck_assert_int_gt(long_batch_refused, 0); /* the batch's reservation failed */
    free(bytes);
    kpi_topk_free(src);
}
END_TEST

START_TEST(the_given_allocator_is_used_for_everything)
{
    test_alloc t;
    kpi_allocator a = test_allocator(&t);
    kpi_topk *p;
    ck_assert_ok(kpi_topk_new_with(&p, 8, &a));
    long after_new = t.mallocs + t.reallocs;
    ck_assert_int_ge(after_new, 2); /* the object and its arrays */
    /* labels of up to 24 bytes live in their counters: no allocation */
    for (int i = 0; i < 100; i++) {
        char l[32];
        int len = snprintf(l, sizeof l, "label-%d-0123456789", i);
        ck_assert_ok(kpi_topk_add(p, l, (size_t)len, 1));
    }
    ck_assert_int_eq(t.mallocs + t.reallocs, after_new);
    /* longer labels go to the arena, which grows with the allocator */
    for (int i = 0; i < 100; i++) {
        char l[48];
        int len = snprintf(l, sizeof l, "a-longer-label-%d-0123456789", i);
        ck_assert_ok(kpi_topk_add(p, l, (size_t)len, 1));
    }
    ck_assert_int_gt(t.mallocs + t.reallocs, after_new); /* the arena grew */
    ck_assert_uint_gt(kpi_topk_footprint(p), 8 * 40);
    kpi_topk_id *q;
    ck_assert_ok(kpi_topk_id_new_with(&q, 8, &a));
    long calls = t.calls;
    for (uint64_t i = 0; i < 1000; i++)
        ck_assert_ok(kpi_topk_id_add(q, i, 1));
    ck_assert_int_eq(t.calls, calls); /* ids never allocate after creation */
    kpi_topk_id_free(q);
    kpi_topk_free(p);
    ck_assert_int_eq(t.live, 0);
}
END_TEST

/* Totals near UINT64_MAX: every path that would wrap says so, and changes
 * nothing. */
START_TEST(totals_that_would_wrap_are_refused_everywhere)
{
    kpi_topk *p, *o;
    ck_assert_ok(kpi_topk_new(&p, 3));
    ck_assert_ok(kpi_topk_new(&o, 3));
    ck_assert_ok(kpi_topk_add(p, "a", 1, UINT64_MAX - 1));
    ck_assert_ok(kpi_topk_add(o, "b", 1, 2));
    size_t n;
    unsigned char *before = ser(p, &n);
    const char *batch[] = {"a", "c"};
    ck_assert_status(kpi_topk_add_array(p, batch, NULL, 2), KPI_ERR_OVERFLOW);
    ck_assert_status(kpi_topk_merge(p, o), KPI_ERR_OVERFLOW);
    assert_same_state(p, before, n);
    free(before);
    /* exactly UINT64_MAX still fits */
    ck_assert_ok(kpi_topk_add_array(p, batch, NULL, 1));
    ck_assert_uint_eq(kpi_topk_total(p), UINT64_MAX);
    uint64_t c;
    ck_assert_ok(kpi_topk_estimate(p, "a", 1, &c, NULL, NULL));
    ck_assert(c == UINT64_MAX);
    kpi_topk_free(p);
    kpi_topk_free(o);

    kpi_topk_id *q, *r;
    ck_assert_ok(kpi_topk_id_new(&q, 2));
    ck_assert_ok(kpi_topk_id_new(&r, 2));
    ck_assert_ok(kpi_topk_id_add(q, 7, UINT64_MAX));
    ck_assert_ok(kpi_topk_id_add(r, 8, 1));
    unsigned char *qb = ser_id(q, &n);
    ck_assert_status(kpi_topk_id_add(q, 7, 1), KPI_ERR_OVERFLOW);
    ck_assert_status(kpi_topk_id_merge(q, r), KPI_ERR_OVERFLOW);
    ck_assert_status(kpi_topk_id_merge(r, q), KPI_ERR_OVERFLOW);
    size_t m;
    unsigned char *qa = ser_id(q, &m);
    ck_assert(m == n && memcmp(qa, qb, n) == 0);
    ck_assert_uint_eq(kpi_topk_id_total(r), 1);
    free(qa);
    free(qb);
    kpi_topk_id_free(q);
    kpi_topk_id_free(r);
}
END_TEST

START_TEST(null_objects_and_bad_labels_in_the_reads)
{
    kpi_topk *p;
    ck_assert_ok(kpi_topk_new(&p, 3));
    ck_assert_ok(kpi_topk_add_str(p, "a"));
    uint64_t c = 5, lo, hi, id;
    kpi_estimate e;
    char big[KPI_TOPK_MAX_LABEL + 1];
    memset(big, 'q', sizeof big);
    ck_assert_status(kpi_topk_estimate(NULL, "a", 1, &c, NULL, NULL), KPI_ERR_INVALID);
    ck_assert_status(kpi_topk_share(p, NULL, 1, &e), KPI_ERR_INVALID);
    ck_assert_status(kpi_topk_share(p, "a", 0, &e), KPI_ERR_INVALID);
    ck_assert_status(kpi_topk_share(p, big, sizeof big, &e), KPI_ERR_RANGE);
    ck_assert_ok(kpi_topk_share(p, "a", 1, &e));
    ck_assert_near(e.value, 1.0, 0.0);
    kpi_topk_free(p);

    kpi_topk_id *q = NULL;
    ck_assert_status(kpi_topk_id_new_with(NULL, 4, NULL), KPI_ERR_INVALID);
    ck_assert_status(kpi_topk_id_add(NULL, 1, 1), KPI_ERR_INVALID);
    ck_assert_status(kpi_topk_id_entry(NULL, 0, &id, &c, &lo, &hi), KPI_ERR_INVALID);
    ck_assert_status(kpi_topk_id_estimate(NULL, 1, &c, &lo, &hi), KPI_ERR_INVALID);
    ck_assert_ok(kpi_topk_id_new(&q, 2));
    ck_assert_ok(kpi_topk_id_add(q, 1, 3));
    ck_assert_status(kpi_topk_id_share(NULL, 1, &e), KPI_ERR_INVALID);
    ck_assert_status(kpi_topk_id_share(q, 1, NULL), KPI_ERR_INVALID);
    ck_assert(c == 5);
    kpi_topk_id_free(q);
}
END_TEST

/* An allocator whose realloc always moves the block and overwrites the old
 * one before freeing it, so that a read through a pointer into the old
 * block sees other bytes (a use after free shows as wrong counts). */
static void *moving_malloc(void *opaque, size_t n)
{
    (void)opaque;
    size_t *b = malloc(sizeof(size_t) + n);
    if (b == NULL)
        return NULL;
    *b = n;
    return b + 1;
}

static void moving_free(void *opaque, void *ptr)
{
    (void)opaque;
    if (ptr == NULL)
        return;
    size_t *b = (size_t *)ptr - 1;
    memset(ptr, 0xA5, *b);
    free(b);
}

static void *moving_realloc(void *opaque, void *ptr, size_t n)
{
    void *q = moving_malloc(opaque, n);
    if (q == NULL || ptr == NULL)
        return q;
    size_t old = ((size_t *)ptr)[-1];
    memcpy(q, ptr, old < n ? old : n);
    moving_free(opaque, ptr);
    return q;
}

START_TEST(a_label_read_from_the_object_can_be_added_back)
{
    kpi_allocator mv = {moving_malloc, moving_realloc, moving_free, NULL};
    kpi_topk *p;
    ck_assert_ok(kpi_topk_new_with(&p, 4, &mv));
    char lab[40];
    memset(lab, 'x', sizeof lab);
    ck_assert_ok(kpi_topk_add(p, lab, sizeof lab, 1));
    /* the label as entry() gives it (in the arena: longer than 24 bytes),
     * added back once: its count 1 + 1 = 2, still one label.  The add
     * grows the arena (room for 2 records of 45 bytes, 90, then live 45 +
     * 45 + 45 = 135 needed) before it reads the label. */
    const char *l;
    size_t n;
    uint64_t c;
    ck_assert_ok(kpi_topk_entry(p, 0, &l, &n, NULL, NULL, NULL));
    ck_assert_ok(kpi_topk_add(p, l, n, 1));
    ck_assert_uint_eq(kpi_topk_size(p), 1);
    ck_assert_ok(kpi_topk_estimate(p, lab, sizeof lab, &c, NULL, NULL));
    ck_assert_uint_eq(c, 2);
    kpi_topk_free(p);
}
END_TEST

/* The same in batches: 32 pointers to a label the object holds (in its
 * arena), by the counted way (an exact summary) and one at a time (a lossy
 * one); each batch grows the arena before it reads its labels again. */
START_TEST(labels_read_from_the_object_can_be_added_back_in_batches)
{
    kpi_allocator mv = {moving_malloc, moving_realloc, moving_free, NULL};
    char a[40], b[40], c[40];
    memset(a, 'a', sizeof a);
    memset(b, 'b', sizeof b);
    memset(c, 'c', sizeof c);
    const char *ptrs[32];
    size_t lens[32];
    const char *l;
    size_t n;
    uint64_t cnt;
    for (int lossy = 0; lossy <= 1; lossy++) {
        kpi_topk *p;
        ck_assert_ok(kpi_topk_new_with(&p, lossy ? 2 : 4, &mv));
        ck_assert_ok(kpi_topk_add(p, a, sizeof a, 1));
        ck_assert_ok(kpi_topk_add(p, b, sizeof b, 1));
        /* lossy: capacity 2, c evicts a tied minimum: c counts 1 + 1 = 2
         * (error 1), the rank 0; exact: c counts 1, a, b and c tie and a
         * is rank 0 */
        ck_assert_ok(kpi_topk_add(p, c, sizeof c, 1));
        ck_assert_ok(kpi_topk_entry(p, 0, &l, &n, NULL, NULL, NULL));
        const char *want = lossy ? c : a;
        ck_assert(n == 40 && memcmp(l, want, 40) == 0);
        for (int i = 0; i < 32; i++) {
            ptrs[i] = l;
            lens[i] = n;
        }
        ck_assert_ok(kpi_topk_add_array(p, ptrs, lens, 32));
        /* its count: lossy 2 + 32 = 34, exact 1 + 32 = 33; total 3 + 32 */
        ck_assert_uint_eq(kpi_topk_size(p), (lossy ? 2 : 3));
        ck_assert_uint_eq(kpi_topk_total(p), 35);
        ck_assert_ok(kpi_topk_estimate(p, want, 40, &cnt, NULL, NULL));
        ck_assert_uint_eq(cnt, (lossy ? 34 : 33));
        kpi_topk_free(p);
    }
    /* A short label (stored in its slot) whose slot the batch itself
     * evicts before it reads the label.  Capacity 2: aa 5, bb 1, then cc
     * evicts bb (the minimum, 1): cc 1 + 1 = 2, error 1.  The batch dd,
     * ee, cc (cc as entry() gives it): dd evicts cc (2): 3, error 2; ee
     * evicts dd (3): 4, error 3; cc evicts ee (4): 5, error 4, lower 1.
     * aa 5 and cc 5, ee no longer monitored; total 7 + 3 = 10. */
    kpi_topk *p;
    ck_assert_ok(kpi_topk_new(&p, 2));
    ck_assert_ok(kpi_topk_add(p, "aa", 2, 5));
    ck_assert_ok(kpi_topk_add(p, "bb", 2, 1));
    ck_assert_ok(kpi_topk_add(p, "cc", 2, 1));
    ck_assert_ok(kpi_topk_entry(p, 1, &l, &n, NULL, NULL, NULL));
    ck_assert(n == 2 && memcmp(l, "cc", 2) == 0);
    const char *three[3] = {"dd", "ee", l};
    const size_t three_lens[3] = {2, 2, n};
    ck_assert_ok(kpi_topk_add_array(p, three, three_lens, 3));
    uint64_t lo;
    ck_assert_ok(kpi_topk_estimate(p, "cc", 2, &cnt, &lo, NULL));
    ck_assert_uint_eq(cnt, 5);
    ck_assert_uint_eq(lo, 1);
    ck_assert_status(kpi_topk_estimate(p, "ee", 2, &cnt, NULL, NULL), KPI_ERR_UNKNOWN_ID);
    ck_assert_uint_eq(kpi_topk_total(p), 10);
    kpi_topk_free(p);
    /* the copy's allocation failing: KPI_ERR_NOMEM, the same bytes */
    test_alloc ta;
    kpi_allocator fa = test_allocator(&ta);
    ck_assert_ok(kpi_topk_new_with(&p, 2, &fa));
    ck_assert_ok(kpi_topk_add(p, a, sizeof a, 1));
    ck_assert_ok(kpi_topk_entry(p, 0, &l, &n, NULL, NULL, NULL));
    for (int i = 0; i < 32; i++) {
        ptrs[i] = l;
        lens[i] = n;
    }
    size_t len0;
    unsigned char *before = ser(p, &len0);
    ta.fail_at = ta.calls + 1;
    ck_assert_status(kpi_topk_add_array(p, ptrs, lens, 32), KPI_ERR_NOMEM);
    assert_same_state(p, before, len0);
    free(before);
    kpi_topk_free(p);
    ck_assert_int_eq(ta.live, 0);
}
END_TEST

/* ---- documented errors (rev-retval) ---- */

TEST_STATE_HELPERS(rt_topk, kpi_topk, kpi_topk_serialize)
TEST_STATE_HELPERS(rt_topk_id, kpi_topk_id, kpi_topk_id_serialize)
TEST_STATE_ERRORS_HELPER(rt_topk, kpi_topk, kpi_topk_serialize, kpi_topk_deserialize,
                         kpi_topk_deserialize_with, kpi_topk_free)
TEST_STATE_ERRORS_HELPER(rt_topk_id, kpi_topk_id, kpi_topk_id_serialize,
                         kpi_topk_id_deserialize, kpi_topk_id_deserialize_with,
                         kpi_topk_id_free)

START_TEST(documented_errors_of_the_state_verbs)
{
    kpi_topk *p;
    ck_assert_ok(kpi_topk_new(&p, 8));
    ck_assert_ok(kpi_topk_add_str(p, "billing"));
    ck_assert_ok(kpi_topk_add_str(p, "a label longer than the twenty-four inline bytes"));
    ck_assert_ok(kpi_topk_add_str(p, "billing"));
    rt_topk_state_errors(p);
    kpi_topk_free(p);

    kpi_topk_id *q;
    ck_assert_ok(kpi_topk_id_new(&q, 8));
    for (uint64_t id = 1; id <= 20; id++)
        ck_assert_ok(kpi_topk_id_add(q, id % 11, id));
    rt_topk_id_state_errors(q);
    kpi_topk_id_free(q);
}
END_TEST

START_TEST(documented_errors_of_the_constructors_and_clone)
{
    test_alloc t;
    kpi_allocator a = test_allocator(&t);
    kpi_allocator bad = a;
    bad.realloc_fn = NULL;
    kpi_topk *p = NULL;
    ck_assert_status(kpi_topk_new_with(&p, 8, &bad), KPI_ERR_INVALID);
    ck_assert_status(kpi_topk_new_with(NULL, 8, &a), KPI_ERR_INVALID);
    ck_assert_status(kpi_topk_new_with(&p, 0, &a), KPI_ERR_RANGE);
    ck_assert_status(kpi_topk_new_with(&p, KPI_TOPK_MAX_CAPACITY + 1, &a), KPI_ERR_RANGE);
    ck_assert_ptr_null(p);
    ck_assert_int_eq(t.calls, 0);

    kpi_topk_id *q = NULL, *c = NULL;
    t.fail_at = 1;
    ck_assert_status(kpi_topk_id_new_with(&q, 8, &a), KPI_ERR_NOMEM);
    ck_assert_ptr_null(q);
    ck_assert_int_eq(t.live, 0);
    t.fail_at = 0;
    ck_assert_ok(kpi_topk_id_new_with(&q, 8, &a));
    ck_assert_ok(kpi_topk_id_add(q, 42, 3));
    size_t len;
    unsigned char *before = rt_topk_id_bytes(q, &len);
    long live = t.live;
    t.fail_at = t.calls + 1;
    ck_assert_status(kpi_topk_id_clone(q, &c), KPI_ERR_NOMEM);
    t.fail_at = 0;
    ck_assert_ptr_null(c);
    ck_assert_int_eq(t.live, live);
    rt_topk_id_unchanged(q, before, len);
    free(before);
    kpi_topk_id_free(q);
    ck_assert_int_eq(t.live, 0);
}
END_TEST

START_TEST(documented_errors_of_the_id_reads_and_merge)
{
    test_alloc t;
    kpi_allocator a = test_allocator(&t);
    kpi_topk_id *p, *other, *src;
    ck_assert_ok(kpi_topk_id_new_with(&p, 8, &a));
    uint64_t id = 99;
    kpi_estimate e = {9, 9, 9, 9};
    ck_assert_status(kpi_topk_id_entry(p, 0, &id, NULL, NULL, NULL), KPI_ERR_EMPTY);
    ck_assert_status(kpi_topk_id_share(p, 5, &e), KPI_ERR_EMPTY);
    ck_assert(id == 99 && e.value == 9 && e.n == 9); /* nothing written */
    ck_assert_ok(kpi_topk_id_add(p, 5, 2));
    ck_assert_ok(kpi_topk_id_add(p, 6, 1));
    ck_assert_ok(kpi_topk_id_entry(p, 0, &id, NULL, NULL, NULL));
    ck_assert_uint_eq(id, 5);

    size_t len;
    unsigned char *before = rt_topk_id_bytes(p, &len);
    ck_assert_ok(kpi_topk_id_new_with(&other, 16, &a));
    ck_assert_ok(kpi_topk_id_add(other, 5, 1));
    ck_assert_status(kpi_topk_id_merge(p, other), KPI_ERR_INCOMPATIBLE);
    ck_assert_status(kpi_topk_id_merge(p, NULL), KPI_ERR_INVALID);
    ck_assert_status(kpi_topk_id_merge(NULL, other), KPI_ERR_INVALID);
    rt_topk_id_unchanged(p, before, len);
    /* a merge whose allocation fails */
    ck_assert_ok(kpi_topk_id_new_with(&src, 8, &a));
    ck_assert_ok(kpi_topk_id_add(src, 7, 4));
    long live = t.live;
    t.fail_at = t.calls + 1;
    ck_assert_status(kpi_topk_id_merge(p, src), KPI_ERR_NOMEM);
    t.fail_at = 0;
    ck_assert_int_eq(t.live, live);
    rt_topk_id_unchanged(p, before, len);
    ck_assert_ok(kpi_topk_id_merge(p, src));
    free(before);
    kpi_topk_id_free(p);
    kpi_topk_id_free(other);
    kpi_topk_id_free(src);
    ck_assert_int_eq(t.live, 0);
}
END_TEST

START_TEST(documented_errors_of_the_remaining_topk_calls)
{
    kpi_topk *p;
    ck_assert_ok(kpi_topk_new(&p, 4));
    ck_assert_ok(kpi_topk_add(p, "x", 1, UINT64_MAX));
    size_t len;
    unsigned char *before = rt_topk_bytes(p, &len);
    ck_assert_status(kpi_topk_add_str(p, "y"), KPI_ERR_OVERFLOW);
    ck_assert_status(kpi_topk_add_str(p, "x"), KPI_ERR_OVERFLOW);
    rt_topk_unchanged(p, before, len);
    free(before);
    kpi_topk_free(p);

    test_alloc t;
    kpi_allocator a = test_allocator(&t);
    kpi_topk_id *q = NULL, *c = NULL;
    ck_assert_status(kpi_topk_id_new(NULL, 8), KPI_ERR_INVALID);
    ck_assert_status(kpi_topk_id_new_with(&q, 0, &a), KPI_ERR_RANGE);
    ck_assert_status(kpi_topk_id_new_with(&q, KPI_TOPK_MAX_CAPACITY + 1, &a), KPI_ERR_RANGE);
    ck_assert_ptr_null(q);
    ck_assert_int_eq(t.calls, 0);

    ck_assert_ok(kpi_topk_id_new(&q, 2));
    ck_assert_ok(kpi_topk_id_add(q, 1, UINT64_MAX - 1));
    before = rt_topk_id_bytes(q, &len);
    ck_assert_status(kpi_topk_id_clone(NULL, &c), KPI_ERR_INVALID);
    ck_assert_status(kpi_topk_id_clone(q, NULL), KPI_ERR_INVALID);
    ck_assert_ptr_null(c);
    const int8_t codes[] = {3, 4};
    ck_assert_status(kpi_topk_id_add_codes(q, codes, 2), KPI_ERR_OVERFLOW);
    rt_topk_id_unchanged(q, before, len);
    /* id 9 is not monitored */
    kpi_estimate e = {9, 9, 9, 9};
    ck_assert_status(kpi_topk_id_share(q, 9, &e), KPI_ERR_UNKNOWN_ID);
    ck_assert(e.value == 9 && e.n == 9);
    ck_assert_ok(kpi_topk_id_add_codes(q, codes, 1));
    free(before);
    kpi_topk_id_free(q);
}
END_TEST

static Suite *topk_suite(void)
{
    Suite *s = suite_create("topk");
    TCase *tc = tcase_create("counts");
    tcase_add_test(tc, space_saving_replaces_the_minimum_and_inherits_its_count);
    tcase_add_test(tc, labels_are_byte_strings_and_are_copied);
    tcase_add_test(tc, exact_while_distinct_labels_fit);
    tcase_add_test(tc, bounds_hold_on_zipf_streams);
    tcase_add_test(tc, id_variant_bounds_hold_on_zipf_streams);
    tcase_add_test(tc, id_ties_are_ordered_by_id);
    tcase_add_test(tc, id_batches_of_small_ids_read_like_singles);
    tcase_add_test(tc, id_codes_count_as_their_ids);
    tcase_add_test(tc, id_codes_not_counted_first_read_like_singles);
    tcase_add_test(tc, id_codes_refuse_bad_calls_and_change_nothing);
    tcase_add_test(tc, id_codes_count_leaves_the_upper_halves_clean);
    tcase_add_test(tc, id_batch_lists_equal_counts_by_id_inside);
    tcase_add_test(tc, a_later_eviction_may_take_another_tied_minimum_after_a_batch);
    tcase_add_test(tc, id_batches_the_counted_paths_cannot_take_go_one_at_a_time);
    tcase_add_test(tc, id_batches_of_large_ids_are_counted_first);
    tcase_add_test(tc, id_batches_of_pointers_and_colliding_ids_are_counted_first);
    tcase_add_test(tc, label_batches_are_counted_first_and_read_like_singles);
    tcase_add_test(tc, short_batches_into_full_summaries_go_one_at_a_time);
    tcase_add_test(tc, id_batches_of_many_ids_in_a_short_range_are_counted_first);
    tcase_add_test(tc, id_batches_the_range_count_cannot_take_go_one_at_a_time);
    tcase_add_test(tc, id_range_count_without_its_tables_goes_one_at_a_time);
    tcase_add_test(tc, id_batches_of_at_most_256_ids_in_a_short_range_never_allocate);
    tcase_add_test(tc, id_codes16_count_as_their_ids);
    tcase_add_test(tc, id_codes16_not_counted_first_go_one_at_a_time);
    tcase_add_test(tc, id_range_and_codes16_counts_at_the_edges_of_their_conditions);
    tcase_add_test(tc, id_codes16_refuse_bad_calls_and_change_nothing);
    tcase_add_test(tc, id_codes16_tables_are_the_size_topk_h_gives);
    tcase_add_test(tc, label_batch_refusals_name_the_first_bad_label);
    tcase_add_test(tc, label_batches_sort_without_the_heap);
    tcase_add_test(tc, id_batches_of_small_ids_on_random_states);
    tcase_add_test(tc, id_batch_refused_whole_changes_nothing);
    tcase_add_test(tc, reset_forgets_and_keeps_the_capacity);
    tcase_add_test(tc, a_label_read_from_the_object_can_be_added_back);
    tcase_add_test(tc, labels_read_from_the_object_can_be_added_back_in_batches);
    suite_add_tcase(s, tc);
    tc = tcase_create("runs");
    tcase_add_test(tc, every_add_keeps_the_space_saving_invariants);
    tcase_add_test(tc, id_runs_hold_through_ties_and_weights);
#if defined(__SIZEOF_INT128__)
    tcase_add_test(tc, crowded_index_groups_give_the_same_states);
#endif
    tcase_add_test(tc, long_labels_survive_eviction_and_compaction);
    tcase_add_test(tc, a_slot_back_to_a_long_label_compacts_its_old_record_away);
    tcase_add_test(tc, merge_after_heavy_eviction_keeps_the_bounds);
    tcase_add_loop_test(tc, id_adds_equal_a_reference_space_saving, 0, 14);
    suite_add_tcase(s, tc);
    tc = tcase_create("ranks");
    tcase_add_test(tc, ranks_in_long_runs_read_in_id_order);
    tcase_add_test(tc, label_ranks_in_long_runs_read_in_byte_order);
    tcase_add_test(tc, reading_every_rank_of_a_long_tie_is_fast);
    tcase_add_test(tc, concurrent_rank_reads_agree);
    tcase_set_timeout(tc, 60);
    suite_add_tcase(s, tc);
    tc = tcase_create("merge");
    tcase_add_test(tc, merge_bounds_hold_over_both_streams);
    tcase_add_test(tc, merge_of_exact_objects_equals_one_stream);
    tcase_add_test(tc, merge_refuses_other_capacities_and_doubles_itself);
    suite_add_tcase(s, tc);
    tc = tcase_create("errors");
    tcase_add_test(tc, bad_arguments_are_named_and_change_nothing);
    tcase_add_test(tc, objects_of_another_type_are_refused_and_unchanged);
    tcase_add_test(tc, totals_that_would_wrap_are_refused_everywhere);
    tcase_add_test(tc, null_objects_and_bad_labels_in_the_reads);
    tcase_add_test(tc, every_allocation_failure_is_clean);
    tcase_add_test(tc, the_given_allocator_is_used_for_everything);
    suite_add_tcase(s, tc);
    tc = tcase_create("codec");
    tcase_add_test(tc, serialize_round_trips_to_identical_reads_and_bytes);
    tcase_add_test(tc, truncated_and_flipped_bytes_are_rejected);
    tcase_add_test(tc, errors_above_the_error_bound_are_rejected);
    tcase_add_test(tc, a_lossy_state_without_a_loss_is_rejected);
    tcase_add_test(tc, states_written_by_the_previous_layout_read_back);
    /* ---- documented errors (rev-retval) ---- */
    tcase_add_test(tc, documented_errors_of_the_state_verbs);
    tcase_add_test(tc, documented_errors_of_the_constructors_and_clone);
    tcase_add_test(tc, documented_errors_of_the_id_reads_and_merge);
    tcase_add_test(tc, documented_errors_of_the_remaining_topk_calls);
    suite_add_tcase(s, tc);
    return s;
}

KPI_TEST_MAIN(topk_suite)
