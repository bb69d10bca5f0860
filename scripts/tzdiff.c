/*
 * Differential check of the business calendar against glibc's POSIX TZ
 * implementation (developer script, see docs/hardening.md).
 *
 *   make && bash scripts/tzdiff.sh [seed]
 *
 * For each TZ string: offsets and broken-down local time at random
 * instants (1900..2200 and the whole accepted range), every 20 minutes
 * from 1900 to 2200, and around every transition (found by bisection on
 * both sides), compared with localtime_r; then business hours (elapsed,
 * due, is_open) against a second-by-second walk using localtime_r, for
 * windows of 2 to 22 days around transitions and at the edges of the
 * library's 1970..2100 table, with holidays and closures on the dates
 * around them.
 *
 * Two properties of glibc are allowed for:
 * - it evaluates every year up to 1970 with 1970's rules (compute_change);
 *   the rules repeat every 400 Gregorian years (146097 days, whole weeks),
 *   so an instant before 1970 is asked 400 (or k * 400) years later;
 * - it evaluates both rules in the UTC year of the instant only, so a
 *   change the rules name for another year is not seen (DST all year,
 *   "0/0,J365/25", has an hour of standard time at every new year; a
 *   change on 1 January local in a zone east of UTC falls in the previous
 *   UTC year).  Where glibc's offset disagrees, the library's is accepted
 *   only if it equals an independent evaluator's here (the latest change
 *   at or before the instant over local years y-3..y+3) and glibc's
 *   equals this UTC-year model; the disagreement is counted as an
 *   artefact, anything else as a failure.  The business walk then takes
 *   its local time from the independent evaluator's offset.
 *
 * TZDIFF_RANDOM=n: n random zones instead, offsets and local time only.
 * SPDX-License-Identifier: MIT
 */
#define _DEFAULT_SOURCE 1
#include "kpi/calendar.h"

#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static uint64_t rng_s = 88172645463325252ULL;
static uint64_t rnd(void)
{
    rng_s ^= rng_s << 13;
    rng_s ^= rng_s >> 7;
    rng_s ^= rng_s << 17;
    return rng_s;
}
static int64_t rr(int64_t lo, int64_t hi) { return lo + (int64_t)(rnd() % (uint64_t)(hi - lo + 1)); }

static long failures, artefacts;

#define CYCLE 12622780800LL /* 400 Gregorian years, in seconds */

/* ---- an independent POSIX TZ evaluator (for adjudication) -------------- */

typedef struct { int kind, n, m, w, d; long secs; } rule;
typedef struct { long std, dst; int has_dst; rule r[2]; } zone; /* offsets east */

static int leap(long y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }
static long days_before_year(long y) /* days from 1970-01-01 to y-01-01 */
{
    static long table[2000];
    static unsigned char have[2000];
    long i = y - 1100; /* years 1100..3099 cached */
    if (i >= 0 && i < 2000 && have[i])
        return table[i];
    long n = 0; /* counted year by year: independent of the library */
    for (long k = 1970; k < y; k++)
        n += 365 + leap(k);
    for (long k = y; k < 1970; k++)
        n -= 365 + leap(k);
    if (i >= 0 && i < 2000) {
        table[i] = n;
        have[i] = 1;
    }
    return n;
}
static const int mdays[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};

static long rule_local_day(const rule *r, long y)
{
    long j = days_before_year(y);
    if (r->kind == 'J')
        return j + r->n - 1 + (leap(y) && r->n >= 60);
    if (r->kind == 'D')
        return j + r->n;
    long first = j;
    for (int k = 1; k < r->m; k++)
        first += mdays[k - 1] + (k == 2 && leap(y));
    int wd = (int)(((first + 4) % 7 + 7) % 7);
    int len = mdays[r->m - 1] + (r->m == 2 && leap(y));
    int dom = 1 + (r->d - wd + 7) % 7;
    for (int k = 1; k < r->w && dom + 7 <= len; k++)
        dom += 7;
    return first + dom - 1;
}

/* offset (east, s) at UTC second t: the latest transition at or before t
 * over local years y-2..y+2 (a start and an end at the same instant: the
 * start wins, so DST all year stays DST) */
