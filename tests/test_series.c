/*
 * Period series: ring semantics, reads, Holt-Winters forecast, merge,
 * serialization, error paths and allocation failures.
 * SPDX-License-Identifier: MIT
 */
#include "kpi/group.h"
#include "kpi/series.h"
#include "testutil.h"

#define DAY KPI_MS_PER_DAY
#define HOUR KPI_MS_PER_HOUR

TEST_STATE_HELPERS(series, kpi_series, kpi_series_serialize)
TEST_REREAD_HELPER(series, kpi_series, kpi_series_deserialize)
TEST_FORGE_HELPER(series, kpi_series, kpi_series_deserialize, kpi_series_free)

static void assert_values(const kpi_series *s, const double *want, size_t n,
                          int64_t first)
{
    double v[64];
    size_t got;
    int64_t f;
    ck_assert_ok(kpi_series_values(s, v, 64, &got, &f));
    ck_assert_uint_eq(got, n);
    ck_assert(f == first);
    for (size_t i = 0; i < n; i++)
        ck_assert_near(v[i], want[i], 0);
}

START_TEST(counts_land_in_their_periods)
{
    kpi_series *s;
    ck_assert_ok(kpi_series_new(&s, HOUR, 4, 0));
    ck_assert_uint_eq(kpi_series_length(s), 4);
    ck_assert_ok(kpi_series_add(s, 10 * HOUR + 5, 1.0));
    ck_assert_ok(kpi_series_add(s, 10 * HOUR + 6, 1.0));
    ck_assert_ok(kpi_series_add(s, 9 * HOUR, 2.5)); /* late, in ring */
    ck_assert_ok(kpi_series_add(s, 7 * HOUR, 1.0)); /* oldest kept */
    int64_t st;
    ck_assert_ok(kpi_series_latest(s, &st));
    ck_assert(st == 10 * HOUR);
    double want[4] = {1, 0, 2.5, 2};
    assert_values(s, want, 4, 7 * HOUR);
    double v;
    ck_assert_ok(kpi_series_period(s, 9 * HOUR + 59, &v));
    ck_assert_near(v, 2.5, 0);
    ck_assert_ok(kpi_series_last(s, 1, &v));
    ck_assert_near(v, 2, 0);
    ck_assert_ok(kpi_series_last(s, 2, &v));
    ck_assert_near(v, 4.5, 0);
    ck_assert_ok(kpi_series_last(s, 4, &v));
    ck_assert_near(v, 5.5, 0);
    ck_assert_ok(kpi_series_total(s, &v));
    ck_assert_near(v, 5.5, 0);
    kpi_series_free(s);
}
END_TEST

START_TEST(advancing_zeroes_skipped_periods_and_keeps_the_total)
{
    kpi_series *s;
    ck_assert_ok(kpi_series_new(&s, DAY, 3, 12 * HOUR));
    ck_assert_ok(kpi_series_add(s, 12 * HOUR, 1));       /* day 0 */
    ck_assert_ok(kpi_series_add(s, 12 * HOUR + DAY, 2)); /* day 1 */
    ck_assert_ok(kpi_series_add(s, 12 * HOUR + 3 * DAY, 4)); /* day 3 */
    double w1[3] = {2, 0, 4};
    assert_values(s, w1, 3, 12 * HOUR + DAY);
    ck_assert_ok(kpi_series_add(s, 12 * HOUR + 10 * DAY, 8)); /* far jump */
    double w2[3] = {0, 0, 8};
    assert_values(s, w2, 3, 12 * HOUR + 8 * DAY);
    double v;
    ck_assert_ok(kpi_series_total(s, &v));
    ck_assert_near(v, 15, 0);
    /* negative times and an origin after them */
    ck_assert_ok(kpi_series_period(s, 12 * HOUR + 9 * DAY, &v));
    ck_assert_near(v, 0, 0);
    ck_assert_status(kpi_series_period(s, 12 * HOUR + 11 * DAY, &v),
                     KPI_ERR_RANGE);
    ck_assert_status(kpi_series_period(s, 12 * HOUR + 7 * DAY, &v),
                     KPI_ERR_RANGE);
    kpi_series_free(s);

    ck_assert_ok(kpi_series_new(&s, 10, 2, 5));
    ck_assert_ok(kpi_series_add(s, -6, 1)); /* period [-15, -5) */
    ck_assert_ok(kpi_series_latest(s, &(int64_t){0}));
    int64_t st;
    ck_assert_ok(kpi_series_latest(s, &st));
    ck_assert(st == -15);
    ck_assert_ok(kpi_series_add(s, 4, 1)); /* [-5, 5) */
    double w3[2] = {1, 1};
    assert_values(s, w3, 2, -15);
    kpi_series_free(s);
}
END_TEST

START_TEST(too_old_events_are_refused_and_change_nothing)
{
    kpi_series *s, *before;
    ck_assert_ok(kpi_series_new(&s, HOUR, 3, 0));
    ck_assert_ok(kpi_series_add(s, 5 * HOUR, 1));
    ck_assert_ok(kpi_series_clone(s, &before));
    ck_assert_status(kpi_series_add(s, 2 * HOUR + 1, 1), KPI_ERR_ORDER);
    ck_assert_status(kpi_series_add(s, 5 * HOUR, NAN), KPI_ERR_INVALID);
    ck_assert_status(kpi_series_add(s, 5 * HOUR, INFINITY), KPI_ERR_INVALID);
    ck_assert_status(kpi_series_add(NULL, 5 * HOUR, 1), KPI_ERR_INVALID);
    series_same(s, before);
    /* the batch is all or nothing: it would advance, then one is too old */
    int64_t t[3] = {5 * HOUR, 8 * HOUR, 5 * HOUR};
    ck_assert_status(kpi_series_add_array(s, t, NULL, 3), KPI_ERR_ORDER);
    series_same(s, before);
    double a[3] = {1, 1, NAN};
    int64_t t2[3] = {5 * HOUR, 6 * HOUR, 6 * HOUR};
    ck_assert_status(kpi_series_add_array(s, t2, a, 3), KPI_ERR_INVALID);
    series_same(s, before);
    ck_assert_status(kpi_series_add_array(s, NULL, NULL, 2), KPI_ERR_INVALID);
    ck_assert_ok(kpi_series_add_array(s, t2, NULL, 3));
    double v;
    ck_assert_ok(kpi_series_last(s, 2, &v));
    ck_assert_near(v, 4, 0);
    /* a period that cannot be represented */
    kpi_series *e;
    ck_assert_ok(kpi_series_new(&e, HOUR, 3, INT64_MAX));
    ck_assert_status(kpi_series_add(e, INT64_MIN, 1), KPI_ERR_RANGE);
    kpi_series_free(e);
    kpi_series_free(before);
    kpi_series_free(s);
}
END_TEST

START_TEST(construction_and_reads_name_their_errors)
{
    kpi_series *s;
    ck_assert_status(kpi_series_new(NULL, HOUR, 3, 0), KPI_ERR_INVALID);
    ck_assert_status(kpi_series_new(&s, 0, 3, 0), KPI_ERR_RANGE);
    ck_assert_status(kpi_series_new(&s, HOUR, 0, 0), KPI_ERR_RANGE);
    ck_assert_status(kpi_series_new(&s, HOUR, KPI_SERIES_MAX_LENGTH + 1, 0),
                     KPI_ERR_RANGE);
    kpi_allocator bad = {NULL, NULL, NULL, NULL};
    ck_assert_status(kpi_series_new_with(&s, HOUR, 3, 0, &bad), KPI_ERR_INVALID);
    ck_assert_ok(kpi_series_new(&s, HOUR, 3, 0));
    double v, buf[3];
    int64_t st;
    size_t n;
    ck_assert_status(kpi_series_total(s, &v), KPI_ERR_EMPTY);
    ck_assert_status(kpi_series_last(s, 1, &v), KPI_ERR_EMPTY);
    ck_assert_status(kpi_series_latest(s, &st), KPI_ERR_EMPTY);
    ck_assert_status(kpi_series_period(s, 0, &v), KPI_ERR_EMPTY);
    ck_assert_status(kpi_series_values(s, buf, 3, &n, NULL), KPI_ERR_EMPTY);
    ck_assert_status(kpi_series_forecast(s, 1, buf, 3), KPI_ERR_STATE);
    ck_assert_status(kpi_series_forecast_error(s, &v, &v), KPI_ERR_STATE);
    ck_assert_ok(kpi_series_add(s, 0, 1));
    ck_assert_status(kpi_series_last(s, 0, &v), KPI_ERR_RANGE);
    ck_assert_status(kpi_series_last(s, 4, &v), KPI_ERR_RANGE);
    ck_assert_status(kpi_series_values(s, buf, 2, &n, NULL), KPI_ERR_BUFFER);
    ck_assert_uint_eq(n, 3);
    ck_assert_status(kpi_series_set_forecast(s, 7, .5, .5, .5), KPI_ERR_STATE);
    kpi_series_reset(s);
    ck_assert_status(kpi_series_total(s, &v), KPI_ERR_EMPTY);
    ck_assert_status(kpi_series_set_forecast(s, 0, .5, .5, .5), KPI_ERR_RANGE);
    ck_assert_status(kpi_series_set_forecast(s, 7, 1.0, .5, .5), KPI_ERR_RANGE);
    ck_assert_status(kpi_series_set_forecast(s, 7, .5, 0.0, .5), KPI_ERR_RANGE);
    ck_assert_status(kpi_series_set_forecast(s, 7, .5, .5, NAN), KPI_ERR_INVALID);
    ck_assert_ok(kpi_series_set_forecast(s, 7, .5, .5, .5));
    ck_assert_status(kpi_series_forecast(s, 1, buf, 3), KPI_ERR_EMPTY);
    ck_assert_ok(kpi_series_add(s, 0, 1));
    kpi_series *snap;
    ck_assert_ok(kpi_series_clone(s, &snap));
    /* with a forecast, a jump of more than 1,000,000 periods is refused */
    ck_assert_status(kpi_series_add(s, 1000001 * HOUR, 1), KPI_ERR_RANGE);
    series_same(s, snap);
    kpi_series_free(snap);
    ck_assert_ok(kpi_series_add(s, 1000000 * HOUR, 1));
    ck_assert_ok(kpi_series_forecast(s, 1, buf, 3)); /* zeros were seen */
    kpi_series_reset(s);
    ck_assert_status(kpi_series_forecast_error(s, &v, &v), KPI_ERR_EMPTY);
    kpi_estimate e;
    ck_assert_status(kpi_series_forecast_interval(s, 1, &e), KPI_ERR_EMPTY);
    ck_assert_uint_eq(kpi_series_length(NULL), 0);
    ck_assert_uint_eq(kpi_series_footprint(NULL), 0);
    kpi_series_free(NULL);
    kpi_series_reset(NULL);
    kpi_series_free(s);
}
END_TEST

static const double weekly[7] = {120, 135, 130, 128, 140, 60, 40};

/* Feed `days` daily values (pattern + trend*day + noise) as counts. */
static kpi_series *weekly_series(int days, double trend, double noise,
                                 uint64_t seed)
{
    kpi_series *s;
    test_rng r = {seed};
    ck_assert_ok(kpi_series_new(&s, DAY, 60, 0));
    ck_assert_ok(kpi_series_set_forecast(s, 7, 0.2, 0.05, 0.3));
    for (int d = 0; d < days; d++) {
        double y = weekly[d % 7] + trend * d +
                   noise * (test_uniform(&r) * 2.0 - 1.0);
        ck_assert_ok(kpi_series_add(s, (int64_t)d * DAY + 1000, y));
    }
    return s;
}

START_TEST(holt_winters_recovers_a_noise_free_week)
{
    /* 70 days fed: day 69 is open, 69 closed */
    kpi_series *s = weekly_series(70, 0.0, 0.0, 1);
    double f[14];
    ck_assert_ok(kpi_series_forecast(s, 14, f, 14));
    for (int h = 0; h < 14; h++)
        ck_assert_near(f[h], weekly[(69 + h) % 7], 1e-6);
    double mae, smape;
    ck_assert_ok(kpi_series_forecast_error(s, &mae, &smape));
    ck_assert_near(mae, 0, 1e-9);
    ck_assert_near(smape, 0, 1e-9);
    kpi_estimate e;
    ck_assert_ok(kpi_series_forecast_interval(s, 3, &e));
    ck_assert_near(e.value, weekly[(69 + 2) % 7], 1e-6);
    ck_assert_uint_eq(e.n, 69 - 14);
    ck_assert_near(e.upper - e.lower, 0, 1e-6);
    ck_assert_status(kpi_series_forecast(s, 14, f, 13), KPI_ERR_BUFFER);
    ck_assert_status(kpi_series_forecast(s, 0, f, 14), KPI_ERR_RANGE);
    ck_assert_status(kpi_series_forecast_interval(s, 0, &e), KPI_ERR_RANGE);
    kpi_series_free(s);
}
END_TEST

