/*
 * gen_events: writes a realistic, deterministic helpdesk event log (the
 * CSV of docs/format.md, "Event log CSV") for examples/dashboard.
 *
 *   gen_events [-n tickets] [-s seed] [-o file]      (defaults 5000, 20260302, stdout;
 *                                                    -o - is stdout too)
 *
 * The same options give the same bytes on every run: the random numbers
 * come from splitmix64 with the given seed (one stream per ticket, so a
 * ticket's story does not depend on the others), and the few real-valued
 * draws use + - * / and the exact frexp(), ldexp() and floor() only (no
 * log() or exp(), whose last bits differ between C libraries), built with
 * -ffp-contract=off.
 *
 * The helpdesk it simulates, in Europe/Berlin (CET/CEST), over six weeks
 * from Monday 2026-03-02 across the switch to summer time on 2026-03-29
 * and the Easter holidays (Good Friday 2026-04-03, Easter Monday
 * 2026-04-06):
 * - arrivals: about n tickets, more on Mondays, few at weekends and on
 *   holidays, by hour of the local day with a profile per channel (phone
 *   in office hours, social media in the evening), a growth of 1.5% a
 *   week and an incident on Wednesday 2026-03-18 (a burst of outage and
 *   sync tickets around midday);
 * - channels email, chat, phone, web, social; priorities low, normal,
 *   high, urgent; 40 topics with Zipf-like frequencies, each owned by one
 *   of three teams (billing, technical, accounts);
 * - customers: a long tail who write about once in the six weeks, and 60
 *   big accounts with Zipf-like activity behind 12% of the tickets;
 *   follow-up tickets after an unsatisfying answer, duplicates merged
 *   into the original, outbound tickets opened by agents;
 * - 25 agents with early, middle and late shifts, part-timers, a Saturday
 *   rota, sick days and a week of leave each for a few; every shift ends
 *   with a logged_in record.  Agents answer only while on shift (each has
 *   a business calendar of its own shifts), so replies wait for the next
 *   shift, save live chats and calls: one handed over in the minutes
 *   before a shift starts is taken by the agent coming in, one taken in a
 *   shift's last minutes is answered by its end (or up to 2 minutes
 *   after; else it goes to the queue) and may run over it, the agent's
 *   last reply or resolve at most 20 minutes after the end; the queue
 *   hands out email and web Mon-Fri 08-18, chat, phone and social 07-20
 *   and Saturday 09-15, and an agent answers the tickets
 *   already assigned to them at any time of their own shift (email at
 *   07:30 on an early shift, on a Saturday of the rota);
 * - a chatbot on chat that answers first, resolves about a third of the
 *   chats and hands the rest over to a human; live chats, calls answered
 *   at once, voicemail called back;
 * - conversations: replies, pending (waiting for the customer, who answers
 *   in the daytime or never: auto-solve after three days), on-hold
 *   (waiting for a third party; a few for weeks), internal notes,
 *   escalations to another team, reopens by a customer message on a
 *   solved ticket or by an agent, closes four days after the last
 *   resolve, CSAT (1-5), NPS (0-10) and CES (1-7) answers from a share of
 *   the customers, worse after slow or reopened tickets.
 * Events after the end of the six weeks are not written: the tickets
 * still open then are the final backlog.
 *
 * SPDX-License-Identifier: MIT
 */
#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <kpi.h>
#include <kpi/engine.h>

#include "evlog.h"

/* ---- the world: fixed tables ------------------------------------------ */

#define START_YEAR 2026
#define START_MONTH 3
#define START_DAY 2 /* a Monday */
#define WEEKS 6
#define DAYS (7 * WEEKS)
#define SPIKE_DAY 16 /* Wednesday 2026-03-18 */

#define MIN_MS INT64_C(60000)
#define HOUR_MS INT64_C(3600000)
#define DAY_MS INT64_C(86400000)

enum { CH_EMAIL, CH_CHAT, CH_PHONE, CH_WEB, CH_SOCIAL, CHANNELS };
static const char *const channel_names[CHANNELS] = {"email", "chat", "phone", "web", "social"};

enum { PR_LOW, PR_NORMAL, PR_HIGH, PR_URGENT, PRIORITIES };
static const char *const priority_names[PRIORITIES] = {"low", "normal", "high", "urgent"};
/* agents' working time per reply scales with the priority */
static const double priority_speed[PRIORITIES] = {1.7, 1.0, 0.45, 0.2};

enum { TEAM_BILLING = 1, TEAM_TECHNICAL, TEAM_ACCOUNTS, TEAMS = 3 };
static const char *const team_names[TEAMS + 1] = {"", "billing", "technical", "accounts"};

/* Topics by rank of frequency; "urgent" marks topics that are often urgent. */
static const struct {
    const char *name;
    int team;
    int urgent;
} topics[] = {
    {"password reset", TEAM_TECHNICAL, 0},   {"invoice question", TEAM_BILLING, 0},
    {"login problem", TEAM_TECHNICAL, 1},    {"refund request", TEAM_BILLING, 0},
    {"payment failed", TEAM_BILLING, 1},     {"change address", TEAM_ACCOUNTS, 0},
    {"sync error", TEAM_TECHNICAL, 1},       {"subscription cancel", TEAM_BILLING, 0},
    {"add user", TEAM_ACCOUNTS, 0},          {"app crash", TEAM_TECHNICAL, 1},
    {"plan upgrade", TEAM_BILLING, 0},       {"account locked", TEAM_ACCOUNTS, 1},
    {"data export", TEAM_TECHNICAL, 0},      {"double charge", TEAM_BILLING, 1},
    {"slow performance", TEAM_TECHNICAL, 0}, {"remove user", TEAM_ACCOUNTS, 0},
    {"email notifications", TEAM_TECHNICAL, 0}, {"vat invoice", TEAM_BILLING, 0},
    {"bug report", TEAM_TECHNICAL, 0},       {"onboarding", TEAM_ACCOUNTS, 0},
    {"card expired", TEAM_BILLING, 0},       {"mobile app", TEAM_TECHNICAL, 0},
    {"profile update", TEAM_ACCOUNTS, 0},    {"api error", TEAM_TECHNICAL, 1},
    {"pricing question", TEAM_BILLING, 0},   {"two-factor auth", TEAM_TECHNICAL, 1},
    {"contract question", TEAM_ACCOUNTS, 0}, {"feature request", TEAM_TECHNICAL, 0},
    {"credit note", TEAM_BILLING, 0},        {"integration setup", TEAM_TECHNICAL, 0},
    {"gdpr request", TEAM_ACCOUNTS, 0},      {"import failed", TEAM_TECHNICAL, 0},
    {"discount code", TEAM_BILLING, 0},      {"browser issue", TEAM_TECHNICAL, 0},
    {"account deletion", TEAM_ACCOUNTS, 0},  {"dunning notice", TEAM_BILLING, 1},
    {"training request", TEAM_ACCOUNTS, 0},  {"outage report", TEAM_TECHNICAL, 1},
    {"ownership transfer", TEAM_ACCOUNTS, 0}, {"welcome call", TEAM_ACCOUNTS, 0},
};
#define TOPICS ((int)(sizeof topics / sizeof topics[0]))
#define TOPIC_OUTAGE 37
#define TOPIC_SYNC 6
#define TOPIC_LOGIN 2

