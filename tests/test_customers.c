/*
 * Customer KPIs of a period and customer journeys.
 * SPDX-License-Identifier: MIT
 */
#include "kpi/customers.h"
#include "kpi/group.h"
#include "kpi/rate.h"
#include "testutil.h"

TEST_STATE_HELPERS(customers, kpi_customers, kpi_customers_serialize)
TEST_STATE_HELPERS(journey, kpi_journey, kpi_journey_serialize)
TEST_STATE_HELPERS(group, kpi_group, kpi_group_serialize)
TEST_REREAD_HELPER(customers, kpi_customers, kpi_customers_deserialize)
TEST_REREAD_HELPER(journey, kpi_journey, kpi_journey_deserialize)
TEST_FORGE_HELPER(customers, kpi_customers, kpi_customers_deserialize,
                  kpi_customers_free)

/* A period of `start` customers at its start, `end` at its end and `won`
 * new ones. */
static kpi_customers *period(uint64_t start, uint64_t end, uint64_t won)
{
    kpi_customers *p;
    ck_assert_ok(kpi_customers_new(&p));
    ck_assert_ok(kpi_customers_set_start(p, start));
    ck_assert_ok(kpi_customers_set_end(p, end));
    ck_assert_ok(kpi_customers_add_new(p, won));
    return p;
}

/* A period: 1000 at start, 950 at end, 80 new (20 referred), 130 lost. */
static kpi_customers *sample(void)
{
    kpi_customers *p = period(1000, 950, 80);
    ck_assert_ok(kpi_customers_add_referred(p, 20));
    ck_assert_ok(kpi_customers_add_lost(p, 130));
    ck_assert_ok(kpi_customers_add_revenue(p, 40000));
    ck_assert_ok(kpi_customers_add_revenue(p, 10000));
    ck_assert_ok(kpi_customers_set_margin(p, 0.6));
    ck_assert_ok(kpi_customers_add_interactions(p, 1800));
    ck_assert_ok(kpi_customers_set_active(p, 600));
    ck_assert_ok(kpi_customers_add_purchasers(p, 400, 150));
    ck_assert_ok(kpi_customers_add_self_service(p, 500, 300, 700));
    ck_assert_ok(kpi_customers_add_offered(p, 2000));
    ck_assert_ok(kpi_customers_add_unserved(p, KPI_UNSERVED_ABANDONED, 120));
    ck_assert_ok(kpi_customers_add_unserved(p, KPI_UNSERVED_NO_AGENT, 30));
    ck_assert_ok(kpi_customers_add_unserved(p, 63, 10));
    return p;
}

START_TEST(customer_formulas_match_hand_computation)
{
    kpi_customers *p = sample();
    double v;
    kpi_estimate e;
    ck_assert_ok(kpi_customers_churn_net(p, &v));
    ck_assert_near(v, 50.0 / 1000.0, 1e-15); /* (1000 - 950) / 1000 */
    ck_assert_ok(kpi_customers_churn_lost(p, &e));
    ck_assert_near(e.value, 0.13, 1e-15);
    ck_assert_uint_eq(e.n, 1000);
    ck_assert(e.lower < 0.13 && e.upper > 0.13);
    ck_assert_ok(kpi_customers_retention(p, &v));
    ck_assert_near(v, (950.0 - 80.0) / 1000.0, 1e-15);
    ck_assert_ok(kpi_customers_referral_rate(p, &e));
    ck_assert_near(e.value, 0.25, 1e-15);
    ck_assert_ok(kpi_customers_revenue_per_customer(p, &v));
    ck_assert_near(v, 50, 1e-12);
    ck_assert_ok(kpi_customers_clv(p, &v));
    ck_assert_near(v, 50 * 0.6 / 0.13, 1e-9); /* = 50000 * 0.6 / 130 */
    ck_assert_ok(kpi_customers_engagement(p, &v));
    ck_assert_near(v, 3, 1e-15);
    ck_assert_ok(kpi_customers_repeat_share(p, &e));
    ck_assert_near(e.value, 150.0 / 400.0, 1e-15);
    ck_assert_ok(kpi_customers_self_service(p, &e));
    ck_assert_near(e.value, 300.0 / 1000.0, 1e-15);
    ck_assert_ok(kpi_customers_self_service_usage(p, &e));
    ck_assert_near(e.value, 500.0 / 1200.0, 1e-15);
    uint64_t n;
    ck_assert_ok(kpi_customers_unserved_count(p, KPI_UNSERVED_NO_AGENT, &n));
    ck_assert_uint_eq(n, 30);
    ck_assert_ok(kpi_customers_unserved_count(p, 5, &n));
    ck_assert_uint_eq(n, 0);
    ck_assert_ok(kpi_customers_unserved_reason_share(p, 63, &e));
    ck_assert_near(e.value, 10.0 / 2000.0, 1e-15);
    ck_assert_ok(kpi_customers_unserved_share(p, &e));
    ck_assert_near(e.value, 160.0 / 2000.0, 1e-15);
    ck_assert_ok(kpi_customers_abandon_rate(p, &e));
    ck_assert_near(e.value, 0.06, 1e-15);
    kpi_customers_free(p);
}
END_TEST

START_TEST(net_churn_is_negative_when_growth_exceeds_losses)
{
    kpi_customers *p = period(200, 230, 50);
    ck_assert_ok(kpi_customers_add_lost(p, 20));
    double v;
    kpi_estimate e;
    ck_assert_ok(kpi_customers_churn_net(p, &v));
    ck_assert_near(v, -0.15, 1e-15);
    ck_assert_ok(kpi_customers_churn_lost(p, &e)); /* losses are not hidden */
    ck_assert_near(e.value, 0.10, 1e-15);
    ck_assert_ok(kpi_customers_retention(p, &v));
    ck_assert_near(v, 0.90, 1e-15);
    kpi_customers_free(p);
}
END_TEST

/* CRR = (E - N) / S as written, with N > E (new customers who also left
 * within the period): S = 10, E = 3, N = 5 gives (3 - 5) / 10 = -0.2, not
 * clamped to 0 and no error; net churn (10 - 3) / 10 = 0.7 beside it.
 * E - N = S exactly: (15 - 5) / 10 = 1. */
START_TEST(retention_is_negative_when_new_exceed_end)
{
    kpi_customers *p = period(10, 3, 5);
    double v;
    ck_assert_ok(kpi_customers_retention(p, &v));
    ck_assert_near(v, -0.2, 1e-15);
    ck_assert_ok(kpi_customers_churn_net(p, &v));
    ck_assert_near(v, 0.7, 1e-15);
    ck_assert_ok(kpi_customers_set_end(p, 15));
    ck_assert_ok(kpi_customers_retention(p, &v));
    ck_assert(v == 1.0);
    kpi_customers_free(p);
}
END_TEST

START_TEST(reads_without_their_inputs_are_empty_or_out_of_range)
{
    kpi_customers *p;
    ck_assert_ok(kpi_customers_new(&p));
    double v;
    kpi_estimate e;
    uint64_t n;
    ck_assert_status(kpi_customers_churn_net(p, &v), KPI_ERR_EMPTY);
    ck_assert_status(kpi_customers_churn_lost(p, &e), KPI_ERR_EMPTY);
    ck_assert_status(kpi_customers_retention(p, &v), KPI_ERR_EMPTY);
    ck_assert_status(kpi_customers_referral_rate(p, &e), KPI_ERR_EMPTY);
    ck_assert_status(kpi_customers_clv(p, &v), KPI_ERR_EMPTY);
    ck_assert_status(kpi_customers_engagement(p, &v), KPI_ERR_EMPTY);
    ck_assert_status(kpi_customers_repeat_share(p, &e), KPI_ERR_EMPTY);
    ck_assert_status(kpi_customers_self_service(p, &e), KPI_ERR_EMPTY);
    ck_assert_status(kpi_customers_self_service_usage(p, &e), KPI_ERR_EMPTY);
    ck_assert_status(kpi_customers_unserved_share(p, &e), KPI_ERR_EMPTY);
    ck_assert_status(kpi_customers_abandon_rate(p, &e), KPI_ERR_EMPTY);
    ck_assert_status(kpi_customers_unserved_count(p, 64, &n), KPI_ERR_RANGE);
    ck_assert_status(kpi_customers_unserved_reason_share(p, 64, &e), KPI_ERR_RANGE);
    ck_assert_ok(kpi_customers_set_start(p, 100));
    ck_assert_status(kpi_customers_churn_net(p, &v), KPI_ERR_EMPTY); /* no end */
    ck_assert_ok(kpi_customers_add_revenue(p, 500));
    ck_assert_status(kpi_customers_clv(p, &v), KPI_ERR_EMPTY); /* no margin */
    ck_assert_ok(kpi_customers_set_margin(p, 0.5));
    ck_assert_status(kpi_customers_clv(p, &v), KPI_ERR_RANGE); /* no churn */
    ck_assert_ok(kpi_customers_add_lost(p, 101));
    ck_assert_status(kpi_customers_churn_lost(p, &e), KPI_ERR_RANGE);
    ck_assert_status(kpi_customers_clv(p, &v), KPI_ERR_RANGE);
    ck_assert_ok(kpi_customers_add_referred(p, 3));
    ck_assert_ok(kpi_customers_add_new(p, 2));
    ck_assert_status(kpi_customers_referral_rate(p, &e), KPI_ERR_RANGE);
    ck_assert_ok(kpi_customers_add_offered(p, 5));
    ck_assert_ok(kpi_customers_add_unserved(p, 1, 4));
    ck_assert_ok(kpi_customers_add_unserved(p, 2, 4));
    ck_assert_status(kpi_customers_unserved_share(p, &e), KPI_ERR_RANGE);
    ck_assert_status(kpi_customers_churn_net(NULL, &v), KPI_ERR_INVALID);
    ck_assert_status(kpi_customers_churn_lost(p, NULL), KPI_ERR_INVALID);
    ck_assert_status(kpi_customers_engagement(p, NULL), KPI_ERR_INVALID);
    kpi_customers_free(p);
}
END_TEST

START_TEST(customer_feed_errors_change_nothing)
{
    kpi_customers *p = sample(), *before;
    ck_assert_ok(kpi_customers_clone(p, &before));
    ck_assert_status(kpi_customers_add_new(p, UINT64_MAX), KPI_ERR_OVERFLOW);
    ck_assert_status(kpi_customers_add_lost(NULL, 1), KPI_ERR_INVALID);
    ck_assert_status(kpi_customers_add_revenue(p, NAN), KPI_ERR_INVALID);
    ck_assert_status(kpi_customers_add_revenue(p, -1), KPI_ERR_RANGE);
    ck_assert_status(kpi_customers_set_margin(p, 1.5), KPI_ERR_RANGE);
    ck_assert_status(kpi_customers_set_margin(p, NAN), KPI_ERR_INVALID);
    ck_assert_status(kpi_customers_add_purchasers(p, 3, 4), KPI_ERR_RANGE);
    ck_assert_status(kpi_customers_add_purchasers(p, UINT64_MAX, 1),
                     KPI_ERR_OVERFLOW);
    ck_assert_status(kpi_customers_add_self_service(p, 3, 4, 0), KPI_ERR_RANGE);
    ck_assert_status(kpi_customers_add_self_service(p, 1, 1, UINT64_MAX),
                     KPI_ERR_OVERFLOW);
    ck_assert_status(kpi_customers_add_unserved(p, 64, 1), KPI_ERR_RANGE);
    ck_assert_status(kpi_customers_add_unserved(p, 0, UINT64_MAX),
                     KPI_ERR_OVERFLOW);
    ck_assert_status(kpi_customers_set_start(NULL, 1), KPI_ERR_INVALID);
    customers_same(p, before);
    kpi_customers *o;
    ck_assert_ok(kpi_customers_new(&o));
    ck_assert_ok(kpi_customers_set_margin(o, 0.5));
    ck_assert_status(kpi_customers_merge(p, o), KPI_ERR_INCOMPATIBLE);
    ck_assert_ok(kpi_customers_set_margin(o, 0.6));
    ck_assert_ok(kpi_customers_add_interactions(o, UINT64_MAX));
    ck_assert_status(kpi_customers_merge(p, o), KPI_ERR_OVERFLOW);
    ck_assert_status(kpi_customers_merge(p, NULL), KPI_ERR_INVALID);
    customers_same(p, before);
    kpi_customers_reset(p);
    double v;
    ck_assert_status(kpi_customers_churn_net(p, &v), KPI_ERR_EMPTY);
    kpi_customers_reset(NULL);
    /* reset keeps the margin (configuration) and clears the period: a new
     * period of start 10, 2 lost, end 8, revenue 100 gives CLV = revenue
     * per customer 10 x 0.4 / churn 0.2 = 20 without setting the margin
     * again; a merge with a different margin is still refused */
    kpi_customers *m;
    ck_assert_ok(kpi_customers_new(&m));
    ck_assert_ok(kpi_customers_set_margin(m, 0.4));
    ck_assert_ok(kpi_customers_set_start(m, 3));
    ck_assert_ok(kpi_customers_add_revenue(m, 7));
    kpi_customers_reset(m);
    ck_assert_status(kpi_customers_churn_net(m, &v), KPI_ERR_EMPTY);
    ck_assert_ok(kpi_customers_set_start(m, 10));
    ck_assert_ok(kpi_customers_set_end(m, 8));
    ck_assert_ok(kpi_customers_add_lost(m, 2));
    ck_assert_ok(kpi_customers_add_revenue(m, 100));
    ck_assert_ok(kpi_customers_clv(m, &v));
    ck_assert_double_eq_tol(v, 20.0, 1e-12);
    ck_assert_status(kpi_customers_merge(m, o), KPI_ERR_INCOMPATIBLE);
    kpi_customers *r = customers_reread(m);
    customers_same(r, m);
    kpi_customers_free(r);
    kpi_customers_free(m);
    kpi_customers_free(NULL);
    ck_assert_uint_eq(kpi_customers_footprint(NULL), 0);
    ck_assert_uint_gt(kpi_customers_footprint(p), 600);
    kpi_customers_free(o);
    kpi_customers_free(p);
    kpi_customers_free(before);
}
END_TEST

START_TEST(customer_merge_of_shards_equals_the_whole)
{
    /* two shards with disjoint customer bases */
    kpi_customers *a, *b, *all;
    ck_assert_ok(kpi_customers_new(&a));
    ck_assert_ok(kpi_customers_new(&b));
    ck_assert_ok(kpi_customers_new(&all));
    ck_assert_ok(kpi_customers_set_start(a, 600));
    ck_assert_ok(kpi_customers_set_start(b, 400));
    ck_assert_ok(kpi_customers_set_start(all, 1000));
    ck_assert_ok(kpi_customers_set_end(a, 590));
    ck_assert_ok(kpi_customers_set_end(b, 360));
    ck_assert_ok(kpi_customers_set_end(all, 950));
    ck_assert_ok(kpi_customers_set_margin(a, 0.6));
    ck_assert_ok(kpi_customers_set_margin(all, 0.6));
    test_rng r = {3};
    for (int i = 0; i < 200; i++) {
        kpi_customers *s = test_range(&r, 0, 1) ? a : b;
        uint64_t x = (uint64_t)test_range(&r, 0, 50);
        uint64_t y = (uint64_t)test_range(&r, 0, (int64_t)x);
        uint32_t reason = (uint32_t)test_range(&r, 0, 63);
        double rev = (double)test_range(&r, 0, 1000);
        kpi_customers *both[2] = {s, all};
        for (int k = 0; k < 2; k++) {
            ck_assert_ok(kpi_customers_add_new(both[k], x));
            ck_assert_ok(kpi_customers_add_lost(both[k], y));
            ck_assert_ok(kpi_customers_add_referred(both[k], y));
            ck_assert_ok(kpi_customers_add_revenue(both[k], rev));
            ck_assert_ok(kpi_customers_add_interactions(both[k], x));
            ck_assert_ok(kpi_customers_add_purchasers(both[k], x, y));
            ck_assert_ok(kpi_customers_add_self_service(both[k], x, y, y));
            ck_assert_ok(kpi_customers_add_offered(both[k], x));
            ck_assert_ok(kpi_customers_add_unserved(both[k], reason, y));
        }
    }
    ck_assert_ok(kpi_customers_merge(a, b));
    customers_same(a, all);
    ck_assert_ok(kpi_customers_merge(a, a));
    double v;
    ck_assert_ok(kpi_customers_churn_net(a, &v));
    ck_assert_near(v, 0.05, 1e-15);
    kpi_customers_free(a);
    kpi_customers_free(b);
    kpi_customers_free(all);
}
END_TEST

