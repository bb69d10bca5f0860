/*
 * Real-valued scores: count, weighted mean and variance, min, max, shares
 * by cut points.  Presets (sentiment, IQS) are configurations of one type.
 * SPDX-License-Identifier: MIT
 *
 * Update: West (1979) weighted form of Welford's algorithm,
 *   W' = W + w, d = x - mean, mean' = mean + d w / W', M2' = M2 + w d (x - mean').
 * Merge and batches: Chan, Golub & LeVeque (1979),
 *   d = mean_b - mean_a, mean = mean_a + d W_b / W,
 *   M2 = M2_a + M2_b + d^2 W_a W_b / W.
 * A batch is reduced two-pass (sum, then squares about the batch mean,
 * corrected by the sum of the deviations: Chan, Golub & LeVeque 1983) and
 * merged in with the same formula.
 */
#include <math.h>

#include "codec.h"
#include "kpi/mean.h"

enum { KIND_PLAIN = 0, KIND_SENTIMENT = 1, KIND_IQS = 2 };

struct kpi_mean {
    kpi__object base;
    /* configuration */
    uint8_t kind;
    uint8_t has_cuts;
    double lo, hi;          /* accepted range (may be infinite) */
    double neg_below, pos_above;
    /* state */
    uint64_t n;
    double w, w2;           /* sum of weights, of squared weights */
    double mean, m2;
    double min, max;
    uint64_t neg, pos;      /* counts below / above the cuts */
};


/* The smallest weight accepted: its square, 2^-1022, is the smallest
 * normal double. */
#define KPI__MEAN_MIN_WEIGHT 0x1p-511

/* The accepted range of each kind (no call sets another). */
static const double kind_lo[] = {-HUGE_VAL, -1.0, 0.0};
static const double kind_hi[] = {HUGE_VAL, 1.0, 1.0};

static int mean_make(kpi_mean **out, int kind, const kpi_allocator *alloc)
{
    if (out == NULL)
        return KPI_ERR_INVALID;
    kpi_mean *m;
    int rc = kpi__object_new(&kpi__mean_type, sizeof(kpi_mean), alloc, (void **)&m);
    if (rc != KPI_OK)
        return rc;
    m->kind = (uint8_t)kind;
    m->lo = kind_lo[kind];
    m->hi = kind_hi[kind];
    if (kind == KIND_SENTIMENT) {
        m->has_cuts = 1;
        m->neg_below = -0.05;
        m->pos_above = 0.05;
    }
    *out = m;
    return KPI_OK;
}

int kpi_mean_new_with(kpi_mean **out, const kpi_allocator *alloc)
{
    return mean_make(out, KIND_PLAIN, alloc);
}
int kpi_mean_new(kpi_mean **out) { return mean_make(out, KIND_PLAIN, NULL); }
int kpi_sentiment_new(kpi_mean **out) { return mean_make(out, KIND_SENTIMENT, NULL); }
int kpi_iqs_new(kpi_mean **out) { return mean_make(out, KIND_IQS, NULL); }

int kpi_mean_set_cuts(kpi_mean *m, double negative_below, double positive_above)
{
    if (!kpi__is(m, &kpi__mean_type) || !isfinite(negative_below) ||
        !isfinite(positive_above))
        return KPI_ERR_INVALID;
    if (negative_below > positive_above)
        return KPI_ERR_RANGE;
    if (m->n != 0 || kpi__is_member(m))
        return KPI_ERR_STATE;
    m->has_cuts = 1;
    m->neg_below = negative_below;
    m->pos_above = positive_above;
    return KPI_OK;
}

/* ---- verbs -------------------------------------------------------------- */

static void mean_destroy(void *obj) { kpi__object_free(obj); }

static void mean_reset(void *obj)
{
    kpi_mean *m = obj;
    m->n = m->neg = m->pos = 0;
    m->w = m->w2 = m->mean = m->m2 = m->min = m->max = 0.0;
}

static int mean_clone(const void *src, void **out)
{
    const kpi_mean *s = src;
    void *o;
    int rc = kpi__object_new(&kpi__mean_type, sizeof(kpi_mean), &s->base.alloc, &o);
    if (rc != KPI_OK)
        return rc;
    memcpy((char *)o + sizeof(kpi__object), (const char *)s + sizeof(kpi__object),
           sizeof(kpi_mean) - sizeof(kpi__object));
    *out = o;
    return KPI_OK;
}