/* Agents: team, shift (local minutes), days (bit 1 = Monday .. bit 5 =
 * Friday), Saturday rota (1 = even weeks, 2 = odd weeks), week of leave. */
#define AGENTS 25
#define EARLY 420, 930  /* 07:00-15:30 */
#define MID 540, 1050   /* 09:00-17:30 */
#define LATE 690, 1200  /* 11:30-20:00 */
#define PART 480, 750   /* 08:00-12:30 */
#define WEEKDAYS 0x3e
static const struct {
    int team, start, end, days, saturday, leave_week;
} agents[AGENTS + 1] = {
    {0, 0, 0, 0, 0, -1},
    /* billing: agent-01 .. agent-08 */
    {TEAM_BILLING, EARLY, WEEKDAYS, 0, -1},  {TEAM_BILLING, EARLY, WEEKDAYS, 0, 3},
    {TEAM_BILLING, MID, WEEKDAYS, 0, -1},    {TEAM_BILLING, MID, WEEKDAYS, 0, -1},
    {TEAM_BILLING, MID, 0x1e, 0, -1},        {TEAM_BILLING, PART, WEEKDAYS, 0, -1},
    {TEAM_BILLING, LATE, WEEKDAYS, 1, -1},   {TEAM_BILLING, LATE, WEEKDAYS, 2, 1},
    /* technical: agent-09 .. agent-18 */
    {TEAM_TECHNICAL, EARLY, WEEKDAYS, 0, -1}, {TEAM_TECHNICAL, EARLY, WEEKDAYS, 0, -1},
    {TEAM_TECHNICAL, EARLY, WEEKDAYS, 0, 4},  {TEAM_TECHNICAL, MID, WEEKDAYS, 0, -1},
    {TEAM_TECHNICAL, MID, WEEKDAYS, 0, -1},   {TEAM_TECHNICAL, MID, 0x3c, 0, -1},
    {TEAM_TECHNICAL, PART, WEEKDAYS, 0, -1},  {TEAM_TECHNICAL, LATE, WEEKDAYS, 1, -1},
    {TEAM_TECHNICAL, LATE, WEEKDAYS, 2, -1},  {TEAM_TECHNICAL, LATE, WEEKDAYS, 0, 2},
    /* accounts: agent-19 .. agent-25 */
    {TEAM_ACCOUNTS, EARLY, WEEKDAYS, 0, -1},  {TEAM_ACCOUNTS, EARLY, WEEKDAYS, 0, 5},
    {TEAM_ACCOUNTS, MID, WEEKDAYS, 0, -1},    {TEAM_ACCOUNTS, MID, WEEKDAYS, 0, -1},
    {TEAM_ACCOUNTS, PART, 0x0e, 0, -1},       {TEAM_ACCOUNTS, LATE, WEEKDAYS, 0, -1},
    {TEAM_ACCOUNTS, LATE, WEEKDAYS, 0, -1},
};
#define SICK_DAYS_PER_MILLE 35
#define ACCOUNTS 60
#define ACCOUNT_SHARE 0.12
#define TAIL_PER_TICKET 4
#define SATURDAY_OPEN 540
#define SATURDAY_CLOSE 900

/* Arrivals by local hour (weekday profile) and channel mixes (per mille). */
static const uint16_t hourly[CHANNELS][24] = {
    {2, 1, 1, 1, 1, 2, 4, 8, 12, 14, 13, 12, 10, 11, 12, 11, 10, 8, 6, 5, 4, 4, 3, 2},
    {0, 0, 0, 0, 0, 0, 1, 6, 10, 12, 12, 11, 9, 10, 11, 10, 9, 7, 5, 4, 2, 1, 1, 0},
    {0, 0, 0, 0, 0, 0, 1, 5, 12, 14, 13, 11, 8, 10, 11, 10, 8, 5, 3, 2, 1, 0, 0, 0},
    {2, 1, 1, 1, 1, 2, 3, 6, 9, 11, 11, 10, 9, 10, 10, 9, 9, 8, 7, 7, 6, 5, 4, 3},
    {3, 2, 1, 1, 1, 1, 2, 4, 6, 7, 7, 7, 7, 7, 7, 7, 7, 8, 9, 10, 10, 9, 7, 5},
};
static const uint16_t channel_mix[3][CHANNELS] = {
    {340, 250, 160, 150, 100}, /* Monday .. Friday */
    {300, 280, 60, 200, 160},  /* Saturday */
    {320, 260, 20, 220, 180},  /* Sunday and holidays */
};
static const double weekday_weight[7] = {0.30, 1.30, 1.12, 1.05, 1.00, 0.92, 0.38};

/* ---- deterministic random numbers -------------------------------------- */

typedef struct rng {
    uint64_t s;
} rng;

static uint64_t rng_next(rng *r)
{
    uint64_t z = (r->s += UINT64_C(0x9E3779B97F4A7C15));
    z = (z ^ (z >> 30)) * UINT64_C(0xBF58476D1CE4E5B9);
    z = (z ^ (z >> 27)) * UINT64_C(0x94D049BB133111EB);
    return z ^ (z >> 31);
}

static rng rng_stream(uint64_t seed, uint64_t stream)
{
    rng r = {seed ^ (stream * UINT64_C(0xD1B54A32D192ED03))};
    rng_next(&r);
    return r;
}

/* uniform in [0, 1) */
static double unit(rng *r) { return (double)(rng_next(r) >> 11) * 0x1.0p-53; }
static int chance(rng *r, double p) { return unit(r) < p; }
static int64_t below(rng *r, int64_t n) { return (int64_t)(rng_next(r) % (uint64_t)n); }
static int64_t between(rng *r, int64_t lo, int64_t hi) { return lo + below(r, hi - lo + 1); }

/* log2 and exp2 with + - * / (and the exact frexp, ldexp, floor) only, so
 * every platform draws the same. */
static double det_log2(double x)
{
    int e;
    double m = frexp(x, &e) * 2.0; /* [1, 2) */
    e -= 1;
    if (m > 1.4142135623730951) {
        m *= 0.5;
        e += 1;
    }
    double s = (m - 1.0) / (m + 1.0), s2 = s * s, t = s, sum = 0.0;
    for (int k = 1; k <= 21; k += 2) {
        sum += t / k;
        t *= s2;
    }
    return e + 2.0 * sum * 1.4426950408889634; /* 1/ln 2 */
}

static double det_exp2(double x)
{
    double fl = floor(x), f = (x - fl) * 0.6931471805599453, term = 1.0, sum = 1.0;
    for (int k = 1; k <= 20; k++) {
        term *= f / k;
        sum += term;
    }
    return ldexp(sum, (int)fl);
}

/* exponential with the given mean */
static double expo(rng *r, double mean) { return -mean * det_log2(1.0 - unit(r)) * 0.6931471805599453; }

/* log-normal with the given median; sigma in natural-log units.  The
 * normal deviate is the sum of twelve uniforms minus six. */
static double lognormal(rng *r, double median, double sigma)
{
    double z = -6.0;
    for (int i = 0; i < 12; i++)
        z += unit(r);
    return median * det_exp2(sigma * z * 1.4426950408889634);
}

