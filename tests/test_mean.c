/*
 * kpi_mean: real-valued scores, sentiment and IQS presets.
 * SPDX-License-Identifier: MIT
 */
#include <float.h>

#include "kpi.h"
#include "testutil.h"

TEST_STATE_HELPERS(mean, kpi_mean, kpi_mean_serialize)
TEST_REREAD_HELPER(mean, kpi_mean, kpi_mean_deserialize)
TEST_FORGE_HELPER(mean, kpi_mean, kpi_mean_deserialize, kpi_mean_free)

static void assert_close_state(const kpi_mean *a, const kpi_mean *b)
{
    double x, y;
    ck_assert_uint_eq(kpi_mean_count(a), kpi_mean_count(b));
    ck_assert_ok(kpi_mean_mean(a, &x));
    ck_assert_ok(kpi_mean_mean(b, &y));
    ck_assert_near(x, y, 1e-12 * (1 + fabs(y)));
    ck_assert_ok(kpi_mean_variance(a, &x));
    ck_assert_ok(kpi_mean_variance(b, &y));
    ck_assert_near(x, y, 1e-10 * (1 + fabs(y)));
    ck_assert_ok(kpi_mean_min(a, &x));
    ck_assert_ok(kpi_mean_min(b, &y));
    ck_assert(x == y);
    ck_assert_ok(kpi_mean_max(a, &x));
    ck_assert_ok(kpi_mean_max(b, &y));
    ck_assert(x == y);
}

START_TEST(mean_variance_and_interval_match_two_pass)
{
    test_rng r = {21};
    kpi_mean *m;
    ck_assert_ok(kpi_mean_new(&m));
    double v[1000], sum = 0, mn = 1e300, mx = -1e300;
    for (int i = 0; i < 1000; i++) {
        v[i] = 1e6 + test_uniform(&r) * 10;
        sum += v[i];
        mn = fmin(mn, v[i]);
        mx = fmax(mx, v[i]);
        ck_assert_ok(kpi_mean_add(m, v[i]));
    }
    double mean = sum / 1000, ss = 0;
    for (int i = 0; i < 1000; i++)
        ss += (v[i] - mean) * (v[i] - mean);
    double x;
    ck_assert_ok(kpi_mean_mean(m, &x));
    ck_assert_near(x, mean, 1e-8);
    ck_assert_ok(kpi_mean_variance(m, &x));
    ck_assert_near(x, ss / 999, 1e-8);
    kpi_estimate e;
    ck_assert_ok(kpi_mean_mean_ci(m, &e));
    double half = 1.959963984540054 * sqrt(ss / 999 / 1000);
    ck_assert_near(e.lower, mean - half, 1e-8);
    ck_assert_near(e.upper, mean + half, 1e-8);
    ck_assert_uint_eq(e.n, 1000);
    ck_assert_ok(kpi_mean_min(m, &x));
    ck_assert(x == mn);
    ck_assert_ok(kpi_mean_max(m, &x));
    ck_assert(x == mx);
    /* the batch path gives the same figures */
    kpi_mean *b;
    ck_assert_ok(kpi_mean_new(&b));
    ck_assert_ok(kpi_mean_add_array(b, v, 400));
    ck_assert_ok(kpi_mean_add_array(b, v + 400, 600));
    assert_close_state(m, b);
    kpi_mean_free(m);
    kpi_mean_free(b);
}
END_TEST

/* Values far from 0 (1e9 and above, plus 0, 1, 2 or 3 in turn): the exact
 * mean is the offset + 1.5 and the sample variance 1.25 n / (n - 1), by
 * hand.  Singles (Welford), one batch, and batches merged from shards all
 * give them, where a plain sum of the batch lost the low digits (1e12 + 1.5
 * read as 1e12 + 0.06, its variance 3.3). */
START_TEST(batches_far_from_zero_keep_the_low_digits)
{
    const double offsets[] = {1e9, 1e12, 1e14, -1e12};
    const size_t sizes[] = {1000000, 1000000, 100000, 1000000};
    for (int k = 0; k < 4; k++) {
        const size_t n = sizes[k];
        const double off = offsets[k];
        double *v = malloc(n * sizeof *v);
        ck_assert_ptr_nonnull(v);
        for (size_t i = 0; i < n; i++)
            v[i] = off + (double)(i % 4);
        const double mean = off + 1.5, var = 1.25 * (double)n / (double)(n - 1);
        kpi_mean *one, *batch, *shards[4];
        ck_assert_ok(kpi_mean_new(&one));
        ck_assert_ok(kpi_mean_new(&batch));
        for (size_t i = 0; i < n; i++)
            ck_assert_ok(kpi_mean_add(one, v[i]));
        ck_assert_ok(kpi_mean_add_array(batch, v, n));
        for (int j = 0; j < 4; j++) {
            ck_assert_ok(kpi_mean_new(&shards[j]));
            ck_assert_ok(kpi_mean_add_array(shards[j], v + j * (n / 4), n / 4));
            if (j > 0)
                ck_assert_ok(kpi_mean_merge(shards[0], shards[j]));
        }
        const kpi_mean *all[] = {one, batch, shards[0]};
        for (int j = 0; j < 3; j++) {
            double x;
            ck_assert_ok(kpi_mean_mean(all[j], &x));
            ck_assert_msg(fabs(x - mean) <= 4 * fabs(off) * 0x1p-52, "offset %g way %d mean %.17g",
                          off, j, x);
            ck_assert_ok(kpi_mean_variance(all[j], &x));
            ck_assert_msg(fabs(x - var) <= 1e-6 * var, "offset %g way %d variance %.17g", off, j,
                          x);
        }
        free(v);
        kpi_mean_free(one);
        kpi_mean_free(batch);
        for (int j = 0; j < 4; j++)
            kpi_mean_free(shards[j]);
    }
}
END_TEST

START_TEST(one_value_has_an_unbounded_interval_and_no_variance)
{
    kpi_mean *m;
    kpi_estimate e;
    double x;
    ck_assert_ok(kpi_mean_new(&m));
    ck_assert_status(kpi_mean_mean_ci(m, &e), KPI_ERR_EMPTY);
    ck_assert_status(kpi_mean_mean(m, &x), KPI_ERR_EMPTY);
    ck_assert_status(kpi_mean_min(m, &x), KPI_ERR_EMPTY);
    ck_assert_status(kpi_mean_max(m, &x), KPI_ERR_EMPTY);
    ck_assert_status(kpi_iqs_percent(m, &x), KPI_ERR_EMPTY);
    ck_assert_ok(kpi_mean_add(m, 2.5));
    ck_assert_ok(kpi_mean_mean_ci(m, &e));
    ck_assert(e.value == 2.5 && isinf(e.lower) && e.lower < 0 && isinf(e.upper));
    ck_assert_status(kpi_mean_variance(m, &x), KPI_ERR_EMPTY);
    ck_assert_status(kpi_mean_shares(m, &e, &e, &e), KPI_ERR_STATE);
    kpi_mean_free(m);
}
END_TEST

