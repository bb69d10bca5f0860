/*
 * The ABI compatibility and amalgamation smoke program.
 * SPDX-License-Identifier: MIT
 *
 * tests/abi-compat.sh compiles it against the RECORDED headers (abi/include)
 * and runs it on the current build's libkpi.so: a program built for the
 * recorded ABI must keep working, unrebuilt, against every later 1.x.
 * tests/amalgamation.sh compiles the same file against the amalgamation
 * (amalgamation/kpi.h and kpi.c), exported and KPI_AMALGAMATION_STATIC.
 *
 * It touches every public struct (kpi_allocator, kpi_estimate, kpi_event)
 * and the create / add / read / serialize / merge verbs of several types,
 * checks each value against one computed by hand, prints one line per
 * check and exits non-zero on the first mismatch.  It uses only functions
 * of the 1.0 ABI, so it compiles against any 1.x headers.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kpi.h"

static int checks;

static _Noreturn void fail(const char *what, const char *detail)
{
    fprintf(stderr, "compat: FAILED %s: %s\n", what, detail);
    exit(1);
}

/* A call that must return `want`. */
static void status_is(const char *what, int got, int want)
{
    char detail[128];
    if (got != want) {
        snprintf(detail, sizeof detail, "returned %s, expected %s", kpi_status_name(got),
                 kpi_status_name(want));
        fail(what, detail);
    }
    checks++;
}

static void ok(const char *what, int got) { status_is(what, got, KPI_OK); }

/* |got - want| <= tol */
static void near(const char *what, double got, double want, double tol)
{
    char detail[128];
    if (!(fabs(got - want) <= tol)) {
        snprintf(detail, sizeof detail, "%.9g, expected %.9g (+/- %g)", got, want, tol);
        fail(what, detail);
    }
    printf("%-40s %.6g\n", what, got);
    checks++;
}

static void truth(const char *what, int cond)
{
    if (!cond)
        fail(what, "false");
    checks++;
}

/* ---- a counting allocator: the frozen kpi_allocator layout in use ------ */
typedef struct counts {
    long live;
    long calls;
} counts;
static void *c_malloc(void *opaque, size_t size)
{
    counts *c = opaque;
    void *p = malloc(size);
    c->calls++;
    c->live += p != NULL;
    return p;
}
static void *c_realloc(void *opaque, void *ptr, size_t size)
{
    counts *c = opaque;
    void *p = realloc(ptr, size);
    c->calls++;
    c->live += p != NULL && ptr == NULL;
    return p;
}
static void c_free(void *opaque, void *ptr)
{
    counts *c = opaque;
    c->live--;
    free(ptr);
}

static void library(void)
{
    uint32_t v = kpi_version_number();
    printf("%-40s %s (headers %d.%d.%d)\n", "library version", kpi_version_string(),
           KPI_VERSION_MAJOR, KPI_VERSION_MINOR, KPI_VERSION_PATCH);
    truth("same major version", v / 10000 == KPI_VERSION_MAJOR);
    truth("library not older than the headers", v >= KPI_VERSION_NUMBER);
    truth("status codes append-only", kpi_status_last() <= KPI_ERR_LAST);
    truth("status name", strcmp(kpi_status_name(KPI_ERR_RANGE), "KPI_ERR_RANGE") == 0);
    truth("status text", kpi_strerror(KPI_ERR_NOMEM)[0] != '\0');
}