START_TEST(holt_winters_initialises_after_two_seasons_classically)
{
    /* y = 10 + d for d in 0..13, season 7: L0 = 13, T0 = 7/7 = 1 */
    kpi_series *s;
    ck_assert_ok(kpi_series_new(&s, DAY, 30, 0));
    ck_assert_ok(kpi_series_set_forecast(s, 7, 0.5, 0.5, 0.5));
    for (int d = 0; d < 14; d++)
        ck_assert_ok(kpi_series_add(s, (int64_t)d * DAY, 10.0 + d));
    double f[1];
    ck_assert_status(kpi_series_forecast(s, 1, f, 1), KPI_ERR_EMPTY);
    ck_assert_ok(kpi_series_add(s, 14 * DAY, 24)); /* closes day 13 */
    ck_assert_ok(kpi_series_forecast(s, 1, f, 1));
    /* hand recursion of the documented equations */
    double L = 13, T = 1, S[7];
    for (int i = 0; i < 7; i++)
        S[i] = 10.0 + i - 13;
    for (int t = 7; t < 14; t++) {
        double y = 10.0 + t, lp = .5 * (y - S[t % 7]) + .5 * (L + T);
        T = .5 * (lp - L) + .5 * T;
        S[t % 7] = .5 * (y - lp) + .5 * S[t % 7];
        L = lp;
    }
    ck_assert_near(f[0], L + T + S[14 % 7], 1e-9);
    double mae;
    ck_assert_status(kpi_series_forecast_error(s, &mae, NULL), KPI_ERR_EMPTY);
    kpi_series_free(s);
}
END_TEST

START_TEST(holt_winters_tracks_a_noisy_trending_week)
{
    kpi_series *s = weekly_series(56 + 1, 0.5, 8.0, 42);
    double f[7];
    ck_assert_ok(kpi_series_forecast(s, 7, f, 7));
    for (int h = 0; h < 7; h++) {
        int d = 56 + h;
        double truth = weekly[d % 7] + 0.5 * d;
        ck_assert_msg(fabs(f[h] - truth) < 0.12 * truth, "h=%d f=%g truth=%g",
                      h, f[h], truth);
    }
    double mae, smape;
    ck_assert_ok(kpi_series_forecast_error(s, &mae, &smape));
    ck_assert_msg(smape < 0.15, "smape %g", smape);
    kpi_estimate e;
    ck_assert_ok(kpi_series_forecast_interval(s, 4, &e));
    ck_assert(e.lower < e.value && e.value < e.upper);
    kpi_estimate e1;
    ck_assert_ok(kpi_series_forecast_interval(s, 1, &e1));
    /* m = 7, alpha .2, beta .05, gamma .3: c_j = .2 (1 + .05 j) (no j of
     * 1..3 is a multiple of 7): .21, .22, .23; squares .0441 + .0484 +
     * .0529 = .1454; the width at h = 4 is sqrt(1.1454) times that at 1
     * (not sqrt(4) = 2) */
    ck_assert_near((e.upper - e.lower) / (e1.upper - e1.lower), sqrt(1.1454), 1e-9);
    kpi_series_free(s);
}
END_TEST

START_TEST(merge_is_commutative)
{
    test_rng r = {7};
    for (int round = 0; round < 20; round++) {
        kpi_series *a, *b, *all;
        ck_assert_ok(kpi_series_new(&a, 1000, 16, 3));
        ck_assert_ok(kpi_series_new(&b, 1000, 16, 3));
        ck_assert_ok(kpi_series_new(&all, 1000, 16, 3));
        int64_t ta = 0, tb = (int64_t)test_range(&r, 0, 40000);
        for (int i = 0; i < 200; i++) {
            int to_a = test_range(&r, 0, 1);
            int64_t *t = to_a ? &ta : &tb;
            *t += test_range(&r, 0, 700);
            double amt = (double)test_range(&r, 0, 5);
            ck_assert_ok(kpi_series_add(to_a ? a : b, *t, amt));
        }
        kpi_series *ref;
        ck_assert_ok(kpi_series_clone(a, &ref));
        ck_assert_ok(kpi_series_merge(ref, b));
        kpi_series *ref2;
        ck_assert_ok(kpi_series_clone(b, &ref2));
        ck_assert_ok(kpi_series_merge(ref2, a));
        series_same(ref, ref2);
        kpi_series_free(ref);
        kpi_series_free(ref2);
        kpi_series_free(a);
        kpi_series_free(b);
        kpi_series_free(all);
    }
}
END_TEST

START_TEST(merge_matches_a_sorted_single_stream)
{
    test_rng r = {11};
    for (int round = 0; round < 20; round++) {
        int64_t ts[300];
        double am[300];
        int64_t t = 0;
        for (int i = 0; i < 300; i++) {
            t += test_range(&r, 0, 300);
            ts[i] = t;
            am[i] = (double)test_range(&r, 1, 3);
        }
        kpi_series *a, *b, *all;
        ck_assert_ok(kpi_series_new(&a, 1000, 8, 0));
        ck_assert_ok(kpi_series_new(&b, 1000, 8, 0));
        ck_assert_ok(kpi_series_new(&all, 1000, 8, 0));
        ck_assert_ok(kpi_series_add_array(all, ts, am, 300));
        for (int i = 0; i < 300; i++)
            ck_assert_ok(kpi_series_add(test_range(&r, 0, 1) ? a : b, ts[i], am[i]));
        ck_assert_ok(kpi_series_merge(a, b));
        double va[8], vb[8], x, y;
        size_t n;
        int64_t fa, fb;
        ck_assert_ok(kpi_series_values(a, va, 8, &n, &fa));
        ck_assert_ok(kpi_series_values(all, vb, 8, &n, &fb));
        ck_assert(fa == fb);
        for (int i = 0; i < 8; i++)
            ck_assert_near(va[i], vb[i], 0);
        ck_assert_ok(kpi_series_total(a, &x));
        ck_assert_ok(kpi_series_total(all, &y));
        ck_assert_near(x, y, 0);
        kpi_series_free(a);
        kpi_series_free(b);
        kpi_series_free(all);
    }
}
END_TEST

START_TEST(merge_rules_for_configuration_and_forecasts)
{
    kpi_series *a, *b, *c, *before;
    ck_assert_ok(kpi_series_new(&a, HOUR, 4, 0));
    ck_assert_ok(kpi_series_new(&b, HOUR, 5, 0));
    ck_assert_ok(kpi_series_add(a, HOUR, 1));
    ck_assert_ok(kpi_series_clone(a, &before));
    ck_assert_status(kpi_series_merge(a, b), KPI_ERR_INCOMPATIBLE);
    kpi_series_free(b);
    ck_assert_ok(kpi_series_new(&b, HOUR, 4, 1));
    ck_assert_status(kpi_series_merge(a, b), KPI_ERR_INCOMPATIBLE);
    kpi_series_free(b);
    ck_assert_ok(kpi_series_new(&b, HOUR, 4, 0));
    ck_assert_ok(kpi_series_set_forecast(b, 2, .5, .5, .5));
    ck_assert_ok(kpi_series_merge(a, b)); /* empty source: no-op */
    series_same(a, before);
    ck_assert_ok(kpi_series_add(b, 3 * HOUR, 1));
    ck_assert_status(kpi_series_merge(a, b), KPI_ERR_INCOMPATIBLE);
    series_same(a, before);
    ck_assert_status(kpi_series_merge(a, NULL), KPI_ERR_INVALID);
    /* into an empty series with the same forecast: a copy */
    ck_assert_ok(kpi_series_new(&c, HOUR, 4, 0));
    ck_assert_ok(kpi_series_set_forecast(c, 2, .5, .5, .5));
    ck_assert_ok(kpi_series_merge(c, b));
    series_same(c, b);
    ck_assert_status(kpi_series_merge(c, c), KPI_ERR_INCOMPATIBLE);
    /* self-merge without forecast doubles */
    ck_assert_ok(kpi_series_merge(a, a));
    double v;
    ck_assert_ok(kpi_series_total(a, &v));
    ck_assert_near(v, 2, 0);
    kpi_series_free(a);
    kpi_series_free(b);
    kpi_series_free(c);
    kpi_series_free(before);
}
END_TEST

/* series.h, kpi_series_merge(): KPI_ERR_INCOMPATIBLE "if ... dst is empty
 * and the forecast configurations differ", whether or not src is empty too;
 * and kpi_group_merge() refuses groups whose members' configurations differ
 * (group.h), which it tells by merging the two empty prototypes. */
START_TEST(an_empty_series_refuses_an_empty_one_with_another_forecast)
{
    kpi_series *plain, *fc, *fc2, *before;
    ck_assert_ok(kpi_series_new(&plain, HOUR, 4, 0));
    ck_assert_ok(kpi_series_new(&fc, HOUR, 4, 0));
    ck_assert_ok(kpi_series_set_forecast(fc, 2, .5, .5, .5));
    ck_assert_ok(kpi_series_new(&fc2, HOUR, 4, 0));
    ck_assert_ok(kpi_series_set_forecast(fc2, 2, .5, .5, .25));
    ck_assert_ok(kpi_series_clone(plain, &before));
    /* no forecast <- m = 2; m = 2 <- none; gamma .5 <- gamma .25 */
    ck_assert_status(kpi_series_merge(plain, fc), KPI_ERR_INCOMPATIBLE);
    series_same(plain, before);
    kpi_series_free(before);
    ck_assert_ok(kpi_series_clone(fc, &before));
    ck_assert_status(kpi_series_merge(fc, plain), KPI_ERR_INCOMPATIBLE);
    series_same(fc, before);
    ck_assert_status(kpi_series_merge(fc, fc2), KPI_ERR_INCOMPATIBLE);
    series_same(fc, before);
    /* the same forecast, or an empty source into a started series: fine */
    kpi_series *same;
    ck_assert_ok(kpi_series_clone(fc, &same));
    ck_assert_ok(kpi_series_merge(fc, same));
    series_same(fc, before);
    ck_assert_ok(kpi_series_add(plain, HOUR, 1));
    ck_assert_ok(kpi_series_merge(plain, fc));
    /* groups of series with and without a forecast do not merge */
    kpi_group *gp, *gf;
    ck_assert_ok(kpi_group_new(&gp, plain));
    ck_assert_ok(kpi_group_new(&gf, fc));
    ck_assert_status(kpi_group_merge(gp, gf), KPI_ERR_INCOMPATIBLE);
    ck_assert_status(kpi_group_merge(gf, gp), KPI_ERR_INCOMPATIBLE);
    ck_assert_uint_eq(kpi_group_size(gp), 0);
    ck_assert_uint_eq(kpi_group_size(gf), 0);
    /* a saved group whose empty member's gamma was edited (.5 -> .25, the
     * last 0.5 of the state, resealed) is corrupt: it decoded, and the
     * group's total then refused the member as INCOMPATIBLE */
    void *m;
    ck_assert_ok(kpi_group_get(gf, 7, &m));
    size_t len, at = 0;
    ck_assert_ok(kpi_group_serialize(gf, NULL, 0, &len));
    unsigned char *b = malloc(len);
    ck_assert_ok(kpi_group_serialize(gf, b, len, &len));
    const double quarter = .25;
    unsigned char half[8];
    test_put_f64(half, .5);
    for (size_t i = 0; i + 8 <= len; i++)
        if (memcmp(b + i, half, 8) == 0)
            at = i;
    ck_assert_uint_gt(at, 0);
    test_put_f64(b + at, quarter);
    test_reseal(b, len);
    kpi_group *back = NULL;
    ck_assert_status(kpi_group_deserialize(&back, b, len), KPI_ERR_CORRUPT);
    free(b);
    kpi_group_free(gp);
    kpi_group_free(gf);
    kpi_series_free(plain);
    kpi_series_free(fc);
    kpi_series_free(fc2);
    kpi_series_free(same);
    kpi_series_free(before);
}
END_TEST

START_TEST(serialize_round_trips_with_identical_bytes)
{
    kpi_series *s = weekly_series(40, 0.3, 5.0, 3);
    kpi_series *warm = weekly_series(10, 0, 0, 3); /* model not yet fitted */
    kpi_series *plain, *empty;
    ck_assert_ok(kpi_series_new(&plain, 1000, 5, -7));
    ck_assert_ok(kpi_series_new(&empty, 1000, 5, -7));
    ck_assert_ok(kpi_series_add(plain, 12345, 2.5));
    kpi_series *objs[4] = {s, warm, plain, empty};
    for (int i = 0; i < 4; i++) {
        size_t len;
        unsigned char *b = series_bytes(objs[i], &len);
        kpi_series *d;
        ck_assert_ok(kpi_series_deserialize(&d, b, len));
        series_same(objs[i], d);
        /* and they continue identically */
        ck_assert_ok(kpi_series_add(objs[i], 40 * DAY + 5, 100));
        ck_assert_ok(kpi_series_add(d, 40 * DAY + 5, 100));
        series_same(objs[i], d);
        kpi_series_free(d);
        free(b);
    }
    double f1[3];
    ck_assert_ok(kpi_series_forecast(s, 3, f1, 3));
    for (int i = 0; i < 4; i++)
        kpi_series_free(objs[i]);
}
END_TEST

START_TEST(corrupt_truncated_and_foreign_bytes_are_rejected)
{
    kpi_series *s = weekly_series(20, 0.3, 5.0, 3);
    size_t len;
    unsigned char *b = series_bytes(s, &len);
    kpi_series *d = NULL;
    for (size_t cut = 0; cut < len; cut++)
        ck_assert_int_lt(kpi_series_deserialize(&d, b, cut), 0);
    for (size_t i = 0; i < len; i += 3) {
        b[i] ^= 0x10;
        ck_assert_int_lt(kpi_series_deserialize(&d, b, len), 0);
        b[i] ^= 0x10;
    }
    ck_assert_ptr_null(d);
    b[6] = 2; /* another type tag */
    ck_assert_int_lt(kpi_series_deserialize(&d, b, len), 0);
    ck_assert_status(kpi_series_deserialize(&d, NULL, len), KPI_ERR_INVALID);
    free(b);
    kpi_series_free(s);
}
END_TEST

