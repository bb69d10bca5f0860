/*
 * SLA policies: targets in calendar and business time, pauses, breaches,
 * errors, allocation failures and serialization.
 * SPDX-License-Identifier: MIT
 */
#include <limits.h>

#include "kpi/sla.h"
#include "testutil.h"
#include "tzref.h"

#define H KPI_MS_PER_HOUR
#define M KPI_MS_PER_MINUTE
#define D KPI_MS_PER_DAY

/* 2026-01-05 (a Monday) 00:00Z, and instants relative to it. */
#define MON INT64_C(1767571200000)

static kpi_calendar *office(const kpi_allocator *a)
{
    kpi_calendar *c = NULL;
    ck_assert_ok(kpi_calendar_new_with(&c, "UTC0", a));
    for (int d = 1; d <= 5; d++)
        ck_assert_ok(kpi_calendar_add_hours(c, d, 9 * 60, 17 * 60));
    ck_assert_ok(kpi_calendar_add_holiday(c, 2026, 1, 12)); /* next Monday */
    return c;
}

static kpi_sla_policy *policy(const kpi_allocator *a)
{
    kpi_calendar *c = office(a);
    kpi_sla_policy *p = NULL;
    ck_assert_ok(kpi_sla_policy_new_with(&p, c, a));
    kpi_calendar_free(c);
    ck_assert_ok(kpi_sla_policy_set_target(p, 0, KPI_SLA_FIRST_RESPONSE, 4 * H, 1));
    ck_assert_ok(kpi_sla_policy_set_target(p, 0, KPI_SLA_RESOLUTION, 16 * H, 1));
    ck_assert_ok(kpi_sla_policy_set_target(p, 1, KPI_SLA_FIRST_RESPONSE, 1 * H, 0));
    ck_assert_ok(kpi_sla_policy_set_target(p, 7, KPI_SLA_NEXT_RESPONSE, 30 * M, 0));
    return p;
}

TEST_STATE_HELPERS(sla, kpi_sla_policy, kpi_sla_policy_serialize)

START_TEST(business_time_breach_across_a_weekend_and_a_holiday)
{
    kpi_sla_policy *p = policy(NULL);
    int64_t start = MON + 4 * D + 15 * H; /* Friday 15:00 */
    int64_t due;
    /* 16 business hours: Fri 2 h, (weekend), Mon holiday, Tue 8 h, Wed 6 h */
    ck_assert_ok(kpi_sla_policy_due(p, 0, KPI_SLA_RESOLUTION, start, 0, &due));
    ck_assert_int_eq(due, MON + 9 * D + 15 * H);
    int met;
    ck_assert_ok(kpi_sla_policy_met(p, 0, KPI_SLA_RESOLUTION, start, due, 0, &met));
    ck_assert_int_eq(met, 1); /* exactly at the due instant: met */
    ck_assert_ok(kpi_sla_policy_met(p, 0, KPI_SLA_RESOLUTION, start, due + 1, 0, &met));
    ck_assert_int_eq(met, 0);
    /* resolved on Monday (holiday) evening: only 2 business hours used */
    int64_t rem;
    ck_assert_ok(kpi_sla_policy_remaining(p, 0, KPI_SLA_RESOLUTION, start,
                                          MON + 7 * D + 20 * H, 0, &rem));
    ck_assert_int_eq(rem, 14 * H);
    ck_assert_ok(kpi_sla_policy_remaining(p, 0, KPI_SLA_RESOLUTION, start,
                                          MON + 9 * D + 16 * H, 0, &rem));
    ck_assert_int_eq(rem, -1 * H); /* negative after the breach */
    kpi_sla_policy_free(p);
}
END_TEST

START_TEST(pauses_extend_the_due_time_in_the_metric_time_base)
{
    kpi_sla_policy *p = policy(NULL);
    int64_t start = MON + 9 * H, due;
    ck_assert_ok(kpi_sla_policy_due(p, 0, KPI_SLA_FIRST_RESPONSE, start, 0, &due));
    ck_assert_int_eq(due, MON + 13 * H);
    ck_assert_ok(kpi_sla_policy_due(p, 0, KPI_SLA_FIRST_RESPONSE, start, 6 * H, &due));
    ck_assert_int_eq(due, MON + D + 11 * H); /* 10 business h: Tue 11:00 */
    /* calendar-time target: plain addition */
    ck_assert_ok(kpi_sla_policy_due(p, 1, KPI_SLA_FIRST_RESPONSE, start, 0, &due));
    ck_assert_int_eq(due, start + H);
    ck_assert_ok(kpi_sla_policy_due(p, 1, KPI_SLA_FIRST_RESPONSE, start, 2 * H, &due));
    ck_assert_int_eq(due, start + 3 * H);
    int met;
    ck_assert_ok(kpi_sla_policy_met(p, 1, KPI_SLA_FIRST_RESPONSE, start,
                                    start + 3 * H, 2 * H, &met));
    ck_assert_int_eq(met, 1);
    ck_assert_ok(kpi_sla_policy_met(p, 1, KPI_SLA_FIRST_RESPONSE, start,
                                    start + 3 * H, 0, &met));
    ck_assert_int_eq(met, 0);
    int64_t rem;
    ck_assert_ok(kpi_sla_policy_remaining(p, 7, KPI_SLA_NEXT_RESPONSE, start,
                                          start + 40 * M, 5 * M, &rem));
    ck_assert_int_eq(rem, -5 * M);
    int64_t tgt;
    int bus;
    ck_assert_ok(kpi_sla_policy_target(p, 0, KPI_SLA_RESOLUTION, &tgt, &bus));
    ck_assert(tgt == 16 * H && bus == 1);
    kpi_sla_policy_free(p);
}
END_TEST