static bool same_config(const kpi_mean *a, const kpi_mean *b)
{
    return a->kind == b->kind && a->lo == b->lo && a->hi == b->hi &&
           a->has_cuts == b->has_cuts &&
           (!a->has_cuts || (a->neg_below == b->neg_below && a->pos_above == b->pos_above));
}

/* Combine the summary (n, w, w2, mean, m2, min, max, neg, pos) of b into
 * a copy of a; false on overflow. */
typedef struct summary {
    uint64_t n, neg, pos;
    double w, w2, mean, m2, min, max;
} summary;

static summary summary_of(const kpi_mean *m)
{
    summary s = {m->n, m->neg, m->pos, m->w, m->w2, m->mean, m->m2, m->min, m->max};
    return s;
}

/* Rounding may push a mean an ulp outside [min, max]; keep it inside. */
static double clamp(double x, double lo, double hi)
{
    return x < lo ? lo : x > hi ? hi : x;
}

static bool combine(const summary *a, const summary *b, summary *out)
{
    if (b->n == 0) {
        *out = *a;
        return true;
    }
    if (a->n == 0) {
        *out = *b;
        return true;
    }
    summary r;
    if (!kpi__add_u64(a->n, b->n, &r.n))
        return false;
    r.neg = a->neg + b->neg;
    r.pos = a->pos + b->pos;
    r.w = a->w + b->w;
    r.w2 = a->w2 + b->w2;
    if (!isfinite(r.w) || !isfinite(r.w2))
        return false;
    double d = b->mean - a->mean;
    /* from the heavier side: from the lighter, W_b / W can round to 1
     * (1e16 merged with 1 of weight 1e20 read 1, not 1.0001) */
    if (b->w > a->w)
        r.mean = b->mean - d * (a->w / r.w);
    else
        r.mean = a->mean + d * (b->w / r.w);
    /* d x (W_a W_b / W) x d: no d^2 alone, which overflows where the
     * term does not (0 merged with 1.5e154) */
    r.m2 = a->m2 + b->m2 + d * (a->w * (b->w / r.w)) * d;
    if (!isfinite(r.m2))
        return false;
    /* on a tie (0.0 and -0.0) a's, seen first, as one stream keeps */
    r.min = b->min < a->min ? b->min : a->min;
    r.max = b->max > a->max ? b->max : a->max;
    r.mean = clamp(r.mean, r.min, r.max);
    *out = r;
    return true;
}

static void commit(kpi_mean *m, const summary *s)
{
    m->n = s->n;
    m->neg = s->neg;
    m->pos = s->pos;
    m->w = s->w;
    m->w2 = s->w2;
    m->mean = s->mean;
    m->m2 = s->m2;
    m->min = s->min;
    m->max = s->max;
}

static int mean_merge(void *dst, const void *src)
{
    kpi_mean *d = dst;
    const kpi_mean *s = src;
    if (!same_config(d, s))
        return KPI_ERR_INCOMPATIBLE;
    summary a = summary_of(d), b = summary_of(s), r;
    if (!combine(&a, &b, &r))
        return KPI_ERR_OVERFLOW;
    commit(d, &r);
    return KPI_OK;
}

static void mean_encode(const void *obj, kpi__writer *w)
{
    const kpi_mean *m = obj;
    kpi__put_u8(w, m->kind);
    kpi__put_u8(w, m->has_cuts);
    kpi__put_f64(w, m->lo);
    kpi__put_f64(w, m->hi);
    kpi__put_f64(w, m->has_cuts ? m->neg_below : 0.0);
    kpi__put_f64(w, m->has_cuts ? m->pos_above : 0.0);
    kpi__put_varint(w, m->n);
    if (m->n == 0)
        return;
    kpi__put_varint(w, m->neg);
    kpi__put_varint(w, m->pos);
    kpi__put_f64(w, m->w);
    kpi__put_f64(w, m->w2);
    kpi__put_f64(w, m->mean);
    kpi__put_f64(w, m->m2);
    kpi__put_f64(w, m->min);
    kpi__put_f64(w, m->max);
}

