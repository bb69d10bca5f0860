/*
 * Top-k labels and ids: one Space-Saving core (Metwally, Agrawal and
 * El Abbadi, ICDT 2005) parameterised by key kind, behind two public types.
 * SPDX-License-Identifier: MIT
 *
 * Layout of the core (one allocation, struct of arrays; all of it is a few
 * tens of bytes per counter, so m = 1000 stays in L1/L2):
 * - per slot s (fixed while its label is monitored): key[s] (the id; for
 *   a label longer than INL bytes the arena offset of its record), err[s],
 *   pos[s] (its position in the order), tix[s] (its entry in the index),
 *   and for strings len[s] and lab[s] (INL bytes, the label zero-padded
 *   when it fits inline);
 * - per position p: order[p], the slot at p, sorted by count descending,
 *   and bk[p], the run (bucket) p belongs to.  A run is a maximal block of
 *   equal counts: bcount[b] is its count, bstart[b] its first position;
 *   free runs are kept on a stack.  The count of slot s is
 *   bcount[bk[pos[s]]];
 * - a unit increment of the slot at p swaps it with the first position of
 *   its run (O(1)) and moves it into the run above when that run's count
 *   is one more, else gives it a run of its own (its old run's bucket when
 *   it was alone).  A weight w > 1 carries it over each run it overtakes
 *   (one swap per run).  The minimum is at position size - 1.  (A
 *   branch-free version of the unit step was slower: writing every field
 *   on every add, the free-run count included, chains each add to the
 *   previous one through store-to-load forwarding.);
 * - rank order (a cache for reads): rk[p], for the positions of a run
 *   sorted by key, the slot at rank p, valid while rstamp[run] equals the
 *   total (see ss_rank);
 * - index: T >= 4 x capacity entries in groups of GRP = 16, Swiss-table
 *   style: ctrl[T] one-byte tags (0x80 | the hash's top 7 bits; 0 =
 *   empty),
 *   islot[T] and, for labels only, ikey[T] (the label's whole hash).  A key
 *   lives in its home group (low hash bits) unless that group was full
 *   when it was inserted; then it goes to the next group with room and
 *   every group passed gets its ovf flag (never cleared before a reset).
 *   A lookup compares the 16 tags of a group at once (SSE2; a scalar loop
 *   elsewhere, or with KPI__TOPK_SCALAR), checks each tag match (ids:
 *   key[islot[i]], labels: ikey, then the label), and stops at the
 *   first group without the ovf flag.  Deleting an entry is one write
 *   (its tag to 0); the index is at most 1/4 full, so groups are full
 *   very rarely.  An eviction inserts the new key at the empty entry its
 *   miss probe found, then deletes the old key's entry (known from tix).
 *   (The previous index, linear probing with backward-shift deletion,
 *   cost about a mispredicted branch per add between hit/miss probing and
 *   where a shift stopped.  Ids kept their 8-byte id in the entry too
 *   until the rank cache came: 32 KiB of m = 1000's object, no measurable
 *   speed, since the hit branch is predicted and the slot's id is only
 *   read to confirm it.);
 * - arena (labels longer than INL bytes only): records [u32 slot][u8 len]
 *   [bytes].  A replaced label's record becomes garbage; when an append
 *   does not fit, live records are compacted in place (a record is live
 *   when its slot still points at it), so no allocation is needed.  Every
 *   add first reserves the capacity the whole call could need (see
 *   reserve_for), so a call never allocates once it has started changing
 *   state.
 *
 * Short labels are compared as three little-endian words (zero-padded) and
 * the length; the words are read from the caller's bytes with loads that
 * never pass the label's end.
 *
 * Merge follows the mergeable Space-Saving summary (Agarwal et al., "Mergeable
 * summaries", PODS 2012): counts and errors add; a label missing on one
 * side takes that side's minimum counter (0 when not full) as extra count
 * and error; the m largest are kept.  With the sum of each side's counters
 * at most its N, the kept counters sum to at most N, so the minimum stays
 * at most N / m; every dropped label has an upper count at most the new
 * minimum.
 */
#include "codec.h"
#include "kpi/topk.h"

#include <stdlib.h>
#if defined(__STDC_VERSION__) && __STDC_VERSION__ >= 201112L && \
    !defined(__STDC_NO_ATOMICS__)
#include <stdatomic.h>
#define RANK_CACHE 1
#else
#define RANK_CACHE 0 /* ranks of long runs are then selected per read */
#endif
#if defined(__SSE2__) && !defined(KPI__TOPK_SCALAR)
#include <emmintrin.h>
#endif

#define REC_HDR 5u
#define REC_MAX (REC_HDR + KPI_TOPK_MAX_LABEL)
#define INL 24u /* labels of at most INL bytes are stored in their slot */
#define EMPTY UINT32_MAX
#define EMPTY_ENTRY UINT64_MAX
#define NONE UINT32_MAX /* bk[] of a position past the last */

#if defined(__GNUC__)
#define TK_INLINE static inline __attribute__((always_inline))
#else
#define TK_INLINE static inline
#endif

#if defined(__GNUC__)
#define TK_NOINLINE __attribute__((noinline))
#else
#define TK_NOINLINE
#endif

enum { KIND_ID = 0, KIND_STR = 1 };

typedef struct ss_core {
    int kind;
    uint32_t cap;
    uint32_t size;
    uint64_t total;
    bool lossy; /* a label was ever evicted: counts may be overestimates */
    void *block; /* the one allocation holding every array below */
    uint8_t *ctrl;    /* [T] index entries' tags, 0 = empty */
    uint64_t *ikey;   /* [T] entries' key hashes, labels only */
    uint32_t *islot;  /* [T] entries' slots */
    uint8_t *ovf;     /* [T / GRP] a group ever overflowed */
    size_t gmask;     /* T / GRP - 1 */
    uint64_t *key;    /* [cap] */
    uint64_t *err;    /* [cap] */
    uint64_t *bcount; /* [cap + 2]: cap + 1 runs and the sentinel SENT */
    uint64_t *lab;    /* [cap * INL / 8], strings only */
    uint32_t *pos;    /* [cap] */
    uint32_t *tix;    /* [cap] */
    uint32_t *order;  /* [cap] */
    uint32_t *bk;     /* [cap]; bk[-1] = SENT and bk[size..cap] = NONE */
    uint32_t *bstart; /* [cap + 2] (SENT's is never used) */
    uint32_t *bfree;  /* [cap + 1] */
    uint32_t nfree;
#if RANK_CACHE
    uint32_t *rk;     /* [cap] the slot at each rank, where sorted (below) */
    _Atomic uint64_t *rstamp; /* [cap + 2] the total a run was sorted at */
    atomic_uint *rlock; /* held by the const read that sorts a run */
#endif
    uint8_t *len;     /* [cap], strings only */
    uint8_t *arena;
    size_t arena_cap, arena_used, arena_live;
    uint64_t sp_mul; /* the multiplier the last sparse count placed ids by
                      * (0: none yet), where the next one starts: a hint
                      * for speed, no part of the state */
} ss_core;

/* the layout of both public types */
typedef struct tk {
    kpi__object base;
    ss_core c;
} tk;

struct kpi_topk {
    kpi__object base;
    ss_core c;
};
struct kpi_topk_id {
    kpi__object base;
    ss_core c;
};

/* a key being looked up or added */
typedef struct ss_key {
    uint64_t hash;
    uint64_t id;
    uint64_t w[3]; /* a short label, zero-padded little-endian words */
    const uint8_t *label;
    size_t len;
} ss_key;

/* ---- hashing ------------------------------------------------------------ */

/* 64 x 64 -> 128-bit multiply, folded (low xor high).  On x86-64 the one
 * mul instruction, written out: gcc 12 -O2 passed the 128-bit product
 * through the stack in functions with arrays on the stack (the count
 * loops), a store and a reload on every hash's critical path. */
static inline uint64_t fold(uint64_t a, uint64_t b)
{
#if defined(__GNUC__) && defined(__x86_64__)
    uint64_t lo = a, hi;
    __asm__("mulq %2" : "+a"(lo), "=d"(hi) : "rm"(b) : "cc");
    return lo ^ hi;
#elif defined(__SIZEOF_INT128__)
    __extension__ typedef unsigned __int128 u128;
    u128 r = (u128)a * b;
    return (uint64_t)r ^ (uint64_t)(r >> 64);
#else
    uint64_t al = (uint32_t)a, ah = a >> 32, bl = (uint32_t)b, bh = b >> 32;
    uint64_t ll = al * bl, lh = al * bh, hl = ah * bl, hh = ah * bh;
    uint64_t mid = (ll >> 32) + (uint32_t)lh + (uint32_t)hl;
    uint64_t lo = (mid << 32) | (uint32_t)ll;
    uint64_t hi = hh + (lh >> 32) + (hl >> 32) + (mid >> 32);
    return lo ^ hi;
#endif
}

#define H0 UINT64_C(0xa0761d6478bd642f)
#define H1 UINT64_C(0xe7037ed1a0b428db)
#define H2 UINT64_C(0x8ebc6af09c88c6e3)
#define H3 UINT64_C(0x589965cc75374cc3)

/* Little-endian load of n (4 or 8) bytes at any alignment; one load
 * instruction on a little-endian host. */
static inline uint64_t ld_le(const uint8_t *p, size_t n)
{
    uint64_t v = 0;
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    memcpy(&v, p, n);
#else
    for (size_t i = n; i-- > 0;)
        v = v << 8 | p[i];
#endif
    return v;
}

static inline uint64_t ld64(const uint8_t *p) { return ld_le(p, 8); }
static inline uint64_t ld32(const uint8_t *p) { return ld_le(p, 4); }

static inline void st64(uint8_t *p, uint64_t v)
{
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    memcpy(p, &v, 8);
#else
    for (int i = 0; i < 8; i++)
        p[i] = (uint8_t)(v >> (8 * i));
#endif
}

/* The first n (1..8) bytes at p as a zero-padded little-endian word, read
 * without touching p[n] or beyond. */
static inline uint64_t ld_upto8(const uint8_t *p, size_t n)
{
    if (n >= 4)
        return ld32(p) | (ld32(p + n - 4) >> (8 * (8 - n))) << 32;
    return (uint64_t)p[0] | (uint64_t)p[n / 2] << (8 * (n / 2)) |
           (uint64_t)p[n - 1] << (8 * (n - 1));
}

/* Bytes [8, n) of a label of 9..16 bytes as a zero-padded word. */
static inline uint64_t ld_tail(const uint8_t *p, size_t n)
{
    return ld64(p + n - 8) >> (8 * (16 - n));
}

/* Hash of a short label given as words (zero-padded) and its length. */
static inline uint64_t hash_words(const uint64_t *w, size_t len)
{
    uint64_t h = fold(w[0] ^ H0, w[1] ^ H1);
    return fold(h ^ w[2] ^ H2, (uint64_t)len ^ H3);
}

/* Hash of a label longer than INL bytes: 16-byte steps, the last 16
 * bytes overlapping. */
static uint64_t hash_long(const uint8_t *p, size_t len)
{
    uint64_t h = (uint64_t)len ^ H3;
    size_t i = 0;
    for (; i + 16 < len; i += 16)
        h = fold(ld64(p + i) ^ h ^ H0, ld64(p + i + 8) ^ H1);
    h = fold(ld64(p + len - 16) ^ h ^ H0, ld64(p + len - 8) ^ H1);
    return fold(h ^ H2, (uint64_t)len ^ H3);
}

static inline uint64_t hash_id(uint64_t id) { return fold(id ^ H0, H1); }

static inline ss_key key_id(uint64_t id)
{
    ss_key k;
    k.hash = hash_id(id);
    k.id = id;
    k.label = NULL;
    k.len = 0;
    return k;
}

/* Split label bytes into the key words (len 1..KPI_TOPK_MAX_LABEL). */
/* The key words of a label of len <= INL bytes (zero past its end). */
TK_INLINE void label_words(const uint8_t *p, size_t len, uint64_t *w)
{
    if (len <= 8) {
        w[0] = ld_upto8(p, len);
        w[1] = w[2] = 0;
    } else if (len <= 16) {
        w[0] = ld64(p);
        w[1] = ld_tail(p, len);
        w[2] = 0;
    } else {
        w[0] = ld64(p);
        w[1] = ld64(p + 8);
        w[2] = ld_tail(p + 8, len - 8);
    }
}

TK_INLINE ss_key key_str(const char *label, size_t len)
{
    ss_key k;
    const uint8_t *p = (const uint8_t *)label;
    k.id = 0;
    k.label = p;
    k.len = len;
    if (len > INL) {
        k.w[0] = k.w[1] = k.w[2] = 0;
        k.hash = hash_long(p, len);
        return k;
    }
    label_words(p, len, k.w);
    k.hash = hash_words(k.w, len);
    return k;
}

/* ---- core: memory ------------------------------------------------------- */

#define GRP 16u /* index entries per group (one SSE2 compare) */

static size_t table_size(uint32_t cap)
{
    size_t t = GRP;
    while (t < (size_t)cap * 4)
        t *= 2;
    return t;
}

static size_t block_size(int kind, uint32_t cap)
{
    size_t m = cap;
    size_t t = table_size(cap);
    size_t n = t * (4 + 1) + t / GRP + m * 8 * 2 + (m + 2) * 8 +
               m * 4 * 3 + (m + 2) * 4 * 2 + (m + 1) * 4;
    if (RANK_CACHE)
        n += (m + 2) * 8 + m * 4 + 4;
    if (kind == KIND_STR)
        n += t * 8 + m * INL + m;
    return n;
}

static void ss_empty(ss_core *c)
{
    c->size = 0;
    c->total = 0;
    c->lossy = false;
    memset(c->ctrl, 0, c->gmask * GRP + GRP);
    memset(c->ovf, 0, c->gmask + 1);
    c->nfree = c->cap + 1;
    for (uint32_t i = 0; i <= c->cap; i++)
        c->bfree[i] = c->cap - i;
    /* sentinels: position -1 has a run of an impossible count, positions
     * from size on have none */
    c->bk[-1] = c->cap + 1;
    c->bcount[c->cap + 1] = UINT64_MAX;
    memset(c->bk, 0xFF, (size_t)(c->cap + 1) * sizeof *c->bk);
#if RANK_CACHE
    for (uint32_t i = 0; i < c->cap + 2; i++)
        atomic_init(&c->rstamp[i], 0);
    atomic_init(c->rlock, 0);
#endif
    c->arena_used = c->arena_live = 0;
}

