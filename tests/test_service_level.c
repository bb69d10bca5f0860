/*
 * Service level, abandonment, unserved contacts and ASA.
 * SPDX-License-Identifier: MIT
 */
#include "kpi/customers.h"
#include "kpi/duration.h"
#include "kpi/service_level.h"
#include "testutil.h"

static kpi_service_level *sl_new(int64_t t, int64_t s)
{
    kpi_service_level *p = NULL;
    ck_assert_ok(kpi_service_level_new(&p, t, s));
    return p;
}

TEST_STATE_HELPERS(service_level, kpi_service_level, kpi_service_level_serialize)
TEST_FORGE_HELPER(service_level, kpi_service_level, kpi_service_level_deserialize,
                  kpi_service_level_free)

/* Cisco's example: 70 answered within T, 10 abandoned within T, 20
 * answered beyond T; 100 offered.  T = 20 s. */
static kpi_service_level *cisco(int64_t short_abandon_ms)
{
    kpi_service_level *s = sl_new(20000, short_abandon_ms);
    for (int i = 0; i < 70; i++)
        ck_assert_ok(kpi_service_level_add(s, 1000 + i * 100, KPI_CONTACT_ANSWERED));
    for (int i = 0; i < 10; i++)
        ck_assert_ok(kpi_service_level_add(s, 2000 + i * 1000, KPI_CONTACT_ABANDONED));
    for (int i = 0; i < 20; i++)
        ck_assert_ok(kpi_service_level_add(s, 25000 + i * 1000, KPI_CONTACT_ANSWERED));
    return s;
}

START_TEST(ciscos_worked_example_holds_for_each_formula)
{
    kpi_service_level *s = cisco(0);
    kpi_estimate e;
    ck_assert_uint_eq(kpi_service_level_offered(s), 100);
    ck_assert_ok(kpi_service_level_share(s, KPI_SL_ANSWERED_OVER_OFFERED, &e));
    ck_assert_near(e.value, 0.70, 1e-12); /* abandons count against */
    ck_assert_uint_eq(e.n, 100);
    ck_assert_ok(kpi_service_level_share(s, KPI_SL_EXCLUDE_ABANDONS_IN_T, &e));
    ck_assert_near(e.value, 70.0 / 90.0, 1e-12); /* 77.8%: ignored */
    ck_assert_uint_eq(e.n, 90);
    ck_assert_ok(kpi_service_level_share(s, KPI_SL_ABANDONS_IN_T_MET, &e));
    ck_assert_near(e.value, 0.80, 1e-12); /* count for the center */
    ck_assert_ok(kpi_service_level_share(s, KPI_SL_ANSWERED_OVER_ANSWERED, &e));
    ck_assert_near(e.value, 70.0 / 90.0, 1e-12);
    /* S = 0: no short abandons, so the formula equals answered/offered */
    ck_assert_ok(kpi_service_level_share(s, KPI_SL_EXCLUDE_SHORT_ABANDONS, &e));
    ck_assert_near(e.value, 0.70, 1e-12);
    ck_assert(e.lower < 0.70 && e.upper > 0.70);
    kpi_service_level_free(s);
    /* with S = T every abandon here is short: 70 / (100 - 10) */
    s = cisco(20000);
    ck_assert_ok(kpi_service_level_share(s, KPI_SL_EXCLUDE_SHORT_ABANDONS, &e));
    ck_assert_near(e.value, 70.0 / 90.0, 1e-12);
    kpi_service_level_free(s);
    /* with S = 5 s, abandons at 2, 3 and 4 s are short: 70 / 97 */
    s = cisco(5000);
    ck_assert_ok(kpi_service_level_share(s, KPI_SL_EXCLUDE_SHORT_ABANDONS, &e));
    ck_assert_near(e.value, 70.0 / 97.0, 1e-12);
    kpi_service_level_free(s);
}
END_TEST

START_TEST(answered_exactly_at_the_threshold_is_within)
{
    kpi_service_level *s = sl_new(20000, 0);
    ck_assert_ok(kpi_service_level_add(s, 20000, KPI_CONTACT_ANSWERED));
    ck_assert_ok(kpi_service_level_add(s, 20001, KPI_CONTACT_ANSWERED));
    kpi_estimate e;
    ck_assert_ok(kpi_service_level_share(s, KPI_SL_ANSWERED_OVER_OFFERED, &e));
    ck_assert_near(e.value, 0.5, 0);
    kpi_service_level_free(s);
}
END_TEST

/* The edges of T and S by hand, T = 20 s, S = 5 s: an abandon at exactly
 * T is abandoned in T, one at exactly S is not short; short abandons leave
 * the offered count only in KPI_SL_EXCLUDE_SHORT_ABANDONS (offered and
 * the abandonment rate keep them, as kpi/service_level.h says).  Contacts:
 * answered at 0, 20000, 20001; abandoned at 0, 4999, 5000, 20000, 20001;
 * 2 unserved (their waits unused, even a negative one).  10 offered, 2
 * answered in T, 4 abandoned in T (0, 4999, 5000, 20000), 2 of them
 * short (0, 4999). */