static int mean_decode(kpi__reader *r, const kpi_allocator *a, void **out)
{
    uint8_t kind = kpi__get_u8(r), has_cuts = kpi__get_u8(r);
    double lo = kpi__get_f64(r), hi = kpi__get_f64(r);
    double nb = kpi__get_finite(r), pa = kpi__get_finite(r);
    uint64_t n = kpi__get_varint(r);
    summary s = {0};
    s.n = n;
    if (n > 0) {
        s.neg = kpi__get_varint(r);
        s.pos = kpi__get_varint(r);
        s.w = kpi__get_finite(r);
        s.w2 = kpi__get_finite(r);
        s.mean = kpi__get_finite(r);
        s.m2 = kpi__get_finite(r);
        s.min = kpi__get_finite(r);
        s.max = kpi__get_finite(r);
    }
    if (r->err)
        return r->err;
    /* the range is the kind's, and a sentiment object always has cuts */
    if (kind > KIND_IQS || has_cuts > 1 || lo != kind_lo[kind] || hi != kind_hi[kind] ||
        (kind == KIND_SENTIMENT && !has_cuts) || nb > pa ||
        (!has_cuts && (nb != 0 || pa != 0)))
        return KPI_ERR_CORRUPT;
    if (n > 0 && (s.neg > n || s.pos > n - s.neg || !(s.w > 0) || !(s.w2 > 0) ||
                  !(s.m2 >= 0) || s.min > s.max || s.min < lo || s.max > hi ||
                  s.mean < s.min || s.mean > s.max || (!has_cuts && (s.neg || s.pos))))
        return KPI_ERR_CORRUPT;
    /* the cut counts as min and max have them: a value below the negative
     * cut exactly when min is, one above the positive cut exactly when max
     * is, and a neutral one when min or max lies between the cuts */
    if (n > 0 && has_cuts &&
        ((s.neg > 0) != (s.min < nb) || (s.pos > 0) != (s.max > pa) ||
         (s.neg + s.pos == n && ((s.min >= nb && s.min <= pa) || (s.max >= nb && s.max <= pa)))))
        return KPI_ERR_CORRUPT;
    /* one value x, however it came: min = max = x, M2 = 0, w2 = w^2 */
    if (n == 1 && (s.min != s.max || s.m2 != 0 || s.w2 != s.w * s.w))
        return KPI_ERR_CORRUPT;
    kpi_mean *m;
    int rc = mean_make(&m, KIND_PLAIN, a);
    if (rc != KPI_OK)
        return rc;
    m->kind = kind;
    m->has_cuts = has_cuts;
    m->lo = lo;
    m->hi = hi;
    m->neg_below = nb;
    m->pos_above = pa;
    commit(m, &s);
    *out = m;
    return KPI_OK;
}

static size_t mean_footprint(const void *obj)
{
    (void)obj;
    return sizeof(kpi_mean);
}

const kpi__type kpi__mean_type = {
    KPI__TAG_MEAN, "mean",      mean_clone,  mean_destroy,  mean_reset,
    mean_merge,    mean_encode, mean_decode, mean_footprint};

void kpi_mean_free(kpi_mean *m) { kpi__release(m); }

void kpi_mean_reset(kpi_mean *m)
{
    if (kpi__is(m, &kpi__mean_type))
        mean_reset(m);
}

int kpi_mean_clone(const kpi_mean *m, kpi_mean **out)
{
    return kpi__clone(&kpi__mean_type, m, (void **)out);
}

int kpi_mean_merge(kpi_mean *dst, const kpi_mean *src)
{
    return kpi__merge(&kpi__mean_type, dst, src);
}

int kpi_mean_serialize(const kpi_mean *m, void *buf, size_t cap, size_t *len)
{
    if (!kpi__is(m, &kpi__mean_type))
        return KPI_ERR_INVALID;
    return kpi__serialize(m, buf, cap, len);
}

int kpi_mean_deserialize_with(kpi_mean **out, const void *buf, size_t len,
                              const kpi_allocator *alloc)
{
    return kpi__deserialize(&kpi__mean_type, buf, len, alloc, (void **)out);
}

int kpi_mean_deserialize(kpi_mean **out, const void *buf, size_t len)
{
    return kpi_mean_deserialize_with(out, buf, len, NULL);
}

size_t kpi_mean_footprint(const kpi_mean *m)
{
    return kpi__is(m, &kpi__mean_type) ? sizeof(kpi_mean) : 0;
}

/* ---- adding ------------------------------------------------------------- */

static int check_value(const kpi_mean *m, double x)
{
    if (!isfinite(x))
        return KPI_ERR_INVALID;
    if (x < m->lo || x > m->hi)
        return KPI_ERR_RANGE;
    return KPI_OK;
}