START_TEST(customer_state_round_trips_and_rejects_bad_bytes)
{
    kpi_customers *p = sample(), *d = NULL;
    size_t len;
    unsigned char *b = customers_bytes(p, &len);
    ck_assert_ok(kpi_customers_deserialize(&d, b, len));
    customers_same(p, d);
    kpi_customers_free(d);
    d = NULL;
    for (size_t cut = 0; cut < len; cut++)
        ck_assert_int_lt(kpi_customers_deserialize(&d, b, cut), 0);
    for (size_t i = 0; i < len; i++) {
        b[i] ^= 0x20;
        ck_assert_int_lt(kpi_customers_deserialize(&d, b, len), 0);
        b[i] ^= 0x20;
    }
    b[6] = 17;
    ck_assert_int_lt(kpi_customers_deserialize(&d, b, len), 0);
    ck_assert_ptr_null(d);
    free(b);
    kpi_customers_free(p);
}
END_TEST

START_TEST(customer_allocations_fail_cleanly)
{
    test_alloc t;
    kpi_allocator al = test_allocator(&t);
    kpi_customers *p, *c;
    t.fail_at = 1;
    ck_assert_status(kpi_customers_new_with(&p, &al), KPI_ERR_NOMEM);
    t.fail_at = 0;
    ck_assert_ok(kpi_customers_new_with(&p, &al));
    ck_assert_ok(kpi_customers_add_new(p, 5));
    t.fail_at = t.calls + 1;
    ck_assert_status(kpi_customers_clone(p, &c), KPI_ERR_NOMEM);
    t.fail_at = t.calls + 1;
    ck_assert_status(kpi_customers_merge(p, p), KPI_ERR_NOMEM);
    size_t len;
    unsigned char *b = customers_bytes(p, &len);
    t.fail_at = t.calls + 1;
    ck_assert_status(kpi_customers_deserialize_with(&c, b, len, &al),
                     KPI_ERR_NOMEM);
    ck_assert_int_eq(t.live, 1);
    t.fail_at = 0;
    ck_assert_ok(kpi_customers_deserialize_with(&c, b, len, &al));
    customers_same(p, c);
    ck_assert_int_eq(t.mallocs, 2);
    kpi_customers_free(c);
    kpi_customers_free(p);
    ck_assert_int_eq(t.live, 0);
    free(b);
}
END_TEST

/* A customers state with start `start` and one revenue `rev`: its bytes
 * (*len) and *at, where the revenue and its compensation (0) stand side
 * by side. */
static unsigned char *revenue_state(uint64_t start, double rev, size_t *len,
                                    size_t *at)
{
    kpi_customers *p;
    const double zero = 0;
    ck_assert_ok(kpi_customers_new(&p));
    ck_assert_ok(kpi_customers_set_start(p, start));
    ck_assert_ok(kpi_customers_add_revenue(p, rev));
    unsigned char *b = customers_bytes(p, len);
    kpi_customers_free(p);
    unsigned char want[16];
    test_put_f64(want, rev);
    test_put_f64(want + 8, zero);
    *at = 0;
    for (size_t i = 12; i + 16 <= *len && !*at; i++)
        if (memcmp(b + i, want, 16) == 0)
            *at = i;
    ck_assert_uint_gt(*at, 0);
    return b;
}

/* The revenue is kept as a compensated sum (two doubles).  Each part
 * finite but adding up to inf (1e308 + 1e308 > DBL_MAX ~ 1.797e308) is a
 * state no call can make (an add or merge past DBL_MAX is refused): it
 * used to read back with a revenue per customer of inf.  Now corrupt. */
START_TEST(customer_revenue_parts_adding_to_inf_are_corrupt)
{
    kpi_customers *d = NULL;
    size_t len, at;
    unsigned char *b = revenue_state(10, 1.5, &len, &at);
    const double big = 1e308;
    test_put_f64(b + at, big);
    test_reseal(b, len);
    ck_assert_ok(kpi_customers_deserialize(&d, b, len)); /* 1e308 + 0 */
    kpi_customers_free(d);
    d = NULL;
    test_put_f64(b + at + 8, big);
    test_reseal(b, len);
    ck_assert_status(kpi_customers_deserialize(&d, b, len), KPI_ERR_CORRUPT);
    ck_assert_ptr_null(d);
    free(b);
}
END_TEST

/* The revenue is a compensated sum s + c of amounts >= 0: each add's
 * rounding error goes into c, at most 2^-53 of the sum, so c stays far
 * under s / 2 (it would take some 2^52 adds to get there).  Start 1,
 * revenue 256 forged as s = 2^60, c = -(2^60 - 256) (both exact doubles;
 * s + c = 256) used to decode with the same revenue per customer, 256,
 * but then no add of 50 counted: 2^60 + 50 rounds back to 2^60 (a double
 * there is a multiple of 256), and c + 50 back to c (a multiple of 128):
 * ten adds of 50 read 256 instead of 256 + 500 = 756.  Now corrupt (c = 0
 * with s = 256 reads back; so does 2^60 with c = 256 > 0, a sum of
 * 2^60 + 256). */
START_TEST(a_revenue_compensation_past_half_the_sum_is_corrupt)
{
    kpi_customers *d = NULL;
    size_t len, at;
    unsigned char *b = revenue_state(1, 256, &len, &at);
    const double s[3] = {0x1p60, 0x1p60, 256}, c[3] = {-(0x1p60 - 256), 256, 0};
    for (int k = 0; k < 3; k++) {
        test_put_f64(b + at, s[k]);
        test_put_f64(b + at + 8, c[k]);
        test_reseal(b, len);
        int rc = kpi_customers_deserialize(&d, b, len);
        if (k == 0) {
            ck_assert_status(rc, KPI_ERR_CORRUPT);
            ck_assert_ptr_null(d);
            continue;
        }
        ck_assert_ok(rc);
        double v;
        for (int i = 0; i < 10; i++)
            ck_assert_ok(kpi_customers_add_revenue(d, 50));
        ck_assert_ok(kpi_customers_revenue_per_customer(d, &v));
        ck_assert_double_eq(v, s[k] + c[k] + 500);
        kpi_customers_free(d);
        d = NULL;
    }
    free(b);
    /* revenues of every size, added and merged (into itself too): every
     * state reads back as itself */
    kpi_customers *q[2];
    test_rng r = {5};
    for (int i = 0; i < 2; i++)
        ck_assert_ok(kpi_customers_new(&q[i]));
    for (int step = 0; step < 4000; step++) {
        kpi_customers *x = q[step % 2];
        double u = test_uniform(&r);
        int rc = u < 0.05 ? kpi_customers_merge(x, q[test_range(&r, 0, 1)])
                          : kpi_customers_add_revenue(x, ldexp(test_uniform(&r),
                                                               (int)test_range(&r, -60, 80)));
        ck_assert_msg(rc == KPI_OK || rc == KPI_ERR_OVERFLOW, "%s", kpi_status_name(rc));
        kpi_customers *e = customers_reread(x);
        customers_same(e, x);
        kpi_customers_free(e);
    }
    for (int i = 0; i < 2; i++)
        kpi_customers_free(q[i]);
}
END_TEST

/* ---- journey ------------------------------------------------------------ */

START_TEST(journey_statistics_by_hand)
{
    kpi_journey *j;
    ck_assert_ok(kpi_journey_new(&j, 10, 1000));
    double v;
    uint64_t n;
    ck_assert_status(kpi_journey_touchpoints_mean(j, &v), KPI_ERR_EMPTY);
    ck_assert_status(kpi_journey_resolution_mean(j, &v, &n), KPI_ERR_EMPTY);
    /* customer 1: web, web, phone, chat -> 4 touches, 2 switches */
    ck_assert_ok(kpi_journey_touch(j, 1, 10, 100));
    ck_assert_ok(kpi_journey_touch(j, 1, 10, 150));
    ck_assert_ok(kpi_journey_touch(j, 2, 30, 160));
    ck_assert_ok(kpi_journey_touch(j, 1, 20, 200));
    ck_assert_ok(kpi_journey_touch(j, 1, 30, 300));
    ck_assert_uint_eq(kpi_journey_open(j), 2);
    ck_assert_ok(kpi_journey_resolve(j, 1, 400)); /* 300 ms to resolution */
    /* customer 2: phone, email -> 2 touches, 1 switch, resolved at 660 */
    ck_assert_ok(kpi_journey_touch(j, 2, 40, 600));
    ck_assert_ok(kpi_journey_resolve(j, 2, 660));
    ck_assert_uint_eq(kpi_journey_open(j), 0);
    ck_assert_ok(kpi_journey_touchpoints_mean(j, &v));
    ck_assert_near(v, 3.0, 1e-15);
    ck_assert_ok(kpi_journey_switches_mean(j, &v));
    ck_assert_near(v, 1.5, 1e-15);
    ck_assert_ok(kpi_journey_resolution_mean(j, &v, &n));
    ck_assert_near(v, 400.0, 1e-12); /* (300 + 500) / 2 */
    ck_assert_uint_eq(n, 2);
    ck_assert_uint_eq(kpi_journey_unresolved(j), 0);
    kpi_journey_free(j);
}
END_TEST

START_TEST(idle_journeys_close_unresolved_and_full_tables_evict_the_oldest)
{
    kpi_journey *j;
    ck_assert_ok(kpi_journey_new(&j, 2, 100));
    ck_assert_ok(kpi_journey_touch(j, 1, 0, 0));
    ck_assert_ok(kpi_journey_touch(j, 2, 0, 50));
    ck_assert_ok(kpi_journey_touch(j, 1, 1, 60)); /* 1 is now the newer */
    ck_assert_ok(kpi_journey_touch(j, 3, 0, 70)); /* full: evicts 2 */
    ck_assert_uint_eq(kpi_journey_evicted(j), 1);
    ck_assert_uint_eq(kpi_journey_unresolved(j), 1);
    ck_assert_status(kpi_journey_resolve(j, 2, 80), KPI_ERR_UNKNOWN_ID);
    ck_assert_ok(kpi_journey_advance(j, 161)); /* 1 idle 101 > 100 */
    ck_assert_uint_eq(kpi_journey_open(j), 1);
    ck_assert_uint_eq(kpi_journey_unresolved(j), 2);
    ck_assert_uint_eq(kpi_journey_evicted(j), 1);
    ck_assert_ok(kpi_journey_advance(j, 100)); /* earlier: no-op */
    ck_assert_uint_eq(kpi_journey_open(j), 1);
    /* a resolve after the journey went idle names the customer unknown */
    ck_assert_status(kpi_journey_resolve(j, 3, 171), KPI_ERR_UNKNOWN_ID);
    ck_assert_uint_eq(kpi_journey_open(j), 1); /* and changed nothing */
    ck_assert_ok(kpi_journey_resolve(j, 3, 170));
    double v;
    ck_assert_ok(kpi_journey_touchpoints_mean(j, &v));
    ck_assert_near(v, 4.0 / 3.0, 1e-15); /* 1, 2 and 1 touches */
    ck_assert_ok(kpi_journey_switches_mean(j, &v));
    ck_assert_near(v, 1.0 / 3.0, 1e-15);
    ck_assert_ok(kpi_journey_resolution_mean(j, &v, NULL));
    ck_assert_near(v, 100, 0);
    kpi_journey_free(j);
}
END_TEST

START_TEST(journey_errors_change_nothing)
{
    kpi_journey *j, *before;
    ck_assert_status(kpi_journey_new(NULL, 2, 100), KPI_ERR_INVALID);
    ck_assert_status(kpi_journey_new(&j, 0, 100), KPI_ERR_RANGE);
    ck_assert_status(kpi_journey_new(&j, 2, 0), KPI_ERR_RANGE);
    ck_assert_status(kpi_journey_new(&j, KPI_JOURNEY_MAX_CUSTOMERS + 1, 1),
                     KPI_ERR_RANGE);
    ck_assert_ok(kpi_journey_new(&j, 4, 100));
    ck_assert_ok(kpi_journey_touch(j, 7, 1, 500));
    ck_assert_ok(kpi_journey_touch(j, 8, 1, 450));
    ck_assert_ok(kpi_journey_clone(j, &before));
    ck_assert_status(kpi_journey_touch(j, 7, 1, 499), KPI_ERR_ORDER);
    ck_assert_status(kpi_journey_touch(j, 9, 1, 399), KPI_ERR_ORDER);
    ck_assert_status(kpi_journey_resolve(j, 7, 499), KPI_ERR_ORDER);
    ck_assert_status(kpi_journey_resolve(j, 99, 600), KPI_ERR_UNKNOWN_ID);
    ck_assert_status(kpi_journey_touch(NULL, 1, 1, 1), KPI_ERR_INVALID);
    ck_assert_status(kpi_journey_resolve(NULL, 1, 1), KPI_ERR_INVALID);
    ck_assert_status(kpi_journey_advance(NULL, 1), KPI_ERR_INVALID);
    journey_same(j, before);
    kpi_journey *o;
    ck_assert_ok(kpi_journey_new(&o, 4, 101));
    ck_assert_status(kpi_journey_merge(j, o), KPI_ERR_INCOMPATIBLE);
    ck_assert_ok(kpi_journey_merge(o, o)); /* nothing open: fine */
    kpi_journey_free(o);
    ck_assert_status(kpi_journey_merge(before, j), KPI_ERR_STATE);
    ck_assert_status(kpi_journey_merge(j, NULL), KPI_ERR_INVALID);
    journey_same(j, before);
    kpi_journey_reset(j);
    ck_assert_uint_eq(kpi_journey_open(j), 0);
    ck_assert_uint_eq(kpi_journey_open(NULL), 0);
    ck_assert_uint_eq(kpi_journey_footprint(NULL), 0);
    ck_assert_uint_gt(kpi_journey_footprint(j), 4 * 48);
    kpi_journey_reset(NULL);
    kpi_journey_free(NULL);
    kpi_journey_free(j);
    kpi_journey_free(before);
}
END_TEST

/* A naive reference: open journeys in a plain array, linear scans. */
typedef struct naive_j {
    uint64_t c;
    int64_t first, last;
    uint64_t touches, switches;
    uint32_t ch;
} naive_j;
typedef struct naive {
    naive_j o[64];
    int n, max;
    int64_t idle, clock;
    int have;
    uint64_t closed, resolved, unresolved, evicted, touches, switches;
    double dur;
} naive;

static void nv_close(naive *s, int i, int resolved, int64_t t, int evicted)
{
    s->closed++;
    s->touches += s->o[i].touches;
    s->switches += s->o[i].switches;
    if (resolved) {
        s->resolved++;
        s->dur += (double)(t - s->o[i].first);
    } else {
        s->unresolved++;
        s->evicted += (uint64_t)evicted;
    }
    s->o[i] = s->o[--s->n];
}
static void nv_clock(naive *s, int64_t t)
{
    if (!s->have || t > s->clock)
        s->clock = t;
    s->have = 1;
    for (int i = 0; i < s->n;)
        if (s->o[i].last < s->clock - s->idle)
            nv_close(s, i, 0, 0, 0);
        else
            i++;
}
static int nv_find(naive *s, uint64_t c)
{
    for (int i = 0; i < s->n; i++)
        if (s->o[i].c == c)
            return i;
    return -1;
}
static void nv_touch(naive *s, uint64_t c, uint32_t ch, int64_t t)
{
    nv_clock(s, t);
    int i = nv_find(s, c);
    if (i >= 0) {
        s->o[i].touches++;
        s->o[i].switches += s->o[i].ch != ch;
        s->o[i].ch = ch;
        s->o[i].last = t;
        return;
    }
    if (s->n == s->max) {
        int m = 0;
        for (int k = 1; k < s->n; k++)
            if (s->o[k].last < s->o[m].last ||
                (s->o[k].last == s->o[m].last && s->o[k].c < s->o[m].c))
                m = k;
        nv_close(s, m, 0, 0, 1);
    }
    s->o[s->n++] = (naive_j){c, t, t, 1, 0, ch};
}

