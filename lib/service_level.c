/*
 * Service level, abandonment, unserved (blocked) contacts and ASA.
 * SPDX-License-Identifier: MIT
 *
 * Plain counters by outcome and by position against the thresholds T
 * (answered or abandoned with wait <= T) and S (abandoned with wait < S),
 * 64 per-reason unserved counters, and a kpi_duration (1%) of the waits
 * of answered contacts for ASA and wait quantiles.  The service-level
 * formulas are ratios of these counters (see kpi/service_level.h, which
 * works Cisco's example through each), with Wilson intervals.
 */
#include "codec.h"
#include "kpi/duration.h"
#include "kpi/service_level.h"


enum { C_ANSWERED, C_ANSWERED_IN_T, C_ABANDONED, C_ABANDONED_IN_T, C_SHORT, C_UNSERVED, C_N };

struct kpi_service_level {
    kpi__object base;
    int64_t threshold_ms, short_abandon_ms;
    uint64_t c[C_N];
    uint64_t reasons[KPI_UNSERVED_REASONS];
    kpi_duration *waits; /* answered contacts */
};


static void sl_destroy(void *obj)
{
    kpi_service_level *s = obj;
    kpi__destroy(s->waits);
    kpi__object_free(s);
}

static int sl_create(kpi_service_level **out, int64_t t, int64_t sa,
                     const kpi_allocator *alloc)
{
    if (out == NULL)
        return KPI_ERR_INVALID;
    if (t < 0 || sa < 0)
        return KPI_ERR_RANGE;
    void *o;
    int rc = kpi__object_new(&kpi__service_level_type, sizeof(kpi_service_level), alloc, &o);
    if (rc != KPI_OK)
        return rc;
    kpi_service_level *s = o;
    rc = kpi_duration_new_with(&s->waits, KPI_DURATION_DEFAULT_ACCURACY, &s->base.alloc);
    if (rc != KPI_OK) {
        kpi__object_free(s);
        return rc;
    }
    s->threshold_ms = t;
    s->short_abandon_ms = sa;
    *out = s;
    return KPI_OK;
}

int kpi_service_level_new(kpi_service_level **out, int64_t threshold_ms,
                          int64_t short_abandon_ms)
{
    return sl_create(out, threshold_ms, short_abandon_ms, NULL);
}

int kpi_service_level_new_with(kpi_service_level **out, int64_t threshold_ms,
                               int64_t short_abandon_ms, const kpi_allocator *alloc)
{
    return sl_create(out, threshold_ms, short_abandon_ms, alloc);
}

void kpi_service_level_free(kpi_service_level *s)
{
    if (kpi__is(s, &kpi__service_level_type) && !kpi__is_member(s))
        sl_destroy(s);
}

static void sl_reset(void *obj)
{
    kpi_service_level *s = obj;
    memset(s->c, 0, sizeof s->c);
    memset(s->reasons, 0, sizeof s->reasons);
    kpi_duration_reset(s->waits);
}

void kpi_service_level_reset(kpi_service_level *s)
{
    if (kpi__is(s, &kpi__service_level_type))
        sl_reset(s);
}

static int sl_clone(const void *src, void **out)
{
    const kpi_service_level *s = src;
    void *o;
    int rc = kpi__object_new(&kpi__service_level_type, sizeof(kpi_service_level), &s->base.alloc, &o);
    if (rc != KPI_OK)
        return rc;
    kpi_service_level *d = o;
    rc = kpi_duration_clone(s->waits, &d->waits);
    if (rc != KPI_OK) {
        kpi__object_free(d);
        return rc;
    }
    d->threshold_ms = s->threshold_ms;
    d->short_abandon_ms = s->short_abandon_ms;
    memcpy(d->c, s->c, sizeof d->c);
    memcpy(d->reasons, s->reasons, sizeof d->reasons);
    *out = d;
    return KPI_OK;
}

int kpi_service_level_clone(const kpi_service_level *s, kpi_service_level **out)
{
    return kpi__clone(&kpi__service_level_type, s, (void **)out);
}

static uint64_t sl_offered(const kpi_service_level *s)
{
    return s->c[C_ANSWERED] + s->c[C_ABANDONED] + s->c[C_UNSERVED];
}