static long zone_off(const zone *z, long long t)
{
    if (!z->has_dst)
        return z->std;
    long y = 1970 + (long)(t / 31556952);
    long long best = INT64_MIN;
    int best_dst = 0;
    for (long yy = y - 3; yy <= y + 3; yy++) {
        /* each year's start (to DST) and end, as UTC seconds */
        const long long at[2] = {
            (long long)rule_local_day(&z->r[0], yy) * 86400 + z->r[0].secs - z->std,
            (long long)rule_local_day(&z->r[1], yy) * 86400 + z->r[1].secs - z->dst};
        for (int k = 0; k < 2; k++)
            if (at[k] <= t && (at[k] > best || (at[k] == best && k == 0))) {
                best = at[k];
                best_dst = k == 0;
            }
    }
    return best_dst ? z->dst : z->std;
}

/* glibc's way: both rules in the UTC year of t only */
static long glibc_like_off(const zone *z, long long t)
{
    if (!z->has_dst)
        return z->std;
    long long k = t < 0 ? (-t + CYCLE - 1) / CYCLE : 0;
    time_t tt = (time_t)(t + k * CYCLE);
    struct tm g;
    gmtime_r(&tt, &g);
    g.tm_year -= (int)(k * 400);
    long y = g.tm_year + 1900L;
    long long s = (long long)rule_local_day(&z->r[0], y) * 86400 + z->r[0].secs - z->std;
    long long e = (long long)rule_local_day(&z->r[1], y) * 86400 + z->r[1].secs - z->dst;
    int isdst = s > e ? (t < e || t >= s) : (t >= s && t < e);
    return isdst ? z->dst : z->std;
}

/* ---- zones ---------------------------------------------------------------- */

typedef struct { const char *tz; zone z; } zdef;

