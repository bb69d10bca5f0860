/*
 * The business calendar: POSIX TZ parsing and offsets (checked by hand and
 * against the C library), business time on DST days, holidays, split
 * shifts, due instants, properties against a naive minute-by-minute
 * reference, errors, allocation failures and serialization.
 * SPDX-License-Identifier: MIT
 */
#define _DEFAULT_SOURCE 1
#include "kpi/calendar.h"
#include "kpi/sla.h"
#include "testutil.h"
#include "tzref.h"

#include <time.h>

#define H KPI_MS_PER_HOUR
#define M KPI_MS_PER_MINUTE
#define D KPI_MS_PER_DAY

/* ---- independent date arithmetic for expected values ------------------- */

static int64_t t_days(int64_t y, int64_t m, int64_t d)
{
    /* days since 1970-01-01, counted naively year by year */
    static const int md[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    int64_t n = 0;
    for (int64_t yy = 1970; yy < y; yy++)
        n += 365 + ((yy % 4 == 0 && yy % 100 != 0) || yy % 400 == 0);
    for (int64_t yy = y; yy < 1970; yy++)
        n -= 365 + ((yy % 4 == 0 && yy % 100 != 0) || yy % 400 == 0);
    for (int mm = 1; mm < m; mm++)
        n += md[mm - 1] + (mm == 2 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0));
    return n + d - 1;
}

/* A UTC instant. */
static int64_t utc(int y, int mo, int d, int h, int mi)
{
    return t_days(y, mo, d) * D + h * H + mi * M;
}

static kpi_calendar *mk(const char *tz)
{
    kpi_calendar *c = NULL;
    ck_assert_ok(kpi_calendar_new(&c, tz));
    return c;
}

static void weekdays(kpi_calendar *c, int open_h, int close_h)
{
    for (int d = 1; d <= 5; d++)
        ck_assert_ok(kpi_calendar_add_hours(c, d, open_h * 60, close_h * 60));
}

static int64_t el(const kpi_calendar *c, int64_t a, int64_t b)
{
    int64_t v = -1;
    ck_assert_ok(kpi_calendar_elapsed(c, a, b, &v));
    return v;
}

static int64_t due(const kpi_calendar *c, int64_t a, int64_t x)
{
    int64_t v = 0;
    ck_assert_ok(kpi_calendar_due(c, a, x, &v));
    return v;
}

static int32_t off(const kpi_calendar *c, int64_t t)
{
    int32_t o = 0;
    ck_assert_ok(kpi_calendar_utc_offset(c, t, &o));
    return o;
}

TEST_STATE_HELPERS(calendar, kpi_calendar, kpi_calendar_serialize)
TEST_REREAD_HELPER(calendar, kpi_calendar, kpi_calendar_deserialize)

/* ---- time zones --------------------------------------------------------- */

START_TEST(tz_parser_accepts_and_rejects_a_table_of_strings)
{
    const char *good[] = {"CET-1CEST,M3.5.0,M10.5.0/3", "EST5EDT,M3.2.0,M11.1.0",
                          "JST-9", "UTC0", "AEST-10AEDT,M10.1.0,M4.1.0/3", "<-03>3",
                          "NZST-12NZDT,M9.5.0,M4.1.0/3", "EST5EDT", "<+0330>-3:30",
                          "IST-5:30", "GMT0BST,M3.5.0/1,M10.5.0",
                          "EST5EDT4,M3.2.0/02:00:00,M11.1.0/02:00:00",
                          "<-02>2<-01>,M3.5.0/-1,M10.5.0/0", "XXX3YYY,J60/25,300/-3",
                          "EST5EDT,0/0,J365/25", "WART4WARST,J1/0,J365/25",
                          "ABC+24", "ABC-24:59:59", "<UTC+1>-1", "FOO1BAR,M1.1.0/167,M12.5.6/-167"};
    const char *bad[] = {"", "CET", "C-1", "CET-25", "CET-1:60", "CET-1CEST,",
                         "CET-1CEST,M3.5.0", "CET-1CEST,M13.5.0,M10.5.0",
                         "CET-1CEST,M3.6.0,M10.5.0", "CET-1CEST,M3.5.7,M10.5.0",
                         "CET-1CEST,M3.5.0/168,M10.5.0", "CET-1 ", ":Europe/Paris",
                         "Europe/Paris", "<AB>1", "<ABC1", "CET-1CEST,J0,J365",
                         "CET-1CEST,366,J1", "CET-1CE", "CET-1CEST,M3.5.0,M10.5.0x",
                         "CET--1", "CET-1CEST,M3.5.0;M10.5.0",
                         /* a number of four digits, seconds out of range,
                          * bad DST offsets, a rule's time of four digits */
                         "ABC0001", "ABC1:00:60", "ABC1:00:1x0",
                         "CET-1CEST99,M3.5.0,M10.5.0/3", "CET-1CEST-25,M3.5.0,M10.5.0/3",
                         "CET-1CEST,M3.5.0/1000,M10.5.0",
                         /* empty or partial rules, fields out of range, a
                          * third rule, bad quoting, two signs, short names */
                         "EST5EDT,M3.2.0,M11.1.0/", "<+0545>", "<+05 45>-5",
                         "EST5EDT,M3.2,M11.1.0", "EST5EDT,M0.1.0,M11.1.0",
                         "EST5EDT,M3.0.0,M11.1.0", "EST5EDT,J366,J1",
                         "EST5EDT,M3.2.0/-168,M11.1.0", "EST5EDT,M3.2.0/1:60,M11.1.0",
                         "EST5EDT,,M11.1.0", "EST5EDT4:00:60", "<ABC>",
                         "EST5EDT,M3.2.0,M11.1.0,J1", "EST5EDT,-1,J1", "EST5EDT,M3.2.0,J0",
                         "EST5EDT,M3.2.0/+-1,M11.1.0", "EST+-5", "EST5EDT+", "E5",
                         "EST5ED", "<A+>5", "EST5\n"};
    for (size_t i = 0; i < sizeof good / sizeof *good; i++) {
        kpi_calendar *c = NULL;
        int rc = kpi_calendar_new(&c, good[i]);
        ck_assert_msg(rc == KPI_OK, "refused \"%s\": %s", good[i], kpi_status_name(rc));
        kpi_calendar_free(c);
    }
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        kpi_calendar *c = NULL;
        int rc = kpi_calendar_new(&c, bad[i]);
        ck_assert_msg(rc == KPI_ERR_INVALID, "accepted \"%s\"", bad[i]);
        ck_assert_ptr_null(c);
    }
    char longtz[200];
    memset(longtz, 'A', sizeof longtz - 3);
    strcpy(longtz + sizeof longtz - 3, "-1");
    kpi_calendar *c = NULL;
    ck_assert_status(kpi_calendar_new(&c, longtz), KPI_ERR_INVALID);
    ck_assert_status(kpi_calendar_new(&c, NULL), KPI_ERR_INVALID);
    ck_assert_status(kpi_calendar_new(NULL, "UTC0"), KPI_ERR_INVALID);
}
END_TEST

START_TEST(europe_switches_at_one_utc_on_the_last_sundays)
{
    kpi_calendar *c = mk("CET-1CEST,M3.5.0,M10.5.0/3");
    int64_t spring = utc(2026, 3, 29, 1, 0), fall = utc(2026, 10, 25, 1, 0);
    ck_assert_int_eq(off(c, spring - 1), 3600);
    ck_assert_int_eq(off(c, spring), 7200);
    ck_assert_int_eq(off(c, fall - 1), 7200);
    ck_assert_int_eq(off(c, fall), 3600);
    ck_assert_int_eq(off(c, utc(2026, 7, 1, 12, 0)), 7200);
    ck_assert_int_eq(off(c, utc(2026, 1, 1, 12, 0)), 3600);
    /* outside the per-object table (1970..2100) the rules still apply */
    ck_assert_int_eq(off(c, utc(2150, 3, 29, 1, 0) - 1), 3600); /* last Sun Mar 2150 = 29 */
    ck_assert_int_eq(off(c, utc(2150, 3, 29, 1, 0)), 7200);
    ck_assert_int_eq(off(c, utc(1960, 7, 1, 0, 0)), 7200);
    int32_t y, mo, d, wd, ms;
    ck_assert_ok(kpi_calendar_local_time(c, spring, &y, &mo, &d, &wd, &ms));
    ck_assert(y == 2026 && mo == 3 && d == 29 && wd == 0 && ms == 3 * H);
    ck_assert_ok(kpi_calendar_local_time(c, spring - 1, &y, &mo, &d, &wd, &ms));
    ck_assert(ms == 2 * H - 1);
    kpi_calendar_free(c);
}
END_TEST

START_TEST(us_switches_at_two_local_on_the_second_and_first_sundays)
{
    kpi_calendar *c = mk("EST5EDT,M3.2.0,M11.1.0");
    ck_assert_int_eq(off(c, utc(2026, 3, 8, 7, 0) - 1), -18000);
    ck_assert_int_eq(off(c, utc(2026, 3, 8, 7, 0)), -14400);
    ck_assert_int_eq(off(c, utc(2026, 11, 1, 6, 0) - 1), -14400);
    ck_assert_int_eq(off(c, utc(2026, 11, 1, 6, 0)), -18000);
    kpi_calendar_free(c);
    /* a DST name without rules means the US rules */
    c = mk("EST5EDT");
    ck_assert_int_eq(off(c, utc(2026, 3, 8, 7, 0)), -14400);
    kpi_calendar_free(c);
}
END_TEST

START_TEST(southern_zones_have_summer_across_new_year)
{
    kpi_calendar *c = mk("AEST-10AEDT,M10.1.0,M4.1.0/3");
    /* 2026-04-05 03:00 AEDT = 2026-04-04T16:00Z; 2026-10-04 02:00 AEST =
     * 2026-10-03T16:00Z */
    ck_assert_int_eq(off(c, utc(2026, 1, 15, 0, 0)), 39600);
    ck_assert_int_eq(off(c, utc(2026, 4, 4, 16, 0) - 1), 39600);
    ck_assert_int_eq(off(c, utc(2026, 4, 4, 16, 0)), 36000);
    ck_assert_int_eq(off(c, utc(2026, 10, 3, 16, 0) - 1), 36000);
    ck_assert_int_eq(off(c, utc(2026, 10, 3, 16, 0)), 39600);
    kpi_calendar_free(c);
    c = mk("NZST-12NZDT,M9.5.0,M4.1.0/3");
    /* 2026-09-27 02:00 NZST = 2026-09-26T14:00Z */
    ck_assert_int_eq(off(c, utc(2026, 9, 26, 14, 0) - 1), 43200);
    ck_assert_int_eq(off(c, utc(2026, 9, 26, 14, 0)), 46800);
    kpi_calendar_free(c);
    c = mk("JST-9");
    ck_assert_int_eq(off(c, utc(2026, 3, 29, 1, 0)), 32400);
    ck_assert_int_eq(off(c, utc(2026, 8, 1, 1, 0)), 32400);
    kpi_calendar_free(c);
    c = mk("<-03>3");
    ck_assert_int_eq(off(c, utc(2026, 8, 1, 1, 0)), -10800);
    kpi_calendar_free(c);
}
END_TEST

/* The offset is `before` until the ms before t and `after` from t on. */
static void changes_at(const kpi_calendar *c, int64_t t, int32_t before, int32_t after)
{
    ck_assert_int_eq(off(c, t - 1), before);
    ck_assert_int_eq(off(c, t), after);
}

/* Day rules by hand: Jn never counts 29 February, n (zero-based) does;
 * Mm.5.d is the last such weekday whether the month has four or five;
 * rule times below zero or beyond 24 h move the change to another day. */
START_TEST(day_rules_leap_days_last_weeks_and_rule_times_by_hand)
{
    /* std UTC-3, DST UTC-2, changes at 02:00 local: 05:00Z (start), 04:00Z
     * (end) */
    kpi_calendar *c = mk("ABC3DEF,J60/2,J300/2");
    changes_at(c, utc(2028, 3, 1, 5, 0), -10800, -7200); /* J60: 1 March */
    changes_at(c, utc(2027, 3, 1, 5, 0), -10800, -7200);
    changes_at(c, utc(2028, 10, 27, 4, 0), -7200, -10800); /* J300: 27 Oct */
    kpi_calendar_free(c);
    c = mk("ABC3DEF,59/2,300/2");
    changes_at(c, utc(2028, 2, 29, 5, 0), -10800, -7200); /* 59: 29 Feb */
    changes_at(c, utc(2027, 3, 1, 5, 0), -10800, -7200); /* 59: 1 Mar */
    changes_at(c, utc(2028, 10, 27, 4, 0), -7200, -10800); /* 300: 27 Oct */
    changes_at(c, utc(2027, 10, 28, 4, 0), -7200, -10800); /* 300: 28 Oct */
    kpi_calendar_free(c);
    c = mk("ABC3DEF,J59/2,60/2");
    changes_at(c, utc(2028, 2, 28, 5, 0), -10800, -7200); /* J59: 28 Feb */
    changes_at(c, utc(2028, 3, 1, 4, 0), -7200, -10800); /* 60: 1 Mar */
    changes_at(c, utc(2027, 3, 2, 4, 0), -7200, -10800); /* 60: 2 Mar */
    kpi_calendar_free(c);
    /* the last Sunday of February: 22nd (2026, four Sundays), 27th (2028),
     * 29th (2032, five Sundays); the fourth Sunday of February 2032: 22nd */
    c = mk("AAA0BBB,M2.5.0/0,M10.5.0/0");
    changes_at(c, utc(2026, 2, 22, 0, 0), 0, 3600);
    changes_at(c, utc(2028, 2, 27, 0, 0), 0, 3600);
    changes_at(c, utc(2032, 2, 29, 0, 0), 0, 3600);
    /* the end: 00:00 DST on Sunday 25 October 2026 is Saturday 23:00Z */
    changes_at(c, utc(2026, 10, 24, 23, 0), 3600, 0);
    kpi_calendar_free(c);
    c = mk("AAA0BBB,M2.4.0/0,M10.5.0/0");
    changes_at(c, utc(2032, 2, 22, 0, 0), 0, 3600);
    kpi_calendar_free(c);
    /* -1 h: Saturday 7 March 2026 23:00; 25 h: Monday 2 November 01:00 DST */
    c = mk("AAA0BBB,M3.2.0/-1,M11.1.0/25");
    changes_at(c, utc(2026, 3, 7, 23, 0), 0, 3600);
    changes_at(c, utc(2026, 11, 2, 0, 0), 3600, 0);
    kpi_calendar_free(c);
    /* 167 h after Sunday 8 March 00:00 is Saturday 14 March 23:00; 167 h
     * before Sunday 1 November 00:00 DST is Sunday 25 October 01:00 DST */
    c = mk("AAA0BBB,M3.2.0/167,M11.1.0/-167");
    changes_at(c, utc(2026, 3, 14, 23, 0), 0, 3600);
    changes_at(c, utc(2026, 10, 25, 0, 0), 3600, 0);
    kpi_calendar_free(c);
    /* quoted names, offsets with minutes and seconds: std UTC-3:30, DST
     * UTC-2:30:15; start Saturday 7 March 18:30 std = 22:00Z; end Monday
     * 2 November 06:00 DST = 08:30:15Z */
    c = mk("<-0330>3:30<-0230>2:30:15,M3.2.0/-5:30,M11.1.0/30");
    changes_at(c, utc(2026, 3, 7, 22, 0), -12600, -9015);
    changes_at(c, utc(2026, 11, 2, 8, 30) + 15000, -9015, -12600);
    kpi_calendar_free(c);
    c = mk("<+0545>-5:45");
    ck_assert_int_eq(off(c, utc(2026, 7, 1, 0, 0)), 5 * 3600 + 45 * 60);
    int32_t y, mo, d, wd, ms;
    ck_assert_ok(kpi_calendar_local_time(c, utc(2026, 12, 31, 18, 15), &y, &mo, &d, &wd, &ms));
    ck_assert(y == 2027 && mo == 1 && d == 1 && wd == 5 && ms == 0);
    kpi_calendar_free(c);
}
END_TEST

