/*
 * Ticket engine: kpi_engine_apply() over a stream with 1 M live tickets,
 * beside a naive reference computation in the same run.
 *
 * The stream: 1 M tickets are created first, then the rest of their
 * lifecycles (customer messages, human and bot replies, handoffs, notes,
 * pending, on-hold, assignments, resolves, reopens, surveys, closes) are
 * interleaved at random across the tickets, each ticket's events in
 * order, the whole stream in time order over four days, so that no ticket
 * settles (the reopen window is seven days) and all 1 M are live at the
 * end: the peak.
 *
 * The reference: a per-ticket struct in a chained hash map (one malloc
 * per ticket), exact FRT and first resolution time (every value stored,
 * sorted for p50 and p90) and FCR (exactly one reply), computed with the
 * engine's definitions so that the figures can be compared.
 *
 * kpi_engine_apply() is timed both by the wall clock and by the thread's
 * CPU time, which moves less when the machine is shared.
 *
 * KPI_BENCH_QUICK=1 shrinks the stream to 20,000 tickets.
 * SPDX-License-Identifier: MIT
 */
#include <math.h>
#include <pthread.h>

#include "bench.h"
#include "kpi/engine.h"

#define T0 INT64_C(1772409600000) /* 2026-03-02T00:00:00Z */
#define STEP_MS 30                /* between two events of the stream */
#define MAX_SCRIPT 24
#define TOPICS 40
#define AGENTS 200
#define CUSTOMERS 300000
#define HOUR_MS INT64_C(3600000)

static int chance(double p) { return bench_unif() < p; }
static uint32_t below(uint32_t n) { return (uint32_t)(bench_rand() % n); }

/* ---- the stream -------------------------------------------------------- */

typedef struct script {
    uint8_t n;
    uint8_t kind[MAX_SCRIPT];
    uint8_t flags[MAX_SCRIPT];
} script;

static void add(script *s, uint32_t kind, uint32_t flags)
{
    s->kind[s->n] = (uint8_t)kind;
    s->flags[s->n] = (uint8_t)flags;
    s->n++;
}

/* One ticket's lifecycle, a valid sequence for the engine. */
static void make_script(script *s)
{
    s->n = 0;
    int outbound = chance(0.03), chat = !outbound && chance(0.25);
    add(s, KPI_EVENT_CREATED, outbound ? KPI_EVENT_FLAG_BY_AGENT : 0);
    if (outbound) {
        add(s, KPI_EVENT_ASSIGNED, 0);
        add(s, KPI_EVENT_AGENT_REPLY, 0);
        add(s, KPI_EVENT_PENDING, 0);
        add(s, KPI_EVENT_CUSTOMER_MESSAGE, 0);
        add(s, KPI_EVENT_AGENT_REPLY, 0);
    } else {
        if (chat) {
            add(s, KPI_EVENT_BOT_REPLY, 0);
            if (chance(0.5)) {
                add(s, KPI_EVENT_CUSTOMER_MESSAGE, 0);
                add(s, KPI_EVENT_BOT_REPLY, 0);
            }
            if (chance(0.3)) {
                add(s, KPI_EVENT_RESOLVED, KPI_EVENT_FLAG_BY_BOT);
                goto solved;
            }
            add(s, KPI_EVENT_HANDOFF, 0);
        }
        add(s, KPI_EVENT_ASSIGNED, 0);
        if (chance(0.2))
            add(s, KPI_EVENT_NOTE, 0);
        add(s, KPI_EVENT_AGENT_REPLY, 0);
        for (uint32_t round = below(3); round > 0; round--) {
            if (chance(0.1)) {
                add(s, KPI_EVENT_ON_HOLD, 0);
                add(s, KPI_EVENT_OPEN, 0);
            } else {
                add(s, KPI_EVENT_PENDING, 0);
                add(s, KPI_EVENT_CUSTOMER_MESSAGE, 0);
            }
            add(s, KPI_EVENT_AGENT_REPLY, 0);
        }
        if (chance(0.1))
            return; /* still open at the end */
    }
    add(s, KPI_EVENT_RESOLVED, 0);
solved:
    if (chance(0.08)) {
        add(s, chance(0.5) ? KPI_EVENT_REOPENED : KPI_EVENT_CUSTOMER_MESSAGE, 0);
        add(s, KPI_EVENT_AGENT_REPLY, 0);
        add(s, KPI_EVENT_RESOLVED, 0);
    }
    if (chance(0.25))
        add(s, KPI_EVENT_CSAT, 0);
    if (chance(0.10))
        add(s, KPI_EVENT_CES, 0);
    if (chance(0.08))
        add(s, KPI_EVENT_NPS, 0);
    if (chance(0.2))
        add(s, KPI_EVENT_CLOSED, 0);
}