START_TEST(threshold_and_short_abandon_edges_by_hand)
{
    kpi_service_level *s = sl_new(20000, 5000);
    const int64_t w[] = {0, 20000, 20001, 0, 4999, 5000, 20000, 20001, -7, 123};
    const int o[] = {0, 0, 0, 1, 1, 1, 1, 1, 2, 2};
    ck_assert_ok(kpi_service_level_add_array(s, w, o, 10));
    ck_assert_uint_eq(kpi_service_level_offered(s), 10);
    ck_assert_uint_eq(kpi_service_level_answered(s), 3);
    ck_assert_uint_eq(kpi_service_level_abandoned(s), 5);
    const struct {
        int formula;
        double num, den;
    } want[] = {
        {KPI_SL_ANSWERED_OVER_OFFERED, 2, 10},
        {KPI_SL_EXCLUDE_SHORT_ABANDONS, 2, 10 - 2}, /* abandons at 0 and 4999 */
        {KPI_SL_ANSWERED_OVER_ANSWERED, 2, 3},
        {KPI_SL_ABANDONS_IN_T_MET, 2 + 4, 10},     /* abandons at 0 .. 20000 */
        {KPI_SL_EXCLUDE_ABANDONS_IN_T, 2, 10 - 4},
    };
    kpi_estimate e, f;
    for (int k = 0; k < 5; k++) {
        ck_assert_ok(kpi_service_level_share(s, want[k].formula, &e));
        ck_assert_msg(e.value == want[k].num / want[k].den, "formula %d: %g", want[k].formula,
                      e.value);
        ck_assert_uint_eq(e.n, (uint64_t)want[k].den);
        ck_assert_ok(kpi_wilson_interval((uint64_t)want[k].num, (uint64_t)want[k].den, &f));
        ck_assert(e.lower == f.lower && e.upper == f.upper);
    }
    ck_assert_ok(kpi_service_level_abandon_rate(s, &e));
    ck_assert(e.value == 5.0 / 10.0);
    ck_assert_ok(kpi_service_level_unserved_share(s, &e));
    ck_assert(e.value == 2.0 / 10.0);
    double asa;
    ck_assert_ok(kpi_service_level_asa(s, &asa)); /* answered only */
    ck_assert(asa == (0 + 20000 + 20001) / 3.0);
    /* the same contacts one at a time, and a long batch (its answered
     * waits in a heap buffer) with a bad last contact changes nothing */
    kpi_service_level *t = sl_new(20000, 5000);
    for (int i = 0; i < 10; i++)
        ck_assert_ok(kpi_service_level_add(t, w[i], o[i]));
    service_level_same(s, t);
    enum { N = 1000 };
    static int64_t lw[N];
    static int lo[N];
    for (int i = 0; i < N; i++) {
        lw[i] = w[i % 10];
        lo[i] = o[i % 10];
    }
    size_t len;
    unsigned char *before = service_level_bytes(s, &len);
    lw[N - 1] = -1;
    lo[N - 1] = KPI_CONTACT_ANSWERED;
    ck_assert_status(kpi_service_level_add_array(s, lw, lo, N), KPI_ERR_RANGE);
    service_level_unchanged(s, before, len);
    lo[N - 1] = 3;
    ck_assert_status(kpi_service_level_add_array(s, lw, lo, N), KPI_ERR_INVALID);
    service_level_unchanged(s, before, len);
    lw[N - 1] = w[9];
    lo[N - 1] = o[9];
    ck_assert_ok(kpi_service_level_add_array(s, lw, lo, N));
    for (int i = 0; i < N; i++)
        ck_assert_ok(kpi_service_level_add(t, lw[i], lo[i]));
    service_level_same(s, t);
    ck_assert_ok(kpi_service_level_share(s, KPI_SL_EXCLUDE_SHORT_ABANDONS, &e));
    ck_assert(e.value == 202.0 / 808.0);
    free(before);
    kpi_service_level_free(s);
    kpi_service_level_free(t);
}
END_TEST

