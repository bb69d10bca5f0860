/*
 * Ratios of two sums and their named kinds.
 * SPDX-License-Identifier: MIT
 */
#include "kpi/ratio.h"
#include "testutil.h"

TEST_STATE_HELPERS(ratio, kpi_ratio, kpi_ratio_serialize)
TEST_REREAD_HELPER(ratio, kpi_ratio, kpi_ratio_deserialize)

START_TEST(cost_per_resolution_is_cost_over_resolved)
{
    kpi_ratio *p;
    ck_assert_ok(kpi_cost_per_resolution_new(&p));
    ck_assert_uint_eq(kpi_ratio_kind(p), KPI_RATIO_COST_PER_RESOLUTION);
    double v;
    ck_assert_status(kpi_ratio_value(p, &v), KPI_ERR_EMPTY);
    ck_assert_ok(kpi_ratio_add(p, 30000, 1000)); /* week 1 */
    ck_assert_ok(kpi_ratio_add(p, 12000, 200));  /* week 2 */
    ck_assert_ok(kpi_ratio_value(p, &v));
    ck_assert_near(v, 42000.0 / 1200.0, 1e-12); /* 35 per resolution */
    ck_assert_near(kpi_ratio_numerator(p), 42000, 0);
    ck_assert_near(kpi_ratio_denominator(p), 1200, 0);
    ck_assert_uint_eq(kpi_ratio_count(p), 2);
    kpi_ratio_free(p);
}
END_TEST

START_TEST(named_kinds_compute_their_documented_formulas)
{
    kpi_ratio *p;
    double v;
    ck_assert_ok(kpi_cost_per_ticket_new(&p)); /* expenses / opened */
    ck_assert_ok(kpi_ratio_add(p, 5000, 250));
    ck_assert_ok(kpi_ratio_value(p, &v));
    ck_assert_near(v, 20, 1e-12);
    kpi_ratio_free(p);
    ck_assert_ok(kpi_cost_to_revenue_new(&p)); /* the header's example */
    ck_assert_ok(kpi_ratio_add(p, 45000, 600000));
    ck_assert_ok(kpi_ratio_value(p, &v));
    ck_assert_near(v, 0.075, 1e-15);
    ck_assert(v < 0.10);
    kpi_ratio_free(p);
    ck_assert_ok(kpi_tickets_per_agent_hour_new(&p));
    ck_assert_ok(kpi_ratio_add(p, 36, 8));
    ck_assert_ok(kpi_ratio_add(p, 20, 0)); /* tickets without new hours */
    ck_assert_ok(kpi_ratio_value(p, &v));
    ck_assert_near(v, 7, 1e-12);
    ck_assert_uint_eq(kpi_ratio_kind(p), KPI_RATIO_TICKETS_PER_AGENT_HOUR);
    kpi_ratio_free(p);
    ck_assert_ok(kpi_ratio_new(&p));
    ck_assert_ok(kpi_ratio_add(p, -5, 2)); /* a credit */
    ck_assert_ok(kpi_ratio_value(p, &v));
    ck_assert_near(v, -2.5, 0);
    kpi_ratio_free(p);
}
END_TEST

START_TEST(compensated_sums_do_not_drift)
{
    kpi_ratio *p;
    ck_assert_ok(kpi_ratio_new(&p));
    ck_assert_ok(kpi_ratio_add(p, 1e16, 1));
    for (int i = 0; i < 1000; i++)
        ck_assert_ok(kpi_ratio_add(p, 1.0, 0));
    ck_assert_ok(kpi_ratio_add(p, -1e16, 0));
    ck_assert_near(kpi_ratio_numerator(p), 1000, 0);
    kpi_ratio_free(p);
}
END_TEST