#define R(k, n, m, w, d, s) {k, n, m, w, d, s}
#define MR(m, w, d, s) R('M', 0, m, w, d, s)
#define JR(n, s) R('J', n, 0, 0, 0, s)
#define DR(n, s) R('D', n, 0, 0, 0, s)
#define HH 3600L
static const zdef zones[] = {
    {"UTC0", {0, 0, 0, {{0}}}},
    {"JST-9", {9 * HH, 9 * HH, 0, {{0}}}},
    {"<-03>3", {-3 * HH, -3 * HH, 0, {{0}}}},
    {"<+0545>-5:45", {20700, 20700, 0, {{0}}}},
    {"ABC+24", {-24 * HH, -24 * HH, 0, {{0}}}},
    {"ABC-24:59:59", {89999, 89999, 0, {{0}}}},
    {"EST5EDT", {-5 * HH, -4 * HH, 1, {MR(3, 2, 0, 7200), MR(11, 1, 0, 7200)}}},
    {"CET-1CEST,M3.5.0,M10.5.0/3", {HH, 2 * HH, 1, {MR(3, 5, 0, 7200), MR(10, 5, 0, 3 * HH)}}},
    {"EST5EDT,M3.2.0,M11.1.0", {-5 * HH, -4 * HH, 1, {MR(3, 2, 0, 7200), MR(11, 1, 0, 7200)}}},
    {"EST5EDT4,M3.2.0/02:00:00,M11.1.0/02:00:00",
     {-5 * HH, -4 * HH, 1, {MR(3, 2, 0, 7200), MR(11, 1, 0, 7200)}}},
    {"AEST-10AEDT,M10.1.0,M4.1.0/3", {10 * HH, 11 * HH, 1, {MR(10, 1, 0, 7200), MR(4, 1, 0, 3 * HH)}}},
    {"<-03>3<-02>,M3.5.0/-2,M10.5.0/-1",
     {-3 * HH, -2 * HH, 1, {MR(3, 5, 0, -2 * HH), MR(10, 5, 0, -HH)}}},
    {"NZST-12NZDT,M9.5.0,M4.1.0/3", {12 * HH, 13 * HH, 1, {MR(9, 5, 0, 7200), MR(4, 1, 0, 3 * HH)}}},
    {"IST-1GMT0,M10.5.0,M3.5.0/1", {HH, 0, 1, {MR(10, 5, 0, 7200), MR(3, 5, 0, HH)}}},
    {"GMT0BST,M3.5.0/1,M10.5.0", {0, HH, 1, {MR(3, 5, 0, HH), MR(10, 5, 0, 7200)}}},
    /* DST all year (RFC 8536 form) */
    {"EST5EDT,0/0,J365/25", {-5 * HH, -4 * HH, 1, {DR(0, 0), JR(365, 25 * HH)}}},
    {"WART4WARST,J1/0,J365/25", {-4 * HH, -3 * HH, 1, {JR(1, 0), JR(365, 25 * HH)}}},
    {"<+13>-13<+14>,0/0,J365/25", {13 * HH, 14 * HH, 1, {DR(0, 0), JR(365, 25 * HH)}}},
    {"<-11>11<-10>,0/0,J365/25", {-11 * HH, -10 * HH, 1, {DR(0, 0), JR(365, 25 * HH)}}},
    /* leap days: J60, n = 59/60/365, M2.5 */
    {"ABC3DEF,59/2,60/2", {-3 * HH, -2 * HH, 1, {DR(59, 7200), DR(60, 7200)}}},
    {"ABC3DEF,J59/2,J60/2", {-3 * HH, -2 * HH, 1, {JR(59, 7200), JR(60, 7200)}}},
    {"ABC3DEF,J60,J365", {-3 * HH, -2 * HH, 1, {JR(60, 7200), JR(365, 7200)}}},
    {"ABC3DEF,59,365", {-3 * HH, -2 * HH, 1, {DR(59, 7200), DR(365, 7200)}}},
    {"ABC-3DEF,M2.5.0,M2.4.6", {3 * HH, 4 * HH, 1, {MR(2, 5, 0, 7200), MR(2, 4, 6, 7200)}}},
    {"ABC-3DEF,M2.5.4/23,M3.1.0", {3 * HH, 4 * HH, 1, {MR(2, 5, 4, 23 * HH), MR(3, 1, 0, 7200)}}},
    {"XXX3YYY,J60/25,300/-3", {-3 * HH, -2 * HH, 1, {JR(60, 25 * HH), DR(300, -3 * HH)}}},
    /* negative and long rule times */
    {"FOO1BAR,M1.1.0/167,M12.5.6/-167", {-HH, 0, 1, {MR(1, 1, 0, 167 * HH), MR(12, 5, 6, -167 * HH)}}},
    {"IST-2IDT,M3.4.4/26,M10.5.0", {2 * HH, 3 * HH, 1, {MR(3, 4, 4, 26 * HH), MR(10, 5, 0, 7200)}}},
    {"<-02>2<-01>,M3.5.0/-1,M10.5.0/0", {-2 * HH, -HH, 1, {MR(3, 5, 0, -HH), MR(10, 5, 0, 0)}}},
    {"<-04>4<-03>,M9.1.6/24,M4.1.6/24", {-4 * HH, -3 * HH, 1, {MR(9, 1, 6, 24 * HH), MR(4, 1, 6, 24 * HH)}}},
    {"ABC-5:45:30DEF-6,M4.5.6/167,M9.1.0/-100",
     {20730, 6 * HH, 1, {MR(4, 5, 6, 167 * HH), MR(9, 1, 0, -100 * HH)}}},
    /* minutes and seconds */
    {"<-0330>3:30<-0230>2:30:15,M3.2.0/-5:30,M11.1.0/30",
     {-12600, -9015, 1, {MR(3, 2, 0, -19800), MR(11, 1, 0, 30 * HH)}}},
    {"NST3:30NDT,M3.2.0,M11.1.0", {-12600, -9000, 1, {MR(3, 2, 0, 7200), MR(11, 1, 0, 7200)}}},
    {"<+1245>-12:45<+1345>,M9.5.0/2:45,M4.1.0/3:45",
     {45900, 49500, 1, {MR(9, 5, 0, 9900), MR(4, 1, 0, 13500)}}},
    {"AAA-1:00:01BBB-2:00:02,M3.5.0/1:02:03,M10.5.0/4:05:06",
     {3601, 7202, 1, {MR(3, 5, 0, 3723), MR(10, 5, 0, 14706)}}},
    /* big explicit DST offsets, negative DST, rules near new year */
    {"AAA5BBB-5,M3.2.0,M11.1.0", {-5 * HH, 5 * HH, 1, {MR(3, 2, 0, 7200), MR(11, 1, 0, 7200)}}},
    {"AAA-14BBB-12,M1.1.0/0,M12.5.0/0", {14 * HH, 12 * HH, 1, {MR(1, 1, 0, 0), MR(12, 5, 0, 0)}}},
    {"AAA-12BBB,J1/0,J365/23", {12 * HH, 13 * HH, 1, {JR(1, 0), JR(365, 23 * HH)}}},
    {"AAA11BBB,J365/22,J1/3", {-11 * HH, -10 * HH, 1, {JR(365, 22 * HH), JR(1, 3 * HH)}}},
    {"AAA-10BBB,M12.5.0/23,M1.1.0/1", {10 * HH, 11 * HH, 1, {MR(12, 5, 0, 23 * HH), MR(1, 1, 0, HH)}}},
    {"AAA10BBB,M12.5.6/-20,M1.1.0/-10", {-10 * HH, -9 * HH, 1, {MR(12, 5, 6, -20 * HH), MR(1, 1, 0, -10 * HH)}}},
    {"<+0330>-3:30<+0430>,J79/24,J263/24", {12600, 16200, 1, {JR(79, 24 * HH), JR(263, 24 * HH)}}},
    {"AAA-24BBB-24,M3.5.0,M10.5.0", {24 * HH, 24 * HH, 1, {MR(3, 5, 0, 7200), MR(10, 5, 0, 7200)}}},
    {"AAA-24BBB-23,M3.5.0,M10.5.0", {24 * HH, 23 * HH, 1, {MR(3, 5, 0, 7200), MR(10, 5, 0, 7200)}}},
    {"AAA24BBB23,M3.5.0,M10.5.0", {-24 * HH, -23 * HH, 1, {MR(3, 5, 0, 7200), MR(10, 5, 0, 7200)}}},
    {"AAA-1BBB,M3.5.0/-167,M3.5.0/167", {HH, 2 * HH, 1, {MR(3, 5, 0, -167 * HH), MR(3, 5, 0, 167 * HH)}}},
    {"AAA-1BBB,M3.5.0/167,M3.5.0/-167", {HH, 2 * HH, 1, {MR(3, 5, 0, 167 * HH), MR(3, 5, 0, -167 * HH)}}},
    {"AAA-1BBB,M3.5.0,M3.5.0", {HH, 2 * HH, 1, {MR(3, 5, 0, 7200), MR(3, 5, 0, 7200)}}},
    {"AAA-1BBB,J1/0,J1/0", {HH, 2 * HH, 1, {JR(1, 0), JR(1, 0)}}},
    {"AAA-1BBB,M3.5.0,M3.5.0/3", {HH, 2 * HH, 1, {MR(3, 5, 0, 7200), MR(3, 5, 0, 3 * HH)}}},
    /* a rule of the year before last still in force: short DST early in
     * January, ended by the previous year's J365/167 */
    {"AAA-1BBB,J5/0,J365/167", {HH, 2 * HH, 1, {JR(5, 0), JR(365, 167 * HH)}}},
    {"AAA1BBB,4/0,J365/167", {-HH, 0, 1, {DR(4, 0), JR(365, 167 * HH)}}},
    {"AAA-1BBB,J365/167,J5/0", {HH, 2 * HH, 1, {JR(365, 167 * HH), JR(5, 0)}}},
    {"AAA-1BBB,J361/-167,J1/-167", {HH, 2 * HH, 1, {JR(361, -167 * HH), JR(1, -167 * HH)}}},
    {"AAA-1BBB,M1.1.0/167,M12.5.6/167", {HH, 2 * HH, 1, {MR(1, 1, 0, 167 * HH), MR(12, 5, 6, 167 * HH)}}},
    {"EST5EDT4", {-5 * HH, -4 * HH, 1, {MR(3, 2, 0, 7200), MR(11, 1, 0, 7200)}}},
    {"<+0330>-3:30<+0430>", {12600, 16200, 1, {MR(3, 2, 0, 7200), MR(11, 1, 0, 7200)}}},
};
#define NZONES (sizeof zones / sizeof *zones)