static uint64_t ticket_id(size_t i) { return UINT64_C(5000000) + i; }
static uint64_t agent_of(size_t i) { return 1 + (i * 2654435761u) % AGENTS; }

static void fill(kpi_event *ev, size_t ticket, uint32_t kind, uint32_t flags, int64_t t)
{
    memset(ev, 0, sizeof *ev);
    ev->time_ms = t;
    ev->ticket = ticket_id(ticket);
    ev->kind = kind;
    ev->flags = flags;
    switch (kind) {
    case KPI_EVENT_CREATED:
        ev->actor = 1 + below(CUSTOMERS);
        ev->channel = below(5);
        ev->priority = below(4);
        ev->topic = 1 + (below(TOPICS) * below(TOPICS)) / TOPICS; /* skewed */
        break;
    case KPI_EVENT_ASSIGNED:
        ev->actor = agent_of(ticket);
        ev->team = 1 + (uint32_t)(ev->actor % 5);
        break;
    case KPI_EVENT_AGENT_REPLY:
    case KPI_EVENT_NOTE:
        ev->actor = agent_of(ticket);
        break;
    case KPI_EVENT_CSAT:
        ev->value = 1 + below(5);
        break;
    case KPI_EVENT_NPS:
        ev->value = below(11);
        break;
    case KPI_EVENT_CES:
        ev->value = 1 + below(7);
        break;
    default:
        break;
    }
}

/* Creations first, then every other event at a random place, each
 * ticket's in order; times rise by STEP_MS an event. */
static kpi_event *make_stream(size_t tickets, size_t *n_out)
{
    script *scripts = malloc(tickets * sizeof *scripts);
    size_t total = 0;
    for (size_t i = 0; i < tickets; i++) {
        make_script(&scripts[i]);
        total += scripts[i].n;
    }
    kpi_event *ev = malloc(total * sizeof *ev);
    uint32_t *slot = malloc((total - tickets) * sizeof *slot);
    uint8_t *next = malloc(tickets);
    if (scripts == NULL || ev == NULL || slot == NULL || next == NULL) {
        fprintf(stderr, "bench_engine: out of memory\n");
        exit(1);
    }
    size_t k = 0;
    for (size_t i = 0; i < tickets; i++) {
        fill(&ev[i], i, KPI_EVENT_CREATED, scripts[i].flags[0], T0 + (int64_t)i * STEP_MS);
        next[i] = 1;
        for (int j = 1; j < scripts[i].n; j++)
            slot[k++] = (uint32_t)i;
    }
    for (size_t i = k; i > 1; i--) { /* Fisher-Yates */
        size_t j = (size_t)(bench_rand() % i);
        uint32_t t = slot[i - 1];
        slot[i - 1] = slot[j];
        slot[j] = t;
    }
    for (size_t p = 0; p < k; p++) {
        uint32_t i = slot[p];
        int j = next[i]++;
        fill(&ev[tickets + p], i, scripts[i].kind[j], scripts[i].flags[j],
             T0 + (int64_t)(tickets + p) * STEP_MS);
    }
    free(scripts);
    free(slot);
    free(next);
    *n_out = total;
    return ev;
}

/* ---- the engine -------------------------------------------------------- */

static kpi_calendar *calendar;
static kpi_sla_policy *policy;

enum { PLAIN, BUSINESS, TOTALS };

/* A fresh engine: default options (PLAIN), with the dashboard's calendar
 * and SLA policy (BUSINESS), or without breakdowns (TOTALS). */
static kpi_engine *new_engine(int config)
{
    kpi_engine *e = NULL;
    int rc = kpi_engine_new(&e);
    if (rc == KPI_OK && config == TOTALS)
        rc = kpi_engine_set_option(e, KPI_ENGINE_OPT_BREAKDOWNS, 0);
    char name[16];
    for (uint32_t t = 1; t <= TOPICS && rc == KPI_OK; t++) {
        snprintf(name, sizeof name, "topic-%02u", (unsigned)t);
        rc = kpi_engine_set_name(e, KPI_DIM_TOPIC, t, name);
    }
    if (rc == KPI_OK && config == BUSINESS)
        rc = kpi_engine_set_calendar(e, calendar);
    if (rc == KPI_OK && config == BUSINESS)
        rc = kpi_engine_set_sla_policy(e, policy);
    if (rc != KPI_OK) {
        fprintf(stderr, "bench_engine: engine setup: %s\n", kpi_strerror(rc));
        exit(1);
    }
    return e;
}

