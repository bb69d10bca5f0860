/*
 * libFuzzer target: kpi_distinct_deserialize() (driver and checks in fuzz.h).
 * SPDX-License-Identifier: MIT
 */
#include "fuzz.h"

static void reads(const kpi_distinct *p)
{
    kpi_estimate e;
    int exact;
    if (kpi_distinct_estimate(p, &e) == KPI_OK)
        KPI_FUZZ_CHECK(e.lower <= e.value && e.value <= e.upper);
    KPI_FUZZ_CHECK(kpi_distinct_is_exact(p, &exact) == KPI_OK);
}

KPI_FUZZ_ACCUMULATOR(distinct, reads)
