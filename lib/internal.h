/*
 * libkpi internal definitions shared by every module.  Not installed.
 * SPDX-License-Identifier: MIT
 *
 * Every accumulator is a struct whose first member is a kpi__object: the
 * allocator it was created with and a pointer to its kpi__type, the table
 * of verbs (clone, free, reset, merge, encode, decode) that lets generic
 * code (the codec, the group-by container) handle any accumulator without
 * knowing its layout.  Internal symbols use the kpi__ prefix and are never
 * exported (hidden visibility plus the linker version script).
 */
#ifndef KPI_INTERNAL_H
#define KPI_INTERNAL_H

#include <math.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "kpi/common.h"
#include "kpi/duration.h"

#if defined(__GNUC__)
#define KPI__LIKELY(x) __builtin_expect(!!(x), 1)
#define KPI__UNLIKELY(x) __builtin_expect(!!(x), 0)
#else
#define KPI__LIKELY(x) (x)
#define KPI__UNLIKELY(x) (x)
#endif

/* Read the cache line at p ahead of its use.  The empty asm statement is
 * needed: a helper whose only effects are loads and __builtin_prefetch is
 * pure to gcc, which then drops its calls, prefetches and all (an earlier
 * measurement of the engine's read-ahead fell for that). */
#if defined(__GNUC__)
#define KPI__PREFETCH(p)                                                       \
    do {                                                                       \
        const void *kpi__pf_ = (p);                                            \
        __builtin_prefetch(kpi__pf_);                                          \
        __asm__ volatile("" : : "r"(kpi__pf_));                                \
    } while (0)
#else
#define KPI__PREFETCH(p) ((void)(p))
#endif

/* Serialized type tags.  Append-only: a tag, once used, is never reused.
 * Each module that serializes takes the next free number here. */
enum {
    KPI__TAG_TEST = 1,         /* reserved for the codec's own tests */
    KPI__TAG_SCORE = 2,
    KPI__TAG_RATE = 3,
    KPI__TAG_MEAN = 4,
    KPI__TAG_RATIO = 5,
    KPI__TAG_GROUP = 6,
    KPI__TAG_DURATION = 7,
    KPI__TAG_SERVICE_LEVEL = 8,
    KPI__TAG_AHT = 9,
    KPI__TAG_CALENDAR = 10,
    KPI__TAG_SLA_POLICY = 11,
    KPI__TAG_TOPK = 12,
    KPI__TAG_TOPK_ID = 13,
    KPI__TAG_DISTINCT = 14,
    KPI__TAG_SERIES = 15,
    KPI__TAG_CUSTOMERS = 16,
    KPI__TAG_JOURNEY = 17,
    KPI__TAG_ENGINE = 18,
    KPI__TAG_IQS = 19,
    KPI__TAG_SENTIMENT = 20
};

struct kpi__writer;
struct kpi__reader;
struct kpi__type;

/* The first member of every accumulator. */
typedef struct kpi__object {
    const struct kpi__type *type;
    kpi_allocator alloc; /* resolved: never has NULL functions */
    uint32_t flags;      /* KPI__MEMBER; 0 for a new object and a clone */
} kpi__object;

/* The object is a kpi_group's member: its configuration is the group's,
 * so the configuration setters refuse it (KPI_ERR_STATE); set by the
 * group on every member it holds. */
#define KPI__MEMBER 1u

/* The verb table of an accumulator type.  All functions are required. */
typedef struct kpi__type {
    uint16_t tag;     /* KPI__TAG_* */
    const char *name; /* "score", "duration", ... */
    /* Deep copy with the same allocator.  KPI_OK or KPI_ERR_NOMEM. */
    int (*clone)(const void *src, void **out);
    /* Release everything (obj is never NULL here). */
    void (*destroy)(void *obj);
    /* Back to empty, same configuration. */
    void (*reset)(void *obj);
    /* dst += src.  KPI_ERR_INCOMPATIBLE if configured differently; must
     * leave dst unchanged on any failure. */
    int (*merge)(void *dst, const void *src);
    /* Write configuration then payload (no header).  Cannot fail: the
     * writer records overflow itself. */
    void (*encode)(const void *obj, struct kpi__writer *w);
    /* Read what encode wrote, validating everything, and build a new
     * object with allocator `a` (already resolved).  On failure returns a
     * status and frees anything it allocated. */
    int (*decode)(struct kpi__reader *r, const kpi_allocator *a, void **out);
    /* Bytes of memory held by the object, including its struct. */
    size_t (*footprint)(const void *obj);
} kpi__type;