START_TEST(abandonment_and_unserved_shares_per_reason)
{
    kpi_service_level *s = cisco(0);
    ck_assert_ok(kpi_service_level_add_unserved(s, 3));
    ck_assert_ok(kpi_service_level_add_unserved(s, 3));
    ck_assert_ok(kpi_service_level_add_unserved(s, 63));
    ck_assert_ok(kpi_service_level_add(s, 0, KPI_CONTACT_UNSERVED)); /* reason 0 */
    ck_assert_uint_eq(kpi_service_level_offered(s), 104);
    ck_assert_uint_eq(kpi_service_level_answered(s), 90);
    ck_assert_uint_eq(kpi_service_level_abandoned(s), 10);
    kpi_estimate e;
    ck_assert_ok(kpi_service_level_abandon_rate(s, &e));
    ck_assert_near(e.value, 10.0 / 104.0, 1e-12);
    ck_assert_ok(kpi_service_level_unserved_share(s, &e));
    ck_assert_near(e.value, 4.0 / 104.0, 1e-12);
    ck_assert_ok(kpi_service_level_unserved_reason_share(s, 3, &e));
    ck_assert_near(e.value, 2.0 / 104.0, 1e-12);
    uint64_t c;
    ck_assert_ok(kpi_service_level_unserved_count(s, 3, &c));
    ck_assert_uint_eq(c, 2);
    ck_assert_ok(kpi_service_level_unserved_count(s, 0, &c));
    ck_assert_uint_eq(c, 1);
    ck_assert_ok(kpi_service_level_unserved_count(s, 5, &c));
    ck_assert_uint_eq(c, 0);
    ck_assert_status(kpi_service_level_unserved_count(s, 64, &c), KPI_ERR_RANGE);
    ck_assert_status(kpi_service_level_unserved_reason_share(s, 64, &e), KPI_ERR_RANGE);
    ck_assert_status(kpi_service_level_add_unserved(s, 64), KPI_ERR_RANGE);
    ck_assert_uint_eq(kpi_service_level_offered(s), 104);
    /* unserved contacts count against answered/offered */
    ck_assert_ok(kpi_service_level_share(s, KPI_SL_ANSWERED_OVER_OFFERED, &e));
    ck_assert_near(e.value, 70.0 / 104.0, 1e-12);
    kpi_service_level_free(s);
}
END_TEST

/* Reason 0 here is not customers.h's KPI_UNSERVED_ABANDONED: abandons are
 * their own outcome.  1 answered, 2 abandoned, 1 unserved without a reason
 * (add with KPI_CONTACT_UNSERVED: reason 0), 1 with KPI_UNSERVED_NO_AGENT:
 * offered 5, abandon rate 2 / 5 = 0.4, unserved 2 / 5 = 0.4, reason 0
 * 1 / 5 = 0.2 (the blocked one, none of the abandons), reason 1 1 / 5. */
START_TEST(reason_0_holds_unserved_contacts_not_abandons)
{
    kpi_service_level *s = sl_new(20000, 0);
    ck_assert_ok(kpi_service_level_add(s, 1000, KPI_CONTACT_ANSWERED));
    ck_assert_ok(kpi_service_level_add(s, 3000, KPI_CONTACT_ABANDONED));
    ck_assert_ok(kpi_service_level_add(s, 30000, KPI_CONTACT_ABANDONED));
    ck_assert_ok(kpi_service_level_add(s, 0, KPI_CONTACT_UNSERVED));
    ck_assert_ok(kpi_service_level_add_unserved(s, KPI_UNSERVED_NO_AGENT));
    ck_assert_uint_eq(kpi_service_level_offered(s), 5);
    kpi_estimate e;
    ck_assert_ok(kpi_service_level_abandon_rate(s, &e));
    ck_assert(e.value == 0.4 && e.n == 5);
    ck_assert_ok(kpi_service_level_unserved_share(s, &e));
    ck_assert(e.value == 0.4);
    uint64_t c;
    ck_assert_ok(kpi_service_level_unserved_count(s, KPI_UNSERVED_ABANDONED, &c));
    ck_assert_uint_eq(c, 1);
    ck_assert_ok(kpi_service_level_unserved_reason_share(s, 0, &e));
    ck_assert(e.value == 0.2);
    ck_assert_ok(kpi_service_level_unserved_count(s, KPI_UNSERVED_NO_AGENT, &c));
    ck_assert_uint_eq(c, 1);
    ck_assert_ok(kpi_service_level_unserved_count(s, KPI_UNSERVED_SYSTEM_FAILURE, &c));
    ck_assert_uint_eq(c, 0);
    kpi_service_level_free(s);
}
END_TEST

START_TEST(asa_and_wait_quantiles_cover_answered_contacts_only)
{
    kpi_service_level *s = sl_new(20000, 0);
    double m;
    ck_assert_status(kpi_service_level_asa(s, &m), KPI_ERR_EMPTY);
    ck_assert_ok(kpi_service_level_add(s, 10000, KPI_CONTACT_ANSWERED));
    ck_assert_ok(kpi_service_level_add(s, 30000, KPI_CONTACT_ANSWERED));
    ck_assert_ok(kpi_service_level_add(s, 900000, KPI_CONTACT_ABANDONED));
    ck_assert_ok(kpi_service_level_asa(s, &m));
    ck_assert(m == 20000.0);
    ck_assert_ok(kpi_service_level_wait_quantile(s, 1, &m));
    ck_assert(m == 30000.0);
    ck_assert_ok(kpi_service_level_wait_quantile(s, 0, &m));
    ck_assert(m == 10000.0);
    ck_assert_status(kpi_service_level_wait_quantile(s, 2, &m), KPI_ERR_RANGE);
    kpi_service_level_free(s);
}
END_TEST

