/*
 * libFuzzer target: kpi_ratio_deserialize() (driver and checks in fuzz.h).
 * SPDX-License-Identifier: MIT
 */
#include "fuzz.h"

static void reads(const kpi_ratio *p)
{
    double v;
    (void)kpi_ratio_value(p, &v);
    (void)kpi_ratio_numerator(p);
    (void)kpi_ratio_denominator(p);
    (void)kpi_ratio_count(p);
    KPI_FUZZ_CHECK(kpi_ratio_kind(p) <= KPI_RATIO_KIND_MAX);
}

KPI_FUZZ_ACCUMULATOR(ratio, reads)
