/*
 * libFuzzer target: the ticket engine's event intake.
 * SPDX-License-Identifier: MIT
 *
 * Input: 4 configuration bytes, then 8 bytes per step (a short tail is
 * ignored).
 *
 *   config[0] bits: 0 reopen window 1 h (else 7 d), 1 bot replies count,
 *             2 FRT not from handoff, 3 messages do not reopen, 4 repeat
 *             contacts on the same topic only, 5 a business calendar,
 *             6 an SLA policy, 7 periods of 1 h (else 1 d)
 *   config[1]: periods kept 1 + c % 8; bits 3..6 the breakdowns kept
 *   config[2]: top-topics capacity 1 + c % 4; FCR max replies (c >> 4) % 3;
 *             bit 7 a share-within target on FRT
 *   config[3]: CSAT scale max 2 + c % 9; repeat window (c >> 4) hours
 *
 *   step[0]  kind: 1..18 an event of that kind, 19 an unknown kind, 0 an
 *            operation chosen by step[1] (advance, snapshot and restore or
 *            clone, compare the two engines, read, merge, rename a topic)
 *   step[1]  ticket: 1 + b % 7, or 0 when b is 255
 *   step[2]  time step: (b & 63) units of 1 s, 1 min, 1 h or 1 d (b >> 6)
 *   step[3]  bits 0..2 actor (customer, agent or target ticket), bits 3..4
 *            flags, bit 7 the time step goes back
 *   step[4]  value (a survey answer; logged-in minutes), as int8
 *   step[5]  bits 0..2 channel, 3..5 priority, 6..7 topic code
 *   step[6]  bits 0..1 team
 *   step[7]  bit 0: keep every field (else the fields a kind does not use
 *            are zeroed, so most events are valid); bit 1: engine B uses
 *            kpi_engine_event() (else the per-kind call); bit 2: a checked
 *            step (a rejected event must leave B byte-identical)
 *
 * Two engines see the same steps: A through batches of kpi_event records
 * (kpi_engine_apply(), resumed after each rejected record), B one event at
 * a time.  Each event must get the same status from both, a rejected
 * checked event must leave B byte-identical, B merged into an empty engine of
 * its configuration must read as B, and at every comparison point (and
 * at the end) A and B must serialize to the same bytes.  A snapshot step replaces
 * A with its restored snapshot or its clone, which must then behave alike.
 */
#include "fuzz.h"

#define T0 INT64_C(1772409600000) /* 2026-03-02T00:00:00Z, a Monday */
#define MAX_BATCH 64

static const char *const topic_names[4] = {NULL, "billing", "login", "refund"};

typedef struct run {
    kpi_engine *a, *b;
    kpi_event batch[MAX_BATCH];
    int expect[MAX_BATCH]; /* B's status for each batched record */
    size_t n;
    int64_t t;
    const char *topics[4]; /* the topic names as they are now */
} run;

/* ---- setup ---------------------------------------------------------------- */

static kpi_calendar *make_calendar(void)
{
    kpi_calendar *cal = NULL;
    KPI_FUZZ_CHECK(kpi_calendar_new(&cal, "CET-1CEST,M3.5.0,M10.5.0/3") == KPI_OK);
    for (int wd = 1; wd <= 5; wd++)
        KPI_FUZZ_CHECK(kpi_calendar_add_hours(cal, wd, 9 * 60, 17 * 60) == KPI_OK);
    KPI_FUZZ_CHECK(kpi_calendar_add_holiday(cal, 2026, 4, 6) == KPI_OK);
    return cal;
}

