/*
 * Customer KPIs of a period, and customer journeys across channels.
 * See include/kpi/customers.h for the formulas and semantics.
 * SPDX-License-Identifier: MIT
 *
 * kpi_customers is a fixed set of 64-bit counters, a Neumaier-compensated
 * revenue sum and a margin.  kpi_journey keeps at most max_customers open
 * journeys in a dense pool, found through an open-addressing table
 * (linear probing, backward-shift deletion) and ordered by last touch in a
 * binary min-heap (ties by customer id), so eviction of the least recently
 * touched journey and idle closing are O(log n) each.  All memory is
 * reserved at creation: touches never allocate.
 */
#include <math.h>

#include "codec.h"
#include "kpi/customers.h"

/* ======================================================================== */
/* customers                                                                */
/* ======================================================================== */

enum {
    C_START, C_END, C_ACTIVE, C_NEW, C_LOST, C_REFERRED, C_INTERACTIONS,
    C_PURCHASERS, C_REPEAT, C_SESSIONS, C_SELF_SERVED, C_ASSISTED,
    C_OFFERED, C_UNSERVED, /* 64 reasons follow */
    C_COUNT = C_UNSERVED + KPI_UNSERVED_REASON_MAX + 1
};

enum { F_START = 1, F_END = 2, F_ACTIVE = 4, F_MARGIN = 8, F_REVENUE = 16,
       F_ALL = 31 };

struct kpi_customers {
    kpi__object base;
    uint32_t flags;
    uint64_t c[C_COUNT];
    double revenue, revenue_c, margin;
};


static int cust_create(const kpi_allocator *a, kpi_customers **out)
{
    return kpi__object_new(&kpi__customers_type, sizeof(kpi_customers), a,
                           (void **)out);
}

static void cust_destroy(void *obj) { kpi__object_free(obj); }

static void cust_reset(void *obj)
{
    kpi_customers *p = obj;
    p->flags &= F_MARGIN; /* the margin is configuration: it stays */
    memset(p->c, 0, sizeof p->c);
    p->revenue = p->revenue_c = 0;
}

static int cust_clone(const void *src, void **out)
{
    const kpi_customers *s = src;
    kpi_customers *d;
    int rc = cust_create(&s->base.alloc, &d);
    if (rc != KPI_OK)
        return rc;
    kpi__object base = d->base;
    *d = *s;
    d->base = base;
    *out = d;
    return KPI_OK;
}

static int cust_merge(void *dst, const void *src)
{
    kpi_customers *d = dst;
    const kpi_customers *s = src;
    if ((d->flags & s->flags & F_MARGIN) && d->margin != s->margin)
        return KPI_ERR_INCOMPATIBLE;
    uint64_t c[C_COUNT];
    for (int i = 0; i < C_COUNT; i++)
        if (!kpi__add_u64(d->c[i], s->c[i], &c[i]))
            return KPI_ERR_OVERFLOW;
    double rev = d->revenue, rev_c = d->revenue_c;
    kpi__neumaier(&rev, &rev_c, s->revenue);
    kpi__neumaier(&rev, &rev_c, s->revenue_c);
    if (!kpi__sum_finite(rev, rev_c))
        return KPI_ERR_OVERFLOW;
    memcpy(d->c, c, sizeof c);
    if (s->flags & F_MARGIN)
        d->margin = s->margin;
    d->flags |= s->flags;
    d->revenue = rev;
    d->revenue_c = rev_c;
    return KPI_OK;
}

static void cust_encode(const void *obj, kpi__writer *w)
{
    const kpi_customers *p = obj;
    kpi__put_u8(w, (uint8_t)p->flags);
    for (int i = 0; i < C_COUNT; i++)
        kpi__put_varint(w, p->c[i]);
    kpi__put_f64(w, p->revenue);
    kpi__put_f64(w, p->revenue_c);
    kpi__put_f64(w, p->margin);
}

static int cust_decode(kpi__reader *r, const kpi_allocator *a, void **out)
{
    uint8_t flags = kpi__get_u8(r);
    uint64_t c[C_COUNT];
    for (int i = 0; i < C_COUNT; i++)
        c[i] = kpi__get_varint(r);
    double rev = kpi__get_finite(r), rev_c = kpi__get_finite(r);
    double margin = kpi__get_finite(r);
    if (r->err)
        return r->err;
    if ((flags & ~F_ALL) || !(margin >= 0 && margin <= 1) ||
        /* no call writes a -0 there: the revenue's Neumaier steps of
         * amounts >= 0 from +0 (-0 + +0 is +0), an unset margin's +0 */
        (rev == 0 && signbit(rev)) || (rev_c == 0 && signbit(rev_c)) ||
        (!(flags & F_MARGIN) && (margin != 0 || signbit(margin))) ||
        rev + rev_c < 0 ||
        !kpi__sum_finite(rev, rev_c) ||
        /* the rounding errors of adds >= 0, at most 2^-53 of the sum
         * each: some 2^52 adds short of half the sum */
        !(fabs(rev_c) <= rev / 2) ||
        (!(flags & F_REVENUE) && (rev != 0 || rev_c != 0)) ||
        (!(flags & F_START) && c[C_START]) || (!(flags & F_END) && c[C_END]) ||
        (!(flags & F_ACTIVE) && c[C_ACTIVE]) ||
        /* every add refuses more of these than of their whole */
        c[C_REPEAT] > c[C_PURCHASERS] || c[C_SELF_SERVED] > c[C_SESSIONS])
        return KPI_ERR_CORRUPT;
    kpi_customers *p;
    int rc = cust_create(a, &p);
    if (rc != KPI_OK)
        return rc;
    p->flags = flags;
    memcpy(p->c, c, sizeof c);
    p->revenue = rev;
    p->revenue_c = rev_c;
    p->margin = margin;
    *out = p;
    return KPI_OK;
}