/* Ties of min and max keep the value seen first, in one stream (0.0 then
 * -0.0: -0.0 < 0.0 and -0.0 > 0.0 are both false, so min = max = +0.0)
 * and so in a merge (dst's before src's).  A merge took src's on a tie:
 * shards {0.0} and {-0.0} read min = max = -0.0 (the sign bit set), and
 * their state's bytes differed from the one stream's. */
START_TEST(a_merge_keeps_the_first_of_equal_extremes_as_one_stream_does)
{
    kpi_mean *one, *a, *b;
    ck_assert_ok(kpi_mean_new(&one));
    ck_assert_ok(kpi_mean_new(&a));
    ck_assert_ok(kpi_mean_new(&b));
    ck_assert_ok(kpi_mean_add(one, 0.0));
    ck_assert_ok(kpi_mean_add(one, -0.0));
    ck_assert_ok(kpi_mean_add(a, 0.0));
    ck_assert_ok(kpi_mean_add(b, -0.0));
    ck_assert_ok(kpi_mean_merge(a, b));
    double lo, hi;
    ck_assert_ok(kpi_mean_min(a, &lo));
    ck_assert_ok(kpi_mean_max(a, &hi));
    ck_assert(!signbit(lo) && !signbit(hi));
    mean_same(a, one);
    /* a batch merged in (as add_array does) keeps the object's too */
    const double neg0 = -0.0;
    kpi_mean_reset(a);
    ck_assert_ok(kpi_mean_add(a, 0.0));
    ck_assert_ok(kpi_mean_add_array(a, &neg0, 1));
    mean_same(a, one);
    kpi_mean_free(one);
    kpi_mean_free(a);
    kpi_mean_free(b);
}
END_TEST

START_TEST(chan_merge_equals_one_stream)
{
    test_rng r = {8};
    for (int round = 0; round < 20; round++) {
        kpi_mean *a, *b, *all;
        ck_assert_ok(kpi_sentiment_new(&a));
        ck_assert_ok(kpi_sentiment_new(&b));
        ck_assert_ok(kpi_sentiment_new(&all));
        int64_t n = test_range(&r, 2, 500);
        for (int64_t i = 0; i < n; i++) {
            double x = test_uniform(&r) * 2 - 1;
            double w = round % 2 ? 1.0 : 0.5 + test_uniform(&r);
            ck_assert_ok(kpi_mean_add_weighted(test_rand(&r) % 2 ? a : b, x, w));
            ck_assert_ok(kpi_mean_add_weighted(all, x, w));
        }
        if (kpi_mean_count(a) < 2 || kpi_mean_count(b) < 1) {
            kpi_mean_free(a);
            kpi_mean_free(b);
            kpi_mean_free(all);
            continue;
        }
        ck_assert_ok(kpi_mean_merge(a, b));
        assert_close_state(a, all);
        kpi_estimate x, y;
        ck_assert_ok(kpi_mean_shares(a, &x, NULL, NULL));
        ck_assert_ok(kpi_mean_shares(all, &y, NULL, NULL));
        ck_assert(x.value == y.value);
        kpi_mean_free(a);
        kpi_mean_free(b);
        kpi_mean_free(all);
    }
}
END_TEST

START_TEST(iqs_is_sum_earned_over_sum_possible)
{
    kpi_mean *m;
    double pct;
    ck_assert_ok(kpi_iqs_new(&m));
    ck_assert_ok(kpi_iqs_add(m, 18, 20));  /* 90% on a 20-point rubric */
    ck_assert_ok(kpi_iqs_add(m, 30, 50));  /* 60% on a 50-point rubric */
    ck_assert_ok(kpi_iqs_add(m, 10, 10));
    ck_assert_ok(kpi_iqs_percent(m, &pct));
    ck_assert_near(pct, 58.0 / 80.0 * 100.0, 1e-9); /* 72.5, not the 83.3 of plain means */
    size_t len;
    unsigned char *before = mean_bytes(m, &len);
    ck_assert_status(kpi_iqs_add(m, 11, 10), KPI_ERR_RANGE);
    ck_assert_status(kpi_iqs_add(m, -1, 10), KPI_ERR_RANGE);
    ck_assert_status(kpi_iqs_add(m, 0, 0), KPI_ERR_RANGE);
    ck_assert_status(kpi_iqs_add(m, NAN, 10), KPI_ERR_INVALID);
    ck_assert_status(kpi_iqs_add(m, 1, INFINITY), KPI_ERR_INVALID);
    ck_assert_status(kpi_mean_add(m, 1.5), KPI_ERR_RANGE);
    mean_unchanged(m, before, len);
    free(before);
    kpi_mean_free(m);
}
END_TEST

/* IQS = sum earned / sum possible x 100 up to rounding only (kpi/mean.h):
 * (3, 4) then (1, 5) is 4 / 9 x 100 = 44.444..., read one or two units in
 * the last place away from the double quotient 400 / 9; (1, 3), (2, 3),
 * (7, 9) is 10 / 15 = 66.666...; a review of 0 earned counts its weight:
 * (0, 5) and (5, 5) is 5 / 10 = 50. */
START_TEST(iqs_equals_the_quotient_of_the_sums_up_to_rounding)
{
    static const struct {
        double earned[3], possible[3];
        size_t n;
        double pct;
    } c[] = {
        {{3, 1}, {4, 5}, 2, 400.0 / 9},
        {{1, 2, 7}, {3, 3, 9}, 3, 1000.0 / 15},
        {{0, 5}, {5, 5}, 2, 50},
    };
    for (size_t i = 0; i < sizeof c / sizeof c[0]; i++) {
        kpi_mean *m;
        ck_assert_ok(kpi_iqs_new(&m));
        for (size_t j = 0; j < c[i].n; j++)
            ck_assert_ok(kpi_iqs_add(m, c[i].earned[j], c[i].possible[j]));
        double pct;
        ck_assert_ok(kpi_iqs_percent(m, &pct));
        ck_assert_msg(fabs(pct - c[i].pct) <= 4 * DBL_EPSILON * c[i].pct,
                      "case %zu: %.17g, want %.17g", i, pct, c[i].pct);
        kpi_mean_free(m);
    }
}
END_TEST