/* ---- offsets and local time ----------------------------------------------- */

/* glibc computes the rules of every year up to 1970 as those of 1970
 * (compute_change: "if (year > 1970) ... else t = 0"); the Gregorian
 * calendar and so the rules repeat every 400 years (146097 days, whole
 * weeks): before 1970, ask glibc 400 years later. */
static void g_local(long long t, struct tm *tm)
{
    long long k = t < 0 ? (-t + CYCLE - 1) / CYCLE : 0; /* cycles to add */
    time_t tt = (time_t)(t + k * CYCLE);
    if (localtime_r(&tt, tm) == NULL) {
        printf("localtime_r failed at %lld\n", t);
        exit(2);
    }
    tm->tm_year -= (int)(k * 400);
}

static long g_off(long long t)
{
    struct tm tm;
    g_local(t, &tm);
    return tm.tm_gmtoff;
}

static long k_off(const kpi_calendar *c, long long t)
{
    int32_t o;
    if (kpi_calendar_utc_offset(c, (int64_t)t * 1000, &o) != KPI_OK) {
        printf("utc_offset failed\n");
        exit(2);
    }
    return o;
}

/* compare at one instant (seconds + ms); classify disagreements */
static void cmp_at(const zdef *zd, const kpi_calendar *c, long long t, int ms)
{
    struct tm tm;
    g_local(t, &tm);
    int32_t o, y, mo, d, wd, msd;
    int64_t tms = (int64_t)t * 1000 + ms;
    kpi_calendar_utc_offset(c, tms, &o);
    kpi_calendar_local_time(c, tms, &y, &mo, &d, &wd, &msd);
    int fields_ok = y == tm.tm_year + 1900 && mo == tm.tm_mon + 1 && d == tm.tm_mday &&
                    wd == tm.tm_wday &&
                    msd == (tm.tm_hour * 3600 + tm.tm_min * 60 + tm.tm_sec) * 1000 + ms;
    if (o == tm.tm_gmtoff && fields_ok)
        return;
    long ref = zone_off(&zd->z, t), gl = glibc_like_off(&zd->z, t);
    if (o == tm.tm_gmtoff && !fields_ok) {
        failures++;
        if (failures < 60)
            printf("FIELDS %s t=%lld: kpi %d-%d-%d wd%d %d, glibc %d-%d-%d wd%d %02d:%02d:%02d\n",
                   zd->tz, t, y, mo, d, wd, msd, tm.tm_year + 1900, tm.tm_mon + 1,
                   tm.tm_mday, tm.tm_wday, tm.tm_hour, tm.tm_min, tm.tm_sec);
        return;
    }
    if (o == ref && gl == tm.tm_gmtoff && gl != ref) {
        artefacts++;
        static const char *last;
        if (last != zd->tz) {
            last = zd->tz;
            printf("artefact %s t=%lld: kpi=ref %d, glibc %ld (UTC-year evaluation)\n",
                   zd->tz, t, o, tm.tm_gmtoff);
        }
        return;
    }
    failures++;
    if (failures < 60)
        printf("OFFSET %s t=%lld: kpi %d glibc %ld ref %ld glibc-like %ld\n", zd->tz, t, o,
               tm.tm_gmtoff, ref, gl);
}

