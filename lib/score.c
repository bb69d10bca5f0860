/*
 * Survey scores on a bounded integer scale (CSAT, ESAT, NPS, CES).
 * SPDX-License-Identifier: MIT
 *
 * One 64-bit counter per scale value: every read is exact and computed
 * from the counts (a scale has at most 1001 values).  The batch path
 * (kpi_score_add_array) is the hot one: it works in blocks that fit in L1,
 * first a branch-free range check of the block (vectorisable), then a
 * count of the block into four interleaved 32-bit tables (to break the
 * store-to-load dependency when neighbouring answers are equal), flushed
 * into 64-bit totals on the stack.  The object is touched only after the
 * whole batch has been validated, so a bad answer changes nothing.
 *
 * NPS margin of error: 1.96 sqrt((p + d - (p - d)^2) / n) x 100, the
 * variance of the difference of two multinomial shares.
 */
#include <math.h>
#if defined(__GNUC__) && defined(__x86_64__) && !defined(KPI_NO_DISPATCH)
#include <immintrin.h>
#endif

#include "codec.h"
#include "kpi/score.h"

struct kpi_score {
    kpi__object base;
    int32_t min, max;
    uint32_t nvals;         /* max - min + 1 */
    int32_t threshold;      /* favourable-share cut */
    int32_t promoter_from;  /* NPS cuts, valid when has_nps */
    int32_t detractor_to;
    uint8_t high_is_easy;   /* 1: favourable = >= threshold; 0: <= */
    uint8_t has_nps;
    uint64_t total;
    uint64_t counts[];      /* nvals counters */
};


static size_t score_size(uint32_t nvals)
{
    return sizeof(struct kpi_score) + (size_t)nvals * sizeof(uint64_t);
}

static bool on_scale(const kpi_score *s, int64_t v)
{
    return v >= s->min && v <= s->max;
}

static int score_make(kpi_score **out, int32_t min, int32_t max,
                      const kpi_allocator *alloc)
{
    if (out == NULL)
        return KPI_ERR_INVALID;
    if (max < min || (int64_t)max - min > KPI_SCORE_MAX_SPAN)
        return KPI_ERR_RANGE;
    uint32_t nvals = (uint32_t)((int64_t)max - min + 1);
    void *o;
    int rc = kpi__object_new(&kpi__score_type, score_size(nvals), alloc, &o);
    if (rc != KPI_OK)
        return rc;
    kpi_score *s = o;
    s->min = min;
    s->max = max;
    s->nvals = nvals;
    s->threshold = max > min ? max - 1 : max;
    s->high_is_easy = 1;
    if (min <= 6 && max >= 9) {
        s->has_nps = 1;
        s->promoter_from = 9;
        s->detractor_to = 6;
    }
    *out = s;
    return KPI_OK;
}

int kpi_score_new_with(kpi_score **out, int32_t min, int32_t max,
                       const kpi_allocator *alloc)
{
    return score_make(out, min, max, alloc);
}

int kpi_score_new(kpi_score **out, int32_t min, int32_t max)
{
    return score_make(out, min, max, NULL);
}

static int preset_1_to_max(kpi_score **out, int32_t max, int32_t from)
{
    if (out == NULL)
        return KPI_ERR_INVALID;
    if (max < 1 || max > KPI_SCORE_MAX_SPAN + 1 || from < 1 || from > max)
        return KPI_ERR_RANGE;
    int rc = score_make(out, 1, max, NULL);
    if (rc == KPI_OK)
        (*out)->threshold = from;
    return rc;
}

int kpi_csat_new(kpi_score **out, int32_t max, int32_t satisfied_from)
{
    return preset_1_to_max(out, max, satisfied_from);
}

int kpi_esat_new(kpi_score **out, int32_t max, int32_t satisfied_from)
{
    return preset_1_to_max(out, max, satisfied_from);
}

int kpi_ces_new(kpi_score **out, int32_t max, int32_t easy_from)
{
    return preset_1_to_max(out, max, easy_from);
}

int kpi_nps_new(kpi_score **out)
{
    return score_make(out, 0, 10, NULL); /* default cuts 9 / 6 */
}

int kpi_score_set_threshold(kpi_score *s, int32_t threshold)
{
    if (!kpi__is(s, &kpi__score_type))
        return KPI_ERR_INVALID;
    if (!on_scale(s, threshold))
        return KPI_ERR_RANGE;
    if (kpi__is_member(s))
        return KPI_ERR_STATE;
    s->threshold = threshold;
    return KPI_OK;
}

int kpi_score_set_high_is_easy(kpi_score *s, int high_is_easy)
{
    if (!kpi__is(s, &kpi__score_type))
        return KPI_ERR_INVALID;
    if (high_is_easy != 0 && high_is_easy != 1)
        return KPI_ERR_RANGE;
    if (kpi__is_member(s))
        return KPI_ERR_STATE;
    s->high_is_easy = (uint8_t)high_is_easy;
    return KPI_OK;
}