START_TEST(journey_matches_a_naive_reference_and_merges)
{
    test_rng r = {99};
    for (int round = 0; round < 30; round++) {
        kpi_journey *j, *half[2];
        ck_assert_ok(kpi_journey_new(&j, 16, 500));
        ck_assert_ok(kpi_journey_new(&half[0], 16, 500));
        ck_assert_ok(kpi_journey_new(&half[1], 16, 500));
        naive s;
        memset(&s, 0, sizeof s);
        s.max = 16;
        s.idle = 500;
        int64_t t = 1000;
        for (int i = 0; i < 600; i++) {
            t += test_range(&r, 0, 40);
            uint64_t c = (uint64_t)test_range(&r, 0, 40);
            uint32_t ch = (uint32_t)test_range(&r, 0, 3);
            if (test_range(&r, 0, 4) == 0) {
                int ns = nv_find(&s, c);
                int rc = kpi_journey_resolve(j, c, t);
                /* the naive model closes idle journeys first */
                naive probe = s;
                nv_clock(&probe, t);
                if (nv_find(&probe, c) < 0) {
                    ck_assert_status(rc, KPI_ERR_UNKNOWN_ID);
                } else {
                    ck_assert_ok(rc);
                    s = probe;
                    nv_close(&s, nv_find(&s, c), 1, t, 0);
                }
                (void)ns;
            } else {
                ck_assert_ok(kpi_journey_touch(j, c, ch, t));
                nv_touch(&s, c, ch, t);
            }
            ck_assert_uint_eq(kpi_journey_open(j), (uint64_t)s.n);
        }
        ck_assert_uint_eq(kpi_journey_unresolved(j), s.unresolved);
        ck_assert_uint_eq(kpi_journey_evicted(j), s.evicted);
        double v;
        uint64_t n;
        if (s.resolved) {
            ck_assert_ok(kpi_journey_resolution_mean(j, &v, &n));
            ck_assert_uint_eq(n, s.resolved);
            ck_assert_near(v, s.dur / (double)s.resolved, 1e-9);
        }
        ck_assert_ok(kpi_journey_touchpoints_mean(j, &v));
        ck_assert_near(v, (double)s.touches / (double)s.closed, 1e-12);
        ck_assert_ok(kpi_journey_switches_mean(j, &v));
        ck_assert_near(v, (double)s.switches / (double)s.closed, 1e-12);
        /* round trip with open journeys, then identical continuation */
        size_t len;
        unsigned char *b = journey_bytes(j, &len);
        kpi_journey *d;
        ck_assert_ok(kpi_journey_deserialize(&d, b, len));
        journey_same(j, d);
        ck_assert_ok(kpi_journey_touch(j, 5, 1, t + 1));
        ck_assert_ok(kpi_journey_touch(d, 5, 1, t + 1));
        ck_assert_ok(kpi_journey_advance(j, t + 400));
        ck_assert_ok(kpi_journey_advance(d, t + 400));
        journey_same(j, d);
        free(b);
        kpi_journey_free(d);
        /* merge: split customers by parity into two trackers */
        kpi_journey *whole;
        ck_assert_ok(kpi_journey_new(&whole, 16, 500));
        int64_t u = 0;
        for (int i = 0; i < 200; i++) {
            u += test_range(&r, 0, 10);
            uint64_t c = (uint64_t)test_range(&r, 0, 7);
            uint32_t ch = (uint32_t)test_range(&r, 0, 2);
            int res = test_range(&r, 0, 3) == 0;
            kpi_journey *h = half[c & 1];
            if (res) {
                int r1 = kpi_journey_resolve(whole, c, u);
                int r2 = kpi_journey_resolve(h, c, u);
                ck_assert_int_eq(r1, r2);
            } else {
                ck_assert_ok(kpi_journey_touch(whole, c, ch, u));
                ck_assert_ok(kpi_journey_touch(h, c, ch, u));
            }
        }
        ck_assert_ok(kpi_journey_advance(whole, u + 1000));
        ck_assert_ok(kpi_journey_advance(half[0], u + 1000));
        ck_assert_ok(kpi_journey_advance(half[1], u + 1000));
        ck_assert_ok(kpi_journey_merge(half[0], half[1]));
        journey_same(half[0], whole);
        kpi_journey_free(whole);
        kpi_journey_free(j);
        kpi_journey_free(half[0]);
        kpi_journey_free(half[1]);
    }
}
END_TEST

/* The naive model's touch and resolve with the header's refusals: a time
 * older than the clock minus idle_ms, or than the customer's last touch
 * (while its journey is not idle), is KPI_ERR_ORDER; a resolve of no open
 * (or an idle) journey KPI_ERR_UNKNOWN_ID. */
static int nv_touch_checked(naive *s, uint64_t c, uint32_t ch, int64_t t)
{
    if (s->have && t < s->clock - s->idle)
        return KPI_ERR_ORDER;
    int64_t now = s->have && s->clock > t ? s->clock : t;
    int i = nv_find(s, c);
    if (i >= 0 && s->o[i].last >= now - s->idle && t < s->o[i].last)
        return KPI_ERR_ORDER;
    nv_touch(s, c, ch, t);
    return KPI_OK;
}
static int nv_resolve_checked(naive *s, uint64_t c, int64_t t)
{
    if (s->have && t < s->clock - s->idle)
        return KPI_ERR_ORDER;
    int64_t now = s->have && s->clock > t ? s->clock : t;
    int i = nv_find(s, c);
    if (i < 0 || s->o[i].last < now - s->idle)
        return KPI_ERR_UNKNOWN_ID;
    if (t < s->o[i].last)
        return KPI_ERR_ORDER;
    nv_clock(s, t);
    nv_close(s, nv_find(s, c), 1, t, 0);
    return KPI_OK;
}

/* Touches and resolves out of time order (within the horizon and beyond),
 * ids 0 and UINT64_MAX, small tables that evict, round trips on the way:
 * every status and every read as the naive model says. */
START_TEST(journey_out_of_order_times_match_the_naive_reference)
{
    test_rng r = {2026};
    for (int round = 0; round < 40; round++) {
        uint32_t max = (uint32_t)test_range(&r, 1, 12);
        int64_t idle = test_range(&r, 1, 300);
        kpi_journey *j;
        ck_assert_ok(kpi_journey_new(&j, max, idle));
        naive s;
        memset(&s, 0, sizeof s);
        s.max = (int)max;
        s.idle = idle;
        int64_t t = test_range(&r, -1000, 1000);
        for (int i = 0; i < 600; i++) {
            t += test_range(&r, -20, 40);
            int64_t u = test_range(&r, 0, 2) ? t : t - test_range(&r, 0, idle + 50);
            uint64_t c = (uint64_t)test_range(&r, 0, 20);
            c = c == 20 ? UINT64_MAX : c;
            uint32_t ch = (uint32_t)test_range(&r, 0, 2);
            int k = (int)test_range(&r, 0, 9);
            if (k < 6) {
                ck_assert_int_eq(kpi_journey_touch(j, c, ch, u),
                                 nv_touch_checked(&s, c, ch, u));
            } else if (k < 8) {
                ck_assert_int_eq(kpi_journey_resolve(j, c, u),
                                 nv_resolve_checked(&s, c, u));
            } else if (k < 9) {
                ck_assert_ok(kpi_journey_advance(j, u));
                nv_clock(&s, u);
            } else {
                kpi_journey *d = journey_reread(j);
                journey_same(j, d);
                kpi_journey_free(j);
                j = d;
            }
            ck_assert_uint_eq(kpi_journey_open(j), (uint64_t)s.n);
            ck_assert_uint_eq(kpi_journey_unresolved(j), s.unresolved);
            ck_assert_uint_eq(kpi_journey_evicted(j), s.evicted);
        }
        double v;
        uint64_t n;
        if (s.closed) {
            ck_assert_ok(kpi_journey_touchpoints_mean(j, &v));
            ck_assert_near(v, (double)s.touches / (double)s.closed, 1e-12);
            ck_assert_ok(kpi_journey_switches_mean(j, &v));
            ck_assert_near(v, (double)s.switches / (double)s.closed, 1e-12);
        }
        if (s.resolved) {
            ck_assert_ok(kpi_journey_resolution_mean(j, &v, &n));
            ck_assert_uint_eq(n, s.resolved);
            ck_assert_near(v, s.dur / (double)s.resolved, 1e-9);
        }
        kpi_journey_free(j);
    }
}
END_TEST

/* A merge brings src's clock: dst's idle journeys close and older touches
 * are refused, exactly as in one tracker fed both streams. */
START_TEST(journey_merge_carries_the_later_clock)
{
    kpi_journey *a, *b, *whole, *empty;
    ck_assert_ok(kpi_journey_new(&a, 8, 1000));
    ck_assert_ok(kpi_journey_new(&b, 8, 1000));
    ck_assert_ok(kpi_journey_new(&whole, 8, 1000));
    ck_assert_ok(kpi_journey_new(&empty, 8, 1000));
    ck_assert_ok(kpi_journey_touch(a, 1, 1, 100));
    ck_assert_ok(kpi_journey_touch(whole, 1, 1, 100));
    ck_assert_ok(kpi_journey_touch(b, 2, 1, 5000));
    ck_assert_ok(kpi_journey_touch(whole, 2, 1, 5000));
    ck_assert_ok(kpi_journey_resolve(b, 2, 5100));
    ck_assert_ok(kpi_journey_resolve(whole, 2, 5100));
    ck_assert_ok(kpi_journey_advance(b, 5100));

    ck_assert_ok(kpi_journey_merge(empty, b)); /* the receiver gets a clock */
    ck_assert_status(kpi_journey_touch(empty, 3, 1, 50), KPI_ERR_ORDER);
    ck_assert_status(kpi_journey_touch(b, 3, 1, 50), KPI_ERR_ORDER);

    ck_assert_uint_eq(kpi_journey_open(a), 1);
    ck_assert_ok(kpi_journey_merge(a, b));
    ck_assert_uint_eq(kpi_journey_open(a), 0); /* customer 1 idle since 100 */
    ck_assert_uint_eq(kpi_journey_open(whole), 0);
    journey_same(a, whole);
    ck_assert_status(kpi_journey_touch(a, 3, 1, 50), KPI_ERR_ORDER);
    ck_assert_status(kpi_journey_touch(whole, 3, 1, 50), KPI_ERR_ORDER);
    ck_assert_ok(kpi_journey_touch(a, 3, 1, 5200));
    ck_assert_ok(kpi_journey_touch(whole, 3, 1, 5200));
    journey_same(a, whole);
    kpi_journey_free(a);
    kpi_journey_free(b);
    kpi_journey_free(whole);
    kpi_journey_free(empty);
}
END_TEST

/* Every read of two trackers, then the same continuation for customers
 * 0 .. ncust - 1 (a resolve of each at time t, the same answer from
 * both), then both advanced past every journey: the same state. */
static void journey_read_alike(kpi_journey *a, kpi_journey *b, uint64_t ncust, int64_t t)
{
    ck_assert_uint_eq(kpi_journey_open(a), kpi_journey_open(b));
    ck_assert_uint_eq(kpi_journey_unresolved(a), kpi_journey_unresolved(b));
    ck_assert_uint_eq(kpi_journey_evicted(a), kpi_journey_evicted(b));
    double va, vb;
    uint64_t na, nb;
    int ra = kpi_journey_touchpoints_mean(a, &va), rb = kpi_journey_touchpoints_mean(b, &vb);
    ck_assert_int_eq(ra, rb);
    if (ra == KPI_OK)
        ck_assert_double_eq(va, vb);
    ra = kpi_journey_switches_mean(a, &va);
    rb = kpi_journey_switches_mean(b, &vb);
    ck_assert_int_eq(ra, rb);
    if (ra == KPI_OK)
        ck_assert_double_eq(va, vb);
    ra = kpi_journey_resolution_mean(a, &va, &na);
    rb = kpi_journey_resolution_mean(b, &vb, &nb);
    ck_assert_int_eq(ra, rb);
    if (ra == KPI_OK) {
        ck_assert_uint_eq(na, nb);
        ck_assert_double_eq_tol(va, vb, 1e-9 * (va > 1 ? va : 1));
    }
    for (uint64_t c = 0; c < ncust; c++)
        ck_assert_int_eq(kpi_journey_resolve(a, c, t), kpi_journey_resolve(b, c, t));
    ck_assert_ok(kpi_journey_advance(a, t + (INT64_C(1) << 40)));
    ck_assert_ok(kpi_journey_advance(b, t + (INT64_C(1) << 40)));
    journey_same(a, b);
}

/* Shards by customer merge, open journeys and all, into what one tracker
 * fed both streams reads, whenever the open journeys fit. */
START_TEST(journey_shards_with_open_journeys_merge_as_one_tracker)
{
    test_rng r = {4242};
    for (int round = 0; round < 40; round++) {
        int64_t idle = test_range(&r, 50, 800);
        kpi_journey *whole, *half[2];
        ck_assert_ok(kpi_journey_new(&whole, 64, idle));
        ck_assert_ok(kpi_journey_new(&half[0], 64, idle));
        ck_assert_ok(kpi_journey_new(&half[1], 64, idle));
        int64_t u = test_range(&r, -5000, 5000);
        int events = (int)test_range(&r, 1, 300);
        for (int i = 0; i < events; i++) {
            u += test_range(&r, 0, 30);
            uint64_t c = (uint64_t)test_range(&r, 0, 40);
            uint32_t ch = (uint32_t)test_range(&r, 0, 2);
            kpi_journey *h = half[c & 1];
            if (test_range(&r, 0, 3) == 0) {
                ck_assert_int_eq(kpi_journey_resolve(whole, c, u), kpi_journey_resolve(h, c, u));
            } else {
                ck_assert_ok(kpi_journey_touch(whole, c, ch, u));
                ck_assert_ok(kpi_journey_touch(h, c, ch, u));
            }
        }
        /* either way round: the later clock may be on either side */
        int into = (int)test_range(&r, 0, 1);
        ck_assert_ok(kpi_journey_merge(half[into], half[1 - into]));
        ck_assert_uint_eq(kpi_journey_open(half[into]), kpi_journey_open(whole));
        journey_read_alike(half[into], whole, 41, u + test_range(&r, 0, 100));
        kpi_journey_free(whole);
        kpi_journey_free(half[0]);
        kpi_journey_free(half[1]);
    }
}
END_TEST

/* The open journeys of both do not fit: the least recently touched go,
 * counted as evicted; src's journeys idle past the merged clock close
 * unresolved; a customer open on both sides is refused. */