START_TEST(empty_denominators_say_empty)
{
    kpi_service_level *s = sl_new(20000, 0);
    kpi_estimate e;
    for (int f = 0; f <= 4; f++)
        ck_assert_status(kpi_service_level_share(s, f, &e), KPI_ERR_EMPTY);
    ck_assert_status(kpi_service_level_abandon_rate(s, &e), KPI_ERR_EMPTY);
    ck_assert_status(kpi_service_level_unserved_share(s, &e), KPI_ERR_EMPTY);
    /* only abandons: answered/answered has no denominator */
    ck_assert_ok(kpi_service_level_add(s, 5, KPI_CONTACT_ABANDONED));
    ck_assert_status(kpi_service_level_share(s, KPI_SL_ANSWERED_OVER_ANSWERED, &e),
                     KPI_ERR_EMPTY);
    ck_assert_status(kpi_service_level_share(s, KPI_SL_EXCLUDE_ABANDONS_IN_T, &e),
                     KPI_ERR_EMPTY);
    ck_assert_ok(kpi_service_level_share(s, KPI_SL_ABANDONS_IN_T_MET, &e));
    ck_assert(e.value == 1.0);
    kpi_service_level_free(s);
}
END_TEST

START_TEST(bad_arguments_are_refused_and_change_nothing)
{
    kpi_service_level *p = NULL;
    ck_assert_status(kpi_service_level_new(&p, -1, 0), KPI_ERR_RANGE);
    ck_assert_status(kpi_service_level_new(&p, 1, -1), KPI_ERR_RANGE);
    ck_assert_status(kpi_service_level_new(NULL, 1, 0), KPI_ERR_INVALID);
    ck_assert_ptr_null(p);
    kpi_service_level *s = cisco(0), *before;
    ck_assert_ok(kpi_service_level_clone(s, &before));
    ck_assert_status(kpi_service_level_add(s, -1, KPI_CONTACT_ANSWERED), KPI_ERR_RANGE);
    ck_assert_status(kpi_service_level_add(s, 1, 3), KPI_ERR_INVALID);
    ck_assert_status(kpi_service_level_add(s, 1, -1), KPI_ERR_INVALID);
    const int64_t w[] = {1, 2, -3};
    const int o[] = {0, 1, 0};
    ck_assert_status(kpi_service_level_add_array(s, w, o, 3), KPI_ERR_RANGE);
    ck_assert_status(kpi_service_level_add_array(s, NULL, o, 3), KPI_ERR_INVALID);
    ck_assert_status(kpi_service_level_add(NULL, 1, 0), KPI_ERR_INVALID);
    kpi_estimate e;
    ck_assert_status(kpi_service_level_share(s, 5, &e), KPI_ERR_INVALID);
    ck_assert_status(kpi_service_level_share(s, 0, NULL), KPI_ERR_INVALID);
    service_level_same(s, before);
    kpi_service_level *other = sl_new(30000, 0), *other2 = sl_new(20000, 5);
    ck_assert_status(kpi_service_level_merge(s, other), KPI_ERR_INCOMPATIBLE);
    ck_assert_status(kpi_service_level_merge(s, other2), KPI_ERR_INCOMPATIBLE);
    ck_assert_status(kpi_service_level_merge(s, NULL), KPI_ERR_INVALID);
    service_level_same(s, before);
    kpi_service_level_free(other);
    kpi_service_level_free(other2);
    kpi_service_level_free(s);
    kpi_service_level_free(before);
    kpi_service_level_free(NULL);
    kpi_service_level_reset(NULL);
}
END_TEST

START_TEST(merge_equals_one_stream_and_state_round_trips)
{
    kpi_service_level *a = sl_new(20000, 3000), *b = sl_new(20000, 3000),
                      *all = sl_new(20000, 3000);
    test_rng r = {17};
    enum { N = 2000 };
    static int64_t w[N];
    static int o[N];
    for (int i = 0; i < N; i++) {
        w[i] = test_range(&r, 0, 120000);
        o[i] = (int)test_range(&r, 0, 2);
        if (i % 50 == 0) {
            uint32_t reason = (uint32_t)test_range(&r, 0, 63);
            ck_assert_ok(kpi_service_level_add_unserved(i % 3 ? a : b, reason));
            ck_assert_ok(kpi_service_level_add_unserved(all, reason));
        }
        ck_assert_ok(kpi_service_level_add(i % 3 ? a : b, w[i], o[i]));
    }
    ck_assert_ok(kpi_service_level_add_array(all, w, o, N));
    ck_assert_ok(kpi_service_level_merge(a, b));
    service_level_same(a, all);
    size_t len;
    unsigned char *bytes = service_level_bytes(all, &len);
    kpi_service_level *c;
    ck_assert_ok(kpi_service_level_deserialize(&c, bytes, len));
    service_level_same(c, all);
    for (int f = 0; f <= 4; f++) {
        kpi_estimate x, y;
        ck_assert_ok(kpi_service_level_share(c, f, &x));
        ck_assert_ok(kpi_service_level_share(all, f, &y));
        ck_assert(x.value == y.value && x.n == y.n);
    }
    kpi_service_level_free(c);
    for (size_t cut = 0; cut < len; cut++)
        ck_assert_int_lt(kpi_service_level_deserialize(&c, bytes, cut), 0);
    for (size_t i = 0; i < len; i++)
        for (int bit = 0; bit < 8; bit += 3) {
            bytes[i] ^= (unsigned char)(1u << bit);
            ck_assert_int_lt(kpi_service_level_deserialize(&c, bytes, len), 0);
            bytes[i] ^= (unsigned char)(1u << bit);
        }
    kpi_duration *d;
    ck_assert_status(kpi_duration_deserialize(&d, bytes, len), KPI_ERR_TYPE);
    /* self merge doubles; reset empties */
    ck_assert_ok(kpi_service_level_merge(a, a));
    ck_assert_uint_eq(kpi_service_level_offered(a), 2 * kpi_service_level_offered(all));
    kpi_service_level_reset(a);
    ck_assert_uint_eq(kpi_service_level_offered(a), 0);
    ck_assert_uint_gt(kpi_service_level_footprint(all), 512);
    free(bytes);
    kpi_service_level_free(a);
    kpi_service_level_free(b);
    kpi_service_level_free(all);
}
END_TEST