int kpi_score_set_nps_cuts(kpi_score *s, int32_t promoter_from, int32_t detractor_to)
{
    if (!kpi__is(s, &kpi__score_type))
        return KPI_ERR_INVALID;
    if (!on_scale(s, promoter_from) || !on_scale(s, detractor_to) ||
        detractor_to >= promoter_from)
        return KPI_ERR_RANGE;
    if (kpi__is_member(s))
        return KPI_ERR_STATE;
    s->promoter_from = promoter_from;
    s->detractor_to = detractor_to;
    s->has_nps = 1;
    return KPI_OK;
}

/* ---- verbs -------------------------------------------------------------- */

static void score_destroy(void *obj) { kpi__object_free(obj); }

static void score_reset(void *obj)
{
    kpi_score *s = obj;
    s->total = 0;
    memset(s->counts, 0, (size_t)s->nvals * sizeof(uint64_t));
}

static int score_clone(const void *src, void **out)
{
    const kpi_score *s = src;
    void *o;
    int rc = kpi__object_new(&kpi__score_type, score_size(s->nvals), &s->base.alloc, &o);
    if (rc != KPI_OK)
        return rc;
    memcpy((char *)o + sizeof(kpi__object), (const char *)s + sizeof(kpi__object),
           score_size(s->nvals) - sizeof(kpi__object));
    *out = o;
    return KPI_OK;
}

static bool same_config(const kpi_score *a, const kpi_score *b)
{
    return a->min == b->min && a->max == b->max && a->threshold == b->threshold &&
           a->high_is_easy == b->high_is_easy && a->has_nps == b->has_nps &&
           (!a->has_nps || (a->promoter_from == b->promoter_from &&
                            a->detractor_to == b->detractor_to));
}

static int score_merge(void *dst, const void *src)
{
    kpi_score *d = dst;
    const kpi_score *s = src;
    if (!same_config(d, s))
        return KPI_ERR_INCOMPATIBLE;
    uint64_t total;
    if (!kpi__add_u64(d->total, s->total, &total))
        return KPI_ERR_OVERFLOW;
    /* every count is <= its total, so no single count can overflow */
    for (uint32_t i = 0; i < d->nvals; i++)
        d->counts[i] += s->counts[i];
    d->total = total;
    return KPI_OK;
}

static void score_encode(const void *obj, kpi__writer *w)
{
    const kpi_score *s = obj;
    kpi__put_svarint(w, s->min);
    kpi__put_svarint(w, s->max);
    kpi__put_svarint(w, s->threshold);
    kpi__put_u8(w, s->high_is_easy);
    kpi__put_u8(w, s->has_nps);
    kpi__put_svarint(w, s->has_nps ? s->promoter_from : 0);
    kpi__put_svarint(w, s->has_nps ? s->detractor_to : 0);
    kpi__put_varint(w, s->total);
    for (uint32_t i = 0; i < s->nvals; i++)
        kpi__put_varint(w, s->counts[i]);
}

static int score_decode(kpi__reader *r, const kpi_allocator *a, void **out)
{
    int64_t min = kpi__get_svarint(r), max = kpi__get_svarint(r);
    int64_t thr = kpi__get_svarint(r);
    uint8_t hie = kpi__get_u8(r), has_nps = kpi__get_u8(r);
    int64_t pf = kpi__get_svarint(r), dt = kpi__get_svarint(r);
    uint64_t total = kpi__get_varint(r);
    if (r->err)
        return r->err;
    if (min < INT32_MIN || max > INT32_MAX || max < min || max - min > KPI_SCORE_MAX_SPAN ||
        thr < min || thr > max || hie > 1 || has_nps > 1)
        return KPI_ERR_CORRUPT;
    if (has_nps && (pf < min || pf > max || dt < min || dt > max || dt >= pf))
        return KPI_ERR_CORRUPT;
    /* a scale holding 6 and 9 gets the cuts 9 / 6 when made, and no call
     * takes cut points away */
    if (!has_nps && (pf != 0 || dt != 0 || (min <= 6 && max >= 9)))
        return KPI_ERR_CORRUPT;
    /* every count takes at least one byte */
    if (kpi__reader_left(r) < (size_t)(max - min + 1))
        return KPI_ERR_CORRUPT;
    kpi_score *s;
    int rc = score_make(&s, (int32_t)min, (int32_t)max, a);
    if (rc != KPI_OK)
        return rc;
    s->threshold = (int32_t)thr;
    s->high_is_easy = hie;
    s->has_nps = has_nps;
    s->promoter_from = (int32_t)pf;
    s->detractor_to = (int32_t)dt;
    uint64_t sum = 0;
    bool ok = true;
    for (uint32_t i = 0; i < s->nvals; i++) {
        s->counts[i] = kpi__get_varint(r);
        ok = ok && kpi__add_u64(sum, s->counts[i], &sum);
    }
    s->total = total;
    if (r->err || !ok || sum != total) {
        rc = r->err ? r->err : KPI_ERR_CORRUPT;
        kpi__object_free(s);
        return rc;
    }
    *out = s;
    return KPI_OK;
}

static size_t score_footprint(const void *obj)
{
    return score_size(((const kpi_score *)obj)->nvals);
}

const kpi__type kpi__score_type = {
    KPI__TAG_SCORE, "score",      score_clone,  score_destroy,  score_reset,
    score_merge,    score_encode, score_decode, score_footprint};

void kpi_score_free(kpi_score *s) { kpi__release(s); }