START_TEST(journey_merge_of_open_journeys_by_hand)
{
    kpi_journey *d, *s;
    ck_assert_ok(kpi_journey_new(&d, 4, 1000));
    ck_assert_ok(kpi_journey_new(&s, 4, 1000));
    ck_assert_ok(kpi_journey_touch(d, 1, 0, 100));
    ck_assert_ok(kpi_journey_touch(d, 2, 0, 200));
    ck_assert_ok(kpi_journey_touch(d, 3, 0, 300));
    ck_assert_ok(kpi_journey_touch(s, 4, 0, 150));
    ck_assert_ok(kpi_journey_touch(s, 4, 1, 160)); /* 2 touches, 1 switch */
    ck_assert_ok(kpi_journey_touch(s, 5, 2, 250));
    /* customer 3 open in both: refused, nothing changes */
    kpi_journey *s3;
    ck_assert_ok(kpi_journey_clone(s, &s3));
    ck_assert_ok(kpi_journey_touch(s3, 3, 0, 260));
    size_t dn, sn;
    unsigned char *db = journey_bytes(d, &dn), *sb = journey_bytes(s3, &sn);
    ck_assert_status(kpi_journey_merge(d, s3), KPI_ERR_STATE);
    journey_unchanged(d, db, dn);
    journey_unchanged(s3, sb, sn);
    free(db);
    free(sb);
    kpi_journey_free(s3);
    /* 3 + 2 open, room for 4: 4 comes in, then 5 evicts 1 (touched at 100) */
    ck_assert_ok(kpi_journey_merge(d, s));
    ck_assert_uint_eq(kpi_journey_open(d), 4);
    ck_assert_uint_eq(kpi_journey_evicted(d), 1);
    ck_assert_uint_eq(kpi_journey_unresolved(d), 1);
    ck_assert_status(kpi_journey_resolve(d, 1, 400), KPI_ERR_UNKNOWN_ID);
    /* 4's journey goes on: 3 touches, 2 switches, 150 .. 500 */
    ck_assert_ok(kpi_journey_touch(d, 4, 0, 450));
    ck_assert_ok(kpi_journey_resolve(d, 4, 500));
    double v;
    uint64_t n;
    ck_assert_ok(kpi_journey_resolution_mean(d, &v, &n));
    ck_assert_uint_eq(n, 1);
    ck_assert_double_eq(v, 350.0);
    /* closed: 1 (1 touch, 0 switches), 4 (3 touches, 2 switches) */
    ck_assert_ok(kpi_journey_touchpoints_mean(d, &v));
    ck_assert_double_eq(v, 2.0);
    ck_assert_ok(kpi_journey_switches_mean(d, &v));
    ck_assert_double_eq(v, 1.0);
    ck_assert_uint_eq(kpi_journey_open(s), 2); /* src unchanged */
    kpi_journey_free(d);
    kpi_journey_free(s);

    /* a full dst and a src journey older than all of dst's: it is the one
     * evicted; src's journeys idle past dst's later clock close unresolved */
    ck_assert_ok(kpi_journey_new(&d, 2, 1000));
    ck_assert_ok(kpi_journey_new(&s, 2, 1000));
    ck_assert_ok(kpi_journey_touch(d, 1, 0, 2000));
    ck_assert_ok(kpi_journey_touch(d, 2, 0, 2100));
    ck_assert_ok(kpi_journey_touch(s, 8, 0, 1500)); /* within 1000 of 2100 */
    ck_assert_ok(kpi_journey_touch(s, 9, 0, 1050)); /* idle at 2100 */
    ck_assert_ok(kpi_journey_merge(d, s));
    ck_assert_uint_eq(kpi_journey_open(d), 2);
    ck_assert_uint_eq(kpi_journey_unresolved(d), 2);
    ck_assert_uint_eq(kpi_journey_evicted(d), 1);
    ck_assert_ok(kpi_journey_resolve(d, 1, 2200));
    ck_assert_ok(kpi_journey_resolve(d, 2, 2200));
    ck_assert_status(kpi_journey_resolve(d, 8, 2200), KPI_ERR_UNKNOWN_ID);
    kpi_journey_free(d);
    kpi_journey_free(s);
}
END_TEST

/* n new trackers of max customers and idle ms into *out[0 .. n-1]. */
static void new_trackers(uint32_t max, int64_t idle, int n, kpi_journey **out[])
{
    for (int i = 0; i < n; i++)
        ck_assert_ok(kpi_journey_new(out[i], max, idle));
}

/* The same touch, accepted, in one tracker and in a shard. */
static void touch_both(kpi_journey *whole, kpi_journey *shard, uint64_t c, uint32_t ch,
                       int64_t t)
{
    ck_assert_ok(kpi_journey_touch(whole, c, ch, t));
    ck_assert_ok(kpi_journey_touch(shard, c, ch, t));
}

/* The merge's promise (one tracker fed both streams) holds when the
 * streams together come in time order and that tracker evicted nothing;
 * the two cases by hand where it cannot hold, as the header says. */
START_TEST(journey_merge_is_one_tracker_only_in_time_order_without_eviction)
{
    kpi_journey *whole, *a, *b;
    double v;
    /* idle 10.  Stream: 1 at 0, 2 at 15, 1 at 8 (out of order, within
     * the horizon 15 - 10 = 5).  One tracker: at 15 customer 1 (last
     * touch 0 < 5) closes unresolved with 1 touch, and the touch at 8
     * opens a new journey: closed 1, open 2, touchpoints mean 1 / 1.
     * Shard a sees 1 at 0 and 8 (its clock never passed 10): one open
     * journey of 2 touches; after the merge (clock 15, horizon 5, last
     * touch 8 stays): closed 0, open 2. */
    new_trackers(8, 10, 3, (kpi_journey **[]){&whole, &a, &b});
    touch_both(whole, a, 1, 0, 0);
    touch_both(whole, b, 2, 0, 15);
    touch_both(whole, a, 1, 0, 8);
    ck_assert_ok(kpi_journey_merge(a, b));
    ck_assert_uint_eq(kpi_journey_open(whole), 2);
    ck_assert_uint_eq(kpi_journey_unresolved(whole), 1);
    ck_assert_ok(kpi_journey_touchpoints_mean(whole, &v));
    ck_assert_double_eq(v, 1.0);
    ck_assert_uint_eq(kpi_journey_open(a), 2);
    ck_assert_uint_eq(kpi_journey_unresolved(a), 0);
    ck_assert_status(kpi_journey_touchpoints_mean(a, &v), KPI_ERR_EMPTY);
    kpi_journey_free(whole);
    kpi_journey_free(a);
    kpi_journey_free(b);

    /* max 2, in time order: 1 at 0 (a), 2 at 1 (b), 3 at 2 (a), 3
     * resolved at 3 (a).  One tracker is full at 2 and evicts 1 (the
     * least recently touched); shard a never holds more than 2.  After
     * the merge both sides' open journeys (1 and 2) fit, yet the merged
     * tracker differs: evicted 0 against 1, open 2 against 1, and 1's
     * resolve at 4 succeeds where one tracker names 1 unknown. */
    new_trackers(2, 1000, 3, (kpi_journey **[]){&whole, &a, &b});
    touch_both(whole, a, 1, 0, 0);
    touch_both(whole, b, 2, 0, 1);
    touch_both(whole, a, 3, 0, 2);
    ck_assert_ok(kpi_journey_resolve(whole, 3, 3));
    ck_assert_ok(kpi_journey_resolve(a, 3, 3));
    ck_assert_ok(kpi_journey_merge(a, b));
    ck_assert_uint_eq(kpi_journey_evicted(whole), 1);
    ck_assert_uint_eq(kpi_journey_open(whole), 1);
    ck_assert_uint_eq(kpi_journey_evicted(a), 0);
    ck_assert_uint_eq(kpi_journey_open(a), 2);
    ck_assert_status(kpi_journey_resolve(whole, 1, 4), KPI_ERR_UNKNOWN_ID);
    ck_assert_ok(kpi_journey_resolve(a, 1, 4));
    kpi_journey_free(whole);
    kpi_journey_free(a);
    kpi_journey_free(b);

    /* max 1, idle 1000: a holds 1 at 2000, b holds 2 at 1500.  The merge
     * keeps the most recently touched (1) and evicts 2, as one tracker fed
     * in time order (2 at 1500, then 1 at 2000 evicts 2); one tracker fed
     * 1 at 2000 first, then 2 at 1500, evicts 1 and keeps 2. */
    new_trackers(1, 1000, 3, (kpi_journey **[]){&whole, &a, &b});
    touch_both(whole, a, 1, 0, 2000);
    touch_both(whole, b, 2, 0, 1500);
    ck_assert_ok(kpi_journey_merge(a, b));
    ck_assert_uint_eq(kpi_journey_evicted(a), 1);
    ck_assert_uint_eq(kpi_journey_evicted(whole), 1);
    ck_assert_status(kpi_journey_resolve(a, 2, 2000), KPI_ERR_UNKNOWN_ID);
    ck_assert_ok(kpi_journey_resolve(a, 1, 2000));
    ck_assert_status(kpi_journey_resolve(whole, 1, 2000), KPI_ERR_UNKNOWN_ID);
    ck_assert_ok(kpi_journey_resolve(whole, 2, 2000));
    kpi_journey_free(whole);
    kpi_journey_free(a);
    kpi_journey_free(b);
}
END_TEST

/* Customers 1 (resolved after 20 ms), 2 and 3 (open), clock 40 ms. */
static kpi_journey *three_journeys(void)
{
    kpi_journey *j;
    ck_assert_ok(kpi_journey_new(&j, 8, 1000));
    ck_assert_ok(kpi_journey_touch(j, 1, 1, 10));
    ck_assert_ok(kpi_journey_touch(j, 2, 2, 20));
    ck_assert_ok(kpi_journey_resolve(j, 1, 30));
    ck_assert_ok(kpi_journey_touch(j, 3, 2, 40));
    return j;
}

START_TEST(journey_bytes_are_validated)
{
    kpi_journey *j, *d = NULL;
    j = three_journeys();
    size_t len;
    unsigned char *b = journey_bytes(j, &len);
    for (size_t cut = 0; cut < len; cut++)
        ck_assert_int_lt(kpi_journey_deserialize(&d, b, cut), 0);
    for (size_t i = 0; i < len; i++) {
        b[i] ^= 0x01;
        ck_assert_int_lt(kpi_journey_deserialize(&d, b, len), 0);
        b[i] ^= 0x01;
    }
    b[6] = 16;
    ck_assert_int_lt(kpi_journey_deserialize(&d, b, len), 0);
    ck_assert_ptr_null(d);
    free(b);
    kpi_journey_free(j);
}
END_TEST

START_TEST(journey_allocations_fail_cleanly)
{
    test_alloc t;
    kpi_allocator al = test_allocator(&t);
    kpi_journey *j = NULL, *c;
    for (long f = 1;; f++) {
        t.fail_at = t.calls + f;
        int rc = kpi_journey_new_with(&j, 8, 100, &al);
        if (rc == KPI_OK)
            break;
        ck_assert_status(rc, KPI_ERR_NOMEM);
        ck_assert_int_eq(t.live, 0);
    }
    t.fail_at = 0;
    ck_assert_int_eq(t.live, 4); /* struct, pool, heap, table */
    ck_assert_ok(kpi_journey_touch(j, 1, 1, 10));
    ck_assert_ok(kpi_journey_resolve(j, 1, 20));
    ck_assert_ok(kpi_journey_touch(j, 2, 1, 30));
    size_t len;
    unsigned char *b = journey_bytes(j, &len);
    for (long f = 1; f <= 4; f++) {
        long live = t.live;
        t.fail_at = t.calls + f;
        ck_assert_status(kpi_journey_clone(j, &c), KPI_ERR_NOMEM);
        ck_assert_int_eq(t.live, live);
        t.fail_at = t.calls + f;
        ck_assert_status(kpi_journey_deserialize_with(&c, b, len, &al),
                         KPI_ERR_NOMEM);
        ck_assert_int_eq(t.live, live);
    }
    ck_assert_ok(kpi_journey_advance(j, 1000)); /* close all: mergeable */
    for (long f = 1; f <= 4; f++) {
        long live = t.live;
        t.fail_at = t.calls + f;
        ck_assert_status(kpi_journey_merge(j, j), KPI_ERR_NOMEM);
        ck_assert_int_eq(t.live, live);
    }
    t.fail_at = 0;
    ck_assert_ok(kpi_journey_merge(j, j));
    double v;
    ck_assert_ok(kpi_journey_touchpoints_mean(j, &v));
    ck_assert_uint_eq(kpi_journey_unresolved(j), 2);
    t.fail_at = 0;
    ck_assert_ok(kpi_journey_deserialize_with(&c, b, len, &al));
    kpi_journey_free(c);
    ck_assert_ok(kpi_journey_clone(j, &c));
    journey_same(j, c);
    kpi_journey_free(c);
    kpi_journey_free(j);
    free(b);
    ck_assert_int_eq(t.live, 0);
}
END_TEST

START_TEST(every_call_refuses_null_and_other_types)
{
    kpi_customers *p = sample(), *before;
    ck_assert_ok(kpi_customers_clone(p, &before));
    kpi_rate *r;
    ck_assert_ok(kpi_rate_new(&r));
    /* an object of another type, passed through a cast (as from ctypes) */
    const kpi_customers *alien = (const kpi_customers *)(const void *)r;
    kpi_customers *alien_w = (kpi_customers *)(void *)r;
    kpi_estimate e;
    double v;
    uint64_t n;
    size_t len;
    const kpi_customers *objs[2] = {NULL, alien};
    for (int i = 0; i < 2; i++) {
        const kpi_customers *q = objs[i];
        ck_assert_status(kpi_customers_churn_net(q, &v), KPI_ERR_INVALID);
        ck_assert_status(kpi_customers_churn_lost(q, &e), KPI_ERR_INVALID);
        ck_assert_status(kpi_customers_retention(q, &v), KPI_ERR_INVALID);
        ck_assert_status(kpi_customers_referral_rate(q, &e), KPI_ERR_INVALID);
        ck_assert_status(kpi_customers_revenue_per_customer(q, &v), KPI_ERR_INVALID);
        ck_assert_status(kpi_customers_clv(q, &v), KPI_ERR_INVALID);
        ck_assert_status(kpi_customers_engagement(q, &v), KPI_ERR_INVALID);
        ck_assert_status(kpi_customers_repeat_share(q, &e), KPI_ERR_INVALID);
        ck_assert_status(kpi_customers_self_service(q, &e), KPI_ERR_INVALID);
        ck_assert_status(kpi_customers_self_service_usage(q, &e), KPI_ERR_INVALID);
        ck_assert_status(kpi_customers_unserved_count(q, 0, &n), KPI_ERR_INVALID);
        ck_assert_status(kpi_customers_unserved_reason_share(q, 0, &e), KPI_ERR_INVALID);
        ck_assert_status(kpi_customers_unserved_share(q, &e), KPI_ERR_INVALID);
        ck_assert_status(kpi_customers_abandon_rate(q, &e), KPI_ERR_INVALID);
        ck_assert_status(kpi_customers_serialize(q, NULL, 0, &len), KPI_ERR_INVALID);
        ck_assert_uint_eq(kpi_customers_footprint(q), 0);
    }
    kpi_customers *ws[2] = {NULL, alien_w};
    for (int i = 0; i < 2; i++) {
        kpi_customers *q = ws[i];
        ck_assert_status(kpi_customers_add_unserved(q, 0, 1), KPI_ERR_INVALID);
        ck_assert_status(kpi_customers_add_purchasers(q, 2, 1), KPI_ERR_INVALID);
        ck_assert_status(kpi_customers_add_self_service(q, 2, 1, 1), KPI_ERR_INVALID);
        ck_assert_status(kpi_customers_add_new(q, 1), KPI_ERR_INVALID);
        ck_assert_status(kpi_customers_set_end(q, 1), KPI_ERR_INVALID);
        ck_assert_status(kpi_customers_merge(p, q), KPI_ERR_INVALID);
        ck_assert_status(kpi_customers_merge(q, p), KPI_ERR_INVALID);
    }
    /* the reads' NULL outputs */
    ck_assert_status(kpi_customers_retention(p, NULL), KPI_ERR_INVALID);
    ck_assert_status(kpi_customers_revenue_per_customer(p, NULL), KPI_ERR_INVALID);
    ck_assert_status(kpi_customers_self_service(p, NULL), KPI_ERR_INVALID);
    ck_assert_status(kpi_customers_unserved_count(p, 0, NULL), KPI_ERR_INVALID);
    ck_assert_status(kpi_customers_unserved_reason_share(p, 0, NULL), KPI_ERR_INVALID);
    ck_assert_status(kpi_customers_unserved_share(p, NULL), KPI_ERR_INVALID);
    customers_same(p, before);
    ck_assert_uint_eq(kpi_rate_trials(r), 0);
    kpi_rate_free(r);
    kpi_customers_free(p);
    kpi_customers_free(before);
}
END_TEST