START_TEST(sentiment_shares_use_the_default_cuts)
{
    kpi_mean *m;
    ck_assert_ok(kpi_sentiment_new(&m));
    const double v[] = {-1.0, -0.5, -0.05, 0.0, 0.05, 0.06, 1.0, -0.051};
    ck_assert_ok(kpi_mean_add_array(m, v, 8));
    kpi_estimate neg, neu, pos;
    ck_assert_ok(kpi_mean_shares(m, &neg, &neu, &pos));
    ck_assert_near(neg.value, 3.0 / 8, 1e-12); /* -1, -0.5, -0.051 */
    ck_assert_near(neu.value, 3.0 / 8, 1e-12); /* -0.05, 0, 0.05 */
    ck_assert_near(pos.value, 2.0 / 8, 1e-12); /* 0.06, 1 */
    kpi_estimate w;
    ck_assert_ok(kpi_wilson_interval(3, 8, &w));
    ck_assert_near(neg.lower, w.lower, 1e-15);
    size_t len;
    unsigned char *before = mean_bytes(m, &len);
    ck_assert_status(kpi_mean_add(m, 1.01), KPI_ERR_RANGE);
    ck_assert_status(kpi_mean_add(m, NAN), KPI_ERR_INVALID);
    const double bad[] = {0.1, 0.2, 2.0};
    ck_assert_status(kpi_mean_add_array(m, bad, 3), KPI_ERR_RANGE);
    const double worse[] = {0.1, INFINITY, 2.0};
    ck_assert_status(kpi_mean_add_array(m, worse, 3), KPI_ERR_INVALID);
    ck_assert_status(kpi_mean_set_cuts(m, -0.5, 0.5), KPI_ERR_STATE);
    ck_assert_status(kpi_mean_add_weighted(m, 0.1, 0), KPI_ERR_RANGE);
    ck_assert_status(kpi_mean_add_weighted(m, 0.1, -1), KPI_ERR_RANGE);
    ck_assert_status(kpi_mean_add_weighted(m, 0.1, NAN), KPI_ERR_INVALID);
    ck_assert_status(kpi_mean_add(NULL, 0.1), KPI_ERR_INVALID);
    ck_assert_status(kpi_mean_add_array(m, NULL, 2), KPI_ERR_INVALID);
    mean_unchanged(m, before, len);
    free(before);
    kpi_mean_reset(m);
    ck_assert_status(kpi_mean_set_cuts(m, 0.5, -0.5), KPI_ERR_RANGE);
    ck_assert_status(kpi_mean_set_cuts(m, NAN, 0.5), KPI_ERR_INVALID);
    ck_assert_ok(kpi_mean_set_cuts(m, -0.5, 0.5));
    ck_assert_ok(kpi_mean_add(m, -0.4));
    ck_assert_ok(kpi_mean_shares(m, &neg, &neu, &pos));
    ck_assert(neu.value == 1.0);
    kpi_mean_free(m);
}
END_TEST

START_TEST(merge_of_different_configurations_is_refused)
{
    kpi_mean *a, *b, *c, *d;
    ck_assert_ok(kpi_sentiment_new(&a));
    ck_assert_ok(kpi_mean_new(&b));
    ck_assert_ok(kpi_iqs_new(&c));
    ck_assert_ok(kpi_sentiment_new(&d));
    ck_assert_ok(kpi_mean_set_cuts(d, -0.1, 0.1));
    ck_assert_ok(kpi_mean_add(a, 0.3));
    size_t len;
    unsigned char *before = mean_bytes(a, &len);
    ck_assert_status(kpi_mean_merge(a, b), KPI_ERR_INCOMPATIBLE);
    ck_assert_status(kpi_mean_merge(a, c), KPI_ERR_INCOMPATIBLE);
    ck_assert_status(kpi_mean_merge(a, d), KPI_ERR_INCOMPATIBLE);
    ck_assert_status(kpi_mean_merge(a, NULL), KPI_ERR_INVALID);
    mean_unchanged(a, before, len);
    ck_assert_ok(kpi_mean_merge(a, a));
    ck_assert_uint_eq(kpi_mean_count(a), 2);
    free(before);
    kpi_mean_free(a);
    kpi_mean_free(b);
    kpi_mean_free(c);
    kpi_mean_free(d);
}
END_TEST

START_TEST(overflowing_sums_are_refused)
{
    kpi_mean *m;
    ck_assert_ok(kpi_mean_new(&m));
    ck_assert_ok(kpi_mean_add_weighted(m, 1.0, 1.2e154));
    size_t len;
    unsigned char *before = mean_bytes(m, &len);
    ck_assert_status(kpi_mean_add_weighted(m, 1.0, 1.2e154), KPI_ERR_OVERFLOW);
    ck_assert_status(kpi_mean_merge(m, m), KPI_ERR_OVERFLOW);
    mean_unchanged(m, before, len);
    free(before);
    kpi_mean_reset(m);
    const double big[] = {1.7e308, 1.7e308, -1.7e308};
    ck_assert_status(kpi_mean_add_array(m, big, 3), KPI_ERR_OVERFLOW);
    ck_assert_uint_eq(kpi_mean_count(m), 0);
    kpi_mean_free(m);
}
END_TEST

/* A weight whose square underflows (below 2^-511, about 1.5e-154) would
 * leave a sum of squared weights of 0: an interval of no width, and a state
 * that kpi_mean_deserialize() refuses as corrupt.  Such weights are refused
 * like weights <= 0, nothing changing; 2^-511 itself is accepted, reads
 * the interval weights of 1 give (it does not depend on the weights'
 * scale) and round-trips. */
