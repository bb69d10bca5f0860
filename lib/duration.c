/*
 * Durations: exact count/sum/min/max, exact share-within counters for
 * registered targets, and a DDSketch-style quantile sketch.  Also AHT.
 * SPDX-License-Identifier: MIT
 *
 * The sketch (after Masson, Rim, Lee, "DDSketch", VLDB 2019).  A value
 * v >= 1 is written v = 2^e * (1 + s), s in [0, 1).  Instead of log2(v)
 * we use the cubic interpolation L(v) = e + P(s), P(s) = A s^3 + B s^2 +
 * C s with A = 6/35, B = -3/5, C = 10/7 (P(0) = 0, P(1) = 1, so L is
 * continuous and increasing and L(2v) = L(v) + 1).  No log() is called:
 * e and s come straight from the bits of the double.  The bucket is
 * i = floor(k * L(v)).
 *
 * Guarantee.  dL/d(ln v) = P'(s) (1 + s) = C + 3A s (s - r)^2 >= C for
 * s in [0, 1) (the cubic's coefficients make the remainder a perfect
 * square: (2B + 3A)^2 = 12 A (C + 2B)).  So a bucket, an L-interval of
 * width 1/k, spans at most a factor R = exp(1 / (k C)) in v.  Answering
 * a bucket [lo, hi] by x = 2 lo hi / (lo + hi) errs by at most
 * (R - 1) / (R + 1) relative to any v in it, which is <= a when
 * R <= (1 + a) / (1 - a), i.e. k >= 1 / (C ln((1 + a) / (1 - a))).  We
 * take k 1e-6 (relative) above that bound to absorb floating-point
 * rounding at bucket edges; the tests check every value's answer.
 *
 * Store: a dense array of uint64 counters over a window of bucket
 * indices [blo, blo + bcap), grown (with slack) when a value falls
 * outside, plus one spare counter after the window for the batch kernel
 * (never read as a bucket).  Indices used are [ulo, uhi].  Above
 * KPI_DURATION_MAX_BUCKETS used buckets, the lowest collapse: `floor`
 * becomes the lowest index and anything below it is counted in it
 * (DDSketch's collapsing-lowest store).  0 ms is counted exactly apart;
 * so are count, sum, min, max.
 *
 * Batches (kpi_duration_add_array) take one pass, chunk by chunk: see
 * "The batch kernel" below.
 */
#include <math.h>

#if defined(__GNUC__) && defined(__x86_64__) && !defined(KPI_NO_DISPATCH)
#define DUR_HAVE_AVX2 1
#include <immintrin.h>
#endif

#include "codec.h"
#include "kpi/duration.h"

#define DUR_A (6.0 / 35.0)
#define DUR_B (-3.0 / 5.0)
#define DUR_C (10.0 / 7.0)
#define DUR_CAP KPI_DURATION_MAX_BUCKETS
#define DUR_SLACK 16

/* struct kpi_duration is in lib/internal.h (the engine adds inline). */

/* Not static: service_level.c nests a duration. */
#define duration_type kpi__duration_type

/* ---- the mapping -------------------------------------------------------- */

/*
 * The mapping rounds after every product and every sum: never a fused
 * multiply-add, whatever the target allows (-march=native, or the AVX-512
 * kernel's target, which includes FMA), so that the scalar mapping, the
 * vector kernels and every build give the same index for every value.  An
 * empty asm statement that may change the product keeps the compiler
 * from fusing it with the sum after it; it emits no instruction.
 */
#if defined(__GNUC__) && (defined(__x86_64__) || (defined(__i386__) && defined(__SSE2_MATH__)))
#define DUR_UNFUSED(v) __asm__("" : "+x"(v)) /* an SSE register */
#elif defined(__GNUC__) && defined(__aarch64__)
#define DUR_UNFUSED(v) __asm__("" : "+w"(v)) /* an FP/SIMD register */
#elif defined(__GNUC__)
#define DUR_UNFUSED(v) __asm__("" : "+m"(v)) /* elsewhere: through memory */
#else
#define DUR_UNFUSED(v) ((void)0) /* compilers that do not contract by default */
#endif

/* a * b, rounded as a product of its own (never fused into a sum after it,
 * see DUR_UNFUSED) */
static inline double dur_mul(double a, double b)
{
    double p = a * b;
    DUR_UNFUSED(p);
    return p;
}

/* P(s) + e, P(s) = ((A s + B) s + C) s, rounded step by step. */
static inline double dur_poly(double s, double e)
{
    return dur_mul(dur_mul(dur_mul(DUR_A, s) + DUR_B, s) + DUR_C, s) + e;
}

static inline double dur_log2ish(double v)
{
    uint64_t bits;
    memcpy(&bits, &v, sizeof bits);
    double e = (double)((int)((bits >> 52) & 0x7ff) - 1023);
    uint64_t mb = (bits & UINT64_C(0xfffffffffffff)) | UINT64_C(0x3ff0000000000000);
    double s;
    memcpy(&s, &mb, sizeof s);
    s -= 1.0;
    return dur_poly(s, e);
}

/* Bucket of a value >= 1 (L >= 0, so truncation is floor). */
static inline int32_t dur_index(double k, int64_t v)
{
    return (int32_t)(dur_log2ish((double)v) * k);
}

/*
 * A quantile's answer solves the mapping's cubic by Cardano's formula,
 * whose cube root is computed here from + - * / only (each correctly
 * rounded in IEEE double arithmetic): the C library's cbrt() is not
 * correctly rounded and differs in its last bit from one libm to another
 * (glibc's x86-64 and i386 versions do, on this function's answers), which
 * made the answers differ between platforms after the Newton steps.  (The
 * mapping's k is taken from log() once per object: libms round log()
 * correctly in practice, and the 32-bit x86 build's buckets and golden
 * states agree with x86-64's.)
 */

/* The real cube root of x, to within a few ulps (the Newton steps of
 * dur_inverse() after it absorb the rest): a cubic within 1.4% of m^(1/3)
 * on [0.5, 4), then two of Halley's steps (the error cubed by each). */
static double dur_cbrt(double x)
{
    if (x == 0 || !isfinite(x))
        return x;
    int e;
    double m = frexp(fabs(x), &e); /* |x| = m 2^e, m in [0.5, 1) */
    int r = ((e % 3) + 3) % 3;     /* exact: e - r is a multiple of 3 */
    m = ldexp(m, r);               /* m in [0.5, 4) */
    e -= r;
    double y = dur_mul(dur_mul(dur_mul(0.0121711, m) - 0.119049, m) + 0.539763, m) + 0.562829;
    for (int i = 0; i < 2; i++) {
        double y3 = dur_mul(dur_mul(y, y), y);
        y = dur_mul(y, y3 + 2 * m) / (2 * y3 + m);
    }
    y = ldexp(y, e / 3);
    return x < 0 ? -y : y;
}

/* The value whose L is `l` (l >= 0): solve P(s) = frac(l) (Cardano, then
 * two Newton steps).  Every product is rounded apart from the sum after it,
 * like the mapping's, so that a bucket's value (every quantile answer) is
 * the same in every build. */
static double dur_inverse(double l)
{
    double e = floor(l);
    double t = l - e;
    const double a = DUR_A, b = DUR_B, c = DUR_C;
    double d0 = dur_mul(b, b) - dur_mul(3 * a, c);
    double d1 = dur_mul(dur_mul(2 * b, b), b) - dur_mul(dur_mul(9 * a, b), c) -
                dur_mul(dur_mul(27 * a, a), t);
    double cc = dur_cbrt((d1 - sqrt(dur_mul(d1, d1) - dur_mul(dur_mul(4 * d0, d0), d0))) / 2);
    double s = -(b + cc + d0 / cc) / (3 * a);
    for (int i = 0; i < 2; i++) {
        double f = dur_mul(dur_mul(dur_mul(a, s) + b, s) + c, s) - t;
        double df = dur_mul(dur_mul(3 * a, s) + 2 * b, s) + c;
        s -= f / df;
    }
    if (s < 0)
        s = 0;
    if (s > 1)
        s = 1;
    return ldexp(1.0 + s, (int)e);
}

/* The answer for bucket i: relative error <= accuracy for all of it. */
static double dur_bucket_value(const kpi_duration *d, int32_t i)
{
    double lo = dur_inverse((double)i / d->k);
    double hi = dur_inverse((double)(i + 1) / d->k);
    return 2 * lo * hi / (lo + hi);
}

/* ---- construction ------------------------------------------------------- */

static int dur_check_accuracy(double a)
{
    if (isnan(a))
        return KPI_ERR_INVALID;
    if (!(a >= KPI_DURATION_MIN_ACCURACY && a <= KPI_DURATION_MAX_ACCURACY))
        return KPI_ERR_RANGE;
    return KPI_OK;
}

static void dur_configure(kpi_duration *d, double accuracy)
{
    d->accuracy = accuracy;
    d->k = (1.0 + 1e-6) / (DUR_C * log((1.0 + accuracy) / (1.0 - accuracy)));
    d->max_index = dur_index(d->k, INT64_MAX);
}

static int dur_create(kpi_duration **out, double accuracy, const kpi_allocator *a)
{
    if (out == NULL)
        return KPI_ERR_INVALID;
    int rc = dur_check_accuracy(accuracy);
    if (rc != KPI_OK)
        return rc;
    void *o;
    rc = kpi__object_new(&duration_type, sizeof(kpi_duration), a, &o);
    if (rc != KPI_OK)
        return rc;
    dur_configure(o, accuracy);
    *out = o;
    return KPI_OK;
}

int kpi_duration_new(kpi_duration **out, double relative_accuracy)
{
    return dur_create(out, relative_accuracy, NULL);
}

int kpi_duration_new_with(kpi_duration **out, double relative_accuracy,
                          const kpi_allocator *alloc)
{
    return dur_create(out, relative_accuracy, alloc);
}

int kpi_frt_new(kpi_duration **out)
{
    return dur_create(out, KPI_DURATION_DEFAULT_ACCURACY, NULL);
}

int kpi_art_new(kpi_duration **out)
{
    return dur_create(out, KPI_DURATION_DEFAULT_ACCURACY, NULL);
}

int kpi_asa_new(kpi_duration **out)
{
    return dur_create(out, KPI_DURATION_DEFAULT_ACCURACY, NULL);
}

int kpi_resolution_time_new(kpi_duration **out)
{
    return dur_create(out, KPI_DURATION_DEFAULT_ACCURACY, NULL);
}

static void dur_destroy(void *obj)
{
    kpi_duration *d = obj;
    kpi__free(&d->base.alloc, d->bins);
    kpi__object_free(d);
}

static void dur_clear(kpi_duration *d)
{
    if (d->bins)
        memset(d->bins, 0, ((size_t)d->bcap + 1) * sizeof *d->bins);
    d->count = d->zeros = 0;
    d->sum = d->min = d->max = 0;
    memset(d->within, 0, sizeof d->within);
    d->ulo = d->uhi = 0;
    d->floor_idx = 0;
    d->collapsed = false;
}

static void dur_reset(void *obj) { dur_clear(obj); }

void kpi_duration_free(kpi_duration *d)
{
    if (kpi__is(d, &duration_type) && !kpi__is_member(d))
        dur_destroy(d);
}

void kpi_duration_reset(kpi_duration *d)
{
    if (kpi__is(d, &duration_type))
        dur_clear(d);
}