START_TEST(allocation_failures_change_nothing)
{
    kpi_service_level *src = cisco(0);
    size_t len;
    unsigned char *bytes = service_level_bytes(src, &len);
    enum { N = 200 };
    int64_t w[N];
    int o[N];
    for (int i = 0; i < N; i++) {
        w[i] = i * 997;
        o[i] = i % 3 ? KPI_CONTACT_ANSWERED : KPI_CONTACT_ABANDONED;
    }
    for (long fail = 1; fail <= 6; fail++) {
        test_alloc t;
        kpi_allocator al = test_allocator(&t);
        t.fail_at = fail;
        kpi_service_level *s = NULL;
        int rc = kpi_service_level_new_with(&s, 20000, 0, &al);
        if (rc != KPI_OK) {
            ck_assert_status(rc, KPI_ERR_NOMEM);
            ck_assert_ptr_null(s);
            ck_assert_int_eq(t.live, 0);
            continue;
        }
        long live = t.live;
        rc = kpi_service_level_add_array(s, w, o, N);
        if (rc != KPI_OK) {
            ck_assert_status(rc, KPI_ERR_NOMEM);
            ck_assert_int_eq(t.live, live);
            ck_assert_uint_eq(kpi_service_level_offered(s), 0);
        }
        kpi_service_level *c = NULL;
        for (long k = 1; k <= 3; k++) {
            live = t.live;
            t.fail_at = t.calls + k;
            ck_assert_status(kpi_service_level_deserialize_with(&c, bytes, len, &al),
                             KPI_ERR_NOMEM);
            ck_assert_int_eq(t.live, live);
            t.fail_at = t.calls + k;
            rc = kpi_service_level_clone(s, &c);
            if (k <= 2 || kpi_service_level_answered(s) > 0) {
                ck_assert_status(rc, KPI_ERR_NOMEM);
                ck_assert_ptr_null(c);
                ck_assert_int_eq(t.live, live);
            } else {
                kpi_service_level_free(c);
            }
            c = NULL;
        }
        /* merge that must grow the waits sketch */
        t.fail_at = 0;
        kpi_service_level *m = NULL;
        ck_assert_ok(kpi_service_level_new_with(&m, 20000, 0, &al));
        t.fail_at = t.calls + 1;
        live = t.live;
        ck_assert_status(kpi_service_level_merge(m, src), KPI_ERR_NOMEM);
        ck_assert_int_eq(t.live, live);
        ck_assert_uint_eq(kpi_service_level_offered(m), 0);
        t.fail_at = 0;
        kpi_service_level_free(m);
        kpi_service_level_free(s);
        ck_assert_int_eq(t.live, 0);
    }
    free(bytes);
    kpi_service_level_free(src);
}
END_TEST

