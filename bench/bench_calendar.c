/*
 * Business calendar benchmark: elapsed() and due() per call for spans up
 * to 30 days and up to a year, beside a naive minute-by-minute walk
 * (is_open at every minute) over the same spans, and bytes per calendar.
 * SPDX-License-Identifier: MIT
 */
#include "bench.h"
#include "kpi/calendar.h"

#define MIN_MS INT64_C(60000)
#define DAY_MS INT64_C(86400000)
#define Y2026 INT64_C(1767225600000) /* 2026-01-01T00:00:00Z */


static kpi_calendar *office(const char *tz)
{
    kpi_calendar *c;
    if (kpi_calendar_new(&c, tz) != KPI_OK)
        exit(1);
    for (int d = 1; d <= 5; d++) {
        kpi_calendar_add_hours(c, d, 9 * 60, 12 * 60);
        kpi_calendar_add_hours(c, d, 13 * 60, 17 * 60);
    }
    const int hol[][3] = {{2026, 1, 1},  {2026, 4, 3},   {2026, 4, 6},
                          {2026, 5, 1},  {2026, 5, 14},  {2026, 5, 25},
                          {2026, 10, 3}, {2026, 12, 25}, {2026, 12, 26},
                          {2027, 1, 1}};
    for (size_t i = 0; i < sizeof hol / sizeof *hol; i++)
        kpi_calendar_add_holiday(c, hol[i][0], hol[i][1], hol[i][2]);
    kpi_calendar_add_closure(c, 2026, 12, 24, 12 * 60, 1440);
    return c;
}

/* Naive: is_open at every minute of [a, b) (a, b minute-aligned). */
static int64_t naive_elapsed(const kpi_calendar *c, int64_t a, int64_t b)
{
    int64_t s = 0;
    for (int64_t t = a; t < b; t += MIN_MS) {
        int open;
        kpi_calendar_is_open(c, t, &open);
        s += open ? MIN_MS : 0;
    }
    return s;
}

static int64_t sum_elapsed(const kpi_calendar *c, const int64_t *a,
                           const int64_t *b, size_t n)
{
    int64_t s = 0;
    for (size_t i = 0; i < n; i++) {
        int64_t v;
        kpi_calendar_elapsed(c, a[i], b[i], &v);
        s += v;
    }
    return s;
}

static int64_t sum_due(const kpi_calendar *c, const int64_t *a,
                       const int64_t *x, size_t n)
{
    int64_t s = 0;
    for (size_t i = 0; i < n; i++) {
        int64_t v;
        kpi_calendar_due(c, a[i], x[i], &v);
        s += v;
    }
    return s;
}

static int64_t sum_naive(const kpi_calendar *c, const int64_t *a,
                         const int64_t *b, size_t n)
{
    int64_t s = 0;
    for (size_t i = 0; i < n; i++)
        s += naive_elapsed(c, a[i], b[i]);
    return s;
}

/* The spans whose naive walk and kpi_calendar_elapsed() differ (untimed). */
static size_t check_naive(const kpi_calendar *c, const int64_t *a,
                          const int64_t *b, size_t n)
{
    size_t bad = 0;
    for (size_t i = 0; i < n; i++) {
        int64_t v;
        kpi_calendar_elapsed(c, a[i], b[i], &v);
        bad += naive_elapsed(c, a[i], b[i]) != v;
    }
    return bad;
}

/* Load n holidays in date order (the 1st to the 28th of every month from
 * year 1): the date ones a calendar holds, from a new calendar. */
static void load_dates(const char *tz, size_t n)
{
    kpi_calendar *c = office(tz);
    size_t k = 0;
    for (int32_t y = 1; k < n; y++)
        for (int32_t m = 1; m <= 12 && k < n; m++)
            for (int32_t d = 1; d <= 28 && k < n; d++, k++)
                if (kpi_calendar_add_holiday(c, y, m, d) != KPI_OK)
                    exit(1);
    kpi_calendar_free(c);
}

/* Naive: the same dates kept as a sorted array of day numbers (binary
 * search for a duplicate, insertion), without the prefix sums. */
