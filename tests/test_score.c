/*
 * kpi_score: CSAT, ESAT, NPS and CES on a bounded integer scale.
 * SPDX-License-Identifier: MIT
 */
#include "internal.h"
#include "kpi.h"
#include "testutil.h"

/* kpi__score_add_array_simd's levels: portable (pair tables), AVX2,
 * AVX-512 with GFNI (each where the CPU has it, else the widest below). */
#define SIMD_LEVELS 3

TEST_STATE_HELPERS(score, kpi_score, kpi_score_serialize)

static kpi_score *nps_of(const int32_t *v, size_t n)
{
    kpi_score *s;
    ck_assert_ok(kpi_nps_new(&s));
    ck_assert_ok(kpi_score_add_array(s, v, n));
    return s;
}

START_TEST(nps_of_a_hand_computed_sample)
{
    const int32_t v[] = {10, 10, 9, 8, 7, 6, 0};
    kpi_score *s = nps_of(v, 7);
    kpi_estimate e;
    ck_assert_ok(kpi_score_nps(s, &e));
    ck_assert_near(e.value, 100.0 / 7.0, 1e-9); /* (3 - 2) / 7 x 100 */
    /* adjusted Wald: n' = 10, p' = 3.75 / 10, d' = 2.75 / 10, centre 0.1,
     * 1.96 sqrt((0.65 - 0.01) / 10) = 0.4958362: -39.58 .. 59.58 */
    double p = 3.75 / 10, d = 2.75 / 10;
    double margin = 1.959963984540054 * sqrt((p + d - (p - d) * (p - d)) / 10) * 100;
    ck_assert_near(e.lower, 10.0 - margin, 1e-9);
    ck_assert_near(e.upper, 10.0 + margin, 1e-9);
    ck_assert_near(e.lower, -39.583602584364925, 1e-9);
    ck_assert_uint_eq(e.n, 7);
    kpi_estimate pr, pa, de;
    ck_assert_ok(kpi_score_nps_shares(s, &pr, &pa, &de));
    ck_assert_near(pr.value, 3.0 / 7, 1e-12);
    ck_assert_near(pa.value, 2.0 / 7, 1e-12);
    ck_assert_near(de.value, 2.0 / 7, 1e-12);
    ck_assert_ok(kpi_score_nps_shares(s, NULL, NULL, NULL));
    kpi_score_free(s);
}
END_TEST

START_TEST(nps_interval_is_clamped_to_plus_minus_100)
{
    const int32_t v[] = {10, 9, 10};
    kpi_score *s = nps_of(v, 3);
    kpi_estimate e;
    ck_assert_ok(kpi_score_nps(s, &e));
    ck_assert_near(e.value, 100.0, 1e-12);
    ck_assert(e.upper <= 100.0 && e.lower <= 100.0);
    const int32_t w[] = {0, 1, 10};
    kpi_score *t = nps_of(w, 3);
    ck_assert_ok(kpi_score_nps(t, &e));
    ck_assert(e.lower >= -100.0);
    kpi_score_free(s);
    kpi_score_free(t);
}
END_TEST

/* The NPS interval by its documented formula (adjusted Wald: n' = n + 3,
 * p' = (promoters + 0.75) / n', d' = (detractors + 0.75) / n', 100 (p' -
 * d' -/+ 1.96 sqrt((p' + d' - (p' - d')^2) / n')), clamped to [-100, 100]
 * and widened to the value), worked by hand for small samples:
 * - one promoter: n' = 4, p' = 0.4375, d' = 0.1875, centre 0.25,
 *   1.96 sqrt(0.5625 / 4) = 0.73499: -48.50 .. 98.50, widened to 100;
 * - one detractor: the mirror image; one passive: p' = d' = 0.1875,
 *   1.96 sqrt(0.375 / 4) = 0.60011: -60.01 .. 60.01;
 * - two passives: n' = 5, p' = d' = 0.15, 1.96 sqrt(0.3 / 5): +-48.01;
 * - one of each extreme: p' = d' = 0.35, 1.96 sqrt(0.7 / 5): +-73.34;
 * - three detractors: n' = 6, p' = 0.125, d' = 0.625, centre -0.5,
 *   1.96 sqrt(0.5 / 6) = 0.56579: -106.58 (clamped to -100) .. 6.58;
 * - 3 promoters and 1 detractor of 10: n' = 13, centre 2 / 13, 1.96
 *   sqrt((5.5 / 13 - 4 / 169) / 13) = 0.343546: -18.97 .. 49.74.
 * The plain Wald interval had no width for the first six samples. */
START_TEST(nps_interval_of_small_samples_by_hand)
{
    const struct {
        int32_t v[10];
        size_t n;
        double value, lower, upper;
    } cases[] = {
        {{10}, 1, 100, -48.498649420252029, 100},
        {{9}, 1, 100, -48.498649420252029, 100},
        {{0}, 1, -100, -100, 48.498649420252029},
        {{6}, 1, -100, -100, 48.498649420252029},
        {{7}, 1, 0, -60.011395954441369, 60.011395954441369},
        {{8, 7}, 2, 0, -48.009116763553095, 48.009116763553095},
        {{10, 0}, 2, 0, -73.335137205651804, 73.335137205651804},
        {{0, 0, 0}, 3, -100, -100, 6.5792867038085845},
        {{10, 9, 9, 0, 7, 7, 8, 8, 7, 8}, 10, 20, -18.969988782478612, 49.739219551709382},
    };
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
        kpi_score *s = nps_of(cases[k].v, cases[k].n);
        kpi_estimate e;
        ck_assert_ok(kpi_score_nps(s, &e));
        ck_assert_msg(!isnan(e.lower) && !isnan(e.upper), "case %zu", k);
        ck_assert_msg(fabs(e.value - cases[k].value) <= 1e-12 &&
                          fabs(e.lower - cases[k].lower) <= 1e-9 &&
                          fabs(e.upper - cases[k].upper) <= 1e-9,
                      "case %zu: %.17g [%.17g, %.17g]", k, e.value, e.lower, e.upper);
        ck_assert_uint_eq(e.n, cases[k].n);
        kpi_score_free(s);
    }
}
END_TEST

/* Shares at n = 1 against the Wilson formula: one success reads 1 with
 * lower bound 1 / (1 + z^2) = 0.2065493; one failure reads 0 with upper
 * bound z^2 / (1 + z^2) = 0.7934507, z = 1.959964 (95%); the bounds at the
 * extremes exact.  4 of 7: [0.2504584, 0.8417801]. */
static void assert_wilson_of_one(const kpi_estimate *e, int success)
{
    const double z2 = 1.959963984540054 * 1.959963984540054;
    ck_assert_uint_eq(e->n, 1);
    if (success) {
        ck_assert(e->value == 1.0 && e->upper == 1.0);
        ck_assert_near(e->lower, 1 / (1 + z2), 1e-15);
        ck_assert_near(e->lower, 0.20654931437723745, 1e-15);
    } else {
        ck_assert(e->value == 0.0 && e->lower == 0.0);
        ck_assert_near(e->upper, z2 / (1 + z2), 1e-15);
    }
}