START_TEST(allocation_failures_leave_nothing_behind)
{
    test_alloc t;
    kpi_allocator al = test_allocator(&t);
    kpi_series *s = NULL;
    for (long f = 1;; f++) {
        t.fail_at = t.calls + f;
        int rc = kpi_series_new_with(&s, HOUR, 8, 0, &al);
        if (rc == KPI_OK)
            break;
        ck_assert_status(rc, KPI_ERR_NOMEM);
        ck_assert_int_eq(t.live, 0);
    }
    t.fail_at = 0;
    ck_assert_int_ge(t.mallocs, 2);
    ck_assert_ok(kpi_series_add(s, HOUR, 1));
    kpi_series_reset(s);
    long live = t.live;
    t.fail_at = t.calls + 1;
    ck_assert_status(kpi_series_set_forecast(s, 3, .5, .5, .5), KPI_ERR_NOMEM);
    ck_assert_int_eq(t.live, live);
    t.fail_at = 0;
    ck_assert_ok(kpi_series_set_forecast(s, 3, .5, .5, .5));
    for (int i = 0; i < 12; i++)
        ck_assert_ok(kpi_series_add(s, i * HOUR, i));
    size_t len;
    unsigned char *b = series_bytes(s, &len);
    for (long f = 1;; f++) {
        live = t.live;
        t.fail_at = t.calls + f;
        kpi_series *c = NULL;
        int rc = kpi_series_clone(s, &c);
        t.fail_at = 0;
        if (rc == KPI_OK) {
            kpi_series_free(c);
            break;
        }
        ck_assert_status(rc, KPI_ERR_NOMEM);
        ck_assert_int_eq(t.live, live);
    }
    for (long f = 1;; f++) {
        live = t.live;
        t.fail_at = t.calls + f;
        kpi_series *c = NULL;
        int rc = kpi_series_deserialize_with(&c, b, len, &al);
        t.fail_at = 0;
        if (rc == KPI_OK) {
            series_same(s, c);
            kpi_series_free(c);
            break;
        }
        ck_assert_status(rc, KPI_ERR_NOMEM);
        ck_assert_int_eq(t.live, live);
    }
    /* merge into an object with a forecast copies without allocating */
    kpi_series *e;
    ck_assert_ok(kpi_series_new_with(&e, HOUR, 8, 0, &al));
    ck_assert_ok(kpi_series_set_forecast(e, 3, .5, .5, .5));
    t.fail_at = t.calls + 1;
    ck_assert_ok(kpi_series_merge(e, s));
    t.fail_at = 0;
    series_same(e, s);
    ck_assert_uint_eq(kpi_series_footprint(s),
                      kpi_series_footprint(e));
    ck_assert_uint_ge(kpi_series_footprint(s), 8 * 8 + 6 * 8);
    kpi_series_free(e);
    kpi_series_free(s);
    free(b);
    ck_assert_int_eq(t.live, 0);
}
END_TEST


/* Floor division, as the ring's period index. */
static int64_t fdiv(int64_t a, int64_t b)
{
    int64_t q = a / b;
    return (a % b < 0) ? q - 1 : q;
}

START_TEST(random_streams_match_a_naive_recount_and_the_batch_form)
{
    test_rng r = {2024};
    for (int round = 0; round < 40; round++) {
        const int64_t period = 100, origin = -37;
        const uint32_t len = 6;
        kpi_series *one, *batch;
        ck_assert_ok(kpi_series_new(&one, period, len, origin));
        ck_assert_ok(kpi_series_new(&batch, period, len, origin));
        int64_t now = test_range(&r, -1000, 1000), newest = 0;
        int started = 0;
        size_t nacc = 0;
        int64_t at[400];
        double aa[400];
        for (int i = 0; i < 400; i++) {
            now += test_range(&r, 0, 30);
            int64_t t = now - test_range(&r, 0, 800); /* some too old */
            double a = test_range(&r, 0, 2) ? 1.0 : (double)test_range(&r, 0, 9);
            int64_t k = fdiv(t - origin, period);
            int ok = !started || k > newest - (int64_t)len;
            int rc = kpi_series_add(one, t, a);
            ck_assert_int_eq(rc, ok ? KPI_OK : KPI_ERR_ORDER);
            if (ok) {
                at[nacc] = t;
                aa[nacc++] = a;
                if (!started || k > newest)
                    newest = k;
                started = 1;
            }
        }
        /* naive recount of the ring from the accepted events */
        double want[6] = {0}, total = 0;
        for (size_t i = 0; i < nacc; i++) {
            int64_t k = fdiv(at[i] - origin, period);
            total += aa[i];
            if (k > newest - (int64_t)len)
                want[k - (newest - (int64_t)len + 1)] += aa[i];
        }
        assert_values(one, want, len, origin + (newest - (int64_t)len + 1) * period);
        double v;
        ck_assert_ok(kpi_series_total(one, &v));
        ck_assert_near(v, total, 0);
        /* the accepted events as one batch give the same state */
        ck_assert_ok(kpi_series_add_array(batch, at, aa, nacc));
        series_same(one, batch);
        kpi_series_free(one);
        kpi_series_free(batch);
    }
}
END_TEST

/* The bits of a double, to compare sums exactly (0.0 vs -0.0 included). */
static uint64_t bits(double x)
{
    uint64_t b;
    memcpy(&b, &x, sizeof b);
    return b;
}

START_TEST(period_sums_equal_the_in_order_double_sum_bit_for_bit)
{
    /* amounts mixing whole numbers (small, negative, near 2^52 and 2^53,
     * where an integer sum would round differently from the double sum)
     * and fractions; one period of one hour */
    const double big = 4503599627370496.0; /* 2^52 */
    const double pool[] = {1.0, 1.0, 1.0, 2.0, -3.0, 0.0, -0.0, 0.1, 0.7,
                           1e-3, 1e17, -1e17, big, big + 1.0, -big, 3.0};
    const size_t npool = sizeof pool / sizeof pool[0];
    test_rng r = {2024};
    for (int round = 0; round < 400; round++) {
        kpi_series *one, *batch;
        ck_assert_ok(kpi_series_new(&one, HOUR, 4, 0));
        ck_assert_ok(kpi_series_new(&batch, HOUR, 4, 0));
        int64_t ts[64];
        double am[64];
        volatile double want = 0.0; /* the plain in-order sum */
        size_t n = (size_t)test_range(&r, 1, 64);
        /* some rounds whole numbers only, some with a fraction late */
        int whole_only = round % 3 == 0;
        for (size_t i = 0; i < n; i++) {
            double a = pool[test_range(&r, 0, (int64_t)npool - 1)];
            if (whole_only && a != floor(a))
                a = 5.0;
            ts[i] = HOUR + (int64_t)i;
            am[i] = a;
            want = want + a;
            ck_assert_ok(kpi_series_add(one, ts[i], a));
            double v;
            ck_assert_ok(kpi_series_period(one, ts[i], &v));
            ck_assert_uint_eq(bits(v), bits(want));
        }
        ck_assert_ok(kpi_series_add_array(batch, ts, am, n));
        double v, t;
        ck_assert_ok(kpi_series_period(batch, HOUR, &v));
        ck_assert_uint_eq(bits(v), bits(want));
        ck_assert_ok(kpi_series_total(one, &t));
        ck_assert_uint_eq(bits(t), bits(want));
        series_same(one, batch);
        /* the state round trips and goes on summing in order */
        size_t len;
        ck_assert_ok(kpi_series_serialize(one, NULL, 0, &len));
        unsigned char *buf = malloc(len);
        ck_assert_ok(kpi_series_serialize(one, buf, len, &len));
        kpi_series *back;
        ck_assert_ok(kpi_series_deserialize(&back, buf, len));
        ck_assert_ok(kpi_series_add(back, HOUR + 100, 0.25));
        ck_assert_ok(kpi_series_add(one, HOUR + 100, 0.25));
        ck_assert_ok(kpi_series_add(back, HOUR + 101, 7.0));
        ck_assert_ok(kpi_series_add(one, HOUR + 101, 7.0));
        want = want + 0.25;
        want = want + 7.0;
        ck_assert_ok(kpi_series_period(back, HOUR, &v));
        ck_assert_uint_eq(bits(v), bits(want));
        series_same(one, back);
        free(buf);
        kpi_series_free(back);
        kpi_series_free(one);
        kpi_series_free(batch);
    }
    /* a hand-computed case: past 2^53 the double sum rounds to even */
    kpi_series *s;
    ck_assert_ok(kpi_series_new(&s, HOUR, 2, 0));
    for (int i = 0; i < 3; i++)
        ck_assert_ok(kpi_series_add(s, 0, big));
    ck_assert_ok(kpi_series_add(s, 0, 1.0)); /* 3 * 2^52 + 1 is a tie */
    double v;
    ck_assert_ok(kpi_series_period(s, 0, &v));
    ck_assert(v == 3.0 * big);
    /* 0.1 + 1 + 0.1 in order differs from 0.1 + 0.1 + 1 */
    ck_assert_ok(kpi_series_add(s, HOUR, 0.1));
    ck_assert_ok(kpi_series_add(s, HOUR, 1.0));
    ck_assert_ok(kpi_series_add(s, HOUR, 0.1));
    volatile double x = 0.1;
    x = x + 1.0;
    x = x + 0.1;
    ck_assert_ok(kpi_series_period(s, HOUR, &v));
    ck_assert_uint_eq(bits(v), bits(x));
    kpi_series_free(s);
}
END_TEST

START_TEST(a_state_written_before_the_integer_sum_reads_back)
{
    /* tests/data/series-v1.bin was written by the revision before the
     * integer accumulator (the state format is unchanged): hourly, 6
     * periods, 40 events 1,000 s apart with amounts 1, 2.5, 1, 7, 0.25, 1,
     * 1, 3 in turn, then two of 1.0 at 40,000 s */
    size_t glen, len;
    unsigned char *g = test_read_file(test_data_path("series-v1.bin"), &glen);
    ck_assert_msg(g != NULL, "missing %s", test_data_path("series-v1.bin"));
    kpi_series *s;
    ck_assert_ok(kpi_series_deserialize(&s, g, glen));
    const double want[6] = {7.5, 8.25, 6, 10.5, 5.25, 2};
    assert_values(s, want, 6, 6 * HOUR);
    double t;
    ck_assert_ok(kpi_series_total(s, &t));
    ck_assert(t == 85.75);
    ck_assert_ok(kpi_series_serialize(s, NULL, 0, &len));
    unsigned char *b = malloc(len);
    ck_assert_ok(kpi_series_serialize(s, b, len, &len));
    ck_assert(len == glen && memcmp(b, g, len) == 0);
    /* the newest period (2.0, whole) goes on summing in order */
    ck_assert_ok(kpi_series_add(s, 40000001, 0.5));
    ck_assert_ok(kpi_series_period(s, 40000001, &t));
    ck_assert(t == 2.5);
    free(b);
    free(g);
    kpi_series_free(s);
}
END_TEST

START_TEST(self_merge_allocation_failure_changes_nothing)
{
    test_alloc t;
    kpi_allocator al = test_allocator(&t);
    kpi_series *s, *before;
    ck_assert_ok(kpi_series_new_with(&s, 10, 4, 0, &al));
    ck_assert_ok(kpi_series_add(s, 5, 2));
    ck_assert_ok(kpi_series_add(s, 25, 1));
    ck_assert_ok(kpi_series_clone(s, &before));
    for (long f = 1; f <= 2; f++) {
        long live = t.live;
        t.fail_at = t.calls + f;
        ck_assert_status(kpi_series_merge(s, s), KPI_ERR_NOMEM);
        t.fail_at = 0;
        ck_assert_int_eq(t.live, live);
        series_same(s, before);
    }
    ck_assert_ok(kpi_series_merge(s, s));
    double v;
    ck_assert_ok(kpi_series_total(s, &v));
    ck_assert_near(v, 6, 0);
    kpi_series_free(s);
    kpi_series_free(before);
    ck_assert_int_eq(t.live, 0);
}
END_TEST

START_TEST(an_empty_series_takes_only_the_same_forecast)
{
    kpi_series *src, *d, *before;
    ck_assert_ok(kpi_series_new(&src, HOUR, 4, 0));
    ck_assert_ok(kpi_series_set_forecast(src, 2, .5, .5, .5));
    ck_assert_ok(kpi_series_add(src, HOUR, 3));
    /* dst empty: other alpha, beta, gamma, season, or none at all */
    static const double par[4][3] = {{.4, .5, .5}, {.5, .4, .5}, {.5, .5, .4}, {.5, .5, .5}};
    for (int i = 0; i < 5; i++) {
        ck_assert_ok(kpi_series_new(&d, HOUR, 4, 0));
        if (i < 4)
            ck_assert_ok(kpi_series_set_forecast(d, i < 3 ? 2 : 3, par[i][0], par[i][1],
                                                 par[i][2]));
        ck_assert_ok(kpi_series_clone(d, &before));
        ck_assert_status(kpi_series_merge(d, src), KPI_ERR_INCOMPATIBLE);
        series_same(d, before);
        kpi_series_free(before);
        kpi_series_free(d);
    }
    kpi_series_free(src);
}
END_TEST