static kpi_engine *make_engine(const uint8_t c[4])
{
    kpi_engine *e = NULL;
    KPI_FUZZ_CHECK(kpi_engine_new(&e) == KPI_OK);
    static const struct { int opt, bit; int64_t on; } flags[] = {
        {KPI_ENGINE_OPT_REOPEN_WINDOW_MS, 0, KPI_MS_PER_HOUR},
        {KPI_ENGINE_OPT_BOT_REPLIES_COUNT, 1, 1},
        {KPI_ENGINE_OPT_FRT_FROM_HANDOFF, 2, 0},
        {KPI_ENGINE_OPT_MESSAGE_REOPENS, 3, 0},
        {KPI_ENGINE_OPT_REPEAT_SAME_TOPIC, 4, 1},
        {KPI_ENGINE_OPT_PERIOD_MS, 7, KPI_MS_PER_HOUR}};
    for (size_t i = 0; i < sizeof flags / sizeof flags[0]; i++)
        if (c[0] >> flags[i].bit & 1)
            KPI_FUZZ_CHECK(kpi_engine_set_option(e, flags[i].opt, flags[i].on) == KPI_OK);
    KPI_FUZZ_CHECK(kpi_engine_set_option(e, KPI_ENGINE_OPT_PERIODS, 1 + c[1] % 8) == KPI_OK);
    KPI_FUZZ_CHECK(kpi_engine_set_option(e, KPI_ENGINE_OPT_BREAKDOWNS, (c[1] >> 3 & 0xF) << 1) == KPI_OK);
    KPI_FUZZ_CHECK(kpi_engine_set_option(e, KPI_ENGINE_OPT_TOPK_CAPACITY, 1 + c[2] % 4) == KPI_OK);
    KPI_FUZZ_CHECK(kpi_engine_set_option(e, KPI_ENGINE_OPT_FCR_MAX_REPLIES, (c[2] >> 4) % 3) == KPI_OK);
    int64_t csat_max = 2 + c[3] % 9;
    KPI_FUZZ_CHECK(kpi_engine_set_option(e, KPI_ENGINE_OPT_CSAT_SATISFIED_FROM, 2) == KPI_OK);
    KPI_FUZZ_CHECK(kpi_engine_set_option(e, KPI_ENGINE_OPT_CSAT_MAX, csat_max) == KPI_OK);
    KPI_FUZZ_CHECK(kpi_engine_set_option(e, KPI_ENGINE_OPT_CSAT_SATISFIED_FROM, csat_max) == KPI_OK);
    if (c[3] >> 4)
        KPI_FUZZ_CHECK(kpi_engine_set_option(e, KPI_ENGINE_OPT_REPEAT_WINDOW_MS,
                                             (c[3] >> 4) * KPI_MS_PER_HOUR) == KPI_OK);
    if (c[2] & 0x80)
        KPI_FUZZ_CHECK(kpi_engine_add_target(e, KPI_ENGINE_FRT, KPI_MS_PER_HOUR) == KPI_OK);
    kpi_calendar *cal = (c[0] & 0x60) ? make_calendar() : NULL;
    if (c[0] & 0x20)
        KPI_FUZZ_CHECK(kpi_engine_set_calendar(e, cal) == KPI_OK);
    if (c[0] & 0x40) {
        kpi_sla_policy *p = NULL;
        KPI_FUZZ_CHECK(kpi_sla_policy_new(&p, cal) == KPI_OK);
        for (uint32_t prio = 0; prio < 4; prio++) {
            int64_t h = KPI_MS_PER_HOUR << prio;
            KPI_FUZZ_CHECK(kpi_sla_policy_set_target(p, prio, KPI_SLA_FIRST_RESPONSE, h, prio & 1) == KPI_OK);
            KPI_FUZZ_CHECK(kpi_sla_policy_set_target(p, prio, KPI_SLA_NEXT_RESPONSE, 2 * h, 0) == KPI_OK);
            KPI_FUZZ_CHECK(kpi_sla_policy_set_target(p, prio, KPI_SLA_RESOLUTION, 8 * h, prio & 1) == KPI_OK);
        }
        KPI_FUZZ_CHECK(kpi_engine_set_sla_policy(e, p) == KPI_OK);
        kpi_sla_policy_free(p);
    }
    kpi_calendar_free(cal);
    for (uint64_t code = 1; code < 4; code++)
        KPI_FUZZ_CHECK(kpi_engine_set_name(e, KPI_DIM_TOPIC, code, topic_names[code]) == KPI_OK);
    KPI_FUZZ_CHECK(kpi_engine_set_name(e, KPI_DIM_AGENT, 1, "agent one") == KPI_OK);
    return e;
}