static int ss_init(ss_core *c, int kind, uint32_t cap, const kpi_allocator *a)
{
    memset(c, 0, sizeof *c);
    size_t m = cap, t = table_size(cap);
    uint8_t *b = kpi__malloc(a, block_size(kind, cap));
    if (b == NULL)
        return KPI_ERR_NOMEM;
    c->kind = kind;
    c->cap = cap;
    c->block = b;
    if (kind == KIND_STR) {
        c->ikey = (uint64_t *)(void *)b;
        b += t * 8;
    }
    c->gmask = t / GRP - 1;
    c->key = (uint64_t *)(void *)b;
    b += m * 8;
    c->err = (uint64_t *)(void *)b;
    b += m * 8;
    c->bcount = (uint64_t *)(void *)b;
    b += (m + 2) * 8;
#if RANK_CACHE
    c->rstamp = (_Atomic uint64_t *)(void *)b;
    b += (m + 2) * 8;
#endif
    if (kind == KIND_STR) {
        c->lab = (uint64_t *)(void *)b;
        b += m * INL;
    }
    c->pos = (uint32_t *)(void *)b;
    b += m * 4;
    c->tix = (uint32_t *)(void *)b;
    b += m * 4;
    c->islot = (uint32_t *)(void *)b;
    b += t * 4;
    c->order = (uint32_t *)(void *)b;
    b += m * 4;
    c->bk = (uint32_t *)(void *)b + 1;
    b += (m + 2) * 4;
    c->bstart = (uint32_t *)(void *)b;
    b += (m + 2) * 4;
    c->bfree = (uint32_t *)(void *)b;
    b += (m + 1) * 4;
#if RANK_CACHE
    c->rk = (uint32_t *)(void *)b;
    b += m * 4;
    c->rlock = (atomic_uint *)(void *)b;
    b += 4;
#endif
    c->ctrl = b;
    b += t;
    c->ovf = b;
    b += t / GRP;
    if (kind == KIND_STR)
        c->len = b;
    ss_empty(c);
    return KPI_OK;
}

static void ss_release(ss_core *c, const kpi_allocator *a)
{
    kpi__free(a, c->block);
    kpi__free(a, c->arena);
    memset(c, 0, sizeof *c);
}

static void ss_reset(ss_core *c) { ss_empty(c); }

static size_t ss_footprint(const ss_core *c)
{
    return block_size(c->kind, c->cap) + c->arena_cap;
}

/* ---- core: keys and the hash index -------------------------------------- */

/* An entry's tag: the hash's top 7 bits with the high bit set, so never
 * 0 (an empty entry). */
static inline uint8_t tag_of(uint64_t hash)
{
    return (uint8_t)(hash >> 57 | 0x80);
}

/* What an entry stores to confirm a key without reading its slot: the id
 * itself, or a label's whole hash. */
static inline uint64_t ikey_of(const ss_key *k, int kind)
{
    return kind == KIND_ID ? k->id : k->hash;
}

static inline uint8_t *inl_label(const ss_core *c, uint32_t s)
{
    return (uint8_t *)(c->lab + (size_t)s * (INL / 8));
}

static const uint8_t *slot_label(const ss_core *c, uint32_t s)
{
    return c->len[s] <= INL ? inl_label(c, s) : c->arena + c->key[s] + REC_HDR;
}

TK_INLINE bool slot_is(const ss_core *c, uint32_t s, const ss_key *k, int kind)
{
    if (kind == KIND_ID)
        return c->key[s] == k->id;
    if (c->len[s] != k->len)
        return false;
    if (k->len > INL)
        return memcmp(c->arena + c->key[s] + REC_HDR, k->label, k->len) == 0;
    const uint8_t *l = inl_label(c, s);
    return ((ld64(l) ^ k->w[0]) | (ld64(l + 8) ^ k->w[1]) |
            (ld64(l + 16) ^ k->w[2])) == 0;
}

/* Bit i set when tag byte i of the group at g equals t. */
static inline unsigned group_match(const uint8_t *g, uint8_t t)
{
#if defined(__SSE2__) && !defined(KPI__TOPK_SCALAR)
    __m128i v = _mm_loadu_si128((const __m128i *)(const void *)g);
    return (unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(v, _mm_set1_epi8((char)t)));
#else
    unsigned m = 0;
    for (unsigned i = 0; i < GRP; i++)
        m |= (unsigned)(g[i] == t) << i;
    return m;
#endif
}

static inline unsigned low_bit(unsigned m) { return kpi__low_bit(m); }

/* The slot holding k, or EMPTY with *at the empty index entry where k
 * would go.  A key lives in its home group (hash bits) or, when that was
 * full as it was inserted, in a later one; a group's ovf flag says some
 * key went past it, so a lookup that misses in a group stops there unless
 * the flag is set.  Deleting an entry is then a single write. */
TK_INLINE uint32_t probe(const ss_core *c, const ss_key *k, int kind,
                         size_t *at)
{
    uint8_t tag = tag_of(k->hash);
    uint64_t want = ikey_of(k, kind);
    size_t g = (size_t)k->hash & c->gmask;
    size_t spot = SIZE_MAX, n = 0;
    *at = 0;
    for (;;) {
        const uint8_t *ct = c->ctrl + g * GRP;
        for (unsigned m = group_match(ct, tag); m != 0; m &= m - 1) {
            size_t i = g * GRP + low_bit(m);
            if (kind == KIND_ID ? c->key[c->islot[i]] == k->id
                                : c->ikey[i] == want &&
                                      slot_is(c, c->islot[i], k, kind))
                return c->islot[i];
        }
        unsigned e = group_match(ct, 0);
        if (spot == SIZE_MAX && e != 0)
            spot = g * GRP + low_bit(e);
        /* (after a whole turn every key has been seen) */
        if (spot != SIZE_MAX && (KPI__LIKELY(!c->ovf[g]) || ++n > c->gmask))
            break;
        g = (g + 1) & c->gmask;
    }
    *at = spot;
    return EMPTY;
}

static uint32_t ss_find(const ss_core *c, const ss_key *k)
{
    size_t at;
    return probe(c, k, c->kind, &at);
}

/* Store k for slot s at empty entry i (from probe); flag each group from
 * k's home group to i's as overflowed. */
TK_INLINE void table_put(ss_core *c, size_t i, const ss_key *k, int kind,
                         uint32_t s)
{
    c->ctrl[i] = tag_of(k->hash);
    if (kind == KIND_STR)
        c->ikey[i] = ikey_of(k, kind);
    c->islot[i] = s;
    c->tix[s] = (uint32_t)i;
    for (size_t g = (size_t)k->hash & c->gmask; KPI__UNLIKELY(g != i / GRP);
         g = (g + 1) & c->gmask)
        c->ovf[g] = 1;
}

static inline void table_delete(ss_core *c, size_t i) { c->ctrl[i] = 0; }

/* ---- core: the label arena (labels longer than INL) --------------------- */

/* Whether label lies in c's arena: a label read from kpi_topk_entry() and
 * passed back.  An add may grow (move) or compact the arena before it has
 * read all of the label (a batch: all of its labels), so such labels are
 * added from a copy. */
static inline bool in_arena(const ss_core *c, const char *label)
{
    return (uintptr_t)label - (uintptr_t)c->arena < c->arena_cap;
}

/* Whether label lies in c's arena or in its slots' inline labels: a batch
 * may also evict a label of at most INL bytes and store another in its
 * slot before a later label of the batch that points there is read. */
static inline bool in_store(const ss_core *c, const char *label)
{
    return in_arena(c, label) ||
           (uintptr_t)label - (uintptr_t)c->lab < (size_t)c->cap * INL;
}

static void compact(ss_core *c)
{
    size_t rd = 0, wr = 0;
    while (rd < c->arena_used) {
        uint32_t s;
        memcpy(&s, c->arena + rd, 4);
        size_t n = REC_HDR + c->arena[rd + 4];
        if (s < c->size && c->len[s] > INL && c->key[s] == rd) {
            if (wr != rd)
                memmove(c->arena + wr, c->arena + rd, n);
            c->key[s] = wr;
            wr += n;
        }
        rd += n;
    }
    c->arena_used = wr;
}

/* Make the arena large enough that `adds` more string adds with labels of
 * at most `maxlen` bytes can never need to allocate: the live records then
 * never exceed live + min(adds, m) records of that size, plus the one being
 * appended, and never m records of REC_MAX.  Short labels need none. */
static int reserve_long(ss_core *c, const kpi_allocator *a, size_t adds,
                        size_t maxlen)
{
    size_t rec = REC_HDR + maxlen;
    size_t changed = adds < c->cap ? adds : c->cap;
    size_t need = c->arena_live + changed * rec;
    size_t abs_max = (size_t)c->cap * REC_MAX;
    if (need > abs_max)
        need = abs_max;
    need += rec;
    if (need <= c->arena_cap)
        return KPI_OK;
    size_t ncap = c->arena_cap * 2;
    if (ncap < need)
        ncap = need;
    if (ncap > abs_max + REC_MAX)
        ncap = abs_max + REC_MAX;
    uint8_t *na = kpi__realloc(a, c->arena, ncap);
    if (na == NULL)
        return KPI_ERR_NOMEM;
    c->arena = na;
    c->arena_cap = ncap;
    return KPI_OK;
}

static inline int reserve_for(ss_core *c, const kpi_allocator *a, size_t adds,
                              size_t maxlen)
{
    return maxlen <= INL ? KPI_OK : reserve_long(c, a, adds, maxlen);
}

/* Store k's label for slot s (capacity reserved by the caller); `had`:
 * s held a label before. */
TK_INLINE void put_label(ss_core *c, uint32_t s, const ss_key *k, bool had)
{
    if (had && c->len[s] > INL)
        c->arena_live -= REC_HDR + c->len[s];
    c->len[s] = (uint8_t)k->len;
    if (k->len <= INL) {
        uint8_t *l = inl_label(c, s);
        st64(l, k->w[0]);
        st64(l + 8, k->w[1]);
        st64(l + 16, k->w[2]);
        return;
    }
    size_t rec = REC_HDR + k->len;
    /* s's old record, if any, is garbage now (arena_live no longer counts
     * it); key[s] may still hold its offset (also after a short label came
     * in between), and with len[s] already long, compact() would keep it */
    c->key[s] = UINT64_MAX;
    if (c->arena_used + rec > c->arena_cap)
        compact(c);
    uint8_t *p = c->arena + c->arena_used;
    memcpy(p, &s, 4);
    p[4] = (uint8_t)k->len;
    memcpy(p + REC_HDR, k->label, k->len);
    c->key[s] = c->arena_used;
    c->arena_used += rec;
    c->arena_live += rec;
}

/* ---- core: order and runs ----------------------------------------------- */

static inline uint64_t count_at(const ss_core *c, size_t p)
{
    return c->bcount[c->bk[p]];
}

static inline uint64_t slot_count(const ss_core *c, uint32_t s)
{
    return count_at(c, c->pos[s]);
}

/* Swap the slots at positions a and b (their runs stay with the
 * positions). */
static inline void swap_pos(ss_core *c, uint32_t a, uint32_t b)
{
    uint32_t sa = c->order[a], sb = c->order[b];
    c->order[a] = sb;
    c->order[b] = sa;
    c->pos[sb] = a;
    c->pos[sa] = b;
}

/* The slot at position q belongs to no run and its count is now v (no
 * smaller than any count below q): carry it up over every run with a
 * smaller count, then join the run above if its count is v, else start a
 * run, in bucket `own` when that is not EMPTY. */
TK_INLINE void place(ss_core *c, uint32_t q, uint64_t v, uint32_t own)
{
    while (KPI__UNLIKELY(q > 0 && count_at(c, q - 1) < v)) {
        uint32_t above = c->bk[q - 1], r = c->bstart[above];
        swap_pos(c, q, r);
        c->bk[q] = above;
        c->bstart[above] = r + 1;
        q = r;
    }
    if (q > 0 && count_at(c, q - 1) == v) {
        c->bk[q] = c->bk[q - 1];
        if (own != EMPTY)
            c->bfree[c->nfree++] = own;
        return;
    }
    if (own == EMPTY)
        own = c->bfree[--c->nfree];
    c->bcount[own] = v;
    c->bstart[own] = q;
    c->bk[q] = own;
}

/* Add w to the count of the slot at position p. */
TK_INLINE void bump(ss_core *c, uint32_t p, uint64_t w)
{
    uint32_t b = c->bk[p], a = c->bstart[b];
    if (p != a)
        swap_pos(c, p, a);
    uint32_t own = EMPTY;
    if (c->bk[a + 1] == b)
        c->bstart[b] = a + 1; /* the run keeps its other members */
    else
        own = b; /* it was alone: its bucket is free to reuse */
    place(c, a, c->bcount[b] + w, own);
}

/* Add 1 to the count of the slot at position p: swap it to the head of
 * its run; when it was alone there it keeps its bucket (count + 1) unless
 * the run above has that count, which it then joins; otherwise the run
 * keeps the rest and it joins the run above or takes a free bucket.  The
 * common case of a heavy label alone in its run writes one count and no
 * shared field, so consecutive adds do not wait on each other's stores. */
TK_INLINE void bump1(ss_core *c, uint32_t p)
{
    uint32_t b = c->bk[p], a = c->bstart[b];
    uint64_t v = c->bcount[b] + 1;
    if (p != a)
        swap_pos(c, p, a);
    uint32_t up = c->bk[(ptrdiff_t)a - 1]; /* SENT when a is 0 */
    bool join = c->bcount[up] == v && a > 0;
    if (c->bk[a + 1] != b) { /* alone */
        if (KPI__LIKELY(!join)) {
            c->bcount[b] = v;
            return;
        }
        c->bfree[c->nfree++] = b;
        c->bk[a] = up;
        return;
    }
    c->bstart[b] = a + 1;
    if (join) {
        c->bk[a] = up;
        return;
    }
    uint32_t nb = c->bfree[--c->nfree];
    c->bcount[nb] = v;
    c->bstart[nb] = a;
    c->bk[a] = nb;
}

/* ---- core: updates ------------------------------------------------------ */

