/*
 * Scores and rates: batch and single adds against naive loops computing
 * the same figures.
 * SPDX-License-Identifier: MIT
 */
#include "bench.h"
#include "kpi.h"


static void must(int rc)
{
    if (rc != KPI_OK) {
        fprintf(stderr, "bench_score: %s\n", kpi_strerror(rc));
        exit(1);
    }
}

/* The naive NPS and CSAT of n answers: a plain if/else counting loop. */
static double naive_nps(const int32_t *a, size_t n)
{
    uint64_t p = 0, d = 0;
    for (size_t i = 0; i < n; i++) {
        if (a[i] < 0 || a[i] > 10)
            exit(1);
        if (a[i] >= 9)
            p++;
        else if (a[i] <= 6)
            d++;
    }
    return 100.0 * ((double)p - (double)d) / (double)n;
}

static double naive_csat(const int32_t *a, size_t n)
{
    uint64_t sat = 0;
    for (size_t i = 0; i < n; i++) {
        if (a[i] < 1 || a[i] > 5)
            exit(1);
        if (a[i] >= 4)
            sat++;
    }
    return (double)sat / (double)n;
}

/* The answers' bytes read once and nothing else (summed as 64-bit words,
 * four chains, read ahead as the kernels do): the floor under any count
 * of an array this size that must come from memory. */
static uint64_t read_only(const int32_t *a, size_t n)
{
    const unsigned char *p = (const unsigned char *)a;
    size_t bytes = n * sizeof *a, i = 0;
    uint64_t s0 = 0, s1 = 0, s2 = 0, s3 = 0, w[4];
    for (; i + 32 <= bytes; i += 32) {
#if defined(__GNUC__)
        __builtin_prefetch(p + i + 12288);
#endif
        memcpy(w, p + i, 32);
        s0 += w[0];
        s1 += w[1];
        s2 += w[2];
        s3 += w[3];
    }
    for (; i < bytes; i++)
        s0 += p[i];
    return s0 + s1 + s2 + s3;
}

/* A line for the floor under the kernel of `what` (t_kpi ns an answer):
 * read_only() over the same answers, and the kernel's time over it. */
static void floor_line(const char *what, const int32_t *a, size_t n, double t_kpi)
{
    double t_read;
    volatile uint64_t sink = 0;
    BENCH_MEDIAN(t_read, n, (void)0, sink += read_only(a, n));
    printf("  %-44s %10.2f ns   the count above: %.2fx this floor\n", what, t_read,
           t_kpi / t_read);
}

/* The kernel without the memory stream: the first blk answers (16 Ki, 64
 * KB, in the L2 cache) added again and again, reps times, into s and read
 * with `read`, beside `naive` on the same block; one line titled `what`. */
static void in_cache_line(const char *what, kpi_score *s, const int32_t *a, size_t blk,
                          size_t reps, int (*read)(const kpi_score *, kpi_estimate *),
                          double (*naive)(const int32_t *, size_t))
{
    double t_kpi, t_naive;
    volatile double sink = 0;
    kpi_estimate e;
    BENCH_MEDIAN(t_kpi, reps * blk, kpi_score_reset(s), {
        for (size_t r = 0; r < reps; r++)
            must(kpi_score_add_array(s, a, blk));
        must(read(s, &e));
        sink += e.value;
    });
    BENCH_MEDIAN(t_naive, reps * blk, (void)0, {
        for (size_t r = 0; r < reps; r++)
            sink += naive(a, blk);
    });
    bench_line(what, t_kpi, t_naive, "-");
    bench_agree("  same KPI (the block's share)", e.value, naive(a, blk), 1e-9);
}

