/*
 * A program's own definition of a kpi_ function never reaches the
 * library's calls (docs/abi.md, "The library calls its own functions"):
 * built with -Bsymbolic-functions, libkpi binds the calls between its own
 * exported functions at link time.  This program defines kpi_rate_add(),
 * which the ticket engine calls to record FCR and the reopen rate, and
 * exports it (-rdynamic, as a preloaded library would): its own calls
 * reach it, the engine's must not.  Skipped (77) when configure did not
 * find the linker flag (KPI_SYMBOLIC_LDFLAGS, given by the build, is "").
 * SPDX-License-Identifier: MIT
 */
#include "config.h"

#include <stdio.h>

#include "kpi.h"

static unsigned calls;

/* The program's kpi_rate_add: counts its calls, never touches the rate. */
int kpi_rate_add(kpi_rate *r, int success)
{
    (void)r;
    (void)success;
    calls++;
    return KPI_ERR_STATE;
}

#define FAIL(...)                                                              \
    do {                                                                       \
        fprintf(stderr, "test_interpose: " __VA_ARGS__);                       \
        fputc('\n', stderr);                                                   \
        return 1;                                                              \
    } while (0)

/* A record of kind at t (the unnamed fields zero: the struct has no padding). */
static kpi_event ev(int64_t t, uint64_t ticket, uint64_t actor, uint32_t kind)
{
    return (kpi_event){.time_ms = t, .ticket = ticket, .actor = actor, .kind = kind};
}

int main(void)
{
    if (sizeof KPI_SYMBOLIC_LDFLAGS == 1) { /* configure's flag: "" without */
        printf("test_interpose: libkpi built without -Bsymbolic-functions: skipped\n");
        return 77;
    }
    /* the program's own call reaches the program's definition */
    kpi_rate *r;
    if (kpi_rate_new(&r) != KPI_OK)
        FAIL("kpi_rate_new");
    if (kpi_rate_add(r, 1) != KPI_ERR_STATE || calls != 1)
        FAIL("the program's call did not reach its own kpi_rate_add");
    kpi_estimate est;
    if (kpi_rate_share(r, &est) != KPI_ERR_EMPTY)
        FAIL("the program's kpi_rate_add changed the rate");
    kpi_rate_free(r);

    /* one ticket answered once and resolved, then settled: its FCR and
     * reopen-rate values go through the library's own kpi_rate_add */
    const int64_t t0 = INT64_C(1767225600000), min = 60000, day = 86400000;
    kpi_event log[] = {
        ev(t0, 1, 501, KPI_EVENT_CREATED),
        ev(t0 + 5 * min, 1, 7, KPI_EVENT_AGENT_REPLY),
        ev(t0 + 30 * min, 1, 7, KPI_EVENT_RESOLVED),
    };
    kpi_engine *e;
    size_t applied = 0;
    if (kpi_engine_new(&e) != KPI_OK)
        FAIL("kpi_engine_new");
    int rc = kpi_engine_apply(e, log, sizeof log / sizeof log[0], sizeof log[0], &applied);
    if (rc != KPI_OK || applied != 3)
        FAIL("apply: %s after %zu events", kpi_strerror(rc), applied);
    if ((rc = kpi_engine_advance(e, t0 + 30 * day)) != KPI_OK)
        FAIL("advance: %s (the engine's rate adds reached the program's?)", kpi_strerror(rc));
    const int metrics[] = {KPI_ENGINE_FCR, KPI_ENGINE_REOPEN};
    const double want[] = {1.0, 0.0};
    for (int i = 0; i < 2; i++) {
        const void *acc;
        if (kpi_engine_metric(e, metrics[i], KPI_DIM_ALL, 0, &acc) != KPI_OK)
            FAIL("metric %d: no accumulator", metrics[i]);
        if ((rc = kpi_rate_share(acc, &est)) != KPI_OK)
            FAIL("metric %d: %s", metrics[i], kpi_strerror(rc));
        if (est.n != 1 || est.value != want[i])
            FAIL("metric %d: share %g of %llu, want %g of 1", metrics[i], est.value,
                 (unsigned long long)est.n, want[i]);
    }
    kpi_engine_free(e);
    if (calls != 1)
        FAIL("the library called the program's kpi_rate_add %u times", calls - 1);
    printf("test_interpose: the program's kpi_rate_add took its own call; the engine's "
           "FCR and reopen rate went through the library's\n");
    return 0;
}