/* One Space-Saving update; validation and reservation are done. */
TK_INLINE void ss_add_any(ss_core *c, const ss_key *k, uint64_t w, int kind)
{
    c->total += w;
    size_t at;
    uint32_t s = probe(c, k, kind, &at);
    if (KPI__LIKELY(s != EMPTY)) {
        if (KPI__LIKELY(w == 1))
            bump1(c, c->pos[s]);
        else
            bump(c, c->pos[s], w);
        return;
    }
    if (c->size < c->cap) {
        s = c->size++;
        c->order[s] = s;
        c->pos[s] = s;
        c->err[s] = 0;
        if (kind == KIND_ID)
            c->key[s] = k->id;
        else
            put_label(c, s, k, false);
        table_put(c, at, k, kind, s);
        place(c, s, w, EMPTY);
        return;
    }
    /* replace the minimum (the last position) */
    uint32_t p = c->size - 1;
    s = c->order[p];
    c->lossy = true;
    c->err[s] = count_at(c, p);
    size_t old = c->tix[s];
    if (kind == KIND_ID)
        c->key[s] = k->id;
    else
        put_label(c, s, k, true);
    table_put(c, at, k, kind, s);
    table_delete(c, old);
    if (KPI__LIKELY(w == 1))
        bump1(c, p);
    else
        bump(c, p, w);
}

static TK_NOINLINE void ss_add_id(ss_core *c, uint64_t id, uint64_t w)
{
    ss_key k = key_id(id);
    ss_add_any(c, &k, w, KIND_ID);
}

static TK_NOINLINE void ss_add_str(ss_core *c, const ss_key *k, uint64_t w)
{
    ss_add_any(c, k, w, KIND_STR);
}

/* ss_add_any with its most common case inline: a unit weight for a key
 * found at the first tag match in its home group.  Everything else (a
 * miss, an insertion, an eviction, a weight) goes to the out-of-line
 * copy, so the common case needs few registers and no stack frame. */
TK_INLINE void ss_add(ss_core *c, const ss_key *k, uint64_t w, int kind)
{
    if (kind == KIND_ID) {
        ss_add_any(c, k, w, KIND_ID);
        return;
    }
    size_t i = ((size_t)k->hash & c->gmask) * GRP;
    unsigned m = group_match(c->ctrl + i, tag_of(k->hash));
    if (KPI__LIKELY(m != 0 && w == 1)) {
        i += low_bit(m);
        if (KPI__LIKELY(c->ikey[i] == ikey_of(k, kind) &&
                        (kind == KIND_ID ||
                         slot_is(c, c->islot[i], k, kind)))) {
            c->total++;
            bump1(c, c->pos[c->islot[i]]);
            return;
        }
    }
    if (kind == KIND_ID)
        ss_add_id(c, k->id, w);
    else
        ss_add_str(c, k, w);
}

/* ---- core: batches of small ids while exact ------------------------------ */

/* A batch of ids below DENSE, on a summary that has never evicted, whose
 * distinct ids all fit: one-at-a-time adds would then never evict, so
 * they end with each id's count plus its number in the batch, errors 0.
 * The batch is counted first into a dense table on the stack (four
 * interleaved 32-bit tables, so that neighbouring equal ids do not wait
 * on each other's stores; an id's low bits index it, and the OR of all
 * ids, kept in the same pass, says afterwards whether every id was below
 * DENSE), then each distinct id gets one weighted add, in order of final
 * count descending (ties: id ascending), so that an id seldom overtakes a
 * run (one swap per run overtaken).  Every read is then what the singles
 * give: counts and bounds are exact, and ranks order equal counts by id,
 * not by position.  What may differ is the order of equal counts inside
 * the summary (which tied minimum a later eviction takes: unspecified, see
 * topk.h, and the order of entries in serialized bytes).  A batch with
 * ids at or above DENSE tries the sparse count below; anything else (too
 * many new ids, a lossy summary, a small batch, many runs to cross) takes
 * the one-at-a-time path. */

#define DENSE 256u          /* ids below this are counted densely */
#define DENSE_LANES 4u      /* interleaved tables */
#define DENSE_MIN_BATCH 32u /* smaller batches go one at a time */
#define DENSE_BLOCK 4096u   /* ids between checks of the OR */
/* ids per flush of the 32-bit tables into 64-bit totals: a multiple of
 * DENSE_BLOCK that no table cell can reach 2^32 within (a test build sets
 * a smaller one with KPI__TOPK_FLUSH, so that its suite runs the flushes) */
#if defined(KPI__TOPK_FLUSH)
#define DENSE_FLUSH ((size_t)KPI__TOPK_FLUSH)
#else
#define DENSE_FLUSH ((size_t)1 << 31)
#endif

/* The count of each id in ids[0, n) into tot[DENSE]; false (tot then
 * meaningless) as soon as some id is DENSE or more. */
static TK_NOINLINE bool dense_count(const uint64_t *ids, size_t n,
                                    uint64_t *tot)
{
    uint32_t h[DENSE_LANES][DENSE];
    const uint64_t mask = DENSE - 1;
    uint64_t any = 0;
    memset(tot, 0, DENSE * sizeof *tot);
    memset(h, 0, sizeof h);
    for (size_t i = 0; i < n;) {
        size_t end = n - i < DENSE_BLOCK ? n : i + DENSE_BLOCK;
        for (; i + DENSE_LANES <= end; i += DENSE_LANES) {
            uint64_t x0 = ids[i], x1 = ids[i + 1], x2 = ids[i + 2],
                     x3 = ids[i + 3];
            any |= (x0 | x1) | (x2 | x3);
            h[0][x0 & mask]++;
            h[1][x1 & mask]++;
            h[2][x2 & mask]++;
            h[3][x3 & mask]++;
        }
        for (; i < end; i++) {
            any |= ids[i];
            h[0][ids[i] & mask]++;
        }
        if (any >= DENSE)
            return false;
        if (i % DENSE_FLUSH == 0 || i == n) {
            for (uint32_t v = 0; v < DENSE; v++)
                tot[v] += (uint64_t)h[0][v] + h[1][v] + h[2][v] + h[3][v];
            memset(h, 0, sizeof h);
        }
    }
    return true;
}

/* ---- core: batches counted first (the dense and the sparse count) ------- */

/*
 * Batches with ids of any size (interned ids, hashes, database keys) of
 * at most SPARSE_MAX distinct ids take the same way: they are counted in
 * a small hash table on the stack, then added as one weighted add per id
 * on the same conditions.  More distinct ids (or more than the summary
 * holds) go one at a time, as before.  Neither count allocates.
 */
#define SPARSE_MAX DENSE              /* distinct ids a counted batch may have */
#define SPARSE_CELLS (2 * SPARSE_MAX) /* hash table cells (a power of 2) */

typedef struct sp_ent {
    uint64_t id, n; /* the id, its number in the batch (0: an empty cell) */
} sp_ent;

/* One weighted add: the id, its count after the batch, its weight. */
typedef struct sp_add {
    uint64_t final, id, w;
} sp_add;

/* The home cell of id in a table of mask + 1 cells: from the hash's high
 * half (its low bits vary little over ids whose own low bits do not, such
 * as pointers to objects 64 bytes apart: their 60 ids had displaced up to
 * 10 of each other in 512 cells, against 0 to 2 this way). */
static inline size_t sp_home(uint64_t id, size_t mask)
{
    return (size_t)(hash_id(id) >> 32) & mask;
}

/* The home cell of id in the sparse count's own table (below) of 2^(64 -
 * shift) home cells: the top bits of its product by an odd multiplier (a
 * multiply and a shift); the count chooses the multiplier (see
 * sp_replace). */
#define SP_MUL UINT64_C(0x9E3779B97F4A7C15)
static inline size_t sp_home_by(uint64_t id, uint64_t mul, unsigned shift)
{
    return (size_t)((id * mul) >> shift);
}

/* The shift that gives sp_home_by a table of mask + 1 cells (a power of
 * 2). */
static inline unsigned sp_shift(size_t mask)
{
    unsigned s = 64;
    for (; mask != 0; mask >>= 1)
        s--;
    return s;
}

/* The cell of id in tab (of mask + 1 cells), or the empty cell for it. */
static inline sp_ent *sp_cell(sp_ent *tab, size_t mask, uint64_t id)
{
    size_t h = sp_home(id, mask);
    while (tab[h].n != 0 && tab[h].id != id)
        h = (h + 1) & mask;
    return &tab[h];
}

/* The most distinct keys a batch of n may have and still be counted first
 * into a summary c: at most its capacity and SPARSE_MAX, and at most four
 * runs to cross per key of the batch (each weighted add crosses at most
 * `size` runs, size >= c->size: see add_counted) - so that a count that
 * cannot be used stops early. */
static size_t count_limit_of(const ss_core *c, size_t n, size_t most)
{
    size_t limit = c->cap < most ? c->cap : most;
    if (c->size > 0 && 4 * (uint64_t)n / c->size < limit)
        limit = (size_t)(4 * (uint64_t)n / c->size);
    return limit;
}

static size_t count_limit(const ss_core *c, size_t n)
{
    return count_limit_of(c, n, SPARSE_MAX);
}

/* Cells (a power of 2, at most SPARSE_CELLS) for twice `most` keys. */
static size_t count_cells(size_t most)
{
    size_t cells = 16;
    while (cells < 2 * most)
        cells *= 2;
    return cells;
}

/* a goes before b: a larger final count, or the same and a smaller id */
static inline bool sp_add_before(const sp_add *a, const sp_add *b)
{
    return a->final > b->final || (a->final == b->final && a->id < b->id);
}

/* Insertion sort: at most SPARSE_MAX entries, put nearly in order by the
 * caller (kpi__sort's indirect comparisons cost more than the count of a
 * short batch). */
static void sp_add_sort(sp_add *t, size_t d)
{
    for (size_t i = 1; i < d; i++) {
        sp_add x = t[i];
        size_t j = i;
        for (; j > 0 && sp_add_before(&x, &t[j - 1]); j--)
            t[j] = t[j - 1];
        t[j] = x;
    }
}

static int sp_add_cmp(const void *pa, const void *pb)
{
    const sp_add *a = pa, *b = pb;
    return sp_add_before(a, b) ? -1 : sp_add_before(b, a) ? 1 : 0;
}

/* Sort t[0, h + f): its first h entries nearly in order (insertion sort),
 * its last f in any (kpi__sort), then the two merged through tmp (h + f
 * entries): at most a few thousand distinct ids, all new ones possibly
 * out of order, never the quadratic worst case of one insertion sort. */
static void sp_add_sort_two(sp_add *t, size_t h, size_t f, sp_add *tmp)
{
    sp_add_sort(t, h);
    kpi__sort(t + h, f, sizeof *t, sp_add_cmp);
    size_t i = 0, j = h, k = 0;
    while (i < h && j < h + f)
        tmp[k++] = sp_add_before(&t[j], &t[i]) ? t[j++] : t[i++];
    while (i < h)
        tmp[k++] = t[i++];
    while (j < h + f)
        tmp[k++] = t[j++];
    memcpy(t, tmp, k * sizeof *t);
}

/* The d distinct ids of a batch of n, counted in tab, added as one weight
 * each (see above); false, changing nothing, when that does not apply
 * (more than `limit` of them, or what add_counted allows).  held (one per
 * cell) and t (d entries; with `fresh_sorted`, 2 d) are the caller's
 * scratch.  The caller checked the total for overflow and that the
 * summary has never evicted. */
static bool add_counted_in(ss_core *c, sp_ent *tab, size_t cells, size_t d, size_t n,
                           size_t limit, bool *held, sp_add *t, bool fresh_sorted)
{
    if (d > limit)
        return false;
    size_t fresh = 0;
    for (size_t i = 0; i < cells; i++) {
        held[i] = false;
        if (tab[i].n == 0)
            continue;
        ss_key k = key_id(tab[i].id);
        held[i] = ss_find(c, &k) != EMPTY;
        fresh += !held[i];
    }
    size_t size = c->size + fresh;
    /* new ids must fit without an eviction; and each add crosses at most
     * `size` runs: keep that below a few swaps per id of the batch (which
     * also bounds the scan of the summary below) */
    if (size > c->cap || d * size > 4 * (uint64_t)n)
        return false;
    /* the held ids in the summary's order (counts descending), then the
     * new ones: after the batch's counts are added, nearly in order */
    size_t m = 0;
    for (uint32_t p = 0; p < c->size; p++) {
        uint64_t id = c->key[c->order[p]];
        const sp_ent *e = sp_cell(tab, cells - 1, id);
        if (e->n != 0)
            t[m++] = (sp_add){count_at(c, p) + e->n, id, e->n};
    }
    for (size_t i = 0; i < cells; i++)
        if (tab[i].n != 0 && !held[i])
            t[m++] = (sp_add){tab[i].n, tab[i].id, tab[i].n};
    if (fresh_sorted)
        sp_add_sort_two(t, m - fresh, fresh, t + d);
    else
        sp_add_sort(t, m);
    for (size_t i = 0; i < m; i++)
        ss_add_id(c, t[i].id, t[i].w);
    return true;
}

static bool add_counted(ss_core *c, sp_ent *tab, size_t cells, size_t d, size_t n)
{
    bool held[SPARSE_CELLS];
    sp_add t[SPARSE_MAX];
    return add_counted_in(c, tab, cells, d, n, count_limit(c, n), held, t, false);
}

/* A batch of n counted into tot[DENSE] (tot[v]: the count of the id v, or
 * with `code8` of the id (int64_t)(int8_t)v, an int8 code's) added as one
 * weight per id (add_counted); false, changing nothing, when that does not
 * apply. */
static bool add_totals(ss_core *c, const uint64_t *tot, size_t n, bool code8)
{
    sp_ent tab[SPARSE_CELLS];
    memset(tab, 0, sizeof tab);
    size_t d = 0;
    for (uint32_t v = 0; v < DENSE; v++)
        if (tot[v] != 0) {
            const uint64_t id = code8 ? (uint64_t)(int64_t)(int8_t)(uint8_t)v : v;
            sp_ent *e = sp_cell(tab, SPARSE_CELLS - 1, id);
            e->id = id;
            e->n = tot[v];
            d++;
        }
    return add_counted(c, tab, SPARSE_CELLS, d, n);
}

/* The batch through the dense count; false, changing nothing, when it
 * does not apply (see above).  The caller checked the total for
 * overflow. */
static bool add_dense(ss_core *c, const uint64_t *ids, size_t n)
{
    /* below a block, the sparse count (its table sized to the batch, and
     * stopping early) costs less than clearing and folding the tables */
    if (c->lossy || n < DENSE_BLOCK)
        return false;
    uint64_t tot[DENSE];
    return dense_count(ids, n, tot) && add_totals(c, tot, n, false);
}