START_TEST(errors_are_named_and_change_nothing)
{
    kpi_sla_policy *p = policy(NULL), *q = NULL;
    size_t len;
    unsigned char *b = sla_bytes(p, &len);
    int64_t v = 5;
    int met = 5;
    ck_assert_status(kpi_sla_policy_set_target(p, 8, 0, H, 0), KPI_ERR_RANGE);
    ck_assert_status(kpi_sla_policy_set_target(p, 0, 3, H, 0), KPI_ERR_INVALID);
    ck_assert_status(kpi_sla_policy_set_target(p, 0, -1, H, 0), KPI_ERR_INVALID);
    ck_assert_status(kpi_sla_policy_set_target(p, 0, 0, -1, 0), KPI_ERR_RANGE);
    /* a flag other than 0 or 1: out of its range, as kpi_rate_add()'s */
    ck_assert_status(kpi_sla_policy_set_target(p, 0, 0, H, 2), KPI_ERR_RANGE);
    ck_assert_status(kpi_sla_policy_set_target(p, 0, 0, H, -1), KPI_ERR_RANGE);
    /* an unknown metric first: a selector */
    ck_assert_status(kpi_sla_policy_set_target(p, 0, 3, H, 2), KPI_ERR_INVALID);
    ck_assert_status(kpi_sla_policy_set_target(NULL, 0, 0, H, 0), KPI_ERR_INVALID);
    ck_assert_status(kpi_sla_policy_due(p, 2, 0, MON, 0, &v), KPI_ERR_UNKNOWN_ID);
    ck_assert_status(kpi_sla_policy_due(p, 9, 0, MON, 0, &v), KPI_ERR_RANGE);
    ck_assert_status(kpi_sla_policy_due(p, 0, 0, MON, -1, &v), KPI_ERR_RANGE);
    ck_assert_status(kpi_sla_policy_due(p, 1, 0, INT64_MAX - 10, 0, &v), KPI_ERR_OVERFLOW);
    ck_assert_status(kpi_sla_policy_due(p, 0, 0, MON, 0, NULL), KPI_ERR_INVALID);
    ck_assert_status(kpi_sla_policy_met(p, 0, 0, MON, MON - 1, 0, &met), KPI_ERR_RANGE);
    ck_assert_status(kpi_sla_policy_met(p, 1, 0, MON, MON + H, 2 * H, &met), KPI_ERR_RANGE);
    ck_assert_status(kpi_sla_policy_met(p, 2, 2, MON, MON + H, 0, &met), KPI_ERR_UNKNOWN_ID);
    ck_assert_status(kpi_sla_policy_met(p, 1, 0, INT64_MIN, INT64_MAX, 0, &met), KPI_ERR_RANGE);
    ck_assert_status(kpi_sla_policy_remaining(p, 0, 0, MON, MON - 1, 0, &v), KPI_ERR_RANGE);
    ck_assert_status(kpi_sla_policy_remaining(NULL, 0, 0, MON, MON, 0, &v), KPI_ERR_INVALID);
    ck_assert(v == 5 && met == 5);
    {
        size_t l2;
        unsigned char *b2 = sla_bytes(p, &l2);
        ck_assert(l2 == len && memcmp(b, b2, len) == 0);
        free(b2);
    }
    /* business targets need a calendar */
    ck_assert_ok(kpi_sla_policy_new(&q, NULL));
    ck_assert_status(kpi_sla_policy_set_target(q, 0, 0, H, 1), KPI_ERR_STATE);
    ck_assert_ok(kpi_sla_policy_set_target(q, 0, 0, H, 0));
    ck_assert_status(kpi_sla_policy_new(NULL, NULL), KPI_ERR_INVALID);
    /* a calendar without hours: never due */
    kpi_calendar *empty;
    ck_assert_ok(kpi_calendar_new(&empty, "UTC0"));
    kpi_sla_policy *e;
    ck_assert_ok(kpi_sla_policy_new(&e, empty));
    ck_assert_ok(kpi_sla_policy_set_target(e, 0, 0, H, 1));
    ck_assert_status(kpi_sla_policy_due(e, 0, 0, MON, 0, &v), KPI_ERR_EMPTY);
    /* a target of 0 with no pause is due at the start, hours or not */
    ck_assert_ok(kpi_sla_policy_set_target(e, 0, 1, 0, 1));
    ck_assert_ok(kpi_sla_policy_due(e, 0, 1, MON, 0, &v));
    ck_assert_int_eq(v, MON);
    ck_assert_status(kpi_sla_policy_due(e, 0, 1, MON, 1, &v), KPI_ERR_EMPTY);
    ck_assert_int_eq(v, MON);
    kpi_sla_policy_free(e);
    kpi_calendar_free(empty);
    kpi_sla_policy_free(q);
    kpi_sla_policy_free(p);
    kpi_sla_policy_free(NULL);
    free(b);
}
END_TEST