START_TEST(errors_name_their_code_and_change_nothing)
{
    kpi_ratio *p, *before;
    ck_assert_status(kpi_ratio_new(NULL), KPI_ERR_INVALID);
    /* the kind is a selector: one that is no KPI_RATIO_* kind is invalid,
     * and no object is handed out */
    static const uint32_t bad_kinds[] = {KPI_RATIO_KIND_MAX + 1, UINT32_MAX};
    static char untouched;
    for (size_t i = 0; i < sizeof bad_kinds / sizeof bad_kinds[0]; i++) {
        p = (kpi_ratio *)(void *)&untouched;
        ck_assert_status(kpi_ratio_new_with(&p, bad_kinds[i], NULL), KPI_ERR_INVALID);
        ck_assert_ptr_eq(p, (void *)&untouched);
    }
    kpi_allocator bad = {NULL, NULL, NULL, NULL};
    ck_assert_status(kpi_ratio_new_with(&p, 0, &bad), KPI_ERR_INVALID);
    ck_assert_ok(kpi_ratio_new(&p));
    ck_assert_ok(kpi_ratio_add(p, 3, 4));
    ck_assert_ok(kpi_ratio_clone(p, &before));
    ck_assert_status(kpi_ratio_add(p, NAN, 1), KPI_ERR_INVALID);
    ck_assert_status(kpi_ratio_add(p, 1, INFINITY), KPI_ERR_INVALID);
    ck_assert_status(kpi_ratio_add(p, 1, -1), KPI_ERR_RANGE);
    ck_assert_status(kpi_ratio_add(NULL, 1, 1), KPI_ERR_INVALID);
    double nu[3] = {1, 2, 3}, de[3] = {1, -2, 3};
    ck_assert_status(kpi_ratio_add_array(p, nu, de, 3), KPI_ERR_RANGE);
    ck_assert_status(kpi_ratio_add_array(p, NULL, de, 3), KPI_ERR_INVALID);
    ratio_same(p, before);
    de[1] = 2;
    ck_assert_ok(kpi_ratio_add_array(p, nu, de, 3));
    ck_assert_ok(kpi_ratio_add_array(p, NULL, NULL, 0));
    double v;
    ck_assert_ok(kpi_ratio_value(p, &v));
    ck_assert_near(v, 9.0 / 10.0, 1e-15);
    ck_assert_status(kpi_ratio_value(p, NULL), KPI_ERR_INVALID);
    kpi_ratio *c;
    ck_assert_ok(kpi_cost_per_ticket_new(&c));
    ck_assert_status(kpi_ratio_merge(p, c), KPI_ERR_INCOMPATIBLE);
    ck_assert_status(kpi_ratio_merge(p, NULL), KPI_ERR_INVALID);
    kpi_ratio_reset(p);
    ck_assert_status(kpi_ratio_value(p, &v), KPI_ERR_EMPTY);
    ck_assert_uint_eq(kpi_ratio_count(p), 0);
    ck_assert_uint_eq(kpi_ratio_count(NULL), 0);
    ck_assert_uint_eq(kpi_ratio_footprint(NULL), 0);
    ck_assert_uint_ge(kpi_ratio_footprint(p), 40);
    kpi_ratio_free(NULL);
    kpi_ratio_reset(NULL);
    kpi_ratio_free(c);
    kpi_ratio_free(p);
    kpi_ratio_free(before);
}
END_TEST

START_TEST(merge_equals_one_stream)
{
    test_rng r = {5};
    kpi_ratio *a, *b, *all;
    ck_assert_ok(kpi_cost_to_revenue_new(&a));
    ck_assert_ok(kpi_cost_to_revenue_new(&b));
    ck_assert_ok(kpi_cost_to_revenue_new(&all));
    for (int i = 0; i < 1000; i++) {
        double n = (double)test_range(&r, 0, 1000), d = (double)test_range(&r, 0, 9000);
        ck_assert_ok(kpi_ratio_add(test_range(&r, 0, 1) ? a : b, n, d));
        ck_assert_ok(kpi_ratio_add(all, n, d));
    }
    ck_assert_ok(kpi_ratio_merge(a, b));
    ratio_same(a, all); /* integer sums are exact */
    ck_assert_ok(kpi_ratio_merge(a, a));
    ck_assert_near(kpi_ratio_denominator(a), 2 * kpi_ratio_denominator(all), 0);
    ck_assert_uint_eq(kpi_ratio_count(a), 2000);
    kpi_ratio_free(a);
    kpi_ratio_free(b);
    kpi_ratio_free(all);
}
END_TEST

START_TEST(serialize_round_trips_and_rejects_bad_bytes)
{
    kpi_ratio *p, *d = NULL;
    ck_assert_ok(kpi_ratio_new_with(&p, KPI_RATIO_COST_PER_TICKET, NULL));
    ck_assert_ok(kpi_ratio_add(p, 0.1, 0.3));
    ck_assert_ok(kpi_ratio_add(p, 1e10, 7));
    size_t len;
    unsigned char *b = ratio_bytes(p, &len);
    ck_assert_ok(kpi_ratio_deserialize(&d, b, len));
    ratio_same(p, d);
    ck_assert_uint_eq(kpi_ratio_kind(d), KPI_RATIO_COST_PER_TICKET);
    kpi_ratio_free(d);
    d = NULL;
    for (size_t cut = 0; cut < len; cut++)
        ck_assert_int_lt(kpi_ratio_deserialize(&d, b, cut), 0);
    for (size_t i = 0; i < len; i++) {
        b[i] ^= 0x04;
        ck_assert_int_lt(kpi_ratio_deserialize(&d, b, len), 0);
        b[i] ^= 0x04;
    }
    b[6] = 15; /* the series tag */
    ck_assert_int_lt(kpi_ratio_deserialize(&d, b, len), 0);
    ck_assert_ptr_null(d);
    free(b);
    kpi_ratio_free(p);
}
END_TEST