/* ---- core: many distinct ids in a short range ----------------------------
 *
 * A batch with more distinct ids than the sparse count takes (SPARSE_MAX),
 * all within RANGE_MAX of the smallest (topic, category or agent ids,
 * pandas' int16 categorical codes widened), into a summary that can hold
 * them all, is counted first too: densely over its range, in tables the
 * object's allocator gives for the call (freed before it returns), then
 * added as one weight per id on add_counted's conditions, as a batch of at
 * most SPARSE_MAX distinct ids is.  Without those tables (the allocator
 * failed), or outside those conditions, the batch goes one id at a time as
 * before: the same reads either way.
 */
#define RANGE_MAX 16384u        /* the widest range counted so */
#define RANGE_IDS_MAX RANGE_MAX /* distinct ids it may have (all of them) */

/* The smallest id of ids[0, n) in *lo and the width of their range (the
 * largest - the smallest + 1) in *r, and true; or false as soon as two
 * are RANGE_MAX or more apart. */
/* [*a, *b] widened to hold [x, y]. */
static inline void widen(uint64_t *a, uint64_t *b, uint64_t x, uint64_t y)
{
    *a = x < *a ? x : *a;
    *b = y > *b ? y : *b;
}

static bool range_of(const uint64_t *ids, size_t n, uint64_t *lo, size_t *r)
{
    /* four ranges so far, each a chain of its own (a compare and a move an
     * id, which one chain would wait on) */
    uint64_t a0 = ids[0], a1 = a0, a2 = a0, a3 = a0, b0 = a0, b1 = a0, b2 = a0, b3 = a0;
    for (size_t i = 0; i < n;) {
        size_t end = n - i < DENSE_BLOCK ? n : i + DENSE_BLOCK;
        for (; i + 4 <= end; i += 4) {
            widen(&a0, &b0, ids[i], ids[i]);
            widen(&a1, &b1, ids[i + 1], ids[i + 1]);
            widen(&a2, &b2, ids[i + 2], ids[i + 2]);
            widen(&a3, &b3, ids[i + 3], ids[i + 3]);
        }
        for (; i < end; i++)
            widen(&a0, &b0, ids[i], ids[i]);
        widen(&a0, &b0, a1, b1);
        widen(&a2, &b2, a3, b3);
        widen(&a0, &b0, a2, b2);
        a1 = a2 = a3 = a0;
        b1 = b2 = b3 = b0;
        if (b0 - a0 >= RANGE_MAX)
            return false;
    }
    *lo = a0;
    *r = (size_t)(b0 - a0) + 1;
    return true;
}

/* The count of each key lo + v of keys[0, n) (all in [lo, lo + r)) into
 * tot[v] (zeroed), through DENSE_LANES tables h of r cells each (zeroed),
 * as the dense count does: one body for the ids (uint64_t keys and lo)
 * and the int16 codes (int16_t keys, int32_t lo). */
#define RANGE_COUNT(keys, n, lo, r, h, tot)                                                   \
    do {                                                                                      \
        uint32_t *h0 = (h), *h1 = (h) + (r), *h2 = (h) + 2 * (r), *h3 = (h) + 3 * (r);       \
        for (size_t i = 0; i < (n);) {                                                        \
            size_t end = (n) - i < DENSE_FLUSH ? (n) : i + DENSE_FLUSH;                       \
            for (; i + DENSE_LANES <= end; i += DENSE_LANES) {                                \
                h0[(keys)[i] - (lo)]++;                                                       \
                h1[(keys)[i + 1] - (lo)]++;                                                   \
                h2[(keys)[i + 2] - (lo)]++;                                                   \
                h3[(keys)[i + 3] - (lo)]++;                                                   \
            }                                                                                 \
            for (; i < end; i++)                                                              \
                h0[(keys)[i] - (lo)]++;                                                       \
            for (size_t v = 0; v < (r); v++) {                                                \
                (tot)[v] += (uint64_t)h0[v] + h1[v] + h2[v] + h3[v];                          \
                h0[v] = h1[v] = h2[v] = h3[v] = 0;                                            \
            }                                                                                 \
        }                                                                                     \
    } while (0)

static void range_count(const uint64_t *ids, size_t n, uint64_t lo, size_t r, uint32_t *h,
                        uint64_t *tot)
{
    RANGE_COUNT(ids, n, lo, r, h, tot);
}

/* The range count's totals (tot[v]: the count of lo + v, over r) added as
 * one weight per distinct id: in a hash table, its flags and the weighted
 * adds allocated for them; false, changing nothing, when there are more
 * than `limit` of them, add_counted_in does not apply, or they cannot be
 * had. */
static bool add_range_totals(ss_core *c, const kpi_allocator *a, const uint64_t *tot,
                             uint64_t lo, size_t r, size_t n, size_t limit)
{
    size_t d = 0;
    for (size_t v = 0; v < r; v++)
        d += tot[v] != 0;
    if (d > limit)
        return false;
    const size_t cells = count_cells(d);
    unsigned char *block =
        kpi__malloc(a, cells * (sizeof(sp_ent) + sizeof(bool)) + 2 * d * sizeof(sp_add));
    if (block == NULL)
        return false;
    sp_ent *tab = (sp_ent *)(void *)block;
    sp_add *t = (sp_add *)(void *)(tab + cells);
    bool *held = (bool *)(void *)(t + 2 * d);
    memset(tab, 0, cells * sizeof *tab);
    for (size_t v = 0; v < r; v++)
        if (tot[v] != 0) {
            sp_ent *e = sp_cell(tab, cells - 1, lo + v);
            e->id = lo + v;
            e->n = tot[v];
        }
    bool done = add_counted_in(c, tab, cells, d, n, limit, held, t, true);
    kpi__free(a, block);
    return done;
}

/* The batch through the range count; false, changing nothing, when it
 * does not apply (see above).  The caller checked the total for overflow
 * and tried the dense and the sparse count (which takes, on the stack,
 * every batch of at most SPARSE_MAX distinct ids that this one would). */
static TK_NOINLINE bool add_range(ss_core *c, const kpi_allocator *a, const uint64_t *ids,
                                  size_t n)
{
    /* up to SPARSE_MAX distinct ids, which every summary can take, the
     * sparse count takes; and the range's tables, cleared and read, must
     * cost little beside the batch */
    uint64_t lo;
    size_t r;
    if (c->lossy || c->cap <= SPARSE_MAX || n < DENSE_BLOCK || !range_of(ids, n, &lo, &r) ||
        r > n)
        return false;
    const size_t limit = count_limit_of(c, n, RANGE_IDS_MAX);
    if (limit <= SPARSE_MAX)
        return false;
    uint64_t *tot = kpi__calloc(a, r, sizeof(uint64_t) + DENSE_LANES * sizeof(uint32_t));
    if (tot == NULL)
        return false;
    range_count(ids, n, lo, r, (uint32_t *)(void *)(tot + r), tot);
    bool done = add_range_totals(c, a, tot, lo, r, n, limit);
    kpi__free(a, tot);
    return done;
}

/* ---- core: int16 codes (kpi_topk_id_add_codes16) ---------------------------
 *
 * pandas' categorical codes for 128 to 32,767 categories (-1: a missing
 * value) take the range count directly: the codes' range (SSE2's 16-bit
 * minimum and maximum, 8 codes an instruction), the four tables over it
 * (allocated for the call, 24 bytes a code of the range: at most 1.5 MB),
 * then add_range_totals.  Code c is the id (uint64_t)(int64_t)c, so lo +
 * v in 64-bit arithmetic (wrapping from -1) is the id of code lo + v.
 * Counted when the summary has never evicted and the weighted adds apply
 * (add_counted_in); otherwise, or without the tables, one code at a time.
 */

/* The smallest and largest of codes[0, n), n >= 1. */
static void codes16_range(const int16_t *codes, size_t n, int32_t *lo, int32_t *hi)
{
    int32_t a = codes[0], b = codes[0];
    size_t i = 0;
#if defined(__SSE2__) && !defined(KPI__TOPK_SCALAR)
    if (n >= 8) {
        __m128i mn = _mm_set1_epi16(codes[0]), mx = mn;
        for (; i + 8 <= n; i += 8) {
            const __m128i x = _mm_loadu_si128((const __m128i *)(const void *)(codes + i));
            mn = _mm_min_epi16(mn, x);
            mx = _mm_max_epi16(mx, x);
        }
        int16_t m[8], x[8];
        _mm_storeu_si128((__m128i *)(void *)m, mn);
        _mm_storeu_si128((__m128i *)(void *)x, mx);
        for (int k = 0; k < 8; k++) {
            a = m[k] < a ? m[k] : a;
            b = x[k] > b ? x[k] : b;
        }
    }
#endif
    for (; i < n; i++) {
        a = codes[i] < a ? codes[i] : a;
        b = codes[i] > b ? codes[i] : b;
    }
    *lo = a;
    *hi = b;
}

static void codes16_count(const int16_t *codes, size_t n, int32_t lo, size_t r, uint32_t *h,
                          uint64_t *tot)
{
    RANGE_COUNT(codes, n, lo, r, h, tot);
}

/* The batch of int16 codes counted over their range and added as one
 * weight per id; false, changing nothing, when that does not apply or
 * its tables cannot be had.  The caller checked the total for overflow. */
static TK_NOINLINE bool add_codes16_counted(ss_core *c, const kpi_allocator *a,
                                            const int16_t *codes, size_t n)
{
    if (c->lossy || n < DENSE_MIN_BATCH)
        return false;
    int32_t lo, hi;
    codes16_range(codes, n, &lo, &hi);
    const size_t r = (size_t)(hi - lo) + 1;
    /* the tables, cleared and read, must cost little beside the batch */
    if (r > n && r > DENSE)
        return false;
    const size_t limit = count_limit_of(c, n, r);
    uint64_t *tot = kpi__calloc(a, r, sizeof(uint64_t) + DENSE_LANES * sizeof(uint32_t));
    if (tot == NULL)
        return false;
    codes16_count(codes, n, lo, r, (uint32_t *)(void *)(tot + r), tot);
    bool done = add_range_totals(c, a, tot, (uint64_t)(int64_t)lo, r, n, limit);
    kpi__free(a, tot);
    return done;
}

/* ---- core: int8 codes (kpi_topk_id_add_codes) -----------------------------
 *
 * A batch of int8 codes (pandas' categorical codes: 0 .. 127, -1 for a
 * missing value) is counted into one total per byte, then added as one
 * weight per id on the dense count's conditions (add_counted).  The count:
 * where the CPU has AVX-512 (F, BW, VBMI, BITALG) and GFNI, each block of
 * CODES_BLOCK codes that holds only codes 0 .. 63 and -1 takes the survey
 * kernel's way (lib/score.c, block_count_512): for each group of 8 values
 * a byte permute turns every code into a one-hot byte of its value within
 * the group (0 outside it, and for -1), one GF(2) affine instruction
 * transposes each 8 such bytes so that byte j holds a bit for each of
 * them equal to value j, and a byte popcount and add count them: 8 groups,
 * 32 instructions, per 64 codes, every value at once.  A first pass takes
 * the block's largest byte (and brings it into L1): below 64, the block
 * is counted so; otherwise, if it holds only codes 0 .. 63 and -1, with
 * the permutes masked to the codes below 64 and -1 counted by a compare
 * and a popcount of its mask.  Byte counters (at most 128 per 16 adds) go
 * into 16-bit ones every 1024 codes, and those into the totals every 16
 * blocks; a block's last (up to 63) codes are counted singly.  Other
 * blocks (codes 64 .. 127 or below -1) and other CPUs: four interleaved
 * tables of 32-bit counters, as the ids' dense count.
 */
#define CODES_BLOCK 4096u
/* how far ahead of a block's first pass the codes are asked for (two
 * blocks): 10 M codes from memory 0.54-0.58 ms with it, 0.75-1.31 without
 * (Zen 5 VM, 2026-12-07) */
#define CODES_PREFETCH 8192
enum { CODES_PORTABLE = 0, CODES_AVX512 = 1 };

/* Add the counts of codes[0, n) to tot (n < 2^32). */
static void codes_tables(const int8_t *codes, size_t n, uint64_t *tot)
{
    uint32_t h[DENSE_LANES][DENSE];
    memset(h, 0, sizeof h);
    size_t i = 0;
    for (; i + DENSE_LANES <= n; i += DENSE_LANES) {
        h[0][(uint8_t)codes[i]]++;
        h[1][(uint8_t)codes[i + 1]]++;
        h[2][(uint8_t)codes[i + 2]]++;
        h[3][(uint8_t)codes[i + 3]]++;
    }
    for (; i < n; i++)
        h[0][(uint8_t)codes[i]]++;
    for (uint32_t v = 0; v < DENSE; v++)
        tot[v] += (uint64_t)h[0][v] + h[1][v] + h[2][v] + h[3][v];
}

#if defined(__GNUC__) && defined(__x86_64__) && !defined(KPI_NO_DISPATCH)
#define CODES_HAVE_512 1
#include <immintrin.h>
#define CODES_T512 __attribute__((target("avx2,avx512f,avx512bw,avx512vbmi,avx512bitalg,gfni")))

/* Whether the m codes at a (a multiple of 64) are all 0 .. 63 or -1. */
CODES_T512 static bool codes_block_ok(const int8_t *a, size_t m)
{
    const __m512i c64 = _mm512_set1_epi8(64), minus1 = _mm512_set1_epi8(-1);
    __mmask64 other = 0;
    for (size_t i = 0; i < m; i += 64) {
        const __m512i x = _mm512_loadu_si512((const void *)(a + i));
        other |= ~(_mm512_cmplt_epu8_mask(x, c64) | _mm512_cmpeq_epi8_mask(x, minus1));
    }
    return other == 0;
}

/* Add the 16-bit counters of each group g to tot[8g .. 8g + 8). */
CODES_T512 static void codes_flush(const __m512i *e, const __m512i *o, uint64_t *tot)
{
    for (int g = 0; g < 8; g++)
        kpi__onehot_sums(e[g], o[g], tot + 8 * g);
}

/* The largest byte of the m codes at a (a multiple of 64), unsigned. */
CODES_T512 static uint8_t codes_block_max(const int8_t *a, size_t m)
{
    __m512i top = _mm512_setzero_si512();
    for (size_t i = 0; i < m; i += 64) {
        /* (an address, not a pointer past the array: never read) */
        _mm_prefetch((const char *)((uintptr_t)(const void *)(a + i) + CODES_PREFETCH),
                     _MM_HINT_T0);
        top = _mm512_max_epu8(top, _mm512_loadu_si512((const void *)(a + i)));
    }
    const __m256i t = _mm256_max_epu8(_mm512_castsi512_si256(top),
                                      _mm512_extracti64x4_epi64(top, 1));
    uint8_t b[32], mx = 0;
    _mm256_storeu_si256((void *)b, t);
    for (int i = 0; i < 32; i++)
        mx = b[i] > mx ? b[i] : mx;
    return mx;
}

