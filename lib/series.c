/*
 * Period series in a ring with an incrementally fitted additive
 * Holt-Winters forecast.  See include/kpi/series.h for the semantics.
 * SPDX-License-Identifier: MIT
 *
 * The ring slot of period k is k mod length (non-negative).  The newest
 * period's [start, end) and slot are cached so that the common case, an
 * event in the newest period, is one compare pair and one addition.
 * The all-time total is a Neumaier (improved Kahan) compensated sum of
 * period values (each period's value folded in when it closes) and late
 * events; the newest period is a plain sum, so the common case updates a
 * single number.
 *
 * That number is an integer while it can be: as long as every amount of
 * the newest period is a whole number and every partial sum stays within
 * +-2^53, the in-order double sum is exact at each step and equals the
 * integer sum, so the period is kept in cur_i (an integer add: a shorter
 * dependency chain than a double add) and v[cur_slot] stays 0.  The first
 * amount that is fractional, or that would take the sum past 2^53, moves
 * the sum to the double (v[cur_slot] = cur_i + amount, one rounding, as
 * the in-order sum does) for the rest of the period.  Either way the value
 * is bit for bit the in-order double sum of the period's amounts.
 */
#include <float.h>
#include <math.h>

#include "codec.h"
#include "kpi/series.h"

#define MAX_FORECAST_JUMP INT64_C(1000000)

struct kpi_series {
    kpi__object base;
    int64_t period, origin;
    uint32_t length;
    bool started;
    uint32_t cur_slot;
    int64_t newest;             /* period index of the newest period */
    int64_t cur_start, cur_end; /* [start, end) of the newest period */
    double *v;                  /* ring of length values */
    /* the newest period: while cur_int, its value is exactly cur_i and
     * v[cur_slot] is 0; otherwise cur_i is 0 and the value is in v */
    int64_t cur_i;
    bool cur_int;
    /* all-time total = total + total_c + val(cur_slot): a Neumaier sum of
     * everything outside the newest period (closed periods' values, late
     * events) plus the newest period's plain sum */
    double total, total_c;
    /* forecast: m == 0 means none */
    uint32_t m;
    double alpha, beta, gamma;
    double *hw; /* 2m doubles: first 2m observations, then S[0..m) */
    uint64_t closed;
    double level, trend;
    uint64_t n_err;
    double sum_abs, sum_sq, sum_smape;
};

/* The integer sum stays within +-2^53, where every integer is a double. */
#define EXACT_INT INT64_C(9007199254740992)

/* The value of a ring slot (the newest one may be in cur_i). */
static inline double val(const kpi_series *s, uint32_t slot)
{
    if (slot == s->cur_slot && s->cur_int)
        return (double)s->cur_i;
    return s->v[slot];
}

/* Fold the integer sum into v (the newest period as a double). */
static inline void flush(kpi_series *s)
{
    if (s->cur_int) {
        s->v[s->cur_slot] = (double)s->cur_i;
        s->cur_i = 0;
        s->cur_int = false;
    }
}

/* Take the newest period's value into the integer sum when it is a whole
 * number within +-2^53 (after the newest period changed or v was written). */
static inline void cur_open(kpi_series *s)
{
    flush(s);
    double x = s->v[s->cur_slot];
    /* (-0.0 stays a double: the integer sum would read back as +0.0) */
    if (fabs(x) <= (double)EXACT_INT && x == (double)(int64_t)x &&
        !signbit(x)) {
        s->cur_i = (int64_t)x;
        s->v[s->cur_slot] = 0.0;
        s->cur_int = true;
    }
}

/* Add a finite amount to the newest period, in order: the integer sum
 * while the amount is whole and the sum stays exact, else the double. */
static inline void cur_add(int64_t *ci, bool *im, double *v, double amount)
{
    if (KPI__LIKELY(*im && fabs(amount) <= (double)EXACT_INT)) {
        int64_t a = (int64_t)amount, n = *ci + a;
        if (KPI__LIKELY((double)a == amount && n <= EXACT_INT && n >= -EXACT_INT)) {
            *ci = n;
            return;
        }
    }
    if (*im) {
        *v = (double)*ci;
        *ci = 0;
        *im = false;
    }
    *v += amount;
}

static inline uint32_t slot_of(const kpi_series *s, int64_t k)
{
    int64_t r = k % (int64_t)s->length;
    return (uint32_t)(r < 0 ? r + s->length : r);
}

/* The slot of the period `back` (< length) periods before the newest,
 * without forming its index (which may lie before INT64_MIN). */
static inline uint32_t slot_back(const kpi_series *s, uint32_t back)
{
    return s->cur_slot >= back ? s->cur_slot - back
                               : s->cur_slot + (s->length - back);
}

/* |x| as an unsigned 64-bit value (exact also for INT64_MIN). */
static inline uint64_t magnitude(int64_t x)
{
    return x < 0 ? 0 - (uint64_t)x : (uint64_t)x;
}

/* origin + k * period, or KPI_ERR_RANGE if it passes the int64 range (the
 * product alone may pass it while the sum does not: an origin near one
 * end of time and a period near the other).  In 64 bits without a wider
 * type (32-bit targets have none): |k| * period is exact in uint64_t or
 * the sum cannot fit (two int64 values lie less than 2^64 apart), and the
 * room from origin to the end of the range it moves towards is exact in
 * uint64_t too. */