static int dur_clone(const void *src, void **out)
{
    const kpi_duration *s = src;
    kpi_duration *d;
    void *o;
    int rc = kpi__object_new(&duration_type, sizeof(kpi_duration), &s->base.alloc, &o);
    if (rc != KPI_OK)
        return rc;
    d = o;
    uint64_t *bins = NULL;
    if (s->bins) {
        bins = kpi__malloc(&s->base.alloc, ((size_t)s->bcap + 1) * sizeof *bins);
        if (bins == NULL) {
            kpi__object_free(d);
            return KPI_ERR_NOMEM;
        }
        memcpy(bins, s->bins, ((size_t)s->bcap + 1) * sizeof *bins);
    }
    kpi__object base = d->base;
    *d = *s;
    d->base = base;
    d->bins = bins;
    *out = d;
    return KPI_OK;
}

int kpi_duration_clone(const kpi_duration *d, kpi_duration **out)
{
    return kpi__clone(&duration_type, d, (void **)out);
}

int kpi_duration_add_target(kpi_duration *d, int64_t target_ms)
{
    if (!kpi__is(d, &duration_type))
        return KPI_ERR_INVALID;
    if (target_ms < 0)
        return KPI_ERR_RANGE;
    if (d->count != 0 || kpi__is_member(d))
        return KPI_ERR_STATE;
    uint32_t pos = 0;
    while (pos < d->ntargets && d->targets[pos] < target_ms)
        pos++;
    if (pos < d->ntargets && d->targets[pos] == target_ms)
        return KPI_ERR_DUPLICATE;
    if (d->ntargets == KPI_DURATION_MAX_TARGETS)
        return KPI_ERR_LIMIT;
    memmove(d->targets + pos + 1, d->targets + pos,
            (d->ntargets - pos) * sizeof d->targets[0]);
    d->targets[pos] = target_ms;
    d->ntargets++;
    return KPI_OK;
}

/* ---- the store ---------------------------------------------------------- */

/*
 * The window of buckets an array must hold for used indices [nlo, nhi]
 * (at most the cap apart): slack on both sides, within [lowest,
 * max_index], at most the cap in all, so that no value counted inside the
 * window (the paths that skip dur_reserve_floor) can widen the used range
 * past the cap without collapsing.  Returns its size; *wlo its first
 * index.
 */
static uint32_t dur_window(const kpi_duration *d, int32_t nlo, int32_t nhi,
                           int32_t lowest, int32_t *wlo)
{
    int32_t lo = nlo - DUR_SLACK;
    if (lo < lowest)
        lo = lowest;
    int32_t hi = nhi + DUR_SLACK;
    if (hi > d->max_index)
        hi = d->max_index;
    if ((int64_t)hi - lo + 1 > DUR_CAP) {
        /* less slack: keep [nlo, nhi], as many buckets as the cap */
        hi = lo + DUR_CAP - 1;
        if (hi < nhi) {
            hi = nhi;
            lo = nhi - DUR_CAP + 1;
        }
    }
    *wlo = lo;
    return (uint32_t)(hi - lo + 1);
}

/* A zeroed counter array for a window of `wcap` buckets, plus one spare
 * counter after them (bins[wcap]) where the batch kernel counts what
 * belongs in no bucket: zeros, and values outside the window, which it
 * then takes back.  Never read as a bucket, never serialized. */
static uint64_t *dur_bins_new(kpi_duration *d, uint32_t wcap)
{
    return kpi__calloc(&d->base.alloc, (size_t)wcap + 1, sizeof(uint64_t));
}

/*
 * Make room for bucket indices [ilo, ihi] (ilo <= ihi) without changing
 * any count, with the floor at least `floor` when `collapse` (a merge of
 * a collapsed sketch: one sketch fed both streams would have collapsed
 * too).  Works out whether the sketch collapses (new floor) and ensures
 * the window covers [floor or lo, hi].  On failure nothing changed.
 * Counts folded below a new floor go into the floor bucket.
 */
static int dur_reserve_floor(kpi_duration *d, int32_t ilo, int32_t ihi, bool collapse,
                             int32_t floor)
{
    bool has = d->count > d->zeros;
    int32_t nlo = has && d->ulo < ilo ? d->ulo : ilo;
    int32_t nhi = has && d->uhi > ihi ? d->uhi : ihi;
    bool collapsed = d->collapsed || collapse;
    int32_t floor_idx = d->floor_idx;
    if (collapse && floor > floor_idx)
        floor_idx = floor;
    if (collapsed && nlo < floor_idx)
        nlo = floor_idx;
    if ((int64_t)nhi - nlo + 1 > DUR_CAP) {
        collapsed = true;
        floor_idx = nhi - DUR_CAP + 1;
        nlo = floor_idx;
    }
    if (d->bins && nlo >= d->blo && (int64_t)nhi < (int64_t)d->blo + d->bcap &&
        floor_idx == d->floor_idx && collapsed == d->collapsed)
        return KPI_OK;
    /* a new window with slack on both sides, within [floor, max_index] */
    int32_t wlo;
    uint32_t wcap = dur_window(d, nlo, nhi, collapsed ? floor_idx : 0, &wlo);
    uint64_t *nb = dur_bins_new(d, wcap);
    if (nb == NULL)
        return KPI_ERR_NOMEM;
    /* commit: copy the used buckets, folding those below the floor */
    if (has) {
        for (int32_t i = d->ulo; i <= d->uhi; i++) {
            uint64_t c = d->bins[i - d->blo];
            int32_t j = i < nlo ? nlo : i;
            nb[j - wlo] += c;
        }
        if (d->ulo < nlo)
            d->ulo = nlo;
        if (d->uhi < nlo)
            d->uhi = nlo;
    }
    kpi__free(&d->base.alloc, d->bins);
    d->bins = nb;
    d->blo = wlo;
    d->bcap = wcap;
    d->collapsed = collapsed;
    d->floor_idx = floor_idx;
    return KPI_OK;
}

static int dur_reserve(kpi_duration *d, int32_t ilo, int32_t ihi)
{
    return dur_reserve_floor(d, ilo, ihi, false, 0);
}

static inline int32_t dur_clamp(const kpi_duration *d, int32_t i)
{
    if (i < d->floor_idx)
        i = d->floor_idx; /* floor_idx is 0 until collapsed */
    if (i < d->blo)
        i = d->blo;
    if (i >= d->blo + (int32_t)d->bcap)
        i = d->blo + (int32_t)d->bcap - 1;
    return i;
}

/* Sum of n non-negative values onto `sum`; false on overflow. */
static bool dur_sum(const int64_t *ms, size_t n, int64_t mx, int64_t *sum)
{
    int64_t s = *sum;
    if (mx == 0 || (uint64_t)mx <= (uint64_t)(INT64_MAX - s) / n) {
        /* cannot overflow: a plain (vectorizable) sum */
        uint64_t t = 0;
        for (size_t i = 0; i < n; i++)
            t += (uint64_t)ms[i];
        *sum = s + (int64_t)t;
        return true;
    }
    for (size_t i = 0; i < n; i++)
        if (!kpi__add_i64(s, ms[i], &s))
            return false;
    *sum = s;
    return true;
}

static void dur_add_targets(kpi_duration *d, const int64_t *ms, size_t n)
{
    for (uint32_t t = 0; t < d->ntargets; t++) {
        int64_t target = d->targets[t];
        uint64_t c = 0;
        for (size_t i = 0; i < n; i++)
            c += ms[i] <= target;
        d->within[t] += c;
    }
}

/*
 * The batch kernel.  For a chunk of at most DUR_CHUNK values it computes
 * each value's bucket index with exactly the arithmetic of dur_log2ish()
 * and dur_index(), in the same order (so every index equals the scalar
 * mapping's), and counts it at once: bins[min(index - blo, bcap)] +=
 * delta, unsigned.  A zero computes as L = -1023, a negative index, so it
 * lands on the spare counter bins[bcap], as does any value outside the
 * window; the caller checks the chunk's index range afterwards and, if a
 * positive value fell outside, takes the chunk back (the same call with
 * delta = -1 hits the same counters).  Values are converted to double
 * exactly through the 2^52 bit trick (0 <= v < 2^52, about 142,000 years
 * of milliseconds), which, unlike a cvtsi2sd per value, vectorizes; a
 * negative or larger value shows in `any` >> 52 and the caller takes the
 * chunk back.  Also out: the chunk's sum (2^11 values below 2^52 cannot
 * wrap), its min and max as doubles (exact), and its smallest (unsigned,
 * so a zero's negative index never wins) and largest (signed: negative
 * when the chunk holds only zeros) index, the range its positive values
 * used.
 *
 * One pass over the batch: the validation, the exact reads and the
 * counting all happen while a chunk is in L1.  The portable kernel writes
 * the indices of 256 values at a time, then counts them; the AVX2 kernel (no FMA: the
 * indices must stay bit-identical to the scalar mapping's) counts 8 values
 * as soon as their indices are known, so the scalar increments overlap
 * the vector arithmetic of the next values.
 */
#define DUR_CHUNK 2048
#define DUR_TWO52 4503599627370496.0
#define DUR_MAGIC UINT64_C(0x4330000000000000)

typedef struct dur_chunk {
    uint64_t any, sum;
    double xmin, xmax;
    uint32_t imin;
    int32_t imax; /* negative: no positive value */
} dur_chunk;

#if defined(__GNUC__)
#define DUR_INLINE static inline __attribute__((always_inline))
#define DUR_NOINLINE __attribute__((noinline))
#else
#define DUR_INLINE static inline
#define DUR_NOINLINE
#endif

#if defined(__GNUC__) && !defined(__clang__)
#define DUR_VECTORIZE __attribute__((optimize("tree-vectorize")))
#else
#define DUR_VECTORIZE
#endif

/* The bucket index of u < 2^52 as dur_index() computes it for u >= 1 (a
 * zero gives a negative index); *xo is (double)u, exactly. */
DUR_INLINE int32_t dur_chunk_index(double k, uint64_t u, double *xo)
{
    uint64_t xb = DUR_MAGIC | u;
    double x;
    memcpy(&x, &xb, sizeof x);
    x -= DUR_TWO52;
    *xo = x;
    uint64_t bits;
    memcpy(&bits, &x, sizeof bits);
    uint64_t eb = DUR_MAGIC | (bits >> 52);
    double e;
    memcpy(&e, &eb, sizeof e);
    e -= DUR_TWO52 + 1023.0; /* the unbiased exponent, exactly */
    uint64_t mb = (bits & UINT64_C(0xfffffffffffff)) | UINT64_C(0x3ff0000000000000);
    double s;
    memcpy(&s, &mb, sizeof s);
    s -= 1.0;
    return (int32_t)(dur_poly(s, e) * k);
}

DUR_VECTORIZE static void dur_chunk_generic(double k, int32_t blo, uint32_t bcap,
                                            uint64_t *bins, uint64_t delta,
                                            const int64_t *ms, size_t n, dur_chunk *r)
{
    int32_t idx[256];
    uint64_t any = 0, sum = 0, umin = UINT64_MAX, umax = 0;
    uint32_t imin = UINT32_MAX;
    int32_t imax = INT32_MIN;
    for (size_t j = 0; j < n; j += 256) {
        size_t m = n - j < 256 ? n - j : 256;
        for (size_t i = 0; i < m; i++) {
            uint64_t u = (uint64_t)ms[j + i];
            any |= u;
            sum += u;
            umin = u < umin ? u : umin;
            umax = u > umax ? u : umax;
            /* a value the caller will refuse computes as a zero (no overflow) */
            uint64_t ok = u & (UINT64_C(0) - (uint64_t)((u >> 52) == 0));
            double x;
            int32_t b = dur_chunk_index(k, ok, &x);
            idx[i] = b;
            imin = (uint32_t)b < imin ? (uint32_t)b : imin;
            imax = b > imax ? b : imax;
        }
        for (size_t i = 0; i < m; i++) {
            uint32_t o = (uint32_t)idx[i] - (uint32_t)blo;
            bins[o < bcap ? o : bcap] += delta;
        }
    }
    r->any = any;
    r->sum = sum;
    r->xmin = (double)umin;
    r->xmax = (double)umax;
    r->imin = imin;
    r->imax = imax;
}

