/*
 * libFuzzer target: kpi_duration_deserialize() (driver and checks in fuzz.h).
 * SPDX-License-Identifier: MIT
 */
#include "fuzz.h"

static void reads(const kpi_duration *d)
{
    double v;
    int64_t lo, hi, sum;
    kpi_estimate e;
    uint64_t n = kpi_duration_count(d);
    (void)kpi_duration_accuracy(d);
    (void)kpi_duration_mean(d, &v);
    (void)kpi_duration_sum(d, &sum);
    int rmin = kpi_duration_min(d, &lo), rmax = kpi_duration_max(d, &hi);
    if (n > 0 && rmin == KPI_OK && rmax == KPI_OK)
        KPI_FUZZ_CHECK(lo <= hi);
    for (double q = 0.0; q <= 1.0; q += 0.125)
        (void)kpi_duration_quantile(d, q, &v);
    static const int64_t targets[] = {0, 1, 1000, 60000, 3600000, INT64_MAX};
    for (size_t i = 0; i < sizeof targets / sizeof targets[0]; i++)
        (void)kpi_duration_share_within(d, targets[i], &e);
}

KPI_FUZZ_ACCUMULATOR(duration, reads)