static int apply_all(kpi_engine *e, const kpi_event *ev, size_t n)
{
    size_t applied = 0;
    int rc = kpi_engine_apply(e, ev, n, sizeof *ev, &applied);
    if (rc != KPI_OK)
        fprintf(stderr, "bench_engine: record %zu (kind %u): %s\n", applied, (unsigned)ev[applied].kind,
                kpi_strerror(rc));
    return rc;
}

/* The calling thread's CPU time: on a machine shared with other work it
 * moves less than the wall clock. */
static double cpu_now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

/* Medians of the wall and thread CPU ns per event of one kpi_engine_apply()
 * over the stream, each repetition on a fresh engine of `config` (made
 * untimed); the last engine is left in *e. */
static void apply_times(const kpi_event *ev, size_t n, int config, kpi_engine **e, double *wall,
                        double *cpu, int *fail)
{
    double w[BENCH_MAX_REPS], c[BENCH_MAX_REPS];
    int reps = bench_reps();
    for (int r = 0; r < reps; r++) {
        kpi_engine_free(*e);
        *e = new_engine(config);
        double c0 = cpu_now_ns(), t0 = bench_now_ns();
        *fail |= apply_all(*e, ev, n);
        w[r] = (bench_now_ns() - t0) / (double)n;
        c[r] = (cpu_now_ns() - c0) / (double)n;
    }
    *wall = bench_median(w, reps);
    *cpu = bench_median(c, reps);
}

/* ---- the naive reference ------------------------------------------------ */

typedef struct nticket {
    struct nticket *next;
    uint64_t id;
    int64_t created, frt_start; /* frt_start < 0: the clock does not run */
    uint32_t replies;
    uint8_t by_agent, frt_done, resolved, reopened, solved;
} nticket;

typedef struct naive {
    nticket **bucket;
    size_t nbuckets, count;
    int64_t *frt, *res;
    size_t n_frt, n_res, cap_frt, cap_res;
    size_t bytes; /* requested from malloc, with its 16-byte granularity */
} naive;

static size_t malloc_chunk(size_t n) { return n + 8 < 32 ? 32 : (n + 8 + 15) & ~(size_t)15; }

static size_t hash_id(uint64_t id, size_t nb)
{
    return (size_t)((id * UINT64_C(0x9E3779B97F4A7C15)) >> 20) & (nb - 1);
}

static nticket *naive_find(const naive *m, uint64_t id)
{
    for (nticket *t = m->bucket[hash_id(id, m->nbuckets)]; t; t = t->next)
        if (t->id == id)
            return t;
    return NULL;
}

static void naive_grow(naive *m)
{
    size_t nb = m->nbuckets ? m->nbuckets * 2 : 1024;
    nticket **b = calloc(nb, sizeof *b);
    for (size_t i = 0; i < m->nbuckets; i++)
        for (nticket *t = m->bucket[i], *nx; t; t = nx) {
            nx = t->next;
            size_t h = hash_id(t->id, nb);
            t->next = b[h];
            b[h] = t;
        }
    free(m->bucket);
    m->bucket = b;
    m->nbuckets = nb;
}

static void push(int64_t **v, size_t *n, size_t *cap, int64_t x)
{
    if (*n == *cap) {
        *cap = *cap ? *cap * 2 : 1024;
        *v = realloc(*v, *cap * sizeof **v);
    }
    (*v)[(*n)++] = x;
}

