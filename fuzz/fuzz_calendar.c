/*
 * libFuzzer target: kpi_calendar_deserialize() (driver and checks in fuzz.h).
 * SPDX-License-Identifier: MIT
 */
#include "fuzz.h"

/* A few instants around the DST table's edges and the accepted range. */
static const int64_t instants[] = {
    0, 1774742400000, 1792879200000, -2208988800000, 4133980800000,
    KPI_CALENDAR_MAX_TIME, -KPI_CALENDAR_MAX_TIME};
#define N_INSTANTS (sizeof instants / sizeof instants[0])

static void reads(const kpi_calendar *cal)
{
    int64_t v;
    int32_t off, y, m, d, wd, ms;
    int open;
    (void)kpi_calendar_week_ms(cal);
    for (size_t i = 0; i < N_INSTANTS; i++) {
        (void)kpi_calendar_is_open(cal, instants[i], &open);
        (void)kpi_calendar_utc_offset(cal, instants[i], &off);
        (void)kpi_calendar_local_time(cal, instants[i], &y, &m, &d, &wd, &ms);
        /* spans of a week and of ten years from the instant */
        (void)kpi_calendar_elapsed(cal, instants[i], instants[i] + 604800000, &v);
        (void)kpi_calendar_elapsed(cal, instants[i], instants[i] + 315569520000, &v);
        (void)kpi_calendar_due(cal, instants[i], 3600000, &v);
    }
}

KPI_FUZZ_CONFIG(calendar, reads)