START_TEST(serialization_round_trips_and_rejects_bad_bytes)
{
    kpi_sla_policy *p = policy(NULL), *q = NULL;
    size_t len, l2;
    unsigned char *b = sla_bytes(p, &len);
    ck_assert_ok(kpi_sla_policy_deserialize(&q, b, len));
    unsigned char *b2 = sla_bytes(q, &l2);
    ck_assert(l2 == len && memcmp(b, b2, len) == 0);
    int eq;
    ck_assert_ok(kpi_sla_policy_equal(p, q, &eq));
    ck_assert_int_eq(eq, 1);
    int64_t d1, d2;
    ck_assert_ok(kpi_sla_policy_due(p, 0, 2, MON + 4 * D, 0, &d1));
    ck_assert_ok(kpi_sla_policy_due(q, 0, 2, MON + 4 * D, 0, &d2));
    ck_assert_int_eq(d1, d2);
    ck_assert_uint_eq(kpi_sla_policy_footprint(p), kpi_sla_policy_footprint(q));
    ck_assert_ok(kpi_sla_policy_set_target(q, 3, 0, H, 0));
    ck_assert_ok(kpi_sla_policy_equal(p, q, &eq));
    ck_assert_int_eq(eq, 0);
    kpi_sla_policy_free(q);
    q = NULL;
    for (size_t cut = 0; cut < len; cut++) {
        ck_assert_int_lt(kpi_sla_policy_deserialize(&q, b, cut), 0);
        ck_assert_ptr_null(q);
    }
    for (size_t i = 0; i < len; i++)
        for (int bit = 0; bit < 8; bit++) {
            b[i] ^= (unsigned char)(1u << bit);
            ck_assert_int_lt(kpi_sla_policy_deserialize(&q, b, len), 0);
            ck_assert_ptr_null(q);
            b[i] ^= (unsigned char)(1u << bit);
        }
    {
        kpi_calendar *cal = office(NULL);
        unsigned char cb[512];
        size_t cl;
        ck_assert_ok(kpi_calendar_serialize(cal, cb, sizeof cb, &cl));
        ck_assert_status(kpi_sla_policy_deserialize(&q, cb, cl), KPI_ERR_TYPE);
        kpi_calendar_free(cal);
    }
    kpi_sla_policy *c = NULL;
    ck_assert_ok(kpi_sla_policy_clone(p, &c));
    free(b2);
    b2 = sla_bytes(c, &l2);
    ck_assert_uint_eq(l2, len);
    kpi_sla_policy_free(c);
    kpi_sla_policy_free(p);
    free(b);
    free(b2);
}
END_TEST

START_TEST(golden_state_still_reads)
{
    /* tests/data/sla-v1.bin: format version 1; KPI_WRITE_GOLDEN=1
     * rewrites it (only on purpose, with a new format version) */
    kpi_sla_policy *p = policy(NULL), *q = NULL;
    size_t len, glen;
    unsigned char *b = sla_bytes(p, &len);
    test_write_golden("sla-v1.bin", b, len);
    unsigned char *g = test_read_file(test_data_path("sla-v1.bin"), &glen);
    ck_assert_msg(g != NULL, "missing %s", test_data_path("sla-v1.bin"));
    ck_assert_uint_eq(glen, len);
    ck_assert(memcmp(g, b, len) == 0);
    ck_assert_ok(kpi_sla_policy_deserialize(&q, g, glen));
    int64_t due;
    ck_assert_ok(kpi_sla_policy_due(q, 0, KPI_SLA_RESOLUTION, MON + 4 * D + 15 * H, 0, &due));
    ck_assert_int_eq(due, MON + 9 * D + 15 * H);
    kpi_sla_policy_free(p);
    kpi_sla_policy_free(q);
    free(b);
    free(g);
}
END_TEST

START_TEST(allocation_failures_leave_no_trace)
{
    kpi_sla_policy *ref = policy(NULL);
    size_t len;
    unsigned char *b = sla_bytes(ref, &len);
    kpi_calendar *cal = office(NULL);
    for (long n = 1; n <= 12; n++) {
        test_alloc t;
        kpi_allocator a = test_allocator(&t);
        t.fail_at = n;
        kpi_sla_policy *p = NULL;
        int rc = kpi_sla_policy_new_with(&p, cal, &a);
        if (rc == KPI_ERR_NOMEM) {
            ck_assert_ptr_null(p);
            ck_assert_int_eq(t.live, 0);
        } else {
            ck_assert_ok(rc);
            kpi_sla_policy *c = NULL;
            long live = t.live;
            rc = kpi_sla_policy_clone(p, &c);
            if (rc == KPI_ERR_NOMEM)
                ck_assert_int_eq(t.live, live);
            else
                kpi_sla_policy_free(c);
            kpi_sla_policy_free(p);
        }
        ck_assert_int_eq(t.live, 0);
        p = NULL;
        rc = kpi_sla_policy_deserialize_with(&p, b, len, &a);
        if (rc == KPI_ERR_NOMEM)
            ck_assert_ptr_null(p);
        else
            kpi_sla_policy_free(p);
        ck_assert_int_eq(t.live, 0);
    }
    test_alloc t;
    kpi_allocator a = test_allocator(&t);
    kpi_sla_policy *p = policy(&a);
    ck_assert_int_ge(t.mallocs, 3);
    kpi_sla_policy_free(p);
    ck_assert_int_eq(t.live, 0);
    kpi_calendar_free(cal);
    kpi_sla_policy_free(ref);
    free(b);
}
END_TEST

/* Central European time, weekdays 09:00-12:00 and 13:00-17:00, 24
 * December 2026 closed from 12:00. */
static kpi_calendar *split_shifts(void)
{
    kpi_calendar *c = NULL;
    ck_assert_ok(kpi_calendar_new(&c, "CET-1CEST,M3.5.0,M10.5.0/3"));
    for (int d = 1; d <= 5; d++) {
        ck_assert_ok(kpi_calendar_add_hours(c, d, 9 * 60, 12 * 60));
        ck_assert_ok(kpi_calendar_add_hours(c, d, 13 * 60, 17 * 60));
    }
    ck_assert_ok(kpi_calendar_add_closure(c, 2026, 12, 24, 720, 1440));
    return c;
}

/* A policy over c, which it frees. */
static kpi_sla_policy *policy_taking(kpi_calendar *c)
{
    kpi_sla_policy *p = NULL;
    ck_assert_ok(kpi_sla_policy_new(&p, c));
    kpi_calendar_free(c);
    return p;
}