static void naive_event(naive *m, const kpi_event *ev)
{
    if (ev->kind == KPI_EVENT_CREATED) {
        if (m->count >= m->nbuckets)
            naive_grow(m);
        nticket *t = calloc(1, sizeof *t);
        t->id = ev->ticket;
        t->created = ev->time_ms;
        t->by_agent = (ev->flags & KPI_EVENT_FLAG_BY_AGENT) != 0;
        t->frt_start = t->by_agent ? -1 : ev->time_ms;
        size_t h = hash_id(t->id, m->nbuckets);
        t->next = m->bucket[h];
        m->bucket[h] = t;
        m->count++;
        return;
    }
    nticket *t = naive_find(m, ev->ticket);
    if (t == NULL)
        return;
    switch (ev->kind) {
    case KPI_EVENT_CUSTOMER_MESSAGE:
        if (t->solved)
            t->solved = 0, t->reopened = 1;
        if (t->frt_start < 0 && !t->frt_done)
            t->frt_start = ev->time_ms;
        break;
    case KPI_EVENT_HANDOFF:
        if (!t->frt_done)
            t->frt_start = ev->time_ms;
        break;
    case KPI_EVENT_AGENT_REPLY: /* the first while the clock runs is the FRT */
        t->replies++;
        if (!t->frt_done && t->frt_start >= 0) {
            push(&m->frt, &m->n_frt, &m->cap_frt, ev->time_ms - t->frt_start);
            t->frt_done = 1;
        }
        break;
    case KPI_EVENT_RESOLVED:
        if (!t->resolved)
            push(&m->res, &m->n_res, &m->cap_res, ev->time_ms - t->created);
        t->resolved = t->solved = t->frt_done = 1;
        break;
    case KPI_EVENT_REOPENED:
        t->solved = 0;
        t->reopened = 1;
        break;
    default:
        break;
    }
}

static int cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

typedef struct figures {
    double frt_p50, frt_p90, res_p50, res_p90, fcr;
    uint64_t frt_n;
} figures;

static double pick(const int64_t *v, size_t n, double q) { return n ? (double)v[(size_t)(q * (double)(n - 1))] : 0; }

/* the KPIs out of the naive map: sort for the percentiles, walk for FCR */
static figures naive_read(naive *m)
{
    figures f;
    qsort(m->frt, m->n_frt, sizeof *m->frt, cmp_i64);
    qsort(m->res, m->n_res, sizeof *m->res, cmp_i64);
    f.frt_n = m->n_frt;
    f.frt_p50 = pick(m->frt, m->n_frt, 0.5);
    f.frt_p90 = pick(m->frt, m->n_frt, 0.9);
    f.res_p50 = pick(m->res, m->n_res, 0.5);
    f.res_p90 = pick(m->res, m->n_res, 0.9);
    size_t resolved = 0, one_touch = 0;
    for (size_t i = 0; i < m->nbuckets; i++)
        for (const nticket *t = m->bucket[i]; t; t = t->next)
            if (t->resolved) {
                resolved++;
                one_touch += t->replies == 1 && !t->reopened;
            }
    f.fcr = resolved ? (double)one_touch / (double)resolved : 0;
    m->bytes = m->count * malloc_chunk(sizeof(nticket)) + malloc_chunk(m->nbuckets * sizeof *m->bucket) +
               malloc_chunk(m->cap_frt * sizeof *m->frt) + malloc_chunk(m->cap_res * sizeof *m->res);
    return f;
}

static void naive_free(naive *m)
{
    for (size_t i = 0; i < m->nbuckets; i++)
        for (nticket *t = m->bucket[i], *nx; t; t = nx) {
            nx = t->next;
            free(t);
        }
    free(m->bucket);
    free(m->frt);
    free(m->res);
    memset(m, 0, sizeof *m);
}

/* The figures from FRT, first resolution time and FCR (any may be NULL). */
static figures figures_of(const kpi_duration *frt, const kpi_duration *res, const kpi_rate *fcr)
{
    figures f;
    kpi_estimate est;
    memset(&f, 0, sizeof f);
    if (frt != NULL) {
        f.frt_n = kpi_duration_count(frt);
        kpi_duration_quantile(frt, 0.5, &f.frt_p50);
        kpi_duration_quantile(frt, 0.9, &f.frt_p90);
    }
    if (res != NULL) {
        kpi_duration_quantile(res, 0.5, &f.res_p50);
        kpi_duration_quantile(res, 0.9, &f.res_p90);
    }
    if (fcr != NULL && kpi_rate_share(fcr, &est) == KPI_OK)
        f.fcr = est.value;
    return f;
}

static const kpi_duration *duration_of(const kpi_engine *e, int metric)
{
    const kpi_duration *d;
    return kpi_engine_duration(e, metric, KPI_DIM_ALL, 0, &d) == KPI_OK ? d : NULL;
}

static const kpi_rate *fcr_of(const kpi_engine *e)
{
    const kpi_rate *r;
    return kpi_engine_rate(e, KPI_ENGINE_FCR, KPI_DIM_ALL, 0, &r) == KPI_OK ? r : NULL;
}