int kpi_mean_add_weighted(kpi_mean *m, double x, double weight)
{
    if (!kpi__is(m, &kpi__mean_type) || !isfinite(weight))
        return KPI_ERR_INVALID;
    int rc = check_value(m, x);
    if (rc != KPI_OK)
        return rc;
    /* a weight below 2^-511 has a square that underflows: the sum of
     * squared weights (the interval's) would read 0 */
    if (!(weight >= KPI__MEAN_MIN_WEIGHT))
        return KPI_ERR_RANGE;
    double w = m->w + weight, w2 = m->w2 + weight * weight;
    if (m->n == UINT64_MAX || !isfinite(w) || !isfinite(w2))
        return KPI_ERR_OVERFLOW;
    double d = x - m->mean, mean = x, m2 = 0.0;
    if (m->n && weight <= m->w) {
        /* West: mean' = mean + d w / W' lies at most halfway to x */
        mean = m->mean + d * (weight / w);
        m2 = m->m2 + weight * d * (x - mean);
    } else if (m->n) {
        /* a weight above the sum of all before: mean' is nearer x, so
         * taken from x, x - mean' = d W / W'.  From the old mean, w / W'
         * rounds to 1 for a heavy weight and mean' could land past x
         * (1e16, then 1 with weight 1e20: 0), making M2 negative */
        double r = m->w / w;
        mean = x - d * r;
        m2 = m->m2 + d * (weight * r) * d;
    }
    if (!isfinite(m2))
        return KPI_ERR_OVERFLOW;
    if (m->n == 0 || x < m->min)
        m->min = x;
    if (m->n == 0 || x > m->max)
        m->max = x;
    mean = clamp(mean, m->min, m->max);
    if (m->has_cuts) {
        m->neg += x < m->neg_below;
        m->pos += x > m->pos_above;
    }
    m->n++;
    m->w = w;
    m->w2 = w2;
    m->mean = mean;
    m->m2 = m2;
    return KPI_OK;
}

int kpi_mean_add(kpi_mean *m, double x) { return kpi_mean_add_weighted(m, x, 1.0); }

int kpi_iqs_add(kpi_mean *m, double points_earned, double points_possible)
{
    if (!kpi__is(m, &kpi__mean_type) || !isfinite(points_earned) ||
        !isfinite(points_possible))
        return KPI_ERR_INVALID;
    if (!(points_possible >= KPI__MEAN_MIN_WEIGHT) || points_earned < 0 ||
        points_earned > points_possible)
        return KPI_ERR_RANGE;
    return kpi_mean_add_weighted(m, points_earned / points_possible, points_possible);
}

int kpi_mean_add_array(kpi_mean *m, const double *xs, size_t n)
{
    if (!kpi__is(m, &kpi__mean_type) || (xs == NULL && n > 0))
        return KPI_ERR_INVALID;
    if (n == 0)
        return KPI_OK;
    /* pass 1: validate, sum, min, max, cut counts */
    summary b = {0};
    double sum = 0, lo = m->lo, hi = m->hi;
    double mn = xs[0], mx = xs[0];
    uint64_t neg = 0, pos = 0;
    int bad = 0;
    for (size_t i = 0; i < n; i++) {
        double x = xs[i];
        bad |= !(x >= lo && x <= hi) | !(x - x == 0); /* range, NaN, inf */
        sum += x;
        mn = x < mn ? x : mn;
        mx = x > mx ? x : mx;
    }
    if (bad) {
        for (size_t i = 0; i < n; i++)
            if (!isfinite(xs[i]))
                return KPI_ERR_INVALID;
        return KPI_ERR_RANGE;
    }
    double bm = isfinite(sum) ? sum / (double)n : 0.0;
    if (!isfinite(sum)) {
        /* finite values whose plain sum overflows: a running mean instead */
        double w = 0;
        for (size_t i = 0; i < n; i++) {
            w += 1.0;
            bm += (xs[i] - bm) / w;
        }
    }
    /* pass 2: squares and sum of the deviations about the batch mean, and
     * the cut counts */
    double m2 = 0, sd = 0;
    if (m->has_cuts) {
        double nb = m->neg_below, pa = m->pos_above;
        for (size_t i = 0; i < n; i++) {
            double d = xs[i] - bm;
            m2 += d * d;
            sd += d;
            neg += xs[i] < nb;
            pos += xs[i] > pa;
        }
    } else {
        for (size_t i = 0; i < n; i++) {
            double d = xs[i] - bm;
            m2 += d * d;
            sd += d;
        }
    }
    /* the corrected two-pass algorithm: the plain sum of pass 1 loses the
     * low digits of values far from 0 (1e12 + 1.5 read as 1e12 + 0.06);
     * the deviations, small and exact, give them back to the mean, and
     * take the squared error of the first mean out of m2 */
    if (isfinite(sd) && isfinite(m2)) {
        double c = sd / (double)n;
        bm += c;
        m2 -= sd * c;
        if (m2 < 0)
            m2 = 0;
    }
    b.n = (uint64_t)n;
    b.neg = neg;
    b.pos = pos;
    b.w = (double)n;
    b.w2 = (double)n;
    b.mean = clamp(bm, mn, mx);
    b.m2 = m2;
    b.min = mn;
    b.max = mx;
    summary a = summary_of(m), r;
    if (!isfinite(m2) || !combine(&a, &b, &r))
        return KPI_ERR_OVERFLOW;
    commit(m, &r);
    return KPI_OK;
}