/* index drawn from cumulative weights cdf[0..n-1] */
static int pick_cdf(rng *r, const double *cdf, int n)
{
    double u = unit(r) * cdf[n - 1];
    int lo = 0, hi = n - 1;
    while (lo < hi) {
        int mid = (lo + hi) / 2;
        if (cdf[mid] > u)
            hi = mid;
        else
            lo = mid + 1;
    }
    return lo;
}

static int pick_weights(rng *r, const uint16_t *w, int n)
{
    double cdf[32], acc = 0;
    for (int i = 0; i < n; i++)
        cdf[i] = acc += w[i];
    return pick_cdf(r, cdf, n);
}

/* ---- the generator's state -------------------------------------------- */

typedef struct ticket {
    int64_t created;
    int64_t merge_after;  /* a duplicate: merged once this is reached */
    uint64_t id;          /* assigned in creation order */
    uint32_t order;       /* generation order, the tie-break */
    int32_t duplicate_of; /* index of the original, or -1 */
    uint32_t customer;
    uint16_t topic;
    uint8_t channel, priority, outbound, spike, generation;
} ticket;

typedef struct event {
    int64_t time;
    int64_t value;
    uint32_t ticket; /* ticket index, UINT32_MAX for a logged_in record */
    uint32_t seq;    /* order within the ticket */
    uint32_t actor;  /* agent number, customer number or ticket index */
    uint8_t kind, flags, team;
} event;

typedef struct gen {
    uint64_t seed;
    kpi_calendar *office, *live, *agent_cal[AGENTS + 1];
    int64_t start, end;    /* UTC ms of the span */
    int64_t day0;          /* local day number of the first day */
    ticket *tickets;
    size_t n_tickets, cap_tickets;
    event *events;
    size_t n_events, cap_events;
    uint32_t customers; /* big accounts first, then the long tail */
    double account_cdf[ACCOUNTS];
    double topic_cdf[TOPICS];
} gen;

static void die(const char *what)
{
    fprintf(stderr, "gen_events: %s\n", what);
    exit(EXIT_FAILURE);
}

static void check(int rc, const char *what)
{
    if (rc != KPI_OK) {
        fprintf(stderr, "gen_events: %s: %s\n", what, kpi_strerror(rc));
        exit(EXIT_FAILURE);
    }
}

static void *grow(void *p, size_t *cap, size_t size)
{
    *cap = *cap ? *cap * 2 : 1024;
    p = realloc(p, *cap * size);
    if (p == NULL)
        die("out of memory");
    return p;
}

/* ---- time ------------------------------------------------------------- */

/* UTC instant of a local wall-clock time (ms on the local time line). */
static int64_t local_to_utc(const gen *g, int64_t local_ms)
{
    int32_t off;
    check(kpi_calendar_utc_offset(g->office, local_ms - HOUR_MS, &off), "utc offset");
    int64_t utc = local_ms - (int64_t)off * 1000;
    int32_t off2;
    check(kpi_calendar_utc_offset(g->office, utc, &off2), "utc offset");
    return local_ms - (int64_t)off2 * 1000;
}

/* local minute of the day and weekday of an instant */
static void local_clock(const gen *g, int64_t t, int *minute, int *weekday)
{
    int32_t y, m, d, wd, ms;
    check(kpi_calendar_local_time(g->office, t, &y, &m, &d, &wd, &ms), "local time");
    *minute = ms / 60000;
    *weekday = wd;
}

/* The instant `work_ms` of open time after t on a calendar. */
static int64_t after_work(const kpi_calendar *cal, int64_t t, int64_t work_ms)
{
    int64_t due;
    check(kpi_calendar_due(cal, t, work_ms < 1 ? 1 : work_ms, &due), "due");
    return work_ms < 1 ? due - 1 : due;
}

static int is_open(const kpi_calendar *cal, int64_t t)
{
    int open;
    check(kpi_calendar_is_open(cal, t, &open), "is open");
    return open;
}

/* A customer's answer time: some delay later, but not at night. */
static int64_t customer_time(const gen *g, rng *r, int64_t t, double mean_ms)
{
    t += (int64_t)expo(r, mean_ms) + between(r, 30, 600) * 1000;
    int minute, weekday;
    local_clock(g, t, &minute, &weekday);
    if (minute < 7 * 60) /* asleep: writes in the morning */
        t += (int64_t)(7 * 60 - minute) * MIN_MS + (int64_t)expo(r, 90.0 * MIN_MS);
    return t;
}

/* ---- agents ----------------------------------------------------------- */

static int agent_absent(const gen *g, int agent, int day)
{
    if (agents[agent].leave_week == day / 7)
        return 1;
    rng r = rng_stream(g->seed ^ UINT64_C(0xA6E47), (uint64_t)(agent * 1000 + day));
    return chance(&r, SICK_DAYS_PER_MILLE / 1000.0);
}

/* weekday 0 = Sunday; whether the agent works that day of the span */
static int agent_works(const gen *g, int agent, int day, int weekday, int holiday, int *start, int *end)
{
    if (holiday || agent_absent(g, agent, day))
        return 0;
    if (weekday == 6) {
        int rota = agents[agent].saturday;
        if (rota == 0 || (rota == 1) != (day / 7 % 2 == 0))
            return 0;
        *start = SATURDAY_OPEN;
        *end = SATURDAY_CLOSE;
        return 1;
    }
    if (!(agents[agent].days >> weekday & 1))
        return 0;
    *start = agents[agent].start;
    *end = agents[agent].end;
    return 1;
}

/*
 * The agent who takes a ticket of `team` that needs `work_ms` of attention
 * from t: the first to be available (ties: random), preferring the team;
 * another team's agent helps when the team has nobody for two hours.
 * *at receives when the agent has done the work.
 */
static int first_available(const gen *g, rng *r, int team, int in_team, int64_t t, int64_t work_ms,
                           int64_t *at)
{
    int best = 0, ties = 0;
    *at = INT64_MAX;
    for (int a = 1; a <= AGENTS; a++) {
        if ((agents[a].team == team) != in_team)
            continue;
        int64_t when = after_work(g->agent_cal[a], t, work_ms);
        if (when < *at) {
            best = a, *at = when, ties = 1;
        } else if (when == *at && below(r, ++ties) == 0) {
            best = a;
        }
    }
    return best;
}

static int pick_agent(const gen *g, rng *r, int team, int64_t t, int64_t work_ms, int64_t *at)
{
    int best = first_available(g, r, team, 1, t, work_ms, at);
    if (*at > t + 2 * HOUR_MS) {
        int64_t help_at;
        int helper = first_available(g, r, team, 0, t, work_ms, &help_at);
        if (help_at + 2 * HOUR_MS <= *at) {
            *at = help_at;
            return helper;
        }
    }
    return best;
}

/* ---- one ticket's story ----------------------------------------------- */

enum { ST_NEW, ST_OPEN, ST_PENDING, ST_ON_HOLD, ST_SOLVED, ST_CLOSED, ST_MERGED };

typedef struct life {
    gen *g;
    rng r;
    uint32_t idx;
    int64_t t; /* time of the ticket's last event */
    uint32_t seq;
    int status;
    int agent, team;
    const kpi_calendar *desk; /* when the channel is worked */
    double speed;
    int replies, reopens;
    int64_t first_touch, first_reply, resolved_at;
} life;

