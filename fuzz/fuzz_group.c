/*
 * libFuzzer target: kpi_group_deserialize() (driver and checks in fuzz.h).
 * SPDX-License-Identifier: MIT
 */
#include "fuzz.h"

static void reads(const kpi_group *g)
{
    uint64_t keys[16];
    size_t n = 0;
    int rc = kpi_group_keys(g, keys, 16, &n);
    KPI_FUZZ_CHECK(n == kpi_group_size(g));
    KPI_FUZZ_CHECK(rc == (n <= 16 ? KPI_OK : KPI_ERR_BUFFER));
    for (size_t i = 0; rc == KPI_OK && i < n; i++) {
        const void *member;
        KPI_FUZZ_CHECK(i == 0 || keys[i - 1] < keys[i]);
        KPI_FUZZ_CHECK(kpi_group_find(g, keys[i], &member) == KPI_OK);
    }
    /* the merge of every member, of the members' type (freed generically) */
    void *total = NULL;
    if (kpi_group_total(g, &total) == KPI_OK)
        kpi__destroy(total);
    double mean, sd, lo, hi;
    size_t agents;
    (void)kpi_group_rate_spread(g, 0, &mean, &sd, &lo, &hi, &agents);
}

KPI_FUZZ_ACCUMULATOR(group, reads)
