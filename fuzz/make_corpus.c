/*
 * Writes the seed corpus of the fuzz targets: small valid states of every
 * serializable type (empty and fed), a few damaged ones (truncated, another
 * type's state, text), event scripts for engine_events and TZ strings for
 * calendar_tz.  Deterministic: the committed fuzz/corpus/ is its output.
 *
 *   fuzz/make_corpus DIR      (make fuzz-corpus runs it on fuzz/corpus)
 *
 * SPDX-License-Identifier: MIT
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "kpi.h"

static const char *out_dir;
static int failures;

#define CHECK(call)                                                           \
    do {                                                                      \
        int rc_ = (call);                                                     \
        if (rc_ != KPI_OK) {                                                  \
            fprintf(stderr, "make_corpus: %s: %s\n", #call, kpi_strerror(rc_)); \
            exit(1);                                                          \
        }                                                                     \
    } while (0)

static void make_dir(const char *path)
{
    if (mkdir(path, 0777) != 0 && errno != EEXIST) {
        perror(path);
        exit(1);
    }
}

static void write_file(const char *target, const char *name, const void *data, size_t len)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", out_dir, target);
    make_dir(path);
    snprintf(path, sizeof path, "%s/%s/%s", out_dir, target, name);
    FILE *f = fopen(path, "wb");
    if (f == NULL || fwrite(data, 1, len, f) != len || fclose(f) != 0) {
        perror(path);
        failures++;
    }
}

/* Write obj's state as <target>/<name>; with `damaged`, also a truncated
 * copy (<name>-cut) and a copy with one body byte flipped (<name>-flip). */
static void write_state(const char *target, const char *name, const uint8_t *state,
                        size_t len, int damaged)
{
    write_file(target, name, state, len);
    if (!damaged)
        return;
    char alt[256];
    snprintf(alt, sizeof alt, "%s-cut", name);
    write_file(target, alt, state, len / 2);
    uint8_t *flip = malloc(len);
    if (flip == NULL)
        exit(1);
    memcpy(flip, state, len);
    flip[len > 16 ? 12 + (len - 16) / 2 : 0] ^= 0x5A;
    snprintf(alt, sizeof alt, "%s-flip", name);
    write_file(target, alt, flip, len);
    free(flip);
}

