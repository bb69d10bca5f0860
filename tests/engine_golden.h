/*
 * The engine whose states are kept under tests/data/ as golden states
 * (docs/format.md, "Versions"): a fixed log built with the public API
 * only, so that a program linked against any release can write it.
 *   engine-v1.bin          written by the library before the periods'
 *                          top topics (commit 8af0db7): no such section
 *   engine-topics-v1.bin   the same engine written with that section
 *                          (the last format-1 library, commit e8c064d)
 *   engine-calendar-v1.bin golden_engine_with(1), by that same library:
 *                          a calendar, no business sums of live tickets
 *   engine-v2.bin          golden_engine_with(1) in format 2: with them
 * SPDX-License-Identifier: MIT
 */
#ifndef KPI_TEST_ENGINE_GOLDEN_H
#define KPI_TEST_ENGINE_GOLDEN_H

#include <stdlib.h>
#include <string.h>

#include "kpi/calendar.h"
#include "kpi/engine.h"

/* 2026-03-02 00:00Z, a Monday. */
#define GOLDEN_T0 INT64_C(1772409600000)
#define GOLDEN_TICKETS 400

typedef struct golden_ev {
    kpi_event ev;
    size_t seq; /* ties in time keep the order they were made in */
} golden_ev;

static int golden_cmp(const void *x, const void *y)
{
    const golden_ev *a = x, *b = y;
    if (a->ev.time_ms != b->ev.time_ms)
        return a->ev.time_ms < b->ev.time_ms ? -1 : 1;
    return a->seq < b->seq ? -1 : a->seq > b->seq;
}

static uint32_t golden_rand(uint64_t *s)
{
    *s = *s * UINT64_C(6364136223846793005) + UINT64_C(1442695040888963407);
    return (uint32_t)(*s >> 33);
}

static void golden_push(golden_ev *v, size_t *n, int64_t t, uint64_t ticket, uint32_t kind,
                        uint64_t actor)
{
    memset(&v[*n], 0, sizeof v[*n]);
    v[*n].ev.time_ms = t;
    v[*n].ev.ticket = ticket;
    v[*n].ev.kind = kind;
    v[*n].ev.actor = actor;
    v[*n].seq = *n;
    (*n)++;
}

/* The business calendar of golden_engine_with(1): Europe/Berlin, Monday to
 * Friday 08:00-18:00, 2026-03-06 a holiday. */
static int golden_calendar(kpi_engine *e)
{
    kpi_calendar *c = NULL;
    int rc = kpi_calendar_new(&c, "CET-1CEST,M3.5.0,M10.5.0/3");
    for (int wd = 1; rc == KPI_OK && wd <= 5; wd++)
        rc = kpi_calendar_add_hours(c, wd, 8 * 60, 18 * 60);
    if (rc == KPI_OK)
        rc = kpi_calendar_add_holiday(c, 2026, 3, 6);
    if (rc == KPI_OK)
        rc = kpi_engine_set_calendar(e, c);
    kpi_calendar_free(c);
    return rc;
}

/* 400 tickets, one every 40 minutes over 11 days (10 periods of a day
 * kept, so the first leaves the ring), on 5 named topics (and none), 3
 * channels, 4 agents in 2 teams; replies, resolves, a reopen every 7th,
 * CSAT on every other resolved one.  With `calendar`: golden_calendar(),
 * every third ticket put on hold 5 minutes after its reply, and ticket
 * 9999 created on 2026-03-13 at 12:00Z and left new.  NULL if the library
 * refuses any step. */