START_TEST(due_is_the_last_instant_that_still_meets_the_target)
{
    kpi_calendar *c = split_shifts();
    ck_assert_ok(kpi_calendar_add_holiday(c, 2026, 3, 30));
    kpi_sla_policy *p;
    ck_assert_ok(kpi_sla_policy_new(&p, c));
    kpi_calendar_free(c); /* the policy holds its own copy */
    test_rng g = {17};
    for (uint32_t pr = 0; pr < KPI_SLA_PRIORITIES; pr++)
        for (int m = 0; m < 3; m++)
            ck_assert_ok(kpi_sla_policy_set_target(p, pr, m, test_range(&g, 0, 40 * H),
                                                   (int)((pr + (uint32_t)m) % 2)));
    for (int i = 0; i < 3000; i++) {
        uint32_t pr = (uint32_t)test_range(&g, 0, 7);
        int m = (int)test_range(&g, 0, 2);
        int64_t start = MON + test_range(&g, 0, 360) * D + test_range(&g, 0, D - 1);
        int64_t paused = test_range(&g, 0, 10 * H), due, rem;
        int met;
        ck_assert_ok(kpi_sla_policy_due(p, pr, m, start, paused, &due));
        ck_assert_ok(kpi_sla_policy_met(p, pr, m, start, due, paused, &met));
        ck_assert_int_eq(met, 1);
        ck_assert_ok(kpi_sla_policy_remaining(p, pr, m, start, due, paused, &rem));
        ck_assert_int_eq(rem, 0);
        ck_assert_ok(kpi_sla_policy_met(p, pr, m, start, due + 1, paused, &met));
        int64_t tgt;
        int bus;
        ck_assert_ok(kpi_sla_policy_target(p, pr, m, &tgt, &bus));
        if (!bus) {
            ck_assert_int_eq(met, 0);
        } else { /* one more ms breaches only when that ms is business time */
            ck_assert_ok(kpi_sla_policy_remaining(p, pr, m, start, due + 1, paused, &rem));
            ck_assert_int_eq(met, rem == 0);
        }
    }
    kpi_sla_policy_free(p);
}
END_TEST

START_TEST(edges_of_the_policy_calls)
{
    kpi_sla_policy *p = policy(NULL);
    size_t len;
    unsigned char *b = sla_bytes(p, &len);
    int64_t v = 5;
    int met = 5, bh = 5;
    /* a calendar argument that is another object */
    kpi_sla_policy *q = NULL;
    ck_assert_status(kpi_sla_policy_new(&q, (const kpi_calendar *)(const void *)p),
                     KPI_ERR_INVALID);
    ck_assert_ptr_null(q);
    /* business time: instants beyond the calendar's range */
    const int64_t far = KPI_CALENDAR_MAX_TIME;
    ck_assert_status(kpi_sla_policy_met(p, 0, KPI_SLA_FIRST_RESPONSE, MON, far + 1, 0, &met),
                     KPI_ERR_RANGE);
    ck_assert_status(kpi_sla_policy_met(p, 0, KPI_SLA_FIRST_RESPONSE, -far - 1, MON, 0, &met),
                     KPI_ERR_RANGE);
    /* NULL outputs */
    ck_assert_status(kpi_sla_policy_target(p, 0, 0, NULL, &bh), KPI_ERR_INVALID);
    ck_assert_status(kpi_sla_policy_target(p, 0, 0, &v, NULL), KPI_ERR_INVALID);
    ck_assert_status(kpi_sla_policy_met(p, 1, 0, MON, MON, 0, NULL), KPI_ERR_INVALID);
    ck_assert_status(kpi_sla_policy_equal(p, p, NULL), KPI_ERR_INVALID);
    ck_assert_status(kpi_sla_policy_equal(NULL, p, &met), KPI_ERR_INVALID);
    ck_assert_status(kpi_sla_policy_serialize(NULL, NULL, 0, &len), KPI_ERR_INVALID);
    ck_assert(v == 5 && met == 5 && bh == 5);
    sla_unchanged(p, b, len);
    free(b);
    kpi_sla_policy_free(p);

    /* a target of INT64_MAX: the pause on top overflows */
    ck_assert_ok(kpi_sla_policy_new(&q, NULL));
    ck_assert_ok(kpi_sla_policy_set_target(q, 1, KPI_SLA_RESOLUTION, INT64_MAX, 0));
    ck_assert_ok(kpi_sla_policy_due(q, 1, KPI_SLA_RESOLUTION, -1, 0, &v));
    ck_assert(v == INT64_MAX - 1);
    ck_assert_status(kpi_sla_policy_due(q, 1, KPI_SLA_RESOLUTION, -1, 1, &v), KPI_ERR_OVERFLOW);
    ck_assert(v == INT64_MAX - 1);
    /* the same targets, with and without a calendar */
    kpi_calendar *c = office(NULL);
    kpi_sla_policy *w = NULL;
    ck_assert_ok(kpi_sla_policy_new(&w, c));
    ck_assert_ok(kpi_sla_policy_set_target(w, 1, KPI_SLA_RESOLUTION, INT64_MAX, 0));
    met = 5;
    ck_assert_ok(kpi_sla_policy_equal(q, w, &met));
    ck_assert_int_eq(met, 0);
    ck_assert_ok(kpi_sla_policy_equal(w, q, &met));
    ck_assert_int_eq(met, 0);
    ck_assert_ok(kpi_sla_policy_equal(q, q, &met));
    ck_assert_int_eq(met, 1);
    kpi_sla_policy_free(w);
    kpi_calendar_free(c);
    kpi_sla_policy_free(q);
}
END_TEST

/* Business time on a spring-forward day: the calendar is open on Sundays
 * only, all day; Sunday 2026-03-08 (US) has 23 hours. */