START_TEST(offsets_agree_with_the_c_library_for_random_instants)
{
#if defined(__GLIBC__)
    const char *zones[] = {"CET-1CEST,M3.5.0,M10.5.0/3", "EST5EDT,M3.2.0,M11.1.0",
                           "AEST-10AEDT,M10.1.0,M4.1.0/3", "NZST-12NZDT,M9.5.0,M4.1.0/3",
                           "JST-9", "<-03>3", "XXX3YYY,J60/25,300/-3",
                           "GMT0BST,M3.5.0/1,M10.5.0", "<-02>2<-01>,M3.5.0/-1,M10.5.0/0",
                           /* negative DST (Ireland), quarter and half hours,
                            * a two-hour DST, changes at 24:00 and 26:00 local,
                            * Jn and n days around 29 February, seconds */
                           "IST-1GMT0,M10.5.0,M3.5.0/1", "<+0545>-5:45",
                           "<+1030>-10:30<+11>-11,M10.1.0,M4.1.0",
                           "<+1245>-12:45<+1345>,M9.5.0/2:45,M4.1.0/3:45",
                           "NST3:30NDT,M3.2.0,M11.1.0", "<+00>0<+02>-2,M3.5.0/1,M10.5.0/3",
                           "<-04>4<-03>,M9.1.6/24,M4.1.6/24", "IST-2IDT,M3.4.4/26,M10.5.0",
                           "<+0330>-3:30<+0430>,J79/24,J263/24", "ABC3DEF,59/2,60/2",
                           "ABC3DEF,J59/2,J60/2", "AAA-1BBB,M2.5.4,M9.5.2",
                           "<-0330>3:30<-0230>2:30:15,M3.2.0/-5:30,M11.1.0/30",
                           "ABC-5:45:30DEF-6,M4.5.6/167,M9.1.0/-100",
                           /* a ten-hour DST, offsets of 24 h */
                           "AAA5BBB-5,M3.2.0,M11.1.0", "AAA-24BBB-23,M3.5.0,M10.5.0"};
    test_rng r = {7};
    /* the C library's instants end where time_t does: 2038-01-19 with a
     * 32-bit time_t (32-bit x86 glibc) */
    const int narrow = sizeof(time_t) < 8;
    const int64_t last = narrow ? utc(2038, 1, 1, 0, 0) : utc(2200, 1, 1, 0, 0);
    const int last_year = narrow ? 2036 : 2140;
    for (size_t z = 0; z < sizeof zones / sizeof *zones; z++) {
        setenv("TZ", zones[z], 1);
        tzset();
        kpi_calendar *c = mk(zones[z]);
        for (int i = 0; i < 3000; i++) {
            /* glibc applies POSIX rules from 1970 on only; libkpi
             * applies them to every year (proleptic) */
            int64_t t = test_range(&r, utc(1970, 1, 2, 0, 0), last);
            if (i % 3 == 0) /* near a transition */
                t = utc((int)test_range(&r, 1971, last_year), 1, 1, 0, 0) +
                    test_range(&r, 0, 365) * D + test_range(&r, -2, 2) * 1000;
            time_t s = (time_t)(t >= 0 ? t / 1000 : -((-t + 999) / 1000));
            struct tm tm;
            ck_assert_ptr_nonnull(localtime_r(&s, &tm));
            ck_assert_msg(off(c, (int64_t)s * 1000) == tm.tm_gmtoff,
                          "%s at %lld: %d vs %ld", zones[z], (long long)s,
                          off(c, (int64_t)s * 1000), (long)tm.tm_gmtoff);
            /* and the broken-down local time, field by field */
            int32_t y, mo, d, wd, ms;
            ck_assert_ok(kpi_calendar_local_time(c, (int64_t)s * 1000 + 999, &y, &mo, &d,
                                                 &wd, &ms));
            ck_assert_msg(y == tm.tm_year + 1900 && mo == tm.tm_mon + 1 && d == tm.tm_mday &&
                              wd == tm.tm_wday &&
                              ms == (tm.tm_hour * 3600 + tm.tm_min * 60 + tm.tm_sec) * 1000 + 999,
                          "%s at %lld: local time", zones[z], (long long)s);
        }
        kpi_calendar_free(c);
    }
    unsetenv("TZ");
#endif
}
END_TEST

#if defined(__GLIBC__)
/* Business time second by second from the C library's local time, for a
 * few days around a DST change: hours and closures as recorded. */
typedef struct lib_ref {
    int open[7][1440];
    int cl_y[8], cl_m[8], cl_d[8], cl_from[8], cl_to[8], ncl;
} lib_ref;

static int lib_open(const lib_ref *r, time_t t)
{
    struct tm tm;
    if (localtime_r(&t, &tm) == NULL) /* no ck_assert: one per second is slow */
        ck_abort_msg("localtime_r failed");
    int minute = tm.tm_hour * 60 + tm.tm_min;
    if (!r->open[tm.tm_wday][minute])
        return 0;
    for (int i = 0; i < r->ncl; i++)
        if (r->cl_y[i] == tm.tm_year + 1900 && r->cl_m[i] == tm.tm_mon + 1 &&
            r->cl_d[i] == tm.tm_mday && minute >= r->cl_from[i] && minute < r->cl_to[i])
            return 0;
    return 1;
}
#endif

START_TEST(business_time_agrees_with_the_c_library_around_dst_changes)
{
#if defined(__GLIBC__)
    const char *zones[] = {"CET-1CEST,M3.5.0,M10.5.0/3", "EST5EDT,M3.2.0,M11.1.0",
                           "IST-1GMT0,M10.5.0,M3.5.0/1", "<+1030>-10:30<+11>-11,M10.1.0,M4.1.0",
                           "<+00>0<+02>-2,M3.5.0/1,M10.5.0/3",
                           "<-0330>3:30<-0230>2:30:15,M3.2.0/-5:30,M11.1.0/30",
                           "<-04>4<-03>,M9.1.6/24,M4.1.6/24", "IST-2IDT,M3.4.4/26,M10.5.0",
                           "AEST-10AEDT,M10.1.0,M4.1.0/3", "XXX3YYY,J60/25,300/-3"};
    enum { WIN = 4 * 86400 };
    static unsigned char open_s[WIN];
    static int64_t pre[WIN + 1];
    static lib_ref r;
    test_rng g = {21};
    for (size_t z = 0; z < sizeof zones / sizeof *zones; z++) {
        setenv("TZ", zones[z], 1);
        tzset();
        for (int rep = 0; rep < 4; rep++) {
            kpi_calendar *c = mk(zones[z]);
            memset(&r, 0, sizeof r);
            for (int d = 0; d < 7; d++) {
                int m = (int)test_range(&g, 0, 200);
                while (m < 1440) {
                    int e = m + (int)test_range(&g, 1, 300);
                    e = e > 1440 ? 1440 : e;
                    if (test_range(&g, 0, 3) > 0) {
                        ck_assert_ok(kpi_calendar_add_hours(c, d, m, e));
                        for (int k = m; k < e; k++)
                            r.open[d][k] = 1;
                    }
                    m = e + (int)test_range(&g, 0, 200);
                }
            }
            /* the first (rep even) or second change of a random year */
            time_t t0 = (time_t)((test_range(&g, 1975, 2035) - 1970) * 31556952), T = 0;
            for (int n = 0; n <= rep % 2; n++) {
                struct tm tm;
                localtime_r(&t0, &tm);
                long o0 = tm.tm_gmtoff;
                for (time_t t = t0; t < t0 + 370 * 86400 && T <= t0; t += 900) {
                    localtime_r(&t, &tm);
                    if (tm.tm_gmtoff != o0)
                        T = t;
                }
                ck_assert(T > t0);
                t0 = T + 86400;
            }
            const time_t s0 = T - WIN / 2;
            /* closures on the local dates around the change */
            for (int k = -1; k <= 1; k++) {
                time_t tt = T + k * 86400;
                struct tm tm;
                localtime_r(&tt, &tm);
                int from = (int)test_range(&g, 0, 1400), to = (int)test_range(&g, from + 1, 1440);
                if (test_range(&g, 0, 2) == 0 ||
                    kpi_calendar_add_closure(c, tm.tm_year + 1900, tm.tm_mon + 1,
                                             tm.tm_mday, from, to) != KPI_OK)
                    continue;
                r.cl_y[r.ncl] = tm.tm_year + 1900;
                r.cl_m[r.ncl] = tm.tm_mon + 1;
                r.cl_d[r.ncl] = tm.tm_mday;
                r.cl_from[r.ncl] = from;
                r.cl_to[r.ncl++] = to;
            }
            pre[0] = 0;
            for (int i = 0; i < WIN; i++) {
                open_s[i] = (unsigned char)lib_open(&r, s0 + i);
                pre[i + 1] = pre[i] + open_s[i];
            }
            const int64_t base = (int64_t)s0 * 1000, top = base + (int64_t)WIN * 1000;
            for (int q = 0; q < 400; q++) {
                int64_t a = test_range(&g, base, top - 1), b = test_range(&g, a, top - 1);
                int64_t ka = (a - base) / 1000, kb = (b - base) / 1000;
                int64_t pa = pre[ka] * 1000 + open_s[ka] * ((a - base) % 1000);
                int64_t pb = pre[kb] * 1000 + open_s[kb] * ((b - base) % 1000);
                ck_assert_msg(el(c, a, b) == pb - pa, "%s: [%lld, %lld)", zones[z],
                              (long long)a, (long long)b);
                /* due: the first ms that completes pa + x */
                int64_t x = test_range(&g, 0, pre[WIN] * 1000 - pa), v = pa + x, want = a;
                if (x > 0) {
                    int lo = 0, hi = WIN - 1;
                    while (lo < hi) {
                        int mid = (lo + hi) / 2;
                        if (pre[mid + 1] * 1000 >= v)
                            hi = mid;
                        else
                            lo = mid + 1;
                    }
                    want = base + (int64_t)lo * 1000 + v - pre[lo] * 1000;
                }
                ck_assert_msg(due(c, a, x) == want, "%s: due(%lld, %lld)", zones[z],
                              (long long)a, (long long)x);
                int open;
                ck_assert_ok(kpi_calendar_is_open(c, a, &open));
                ck_assert_int_eq(open, open_s[ka]);
            }
            kpi_calendar_free(c);
        }
    }
    unsetenv("TZ");
#endif
}
END_TEST

/* ---- business time by hand ---------------------------------------------- */

START_TEST(a_full_week_of_nine_to_five_is_forty_hours_even_across_dst)
{
    kpi_calendar *c = mk("CET-1CEST,M3.5.0,M10.5.0/3");
    weekdays(c, 9, 17);
    ck_assert_int_eq(kpi_calendar_week_ms(c), 40 * H);
    /* Monday 2026-03-23 10:00 CET -> Monday 2026-03-30 10:00 CEST */
    ck_assert_int_eq(el(c, utc(2026, 3, 23, 9, 0), utc(2026, 3, 30, 8, 0)), 40 * H);
    ck_assert_int_eq(el(c, utc(2026, 3, 23, 9, 0), utc(2026, 3, 23, 9, 0)), 0);
    /* Saturday to Sunday: nothing */
    ck_assert_int_eq(el(c, utc(2026, 3, 28, 0, 0), utc(2026, 3, 29, 22, 0)), 0);
    /* a year: 52 weeks + Thursday 1 Jan 2026 = 261 working days */
    ck_assert_int_eq(el(c, utc(2025, 12, 31, 23, 0), utc(2026, 12, 31, 23, 0)),
                     261 * 8 * H);
    kpi_calendar_free(c);
}
END_TEST

START_TEST(split_shifts_skip_the_lunch_break)
{
    kpi_calendar *c = mk("CET-1CEST,M3.5.0,M10.5.0/3");
    for (int d = 1; d <= 5; d++) {
        ck_assert_ok(kpi_calendar_add_hours(c, d, 13 * 60, 17 * 60));
        ck_assert_ok(kpi_calendar_add_hours(c, d, 9 * 60, 12 * 60));
    }
    ck_assert_int_eq(kpi_calendar_week_ms(c), 35 * H);
    /* Monday 2026-01-05 11:00 -> 14:00 local: 1 h + 1 h */
    ck_assert_int_eq(el(c, utc(2026, 1, 5, 10, 0), utc(2026, 1, 5, 13, 0)), 2 * H);
    ck_assert_int_eq(el(c, utc(2026, 1, 5, 11, 0), utc(2026, 1, 5, 12, 0)), 0);
    /* Friday 2026-01-09 16:00 + 2 h -> Monday 10:00 local */
    ck_assert_int_eq(due(c, utc(2026, 1, 9, 15, 0), 2 * H), utc(2026, 1, 12, 9, 0));
    /* 1 h from 16:00 falls due at 17:00 on Friday, not on Monday */
    ck_assert_int_eq(due(c, utc(2026, 1, 9, 15, 0), 1 * H), utc(2026, 1, 9, 16, 0));
    /* 3 h from Monday 09:00 ends at 12:00 (before lunch) */
    ck_assert_int_eq(due(c, utc(2026, 1, 5, 8, 0), 3 * H), utc(2026, 1, 5, 11, 0));
    ck_assert_int_eq(due(c, utc(2026, 1, 5, 8, 0), 3 * H + 1), utc(2026, 1, 5, 12, 0) + 1);
    /* due(t, 0) is t, even when closed */
    ck_assert_int_eq(due(c, utc(2026, 1, 10, 3, 7), 0), utc(2026, 1, 10, 3, 7));
    int open;
    ck_assert_ok(kpi_calendar_is_open(c, utc(2026, 1, 5, 10, 0), &open));
    ck_assert_int_eq(open, 1);
    ck_assert_ok(kpi_calendar_is_open(c, utc(2026, 1, 5, 11, 30), &open));
    ck_assert_int_eq(open, 0);
    ck_assert_ok(kpi_calendar_is_open(c, utc(2026, 1, 5, 16, 0), &open));
    ck_assert_int_eq(open, 0); /* 17:00 local: closed */
    kpi_calendar_free(c);
}
END_TEST

