/*
 * libFuzzer target: kpi_topk_deserialize() (driver and checks in fuzz.h).
 * SPDX-License-Identifier: MIT
 */
#include "fuzz.h"

static void reads(const kpi_topk *p)
{
    size_t size = kpi_topk_size(p);
    (void)kpi_topk_total(p);
    (void)kpi_topk_error_bound(p);
    for (size_t rank = 0; rank <= size; rank++) {
        const char *label;
        size_t len;
        uint64_t count, lower, upper, c2, l2, u2;
        kpi_estimate e;
        if (kpi_topk_entry(p, rank, &label, &len, &count, &lower, &upper) != KPI_OK) {
            KPI_FUZZ_CHECK(rank == size);
            break;
        }
        KPI_FUZZ_CHECK(lower <= count && count <= upper);
        KPI_FUZZ_CHECK(kpi_topk_estimate(p, label, len, &c2, &l2, &u2) == KPI_OK);
        KPI_FUZZ_CHECK(c2 == count);
        (void)kpi_topk_share(p, label, len, &e);
    }
    uint64_t c, l, u;
    (void)kpi_topk_estimate(p, "absent label", 12, &c, &l, &u);
}

KPI_FUZZ_ACCUMULATOR(topk, reads)