void kpi_score_reset(kpi_score *s)
{
    if (kpi__is(s, &kpi__score_type))
        score_reset(s);
}

int kpi_score_clone(const kpi_score *s, kpi_score **out)
{
    return kpi__clone(&kpi__score_type, s, (void **)out);
}

int kpi_score_merge(kpi_score *dst, const kpi_score *src)
{
    return kpi__merge(&kpi__score_type, dst, src);
}

int kpi_score_serialize(const kpi_score *s, void *buf, size_t cap, size_t *len)
{
    if (!kpi__is(s, &kpi__score_type))
        return KPI_ERR_INVALID;
    return kpi__serialize(s, buf, cap, len);
}

int kpi_score_deserialize_with(kpi_score **out, const void *buf, size_t len,
                               const kpi_allocator *alloc)
{
    return kpi__deserialize(&kpi__score_type, buf, len, alloc, (void **)out);
}

int kpi_score_deserialize(kpi_score **out, const void *buf, size_t len)
{
    return kpi_score_deserialize_with(out, buf, len, NULL);
}

size_t kpi_score_footprint(const kpi_score *s)
{
    return kpi__is(s, &kpi__score_type) ? score_footprint(s) : 0;
}

/* ---- adding ------------------------------------------------------------- */

int kpi_score_add(kpi_score *s, int32_t answer)
{
    if (!kpi__is(s, &kpi__score_type))
        return KPI_ERR_INVALID;
    if (!on_scale(s, answer))
        return KPI_ERR_RANGE;
    if (s->total == UINT64_MAX)
        return KPI_ERR_OVERFLOW;
    s->counts[(uint32_t)answer - (uint32_t)s->min]++;
    s->total++;
    return KPI_OK;
}

#define BLOCK 4096      /* answers per block: 16 KiB, fits in L1 */
#define SMALL_VALS 64   /* scales up to this many values use the blocked path */

/* 1 if any of the BLOCK answers is off [min, min + span]: branch-free, with
 * a constant trip count so that -O2 vectorises it. */
static uint32_t block_bad(const int32_t *a, uint32_t min, uint32_t span)
{
    uint32_t bad = 0;
    for (size_t i = 0; i < BLOCK; i++)
        bad |= (uint32_t)((uint32_t)a[i] - min > span);
    return bad;
}

static uint32_t tail_bad(const int32_t *a, size_t n, uint32_t min, uint32_t span)
{
    uint32_t bad = 0;
    for (size_t i = 0; i < n; i++)
        bad |= (uint32_t)((uint32_t)a[i] - min > span);
    return bad;
}

/* Count n (<= BLOCK) validated answers into four interleaved tables. */
static void block_count(const int32_t *a, size_t n, uint32_t min,
                        uint32_t (*c)[SMALL_VALS])
{
    size_t i = 0;
    for (; i + 4 <= n; i += 4) {
        c[0][(uint32_t)a[i] - min]++;
        c[1][(uint32_t)a[i + 1] - min]++;
        c[2][(uint32_t)a[i + 2] - min]++;
        c[3][(uint32_t)a[i + 3] - min]++;
    }
    for (; i < n; i++)
        c[0][(uint32_t)a[i] - min]++;
}

#define PAIR_VALS 16  /* scales up to this many values count pairs */
#define PAIR_FLUSH 16 /* blocks between flushes: a cell holds <= 8192 */

/* Count n (a multiple of 8) validated answers as pairs (a, b) -> cell
 * a * 16 + b, into four interleaved tables. */
static void pair_count(const int32_t *a, size_t n, uint32_t min,
                       uint32_t (*p)[PAIR_VALS * PAIR_VALS])
{
    for (size_t i = 0; i < n; i += 8) {
        p[0][(((uint32_t)a[i] - min) << 4) | ((uint32_t)a[i + 1] - min)]++;
        p[1][(((uint32_t)a[i + 2] - min) << 4) | ((uint32_t)a[i + 3] - min)]++;
        p[2][(((uint32_t)a[i + 4] - min) << 4) | ((uint32_t)a[i + 5] - min)]++;
        p[3][(((uint32_t)a[i + 6] - min) << 4) | ((uint32_t)a[i + 7] - min)]++;
    }
}

/* Add the pair tables to the per-value totals (cleared by the caller
 * before the next block it counts). */
static void pair_flush(uint32_t (*p)[PAIR_VALS * PAIR_VALS], uint64_t *acc)
{
    for (uint32_t x = 0; x < PAIR_VALS; x++)
        for (uint32_t y = 0; y < PAIR_VALS; y++) {
            uint32_t k = x * PAIR_VALS + y;
            uint64_t v = (uint64_t)p[0][k] + p[1][k] + p[2][k] + p[3][k];
            acc[x] += v;
            acc[y] += v;
        }
}