START_TEST(holidays_across_new_year_and_a_half_day_on_christmas_eve)
{
    kpi_calendar *c = mk("CET-1CEST,M3.5.0,M10.5.0/3");
    weekdays(c, 9, 17);
    ck_assert_ok(kpi_calendar_add_holiday(c, 2027, 1, 1));
    ck_assert_ok(kpi_calendar_add_holiday(c, 2026, 12, 31));
    ck_assert_ok(kpi_calendar_add_closure(c, 2026, 12, 24, 12 * 60, 1440));
    /* Wed 2026-12-30 16:00 -> Mon 2027-01-04 10:00 local: 1 h + 1 h */
    ck_assert_int_eq(el(c, utc(2026, 12, 30, 15, 0), utc(2027, 1, 4, 9, 0)), 2 * H);
    ck_assert_int_eq(due(c, utc(2026, 12, 30, 15, 0), 2 * H), utc(2027, 1, 4, 9, 0));
    ck_assert_int_eq(due(c, utc(2026, 12, 30, 15, 0), 1 * H), utc(2026, 12, 30, 16, 0));
    /* Christmas Eve (Thursday) is open 09:00-12:00 only */
    ck_assert_int_eq(el(c, utc(2026, 12, 23, 23, 0), utc(2026, 12, 24, 23, 0)), 3 * H);
    ck_assert_int_eq(due(c, utc(2026, 12, 24, 10, 0), 2 * H), utc(2026, 12, 25, 9, 0));
    ck_assert_int_eq(due(c, utc(2026, 12, 24, 8, 0), 3 * H), utc(2026, 12, 24, 11, 0));
    int open;
    ck_assert_ok(kpi_calendar_is_open(c, utc(2026, 12, 24, 12, 0), &open));
    ck_assert_int_eq(open, 0);
    ck_assert_ok(kpi_calendar_is_open(c, utc(2026, 12, 31, 10, 0), &open));
    ck_assert_int_eq(open, 0);
    /* the year 2026 (Jan 1 2026 open, Dec 24 half, Dec 31 closed) */
    ck_assert_int_eq(el(c, utc(2025, 12, 31, 23, 0), utc(2026, 12, 31, 23, 0)),
                     261 * 8 * H - 5 * H - 8 * H);
    /* a partial closure in the middle of the day */
    ck_assert_ok(kpi_calendar_add_closure(c, 2026, 12, 28, 10 * 60, 11 * 60));
    ck_assert_int_eq(el(c, utc(2026, 12, 28, 7, 0), utc(2026, 12, 28, 17, 0)), 7 * H);
    ck_assert_int_eq(due(c, utc(2026, 12, 28, 8, 0), 1 * H), utc(2026, 12, 28, 9, 0));
    ck_assert_int_eq(due(c, utc(2026, 12, 28, 8, 0), 1 * H + 1), utc(2026, 12, 28, 10, 0) + 1);
    kpi_calendar_free(c);
}
END_TEST

START_TEST(the_missing_hour_is_not_worked_and_the_repeated_hour_counts_twice)
{
    kpi_calendar *c = mk("CET-1CEST,M3.5.0,M10.5.0/3");
    for (int d = 0; d < 7; d++)
        ck_assert_ok(kpi_calendar_add_hours(c, d, 0, 1440));
    /* local day 2026-03-29 lasts 23 h, 2026-10-25 lasts 25 h */
    ck_assert_int_eq(el(c, utc(2026, 3, 28, 23, 0), utc(2026, 3, 29, 22, 0)), 23 * H);
    ck_assert_int_eq(el(c, utc(2026, 10, 24, 22, 0), utc(2026, 10, 25, 23, 0)), 25 * H);
    kpi_calendar_free(c);

    c = mk("CET-1CEST,M3.5.0,M10.5.0/3");
    ck_assert_ok(kpi_calendar_add_hours(c, 0, 60, 240)); /* Sunday 01:00-04:00 */
    ck_assert_int_eq(el(c, utc(2026, 3, 28, 23, 0), utc(2026, 3, 29, 22, 0)), 2 * H);
    ck_assert_int_eq(el(c, utc(2026, 10, 24, 22, 0), utc(2026, 10, 25, 23, 0)), 4 * H);
    /* spring: 01:00 CET + 1 h = 02:00 CET = 03:00 CEST (01:00Z) */
    ck_assert_int_eq(due(c, utc(2026, 3, 29, 0, 0), 1 * H), utc(2026, 3, 29, 1, 0));
    ck_assert_int_eq(due(c, utc(2026, 3, 29, 0, 0), 2 * H), utc(2026, 3, 29, 2, 0));
    /* fall: from 01:00 CEST (23:00Z), 2 h reach the switch at 01:00Z (03:00
     * CEST becomes 02:00 CET); the repeated 02:00-03:00 CET is worked again */
    ck_assert_int_eq(due(c, utc(2026, 10, 24, 23, 0), 2 * H), utc(2026, 10, 25, 1, 0));
    ck_assert_int_eq(due(c, utc(2026, 10, 24, 23, 0), 3 * H), utc(2026, 10, 25, 2, 0));
    ck_assert_int_eq(due(c, utc(2026, 10, 24, 23, 0), 4 * H), utc(2026, 10, 25, 3, 0));
    kpi_calendar_free(c);

    c = mk("EST5EDT,M3.2.0,M11.1.0");
    for (int d = 0; d < 7; d++)
        ck_assert_ok(kpi_calendar_add_hours(c, d, 0, 1440));
    ck_assert_int_eq(el(c, utc(2026, 3, 8, 5, 0), utc(2026, 3, 9, 4, 0)), 23 * H);
    ck_assert_int_eq(el(c, utc(2026, 11, 1, 4, 0), utc(2026, 11, 2, 5, 0)), 25 * H);
    kpi_calendar_free(c);

    c = mk("AEST-10AEDT,M10.1.0,M4.1.0/3");
    for (int d = 0; d < 7; d++)
        ck_assert_ok(kpi_calendar_add_hours(c, d, 0, 1440));
    ck_assert_int_eq(el(c, utc(2026, 4, 4, 13, 0), utc(2026, 4, 5, 14, 0)), 25 * H);
    ck_assert_int_eq(el(c, utc(2026, 10, 3, 14, 0), utc(2026, 10, 4, 13, 0)), 23 * H);
    kpi_calendar_free(c);

    c = mk("JST-9");
    weekdays(c, 9, 18);
    /* Monday 2026-03-30 09:00 JST = 00:00Z */
    ck_assert_int_eq(el(c, utc(2026, 3, 30, 0, 0), utc(2026, 4, 6, 0, 0)), 45 * H);
    ck_assert_int_eq(due(c, utc(2026, 3, 30, 0, 0), 9 * H), utc(2026, 3, 30, 9, 0));
    kpi_calendar_free(c);
}
END_TEST

/* Opening hours that lie in the skipped hour, in the repeated hour, or that
 * end at 24:00 on a day whose midnight is the change. */
START_TEST(opening_hours_inside_the_skipped_and_the_repeated_hour)
{
    /* US: 2026-03-08 02:00 EST becomes 03:00 EDT (07:00Z); 2026-11-01
     * 02:00 EDT becomes 01:00 EST (06:00Z) */
    kpi_calendar *c = mk("EST5EDT,M3.2.0,M11.1.0");
    ck_assert_ok(kpi_calendar_add_hours(c, 0, 120, 180)); /* Sunday 02:00-03:00 */
    ck_assert_int_eq(el(c, utc(2026, 3, 7, 12, 0), utc(2026, 3, 9, 12, 0)), 0);
    ck_assert_int_eq(el(c, utc(2026, 3, 14, 12, 0), utc(2026, 3, 16, 12, 0)), H);
    ck_assert_int_eq(due(c, utc(2026, 3, 7, 12, 0), 30 * M), utc(2026, 3, 15, 6, 30));
    ck_assert_int_eq(due(c, utc(2026, 3, 7, 12, 0), H), utc(2026, 3, 15, 7, 0));
    /* fall: 02:00-03:00 EST happens once, 07:00Z-08:00Z */
    ck_assert_int_eq(el(c, utc(2026, 10, 31, 12, 0), utc(2026, 11, 2, 12, 0)), H);
    ck_assert_int_eq(due(c, utc(2026, 10, 31, 12, 0), H), utc(2026, 11, 1, 8, 0));
    kpi_calendar_free(c);

    c = mk("EST5EDT,M3.2.0,M11.1.0");
    ck_assert_ok(kpi_calendar_add_hours(c, 0, 60, 120)); /* Sunday 01:00-02:00 */
    /* fall: 01:00-02:00 EDT (05:00Z-06:00Z) then EST (06:00Z-07:00Z) */
    ck_assert_int_eq(el(c, utc(2026, 10, 31, 12, 0), utc(2026, 11, 2, 12, 0)), 2 * H);
    ck_assert_int_eq(due(c, utc(2026, 10, 31, 12, 0), H), utc(2026, 11, 1, 6, 0));
    ck_assert_int_eq(due(c, utc(2026, 10, 31, 12, 0), 90 * M), utc(2026, 11, 1, 6, 30));
    ck_assert_int_eq(due(c, utc(2026, 10, 31, 12, 0), 2 * H), utc(2026, 11, 1, 7, 0));
    ck_assert_int_eq(due(c, utc(2026, 11, 1, 5, 30), H), utc(2026, 11, 1, 6, 30));
    int open;
    ck_assert_ok(kpi_calendar_is_open(c, utc(2026, 11, 1, 6, 30), &open));
    ck_assert_int_eq(open, 1);
    ck_assert_ok(kpi_calendar_is_open(c, utc(2026, 11, 1, 7, 0), &open));
    ck_assert_int_eq(open, 0);
    /* spring: 01:00-02:00 EST exists once, 06:00Z-07:00Z */
    ck_assert_int_eq(el(c, utc(2026, 3, 7, 12, 0), utc(2026, 3, 9, 12, 0)), H);
    kpi_calendar_free(c);

    /* Saturday 22:00-24:00 and Sunday 00:00-02:00 where the change is at
     * Saturday 24:00: in September (to UTC-3) Sunday 00:00-01:00 does not
     * exist, in April (to UTC-4) Saturday 23:00-24:00 happens twice */
    c = mk("<-04>4<-03>,M9.1.6/24,M4.1.6/24");
    ck_assert_ok(kpi_calendar_add_hours(c, 6, 22 * 60, 1440));
    ck_assert_ok(kpi_calendar_add_hours(c, 0, 0, 120));
    /* 2026-09-06 04:00Z: Saturday 24:00 -04 = Sunday 01:00 -03 */
    ck_assert_int_eq(el(c, utc(2026, 9, 5, 12, 0), utc(2026, 9, 7, 12, 0)), 3 * H);
    ck_assert_int_eq(due(c, utc(2026, 9, 5, 12, 0), 2 * H), utc(2026, 9, 6, 4, 0));
    ck_assert_int_eq(due(c, utc(2026, 9, 5, 12, 0), 2 * H + 1), utc(2026, 9, 6, 4, 0) + 1);
    ck_assert_int_eq(due(c, utc(2026, 9, 5, 12, 0), 3 * H), utc(2026, 9, 6, 5, 0));
    int32_t y, mo, d, wd, ms;
    ck_assert_ok(kpi_calendar_local_time(c, utc(2026, 9, 6, 4, 0), &y, &mo, &d, &wd, &ms));
    ck_assert(d == 6 && wd == 0 && ms == H);
    /* 2026-04-05 03:00Z: Sunday 00:00 -03 = Saturday 23:00 -04 */
    ck_assert_int_eq(el(c, utc(2026, 4, 4, 12, 0), utc(2026, 4, 5, 4, 0)), 3 * H);
    ck_assert_int_eq(el(c, utc(2026, 4, 4, 12, 0), utc(2026, 4, 6, 12, 0)), 5 * H);
    ck_assert_int_eq(due(c, utc(2026, 4, 4, 12, 0), 2 * H), utc(2026, 4, 5, 3, 0));
    ck_assert_int_eq(due(c, utc(2026, 4, 4, 12, 0), 3 * H), utc(2026, 4, 5, 4, 0));
    ck_assert_int_eq(due(c, utc(2026, 4, 4, 12, 0), 4 * H), utc(2026, 4, 5, 5, 0));
    kpi_calendar_free(c);
}
END_TEST

/* Holidays on a weekend, on consecutive days, repeated, and in the first
 * and last accepted years. */
START_TEST(holidays_on_weekends_consecutive_repeated_and_far_away)
{
    kpi_calendar *c = mk("CET-1CEST,M3.5.0,M10.5.0/3");
    weekdays(c, 9, 17);
    /* Friday 25, Saturday 26 and Monday 28 December 2026 */
    ck_assert_ok(kpi_calendar_add_holiday(c, 2026, 12, 26));
    ck_assert_ok(kpi_calendar_add_holiday(c, 2026, 12, 28));
    ck_assert_ok(kpi_calendar_add_holiday(c, 2026, 12, 25));
    size_t len;
    unsigned char *b = calendar_bytes(c, &len);
    ck_assert_status(kpi_calendar_add_holiday(c, 2026, 12, 26), KPI_ERR_DUPLICATE);
    ck_assert_status(kpi_calendar_add_closure(c, 2026, 12, 28, 600, 700), KPI_ERR_DUPLICATE);
    calendar_unchanged(c, b, len);
    free(b);
    /* Thursday 24 17:00 local -> Tuesday 29 10:00 local: one hour */
    ck_assert_int_eq(el(c, utc(2026, 12, 24, 16, 0), utc(2026, 12, 29, 9, 0)), H);
    ck_assert_int_eq(due(c, utc(2026, 12, 24, 16, 0), H), utc(2026, 12, 29, 9, 0));
    ck_assert_int_eq(due(c, utc(2026, 12, 24, 15, 0), H), utc(2026, 12, 24, 16, 0));
    ck_assert_int_eq(due(c, utc(2026, 12, 24, 15, 0), H + 1), utc(2026, 12, 29, 8, 0) + 1);
    /* the week of Monday 21 December: four days; a Saturday holiday
     * removes nothing */
    ck_assert_int_eq(el(c, utc(2026, 12, 20, 23, 0), utc(2026, 12, 27, 23, 0)), 32 * H);
    ck_assert_int_eq(el(c, utc(2026, 12, 25, 23, 0), utc(2026, 12, 26, 23, 0)), 0);
    kpi_calendar_free(c);

    /* Friday 31 December 9999, Monday 1 and Tuesday 2 January 0001 */
    c = mk("CET-1CEST,M3.5.0,M10.5.0/3");
    weekdays(c, 9, 17);
    ck_assert_ok(kpi_calendar_add_holiday(c, 9999, 12, 31));
    ck_assert_ok(kpi_calendar_add_holiday(c, 1, 1, 1));
    ck_assert_ok(kpi_calendar_add_holiday(c, 1, 1, 2));
    ck_assert_status(kpi_calendar_add_holiday(c, 10000, 1, 1), KPI_ERR_RANGE);
    int64_t mon = t_days(9999, 12, 27) * D - H; /* local midnight */
    ck_assert_int_eq(el(c, mon, mon + 7 * D), 32 * H);
    ck_assert_int_eq(due(c, mon + 3 * D + 16 * H, H), mon + 3 * D + 17 * H);
    /* Thursday 16:30 + 1 h: Monday 3 January 10000, 09:30 */
    ck_assert_int_eq(due(c, mon + 3 * D + 16 * H + 30 * M, H), mon + 7 * D + 9 * H + 30 * M);
    mon = t_days(1, 1, 1) * D - H;
    ck_assert_int_eq(el(c, mon, mon + 7 * D), 24 * H);
    ck_assert_int_eq(due(c, mon, 8 * H), mon + 2 * D + 17 * H);
    kpi_calendar_free(c);
}
END_TEST