static void scores(void)
{
    /* NPS: promoters 10 9 9 10 9 (5), detractors 6 3 0 (3), of 10 -> +20 */
    static const int32_t answers[] = {10, 9, 9, 8, 7, 6, 3, 10, 0, 9};
    counts c = {0, 0};
    kpi_allocator a = {c_malloc, c_realloc, c_free, &c};
    kpi_score *nps = NULL, *copy = NULL, *back = NULL;
    kpi_estimate e = {0, 0, 0, 0};
    unsigned char buf[512];
    size_t len = 0;

    ok("nps new", kpi_nps_new(&nps));
    ok("nps add_array", kpi_score_add_array(nps, answers, sizeof answers / sizeof answers[0]));
    status_is("nps answer 11 refused", kpi_score_add(nps, 11), KPI_ERR_RANGE);
    ok("nps read", kpi_score_nps(nps, &e));
    near("NPS", e.value, 20.0, 1e-9);
    truth("NPS n", e.n == 10 && e.lower < e.value && e.upper > e.value);

    /* serialize, rebuild with the counting allocator, merge */
    ok("nps serialize", kpi_score_serialize(nps, buf, sizeof buf, &len));
    ok("nps deserialize_with", kpi_score_deserialize_with(&back, buf, len, &a));
    truth("allocator used", c.calls > 0 && c.live > 0);
    ok("nps clone", kpi_score_clone(nps, &copy));
    ok("nps merge", kpi_score_merge(back, copy));
    ok("nps read merged", kpi_score_nps(back, &e));
    near("NPS merged", e.value, 20.0, 1e-9);
    truth("NPS merged n", e.n == 20);
    kpi_score_free(back);
    truth("allocator balanced", c.live == 0);
    kpi_score_free(copy);
    kpi_score_free(nps);

    /* CSAT 1..5, satisfied 4-5: 5 4 3 5 1 -> 3 of 5 */
    static const int32_t csat_answers[] = {5, 4, 3, 5, 1};
    kpi_score *csat = NULL;
    ok("csat new", kpi_csat_new(&csat, 5, 4));
    ok("csat add_array", kpi_score_add_array(csat, csat_answers, 5));
    ok("csat read", kpi_score_csat(csat, &e));
    near("CSAT", e.value, 0.6, 1e-12);
    kpi_score_free(csat);
}

static void rates_and_ratios(void)
{
    static const uint8_t outcomes[] = {1, 1, 0, 1};
    kpi_rate *r = NULL;
    kpi_estimate e = {0, 0, 0, 0}, w = {0, 0, 0, 0};
    ok("rate new", kpi_rate_new(&r));
    ok("rate add_array", kpi_rate_add_array(r, outcomes, sizeof outcomes));
    ok("rate read", kpi_rate_share(r, &e));
    ok("wilson", kpi_wilson_interval(3, 4, &w));
    near("FCR share", e.value, 0.75, 1e-12);
    truth("FCR interval is Wilson's", e.lower == w.lower && e.upper == w.upper && e.n == 4);
    kpi_rate_free(r);

    kpi_ratio *cost = NULL;
    double value = 0;
    ok("ratio new", kpi_cost_per_resolution_new(&cost));
    ok("ratio add", kpi_ratio_add(cost, 100.0, 4.0));
    ok("ratio add", kpi_ratio_add(cost, 50.0, 1.0));
    ok("ratio read", kpi_ratio_value(cost, &value));
    near("cost per resolution", value, 30.0, 1e-12);
    kpi_ratio_free(cost);
}

static void durations(void)
{
    /* 1 s .. 1000 s: median 500.5 s, p90 900.1 s (sketch: 1% relative) */
    int64_t ms[1000];
    for (int i = 0; i < 1000; i++)
        ms[i] = (int64_t)(i + 1) * KPI_MS_PER_SECOND;
    kpi_duration *frt = NULL, *back = NULL;
    double q = 0, mean = 0;
    unsigned char *buf;
    size_t len = 0;

    ok("frt new", kpi_frt_new(&frt));
    ok("frt add_array", kpi_duration_add_array(frt, ms, 1000));
    status_is("negative duration refused", kpi_duration_add(frt, -1), KPI_ERR_RANGE);
    truth("frt count", kpi_duration_count(frt) == 1000);
    ok("frt mean", kpi_duration_mean(frt, &mean));
    near("FRT mean (ms)", mean, 500500.0, 1e-6);
    ok("frt p50", kpi_duration_quantile(frt, 0.5, &q));
    near("FRT p50 (ms)", q, 500500.0, 0.02 * 500500.0);
    ok("frt p90", kpi_duration_quantile(frt, 0.9, &q));
    near("FRT p90 (ms)", q, 900100.0, 0.02 * 900100.0);

    status_is("frt size query", kpi_duration_serialize(frt, NULL, 0, &len), KPI_OK);
    buf = malloc(len);
    truth("buffer", buf != NULL);
    ok("frt serialize", kpi_duration_serialize(frt, buf, len, &len));
    ok("frt deserialize", kpi_duration_deserialize(&back, buf, len));
    ok("frt merge", kpi_duration_merge(back, frt));
    truth("frt merged count", kpi_duration_count(back) == 2000);
    ok("frt merged p90", kpi_duration_quantile(back, 0.9, &q));
    near("FRT merged p90 (ms)", q, 900100.0, 0.02 * 900100.0);
    free(buf);
    kpi_duration_free(back);
    kpi_duration_free(frt);
}

