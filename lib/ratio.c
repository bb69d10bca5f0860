/*
 * Ratio of two Neumaier-compensated sums.  See include/kpi/ratio.h.
 * SPDX-License-Identifier: MIT
 *
 * Neumaier's variant of Kahan summation keeps a running compensation c of
 * the low-order bits lost by each addition (whichever operand is larger),
 * and the sum is read as s + c.
 */
#include <math.h>

#include "codec.h"
#include "kpi/ratio.h"

/* struct kpi_ratio and the Neumaier step are in lib/internal.h (the ticket
 * engine adds to ratios inline). */

static int ratio_create(uint32_t kind, const kpi_allocator *a, kpi_ratio **out)
{
    void *o;
    int rc = kpi__object_new(&kpi__ratio_type, sizeof(kpi_ratio), a, &o);
    if (rc != KPI_OK)
        return rc;
    ((kpi_ratio *)o)->kind = kind;
    *out = o;
    return KPI_OK;
}

static void ratio_destroy(void *obj) { kpi__object_free(obj); }

static void ratio_reset(void *obj)
{
    kpi_ratio *p = obj;
    p->n = 0;
    p->num = p->num_c = p->den = p->den_c = 0;
}

static int ratio_clone(const void *src, void **out)
{
    const kpi_ratio *s = src;
    kpi_ratio *d;
    int rc = ratio_create(s->kind, &s->base.alloc, &d);
    if (rc != KPI_OK)
        return rc;
    kpi__object base = d->base;
    *d = *s;
    d->base = base;
    *out = d;
    return KPI_OK;
}

static int ratio_merge(void *dst, const void *src)
{
    kpi_ratio *d = dst;
    const kpi_ratio *s = src;
    if (d->kind != s->kind)
        return KPI_ERR_INCOMPATIBLE;
    uint64_t n;
    if (!kpi__add_u64(d->n, s->n, &n))
        return KPI_ERR_OVERFLOW;
    double v[4] = {d->num, d->num_c, d->den, d->den_c};
    kpi__neumaier(&v[0], &v[1], s->num);
    kpi__neumaier(&v[0], &v[1], s->num_c);
    kpi__neumaier(&v[2], &v[3], s->den);
    kpi__neumaier(&v[2], &v[3], s->den_c);
    if (!kpi__sum_finite(v[0], v[1]) || !kpi__sum_finite(v[2], v[3]))
        return KPI_ERR_OVERFLOW;
    d->n = n;
    d->num = v[0];
    d->num_c = v[1];
    d->den = v[2];
    d->den_c = v[3];
    return KPI_OK;
}

static void ratio_encode(const void *obj, kpi__writer *w)
{
    const kpi_ratio *p = obj;
    kpi__put_varint(w, p->kind);
    kpi__put_varint(w, p->n);
    kpi__put_f64(w, p->num);
    kpi__put_f64(w, p->num_c);
    kpi__put_f64(w, p->den);
    kpi__put_f64(w, p->den_c);
}

static int ratio_decode(kpi__reader *r, const kpi_allocator *a, void **out)
{
    uint64_t kind = kpi__get_varint(r);
    uint64_t n = kpi__get_varint(r);
    double num = kpi__get_finite(r), num_c = kpi__get_finite(r);
    double den = kpi__get_finite(r), den_c = kpi__get_finite(r);
    if (r->err)
        return r->err;
    /* each sum a number, as every add and merge keeps it (two finite parts
     * may add up to inf) */
    if (kind > KPI_RATIO_KIND_MAX || den + den_c < 0 ||
        !kpi__sum_finite(num, num_c) || !kpi__sum_finite(den, den_c) ||
        (n == 0 && (num != 0 || num_c != 0 || den != 0 || den_c != 0)))
        return KPI_ERR_CORRUPT;
    kpi_ratio *p;
    int rc = ratio_create((uint32_t)kind, a, &p);
    if (rc != KPI_OK)
        return rc;
    p->n = n;
    p->num = num;
    p->num_c = num_c;
    p->den = den;
    p->den_c = den_c;
    *out = p;
    return KPI_OK;
}

static size_t ratio_footprint(const void *obj)
{
    (void)obj;
    return sizeof(kpi_ratio);
}

const kpi__type kpi__ratio_type = {
    KPI__TAG_RATIO, "ratio",     ratio_clone,  ratio_destroy,  ratio_reset,
    ratio_merge,    ratio_encode, ratio_decode, ratio_footprint};

KPI_API int kpi_ratio_new_with(kpi_ratio **out, uint32_t kind,
                               const kpi_allocator *alloc)
{
    kpi_allocator a;
    if (out == NULL || kpi__allocator_resolve(alloc, &a) != KPI_OK)
        return KPI_ERR_INVALID;
    if (kind > KPI_RATIO_KIND_MAX)
        return KPI_ERR_INVALID; /* an unknown kind */
    return ratio_create(kind, alloc, out);
}