/* ---- decoding a step into a record -------------------------------------- */

static void decode_event(const uint8_t *s, int64_t t, kpi_event *ev)
{
    memset(ev, 0, sizeof *ev);
    ev->time_ms = t;
    ev->kind = s[0];
    ev->ticket = s[1] == 255 ? 0 : 1 + s[1] % 7;
    ev->actor = s[3] & 7;
    ev->flags = s[3] >> 3 & 3;
    ev->value = (int8_t)s[4];
    ev->channel = s[5] & 7;
    ev->priority = s[5] >> 3 & 7;
    ev->topic = s[5] >> 6;
    ev->team = s[6] & 3;
    if (s[7] & 1)
        return; /* raw: every field as given */
    switch (ev->kind) {
    case KPI_EVENT_CREATED:
        ev->flags &= KPI_EVENT_FLAG_BY_AGENT;
        ev->value = ev->team = 0;
        return;
    case KPI_EVENT_AGENT_REPLY:
    case KPI_EVENT_NOTE:
    case KPI_EVENT_MERGED:
        ev->flags = 0;
        ev->value = ev->channel = ev->priority = ev->topic = ev->team = 0;
        if (ev->kind == KPI_EVENT_MERGED && ev->actor == 0)
            ev->actor = 100; /* a ticket this engine never saw */
        return;
    case KPI_EVENT_ASSIGNED:
    case KPI_EVENT_RESOLVED:
    case KPI_EVENT_LOGGED_IN:
        ev->flags = ev->kind == KPI_EVENT_RESOLVED ? ev->flags & KPI_EVENT_FLAG_BY_BOT : 0;
        if (ev->kind != KPI_EVENT_ASSIGNED && ev->kind != KPI_EVENT_LOGGED_IN)
            ev->team = 0;
        if (ev->kind == KPI_EVENT_LOGGED_IN) {
            ev->ticket = 0;
            ev->value = (ev->value < 0 ? -ev->value : ev->value) * KPI_MS_PER_MINUTE;
            if (ev->actor == 0)
                ev->actor = 1;
        } else {
            ev->value = 0;
        }
        ev->channel = ev->priority = ev->topic = 0;
        return;
    case KPI_EVENT_CSAT:
    case KPI_EVENT_NPS:
    case KPI_EVENT_CES:
        ev->actor = ev->flags = ev->channel = ev->priority = ev->topic = ev->team = 0;
        ev->value = ev->value % 12;
        return;
    default:
        ev->actor = ev->flags = ev->channel = ev->priority = ev->topic = ev->team = 0;
        ev->value = 0;
        return;
    }
}

/* The fields besides time and ticket that each kind's own call takes. */
enum { F_ACTOR = 1, F_FLAGS = 2, F_VALUE = 4, F_CHANNEL = 8, F_PRIORITY = 16, F_TEAM = 32,
       F_TOPIC = 64 };

static unsigned call_fields(uint32_t kind)
{
    switch (kind) {
    case KPI_EVENT_CREATED: return F_ACTOR | F_FLAGS | F_CHANNEL | F_PRIORITY | F_TOPIC;
    case KPI_EVENT_AGENT_REPLY:
    case KPI_EVENT_MERGED: return F_ACTOR;
    case KPI_EVENT_ASSIGNED: return F_ACTOR | F_TEAM;
    case KPI_EVENT_RESOLVED: return F_ACTOR | F_FLAGS;
    case KPI_EVENT_CSAT:
    case KPI_EVENT_NPS:
    case KPI_EVENT_CES: return F_VALUE;
    case KPI_EVENT_LOGGED_IN: return F_ACTOR | F_TEAM | F_VALUE;
    default: return 0; /* kpi_engine_ticket_event() kinds */
    }
}

/* One record through the per-kind call when it has one that can say it
 * (every field it does not take is zero), else kpi_engine_event(). */