static figures engine_read(const kpi_engine *e)
{
    return figures_of(duration_of(e, KPI_ENGINE_FRT), duration_of(e, KPI_ENGINE_FIRST_RESOLUTION),
                      fcr_of(e));
}

/* A copy of a's duration of `metric` with b's merged in (NULL if either
 * has none or a step fails). */
static kpi_duration *merged_duration(const kpi_engine *a, const kpi_engine *b, int metric)
{
    const kpi_duration *da = duration_of(a, metric), *db = duration_of(b, metric);
    kpi_duration *d = NULL;
    if (da == NULL || db == NULL || kpi_duration_clone(da, &d) != KPI_OK)
        return NULL;
    if (kpi_duration_merge(d, db) != KPI_OK) {
        kpi_duration_free(d);
        return NULL;
    }
    return d;
}

/* One KPI read from two shards: the two engines' accumulators cloned and
 * merged at read time (the engines themselves stay as they are). */
static figures shards_read(const kpi_engine *a, const kpi_engine *b)
{
    kpi_duration *frt = merged_duration(a, b, KPI_ENGINE_FRT);
    kpi_duration *res = merged_duration(a, b, KPI_ENGINE_FIRST_RESOLUTION);
    const kpi_rate *ra = fcr_of(a), *rb = fcr_of(b);
    kpi_rate *fcr = NULL;
    if (ra != NULL && rb != NULL && kpi_rate_clone(ra, &fcr) == KPI_OK &&
        kpi_rate_merge(fcr, rb) != KPI_OK) {
        kpi_rate_free(fcr);
        fcr = NULL;
    }
    figures f = figures_of(frt, res, fcr);
    kpi_duration_free(frt);
    kpi_duration_free(res);
    kpi_rate_free(fcr);
    return f;
}

static int same_figures(const figures *x, const figures *y)
{
    return x->frt_n == y->frt_n && x->frt_p50 == y->frt_p50 && x->frt_p90 == y->frt_p90 &&
           x->res_p50 == y->res_p50 && x->res_p90 == y->res_p90 && x->fcr == y->fcr;
}

/* ---- two engines on the machine's two cores ------------------------------ */

typedef struct shard_job {
    kpi_engine *e;
    const kpi_event *ev;
    size_t n;
    int rc;
} shard_job;

static void *shard_apply(void *arg)
{
    shard_job *j = arg;
    j->rc = apply_all(j->e, j->ev, j->n);
    return NULL;
}

/* Split the stream in two by each ticket's customer (parity of the id the
 * creation names), each shard's events in stream order: a customer's
 * tickets all go to one engine, so repeat contacts stay whole.  The
 * creations are the stream's first `tickets` events, ticket i's first. */
static int split_by_customer(const kpi_event *ev, size_t n, size_t tickets, kpi_event *shard[2],
                             size_t sn[2])
{
    uint8_t *side = malloc(tickets);
    shard[0] = malloc(n * sizeof *ev);
    shard[1] = malloc(n * sizeof *ev);
    sn[0] = sn[1] = 0;
    if (side == NULL || shard[0] == NULL || shard[1] == NULL) {
        free(side);
        return -1;
    }
    for (size_t i = 0; i < tickets; i++)
        side[i] = (uint8_t)(ev[i].actor & 1);
    for (size_t i = 0; i < n; i++) {
        int k = side[ev[i].ticket - ticket_id(0)];
        shard[k][sn[k]++] = ev[i];
    }
    free(side);
    return 0;
}

/* Fresh engines for both shards (untimed). */
static void shard_setup(shard_job job[2], kpi_event *shard[2], const size_t sn[2])
{
    for (int k = 0; k < 2; k++) {
        kpi_engine_free(job[k].e);
        job[k].e = new_engine(PLAIN);
        job[k].ev = shard[k];
        job[k].n = sn[k];
        job[k].rc = 0;
    }
}

/* Both shards at once, one on a second thread. */
static int shard_run(shard_job job[2])
{
    pthread_t t;
    int started = pthread_create(&t, NULL, shard_apply, &job[1]) == 0;
    shard_apply(&job[0]);
    if (started)
        pthread_join(t, NULL);
    else
        shard_apply(&job[1]);
    return job[0].rc | job[1].rc;
}

/* ns per event of the whole stream (wall time) with both shards applied
 * at once; the engines are left in job[].e. */
static double apply_two_threads(shard_job job[2], kpi_event *shard[2], const size_t sn[2], int *fail)
{
    double ns;
    BENCH_MEDIAN(ns, sn[0] + sn[1], shard_setup(job, shard, sn), *fail |= shard_run(job));
    return ns;
}