static void emit(life *l, int64_t t, int kind, uint32_t actor, int64_t value, int flags, int team)
{
    gen *g = l->g;
    t = (t + 999) / 1000 * 1000; /* whole seconds (up: the order stays) */
    if (t < l->t)
        t = l->t;
    l->t = t;
    if (g->n_events == g->cap_events)
        g->events = grow(g->events, &g->cap_events, sizeof *g->events);
    event *e = &g->events[g->n_events++];
    e->time = t;
    e->value = value;
    e->ticket = l->idx;
    e->seq = l->seq++;
    e->actor = actor;
    e->kind = (uint8_t)kind;
    e->flags = (uint8_t)flags;
    e->team = (uint8_t)team;
}

static void assign(life *l, int64_t t, int agent)
{
    if (agent == l->agent)
        return;
    l->agent = agent;
    l->team = agents[agent].team;
    emit(l, t, KPI_EVENT_ASSIGNED, (uint32_t)agent, 0, 0, l->team);
    if (l->first_touch < 0)
        l->first_touch = l->t;
}

/* A human reply after `work_ms` of attention: by the assignee when on
 * shift soon enough, else the queue gives the ticket to whoever is free. */
static void agent_reply(life *l, int64_t work_ms)
{
    int64_t when = INT64_MAX;
    if (l->agent != 0)
        when = after_work(l->g->agent_cal[l->agent], l->t, work_ms);
    int64_t desk = after_work(l->desk, l->t, work_ms);
    if (l->agent == 0 || when > desk + 4 * HOUR_MS * l->speed) {
        int64_t at;
        int a = pick_agent(l->g, &l->r, l->team, desk, 0, &at);
        assign(l, at, a);
        when = after_work(l->g->agent_cal[a], at, work_ms / 4);
    }
    if (l->status == ST_NEW || l->status == ST_PENDING || l->status == ST_ON_HOLD)
        l->status = ST_OPEN;
    emit(l, when, KPI_EVENT_AGENT_REPLY, (uint32_t)l->agent, 0, 0, 0);
    l->replies++;
    if (l->first_reply < 0)
        l->first_reply = l->t;
}

static void customer_message_at(life *l, int64_t t)
{
    emit(l, t, KPI_EVENT_CUSTOMER_MESSAGE, 0, 0, 0, 0);
    if (l->status == ST_SOLVED)
        l->reopens++;
    if (l->status == ST_PENDING || l->status == ST_SOLVED)
        l->status = ST_OPEN;
}

static void customer_message(life *l, double mean_ms)
{
    customer_message_at(l, customer_time(l->g, &l->r, l->t, mean_ms));
}

static void set_status(life *l, int64_t t, int kind, int status)
{
    emit(l, t, kind, 0, 0, 0, 0);
    l->status = status;
}

static void resolve(life *l, int64_t t, int by_bot)
{
    emit(l, t, KPI_EVENT_RESOLVED, by_bot ? 0 : (uint32_t)l->agent, 0, by_bot ? KPI_EVENT_FLAG_BY_BOT : 0, 0);
    l->status = ST_SOLVED;
    l->resolved_at = l->t;
}

/* median working time an agent spends before a reply, by priority */
static int64_t reply_work(life *l, double median_ms)
{
    return (int64_t)lognormal(&l->r, median_ms * l->speed, 0.9);
}

/* After a human reply, until the ticket is solved (or left on hold). */
static void conversation(life *l)
{
    for (int round = 1;; round++) {
        double p_resolve = round == 1 ? 0.42 : round == 2 ? 0.55 : 0.7;
        double u = unit(&l->r);
        if (u < p_resolve || round >= 6) {
            resolve(l, l->t + between(&l->r, 0, 180) * 1000, 0);
            return;
        }
        if (u < p_resolve + 0.07) { /* a third party: on hold */
            set_status(l, l->t + between(&l->r, 10, 120) * 1000, KPI_EVENT_ON_HOLD, ST_ON_HOLD);
            if (chance(&l->r, 0.04)) /* stuck for weeks */
                l->t += between(&l->r, 8, 20) * DAY_MS;
            else
                l->t += (int64_t)expo(&l->r, 1.2 * DAY_MS);
            set_status(l, after_work(l->desk, l->t, between(&l->r, 5, 60) * MIN_MS), KPI_EVENT_OPEN, ST_OPEN);
            if (chance(&l->r, 0.3))
                emit(l, l->t + between(&l->r, 1, 10) * MIN_MS, KPI_EVENT_NOTE, (uint32_t)l->agent, 0, 0, 0);
            agent_reply(l, reply_work(l, 20 * MIN_MS));
            continue;
        }
        /* waiting for the customer */
        set_status(l, l->t + between(&l->r, 5, 90) * 1000, KPI_EVENT_PENDING, ST_PENDING);
        if (chance(&l->r, 0.18)) { /* no answer: solved automatically after three days */
            int64_t t = after_work(l->desk, l->t + 3 * DAY_MS, between(&l->r, 0, 30) * MIN_MS);
            int64_t at = t;
            if (!is_open(l->g->agent_cal[l->agent], t))
                assign(l, t, pick_agent(l->g, &l->r, l->team, t, 0, &at));
            resolve(l, at, 0);
            return;
        }
        customer_message(l, 14.0 * HOUR_MS);
        if (chance(&l->r, 0.1))
            emit(l, l->t + between(&l->r, 2, 40) * MIN_MS, KPI_EVENT_NOTE, (uint32_t)l->agent, 0, 0, 0);
        agent_reply(l, reply_work(l, 75 * MIN_MS));
    }
}

/* The first human answer on a ticket that waits in a queue (email, web,
 * social, offline chat, voicemail): triage, then the reply. */
static void queued_first_reply(life *l, double median_ms)
{
    gen *g = l->g;
    int64_t at;
    int64_t triage = after_work(l->desk, l->t, (int64_t)lognormal(&l->r, 12.0 * MIN_MS * l->speed, 0.8));
    int a = pick_agent(g, &l->r, l->team, triage, 0, &at);
    assign(l, at, a);
    if (chance(&l->r, 0.12))
        emit(l, l->t + between(&l->r, 1, 20) * MIN_MS, KPI_EVENT_NOTE, (uint32_t)l->agent, 0, 0, 0);
    if (chance(&l->r, 0.07)) { /* escalated to another team */
        int other = 1 + (int)((l->team + between(&l->r, 0, 1)) % TEAMS);
        int64_t t = after_work(l->desk, l->t, between(&l->r, 10, 90) * MIN_MS);
        emit(l, t, KPI_EVENT_NOTE, (uint32_t)l->agent, 0, 0, 0);
        assign(l, l->t, pick_agent(g, &l->r, other, l->t, 0, &at));
        l->t = at;
    }
    agent_reply(l, reply_work(l, median_ms));
}

static int survey_answer(rng *r, int kind, int bad)
{
    static const uint16_t csat[2][5] = {{35, 30, 70, 250, 615}, {210, 170, 210, 220, 190}};
    static const uint16_t nps[2][11] = {{15, 10, 15, 20, 25, 35, 50, 120, 170, 210, 330},
                                        {110, 70, 80, 90, 90, 110, 100, 110, 90, 80, 70}};
    static const uint16_t ces[2][7] = {{40, 50, 70, 120, 180, 270, 270},
                                       {140, 170, 180, 170, 130, 110, 100}};
    if (kind == KPI_EVENT_CSAT)
        return 1 + pick_weights(r, csat[bad], 5);
    if (kind == KPI_EVENT_NPS)
        return pick_weights(r, nps[bad], 11);
    return 1 + pick_weights(r, ces[bad], 7);
}