START_TEST(business_and_calendar_targets_on_a_dst_day)
{
    kpi_calendar *c = NULL;
    ck_assert_ok(kpi_calendar_new(&c, "EST5EDT,M3.2.0,M11.1.0"));
    ck_assert_ok(kpi_calendar_add_hours(c, 0, 0, 1440));
    kpi_sla_policy *p = NULL;
    ck_assert_ok(kpi_sla_policy_new(&p, c));
    kpi_calendar_free(c);
    ck_assert_ok(kpi_sla_policy_set_target(p, 2, KPI_SLA_RESOLUTION, 24 * H, 1));
    ck_assert_ok(kpi_sla_policy_set_target(p, 2, KPI_SLA_FIRST_RESPONSE, 24 * H, 0));
    const int64_t start = INT64_C(1772946000000); /* 2026-03-08 00:00 EST, 05:00Z */
    const int64_t next_sunday = start + 7 * D - H; /* 2026-03-15 00:00 EDT */
    int64_t due, rem;
    int met;
    /* 23 business hours on the 8th, the 24th from 00:00 EDT on the 15th */
    ck_assert_ok(kpi_sla_policy_due(p, 2, KPI_SLA_RESOLUTION, start, 0, &due));
    ck_assert_int_eq(due, next_sunday + H);
    ck_assert_ok(kpi_sla_policy_remaining(p, 2, KPI_SLA_RESOLUTION, start, start + 2 * D, 0,
                                          &rem));
    ck_assert_int_eq(rem, H);
    /* paused for 30 business minutes (pending): due 30 minutes later */
    ck_assert_ok(kpi_sla_policy_due(p, 2, KPI_SLA_RESOLUTION, start, 30 * M, &due));
    ck_assert_int_eq(due, next_sunday + 90 * M);
    ck_assert_ok(kpi_sla_policy_met(p, 2, KPI_SLA_RESOLUTION, start, due, 30 * M, &met));
    ck_assert_int_eq(met, 1);
    ck_assert_ok(kpi_sla_policy_remaining(p, 2, KPI_SLA_RESOLUTION, start, due, 30 * M, &rem));
    ck_assert_int_eq(rem, 0);
    ck_assert_ok(kpi_sla_policy_met(p, 2, KPI_SLA_RESOLUTION, start, due + 1, 30 * M, &met));
    ck_assert_int_eq(met, 0);
    /* calendar time: 24 real hours, 01:00 EDT on Monday */
    ck_assert_ok(kpi_sla_policy_due(p, 2, KPI_SLA_FIRST_RESPONSE, start, 0, &due));
    ck_assert_int_eq(due, start + 24 * H);
    ck_assert_ok(kpi_sla_policy_remaining(p, 2, KPI_SLA_FIRST_RESPONSE, start,
                                          start + 23 * H, 0, &rem));
    ck_assert_int_eq(rem, H);
    kpi_sla_policy_free(p);
}
END_TEST

/* A target of 0: due at the start (plus the pause), met only when no
 * clock time has run. */
START_TEST(a_target_of_zero)
{
    kpi_calendar *c = NULL;
    ck_assert_ok(kpi_calendar_new(&c, "UTC0"));
    for (int d = 1; d <= 5; d++)
        ck_assert_ok(kpi_calendar_add_hours(c, d, 9 * 60, 17 * 60));
    kpi_sla_policy *p = NULL;
    ck_assert_ok(kpi_sla_policy_new(&p, c));
    kpi_calendar_free(c);
    ck_assert_ok(kpi_sla_policy_set_target(p, 0, KPI_SLA_NEXT_RESPONSE, 0, 0));
    ck_assert_ok(kpi_sla_policy_set_target(p, 1, KPI_SLA_NEXT_RESPONSE, 0, 1));
    int64_t due, rem;
    int met;
    const int64_t sat = MON - 2 * D + 10 * H; /* Saturday 10:00 */
    ck_assert_ok(kpi_sla_policy_due(p, 0, KPI_SLA_NEXT_RESPONSE, sat, 0, &due));
    ck_assert_int_eq(due, sat);
    ck_assert_ok(kpi_sla_policy_due(p, 0, KPI_SLA_NEXT_RESPONSE, sat, 5 * M, &due));
    ck_assert_int_eq(due, sat + 5 * M);
    ck_assert_ok(kpi_sla_policy_met(p, 0, KPI_SLA_NEXT_RESPONSE, sat, sat, 0, &met));
    ck_assert_int_eq(met, 1);
    ck_assert_ok(kpi_sla_policy_met(p, 0, KPI_SLA_NEXT_RESPONSE, sat, sat + 1, 0, &met));
    ck_assert_int_eq(met, 0);
    ck_assert_ok(kpi_sla_policy_met(p, 0, KPI_SLA_NEXT_RESPONSE, sat, sat + 1, 1, &met));
    ck_assert_int_eq(met, 1);
    /* business time: due at the start itself even when closed; a weekend
     * reply still meets it, a reply one business ms into Monday does not */
    ck_assert_ok(kpi_sla_policy_due(p, 1, KPI_SLA_NEXT_RESPONSE, sat, 0, &due));
    ck_assert_int_eq(due, sat);
    ck_assert_ok(kpi_sla_policy_met(p, 1, KPI_SLA_NEXT_RESPONSE, sat, MON + 9 * H, 0, &met));
    ck_assert_int_eq(met, 1);
    ck_assert_ok(kpi_sla_policy_met(p, 1, KPI_SLA_NEXT_RESPONSE, sat, MON + 9 * H + 1, 0,
                                    &met));
    ck_assert_int_eq(met, 0);
    ck_assert_ok(kpi_sla_policy_remaining(p, 1, KPI_SLA_NEXT_RESPONSE, sat, MON + 10 * H, 0,
                                          &rem));
    ck_assert_int_eq(rem, -H);
    /* paused 1 business hour: due at Monday 10:00 */
    ck_assert_ok(kpi_sla_policy_due(p, 1, KPI_SLA_NEXT_RESPONSE, sat, H, &due));
    ck_assert_int_eq(due, MON + 10 * H);
    kpi_sla_policy_free(p);
}
END_TEST

/* Due instants worked by hand in split_shifts(), open on Sundays too,
 * all day. */
