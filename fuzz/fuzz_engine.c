/*
 * libFuzzer target: kpi_engine_deserialize() (driver and checks in fuzz.h).
 * SPDX-License-Identifier: MIT
 */
#include "fuzz.h"

static void reads(const kpi_engine *e)
{
    kpi_fuzz_engine_reads(e, 1);
}

KPI_FUZZ_ACCUMULATOR(engine, reads)