static size_t cust_footprint(const void *obj)
{
    (void)obj;
    return sizeof(kpi_customers);
}

const kpi__type kpi__customers_type = {
    KPI__TAG_CUSTOMERS, "customers", cust_clone,  cust_destroy, cust_reset,
    cust_merge,         cust_encode, cust_decode, cust_footprint};

KPI_API int kpi_customers_new_with(kpi_customers **out,
                                   const kpi_allocator *alloc)
{
    return cust_create(alloc, out);
}

KPI_API int kpi_customers_new(kpi_customers **out)
{
    return cust_create(NULL, out);
}

KPI_API void kpi_customers_free(kpi_customers *p) { kpi__release(p); }

KPI_API void kpi_customers_reset(kpi_customers *p)
{
    if (kpi__is(p, &kpi__customers_type))
        cust_reset(p);
}

KPI_API int kpi_customers_clone(const kpi_customers *p, kpi_customers **out)
{
    return kpi__clone(&kpi__customers_type, p, (void **)out);
}

static int set_snapshot(kpi_customers *p, int idx, uint32_t flag, uint64_t v)
{
    if (!kpi__is(p, &kpi__customers_type))
        return KPI_ERR_INVALID;
    p->c[idx] = v;
    p->flags |= flag;
    return KPI_OK;
}

KPI_API int kpi_customers_set_start(kpi_customers *p, uint64_t n)
{
    return set_snapshot(p, C_START, F_START, n);
}
KPI_API int kpi_customers_set_end(kpi_customers *p, uint64_t n)
{
    return set_snapshot(p, C_END, F_END, n);
}
KPI_API int kpi_customers_set_active(kpi_customers *p, uint64_t n)
{
    return set_snapshot(p, C_ACTIVE, F_ACTIVE, n);
}

static int add_safe(kpi_customers *p, int idx, uint64_t n)
{
    if (!kpi__is(p, &kpi__customers_type))
        return KPI_ERR_INVALID;
    uint64_t v;
    if (!kpi__add_u64(p->c[idx], n, &v))
        return KPI_ERR_OVERFLOW;
    p->c[idx] = v;
    return KPI_OK;
}

KPI_API int kpi_customers_add_new(kpi_customers *p, uint64_t n)
{
    return add_safe(p, C_NEW, n);
}
KPI_API int kpi_customers_add_lost(kpi_customers *p, uint64_t n)
{
    return add_safe(p, C_LOST, n);
}
KPI_API int kpi_customers_add_referred(kpi_customers *p, uint64_t n)
{
    return add_safe(p, C_REFERRED, n);
}
KPI_API int kpi_customers_add_interactions(kpi_customers *p, uint64_t n)
{
    return add_safe(p, C_INTERACTIONS, n);
}
KPI_API int kpi_customers_add_offered(kpi_customers *p, uint64_t n)
{
    return add_safe(p, C_OFFERED, n);
}

KPI_API int kpi_customers_add_unserved(kpi_customers *p, uint32_t reason,
                                       uint64_t n)
{
    if (!kpi__is(p, &kpi__customers_type))
        return KPI_ERR_INVALID;
    if (reason > KPI_UNSERVED_REASON_MAX)
        return KPI_ERR_RANGE;
    return add_safe(p, C_UNSERVED + (int)reason, n);
}

/* Add two counters together, all or nothing. */
static int add_pair(kpi_customers *p, int i, uint64_t a, int j, uint64_t b)
{
    uint64_t x, y;
    if (!kpi__add_u64(p->c[i], a, &x) || !kpi__add_u64(p->c[j], b, &y))
        return KPI_ERR_OVERFLOW;
    p->c[i] = x;
    p->c[j] = y;
    return KPI_OK;
}

KPI_API int kpi_customers_add_purchasers(kpi_customers *p, uint64_t customers,
                                         uint64_t repeat_customers)
{
    if (!kpi__is(p, &kpi__customers_type))
        return KPI_ERR_INVALID;
    if (repeat_customers > customers)
        return KPI_ERR_RANGE;
    return add_pair(p, C_PURCHASERS, customers, C_REPEAT, repeat_customers);
}

KPI_API int kpi_customers_add_self_service(kpi_customers *p, uint64_t sessions,
                                           uint64_t self_served,
                                           uint64_t assisted)
{
    if (!kpi__is(p, &kpi__customers_type))
        return KPI_ERR_INVALID;
    if (self_served > sessions)
        return KPI_ERR_RANGE;
    uint64_t x, y, z;
    if (!kpi__add_u64(p->c[C_SESSIONS], sessions, &x) ||
        !kpi__add_u64(p->c[C_SELF_SERVED], self_served, &y) ||
        !kpi__add_u64(p->c[C_ASSISTED], assisted, &z))
        return KPI_ERR_OVERFLOW;
    p->c[C_SESSIONS] = x;
    p->c[C_SELF_SERVED] = y;
    p->c[C_ASSISTED] = z;
    return KPI_OK;
}

KPI_API int kpi_customers_add_revenue(kpi_customers *p, double revenue)
{
    if (!kpi__is(p, &kpi__customers_type) || !isfinite(revenue))
        return KPI_ERR_INVALID;
    if (revenue < 0)
        return KPI_ERR_RANGE;
    double rev = p->revenue, rev_c = p->revenue_c;
    kpi__neumaier(&rev, &rev_c, revenue);
    if (!kpi__sum_finite(rev, rev_c))
        return KPI_ERR_OVERFLOW;
    p->revenue = rev;
    p->revenue_c = rev_c;
    p->flags |= F_REVENUE;
    return KPI_OK;
}