/* The period of a time depends only on the boundaries: an origin far from
 * the event times (a boundary of the same grid, or INT64_MIN) must not
 * refuse a time whose period starts and ends within int64, though the
 * difference time - origin passes the int64 range.
 * Days from origin O = INT64_MAX / DAY * DAY = 106751991167 * 86400000
 * = 9223372036828800000 are the days from 0 (O is a multiple of DAY):
 * -5 DAY and -4 DAY - 1 lie in the day starting at -5 DAY = -432000000,
 * 3 DAY in the day starting at 259200000 (values 2 and 1, total 3).
 * From origin INT64_MIN = -2^63, day boundaries are -2^63 + k DAY; 2^63 =
 * 106751991167 DAY + 25975808, so times -1 and 0 lie in the day
 * starting at -2^63 + 106751991167 DAY = -25975808 (1 + 2 = 3), and
 * 60424192 = -25975808 + DAY starts the next day (4). */
START_TEST(an_origin_far_from_the_times_does_not_refuse_them)
{
    const int64_t far = INT64_MAX / DAY * DAY;
    kpi_series *s, *z;
    ck_assert_ok(kpi_series_new(&s, DAY, 10, far));
    ck_assert_ok(kpi_series_new(&z, DAY, 10, 0));
    const int64_t t[3] = {-5 * DAY, -4 * DAY - 1, 3 * DAY};
    for (int i = 0; i < 3; i++) {
        ck_assert_ok(kpi_series_add(z, t[i], 1));
        ck_assert_ok(kpi_series_add(s, t[i], 1));
    }
    double v;
    ck_assert_ok(kpi_series_period(s, -5 * DAY, &v));
    ck_assert_near(v, 2, 0);
    ck_assert_ok(kpi_series_period(s, 3 * DAY + 5, &v));
    ck_assert_near(v, 1, 0);
    ck_assert_ok(kpi_series_total(s, &v));
    ck_assert_near(v, 3, 0);
    int64_t st;
    ck_assert_ok(kpi_series_latest(s, &st));
    ck_assert(st == 3 * DAY);
    const double want[10] = {0, 2, 0, 0, 0, 0, 0, 0, 0, 1};
    assert_values(s, want, 10, -6 * DAY);
    assert_values(z, want, 10, -6 * DAY);
    kpi_series_free(s);
    kpi_series_free(z);
    /* newest period -5 DAY: index -106751991172, whose offset k DAY alone
     * passes INT64_MIN; the state reads back */
    ck_assert_ok(kpi_series_new(&s, DAY, 10, far));
    ck_assert_ok(kpi_series_add(s, -5 * DAY, 1));
    z = series_reread(s);
    series_same(z, s);
    assert_values(z, (const double[10]){0, 0, 0, 0, 0, 0, 0, 0, 0, 1}, 10, -14 * DAY);
    kpi_series_free(s);
    kpi_series_free(z);
    /* origin INT64_MIN */
    ck_assert_ok(kpi_series_new(&s, DAY, 2, INT64_MIN));
    ck_assert_ok(kpi_series_add(s, -1, 1));
    ck_assert_ok(kpi_series_add(s, 0, 2));
    ck_assert_ok(kpi_series_add(s, 60424192, 4));
    ck_assert_ok(kpi_series_latest(s, &st));
    ck_assert(st == 60424192);
    const double want2[2] = {3, 4};
    assert_values(s, want2, 2, -25975808);
    kpi_series_free(s);
}
END_TEST

/* The period holding INT64_MAX ends after the last representable time. */
START_TEST(the_last_period_of_time_holds_int64_max)
{
    kpi_series *s, *b;
    ck_assert_ok(kpi_series_new(&s, HOUR, 3, 0));
    ck_assert_ok(kpi_series_new(&b, HOUR, 3, 0));
    const int64_t last = INT64_MAX / HOUR * HOUR;
    const int64_t t[4] = {last - 1, INT64_MAX, last, INT64_MAX};
    const double a[4] = {1, 2, 4, 8};
    for (int i = 0; i < 4; i++)
        ck_assert_ok(kpi_series_add(s, t[i], a[i]));
    ck_assert_ok(kpi_series_add_array(b, t, a, 4));
    series_same(s, b);
    double v;
    ck_assert_ok(kpi_series_period(s, INT64_MAX, &v));
    ck_assert_near(v, 14, 0);
    ck_assert_ok(kpi_series_period(s, last - 1, &v));
    ck_assert_near(v, 1, 0);
    int64_t st;
    ck_assert_ok(kpi_series_latest(s, &st));
    ck_assert(st == last);
    ck_assert_ok(kpi_series_total(s, &v));
    ck_assert_near(v, 15, 0);
    const double want[3] = {0, 1, 14};
    assert_values(s, want, 3, last - 2 * HOUR);
    kpi_series_free(s);
    kpi_series_free(b);
}
END_TEST

/* With 1 ms periods the period holding INT64_MIN is representable; the
 * ring's older periods would lie before it (they exist as zeros only). */
START_TEST(the_first_period_of_time_holds_int64_min)
{
    kpi_series *s, *b;
    ck_assert_ok(kpi_series_new(&s, 1, 3, 0));
    ck_assert_ok(kpi_series_new(&b, 1, 3, 0));
    ck_assert_ok(kpi_series_add(s, INT64_MIN, 5));
    double v[3];
    size_t n;
    int64_t first;
    ck_assert_ok(kpi_series_values(s, v, 3, &n, &first));
    ck_assert(v[0] == 0 && v[1] == 0 && v[2] == 5);
    ck_assert(first == INT64_MIN); /* clamped, as documented */
    double x;
    ck_assert_ok(kpi_series_last(s, 3, &x));
    ck_assert_near(x, 5, 0);
    /* the state round trips; a merge takes only the real periods */
    kpi_series *d = series_reread(s);
    series_same(s, d);
    ck_assert_ok(kpi_series_values(d, v, 3, &n, &first));
    ck_assert(v[0] == 0 && v[1] == 0 && v[2] == 5);
    ck_assert_ok(kpi_series_add(b, INT64_MIN + 1, 2));
    ck_assert_ok(kpi_series_merge(b, s));
    ck_assert_ok(kpi_series_values(b, v, 3, &n, &first));
    ck_assert(v[0] == 0 && v[1] == 5 && v[2] == 2);
    ck_assert(first == INT64_MIN);
    ck_assert_ok(kpi_series_merge(s, d));
    ck_assert_ok(kpi_series_values(s, v, 3, &n, &first));
    ck_assert(v[0] == 0 && v[1] == 0 && v[2] == 10);
    ck_assert_ok(kpi_series_total(s, &x));
    ck_assert_near(x, 10, 0);
    kpi_series_free(d);
    kpi_series_free(s);
    kpi_series_free(b);
}
END_TEST

START_TEST(bad_forecast_parameters_and_batches_change_nothing)
{
    kpi_series *s;
    ck_assert_ok(kpi_series_new(&s, HOUR, 4, 0));
    ck_assert_ok(kpi_series_set_forecast(s, 2, .5, .5, .5));
    size_t len;
    unsigned char *before = series_bytes(s, &len);
    const double bad[5] = {INFINITY, -INFINITY, -0.5, 0.0, 1.5};
    for (int i = 0; i < 5; i++) {
        ck_assert_status(kpi_series_set_forecast(s, 3, bad[i], .5, .5), KPI_ERR_RANGE);
        ck_assert_status(kpi_series_set_forecast(s, 3, .5, bad[i], .5), KPI_ERR_RANGE);
        ck_assert_status(kpi_series_set_forecast(s, 3, .5, .5, bad[i]), KPI_ERR_RANGE);
    }
    ck_assert_status(kpi_series_set_forecast(s, 3, NAN, .5, .5), KPI_ERR_INVALID);
    ck_assert_status(kpi_series_set_forecast(s, 3, .5, NAN, .5), KPI_ERR_INVALID);
    ck_assert_status(kpi_series_set_forecast(s, KPI_SERIES_MAX_SEASON + 1, .5, .5, .5),
                     KPI_ERR_RANGE);
    ck_assert_status(kpi_series_set_forecast(NULL, 3, .5, .5, .5), KPI_ERR_INVALID);
    series_unchanged(s, before, len);
    free(before);
    /* a batch whose second event jumps more than 1,000,000 periods */
    ck_assert_ok(kpi_series_add(s, 0, 1));
    before = series_bytes(s, &len);
    const int64_t t[3] = {HOUR, 2 * HOUR + 1000001 * HOUR, 3 * HOUR};
    ck_assert_status(kpi_series_add_array(s, t, NULL, 3), KPI_ERR_RANGE);
    const double a[2] = {1, -INFINITY};
    ck_assert_status(kpi_series_add_array(s, t, a, 2), KPI_ERR_INVALID);
    series_unchanged(s, before, len);
    free(before);
    kpi_series_free(s);
}
END_TEST

/* kpi_series_values() and kpi_series_forecast() take a NULL buffer of
 * capacity 0, as kpi_group_keys() and kpi_score_distribution() do: a
 * query that writes nothing but the count (values) and says
 * KPI_ERR_BUFFER; a NULL buffer with a capacity stays KPI_ERR_INVALID. */
START_TEST(values_and_forecast_take_a_null_buffer_of_capacity_0)
{
    kpi_series *s;
    ck_assert_ok(kpi_series_new(&s, HOUR, 6, 0));
    ck_assert_ok(kpi_series_set_forecast(s, 2, .5, .1, .1));
    for (int i = 0; i < 8; i++)
        ck_assert_ok(kpi_series_add(s, i * HOUR + 5, i + 1.0));
    size_t n = 77;
    int64_t st = 77;
    ck_assert_status(kpi_series_values(s, NULL, 0, &n, &st), KPI_ERR_BUFFER);
    ck_assert_uint_eq(n, 6);
    ck_assert_int_eq(st, 77);
    ck_assert_status(kpi_series_values(s, NULL, 6, &n, &st), KPI_ERR_INVALID);
    double v[6];
    ck_assert_ok(kpi_series_values(s, v, n, &n, &st));
    ck_assert_status(kpi_series_forecast(s, 3, NULL, 0), KPI_ERR_BUFFER);
    ck_assert_status(kpi_series_forecast(s, 3, NULL, 3), KPI_ERR_INVALID);
    ck_assert_status(kpi_series_forecast(s, 0, NULL, 0), KPI_ERR_RANGE);
    ck_assert_ok(kpi_series_forecast(s, 3, v, 3));
    kpi_series_free(s);
}
END_TEST

START_TEST(reads_refuse_null_outputs)
{
    kpi_series *s;
    ck_assert_ok(kpi_series_new(&s, HOUR, 3, 0));
    ck_assert_ok(kpi_series_set_forecast(s, 2, .5, .5, .5));
    ck_assert_ok(kpi_series_add(s, HOUR, 1));
    double v;
    int64_t st;
    size_t n, len;
    kpi_estimate e;
    ck_assert_status(kpi_series_period(s, HOUR, NULL), KPI_ERR_INVALID);
    ck_assert_status(kpi_series_last(s, 1, NULL), KPI_ERR_INVALID);
    ck_assert_status(kpi_series_latest(s, NULL), KPI_ERR_INVALID);
    ck_assert_status(kpi_series_values(s, NULL, 0, NULL, &st), KPI_ERR_INVALID);
    ck_assert_status(kpi_series_values(s, NULL, 1, &n, &st), KPI_ERR_INVALID);
    ck_assert_status(kpi_series_total(s, NULL), KPI_ERR_INVALID);
    ck_assert_status(kpi_series_forecast(s, 1, NULL, 1), KPI_ERR_INVALID);
    ck_assert_status(kpi_series_forecast(NULL, 1, &v, 1), KPI_ERR_INVALID);
    ck_assert_status(kpi_series_forecast_interval(s, 1, NULL), KPI_ERR_INVALID);
    ck_assert_status(kpi_series_forecast_interval(NULL, 1, &e), KPI_ERR_INVALID);
    ck_assert_status(kpi_series_forecast_error(NULL, &v, &v), KPI_ERR_INVALID);
    ck_assert_status(kpi_series_serialize(NULL, NULL, 0, &len), KPI_ERR_INVALID);
    kpi_series_free(s);
}
END_TEST

/* ---- review: ring edges, wraps, late events, merge, round trips -------- */