START_TEST(shares_of_one_answer_are_wilson_by_hand)
{
    kpi_score *s;
    kpi_rate *r;
    kpi_estimate e;
    ck_assert_ok(kpi_csat_new(&s, 5, 4));
    ck_assert_ok(kpi_rate_new(&r));
    for (int success = 0; success <= 1; success++) {
        kpi_score_reset(s);
        ck_assert_ok(kpi_score_add(s, success ? 5 : 3));
        ck_assert_ok(kpi_score_csat(s, &e));
        assert_wilson_of_one(&e, success);
        kpi_rate_reset(r);
        ck_assert_ok(kpi_rate_add(r, success));
        ck_assert_ok(kpi_rate_share(r, &e));
        assert_wilson_of_one(&e, success);
    }
    kpi_score_reset(s);
    const int32_t v[] = {5, 4, 4, 5, 1, 2, 3};
    ck_assert_ok(kpi_score_add_array(s, v, 7));
    ck_assert_ok(kpi_score_csat(s, &e));
    ck_assert_near(e.value, 4.0 / 7, 1e-15);
    ck_assert_near(e.lower, 0.2504583645276572, 1e-12);
    ck_assert_near(e.upper, 0.8417801447485302, 1e-12);
    kpi_score_free(s);
    kpi_rate_free(r);
}
END_TEST

/* Scales at the ends of int32 and of the span: answers at both ends count,
 * the mean is exact, one past either end is refused (and INT32_MIN or
 * INT32_MAX, which wrap onto the scale in 32-bit arithmetic), nothing
 * changing, in single adds and batches at every kernel level. */
START_TEST(scales_at_the_int32_limits)
{
    const int32_t lows[] = {INT32_MAX - 1000, INT32_MIN, INT32_MAX - 10, INT32_MIN, -5};
    const int32_t highs[] = {INT32_MAX, INT32_MIN + 1000, INT32_MAX, INT32_MIN + 15, 5};
    int32_t *v = malloc(3 * 4096 * sizeof *v);
    ck_assert_ptr_nonnull(v);
    for (int k = 0; k < 5; k++) {
        const int32_t lo = lows[k], hi = highs[k];
        kpi_score *s;
        ck_assert_ok(kpi_score_new(&s, lo, hi));
        ck_assert_ok(kpi_score_add(s, lo));
        ck_assert_ok(kpi_score_add(s, hi));
        double m;
        ck_assert_ok(kpi_score_mean(s, &m));
        ck_assert(m == ((double)lo + (double)hi) / 2);
        size_t len;
        unsigned char *before = score_bytes(s, &len);
        const int32_t bad[] = {(int32_t)((int64_t)lo - 1 < INT32_MIN ? INT32_MAX : lo - 1),
                               (int32_t)((int64_t)hi + 1 > INT32_MAX ? INT32_MIN : hi + 1),
                               hi == INT32_MAX ? INT32_MIN : INT32_MAX,
                               lo == INT32_MIN ? INT32_MAX : INT32_MIN,
                               (int32_t)((int64_t)lo + 256 > INT32_MAX ? INT32_MIN + 255 : lo + 256)};
        for (int b = 0; b < 5; b++) {
            if (bad[b] >= lo && bad[b] <= hi)
                continue; /* a small scale's lo + 256 is not off it for the wide ones */
            ck_assert_status(kpi_score_add(s, bad[b]), KPI_ERR_RANGE);
            for (int simd = 0; simd < SIMD_LEVELS; simd++) {
                const size_t spots[] = {0, 4096 + 17, 3 * 4096 - 1};
                for (int j = 0; j < 3; j++) {
                    for (size_t i = 0; i < 3 * 4096; i++)
                        v[i] = (int32_t)((int64_t)lo + (int64_t)(i % ((uint64_t)hi - lo + 1)));
                    v[spots[j]] = bad[b];
                    ck_assert_status(kpi__score_add_array_simd(s, v, 3 * 4096, simd),
                                     KPI_ERR_RANGE);
                    score_unchanged(s, before, len);
                }
            }
        }
        /* a good batch counts each value, at every level alike */
        for (size_t i = 0; i < 3 * 4096; i++)
            v[i] = (int32_t)((int64_t)lo + (int64_t)(i % ((uint64_t)hi - lo + 1)));
        kpi_score *t[SIMD_LEVELS];
        for (int simd = 0; simd < SIMD_LEVELS; simd++) {
            ck_assert_ok(kpi_score_clone(s, &t[simd]));
            ck_assert_ok(kpi__score_add_array_simd(t[simd], v, 3 * 4096, simd));
            if (simd > 0)
                score_same(t[simd], t[0]);
        }
        for (size_t i = 0; i < 3 * 4096; i++)
            ck_assert_ok(kpi_score_add(s, v[i]));
        score_same(s, t[0]);
        uint64_t c;
        ck_assert_ok(kpi_score_count_of(s, hi, &c));
        ck_assert_uint_eq(c, 1 + 3 * 4096 / ((uint64_t)hi - lo + 1)); /* i % m == m - 1 */
        for (int simd = 0; simd < SIMD_LEVELS; simd++)
            kpi_score_free(t[simd]);
        free(before);
        kpi_score_free(s);
    }
    free(v);
    /* the widest scale, 1001 values, and one more */
    kpi_score *s;
    ck_assert_ok(kpi_csat_new(&s, 1001, 1001));
    kpi_score_free(s);
    ck_assert_status(kpi_csat_new(&s, 1002, 4), KPI_ERR_RANGE);
    ck_assert_status(kpi_score_new(&s, INT32_MAX - 1001, INT32_MAX), KPI_ERR_RANGE);
    ck_assert_status(kpi_score_new(&s, INT32_MIN, INT32_MIN + 1001), KPI_ERR_RANGE);
}
END_TEST

/* The catalogue's margin of error, 1.96 sqrt((p + d - (p - d)^2) / n) x
 * 100, by hand:
 * - {10, 10, 9, 8, 7, 6, 0}: p = 3/7, d = 2/7, p + d = 5/7, (p - d)^2 =
 *   1/49, (35 - 1) / 49 / 7 = 34 / 343 = 0.0991254, sqrt = 0.3148418,
 *   x 1.959964 x 100 = 61.7079;
 * - 3 promoters, 1 passive, 1 detractor: (0.8 - 0.16) / 5 = 0.128,
 *   sqrt = 0.3577709, margin 70.1218;
 * - all promoters, all passives, all detractors: 0 (1 - 1, 0 - 0, 1 - 1);
 * - one promoter and one detractor: (1 - 0) / 2, sqrt 0.5 = 0.7071068,
 *   margin 138.59: it passes the scale's ends (+/- 100). */
START_TEST(nps_margin_of_error_by_hand)
{
    static const struct {
        int32_t v[7];
        size_t n;
        double margin;
    } c[] = {
        {{10, 10, 9, 8, 7, 6, 0}, 7, 61.7079},
        {{9, 10, 9, 8, 3}, 5, 70.1218},
        {{9, 10, 10}, 3, 0},
        {{7, 8, 7, 8}, 4, 0},
        {{0, 6, 3}, 3, 0},
        {{10, 0}, 2, 138.5904},
    };
    for (size_t i = 0; i < sizeof c / sizeof c[0]; i++) {
        kpi_score *s = nps_of(c[i].v, c[i].n);
        double m = -1;
        ck_assert_ok(kpi_score_nps_margin(s, &m));
        ck_assert_msg(fabs(m - c[i].margin) < 5e-5, "case %zu: %.6f", i, m);
        kpi_score_free(s);
    }
    /* the same formula as an expression */
    const int32_t v[] = {10, 10, 9, 8, 7, 6, 0};
    kpi_score *s = nps_of(v, 7);
    double m, p = 3.0 / 7, d = 2.0 / 7;
    ck_assert_ok(kpi_score_nps_margin(s, &m));
    ck_assert_near(m, 1.959963984540054 * sqrt((p + d - (p - d) * (p - d)) / 7) * 100, 1e-9);
    /* errors leave the output alone */
    m = 42;
    ck_assert_status(kpi_score_nps_margin(NULL, &m), KPI_ERR_INVALID);
    ck_assert_status(kpi_score_nps_margin(s, NULL), KPI_ERR_INVALID);
    kpi_score *e;
    ck_assert_ok(kpi_nps_new(&e));
    ck_assert_status(kpi_score_nps_margin(e, &m), KPI_ERR_EMPTY);
    kpi_score *csat;
    ck_assert_ok(kpi_csat_new(&csat, 5, 4));
    ck_assert_ok(kpi_score_add(csat, 5));
    ck_assert_status(kpi_score_nps_margin(csat, &m), KPI_ERR_STATE);
    ck_assert(m == 42);
    kpi_score_free(csat);
    kpi_score_free(e);
    kpi_score_free(s);
}
END_TEST