static int apply_one(const run *r, kpi_engine *e, const kpi_event *ev, int per_kind)
{
    unsigned u = call_fields(ev->kind);
    unsigned set = (ev->actor ? F_ACTOR : 0) | (ev->flags ? F_FLAGS : 0) |
                   (ev->value ? F_VALUE : 0) | (ev->channel ? F_CHANNEL : 0) |
                   (ev->priority ? F_PRIORITY : 0) | (ev->team ? F_TEAM : 0) |
                   (ev->topic ? F_TOPIC : 0);
    if (!per_kind || (set & ~u) || ev->reserved[0] || ev->reserved[1] || ev->kind < 1 ||
        ev->kind > KPI_EVENT_KIND_MAX || ev->topic > 3 || ev->value < INT32_MIN ||
        ev->value > INT32_MAX || (ev->kind == KPI_EVENT_LOGGED_IN) != (ev->ticket == 0))
        return kpi_engine_event(e, ev);
    int64_t t = ev->time_ms;
    switch (ev->kind) {
    case KPI_EVENT_CREATED:
        return kpi_engine_created(e, t, ev->ticket, ev->actor, ev->channel, ev->priority,
                                  r->topics[ev->topic], ev->flags);
    case KPI_EVENT_AGENT_REPLY:
        return kpi_engine_agent_reply(e, t, ev->ticket, ev->actor);
    case KPI_EVENT_ASSIGNED:
        return kpi_engine_assigned(e, t, ev->ticket, ev->actor, ev->team);
    case KPI_EVENT_RESOLVED:
        return kpi_engine_resolved(e, t, ev->ticket, ev->actor, ev->flags);
    case KPI_EVENT_MERGED:
        return kpi_engine_merged(e, t, ev->ticket, ev->actor);
    case KPI_EVENT_CSAT:
    case KPI_EVENT_NPS:
    case KPI_EVENT_CES:
        return kpi_engine_survey(e, t, ev->ticket, ev->kind, (int32_t)ev->value);
    case KPI_EVENT_LOGGED_IN:
        return kpi_engine_logged_in(e, t, ev->actor, ev->team, ev->value);
    default:
        return kpi_engine_ticket_event(e, t, ev->ticket, ev->kind);
    }
}

/* ---- what an engine reads ------------------------------------------------ */

/* Every read of an engine, appended to a growing array of 64-bit words
 * (statuses, counts, the bits of each double, label bytes): two engines
 * that read alike give equal arrays. */
typedef struct digest {
    uint64_t *v;
    size_t n, cap;
} digest;

static void put(digest *d, uint64_t x)
{
    if (d->n == d->cap) {
        d->cap = d->cap ? 2 * d->cap : 1024;
        d->v = realloc(d->v, d->cap * sizeof *d->v);
        KPI_FUZZ_CHECK(d->v != NULL);
    }
    d->v[d->n++] = x;
}

static void put_f(digest *d, double x)
{
    uint64_t u;
    memcpy(&u, &x, sizeof u);
    put(d, u);
}

static void put_est(digest *d, int rc, const kpi_estimate *e)
{
    put(d, (uint64_t)rc);
    if (rc == KPI_OK) {
        put_f(d, e->value);
        put_f(d, e->lower);
        put_f(d, e->upper);
        put(d, e->n);
    }
}