/* Spans of many thousand years at both ends of the accepted range: an
 * always-open calendar counts real time exactly (every real ms is open),
 * and one ms beyond the range is a named error. */
START_TEST(spans_of_millennia_at_the_ends_of_the_range)
{
    const int64_t tm = KPI_CALENDAR_MAX_TIME, span = 20000 * 365 * D;
    const char *zones[] = {"CET-1CEST,M3.5.0,M10.5.0/3", "AEST-10AEDT,M10.1.0,M4.1.0/3"};
    for (size_t z = 0; z < 2; z++) {
        kpi_calendar *c = mk(zones[z]);
        for (int d = 0; d < 7; d++)
            ck_assert_ok(kpi_calendar_add_hours(c, d, 0, 1440));
        ck_assert_int_eq(el(c, tm - span, tm), span);
        ck_assert_int_eq(el(c, -tm, -tm + span), span);
        ck_assert_int_eq(due(c, tm - span, span), tm);
        ck_assert_int_eq(due(c, -tm, span), -tm + span);
        int64_t v = 3;
        ck_assert_status(kpi_calendar_due(c, tm - span, span + 1, &v), KPI_ERR_RANGE);
        ck_assert_status(kpi_calendar_due(c, tm, 1, &v), KPI_ERR_RANGE);
        ck_assert_status(kpi_calendar_due(c, -tm - 1, 0, &v), KPI_ERR_RANGE);
        ck_assert_status(kpi_calendar_elapsed(c, -tm - 1, 0, &v), KPI_ERR_RANGE);
        ck_assert_status(kpi_calendar_elapsed(c, 0, INT64_MAX, &v), KPI_ERR_RANGE);
        ck_assert_status(kpi_calendar_elapsed(c, INT64_MIN, INT64_MAX, &v), KPI_ERR_RANGE);
        ck_assert_status(kpi_calendar_due(c, INT64_MIN, 1, &v), KPI_ERR_RANGE);
        ck_assert_status(kpi_calendar_due(c, 0, INT64_MIN, &v), KPI_ERR_RANGE);
        ck_assert_int_eq(v, 3);
        kpi_calendar_free(c);
    }
}
END_TEST

START_TEST(no_opening_hours_means_zero_elapsed_and_never_due)
{
    kpi_calendar *c = mk("UTC0");
    ck_assert_int_eq(el(c, 0, 1000 * D), 0);
    int64_t v = 42;
    ck_assert_status(kpi_calendar_due(c, 0, 1, &v), KPI_ERR_EMPTY);
    ck_assert_int_eq(v, 42);
    /* calendar.h: no opening hours and business_ms > 0 is KPI_ERR_EMPTY
     * (never due), for any size of target: one above 2 x MAX_TIME
     * (INT64_MAX, or 2 * 8.64e15 + 1) is never due either */
    ck_assert_status(kpi_calendar_due(c, 0, INT64_MAX, &v), KPI_ERR_EMPTY);
    ck_assert_status(kpi_calendar_due(c, 0, 2 * KPI_CALENDAR_MAX_TIME + 1, &v), KPI_ERR_EMPTY);
    ck_assert_int_eq(v, 42);
    ck_assert_int_eq(due(c, 5, 0), 5);
    kpi_calendar_free(c);
}
END_TEST

/* ---- naive reference ---------------------------------------------------- */

/* Offsets by hand: EU (01:00Z on the last Sundays of March and October). */
static int last_sunday(int y, int m)
{
    int md = m == 3 ? 31 : 31;
    for (int d = md; d > 0; d--)
        if ((t_days(y, m, d) + 4) % 7 == 0)
            return d;
    return 0;
}

static int64_t eu_offset(int64_t t, int y)
{
    int64_t s = utc(y, 3, last_sunday(y, 3), 1, 0), e = utc(y, 10, last_sunday(y, 10), 1, 0);
    return t >= s && t < e ? 2 * H : H;
}

typedef struct ref {
    int open[7][1440]; /* minute open? */
    int64_t closed_from[64], closed_to[64]; /* local ms intervals */
    int ncl;
} ref;

static int ref_open(const ref *r, int64_t t, int y)
{
    int64_t x = t + eu_offset(t, y);
    int64_t day = x >= 0 ? x / D : -((-x + D - 1) / D);
    int wd = (int)(((day + 4) % 7 + 7) % 7);
    int minute = (int)((x - day * D) / M);
    if (!r->open[wd][minute])
        return 0;
    for (int i = 0; i < r->ncl; i++)
        if (x >= r->closed_from[i] && x < r->closed_to[i])
            return 0;
    return 1;
}

START_TEST(a_year_equals_the_naive_minute_by_minute_walk)
{
    kpi_calendar *c = mk("CET-1CEST,M3.5.0,M10.5.0/3");
    static ref r;
    memset(&r, 0, sizeof r);
    const int hours[][3] = {{1, 9 * 60, 12 * 60}, {1, 13 * 60, 17 * 60},
                            {2, 8 * 60, 18 * 60}, {3, 0, 1440}, {4, 9 * 60, 17 * 60},
                            {5, 9 * 60, 12 * 60}, {0, 90, 200}, {6, 22 * 60, 1440}};
    for (size_t i = 0; i < sizeof hours / sizeof *hours; i++) {
        ck_assert_ok(kpi_calendar_add_hours(c, hours[i][0], hours[i][1], hours[i][2]));
        for (int m = hours[i][1]; m < hours[i][2]; m++)
            r.open[hours[i][0]][m] = 1;
    }
    const int hol[][5] = {{2026, 1, 1, 0, 1440}, {2026, 4, 6, 0, 1440},
                          {2026, 5, 1, 0, 1440}, {2026, 12, 24, 720, 1440},
                          {2026, 12, 25, 0, 1440}, {2026, 7, 14, 600, 660},
                          {2026, 3, 29, 0, 1440}, {2026, 10, 28, 0, 120}};
    for (size_t i = 0; i < sizeof hol / sizeof *hol; i++) {
        ck_assert_ok(kpi_calendar_add_closure(c, hol[i][0], hol[i][1], hol[i][2],
                                              hol[i][3], hol[i][4]));
        int64_t d0 = t_days(hol[i][0], hol[i][1], hol[i][2]) * D;
        r.closed_from[r.ncl] = d0 + hol[i][3] * M;
        r.closed_to[r.ncl++] = d0 + hol[i][4] * M;
    }
    int64_t a = utc(2026, 1, 1, 0, 0) - H, b = utc(2027, 1, 1, 0, 0) - H;
    int64_t naive = 0, day_sum = 0;
    int64_t day_start = a;
    for (int64_t t = a; t < b; t += M) {
        naive += ref_open(&r, t, 2026) ? M : 0;
        if ((t - a) % D == D - M) {
            day_sum += el(c, day_start, t + M);
            day_start = t + M;
        }
    }
    ck_assert_int_eq(el(c, a, b), naive);
    ck_assert_int_eq(day_sum, naive);
    /* and random minute-aligned sub-spans against the same walk */
    test_rng g = {11};
    for (int i = 0; i < 40; i++) {
        int64_t x = a + test_range(&g, 0, 360 * 1440) * M;
        int64_t y = x + test_range(&g, 0, 4 * 1440) * M;
        int64_t n = 0;
        for (int64_t t = x; t < y; t += M)
            n += ref_open(&r, t, 2026) ? M : 0;
        ck_assert_int_eq(el(c, x, y), n);
    }
    kpi_calendar_free(c);
}
END_TEST

/* ---- properties --------------------------------------------------------- */

static kpi_calendar *random_calendar(test_rng *g, const char *tz)
{
    kpi_calendar *c = mk(tz);
    for (int d = 0; d < 7; d++) {
        int m = (int)test_range(g, 0, 200);
        while (m < 1440) {
            int len = (int)test_range(g, 1, 600);
            int e = m + len > 1440 ? 1440 : m + len;
            if (test_range(g, 0, 3) > 0)
                ck_assert_ok(kpi_calendar_add_hours(c, d, m, e));
            m = e + (int)test_range(g, 0, 400);
        }
    }
    for (int i = 0; i < 30; i++) {
        int y = (int)test_range(g, 2025, 2028), mo = (int)test_range(g, 1, 12);
        int dd = (int)test_range(g, 1, 28);
        int rc = test_range(g, 0, 1) ? kpi_calendar_add_holiday(c, y, mo, dd)
                                     : kpi_calendar_add_closure(c, y, mo, dd,
                                                                (int)test_range(g, 0, 700),
                                                                (int)test_range(g, 701, 1440));
        ck_assert(rc == KPI_OK || rc == KPI_ERR_DUPLICATE);
    }
    return c;
}

START_TEST(due_inverts_elapsed_for_random_starts_and_targets)
{
    const char *zones[] = {"CET-1CEST,M3.5.0,M10.5.0/3", "EST5EDT,M3.2.0,M11.1.0",
                           "AEST-10AEDT,M10.1.0,M4.1.0/3", "NZST-12NZDT,M9.5.0,M4.1.0/3",
                           "JST-9", "<-03>3", "XXX3YYY,J60/25,300/-3"};
    test_rng g = {3};
    for (size_t z = 0; z < sizeof zones / sizeof *zones; z++) {
        kpi_calendar *c = random_calendar(&g, zones[z]);
        for (int i = 0; i < 2000; i++) {
            int64_t t = i % 4 == 0 ? test_range(&g, utc(1950, 1, 1, 0, 0), utc(2150, 1, 1, 0, 0))
                                   : test_range(&g, utc(2025, 1, 1, 0, 0), utc(2028, 12, 1, 0, 0));
            int64_t x = i % 5 == 0 ? test_range(&g, 0, 3 * H) : test_range(&g, 0, 60 * 24 * H);
            if (i % 7 == 0)
                x = test_range(&g, 0, 2000) * H; /* whole hours: hit closing times */
            int64_t d = due(c, t, x);
            ck_assert_int_ge(d, t);
            ck_assert_msg(el(c, t, d) == x, "%s: t=%lld x=%lld", zones[z], (long long)t,
                          (long long)x);
            if (x > 0)
                ck_assert_int_lt(el(c, t, d - 1), x); /* the earliest such instant */
        }
        kpi_calendar_free(c);
    }
}
END_TEST

START_TEST(elapsed_is_monotone_and_additive)
{
    const char *zones[] = {"CET-1CEST,M3.5.0,M10.5.0/3", "EST5EDT,M3.2.0,M11.1.0",
                           "NZST-12NZDT,M9.5.0,M4.1.0/3", "JST-9"};
    test_rng g = {5};
    for (size_t z = 0; z < sizeof zones / sizeof *zones; z++) {
        kpi_calendar *c = random_calendar(&g, zones[z]);
        for (int i = 0; i < 3000; i++) {
            int64_t lo = i % 3 == 0 ? utc(1960, 1, 1, 0, 0) : utc(2025, 1, 1, 0, 0);
            int64_t a = test_range(&g, lo, utc(2140, 1, 1, 0, 0));
            if (i % 3)
                a = test_range(&g, lo, utc(2028, 6, 1, 0, 0));
            int64_t span = i % 2 ? 400 * D : 20 * D;
            int64_t b = a + test_range(&g, 0, span), cc = b + test_range(&g, 0, span);
            int64_t ab = el(c, a, b), bc = el(c, b, cc), ac = el(c, a, cc);
            ck_assert_int_eq(ab + bc, ac);
            ck_assert_int_le(ab, ac);
            ck_assert_int_ge(ab, 0);
            ck_assert_int_le(ab, b - a + 2 * H); /* never much more than real time */
        }
        kpi_calendar_free(c);
    }
}
END_TEST

/* ---- against POSIX rules worked out by hand (tests/tzref.h) ------------- */

/* Random opening hours into c and r: split shifts, ranges that touch,
 * days open from midnight or to midnight (a shift across midnight is two
 * ranges), whole days; then, in years y0..y0+4 when they take closures,
 * closures (whole days and parts) on random dates and on the local dates
 * around each clock change, where the skipped and the repeated hours
 * lie. */
static kpi_calendar *paired_calendar(test_rng *g, const char *tz, tzr_cal *r, int y0)
{
    kpi_calendar *c = mk(tz);
    tzr_init(r, tz);
    for (int d = 0; d < 7; d++) {
        int kind = (int)test_range(g, 0, 5), m = kind == 1 ? 0 : (int)test_range(g, 0, 300);
        while (kind > 0 && m < 1440) {
            int e = kind == 1 ? 1440 : m + (int)test_range(g, 1, 400);
            e = e > 1440 || test_range(g, 0, 6) == 0 ? 1440 : e;
            tzr_pair_hours(c, r, d, m, e);
            m = test_range(g, 0, 3) == 0 ? e : e + (int)test_range(g, 1, 300);
        }
    }
    if (y0 < 1 || y0 + 4 > 9999) /* closures take the years 1..9999 */
        return c;
    for (int i = 0; i < 40; i++) {
        int64_t day = test_range(g, tzr_jan1(y0), tzr_jan1(y0 + 5) - 1);
        int from = (int)test_range(g, 0, 1439), to = (int)test_range(g, from + 1, 1440);
        tzr_pair_closure(c, r, day, i % 2 ? 0 : from, i % 2 ? 1440 : to);
    }
    for (int y = y0; r->zone.has_dst && y <= y0 + 4; y++)
        for (int i = 0; i < 2; i++) {
            int64_t day = tzr_fdiv(tzr_change(&r->zone, i, y) + r->zone.std * INT64_C(1000), D);
            for (int64_t k = day - 2; k <= day + 2; k++) {
                int whole = test_range(g, 0, 2) == 0, from = (int)test_range(g, 0, 300);
                if (whole || test_range(g, 0, 1) == 0)
                    tzr_pair_closure(c, r, k, whole ? 0 : from,
                                     whole ? 1440 : (int)test_range(g, from + 1, 1440));
            }
        }
    return c;
}

/* An instant in [lo, hi]: anywhere, on a whole local minute, at an
 * opening or closing time, at the start or end of a closure, or within
 * hours of a clock change. */
static int64_t draw_instant(test_rng *g, const tzr_cal *r, int64_t lo, int64_t hi)
{
    int64_t t = test_range(g, lo, hi);
    int kind = (int)test_range(g, 0, 5);
    int64_t x = t + tzr_offset(&r->zone, t) * INT64_C(1000), day = tzr_fdiv(x, D);
    if (kind == 1) {
        t -= x - tzr_fdiv(x, M) * M;
    } else if (kind == 2) { /* the day's first edge of hours from a random minute */
        int wd = tzr_wday(day), m = (int)test_range(g, 1, 1439);
        while (m < 1439 && r->open[wd][m] == r->open[wd][m - 1])
            m++;
        t += day * D + m * M - x;
    } else if (kind == 3 && r->n > 0) {
        int k = (int)test_range(g, 0, r->n - 1);
        int64_t edge = r->day[k] * D + (test_range(g, 0, 1) ? r->from[k] : r->to[k]) * M;
        t = edge - tzr_offset(&r->zone, edge - r->zone.std * INT64_C(1000)) * INT64_C(1000);
    } else if (kind >= 4 && r->zone.has_dst) {
        t = tzr_change(&r->zone, (int)test_range(g, 0, 1), tzr_year_of(day)) +
            test_range(g, -3, 3) * H + test_range(g, -2, 2) * (test_range(g, 0, 1) ? M : 1);
    }
    return t < lo ? lo : t > hi ? hi : t;
}

