/*
 * libFuzzer target: kpi_series_deserialize() (driver and checks in fuzz.h).
 * SPDX-License-Identifier: MIT
 */
#include "fuzz.h"

static void reads(const kpi_series *p)
{
    double v, mae, smape, values[64], fc[8];
    int64_t start, first;
    size_t n;
    kpi_estimate e;
    uint32_t len = kpi_series_length(p);
    (void)kpi_series_total(p, &v);
    if (kpi_series_latest(p, &start) == KPI_OK) {
        (void)kpi_series_period(p, start, &v);
        (void)kpi_series_period(p, INT64_MIN, &v);
        (void)kpi_series_period(p, INT64_MAX, &v);
    }
    (void)kpi_series_last(p, 1, &v);
    (void)kpi_series_last(p, len, &v);
    (void)kpi_series_last(p, len + 1, &v);
    (void)kpi_series_values(p, values, sizeof values / sizeof values[0], &n, &first);
    (void)kpi_series_values(p, NULL, 0, &n, &first);
    (void)kpi_series_forecast(p, 8, fc, 8);
    for (uint32_t h = 0; h <= 3; h++)
        (void)kpi_series_forecast_interval(p, h, &e);
    (void)kpi_series_forecast_error(p, &mae, &smape);
}

KPI_FUZZ_ACCUMULATOR(series, reads)
