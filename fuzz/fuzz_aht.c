/*
 * libFuzzer target: kpi_aht_deserialize() (driver and checks in fuzz.h).
 * SPDX-License-Identifier: MIT
 */
#include "fuzz.h"

static void reads(const kpi_aht *a)
{
    double v;
    (void)kpi_aht_count(a);
    (void)kpi_aht_mean(a, &v);
    for (int c = KPI_AHT_TALK; c <= KPI_AHT_AFTER_WORK + 1; c++)
        (void)kpi_aht_component_mean(a, c, &v);
    for (double q = 0.0; q <= 1.0; q += 0.25)
        (void)kpi_aht_quantile(a, q, &v);
}

KPI_FUZZ_ACCUMULATOR(aht, reads)