/* Survey scales on AVX2 (chosen at run time), a block of m answers (a
 * multiple of 64, at most 4096):
 * - each 32 answers are checked and packed to bytes at once: answer - min
 *   (mod 2^32) through the signed saturating packs, so that one negative
 *   as an int32 stays negative (a byte of 128 or more, unsigned) and one
 *   above the span stays above it (at most 127); one byte maximum over the
 *   block then says whether any answer is off the scale (the packs
 *   shuffle the order, which counting does not mind);
 * - a value is counted by a byte compare subtracted from byte counters
 *   (32 answers per instruction; 4096 answers keep each counter below
 *   256), summed at the end with _mm256_sad_epu8.  Values go five at a
 *   time, each with its own counters, so that five chains of adds run
 *   side by side (one value per pass was one chain of dependent adds, a
 *   cycle each); the first five are counted as the answers are packed,
 *   in the pass that reads them, the others (scales of more than six
 *   values) in passes over the packed block; the last value's count is
 *   what the others leave.
 * Returns 1, counting nothing, if an answer is off the scale.  The same
 * totals as pair_count(). */
#if defined(__GNUC__) && defined(__x86_64__) && !defined(KPI_NO_DISPATCH)
#define SCORE_HAVE_AVX2 1

/* Five values' byte counters and the bytes they count (named, not an
 * array: the compiler keeps them in registers). */
typedef struct count5 {
    __m256i c0, c1, c2, c3, c4;
    __m256i w0, w1, w2, w3, w4;
} count5;

/* Counters for values v .. v + 4 (those past the values to count are
 * counted too, and never read). */
__attribute__((target("avx2"))) static inline void count5_init(count5 *k, uint32_t v)
{
    k->c0 = k->c1 = k->c2 = k->c3 = k->c4 = _mm256_setzero_si256();
    k->w0 = _mm256_set1_epi8((char)v);
    k->w1 = _mm256_set1_epi8((char)(v + 1));
    k->w2 = _mm256_set1_epi8((char)(v + 2));
    k->w3 = _mm256_set1_epi8((char)(v + 3));
    k->w4 = _mm256_set1_epi8((char)(v + 4));
}

/* Count 32 packed answers. */
__attribute__((target("avx2"))) static inline void count5_add(count5 *k, __m256i x)
{
    k->c0 = _mm256_sub_epi8(k->c0, _mm256_cmpeq_epi8(x, k->w0));
    k->c1 = _mm256_sub_epi8(k->c1, _mm256_cmpeq_epi8(x, k->w1));
    k->c2 = _mm256_sub_epi8(k->c2, _mm256_cmpeq_epi8(x, k->w2));
    k->c3 = _mm256_sub_epi8(k->c3, _mm256_cmpeq_epi8(x, k->w3));
    k->c4 = _mm256_sub_epi8(k->c4, _mm256_cmpeq_epi8(x, k->w4));
}

/* Add the counts of values v .. (at most) v + 4 to acc; their sum. */
__attribute__((target("avx2"))) static inline uint64_t
count5_flush(const count5 *k, uint32_t v, uint32_t nv, uint64_t *acc)
{
    const __m256i c[5] = {k->c0, k->c1, k->c2, k->c3, k->c4};
    uint64_t seen = 0;
    for (uint32_t g = 0; g < 5 && v + g + 1 < nv; g++) {
        __m256i t = _mm256_sad_epu8(c[g], _mm256_setzero_si256()); /* 4 x 64 */
        uint64_t n = (uint64_t)_mm256_extract_epi64(t, 0) + (uint64_t)_mm256_extract_epi64(t, 1) +
                     (uint64_t)_mm256_extract_epi64(t, 2) + (uint64_t)_mm256_extract_epi64(t, 3);
        acc[v + g] += n;
        seen += n;
    }
    return seen;
}

/* 32 answers (unaligned) less min, packed to bytes with signed saturation. */
__attribute__((target("avx2"))) static inline __m256i pack32(const int32_t *a, __m256i vmin)
{
    const void *p0 = a, *p1 = a + 8, *p2 = a + 16, *p3 = a + 24;
    __m256i x0 = _mm256_sub_epi32(_mm256_loadu_si256(p0), vmin);
    __m256i x1 = _mm256_sub_epi32(_mm256_loadu_si256(p1), vmin);
    __m256i x2 = _mm256_sub_epi32(_mm256_loadu_si256(p2), vmin);
    __m256i x3 = _mm256_sub_epi32(_mm256_loadu_si256(p3), vmin);
    return _mm256_packs_epi16(_mm256_packs_epi32(x0, x1), _mm256_packs_epi32(x2, x3));
}

/* How far ahead of its loads each vector kernel asks for the array, in
 * bytes (three quarters of a block, 12 KiB).  AVX-512: 10 M answers read
 * again and again took 0.67-0.81 ms with 16 KiB and 0.99-1.01 without on
 * the Zen 5 VM of 2026-12-07; from memory (a cache-sized buffer read
 * between calls), five alternated runs, 16 KiB 1.00-1.11 ms, 12 KiB
 * 0.97-1.12 (median 0.99), 8 KiB 0.92-1.01, and read again 0.79-0.82,
 * 0.77-0.82, 0.79-0.85.  AVX2 (the same VM, five alternated runs): from
 * memory 1.03-1.18 ms against 1.32-1.45 without, read again 0.78-0.86
 * against 1.19-1.42 (docs/PERFORMANCE.md, "Scores and rates"). */
#define SCORE_PREFETCH (BLOCK * 3)