START_TEST(weights_whose_square_underflows_are_refused)
{
    kpi_mean *m, *ones;
    ck_assert_ok(kpi_iqs_new(&m));
    ck_assert_ok(kpi_iqs_new(&ones));
    const double tiny = 0x1p-511;
    ck_assert_ok(kpi_mean_add_weighted(m, 0.5, tiny));
    ck_assert_ok(kpi_mean_add_weighted(m, 0.7, tiny));
    ck_assert_ok(kpi_mean_add_weighted(ones, 0.5, 1));
    ck_assert_ok(kpi_mean_add_weighted(ones, 0.7, 1));
    size_t len;
    unsigned char *before = mean_bytes(m, &len);
    ck_assert_status(kpi_mean_add_weighted(m, 0.5, 1e-170), KPI_ERR_RANGE);
    ck_assert_status(kpi_mean_add_weighted(m, 0.5, 0x1p-512), KPI_ERR_RANGE);
    ck_assert_status(kpi_mean_add_weighted(m, 0.5, 4.9e-324), KPI_ERR_RANGE);
    ck_assert_status(kpi_iqs_add(m, 1e-170, 1e-170), KPI_ERR_RANGE);
    mean_unchanged(m, before, len);
    kpi_mean *back = NULL;
    ck_assert_ok(kpi_mean_deserialize(&back, before, len));
    mean_same(m, back);
    kpi_estimate a, b;
    ck_assert_ok(kpi_mean_mean_ci(m, &a));
    ck_assert_ok(kpi_mean_mean_ci(ones, &b));
    ck_assert_near(a.value, 0.6, 1e-15);
    ck_assert_near(a.lower, b.lower, 1e-12);
    ck_assert_near(a.upper, b.upper, 1e-12);
    ck_assert(a.upper - a.lower > 0.1); /* 0.6 -/+ 1.96 x 0.1 */
    free(before);
    kpi_mean_free(back);
    kpi_mean_free(m);
    kpi_mean_free(ones);
}
END_TEST

START_TEST(serialize_round_trip_and_corrupt_bytes)
{
    kpi_mean *m, *t = NULL;
    ck_assert_ok(kpi_sentiment_new(&m));
    for (int i = 0; i < 50; i++)
        ck_assert_ok(kpi_mean_add(m, (i % 21 - 10) / 10.0));
    size_t len, len2;
    unsigned char *b = mean_bytes(m, &len);
    ck_assert_ok(kpi_mean_deserialize(&t, b, len));
    unsigned char *b2 = mean_bytes(t, &len2);
    ck_assert_uint_eq(len, len2);
    ck_assert(memcmp(b, b2, len) == 0);
    assert_close_state(m, t);
    kpi_mean_free(t);
    t = NULL;
    for (size_t n = 0; n < len; n++)
        ck_assert(kpi_mean_deserialize(&t, b, n) != KPI_OK);
    for (size_t i = 0; i < len; i++)
        for (int bit = 0; bit < 8; bit++) {
            b[i] ^= (unsigned char)(1u << bit);
            ck_assert(kpi_mean_deserialize(&t, b, len) != KPI_OK);
            b[i] ^= (unsigned char)(1u << bit);
        }
    ck_assert(t == NULL);
    kpi_rate *r;
    ck_assert_ok(kpi_rate_new(&r));
    unsigned char rb[64];
    size_t rl;
    ck_assert_ok(kpi_rate_serialize(r, rb, sizeof rb, &rl));
    ck_assert_status(kpi_mean_deserialize(&t, rb, rl), KPI_ERR_TYPE);
    kpi_rate_free(r);
    /* an empty generic mean round-trips too (infinite range) */
    kpi_mean *g, *g2;
    ck_assert_ok(kpi_mean_new(&g));
    free(b);
    b = mean_bytes(g, &len);
    ck_assert_ok(kpi_mean_deserialize(&g2, b, len));
    ck_assert_ok(kpi_mean_add(g2, -1e300));
    kpi_mean_free(g);
    kpi_mean_free(g2);
    free(b);
    free(b2);
    kpi_mean_free(m);
}
END_TEST

/* One value x leaves min = max = mean = x, M2 = 0 and sum w^2 = (sum w)^2
 * whichever way it came (an add, a batch of one, a merge into an empty
 * object).  A forged one-value state breaking that decoded: with M2 = 4 it
 * merged with another 2.0 into a variance of 4 (M2 / W x 2 = 4 / 2 x 2)
 * where two equal values have 0; with min 1 and max 3 one value had a
 * range.  Such states are corrupt. */
static void forge_f64(unsigned char *b, size_t len, size_t at, double v)
{
    uint64_t bits;
    memcpy(&bits, &v, sizeof bits);
    for (int k = 0; k < 8; k++)
        b[at + (size_t)k] = (unsigned char)(bits >> (8 * k));
    test_reseal(b, len);
}

START_TEST(a_forged_single_value_state_is_corrupt)
{
    kpi_mean *m, *t = NULL;
    ck_assert_ok(kpi_mean_new(&m));
    ck_assert_ok(kpi_mean_add(m, 2.0));
    size_t len;
    unsigned char *b = mean_bytes(m, &len);
    /* body at 12: kind, has_cuts, lo, hi, cuts (2 x 8), n, neg, pos (one
     * byte each here), then w, w2, mean, m2, min, max */
    const size_t w2 = 12 + 2 + 32 + 3 + 8, m2 = w2 + 16, mn = m2 + 8, mx = mn + 8;
    ck_assert_uint_eq(len, mx + 8 + 4);
    forge_f64(b, len, m2, 4.0);
    ck_assert_status(kpi_mean_deserialize(&t, b, len), KPI_ERR_CORRUPT);
    forge_f64(b, len, m2, 0.0);
    ck_assert_ok(kpi_mean_deserialize(&t, b, len)); /* the state itself */
    kpi_mean_free(t);
    t = NULL;
    forge_f64(b, len, mn, 1.0);
    forge_f64(b, len, mx, 3.0);
    ck_assert_status(kpi_mean_deserialize(&t, b, len), KPI_ERR_CORRUPT);
    forge_f64(b, len, mn, 2.0);
    forge_f64(b, len, mx, 2.0);
    forge_f64(b, len, w2, 2.0);
    ck_assert_status(kpi_mean_deserialize(&t, b, len), KPI_ERR_CORRUPT);
    ck_assert_ptr_null(t);
    free(b);
    kpi_mean_free(m);
}
END_TEST

/* The cut counts follow from min and max: a value below the negative cut
 * exists exactly when min < negative_below, one above the positive cut
 * exactly when max > positive_above, and a min or max between the cuts is
 * a neutral value.  Sentiment (cuts -0.05 / +0.05) with the one value 0.5
 * has neg = 0, pos = 1; a state claiming neg = 1, pos = 0 for it decoded
 * and read a share negative of 1 (Wilson 1/1) for a positive answer.
 * Body at 12: kind, has_cuts, lo, hi, the cuts (8 bytes each: 12 + 2 + 32
 * = 46), n at 46, neg at 47, pos at 48 (one byte each here). */