KPI_API int kpi_ratio_new(kpi_ratio **out)
{
    return kpi_ratio_new_with(out, KPI_RATIO_GENERIC, NULL);
}
KPI_API int kpi_cost_per_resolution_new(kpi_ratio **out)
{
    return kpi_ratio_new_with(out, KPI_RATIO_COST_PER_RESOLUTION, NULL);
}
KPI_API int kpi_cost_per_ticket_new(kpi_ratio **out)
{
    return kpi_ratio_new_with(out, KPI_RATIO_COST_PER_TICKET, NULL);
}
KPI_API int kpi_cost_to_revenue_new(kpi_ratio **out)
{
    return kpi_ratio_new_with(out, KPI_RATIO_COST_TO_REVENUE, NULL);
}
KPI_API int kpi_tickets_per_agent_hour_new(kpi_ratio **out)
{
    return kpi_ratio_new_with(out, KPI_RATIO_TICKETS_PER_AGENT_HOUR, NULL);
}

KPI_API void kpi_ratio_free(kpi_ratio *p) { kpi__release(p); }

KPI_API void kpi_ratio_reset(kpi_ratio *p)
{
    if (kpi__is(p, &kpi__ratio_type))
        ratio_reset(p);
}

KPI_API int kpi_ratio_clone(const kpi_ratio *p, kpi_ratio **out)
{
    return kpi__clone(&kpi__ratio_type, p, (void **)out);
}

static int check_pair(double num, double den)
{
    if (!isfinite(num) || !isfinite(den))
        return KPI_ERR_INVALID;
    if (den < 0)
        return KPI_ERR_RANGE;
    return KPI_OK;
}

KPI_API int kpi_ratio_add(kpi_ratio *p, double numerator, double denominator)
{
    return kpi_ratio_add_array(p, &numerator, &denominator, 1);
}

KPI_API int kpi_ratio_add_array(kpi_ratio *p, const double *numerators,
                                const double *denominators, size_t n)
{
    if (!kpi__is(p, &kpi__ratio_type) ||
        (n > 0 && (numerators == NULL || denominators == NULL)))
        return KPI_ERR_INVALID;
    for (size_t i = 0; i < n; i++) {
        int rc = check_pair(numerators[i], denominators[i]);
        if (rc != KPI_OK)
            return rc;
    }
    uint64_t c;
    if (!kpi__add_u64(p->n, (uint64_t)n, &c))
        return KPI_ERR_OVERFLOW;
    /* the sums in locals first: one past DBL_MAX is refused, not kept as
     * inf or NaN (an infinite sum never comes back to a finite one) */
    double s = p->num, sc = p->num_c, d = p->den, dc = p->den_c;
    for (size_t i = 0; i < n; i++) {
        kpi__neumaier(&s, &sc, numerators[i]);
        kpi__neumaier(&d, &dc, denominators[i]);
    }
    if (!kpi__sum_finite(s, sc) || !kpi__sum_finite(d, dc))
        return KPI_ERR_OVERFLOW;
    p->n = c;
    p->num = s;
    p->num_c = sc;
    p->den = d;
    p->den_c = dc;
    return KPI_OK;
}

KPI_API int kpi_ratio_value(const kpi_ratio *p, double *out)
{
    if (!kpi__is(p, &kpi__ratio_type) || out == NULL)
        return KPI_ERR_INVALID;
    double den = p->den + p->den_c;
    if (!(den > 0))
        return KPI_ERR_EMPTY;
    double v = (p->num + p->num_c) / den;
    if (!isfinite(v))
        return KPI_ERR_OVERFLOW; /* a quotient past DBL_MAX: 1e300 / 1e-10 */
    *out = v;
    return KPI_OK;
}

KPI_API double kpi_ratio_numerator(const kpi_ratio *p)
{
    return kpi__is(p, &kpi__ratio_type) ? p->num + p->num_c : 0.0;
}

KPI_API double kpi_ratio_denominator(const kpi_ratio *p)
{
    return kpi__is(p, &kpi__ratio_type) ? p->den + p->den_c : 0.0;
}

KPI_API uint64_t kpi_ratio_count(const kpi_ratio *p)
{
    return kpi__is(p, &kpi__ratio_type) ? p->n : 0;
}

KPI_API uint32_t kpi_ratio_kind(const kpi_ratio *p)
{
    return kpi__is(p, &kpi__ratio_type) ? p->kind : KPI_RATIO_GENERIC;
}

KPI_API int kpi_ratio_merge(kpi_ratio *dst, const kpi_ratio *src)
{
    return kpi__merge(&kpi__ratio_type, dst, src);
}

KPI_API int kpi_ratio_serialize(const kpi_ratio *p, void *buf, size_t cap,
                                size_t *len)
{
    if (!kpi__is(p, &kpi__ratio_type))
        return KPI_ERR_INVALID;
    return kpi__serialize(p, buf, cap, len);
}

KPI_API int kpi_ratio_deserialize_with(kpi_ratio **out, const void *buf,
                                       size_t len, const kpi_allocator *alloc)
{
    return kpi__deserialize(&kpi__ratio_type, buf, len, alloc, (void **)out);
}

KPI_API int kpi_ratio_deserialize(kpi_ratio **out, const void *buf, size_t len)
{
    return kpi_ratio_deserialize_with(out, buf, len, NULL);
}

KPI_API size_t kpi_ratio_footprint(const kpi_ratio *p)
{
    return kpi__is(p, &kpi__ratio_type) ? sizeof(kpi_ratio) : 0;
}