/* elapsed(), due(), is_open(), utc_offset() and local_time() of random
 * calendars against the reference, in zones with daylight saving north
 * and south, half-hour and 2-hour DST, negative DST, changes at odd
 * times (00:01, 02:45, 24:00, 26:00, -05:30, 167 h, with seconds),
 * offsets of hours and seconds up to 24:59:59, DST 48 hours behind
 * standard time, Jn and n rules, all-year DST and changes that tie: in
 * 2024..2028, around the start (1970) and end (2101) of libkpi's table of
 * changes, and at both ends of the accepted range, where a due or an
 * instant beyond it is KPI_ERR_RANGE. */
START_TEST(business_time_agrees_with_posix_rules_worked_out_by_hand)
{
    const char *zones[] = {"CET-1CEST,M3.5.0,M10.5.0/3", "AEST-10AEDT,M10.1.0,M4.1.0/3",
                           "NST3:30NDT,M3.2.0/0:01,M11.1.0/0:01",
                           "<+1030>-10:30<+11>-11,M10.1.0,M4.1.0",
                           "<+1245>-12:45<+1345>,M9.5.0/2:45,M4.1.0/3:45",
                           "<+00>0<+02>-2,M3.5.0/1,M10.5.0/3", "IST-1GMT0,M10.5.0,M3.5.0/1",
                           "<-0330>3:30<-0230>2:30:15,M3.2.0/-5:30,M11.1.0/30",
                           "AAA-14BBB-15,M3.5.0/2:30:30,M10.5.0/1:15",
                           "<-04>4<-03>,M9.1.6/24,M4.1.6/24", "IST-2IDT,M3.4.4/26,M10.5.0",
                           "AAA24BBB-24,M3.5.0/0,M10.5.0/0",
                           "ABC-5:45:30DEF-6,M4.5.6/167,M9.1.0/-100", "XXX3YYY,J60/25,300/-3",
                           "<+14>-14", "AAA-24:59:59", "EST5EDT,0/0,J365/25",
                           "AAA3BBB,M2.4.0/0,M2.5.0/1"};
    const int first_year[] = {2024, 1966, 2097, 275756, -271821};
    const int64_t tmax = KPI_CALENDAR_MAX_TIME;
    static tzr_cal r;
    test_rng g = {43};
    for (size_t z = 0; z < sizeof zones / sizeof *zones; z++)
        for (size_t w = 0; w < sizeof first_year / sizeof *first_year; w++) {
            kpi_calendar *c = paired_calendar(&g, zones[z], &r, first_year[w]);
            int64_t lo = tzr_jan1(first_year[w]) * D, hi = tzr_jan1(first_year[w] + 5) * D;
            lo = lo < -tmax ? -tmax : lo;
            hi = hi > tmax ? tmax : hi;
            for (int i = 0; i < 60; i++) {
                int64_t a = draw_instant(&g, &r, lo, hi), span = i % 4 ? 3 * D : 20 * D;
                int64_t b = i % 8 == 0 ? a : draw_instant(&g, &r, a, hi - a > span ? a + span : hi);
                if (i % 3 == 1 && r.zone.has_dst) { /* across a clock change */
                    int64_t T = tzr_change(&r.zone, i % 2, tzr_year_of(tzr_fdiv(a, D)));
                    a = T - test_range(&g, 0, 2 * D), b = T + test_range(&g, 0, 2 * D);
                    a = a < lo ? lo : a > hi ? hi : a, b = b < a ? a : b > hi ? hi : b;
                }
                int64_t want = tzr_walk(&r, a, b, -1, NULL);
                ck_assert_msg(el(c, a, b) == want, "%s: elapsed(%lld, %lld) = %lld, not %lld",
                              zones[z], (long long)a, (long long)b, (long long)el(c, a, b),
                              (long long)want);
                /* due: the earliest instant that completes x; when the
                 * walk reaches the end of the range first, none */
                int64_t x = i % 3 ? test_range(&g, 0, want) : test_range(&g, 0, 40 * H);
                x = i % 5 == 0 ? want : x; /* completed at b: an edge, often */
                int64_t bound = hi - a > 60 * D ? a + 60 * D : hi, at, v = 5;
                tzr_walk(&r, a, bound, x, &at);
                int rc = kpi_calendar_due(c, a, x, &v);
                if (at != INT64_MIN)
                    ck_assert_msg(rc == KPI_OK && v == at, "%s: due(%lld, %lld) = %lld, not %lld",
                                  zones[z], (long long)a, (long long)x, (long long)v,
                                  (long long)at);
                else if (bound == tmax)
                    ck_assert_msg(rc == KPI_ERR_RANGE && v == 5, "%s: due(%lld, %lld) past it",
                                  zones[z], (long long)a, (long long)x);
                else
                    ck_assert(rc == KPI_OK && v > bound);
                ck_assert_status(kpi_calendar_elapsed(c, a, hi + 1, &v),
                                 hi == tmax ? KPI_ERR_RANGE : KPI_OK);
                ck_assert_status(kpi_calendar_elapsed(c, lo - 1, a, &v),
                                 lo == -tmax ? KPI_ERR_RANGE : KPI_OK);
                int open;
                ck_assert_ok(kpi_calendar_is_open(c, a, &open));
                ck_assert_int_eq(open, tzr_walk(&r, a, a + 1, -1, NULL));
                int32_t o = tzr_offset(&r.zone, a), y, mo, d, wd, ms;
                ck_assert_int_eq(off(c, a), o);
                ck_assert_ok(kpi_calendar_local_time(c, a, &y, &mo, &d, &wd, &ms));
                int64_t x_local = a + o * INT64_C(1000), day = tzr_fdiv(x_local, D);
                int ry, rm, rd;
                tzr_civil(day, &ry, &rm, &rd);
                ck_assert(y == ry && mo == rm && d == rd && wd == tzr_wday(day) &&
                          ms == x_local - day * D);
            }
            kpi_calendar_free(c);
        }
}
END_TEST

/* Adding a date updates only what that date changes (its later dates'
 * sums and the clock changes around it); a decoded copy sums everything
 * again from scratch.  Both must read alike after closures added in any
 * order, many on or next to the days the clocks change. */
START_TEST(dates_added_in_any_order_read_as_a_calendar_summed_from_scratch)
{
    const char *zones[] = {"CET-1CEST,M3.5.0,M10.5.0/3", "NZST-12NZDT,M9.5.0,M4.1.0/3",
                           "EST5EDT,M3.2.0,M11.1.0", "JST-9"};
    test_rng g = {29};
    for (size_t z = 0; z < sizeof zones / sizeof *zones; z++) {
        kpi_calendar *c = mk(zones[z]);
        weekdays(c, 0, 24);
        ck_assert_ok(kpi_calendar_add_hours(c, 0, 60, 200)); /* Sunday 01:00-03:20 */
        /* local dates as days since 1970 with closing windows: random
         * dates, then the days around each clock change with windows in
         * the early hours where the clocks move (open on Sundays) */
        static int64_t day[1000][3];
        size_t n = 0;
        for (; n < 500; n++) {
            day[n][0] = test_range(&g, t_days(2024, 1, 1), t_days(2030, 1, 1) - 1);
            day[n][1] = test_range(&g, 0, 1439);
            day[n][2] = n % 3 ? test_range(&g, day[n][1] + 1, 1440) : -1; /* -1: holiday */
        }
        for (int64_t d = t_days(2024, 1, 1); d < t_days(2030, 1, 1); d++)
            if (off(c, d * D) != off(c, d * D + D))
                for (int64_t k = d - 1; k <= d + 1; k++, n++) {
                    day[n][0] = k;
                    day[n][1] = test_range(&g, 0, 200);
                    day[n][2] = test_range(&g, day[n][1] + 1, 300);
                }
        for (size_t i = n; i > 1; i--) { /* shuffled */
            size_t j = (size_t)test_range(&g, 0, (int64_t)i - 1);
            for (int f = 0; f < 3; f++) {
                int64_t t = day[i - 1][f];
                day[i - 1][f] = day[j][f];
                day[j][f] = t;
            }
        }
        for (size_t i = 0; i < n; i++) {
            time_t secs = (time_t)(day[i][0] * 86400);
            struct tm tm;
            gmtime_r(&secs, &tm);
            int y = tm.tm_year + 1900, mo = tm.tm_mon + 1, dd = tm.tm_mday;
            int rc = day[i][2] < 0 ? kpi_calendar_add_holiday(c, y, mo, dd)
                                   : kpi_calendar_add_closure(c, y, mo, dd, (int)day[i][1],
                                                              (int)day[i][2]);
            ck_assert(rc == KPI_OK || rc == KPI_ERR_DUPLICATE);
        }
        kpi_calendar *fresh = calendar_reread(c);
        for (int i = 0; i < 4000; i++) {
            int64_t a = test_range(&g, utc(2023, 12, 1, 0, 0), utc(2030, 2, 1, 0, 0));
            int64_t b = a + test_range(&g, 0, i % 2 ? 3 * D : 400 * D);
            ck_assert_int_eq(el(c, a, b), el(fresh, a, b));
            int64_t x = test_range(&g, 0, 30 * D);
            ck_assert_int_eq(due(c, a, x), due(fresh, a, x));
        }
        kpi_calendar_free(fresh);
        kpi_calendar_free(c);
    }
}
END_TEST

START_TEST(spans_across_the_edges_of_the_transition_table_stay_exact)
{
    /* the per-object table covers 1970..2100; beyond, rules are evaluated
     * year by year: both must agree where they meet */
    kpi_calendar *c = mk("CET-1CEST,M3.5.0,M10.5.0/3");
    for (int d = 0; d < 7; d++)
        ck_assert_ok(kpi_calendar_add_hours(c, d, 0, 1440));
    const int64_t edges[] = {0, utc(2101, 1, 1, 0, 0)};
    for (int i = 0; i < 2; i++) {
        int64_t e = edges[i];
        for (int64_t span = H; span <= 800 * D; span *= 3) {
            int64_t a = e - span, b = e + span;
            ck_assert_int_eq(el(c, a, b), el(c, a, e) + el(c, e, b));
            ck_assert_int_eq(el(c, a, e - 1) + el(c, e - 1, b), el(c, a, b));
            /* open all the time: business time = real time, +-1 h per
             * unbalanced transition */
            ck_assert_int_le(llabs(el(c, a, b) - (b - a)), H);
            ck_assert_int_eq(due(c, a, el(c, a, b)), b);
        }
    }
    /* a whole year of an always-open calendar is its real length */
    ck_assert_int_eq(el(c, utc(1950, 1, 1, 0, 0), utc(1951, 1, 1, 0, 0)), 365 * D);
    ck_assert_int_eq(el(c, utc(2150, 1, 1, 0, 0), utc(2151, 1, 1, 0, 0)), 365 * D);
    ck_assert_int_eq(el(c, utc(2050, 1, 1, 0, 0), utc(2051, 1, 1, 0, 0)), 365 * D);
    kpi_calendar_free(c);
}
END_TEST

/* Rules whose changes are years apart or out of order from one year to
 * the next.  Business time of an always-open calendar is real time. */
START_TEST(changes_years_apart_or_out_of_year_order_are_all_found)
{
    /* M2.4.0/0 and M2.5.0/1 (01:00 DST = 00:00 std) name the same instant
     * unless February has five Sundays (29 February a Sunday: 2004, 2032,
     * 2060, 2088, 2128); a tie is DST, so standard time runs only from
     * that 29 February (03:00Z) to the fourth Sunday of February next year */
    kpi_calendar *c = mk("AAA3BBB,M2.4.0/0,M2.5.0/1");
    changes_at(c, utc(2060, 2, 29, 3, 0), -7200, -10800);
    changes_at(c, utc(2061, 2, 27, 3, 0), -10800, -7200);
    for (int d = 0; d < 7; d++)
        ck_assert_ok(kpi_calendar_add_hours(c, d, 0, 1440));
    int64_t a = utc(2040, 1, 1, 0, 0), b = utc(2060, 6, 1, 0, 0);
    ck_assert_int_eq(el(c, a, b), b - a);
    ck_assert_int_eq(due(c, a, b - a), b);
    a = utc(2090, 1, 1, 0, 0);
    b = utc(2128, 6, 1, 0, 0);
    ck_assert_int_eq(el(c, a, b), b - a);
    kpi_calendar_free(c);
    /* 59 (29 February or 1 March) at 00:00 std and J60 (1 March) at 01:00
     * DST: the same instant (DST) except in leap years, when standard time
     * runs from 1 March (03:00Z) for a year; none from 2097 to 2104 */
    c = mk("AAA3BBB,59/0,J60/1");
    changes_at(c, utc(2104, 3, 1, 3, 0), -7200, -10800);
    for (int d = 0; d < 7; d++)
        ck_assert_ok(kpi_calendar_add_hours(c, d, 0, 1440));
    a = utc(2098, 1, 1, 0, 0);
    b = utc(2105, 1, 1, 0, 0);
    ck_assert_int_eq(el(c, a, b), b - a);
    ck_assert_int_eq(el(c, a, b), el(c, a, utc(2100, 6, 1, 0, 0)) + el(c, utc(2100, 6, 1, 0, 0), b));
    kpi_calendar_free(c);
    /* year y's DST starts 167 h after 31 December (7 January y+1, 02:00Z)
     * and ends 100 h before 1 January (27 December y-1, 22:00Z): each year
     * is DST from 7 January to 27 December, inside the table or not */
    c = mk("AAA3BBB,J365/167,J1/-100");
    const int years[] = {1969, 2026, 2150};
    for (size_t i = 0; i < sizeof years / sizeof *years; i++) {
        changes_at(c, utc(years[i], 12, 27, 22, 0), -7200, -10800);
        changes_at(c, utc(years[i] + 1, 1, 7, 2, 0), -10800, -7200);
    }
    /* open on Sundays 19:00-20:00 local only: 27 December is a Sunday in
     * 2026 and 2150, whose 20:00 DST (22:00Z) turns into 19:00 std: both
     * real hours 19:00-20:00 are worked */
    ck_assert_ok(kpi_calendar_add_hours(c, 0, 19 * 60, 20 * 60));
    ck_assert_int_eq(el(c, utc(2026, 12, 27, 12, 0), utc(2026, 12, 28, 12, 0)), 2 * H);
    ck_assert_int_eq(el(c, utc(2150, 12, 27, 12, 0), utc(2150, 12, 28, 12, 0)), 2 * H);
    ck_assert_int_eq(due(c, utc(2026, 12, 27, 12, 0), 2 * H), utc(2026, 12, 27, 23, 0));
    kpi_calendar_free(c);
}
END_TEST

/* The earliest instant a rule may name: "J1/-167:59:59" at DST 25:59:59
 * east (the default DST of std 24:59:59 east) is 1 January 00:00 -
 * 167:59:59 - 25:59:59 = 193:59:58 before 1 January 00:00Z, that is 23
 * December 22:00:02Z: later in the search than the 193 h allowed for.
 * Here DST ends then and starts again at J358/23:29:59 std, 24 December
 * 23:29:59 - 24:59:59 = 23 December 22:30:00Z: standard time for 1798 s
 * a year, inside the table (2024) and outside it (2300). */
