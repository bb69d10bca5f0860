/*
 * dashboard: a helpdesk KPI dashboard from an event log, with libkpi's
 * ticket engine.
 *
 *   dashboard [events.csv]        (default: the sample log shipped in
 *                                  examples/data/, made by gen_events)
 *
 * The program does the I/O, the library does the KPIs: it reads the CSV
 * of docs/format.md ("Event log CSV") line by line with plain C, turns
 * names (channels, priorities, teams, topics, agents, customers) into
 * codes, fills kpi_event records and hands them to kpi_engine_apply() in
 * batches of 4096.  A line the engine refuses is reported with its line
 * number and skipped; the rest of the batch goes on.  At the end of the
 * log the engine's clock is moved to the end of the last day
 * (kpi_engine_advance()), and the dashboard reads every KPI back: first
 * reply, reply and resolution times in calendar and business time, FCR,
 * reopens, repeat contacts and contacts per issue, CSAT, NPS, CES, SLA
 * compliance per priority, backlog and aging, volume per channel, top
 * topics over all time and the last 7 days, and a table per agent and
 * per team.
 *
 * The business calendar is Europe/Berlin as a POSIX TZ string (no tz
 * database), Monday to Friday 08:00-18:00, closed on the nine German
 * nationwide public holidays of today in each of the years 1900..2200
 * (today's list for every year: not the one-off Reformation Day
 * 2017-10-31, and German Unity Day on October 3 also before 1990; a line
 * dated outside 1900..2199 is reported and skipped: it would be taken
 * without them); days (volume, backlog) are CET days, midnight UTC+1, all
 * year round.
 *
 * Exit status: 0 when every line was applied, 3 when the dashboard was
 * printed but some lines were rejected, 1 on a fatal error (also when the
 * dashboard could not be written), 2 on usage.
 * SPDX-License-Identifier: MIT
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <kpi.h>
#include <kpi/engine.h>

#include "evlog.h"

#ifndef KPI_EXAMPLE_EVENTS
#define KPI_EXAMPLE_EVENTS "examples/data/events.csv"
#endif

#define BATCH 4096
#define MAX_LINE 4096
#define HOUR_MS KPI_MS_PER_HOUR
#define DAY_MS KPI_MS_PER_DAY
#define CET_ORIGIN_MS (-HOUR_MS) /* midnight UTC+1 */
#define PERIODS 90               /* days kept for volume, windows and backlog */
#define USUAL_PRIORITIES 4       /* low, normal, high, urgent: codes 0..3, always listed */
/* the years of the events taken; the calendar holds the holidays of one
 * more (the last day's local date, due times after the end) */
#define FIRST_YEAR 1900
#define LAST_YEAR 2199

