/*
 * The common API: status codes and texts, version, Wilson interval.
 * SPDX-License-Identifier: MIT
 */
#include "config.h"

#include <limits.h>

#include "kpi.h"
#include "testutil.h"

START_TEST(every_status_code_has_a_distinct_text_and_name)
{
    const int codes[] = {
        KPI_OK,          KPI_ERR_INVALID,   KPI_ERR_RANGE,
        KPI_ERR_NOMEM,   KPI_ERR_EMPTY,     KPI_ERR_INCOMPATIBLE,
        KPI_ERR_CORRUPT, KPI_ERR_VERSION,   KPI_ERR_BUFFER,
        KPI_ERR_ORDER,   KPI_ERR_UNKNOWN_ID, KPI_ERR_DUPLICATE,
        KPI_ERR_TRUNCATED, KPI_ERR_TYPE,    KPI_ERR_STATE,
        KPI_ERR_LIMIT,   KPI_ERR_OVERFLOW,
    };
    const size_t n = sizeof codes / sizeof codes[0];
    ck_assert_int_eq((int)n, 1 - KPI_ERR_LAST);
    for (size_t i = 0; i < n; i++) {
        const char *text = kpi_strerror(codes[i]);
        const char *name = kpi_status_name(codes[i]);
        ck_assert_ptr_nonnull(text);
        ck_assert_ptr_nonnull(name);
        ck_assert_str_ne(text, "unknown libkpi status");
        ck_assert_str_ne(name, "KPI_ERR_UNKNOWN");
        for (size_t j = 0; j < i; j++) {
            ck_assert_str_ne(text, kpi_strerror(codes[j]));
            ck_assert_str_ne(name, kpi_status_name(codes[j]));
        }
    }
}
END_TEST

START_TEST(status_names_match_the_macros)
{
    ck_assert_str_eq(kpi_status_name(KPI_OK), "KPI_OK");
    ck_assert_str_eq(kpi_status_name(KPI_ERR_INVALID), "KPI_ERR_INVALID");
    ck_assert_str_eq(kpi_status_name(KPI_ERR_CORRUPT), "KPI_ERR_CORRUPT");
    ck_assert_str_eq(kpi_status_name(KPI_ERR_OVERFLOW), "KPI_ERR_OVERFLOW");
    ck_assert_str_eq(kpi_strerror(KPI_ERR_NOMEM), "out of memory");
    ck_assert_str_eq(kpi_strerror(KPI_ERR_EMPTY), "no data yet");
    /* KPI_ERR_TYPE also answers a typed engine read or setting given a
     * metric of another type (kpi_engine_add_target() on a rate): its text
     * must not speak of state bytes alone */
    ck_assert_ptr_nonnull(strstr(kpi_strerror(KPI_ERR_TYPE), "metric"));
    ck_assert_ptr_nonnull(strstr(kpi_strerror(KPI_ERR_TYPE), "state bytes"));
}
END_TEST

START_TEST(unknown_status_codes_get_a_fallback_text)
{
    ck_assert_str_eq(kpi_strerror(1), "unknown libkpi status");
    ck_assert_str_eq(kpi_strerror(KPI_ERR_LAST - 1), "unknown libkpi status");
    ck_assert_str_eq(kpi_strerror(-100000), "unknown libkpi status");
    ck_assert_str_eq(kpi_status_name(42), "KPI_ERR_UNKNOWN");
    ck_assert_int_eq(kpi_status_last(), KPI_ERR_LAST);
}
END_TEST

/* Codes are append-only: each keeps the number it had in 1.0, and every
 * code's symbolic name is the name of its macro. */
START_TEST(status_codes_keep_their_numbers_and_names)
{
#define CODE(m, v) {m, v, #m}
    static const struct {
        int code, want;
        const char *name;
    } t[] = {
        CODE(KPI_OK, 0),           CODE(KPI_ERR_INVALID, -1),    CODE(KPI_ERR_RANGE, -2),
        CODE(KPI_ERR_NOMEM, -3),   CODE(KPI_ERR_EMPTY, -4),      CODE(KPI_ERR_INCOMPATIBLE, -5),
        CODE(KPI_ERR_CORRUPT, -6), CODE(KPI_ERR_VERSION, -7),    CODE(KPI_ERR_BUFFER, -8),
        CODE(KPI_ERR_ORDER, -9),   CODE(KPI_ERR_UNKNOWN_ID, -10), CODE(KPI_ERR_DUPLICATE, -11),
        CODE(KPI_ERR_TRUNCATED, -12), CODE(KPI_ERR_TYPE, -13),   CODE(KPI_ERR_STATE, -14),
        CODE(KPI_ERR_LIMIT, -15),  CODE(KPI_ERR_OVERFLOW, -16),
    };
#undef CODE
    for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
        ck_assert_int_eq(t[i].code, t[i].want);
        ck_assert_str_eq(kpi_status_name(t[i].code), t[i].name);
        const char *text = kpi_strerror(t[i].code);
        ck_assert_ptr_nonnull(text);
        ck_assert_uint_gt(strlen(text), 0);
    }
    ck_assert_int_le(KPI_ERR_LAST, KPI_ERR_OVERFLOW);
    ck_assert_str_eq(kpi_strerror(KPI_ERR_CORRUPT),
                     "not a valid libkpi state (foreign or corrupt bytes)");
}
END_TEST