static double rel(double a, double b) { return b != 0 ? fabs(a - b) / fabs(b) : fabs(a); }

/* Snapshot, restore, clone and merge of the engine `e` fed all n events,
 * beside the naive method's state (its hash map and value arrays, which
 * it would have to write out whole). Merge: two shards (tickets by
 * parity, each shard's events in stream order) into one. */
static void engine_verbs(const kpi_engine *e, const kpi_event *ev, size_t n, double naive_bytes)
{
    size_t len = 0;
    kpi_engine_serialize(e, NULL, 0, &len);
    unsigned char *buf = malloc(len ? len : 1);
    kpi_event *shard[2] = {malloc(n * sizeof *ev), malloc(n * sizeof *ev)};
    size_t sn[2] = {0, 0};
    if (buf == NULL || shard[0] == NULL || shard[1] == NULL) {
        printf("  engine verbs: out of memory, skipped\n");
        goto done;
    }
    for (size_t i = 0; i < n; i++) {
        int k = (int)(ev[i].ticket & 1);
        shard[k][sn[k]++] = ev[i];
    }
    kpi_engine *a = new_engine(PLAIN), *b = new_engine(PLAIN), *c = NULL, *r = NULL;
    int fail = apply_all(a, shard[0], sn[0]) | apply_all(b, shard[1], sn[1]);
    double ser_ns, deser_ns, clone_ns, merge_ns;
    BENCH_MEDIAN(ser_ns, 1, (void)0, fail |= kpi_engine_serialize(e, buf, len, &len));
    BENCH_MEDIAN(deser_ns, 1, { kpi_engine_free(r); r = NULL; }, fail |= kpi_engine_deserialize(&r, buf, len));
    BENCH_MEDIAN(clone_ns, 1, { kpi_engine_free(c); c = NULL; }, fail |= kpi_engine_clone(e, &c));
    BENCH_MEDIAN(merge_ns, 1, { kpi_engine_free(c); c = NULL; fail |= kpi_engine_clone(a, &c); },
                 fail |= kpi_engine_merge(c, b));
    if (fail)
        printf("  an engine verb failed: the figures below are not valid\n");
    uint64_t live = 1;
    kpi_engine_count(e, KPI_ENGINE_COUNT_LIVE, &live);
    double per = (double)(live ? live : 1);
    bench_line("kpi_engine_serialize (snapshot), per live ticket", ser_ns / per, 0, "-");
    bench_line("kpi_engine_deserialize (restore), per live ticket", deser_ns / per, 0, "-");
    bench_line("kpi_engine_clone, per live ticket", clone_ns / per, 0, "-");
    bench_line("kpi_engine_merge of two shards, per live ticket", merge_ns / per, 0, "-");
    bench_bytes("snapshot size", (double)len, naive_bytes, "-");
    kpi_engine_free(a);
    kpi_engine_free(b);
    kpi_engine_free(c);
    kpi_engine_free(r);
done:
    free(buf);
    free(shard[0]);
    free(shard[1]);
}