static void naive_load_dates(size_t n)
{
    int64_t *v = malloc(n * sizeof *v);
    size_t k = 0;
    for (int64_t y = 1; k < n; y++)
        for (int64_t m = 1; m <= 12 && k < n; m++)
            for (int64_t d = 1; d <= 28 && k < n; d++) {
                int64_t day = y * 384 + m * 32 + d;
                size_t lo = 0, hi = k;
                while (lo < hi) {
                    size_t mid = (lo + hi) / 2;
                    if (v[mid] < day)
                        lo = mid + 1;
                    else
                        hi = mid;
                }
                if (lo < k && v[lo] == day)
                    exit(1);
                memmove(&v[lo + 1], &v[lo], (k - lo) * sizeof *v);
                v[lo] = day;
                k++;
            }
    bench_keep(v);
    free(v);
}

static void run(const char *tz, const char *label)
{
    size_t n = bench_size(1000000, 20000), nn = bench_size(300, 20);
    int64_t *a = malloc(n * sizeof *a), *b = malloc(n * sizeof *b);
    int64_t *x = malloc(n * sizeof *x);
    kpi_calendar *c = office(tz);
    char what[96];
    for (size_t i = 0; i < n; i++) {
        a[i] = Y2026 + (int64_t)(bench_rand() % (330 * 1440)) * MIN_MS;
        b[i] = a[i] + (int64_t)(bench_rand() % (30 * 1440 + 1)) * MIN_MS;
        x[i] = (int64_t)(bench_rand() % (30 * 7 * 3600000 + 1)); /* up to 30 business days */
    }
    volatile int64_t sink = 0;
    double kpi_ns, naive_ns, due_ns, year_ns;
    BENCH_MEDIAN(kpi_ns, n, (void)0, sink += sum_elapsed(c, a, b, n));
    BENCH_MEDIAN(naive_ns, nn, (void)0, sink += sum_naive(c, a, b, nn));
    size_t bad = check_naive(c, a, b, nn);
    bench_disagreements += bad != 0;
    snprintf(what, sizeof what, "%s elapsed, spans <= 30 days", label);
    bench_line(what, kpi_ns, naive_ns, ">= 20 M calls/s (<= 50 ns)");
    printf("  %-44s %10.1f M calls/s   naive/kpi mismatches %zu of %zu spans\n", "", 1e3 / kpi_ns,
           bad, nn);
    for (size_t i = 0; i < n; i++)
        b[i] = a[i] + (int64_t)(bench_rand() % (366 * 1440 + 1)) * MIN_MS;
    BENCH_MEDIAN(year_ns, n, (void)0, sink += sum_elapsed(c, a, b, n));
    snprintf(what, sizeof what, "%s elapsed, spans <= 1 year", label);
    bench_line(what, year_ns, 0, "same cost as short spans");
    BENCH_MEDIAN(due_ns, n, (void)0, sink += sum_due(c, a, x, n));
    snprintf(what, sizeof what, "%s due, targets <= 30 business days", label);
    bench_line(what, due_ns, 0, "(none)");
    size_t nd = bench_size(200000, 2000);
    double load_ns, naive_load_ns;
    BENCH_MEDIAN(load_ns, nd, (void)0, load_dates(tz, nd));
    BENCH_MEDIAN(naive_load_ns, nd, (void)0, naive_load_dates(nd));
    snprintf(what, sizeof what, "%s add %zu holidays in date order", label, nd);
    bench_line(what, load_ns, naive_load_ns, "(none)");
    snprintf(what, sizeof what, "%s bytes per calendar", label);
    bench_bytes(what, (double)kpi_calendar_footprint(c), 0, "(none)");
    (void)sink;
    kpi_calendar_free(c);
    free(a);
    free(b);
    free(x);
}

int main(void)
{
    bench_seed(12345);
    bench_title("business calendar (split shifts 09-12/13-17, 10 holidays, a half-day closure)");
    run("CET-1CEST,M3.5.0,M10.5.0/3", "CET/CEST");
    run("EST5EDT,M3.2.0,M11.1.0", "EST/EDT");
    run("JST-9", "JST (no DST)");
    return bench_disagreements != 0;
}