START_TEST(a_change_193_hours_and_more_before_new_year_is_found)
{
    kpi_calendar *c = mk("<+25>-24:59:59<+26>,J358/23:29:59,J1/-167:59:59");
    const int years[] = {2024, 2300};
    for (int d = 0; d < 7; d++)
        ck_assert_ok(kpi_calendar_add_hours(c, d, 23 * 60, 1440));
    for (size_t i = 0; i < sizeof years / sizeof *years; i++) {
        int y = years[i];
        changes_at(c, utc(y, 12, 23, 22, 0) + 2000, 93599, 89999);
        changes_at(c, utc(y, 12, 23, 22, 30), 89999, 93599);
        /* open 23:00-24:00 local.  DST (+25:59:59) until 22:00:02Z: local
         * 24 December 23:00 is 21:00:01Z, so 21:00:01-22:00:01Z is 3600 s;
         * std (+24:59:59) 22:00:02-22:30:00Z reads 23:00:01-23:29:59,
         * open: 1798 s; then DST reads 25 December 00:29:59, and 25
         * December's 23:00 is past the span.  3600 + 1798 = 5398 s. */
        int64_t a = utc(y, 12, 23, 12, 0), b = utc(y, 12, 24, 12, 0);
        ck_assert_int_eq(el(c, a, b), 5398 * INT64_C(1000));
        ck_assert_int_eq(due(c, a, 5398 * INT64_C(1000)), utc(y, 12, 23, 22, 30));
    }
    kpi_calendar_free(c);
}
END_TEST

/* The change in force may be one the rules name for the year before last:
 * year y's DST ends at J365/167, 31 December 23:00 + 6 days = 6 January
 * y+1 23:00 DST (UTC+2) = 21:00Z, after the next year's start, J5/0 =
 * 5 January 00:00 std (UTC+1) = 4 January 23:00Z.  So each year is DST
 * from 4 January 23:00Z to 6 January 21:00Z only, and on 1 January of y
 * the last change was y-2's end (6 January y-1), not y-1's start. */
START_TEST(a_change_named_by_the_year_before_last_is_in_force)
{
    kpi_calendar *c = mk("AAA-1BBB,J5/0,J365/167");
    const int years[] = {1975, 2026, 2135};
    for (size_t i = 0; i < sizeof years / sizeof *years; i++) {
        int y = years[i];
        ck_assert_int_eq(off(c, utc(y, 1, 1, 5, 0)), 3600);
        changes_at(c, utc(y, 1, 4, 23, 0), 3600, 7200);
        changes_at(c, utc(y, 1, 6, 21, 0), 7200, 3600);
        ck_assert_int_eq(off(c, utc(y, 7, 1, 0, 0)), 3600);
    }
    /* open 00:00-02:00 and 22:00-24:00 local every day.  4 January 12:00Z
     * to 5 January 12:00Z: 22:00-24:00 std (21:00-23:00Z, 2 h), 00:00-01:00
     * skipped, 01:00-02:00 DST (23:00-24:00Z, 1 h) = 3 h, the third ending
     * at 5 January 00:00Z.  6 January 12:00Z to 7 January 12:00Z: 22:00-
     * 23:00 DST (20:00-21:00Z), 22:00-24:00 std (21:00-23:00Z), 00:00-02:00
     * std (23:00-01:00Z) = 5 h */
    for (int d = 0; d < 7; d++) {
        ck_assert_ok(kpi_calendar_add_hours(c, d, 0, 120));
        ck_assert_ok(kpi_calendar_add_hours(c, d, 1320, 1440));
    }
    for (size_t i = 0; i < sizeof years / sizeof *years; i++) {
        int yy = years[i];
        ck_assert_int_eq(el(c, utc(yy, 1, 4, 12, 0), utc(yy, 1, 5, 12, 0)), 3 * H);
        ck_assert_int_eq(due(c, utc(yy, 1, 4, 12, 0), 3 * H), utc(yy, 1, 5, 0, 0));
        ck_assert_int_eq(el(c, utc(yy, 1, 6, 12, 0), utc(yy, 1, 7, 12, 0)), 5 * H);
    }
    /* local time on 5 January 2026 12:00Z: 14:00 DST, a Monday */
    int32_t y, mo, d, wd, ms;
    ck_assert_ok(kpi_calendar_local_time(c, utc(2026, 1, 5, 12, 0), &y, &mo, &d, &wd, &ms));
    ck_assert(y == 2026 && mo == 1 && d == 5 && wd == 1 && ms == 14 * H);
    kpi_calendar_free(c);
}
END_TEST

/* Hand-worked cases of the second review: DST inside opening hours in
 * both hemispheres and with a negative DST, closures on DST days, a
 * holiday weekend, spans of 0, leap days and 2100, a year past the
 * table.  Each case: the local hours, the real hours they take, the sum. */
START_TEST(hand_worked_dst_holidays_and_leap_days_of_the_second_review)
{
    /* Sydney, open Sundays 01:00-05:00.  5 April 2026 (first Sunday of
     * April): 03:00 AEDT (16:00Z) turns into 02:00 AEST, so 01:00-03:00
     * AEDT = 14:00Z-16:00Z (2 h) then 02:00-05:00 AEST = 16:00Z-19:00Z
     * (3 h): 5 h; the 2nd hour ends at 16:00Z, the 5th at 19:00Z.
     * 4 October 2026: 02:00 AEST (16:00Z) turns into 03:00 AEDT, so
     * 01:00-02:00 AEST = 15:00Z-16:00Z, 03:00-05:00 AEDT = 16:00Z-18:00Z:
     * 3 h, the 1st ending at 16:00Z. */
    kpi_calendar *c = mk("AEST-10AEDT,M10.1.0,M4.1.0/3");
    ck_assert_ok(kpi_calendar_add_hours(c, 0, 60, 300));
    ck_assert_int_eq(el(c, utc(2026, 4, 4, 12, 0), utc(2026, 4, 5, 12, 0)), 5 * H);
    ck_assert_int_eq(due(c, utc(2026, 4, 4, 12, 0), 2 * H), utc(2026, 4, 4, 16, 0));
    ck_assert_int_eq(due(c, utc(2026, 4, 4, 12, 0), 5 * H), utc(2026, 4, 4, 19, 0));
    ck_assert_int_eq(el(c, utc(2026, 10, 3, 12, 0), utc(2026, 10, 4, 12, 0)), 3 * H);
    ck_assert_int_eq(due(c, utc(2026, 10, 3, 12, 0), H), utc(2026, 10, 3, 16, 0));
    ck_assert_int_eq(due(c, utc(2026, 10, 3, 12, 0), H + 1), utc(2026, 10, 3, 16, 0) + 1);
    kpi_calendar_free(c);
    /* Dublin (negative DST: GMT in winter), open all Sunday.  29 March
     * 2026: 01:00 GMT turns into 02:00 IST, the day is 00:00Z to 23:00Z
     * (23 h); 25 October 2026: 02:00 IST turns into 01:00 GMT, the day is
     * 24 October 23:00Z (00:00 IST) to 26 October 00:00Z (25 h). */
    c = mk("IST-1GMT0,M10.5.0,M3.5.0/1");
    ck_assert_int_eq(off(c, utc(2026, 1, 15, 12, 0)), 0);
    ck_assert_int_eq(off(c, utc(2026, 7, 15, 12, 0)), 3600);
    ck_assert_ok(kpi_calendar_add_hours(c, 0, 0, 1440));
    ck_assert_int_eq(el(c, utc(2026, 3, 28, 12, 0), utc(2026, 3, 30, 12, 0)), 23 * H);
    ck_assert_int_eq(el(c, utc(2026, 10, 24, 12, 0), utc(2026, 10, 26, 12, 0)), 25 * H);
    kpi_calendar_free(c);
    /* Berlin, open all Sunday.  29 March 2026 is 23 h (23:00Z to 22:00Z);
     * a closure 00:00-03:00 removes 00:00-02:00 CET (23:00Z-01:00Z), 2 h:
     * 21 h.  25 October 2026 is 25 h (22:00Z to 23:00Z); a closure
     * 02:00-03:00 removes both real hours of it (00:00Z-02:00Z): 23 h, the
     * first after it starting at 03:00 CET = 02:00Z.  A holiday on either
     * day leaves 0. */
    c = mk("CET-1CEST,M3.5.0,M10.5.0/3");
    ck_assert_ok(kpi_calendar_add_hours(c, 0, 0, 1440));
    ck_assert_ok(kpi_calendar_add_closure(c, 2026, 3, 29, 0, 180));
    ck_assert_ok(kpi_calendar_add_closure(c, 2026, 10, 25, 120, 180));
    ck_assert_int_eq(el(c, utc(2026, 3, 28, 12, 0), utc(2026, 3, 30, 12, 0)), 21 * H);
    ck_assert_int_eq(el(c, utc(2026, 10, 24, 12, 0), utc(2026, 10, 26, 12, 0)), 23 * H);
    ck_assert_int_eq(due(c, utc(2026, 10, 24, 12, 0), 2 * H + 1), utc(2026, 10, 25, 2, 0) + 1);
    ck_assert_ok(kpi_calendar_add_holiday(c, 2026, 4, 5));
    ck_assert_int_eq(el(c, utc(2026, 4, 4, 12, 0), utc(2026, 4, 6, 12, 0)), 0);
    /* 2101 (past the table): 27 March 2101 is a Sunday, 23 h */
    ck_assert_int_eq(el(c, utc(2101, 3, 26, 12, 0), utc(2101, 3, 28, 12, 0)), 23 * H);
    kpi_calendar_free(c);
    /* Berlin Mon-Fri 09:00-17:00 CET (08:00Z-16:00Z) with Friday 25 and
     * Monday 28 December 2026 closed: from Thursday 24th 15:00Z, 1 h that
     * day, then Tuesday 29th 08:00Z: 2 h fall due at 29th 09:00Z; from the
     * 24th 16:00Z to the 29th 09:00Z, 1 h.  A span of 0 is 0, due(t, 0) t. */
    c = mk("CET-1CEST,M3.5.0,M10.5.0/3");
    weekdays(c, 9, 17);
    ck_assert_ok(kpi_calendar_add_holiday(c, 2026, 12, 25));
    ck_assert_ok(kpi_calendar_add_holiday(c, 2026, 12, 28));
    ck_assert_int_eq(due(c, utc(2026, 12, 24, 15, 0), 2 * H), utc(2026, 12, 29, 9, 0));
    ck_assert_int_eq(el(c, utc(2026, 12, 24, 16, 0), utc(2026, 12, 29, 9, 0)), H);
    ck_assert_int_eq(el(c, utc(2026, 12, 29, 9, 0), utc(2026, 12, 29, 9, 0)), 0);
    ck_assert_int_eq(due(c, utc(2026, 12, 29, 9, 0), 0), utc(2026, 12, 29, 9, 0));
    kpi_calendar_free(c);
    /* UTC, open daily 09:00-17:00: 28 Feb to 1 March is two days (16 h) in
     * 2028 and one (8 h) in 2100, which has no 29 February */
    c = mk("UTC0");
    for (int d = 0; d < 7; d++)
        ck_assert_ok(kpi_calendar_add_hours(c, d, 540, 1020));
    ck_assert_int_eq(el(c, utc(2028, 2, 28, 0, 0), utc(2028, 3, 1, 0, 0)), 16 * H);
    ck_assert_int_eq(el(c, utc(2100, 2, 28, 0, 0), utc(2100, 3, 1, 0, 0)), 8 * H);
    ck_assert_ok(kpi_calendar_add_holiday(c, 2028, 2, 29));
    ck_assert_status(kpi_calendar_add_holiday(c, 2100, 2, 29), KPI_ERR_RANGE);
    ck_assert_int_eq(el(c, utc(2028, 2, 28, 0, 0), utc(2028, 3, 1, 0, 0)), 8 * H);
    ck_assert_int_eq(due(c, utc(2028, 2, 28, 16, 0), 2 * H), utc(2028, 3, 1, 10, 0));
    kpi_calendar_free(c);
}
END_TEST

/* ---- errors, state and memory ------------------------------------------- */

START_TEST(configuration_errors_are_named_and_change_nothing)
{
    kpi_calendar *c = mk("CET-1CEST,M3.5.0,M10.5.0/3");
    weekdays(c, 9, 17);
    ck_assert_ok(kpi_calendar_add_hours(c, 1, 18 * 60, 19 * 60));
    ck_assert_ok(kpi_calendar_add_hours(c, 1, 17 * 60, 18 * 60)); /* touching */
    ck_assert_ok(kpi_calendar_add_holiday(c, 2026, 12, 25));
    size_t len;
    unsigned char *b = calendar_bytes(c, &len);
    ck_assert_status(kpi_calendar_add_hours(c, 7, 0, 60), KPI_ERR_RANGE);
    ck_assert_status(kpi_calendar_add_hours(c, -1, 0, 60), KPI_ERR_RANGE);
    ck_assert_status(kpi_calendar_add_hours(c, 0, -1, 60), KPI_ERR_RANGE);
    ck_assert_status(kpi_calendar_add_hours(c, 0, 60, 60), KPI_ERR_RANGE);
    ck_assert_status(kpi_calendar_add_hours(c, 0, 0, 1441), KPI_ERR_RANGE);
    ck_assert_status(kpi_calendar_add_hours(c, 2, 16 * 60, 18 * 60), KPI_ERR_DUPLICATE);
    ck_assert_status(kpi_calendar_add_hours(c, 2, 8 * 60, 9 * 60 + 1), KPI_ERR_DUPLICATE);
    ck_assert_status(kpi_calendar_add_hours(c, 2, 10 * 60, 11 * 60), KPI_ERR_DUPLICATE);
    ck_assert_status(kpi_calendar_add_hours(NULL, 2, 10, 11), KPI_ERR_INVALID);
    ck_assert_status(kpi_calendar_add_holiday(c, 2026, 2, 29), KPI_ERR_RANGE);
    ck_assert_status(kpi_calendar_add_holiday(c, 2026, 13, 1), KPI_ERR_RANGE);
    ck_assert_status(kpi_calendar_add_holiday(c, 2026, 4, 31), KPI_ERR_RANGE);
    ck_assert_status(kpi_calendar_add_holiday(c, 0, 1, 1), KPI_ERR_RANGE);
    ck_assert_status(kpi_calendar_add_holiday(c, 2026, 12, 25), KPI_ERR_DUPLICATE);
    ck_assert_status(kpi_calendar_add_closure(c, 2026, 12, 25, 0, 60), KPI_ERR_DUPLICATE);
    ck_assert_status(kpi_calendar_add_closure(c, 2026, 12, 26, 60, 60), KPI_ERR_RANGE);
    ck_assert_status(kpi_calendar_add_closure(c, 2026, 12, 26, 60, 1441), KPI_ERR_RANGE);
    ck_assert_status(kpi_calendar_add_holiday(NULL, 2026, 1, 1), KPI_ERR_INVALID);
    calendar_unchanged(c, b, len);
    for (int i = 0; i < KPI_CALENDAR_MAX_RANGES - 3; i++)
        ck_assert_ok(kpi_calendar_add_hours(c, 1, i * 30, i * 30 + 20));
    ck_assert_status(kpi_calendar_add_hours(c, 1, 1400, 1410), KPI_ERR_LIMIT);
    ck_assert_ok(kpi_calendar_add_holiday(c, 2028, 2, 29)); /* leap day exists */
    free(b);
    kpi_calendar_free(c);
}
END_TEST