static void digest_metric(digest *d, int metric, const void *acc)
{
    double v = 0;
    int64_t i = 0;
    kpi_estimate e;
    int rc;
    switch (kpi_engine_metric_type(metric)) {
    case KPI_ENGINE_TYPE_DURATION:
        put(d, kpi_duration_count(acc));
        put(d, (uint64_t)kpi_duration_sum(acc, &i)); put(d, (uint64_t)i);
        put(d, (uint64_t)kpi_duration_min(acc, &i)); put(d, (uint64_t)i);
        put(d, (uint64_t)kpi_duration_max(acc, &i)); put(d, (uint64_t)i);
        put(d, (uint64_t)kpi_duration_mean(acc, &v)); put_f(d, v);
        for (int q = 1; q < 10; q += 4) {
            put(d, (uint64_t)kpi_duration_quantile(acc, q / 10.0, &v));
            put_f(d, v);
        }
        break;
    case KPI_ENGINE_TYPE_RATE:
        put(d, kpi_rate_successes(acc));
        put(d, kpi_rate_trials(acc));
        rc = kpi_rate_share(acc, &e);
        put_est(d, rc, &e);
        break;
    case KPI_ENGINE_TYPE_SCORE: {
        uint64_t counts[16] = {0};
        put(d, kpi_score_count(acc));
        put(d, (uint64_t)kpi_score_distribution(acc, counts, 16));
        for (int k = 0; k < 16; k++)
            put(d, counts[k]);
        put(d, (uint64_t)kpi_score_mean(acc, &v)); put_f(d, v);
        rc = kpi_score_nps(acc, &e); put_est(d, rc, &e);
        rc = kpi_score_csat(acc, &e); put_est(d, rc, &e);
        break;
    }
    case KPI_ENGINE_TYPE_RATIO:
        put(d, kpi_ratio_count(acc));
        put_f(d, kpi_ratio_numerator(acc));
        put_f(d, kpi_ratio_denominator(acc));
        put(d, (uint64_t)kpi_ratio_value(acc, &v)); put_f(d, v);
        break;
    case KPI_ENGINE_TYPE_SERIES: {
        double vals[64];
        size_t nv = 0;
        put(d, (uint64_t)kpi_series_total(acc, &v)); put_f(d, v);
        put(d, (uint64_t)kpi_series_latest(acc, &i)); put(d, (uint64_t)i);
        rc = kpi_series_values(acc, vals, 64, &nv, &i);
        put(d, (uint64_t)rc);
        put(d, (uint64_t)i);
        for (size_t k = 0; rc == KPI_OK && k < nv; k++)
            put_f(d, vals[k]);
        break;
    }
    default:
        KPI_FUZZ_CHECK(0);
    }
}

/* A top-k summary's reads, by rank, into the digest. */
static void digest_topk(digest *d, const kpi_topk *top)
{
    put(d, kpi_topk_total(top));
    put(d, kpi_topk_size(top));
    put(d, kpi_topk_error_bound(top));
    for (size_t r = 0; r < kpi_topk_size(top); r++) {
        const char *label;
        size_t len;
        uint64_t count, lower;
        KPI_FUZZ_CHECK(kpi_topk_entry(top, r, &label, &len, &count, &lower, NULL) == KPI_OK);
        put(d, len);
        for (size_t k = 0; k < len; k++)
            put(d, (uint8_t)label[k]);
        put(d, count);
        put(d, lower);
    }
}

/* The reads of kpi_fuzz_engine_reads(e, 1), with their results, in a
 * digest; keys in ascending order and top topics by rank, so that the
 * digest depends on what the engine reads, not on how its state is laid
 * out (a merge may order top-k entries of equal count, or split a
 * compensated sum, otherwise than the engine fed the events did). */