static int start_at(int64_t period, int64_t origin, int64_t k, int64_t *start)
{
    int64_t off;
    if (!__builtin_mul_overflow(k, period, &off) &&
        !__builtin_add_overflow(origin, off, start))
        return KPI_OK;
    uint64_t up;
    if (__builtin_mul_overflow(magnitude(k), (uint64_t)period, &up))
        return KPI_ERR_RANGE;
    if (k >= 0) {
        if (up > (uint64_t)INT64_MAX - (uint64_t)origin)
            return KPI_ERR_RANGE;
        *start = (int64_t)((uint64_t)origin + up);
    } else {
        if (up > (uint64_t)origin - (uint64_t)INT64_MIN)
            return KPI_ERR_RANGE;
        *start = (int64_t)((uint64_t)origin - up);
    }
    return KPI_OK;
}

/* Period index of t, and the start of that period.  t - origin may pass
 * the int64 range (an origin far from t) while the period does not: then
 * t and origin lie on either side of 0 and |t - origin| < 2^64 is exact in
 * uint64_t, whose floor division by the period gives the index. */
static int period_of(int64_t period, int64_t origin, int64_t t, int64_t *k,
                     int64_t *start)
{
    int64_t d, q;
    if (!__builtin_sub_overflow(t, origin, &d)) {
        q = d / period;
        if (d % period < 0)
            q--;
    } else if (t > origin) {
        uint64_t uq = ((uint64_t)t - (uint64_t)origin) / (uint64_t)period;
        if (uq > (uint64_t)INT64_MAX)
            return KPI_ERR_RANGE;
        q = (int64_t)uq;
    } else {
        /* floor(-m / period) = -ceil(m / period) */
        uint64_t m = (uint64_t)origin - (uint64_t)t;
        uint64_t c = m / (uint64_t)period + (m % (uint64_t)period != 0);
        if (c > (uint64_t)INT64_MAX + 1)
            return KPI_ERR_RANGE;
        q = (int64_t)(0 - c);
    }
    int64_t st;
    if (start_at(period, origin, q, &st) != KPI_OK)
        return KPI_ERR_RANGE;
    *k = q;
    if (start)
        *start = st;
    return KPI_OK;
}

static int start_of(const kpi_series *s, int64_t k, int64_t *start)
{
    return start_at(s->period, s->origin, k, start);
}

static void set_current(kpi_series *s, int64_t k, int64_t start)
{
    s->newest = k;
    s->cur_start = start;
    if (__builtin_add_overflow(start, s->period, &s->cur_end))
        s->cur_end = INT64_MAX;
    s->cur_slot = slot_of(s, k);
    s->cur_i = 0;
    s->cur_int = false;
}

/* ---- Holt-Winters ------------------------------------------------------ */

/* One Holt-Winters step for an observation y whose season index holds S:
 * the new level, trend and seasonal term, in locals (the caller decides
 * whether to keep them). */
typedef struct hw_next {
    double level, trend, season;
} hw_next;

static hw_next hw_step(const kpi_series *s, double S, double y)
{
    hw_next n;
    n.level = s->alpha * (y - S) + (1.0 - s->alpha) * (s->level + s->trend);
    n.trend = s->beta * (n.level - s->level) + (1.0 - s->beta) * s->trend;
    n.season = s->gamma * (y - n.level) + (1.0 - s->gamma) * S;
    return n;
}

static void hw_update(kpi_series *s, uint64_t t, double y)
{
    uint32_t i = (uint32_t)(t % s->m);
    hw_next n = hw_step(s, s->hw[i], y);
    s->level = n.level;
    s->trend = n.trend;
    s->hw[i] = n.season;
}

/* Forget the model: it starts again with the next period it sees. */
static void hw_restart(kpi_series *s)
{
    memset(s->hw, 0, 2 * (size_t)s->m * sizeof(double));
    s->closed = s->n_err = 0;
    s->level = s->trend = s->sum_abs = s->sum_sq = s->sum_smape = 0;
}