int kpi_service_level_add_array(kpi_service_level *s, const int64_t *wait_ms,
                                const int *outcome, size_t n)
{
    if (!kpi__is(s, &kpi__service_level_type) || (n > 0 && (wait_ms == NULL || outcome == NULL)))
        return KPI_ERR_INVALID;
    uint64_t add[C_N] = {0};
    for (size_t i = 0; i < n; i++) {
        int o = outcome[i];
        if (o < KPI_CONTACT_ANSWERED || o > KPI_CONTACT_UNSERVED)
            return KPI_ERR_INVALID;
        if (o == KPI_CONTACT_UNSERVED) {
            add[C_UNSERVED]++;
            continue;
        }
        int64_t w = wait_ms[i];
        if (w < 0)
            return KPI_ERR_RANGE;
        if (o == KPI_CONTACT_ANSWERED) {
            add[C_ANSWERED]++;
            add[C_ANSWERED_IN_T] += w <= s->threshold_ms;
        } else {
            add[C_ABANDONED]++;
            add[C_ABANDONED_IN_T] += w <= s->threshold_ms;
            add[C_SHORT] += w < s->short_abandon_ms;
        }
    }
    /* n <= SIZE_MAX bounds each add; check the offered total */
    uint64_t c[C_N], off;
    for (int j = 0; j < C_N; j++)
        if (!kpi__add_u64(s->c[j], add[j], &c[j]))
            return KPI_ERR_OVERFLOW;
    if (!kpi__add_u64(c[C_ANSWERED], c[C_ABANDONED], &off) ||
        !kpi__add_u64(off, c[C_UNSERVED], &off))
        return KPI_ERR_OVERFLOW;
    if (add[C_ANSWERED] == 1 && n == 1) {
        int rc = kpi_duration_add(s->waits, wait_ms[0]);
        if (rc != KPI_OK)
            return rc;
    } else if (add[C_ANSWERED] > 0) {
        int64_t stack[64] = {0};
        int64_t *tmp = stack;
        if (add[C_ANSWERED] > 64) {
            tmp = kpi__malloc(&s->base.alloc, (size_t)add[C_ANSWERED] * sizeof *tmp);
            if (tmp == NULL)
                return KPI_ERR_NOMEM;
        }
        size_t m = 0;
        for (size_t i = 0; i < n; i++)
            if (outcome[i] == KPI_CONTACT_ANSWERED)
                tmp[m++] = wait_ms[i];
        int rc = kpi_duration_add_array(s->waits, tmp, m); /* all or nothing */
        if (tmp != stack)
            kpi__free(&s->base.alloc, tmp);
        if (rc != KPI_OK)
            return rc;
    }
    memcpy(s->c, c, sizeof c);
    s->reasons[0] += add[C_UNSERVED];
    return KPI_OK;
}

int kpi_service_level_add(kpi_service_level *s, int64_t wait_ms, int outcome)
{
    return kpi_service_level_add_array(s, &wait_ms, &outcome, 1);
}

int kpi_service_level_add_unserved(kpi_service_level *s, uint32_t reason)
{
    if (!kpi__is(s, &kpi__service_level_type))
        return KPI_ERR_INVALID;
    if (reason >= KPI_UNSERVED_REASONS)
        return KPI_ERR_RANGE;
    if (sl_offered(s) == UINT64_MAX)
        return KPI_ERR_OVERFLOW;
    s->c[C_UNSERVED]++;
    s->reasons[reason]++;
    return KPI_OK;
}

static int sl_merge(void *dst, const void *src)
{
    kpi_service_level *d = dst;
    const kpi_service_level *s = src;
    if (d->threshold_ms != s->threshold_ms || d->short_abandon_ms != s->short_abandon_ms)
        return KPI_ERR_INCOMPATIBLE;
    uint64_t c[C_N], off;
    for (int j = 0; j < C_N; j++)
        if (!kpi__add_u64(d->c[j], s->c[j], &c[j]))
            return KPI_ERR_OVERFLOW;
    if (!kpi__add_u64(c[C_ANSWERED], c[C_ABANDONED], &off) ||
        !kpi__add_u64(off, c[C_UNSERVED], &off))
        return KPI_ERR_OVERFLOW;
    int rc = kpi_duration_merge(d->waits, s->waits);
    if (rc != KPI_OK)
        return rc;
    memcpy(d->c, c, sizeof c);
    for (int r = 0; r < KPI_UNSERVED_REASONS; r++)
        d->reasons[r] += s->reasons[r]; /* each <= c[C_UNSERVED] */
    return KPI_OK;
}

int kpi_service_level_merge(kpi_service_level *dst, const kpi_service_level *src)
{
    return kpi__merge(&kpi__service_level_type, dst, src);
}

/* Body: svarint T, svarint S, varint counters[C_N], varint ndistinct
 * reasons, then (u8 reason, varint count) pairs, then the nested waits. */
