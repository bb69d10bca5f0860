/*
 * libFuzzer target: kpi_rate_deserialize() (driver and checks in fuzz.h).
 * SPDX-License-Identifier: MIT
 */
#include "fuzz.h"

static void reads(const kpi_rate *r)
{
    kpi_estimate e;
    KPI_FUZZ_CHECK(kpi_rate_successes(r) <= kpi_rate_trials(r));
    if (kpi_rate_share(r, &e) == KPI_OK)
        KPI_FUZZ_CHECK(e.lower <= e.value && e.value <= e.upper);
}

KPI_FUZZ_ACCUMULATOR(rate, reads)