static void hw_observe(kpi_series *s, double y)
{
    uint64_t t = s->closed;
    uint64_t m = s->m;
    if (t < 2 * m) {
        s->hw[t] = y;
        s->closed++;
        if (t == 2 * m - 1) {
            double a = 0, b = 0;
            for (uint64_t i = 0; i < m; i++) {
                a += s->hw[i];
                b += s->hw[m + i];
            }
            a /= (double)m;
            b /= (double)m;
            s->level = a;
            s->trend = (b - a) / (double)m;
            for (uint64_t i = 0; i < m; i++)
                s->hw[i] -= a;
            bool finite = true;
            for (uint64_t j = m; j < 2 * m; j++) {
                hw_update(s, j, s->hw[j]);
                finite = finite && isfinite(s->hw[j - m]);
            }
            if (!finite || !isfinite(s->level) || !isfinite(s->trend)) {
                hw_restart(s);
                hw_observe(s, y);
            }
        }
        return;
    }
    /* the step in locals: parameters in (0, 1) do not make every model
     * stable, and one that diverges would run its sums and state to inf
     * and NaN (no longer a state that decodes); it restarts instead */
    uint32_t i = (uint32_t)(t % m);
    double S = s->hw[i];
    double f = s->level + s->trend + S;
    double e = fabs(y - f);
    double den = (fabs(y) + fabs(f)) / 2.0;
    double sa = s->sum_abs + e, sq = s->sum_sq + e * e;
    double sm = s->sum_smape + (den > 0 ? e / den : 0.0);
    hw_next n = hw_step(s, S, y);
    if (!isfinite(n.level) || !isfinite(n.trend) || !isfinite(n.season) || !isfinite(sa) ||
        !isfinite(sq) || !isfinite(sm)) {
        hw_restart(s);
        hw_observe(s, y);
        return;
    }
    s->n_err++;
    s->sum_abs = sa;
    s->sum_sq = sq;
    s->sum_smape = sm;
    s->level = n.level;
    s->trend = n.trend;
    s->hw[i] = n.season;
    s->closed++;
}

/* ---- construction ------------------------------------------------------ */

static int series_create(int64_t period, uint32_t length, int64_t origin,
                         const kpi_allocator *alloc, kpi_series **out)
{
    void *o;
    int rc = kpi__object_new(&kpi__series_type, sizeof(kpi_series), alloc, &o);
    if (rc != KPI_OK)
        return rc;
    kpi_series *s = o;
    s->v = kpi__calloc(&s->base.alloc, length, sizeof(double));
    if (s->v == NULL) {
        kpi__object_free(s);
        return KPI_ERR_NOMEM;
    }
    s->period = period;
    s->length = length;
    s->origin = origin;
    *out = s;
    return KPI_OK;
}

static void series_destroy(void *obj)
{
    kpi_series *s = obj;
    kpi__free(&s->base.alloc, s->v);
    kpi__free(&s->base.alloc, s->hw);
    kpi__object_free(s);
}

static void series_reset(void *obj)
{
    kpi_series *s = obj;
    memset(s->v, 0, (size_t)s->length * sizeof(double));
    if (s->hw)
        memset(s->hw, 0, 2 * (size_t)s->m * sizeof(double));
    s->started = false;
    s->newest = s->cur_start = s->cur_end = 0;
    s->cur_slot = 0;
    s->cur_i = 0;
    s->cur_int = false;
    s->total = s->total_c = 0;
    s->closed = s->n_err = 0;
    s->level = s->trend = s->sum_abs = s->sum_sq = s->sum_smape = 0;
}

/* Copy everything but the header and the two arrays' pointers. */
static void copy_state(kpi_series *d, const kpi_series *s)
{
    double *v = d->v, *hw = d->hw;
    kpi__object base = d->base;
    *d = *s;
    d->base = base;
    d->v = v;
    d->hw = hw;
    memcpy(d->v, s->v, (size_t)s->length * sizeof(double));
    if (s->m)
        memcpy(d->hw, s->hw, 2 * (size_t)s->m * sizeof(double));
}

static int series_clone(const void *src, void **out)
{
    const kpi_series *s = src;
    kpi_series *d;
    int rc = series_create(s->period, s->length, s->origin, &s->base.alloc, &d);
    if (rc != KPI_OK)
        return rc;
    if (s->m) {
        d->hw = kpi__calloc(&d->base.alloc, 2 * (size_t)s->m, sizeof(double));
        if (d->hw == NULL) {
            series_destroy(d);
            return KPI_ERR_NOMEM;
        }
    }
    copy_state(d, s);
    *out = d;
    return KPI_OK;
}

static size_t series_footprint(const void *obj)
{
    const kpi_series *s = obj;
    return sizeof *s + (size_t)s->length * sizeof(double) +
           2 * (size_t)s->m * sizeof(double);
}

/* ---- adding ------------------------------------------------------------ */

/* Validate one event against a (simulated) ring state. */
static int check_event(const kpi_series *s, bool started, int64_t newest,
                       int64_t t, double amount, int64_t *k, int64_t *start)
{
    if (!isfinite(amount))
        return KPI_ERR_INVALID;
    if (fabs(amount) > KPI_SERIES_MAX_AMOUNT)
        return KPI_ERR_RANGE;
    int rc = period_of(s->period, s->origin, t, k, start);
    if (rc != KPI_OK)
        return rc;
    if (!started)
        return KPI_OK;
    if (*k < newest && (uint64_t)newest - (uint64_t)*k >= s->length)
        return KPI_ERR_ORDER;
    if (*k > newest && s->m &&
        (uint64_t)*k - (uint64_t)newest > (uint64_t)MAX_FORECAST_JUMP)
        return KPI_ERR_RANGE;
    return KPI_OK;
}

/* Move the newest period to k (> newest), closing periods on the way. */
static void advance(kpi_series *s, int64_t k, int64_t start)
{
    uint64_t gap = (uint64_t)k - (uint64_t)s->newest;
    flush(s);
    kpi__neumaier(&s->total, &s->total_c, s->v[s->cur_slot]);
    if (s->m) {
        hw_observe(s, s->v[s->cur_slot]);
        for (uint64_t j = 1; j < gap; j++)
            hw_observe(s, 0.0);
    }
    if (gap >= s->length) {
        memset(s->v, 0, (size_t)s->length * sizeof(double));
    } else {
        uint32_t sl = s->cur_slot;
        for (uint64_t j = 0; j < gap; j++) {
            if (++sl == s->length)
                sl = 0;
            s->v[sl] = 0.0;
        }
    }
    set_current(s, k, start);
    cur_open(s);
}