/* Count the m codes at a (a multiple of 64, all 0 .. 63, or with `masked`
 * also -1, counted into *missing) into the 16-bit counters e and o. */
#if defined(__GNUC__)
__attribute__((always_inline))
#endif
CODES_T512 static inline void codes_run(const int8_t *a, size_t m, const __m512i *lut, __m512i *e,
                                        __m512i *o, bool masked, uint64_t *missing)
{
    const __m512i c64 = _mm512_set1_epi8(64), minus1 = _mm512_set1_epi8(-1);
    for (size_t j = 0; j < m; j += 1024) {
        __m512i c[8];
#pragma GCC unroll 8
        for (int g = 0; g < 8; g++)
            c[g] = _mm512_setzero_si512();
        const size_t end = m - j < 1024 ? m : j + 1024;
        for (size_t i = j; i < end; i += 64) {
            const __m512i x = _mm512_loadu_si512((const void *)(a + i));
            __mmask64 low = ~(__mmask64)0;
            if (masked) {
                low = _mm512_cmplt_epu8_mask(x, c64);
                *missing += (uint64_t)__builtin_popcountll(_mm512_cmpeq_epi8_mask(x, minus1));
            }
            /* (unrolled: the counters and tables stay in registers) */
#pragma GCC unroll 8
            for (int g = 0; g < 8; g++) {
                const __m512i hot = masked ? _mm512_maskz_permutexvar_epi8(low, x, lut[g])
                                           : _mm512_permutexvar_epi8(x, lut[g]);
                c[g] = _mm512_add_epi8(c[g], kpi__onehot_count(hot));
            }
        }
#pragma GCC unroll 8
        for (int g = 0; g < 8; g++)
            kpi__onehot_widen(c[g], &e[g], &o[g]);
    }
}

CODES_T512 static void codes_count_512(const int8_t *a, size_t n, uint64_t *tot)
{
    __m512i lut[8], e[8], o[8];
    for (int g = 0; g < 8; g++) {
        uint8_t t[64];
        for (int v = 0; v < 64; v++)
            t[v] = (v >> 3) == g ? (uint8_t)(1u << (v & 7)) : 0;
        lut[g] = _mm512_loadu_si512((const void *)t);
        e[g] = o[g] = _mm512_setzero_si512();
    }
    uint64_t missing = 0;
    size_t blocks = 0; /* counted into e and o since their last flush */
    for (size_t b = 0; b < n; b += CODES_BLOCK) {
        const size_t m = n - b < CODES_BLOCK ? n - b : CODES_BLOCK, mv = m & ~(size_t)63;
        const int8_t *blk = a + b;
        /* a block of codes 0 .. 63 only (one maximum says so, and puts
         * the block in L1) is counted without masks; one with -1 too,
         * with them; any other, by the tables */
        if (mv != 0 && codes_block_max(blk, mv) < 64)
            codes_run(blk, mv, lut, e, o, false, &missing);
        else if (mv != 0 && codes_block_ok(blk, mv))
            codes_run(blk, mv, lut, e, o, true, &missing);
        else {
            codes_tables(blk, m, tot);
            continue;
        }
        for (size_t i = mv; i < m; i++)
            tot[(uint8_t)blk[i]]++;
        if (++blocks == 16) {
            codes_flush(e, o, tot);
            for (int g = 0; g < 8; g++)
                e[g] = o[g] = _mm512_setzero_si512();
            blocks = 0;
        }
    }
    codes_flush(e, o, tot);
    tot[(uint8_t)-1] += missing;
    _mm256_zeroupper(); /* (see block_count_avx512 in lib/score.c) */
}
#endif

/* The count of each code of codes[0, n) into tot[DENSE] (by its byte),
 * with the kernel `allow` permits (CODES_AVX512 or CODES_PORTABLE) that
 * the CPU has: every level gives the same totals. */
static void codes_count(const int8_t *codes, size_t n, uint64_t *tot, int allow)
{
    memset(tot, 0, DENSE * sizeof *tot);
#if defined(CODES_HAVE_512)
    if (allow >= CODES_AVX512 && __builtin_cpu_supports("avx512f") &&
        __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512vbmi") &&
        __builtin_cpu_supports("avx512bitalg") && __builtin_cpu_supports("gfni")) {
        codes_count_512(codes, n, tot);
        return;
    }
#else
    (void)allow;
#endif
    for (size_t i = 0; i < n; i += (size_t)1 << 30)
        codes_tables(codes + i, n - i < ((size_t)1 << 30) ? n - i : (size_t)1 << 30, tot);
}

/* The sparse count's own table while it counts (tab, above, gets its
 * totals): key[h] is the id in cell h, or for an empty cell a value whose
 * home is not h, so that one compare at an id's home says it is there
 * (the bits of taken, one per cell, are read only off that path, in
 * sp_probe).  A probe never wraps: past the last home cell come `limit`
 * more, as many as the ids that may be displaced.  Id i's count goes to
 * lane i % DENSE_LANES of its cell, as in the dense count (neighbouring
 * equal ids do not wait on each other's stores, and the probes read no
 * cell a count writes); lane k of cell h is lane[k * stride + h], so that
 * one memset clears the lanes of a small table.  The lanes are folded
 * into tab every DENSE_FLUSH ids and at the end. */
#define SP_WORK (SPARSE_CELLS + SPARSE_MAX)
typedef struct sp_work {
    uint64_t key[SP_WORK];
    uint32_t lane[DENSE_LANES * SP_WORK];
    uint64_t taken[SP_WORK / 64];
    uint16_t cell[SPARSE_MAX]; /* the taken cells, in the order taken */
    size_t mask, d, limit; /* home cells - 1, distinct ids so far, their limit */
    size_t stride;         /* SP_WORK for the whole table, else mask + 1 + limit */
    size_t moved;          /* ids counted off their home since the last placing */
    uint64_t mul;          /* the multiplier of the ids' homes */
    unsigned shift;        /* sp_shift(mask) */
    bool over;             /* an id past the limit was met */
} sp_work;

/* Empty cells hold SP_EMPTY, but the cell of SP_EMPTY's own home by w's
 * multiplier, which holds a value with another home.  (Any id may equal
 * either: it is then not at its home, or has another.) */
#define SP_EMPTY UINT64_C(0x6a09e667f3bcc909)

/* Take mul as w's multiplier, w's cells all empty but for taken ones. */
static void sp_set_empty_home(sp_work *w, uint64_t mul)
{
    uint64_t e1 = SP_EMPTY + 1;
    size_t h0 = sp_home_by(SP_EMPTY, mul, w->shift);
    while (sp_home_by(e1, mul, w->shift) == h0)
        e1++;
    w->key[h0] = e1;
    w->mul = mul;
}

/* An empty table with mask + 1 home cells for at most `limit` ids, whose
 * homes come from mul, its lanes cleared. */
static void sp_work_init(sp_work *w, size_t mask, size_t limit, uint64_t mul)
{
    w->mask = mask;
    w->shift = sp_shift(mask);
    w->d = w->moved = 0;
    w->limit = limit;
    w->over = false;
    for (size_t h = 0; h <= mask + limit; h++)
        w->key[h] = SP_EMPTY;
    sp_set_empty_home(w, mul);
    memset(w->taken, 0, sizeof w->taken);
    w->stride = mask == SPARSE_CELLS - 1 ? SP_WORK : mask + 1 + limit;
    memset(w->lane, 0, DENSE_LANES * w->stride * sizeof w->lane[0]);
}

/* The cell of id x, whose home h does not hold it: the cell holding it
 * further on, or the first empty one, taken for it; SP_WORK, setting
 * over, when x would be one distinct id more than the limit. */
static TK_NOINLINE size_t sp_probe(sp_work *w, uint64_t x, size_t h)
{
    for (;; h++) {
        if (!(w->taken[h / 64] >> h % 64 & 1)) {
            if (w->d == w->limit) {
                w->over = true;
                return SP_WORK;
            }
            w->key[h] = x;
            w->taken[h / 64] |= (uint64_t)1 << h % 64;
            w->cell[w->d++] = (uint16_t)h;
            return h;
        }
        if (w->key[h] == x) {
            w->moved++;
            return h;
        }
    }
}

/* The cell of id x (see sp_probe) into *h, for homes by mul in a table of
 * 2^(64 - shift) home cells; false when x is one id past the limit. */
TK_INLINE bool sp_find(sp_work *w, uint64_t x, uint64_t mul, unsigned shift, size_t *h)
{
    size_t c = sp_home_by(x, mul, shift);
    if (KPI__UNLIKELY(w->key[c] != x) && (c = sp_probe(w, x, c)) == SP_WORK)
        return false;
    *h = c;
    return true;
}

/* sp_run asks for the table to be placed again when, after at least
 * SP_SAMPLE ids, more than one id in SP_MOVED was off its home (checked
 * every SP_STRETCH ids) */
#define SP_MOVED 32u
#define SP_SAMPLE 256u
#define SP_STRETCH 64u

/* Count ids[0, n) (within a flush) into w's lanes, four ids at a time with
 * independent probes; the number counted, fewer than n when an id is past
 * the limit (over set) or, with `check`, when too many ids were off their
 * homes. */
TK_INLINE size_t sp_run_shift(sp_work *w, const uint64_t *ids, size_t n, unsigned shift,
                              size_t stride, bool check)
{
    const uint64_t mul = w->mul;
    uint32_t *l0 = w->lane, *l1 = l0 + stride, *l2 = l1 + stride, *l3 = l2 + stride;
    size_t i = 0;
    while (i < n) {
        size_t end = n - i < SP_STRETCH ? n : i + SP_STRETCH;
        for (; i + DENSE_LANES <= end; i += DENSE_LANES) {
            size_t h0, h1, h2, h3;
            if (!sp_find(w, ids[i], mul, shift, &h0) ||
                !sp_find(w, ids[i + 1], mul, shift, &h1) ||
                !sp_find(w, ids[i + 2], mul, shift, &h2) ||
                !sp_find(w, ids[i + 3], mul, shift, &h3))
                return i;
            l0[h0]++;
            l1[h1]++;
            l2[h2]++;
            l3[h3]++;
        }
        for (; i < end; i++) {
            size_t h;
            if (!sp_find(w, ids[i], mul, shift, &h))
                return i;
            l0[h]++;
        }
        if (check && i >= SP_SAMPLE && w->moved * SP_MOVED > i)
            break;
    }
    return i;
}

/* sp_run_shift for w's table: the whole table's shift and stride as
 * constants */
static size_t sp_run(sp_work *w, const uint64_t *ids, size_t n, bool check)
{
    if (w->mask == SPARSE_CELLS - 1)
        return sp_run_shift(w, ids, n, sp_shift(SPARSE_CELLS - 1), SP_WORK, check);
    return sp_run_shift(w, ids, n, w->shift, w->stride, check);
}

/* Add w's lanes to tab (of mask + 1 cells) and clear them. */
static void sp_fold(sp_work *w, sp_ent *tab)
{
    for (size_t j = 0; j < w->d; j++) {
        size_t h = w->cell[j];
        sp_ent *e = sp_cell(tab, w->mask, w->key[h]);
        e->id = w->key[h];
        for (size_t k = 0; k < DENSE_LANES; k++) {
            e->n += w->lane[k * w->stride + h];
            w->lane[k * w->stride + h] = 0;
        }
    }
}

/* Multipliers sp_replace chooses among (odd; the first is SP_MUL). */
static const uint64_t sp_muls[] = {
    SP_MUL,                         UINT64_C(0x589965cc75374cc3),
    UINT64_C(0xbf58476d1ce4e5b9), UINT64_C(0x94d049bb133111eb),
    UINT64_C(0xd6e8feb86659fd93), UINT64_C(0xe7037ed1a0b428db),
    UINT64_C(0x8ebc6af09c88c6e3), UINT64_C(0xa0761d6478bd642f)};

/* How many counts of the ids t[0, m) would be off their homes, placed in
 * this order in a table of mask + 1 home cells by multiplier mul. */
static uint64_t sp_cost(const sp_add *t, size_t m, size_t mask, uint64_t mul)
{
    bool used[SP_WORK];
    unsigned shift = sp_shift(mask);
    uint64_t cost = 0;
    memset(used, 0, (mask + 1 + m) * sizeof used[0]);
    for (size_t i = 0; i < m; i++) {
        size_t h = sp_home_by(t[i].id, mul, shift);
        if (used[h])
            cost += t[i].final;
        while (used[h])
            h++;
        used[h] = true;
    }
    return cost;
}

/* Place w's ids (their lanes folded into tab) again, in order of count so
 * far descending and by the multiplier that leaves the fewest counts off
 * their homes, so that the ids the probe misses at home are few and seldom
 * seen.  Only the place of ids changes, which changes no count. */
static void sp_replace(sp_work *w, sp_ent *tab)
{
    sp_add t[SPARSE_MAX];
    size_t m = w->d;
    for (size_t j = 0; j < m; j++) {
        size_t h = w->cell[j];
        t[j] = (sp_add){sp_cell(tab, w->mask, w->key[h])->n, w->key[h], 0};
        w->key[h] = SP_EMPTY;
        w->taken[h / 64] &= ~((uint64_t)1 << h % 64);
    }
    w->key[sp_home_by(SP_EMPTY, w->mul, w->shift)] = SP_EMPTY;
    sp_add_sort(t, m);
    uint64_t best = UINT64_MAX, mul = SP_MUL;
    for (size_t j = 0; j < sizeof sp_muls / sizeof sp_muls[0] && best != 0; j++) {
        uint64_t cost = sp_cost(t, m, w->mask, sp_muls[j]);
        if (cost < best) {
            best = cost;
            mul = sp_muls[j];
        }
    }
    sp_set_empty_home(w, mul);
    w->d = w->moved = 0;
    for (size_t j = 0; j < m; j++)
        (void)sp_probe(w, t[j].id, sp_home_by(t[j].id, mul, w->shift));
    w->moved = 0;
}

/* ids a batch must have left for sp_replace to be worth it */
#define SP_REPLACE_MIN 512u

