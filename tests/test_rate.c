/*
 * kpi_rate: yes/no outcomes (FCR, PEC, adherence, any share).
 * SPDX-License-Identifier: MIT
 */
#include "kpi.h"
#include "testutil.h"

TEST_STATE_HELPERS(rate, kpi_rate, kpi_rate_serialize)

START_TEST(share_is_wilson_as_published_by_newcombe)
{
    kpi_rate *r;
    kpi_estimate e;
    ck_assert_ok(kpi_rate_new(&r));
    ck_assert_ok(kpi_rate_add_counts(r, 81, 263));
    ck_assert_ok(kpi_rate_share(r, &e));
    ck_assert_near(e.value, 81.0 / 263, 1e-12);
    ck_assert_near(e.lower, 0.2553, 5e-5);
    ck_assert_near(e.upper, 0.3662, 5e-5);
    ck_assert_uint_eq(e.n, 263);
    kpi_rate_reset(r);
    for (int i = 0; i < 148; i++)
        ck_assert_ok(kpi_rate_add(r, i < 15));
    ck_assert_ok(kpi_rate_share(r, &e));
    ck_assert_near(e.lower, 0.0624, 5e-5);
    ck_assert_near(e.upper, 0.1605, 5e-5);
    ck_assert_uint_eq(kpi_rate_successes(r), 15);
    ck_assert_uint_eq(kpi_rate_trials(r), 148);
    kpi_rate_free(r);
}
END_TEST

START_TEST(bad_outcomes_are_rejected_and_change_nothing)
{
    kpi_rate *r;
    kpi_estimate e;
    ck_assert_ok(kpi_rate_new(&r));
    ck_assert_status(kpi_rate_share(r, &e), KPI_ERR_EMPTY);
    ck_assert_ok(kpi_rate_add(r, 1));
    size_t len;
    unsigned char *before = rate_bytes(r, &len);
    ck_assert_status(kpi_rate_add(r, 2), KPI_ERR_RANGE);
    ck_assert_status(kpi_rate_add(r, -1), KPI_ERR_RANGE);
    ck_assert_status(kpi_rate_add_counts(r, 3, 2), KPI_ERR_RANGE);
    ck_assert_status(kpi_rate_add_counts(r, 0, UINT64_MAX), KPI_ERR_OVERFLOW);
    uint8_t v[100000];
    memset(v, 1, sizeof v);
    v[99999] = 2;
    ck_assert_status(kpi_rate_add_array(r, v, sizeof v), KPI_ERR_RANGE);
    v[99999] = 0;
    v[0] = 255;
    ck_assert_status(kpi_rate_add_array(r, v, sizeof v), KPI_ERR_RANGE);
    ck_assert_status(kpi_rate_add_array(r, NULL, 1), KPI_ERR_INVALID);
    ck_assert_status(kpi_rate_add(NULL, 1), KPI_ERR_INVALID);
    ck_assert_status(kpi_rate_share(r, NULL), KPI_ERR_INVALID);
    rate_unchanged(r, before, len);
    ck_assert_ok(kpi_rate_add_counts(r, 0, UINT64_MAX - 1));
    ck_assert_status(kpi_rate_add(r, 0), KPI_ERR_OVERFLOW);
    ck_assert_status(kpi_rate_add_array(r, v, 1), KPI_ERR_OVERFLOW);
    ck_assert_status(kpi_rate_merge(r, r), KPI_ERR_OVERFLOW);
    ck_assert(kpi_rate_trials(r) == UINT64_MAX);
    free(before);
    kpi_rate_free(r);
    kpi_rate_free(NULL);
    kpi_rate_reset(NULL);
    ck_assert_uint_eq(kpi_rate_trials(NULL), 0);
}
END_TEST

START_TEST(batch_equals_one_by_one_and_merge_equals_one_stream)
{
    test_rng g = {9};
    uint8_t *v = malloc(200000);
    for (int round = 0; round < 10; round++) {
        kpi_rate *a, *b, *all, *batch;
        ck_assert_ok(kpi_rate_new(&a));
        ck_assert_ok(kpi_rate_new(&b));
        ck_assert_ok(kpi_rate_new(&all));
        ck_assert_ok(kpi_rate_new(&batch));
        size_t n = (size_t)test_range(&g, 0, 200000);
        for (size_t i = 0; i < n; i++) {
            v[i] = (uint8_t)(test_rand(&g) & 1);
            ck_assert_ok(kpi_rate_add(i % 3 ? a : b, v[i]));
            ck_assert_ok(kpi_rate_add(all, v[i]));
        }
        ck_assert_ok(kpi_rate_add_array(batch, v, n));
        ck_assert_ok(kpi_rate_merge(a, b));
        ck_assert(kpi_rate_successes(a) == kpi_rate_successes(all));
        ck_assert(kpi_rate_trials(a) == kpi_rate_trials(all));
        ck_assert(kpi_rate_successes(batch) == kpi_rate_successes(all));
        ck_assert(kpi_rate_trials(batch) == n);
        kpi_rate_free(a);
        kpi_rate_free(b);
        kpi_rate_free(all);
        kpi_rate_free(batch);
    }
    free(v);
}
END_TEST