__attribute__((target("avx2"))) static uint32_t
block_count_avx2(const int32_t *a, size_t m, uint32_t min, uint32_t nv, uint64_t *acc)
{
    __m256i b[BLOCK / 32]; /* the block packed to bytes (scales over 6) */
    const __m256i vmin = _mm256_set1_epi32((int)min);
    __m256i hi = _mm256_setzero_si256();
    count5 k;
    count5_init(&k, 0);
    for (size_t i = 0; i < m; i += 32) {
        /* (an address, not a pointer past the array: never read) */
        const uintptr_t ahead = (uintptr_t)(a + i) + SCORE_PREFETCH;
        _mm_prefetch((const char *)ahead, _MM_HINT_T0);
        _mm_prefetch((const char *)(ahead + 64), _MM_HINT_T0);
        __m256i p = pack32(a + i, vmin);
        hi = _mm256_max_epu8(hi, p);
        if (nv > 6)
            b[i / 32] = p;
        count5_add(&k, p);
    }
    const __m256i vspan = _mm256_set1_epi8((char)(nv - 1));
    if (_mm256_movemask_epi8(_mm256_cmpeq_epi8(_mm256_max_epu8(hi, vspan), vspan)) != -1)
        return 1; /* some byte above the span */
    uint64_t seen = count5_flush(&k, 0, nv, acc);
    for (uint32_t v = 5; v + 1 < nv; v += 5) {
        count5_init(&k, v);
        for (size_t i = 0; i < m / 32; i++)
            count5_add(&k, b[i]);
        seen += count5_flush(&k, v, nv, acc);
    }
    acc[nv - 1] += m - seen;
    return 0;
}

/* Survey scales with AVX-512 (F, BW, BITALG) and GFNI, chosen at run
 * time, a block of m answers (a multiple of 64, at most 4096), 64 at a
 * time:
 * - packed and checked as on AVX2 (the 512-bit packs shuffle the order
 *   too);
 * - each byte v becomes a one-hot byte 1 << (v % 8) (a byte shuffle, for
 *   values 0-7 and, on scales of more than 8 values, again for 8-15), and
 *   each 8 bytes of one-hot bits are transposed as an 8 x 8 bit matrix (one
 *   GF(2) affine instruction with the one-hot bytes as the matrix and the
 *   unit bytes as the data), so that byte j of each 8 holds one bit for
 *   every answer of value j among those 8; a byte popcount then gives
 *   those answers' counts and a byte add keeps them, all values at once
 *   (4 instructions per 64 answers for up to 8 values, where the AVX2
 *   kernel's compare and subtract take 2 per 32 answers per value);
 * - the byte counters (at most 8 an add) go into 16-bit ones every 16
 *   adds, and those are summed per value at the end.
 * Every value is counted (none is derived).  Returns 1, counting nothing,
 * if an answer is off the scale.  The same totals as pair_count(). */
#define SCORE_T512 __attribute__((target("avx2,avx512f,avx512bw,avx512bitalg,gfni")))


/* The counts of 64 packed answers among those 8 values whose one-hot
 * bytes `lut` gives (a byte per value of the low nibble). */
SCORE_T512 static inline __m512i count8_512(__m512i p, __m512i lut)
{
    return kpi__onehot_count(_mm512_shuffle_epi8(lut, p));
}

/* Add the 16-bit counters of values base .. base + 7 (those below nv) to
 * acc. */
SCORE_T512 static void flush_512(__m512i e, __m512i o, uint32_t base, uint32_t nv,
                                 uint64_t *acc)
{
    uint64_t t[8] = {0};
    kpi__onehot_sums(e, o, t);
    for (uint32_t j = 0; j < 8 && base + j < nv; j++)
        acc[base + j] += t[j];
}

SCORE_T512 static inline uint32_t block_count_512(const int32_t *a, size_t m, uint32_t min,
                                                  uint32_t nv, uint64_t *acc)
{
    const __m512i vmin = _mm512_set1_epi32((int)min);
    const __m512i lo = _mm512_broadcast_i32x4(
        _mm_setr_epi8(1, 2, 4, 8, 16, 32, 64, -128, 0, 0, 0, 0, 0, 0, 0, 0));
    const __m512i hi = _mm512_broadcast_i32x4(
        _mm_setr_epi8(0, 0, 0, 0, 0, 0, 0, 0, 1, 2, 4, 8, 16, 32, 64, -128));
    const bool two = nv > 8;
    __m512i top = _mm512_setzero_si512();
    __m512i e0 = _mm512_setzero_si512(), o0 = e0, e1 = e0, o1 = e0;
    for (size_t j = 0; j < m; j += 1024) {
        __m512i c0 = _mm512_setzero_si512(), c1 = c0;
        const size_t end = m - j < 1024 ? m : j + 1024;
        for (size_t i = j; i < end; i += 64) {
            const void *q = a + i;
            const char *b = q;
            /* (an address, not a pointer past the array: never read) */
            const uintptr_t ahead = (uintptr_t)q + SCORE_PREFETCH;
            for (int l = 0; l < 4; l++)
                _mm_prefetch((const char *)(ahead + 64 * (uintptr_t)l), _MM_HINT_T0);
            __m512i x0 = _mm512_sub_epi32(_mm512_loadu_si512(b), vmin);
            __m512i x1 = _mm512_sub_epi32(_mm512_loadu_si512(b + 64), vmin);
            __m512i x2 = _mm512_sub_epi32(_mm512_loadu_si512(b + 128), vmin);
            __m512i x3 = _mm512_sub_epi32(_mm512_loadu_si512(b + 192), vmin);
            __m512i p = _mm512_packs_epi16(_mm512_packs_epi32(x0, x1), _mm512_packs_epi32(x2, x3));
            top = _mm512_max_epu8(top, p);
            c0 = _mm512_add_epi8(c0, count8_512(p, lo));
            if (two)
                c1 = _mm512_add_epi8(c1, count8_512(p, hi));
        }
        kpi__onehot_widen(c0, &e0, &o0);
        kpi__onehot_widen(c1, &e1, &o1);
    }
    if (_mm512_cmpgt_epu8_mask(top, _mm512_set1_epi8((char)(nv - 1))) != 0)
        return 1; /* some byte above the span */
    flush_512(e0, o0, 0, nv, acc);
    if (two)
        flush_512(e1, o1, 8, nv, acc);
    return 0;
}

