/*
 * libFuzzer target: kpi_service_level_deserialize() (driver and checks in fuzz.h).
 * SPDX-License-Identifier: MIT
 */
#include "fuzz.h"

static void reads(const kpi_service_level *s)
{
    kpi_estimate e;
    double v;
    uint64_t n;
    KPI_FUZZ_CHECK(kpi_service_level_answered(s) <= kpi_service_level_offered(s));
    KPI_FUZZ_CHECK(kpi_service_level_abandoned(s) <= kpi_service_level_offered(s));
    for (int f = KPI_SL_ANSWERED_OVER_OFFERED; f <= KPI_SL_EXCLUDE_ABANDONS_IN_T + 1; f++)
        (void)kpi_service_level_share(s, f, &e);
    (void)kpi_service_level_abandon_rate(s, &e);
    (void)kpi_service_level_unserved_share(s, &e);
    for (uint32_t r = 0; r <= KPI_UNSERVED_REASONS; r += 9) {
        (void)kpi_service_level_unserved_count(s, r, &n);
        (void)kpi_service_level_unserved_reason_share(s, r, &e);
    }
    (void)kpi_service_level_asa(s, &v);
    for (double q = 0.0; q <= 1.0; q += 0.25)
        (void)kpi_service_level_wait_quantile(s, q, &v);
}

KPI_FUZZ_ACCUMULATOR(service_level, reads)