KPI_API int kpi_customers_set_margin(kpi_customers *p, double gross_margin)
{
    if (!kpi__is(p, &kpi__customers_type) || isnan(gross_margin))
        return KPI_ERR_INVALID;
    if (gross_margin < 0 || gross_margin > 1)
        return KPI_ERR_RANGE;
    p->margin = gross_margin;
    p->flags |= F_MARGIN;
    return KPI_OK;
}

/* ---- reads ------------------------------------------------------------- */

static int share(const kpi_customers *p, void *out, uint64_t s, uint64_t n)
{
    if (!kpi__is(p, &kpi__customers_type) || out == NULL)
        return KPI_ERR_INVALID;
    if (n == 0)
        return KPI_ERR_EMPTY;
    if (s > n)
        return KPI_ERR_RANGE;
    kpi__wilson(s, n, out);
    return KPI_OK;
}

/* (a - b) / d, the difference taken exactly in integers: as doubles,
 * counts past 2^53 would round before they are subtracted. */
static double diff_over(uint64_t a, uint64_t b, uint64_t d)
{
    return a >= b ? (double)(a - b) / (double)d : -((double)(b - a) / (double)d);
}

KPI_API int kpi_customers_churn_net(const kpi_customers *p, double *out)
{
    if (!kpi__is(p, &kpi__customers_type) || out == NULL)
        return KPI_ERR_INVALID;
    if (p->c[C_START] == 0 || !(p->flags & F_END))
        return KPI_ERR_EMPTY;
    *out = diff_over(p->c[C_START], p->c[C_END], p->c[C_START]);
    return KPI_OK;
}

KPI_API int kpi_customers_churn_lost(const kpi_customers *p, kpi_estimate *out)
{
    if (!kpi__is(p, &kpi__customers_type))
        return KPI_ERR_INVALID;
    return share(p, out, p->c[C_LOST], p->c[C_START]);
}

KPI_API int kpi_customers_retention(const kpi_customers *p, double *out)
{
    if (!kpi__is(p, &kpi__customers_type) || out == NULL)
        return KPI_ERR_INVALID;
    if (p->c[C_START] == 0 || !(p->flags & F_END))
        return KPI_ERR_EMPTY;
    *out = diff_over(p->c[C_END], p->c[C_NEW], p->c[C_START]);
    return KPI_OK;
}

KPI_API int kpi_customers_referral_rate(const kpi_customers *p,
                                        kpi_estimate *out)
{
    if (!kpi__is(p, &kpi__customers_type))
        return KPI_ERR_INVALID;
    return share(p, out, p->c[C_REFERRED], p->c[C_NEW]);
}

KPI_API int kpi_customers_revenue_per_customer(const kpi_customers *p,
                                               double *out)
{
    if (!kpi__is(p, &kpi__customers_type) || out == NULL)
        return KPI_ERR_INVALID;
    if (p->c[C_START] == 0 || !(p->flags & F_REVENUE))
        return KPI_ERR_EMPTY;
    *out = (p->revenue + p->revenue_c) / (double)p->c[C_START];
    return KPI_OK;
}

KPI_API int kpi_customers_clv(const kpi_customers *p, double *out)
{
    double arpc;
    int rc = kpi_customers_revenue_per_customer(p, out ? &arpc : NULL);
    if (rc != KPI_OK)
        return rc;
    if (!(p->flags & F_MARGIN))
        return KPI_ERR_EMPTY;
    if (p->c[C_LOST] == 0 || p->c[C_LOST] > p->c[C_START])
        return KPI_ERR_RANGE;
    /* revenue / start x margin / (lost / start) = revenue x margin / lost,
     * at most the revenue (margin <= 1, lost >= 1): the long way round,
     * four roundings can pass DBL_MAX */
    *out = (p->revenue + p->revenue_c) * p->margin / (double)p->c[C_LOST];
    return KPI_OK;
}

KPI_API int kpi_customers_engagement(const kpi_customers *p, double *out)
{
    if (!kpi__is(p, &kpi__customers_type) || out == NULL)
        return KPI_ERR_INVALID;
    if (p->c[C_ACTIVE] == 0)
        return KPI_ERR_EMPTY;
    *out = (double)p->c[C_INTERACTIONS] / (double)p->c[C_ACTIVE];
    return KPI_OK;
}

KPI_API int kpi_customers_repeat_share(const kpi_customers *p,
                                       kpi_estimate *out)
{
    if (!kpi__is(p, &kpi__customers_type))
        return KPI_ERR_INVALID;
    return share(p, out, p->c[C_REPEAT], p->c[C_PURCHASERS]);
}

static int share_of_sum(const kpi_customers *p, kpi_estimate *out, uint64_t s,
                        uint64_t other)
{
    if (!kpi__is(p, &kpi__customers_type) || out == NULL)
        return KPI_ERR_INVALID;
    uint64_t n;
    if (!kpi__add_u64(s, other, &n))
        return KPI_ERR_OVERFLOW;
    return share(p, out, s, n);
}

KPI_API int kpi_customers_self_service(const kpi_customers *p,
                                       kpi_estimate *out)
{
    if (!kpi__is(p, &kpi__customers_type))
        return KPI_ERR_INVALID;
    return share_of_sum(p, out, p->c[C_SELF_SERVED], p->c[C_ASSISTED]);
}

KPI_API int kpi_customers_self_service_usage(const kpi_customers *p,
                                             kpi_estimate *out)
{
    if (!kpi__is(p, &kpi__customers_type))
        return KPI_ERR_INVALID;
    return share_of_sum(p, out, p->c[C_SESSIONS], p->c[C_ASSISTED]);
}

