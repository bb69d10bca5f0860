/*
 * SLA policies: targets per priority and metric, in calendar or business
 * time, with paused time supplied by the caller.
 * SPDX-License-Identifier: MIT
 */
#include "kpi/sla.h"

#include "codec.h"

#define NMETRIC 3


typedef struct target {
    int64_t ms;
    uint8_t set;
    uint8_t business;
} target;

struct kpi_sla_policy {
    kpi__object base;
    kpi_calendar *cal; /* own clone, or NULL */
    target t[KPI_SLA_PRIORITIES][NMETRIC];
};


static void sla_destroy(void *obj)
{
    kpi_sla_policy *p = obj;
    kpi__destroy(p->cal);
    kpi__object_free(p);
}

static int sla_create(const kpi_calendar *cal, const kpi_allocator *a,
                      kpi_sla_policy **out)
{
    if (out == NULL)
        return KPI_ERR_INVALID;
    if (cal != NULL && !kpi__is(cal, (&kpi__calendar_type)))
        return KPI_ERR_INVALID;
    void *o;
    int rc = kpi__object_new(&kpi__sla_policy_type, sizeof(kpi_sla_policy), a, &o);
    if (rc != KPI_OK)
        return rc;
    kpi_sla_policy *p = o;
    if (cal != NULL) {
        /* clone with the policy's allocator: encode and decode are the
         * generic way to rebuild an object with another allocator */
        kpi_calendar *copy = NULL;
        size_t len = 0;
        kpi__serialize(cal, NULL, 0, &len);
        void *buf = kpi__malloc(&p->base.alloc, len);
        if (buf == NULL) {
            kpi__object_free(p);
            return KPI_ERR_NOMEM;
        }
        kpi__serialize(cal, buf, len, &len);
        rc = kpi__deserialize((&kpi__calendar_type), buf, len, &p->base.alloc,
                              (void **)&copy);
        kpi__free(&p->base.alloc, buf);
        if (rc != KPI_OK) {
            kpi__object_free(p);
            return rc;
        }
        p->cal = copy;
    }
    *out = p;
    return KPI_OK;
}

static int sla_clone(const void *src, void **out)
{
    const kpi_sla_policy *s = src;
    kpi_sla_policy *p;
    int rc = kpi__object_new(&kpi__sla_policy_type, sizeof(kpi_sla_policy), &s->base.alloc,
                             (void **)&p);
    if (rc != KPI_OK)
        return rc;
    if (s->cal != NULL &&
        (rc = kpi__clone((&kpi__calendar_type), s->cal, (void **)&p->cal)) != KPI_OK) {
        kpi__object_free(p);
        return rc;
    }
    memcpy(p->t, s->t, sizeof p->t);
    *out = p;
    return KPI_OK;
}

const kpi_calendar *kpi__sla_policy_calendar(const kpi_sla_policy *p)
{
    return p->cal;
}

static void sla_reset(void *obj) { (void)obj; /* configuration only */ }

static int sla_same(const kpi_sla_policy *a, const kpi_sla_policy *b)
{
    for (int i = 0; i < KPI_SLA_PRIORITIES; i++)
        for (int m = 0; m < NMETRIC; m++) {
            const target *x = &a->t[i][m], *y = &b->t[i][m];
            if (x->set != y->set ||
                (x->set && (x->ms != y->ms || x->business != y->business)))
                return 0;
        }
    if ((a->cal == NULL) != (b->cal == NULL))
        return 0;
    int eq = 1;
    if (a->cal != NULL)
        kpi_calendar_equal(a->cal, b->cal, &eq);
    return eq;
}

static int sla_merge(void *dst, const void *src)
{
    return sla_same(dst, src) ? KPI_OK : KPI_ERR_INCOMPATIBLE;
}

static void sla_encode(const void *obj, kpi__writer *w)
{
    const kpi_sla_policy *p = obj;
    kpi__put_u8(w, p->cal != NULL);
    if (p->cal != NULL)
        kpi__put_object(w, p->cal);
    for (int i = 0; i < KPI_SLA_PRIORITIES; i++)
        for (int m = 0; m < NMETRIC; m++) {
            const target *t = &p->t[i][m];
            kpi__put_u8(w, (uint8_t)(t->set | (t->business << 1)));
            if (t->set)
                kpi__put_varint(w, (uint64_t)t->ms);
        }
}