static void add_ticket(gen *g, const ticket *proto);

/* Reopens, surveys, close and a possible follow-up ticket. */
static void after_resolve(life *l, const ticket *tk)
{
    for (int depth = 0; depth < 2; depth++) {
        double u = unit(&l->r);
        if (u < 0.065 + (l->replies <= 1 ? 0.03 : 0)) { /* the customer writes back */
            int64_t t = customer_time(l->g, &l->r, l->t, 0.8 * DAY_MS);
            if (t >= l->resolved_at + (int64_t)(3.5 * DAY_MS))
                break; /* too late: the ticket closes first */
            customer_message_at(l, t);
            agent_reply(l, reply_work(l, 60 * MIN_MS));
            conversation(l);
        } else if (u < 0.085 + (l->replies <= 1 ? 0.03 : 0) && l->agent != 0) { /* an agent reopens it */
            int64_t t = after_work(l->g->agent_cal[l->agent], l->resolved_at + between(&l->r, 2, 30) * HOUR_MS, 0);
            if (t > l->resolved_at + 3 * DAY_MS)
                break;
            set_status(l, t, KPI_EVENT_REOPENED, ST_OPEN);
            l->reopens++;
            emit(l, l->t + between(&l->r, 1, 15) * MIN_MS, KPI_EVENT_NOTE, (uint32_t)l->agent, 0, 0, 0);
            agent_reply(l, reply_work(l, 30 * MIN_MS));
            conversation(l);
        } else {
            break;
        }
        if (l->status != ST_SOLVED)
            return; /* left on hold past the end */
    }
    if (l->status != ST_SOLVED)
        return;
    int64_t frt = l->first_reply >= 0 ? l->first_reply - tk->created : 0;
    int bad = l->reopens > 0 || frt > 2 * DAY_MS || l->replies > 4 ||
              (l->resolved_at - tk->created > 6 * DAY_MS);
    if (chance(&l->r, 0.15))
        bad = !bad; /* people differ */
    /* survey answers, in time order, within three days of the resolve */
    static const int kinds[3] = {KPI_EVENT_CSAT, KPI_EVENT_CES, KPI_EVENT_NPS};
    static const double rates[3] = {0.24, 0.12, 0.08};
    int64_t times[3];
    int n = 0, which[3];
    for (int i = 0; i < 3; i++)
        if (chance(&l->r, rates[i])) {
            int64_t t = l->t + (int64_t)expo(&l->r, 7.0 * HOUR_MS) + between(&l->r, 60, 3600) * 1000;
            if (t > l->resolved_at + 3 * DAY_MS)
                t = l->resolved_at + 3 * DAY_MS - between(&l->r, 0, 3600) * 1000;
            int j = n++;
            for (; j > 0 && times[j - 1] > t; j--) {
                times[j] = times[j - 1];
                which[j] = which[j - 1];
            }
            times[j] = t;
            which[j] = i;
        }
    int unhappy = 0;
    for (int i = 0; i < n; i++) {
        int answer = survey_answer(&l->r, kinds[which[i]], bad);
        unhappy |= kinds[which[i]] == KPI_EVENT_CSAT && answer <= 2;
        emit(l, times[i], kinds[which[i]], 0, answer, 0, 0);
    }
    set_status(l, l->resolved_at + 4 * DAY_MS, KPI_EVENT_CLOSED, ST_CLOSED);
    /* a follow-up: the issue was not really gone */
    if (tk->generation < 2 && chance(&l->r, unhappy ? 0.35 : bad ? 0.09 : 0.04)) {
        ticket f = *tk;
        f.created = l->resolved_at + (int64_t)expo(&l->r, 2.0 * DAY_MS) + between(&l->r, 1, 60) * MIN_MS;
        f.generation = (uint8_t)(tk->generation + 1);
        f.outbound = 0;
        f.spike = 0;
        f.duplicate_of = -1;
        if (f.channel == CH_CHAT || chance(&l->r, 0.3))
            f.channel = chance(&l->r, 0.6) ? CH_EMAIL : CH_PHONE;
        if (f.priority < PR_HIGH && chance(&l->r, 0.3))
            f.priority++;
        add_ticket(l->g, &f);
    }
}

/*
 * Live chats and calls.  The agent who takes one answers it by the end of
 * their shift, or within ANSWER_GRACE of it (a call that rings as the
 * shift ends); an answer that would come later goes to the queue instead
 * (a message, a voicemail).  A chat or call that runs over the shift ends
 * within RUN_OVER of its end, and the resolve that may follow it (in
 * conversation(), up to 3 minutes later) within 20 minutes.  (One handed
 * over in the minutes before the agent's shift starts, pick_agent()'s
 * `at`, may be answered before it: the agent comes in early.)
 */
#define ANSWER_GRACE (2 * MIN_MS)
#define RUN_OVER (17 * MIN_MS)

static int64_t min64(int64_t a, int64_t b) { return a < b ? a : b; }
static int64_t whole_second(int64_t t) { return (t + 999) / 1000 * 1000; } /* as emit() writes it */

/* The end of the shift that agent a works at t (UTC ms). */
static int64_t shift_end(const gen *g, int a, int64_t t)
{
    int32_t y, m, d, wd, ms;
    check(kpi_calendar_local_time(g->office, t, &y, &m, &d, &wd, &ms), "local time");
    int end = wd == 6 ? SATURDAY_CLOSE : agents[a].end;
    return local_to_utc(g, evlog_days_from_civil(y, m, d) * DAY_MS + end * MIN_MS);
}

static void chat_story(life *l, const ticket *tk)
{
    rng *r = &l->r;
    emit(l, l->t + between(r, 1500, 8000), KPI_EVENT_BOT_REPLY, 0, 0, 0, 0);
    for (int i = (int)below(r, 3); i > 0; i--) {
        emit(l, l->t + between(r, 15, 90) * 1000, KPI_EVENT_CUSTOMER_MESSAGE, 0, 0, 0, 0);
        emit(l, l->t + between(r, 1000, 5000), KPI_EVENT_BOT_REPLY, 0, 0, 0, 0);
    }
    if (chance(r, tk->spike ? 0.15 : 0.33)) {
        resolve(l, l->t + between(r, 20, 120) * 1000, 1);
        return;
    }
    emit(l, l->t + between(r, 10, 60) * 1000, KPI_EVENT_HANDOFF, 0, 0, 0, 0);
    int64_t at;
    int a = pick_agent(l->g, r, l->team, l->t, 0, &at);
    if (at > l->t + 5 * MIN_MS) { /* nobody on shift: the chat becomes a message */
        queued_first_reply(l, 40 * MIN_MS);
        conversation(l);
        return;
    }
    /* a live chat: queue, then a few exchanges */
    int64_t answered = l->t + (int64_t)expo(r, (tk->spike ? 6.0 : 1.5) * MIN_MS) + 5000;
    int64_t end = shift_end(l->g, a, at);
    if (whole_second(answered) > end + ANSWER_GRACE) { /* the shift is over: a message */
        queued_first_reply(l, 40 * MIN_MS);
        conversation(l);
        return;
    }
    assign(l, l->t, a);
    emit(l, answered, KPI_EVENT_AGENT_REPLY, (uint32_t)a, 0, 0, 0);
    l->status = ST_OPEN;
    l->replies++;
    l->first_reply = l->t;
    for (int i = (int)below(r, 4); i > 0; i--) {
        emit(l, min64(l->t + between(r, 20, 240) * 1000, end + RUN_OVER), KPI_EVENT_CUSTOMER_MESSAGE, 0, 0,
             0, 0);
        emit(l, min64(l->t + between(r, 15, 180) * 1000, end + RUN_OVER), KPI_EVENT_AGENT_REPLY,
             (uint32_t)a, 0, 0, 0);
        l->replies++;
    }
    if (chance(r, 0.82))
        resolve(l, min64(l->t + between(r, 30, 300) * 1000, end + RUN_OVER), 0);
    else
        conversation(l);
}