int main(void)
{
    bench_seed(20260302);
    size_t tickets = bench_size(1000000, 20000), n = 0;
    kpi_event *ev = make_stream(tickets, &n);
    size_t kinds[KPI_EVENT_KIND_MAX + 1] = {0};
    for (size_t i = 0; i < n; i++)
        kinds[ev[i].kind]++;

    /* the dashboard's calendar and policy: Europe/Berlin, Mon-Fri 08-18 */
    kpi_calendar_new(&calendar, "CET-1CEST,M3.5.0,M10.5.0/3");
    for (int wd = 1; wd <= 5; wd++)
        kpi_calendar_add_hours(calendar, wd, 8 * 60, 18 * 60);
    kpi_calendar_add_holiday(calendar, 2026, 4, 3);
    kpi_calendar_add_holiday(calendar, 2026, 4, 6);
    kpi_sla_policy_new(&policy, calendar);
    for (uint32_t p = 0; p < 4; p++) {
        kpi_sla_policy_set_target(policy, p, KPI_SLA_FIRST_RESPONSE, (int64_t)(16 >> p) * HOUR_MS, 1);
        kpi_sla_policy_set_target(policy, p, KPI_SLA_NEXT_RESPONSE, (int64_t)(16 >> p) * HOUR_MS, 1);
        kpi_sla_policy_set_target(policy, p, KPI_SLA_RESOLUTION, (int64_t)(80 >> p) * HOUR_MS, 1);
    }

    bench_title("ticket engine: kpi_engine_apply vs naive hash map + exact sort");
    printf("  %zu tickets, %zu events (%.1f per ticket): replies %zu, customer messages %zu, bot replies %zu,\n"
           "  resolves %zu, reopens %zu, surveys %zu, status changes %zu; all tickets live at the end\n",
           tickets, n, (double)n / (double)tickets, kinds[KPI_EVENT_AGENT_REPLY], kinds[KPI_EVENT_CUSTOMER_MESSAGE],
           kinds[KPI_EVENT_BOT_REPLY], kinds[KPI_EVENT_RESOLVED], kinds[KPI_EVENT_REOPENED],
           kinds[KPI_EVENT_CSAT] + kinds[KPI_EVENT_NPS] + kinds[KPI_EVENT_CES],
           kinds[KPI_EVENT_OPEN] + kinds[KPI_EVENT_PENDING] + kinds[KPI_EVENT_ON_HOLD]);

    kpi_engine *e = NULL;
    int fail = 0;
    double apply_ns, business_ns, totals_ns, event_ns, naive_ns, apply_cpu, business_cpu, totals_cpu;
    apply_times(ev, n, PLAIN, &e, &apply_ns, &apply_cpu, &fail);
    uint64_t live = 0;
    kpi_engine_count(e, KPI_ENGINE_COUNT_LIVE, &live);
    double ticket_b = (double)kpi_engine_ticket_bytes(e) / (double)(live ? live : 1);
    double footprint_b = (double)kpi_engine_footprint(e) / (double)(live ? live : 1);

    naive m;
    memset(&m, 0, sizeof m);
    figures exact;
    BENCH_MEDIAN(naive_ns, n, { naive_free(&m); }, {
        for (size_t i = 0; i < n; i++)
            naive_event(&m, &ev[i]);
        exact = naive_read(&m);
        bench_keep(&exact);
    });
    double naive_b = (double)m.bytes / (double)(m.count ? m.count : 1);

    BENCH_MEDIAN(event_ns, n, { kpi_engine_free(e); e = new_engine(PLAIN); }, {
        for (size_t i = 0; i < n; i++)
            fail |= kpi_engine_event(e, &ev[i]);
    });
    /* a host buffering what arrives one event at a time */
    double batch16_ns;
    BENCH_MEDIAN(batch16_ns, n, { kpi_engine_free(e); e = new_engine(PLAIN); }, {
        for (size_t i = 0; i < n; i += 16)
            fail |= kpi_engine_apply(e, ev + i, n - i < 16 ? n - i : 16, sizeof *ev, NULL);
    });
    kpi_event *shard[2] = {NULL, NULL};
    size_t sn[2] = {0, 0};
    shard_job job[2] = {{NULL, NULL, 0, 0}, {NULL, NULL, 0, 0}};
    double two_ns = 0;
    if (split_by_customer(ev, n, tickets, shard, sn) == 0)
        two_ns = apply_two_threads(job, shard, sn, &fail);
    kpi_engine *sa = job[0].e, *sb = job[1].e;
    apply_times(ev, n, BUSINESS, &e, &business_ns, &business_cpu, &fail);
    /* with a calendar the business wait and work of each ticket are kept */
    uint64_t live_cal = 0;
    kpi_engine_count(e, KPI_ENGINE_COUNT_LIVE, &live_cal);
    double ticket_cal_b = (double)kpi_engine_ticket_bytes(e) / (double)(live_cal ? live_cal : 1);
    apply_times(ev, n, TOTALS, &e, &totals_ns, &totals_cpu, &fail);
    if (fail)
        printf("  an event was refused: the figures below are not valid\n");

    bench_line("kpi_engine_apply, ns per event", apply_ns, naive_ns, ">= 20 M events/s");
    printf("  %-44s %10.1f M/s  naive %10.1f M/s\n", "  = events per second", 1e3 / apply_ns, 1e3 / naive_ns);
    printf("  %-44s %10.2f ns\n", "  thread CPU time per event (median)", apply_cpu);
    bench_line("kpi_engine_apply, calendar + SLA policy", business_ns, naive_ns, ">= 20 M events/s");
    printf("  %-44s %10.1f M/s\n", "  = events per second", 1e3 / business_ns);
    printf("  %-44s %10.2f ns\n", "  thread CPU time per event (median)", business_cpu);
    if (two_ns > 0) {
        bench_line("kpi_engine_apply, 2 threads, 2 engines", two_ns, naive_ns, ">= 20 M events/s");
        printf("  %-44s %10.1f M/s  (shards by customer: %zu + %zu events)\n", "  = events per second",
               1e3 / two_ns, sn[0], sn[1]);
    } else {
        printf("  2 threads: out of memory, skipped\n");
    }
    bench_line("kpi_engine_apply, no breakdowns (totals only)", totals_ns, naive_ns, "-");
    printf("  %-44s %10.2f ns\n", "  thread CPU time per event (median)", totals_cpu);
    bench_line("kpi_engine_event, one call per event", event_ns, naive_ns, "-");
    bench_line("kpi_engine_apply, batches of 16 records", batch16_ns, naive_ns, "-");
    bench_bytes("bytes per live ticket (ticket_bytes)", ticket_b, naive_b, "<= 96 B per live ticket");
    bench_bytes("bytes per live ticket, with a calendar", ticket_cal_b, naive_b, "<= 96 B per live ticket");
    printf("  %-44s %10.1f B  with a calendar %.1f B\n", "  = bytes per live ticket, unrounded", ticket_b,
           ticket_cal_b);
    bench_bytes("bytes per live ticket (whole footprint)", footprint_b, naive_b, "-");
    printf("  %-44s %10llu\n", "live tickets at the peak", (unsigned long long)live);

    /* the verbs every accumulator has, on the engine with every ticket live */
    engine_verbs(e, ev, n, (double)m.bytes);

    /* settle everything (past the reopen window) and compare the KPIs */
    kpi_engine_free(e);
    e = new_engine(PLAIN);
    fail |= apply_all(e, ev, n);
    double t0 = bench_now_ns();
    fail |= kpi_engine_advance(e, ev[n - 1].time_ms + 8 * 24 * HOUR_MS);
    double settle_ns = (bench_now_ns() - t0) / (double)tickets;
    bench_line("kpi_engine_advance: settle, ns per ticket", settle_ns, 0, "-");
    figures got = engine_read(e);
    if (sa != NULL && sb != NULL) {
        fail |= kpi_engine_advance(sa, ev[n - 1].time_ms + 8 * 24 * HOUR_MS);
        fail |= kpi_engine_advance(sb, ev[n - 1].time_ms + 8 * 24 * HOUR_MS);
        t0 = bench_now_ns();
        figures two = shards_read(sa, sb);
        double read_ns = bench_now_ns() - t0;
        printf("  %-44s %10s      (%.0f us to merge FRT, resolution and FCR at read time)\n",
               "2 engines' reads, merged, equal one engine's", same_figures(&two, &got) ? "yes" : "NO",
               read_ns / 1e3);
        bench_disagreements += !same_figures(&two, &got);
    }
    kpi_engine_free(sa);
    kpi_engine_free(sb);
    free(shard[0]);
    free(shard[1]);
    bench_error("FRT values, count difference", fabs((double)got.frt_n - (double)exact.frt_n), "0 (exact)");
    bench_error("FRT p50, relative error vs exact", rel(got.frt_p50, exact.frt_p50), "<= 0.01");
    bench_error("FRT p90, relative error vs exact", rel(got.frt_p90, exact.frt_p90), "<= 0.01");
    bench_error("first resolution p50, relative error", rel(got.res_p50, exact.res_p50), "<= 0.01");
    bench_error("first resolution p90, relative error", rel(got.res_p90, exact.res_p90), "<= 0.01");
    bench_error("FCR share, absolute difference", fabs(got.fcr - exact.fcr), "0 (exact)");
    /* the promises above, kept: a broken one fails the program (and CI's quick run) */
    bench_disagreements += got.frt_n != exact.frt_n || got.fcr != exact.fcr;
    bench_disagreements += !(rel(got.frt_p50, exact.frt_p50) <= 0.01 && rel(got.frt_p90, exact.frt_p90) <= 0.01 &&
                             rel(got.res_p50, exact.res_p50) <= 0.01 && rel(got.res_p90, exact.res_p90) <= 0.01);
    if (bench_disagreements)
        printf("  libkpi and the naive reference DISAGREE beyond the promises above\n");

    kpi_engine_free(e);
    naive_free(&m);
    kpi_sla_policy_free(policy);
    kpi_calendar_free(calendar);
    free(ev);
    return fail || bench_disagreements ? 1 : 0;
}
