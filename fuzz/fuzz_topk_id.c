/*
 * libFuzzer target: kpi_topk_id_deserialize() (driver and checks in fuzz.h).
 * SPDX-License-Identifier: MIT
 */
#include "fuzz.h"

static void reads(const kpi_topk_id *p)
{
    size_t size = kpi_topk_id_size(p);
    (void)kpi_topk_id_total(p);
    (void)kpi_topk_id_error_bound(p);
    for (size_t rank = 0; rank <= size; rank++) {
        uint64_t id, count, lower, upper, c2, l2, u2;
        kpi_estimate e;
        if (kpi_topk_id_entry(p, rank, &id, &count, &lower, &upper) != KPI_OK) {
            KPI_FUZZ_CHECK(rank == size);
            break;
        }
        KPI_FUZZ_CHECK(lower <= count && count <= upper);
        KPI_FUZZ_CHECK(kpi_topk_id_estimate(p, id, &c2, &l2, &u2) == KPI_OK);
        KPI_FUZZ_CHECK(c2 == count);
        (void)kpi_topk_id_share(p, id, &e);
    }
}

KPI_FUZZ_ACCUMULATOR(topk_id, reads)
