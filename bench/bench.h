/*
 * The shared benchmark harness: monotonic timing, the median of several
 * repetitions, and one line format for every figure.  Benchmarks are not
 * tests: they print, they do not assert times.
 *   KPI_BENCH_QUICK=1  small sizes (CI proves the benchmarks run)
 * SPDX-License-Identifier: MIT
 */
#ifndef KPI_BENCH_H
#define KPI_BENCH_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static inline double bench_now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

static inline int bench_quick(void)
{
    const char *q = getenv("KPI_BENCH_QUICK");
    return q != NULL && *q != '\0' && *q != '0';
}

/* Scale a full-size count down in quick mode. */
static inline size_t bench_size(size_t full, size_t quick)
{
    return bench_quick() ? quick : full;
}

/* The benchmarks' random stream (splitmix64): deterministic, one per
 * program; bench_seed() picks where it starts. */
static uint64_t bench_rng_state = 12345;
static inline void bench_seed(uint64_t seed) { bench_rng_state = seed; }
static inline uint64_t bench_rand(void)
{
    uint64_t z = (bench_rng_state += UINT64_C(0x9E3779B97F4A7C15));
    z = (z ^ (z >> 30)) * UINT64_C(0xBF58476D1CE4E5B9);
    z = (z ^ (z >> 27)) * UINT64_C(0x94D049BB133111EB);
    return z ^ (z >> 31);
}
/* Uniform in [0, 1). */
static inline double bench_unif(void) { return (double)(bench_rand() >> 11) * 0x1.0p-53; }

/* Inverse sampling from a cumulative table: the first rank whose
 * cumulative weight cdf[rank] reaches u (0 <= u <= cdf[n - 1]). */
static inline size_t bench_rank_of(const double *cdf, size_t n, double u)
{
    size_t lo = 0, hi = n - 1;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (cdf[mid] < u)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

static int bench_cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

#define BENCH_MAX_REPS 31
/* Repetitions per measurement (odd, for a true median). */
static inline int bench_reps(void) { return bench_quick() ? 3 : 9; }

/* Median of the samples (sorts them). */
static inline double bench_median(double *v, int n)
{
    qsort(v, (size_t)n, sizeof *v, bench_cmp_double);
    return v[n / 2];
}

/* Optimisation barrier: the compiler must assume *p is read. */
static inline void bench_keep(const void *p)
{
#if defined(__GNUC__)
    __asm__ volatile("" : : "g"(p) : "memory");
#else
    (void)p;
#endif
}

/* One result line: what, libkpi's ns per item, the naive exact figure and
 * their ratio (naive / libkpi: > 1 means libkpi is faster), the target. */
static inline void bench_line(const char *what, double kpi_ns, double naive_ns,
                              const char *target)
{
    if (naive_ns > 0)
        printf("  %-44s %10.2f ns   naive %10.2f ns   x%-7.1f target %s\n",
               what, kpi_ns, naive_ns, naive_ns / kpi_ns, target);
    else
        printf("  %-44s %10.2f ns   %-31s target %s\n", what, kpi_ns, "", target);
}

/* A memory or size line. */
static inline void bench_bytes(const char *what, double kpi_bytes,
                               double naive_bytes, const char *target)
{
    if (naive_bytes > 0)
        printf("  %-44s %10.0f B    naive %10.0f B    x%-7.1f target %s\n",
               what, kpi_bytes, naive_bytes, naive_bytes / kpi_bytes, target);
    else
        printf("  %-44s %10.0f B    %-31s target %s\n", what, kpi_bytes, "", target);
}

/* An accuracy line (measured error against the exact value). */
static inline void bench_error(const char *what, double err, const char *promise)
{
    printf("  %-44s %10.4g      %-31s promise %s\n", what, err, "", promise);
}

/* How many bench_agree() lines disagreed: a benchmark's exit status, so
 * that `make bench` (and CI's quick run) fails when libkpi and the naive
 * exact computation beside it no longer compute the same KPI. */
static int bench_disagreements = 0;

/* An agreement line: libkpi's value of the KPI beside the naive exact
 * computation's, equal within `tol` (absolute; 0: exactly). */
static inline void bench_agree(const char *what, double kpi, double naive, double tol)
{
    double d = kpi > naive ? kpi - naive : naive - kpi;
    int ok = d <= tol; /* false for NaN */
    printf("  %-44s libkpi %.10g   naive %.10g   %s\n", what, kpi, naive,
           ok ? "agree" : "DISAGREE");
    bench_disagreements += !ok;
}

static inline void bench_title(const char *title)
{
    printf("\n== %s%s\n", title, bench_quick() ? " (quick mode: small sizes)" : "");
}

/*
 * Time `body` (a statement processing `items` items) bench_reps() times
 * and store the median ns per item in `out`.  `setup` runs before each
 * repetition, untimed.
 */
#define BENCH_MEDIAN(out, items, setup, body)                                \
    do {                                                                     \
        double s_[BENCH_MAX_REPS];                                           \
        int r_n_ = bench_reps();                                             \
        for (int r_ = 0; r_ < r_n_; r_++) {                                  \
            setup;                                                           \
            double t0_ = bench_now_ns();                                     \
            body;                                                            \
            s_[r_] = (bench_now_ns() - t0_) / (double)(items);               \
        }                                                                    \
        (out) = bench_median(s_, r_n_);                                      \
    } while (0)

#endif /* KPI_BENCH_H */