static void apply_event(kpi_series *s, int64_t k, int64_t start, double amount)
{
    if (!s->started) {
        s->started = true;
        set_current(s, k, start);
        cur_open(s);
    } else if (k > s->newest) {
        advance(s, k, start);
    }
    if (k == s->newest) {
        cur_add(&s->cur_i, &s->cur_int, &s->v[s->cur_slot], amount);
    } else {
        s->v[slot_of(s, k)] += amount;
        kpi__neumaier(&s->total, &s->total_c, amount);
    }
}

KPI_API int kpi_series_add(kpi_series *p, int64_t t_ms, double amount)
{
    if (KPI__LIKELY(kpi__is(p, &kpi__series_type) && p->started && t_ms >= p->cur_start &&
                    t_ms < p->cur_end && fabs(amount) <= KPI_SERIES_MAX_AMOUNT)) {
        cur_add(&p->cur_i, &p->cur_int, &p->v[p->cur_slot], amount);
        return KPI_OK;
    }
    if (!kpi__is(p, &kpi__series_type))
        return KPI_ERR_INVALID;
    int64_t k, start;
    int rc = check_event(p, p->started, p->newest, t_ms, amount, &k, &start);
    if (rc != KPI_OK)
        return rc;
    apply_event(p, k, start, amount);
    return KPI_OK;
}

void kpi__series_add_total(kpi_series *p, double amount)
{
    kpi__neumaier(&p->total, &p->total_c, amount);
}

KPI_API int kpi_series_add_array(kpi_series *p, const int64_t *t_ms,
                                 const double *amounts, size_t n)
{
    if (!kpi__is(p, &kpi__series_type) || (n > 0 && t_ms == NULL))
        return KPI_ERR_INVALID;
    /* simulate the ring through the batch: validate everything first */
    bool started = p->started;
    int64_t newest = p->newest, cs = p->cur_start, ce = p->cur_end;
    for (size_t i = 0; i < n; i++) {
        double amt = amounts ? amounts[i] : 1.0;
        if (!isfinite(amt))
            return KPI_ERR_INVALID;
        if (fabs(amt) > KPI_SERIES_MAX_AMOUNT)
            return KPI_ERR_RANGE;
        if (started && t_ms[i] >= cs && t_ms[i] < ce)
            continue;
        int64_t k, start;
        int rc = check_event(p, started, newest, t_ms[i], amt, &k, &start);
        if (rc != KPI_OK)
            return rc;
        if (!started || k > newest) {
            newest = k;
            cs = start;
            if (__builtin_add_overflow(start, p->period, &ce))
                ce = INT64_MAX;
        }
        started = true;
    }
    /* apply: runs in the newest period are summed in registers, in
     * order, exactly as one add at a time would */
    size_t i = 0;
    while (i < n) {
        if (p->started && t_ms[i] >= p->cur_start && t_ms[i] < p->cur_end) {
            int64_t lo = p->cur_start, hi = p->cur_end;
            int64_t ci = p->cur_i;
            bool im = p->cur_int;
            double v = p->v[p->cur_slot];
            if (amounts) {
                for (; i < n && t_ms[i] >= lo && t_ms[i] < hi; i++)
                    cur_add(&ci, &im, &v, amounts[i]);
            } else {
                size_t j = i;
                while (j < n && t_ms[j] >= lo && t_ms[j] < hi)
                    j++;
                if (im && j - i <= (uint64_t)(EXACT_INT - ci)) {
                    ci += (int64_t)(j - i); /* units: the sum stays exact */
                    i = j;
                }
                for (; i < j; i++)
                    cur_add(&ci, &im, &v, 1.0);
            }
            p->cur_i = ci;
            p->cur_int = im;
            p->v[p->cur_slot] = v;
            continue;
        }
        double amt = amounts ? amounts[i] : 1.0;
        int64_t k = 0, start = 0;
        (void)period_of(p->period, p->origin, t_ms[i], &k, &start);
        apply_event(p, k, start, amt);
        i++;
    }
    return KPI_OK;
}

/* ---- merge ------------------------------------------------------------- */

static bool same_forecast(const kpi_series *a, const kpi_series *b)
{
    return a->m == b->m && (a->m == 0 || (a->alpha == b->alpha &&
                                         a->beta == b->beta &&
                                         a->gamma == b->gamma));
}

/* The largest magnitude of a period's value. */
static double max_abs(const kpi_series *p)
{
    double m = 0;
    for (uint32_t sl = 0; sl < p->length; sl++)
        m = fmax(m, fabs(val(p, sl)));
    return m;
}

/* Whether every sum of a merge of s into d stays finite: a bound, not the
 * sums themselves (adds cannot come near: KPI_SERIES_MAX_AMOUNT; merges of
 * a series into itself double it). */