static void phone_story(life *l, const ticket *tk)
{
    rng *r = &l->r;
    int64_t at;
    int a = pick_agent(l->g, r, l->team, l->t, 0, &at);
    int64_t answered = 0, end = 0;
    if (at <= l->t + 2 * MIN_MS) {
        answered = l->t + (int64_t)expo(r, (tk->spike ? 4.0 : 1.0) * MIN_MS) + 10000;
        end = shift_end(l->g, a, at);
    }
    /* voicemail, called back: nobody free, or the shift is over before the answer */
    if (at > l->t + 2 * MIN_MS || whole_second(answered) > end + ANSWER_GRACE) {
        queued_first_reply(l, 30 * MIN_MS);
    } else {
        assign(l, l->t, a);
        emit(l, answered, KPI_EVENT_AGENT_REPLY, (uint32_t)a, 0, 0, 0);
        l->status = ST_OPEN;
        l->replies++;
        l->first_reply = l->t;
        l->t = min64(l->t + (int64_t)lognormal(r, 6.0 * MIN_MS, 0.5), end + RUN_OVER);
        if (chance(r, 0.66)) {
            resolve(l, l->t, 0);
            return;
        }
        if (chance(r, 0.3))
            emit(l, min64(l->t + between(r, 1, 8) * MIN_MS, end + RUN_OVER), KPI_EVENT_NOTE, (uint32_t)a, 0,
                 0, 0);
    }
    conversation(l);
}

static void outbound_story(life *l)
{
    rng *r = &l->r;
    emit(l, l->t + between(r, 60, 600) * 1000, KPI_EVENT_AGENT_REPLY, (uint32_t)l->agent, 0, 0, 0);
    l->replies++;
    set_status(l, l->t + between(r, 5, 60) * 1000, KPI_EVENT_PENDING, ST_PENDING);
    if (chance(r, 0.3)) {
        resolve(l, after_work(l->g->agent_cal[l->agent], l->t + between(r, 3, 5) * DAY_MS, 0), 0);
        return;
    }
    customer_message(l, 18.0 * HOUR_MS);
    agent_reply(l, reply_work(l, 90 * MIN_MS));
    conversation(l);
}

static void simulate(gen *g, uint32_t idx)
{
    ticket tk = g->tickets[idx]; /* a copy: add_ticket may move the array */
    life l;
    memset(&l, 0, sizeof l);
    l.g = g;
    l.r = rng_stream(g->seed, tk.order);
    l.idx = idx;
    l.t = tk.created;
    l.team = topics[tk.topic].team;
    l.desk = (tk.channel == CH_EMAIL || tk.channel == CH_WEB) ? g->office : g->live;
    l.speed = priority_speed[tk.priority];
    l.first_touch = l.first_reply = l.resolved_at = -1;
    l.status = ST_NEW;
    emit(&l, tk.created, KPI_EVENT_CREATED, tk.customer, 0, tk.outbound ? KPI_EVENT_FLAG_BY_AGENT : 0, 0);

    if (tk.duplicate_of >= 0) { /* merged into the original once someone looks */
        int64_t t = tk.merge_after > tk.created ? tk.merge_after : tk.created;
        t = after_work(l.desk, t, between(&l.r, 1, 15) * MIN_MS);
        emit(&l, t, KPI_EVENT_MERGED, (uint32_t)tk.duplicate_of, 0, 0, 0);
        return;
    }
    if (tk.outbound) {
        int64_t at;
        int a = pick_agent(g, &l.r, l.team, tk.created, 0, &at);
        assign(&l, at, a);
        outbound_story(&l);
    } else if (tk.channel == CH_CHAT) {
        chat_story(&l, &tk);
    } else if (tk.channel == CH_PHONE) {
        phone_story(&l, &tk);
    } else {
        queued_first_reply(&l, (tk.channel == CH_SOCIAL ? 50.0 : 150.0) * MIN_MS);
        conversation(&l);
    }
    /* a customer who wrote twice: the second ticket is merged later */
    if (l.status == ST_SOLVED || l.status == ST_OPEN || l.status == ST_PENDING || l.status == ST_ON_HOLD) {
        if (tk.generation == 0 && !tk.outbound && (tk.channel == CH_EMAIL || tk.channel == CH_WEB) &&
            chance(&l.r, 0.03)) {
            ticket d = tk;
            d.created = tk.created + (int64_t)expo(&l.r, 40.0 * MIN_MS) + 60000;
            d.channel = tk.channel == CH_EMAIL ? CH_WEB : CH_EMAIL;
            d.duplicate_of = (int32_t)idx;
            d.merge_after = l.first_touch >= 0 ? l.first_touch : tk.created;
            d.generation = 2;
            add_ticket(g, &d);
        }
    }
    if (l.status == ST_SOLVED)
        after_resolve(&l, &tk);
}

static void add_ticket(gen *g, const ticket *proto)
{
    if (g->n_tickets == g->cap_tickets)
        g->tickets = grow(g->tickets, &g->cap_tickets, sizeof *g->tickets);
    ticket *t = &g->tickets[g->n_tickets];
    *t = *proto;
    t->order = (uint32_t)g->n_tickets++;
}

/* ---- arrivals --------------------------------------------------------- */

static int is_holiday(int64_t local_day)
{
    int32_t y, m, d;
    evlog_civil_from_days(local_day, &y, &m, &d);
    evlog_holiday h[EVLOG_HOLIDAYS_PER_YEAR];
    evlog_german_holidays(y, h);
    for (int i = 0; i < EVLOG_HOLIDAYS_PER_YEAR; i++)
        if (h[i].month == m && h[i].day == d)
            return 1;
    return 0;
}

static int weekday_of(int64_t local_day) { return (int)(((local_day % 7) + 11) % 7); }