/* ---- reads -------------------------------------------------------------- */

uint64_t kpi_mean_count(const kpi_mean *m)
{
    return kpi__is(m, &kpi__mean_type) ? m->n : 0;
}

static int read_check(const kpi_mean *m, const void *out, uint64_t need)
{
    if (!kpi__is(m, &kpi__mean_type) || out == NULL)
        return KPI_ERR_INVALID;
    return m->n < need ? KPI_ERR_EMPTY : KPI_OK;
}

int kpi_mean_mean(const kpi_mean *m, double *out)
{
    int rc = read_check(m, out, 1);
    if (rc == KPI_OK)
        *out = m->mean;
    return rc;
}

int kpi_iqs_percent(const kpi_mean *m, double *out)
{
    int rc = read_check(m, out, 1);
    if (rc == KPI_OK)
        *out = m->mean * 100.0;
    return rc;
}

static double sample_variance(const kpi_mean *m)
{
    double n = (double)m->n;
    return m->m2 / m->w * (n / (n - 1.0));
}

int kpi_mean_variance(const kpi_mean *m, double *out)
{
    int rc = read_check(m, out, 2);
    if (rc == KPI_OK)
        *out = sample_variance(m);
    return rc;
}

int kpi_mean_mean_ci(const kpi_mean *m, kpi_estimate *out)
{
    int rc = read_check(m, out, 1);
    if (rc != KPI_OK)
        return rc;
    out->value = m->mean;
    out->n = m->n;
    if (m->n < 2) {
        out->lower = -HUGE_VAL;
        out->upper = HUGE_VAL;
        return KPI_OK;
    }
    /* s sqrt(sum w^2) / sum w with s = sqrt(M2 / W x n / (n - 1)), each
     * factor apart: s^2 x sum w^2 overflows where the interval does not
     * (two values -/+ 9e153), and so does s^2 itself when W < n (weights
     * below 1: 0 and 1.9e154 of weight 0.001); sqrt(M2) <= 1.4e154,
     * sqrt(sum w^2) / W <= 1 and 1 / sqrt(W) <= 2^255.5 keep every step
     * within range */
    double n = (double)m->n;
    double se = sqrt(m->m2) * (sqrt(m->w2) / m->w) / sqrt(m->w) * sqrt(n / (n - 1.0));
    out->lower = m->mean - KPI__Z95 * se;
    out->upper = m->mean + KPI__Z95 * se;
    return KPI_OK;
}

int kpi_mean_min(const kpi_mean *m, double *out)
{
    int rc = read_check(m, out, 1);
    if (rc == KPI_OK)
        *out = m->min;
    return rc;
}

int kpi_mean_max(const kpi_mean *m, double *out)
{
    int rc = read_check(m, out, 1);
    if (rc == KPI_OK)
        *out = m->max;
    return rc;
}

int kpi_mean_shares(const kpi_mean *m, kpi_estimate *negative, kpi_estimate *neutral,
                    kpi_estimate *positive)
{
    if (!kpi__is(m, &kpi__mean_type))
        return KPI_ERR_INVALID;
    if (!m->has_cuts)
        return KPI_ERR_STATE;
    if (m->n == 0)
        return KPI_ERR_EMPTY;
    if (negative)
        kpi__wilson(m->neg, m->n, negative);
    if (neutral)
        kpi__wilson(m->n - m->neg - m->pos, m->n, neutral);
    if (positive)
        kpi__wilson(m->pos, m->n, positive);
    return KPI_OK;
}