static bool merge_fits(const kpi_series *d, const kpi_series *s)
{
    double t = fabs(d->total) + fabs(d->total_c) + fabs(val(d, d->cur_slot)) +
               fabs(s->total) + fabs(s->total_c) + fabs(val(s, s->cur_slot));
    return max_abs(d) + max_abs(s) <= DBL_MAX && t <= DBL_MAX;
}

static int series_merge(void *dst, const void *src)
{
    kpi_series *d = dst;
    const kpi_series *s = src;
    if (d->period != s->period || d->length != s->length ||
        d->origin != s->origin)
        return KPI_ERR_INCOMPATIBLE;
    /* an empty dst takes src's forecast state: the parameters must match,
     * src empty or not (group merges and decodes tell configurations
     * apart by merging empty objects) */
    if (!d->started && !same_forecast(d, s))
        return KPI_ERR_INCOMPATIBLE;
    if (!s->started)
        return KPI_OK;
    if (!d->started) {
        copy_state(d, s);
        return KPI_OK;
    }
    if (d->m || s->m)
        return KPI_ERR_INCOMPATIBLE;
    if (!merge_fits(d, s))
        return KPI_ERR_OVERFLOW;
    if (s->newest > d->newest)
        advance(d, s->newest, s->cur_start);
    flush(d); /* the sums below go into v */
    /* src periods within dst's ring */
    for (uint32_t j = 0; j < s->length; j++) {
        int64_t k;
        if (__builtin_sub_overflow(s->newest, (int64_t)j, &k))
            break; /* no periods before INT64_MIN */
        if (k > d->newest)
            continue;
        if ((uint64_t)d->newest - (uint64_t)k >= d->length)
            break;
        uint32_t sl = slot_of(s, k);
        d->v[sl] += val(s, sl);
    }
    kpi__neumaier(&d->total, &d->total_c, s->total);
    kpi__neumaier(&d->total, &d->total_c, s->total_c);
    /* src's newest value is in dst's ring (or dropped) but outside dst's
     * newest period unless both newest periods coincide */
    if (s->newest != d->newest)
        kpi__neumaier(&d->total, &d->total_c, val(s, s->cur_slot));
    cur_open(d);
    return KPI_OK;
}

/* ---- encoding ---------------------------------------------------------- */

static void series_encode(const void *obj, kpi__writer *w)
{
    const kpi_series *s = obj;
    kpi__put_svarint(w, s->period);
    kpi__put_varint(w, s->length);
    kpi__put_svarint(w, s->origin);
    kpi__put_varint(w, s->m);
    if (s->m) {
        kpi__put_f64(w, s->alpha);
        kpi__put_f64(w, s->beta);
        kpi__put_f64(w, s->gamma);
    }
    kpi__put_u8(w, s->started);
    if (!s->started)
        return;
    kpi__put_svarint(w, s->newest);
    for (uint32_t j = 0; j < s->length; j++)
        kpi__put_f64(w, val(s, slot_back(s, s->length - 1 - j)));
    kpi__put_f64(w, s->total);
    kpi__put_f64(w, s->total_c);
    if (!s->m)
        return;
    kpi__put_varint(w, s->closed);
    if (s->closed < 2 * (uint64_t)s->m) {
        for (uint64_t i = 0; i < s->closed; i++)
            kpi__put_f64(w, s->hw[i]);
    } else {
        kpi__put_f64(w, s->level);
        kpi__put_f64(w, s->trend);
        for (uint32_t i = 0; i < s->m; i++)
            kpi__put_f64(w, s->hw[i]);
        kpi__put_varint(w, s->n_err);
        kpi__put_f64(w, s->sum_abs);
        kpi__put_f64(w, s->sum_sq);
        kpi__put_f64(w, s->sum_smape);
    }
}

static bool valid_param(double x) { return x > 0.0 && x < 1.0; }