#if defined(DUR_HAVE_AVX2)
/*
 * The arithmetic of dur_chunk_index() on a vector x of exact doubles, the
 * body of dur_poly_avx2() and dur_poly_avx512(): VI and VD the integer and
 * double vector types, P the intrinsics' prefix, SI their integer suffix,
 * SET64 the broadcast of a 64-bit integer, UNFUSED the barrier between a
 * product and the sum after it (see DUR_UNFUSED).  The bit patterns of
 * 2^52 and of 1.0 (magic, onebits) serve both as integers and as doubles.
 */
#define DUR_POLY_BODY(VI, VD, P, SI, SET64, UNFUSED)                                 \
    VI bits = P##_castpd_##SI(x);                                                    \
    VI eb = P##_or_##SI(P##_srli_epi64(bits, 52), magic);                           \
    VD e = P##_sub_pd(P##_cast##SI##_pd(eb), P##_set1_pd(DUR_TWO52 + 1023.0));      \
    VI mb = P##_or_##SI(P##_and_##SI(bits, SET64(0xfffffffffffffLL)), onebits);     \
    VD s = P##_sub_pd(P##_cast##SI##_pd(mb), P##_cast##SI##_pd(onebits));           \
    VD p = P##_mul_pd(P##_set1_pd(DUR_A), s);                                        \
    UNFUSED(p);                                                                      \
    p = P##_mul_pd(P##_add_pd(p, P##_set1_pd(DUR_B)), s);                            \
    UNFUSED(p);                                                                      \
    p = P##_mul_pd(P##_add_pd(p, P##_set1_pd(DUR_C)), s);                            \
    UNFUSED(p);                                                                      \
    return P##_mul_pd(P##_add_pd(p, e), P##_set1_pd(k))

__attribute__((target("avx2"))) static inline __m256d
dur_poly_avx2(__m256d x, double k, __m256i magic, __m256i onebits)
{
    DUR_POLY_BODY(__m256i, __m256d, _mm256, si256, _mm256_set1_epi64x, DUR_UNFUSED);
}

/* The AVX2 kernel's running reads. */
typedef struct dur_acc8 {
    __m256i any, sum, imn, imx;
    __m256d xmn, xmx;
} dur_acc8;

/* The window offsets of ms[0..8) (clamped to the spare), reads updated. */
__attribute__((target("avx2"))) static inline __m256i
dur_offsets8(const int64_t *ms, double k, __m256i vblo, __m256i vcap, dur_acc8 *acc)
{
    const __m256i magic = _mm256_set1_epi64x((long long)DUR_MAGIC);
    const __m256d two52 = _mm256_castsi256_pd(magic);
    const __m256i onebits = _mm256_set1_epi64x(0x3ff0000000000000LL);
    const void *p0 = ms, *p1 = ms + 4;
    __m256i u0 = _mm256_loadu_si256(p0), u1 = _mm256_loadu_si256(p1);
    acc->any = _mm256_or_si256(acc->any, _mm256_or_si256(u0, u1));
    acc->sum = _mm256_add_epi64(acc->sum, _mm256_add_epi64(u0, u1));
    __m256d x0 = _mm256_sub_pd(_mm256_castsi256_pd(_mm256_or_si256(u0, magic)), two52);
    __m256d x1 = _mm256_sub_pd(_mm256_castsi256_pd(_mm256_or_si256(u1, magic)), two52);
    acc->xmn = _mm256_min_pd(acc->xmn, _mm256_min_pd(x0, x1));
    acc->xmx = _mm256_max_pd(acc->xmx, _mm256_max_pd(x0, x1));
    __m256i idx = _mm256_set_m128i(_mm256_cvttpd_epi32(dur_poly_avx2(x1, k, magic, onebits)),
                                   _mm256_cvttpd_epi32(dur_poly_avx2(x0, k, magic, onebits)));
    acc->imn = _mm256_min_epu32(acc->imn, idx);
    acc->imx = _mm256_max_epi32(acc->imx, idx);
    return _mm256_min_epu32(_mm256_sub_epi32(idx, vblo), vcap);
}

/* Count the 8 values whose window offsets are at o: written out, since
 * gcc -O2 keeps a loop of 8 (its counter and branch as many instructions
 * as the increments, in a kernel bound by its instructions). */
DUR_INLINE void dur_count8(uint64_t *bins, uint64_t delta, const uint32_t *o)
{
    bins[o[0]] += delta;
    bins[o[1]] += delta;
    bins[o[2]] += delta;
    bins[o[3]] += delta;
    bins[o[4]] += delta;
    bins[o[5]] += delta;
    bins[o[6]] += delta;
    bins[o[7]] += delta;
}

/*
 * The vector kernels' loop over n values (a multiple of STEP, 8 or 16):
 * OFFSETS(p, o), a statement, stores at o the window offsets of the STEP
 * values at p (the kernel's running reads updated).  Blocks of 64: a
 * block's offsets are stored while those of the block before are counted
 * (two buffers), so that each increment reads an offset stored long
 * before (no waiting on store forwarding, as a reload of a vector just
 * stored would) and the scalar increments overlap the next block's vector
 * work; the last n % 64 values STEP at a time.
 */
#define DUR_BLOCKS(ms, n, bins, delta, STEP, OFFSETS)                         \
    do {                                                                      \
        uint32_t off_[2][64];                                                 \
        int c_ = 0;                                                           \
        for (size_t i_ = 0; i_ < 64 && (n) >= 64; i_ += (STEP))               \
            OFFSETS((ms) + i_, off_[0] + i_);                                 \
        for (size_t j_ = 64; j_ + 64 <= (n); j_ += 64, c_ ^= 1)               \
            for (size_t i_ = 0; i_ < 64; i_ += (STEP)) {                      \
                OFFSETS((ms) + j_ + i_, off_[c_ ^ 1] + i_);                   \
                for (size_t h_ = 0; h_ < (STEP); h_ += 8)                     \
                    dur_count8((bins), (delta), off_[c_] + i_ + h_);          \
            }                                                                 \
        for (size_t i_ = 0; i_ < 64 && (n) >= 64; i_ += 8)                    \
            dur_count8((bins), (delta), off_[c_] + i_);                       \
        for (size_t j_ = (n) & ~(size_t)63; j_ + (STEP) <= (n); j_ += (STEP)) { \
            OFFSETS((ms) + j_, off_[0]);                                      \
            for (size_t h_ = 0; h_ < (STEP); h_ += 8)                         \
                dur_count8((bins), (delta), off_[0] + h_);                    \
        }                                                                     \
    } while (0)

/* A vector kernel's start (its parameters k, blo, bcap, bins, delta, ms,
 * n, r): the last n % STEP values by the portable kernel, which sets *r;
 * then n8, the values left for the vector loop (a multiple of STEP), and
 * the window as vectors. */
#define DUR_KERNEL_HEAD(STEP)                                                 \
    size_t n8 = n & ~(size_t)((STEP) - 1);                                    \
    dur_chunk_generic(k, blo, bcap, bins, delta, ms + n8, n - n8, r);         \
    if (n8 == 0)                                                              \
        return;                                                               \
    const __m256i vblo = _mm256_set1_epi32(blo);                              \
    const __m256i vcap = _mm256_set1_epi32((int)bcap)

/* 8 window offsets stored at o. */
__attribute__((target("avx2"))) static inline void dur_store8(uint32_t *o, __m256i off)
{
    void *p = o;
    _mm256_storeu_si256(p, off);
}

/* The 8 index minima (unsigned) and maxima (signed) into r's. */
__attribute__((target("avx2"))) static void dur_index_range(__m256i imn, __m256i imx,
                                                            dur_chunk *r)
{
    uint32_t w[8];
    void *wp = w;
    _mm256_storeu_si256(wp, imn);
    for (int j = 0; j < 8; j++)
        r->imin = w[j] < r->imin ? w[j] : r->imin;
    _mm256_storeu_si256(wp, imx);
    for (int j = 0; j < 8; j++)
        r->imax = (int32_t)w[j] > r->imax ? (int32_t)w[j] : r->imax;
}

/* The first n - n % 8 values by the vector loop, the rest by the portable
 * kernel. */
__attribute__((target("avx2"))) static void
dur_chunk_avx2(double k, int32_t blo, uint32_t bcap, uint64_t *bins, uint64_t delta,
               const int64_t *ms, size_t n, dur_chunk *r)
{
    DUR_KERNEL_HEAD(8);
    dur_acc8 acc = {_mm256_setzero_si256(), _mm256_setzero_si256(),
                    _mm256_set1_epi32((int)r->imin), _mm256_set1_epi32(r->imax),
                    _mm256_set1_pd(r->xmin), _mm256_set1_pd(r->xmax)};
#define DUR_OFFSETS_AVX2(p, o) dur_store8((o), dur_offsets8((p), k, vblo, vcap, &acc))
    DUR_BLOCKS(ms, n8, bins, delta, 8, DUR_OFFSETS_AVX2);
#undef DUR_OFFSETS_AVX2
    uint64_t q[4];
    double x[4];
    void *qp = q;
    _mm256_storeu_si256(qp, acc.any);
    r->any |= q[0] | q[1] | q[2] | q[3];
    _mm256_storeu_si256(qp, acc.sum);
    r->sum += q[0] + q[1] + q[2] + q[3];
    _mm256_storeu_pd(x, acc.xmn);
    for (int j = 0; j < 4; j++)
        r->xmin = x[j] < r->xmin ? x[j] : r->xmin;
    _mm256_storeu_pd(x, acc.xmx);
    for (int j = 0; j < 4; j++)
        r->xmax = x[j] > r->xmax ? x[j] : r->xmax;
    dur_index_range(acc.imn, acc.imx, r);
}

/*
 * The same kernel with AVX-512 (8 values to a vector, min and max of the
 * values as unsigned integers), for processors that have it: about 15%
 * less time than AVX2 per value on the project's VM (docs/PERFORMANCE.md).
 * Its target includes FMA: DUR_UNFUSED512 keeps every product apart from
 * the sum after it, so the indices stay the scalar mapping's.
 */
#define DUR_T512 __attribute__((target("avx2,avx512f")))
#define DUR_UNFUSED512(v) __asm__("" : "+v"(v))

DUR_T512 static inline __m512d dur_poly_avx512(__m512d x, double k, __m512i magic,
                                               __m512i onebits)
{
    DUR_POLY_BODY(__m512i, __m512d, _mm512, si512, _mm512_set1_epi64, DUR_UNFUSED512);
}

/* The AVX-512 kernel's running reads. */
typedef struct dur_acc512 {
    __m512i any, sum, umn, umx;
    __m256i imn, imx;
} dur_acc512;

/* The indices of the 8 values u (the double mapping; what a value of 2^52
 * or more gives does not matter: the batch is refused). */
DUR_T512 static inline __m256i dur_index8_avx512(__m512i u, double k)
{
    const __m512i magic = _mm512_set1_epi64((long long)DUR_MAGIC);
    const __m512d two52 = _mm512_castsi512_pd(magic);
    const __m512i onebits = _mm512_set1_epi64(0x3ff0000000000000LL);
    __m512d x = _mm512_sub_pd(_mm512_castsi512_pd(_mm512_or_si512(u, magic)), two52);
    return _mm512_cvttpd_epi32(dur_poly_avx512(x, k, magic, onebits));
}

