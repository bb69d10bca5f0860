/*
 * Durations: libkpi's sketch beside a naive exact computation (collect
 * every value, sort, pick by rank) in the same run.
 * SPDX-License-Identifier: MIT
 */
#include <math.h>

#include "bench.h"
#include "kpi/duration.h"
#include "kpi/service_level.h"


static int cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

/* Median ns per value of kpi_duration_add_array(v, n) into a new 1% sketch. */
static double batch_into_new(const int64_t *v, size_t n)
{
    kpi_duration *d = NULL;
    double ns;
    int rc = KPI_OK;
    BENCH_MEDIAN(ns, n, { kpi_duration_free(d); kpi_duration_new(&d, 0.01); },
                 { rc |= kpi_duration_add_array(d, v, n); });
    if (rc != KPI_OK || kpi_duration_count(d) != n) { /* a refused batch times nothing */
        printf("  add_array refused the batch (%s): the next line is not valid\n", kpi_strerror(rc));
        bench_disagreements++;
    }
    kpi_duration_free(d);
    return ns;
}

int main(void)
{
    bench_seed(12345);
    size_t n = bench_size(10000000, 100000);
    int64_t *v = malloc(n * sizeof *v);
    int64_t *copy = malloc(n * sizeof *v);
    if (v == NULL || copy == NULL)
        return 1;
    /* log-uniform from 1 ms to 30 days: response and resolution times */
    for (size_t i = 0; i < n; i++)
        v[i] = (int64_t)exp((double)(bench_rand() >> 11) * 0x1.0p-53 * log(30.0 * 86400000.0));

    bench_title("durations: kpi_duration (1%) vs naive collect + sort");
    double add_ns = batch_into_new(v, n), naive_add_ns;
    /* the sketch of v that the reads, merges and memory lines below use */
    kpi_duration *d = NULL;
    kpi_duration_new(&d, 0.01);
    kpi_duration_add_array(d, v, n);
    size_t filled = 0;
    BENCH_MEDIAN(naive_add_ns, n, { filled = 0; }, {
        memcpy(copy, v, n * sizeof *v);
        filled = n;
        bench_keep(copy);
    });
    bench_line("add_array, one batch into a new object", add_ns, naive_add_ns, "<= 2 ns");
    /* zeros (answered at once, nothing waited): counted apart from the
     * buckets, they must not take a slow path (they did: 9.4 ns each) */
    memset(copy, 0, n * sizeof *copy);
    bench_line("add_array, one batch of zeros", batch_into_new(copy, n), naive_add_ns, "<= 2 ns");
    for (size_t i = 0; i < n; i++)
        copy[i] = i % 4 == 0 ? 0 : v[i];
    bench_line("add_array, one batch, every fourth value 0", batch_into_new(copy, n),
               naive_add_ns, "<= 2 ns");
    /* one value whose float32 estimate is near a bucket edge (306 ms at
     * 1%): every vector takes the exact mapping (9.4 ns a value lane by
     * lane, before) */
    for (size_t i = 0; i < n; i++)
        copy[i] = 306;
    bench_line("add_array, one batch of 306 ms (a bucket edge)", batch_into_new(copy, n),
               naive_add_ns, "<= 2 ns");
    kpi_duration *warm = NULL;
    kpi_duration_new(&warm, 0.01);
    kpi_duration_add_array(warm, v, n < 100000 ? n : 100000);
    double batch_ns;
    BENCH_MEDIAN(batch_ns, n, {}, {
        for (size_t off = 0; off + 1000 <= n; off += 1000)
            kpi_duration_add_array(warm, v + off, 1000);
    });
    bench_line("add_array, batches of 1000, populated", batch_ns, naive_add_ns, "<= 2 ns");
    kpi_duration_free(warm);

    kpi_duration *one = NULL;
    kpi_duration_new(&one, 0.01);
    double add1_ns;
    size_t n1 = n < 1000000 ? n : 1000000;
    BENCH_MEDIAN(add1_ns, n1, { kpi_duration_reset(one); }, {
        for (size_t i = 0; i < n1; i++)
            kpi_duration_add(one, v[i]);
    });
    bench_line("add (one call per value), ns per value", add1_ns, 0, "-");

    /* quantile: sketch query vs the naive sort + pick */
    double q_ns, naive_q_ns, out = 0;
    const double qs[] = {0.5, 0.9, 0.95, 0.99};
    int qreps = 100000;
    BENCH_MEDIAN(q_ns, qreps * 4, {}, {
        for (int r = 0; r < qreps; r++)
            for (int j = 0; j < 4; j++) {
                kpi_duration_quantile(d, qs[j], &out);
                bench_keep(&out);
            }
    });
    BENCH_MEDIAN(naive_q_ns, 4, { memcpy(copy, v, filled * sizeof *v); }, {
        qsort(copy, filled, sizeof *copy, cmp_i64);
        for (int j = 0; j < 4; j++) {
            out = (double)copy[(size_t)(qs[j] * (double)(filled - 1))];
            bench_keep(&out);
        }
    });
    /* the naive figure is per quantile: one sort shared by the four picks */
    bench_line("quantile query, ns (naive: sort/4 + pick)", q_ns, naive_q_ns, "<= 200 ns");

    /* merge of a full sketch into a populated one of the same range */
    enum { MD = 1000 };
    static kpi_duration *dst[MD];
    for (int j = 0; j < MD; j++)
        kpi_duration_new(&dst[j], 0.01);
    double merge_ns;
    int merge_fail = 0;
    BENCH_MEDIAN(merge_ns, MD, {
        for (int j = 0; j < MD; j++) {
            kpi_duration_reset(dst[j]);
            kpi_duration_merge(dst[j], d);
        }
    }, {
        for (int j = 0; j < MD; j++)
            merge_fail |= kpi_duration_merge(dst[j], d);
    });
    if (merge_fail)
        printf("  merge failed: %s\n", kpi_strerror(merge_fail));
    bench_line("merge of two sketches, ns", merge_ns, 0, "<= 1000 ns");

    size_t len = 0;
    kpi_duration_serialize(d, NULL, 0, &len);
    bench_bytes("memory per object, 1 ms .. 30 days", (double)kpi_duration_footprint(d),
                (double)(n * sizeof(int64_t)), "- (the target is for 1 day: below)");
    bench_bytes("serialized size", (double)len, (double)(n * sizeof(int64_t)), "-");
    kpi_duration *day = NULL;
    kpi_duration_new(&day, 0.01);
    for (size_t i = 0; i < n1; i++)
        kpi_duration_add(day, 1 + v[i] % 86400000);
    kpi_duration_add(day, 1);
    kpi_duration_add(day, 86400000);
    bench_bytes("memory per object, 1 ms .. 1 day", (double)kpi_duration_footprint(day),
                0, "<= 8192 B");

    /* measured error against the exact sorted values */
    memcpy(copy, v, n * sizeof *v);
    qsort(copy, n, sizeof *copy, cmp_i64);
    double worst = 0;
    for (int i = 1; i <= 999; i++) {
        double q = i / 1000.0, got;
        kpi_duration_quantile(d, q, &got);
        double exact = (double)copy[(size_t)(q * (double)(n - 1))];
        double err = fabs(got - exact) / exact;
        worst = err > worst ? err : worst;
    }
    bench_error("max relative error, q = 0.001..0.999", worst, "<= 0.01");

    bench_title("service level: kpi_service_level vs naive counters");
    int *outcome = malloc(n * sizeof *outcome);
    for (size_t i = 0; i < n; i++)
        outcome[i] = (int)(bench_rand() % 10 == 0);
    kpi_service_level *s = NULL;
    double sl_ns;
    BENCH_MEDIAN(sl_ns, n, { kpi_service_level_free(s); kpi_service_level_new(&s, 20000, 5000); },
                 { kpi_service_level_add_array(s, v, outcome, n); });
    double naive_sl_ns;
    uint64_t cnt[3];
    BENCH_MEDIAN(naive_sl_ns, n, { memset(cnt, 0, sizeof cnt); }, {
        for (size_t i = 0; i < n; i++) {
            cnt[outcome[i]]++;
            cnt[2] += outcome[i] == 0 && v[i] <= 20000;
        }
        bench_keep(cnt);
    });
    bench_line("add_array (with ASA sketch), ns per contact", sl_ns, naive_sl_ns, "-");
    kpi_estimate sl;
    if (kpi_service_level_share(s, KPI_SL_ANSWERED_OVER_OFFERED, &sl) != KPI_OK)
        sl.value = -1;
    bench_agree("  same service level (answered in T / offered)", sl.value,
                (double)cnt[2] / (double)n, 1e-12);

    kpi_service_level_free(s);
    kpi_duration_free(d);
    kpi_duration_free(one);
    for (int j = 0; j < MD; j++)
        kpi_duration_free(dst[j]);
    kpi_duration_free(day);
    free(outcome);
    free(v);
    free(copy);
    return bench_disagreements != 0;
}