START_TEST(nps_on_a_1_to_10_scale_keeps_9_and_6_and_accepts_other_cuts)
{
    kpi_score *s;
    ck_assert_ok(kpi_score_new(&s, 1, 10));
    const int32_t v[] = {1, 6, 7, 8, 9, 10, 10};
    ck_assert_ok(kpi_score_add_array(s, v, 7));
    kpi_estimate e;
    ck_assert_ok(kpi_score_nps(s, &e));
    ck_assert_near(e.value, (3.0 - 2.0) / 7 * 100, 1e-9);
    ck_assert_ok(kpi_score_set_nps_cuts(s, 8, 5));
    ck_assert_ok(kpi_score_nps(s, &e));
    ck_assert_near(e.value, (4.0 - 1.0) / 7 * 100, 1e-9);
    /* cut points must lie on the scale, detractors below promoters */
    ck_assert_status(kpi_score_set_nps_cuts(s, 11, 5), KPI_ERR_RANGE);
    ck_assert_status(kpi_score_set_nps_cuts(s, 8, 0), KPI_ERR_RANGE);
    ck_assert_status(kpi_score_set_nps_cuts(s, 5, 5), KPI_ERR_RANGE);
    ck_assert_status(kpi_score_set_nps_cuts(NULL, 8, 5), KPI_ERR_INVALID);
    ck_assert_ok(kpi_score_nps(s, &e)); /* cuts unchanged by the failures */
    ck_assert_near(e.value, (4.0 - 1.0) / 7 * 100, 1e-9);
    kpi_score_free(s);
}
END_TEST

START_TEST(nps_without_cut_points_is_a_state_error)
{
    kpi_score *s;
    kpi_estimate e;
    ck_assert_ok(kpi_score_new(&s, 1, 5));
    ck_assert_ok(kpi_score_add(s, 3));
    ck_assert_status(kpi_score_nps(s, &e), KPI_ERR_STATE);
    ck_assert_status(kpi_score_nps_shares(s, &e, NULL, NULL), KPI_ERR_STATE);
    kpi_score_free(s);
}
END_TEST

START_TEST(csat_is_the_top_two_box_share)
{
    kpi_score *s;
    ck_assert_ok(kpi_csat_new(&s, 5, 4));
    const int32_t v[] = {5, 4, 4, 3, 1, 2, 5, 5};
    ck_assert_ok(kpi_score_add_array(s, v, 8));
    kpi_estimate e, f;
    ck_assert_ok(kpi_score_csat(s, &e));
    ck_assert_near(e.value, 5.0 / 8, 1e-12);
    ck_assert_ok(kpi_score_share_at_least(s, 4, &f));
    ck_assert(e.value == f.value && e.lower == f.lower && e.upper == f.upper);
    ck_assert_ok(kpi_wilson_interval(5, 8, &f));
    ck_assert_near(e.lower, f.lower, 1e-15);
    ck_assert_ok(kpi_score_share_at_most(s, 2, &e));
    ck_assert_near(e.value, 2.0 / 8, 1e-12);
    double mean;
    ck_assert_ok(kpi_score_mean(s, &mean));
    ck_assert_near(mean, 29.0 / 8, 1e-12);
    uint64_t c;
    ck_assert_ok(kpi_score_count_of(s, 5, &c));
    ck_assert_uint_eq(c, 3);
    uint64_t dist[5];
    ck_assert_ok(kpi_score_distribution(s, dist, 5));
    const uint64_t want[5] = {1, 1, 1, 2, 3};
    ck_assert(memcmp(dist, want, sizeof want) == 0);
    ck_assert_status(kpi_score_distribution(s, dist, 4), KPI_ERR_BUFFER);
    ck_assert_status(kpi_score_count_of(s, 6, &c), KPI_ERR_RANGE);
    ck_assert_status(kpi_score_share_at_least(s, 0, &e), KPI_ERR_RANGE);
    ck_assert_uint_eq(kpi_score_count(s), 8);
    int32_t lo, hi;
    ck_assert_ok(kpi_score_scale(s, &lo, &hi));
    ck_assert_int_eq(lo, 1);
    ck_assert_int_eq(hi, 5);
    kpi_score_free(s);
}
END_TEST

START_TEST(esat_is_a_csat_preset)
{
    kpi_score *a, *b;
    ck_assert_ok(kpi_esat_new(&a, 7, 6));
    ck_assert_ok(kpi_csat_new(&b, 7, 6));
    ck_assert_ok(kpi_score_add(a, 6));
    ck_assert_ok(kpi_score_add(b, 6));
    score_same(a, b);
    kpi_score_free(a);
    ck_assert_status(kpi_esat_new(&a, 7, 8), KPI_ERR_RANGE);
    ck_assert_status(kpi_csat_new(&a, 0, 1), KPI_ERR_RANGE);
    ck_assert_status(kpi_csat_new(NULL, 5, 4), KPI_ERR_INVALID);
    kpi_score_free(b);
    ck_assert_ok(kpi_esat_new(&b, 5, 4));
    kpi_score_free(b);
}
END_TEST

START_TEST(ces_easy_share_follows_the_configured_direction)
{
    kpi_score *s;
    ck_assert_ok(kpi_ces_new(&s, 7, 5));
    const int32_t v[] = {1, 2, 6, 7, 5};
    ck_assert_ok(kpi_score_add_array(s, v, 5));
    kpi_estimate e;
    ck_assert_ok(kpi_score_ces_easy(s, &e));
    ck_assert_near(e.value, 3.0 / 5, 1e-12); /* high is easy: >= 5 */
    ck_assert_ok(kpi_score_set_high_is_easy(s, 0));
    ck_assert_ok(kpi_score_set_threshold(s, 2));
    ck_assert_ok(kpi_score_ces_easy(s, &e));
    ck_assert_near(e.value, 2.0 / 5, 1e-12); /* low is easy: <= 2 */
    ck_assert_status(kpi_score_set_high_is_easy(s, 2), KPI_ERR_RANGE);
    ck_assert_status(kpi_score_set_threshold(s, 8), KPI_ERR_RANGE);
    ck_assert_ok(kpi_score_ces_easy(s, &e));
    ck_assert_near(e.value, 2.0 / 5, 1e-12);
    ck_assert_status(kpi_ces_new(&s, 7, 0), KPI_ERR_RANGE);
    kpi_score_free(s);
}
END_TEST

START_TEST(wilson_matches_newcombe_1998)
{
    kpi_score *s;
    kpi_estimate e;
    ck_assert_ok(kpi_score_new(&s, 0, 1));
    for (int i = 0; i < 263; i++)
        ck_assert_ok(kpi_score_add(s, i < 81));
    ck_assert_ok(kpi_score_share_at_least(s, 1, &e));
    ck_assert_near(e.lower, 0.2553, 5e-5);
    ck_assert_near(e.upper, 0.3662, 5e-5);
    kpi_score_reset(s);
    ck_assert_uint_eq(kpi_score_count(s), 0);
    for (int i = 0; i < 148; i++)
        ck_assert_ok(kpi_score_add(s, i < 15));
    ck_assert_ok(kpi_score_share_at_least(s, 1, &e));
    ck_assert_near(e.lower, 0.0624, 5e-5);
    ck_assert_near(e.upper, 0.1605, 5e-5);
    kpi_score_free(s);
}
END_TEST