static void digest_engine(digest *d, const kpi_engine *e)
{
    int64_t now = 0, period = 1, origin = 0;
    uint64_t n, counts[KPI_ENGINE_AGING_BUCKETS], risk = 0, breached = 0;
    int64_t next_due = 0;
    int have_time = kpi_engine_time(e, &now) == KPI_OK;
    put(d, (uint64_t)have_time);
    put(d, (uint64_t)now);
    for (int c = 0; c < KPI_ENGINE_COUNTERS; c++) {
        KPI_FUZZ_CHECK(kpi_engine_count(e, c, &n) == KPI_OK);
        put(d, n);
    }
    KPI_FUZZ_CHECK(kpi_engine_option(e, KPI_ENGINE_OPT_PERIOD_MS, &period) == KPI_OK);
    KPI_FUZZ_CHECK(kpi_engine_option(e, KPI_ENGINE_OPT_PERIOD_ORIGIN_MS, &origin) == KPI_OK);
    int64_t start = now - ((now - origin) % period + period) % period;
    for (int m = 0; m < KPI_ENGINE_METRICS; m++) {
        const void *acc;
        int rc = kpi_engine_metric(e, m, KPI_DIM_ALL, 0, &acc);
        put(d, (uint64_t)rc);
        if (rc == KPI_OK)
            digest_metric(d, m, acc);
        for (int dim = KPI_DIM_AGENT; dim <= KPI_DIM_PRIORITY; dim++) {
            const kpi_group *g;
            uint64_t keys[64];
            size_t nk = 0;
            if (kpi_engine_group(e, m, dim, &g) != KPI_OK)
                continue;
            rc = kpi_group_keys(g, keys, 64, &nk);
            put(d, (uint64_t)rc);
            put(d, nk);
            for (size_t k = 0; rc == KPI_OK && k < nk; k++) {
                put(d, keys[k]);
                KPI_FUZZ_CHECK(kpi_engine_metric(e, m, dim, keys[k], &acc) == KPI_OK);
                digest_metric(d, m, acc);
            }
        }
        /* each of the last three periods, and the three together */
        for (int w = 0; have_time && m != KPI_ENGINE_VOLUME && w < 4; w++) {
            void *win = NULL;
            int64_t from = start - (w < 3 ? w : 2) * period;
            int64_t to = w == 0 || w == 3 ? INT64_MAX : from + period;
            rc = kpi_engine_window(e, m, from, to, &win);
            put(d, (uint64_t)rc);
            if (rc == KPI_OK)
                digest_metric(d, m, win);
            kpi_fuzz_free_metric(m, rc == KPI_OK ? win : NULL);
        }
    }
    if (have_time) {
        for (int p = 0; p < 3; p++) {
            n = 0;
            put(d, (uint64_t)kpi_engine_backlog(e, start - p * period, &n));
            put(d, n);
        }
        KPI_FUZZ_CHECK(kpi_engine_aging(e, now, counts) == KPI_OK);
        for (int k = 0; k < KPI_ENGINE_AGING_BUCKETS; k++)
            put(d, counts[k]);
        put(d, (uint64_t)kpi_engine_sla_risk(e, now, KPI_MS_PER_HOUR, &risk, &breached, &next_due));
        put(d, risk);
        put(d, breached);
        put(d, (uint64_t)next_due);
    }
    const kpi_topk *top;
    KPI_FUZZ_CHECK(kpi_engine_top_topics(e, &top) == KPI_OK);
    digest_topk(d, top);
    /* top topics over the same windows as the metrics' */
    for (int w = 0; have_time && w < 4; w++) {
        kpi_topk *win = NULL;
        int64_t from = start - (w < 3 ? w : 2) * period;
        int64_t to = w == 0 || w == 3 ? INT64_MAX : from + period;
        int rc = kpi_engine_window_topics(e, from, to, &win);
        put(d, (uint64_t)rc);
        if (rc == KPI_OK) {
            KPI_FUZZ_CHECK(kpi_topk_total(win) <= kpi_topk_total(top));
            digest_topk(d, win);
        }
        kpi_topk_free(win);
    }
    for (uint64_t t = 0; t < 8; t++) {
        int status = -1;
        put(d, (uint64_t)kpi_engine_ticket_status(e, t, &status));
        put(d, (uint64_t)status);
    }
    for (int dim = KPI_DIM_AGENT; dim <= KPI_DIM_TOPIC; dim++)
        for (uint64_t code = 0; code < 4; code++) {
            const char *name = "";
            put(d, (uint64_t)kpi_engine_name(e, dim, code, &name));
            for (size_t k = 0; name[k] != '\0'; k++)
                put(d, (uint8_t)name[k]);
            put(d, 256);
        }
}

/* a and b read alike */
static void same_reads(const kpi_engine *a, const kpi_engine *b)
{
    digest da = {NULL, 0, 0}, db = {NULL, 0, 0};
    digest_engine(&da, a);
    digest_engine(&db, b);
    KPI_FUZZ_CHECK(da.n == db.n && memcmp(da.v, db.v, da.n * sizeof *da.v) == 0);
    free(da.v);
    free(db.v);
}