/* Count ids[0, n) into tab (zeroed, of mask + 1 cells); the number of
 * distinct ids, or SIZE_MAX as soon as there are more than `limit` (at
 * most SPARSE_MAX).  The ids are placed by the multiplier *mul (0:
 * SP_MUL); once in a batch, when too many are off their homes, they are
 * placed again (sp_replace), and *mul is the multiplier chosen. */
static TK_NOINLINE size_t sparse_count(const uint64_t *ids, size_t n, sp_ent *tab,
                                       size_t mask, size_t limit, uint64_t *mul)
{
    sp_work w;
    sp_work_init(&w, mask, limit, *mul != 0 ? *mul : SP_MUL);
    bool check = true;
    for (size_t i = 0, flushed = 0; i < n;) {
        size_t end = n - flushed < DENSE_FLUSH ? n : flushed + DENSE_FLUSH;
        check = check && n - i >= SP_REPLACE_MIN;
        i += sp_run(&w, ids + i, end - i, check);
        if (w.over)
            return SIZE_MAX;
        sp_fold(&w, tab);
        if (i < end) {
            sp_replace(&w, tab);
            *mul = w.mul;
            check = false;
        } else {
            flushed = i;
        }
    }
    return w.d;
}

/* The batch through the sparse count (ids of any size); false, changing
 * nothing, when it does not apply.  The caller checked the total for
 * overflow. */
static TK_NOINLINE bool add_sparse(ss_core *c, const uint64_t *ids, size_t n)
{
    if (c->lossy || n < DENSE_MIN_BATCH)
        return false;
    size_t limit = count_limit(c, n);
    /* a long batch: the whole table (fewer collisions) */
    size_t cells = n >= DENSE_BLOCK ? SPARSE_CELLS : count_cells(n < limit ? n : limit);
    sp_ent tab[SPARSE_CELLS];
    memset(tab, 0, cells * sizeof tab[0]);
    size_t d = sparse_count(ids, n, tab, cells - 1, limit, &c->sp_mul);
    return d != SIZE_MAX && add_counted(c, tab, cells, d, n);
}

/* ---- core: label batches counted first ----------------------------------- */

/*
 * kpi_topk_add_array's batches take the same way as the ids' on the same
 * conditions (a summary that has never evicted, at most SPARSE_MAX
 * distinct labels, all fitting, few runs to cross): in one pass the labels
 * are validated and counted in a hash table on the stack that keeps each
 * label's first 24 bytes as words (zero-padded), its length and its first
 * place in the batch (a longer label's bytes stay in the caller's memory
 * and are compared there), then each distinct label gets one weighted add,
 * in order of final count descending (ties: first place in the batch), so
 * that every read is the singles' (counts exact, ranks ordering equal
 * counts by label bytes).  Nothing is allocated but the arena room the
 * distinct long labels may need, reserved before anything changes.
 */
typedef struct lb_ent {
    uint64_t w[3];            /* the label's first 24 bytes */
    uint32_t len, first;      /* len = 0: an empty cell */
} lb_ent;

/* Label i's count goes to table i % LB_WAYS, so that a run of one label
 * does not wait on its own stores (as the ids' dense count, above). */
#define LB_WAYS 4

typedef struct lb_add {
    uint64_t final;
    uint32_t first, cell;
} lb_add;

/* a goes before b: a larger final count, or the same and an earlier
 * first place (first places are distinct: one order) */
static int lb_add_cmp(const void *pa, const void *pb)
{
    const lb_add *a = pa, *b = pb;
    if (a->final != b->final)
        return a->final > b->final ? -1 : 1;
    return a->first < b->first ? -1 : a->first > b->first;
}

/* Label i's length (lens, or up to its NUL: KPI_TOPK_MAX_LABEL + 1 when
 * there is none within the limit), and its validation. */
static inline int label_at(const char *const *labels, const size_t *lens, size_t i,
                           size_t *len)
{
    const char *s = labels[i];
    *len = 0;
    if (s == NULL)
        return KPI_ERR_INVALID;
    if (lens != NULL) {
        *len = lens[i];
    } else {
        const char *z = memchr(s, 0, KPI_TOPK_MAX_LABEL + 1);
        *len = z != NULL ? (size_t)(z - s) : KPI_TOPK_MAX_LABEL + 1;
    }
    if (*len == 0)
        return KPI_ERR_INVALID;
    return *len > KPI_TOPK_MAX_LABEL ? KPI_ERR_RANGE : KPI_OK;
}

/* Validate and count the batch first (see above).  Returns the first bad
 * label's error, or KPI_OK with *done telling whether the batch was added
 * (false: nothing changed, the caller takes the one-at-a-time way). */
static TK_NOINLINE int add_labels_counted(ss_core *c, const kpi_allocator *a,
                                          const char *const *labels, const size_t *lens,
                                          size_t n, bool *done)
{
    *done = false;
    if (c->lossy || n < DENSE_MIN_BATCH || n > UINT32_MAX)
        return KPI_OK;
    size_t limit = count_limit(c, n), d = 0, maxlen = 0;
    const size_t cells = count_cells(n < limit ? n : limit), mask = cells - 1;
    lb_ent tab[SPARSE_CELLS];
    uint32_t cnt[LB_WAYS][SPARSE_CELLS];
    memset(tab, 0, cells * sizeof tab[0]);
    for (size_t way = 0; way < LB_WAYS; way++)
        memset(cnt[way], 0, cells * sizeof cnt[way][0]);
    for (size_t i = 0; i < n; i++) {
        size_t len;
        int rc = label_at(labels, lens, i, &len);
        if (rc != KPI_OK)
            return rc;
        const uint8_t *s = (const uint8_t *)labels[i];
        uint64_t w[3], h;
        if (len <= INL) {
            label_words(s, len, w);
            h = hash_words(w, len);
        } else {
            w[0] = ld64(s);
            w[1] = ld64(s + 8);
            w[2] = ld64(s + 16);
            h = hash_long(s, len);
        }
        size_t j = (size_t)h & mask;
        for (;; j = (j + 1) & mask) {
            lb_ent *e = &tab[j];
            if (e->len == len && ((e->w[0] ^ w[0]) | (e->w[1] ^ w[1]) | (e->w[2] ^ w[2])) == 0 &&
                (len <= INL || memcmp(labels[e->first], s, len) == 0))
                break;
            if (e->len == 0) {
                if (d == limit) /* the one-at-a-time way, decided early */
                    return KPI_OK;
                memcpy(e->w, w, sizeof w);
                e->len = (uint32_t)len;
                e->first = (uint32_t)i;
                d++;
                maxlen = len > maxlen ? len : maxlen;
                break;
            }
        }
        cnt[i % LB_WAYS][j]++;
    }
    uint64_t total;
    if (!kpi__add_u64(c->total, n, &total))
        return KPI_ERR_OVERFLOW;
    lb_add t[SPARSE_MAX];
    size_t m = 0, fresh = 0;
    for (size_t i = 0; i < cells; i++) {
        if (tab[i].len == 0)
            continue;
        uint64_t k_n = 0;
        for (size_t way = 0; way < LB_WAYS; way++)
            k_n += cnt[way][i];
        cnt[0][i] = (uint32_t)k_n; /* n <= UINT32_MAX */
        if (in_store(c, labels[tab[i].first]))
            return KPI_OK; /* read again below, after the arena may move */
        ss_key k = key_str(labels[tab[i].first], tab[i].len);
        uint32_t s = ss_find(c, &k);
        fresh += s == EMPTY;
        t[m++] = (lb_add){k_n + (s == EMPTY ? 0 : slot_count(c, s)), tab[i].first,
                          (uint32_t)i};
    }
    size_t size = c->size + fresh;
    if (size > c->cap || d * size > 4 * (uint64_t)n)
        return KPI_OK;
    int rc = reserve_for(c, a, d, maxlen);
    if (rc != KPI_OK)
        return rc;
    kpi__sort(t, m, sizeof *t, lb_add_cmp);
    for (size_t i = 0; i < m; i++) {
        const lb_ent *e = &tab[t[i].cell];
        ss_key k = key_str(labels[e->first], e->len);
        ss_add_str(c, &k, cnt[0][t[i].cell]);
    }
    *done = true;
    return KPI_OK;
}

/* ---- core: ranked reads ------------------------------------------------- */

static int key_cmp(const ss_core *c, uint32_t a, uint32_t b)
{
    if (c->kind == KIND_ID)
        return (c->key[a] > c->key[b]) - (c->key[a] < c->key[b]);
    size_t la = c->len[a], lb = c->len[b];
    int r = memcmp(slot_label(c, a), slot_label(c, b), la < lb ? la : lb);
    if (r != 0)
        return r;
    return (la > lb) - (la < lb);
}

/* Ranks order counts descending and equal counts by key ascending, while
 * the summary keeps a run's members in the order its updates left them
 * (which decides the tied minimum an eviction takes, so it must stay).  A
 * read of a rank in a run of at most SHORT_RUN members selects it there
 * and then; a longer run is sorted by key once into rk[] (positions of the
 * run) and stamped with the total, which every change of the summary
 * raises (reset clears the stamps; merge and decode build a new core): so
 * reading every rank costs O(m log m) in all, not a selection per rank.
 * Const reads may run concurrently: a stamp is read with acquire and set
 * with release after the sort, and one reader at a time sorts (rlock). */
#define SHORT_RUN 8u

/* The slot with the j-th smallest key among positions [a, e): j + 1
 * scans, each for the smallest key above the previous one. */
static uint32_t select_in_run(const ss_core *c, size_t a, size_t e, size_t j)
{
    uint32_t prev = EMPTY, best = EMPTY;
    for (size_t t = 0; t <= j; t++) {
        best = EMPTY;
        for (size_t i = a; i < e; i++) {
            uint32_t s = c->order[i];
            if (prev != EMPTY && key_cmp(c, s, prev) <= 0)
                continue;
            if (best == EMPTY || key_cmp(c, s, best) < 0)
                best = s;
        }
        prev = best;
    }
    return best;
}

#if RANK_CACHE
/* Heapsort of the slots r[0, n) by key (in place, no allocation). */
static void sift_down(const ss_core *c, uint32_t *r, size_t i, size_t n)
{
    uint32_t x = r[i];
    for (size_t k; (k = 2 * i + 1) < n; i = k) {
        if (k + 1 < n && key_cmp(c, r[k + 1], r[k]) > 0)
            k++;
        if (key_cmp(c, r[k], x) <= 0)
            break;
        r[i] = r[k];
    }
    r[i] = x;
}

static void sort_by_key(const ss_core *c, uint32_t *r, size_t n)
{
    for (size_t i = n / 2; i-- > 0;)
        sift_down(c, r, i, n);
    while (n > 1) {
        uint32_t t = r[0];
        r[0] = r[--n];
        r[n] = t;
        sift_down(c, r, 0, n);
    }
}

/* Sort run `run` (first position a) into rk[] unless a reader already did
 * at this total. */
static void sort_run(const ss_core *c, uint32_t run, size_t a)
{
    unsigned free_ = 0;
    while (!atomic_compare_exchange_weak_explicit(
        c->rlock, &free_, 1, memory_order_acquire, memory_order_relaxed))
        free_ = 0;
    if (atomic_load_explicit(&c->rstamp[run], memory_order_relaxed) !=
        c->total) {
        size_t e = a + 1;
        while (e < c->size && c->bk[e] == run)
            e++;
        memcpy(c->rk + a, c->order + a, (e - a) * sizeof *c->rk);
        sort_by_key(c, c->rk + a, e - a);
        atomic_store_explicit(&c->rstamp[run], c->total, memory_order_release);
    }
    atomic_store_explicit(c->rlock, 0, memory_order_release);
}
#endif

/* Slot at `rank` (counts descending, ties by key ascending). */
static uint32_t ss_rank(const ss_core *c, size_t rank)
{
    uint32_t run = c->bk[rank];
    size_t a = c->bstart[run];
#if RANK_CACHE
    if (atomic_load_explicit(&c->rstamp[run], memory_order_acquire) ==
        c->total)
        return c->rk[rank];
#endif
    size_t e = a + 1;
    while (e < c->size && c->bk[e] == run && (!RANK_CACHE || e - a < SHORT_RUN))
        e++;
#if RANK_CACHE
    if (e < c->size && c->bk[e] == run) {
        sort_run(c, run, a);
        return c->rk[rank];
    }
#endif
    return select_in_run(c, a, e, rank - a);
}

static uint64_t ss_min(const ss_core *c)
{
    return c->lossy ? count_at(c, c->size - 1) : 0;
}

static int ss_read(const ss_core *c, uint32_t s, uint64_t *count,
                   uint64_t *lower, uint64_t *upper)
{
    uint64_t n = slot_count(c, s);
    if (count)
        *count = n;
    if (lower)
        *lower = n - c->err[s];
    if (upper)
        *upper = n;
    return KPI_OK;
}

static int ss_estimate(const ss_core *c, const ss_key *k, uint64_t *count,
                       uint64_t *lower, uint64_t *upper)
{
    if (c->total == 0)
        return KPI_ERR_EMPTY;
    uint32_t s = ss_find(c, k);
    if (s == EMPTY)
        return KPI_ERR_UNKNOWN_ID;
    return ss_read(c, s, count, lower, upper);
}

static int ss_share(const ss_core *c, const ss_key *k, kpi_estimate *out)
{
    uint64_t n;
    int rc = ss_estimate(c, k, &n, NULL, NULL);
    if (rc != KPI_OK)
        return rc;
    kpi__wilson(n, c->total, out);
    return KPI_OK;
}

/* ---- core: copy, merge -------------------------------------------------- */

/* Append one entry to a core being rebuilt in order (counts descending,
 * keys distinct; arena reserved by the caller). */
static void append_entry(ss_core *c, const ss_key *k, uint64_t count,
                         uint64_t err)
{
    size_t at;
    (void)probe(c, k, c->kind, &at);
    uint32_t s = c->size++;
    c->err[s] = err;
    c->order[s] = s;
    c->pos[s] = s;
    if (c->kind == KIND_ID)
        c->key[s] = k->id;
    else
        put_label(c, s, k, false);
    table_put(c, at, k, c->kind, s);
    place(c, s, count, EMPTY);
}

static ss_key slot_key(const ss_core *c, uint32_t s)
{
    if (c->kind == KIND_ID)
        return key_id(c->key[s]);
    return key_str((const char *)slot_label(c, s), c->len[s]);
}