/* ---- the registry of accumulator types ---------------------------------
 * Each module defines its verb table here named; the group-by container
 * (lib/group.c, kpi__group_types) maps a serialized tag back to the table,
 * so any accumulator can be a group member.  A new accumulator type adds
 * its declaration here and its entry there. */
extern const kpi__type kpi__score_type;
extern const kpi__type kpi__rate_type;
extern const kpi__type kpi__mean_type;
extern const kpi__type kpi__group_type;
extern const kpi__type kpi__ratio_type;
extern const kpi__type kpi__series_type;
extern const kpi__type kpi__customers_type;
extern const kpi__type kpi__duration_type;
extern const kpi__type kpi__aht_type;
extern const kpi__type kpi__service_level_type;
extern const kpi__type kpi__topk_type;
extern const kpi__type kpi__topk_id_type;
extern const kpi__type kpi__distinct_type;
/* the ticket engine (a state, not a group member) */
extern const kpi__type kpi__engine_type;
/* The format version an engine's state is written in (lib/engine.c). */
uint16_t kpi__engine_format(const void *engine);
/* configuration objects that nest in others (an SLA policy holds a
 * calendar); not group members */
extern const kpi__type kpi__calendar_type;
extern const kpi__type kpi__sla_policy_type;
/* The calendar an SLA policy holds (NULL if none); for the ticket engine,
 * which measures paused time in a business-hours target's own calendar. */
struct kpi_sla_policy;
struct kpi_calendar;
const struct kpi_calendar *kpi__sla_policy_calendar(const struct kpi_sla_policy *p);
/* kpi_sla_policy_met() with biz_ms, when >= 0, the business span of
 * [start_ms, end_ms] in the policy's own calendar, already computed by the
 * caller (the ticket engine, whose calendar may equal the policy's): taken
 * for a business-hours target instead of computing it again.  biz_ms < 0:
 * exactly kpi_sla_policy_met(). */
int kpi__sla_policy_met_span(const struct kpi_sla_policy *p, uint32_t priority, int metric,
                             int64_t start_ms, int64_t end_ms, int64_t paused_ms,
                             int64_t biz_ms, int *met);

/* Reservations for the ticket engine, which makes every allocation an
 * event needs before it changes anything (lib/engine.c, "Transactions").
 * Each changes capacity only, never a value, a read or a serialized byte. */
struct kpi_group;
struct kpi_topk;
struct kpi_series;

/* ---- durations, for the ticket engine ------------------------------------
 * The sketch's layout (lib/duration.c says what each member means) is here
 * so that the engine's feeds take the common case inline: a value whose
 * bucket is already inside the sketch's window (the reservation: a compare
 * or two) and its add (a few counters).  Everything else is out of line in
 * lib/duration.c.  The members an add touches come first.  Two facts the
 * inline paths use: blo >= 0 (windows start at bucket 0 or above), and
 * bcap is 0 while bins is NULL; so one unsigned compare of i - blo with
 * bcap says whether bucket i is in the window, false for i = -1 (the
 * bucket kpi__duration_index() gives a value that has none). */
struct kpi_duration {
    kpi__object base;
    uint64_t count;
    uint64_t zeros;
    int64_t sum, min, max;
    /* buckets */
    uint64_t *bins; /* bins[i - blo]; bins[bcap] is the batch kernel's spare */
    int32_t blo;
    uint32_t bcap;
    int32_t ulo, uhi;   /* used range, valid when count > zeros */
    uint32_t ntargets;
    int32_t floor_idx;  /* lowest index once collapsed */
    bool collapsed;
    /* configuration */
    int32_t max_index; /* index of 2^63 */
    double accuracy;
    double k;          /* bucket multiplier */
    int64_t targets[KPI_DURATION_MAX_TARGETS]; /* strictly increasing */
    uint64_t within[KPI_DURATION_MAX_TARGETS]; /* count <= target */
};