START_TEST(allocation_failures_leave_nothing_behind)
{
    test_alloc t;
    kpi_allocator al = test_allocator(&t);
    kpi_ratio *p = NULL, *c = NULL;
    t.fail_at = 1;
    ck_assert_status(kpi_ratio_new_with(&p, 1, &al), KPI_ERR_NOMEM);
    ck_assert_int_eq(t.live, 0);
    t.fail_at = 0;
    ck_assert_ok(kpi_ratio_new_with(&p, 1, &al));
    ck_assert_ok(kpi_ratio_add(p, 2, 1));
    t.fail_at = t.calls + 1;
    ck_assert_status(kpi_ratio_clone(p, &c), KPI_ERR_NOMEM);
    t.fail_at = t.calls + 1;
    ck_assert_status(kpi_ratio_merge(p, p), KPI_ERR_NOMEM);
    ck_assert_int_eq(t.live, 1);
    ck_assert_near(kpi_ratio_numerator(p), 2, 0);
    size_t len;
    unsigned char *b = ratio_bytes(p, &len);
    t.fail_at = t.calls + 1;
    ck_assert_status(kpi_ratio_deserialize_with(&c, b, len, &al), KPI_ERR_NOMEM);
    ck_assert_int_eq(t.live, 1);
    t.fail_at = 0;
    ck_assert_ok(kpi_ratio_deserialize_with(&c, b, len, &al));
    ck_assert_int_eq(t.mallocs, 2);
    kpi_ratio_free(c);
    kpi_ratio_free(p);
    ck_assert_int_eq(t.live, 0);
    free(b);
}
END_TEST

START_TEST(null_objects_are_refused)
{
    size_t len;
    ck_assert_status(kpi_ratio_serialize(NULL, NULL, 0, &len), KPI_ERR_INVALID);
    ck_assert_status(kpi_ratio_add(NULL, 1, 2), KPI_ERR_INVALID);
}
END_TEST

START_TEST(a_full_count_refuses_a_pair_and_changes_nothing)
{
    /* ratios of 2^k pairs (k = 0..63) merged: 2^64 - 1 pairs in `full`,
     * the most a count holds, and 2^64 - 2 in `almost` (k >= 1).  One
     * more pair overflows `full` (a bad pair is named first) and changes
     * nothing; `almost` takes it. */
    kpi_ratio *full, *almost, *part, *next, *before;
    ck_assert_ok(kpi_ratio_new(&full));
    ck_assert_ok(kpi_ratio_new(&almost));
    ck_assert_ok(kpi_ratio_new(&part));
    ck_assert_ok(kpi_ratio_add(part, 0.5, 0.25));
    for (int k = 0; k < 64; k++) {
        ck_assert_ok(kpi_ratio_merge(full, part));
        if (k > 0)
            ck_assert_ok(kpi_ratio_merge(almost, part));
        if (k == 63)
            break; /* part holds 2^63 pairs: no doubling left */
        ck_assert_ok(kpi_ratio_clone(part, &next));
        ck_assert_ok(kpi_ratio_merge(next, part));
        kpi_ratio_free(part);
        part = next;
    }
    ck_assert_uint_eq(kpi_ratio_count(full), UINT64_MAX);
    ck_assert_uint_eq(kpi_ratio_count(almost), UINT64_MAX - 1);
    ck_assert_ok(kpi_ratio_clone(full, &before));
    ck_assert_status(kpi_ratio_add(full, 1, 1), KPI_ERR_OVERFLOW);
    ck_assert_status(kpi_ratio_add(full, 0, 0), KPI_ERR_OVERFLOW);
    ck_assert_status(kpi_ratio_add(full, NAN, 1), KPI_ERR_INVALID);
    ck_assert_status(kpi_ratio_add(full, 1, -1), KPI_ERR_RANGE);
    ratio_same(full, before);
    ck_assert_ok(kpi_ratio_add(almost, 1, 1));
    ck_assert_uint_eq(kpi_ratio_count(almost), UINT64_MAX);
    ck_assert_status(kpi_ratio_add(almost, 1, 1), KPI_ERR_OVERFLOW);
    kpi_ratio_free(part);
    kpi_ratio_free(full);
    kpi_ratio_free(almost);
    kpi_ratio_free(before);
}
END_TEST