START_TEST(forged_cut_counts_that_contradict_min_and_max_are_corrupt)
{
    kpi_mean *m;
    ck_assert_ok(kpi_sentiment_new(&m));
    ck_assert_ok(kpi_mean_add(m, 0.5));
    ck_assert_uint_eq(mean_forged(m, 47, 1, 0), 0); /* neg 1: min 0.5 is not < -0.05 */
    ck_assert_uint_eq(mean_forged(m, 48, 0, 1), 1); /* pos 0: max 0.5 is > 0.05 */
    /* -0.5 and 0.5: neg = pos = 1 */
    ck_assert_ok(kpi_mean_add(m, -0.5));
    ck_assert_uint_eq(mean_forged(m, 47, 0, 1), 1); /* no value below, min -0.5 */
    ck_assert_uint_eq(mean_forged(m, 48, 0, 1), 1); /* no value above, max 0.5 */
    kpi_mean_reset(m);
    /* 0 (neutral) and 0.5: neg 0, pos 1; pos 2 (= n - neg, so the counts
     * alone allow it) leaves no neutral value, yet min 0 lies between the
     * cuts */
    ck_assert_ok(kpi_mean_add(m, 0.0));
    ck_assert_ok(kpi_mean_add(m, 0.5));
    ck_assert_uint_eq(mean_forged(m, 48, 2, 1), 1);
    kpi_mean_free(m);
}
END_TEST

/* The forged bytes b of m's state are corrupt; frees both. */
static void forged_is_corrupt(kpi_mean *m, unsigned char *b, size_t len)
{
    kpi_mean *t = NULL;
    ck_assert_status(kpi_mean_deserialize(&t, b, len), KPI_ERR_CORRUPT);
    ck_assert_ptr_null(t);
    free(b);
    kpi_mean_free(m);
}

/* The accepted range is the kind's: any finite value for a plain mean,
 * [-1, 1] for sentiment, [0, 1] for IQS; no call sets another, and a
 * sentiment object always has cut points.  Forged states breaking that
 * decoded: an IQS object (1 earned of 2: 0.5 with weight 2) whose upper
 * end read +inf took kpi_mean_add(5), and kpi_iqs_percent() then read
 * (0.5 x 2 + 5 x 1) / 3 x 100 = 200, past the 100 an IQS can read; a
 * plain mean limited to [0, 1] refused 2.  Body at 12: kind,
 * has_cuts, lo (14), hi (22), the cuts (30, 38), n (46). */
START_TEST(a_range_other_than_the_kinds_is_corrupt)
{
    kpi_mean *m, *t;
    ck_assert_ok(kpi_iqs_new(&m));
    ck_assert_ok(kpi_iqs_add(m, 1.0, 2.0));
    size_t len;
    unsigned char *b = mean_bytes(m, &len);
    ck_assert(test_get_f64(b + 22) == 1.0);
    forge_f64(b, len, 22, HUGE_VAL);
    forged_is_corrupt(m, b, len);
    /* a plain mean with the range [0, 1] */
    ck_assert_ok(kpi_mean_new(&m));
    ck_assert_ok(kpi_mean_add(m, 0.5));
    b = mean_bytes(m, &len);
    forge_f64(b, len, 14, 0.0);
    forge_f64(b, len, 22, 1.0);
    forged_is_corrupt(m, b, len);
    /* a sentiment object without cut points (has_cuts 0, cuts 0, an empty
     * state) */
    ck_assert_ok(kpi_sentiment_new(&m));
    b = mean_bytes(m, &len);
    b[13] = 0;
    forge_f64(b, len, 30, 0.0);
    forge_f64(b, len, 38, 0.0);
    forged_is_corrupt(m, b, len);
    /* each kind's own state, with and without cuts, reads back */
    int (*make[])(kpi_mean **) = {kpi_mean_new, kpi_sentiment_new, kpi_iqs_new};
    for (int k = 0; k < 3; k++)
        for (int cuts = 0; cuts < 2; cuts++) {
            ck_assert_ok(make[k](&m));
            if (cuts)
                ck_assert_ok(kpi_mean_set_cuts(m, 0.25, 0.75));
            ck_assert_ok(kpi_mean_add(m, 0.5));
            t = mean_reread(m);
            mean_same(m, t);
            kpi_mean_free(t);
            kpi_mean_free(m);
        }
}
END_TEST

START_TEST(allocation_failures_and_allocator_use)
{
    test_alloc t;
    kpi_allocator a = test_allocator(&t);
    kpi_mean *m = NULL, *c = NULL;
    t.fail_at = 1;
    ck_assert_status(kpi_mean_new_with(&m, &a), KPI_ERR_NOMEM);
    ck_assert_int_eq(t.live, 0);
    t.fail_at = 0;
    ck_assert_ok(kpi_mean_new_with(&m, &a));
    ck_assert_int_eq(t.mallocs, 1);
    ck_assert_ok(kpi_mean_add(m, 1));
    size_t len;
    unsigned char *before = mean_bytes(m, &len);
    t.calls = 0;
    t.fail_at = 1;
    ck_assert_status(kpi_mean_merge(m, m), KPI_ERR_NOMEM);
    t.calls = 0;
    ck_assert_status(kpi_mean_clone(m, &c), KPI_ERR_NOMEM);
    t.calls = 0;
    ck_assert_status(kpi_mean_deserialize_with(&c, before, len, &a), KPI_ERR_NOMEM);
    ck_assert_int_eq(t.live, 1);
    mean_unchanged(m, before, len);
    t.fail_at = 0;
    ck_assert_ok(kpi_mean_clone(m, &c));
    ck_assert_uint_eq(kpi_mean_footprint(c), kpi_mean_footprint(m));
    kpi_mean_free(c);
    kpi_mean_free(m);
    ck_assert_int_eq(t.live, 0);
    free(before);
}
END_TEST

/* Two finite values whose spread does not fit a double: refused one at a
 * time and by merge, nothing changed. */