/* ---- the two engines ------------------------------------------------------ */

static const kpi_fuzz_ops *engine_ops(void);

/* Apply A's pending batch; every record must get B's status. */
static void flush(run *r)
{
    size_t i = 0;
    while (i < r->n) {
        size_t applied = 99;
        int rc = kpi_engine_apply(r->a, r->batch + i, r->n - i, sizeof(kpi_event), &applied);
        KPI_FUZZ_CHECK(applied <= r->n - i);
        for (size_t k = 0; k < applied; k++)
            KPI_FUZZ_CHECK(r->expect[i + k] == KPI_OK);
        if (rc == KPI_OK) {
            KPI_FUZZ_CHECK(applied == r->n - i);
            break;
        }
        KPI_FUZZ_CHECK(applied < r->n - i);
        KPI_FUZZ_CHECK(r->expect[i + applied] == rc);
        i += applied + 1;
    }
    r->n = 0;
}

static void same_bytes(run *r)
{
    size_t len;
    flush(r);
    uint8_t *bytes = kpi_fuzz_encode(engine_ops(), r->a, &len);
    KPI_FUZZ_CHECK(kpi_fuzz_encodes_as(engine_ops(), r->b, bytes, len));
    free(bytes);
}

static void event_step(run *r, const uint8_t *s)
{
    kpi_event ev;
    decode_event(s, r->t, &ev);
    /* (serializing the engine costs more than the event: checked steps
     * only) */
    size_t before_len = 0;
    uint8_t *before = (s[7] & 4) ? kpi_fuzz_encode(engine_ops(), r->b, &before_len) : NULL;
    int rc = apply_one(r, r->b, &ev, !(s[7] & 2));
    if (rc != KPI_OK && before != NULL)
        KPI_FUZZ_CHECK(kpi_fuzz_encodes_as(engine_ops(), r->b, before, before_len));
    if (rc == KPI_OK)
        kpi_fuzz_engine_reads(r->b, 0);
    free(before);
    if (r->n == MAX_BATCH)
        flush(r);
    r->batch[r->n] = ev;
    r->expect[r->n++] = rc;
}

static void operation(run *r, const uint8_t *s)
{
    switch (s[1] % 6) {
    case 0: { /* advance both engines */
        flush(r);
        int ra = kpi_engine_advance(r->a, r->t), rb = kpi_engine_advance(r->b, r->t);
        KPI_FUZZ_CHECK(ra == rb);
        break;
    }
    case 1: { /* snapshot A, restore it (step[4] odd: clone it), continue
               * with the copy */
        flush(r);
        size_t len;
        uint8_t *bytes = kpi_fuzz_encode(engine_ops(), r->a, &len);
        kpi_engine *restored = NULL;
        if (s[4] & 1)
            KPI_FUZZ_CHECK(kpi_engine_clone(r->a, &restored) == KPI_OK);
        else
            KPI_FUZZ_CHECK(kpi_engine_deserialize(&restored, bytes, len) == KPI_OK);
        KPI_FUZZ_CHECK(kpi_fuzz_encodes_as(engine_ops(), restored, bytes, len));
        free(bytes);
        kpi_engine_free(r->a);
        r->a = restored;
        break;
    }
    case 2:
        same_bytes(r);
        break;
    case 3:
        flush(r);
        kpi_fuzz_engine_reads(r->a, 1);
        break;
    case 4: { /* B into an empty engine of its configuration (which must
               * then read as B), and twice.  Not byte for byte: engine.h
               * promises the values one engine fed everything reads, and
               * two of its accumulators merge to the same values in
               * another layout (top topics of equal count sorted by label,
               * a ratio's compensated sum split otherwise) */
        kpi_engine *empty = NULL;
        KPI_FUZZ_CHECK(kpi_engine_clone(r->b, &empty) == KPI_OK);
        kpi_engine_reset(empty);
        KPI_FUZZ_CHECK(kpi_engine_merge(empty, r->b) == KPI_OK);
        same_reads(empty, r->b);
        kpi_fuzz_engine_reads(empty, 1);
        kpi_fuzz_merge_into(engine_ops(), empty, r->b);
        kpi_engine_free(empty);
        break;
    }
    default: { /* rename a topic on both (allowed at any time) */
        uint64_t code = 1 + s[4] % 3;
        const char *name = (s[4] & 0x80) ? "renamed" : topic_names[code];
        flush(r);
        KPI_FUZZ_CHECK(kpi_engine_set_name(r->a, KPI_DIM_TOPIC, code, name) == KPI_OK);
        KPI_FUZZ_CHECK(kpi_engine_set_name(r->b, KPI_DIM_TOPIC, code, name) == KPI_OK);
        r->topics[code] = name;
        break;
    }
    }
}