START_TEST(period_edges_belong_to_the_period_they_start)
{
    /* origin 7, period 10: periods [7 + 10k, 17 + 10k) */
    kpi_series *s;
    ck_assert_ok(kpi_series_new(&s, 10, 4, 7));
    ck_assert_ok(kpi_series_add(s, 6, 1));  /* [-3, 7): k = -1 */
    ck_assert_ok(kpi_series_add(s, 7, 2));  /* [7, 17): k = 0, an edge */
    ck_assert_ok(kpi_series_add(s, 16, 4)); /* last ms of k = 0 */
    ck_assert_ok(kpi_series_add(s, 17, 8)); /* k = 1, an edge */
    ck_assert_ok(kpi_series_add(s, -3, 16)); /* k = -1, its edge */
    ck_assert_ok(kpi_series_add(s, -4, 32)); /* k = -2, the oldest kept */
    const double want[4] = {32, 17, 6, 8};
    assert_values(s, want, 4, -13);
    int64_t st;
    ck_assert_ok(kpi_series_latest(s, &st));
    ck_assert(st == 17);
    double v;
    ck_assert_ok(kpi_series_period(s, 26, &v)); /* last ms of k = 1 */
    ck_assert_near(v, 8, 0);
    ck_assert_status(kpi_series_period(s, 27, &v), KPI_ERR_RANGE);
    ck_assert_ok(kpi_series_period(s, -13, &v));
    ck_assert_near(v, 32, 0);
    ck_assert_status(kpi_series_period(s, -14, &v), KPI_ERR_RANGE);
    /* the oldest kept period's first ms is accepted, the ms before not */
    unsigned char *before;
    size_t len;
    ck_assert_ok(kpi_series_add(s, -13, 64));
    before = series_bytes(s, &len);
    ck_assert_status(kpi_series_add(s, -14, 1), KPI_ERR_ORDER);
    series_unchanged(s, before, len);
    free(before);
    ck_assert_ok(kpi_series_total(s, &v));
    ck_assert_near(v, 127, 0);
    kpi_series_free(s);
}
END_TEST

START_TEST(a_jump_of_many_ring_lengths_leaves_no_stale_period)
{
    kpi_series *s;
    ck_assert_ok(kpi_series_new(&s, HOUR, 4, 0));
    for (int h = 0; h < 4; h++)
        ck_assert_ok(kpi_series_add(s, h * HOUR, 10.0 + h)); /* slots 0..3 */
    /* 13 periods on: the ring wraps three times over */
    ck_assert_ok(kpi_series_add(s, 16 * HOUR, 1));
    const double w1[4] = {0, 0, 0, 1};
    assert_values(s, w1, 4, 13 * HOUR);
    for (int h = 13; h < 16; h++) {
        double v = -1;
        ck_assert_ok(kpi_series_period(s, h * HOUR, &v));
        ck_assert_near(v, 0, 0); /* not 10 + h mod 4 */
    }
    double v;
    ck_assert_ok(kpi_series_last(s, 4, &v));
    ck_assert_near(v, 1, 0);
    ck_assert_ok(kpi_series_total(s, &v));
    ck_assert_near(v, 47, 0);
    /* a jump of exactly the ring length, then of length - 1 (a partial
     * wrap keeps the periods still in the ring) */
    ck_assert_ok(kpi_series_add(s, 18 * HOUR, 2));
    ck_assert_ok(kpi_series_add(s, 20 * HOUR, 3)); /* ring 17..20 */
    const double w2[4] = {0, 2, 0, 3};
    assert_values(s, w2, 4, 17 * HOUR);
    ck_assert_ok(kpi_series_add(s, 24 * HOUR, 4)); /* gap 4: all gone */
    const double w3[4] = {0, 0, 0, 4};
    assert_values(s, w3, 4, 21 * HOUR);
    ck_assert_ok(kpi_series_add(s, 22 * HOUR, 5)); /* late, in the ring */
    ck_assert_ok(kpi_series_add(s, 27 * HOUR, 6)); /* gap 3: keeps 24 */
    const double w4[4] = {4, 0, 0, 6};
    assert_values(s, w4, 4, 24 * HOUR);
    ck_assert_ok(kpi_series_last(s, 3, &v));
    ck_assert_near(v, 6, 0);
    ck_assert_status(kpi_series_last(s, 5, &v), KPI_ERR_RANGE);
    ck_assert_ok(kpi_series_total(s, &v));
    ck_assert_near(v, 67, 0);
    kpi_series_free(s);
}
END_TEST

START_TEST(late_events_land_in_their_period_or_are_refused_unchanged)
{
    kpi_series *s;
    ck_assert_ok(kpi_series_new(&s, DAY, 7, 0));
    ck_assert_ok(kpi_series_add(s, 10 * DAY + 5, 1));
    ck_assert_ok(kpi_series_add(s, 12 * DAY + 5, 1));
    /* back into a period still in the ring (days 6..12) */
    ck_assert_ok(kpi_series_add(s, 6 * DAY, 3));
    ck_assert_ok(kpi_series_add(s, 11 * DAY + 1, -0.5)); /* a correction */
    int64_t st;
    ck_assert_ok(kpi_series_latest(s, &st));
    ck_assert(st == 12 * DAY); /* a late event does not move the ring */
    const double want[7] = {3, 0, 0, 0, 1, -0.5, 1};
    double v[7];
    size_t n;
    int64_t first;
    ck_assert_ok(kpi_series_values(s, v, 7, &n, &first));
    ck_assert(first == 6 * DAY);
    for (int i = 0; i < 7; i++)
        ck_assert_near(v[i], want[i], 0);
    /* out of the ring: refused, nothing changes (also in a batch) */
    size_t len;
    unsigned char *before = series_bytes(s, &len);
    ck_assert_status(kpi_series_add(s, 6 * DAY - 1, 1), KPI_ERR_ORDER);
    ck_assert_status(kpi_series_add(s, -400 * DAY, 1), KPI_ERR_ORDER);
    const int64_t t[3] = {13 * DAY, 7 * DAY, 6 * DAY}; /* day 6 leaves on 13 */
    ck_assert_status(kpi_series_add_array(s, t, NULL, 3), KPI_ERR_ORDER);
    series_unchanged(s, before, len);
    free(before);
    double tot;
    ck_assert_ok(kpi_series_total(s, &tot));
    ck_assert_near(tot, 4.5, 0);
    kpi_series_free(s);
}
END_TEST

START_TEST(negative_amounts_sum_like_any_other)
{
    kpi_series *s, *b;
    ck_assert_ok(kpi_series_new(&s, HOUR, 3, 0));
    ck_assert_ok(kpi_series_new(&b, HOUR, 3, 0));
    const int64_t t[6] = {0, 1, HOUR, HOUR + 1, 0, 2 * HOUR};
    const double a[6] = {5, -7, -2.5, 1, -1, -3};
    for (int i = 0; i < 6; i++)
        ck_assert_ok(kpi_series_add(s, t[i], a[i]));
    ck_assert_ok(kpi_series_add_array(b, t, a, 6));
    series_same(s, b);
    const double want[3] = {-3, -1.5, -3};
    assert_values(s, want, 3, 0);
    double v;
    ck_assert_ok(kpi_series_last(s, 2, &v));
    ck_assert_near(v, -4.5, 0);
    ck_assert_ok(kpi_series_total(s, &v));
    ck_assert_near(v, -7.5, 0);
    /* -0.0 alone is a (negative) zero; NaN and infinities are refused */
    size_t len;
    unsigned char *before = series_bytes(s, &len);
    ck_assert_status(kpi_series_add(s, 2 * HOUR, NAN), KPI_ERR_INVALID);
    ck_assert_status(kpi_series_add(s, 2 * HOUR, -INFINITY), KPI_ERR_INVALID);
    ck_assert_status(kpi_series_add(s, 9 * HOUR, INFINITY), KPI_ERR_INVALID);
    series_unchanged(s, before, len);
    free(before);
    kpi_series_free(s);
    kpi_series_free(b);
}
END_TEST

/* Merge of two series whose newest periods differ, each way round and with
 * the other side out of the ring, against one series fed both streams in
 * time order. */
START_TEST(merge_with_different_newest_periods_equals_one_stream)
{
    /* period 10, ring 4; each stream is in its own time order */
    static const int64_t ta[] = {3, 15, 41, 22, 45, 118};
    static const double aa[] = {1, 2, 4, 8, 16, 32};
    static const int64_t tb[] = {12, 60, 51, 72, 75};
    static const double ab[] = {64, 128, 256, 512, 1024};
    /* the merged stream: the union in time order (late events stay late
     * relative to their own stream's newest, which is older) */
    static const int64_t tall[] = {3, 12, 15, 22, 41, 45, 51, 60, 72, 75, 118};
    static const double aall[] = {1, 64, 2, 8, 4, 16, 256, 128, 512, 1024, 32};
    for (int cut = 0; cut < 3; cut++) {
        /* cut 0: a ends at 118 (b's ring all dropped); 1: a ends at 45
         * (b newer); 2: a ends at 22, b at 75 (a entirely out of b's ring) */
        size_t na = cut == 0 ? 6 : cut == 1 ? 5 : 4;
        kpi_series *a, *b, *one;
        ck_assert_ok(kpi_series_new(&a, 10, 4, 0));
        ck_assert_ok(kpi_series_new(&b, 10, 4, 0));
        ck_assert_ok(kpi_series_new(&one, 10, 4, 0));
        for (size_t i = 0; i < na; i++)
            ck_assert_ok(kpi_series_add(a, ta[i], aa[i]));
        ck_assert_ok(kpi_series_add_array(b, tb, ab, 5));
        double expect_total = 0;
        for (size_t i = 0; i < 11; i++) {
            int keep = 1;
            if (tall[i] == 118 && na < 6)
                keep = 0;
            if (tall[i] == 45 && na < 5)
                keep = 0;
            if (keep) {
                ck_assert_ok(kpi_series_add(one, tall[i], aall[i]));
                expect_total += aall[i];
            }
        }
        kpi_series *ab_, *ba_;
        ck_assert_ok(kpi_series_clone(a, &ab_));
        ck_assert_ok(kpi_series_merge(ab_, b));
        ck_assert_ok(kpi_series_clone(b, &ba_));
        ck_assert_ok(kpi_series_merge(ba_, a));
        kpi_series *both[2] = {ab_, ba_};
        for (int k = 0; k < 2; k++) {
            double x[4], y[4], tx, ty;
            size_t n;
            int64_t fx, fy, lx, ly;
            ck_assert_ok(kpi_series_values(both[k], x, 4, &n, &fx));
            ck_assert_ok(kpi_series_values(one, y, 4, &n, &fy));
            ck_assert(fx == fy);
            for (int i = 0; i < 4; i++)
                ck_assert_msg(x[i] == y[i], "cut %d, %s: period %d %g, one stream %g",
                              cut, k ? "b+a" : "a+b", i, x[i], y[i]);
            ck_assert_ok(kpi_series_latest(both[k], &lx));
            ck_assert_ok(kpi_series_latest(one, &ly));
            ck_assert(lx == ly);
            ck_assert_ok(kpi_series_total(both[k], &tx));
            ck_assert_ok(kpi_series_total(one, &ty));
            ck_assert_near(tx, expect_total, 0);
            ck_assert_near(ty, expect_total, 0);
        }
        kpi_series_free(ab_);
        kpi_series_free(ba_);
        kpi_series_free(a);
        kpi_series_free(b);
        kpi_series_free(one);
    }
}
END_TEST

START_TEST(a_wrapped_ring_round_trips_and_goes_on_identically)
{
    kpi_series *s;
    ck_assert_ok(kpi_series_new(&s, 10, 5, -3));
    ck_assert_ok(kpi_series_set_forecast(s, 2, 0.3, 0.2, 0.4));
    /* 13 periods (the newest in slot 3 after two wraps), fractions, a
     * late event, and a skipped period */
    for (int k = 0; k < 14; k++) {
        if (k == 9)
            continue;
        ck_assert_ok(kpi_series_add(s, -3 + 10 * k, 1.0 + k % 3));
        ck_assert_ok(kpi_series_add(s, -3 + 10 * k + 9, 0.25 * k));
    }
    ck_assert_ok(kpi_series_add(s, -3 + 10 * 10, 7)); /* late, k = 10 */
    size_t len;
    unsigned char *b = series_bytes(s, &len);
    kpi_series *d;
    ck_assert_ok(kpi_series_deserialize(&d, b, len));
    series_same(s, d);
    double vs[5], vd[5], fs[4], fd[4];
    size_t n;
    int64_t f1, f2;
    ck_assert_ok(kpi_series_values(s, vs, 5, &n, &f1));
    ck_assert_ok(kpi_series_values(d, vd, 5, &n, &f2));
    ck_assert(f1 == f2 && f1 == -3 + 10 * 9);
    for (int i = 0; i < 5; i++)
        ck_assert(vs[i] == vd[i]);
    ck_assert_near(vs[0], 0, 0);  /* k = 9 skipped */
    ck_assert_near(vs[1], 2.0 + 2.5 + 7, 0);
    /* both continue: more wraps, late events, forecasts */
    const int64_t more[4] = {-3 + 10 * 15, -3 + 10 * 12, -3 + 10 * 21, -3 + 10 * 19};
    for (int i = 0; i < 4; i++) {
        ck_assert_ok(kpi_series_add(s, more[i], 1.5 * i));
        ck_assert_ok(kpi_series_add(d, more[i], 1.5 * i));
        series_same(s, d);
    }
    ck_assert_ok(kpi_series_forecast(s, 4, fs, 4));
    ck_assert_ok(kpi_series_forecast(d, 4, fd, 4));
    for (int i = 0; i < 4; i++)
        ck_assert(fs[i] == fd[i]);
    double ts, td;
    ck_assert_ok(kpi_series_total(s, &ts));
    ck_assert_ok(kpi_series_total(d, &td));
    ck_assert(ts == td);
    free(b);
    kpi_series_free(d);
    kpi_series_free(s);
}
END_TEST

/* ---- review: Holt-Winters against the documented recursion ------------- */