START_TEST(reads_and_adds_refuse_null)
{
    kpi_service_level *s;
    ck_assert_ok(kpi_service_level_new(&s, 20000, 5000));
    ck_assert_ok(kpi_service_level_add(s, 15000, KPI_CONTACT_ANSWERED));
    ck_assert_ok(kpi_service_level_add_unserved(s, 2));
    size_t len;
    unsigned char *before = service_level_bytes(s, &len);
    kpi_estimate e;
    uint64_t n = 7;
    double v = 7;
    ck_assert_status(kpi_service_level_add_unserved(NULL, 0), KPI_ERR_INVALID);
    ck_assert_status(kpi_service_level_serialize(NULL, NULL, 0, &len), KPI_ERR_INVALID);
    ck_assert_status(kpi_service_level_abandon_rate(NULL, &e), KPI_ERR_INVALID);
    ck_assert_status(kpi_service_level_abandon_rate(s, NULL), KPI_ERR_INVALID);
    ck_assert_status(kpi_service_level_unserved_count(NULL, 2, &n), KPI_ERR_INVALID);
    ck_assert_status(kpi_service_level_unserved_count(s, 2, NULL), KPI_ERR_INVALID);
    ck_assert_status(kpi_service_level_unserved_share(NULL, &e), KPI_ERR_INVALID);
    ck_assert_status(kpi_service_level_unserved_share(s, NULL), KPI_ERR_INVALID);
    ck_assert_status(kpi_service_level_unserved_reason_share(NULL, 2, &e), KPI_ERR_INVALID);
    ck_assert_status(kpi_service_level_unserved_reason_share(s, 2, NULL), KPI_ERR_INVALID);
    ck_assert_status(kpi_service_level_asa(NULL, &v), KPI_ERR_INVALID);
    ck_assert_status(kpi_service_level_asa(s, NULL), KPI_ERR_INVALID);
    ck_assert_status(kpi_service_level_wait_quantile(NULL, 0.5, &v), KPI_ERR_INVALID);
    ck_assert_status(kpi_service_level_wait_quantile(s, 0.5, NULL), KPI_ERR_INVALID);
    ck_assert(n == 7 && v == 7);
    service_level_unchanged(s, before, len);
    /* the same reads with their outputs */
    ck_assert_ok(kpi_service_level_unserved_count(s, 2, &n));
    ck_assert_uint_eq(n, 1);
    ck_assert_ok(kpi_service_level_asa(s, &v));
    ck_assert_near(v, 15000, 15000 * 0.01);
    ck_assert_ok(kpi_service_level_unserved_share(s, &e));
    ck_assert_near(e.value, 0.5, 0);
    free(before);
    kpi_service_level_free(s);
}
END_TEST

/* A service level's waits are a 1% duration without targets (its
 * constructor makes them so).  Bytes whose nested waits register a target
 * (T = 20 s, S = 0, one answer after 1 s; the waits' body replaced by the
 * body of a duration with target 5 s and the same wait) decoded, and the
 * object then refused a merge with a service level of the same thresholds
 * (KPI_ERR_INCOMPATIBLE from the waits, which the header gives only for
 * other thresholds), both ways: such bytes are corrupt. */
START_TEST(waits_with_a_target_are_corrupt)
{
    kpi_service_level *s = sl_new(20000, 0);
    ck_assert_ok(kpi_service_level_add(s, 1000, KPI_CONTACT_ANSWERED));
    kpi_duration *plain, *targeted;
    ck_assert_ok(kpi_duration_new(&plain, 0.01));
    ck_assert_ok(kpi_duration_new(&targeted, 0.01));
    ck_assert_ok(kpi_duration_add_target(targeted, 5000));
    ck_assert_ok(kpi_duration_add(plain, 1000));
    ck_assert_ok(kpi_duration_add(targeted, 1000));
    size_t len, plen, tlen;
    unsigned char *b = service_level_bytes(s, &len);
    ck_assert_ok(kpi_duration_serialize(plain, NULL, 0, &plen));
    const kpi_duration *waits[2] = {plain, targeted};
    for (int w = 0; w < 2; w++) {
        ck_assert_ok(kpi_duration_serialize(waits[w], NULL, 0, &tlen));
        unsigned char *tb = malloc(tlen);
        ck_assert_ok(kpi_duration_serialize(waits[w], tb, tlen, &tlen));
        /* the waits are the body's last part: a u32 length, then the body
         * of the duration state (16 bytes of header and checksum fewer) */
        size_t prefix = len - 4 - (plen - 16), flen = prefix + (tlen - 16) + 4;
        unsigned char *f = malloc(flen);
        memcpy(f, b, prefix);
        memcpy(f + prefix, tb + 12, tlen - 16);
        uint32_t nested = (uint32_t)(tlen - 16);
        for (int k = 0; k < 4; k++)
            f[prefix - 4 + k] = (unsigned char)(nested >> (8 * k));
        test_reseal(f, flen);
        kpi_service_level *d = NULL;
        if (w == 0) { /* the splice itself keeps the state */
            ck_assert_ok(kpi_service_level_deserialize(&d, f, flen));
            service_level_same(d, s);
            kpi_service_level_free(d);
        } else {
            ck_assert_status(kpi_service_level_deserialize(&d, f, flen), KPI_ERR_CORRUPT);
            ck_assert_ptr_null(d);
        }
        free(f);
        free(tb);
    }
    free(b);
    kpi_duration_free(plain);
    kpi_duration_free(targeted);
    kpi_service_level_free(s);
}
END_TEST

/* Short abandons waited < S, abandons in T <= T: with S = 0 there are none
 * (so the header's formula 1 equals formula 0), with S - 1 <= T each is
 * also in T, with S - 1 >= T each abandon in T is short.  Bytes whose
 * counters break that decoded.  T = 50, S = 0, 20 or 60 (each svarint one
 * byte, so the counters are body bytes 2..7: answered, answered in T,
 * abandoned, abandoned in T, short, unserved, at offsets 14..19; the short
 * abandons at 18). */
