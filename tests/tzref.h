/*
 * An independent reference for business time, shared by the calendar and
 * SLA suites: POSIX TZ rules evaluated from the rule string's parts (no
 * C library time zone, no zoneinfo file, no libkpi call) and business
 * time summed by walking the real time line one local minute at a time.
 *
 * It is written to be obviously right, not fast: rule days are found by
 * looking at every day of the month, the offset in force is the one set
 * by the latest change at or before the instant (the changes of the years
 * around it are all listed), and an instant is open when its local
 * weekday's minute is open and its local date's closure does not cover
 * that minute.  Between two clock changes the offset is constant, so the
 * walk steps from local minute edge to local minute edge, stopping at
 * each change: every step is wholly open or wholly closed.
 *
 * tzr_pair_hours() and tzr_pair_closure() give one configuration to both
 * libkpi's calendar and the reference.
 * SPDX-License-Identifier: MIT
 */
#ifndef KPI_TESTS_TZREF_H
#define KPI_TESTS_TZREF_H

#include "kpi/calendar.h"
#include "testutil.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define TZR_MIN INT64_C(60000)
#define TZR_DAY INT64_C(86400000)

/* ---- dates, counted by hand --------------------------------------------- */

static inline int64_t tzr_fdiv(int64_t a, int64_t b)
{
    int64_t q = a / b;
    return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

static inline int tzr_leap(int64_t y)
{
    return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static inline int tzr_mdays(int64_t y, int m)
{
    static const int md[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    return md[m - 1] + (m == 2 && tzr_leap(y));
}

/* Days from 1970-01-01 to 1 January of year y: whole 400-year cycles of
 * 146,097 days, then year by year. */
static inline int64_t tzr_jan1(int64_t y)
{
    int64_t n = 146097 * tzr_fdiv(y - 1970, 400), yy = 1970 + 400 * tzr_fdiv(y - 1970, 400);
    for (; yy < y; yy++)
        n += 365 + tzr_leap(yy);
    return n;
}

static inline int64_t tzr_date(int64_t y, int m, int d)
{
    int64_t n = tzr_jan1(y);
    for (int k = 1; k < m; k++)
        n += tzr_mdays(y, k);
    return n + d - 1;
}

/* 0 = Sunday; 1970-01-01 was a Thursday. */
static inline int tzr_wday(int64_t day)
{
    return (int)((day % 7 + 7 + 4) % 7);
}

static inline int64_t tzr_year_of(int64_t day)
{
    int64_t y = 1970 + tzr_fdiv(day * 400, 146097);
    while (tzr_jan1(y + 1) <= day)
        y++;
    while (tzr_jan1(y) > day)
        y--;
    return y;
}

/* The civil date of a day number, by walking the months of its year. */
static inline void tzr_civil(int64_t day, int *y, int *m, int *d)
{
    int64_t yy = tzr_year_of(day), left = day - tzr_jan1(yy);
    int mm = 1;
    while (left >= tzr_mdays(yy, mm))
        left -= tzr_mdays(yy, mm++);
    *y = (int)yy;
    *m = mm;
    *d = (int)left + 1;
}

/* ---- POSIX TZ rules ----------------------------------------------------- */

typedef struct tzr_rule {
    char kind; /* 'J' (1..365, no 29 February), 'n' (0..365) or 'M' */
    int n, m, w, d;
    int32_t secs; /* local time of the change, after midnight */
} tzr_rule;

typedef struct tzr_zone {
    int32_t std, dst; /* local = UTC + offset, seconds */
    int has_dst;
    tzr_rule rule[2]; /* 0: standard -> DST, 1: DST -> standard */
} tzr_zone;

static inline const char *tzr_skip_name(const char *p)
{
    if (*p == '<')
        return strchr(p, '>') + 1;
    while ((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z'))
        p++;
    return p;
}

/* [+-]h[:m[:s]] as signed seconds. */
static inline const char *tzr_hms(const char *p, int32_t *out)
{
    int sign = 1;
    if (*p == '+' || *p == '-')
        sign = *p++ == '-' ? -1 : 1;
    long part[3] = {0, 0, 0};
    for (int i = 0; i < 3; i++) {
        char *end;
        part[i] = strtol(p, &end, 10);
        p = end;
        if (*p != ':')
            break;
        p++;
    }
    *out = (int32_t)(sign * (part[0] * 3600 + part[1] * 60 + part[2]));
    return p;
}

static inline const char *tzr_parse_rule(const char *p, tzr_rule *r)
{
    char *end;
    memset(r, 0, sizeof *r);
    if (*p == 'M') {
        r->kind = 'M';
        r->m = (int)strtol(p + 1, &end, 10);
        r->w = (int)strtol(end + 1, &end, 10);
        r->d = (int)strtol(end + 1, &end, 10);
    } else if (*p == 'J') {
        r->kind = 'J';
        r->n = (int)strtol(p + 1, &end, 10);
    } else {
        r->kind = 'n';
        r->n = (int)strtol(p, &end, 10);
    }
    p = end;
    r->secs = 2 * 3600; /* POSIX: 02:00:00 when no time is given */
    if (*p == '/')
        p = tzr_hms(p + 1, &r->secs);
    return p;
}

/* A well-formed TZ string (the suites only give such). */
static inline void tzr_parse(const char *s, tzr_zone *z)
{
    int32_t west;
    memset(z, 0, sizeof *z);
    const char *p = tzr_hms(tzr_skip_name(s), &west);
    z->std = z->dst = -west; /* POSIX offsets are hours west of UTC */
    if (*p == '\0')
        return;
    z->has_dst = 1;
    p = tzr_skip_name(p);
    z->dst = z->std + 3600;
    if (*p != '\0' && *p != ',') {
        p = tzr_hms(p, &west);
        z->dst = -west;
    }
    if (*p == '\0') /* the US rules */
        p = ",M3.2.0,M11.1.0";
    p = tzr_parse_rule(p + 1, &z->rule[0]);
    tzr_parse_rule(p + 1, &z->rule[1]);
}

/* The local date (day number) rule r names in year y. */
static inline int64_t tzr_rule_day(const tzr_rule *r, int64_t y)
{
    if (r->kind == 'n')
        return tzr_jan1(y) + r->n;
    if (r->kind == 'J') { /* count the days of a 365-day year */
        int left = r->n, m = 1;
        for (;; m++) {
            int len = tzr_mdays(y, m) - (m == 2 && tzr_leap(y));
            if (left <= len)
                break;
            left -= len;
        }
        return tzr_date(y, m, left);
    }
    /* the w-th weekday d of the month, the last one for w = 5 */
    int64_t found = -1;
    int seen = 0;
    for (int d = 1; d <= tzr_mdays(y, r->m) && seen < r->w; d++)
        if (tzr_wday(tzr_date(y, r->m, d)) == r->d) {
            found = tzr_date(y, r->m, d);
            seen++;
        }
    return found;
}

/* UTC ms of year y's change i, read on the clock in force before it. */
static inline int64_t tzr_change(const tzr_zone *z, int i, int64_t y)
{
    int32_t before = i == 0 ? z->std : z->dst;
    return (tzr_rule_day(&z->rule[i], y) * 86400 + z->rule[i].secs - before) * 1000;
}

/* The offset set by the latest change at or before t.  A year's changes
 * lie within some nine days of it, so those of the UTC year of t and the
 * years next to it decide; at a tie the start of DST wins. */
static inline int32_t tzr_offset(const tzr_zone *z, int64_t t)
{
    if (!z->has_dst)
        return z->std;
    int64_t y = tzr_year_of(tzr_fdiv(t, TZR_DAY)), best = INT64_MIN;
    int dst = 0;
    for (int64_t yy = y - 1; yy <= y + 1; yy++)
        for (int i = 1; i >= 0; i--) {
            int64_t c = tzr_change(z, i, yy);
            if (c <= t && c >= best) {
                best = c;
                dst = i == 0;
            }
        }
    return dst ? z->dst : z->std;
}

/* The first instant after t at which a rule names a change (the offset
 * may stay the same there), INT64_MAX without DST. */
static inline int64_t tzr_next(const tzr_zone *z, int64_t t)
{
    int64_t best = INT64_MAX;
    if (!z->has_dst)
        return best;
    int64_t y = tzr_year_of(tzr_fdiv(t, TZR_DAY));
    for (int64_t yy = y - 1; yy <= y + 2; yy++)
        for (int i = 0; i < 2; i++) {
            int64_t c = tzr_change(z, i, yy);
            if (c > t && c < best)
                best = c;
        }
    return best;
}

/* ---- business time ------------------------------------------------------ */

#define TZR_MAX_CLOSURES 1024

typedef struct tzr_cal {
    tzr_zone zone;
    unsigned char open[7][1440]; /* minute of the local weekday open? */
    int n;                       /* closures, sorted by day */
    int64_t day[TZR_MAX_CLOSURES];
    int from[TZR_MAX_CLOSURES], to[TZR_MAX_CLOSURES]; /* minutes */
} tzr_cal;

static inline void tzr_init(tzr_cal *r, const char *tz)
{
    memset(r, 0, sizeof *r);
    tzr_parse(tz, &r->zone);
}

static inline void tzr_hours(tzr_cal *r, int wd, int from, int to)
{
    memset(&r->open[wd][from], 1, (size_t)(to - from));
}

/* A closure of [from, to) minutes on local date `day` (one per date). */
static inline void tzr_closure(tzr_cal *r, int64_t day, int from, int to)
{
    int i = r->n++;
    for (; i > 0 && r->day[i - 1] > day; i--) {
        r->day[i] = r->day[i - 1];
        r->from[i] = r->from[i - 1];
        r->to[i] = r->to[i - 1];
    }
    r->day[i] = day;
    r->from[i] = from;
    r->to[i] = to;
}

/* The index of the closure of local date `day`, or -1. */
static inline int tzr_find(const tzr_cal *r, int64_t day)
{
    int lo = 0, hi = r->n;
    while (lo < hi) {
        int mid = (lo + hi) / 2;
        if (r->day[mid] < day)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < r->n && r->day[lo] == day ? lo : -1;
}

/* Walk [a, b).  With target < 0: returns the business ms.  With
 * target >= 0: stops at the earliest instant where target business ms
 * have run, stored in *due (a for 0; INT64_MIN if b comes first). */
static inline int64_t tzr_walk(const tzr_cal *r, int64_t a, int64_t b, int64_t target,
                               int64_t *due)
{
    if (target == 0) {
        *due = a;
        return 0;
    }
    int64_t t = a, sum = 0, next = INT64_MIN, cday = INT64_MIN;
    int32_t off = 0;
    int k = -1;
    while (t < b) {
        if (t >= next) { /* at a change: read the clock again */
            off = tzr_offset(&r->zone, t);
            next = tzr_next(&r->zone, t);
        }
        int64_t x = t + off * INT64_C(1000), day = tzr_fdiv(x, TZR_DAY);
        int64_t ms = x - day * TZR_DAY;
        if (day != cday) {
            cday = day;
            k = tzr_find(r, day);
        }
        int minute = (int)(ms / TZR_MIN);
        int64_t end = t + TZR_MIN - ms % TZR_MIN;
        end = end < next ? end : next;
        end = end < b ? end : b;
        if (r->open[tzr_wday(day)][minute] &&
            (k < 0 || minute < r->from[k] || minute >= r->to[k])) {
            if (target > 0 && sum + (end - t) >= target) {
                *due = t + (target - sum);
                return target;
            }
            sum += end - t;
        }
        t = end;
    }
    if (target > 0)
        *due = INT64_MIN;
    return sum;
}

/* ---- one configuration, two readers ------------------------------------- */

/* Opening hours into both libkpi's calendar and the reference. */
static inline void tzr_pair_hours(kpi_calendar *c, tzr_cal *r, int wd, int from, int to)
{
    ck_assert_ok(kpi_calendar_add_hours(c, wd, from, to));
    tzr_hours(r, wd, from, to);
}

/* A closure of local date `day` into both, unless the date has one. */
static inline void tzr_pair_closure(kpi_calendar *c, tzr_cal *r, int64_t day, int from, int to)
{
    int y, m, d;
    tzr_civil(day, &y, &m, &d);
    int rc = kpi_calendar_add_closure(c, y, m, d, from, to);
    ck_assert(rc == KPI_OK || rc == KPI_ERR_DUPLICATE);
    if (rc == KPI_OK && r->n < TZR_MAX_CLOSURES)
        tzr_closure(r, day, from, to);
    ck_assert_int_lt(r->n, TZR_MAX_CLOSURES);
}

#endif /* KPI_TESTS_TZREF_H */