/* Serialize through the type's own function into a fresh buffer. */
#define STATE(T, obj, target, name, damaged)                                  \
    do {                                                                      \
        size_t len_ = 0;                                                      \
        CHECK(kpi_##T##_serialize((obj), NULL, 0, &len_));                    \
        uint8_t *buf_ = malloc(len_);                                         \
        if (buf_ == NULL)                                                     \
            exit(1);                                                          \
        CHECK(kpi_##T##_serialize((obj), buf_, len_, &len_));                 \
        write_state((target), (name), buf_, len_, (damaged));                 \
        free(buf_);                                                           \
    } while (0)

/* ---- accumulators ------------------------------------------------------- */

static void score(void)
{
    kpi_score *s;
    CHECK(kpi_nps_new(&s));
    STATE(score, s, "score", "nps-empty", 0);
    for (int i = 0; i < 40; i++)
        CHECK(kpi_score_add(s, (i * 7) % 11));
    STATE(score, s, "score", "nps", 1);
    kpi_score_free(s);
    CHECK(kpi_ces_new(&s, 7, 5));
    CHECK(kpi_score_add(s, 1));
    CHECK(kpi_score_add(s, 7));
    STATE(score, s, "score", "ces", 0);
    STATE(score, s, "rate", "foreign-score", 0); /* another type's state */
    kpi_score_free(s);
}

static void rate(void)
{
    kpi_rate *r;
    CHECK(kpi_rate_new(&r));
    STATE(rate, r, "rate", "empty", 0);
    CHECK(kpi_rate_add_counts(r, 37, 50));
    STATE(rate, r, "rate", "fed", 1);
    STATE(rate, r, "score", "foreign-rate", 0);
    kpi_rate_free(r);
}

static void mean(void)
{
    kpi_mean *m;
    CHECK(kpi_sentiment_new(&m));
    for (int i = 0; i < 20; i++)
        CHECK(kpi_mean_add(m, (i - 10) / 10.0));
    STATE(mean, m, "mean", "sentiment", 1);
    kpi_mean_free(m);
    CHECK(kpi_iqs_new(&m));
    CHECK(kpi_iqs_add(m, 8, 10));
    CHECK(kpi_iqs_add(m, 3, 4));
    STATE(mean, m, "mean", "iqs", 0);
    kpi_mean_free(m);
    CHECK(kpi_mean_new(&m));
    CHECK(kpi_mean_add_weighted(m, 4.5, 2.0));
    STATE(mean, m, "mean", "weighted", 0);
    kpi_mean_free(m);
}

static void ratio(void)
{
    kpi_ratio *p;
    CHECK(kpi_cost_per_resolution_new(&p));
    CHECK(kpi_ratio_add(p, 1200.0, 40.0));
    CHECK(kpi_ratio_add(p, 300.5, 9.0));
    STATE(ratio, p, "ratio", "cost-per-resolution", 1);
    kpi_ratio_free(p);
    CHECK(kpi_ratio_new(&p));
    STATE(ratio, p, "ratio", "empty", 0);
    kpi_ratio_free(p);
}

static void duration(void)
{
    kpi_duration *d;
    CHECK(kpi_frt_new(&d));
    CHECK(kpi_duration_add_target(d, 60000));
    CHECK(kpi_duration_add_target(d, 3600000));
    for (int i = 0; i < 60; i++)
        CHECK(kpi_duration_add(d, (int64_t)i * i * 1000 + 17));
    STATE(duration, d, "duration", "frt", 1);
    kpi_duration_free(d);
    CHECK(kpi_duration_new(&d, 0.05));
    CHECK(kpi_duration_add(d, 0));
    CHECK(kpi_duration_add(d, 5));
    STATE(duration, d, "duration", "coarse", 0);
    kpi_duration_reset(d);
    STATE(duration, d, "duration", "empty", 0);
    kpi_duration_free(d);
}

static void aht(void)
{
    kpi_aht *a;
    CHECK(kpi_aht_new(&a));
    STATE(aht, a, "aht", "empty", 0);
    for (int i = 0; i < 12; i++)
        CHECK(kpi_aht_add(a, 180000 + i * 1000, i * 5000, 30000));
    STATE(aht, a, "aht", "fed", 1);
    kpi_aht_free(a);
}

static void service_level(void)
{
    kpi_service_level *s;
    CHECK(kpi_service_level_new(&s, 20000, 5000));
    for (int i = 0; i < 30; i++)
        CHECK(kpi_service_level_add(s, i * 1500, i % 5 == 0 ? KPI_CONTACT_ABANDONED : KPI_CONTACT_ANSWERED));
    CHECK(kpi_service_level_add_unserved(s, 3));
    CHECK(kpi_service_level_add_unserved(s, 63));
    STATE(service_level, s, "service_level", "fed", 1);
    kpi_service_level_reset(s);
    STATE(service_level, s, "service_level", "empty", 0);
    kpi_service_level_free(s);
}

static void topk(void)
{
    kpi_topk *p;
    static const char *const labels[] = {"billing", "login", "refund", "billing", "sync error",
                                         "billing", "login", "x"};
    CHECK(kpi_topk_new(&p, 4));
    for (size_t i = 0; i < sizeof labels / sizeof labels[0]; i++)
        CHECK(kpi_topk_add_str(p, labels[i]));
    CHECK(kpi_topk_add(p, "weighted", 8, 1000));
    STATE(topk, p, "topk", "fed", 1);
    kpi_topk_reset(p);
    STATE(topk, p, "topk", "empty", 0);
    kpi_topk_free(p);

    kpi_topk_id *q;
    CHECK(kpi_topk_id_new(&q, 3));
    for (uint64_t i = 0; i < 20; i++)
        CHECK(kpi_topk_id_add(q, (i * i) % 7, 1 + i % 3));
    CHECK(kpi_topk_id_add(q, UINT64_MAX, 2));
    STATE(topk_id, q, "topk_id", "fed", 1);
    kpi_topk_id_reset(q);
    STATE(topk_id, q, "topk_id", "empty", 0);
    kpi_topk_id_free(q);
}

static void distinct(void)
{
    kpi_distinct *p;
    CHECK(kpi_distinct_new(&p, 4));
    for (uint64_t i = 0; i < 5; i++)
        CHECK(kpi_distinct_add(p, i * 1000003));
    STATE(distinct, p, "distinct", "exact", 1);
    for (uint64_t i = 0; i < 200; i++)
        CHECK(kpi_distinct_add(p, i));
    STATE(distinct, p, "distinct", "sketch", 1);
    kpi_distinct_free(p);
    CHECK(kpi_distinct_new(&p, 10));
    CHECK(kpi_distinct_add_bytes(p, "customer-1", 10));
    STATE(distinct, p, "distinct", "p10", 0);
    kpi_distinct_free(p);
}

static void series(void)
{
    kpi_series *p;
    CHECK(kpi_series_new(&p, 3600000, 12, 0));
    CHECK(kpi_series_set_forecast(p, 4, 0.5, 0.1, 0.3));
    for (int i = 0; i < 30; i++)
        CHECK(kpi_series_add(p, (int64_t)i * 3600000 + 5, 10.0 + (i % 4) * 3.0));
    STATE(series, p, "series", "forecast", 1);
    kpi_series_free(p);
    CHECK(kpi_series_new(&p, 86400000, 7, -3600000));
    CHECK(kpi_series_add(p, 1772409600000, 2.5));
    STATE(series, p, "series", "daily", 0);
    kpi_series_reset(p);
    STATE(series, p, "series", "empty", 0);
    kpi_series_free(p);
}

static void customers(void)
{
    kpi_customers *p;
    CHECK(kpi_customers_new(&p));
    CHECK(kpi_customers_set_start(p, 1000));
    CHECK(kpi_customers_set_end(p, 1040));
    CHECK(kpi_customers_set_active(p, 400));
    CHECK(kpi_customers_add_new(p, 90));
    CHECK(kpi_customers_add_lost(p, 50));
    CHECK(kpi_customers_add_referred(p, 12));
    CHECK(kpi_customers_add_revenue(p, 52000.25));
    CHECK(kpi_customers_set_margin(p, 0.6));
    CHECK(kpi_customers_add_interactions(p, 1300));
    CHECK(kpi_customers_add_purchasers(p, 300, 120));
    CHECK(kpi_customers_add_self_service(p, 500, 320, 180));
    CHECK(kpi_customers_add_offered(p, 900));
    CHECK(kpi_customers_add_unserved(p, KPI_UNSERVED_NO_AGENT, 14));
    CHECK(kpi_customers_add_unserved(p, 40, 2));
    STATE(customers, p, "customers", "fed", 1);
    kpi_customers_reset(p);
    STATE(customers, p, "customers", "empty", 0);
    kpi_customers_free(p);

    kpi_journey *j;
    CHECK(kpi_journey_new(&j, 3, 3600000));
    int64_t t = 1772409600000;
    for (uint64_t c = 1; c <= 5; c++) {
        CHECK(kpi_journey_touch(j, c, (uint32_t)c % 3, t));
        CHECK(kpi_journey_touch(j, c, 2, t + 60000));
        t += 120000;
    }
    CHECK(kpi_journey_resolve(j, 5, t));
    CHECK(kpi_journey_touch(j, 9, 1, t + 1000));
    STATE(journey, j, "journey", "open-and-closed", 1);
    CHECK(kpi_journey_advance(j, t + 86400000));
    STATE(journey, j, "journey", "advanced", 0);
    kpi_journey_free(j);
}

static void group(void)
{
    kpi_rate *r;
    kpi_group *g;
    CHECK(kpi_rate_new(&r));
    CHECK(kpi_group_new(&g, r));
    for (uint64_t agent = 1; agent <= 4; agent++) {
        void *m;
        CHECK(kpi_group_get(g, agent * 11, &m));
        CHECK(kpi_rate_add_counts(m, agent, 2 * agent + 1));
    }
    STATE(group, g, "group", "rates", 1);
    kpi_group_free(g);
    kpi_rate_free(r);

    kpi_duration *d;
    CHECK(kpi_art_new(&d));
    CHECK(kpi_group_new(&g, d));
    for (uint64_t team = 0; team < 3; team++) {
        void *m;
        CHECK(kpi_group_get(g, team, &m));
        CHECK(kpi_duration_add(m, 1000 * (int64_t)(team + 1)));
    }
    STATE(group, g, "group", "durations", 0);
    /* a group of groups */
    kpi_group *outer;
    CHECK(kpi_group_new(&outer, g));
    void *inner;
    CHECK(kpi_group_get(outer, 7, &inner));
    void *m;
    CHECK(kpi_group_get(inner, 1, &m));
    CHECK(kpi_duration_add(m, 42));
    STATE(group, outer, "group", "nested", 0);
    kpi_group_free(outer);
    kpi_group_free(g);
    kpi_duration_free(d);

    kpi_score *s;
    CHECK(kpi_csat_new(&s, 5, 4));
    CHECK(kpi_group_new(&g, s));
    CHECK(kpi_group_get(g, 3, &m));
    CHECK(kpi_score_add(m, 5));
    STATE(group, g, "group", "csat", 0);
    kpi_group_free(g);
    kpi_score_free(s);
}

/* ---- configuration -------------------------------------------------------- */

static kpi_calendar *berlin(void)
{
    kpi_calendar *cal;
    CHECK(kpi_calendar_new(&cal, "CET-1CEST,M3.5.0,M10.5.0/3"));
    for (int wd = 1; wd <= 5; wd++)
        CHECK(kpi_calendar_add_hours(cal, wd, 8 * 60, 18 * 60));
    CHECK(kpi_calendar_add_hours(cal, 6, 10 * 60, 14 * 60));
    CHECK(kpi_calendar_add_holiday(cal, 2026, 4, 6));
    CHECK(kpi_calendar_add_closure(cal, 2026, 12, 24, 12 * 60, 18 * 60));
    return cal;
}

static void calendar(void)
{
    kpi_calendar *cal = berlin();
    STATE(calendar, cal, "calendar", "berlin", 1);
    kpi_calendar *plain;
    CHECK(kpi_calendar_new(&plain, "<-03>3"));
    STATE(calendar, plain, "calendar", "fixed-offset", 0);
    kpi_calendar_free(plain);

    kpi_sla_policy *p;
    CHECK(kpi_sla_policy_new(&p, cal));
    for (uint32_t prio = 0; prio < 4; prio++) {
        CHECK(kpi_sla_policy_set_target(p, prio, KPI_SLA_FIRST_RESPONSE, 3600000 << prio, 1));
        CHECK(kpi_sla_policy_set_target(p, prio, KPI_SLA_RESOLUTION, 28800000 << prio, prio & 1));
    }
    STATE(sla_policy, p, "sla_policy", "business", 1);
    kpi_sla_policy_free(p);
    CHECK(kpi_sla_policy_new(&p, NULL));
    CHECK(kpi_sla_policy_set_target(p, 7, KPI_SLA_NEXT_RESPONSE, 900000, 0));
    STATE(sla_policy, p, "sla_policy", "calendar-time", 0);
    kpi_sla_policy_free(p);
    kpi_calendar_free(cal);

    static const char *const zones[] = {
        "CET-1CEST,M3.5.0,M10.5.0/3", "EST5EDT,M3.2.0,M11.1.0", "JST-9", "<-03>3",
        "<+0330>-3:30", "AEST-10AEDT,M10.1.0,M4.1.0/3", "NZST-12NZDT,M9.5.0,M4.1.0/3",
        "IST-1GMT0,M10.5.0,M3.5.0/1", "EST5EDT", "XXX3YYY,J60/-167,300/167",
        "<-02>2<-01>,M3.5.0/-1,M10.5.0/0", "UTC0", "A", "CET-25", "EST5EDT,M13.1.0,M11.1.0"};
    for (size_t i = 0; i < sizeof zones / sizeof zones[0]; i++) {
        char name[32];
        snprintf(name, sizeof name, "tz-%02zu", i);
        write_file("calendar_tz", name, zones[i], strlen(zones[i]));
    }
    /* a zone followed by two instants to evaluate it at */
    static const uint8_t with_times[] = {'C', 'E', 'T', '-', '1', 'C', 'E', 'S', 'T', ',', 'M',
                                         '3', '.', '5', '.', '0', ',', 'M', '1', '0', '.', '5',
                                         '.', '0', '/', '3', 0,   0x00, 0xC4, 0x5C, 0x2B, 0x9D,
                                         0x01, 0x00, 0x00, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF,
                                         0xFF, 0x7F};
    write_file("calendar_tz", "tz-with-times", with_times, sizeof with_times);
}

/* ---- the engine ------------------------------------------------------------ */

static kpi_engine *small_engine(int with_policy)
{
    kpi_engine *e;
    CHECK(kpi_engine_new(&e));
    CHECK(kpi_engine_set_option(e, KPI_ENGINE_OPT_PERIOD_MS, 3600000));
    CHECK(kpi_engine_set_option(e, KPI_ENGINE_OPT_PERIODS, 4));
    CHECK(kpi_engine_set_option(e, KPI_ENGINE_OPT_REOPEN_WINDOW_MS, 7200000));
    CHECK(kpi_engine_set_option(e, KPI_ENGINE_OPT_TOPK_CAPACITY, 3));
    CHECK(kpi_engine_add_target(e, KPI_ENGINE_FRT, 600000));
    if (with_policy) {
        kpi_calendar *cal = berlin();
        kpi_sla_policy *p;
        CHECK(kpi_sla_policy_new(&p, cal));
        CHECK(kpi_sla_policy_set_target(p, 1, KPI_SLA_FIRST_RESPONSE, 3600000, 1));
        CHECK(kpi_sla_policy_set_target(p, 1, KPI_SLA_RESOLUTION, 14400000, 0));
        CHECK(kpi_engine_set_calendar(e, cal));
        CHECK(kpi_engine_set_sla_policy(e, p));
        kpi_sla_policy_free(p);
        kpi_calendar_free(cal);
    }
    CHECK(kpi_engine_set_name(e, KPI_DIM_TOPIC, 1, "billing"));
    CHECK(kpi_engine_set_name(e, KPI_DIM_AGENT, 7, "agent seven"));
    return e;
}

static void engine(void)
{
    kpi_engine *e = small_engine(1);
    STATE(engine, e, "engine", "configured", 0);
    int64_t t = 1772438400000; /* Monday 2026-03-02 08:00 UTC */
    for (uint64_t tk = 1; tk <= 4; tk++) {
        CHECK(kpi_engine_created(e, t, tk, 100 + tk % 2, (uint32_t)tk % 3, 1, tk % 2 ? "billing" : NULL, 0));
        CHECK(kpi_engine_assigned(e, t + 60000, tk, 7, 2));
        CHECK(kpi_engine_agent_reply(e, t + 100000 * (int64_t)tk, tk, 0));
        t += 600000;
    }
    CHECK(kpi_engine_customer_message(e, t, 2));
    CHECK(kpi_engine_ticket_event(e, t + 1000, 3, KPI_EVENT_PENDING));
    CHECK(kpi_engine_resolved(e, t + 2000, 1, 0, 0));
    CHECK(kpi_engine_survey(e, t + 3000, 1, KPI_EVENT_CSAT, 5));
    CHECK(kpi_engine_survey(e, t + 4000, 1, KPI_EVENT_NPS, 9));
    CHECK(kpi_engine_logged_in(e, t + 5000, 7, 2, 3600000));
    CHECK(kpi_engine_merged(e, t + 6000, 4, 2));
    STATE(engine, e, "engine", "live", 1);
    CHECK(kpi_engine_advance(e, t + 86400000));
    STATE(engine, e, "engine", "settled", 0);
    kpi_engine_free(e);
    e = small_engine(0);
    CHECK(kpi_engine_created(e, t, 9, 0, 0, 0, NULL, KPI_EVENT_FLAG_BY_AGENT));
    STATE(engine, e, "engine", "plain", 0);
    kpi_engine_free(e);
}

/* Event scripts for engine_events (format in fuzz/fuzz_engine_events.c):
 * 4 configuration bytes, then 8 bytes per step. */
static void engine_events(void)
{
    static const uint8_t lifecycle[] = {
        0x00, 0x7F, 0x03, 0x24,
        1, 0, 1, 3, 0, 0x49, 0, 0,    /* created t1, customer 3, channel 1, prio 1, topic 1 */
        10, 0, 2, 1, 0, 0, 1, 0,      /* assigned agent 1 team 1 */
        2, 0, 5, 0, 0, 0, 0, 0,       /* customer message */
        3, 0, 10, 0, 0, 0, 0, 0,      /* agent reply (assignee) */
        8, 0, 1, 0, 0, 0, 0, 0,       /* pending */
        2, 0, 0x41, 0, 0, 0, 0, 0,    /* customer message, 1 h later */
        3, 0, 3, 1, 0, 0, 0, 2,       /* agent reply via kpi_engine_event */
        11, 0, 1, 0, 0, 0, 0, 0,      /* resolved */
        15, 0, 1, 0, 5, 0, 0, 0,      /* CSAT 5 */
        16, 0, 1, 0, 9, 0, 0, 0,      /* NPS 9 */
        20, 3, 0, 0, 0, 0, 0, 0,      /* op: read */
        12, 0, 2, 0, 0, 0, 0, 0,      /* reopened */
        13, 0, 2, 0, 0, 0, 0, 0,      /* closed */
        18, 0, 1, 2, 60, 0, 1, 0,     /* logged in 60 min, agent 2 */
        20, 1, 0, 0, 0, 0, 0, 0,      /* op: snapshot and restore */
        20, 0, 0x83, 0, 0, 0, 0, 0,   /* op: advance 3 days */
        20, 2, 0, 0, 0, 0, 0, 0,      /* op: compare */
    };
    write_file("engine_events", "lifecycle", lifecycle, sizeof lifecycle);
    static const uint8_t tickets[] = {
        0x41, 0xF9, 0x91, 0x13,
        1, 0, 1, 1, 0, 0x00, 0, 0,    /* ticket 1 */
        1, 1, 1, 2, 0, 0x4A, 0, 0,    /* ticket 2, topic 1 */
        1, 2, 1, 1, 0, 0x8B, 0, 0,    /* ticket 3 (repeat customer), topic 2 */
        1, 3, 1, 0x09, 0, 0x03, 0, 0, /* ticket 4, created by an agent */
        5, 1, 2, 0, 0, 0, 0, 0,       /* handoff on 2 */
        4, 1, 1, 0, 0, 0, 0, 0,       /* bot reply on 2 */
        3, 0, 0x42, 2, 0, 0, 0, 0,    /* agent 2 replies on 1 */
        3, 2, 5, 3, 0, 0, 0, 0,       /* agent 3 replies on 3 */
        9, 2, 5, 0, 0, 0, 0, 0,       /* on-hold 3 */
        14, 2, 5, 2, 0, 0, 0, 0,      /* 3 merged into 2 */
        11, 1, 1, 0x10, 0, 0, 0, 0,   /* 2 resolved by a bot */
        17, 1, 1, 0, 4, 0, 0, 0,      /* CES 4 */
        20, 4, 0, 0, 0, 0, 0, 0,      /* op: merge */
        6, 0, 1, 1, 0, 0, 0, 0,       /* note by agent 1 */
        7, 0, 1, 0, 0, 0, 0, 0,       /* open */
        11, 0, 0x42, 0, 0, 0, 0, 0,   /* resolved */
        20, 5, 0, 0, 0x81, 0, 0, 0,   /* op: rename a topic */
        1, 4, 1, 1, 0, 0x40, 0, 0,    /* ticket 5, topic 1 (renamed) */
        2, 4, 0x81, 0x80, 0, 0, 0, 0, /* message 1 h earlier: order error */
        3, 4, 1, 0, 0, 0, 0, 1,       /* raw reply */
        19, 4, 1, 0, 0, 0, 0, 0,      /* an unknown kind */
        20, 0, 0xC8, 0, 0, 0, 0, 0,   /* op: advance 8 days */
    };
    write_file("engine_events", "tickets", tickets, sizeof tickets);
    static const uint8_t config_only[] = {0xFF, 0xFF, 0xFF, 0xFF};
    write_file("engine_events", "config-only", config_only, sizeof config_only);
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: %s DIR\n", argv[0]);
        return 2;
    }
    out_dir = argv[1];
    make_dir(out_dir);
    score();
    rate();
    mean();
    ratio();
    duration();
    aht();
    service_level();
    topk();
    distinct();
    series();
    customers();
    group();
    calendar();
    engine();
    engine_events();
    /* text where a state is expected, for every state target */
    static const char *const states[] = {"aht", "calendar", "customers", "distinct", "duration",
                                         "engine", "group", "journey", "mean", "rate", "ratio",
                                         "score", "series", "service_level", "sla_policy",
                                         "topk", "topk_id"};
    static const char text[] = "time,kind,ticket\n";
    for (size_t i = 0; i < sizeof states / sizeof states[0]; i++)
        write_file(states[i], "text", text, sizeof text - 1);
    return failures ? 1 : 0;
}