START_TEST(mean_and_interval_match_a_two_pass_computation)
{
    test_rng r = {7};
    kpi_score *s;
    ck_assert_ok(kpi_score_new(&s, -3, 20));
    double v[500], sum = 0;
    for (int i = 0; i < 500; i++) {
        v[i] = (double)test_range(&r, -3, 20);
        sum += v[i];
        ck_assert_ok(kpi_score_add(s, (int32_t)v[i]));
    }
    double mean = sum / 500, ss = 0;
    for (int i = 0; i < 500; i++)
        ss += (v[i] - mean) * (v[i] - mean);
    double half = 1.959963984540054 * sqrt(ss / 499) / sqrt(500.0);
    kpi_estimate e;
    ck_assert_ok(kpi_score_mean_ci(s, &e));
    ck_assert_near(e.value, mean, 1e-12);
    ck_assert_near(e.lower, mean - half, 1e-12);
    ck_assert_near(e.upper, mean + half, 1e-12);
    kpi_score_reset(s);
    ck_assert_ok(kpi_score_add(s, 4));
    ck_assert_ok(kpi_score_mean_ci(s, &e));
    ck_assert(e.value == 4.0 && isinf(e.lower) && isinf(e.upper));
    kpi_score_free(s);
}
END_TEST

START_TEST(reads_on_an_empty_object_are_empty_errors)
{
    kpi_score *s;
    kpi_estimate e;
    double m;
    ck_assert_ok(kpi_nps_new(&s));
    ck_assert_status(kpi_score_mean(s, &m), KPI_ERR_EMPTY);
    ck_assert_status(kpi_score_mean_ci(s, &e), KPI_ERR_EMPTY);
    ck_assert_status(kpi_score_nps(s, &e), KPI_ERR_EMPTY);
    ck_assert_status(kpi_score_csat(s, &e), KPI_ERR_EMPTY);
    ck_assert_status(kpi_score_share_at_least(s, 5, &e), KPI_ERR_EMPTY);
    ck_assert_status(kpi_score_share_at_most(s, 5, &e), KPI_ERR_EMPTY);
    ck_assert_status(kpi_score_nps_shares(s, &e, &e, &e), KPI_ERR_EMPTY);
    ck_assert_status(kpi_score_mean(NULL, &m), KPI_ERR_INVALID);
    ck_assert_status(kpi_score_mean(s, NULL), KPI_ERR_INVALID);
    ck_assert_status(kpi_score_nps(s, NULL), KPI_ERR_INVALID);
    ck_assert_status(kpi_score_csat(NULL, &e), KPI_ERR_INVALID);
    ck_assert_uint_eq(kpi_score_count(NULL), 0);
    ck_assert_uint_eq(kpi_score_footprint(NULL), 0);
    kpi_score_free(s);
    kpi_score_free(NULL);
    kpi_score_reset(NULL);
}
END_TEST

START_TEST(constructor_rejects_bad_scales)
{
    kpi_score *s;
    ck_assert_status(kpi_score_new(&s, 5, 4), KPI_ERR_RANGE);
    ck_assert_status(kpi_score_new(&s, 0, 1001), KPI_ERR_RANGE);
    ck_assert_status(kpi_score_new(&s, INT32_MIN, INT32_MAX), KPI_ERR_RANGE);
    ck_assert_status(kpi_score_new(NULL, 0, 10), KPI_ERR_INVALID);
    ck_assert_ok(kpi_score_new(&s, -1000, 0));
    ck_assert_ok(kpi_score_add(s, -1000));
    kpi_score_free(s);
    ck_assert_ok(kpi_score_new(&s, 7, 7));
    ck_assert_ok(kpi_score_add(s, 7));
    kpi_estimate e;
    ck_assert_ok(kpi_score_csat(s, &e));
    ck_assert(e.value == 1.0);
    kpi_score_free(s);
}
END_TEST

START_TEST(off_scale_answers_are_rejected_and_change_nothing)
{
    kpi_score *s;
    ck_assert_ok(kpi_nps_new(&s));
    ck_assert_ok(kpi_score_add(s, 3));
    size_t len;
    unsigned char *before = score_bytes(s, &len);
    ck_assert_status(kpi_score_add(s, 11), KPI_ERR_RANGE);
    ck_assert_status(kpi_score_add(s, -1), KPI_ERR_RANGE);
    ck_assert_status(kpi_score_add(NULL, 1), KPI_ERR_INVALID);
    ck_assert_status(kpi_score_add_array(s, NULL, 1), KPI_ERR_INVALID);
    ck_assert_ok(kpi_score_add_array(s, NULL, 0));
    score_unchanged(s, before, len);
    free(before);
    kpi_score_free(s);
}
END_TEST

START_TEST(a_batch_with_one_bad_answer_changes_nothing)
{
    /* bad answers at the start, in a later block and in the tail, on a
     * small scale (blocked path) and a large one */
    const int32_t scales[2][2] = {{0, 10}, {0, 999}};
    const size_t sizes[] = {1, 7, 4096, 4097, 10000};
    int32_t *v = malloc(10000 * sizeof *v);
    for (int sc = 0; sc < 2; sc++) {
        kpi_score *s;
        ck_assert_ok(kpi_score_new(&s, scales[sc][0], scales[sc][1]));
        ck_assert_ok(kpi_score_add(s, 5));
        size_t len;
        unsigned char *before = score_bytes(s, &len);
        for (size_t k = 0; k < 5; k++) {
            size_t n = sizes[k];
            const size_t spots[3] = {0, n / 2, n - 1};
            for (int j = 0; j < 3; j++) {
                for (size_t i = 0; i < n; i++)
                    v[i] = (int32_t)(i % 11);
                v[spots[j]] = j == 1 ? -1 : scales[sc][1] + 1;
                ck_assert_status(kpi_score_add_array(s, v, n), KPI_ERR_RANGE);
                v[spots[j]] = INT32_MIN;
                ck_assert_status(kpi_score_add_array(s, v, n), KPI_ERR_RANGE);
                score_unchanged(s, before, len);
            }
        }
        free(before);
        kpi_score_free(s);
    }
    free(v);
}
END_TEST

START_TEST(batch_add_equals_one_by_one)
{
    test_rng r = {11};
    const int32_t his[] = {1, 10, 63, 64, 65, 1000};
    int32_t *v = malloc(9000 * sizeof *v);
    for (int k = 0; k < 6; k++) {
        kpi_score *a, *b;
        ck_assert_ok(kpi_score_new(&a, 0, his[k]));
        ck_assert_ok(kpi_score_new(&b, 0, his[k]));
        size_t n = (size_t)test_range(&r, 1, 9000);
        for (size_t i = 0; i < n; i++) {
            v[i] = (int32_t)test_range(&r, 0, his[k]);
            ck_assert_ok(kpi_score_add(b, v[i]));
        }
        ck_assert_ok(kpi_score_add_array(a, v, n));
        score_same(a, b);
        kpi_score_free(a);
        kpi_score_free(b);
    }
    free(v);
}
END_TEST

