/*
 * The business calendar: POSIX TZ rules evaluated arithmetically, weekly
 * opening ranges, holidays and partial closures.
 * SPDX-License-Identifier: MIT
 *
 * Model.  Local wall-clock time is laid on a "local time line": local ms
 * since 1970-01-01T00:00 local.  F(x) is the business ms on that line from
 * a fixed origin to x: whole weeks * weekly ms + the prefix inside the
 * week - the business ms removed by closures before x (prefix sums over a
 * table sorted by date).  Between two DST transitions the offset o is
 * constant, so the business time of a real span [u, v) is
 * F(v + o) - F(u + o).  Summing over the pieces of [a, b):
 *   elapsed(a, b) = F(b + off(b)) - F(a + off(a))
 *                   + sum over transitions T in (a, b] of
 *                     F(T + o_before) - F(T + o_after)
 * The correction is minus the skipped hour on spring-forward days and
 * plus the repeated hour on fall-back days.  Transitions for 1970..2100
 * are tabulated per object with prefix sums of their corrections, so
 * elapsed is two binary searches and four F evaluations.
 */
#include "kpi/calendar.h"

#include "codec.h"

#define DAY_MS INT64_C(86400000)
#define WEEK_MS (7 * DAY_MS)
#define MIN_MS INT64_C(60000)
#define TMAX KPI_CALENDAR_MAX_TIME
#define TABLE_Y0 1970
#define TABLE_Y1 2100 /* inclusive */
#define TABLE_HI INT64_C(4133980800000) /* 2101-01-01T00:00:00Z */
#define MAX_CLOSURES 1000000
#define BUCKET_SHIFT 35
#define NBUCKET ((size_t)(TABLE_HI >> BUCKET_SHIFT) + 1)

/* ---- civil dates (H. Hinnant's algorithms) ---------------------------- */

static int64_t fdiv(int64_t a, int64_t b)
{
    int64_t q = a / b;
    if ((a % b != 0) && ((a < 0) != (b < 0)))
        q--;
    return q;
}