static int ss_copy(ss_core *d, const ss_core *s, const kpi_allocator *a)
{
    int rc = ss_init(d, s->kind, s->cap, a);
    if (rc != KPI_OK)
        return rc;
    if (s->kind == KIND_STR && s->arena_live > 0) {
        d->arena = kpi__malloc(a, s->arena_live);
        if (d->arena == NULL) {
            ss_release(d, a);
            return KPI_ERR_NOMEM;
        }
        d->arena_cap = s->arena_live;
    }
    for (size_t i = 0; i < s->size; i++) {
        uint32_t e = s->order[i];
        ss_key k = slot_key(s, e);
        append_entry(d, &k, count_at(s, i), s->err[e]);
    }
    d->total = s->total;
    d->lossy = s->lossy;
    return KPI_OK;
}

typedef struct cand {
    ss_key k;
    uint64_t count, err;
    const ss_core *c; /* for key comparison */
} cand;

static int cand_cmp(const void *pa, const void *pb)
{
    const cand *a = pa, *b = pb;
    if (a->count != b->count)
        return a->count < b->count ? 1 : -1;
    if (a->c->kind == KIND_ID)
        return (a->k.id > b->k.id) - (a->k.id < b->k.id);
    size_t n = a->k.len < b->k.len ? a->k.len : b->k.len;
    int r = memcmp(a->k.label, b->k.label, n);
    if (r != 0)
        return r;
    return (a->k.len > b->k.len) - (a->k.len < b->k.len);
}

/* Bytes of arena the labels of cands [0, n) need. */
static size_t long_bytes(const cand *cs, size_t n)
{
    size_t bytes = 0;
    for (size_t i = 0; i < n; i++)
        if (cs[i].k.len > INL)
            bytes += REC_HDR + cs[i].k.len;
    return bytes;
}

static int ss_merge(ss_core *d, const ss_core *s, const kpi_allocator *a)
{
    if (d->cap != s->cap || d->kind != s->kind)
        return KPI_ERR_INCOMPATIBLE;
    uint64_t total;
    if (!kpi__add_u64(d->total, s->total, &total))
        return KPI_ERR_OVERFLOW;
    uint64_t dmin = ss_min(d), smin = ss_min(s);
    size_t nc = (size_t)d->size + s->size;
    cand *cs = kpi__calloc(a, nc ? nc : 1, sizeof *cs);
    if (cs == NULL)
        return KPI_ERR_NOMEM;
    size_t n = 0;
    for (uint32_t i = 0; i < d->size; i++) {
        cand *x = &cs[n++];
        x->k = slot_key(d, i);
        x->c = d;
        uint32_t o = ss_find(s, &x->k);
        x->count = slot_count(d, i) + (o == EMPTY ? smin : slot_count(s, o));
        x->err = d->err[i] + (o == EMPTY ? smin : s->err[o]);
    }
    for (uint32_t i = 0; i < s->size; i++) {
        ss_key k = slot_key(s, i);
        if (ss_find(d, &k) != EMPTY)
            continue;
        cand *x = &cs[n++];
        x->k = k;
        x->c = s;
        x->count = slot_count(s, i) + dmin;
        x->err = s->err[i] + dmin;
    }
    kpi__sort(cs, n, sizeof *cs, cand_cmp);
    bool lossy = d->lossy || s->lossy || n > d->cap;
    if (n > d->cap)
        n = d->cap;
    size_t bytes = d->kind == KIND_STR ? long_bytes(cs, n) : 0;
    ss_core nw;
    int rc = ss_init(&nw, d->kind, d->cap, a);
    if (rc == KPI_OK && bytes > 0) {
        nw.arena = kpi__malloc(a, bytes);
        if (nw.arena == NULL) {
            ss_release(&nw, a);
            rc = KPI_ERR_NOMEM;
        }
        nw.arena_cap = bytes;
    }
    if (rc != KPI_OK) {
        kpi__free(a, cs);
        return rc;
    }
    for (size_t i = 0; i < n; i++)
        append_entry(&nw, &cs[i].k, cs[i].count, cs[i].err);
    nw.total = total;
    nw.lossy = lossy;
    kpi__free(a, cs);
    ss_release(d, a);
    *d = nw;
    return KPI_OK;
}

/* ---- core: codec -------------------------------------------------------- */

static void ss_encode(const ss_core *c, kpi__writer *w)
{
    kpi__put_varint(w, c->cap);
    kpi__put_varint(w, c->total);
    kpi__put_varint(w, c->size);
    kpi__put_u8(w, c->lossy);
    for (size_t i = 0; i < c->size; i++) {
        uint32_t s = c->order[i];
        if (c->kind == KIND_ID)
            kpi__put_u64(w, c->key[s]);
        else
            kpi__put_blob(w, slot_label(c, s), c->len[s]);
        kpi__put_varint(w, count_at(c, i));
        kpi__put_varint(w, c->err[s]);
    }
}

/* Read one entry; fails the reader on a malformed one. */
static void read_entry(kpi__reader *r, int kind, ss_key *k, uint64_t *count,
                       uint64_t *err)
{
    if (kind == KIND_ID) {
        *k = key_id(kpi__get_u64(r));
    } else {
        size_t len;
        const uint8_t *l = kpi__get_blob(r, KPI_TOPK_MAX_LABEL, &len);
        if (r->err == KPI_OK && len == 0)
            kpi__reader_fail(r, KPI_ERR_CORRUPT);
        /* on failure a placeholder key (never used: the reader failed) */
        *k = r->err == KPI_OK && l != NULL ? key_str((const char *)l, len)
                                           : key_str("-", 1);
    }
    *count = kpi__get_varint(r);
    *err = kpi__get_varint(r);
    if (r->err == KPI_OK && (*count == 0 || *err >= *count))
        kpi__reader_fail(r, KPI_ERR_CORRUPT);
}

static int ss_decode(ss_core *c, int kind, kpi__reader *r,
                     const kpi_allocator *a)
{
    uint64_t cap = kpi__get_varint(r);
    uint64_t total = kpi__get_varint(r);
    if (r->err == KPI_OK && (cap == 0 || cap > KPI_TOPK_MAX_CAPACITY))
        kpi__reader_fail(r, KPI_ERR_CORRUPT);
    size_t size = kpi__get_count(r, (size_t)cap, 3);
    uint8_t lossy = kpi__get_u8(r);
    if (r->err == KPI_OK && (lossy > 1 || (lossy && size != cap)))
        kpi__reader_fail(r, KPI_ERR_CORRUPT);
    if (r->err != KPI_OK)
        return r->err;
    /* first pass: validate everything and measure the labels */
    kpi__reader scan = *r;
    uint64_t sum = 0, prev = UINT64_MAX, errmax = 0;
    size_t bytes = 0;
    for (size_t i = 0; i < size && scan.err == KPI_OK; i++) {
        ss_key k;
        uint64_t count, err;
        read_entry(&scan, kind, &k, &count, &err);
        if (scan.err != KPI_OK)
            break;
        if (count > prev || !kpi__add_u64(sum, count, &sum))
            kpi__reader_fail(&scan, KPI_ERR_CORRUPT);
        prev = count;
        errmax = err > errmax ? err : errmax;
        if (k.len > INL)
            bytes += REC_HDR + k.len;
    }
    /* an exact state has no errors; in a lossy one no error exceeds the
     * smallest count (the error bound): an eviction's error is the
     * smallest count then, which never decreases, and a merge's errors
     * add up to at most the sides' smallest counts, which every kept
     * count reaches; and a lossy one keeps a trace of its loss: an error
     * (an eviction's is at least 1, a slot evicted again gets one again,
     * a merge only adds them) or, when a merge dropped a label with every
     * kept error 0, counts that sum to less than the total */
    if (scan.err == KPI_OK &&
        (sum > total || (!lossy && (sum != total || errmax != 0)) ||
         (lossy && (errmax > prev || (errmax == 0 && sum == total)))))
        kpi__reader_fail(&scan, KPI_ERR_CORRUPT);
    if (scan.err != KPI_OK)
        return scan.err;
    int rc = ss_init(c, kind, (uint32_t)cap, a);
    if (rc != KPI_OK)
        return rc;
    if (bytes > 0) {
        c->arena = kpi__malloc(a, bytes);
        if (c->arena == NULL) {
            ss_release(c, a);
            return KPI_ERR_NOMEM;
        }
        c->arena_cap = bytes;
    }
    for (size_t i = 0; i < size; i++) {
        ss_key k;
        uint64_t count, err;
        read_entry(r, kind, &k, &count, &err);
        if (ss_find(c, &k) != EMPTY) {
            ss_release(c, a);
            return KPI_ERR_CORRUPT; /* a label twice */
        }
        append_entry(c, &k, count, err);
    }
    c->total = total;
    c->lossy = lossy != 0;
    return KPI_OK;
}

/* ---- the verbs, shared by both types ------------------------------------ */


static int tk_new(const kpi__type *type, int kind, uint32_t cap,
                  const kpi_allocator *alloc, void **out)
{
    void *o;
    int rc = kpi__object_new(type, sizeof(tk), alloc, &o);
    if (rc != KPI_OK)
        return rc;
    tk *t = o;
    rc = ss_init(&t->c, kind, cap, &t->base.alloc);
    if (rc != KPI_OK) {
        kpi__object_free(t);
        return rc;
    }
    *out = t;
    return KPI_OK;
}

static void tk_destroy(void *obj)
{
    tk *t = obj;
    ss_release(&t->c, &t->base.alloc);
    kpi__object_free(t);
}

static int tk_clone(const void *src, void **out)
{
    const tk *s = src;
    void *o;
    int rc = kpi__object_new(s->base.type, sizeof(tk), &s->base.alloc, &o);
    if (rc != KPI_OK)
        return rc;
    tk *t = o;
    rc = ss_copy(&t->c, &s->c, &t->base.alloc);
    if (rc != KPI_OK) {
        kpi__object_free(t);
        return rc;
    }
    *out = t;
    return KPI_OK;
}

static void tk_reset(void *obj) { ss_reset(&((tk *)obj)->c); }

static int tk_merge(void *dst, const void *src)
{
    tk *d = dst;
    return ss_merge(&d->c, &((const tk *)src)->c, &d->base.alloc);
}

static void tk_encode(const void *obj, kpi__writer *w)
{
    ss_encode(&((const tk *)obj)->c, w);
}

static int tk_decode(const kpi__type *type, int kind, kpi__reader *r,
                     const kpi_allocator *a, void **out)
{
    void *o;
    int rc = kpi__object_new(type, sizeof(tk), a, &o);
    if (rc != KPI_OK)
        return rc;
    tk *t = o;
    rc = ss_decode(&t->c, kind, r, &t->base.alloc);
    if (rc != KPI_OK) {
        kpi__object_free(t);
        return rc;
    }
    *out = t;
    return KPI_OK;
}

static int topk_decode(kpi__reader *r, const kpi_allocator *a, void **out)
{
    return tk_decode(&kpi__topk_type, KIND_STR, r, a, out);
}

static int topk_id_decode(kpi__reader *r, const kpi_allocator *a, void **out)
{
    return tk_decode(&kpi__topk_id_type, KIND_ID, r, a, out);
}

static size_t tk_footprint(const void *obj)
{
    return sizeof(tk) + ss_footprint(&((const tk *)obj)->c);
}

const kpi__type kpi__topk_type = {
    KPI__TAG_TOPK, "topk",    tk_clone,    tk_destroy,  tk_reset,
    tk_merge,      tk_encode, topk_decode, tk_footprint};

const kpi__type kpi__topk_id_type = {
    KPI__TAG_TOPK_ID, "topk_id", tk_clone,       tk_destroy,  tk_reset,
    tk_merge,         tk_encode, topk_id_decode, tk_footprint};

static int check_cap(uint32_t cap)
{
    return cap >= 1 && cap <= KPI_TOPK_MAX_CAPACITY ? KPI_OK : KPI_ERR_RANGE;
}

/* ---- kpi_topk ----------------------------------------------------------- */

static int check_label(const char *label, size_t len)
{
    if (label == NULL || len == 0)
        return KPI_ERR_INVALID;
    return len > KPI_TOPK_MAX_LABEL ? KPI_ERR_RANGE : KPI_OK;
}

KPI_API int kpi_topk_new(kpi_topk **out, uint32_t capacity)
{
    return kpi_topk_new_with(out, capacity, NULL);
}

KPI_API int kpi_topk_new_with(kpi_topk **out, uint32_t capacity,
                              const kpi_allocator *alloc)
{
    if (out == NULL)
        return KPI_ERR_INVALID;
    int rc = check_cap(capacity);
    return rc != KPI_OK ? rc
                        : tk_new(&kpi__topk_type, KIND_STR, capacity, alloc,
                                 (void **)out);
}

KPI_API void kpi_topk_free(kpi_topk *p) { kpi__release(p); }

KPI_API void kpi_topk_reset(kpi_topk *p)
{
    if (kpi__is(p, &kpi__topk_type))
        tk_reset(p);
}

KPI_API int kpi_topk_clone(const kpi_topk *p, kpi_topk **out)
{
    return kpi__clone(&kpi__topk_type, p, (void **)out);
}

/* kpi_topk_add of a label of len (valid) bytes in p's own arena. */
static TK_NOINLINE int add_copied(kpi_topk *p, const char *label, size_t len,
                                  uint64_t weight)
{
    char copy[KPI_TOPK_MAX_LABEL];
    memcpy(copy, label, len);
    return kpi_topk_add(p, copy, len, weight);
}

KPI_API int kpi_topk_add(kpi_topk *p, const char *label, size_t len,
                         uint64_t weight)
{
    if (!kpi__is(p, &kpi__topk_type))
        return KPI_ERR_INVALID;
    int rc = check_label(label, len);
    if (rc != KPI_OK)
        return rc;
    if (weight == 0)
        return KPI_ERR_RANGE;
    if (len > INL && KPI__UNLIKELY(in_arena(&p->c, label)))
        return add_copied(p, label, len, weight);
    uint64_t t;
    if (!kpi__add_u64(p->c.total, weight, &t))
        return KPI_ERR_OVERFLOW;
    if ((rc = reserve_for(&p->c, &p->base.alloc, 1, len)) != KPI_OK)
        return rc;
    ss_key k = key_str(label, len);
    ss_add(&p->c, &k, weight, KIND_STR);
    return KPI_OK;
}

KPI_API int kpi_topk_add_str(kpi_topk *p, const char *label)
{
    if (label == NULL)
        return KPI_ERR_INVALID;
    size_t len = strlen(label);
    return kpi_topk_add(p, label, len, 1);
}