KPI_API int kpi_customers_unserved_count(const kpi_customers *p, uint32_t reason,
                                         uint64_t *count)
{
    if (!kpi__is(p, &kpi__customers_type) || count == NULL)
        return KPI_ERR_INVALID;
    if (reason > KPI_UNSERVED_REASON_MAX)
        return KPI_ERR_RANGE;
    *count = p->c[C_UNSERVED + (int)reason];
    return KPI_OK;
}

KPI_API int kpi_customers_unserved_reason_share(const kpi_customers *p,
                                                uint32_t reason, kpi_estimate *out)
{
    if (!kpi__is(p, &kpi__customers_type) || out == NULL)
        return KPI_ERR_INVALID;
    if (reason > KPI_UNSERVED_REASON_MAX)
        return KPI_ERR_RANGE;
    return share(p, out, p->c[C_UNSERVED + (int)reason], p->c[C_OFFERED]);
}

KPI_API int kpi_customers_unserved_share(const kpi_customers *p,
                                         kpi_estimate *out)
{
    if (!kpi__is(p, &kpi__customers_type) || out == NULL)
        return KPI_ERR_INVALID;
    uint64_t total = 0;
    for (uint32_t i = 0; i <= KPI_UNSERVED_REASON_MAX; i++)
        if (!kpi__add_u64(total, p->c[C_UNSERVED + (int)i], &total))
            return KPI_ERR_OVERFLOW;
    return share(p, out, total, p->c[C_OFFERED]);
}

KPI_API int kpi_customers_abandon_rate(const kpi_customers *p,
                                       kpi_estimate *out)
{
    return kpi_customers_unserved_reason_share(p, KPI_UNSERVED_ABANDONED, out);
}

KPI_API int kpi_customers_merge(kpi_customers *dst, const kpi_customers *src)
{
    return kpi__merge(&kpi__customers_type, dst, src);
}

KPI_API int kpi_customers_serialize(const kpi_customers *p, void *buf,
                                    size_t cap, size_t *len)
{
    if (!kpi__is(p, &kpi__customers_type))
        return KPI_ERR_INVALID;
    return kpi__serialize(p, buf, cap, len);
}

KPI_API int kpi_customers_deserialize_with(kpi_customers **out,
                                           const void *buf, size_t len,
                                           const kpi_allocator *alloc)
{
    return kpi__deserialize(&kpi__customers_type, buf, len, alloc, (void **)out);
}

KPI_API int kpi_customers_deserialize(kpi_customers **out, const void *buf,
                                      size_t len)
{
    return kpi_customers_deserialize_with(out, buf, len, NULL);
}

KPI_API size_t kpi_customers_footprint(const kpi_customers *p)
{
    return kpi__is(p, &kpi__customers_type) ? sizeof(kpi_customers) : 0;
}

/* ======================================================================== */
/* journey                                                                  */
/* ======================================================================== */

#define NONE UINT32_MAX

typedef struct jent {
    uint64_t customer;
    int64_t first_t, last_t;
    uint64_t touches, switches;
    uint32_t channel;
    uint32_t heap_pos;
} jent;

struct kpi_journey {
    kpi__object base;
    uint32_t max;
    int64_t idle;
    bool have_clock;
    int64_t clock;
    uint32_t n_open;
    uint32_t mask;  /* table size - 1 */
    jent *ent;      /* pool of max entries, n_open used */
    uint32_t *heap; /* pool indices, min-heap on (last_t, customer) */
    uint32_t *table;
    uint64_t closed, resolved, unresolved, evicted, sum_touches, sum_switches;
    /* touches of the open journeys: sum_touches + open_touches, every touch
     * made, stays <= UINT64_MAX, so no count or sum can wrap when the open
     * journeys close (closed, resolved, unresolved and evicted are at most
     * the touches, switches fewer) */
    uint64_t open_touches;
    double dur, dur_c;
};


static uint32_t table_size(uint32_t max)
{
    uint32_t n = 4;
    while (n < 2 * (uint64_t)max)
        n *= 2;
    return n;
}
static const kpi__type kpi__journey_type;


static int journey_create(uint32_t max, int64_t idle, const kpi_allocator *a,
                          kpi_journey **out)
{
    kpi_journey *j;
    int rc = kpi__object_new(&kpi__journey_type, sizeof(kpi_journey), a, (void **)&j);
    if (rc != KPI_OK)
        return rc;
    uint32_t ts = table_size(max);
    const kpi_allocator *al = &j->base.alloc;
    j->ent = kpi__calloc(al, max, sizeof(jent));
    j->heap = j->ent ? kpi__calloc(al, max, sizeof(uint32_t)) : NULL;
    j->table = j->heap ? kpi__calloc(al, ts, sizeof(uint32_t)) : NULL;
    if (j->table == NULL) {
        kpi__free(al, j->ent);
        kpi__free(al, j->heap);
        kpi__object_free(j);
        return KPI_ERR_NOMEM;
    }
    memset(j->table, 0xFF, (size_t)ts * sizeof(uint32_t));
    j->max = max;
    j->idle = idle;
    j->mask = ts - 1;
    *out = j;
    return KPI_OK;
}

static void journey_destroy(void *obj)
{
    kpi_journey *j = obj;
    kpi__free(&j->base.alloc, j->ent);
    kpi__free(&j->base.alloc, j->heap);
    kpi__free(&j->base.alloc, j->table);
    kpi__object_free(j);
}

static void journey_reset(void *obj)
{
    kpi_journey *j = obj;
    memset(j->table, 0xFF, ((size_t)j->mask + 1) * sizeof(uint32_t));
    j->n_open = 0;
    j->have_clock = false;
    j->clock = 0;
    j->closed = j->resolved = j->unresolved = j->evicted = 0;
    j->sum_touches = j->sum_switches = j->open_touches = 0;
    j->dur = j->dur_c = 0;
}