START_TEST(a_spread_beyond_double_range_is_refused)
{
    kpi_mean *a, *b;
    ck_assert_ok(kpi_mean_new(&a));
    ck_assert_ok(kpi_mean_new(&b));
    ck_assert_ok(kpi_mean_add(a, 1.7e308));
    ck_assert_ok(kpi_mean_add(b, -1.7e308));
    size_t la, lb;
    unsigned char *ba = mean_bytes(a, &la), *bb = mean_bytes(b, &lb);
    ck_assert_status(kpi_mean_add(a, -1.7e308), KPI_ERR_OVERFLOW);
    ck_assert_status(kpi_mean_merge(a, b), KPI_ERR_OVERFLOW);
    ck_assert_status(kpi_mean_merge(b, a), KPI_ERR_OVERFLOW);
    mean_unchanged(a, ba, la);
    mean_unchanged(b, bb, lb);
    /* even 0 next to -1.7e308 leaves a sum of squares beyond double range;
     * the same value again adds nothing to it */
    ck_assert_status(kpi_mean_add(b, 0.0), KPI_ERR_OVERFLOW);
    mean_unchanged(b, bb, lb);
    ck_assert_ok(kpi_mean_add(b, -1.7e308));
    double v;
    ck_assert_ok(kpi_mean_mean(b, &v));
    ck_assert(v == -1.7e308);
    ck_assert_ok(kpi_mean_variance(b, &v));
    ck_assert(v == 0.0);
    ck_assert_uint_eq(kpi_mean_count(b), 2);
    /* weighted: 1e200 then -1e200, both of weight 1: the count (1), the
     * sum of weights (2) and of their squares (2) are far from overflow,
     * the sum of squares M2 = d^2 W_a W_b / W = 4e400 x 1 x 1 / 2 = 2e400
     * is not: refused with KPI_ERR_OVERFLOW (the header named only the
     * count and the weights) */
    kpi_mean *w;
    ck_assert_ok(kpi_mean_new(&w));
    ck_assert_ok(kpi_mean_add_weighted(w, 1e200, 1.0));
    ck_assert_status(kpi_mean_add_weighted(w, -1e200, 1.0), KPI_ERR_OVERFLOW);
    ck_assert_uint_eq(kpi_mean_count(w), 1);
    kpi_mean_free(w);
    free(ba);
    free(bb);
    kpi_mean_free(a);
    kpi_mean_free(b);
}
END_TEST

/* A heavy weight after a value far away: 1e16 (weight 1), then 1 with
 * weight 1e20.  By hand (West / Chan): W = 1 + 1e20, M2 = W_a W_b / W x d^2
 * = 1e20 / (1e20 + 1) x (1e16 - 1)^2 = 1e32 (to 2e-16), the sample
 * variance M2 / W x n / (n - 1) = 1e32 / 1e20 x 2 = 2e12, and the state
 * reads back.  Welford's M2 += w d (x - mean') took the rounded mean' (0,
 * past x = 1: weight / W rounds to 1 and d to -1e16) and added -1e36: a
 * variance of -2e16, a NaN interval and a state that deserialize() refused
 * as corrupt (M2 < 0); mean' is now taken from x, the heavier side. */
START_TEST(a_heavy_weight_far_from_the_mean_keeps_m2_positive)
{
    kpi_mean *m;
    ck_assert_ok(kpi_mean_new(&m));
    ck_assert_ok(kpi_mean_add(m, 1e16));
    ck_assert_ok(kpi_mean_add_weighted(m, 1.0, 1e20));
    double v;
    ck_assert_ok(kpi_mean_variance(m, &v));
    ck_assert_near(v, 2e12, 2e12 * 1e-9);
    /* mean = (1e16 x 1 + 1 x 1e20) / (1 + 1e20) = 1.0001 (to 1e-20); it
     * read 1, the rounded 0 clamped to the minimum */
    ck_assert_ok(kpi_mean_mean(m, &v));
    ck_assert_near(v, 1.0001, 1e-12);
    kpi_estimate e;
    ck_assert_ok(kpi_mean_mean_ci(m, &e));
    ck_assert(isfinite(e.lower) && isfinite(e.upper) && e.lower <= e.value &&
              e.value <= e.upper);
    kpi_mean *back = mean_reread(m);
    mean_same(m, back);
    kpi_mean_free(back);
    kpi_mean_free(m);
}
END_TEST

/* The same two values in two shards, merged either way round: mean
 * (1e16 + 1e20) / (1 + 1e20) = 1.0001, variance 2e12 (by hand above), as
 * one object fed both.  Chan's mean_a + d W_b / W, from the light side,
 * read 1 (W_b / W rounds to 1, the mean to 0, clamped to the minimum). */
START_TEST(a_merge_with_a_heavy_shard_equals_one_stream)
{
    for (int way = 0; way < 2; way++) {
        kpi_mean *a, *b;
        ck_assert_ok(kpi_mean_new(&a));
        ck_assert_ok(kpi_mean_new(&b));
        ck_assert_ok(kpi_mean_add(a, 1e16));
        ck_assert_ok(kpi_mean_add_weighted(b, 1.0, 1e20));
        kpi_mean *into = way ? b : a;
        ck_assert_ok(kpi_mean_merge(into, way ? a : b));
        double v;
        ck_assert_ok(kpi_mean_mean(into, &v));
        ck_assert_near(v, 1.0001, 1e-12);
        ck_assert_ok(kpi_mean_variance(into, &v));
        ck_assert_near(v, 2e12, 2e12 * 1e-9);
        kpi_mean_free(a);
        kpi_mean_free(b);
    }
}
END_TEST

/* 0 and 1.5e154 in one object, and in two shards merged: M2 = d^2 W_a W_b
 * / W = 2.25e308 x 1 x 1 / 2 = 1.125e308 and the sample variance M2 / W x
 * 2 = 1.125e308, both finite.  One object took them; the merge computed
 * d^2 = 2.25e308 first, beyond double range, and refused with
 * KPI_ERR_OVERFLOW. */
START_TEST(a_merge_takes_what_one_stream_takes_near_double_range)
{
    kpi_mean *one, *a, *b;
    ck_assert_ok(kpi_mean_new(&one));
    ck_assert_ok(kpi_mean_new(&a));
    ck_assert_ok(kpi_mean_new(&b));
    ck_assert_ok(kpi_mean_add(one, 0.0));
    ck_assert_ok(kpi_mean_add(one, 1.5e154));
    ck_assert_ok(kpi_mean_add(a, 0.0));
    ck_assert_ok(kpi_mean_add(b, 1.5e154));
    ck_assert_ok(kpi_mean_merge(a, b));
    double x, y;
    ck_assert_ok(kpi_mean_variance(one, &x));
    ck_assert_ok(kpi_mean_variance(a, &y));
    ck_assert_near(x, 1.125e308, 1.125e308 * 1e-15);
    ck_assert_near(y, 1.125e308, 1.125e308 * 1e-15);
    kpi_mean_free(one);
    kpi_mean_free(a);
    kpi_mean_free(b);
}
END_TEST