static kpi_engine *golden_engine_with(int calendar)
{
    static const char *const topics[] = {"billing", "login", "refund", "shipping", "other"};
    kpi_engine *e = NULL;
    if (kpi_engine_new(&e) != KPI_OK)
        return NULL;
    int rc = kpi_engine_set_option(e, KPI_ENGINE_OPT_PERIODS, 10);
    if (rc == KPI_OK && calendar)
        rc = golden_calendar(e);
    if (rc == KPI_OK)
        rc = kpi_engine_set_option(e, KPI_ENGINE_OPT_TOPK_CAPACITY, 16);
    /* one-touch FCR, the default of the libraries that wrote the files:
     * option 16 (KPI_ENGINE_OPT_FCR_MIN_REPLIES) at 0.  Libraries from
     * before that option refuse it (KPI_ERR_INVALID), their FCR being
     * one-touch already, so its answer is not checked; the states' bytes
     * are (tests/test_engine.c) */
    if (rc == KPI_OK)
        (void)kpi_engine_set_option(e, 16, 0);
    for (uint64_t i = 0; rc == KPI_OK && i < 5; i++)
        rc = kpi_engine_set_name(e, KPI_DIM_TOPIC, i + 1, topics[i]);
    golden_ev *v = calloc(GOLDEN_TICKETS * 7, sizeof *v);
    if (rc != KPI_OK || v == NULL) {
        free(v);
        kpi_engine_free(e);
        return NULL;
    }
    uint64_t s = 20261206;
    size_t n = 0;
    for (uint64_t i = 0; i < GOLDEN_TICKETS; i++) {
        uint64_t id = 5000 + i;
        int64_t t = GOLDEN_T0 + (int64_t)i * 40 * KPI_MS_PER_MINUTE;
        golden_push(v, &n, t, id, KPI_EVENT_CREATED, 100 + golden_rand(&s) % 60);
        v[n - 1].ev.channel = golden_rand(&s) % 3;
        v[n - 1].ev.priority = golden_rand(&s) % 2;
        v[n - 1].ev.topic = golden_rand(&s) % 6;
        uint64_t agent = 1 + golden_rand(&s) % 4;
        golden_push(v, &n, t + KPI_MS_PER_MINUTE, id, KPI_EVENT_ASSIGNED, agent);
        v[n - 1].ev.team = 1 + (uint32_t)(agent % 2);
        t += (5 + golden_rand(&s) % 115) * KPI_MS_PER_MINUTE;
        golden_push(v, &n, t, id, KPI_EVENT_AGENT_REPLY, agent);
        if (calendar && i % 3 == 1)
            golden_push(v, &n, t + 5 * KPI_MS_PER_MINUTE, id, KPI_EVENT_ON_HOLD, 0);
        if (i % 5 == 4)
            continue; /* still open */
        t += (10 + golden_rand(&s) % 590) * KPI_MS_PER_MINUTE;
        golden_push(v, &n, t, id, KPI_EVENT_RESOLVED, agent);
        if (i % 7 == 0) {
            t += 3 * KPI_MS_PER_HOUR;
            golden_push(v, &n, t, id, KPI_EVENT_REOPENED, 0);
            t += KPI_MS_PER_HOUR;
            golden_push(v, &n, t, id, KPI_EVENT_RESOLVED, agent);
        }
        if (i % 2 == 0) {
            golden_push(v, &n, t + 20 * KPI_MS_PER_MINUTE, id, KPI_EVENT_CSAT, 0);
            v[n - 1].ev.value = 1 + golden_rand(&s) % 5;
        }
    }
    if (calendar) /* still new at the end: no span in a waiting status ended */
        golden_push(v, &n, GOLDEN_T0 + 11 * KPI_MS_PER_DAY + 12 * KPI_MS_PER_HOUR, 9999,
                    KPI_EVENT_CREATED, 99);
    qsort(v, n, sizeof *v, golden_cmp);
    for (size_t i = 0; i < n && rc == KPI_OK; i++)
        rc = kpi_engine_event(e, &v[i].ev);
    free(v);
    if (rc != KPI_OK) {
        kpi_engine_free(e);
        return NULL;
    }
    return e;
}

/* The engine of engine-v1.bin and engine-topics-v1.bin. */
static kpi_engine *golden_engine(void)
{
    return golden_engine_with(0);
}

#endif