START_TEST(long_batches_on_survey_scales_count_exactly)
{
    /* more than 16 blocks of 4096: the pair tables are flushed mid-batch
     * (at the portable level: on a CPU with AVX2 the default level counts
     * whole blocks with a vector kernel and the pair tables only the
     * tail), at every level */
    const size_t n = 150001;
    int32_t *v = malloc(n * sizeof *v);
    test_rng r = {99};
    kpi_score *b;
    ck_assert_ok(kpi_csat_new(&b, 5, 4));
    for (size_t i = 0; i < n; i++) {
        v[i] = (int32_t)test_range(&r, 1, 5);
        ck_assert_ok(kpi_score_add(b, v[i]));
    }
    ck_assert_ok(kpi_score_merge(b, b));
    for (int level = 0; level <= SIMD_LEVELS; level++) {
        kpi_score *a;
        ck_assert_ok(kpi_csat_new(&a, 5, 4));
        if (level == SIMD_LEVELS) { /* the public call */
            ck_assert_ok(kpi_score_add_array(a, v, n));
            ck_assert_ok(kpi_score_add_array(a, v, n));
        } else {
            ck_assert_ok(kpi__score_add_array_simd(a, v, n, level));
            ck_assert_ok(kpi__score_add_array_simd(a, v, n, level));
        }
        score_same(a, b);
        kpi_score_free(a);
    }
    free(v);
    kpi_score_free(b);
}
END_TEST

START_TEST(full_blocks_on_any_survey_scale_count_exactly)
{
    /* whole blocks of 4096 take the packed-byte kernel where the CPU has
     * one: scales of 2 to 16 values with negative and positive minimums,
     * and answers that would alias a valid byte after packing if they
     * were not rejected first (min + 256, min + 65536, min - 256), or
     * that the kernel's signed saturating packs must keep off the scale
     * (min + 128, + 32768, - 32769, + 2^31 - 1, - 2^31); scales on each
     * side of the AVX2 kernel's groups of five values (6, 7, 11, 12) and of
     * the AVX-512 kernel's groups of eight (7, 10, 11: bytes of 8-15 are
     * in its second group, and min + nv .. min + 15 would be counted there
     * by value if the check did not refuse them first); at every level */
    const int32_t mins[] = {0, 1, -5, 100, -2147483647 - 1};
    const int32_t nvs[] = {2, 3, 5, 6, 7, 10, 11, 12, 16};
    const size_t n = 3 * 4096 + 5;
    int32_t *v = malloc(n * sizeof *v);
    test_rng r = {2026};
    for (int level = 0; level < SIMD_LEVELS; level++)
        for (int a = 0; a < 5; a++)
            for (int b = 0; b < 9; b++) {
                int32_t lo = mins[a], hi = lo + nvs[b] - 1;
                kpi_score *x, *y;
                ck_assert_ok(kpi_score_new(&x, lo, hi));
                ck_assert_ok(kpi_score_new(&y, lo, hi));
                for (size_t i = 0; i < n; i++) {
                    v[i] = (int32_t)test_range(&r, lo, hi);
                    ck_assert_ok(kpi_score_add(y, v[i]));
                }
                ck_assert_ok(kpi__score_add_array_simd(x, v, n, level));
                score_same(x, y);
                size_t len;
                unsigned char *before = score_bytes(x, &len);
                const int64_t off[] = {256, 65536, -256, (int64_t)hi - lo + 1, -1, 128, 32768,
                                       -32769, INT32_MAX, INT32_MIN, 15, 127, 8 + 16};
                const size_t spots[] = {4096, 4096 + 31, 8191, 4096 + 2000};
                for (int o = 0; o < 13; o++)
                    for (int k = 0; k < 4; k++) {
                        int64_t bad = (int64_t)lo + off[o];
                        if (bad < INT32_MIN || bad > INT32_MAX || (off[o] >= 0 && off[o] < nvs[b]))
                            continue;
                        int32_t keep = v[spots[k]];
                        v[spots[k]] = (int32_t)bad;
                        ck_assert_status(kpi__score_add_array_simd(x, v, n, level), KPI_ERR_RANGE);
                        score_unchanged(x, before, len);
                        v[spots[k]] = keep;
                    }
                free(before);
                kpi_score_free(x);
                kpi_score_free(y);
            }
    free(v);
}
END_TEST

START_TEST(arrays_starting_anywhere_in_a_cache_line_count_exactly)
{
    /* the vector kernels count from a 64-byte boundary, the answers before
     * it (up to 15) one by one, then whole blocks, then the last block's
     * multiple of 64, then the rest (up to 63) one by one: an array
     * starting at each int32 of a line, at every level, counts as the
     * answers added singly, and an off-scale answer before the boundary,
     * at it, in the last block's vector part or among the last answers
     * refuses the whole array and changes nothing; lengths where what
     * follows the first answers is a whole block, a block and a tail, or
     * less than a block */
    const size_t lens[] = {4096 + 7, 2 * 4096 + 15, 4096 + 16, 4096};
    int32_t *buf = aligned_alloc(64, (2 * 4096 + 32) * sizeof *buf);
    ck_assert_ptr_nonnull(buf);
    test_rng r = {77};
    for (int level = 0; level <= SIMD_LEVELS; level++)
        for (size_t start = 0; start < 16; start++)
            for (int l = 0; l < 4; l++) {
                const size_t n = lens[l];
                int32_t *v = buf + start;
                kpi_score *x, *y;
                ck_assert_ok(kpi_nps_new(&x));
                ck_assert_ok(kpi_nps_new(&y));
                ck_assert_ok(kpi_score_add(x, 7)); /* not empty before */
                ck_assert_ok(kpi_score_add(y, 7));
                for (size_t i = 0; i < n; i++) {
                    v[i] = (int32_t)test_range(&r, 0, 10);
                    ck_assert_ok(kpi_score_add(y, v[i]));
                }
                size_t len;
                unsigned char *before = score_bytes(x, &len);
                const size_t head = (16 - start) % 16;
                const size_t spots[] = {0, head > 0 ? head - 1 : 0, head, n - 100, n - 1};
                for (int k = 0; k < 5; k++) {
                    int32_t keep = v[spots[k]];
                    v[spots[k]] = k % 2 ? 11 : -1;
                    ck_assert_status(level == SIMD_LEVELS ? kpi_score_add_array(x, v, n)
                                                          : kpi__score_add_array_simd(x, v, n, level),
                                     KPI_ERR_RANGE);
                    score_unchanged(x, before, len);
                    v[spots[k]] = keep;
                }
                ck_assert_ok(level == SIMD_LEVELS ? kpi_score_add_array(x, v, n)
                                                  : kpi__score_add_array_simd(x, v, n, level));
                score_same(x, y);
                free(before);
                kpi_score_free(x);
                kpi_score_free(y);
            }
    free(buf);
}
END_TEST

START_TEST(full_blocks_of_one_value_count_exactly)
{
    /* every answer the same: each byte counter of the kernels reaches its
     * most (AVX2: 128 in a block, and the last value is what the others
     * leave; AVX-512: 8 an add, 128 before it is widened), at every
     * level, on scales on each side of the AVX-512 kernel's groups of 8
     * values (8, 9) */
    const size_t n = 2 * 4096 + 3;
    int32_t *v = malloc(n * sizeof *v);
    const int32_t nvs[] = {2, 5, 6, 7, 8, 9, 11, 12, 16};
    for (int level = 0; level < SIMD_LEVELS; level++)
        for (int b = 0; b < 9; b++)
            for (int32_t x = -3; x < nvs[b] - 3; x++) {
                kpi_score *s;
                ck_assert_ok(kpi_score_new(&s, -3, nvs[b] - 4));
                for (size_t i = 0; i < n; i++)
                    v[i] = x;
                ck_assert_ok(kpi__score_add_array_simd(s, v, n, level));
                for (int32_t y = -3; y < nvs[b] - 3; y++) {
                    uint64_t c;
                    ck_assert_ok(kpi_score_count_of(s, y, &c));
                    ck_assert_uint_eq(c, y == x ? n : 0);
                }
                kpi_score_free(s);
            }
    free(v);
}
END_TEST

