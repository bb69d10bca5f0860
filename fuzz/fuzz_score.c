/*
 * libFuzzer target: kpi_score_deserialize() (driver and checks in fuzz.h).
 * SPDX-License-Identifier: MIT
 */
#include "fuzz.h"

static void reads(const kpi_score *s)
{
    int32_t lo, hi;
    double v;
    uint64_t n, counts[KPI_SCORE_MAX_SPAN + 1];
    kpi_estimate e, p1, p2, p3;
    (void)kpi_score_count(s);
    KPI_FUZZ_CHECK(kpi_score_scale(s, &lo, &hi) == KPI_OK && lo <= hi);
    KPI_FUZZ_CHECK((int64_t)hi - lo <= KPI_SCORE_MAX_SPAN);
    (void)kpi_score_distribution(s, counts, (size_t)(hi - lo) + 1);
    for (int64_t a = (int64_t)lo - 1; a <= (int64_t)hi + 1; a++) {
        if (a < INT32_MIN || a > INT32_MAX)
            continue;
        (void)kpi_score_count_of(s, (int32_t)a, &n);
        (void)kpi_score_share_at_least(s, (int32_t)a, &e);
        (void)kpi_score_share_at_most(s, (int32_t)a, &e);
    }
    (void)kpi_score_mean(s, &v);
    (void)kpi_score_mean_ci(s, &e);
    (void)kpi_score_csat(s, &e);
    (void)kpi_score_ces_easy(s, &e);
    (void)kpi_score_nps(s, &e);
    (void)kpi_score_nps_shares(s, &p1, &p2, &p3);
}

KPI_FUZZ_ACCUMULATOR(score, reads)