START_TEST(arithmetic_errors_are_named)
{
    kpi_calendar *c = mk("UTC0");
    weekdays(c, 9, 17);
    int64_t v = 7;
    int32_t o;
    int open;
    ck_assert_status(kpi_calendar_elapsed(c, 10, 9, &v), KPI_ERR_RANGE);
    ck_assert_status(kpi_calendar_elapsed(c, 0, KPI_CALENDAR_MAX_TIME + 1, &v), KPI_ERR_RANGE);
    ck_assert_status(kpi_calendar_elapsed(c, INT64_MIN, 0, &v), KPI_ERR_RANGE);
    ck_assert_status(kpi_calendar_elapsed(NULL, 0, 1, &v), KPI_ERR_INVALID);
    ck_assert_status(kpi_calendar_elapsed(c, 0, 1, NULL), KPI_ERR_INVALID);
    ck_assert_status(kpi_calendar_due(c, 0, -1, &v), KPI_ERR_RANGE);
    ck_assert_status(kpi_calendar_due(c, KPI_CALENDAR_MAX_TIME - D, 40 * H, &v), KPI_ERR_RANGE);
    ck_assert_status(kpi_calendar_due(c, 0, INT64_MAX, &v), KPI_ERR_RANGE);
    ck_assert_status(kpi_calendar_due(NULL, 0, 1, &v), KPI_ERR_INVALID);
    ck_assert_status(kpi_calendar_due(c, 0, 1, NULL), KPI_ERR_INVALID);
    ck_assert_int_eq(v, 7);
    ck_assert_status(kpi_calendar_utc_offset(c, INT64_MAX, &o), KPI_ERR_RANGE);
    ck_assert_status(kpi_calendar_utc_offset(c, 0, NULL), KPI_ERR_INVALID);
    ck_assert_status(kpi_calendar_is_open(c, INT64_MIN, &open), KPI_ERR_RANGE);
    ck_assert_status(kpi_calendar_is_open(NULL, 0, &open), KPI_ERR_INVALID);
    int32_t y, mo, d, wd, ms;
    ck_assert_status(kpi_calendar_local_time(c, 0, &y, &mo, &d, &wd, NULL), KPI_ERR_INVALID);
    ck_assert_status(kpi_calendar_local_time(c, INT64_MAX, &y, &mo, &d, &wd, &ms), KPI_ERR_RANGE);
    /* the extremes still work */
    ck_assert_int_eq(el(c, -KPI_CALENDAR_MAX_TIME, KPI_CALENDAR_MAX_TIME) % (40 * H) >= 0, 1);
    ck_assert_int_eq(kpi_calendar_week_ms(NULL), 0);
    kpi_calendar_free(c);
    kpi_calendar_free(NULL);
}
END_TEST

START_TEST(equal_compares_arithmetic_not_names)
{
    kpi_calendar *a = mk("CET-1CEST,M3.5.0,M10.5.0/3");
    kpi_calendar *b = mk("XYZ-01:00ABC-2,M3.5.0/2,M10.5.0/03:00");
    int eq = -1;
    ck_assert_ok(kpi_calendar_equal(a, b, &eq));
    ck_assert_int_eq(eq, 1);
    ck_assert_ok(kpi_calendar_add_hours(a, 1, 60, 120));
    ck_assert_ok(kpi_calendar_equal(a, b, &eq));
    ck_assert_int_eq(eq, 0);
    ck_assert_ok(kpi_calendar_add_hours(b, 1, 60, 120));
    ck_assert_ok(kpi_calendar_add_holiday(b, 2026, 1, 1));
    ck_assert_ok(kpi_calendar_equal(a, b, &eq));
    ck_assert_int_eq(eq, 0);
    ck_assert_ok(kpi_calendar_add_holiday(a, 2026, 1, 1));
    ck_assert_ok(kpi_calendar_equal(a, b, &eq));
    ck_assert_int_eq(eq, 1);
    kpi_calendar *c = mk("EST5EDT,M3.2.0,M11.1.0");
    ck_assert_ok(kpi_calendar_equal(a, c, &eq));
    ck_assert_int_eq(eq, 0);
    ck_assert_status(kpi_calendar_equal(a, NULL, &eq), KPI_ERR_INVALID);
    kpi_calendar_free(a);
    kpi_calendar_free(b);
    kpi_calendar_free(c);
}
END_TEST

static kpi_calendar *sample(const kpi_allocator *al)
{
    kpi_calendar *c = NULL;
    ck_assert_ok(kpi_calendar_new_with(&c, "CET-1CEST,M3.5.0,M10.5.0/3", al));
    for (int d = 1; d <= 5; d++) {
        ck_assert_ok(kpi_calendar_add_hours(c, d, 540, 720));
        ck_assert_ok(kpi_calendar_add_hours(c, d, 780, 1020));
    }
    for (int i = 1; i <= 12; i++)
        ck_assert_ok(kpi_calendar_add_holiday(c, 2026, i, 1));
    ck_assert_ok(kpi_calendar_add_closure(c, 2026, 12, 24, 720, 1440));
    return c;
}

START_TEST(serialization_round_trips_to_identical_answers_and_bytes)
{
    kpi_calendar *c = sample(NULL), *d = NULL;
    size_t len;
    unsigned char *b = calendar_bytes(c, &len);
    ck_assert_ok(kpi_calendar_deserialize(&d, b, len));
    calendar_unchanged(d, b, len);
    int eq;
    ck_assert_ok(kpi_calendar_equal(c, d, &eq));
    ck_assert_int_eq(eq, 1);
    test_rng g = {9};
    for (int i = 0; i < 200; i++) {
        int64_t a = test_range(&g, utc(2025, 6, 1, 0, 0), utc(2027, 6, 1, 0, 0));
        int64_t x = test_range(&g, 0, 100 * H);
        ck_assert_int_eq(el(c, a, a + x), el(d, a, a + x));
        ck_assert_int_eq(due(c, a, x), due(d, a, x));
    }
    ck_assert_uint_gt(kpi_calendar_footprint(c), sizeof(int64_t) * 200);
    ck_assert_uint_gt(kpi_calendar_footprint(d), sizeof(int64_t) * 200);
    ck_assert_uint_eq(kpi_calendar_footprint(NULL), 0);
    kpi_calendar *e = NULL;
    ck_assert_ok(kpi_calendar_clone(c, &e));
    calendar_unchanged(e, b, len);
    ck_assert_status(kpi_calendar_clone(NULL, &e), KPI_ERR_INVALID);
    size_t small;
    unsigned char tiny[8];
    ck_assert_status(kpi_calendar_serialize(c, tiny, sizeof tiny, &small), KPI_ERR_BUFFER);
    ck_assert_uint_eq(small, len);
    kpi_calendar_free(c);
    kpi_calendar_free(d);
    kpi_calendar_free(e);
    free(b);
}
END_TEST

START_TEST(truncated_flipped_and_foreign_bytes_are_rejected)
{
    kpi_calendar *c = sample(NULL), *d = NULL;
    size_t len;
    unsigned char *b = calendar_bytes(c, &len);
    for (size_t cut = 0; cut < len; cut++) {
        ck_assert_int_lt(kpi_calendar_deserialize(&d, b, cut), 0);
        ck_assert_ptr_null(d);
    }
    for (size_t i = 0; i < len; i++)
        for (int bit = 0; bit < 8; bit++) {
            b[i] ^= (unsigned char)(1u << bit);
            ck_assert_int_lt(kpi_calendar_deserialize(&d, b, len), 0);
            ck_assert_ptr_null(d);
            b[i] ^= (unsigned char)(1u << bit);
        }
    /* another type's bytes: an SLA policy */
    kpi_sla_policy *p;
    ck_assert_ok(kpi_sla_policy_new(&p, NULL));
    size_t pl;
    unsigned char pb[256];
    ck_assert_ok(kpi_sla_policy_serialize(p, pb, sizeof pb, &pl));
    ck_assert_status(kpi_calendar_deserialize(&d, pb, pl), KPI_ERR_TYPE);
    kpi_sla_policy_free(p);
    ck_assert_status(kpi_calendar_deserialize(&d, NULL, len), KPI_ERR_INVALID);
    kpi_calendar_free(c);
    free(b);
}
END_TEST

/* ---- forged states ------------------------------------------------------ */

/* A calendar body written by hand (lib/calendar.c, cal_encode): the TZ
 * string as a counted blob; per weekday a count and (open, close) minute
 * pairs; a count of dated closures, each its day number (zigzag) and
 * (from, to) minutes.  Ranges {weekday, open, close} are written in the
 * order given, grouped by weekday; `junk` bytes follow the body. */
typedef struct forged {
    unsigned char b[512];
    size_t n;
} forged;

static void put_var(forged *f, uint64_t v)
{
    do {
        f->b[f->n++] = (unsigned char)((v & 0x7F) | (v >= 0x80 ? 0x80 : 0));
        v >>= 7;
    } while (v != 0);
}

static int decode_calendar_body(const char *tz, size_t tz_len, const int *rng, size_t nr,
                                const int64_t *cl, size_t ncl, size_t junk)
{
    forged f = {{0}, 0};
    kpi_calendar *c = mk("UTC0"), *d = NULL;
    size_t len;
    ck_assert_ok(kpi_calendar_serialize(c, f.b, sizeof f.b, &len));
    kpi_calendar_free(c);
    f.n = 12; /* the header, resealed below */
    put_var(&f, tz_len);
    memcpy(f.b + f.n, tz, tz_len);
    f.n += tz_len;
    for (int wd = 0; wd < 7; wd++) {
        size_t k = 0;
        for (size_t i = 0; i < nr; i++)
            k += rng[3 * i] == wd;
        put_var(&f, k);
        for (size_t i = 0; i < nr; i++)
            if (rng[3 * i] == wd) {
                put_var(&f, (uint64_t)rng[3 * i + 1]);
                put_var(&f, (uint64_t)rng[3 * i + 2]);
            }
    }
    put_var(&f, ncl);
    for (size_t i = 0; i < ncl; i++) {
        const int64_t *e = &cl[3 * i];
        put_var(&f, e[0] < 0 ? ((uint64_t)-e[0] << 1) - 1 : (uint64_t)e[0] << 1);
        put_var(&f, (uint64_t)e[1]);
        put_var(&f, (uint64_t)e[2]);
    }
    f.n += junk + 4;
    ck_assert_uint_le(f.n, sizeof f.b);
    test_reseal(f.b, f.n);
    int rc = kpi_calendar_deserialize(&d, f.b, f.n);
    if (rc == KPI_OK) {
        /* what was read is what the calls build (which refuse what the
         * reader should have) */
        kpi_calendar *e = mk(tz);
        int add = KPI_OK, eq = 0;
        for (size_t i = 0; i < nr && add == KPI_OK; i++)
            add = kpi_calendar_add_hours(e, rng[3 * i], rng[3 * i + 1], rng[3 * i + 2]);
        for (size_t i = 0; i < ncl && add == KPI_OK; i++) {
            int y, m, dd;
            tzr_civil(cl[3 * i], &y, &m, &dd);
            add = kpi_calendar_add_closure(e, y, m, dd, (int)cl[3 * i + 1], (int)cl[3 * i + 2]);
        }
        ck_assert_msg(add == KPI_OK, "read a body the calls refuse (%s)", kpi_status_name(add));
        ck_assert_ok(kpi_calendar_equal(d, e, &eq));
        ck_assert_int_eq(eq, 1);
        kpi_calendar_free(e);
        kpi_calendar_free(d);
    } else {
        ck_assert_ptr_null(d);
    }
    return rc;
}

#define FORGE(tz, rng, cl, junk)                                                          \
    decode_calendar_body(tz, strlen(tz), &(rng)[0][0], sizeof rng / sizeof *rng, &(cl)[0][0], \
                         sizeof cl / sizeof *cl, junk)

/* Bodies with a valid checksum that break one rule of the encoder each
 * are KPI_ERR_CORRUPT and make no calendar; their valid neighbours read
 * as the calendar the calls build. */
START_TEST(forged_calendar_bodies_are_corrupt)
{
    const char *cet = "CET-1CEST,M3.5.0,M10.5.0/3";
    const int ok_rng[][3] = {{1, 540, 720}, {1, 720, 1020}, {6, 0, 1440}, {0, 1439, 1440}};
    const int64_t ok_cl[][3] = {{tzr_date(1, 1, 1), 0, 1440}, {tzr_date(2026, 3, 29), 60, 180},
                                {tzr_date(9999, 12, 31), 1439, 1440}};
    ck_assert_ok(FORGE(cet, ok_rng, ok_cl, 0));
    ck_assert_status(FORGE(cet, ok_rng, ok_cl, 1), KPI_ERR_CORRUPT); /* trailing byte */
    /* opening ranges (weekday -1: none): unsorted, overlapping, empty,
     * reversed, past midnight; 17 on a day */
    const int bad_rng[][2][3] = {{{2, 600, 700}, {2, 500, 550}}, {{2, 500, 601}, {2, 600, 700}},
                                 {{3, 600, 600}, {-1, 0, 0}},    {{3, 601, 600}, {-1, 0, 0}},
                                 {{4, 600, 1441}, {-1, 0, 0}}};
    for (size_t i = 0; i < sizeof bad_rng / sizeof *bad_rng; i++)
        ck_assert_status(FORGE(cet, bad_rng[i], ok_cl, 0), KPI_ERR_CORRUPT);
    int many[17][3];
    for (int i = 0; i < 17; i++)
        many[i][0] = 5, many[i][1] = 60 * i, many[i][2] = 60 * i + 30;
    ck_assert_status(FORGE(cet, many, ok_cl, 0), KPI_ERR_CORRUPT);
    ck_assert_ok(decode_calendar_body(cet, strlen(cet), &many[0][0], 16, &ok_cl[0][0], 3, 0));
    /* closures: out of order, twice on a date, empty, past midnight,
     * before year 1, after 9999 */
    const int64_t d0 = tzr_date(2026, 5, 1), first = tzr_date(1, 1, 1);
    const int64_t bad_cl[][2][3] = {
        {{d0 + 1, 0, 1440}, {d0, 0, 1440}},   {{d0, 0, 600}, {d0, 700, 1440}},
        {{d0 - 1, 0, 1440}, {d0, 600, 600}},  {{d0 - 1, 0, 1440}, {d0, 0, 1441}},
        {{first - 1, 0, 1440}, {d0, 0, 1440}}, {{d0, 0, 1440}, {tzr_date(10000, 1, 1), 0, 1440}}};
    for (size_t i = 0; i < sizeof bad_cl / sizeof *bad_cl; i++)
        ck_assert_status(FORGE(cet, ok_rng, bad_cl[i], 0), KPI_ERR_CORRUPT);
    /* the TZ string: malformed, a NUL inside, empty, longer than allowed */
    char tz[KPI_CALENDAR_MAX_TZ + 2];
    for (size_t len = KPI_CALENDAR_MAX_TZ; len <= KPI_CALENDAR_MAX_TZ + 1; len++) {
        memset(tz, 'A', len - 2);
        strcpy(tz + len - 2, "-1");
        ck_assert_status(FORGE(tz, ok_rng, ok_cl, 0),
                         len > KPI_CALENDAR_MAX_TZ ? KPI_ERR_CORRUPT : KPI_OK);
    }
    ck_assert_status(FORGE("CET", ok_rng, ok_cl, 0), KPI_ERR_CORRUPT);
    ck_assert_status(decode_calendar_body("UTC0\0", 5, &ok_rng[0][0], 4, &ok_cl[0][0], 3, 0),
                     KPI_ERR_CORRUPT);
    ck_assert_status(FORGE("", ok_rng, ok_cl, 0), KPI_ERR_CORRUPT);
}
END_TEST