/* The window offsets of ms[0..8) (clamped to the spare), reads updated. */
DUR_T512 static inline __m256i dur_offsets8_avx512(const int64_t *ms, double k, __m256i vblo,
                                                   __m256i vcap, dur_acc512 *acc)
{
    __m512i u = _mm512_loadu_si512(ms);
    acc->any = _mm512_or_si512(acc->any, u);
    acc->sum = _mm512_add_epi64(acc->sum, u);
    acc->umn = _mm512_min_epu64(acc->umn, u);
    acc->umx = _mm512_max_epu64(acc->umx, u);
    __m256i idx = dur_index8_avx512(u, k);
    acc->imn = _mm256_min_epu32(acc->imn, idx);
    acc->imx = _mm256_max_epi32(acc->imx, idx);
    return _mm256_min_epu32(_mm256_sub_epi32(idx, vblo), vcap);
}

DUR_T512 static void dur_chunk_avx512(double k, int32_t blo, uint32_t bcap, uint64_t *bins,
                                      uint64_t delta, const int64_t *ms, size_t n, dur_chunk *r)
{
    DUR_KERNEL_HEAD(8);
    dur_acc512 acc = {_mm512_setzero_si512(), _mm512_setzero_si512(),
                      _mm512_set1_epi64(-1), _mm512_setzero_si512(),
                      _mm256_set1_epi32((int)r->imin), _mm256_set1_epi32(r->imax)};
#define DUR_OFFSETS_AVX512(p, o) dur_store8((o), dur_offsets8_avx512((p), k, vblo, vcap, &acc))
    DUR_BLOCKS(ms, n8, bins, delta, 8, DUR_OFFSETS_AVX512);
#undef DUR_OFFSETS_AVX512
    uint64_t q[8];
    _mm512_storeu_si512(q, acc.any);
    for (int j = 0; j < 8; j++)
        r->any |= q[j];
    _mm512_storeu_si512(q, acc.sum);
    for (int j = 0; j < 8; j++)
        r->sum += q[j];
    /* as the portable kernel: min and max as unsigned, then exact doubles
     * (what a value >= 2^52 gives does not matter: the batch is refused) */
    _mm512_storeu_si512(q, acc.umn);
    for (int j = 0; j < 8; j++)
        r->xmin = (double)q[j] < r->xmin ? (double)q[j] : r->xmin;
    _mm512_storeu_si512(q, acc.umx);
    for (int j = 0; j < 8; j++)
        r->xmax = (double)q[j] > r->xmax ? (double)q[j] : r->xmax;
    dur_index_range(acc.imn, acc.imx, r);
}

/*
 * The AVX-512 kernel with an estimate in float32: 16 values to a vector,
 * half the vector work of the double kernel per value.  For v < 2^52 and
 * the double result y = dur_log2ish(v) * k (whose truncation is the index),
 * the estimate z of y + c (c = k 2^-16) is computed from float(v) (rounded
 * to nearest: relative error u = 2^-24) as
 *
 *     z = ((a3 m + a2) m + a1) m + (e k + a0 + c),
 *
 * float(v) = 2^e m, m in [1, 2) (getexp, getmant: exact), a3 m^3 + a2 m^2
 * + a1 m + a0 = k P(m - 1), its coefficients rounded to float, each fused
 * multiply-add rounded to nearest (embedded rounding: whatever MXCSR says).
 * Error, in units of u k: float(v) moves L by at most u max((1 + s) P'(s))
 * <= 1.5 u; the rounded coefficients (|a3|, |a2|, |a1|, |a0| <= 0.18,
 * 1.12, 3.15, 2.21 k, with m^3, m^2, m <= 8, 4, 2) at most 1.4 + 4.5 + 6.3
 * + 2.3, and k at most e; the roundings of the four results (|t1| <= 0.95
 * k, |t2| <= 2.4 k, |e k + a0 + c| <= (e + 2.3) k, |z| <= (e + 1.1) k,
 * times m^2, m, 1, 1) at most 3.8 + 4.8 + e + 2.3 + e + 1.1; the double
 * y's own rounding well under 1: |z - (y + c)| < (29 + 3 e) u k <= 185 u k
 * for e <= 52, below c = 256 u k.  So where frac(z) >= 2c, floor(z) =
 * floor(y), the index; the lanes where frac(z) < 2c (about 2c of them,
 * k 2^-15: 0.1% at 1%) are "near" and get the exact index from the double
 * mapping (dur_exact16()).  A zero gives z = -inf (exceptions suppressed):
 * the index 0x80000000, never near, whose offset is the spare, where the
 * caller counts zeros (taken for near they cost 9.4 ns each instead of
 * 0.6 in a column of zeros); a value of 2^52 or more
 * some other index: the caller refuses the batch by umx, and a take-back
 * computes the same offsets.  Used up to k = DUR_EST_KMAX (2c <= 1/32);
 * finer accuracies take the double kernel.  The tests compare every value
 * at and next to the bucket edges, at several accuracies, with the scalar
 * mapping.
 */
#define DUR_EST_KMAX 1024.0
/* Values read ahead (2 KB): a 10 M batch from memory took 0.70-0.73 ns a
 * value without, 0.60-0.63 with (0.61-0.68 at 1 KB, 0.66-0.69 at 4 KB). */
#define DUR_PREFETCH 256
#define DUR_T512Q __attribute__((target("avx2,avx512f,avx512dq")))
#define DUR_RN (_MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC)
#define DUR_RD (_MM_FROUND_TO_NEG_INF | _MM_FROUND_NO_EXC)

/* The estimate's constants, and its running reads. */
typedef struct dur_acc16 {
    __m512 a3, a2, a1, k, h0, near;
    __m512i sum, umn, umx, imn, imx, vblo, vcap, ilow;
} dur_acc16;

/* The exact indices of the 16 values at ms: the double mapping, as the
 * double AVX-512 kernel computes it, for the vectors that have a near
 * lane (rare, but every vector of a constant column of such a value: the
 * scalar mapping lane by lane took 9.8 ns a value there). */
DUR_NOINLINE DUR_T512Q static __m512i dur_exact16(const int64_t *ms, double k)
{
    __m256i i0 = dur_index8_avx512(_mm512_loadu_si512(ms), k);
    __m256i i1 = dur_index8_avx512(_mm512_loadu_si512(ms + 8), k);
    return _mm512_inserti64x4(_mm512_castsi256_si512(i0), i1, 1);
}

/* The window offsets of ms[0..16) (clamped to the spare) into o, reads
 * updated.  A lane with floor(z) = 0 is never near: 0 <= y (v >= 1) and
 * y < z - c + 185 u k < 1, so its index is 0 too; so 1 ms, where y = 0
 * exactly and frac(z) is about c, takes the vector path. */
DUR_T512Q static inline void dur_offsets16(const int64_t *ms, uint32_t *o, double k,
                                           dur_acc16 *acc)
{
    _mm_prefetch((const void *)(ms + DUR_PREFETCH), _MM_HINT_T0);
    _mm_prefetch((const void *)(ms + DUR_PREFETCH + 8), _MM_HINT_T0);
    __m512i a = _mm512_loadu_si512(ms), b = _mm512_loadu_si512(ms + 8);
    acc->sum = _mm512_add_epi64(acc->sum, _mm512_add_epi64(a, b));
    acc->umn = _mm512_min_epu64(acc->umn, _mm512_min_epu64(a, b));
    acc->umx = _mm512_max_epu64(acc->umx, _mm512_max_epu64(a, b));
    __m512 f = _mm512_insertf32x8(_mm512_castps256_ps512(_mm512_cvt_roundepu64_ps(a, DUR_RN)),
                                  _mm512_cvt_roundepu64_ps(b, DUR_RN), 1);
    __m512 e = _mm512_getexp_round_ps(f, _MM_FROUND_NO_EXC);
    __m512 m = _mm512_getmant_round_ps(f, _MM_MANT_NORM_1_2, _MM_MANT_SIGN_src, _MM_FROUND_NO_EXC);
    __m512 t = _mm512_fmadd_round_ps(acc->a3, m, acc->a2, DUR_RN);
    t = _mm512_fmadd_round_ps(t, m, acc->a1, DUR_RN);
    __m512 z = _mm512_fmadd_round_ps(t, m, _mm512_fmadd_round_ps(e, acc->k, acc->h0, DUR_RN),
                                     DUR_RN);
    __m512i idx = _mm512_cvt_roundps_epi32(z, DUR_RD);
    __m512 frac = _mm512_reduce_round_ps(z, DUR_RD, _MM_FROUND_NO_EXC);
    /* lanes of index 0 (see above) and of a zero (z = -inf: the index
     * 0x80000000, and a frac of 0 that would pass for near) are not near */
    __mmask16 near = _mm512_mask_cmp_ps_mask(_mm512_test_epi32_mask(idx, acc->ilow), frac,
                                             acc->near, _CMP_LT_OQ);
    if (KPI__UNLIKELY(near != 0))
        idx = _mm512_mask_blend_epi32(near, idx, dur_exact16(ms, k));
    acc->imn = _mm512_min_epu32(acc->imn, idx);
    acc->imx = _mm512_max_epi32(acc->imx, idx);
    void *op = o;
    _mm512_storeu_si512(op, _mm512_min_epu32(_mm512_sub_epi32(idx, acc->vblo), acc->vcap));
}

DUR_T512Q static void dur_chunk_avx512q(double k, int32_t blo, uint32_t bcap, uint64_t *bins,
                                        uint64_t delta, const int64_t *ms, size_t n,
                                        dur_chunk *r)
{
    if (n < 16) {
        dur_chunk_generic(k, blo, bcap, bins, delta, ms, n, r);
        return;
    }
    const size_t n8 = n & ~(size_t)15, rem = n - n8;
    dur_chunk_generic(k, blo, bcap, bins, delta, ms, 0, r); /* *r as for no value */
    const double c = k * 0x1p-16;
    dur_acc16 acc = {
        _mm512_set1_ps((float)(k * DUR_A)),
        _mm512_set1_ps((float)(k * (DUR_B - 3 * DUR_A))),
        _mm512_set1_ps((float)(k * (3 * DUR_A - 2 * DUR_B + DUR_C))),
        _mm512_set1_ps((float)k),
        _mm512_set1_ps((float)(k * (-DUR_A + DUR_B - DUR_C) + c)),
        _mm512_set1_ps((float)(2 * c)),
        _mm512_setzero_si512(), _mm512_set1_epi64(-1), _mm512_setzero_si512(),
        _mm512_set1_epi32((int)r->imin), _mm512_set1_epi32(r->imax),
        _mm512_set1_epi32(blo), _mm512_set1_epi32((int)bcap), _mm512_set1_epi32(INT32_MAX)};
#define DUR_OFFSETS_AVX512Q(p, o) dur_offsets16((p), (o), k, &acc)
    DUR_BLOCKS(ms, n8, bins, delta, 16, DUR_OFFSETS_AVX512Q);
    if (rem != 0) {
        /* the last 16 values, of which the first 16 - rem were counted
         * above: only the others are counted and summed (a value seen
         * twice changes no minimum or maximum) */
        uint32_t o[16];
        __m512i sum = acc.sum;
        DUR_OFFSETS_AVX512Q(ms + n - 16, o);
        acc.sum = sum;
        for (size_t i = 16 - rem; i < 16; i++) {
            bins[o[i]] += delta;
            r->sum += (uint64_t)ms[n - 16 + i];
        }
    }
#undef DUR_OFFSETS_AVX512Q
    /* the lanes added as unsigned (wrapping; the caller checks the sum):
     * _mm512_reduce_add_epi64 adds signed, which UBSan reports when a
     * batch's sum passes INT64_MAX */
    uint64_t lanes[8];
    _mm512_storeu_si512((void *)lanes, acc.sum);
    for (int i = 0; i < 8; i++)
        r->sum += lanes[i];
    uint64_t umn = (uint64_t)_mm512_reduce_min_epu64(acc.umn);
    uint64_t umx = (uint64_t)_mm512_reduce_max_epu64(acc.umx);
    r->any |= umx; /* the largest, as unsigned: >= 2^52 when any is */
    r->xmin = (double)umn < r->xmin ? (double)umn : r->xmin;
    r->xmax = (double)umx > r->xmax ? (double)umx : r->xmax;
    r->imin = (uint32_t)_mm512_reduce_min_epu32(acc.imn);
    r->imax = _mm512_reduce_max_epi32(acc.imx);
}
#endif