/* first second in (lo, hi] where f changes from f(lo) */
static long long bisect(long (*f)(const void *, long long), const void *a, long long lo,
                        long long hi)
{
    long v = f(a, lo);
    while (hi - lo > 1) {
        long long mid = lo + (hi - lo) / 2;
        if (f(a, mid) == v)
            lo = mid;
        else
            hi = mid;
    }
    return hi;
}
static long fg(const void *a, long long t) { (void)a; return g_off(t); }
static long fk(const void *a, long long t) { return k_off(a, t); }

static void offsets(const zdef *zd, const kpi_calendar *c)
{
    const long long lo = -2208988800LL; /* 1900-01-01 */
    const long long hi = 7258118400LL;  /* 2200-01-01 */
    for (int i = 0; i < 20000; i++)
        cmp_at(zd, c, rr(lo, hi), (int)rr(0, 999));
    /* the whole accepted range, +-8.64e15 ms (years -271,821..275,760) */
    for (int i = 0; i < 2000; i++) {
        long long t = rr(-8640000000000LL, 8640000000000LL - 1);
        cmp_at(zd, c, t, (int)rr(0, 999));
    }
    /* steps of 20 minutes; every change bisected on both sides */
    long long step = 1200;
    long pg = g_off(lo), pk = k_off(c, lo);
    for (long long t = lo + step; t <= hi; t += step) {
        long ng = g_off(t), nk = k_off(c, t);
        if (ng != pg || nk != pk) {
            long long T[2] = {t, t};
            if (ng != pg)
                T[0] = bisect(fg, NULL, t - step, t);
            if (nk != pk)
                T[1] = bisect(fk, c, t - step, t);
            for (int k = 0; k < 2; k++)
                for (long long u = T[k] - 2; u <= T[k] + 1; u++) {
                    cmp_at(zd, c, u, 0);
                    cmp_at(zd, c, u, 999);
                }
        }
        if ((t / step) % 97 == 0)
            cmp_at(zd, c, t, 0);
        pg = ng;
        pk = nk;
    }
}

/* ---- business time ------------------------------------------------------ */

typedef struct {
    unsigned char open[7][1440];
    int ncl, y[8], m[8], d[8], from[8], to[8];
} hours;

static const zone *cur_zone; /* for ref_open */
static long corrected;

static int ref_open(const hours *h, long long t)
{
    struct tm tm;
    g_local(t, &tm);
    long want = zone_off(cur_zone, t);
    if (tm.tm_gmtoff != want) {
        /* a glibc artefact (the offsets were compared above): take the
         * fields at the offset of the rules applied to every year */
        time_t u = (time_t)(t + want + CYCLE);
        gmtime_r(&u, &tm);
        tm.tm_year -= 400;
        corrected++;
    }
    int minute = tm.tm_hour * 60 + tm.tm_min;
    if (!h->open[tm.tm_wday][minute])
        return 0;
    for (int i = 0; i < h->ncl; i++)
        if (h->y[i] == tm.tm_year + 1900 && h->m[i] == tm.tm_mon + 1 && h->d[i] == tm.tm_mday &&
            minute >= h->from[i] && minute < h->to[i])
            return 0;
    return 1;
}