static int journey_clone(const void *src, void **out)
{
    const kpi_journey *s = src;
    kpi_journey *d;
    int rc = journey_create(s->max, s->idle, &s->base.alloc, &d);
    if (rc != KPI_OK)
        return rc;
    jent *e = d->ent;
    uint32_t *h = d->heap, *t = d->table;
    kpi__object base = d->base;
    *d = *s;
    d->base = base;
    d->ent = e;
    d->heap = h;
    d->table = t;
    memcpy(e, s->ent, (size_t)s->n_open * sizeof(jent));
    memcpy(h, s->heap, (size_t)s->n_open * sizeof(uint32_t));
    memcpy(t, s->table, ((size_t)s->mask + 1) * sizeof(uint32_t));
    *out = d;
    return KPI_OK;
}

static size_t journey_footprint(const void *obj)
{
    const kpi_journey *j = obj;
    return sizeof *j + (size_t)j->max * (sizeof(jent) + sizeof(uint32_t)) +
           ((size_t)j->mask + 1) * sizeof(uint32_t);
}

/* ---- table ------------------------------------------------------------- */

/* Table slot holding customer c, or NONE. */
static uint32_t table_find(const kpi_journey *j, uint64_t c)
{
    uint32_t i = (uint32_t)kpi__mix64(c) & j->mask;
    for (;;) {
        uint32_t e = j->table[i];
        if (e == NONE)
            return NONE;
        if (j->ent[e].customer == c)
            return i;
        i = (i + 1) & j->mask;
    }
}

static void table_insert(kpi_journey *j, uint64_t c, uint32_t idx)
{
    uint32_t i = (uint32_t)kpi__mix64(c) & j->mask;
    while (j->table[i] != NONE)
        i = (i + 1) & j->mask;
    j->table[i] = idx;
}

/* Backward-shift deletion of slot i. */
static void table_delete(kpi_journey *j, uint32_t i)
{
    uint32_t k = i;
    for (;;) {
        k = (k + 1) & j->mask;
        uint32_t e = j->table[k];
        if (e == NONE)
            break;
        uint32_t home = (uint32_t)kpi__mix64(j->ent[e].customer) & j->mask;
        /* move e to i unless its home lies cyclically in (i, k] */
        bool stay = (i <= k) ? (home > i && home <= k) : (home > i || home <= k);
        if (!stay) {
            j->table[i] = e;
            i = k;
        }
    }
    j->table[i] = NONE;
}

/* ---- heap -------------------------------------------------------------- */

static inline bool older(const kpi_journey *j, uint32_t a, uint32_t b)
{
    const jent *x = &j->ent[a], *y = &j->ent[b];
    return x->last_t < y->last_t ||
           (x->last_t == y->last_t && x->customer < y->customer);
}

static inline void heap_set(kpi_journey *j, uint32_t pos, uint32_t idx)
{
    j->heap[pos] = idx;
    j->ent[idx].heap_pos = pos;
}

static void sift_up(kpi_journey *j, uint32_t pos)
{
    uint32_t idx = j->heap[pos];
    while (pos > 0) {
        uint32_t parent = (pos - 1) / 2;
        if (!older(j, idx, j->heap[parent]))
            break;
        heap_set(j, pos, j->heap[parent]);
        pos = parent;
    }
    heap_set(j, pos, idx);
}

static void sift_down(kpi_journey *j, uint32_t pos, uint32_t n)
{
    uint32_t idx = j->heap[pos];
    for (;;) {
        uint32_t l = 2 * pos + 1;
        if (l >= n)
            break;
        uint32_t m = l;
        if (l + 1 < n && older(j, j->heap[l + 1], j->heap[l]))
            m = l + 1;
        if (!older(j, j->heap[m], idx))
            break;
        heap_set(j, pos, j->heap[m]);
        pos = m;
    }
    heap_set(j, pos, idx);
}

/* ---- journeys ---------------------------------------------------------- */

/* Pool index of customer c's open journey, or NONE. */
static uint32_t find(const kpi_journey *j, uint64_t c)
{
    uint32_t s = table_find(j, c);
    return s == NONE ? NONE : j->table[s];
}

/* Count journey e as closed (resolved at t, or unresolved, maybe
 * evicted) in j's statistics. */
static void tally_closed(kpi_journey *j, const jent *e, bool resolved, int64_t t,
                         bool evicted)
{
    j->closed++;
    j->sum_touches += e->touches;   /* bounded by touches ever made */
    j->sum_switches += e->switches; /* idem */
    if (resolved) {
        j->resolved++;
        kpi__neumaier(&j->dur, &j->dur_c, (double)((uint64_t)t - (uint64_t)e->first_t));
    } else {
        j->unresolved++;
        if (evicted)
            j->evicted++;
    }
}

/* Close the journey at pool index idx. */
static void close_journey(kpi_journey *j, uint32_t idx, bool resolved,
                          int64_t t, bool evicted)
{
    jent *e = &j->ent[idx];
    tally_closed(j, e, resolved, t, evicted);
    j->open_touches -= e->touches;
    /* heap removal */
    uint32_t last_h = j->n_open - 1, pos = e->heap_pos;
    if (pos != last_h) {
        uint32_t moved = j->heap[last_h];
        heap_set(j, pos, moved);
        sift_down(j, pos, last_h);
        sift_up(j, j->ent[moved].heap_pos);
    }
    /* table removal */
    table_delete(j, table_find(j, e->customer));
    /* pool compaction: the last entry moves into idx */
    uint32_t last = j->n_open - 1;
    if (idx != last) {
        j->ent[idx] = j->ent[last];
        j->table[table_find(j, j->ent[idx].customer)] = idx;
        j->heap[j->ent[idx].heap_pos] = idx;
    }
    j->n_open--;
}