/* Sums past DBL_MAX: every input is finite, but the numerator (or the
 * denominator) sum would be inf, its compensation NaN, and the value NaN;
 * such a state serialized but did not decode.  The add (alone, in a batch,
 * by a merge) is refused as an overflow and changes nothing. */
START_TEST(sums_past_the_largest_double_are_refused_and_change_nothing)
{
    kpi_ratio *p, *before, *big;
    double v;
    ck_assert_ok(kpi_cost_per_resolution_new(&p));
    ck_assert_ok(kpi_ratio_add(p, 1e308, 1));
    ck_assert_ok(kpi_ratio_add(p, 1, 1.7e308));
    ck_assert_ok(kpi_ratio_clone(p, &before));
    ck_assert_status(kpi_ratio_add(p, 1e308, 1), KPI_ERR_OVERFLOW);
    ck_assert_status(kpi_ratio_add(p, 1, 1.7e308), KPI_ERR_OVERFLOW);
    ratio_same(p, before);
    ck_assert_uint_eq(kpi_ratio_count(p), 2);
    /* a batch whose running sum passes DBL_MAX and comes back below it
     * is refused as a whole too */
    const double nu[3] = {1e308, -1e308, 5}, de[3] = {1, 1, 1};
    ck_assert_status(kpi_ratio_add_array(p, nu, de, 3), KPI_ERR_OVERFLOW);
    ratio_same(p, before);
    ck_assert_ok(kpi_ratio_new_with(&big, KPI_RATIO_COST_PER_RESOLUTION, NULL));
    ck_assert_ok(kpi_ratio_add(big, 1e308, 0));
    ck_assert_status(kpi_ratio_merge(p, big), KPI_ERR_OVERFLOW);
    ck_assert_status(kpi_ratio_merge(p, p), KPI_ERR_OVERFLOW);
    ratio_same(p, before);
    /* what was kept reads and round-trips: (1e308 + 1) / (1 + 1.7e308) */
    ck_assert_ok(kpi_ratio_value(p, &v));
    ck_assert_near(v, 1e308 / 1.7e308, 1e-15);
    kpi_ratio *d = ratio_reread(p);
    ratio_same(d, before);
    kpi_ratio_free(d);
    /* a negative numerator sum may go as far the other way */
    ck_assert_ok(kpi_ratio_add(big, -1e308, 0));
    ck_assert_ok(kpi_ratio_add(big, -1e308, 1));
    ck_assert_status(kpi_ratio_add(big, -1e308, 1), KPI_ERR_OVERFLOW);
    ck_assert_ok(kpi_ratio_value(big, &v));
    ck_assert_near(v, -1e308, 1e293);
    kpi_ratio_free(big);
    kpi_ratio_free(before);
    kpi_ratio_free(p);
}
END_TEST

/* A ratio keeps each sum as two doubles (sum, compensation), the last 32
 * bytes of the body: numerator, its compensation, denominator, its
 * compensation.  Each part finite but the two adding up to +-inf (1e308 +
 * 1e308 > DBL_MAX ~ 1.797e308) is a state no call makes (an add or merge
 * past DBL_MAX is refused): it read a value of inf (numerator: 2e308 / 1)
 * or 0 (denominator: 1 / 2e308), and any merge of it was refused as an
 * overflow.  Such bytes are corrupt; 1e308 + 0 still reads back. */
/* A quotient past DBL_MAX (1e300 / 1e-10 = 1e310) is KPI_ERR_OVERFLOW with
 * the output untouched, not inf with KPI_OK; 1e300 / 1e-8 = 1e308 reads. */
START_TEST(a_quotient_past_the_largest_double_is_overflow)
{
    kpi_ratio *r;
    ck_assert_ok(kpi_ratio_new(&r));
    ck_assert_ok(kpi_ratio_add(r, 1e300, 1e-10));
    double v = 42;
    ck_assert_status(kpi_ratio_value(r, &v), KPI_ERR_OVERFLOW);
    ck_assert(v == 42);
    kpi_ratio_reset(r);
    ck_assert_ok(kpi_ratio_add(r, 1e300, 1e-8));
    ck_assert_ok(kpi_ratio_value(r, &v));
    ck_assert_double_eq_tol(v, 1e308, 1e294);
    kpi_ratio_free(r);
}
END_TEST