static int sla_decode(kpi__reader *r, const kpi_allocator *a, void **out)
{
    uint8_t has = kpi__get_u8(r);
    if (r->err)
        return r->err;
    if (has > 1)
        return KPI_ERR_CORRUPT;
    kpi_sla_policy *p;
    int rc = kpi__object_new(&kpi__sla_policy_type, sizeof(kpi_sla_policy), a, (void **)&p);
    if (rc != KPI_OK)
        return rc;
    if (has && (rc = kpi__get_object(r, (&kpi__calendar_type), a,
                                     (void **)&p->cal)) != KPI_OK) {
        kpi__object_free(p);
        return rc == KPI_ERR_TRUNCATED ? KPI_ERR_CORRUPT : rc;
    }
    for (int i = 0; i < KPI_SLA_PRIORITIES && !r->err; i++)
        for (int m = 0; m < NMETRIC; m++) {
            uint8_t f = kpi__get_u8(r);
            if (f > 3 || (f == 3 && !has) || f == 2) {
                kpi__reader_fail(r, KPI_ERR_CORRUPT);
                break;
            }
            p->t[i][m].set = f & 1;
            p->t[i][m].business = (uint8_t)(f >> 1);
            if (f & 1) {
                uint64_t v = kpi__get_varint(r);
                if (v > (uint64_t)INT64_MAX)
                    kpi__reader_fail(r, KPI_ERR_CORRUPT);
                p->t[i][m].ms = (int64_t)v;
            }
        }
    if (r->err) {
        sla_destroy(p);
        return r->err;
    }
    *out = p;
    return KPI_OK;
}

static size_t sla_footprint(const void *obj)
{
    const kpi_sla_policy *p = obj;
    return sizeof *p + kpi_calendar_footprint(p->cal);
}

const kpi__type kpi__sla_policy_type = {
    KPI__TAG_SLA_POLICY, "sla_policy", sla_clone,  sla_destroy,  sla_reset,
    sla_merge,           sla_encode,   sla_decode, sla_footprint};

/* ---- public ------------------------------------------------------------- */

KPI_API int kpi_sla_policy_new_with(kpi_sla_policy **out,
                                    const kpi_calendar *cal,
                                    const kpi_allocator *alloc)
{
    return sla_create(cal, alloc, out);
}

KPI_API int kpi_sla_policy_new(kpi_sla_policy **out, const kpi_calendar *cal)
{
    return sla_create(cal, NULL, out);
}

KPI_API void kpi_sla_policy_free(kpi_sla_policy *p) { kpi__release(p); }

KPI_API int kpi_sla_policy_clone(const kpi_sla_policy *p, kpi_sla_policy **out)
{
    return kpi__clone(&kpi__sla_policy_type, p, (void **)out);
}

/* A target's key: the metric is a selector (an unknown one is
 * #KPI_ERR_INVALID, checked first), the priority a caller's number
 * (#KPI_ERR_RANGE beyond the library's limit). */
static int check_key(uint32_t priority, int metric)
{
    if (metric < 0 || metric >= NMETRIC)
        return KPI_ERR_INVALID;
    return priority < KPI_SLA_PRIORITIES ? KPI_OK : KPI_ERR_RANGE;
}

KPI_API int kpi_sla_policy_set_target(kpi_sla_policy *p, uint32_t priority,
                                      int metric, int64_t target_ms,
                                      int business_hours)
{
    if (!kpi__is(p, &kpi__sla_policy_type))
        return KPI_ERR_INVALID;
    int rc = check_key(priority, metric);
    if (rc != KPI_OK)
        return rc;
    /* a flag other than 0 or 1 is a value out of its range, as for
     * kpi_rate_add() and kpi_score_set_high_is_easy() */
    if (target_ms < 0 || (business_hours != 0 && business_hours != 1))
        return KPI_ERR_RANGE;
    if (business_hours && p->cal == NULL)
        return KPI_ERR_STATE;
    target *t = &p->t[priority][metric];
    t->ms = target_ms;
    t->set = 1;
    t->business = (uint8_t)business_hours;
    return KPI_OK;
}

static int lookup(const kpi_sla_policy *p, uint32_t priority, int metric,
                  const target **t)
{
    int rc = check_key(priority, metric);
    if (rc != KPI_OK)
        return rc;
    *t = &p->t[priority][metric];
    return (*t)->set ? KPI_OK : KPI_ERR_UNKNOWN_ID;
}

KPI_API int kpi_sla_policy_target(const kpi_sla_policy *p, uint32_t priority,
                                  int metric, int64_t *target_ms,
                                  int *business_hours)
{
    const target *t;
    if (!kpi__is(p, &kpi__sla_policy_type) || target_ms == NULL || business_hours == NULL)
        return KPI_ERR_INVALID;
    int rc = lookup(p, priority, metric, &t);
    if (rc != KPI_OK)
        return rc;
    *target_ms = t->ms;
    *business_hours = t->business;
    return KPI_OK;
}

