/*
 * libFuzzer target: kpi_customers_deserialize() (driver and checks in fuzz.h).
 * SPDX-License-Identifier: MIT
 */
#include "fuzz.h"

static void reads(const kpi_customers *p)
{
    double v;
    kpi_estimate e;
    uint64_t n;
    (void)kpi_customers_churn_net(p, &v);
    (void)kpi_customers_churn_lost(p, &e);
    (void)kpi_customers_retention(p, &v);
    (void)kpi_customers_referral_rate(p, &e);
    (void)kpi_customers_revenue_per_customer(p, &v);
    (void)kpi_customers_clv(p, &v);
    (void)kpi_customers_engagement(p, &v);
    (void)kpi_customers_repeat_share(p, &e);
    (void)kpi_customers_self_service(p, &e);
    (void)kpi_customers_self_service_usage(p, &e);
    (void)kpi_customers_unserved_share(p, &e);
    (void)kpi_customers_abandon_rate(p, &e);
    for (uint32_t r = 0; r <= KPI_UNSERVED_REASON_MAX + 1; r += 7) {
        (void)kpi_customers_unserved_count(p, r, &n);
        (void)kpi_customers_unserved_reason_share(p, r, &e);
    }
}

KPI_FUZZ_ACCUMULATOR(customers, reads)