/* The oldest last-touch time a journey may have and stay open at `now`. */
static int64_t horizon(const kpi_journey *j, int64_t now)
{
    int64_t h;
    if (__builtin_sub_overflow(now, j->idle, &h))
        return INT64_MIN;
    return h;
}

static void sweep(kpi_journey *j, int64_t now)
{
    int64_t h = horizon(j, now);
    while (j->n_open > 0 && j->ent[j->heap[0]].last_t < h)
        close_journey(j, j->heap[0], false, 0, false);
}

static void set_clock(kpi_journey *j, int64_t t)
{
    if (!j->have_clock || t > j->clock) {
        j->clock = t;
        j->have_clock = true;
    }
    sweep(j, j->clock);
}

KPI_API int kpi_journey_touch(kpi_journey *p, uint64_t customer,
                              uint32_t channel, int64_t t_ms)
{
    if (!kpi__is(p, &kpi__journey_type))
        return KPI_ERR_INVALID;
    if (p->have_clock && t_ms < horizon(p, p->clock))
        return KPI_ERR_ORDER;
    int64_t now = p->have_clock && p->clock > t_ms ? p->clock : t_ms;
    uint32_t idx = find(p, customer);
    if (idx != NONE && p->ent[idx].last_t >= horizon(p, now) &&
        t_ms < p->ent[idx].last_t)
        return KPI_ERR_ORDER;
    if (p->open_touches >= UINT64_MAX - p->sum_touches)
        return KPI_ERR_OVERFLOW; /* the touch could not be counted */
    set_clock(p, t_ms);
    p->open_touches++;
    idx = find(p, customer);
    if (idx != NONE) {
        jent *e = &p->ent[idx];
        e->touches++;
        if (channel != e->channel)
            e->switches++;
        e->channel = channel;
        e->last_t = t_ms;
        sift_down(p, e->heap_pos, p->n_open);
        return KPI_OK;
    }
    if (p->n_open == p->max)
        close_journey(p, p->heap[0], false, 0, true);
    idx = p->n_open++;
    jent *e = &p->ent[idx];
    e->customer = customer;
    e->first_t = e->last_t = t_ms;
    e->touches = 1;
    e->switches = 0;
    e->channel = channel;
    table_insert(p, customer, idx);
    p->heap[idx] = idx;
    e->heap_pos = idx;
    sift_up(p, idx);
    return KPI_OK;
}

KPI_API int kpi_journey_resolve(kpi_journey *p, uint64_t customer, int64_t t_ms)
{
    if (!kpi__is(p, &kpi__journey_type))
        return KPI_ERR_INVALID;
    if (p->have_clock && t_ms < horizon(p, p->clock))
        return KPI_ERR_ORDER;
    int64_t now = p->have_clock && p->clock > t_ms ? p->clock : t_ms;
    uint32_t idx = find(p, customer);
    if (idx == NONE || p->ent[idx].last_t < horizon(p, now))
        return KPI_ERR_UNKNOWN_ID;
    if (t_ms < p->ent[idx].last_t)
        return KPI_ERR_ORDER;
    set_clock(p, t_ms);
    idx = find(p, customer);
    close_journey(p, idx, true, t_ms, false);
    return KPI_OK;
}

KPI_API int kpi_journey_advance(kpi_journey *p, int64_t t_ms)
{
    if (!kpi__is(p, &kpi__journey_type))
        return KPI_ERR_INVALID;
    set_clock(p, t_ms);
    return KPI_OK;
}

/* Open journey e of another tracker, open here from now on. */
static void adopt_open(kpi_journey *j, const jent *e)
{
    uint32_t idx = j->n_open++;
    j->ent[idx] = *e;
    j->open_touches += e->touches;
    table_insert(j, e->customer, idx);
    j->heap[idx] = idx;
    j->ent[idx].heap_pos = idx;
    sift_up(j, idx);
}

static int journey_merge(void *dst, const void *src)
{
    kpi_journey *d = dst;
    const kpi_journey *s = src;
    if (d->max != s->max || d->idle != s->idle)
        return KPI_ERR_INCOMPATIBLE;
    /* a customer open on both sides would be one journey of one tracker,
     * whose channel switches cannot be told from the two halves */
    uint64_t open_switches = 0;
    for (uint32_t i = 0; i < s->n_open; i++) {
        if (find(d, s->ent[i].customer) != NONE)
            return KPI_ERR_STATE;
        open_switches += s->ent[i].switches;
    }
    for (uint32_t i = 0; i < d->n_open; i++)
        open_switches += d->ent[i].switches;
    /* every open journey is closed some day: its touches and switches must
     * fit the sums then too (checked now, so that nothing after fails);
     * the switches are fewer than the touches, so their sum cannot wrap
     * where the touches' fits */
    uint64_t a, b, c, e, f, g, open_touches, open = (uint64_t)d->n_open + s->n_open;
    if (!kpi__add_u64(d->open_touches, s->open_touches, &open_touches) ||
        !kpi__add_u64(d->closed, s->closed, &a) || a > UINT64_MAX - open ||
        !kpi__add_u64(d->resolved, s->resolved, &b) ||
        !kpi__add_u64(d->unresolved, s->unresolved, &c) || c > UINT64_MAX - open ||
        !kpi__add_u64(d->evicted, s->evicted, &e) || e > UINT64_MAX - open ||
        !kpi__add_u64(d->sum_touches, s->sum_touches, &f) ||
        f > UINT64_MAX - open_touches ||
        !kpi__add_u64(d->sum_switches, s->sum_switches, &g) ||
        g > UINT64_MAX - open_switches)
        return KPI_ERR_OVERFLOW;
    /* the time-to-resolution sum must stay a number (past DBL_MAX it would
     * read inf and its state would not decode) */
    double dur = d->dur, dur_c = d->dur_c;
    kpi__neumaier(&dur, &dur_c, s->dur);
    kpi__neumaier(&dur, &dur_c, s->dur_c);
    if (!kpi__sum_finite(dur, dur_c))
        return KPI_ERR_OVERFLOW;
    d->closed = a;
    d->resolved = b;
    d->unresolved = c;
    d->evicted = e;
    d->sum_touches = f;
    d->sum_switches = g;
    d->dur = dur;
    d->dur_c = dur_c;
    /* src's clock comes along (the later of the two), as it would for one
     * tracker fed both streams: dst's journeys idle past it close, and
     * touches older than its horizon are refused from now on */
    if (s->have_clock)
        set_clock(d, s->clock);
    /* then src's open journeys: those idle past the merged clock close
     * unresolved; the others stay open here, and when both sides' do not
     * fit, the least recently touched are evicted, as a full tracker does
     * (src's own in the order of its pool; nothing here can fail, so the
     * merge stays all-or-nothing) */
    int64_t h = d->have_clock ? horizon(d, d->clock) : INT64_MIN;
    for (uint32_t i = 0; i < s->n_open; i++) {
        const jent *x = &s->ent[i];
        if (x->last_t < h) {
            tally_closed(d, x, false, 0, false);
        } else if (d->n_open < d->max) {
            adopt_open(d, x);
        } else {
            const jent *y = &d->ent[d->heap[0]];
            if (x->last_t < y->last_t ||
                (x->last_t == y->last_t && x->customer < y->customer)) {
                tally_closed(d, x, false, 0, true);
            } else {
                close_journey(d, d->heap[0], false, 0, true);
                adopt_open(d, x);
            }
        }
    }
    return KPI_OK;
}