KPI_API int kpi_sla_policy_due(const kpi_sla_policy *p, uint32_t priority,
                               int metric, int64_t start_ms, int64_t paused_ms,
                               int64_t *due_ms)
{
    const target *t;
    if (!kpi__is(p, &kpi__sla_policy_type) || due_ms == NULL)
        return KPI_ERR_INVALID;
    int rc = lookup(p, priority, metric, &t);
    if (rc != KPI_OK)
        return rc;
    if (paused_ms < 0)
        return KPI_ERR_RANGE;
    int64_t span, due;
    if (!kpi__add_i64(t->ms, paused_ms, &span))
        return KPI_ERR_OVERFLOW;
    if (t->business)
        return kpi_calendar_due(p->cal, start_ms, span, due_ms);
    if (!kpi__add_i64(start_ms, span, &due))
        return KPI_ERR_OVERFLOW;
    *due_ms = due;
    return KPI_OK;
}

/* The clock of a target between start and end: elapsed - paused. */
static int sla_clock(const kpi_sla_policy *p, const target *t, int64_t start,
                 int64_t end, int64_t paused, int64_t biz, int64_t *out)
{
    if (end < start || paused < 0)
        return KPI_ERR_RANGE;
    int64_t e;
    if (t->business && biz >= 0) {
        e = biz; /* the caller's business span of [start, end] in p->cal */
    } else if (t->business) {
        int rc = kpi_calendar_elapsed(p->cal, start, end, &e);
        if (rc != KPI_OK)
            return rc;
    } else {
        /* end >= start, but the difference may still overflow */
        if (start < 0 && end > INT64_MAX + start)
            return KPI_ERR_RANGE;
        e = end - start;
    }
    if (paused > e)
        return KPI_ERR_RANGE;
    *out = e - paused;
    return KPI_OK;
}

KPI_API int kpi_sla_policy_met(const kpi_sla_policy *p, uint32_t priority,
                               int metric, int64_t start_ms, int64_t end_ms,
                               int64_t paused_ms, int *met)
{
    return kpi__sla_policy_met_span(p, priority, metric, start_ms, end_ms, paused_ms, -1, met);
}

int kpi__sla_policy_met_span(const struct kpi_sla_policy *p, uint32_t priority, int metric,
                             int64_t start_ms, int64_t end_ms, int64_t paused_ms,
                             int64_t biz_ms, int *met)
{
    const target *t;
    if (!kpi__is(p, &kpi__sla_policy_type) || met == NULL)
        return KPI_ERR_INVALID;
    int rc = lookup(p, priority, metric, &t);
    int64_t c;
    if (rc == KPI_OK)
        rc = sla_clock(p, t, start_ms, end_ms, paused_ms, biz_ms, &c);
    if (rc != KPI_OK)
        return rc;
    *met = c <= t->ms;
    return KPI_OK;
}

KPI_API int kpi_sla_policy_remaining(const kpi_sla_policy *p,
                                     uint32_t priority, int metric,
                                     int64_t start_ms, int64_t now_ms,
                                     int64_t paused_ms, int64_t *remaining_ms)
{
    const target *t;
    if (!kpi__is(p, &kpi__sla_policy_type) || remaining_ms == NULL)
        return KPI_ERR_INVALID;
    int rc = lookup(p, priority, metric, &t);
    int64_t c;
    if (rc == KPI_OK)
        rc = sla_clock(p, t, start_ms, now_ms, paused_ms, -1, &c);
    if (rc != KPI_OK)
        return rc;
    *remaining_ms = t->ms - c; /* both >= 0: cannot overflow */
    return KPI_OK;
}

KPI_API int kpi_sla_policy_equal(const kpi_sla_policy *a,
                                 const kpi_sla_policy *b, int *equal)
{
    if (!kpi__is(a, &kpi__sla_policy_type) || !kpi__is(b, &kpi__sla_policy_type) || equal == NULL)
        return KPI_ERR_INVALID;
    *equal = sla_same(a, b);
    return KPI_OK;
}

KPI_API int kpi_sla_policy_serialize(const kpi_sla_policy *p, void *buf,
                                     size_t cap, size_t *len)
{
    if (!kpi__is(p, &kpi__sla_policy_type))
        return KPI_ERR_INVALID;
    return kpi__serialize(p, buf, cap, len);
}

KPI_API int kpi_sla_policy_deserialize_with(kpi_sla_policy **out,
                                            const void *buf, size_t len,
                                            const kpi_allocator *alloc)
{
    return kpi__deserialize(&kpi__sla_policy_type, buf, len, alloc, (void **)out);
}

KPI_API int kpi_sla_policy_deserialize(kpi_sla_policy **out, const void *buf,
                                       size_t len)
{
    return kpi__deserialize(&kpi__sla_policy_type, buf, len, NULL, (void **)out);
}

KPI_API size_t kpi_sla_policy_footprint(const kpi_sla_policy *p)
{
    return kpi__is(p, &kpi__sla_policy_type) ? sla_footprint(p) : 0;
}