/* Counters that fit one by one but not summed: the sums are refused. */
START_TEST(reads_whose_sums_overflow_say_so)
{
    kpi_customers *p;
    ck_assert_ok(kpi_customers_new(&p));
    kpi_estimate e;
    ck_assert_ok(kpi_customers_add_self_service(p, UINT64_MAX, UINT64_MAX, 1));
    ck_assert_status(kpi_customers_self_service(p, &e), KPI_ERR_OVERFLOW);
    ck_assert_status(kpi_customers_self_service_usage(p, &e), KPI_ERR_OVERFLOW);
    ck_assert_ok(kpi_customers_add_offered(p, UINT64_MAX));
    ck_assert_ok(kpi_customers_add_unserved(p, 0, UINT64_MAX - 1));
    ck_assert_ok(kpi_customers_unserved_reason_share(p, 0, &e));
    ck_assert_ok(kpi_customers_add_unserved(p, 63, 2));
    ck_assert_status(kpi_customers_unserved_share(p, &e), KPI_ERR_OVERFLOW);
    /* at the edge the sum still fits: a share of exactly 1 */
    kpi_customers_reset(p);
    ck_assert_ok(kpi_customers_add_offered(p, UINT64_MAX));
    ck_assert_ok(kpi_customers_add_unserved(p, 0, UINT64_MAX - 1));
    ck_assert_ok(kpi_customers_add_unserved(p, 63, 1));
    ck_assert_ok(kpi_customers_unserved_share(p, &e));
    ck_assert_near(e.value, 1.0, 0.0);
    ck_assert_ok(kpi_customers_add_self_service(p, 3, 1, UINT64_MAX - 1));
    ck_assert_ok(kpi_customers_self_service(p, &e));
    ck_assert_near(e.value, 1.0 / 18446744073709551615.0, 1e-30);
    kpi_customers_free(p);
}
END_TEST

/* Revenue past DBL_MAX: each amount is finite, but the sum would be inf
 * (its compensation NaN), the revenue per customer and the CLV NaN, and
 * the state would serialize to bytes that do not decode.  The add (or the
 * merge) is refused as an overflow and changes nothing. */
START_TEST(revenue_past_the_largest_double_is_refused_and_changes_nothing)
{
    kpi_customers *p, *before, *other;
    double v;
    ck_assert_ok(kpi_customers_new(&p));
    ck_assert_ok(kpi_customers_set_start(p, 10));
    ck_assert_ok(kpi_customers_add_lost(p, 2));
    ck_assert_ok(kpi_customers_set_margin(p, 0.5));
    ck_assert_ok(kpi_customers_add_revenue(p, 1e308));
    ck_assert_ok(kpi_customers_clone(p, &before));
    ck_assert_status(kpi_customers_add_revenue(p, 1e308), KPI_ERR_OVERFLOW);
    customers_same(p, before);
    ck_assert_ok(kpi_customers_new(&other));
    ck_assert_ok(kpi_customers_add_lost(other, 1));
    ck_assert_ok(kpi_customers_add_revenue(other, 1e308));
    ck_assert_status(kpi_customers_merge(p, other), KPI_ERR_OVERFLOW);
    ck_assert_status(kpi_customers_merge(p, p), KPI_ERR_OVERFLOW);
    customers_same(p, before);
    /* revenue per customer 1e307; CLV = 1e307 x 0.5 / (2 / 10) = 2.5e307 */
    ck_assert_ok(kpi_customers_revenue_per_customer(p, &v));
    ck_assert_near(v, 1e307, 1e292);
    ck_assert_ok(kpi_customers_clv(p, &v));
    ck_assert_near(v, 2.5e307, 1e292);
    kpi_customers *d = customers_reread(p);
    customers_same(d, before);
    kpi_customers_free(d);
    kpi_customers_free(other);
    kpi_customers_free(before);
    kpi_customers_free(p);
}
END_TEST

/* The CLV is revenue per customer x margin / churn, which customers.h
 * says equals revenue x margin / lost: at most the revenue (margin <= 1,
 * lost >= 1), so finite.  Revenue DBL_MAX ~ 1.7976931348623157e308, 3 at
 * the start, 1 lost, margin 1: CLV = DBL_MAX x 1 / 1 = DBL_MAX.  Taken
 * the long way, DBL_MAX / 3 over a churn of 1/3 (both rounded) rounds past
 * DBL_MAX and read inf.  With margin 0.5 and 2 lost of 6: DBL_MAX / 4. */
START_TEST(clv_of_the_largest_revenue_is_finite)
{
    kpi_customers *p;
    double v;
    ck_assert_ok(kpi_customers_new(&p));
    ck_assert_ok(kpi_customers_set_start(p, 3));
    ck_assert_ok(kpi_customers_add_lost(p, 1));
    ck_assert_ok(kpi_customers_set_margin(p, 1));
    ck_assert_ok(kpi_customers_add_revenue(p, DBL_MAX));
    ck_assert_ok(kpi_customers_clv(p, &v));
    ck_assert_double_eq(v, DBL_MAX);
    ck_assert_ok(kpi_customers_set_start(p, 6));
    ck_assert_ok(kpi_customers_add_lost(p, 1));
    ck_assert_ok(kpi_customers_set_margin(p, 0.5));
    ck_assert_ok(kpi_customers_clv(p, &v));
    ck_assert_double_eq(v, DBL_MAX / 4);
    kpi_customers_free(p);
}
END_TEST

/* Every add of purchasers and of self-service refuses repeat customers
 * above the customers and self-served sessions above the sessions, and
 * sums keep both (a <= b, c <= d give a + c <= b + d), so no state holds
 * more.  Forged bytes that did decoded: 3 repeat of 2 purchasers made
 * repeat_share() KPI_ERR_RANGE, which customers.h does not list for it,
 * and 6 self-served of 5 sessions read a deflection of 6 / (6 + 0) = 1
 * above the usage share of 5 / (5 + 0).  The body is the flags byte, then
 * one varint per counter (here all under 128, so one byte each, in the
 * order start, end, active, new, lost, referred, interactions, purchasers,
 * repeat, sessions, self-served, ...) after the 12-byte header: repeat at
 * 12 + 1 + 8 = 21, self-served at 12 + 1 + 10 = 23. */
START_TEST(counts_the_adds_rule_out_are_corrupt)
{
    kpi_customers *p;
    ck_assert_ok(kpi_customers_new(&p));
    ck_assert_ok(kpi_customers_add_purchasers(p, 2, 1));
    ck_assert_ok(kpi_customers_add_self_service(p, 5, 2, 0));
    ck_assert_uint_eq(customers_forged(p, 21, 3, 1), 1); /* 3 of 2: no */
    customers_forged(p, 21, 3, 2);                       /* 2 of 2 */
    ck_assert_uint_eq(customers_forged(p, 23, 6, 2), 2); /* 6 of 5: no */
    customers_forged(p, 23, 6, 5);                       /* 5 of 5 */
    kpi_customers_free(p);
}
END_TEST

/* No call writes a negative zero into the revenue, its compensation or an
 * unset margin: the revenue starts at +0 and every add and merge is a
 * Neumaier step, whose sum and error are -0 only when both operands are
 * (amounts are >= 0, and -0.0 + +0 = +0), and an unset margin is the +0
 * of a new object.  Bytes holding one read as a state no tracker holds:
 * revenue -0 + -0 read a revenue per customer of -0.0 (start 1; every
 * real state with revenue 0 reads +0.0).  Such bytes are KPI_ERR_CORRUPT;
 * +0 in the same places reads back, and so does a margin set to -0.0
 * (kpi_customers_set_margin() keeps it). */
START_TEST(negative_zeros_no_call_writes_are_corrupt)
{
    kpi_customers *p, *d;
    ck_assert_ok(kpi_customers_new(&p));
    ck_assert_ok(kpi_customers_set_start(p, 1));
    ck_assert_ok(kpi_customers_add_revenue(p, 0));
    size_t len;
    unsigned char *b = customers_bytes(p, &len);
    kpi_customers_free(p);
    /* the body ends with the revenue, its compensation and the margin,
     * before the 4-byte checksum */
    const size_t at = len - 4 - 24;
    const double nz = -0.0, pz = 0.0;
    test_put_f64(b + at, nz);
    test_put_f64(b + at + 8, nz);
    test_reseal(b, len);
    d = NULL;
    ck_assert_status(kpi_customers_deserialize(&d, b, len), KPI_ERR_CORRUPT);
    ck_assert_ptr_null(d);
    test_put_f64(b + at + 8, pz);
    /* each of revenue, compensation, margin (its flag unset) alone */
    for (int k = 0; k < 3; k++) {
        d = NULL;
        test_put_f64(b + at + 8 * k, nz);
        test_reseal(b, len);
        ck_assert_status(kpi_customers_deserialize(&d, b, len), KPI_ERR_CORRUPT);
        ck_assert_ptr_null(d);
        test_put_f64(b + at + 8 * k, pz);
        test_reseal(b, len);
        ck_assert_ok(kpi_customers_deserialize(&d, b, len));
        double v;
        ck_assert_ok(kpi_customers_revenue_per_customer(d, &v));
        ck_assert(v == 0 && !signbit(v));
        kpi_customers_free(d);
    }
    free(b);
    ck_assert_ok(kpi_customers_new(&p));
    ck_assert_ok(kpi_customers_set_margin(p, nz));
    d = customers_reread(p);
    customers_same(d, p);
    kpi_customers_free(d);
    kpi_customers_free(p);
}
END_TEST

/* Net churn (start - end) / start and retention (end - new) / start
 * subtract counts; as doubles, counts past 2^53 round before they are
 * subtracted.  start 2^53 + 1, end 2^53: net churn 1 / (2^53 + 1) ~
 * 1.1102230246251564e-16 (read 0: both counts round to 2^53).  start 1,
 * end 2^53 + 1, new 2^53: retention (2^53 + 1 - 2^53) / 1 = 1 (read 0).
 * start 3, end 2^53 + 3: net churn -2^53 / 3 ~ -3.0023997515803307e15
 * (the difference is exact; the sign is kept). */
START_TEST(differences_of_large_counts_are_exact)
{
    const uint64_t two53 = UINT64_C(9007199254740992);
    kpi_customers *p;
    double v;
    ck_assert_ok(kpi_customers_new(&p));
    ck_assert_ok(kpi_customers_set_start(p, two53 + 1));
    ck_assert_ok(kpi_customers_set_end(p, two53));
    ck_assert_ok(kpi_customers_churn_net(p, &v));
    ck_assert_double_eq_tol(v, 1.1102230246251564e-16, 1e-31);
    ck_assert_ok(kpi_customers_set_start(p, 1));
    ck_assert_ok(kpi_customers_set_end(p, two53 + 1));
    ck_assert_ok(kpi_customers_add_new(p, two53));
    ck_assert_ok(kpi_customers_retention(p, &v));
    ck_assert_double_eq(v, 1.0);
    ck_assert_ok(kpi_customers_set_start(p, 3));
    ck_assert_ok(kpi_customers_set_end(p, two53 + 3));
    ck_assert_ok(kpi_customers_churn_net(p, &v));
    ck_assert_double_eq(v, -(double)two53 / 3);
    ck_assert_ok(kpi_customers_retention(p, &v)); /* (2^53 + 3 - 2^53) / 3 */
    ck_assert_double_eq(v, 1.0);
    kpi_customers_free(p);
}
END_TEST

START_TEST(journey_times_at_the_edges)
{
    kpi_journey *j, *before;
    ck_assert_ok(kpi_journey_new(&j, 4, 100));
    ck_assert_ok(kpi_journey_touch(j, 7, 1, 500));
    ck_assert_ok(kpi_journey_touch(j, 8, 2, 700));
    ck_assert_ok(kpi_journey_clone(j, &before));
    /* customer 7 is still open (nothing closed it yet), but 550 is older
     * than the clock (700) minus idle (100) */
    ck_assert_status(kpi_journey_resolve(j, 7, 550), KPI_ERR_ORDER);
    ck_assert_status(kpi_journey_resolve(j, 99, 550), KPI_ERR_ORDER);
    double v;
    uint64_t n;
    ck_assert_status(kpi_journey_touchpoints_mean(j, NULL), KPI_ERR_INVALID);
    ck_assert_status(kpi_journey_switches_mean(NULL, &v), KPI_ERR_INVALID);
    ck_assert_status(kpi_journey_resolution_mean(j, NULL, &n), KPI_ERR_INVALID);
    size_t len;
    ck_assert_status(kpi_journey_serialize(NULL, NULL, 0, &len), KPI_ERR_INVALID);
    journey_same(j, before);
    kpi_journey_free(before);
    kpi_journey_free(j);

    /* near the start of time, clock - idle is below INT64_MIN */
    const int64_t t0 = INT64_MIN + 10;
    ck_assert_ok(kpi_journey_new(&j, 4, 100));
    ck_assert_ok(kpi_journey_touch(j, 1, 1, t0));
    ck_assert_ok(kpi_journey_touch(j, 1, 2, t0 + 40));
    ck_assert_ok(kpi_journey_resolve(j, 1, t0 + 60));
    ck_assert_ok(kpi_journey_resolution_mean(j, &v, &n));
    ck_assert_uint_eq(n, 1);
    ck_assert_near(v, 60.0, 0.0);
    ck_assert_ok(kpi_journey_touchpoints_mean(j, &v));
    ck_assert_near(v, 2.0, 0.0);
    ck_assert_ok(kpi_journey_switches_mean(j, &v));
    ck_assert_near(v, 1.0, 0.0);
    kpi_journey_free(j);
}
END_TEST

/* A tracker whose closed journeys number 2^64 - 2^lo (one touch each, all
 * unresolved), clock 1000: a tracker with one closed journey merged into
 * itself doubles, and the sum of 2^lo .. 2^63 is 2^64 - 2^lo. */
static kpi_journey *journeys_near_the_top(int lo)
{
    kpi_journey *p, *d;
    ck_assert_ok(kpi_journey_new(&p, 4, 100));
    ck_assert_ok(kpi_journey_touch(p, 1, 0, 0));
    ck_assert_ok(kpi_journey_advance(p, 1000));
    ck_assert_ok(kpi_journey_new(&d, 4, 100));
    for (int k = 0; k < 64; k++) {
        if (k >= lo)
            ck_assert_ok(kpi_journey_merge(d, p));
        if (k < 63)
            ck_assert_ok(kpi_journey_merge(p, p));
    }
    kpi_journey_free(p);
    return d;
}

/* Every touch is counted in the touchpoint sum once its journey closes
 * (and every journey in the closed and unresolved counts): where the
 * touches already made reach 2^64 - 1 (64 merges are enough), one more
 * touch is KPI_ERR_OVERFLOW and changes nothing; it used to be accepted
 * and the counters wrapped to 0 when the journey closed (touchpoints mean
 * KPI_ERR_EMPTY after 2^64 - 1 journeys). */