/* The kernels a batch uses: the widest of those `allow` permits (the
 * tests force each) that the CPU has: DUR_AVX512Q, the float32 estimate
 * (AVX-512 F and DQ), for sketches with k <= DUR_EST_KMAX, the double
 * AVX-512 kernel for the others.  Every level gives the same state, bit for
 * bit. */
enum { DUR_PORTABLE = 0, DUR_AVX2 = 1, DUR_AVX512 = 2, DUR_AVX512Q = 3 };

static int dur_simd_level(int allow)
{
#if defined(DUR_HAVE_AVX2)
    if (allow >= DUR_AVX512Q && __builtin_cpu_supports("avx512f") &&
        __builtin_cpu_supports("avx512dq"))
        return DUR_AVX512Q;
    if (allow >= DUR_AVX512 && __builtin_cpu_supports("avx512f"))
        return DUR_AVX512;
    if (allow >= DUR_AVX2 && __builtin_cpu_supports("avx2"))
        return DUR_AVX2;
#endif
    (void)allow;
    return DUR_PORTABLE;
}

static void dur_chunk_run(int simd, const kpi_duration *d, uint64_t delta,
                          const int64_t *ms, size_t n, dur_chunk *r)
{
#if defined(DUR_HAVE_AVX2)
    if (simd >= DUR_AVX512Q && d->k <= DUR_EST_KMAX) {
        dur_chunk_avx512q(d->k, d->blo, d->bcap, d->bins, delta, ms, n, r);
        return;
    }
    if (simd >= DUR_AVX512) {
        dur_chunk_avx512(d->k, d->blo, d->bcap, d->bins, delta, ms, n, r);
        return;
    }
    if (simd >= DUR_AVX2) {
        dur_chunk_avx2(d->k, d->blo, d->bcap, d->bins, delta, ms, n, r);
        return;
    }
#endif
    (void)simd;
    dur_chunk_generic(d->k, d->blo, d->bcap, d->bins, delta, ms, n, r);
}

/* Values <= target among n (exact: the registered targets' counters). */
DUR_INLINE uint64_t dur_count_le_body(const int64_t *ms, size_t n, int64_t target)
{
    uint64_t c = 0;
    for (size_t i = 0; i < n; i++)
        c += ms[i] <= target;
    return c;
}

DUR_VECTORIZE static uint64_t dur_count_le_generic(const int64_t *ms, size_t n, int64_t target)
{
    return dur_count_le_body(ms, n, target);
}

#if defined(DUR_HAVE_AVX2)
DUR_VECTORIZE __attribute__((target("avx2"))) static uint64_t
dur_count_le_avx2(const int64_t *ms, size_t n, int64_t target)
{
    return dur_count_le_body(ms, n, target);
}
#endif

static uint64_t dur_count_le(int simd, const int64_t *ms, size_t n, int64_t target)
{
#if defined(DUR_HAVE_AVX2)
    if (simd)
        return dur_count_le_avx2(ms, n, target);
#endif
    (void)simd;
    return dur_count_le_generic(ms, n, target);
}

/* Take back the counts of the first n values of a batch from d's array. */
static void dur_take_back(int simd, const kpi_duration *d, const int64_t *ms, size_t n)
{
    for (size_t i = 0; i < n; i += DUR_CHUNK) {
        dur_chunk r;
        dur_chunk_run(simd, d, UINT64_MAX, ms + i, n - i < DUR_CHUNK ? n - i : DUR_CHUNK, &r);
    }
}

/*
 * Mid-batch growth: a window holding [lo, hi] (every index the sketch and
 * the batch so far use), the counts moved over.  `keep`, the array the
 * batch began with, stays allocated (a failed batch goes back to it);
 * one grown before is freed.  1 if [lo, hi] needs more buckets than the
 * cap (the general path collapses), else KPI_OK or KPI_ERR_NOMEM with
 * nothing changed.
 */
static int dur_grow(kpi_duration *d, int32_t lo, int32_t hi, const uint64_t *keep)
{
    if ((int64_t)hi - lo + 1 > DUR_CAP)
        return 1;
    int32_t wlo;
    uint32_t wcap = dur_window(d, lo, hi, 0, &wlo);
    uint64_t *nb = dur_bins_new(d, wcap);
    if (nb == NULL)
        return KPI_ERR_NOMEM;
    if (d->bins != NULL) {
        /* outside [lo, hi] the old window holds only zeros */
        int32_t a = d->blo > wlo ? d->blo : wlo;
        int32_t b = d->blo + (int32_t)d->bcap < wlo + (int32_t)wcap ? d->blo + (int32_t)d->bcap
                                                                  : wlo + (int32_t)wcap;
        for (int32_t i = a; i < b; i++)
            nb[i - wlo] = d->bins[i - d->blo];
        if (d->bins != keep)
            kpi__free(&d->base.alloc, d->bins);
    }
    d->bins = nb;
    d->blo = wlo;
    d->bcap = wcap;
    return KPI_OK;
}

/*
 * The batch path of a sketch that has not collapsed: one pass, chunk by
 * chunk, counting straight into the buckets (growing the window when a
 * chunk needs it) while validating and taking the exact reads.  On any
 * failure the counts of the chunks done are taken back and the window is
 * the one the batch began with.  Returns a status, or 1 when the caller
 * must take the general path (a negative or huge value, a sum overflow,
 * or a range wider than the cap): nothing changed then either.
 */
static int dur_add_chunked(kpi_duration *d, const int64_t *ms, size_t n, int simd)
{
    uint64_t *const keep = d->bins;
    const int32_t keep_blo = d->blo;
    const uint32_t keep_bcap = d->bcap;
    size_t kept = 0; /* values counted into `keep` when the window first grew */
    bool grown = false;
    bool has = d->count > d->zeros;
    int32_t ulo = has ? d->ulo : INT32_MAX, uhi = has ? d->uhi : INT32_MIN;
    const uint64_t room = (uint64_t)(INT64_MAX - d->sum);
    uint64_t sum = 0, zeros = 0, within[KPI_DURATION_MAX_TARGETS] = {0};
    double xmin = (double)INT64_MAX, xmax = 0;
    size_t done = 0;
    int rc = KPI_OK;
    while (done < n) {
        size_t m = n - done < DUR_CHUNK ? n - done : DUR_CHUNK;
        const int64_t *p = ms + done;
        dur_chunk r;
        uint64_t z = 0;
        bool counted = false;
        if (d->bins != NULL) {
            uint64_t spare = d->bins[d->bcap];
            dur_chunk_run(simd, d, 1, p, m, &r);
            if (!(r.any >> 52) &&
                (r.imax < 0 ||
                 ((int32_t)r.imin >= d->blo && r.imax - d->blo < (int32_t)d->bcap))) {
                counted = true;
                z = d->bins[d->bcap] - spare; /* only zeros reached it */
            } else {
                dur_chunk back;
                dur_chunk_run(simd, d, UINT64_MAX, p, m, &back);
            }
        } else {
            /* no array yet: the chunk's range, counting all into one spare */
            uint64_t spare = 0;
            kpi_duration probe = *d;
            probe.bins = &spare;
            probe.blo = 0;
            probe.bcap = 0;
            dur_chunk_run(simd, &probe, 1, p, m, &r);
        }
        if (!counted) {
            if (r.any >> 52) {
                rc = 1;
                break;
            }
            if (r.imax < 0) {
                z = m; /* only zeros: no bucket to count */
            } else {
                int32_t lo = (int32_t)r.imin < ulo ? (int32_t)r.imin : ulo;
                int32_t hi = r.imax > uhi ? r.imax : uhi;
                rc = dur_grow(d, lo, hi, keep);
                if (rc != KPI_OK)
                    break;
                if (!grown) {
                    grown = true;
                    kept = done;
                }
                uint64_t spare = d->bins[d->bcap];
                dur_chunk_run(simd, d, 1, p, m, &r);
                z = d->bins[d->bcap] - spare;
            }
        }
        done += m;
        if (r.sum > room - sum) {
            rc = 1; /* the sum overflows: the general path says so */
            break;
        }
        sum += r.sum;
        zeros += z;
        if (r.imax >= 0) {
            ulo = (int32_t)r.imin < ulo ? (int32_t)r.imin : ulo;
            uhi = r.imax > uhi ? r.imax : uhi;
        }
        xmin = r.xmin < xmin ? r.xmin : xmin;
        xmax = r.xmax > xmax ? r.xmax : xmax;
        for (uint32_t t = 0; t < d->ntargets; t++)
            within[t] += dur_count_le(simd, p, m, d->targets[t]);
    }
    if (rc != KPI_OK) {
        if (grown) {
            kpi__free(&d->base.alloc, d->bins);
            d->bins = keep;
            d->blo = keep_blo;
            d->bcap = keep_bcap;
            done = kept;
        }
        if (d->bins != NULL)
            dur_take_back(simd, d, ms, done);
        return rc;
    }
    if (grown)
        kpi__free(&d->base.alloc, keep);
    if (ulo <= uhi) {
        d->ulo = ulo;
        d->uhi = uhi;
    }
    for (uint32_t t = 0; t < d->ntargets; t++)
        d->within[t] += within[t];
    int64_t mn = (int64_t)xmin, mx = (int64_t)xmax;
    if (d->count == 0) {
        d->min = mn;
        d->max = mx;
    } else {
        d->min = mn < d->min ? mn : d->min;
        d->max = mx > d->max ? mx : d->max;
    }
    d->zeros += zeros;
    d->count += n;
    d->sum += (int64_t)sum;
    return KPI_OK;
}

/* The validation pass of a batch (and its exact reads): sign bits, min,
 * max, the smallest positive value, zeros, and the exact sum in two 32-bit
 * halves that cannot wrap for n <= 2^31 (so no separate summing pass).
 * Vectorized, and dispatched like the batch kernel. */
typedef struct dur_scan {
    uint64_t any, minu, zeros, slo, shi;
    int64_t mn, mx;
} dur_scan;

DUR_INLINE void dur_scan_body(const int64_t *ms, size_t n, dur_scan *r)
{
    uint64_t any = 0, minu = UINT64_MAX, zeros = 0, slo = 0, shi = 0;
    int64_t mn = INT64_MAX, mx = 0;
    for (size_t i = 0; i < n; i++) {
        int64_t v = ms[i];
        uint64_t u = (uint64_t)v - 1; /* 0 -> UINT64_MAX: skips zeros */
        any |= (uint64_t)v;
        mn = v < mn ? v : mn;
        mx = v > mx ? v : mx;
        minu = u < minu ? u : minu;
        zeros += v == 0;
        slo += (uint64_t)v & UINT64_C(0xffffffff);
        shi += (uint64_t)v >> 32;
    }
    r->any = any;
    r->minu = minu;
    r->zeros = zeros;
    r->slo = slo;
    r->shi = shi;
    r->mn = mn;
    r->mx = mx;
}

DUR_VECTORIZE static void dur_scan_generic(const int64_t *ms, size_t n, dur_scan *r)
{
    dur_scan_body(ms, n, r);
}

#if defined(DUR_HAVE_AVX2)
DUR_VECTORIZE __attribute__((target("avx2"))) static void
dur_scan_avx2(const int64_t *ms, size_t n, dur_scan *r)
{
    dur_scan_body(ms, n, r);
}
#endif