START_TEST(golden_state_still_reads)
{
    /* tests/data/calendar-v1.bin: format version 1; KPI_WRITE_GOLDEN=1
     * rewrites it (only on purpose, with a new format version) */
    kpi_calendar *c = sample(NULL), *d = NULL;
    size_t len, glen;
    unsigned char *b = calendar_bytes(c, &len);
    test_write_golden("calendar-v1.bin", b, len);
    unsigned char *g = test_read_file(test_data_path("calendar-v1.bin"), &glen);
    ck_assert_msg(g != NULL, "missing %s", test_data_path("calendar-v1.bin"));
    ck_assert_uint_eq(glen, len);
    ck_assert(memcmp(g, b, len) == 0);
    ck_assert_ok(kpi_calendar_deserialize(&d, g, glen));
    /* Friday 2026-01-02 16:00 CET + 2 h -> Monday 10:00 (1 Jan closed) */
    ck_assert_int_eq(due(d, utc(2026, 1, 2, 15, 0), 2 * H), utc(2026, 1, 5, 9, 0));
    kpi_calendar_free(c);
    kpi_calendar_free(d);
    free(b);
    free(g);
}
END_TEST

START_TEST(allocation_failures_leave_no_trace)
{
    /* constructor, holiday growth, clone, deserialize */
    kpi_calendar *refc = sample(NULL);
    size_t len;
    unsigned char *b = calendar_bytes(refc, &len);
    for (long n = 1; n <= 40; n++) {
        test_alloc t;
        kpi_allocator a = test_allocator(&t);
        t.fail_at = n;
        kpi_calendar *c = NULL;
        int rc = kpi_calendar_new_with(&c, "CET-1CEST,M3.5.0,M10.5.0/3", &a);
        if (rc == KPI_ERR_NOMEM) {
            ck_assert_ptr_null(c);
            ck_assert_int_eq(t.live, 0);
            continue;
        }
        ck_assert_ok(rc);
        int failed = 0;
        for (int i = 1; i <= 12 && !failed; i++) {
            size_t l0;
            unsigned char *b0 = calendar_bytes(c, &l0);
            long live = t.live;
            rc = kpi_calendar_add_holiday(c, 2026, i, 1);
            if (rc == KPI_ERR_NOMEM) {
                ck_assert_int_eq(t.live, live);
                calendar_unchanged(c, b0, l0);
                failed = 1;
            } else {
                ck_assert_ok(rc);
            }
            free(b0);
        }
        long live = t.live;
        kpi_calendar *k = NULL;
        rc = kpi_calendar_clone(c, &k);
        if (rc == KPI_ERR_NOMEM) {
            ck_assert_ptr_null(k);
            ck_assert_int_eq(t.live, live);
        } else {
            ck_assert_ok(rc);
            kpi_calendar_free(k);
        }
        live = t.live;
        k = NULL;
        rc = kpi_calendar_deserialize_with(&k, b, len, &a);
        if (rc == KPI_ERR_NOMEM) {
            ck_assert_ptr_null(k);
            ck_assert_int_eq(t.live, live);
        } else {
            ck_assert_ok(rc);
            kpi_calendar_free(k);
        }
        kpi_calendar_free(c);
        ck_assert_int_eq(t.live, 0);
    }
    /* and the allocator is really used */
    test_alloc t;
    kpi_allocator a = test_allocator(&t);
    kpi_calendar *c = sample(&a);
    ck_assert_int_ge(t.mallocs, 2);
    ck_assert_int_ge(t.reallocs, 1);
    kpi_calendar_free(c);
    ck_assert_int_eq(t.live, 0);
    kpi_calendar_free(refc);
    free(b);
}
END_TEST

/* An explicit DST offset: one hour and a half ahead of standard time. */
START_TEST(an_explicit_dst_offset_is_used)
{
    kpi_calendar *c = mk("ABC-1ABD-2:30,M3.5.0,M10.5.0/3");
    ck_assert_int_eq(off(c, utc(2026, 7, 1, 12, 0)), 150 * 60);
    ck_assert_int_eq(off(c, utc(2026, 1, 1, 12, 0)), 60 * 60);
    kpi_calendar_free(c);
}
END_TEST

/* Whether `a` equals `b` (which is freed). */
static int equal_then_free(const kpi_calendar *a, kpi_calendar *b)
{
    int eq = -1;
    ck_assert_ok(kpi_calendar_equal(a, b, &eq));
    kpi_calendar_free(b);
    return eq;
}

/* CET with Tuesday open from open_h to 17:00, and one closure on Christmas
 * Day (day 25 or 26, all day or the morning). */
static kpi_calendar *cet_tuesday(int open_h, int day, int to_minute)
{
    kpi_calendar *c = mk("CET-1CEST,M3.5.0,M10.5.0/3");
    ck_assert_ok(kpi_calendar_add_hours(c, 2, open_h * 60, 17 * 60));
    if (day)
        ck_assert_ok(kpi_calendar_add_closure(c, 2026, 12, day, 0, to_minute));
    return c;
}

START_TEST(equal_sees_every_difference_of_the_same_size)
{
    /* DST rules: another start week, another end hour */
    kpi_calendar *a = mk("CET-1CEST,M3.5.0,M10.5.0/3");
    ck_assert_int_eq(equal_then_free(a, mk("CET-1CEST,M3.4.0,M10.5.0/3")), 0);
    ck_assert_int_eq(equal_then_free(a, mk("CET-1CEST,M3.5.0,M10.5.0/2")), 0);
    kpi_calendar_free(a);
    /* one range a day on both sides, not the same one; one closure on both
     * sides, another day or other minutes */
    a = cet_tuesday(9, 25, 1440);
    ck_assert_int_eq(equal_then_free(a, cet_tuesday(8, 25, 1440)), 0);
    ck_assert_int_eq(equal_then_free(a, cet_tuesday(9, 26, 1440)), 0);
    ck_assert_int_eq(equal_then_free(a, cet_tuesday(9, 25, 720)), 0);
    ck_assert_int_eq(equal_then_free(a, cet_tuesday(9, 25, 1440)), 1);
    size_t len;
    ck_assert_status(kpi_calendar_serialize(NULL, NULL, 0, &len), KPI_ERR_INVALID);
    kpi_calendar_free(a);
}
END_TEST

/* Configuration calls given an object of another type (through a cast, as
 * from ctypes) refuse it and write nothing into it. */
START_TEST(configuration_calls_refuse_other_objects)
{
    kpi_sla_policy *p = NULL;
    ck_assert_ok(kpi_sla_policy_new(&p, NULL));
    size_t len, l2;
    ck_assert_ok(kpi_sla_policy_serialize(p, NULL, 0, &len));
    unsigned char *before = malloc(len), *after = malloc(len);
    ck_assert_ok(kpi_sla_policy_serialize(p, before, len, &len));
    kpi_calendar *alien = (kpi_calendar *)(void *)p;
    ck_assert_status(kpi_calendar_add_hours(alien, 1, 540, 1020), KPI_ERR_INVALID);
    ck_assert_status(kpi_calendar_add_closure(alien, 2026, 1, 1, 0, 720), KPI_ERR_INVALID);
    ck_assert_status(kpi_calendar_add_holiday(alien, 2026, 1, 1), KPI_ERR_INVALID);
    ck_assert_ok(kpi_sla_policy_serialize(p, after, len, &l2));
    ck_assert(l2 == len && memcmp(before, after, len) == 0);
    free(before);
    free(after);
    kpi_sla_policy_free(p);
}
END_TEST

/* ---- documented errors (rev-retval) ---- */

TEST_STATE_ERRORS_HELPER(calendar, kpi_calendar, kpi_calendar_serialize,
                         kpi_calendar_deserialize, kpi_calendar_deserialize_with,
                         kpi_calendar_free)

START_TEST(documented_errors_of_the_state_verbs)
{
    kpi_calendar *c = mk("CET-1CEST,M3.5.0,M10.5.0/3");
    weekdays(c, 9, 17);
    ck_assert_ok(kpi_calendar_add_closure(c, 2026, 12, 24, 720, 1440));
    calendar_state_errors(c);
    kpi_calendar_free(c);
}
END_TEST

START_TEST(documented_errors_of_new_with_and_add_closure)
{
    test_alloc t;
    kpi_allocator a = test_allocator(&t);
    kpi_allocator bad = a;
    bad.malloc_fn = NULL;
    kpi_calendar *c = NULL;
    ck_assert_status(kpi_calendar_new_with(&c, "UTC0", &bad), KPI_ERR_INVALID);
    ck_assert_status(kpi_calendar_new_with(NULL, "UTC0", &a), KPI_ERR_INVALID);
    ck_assert_ptr_null(c);
    ck_assert_int_eq(t.calls, 0);

    /* closures on successive dates until one needs memory, which fails */
    ck_assert_ok(kpi_calendar_new_with(&c, "UTC0", &a));
    int nomem = 0;
    for (int day = 1; day <= 28 * 12 && !nomem; day++) {
        size_t len;
        unsigned char *before = calendar_bytes(c, &len);
        t.fail_at = t.calls + 1;
        int rc = kpi_calendar_add_closure(c, 2027, 1 + (day - 1) / 28, 1 + (day - 1) % 28,
                                          600, 720);
        t.fail_at = 0;
        if (rc == KPI_ERR_NOMEM) {
            nomem = 1;
            calendar_unchanged(c, before, len);
            /* and the same call then succeeds */
            ck_assert_ok(kpi_calendar_add_closure(c, 2027, 1 + (day - 1) / 28,
                                                  1 + (day - 1) % 28, 600, 720));
        } else {
            ck_assert_ok(rc);
        }
        free(before);
    }
    ck_assert_msg(nomem, "no closure ever needed memory");
    kpi_calendar_free(c);
    ck_assert_int_eq(t.live, 0);
}
END_TEST

START_TEST(documented_limit_of_holidays_and_closures)
{
    kpi_calendar *c = mk("UTC0");
    /* 1,000,000 dates: days 1..28 of every month from year 1 on */
    int n = 0;
    for (int32_t y = 1; n < 1000000; y++)
        for (int32_t m = 1; m <= 12 && n < 1000000; m++)
            for (int32_t d = 1; d <= 28 && n < 1000000; d++, n++) {
                int rc = d % 2 ? kpi_calendar_add_holiday(c, y, m, d)
                               : kpi_calendar_add_closure(c, y, m, d, 600, 720);
                if (rc != KPI_OK)
                    ck_abort_msg("date %d-%d-%d: %s", y, m, d, kpi_status_name(rc));
            }
    size_t len;
    unsigned char *before = calendar_bytes(c, &len);
    ck_assert_status(kpi_calendar_add_holiday(c, 9000, 1, 1), KPI_ERR_LIMIT);
    ck_assert_status(kpi_calendar_add_closure(c, 9000, 1, 2, 600, 720), KPI_ERR_LIMIT);
    calendar_unchanged(c, before, len);
    /* a date it has is still a duplicate */
    ck_assert_status(kpi_calendar_add_holiday(c, 1, 1, 1), KPI_ERR_DUPLICATE);
    free(before);
    kpi_calendar_free(c);
}
END_TEST

static Suite *calendar_suite(void)
{
    Suite *s = suite_create("calendar");
    TCase *tc = tcase_create("tz");
    tcase_add_test(tc, tz_parser_accepts_and_rejects_a_table_of_strings);
    tcase_add_test(tc, an_explicit_dst_offset_is_used);
    tcase_add_test(tc, europe_switches_at_one_utc_on_the_last_sundays);
    tcase_add_test(tc, us_switches_at_two_local_on_the_second_and_first_sundays);
    tcase_add_test(tc, southern_zones_have_summer_across_new_year);
    tcase_add_test(tc, day_rules_leap_days_last_weeks_and_rule_times_by_hand);
    tcase_add_test(tc, offsets_agree_with_the_c_library_for_random_instants);
    suite_add_tcase(s, tc);
    tc = tcase_create("business");
    tcase_add_test(tc, a_full_week_of_nine_to_five_is_forty_hours_even_across_dst);
    tcase_add_test(tc, split_shifts_skip_the_lunch_break);
    tcase_add_test(tc, holidays_across_new_year_and_a_half_day_on_christmas_eve);
    tcase_add_test(tc, the_missing_hour_is_not_worked_and_the_repeated_hour_counts_twice);
    tcase_add_test(tc, no_opening_hours_means_zero_elapsed_and_never_due);
    tcase_add_test(tc, opening_hours_inside_the_skipped_and_the_repeated_hour);
    tcase_add_test(tc, holidays_on_weekends_consecutive_repeated_and_far_away);
    tcase_add_test(tc, a_year_equals_the_naive_minute_by_minute_walk);
    tcase_add_test(tc, business_time_agrees_with_the_c_library_around_dst_changes);
    tcase_add_test(tc, hand_worked_dst_holidays_and_leap_days_of_the_second_review);
    suite_add_tcase(s, tc);
    tc = tcase_create("properties");
    tcase_add_test(tc, due_inverts_elapsed_for_random_starts_and_targets);
    tcase_add_test(tc, elapsed_is_monotone_and_additive);
    tcase_add_test(tc, business_time_agrees_with_posix_rules_worked_out_by_hand);
    tcase_add_test(tc, spans_across_the_edges_of_the_transition_table_stay_exact);
    tcase_add_test(tc, spans_of_millennia_at_the_ends_of_the_range);
    tcase_add_test(tc, changes_years_apart_or_out_of_year_order_are_all_found);
    tcase_add_test(tc, a_change_named_by_the_year_before_last_is_in_force);
    tcase_add_test(tc, a_change_193_hours_and_more_before_new_year_is_found);
    suite_add_tcase(s, tc);
    tc = tcase_create("object");
    tcase_add_test(tc, configuration_errors_are_named_and_change_nothing);
    tcase_add_test(tc, equal_sees_every_difference_of_the_same_size);
    tcase_add_test(tc, configuration_calls_refuse_other_objects);
    tcase_add_test(tc, arithmetic_errors_are_named);
    tcase_add_test(tc, equal_compares_arithmetic_not_names);
    tcase_add_test(tc, serialization_round_trips_to_identical_answers_and_bytes);
    tcase_add_test(tc, truncated_flipped_and_foreign_bytes_are_rejected);
    tcase_add_test(tc, forged_calendar_bodies_are_corrupt);
    tcase_add_test(tc, dates_added_in_any_order_read_as_a_calendar_summed_from_scratch);
    tcase_add_test(tc, golden_state_still_reads);
    tcase_add_test(tc, allocation_failures_leave_no_trace);
    /* ---- documented errors (rev-retval) ---- */
    tcase_add_test(tc, documented_errors_of_the_state_verbs);
    tcase_add_test(tc, documented_errors_of_new_with_and_add_closure);
    tcase_add_test(tc, documented_limit_of_holidays_and_closures);
    suite_add_tcase(s, tc);
    return s;
}

KPI_TEST_MAIN(calendar_suite)