START_TEST(due_across_a_partial_closure_and_both_dst_changes)
{
    kpi_calendar *c = split_shifts();
    ck_assert_ok(kpi_calendar_add_hours(c, 0, 0, 1440));
    kpi_sla_policy *p = policy_taking(c);
    ck_assert_ok(kpi_sla_policy_set_target(p, 0, KPI_SLA_RESOLUTION, 5 * H, 1));
    ck_assert_ok(kpi_sla_policy_set_target(p, 1, KPI_SLA_RESOLUTION, 24 * H, 1));
    int64_t due;
    int met;
    /* Thursday 24 December 10:00 CET (09:00Z): 10:00-12:00 = 2 h, closed
     * from 12:00; Friday 25th 09:00-12:00 = 3 h: 5 h at 12:00 CET, the end
     * of a range, so due then (11:00Z), not at 13:00 */
    const int64_t dec24 = INT64_C(1798102800000); /* 2026-12-24 09:00Z */
    ck_assert_ok(kpi_sla_policy_due(p, 0, KPI_SLA_RESOLUTION, dec24, 0, &due));
    ck_assert_int_eq(due, dec24 + D + 2 * H);
    /* Sunday 25 October 00:00 CEST (Saturday 22:00Z): the day has 25 real
     * hours (02:00-03:00 twice), all open, so 24 business hours end at
     * 23:00 CET = 22:00Z, 24 real hours later */
    const int64_t oct25 = INT64_C(1792879200000); /* 2026-10-24 22:00Z */
    ck_assert_ok(kpi_sla_policy_due(p, 1, KPI_SLA_RESOLUTION, oct25, 0, &due));
    ck_assert_int_eq(due, oct25 + 24 * H);
    /* Sunday 29 March 00:00 CET (Saturday 23:00Z): 23 real hours, all
     * open; the 24th business hour is Monday 09:00-10:00 CEST, due 10:00
     * CEST = 08:00Z, 33 real hours later; a resolve then meets it, one
     * ms later breaches it */
    const int64_t mar29 = INT64_C(1774738800000); /* 2026-03-28 23:00Z */
    ck_assert_ok(kpi_sla_policy_due(p, 1, KPI_SLA_RESOLUTION, mar29, 0, &due));
    ck_assert_int_eq(due, mar29 + 33 * H);
    ck_assert_ok(kpi_sla_policy_met(p, 1, KPI_SLA_RESOLUTION, mar29, due, 0, &met));
    ck_assert_int_eq(met, 1);
    ck_assert_ok(kpi_sla_policy_met(p, 1, KPI_SLA_RESOLUTION, mar29, due + 1, 0, &met));
    ck_assert_int_eq(met, 0);
    kpi_sla_policy_free(p);
}
END_TEST

/* ---- against a walk over business minutes (tests/tzref.h) -------------- */

/* met(), remaining() and due() of every priority and metric, with targets
 * in business and in calendar time and random pauses, against the
 * reference: two shifts on weekdays, Saturday late mornings and Sunday
 * nights (when the clocks change); closed on the local dates of the 2026
 * clock changes and the days after, on Easter and Whit Monday (after a
 * weekend), New Year, Christmas, and Christmas Eve from noon.  A pause
 * above the elapsed time is KPI_ERR_RANGE and writes nothing. */
START_TEST(met_remaining_and_due_agree_with_a_walk_over_business_minutes)
{
    const char *zones[] = {"CET-1CEST,M3.5.0,M10.5.0/3", "AEST-10AEDT,M10.1.0,M4.1.0/3",
                           "<+1030>-10:30<+11>-11,M10.1.0,M4.1.0", "EST5EDT,M3.2.0,M11.1.0"};
    const int closed[][5] = {{2026, 1, 1, 0, 1440},  {2026, 4, 6, 0, 1440},
                             {2026, 5, 25, 0, 1440}, {2026, 12, 24, 720, 1440},
                             {2026, 12, 25, 0, 1440}};
    static tzr_cal r;
    test_rng g = {53};
    for (size_t z = 0; z < sizeof zones / sizeof *zones; z++) {
        kpi_calendar *c = NULL;
        ck_assert_ok(kpi_calendar_new(&c, zones[z]));
        tzr_init(&r, zones[z]);
        for (int d = 1; d <= 5; d++) {
            tzr_pair_hours(c, &r, d, 9 * 60, 12 * 60);
            tzr_pair_hours(c, &r, d, 13 * 60, 17 * 60);
        }
        tzr_pair_hours(c, &r, 6, 10 * 60, 14 * 60);
        tzr_pair_hours(c, &r, 0, 0, 4 * 60);
        for (size_t i = 0; i < sizeof closed / sizeof *closed; i++)
            tzr_pair_closure(c, &r, tzr_date(closed[i][0], closed[i][1], closed[i][2]),
                             closed[i][3], closed[i][4]);
        for (int i = 0; i < 2; i++) { /* the change's local date: Sunday or Saturday */
            int64_t day = tzr_fdiv(tzr_change(&r.zone, i, 2026) + r.zone.std * INT64_C(1000), D);
            tzr_pair_closure(c, &r, day + 1, 0, 1440);
            tzr_pair_closure(c, &r, day, 60 * i, 1440 - 60 * i);
        }
        kpi_sla_policy *p = policy_taking(c);
        int64_t target[KPI_SLA_PRIORITIES][3];
        int business[KPI_SLA_PRIORITIES][3];
        for (uint32_t pr = 0; pr < KPI_SLA_PRIORITIES; pr++)
            for (int m = 0; m < 3; m++) {
                target[pr][m] = pr % 2 ? test_range(&g, 0, 40) * H : test_range(&g, 0, 40 * H);
                business[pr][m] = (int)test_range(&g, 0, 1);
                ck_assert_ok(kpi_sla_policy_set_target(p, pr, m, target[pr][m], business[pr][m]));
            }
        const int64_t y0 = tzr_jan1(2026) * D, y1 = tzr_jan1(2027) * D;
        for (int i = 0; i < 400; i++) {
            uint32_t pr = (uint32_t)test_range(&g, 0, KPI_SLA_PRIORITIES - 1);
            int m = (int)test_range(&g, 0, 2), met = 7;
            int64_t start = test_range(&g, y0, y1), end = start + test_range(&g, 0, 10 * D);
            if (i % 4 == 0) /* on whole minutes: at opening and closing times too */
                start -= start % M, end -= end % M;
            const int64_t tgt = target[pr][m];
            int64_t e = business[pr][m] ? tzr_walk(&r, start, end, -1, NULL) : end - start;
            /* any pause, one that leaves the clock on the target (met,
             * nothing left), or one above the elapsed time */
            int64_t paused = test_range(&g, 0, e), rem = 7;
            paused = i % 8 == 1 && e >= tgt ? e - tgt : i % 8 == 0 ? e + 1 + i % 16 * H : paused;
            int rc = kpi_sla_policy_met(p, pr, m, start, end, paused, &met);
            int rc2 = kpi_sla_policy_remaining(p, pr, m, start, end, paused, &rem);
            if (paused > e) {
                ck_assert(rc == KPI_ERR_RANGE && rc2 == KPI_ERR_RANGE && met == 7 && rem == 7);
            } else {
                ck_assert_msg(rc == KPI_OK && met == (e - paused <= tgt),
                              "%s: met(%u, %d, %lld, %lld, %lld)", zones[z], pr, m,
                              (long long)start, (long long)end, (long long)paused);
                ck_assert_ok(rc2);
                ck_assert_int_eq(rem, tgt - (e - paused));
            }
            /* due with a pause so far: the first instant the clock reads
             * the target */
            int64_t pz = i % 3 ? test_range(&g, 0, 20 * H) : 0, due = 0, want = start + tgt + pz;
            if (business[pr][m])
                tzr_walk(&r, start, start + 60 * D, tgt + pz, &want);
            ck_assert_ok(kpi_sla_policy_due(p, pr, m, start, pz, &due));
            ck_assert_msg(due == want, "%s: due(%u, %d, %lld, %lld) = %lld, not %lld", zones[z],
                          pr, m, (long long)start, (long long)pz, (long long)due,
                          (long long)want);
        }
        kpi_sla_policy_free(p);
    }
}
END_TEST

