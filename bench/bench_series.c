/*
 * Benchmarks: period series add (with and without a forecast), ratio add,
 * journey touch, beside naive exact computations, and bytes per object.
 * SPDX-License-Identifier: MIT
 */
#include <math.h>

#include "bench.h"
#include "kpi/customers.h"
#include "kpi/ratio.h"
#include "kpi/series.h"

typedef struct ev {
    int64_t t;
    double a;
} ev;

/* Naive exact period totals: keep every event, bucket at the end. */
static double naive_series(const int64_t *t, const double *a, size_t n,
                           int64_t period, uint32_t length, ev **store,
                           size_t *cap)
{
    size_t m = 0;
    for (size_t i = 0; i < n; i++) {
        if (m == *cap) {
            *cap = *cap ? *cap * 2 : 1024;
            *store = realloc(*store, *cap * sizeof **store);
        }
        (*store)[m].t = t[i];
        (*store)[m].a = a[i];
        m++;
    }
    int64_t newest = (*store)[m - 1].t / period;
    double *v = calloc(length, sizeof *v);
    for (size_t i = 0; i < m; i++) {
        int64_t k = (*store)[i].t / period;
        if (newest - k < (int64_t)length)
            v[(size_t)(k % (int64_t)length)] += (*store)[i].a;
    }
    double s = 0;
    for (uint32_t i = 0; i < length; i++)
        s += v[i];
    free(v);
    return s;
}

typedef struct tp {
    uint64_t c;
    int64_t t;
    uint32_t ch;
} tp;

static int cmp_tp(const void *x, const void *y)
{
    const tp *a = x, *b = y;
    if (a->c != b->c)
        return a->c < b->c ? -1 : 1;
    return (a->t > b->t) - (a->t < b->t);
}

/* Naive exact journey statistics: keep every touch, sort, scan. */
static double naive_journey(const tp *in, size_t n, int64_t idle, tp **store)
{
    *store = realloc(*store, n * sizeof **store);
    memcpy(*store, in, n * sizeof **store);
    qsort(*store, n, sizeof **store, cmp_tp);
    uint64_t journeys = 0, switches = 0;
    for (size_t i = 0; i < n; i++) {
        if (i == 0 || (*store)[i].c != (*store)[i - 1].c ||
            (*store)[i].t - (*store)[i - 1].t > idle)
            journeys++;
        else if ((*store)[i].ch != (*store)[i - 1].ch)
            switches++;
    }
    return (double)switches / (double)journeys;
}