/* kpi_topk_add_array of a valid batch some of whose labels lie in p's own
 * label store (read from kpi_topk_entry()): from a copy of the arena and
 * the inline labels taken first (one allocation, freed before returning;
 * on failure nothing changes). */
static TK_NOINLINE int add_array_copied(kpi_topk *p, const char *const *labels,
                                        const size_t *lens, size_t n)
{
    ss_core *c = &p->c;
    const size_t each = sizeof(const char *) + sizeof(size_t);
    const size_t inl = (size_t)c->cap * INL, store = c->arena_cap + inl;
    if (n > (SIZE_MAX - store) / each)
        return KPI_ERR_NOMEM;
    const char **ptrs = kpi__malloc(&p->base.alloc, n * each + store);
    if (ptrs == NULL)
        return KPI_ERR_NOMEM;
    size_t *ls = (size_t *)(void *)(ptrs + n);
    char *lab = (char *)(ls + n), *arena = lab + inl;
    memcpy(lab, c->lab, inl);
    if (c->arena_cap > 0)
        memcpy(arena, c->arena, c->arena_cap);
    for (size_t i = 0; i < n; i++) {
        (void)label_at(labels, lens, i, &ls[i]);
        if (in_arena(c, labels[i]))
            ptrs[i] = arena + (labels[i] - (const char *)c->arena);
        else if (in_store(c, labels[i]))
            ptrs[i] = lab + (labels[i] - (const char *)c->lab);
        else
            ptrs[i] = labels[i];
    }
    int rc = kpi_topk_add_array(p, ptrs, ls, n);
    kpi__free(&p->base.alloc, ptrs);
    return rc;
}

KPI_API int kpi_topk_add_array(kpi_topk *p, const char *const *labels,
                               const size_t *lens, size_t n)
{
    if (!kpi__is(p, &kpi__topk_type) || (labels == NULL && n > 0))
        return KPI_ERR_INVALID;
    bool done;
    int rc = add_labels_counted(&p->c, &p->base.alloc, labels, lens, n, &done);
    if (rc != KPI_OK || done)
        return rc;
    size_t maxlen = 0;
    bool alias = false;
    for (size_t i = 0; i < n; i++) {
        size_t len;
        if ((rc = label_at(labels, lens, i, &len)) != KPI_OK)
            return rc;
        if (len > maxlen)
            maxlen = len;
        alias |= in_store(&p->c, labels[i]);
    }
    uint64_t t;
    if (!kpi__add_u64(p->c.total, n, &t))
        return KPI_ERR_OVERFLOW;
    if (n == 0)
        return KPI_OK;
    if (KPI__UNLIKELY(alias))
        return add_array_copied(p, labels, lens, n);
    if ((rc = reserve_for(&p->c, &p->base.alloc, n, maxlen)) != KPI_OK)
        return rc;
    for (size_t i = 0; i < n; i++) {
        size_t len;
        (void)label_at(labels, lens, i, &len);
        ss_key k = key_str(labels[i], len);
        ss_add(&p->c, &k, 1, KIND_STR);
    }
    return KPI_OK;
}

KPI_API int kpi_topk_merge(kpi_topk *dst, const kpi_topk *src)
{
    return kpi__merge(&kpi__topk_type, dst, src);
}

KPI_API int kpi_topk_serialize(const kpi_topk *p, void *buf, size_t cap,
                               size_t *len)
{
    if (!kpi__is(p, &kpi__topk_type))
        return KPI_ERR_INVALID;
    return kpi__serialize(p, buf, cap, len);
}

KPI_API int kpi_topk_deserialize(kpi_topk **out, const void *buf, size_t len)
{
    return kpi__deserialize(&kpi__topk_type, buf, len, NULL, (void **)out);
}

KPI_API int kpi_topk_deserialize_with(kpi_topk **out, const void *buf,
                                      size_t len, const kpi_allocator *alloc)
{
    return kpi__deserialize(&kpi__topk_type, buf, len, alloc, (void **)out);
}

KPI_API size_t kpi_topk_footprint(const kpi_topk *p)
{
    return kpi__is(p, &kpi__topk_type) ? tk_footprint(p) : 0;
}

KPI_API uint64_t kpi_topk_total(const kpi_topk *p)
{
    return kpi__is(p, &kpi__topk_type) ? p->c.total : 0;
}

KPI_API size_t kpi_topk_size(const kpi_topk *p)
{
    return kpi__is(p, &kpi__topk_type) ? p->c.size : 0;
}

KPI_API uint64_t kpi_topk_error_bound(const kpi_topk *p)
{
    return kpi__is(p, &kpi__topk_type) ? ss_min(&p->c) : 0;
}

KPI_API int kpi_topk_entry(const kpi_topk *p, size_t rank, const char **label,
                           size_t *len, uint64_t *count, uint64_t *lower,
                           uint64_t *upper)
{
    if (!kpi__is(p, &kpi__topk_type))
        return KPI_ERR_INVALID;
    if (p->c.total == 0)
        return KPI_ERR_EMPTY;
    if (rank >= p->c.size)
        return KPI_ERR_RANGE;
    uint32_t s = ss_rank(&p->c, rank);
    if (label)
        *label = (const char *)slot_label(&p->c, s);
    if (len)
        *len = p->c.len[s];
    return ss_read(&p->c, s, count, lower, upper);
}

KPI_API int kpi_topk_estimate(const kpi_topk *p, const char *label,
                              size_t len, uint64_t *count, uint64_t *lower,
                              uint64_t *upper)
{
    if (!kpi__is(p, &kpi__topk_type))
        return KPI_ERR_INVALID;
    int rc = check_label(label, len);
    if (rc != KPI_OK)
        return rc;
    ss_key k = key_str(label, len);
    return ss_estimate(&p->c, &k, count, lower, upper);
}

KPI_API int kpi_topk_share(const kpi_topk *p, const char *label, size_t len,
                           kpi_estimate *out)
{
    if (!kpi__is(p, &kpi__topk_type) || out == NULL)
        return KPI_ERR_INVALID;
    int rc = check_label(label, len);
    if (rc != KPI_OK)
        return rc;
    ss_key k = key_str(label, len);
    return ss_share(&p->c, &k, out);
}

/* ---- kpi_topk_id -------------------------------------------------------- */

KPI_API int kpi_topk_id_new(kpi_topk_id **out, uint32_t capacity)
{
    return kpi_topk_id_new_with(out, capacity, NULL);
}

KPI_API int kpi_topk_id_new_with(kpi_topk_id **out, uint32_t capacity,
                                 const kpi_allocator *alloc)
{
    if (out == NULL)
        return KPI_ERR_INVALID;
    int rc = check_cap(capacity);
    return rc != KPI_OK ? rc
                        : tk_new(&kpi__topk_id_type, KIND_ID, capacity, alloc,
                                 (void **)out);
}

KPI_API void kpi_topk_id_free(kpi_topk_id *p) { kpi__release(p); }

KPI_API void kpi_topk_id_reset(kpi_topk_id *p)
{
    if (kpi__is(p, &kpi__topk_id_type))
        tk_reset(p);
}

KPI_API int kpi_topk_id_clone(const kpi_topk_id *p, kpi_topk_id **out)
{
    return kpi__clone(&kpi__topk_id_type, p, (void **)out);
}

KPI_API int kpi_topk_id_add(kpi_topk_id *p, uint64_t id, uint64_t weight)
{
    if (!kpi__is(p, &kpi__topk_id_type))
        return KPI_ERR_INVALID;
    if (weight == 0)
        return KPI_ERR_RANGE;
    ss_core *c = &p->c;
    uint64_t t;
    if (!kpi__add_u64(c->total, weight, &t))
        return KPI_ERR_OVERFLOW;
    ss_key k = key_id(id);
    ss_add(c, &k, weight, KIND_ID);
    return KPI_OK;
}

/* n ids, their total checked: counted first when that applies, else one
 * at a time.  The range count, which allocates, comes last: a batch of at
 * most SPARSE_MAX distinct ids, however short its range, is the sparse
 * count's (topk.h: it counts on the stack). */
static void add_ids(ss_core *c, const kpi_allocator *a, const uint64_t *ids, size_t n)
{
    if (add_dense(c, ids, n) || add_sparse(c, ids, n) || add_range(c, a, ids, n))
        return;
    for (size_t i = 0; i < n; i++) {
        ss_key k = key_id(ids[i]);
        ss_add(c, &k, 1, KIND_ID);
    }
}

KPI_API int kpi_topk_id_add_array(kpi_topk_id *p, const uint64_t *ids,
                                  size_t n)
{
    if (!kpi__is(p, &kpi__topk_id_type) || (ids == NULL && n > 0))
        return KPI_ERR_INVALID;
    uint64_t t;
    if (!kpi__add_u64(p->c.total, n, &t))
        return KPI_ERR_OVERFLOW;
    add_ids(&p->c, &p->base.alloc, ids, n);
    return KPI_OK;
}

/* The batch of codes counted first (codes_count) and added as one weight
 * per id, when add_counted applies; false, changing nothing, otherwise.
 * (From DENSE_MIN_BATCH codes, as kpi_topk_id_add_array's sparse count:
 * the same decisions, through add_counted, on the same distinct ids.) */
static TK_NOINLINE bool add_codes_counted(ss_core *c, const int8_t *codes, size_t n,
                                          int allow)
{
    if (c->lossy || n < DENSE_MIN_BATCH)
        return false;
    uint64_t tot[DENSE];
    codes_count(codes, n, tot, allow);
    return add_totals(c, tot, n, true);
}

int kpi__topk_id_add_codes_simd(kpi_topk_id *p, const int8_t *codes, size_t n, int allow)
{
    if (!kpi__is(p, &kpi__topk_id_type) || (codes == NULL && n > 0))
        return KPI_ERR_INVALID;
    uint64_t t;
    if (!kpi__add_u64(p->c.total, n, &t))
        return KPI_ERR_OVERFLOW;
    if (add_codes_counted(&p->c, codes, n, allow))
        return KPI_OK;
    /* otherwise one at a time, as kpi_topk_id_add_array() takes a batch it
     * does not count first (not a chunk at a time through its path: a
     * first chunk counted first leaves equal counts in id order, and a
     * later chunk's eviction could then take another of them than the
     * singles do) */
    for (size_t i = 0; i < n; i++) {
        ss_key k = key_id((uint64_t)(int64_t)codes[i]);
        ss_add(&p->c, &k, 1, KIND_ID);
    }
    return KPI_OK;
}

KPI_API int kpi_topk_id_add_codes(kpi_topk_id *p, const int8_t *codes, size_t n)
{
    return kpi__topk_id_add_codes_simd(p, codes, n, CODES_AVX512);
}

KPI_API int kpi_topk_id_add_codes16(kpi_topk_id *p, const int16_t *codes, size_t n)
{
    if (!kpi__is(p, &kpi__topk_id_type) || (codes == NULL && n > 0))
        return KPI_ERR_INVALID;
    uint64_t t;
    if (!kpi__add_u64(p->c.total, n, &t))
        return KPI_ERR_OVERFLOW;
    if (add_codes16_counted(&p->c, &p->base.alloc, codes, n))
        return KPI_OK;
    for (size_t i = 0; i < n; i++) {
        ss_key k = key_id((uint64_t)(int64_t)codes[i]);
        ss_add(&p->c, &k, 1, KIND_ID);
    }
    return KPI_OK;
}

KPI_API int kpi_topk_id_merge(kpi_topk_id *dst, const kpi_topk_id *src)
{
    return kpi__merge(&kpi__topk_id_type, dst, src);
}

KPI_API int kpi_topk_id_serialize(const kpi_topk_id *p, void *buf, size_t cap,
                                  size_t *len)
{
    if (!kpi__is(p, &kpi__topk_id_type))
        return KPI_ERR_INVALID;
    return kpi__serialize(p, buf, cap, len);
}

KPI_API int kpi_topk_id_deserialize(kpi_topk_id **out, const void *buf,
                                    size_t len)
{
    return kpi__deserialize(&kpi__topk_id_type, buf, len, NULL, (void **)out);
}

KPI_API int kpi_topk_id_deserialize_with(kpi_topk_id **out, const void *buf,
                                         size_t len,
                                         const kpi_allocator *alloc)
{
    return kpi__deserialize(&kpi__topk_id_type, buf, len, alloc, (void **)out);
}

KPI_API size_t kpi_topk_id_footprint(const kpi_topk_id *p)
{
    return kpi__is(p, &kpi__topk_id_type) ? tk_footprint(p) : 0;
}

KPI_API uint64_t kpi_topk_id_total(const kpi_topk_id *p)
{
    return kpi__is(p, &kpi__topk_id_type) ? p->c.total : 0;
}

KPI_API size_t kpi_topk_id_size(const kpi_topk_id *p)
{
    return kpi__is(p, &kpi__topk_id_type) ? p->c.size : 0;
}

KPI_API uint64_t kpi_topk_id_error_bound(const kpi_topk_id *p)
{
    return kpi__is(p, &kpi__topk_id_type) ? ss_min(&p->c) : 0;
}

KPI_API int kpi_topk_id_entry(const kpi_topk_id *p, size_t rank, uint64_t *id,
                              uint64_t *count, uint64_t *lower,
                              uint64_t *upper)
{
    if (!kpi__is(p, &kpi__topk_id_type))
        return KPI_ERR_INVALID;
    if (p->c.total == 0)
        return KPI_ERR_EMPTY;
    if (rank >= p->c.size)
        return KPI_ERR_RANGE;
    uint32_t s = ss_rank(&p->c, rank);
    if (id)
        *id = p->c.key[s];
    return ss_read(&p->c, s, count, lower, upper);
}

KPI_API int kpi_topk_id_estimate(const kpi_topk_id *p, uint64_t id,
                                 uint64_t *count, uint64_t *lower,
                                 uint64_t *upper)
{
    if (!kpi__is(p, &kpi__topk_id_type))
        return KPI_ERR_INVALID;
    ss_key k = key_id(id);
    return ss_estimate(&p->c, &k, count, lower, upper);
}

KPI_API int kpi_topk_id_share(const kpi_topk_id *p, uint64_t id,
                              kpi_estimate *out)
{
    if (!kpi__is(p, &kpi__topk_id_type) || out == NULL)
        return KPI_ERR_INVALID;
    ss_key k = key_id(id);
    return ss_share(&p->c, &k, out);
}

/* For the ticket engine (lib/internal.h): room for one add. */
int kpi__topk_reserve(kpi_topk *p, size_t len)
{
    return reserve_for(&p->c, &p->base.alloc, 1, len);
}