#define CHECK(call)                                                           \
    do {                                                                      \
        int rc_ = (call);                                                     \
        if (rc_ != KPI_OK) {                                                  \
            fprintf(stderr, "dashboard: %s: %s\n", #call, kpi_strerror(rc_)); \
            exit(EXIT_FAILURE);                                               \
        }                                                                     \
    } while (0)

/* ---- names -> codes ---------------------------------------------------- */

/* An open-addressing table of names; a name's code is base + its index. */
typedef struct dict {
    char **names;
    uint32_t *aux; /* one number per name for the caller (an agent's team) */
    uint8_t *used; /* 1 once an event the engine applied carries the name */
    uint32_t n, cap, base, limit;
    uint32_t *slots; /* index + 1, 0 = empty */
    uint32_t nslots;
} dict;

static void *xrealloc(void *p, size_t n)
{
    p = realloc(p, n ? n : 1);
    if (p == NULL) {
        fprintf(stderr, "dashboard: out of memory\n");
        exit(EXIT_FAILURE);
    }
    return p;
}

static uint32_t hash_name(const char *s, size_t len)
{
    uint32_t h = 2166136261u; /* FNV-1a */
    for (size_t i = 0; i < len; i++)
        h = (h ^ (unsigned char)s[i]) * 16777619u;
    return h;
}

static void dict_rehash(dict *d)
{
    d->nslots = d->nslots ? d->nslots * 2 : 64;
    d->slots = xrealloc(d->slots, d->nslots * sizeof *d->slots);
    memset(d->slots, 0, d->nslots * sizeof *d->slots);
    for (uint32_t i = 0; i < d->n; i++) {
        uint32_t h = hash_name(d->names[i], strlen(d->names[i])) & (d->nslots - 1);
        while (d->slots[h])
            h = (h + 1) & (d->nslots - 1);
        d->slots[h] = i + 1;
    }
}

/* The code of a name; a new name gets the next code (*added = 1), or
 * UINT32_MAX once the dimension's codes run out. */
static uint32_t dict_code(dict *d, const char *s, size_t len, int *added)
{
    *added = 0;
    if (d->nslots == 0)
        dict_rehash(d);
    uint32_t h = hash_name(s, len) & (d->nslots - 1);
    for (; d->slots[h]; h = (h + 1) & (d->nslots - 1)) {
        const char *name = d->names[d->slots[h] - 1];
        if (strncmp(name, s, len) == 0 && name[len] == '\0')
            return d->base + d->slots[h] - 1;
    }
    if (d->base + d->n > d->limit)
        return UINT32_MAX;
    if (d->n == d->cap) {
        d->cap = d->cap ? d->cap * 2 : 16;
        d->names = xrealloc(d->names, d->cap * sizeof *d->names);
        d->aux = xrealloc(d->aux, d->cap * sizeof *d->aux);
        d->used = xrealloc(d->used, d->cap * sizeof *d->used);
    }
    char *copy = xrealloc(NULL, len + 1);
    memcpy(copy, s, len);
    copy[len] = '\0';
    d->names[d->n] = copy;
    d->aux[d->n] = 0;
    d->used[d->n] = 0;
    d->slots[h] = ++d->n;
    if (d->n * 2 > d->nslots)
        dict_rehash(d);
    *added = 1;
    return d->base + d->n - 1;
}

static const char *dict_name(const dict *d, uint32_t code) { return d->names[code - d->base]; }

/* The code of a known name, or UINT32_MAX. */
static uint32_t dict_lookup(const dict *d, const char *s)
{
    for (uint32_t i = 0; i < d->n; i++)
        if (strcmp(d->names[i], s) == 0)
            return d->base + i;
    return UINT32_MAX;
}

static void dict_free(dict *d)
{
    for (uint32_t i = 0; i < d->n; i++)
        free(d->names[i]);
    free(d->names);
    free(d->aux);
    free(d->used);
    free(d->slots);
}

/* ---- reading the log --------------------------------------------------- */

typedef struct field {
    const char *s;
    size_t len;
} field;

enum { F_TIME, F_KIND, F_TICKET, F_ACTOR, F_VALUE, F_FLAGS, F_CHANNEL, F_PRIORITY, F_TEAM, F_TOPIC };
static const char *const column_names[EVLOG_COLUMNS] = {
    "time", "kind", "ticket", "actor", "value", "flags", "channel", "priority", "team", "topic"};

/* dimensions named in the log, in the engine's KPI_DIM_* order */
enum { D_AGENT, D_TEAM, D_CHANNEL, D_PRIORITY, D_TOPIC, D_CUSTOMER, DICTS };
static const int dict_dim[DICTS] = {KPI_DIM_AGENT, KPI_DIM_TEAM, KPI_DIM_CHANNEL,
                                    KPI_DIM_PRIORITY, KPI_DIM_TOPIC, 0};

typedef struct reader {
    kpi_engine *engine;
    const char *path;
    dict names[DICTS];
    kpi_event batch[BATCH];
    unsigned long line_of[BATCH];
    size_t n;
    unsigned long lines, events, applied, rejected;
    int no_channel; /* a ticket without a channel was created */
    int spanned;    /* first_ms and last_ms hold an applied event's time */
    int64_t first_ms, last_ms;
} reader;

static void reject(reader *r, unsigned long line, const char *why)
{
    r->rejected++;
    fprintf(stderr, "%s:%lu: %s\n", r->path, line, why);
}

static int is_agent_kind(uint32_t kind)
{
    return kind == KPI_EVENT_AGENT_REPLY || kind == KPI_EVENT_NOTE || kind == KPI_EVENT_ASSIGNED ||
           kind == KPI_EVENT_RESOLVED || kind == KPI_EVENT_LOGGED_IN;
}

/* The names an applied event carries are those the tables list (a name
 * seen on refused lines only is no agent, channel, priority or team of
 * the figures). */
static void mark_used(reader *r, const kpi_event *ev)
{
    if (is_agent_kind(ev->kind) && ev->actor != 0)
        r->names[D_AGENT].used[ev->actor - r->names[D_AGENT].base] = 1;
    if (ev->team != 0)
        r->names[D_TEAM].used[ev->team - r->names[D_TEAM].base] = 1;
    if (ev->kind == KPI_EVENT_CREATED) {
        if (ev->channel != 0)
            r->names[D_CHANNEL].used[ev->channel - r->names[D_CHANNEL].base] = 1;
        else
            r->no_channel = 1;
        r->names[D_PRIORITY].used[ev->priority - r->names[D_PRIORITY].base] = 1;
    }
}

/* Apply the batch; report and skip each record the engine refuses. */
static void flush(reader *r)
{
    size_t done = 0;
    while (done < r->n) {
        size_t applied = 0;
        int rc = kpi_engine_apply(r->engine, r->batch + done, r->n - done, sizeof(kpi_event), &applied);
        for (size_t i = done; i < done + applied; i++) {
            const kpi_event *ev = &r->batch[i];
            if (ev->kind == KPI_EVENT_LOGGED_IN && ev->actor != 0) /* an agent's team: its last logged_in taken */
                r->names[D_AGENT].aux[ev->actor - r->names[D_AGENT].base] = ev->team;
            mark_used(r, ev);
            /* the span of the events applied (the first may not be line 2) */
            if (r->spanned == 0 || ev->time_ms < r->first_ms)
                r->first_ms = ev->time_ms;
            if (r->spanned == 0 || ev->time_ms > r->last_ms)
                r->last_ms = ev->time_ms;
            r->spanned = 1;
        }
        r->applied += applied;
        done += applied;
        if (rc == KPI_OK)
            break;
        char what[96];
        snprintf(what, sizeof what, "%s on ticket %llu", evlog_kind_names[r->batch[done].kind],
                 (unsigned long long)r->batch[done].ticket);
        r->rejected++;
        fprintf(stderr, "%s:%lu: %s: %s (%s)\n", r->path, r->line_of[done], what, kpi_status_name(rc),
                kpi_strerror(rc));
        done++;
    }
    r->n = 0;
}

static int parse_u64(const field *f, uint64_t *out)
{
    uint64_t v = 0;
    if (f->len == 0)
        return -1;
    for (size_t i = 0; i < f->len; i++) {
        if (f->s[i] < '0' || f->s[i] > '9')
            return -1;
        uint64_t digit = (uint64_t)(f->s[i] - '0');
        if (v > (UINT64_MAX - digit) / 10) /* every uint64 (a ticket id), nothing past it */
            return -1;
        v = v * 10 + digit;
    }
    *out = v;
    return 0;
}

static int parse_i64(const field *f, int64_t *out)
{
    field digits = *f;
    int neg = f->len > 0 && f->s[0] == '-';
    digits.s += neg;
    digits.len -= (size_t)neg;
    uint64_t v;
    if (parse_u64(&digits, &v) != 0 || v > (uint64_t)INT64_MAX + (uint64_t)neg)
        return -1;
    /* -2^63 has no positive int64 to negate */
    *out = !neg ? (int64_t)v : v > (uint64_t)INT64_MAX ? INT64_MIN : -(int64_t)v;
    return 0;
}

/* The code of a name in one of the dimensions (0 for an empty field);
 * a new agent, team, channel, priority or topic is named in the engine. */
static int name_code(reader *r, int which, const field *f, uint32_t *code)
{
    if (f->len == 0) {
        *code = 0;
        return 0;
    }
    /* a name the engine would refuse must not become a code without one */
    if (which != D_CUSTOMER && f->len > KPI_TOPK_MAX_LABEL)
        return -1;
    int added;
    *code = dict_code(&r->names[which], f->s, f->len, &added);
    if (*code == UINT32_MAX)
        return -1;
    if (added && which != D_CUSTOMER)
        return kpi_engine_set_name(r->engine, dict_dim[which], *code, dict_name(&r->names[which], *code)) ==
                       KPI_OK
                   ? 0
                   : -1;
    return 0;
}

/* The kinds whose value field is their datum: a survey's answer, a
 * logged_in record's time (an empty field is none, not 0). */
static int needs_value(uint32_t kind)
{
    return kind == KPI_EVENT_CSAT || kind == KPI_EVENT_NPS || kind == KPI_EVENT_CES ||
           kind == KPI_EVENT_LOGGED_IN;
}

#define STR_(x) #x
#define STR(x) STR_(x)

/* Whether a time's (UTC) year is one whose holidays the calendar holds:
 * business time over a day of another year would count its holidays open. */
static int in_calendar_years(int64_t ms)
{
    int32_t y, m, d;
    evlog_civil_from_days(evlog_day_of(ms), &y, &m, &d);
    return y >= FIRST_YEAR && y <= LAST_YEAR;
}

/* Parse one line into the next record of the batch; -1 rejects it. */
static int parse_line(reader *r, char *line, unsigned long lineno)
{
    field f[EVLOG_COLUMNS];
    int nf = 0;
    char *p = line;
    for (;;) {
        char *comma = strchr(p, ',');
        if (nf == EVLOG_COLUMNS) {
            reject(r, lineno, "more than 10 columns");
            return -1;
        }
        f[nf].s = p;
        f[nf].len = comma ? (size_t)(comma - p) : strlen(p);
        nf++;
        if (comma == NULL)
            break;
        p = comma + 1;
    }
    if (nf != EVLOG_COLUMNS) {
        reject(r, lineno, "fewer than 10 columns");
        return -1;
    }
    kpi_event ev;
    memset(&ev, 0, sizeof ev);
    ev.kind = evlog_kind_code(f[F_KIND].s, f[F_KIND].len);
    if (ev.kind == 0) {
        char why[80];
        snprintf(why, sizeof why, "unknown kind '%.*s'", (int)(f[F_KIND].len > 40 ? 40 : f[F_KIND].len),
                 f[F_KIND].s);
        reject(r, lineno, why);
        return -1;
    }
    const char *bad = NULL;
    uint32_t code;
    if (evlog_parse_time(f[F_TIME].s, f[F_TIME].len, &ev.time_ms) != 0)
        bad = column_names[F_TIME];
    else if (!in_calendar_years(ev.time_ms)) {
        reject(r, lineno, "time outside the years " STR(FIRST_YEAR) ".." STR(LAST_YEAR)
                          " of the business calendar");
        return -1;
    }
    else if (f[F_TICKET].len && parse_u64(&f[F_TICKET], &ev.ticket) != 0)
        bad = column_names[F_TICKET];
    else if (f[F_VALUE].len ? parse_i64(&f[F_VALUE], &ev.value) != 0 : needs_value(ev.kind))
        bad = column_names[F_VALUE]; /* no answer 0, no logged-in time 0 ms */
    if (bad == NULL && f[F_ACTOR].len) {
        if (ev.kind == KPI_EVENT_CREATED) {
            if (name_code(r, D_CUSTOMER, &f[F_ACTOR], &code) != 0)
                bad = column_names[F_ACTOR];
            ev.actor = code;
        } else if (is_agent_kind(ev.kind)) {
            if (name_code(r, D_AGENT, &f[F_ACTOR], &code) != 0)
                bad = column_names[F_ACTOR];
            ev.actor = code;
        } else if (parse_u64(&f[F_ACTOR], &ev.actor) != 0) { /* merged: the surviving ticket */
            bad = column_names[F_ACTOR];
        }
    }
    static const struct { int col, dict; } named[] = {
        {F_CHANNEL, D_CHANNEL}, {F_PRIORITY, D_PRIORITY}, {F_TEAM, D_TEAM}, {F_TOPIC, D_TOPIC}};
    uint32_t codes[4];
    for (int i = 0; i < 4 && bad == NULL; i++)
        if (name_code(r, named[i].dict, &f[named[i].col], &codes[i]) != 0)
            bad = column_names[named[i].col];
    /* a priority has no "none": code 0 is "low" (an empty field is not) */
    if (bad == NULL && ev.kind == KPI_EVENT_CREATED && f[F_PRIORITY].len == 0)
        bad = column_names[F_PRIORITY];
    if (bad == NULL && f[F_FLAGS].len) {
        static const char *const flag_names[] = {"by_agent", "by_bot"};
        const char *s = f[F_FLAGS].s, *end = s + f[F_FLAGS].len;
        for (;;) { /* names joined by '|', none empty (also not after the last '|') */
            const char *bar = memchr(s, '|', (size_t)(end - s));
            size_t len = (size_t)((bar ? bar : end) - s);
            uint32_t bit = 0;
            for (int i = 0; i < 2; i++)
                if (strlen(flag_names[i]) == len && memcmp(flag_names[i], s, len) == 0)
                    bit = 1u << i;
            if (bit == 0) {
                bad = column_names[F_FLAGS];
                break;
            }
            ev.flags |= bit;
            if (bar == NULL)
                break;
            s = bar + 1;
        }
    }
    if (bad != NULL) {
        char why[64];
        snprintf(why, sizeof why, "bad %s field", bad);
        reject(r, lineno, why);
        return -1;
    }
    ev.channel = codes[0];
    ev.priority = codes[1];
    ev.team = codes[2];
    ev.topic = codes[3];
    r->batch[r->n] = ev;
    r->line_of[r->n] = lineno;
    r->n++;
    return 0;
}

/* The engine's configuration: options, business calendar, SLA policy. */
static void configure(kpi_engine *e)
{
    CHECK(kpi_engine_set_option(e, KPI_ENGINE_OPT_PERIOD_ORIGIN_MS, CET_ORIGIN_MS));
    CHECK(kpi_engine_set_option(e, KPI_ENGINE_OPT_PERIODS, PERIODS));
    kpi_calendar *cal;
    CHECK(kpi_calendar_new(&cal, EVLOG_TZ));
    for (int wd = 1; wd <= 5; wd++)
        CHECK(kpi_calendar_add_hours(cal, wd, 8 * 60, 18 * 60));
    CHECK(evlog_add_german_holidays(cal, FIRST_YEAR, LAST_YEAR + 1));
    CHECK(kpi_engine_set_calendar(e, cal));
    /* targets in business hours: first reply, next reply, resolution */
    static const int64_t targets[4][3] = {
        {8, 16, 40}, /* low */
        {4, 8, 24},  /* normal */
        {2, 4, 16},  /* high */
        {1, 2, 8},   /* urgent */
    };
    kpi_sla_policy *sla;
    CHECK(kpi_sla_policy_new(&sla, cal));
    for (uint32_t p = 0; p < 4; p++)
        for (int m = 0; m < 3; m++)
            CHECK(kpi_sla_policy_set_target(sla, p, m, targets[p][m] * HOUR_MS, 1));
    CHECK(kpi_engine_set_sla_policy(e, sla));
    CHECK(kpi_engine_add_target(e, KPI_ENGINE_FRT, HOUR_MS));
    CHECK(kpi_engine_add_target(e, KPI_ENGINE_FRT_BUSINESS, 8 * HOUR_MS));
    kpi_sla_policy_free(sla);
    kpi_calendar_free(cal);
}

static void not_an_event_log(const reader *r)
{
    fprintf(stderr, "%s:1: not an event log: the header must be\n%s\n", r->path, EVLOG_HEADER);
    exit(EXIT_FAILURE);
}

/* One line without its LF: at most cap - 1 bytes kept (*too_long when
 * more followed), *nul when it holds a NUL byte; 0 at the end of the file.
 * (fgets() cannot tell a NUL from the end of what it read.) */
static int read_line(FILE *in, char *buf, size_t cap, size_t *len, int *too_long, int *nul)
{
    int c, any = 0;
    size_t n = 0;
    *too_long = *nul = 0;
    while ((c = getc(in)) != EOF) {
        any = 1;
        if (c == '\n')
            break;
        *nul |= c == '\0';
        if (n + 1 < cap)
            buf[n++] = (char)c;
        else
            *too_long = 1;
    }
    buf[n] = '\0';
    *len = n;
    return any;
}

static void read_log(reader *r, FILE *in)
{
    char line[MAX_LINE];
    size_t len;
    int too_long, nul;
    while (read_line(in, line, sizeof line, &len, &too_long, &nul)) {
        r->lines++;
        if (r->lines == 1 && (too_long || nul))
            not_an_event_log(r);
        if (too_long || nul) { /* an event line, refused */
            r->events++;
            reject(r, r->lines, too_long ? "line too long" : "NUL byte in the line");
            continue;
        }
        while (len > 0 && line[len - 1] == '\r')
            line[--len] = '\0';
        if (r->lines == 1) {
            if (strcmp(line, EVLOG_HEADER) != 0)
                not_an_event_log(r);
            continue;
        }
        if (len == 0)
            continue;
        r->events++;
        if (parse_line(r, line, r->lines) != 0)
            continue;
        if (r->n == BATCH)
            flush(r);
    }
    flush(r);
}

/* ---- printing ---------------------------------------------------------- */

/* "3d 04h", "5h 12m", "12m 05s", "45s" */
static const char *fmt_ms(double ms, char *buf, size_t cap)
{
    long long s = (long long)(ms / 1000.0 + 0.5);
    if (s >= 86400)
        snprintf(buf, cap, "%lldd %02lldh", s / 86400, s % 86400 / 3600);
    else if (s >= 3600)
        snprintf(buf, cap, "%lldh %02lldm", s / 3600, s % 3600 / 60);
    else if (s >= 60)
        snprintf(buf, cap, "%lldm %02llds", s / 60, s % 60);
    else
        snprintf(buf, cap, "%llds", s);
    return buf;
}

static const char *quantile(const kpi_duration *d, double q, char *buf, size_t cap)
{
    double v;
    if (d == NULL || kpi_duration_quantile(d, q, &v) != KPI_OK)
        return "-";
    return fmt_ms(v, buf, cap);
}

static const kpi_duration *duration_of(const kpi_engine *e, int metric, int dim, uint64_t key)
{
    const kpi_duration *d;
    return kpi_engine_duration(e, metric, dim, key, &d) == KPI_OK && kpi_duration_count(d) > 0 ? d : NULL;
}

static void duration_row(const kpi_engine *e, const char *label, int cal_metric, int bus_metric)
{
    char b[4][32];
    const kpi_duration *c = duration_of(e, cal_metric, KPI_DIM_ALL, 0);
    const kpi_duration *w = bus_metric >= 0 ? duration_of(e, bus_metric, KPI_DIM_ALL, 0) : NULL;
    printf("  %-34s %9s %9s   %9s %9s %8llu\n", label, quantile(c, 0.5, b[0], 32), quantile(c, 0.9, b[1], 32),
           quantile(w, 0.5, b[2], 32), quantile(w, 0.9, b[3], 32),
           (unsigned long long)(c ? kpi_duration_count(c) : 0));
}

static void share_line(const char *label, int rc, const kpi_estimate *est)
{
    if (rc != KPI_OK) {
        printf("  %-34s %8s   (%s)\n", label, "-", kpi_strerror(rc));
        return;
    }
    printf("  %-34s %7.1f%%   (95%% CI %5.1f%% .. %5.1f%%, n = %llu)\n", label, 100.0 * est->value,
           100.0 * est->lower, 100.0 * est->upper, (unsigned long long)est->n);
}

/* The share of a rate metric, or CSAT's satisfied and CES's easy share. */
static int share_of(const kpi_engine *e, int metric, int dim, uint64_t key, kpi_estimate *est)
{
    int rc;
    if (kpi_engine_metric_type(metric) == KPI_ENGINE_TYPE_SCORE) {
        const kpi_score *s;
        if ((rc = kpi_engine_score(e, metric, dim, key, &s)) != KPI_OK)
            return rc;
        return metric == KPI_ENGINE_CES ? kpi_score_ces_easy(s, est) : kpi_score_csat(s, est);
    }
    const kpi_rate *r;
    if ((rc = kpi_engine_rate(e, metric, dim, key, &r)) != KPI_OK)
        return rc;
    return kpi_rate_share(r, est);
}

static void rate_line(const kpi_engine *e, const char *label, int metric)
{
    kpi_estimate est;
    share_line(label, share_of(e, metric, KPI_DIM_ALL, 0, &est), &est);
}

/* "93.1%" for a key, or "-" */
static const char *share_cell(const kpi_engine *e, int metric, int dim, uint64_t key, char *buf, size_t cap)
{
    kpi_estimate est;
    if (share_of(e, metric, dim, key, &est) != KPI_OK)
        return "-";
    snprintf(buf, cap, "%.1f%%", 100.0 * est.value);
    return buf;
}

/* the mean answer of a survey metric with its interval */
static void mean_line(const kpi_engine *e, const char *label, int metric)
{
    const kpi_score *s;
    kpi_estimate mean;
    if (kpi_engine_score(e, metric, KPI_DIM_ALL, 0, &s) == KPI_OK && kpi_score_mean_ci(s, &mean) == KPI_OK)
        printf("  %-34s %8.2f   (95%% CI %5.2f .. %5.2f)\n", label, mean.value, mean.lower, mean.upper);
}

/* the local date of a CET day that starts at t (a period boundary) */
static void cet_date(int64_t t, char out[40])
{
    int32_t y, m, d;
    evlog_civil_from_days(evlog_day_of(t - CET_ORIGIN_MS), &y, &m, &d);
    snprintf(out, 40, "%04d-%02d-%02d", (int)y, (int)m, (int)d);
}

static void print_header(const reader *r)
{
    const kpi_engine *e = r->engine;
    char a[40], b[40];
    printf("libkpi ticket dashboard: %s\n", r->path);
    printf("  lines %lu: events %lu, applied %lu, rejected %lu\n", r->lines, r->events, r->applied,
           r->rejected);
    cet_date(r->first_ms, a);
    cet_date(r->last_ms, b);
    printf("  span %s .. %s, Europe/Berlin (%s); days are CET days\n", a, b, EVLOG_TZ);
    printf("  business hours Mon-Fri 08:00-18:00; holidays in the span:");
    /* the CET days of the span, as printed above */
    int64_t first_day = evlog_day_of(r->first_ms - CET_ORIGIN_MS);
    int64_t last_day = evlog_day_of(r->last_ms - CET_ORIGIN_MS);
    int32_t y0, y1, m, d;
    evlog_civil_from_days(first_day, &y0, &m, &d);
    evlog_civil_from_days(last_day, &y1, &m, &d);
    int any = 0;
    for (int32_t y = y0; y <= y1; y++) {
        evlog_holiday h[EVLOG_HOLIDAYS_PER_YEAR];
        evlog_german_holidays(y, h);
        for (int i = 0; i < EVLOG_HOLIDAYS_PER_YEAR; i++) {
            int64_t day = evlog_days_from_civil(h[i].year, h[i].month, h[i].day);
            if (day >= first_day && day <= last_day) {
                printf("%s %04d-%02d-%02d %s", any ? "," : "", (int)h[i].year, (int)h[i].month,
                       (int)h[i].day, h[i].name);
                any = 1;
            }
        }
    }
    printf("%s\n", any ? "" : " none");
    uint64_t created = 0, live = 0, settled = 0;
    CHECK(kpi_engine_count(e, KPI_ENGINE_COUNT_CREATED, &created));
    CHECK(kpi_engine_count(e, KPI_ENGINE_COUNT_LIVE, &live));
    CHECK(kpi_engine_count(e, KPI_ENGINE_COUNT_SETTLED, &settled));
    printf("  tickets created %llu, settled %llu, live now %llu\n", (unsigned long long)created,
           (unsigned long long)settled, (unsigned long long)live);
}

static void print_times(const kpi_engine *e, int64_t end)
{
    printf("\n== Response and resolution times       calendar p50       p90   business p50       p90        n\n");
    duration_row(e, "first reply time (FRT)", KPI_ENGINE_FRT, KPI_ENGINE_FRT_BUSINESS);
    duration_row(e, "reply time (every reply, ART)", KPI_ENGINE_REPLY_TIME, KPI_ENGINE_REPLY_TIME_BUSINESS);
    duration_row(e, "first resolution time", KPI_ENGINE_FIRST_RESOLUTION, KPI_ENGINE_FIRST_RESOLUTION_BUSINESS);
    duration_row(e, "full resolution time (settled)", KPI_ENGINE_FULL_RESOLUTION,
                 KPI_ENGINE_FULL_RESOLUTION_BUSINESS);
    duration_row(e, "requester wait time (settled)", KPI_ENGINE_REQUESTER_WAIT,
                 KPI_ENGINE_REQUESTER_WAIT_BUSINESS);
    duration_row(e, "agent work time (settled)", KPI_ENGINE_AGENT_WORK, KPI_ENGINE_AGENT_WORK_BUSINESS);
    /* the same reads over a window of the last 7 days */
    void *acc[2] = {NULL, NULL};
    int rc0 = kpi_engine_window(e, KPI_ENGINE_FRT, end - 7 * DAY_MS, INT64_MAX, &acc[0]);
    int rc1 = kpi_engine_window(e, KPI_ENGINE_FRT_BUSINESS, end - 7 * DAY_MS, INT64_MAX, &acc[1]);
    char b[4][32];
    const kpi_duration *c = rc0 == KPI_OK ? acc[0] : NULL, *w = rc1 == KPI_OK ? acc[1] : NULL;
    printf("  %-34s %9s %9s   %9s %9s %8llu\n", "FRT, last 7 days", quantile(c, 0.5, b[0], 32),
           quantile(c, 0.9, b[1], 32), quantile(w, 0.5, b[2], 32), quantile(w, 0.9, b[3], 32),
           (unsigned long long)(c ? kpi_duration_count(c) : 0));
    kpi_duration_free(acc[0]);
    kpi_duration_free(acc[1]);
    kpi_estimate est;
    const kpi_duration *frt = duration_of(e, KPI_ENGINE_FRT, KPI_DIM_ALL, 0);
    const kpi_duration *frt_b = duration_of(e, KPI_ENGINE_FRT_BUSINESS, KPI_DIM_ALL, 0);
    share_line("FRT within 1 hour", frt ? kpi_duration_share_within(frt, HOUR_MS, &est) : KPI_ERR_EMPTY, &est);
    share_line("FRT within 8 business hours",
               frt_b ? kpi_duration_share_within(frt_b, 8 * HOUR_MS, &est) : KPI_ERR_EMPTY, &est);
}

static void print_quality(const kpi_engine *e)
{
    printf("\n== Resolution quality\n");
    rate_line(e, "FCR (settled)", KPI_ENGINE_FCR);
    rate_line(e, "reopen rate (settled)", KPI_ENGINE_REOPEN);
    rate_line(e, "repeat contacts (7 days)", KPI_ENGINE_REPEAT_CONTACT);
    /* contacts per issue: 1 / (1 - the repeat share) */
    const kpi_rate *rep;
    kpi_estimate cpi;
    int rc = kpi_engine_rate(e, KPI_ENGINE_REPEAT_CONTACT, KPI_DIM_ALL, 0, &rep);
    if (rc == KPI_OK)
        rc = kpi_engine_contacts_per_issue(rep, &cpi);
    if (rc != KPI_OK)
        printf("  %-34s %8s   (%s)\n", "contacts per issue", "-", kpi_strerror(rc));
    else
        printf("  %-34s %8.2f   (95%% CI %.2f .. %.2f, n = %llu)\n", "contacts per issue", cpi.value,
               cpi.lower, cpi.upper, (unsigned long long)cpi.n);
}

static void print_surveys(const kpi_engine *e)
{
    printf("\n== Surveys\n");
    const kpi_score *s;
    kpi_estimate est, pro, pas, det;
    rate_line(e, "CSAT (4-5 of 5)", KPI_ENGINE_CSAT);
    mean_line(e, "CSAT mean (1-5)", KPI_ENGINE_CSAT);
    int rc = kpi_engine_score(e, KPI_ENGINE_NPS, KPI_DIM_ALL, 0, &s);
    if (rc == KPI_OK && (rc = kpi_score_nps(s, &est)) == KPI_OK &&
        (rc = kpi_score_nps_shares(s, &pro, &pas, &det)) == KPI_OK) {
        printf("  %-34s %+8.1f   (95%% CI %+.1f .. %+.1f, n = %llu)\n", "NPS (0-10)", est.value, est.lower,
               est.upper, (unsigned long long)est.n);
        printf("  %-34s %7.1f%% / %.1f%% / %.1f%%\n", "promoters / passives / detractors", 100.0 * pro.value,
               100.0 * pas.value, 100.0 * det.value);
    } else {
        printf("  %-34s %8s   (%s)\n", "NPS (0-10)", "-", kpi_strerror(rc));
    }
    rate_line(e, "CES easy (5-7 of 7)", KPI_ENGINE_CES);
    mean_line(e, "CES mean (1-7)", KPI_ENGINE_CES);
}

static void print_sla(const kpi_engine *e, const reader *r, int64_t end)
{
    static const int metrics[3] = {KPI_ENGINE_SLA_FIRST_REPLY, KPI_ENGINE_SLA_NEXT_REPLY, KPI_ENGINE_SLA_RESOLUTION};
    printf("\n== SLA compliance (business hours)    first reply          next reply           resolution\n");
    const dict *pr = &r->names[D_PRIORITY];
    for (uint32_t i = 0; i <= pr->n; i++) {
        int all = i == pr->n;
        uint32_t code = all ? 0 : pr->base + pr->n - 1 - i; /* urgent first */
        if (!all && code >= USUAL_PRIORITIES && !pr->used[code - pr->base])
            continue;
        printf("  %-34s", all ? "all priorities" : dict_name(pr, code));
        for (int m = 0; m < 3; m++) {
            kpi_estimate est;
            if (share_of(e, metrics[m], all ? KPI_DIM_ALL : KPI_DIM_PRIORITY, code, &est) == KPI_OK)
                printf(" %6.1f%% (n = %5llu)", 100.0 * est.value, (unsigned long long)est.n);
            else
                printf(" %6s  %11s", "-", "");
        }
        printf("\n");
    }
    uint64_t at_risk = 0, breached = 0;
    int64_t next_due = INT64_MAX;
    if (kpi_engine_sla_risk(e, end, DAY_MS, &at_risk, &breached, &next_due) == KPI_OK) {
        char due[64] = "none";
        if (next_due != INT64_MAX)
            evlog_format_time(next_due, due);
        printf("  live tickets: %llu already breached, %llu due within 24 hours; next due %s\n",
               (unsigned long long)breached, (unsigned long long)at_risk, due);
    }
}

static void print_backlog(const kpi_engine *e, int64_t end)
{
    printf("\n== Backlog                       created   unresolved at the end of the day\n");
    const kpi_series *vol = NULL;
    int64_t newest = INT64_MAX;
    int have_vol = kpi_engine_volume(e, KPI_DIM_ALL, 0, &vol) == KPI_OK &&
                   kpi_series_latest(vol, &newest) == KPI_OK;
    uint64_t ever = 0; /* no series before the first creation: none on any day */
    CHECK(kpi_engine_count(e, KPI_ENGINE_COUNT_CREATED, &ever));
    for (int k = 7; k >= 1; k--) {
        int64_t day = end - k * DAY_MS;
        char date[40], created[24] = "-", backlog[24] = "-";
        double v;
        uint64_t n;
        cet_date(day, date);
        /* the series ends with the last day a ticket was created: the
         * days after it, which the engine has seen pass, had none */
        if (ever == 0 || (have_vol && day > newest))
            snprintf(created, sizeof created, "0");
        else if (have_vol && kpi_series_period(vol, day, &v) == KPI_OK)
            snprintf(created, sizeof created, "%.0f", v);
        if (kpi_engine_backlog(e, day, &n) == KPI_OK)
            snprintf(backlog, sizeof backlog, "%llu", (unsigned long long)n);
        printf("  %-28s %9s   %9s\n", date, created, backlog);
    }
    static const struct { int counter; const char *name; } now[] = {
        {KPI_ENGINE_COUNT_UNRESOLVED, "unresolved"}, {KPI_ENGINE_COUNT_NEW, "new"},
        {KPI_ENGINE_COUNT_OPEN, "open"},             {KPI_ENGINE_COUNT_PENDING, "pending"},
        {KPI_ENGINE_COUNT_ON_HOLD, "on-hold"},       {KPI_ENGINE_COUNT_WAITING, "waiting for a reply"},
        {KPI_ENGINE_COUNT_SOLVED, "solved, in reopen window"}};
    printf("  now:");
    for (size_t i = 0; i < sizeof now / sizeof now[0]; i++) {
        uint64_t n = 0;
        CHECK(kpi_engine_count(e, now[i].counter, &n));
        printf("%s %s %llu", i ? "," : "", now[i].name, (unsigned long long)n);
    }
    printf("\n");
    uint64_t aging[KPI_ENGINE_AGING_BUCKETS];
    CHECK(kpi_engine_aging(e, end, aging));
    printf("  aging of the unresolved: < 1 day %llu, 1-3 days %llu, 3-7 days %llu, >= 7 days %llu\n",
           (unsigned long long)aging[0], (unsigned long long)aging[1], (unsigned long long)aging[2],
           (unsigned long long)aging[3]);
}

typedef struct volume {
    double count;
    const char *name;
} volume;

static int cmp_volume(const void *pa, const void *pb)
{
    const volume *a = pa, *b = pb;
    return a->count != b->count ? (a->count < b->count) - (a->count > b->count) : strcmp(a->name, b->name);
}

/* Tickets created in the last PERIODS days before `end`.  A channel's
 * series keeps the PERIODS days up to its own newest ticket, so its total
 * would reach further back for a channel quiet of late: the days are read
 * one by one (the days after its newest ticket had none). */
static double last_days(const kpi_series *s, int64_t end)
{
    double sum = 0, v;
    for (int k = PERIODS; k >= 1; k--)
        if (kpi_series_period(s, end - k * DAY_MS, &v) == KPI_OK)
            sum += v;
    return sum;
}

static void print_channels(const kpi_engine *e, const reader *r, int64_t end)
{
    const dict *ch = &r->names[D_CHANNEL];
    volume v[256];
    double total = 0;
    uint32_t rows = 0;
    for (uint32_t i = 0; i < ch->n; i++) {
        const kpi_series *s;
        if (!ch->used[i])
            continue;
        v[rows].name = ch->names[i];
        v[rows].count = kpi_engine_volume(e, KPI_DIM_CHANNEL, ch->base + i, &s) == KPI_OK ? last_days(s, end) : 0;
        total += v[rows++].count;
    }
    /* "all" is every ticket created: those created without a channel are
     * a row of their own (the sample log names a channel everywhere),
     * listed as a channel is, also at 0 in the window */
    const kpi_series *all;
    double created = kpi_engine_volume(e, KPI_DIM_ALL, 0, &all) == KPI_OK ? last_days(all, end) : 0;
    if (r->no_channel) {
        v[rows].name = "(none)";
        v[rows++].count = created > total ? created - total : 0;
    }
    if (created > total)
        total = created;
    qsort(v, rows, sizeof *v, cmp_volume);
    printf("\n== Volume per channel (tickets created, last %d days at most)\n", PERIODS);
    for (uint32_t i = 0; i < rows; i++) {
        double share = total > 0 ? v[i].count / total : 0;
        char bar[41];
        int len = (int)(share * 40 + 0.5);
        memset(bar, '#', (size_t)len);
        bar[len] = '\0';
        printf("  %-12s %7.0f %6.1f%%  %s\n", v[i].name, v[i].count, 100.0 * share, bar);
    }
    printf("  %-12s %7.0f\n", "all", total);
}

/* Ranks 1..n of a top-topics summary (with their bounds when `bounds`). */
static void topic_rows(const kpi_topk *tk, size_t n, int bounds)
{
    uint64_t total = kpi_topk_total(tk);
    for (size_t rank = 0; rank < n; rank++) {
        const char *label;
        size_t len;
        uint64_t count, lower, upper;
        if (kpi_topk_entry(tk, rank, &label, &len, &count, &lower, &upper) != KPI_OK)
            break;
        double share = total ? 100.0 * (double)count / (double)total : 0.0;
        if (bounds)
            printf("  %2zu. %-28.*s %6llu  (%llu .. %llu) %6.1f%%\n", rank + 1, (int)len, label,
                   (unsigned long long)count, (unsigned long long)lower, (unsigned long long)upper, share);
        else
            printf("  %2zu. %-28.*s %6llu %6.1f%%\n", rank + 1, (int)len, label, (unsigned long long)count,
                   share);
    }
}

static void print_topics(const kpi_engine *e, int64_t end)
{
    const kpi_topk *tk;
    CHECK(kpi_engine_top_topics(e, &tk));
    uint64_t total = kpi_topk_total(tk);
    printf("\n== Top 10 topics (of %llu tickets; counts within +- %llu)\n", (unsigned long long)total,
           (unsigned long long)kpi_topk_error_bound(tk));
    topic_rows(tk, 10, 1);
    /* the same over the last 7 days: the periods (CET days) from then on */
    kpi_topk *week = NULL;
    int rc = kpi_engine_window_topics(e, end - 7 * DAY_MS, INT64_MAX, &week);
    if (rc != KPI_OK) {
        printf("\n== Top 5 topics, last 7 days: - (%s)\n", kpi_strerror(rc));
        return;
    }
    printf("\n== Top 5 topics, last 7 days (of %llu tickets; counts within +- %llu)\n",
           (unsigned long long)kpi_topk_total(week), (unsigned long long)kpi_topk_error_bound(week));
    topic_rows(week, 5, 0);
    kpi_topk_free(week);
}

/* One row of the agent or team table. */
static void people_row(const kpi_engine *e, int dim, uint64_t key, const char *name, const char *team)
{
    const kpi_ratio *res = NULL, *rep = NULL;
    int have_res = kpi_engine_ratio(e, KPI_ENGINE_RESOLVED_PER_HOUR, dim, key, &res) == KPI_OK;
    int have_rep = kpi_engine_ratio(e, KPI_ENGINE_REPLIES_PER_HOUR, dim, key, &rep) == KPI_OK;
    double per_hour = 0;
    char b[4][32], rph[16] = "-";
    if (have_res && kpi_ratio_value(res, &per_hour) == KPI_OK)
        snprintf(rph, sizeof rph, "%.2f", per_hour);
    printf("  %-10s %-10s %8.0f %8.0f %9s %7s %7s %7s\n", name, team, have_res ? kpi_ratio_numerator(res) : 0.0,
           have_rep ? kpi_ratio_numerator(rep) : 0.0, quantile(duration_of(e, KPI_ENGINE_FRT, dim, key), 0.5, b[0], 32),
           share_cell(e, KPI_ENGINE_CSAT, dim, key, b[1], 32), share_cell(e, KPI_ENGINE_FCR, dim, key, b[2], 32), rph);
}

static int cmp_name(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static void print_people(const kpi_engine *e, const reader *r)
{
    const dict *ag = &r->names[D_AGENT], *tm = &r->names[D_TEAM];
    printf("\n== Agents       team       resolves  replies   FRT p50    CSAT     FCR  res./h\n");
    const char **sorted = xrealloc(NULL, (ag->n ? ag->n : 1) * sizeof *sorted);
    uint32_t listed = 0;
    for (uint32_t i = 0; i < ag->n; i++)
        if (ag->used[i])
            sorted[listed++] = ag->names[i];
    qsort(sorted, listed, sizeof *sorted, cmp_name);
    for (uint32_t i = 0; i < listed; i++) {
        uint32_t code = dict_lookup(ag, sorted[i]);
        uint32_t team = ag->aux[code - ag->base];
        people_row(e, KPI_DIM_AGENT, code, sorted[i], team ? dict_name(tm, team) : "-");
    }
    free(sorted);
    printf("  -- teams\n");
    for (uint32_t i = 0; i < tm->n; i++)
        if (tm->used[i])
            people_row(e, KPI_DIM_TEAM, tm->base + i, dict_name(tm, tm->base + i), "");
}

static void print_counters(const kpi_engine *e)
{
    static const struct { int counter; const char *name; } c[] = {
        {KPI_ENGINE_COUNT_CREATED, "created"},         {KPI_ENGINE_COUNT_RESOLVED, "resolved"},
        {KPI_ENGINE_COUNT_RESOLVES, "resolves"},       {KPI_ENGINE_COUNT_REOPENS, "reopens"},
        {KPI_ENGINE_COUNT_CLOSED, "closed"},           {KPI_ENGINE_COUNT_MERGED, "merged"},
        {KPI_ENGINE_COUNT_REPLIES, "agent replies"},   {KPI_ENGINE_COUNT_BOT_REPLIES, "bot replies"},
        {KPI_ENGINE_COUNT_BOT_RESOLVED, "bot-resolved"}, {KPI_ENGINE_COUNT_HANDOFFS, "handoffs"},
        {KPI_ENGINE_COUNT_CUSTOMER_MESSAGES, "customer messages"}, {KPI_ENGINE_COUNT_NOTES, "notes"},
        {KPI_ENGINE_COUNT_SURVEYS, "surveys"},         {KPI_ENGINE_COUNT_EVENTS, "events"}};
    printf("\n== Counters\n ");
    for (size_t i = 0; i < sizeof c / sizeof c[0]; i++) {
        uint64_t n = 0;
        CHECK(kpi_engine_count(e, c[i].counter, &n));
        printf(" %s %llu%s", c[i].name, (unsigned long long)n, i + 1 < sizeof c / sizeof c[0] ? "," : "\n");
        if (i % 5 == 4 && i + 1 < sizeof c / sizeof c[0])
            printf("\n ");
    }
    printf("  engine memory %zu bytes (%zu for live tickets)\n", kpi_engine_footprint(e),
           kpi_engine_ticket_bytes(e));
}

int main(int argc, char **argv)
{
    if (argc > 2 || (argc == 2 && argv[1][0] == '-' && argv[1][1] != '\0')) {
        fprintf(stderr, "usage: dashboard [events.csv]\n");
        return 2;
    }
    static reader r; /* large: the batch */
    r.path = argc == 2 ? argv[1] : KPI_EXAMPLE_EVENTS;
    FILE *in = strcmp(r.path, "-") == 0 ? stdin : fopen(r.path, "r");
    if (in == NULL) {
        fprintf(stderr, "dashboard: %s: %s\n", r.path, strerror(errno));
        return EXIT_FAILURE;
    }
    static const uint32_t limits[DICTS] = {UINT32_MAX - 1, 65535, 255, 255, UINT32_MAX - 1, UINT32_MAX - 1};
    for (int i = 0; i < DICTS; i++) {
        r.names[i].base = i == D_PRIORITY ? 0 : 1;
        r.names[i].limit = limits[i];
    }
    CHECK(kpi_engine_new(&r.engine));
    configure(r.engine);
    /* the SLA targets are per priority code: fix the codes of the usual names */
    static const char *const priorities[USUAL_PRIORITIES] = {"low", "normal", "high", "urgent"};
    for (int i = 0; i < USUAL_PRIORITIES; i++) {
        field f = {priorities[i], strlen(priorities[i])};
        uint32_t code;
        if (name_code(&r, D_PRIORITY, &f, &code) != 0)
            return EXIT_FAILURE;
    }
    read_log(&r, in);
    if (ferror(in)) {
        fprintf(stderr, "dashboard: %s: read error\n", r.path);
        return EXIT_FAILURE;
    }
    if (in != stdin)
        fclose(in);
    if (r.applied == 0) {
        fprintf(stderr, "dashboard: %s: no event applied\n", r.path);
        return EXIT_FAILURE;
    }
    /* the end of the last (CET) day of the log: every day's backlog is final */
    int64_t t;
    CHECK(kpi_engine_time(r.engine, &t));
    int64_t end = CET_ORIGIN_MS + (evlog_day_of(t - CET_ORIGIN_MS) + 1) * DAY_MS;
    CHECK(kpi_engine_advance(r.engine, end));

    print_header(&r);
    print_times(r.engine, end);
    print_quality(r.engine);
    print_surveys(r.engine);
    print_sla(r.engine, &r, end);
    print_backlog(r.engine, end);
    print_channels(r.engine, &r, end);
    print_topics(r.engine, end);
    print_people(r.engine, &r);
    print_counters(r.engine);

    kpi_engine_free(r.engine);
    for (int i = 0; i < DICTS; i++)
        dict_free(&r.names[i]);
    if (fflush(stdout) != 0 || ferror(stdout)) { /* a dashboard not written is no success */
        fprintf(stderr, "dashboard: stdout: write error\n");
        return EXIT_FAILURE;
    }
    return r.rejected ? 3 : 0;
}