START_TEST(short_abandons_that_contradict_s_and_t_are_corrupt)
{
    static const struct {
        int64_t s, wait; /* five abandons after `wait` (and for S = 0 five answers) */
        unsigned char shorts, forged; /* the short abandons, and forged */
    } cases[] = {
        /* S = 0: 5 answered and 5 abandoned in T, 5 "short": formula 1
         * would read 5/(10 - 5) = 1, formula 0 5/10 */
        {0, 10, 0, 5},
        /* S = 20: 5 abandons after 100 ms, 5 "short" (< 20 ms, so in T
         * too) while none was abandoned in T */
        {20, 100, 0, 5},
        /* S = 60: 5 abandons in T (10 ms: short too), 0 short */
        {60, 10, 5, 0},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        kpi_service_level *s = sl_new(50, cases[i].s);
        for (int j = 0; j < 5; j++) {
            ck_assert_ok(kpi_service_level_add(s, cases[i].wait, KPI_CONTACT_ABANDONED));
            if (cases[i].s == 0)
                ck_assert_ok(kpi_service_level_add(s, 10, KPI_CONTACT_ANSWERED));
        }
        ck_assert_uint_eq(service_level_forged(s, 18, cases[i].forged, cases[i].shorts),
                          cases[i].shorts);
        kpi_service_level_free(s);
    }
}
END_TEST

/* Answered in T counts the answered waits <= T, which the waits hold
 * exactly at the ends: every wait of 0, none when T is under the shortest
 * wait, all when T is at or over the longest; and so, the other way, at
 * least one (the shortest) when T is at or over the shortest wait, not
 * all (not the longest) when T is under the longest.  Bytes whose counter
 * broke that decoded: answered/answered read 2/3 while every wait (10 ms)
 * was within T = 50; and with waits 10, 100, 100 it read 0/3 though the
 * 10 ms answer was within 50 ms, with waits 10, 10, 100 it read 3/3 = 100%
 * though the 100 ms answer was not.  T = 50, S = 0 (one byte each):
 * answered in T is body byte 3, offset 15. */
START_TEST(answered_in_t_that_contradicts_the_waits_is_corrupt)
{
    static const struct {
        int64_t w[3];
        unsigned char in_t, forged;
    } cases[] = {
        {{10, 10, 10}, 3, 2},    /* 50 >= the longest wait: all 3 */
        {{100, 100, 100}, 0, 1}, /* 50 < the shortest wait: none */
        {{0, 0, 100}, 2, 1},     /* the two zeros are within */
        {{10, 100, 100}, 1, 0},  /* 50 >= the shortest wait: at least 1 */
        {{10, 10, 100}, 2, 3},   /* 50 < the longest wait: at most 2 */
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        kpi_service_level *s = sl_new(50, 0);
        for (int j = 0; j < 3; j++)
            ck_assert_ok(kpi_service_level_add(s, cases[i].w[j], KPI_CONTACT_ANSWERED));
        ck_assert_uint_eq(kpi_service_level_answered(s), 3);
        ck_assert_uint_eq(service_level_forged(s, 15, cases[i].forged, cases[i].in_t),
                          cases[i].in_t);
        kpi_service_level_free(s);
    }
}
END_TEST

/* ---- documented errors (rev-retval) ---- */

TEST_STATE_ERRORS_HELPER(service_level, kpi_service_level, kpi_service_level_serialize,
                         kpi_service_level_deserialize,
                         kpi_service_level_deserialize_with, kpi_service_level_free)

START_TEST(documented_errors_of_the_state_verbs)
{
    kpi_service_level *s;
    ck_assert_ok(kpi_service_level_new(&s, 20000, 5000));
    ck_assert_ok(kpi_service_level_add(s, 12000, KPI_CONTACT_ANSWERED));
    ck_assert_ok(kpi_service_level_add(s, 3000, KPI_CONTACT_ABANDONED));
    ck_assert_ok(kpi_service_level_add_unserved(s, 7));
    service_level_state_errors(s);
    kpi_service_level_free(s);
}
END_TEST

START_TEST(documented_errors_of_new_with_and_reason_share)
{
    test_alloc t;
    kpi_allocator a = test_allocator(&t);
    kpi_service_level *s = NULL;
    ck_assert_status(kpi_service_level_new_with(&s, -1, 0, &a), KPI_ERR_RANGE);
    ck_assert_status(kpi_service_level_new_with(&s, 20000, -1, &a), KPI_ERR_RANGE);
    ck_assert_status(kpi_service_level_new_with(NULL, 20000, 0, &a), KPI_ERR_INVALID);
    a.free_fn = NULL;
    ck_assert_status(kpi_service_level_new_with(&s, 20000, 0, &a), KPI_ERR_INVALID);
    ck_assert_ptr_null(s);
    ck_assert_int_eq(t.live, 0);

    kpi_estimate e = {9, 9, 9, 9};
    ck_assert_ok(kpi_service_level_new(&s, 20000, 0));
    ck_assert_status(kpi_service_level_unserved_reason_share(s, 3, &e), KPI_ERR_EMPTY);
    ck_assert(e.value == 9 && e.n == 9);
    ck_assert_ok(kpi_service_level_add(s, 0, KPI_CONTACT_ANSWERED));
    ck_assert_ok(kpi_service_level_unserved_reason_share(s, 3, &e));
    ck_assert_uint_eq(e.n, 1);
    ck_assert(e.value == 0.0);
    kpi_service_level_free(s);
}
END_TEST