/* The bucket of ms in every sketch of d's accuracy (-1 for ms <= 0 or
 * ms >= 2^52, which need no bucket reserved). */
int32_t kpi__duration_index(const struct kpi_duration *d, int64_t ms);
/* kpi__duration_reserve_at() when bucket i is outside d's window. */
int kpi__duration_reserve_slow(struct kpi_duration *d, int32_t i);
/* After this, kpi__duration_add_at(d, ms, i) (and kpi_duration_add) of a
 * value in bucket i does not allocate; earlier reservations on d still
 * hold (while the window spans at most KPI_DURATION_MAX_BUCKETS buckets:
 * always for values below 2^52 ms at the default accuracy). */
static inline int kpi__duration_reserve_at(struct kpi_duration *d, int32_t i)
{
    if ((uint32_t)i - (uint32_t)d->blo < d->bcap || i < 0)
        return KPI_OK;
    return kpi__duration_reserve_slow(d, i);
}

/* kpi_duration_add(d, ms) in the common case, with i =
 * kpi__duration_index(d, ms): a positive value below 2^52 whose bucket is
 * in the window of a sketch that holds positive values and has not
 * collapsed, and no count or sum that would overflow.  True if it added
 * ms; false, with d unchanged, when the case is not that one.  `bounded`
 * (a constant at each call): the caller knows that no count or sum it
 * feeds can overflow, and that test is left out (the engine's commit: it
 * checks its totals first, and a breakdown member or period bucket holds
 * no more than its total).  The extremes and the used range move only
 * when a value falls outside them, rare once a sketch has seen a few
 * values, so they are tested, not rewritten. */
static inline bool kpi__duration_add_case(struct kpi_duration *d, int64_t ms, int32_t i,
                                          bool bounded)
{
    /* every member read before any is written (the writes could alias) */
    const uint32_t off = (uint32_t)i - (uint32_t)d->blo;
    const uint64_t count = d->count;
    const int64_t sum = d->sum, mn = d->min, mx = d->max;
    const int32_t ulo = d->ulo, uhi = d->uhi;
    if (off >= d->bcap || d->collapsed || count <= d->zeros ||
        (!bounded && (count == UINT64_MAX || ms > INT64_MAX - sum)))
        return false;
    uint64_t *const bin = &d->bins[off];
    d->count = count + 1;
    d->sum = sum + ms;
    if (ms < mn)
        d->min = ms;
    if (ms > mx)
        d->max = ms;
    if (i < ulo)
        d->ulo = i;
    if (i > uhi)
        d->uhi = i;
    ++*bin;
    for (uint32_t t = 0; t < d->ntargets; t++)
        d->within[t] += ms <= d->targets[t];
    return true;
}

static inline bool kpi__duration_add_fast(struct kpi_duration *d, int64_t ms, int32_t i)
{
    return kpi__duration_add_case(d, ms, i, false);
}

static inline bool kpi__duration_add_bounded(struct kpi_duration *d, int64_t ms, int32_t i)
{
    return kpi__duration_add_case(d, ms, i, true);
}

/* kpi_score_add_array(s, answers, n) with the block kernels no wider than
 * `allow` (0 portable, 1 up to AVX2, 2 up to AVX-512 with GFNI, as the CPU
 * has them; kpi_score_add_array allows 2): the tests compare every level. */
struct kpi_score;
int kpi__score_add_array_simd(struct kpi_score *s, const int32_t *answers, size_t n, int allow);
/* kpi_topk_id_add_codes(p, codes, n) with the count's kernel no wider than
 * `allow` (0 portable, 1 AVX-512 with VBMI, BITALG and GFNI, as the CPU
 * has them; kpi_topk_id_add_codes allows 1): the tests compare both. */
struct kpi_topk_id;
int kpi__topk_id_add_codes_simd(struct kpi_topk_id *p, const int8_t *codes, size_t n,
                                int allow);