/* block_count_512, leaving the vector registers' upper halves clean: gcc
 * 12 returned from it with them dirty (on the path through flush_512), and
 * with dirty upper halves every SSE instruction after it, the host's own
 * scalar double code included, ran at half speed or worse on this Zen 4
 * (a loop of kpi_mean_add: 7.9 -> 18.2 ns a value) until something ran
 * vzeroupper.  tests/test_score.c checks the state after every level. */
SCORE_T512 static uint32_t block_count_avx512(const int32_t *a, size_t m, uint32_t min,
                                              uint32_t nv, uint64_t *acc)
{
    uint32_t rc = block_count_512(a, m, min, nv, acc);
    _mm256_zeroupper();
    return rc;
}
#endif

#if defined(SCORE_HAVE_AVX2)
/* How many int32 answers from a come before the next 64-byte boundary (0
 * for an array not aligned to its elements: it never reaches one). */
static size_t head_to_line(const int32_t *a)
{
    const uintptr_t at = (uintptr_t)(const void *)a;
    return at % sizeof *a != 0 ? 0 : (size_t)((64 - at % 64) % 64) / sizeof *a;
}
#endif

/* The block kernel a batch of survey-scale answers uses: the widest of
 * those `allow` permits (SCORE_AVX512, SCORE_AVX2 or SCORE_PORTABLE, the
 * pair tables) that the CPU has.  Every level gives the same counts. */
enum { SCORE_PORTABLE = 0, SCORE_AVX2 = 1, SCORE_AVX512 = 2 };

#if defined(SCORE_HAVE_AVX2)
static int score_simd_level(int allow)
{
    if (allow >= SCORE_AVX512 && __builtin_cpu_supports("avx512f") &&
        __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512bitalg") &&
        __builtin_cpu_supports("gfni"))
        return SCORE_AVX512;
    if (allow >= SCORE_AVX2 && __builtin_cpu_supports("avx2"))
        return SCORE_AVX2;
    return SCORE_PORTABLE;
}
#endif

int kpi_score_add_array(kpi_score *s, const int32_t *answers, size_t n)
{
    return kpi__score_add_array_simd(s, answers, n, SCORE_AVX512);
}