static int series_decode(kpi__reader *r, const kpi_allocator *a, void **out)
{
    int64_t period = kpi__get_svarint(r);
    uint64_t length = kpi__get_varint(r);
    int64_t origin = kpi__get_svarint(r);
    uint64_t m = kpi__get_varint(r);
    double al = 0, be = 0, ga = 0;
    if (m) {
        al = kpi__get_finite(r);
        be = kpi__get_finite(r);
        ga = kpi__get_finite(r);
    }
    if (r->err)
        return r->err;
    if (period <= 0 || length < 1 || length > KPI_SERIES_MAX_LENGTH ||
        m > KPI_SERIES_MAX_SEASON ||
        (m && (!valid_param(al) || !valid_param(be) || !valid_param(ga))))
        return KPI_ERR_CORRUPT;
    kpi_series *s;
    int rc = series_create(period, (uint32_t)length, origin, a, &s);
    if (rc != KPI_OK)
        return rc;
    if (m) {
        s->hw = kpi__calloc(&s->base.alloc, 2 * (size_t)m, sizeof(double));
        if (s->hw == NULL) {
            series_destroy(s);
            return KPI_ERR_NOMEM;
        }
        s->m = (uint32_t)m;
        s->alpha = al;
        s->beta = be;
        s->gamma = ga;
    }
    uint8_t started = kpi__get_u8(r);
    if (started > 1)
        kpi__reader_fail(r, KPI_ERR_CORRUPT);
    if (started && !r->err) {
        int64_t k = kpi__get_svarint(r), st = 0;
        if (start_of(s, k, &st) != KPI_OK)
            kpi__reader_fail(r, KPI_ERR_CORRUPT);
        set_current(s, k, st);
        s->started = true;
        for (uint32_t j = 0; j < s->length && !r->err; j++)
            s->v[slot_back(s, s->length - 1 - j)] = kpi__get_finite(r);
        /* a period starting before INT64_MIN holds no event (the oldest
         * ones, if any): its value is 0 */
        for (uint32_t back = s->length - 1; back > 0 && !r->err; back--) {
            int64_t old, old_start;
            if (!__builtin_sub_overflow(k, (int64_t)back, &old) &&
                start_of(s, old, &old_start) == KPI_OK)
                break;
            if (s->v[slot_back(s, back)] != 0)
                kpi__reader_fail(r, KPI_ERR_CORRUPT);
        }
        cur_open(s);
        s->total = kpi__get_finite(r);
        s->total_c = kpi__get_finite(r);
        if (m && !r->err) {
            s->closed = kpi__get_varint(r);
            if (s->closed < 2 * m) {
                if (s->closed > kpi__reader_left(r) / 8)
                    kpi__reader_fail(r, KPI_ERR_CORRUPT);
                for (uint64_t i = 0; i < s->closed && !r->err; i++)
                    s->hw[i] = kpi__get_finite(r);
            } else {
                s->level = kpi__get_finite(r);
                s->trend = kpi__get_finite(r);
                for (uint32_t i = 0; i < m && !r->err; i++)
                    s->hw[i] = kpi__get_finite(r);
                s->n_err = kpi__get_varint(r);
                s->sum_abs = kpi__get_finite(r);
                s->sum_sq = kpi__get_finite(r);
                s->sum_smape = kpi__get_finite(r);
                /* every period closed after the first two seasons is one
                 * error: no merge or gap counts them otherwise */
                if (!r->err && (s->n_err != s->closed - 2 * m ||
                                s->sum_abs < 0 || s->sum_sq < 0 ||
                                s->sum_smape < 0 ||
                                s->sum_smape > 2.0 * (double)s->n_err + 1e-9 ||
                                /* an error of 0 adds 0 to the sMAPE too */
                                (s->sum_abs == 0 && s->sum_smape != 0) ||
                                (s->n_err == 0 && (s->sum_abs != 0 ||
                                                   s->sum_sq != 0))))
                    kpi__reader_fail(r, KPI_ERR_CORRUPT);
                /* n errors e >= 0: MAE <= RMSE <= MAE sqrt(n), within a
                 * factor of 2 for rounding (and errors so small that their
                 * squares underflow) */
                if (!r->err && s->n_err > 0) {
                    double n = (double)s->n_err, mae = s->sum_abs / n;
                    double rmse = sqrt(s->sum_sq / n);
                    if ((mae > 0x1p-400 && rmse < mae / 2) || rmse > 2 * mae * sqrt(n))
                        kpi__reader_fail(r, KPI_ERR_CORRUPT);
                }
            }
        }
    }
    if (r->err) {
        rc = r->err;
        series_destroy(s);
        return rc;
    }
    *out = s;
    return KPI_OK;
}

const kpi__type kpi__series_type = {
    KPI__TAG_SERIES, "series",      series_clone,  series_destroy,
    series_reset,    series_merge,  series_encode, series_decode,
    series_footprint};

/* ---- public wrappers --------------------------------------------------- */

KPI_API int kpi_series_new_with(kpi_series **out, int64_t period_ms,
                                uint32_t length, int64_t origin_ms,
                                const kpi_allocator *alloc)
{
    kpi_allocator a;
    if (out == NULL || kpi__allocator_resolve(alloc, &a) != KPI_OK)
        return KPI_ERR_INVALID;
    if (period_ms <= 0 || length < 1 || length > KPI_SERIES_MAX_LENGTH)
        return KPI_ERR_RANGE;
    return series_create(period_ms, length, origin_ms, alloc, out);
}

KPI_API int kpi_series_new(kpi_series **out, int64_t period_ms,
                           uint32_t length, int64_t origin_ms)
{
    return kpi_series_new_with(out, period_ms, length, origin_ms, NULL);
}

KPI_API void kpi_series_free(kpi_series *p) { kpi__release(p); }

KPI_API void kpi_series_reset(kpi_series *p)
{
    if (kpi__is(p, &kpi__series_type))
        series_reset(p);
}

KPI_API int kpi_series_clone(const kpi_series *p, kpi_series **out)
{
    return kpi__clone(&kpi__series_type, p, (void **)out);
}

