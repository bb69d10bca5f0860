/*
 * libFuzzer target: kpi_sla_policy_deserialize() (driver and checks in fuzz.h).
 * SPDX-License-Identifier: MIT
 */
#include "fuzz.h"

static void reads(const kpi_sla_policy *p)
{
    const int64_t start = 1774742400000; /* 2026-03-29, a DST switch */
    for (uint32_t prio = 0; prio <= KPI_SLA_PRIORITIES; prio++)
        for (int metric = KPI_SLA_FIRST_RESPONSE; metric <= KPI_SLA_RESOLUTION; metric++) {
            int64_t target, v;
            int business, met;
            if (kpi_sla_policy_target(p, prio, metric, &target, &business) != KPI_OK)
                continue;
            (void)kpi_sla_policy_due(p, prio, metric, start, 0, &v);
            (void)kpi_sla_policy_due(p, prio, metric, start, 600000, &v);
            (void)kpi_sla_policy_met(p, prio, metric, start, start + 7200000, 0, &met);
            (void)kpi_sla_policy_remaining(p, prio, metric, start, start + 3600000, 0, &v);
        }
}

KPI_FUZZ_CONFIG(sla_policy, reads)