/* Any int at all gets a text and a name, never NULL, never a crash: the
 * extremes of int included. */
START_TEST(every_int_gets_a_text)
{
    const int odd[] = {INT_MIN, INT_MIN + 1, -17, -1000, 2, INT_MAX};
    for (size_t i = 0; i < sizeof odd / sizeof odd[0]; i++) {
        ck_assert_str_eq(kpi_strerror(odd[i]), "unknown libkpi status");
        ck_assert_str_eq(kpi_status_name(odd[i]), "KPI_ERR_UNKNOWN");
    }
}
END_TEST

/* README.md, "Using it": the snippet, line for line, with its comments'
 * promises checked.  Answers 10, 9, 7, 0, 10: 3 promoters, 1 detractor,
 * NPS = 100 (3 - 1) / 5 = 40; the adjusted-Wald interval: n' = 8, p' =
 * 3.75 / 8, d' = 1.75 / 8, centre 0.25, margin 1.96 sqrt((0.6875 - 0.0625)
 * / 8) = 0.5478, so lower = -29.78 and upper = 79.78. */
START_TEST(the_readme_snippet_does_what_it_says)
{
    const int32_t answers[] = {10, 9, 7, 0, 10};
    size_t n = 5;
    kpi_score *nps;
    kpi_estimate e;
    ck_assert_ok(kpi_nps_new(&nps));
    ck_assert_status(kpi_score_nps(nps, &e), KPI_ERR_EMPTY); /* before the first answer */
    const int32_t with_11[] = {10, 11, 0};
    ck_assert_status(kpi_score_add_array(nps, with_11, 3), KPI_ERR_RANGE);
    ck_assert_uint_eq(kpi_score_count(nps), 0); /* one 11 rejects the batch */
    ck_assert_ok(kpi_score_add_array(nps, answers, n));
    ck_assert_ok(kpi_score_nps(nps, &e));
    char line[80];
    snprintf(line, sizeof line, "NPS %+.1f (95%% CI %+.1f .. %+.1f, n = %llu)", e.value,
             e.lower, e.upper, (unsigned long long)e.n);
    ck_assert_str_eq(line, "NPS +40.0 (95% CI -29.8 .. +79.8, n = 5)");
    ck_assert_near(e.value, 40.0, 1e-12);
    ck_assert_near(e.lower, 25.0 - 195.9963984540054 * sqrt(0.078125), 1e-9);
    ck_assert_near(e.upper, 25.0 + 195.9963984540054 * sqrt(0.078125), 1e-9);
    kpi_score_free(nps);
}
END_TEST

START_TEST(version_macros_equal_runtime_values)
{
    char want[32];
    ck_assert_uint_eq(kpi_version_number(), KPI_VERSION_NUMBER);
    ck_assert_uint_eq(KPI_VERSION_NUMBER, KPI_VERSION_MAJOR * 10000 +
                                              KPI_VERSION_MINOR * 100 +
                                              KPI_VERSION_PATCH);
    snprintf(want, sizeof want, "%d.%d.%d", KPI_VERSION_MAJOR,
             KPI_VERSION_MINOR, KPI_VERSION_PATCH);
    ck_assert_str_eq(kpi_version_string(), want);
    /* configure reads the same header: the tarball's version agrees */
    ck_assert_str_eq(kpi_version_string(), PACKAGE_VERSION);
}
END_TEST

/* Published Wilson 95% intervals: R. G. Newcombe, "Two-sided confidence
 * intervals for the single proportion: comparison of seven methods",
 * Statistics in Medicine 17 (1998), Table II, method 3 (score). */
START_TEST(wilson_interval_matches_published_values)
{
    static const struct {
        uint64_t s, n;
        double lo, hi;
    } cases[] = {
        {81, 263, 0.2553, 0.3662},
        {15, 148, 0.0624, 0.1605},
        {0, 20, 0.0000, 0.1611},
        {1, 29, 0.0061, 0.1718},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        kpi_estimate e;
        ck_assert_ok(kpi_wilson_interval(cases[i].s, cases[i].n, &e));
        ck_assert_near(e.value, (double)cases[i].s / (double)cases[i].n, 1e-15);
        ck_assert_near(e.lower, cases[i].lo, 0.00005);
        ck_assert_near(e.upper, cases[i].hi, 0.00005);
        ck_assert_uint_eq(e.n, cases[i].n);
    }
}
END_TEST