START_TEST(serialize_round_trip_and_corrupt_bytes)
{
    kpi_rate *r, *t = NULL;
    ck_assert_ok(kpi_rate_new(&r));
    ck_assert_ok(kpi_rate_add_counts(r, 12345, 99999));
    size_t len, len2;
    unsigned char *b = rate_bytes(r, &len);
    ck_assert_ok(kpi_rate_deserialize(&t, b, len));
    unsigned char *b2 = rate_bytes(t, &len2);
    ck_assert_uint_eq(len, len2);
    ck_assert(memcmp(b, b2, len) == 0);
    kpi_rate_free(t);
    t = NULL;
    for (size_t n = 0; n < len; n++)
        ck_assert(kpi_rate_deserialize(&t, b, n) != KPI_OK);
    for (size_t i = 0; i < len; i++)
        for (int bit = 0; bit < 8; bit++) {
            b[i] ^= (unsigned char)(1u << bit);
            ck_assert(kpi_rate_deserialize(&t, b, len) != KPI_OK);
            b[i] ^= (unsigned char)(1u << bit);
        }
    ck_assert(t == NULL);
    kpi_score *s;
    ck_assert_ok(kpi_nps_new(&s));
    unsigned char sb[128];
    size_t sl;
    ck_assert_ok(kpi_score_serialize(s, sb, sizeof sb, &sl));
    ck_assert_status(kpi_rate_deserialize(&t, sb, sl), KPI_ERR_TYPE);
    kpi_score_free(s);
    free(b);
    free(b2);
    kpi_rate_free(r);
}
END_TEST

START_TEST(allocation_failures_and_allocator_use)
{
    test_alloc t;
    kpi_allocator a = test_allocator(&t);
    kpi_rate *r = NULL, *c = NULL;
    t.fail_at = 1;
    ck_assert_status(kpi_rate_new_with(&r, &a), KPI_ERR_NOMEM);
    ck_assert_int_eq(t.live, 0);
    t.fail_at = 0;
    ck_assert_ok(kpi_rate_new_with(&r, &a));
    ck_assert_int_eq(t.mallocs, 1);
    ck_assert_ok(kpi_rate_add(r, 1));
    size_t len;
    unsigned char *before = rate_bytes(r, &len);
    t.calls = 0;
    t.fail_at = 1;
    ck_assert_status(kpi_rate_merge(r, r), KPI_ERR_NOMEM);
    t.calls = 0;
    ck_assert_status(kpi_rate_clone(r, &c), KPI_ERR_NOMEM);
    t.calls = 0;
    ck_assert_status(kpi_rate_deserialize_with(&c, before, len, &a), KPI_ERR_NOMEM);
    ck_assert_int_eq(t.live, 1);
    rate_unchanged(r, before, len);
    t.fail_at = 0;
    ck_assert_ok(kpi_rate_clone(r, &c));
    ck_assert_uint_eq(kpi_rate_footprint(c), kpi_rate_footprint(r));
    kpi_rate_free(c);
    kpi_rate_free(r);
    ck_assert_int_eq(t.live, 0);
    free(before);
}
END_TEST

START_TEST(null_objects_are_refused)
{
    size_t len;
    ck_assert_status(kpi_rate_add_counts(NULL, 1, 2), KPI_ERR_INVALID);
    ck_assert_status(kpi_rate_serialize(NULL, NULL, 0, &len), KPI_ERR_INVALID);
    ck_assert_status(kpi_rate_new(NULL), KPI_ERR_INVALID);
    ck_assert_status(kpi_rate_new_with(NULL, NULL), KPI_ERR_INVALID);
}
END_TEST

/* ---- documented errors (rev-retval) ---- */

TEST_STATE_ERRORS_HELPER(rate, kpi_rate, kpi_rate_serialize, kpi_rate_deserialize,
                         kpi_rate_deserialize_with, kpi_rate_free)

START_TEST(documented_errors_of_the_state_verbs)
{
    kpi_rate *r, *c = NULL;
    ck_assert_ok(kpi_rate_new(&r));
    ck_assert_ok(kpi_rate_add_counts(r, 3, 7));
    rate_state_errors(r);
    size_t len;
    unsigned char *before = rate_bytes(r, &len);
    ck_assert_status(kpi_rate_clone(NULL, &c), KPI_ERR_INVALID);
    ck_assert_status(kpi_rate_clone(r, NULL), KPI_ERR_INVALID);
    ck_assert_ptr_null(c);
    rate_unchanged(r, before, len);
    free(before);
    kpi_rate_free(r);
}
END_TEST

START_TEST(documented_errors_of_merge)
{
    kpi_rate *r;
    ck_assert_ok(kpi_rate_new(&r));
    ck_assert_ok(kpi_rate_add_counts(r, 1, 2));
    size_t len;
    unsigned char *before = rate_bytes(r, &len);
    ck_assert_status(kpi_rate_merge(r, NULL), KPI_ERR_INVALID);
    ck_assert_status(kpi_rate_merge(NULL, r), KPI_ERR_INVALID);
    rate_unchanged(r, before, len);
    free(before);
    kpi_rate_free(r);
}
END_TEST

static Suite *rate_suite(void)
{
    Suite *s = suite_create("rate");
    TCase *tc = tcase_create("rate");
    tcase_add_test(tc, null_objects_are_refused);
    tcase_add_test(tc, share_is_wilson_as_published_by_newcombe);
    tcase_add_test(tc, bad_outcomes_are_rejected_and_change_nothing);
    tcase_add_test(tc, batch_equals_one_by_one_and_merge_equals_one_stream);
    tcase_add_test(tc, serialize_round_trip_and_corrupt_bytes);
    tcase_add_test(tc, allocation_failures_and_allocator_use);
    /* ---- documented errors (rev-retval) ---- */
    tcase_add_test(tc, documented_errors_of_the_state_verbs);
    tcase_add_test(tc, documented_errors_of_merge);
    suite_add_tcase(s, tc);
    return s;
}

KPI_TEST_MAIN(rate_suite)
