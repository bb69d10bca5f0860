/*
 * libFuzzer target: kpi_journey_deserialize() (driver and checks in fuzz.h).
 * SPDX-License-Identifier: MIT
 */
#include "fuzz.h"

static void reads(const kpi_journey *p)
{
    double v;
    uint64_t n;
    (void)kpi_journey_touchpoints_mean(p, &v);
    (void)kpi_journey_switches_mean(p, &v);
    (void)kpi_journey_resolution_mean(p, &v, &n);
    (void)kpi_journey_open(p);
    KPI_FUZZ_CHECK(kpi_journey_evicted(p) <= kpi_journey_unresolved(p));
}

KPI_FUZZ_ACCUMULATOR(journey, reads)