static void journey_encode(const void *obj, kpi__writer *w)
{
    const kpi_journey *j = obj;
    kpi__put_varint(w, j->max);
    kpi__put_svarint(w, j->idle);
    kpi__put_u8(w, j->have_clock);
    kpi__put_svarint(w, j->clock);
    kpi__put_varint(w, j->closed);
    kpi__put_varint(w, j->resolved);
    kpi__put_varint(w, j->unresolved);
    kpi__put_varint(w, j->evicted);
    kpi__put_varint(w, j->sum_touches);
    kpi__put_varint(w, j->sum_switches);
    kpi__put_f64(w, j->dur);
    kpi__put_f64(w, j->dur_c);
    kpi__put_varint(w, j->n_open);
    for (uint32_t i = 0; i < j->n_open; i++) {
        const jent *e = &j->ent[i];
        kpi__put_varint(w, e->customer);
        kpi__put_svarint(w, e->first_t);
        kpi__put_svarint(w, e->last_t);
        kpi__put_varint(w, e->touches);
        kpi__put_varint(w, e->switches);
        kpi__put_varint(w, e->channel);
    }
}

static int journey_decode(kpi__reader *r, const kpi_allocator *a, void **out)
{
    uint64_t max = kpi__get_varint(r);
    int64_t idle = kpi__get_svarint(r);
    uint8_t have_clock = kpi__get_u8(r);
    int64_t clock = kpi__get_svarint(r);
    uint64_t st[6];
    for (int i = 0; i < 6; i++)
        st[i] = kpi__get_varint(r);
    double dur = kpi__get_finite(r), dur_c = kpi__get_finite(r);
    if (r->err)
        return r->err;
    /* closed, resolved, unresolved, evicted, touches, switches */
    if (max < 1 || max > KPI_JOURNEY_MAX_CUSTOMERS || idle <= 0 ||
        have_clock > 1 || (!have_clock && clock != 0) ||
        st[1] > st[0] || st[2] != st[0] - st[1] || st[3] > st[2] ||
        st[4] < st[0] || st[5] > st[4] - st[0] ||
        /* the sums are of closed journeys' touches (and switches) */
        (st[0] == 0 && st[4] != 0) || dur + dur_c < 0 ||
        !kpi__sum_finite(dur, dur_c) ||
        /* the rounding errors of durations >= 0, at most 2^-53 of the
         * sum each: some 2^52 resolves short of half the sum */
        !(fabs(dur_c) <= dur / 2) ||
        (st[1] == 0 && (dur != 0 || dur_c != 0)))
        return KPI_ERR_CORRUPT;
    /* a journey resolves at or before the clock (which only moves on) and
     * starts at or after INT64_MIN: each of the resolved ones lasted at
     * most clock - INT64_MIN, so the sum is at most resolved times that
     * (a compensated sum of non-negative terms errs far less than the
     * 2^-20 allowed); no resolve without a clock */
    if (st[1] > 0 &&
        (!have_clock ||
         dur + dur_c > (double)st[1] *
                           (double)((uint64_t)clock - (uint64_t)INT64_MIN) *
                           (1 + 0x1p-20)))
        return KPI_ERR_CORRUPT;
    size_t n = kpi__get_count(r, (size_t)max, 6);
    if (r->err)
        return r->err;
    if (n > 0 && !have_clock)
        return KPI_ERR_CORRUPT;
    kpi_journey *j;
    int rc = journey_create((uint32_t)max, idle, a, &j);
    if (rc != KPI_OK)
        return rc;
    j->have_clock = have_clock;
    j->clock = clock;
    j->closed = st[0];
    j->resolved = st[1];
    j->unresolved = st[2];
    j->evicted = st[3];
    j->sum_touches = st[4];
    j->sum_switches = st[5];
    j->dur = dur;
    j->dur_c = dur_c;
    int64_t h = horizon(j, clock);
    for (size_t i = 0; i < n && !r->err; i++) {
        jent e;
        e.customer = kpi__get_varint(r);
        e.first_t = kpi__get_svarint(r);
        e.last_t = kpi__get_svarint(r);
        e.touches = kpi__get_varint(r);
        e.switches = kpi__get_varint(r);
        uint64_t ch = kpi__get_varint(r);
        if (r->err)
            break;
        /* one touch is at one time: first = last */
        if (ch > UINT32_MAX || e.first_t > e.last_t || e.touches < 1 ||
            (e.touches == 1 && e.first_t != e.last_t) ||
            e.switches >= e.touches || e.last_t > clock || e.last_t < h ||
            find(j, e.customer) != NONE) {
            kpi__reader_fail(r, KPI_ERR_CORRUPT);
            break;
        }
        /* each touch at most idle after the one before: n touches span
         * at most (n - 1) idle */
        uint64_t most;
        if (!__builtin_mul_overflow(e.touches - 1, (uint64_t)idle, &most) &&
            (uint64_t)e.last_t - (uint64_t)e.first_t > most) {
            kpi__reader_fail(r, KPI_ERR_CORRUPT);
            break;
        }
        if (e.touches > UINT64_MAX - j->sum_touches - j->open_touches) {
            kpi__reader_fail(r, KPI_ERR_CORRUPT); /* touches past 2^64 - 1 */
            break;
        }
        e.channel = (uint32_t)ch;
        j->open_touches += e.touches;
        uint32_t idx = j->n_open++;
        e.heap_pos = idx;
        j->ent[idx] = e;
        table_insert(j, e.customer, idx);
        j->heap[idx] = idx;
        sift_up(j, idx);
    }
    if (r->err) {
        rc = r->err;
        journey_destroy(j);
        return rc;
    }
    *out = j;
    return KPI_OK;
}