START_TEST(merge_equals_one_stream)
{
    test_rng r = {3};
    for (int round = 0; round < 20; round++) {
        kpi_score *a, *b, *all;
        ck_assert_ok(kpi_nps_new(&a));
        ck_assert_ok(kpi_nps_new(&b));
        ck_assert_ok(kpi_nps_new(&all));
        int64_t na = test_range(&r, 0, 300), nb = test_range(&r, 0, 300);
        for (int64_t i = 0; i < na + nb; i++) {
            int32_t x = (int32_t)test_range(&r, 0, 10);
            ck_assert_ok(kpi_score_add(i < na ? a : b, x));
            ck_assert_ok(kpi_score_add(all, x));
        }
        ck_assert_ok(kpi_score_merge(a, b));
        score_same(a, all);
        kpi_score_free(a);
        kpi_score_free(b);
        kpi_score_free(all);
    }
}
END_TEST

START_TEST(merge_with_itself_doubles_and_overflow_is_caught)
{
    kpi_score *s;
    ck_assert_ok(kpi_nps_new(&s));
    ck_assert_ok(kpi_score_add(s, 9));
    for (int i = 0; i < 63; i++)
        ck_assert_ok(kpi_score_merge(s, s));
    ck_assert(kpi_score_count(s) == UINT64_C(1) << 63);
    size_t len;
    unsigned char *before = score_bytes(s, &len);
    ck_assert_status(kpi_score_merge(s, s), KPI_ERR_OVERFLOW);
    ck_assert_status(kpi_score_add_array(s, (const int32_t[]){1}, 1), KPI_OK);
    kpi_score *t;
    ck_assert_ok(kpi_score_deserialize(&t, before, len));
    ck_assert_status(kpi_score_merge(t, t), KPI_ERR_OVERFLOW);
    score_unchanged(t, before, len);
    kpi_score_free(t);
    free(before);
    /* one more answer than fits */
    kpi_score *u;
    ck_assert_ok(kpi_nps_new(&u));
    ck_assert_ok(kpi_score_add(u, 9));
    for (int i = 0; i < 63; i++)
        ck_assert_ok(kpi_score_merge(u, u));
    for (int i = 0; i < 63; i++) {
        kpi_score *h;
        ck_assert_ok(kpi_nps_new(&h));
        ck_assert_ok(kpi_score_add(h, 9));
        for (int j = 0; j < i; j++)
            ck_assert_ok(kpi_score_merge(h, h));
        ck_assert_ok(kpi_score_merge(u, h));
        kpi_score_free(h);
    }
    ck_assert(kpi_score_count(u) == UINT64_MAX);
    before = score_bytes(u, &len);
    ck_assert_status(kpi_score_add(u, 1), KPI_ERR_OVERFLOW);
    ck_assert_status(kpi_score_add_array(u, (const int32_t[]){1}, 1), KPI_ERR_OVERFLOW);
    score_unchanged(u, before, len);
    free(before);
    kpi_score_free(u);
    kpi_score_free(s);
}
END_TEST

START_TEST(merge_of_differently_configured_scores_is_refused)
{
    kpi_score *a, *b, *c, *d, *e;
    ck_assert_ok(kpi_nps_new(&a));
    ck_assert_ok(kpi_score_new(&b, 1, 10));
    ck_assert_ok(kpi_nps_new(&c));
    ck_assert_ok(kpi_score_set_nps_cuts(c, 8, 6));
    ck_assert_ok(kpi_nps_new(&d));
    ck_assert_ok(kpi_score_set_threshold(d, 3));
    ck_assert_ok(kpi_nps_new(&e));
    ck_assert_ok(kpi_score_set_high_is_easy(e, 0));
    ck_assert_ok(kpi_score_add(a, 10));
    size_t len;
    unsigned char *before = score_bytes(a, &len);
    ck_assert_status(kpi_score_merge(a, b), KPI_ERR_INCOMPATIBLE);
    ck_assert_status(kpi_score_merge(a, c), KPI_ERR_INCOMPATIBLE);
    ck_assert_status(kpi_score_merge(a, d), KPI_ERR_INCOMPATIBLE);
    ck_assert_status(kpi_score_merge(a, e), KPI_ERR_INCOMPATIBLE);
    ck_assert_status(kpi_score_merge(a, NULL), KPI_ERR_INVALID);
    score_unchanged(a, before, len);
    free(before);
    kpi_score_free(a);
    kpi_score_free(b);
    kpi_score_free(c);
    kpi_score_free(d);
    kpi_score_free(e);
}
END_TEST

START_TEST(serialize_round_trip_gives_identical_reads_and_bytes)
{
    kpi_score *s, *t;
    ck_assert_ok(kpi_score_new(&s, -5, 300));
    ck_assert_ok(kpi_score_set_nps_cuts(s, 200, -1));
    ck_assert_ok(kpi_score_set_high_is_easy(s, 0));
    test_rng r = {5};
    for (int i = 0; i < 1000; i++)
        ck_assert_ok(kpi_score_add(s, (int32_t)test_range(&r, -5, 300)));
    size_t len;
    unsigned char *b = score_bytes(s, &len);
    ck_assert_ok(kpi_score_deserialize(&t, b, len));
    score_same(s, t);
    kpi_estimate e1, e2;
    ck_assert_ok(kpi_score_nps(s, &e1));
    ck_assert_ok(kpi_score_nps(t, &e2));
    ck_assert(e1.value == e2.value && e1.lower == e2.lower);
    ck_assert_ok(kpi_score_csat(t, &e2));
    ck_assert_ok(kpi_score_csat(s, &e1));
    ck_assert(e1.value == e2.value);
    ck_assert_uint_eq(kpi_score_footprint(s), kpi_score_footprint(t));
    unsigned char small[4];
    size_t need;
    ck_assert_status(kpi_score_serialize(s, small, 4, &need), KPI_ERR_BUFFER);
    ck_assert_uint_eq(need, len);
    ck_assert_status(kpi_score_serialize(NULL, NULL, 0, &need), KPI_ERR_INVALID);
    free(b);
    kpi_score_free(s);
    kpi_score_free(t);
}
END_TEST

START_TEST(truncated_flipped_and_foreign_bytes_are_rejected)
{
    const int32_t v[] = {10, 10, 9, 8, 7, 6, 0};
    kpi_score *s = nps_of(v, 7), *t = NULL;
    size_t len;
    unsigned char *b = score_bytes(s, &len);
    for (size_t n = 0; n < len; n++)
        ck_assert(kpi_score_deserialize(&t, b, n) != KPI_OK);
    for (size_t i = 0; i < len; i++)
        for (int bit = 0; bit < 8; bit++) {
            b[i] ^= (unsigned char)(1u << bit);
            ck_assert(kpi_score_deserialize(&t, b, len) != KPI_OK);
            b[i] ^= (unsigned char)(1u << bit);
        }
    ck_assert(t == NULL);
    kpi_rate *r;
    ck_assert_ok(kpi_rate_new(&r));
    size_t rl;
    unsigned char rb[64];
    ck_assert_ok(kpi_rate_serialize(r, rb, sizeof rb, &rl));
    ck_assert_status(kpi_score_deserialize(&t, rb, rl), KPI_ERR_TYPE);
    ck_assert_status(kpi_score_deserialize(NULL, b, len), KPI_ERR_INVALID);
    kpi_rate_free(r);
    free(b);
    kpi_score_free(s);
}
END_TEST