int main(void)
{
    size_t n = bench_size(20000000, 200000);
    int64_t *t = malloc(n * sizeof *t);
    double *a = malloc(n * sizeof *a);
    uint64_t x = 12345;
    for (size_t i = 0; i < n; i++) {
        t[i] = (int64_t)i * 37; /* monotone: ~97k events per hour */
        x = x * 6364136223846793005ULL + 1442695040888963407ULL;
        a[i] = (double)(x >> 60);
    }

    bench_title("series: hourly ring of 168 periods (one week)");
    kpi_series *s = NULL;
    double kpi_ns, naive_ns, sink = 0;
    BENCH_MEDIAN(kpi_ns, n,
                 { kpi_series_free(s); kpi_series_new(&s, KPI_MS_PER_HOUR, 168, 0); },
                 {
                     for (size_t i = 0; i < n; i++)
                         kpi_series_add(s, t[i], 1.0);
                 });
    ev *store = NULL;
    size_t cap = 0;
    double *ones = malloc(n * sizeof *ones);
    for (size_t i = 0; i < n; i++)
        ones[i] = 1.0;
    double naive_v = 0, kpi_v = -1;
    BENCH_MEDIAN(naive_ns, n, {}, {
        naive_v = naive_series(t, ones, n, KPI_MS_PER_HOUR, 168, &store, &cap);
        sink += naive_v;
    });
    bench_line("series add (count, monotone time)", kpi_ns, naive_ns, "<= 2 ns");
    /* the floor of any one-call-per-event API: a bare call into the library */
    double call_ns;
    size_t calls = 0;
    BENCH_MEDIAN(call_ns, n, {}, {
        for (size_t i = 0; i < n; i++)
            calls += kpi_series_length(s);
    });
    bench_keep(&calls);
    bench_line("  reference: a bare exported call (kpi_series_length)", call_ns, 0, "-");
    kpi_series_last(s, 168, &kpi_v);
    bench_agree("  same total of the 168 kept periods", kpi_v, naive_v, 0);
    BENCH_MEDIAN(kpi_ns, n,
                 { kpi_series_free(s); kpi_series_new(&s, KPI_MS_PER_HOUR, 168, 0); },
                 {
                     for (size_t i = 0; i < n; i++)
                         kpi_series_add(s, t[i], a[i]);
                 });
    BENCH_MEDIAN(naive_ns, n, {}, {
        naive_v = naive_series(t, a, n, KPI_MS_PER_HOUR, 168, &store, &cap);
        sink += naive_v;
    });
    bench_line("series add (amount, monotone time)", kpi_ns, naive_ns, "<= 2 ns");
    kpi_v = -1;
    kpi_series_last(s, 168, &kpi_v);
    bench_agree("  same total of the 168 kept periods", kpi_v, naive_v, 0);
    BENCH_MEDIAN(kpi_ns, n,
                 { kpi_series_free(s); kpi_series_new(&s, KPI_MS_PER_HOUR, 168, 0); },
                 { kpi_series_add_array(s, t, NULL, n); });
    bench_line("series add_array (count)", kpi_ns, 0, "<= 2 ns");
    /* a period closes every 100 events: ring advance + Holt-Winters */
    BENCH_MEDIAN(kpi_ns, n,
                 {
                     kpi_series_free(s);
                     kpi_series_new(&s, 3700, 168, 0);
                     kpi_series_set_forecast(s, 24, 0.2, 0.05, 0.3);
                 },
                 {
                     for (size_t i = 0; i < n; i++)
                         kpi_series_add(s, t[i], 1.0);
                 });
    bench_line("series add, forecast, period every 100 events", kpi_ns, 0, "-");
    double f[24];
    kpi_series_forecast(s, 24, f, 24);
    sink += f[0];
    bench_bytes("series, 168 periods", (double)kpi_series_footprint(s) - 48 * 8, 0, "-");
    bench_bytes("series, 168 periods + season 24", (double)kpi_series_footprint(s), 0, "-");
    kpi_series_free(s);
    kpi_series_new(&s, KPI_MS_PER_DAY, 100000, 0);
    bench_bytes("series, 100000 periods", (double)kpi_series_footprint(s), 0, "-");
    kpi_series_free(s);
    bench_bytes("naive store of all events (per event)", (double)sizeof(ev), 0, "-");

    bench_title("ratio");
    kpi_ratio *r = NULL;
    BENCH_MEDIAN(kpi_ns, n, { kpi_ratio_free(r); kpi_cost_per_resolution_new(&r); },
                 {
                     for (size_t i = 0; i < n; i++)
                         kpi_ratio_add(r, a[i], 1.0);
                 });
    double nsum = 0, dsum = 0;
    BENCH_MEDIAN(naive_ns, n, { nsum = dsum = 0; }, {
        for (size_t i = 0; i < n; i++) {
            nsum += a[i];
            dsum += 1.0;
        }
        /* kept once after the loop: a barrier inside it would force both
         * sums through memory on every event (a store and a reload in the
         * chain), which a plain loop does not pay */
        bench_keep(&nsum);
        bench_keep(&dsum);
    });
    sink += nsum / dsum;
    bench_line("ratio add (compensated)", kpi_ns, naive_ns, "-");
    double v = -1;
    kpi_ratio_value(r, &v);
    sink += v;
    bench_agree("  same ratio", v, nsum / dsum, 0);
    bench_bytes("ratio", (double)kpi_ratio_footprint(r), 0, "-");
    kpi_ratio_free(r);
    kpi_customers *c;
    kpi_customers_new(&c);
    bench_bytes("customers (period inputs)", (double)kpi_customers_footprint(c), 0, "-");
    kpi_customers_free(c);

    bench_title("journey: 100k customers, 4 channels, max 200k open");
    size_t m = bench_size(5000000, 100000);
    tp *touch = malloc(m * sizeof *touch);
    for (size_t i = 0; i < m; i++) {
        x = x * 6364136223846793005ULL + 1442695040888963407ULL;
        touch[i].c = (x >> 20) % 100000;
        touch[i].ch = (uint32_t)(x >> 60) & 3;
        touch[i].t = (int64_t)i * 10;
    }
    kpi_journey *j = NULL;
    BENCH_MEDIAN(kpi_ns, m,
                 { kpi_journey_free(j); kpi_journey_new(&j, 200000, 3600000); },
                 {
                     for (size_t i = 0; i < m; i++)
                         kpi_journey_touch(j, touch[i].c, touch[i].ch, touch[i].t);
                 });
    tp *ts = NULL;
    double naive_sw = 0, kpi_sw = -1;
    BENCH_MEDIAN(naive_ns, m, {}, {
        naive_sw = naive_journey(touch, m, 3600000, &ts);
        sink += naive_sw;
    });
    bench_line("journey touch", kpi_ns, naive_ns, "-");
    /* every journey closed (past the idle time), then the same mean */
    kpi_journey_advance(j, touch[m - 1].t + 3600000 + 1);
    kpi_journey_switches_mean(j, &kpi_sw);
    bench_agree("  same channel switches per journey", kpi_sw, naive_sw, 1e-12);
    BENCH_MEDIAN(kpi_ns, m,
                 { kpi_journey_free(j); kpi_journey_new(&j, 1000, 3600000); },
                 {
                     for (size_t i = 0; i < m; i++)
                         kpi_journey_touch(j, touch[i].c, touch[i].ch, touch[i].t);
                 });
    bench_line("journey touch, max 1000 (evicting)", kpi_ns, 0, "-");
    kpi_journey_free(j);
    kpi_journey_new(&j, 200000, 3600000);
    bench_bytes("journey, max 200k open", (double)kpi_journey_footprint(j), 0, "-");
    bench_bytes("journey per open customer", (double)kpi_journey_footprint(j) / 200000.0,
                (double)sizeof(tp), "-");
    kpi_journey_free(j);
    printf("  (sink %g)\n", sink);
    free(ts);
    free(touch);
    free(store);
    free(ones);
    free(t);
    free(a);
    return bench_disagreements != 0;
}