static void add_range(kpi_calendar *c, hours *h, int wd, int o, int e)
{
    if (kpi_calendar_add_hours(c, wd, o, e) != KPI_OK)
        return;
    for (int k = o; k < e; k++)
        h->open[wd][k] = 1;
}

enum { MAXWIN = 22 * 86400 };
static unsigned char open_s[MAXWIN];
static int64_t pre[MAXWIN + 1];

static void business(const zdef *zd, int shape, long long center, int span_days)
{
    static hours h;
    memset(&h, 0, sizeof h);
    kpi_calendar *c;
    kpi_calendar_new(&c, zd->tz);
    cur_zone = &zd->z;
    switch (shape) {
    case 0: /* Mon-Fri 9-17 */
        for (int d = 1; d <= 5; d++)
            add_range(c, &h, d, 540, 1020);
        break;
    case 1: /* split shifts, a night shift across midnight */
        for (int d = 1; d <= 5; d++) {
            add_range(c, &h, d, 480, 720);
            add_range(c, &h, d, 780, 1080);
            add_range(c, &h, d, 1320, 1440);
            add_range(c, &h, (d + 1) % 7, 0, 360);
        }
        break;
    case 2: /* 24 h every day */
        for (int d = 0; d < 7; d++)
            add_range(c, &h, d, 0, 1440);
        break;
    case 3: /* ranges around the usual change times */
        for (int d = 0; d < 7; d++) {
            add_range(c, &h, d, 60, 150);
            add_range(c, &h, d, 150, 181);
            add_range(c, &h, d, 1410, 1440);
        }
        add_range(c, &h, 0, 0, 60);
        add_range(c, &h, 6, 181, 300);
        break;
    default: /* random ranges */
        for (int d = 0; d < 7; d++) {
            int m = (int)rr(0, 200);
            while (m < 1440) {
                int e = m + (int)rr(1, 300);
                e = e > 1440 ? 1440 : e;
                if (rr(0, 3) > 0)
                    add_range(c, &h, d, m, e);
                m = e + (int)rr(0, 200);
            }
        }
    }
    /* holidays / closures on local dates around the centre */
    for (int k = -2; k <= 2; k++) {
        if (rr(0, 2) == 0)
            continue;
        struct tm tm;
        time_t u = (time_t)(center + k * 86400 + zone_off(&zd->z, center + k * 86400) + CYCLE);
        gmtime_r(&u, &tm);
        tm.tm_year -= 400;
        int from = 0, to = 1440;
        if (rr(0, 1)) {
            from = (int)rr(0, 1400);
            to = (int)rr(from + 1, 1440);
        }
        if (kpi_calendar_add_closure(c, tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, from, to) !=
            KPI_OK)
            continue;
        h.y[h.ncl] = tm.tm_year + 1900;
        h.m[h.ncl] = tm.tm_mon + 1;
        h.d[h.ncl] = tm.tm_mday;
        h.from[h.ncl] = from;
        h.to[h.ncl++] = to;
    }
    int win = span_days * 86400;
    long long s0 = center - win / 2;
    pre[0] = 0;
    for (int i = 0; i < win; i++) {
        open_s[i] = (unsigned char)ref_open(&h, s0 + i);
        pre[i + 1] = pre[i] + open_s[i];
    }
    int64_t base = (int64_t)s0 * 1000, top = base + (int64_t)win * 1000;
    for (int q = 0; q < 300; q++) {
        int64_t a = rr(base, top - 1), b = rr(a, top - 1);
        if (q % 4 == 0) { /* whole seconds near the centre */
            a = (center + rr(-7200, 7200)) * 1000;
            b = a + rr(0, 3 * 86400) * 1000;
            if (b >= top)
                b = top - 1;
        }
        int64_t ka = (a - base) / 1000, kb = (b - base) / 1000;
        int64_t pa = pre[ka] * 1000 + open_s[ka] * ((a - base) % 1000);
        int64_t pb = pre[kb] * 1000 + open_s[kb] * ((b - base) % 1000);
        int64_t e = -1;
        int rc = kpi_calendar_elapsed(c, a, b, &e);
        if (rc != KPI_OK || e != pb - pa) {
            failures++;
            if (failures < 60)
                printf("ELAPSED %s shape %d [%lld, %lld): kpi %lld want %lld\n", zd->tz, shape,
                       (long long)a, (long long)b, (long long)e, (long long)(pb - pa));
        }
        int64_t x = rr(0, pre[win] * 1000 - pa), v = pa + x, want = a;
        if (x > 0) {
            int lo = 0, hi2 = win - 1;
            while (lo < hi2) {
                int mid = (lo + hi2) / 2;
                if (pre[mid + 1] * 1000 >= v)
                    hi2 = mid;
                else
                    lo = mid + 1;
            }
            want = base + (int64_t)lo * 1000 + v - pre[lo] * 1000;
        }
        int64_t du = 0;
        rc = kpi_calendar_due(c, a, x, &du);
        if (rc != KPI_OK || du != want) {
            failures++;
            if (failures < 60)
                printf("DUE %s shape %d due(%lld, %lld): kpi %lld (rc %d) want %lld\n", zd->tz,
                       shape, (long long)a, (long long)x, (long long)du, rc, (long long)want);
        }
        int op = -1;
        kpi_calendar_is_open(c, a, &op);
        if (op != open_s[ka]) {
            failures++;
            if (failures < 60)
                printf("OPEN %s shape %d at %lld: kpi %d want %d\n", zd->tz, shape,
                       (long long)a, op, open_s[ka]);
        }
    }
    kpi_calendar_free(c);
}