START_TEST(journey_touches_past_the_counters_are_refused)
{
    /* 2^64 - 1 journeys of one touch: no room for another touch */
    kpi_journey *d = journeys_near_the_top(0);
    ck_assert_uint_eq(kpi_journey_unresolved(d), UINT64_MAX);
    size_t len;
    unsigned char *before = journey_bytes(d, &len);
    ck_assert_status(kpi_journey_touch(d, 2, 0, 2000), KPI_ERR_OVERFLOW);
    journey_unchanged(d, before, len);
    free(before);
    ck_assert_ok(kpi_journey_advance(d, 5000));
    ck_assert_uint_eq(kpi_journey_unresolved(d), UINT64_MAX);
    kpi_journey_free(d);

    /* 2^64 - 2 journeys: room for one touch (a journey of customer 5),
     * not for a second (on that journey) */
    d = journeys_near_the_top(1);
    ck_assert_uint_eq(kpi_journey_unresolved(d), UINT64_MAX - 1);
    ck_assert_ok(kpi_journey_touch(d, 5, 0, 2000));
    before = journey_bytes(d, &len);
    ck_assert_status(kpi_journey_touch(d, 5, 1, 2001), KPI_ERR_OVERFLOW);
    ck_assert_status(kpi_journey_touch(d, 6, 1, 2001), KPI_ERR_OVERFLOW);
    journey_unchanged(d, before, len);
    free(before);
    /* the state reads back, and a merge with one more touch is refused */
    kpi_journey *e = journey_reread(d), *one;
    journey_same(d, e);
    ck_assert_ok(kpi_journey_new(&one, 4, 100));
    ck_assert_ok(kpi_journey_touch(one, 9, 0, 1990));
    ck_assert_ok(kpi_journey_advance(one, 2000));
    ck_assert_status(kpi_journey_merge(e, one), KPI_ERR_OVERFLOW);
    journey_same(d, e);
    /* 5 resolves after 10 ms: 2^64 - 1 journeys, 2^64 - 1 touches */
    ck_assert_ok(kpi_journey_resolve(d, 5, 2010));
    ck_assert_uint_eq(kpi_journey_unresolved(d), UINT64_MAX - 1);
    double v;
    uint64_t n;
    ck_assert_ok(kpi_journey_touchpoints_mean(d, &v));
    ck_assert_double_eq(v, 1.0);
    ck_assert_ok(kpi_journey_resolution_mean(d, &v, &n));
    ck_assert_uint_eq(n, 1);
    ck_assert_double_eq(v, 10.0);
    ck_assert_status(kpi_journey_touch(d, 5, 0, 2020), KPI_ERR_OVERFLOW);
    kpi_journey_free(one);
    kpi_journey_free(e);
    kpi_journey_free(d);
}
END_TEST

/* KPI_ERR_ORDER guards the last touch of the customer's open journey
 * only: a journey resolved or evicted is forgotten (the memory holds open
 * journeys only), and the customer's next touch opens a new journey even
 * before that last touch, as long as it is within the horizon. */
START_TEST(journey_touch_before_a_closed_journeys_last_touch_opens_a_new_one)
{
    kpi_journey *j;
    double v;
    uint64_t n;
    ck_assert_ok(kpi_journey_new(&j, 1, 1000));
    ck_assert_ok(kpi_journey_touch(j, 7, 1, 450));
    ck_assert_status(kpi_journey_touch(j, 7, 1, 440), KPI_ERR_ORDER); /* open */
    ck_assert_ok(kpi_journey_resolve(j, 7, 500)); /* 50 ms */
    ck_assert_ok(kpi_journey_touch(j, 7, 2, 440)); /* a new journey */
    ck_assert_uint_eq(kpi_journey_open(j), 1);
    ck_assert_ok(kpi_journey_resolve(j, 7, 445)); /* 5 ms */
    ck_assert_ok(kpi_journey_resolution_mean(j, &v, &n));
    ck_assert_uint_eq(n, 2);
    ck_assert_double_eq(v, 27.5); /* (50 + 5) / 2 */
    /* evicted: 7 at 600, then 8 at 610 evicts 7 (max 1); 7 at 590 opens a
     * new journey and evicts 8: 4 closed (2 resolved, 2 evicted) */
    ck_assert_ok(kpi_journey_touch(j, 7, 1, 600));
    ck_assert_ok(kpi_journey_touch(j, 8, 1, 610));
    ck_assert_ok(kpi_journey_touch(j, 7, 1, 590));
    ck_assert_uint_eq(kpi_journey_evicted(j), 2);
    ck_assert_uint_eq(kpi_journey_open(j), 1);
    ck_assert_ok(kpi_journey_touchpoints_mean(j, &v));
    ck_assert_double_eq(v, 1.0); /* 4 journeys of one touch each */
    kpi_journey_free(j);
}
END_TEST

/* Touches at one instant, channel codes and ids at their limits, an
 * eviction tie (broken by the lower id), a resolve at the instant of the
 * first touch (0 ms), by hand, and the same after a round trip. */
START_TEST(journey_equal_times_and_limits_by_hand)
{
    kpi_journey *j;
    ck_assert_ok(kpi_journey_new(&j, 2, 100));
    /* UINT64_MAX: channels 0, max, max, 0 at 50: 4 touches, 2 switches */
    ck_assert_ok(kpi_journey_touch(j, UINT64_MAX, 0, 50));
    ck_assert_ok(kpi_journey_touch(j, UINT64_MAX, UINT32_MAX, 50));
    ck_assert_ok(kpi_journey_touch(j, UINT64_MAX, UINT32_MAX, 50));
    ck_assert_ok(kpi_journey_touch(j, UINT64_MAX, 0, 50));
    ck_assert_ok(kpi_journey_touch(j, 0, 7, 50));
    /* full, both last touched at 50: the lower id (0) is evicted */
    ck_assert_ok(kpi_journey_touch(j, 5, 7, 50));
    ck_assert_status(kpi_journey_resolve(j, 0, 50), KPI_ERR_UNKNOWN_ID);
    kpi_journey *d = journey_reread(j);
    journey_same(j, d);
    for (int k = 0; k < 2; k++) {
        kpi_journey *x = k ? d : j;
        ck_assert_ok(kpi_journey_resolve(x, UINT64_MAX, 50));
        double v;
        uint64_t n;
        /* closed: 0 (1 touch, evicted), UINT64_MAX (4 touches, 2
         * switches, resolved after 50 - 50 = 0 ms) */
        ck_assert_ok(kpi_journey_touchpoints_mean(x, &v));
        ck_assert_double_eq(v, 2.5);
        ck_assert_ok(kpi_journey_switches_mean(x, &v));
        ck_assert_double_eq(v, 1.0);
        ck_assert_ok(kpi_journey_resolution_mean(x, &v, &n));
        ck_assert_double_eq(v, 0.0);
        ck_assert_uint_eq(n, 1);
        ck_assert_uint_eq(kpi_journey_evicted(x), 1);
        ck_assert_uint_eq(kpi_journey_open(x), 1);
    }
    journey_same(j, d);
    kpi_journey_free(d);
    kpi_journey_free(j);
}
END_TEST

/* The memory a tracker holds: a fixed part, 52 bytes per open-journey slot
 * (a 48-byte entry and a 4-byte heap index) and a hash table of 4-byte
 * slots, the smallest power of two >= 2 x max_customers (at least 4): 8 to
 * 16 bytes per customer, so 60 to 68 in all (the header's bound), never
 * growing with touches or customers seen. */
START_TEST(journey_memory_is_the_documented_bound)
{
    static const uint32_t maxes[] = {1, 2, 3, 1000, 131072, 131073, 200000};
    size_t fp[7];
    for (int i = 0; i < 7; i++) {
        kpi_journey *j;
        ck_assert_ok(kpi_journey_new(&j, maxes[i], 1000));
        fp[i] = kpi_journey_footprint(j);
        /* many customers, many touches each: the footprint never moves */
        for (uint64_t c = 0; c < 3000; c++)
            for (int k = 0; k < 3; k++)
                ck_assert_ok(kpi_journey_touch(j, c, (uint32_t)k, (int64_t)c));
        ck_assert_uint_eq(kpi_journey_footprint(j), fp[i]);
        ck_assert_uint_le(fp[i] - fp[0], 68 * ((size_t)maxes[i] - 1));
        kpi_journey_free(j);
    }
    /* max 1: 52 + 4 x 4 = 68 bytes besides the fixed part */
    ck_assert_uint_le(fp[0], 68 + 256);
    /* max 2: table 4 slots: + 52 */
    ck_assert_uint_eq(fp[1] - fp[0], 52);
    /* max 3: table 8 slots: + 2 x 52 + 4 x 4 = 120 */
    ck_assert_uint_eq(fp[2] - fp[0], 120);
    /* max 131072: 52 x 131071 + 4 x (262144 - 4) = 6,815,692 + 1,048,560 */
    ck_assert_uint_eq(fp[4] - fp[0], 7864252);
    /* max 131073: the table doubles to 524288 slots: 52 x 131072 +
     * 4 x (524288 - 4) = 6,815,744 + 2,097,136 = 8,912,880, about 68 bytes
     * per customer (not 62) */
    ck_assert_uint_eq(fp[5] - fp[0], 8912880);
    /* max 200000: 52 x 199999 + 4 x (524288 - 4) = 10,399,948 + 2,097,136
     * = 12,497,084, 62.5 bytes per customer */
    ck_assert_uint_eq(fp[6] - fp[0], 12497084);
}
END_TEST

/* ---- journey bytes built by hand ---------------------------------------- */

typedef struct jf_ent {
    uint64_t customer;
    int64_t first, last;
    uint64_t touches, switches, channel;
} jf_ent;

typedef struct jf_state {
    uint64_t max;
    int64_t idle;
    int have_clock;
    int64_t clock;
    uint64_t st[6]; /* closed, resolved, unresolved, evicted, touches, switches */
    double dur, dur_c;
    uint64_t n; /* entries announced */
    size_t given; /* entries written */
    jf_ent e[3];
} jf_state;

static size_t jf_uv(unsigned char *p, uint64_t v)
{
    size_t n = 0;
    for (; v >= 0x80; v >>= 7)
        p[n++] = (unsigned char)(v | 0x80);
    p[n++] = (unsigned char)v;
    return n;
}

static size_t jf_sv(unsigned char *p, int64_t v)
{
    return jf_uv(p, ((uint64_t)v << 1) ^ (uint64_t)(v >> 63));
}

static size_t jf_f64(unsigned char *p, double d)
{
    test_put_f64(p, d);
    return 8;
}

/* The state's bytes (header taken from `hdr`, a journey's state), resealed. */
static unsigned char *jf_bytes(const unsigned char *hdr, const jf_state *s, size_t *len)
{
    unsigned char *f = malloc(512);
    size_t n = 12;
    memcpy(f, hdr, 12);
    n += jf_uv(f + n, s->max);
    n += jf_sv(f + n, s->idle);
    f[n++] = (unsigned char)s->have_clock;
    n += jf_sv(f + n, s->clock);
    for (int i = 0; i < 6; i++)
        n += jf_uv(f + n, s->st[i]);
    n += jf_f64(f + n, s->dur);
    n += jf_f64(f + n, s->dur_c);
    n += jf_uv(f + n, s->n);
    for (size_t i = 0; i < s->given; i++) {
        n += jf_uv(f + n, s->e[i].customer);
        n += jf_sv(f + n, s->e[i].first);
        n += jf_sv(f + n, s->e[i].last);
        n += jf_uv(f + n, s->e[i].touches);
        n += jf_uv(f + n, s->e[i].switches);
        n += jf_uv(f + n, s->e[i].channel);
    }
    *len = n + 4;
    test_reseal(f, *len);
    return f;
}

START_TEST(hand_built_journey_states_are_checked_field_by_field)
{
    /* three_journeys(), written by hand */
    kpi_journey *j, *d = NULL;
    j = three_journeys();
    size_t len, flen;
    unsigned char *b = journey_bytes(j, &len);
    const jf_state base = {8, 1000, 1, 40, {1, 1, 0, 0, 1, 0}, 20.0, 0.0, 2, 2,
                           {{2, 20, 20, 1, 0, 2}, {3, 40, 40, 1, 0, 2}}};
    unsigned char *f = jf_bytes(b, &base, &flen);
    ck_assert_uint_eq(flen, len);
    ck_assert(memcmp(f, b, len) == 0);
    ck_assert_ok(kpi_journey_deserialize(&d, f, flen));
    journey_same(d, j);
    kpi_journey_free(d);
    d = NULL;
    free(f);
    /* each case changes one thing of that state */
    for (int k = 0; k < 15; k++) {
        jf_state s = base;
        switch (k) {
        case 0: s.have_clock = 0; s.clock = 0; break;   /* open journeys, no clock */
        case 1: s.have_clock = 0; break;                /* a clock not had */
        case 2: s.st[2] = 1; break;                     /* unresolved != closed - resolved */
        case 3: s.st[1] = 0; s.st[2] = 1; break;        /* a duration and nothing resolved */
        case 4: s.st[4] = 0; break;                     /* fewer touches than journeys */
        case 5: s.e[0].first = 21; break;               /* first after last */
        case 6: s.e[0].switches = 1; break;             /* switches >= touches */
        case 7: s.e[1].customer = 2; break;             /* a customer twice */
        case 8: s.e[1].last = 41; s.e[1].first = 41; break; /* after the clock */
        case 9: s.e[0].last = -961; s.e[0].first = -961; break; /* idle too long */
        case 10: s.e[0].channel = UINT64_C(1) << 32; break;
        case 11: s.given = 1; break;                    /* an entry missing */
        case 12: s.st[4] = UINT64_MAX - 1; break;       /* + 2 open: 2^64 touches */
        case 13: s.dur = s.dur_c = 1e308; break;        /* sum 2e308: inf */
        default: s.max = 1; break;                      /* more entries than room */
        }
        f = jf_bytes(b, &s, &flen);
        int rc = kpi_journey_deserialize(&d, f, flen);
        ck_assert_msg(rc == KPI_ERR_CORRUPT, "case %d: %s", k, kpi_status_name(rc));
        ck_assert_ptr_null(d);
        free(f);
    }
    /* 2^64 - 3 touches closed and 2 open: every touch counted, fits */
    jf_state top = base;
    top.st[4] = UINT64_MAX - 2;
    f = jf_bytes(b, &top, &flen);
    ck_assert_ok(kpi_journey_deserialize(&d, f, flen));
    ck_assert_status(kpi_journey_touch(d, 2, 0, 50), KPI_ERR_OVERFLOW);
    kpi_journey_free(d);
    free(f);
    free(b);
    kpi_journey_free(j);
}
END_TEST

/* Each resolved journey ends at or before the clock and starts at or after
 * INT64_MIN, so it lasts at most clock - INT64_MIN ms, and the
 * time-to-resolution sum is at most resolved x (clock - INT64_MIN).
 * three_journeys() (clock 40, one journey resolved in 20 ms) forged with a
 * sum of 1e308 ms used to decode: a resolution mean of 1e308 ms for one
 * journey that lasted at most 40 + 2^63 ~ 9.22e18 ms, and the state merged
 * into itself refused (1e308 + 1e308 > DBL_MAX: KPI_ERR_OVERFLOW), where
 * any two trackers merge (their sums are below 2 x 2^64 x 2^64 = 2^129).
 * Such bytes, and a sum of 1e19 > 40 + 2^63 = 9223372036854775848, are
 * corrupt; 9e18 (within the bound) reads back.  At the edge, a journey
 * from INT64_MIN to INT64_MAX (2^64 - 1 ms, 2^64 as a double, clock
 * INT64_MAX; three touches) merged into itself 62 times (2^62 journeys,
 * 3 x 2^62 < 2^64 touches, sum 2^126 = 2^62 x 2^64, the bound exactly)
 * reads back each time. */