typedef struct hw_ref {
    double L, T, S[16], first[32];
    double sum_abs, sum_sq, sum_smape;
    int n_err, closed, restarts;
} hw_ref;

/* The file description of kpi/series.h, written out: one closing period's
 * value y (m <= 16), the model restarting (y its first period) where the
 * step would take a state value or an error sum past the range of a
 * double. */
static void hw_observe_ref(hw_ref *o, int m, double a, double b, double g, double y)
{
    int t = o->closed++;
    if (t < 2 * m) {
        o->first[t] = y;
        if (t < 2 * m - 1)
            return;
        double m1 = 0, m2 = 0;
        for (int i = 0; i < m; i++) {
            m1 += o->first[i];
            m2 += o->first[m + i];
        }
        m1 /= m;
        m2 /= m;
        o->L = m1;
        o->T = (m2 - m1) / m;
        for (int i = 0; i < m; i++)
            o->S[i] = o->first[i] - m1;
        for (int j = m; j < 2 * m; j++) {
            double *S = &o->S[j % m], yj = o->first[j];
            double lp = a * (yj - *S) + (1 - a) * (o->L + o->T);
            o->T = b * (lp - o->L) + (1 - b) * o->T;
            *S = g * (yj - lp) + (1 - g) * *S;
            o->L = lp;
        }
        return;
    }
    double *S = &o->S[t % m];
    double f = o->L + o->T + *S, e = fabs(y - f), den = (fabs(y) + fabs(f)) / 2;
    double lp = a * (y - *S) + (1 - a) * (o->L + o->T);
    double tp = b * (lp - o->L) + (1 - b) * o->T;
    double sp = g * (y - lp) + (1 - g) * *S;
    double sa = o->sum_abs + e, sq = o->sum_sq + e * e;
    double sm = o->sum_smape + (den > 0 ? e / den : 0);
    if (!isfinite(lp) || !isfinite(tp) || !isfinite(sp) || !isfinite(sa) ||
        !isfinite(sq) || !isfinite(sm)) {
        int r = o->restarts + 1;
        memset(o, 0, sizeof *o);
        o->restarts = r;
        hw_observe_ref(o, m, a, b, g, y);
        return;
    }
    o->L = lp;
    o->T = tp;
    *S = sp;
    o->sum_abs = sa;
    o->sum_sq = sq;
    o->sum_smape = sm;
    o->n_err++;
}

/* The h-step error variance over the one-step one, the sum written out:
 * 1 + sum_{j=1}^{h-1} c_j^2, c_j = a (1 + j b) + g (1 - a) [j mod m = 0]
 * (kpi_series_forecast_interval()). */
static double hw_var_ratio(uint64_t m, double a, double b, double g, uint64_t h)
{
    double v = 1;
    for (uint64_t j = 1; j < h; j++) {
        double c = a * (1 + (double)j * b) + (j % m == 0 ? g * (1 - a) : 0);
        v += c * c;
    }
    return v;
}

/* y[0..n) are the closed periods (n >= 2m). */
static void hw_reference(const double *y, int n, int m, double a, double b,
                         double g, hw_ref *o)
{
    memset(o, 0, sizeof *o);
    for (int t = 0; t < n; t++)
        hw_observe_ref(o, m, a, b, g, y[t]);
}

START_TEST(holt_winters_matches_the_documented_recursion_with_gaps)
{
    /* m = 3, a ring of 5 periods (shorter than 2m); zeros are skipped
     * periods (a run of 6 is a jump past the whole ring) */
    static const double y[] = {5,  9, 2, 6, 0, 3, 7.5, 11, 4, 0, 0, 5, 8,
                               13, 6, 0, 0, 0, 0, 0, 0, 9, 12, 4, 10, 3};
    const int n = (int)(sizeof y / sizeof y[0]), m = 3;
    kpi_series *s;
    ck_assert_ok(kpi_series_new(&s, 10, 5, 0));
    ck_assert_ok(kpi_series_set_forecast(s, 3, 0.4, 0.3, 0.2));
    for (int k = 0; k < n; k++) {
        if (y[k] != 0)
            ck_assert_ok(kpi_series_add(s, 10 * k + 3, y[k]));
        if (k == 4 * m) /* a late event into a closed period: ring only */
            ck_assert_ok(kpi_series_add(s, 10 * (k - 2), 100));
    }
    double f[7], mae, smape;
    ck_assert_ok(kpi_series_add(s, 10 * n + 9, 2)); /* closes period n-1 */
    hw_ref r;
    hw_reference(y, n, m, 0.4, 0.3, 0.2, &r);
    ck_assert_ok(kpi_series_forecast(s, 7, f, 7));
    for (int h = 1; h <= 7; h++)
        ck_assert_msg(fabs(f[h - 1] - (r.L + h * r.T + r.S[(n - 1 + h) % m])) < 1e-9,
                      "h=%d: %.15g", h, f[h - 1]);
    ck_assert_ok(kpi_series_forecast_error(s, &mae, &smape));
    ck_assert_near(mae, r.sum_abs / r.n_err, 1e-9);
    ck_assert_near(smape, r.sum_smape / r.n_err, 1e-12);
    for (uint32_t h = 1; h <= 7; h++) {
        kpi_estimate e;
        ck_assert_ok(kpi_series_forecast_interval(s, h, &e));
        double half = 1.959963984540054 * sqrt(r.sum_sq / r.n_err) *
                      sqrt(hw_var_ratio(3, 0.4, 0.3, 0.2, h));
        ck_assert_near(e.value, f[h - 1], 1e-12);
        ck_assert_near(e.upper - e.value, half, 1e-9);
        ck_assert_near(e.value - e.lower, half, 1e-9);
        ck_assert_uint_eq(e.n, (uint64_t)(n - 2 * m));
    }
    /* far horizons (many seasons): the same sum */
    static const uint32_t far[] = {100, 1000, 30001, 30002, 30003};
    for (size_t i = 0; i < sizeof far / sizeof far[0]; i++) {
        kpi_estimate e;
        ck_assert_ok(kpi_series_forecast_interval(s, far[i], &e));
        double half = 1.959963984540054 * sqrt(r.sum_sq / r.n_err) *
                      sqrt(hw_var_ratio(3, 0.4, 0.3, 0.2, far[i]));
        ck_assert_msg(fabs(e.upper - e.value - half) <= 1e-12 * half, "h=%u: %.17g, want %.17g",
                      far[i], e.upper - e.value, half);
    }
    kpi_series_free(s);
}
END_TEST

START_TEST(holt_winters_errors_by_hand_with_zero_actuals_and_forecasts)
{
    /* m = 1, alpha = beta = gamma = 1/2; y = 0, 0, 4, 0, 1.
     * Init: L = 0, T = 0, S = 0; t = 1 (y 0) leaves all 0.
     * t = 2: f = 0, |e| = 4, sMAPE term 4 / 2 = 2; L = 2, T = 1, S = 1.
     * t = 3: f = 4, |e| = 4, term 2; L = 1, T = 0, S = 0.
     * t = 4: f = 1, |e| = 0, term 0; L = 1, T = 0, S = 0.
     * MAE = 8/3, sMAPE = 4/3, RMSE = sqrt(32/3); forecast 1 at every h. */
    kpi_series *s;
    ck_assert_ok(kpi_series_new(&s, HOUR, 2, 0));
    ck_assert_ok(kpi_series_set_forecast(s, 1, 0.5, 0.5, 0.5));
    const double y[5] = {0, 0, 4, 0, 1};
    for (int k = 0; k < 5; k++)
        ck_assert_ok(kpi_series_add(s, k * HOUR, y[k]));
    ck_assert_ok(kpi_series_add(s, 5 * HOUR, 0)); /* closes period 4 */
    double mae, smape, f[3];
    ck_assert_ok(kpi_series_forecast_error(s, &mae, &smape));
    ck_assert_near(mae, 8.0 / 3.0, 1e-15);
    ck_assert_near(smape, 4.0 / 3.0, 1e-15);
    ck_assert_ok(kpi_series_forecast(s, 3, f, 3));
    for (int h = 0; h < 3; h++)
        ck_assert_near(f[h], 1.0, 1e-15);
    kpi_estimate e;
    ck_assert_ok(kpi_series_forecast_interval(s, 4, &e));
    /* h-step variance / one-step variance = 1 + c_1^2 + c_2^2 + c_3^2,
     * c_j = alpha (1 + j beta) + gamma (1 - alpha) [j mod m = 0]; m = 1:
     * every j is a multiple, c_j = .5 (1 + .5 j) + .25 = .75 + .25 j:
     * 1, 1.25, 1.5; squares 1 + 1.5625 + 2.25 = 4.8125; the ratio 5.8125
     * (the random walk's sqrt(h) would give 4) */
    ck_assert_near(e.upper - e.lower,
                   2 * 1.959963984540054 * sqrt(32.0 / 3.0) * sqrt(5.8125), 1e-12);
    ck_assert_uint_eq(e.n, 3);
    /* h = 1: 1.96 RMSE */
    ck_assert_ok(kpi_series_forecast_interval(s, 1, &e));
    ck_assert_near(e.upper - e.value, 1.959963984540054 * sqrt(32.0 / 3.0), 1e-12);
    ck_assert_near(e.value - e.lower, 1.959963984540054 * sqrt(32.0 / 3.0), 1e-12);
    kpi_series_free(s);

    /* all zeros: y = f = 0 terms count 0, the interval has no width */
    ck_assert_ok(kpi_series_new(&s, HOUR, 2, 0));
    ck_assert_ok(kpi_series_set_forecast(s, 2, 0.5, 0.5, 0.5));
    ck_assert_ok(kpi_series_add(s, 0, 0));
    ck_assert_ok(kpi_series_add(s, 9 * HOUR, 0)); /* periods 0..8 closed */
    ck_assert_ok(kpi_series_forecast_error(s, &mae, &smape));
    ck_assert(mae == 0 && smape == 0);
    ck_assert_ok(kpi_series_forecast_interval(s, 2, &e));
    ck_assert(e.value == 0 && e.lower == 0 && e.upper == 0 && e.n == 5);
    kpi_series_free(s);
}
END_TEST

/* Series built by random adds (in the newest period, late, a period or
 * many ahead, fractional, negative, large), batches, merges (into a started
 * or an empty series) and resets, with and without a forecast (m = 1, 3):
 * every state reads back as itself. */
START_TEST(every_state_of_adds_and_merges_reads_back)
{
    test_rng r = {77};
    int with_errors = 0; /* states with forecast errors read back */
    for (int m = 0; m <= 3; m += m ? 2 : 1) {
        kpi_series *p[3];
        for (int i = 0; i < 3; i++) {
            ck_assert_ok(kpi_series_new(&p[i], HOUR, 5, 0));
            if (m)
                ck_assert_ok(kpi_series_set_forecast(p[i], (uint32_t)m, 0.3, 0.2, 0.4));
        }
        for (int step = 0; step < 3000; step++) {
            int i = (int)test_range(&r, 0, 2), op = (int)test_range(&r, 0, 19);
            kpi_series *d = p[i];
            int64_t newest = 0, t[8];
            double a[8];
            if (kpi_series_latest(d, &newest) != KPI_OK)
                newest = test_range(&r, -1000, 1000) * HOUR;
            for (int k = 0; k < 8; k++) {
                int64_t back = test_range(&r, -8, 30);
                t[k] = newest + (back < 0 ? back : test_range(&r, 0, back > 25 ? 40 : 1)) * HOUR +
                       test_range(&r, 0, HOUR - 1);
                double u = test_uniform(&r);
                a[k] = u < 0.4 ? (double)test_range(&r, -5, 20)
                       : u < 0.8 ? (test_uniform(&r) - 0.3) * 100
                       : u < 0.95 ? 1e15 * test_range(&r, 1, 9)
                                  : 1e90 * (test_uniform(&r) - 0.5);
            }
            int rc;
            if (op < 12)
                rc = kpi_series_add(d, t[0], a[0]);
            else if (op < 16)
                rc = kpi_series_add_array(d, t, a, (size_t)test_range(&r, 1, 8));
            else if (op < 19)
                rc = kpi_series_merge(d, p[test_range(&r, 0, 2)]);
            else
                rc = (kpi_series_reset(d), KPI_OK);
            ck_assert_msg(rc == KPI_OK || rc == KPI_ERR_ORDER || rc == KPI_ERR_INCOMPATIBLE,
                          "%s", kpi_status_name(rc));
            kpi_series *e = series_reread(d);
            series_same(e, d);
            kpi_series_free(e);
            double mae;
            with_errors += kpi_series_forecast_error(d, &mae, NULL) == KPI_OK;
        }
        for (int i = 0; i < 3; i++)
            kpi_series_free(p[i]);
    }
    ck_assert_int_gt(with_errors, 1000);
}
END_TEST

/* The first case of holt_winters_errors_by_hand_with_zero_actuals_and_
 * forecasts: m = 1, y = 0, 0, 4, 0, 1 closed (errors 4, 4, 0). */
static kpi_series *errors_by_hand(void)
{
    kpi_series *s;
    ck_assert_ok(kpi_series_new(&s, HOUR, 2, 0));
    ck_assert_ok(kpi_series_set_forecast(s, 1, 0.5, 0.5, 0.5));
    const double y[6] = {0, 0, 4, 0, 1, 0};
    for (int k = 0; k < 6; k++)
        ck_assert_ok(kpi_series_add(s, k * HOUR, y[k]));
    return s;
}