/* The engine's verb table, for the encode and merge helpers of fuzz.h. */
static void engine_deep_reads(const kpi_engine *e)
{
    kpi_fuzz_engine_reads(e, 1);
}
KPI_FUZZ_ACCUMULATOR_OPS(engine, engine_deep_reads)
static const kpi_fuzz_ops *engine_ops(void) { return &kpi_fuzz_ops_of_target; }

const char kpi_fuzz_name[] = "engine_events";

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 4)
        return 0;
    run r;
    memset(&r, 0, sizeof r);
    /* The engines of the last configuration seen are kept and reset
     * between inputs: building an engine (every option rebuilds its
     * accumulators) or cloning one (a snapshot and a restore, calendar
     * tables included) costs more than a whole input.  A reset engine
     * must encode exactly as the fresh one (so an input runs alike in a
     * fresh process). */
    static kpi_engine *fresh, *kept_a, *kept_b;
    static uint8_t *fresh_bytes;
    static size_t fresh_len;
    static uint8_t config[4];
    if (fresh == NULL || memcmp(config, data, 4) != 0) {
        kpi_engine_free(fresh);
        kpi_engine_free(kept_a);
        kpi_engine_free(kept_b);
        free(fresh_bytes);
        fresh = make_engine(data);
        memcpy(config, data, 4);
        fresh_bytes = kpi_fuzz_encode(engine_ops(), fresh, &fresh_len);
        KPI_FUZZ_CHECK(kpi_engine_clone(fresh, &kept_a) == KPI_OK);
        KPI_FUZZ_CHECK(kpi_engine_clone(fresh, &kept_b) == KPI_OK);
    } else {
        kpi_engine *kept[2] = {kept_a, kept_b};
        for (int i = 0; i < 2; i++) {
            kpi_engine_reset(kept[i]);
            for (uint64_t code = 1; code < 4; code++)
                KPI_FUZZ_CHECK(kpi_engine_set_name(kept[i], KPI_DIM_TOPIC, code,
                                                   topic_names[code]) == KPI_OK);
            KPI_FUZZ_CHECK(kpi_fuzz_encodes_as(engine_ops(), kept[i], fresh_bytes, fresh_len));
        }
    }
    r.a = kept_a;
    r.b = kept_b;
    r.t = T0;
    memcpy(r.topics, topic_names, sizeof r.topics);
    static const int64_t units[4] = {KPI_MS_PER_SECOND, KPI_MS_PER_MINUTE, KPI_MS_PER_HOUR,
                                     KPI_MS_PER_DAY};
    for (size_t off = 4; off + 8 <= size; off += 8) {
        const uint8_t *s = data + off;
        int64_t dt = (s[2] & 63) * units[s[2] >> 6];
        r.t += (s[3] & 0x80) ? -dt : dt;
        if (s[0] % 20 == 0) {
            operation(&r, s);
        } else {
            uint8_t step[8];
            memcpy(step, s, 8);
            step[0] = (uint8_t)(s[0] % 20);
            event_step(&r, step);
        }
    }
    same_bytes(&r);
    kpi_fuzz_engine_reads(r.a, 1);
    kept_a = r.a; /* a snapshot step may have replaced it */
    return 0;
}
