/*
 * evlog.h: the event log CSV shared by examples/gen_events.c (which writes
 * it) and examples/dashboard.c (which reads it): the column header, the
 * event kind names, ISO-8601 UTC times, civil dates and the German
 * nationwide public holidays.  docs/format.md ("Event log CSV") describes
 * the format.  Plain C: the examples do their own I/O (libkpi reads no
 * files); the one libkpi call here is kpi_calendar_add_holiday(), in
 * evlog_add_german_holidays().
 * SPDX-License-Identifier: MIT
 */
#ifndef KPI_EXAMPLE_EVLOG_H
#define KPI_EXAMPLE_EVLOG_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <kpi.h>

/* The first line of every log. */
#define EVLOG_HEADER "time,kind,ticket,actor,value,flags,channel,priority,team,topic"
#define EVLOG_COLUMNS 10

/* Europe/Berlin as a POSIX TZ string (no tz database is read). */
#define EVLOG_TZ "CET-1CEST,M3.5.0,M10.5.0/3"

/* Kind names, indexed by KPI_EVENT_* (0 is unused). */
static const char *const evlog_kind_names[KPI_EVENT_KIND_MAX + 1] = {
    NULL,       "created",  "customer_message", "agent_reply", "bot_reply",
    "handoff",  "note",     "open",             "pending",     "on_hold",
    "assigned", "resolved", "reopened",         "closed",      "merged",
    "csat",     "nps",      "ces",              "logged_in"};

/* The KPI_EVENT_* code of a kind name of `len` bytes, 0 if unknown. */
static inline uint32_t evlog_kind_code(const char *s, size_t len)
{
    for (uint32_t k = 1; k <= KPI_EVENT_KIND_MAX; k++)
        if (strlen(evlog_kind_names[k]) == len && memcmp(evlog_kind_names[k], s, len) == 0)
            return k;
    return 0;
}

/* ---- civil dates (H. Hinnant's algorithms, proleptic Gregorian) ------- */