int main(void)
{
    bench_seed(42);
    const size_t n = bench_size(10000000, 100000);
    int32_t *nps = malloc(n * sizeof *nps), *csat = malloc(n * sizeof *csat);
    uint8_t *yes = malloc(n);
    double *xs = malloc(n * sizeof *xs);
    if (!nps || !csat || !yes || !xs)
        return 1;
    for (size_t i = 0; i < n; i++) {
        nps[i] = (int32_t)(bench_rand() % 11);
        csat[i] = (int32_t)(1 + bench_rand() % 5);
        yes[i] = (uint8_t)(bench_rand() & 1);
        xs[i] = (double)(bench_rand() >> 11) * 0x1.0p-52 - 1.0;
    }
    double t_kpi, t_naive;
    kpi_score *s;
    kpi_estimate e;
    volatile double sink = 0;

    bench_title("score: kpi_score_add_array, 10M answers (ns per answer)");
    must(kpi_nps_new(&s));
    BENCH_MEDIAN(t_kpi, n, kpi_score_reset(s), {
        must(kpi_score_add_array(s, nps, n));
        must(kpi_score_nps(s, &e));
        sink += e.value;
    });
    BENCH_MEDIAN(t_naive, n, (void)0, sink += naive_nps(nps, n));
    bench_line("NPS 0..10 add_array + read", t_kpi, t_naive, "<= 0.5 ns");
    bench_agree("  same NPS", e.value, naive_nps(nps, n), 1e-9);
    floor_line("  read of the same answers, no count (floor)", nps, n, t_kpi);
    const size_t blk = n < 16384 ? n : 16384, reps = n / blk; /* n answers in all */
    in_cache_line("NPS 0..10, 16 Ki answers in cache, add_array", s, nps, blk, reps,
                  kpi_score_nps, naive_nps);
    kpi_score_free(s);

    must(kpi_csat_new(&s, 5, 4));
    BENCH_MEDIAN(t_kpi, n, kpi_score_reset(s), {
        must(kpi_score_add_array(s, csat, n));
        must(kpi_score_csat(s, &e));
        sink += e.value;
    });
    BENCH_MEDIAN(t_naive, n, (void)0, sink += naive_csat(csat, n));
    bench_line("CSAT 1..5 add_array + read", t_kpi, t_naive, "<= 0.5 ns");
    bench_agree("  same CSAT share", e.value, naive_csat(csat, n), 1e-12);
    floor_line("  read of the same answers, no count (floor)", csat, n, t_kpi);
    in_cache_line("CSAT 1..5, 16 Ki answers in cache, add_array", s, csat, blk, reps,
                  kpi_score_csat, naive_csat);
    BENCH_MEDIAN(t_kpi, n, kpi_score_reset(s), {
        for (size_t i = 0; i < n; i++)
            must(kpi_score_add(s, csat[i]));
    });
    bench_line("CSAT 1..5 kpi_score_add one by one", t_kpi, 0, "-");
    bench_bytes("kpi_score footprint (CSAT 1..5)", (double)kpi_score_footprint(s), 0, "-");
    kpi_score_free(s);

    bench_title("rate: kpi_rate_add_array, yes/no outcomes (ns per outcome)");
    kpi_rate *r;
    must(kpi_rate_new(&r));
    BENCH_MEDIAN(t_kpi, n, kpi_rate_reset(r), {
        must(kpi_rate_add_array(r, yes, n));
        must(kpi_rate_share(r, &e));
        sink += e.value;
    });
    double naive_share = 0;
    BENCH_MEDIAN(t_naive, n, (void)0, {
        uint64_t k = 0;
        for (size_t i = 0; i < n; i++) {
            if (yes[i] > 1)
                exit(1);
            if (yes[i])
                k++;
        }
        naive_share = (double)k / (double)n;
        sink += naive_share;
    });
    bench_line("rate add_array + share", t_kpi, t_naive, "-");
    bench_agree("  same share", e.value, naive_share, 1e-12);
    kpi_rate_free(r);

    bench_title("mean: kpi_mean_add_array, sentiment in [-1, 1] (ns per value)");
    kpi_mean *m;
    must(kpi_sentiment_new(&m));
    BENCH_MEDIAN(t_kpi, n, kpi_mean_reset(m), {
        must(kpi_mean_add_array(m, xs, n));
        must(kpi_mean_mean_ci(m, &e));
        sink += e.value;
    });
    double naive_mean = 0;
    BENCH_MEDIAN(t_naive, n, (void)0, {
        double sum = 0;
        double sq = 0;
        for (size_t i = 0; i < n; i++) {
            sum += xs[i];
            sq += xs[i] * xs[i];
        }
        naive_mean = sum / (double)n;
        sink += naive_mean + sq;
    });
    bench_line("sentiment add_array + mean (naive: sum, sum sq)", t_kpi, t_naive, "-");
    /* the naive sum rounds at each of n additions: |error| <= n eps sum|x| / n */
    bench_agree("  same mean", e.value, naive_mean, 1e-16 * (double)n);
    BENCH_MEDIAN(t_kpi, n, kpi_mean_reset(m), {
        for (size_t i = 0; i < n; i++)
            must(kpi_mean_add(m, xs[i]));
    });
    bench_line("sentiment kpi_mean_add one by one (Welford)", t_kpi, 0, "-");
    kpi_mean_free(m);

    bench_title("group: kpi_group_get + kpi_rate_add per event (ns per event)");
    const size_t agents = 1000;
    uint64_t *ids = malloc(n * sizeof *ids);
    if (!ids)
        return 1;
    for (size_t i = 0; i < n; i++)
        ids[i] = 100000 + bench_rand() % agents;
    kpi_rate *proto;
    kpi_group *g;
    must(kpi_rate_new(&proto));
    must(kpi_group_new(&g, proto));
    BENCH_MEDIAN(t_kpi, n, kpi_group_reset(g), {
        for (size_t i = 0; i < n; i++) {
            void *acc;
            must(kpi_group_get(g, ids[i], &acc));
            must(kpi_rate_add(acc, yes[i]));
        }
    });
    uint64_t *naive_s = calloc(agents, 8), *naive_t = calloc(agents, 8);
    BENCH_MEDIAN(t_naive, n, (void)0, {
        for (size_t i = 0; i < n; i++) {
            naive_s[ids[i] - 100000] += yes[i];
            naive_t[ids[i] - 100000]++;
        }
        bench_keep(naive_s);
        bench_keep(naive_t);
    });
    bench_line("1000 agents, get + rate_add (naive: dense array)", t_kpi, t_naive, "-");
    {
        /* one agent's share: the naive counters grew by the same stream in
         * every repetition, which leaves the share as it is */
        const void *acc;
        must(kpi_group_find(g, 100007, &acc));
        must(kpi_rate_share(acc, &e));
        bench_agree("  same share (agent 100007)", e.value,
                    (double)naive_s[7] / (double)naive_t[7], 1e-12);
    }
    bench_bytes("group footprint, 1000 rate members", (double)kpi_group_footprint(g), 0, "-");
    kpi_group_free(g);
    kpi_rate_free(proto);
    free(naive_s);
    free(naive_t);
    free(ids);
    free(nps);
    free(csat);
    free(yes);
    free(xs);
    bench_keep((const void *)&sink);
    return bench_disagreements != 0;
}