static void dur_scan_run(int simd, const int64_t *ms, size_t n, dur_scan *r)
{
#if defined(DUR_HAVE_AVX2)
    if (simd) {
        dur_scan_avx2(ms, n, r);
        return;
    }
#endif
    (void)simd;
    dur_scan_generic(ms, n, r);
}

/* Validate a batch: KPI_ERR_RANGE for a negative value, KPI_ERR_OVERFLOW
 * when the sum or the count would overflow, else KPI_OK with the scan,
 * the new sum and the new count. */
static int dur_validate(const kpi_duration *d, const int64_t *ms, size_t n, int simd,
                        dur_scan *sc, int64_t *sum, uint64_t *count)
{
    dur_scan_run(simd, ms, n, sc);
    if (sc->any >> 63)
        return KPI_ERR_RANGE;
    *sum = d->sum;
    bool sum_ok;
    if (n <= (UINT64_C(1) << 31)) {
        /* shi < 2^31 keeps shi * 2^32 below 2^63; slo < 2^63 */
        uint64_t t = sc->shi < (UINT64_C(1) << 31) ? (sc->shi << 32) + sc->slo : UINT64_MAX;
        sum_ok = t <= (uint64_t)INT64_MAX && kpi__add_i64(*sum, (int64_t)t, sum);
    } else {
        sum_ok = dur_sum(ms, n, sc->mx, sum);
    }
    if (!sum_ok || !kpi__add_u64(d->count, n, count))
        return KPI_ERR_OVERFLOW;
    return KPI_OK;
}

/*
 * The general path: a collapsed sketch, values of 2^52 ms or more, a
 * batch whose range needs collapsing, or an error.  Two passes: validate
 * everything, reserve the window (collapsing if need be), then count
 * each value with the scalar mapping, clamped to the floor.
 */
static int dur_add_general(kpi_duration *d, const int64_t *ms, size_t n, int simd)
{
    dur_scan sc;
    int64_t sum;
    uint64_t count;
    int rc = dur_validate(d, ms, n, simd, &sc, &sum, &count);
    if (rc != KPI_OK)
        return rc;
    if (sc.mx > 0) {
        const double k = d->k;
        int64_t minpos = (int64_t)(sc.minu + 1);
        rc = dur_reserve(d, dur_index(k, minpos), dur_index(k, sc.mx));
        if (rc != KPI_OK)
            return rc;
        /* every index lies in [ilo, ihi] (the mapping is monotone; the
         * clamp only guards against rounding at an edge, and applies the
         * collapsed floor) */
        int32_t ilo = dur_clamp(d, dur_index(k, minpos));
        int32_t ihi = dur_clamp(d, dur_index(k, sc.mx));
        uint64_t *bins = d->bins - d->blo;
        for (size_t i = 0; i < n; i++) {
            int64_t v = ms[i];
            int32_t b = dur_index(k, v > 0 ? v : 1);
            b = b < ilo ? ilo : b;
            b = b > ihi ? ihi : b;
            bins[b] += v != 0;
        }
        if (d->count == d->zeros) {
            d->ulo = ilo;
            d->uhi = ihi;
        } else {
            d->ulo = ilo < d->ulo ? ilo : d->ulo;
            d->uhi = ihi > d->uhi ? ihi : d->uhi;
        }
    }
    for (uint32_t t = 0; t < d->ntargets; t++)
        d->within[t] += dur_count_le(simd, ms, n, d->targets[t]);
    if (d->count == 0) {
        d->min = sc.mn;
        d->max = sc.mx;
    } else {
        d->min = sc.mn < d->min ? sc.mn : d->min;
        d->max = sc.mx > d->max ? sc.mx : d->max;
    }
    d->zeros += sc.zeros;
    d->count = count;
    d->sum = sum;
    return KPI_OK;
}

/*
 * A batch of fewer than 8 values (the AVX2 kernel's step) into a sketch
 * whose window already holds every positive one: each value's bucket by
 * the scalar mapping, all checked before anything changes.  1 when it
 * does not apply (the chunked path then decides), else KPI_OK.
 */
static int dur_add_few(kpi_duration *d, const int64_t *ms, size_t n)
{
    int32_t idx[8];
    int64_t sum = d->sum, mn = INT64_MAX, mx = 0;
    int32_t lo = INT32_MAX, hi = INT32_MIN;
    uint64_t zeros = 0;
    if (d->bins == NULL || n > 8)
        return 1;
    for (size_t i = 0; i < n; i++) {
        int64_t v = ms[i];
        if (v < 0 || v >= (INT64_C(1) << 52) || !kpi__add_i64(sum, v, &sum))
            return 1;
        idx[i] = v > 0 ? dur_index(d->k, v) : -1;
        if (v > 0 && (idx[i] < d->blo || idx[i] - d->blo >= (int32_t)d->bcap))
            return 1;
        mn = v < mn ? v : mn;
        mx = v > mx ? v : mx;
        zeros += v == 0;
        lo = v > 0 && idx[i] < lo ? idx[i] : lo;
        hi = idx[i] > hi ? idx[i] : hi;
    }
    for (size_t i = 0; i < n; i++)
        if (idx[i] >= 0)
            d->bins[idx[i] - d->blo]++;
    if (lo <= hi) {
        bool has = d->count > d->zeros;
        d->ulo = has && d->ulo < lo ? d->ulo : lo;
        d->uhi = has && d->uhi > hi ? d->uhi : hi;
    }
    dur_add_targets(d, ms, n);
    d->min = d->count == 0 || mn < d->min ? mn : d->min;
    d->max = d->count == 0 || mx > d->max ? mx : d->max;
    d->zeros += zeros;
    d->count += n;
    d->sum = sum;
    return KPI_OK;
}

/* Out of line: single adds fall back on it, and must stay small. */
DUR_NOINLINE int kpi__duration_add_array_simd(kpi_duration *d, const int64_t *ms, size_t n,
                                              int allow)
{
    if (!kpi__is(d, &duration_type) || (ms == NULL && n > 0))
        return KPI_ERR_INVALID;
    if (n == 0)
        return KPI_OK;
    const int simd = dur_simd_level(allow);
    uint64_t count;
    if (!d->collapsed && kpi__add_u64(d->count, n, &count)) {
        int rc = n < 8 ? dur_add_few(d, ms, n) : 1;
        if (rc == KPI_OK)
            return rc;
        rc = dur_add_chunked(d, ms, n, simd);
        if (rc == KPI_ERR_NOMEM) {
            /* a bad batch says so first, as the general path would */
            dur_scan sc;
            int64_t sum;
            int bad = dur_validate(d, ms, n, simd, &sc, &sum, &count);
            return bad != KPI_OK ? bad : rc;
        }
        if (rc != 1)
            return rc;
    }
    return dur_add_general(d, ms, n, simd);
}

int kpi_duration_add_array(kpi_duration *d, const int64_t *ms, size_t n)
{
    return kpi__duration_add_array_simd(d, ms, n, DUR_AVX512Q);
}

/* One value: the scalar path of the common case (a non-empty sketch whose
 * window holds the value), with exactly the effect of a batch of one.  `i`
 * is kpi__duration_index(d, ms): the value's bucket, or -1. */
DUR_INLINE int dur_add_one(kpi_duration *d, int64_t ms, int32_t i)
{
    if (kpi__duration_add_fast(d, ms, i))
        return KPI_OK;
    if (ms == 0 && d->count > 0 && d->count < UINT64_MAX) {
        d->zeros++;
        d->count++;
        d->min = 0;
        dur_add_targets(d, &ms, 1);
        return KPI_OK;
    }
    return kpi_duration_add_array(d, &ms, 1);
}

int kpi_duration_add(kpi_duration *d, int64_t ms)
{
    if (!kpi__is(d, &duration_type))
        return KPI_ERR_INVALID;
    return dur_add_one(d, ms, kpi__duration_index(d, ms));
}

static bool dur_same_config(const kpi_duration *a, const kpi_duration *b)
{
    return a->accuracy == b->accuracy && a->ntargets == b->ntargets &&
           memcmp(a->targets, b->targets, a->ntargets * sizeof a->targets[0]) == 0;
}

static int dur_merge(void *dst, const void *src)
{
    kpi_duration *d = dst;
    const kpi_duration *s = src;
    if (!dur_same_config(d, s))
        return KPI_ERR_INCOMPATIBLE;
    if (s->count == 0)
        return KPI_OK;
    uint64_t count;
    int64_t sum;
    if (!kpi__add_u64(d->count, s->count, &count) || !kpi__add_i64(d->sum, s->sum, &sum))
        return KPI_ERR_OVERFLOW;
    bool spos = s->count > s->zeros;
    if (spos) {
        int rc = dur_reserve_floor(d, s->ulo, s->uhi, s->collapsed, s->floor_idx);
        if (rc != KPI_OK)
            return rc;
        int32_t lo = INT32_MAX, hi = INT32_MIN;
        if (!d->collapsed) {
            /* the window covers [s->ulo, s->uhi]: a plain bucket-wise sum */
            uint64_t *db = d->bins - d->blo + s->ulo;
            const uint64_t *sb = s->bins - s->blo + s->ulo;
            size_t len = (size_t)(s->uhi - s->ulo + 1);
            for (size_t j = 0; j < len; j++)
                db[j] += sb[j];
            lo = s->ulo;
            hi = s->uhi;
        }
        for (int32_t i = s->ulo; d->collapsed && i <= s->uhi; i++) {
            uint64_t c = s->bins[i - s->blo];
            if (c == 0)
                continue;
            int32_t b = dur_clamp(d, i);
            d->bins[b - d->blo] += c;
            lo = b < lo ? b : lo;
            hi = b > hi ? b : hi;
        }
        if (d->count == d->zeros) {
            d->ulo = lo;
            d->uhi = hi;
        } else {
            d->ulo = lo < d->ulo ? lo : d->ulo;
            d->uhi = hi > d->uhi ? hi : d->uhi;
        }
    }
    for (uint32_t t = 0; t < d->ntargets; t++)
        d->within[t] += s->within[t];
    if (d->count == 0) {
        d->min = s->min;
        d->max = s->max;
    } else {
        d->min = s->min < d->min ? s->min : d->min;
        d->max = s->max > d->max ? s->max : d->max;
    }
    d->zeros += s->zeros;
    d->count = count;
    d->sum = sum;
    return KPI_OK;
}

int kpi_duration_merge(kpi_duration *dst, const kpi_duration *src)
{
    return kpi__merge(&duration_type, dst, src);
}

/* ---- codec -------------------------------------------------------------- */

/*
 * Body: f64 accuracy, varint ntargets, svarint targets...; varint count,
 * varint zeros, svarint sum, min, max, varint within[t]...; u8 collapsed,
 * [svarint floor]; when count > zeros: svarint ulo, varint span
 * (uhi - ulo + 1), then varint counts of buckets ulo..uhi, where a
 * maximal run of r empty buckets is written as 0, r - 1 (the first and
 * last buckets are never empty).
 */