/* transitions of glibc in [lo, hi) (20 min steps, bisected) */
static int transitions(long long lo, long long hi, long long *out, int max)
{
    int n = 0;
    long p = g_off(lo);
    for (long long t = lo + 1200; t < hi && n < max; t += 1200) {
        long q = g_off(t);
        if (q != p)
            out[n++] = bisect(fg, NULL, t - 1200, t);
        p = q;
    }
    return n;
}

/* ---- random zones (TZDIFF_RANDOM=n) -------------------------------------- */

static int fmt_hms(char *p, long v, int force_sign)
{
    const char *sign = v < 0 ? "-" : force_sign ? "+" : "";
    long a = v < 0 ? -v : v;
    if (a % 60)
        return sprintf(p, "%s%ld:%02ld:%02ld", sign, a / 3600, a / 60 % 60, a % 60);
    if (a % 3600)
        return sprintf(p, "%s%ld:%02ld", sign, a / 3600, a / 60 % 60);
    return sprintf(p, "%s%ld", sign, a / 3600);
}

static long rand_off(void)
{
    switch (rr(0, 3)) {
    case 0: return rr(-24, 24) * 3600;
    case 1: return rr(-96, 96) * 900;
    case 2: return rr(-89999, 89999);
    default: return rr(-14, 14) * 3600;
    }
}

static void rand_rule(rule *r, char **p)
{
    switch (rr(0, 2)) {
    case 0:
        *r = (rule){'J', (int)rr(1, 365), 0, 0, 0, 0};
        *p += sprintf(*p, "J%d", r->n);
        break;
    case 1:
        *r = (rule){'D', (int)rr(0, 365), 0, 0, 0, 0};
        *p += sprintf(*p, "%d", r->n);
        break;
    default:
        *r = (rule){'M', 0, (int)rr(1, 12), (int)rr(1, 5), (int)rr(0, 6), 0};
        *p += sprintf(*p, "M%d.%d.%d", r->m, r->w, r->d);
    }
    switch (rr(0, 3)) {
    case 0: r->secs = 7200; break;
    case 1: r->secs = rr(-167, 167) * 3600; break;
    case 2: r->secs = rr(-167 * 60, 167 * 60) * 60; break;
    default: r->secs = rr(-3, 27) * 3600 + rr(0, 3599);
    }
    if (r->secs != 7200 || rr(0, 1)) {
        *(*p)++ = '/';
        *p += fmt_hms(*p, r->secs, 0);
    }
}