/* A scale holding 6 and 9 always has NPS cut points: kpi_score_new() gives
 * it 9 / 6 and no call takes cut points away (kpi_score_set_nps_cuts()
 * only moves them).  A forged 0..10 state without them decoded: its NPS
 * read KPI_ERR_STATE and every merge with a real NPS object (cuts 9 / 6)
 * was KPI_ERR_INCOMPATIBLE.  Body at 12 for one answer 10: min 0, max 10,
 * threshold 9 (one zigzag byte each: 12, 13, 14), direction 15, has_nps
 * 16, promoter_from 17, detractor_to 18; "no cuts" writes 0, 0, 0 there.
 * A 20..30 scale (6 and 9 off it) still reads back without cuts. */
START_TEST(a_scale_with_6_and_9_decodes_only_with_nps_cuts)
{
    kpi_score *s, *t = NULL;
    ck_assert_ok(kpi_nps_new(&s));
    ck_assert_ok(kpi_score_add(s, 10));
    size_t len;
    unsigned char *b = score_bytes(s, &len);
    ck_assert_uint_eq(b[16], 1);
    ck_assert_uint_eq(b[17], 18); /* zigzag(9) */
    ck_assert_uint_eq(b[18], 12); /* zigzag(6) */
    b[16] = b[17] = b[18] = 0;
    test_reseal(b, len);
    ck_assert_status(kpi_score_deserialize(&t, b, len), KPI_ERR_CORRUPT);
    ck_assert_ptr_null(t);
    free(b);
    kpi_score_free(s);
    ck_assert_ok(kpi_score_new(&s, 20, 30));
    ck_assert_ok(kpi_score_add(s, 25));
    b = score_bytes(s, &len);
    ck_assert_ok(kpi_score_deserialize(&t, b, len));
    kpi_estimate e;
    ck_assert_status(kpi_score_nps(t, &e), KPI_ERR_STATE);
    score_same(s, t);
    kpi_score_free(t);
    free(b);
    kpi_score_free(s);
}
END_TEST

/* Every kernel level returns with the vector registers' upper halves clean
 * (no dirty state slowing the caller's SSE code), on the scales that take
 * each path (NPS and CSAT: up to 8 values; 10 and 16 values: two one-hot
 * shuffles; 1-7: AVX2's five-value groups), after a good batch and after
 * one refused (an answer off the scale in the second block). */
START_TEST(kernels_leave_the_upper_halves_clean)
{
    if (test_upper_dirty() < 0)
        return; /* not x86-64 with XGETBV(1): nothing to read */
    static int32_t v[3 * 4096];
    const int32_t scales[][2] = {{0, 10}, {1, 5}, {1, 7}, {1, 10}, {0, 15}};
    for (size_t k = 0; k < sizeof scales / sizeof *scales; k++) {
        kpi_score *s;
        ck_assert_ok(kpi_score_new(&s, scales[k][0], scales[k][1]));
        const int32_t span = scales[k][1] - scales[k][0] + 1;
        for (int bad = 0; bad < 2; bad++) {
            for (size_t i = 0; i < 3 * 4096; i++)
                v[i] = scales[k][0] + (int32_t)(i * 7 % (size_t)span);
            if (bad)
                v[4096 + 5] = scales[k][1] + 1;
            for (int simd = 0; simd < SIMD_LEVELS; simd++) {
                test_upper_clear();
                ck_assert_status(kpi__score_add_array_simd(s, v, 3 * 4096, simd),
                                 bad ? KPI_ERR_RANGE : KPI_OK);
                ck_assert_msg(test_upper_dirty() == 0,
                              "scale %d..%d, level %d, %s batch: upper halves dirty",
                              scales[k][0], scales[k][1], simd, bad ? "bad" : "good");
            }
        }
        kpi_score_free(s);
    }
}
END_TEST

START_TEST(allocation_failures_return_nomem_and_leak_nothing)
{
    test_alloc t;
    kpi_allocator a = test_allocator(&t);
    kpi_score *s = NULL;
    t.fail_at = 1;
    ck_assert_status(kpi_score_new_with(&s, 0, 10, &a), KPI_ERR_NOMEM);
    ck_assert_int_eq(t.live, 0);
    t.fail_at = 0;
    ck_assert_ok(kpi_score_new_with(&s, 0, 10, &a));
    ck_assert_int_eq(t.mallocs, 1); /* the allocator is really used */
    ck_assert_ok(kpi_score_add(s, 4));
    size_t len;
    unsigned char *before = score_bytes(s, &len);
    /* merge with itself copies first */
    long live = t.live;
    t.calls = 0;
    t.fail_at = 1;
    ck_assert_status(kpi_score_merge(s, s), KPI_ERR_NOMEM);
    ck_assert_int_eq(t.live, live);
    score_unchanged(s, before, len);
    t.fail_at = 0;
    kpi_score *c = NULL;
    t.calls = 0;
    t.fail_at = 1;
    ck_assert_status(kpi_score_clone(s, &c), KPI_ERR_NOMEM);
    t.fail_at = 0;
    /* deserialize: every allocation it makes can fail */
    long k = 1;
    for (;; k++) {
        long live_now = t.live;
        t.calls = 0;
        t.fail_at = k;
        kpi_score *d = NULL;
        int rc = kpi_score_deserialize_with(&d, before, len, &a);
        if (rc == KPI_OK) {
            kpi_score_free(d);
            break;
        }
        ck_assert_status(rc, KPI_ERR_NOMEM);
        ck_assert_int_eq(t.live, live_now);
    }
    ck_assert_int_ge(k, 2);
    t.fail_at = 0;
    free(before);
    kpi_score_free(s);
    ck_assert_int_eq(t.live, 0);
    kpi_allocator bad = {NULL, NULL, NULL, NULL};
    ck_assert_status(kpi_score_new_with(&s, 0, 1, &bad), KPI_ERR_INVALID);
}
END_TEST

START_TEST(clone_is_deep_and_reset_keeps_configuration)
{
    kpi_score *s, *c;
    ck_assert_ok(kpi_ces_new(&s, 5, 2));
    ck_assert_ok(kpi_score_set_high_is_easy(s, 0));
    ck_assert_ok(kpi_score_add(s, 1));
    ck_assert_ok(kpi_score_clone(s, &c));
    score_same(s, c);
    ck_assert_ok(kpi_score_add(c, 5));
    ck_assert_uint_eq(kpi_score_count(s), 1);
    kpi_score_reset(c);
    ck_assert_uint_eq(kpi_score_count(c), 0);
    ck_assert_ok(kpi_score_add(c, 1));
    score_same(s, c);
    ck_assert_status(kpi_score_clone(NULL, &c), KPI_ERR_INVALID);
    kpi_score_free(s);
    kpi_score_free(c);
}
END_TEST