static const kpi__type kpi__journey_type = {
    KPI__TAG_JOURNEY, "journey",      journey_clone,  journey_destroy,
    journey_reset,    journey_merge,  journey_encode, journey_decode,
    journey_footprint};

KPI_API int kpi_journey_new_with(kpi_journey **out, uint32_t max_customers,
                                 int64_t idle_ms, const kpi_allocator *alloc)
{
    kpi_allocator a;
    if (out == NULL || kpi__allocator_resolve(alloc, &a) != KPI_OK)
        return KPI_ERR_INVALID;
    if (max_customers < 1 || max_customers > KPI_JOURNEY_MAX_CUSTOMERS ||
        idle_ms <= 0)
        return KPI_ERR_RANGE;
    return journey_create(max_customers, idle_ms, alloc, out);
}

KPI_API int kpi_journey_new(kpi_journey **out, uint32_t max_customers,
                            int64_t idle_ms)
{
    return kpi_journey_new_with(out, max_customers, idle_ms, NULL);
}

KPI_API void kpi_journey_free(kpi_journey *p) { kpi__release(p); }

KPI_API void kpi_journey_reset(kpi_journey *p)
{
    if (kpi__is(p, &kpi__journey_type))
        journey_reset(p);
}

KPI_API int kpi_journey_clone(const kpi_journey *p, kpi_journey **out)
{
    return kpi__clone(&kpi__journey_type, p, (void **)out);
}

KPI_API int kpi_journey_touchpoints_mean(const kpi_journey *p, double *out)
{
    if (!kpi__is(p, &kpi__journey_type) || out == NULL)
        return KPI_ERR_INVALID;
    if (p->closed == 0)
        return KPI_ERR_EMPTY;
    *out = (double)p->sum_touches / (double)p->closed;
    return KPI_OK;
}

KPI_API int kpi_journey_switches_mean(const kpi_journey *p, double *out)
{
    if (!kpi__is(p, &kpi__journey_type) || out == NULL)
        return KPI_ERR_INVALID;
    if (p->closed == 0)
        return KPI_ERR_EMPTY;
    *out = (double)p->sum_switches / (double)p->closed;
    return KPI_OK;
}

KPI_API int kpi_journey_resolution_mean(const kpi_journey *p, double *out,
                                        uint64_t *n)
{
    if (!kpi__is(p, &kpi__journey_type) || out == NULL)
        return KPI_ERR_INVALID;
    if (p->resolved == 0)
        return KPI_ERR_EMPTY;
    *out = (p->dur + p->dur_c) / (double)p->resolved;
    if (n)
        *n = p->resolved;
    return KPI_OK;
}

KPI_API uint64_t kpi_journey_open(const kpi_journey *p)
{
    return kpi__is(p, &kpi__journey_type) ? p->n_open : 0;
}

KPI_API uint64_t kpi_journey_unresolved(const kpi_journey *p)
{
    return kpi__is(p, &kpi__journey_type) ? p->unresolved : 0;
}

KPI_API uint64_t kpi_journey_evicted(const kpi_journey *p)
{
    return kpi__is(p, &kpi__journey_type) ? p->evicted : 0;
}

KPI_API int kpi_journey_merge(kpi_journey *dst, const kpi_journey *src)
{
    return kpi__merge(&kpi__journey_type, dst, src);
}

KPI_API int kpi_journey_serialize(const kpi_journey *p, void *buf, size_t cap,
                                  size_t *len)
{
    if (!kpi__is(p, &kpi__journey_type))
        return KPI_ERR_INVALID;
    return kpi__serialize(p, buf, cap, len);
}

KPI_API int kpi_journey_deserialize_with(kpi_journey **out, const void *buf,
                                         size_t len, const kpi_allocator *alloc)
{
    return kpi__deserialize(&kpi__journey_type, buf, len, alloc, (void **)out);
}

KPI_API int kpi_journey_deserialize(kpi_journey **out, const void *buf,
                                    size_t len)
{
    return kpi_journey_deserialize_with(out, buf, len, NULL);
}

KPI_API size_t kpi_journey_footprint(const kpi_journey *p)
{
    return kpi__is(p, &kpi__journey_type) ? journey_footprint(p) : 0;
}