/* Every period closed after the first two seasons is one forecast error:
 * the error count is closed - 2m, not a count of its own.  The case above
 * (m = 1, y = 0, 0, 4, 0, 1: 5 closed, errors 4, 4, 0) has 3; its last
 * bytes are the count (one byte), then MAE, squared and sMAPE sums
 * (3 x 8).  Forged to 2, the bytes used to decode with an MAE of 8 / 2 = 4
 * instead of 8 / 3, an sMAPE of 4 / 2 = 2 instead of 4 / 3, an interval
 * of n = 2; now corrupt (as 4 already was: more errors than periods). */
START_TEST(forecast_errors_other_than_the_closed_periods_are_corrupt)
{
    kpi_series *s = errors_by_hand();
    size_t len;
    free(series_bytes(s, &len));
    ck_assert_uint_eq(series_forged(s, len - 29, 2, 3), 3);
    ck_assert_uint_eq(series_forged(s, len - 29, 4, 3), 3);
    kpi_series_free(s);
}
END_TEST

/* The forecast's n absolute errors e >= 0 give the MAE (sum e / n) and the
 * interval's RMSE (sqrt(sum e^2 / n)): RMSE >= MAE (Cauchy-Schwarz) and
 * sum e^2 <= (sum e)^2, RMSE <= MAE sqrt(n).  The case above (errors 4, 4,
 * 0: sum 8, squares 32, MAE 2.67, RMSE sqrt(32 / 3) = 3.27) with the
 * squares forged to 1 used to decode with an RMSE of sqrt(1 / 3) = 0.58,
 * an interval at h = 1 of 1.96 x 0.58 = +-1.13 around a forecast whose
 * mean error is 2.67; forged to 1000 (more than 8^2 = 64), an RMSE of
 * 18.3 beside an MAE of 2.67 (at most 2.67 x sqrt(3) = 4.62).  Both now
 * corrupt (allowing a factor of 2 for rounding); 32 reads back.  The
 * squares are the 8 bytes before the last 8 + 4. */
START_TEST(forecast_error_squares_the_errors_rule_out_are_corrupt)
{
    kpi_series *s = errors_by_hand(), *d = NULL;
    size_t len;
    unsigned char *b = series_bytes(s, &len);
    double sq;
    sq = test_get_f64(b + len - 20);
    ck_assert_double_eq(sq, 32.0);
    const double forged[3] = {1, 1000, 32};
    for (int k = 0; k < 3; k++) {
        test_put_f64(b + len - 20, forged[k]);
        test_reseal(b, len);
        ck_assert_status(kpi_series_deserialize(&d, b, len), k < 2 ? KPI_ERR_CORRUPT : KPI_OK);
    }
    series_same(d, s);
    kpi_series_free(d);
    free(b);
    kpi_series_free(s);
}
END_TEST

/* A forecast error of 0 adds 0 to the sMAPE sum (0 / den, or 0 when y = f
 * = 0): without an absolute error there is no sMAPE.  The all-zeros case
 * of holt_winters_errors_by_hand_with_zero_actuals_and_forecasts (m = 2,
 * periods 0..8 closed, 5 errors, all 0) with the sMAPE sum (the last 8
 * bytes before the checksum) forged from 0 to 1 used to decode with an
 * MAE of 0 and an sMAPE of 1 / 5 = 0.2; now corrupt. */
START_TEST(an_smape_without_errors_is_corrupt)
{
    kpi_series *s, *d = NULL;
    ck_assert_ok(kpi_series_new(&s, HOUR, 2, 0));
    ck_assert_ok(kpi_series_set_forecast(s, 2, 0.5, 0.5, 0.5));
    ck_assert_ok(kpi_series_add(s, 0, 0));
    ck_assert_ok(kpi_series_add(s, 9 * HOUR, 0));
    size_t len;
    unsigned char *b = series_bytes(s, &len);
    const double one = 1, zero = 0;
    ck_assert(memcmp(b + len - 12, &zero, 8) == 0);
    test_put_f64(b + len - 12, one);
    test_reseal(b, len);
    ck_assert_status(kpi_series_deserialize(&d, b, len), KPI_ERR_CORRUPT);
    ck_assert_ptr_null(d);
    free(b);
    kpi_series_free(s);
}
END_TEST

/* A period that starts before INT64_MIN can hold no event (an add there is
 * KPI_ERR_RANGE, a merge skips it), so its value is 0.  A 1 ms series of 3
 * periods with 5 at INT64_MIN (values 0, 0, 5 for periods INT64_MIN - 2,
 * INT64_MIN - 1, INT64_MIN; body: period 12, length 13, origin 14, m 15,
 * started 16, newest 17..26, then the values oldest first from 27) with
 * the oldest forged to 7 used to decode: kpi_series_last(3) read 12 with an
 * all-time total of 5, and a merge into a series at INT64_MIN + 1 took
 * only the 5 (last(3) 5 + 2 = 7, not 12 + 2).  Now corrupt; so is a 1 h
 * series whose oldest period starts before INT64_MIN. */
START_TEST(a_value_before_the_first_period_of_time_is_corrupt)
{
    kpi_series *s, *d = NULL;
    ck_assert_ok(kpi_series_new(&s, 1, 3, 0));
    ck_assert_ok(kpi_series_add(s, INT64_MIN, 5));
    size_t len;
    unsigned char *b = series_bytes(s, &len);
    const double seven = 7, zero = 0;
    ck_assert(memcmp(b + 27, &zero, 8) == 0);
    test_put_f64(b + 27, seven);
    test_reseal(b, len);
    ck_assert_status(kpi_series_deserialize(&d, b, len), KPI_ERR_CORRUPT);
    ck_assert_ptr_null(d);
    free(b);
    kpi_series_free(s);
    /* 1 h periods from 0: the first period of time starts at the first
     * hour at or after INT64_MIN; the period before it cannot be */
    ck_assert_ok(kpi_series_new(&s, HOUR, 2, 0));
    ck_assert_status(kpi_series_add(s, INT64_MIN, 1), KPI_ERR_RANGE);
    int64_t first = INT64_MIN + (HOUR - INT64_MIN % HOUR) % HOUR;
    ck_assert_ok(kpi_series_add(s, first, 5));
    b = series_bytes(s, &len);
    test_put_f64(b + len - 4 - 16 - 16, seven); /* the older of the two */
    test_reseal(b, len);
    ck_assert_status(kpi_series_deserialize(&d, b, len), KPI_ERR_CORRUPT);
    test_put_f64(b + len - 4 - 16 - 16, zero);
    test_reseal(b, len);
    ck_assert_ok(kpi_series_deserialize(&d, b, len));
    series_same(d, s);
    kpi_series_free(d);
    free(b);
    kpi_series_free(s);
}
END_TEST

/* Amounts are bounded (KPI_SERIES_MAX_AMOUNT = 1e100), so no sum can pass
 * the range of a double: before, two adds of 1e308 made the period value
 * and the total inf, and the state serialized to bytes its decoder
 * refused.  A merge that could overflow (a series merged into itself about
 * a thousand times: each doubles it) is KPI_ERR_OVERFLOW; every refusal
 * leaves the series as it was. */
START_TEST(a_diverging_holt_winters_model_restarts_and_its_state_reads_back)
{
    /* alpha = 0.15, beta = gamma = 0.99, m = 12: parameters set_forecast
     * takes, but the recursion is unstable (over a season it multiplies
     * a deviation by some 1.65, the largest eigenvalue's modulus): fed
     * counts 0..10, the one-step errors pass 1e154 (their squares
     * DBL_MAX) after some 8,500 periods.  Before the fix the error sums
     * and then the state ran to inf and NaN (forecast NaN from some
     * 17,000 periods on) and the state no longer decoded.  Now the model
     * restarts where a closing period would take it past the range of a
     * double: the reference hw_observe_ref() (the recursion written out)
     * restarts twice in 20,000 periods, and the series agrees with it. */
    enum { N = 20000, M = 12 };
    const double a = 0.15, b = 0.99, g = 0.99;
    static int64_t t[N];
    static double y[N];
    for (int k = 0; k < N; k++) {
        t[k] = k;
        y[k] = (double)((7 * k) % 11);
    }
    kpi_series *s;
    ck_assert_ok(kpi_series_new(&s, 1, 4, 0));
    ck_assert_ok(kpi_series_set_forecast(s, M, a, b, g));
    ck_assert_ok(kpi_series_add_array(s, t, y, N));
    ck_assert_ok(kpi_series_add(s, N, 0)); /* closes period N - 1 */
    hw_ref r;
    hw_reference(y, N, M, a, b, g, &r);
    ck_assert_int_eq(r.restarts, 2);
    double f[2 * M], mae, smape;
    ck_assert_ok(kpi_series_forecast(s, 2 * M, f, 2 * M));
    for (int h = 1; h <= 2 * M; h++) {
        double want = r.L + h * r.T + r.S[(r.closed - 1 + h) % M];
        ck_assert_msg(isfinite(f[h - 1]) && fabs(f[h - 1] - want) <= 1e-12 * fabs(want),
                      "h=%d: %g, want %g", h, f[h - 1], want);
    }
    ck_assert_ok(kpi_series_forecast_error(s, &mae, &smape));
    ck_assert_near(mae, r.sum_abs / r.n_err, 1e-12 * r.sum_abs / r.n_err);
    ck_assert_near(smape, r.sum_smape / r.n_err, 1e-12);
    kpi_estimate e;
    ck_assert_ok(kpi_series_forecast_interval(s, UINT32_MAX, &e));
    ck_assert(isfinite(e.value) && isfinite(e.lower) && isfinite(e.upper));
    ck_assert_uint_eq(e.n, (uint64_t)r.n_err);
    ck_assert_int_lt(r.n_err, N - 2 * M);
    /* the state reads back as itself */
    kpi_series *c = series_reread(s);
    series_same(s, c);
    kpi_series_free(c);
    kpi_series_free(s);
}
END_TEST

START_TEST(amounts_are_bounded_and_no_sum_overflows)
{
    kpi_series *s;
    ck_assert_ok(kpi_series_new(&s, 1000, 4, 0));
    ck_assert_ok(kpi_series_add(s, 0, 1e100));
    ck_assert_ok(kpi_series_add(s, 0, -1e100));
    ck_assert_ok(kpi_series_add(s, 1500, 1e100)); /* closes period 0 */
    size_t len;
    unsigned char *before = series_bytes(s, &len);
    ck_assert_status(kpi_series_add(s, 1500, 1e308), KPI_ERR_RANGE);
    ck_assert_status(kpi_series_add(s, 1500, -1.1e100), KPI_ERR_RANGE);
    ck_assert_status(kpi_series_add(s, 500, 2e100), KPI_ERR_RANGE); /* a late event too */
    ck_assert_status(kpi_series_add(s, 9500, 2e100), KPI_ERR_RANGE); /* a new period too */
    const int64_t t[] = {1500, 1600, 2500};
    const double a[] = {1, 1e101, 1};
    ck_assert_status(kpi_series_add_array(s, t, a, 3), KPI_ERR_RANGE);
    series_unchanged(s, before, len);
    free(before);
    double v;
    ck_assert_ok(kpi_series_period(s, 1500, &v));
    ck_assert(v == 1e100);
    /* doubling by self-merges: 1e100 x 2^k passes DBL_MAX (1.8e308) at
     * k = 692; the merge that would is refused and the state still reads
     * back */
    int k = 0, rc;
    while ((rc = kpi_series_merge(s, s)) == KPI_OK)
        k++;
    ck_assert_status(rc, KPI_ERR_OVERFLOW);
    ck_assert_int_ge(k, 690);
    ck_assert_int_le(k, 692);
    before = series_bytes(s, &len);
    kpi_series *r = series_reread(s);
    series_unchanged(r, before, len);
    ck_assert_ok(kpi_series_period(r, 1500, &v));
    ck_assert(isfinite(v) && v == ldexp(1e100, k));
    free(before);
    kpi_series_free(r);
    kpi_series_free(s);
}
END_TEST

START_TEST(holt_winters_recovers_a_trending_week_and_a_merged_copy_agrees)
{
    /* noise-free weekly pattern on a trend of 2 a day: the classical
     * initialisation mixes trend into the season; the smoothing removes it */
    kpi_series *s;
    ck_assert_ok(kpi_series_new(&s, DAY, 14, 0));
    ck_assert_ok(kpi_series_set_forecast(s, 7, 0.3, 0.1, 0.3));
    const int days = 7 * 30;
    for (int d = 0; d < days; d++)
        ck_assert_ok(kpi_series_add(s, (int64_t)d * DAY, weekly[d % 7] + 2.0 * d));
    double f[14];
    ck_assert_ok(kpi_series_forecast(s, 14, f, 14));
    for (int h = 1; h <= 14; h++) {
        int d = days - 1 + h - 1; /* step 1 is the open day, days - 1 */
        ck_assert_msg(fabs(f[h - 1] - (weekly[d % 7] + 2.0 * d)) < 1e-2,
                      "h=%d f=%.9g truth=%g", h, f[h - 1], weekly[d % 7] + 2.0 * d);
    }
    /* merged into an empty series with the same forecast: same model */
    kpi_series *c;
    ck_assert_ok(kpi_series_new(&c, DAY, 14, 0));
    ck_assert_ok(kpi_series_set_forecast(c, 7, 0.3, 0.1, 0.3));
    ck_assert_ok(kpi_series_merge(c, s));
    double g[14];
    ck_assert_ok(kpi_series_forecast(c, 14, g, 14));
    for (int h = 0; h < 14; h++)
        ck_assert(f[h] == g[h]);
    ck_assert_ok(kpi_series_add(c, (int64_t)days * DAY, 1));
    ck_assert_ok(kpi_series_add(s, (int64_t)days * DAY, 1));
    series_same(s, c);
    kpi_series_free(c);
    kpi_series_free(s);
}
END_TEST