static void dur_encode(const void *obj, kpi__writer *w)
{
    const kpi_duration *d = obj;
    kpi__put_f64(w, d->accuracy);
    kpi__put_varint(w, d->ntargets);
    for (uint32_t t = 0; t < d->ntargets; t++)
        kpi__put_svarint(w, d->targets[t]);
    kpi__put_varint(w, d->count);
    kpi__put_varint(w, d->zeros);
    kpi__put_svarint(w, d->sum);
    kpi__put_svarint(w, d->min);
    kpi__put_svarint(w, d->max);
    for (uint32_t t = 0; t < d->ntargets; t++)
        kpi__put_varint(w, d->within[t]);
    kpi__put_u8(w, d->collapsed ? 1 : 0);
    if (d->collapsed)
        kpi__put_svarint(w, d->floor_idx);
    if (d->count > d->zeros) {
        /* the span, then the counts, a run of empty buckets written as
         * 0 and the run's length minus one */
        const uint64_t *bins = d->bins - d->blo;
        kpi__put_svarint(w, d->ulo);
        kpi__put_varint(w, (uint64_t)(d->uhi - d->ulo + 1));
        for (int32_t i = d->ulo; i <= d->uhi; i++) {
            kpi__put_varint(w, bins[i]);
            if (bins[i] == 0) {
                int32_t j = i;
                while (bins[j + 1] == 0) /* bins[uhi] != 0 ends the run */
                    j++;
                kpi__put_varint(w, (uint64_t)(j - i));
                i = j;
            }
        }
    }
}

static int dur_decode(kpi__reader *r, const kpi_allocator *a, void **out)
{
    double acc = kpi__get_f64(r);
    if (r->err)
        return r->err;
    if (dur_check_accuracy(acc) != KPI_OK)
        return KPI_ERR_CORRUPT;
    kpi_duration *d;
    void *o;
    int rc = kpi__object_new(&duration_type, sizeof(kpi_duration), a, &o);
    if (rc != KPI_OK)
        return rc;
    d = o;
    dur_configure(d, acc);
    rc = KPI_ERR_CORRUPT;
    d->ntargets = (uint32_t)kpi__get_count(r, KPI_DURATION_MAX_TARGETS, 1);
    for (uint32_t t = 0; t < d->ntargets; t++) {
        d->targets[t] = kpi__get_svarint(r);
        if (d->targets[t] < 0 || (t > 0 && d->targets[t] <= d->targets[t - 1]))
            goto fail;
    }
    d->count = kpi__get_varint(r);
    d->zeros = kpi__get_varint(r);
    d->sum = kpi__get_svarint(r);
    d->min = kpi__get_svarint(r);
    d->max = kpi__get_svarint(r);
    for (uint32_t t = 0; t < d->ntargets; t++)
        d->within[t] = kpi__get_varint(r);
    uint8_t collapsed = kpi__get_u8(r);
    if (r->err || collapsed > 1)
        goto fail;
    d->collapsed = collapsed == 1;
    if (d->collapsed) {
        int64_t f = kpi__get_svarint(r);
        if (f < 0 || f > d->max_index)
            goto fail;
        d->floor_idx = (int32_t)f;
    }
    if (r->err || d->zeros > d->count || d->sum < 0)
        goto fail;
    if (d->count == 0) {
        if (d->sum || d->min || d->max || d->collapsed)
            goto fail;
    } else if (d->min < 0 || d->min > d->max || (d->zeros > 0) != (d->min == 0) ||
               (d->zeros == d->count && (d->max != 0 || d->sum != 0))) {
        goto fail;
    } else if (d->zeros < d->count) {
        /* npos positive durations in [lo, max], one of them max (and,
         * without zeros, one min): max + (npos - 1) lo <= sum <= base +
         * m max, base = min and m = npos - 1 without zeros, 0 and npos
         * with */
        uint64_t npos = d->count - d->zeros;
        uint64_t lo = d->zeros ? 1 : (uint64_t)d->min, hi = (uint64_t)d->max;
        uint64_t base = d->zeros ? 0 : (uint64_t)d->min, m = d->zeros ? npos : npos - 1;
        uint64_t sum = (uint64_t)d->sum;
        if (d->max < 1 || sum < hi || (sum - hi) / lo < npos - 1 ||
            (sum - base) / hi + ((sum - base) % hi != 0) > m)
            goto fail;
    }
    /* a target's count: every zero, none under the minimum, all from the
     * maximum on */
    for (uint32_t t = 0; t < d->ntargets; t++)
        if (d->within[t] > d->count || (t > 0 && d->within[t] < d->within[t - 1]) ||
            d->within[t] < d->zeros || (d->targets[t] < d->min && d->within[t] != 0) ||
            (d->targets[t] >= d->max && d->within[t] != d->count))
            goto fail;
    if (d->count > d->zeros) {
        int64_t ulo = kpi__get_svarint(r);
        uint64_t span = kpi__get_varint(r);
        if (r->err || span == 0 || span > DUR_CAP || ulo < d->floor_idx ||
            ulo > d->max_index || (int64_t)span - 1 > d->max_index - ulo)
            goto fail;
        size_t nb = (size_t)span;
        d->ulo = (int32_t)ulo;
        d->uhi = (int32_t)(ulo + (int64_t)nb - 1);
        d->bins = dur_bins_new(d, (uint32_t)nb);
        if (d->bins == NULL) {
            rc = KPI_ERR_NOMEM;
            goto fail;
        }
        d->blo = d->ulo;
        d->bcap = (uint32_t)nb;
        uint64_t total = 0;
        size_t pos = 0;
        bool after_run = false;
        while (pos < nb && !r->err) {
            uint64_t c = kpi__get_varint(r);
            if (c == 0) {
                /* a maximal run of empty buckets, never first or last */
                uint64_t extra = kpi__get_varint(r);
                if (pos == 0 || after_run || extra >= nb - pos - 1)
                    goto fail;
                pos += (size_t)extra + 1;
                after_run = true;
                continue;
            }
            if (!kpi__add_u64(total, c, &total))
                goto fail;
            d->bins[pos++] = c;
            after_run = false;
        }
        if (r->err || total != d->count - d->zeros)
            goto fail;
        /* the used buckets end at the maximum's (the mapping is monotone)
         * and, without zeros, start at the minimum's (or the floor it was
         * folded into) */
        int32_t imin = d->zeros ? d->ulo : dur_index(d->k, d->min);
        if (d->uhi != dur_index(d->k, d->max) ||
            d->ulo != (imin > d->floor_idx ? imin : d->floor_idx))
            goto fail;
        /* a sketch collapses when its buckets would pass the cap, the
         * floor then the cap under the maximum's bucket, and holds a count
         * folded into it; the floor follows the maximum up */
        if (d->collapsed &&
            (d->uhi - d->floor_idx != DUR_CAP - 1 || d->ulo != d->floor_idx)) {
            goto fail;
        }
        /* a target's exact count: the zeros and the buckets under the
         * target's at least, with its bucket (or the floor holding it) at
         * most */
        for (uint32_t t = 0; t < d->ntargets; t++) {
            int32_t ti = d->targets[t] > 0 ? dur_index(d->k, d->targets[t]) : -1;
            uint64_t below = d->zeros, upto;
            int32_t i = d->ulo;
            for (; i <= d->uhi && i < ti; i++)
                below += d->bins[i - d->blo];
            upto = below;
            for (; i <= d->uhi && (i <= ti || (ti >= 0 && i <= d->floor_idx)); i++)
                upto += d->bins[i - d->blo];
            if (d->within[t] < below || d->within[t] > upto)
                goto fail;
        }
    } else if (d->collapsed) {
        goto fail;
    }
    if (r->err) {
        rc = r->err;
        goto fail;
    }
    *out = d;
    return KPI_OK;
fail:
    if (r->err && rc == KPI_ERR_CORRUPT)
        rc = r->err;
    dur_destroy(d);
    return rc;
}

static size_t dur_footprint(const void *obj)
{
    const kpi_duration *d = obj;
    return sizeof *d + ((size_t)d->bcap + (d->bins != NULL)) * sizeof *d->bins;
}

const kpi__type kpi__duration_type = {
    KPI__TAG_DURATION, "duration", dur_clone,  dur_destroy,  dur_reset,
    dur_merge,         dur_encode, dur_decode, dur_footprint};

int kpi_duration_serialize(const kpi_duration *d, void *buf, size_t cap, size_t *len)
{
    if (!kpi__is(d, &duration_type))
        return KPI_ERR_INVALID;
    return kpi__serialize(d, buf, cap, len);
}

int kpi_duration_deserialize(kpi_duration **out, const void *buf, size_t len)
{
    return kpi__deserialize(&duration_type, buf, len, NULL, (void **)out);
}

int kpi_duration_deserialize_with(kpi_duration **out, const void *buf, size_t len,
                                  const kpi_allocator *alloc)
{
    return kpi__deserialize(&duration_type, buf, len, alloc, (void **)out);
}

size_t kpi_duration_footprint(const kpi_duration *d)
{
    return kpi__is(d, &duration_type) ? dur_footprint(d) : 0;
}

/* ---- reads -------------------------------------------------------------- */

uint64_t kpi_duration_count(const kpi_duration *d)
{
    return kpi__is(d, &duration_type) ? d->count : 0;
}

double kpi_duration_accuracy(const kpi_duration *d)
{
    return kpi__is(d, &duration_type) ? d->accuracy : 0;
}

static int dur_readable(const kpi_duration *d, const void *out)
{
    if (!kpi__is(d, &duration_type) || out == NULL)
        return KPI_ERR_INVALID;
    return d->count ? KPI_OK : KPI_ERR_EMPTY;
}

int kpi_duration_mean(const kpi_duration *d, double *out)
{
    int rc = dur_readable(d, out);
    if (rc == KPI_OK)
        *out = (double)d->sum / (double)d->count;
    return rc;
}

int kpi_duration_min(const kpi_duration *d, int64_t *out)
{
    int rc = dur_readable(d, out);
    if (rc == KPI_OK)
        *out = d->min;
    return rc;
}

int kpi_duration_max(const kpi_duration *d, int64_t *out)
{
    int rc = dur_readable(d, out);
    if (rc == KPI_OK)
        *out = d->max;
    return rc;
}

int kpi_duration_sum(const kpi_duration *d, int64_t *out)
{
    int rc = dur_readable(d, out);
    if (rc == KPI_OK)
        *out = d->sum;
    return rc;
}

int kpi_duration_quantile(const kpi_duration *d, double q, double *out)
{
    if (!kpi__is(d, &duration_type) || out == NULL || isnan(q))
        return KPI_ERR_INVALID;
    if (!(q >= 0.0 && q <= 1.0))
        return KPI_ERR_RANGE;
    if (d->count == 0)
        return KPI_ERR_EMPTY;
    /* count - 1 near 2^64 rounds up to 2^64 as a double: a rank of 2^64
     * would not convert (and is the last rank anyway) */
    double r = q * (double)(d->count - 1);
    uint64_t rank = r < 0x1p64 ? (uint64_t)r : UINT64_MAX;
    if (q == 0.0 || rank == 0) {
        *out = (double)d->min;
        return KPI_OK;
    }
    if (q == 1.0 || rank >= d->count - 1) {
        *out = (double)d->max;
        return KPI_OK;
    }
    if (rank < d->zeros) {
        *out = 0.0;
        return KPI_OK;
    }
    /* the bucket holding 0-based rank `left` among positive values: walk
     * from the nearer end, skipping blocks of 8 buckets at a time */
    uint64_t left = rank - d->zeros;
    uint64_t npos = d->count - d->zeros;
    const uint64_t *bins = d->bins - d->blo;
    int32_t i;
    if (left < npos / 2) {
        i = d->ulo;
        while (i + 8 <= d->uhi) {
            uint64_t blk = 0;
            for (int j = 0; j < 8; j++)
                blk += bins[i + j];
            if (blk > left)
                break;
            left -= blk;
            i += 8;
        }
        for (; i < d->uhi; i++) {
            if (bins[i] > left)
                break;
            left -= bins[i];
        }
    } else {
        uint64_t above = npos - 1 - left; /* values ranked above it */
        i = d->uhi;
        while (i - 8 >= d->ulo) {
            uint64_t blk = 0;
            for (int j = 0; j < 8; j++)
                blk += bins[i - j];
            if (blk > above)
                break;
            above -= blk;
            i -= 8;
        }
        for (; i > d->ulo; i--) {
            if (bins[i] > above)
                break;
            above -= bins[i];
        }
    }
    double x = dur_bucket_value(d, i);
    if (x < (double)d->min)
        x = (double)d->min;
    if (x > (double)d->max)
        x = (double)d->max;
    *out = x;
    return KPI_OK;
}