/* kpi_duration_add(d, ms) with i = kpi__duration_index(d, ms) (out of
 * line: every case). */
int kpi__duration_add_at(struct kpi_duration *d, int64_t ms, int32_t i);
/* kpi_duration_add_array(d, ms, n) with the batch kernels no wider than
 * `allow` (0 portable, 1 up to AVX2, 2 up to AVX-512, 3 up to AVX-512 with
 * the float32 estimate of the bucket, as the CPU has them;
 * kpi_duration_add_array allows 3): the tests compare every level. */
int kpi__duration_add_array_simd(struct kpi_duration *d, const int64_t *ms, size_t n,
                                 int allow);
/* ---- rates, for the ticket engine --------------------------------------
 * The rate's layout (lib/rate.c) is here so that the engine's commit adds
 * an outcome inline. */
struct kpi_rate {
    kpi__object base;
    uint64_t successes;
    uint64_t trials;
};

/* kpi_rate_add(r, success) of an outcome known valid (0 or 1): true if it
 * added it; false, with r unchanged, when the count is full. */
static inline bool kpi__rate_add_valid(struct kpi_rate *r, int success)
{
    const uint64_t trials = r->trials;
    if (trials == UINT64_MAX)
        return false;
    r->trials = trials + 1;
    r->successes += (uint64_t)success;
    return true;
}

/* ---- ratios, for the ticket engine -------------------------------------
 * The ratio's layout (lib/ratio.c) is here so that the engine's commit
 * adds a pair inline.  Both sums are Neumaier-compensated: a running
 * compensation c of the low-order bits lost by each addition (whichever
 * operand is larger); the sum is read as s + c. */
struct kpi_ratio {
    kpi__object base;
    uint32_t kind;
    uint64_t n;
    double num, num_c, den, den_c;
};

/* s + c += x (Neumaier's step); the caller keeps s and c where it likes. */
static inline void kpi__neumaier(double *s, double *c, double x)
{
    const double s0 = *s, t = s0 + x;
    if (fabs(s0) >= fabs(x))
        *c += (s0 - t) + x;
    else
        *c += (x - t) + s0;
    *s = t;
}

/* Whether a compensated sum s + c is a number: both parts and their sum
 * finite (a sum that ran past DBL_MAX reads inf or NaN). */
static inline bool kpi__sum_finite(double s, double c)
{
    return isfinite(s) && isfinite(c) && isfinite(s + c);
}

/* kpi_ratio_add(p, num, den) of a pair known valid (both finite, den >= 0:
 * the ticket engine's): true if it added the pair; false, with p
 * unchanged, when the count is full. */
static inline bool kpi__ratio_add_valid(struct kpi_ratio *p, double num, double den)
{
    /* every member read before any is written (the writes could alias) */
    const uint64_t n = p->n;
    double s = p->num, c = p->num_c, ds = p->den, dc = p->den_c;
    if (n == UINT64_MAX)
        return false;
    kpi__neumaier(&s, &c, num);
    kpi__neumaier(&ds, &dc, den);
    p->n = n + 1;
    p->num = s;
    p->num_c = c;
    p->den = ds;
    p->den_c = dc;
    return true;
}

/* Room for `extra` more members in g, and in *member a new empty member
 * (not in g: the caller adopts or destroys it). */
int kpi__group_spare(struct kpi_group *g, size_t extra, void **member);
/* Insert `member` (from kpi__group_spare, room reserved) under an absent key. */
void kpi__group_adopt(struct kpi_group *g, uint64_t key, void *member);
/* Member number i of g (0 .. kpi_group_size(g) - 1, in no set order), or NULL. */
const void *kpi__group_member_at(const struct kpi_group *g, size_t i);
/* After this, one kpi_topk_add() of a label of at most `len` bytes does
 * not allocate. */
int kpi__topk_reserve(struct kpi_topk *p, size_t len);
/* Add a finite amount of at most KPI_SERIES_MAX_AMOUNT to the all-time
 * total of a started series only: an event older than its ring (which
 * kpi_series_add() refuses with KPI_ERR_ORDER) that still happened. */