/* ---- review: the h-step interval of the forecast ------------------------ */

/* A standard normal deviate (Box-Muller). */
static double test_gauss(test_rng *r)
{
    double u1 = test_uniform(r), u2 = test_uniform(r);
    return sqrt(-2.0 * log(1.0 - u1)) * cos(6.283185307179586 * u2);
}

/* A series of period 1 ms with the given forecast, fed n noisy seasonal
 * periods 0..n-1 and a 0 at n that closes period n - 1 (period n is open,
 * at 0). */
static kpi_series *interval_series(uint32_t m, double a, double b, double g,
                                   int n, uint64_t seed)
{
    test_rng r = {seed};
    kpi_series *s;
    ck_assert_ok(kpi_series_new(&s, 1, 4, 0));
    ck_assert_ok(kpi_series_set_forecast(s, m, a, b, g));
    for (int k = 0; k < n; k++)
        ck_assert_ok(kpi_series_add(s, k, 50.0 + 10.0 * (k % m) + 0.2 * k +
                                              3.0 * test_gauss(&r)));
    ck_assert_ok(kpi_series_add(s, n, 0.0));
    return s;
}

START_TEST(holt_winters_interval_of_a_near_random_walk_grows_as_sqrt_h)
{
    /* alpha = 1, beta = gamma = 0 (the closest the open interval (0, 1)
     * allows: 1 - e, e, e with e = 2^-30) is the random walk: every c_j is
     * about 1 (1 + e (j - 1) to first order), the variance h times the
     * one-step one, the half width sqrt(h) times 1.96 RMSE (relative error
     * about e h / 2 < 1e-7 for h <= 100) */
    const double e = 0x1p-30;
    kpi_series *s = interval_series(2, 1 - e, e, e, 40, 11);
    kpi_estimate e1, eh;
    ck_assert_ok(kpi_series_forecast_interval(s, 1, &e1));
    ck_assert(e1.upper > e1.value);
    for (uint32_t h = 2; h <= 100; h++) {
        ck_assert_ok(kpi_series_forecast_interval(s, h, &eh));
        double ratio = (eh.upper - eh.value) / (e1.upper - e1.value);
        ck_assert_msg(fabs(ratio / sqrt((double)h) - 1) < 1e-6, "h=%u: %.12g", h, ratio);
    }
    kpi_series_free(s);
}
END_TEST

START_TEST(holt_winters_interval_matches_simulated_h_step_errors)
{
    /* The model's own data: from a fitted state, each next period is the
     * one-step forecast plus a N(0, sigma^2) error, fed to the series (its
     * recursions are then exactly the error-correction equations the
     * interval assumes).  Over N runs from the same state, the mean square
     * of y_{t+h} - (the h-step forecast made at t) estimates the h-step
     * variance.  The error is a sum of independent normals, so the mean of
     * N squares has a relative standard deviation of sqrt(2 / N) = 0.71%
     * for N = 40000; 4% is more than 5 of them (the fixed seed makes the
     * outcome fixed anyway).  With m = 3, alpha .5, beta .4, gamma .6 the
     * variance ratios 1, 1.49, 2.3, 4.26, 5.95, 8.2, 12.2 differ from the
     * random walk's h by 16% or more except at h = 4 (6%), from those with
     * beta (instead of alpha beta) by 21% or more from h = 2, and from those
     * with gamma (instead of gamma (1 - alpha)) by 11% or more from h = 4. */
    enum { M = 3, H = 7, N = 40000, START = 30 };
    const double a = 0.5, b = 0.4, g = 0.6, sigma = 2.0;
    kpi_series *base = interval_series(M, a, b, g, START, 5);
    double fh[H], sq[H] = {0};
    ck_assert_ok(kpi_series_forecast(base, H, fh, H));
    test_rng r = {2024};
    for (int run = 0; run < N; run++) {
        kpi_series *s;
        ck_assert_ok(kpi_series_clone(base, &s));
        for (int h = 1; h <= H; h++) {
            double f1;
            ck_assert_ok(kpi_series_forecast(s, 1, &f1, 1));
            double y = f1 + sigma * test_gauss(&r);
            ck_assert_ok(kpi_series_add(s, START + h - 1, y));
            ck_assert_ok(kpi_series_add(s, START + h, 0.0)); /* closes it */
            sq[h - 1] += (y - fh[h - 1]) * (y - fh[h - 1]);
        }
        kpi_series_free(s);
    }
    kpi_estimate e1, eh;
    ck_assert_ok(kpi_series_forecast_interval(base, 1, &e1));
    for (int h = 1; h <= H; h++) {
        ck_assert_ok(kpi_series_forecast_interval(base, (uint32_t)h, &eh));
        double r_lib = (eh.upper - eh.value) / (e1.upper - e1.value);
        double want = hw_var_ratio(M, a, b, g, (uint64_t)h);
        ck_assert_msg(fabs(r_lib * r_lib - want) < 1e-12 * want, "h=%d: %.15g vs %.15g", h,
                      r_lib * r_lib, want);
        double got = sq[h - 1] / N / (sigma * sigma);
        ck_assert_msg(fabs(got / want - 1) < 0.04, "h=%d: simulated %.5g, formula %.5g", h,
                      got, want);
    }
    kpi_series_free(base);
}
END_TEST

/* The forecast is not clamped at 0 (kpi_series_forecast() says so): hourly
 * volume with empty nights under a falling day trend forecasts the next
 * night hours below 0, which kpi_erlang_traffic() would refuse. */
START_TEST(holt_winters_forecast_may_be_negative_for_quiet_hours)
{
    kpi_series *s = NULL;
    ck_assert_ok(kpi_series_new(&s, KPI_MS_PER_HOUR, 48, 0));
    ck_assert_ok(kpi_series_set_forecast(s, 24, 0.3, 0.1, 0.3));
    for (int64_t t = 0; t < 24 * 14; t++) {
        double y = t % 24 < 7 ? 0.0 : 300.0 - 0.5 * (double)t;
        ck_assert_ok(kpi_series_add(s, t * KPI_MS_PER_HOUR, y));
    }
    double f[24];
    ck_assert_ok(kpi_series_forecast(s, 24, f, 24));
    int negative = 0;
    for (int h = 0; h < 24; h++)
        negative += f[h] < 0.0;
    ck_assert_int_gt(negative, 0);
    kpi_series_free(s);
}
END_TEST

/* ---- documented errors (rev-retval) ---- */

TEST_STATE_ERRORS_HELPER(series, kpi_series, kpi_series_serialize, kpi_series_deserialize,
                         kpi_series_deserialize_with, kpi_series_free)

START_TEST(documented_errors_of_the_state_verbs)
{
    kpi_series *s;
    ck_assert_ok(kpi_series_new(&s, HOUR, 4, 0));
    ck_assert_ok(kpi_series_add(s, 10 * HOUR + 5, 1.5));
    ck_assert_ok(kpi_series_add(s, 11 * HOUR + 6, 2.0));
    series_state_errors(s);
    kpi_series_free(s);
}
END_TEST

START_TEST(documented_errors_of_new_with_clone_and_forecast_interval)
{
    test_alloc t;
    kpi_allocator al = test_allocator(&t);
    kpi_series *s = NULL, *c = NULL;
    ck_assert_status(kpi_series_new_with(&s, 0, 4, 0, &al), KPI_ERR_RANGE);
    ck_assert_status(kpi_series_new_with(&s, -HOUR, 4, 0, &al), KPI_ERR_RANGE);
    ck_assert_status(kpi_series_new_with(&s, HOUR, 0, 0, &al), KPI_ERR_RANGE);
    ck_assert_status(kpi_series_new_with(&s, HOUR, KPI_SERIES_MAX_LENGTH + 1, 0, &al),
                     KPI_ERR_RANGE);
    ck_assert_ptr_null(s);
    ck_assert_int_eq(t.live, 0);

    ck_assert_ok(kpi_series_new(&s, HOUR, 4, 0));
    ck_assert_ok(kpi_series_add(s, HOUR, 2.0));
    size_t len;
    unsigned char *before = series_bytes(s, &len);
    ck_assert_status(kpi_series_clone(NULL, &c), KPI_ERR_INVALID);
    ck_assert_status(kpi_series_clone(s, NULL), KPI_ERR_INVALID);
    ck_assert_ptr_null(c);
    kpi_estimate e = {9, 9, 9, 9};
    ck_assert_status(kpi_series_forecast_interval(s, 1, &e), KPI_ERR_STATE); /* no forecast */
    ck_assert(e.value == 9 && e.n == 9);
    series_unchanged(s, before, len);
    free(before);
    kpi_series_free(s);
}
END_TEST

static Suite *series_suite(void)
{
    Suite *s = suite_create("series");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, counts_land_in_their_periods);
    tcase_add_test(tc, advancing_zeroes_skipped_periods_and_keeps_the_total);
    tcase_add_test(tc, too_old_events_are_refused_and_change_nothing);
    tcase_add_test(tc, construction_and_reads_name_their_errors);
    tcase_add_test(tc, holt_winters_recovers_a_noise_free_week);
    tcase_add_test(tc, holt_winters_initialises_after_two_seasons_classically);
    tcase_add_test(tc, holt_winters_tracks_a_noisy_trending_week);
    tcase_add_test(tc, merge_is_commutative);
    tcase_add_test(tc, merge_matches_a_sorted_single_stream);
    tcase_add_test(tc, merge_rules_for_configuration_and_forecasts);
    tcase_add_test(tc, an_empty_series_refuses_an_empty_one_with_another_forecast);
    tcase_add_test(tc, serialize_round_trips_with_identical_bytes);
    tcase_add_test(tc, corrupt_truncated_and_foreign_bytes_are_rejected);
    tcase_add_test(tc, forecast_errors_other_than_the_closed_periods_are_corrupt);
    tcase_add_test(tc, every_state_of_adds_and_merges_reads_back);
    tcase_add_test(tc, forecast_error_squares_the_errors_rule_out_are_corrupt);
    tcase_add_test(tc, an_smape_without_errors_is_corrupt);
    tcase_add_test(tc, a_value_before_the_first_period_of_time_is_corrupt);
    tcase_add_test(tc, allocation_failures_leave_nothing_behind);
    tcase_add_test(tc, random_streams_match_a_naive_recount_and_the_batch_form);
    tcase_add_test(tc, self_merge_allocation_failure_changes_nothing);
    tcase_add_test(tc, period_sums_equal_the_in_order_double_sum_bit_for_bit);
    tcase_add_test(tc, a_state_written_before_the_integer_sum_reads_back);
    tcase_add_test(tc, an_empty_series_takes_only_the_same_forecast);
    tcase_add_test(tc, the_last_period_of_time_holds_int64_max);
    tcase_add_test(tc, an_origin_far_from_the_times_does_not_refuse_them);
    tcase_add_test(tc, the_first_period_of_time_holds_int64_min);
    tcase_add_test(tc, reads_refuse_null_outputs);
    tcase_add_test(tc, values_and_forecast_take_a_null_buffer_of_capacity_0);
    tcase_add_test(tc, bad_forecast_parameters_and_batches_change_nothing);
    tcase_add_test(tc, period_edges_belong_to_the_period_they_start);
    tcase_add_test(tc, a_jump_of_many_ring_lengths_leaves_no_stale_period);
    tcase_add_test(tc, late_events_land_in_their_period_or_are_refused_unchanged);
    tcase_add_test(tc, negative_amounts_sum_like_any_other);
    tcase_add_test(tc, merge_with_different_newest_periods_equals_one_stream);
    tcase_add_test(tc, a_wrapped_ring_round_trips_and_goes_on_identically);
    tcase_add_test(tc, holt_winters_matches_the_documented_recursion_with_gaps);
    tcase_add_test(tc, holt_winters_errors_by_hand_with_zero_actuals_and_forecasts);
    tcase_add_test(tc, holt_winters_recovers_a_trending_week_and_a_merged_copy_agrees);
    tcase_add_test(tc, amounts_are_bounded_and_no_sum_overflows);
    tcase_add_test(tc, a_diverging_holt_winters_model_restarts_and_its_state_reads_back);
    tcase_add_test(tc, holt_winters_interval_of_a_near_random_walk_grows_as_sqrt_h);
    tcase_add_test(tc, holt_winters_interval_matches_simulated_h_step_errors);
    tcase_add_test(tc, holt_winters_forecast_may_be_negative_for_quiet_hours);
    /* ---- documented errors (rev-retval) ---- */
    tcase_add_test(tc, documented_errors_of_the_state_verbs);
    tcase_add_test(tc, documented_errors_of_new_with_clone_and_forecast_interval);
    suite_add_tcase(s, tc);
    return s;
}

KPI_TEST_MAIN(series_suite)