static void sketches(void)
{
    kpi_topk *top = NULL;
    const char *label = "";
    size_t len = 0;
    uint64_t count = 0;
    ok("topk new", kpi_topk_new(&top, 8));
    for (int i = 0; i < 3; i++)
        ok("topk add", kpi_topk_add_str(top, "billing"));
    ok("topk add", kpi_topk_add_str(top, "login"));
    ok("topk entry", kpi_topk_entry(top, 0, &label, &len, &count, NULL, NULL));
    truth("top topic", len == 7 && memcmp(label, "billing", 7) == 0 && count == 3);
    printf("%-40s %.*s x %llu\n", "top topic", (int)len, label, (unsigned long long)count);
    kpi_topk_free(top);

    kpi_distinct *d = NULL;
    kpi_estimate e = {0, 0, 0, 0};
    ok("distinct new", kpi_distinct_new(&d, 12));
    for (uint64_t id = 0; id < 300; id++)
        ok("distinct add", kpi_distinct_add(d, 1 + id % 100));
    ok("distinct read", kpi_distinct_estimate(d, &e));
    near("active customers", e.value, 100.0, 0.5);
    kpi_distinct_free(d);

    kpi_series *s = NULL;
    double total = 0;
    ok("series new", kpi_series_new(&s, KPI_MS_PER_HOUR, 24, 0));
    ok("series add", kpi_series_add(s, 1000, 2.0));
    ok("series add", kpi_series_add(s, KPI_MS_PER_HOUR + 5, 3.0));
    ok("series total", kpi_series_total(s, &total));
    near("volume total", total, 5.0, 1e-12);
    kpi_series_free(s);

    /* a rate per agent in a group, and the overall figure */
    kpi_rate *proto = NULL, *total_rate;
    kpi_group *g = NULL;
    void *member = NULL;
    ok("group prototype", kpi_rate_new(&proto));
    ok("group new", kpi_group_new(&g, proto));
    ok("group get", kpi_group_get(g, 7, &member));
    ok("group add", kpi_rate_add(member, 1));
    ok("group get", kpi_group_get(g, 9, &member));
    ok("group add", kpi_rate_add(member, 0));
    ok("group total", kpi_group_total(g, &member));
    total_rate = member;
    ok("group total read", kpi_rate_share(total_rate, &e));
    near("group overall share", e.value, 0.5, 1e-12);
    kpi_rate_free(total_rate);
    kpi_group_free(g);
    kpi_rate_free(proto);
}

static void calendar(void)
{
    /* Monday to Friday 09:00-17:00 UTC; 2024-01-01 was a Monday */
    const int64_t monday = INT64_C(1704067200000);
    kpi_calendar *cal = NULL;
    int64_t business = 0;
    ok("calendar new", kpi_calendar_new(&cal, "UTC0"));
    for (int day = 1; day <= 5; day++)
        ok("calendar hours", kpi_calendar_add_hours(cal, day, 9 * 60, 17 * 60));
    ok("calendar elapsed",
       kpi_calendar_elapsed(cal, monday + 8 * KPI_MS_PER_HOUR, monday + 18 * KPI_MS_PER_HOUR,
                            &business));
    near("business hours Monday 08-18", (double)business / KPI_MS_PER_HOUR, 8.0, 0.0);
    kpi_calendar_free(cal);
}