KPI_API int kpi_series_set_forecast(kpi_series *p, uint32_t season_length,
                                    double alpha, double beta, double gamma)
{
    if (!kpi__is(p, &kpi__series_type) || isnan(alpha) || isnan(beta) ||
        isnan(gamma))
        return KPI_ERR_INVALID;
    if (season_length < 1 || season_length > KPI_SERIES_MAX_SEASON ||
        !valid_param(alpha) || !valid_param(beta) || !valid_param(gamma))
        return KPI_ERR_RANGE;
    if (p->started || kpi__is_member(p))
        return KPI_ERR_STATE;
    double *hw = kpi__calloc(&p->base.alloc, 2 * (size_t)season_length,
                             sizeof(double));
    if (hw == NULL)
        return KPI_ERR_NOMEM;
    kpi__free(&p->base.alloc, p->hw);
    p->hw = hw;
    p->m = season_length;
    p->alpha = alpha;
    p->beta = beta;
    p->gamma = gamma;
    return KPI_OK;
}

KPI_API int kpi_series_merge(kpi_series *dst, const kpi_series *src)
{
    return kpi__merge(&kpi__series_type, dst, src);
}

KPI_API int kpi_series_period(const kpi_series *p, int64_t t_ms,
                              double *value)
{
    if (!kpi__is(p, &kpi__series_type) || value == NULL)
        return KPI_ERR_INVALID;
    if (!p->started)
        return KPI_ERR_EMPTY;
    int64_t k;
    if (period_of(p->period, p->origin, t_ms, &k, NULL) != KPI_OK ||
        k > p->newest || (uint64_t)p->newest - (uint64_t)k >= p->length)
        return KPI_ERR_RANGE;
    *value = val(p, slot_of(p, k));
    return KPI_OK;
}

KPI_API int kpi_series_last(const kpi_series *p, uint32_t n_periods,
                            double *sum)
{
    if (!kpi__is(p, &kpi__series_type) || sum == NULL)
        return KPI_ERR_INVALID;
    if (!p->started)
        return KPI_ERR_EMPTY;
    if (n_periods < 1 || n_periods > p->length)
        return KPI_ERR_RANGE;
    double t = 0;
    uint32_t sl = p->cur_slot;
    for (uint32_t j = 0; j < n_periods; j++) {
        t += val(p, sl);
        sl = sl == 0 ? p->length - 1 : sl - 1;
    }
    *sum = t;
    return KPI_OK;
}

KPI_API int kpi_series_latest(const kpi_series *p, int64_t *period_start_ms)
{
    if (!kpi__is(p, &kpi__series_type) || period_start_ms == NULL)
        return KPI_ERR_INVALID;
    if (!p->started)
        return KPI_ERR_EMPTY;
    *period_start_ms = p->cur_start;
    return KPI_OK;
}

KPI_API uint32_t kpi_series_length(const kpi_series *p)
{
    return kpi__is(p, &kpi__series_type) ? p->length : 0;
}

KPI_API int kpi_series_values(const kpi_series *p, double *out, size_t cap,
                              size_t *n, int64_t *first_period_start_ms)
{
    if (!kpi__is(p, &kpi__series_type) || n == NULL || (out == NULL && cap > 0))
        return KPI_ERR_INVALID;
    if (!p->started)
        return KPI_ERR_EMPTY;
    *n = p->length;
    if (cap < p->length)
        return KPI_ERR_BUFFER;
    int64_t first, st;
    for (uint32_t j = 0; j < p->length; j++)
        out[j] = val(p, slot_back(p, p->length - 1 - j));
    if (first_period_start_ms) {
        /* the oldest start (or index) may lie before INT64_MIN: clamp */
        *first_period_start_ms =
            !__builtin_sub_overflow(p->newest, (int64_t)(p->length - 1), &first) &&
                    start_of(p, first, &st) == KPI_OK
                ? st
                : INT64_MIN;
    }
    return KPI_OK;
}

KPI_API int kpi_series_total(const kpi_series *p, double *total)
{
    if (!kpi__is(p, &kpi__series_type) || total == NULL)
        return KPI_ERR_INVALID;
    if (!p->started)
        return KPI_ERR_EMPTY;
    *total = p->total + p->total_c + val(p, p->cur_slot);
    return KPI_OK;
}

static int forecast_ready(const kpi_series *p)
{
    if (!kpi__is(p, &kpi__series_type))
        return KPI_ERR_INVALID;
    if (p->m == 0)
        return KPI_ERR_STATE;
    if (p->closed < 2 * (uint64_t)p->m)
        return KPI_ERR_EMPTY;
    return KPI_OK;
}

static double forecast_at(const kpi_series *p, uint64_t h)
{
    /* the last closed period is closed - 1 */
    uint64_t t = p->closed - 1 + h;
    return p->level + (double)h * p->trend + p->hw[t % p->m];
}

KPI_API int kpi_series_forecast(const kpi_series *p, uint32_t horizon,
                                double *out, size_t cap)
{
    if (out == NULL && cap > 0)
        return KPI_ERR_INVALID;
    int rc = forecast_ready(p);
    if (rc != KPI_OK)
        return rc;
    if (horizon == 0)
        return KPI_ERR_RANGE;
    if (out == NULL || cap < horizon)
        return KPI_ERR_BUFFER;
    for (uint32_t h = 1; h <= horizon; h++)
        out[h - 1] = forecast_at(p, h);
    return KPI_OK;
}