/* Policy bytes built by hand (no calendar: a zero byte, then a flag byte
 * per priority and metric, each set target followed by its varint). */
static int decode_forged(int has, int flag, uint64_t ms)
{
    kpi_sla_policy *p;
    ck_assert_ok(kpi_sla_policy_new(&p, NULL));
    size_t len;
    unsigned char *b = sla_bytes(p, &len);
    kpi_sla_policy_free(p);
    unsigned char f[16 + 1 + 3 * KPI_SLA_PRIORITIES + 10];
    size_t n = 12;
    memcpy(f, b, 12);
    free(b);
    f[n++] = (unsigned char)has;
    for (int i = 0; i < 3 * KPI_SLA_PRIORITIES; i++) {
        f[n++] = (unsigned char)(i == 5 ? flag : 0);
        if (i == 5 && (flag & 1)) {
            uint64_t v = ms;
            while (v >= 0x80) {
                f[n++] = (unsigned char)(v | 0x80);
                v >>= 7;
            }
            f[n++] = (unsigned char)v;
        }
    }
    n += 4;
    test_reseal(f, n);
    p = NULL;
    int rc = kpi_sla_policy_deserialize(&p, f, n);
    if (rc == KPI_OK) {
        int64_t t;
        int bh;
        ck_assert_ok(kpi_sla_policy_target(p, 1, KPI_SLA_RESOLUTION, &t, &bh));
        ck_assert(t == (int64_t)ms && bh == 0);
        kpi_sla_policy_free(p);
    } else {
        ck_assert_ptr_null(p);
    }
    return rc;
}

START_TEST(forged_policy_bytes_are_corrupt)
{
    ck_assert_ok(decode_forged(0, 1, H));
    ck_assert_ok(decode_forged(0, 1, (uint64_t)INT64_MAX));
    ck_assert_status(decode_forged(2, 1, H), KPI_ERR_CORRUPT);
    ck_assert_status(decode_forged(0, 2, H), KPI_ERR_CORRUPT);
    ck_assert_status(decode_forged(0, 3, H), KPI_ERR_CORRUPT); /* business, no calendar */
    ck_assert_status(decode_forged(0, 4, H), KPI_ERR_CORRUPT);
    ck_assert_status(decode_forged(0, 1, (uint64_t)INT64_MAX + 1), KPI_ERR_CORRUPT);
}
END_TEST

/* ---- documented errors (rev-retval) ---- */

TEST_STATE_ERRORS_HELPER(sla, kpi_sla_policy, kpi_sla_policy_serialize,
                         kpi_sla_policy_deserialize, kpi_sla_policy_deserialize_with,
                         kpi_sla_policy_free)

START_TEST(documented_errors_of_the_state_verbs)
{
    kpi_sla_policy *p = policy(NULL), *c = NULL;
    sla_state_errors(p);
    size_t len;
    unsigned char *before = sla_bytes(p, &len);
    ck_assert_status(kpi_sla_policy_clone(NULL, &c), KPI_ERR_INVALID);
    ck_assert_status(kpi_sla_policy_clone(p, NULL), KPI_ERR_INVALID);
    ck_assert_ptr_null(c);
    sla_unchanged(p, before, len);
    free(before);
    kpi_sla_policy_free(p);
}
END_TEST