/* Two values whose sample variance is near the largest double: 9e153 and
 * -9e153.  By hand: mean 0, M2 = 1.8e154^2 / 2 = 1.62e308, s^2 = M2 / 2 x
 * 2 = 1.62e308, SE = s sqrt(2) / 2 = sqrt(3.24e308) / 2 = 9e153, the
 * interval 0 -/+ 1.959963984540054 x 9e153 = -/+ 1.7639675860860486e154.
 * The product s^2 x sum w^2 = 3.24e308 overflowed: the interval read
 * (-inf, +inf). */
START_TEST(an_interval_near_double_range_is_finite)
{
    kpi_mean *m;
    ck_assert_ok(kpi_mean_new(&m));
    ck_assert_ok(kpi_mean_add(m, 9e153));
    ck_assert_ok(kpi_mean_add(m, -9e153));
    double v;
    ck_assert_ok(kpi_mean_variance(m, &v));
    ck_assert_near(v, 1.62e308, 1.62e308 * 1e-12);
    kpi_estimate e;
    ck_assert_ok(kpi_mean_mean_ci(m, &e));
    ck_assert(e.value == 0.0);
    ck_assert_near(e.lower, -1.7639675860860486e154, 1.77e154 * 1e-12);
    ck_assert_near(e.upper, 1.7639675860860486e154, 1.77e154 * 1e-12);
    kpi_mean_free(m);
}
END_TEST

/* Small weights put the sample variance past the largest double while
 * the interval stays far inside it: 0 and 1.9e154, each of weight 0.001.
 * By hand: W = 0.002, sum w^2 = 2e-6, mean 9.5e153, d = 1.9e154, M2 =
 * d^2 W_a W_b / W = 3.61e308 x 1e-6 / 0.002 = 1.805e305 (finite: taken),
 * s^2 = M2 / W x n / (n - 1) = 1.805e305 / 0.002 x 2 = 1.805e308 (past
 * DBL_MAX = 1.797e308), SE^2 = s^2 sum w^2 / W^2 = 1.805e308 x 2e-6 / 4e-6
 * = 9.025e307, SE = 9.5e153; the interval 9.5e153 -/+ 1.959963984540054
 * x 9.5e153 = 9.5e153 -/+ 1.8619657853130513e154 = [-9.119657853130513e153,
 * 2.8119657853130513e154].  s^2 was formed first and read inf: the
 * interval read (-inf, +inf), which the header keeps for n = 1. */
START_TEST(an_interval_with_small_weights_near_double_range_is_finite)
{
    kpi_mean *m;
    ck_assert_ok(kpi_mean_new(&m));
    ck_assert_ok(kpi_mean_add_weighted(m, 0.0, 0.001));
    ck_assert_ok(kpi_mean_add_weighted(m, 1.9e154, 0.001));
    kpi_estimate e;
    ck_assert_ok(kpi_mean_mean_ci(m, &e));
    ck_assert_uint_eq(e.n, 2);
    ck_assert_near(e.value, 9.5e153, 9.5e153 * 1e-12);
    ck_assert_near(e.lower, -9.119657853130513e153, 9.2e153 * 1e-12);
    ck_assert_near(e.upper, 2.8119657853130513e154, 2.82e154 * 1e-12);
    /* the variance itself, s^2 = 1.805e308, reads +infinity (mean.h) */
    double v;
    ck_assert_ok(kpi_mean_variance(m, &v));
    ck_assert(isinf(v) && v > 0);
    /* tiny weights, a wide spread: 0 and 1e200 of weight 2^-511 each.  W =
     * 2^-510, sum w^2 = 2^-1021, M2 = d^2 W_a W_b / W = 1e400 x 2^-1022 /
     * 2^-510 = 1e400 x 2^-512 (about 7.5e245: taken), s^2 = M2 / W x 2 =
     * 1e400 / 4 x 2 = 5e399 (far past the range), SE^2 = s^2 sum w^2 / W^2
     * = 5e399 x 2^-1021 / 2^-1020 = 2.5e399, SE = 5e199 (two equal weights:
     * SE = d / 2); mean 5e199, the interval 5e199 x (1 -/+
     * 1.959963984540054) = [-4.79981992270027e199, 1.479981992270027e200] */
    kpi_mean *t;
    ck_assert_ok(kpi_mean_new(&t));
    ck_assert_ok(kpi_mean_add_weighted(t, 0.0, 0x1p-511));
    ck_assert_ok(kpi_mean_add_weighted(t, 1e200, 0x1p-511));
    ck_assert_ok(kpi_mean_mean_ci(t, &e));
    ck_assert_near(e.value, 5e199, 5e199 * 1e-12);
    ck_assert_near(e.upper, 1.479981992270027e200, 1.48e200 * 1e-12);
    ck_assert_near(e.lower, -4.79981992270027e199, 4.8e199 * 1e-12);
    kpi_mean_free(t);
    kpi_mean_free(m);
}
END_TEST

START_TEST(null_arguments_are_refused)
{
    kpi_mean *m;
    ck_assert_status(kpi_mean_new(NULL), KPI_ERR_INVALID);
    ck_assert_status(kpi_sentiment_new(NULL), KPI_ERR_INVALID);
    ck_assert_ok(kpi_sentiment_new(&m));
    ck_assert_ok(kpi_mean_add(m, 0.5));
    size_t len;
    unsigned char *before = mean_bytes(m, &len);
    kpi_estimate e;
    ck_assert_status(kpi_mean_serialize(NULL, NULL, 0, &len), KPI_ERR_INVALID);
    ck_assert_status(kpi_mean_mean(m, NULL), KPI_ERR_INVALID);
    ck_assert_status(kpi_mean_mean_ci(m, NULL), KPI_ERR_INVALID);
    ck_assert_status(kpi_mean_shares(NULL, &e, NULL, NULL), KPI_ERR_INVALID);
    mean_unchanged(m, before, len);
    ck_assert_ok(kpi_mean_shares(m, NULL, NULL, &e));
    ck_assert_near(e.value, 1.0, 0);
    free(before);
    kpi_mean_free(m);
}
END_TEST

/* ---- documented errors (rev-retval) ---- */

TEST_STATE_ERRORS_HELPER(mean, kpi_mean, kpi_mean_serialize, kpi_mean_deserialize,
                         kpi_mean_deserialize_with, kpi_mean_free)