int kpi__score_add_array_simd(kpi_score *s, const int32_t *answers, size_t n, int allow)
{
    if (!kpi__is(s, &kpi__score_type) || (answers == NULL && n > 0))
        return KPI_ERR_INVALID;
    if (n == 0)
        return KPI_OK;
    uint64_t total;
    if ((uint64_t)n > UINT64_MAX - s->total)
        return KPI_ERR_OVERFLOW;
    total = s->total + (uint64_t)n;
    const uint32_t min = (uint32_t)s->min, span = s->nvals - 1;

    if (s->nvals > SMALL_VALS) {
        /* large scales: validate everything, then count in place */
        uint32_t bad = 0;
        size_t i = 0;
        for (; i + BLOCK <= n; i += BLOCK)
            bad |= block_bad(answers + i, min, span);
        bad |= tail_bad(answers + i, n - i, min, span);
        if (bad)
            return KPI_ERR_RANGE;
        for (i = 0; i < n; i++)
            s->counts[(uint32_t)answers[i] - min]++;
        s->total = total;
        return KPI_OK;
    }

    uint64_t acc[SMALL_VALS] = {0};
    const uint32_t nv = s->nvals;
    if (nv <= PAIR_VALS) {
        /* survey scales (NPS, CSAT, CES): count pairs of answers, one
         * store per two answers, then add each pair cell to both values */
        uint32_t p[4][PAIR_VALS * PAIR_VALS];
        size_t blocks = 0; /* counted into p (cleared before the first) */
#if defined(SCORE_HAVE_AVX2)
        const int simd = n >= BLOCK ? score_simd_level(allow) : SCORE_PORTABLE;
        if (simd != SCORE_PORTABLE) {
            /* the blocks from a cache line's start: loads of 32 or 64
             * bytes that straddle two lines read the array at about two
             * thirds of the speed (numpy's arrays start 16 bytes into a
             * line); the answers before it (at most 15) singly */
            const size_t head = head_to_line(answers);
            for (size_t j = 0; j < head; j++) {
                const uint32_t v = (uint32_t)answers[j] - min;
                if (v > span)
                    return KPI_ERR_RANGE;
                acc[v]++;
            }
            answers += head;
            n -= head;
        }
#else
        (void)allow;
#endif
        for (size_t i = 0; i < n; i += BLOCK) {
            size_t m = n - i < BLOCK ? n - i : BLOCK;
            const int32_t *a = answers + i;
#if defined(SCORE_HAVE_AVX2)
            /* the vector kernel takes the block's multiple of 64 (the last
             * block is whatever the head left: a whole one is rare) */
            if (simd != SCORE_PORTABLE && m >= 64) {
                const size_t mv = m & ~(size_t)63;
                if (simd == SCORE_AVX512 ? block_count_avx512(a, mv, min, nv, acc)
                                         : block_count_avx2(a, mv, min, nv, acc))
                    return KPI_ERR_RANGE;
                if (mv == m)
                    continue;
                /* the last (at most 63) singly: the pair tables' clearing
                 * and folding would cost more than they save */
                if (tail_bad(a + mv, m - mv, min, span))
                    return KPI_ERR_RANGE;
                for (size_t j = mv; j < m; j++)
                    acc[(uint32_t)a[j] - min]++;
                continue;
            }
#endif
            uint32_t bad = m == BLOCK ? block_bad(a, min, span) : tail_bad(a, m, min, span);
            if (bad)
                return KPI_ERR_RANGE;
            if (blocks % PAIR_FLUSH == 0)
                memset(p, 0, sizeof p);
            size_t even = m & ~(size_t)7;
            pair_count(a, even, min, p);
            for (size_t j = even; j < m; j++)
                acc[(uint32_t)a[j] - min]++;
            if (++blocks % PAIR_FLUSH == 0)
                pair_flush(p, acc);
        }
        if (blocks % PAIR_FLUSH != 0)
            pair_flush(p, acc);
    } else {
        uint32_t c[4][SMALL_VALS];
        for (size_t i = 0; i < n; i += BLOCK) {
            size_t m = n - i < BLOCK ? n - i : BLOCK;
            uint32_t bad = m == BLOCK ? block_bad(answers + i, min, span)
                                      : tail_bad(answers + i, m, min, span);
            if (bad)
                return KPI_ERR_RANGE;
            memset(c, 0, sizeof c);
            block_count(answers + i, m, min, c);
            for (uint32_t v = 0; v < nv; v++)
                acc[v] += (uint64_t)c[0][v] + c[1][v] + c[2][v] + c[3][v];
        }
    }
    for (uint32_t v = 0; v < nv; v++)
        s->counts[v] += acc[v];
    s->total = total;
    return KPI_OK;
}

/* ---- reads -------------------------------------------------------------- */

uint64_t kpi_score_count(const kpi_score *s)
{
    return kpi__is(s, &kpi__score_type) ? s->total : 0;
}

int kpi_score_scale(const kpi_score *s, int32_t *min, int32_t *max)
{
    if (!kpi__is(s, &kpi__score_type) || min == NULL || max == NULL)
        return KPI_ERR_INVALID;
    *min = s->min;
    *max = s->max;
    return KPI_OK;
}

int kpi_score_count_of(const kpi_score *s, int32_t answer, uint64_t *out)
{
    if (!kpi__is(s, &kpi__score_type) || out == NULL)
        return KPI_ERR_INVALID;
    if (!on_scale(s, answer))
        return KPI_ERR_RANGE;
    *out = s->counts[(uint32_t)answer - (uint32_t)s->min];
    return KPI_OK;
}

int kpi_score_distribution(const kpi_score *s, uint64_t *counts, size_t cap)
{
    if (!kpi__is(s, &kpi__score_type) || (counts == NULL && cap > 0))
        return KPI_ERR_INVALID;
    if (cap < s->nvals)
        return KPI_ERR_BUFFER;
    memcpy(counts, s->counts, (size_t)s->nvals * sizeof(uint64_t));
    return KPI_OK;
}

static double score_mean_of(const kpi_score *s)
{
    /* sum of (value - min) * count in long double, then shift by min */
    long double sum = 0;
    for (uint32_t i = 0; i < s->nvals; i++)
        sum += (long double)i * (long double)s->counts[i];
    return (double)((long double)s->min + sum / (long double)s->total);
}

int kpi_score_mean(const kpi_score *s, double *out)
{
    if (!kpi__is(s, &kpi__score_type) || out == NULL)
        return KPI_ERR_INVALID;
    if (s->total == 0)
        return KPI_ERR_EMPTY;
    *out = score_mean_of(s);
    return KPI_OK;
}

int kpi_score_mean_ci(const kpi_score *s, kpi_estimate *out)
{
    if (!kpi__is(s, &kpi__score_type) || out == NULL)
        return KPI_ERR_INVALID;
    if (s->total == 0)
        return KPI_ERR_EMPTY;
    double mean = score_mean_of(s);
    out->value = mean;
    out->n = s->total;
    if (s->total < 2) {
        out->lower = -HUGE_VAL;
        out->upper = HUGE_VAL;
        return KPI_OK;
    }
    long double ss = 0;
    for (uint32_t i = 0; i < s->nvals; i++) {
        long double d = (long double)s->min + i - mean;
        ss += d * d * (long double)s->counts[i];
    }
    double sd = sqrt((double)(ss / (long double)(s->total - 1)));
    double half = KPI__Z95 * sd / sqrt((double)s->total);
    out->lower = mean - half;
    out->upper = mean + half;
    return KPI_OK;
}