static int64_t days_from_civil(int64_t y, int64_t m, int64_t d)
{
    y -= m <= 2;
    int64_t era = fdiv(y, 400);
    int64_t yoe = y - era * 400;
    int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

static void civil_from_days(int64_t z, int64_t *y, int32_t *m, int32_t *d)
{
    z += 719468;
    int64_t era = fdiv(z, 146097);
    int64_t doe = z - era * 146097;
    int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    int64_t mp = (5 * doy + 2) / 153;
    *d = (int32_t)(doy - (153 * mp + 2) / 5 + 1);
    *m = (int32_t)(mp < 10 ? mp + 3 : mp - 9);
    *y = yoe + era * 400 + (*m <= 2);
}

static int is_leap(int64_t y)
{
    return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static int month_days(int64_t y, int m)
{
    static const int md[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    return m == 2 && is_leap(y) ? 29 : md[m - 1];
}

/* 0 = Sunday; 1970-01-01 was a Thursday. */
static int weekday_of_day(int64_t day)
{
    int64_t w = (day + 4) % 7;
    return (int)(w < 0 ? w + 7 : w);
}

/* ---- POSIX TZ ----------------------------------------------------------- */

typedef struct tz_rule {
    int8_t kind; /* 'J', 'D' (zero-based day n) or 'M' */
    int16_t n;   /* J / D day */
    int8_t m, w, d;
    int32_t time; /* seconds after local midnight, -167h..167h */
} tz_rule;

typedef struct tz_info {
    int32_t std_off; /* local = UTC + off, seconds */
    int32_t dst_off;
    int has_dst;
    int fixed; /* DST rules that never change the offset */
    tz_rule start, end;
} tz_info;

static const char *parse_name(const char *p)
{
    const char *s = p;
    if (*p == '<') {
        p++;
        s = p;
        while ((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') ||
               (*p >= '0' && *p <= '9') || *p == '+' || *p == '-')
            p++;
        if (*p != '>' || p - s < 3)
            return NULL;
        return p + 1;
    }
    while ((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z'))
        p++;
    return p - s >= 3 ? p : NULL;
}

static const char *parse_num(const char *p, int lo, int hi, int *out)
{
    if (*p < '0' || *p > '9')
        return NULL;
    int v = 0, digits = 0;
    while (*p >= '0' && *p <= '9') {
        v = v * 10 + (*p - '0');
        if (++digits > 3)
            return NULL;
        p++;
    }
    if (v < lo || v > hi)
        return NULL;
    *out = v;
    return p;
}

/* [+-]hh[:mm[:ss]] -> signed seconds. */
static const char *parse_hms(const char *p, int max_h, int32_t *out)
{
    int sign = 1, h, m = 0, s = 0;
    if (*p == '+' || *p == '-') {
        sign = *p == '-' ? -1 : 1;
        p++;
    }
    if ((p = parse_num(p, 0, max_h, &h)) == NULL)
        return NULL;
    if (*p == ':') {
        if ((p = parse_num(p + 1, 0, 59, &m)) == NULL)
            return NULL;
        if (*p == ':' && (p = parse_num(p + 1, 0, 59, &s)) == NULL)
            return NULL;
    }
    *out = sign * (h * 3600 + m * 60 + s);
    return p;
}

static const char *parse_rule(const char *p, tz_rule *r)
{
    int a, b, c;
    if (*p == 'J') {
        if ((p = parse_num(p + 1, 1, 365, &a)) == NULL)
            return NULL;
        r->kind = 'J';
        r->n = (int16_t)a;
    } else if (*p == 'M') {
        if ((p = parse_num(p + 1, 1, 12, &a)) == NULL || *p != '.')
            return NULL;
        if ((p = parse_num(p + 1, 1, 5, &b)) == NULL || *p != '.')
            return NULL;
        if ((p = parse_num(p + 1, 0, 6, &c)) == NULL)
            return NULL;
        r->kind = 'M';
        r->m = (int8_t)a;
        r->w = (int8_t)b;
        r->d = (int8_t)c;
    } else {
        if ((p = parse_num(p, 0, 365, &a)) == NULL)
            return NULL;
        r->kind = 'D';
        r->n = (int16_t)a;
    }
    r->time = 7200;
    if (*p == '/' && (p = parse_hms(p + 1, 167, &r->time)) == NULL)
        return NULL;
    return p;
}

static int tz_parse(const char *s, tz_info *tz)
{
    memset(tz, 0, sizeof *tz);
    const char *p = parse_name(s);
    int32_t off;
    if (p == NULL || (p = parse_hms(p, 24, &off)) == NULL)
        return KPI_ERR_INVALID;
    tz->std_off = -off;
    if (*p == '\0') {
        tz->dst_off = tz->std_off;
        return KPI_OK;
    }
    if ((p = parse_name(p)) == NULL)
        return KPI_ERR_INVALID;
    tz->has_dst = 1;
    tz->dst_off = tz->std_off + 3600;
    if (*p != ',' && *p != '\0') {
        if ((p = parse_hms(p, 24, &off)) == NULL)
            return KPI_ERR_INVALID;
        tz->dst_off = -off;
    }
    if (*p == '\0') { /* US rules by default */
        tz->start = (tz_rule){'M', 0, 3, 2, 0, 7200};
        tz->end = (tz_rule){'M', 0, 11, 1, 0, 7200};
        return KPI_OK;
    }
    if (*p != ',' || (p = parse_rule(p + 1, &tz->start)) == NULL)
        return KPI_ERR_INVALID;
    if (*p != ',' || (p = parse_rule(p + 1, &tz->end)) == NULL)
        return KPI_ERR_INVALID;
    return *p == '\0' ? KPI_OK : KPI_ERR_INVALID;
}

/* The local day (days since epoch) a rule names in year y. */
static int64_t rule_day(const tz_rule *r, int64_t y)
{
    int64_t jan1 = days_from_civil(y, 1, 1);
    if (r->kind == 'J')
        return jan1 + r->n - 1 + (is_leap(y) && r->n >= 60);
    if (r->kind == 'D')
        return jan1 + r->n;
    int64_t first = days_from_civil(y, r->m, 1);
    int wd = weekday_of_day(first);
    int64_t dom = 1 + (r->d - wd + 7) % 7 + (r->w - 1) * 7;
    while (dom > month_days(y, r->m))
        dom -= 7;
    return first + dom - 1;
}

/* UTC ms of year y's DST start and end. */
static void year_transitions(const tz_info *tz, int64_t y, int64_t *s,
                             int64_t *e)
{
    *s = (rule_day(&tz->start, y) * 86400 + tz->start.time - tz->std_off) *
         1000;
    *e = (rule_day(&tz->end, y) * 86400 + tz->end.time - tz->dst_off) * 1000;
}

static int64_t year_of_day(int64_t day)
{
    int64_t y;
    int32_t m, d;
    civil_from_days(day, &y, &m, &d);
    return y;
}

/* The offset in effect at t, from the rules alone: the latest change at
 * or before t.  A year's changes lie within about 9 days of it (rule days
 * 1 January .. 1 January next, times +-167 h, offsets +-25 h), so year
 * y+2 is always after t, and the year before last (y-2) is in force when
 * both of y-1's changes fall after t in early January of y
 * ("J5/0,J365/167": y-1's end is on 6 January of y). */
static int32_t off_rules(const tz_info *tz, int64_t t)
{
    if (!tz->has_dst)
        return tz->std_off;
    int64_t y = year_of_day(fdiv(t + tz->std_off * INT64_C(1000), DAY_MS));
    int64_t best = INT64_MIN, first = INT64_MAX;
    int best_dst = 0, first_dst = 0;
    for (int64_t yy = y - 2; yy <= y + 1; yy++) {
        int64_t s, e;
        year_transitions(tz, yy, &s, &e);
        /* ties: the end applies first, then the start wins */
        if (e <= t && (e > best || (e == best && !best_dst))) {
            best = e;
            best_dst = 0;
        }
        if (s <= t && s >= best) {
            best = s;
            best_dst = 1;
        }
        if (e < first) {
            first = e;
            first_dst = 0;
        }
        if (s < first) {
            first = s;
            first_dst = 1;
        }
    }
    int dst = best != INT64_MIN ? best_dst : !first_dst;
    return dst ? tz->dst_off : tz->std_off;
}

/* The first change of offset strictly after t (by the rules): returns 1
 * and fills *T and *after, or 0 when the offset never changes again.
 * Years are scanned from the one before t's until no transition of the
 * next year can come before the best change found (no rule names a day
 * before 1 January, a time before -167:59:59 or an offset beyond
 * 25:59:59, the default DST of std 24:59:59 east: 193:59:58 before 1
 * January 00:00Z at the earliest, so 194 h are allowed for): a
 * later year's rule may name an earlier instant, so the first change met
 * is not always the first.  Changes may be years apart (rules that differ
 * only in leap years, or when February has five Sundays); the rules
 * repeat every 400 years, so 402 years without a change mean none ever
 * (tz->fixed, set at creation, spares the search). */
static int next_change_rules(const tz_info *tz, int64_t t, int64_t *T,
                             int32_t *after)
{
    if (!tz->has_dst || tz->dst_off == tz->std_off || tz->fixed)
        return 0;
    int64_t y = year_of_day(fdiv(t, DAY_MS));
    int64_t best = INT64_MAX;
    for (int64_t yy = y - 1; yy <= y + 401; yy++) {
        if (best != INT64_MAX &&
            (days_from_civil(yy, 1, 1) * 86400 - 194 * 3600) * 1000 > best)
            break;
        int64_t c[2];
        year_transitions(tz, yy, &c[0], &c[1]);
        if (c[1] < c[0]) { /* the earlier first: it may spare a look-up */
            int64_t x = c[0];
            c[0] = c[1];
            c[1] = x;
        }
        for (int i = 0; i < 2; i++) {
            if (c[i] <= t || c[i] >= best)
                continue;
            int32_t o1 = off_rules(tz, c[i] - 1), o2 = off_rules(tz, c[i]);
            if (o1 != o2) {
                best = c[i];
                *after = o2;
            }
        }
    }
    if (best == INT64_MAX)
        return 0;
    *T = best;
    return 1;
}

/* ---- the object --------------------------------------------------------- */

typedef struct closure {
    int64_t day;     /* local days since epoch */
    int32_t from_ms; /* closed [from_ms, to_ms) of that day */
    int32_t to_ms;
    int64_t removed; /* business ms the closure removes */
    int64_t pre;     /* sum of `removed` of earlier entries */
} closure;

struct kpi_calendar {
    kpi__object base;
    char tz_str[KPI_CALENDAR_MAX_TZ + 1];
    tz_info tz;
    uint8_t nr[7];
    int32_t rng[7][KPI_CALENDAR_MAX_RANGES][2]; /* ms of day, sorted */
    int64_t cum_day[8];                         /* business ms before day */
    closure *cl;
    size_t ncl, capcl;
    int64_t cl_total;
    /* transitions table for 1970..2100: nt instants, offsets (nt + 1)
     * and prefix sums of corrections (nt + 1), one block */
    size_t nt;
    int64_t *tt;
    int32_t *toff;
    int64_t *tcum;
    uint16_t bucket[NBUCKET]; /* first transition index of each bucket */
};


/* Business ms of weekday wd in [0, ms): branch-free over the ranges. */
static int64_t in_day(const kpi_calendar *c, int wd, int64_t ms)
{
    int64_t s = 0;
    for (int i = 0; i < c->nr[wd]; i++) {
        int64_t o = c->rng[wd][i][0], e = c->rng[wd][i][1];
        int64_t v = ms < e ? ms : e;
        v -= o;
        s += v > 0 ? v : 0;
    }
    return s;
}

/* Business ms of weekday wd inside [lo, hi) of the day. */
static int64_t in_window(const kpi_calendar *c, int wd, int64_t lo, int64_t hi)
{
    int64_t s = 0;
    for (int i = 0; i < c->nr[wd]; i++) {
        int64_t o = c->rng[wd][i][0], e = c->rng[wd][i][1];
        if (o < lo)
            o = lo;
        if (e > hi)
            e = hi;
        if (e > o)
            s += e - o;
    }
    return s;
}

/* G: business ms on the local line, holidays ignored. */
static int64_t G(const kpi_calendar *c, int64_t x)
{
    int64_t day = fdiv(x, DAY_MS);
    int64_t ms = x - day * DAY_MS;
    int64_t s = day + 4;
    int64_t week = fdiv(s, 7);
    int wd = (int)(s - week * 7);
    return week * c->cum_day[7] + c->cum_day[wd] + in_day(c, wd, ms);
}

/* Number of closures with day < d (branch-free binary search). */
static size_t cl_lower(const kpi_calendar *c, int64_t d)
{
    size_t n = c->ncl;
    const closure *base = c->cl;
    if (n == 0)
        return 0;
    while (n > 1) {
        size_t half = n / 2;
        base = base[half - 1].day < d ? base + half : base;
        n -= half;
    }
    return (size_t)(base - c->cl) + (base->day < d);
}

/* F: business ms on the local line, holidays included. */
static int64_t F(const kpi_calendar *c, int64_t x)
{
    int64_t day = fdiv(x, DAY_MS);
    int64_t ms = x - day * DAY_MS;
    int64_t s = day + 4;
    int64_t week = fdiv(s, 7);
    int wd = (int)(s - week * 7);
    int64_t g = week * c->cum_day[7] + c->cum_day[wd] + in_day(c, wd, ms);
    if (c->ncl == 0)
        return g;
    size_t k = cl_lower(c, day);
    if (k == c->ncl)
        return g - c->cl_total;
    const closure *e = &c->cl[k];
    g -= e->pre;
    if (e->day == day) {
        int64_t hi = ms < e->to_ms ? ms : e->to_ms;
        if (hi > e->from_ms)
            g -= in_window(c, wd, e->from_ms, hi);
    }
    return g;
}

/* Offset at t (|t| <= TMAX); *idx receives the number of tabulated
 * transitions <= t, or SIZE_MAX outside the table.  A bucket index
 * (buckets of 2^BUCKET_SHIFT ms, about 397 days) gives the first
 * candidate, then at most a few steps. */
static int32_t off_at(const kpi_calendar *c, int64_t t, size_t *idx)
{
    if (c->tt != NULL && t >= 0 && t < TABLE_HI) {
        size_t i = c->bucket[t >> BUCKET_SHIFT];
        while (i < c->nt && c->tt[i] <= t)
            i++;
        *idx = i;
        return c->toff[i];
    }
    *idx = SIZE_MAX;
    return off_rules(&c->tz, t);
}

/* The business ms that the clocks' change k skips (or repeats), as the
 * difference of the business-time function at its two local readings. */
static int64_t transition_term(const kpi_calendar *c, size_t k)
{
    return F(c, c->tt[k] + c->toff[k] * INT64_C(1000)) -
           F(c, c->tt[k] + c->toff[k + 1] * INT64_C(1000));
}

#define ALL_DAYS INT64_MIN

/* Refresh the prefix sums of the transitions' terms: all of them for
 * ALL_DAYS, else those a closure added on local `day` may change.  Such a
 * closure lowers F by the same amount at both local readings of every
 * clock change whose readings are both before that day (by 0) or both
 * after it (by its whole `removed`), so only the terms of changes within
 * a day and an offset of it (offsets are at most 25:59:59) are summed again,
 * and the sums after them move by the difference. */
static void refresh_transitions(kpi_calendar *c, int64_t day)
{
    if (c->tt == NULL)
        return;
    size_t k = 0, end = c->nt;
    if (day == ALL_DAYS) {
        c->tcum[0] = 0;
    } else {
        int64_t lo = (day - 2) * DAY_MS, hi = (day + 3) * DAY_MS;
        while (k < c->nt && c->tt[k] < lo)
            k++;
        end = k;
        while (end < c->nt && c->tt[end] < hi)
            end++;
    }
    /* tcum[0..k] hold new sums, tcum[k + 1..] old ones, which differ from
     * the new by d, the change of the terms summed again so far. */
    int64_t d = 0;
    for (; k < end; k++) {
        int64_t term = transition_term(c, k);
        if (day != ALL_DAYS)
            d += term - (c->tcum[k + 1] - (c->tcum[k] - d));
        c->tcum[k + 1] = c->tcum[k] + term;
    }
    for (k = end + 1; k <= c->nt && d != 0; k++)
        c->tcum[k] += d;
}

static void recompute(kpi_calendar *c)
{
    c->cum_day[0] = 0;
    for (int d = 0; d < 7; d++)
        c->cum_day[d + 1] = c->cum_day[d] + in_day(c, d, DAY_MS);
    int64_t pre = 0;
    for (size_t i = 0; i < c->ncl; i++) {
        closure *e = &c->cl[i];
        e->removed = in_window(c, weekday_of_day(e->day), e->from_ms, e->to_ms);
        e->pre = pre;
        pre += e->removed;
    }
    c->cl_total = pre;
    refresh_transitions(c, ALL_DAYS);
}

static size_t table_bytes(size_t nt)
{
    return nt * sizeof(int64_t) + (nt + 1) * (sizeof(int64_t) + sizeof(int32_t));
}

/* Build the transitions table (only for zones whose offset changes). */
static int build_table(kpi_calendar *c)
{
    const tz_info *tz = &c->tz;
    if (!tz->has_dst || tz->dst_off == tz->std_off)
        return KPI_OK;
    int64_t T[2 * (TABLE_Y1 - TABLE_Y0 + 3)];
    int32_t O[2 * (TABLE_Y1 - TABLE_Y0 + 3) + 1];
    size_t n = 0;
    int64_t t = 0;
    O[0] = off_rules(tz, 0);
    int32_t after;
    while (n < 2 * (TABLE_Y1 - TABLE_Y0 + 3) &&
           next_change_rules(tz, t, &T[n], &after) && T[n] < TABLE_HI) {
        t = T[n];
        O[++n] = after;
    }
    if (n == 0)
        return KPI_OK;
    void *blk = kpi__malloc(&c->base.alloc, table_bytes(n));
    if (blk == NULL)
        return KPI_ERR_NOMEM;
    c->tt = blk;
    c->tcum = c->tt + n;
    c->toff = (int32_t *)(void *)(c->tcum + n + 1);
    memcpy(c->tt, T, n * sizeof *T);
    memcpy(c->toff, O, (n + 1) * sizeof *O);
    c->nt = n;
    size_t k = 0;
    for (size_t b = 0; b < NBUCKET; b++) {
        int64_t b0 = (int64_t)b << BUCKET_SHIFT;
        while (k < n && c->tt[k] < b0)
            k++;
        c->bucket[b] = (uint16_t)k;
    }
    return KPI_OK;
}

static int cal_create(const char *tz, const kpi_allocator *a, kpi_calendar **out)
{
    tz_info info;
    if (out == NULL || tz == NULL)
        return KPI_ERR_INVALID;
    size_t len = strlen(tz);
    if (len > KPI_CALENDAR_MAX_TZ || tz_parse(tz, &info) != KPI_OK)
        return KPI_ERR_INVALID;
    int64_t first;
    int32_t after;
    info.fixed = !next_change_rules(&info, 0, &first, &after);
    void *o;
    int rc = kpi__object_new(&kpi__calendar_type, sizeof(kpi_calendar), a, &o);
    if (rc != KPI_OK)
        return rc;
    kpi_calendar *c = o;
    memcpy(c->tz_str, tz, len + 1);
    c->tz = info;
    if ((rc = build_table(c)) != KPI_OK) {
        kpi__object_free(c);
        return rc;
    }
    recompute(c);
    *out = c;
    return KPI_OK;
}

static void cal_destroy(void *obj)
{
    kpi_calendar *c = obj;
    kpi__free(&c->base.alloc, c->cl);
    kpi__free(&c->base.alloc, c->tt);
    kpi__object_free(c);
}

static int cal_clone(const void *src, void **out)
{
    const kpi_calendar *s = src;
    void *o;
    int rc = kpi__object_new(&kpi__calendar_type, sizeof(kpi_calendar),
                             &s->base.alloc, &o);
    if (rc != KPI_OK)
        return rc;
    kpi_calendar *c = o;
    kpi__object base = c->base;
    memcpy(c, s, sizeof *c);
    c->base = base;
    c->cl = NULL;
    c->tt = NULL;
    c->capcl = c->ncl;
    if (s->ncl) {
        c->cl = kpi__malloc(&c->base.alloc, s->ncl * sizeof *c->cl);
        if (c->cl == NULL) {
            kpi__object_free(c);
            return KPI_ERR_NOMEM;
        }
        memcpy(c->cl, s->cl, s->ncl * sizeof *c->cl);
    }
    if (s->tt) {
        c->tt = kpi__malloc(&c->base.alloc, table_bytes(s->nt));
        if (c->tt == NULL) {
            kpi__free(&c->base.alloc, c->cl);
            kpi__object_free(c);
            return KPI_ERR_NOMEM;
        }
        memcpy(c->tt, s->tt, table_bytes(s->nt));
        c->tcum = c->tt + c->nt;
        c->toff = (int32_t *)(void *)(c->tcum + c->nt + 1);
    }
    *out = c;
    return KPI_OK;
}

static void cal_reset(void *obj) { (void)obj; /* configuration only */ }

static int rule_eq(const tz_rule *a, const tz_rule *b)
{
    return a->kind == b->kind && a->n == b->n && a->m == b->m && a->w == b->w &&
           a->d == b->d && a->time == b->time;
}

static int same_config(const kpi_calendar *a, const kpi_calendar *b)
{
    if (a->tz.std_off != b->tz.std_off || a->tz.dst_off != b->tz.dst_off ||
        a->tz.has_dst != b->tz.has_dst)
        return 0;
    if (a->tz.has_dst &&
        (!rule_eq(&a->tz.start, &b->tz.start) || !rule_eq(&a->tz.end, &b->tz.end)))
        return 0;
    for (int d = 0; d < 7; d++) {
        if (a->nr[d] != b->nr[d])
            return 0;
        for (int i = 0; i < a->nr[d]; i++)
            if (a->rng[d][i][0] != b->rng[d][i][0] ||
                a->rng[d][i][1] != b->rng[d][i][1])
                return 0;
    }
    if (a->ncl != b->ncl)
        return 0;
    for (size_t i = 0; i < a->ncl; i++)
        if (a->cl[i].day != b->cl[i].day || a->cl[i].from_ms != b->cl[i].from_ms ||
            a->cl[i].to_ms != b->cl[i].to_ms)
            return 0;
    return 1;
}

/* Merging configuration: identity when equal. */
static int cal_merge(void *dst, const void *src)
{
    return same_config(dst, src) ? KPI_OK : KPI_ERR_INCOMPATIBLE;
}

static void cal_encode(const void *obj, kpi__writer *w)
{
    const kpi_calendar *c = obj;
    kpi__put_blob(w, c->tz_str, strlen(c->tz_str));
    for (int d = 0; d < 7; d++) {
        kpi__put_varint(w, c->nr[d]);
        for (int i = 0; i < c->nr[d]; i++) {
            kpi__put_varint(w, (uint64_t)(c->rng[d][i][0] / MIN_MS));
            kpi__put_varint(w, (uint64_t)(c->rng[d][i][1] / MIN_MS));
        }
    }
    kpi__put_varint(w, c->ncl);
    for (size_t i = 0; i < c->ncl; i++) {
        kpi__put_svarint(w, c->cl[i].day);
        kpi__put_varint(w, (uint64_t)(c->cl[i].from_ms / MIN_MS));
        kpi__put_varint(w, (uint64_t)(c->cl[i].to_ms / MIN_MS));
    }
}

static int add_hours(kpi_calendar *c, int wd, int32_t o, int32_t e);

static int cal_decode(kpi__reader *r, const kpi_allocator *a, void **out)
{
    size_t n;
    const uint8_t *s = kpi__get_blob(r, KPI_CALENDAR_MAX_TZ, &n);
    if (r->err)
        return r->err;
    char tz[KPI_CALENDAR_MAX_TZ + 1];
    memcpy(tz, s, n);
    tz[n] = '\0';
    if (memchr(tz, '\0', n) != NULL)
        return KPI_ERR_CORRUPT;
    kpi_calendar *c;
    int rc = cal_create(tz, a, &c);
    if (rc == KPI_ERR_INVALID)
        return KPI_ERR_CORRUPT;
    if (rc != KPI_OK)
        return rc;
    for (int d = 0; d < 7 && rc == KPI_OK; d++) {
        size_t k = kpi__get_count(r, KPI_CALENDAR_MAX_RANGES, 2);
        for (size_t i = 0; i < k && rc == KPI_OK && !r->err; i++) {
            uint64_t o = kpi__get_varint(r), e = kpi__get_varint(r);
            if (r->err)
                break;
            /* ranges were written sorted: anything else is corrupt */
            if (o >= e || e > 1440 ||
                (c->nr[d] && c->rng[d][c->nr[d] - 1][1] > (int64_t)o * MIN_MS))
                rc = KPI_ERR_CORRUPT;
            else if ((rc = add_hours(c, d, (int32_t)o, (int32_t)e)) != KPI_OK)
                rc = KPI_ERR_CORRUPT;
        }
    }
    size_t m = rc == KPI_OK ? kpi__get_count(r, MAX_CLOSURES, 3) : 0;
    if (rc == KPI_OK && !r->err && m) {
        c->cl = kpi__malloc(&c->base.alloc, m * sizeof *c->cl);
        if (c->cl == NULL)
            rc = KPI_ERR_NOMEM;
        else
            c->capcl = m;
    }
    for (size_t i = 0; i < m && rc == KPI_OK && !r->err; i++) {
        int64_t day = kpi__get_svarint(r);
        uint64_t f = kpi__get_varint(r), t = kpi__get_varint(r);
        if (r->err)
            break;
        if (day < days_from_civil(1, 1, 1) || day > days_from_civil(9999, 12, 31) ||
            f >= t || t > 1440 || (c->ncl && c->cl[c->ncl - 1].day >= day))
            rc = KPI_ERR_CORRUPT;
        else
            c->cl[c->ncl++] = (closure){day, (int32_t)(f * MIN_MS),
                                        (int32_t)(t * MIN_MS), 0, 0};
    }
    recompute(c);
    if (rc == KPI_OK && r->err)
        rc = r->err;
    if (rc != KPI_OK) {
        cal_destroy(c);
        return rc;
    }
    *out = c;
    return KPI_OK;
}

static size_t cal_footprint(const void *obj)
{
    const kpi_calendar *c = obj;
    return sizeof *c + c->capcl * sizeof(closure) + (c->tt ? table_bytes(c->nt) : 0);
}

const kpi__type kpi__calendar_type = {
    KPI__TAG_CALENDAR, "calendar", cal_clone,  cal_destroy,  cal_reset,
    cal_merge,         cal_encode, cal_decode, cal_footprint};

/* ---- configuration ------------------------------------------------------ */

static int add_hours(kpi_calendar *c, int wd, int32_t o, int32_t e)
{
    int64_t om = o * MIN_MS, em = e * MIN_MS;
    int n = c->nr[wd], pos = n;
    for (int i = 0; i < n; i++) {
        if (om < c->rng[wd][i][1] && c->rng[wd][i][0] < em)
            return KPI_ERR_DUPLICATE;
        if (c->rng[wd][i][0] >= em && pos == n)
            pos = i;
    }
    if (n == KPI_CALENDAR_MAX_RANGES)
        return KPI_ERR_LIMIT;
    memmove(&c->rng[wd][pos + 1], &c->rng[wd][pos],
            (size_t)(n - pos) * sizeof c->rng[wd][0]);
    c->rng[wd][pos][0] = (int32_t)om;
    c->rng[wd][pos][1] = (int32_t)em;
    c->nr[wd]++;
    recompute(c);
    return KPI_OK;
}

static int add_closure_day(kpi_calendar *c, int64_t day, int32_t f, int32_t t)
{
    size_t k = cl_lower(c, day);
    if (k < c->ncl && c->cl[k].day == day)
        return KPI_ERR_DUPLICATE;
    if (c->ncl >= MAX_CLOSURES)
        return KPI_ERR_LIMIT;
    if (c->ncl == c->capcl) {
        size_t cap = c->capcl ? c->capcl * 2 : 8;
        closure *n = kpi__realloc(&c->base.alloc, c->cl, cap * sizeof *n);
        if (n == NULL)
            return KPI_ERR_NOMEM;
        c->cl = n;
        c->capcl = cap;
    }
    /* The sums the reads use are updated for the new entry alone: its
     * later entries' `pre` grow by what it removes (nothing to do for a
     * date after every other, the usual loading order), and only the
     * clock changes around its date are summed again.  A date added after
     * every other costs a binary search and a pass over the clock changes
     * (it cost a pass over every date and change before). */
    int64_t removed = in_window(c, weekday_of_day(day), f * MIN_MS, t * MIN_MS);
    int64_t pre = k < c->ncl ? c->cl[k].pre : c->cl_total;
    memmove(&c->cl[k + 1], &c->cl[k], (c->ncl - k) * sizeof *c->cl);
    c->cl[k] = (closure){day, (int32_t)(f * MIN_MS), (int32_t)(t * MIN_MS),
                         removed, pre};
    c->ncl++;
    for (size_t i = k + 1; i < c->ncl; i++)
        c->cl[i].pre += removed;
    c->cl_total += removed;
    refresh_transitions(c, day);
    return KPI_OK;
}

KPI_API int kpi_calendar_new_with(kpi_calendar **out, const char *posix_tz,
                                  const kpi_allocator *alloc)
{
    return cal_create(posix_tz, alloc, out);
}

KPI_API int kpi_calendar_new(kpi_calendar **out, const char *posix_tz)
{
    return cal_create(posix_tz, NULL, out);
}

KPI_API void kpi_calendar_free(kpi_calendar *cal) { kpi__release(cal); }

KPI_API int kpi_calendar_clone(const kpi_calendar *cal, kpi_calendar **out)
{
    return kpi__clone(&kpi__calendar_type, cal, (void **)out);
}

KPI_API int kpi_calendar_add_hours(kpi_calendar *cal, int weekday,
                                   int32_t open_minute, int32_t close_minute)
{
    if (!kpi__is(cal, &kpi__calendar_type))
        return KPI_ERR_INVALID;
    if (weekday < 0 || weekday > 6 || open_minute < 0 ||
        close_minute <= open_minute || close_minute > 1440)
        return KPI_ERR_RANGE;
    return add_hours(cal, weekday, open_minute, close_minute);
}

static int check_date(int32_t y, int32_t m, int32_t d)
{
    if (y < 1 || y > 9999 || m < 1 || m > 12 || d < 1 || d > month_days(y, m))
        return KPI_ERR_RANGE;
    return KPI_OK;
}

KPI_API int kpi_calendar_add_closure(kpi_calendar *cal, int32_t year,
                                     int32_t month, int32_t day,
                                     int32_t from_minute, int32_t to_minute)
{
    if (!kpi__is(cal, &kpi__calendar_type))
        return KPI_ERR_INVALID;
    if (check_date(year, month, day) != KPI_OK || from_minute < 0 ||
        to_minute <= from_minute || to_minute > 1440)
        return KPI_ERR_RANGE;
    return add_closure_day(cal, days_from_civil(year, month, day), from_minute,
                           to_minute);
}

KPI_API int kpi_calendar_add_holiday(kpi_calendar *cal, int32_t year,
                                     int32_t month, int32_t day)
{
    return kpi_calendar_add_closure(cal, year, month, day, 0, 1440);
}

/* ---- arithmetic --------------------------------------------------------- */

static int in_range(int64_t t) { return t >= -TMAX && t <= TMAX; }

static int64_t elapsed(const kpi_calendar *c, int64_t a, int64_t b)
{
    size_t ia, ib;
    int64_t oa = off_at(c, a, &ia) * INT64_C(1000);
    int64_t ob = off_at(c, b, &ib) * INT64_C(1000);
    int64_t s = F(c, b + ob) - F(c, a + oa);
    if (ia != SIZE_MAX && ib != SIZE_MAX)
        return s + c->tcum[ib] - c->tcum[ia];
    /* outside the table: walk the changes in (a, b] */
    int64_t t = a, T;
    int32_t o2;
    int32_t o1 = (int32_t)(oa / 1000);
    while (next_change_rules(&c->tz, t, &T, &o2) && T <= b) {
        s += F(c, T + o1 * INT64_C(1000)) - F(c, T + o2 * INT64_C(1000));
        o1 = o2;
        t = T;
    }
    return s;
}

KPI_API int kpi_calendar_elapsed(const kpi_calendar *cal, int64_t start_ms,
                                 int64_t end_ms, int64_t *business_ms)
{
    if (!kpi__is(cal, &kpi__calendar_type) || business_ms == NULL)
        return KPI_ERR_INVALID;
    if (!in_range(start_ms) || !in_range(end_ms) || end_ms < start_ms)
        return KPI_ERR_RANGE;
    *business_ms = elapsed(cal, start_ms, end_ms);
    return KPI_OK;
}

#define WEEK_LIMIT (TMAX / WEEK_MS + 4)

/* Smallest local y with G(y) >= v. */
static int G_inv(const kpi_calendar *c, int64_t v, int64_t *y)
{
    int64_t W = c->cum_day[7];
    int64_t week = fdiv(v, W);
    int64_t r = v - week * W;
    if (r == 0) {
        week--;
        r = W;
    }
    if (week > WEEK_LIMIT || week < -WEEK_LIMIT)
        return KPI_ERR_RANGE;
    int d = 0;
    while (c->cum_day[d + 1] < r)
        d++;
    r -= c->cum_day[d];
    int64_t base = week * WEEK_MS + (d - 4) * DAY_MS;
    for (int i = 0; i < c->nr[d]; i++) {
        int64_t len = c->rng[d][i][1] - c->rng[d][i][0];
        if (r <= len) {
            *y = base + c->rng[d][i][0] + r;
            return KPI_OK;
        }
        r -= len;
    }
    return KPI_ERR_RANGE; /* not reached */
}

/* Smallest local y with F(y) >= v. */
static int F_inv(const kpi_calendar *c, int64_t v, int64_t *y)
{
    size_t lo = 0, hi = c->ncl; /* first k with F(start of day k) >= v */
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (G(c, c->cl[mid].day * DAY_MS) - c->cl[mid].pre < v)
            lo = mid + 1;
        else
            hi = mid;
    }
    if (lo == 0)
        return G_inv(c, v, y);
    const closure *e = &c->cl[lo - 1];
    int64_t ds = e->day * DAY_MS;
    int64_t next_pre = e->pre + e->removed;
    if (G(c, ds + DAY_MS) - next_pre < v)
        return G_inv(c, v + next_pre, y);
    /* inside the closure's day: walk its open pieces */
    int64_t need = v - (G(c, ds) - e->pre);
    int wd = weekday_of_day(e->day);
    for (int i = 0; i < c->nr[wd]; i++) {
        int64_t o = c->rng[wd][i][0], en = c->rng[wd][i][1];
        int64_t piece[2][2] = {{o, en < e->from_ms ? en : e->from_ms},
                               {o > e->to_ms ? o : e->to_ms, en}};
        for (int p = 0; p < 2; p++) {
            int64_t len = piece[p][1] - piece[p][0];
            if (len <= 0)
                continue;
            if (need <= len) {
                *y = ds + piece[p][0] + need;
                return KPI_OK;
            }
            need -= len;
        }
    }
    return KPI_ERR_RANGE; /* not reached */
}

/* The next offset change after t: table or rules. */
static int next_change(const kpi_calendar *c, int64_t t, int64_t *T, int32_t *o2)
{
    size_t idx;
    off_at(c, t, &idx);
    if (idx != SIZE_MAX && idx < c->nt) {
        *T = c->tt[idx];
        *o2 = c->toff[idx + 1];
        return 1;
    }
    return next_change_rules(&c->tz, t, T, o2);
}

KPI_API int kpi_calendar_due(const kpi_calendar *cal, int64_t start_ms,
                             int64_t business_ms, int64_t *due_ms)
{
    if (!kpi__is(cal, &kpi__calendar_type) || due_ms == NULL)
        return KPI_ERR_INVALID;
    if (!in_range(start_ms) || business_ms < 0)
        return KPI_ERR_RANGE;
    if (business_ms == 0) {
        *due_ms = start_ms;
        return KPI_OK;
    }
    if (cal->cum_day[7] == 0) /* never due, whatever the target */
        return KPI_ERR_EMPTY;
    if (business_ms > 2 * TMAX) /* more than the whole range holds */
        return KPI_ERR_RANGE;
    int64_t t = start_ms, rem = business_ms, T;
    size_t idx;
    int64_t o = off_at(cal, t, &idx) * INT64_C(1000);
    for (;;) {
        int32_t o2;
        int64_t base = F(cal, t + o);
        int more = next_change(cal, t, &T, &o2);
        if (more && T > TMAX)
            more = 0;
        if (more) {
            int64_t avail = F(cal, T + o) - base;
            if (rem > avail) {
                rem -= avail;
                t = T;
                o = o2 * INT64_C(1000);
                continue;
            }
        }
        int64_t y;
        int rc = F_inv(cal, base + rem, &y);
        if (rc != KPI_OK || !in_range(y - o))
            return KPI_ERR_RANGE;
        *due_ms = y - o;
        return KPI_OK;
    }
}

KPI_API int kpi_calendar_utc_offset(const kpi_calendar *cal, int64_t t_ms,
                                    int32_t *offset_seconds)
{
    if (!kpi__is(cal, &kpi__calendar_type) || offset_seconds == NULL)
        return KPI_ERR_INVALID;
    if (!in_range(t_ms))
        return KPI_ERR_RANGE;
    size_t idx;
    *offset_seconds = off_at(cal, t_ms, &idx);
    return KPI_OK;
}

KPI_API int kpi_calendar_local_time(const kpi_calendar *cal, int64_t t_ms,
                                    int32_t *year, int32_t *month,
                                    int32_t *day, int32_t *weekday,
                                    int32_t *ms_of_day)
{
    if (!kpi__is(cal, &kpi__calendar_type) || year == NULL || month == NULL ||
        day == NULL || weekday == NULL || ms_of_day == NULL)
        return KPI_ERR_INVALID;
    if (!in_range(t_ms))
        return KPI_ERR_RANGE;
    size_t idx;
    int64_t x = t_ms + off_at(cal, t_ms, &idx) * INT64_C(1000);
    int64_t dn = fdiv(x, DAY_MS), y;
    civil_from_days(dn, &y, month, day);
    *year = (int32_t)y;
    *weekday = weekday_of_day(dn);
    *ms_of_day = (int32_t)(x - dn * DAY_MS);
    return KPI_OK;
}

KPI_API int kpi_calendar_is_open(const kpi_calendar *cal, int64_t t_ms,
                                 int *open)
{
    if (!kpi__is(cal, &kpi__calendar_type) || open == NULL)
        return KPI_ERR_INVALID;
    if (!in_range(t_ms))
        return KPI_ERR_RANGE;
    size_t idx;
    int64_t x = t_ms + off_at(cal, t_ms, &idx) * INT64_C(1000);
    /* open iff one more local ms adds business time */
    *open = F(cal, x + 1) - F(cal, x) > 0;
    return KPI_OK;
}

KPI_API int64_t kpi_calendar_week_ms(const kpi_calendar *cal)
{
    return kpi__is(cal, &kpi__calendar_type) ? cal->cum_day[7] : 0;
}

KPI_API int kpi_calendar_equal(const kpi_calendar *a, const kpi_calendar *b,
                               int *equal)
{
    if (!kpi__is(a, &kpi__calendar_type) || !kpi__is(b, &kpi__calendar_type) ||
        equal == NULL)
        return KPI_ERR_INVALID;
    *equal = same_config(a, b);
    return KPI_OK;
}

KPI_API int kpi_calendar_serialize(const kpi_calendar *cal, void *buf,
                                   size_t cap, size_t *len)
{
    if (!kpi__is(cal, &kpi__calendar_type))
        return KPI_ERR_INVALID;
    return kpi__serialize(cal, buf, cap, len);
}

KPI_API int kpi_calendar_deserialize_with(kpi_calendar **out, const void *buf,
                                          size_t len,
                                          const kpi_allocator *alloc)
{
    return kpi__deserialize(&kpi__calendar_type, buf, len, alloc, (void **)out);
}

KPI_API int kpi_calendar_deserialize(kpi_calendar **out, const void *buf,
                                     size_t len)
{
    return kpi__deserialize(&kpi__calendar_type, buf, len, NULL, (void **)out);
}

KPI_API size_t kpi_calendar_footprint(const kpi_calendar *cal)
{
    return kpi__is(cal, &kpi__calendar_type) ? cal_footprint(cal) : 0;
}