START_TEST(sum_parts_adding_to_inf_are_corrupt)
{
    kpi_ratio *p, *d = NULL;
    ck_assert_ok(kpi_cost_per_resolution_new(&p));
    ck_assert_ok(kpi_ratio_add(p, 1, 1));
    size_t len;
    unsigned char *b = ratio_bytes(p, &len);
    const double big = 1e308, one = 1, zero = 0;
    for (int part = 0; part < 4; part += 2) { /* numerator, denominator */
        for (int sign = 1; sign >= -1; sign -= 2) {
            const double x = sign * big;
            if (sign < 0 && part == 2)
                continue; /* a negative denominator is corrupt anyway */
            size_t at = len - 4 - 32 + 8 * (size_t)part;
            test_put_f64(b + at, x);
            test_put_f64(b + at + 8, zero);
            test_reseal(b, len);
            ck_assert_ok(kpi_ratio_deserialize(&d, b, len)); /* +-1e308 */
            kpi_ratio_free(d);
            d = NULL;
            test_put_f64(b + at + 8, x); /* +-2e308 */
            test_reseal(b, len);
            ck_assert_status(kpi_ratio_deserialize(&d, b, len),
                             KPI_ERR_CORRUPT);
            ck_assert_ptr_null(d);
            test_put_f64(b + at, one);
            test_put_f64(b + at + 8, zero);
        }
    }
    test_reseal(b, len);
    ck_assert_ok(kpi_ratio_deserialize(&d, b, len));
    ratio_same(d, p);
    kpi_ratio_free(d);
    free(b);
    kpi_ratio_free(p);
}
END_TEST

/* ---- documented errors (rev-retval) ---- */

TEST_STATE_ERRORS_HELPER(ratio, kpi_ratio, kpi_ratio_serialize, kpi_ratio_deserialize,
                         kpi_ratio_deserialize_with, kpi_ratio_free)

START_TEST(documented_errors_of_the_state_verbs)
{
    kpi_ratio *p;
    ck_assert_ok(kpi_ratio_new(&p));
    ck_assert_ok(kpi_ratio_add(p, 12.5, 3));
    ratio_state_errors(p);
    kpi_ratio_free(p);
}
END_TEST

START_TEST(documented_errors_of_the_presets)
{
    ck_assert_status(kpi_cost_per_ticket_new(NULL), KPI_ERR_INVALID);
    ck_assert_status(kpi_cost_per_resolution_new(NULL), KPI_ERR_INVALID);
    ck_assert_status(kpi_cost_to_revenue_new(NULL), KPI_ERR_INVALID);
    ck_assert_status(kpi_tickets_per_agent_hour_new(NULL), KPI_ERR_INVALID);
}
END_TEST

START_TEST(documented_errors_of_clone)
{
    kpi_ratio *p, *c = NULL;
    ck_assert_ok(kpi_ratio_new(&p));
    ck_assert_ok(kpi_ratio_add(p, 3, 4));
    size_t len;
    unsigned char *before = ratio_bytes(p, &len);
    ck_assert_status(kpi_ratio_clone(NULL, &c), KPI_ERR_INVALID);
    ck_assert_status(kpi_ratio_clone(p, NULL), KPI_ERR_INVALID);
    ck_assert_ptr_null(c);
    ratio_unchanged(p, before, len);
    free(before);
    kpi_ratio_free(p);
}
END_TEST

static Suite *ratio_suite(void)
{
    Suite *s = suite_create("ratio");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, null_objects_are_refused);
    tcase_add_test(tc, cost_per_resolution_is_cost_over_resolved);
    tcase_add_test(tc, named_kinds_compute_their_documented_formulas);
    tcase_add_test(tc, compensated_sums_do_not_drift);
    tcase_add_test(tc, errors_name_their_code_and_change_nothing);
    tcase_add_test(tc, merge_equals_one_stream);
    tcase_add_test(tc, serialize_round_trips_and_rejects_bad_bytes);
    tcase_add_test(tc, allocation_failures_leave_nothing_behind);
    tcase_add_test(tc, a_full_count_refuses_a_pair_and_changes_nothing);
    tcase_add_test(tc, sums_past_the_largest_double_are_refused_and_change_nothing);
    tcase_add_test(tc, sum_parts_adding_to_inf_are_corrupt);
    tcase_add_test(tc, a_quotient_past_the_largest_double_is_overflow);
    /* ---- documented errors (rev-retval) ---- */
    tcase_add_test(tc, documented_errors_of_the_state_verbs);
    tcase_add_test(tc, documented_errors_of_the_presets);
    tcase_add_test(tc, documented_errors_of_clone);
    suite_add_tcase(s, tc);
    return s;
}

KPI_TEST_MAIN(ratio_suite)