/* Sum of counts for values in [lo, hi] (both on the scale). */
static uint64_t count_between(const kpi_score *s, int32_t lo, int32_t hi)
{
    uint64_t c = 0;
    for (int64_t v = lo; v <= hi; v++)
        c += s->counts[v - s->min];
    return c;
}

static int share_check(const kpi_score *s, int32_t threshold, const kpi_estimate *out)
{
    if (!kpi__is(s, &kpi__score_type) || out == NULL)
        return KPI_ERR_INVALID;
    if (!on_scale(s, threshold))
        return KPI_ERR_RANGE;
    if (s->total == 0)
        return KPI_ERR_EMPTY;
    return KPI_OK;
}

int kpi_score_share_at_least(const kpi_score *s, int32_t threshold, kpi_estimate *out)
{
    int rc = share_check(s, threshold, out);
    if (rc == KPI_OK)
        kpi__wilson(count_between(s, threshold, s->max), s->total, out);
    return rc;
}

int kpi_score_share_at_most(const kpi_score *s, int32_t threshold, kpi_estimate *out)
{
    int rc = share_check(s, threshold, out);
    if (rc == KPI_OK)
        kpi__wilson(count_between(s, s->min, threshold), s->total, out);
    return rc;
}

int kpi_score_csat(const kpi_score *s, kpi_estimate *out)
{
    if (!kpi__is(s, &kpi__score_type))
        return KPI_ERR_INVALID;
    return s->high_is_easy ? kpi_score_share_at_least(s, s->threshold, out)
                           : kpi_score_share_at_most(s, s->threshold, out);
}

int kpi_score_ces_easy(const kpi_score *s, kpi_estimate *out)
{
    return kpi_score_csat(s, out);
}

static int nps_check(const kpi_score *s)
{
    if (!kpi__is(s, &kpi__score_type))
        return KPI_ERR_INVALID;
    if (!s->has_nps)
        return KPI_ERR_STATE;
    if (s->total == 0)
        return KPI_ERR_EMPTY;
    return KPI_OK;
}

/* The answers, promoters and detractors of an NPS read, checked. */
static int nps_counts(const kpi_score *s, const void *out, double *n, double *np,
                      double *nd)
{
    if (out == NULL)
        return KPI_ERR_INVALID;
    int rc = nps_check(s);
    if (rc != KPI_OK)
        return rc;
    *n = (double)s->total;
    *np = (double)count_between(s, s->promoter_from, s->max);
    *nd = (double)count_between(s, s->min, s->detractor_to);
    return KPI_OK;
}

int kpi_score_nps(const kpi_score *s, kpi_estimate *out)
{
    double n, np, nd;
    int rc = nps_counts(s, out, &n, &np, &nd);
    if (rc != KPI_OK)
        return rc;
    /* the value from the counts; the interval adjusted-Wald (Rocks 2016):
     * 3/4 of an answer added to promoters and to detractors, 3 to n, so
     * that a sample all in one class still has a width */
    double nps = (np - nd) / n * 100.0;
    double na = n + 3.0, pa = (np + 0.75) / na, da = (nd + 0.75) / na;
    double c = pa - da, var = pa + da - c * c;
    double margin = KPI__Z95 * sqrt(var > 0 ? var / na : 0.0);
    double lo = (c - margin) * 100.0, hi = (c + margin) * 100.0;
    lo = lo < -100.0 ? -100.0 : lo;
    hi = hi > 100.0 ? 100.0 : hi;
    out->value = nps;
    out->lower = lo < nps ? lo : nps; /* one answer: the interval would miss it */
    out->upper = hi > nps ? hi : nps;
    out->n = s->total;
    return KPI_OK;
}

int kpi_score_nps_margin(const kpi_score *s, double *out)
{
    double n, np, nd;
    int rc = nps_counts(s, out, &n, &np, &nd);
    if (rc != KPI_OK)
        return rc;
    /* the catalogue's plain Wald margin: z sqrt((p + d - (p - d)^2) / n) x 100 */
    double p = np / n, d = nd / n;
    double var = p + d - (p - d) * (p - d);
    *out = KPI__Z95 * sqrt(var > 0 ? var / n : 0.0) * 100.0;
    return KPI_OK;
}

int kpi_score_nps_shares(const kpi_score *s, kpi_estimate *promoters,
                         kpi_estimate *passives, kpi_estimate *detractors)
{
    int rc = nps_check(s);
    if (rc != KPI_OK)
        return rc;
    uint64_t p = count_between(s, s->promoter_from, s->max);
    uint64_t d = count_between(s, s->min, s->detractor_to);
    if (promoters)
        kpi__wilson(p, s->total, promoters);
    if (passives)
        kpi__wilson(s->total - p - d, s->total, passives);
    if (detractors)
        kpi__wilson(d, s->total, detractors);
    return KPI_OK;
}