static void engine(void)
{
    const int64_t t0 = INT64_C(1704067200000);
    kpi_engine *e = NULL, *back = NULL;
    const kpi_duration *frt = NULL;
    uint64_t n = 0;
    double q = 0;
    size_t applied = 0, len = 0;
    unsigned char *buf;

    truth("kpi_event is 64 bytes", sizeof(kpi_event) == 64);
    ok("engine new", kpi_engine_new(&e));
    /* ticket 1 through the calls: reply after 60 s */
    ok("engine created", kpi_engine_created(e, t0, 1, 501, 1, 0, "billing", 0));
    ok("engine reply", kpi_engine_agent_reply(e, t0 + 60000, 1, 7));
    ok("engine resolved", kpi_engine_resolved(e, t0 + 120000, 1, 7, 0));
    status_is("engine unknown ticket", kpi_engine_agent_reply(e, t0 + 1, 99, 7),
              KPI_ERR_UNKNOWN_ID);

    /* ticket 2 as fixed-layout records: reply after 180 s */
    kpi_event ev[2];
    memset(ev, 0, sizeof ev);
    ev[0].time_ms = t0 + 1000;
    ev[0].ticket = 2;
    ev[0].actor = 502;
    ev[0].kind = KPI_EVENT_CREATED;
    ev[0].channel = 2;
    ev[1].time_ms = t0 + 181000;
    ev[1].ticket = 2;
    ev[1].actor = 7;
    ev[1].kind = KPI_EVENT_AGENT_REPLY;
    status_is("engine record size check", kpi_engine_apply(e, ev, 2, sizeof(kpi_event) + 8, &applied),
              KPI_ERR_VERSION);
    ok("engine apply", kpi_engine_apply(e, ev, 2, sizeof(kpi_event), &applied));
    truth("engine applied", applied == 2);

    ok("engine count", kpi_engine_count(e, KPI_ENGINE_COUNT_CREATED, &n));
    truth("engine created count", n == 2);
    ok("engine frt", kpi_engine_duration(e, KPI_ENGINE_FRT, KPI_DIM_ALL, 0, &frt));
    truth("engine frt count", kpi_duration_count(frt) == 2);
    ok("engine frt max", kpi_duration_quantile(frt, 1.0, &q));
    near("engine FRT max (ms)", q, 180000.0, 0.01 * 180000.0);

    /* snapshot, restore, merge: twice the tickets */
    ok("engine size query", kpi_engine_serialize(e, NULL, 0, &len));
    buf = malloc(len);
    truth("buffer", buf != NULL);
    ok("engine serialize", kpi_engine_serialize(e, buf, len, &len));
    ok("engine deserialize", kpi_engine_deserialize(&back, buf, len));
    free(buf);
    ok("engine frt restored", kpi_engine_duration(back, KPI_ENGINE_FRT, KPI_DIM_ALL, 0, &frt));
    truth("engine frt restored count", kpi_duration_count(frt) == 2);
    kpi_engine_free(back);
    kpi_engine_free(e);
}

static void staffing(void)
{
    double traffic = 0;
    int32_t agents = 0;
    ok("erlang traffic", kpi_erlang_traffic(100, 1800, 180, &traffic));
    near("traffic (Erlangs)", traffic, 10.0, 1e-9);
    ok("erlang c agents", kpi_erlang_c_agents(traffic, 180, 20, 0.80, 0.85, &agents));
    truth("agents above traffic", agents > 10 && agents < 30);
    printf("%-40s %d\n", "agents for 80% in 20 s", (int)agents);
}

int main(void)
{
    library();
    scores();
    rates_and_ratios();
    durations();
    sketches();
    calendar();
    engine();
    staffing();
    printf("compat: %d checks passed\n", checks);
    return 0;
}