static inline int64_t evlog_days_from_civil(int64_t y, int64_t m, int64_t d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    int64_t yoe = y - era * 400;
    int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

static inline void evlog_civil_from_days(int64_t z, int32_t *y, int32_t *m, int32_t *d)
{
    z += 719468;
    int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    int64_t doe = z - era * 146097;
    int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    int64_t mp = (5 * doy + 2) / 153;
    *d = (int32_t)(doy - (153 * mp + 2) / 5 + 1);
    *m = (int32_t)(mp < 10 ? mp + 3 : mp - 9);
    *y = (int32_t)(yoe + era * 400 + (*m <= 2));
}

/* Floor division of a time by a day. */
static inline int64_t evlog_day_of(int64_t ms)
{
    return (ms >= 0 ? ms : ms - (KPI_MS_PER_DAY - 1)) / KPI_MS_PER_DAY;
}

/* "2026-03-02T08:15:00.000Z" (24 bytes and a NUL; room for any year). */
static inline void evlog_format_time(int64_t ms, char out[64])
{
    int64_t day = evlog_day_of(ms);
    int64_t in_day = ms - day * KPI_MS_PER_DAY;
    int32_t y, m, d;
    evlog_civil_from_days(day, &y, &m, &d);
    snprintf(out, 64, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", (int)y, (int)m, (int)d,
             (int)(in_day / 3600000), (int)(in_day / 60000 % 60), (int)(in_day / 1000 % 60),
             (int)(in_day % 1000));
}

/* n decimal digits at s, or -1. */
static inline int64_t evlog_digits(const char *s, int n)
{
    int64_t v = 0;
    for (int i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return -1;
        v = v * 10 + (s[i] - '0');
    }
    return v;
}

/* Parse "YYYY-MM-DDTHH:MM:SS[.sss]Z" (exactly that shape); 0 or -1. */
static inline int evlog_parse_time(const char *s, size_t len, int64_t *ms)
{
    if ((len != 20 && len != 24) || s[4] != '-' || s[7] != '-' || s[10] != 'T' ||
        s[13] != ':' || s[16] != ':' || s[len - 1] != 'Z' || (len == 24 && s[19] != '.'))
        return -1;
    int64_t y = evlog_digits(s, 4), mo = evlog_digits(s + 5, 2), d = evlog_digits(s + 8, 2);
    int64_t h = evlog_digits(s + 11, 2), mi = evlog_digits(s + 14, 2);
    int64_t sec = evlog_digits(s + 17, 2), frac = len == 24 ? evlog_digits(s + 20, 3) : 0;
    if (y < 0 || mo < 1 || mo > 12 || d < 1 || h < 0 || h > 23 || mi < 0 || mi > 59 ||
        sec < 0 || sec > 59 || frac < 0)
        return -1;
    int32_t cy, cm, cd; /* reject 2026-02-30 by a round trip */
    int64_t day = evlog_days_from_civil(y, mo, d);
    evlog_civil_from_days(day, &cy, &cm, &cd);
    if (cm != mo || cd != d)
        return -1;
    *ms = day * KPI_MS_PER_DAY + ((h * 60 + mi) * 60 + sec) * 1000 + frac;
    return 0;
}

/* ---- German nationwide public holidays -------------------------------- */

#define EVLOG_HOLIDAYS_PER_YEAR 9

typedef struct evlog_holiday {
    int32_t year, month, day;
    const char *name;
} evlog_holiday;

/* Easter Sunday (anonymous Gregorian algorithm), as a day number. */
static inline int64_t evlog_easter(int32_t y)
{
    int32_t a = y % 19, b = y / 100, c = y % 100, d = b / 4, e = b % 4;
    int32_t f = (b + 8) / 25, g = (b - f + 1) / 3, h = (19 * a + b - d - g + 15) % 30;
    int32_t i = c / 4, k = c % 4, l = (32 + 2 * e + 2 * i - h - k) % 7;
    int32_t m = (a + 11 * h + 22 * l) / 451;
    int32_t month = (h + l - 7 * m + 114) / 31, day = (h + l - 7 * m + 114) % 31 + 1;
    return evlog_days_from_civil(y, month, day);
}

/* The nine public holidays that every German state has today, dated for
 * year y, by date: today's list for every year (not the one-off
 * nationwide Reformation Day of 2017, and October 3 also before 1990). */
static inline void evlog_german_holidays(int32_t y, evlog_holiday out[EVLOG_HOLIDAYS_PER_YEAR])
{
    static const struct { int fixed_month, fixed_day, easter_offset; const char *name; } h[] = {
        {1, 1, 0, "New Year's Day"},  {0, 0, -2, "Good Friday"},
        {0, 0, 1, "Easter Monday"},   {5, 1, 0, "Labour Day"},
        {0, 0, 39, "Ascension Day"},  {0, 0, 50, "Whit Monday"},
        {10, 3, 0, "German Unity Day"}, {12, 25, 0, "Christmas Day"},
        {12, 26, 0, "St Stephen's Day"}};
    int64_t easter = evlog_easter(y);
    for (int i = 0; i < EVLOG_HOLIDAYS_PER_YEAR; i++) {
        out[i].year = y;
        out[i].name = h[i].name;
        if (h[i].fixed_month) {
            out[i].month = h[i].fixed_month;
            out[i].day = h[i].fixed_day;
        } else {
            int32_t yy;
            evlog_civil_from_days(easter + h[i].easter_offset, &yy, &out[i].month, &out[i].day);
        }
    }
    /* sorted by date; May 1 can be Ascension Day (2008): both entries stay
     * (two names for one date), evlog_add_german_holidays() adds it once */
    for (int i = 1; i < EVLOG_HOLIDAYS_PER_YEAR; i++)
        for (int j = i; j > 0 && out[j].month * 32 + out[j].day < out[j - 1].month * 32 + out[j - 1].day; j--) {
            evlog_holiday t = out[j];
            out[j] = out[j - 1];
            out[j - 1] = t;
        }
}

/* Add the German public holidays of years y0..y1 to a calendar (a date
 * that falls twice, May 1 on Ascension Day, is added once). */
static inline int evlog_add_german_holidays(kpi_calendar *cal, int32_t y0, int32_t y1)
{
    for (int32_t y = y0; y <= y1; y++) {
        evlog_holiday h[EVLOG_HOLIDAYS_PER_YEAR];
        evlog_german_holidays(y, h);
        for (int i = 0; i < EVLOG_HOLIDAYS_PER_YEAR; i++) {
            int rc = kpi_calendar_add_holiday(cal, h[i].year, h[i].month, h[i].day);
            if (rc != KPI_OK && rc != KPI_ERR_DUPLICATE)
                return rc;
        }
    }
    return KPI_OK;
}

#endif /* KPI_EXAMPLE_EVLOG_H */
