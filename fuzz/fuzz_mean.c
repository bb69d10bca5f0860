/*
 * libFuzzer target: kpi_mean_deserialize() (driver and checks in fuzz.h).
 * SPDX-License-Identifier: MIT
 */
#include "fuzz.h"

static void reads(const kpi_mean *m)
{
    double v;
    kpi_estimate e, neg, neu, pos;
    (void)kpi_mean_count(m);
    (void)kpi_mean_mean(m, &v);
    (void)kpi_mean_mean_ci(m, &e);
    (void)kpi_mean_variance(m, &v);
    (void)kpi_mean_min(m, &v);
    (void)kpi_mean_max(m, &v);
    (void)kpi_mean_shares(m, &neg, &neu, &pos);
    (void)kpi_iqs_percent(m, &v);
}

KPI_FUZZ_ACCUMULATOR(mean, reads)