static void random_zones(int n)
{
    static char buf[200];
    for (int i = 0; i < n; i++) {
        zdef zd;
        char *p = buf;
        memset(&zd, 0, sizeof zd);
        zd.z.std = rand_off();
        p += sprintf(p, "<R%03d>", i);
        p += fmt_hms(p, -zd.z.std, rr(0, 1));
        zd.z.has_dst = 1;
        zd.z.dst = zd.z.std + 3600;
        p += sprintf(p, "DDD");
        if (rr(0, 2)) {
            zd.z.dst = rr(0, 1) ? zd.z.std + rr(-8, 8) * 1800 : rand_off();
            if (zd.z.dst > 89999 || zd.z.dst < -89999)
                zd.z.dst = zd.z.std;
            p += fmt_hms(p, -zd.z.dst, 0);
        }
        *p++ = ',';
        rand_rule(&zd.z.r[0], &p);
        *p++ = ',';
        rand_rule(&zd.z.r[1], &p);
        *p = '\0';
        zd.tz = buf;
        setenv("TZ", buf, 1);
        tzset();
        kpi_calendar *c;
        if (kpi_calendar_new(&c, buf) != KPI_OK) {
            printf("REFUSED %s\n", buf);
            failures++;
            continue;
        }
        long f0 = failures;
        for (int k = 0; k < 1500; k++) {
            long long t = rr(-2208988800LL, 7258118400LL);
            if (k % 3 == 0) { /* near a change the rules name */
                long y = (long)rr(1900, 2199);
                int w = (int)rr(0, 1);
                t = (long long)rule_local_day(&zd.z.r[w], y) * 86400 + zd.z.r[w].secs -
                    (w ? zd.z.dst : zd.z.std) + rr(-2, 1);
            }
            if (zone_off(&zd.z, t) != k_off(c, t)) {
                failures++;
                printf("REF-MISMATCH %s t=%lld ref %ld kpi %ld\n", buf, t, zone_off(&zd.z, t),
                       k_off(c, t));
                break;
            }
            cmp_at(&zd, c, t, (int)rr(0, 999));
        }
        if (failures != f0)
            printf("random zone %s: %ld failures\n", buf, failures - f0);
        kpi_calendar_free(c);
    }
}

int main(int argc, char **argv)
{
    if (argc > 1)
        rng_s = strtoull(argv[1], NULL, 10) * 2654435761ULL + 1;
    setenv("TZDIR", "/nonexistent-tzdir", 1); /* no zoneinfo file, no posixrules */
    int only_offsets = getenv("TZDIFF_NO_BUSINESS") != NULL;
    const char *only = getenv("TZDIFF_ONLY");
    if (getenv("TZDIFF_RANDOM") != NULL) {
        random_zones(atoi(getenv("TZDIFF_RANDOM")));
        printf("TOTAL failures %ld, glibc artefacts %ld\n", failures, artefacts);
        return failures != 0;
    }
    for (size_t z = 0; z < NZONES; z++) {
        const zdef *zd = &zones[z];
        if (only != NULL && strstr(zd->tz, only) == NULL)
            continue;
        setenv("TZ", zd->tz, 1);
        tzset();
        kpi_calendar *c;
        int rc = kpi_calendar_new(&c, zd->tz);
        if (rc != KPI_OK) {
            printf("REFUSED %s (%d)\n", zd->tz, rc);
            failures++;
            continue;
        }
        long f0 = failures, a0 = artefacts;
        /* the independent evaluator itself must agree with kpi */
        for (int i = 0; i < 3000; i++) {
            long long t = rr(-2208988800LL, 7258118400LL);
            if (zone_off(&zd->z, t) != k_off(c, t)) {
                printf("REF-MISMATCH %s t=%lld ref %ld kpi %ld\n", zd->tz, t,
                       zone_off(&zd->z, t), k_off(c, t));
                failures++;
                break;
            }
        }
        offsets(zd, c);
        kpi_calendar_free(c);
        if (!only_offsets && zd->z.has_dst && zd->z.std != zd->z.dst) {
            long long T[8];
            for (int rep = 0; rep < 6; rep++) {
                long long y0 = rr(1901, 2190);
                long long lo = (y0 - 1970) * 31556952LL;
                int n = transitions(lo, lo + 400 * 86400LL, T, 8);
                long long centre = n ? T[rr(0, n - 1)] : lo + 200 * 86400LL;
                int span = (int)rr(2, 21);
                business(zd, rep < 4 ? rep : 4 + (int)rr(0, 9), centre, span);
            }
            /* the edges of the library's 1970..2100 transition table */
            business(zd, (int)rr(0, 4), rr(-5, 5) * 86400LL, 21);
            business(zd, (int)rr(0, 4), 4133980800LL + rr(-5, 5) * 86400LL, 21);
        } else if (!only_offsets) {
            business(zd, 0, rr(0, 2000000000LL), 10);
            business(zd, 4, rr(-2000000000LL, 4000000000LL), 5);
        }
        printf("%-50s failures %ld artefacts %ld\n", zd->tz, failures - f0, artefacts - a0);
        fflush(stdout);
    }
    printf("TOTAL failures %ld, glibc artefacts %ld (seconds of the business walk "
           "corrected for them: %ld)\n", failures, artefacts, corrected);
    return failures != 0;
}