/* The variance of the h-step forecast error over that of the one-step
 * error, for the model's own errors (independent, of equal variance).
 *
 * The recursions (hw_step) in error-correction form: with the one-step
 * forecast f = L + T + S (S = S[t mod m], last updated m periods before)
 * and its error e = y - f,
 *   L' = alpha (y - S) + (1 - alpha) (L + T)
 *      = alpha (e + L + T) + (1 - alpha) (L + T)        = L + T + alpha e
 *   T' = beta (L' - L) + (1 - beta) T
 *      = beta (T + alpha e) + (1 - beta) T               = T + alpha beta e
 *   S' = gamma (y - L') + (1 - gamma) S      (y - L' = S + (1 - alpha) e)
 *      = gamma (S + (1 - alpha) e) + (1 - gamma) S       = S + gamma (1 - alpha) e
 * which is ETS(A,A,A) (Hyndman, Koehler, Ord and Snyder 2008, "Forecasting
 * with Exponential Smoothing", class 1 models) with the state space
 * constants alpha_ets = alpha, beta_ets = alpha beta (our trend constant
 * smooths the level's change, which moves by alpha e), gamma_ets =
 * gamma (1 - alpha) (our season update uses the new level L').
 * An error j periods before the target period has moved the level by
 * alpha e, the trend by beta_ets e (j steps of it by the target: beta_ets j
 * e) and, when j is a multiple of m, the target's seasonal term by
 * gamma_ets e; the increments are never smoothed away.  So the h-step error
 * is e_{t+h} + sum_{j=1}^{h-1} c_j e_{t+h-j} with
 *   c_j = alpha + beta_ets j + gamma_ets [j mod m = 0],
 * and v_h / sigma^2 = 1 + sum_{j=1}^{h-1} c_j^2.  In closed form (O(1) for
 * any h), with n = h - 1 and k = floor(n / m) multiples of m in 1..n:
 *   sum (alpha + beta_ets j)^2 = n alpha^2 + alpha beta_ets n (n + 1)
 *                                + beta_ets^2 n (n + 1) (2n + 1) / 6
 *   the k seasonal terms add   k gamma_ets (gamma_ets + 2 alpha)
 *                                + gamma_ets beta_ets m k (k + 1)
 * (2 beta_ets gamma_ets times the sum of the multiples m (1 + .. + k)).
 * Every term is >= 0 (no cancellation).  For h <= 2^32 every constant is
 * below 1 and the sum below 3e28 (the beta_ets^2 term, < 2^96 / 3, leads),
 * so the half width, its root (< 2e14) times the RMSE (< 2^512, the root
 * of a finite mean of squares) times 1.96, is finite. */
static double hw_variance_ratio(const kpi_series *p, uint64_t h)
{
    double a = p->alpha, b = p->alpha * p->beta, g = p->gamma * (1.0 - p->alpha);
    double n = (double)(h - 1), m = (double)p->m;
    double k = (double)((h - 1) / p->m);
    return 1.0 + n * a * a + a * b * n * (n + 1.0) +
           b * b * n * (n + 1.0) * (2.0 * n + 1.0) / 6.0 + k * g * (g + 2.0 * a) +
           g * b * m * k * (k + 1.0);
}

KPI_API int kpi_series_forecast_interval(const kpi_series *p, uint32_t h,
                                         kpi_estimate *out)
{
    if (out == NULL)
        return KPI_ERR_INVALID;
    int rc = forecast_ready(p);
    if (rc != KPI_OK)
        return rc;
    if (p->n_err == 0)
        return KPI_ERR_EMPTY;
    if (h == 0)
        return KPI_ERR_RANGE;
    double f = forecast_at(p, h);
    double half = KPI__Z95 * sqrt(p->sum_sq / (double)p->n_err) *
                  sqrt(hw_variance_ratio(p, h));
    out->value = f;
    out->lower = f - half;
    out->upper = f + half;
    out->n = p->n_err;
    return KPI_OK;
}

KPI_API int kpi_series_forecast_error(const kpi_series *p, double *mae,
                                      double *smape)
{
    if (!kpi__is(p, &kpi__series_type))
        return KPI_ERR_INVALID;
    if (p->m == 0)
        return KPI_ERR_STATE;
    if (p->n_err == 0)
        return KPI_ERR_EMPTY;
    if (mae)
        *mae = p->sum_abs / (double)p->n_err;
    if (smape)
        *smape = p->sum_smape / (double)p->n_err;
    return KPI_OK;
}

KPI_API int kpi_series_serialize(const kpi_series *p, void *buf, size_t cap,
                                 size_t *len)
{
    if (!kpi__is(p, &kpi__series_type))
        return KPI_ERR_INVALID;
    return kpi__serialize(p, buf, cap, len);
}

KPI_API int kpi_series_deserialize_with(kpi_series **out, const void *buf,
                                        size_t len, const kpi_allocator *alloc)
{
    return kpi__deserialize(&kpi__series_type, buf, len, alloc, (void **)out);
}

KPI_API int kpi_series_deserialize(kpi_series **out, const void *buf,
                                   size_t len)
{
    return kpi_series_deserialize_with(out, buf, len, NULL);
}

KPI_API size_t kpi_series_footprint(const kpi_series *p)
{
    return kpi__is(p, &kpi__series_type) ? series_footprint(p) : 0;
}