int kpi_duration_share_within(const kpi_duration *d, int64_t target_ms,
                              kpi_estimate *out)
{
    if (!kpi__is(d, &duration_type) || out == NULL)
        return KPI_ERR_INVALID;
    if (target_ms < 0)
        return KPI_ERR_RANGE;
    if (d->count == 0)
        return KPI_ERR_EMPTY;
    uint64_t within;
    uint32_t t = 0;
    while (t < d->ntargets && d->targets[t] != target_ms)
        t++;
    if (t < d->ntargets)
        within = d->within[t];
    else if (target_ms < d->min)
        within = 0;
    else if (target_ms >= d->max)
        within = d->count;
    else if (target_ms == 0)
        within = d->zeros;
    else {
        int32_t ti = dur_index(d->k, target_ms);
        /* collapsed: durations under the floor are in the floor bucket,
         * the bucket of a target under it too */
        if (ti < d->floor_idx)
            ti = d->floor_idx;
        within = d->zeros;
        for (int32_t i = d->ulo; i <= d->uhi && i <= ti; i++)
            within += d->bins[i - d->blo];
    }
    kpi__wilson(within, d->count, out);
    return KPI_OK;
}

/* ---- AHT ---------------------------------------------------------------- */

struct kpi_aht {
    kpi__object base;
    int64_t sums[3]; /* talk, hold, after-work */
    kpi_duration *handle;
};


static void aht_destroy(void *obj)
{
    kpi_aht *a = obj;
    kpi__destroy(a->handle);
    kpi__object_free(a);
}

static int aht_create(kpi_aht **out, const kpi_allocator *alloc)
{
    if (out == NULL)
        return KPI_ERR_INVALID;
    void *o;
    int rc = kpi__object_new(&kpi__aht_type, sizeof(kpi_aht), alloc, &o);
    if (rc != KPI_OK)
        return rc;
    kpi_aht *a = o;
    rc = dur_create(&a->handle, KPI_DURATION_DEFAULT_ACCURACY, &a->base.alloc);
    if (rc != KPI_OK) {
        kpi__object_free(a);
        return rc;
    }
    *out = a;
    return KPI_OK;
}

int kpi_aht_new(kpi_aht **out) { return aht_create(out, NULL); }

int kpi_aht_new_with(kpi_aht **out, const kpi_allocator *alloc)
{
    return aht_create(out, alloc);
}

void kpi_aht_free(kpi_aht *a)
{
    if (kpi__is(a, &kpi__aht_type) && !kpi__is_member(a))
        aht_destroy(a);
}

static void aht_reset(void *obj)
{
    kpi_aht *a = obj;
    memset(a->sums, 0, sizeof a->sums);
    dur_clear(a->handle);
}

void kpi_aht_reset(kpi_aht *a)
{
    if (kpi__is(a, &kpi__aht_type))
        aht_reset(a);
}

static int aht_clone(const void *src, void **out)
{
    const kpi_aht *s = src;
    void *o;
    int rc = kpi__object_new(&kpi__aht_type, sizeof(kpi_aht), &s->base.alloc, &o);
    if (rc != KPI_OK)
        return rc;
    kpi_aht *a = o;
    void *h;
    rc = dur_clone(s->handle, &h);
    if (rc != KPI_OK) {
        kpi__object_free(a);
        return rc;
    }
    a->handle = h;
    memcpy(a->sums, s->sums, sizeof a->sums);
    *out = a;
    return KPI_OK;
}

int kpi_aht_clone(const kpi_aht *a, kpi_aht **out)
{
    return kpi__clone(&kpi__aht_type, a, (void **)out);
}

/* Handle times of a batch into `tmp`, checking the component sums;
 * KPI_OK, KPI_ERR_RANGE or KPI_ERR_OVERFLOW. */
static int aht_check(const kpi_aht *a, const int64_t *talk, const int64_t *hold,
                     const int64_t *after, size_t n, int64_t sums[3], int64_t *tmp)
{
    const int64_t *c[3] = {talk, hold, after};
    memcpy(sums, a->sums, 3 * sizeof sums[0]);
    bool overflow = false;
    for (size_t i = 0; i < n; i++) {
        int64_t h = 0;
        for (int j = 0; j < 3; j++) {
            int64_t v = c[j][i];
            if (v < 0)
                return KPI_ERR_RANGE;
            overflow |= !kpi__add_i64(sums[j], v, &sums[j]);
            overflow |= !kpi__add_i64(h, v, &h);
        }
        tmp[i] = h;
    }
    return overflow ? KPI_ERR_OVERFLOW : KPI_OK;
}

int kpi_aht_add_array(kpi_aht *a, const int64_t *talk_ms, const int64_t *hold_ms,
                      const int64_t *after_work_ms, size_t n)
{
    if (!kpi__is(a, &kpi__aht_type) ||
        (n > 0 && (talk_ms == NULL || hold_ms == NULL || after_work_ms == NULL)))
        return KPI_ERR_INVALID;
    if (n == 0)
        return KPI_OK;
    int64_t sums[3];
    int64_t stack[64];
    int64_t *tmp = stack;
    if (n > 64) {
        if (n > SIZE_MAX / sizeof *tmp)
            return KPI_ERR_NOMEM;
        tmp = kpi__malloc(&a->base.alloc, n * sizeof *tmp);
        if (tmp == NULL)
            return KPI_ERR_NOMEM;
    }
    int rc = aht_check(a, talk_ms, hold_ms, after_work_ms, n, sums, tmp);
    if (rc == KPI_OK)
        rc = kpi_duration_add_array(a->handle, tmp, n); /* all or nothing */
    if (rc == KPI_OK)
        memcpy(a->sums, sums, sizeof sums);
    if (tmp != stack)
        kpi__free(&a->base.alloc, tmp);
    return rc;
}

int kpi_aht_add(kpi_aht *a, int64_t talk_ms, int64_t hold_ms, int64_t after_work_ms)
{
    return kpi_aht_add_array(a, &talk_ms, &hold_ms, &after_work_ms, 1);
}

static int aht_merge(void *dst, const void *src)
{
    kpi_aht *d = dst;
    const kpi_aht *s = src;
    int64_t sums[3];
    for (int j = 0; j < 3; j++)
        if (!kpi__add_i64(d->sums[j], s->sums[j], &sums[j]))
            return KPI_ERR_OVERFLOW;
    int rc = dur_merge(d->handle, s->handle);
    if (rc == KPI_OK)
        memcpy(d->sums, sums, sizeof sums);
    return rc;
}

int kpi_aht_merge(kpi_aht *dst, const kpi_aht *src)
{
    return kpi__merge(&kpi__aht_type, dst, src);
}

static void aht_encode(const void *obj, kpi__writer *w)
{
    const kpi_aht *a = obj;
    for (int j = 0; j < 3; j++)
        kpi__put_svarint(w, a->sums[j]);
    kpi__put_object(w, a->handle);
}

static int aht_decode(kpi__reader *r, const kpi_allocator *al, void **out)
{
    int64_t sums[3];
    for (int j = 0; j < 3; j++)
        sums[j] = kpi__get_svarint(r);
    if (r->err)
        return r->err;
    void *o;
    int rc = kpi__object_new(&kpi__aht_type, sizeof(kpi_aht), al, &o);
    if (rc != KPI_OK)
        return rc;
    kpi_aht *a = o;
    void *h = NULL;
    rc = kpi__get_object(r, &duration_type, al, &h);
    if (rc != KPI_OK) {
        kpi__object_free(a);
        return rc;
    }
    a->handle = h;
    int64_t total = 0;
    bool ok = true;
    for (int j = 0; j < 3; j++)
        ok = ok && sums[j] >= 0 && kpi__add_i64(total, sums[j], &total);
    if (!ok || total != a->handle->sum || a->handle->ntargets != 0 ||
        a->handle->accuracy != KPI_DURATION_DEFAULT_ACCURACY) {
        aht_destroy(a);
        return KPI_ERR_CORRUPT;
    }
    memcpy(a->sums, sums, sizeof sums);
    *out = a;
    return KPI_OK;
}

static size_t aht_footprint(const void *obj)
{
    const kpi_aht *a = obj;
    return sizeof *a + dur_footprint(a->handle);
}

const kpi__type kpi__aht_type = {
    KPI__TAG_AHT, "aht",      aht_clone,  aht_destroy,  aht_reset,
    aht_merge,    aht_encode, aht_decode, aht_footprint};

int kpi_aht_serialize(const kpi_aht *a, void *buf, size_t cap, size_t *len)
{
    if (!kpi__is(a, &kpi__aht_type))
        return KPI_ERR_INVALID;
    return kpi__serialize(a, buf, cap, len);
}

int kpi_aht_deserialize(kpi_aht **out, const void *buf, size_t len)
{
    return kpi__deserialize(&kpi__aht_type, buf, len, NULL, (void **)out);
}

int kpi_aht_deserialize_with(kpi_aht **out, const void *buf, size_t len,
                             const kpi_allocator *alloc)
{
    return kpi__deserialize(&kpi__aht_type, buf, len, alloc, (void **)out);
}

size_t kpi_aht_footprint(const kpi_aht *a)
{
    return kpi__is(a, &kpi__aht_type) ? aht_footprint(a) : 0;
}

uint64_t kpi_aht_count(const kpi_aht *a)
{
    return kpi__is(a, &kpi__aht_type) ? a->handle->count : 0;
}

int kpi_aht_mean(const kpi_aht *a, double *out)
{
    if (!kpi__is(a, &kpi__aht_type))
        return KPI_ERR_INVALID;
    return kpi_duration_mean(a->handle, out);
}

int kpi_aht_component_mean(const kpi_aht *a, int component, double *out)
{
    if (!kpi__is(a, &kpi__aht_type) || out == NULL || component < KPI_AHT_TALK ||
        component > KPI_AHT_AFTER_WORK)
        return KPI_ERR_INVALID;
    if (a->handle->count == 0)
        return KPI_ERR_EMPTY;
    *out = (double)a->sums[component] / (double)a->handle->count;
    return KPI_OK;
}

int kpi_aht_quantile(const kpi_aht *a, double q, double *out)
{
    if (!kpi__is(a, &kpi__aht_type))
        return KPI_ERR_INVALID;
    return kpi_duration_quantile(a->handle, q, out);
}

/* ---- for the ticket engine (lib/internal.h) ----------------------------- */

int32_t kpi__duration_index(const kpi_duration *d, int64_t ms)
{
    return ms > 0 && ms < (INT64_C(1) << 52) ? dur_index(d->k, ms) : -1;
}

/* Make the window hold bucket i (outside it: kpi__duration_reserve_at()
 * took the case inside) and keep holding all it held, so that several
 * reservations before the adds all stand. */
int kpi__duration_reserve_slow(kpi_duration *d, int32_t i)
{
    int32_t lo = i, hi = i;
    if (d->bins != NULL) {
        int32_t wlo = d->blo, whi = d->blo + (int32_t)d->bcap - 1;
        if ((int64_t)(whi > hi ? whi : hi) - (wlo < lo ? wlo : lo) + 1 <= DUR_CAP) {
            lo = wlo < lo ? wlo : lo;
            hi = whi > hi ? whi : hi;
        }
    }
    return dur_reserve(d, lo, hi);
}

int kpi__duration_add_at(kpi_duration *d, int64_t ms, int32_t i)
{
    return dur_add_one(d, ms, i);
}