static void sl_encode(const void *obj, kpi__writer *w)
{
    const kpi_service_level *s = obj;
    kpi__put_svarint(w, s->threshold_ms);
    kpi__put_svarint(w, s->short_abandon_ms);
    for (int j = 0; j < C_N; j++)
        kpi__put_varint(w, s->c[j]);
    unsigned nr = 0;
    for (int r = 0; r < KPI_UNSERVED_REASONS; r++)
        nr += s->reasons[r] != 0;
    kpi__put_varint(w, nr);
    for (int r = 0; r < KPI_UNSERVED_REASONS; r++)
        if (s->reasons[r]) {
            kpi__put_u8(w, (uint8_t)r);
            kpi__put_varint(w, s->reasons[r]);
        }
    kpi__put_object(w, s->waits);
}

static int sl_decode(kpi__reader *r, const kpi_allocator *a, void **out)
{
    int64_t t = kpi__get_svarint(r), sa = kpi__get_svarint(r);
    uint64_t c[C_N], reasons[KPI_UNSERVED_REASONS] = {0};
    for (int j = 0; j < C_N; j++)
        c[j] = kpi__get_varint(r);
    size_t nr = kpi__get_count(r, KPI_UNSERVED_REASONS, 2);
    int last = -1;
    uint64_t total = 0;
    bool ok = true;
    for (size_t i = 0; i < nr && ok; i++) {
        int reason = kpi__get_u8(r);
        uint64_t v = kpi__get_varint(r);
        ok = reason > last && reason < KPI_UNSERVED_REASONS && v > 0 &&
             kpi__add_u64(total, v, &total);
        if (ok)
            reasons[reason] = v;
        last = reason;
    }
    if (r->err)
        return r->err;
    uint64_t off;
    if (!ok || t < 0 || sa < 0 || total != c[C_UNSERVED] ||
        c[C_ANSWERED_IN_T] > c[C_ANSWERED] || c[C_ABANDONED_IN_T] > c[C_ABANDONED] ||
        c[C_SHORT] > c[C_ABANDONED] ||
        /* a short abandon waited < S, one in T <= T: with S = 0 none is
         * short, with S - 1 <= T each short one is in T, with S - 1 >= T
         * each one in T is short */
        (sa == 0 && c[C_SHORT] != 0) || (sa - 1 <= t && c[C_SHORT] > c[C_ABANDONED_IN_T]) ||
        (sa - 1 >= t && c[C_ABANDONED_IN_T] > c[C_SHORT]) ||
        !kpi__add_u64(c[C_ANSWERED], c[C_ABANDONED], &off) ||
        !kpi__add_u64(off, c[C_UNSERVED], &off))
        return KPI_ERR_CORRUPT;
    void *o;
    int rc = kpi__object_new(&kpi__service_level_type, sizeof(kpi_service_level), a, &o);
    if (rc != KPI_OK)
        return rc;
    kpi_service_level *s = o;
    void *wd = NULL;
    rc = kpi__get_object(r, &kpi__duration_type, a, &wd);
    if (rc != KPI_OK) {
        kpi__object_free(s);
        return rc;
    }
    s->waits = wd;
    /* the waits sl_create() makes: 1%, no targets (a target would make
     * merges with any other service level refused) */
    if (kpi_duration_count(s->waits) != c[C_ANSWERED] ||
        kpi_duration_accuracy(s->waits) != KPI_DURATION_DEFAULT_ACCURACY ||
        s->waits->ntargets != 0 ||
        /* answered in T: every wait of 0; none exactly when T is under
         * the shortest wait (else the shortest is in T); all exactly when
         * T is at or over the longest (else the longest is not) */
        (c[C_ANSWERED] > 0 &&
         (c[C_ANSWERED_IN_T] < s->waits->zeros ||
          (t < s->waits->min) != (c[C_ANSWERED_IN_T] == 0) ||
          (t >= s->waits->max) != (c[C_ANSWERED_IN_T] == c[C_ANSWERED])))) {
        sl_destroy(s);
        return KPI_ERR_CORRUPT;
    }
    s->threshold_ms = t;
    s->short_abandon_ms = sa;
    memcpy(s->c, c, sizeof c);
    memcpy(s->reasons, reasons, sizeof reasons);
    *out = s;
    return KPI_OK;
}

static size_t sl_footprint(const void *obj)
{
    const kpi_service_level *s = obj;
    return sizeof *s + kpi_duration_footprint(s->waits);
}

const kpi__type kpi__service_level_type = {
    KPI__TAG_SERVICE_LEVEL, "service_level", sl_clone,  sl_destroy,  sl_reset,
    sl_merge,               sl_encode,       sl_decode, sl_footprint};

int kpi_service_level_serialize(const kpi_service_level *s, void *buf, size_t cap,
                                size_t *len)
{
    if (!kpi__is(s, &kpi__service_level_type))
        return KPI_ERR_INVALID;
    return kpi__serialize(s, buf, cap, len);
}

