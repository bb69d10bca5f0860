/*
 * Staffing benchmark: Erlang C agents-for-target beside a naive search
 * (Erlang C recomputed from scratch for every candidate N from 1 upward),
 * and the cost of one Erlang A call.
 * SPDX-License-Identifier: MIT
 */
#include <math.h>

#include "bench.h"
#include "kpi/staffing.h"

/* Naive exact Erlang C: Erlang B recursion from 0 for this N. */
static double naive_erlang_c(double A, int32_t N)
{
    double b = 1.0;
    for (int32_t n = 1; n <= N; n++)
        b = A * b / ((double)n + A * b);
    return (double)N * b / ((double)N - A * (1.0 - b));
}

/* A kinder naive search: skips N <= A without computing, then Erlang C
 * from scratch for each candidate. */
static int32_t naive_agents(double A, double aht, double T, double target,
                            double max_occ)
{
    for (int32_t n = 1;; n++) {
        if (!((double)n > A) || A / (double)n > max_occ)
            continue; /* unstable or over the cap: skipped, not computed */
        double sl = 1.0 - naive_erlang_c(A, n) * exp(-((double)n - A) * T / aht);
        if (sl >= target)
            return n;
    }
}

/* A naive search that really recomputes from scratch for every N from 1
 * (for N <= A the queue is unstable; the Erlang B part is still computed,
 * as a spreadsheet column of N = 1, 2, ... would). */
static int32_t naive_agents_full(double A, double aht, double T, double target,
                                 double max_occ)
{
    for (int32_t n = 1;; n++) {
        double b = 1.0;
        for (int32_t k = 1; k <= n; k++)
            b = A * b / ((double)k + A * b);
        bench_keep(&b);
        if (!((double)n > A) || A / (double)n > max_occ)
            continue;
        double c = (double)n * b / ((double)n - A * (1.0 - b));
        double sl = 1.0 - c * exp(-((double)n - A) * T / aht);
        if (sl >= target)
            return n;
    }
}

int main(void)
{
    const int calls = (int)bench_size(2000, 50);
    double kpi_ns, naive_ns, naive_skip_ns;
    volatile int32_t sink = 0;

    bench_title("Staffing: Erlang C agents for a service-level target");
    static const double loads[] = {10.0, 95.0, 950.0, 9500.0};
    for (size_t i = 0; i < sizeof loads / sizeof loads[0]; i++) {
        double A = loads[i];
        int32_t n = 0, m = 0;
        kpi_erlang_c_agents(A, 180, 20, 0.8, 1.0, &n);
        m = naive_agents_full(A, 180, 20, 0.8, 1.0);
        if (m != n) {
            printf("  MISMATCH at A = %g: libkpi %d, naive %d\n", A, (int)n, (int)m);
            return 1;
        }
        int reps = A > 5000 ? (bench_quick() ? 1 : 3) : calls;
        int naive_reps = A > 5000 ? 1 : A > 500 ? (bench_quick() ? 1 : 5) : calls;
        BENCH_MEDIAN(kpi_ns, reps, (void)0, {
            for (int r = 0; r < reps; r++) {
                int32_t out;
                kpi_erlang_c_agents(A + 1e-9 * r, 180, 20, 0.8, 1.0, &out);
                sink += out;
            }
        });
        BENCH_MEDIAN(naive_ns, naive_reps, (void)0, {
            for (int r = 0; r < naive_reps; r++)
                sink += naive_agents_full(A + 1e-9 * r, 180, 20, 0.8, 1.0);
        });
        BENCH_MEDIAN(naive_skip_ns, calls, (void)0, {
            for (int r = 0; r < calls; r++)
                sink += naive_agents(A + 1e-9 * r, 180, 20, 0.8, 1.0);
        });
        char what[96], target[64];
        snprintf(what, sizeof what, "agents, A = %g Erl -> N = %d (per call)", A, (int)n);
        snprintf(target, sizeof target, "%s", A == 950.0 ? "<= 10000 ns" : "-");
        bench_line(what, kpi_ns, naive_ns, target);
        snprintf(what, sizeof what, "  naive from N = floor(A)+1 instead of 1");
        bench_line(what, kpi_ns, naive_skip_ns, "-");
    }

    bench_title("Staffing: single Erlang C evaluations");
    {
        double v = 0;
        BENCH_MEDIAN(kpi_ns, calls, (void)0, {
            for (int r = 0; r < calls; r++) {
                kpi_erlang_c_service_level(950 + 1e-9 * r, 1000, 180, 20, &v);
                bench_keep(&v);
            }
        });
        BENCH_MEDIAN(naive_ns, calls, (void)0, {
            for (int r = 0; r < calls; r++) {
                v = 1.0 - naive_erlang_c(950 + 1e-9 * r, 1000) * exp(-50.0 * 20 / 180);
                bench_keep(&v);
            }
        });
        bench_line("service level, N = 1000 (per call)", kpi_ns, naive_ns, "-");
    }

    bench_title("Staffing: Erlang A (one call, all quantities by quadrature)");
    static const double acases[][2] = {{10, 14}, {950, 1000}, {1200, 1000}, {9900, 10000}};
    for (size_t i = 0; i < sizeof acases / sizeof acases[0]; i++) {
        double A = acases[i][0], v = 0;
        int32_t N = (int32_t)acases[i][1];
        int reps = N >= 10000 ? calls / 4 + 1 : calls;
        double ns_sl;
        BENCH_MEDIAN(kpi_ns, reps, (void)0, {
            for (int r = 0; r < reps; r++) {
                kpi_erlang_a_abandon_probability(A + 1e-9 * r, N, 180, 120, &v);
                bench_keep(&v);
            }
        });
        BENCH_MEDIAN(ns_sl, reps, (void)0, {
            for (int r = 0; r < reps; r++) {
                kpi_erlang_a_service_level(A + 1e-9 * r, N, 180, 120, 20, &v);
                bench_keep(&v);
            }
        });
        char what[96];
        snprintf(what, sizeof what, "abandon prob., A = %g, N = %d", A, (int)N);
        bench_line(what, kpi_ns, 0, "-");
        snprintf(what, sizeof what, "service level, A = %g, N = %d", A, (int)N);
        bench_line(what, ns_sl, 0, "-");
    }
    (void)sink;
    return 0;
}