void kpi__series_add_total(struct kpi_series *p, double amount);

/* The number of the lowest set bit of m (m != 0). */
static inline unsigned kpi__low_bit(uint32_t m)
{
#if defined(__GNUC__)
    return (unsigned)__builtin_ctz(m);
#else
    unsigned i = 0;
    while (!(m & 1u)) {
        m >>= 1;
        i++;
    }
    return i;
#endif
}

/* ---- allocator ---------------------------------------------------------- */

/* Fill `out` from `in` (NULL = C library).  KPI_ERR_INVALID when `in` has
 * a NULL function. */
int kpi__allocator_resolve(const kpi_allocator *in, kpi_allocator *out);

static inline void *kpi__malloc(const kpi_allocator *a, size_t n)
{
    return a->malloc_fn(a->opaque, n ? n : 1);
}
/* realloc_fn only ever resizes a block (common.h): growing from nothing
 * is a malloc_fn call, so that an allocator need not take NULL. */
static inline void *kpi__realloc(const kpi_allocator *a, void *p, size_t n)
{
    if (p == NULL)
        return kpi__malloc(a, n);
    return a->realloc_fn(a->opaque, p, n ? n : 1);
}
static inline void kpi__free(const kpi_allocator *a, void *p)
{
    if (p)
        a->free_fn(a->opaque, p);
}
/* calloc of count * size with overflow check; NULL on overflow or failure. */
void *kpi__calloc(const kpi_allocator *a, size_t count, size_t size);

/* Sort n elements of `size` bytes at base by cmp (qsort's contract, not
 * stable), in place and allocating nothing: the library's only sort, so
 * that an object's memory all comes from its allocator (the C library's
 * qsort() may take a scratch buffer from malloc).  An introsort: quicksort
 * on the median of three, insertion sort below 16 elements, heapsort past
 * 2 log2(n) levels, so O(n log n) on any input, and O(log n) stack. */
void kpi__sort(void *base, size_t n, size_t size, int (*cmp)(const void *, const void *));

/* Allocate a zeroed object of `size` bytes whose first member is a
 * kpi__object, with its header filled in.  `alloc` may be NULL.  Returns
 * KPI_OK, KPI_ERR_INVALID (bad allocator) or KPI_ERR_NOMEM. */
int kpi__object_new(const kpi__type *type, size_t size,
                    const kpi_allocator *alloc, void **out);
/* Free an object's own struct (not what it points to) with its allocator. */
void kpi__object_free(void *obj);

/* ---- generic verbs used by every module's public wrappers -------------- */

/* Serialize any object: header, type->encode, checksum.  With buf NULL,
 * reports the size in *len and returns KPI_OK.  With cap too small, reports
 * the size and returns KPI_ERR_BUFFER. */
int kpi__serialize(const void *obj, void *buf, size_t cap, size_t *len);
/* Deserialize bytes written by kpi__serialize for `type`. */
int kpi__deserialize(const kpi__type *type, const void *buf, size_t len,
                     const kpi_allocator *alloc, void **out);
/* Merge after checking both are of `type` (KPI_ERR_INVALID on NULL). */
int kpi__merge(const kpi__type *type, void *dst, const void *src);
/* Clone after checking `src` (KPI_ERR_INVALID on NULL). */
int kpi__clone(const kpi__type *type, const void *src, void **out);
/* Destroy an object of any type; NULL is a no-op. */
void kpi__destroy(void *obj);
/* A public kpi_<type>_free(): kpi__destroy(), except that a group's member
 * is left alone (its group frees it). */
void kpi__release(void *obj);

/* True when obj is non-NULL and its header names `type`. */
static inline bool kpi__is(const void *obj, const kpi__type *type)
{
    return obj != NULL && ((const kpi__object *)obj)->type == type;
}

/* The object is a group's member (KPI__MEMBER). */
static inline bool kpi__is_member(const void *obj)
{
    return (((const kpi__object *)obj)->flags & KPI__MEMBER) != 0;
}

/* ---- numerics ----------------------------------------------------------- */