int kpi_service_level_deserialize(kpi_service_level **out, const void *buf, size_t len)
{
    return kpi__deserialize(&kpi__service_level_type, buf, len, NULL, (void **)out);
}

int kpi_service_level_deserialize_with(kpi_service_level **out, const void *buf,
                                       size_t len, const kpi_allocator *alloc)
{
    return kpi__deserialize(&kpi__service_level_type, buf, len, alloc, (void **)out);
}

size_t kpi_service_level_footprint(const kpi_service_level *s)
{
    return kpi__is(s, &kpi__service_level_type) ? sl_footprint(s) : 0;
}

uint64_t kpi_service_level_offered(const kpi_service_level *s)
{
    return kpi__is(s, &kpi__service_level_type) ? sl_offered(s) : 0;
}

uint64_t kpi_service_level_answered(const kpi_service_level *s)
{
    return kpi__is(s, &kpi__service_level_type) ? s->c[C_ANSWERED] : 0;
}

uint64_t kpi_service_level_abandoned(const kpi_service_level *s)
{
    return kpi__is(s, &kpi__service_level_type) ? s->c[C_ABANDONED] : 0;
}

static int sl_ratio(uint64_t num, uint64_t den, kpi_estimate *out)
{
    if (den == 0)
        return KPI_ERR_EMPTY;
    kpi__wilson(num, den, out);
    return KPI_OK;
}

int kpi_service_level_share(const kpi_service_level *s, int formula, kpi_estimate *out)
{
    if (!kpi__is(s, &kpi__service_level_type) || out == NULL)
        return KPI_ERR_INVALID;
    const uint64_t *c = s->c;
    uint64_t off = sl_offered(s);
    switch (formula) {
    case KPI_SL_ANSWERED_OVER_OFFERED:
        return sl_ratio(c[C_ANSWERED_IN_T], off, out);
    case KPI_SL_EXCLUDE_SHORT_ABANDONS:
        return sl_ratio(c[C_ANSWERED_IN_T], off - c[C_SHORT], out);
    case KPI_SL_ANSWERED_OVER_ANSWERED:
        return sl_ratio(c[C_ANSWERED_IN_T], c[C_ANSWERED], out);
    case KPI_SL_ABANDONS_IN_T_MET:
        return sl_ratio(c[C_ANSWERED_IN_T] + c[C_ABANDONED_IN_T], off, out);
    case KPI_SL_EXCLUDE_ABANDONS_IN_T:
        return sl_ratio(c[C_ANSWERED_IN_T], off - c[C_ABANDONED_IN_T], out);
    default:
        return KPI_ERR_INVALID;
    }
}

int kpi_service_level_abandon_rate(const kpi_service_level *s, kpi_estimate *out)
{
    if (!kpi__is(s, &kpi__service_level_type) || out == NULL)
        return KPI_ERR_INVALID;
    return sl_ratio(s->c[C_ABANDONED], sl_offered(s), out);
}

int kpi_service_level_unserved_count(const kpi_service_level *s, uint32_t reason,
                                     uint64_t *out)
{
    if (!kpi__is(s, &kpi__service_level_type) || out == NULL)
        return KPI_ERR_INVALID;
    if (reason >= KPI_UNSERVED_REASONS)
        return KPI_ERR_RANGE;
    *out = s->reasons[reason];
    return KPI_OK;
}

int kpi_service_level_unserved_share(const kpi_service_level *s, kpi_estimate *out)
{
    if (!kpi__is(s, &kpi__service_level_type) || out == NULL)
        return KPI_ERR_INVALID;
    return sl_ratio(s->c[C_UNSERVED], sl_offered(s), out);
}

int kpi_service_level_unserved_reason_share(const kpi_service_level *s, uint32_t reason,
                                            kpi_estimate *out)
{
    if (!kpi__is(s, &kpi__service_level_type) || out == NULL)
        return KPI_ERR_INVALID;
    if (reason >= KPI_UNSERVED_REASONS)
        return KPI_ERR_RANGE;
    return sl_ratio(s->reasons[reason], sl_offered(s), out);
}

int kpi_service_level_asa(const kpi_service_level *s, double *mean_ms)
{
    if (!kpi__is(s, &kpi__service_level_type))
        return KPI_ERR_INVALID;
    return kpi_duration_mean(s->waits, mean_ms);
}

int kpi_service_level_wait_quantile(const kpi_service_level *s, double q, double *out)
{
    if (!kpi__is(s, &kpi__service_level_type))
        return KPI_ERR_INVALID;
    return kpi_duration_quantile(s->waits, q, out);
}