START_TEST(wilson_interval_is_exact_at_the_extremes)
{
    kpi_estimate e;
    ck_assert_ok(kpi_wilson_interval(7, 7, &e));
    ck_assert(e.value == 1.0 && e.upper == 1.0);
    ck_assert(e.lower > 0.6 && e.lower < 0.7); /* 0.6457 */
    ck_assert_ok(kpi_wilson_interval(0, 1, &e));
    ck_assert(e.value == 0.0 && e.lower == 0.0);
    ck_assert_near(e.upper, 0.7934, 0.0001);
    ck_assert_ok(kpi_wilson_interval(UINT64_C(1) << 62, UINT64_C(1) << 63, &e));
    ck_assert_near(e.value, 0.5, 1e-12);
    ck_assert(e.lower <= 0.5 && e.upper >= 0.5);
    /* shares that round to 0 or 1 with counts of 2^53 and beyond: the
     * interval still holds the share (found by fuzz_rate) */
    static const uint64_t big[][2] = {
        {UINT64_C(23080948090273790), UINT64_C(23080948090273791)}, /* fuzz_rate's */
        {UINT64_MAX - 1, UINT64_MAX}, {UINT64_MAX - 12345, UINT64_MAX},
        {1, UINT64_MAX}, {(UINT64_C(1) << 53) + 1, (UINT64_C(1) << 53) + 2},
        {UINT64_C(1) << 62, (UINT64_C(1) << 62) + 1}};
    for (size_t i = 0; i < sizeof big / sizeof big[0]; i++) {
        ck_assert_ok(kpi_wilson_interval(big[i][0], big[i][1], &e));
        ck_assert_msg(e.lower <= e.value && e.value <= e.upper && e.lower >= 0.0 &&
                          e.upper <= 1.0,
                      "case %zu: %.17g <= %.17g <= %.17g", i, e.lower, e.value, e.upper);
    }
}
END_TEST

START_TEST(wilson_interval_rejects_bad_input)
{
    kpi_estimate e = {1, 2, 3, 4};
    ck_assert_status(kpi_wilson_interval(1, 0, &e), KPI_ERR_EMPTY);
    ck_assert_status(kpi_wilson_interval(0, 0, &e), KPI_ERR_EMPTY);
    ck_assert_status(kpi_wilson_interval(3, 2, &e), KPI_ERR_RANGE);
    ck_assert_status(kpi_wilson_interval(1, 2, NULL), KPI_ERR_INVALID);
    /* a failed call writes nothing */
    ck_assert(e.value == 1 && e.lower == 2 && e.upper == 3 && e.n == 4);
}
END_TEST

START_TEST(time_unit_constants_are_consistent)
{
    ck_assert_int_eq(KPI_MS_PER_MINUTE, 60 * KPI_MS_PER_SECOND);
    ck_assert_int_eq(KPI_MS_PER_HOUR, 60 * KPI_MS_PER_MINUTE);
    ck_assert_int_eq(KPI_MS_PER_DAY, 24 * KPI_MS_PER_HOUR);
    ck_assert_uint_eq(sizeof(kpi_time_ms), 8);
    ck_assert_uint_eq(sizeof(kpi_duration_ms), 8);
}
END_TEST

START_TEST(public_struct_layouts_are_frozen)
{
    /* kpi_estimate and kpi_allocator are part of the 1.x ABI */
    ck_assert_uint_eq(sizeof(kpi_estimate), 3 * sizeof(double) + 8);
    ck_assert_uint_eq(offsetof(kpi_estimate, value), 0);
    ck_assert_uint_eq(offsetof(kpi_estimate, lower), 8);
    ck_assert_uint_eq(offsetof(kpi_estimate, upper), 16);
    ck_assert_uint_eq(offsetof(kpi_estimate, n), 24);
    ck_assert_uint_eq(sizeof(kpi_allocator), 4 * sizeof(void *));
    ck_assert_uint_eq(offsetof(kpi_allocator, opaque), 3 * sizeof(void *));
}
END_TEST

static Suite *common_suite(void)
{
    Suite *s = suite_create("common");
    TCase *tc = tcase_create("status");
    tcase_add_test(tc, every_status_code_has_a_distinct_text_and_name);
    tcase_add_test(tc, status_names_match_the_macros);
    tcase_add_test(tc, unknown_status_codes_get_a_fallback_text);
    tcase_add_test(tc, status_codes_keep_their_numbers_and_names);
    tcase_add_test(tc, every_int_gets_a_text);
    tcase_add_test(tc, the_readme_snippet_does_what_it_says);
    suite_add_tcase(s, tc);
    tc = tcase_create("version");
    tcase_add_test(tc, version_macros_equal_runtime_values);
    suite_add_tcase(s, tc);
    tc = tcase_create("wilson");
    tcase_add_test(tc, wilson_interval_matches_published_values);
    tcase_add_test(tc, wilson_interval_is_exact_at_the_extremes);
    tcase_add_test(tc, wilson_interval_rejects_bad_input);
    suite_add_tcase(s, tc);
    tc = tcase_create("abi");
    tcase_add_test(tc, time_unit_constants_are_consistent);
    tcase_add_test(tc, public_struct_layouts_are_frozen);
    suite_add_tcase(s, tc);
    return s;
}

KPI_TEST_MAIN(common_suite)