/* A base ticket created on day `day` of the span. */
static void arrival(gen *g, rng *r, int day, int spike)
{
    int64_t lday = g->day0 + day;
    int wd = weekday_of(lday);
    int kind = is_holiday(lday) || wd == 0 ? 2 : wd == 6 ? 1 : 0;
    ticket t;
    memset(&t, 0, sizeof t);
    t.duplicate_of = -1;
    t.spike = (uint8_t)spike;
    int64_t minute;
    if (spike) {
        static const uint16_t mix[CHANNELS] = {300, 300, 200, 50, 150};
        t.channel = (uint8_t)pick_weights(r, mix, CHANNELS);
        t.topic = (uint16_t)(chance(r, 0.6) ? TOPIC_OUTAGE : chance(r, 0.6) ? TOPIC_SYNC : TOPIC_LOGIN);
        minute = 10 * 60 + 20 + (int64_t)expo(r, 80.0);
        if (minute > 23 * 60)
            minute = 23 * 60;
    } else {
        t.channel = (uint8_t)pick_weights(r, channel_mix[kind], CHANNELS);
        t.topic = (uint16_t)pick_cdf(r, g->topic_cdf, TOPICS);
        uint16_t w[24];
        memcpy(w, hourly[t.channel], sizeof w);
        if (kind != 0) /* weekend and holiday: later mornings, flatter days */
            for (int h = 0; h < 24; h++)
                w[h] = (uint16_t)(h < 9 ? w[h] / 2 : h >= 11 && h <= 20 ? w[h] + 3 : w[h]);
        if (t.channel == CH_PHONE && kind != 0) /* phones: Saturday 09-15, else voicemail */
            for (int h = 0; h < 24; h++)
                w[h] = (uint16_t)(kind == 1 && h >= 9 && h < 15 ? 10 : 1);
        minute = pick_weights(r, w, 24) * 60 + below(r, 60);
    }
    int64_t local = lday * DAY_MS + minute * MIN_MS + below(r, 60) * 1000;
    t.created = local_to_utc(g, local);
    t.priority = (uint8_t)(spike ? (chance(r, 0.4) ? PR_URGENT : PR_HIGH)
                           : pick_weights(r, topics[t.topic].urgent ? (const uint16_t[]){80, 420, 300, 200}
                                                                    : (const uint16_t[]){220, 580, 160, 40},
                                          PRIORITIES));
    if (t.channel == CH_PHONE && t.priority < PR_HIGH && chance(r, 0.25))
        t.priority++;
    /* a customer by rank; the numbers are scattered over the pool */
    uint64_t rank = chance(r, ACCOUNT_SHARE) ? (uint64_t)pick_cdf(r, g->account_cdf, ACCOUNTS)
                                             : ACCOUNTS + (uint64_t)below(r, g->customers - ACCOUNTS);
    t.customer = (uint32_t)(1 + (rank * 7919 + 4242) % g->customers);
    /* agents open about 3% of the tickets themselves (email or phone, on shift) */
    if (!spike && kind == 0 && (t.channel == CH_EMAIL || t.channel == CH_PHONE) && chance(r, 0.07)) {
        t.outbound = 1;
        t.created = after_work(g->office, t.created, 0) + below(r, 3600) * 1000;
    }
    add_ticket(g, &t);
}

static void make_arrivals(gen *g, size_t n_tickets)
{
    rng r = rng_stream(g->seed, UINT64_C(0xA77));
    /* follow-ups and duplicates add about 7%; the incident 3% of the rest */
    size_t base = (size_t)((double)n_tickets / 1.07 + 0.5);
    size_t spike = base * 3 / 100, regular = base - spike;
    double w[DAYS], total = 0;
    for (int d = 0; d < DAYS; d++) {
        int64_t lday = g->day0 + d;
        w[d] = (is_holiday(lday) ? 0.35 : weekday_weight[weekday_of(lday)]) * (1.0 + 0.015 * (d / 7));
        total += w[d];
    }
    /* largest remainder: exactly `regular` tickets over the days */
    size_t count[DAYS], given = 0;
    double frac[DAYS];
    for (int d = 0; d < DAYS; d++) {
        double x = (double)regular * w[d] / total;
        count[d] = (size_t)x;
        frac[d] = x - (double)count[d];
        given += count[d];
    }
    while (given < regular) {
        int best = 0;
        for (int d = 1; d < DAYS; d++)
            if (frac[d] > frac[best])
                best = d;
        count[best]++;
        frac[best] = -1;
        given++;
    }
    for (int d = 0; d < DAYS; d++) {
        for (size_t i = 0; i < count[d]; i++)
            arrival(g, &r, d, 0);
        if (d == SPIKE_DAY)
            for (size_t i = 0; i < spike; i++)
                arrival(g, &r, d, 1);
    }
}

/* ---- setup ------------------------------------------------------------ */

static kpi_calendar *weekly_calendar(int open, int close, int days, int saturday, int y0)
{
    kpi_calendar *c;
    check(kpi_calendar_new(&c, EVLOG_TZ), "calendar");
    for (int wd = 1; wd <= 5; wd++)
        if (days >> wd & 1)
            check(kpi_calendar_add_hours(c, wd, open, close), "hours");
    if (saturday)
        check(kpi_calendar_add_hours(c, 6, SATURDAY_OPEN, SATURDAY_CLOSE), "hours");
    check(evlog_add_german_holidays(c, y0, y0 + 1), "holidays");
    return c;
}

/* An agent's own calendar: the shifts (Saturdays of the rota), minus
 * holidays and days off. */
static kpi_calendar *agent_calendar(const gen *g, int a)
{
    kpi_calendar *c = weekly_calendar(agents[a].start, agents[a].end, agents[a].days,
                                      agents[a].saturday != 0, START_YEAR);
    for (int d = 0; d < DAYS; d++) {
        int64_t lday = g->day0 + d;
        int wd = weekday_of(lday), s, e, hol = is_holiday(lday);
        int scheduled = wd == 6 ? agents[a].saturday != 0 : agents[a].days >> wd & 1;
        if (scheduled && !hol && !agent_works(g, a, d, wd, hol, &s, &e)) {
            int32_t y, m, dd;
            evlog_civil_from_days(lday, &y, &m, &dd);
            check(kpi_calendar_add_holiday(c, y, m, dd), "day off");
        }
    }
    return c;
}

static void setup(gen *g, size_t n_tickets)
{
    g->day0 = evlog_days_from_civil(START_YEAR, START_MONTH, START_DAY);
    g->office = weekly_calendar(8 * 60, 18 * 60, WEEKDAYS, 0, START_YEAR);
    g->live = weekly_calendar(7 * 60, 20 * 60, WEEKDAYS, 1, START_YEAR);
    for (int a = 1; a <= AGENTS; a++)
        g->agent_cal[a] = agent_calendar(g, a);
    g->start = local_to_utc(g, g->day0 * DAY_MS);
    g->end = local_to_utc(g, (g->day0 + DAYS) * DAY_MS);
    /* Zipf-Mandelbrot weights 1 / (rank + q) */
    double acc = 0;
    for (int i = 0; i < TOPICS; i++)
        g->topic_cdf[i] = acc += 1.0 / (i + 2.5);
    acc = 0;
    for (int i = 0; i < ACCOUNTS; i++)
        g->account_cdf[i] = acc += 1.0 / (i + 2.0);
    g->customers = (uint32_t)(ACCOUNTS + TAIL_PER_TICKET * n_tickets);
    if (g->customers % 7919 == 0) /* rank * 7919 mod customers must be a permutation */
        g->customers++;
}

