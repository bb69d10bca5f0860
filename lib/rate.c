/*
 * Yes/no outcomes: successes out of trials, read as a share with its
 * Wilson score interval (Wilson 1927; Newcombe 1998, method 3).
 * SPDX-License-Identifier: MIT
 */
#include "codec.h"
#include "kpi/rate.h"

/* struct kpi_rate: lib/internal.h (the engine adds to it inline) */

static int rate_make(kpi_rate **out, const kpi_allocator *alloc)
{
    if (out == NULL)
        return KPI_ERR_INVALID;
    return kpi__object_new(&kpi__rate_type, sizeof(kpi_rate), alloc, (void **)out);
}

int kpi_rate_new_with(kpi_rate **out, const kpi_allocator *alloc)
{
    return rate_make(out, alloc);
}

int kpi_rate_new(kpi_rate **out) { return rate_make(out, NULL); }

static void rate_destroy(void *obj) { kpi__object_free(obj); }

static void rate_reset(void *obj)
{
    kpi_rate *r = obj;
    r->successes = r->trials = 0;
}

static int rate_clone(const void *src, void **out)
{
    const kpi_rate *s = src;
    kpi_rate *r;
    int rc = rate_make(&r, &s->base.alloc);
    if (rc != KPI_OK)
        return rc;
    r->successes = s->successes;
    r->trials = s->trials;
    *out = r;
    return KPI_OK;
}

static int rate_merge(void *dst, const void *src)
{
    kpi_rate *d = dst;
    const kpi_rate *s = src;
    uint64_t t;
    if (!kpi__add_u64(d->trials, s->trials, &t))
        return KPI_ERR_OVERFLOW;
    d->successes += s->successes; /* <= trials, cannot overflow */
    d->trials = t;
    return KPI_OK;
}

static void rate_encode(const void *obj, kpi__writer *w)
{
    const kpi_rate *r = obj;
    kpi__put_varint(w, r->successes);
    kpi__put_varint(w, r->trials);
}

static int rate_decode(kpi__reader *r, const kpi_allocator *a, void **out)
{
    uint64_t s = kpi__get_varint(r), t = kpi__get_varint(r);
    if (r->err)
        return r->err;
    if (s > t)
        return KPI_ERR_CORRUPT;
    kpi_rate *p;
    int rc = rate_make(&p, a);
    if (rc != KPI_OK)
        return rc;
    p->successes = s;
    p->trials = t;
    *out = p;
    return KPI_OK;
}

static size_t rate_footprint(const void *obj)
{
    (void)obj;
    return sizeof(kpi_rate);
}

const kpi__type kpi__rate_type = {
    KPI__TAG_RATE, "rate",      rate_clone,  rate_destroy,  rate_reset,
    rate_merge,    rate_encode, rate_decode, rate_footprint};

void kpi_rate_free(kpi_rate *r) { kpi__release(r); }

void kpi_rate_reset(kpi_rate *r)
{
    if (kpi__is(r, &kpi__rate_type))
        rate_reset(r);
}

int kpi_rate_clone(const kpi_rate *r, kpi_rate **out)
{
    return kpi__clone(&kpi__rate_type, r, (void **)out);
}

int kpi_rate_merge(kpi_rate *dst, const kpi_rate *src)
{
    return kpi__merge(&kpi__rate_type, dst, src);
}

int kpi_rate_serialize(const kpi_rate *r, void *buf, size_t cap, size_t *len)
{
    if (!kpi__is(r, &kpi__rate_type))
        return KPI_ERR_INVALID;
    return kpi__serialize(r, buf, cap, len);
}

int kpi_rate_deserialize_with(kpi_rate **out, const void *buf, size_t len,
                              const kpi_allocator *alloc)
{
    return kpi__deserialize(&kpi__rate_type, buf, len, alloc, (void **)out);
}

int kpi_rate_deserialize(kpi_rate **out, const void *buf, size_t len)
{
    return kpi_rate_deserialize_with(out, buf, len, NULL);
}

size_t kpi_rate_footprint(const kpi_rate *r)
{
    return kpi__is(r, &kpi__rate_type) ? sizeof(kpi_rate) : 0;
}

int kpi_rate_add(kpi_rate *r, int success)
{
    if (!kpi__is(r, &kpi__rate_type))
        return KPI_ERR_INVALID;
    if (success != 0 && success != 1)
        return KPI_ERR_RANGE;
    return kpi__rate_add_valid(r, success) ? KPI_OK : KPI_ERR_OVERFLOW;
}

int kpi_rate_add_counts(kpi_rate *r, uint64_t successes, uint64_t trials)
{
    if (!kpi__is(r, &kpi__rate_type))
        return KPI_ERR_INVALID;
    if (successes > trials)
        return KPI_ERR_RANGE;
    uint64_t t;
    if (!kpi__add_u64(r->trials, trials, &t))
        return KPI_ERR_OVERFLOW;
    r->successes += successes;
    r->trials = t;
    return KPI_OK;
}

int kpi_rate_add_array(kpi_rate *r, const uint8_t *outcomes, size_t n)
{
    if (!kpi__is(r, &kpi__rate_type) || (outcomes == NULL && n > 0))
        return KPI_ERR_INVALID;
    if ((uint64_t)n > UINT64_MAX - r->trials)
        return KPI_ERR_OVERFLOW;
    /* branch-free: OR of all bytes says whether any is above 1, the sum
     * counts the ones; blocks keep the 32-bit partial sums exact */
    uint64_t ones = 0;
    uint8_t any = 0;
    for (size_t i = 0; i < n; i += 65536) {
        size_t m = n - i < 65536 ? n - i : 65536;
        uint32_t sum = 0;
        uint8_t o = 0;
        for (size_t j = 0; j < m; j++) {
            o |= outcomes[i + j];
            sum += outcomes[i + j];
        }
        any |= o;
        ones += sum;
    }
    if (any > 1)
        return KPI_ERR_RANGE;
    r->successes += ones;
    r->trials += (uint64_t)n;
    return KPI_OK;
}

uint64_t kpi_rate_successes(const kpi_rate *r)
{
    return kpi__is(r, &kpi__rate_type) ? r->successes : 0;
}

uint64_t kpi_rate_trials(const kpi_rate *r)
{
    return kpi__is(r, &kpi__rate_type) ? r->trials : 0;
}

int kpi_rate_share(const kpi_rate *r, kpi_estimate *out)
{
    if (!kpi__is(r, &kpi__rate_type) || out == NULL)
        return KPI_ERR_INVALID;
    if (r->trials == 0)
        return KPI_ERR_EMPTY;
    kpi__wilson(r->successes, r->trials, out);
    return KPI_OK;
}