START_TEST(documented_errors_of_new_with_and_target)
{
    test_alloc t;
    kpi_allocator a = test_allocator(&t);
    a.realloc_fn = NULL;
    kpi_sla_policy *p = NULL;
    ck_assert_status(kpi_sla_policy_new_with(&p, NULL, &a), KPI_ERR_INVALID);
    ck_assert_status(kpi_sla_policy_new_with(NULL, NULL, NULL), KPI_ERR_INVALID);
    ck_assert_ptr_null(p);
    ck_assert_int_eq(t.calls, 0);

    p = policy(NULL);
    int64_t target = -5;
    int business = -5;
    /* priority 1 has a first-response target only */
    ck_assert_status(kpi_sla_policy_target(p, 1, KPI_SLA_RESOLUTION, &target, &business),
                     KPI_ERR_UNKNOWN_ID);
    ck_assert_status(kpi_sla_policy_target(p, 3, KPI_SLA_FIRST_RESPONSE, &target,
                                           &business),
                     KPI_ERR_UNKNOWN_ID);
    ck_assert(target == -5 && business == -5); /* nothing written */
    ck_assert_ok(kpi_sla_policy_target(p, 1, KPI_SLA_FIRST_RESPONSE, &target, &business));
    ck_assert(target == H && business == 0);
    kpi_sla_policy_free(p);
}
END_TEST

/* The metric is a selector: one that is none of the KPI_SLA_* constants
 * (the first past the last, -1, the int extremes) is #KPI_ERR_INVALID in
 * every call, checked before the priority (a caller's number, a range
 * error beyond the limit) and the times, and changes nothing. */
START_TEST(unknown_metric_is_invalid_everywhere)
{
    kpi_sla_policy *p = policy(NULL);
    size_t len;
    unsigned char *b = sla_bytes(p, &len);
    const int bad[] = {KPI_SLA_RESOLUTION + 1, -1, INT_MAX, INT_MIN};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        for (uint32_t prio = 0; prio <= KPI_SLA_PRIORITIES; prio += KPI_SLA_PRIORITIES) {
            int64_t v = 5;
            int business = 5, met = 5;
            ck_assert_status(kpi_sla_policy_set_target(p, prio, bad[i], -1, 0),
                             KPI_ERR_INVALID);
            ck_assert_status(kpi_sla_policy_target(p, prio, bad[i], &v, &business),
                             KPI_ERR_INVALID);
            ck_assert_status(kpi_sla_policy_due(p, prio, bad[i], MON, -1, &v), KPI_ERR_INVALID);
            ck_assert_status(kpi_sla_policy_met(p, prio, bad[i], MON + H, MON, 0, &met),
                             KPI_ERR_INVALID);
            ck_assert_status(kpi_sla_policy_remaining(p, prio, bad[i], MON, MON, -1, &v),
                             KPI_ERR_INVALID);
            ck_assert(v == 5 && business == 5 && met == 5);
        }
    }
    /* a known metric with a priority past the limit stays a range error */
    int met = 5;
    ck_assert_status(kpi_sla_policy_met(p, KPI_SLA_PRIORITIES, KPI_SLA_RESOLUTION, MON, MON,
                                        0, &met),
                     KPI_ERR_RANGE);
    ck_assert_int_eq(met, 5);
    sla_unchanged(p, b, len);
    free(b);
    kpi_sla_policy_free(p);
}
END_TEST

START_TEST(documented_errors_of_target_and_remaining)
{
    kpi_sla_policy *p = policy(NULL);
    int64_t v = -5;
    int business = -5;
    ck_assert_status(kpi_sla_policy_target(p, KPI_SLA_PRIORITIES, KPI_SLA_FIRST_RESPONSE,
                                           &v, &business),
                     KPI_ERR_RANGE);
    ck_assert_status(kpi_sla_policy_target(p, 0, 3, &v, &business), KPI_ERR_INVALID);
    ck_assert_status(kpi_sla_policy_target(p, 0, -1, &v, &business), KPI_ERR_INVALID);
    /* priority 1 has no resolution target */
    ck_assert_status(kpi_sla_policy_remaining(p, 1, KPI_SLA_RESOLUTION, MON, MON + H, 0, &v),
                     KPI_ERR_UNKNOWN_ID);
    ck_assert(v == -5 && business == -5);
    ck_assert_ok(kpi_sla_policy_remaining(p, 1, KPI_SLA_FIRST_RESPONSE, MON, MON, 0, &v));
    ck_assert_int_eq(v, H);
    kpi_sla_policy_free(p);
}
END_TEST

static Suite *sla_suite(void)
{
    Suite *s = suite_create("sla");
    TCase *tc = tcase_create("policy");
    tcase_add_test(tc, business_time_breach_across_a_weekend_and_a_holiday);
    tcase_add_test(tc, pauses_extend_the_due_time_in_the_metric_time_base);
    tcase_add_test(tc, due_is_the_last_instant_that_still_meets_the_target);
    tcase_add_test(tc, errors_are_named_and_change_nothing);
    tcase_add_test(tc, serialization_round_trips_and_rejects_bad_bytes);
    tcase_add_test(tc, golden_state_still_reads);
    tcase_add_test(tc, allocation_failures_leave_no_trace);
    tcase_add_test(tc, edges_of_the_policy_calls);
    tcase_add_test(tc, forged_policy_bytes_are_corrupt);
    tcase_add_test(tc, business_and_calendar_targets_on_a_dst_day);
    tcase_add_test(tc, a_target_of_zero);
    tcase_add_test(tc, due_across_a_partial_closure_and_both_dst_changes);
    tcase_add_test(tc, met_remaining_and_due_agree_with_a_walk_over_business_minutes);
    /* ---- documented errors (rev-retval) ---- */
    tcase_add_test(tc, documented_errors_of_the_state_verbs);
    tcase_add_test(tc, documented_errors_of_new_with_and_target);
    tcase_add_test(tc, documented_errors_of_target_and_remaining);
    tcase_add_test(tc, unknown_metric_is_invalid_everywhere);
    suite_add_tcase(s, tc);
    return s;
}

KPI_TEST_MAIN(sla_suite)