/* logged_in records: one at the end of every shift worked */
static void shifts(gen *g)
{
    for (int d = 0; d < DAYS; d++) {
        int64_t lday = g->day0 + d;
        int wd = weekday_of(lday), hol = is_holiday(lday);
        for (int a = 1; a <= AGENTS; a++) {
            int s, e;
            if (!agent_works(g, a, d, wd, hol, &s, &e))
                continue;
            rng r = rng_stream(g->seed ^ UINT64_C(0x5111F7), (uint64_t)(a * 1000 + d));
            int64_t minutes = e - s - (e - s > 6 * 60 ? 30 : 0) + between(&r, -12, 8);
            if (g->n_events == g->cap_events)
                g->events = grow(g->events, &g->cap_events, sizeof *g->events);
            event *ev = &g->events[g->n_events++];
            memset(ev, 0, sizeof *ev);
            ev->time = local_to_utc(g, lday * DAY_MS + e * MIN_MS) + between(&r, 0, 600) * 1000;
            ev->ticket = UINT32_MAX;
            ev->actor = (uint32_t)a;
            ev->kind = KPI_EVENT_LOGGED_IN;
            ev->team = (uint8_t)agents[a].team;
            ev->value = minutes * MIN_MS;
        }
    }
}

/* ---- output ----------------------------------------------------------- */

static const gen *sort_gen;

static uint64_t event_ticket_id(const gen *g, const event *e)
{
    return e->ticket == UINT32_MAX ? 0 : g->tickets[e->ticket].id;
}

static int cmp_event(const void *pa, const void *pb)
{
    const event *a = pa, *b = pb;
    if (a->time != b->time)
        return a->time < b->time ? -1 : 1;
    uint64_t ta = event_ticket_id(sort_gen, a), tb = event_ticket_id(sort_gen, b);
    if (ta != tb)
        return ta < tb ? -1 : 1;
    if (ta == 0 && a->actor != b->actor) /* logged_in records of one instant */
        return a->actor < b->actor ? -1 : 1;
    return (a->seq > b->seq) - (a->seq < b->seq);
}

static int cmp_created(const void *pa, const void *pb)
{
    const ticket *a = *(const ticket *const *)pa, *b = *(const ticket *const *)pb;
    if (a->created != b->created)
        return a->created < b->created ? -1 : 1;
    return (a->order > b->order) - (a->order < b->order);
}

/* Writes the events before the end of the span; returns their number. */
static size_t write_log(gen *g, FILE *out)
{
    /* ticket ids in creation order */
    const ticket **by = malloc(g->n_tickets * sizeof *by);
    if (by == NULL)
        die("out of memory");
    for (size_t i = 0; i < g->n_tickets; i++)
        by[i] = &g->tickets[i];
    qsort(by, g->n_tickets, sizeof *by, cmp_created);
    for (size_t i = 0; i < g->n_tickets; i++)
        ((ticket *)by[i])->id = 100001 + i;
    free(by);
    sort_gen = g;
    qsort(g->events, g->n_events, sizeof *g->events, cmp_event);

    fprintf(out, "%s\n", EVLOG_HEADER);
    size_t i = 0;
    for (; i < g->n_events; i++) {
        const event *e = &g->events[i];
        if (e->time >= g->end)
            break;
        char when[64], actor[32] = "", value[24] = "", ticket_s[24] = "";
        const char *flags = "", *channel = "", *priority = "", *team = "", *topic = "";
        evlog_format_time(e->time, when);
        if (e->ticket != UINT32_MAX)
            snprintf(ticket_s, sizeof ticket_s, "%llu", (unsigned long long)event_ticket_id(g, e));
        const ticket *tk = e->ticket != UINT32_MAX ? &g->tickets[e->ticket] : NULL;
        switch (e->kind) {
        case KPI_EVENT_CREATED:
            snprintf(actor, sizeof actor, "cust-%05u", (unsigned)e->actor);
            channel = channel_names[tk->channel];
            priority = priority_names[tk->priority];
            topic = topics[tk->topic].name;
            flags = e->flags & KPI_EVENT_FLAG_BY_AGENT ? "by_agent" : "";
            break;
        case KPI_EVENT_AGENT_REPLY:
        case KPI_EVENT_NOTE:
        case KPI_EVENT_ASSIGNED:
        case KPI_EVENT_RESOLVED:
        case KPI_EVENT_LOGGED_IN:
            if (e->actor != 0)
                snprintf(actor, sizeof actor, "agent-%02u", (unsigned)e->actor);
            if (e->kind == KPI_EVENT_ASSIGNED || e->kind == KPI_EVENT_LOGGED_IN)
                team = team_names[e->team];
            flags = e->flags & KPI_EVENT_FLAG_BY_BOT ? "by_bot" : "";
            break;
        case KPI_EVENT_MERGED:
            snprintf(actor, sizeof actor, "%llu", (unsigned long long)g->tickets[e->actor].id);
            break;
        default:
            break;
        }
        if (e->kind == KPI_EVENT_CSAT || e->kind == KPI_EVENT_NPS || e->kind == KPI_EVENT_CES ||
            e->kind == KPI_EVENT_LOGGED_IN)
            snprintf(value, sizeof value, "%lld", (long long)e->value);
        fprintf(out, "%s,%s,%s,%s,%s,%s,%s,%s,%s,%s\n", when, evlog_kind_names[e->kind], ticket_s,
                actor, value, flags, channel, priority, team, topic);
    }
    return i;
}

static void usage(void)
{
    fprintf(stderr, "usage: gen_events [-n tickets] [-s seed] [-o file]\n");
    exit(2);
}

static unsigned long long number_arg(const char *s)
{
    char *end;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno != 0 || *s == '\0' || *end != '\0')
        usage();
    return v;
}

int main(int argc, char **argv)
{
    size_t n_tickets = 5000;
    const char *path = NULL;
    gen g;
    memset(&g, 0, sizeof g);
    g.seed = 20260302;
    for (int i = 1; i < argc; i++) {
        if (i + 1 >= argc)
            usage();
        if (strcmp(argv[i], "-n") == 0)
            n_tickets = (size_t)number_arg(argv[++i]);
        else if (strcmp(argv[i], "-s") == 0)
            g.seed = number_arg(argv[++i]);
        else if (strcmp(argv[i], "-o") == 0)
            path = argv[++i];
        else
            usage();
    }
    if (n_tickets < 10 || n_tickets > 1000000)
        die("-n must be 10 .. 1000000");
    setup(&g, n_tickets);
    make_arrivals(&g, n_tickets);
    for (uint32_t i = 0; i < g.n_tickets; i++) /* follow-ups join the list as they arise */
        simulate(&g, i);
    shifts(&g);

    if (path != NULL && strcmp(path, "-") == 0)
        path = NULL; /* "-o -": standard output, as the dashboard reads "-" */
    FILE *out = path ? fopen(path, "w") : stdout;
    if (out == NULL) {
        perror(path);
        return EXIT_FAILURE;
    }
    size_t written = write_log(&g, out);
    if (fflush(out) != 0 || ferror(out) || (path && fclose(out) != 0)) {
        perror(path ? path : "stdout");
        return EXIT_FAILURE;
    }
    fprintf(stderr, "gen_events: %zu events written (%zu simulated past the end are not)\n",
            written, g.n_events - written);
    kpi_calendar_free(g.office);
    kpi_calendar_free(g.live);
    for (int a = 1; a <= AGENTS; a++)
        kpi_calendar_free(g.agent_cal[a]);
    free(g.tickets);
    free(g.events);
    return 0;
}