START_TEST(documented_overflows_change_nothing)
{
    /* 2^64 - 1 offered contacts: x -> 2x + 1, 63 times, from one */
    kpi_service_level *s, *one;
    ck_assert_ok(kpi_service_level_new(&s, 20000, 0));
    ck_assert_ok(kpi_service_level_new(&one, 20000, 0));
    ck_assert_ok(kpi_service_level_add_unserved(one, 0));
    ck_assert_ok(kpi_service_level_add_unserved(s, 0));
    for (int i = 0; i < 63; i++) {
        ck_assert_ok(kpi_service_level_merge(s, s));
        ck_assert_ok(kpi_service_level_add_unserved(s, 0));
    }
    ck_assert_uint_eq(kpi_service_level_offered(s), UINT64_MAX);
    size_t len;
    unsigned char *before = service_level_bytes(s, &len);
    const int64_t waits[] = {10, 20};
    const int outcomes[] = {KPI_CONTACT_ANSWERED, KPI_CONTACT_ANSWERED};
    ck_assert_status(kpi_service_level_add(s, 10, KPI_CONTACT_ANSWERED), KPI_ERR_OVERFLOW);
    service_level_unchanged(s, before, len);
    ck_assert_status(kpi_service_level_add_array(s, waits, outcomes, 2), KPI_ERR_OVERFLOW);
    service_level_unchanged(s, before, len);
    ck_assert_status(kpi_service_level_add_unserved(s, 5), KPI_ERR_OVERFLOW);
    service_level_unchanged(s, before, len);
    ck_assert_status(kpi_service_level_merge(s, one), KPI_ERR_OVERFLOW);
    service_level_unchanged(s, before, len);
    ck_assert_status(kpi_service_level_merge(s, s), KPI_ERR_OVERFLOW);
    service_level_unchanged(s, before, len);
    free(before);
    kpi_service_level_free(s);
    kpi_service_level_free(one);
}
END_TEST

START_TEST(documented_errors_of_clone_and_wait_quantile)
{
    kpi_service_level *s, *c = NULL;
    double w = 42;
    ck_assert_ok(kpi_service_level_new(&s, 20000, 0));
    ck_assert_ok(kpi_service_level_add_unserved(s, 1)); /* no wait recorded */
    ck_assert_status(kpi_service_level_wait_quantile(s, 0.5, &w), KPI_ERR_EMPTY);
    ck_assert(w == 42);
    ck_assert_ok(kpi_service_level_add(s, 3000, KPI_CONTACT_ANSWERED));
    size_t len;
    unsigned char *before = service_level_bytes(s, &len);
    ck_assert_status(kpi_service_level_clone(NULL, &c), KPI_ERR_INVALID);
    ck_assert_status(kpi_service_level_clone(s, NULL), KPI_ERR_INVALID);
    ck_assert_ptr_null(c);
    service_level_unchanged(s, before, len);
    ck_assert_ok(kpi_service_level_wait_quantile(s, 0.5, &w));
    free(before);
    kpi_service_level_free(s);
}
END_TEST

static Suite *service_level_suite(void)
{
    Suite *s = suite_create("service_level");
    TCase *tc = tcase_create("formulas");
    tcase_add_test(tc, ciscos_worked_example_holds_for_each_formula);
    tcase_add_test(tc, answered_exactly_at_the_threshold_is_within);
    tcase_add_test(tc, threshold_and_short_abandon_edges_by_hand);
    tcase_add_test(tc, abandonment_and_unserved_shares_per_reason);
    tcase_add_test(tc, reason_0_holds_unserved_contacts_not_abandons);
    tcase_add_test(tc, asa_and_wait_quantiles_cover_answered_contacts_only);
    tcase_add_test(tc, empty_denominators_say_empty);
    suite_add_tcase(s, tc);
    tc = tcase_create("object");
    tcase_add_test(tc, bad_arguments_are_refused_and_change_nothing);
    tcase_add_test(tc, reads_and_adds_refuse_null);
    tcase_add_test(tc, merge_equals_one_stream_and_state_round_trips);
    tcase_add_test(tc, allocation_failures_change_nothing);
    tcase_add_test(tc, waits_with_a_target_are_corrupt);
    tcase_add_test(tc, short_abandons_that_contradict_s_and_t_are_corrupt);
    tcase_add_test(tc, answered_in_t_that_contradicts_the_waits_is_corrupt);
    /* ---- documented errors (rev-retval) ---- */
    tcase_add_test(tc, documented_errors_of_the_state_verbs);
    tcase_add_test(tc, documented_errors_of_new_with_and_reason_share);
    tcase_add_test(tc, documented_overflows_change_nothing);
    tcase_add_test(tc, documented_errors_of_clone_and_wait_quantile);
    suite_add_tcase(s, tc);
    return s;
}

KPI_TEST_MAIN(service_level_suite)