START_TEST(null_arguments_are_refused_and_change_nothing)
{
    kpi_score *s;
    ck_assert_ok(kpi_nps_new(&s));
    ck_assert_ok(kpi_score_add(s, 9));
    ck_assert_ok(kpi_score_add(s, 3));
    size_t len;
    unsigned char *before = score_bytes(s, &len);
    int32_t lo = 7, hi = 7;
    uint64_t c = 7, counts[11];
    kpi_estimate e;
    ck_assert_status(kpi_score_set_threshold(NULL, 4), KPI_ERR_INVALID);
    ck_assert_status(kpi_score_set_high_is_easy(NULL, 1), KPI_ERR_INVALID);
    ck_assert_status(kpi_score_scale(s, NULL, &hi), KPI_ERR_INVALID);
    ck_assert_status(kpi_score_scale(s, &lo, NULL), KPI_ERR_INVALID);
    ck_assert_status(kpi_score_scale(NULL, &lo, &hi), KPI_ERR_INVALID);
    ck_assert_status(kpi_score_count_of(s, 9, NULL), KPI_ERR_INVALID);
    ck_assert_status(kpi_score_count_of(NULL, 9, &c), KPI_ERR_INVALID);
    ck_assert_status(kpi_score_distribution(s, NULL, 11), KPI_ERR_INVALID);
    ck_assert_status(kpi_score_distribution(NULL, counts, 11), KPI_ERR_INVALID);
    ck_assert_status(kpi_score_mean_ci(s, NULL), KPI_ERR_INVALID);
    ck_assert_status(kpi_score_share_at_least(s, 9, NULL), KPI_ERR_INVALID);
    ck_assert_status(kpi_score_share_at_most(NULL, 6, &e), KPI_ERR_INVALID);
    ck_assert_status(kpi_score_nps(NULL, &e), KPI_ERR_INVALID);
    ck_assert_status(kpi_score_serialize(NULL, NULL, 0, &len), KPI_ERR_INVALID);
    ck_assert(lo == 7 && hi == 7 && c == 7);
    score_unchanged(s, before, len);
    ck_assert_ok(kpi_score_scale(s, &lo, &hi));
    ck_assert(lo == 0 && hi == 10);
    ck_assert_ok(kpi_score_nps(s, &e));
    ck_assert_near(e.value, 0.0, 1e-12);
    free(before);
    kpi_score_free(s);
}
END_TEST

/* ---- documented errors (rev-retval) ---- */

TEST_STATE_ERRORS_HELPER(score, kpi_score, kpi_score_serialize, kpi_score_deserialize,
                         kpi_score_deserialize_with, kpi_score_free)

START_TEST(documented_errors_of_the_state_verbs)
{
    kpi_score *s;
    ck_assert_ok(kpi_score_new(&s, 1, 5));
    ck_assert_ok(kpi_score_add(s, 4));
    ck_assert_ok(kpi_score_add(s, 2));
    score_state_errors(s);
    kpi_score_free(s);
}
END_TEST

START_TEST(documented_errors_of_ces_easy_and_new_with)
{
    kpi_score *s, *made = NULL;
    kpi_estimate e = {9, 9, 9, 9};
    ck_assert_ok(kpi_ces_new(&s, 7, 5));
    ck_assert_status(kpi_score_ces_easy(s, &e), KPI_ERR_EMPTY);
    ck_assert_status(kpi_score_ces_easy(NULL, &e), KPI_ERR_INVALID);
    ck_assert_status(kpi_score_ces_easy(s, NULL), KPI_ERR_INVALID);
    ck_assert(e.value == 9 && e.n == 9); /* nothing written */
    ck_assert_ok(kpi_score_add(s, 6));
    ck_assert_ok(kpi_score_ces_easy(s, &e));
    ck_assert_uint_eq(e.n, 1);
    kpi_score_free(s);

    test_alloc t;
    kpi_allocator a = test_allocator(&t);
    ck_assert_status(kpi_score_new_with(&made, 5, 1, &a), KPI_ERR_RANGE);
    ck_assert_status(kpi_score_new_with(&made, 0, KPI_SCORE_MAX_SPAN + 1, &a),
                     KPI_ERR_RANGE);
    ck_assert_ptr_null(made);
    ck_assert_int_eq(t.live, 0);
}
END_TEST

START_TEST(documented_errors_of_the_presets_and_shares)
{
    ck_assert_status(kpi_esat_new(NULL, 5, 4), KPI_ERR_INVALID);
    ck_assert_status(kpi_nps_new(NULL), KPI_ERR_INVALID);
    ck_assert_status(kpi_ces_new(NULL, 7, 5), KPI_ERR_INVALID);
    kpi_score *s;
    kpi_estimate e = {9, 9, 9, 9};
    ck_assert_ok(kpi_score_new(&s, 1, 5));
    ck_assert_ok(kpi_score_add(s, 3));
    ck_assert_status(kpi_score_share_at_most(s, 0, &e), KPI_ERR_RANGE);
    ck_assert_status(kpi_score_share_at_most(s, 6, &e), KPI_ERR_RANGE);
    ck_assert(e.value == 9 && e.n == 9);
    kpi_score_free(s);
    ck_assert_ok(kpi_nps_new(&s));
    ck_assert_ok(kpi_score_add(s, 9));
    ck_assert_status(kpi_score_nps_shares(NULL, &e, &e, &e), KPI_ERR_INVALID);
    ck_assert(e.value == 9 && e.n == 9);
    kpi_score_free(s);
}
END_TEST

static Suite *score_suite(void)
{
    Suite *s = suite_create("score");
    TCase *tc = tcase_create("score");
    tcase_add_test(tc, null_arguments_are_refused_and_change_nothing);
    tcase_add_test(tc, nps_of_a_hand_computed_sample);
    tcase_add_test(tc, nps_interval_is_clamped_to_plus_minus_100);
    tcase_add_test(tc, nps_interval_of_small_samples_by_hand);
    tcase_add_test(tc, nps_margin_of_error_by_hand);
    tcase_add_test(tc, shares_of_one_answer_are_wilson_by_hand);
    tcase_add_test(tc, scales_at_the_int32_limits);
    tcase_add_test(tc, nps_on_a_1_to_10_scale_keeps_9_and_6_and_accepts_other_cuts);
    tcase_add_test(tc, nps_without_cut_points_is_a_state_error);
    tcase_add_test(tc, csat_is_the_top_two_box_share);
    tcase_add_test(tc, esat_is_a_csat_preset);
    tcase_add_test(tc, ces_easy_share_follows_the_configured_direction);
    tcase_add_test(tc, wilson_matches_newcombe_1998);
    tcase_add_test(tc, mean_and_interval_match_a_two_pass_computation);
    tcase_add_test(tc, reads_on_an_empty_object_are_empty_errors);
    tcase_add_test(tc, constructor_rejects_bad_scales);
    tcase_add_test(tc, off_scale_answers_are_rejected_and_change_nothing);
    tcase_add_test(tc, a_batch_with_one_bad_answer_changes_nothing);
    tcase_add_test(tc, batch_add_equals_one_by_one);
    tcase_add_test(tc, long_batches_on_survey_scales_count_exactly);
    tcase_add_test(tc, merge_equals_one_stream);
    tcase_add_test(tc, merge_with_itself_doubles_and_overflow_is_caught);
    tcase_add_test(tc, merge_of_differently_configured_scores_is_refused);
    tcase_add_test(tc, serialize_round_trip_gives_identical_reads_and_bytes);
    tcase_add_test(tc, truncated_flipped_and_foreign_bytes_are_rejected);
    tcase_add_test(tc, a_scale_with_6_and_9_decodes_only_with_nps_cuts);
    tcase_add_test(tc, kernels_leave_the_upper_halves_clean);
    tcase_add_test(tc, allocation_failures_return_nomem_and_leak_nothing);
    tcase_add_test(tc, clone_is_deep_and_reset_keeps_configuration);
    tcase_add_test(tc, full_blocks_on_any_survey_scale_count_exactly);
    tcase_add_test(tc, full_blocks_of_one_value_count_exactly);
    tcase_add_test(tc, arrays_starting_anywhere_in_a_cache_line_count_exactly);
    /* ---- documented errors (rev-retval) ---- */
    tcase_add_test(tc, documented_errors_of_the_state_verbs);
    tcase_add_test(tc, documented_errors_of_ces_easy_and_new_with);
    tcase_add_test(tc, documented_errors_of_the_presets_and_shares);
    suite_add_tcase(s, tc);
    return s;
}

KPI_TEST_MAIN(score_suite)