/* z for a two-sided 95% interval. */
#define KPI__Z95 1.959963984540054

/* Wilson interval; callers have checked trials > 0 and s <= trials. */
void kpi__wilson(uint64_t successes, uint64_t trials, kpi_estimate *out);

/* 64-bit mixing hash of a 64-bit key (splitmix64 finalizer): a bijection,
 * so distinct keys never collide before the table reduces them. */
static inline uint64_t kpi__mix64(uint64_t x)
{
    x ^= x >> 30;
    x *= UINT64_C(0xbf58476d1ce4e5b9);
    x ^= x >> 27;
    x *= UINT64_C(0x94d049bb133111eb);
    x ^= x >> 31;
    return x;
}

/* 64-bit hash of a byte string (stable across platforms and releases:
 * serialized sketches depend on it). */
uint64_t kpi__hash_bytes(const void *data, size_t len, uint64_t seed);

/* Overflow-checked unsigned addition: false on overflow. */
static inline bool kpi__add_u64(uint64_t a, uint64_t b, uint64_t *out)
{
#if defined(__GNUC__)
    return !__builtin_add_overflow(a, b, out);
#else
    if (a > UINT64_MAX - b)
        return false;
    *out = a + b;
    return true;
#endif
}

/* Overflow-checked signed addition: false on overflow. */
static inline bool kpi__add_i64(int64_t a, int64_t b, int64_t *out)
{
#if defined(__GNUC__)
    return !__builtin_add_overflow(a, b, out);
#else
    if ((b > 0 && a > INT64_MAX - b) || (b < 0 && a < INT64_MIN - b))
        return false;
    *out = a + b;
    return true;
#endif
}

/* ---- one-hot counts on AVX-512 (lib/score.c, lib/topk.c) ------------------
 * The survey-score and the int8-code kernels count up to 8 values at once
 * the same way: each byte of a vector holds a one-hot bit for its value
 * among 8 (bit j: value j; 0 for none), one GF(2) affine instruction
 * transposes each 8 such bytes as an 8 x 8 bit matrix (the bytes as the
 * matrix, the unit bytes as the data), so that byte j of each 8 holds one
 * bit for each of them equal to value j, and a byte popcount counts them
 * (at most 8 a byte).  Callers keep those in byte counters, widen them into
 * 16-bit ones before they can pass 255, and sum the 16-bit ones per value. */
#if defined(__GNUC__) && defined(__x86_64__) && !defined(KPI_NO_DISPATCH)
#include <immintrin.h>
#define KPI__T_ONEHOT __attribute__((target("avx2,avx512f,avx512bw,avx512bitalg,gfni")))

/* The count of each value j among each 8 one-hot bytes of hot, in byte j
 * of each 8. */
static inline KPI__T_ONEHOT __m512i kpi__onehot_count(__m512i hot)
{
    const __m512i unit = _mm512_set1_epi64((long long)0x8040201008040201ULL);
    return _mm512_popcnt_epi8(_mm512_gf2p8affine_epi64_epi8(unit, hot, 0));
}

/* Byte counters c (byte j of each 8: value j) into 16-bit ones: even
 * bytes to *e, odd ones to *o. */
static inline KPI__T_ONEHOT void kpi__onehot_widen(__m512i c, __m512i *e, __m512i *o)
{
    *e = _mm512_add_epi16(*e, _mm512_and_si512(c, _mm512_set1_epi16(0xff)));
    *o = _mm512_add_epi16(*o, _mm512_srli_epi16(c, 8));
}

/* Add the 16-bit counters e and o (kpi__onehot_widen) to t[0..8), t[j]
 * getting value j's. */
static inline KPI__T_ONEHOT void kpi__onehot_sums(__m512i e, __m512i o, uint64_t *t)
{
    uint16_t ev[32], od[32];
    _mm512_storeu_si512((void *)ev, e);
    _mm512_storeu_si512((void *)od, o);
    for (int l = 0; l < 32; l++) {
        t[2 * (l % 4)] += ev[l];
        t[2 * (l % 4) + 1] += od[l];
    }
}
#endif

#endif /* KPI_INTERNAL_H */