START_TEST(documented_errors_of_the_state_verbs)
{
    kpi_mean *m, *c = NULL;
    ck_assert_ok(kpi_mean_new(&m));
    ck_assert_ok(kpi_mean_add(m, 2.5));
    ck_assert_ok(kpi_mean_add(m, -4.0));
    mean_state_errors(m);
    size_t len;
    unsigned char *before = mean_bytes(m, &len);
    ck_assert_status(kpi_mean_clone(NULL, &c), KPI_ERR_INVALID);
    ck_assert_status(kpi_mean_clone(m, NULL), KPI_ERR_INVALID);
    ck_assert_ptr_null(c);
    mean_unchanged(m, before, len);
    free(before);
    kpi_mean_free(m);
}
END_TEST

START_TEST(documented_errors_of_the_reads_and_constructors)
{
    kpi_mean *m, *made = NULL;
    double x = 7.0;
    ck_assert_ok(kpi_mean_new(&m));
    ck_assert_ok(kpi_mean_add(m, 1.0));
    ck_assert_ok(kpi_mean_add(m, 3.0));
    ck_assert_status(kpi_mean_variance(NULL, &x), KPI_ERR_INVALID);
    ck_assert_status(kpi_mean_variance(m, NULL), KPI_ERR_INVALID);
    ck_assert_status(kpi_mean_min(NULL, &x), KPI_ERR_INVALID);
    ck_assert_status(kpi_mean_min(m, NULL), KPI_ERR_INVALID);
    ck_assert_status(kpi_mean_max(NULL, &x), KPI_ERR_INVALID);
    ck_assert_status(kpi_mean_max(m, NULL), KPI_ERR_INVALID);
    ck_assert(x == 7.0); /* nothing written */
    ck_assert_ok(kpi_mean_min(m, &x));
    ck_assert(x == 1.0);
    kpi_mean_free(m);

    test_alloc t;
    kpi_allocator a = test_allocator(&t);
    a.free_fn = NULL;
    ck_assert_status(kpi_mean_new_with(&made, &a), KPI_ERR_INVALID);
    ck_assert_ptr_null(made);
    ck_assert_int_eq(t.calls, 0);
}
END_TEST

START_TEST(documented_errors_of_iqs_add)
{
    kpi_mean *m;
    ck_assert_ok(kpi_iqs_new(&m));
    ck_assert_ok(kpi_iqs_add(m, 3, 4));
    size_t len;
    unsigned char *before = mean_bytes(m, &len);
    /* a weight whose square passes the double range */
    ck_assert_status(kpi_iqs_add(m, 1, 1e200), KPI_ERR_OVERFLOW);
    mean_unchanged(m, before, len);
    double pct;
    ck_assert_ok(kpi_iqs_percent(m, &pct));
    ck_assert_near(pct, 75.0, 1e-12);
    free(before);
    kpi_mean_free(m);
}
END_TEST

START_TEST(documented_errors_of_the_presets_and_shares)
{
    ck_assert_status(kpi_iqs_new(NULL), KPI_ERR_INVALID);
    double pct = 42;
    ck_assert_status(kpi_iqs_percent(NULL, &pct), KPI_ERR_INVALID);
    kpi_mean *m;
    ck_assert_ok(kpi_iqs_new(&m));
    ck_assert_status(kpi_iqs_percent(m, NULL), KPI_ERR_INVALID);
    ck_assert(pct == 42);
    kpi_mean_free(m);

    kpi_estimate e = {9, 9, 9, 9};
    ck_assert_ok(kpi_mean_new(&m));
    ck_assert_ok(kpi_mean_set_cuts(m, -0.5, 0.5));
    ck_assert_status(kpi_mean_shares(m, &e, &e, &e), KPI_ERR_EMPTY); /* no values */
    ck_assert(e.value == 9 && e.n == 9);
    ck_assert_ok(kpi_mean_add(m, 0.8));
    ck_assert_ok(kpi_mean_shares(m, NULL, NULL, &e));
    ck_assert(e.value == 1.0 && e.n == 1);
    kpi_mean_free(m);
}
END_TEST

static Suite *mean_suite(void)
{
    Suite *s = suite_create("mean");
    TCase *tc = tcase_create("mean");
    tcase_add_test(tc, mean_variance_and_interval_match_two_pass);
    tcase_add_test(tc, batches_far_from_zero_keep_the_low_digits);
    tcase_add_test(tc, one_value_has_an_unbounded_interval_and_no_variance);
    tcase_add_test(tc, chan_merge_equals_one_stream);
    tcase_add_test(tc, a_merge_keeps_the_first_of_equal_extremes_as_one_stream_does);
    tcase_add_test(tc, iqs_is_sum_earned_over_sum_possible);
    tcase_add_test(tc, iqs_equals_the_quotient_of_the_sums_up_to_rounding);
    tcase_add_test(tc, sentiment_shares_use_the_default_cuts);
    tcase_add_test(tc, merge_of_different_configurations_is_refused);
    tcase_add_test(tc, overflowing_sums_are_refused);
    tcase_add_test(tc, weights_whose_square_underflows_are_refused);
    tcase_add_test(tc, a_spread_beyond_double_range_is_refused);
    tcase_add_test(tc, null_arguments_are_refused);
    tcase_add_test(tc, a_heavy_weight_far_from_the_mean_keeps_m2_positive);
    tcase_add_test(tc, an_interval_near_double_range_is_finite);
    tcase_add_test(tc, an_interval_with_small_weights_near_double_range_is_finite);
    tcase_add_test(tc, a_merge_with_a_heavy_shard_equals_one_stream);
    tcase_add_test(tc, a_forged_single_value_state_is_corrupt);
    tcase_add_test(tc, forged_cut_counts_that_contradict_min_and_max_are_corrupt);
    tcase_add_test(tc, a_range_other_than_the_kinds_is_corrupt);
    tcase_add_test(tc, a_merge_takes_what_one_stream_takes_near_double_range);
    tcase_add_test(tc, serialize_round_trip_and_corrupt_bytes);
    tcase_add_test(tc, allocation_failures_and_allocator_use);
    /* ---- documented errors (rev-retval) ---- */
    tcase_add_test(tc, documented_errors_of_the_state_verbs);
    tcase_add_test(tc, documented_errors_of_the_reads_and_constructors);
    tcase_add_test(tc, documented_errors_of_iqs_add);
    tcase_add_test(tc, documented_errors_of_the_presets_and_shares);
    suite_add_tcase(s, tc);
    return s;
}

KPI_TEST_MAIN(mean_suite)