START_TEST(journey_duration_sum_past_its_clock_is_corrupt)
{
    kpi_journey *j = three_journeys(), *d = NULL;
    size_t len, flen;
    unsigned char *b = journey_bytes(j, &len);
    jf_state s = {8, 1000, 1, 40, {1, 1, 0, 0, 1, 0}, 1e308, 0.0, 2, 2,
                  {{2, 20, 20, 1, 0, 2}, {3, 40, 40, 1, 0, 2}}};
    const double sums[3] = {1e308, 1e19, 9e18};
    for (int i = 0; i < 3; i++) {
        s.dur = sums[i];
        unsigned char *f = jf_bytes(b, &s, &flen);
        int rc = kpi_journey_deserialize(&d, f, flen);
        free(f);
        if (i < 2) {
            ck_assert_msg(rc == KPI_ERR_CORRUPT, "sum %g: %s", sums[i],
                          kpi_status_name(rc));
            ck_assert_ptr_null(d);
            continue;
        }
        ck_assert_ok(rc);
        double v;
        ck_assert_ok(kpi_journey_resolution_mean(d, &v, NULL));
        ck_assert_double_eq(v, 9e18);
        kpi_journey_free(d);
        d = NULL;
    }
    free(b);
    kpi_journey_free(j);

    ck_assert_ok(kpi_journey_new(&j, 4, INT64_MAX));
    ck_assert_ok(kpi_journey_touch(j, 1, 0, INT64_MIN));
    ck_assert_ok(kpi_journey_touch(j, 1, 0, -1));
    ck_assert_ok(kpi_journey_touch(j, 1, 0, INT64_MAX - 1));
    ck_assert_ok(kpi_journey_resolve(j, 1, INT64_MAX));
    for (int k = 0; k <= 62; k++) {
        double v;
        uint64_t n;
        kpi_journey *e = journey_reread(j);
        journey_same(e, j);
        ck_assert_ok(kpi_journey_resolution_mean(e, &v, &n));
        ck_assert_uint_eq(n, UINT64_C(1) << k);
        ck_assert_double_eq(v, 0x1p64);
        kpi_journey_free(e);
        if (k < 62)
            ck_assert_ok(kpi_journey_merge(j, j));
    }
    kpi_journey_free(j);
}
END_TEST


/* three_journeys() as `bad` (KPI_ERR_CORRUPT) and as `good`: read back,
 * customer 2 resolved at 40 (and 3 at 100 when `both`), the resolution
 * mean is `mean`. */
/* three_journeys()'s bytes forged as `bad` (KPI_ERR_CORRUPT, no object)
 * and as `good`: the tracker `good` decodes to. */
static kpi_journey *jf_refused_then_read(const jf_state *bad, const jf_state *good)
{
    kpi_journey *j = three_journeys(), *d = NULL;
    size_t len, flen;
    unsigned char *b = journey_bytes(j, &len);
    unsigned char *f = jf_bytes(b, bad, &flen);
    ck_assert_status(kpi_journey_deserialize(&d, f, flen), KPI_ERR_CORRUPT);
    ck_assert_ptr_null(d);
    free(f);
    f = jf_bytes(b, good, &flen);
    ck_assert_ok(kpi_journey_deserialize(&d, f, flen));
    free(f);
    free(b);
    kpi_journey_free(j);
    return d;
}

static void jf_corrupt_then_mean(const jf_state *bad, const jf_state *good, int both,
                                 double mean)
{
    kpi_journey *d = jf_refused_then_read(bad, good);
    ck_assert_ok(kpi_journey_resolve(d, 2, 40));
    if (both)
        ck_assert_ok(kpi_journey_resolve(d, 3, 100));
    double v;
    ck_assert_ok(kpi_journey_resolution_mean(d, &v, NULL));
    ck_assert_double_eq(v, mean);
    kpi_journey_free(d);
}

/* The time-to-resolution sum is compensated like the revenue: durations
 * >= 0, each add's rounding error at most 2^-53 of the sum, so the
 * compensation stays under half the sum.  three_journeys() with a sum of
 * 256 ms (one resolved) forged as 2^60 + -(2^60 - 256) (exact doubles,
 * the same mean 256) used to decode; resolving customer 2 (touched at 20)
 * at 40 and customer 3 (touched at 40) at 100 added 20 and 60 ms that
 * were lost (2^60 + 20 rounds back to 2^60, c + 20 and c + 60 back to c,
 * doubles there being multiples of 256 and 128): a mean of 256 / 3 =
 * 85.33 instead of (256 + 20 + 60) / 3 = 112.  Now corrupt; the sum of
 * 256 with no compensation reads 112. */
START_TEST(a_duration_compensation_past_half_the_sum_is_corrupt)
{
    jf_state s = {8, 1000, 1, 40, {1, 1, 0, 0, 1, 0}, 0x1p60, -(0x1p60 - 256), 2, 2,
                  {{2, 20, 20, 1, 0, 2}, {3, 40, 40, 1, 0, 2}}};
    jf_state good = s;
    good.dur = 256;
    good.dur_c = 0;
    jf_corrupt_then_mean(&s, &good, 1, 112.0);
}
END_TEST


/* Each touch of an open journey comes at most idle_ms after the one before
 * (later, the journey would have closed and a new one opened; earlier is
 * refused), so a journey of n touches spans at most (n - 1) idle_ms.
 * three_journeys() (idle 1000) with customer 2's journey forged to two
 * touches from -5000 to 20 (5020 > 1000) used to decode, and a resolve at
 * 40 read 40 - (-5000) = 5040 ms, where two touches ending at 20 allow at
 * most 1000 + 20 = 1020.  Now corrupt; from -980 (exactly idle apart) it
 * reads back, and the resolve reads 1020 (mean (20 + 1020) / 2 = 520). */
START_TEST(a_journey_spanning_more_than_its_touches_allow_is_corrupt)
{
    jf_state s = {8, 1000, 1, 40, {1, 1, 0, 0, 1, 0}, 20.0, 0.0, 2, 2,
                  {{2, -5000, 20, 2, 0, 2}, {3, 40, 40, 1, 0, 2}}};
    jf_state good = s;
    good.e[0].first = -980;
    jf_corrupt_then_mean(&s, &good, 0, 520.0);
}
END_TEST

/* ==== second journey review (jour2): hand-computed cases ================ */

/* A journey: opened by a customer's first touch, ended by resolve (time
 * measured from the first touch) or by being idle longer than idle_ms.
 * max 4, idle 100.
 *   c1: ch1@0, ch1@10, ch2@10 (same time), ch1@20, ch1@20, resolve @50:
 *       5 touches; switches 1->1 no, 1->2 yes, 2->1 yes, 1->1 no = 2;
 *       resolution 50 - 0 = 50 ms.
 *   c2: ch5@30, resolve @30: 1 touch, 0 switches, 0 ms.
 *   c3: ch7@40; advance 140 (idle exactly 100: stays open), advance 141
 *       (idle 101 > 100: closed unresolved).
 * closed 3: touchpoints (5+1+1)/3 = 7/3, switches (2+0+0)/3 = 2/3,
 * resolution (50+0)/2 = 25 over n = 2; unresolved 1, evicted 0. */
/* The touches and switches the tracker sums are those of closed journeys
 * (tally_closed() adds them as it counts the journey closed), so with no
 * journey closed both sums are 0.  three_journeys() with no closed
 * journey (the resolved one taken out) but 5 touches summed used to
 * decode; resolving customer 2 (one touch, at 20) at 40 then read a mean
 * of (5 + 1) / 1 = 6 touchpoints per closed journey instead of 1 / 1 = 1.
 * Now corrupt; with the sums at 0 it reads 1 (and 0 switches). */
START_TEST(touches_of_closed_journeys_with_none_closed_are_corrupt)
{
    const jf_state bad = {8, 1000, 1, 40, {0, 0, 0, 0, 5, 0}, 0.0, 0.0, 2, 2,
                          {{2, 20, 20, 1, 0, 2}, {3, 40, 40, 1, 0, 2}}};
    jf_state good = bad;
    good.st[4] = 0;
    kpi_journey *d = jf_refused_then_read(&bad, &good);
    ck_assert_ok(kpi_journey_resolve(d, 2, 40));
    double v;
    ck_assert_ok(kpi_journey_touchpoints_mean(d, &v));
    ck_assert_double_eq(v, 1.0);
    ck_assert_ok(kpi_journey_switches_mean(d, &v));
    ck_assert_double_eq(v, 0.0);
    kpi_journey_free(d);
}
END_TEST

START_TEST(jour2_journey_definition_by_hand)
{
    kpi_journey *j;
    double v;
    uint64_t n = 0;
    ck_assert_ok(kpi_journey_new(&j, 4, 100));
    ck_assert_ok(kpi_journey_touch(j, 1, 1, 0));
    ck_assert_ok(kpi_journey_touch(j, 1, 1, 10));
    ck_assert_ok(kpi_journey_touch(j, 1, 2, 10));
    ck_assert_ok(kpi_journey_touch(j, 1, 1, 20));
    ck_assert_ok(kpi_journey_touch(j, 1, 1, 20));
    ck_assert_ok(kpi_journey_touch(j, 2, 5, 30));
    ck_assert_ok(kpi_journey_resolve(j, 2, 30));
    ck_assert_ok(kpi_journey_touch(j, 3, 7, 40));
    ck_assert_ok(kpi_journey_resolve(j, 1, 50));
    ck_assert_ok(kpi_journey_advance(j, 140));
    ck_assert_uint_eq(kpi_journey_open(j), 1);
    ck_assert_uint_eq(kpi_journey_unresolved(j), 0);
    ck_assert_ok(kpi_journey_advance(j, 141));
    ck_assert_uint_eq(kpi_journey_open(j), 0);
    ck_assert_uint_eq(kpi_journey_unresolved(j), 1);
    ck_assert_uint_eq(kpi_journey_evicted(j), 0);
    ck_assert_ok(kpi_journey_touchpoints_mean(j, &v));
    ck_assert_double_eq_tol(v, 7.0 / 3.0, 1e-15);
    ck_assert_ok(kpi_journey_switches_mean(j, &v));
    ck_assert_double_eq_tol(v, 2.0 / 3.0, 1e-15);
    ck_assert_ok(kpi_journey_resolution_mean(j, &v, &n));
    ck_assert_double_eq(v, 25.0);
    ck_assert_uint_eq(n, 2);
    kpi_journey *r = journey_reread(j);
    journey_same(j, r);
    kpi_journey_free(r);
    kpi_journey_free(j);
}
END_TEST

/* Out of order, idle 100, clock 100 after c1@100:
 *   c2@50 opens (50 >= 100 - 100 = 0); c1@90 is before c1's last touch
 *   100: ORDER; c2@60 is after c2's last 50: fine; c3@-1 is older than
 *   the horizon 0: ORDER; c3@0 is exactly at it: fine.  A resolve of c3
 *   at 101 when its last touch is 0 (idle 101 > 100): UNKNOWN_ID; a
 *   resolve of an unknown id: UNKNOWN_ID; c2 resolve at 55 < 60: ORDER.
 * Every refusal leaves the bytes as they were. */
START_TEST(jour2_out_of_order_and_refusals_keep_the_bytes)
{
    kpi_journey *j;
    ck_assert_ok(kpi_journey_new(&j, 4, 100));
    ck_assert_ok(kpi_journey_touch(j, 1, 1, 100));
    ck_assert_ok(kpi_journey_touch(j, 2, 1, 50));
    size_t len;
    unsigned char *b = journey_bytes(j, &len);
    ck_assert_status(kpi_journey_touch(j, 1, 2, 90), KPI_ERR_ORDER);
    journey_unchanged(j, b, len);
    free(b);
    ck_assert_ok(kpi_journey_touch(j, 2, 2, 60));
    b = journey_bytes(j, &len);
    ck_assert_status(kpi_journey_touch(j, 3, 2, -1), KPI_ERR_ORDER);
    journey_unchanged(j, b, len);
    ck_assert_status(kpi_journey_resolve(j, 2, 55), KPI_ERR_ORDER);
    journey_unchanged(j, b, len);
    ck_assert_status(kpi_journey_resolve(j, 77, 60), KPI_ERR_UNKNOWN_ID);
    journey_unchanged(j, b, len);
    free(b);
    ck_assert_ok(kpi_journey_touch(j, 3, 2, 0));
    b = journey_bytes(j, &len);
    ck_assert_status(kpi_journey_resolve(j, 3, 101), KPI_ERR_UNKNOWN_ID);
    journey_unchanged(j, b, len);
    free(b);
    ck_assert_uint_eq(kpi_journey_open(j), 3);
    /* c2: touches 50 (ch1), 60 (ch2): 2 touches, 1 switch; resolve @60:
     * 60 - 50 = 10 ms */
    ck_assert_ok(kpi_journey_resolve(j, 2, 60));
    double v;
    ck_assert_ok(kpi_journey_resolution_mean(j, &v, NULL));
    ck_assert_double_eq(v, 10.0);
    ck_assert_ok(kpi_journey_switches_mean(j, &v));
    ck_assert_double_eq(v, 1.0);
    ck_assert_ok(kpi_journey_touchpoints_mean(j, &v));
    ck_assert_double_eq(v, 2.0);
    kpi_journey_free(j);
}
END_TEST

/* Evicted, then back.  max 2, idle 1000:
 *   c1 ch1@0, c2 ch1@10, c1 ch2@20 (1 switch), c3 ch1@30: full, the least
 *   recently touched is c2 (last 10 < c1's 20): evicted (1 touch, 0 sw).
 *   c2 ch1@5: a new journey (the evicted one is forgotten, 5 >= 30-1000);
 *   full: evicts c1 (last 20 < c3's 30; 2 touches, 1 switch).
 *   resolve c2 @45: 45 - 5 = 40 ms (from the new journey's first touch).
 * Then ties at equal times evict the smaller customer id (below). */
START_TEST(jour2_evicted_customer_returns_as_a_new_journey)
{
    kpi_journey *j;
    double v;
    ck_assert_ok(kpi_journey_new(&j, 2, 1000));
    ck_assert_ok(kpi_journey_touch(j, 1, 1, 0));
    ck_assert_ok(kpi_journey_touch(j, 2, 1, 10));
    ck_assert_ok(kpi_journey_touch(j, 1, 2, 20));
    ck_assert_ok(kpi_journey_touch(j, 3, 1, 30));
    ck_assert_uint_eq(kpi_journey_evicted(j), 1);
    ck_assert_ok(kpi_journey_touch(j, 2, 1, 5));
    ck_assert_uint_eq(kpi_journey_evicted(j), 2);
    ck_assert_status(kpi_journey_resolve(j, 1, 40), KPI_ERR_UNKNOWN_ID);
    ck_assert_ok(kpi_journey_resolve(j, 2, 45));
    ck_assert_ok(kpi_journey_resolution_mean(j, &v, NULL));
    ck_assert_double_eq(v, 40.0);
    /* open: c3 (30).  c9@50 opens (2 open); c4@50: full, c3 (30) is the
     * least recent: evicted (1 touch).  c6@50: full, c4 and c9 tie at 50,
     * the smaller id 4 is evicted (1 touch). */
    ck_assert_ok(kpi_journey_touch(j, 9, 1, 50));
    ck_assert_ok(kpi_journey_touch(j, 4, 1, 50));
    ck_assert_ok(kpi_journey_touch(j, 6, 1, 50));
    ck_assert_uint_eq(kpi_journey_evicted(j), 4);
    ck_assert_status(kpi_journey_resolve(j, 4, 50), KPI_ERR_UNKNOWN_ID);
    ck_assert_ok(kpi_journey_resolve(j, 9, 50)); /* 0 ms */
    /* closed: c2 (1 t, 0 s), c1 (2, 1), c2 (1, 0, 40 ms), c3 (1, 0),
     * c4 (1, 0), c9 (1, 0, 0 ms): 6 closed, 7 touches, 1 switch,
     * resolution (40 + 0) / 2 = 20, unresolved 4, evicted 4 */
    ck_assert_ok(kpi_journey_touchpoints_mean(j, &v));
    ck_assert_double_eq_tol(v, 7.0 / 6.0, 1e-15);
    ck_assert_ok(kpi_journey_switches_mean(j, &v));
    ck_assert_double_eq_tol(v, 1.0 / 6.0, 1e-15);
    uint64_t n;
    ck_assert_ok(kpi_journey_resolution_mean(j, &v, &n));
    ck_assert_double_eq(v, 20.0);
    ck_assert_uint_eq(n, 2);
    ck_assert_uint_eq(kpi_journey_unresolved(j), 4);
    ck_assert_uint_eq(kpi_journey_open(j), 1);
    kpi_journey_free(j);
}
END_TEST

/* An open journey of one touch has its first touch at its last: no call
 * makes one touch with first < last.  Forged: customer 2's journey of one
 * touch with first 10, last 20 (three_journeys() has first = last = 20).
 * Accepted, a resolve of 2 at 40 would read 40 - 10 = 30 ms from a first
 * touch that never was (the one touch was at 20: 20 ms), and the
 * resolution mean (20 + 30) / 2 = 25 instead of what a tracker can say.
 * The bytes are corrupt; a journey of two touches may span 10..20. */
START_TEST(jour2_one_touch_spanning_time_is_corrupt)
{
    const jf_state bad = {8, 1000, 1, 40, {1, 1, 0, 0, 1, 0}, 20.0, 0.0, 2, 2,
                          {{2, 10, 20, 1, 0, 2}, {3, 40, 40, 1, 0, 2}}};
    jf_state good = bad;
    good.e[0].touches = 2; /* touches at 10 and 20: a real journey */
    kpi_journey *d = jf_refused_then_read(&bad, &good);
    ck_assert_ok(kpi_journey_resolve(d, 2, 40));
    double v;
    ck_assert_ok(kpi_journey_resolution_mean(d, &v, NULL));
    ck_assert_double_eq(v, 25.0); /* (20 + (40 - 10)) / 2 */
    kpi_journey_free(d);
}
END_TEST

/* A group's customers members may set their own gross margin (group.h),
 * and kpi_group_total() is the merge of every member, #KPI_ERR_INCOMPATIBLE
 * only when two members do not merge.  It started the merge from the
 * prototype, whose margin (0.5) then refused members that all set 0.4.
 * Members 1 (margin 0.4, start 10, revenue 100, 2 lost) and 2 (0.4, 30, 60,
 * 2 lost): start 40, revenue 160, 4 lost, CLV = 160 x 0.4 / 4 = 16, revenue
 * per customer 160 / 40 = 4; member 1 alone: 100 x 0.4 / 2 = 20.  A member
 * of the prototype's 0.5 beside them still does not merge; an empty group's
 * total is the prototype (0.5: start 1, revenue 10, 1 lost: CLV 5). */
static double total_clv(const kpi_group *g, double *per_customer)
{
    void *tot = NULL;
    double clv;
    ck_assert_ok(kpi_group_total(g, &tot));
    ck_assert_ok(kpi_customers_clv(tot, &clv));
    if (per_customer)
        ck_assert_ok(kpi_customers_revenue_per_customer(tot, per_customer));
    kpi_customers_free(tot);
    return clv;
}

static void *member_of(kpi_group *g, uint64_t key, uint64_t start, double revenue)
{
    void *m;
    ck_assert_ok(kpi_group_get(g, key, &m));
    ck_assert_ok(kpi_customers_set_start(m, start));
    ck_assert_ok(kpi_customers_add_revenue(m, revenue));
    ck_assert_ok(kpi_customers_add_lost(m, 2));
    return m;
}

START_TEST(group_total_of_members_with_their_own_margin)
{
    kpi_customers *cp;
    ck_assert_ok(kpi_customers_new(&cp));
    ck_assert_ok(kpi_customers_set_margin(cp, 0.5));
    kpi_group *g;
    ck_assert_ok(kpi_group_new(&g, cp));
    kpi_customers_free(cp);
    void *tot = NULL;
    ck_assert_ok(kpi_group_total(g, &tot));
    ck_assert_ok(kpi_customers_set_start(tot, 1));
    ck_assert_ok(kpi_customers_add_revenue(tot, 10));
    ck_assert_ok(kpi_customers_add_lost(tot, 1));
    double clv, rpc;
    ck_assert_ok(kpi_customers_clv(tot, &clv));
    ck_assert_double_eq(clv, 5.0);
    kpi_customers_free(tot);
    ck_assert_ok(kpi_customers_set_margin(member_of(g, 1, 10, 100), 0.4));
    ck_assert_double_eq(total_clv(g, NULL), 20.0);
    ck_assert_ok(kpi_customers_set_margin(member_of(g, 2, 30, 60), 0.4));
    ck_assert_double_eq(total_clv(g, &rpc), 16.0);
    ck_assert_double_eq(rpc, 4.0);
    member_of(g, 3, 5, 10); /* the prototype's 0.5 */
    size_t len;
    unsigned char *before = group_bytes(g, &len);
    tot = NULL;
    ck_assert_status(kpi_group_total(g, &tot), KPI_ERR_INCOMPATIBLE);
    ck_assert_ptr_null(tot);
    group_unchanged(g, before, len);
    free(before);
    kpi_group_free(g);
}
END_TEST

/* ---- documented errors (rev-retval) ---- */

TEST_STATE_ERRORS_HELPER(customers, kpi_customers, kpi_customers_serialize,
                         kpi_customers_deserialize, kpi_customers_deserialize_with,
                         kpi_customers_free)
TEST_STATE_ERRORS_HELPER(journey, kpi_journey, kpi_journey_serialize,
                         kpi_journey_deserialize, kpi_journey_deserialize_with,
                         kpi_journey_free)

START_TEST(documented_errors_of_the_state_verbs)
{
    kpi_customers *p = sample();
    customers_state_errors(p);
    kpi_customers_free(p);
    kpi_journey *j = three_journeys();
    journey_state_errors(j);
    kpi_journey_free(j);
}
END_TEST

START_TEST(documented_errors_of_the_constructors)
{
    test_alloc t;
    kpi_allocator a = test_allocator(&t);
    kpi_allocator bad = a;
    bad.malloc_fn = NULL;
    kpi_customers *p = NULL;
    kpi_journey *j = NULL;
    ck_assert_status(kpi_customers_new_with(&p, &bad), KPI_ERR_INVALID);
    ck_assert_status(kpi_customers_new_with(NULL, &a), KPI_ERR_INVALID);
    ck_assert_status(kpi_journey_new_with(&j, 10, 1000, &bad), KPI_ERR_INVALID);
    ck_assert_status(kpi_journey_new_with(NULL, 10, 1000, &a), KPI_ERR_INVALID);
    ck_assert_status(kpi_journey_new_with(&j, 0, 1000, &a), KPI_ERR_RANGE);
    ck_assert_status(kpi_journey_new_with(&j, KPI_JOURNEY_MAX_CUSTOMERS + 1, 1000, &a),
                     KPI_ERR_RANGE);
    ck_assert_status(kpi_journey_new_with(&j, 10, 0, &a), KPI_ERR_RANGE);
    ck_assert_ptr_null(p);
    ck_assert_ptr_null(j);
    ck_assert_int_eq(t.live, 0);
}
END_TEST

START_TEST(documented_errors_of_the_customer_counts)
{
    kpi_customers *p;
    ck_assert_ok(kpi_customers_new(&p));
    double x = 42;
    /* neither a start nor revenue; a start without revenue; revenue
     * without a start */
    ck_assert_status(kpi_customers_revenue_per_customer(p, &x), KPI_ERR_EMPTY);
    ck_assert_ok(kpi_customers_set_start(p, 50));
    ck_assert_status(kpi_customers_revenue_per_customer(p, &x), KPI_ERR_EMPTY);
    kpi_customers *q;
    ck_assert_ok(kpi_customers_new(&q));
    ck_assert_ok(kpi_customers_add_revenue(q, 1000));
    ck_assert_status(kpi_customers_revenue_per_customer(q, &x), KPI_ERR_EMPTY);
    ck_assert(x == 42); /* nothing written */
    kpi_customers_free(q);
    ck_assert_ok(kpi_customers_add_revenue(p, 1000));
    ck_assert_ok(kpi_customers_revenue_per_customer(p, &x));
    ck_assert(x == 20.0);
    ck_assert_status(kpi_customers_set_active(NULL, 5), KPI_ERR_INVALID);

    ck_assert_ok(kpi_customers_add_referred(p, UINT64_MAX));
    size_t len;
    unsigned char *before = customers_bytes(p, &len);
    ck_assert_status(kpi_customers_add_referred(p, 1), KPI_ERR_OVERFLOW);
    customers_unchanged(p, before, len);
    ck_assert_ok(kpi_customers_add_referred(p, 0));
    free(before);
    kpi_customers_free(p);
}
END_TEST

START_TEST(documented_errors_of_the_customer_adds_and_shares)
{
    kpi_customers *p = sample(), *c = NULL;
    size_t len;
    unsigned char *before = customers_bytes(p, &len);
    /* sample() holds some of each: UINT64_MAX more overflows */
    ck_assert_status(kpi_customers_add_lost(p, UINT64_MAX), KPI_ERR_OVERFLOW);
    ck_assert_status(kpi_customers_add_interactions(p, UINT64_MAX), KPI_ERR_OVERFLOW);
    ck_assert_status(kpi_customers_add_offered(p, UINT64_MAX), KPI_ERR_OVERFLOW);
    ck_assert_status(kpi_customers_add_referred(NULL, 1), KPI_ERR_INVALID);
    ck_assert_status(kpi_customers_add_interactions(NULL, 1), KPI_ERR_INVALID);
    ck_assert_status(kpi_customers_add_offered(NULL, 1), KPI_ERR_INVALID);
    ck_assert_status(kpi_customers_clone(NULL, &c), KPI_ERR_INVALID);
    ck_assert_status(kpi_customers_clone(p, NULL), KPI_ERR_INVALID);
    ck_assert_status(kpi_customers_new(NULL), KPI_ERR_INVALID);
    ck_assert_ptr_null(c);
    customers_unchanged(p, before, len);
    free(before);
    kpi_customers_free(p);

    /* shares of offered contacts: none offered; more unserved than offered */
    kpi_estimate e = {9, 9, 9, 9};
    ck_assert_ok(kpi_customers_new(&p));
    ck_assert_ok(kpi_customers_add_unserved(p, 5, 2));
    ck_assert_ok(kpi_customers_add_unserved(p, KPI_UNSERVED_ABANDONED, 3));
    ck_assert_status(kpi_customers_unserved_reason_share(p, 5, &e), KPI_ERR_EMPTY);
    ck_assert_status(kpi_customers_abandon_rate(p, &e), KPI_ERR_EMPTY);
    ck_assert_ok(kpi_customers_add_offered(p, 2));
    ck_assert_status(kpi_customers_abandon_rate(p, &e), KPI_ERR_RANGE);
    ck_assert(e.value == 9 && e.n == 9); /* nothing written */
    ck_assert_ok(kpi_customers_unserved_reason_share(p, 5, &e));
    ck_assert(e.value == 1.0 && e.n == 2);
    ck_assert_ok(kpi_customers_add_unserved(p, 5, 1));
    ck_assert_status(kpi_customers_unserved_reason_share(p, 5, &e), KPI_ERR_RANGE);
    kpi_customers_free(p);
}
END_TEST

START_TEST(documented_errors_of_the_journey_reads_and_clone)
{
    kpi_journey *j, *c = NULL;
    double v = 42;
    ck_assert_ok(kpi_journey_new(&j, 10, 1000));
    ck_assert_ok(kpi_journey_touch(j, 1, 0, 0));
    ck_assert_status(kpi_journey_switches_mean(j, &v), KPI_ERR_EMPTY); /* none closed */
    ck_assert_status(kpi_journey_switches_mean(NULL, &v), KPI_ERR_INVALID);
    ck_assert_status(kpi_journey_switches_mean(j, NULL), KPI_ERR_INVALID);
    ck_assert(v == 42);
    size_t len;
    unsigned char *before = journey_bytes(j, &len);
    ck_assert_status(kpi_journey_clone(NULL, &c), KPI_ERR_INVALID);
    ck_assert_status(kpi_journey_clone(j, NULL), KPI_ERR_INVALID);
    ck_assert_ptr_null(c);
    journey_unchanged(j, before, len);
    ck_assert_ok(kpi_journey_resolve(j, 1, 10));
    ck_assert_ok(kpi_journey_switches_mean(j, &v));
    ck_assert(v == 0.0);
    free(before);
    kpi_journey_free(j);
}
END_TEST

static Suite *customers_suite(void)
{
    Suite *s = suite_create("customers");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, customer_formulas_match_hand_computation);
    tcase_add_test(tc, net_churn_is_negative_when_growth_exceeds_losses);
    tcase_add_test(tc, retention_is_negative_when_new_exceed_end);
    tcase_add_test(tc, reads_without_their_inputs_are_empty_or_out_of_range);
    tcase_add_test(tc, customer_feed_errors_change_nothing);
    tcase_add_test(tc, customer_merge_of_shards_equals_the_whole);
    tcase_add_test(tc, customer_state_round_trips_and_rejects_bad_bytes);
    tcase_add_test(tc, customer_allocations_fail_cleanly);
    tcase_add_test(tc, customer_revenue_parts_adding_to_inf_are_corrupt);
    tcase_add_test(tc, a_revenue_compensation_past_half_the_sum_is_corrupt);
    tcase_add_test(tc, clv_of_the_largest_revenue_is_finite);
    tcase_add_test(tc, counts_the_adds_rule_out_are_corrupt);
    tcase_add_test(tc, differences_of_large_counts_are_exact);
    tcase_add_test(tc, negative_zeros_no_call_writes_are_corrupt);
    tcase_add_test(tc, group_total_of_members_with_their_own_margin);
    tcase_add_test(tc, journey_statistics_by_hand);
    tcase_add_test(tc, idle_journeys_close_unresolved_and_full_tables_evict_the_oldest);
    tcase_add_test(tc, journey_errors_change_nothing);
    tcase_add_test(tc, journey_matches_a_naive_reference_and_merges);
    tcase_add_test(tc, journey_out_of_order_times_match_the_naive_reference);
    tcase_add_test(tc, journey_merge_carries_the_later_clock);
    tcase_add_test(tc, journey_shards_with_open_journeys_merge_as_one_tracker);
    tcase_add_test(tc, journey_merge_of_open_journeys_by_hand);
    tcase_add_test(tc, journey_merge_is_one_tracker_only_in_time_order_without_eviction);
    tcase_add_test(tc, journey_bytes_are_validated);
    tcase_add_test(tc, hand_built_journey_states_are_checked_field_by_field);
    tcase_add_test(tc, journey_duration_sum_past_its_clock_is_corrupt);
    tcase_add_test(tc, a_duration_compensation_past_half_the_sum_is_corrupt);
    tcase_add_test(tc, a_journey_spanning_more_than_its_touches_allow_is_corrupt);
    tcase_add_test(tc, journey_allocations_fail_cleanly);
    tcase_add_test(tc, every_call_refuses_null_and_other_types);
    tcase_add_test(tc, reads_whose_sums_overflow_say_so);
    tcase_add_test(tc, revenue_past_the_largest_double_is_refused_and_changes_nothing);
    tcase_add_test(tc, journey_times_at_the_edges);
    tcase_add_test(tc, journey_memory_is_the_documented_bound);
    tcase_add_test(tc, journey_equal_times_and_limits_by_hand);
    tcase_add_test(tc, journey_touch_before_a_closed_journeys_last_touch_opens_a_new_one);
    tcase_add_test(tc, journey_touches_past_the_counters_are_refused);
    tcase_add_test(tc, touches_of_closed_journeys_with_none_closed_are_corrupt);
    suite_add_tcase(s, tc);
    TCase *tc2 = tcase_create("jour2");
    tcase_add_test(tc2, jour2_journey_definition_by_hand);
    tcase_add_test(tc2, jour2_out_of_order_and_refusals_keep_the_bytes);
    tcase_add_test(tc2, jour2_evicted_customer_returns_as_a_new_journey);
    tcase_add_test(tc2, jour2_one_touch_spanning_time_is_corrupt);
    /* ---- documented errors (rev-retval) ---- */
    tcase_add_test(tc2, documented_errors_of_the_state_verbs);
    tcase_add_test(tc2, documented_errors_of_the_constructors);
    tcase_add_test(tc2, documented_errors_of_the_customer_counts);
    tcase_add_test(tc2, documented_errors_of_the_customer_adds_and_shares);
    tcase_add_test(tc2, documented_errors_of_the_journey_reads_and_clone);
    suite_add_tcase(s, tc2);
    return s;
}

KPI_TEST_MAIN(customers_suite)
