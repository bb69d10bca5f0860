/*
 * The ticket engine: lifecycle events in, operational KPIs out.
 * SPDX-License-Identifier: MIT
 *
 * State
 *   - Live tickets: 64-byte slots, one cache line each, in pages of 4096
 *     (dense: an evicted ticket's hole is filled by the last slot), found
 *     through an open-addressing index of 32-bit entries, a 4-bit hash tag
 *     over a 28-bit slot number (linear probing on kpi__mix64(id), at most
 *     3/4 full, backward-shift deletion).  Times in a slot are 40-bit
 *     millisecond offsets from the ticket's creation.  With a calendar, the
 *     business time a ticket has spent waiting and worked (two more 40-bit
 *     sums) is split between a side page per slot page (7 bytes a ticket)
 *     and three bytes of the slot ("business sums" below).
 *   - Timers: resolved, closed and merged tickets wait in a queue keyed by
 *     (due time, id) for settlement or eviction; customers wait the same way
 *     to leave the repeat-contact table.  The queue is a FIFO ring for keys
 *     pushed in order (the usual case: event time mostly grows) plus a
 *     binary heap for the others, so popping is O(1) on ordered logs and the
 *     pop order is always the sorted (due, id) order, whatever the pushes.
 *   - KPI values: per metric a total, a kpi_group per kept breakdown
 *     dimension, and a ring of per-period buckets for windows.  Breakdown
 *     keys (agents, teams, channels, priorities) are interned to small
 *     indices; each interned key caches pointers to its group members
 *     (members are separately allocated, so the pointers are stable),
 *     made with the first value recorded under the key.
 *
 * Every call validates completely before it changes anything; then it
 * reserves the memory its ticket, keys, customers and timers need; then it
 * runs as a transaction (see "transactions" below): it advances time
 * (settling due tickets) and applies the event with an undo log, queues
 * the values to record, makes every allocation they need, and records them
 * only if all succeeded, else undoes everything: KPI_ERR_NOMEM leaves the
 * engine exactly as it was.
 */
#include <math.h>
#include <stdlib.h>

#include "codec.h"
#include "kpi/engine.h"

#define NM KPI_ENGINE_METRICS
#define NM_V1 22         /* metrics of the first format (snapshot) */
#define NDIM 4           /* agent, team, channel, priority: index dim - 1 */
#define NNAMES 5         /* the four above and topics */
#define NSTORED 15       /* counters 0..14 are stored; the rest derived */
#define OFF_LIMIT (INT64_C(1) << 40)
#define TIME_LIMIT (INT64_C(1) << 62)
#define PAGE_BITS 12
#define PAGE_SLOTS (1u << PAGE_BITS)
/* A ticket index entry: a 4-bit tag (the top bits of the id's hash) over
 * slot + 1 in 28 bits, so that a probe reads only the slots whose tag
 * matches; 0 = empty. */
#define TS_SLOT_MASK ((UINT32_C(1) << 28) - 1)
#define TS_TAG(h) ((uint32_t)((h) >> 60) << 28)
#define MAX_TICKETS (TS_SLOT_MASK - 1)
#define PAGE_BYTES (PAGE_SLOTS * sizeof(tk) + sizeof(void *) + 63)
#define MAX_PERIODS 4096

/* Keep the first failure of a sequence of recordings (needs rc and r2). */
#define KEEP(x)                                                                \
    do {                                                                       \
        if ((r2 = (x)) != KPI_OK && rc == KPI_OK)                              \
            rc = r2;                                                           \
    } while (0)

enum { T_DUR = KPI_ENGINE_TYPE_DURATION, T_RATE, T_SCORE, T_RATIO, T_SERIES };

static const uint8_t mtype[NM] = {
    T_DUR,  T_DUR,  T_DUR,  T_DUR,   T_DUR,   T_DUR,   T_DUR,  T_DUR,
    T_DUR,  T_DUR,  T_RATE, T_RATE,  T_RATE,  T_RATE,  T_RATE, T_RATE,
    T_SCORE, T_SCORE, T_SCORE, T_RATIO, T_RATIO, T_SERIES, T_DUR, T_DUR,
};

/* Selectors: a value that is none of the named constants of its kind is
 * #KPI_ERR_INVALID (kpi/common.h), checked before any data argument. */
static inline bool known_metric(int m) { return m >= 0 && m < NM; }
static inline bool known_dim(int d) { return d >= KPI_DIM_ALL && d <= KPI_DIM_TOPIC; }

/* Dimensions (bit d for KPI_DIM_d) by which a metric can be broken down. */
static unsigned metric_dims(int m)
{
    switch (mtype[m]) {
    case T_RATIO:
        return 1u << KPI_DIM_AGENT | 1u << KPI_DIM_TEAM;
    case T_SERIES:
        return 1u << KPI_DIM_CHANNEL | 1u << KPI_DIM_PRIORITY;
    default:
        return 0x1eu;
    }
}

/* ---- ticket slots ------------------------------------------------------ */

enum { F_LAST, F_CLOCK, F_WAITING, F_SINCE, F_WAIT_MS, F_WORK_MS, F_PAUSE, NF };

enum {
    TF_CLOCK = 1 << 0,      /* FRT clock running (from F_CLOCK) */
    TF_FRT_DONE = 1 << 1,   /* FRT recorded */
    TF_NO_FRT = 1 << 2,     /* resolved before the first reply: never */
    TF_WAITING = 1 << 3,    /* a customer waits since F_WAITING */
    TF_BY_AGENT = 1 << 4,   /* created by an agent */
    TF_REOPENED = 1 << 5,
    TF_RESOLVED = 1 << 6,   /* resolved at least once */
    TF_BOT_RESOLVED = 1 << 7,
    TF_ALL = (1 << 8) - 1
};

typedef struct tk {
    uint64_t id;
    int64_t created;
    uint32_t lo[NF];
    uint8_t hi[NF];
    uint8_t status;
    uint32_t agent : 24; /* interned agent + 1, 0 = none */
    uint32_t bmid : 8;   /* bits 24..31 of the business work (B_WORK) */
    uint16_t team;     /* interned team + 1, 0 = none */
    uint8_t flags;
    uint8_t bhi[2];    /* business sums' bits 32..39 (B_WAIT, B_WORK) */
    uint8_t channel;   /* interned channel */
    uint8_t priority;  /* interned priority */
    uint8_t replies;   /* public replies, saturating */
} tk;

#if defined(__STDC_VERSION__) && __STDC_VERSION__ >= 201112L
_Static_assert(sizeof(tk) == 64, "a ticket slot is one cache line");
#endif

static inline int64_t off_get(const tk *t, int f)
{
    return (int64_t)((uint64_t)t->hi[f] << 32 | t->lo[f]);
}
static inline void off_set(tk *t, int f, int64_t v)
{
    t->lo[f] = (uint32_t)v;
    t->hi[f] = (uint8_t)((uint64_t)v >> 32);
}
static inline int64_t tget(const tk *t, int f) { return t->created + off_get(t, f); }
static inline void tset(tk *t, int f, int64_t when) { off_set(t, f, when - t->created); }

typedef struct tstore {
    tk **pages;
    uint32_t npages, n;
    uint32_t *index; /* slot + 1, 0 = empty */
    uint32_t icap;   /* power of two, or 0 */
    bool biz;        /* business sums kept (the engine has a calendar) */
    uint8_t **bpages; /* with biz: per slot page, the sums' low bits */
} tstore;

static inline tk *slot_at(const tstore *s, uint32_t i)
{
    return &s->pages[i >> PAGE_BITS][i & (PAGE_SLOTS - 1)];
}

/* ---- business sums (with a calendar) --------------------------------------
 *
 * B_WAIT: business ms in new, open and on-hold; B_WORK: in new and open,
 * up to the last status change (as F_WAIT_MS and F_WORK_MS in calendar
 * time).  40 bits each, 7 bytes a ticket on the side: the wait's bits
 * 0..31 and the work's bits 0..23, little-endian; the slot keeps the
 * work's bits 24..31 (bmid) and both sums' bits 32..39 (bhi), so that
 * with 1 M live tickets an engine with a calendar stays within 96 bytes a
 * ticket (the slot cannot grow: one cache line).  A ticket restored from a
 * state written before they were kept has them unknown, marked by work >
 * wait (never so otherwise): it settles without them. */
enum { B_WAIT, B_WORK };
#define BZ_BYTES 7

typedef struct bsums {
    uint8_t b[BZ_BYTES];
} bsums;

static inline uint8_t *bz_at(const tstore *s, uint32_t i)
{
    return &s->bpages[i >> PAGE_BITS][BZ_BYTES * (i & (PAGE_SLOTS - 1))];
}
static inline int64_t bz_get(const tk *t, const uint8_t *b, int f)
{
    uint64_t v = (uint64_t)t->bhi[f] << 32;
    if (f == B_WAIT)
        v |= (uint64_t)b[0] | (uint64_t)b[1] << 8 | (uint64_t)b[2] << 16 | (uint64_t)b[3] << 24;
    else
        v |= (uint64_t)b[4] | (uint64_t)b[5] << 8 | (uint64_t)b[6] << 16 | (uint64_t)t->bmid << 24;
    return (int64_t)v;
}
static inline void bz_set(tk *t, uint8_t *b, int f, int64_t v)
{
    uint64_t u = (uint64_t)v;
    int at = f == B_WAIT ? 0 : 4, n = f == B_WAIT ? 4 : 3;
    for (int i = 0; i < n; i++)
        b[at + i] = (uint8_t)(u >> (8 * i));
    if (f == B_WORK)
        t->bmid = (uint8_t)(u >> 24);
    t->bhi[f] = (uint8_t)(u >> 32);
}
static inline bool bz_known(const tk *t, const uint8_t *b)
{
    return bz_get(t, b, B_WORK) <= bz_get(t, b, B_WAIT);
}
static inline void bz_unknown(tk *t, uint8_t *b)
{
    bz_set(t, b, B_WAIT, 0);
    bz_set(t, b, B_WORK, 1);
}
static inline void bz_save(const tstore *s, uint32_t i, bsums *out)
{
    if (s->biz)
        memcpy(out->b, bz_at(s, i), BZ_BYTES);
}
static inline void bz_load(const tstore *s, uint32_t i, const bsums *in)
{
    if (s->biz)
        memcpy(bz_at(s, i), in->b, BZ_BYTES);
}

/* The slot of a ticket index entry, and the entry of a slot. */
static inline uint32_t ts_slot(uint32_t v)
{
    return (v & TS_SLOT_MASK) - 1;
}
static inline uint32_t ts_entry(uint64_t id, uint32_t slot)
{
    return TS_TAG(kpi__mix64(id)) | (slot + 1);
}

/* Index position holding `id`, or the empty one where it would go. */
static inline uint32_t ts_probe(const tstore *s, uint64_t id, bool *found)
{
    uint64_t h = kpi__mix64(id);
    uint32_t mask = s->icap - 1, i = (uint32_t)h & mask, tag = TS_TAG(h);
    for (;;) {
        uint32_t v = s->index[i];
        if (v == 0) {
            *found = false;
            return i;
        }
        if ((v & ~TS_SLOT_MASK) == tag && slot_at(s, ts_slot(v))->id == id) {
            *found = true;
            return i;
        }
        i = (i + 1) & mask;
    }
}

/* The live ticket `id` (NULL if none), and its slot number in *slot. */
static inline tk *ts_find_slot(const tstore *s, uint64_t id, uint32_t *slot)
{
    bool found;
    if (s->icap == 0)
        return NULL;
    uint32_t pos = ts_probe(s, id, &found);
    if (!found)
        return NULL;
    *slot = ts_slot(s->index[pos]);
    return slot_at(s, *slot);
}

static inline tk *ts_find(const tstore *s, uint64_t id)
{
    uint32_t slot;
    return ts_find_slot(s, id, &slot);
}

#define NO_HINT UINT32_MAX

/* ts_find_slot(), trying slot `hint` first: a live slot holding `id` is
 * the ticket's (ids are unique in the store), so a hint is checked, never
 * trusted; one gone stale (the ticket moved or left) costs one compare. */
static inline tk *ts_find_hinted(const tstore *s, uint64_t id, uint32_t hint, uint32_t *slot)
{
    if (hint < s->n) {
        tk *t = slot_at(s, hint);
        if (t->id == id) {
            *slot = hint;
            return t;
        }
    }
    return ts_find_slot(s, id, slot);
}

/* The business sums of live ticket t (the store keeps them: biz). */
static inline uint8_t *bz_of(const tstore *s, const tk *t)
{
    uint32_t slot = 0;
    ts_find_slot(s, t->id, &slot);
    return bz_at(s, slot);
}

/* Backward-shift deletion at index position pos (linear probing). */
static void index_delete(uint32_t *index, uint32_t icap, uint32_t pos,
                         uint64_t (*key_of)(const void *, uint32_t),
                         const void *ctx)
{
    uint32_t mask = icap - 1, i = pos, j = pos;
    for (;;) {
        j = (j + 1) & mask;
        if (index[j] == 0)
            break;
        uint32_t home = (uint32_t)kpi__mix64(key_of(ctx, index[j] - 1)) & mask;
        /* move j back to i unless its home lies cyclically in (i, j] */
        bool stay = (i <= j) ? (i < home && home <= j) : (i < home || home <= j);
        if (!stay) {
            index[i] = index[j];
            i = j;
        }
    }
    index[i] = 0;
}

/* Position of the index entry `v` (for entry number idx: idx + 1, or its
 * ticket entry) whose key is `key`. */
static uint32_t index_pos_of(const uint32_t *index, uint32_t icap, uint64_t key,
                             uint32_t v)
{
    uint32_t mask = icap - 1, i = (uint32_t)kpi__mix64(key) & mask;
    while (index[i] != v)
        i = (i + 1) & mask;
    return i;
}

/* (Called with an entry minus one: the tag bits are dropped.) */
static uint64_t ts_key(const void *ctx, uint32_t i)
{
    return slot_at(ctx, i & TS_SLOT_MASK)->id;
}

/* Entries whose index line index_fill() asks for ahead of their insertion. */
#define FILL_AHEAD 16

/* Rebuild an index of `icap` positions over n entries (keys by key_of;
 * tagged: ticket entries).  The entries go in in order, so the index is
 * the same as without the read-ahead; each one's home line, a miss at
 * every position of a big index, is asked for FILL_AHEAD entries before
 * (a growing index rebuilds about one entry a ticket, each a miss). */
static void index_fill(uint32_t *index, uint32_t icap, uint32_t n,
                       uint64_t (*key_of)(const void *, uint32_t),
                       const void *ctx, bool tagged)
{
    uint32_t mask = icap - 1;
    uint64_t ahead[FILL_AHEAD];
    memset(index, 0, (size_t)icap * sizeof *index);
    for (uint32_t k = 0; k < n && k < FILL_AHEAD; k++) {
        ahead[k] = kpi__mix64(key_of(ctx, k));
        KPI__PREFETCH(&index[(uint32_t)ahead[k] & mask]);
    }
    for (uint32_t k = 0; k < n; k++) {
        uint64_t h = ahead[k % FILL_AHEAD];
        if (n - k > FILL_AHEAD) {
            uint64_t g = kpi__mix64(key_of(ctx, k + FILL_AHEAD));
            ahead[k % FILL_AHEAD] = g;
            KPI__PREFETCH(&index[(uint32_t)g & mask]);
        }
        uint32_t i = (uint32_t)h & mask;
        while (index[i] != 0)
            i = (i + 1) & mask;
        index[i] = (tagged ? TS_TAG(h) : 0) | (k + 1);
    }
}

/* Capacity of an index for n entries (at most 3/4 full), or 0 if too big. */
static uint32_t index_cap_for(uint64_t n)
{
    uint64_t cap = 16;
    while (cap * 3 / 4 < n) {
        cap *= 2;
        if (cap > (UINT64_C(1) << 31))
            return 0;
    }
    return (uint32_t)cap;
}

/* Make room for `more` entries beyond n: a bigger index if needed. */
static int index_reserve(const kpi_allocator *a, uint32_t **index, uint32_t *icap,
                         uint32_t n, uint32_t more,
                         uint64_t (*key_of)(const void *, uint32_t),
                         const void *ctx, bool tagged)
{
    uint64_t want = (uint64_t)n + more;
    if (*icap != 0 && want <= (uint64_t)*icap * 3 / 4)
        return KPI_OK;
    uint32_t cap = index_cap_for(want);
    if (cap == 0)
        return KPI_ERR_LIMIT;
    uint32_t *ix = kpi__malloc(a, (size_t)cap * sizeof *ix);
    if (ix == NULL)
        return KPI_ERR_NOMEM;
    index_fill(ix, cap, n, key_of, ctx, tagged);
    kpi__free(a, *index);
    *index = ix;
    *icap = cap;
    return KPI_OK;
}

static int ts_reserve(const kpi_allocator *a, tstore *s, uint32_t more)
{
    if ((uint64_t)s->n + more > MAX_TICKETS)
        return KPI_ERR_LIMIT;
    uint32_t need = (uint32_t)(((uint64_t)s->n + more + PAGE_SLOTS - 1) >> PAGE_BITS);
    if (need > s->npages) {
        tk **pg = kpi__realloc(a, s->pages, (size_t)need * sizeof *pg);
        if (pg == NULL)
            return KPI_ERR_NOMEM;
        s->pages = pg;
        if (s->biz) {
            uint8_t **bp = kpi__realloc(a, s->bpages, (size_t)need * sizeof *bp);
            if (bp == NULL)
                return KPI_ERR_NOMEM;
            s->bpages = bp;
        }
        while (s->npages < need) {
            /* a slot per cache line: the page aligned to 64 bytes, the
             * block's own address kept just before it */
            unsigned char *raw = kpi__malloc(a, PAGE_BYTES);
            uint8_t *side = s->biz ? kpi__malloc(a, PAGE_SLOTS * BZ_BYTES) : NULL;
            if (raw == NULL || (s->biz && side == NULL)) {
                kpi__free(a, raw);
                kpi__free(a, side);
                return KPI_ERR_NOMEM; /* pages so far are kept: harmless */
            }
            uintptr_t at = ((uintptr_t)raw + sizeof(void *) + 63) & ~(uintptr_t)63;
            memcpy((unsigned char *)at - sizeof(void *), &raw, sizeof raw);
            pg[s->npages] = (tk *)at;
            if (s->biz)
                s->bpages[s->npages] = side;
            s->npages++;
        }
    }
    return index_reserve(a, &s->index, &s->icap, s->n, more, ts_key, s, true);
}

/* Insert (room reserved, id absent). */
static tk *ts_insert(tstore *s, uint64_t id)
{
    bool found;
    uint32_t pos = ts_probe(s, id, &found);
    tk *t = slot_at(s, s->n);
    memset(t, 0, sizeof *t);
    t->id = id;
    if (s->biz)
        memset(bz_at(s, s->n), 0, BZ_BYTES);
    s->index[pos] = ts_entry(id, s->n++);
    return t;
}

static void ts_remove(tstore *s, tk *t)
{
    bool found;
    uint32_t pos = ts_probe(s, t->id, &found);
    uint32_t hole = ts_slot(s->index[pos]), last = s->n - 1;
    index_delete(s->index, s->icap, pos, ts_key, s);
    if (hole != last) {
        tk *l = slot_at(s, last);
        uint32_t lp = index_pos_of(s->index, s->icap, l->id, ts_entry(l->id, last));
        *slot_at(s, hole) = *l;
        if (s->biz)
            memcpy(bz_at(s, hole), bz_at(s, last), BZ_BYTES);
        s->index[lp] = ts_entry(l->id, hole);
    }
    s->n--;
}

static void ts_free(const kpi_allocator *a, tstore *s)
{
    for (uint32_t i = 0; i < s->npages; i++) {
        void *raw;
        memcpy(&raw, (unsigned char *)s->pages[i] - sizeof(void *), sizeof raw);
        kpi__free(a, raw);
    }
    for (uint32_t i = 0; s->biz && i < s->npages; i++)
        kpi__free(a, s->bpages[i]);
    kpi__free(a, s->pages);
    kpi__free(a, s->bpages);
    kpi__free(a, s->index);
    bool biz = s->biz;
    memset(s, 0, sizeof *s);
    s->biz = biz;
}

/* ---- timer queue: (due, key) in sorted pop order -----------------------
 *
 * The ring holds entries pushed in order in 12 bytes each: the key and the
 * due time as a 32-bit step from the entry before (the head's due time is
 * kept apart).  An entry out of order, or more than 2^32 ms after the
 * ring's tail, goes to the heap (16 bytes).  The ring is a FIFO of blocks
 * of RING_BLOCK entries: it grows by a block and never moves an entry (a
 * contiguous ring grown by an eighth, to keep a live ticket's share within
 * the engine's 96 bytes, copied every entry eight times on the way up, a
 * quarter of a 500,000-ticket stream's last-level cache misses, and
 * stalled the one event that grew it).  A block the head has left is
 * kept for the tail (one) or freed by tq_trim(), outside any transaction
 * only, so that a pop undone finds its block: at the end of every call
 * that settles (rings_trim()) and before a ring is reserved.  The heap,
 * rarely used, doubles. */

#define RING_BITS 10
#define RING_BLOCK ((size_t)1 << RING_BITS) /* entries a block: 12 KB */

typedef struct tentry {
    int64_t due;
    uint64_t key;
} tentry;

typedef struct rentry {
    uint32_t klo, khi; /* key */
    uint32_t step;     /* due minus the previous entry's due */
} rentry;

typedef struct tqueue {
    rentry **blk;             /* blocks blk[b0] .. blk[b0 + nblk - 1] in order */
    size_t b0, nblk, bcap;    /* first block, blocks, room in blk */
    rentry *spare;            /* a block the head left, for the tail */
    size_t rhead, rlen;       /* FIFO, sorted: the head's place from blk[b0] */
    int64_t rdue, tdue;       /* due times of the head and the tail */
    tentry *heap;
    size_t hcap, hlen;
} tqueue;

static inline bool te_less(const tentry *a, const tentry *b)
{
    return a->due < b->due || (a->due == b->due && a->key < b->key);
}

static inline uint64_t rkey(const rentry *r)
{
    return (uint64_t)r->khi << 32 | r->klo;
}

/* The ring's entry k places after its head (room for it reserved). */
static inline rentry *ring_at(const tqueue *q, size_t k)
{
    size_t p = q->rhead + k;
    return &q->blk[q->b0 + (p >> RING_BITS)][p & (RING_BLOCK - 1)];
}

static int grow_array(const kpi_allocator *a, void **p, size_t *cap, size_t need,
                      size_t elem)
{
    if (need <= *cap)
        return KPI_OK;
    size_t nc = *cap ? *cap : 16;
    while (nc < need) {
        if (nc > SIZE_MAX / 2 / elem)
            return KPI_ERR_NOMEM;
        nc *= 2;
    }
    void *q = kpi__realloc(a, *p, nc * elem);
    if (q == NULL)
        return KPI_ERR_NOMEM;
    *p = q;
    *cap = nc;
    return KPI_OK;
}

/* Let go of the blocks the head has left (not in a transaction: an undone
 * pop goes back into its block): one kept for the tail, the rest freed. */
static void tq_trim(const kpi_allocator *a, tqueue *q)
{
    while (q->rhead >= RING_BLOCK) {
        rentry *b = q->blk[q->b0++];
        q->nblk--;
        q->rhead -= RING_BLOCK;
        if (q->spare == NULL)
            q->spare = b;
        else
            kpi__free(a, b);
    }
    if (q->nblk == 0)
        q->b0 = 0;
}

/* Room for `more` pushes, whichever part they go to (not in a
 * transaction). */
static int tq_reserve(const kpi_allocator *a, tqueue *q, size_t more)
{
    tq_trim(a, q);
    while ((q->nblk << RING_BITS) - q->rhead - q->rlen < more) {
        if (q->b0 + q->nblk == q->bcap) {
            if (q->b0 > 0) {
                memmove(q->blk, q->blk + q->b0, q->nblk * sizeof *q->blk);
                q->b0 = 0;
            } else if (grow_array(a, (void **)&q->blk, &q->bcap, q->bcap + 1,
                                  sizeof *q->blk) != KPI_OK) {
                return KPI_ERR_NOMEM;
            }
        }
        rentry *b = q->spare;
        if (b == NULL && (b = kpi__malloc(a, RING_BLOCK * sizeof *b)) == NULL)
            return KPI_ERR_NOMEM;
        q->spare = NULL;
        q->blk[q->b0 + q->nblk++] = b;
    }
    return grow_array(a, (void **)&q->heap, &q->hcap, q->hlen + more, sizeof(tentry));
}

/* Sift e up from heap position i (the heap's length already counts it). */
static void heap_up(tqueue *q, size_t i, tentry e)
{
    while (i > 0) {
        size_t p = (i - 1) / 2;
        if (!te_less(&e, &q->heap[p]))
            break;
        q->heap[i] = q->heap[p];
        i = p;
    }
    q->heap[i] = e;
}

/* Push (room reserved); true if the entry went to the ring. */
static bool tq_push(tqueue *q, int64_t due, uint64_t key)
{
    tentry e = {due, key};
    rentry *r = ring_at(q, q->rlen);
    if (q->rlen == 0) {
        q->rdue = q->tdue = due;
        r->step = 0;
    } else {
        tentry tail = {q->tdue, rkey(ring_at(q, q->rlen - 1))};
        if (te_less(&e, &tail) || (uint64_t)due - (uint64_t)q->tdue > UINT32_MAX) {
            heap_up(q, q->hlen++, e);
            return false;
        }
        r->step = (uint32_t)((uint64_t)due - (uint64_t)q->tdue);
        q->tdue = due;
    }
    r->klo = (uint32_t)key;
    r->khi = (uint32_t)(key >> 32);
    q->rlen++;
    return true;
}

/* The smallest entry, if any (*ring: from the ring). */
static inline bool tq_min(const tqueue *q, tentry *out, bool *ring)
{
    if (q->rlen == 0 && q->hlen == 0)
        return false;
    if (q->rlen != 0) {
        out->due = q->rdue;
        out->key = rkey(ring_at(q, 0));
        *ring = true;
        if (q->hlen == 0 || !te_less(&q->heap[0], out))
            return true;
    }
    *out = q->heap[0];
    *ring = false;
    return true;
}

/* Is anything due by t?  (One comparison on most events.) */
static inline bool tq_due(const tqueue *q, int64_t t)
{
    return (q->rlen != 0 && q->rdue <= t) || (q->hlen != 0 && q->heap[0].due <= t);
}

/* The smallest due time (the queue is not empty). */
static inline int64_t tq_head_due(const tqueue *q)
{
    tentry x;
    bool ring;
    return tq_min(q, &x, &ring) ? x.due : INT64_MAX;
}

/* Sift `last` down from heap position i over the first n entries. */
static void heap_down(tqueue *q, size_t i, size_t n, tentry last)
{
    for (;;) {
        size_t c = 2 * i + 1;
        if (c >= n)
            break;
        if (c + 1 < n && te_less(&q->heap[c + 1], &q->heap[c]))
            c++;
        if (!te_less(&q->heap[c], &last))
            break;
        q->heap[i] = q->heap[c];
        i = c;
    }
    if (n > 0)
        q->heap[i] = last;
}

/* Pop the smallest entry (the queue is not empty); *ring tells where it
 * came from. */
static tentry tq_pop(tqueue *q, bool *ring)
{
    tentry out = {0, 0};
    *ring = false;
    tq_min(q, &out, ring);
    if (*ring) {
        q->rhead++; /* its block is let go by tq_trim(), later */
        q->rlen--;
        if (q->rlen != 0)
            q->rdue += ring_at(q, 0)->step;
        return out;
    }
    tentry last = q->heap[--q->hlen];
    heap_down(q, 0, q->hlen, last);
    return out;
}

/* Take back the latest push of e (undo): the ring's tail, or e in the heap. */
static void tq_unpush(tqueue *q, tentry e, bool ring)
{
    if (ring) {
        q->rlen--;
        q->tdue = e.due - ring_at(q, q->rlen)->step;
        return;
    }
    size_t i = 0;
    while (q->heap[i].due != e.due || q->heap[i].key != e.key)
        i++;
    tentry last = q->heap[--q->hlen];
    if (i == q->hlen)
        return;
    if (i > 0 && te_less(&last, &q->heap[(i - 1) / 2]))
        heap_up(q, i, last);
    else
        heap_down(q, i, q->hlen, last);
}

/* Put back a popped entry (undo), where it came from. */
static void tq_unpop(tqueue *q, tentry e, bool ring)
{
    if (ring) {
        q->rhead--; /* > 0: no trim since the pop */
        if (q->rlen == 0)
            q->tdue = e.due;
        q->rdue = e.due;
        q->rlen++;
        return;
    }
    heap_up(q, q->hlen++, e);
}

static void tq_clear(tqueue *q)
{
    q->rhead = q->rlen = q->hlen = 0;
}

static void tq_free(const kpi_allocator *a, tqueue *q)
{
    for (size_t i = 0; i < q->nblk; i++)
        kpi__free(a, q->blk[q->b0 + i]);
    kpi__free(a, q->blk);
    kpi__free(a, q->spare);
    kpi__free(a, q->heap);
    memset(q, 0, sizeof *q);
}

static size_t tq_bytes(const tqueue *q)
{
    return (q->nblk + (q->spare != NULL)) * RING_BLOCK * sizeof(rentry) +
           q->bcap * sizeof(rentry *) + q->hcap * sizeof(tentry);
}

/* ---- generic dense table with an index (dimension keys, customers) ----- */

typedef struct dkey {
    uint64_t key;
    void *m[NM]; /* group members for this key (NULL: not broken down) */
} dkey;

typedef struct dimtab {
    dkey *v;
    size_t n, cap;
    uint32_t *index;
    uint32_t icap;
    kpi_group *g[NM]; /* NULL where the metric is not broken down by it */
} dimtab;

typedef struct cent {
    uint64_t key;
    int64_t last;
} cent;

typedef struct ctab {
    cent *v;
    size_t n, cap;
    uint32_t *index;
    uint32_t icap;
} ctab;

static uint64_t dim_key(const void *ctx, uint32_t i)
{
    return ((const dimtab *)ctx)->v[i].key;
}
static uint64_t cust_key(const void *ctx, uint32_t i)
{
    return ((const ctab *)ctx)->v[i].key;
}

/* Entry number of key in a dense table (keys via key_of), or -1. */
static inline int64_t dense_find(const uint32_t *index, uint32_t icap, uint64_t key,
                          uint64_t (*key_of)(const void *, uint32_t),
                          const void *ctx, uint32_t *pos)
{
    if (icap == 0)
        return -1;
    uint32_t mask = icap - 1, i = (uint32_t)kpi__mix64(key) & mask;
    while (index[i] != 0) {
        if (key_of(ctx, index[i] - 1) == key) {
            if (pos)
                *pos = i;
            return index[i] - 1;
        }
        i = (i + 1) & mask;
    }
    if (pos)
        *pos = i;
    return -1;
}

/* ---- names ------------------------------------------------------------ */

typedef struct nament {
    uint64_t code;
    char *name;
} nament;

typedef struct names {
    nament *v;
    size_t n, cap;
} names;

static size_t names_lower(const names *t, uint64_t code)
{
    size_t lo = 0, hi = t->n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (t->v[mid].code < code)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

static const char *names_get(const names *t, uint64_t code)
{
    /* codes numbered 1, 2, 3, ... (the common case): code k at k - 1, as
     * the codes are sorted and distinct */
    if (code - 1 < t->n && t->v[code - 1].code == code)
        return t->v[code - 1].name;
    size_t i = names_lower(t, code);
    return (i < t->n && t->v[i].code == code) ? t->v[i].name : NULL;
}

static int names_set(const kpi_allocator *a, names *t, uint64_t code,
                     const char *name, size_t len)
{
    char *copy = kpi__malloc(a, len + 1);
    if (copy == NULL)
        return KPI_ERR_NOMEM;
    memcpy(copy, name, len);
    copy[len] = '\0';
    size_t i = names_lower(t, code);
    if (i < t->n && t->v[i].code == code) {
        kpi__free(a, t->v[i].name);
        t->v[i].name = copy;
        return KPI_OK;
    }
    if (grow_array(a, (void **)&t->v, &t->cap, t->n + 1, sizeof(nament)) != KPI_OK) {
        kpi__free(a, copy);
        return KPI_ERR_NOMEM;
    }
    memmove(&t->v[i + 1], &t->v[i], (t->n - i) * sizeof(nament));
    t->v[i].code = code;
    t->v[i].name = copy;
    t->n++;
    return KPI_OK;
}

static void names_free(const kpi_allocator *a, names *t)
{
    for (size_t i = 0; i < t->n; i++)
        kpi__free(a, t->v[i].name);
    kpi__free(a, t->v);
    memset(t, 0, sizeof *t);
}

/* ---- the engine -------------------------------------------------------- */

typedef struct bucket {
    int64_t k;          /* period index */
    uint64_t backlog;   /* unresolved when the period ended */
    uint8_t has_backlog;
    void *m[NM];        /* per metric (volume: NULL) */
    kpi_topk *topk;     /* topics of the tickets created in the period:
                         * made with the period's first topic (NULL
                         * before), emptied, not freed, when it leaves */
} bucket;

/* One value for a metric. */
typedef struct val {
    int64_t i;   /* duration ms, rate success, score answer, series time */
    double num;  /* ratio numerator */
    double den;  /* ratio denominator */
} val;

/* ---- transactions ------------------------------------------------------
 *
 * An event (and kpi_engine_advance) runs as a transaction, so that it
 * applies completely or returns KPI_ERR_NOMEM with the engine as it was:
 *   1. the state changes (tickets, timers, customers, counters) are made at
 *      once and each logged in an undo list; values to record, period
 *      rolls and topic adds are queued as ops instead of done;
 *   2. as an op is queued, every allocation it needs is made: a breakdown
 *      member that does not exist yet is made apart (not yet in its group,
 *      room reserved), a duration sketch's window is widened to hold the
 *      value, the top-k arena grown; none of this changes a value, a read
 *      or a serialized byte;
 *   3. at the end, if anything failed (an allocation in 2, or growing the
 *      logs in 1), the made members are freed and the undo list is played
 *      backwards; otherwise the ops are done in order, and none of them can
 *      fail for want of memory.
 * Outside a transaction (merging into a private copy) the same code
 * applies everything at once. */

/* Ops: the feeds of one value to its accumulators (its metric's total,
 * breakdown members, period bucket) are one op whose kind is their type
 * (OP_DUR ... OP_SERIES: T_DUR ... T_SERIES); the others follow. */
enum {
    OP_DUR = T_DUR, OP_RATE, OP_SCORE, OP_RATIO, OP_SERIES,
    OP_MEMBER, OP_ROLL, OP_START, OP_TOPIC
};

typedef struct op {
    uint8_t kind;
    uint8_t m;        /* MEMBER: metric */
    uint8_t n;        /* feeds: accumulators fed (acc[0] the total) */
    int32_t idx;      /* DUR: the value's bucket */
    void *ref;        /* MEMBER: dkey (its member made apart, fed by feeds
                       * like any other, adopted at the commit); TOPIC:
                       * label */
    void *dt;         /* MEMBER: dimtab */
    union {
        val v;        /* feeds: the value (DUR: v.i only); TOPIC: v.i =
                       * length */
        struct {
            int64_t from, to; /* ROLL: head before, after; START: to */
            uint64_t backlog;
        } r;
    } d;
    void *acc[NDIM + 2]; /* feeds; TOPIC: acc[0] the period's top-k (or
                          * NULL: the period is not kept) */
} op;

enum { U_SLOT, U_INSERT, U_EVICT, U_CUST_NEW, U_CUST_LAST, U_CUST_DEL, U_PUSH, U_POP };

typedef struct undo {
    uint8_t kind;
    uint8_t cq;       /* PUSH, POP: the customer queue (else tickets') */
    uint8_t ring;     /* PUSH, POP: the entry's part of the queue */
    uint32_t pos;     /* SLOT, EVICT, CUST_*: slot or entry number */
    tentry x;         /* PUSH, POP: the entry; CUST_*: key and last */
    tk t;             /* SLOT, EVICT: the slot as it was */
    bsums b;          /* SLOT, EVICT: its business sums (biz) */
} undo;

typedef struct txn {
    bool on;
    int fail;         /* KPI_ERR_NOMEM once a log could not grow */
    op *ops;
    size_t nops, opcap;
    size_t nq;        /* feeds and other ops queued (MEMBER ops aside) */
    undo *u;
    size_t nu, ucap;
    size_t spares;    /* members made apart so far */
    /* values queued (each to its metric's total), the sum of their
     * duration ms (saturated), and topic labels queued: checked against
     * the totals (tx_check) */
    uint64_t add_n, add_v, pend_topics;
    bool exact;            /* tx_check() read the totals */
    bool step_ok;     /* settling before the event: may commit in steps */
    bool late;        /* a timer was pushed already due (by the engine's now) */
    /* counters and clock as they were */
    bool started;
    int64_t now, head;
    uint64_t cnt[NSTORED];
    uint64_t nstatus[7];
    uint64_t nwaiting;
} txn;

struct kpi_engine {
    kpi__object base;
    /* configuration */
    int64_t opt[KPI_ENGINE_OPTIONS];
    kpi_calendar *cal;
    kpi_sla_policy *pol;
    bool one_cal; /* pol's calendar equals cal (one_cal_update()) */
    /* the last business span computed in cal (span_business(): fixed once
     * started; zero, the empty span, in a new engine): a first reply
     * measures one span for its FRT, its reply time and the time new */
    int64_t memo_from, memo_to, memo_biz;
    int64_t targets[NM][KPI_DURATION_MAX_TARGETS];
    uint8_t ntargets[NM];
    names names[NNAMES];
    /* built from the configuration */
    void *proto[NM];
    void *tot[NM];
    dimtab dim[NDIM];
    kpi_topk *topk;
    bucket *ring;
    uint32_t nper;
    /* data */
    bool started;
    int64_t now;
    int64_t head;       /* period index of now */
    uint32_t head_slot; /* its bucket's place in the ring */
    int64_t head_lo;    /* [head_lo, head_hi): the head period's time span */
    int64_t head_hi;
    uint64_t cnt[NSTORED];
    uint64_t nstatus[7];
    uint64_t nwaiting;
    tstore ts;
    tqueue tq;          /* ticket settlement and eviction */
    ctab cust;
    tqueue cq;          /* customer expiry */
    txn tx;
    /* upper bounds on every total's count and duration sum, so that most
     * transactions pass tx_check() without reading the totals */
    uint64_t hw_n, hw_v;
};

/* Options serialized one by one; later ones are folded into these
 * (engine_encode). */
#define OPTS_V1 16

static const int64_t opt_default[KPI_ENGINE_OPTIONS] = {
    7 * KPI_MS_PER_DAY, /* reopen window */
    7 * KPI_MS_PER_DAY, /* repeat window */
    0,                  /* repeat same topic */
    0,                  /* bot replies count */
    1,                  /* FRT from handoff */
    1,                  /* FCR max replies */
    1,                  /* message reopens */
    KPI_MS_PER_DAY,     /* period */
    0,                  /* origin */
    35,                 /* periods */
    200,                /* top-k capacity */
    5, 4,               /* CSAT */
    7, 5,               /* CES */
    0x1e,               /* breakdowns */
    1,                  /* FCR min replies: exactly one reply (KPIS.md) */
};

static int opt_check(int option, int64_t v)
{
    switch (option) {
    case KPI_ENGINE_OPT_REOPEN_WINDOW_MS:
    case KPI_ENGINE_OPT_REPEAT_WINDOW_MS:
        return (v >= 0 && v <= OFF_LIMIT / 2) ? KPI_OK : KPI_ERR_RANGE;
    case KPI_ENGINE_OPT_REPEAT_SAME_TOPIC:
    case KPI_ENGINE_OPT_BOT_REPLIES_COUNT:
    case KPI_ENGINE_OPT_FRT_FROM_HANDOFF:
    case KPI_ENGINE_OPT_MESSAGE_REOPENS:
        return (v == 0 || v == 1) ? KPI_OK : KPI_ERR_RANGE;
    case KPI_ENGINE_OPT_FCR_MAX_REPLIES:
    case KPI_ENGINE_OPT_FCR_MIN_REPLIES:
        return (v >= 0 && v <= 254) ? KPI_OK : KPI_ERR_RANGE;
    case KPI_ENGINE_OPT_PERIOD_MS:
        return (v >= KPI_MS_PER_SECOND && v <= 366 * KPI_MS_PER_DAY) ? KPI_OK
                                                                     : KPI_ERR_RANGE;
    case KPI_ENGINE_OPT_PERIOD_ORIGIN_MS:
        return (v > -TIME_LIMIT && v < TIME_LIMIT) ? KPI_OK : KPI_ERR_RANGE;
    case KPI_ENGINE_OPT_PERIODS:
        return (v >= 1 && v <= MAX_PERIODS) ? KPI_OK : KPI_ERR_RANGE;
    case KPI_ENGINE_OPT_TOPK_CAPACITY:
        return (v >= 1 && v <= 1000000) ? KPI_OK : KPI_ERR_RANGE;
    case KPI_ENGINE_OPT_CSAT_MAX:
    case KPI_ENGINE_OPT_CES_MAX:
        return (v >= 2 && v <= 100) ? KPI_OK : KPI_ERR_RANGE;
    case KPI_ENGINE_OPT_CSAT_SATISFIED_FROM:
    case KPI_ENGINE_OPT_CES_EASY_FROM:
        return (v >= 1 && v <= 100) ? KPI_OK : KPI_ERR_RANGE;
    case KPI_ENGINE_OPT_BREAKDOWNS:
        return (v >= 0 && (v & ~INT64_C(0x1e)) == 0) ? KPI_OK : KPI_ERR_RANGE;
    default:
        return KPI_ERR_INVALID; /* an unknown option (not reached) */
    }
}

/* Thresholds must lie on their scales (checked when the scales are built). */
static int opt_consistent(const int64_t *o)
{
    if (o[KPI_ENGINE_OPT_CSAT_SATISFIED_FROM] > o[KPI_ENGINE_OPT_CSAT_MAX] ||
        o[KPI_ENGINE_OPT_CES_EASY_FROM] > o[KPI_ENGINE_OPT_CES_MAX] ||
        o[KPI_ENGINE_OPT_FCR_MIN_REPLIES] > o[KPI_ENGINE_OPT_FCR_MAX_REPLIES])
        return KPI_ERR_RANGE;
    return KPI_OK;
}

/* After cal or pol changed: does the policy measure business hours in a
 * calendar equal to the engine's?  Then a business span computed for a
 * recorded duration also judges an SLA target over the same span. */
static void one_cal_update(kpi_engine *e)
{
    const kpi_calendar *pc = e->pol != NULL ? kpi__sla_policy_calendar(e->pol) : NULL;
    int eq = 0;
    e->one_cal = e->cal != NULL && pc != NULL && kpi_calendar_equal(e->cal, pc, &eq) == KPI_OK &&
                 eq;
}

/* ---- primitives: creation and feeding ----------------------------------- */

static const kpi__type *type_of_metric(int m)
{
    switch (mtype[m]) {
    case T_DUR:
        return &kpi__duration_type;
    case T_RATE:
        return &kpi__rate_type;
    case T_SCORE:
        return &kpi__score_type;
    case T_RATIO:
        return &kpi__ratio_type;
    default:
        return &kpi__series_type;
    }
}

static int make_proto(const kpi_engine *e, int m, void **out)
{
    const kpi_allocator *a = &e->base.alloc;
    const int64_t *o = e->opt;
    int rc;
    switch (mtype[m]) {
    case T_DUR: {
        kpi_duration *d = NULL;
        rc = kpi_duration_new_with(&d, KPI_DURATION_DEFAULT_ACCURACY, a);
        if (rc != KPI_OK)
            return rc;
        for (int i = 0; rc == KPI_OK && i < e->ntargets[m]; i++)
            rc = kpi_duration_add_target(d, e->targets[m][i]);
        if (rc != KPI_OK) {
            kpi__destroy(d);
            return rc;
        }
        *out = d;
        return KPI_OK;
    }
    case T_RATE:
        return kpi_rate_new_with((kpi_rate **)out, a);
    case T_SCORE: {
        kpi_score *s;
        int32_t lo = 1, hi, from;
        if (m == KPI_ENGINE_NPS) {
            lo = 0;
            hi = 10;
            from = 9;
        } else if (m == KPI_ENGINE_CSAT) {
            hi = (int32_t)o[KPI_ENGINE_OPT_CSAT_MAX];
            from = (int32_t)o[KPI_ENGINE_OPT_CSAT_SATISFIED_FROM];
        } else {
            hi = (int32_t)o[KPI_ENGINE_OPT_CES_MAX];
            from = (int32_t)o[KPI_ENGINE_OPT_CES_EASY_FROM];
        }
        rc = kpi_score_new_with(&s, lo, hi, a);
        if (rc != KPI_OK)
            return rc;
        if (m != KPI_ENGINE_NPS && (rc = kpi_score_set_threshold(s, from)) != KPI_OK) {
            kpi__destroy(s);
            return rc;
        }
        *out = s;
        return KPI_OK;
    }
    case T_RATIO:
        return kpi_ratio_new_with((kpi_ratio **)out, 0, a);
    default:
        return kpi_series_new_with((kpi_series **)out, o[KPI_ENGINE_OPT_PERIOD_MS],
                                   (uint32_t)o[KPI_ENGINE_OPT_PERIODS],
                                   o[KPI_ENGINE_OPT_PERIOD_ORIGIN_MS], a);
    }
}

/* Feed v to acc, an accumulator of type t (T_DUR ... T_SERIES). */
static inline int feed(void *acc, int t, const val *v)
{
    switch (t) {
    case T_DUR:
        return kpi_duration_add(acc, v->i);
    case T_RATE:
        return kpi_rate_add(acc, (int)v->i);
    case T_SCORE:
        return kpi_score_add(acc, (int32_t)v->i);
    case T_RATIO:
        return kpi_ratio_add(acc, v->num, v->den);
    default: {
        int rc = kpi_series_add(acc, v->i, 1.0);
        /* a creation older than the ring (arriving after a later one of
         * another ticket) is counted in the total only */
        if (rc == KPI_ERR_ORDER)
            kpi__series_add_total(acc, 1.0);
        return rc == KPI_ERR_ORDER ? KPI_OK : rc;
    }
    }
}

/* ---- building and tearing down the KPI state --------------------------- */

static void dims_free(kpi_engine *e)
{
    const kpi_allocator *a = &e->base.alloc;
    for (int d = 0; d < NDIM; d++) {
        dimtab *t = &e->dim[d];
        for (int m = 0; m < NM; m++)
            kpi__destroy(t->g[m]);
        kpi__free(a, t->v);
        kpi__free(a, t->index);
        memset(t, 0, sizeof *t);
    }
}

static void kpis_free(kpi_engine *e)
{
    const kpi_allocator *a = &e->base.alloc;
    for (int m = 0; m < NM; m++) {
        kpi__destroy(e->proto[m]);
        kpi__destroy(e->tot[m]);
        e->proto[m] = e->tot[m] = NULL;
    }
    dims_free(e);
    kpi__destroy(e->topk);
    e->topk = NULL;
    if (e->ring != NULL) {
        for (uint32_t p = 0; p < e->nper; p++) {
            for (int m = 0; m < NM; m++)
                kpi__destroy(e->ring[p].m[m]);
            kpi__destroy(e->ring[p].topk);
        }
        kpi__free(a, e->ring);
    }
    e->ring = NULL;
    e->nper = 0;
}

/* The place of period k's bucket in the ring (nper > 0). */
static uint32_t ring_slot(const kpi_engine *e, int64_t k)
{
    int64_t P = e->nper, s = k % P;
    return (uint32_t)(s < 0 ? s + P : s);
}

/* Make *slot, if NULL, an empty top-topics summary of the engine's
 * capacity (the all-time one, a period's, a window's).  KPI_OK or
 * KPI_ERR_NOMEM. */
static int topk_made(const kpi_engine *e, kpi_topk **slot)
{
    return *slot != NULL ? KPI_OK
                         : kpi_topk_new_with(slot, (uint32_t)e->opt[KPI_ENGINE_OPT_TOPK_CAPACITY],
                                             &e->base.alloc);
}

/* Build prototypes, totals, groups, top-k and ring from the options. */
static int kpis_build(kpi_engine *e)
{
    const kpi_allocator *a = &e->base.alloc;
    int rc = KPI_OK;
    for (int m = 0; m < NM && rc == KPI_OK; m++) {
        rc = make_proto(e, m, &e->proto[m]);
        if (rc == KPI_OK)
            rc = kpi__clone(type_of_metric(m), e->proto[m], &e->tot[m]);
        unsigned dims = metric_dims(m) & (unsigned)e->opt[KPI_ENGINE_OPT_BREAKDOWNS];
        for (int d = 0; d < NDIM && rc == KPI_OK; d++)
            if (dims & (1u << (d + 1)))
                rc = kpi_group_new_with(&e->dim[d].g[m], e->proto[m], a);
    }
    if (rc == KPI_OK)
        rc = topk_made(e, &e->topk);
    if (rc == KPI_OK) {
        uint32_t P = (uint32_t)e->opt[KPI_ENGINE_OPT_PERIODS];
        e->ring = kpi__calloc(a, P, sizeof(bucket));
        if (e->ring == NULL)
            rc = KPI_ERR_NOMEM;
        else
            e->nper = P;
        for (uint32_t p = 0; p < e->nper && rc == KPI_OK; p++)
            for (int m = 0; m < NM && rc == KPI_OK; m++)
                if (mtype[m] != T_SERIES)
                    rc = kpi__clone(type_of_metric(m), e->proto[m], &e->ring[p].m[m]);
    }
    if (rc != KPI_OK)
        kpis_free(e);
    else
        e->head_slot = ring_slot(e, e->head); /* in the new ring */
    return rc;
}

/* The start of period k, origin + k * period, for a period that holds a
 * time in (-TIME_LIMIT, TIME_LIMIT] (so the start fits an int64): taken in
 * unsigned (modular) arithmetic, since the product alone may not fit (an
 * origin near 2^62 and a time near -2^62 give one below INT64_MIN). */
static int64_t period_start(const kpi_engine *e, int64_t k)
{
    return (int64_t)((uint64_t)k * (uint64_t)e->opt[KPI_ENGINE_OPT_PERIOD_MS] +
                     (uint64_t)e->opt[KPI_ENGINE_OPT_PERIOD_ORIGIN_MS]);
}

static void set_head(kpi_engine *e, int64_t k)
{
    e->head = k;
    e->head_slot = e->nper > 0 ? ring_slot(e, k) : 0;
    e->head_lo = period_start(e, k);
    e->head_hi = e->head_lo + e->opt[KPI_ENGINE_OPT_PERIOD_MS];
}

static void data_clear(kpi_engine *e)
{
    const kpi_allocator *a = &e->base.alloc;
    ts_free(a, &e->ts);
    tq_free(a, &e->tq);
    tq_free(a, &e->cq);
    kpi__free(a, e->cust.v);
    kpi__free(a, e->cust.index);
    memset(&e->cust, 0, sizeof e->cust);
    memset(e->cnt, 0, sizeof e->cnt);
    memset(e->nstatus, 0, sizeof e->nstatus);
    e->nwaiting = 0;
    e->started = false;
    e->now = 0;
    set_head(e, 0);
}

static void engine_destroy(void *obj)
{
    kpi_engine *e = obj;
    const kpi_allocator *a = &e->base.alloc;
    data_clear(e);
    kpis_free(e);
    kpi__destroy(e->cal);
    kpi__destroy(e->pol);
    for (int i = 0; i < NNAMES; i++)
        names_free(a, &e->names[i]);
    kpi__free(a, e->tx.ops);
    kpi__free(a, e->tx.u);
    kpi__object_free(e);
}

/* Rebuild the KPI state after a configuration change (engine empty):
 * all-or-nothing, through a swap. */
static int reconfigure(kpi_engine *e, const int64_t *opt)
{
    kpi_engine tmp;
    memcpy(&tmp, e, sizeof tmp);
    memcpy(tmp.opt, opt, sizeof tmp.opt);
    for (int m = 0; m < NM; m++)
        tmp.proto[m] = tmp.tot[m] = NULL;
    memset(tmp.dim, 0, sizeof tmp.dim);
    tmp.topk = NULL;
    tmp.ring = NULL;
    tmp.nper = 0;
    int rc = kpis_build(&tmp);
    if (rc != KPI_OK)
        return rc;
    kpis_free(e);
    memcpy(e, &tmp, sizeof *e);
    return KPI_OK;
}

/* ---- breakdown keys ---------------------------------------------------- */

/* Intern `key` in dimension d (1-based dim); room must be reserved. */
static int dim_reserve(kpi_engine *e, int d, uint64_t key, bool *present)
{
    dimtab *t = &e->dim[d - 1];
    if (dense_find(t->index, t->icap, key, dim_key, t, NULL) >= 0) {
        *present = true;
        return KPI_OK;
    }
    *present = false;
    /* a ticket keeps an agent's or a team's index + 1 (0 = none): an
     * agent's in 24 bits, so 2^24 - 1 agents; a team's in 16 bits, so
     * 65535 teams, every non-zero code (0..65535) */
    size_t limit = d == KPI_DIM_AGENT ? ((size_t)1 << 24) - 1
                   : d == KPI_DIM_TEAM ? 65535u
                                       : 256u;
    if (t->n >= limit)
        return KPI_ERR_LIMIT;
    int rc = grow_array(&e->base.alloc, (void **)&t->v, &t->cap, t->n + 1, sizeof(dkey));
    if (rc == KPI_OK)
        rc = index_reserve(&e->base.alloc, &t->index, &t->icap, (uint32_t)t->n, 1,
                           dim_key, t, false);
    return rc;
}

/* dim_intern() of a key not interned yet. */
static int dim_add(kpi_engine *e, int d, uint64_t key, uint32_t *idx)
{
    dimtab *t = &e->dim[d - 1];
    uint32_t pos = 0;
    bool present;
    int rc = dim_reserve(e, d, key, &present);
    if (rc != KPI_OK)
        return rc;
    dkey k;
    memset(&k, 0, sizeof k);
    k.key = key; /* members are made when a first value is recorded */
    dense_find(t->index, t->icap, key, dim_key, t, &pos);
    t->v[t->n] = k;
    t->index[pos] = (uint32_t)++t->n;
    *idx = (uint32_t)(t->n - 1);
    return KPI_OK;
}

/* Index of `key` in dimension d, creating it (its members are made with
 * the first value recorded under it).  The look-up inline: most records
 * name a known key. */
static inline int dim_intern(kpi_engine *e, int d, uint64_t key, uint32_t *idx)
{
    const dimtab *t = &e->dim[d - 1];
    int64_t i = dense_find(t->index, t->icap, key, dim_key, t, NULL);
    if (KPI__LIKELY(i >= 0)) {
        *idx = (uint32_t)i;
        return KPI_OK;
    }
    return dim_add(e, d, key, idx);
}

/* The interned keys of a value: agent + 1, team + 1 (0 = none), channel +
 * 1, priority + 1 (0 = none). */
typedef struct keys {
    uint32_t k[NDIM];
} keys;

static keys keys_of(const tk *t)
{
    keys k = {{t->agent, t->team, (uint32_t)t->channel + 1, (uint32_t)t->priority + 1}};
    return k;
}

/* ---- periods ----------------------------------------------------------- */

static int64_t floor_div(int64_t a, int64_t b)
{
    int64_t q = a / b;
    return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

static int64_t period_of(const kpi_engine *e, int64_t t)
{
    return floor_div(t - e->opt[KPI_ENGINE_OPT_PERIOD_ORIGIN_MS],
                     e->opt[KPI_ENGINE_OPT_PERIOD_MS]);
}

static bucket *bucket_of(const kpi_engine *e, int64_t k)
{
    return &e->ring[ring_slot(e, k)];
}

/* The bucket of the period that holds time t, or NULL when that period
 * has left the ring (or not yet entered it). */
static inline bucket *period_bucket(const kpi_engine *e, int64_t t)
{
    if (t >= e->head_lo && t < e->head_hi)
        return &e->ring[e->head_slot];
    int64_t p = period_of(e, t);
    return p > e->head - (int64_t)e->nper && p <= e->head ? bucket_of(e, p) : NULL;
}

/* The top topics of the period that holds t, made with its first topic
 * (an empty summary changes no read and no serialized byte): *out is NULL
 * when that period is not kept.  KPI_OK or KPI_ERR_NOMEM. */
static int period_topk(kpi_engine *e, int64_t t, kpi_topk **out)
{
    bucket *b = period_bucket(e, t);
    int rc = b != NULL ? topk_made(e, &b->topk) : KPI_OK;
    *out = b != NULL ? b->topk : NULL;
    return rc;
}

/* Does a period hold a topic (an empty summary is as none)? */
static bool period_has_topics(const bucket *b)
{
    return b->topk != NULL && kpi_topk_total(b->topk) != 0;
}

static uint64_t unresolved(const kpi_engine *e)
{
    return e->nstatus[KPI_STATUS_NEW] + e->nstatus[KPI_STATUS_OPEN] +
           e->nstatus[KPI_STATUS_PENDING] + e->nstatus[KPI_STATUS_ON_HOLD];
}

/* Roll the ring from period `head` to k > head: the periods that start are
 * emptied, the backlog of those that end recorded. */
static void roll_commit(kpi_engine *e, int64_t head, int64_t k, uint64_t backlog)
{
    int64_t P = e->nper, lo = head + 1;
    if (lo < k - P + 1)
        lo = k - P + 1;
    for (int64_t j = lo; j <= k; j++) {
        bucket *b = bucket_of(e, j);
        for (int m = 0; m < NM; m++)
            if (b->m[m] != NULL)
                type_of_metric(m)->reset(b->m[m]);
        if (b->topk != NULL)
            kpi_topk_reset(b->topk);
        b->k = j;
        b->has_backlog = 0;
        b->backlog = 0;
    }
    int64_t from = head < k - P + 1 ? k - P + 1 : head;
    for (int64_t j = from; j < k; j++) {
        bucket *b = bucket_of(e, j);
        b->backlog = backlog;
        b->has_backlog = 1;
    }
}

/* The ring's periods at the first event: head and the nper - 1 before. */
static void start_commit(kpi_engine *e, int64_t head)
{
    for (uint32_t p = 0; p < e->nper; p++)
        e->ring[p].k = INT64_MIN;
    for (int64_t j = head - e->nper + 1; j <= head; j++)
        bucket_of(e, j)->k = j;
}

/* ---- transactions (see "transactions" above) --------------------------- */

/* Room for nu more undo entries and nops more ops; false (and the
 * transaction failed) if a log cannot grow. */
static bool tx_grow_slow(kpi_engine *e, size_t nu, size_t nops);

static inline bool tx_grow(kpi_engine *e, size_t nu, size_t nops)
{
    const txn *x = &e->tx;
    /* (the callers' counts are constants: a log they do not ask room in
     * drops out of the test) */
    if (x->fail == KPI_OK && (nu == 0 || x->nu + nu <= x->ucap) &&
        (nops == 0 || x->nops + nops <= x->opcap))
        return true;
    return tx_grow_slow(e, nu, nops);
}

static bool tx_grow_slow(kpi_engine *e, size_t nu, size_t nops)
{
    txn *x = &e->tx;
    const kpi_allocator *a = &e->base.alloc;
    if (x->fail != KPI_OK)
        return false;
    if ((x->nu + nu > x->ucap &&
         grow_array(a, (void **)&x->u, &x->ucap, x->nu + nu, sizeof(undo)) != KPI_OK) ||
        (x->nops + nops > x->opcap &&
         grow_array(a, (void **)&x->ops, &x->opcap, x->nops + nops, sizeof(op)) != KPI_OK)) {
        x->fail = KPI_ERR_NOMEM;
        return false;
    }
    return true;
}

/* An undo entry (room reserved with tx_grow). */
static undo *tx_log(kpi_engine *e, int kind)
{
    undo *u = &e->tx.u[e->tx.nu++];
    u->kind = (uint8_t)kind;
    u->cq = u->ring = 0;
    return u;
}

/* A queued op, or NULL (and the transaction failed). */
static op *tx_op(kpi_engine *e, int kind)
{
    txn *x = &e->tx;
    if (x->nops == x->opcap && !tx_grow(e, 0, 1))
        return NULL;
    op *o = &x->ops[x->nops++];
    o->kind = (uint8_t)kind;
    x->nq++;
    return o;
}

/* Start a transaction: logs with room for an event, counters saved. */
static int tx_begin(kpi_engine *e)
{
    txn *x = &e->tx;
    x->nops = x->nq = x->nu = x->spares = 0;
    x->fail = KPI_OK;
    x->add_n = x->add_v = x->pend_topics = 0;
    if (!tx_grow(e, 8, 64)) {
        x->fail = KPI_OK;
        return KPI_ERR_NOMEM;
    }
    x->on = true;
    x->started = e->started;
    x->now = e->now;
    x->head = e->head;
    memcpy(x->cnt, e->cnt, sizeof x->cnt);
    memcpy(x->nstatus, e->nstatus, sizeof x->nstatus);
    x->nwaiting = e->nwaiting;
    return KPI_OK;
}

/* Put a removed ticket back in its slot (the one moved there goes back to
 * the end). */
static void ts_unremove(tstore *s, uint32_t hole, const tk *saved, const bsums *bsaved)
{
    bool found;
    uint32_t last = s->n;
    if (hole != last) {
        tk *h = slot_at(s, hole);
        uint32_t p = index_pos_of(s->index, s->icap, h->id, ts_entry(h->id, hole));
        *slot_at(s, last) = *h;
        if (s->biz)
            memcpy(bz_at(s, last), bz_at(s, hole), BZ_BYTES);
        s->index[p] = ts_entry(h->id, last);
    }
    *slot_at(s, hole) = *saved;
    bz_load(s, hole, bsaved);
    s->index[ts_probe(s, saved->id, &found)] = ts_entry(saved->id, hole);
    s->n++;
}

/* Remove customer entry i (at index position pos): the last fills the hole. */
static void cust_remove(ctab *c, size_t i, uint32_t pos)
{
    index_delete(c->index, c->icap, pos, cust_key, c);
    size_t last = c->n - 1;
    if (i != last) {
        uint32_t lp = index_pos_of(c->index, c->icap, c->v[last].key, (uint32_t)last + 1);
        c->v[i] = c->v[last];
        c->index[lp] = (uint32_t)i + 1;
    }
    c->n--;
}

static void cust_unremove(ctab *c, size_t hole, cent saved)
{
    uint32_t pos = 0;
    size_t last = c->n;
    if (hole != last) {
        uint32_t p = index_pos_of(c->index, c->icap, c->v[hole].key, (uint32_t)hole + 1);
        c->v[last] = c->v[hole];
        c->index[p] = (uint32_t)last + 1;
    }
    c->v[hole] = saved;
    dense_find(c->index, c->icap, saved.key, cust_key, c, &pos);
    c->index[pos] = (uint32_t)hole + 1;
    c->n++;
}

/* Play the undo list backwards and restore the counters. */
static void tx_rollback(kpi_engine *e)
{
    txn *x = &e->tx;
    for (size_t i = x->nu; i-- > 0;) {
        const undo *u = &x->u[i];
        tqueue *q = u->cq ? &e->cq : &e->tq;
        uint32_t pos = 0;
        switch (u->kind) {
        case U_SLOT:
            *slot_at(&e->ts, u->pos) = u->t;
            bz_load(&e->ts, u->pos, &u->b);
            break;
        case U_INSERT:
            ts_remove(&e->ts, slot_at(&e->ts, e->ts.n - 1));
            break;
        case U_EVICT:
            ts_unremove(&e->ts, u->pos, &u->t, &u->b);
            break;
        case U_CUST_NEW:
            dense_find(e->cust.index, e->cust.icap, u->x.key, cust_key, &e->cust, &pos);
            cust_remove(&e->cust, e->cust.n - 1, pos);
            break;
        case U_CUST_LAST:
            e->cust.v[u->pos].last = u->x.due;
            break;
        case U_CUST_DEL: {
            cent c = {u->x.key, u->x.due};
            cust_unremove(&e->cust, u->pos, c);
            break;
        }
        case U_PUSH:
            tq_unpush(q, u->x, u->ring);
            break;
        default: /* U_POP */
            tq_unpop(q, u->x, u->ring);
            break;
        }
    }
    e->started = x->started;
    e->now = x->now;
    set_head(e, x->head);
    memcpy(e->cnt, x->cnt, sizeof x->cnt);
    memcpy(e->nstatus, x->nstatus, sizeof x->nstatus);
    e->nwaiting = x->nwaiting;
}

/* A duration's feed of ms, its bucket idx reserved: the common case
 * inline. */
static inline int dur_feed(void *acc, int64_t ms, int32_t idx)
{
    return kpi__duration_add_bounded(acc, ms, idx) ? KPI_OK : kpi__duration_add_at(acc, ms, idx);
}

/* A rate's feed in the commit, inline: the engine's outcomes are 0 or 1,
 * so only a full count is left to refuse (as kpi_rate_add() does). */
static inline int rate_feed(void *acc, int success)
{
    return kpi__rate_add_valid(acc, success) ? KPI_OK : KPI_ERR_OVERFLOW;
}

/* A ratio's feed in the commit, inline: the engine's pairs are valid
 * (finite; the denominator, logged-in hours, >= 0), so only a full count is
 * left to refuse (as kpi_ratio_add() does). */
static inline int ratio_feed(void *acc, double num, double den)
{
    return kpi__ratio_add_valid(acc, num, den) ? KPI_OK : KPI_ERR_OVERFLOW;
}

/* Step 3: do the ops in order (no allocation). */
static int tx_commit(kpi_engine *e)
{
    const txn *x = &e->tx;
    int rc = KPI_OK, r2;
    /* the bounds in locals: the adds' writes could alias x's members */
    for (const op *o = x->ops, *end = x->ops + x->nops; o < end; o++) {
        const unsigned n = o->n;
        if (KPI__LIKELY(o->kind == OP_DUR)) {
            const int64_t ms = o->d.v.i;
            const int32_t idx = o->idx;
            for (unsigned j = 0; j < n; j++)
                KEEP(dur_feed(o->acc[j], ms, idx));
            continue;
        }
        if (o->kind == OP_RATE) {
            const int success = (int)o->d.v.i;
            for (unsigned j = 0; j < n; j++)
                KEEP(rate_feed(o->acc[j], success));
            continue;
        }
        if (o->kind == OP_RATIO) {
            const double num = o->d.v.num, den = o->d.v.den;
            for (unsigned j = 0; j < n; j++)
                KEEP(ratio_feed(o->acc[j], num, den));
            continue;
        }
        if (o->kind <= OP_SERIES) {
            for (unsigned j = 0; j < n; j++)
                KEEP(feed(o->acc[j], o->kind, &o->d.v));
            continue;
        }
        switch (o->kind) {
        case OP_MEMBER: {
            const dkey *dk = o->ref;
            kpi__group_adopt(((dimtab *)o->dt)->g[o->m], dk->key, dk->m[o->m]);
            break;
        }
        case OP_ROLL:
            roll_commit(e, o->d.r.from, o->d.r.to, o->d.r.backlog);
            break;
        case OP_START:
            start_commit(e, o->d.r.to);
            break;
        default: /* OP_TOPIC */
            KEEP(kpi_topk_add(e->topk, o->ref, (size_t)o->d.v.i, 1));
            if (o->acc[0] != NULL)
                KEEP(kpi_topk_add(o->acc[0], o->ref, (size_t)o->d.v.i, 1));
            break;
        }
    }
    return rc;
}

/* The values an accumulator holds (its count; a duration: also its sum). */
static uint64_t acc_count(int m, const void *acc, int64_t *sum)
{
    *sum = 0;
    switch (mtype[m]) {
    case T_DUR:
        kpi_duration_sum(acc, sum);
        return kpi_duration_count(acc);
    case T_RATE:
        return kpi_rate_trials(acc);
    case T_SCORE:
        return kpi_score_count(acc);
    case T_RATIO:
        return kpi_ratio_count(acc);
    default:
        return 0; /* a series sums doubles: no count to overflow */
    }
}

/* The bounds of every total's count and sum, read from the totals. */
static void hw_recompute(kpi_engine *e)
{
    e->hw_n = e->hw_v = 0;
    for (int m = 0; m < NM; m++) {
        int64_t sum;
        uint64_t c = acc_count(m, e->tot[m], &sum);
        e->hw_n = c > e->hw_n ? c : e->hw_n;
        e->hw_v = (uint64_t)sum > e->hw_v ? (uint64_t)sum : e->hw_v;
    }
}

/* Would recording the transaction's values overflow a count or a sum (the
 * only ways left for a reserved op to fail)?  Checked before anything is
 * recorded, so that such an event is refused whole (KPI_ERR_OVERFLOW)
 * instead of half recorded.  Every value of a metric goes to its total,
 * and a breakdown member or period bucket holds a part of what the total
 * holds (kept so by merges; checked when a snapshot is restored), so the
 * totals are the ones to check: at once, against all the values queued,
 * when the engine's bounds leave room for all of them; else each total
 * fed, read, against its own feeds (counted from the ops: rare, so the
 * queueing keeps only the sums). */
static int tx_check_totals(kpi_engine *e);

static int tx_check(kpi_engine *e)
{
    txn *x = &e->tx;
    x->exact = false;
    if (x->pend_topics > 0 && kpi_topk_total(e->topk) > UINT64_MAX - x->pend_topics)
        return KPI_ERR_OVERFLOW;
    if (e->hw_n <= (uint64_t)INT64_MAX - x->add_n && x->add_v <= (uint64_t)INT64_MAX &&
        e->hw_v <= (uint64_t)INT64_MAX - x->add_v)
        return KPI_OK;
    x->exact = true;
    return tx_check_totals(e);
}

static int tx_check_totals(kpi_engine *e)
{
    const txn *x = &e->tx;
    uint64_t pend_n[NM] = {0}, pend_v[NM] = {0};
    for (size_t i = 0; i < x->nops; i++) {
        const op *o = &x->ops[i];
        for (int m = 0; m < NM && o->kind <= OP_SERIES; m++) {
            if (o->acc[0] != e->tot[m])
                continue;
            pend_n[m]++;
            if (o->kind == OP_DUR && !kpi__add_u64(pend_v[m], (uint64_t)o->d.v.i, &pend_v[m]))
                pend_v[m] = UINT64_MAX;
            break;
        }
    }
    for (int m = 0; m < NM; m++) {
        if (pend_n[m] == 0)
            continue;
        int64_t sum;
        uint64_t c = acc_count(m, e->tot[m], &sum);
        if (c > UINT64_MAX - pend_n[m] || pend_v[m] > (uint64_t)(INT64_MAX - sum))
            return KPI_ERR_OVERFLOW;
    }
    return KPI_OK;
}

/* End the transaction: reserve then commit, or undo everything. */
static int tx_end(kpi_engine *e)
{
    txn *x = &e->tx;
    int rc = x->fail;
    if (rc == KPI_OK)
        rc = tx_check(e);
    if (rc == KPI_OK) {
        rc = tx_commit(e);
        if (x->exact) {
            hw_recompute(e);
        } else {
            e->hw_n += x->add_n;
            e->hw_v += x->add_v;
        }
    } else {
        for (size_t i = 0; i < x->nops; i++) {
            op *o = &x->ops[i];
            if (o->kind == OP_MEMBER) {
                dkey *dk = o->ref;
                kpi__destroy(dk->m[o->m]);
                dk->m[o->m] = NULL;
            }
        }
        tx_rollback(e);
    }
    x->on = false;
    x->nops = x->nq = x->nu = 0;
    x->fail = KPI_OK;
    return rc;
}

/* After a call's last transaction: the timer ring blocks its settlements
 * passed are let go, but one (tq_trim()), so that the memory a call settles
 * falls before it returns (an advance over a day's tickets included). */
static inline void rings_trim(kpi_engine *e)
{
    if (KPI__UNLIKELY(e->tq.rhead >= RING_BLOCK))
        tq_trim(&e->base.alloc, &e->tq);
    if (KPI__UNLIKELY(e->cq.rhead >= RING_BLOCK))
        tq_trim(&e->base.alloc, &e->cq);
}

/* A long settlement (time moving over many due tickets at once, before an
 * event is applied or in kpi_engine_advance) commits in steps of about
 * this many ops, so that its logs stay small: a failure then leaves the
 * engine as after the last whole step, i.e. as if kpi_engine_advance() had
 * been called with that step's last due time.  Never once the event's own
 * changes are in the transaction (step_ok). */
#define TX_STEP 65536
/* ... or of about this many undo entries: evicting closed or merged
 * tickets and forgetting customers queue no op, but log two undo entries
 * each (about 100 bytes apiece), and the logs keep their room. */
#define TX_STEP_UNDO 16384

/* Whether a step is due: the logs have grown past a step's worth. */
static inline bool tx_step_due(const kpi_engine *e)
{
    return e->tx.on && e->tx.step_ok && e->tx.fail == KPI_OK &&
           (e->tx.nq > TX_STEP || e->tx.nu > TX_STEP_UNDO);
}

static int tx_step(kpi_engine *e, int64_t due)
{
    if (due > e->now)
        e->now = due;
    int rc = tx_end(e);
    if (tx_begin(e) != KPI_OK) {
        e->tx.on = true; /* cannot happen: the logs keep their room */
        rc = KPI_ERR_NOMEM;
    }
    if (rc != KPI_OK)
        e->tx.fail = rc; /* the step was undone: the caller's transaction fails too */
    return rc;
}

/* Move the ring's head to period k, recording the backlog of every period
 * that ends on the way (queued in a transaction). */
static void roll_to(kpi_engine *e, int64_t k)
{
    if (k <= e->head)
        return;
    if (e->tx.on) {
        op *o = tx_op(e, OP_ROLL);
        if (o != NULL) {
            o->d.r.from = e->head;
            o->d.r.to = k;
            o->d.r.backlog = unresolved(e);
        }
    } else {
        roll_commit(e, e->head, k, unresolved(e));
    }
    set_head(e, k);
}

/* Timer queue changes, logged in a transaction (room reserved). */
static void tpush(kpi_engine *e, bool cq, int64_t due, uint64_t key)
{
    bool ring = tq_push(cq ? &e->cq : &e->tq, due, key);
    if (e->tx.on) {
        e->tx.late |= due <= e->now;
        undo *u = tx_log(e, U_PUSH);
        u->cq = cq;
        u->ring = ring;
        u->x.due = due;
        u->x.key = key;
    }
}

static tentry tpop(kpi_engine *e, bool cq)
{
    bool ring;
    tentry x = tq_pop(cq ? &e->cq : &e->tq, &ring);
    if (e->tx.on) {
        undo *u = tx_log(e, U_POP);
        u->cq = cq;
        u->ring = ring;
        u->x = x;
    }
    return x;
}

/* ---- recording --------------------------------------------------------- */

/* The member of metric m under dk (dimension table dt), not cached yet:
 * found in its group, or made apart (room reserved; an op adopts it at the
 * commit, and the undo frees it).  False (and the transaction failed) if
 * it cannot be made. */
static bool q_member(kpi_engine *e, int m, dimtab *dt, dkey *dk)
{
    txn *x = &e->tx;
    const void *found;
    void *spare = NULL;
    if (kpi_group_find(dt->g[m], dk->key, &found) == KPI_OK) {
        dk->m[m] = (void *)(uintptr_t)found;
        return true;
    }
    int rc = kpi__group_spare(dt->g[m], ++x->spares, &spare);
    if (rc != KPI_OK) {
        x->fail = rc;
        return false;
    }
    dk->m[m] = spare;
    op *o = &x->ops[x->nops++];
    o->kind = OP_MEMBER;
    o->m = (uint8_t)m;
    o->ref = dk;
    o->dt = dt;
    return true;
}

/* In a transaction: queue the feeds of a value of metric m at time `when`
 * under the keys (its total, its breakdown members, its period's bucket),
 * making what they need. */
#if defined(__GNUC__)
__attribute__((noinline))
#endif
static void rec_queue(kpi_engine *e, int m, const keys *k, int64_t when, val v)
{
    txn *x = &e->tx;
    if (!tx_grow(e, 0, NDIM + 1))
        return;
    const int type = mtype[m];
    op *o = &x->ops[x->nops++]; /* the members made apart are adopted after it */
    void **acc = o->acc;
    size_t n = 0;
    o->kind = (uint8_t)type;
    o->n = 0;
    acc[n++] = e->tot[m];
    /* (unrolled by gcc: 27 fewer instructions an event, callgrind; gcc 12
     * -O2 kept the loop.  clang cannot unroll it, the early return inside,
     * and would warn) */
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC unroll 4
#endif
    for (int d = 0; d < NDIM; d++) {
        if (k->k[d] == 0)
            continue;
        dimtab *dt = &e->dim[d];
        dkey *dk = &dt->v[k->k[d] - 1];
        /* a member is cached only where its group is: the common case */
        if (KPI__LIKELY(dk->m[m] != NULL)) {
            acc[n++] = dk->m[m];
            continue;
        }
        if (dt->g[m] == NULL)
            continue;
        if (!q_member(e, m, dt, dk))
            return;
        acc[n++] = dk->m[m];
    }
    const bucket *b = type != T_SERIES ? period_bucket(e, when) : NULL;
    if (b != NULL)
        acc[n++] = b->m[m];
    o->n = (uint8_t)n;
    x->nq += n;
    x->add_n++;
    if (type == T_DUR) {
        /* the bucket once for all the sketches (they share the accuracy) */
        const int32_t idx = kpi__duration_index(e->proto[m], v.i);
        int fail = KPI_OK;
        o->idx = idx;
        o->d.v.i = v.i;
        if (!kpi__add_u64(x->add_v, (uint64_t)v.i, &x->add_v))
            x->add_v = UINT64_MAX;
        for (size_t j = 0; j < n; j++) {
            int rc = kpi__duration_reserve_at(acc[j], idx);
            if (KPI__UNLIKELY(rc != KPI_OK))
                fail = rc;
        }
        if (KPI__UNLIKELY(fail != KPI_OK))
            x->fail = fail;
    } else {
        o->d.v = v;
    }
}

/* rec() outside a transaction: each value fed at once. */
static int rec_direct(kpi_engine *e, int m, const keys *k, int64_t when, val v)
{
    int rc = feed(e->tot[m], mtype[m], &v), r2;
    for (int d = 0; d < NDIM; d++) {
        if (k->k[d] == 0)
            continue;
        dimtab *dt = &e->dim[d];
        if (dt->g[m] == NULL)
            continue;
        dkey *dk = &dt->v[k->k[d] - 1];
        if (dk->m[m] == NULL && (r2 = kpi_group_get(dt->g[m], dk->key, &dk->m[m])) != KPI_OK) {
            if (rc == KPI_OK)
                rc = r2;
            continue;
        }
        if ((r2 = feed(dk->m[m], mtype[m], &v)) != KPI_OK && rc == KPI_OK)
            rc = r2;
    }
    const bucket *b = mtype[m] != T_SERIES ? period_bucket(e, when) : NULL;
    if (b != NULL && (r2 = feed(b->m[m], mtype[m], &v)) != KPI_OK && rc == KPI_OK)
        rc = r2;
    return rc;
}

/* Record value v of metric m at `when` under the keys: queued in a
 * transaction (every event's path), else fed at once. */
static inline int rec(kpi_engine *e, int m, const keys *k, int64_t when, val v)
{
    if (KPI__LIKELY(e->tx.on)) {
        rec_queue(e, m, k, when, v);
        return KPI_OK;
    }
    return rec_direct(e, m, k, when, v);
}

static inline val vi(int64_t i)
{
    val v = {i, 0, 0};
    return v;
}

/* The business ms of [from, to] in the engine's calendar: its status, and
 * in *biz the span, or -1 when there is none (no calendar, or an error). */
static inline int span_business(kpi_engine *e, int64_t from, int64_t to, int64_t *biz)
{
    int64_t b = -1;
    int rc = KPI_OK;
    if (e->cal != NULL && from == e->memo_from && to == e->memo_to) {
        b = e->memo_biz;
    } else if (e->cal != NULL && (rc = kpi_calendar_elapsed(e->cal, from, to, &b)) == KPI_OK) {
        e->memo_from = from;
        e->memo_to = to;
        e->memo_biz = b;
    }
    *biz = rc == KPI_OK ? b : -1;
    return rc;
}

/* Record a calendar duration and, with a calendar, its business twin, whose
 * span_business() is (brc, biz): computed by the caller, which judges an
 * SLA target over the same span with it. */
static int rec_span(kpi_engine *e, int m, const keys *k, int64_t when, int64_t from,
                    int64_t to, int brc, int64_t biz)
{
    int rc = rec(e, m, k, when, vi(to - from)), r2;
    if (e->cal != NULL) {
        r2 = brc;
        if (r2 == KPI_OK)
            r2 = rec(e, m + 1, k, when, vi(biz));
        if (r2 != KPI_OK && rc == KPI_OK)
            rc = r2;
    }
    return rc;
}

static uint32_t prio_code(const kpi_engine *e, const tk *t)
{
    uint64_t p = e->dim[KPI_DIM_PRIORITY - 1].v[t->priority].key;
    return (uint32_t)p;
}

/* sla_met() for a priority the policy may have a target for. */
static int sla_met_pol(const kpi_engine *e, int sla, uint32_t prio, int64_t start,
                       int64_t end, int64_t paused, int64_t biz, int *met)
{
    /* the business span already computed serves when the policy's
     * calendar equals the engine's */
    int rc = kpi__sla_policy_met_span(e->pol, prio, sla, start, end, paused,
                                      e->one_cal ? biz : -1, met);
    if (rc == KPI_ERR_UNKNOWN_ID) {
        *met = -1; /* no target for this priority and metric */
        return KPI_OK;
    }
    return rc;
}

/* Whether the ticket met SLA target `sla` over [start, end] with `paused`
 * ms of pause: *met 1 or 0, or -1 when the policy has no such target for
 * its priority (or there is no policy).  biz: the business ms of [start,
 * end] in the engine's calendar, or -1 if not computed; used only when the
 * policy's calendar equals the engine's (one_cal). */
static inline int sla_met(const kpi_engine *e, int sla, const tk *t, int64_t start,
                          int64_t end, int64_t paused, int64_t biz, int *met)
{
    uint32_t prio = e->pol != NULL ? prio_code(e, t) : KPI_SLA_PRIORITIES;
    *met = -1;
    if (prio >= KPI_SLA_PRIORITIES)
        return KPI_OK;
    return sla_met_pol(e, sla, prio, start, end, paused, biz, met);
}

static int rec_sla(kpi_engine *e, int metric, int sla, const tk *t, const keys *k,
                   int64_t when, int64_t start, int64_t end, int64_t paused, int64_t biz)
{
    int met;
    int rc = sla_met(e, sla, t, start, end, paused, biz, &met);
    if (rc != KPI_OK || met < 0)
        return rc;
    return rec(e, metric, k, when, vi(met));
}

/* Does the resolution target of this priority run in business time? */
static const kpi_calendar *pause_calendar(const kpi_engine *e, const tk *t)
{
    int64_t ms;
    int business = 0;
    uint32_t prio = prio_code(e, t);
    if (e->pol == NULL || prio >= KPI_SLA_PRIORITIES ||
        kpi_sla_policy_target(e->pol, prio, KPI_SLA_RESOLUTION, &ms, &business) != KPI_OK ||
        !business)
        return NULL;
    return kpi__sla_policy_calendar(e->pol);
}

/* Time in status s counts as the requester's wait (new, open, on hold). */
static inline bool status_waits(int s)
{
    return s == KPI_STATUS_NEW || s == KPI_STATUS_OPEN || s == KPI_STATUS_ON_HOLD;
}

/* Status change at `now`: accumulate the time spent in the old status.
 * A pause measured in business time that the calendar cannot compute is
 * returned before anything changes (the event's transaction undoes it). */
static int set_status(kpi_engine *e, tk *t, int64_t now, int status)
{
    int old = t->status;
    int64_t since = tget(t, F_SINCE), dt = now - since, p = dt;
    bool waits = status_waits(old);
    bool works = old == KPI_STATUS_NEW || old == KPI_STATUS_OPEN;
    /* the business time of the span, for the business sums (an empty
     * span adds nothing) */
    uint8_t *b = e->ts.biz && waits && dt > 0 ? bz_of(&e->ts, t) : NULL;
    int64_t bt = 0;
    if (b != NULL && bz_known(t, b)) {
        int rc = span_business(e, since, now, &bt);
        if (rc != KPI_OK)
            return rc;
    } else {
        b = NULL;
    }
    if (old == KPI_STATUS_PENDING) {
        const kpi_calendar *c = pause_calendar(e, t);
        int rc = c != NULL ? kpi_calendar_elapsed(c, since, now, &p) : KPI_OK;
        if (rc != KPI_OK)
            return rc;
        off_set(t, F_PAUSE, off_get(t, F_PAUSE) + p);
    }
    if (waits)
        off_set(t, F_WAIT_MS, off_get(t, F_WAIT_MS) + dt);
    if (works)
        off_set(t, F_WORK_MS, off_get(t, F_WORK_MS) + dt);
    if (b != NULL) {
        bz_set(t, b, B_WAIT, bz_get(t, b, B_WAIT) + bt);
        if (works)
            bz_set(t, b, B_WORK, bz_get(t, b, B_WORK) + bt);
    }
    e->nstatus[old]--;
    e->nstatus[status]++;
    t->status = (uint8_t)status;
    tset(t, F_SINCE, now);
    return KPI_OK;
}

static void clear_waiting(kpi_engine *e, tk *t)
{
    if (t->flags & TF_WAITING) {
        t->flags &= (uint8_t)~TF_WAITING;
        e->nwaiting--;
    }
}

/* Settle a solved ticket whose last resolve was at its F_SINCE. */
static int settle_solved(kpi_engine *e, tk *t, int64_t when)
{
    keys k = keys_of(t);
    int64_t lr = tget(t, F_SINCE);
    int64_t biz;
    int brc = span_business(e, t->created, lr, &biz);
    int rc = rec_span(e, KPI_ENGINE_FULL_RESOLUTION, &k, when, t->created, lr, brc, biz), r2;
    KEEP(rec(e, KPI_ENGINE_REQUESTER_WAIT, &k, when, vi(off_get(t, F_WAIT_MS))));
    KEEP(rec(e, KPI_ENGINE_AGENT_WORK, &k, when, vi(off_get(t, F_WORK_MS))));
    const uint8_t *b = e->ts.biz ? bz_of(&e->ts, t) : NULL;
    if (b != NULL && bz_known(t, b)) {
        KEEP(rec(e, KPI_ENGINE_REQUESTER_WAIT_BUSINESS, &k, when, vi(bz_get(t, b, B_WAIT))));
        KEEP(rec(e, KPI_ENGINE_AGENT_WORK_BUSINESS, &k, when, vi(bz_get(t, b, B_WORK))));
    }
    bool reopened = (t->flags & TF_REOPENED) != 0;
    bool one = !reopened && t->replies <= e->opt[KPI_ENGINE_OPT_FCR_MAX_REPLIES] &&
               t->replies >= e->opt[KPI_ENGINE_OPT_FCR_MIN_REPLIES];
    KEEP(rec(e, KPI_ENGINE_FCR, &k, when, vi(one)));
    KEEP(rec(e, KPI_ENGINE_REOPEN, &k, when, vi(reopened)));
    KEEP(rec_sla(e, KPI_ENGINE_SLA_RESOLUTION, KPI_SLA_RESOLUTION, t, &k, when,
                 t->created, lr, off_get(t, F_PAUSE), biz));
    e->cnt[KPI_ENGINE_COUNT_SETTLED]++;
    return rc;
}

/* Leave the engine. */
static void evict(kpi_engine *e, tk *t)
{
    if (e->tx.on) {
        bool found;
        undo *u = tx_log(e, U_EVICT);
        u->pos = ts_slot(e->ts.index[ts_probe(&e->ts, t->id, &found)]);
        u->t = *t;
        bz_save(&e->ts, u->pos, &u->b);
    }
    clear_waiting(e, t);
    e->nstatus[t->status]--;
    ts_remove(&e->ts, t);
}

/* ---- look-ahead ----------------------------------------------------------
 *
 * Ticket (and customer) look-ups miss the caches at a million live tickets,
 * two dependent misses each (the index entry, then the slot), most also
 * missing the TLB.  The batch (kpi_engine_apply) and settling
 * (run_timers_slow) read ahead as they go: while one record or due timer
 * is handled, the index line of the one AHEAD_FAR places on is prefetched,
 * and the slot of the one AHEAD_NEAR places on (through its index entry,
 * in cache by then).  Prefetches do not stop the processor, so a record's
 * work (about 1,300 instructions) overlaps the misses of the records after
 * it; loads would stall it as soon as its reorder buffer filled.  Where
 * nothing comes before to overlap with (a batch's first records, a
 * snapshot's tickets as they are decoded), groups of up to WARM are looked
 * up together with loads, so that at least their misses overlap each
 * other (docs/PERFORMANCE.md, "Ticket engine").  Only the cache is
 * touched, with one exception: the batch keeps the slot it read ahead for
 * a record, which tries it before the index (ts_find_hinted(): a hint,
 * checked against the ticket's id, never trusted). */
#ifndef WARM
#define WARM 16
#endif

/* Look up the tickets tid[0..nt) and the customers cid[0..nc) (at most
 * WARM each) as a group: index entries first, then slots and entries. */
static void warm_keys(const kpi_engine *e, const uint64_t *tid, size_t nt,
                      const uint64_t *cid, size_t nc)
{
    const tstore *s = &e->ts;
    const ctab *c = &e->cust;
    uint32_t x[WARM], cx[WARM], acc = 0, mask = s->icap - 1, cmask = c->icap - 1;
    if (s->icap == 0)
        nt = 0;
    if (c->icap == 0)
        nc = 0;
    /* the home entries, every load independent of the others */
    for (size_t j = 0; j < nt; j++)
        x[j] = s->index[(uint32_t)kpi__mix64(tid[j]) & mask];
    for (size_t j = 0; j < nc; j++)
        cx[j] = c->index[(uint32_t)kpi__mix64(cid[j]) & cmask];
    /* then the first entry with the ticket's tag (a few probes at most,
     * mostly in the line just loaded) and its slot */
    for (size_t j = 0; j < nt; j++) {
        uint64_t h = kpi__mix64(tid[j]);
        uint32_t i = (uint32_t)h & mask, v = x[j];
        for (int k = 0; k < 4 && v != 0 && (v & ~TS_SLOT_MASK) != TS_TAG(h); k++)
            v = s->index[i = (i + 1) & mask];
        if (v != 0 && (v & ~TS_SLOT_MASK) == TS_TAG(h) && ts_slot(v) < s->n) {
            acc ^= (uint32_t)slot_at(s, ts_slot(v))->id;
            if (s->biz) { /* the sums' first and last bytes: both their lines */
                const uint8_t *b = bz_at(s, ts_slot(v));
                acc ^= (uint32_t)b[0] ^ b[BZ_BYTES - 1];
            }
        }
    }
    for (size_t j = 0; j < nc; j++)
        if (cx[j] != 0 && cx[j] - 1 < c->n)
            acc ^= (uint32_t)c->v[cx[j] - 1].key;
#if defined(__GNUC__)
    __asm__ volatile("" : : "r"(acc));
#else
    (void)acc;
#endif
}

#ifndef AHEAD_FAR
#define AHEAD_FAR 16
#endif
#ifndef AHEAD_NEAR
#define AHEAD_NEAR 8
#endif

/* Sliding read-ahead (see "look-ahead" above): the index line of a ticket or
 * customer, then (AHEAD_FAR - AHEAD_NEAR records later, through the index
 * entry then in cache) its slot or entry.  `evicting`: also the slots of
 * the (up to 3) index entries after the ticket's, whose keys its deletion
 * reads. */
static inline void ahead_ticket_index(const tstore *s, uint64_t id)
{
    KPI__PREFETCH(&s->index[(uint32_t)kpi__mix64(id) & (s->icap - 1)]);
}

/* Slot i's line and, with a calendar, its business sums (both lines when
 * the 7 bytes straddle two): every event saves them in its undo entry. */
static inline void ahead_slot_at(const tstore *s, uint32_t i)
{
    KPI__PREFETCH(slot_at(s, i));
    if (s->biz) {
        const uint8_t *b = bz_at(s, i);
        KPI__PREFETCH(b);
        KPI__PREFETCH(b + BZ_BYTES - 1);
    }
}

/* ... and the slot it read ahead (NO_HINT if none): the ticket's, unless
 * another with the same tag came first (ts_find_hinted() checks). */
static inline uint32_t ahead_ticket_slot(const tstore *s, uint64_t id, bool evicting)
{
    uint64_t h = kpi__mix64(id);
    uint32_t mask = s->icap - 1, i = (uint32_t)h & mask, v = s->index[i], hint = NO_HINT;
    for (int k = 0; k < 4 && v != 0 && (v & ~TS_SLOT_MASK) != TS_TAG(h); k++)
        v = s->index[i = (i + 1) & mask];
    if (v != 0 && ts_slot(v) < s->n) {
        hint = ts_slot(v);
        ahead_slot_at(s, hint);
    }
    for (int k = 0; evicting && k < 3 && v != 0; k++) {
        v = s->index[i = (i + 1) & mask];
        if (v != 0 && ts_slot(v) < s->n)
            ahead_slot_at(s, ts_slot(v));
    }
    return hint;
}

static inline void ahead_cust_index(const ctab *c, uint64_t key)
{
    KPI__PREFETCH(&c->index[(uint32_t)kpi__mix64(key) & (c->icap - 1)]);
}

static inline void ahead_cust_entry(const ctab *c, uint64_t key)
{
    uint32_t x = c->index[(uint32_t)kpi__mix64(key) & (c->icap - 1)];
    if (x != 0 && x - 1 < c->n)
        KPI__PREFETCH(&c->v[x - 1]);
}

/* The key of the entry `k` places after the head of q's ring (0 if none). */
static inline uint64_t ring_key_at(const tqueue *q, size_t k)
{
    return k < q->rlen ? rkey(ring_at(q, k)) : 0;
}

/* Settling's sliding read-ahead, before the timer at the head of the
 * tickets' queue (cq: the customers') is handled: the entries AHEAD_FAR
 * and AHEAD_NEAR places on, and what their evictions will move (the last
 * slot or entry then: its line, then its index line). */
static void ahead_due(const kpi_engine *e, bool cq)
{
    if (!cq) {
        const tstore *s = &e->ts;
        if (s->icap == 0)
            return;
        uint64_t far = ring_key_at(&e->tq, AHEAD_FAR), near = ring_key_at(&e->tq, AHEAD_NEAR);
        if (far != 0)
            ahead_ticket_index(s, far);
        if (near != 0)
            ahead_ticket_slot(s, near, true);
        if (s->n > AHEAD_FAR)
            ahead_slot_at(s, s->n - 1 - AHEAD_FAR);
        if (s->n > AHEAD_NEAR)
            ahead_ticket_index(s, slot_at(s, s->n - 1 - AHEAD_NEAR)->id);
    } else {
        const ctab *c = &e->cust;
        if (c->icap == 0)
            return;
        uint64_t far = ring_key_at(&e->cq, AHEAD_FAR), near = ring_key_at(&e->cq, AHEAD_NEAR);
        if (far != 0)
            ahead_cust_index(c, far);
        if (near != 0)
            ahead_cust_entry(c, near);
        if (c->n > AHEAD_FAR)
            KPI__PREFETCH(&c->v[c->n - 1 - AHEAD_FAR]);
        if (c->n > AHEAD_NEAR)
            ahead_cust_index(c, c->v[c->n - 1 - AHEAD_NEAR].key);
    }
}

/* Pop and handle every timer due by `t`; roll the ring as time passes. */
static int run_timers_slow(kpi_engine *e, int64_t t);
static int forget_customers(kpi_engine *e, int64_t t);

/* Anything due by t?  (Most events: no, and this is one comparison.) */
static inline int run_timers(kpi_engine *e, int64_t t)
{
    if (!tq_due(&e->tq, t) && !tq_due(&e->cq, t))
        return KPI_OK;
    return run_timers_slow(e, t);
}

static int run_timers_slow(kpi_engine *e, int64_t t)
{
    int rc = KPI_OK, r2;
    const int64_t W = e->opt[KPI_ENGINE_OPT_REOPEN_WINDOW_MS];
    while (tq_due(&e->tq, t)) {
        /* customers due before this ticket leave first, in due order,
         * so that a step (there too) leaves the engine as advanced to
         * its time */
        if ((r2 = forget_customers(e, tq_head_due(&e->tq) - 1)) != KPI_OK)
            return r2;
        if (e->tx.on && !tx_grow(e, 2, 0))
            return KPI_ERR_NOMEM;
        ahead_due(e, false);
        tentry x = tpop(e, false);
        roll_to(e, period_of(e, x.due));
        tk *s = ts_find(&e->ts, x.key);
        /* (else stale: reopened, closed or gone since; a step may still
         * be due after it, the last of its time) */
        if (s != NULL && s->status >= KPI_STATUS_SOLVED && tget(s, F_SINCE) + W == x.due) {
            if (s->status == KPI_STATUS_SOLVED && (r2 = settle_solved(e, s, x.due)) != KPI_OK &&
                rc == KPI_OK)
                rc = r2;
            evict(e, s);
        }
        /* a step leaves the engine as advanced to x.due: the customers
         * due by then leave with it */
        if (tx_step_due(e) && !tq_due(&e->tq, x.due) &&
            ((r2 = forget_customers(e, x.due)) != KPI_OK || (r2 = tx_step(e, x.due)) != KPI_OK))
            return r2;
    }
    r2 = forget_customers(e, t);
    return r2 != KPI_OK ? r2 : rc;
}

/* Pop every customer timer due by `t`: its customer leaves the
 * repeat-contact table (if the timer is still its latest). */
static int forget_customers(kpi_engine *e, int64_t t)
{
    while (tq_due(&e->cq, t)) {
        if (e->tx.on && !tx_grow(e, 2, 0))
            return KPI_ERR_NOMEM;
        ahead_due(e, true);
        tentry x = tpop(e, true);
        uint32_t pos = 0;
        int64_t i = dense_find(e->cust.index, e->cust.icap, x.key, cust_key, &e->cust, &pos);
        /* (else stale: the customer came back since, or is gone) */
        if (i >= 0 && e->cust.v[i].last + e->opt[KPI_ENGINE_OPT_REPEAT_WINDOW_MS] + 1 == x.due) {
            if (e->tx.on) {
                undo *u = tx_log(e, U_CUST_DEL);
                u->pos = (uint32_t)i;
                u->x.key = e->cust.v[i].key;
                u->x.due = e->cust.v[i].last;
            }
            cust_remove(&e->cust, (size_t)i, pos);
        }
        /* a step leaves the engine as advanced to x.due (every ticket due
         * by then has been handled: the caller goes in due order); tested
         * after a stale timer too, whose pop is logged as well: a customer
         * who wrote 100,000 times in a window leaves 99,999 of them */
        if (tx_step_due(e) && !tq_due(&e->cq, x.due) && !tq_due(&e->tq, x.due)) {
            roll_to(e, period_of(e, x.due));
            int r2 = tx_step(e, x.due);
            if (r2 != KPI_OK)
                return r2;
        }
    }
    return KPI_OK;
}

/* Move the clock to t (if later), rolling the ring. */
static inline void clock_to(kpi_engine *e, int64_t t)
{
    if (t > e->now) {
        if (t >= e->head_hi)
            roll_to(e, period_of(e, t));
        e->now = t;
    }
}

/* advance() when the clock has not started or something is due. */
static int advance_slow(kpi_engine *e, int64_t t)
{
    if (!e->started) {
        e->started = true;
        e->now = t;
        set_head(e, period_of(e, t));
        op *o = e->tx.on ? tx_op(e, OP_START) : NULL;
        if (o != NULL)
            o->d.r.to = e->head;
        else if (!e->tx.on)
            start_commit(e, e->head);
        return KPI_OK;
    }
    e->tx.step_ok = true;
    int rc = run_timers(e, t > e->now ? t : e->now);
    e->tx.step_ok = false;
    clock_to(e, t);
    return rc;
}

/* Start the clock at the first event, or move it forward; settle what is
 * due by then (also entries pushed already due by a late event).  Most
 * events find nothing due: that case inline. */
static inline int advance(kpi_engine *e, int64_t t)
{
    const int64_t by = t > e->now ? t : e->now;
    if (KPI__LIKELY(e->started && !tq_due(&e->tq, by) && !tq_due(&e->cq, by))) {
        clock_to(e, t);
        return KPI_OK;
    }
    return advance_slow(e, t);
}

/* ---- intake ------------------------------------------------------------ */

/* What a validated event needs. */
typedef struct intake {
    const kpi_event *ev;
    const char *topic;   /* label of a creation (NULL = none) */
    size_t topic_len;
    /* the record's keys, interned by reserve_for(): agent + 1 and team + 1
     * (0 = none in the record), channel and priority of a creation */
    uint32_t agent, team, channel, priority;
    /* the slot the batch's read-ahead found the ticket in (NO_HINT if
     * none): tried before the index, which it spares when still right */
    uint32_t hint;
} intake;

/* Is a live ticket past its window at time t (it will leave first)? */
static bool expiring(const kpi_engine *e, const tk *t, int64_t when)
{
    return t->status >= KPI_STATUS_SOLVED &&
           tget(t, F_SINCE) + e->opt[KPI_ENGINE_OPT_REOPEN_WINDOW_MS] <= when;
}

/* The bits each kind's fields may not have (kpi_engine.h, kpi_event): a
 * field a kind does not use must be zero (all its bits here); channel and
 * priority (creations) fit 8 bits, a team 16; a creation may be flagged by
 * an agent, a resolve by a bot.  check_fields()'s fast path tests a record
 * against these masks; check_fields_full() takes from them which fields a
 * kind uses (kind_fields()).  Merges and log-ins have rules of their own:
 * they always take the full check (FB_FULL). */
typedef struct field_bits {
    uint64_t actor, value;
    uint32_t flags, code, team, topic; /* code: channel and priority */
} field_bits;

#define FB_NONE {UINT64_MAX, UINT64_MAX, UINT32_MAX, UINT32_MAX, UINT32_MAX, UINT32_MAX}
#define FB_ACTOR {0, UINT64_MAX, UINT32_MAX, UINT32_MAX, UINT32_MAX, UINT32_MAX}
#define FB_VALUE {UINT64_MAX, 0, UINT32_MAX, UINT32_MAX, UINT32_MAX, UINT32_MAX}
#define FB_FULL (UINT32_C(1) << KPI_EVENT_MERGED | UINT32_C(1) << KPI_EVENT_LOGGED_IN)

static const field_bits kind_bits[KPI_EVENT_KIND_MAX + 1] = {
    FB_NONE, /* 0: not a kind */
    /* CREATED */
    {0, UINT64_MAX, ~(uint32_t)KPI_EVENT_FLAG_BY_AGENT, ~UINT32_C(0xff), UINT32_MAX, 0},
    FB_NONE,  /* CUSTOMER_MESSAGE */
    FB_ACTOR, /* AGENT_REPLY */
    FB_NONE,  /* BOT_REPLY */
    FB_NONE,  /* HANDOFF */
    FB_ACTOR, /* NOTE */
    FB_NONE,  /* OPEN */
    FB_NONE,  /* PENDING */
    FB_NONE,  /* ON_HOLD */
    /* ASSIGNED */
    {0, UINT64_MAX, UINT32_MAX, UINT32_MAX, ~UINT32_C(0xffff), UINT32_MAX},
    /* RESOLVED */
    {0, UINT64_MAX, ~(uint32_t)KPI_EVENT_FLAG_BY_BOT, UINT32_MAX, UINT32_MAX, UINT32_MAX},
    FB_NONE,  /* REOPENED */
    FB_NONE,  /* CLOSED */
    FB_ACTOR, /* MERGED (FB_FULL) */
    FB_VALUE, /* CSAT */
    FB_VALUE, /* NPS */
    FB_VALUE, /* CES */
    /* LOGGED_IN (FB_FULL) */
    {0, 0, UINT32_MAX, UINT32_MAX, ~UINT32_C(0xffff), UINT32_MAX},
};

/* Fields each kind may use (others must be zero), from kind_bits. */
enum { U_ACTOR = 1, U_VALUE = 2, U_FLAGS = 4, U_CHANNEL = 8, U_PRIORITY = 16,
       U_TEAM = 32, U_TOPIC = 64 };

static unsigned kind_fields(uint32_t kind)
{
    const field_bits *b = &kind_bits[kind];
    return (b->actor != UINT64_MAX ? U_ACTOR : 0u) | (b->value != UINT64_MAX ? U_VALUE : 0u) |
           (b->flags != UINT32_MAX ? U_FLAGS : 0u) |
           (b->code != UINT32_MAX ? U_CHANNEL | U_PRIORITY : 0u) |
           (b->team != UINT32_MAX ? U_TEAM : 0u) | (b->topic != UINT32_MAX ? U_TOPIC : 0u);
}

static int check_fields_full(const kpi_event *ev);

/* A record's fields (kpi_engine.h, kpi_event): KPI_OK, or the error of
 * check_fields_full().  The fast path accepts a record that breaks none
 * of the rules (every field within its kind's bits, a ticket, a time in
 * range); anything else takes the full check, which names the error. */
static inline int check_fields(const kpi_event *ev)
{
    const uint32_t kind = ev->kind;
    if (KPI__LIKELY(kind - 1u < KPI_EVENT_KIND_MAX && !((FB_FULL >> kind) & 1))) {
        const field_bits *b = &kind_bits[kind];
        const uint64_t bad = (ev->actor & b->actor) | ((uint64_t)ev->value & b->value) |
                             (ev->flags & b->flags) | ((ev->channel | ev->priority) & b->code) |
                             (ev->team & b->team) | (ev->topic & b->topic) | ev->reserved[0] |
                             ev->reserved[1];
        /* -TIME_LIMIT < time_ms < TIME_LIMIT, as one unsigned compare */
        const uint64_t tshift = (uint64_t)ev->time_ms + (uint64_t)(TIME_LIMIT - 1);
        if (KPI__LIKELY(bad == 0 && ev->ticket != 0 &&
                        tshift < 2 * (uint64_t)TIME_LIMIT - 1))
            return KPI_OK;
    }
    return check_fields_full(ev);
}

static int check_fields_full(const kpi_event *ev)
{
    if (ev->kind < 1 || ev->kind > KPI_EVENT_KIND_MAX)
        return KPI_ERR_INVALID;
    unsigned u = kind_fields(ev->kind);
    if (ev->reserved[0] || ev->reserved[1] || (!(u & U_ACTOR) && ev->actor) ||
        (!(u & U_VALUE) && ev->value) || (!(u & U_FLAGS) && ev->flags) ||
        (!(u & U_CHANNEL) && ev->channel) || (!(u & U_PRIORITY) && ev->priority) ||
        (!(u & U_TEAM) && ev->team) || (!(u & U_TOPIC) && ev->topic))
        return KPI_ERR_INVALID;
    if (ev->flags & ~(uint32_t)KPI_EVENT_FLAGS_ALL)
        return KPI_ERR_INVALID;
    if ((ev->kind == KPI_EVENT_CREATED && (ev->flags & KPI_EVENT_FLAG_BY_BOT)) ||
        (ev->kind == KPI_EVENT_RESOLVED && (ev->flags & KPI_EVENT_FLAG_BY_AGENT)))
        return KPI_ERR_INVALID;
    if ((ev->kind == KPI_EVENT_LOGGED_IN) != (ev->ticket == 0))
        return KPI_ERR_INVALID;
    if (ev->time_ms <= -TIME_LIMIT || ev->time_ms >= TIME_LIMIT)
        return KPI_ERR_RANGE;
    if (ev->channel > 255 || ev->priority > 255 || ev->team > 65535)
        return KPI_ERR_RANGE;
    if (ev->kind == KPI_EVENT_MERGED && (ev->actor == 0 || ev->actor == ev->ticket))
        return KPI_ERR_INVALID;
    if (ev->kind == KPI_EVENT_LOGGED_IN &&
        (ev->actor == 0 || ev->value < 0 || ev->value >= OFF_LIMIT))
        return ev->actor == 0 ? KPI_ERR_INVALID : KPI_ERR_RANGE;
    return KPI_OK;
}

static int check_answer(const kpi_engine *e, uint32_t kind, int64_t v)
{
    int64_t lo = 1, hi;
    if (kind == KPI_EVENT_NPS) {
        lo = 0;
        hi = 10;
    } else {
        hi = e->opt[kind == KPI_EVENT_CSAT ? KPI_ENGINE_OPT_CSAT_MAX : KPI_ENGINE_OPT_CES_MAX];
    }
    return (v >= lo && v <= hi) ? KPI_OK : KPI_ERR_RANGE;
}

/* State checks for an event on a live ticket. */
static int check_state(const kpi_engine *e, const tk *t, uint32_t kind)
{
    int s = t->status;
    bool unresolved = s <= KPI_STATUS_ON_HOLD;
    switch (kind) {
    case KPI_EVENT_CSAT:
    case KPI_EVENT_NPS:
    case KPI_EVENT_CES:
        return s == KPI_STATUS_MERGED ? KPI_ERR_STATE : KPI_OK;
    case KPI_EVENT_CUSTOMER_MESSAGE:
    case KPI_EVENT_AGENT_REPLY:
    case KPI_EVENT_BOT_REPLY:
    case KPI_EVENT_NOTE:
    case KPI_EVENT_ASSIGNED:
        return s <= KPI_STATUS_SOLVED ? KPI_OK : KPI_ERR_STATE;
    case KPI_EVENT_HANDOFF:
    case KPI_EVENT_OPEN:
    case KPI_EVENT_PENDING:
    case KPI_EVENT_ON_HOLD:
    case KPI_EVENT_RESOLVED:
        return unresolved ? KPI_OK : KPI_ERR_STATE;
    case KPI_EVENT_REOPENED:
        return s == KPI_STATUS_SOLVED ? KPI_OK : KPI_ERR_STATE;
    case KPI_EVENT_CLOSED:
    case KPI_EVENT_MERGED:
        return s <= KPI_STATUS_SOLVED ? KPI_OK : KPI_ERR_STATE;
    default:
        (void)e;
        return KPI_OK;
    }
}

/* A creation that is a contact from its customer (repeat contacts): one
 * with a customer id, not opened by an agent (an outbound ticket is
 * neither a repeat nor one that a later contact repeats). */
static inline bool customer_contact(const kpi_event *ev)
{
    return ev->actor != 0 && !(ev->flags & KPI_EVENT_FLAG_BY_AGENT);
}

/* Reserve everything an event may allocate, so that applying it cannot
 * fail for want of memory (beyond a primitive's own growth). */
static int reserve_for(kpi_engine *e, intake *in)
{
    const kpi_allocator *a = &e->base.alloc;
    const kpi_event *ev = in->ev;
    int rc = KPI_OK;
    in->agent = in->team = 0;
    switch (ev->kind) {
    case KPI_EVENT_CREATED:
        if ((rc = ts_reserve(a, &e->ts, 1)) != KPI_OK)
            return rc;
        if ((rc = dim_intern(e, KPI_DIM_CHANNEL, ev->channel, &in->channel)) != KPI_OK ||
            (rc = dim_intern(e, KPI_DIM_PRIORITY, ev->priority, &in->priority)) != KPI_OK)
            return rc;
        if (customer_contact(ev)) {
            if ((rc = grow_array(a, (void **)&e->cust.v, &e->cust.cap, e->cust.n + 1,
                                 sizeof(cent))) != KPI_OK ||
                (rc = index_reserve(a, &e->cust.index, &e->cust.icap, (uint32_t)e->cust.n,
                                    1, cust_key, &e->cust, false)) != KPI_OK ||
                (rc = tq_reserve(a, &e->cq, 1)) != KPI_OK)
                return rc;
        }
        return KPI_OK;
    case KPI_EVENT_AGENT_REPLY:
    case KPI_EVENT_NOTE:
    case KPI_EVENT_RESOLVED:
    case KPI_EVENT_ASSIGNED:
    case KPI_EVENT_LOGGED_IN:
        if (ev->actor != 0 && (rc = dim_intern(e, KPI_DIM_AGENT, ev->actor, &in->agent)) != KPI_OK)
            return rc;
        in->agent += ev->actor != 0;
        if (ev->team != 0 && (rc = dim_intern(e, KPI_DIM_TEAM, ev->team, &in->team)) != KPI_OK)
            return rc;
        in->team += ev->team != 0;
        break;
    default:
        break;
    }
    if (ev->kind == KPI_EVENT_RESOLVED || ev->kind == KPI_EVENT_CLOSED ||
        ev->kind == KPI_EVENT_MERGED)
        rc = tq_reserve(a, &e->tq, 2);
    return rc;
}

/* A human reply (or a bot reply counted as one). */
static int do_reply(kpi_engine *e, tk *t, int64_t now, uint32_t agent, bool human)
{
    keys k = keys_of(t);
    int rc = KPI_OK, r2;
    bool frt = false;
    if (t->flags & TF_CLOCK) {
        int64_t start = tget(t, F_CLOCK), biz;
        int brc = span_business(e, start, now, &biz);
        KEEP(rec_span(e, KPI_ENGINE_FRT, &k, now, start, now, brc, biz));
        KEEP(rec_sla(e, KPI_ENGINE_SLA_FIRST_REPLY, KPI_SLA_FIRST_RESPONSE, t, &k, now,
                     start, now, 0, biz));
        t->flags = (uint8_t)((t->flags & ~TF_CLOCK) | TF_FRT_DONE);
        frt = true;
    }
    if (t->flags & TF_WAITING) {
        int64_t ws = tget(t, F_WAITING), biz;
        int brc = span_business(e, ws, now, &biz);
        KEEP(rec_span(e, KPI_ENGINE_REPLY_TIME, &k, now, ws, now, brc, biz));
        if (!frt)
            KEEP(rec_sla(e, KPI_ENGINE_SLA_NEXT_REPLY, KPI_SLA_NEXT_RESPONSE, t, &k, now,
                         ws, now, 0, biz));
        clear_waiting(e, t);
    }
    if (t->replies < 255)
        t->replies++;
    if (t->status == KPI_STATUS_NEW)
        KEEP(set_status(e, t, now, KPI_STATUS_OPEN));
    if (human) {
        e->cnt[KPI_ENGINE_COUNT_REPLIES]++;
        keys pk = {{agent, t->team, 0, 0}};
        val v = {0, 1.0, 0.0};
        KEEP(rec(e, KPI_ENGINE_REPLIES_PER_HOUR, &pk, now, v));
    }
    return rc;
}

static int do_reopen(kpi_engine *e, tk *t, int64_t now)
{
    int rc = set_status(e, t, now, KPI_STATUS_OPEN);
    t->flags |= TF_REOPENED;
    e->cnt[KPI_ENGINE_COUNT_REOPENS]++;
    return rc;
}

/* The settlement of a ticket whose last resolve is at lr computes its full
 * resolution in business time (with the engine's calendar) and its
 * resolution SLA (with the policy's) from values this resolve fixes; the
 * calendar and the policy never change once the engine has started.  So
 * they are computed here first, and a resolve they cannot be computed for
 * (past the calendar's range) is refused, its error returned and the
 * event undone: otherwise the settlement, a window later, would fail
 * inside whatever event or advance reached it, and no event could get
 * past it.  `span_done`: the business span from creation to lr is
 * computed by this resolve anyway (a first resolve), and biz is it (as
 * span_business() gives it). */
static int settle_check(kpi_engine *e, const tk *t, int64_t lr, bool span_done,
                        int64_t biz)
{
    int met;
    int rc = !span_done ? span_business(e, t->created, lr, &biz) : KPI_OK;
    if (rc == KPI_OK)
        rc = sla_met(e, KPI_SLA_RESOLUTION, t, t->created, lr, off_get(t, F_PAUSE), biz, &met);
    return rc;
}

/* A reply target whose clock stops without its reply (the ticket resolved,
 * closed unresolved or merged): breached if it had lapsed by now, as
 * kpi_engine_sla_risk() showed it; one still running is not judged (no
 * reply is owed any more).  The target is the one a reply would have
 * been judged against (do_reply): the first reply while the FRT clock
 * runs, else the next reply while a customer waits. */
static int rec_unanswered(kpi_engine *e, const tk *t, const keys *k, int64_t now)
{
    int sla, metric, met;
    int64_t start;
    if (t->flags & TF_CLOCK) {
        sla = KPI_SLA_FIRST_RESPONSE;
        metric = KPI_ENGINE_SLA_FIRST_REPLY;
        start = tget(t, F_CLOCK);
    } else if (t->flags & TF_WAITING) {
        sla = KPI_SLA_NEXT_RESPONSE;
        metric = KPI_ENGINE_SLA_NEXT_REPLY;
        start = tget(t, F_WAITING);
    } else {
        return KPI_OK;
    }
    int rc = sla_met(e, sla, t, start, now, 0, -1, &met);
    if (rc != KPI_OK || met != 0)
        return rc;
    return rec(e, metric, k, now, vi(0));
}

static int do_resolve(kpi_engine *e, tk *t, int64_t now, uint32_t agent, bool bot)
{
    int rc = KPI_OK, r2;
    keys k = keys_of(t);
    KEEP(rec_unanswered(e, t, &k, now));
    KEEP(set_status(e, t, now, KPI_STATUS_SOLVED));
    /* a first resolve records its business span and checks the
     * settlement's over the same one: computed once */
    const bool first = !(t->flags & TF_RESOLVED);
    int64_t biz = -1;
    const int brc = first ? span_business(e, t->created, now, &biz) : KPI_OK;
    KEEP(settle_check(e, t, now, first, biz));
    clear_waiting(e, t);
    /* resolved before its first human reply: never an FRT.  An
     * agent-created ticket answered (outbound) before its customer wrote
     * keeps its FRT for the customer's first message, even after a
     * resolve; one whose customer wrote and was not answered does not */
    if (!(t->flags & TF_FRT_DONE) && (t->replies == 0 || (t->flags & TF_CLOCK)))
        t->flags |= TF_NO_FRT;
    t->flags &= (uint8_t)~TF_CLOCK;
    if (!(t->flags & TF_RESOLVED)) {
        t->flags |= TF_RESOLVED;
        e->cnt[KPI_ENGINE_COUNT_RESOLVED]++;
        if (bot) {
            t->flags |= TF_BOT_RESOLVED;
            e->cnt[KPI_ENGINE_COUNT_BOT_RESOLVED]++;
        }
        KEEP(rec_span(e, KPI_ENGINE_FIRST_RESOLUTION, &k, now, t->created, now, brc, biz));
    }
    e->cnt[KPI_ENGINE_COUNT_RESOLVES]++;
    if (!bot) {
        keys pk = {{agent, t->team, 0, 0}};
        val v = {0, 1.0, 0.0};
        KEEP(rec(e, KPI_ENGINE_RESOLVED_PER_HOUR, &pk, now, v));
    }
    tpush(e, false, now + e->opt[KPI_ENGINE_OPT_REOPEN_WINDOW_MS], t->id);
    return rc;
}

static int do_created(kpi_engine *e, const intake *in)
{
    const kpi_event *ev = in->ev;
    int64_t now = ev->time_ms;
    int rc = KPI_OK, r2;
    tk *t = ts_insert(&e->ts, ev->ticket);
    if (e->tx.on)
        tx_log(e, U_INSERT);
    t->created = now;
    t->status = KPI_STATUS_NEW;
    t->channel = (uint8_t)in->channel;
    t->priority = (uint8_t)in->priority;
    e->nstatus[KPI_STATUS_NEW]++;
    if (ev->flags & KPI_EVENT_FLAG_BY_AGENT) {
        t->flags |= TF_BY_AGENT;
    } else {
        t->flags |= TF_CLOCK | TF_WAITING;
        e->nwaiting++;
    }
    e->cnt[KPI_ENGINE_COUNT_CREATED]++;
    keys k = keys_of(t);
    KEEP(rec(e, KPI_ENGINE_VOLUME, &k, now, vi(now)));
    if (in->topic != NULL && in->topic_len > 0) {
        /* counted over all time and in the creation's period */
        kpi_topk *pk = NULL;
        int made = period_topk(e, now, &pk);
        if (e->tx.on) {
            op *o = tx_op(e, OP_TOPIC);
            if (o != NULL) {
                o->ref = (void *)(uintptr_t)in->topic;
                o->d.v.i = (int64_t)in->topic_len;
                o->acc[0] = pk;
                e->tx.pend_topics++;
                if (made == KPI_OK)
                    made = kpi__topk_reserve(e->topk, in->topic_len);
                if (made == KPI_OK && pk != NULL)
                    made = kpi__topk_reserve(pk, in->topic_len);
                if (made != KPI_OK)
                    e->tx.fail = made;
            }
        } else {
            KEEP(made);
            KEEP(kpi_topk_add(e->topk, in->topic, in->topic_len, 1));
            if (pk != NULL)
                KEEP(kpi_topk_add(pk, in->topic, in->topic_len, 1));
        }
    }
    if (customer_contact(ev)) {
        uint64_t key = ev->actor;
        if (e->opt[KPI_ENGINE_OPT_REPEAT_SAME_TOPIC]) {
            uint64_t h = in->topic_len ? kpi__hash_bytes(in->topic, in->topic_len, 0) : 0;
            key = kpi__mix64(key) ^ h;
        }
        const int64_t W = e->opt[KPI_ENGINE_OPT_REPEAT_WINDOW_MS];
        uint32_t pos = 0;
        int64_t i = dense_find(e->cust.index, e->cust.icap, key, cust_key, &e->cust, &pos);
        bool repeat = false;
        if (i >= 0) {
            cent *c = &e->cust.v[i];
            /* in time order: the latest creation is at most W before; a
             * creation arriving after a later one of the same customer is
             * judged against that one, at most W after (so that of two
             * creations W or less apart one is a repeat, whichever arrives
             * first, and of two further apart neither) */
            repeat = now >= c->last ? c->last >= now - W : c->last - now <= W;
            if (now > c->last) {
                if (e->tx.on) {
                    undo *u = tx_log(e, U_CUST_LAST);
                    u->pos = (uint32_t)i;
                    u->x.due = c->last;
                }
                c->last = now;
                tpush(e, true, now + W + 1, key);
            }
        } else {
            e->cust.v[e->cust.n].key = key;
            e->cust.v[e->cust.n].last = now;
            e->cust.index[pos] = (uint32_t)++e->cust.n;
            if (e->tx.on)
                tx_log(e, U_CUST_NEW)->x.key = key;
            tpush(e, true, now + W + 1, key);
        }
        KEEP(rec(e, KPI_ENGINE_REPEAT_CONTACT, &k, now, vi(repeat)));
    }
    return rc;
}

/* Apply a validated, reserved event; t is its ticket (NULL for creation
 * and log-in). */
static int apply_event(kpi_engine *e, const intake *in, tk *t)
{
    const kpi_event *ev = in->ev;
    int64_t now = ev->time_ms;
    int rc = KPI_OK, r2;
    if (t != NULL)
        tset(t, F_LAST, now);
    switch (ev->kind) {
    case KPI_EVENT_CREATED:
        rc = do_created(e, in);
        break;
    case KPI_EVENT_CUSTOMER_MESSAGE:
        e->cnt[KPI_ENGINE_COUNT_CUSTOMER_MESSAGES]++;
        if (t->status == KPI_STATUS_SOLVED) {
            if (!e->opt[KPI_ENGINE_OPT_MESSAGE_REOPENS])
                break;
            KEEP(do_reopen(e, t, now));
        }
        if (!(t->flags & TF_WAITING)) {
            t->flags |= TF_WAITING;
            tset(t, F_WAITING, now);
            e->nwaiting++;
        }
        if ((t->flags & TF_BY_AGENT) &&
            !(t->flags & (TF_CLOCK | TF_FRT_DONE | TF_NO_FRT))) {
            t->flags |= TF_CLOCK;
            tset(t, F_CLOCK, now);
        }
        if (t->status == KPI_STATUS_PENDING)
            KEEP(set_status(e, t, now, KPI_STATUS_OPEN));
        break;
    case KPI_EVENT_AGENT_REPLY: {
        uint32_t a = ev->actor ? in->agent : t->agent;
        rc = do_reply(e, t, now, a, true);
        break;
    }
    case KPI_EVENT_BOT_REPLY:
        e->cnt[KPI_ENGINE_COUNT_BOT_REPLIES]++;
        if (e->opt[KPI_ENGINE_OPT_BOT_REPLIES_COUNT])
            rc = do_reply(e, t, now, 0, false);
        break;
    case KPI_EVENT_HANDOFF:
        e->cnt[KPI_ENGINE_COUNT_HANDOFFS]++;
        /* only a running clock restarts: an agent-created ticket whose
         * customer has not written yet has no FRT to measure */
        if (e->opt[KPI_ENGINE_OPT_FRT_FROM_HANDOFF] && (t->flags & TF_CLOCK))
            tset(t, F_CLOCK, now);
        break;
    case KPI_EVENT_NOTE:
        e->cnt[KPI_ENGINE_COUNT_NOTES]++;
        break;
    case KPI_EVENT_OPEN:
        KEEP(set_status(e, t, now, KPI_STATUS_OPEN));
        break;
    case KPI_EVENT_PENDING:
        KEEP(set_status(e, t, now, KPI_STATUS_PENDING));
        break;
    case KPI_EVENT_ON_HOLD:
        KEEP(set_status(e, t, now, KPI_STATUS_ON_HOLD));
        break;
    case KPI_EVENT_ASSIGNED:
        t->agent = in->agent;
        t->team = (uint16_t)in->team;
        break;
    case KPI_EVENT_RESOLVED: {
        bool bot = (ev->flags & KPI_EVENT_FLAG_BY_BOT) != 0;
        uint32_t a = bot ? 0 : ev->actor ? in->agent : t->agent;
        rc = do_resolve(e, t, now, a, bot);
        break;
    }
    case KPI_EVENT_REOPENED:
        KEEP(do_reopen(e, t, now));
        break;
    case KPI_EVENT_CLOSED:
        if (t->status != KPI_STATUS_SOLVED)
            KEEP(do_resolve(e, t, now, t->agent, false));
        KEEP(settle_solved(e, t, now));
        KEEP(set_status(e, t, now, KPI_STATUS_CLOSED));
        e->cnt[KPI_ENGINE_COUNT_CLOSED]++;
        tpush(e, false, now + e->opt[KPI_ENGINE_OPT_REOPEN_WINDOW_MS], t->id);
        break;
    case KPI_EVENT_MERGED: {
        keys k = keys_of(t);
        KEEP(rec_unanswered(e, t, &k, now));
        clear_waiting(e, t);
        t->flags &= (uint8_t)~TF_CLOCK;
        KEEP(set_status(e, t, now, KPI_STATUS_MERGED));
        e->cnt[KPI_ENGINE_COUNT_MERGED]++;
        e->cnt[KPI_ENGINE_COUNT_SETTLED]++;
        tpush(e, false, now + e->opt[KPI_ENGINE_OPT_REOPEN_WINDOW_MS], t->id);
        break;
    }
    case KPI_EVENT_CSAT:
    case KPI_EVENT_NPS:
    case KPI_EVENT_CES: {
        keys k = keys_of(t);
        int m = ev->kind == KPI_EVENT_CSAT  ? KPI_ENGINE_CSAT
                : ev->kind == KPI_EVENT_NPS ? KPI_ENGINE_NPS
                                            : KPI_ENGINE_CES;
        e->cnt[KPI_ENGINE_COUNT_SURVEYS]++;
        rc = rec(e, m, &k, now, vi(ev->value));
        break;
    }
    case KPI_EVENT_LOGGED_IN: {
        keys k = {{in->agent, in->team, 0, 0}};
        val v = {0, 0.0, (double)ev->value / (double)KPI_MS_PER_HOUR};
        KEEP(rec(e, KPI_ENGINE_RESOLVED_PER_HOUR, &k, now, v));
        KEEP(rec(e, KPI_ENGINE_REPLIES_PER_HOUR, &k, now, v));
        break;
    }
    default:
        break;
    }
    e->cnt[KPI_ENGINE_COUNT_EVENTS]++;
    return rc;
}

/* Can a status change from `old` fail?  Only computing a business span:
 * time in a waiting status added to the ticket's business sums (a
 * calendar), or a pause whose resolution target runs in business time (a
 * policy).  Conservative: true when neither can arise. */
static inline bool status_change_plain(const kpi_engine *e, int old)
{
    return (!e->ts.biz || !status_waits(old)) && (old != KPI_STATUS_PENDING || e->pol == NULL);
}

/* A plain event: applying it to t can neither fail nor record a value (it
 * changes only the ticket, the counters and the clock), so, when nothing
 * is due either, it needs no transaction: nothing could have to be
 * undone.  Every other event, and any event that settles something, runs
 * in one.  (A kind that comes to record a value, push a timer or meet an
 * error must leave this list.  tests/test_engine_tx runs the engine's
 * suite with this path compiled out, so both paths give every test's
 * states, the golden snapshots' bytes included.) */
static inline bool event_is_plain(const kpi_engine *e, uint32_t kind, const tk *t)
{
#ifdef KPI__ENGINE_NO_PLAIN /* tests/test_engine_tx: every event in one */
    (void)e;
    (void)kind;
    (void)t;
    return false;
#else
    switch (kind) {
    case KPI_EVENT_NOTE:
    case KPI_EVENT_HANDOFF:
    case KPI_EVENT_ASSIGNED:
        return true;
    case KPI_EVENT_BOT_REPLY: /* counted as a reply, it records one */
        return !e->opt[KPI_ENGINE_OPT_BOT_REPLIES_COUNT];
    case KPI_EVENT_REOPENED: /* a change from solved computes no span */
        return true;
    case KPI_EVENT_CUSTOMER_MESSAGE:
        /* a solved ticket: ignored, or reopened; else a pending ticket is
         * opened */
        return t->status != KPI_STATUS_PENDING || status_change_plain(e, KPI_STATUS_PENDING);
    case KPI_EVENT_OPEN:
    case KPI_EVENT_PENDING:
    case KPI_EVENT_ON_HOLD:
        return status_change_plain(e, t->status);
    default:
        return false;
    }
#endif
}

/* Validate (fields already checked), reserve, advance, apply: the one path
 * of every event (a plain one outside a transaction).  Invariant between
 * calls: no timer is due by e->now, so a live ticket expiring by `now` is
 * one whose window ends by the event. */
static int engine_event(kpi_engine *e, intake *in)
{
    const kpi_event *ev = in->ev;
    int64_t now = ev->time_ms;
    int rc;
    tk *t = NULL;
    uint32_t slot = 0;
    if (ev->kind != KPI_EVENT_LOGGED_IN) {
        t = ts_find_hinted(&e->ts, ev->ticket, in->hint, &slot);
        if (t != NULL && expiring(e, t, now))
            t = NULL; /* it leaves before this event */
        if (ev->kind == KPI_EVENT_CREATED) {
            if (t != NULL)
                return KPI_ERR_DUPLICATE;
        } else {
            if (t == NULL)
                return KPI_ERR_UNKNOWN_ID;
            if (now < tget(t, F_LAST))
                return KPI_ERR_ORDER;
            if (now - t->created >= OFF_LIMIT)
                return KPI_ERR_RANGE;
            if ((rc = check_state(e, t, ev->kind)) != KPI_OK)
                return rc;
            if ((ev->kind == KPI_EVENT_CSAT || ev->kind == KPI_EVENT_NPS ||
                 ev->kind == KPI_EVENT_CES) &&
                (rc = check_answer(e, ev->kind, ev->value)) != KPI_OK)
                return rc;
        }
    }
    /* every stored counter counts events (or, settled, the tickets they
     * created), so none is above COUNT_EVENTS, which merges bring up to
     * 2^64 - 1: the one an event could pass */
    if (e->cnt[KPI_ENGINE_COUNT_EVENTS] == UINT64_MAX)
        return KPI_ERR_OVERFLOW;
    if ((rc = reserve_for(e, in)) != KPI_OK)
        return rc;
    const int64_t by = now > e->now ? now : e->now;
    const bool plain = t != NULL && event_is_plain(e, ev->kind, t) && e->started &&
                       !tq_due(&e->tq, by) && !tq_due(&e->cq, by);
    int r2;
    if (plain) {
        clock_to(e, now); /* advance()'s common case: the event cannot fail */
    } else {
        if ((rc = tx_begin(e)) != KPI_OK)
            return rc;
        uint32_t n_before = e->ts.n;
        rc = advance(e, now);
        if (!tx_grow(e, 8, 0))
            return tx_end(e); /* (failed: nothing changed) */
        if (t != NULL && e->ts.n != n_before) /* slots moved while settling */
            t = ts_find_slot(&e->ts, ev->ticket, &slot);
        if (t != NULL) {
            undo *u = tx_log(e, U_SLOT);
            u->pos = slot;
            u->t = *t;
            bz_save(&e->ts, slot, &u->b);
        }
        /* after advance() nothing is due by e->now (a failure there has
         * failed the transaction already), and applying does not move
         * e->now: only a timer the event pushes already due can be */
        e->tx.late = false;
    }
    KEEP(apply_event(e, in, t));
    if (plain)
        return rc;
    if (e->tx.late)
        KEEP(run_timers(e, e->now));
    /* an error found while settling or applying (a calendar or SLA
     * computation out of range, ...) fails the whole transaction, like a
     * failed allocation: the event is refused and nothing changes.
     * (Settling cannot meet one: settle_check() refused the resolve.) */
    if (rc != KPI_OK && e->tx.fail == KPI_OK)
        e->tx.fail = rc;
    return tx_end(e); /* KPI_OK, or nothing changed (rings_trim(): the caller's) */
}

/* A record's topic label (KPI_ERR_UNKNOWN_ID if its code has no name). */
static int record_intake(const kpi_engine *e, const kpi_event *ev, intake *in)
{
    in->ev = ev;
    in->topic = NULL;
    in->topic_len = 0;
    in->hint = NO_HINT;
    if (ev->kind == KPI_EVENT_CREATED && ev->topic != 0) {
        const char *name = names_get(&e->names[KPI_DIM_TOPIC - 1], ev->topic);
        if (name == NULL)
            return KPI_ERR_UNKNOWN_ID;
        in->topic = name;
        in->topic_len = strlen(name);
    }
    return KPI_OK;
}

/* ---- public: lifecycle and configuration ------------------------------- */

static int engine_create(const kpi_allocator *alloc, kpi_engine **out)
{
    if (out == NULL)
        return KPI_ERR_INVALID;
    kpi_engine *e;
    int rc = kpi__object_new(&kpi__engine_type, sizeof *e, alloc, (void **)&e);
    if (rc != KPI_OK)
        return rc;
    memcpy(e->opt, opt_default, sizeof e->opt);
    if ((rc = kpis_build(e)) != KPI_OK) {
        kpi__object_free(e);
        return rc;
    }
    *out = e;
    return KPI_OK;
}

KPI_API int kpi_engine_new(kpi_engine **out)
{
    return engine_create(NULL, out);
}

KPI_API int kpi_engine_new_with(kpi_engine **out, const kpi_allocator *alloc)
{
    return engine_create(alloc, out);
}

KPI_API void kpi_engine_free(kpi_engine *e)
{
    if (kpi__is(e, &kpi__engine_type))
        engine_destroy(e);
}

static void engine_reset(void *obj)
{
    kpi_engine *e = obj;
    for (int m = 0; m < NM; m++)
        type_of_metric(m)->reset(e->tot[m]);
    for (int d = 0; d < NDIM; d++) {
        dimtab *t = &e->dim[d];
        for (int m = 0; m < NM; m++)
            if (t->g[m] != NULL)
                kpi_group_reset(t->g[m]);
        t->n = 0;
        if (t->index != NULL)
            memset(t->index, 0, (size_t)t->icap * sizeof *t->index);
    }
    kpi_topk_reset(e->topk);
    for (uint32_t p = 0; p < e->nper; p++) {
        bucket *b = &e->ring[p];
        for (int m = 0; m < NM; m++)
            if (b->m[m] != NULL)
                type_of_metric(m)->reset(b->m[m]);
        if (b->topk != NULL)
            kpi_topk_reset(b->topk);
        /* as built: a period's backlog must not outlive the reset */
        b->k = 0;
        b->has_backlog = 0;
        b->backlog = 0;
    }
    data_clear(e);
    e->hw_n = e->hw_v = 0;
}

KPI_API void kpi_engine_reset(kpi_engine *e)
{
    if (kpi__is(e, &kpi__engine_type))
        engine_reset(e);
}

KPI_API int kpi_engine_set_option(kpi_engine *e, int option, int64_t value)
{
    if (!kpi__is(e, &kpi__engine_type))
        return KPI_ERR_INVALID;
    if (option < 0 || option >= KPI_ENGINE_OPTIONS)
        return KPI_ERR_INVALID;
    int rc = opt_check(option, value);
    if (rc != KPI_OK)
        return rc;
    if (e->started)
        return KPI_ERR_STATE;
    int64_t o[KPI_ENGINE_OPTIONS];
    memcpy(o, e->opt, sizeof o);
    o[option] = value;
    /* an FCR maximum below the minimum takes the minimum down with it, so
     * that a caller who sets the maximum alone (as before the minimum
     * existed: 0 for "no reply") is never refused for the default 1 */
    if (option == KPI_ENGINE_OPT_FCR_MAX_REPLIES && o[KPI_ENGINE_OPT_FCR_MIN_REPLIES] > value)
        o[KPI_ENGINE_OPT_FCR_MIN_REPLIES] = value;
    /* the options were consistent before, so only the one set can make
     * them inconsistent: a threshold above its scale's maximum, or the
     * FCR minimum above the maximum (raise the maximum first) */
    if (opt_consistent(o) != KPI_OK)
        return KPI_ERR_RANGE;
    return reconfigure(e, o);
}

KPI_API int kpi_engine_option(const kpi_engine *e, int option, int64_t *value)
{
    if (!kpi__is(e, &kpi__engine_type) || value == NULL)
        return KPI_ERR_INVALID;
    if (option < 0 || option >= KPI_ENGINE_OPTIONS)
        return KPI_ERR_INVALID;
    *value = e->opt[option];
    return KPI_OK;
}

/* Copy a configuration object with the engine's allocator. */
static int copy_with(const kpi__type *type, const void *src, const kpi_allocator *a,
                     void **out)
{
    size_t len = 0;
    kpi__serialize(src, NULL, 0, &len);
    void *buf = kpi__malloc(a, len);
    if (buf == NULL)
        return KPI_ERR_NOMEM;
    kpi__serialize(src, buf, len, &len);
    int rc = kpi__deserialize(type, buf, len, a, out);
    kpi__free(a, buf);
    return rc;
}

KPI_API int kpi_engine_set_calendar(kpi_engine *e, const kpi_calendar *cal)
{
    if (!kpi__is(e, &kpi__engine_type) || (cal != NULL && !kpi__is(cal, &kpi__calendar_type)))
        return KPI_ERR_INVALID;
    if (e->started)
        return KPI_ERR_STATE;
    void *copy = NULL;
    int rc = cal ? copy_with(&kpi__calendar_type, cal, &e->base.alloc, &copy) : KPI_OK;
    if (rc != KPI_OK)
        return rc;
    kpi__destroy(e->cal);
    e->cal = copy;
    e->memo_from = e->memo_to = e->memo_biz = 0; /* the empty span */
    if (e->ts.biz != (copy != NULL)) {
        /* no ticket yet (not started), but a first event that failed may
         * have reserved slot pages: made again with or without side pages */
        ts_free(&e->base.alloc, &e->ts);
        e->ts.biz = copy != NULL;
    }
    one_cal_update(e);
    return KPI_OK;
}

KPI_API int kpi_engine_set_sla_policy(kpi_engine *e, const kpi_sla_policy *policy)
{
    if (!kpi__is(e, &kpi__engine_type) ||
        (policy != NULL && !kpi__is(policy, &kpi__sla_policy_type)))
        return KPI_ERR_INVALID;
    if (e->started)
        return KPI_ERR_STATE;
    void *copy = NULL;
    int rc = policy ? copy_with(&kpi__sla_policy_type, policy, &e->base.alloc, &copy)
                    : KPI_OK;
    if (rc != KPI_OK)
        return rc;
    kpi__destroy(e->pol);
    e->pol = copy;
    one_cal_update(e);
    return KPI_OK;
}

/* Whether a metric's n targets v (distinct, in the order added) hold t. */
static bool has_target(const int64_t *v, int n, int64_t t)
{
    for (int i = 0; i < n; i++)
        if (v[i] == t)
            return true;
    return false;
}

KPI_API int kpi_engine_add_target(kpi_engine *e, int metric, int64_t target_ms)
{
    if (!kpi__is(e, &kpi__engine_type))
        return KPI_ERR_INVALID;
    if (!known_metric(metric))
        return KPI_ERR_INVALID;
    if (target_ms <= 0)
        return KPI_ERR_RANGE;
    if (mtype[metric] != T_DUR)
        return KPI_ERR_TYPE;
    if (e->started)
        return KPI_ERR_STATE;
    /* a target the metric has is a duplicate before the metric is full,
     * as kpi_duration_add_target() decides */
    if (has_target(e->targets[metric], e->ntargets[metric], target_ms))
        return KPI_ERR_DUPLICATE;
    if (e->ntargets[metric] >= KPI_DURATION_MAX_TARGETS)
        return KPI_ERR_LIMIT;
    e->targets[metric][e->ntargets[metric]++] = target_ms;
    int rc = reconfigure(e, e->opt);
    if (rc != KPI_OK)
        e->ntargets[metric]--;
    return rc;
}

KPI_API int kpi_engine_set_name(kpi_engine *e, int dim, uint64_t code, const char *name)
{
    if (!kpi__is(e, &kpi__engine_type) || name == NULL || name[0] == '\0')
        return KPI_ERR_INVALID;
    if (dim < KPI_DIM_AGENT || dim > KPI_DIM_TOPIC)
        return KPI_ERR_INVALID;
    /* the codes a kpi_event can carry in each dimension: a name for any
     * other could never be used, yet would be kept and snapshotted */
    static const uint64_t code_max[NNAMES] = {UINT64_MAX, 65535, 255, 255, UINT32_MAX};
    if (code > code_max[dim - 1])
        return KPI_ERR_RANGE;
    size_t len = strnlen(name, KPI_TOPK_MAX_LABEL + 1);
    if (len > KPI_TOPK_MAX_LABEL)
        return KPI_ERR_RANGE;
    return names_set(&e->base.alloc, &e->names[dim - 1], code, name, len);
}

KPI_API int kpi_engine_name(const kpi_engine *e, int dim, uint64_t code, const char **name)
{
    if (!kpi__is(e, &kpi__engine_type) || name == NULL)
        return KPI_ERR_INVALID;
    if (dim < KPI_DIM_AGENT || dim > KPI_DIM_TOPIC)
        return KPI_ERR_INVALID;
    const char *s = names_get(&e->names[dim - 1], code);
    if (s == NULL)
        return KPI_ERR_UNKNOWN_ID;
    *name = s;
    return KPI_OK;
}

/* ---- public: intake ---------------------------------------------------- */

static int one(kpi_engine *e, const kpi_event *ev, const char *topic)
{
    if (!kpi__is(e, &kpi__engine_type))
        return KPI_ERR_INVALID;
    int rc = check_fields(ev);
    if (rc != KPI_OK)
        return rc;
    intake in = {ev, NULL, 0, 0, 0, 0, 0, NO_HINT};
    if (topic != NULL && topic[0] != '\0') {
        size_t len = strnlen(topic, KPI_TOPK_MAX_LABEL + 1);
        if (len > KPI_TOPK_MAX_LABEL)
            return KPI_ERR_RANGE;
        in.topic = topic;
        in.topic_len = len;
    }
    rc = engine_event(e, &in);
    rings_trim(e);
    return rc;
}

/* A ticket event from the per-kind calls' arguments. */
static int ticket_ev(kpi_engine *e, uint32_t kind, int64_t t, uint64_t ticket, uint64_t actor,
                     uint32_t team, uint32_t flags, int64_t value)
{
    kpi_event ev;
    memset(&ev, 0, sizeof ev);
    ev.kind = kind;
    ev.time_ms = t;
    ev.ticket = ticket;
    ev.actor = actor;
    ev.team = team;
    ev.flags = flags;
    ev.value = value;
    if (ticket == 0 && kind != KPI_EVENT_LOGGED_IN)
        return KPI_ERR_INVALID;
    return one(e, &ev, NULL);
}

KPI_API int kpi_engine_created(kpi_engine *e, int64_t t_ms, uint64_t ticket,
                               uint64_t customer, uint32_t channel, uint32_t priority,
                               const char *topic, uint32_t flags)
{
    kpi_event ev;
    memset(&ev, 0, sizeof ev);
    ev.kind = KPI_EVENT_CREATED;
    ev.time_ms = t_ms;
    ev.ticket = ticket;
    ev.actor = customer;
    ev.channel = channel;
    ev.priority = priority;
    ev.flags = flags;
    return ticket == 0 ? KPI_ERR_INVALID : one(e, &ev, topic);
}

KPI_API int kpi_engine_customer_message(kpi_engine *e, int64_t t_ms, uint64_t ticket)
{
    return ticket_ev(e, KPI_EVENT_CUSTOMER_MESSAGE, t_ms, ticket, 0, 0, 0, 0);
}

KPI_API int kpi_engine_agent_reply(kpi_engine *e, int64_t t_ms, uint64_t ticket,
                                   uint64_t agent)
{
    return ticket_ev(e, KPI_EVENT_AGENT_REPLY, t_ms, ticket, agent, 0, 0, 0);
}

KPI_API int kpi_engine_ticket_event(kpi_engine *e, int64_t t_ms, uint64_t ticket,
                                    uint32_t kind)
{
    switch (kind) {
    case KPI_EVENT_BOT_REPLY:
    case KPI_EVENT_HANDOFF:
    case KPI_EVENT_NOTE:
    case KPI_EVENT_OPEN:
    case KPI_EVENT_PENDING:
    case KPI_EVENT_ON_HOLD:
    case KPI_EVENT_REOPENED:
    case KPI_EVENT_CLOSED:
    case KPI_EVENT_CUSTOMER_MESSAGE:
        return ticket_ev(e, kind, t_ms, ticket, 0, 0, 0, 0);
    default:
        return KPI_ERR_INVALID;
    }
}

KPI_API int kpi_engine_assigned(kpi_engine *e, int64_t t_ms, uint64_t ticket,
                                uint64_t agent, uint32_t team)
{
    return ticket_ev(e, KPI_EVENT_ASSIGNED, t_ms, ticket, agent, team, 0, 0);
}

KPI_API int kpi_engine_resolved(kpi_engine *e, int64_t t_ms, uint64_t ticket,
                                uint64_t agent, uint32_t flags)
{
    return ticket_ev(e, KPI_EVENT_RESOLVED, t_ms, ticket, agent, 0, flags, 0);
}

KPI_API int kpi_engine_merged(kpi_engine *e, int64_t t_ms, uint64_t ticket, uint64_t into)
{
    return ticket_ev(e, KPI_EVENT_MERGED, t_ms, ticket, into, 0, 0, 0);
}

KPI_API int kpi_engine_survey(kpi_engine *e, int64_t t_ms, uint64_t ticket, uint32_t kind,
                              int32_t answer)
{
    if (kind != KPI_EVENT_CSAT && kind != KPI_EVENT_NPS && kind != KPI_EVENT_CES)
        return KPI_ERR_INVALID;
    return ticket_ev(e, kind, t_ms, ticket, 0, 0, 0, answer);
}

KPI_API int kpi_engine_logged_in(kpi_engine *e, int64_t t_ms, uint64_t agent, uint32_t team,
                                 int64_t logged_in_ms)
{
    return ticket_ev(e, KPI_EVENT_LOGGED_IN, t_ms, 0, agent, team, 0, logged_in_ms);
}

KPI_API int kpi_engine_event(kpi_engine *e, const kpi_event *ev)
{
    if (!kpi__is(e, &kpi__engine_type) || ev == NULL)
        return KPI_ERR_INVALID;
    intake in;
    int rc = check_fields(ev);
    if (rc == KPI_OK)
        rc = record_intake(e, ev, &in);
    if (rc != KPI_OK)
        return rc;
    rc = engine_event(e, &in);
    rings_trim(e);
    return rc;
}

/* The batch's read-ahead (see "look-ahead" above): a creation also looks
 * up its customer (repeat contacts), keyed by the customer id alone unless
 * the topic is part of the key. */
static inline bool ahead_customer(const kpi_engine *e, const kpi_event *ev)
{
    return ev->kind == KPI_EVENT_CREATED && customer_contact(ev) && e->cust.icap != 0 &&
           !e->opt[KPI_ENGINE_OPT_REPEAT_SAME_TOPIC];
}

static inline void ahead_index(const kpi_engine *e, const kpi_event *ev)
{
    ahead_ticket_index(&e->ts, ev->ticket);
    if (ahead_customer(e, ev))
        ahead_cust_index(&e->cust, ev->actor);
}

static inline uint32_t ahead_slot(const kpi_engine *e, const kpi_event *ev)
{
    uint32_t hint = ahead_ticket_slot(&e->ts, ev->ticket, false);
    if (ahead_customer(e, ev))
        ahead_cust_entry(&e->cust, ev->actor);
    return hint;
}

/* The tickets of the records ev[0..n) (and a creation's customer entry),
 * looked up as a group (warm_keys() above). */
static void warm(const kpi_engine *e, const kpi_event *ev, size_t n)
{
    uint64_t tid[WARM], cid[WARM];
    size_t nc = 0;
    for (size_t j = 0; j < n; j++) {
        tid[j] = ev[j].ticket;
        if (ahead_customer(e, &ev[j]))
            cid[nc++] = ev[j].actor;
    }
    warm_keys(e, tid, n, cid, nc);
}

KPI_API int kpi_engine_apply(kpi_engine *e, const kpi_event *events, size_t n,
                             size_t record_size, size_t *applied)
{
    if (applied != NULL)
        *applied = 0;
    if (!kpi__is(e, &kpi__engine_type) || (events == NULL && n > 0))
        return KPI_ERR_INVALID;
    if (record_size != sizeof(kpi_event))
        return KPI_ERR_VERSION;
    size_t i;
    int rc = KPI_OK;
    /* the slots the read-ahead found, record i's at i % AHEAD_NEAR */
    uint32_t hints[AHEAD_NEAR];
    for (size_t j = 0; j < AHEAD_NEAR; j++)
        hints[j] = NO_HINT;
    if (n > 0 && e->ts.icap != 0) {
        warm(e, events, n < AHEAD_NEAR ? n : AHEAD_NEAR);
        for (size_t j = AHEAD_NEAR; j < AHEAD_FAR && j < n; j++)
            ahead_index(e, &events[j]);
    }
    for (i = 0; i < n; i++) {
        const uint32_t hint = hints[i % AHEAD_NEAR];
        if (KPI__LIKELY(e->ts.icap != 0)) {
            if (i + AHEAD_FAR < n)
                ahead_index(e, &events[i + AHEAD_FAR]);
            if (i + AHEAD_NEAR < n)
                hints[i % AHEAD_NEAR] = ahead_slot(e, &events[i + AHEAD_NEAR]);
        }
        intake in;
        rc = check_fields(&events[i]);
        if (rc == KPI_OK)
            rc = record_intake(e, &events[i], &in);
        in.hint = hint;
        if (rc == KPI_OK)
            rc = engine_event(e, &in);
        if (rc != KPI_OK)
            break;
    }
    rings_trim(e);
    if (applied != NULL)
        *applied = i;
    return rc;
}

KPI_API int kpi_engine_advance(kpi_engine *e, int64_t t_ms)
{
    if (!kpi__is(e, &kpi__engine_type))
        return KPI_ERR_INVALID;
    if (t_ms <= -TIME_LIMIT || t_ms >= TIME_LIMIT)
        return KPI_ERR_RANGE;
    if (!e->started || t_ms <= e->now)
        return KPI_OK;
    int rc = tx_begin(e);
    if (rc != KPI_OK)
        return rc;
    rc = advance(e, t_ms);
    if (rc != KPI_OK && e->tx.fail == KPI_OK)
        e->tx.fail = rc; /* as for an event (engine_event()) */
    rc = tx_end(e);
    rings_trim(e);
    return rc;
}

/* ---- public: reads ----------------------------------------------------- */

KPI_API int kpi_engine_time(const kpi_engine *e, int64_t *t_ms)
{
    if (!kpi__is(e, &kpi__engine_type) || t_ms == NULL)
        return KPI_ERR_INVALID;
    if (!e->started)
        return KPI_ERR_EMPTY;
    *t_ms = e->now;
    return KPI_OK;
}

KPI_API int kpi_engine_count(const kpi_engine *e, int counter, uint64_t *out)
{
    if (!kpi__is(e, &kpi__engine_type) || out == NULL)
        return KPI_ERR_INVALID;
    if (counter < 0 || counter >= KPI_ENGINE_COUNTERS)
        return KPI_ERR_INVALID;
    if (counter < NSTORED) {
        *out = e->cnt[counter];
        return KPI_OK;
    }
    switch (counter) {
    case KPI_ENGINE_COUNT_LIVE:
        *out = e->ts.n;
        break;
    case KPI_ENGINE_COUNT_UNRESOLVED:
        *out = unresolved(e);
        break;
    case KPI_ENGINE_COUNT_WAITING:
        *out = e->nwaiting;
        break;
    case KPI_ENGINE_COUNT_CUSTOMERS:
        *out = e->cust.n;
        break;
    default: /* NEW .. SOLVED */
        *out = e->nstatus[counter - KPI_ENGINE_COUNT_NEW];
        break;
    }
    return KPI_OK;
}

KPI_API int kpi_engine_metric_type(int metric)
{
    if (!known_metric(metric))
        return KPI_ERR_INVALID;
    return mtype[metric];
}

KPI_API int kpi_engine_metric(const kpi_engine *e, int metric, int dim, uint64_t key,
                              const void **acc)
{
    if (!kpi__is(e, &kpi__engine_type) || acc == NULL)
        return KPI_ERR_INVALID;
    if (!known_metric(metric) || !known_dim(dim))
        return KPI_ERR_INVALID;
    if (dim == KPI_DIM_TOPIC)
        return KPI_ERR_RANGE; /* a dimension no metric is broken down by */
    if (dim == KPI_DIM_ALL) {
        *acc = e->tot[metric];
        return KPI_OK;
    }
    const kpi_group *g = e->dim[dim - 1].g[metric];
    if (g == NULL)
        return KPI_ERR_RANGE;
    return kpi_group_find(g, key, acc) == KPI_OK ? KPI_OK : KPI_ERR_UNKNOWN_ID;
}

static int typed(const kpi_engine *e, int metric, int type, int dim, uint64_t key,
                 const void **out)
{
    /* no engine is #KPI_ERR_INVALID whatever the metric (as
     * kpi_engine_metric() and kpi_engine_add_target()), and so is an
     * unknown metric or dimension, before the metric's type */
    if (!kpi__is(e, &kpi__engine_type) || out == NULL || !known_metric(metric) ||
        !known_dim(dim))
        return KPI_ERR_INVALID;
    if (mtype[metric] != type)
        return KPI_ERR_TYPE;
    return kpi_engine_metric(e, metric, dim, key, out);
}

KPI_API int kpi_engine_duration(const kpi_engine *e, int metric, int dim, uint64_t key,
                                const kpi_duration **out)
{
    return typed(e, metric, T_DUR, dim, key, (const void **)out);
}

KPI_API int kpi_engine_rate(const kpi_engine *e, int metric, int dim, uint64_t key,
                            const kpi_rate **out)
{
    return typed(e, metric, T_RATE, dim, key, (const void **)out);
}

KPI_API int kpi_engine_contacts_per_issue(const kpi_rate *repeat, kpi_estimate *out)
{
    if (!kpi__is(repeat, &kpi__rate_type) || out == NULL)
        return KPI_ERR_INVALID;
    uint64_t n = kpi_rate_trials(repeat), r = kpi_rate_successes(repeat);
    kpi_estimate p;
    int rc = kpi_rate_share(repeat, &p); /* KPI_ERR_EMPTY without a contact */
    if (rc != KPI_OK)
        return rc;
    if (r == n)
        return KPI_ERR_EMPTY;
    double v = (double)n / (double)(n - r);
    double lo = 1.0 / (1.0 - p.lower);
    double hi = p.upper < 1.0 ? 1.0 / (1.0 - p.upper) : INFINITY;
    out->value = v;
    out->lower = lo < v ? lo : v; /* (rounding must not put v outside) */
    out->upper = hi > v ? hi : v;
    out->n = n;
    return KPI_OK;
}

KPI_API int kpi_engine_score(const kpi_engine *e, int metric, int dim, uint64_t key,
                             const kpi_score **out)
{
    return typed(e, metric, T_SCORE, dim, key, (const void **)out);
}

KPI_API int kpi_engine_ratio(const kpi_engine *e, int metric, int dim, uint64_t key,
                             const kpi_ratio **out)
{
    return typed(e, metric, T_RATIO, dim, key, (const void **)out);
}

KPI_API int kpi_engine_volume(const kpi_engine *e, int dim, uint64_t key,
                              const kpi_series **out)
{
    return typed(e, KPI_ENGINE_VOLUME, T_SERIES, dim, key, (const void **)out);
}

KPI_API int kpi_engine_group(const kpi_engine *e, int metric, int dim, const kpi_group **out)
{
    if (!kpi__is(e, &kpi__engine_type) || out == NULL)
        return KPI_ERR_INVALID;
    if (!known_metric(metric) || dim < KPI_DIM_AGENT || dim > KPI_DIM_TOPIC)
        return KPI_ERR_INVALID;
    if (dim == KPI_DIM_TOPIC || e->dim[dim - 1].g[metric] == NULL)
        return KPI_ERR_RANGE; /* a breakdown not kept */
    *out = e->dim[dim - 1].g[metric];
    return KPI_OK;
}

KPI_API int kpi_engine_top_topics(const kpi_engine *e, const kpi_topk **out)
{
    if (!kpi__is(e, &kpi__engine_type) || out == NULL)
        return KPI_ERR_INVALID;
    *out = e->topk;
    return KPI_OK;
}

/* The kept periods that start in [from_ms, to_ms): [*klo, *khi] (empty
 * when *klo > *khi).  KPI_ERR_RANGE for an empty or unrepresentable range,
 * KPI_ERR_ORDER if a period that starts in it has left the ring. */
static int window_periods(const kpi_engine *e, int64_t from_ms, int64_t to_ms, int64_t *klo,
                          int64_t *khi)
{
    if (to_ms <= from_ms || from_ms <= -TIME_LIMIT)
        return KPI_ERR_RANGE;
    /* every kept period starts before TIME_LIMIT (the engine's time is
     * below it): a later start holds none, and from_ms - origin fits */
    if (from_ms > TIME_LIMIT)
        from_ms = TIME_LIMIT;
    int64_t lo = period_of(e, from_ms);
    if (period_start(e, lo) < from_ms)
        lo++; /* periods that start inside the window */
    int64_t hi = to_ms >= TIME_LIMIT ? e->head : period_of(e, to_ms - 1);
    /* refused only if a period starts in the window (lo <= hi) and the
     * first of them has left the ring */
    if (e->started && lo <= hi && lo <= e->head - (int64_t)e->nper)
        return KPI_ERR_ORDER;
    *klo = lo;
    *khi = !e->started ? lo - 1 : hi > e->head ? e->head : hi;
    return KPI_OK;
}

KPI_API int kpi_engine_window(const kpi_engine *e, int metric, int64_t from_ms,
                              int64_t to_ms, void **out)
{
    if (!kpi__is(e, &kpi__engine_type) || out == NULL)
        return KPI_ERR_INVALID;
    int64_t klo, khi;
    if (!known_metric(metric))
        return KPI_ERR_INVALID;
    if (mtype[metric] == T_SERIES)
        return KPI_ERR_RANGE;
    int rc = window_periods(e, from_ms, to_ms, &klo, &khi);
    if (rc != KPI_OK)
        return rc;
    void *acc;
    rc = kpi__clone(type_of_metric(metric), e->proto[metric], &acc);
    for (int64_t k = klo; k <= khi && rc == KPI_OK; k++)
        rc = kpi__merge(type_of_metric(metric), acc, bucket_of(e, k)->m[metric]);
    if (rc != KPI_OK) {
        kpi__destroy(acc);
        return rc;
    }
    *out = acc;
    return KPI_OK;
}

KPI_API int kpi_engine_window_topics(const kpi_engine *e, int64_t from_ms, int64_t to_ms,
                                     kpi_topk **out)
{
    if (!kpi__is(e, &kpi__engine_type) || out == NULL)
        return KPI_ERR_INVALID;
    int64_t klo, khi;
    int rc = window_periods(e, from_ms, to_ms, &klo, &khi);
    if (rc != KPI_OK)
        return rc;
    kpi_topk *acc = NULL;
    rc = topk_made(e, &acc);
    for (int64_t k = klo; k <= khi && rc == KPI_OK; k++) {
        const kpi_topk *pk = bucket_of(e, k)->topk;
        if (pk != NULL)
            rc = kpi_topk_merge(acc, pk);
    }
    if (rc != KPI_OK) {
        kpi__destroy(acc);
        return rc;
    }
    *out = acc;
    return KPI_OK;
}

KPI_API int kpi_engine_backlog(const kpi_engine *e, int64_t period_start_ms, uint64_t *out)
{
    if (!kpi__is(e, &kpi__engine_type) || out == NULL || period_start_ms <= -TIME_LIMIT ||
        period_start_ms >= TIME_LIMIT)
        return KPI_ERR_INVALID;
    int64_t k = period_of(e, period_start_ms);
    if (period_start(e, k) != period_start_ms)
        return KPI_ERR_INVALID;
    if (!e->started || k >= e->head)
        return KPI_ERR_EMPTY;
    if (k <= e->head - (int64_t)e->nper)
        return KPI_ERR_ORDER;
    const bucket *b = bucket_of(e, k);
    if (!b->has_backlog)
        return KPI_ERR_EMPTY;
    *out = b->backlog;
    return KPI_OK;
}

KPI_API int kpi_engine_aging(const kpi_engine *e, int64_t now_ms,
                             uint64_t counts[KPI_ENGINE_AGING_BUCKETS])
{
    if (!kpi__is(e, &kpi__engine_type) || counts == NULL)
        return KPI_ERR_INVALID;
    static const uint64_t edge[3] = {KPI_MS_PER_DAY, 3 * KPI_MS_PER_DAY, 7 * KPI_MS_PER_DAY};
    memset(counts, 0, KPI_ENGINE_AGING_BUCKETS * sizeof *counts);
    for (uint32_t i = 0; i < e->ts.n; i++) {
        const tk *t = slot_at(&e->ts, i);
        if (t->status > KPI_STATUS_ON_HOLD || t->created > now_ms)
            continue;
        /* exact in 64 unsigned bits (now_ms may be up to 2^63 ms after a
         * creation, more than an int64 holds) */
        uint64_t age = (uint64_t)now_ms - (uint64_t)t->created;
        int b = 0;
        while (b < 3 && age >= edge[b])
            b++;
        counts[b]++;
    }
    return KPI_OK;
}

/* Due time of a running target (KPI_OK), or a status when none runs. */
static int running_due(const kpi_engine *e, const tk *t, int sla, int64_t now, int64_t *due)
{
    uint32_t prio = prio_code(e, t);
    if (prio >= KPI_SLA_PRIORITIES)
        return KPI_ERR_UNKNOWN_ID;
    int64_t start, paused = 0;
    if (sla == KPI_SLA_FIRST_RESPONSE) {
        if (!(t->flags & TF_CLOCK))
            return KPI_ERR_UNKNOWN_ID;
        start = tget(t, F_CLOCK);
    } else if (sla == KPI_SLA_NEXT_RESPONSE) {
        if (!(t->flags & TF_WAITING) || (t->flags & TF_CLOCK))
            return KPI_ERR_UNKNOWN_ID;
        start = tget(t, F_WAITING);
    } else {
        start = t->created;
        paused = off_get(t, F_PAUSE);
        int64_t since = tget(t, F_SINCE), p = 0;
        const kpi_calendar *c = pause_calendar(e, t);
        if (t->status == KPI_STATUS_PENDING && now > since && c == NULL) {
            /* calendar time: the clock stopped at `since` showing k (less
             * than 2^40 ms); due when the rest of the target has run from
             * now, now + (target - k), without the pause so far (which may
             * pass INT64_MAX) in between; a due past INT64_MAX is none */
            int64_t ms, left, k = off_get(t, F_SINCE) - paused;
            int business, rc = kpi_sla_policy_target(e->pol, prio, sla, &ms, &business);
            if (rc != KPI_OK)
                return rc;
            if (!kpi__add_i64(ms, -k, &left))
                return KPI_ERR_OVERFLOW;
            if (!kpi__add_i64(now, left, due)) {
                if (left > 0)
                    return KPI_ERR_OVERFLOW;
                *due = INT64_MIN; /* breached long before */
            }
            return KPI_OK;
        }
        if (t->status == KPI_STATUS_PENDING && now > since) {
            int rc = kpi_calendar_elapsed(c, since, now, &p);
            if (rc == KPI_OK) {
                paused += p; /* business ms, both instants in the calendar's range */
            } else {
                /* now past the calendar's range: the clock stopped at
                 * `since` showing k; breached (when it passed the target,
                 * before the pause) if k > target, due now if k = target,
                 * else due past the range: none */
                int64_t ms, b;
                int business;
                if (kpi_calendar_elapsed(c, start, since, &b) != KPI_OK ||
                    kpi_sla_policy_target(e->pol, prio, sla, &ms, &business) != KPI_OK ||
                    b - paused < ms)
                    return rc;
                if (b - paused == ms) {
                    *due = now;
                    return KPI_OK;
                }
            }
        }
    }
    int rc = kpi_sla_policy_due(e->pol, prio, sla, start, paused, due);
    /* a business-time target falls due at the last business instant of its
     * span (at closing time, say); while no business time has run since,
     * its clock still equals the target (a reply now meets it): due now,
     * not breached */
    int64_t ms, b;
    int business = 0;
    if (rc == KPI_OK && *due < now &&
        kpi_sla_policy_target(e->pol, prio, sla, &ms, &business) == KPI_OK && business &&
        kpi_calendar_elapsed(kpi__sla_policy_calendar(e->pol), *due, now, &b) == KPI_OK &&
        b == 0)
        *due = now;
    return rc;
}

KPI_API int kpi_engine_sla_risk(const kpi_engine *e, int64_t now_ms, int64_t horizon_ms,
                                uint64_t *at_risk, uint64_t *breached, int64_t *next_due)
{
    if (!kpi__is(e, &kpi__engine_type) || at_risk == NULL || breached == NULL ||
        next_due == NULL || horizon_ms < 0)
        return KPI_ERR_INVALID;
    if (e->pol == NULL)
        return KPI_ERR_EMPTY;
    uint64_t risk = 0, late = 0;
    int64_t next = INT64_MAX;
    for (uint32_t i = 0; i < e->ts.n; i++) {
        const tk *t = slot_at(&e->ts, i);
        if (t->status > KPI_STATUS_ON_HOLD)
            continue;
        bool is_late = false, is_risk = false;
        for (int s = 0; s < 3; s++) {
            int64_t due;
            if (running_due(e, t, s, now_ms, &due) != KPI_OK)
                continue;
            /* a target is met up to and including its due instant
             * (sla.h): at that instant it is due, not yet breached */
            if (due < now_ms) {
                is_late = true;
            } else {
                /* due - now in uint64_t: exact, as due >= now */
                if ((uint64_t)due - (uint64_t)now_ms <= (uint64_t)horizon_ms)
                    is_risk = true;
                if (due < next)
                    next = due;
            }
        }
        late += is_late;
        risk += !is_late && is_risk;
    }
    *at_risk = risk;
    *breached = late;
    *next_due = next;
    return KPI_OK;
}

KPI_API int kpi_engine_ticket_status(const kpi_engine *e, uint64_t ticket, int *status)
{
    if (!kpi__is(e, &kpi__engine_type) || status == NULL)
        return KPI_ERR_INVALID;
    const tk *t = ts_find(&e->ts, ticket);
    if (t == NULL)
        return KPI_ERR_UNKNOWN_ID;
    *status = t->status;
    return KPI_OK;
}

static size_t engine_footprint(const void *obj)
{
    const kpi_engine *e = obj;
    size_t n = sizeof *e + kpi_engine_ticket_bytes(e) + tq_bytes(&e->cq) +
               e->tx.opcap * sizeof(op) + e->tx.ucap * sizeof(undo);
    n += e->cust.cap * sizeof(cent) + (size_t)e->cust.icap * sizeof(uint32_t);
    for (int m = 0; m < NM; m++)
        n += e->proto[m] ? type_of_metric(m)->footprint(e->proto[m]) : 0;
    for (int m = 0; m < NM; m++)
        n += e->tot[m] ? type_of_metric(m)->footprint(e->tot[m]) : 0;
    for (int d = 0; d < NDIM; d++) {
        const dimtab *t = &e->dim[d];
        n += t->cap * sizeof(dkey) + (size_t)t->icap * sizeof(uint32_t);
        for (int m = 0; m < NM; m++)
            n += t->g[m] ? kpi_group_footprint(t->g[m]) : 0;
    }
    n += e->topk ? kpi_topk_footprint(e->topk) : 0;
    n += e->nper * sizeof(bucket);
    for (uint32_t p = 0; p < e->nper; p++)
        for (int m = 0; m < NM; m++)
            if (e->ring[p].m[m] != NULL)
                n += type_of_metric(m)->footprint(e->ring[p].m[m]);
    for (uint32_t p = 0; p < e->nper; p++)
        n += e->ring[p].topk ? kpi_topk_footprint(e->ring[p].topk) : 0;
    for (int i = 0; i < NNAMES; i++) {
        n += e->names[i].cap * sizeof(nament);
        for (size_t j = 0; j < e->names[i].n; j++)
            n += strlen(e->names[i].v[j].name) + 1;
    }
    n += e->cal ? kpi_calendar_footprint(e->cal) : 0;
    n += e->pol ? kpi_sla_policy_footprint(e->pol) : 0;
    return n;
}

KPI_API size_t kpi_engine_footprint(const kpi_engine *e)
{
    return kpi__is(e, &kpi__engine_type) ? engine_footprint(e) : 0;
}

KPI_API size_t kpi_engine_ticket_bytes(const kpi_engine *e)
{
    if (!kpi__is(e, &kpi__engine_type))
        return 0;
    const tstore *s = &e->ts;
    size_t page = PAGE_BYTES + sizeof(tk *) +
                  (s->biz ? PAGE_SLOTS * BZ_BYTES + sizeof(uint8_t *) : 0);
    return (size_t)s->npages * page + (size_t)s->icap * sizeof(uint32_t) + tq_bytes(&e->tq);
}

/* ---- snapshot ---------------------------------------------------------- */

/* The format an engine's state is written in (codec.c): 2 when it has a
 * calendar (its business metrics and sums) or a target on one of the two
 * business metrics format 2 added, else 1 (the same bytes as before them,
 * so that earlier libraries still read it). */
uint16_t kpi__engine_format(const void *obj)
{
    const kpi_engine *e = obj;
    return e->cal != NULL || e->ntargets[KPI_ENGINE_REQUESTER_WAIT_BUSINESS] != 0 ||
                   e->ntargets[KPI_ENGINE_AGENT_WORK_BUSINESS] != 0
               ? 2
               : 1;
}

static void engine_encode(const void *obj, kpi__writer *w)
{
    const kpi_engine *e = obj;
    const int nm = kpi__engine_format(e) >= 2 ? NM : NM_V1;
    /* the options of the first format, the FCR minimum (added later) in
     * the bits above the FCR maximum's byte: at 0 (one-touch) the bytes
     * are the first format's, and earlier libraries refuse a state that
     * sets it, as the default 1 does (its maximum out of range), instead
     * of misreading it */
    for (int i = 0; i < OPTS_V1; i++)
        kpi__put_svarint(w, i == KPI_ENGINE_OPT_FCR_MAX_REPLIES
                                ? e->opt[i] + 256 * e->opt[KPI_ENGINE_OPT_FCR_MIN_REPLIES]
                                : e->opt[i]);
    kpi__put_u8(w, e->cal != NULL);
    if (e->cal != NULL)
        kpi__put_object(w, e->cal);
    kpi__put_u8(w, e->pol != NULL);
    if (e->pol != NULL)
        kpi__put_object(w, e->pol);
    for (int m = 0; m < nm; m++) {
        kpi__put_u8(w, e->ntargets[m]);
        for (int i = 0; i < e->ntargets[m]; i++)
            kpi__put_svarint(w, e->targets[m][i]);
    }
    for (int d = 0; d < NNAMES; d++) {
        kpi__put_varint(w, e->names[d].n);
        for (size_t i = 0; i < e->names[d].n; i++) {
            kpi__put_varint(w, e->names[d].v[i].code);
            kpi__put_blob(w, e->names[d].v[i].name, strlen(e->names[d].v[i].name));
        }
    }
    kpi__put_u8(w, e->started);
    kpi__put_svarint(w, e->now);
    kpi__put_svarint(w, e->head);
    for (int i = 0; i < NSTORED; i++)
        kpi__put_varint(w, e->cnt[i]);
    for (int m = 0; m < nm; m++)
        kpi__put_object(w, e->tot[m]);
    for (int d = 0; d < NDIM; d++)
        for (int m = 0; m < nm; m++)
            if (e->dim[d].g[m] != NULL)
                kpi__put_object(w, e->dim[d].g[m]);
    kpi__put_object(w, e->topk);
    for (uint32_t p = 0; p < e->nper; p++) {
        const bucket *b = &e->ring[p];
        kpi__put_svarint(w, b->k);
        kpi__put_u8(w, b->has_backlog);
        kpi__put_varint(w, b->backlog);
        for (int m = 0; m < nm; m++)
            if (b->m[m] != NULL)
                kpi__put_object(w, b->m[m]);
    }
    kpi__put_varint(w, e->ts.n);
    for (uint32_t i = 0; i < e->ts.n; i++) {
        const tk *t = slot_at(&e->ts, i);
        kpi__put_u64(w, t->id);
        kpi__put_svarint(w, t->created);
        for (int f = 0; f < NF; f++)
            kpi__put_varint(w, (uint64_t)off_get(t, f));
        kpi__put_u8(w, t->status);
        kpi__put_u16(w, t->flags);
        kpi__put_u8(w, t->replies);
        kpi__put_u8(w, t->agent != 0);
        if (t->agent != 0)
            kpi__put_u64(w, e->dim[KPI_DIM_AGENT - 1].v[t->agent - 1].key);
        kpi__put_varint(w, t->team ? e->dim[KPI_DIM_TEAM - 1].v[t->team - 1].key : 0);
        kpi__put_u8(w, (uint8_t)e->dim[KPI_DIM_CHANNEL - 1].v[t->channel].key);
        kpi__put_u8(w, (uint8_t)e->dim[KPI_DIM_PRIORITY - 1].v[t->priority].key);
        if (e->ts.biz) { /* format 2: the business sums, 0 = unknown */
            const uint8_t *b = bz_at(&e->ts, i);
            bool known = bz_known(t, b);
            kpi__put_varint(w, known ? (uint64_t)bz_get(t, b, B_WAIT) + 1 : 0);
            if (known)
                kpi__put_varint(w, (uint64_t)bz_get(t, b, B_WORK));
        }
    }
    kpi__put_varint(w, e->cust.n);
    for (size_t i = 0; i < e->cust.n; i++) {
        kpi__put_u64(w, e->cust.v[i].key);
        kpi__put_svarint(w, e->cust.v[i].last);
    }
    /* the periods' topics, added to the format later: only when a period
     * holds one, so that a state without them keeps the first format's
     * bytes (and an earlier library refuses one with them: trailing
     * bytes) */
    bool topics = false;
    for (uint32_t p = 0; p < e->nper && !topics; p++)
        topics = period_has_topics(&e->ring[p]);
    if (!topics)
        return;
    for (uint32_t p = 0; p < e->nper; p++) {
        const bucket *b = &e->ring[p];
        kpi__put_u8(w, period_has_topics(b));
        if (period_has_topics(b))
            kpi__put_object(w, b->topk);
    }
}


/* Decode a nested object in place of the matching empty one built from the
 * options, after checking that the two are configured alike (a merge into a
 * copy of the empty one must succeed).  The decoded object itself is kept,
 * so that a round trip reproduces the bytes exactly. */
static void get_into(kpi__reader *r, const kpi__type *type, void **slot,
                     const kpi_allocator *a)
{
    void *obj = NULL, *probe = NULL;
    if (r->err)
        return;
    int rc = kpi__get_object(r, type, a, &obj);
    if (rc == KPI_OK)
        rc = type->clone(*slot, &probe);
    if (rc == KPI_OK)
        rc = type->merge(probe, obj);
    kpi__destroy(probe);
    if (rc != KPI_OK) {
        kpi__destroy(obj);
        kpi__reader_fail(r, rc == KPI_ERR_NOMEM ? rc : KPI_ERR_CORRUPT);
        return;
    }
    type->destroy(*slot);
    *slot = obj;
}

static int cmp_tentry(const void *x, const void *y)
{
    const tentry *a = x, *b = y;
    return te_less(a, b) ? -1 : te_less(b, a) ? 1 : 0;
}

/* Sort n entries by (due, key): a least-significant-digit radix sort on
 * the due times' offsets from the earliest (11 bits a pass, as many passes
 * as their range needs: three for a few weeks of milliseconds), then each
 * run of equal due times by key.  Large restores rebuild their queues with
 * it, several times faster than a comparison sort. */
static int sort_timers(const kpi_allocator *a, tentry *v, size_t n)
{
    if (n < 256) {
        kpi__sort(v, n, sizeof *v, cmp_tentry);
        return KPI_OK;
    }
    int64_t lo = v[0].due, hi = v[0].due;
    for (size_t i = 1; i < n; i++) {
        lo = v[i].due < lo ? v[i].due : lo;
        hi = v[i].due > hi ? v[i].due : hi;
    }
    uint64_t range = (uint64_t)hi - (uint64_t)lo;
    tentry *tmp = kpi__malloc(a, n * sizeof *tmp);
    if (tmp == NULL)
        return KPI_ERR_NOMEM;
    tentry *src = v, *dst = tmp;
    for (unsigned shift = 0; shift < 64 && (range >> shift) != 0; shift += 11) {
        size_t count[2048] = {0};
        for (size_t i = 0; i < n; i++)
            count[(((uint64_t)src[i].due - (uint64_t)lo) >> shift) & 2047]++;
        for (size_t d = 0, sum = 0; d < 2048; d++) {
            size_t c = count[d];
            count[d] = sum;
            sum += c;
        }
        for (size_t i = 0; i < n; i++)
            dst[count[(((uint64_t)src[i].due - (uint64_t)lo) >> shift) & 2047]++] = src[i];
        tentry *t = src;
        src = dst;
        dst = t;
    }
    if (src != v)
        memcpy(v, src, n * sizeof *v);
    kpi__free(a, tmp);
    for (size_t i = 0, j; i < n; i = j) {
        for (j = i + 1; j < n && v[j].due == v[i].due; j++)
            ;
        if (j - i > 1)
            kpi__sort(v + i, j - i, sizeof *v, cmp_tentry);
    }
    return KPI_OK;
}

/* Push n collected timers in sorted order. */
static int push_sorted(const kpi_allocator *a, tqueue *q, tentry *v, size_t n)
{
    int rc = sort_timers(a, v, n);
    if (rc == KPI_OK)
        rc = tq_reserve(a, q, n);
    for (size_t i = 0; rc == KPI_OK && i < n; i++)
        tq_push(q, v[i].due, v[i].key);
    return rc;
}

/* Insert a decoded (or merged) ticket: keys interned, counts updated. */
static int put_ticket(kpi_engine *e, const tk *src, uint64_t agent, bool has_agent,
                      uint64_t team, uint64_t channel, uint64_t priority)
{
    uint32_t ai = 0, ti = 0, ci, pi;
    int rc = ts_reserve(&e->base.alloc, &e->ts, 1);
    if (rc == KPI_OK && has_agent)
        rc = dim_intern(e, KPI_DIM_AGENT, agent, &ai);
    if (rc == KPI_OK && team != 0)
        rc = dim_intern(e, KPI_DIM_TEAM, team, &ti);
    if (rc == KPI_OK)
        rc = dim_intern(e, KPI_DIM_CHANNEL, channel, &ci);
    if (rc == KPI_OK)
        rc = dim_intern(e, KPI_DIM_PRIORITY, priority, &pi);
    if (rc != KPI_OK)
        return rc;
    if (ts_find(&e->ts, src->id) != NULL)
        return KPI_ERR_DUPLICATE;
    tk *t = ts_insert(&e->ts, src->id);
    *t = *src;
    /* a state of format 1 has no business sums: unknown, unless its
     * calendar wait is 0 (no time in a waiting status yet, or only spans
     * of 0 ms: none in business time either); format 2's are read after
     * this */
    if (e->ts.biz && off_get(t, F_WAIT_MS) != 0)
        bz_unknown(t, bz_at(&e->ts, e->ts.n - 1));
    t->agent = has_agent ? ai + 1 : 0;
    t->team = (uint16_t)(team ? ti + 1 : 0);
    t->channel = (uint8_t)ci;
    t->priority = (uint8_t)pi;
    e->nstatus[t->status]++;
    if (t->flags & TF_WAITING)
        e->nwaiting++;
    return KPI_OK;
}

/* Timers of every waiting ticket and customer, rebuilt from the tables. */
static int rebuild_timers(kpi_engine *e)
{
    const kpi_allocator *a = &e->base.alloc;
    size_t n = e->ts.n > e->cust.n ? e->ts.n : e->cust.n, k = 0;
    tentry *v = kpi__calloc(a, n ? n : 1, sizeof *v);
    if (v == NULL)
        return KPI_ERR_NOMEM;
    tq_clear(&e->tq);
    tq_clear(&e->cq);
    for (uint32_t i = 0; i < e->ts.n; i++) {
        const tk *t = slot_at(&e->ts, i);
        if (t->status >= KPI_STATUS_SOLVED)
            v[k++] = (tentry){tget(t, F_SINCE) + e->opt[KPI_ENGINE_OPT_REOPEN_WINDOW_MS], t->id};
    }
    int rc = push_sorted(a, &e->tq, v, k);
    k = 0;
    for (size_t i = 0; i < e->cust.n; i++)
        v[k++] = (tentry){e->cust.v[i].last + e->opt[KPI_ENGINE_OPT_REPEAT_WINDOW_MS] + 1,
                          e->cust.v[i].key};
    if (rc == KPI_OK)
        rc = push_sorted(a, &e->cq, v, k);
    kpi__free(a, v);
    return rc;
}

static int decode_config(kpi__reader *r, kpi_engine *e)
{
    const kpi_allocator *a = &e->base.alloc;
    int64_t o[KPI_ENGINE_OPTIONS];
    o[KPI_ENGINE_OPT_FCR_MIN_REPLIES] = 0;
    for (int i = 0; i < OPTS_V1; i++) {
        o[i] = kpi__get_svarint(r);
        if (i == KPI_ENGINE_OPT_FCR_MAX_REPLIES && o[i] >= 0) { /* engine_encode */
            o[KPI_ENGINE_OPT_FCR_MIN_REPLIES] = o[i] / 256;
            o[i] %= 256;
        }
        if (!r->err && opt_check(i, o[i]) != KPI_OK)
            kpi__reader_fail(r, KPI_ERR_CORRUPT);
    }
    if (!r->err && opt_check(KPI_ENGINE_OPT_FCR_MIN_REPLIES, o[KPI_ENGINE_OPT_FCR_MIN_REPLIES]) != KPI_OK)
        kpi__reader_fail(r, KPI_ERR_CORRUPT);
    if (!r->err && opt_consistent(o) != KPI_OK)
        kpi__reader_fail(r, KPI_ERR_CORRUPT);
    uint8_t has = kpi__get_u8(r);
    if (has > 1)
        kpi__reader_fail(r, KPI_ERR_CORRUPT);
    if (has && !r->err) {
        int rc = kpi__get_object(r, &kpi__calendar_type, a, (void **)&e->cal);
        if (rc != KPI_OK)
            kpi__reader_fail(r, rc == KPI_ERR_NOMEM ? rc : KPI_ERR_CORRUPT);
    }
    e->ts.biz = e->cal != NULL;
    has = kpi__get_u8(r);
    if (has > 1)
        kpi__reader_fail(r, KPI_ERR_CORRUPT);
    if (has && !r->err) {
        int rc = kpi__get_object(r, &kpi__sla_policy_type, a, (void **)&e->pol);
        if (rc != KPI_OK)
            kpi__reader_fail(r, rc == KPI_ERR_NOMEM ? rc : KPI_ERR_CORRUPT);
    }
    one_cal_update(e);
    /* format 1 had the first NM_V1 metrics */
    const int nm = r->version >= 2 ? NM : NM_V1;
    for (int m = 0; m < nm && !r->err; m++) {
        uint8_t n = kpi__get_u8(r);
        if (n > KPI_DURATION_MAX_TARGETS || (n && mtype[m] != T_DUR)) {
            kpi__reader_fail(r, KPI_ERR_CORRUPT);
            break;
        }
        e->ntargets[m] = n;
        for (int i = 0; i < n; i++) {
            e->targets[m][i] = kpi__get_svarint(r);
            if (e->targets[m][i] <= 0)
                kpi__reader_fail(r, KPI_ERR_CORRUPT);
        }
    }
    for (int d = 0; d < NNAMES && !r->err; d++) {
        size_t n = kpi__get_count(r, SIZE_MAX, 2);
        uint64_t prev = 0;
        for (size_t i = 0; i < n && !r->err; i++) {
            uint64_t code = kpi__get_varint(r);
            size_t len;
            const uint8_t *s = kpi__get_blob(r, KPI_TOPK_MAX_LABEL, &len);
            if (r->err)
                break;
            if (len == 0 || memchr(s, 0, len) != NULL || (i > 0 && code <= prev)) {
                kpi__reader_fail(r, KPI_ERR_CORRUPT);
                break;
            }
            prev = code;
            int rc = names_set(a, &e->names[d], code, (const char *)s, len);
            if (rc != KPI_OK)
                kpi__reader_fail(r, rc);
        }
    }
    if (r->err)
        return r->err;
    memcpy(e->opt, o, sizeof o);
    /* a target given twice is refused by the duration it configures */
    int rc = kpis_build(e);
    return rc == KPI_OK || rc == KPI_ERR_NOMEM ? rc : KPI_ERR_CORRUPT;
}

/* Does every breakdown member and period bucket hold at most what its
 * metric's total holds (count and sum)?  Always so for an engine's own
 * state; a restored one must be so too, as tx_check() relies on it. */
static bool parts_within_totals(const kpi_engine *e)
{
    for (int m = 0; m < NM; m++) {
        int64_t tsum, sum;
        uint64_t tc = acc_count(m, e->tot[m], &tsum);
        for (int d = 0; d < NDIM; d++) {
            const kpi_group *g = e->dim[d].g[m];
            size_t n = g != NULL ? kpi_group_size(g) : 0;
            for (size_t i = 0; i < n; i++)
                if (acc_count(m, kpi__group_member_at(g, i), &sum) > tc || sum > tsum)
                    return false;
        }
        for (uint32_t p = 0; p < e->nper; p++)
            if (e->ring[p].m[m] != NULL &&
                (acc_count(m, e->ring[p].m[m], &sum) > tc || sum > tsum))
                return false;
    }
    return true;
}

/* Does an engine that has not started hold nothing, as every such engine
 * does (new or reset: its first event starts it)?  Its options can still
 * be set, and their rebuild keeps no breakdown key a ticket could point
 * to; its first event renames the periods without emptying them. */
static bool empty_unstarted(const kpi_engine *e)
{
    int64_t sum, at;
    if (e->ts.n != 0 || e->cust.n != 0 || kpi_topk_size(e->topk) != 0 ||
        kpi_topk_total(e->topk) != 0)
        return false;
    for (int i = 0; i < NSTORED; i++)
        if (e->cnt[i] != 0)
            return false;
    for (int m = 0; m < NM; m++) {
        /* (the parts hold no more than their total) */
        if (mtype[m] == T_SERIES ? kpi_series_latest(e->tot[m], &at) != KPI_ERR_EMPTY
                                 : acc_count(m, e->tot[m], &sum) != 0)
            return false;
        for (int d = 0; d < NDIM; d++)
            if (e->dim[d].g[m] != NULL && kpi_group_size(e->dim[d].g[m]) != 0)
                return false;
    }
    for (uint32_t p = 0; p < e->nper; p++)
        if (e->ring[p].has_backlog || e->ring[p].backlog != 0 || period_has_topics(&e->ring[p]))
            return false;
    return true;
}

/* Read the periods' topics (engine_encode), when the state has them: each
 * period's summary configured as the engine's, at least one, each holding
 * a topic, and all of them together no more than the all-time summary
 * (every topic counted in a period is counted over all time too). */
static void decode_period_topics(kpi__reader *r, kpi_engine *e)
{
    if (r->err || kpi__reader_left(r) == 0)
        return;
    bool any = false;
    uint64_t left = kpi_topk_total(e->topk); /* all time's, not yet in a period */
    for (uint32_t p = 0; p < e->nper && !r->err; p++) {
        bucket *b = &e->ring[p];
        uint8_t has = kpi__get_u8(r);
        if (has > 1 || (has && !e->started)) {
            kpi__reader_fail(r, KPI_ERR_CORRUPT);
            break;
        }
        if (!has)
            continue;
        int rc = topk_made(e, &b->topk);
        if (rc != KPI_OK) {
            kpi__reader_fail(r, rc);
            break;
        }
        get_into(r, &kpi__topk_type, (void **)&b->topk, &e->base.alloc);
        if (!r->err && (!period_has_topics(b) || kpi_topk_total(b->topk) > left))
            kpi__reader_fail(r, KPI_ERR_CORRUPT);
        left -= r->err ? 0 : kpi_topk_total(b->topk);
        any = true;
    }
    if (!r->err && !any)
        kpi__reader_fail(r, KPI_ERR_CORRUPT);
}

static int decode_data(kpi__reader *r, kpi_engine *e)
{
    const kpi_allocator *a = &e->base.alloc;
    uint8_t started = kpi__get_u8(r);
    e->now = kpi__get_svarint(r);
    /* the head is checked before its period bounds are computed from it
     * (an engine that has not started has head 0) */
    int64_t head = kpi__get_svarint(r);
    if (started > 1 || e->now <= -TIME_LIMIT || e->now >= TIME_LIMIT ||
        head != (started ? period_of(e, e->now) : 0))
        kpi__reader_fail(r, KPI_ERR_CORRUPT);
    else
        set_head(e, head);
    e->started = started;
    for (int i = 0; i < NSTORED; i++)
        e->cnt[i] = kpi__get_varint(r);
    /* every counter counts events (or, settled, the tickets they created):
     * none above COUNT_EVENTS, which an event checks for the others */
    for (int i = 0; i < NSTORED; i++)
        if (e->cnt[i] > e->cnt[KPI_ENGINE_COUNT_EVENTS])
            kpi__reader_fail(r, KPI_ERR_CORRUPT);
    const int nm = r->version >= 2 ? NM : NM_V1; /* format 1: fewer metrics */
    for (int m = 0; m < nm; m++)
        get_into(r, type_of_metric(m), &e->tot[m], a);
    for (int d = 0; d < NDIM; d++)
        for (int m = 0; m < nm; m++)
            if (e->dim[d].g[m] != NULL)
                get_into(r, &kpi__group_type, (void **)&e->dim[d].g[m], a);
    get_into(r, &kpi__topk_type, (void **)&e->topk, a);
    for (uint32_t p = 0; p < e->nper && !r->err; p++) {
        bucket *b = &e->ring[p];
        b->k = kpi__get_svarint(r);
        b->has_backlog = kpi__get_u8(r);
        b->backlog = kpi__get_varint(r);
        /* a backlog is taken when its period closes (the unresolved
         * tickets then: no more than were ever created); an open period,
         * or one before the first event, holds none (merges add it) */
        if (b->has_backlog > 1 || (!b->has_backlog && b->backlog != 0) ||
            b->backlog > e->cnt[KPI_ENGINE_COUNT_CREATED] ||
            (started && (b->k > e->head || b->k <= e->head - (int64_t)e->nper ||
                         bucket_of(e, b->k) != b || (b->has_backlog && b->k == e->head))))
            kpi__reader_fail(r, KPI_ERR_CORRUPT);
        for (int m = 0; m < nm; m++)
            if (b->m[m] != NULL)
                get_into(r, type_of_metric(m), &b->m[m], a);
    }
    size_t n = kpi__get_count(r, MAX_TICKETS, 20);
    if (!r->err && n > 0) { /* room for them all at once (n is bounded by the input) */
        int rc = ts_reserve(&e->base.alloc, &e->ts, (uint32_t)n);
        if (rc != KPI_OK)
            kpi__reader_fail(r, rc);
    }
    /* decoded and checked WARM at a time, their index entries looked up
     * together (warm_keys()), then put in order: a bad record fails the
     * snapshot once the ones before it are in, as one at a time would (a
     * read past the end fails it at once) */
    for (size_t i = 0; i < n && !r->err;) {
        struct {
            tk t;
            uint64_t agent, team, channel, priority;
            uint64_t bwait, bwork; /* business sums, bwait 0: unknown */
            uint8_t has_agent;
        } d[WARM];
        uint64_t id[WARM];
        size_t k = 0;
        int bad = KPI_OK;
        for (; k < WARM && i < n; k++, i++) {
            tk *t = &d[k].t;
            memset(t, 0, sizeof *t);
            t->id = kpi__get_u64(r);
            t->created = kpi__get_svarint(r);
            for (int f = 0; f < NF; f++) {
                uint64_t v = kpi__get_varint(r);
                if (v >= (uint64_t)OFF_LIMIT)
                    kpi__reader_fail(r, KPI_ERR_CORRUPT);
                off_set(t, f, (int64_t)v);
            }
            t->status = kpi__get_u8(r);
            uint16_t flags = kpi__get_u16(r);
            t->flags = (uint8_t)flags;
            t->replies = kpi__get_u8(r);
            d[k].has_agent = kpi__get_u8(r);
            d[k].agent = d[k].has_agent == 1 ? kpi__get_u64(r) : 0;
            d[k].team = kpi__get_varint(r);
            d[k].channel = kpi__get_u8(r);
            d[k].priority = kpi__get_u8(r);
            /* format 2 with a calendar: the business sums (known: at most
             * their calendar twins, work at most wait) */
            d[k].bwait = d[k].bwork = 0;
            if (e->ts.biz && r->version >= 2) {
                d[k].bwait = kpi__get_varint(r);
                d[k].bwork = d[k].bwait ? kpi__get_varint(r) : 0;
                if (d[k].bwait > (uint64_t)off_get(t, F_WAIT_MS) + 1 ||
                    d[k].bwork > (uint64_t)off_get(t, F_WORK_MS) ||
                    (d[k].bwait && d[k].bwork > d[k].bwait - 1) ||
                    /* unknown only where they could be other than 0
                     * (put_ticket()): one encoding of each ticket */
                    (d[k].bwait == 0 && off_get(t, F_WAIT_MS) == 0))
                    kpi__reader_fail(r, KPI_ERR_CORRUPT);
            }
            if (r->err)
                break;
            if (t->id == 0 || t->status > KPI_STATUS_MERGED || (flags & ~TF_ALL) ||
                d[k].has_agent > 1 || d[k].team > 65535 || t->created <= -TIME_LIMIT ||
                t->created >= TIME_LIMIT || (started && tget(t, F_LAST) > e->now) ||
                /* the status clocks: the last change by the last event,
                 * the time in new, open and on-hold (work: new and open,
                 * part of it) before that change */
                off_get(t, F_SINCE) > off_get(t, F_LAST) ||
                off_get(t, F_WAIT_MS) > off_get(t, F_SINCE) ||
                off_get(t, F_WORK_MS) > off_get(t, F_WAIT_MS) ||
                /* the FRT clock and a customer's wait start at an event */
                off_get(t, F_CLOCK) > off_get(t, F_LAST) ||
                off_get(t, F_WAITING) > off_get(t, F_LAST) ||
                /* the pause (time pending, in real or fewer business ms)
                 * and the wait are times of other statuses before since */
                off_get(t, F_PAUSE) > off_get(t, F_SINCE) - off_get(t, F_WAIT_MS) ||
                /* only a resolve solves, and it marks the ticket resolved */
                (t->status == KPI_STATUS_SOLVED && !(t->flags & TF_RESOLVED)) ||
                /* only a solved ticket reopens, and only a resolve marks
                 * "no FRT": a ticket marked either was resolved */
                ((t->flags & (TF_REOPENED | TF_NO_FRT)) && !(t->flags & TF_RESOLVED)) ||
                /* and a resolved ticket is unresolved again only through
                 * a reopen, which marks it */
                ((t->flags & TF_RESOLVED) && !(t->flags & TF_REOPENED) &&
                 t->status <= KPI_STATUS_ON_HOLD) ||
                /* the FRT clock never runs once the FRT is done or never */
                ((t->flags & TF_CLOCK) && (t->flags & (TF_FRT_DONE | TF_NO_FRT))) ||
                /* the FRT is done at a reply, which counts */
                ((t->flags & TF_FRT_DONE) && t->replies == 0) ||
                /* a customer's creation starts the FRT clock, and only a
                 * reply, a resolve (each marking the FRT) or a merge stops it */
                (!(t->flags & (TF_BY_AGENT | TF_CLOCK | TF_FRT_DONE | TF_NO_FRT)) &&
                 t->status != KPI_STATUS_MERGED) ||
                /* a counted reply opens a new ticket, a resolve solves it,
                 * and nothing makes it new again */
                (t->status == KPI_STATUS_NEW && ((t->flags & TF_RESOLVED) || t->replies != 0)) ||
                /* ... nor changes a status to new: a new ticket's last
                 * change is its creation (so wait, work and pause, below
                 * since, are 0 too) */
                (t->status == KPI_STATUS_NEW && off_get(t, F_SINCE) != 0) ||
                /* the FRT clock runs while its customer waits, from the
                 * clock's start at the latest (on a customer's ticket from
                 * the creation): a creation or a first message starts
                 * both, the events that end a wait (reply, resolve,
                 * merge) stop the clock too, and a handoff moves the
                 * clock on, never the wait */
                ((t->flags & TF_CLOCK) &&
                 (!(t->flags & TF_WAITING) || off_get(t, F_WAITING) > off_get(t, F_CLOCK) ||
                  (!(t->flags & TF_BY_AGENT) && off_get(t, F_WAITING) != 0))) ||
                /* and a customer waits only with the clock running, the
                 * FRT done or none (a message starts the clock unless one
                 * of them is marked; on a new ticket: only then) */
                ((t->flags & TF_WAITING) &&
                 !(t->flags & (TF_CLOCK | TF_FRT_DONE | TF_NO_FRT))) ||
                /* a customer waits, and the FRT clock runs, on an
                 * unresolved ticket only */
                ((t->flags & (TF_WAITING | TF_CLOCK)) && t->status > KPI_STATUS_ON_HOLD) ||
                (t->status >= KPI_STATUS_SOLVED &&
                 tget(t, F_SINCE) + e->opt[KPI_ENGINE_OPT_REOPEN_WINDOW_MS] <= e->now)) {
                bad = KPI_ERR_CORRUPT;
                break;
            }
            id[k] = t->id;
        }
        if (r->err)
            break;
        warm_keys(e, id, k, NULL, 0);
        for (size_t j = 0; j < k; j++) {
            const tk *t = &d[j].t;
            int rc = put_ticket(e, t, d[j].agent, d[j].has_agent, d[j].team, d[j].channel,
                                d[j].priority);
            if (rc != KPI_OK) {
                bad = rc == KPI_ERR_DUPLICATE ? KPI_ERR_CORRUPT : rc;
                break;
            }
            if (e->ts.biz && d[j].bwait != 0) { /* put_ticket(): unknown or 0 */
                tk *nt = slot_at(&e->ts, e->ts.n - 1);
                uint8_t *b = bz_at(&e->ts, e->ts.n - 1);
                bz_set(nt, b, B_WAIT, (int64_t)d[j].bwait - 1);
                bz_set(nt, b, B_WORK, (int64_t)d[j].bwork);
            }
            if (t->status == KPI_STATUS_SOLVED &&
                settle_check(e, ts_find(&e->ts, t->id), tget(t, F_SINCE), false, -1) != KPI_OK) {
                bad = KPI_ERR_CORRUPT; /* no resolve could have left it so */
                break;
            }
        }
        if (bad != KPI_OK)
            kpi__reader_fail(r, bad);
    }
    n = kpi__get_count(r, UINT32_MAX / 2, 9);
    if (!r->err && n > 0) {
        int rc = grow_array(a, (void **)&e->cust.v, &e->cust.cap, n, sizeof(cent));
        if (rc == KPI_OK)
            rc = index_reserve(a, &e->cust.index, &e->cust.icap, 0, (uint32_t)n, cust_key,
                               &e->cust, false);
        if (rc != KPI_OK)
            kpi__reader_fail(r, rc);
    }
    for (size_t i = 0; i < n && !r->err; i++) {
        cent c;
        c.key = kpi__get_u64(r);
        c.last = kpi__get_svarint(r);
        uint32_t pos = 0;
        if (r->err)
            break;
        /* a creation the engine has seen, still within the window */
        if (c.last <= -TIME_LIMIT || c.last >= TIME_LIMIT || (e->started && c.last > e->now) ||
            c.last + e->opt[KPI_ENGINE_OPT_REPEAT_WINDOW_MS] + 1 <= e->now ||
            dense_find(e->cust.index, e->cust.icap, c.key, cust_key, &e->cust, &pos) >= 0) {
            kpi__reader_fail(r, KPI_ERR_CORRUPT);
            break;
        }
        e->cust.v[e->cust.n] = c;
        e->cust.index[pos] = (uint32_t)++e->cust.n;
    }
    decode_period_topics(r, e);
    if (r->err)
        return r->err;
    /* each ticket created settles once (closed, merged or at the end of
     * its window): the settled ones and the live ones not settled yet (new
     * to solved) are at most the tickets created */
    uint64_t unsettled = 0;
    for (int s = KPI_STATUS_NEW; s <= KPI_STATUS_SOLVED; s++)
        unsettled += e->nstatus[s];
    if (!parts_within_totals(e) || (!e->started && !empty_unstarted(e)) ||
        e->cnt[KPI_ENGINE_COUNT_SETTLED] > e->cnt[KPI_ENGINE_COUNT_CREATED] ||
        unsettled > e->cnt[KPI_ENGINE_COUNT_CREATED] - e->cnt[KPI_ENGINE_COUNT_SETTLED] ||
        /* an engine written as format 2 is one that format 1 cannot
         * describe (kpi__engine_format()): else its business metrics, fed
         * with a calendar only, would be lost in its next snapshot */
        (r->version >= 2 && kpi__engine_format(e) < 2))
        return KPI_ERR_CORRUPT;
    hw_recompute(e);
    return rebuild_timers(e);
}

static int engine_decode(kpi__reader *r, const kpi_allocator *a, void **out)
{
    kpi_engine *e;
    int rc = kpi__object_new(&kpi__engine_type, sizeof *e, a, (void **)&e);
    if (rc != KPI_OK)
        return rc;
    rc = decode_config(r, e);
    if (rc == KPI_OK)
        rc = decode_data(r, e);
    if (rc != KPI_OK) {
        engine_destroy(e);
        return rc;
    }
    *out = e;
    return KPI_OK;
}

/* Give d every name of s whose code d has not named (clone: all of them). */
static int names_add(kpi_engine *d, const kpi_engine *s)
{
    int rc = KPI_OK;
    for (int i = 0; i < NNAMES && rc == KPI_OK; i++)
        for (size_t j = 0; j < s->names[i].n && rc == KPI_OK; j++)
            if (names_get(&d->names[i], s->names[i].v[j].code) == NULL)
                rc = names_set(&d->base.alloc, &d->names[i], s->names[i].v[j].code,
                               s->names[i].v[j].name, strlen(s->names[i].v[j].name));
    return rc;
}

/* A fresh copy of n elements of `size` bytes (NULL for none). */
static int dup_array(const kpi_allocator *a, void **out, const void *src, size_t n,
                     size_t size)
{
    *out = NULL;
    if (n == 0)
        return KPI_OK;
    if ((*out = kpi__malloc(a, n * size)) == NULL)
        return KPI_ERR_NOMEM;
    memcpy(*out, src, n * size);
    return KPI_OK;
}

/* A copy of s's entries in q (the blocks the head has left, and the
 * spare, not copied). */
static int clone_queue(const kpi_allocator *a, tqueue *q, const tqueue *s)
{
    memset(q, 0, sizeof *q);
    const size_t first = s->rhead >> RING_BITS, n = s->nblk - first;
    int rc = KPI_OK;
    if (n > 0 && (q->blk = kpi__calloc(a, n, sizeof *q->blk)) == NULL)
        rc = KPI_ERR_NOMEM;
    q->bcap = rc == KPI_OK ? n : 0;
    for (size_t i = 0; rc == KPI_OK && i < n; i++, q->nblk++)
        rc = dup_array(a, (void **)&q->blk[i], s->blk[s->b0 + first + i], RING_BLOCK,
                       sizeof(rentry));
    if (rc == KPI_OK)
        rc = dup_array(a, (void **)&q->heap, s->heap, s->hlen, sizeof(tentry));
    if (rc != KPI_OK) {
        tq_free(a, q);
        return rc;
    }
    q->rhead = s->rhead & (RING_BLOCK - 1);
    q->rlen = s->rlen;
    q->rdue = s->rdue;
    q->tdue = s->tdue;
    q->hcap = q->hlen = s->hlen;
    return KPI_OK;
}

/* The KPI state: a clone of every primitive (breakdown groups whole). */
static int clone_kpis(kpi_engine *e, const kpi_engine *s)
{
    const kpi_allocator *a = &e->base.alloc;
    int rc = KPI_OK;
    for (int m = 0; m < NM && rc == KPI_OK; m++) {
        const kpi__type *type = type_of_metric(m);
        rc = kpi__clone(type, s->proto[m], &e->proto[m]);
        if (rc == KPI_OK)
            rc = kpi__clone(type, s->tot[m], &e->tot[m]);
        for (int d = 0; d < NDIM && rc == KPI_OK; d++)
            if (s->dim[d].g[m] != NULL)
                rc = kpi__clone(&kpi__group_type, s->dim[d].g[m], (void **)&e->dim[d].g[m]);
    }
    if (rc == KPI_OK)
        rc = kpi__clone(&kpi__topk_type, s->topk, (void **)&e->topk);
    if (rc == KPI_OK && (e->ring = kpi__calloc(a, s->nper, sizeof(bucket))) == NULL)
        rc = KPI_ERR_NOMEM;
    if (rc == KPI_OK)
        e->nper = s->nper;
    for (uint32_t p = 0; p < e->nper && rc == KPI_OK; p++) {
        const bucket *sb = &s->ring[p];
        bucket *b = &e->ring[p];
        b->k = sb->k;
        b->backlog = sb->backlog;
        b->has_backlog = sb->has_backlog;
        for (int m = 0; m < NM && rc == KPI_OK; m++)
            if (sb->m[m] != NULL)
                rc = kpi__clone(type_of_metric(m), sb->m[m], &b->m[m]);
        if (rc == KPI_OK && sb->topk != NULL)
            rc = kpi__clone(&kpi__topk_type, sb->topk, (void **)&b->topk);
    }
    return rc;
}

/* The data: tickets (slots copied page by page, the index as it is),
 * interned keys (their cached member pointers left to be looked up again
 * in the cloned groups), customers and timer queues. */
static int clone_data(kpi_engine *e, const kpi_engine *s)
{
    const kpi_allocator *a = &e->base.alloc;
    e->started = s->started;
    e->now = s->now;
    set_head(e, s->head);
    memcpy(e->cnt, s->cnt, sizeof e->cnt);
    memcpy(e->nstatus, s->nstatus, sizeof e->nstatus);
    e->nwaiting = s->nwaiting;
    e->hw_n = s->hw_n;
    e->hw_v = s->hw_v;
    int rc = s->ts.n > 0 ? ts_reserve(a, &e->ts, s->ts.n) : KPI_OK;
    if (rc != KPI_OK)
        return rc;
    for (uint32_t i = 0; i < s->ts.n; i += PAGE_SLOTS) {
        uint32_t k = s->ts.n - i < PAGE_SLOTS ? s->ts.n - i : PAGE_SLOTS;
        memcpy(slot_at(&e->ts, i), slot_at(&s->ts, i), (size_t)k * sizeof(tk));
        if (e->ts.biz)
            memcpy(bz_at(&e->ts, i), bz_at(&s->ts, i), (size_t)k * BZ_BYTES);
    }
    e->ts.n = s->ts.n;
    if (e->ts.icap == s->ts.icap && s->ts.icap != 0)
        memcpy(e->ts.index, s->ts.index, (size_t)s->ts.icap * sizeof *s->ts.index);
    else if (e->ts.icap != 0)
        index_fill(e->ts.index, e->ts.icap, e->ts.n, ts_key, &e->ts, true);
    for (int d = 0; d < NDIM && rc == KPI_OK; d++) {
        dimtab *t = &e->dim[d];
        const dimtab *st = &s->dim[d];
        rc = dup_array(a, (void **)&t->v, st->v, st->n, sizeof(dkey));
        if (rc == KPI_OK && (rc = dup_array(a, (void **)&t->index, st->index, st->icap,
                                            sizeof *st->index)) == KPI_OK) {
            t->n = t->cap = st->n;
            t->icap = st->icap;
            for (size_t j = 0; j < t->n; j++)
                memset(t->v[j].m, 0, sizeof t->v[j].m);
        }
    }
    if (rc == KPI_OK)
        rc = dup_array(a, (void **)&e->cust.v, s->cust.v, s->cust.n, sizeof(cent));
    if (rc == KPI_OK &&
        (rc = dup_array(a, (void **)&e->cust.index, s->cust.index, s->cust.icap,
                        sizeof *s->cust.index)) == KPI_OK) {
        e->cust.n = e->cust.cap = s->cust.n;
        e->cust.icap = s->cust.icap;
    }
    if (rc == KPI_OK)
        rc = clone_queue(a, &e->tq, &s->tq);
    if (rc == KPI_OK)
        rc = clone_queue(a, &e->cq, &s->cq);
    return rc;
}

/* A deep copy, member by member (more than ten times faster than a
 * snapshot and a restore). */
static int engine_clone(const void *src, void **out)
{
    const kpi_engine *s = src;
    const kpi_allocator *a = &s->base.alloc;
    kpi_engine *e;
    int rc = kpi__object_new(&kpi__engine_type, sizeof *e, a, (void **)&e);
    if (rc != KPI_OK)
        return rc;
    memcpy(e->opt, s->opt, sizeof e->opt);
    memcpy(e->targets, s->targets, sizeof e->targets);
    memcpy(e->ntargets, s->ntargets, sizeof e->ntargets);
    if (s->cal != NULL)
        rc = kpi__clone(&kpi__calendar_type, s->cal, (void **)&e->cal);
    e->ts.biz = s->ts.biz;
    if (rc == KPI_OK && s->pol != NULL)
        rc = kpi__clone(&kpi__sla_policy_type, s->pol, (void **)&e->pol);
    one_cal_update(e);
    if (rc == KPI_OK)
        rc = names_add(e, s);
    if (rc == KPI_OK)
        rc = clone_kpis(e, s);
    if (rc == KPI_OK)
        rc = clone_data(e, s);
    if (rc != KPI_OK) {
        engine_destroy(e);
        return rc;
    }
    *out = e;
    return KPI_OK;
}

KPI_API int kpi_engine_clone(const kpi_engine *e, kpi_engine **out)
{
    return kpi__clone(&kpi__engine_type, e, (void **)out);
}

KPI_API int kpi_engine_serialize(const kpi_engine *e, void *buf, size_t cap, size_t *len)
{
    if (!kpi__is(e, &kpi__engine_type))
        return KPI_ERR_INVALID;
    return kpi__serialize(e, buf, cap, len);
}

KPI_API int kpi_engine_deserialize_with(kpi_engine **out, const void *buf, size_t len,
                                        const kpi_allocator *alloc)
{
    return kpi__deserialize(&kpi__engine_type, buf, len, alloc, (void **)out);
}

KPI_API int kpi_engine_deserialize(kpi_engine **out, const void *buf, size_t len)
{
    return kpi_engine_deserialize_with(out, buf, len, NULL);
}

/* ---- merge ------------------------------------------------------------- */

/* The targets of a metric are a set: kept in the order they were added
 * (and so written), while its durations keep them sorted; the same set
 * added in another order is the same configuration. */
static bool same_targets(const int64_t *a, const int64_t *b, int n)
{
    for (int i = 0; i < n; i++)
        if (!has_target(b, n, a[i]))
            return false;
    return true;
}

static bool same_config(const kpi_engine *a, const kpi_engine *b)
{
    if (memcmp(a->opt, b->opt, sizeof a->opt) != 0 ||
        memcmp(a->ntargets, b->ntargets, sizeof a->ntargets) != 0)
        return false;
    for (int m = 0; m < NM; m++)
        if (!same_targets(a->targets[m], b->targets[m], a->ntargets[m]))
            return false;
    int eq = 1;
    if ((a->cal == NULL) != (b->cal == NULL) || (a->pol == NULL) != (b->pol == NULL))
        return false;
    if (a->cal != NULL && (kpi_calendar_equal(a->cal, b->cal, &eq) != KPI_OK || !eq))
        return false;
    if (a->pol != NULL && (kpi_sla_policy_equal(a->pol, b->pol, &eq) != KPI_OK || !eq))
        return false;
    return true;
}

/* Merge src into dst (a private copy: failures leave it to be dropped). */
/* d's interned index of s's interned key j in dimension i, interned in d
 * at its first use (map[j]: UINT32_MAX until then). */
static int map_key(kpi_engine *d, const kpi_engine *s, int i, uint32_t *map, uint32_t j,
                   uint32_t *out)
{
    int rc = KPI_OK;
    if (map[j] == UINT32_MAX)
        rc = dim_intern(d, i + 1, s->dim[i].v[j].key, &map[j]);
    *out = map[j];
    return rc;
}

/* Move copies of s's live tickets (none of them live in d) into d: room
 * made at once, each of s's keys that a ticket uses interned in d once. */
static int merge_tickets(kpi_engine *d, const kpi_engine *s)
{
    const kpi_allocator *a = &d->base.alloc;
    uint32_t *map[NDIM] = {NULL};
    int rc = ts_reserve(a, &d->ts, s->ts.n);
    for (int i = 0; i < NDIM && rc == KPI_OK; i++) {
        size_t n = s->dim[i].n;
        if (n > 0 && (map[i] = kpi__malloc(a, n * sizeof(uint32_t))) == NULL)
            rc = KPI_ERR_NOMEM;
        else if (n > 0)
            memset(map[i], 0xff, n * sizeof(uint32_t));
    }
    for (uint32_t i = 0; i < s->ts.n && rc == KPI_OK; i++) {
        if (i + AHEAD_FAR < s->ts.n)
            ahead_ticket_index(&d->ts, slot_at(&s->ts, i + AHEAD_FAR)->id);
        const tk *src = slot_at(&s->ts, i);
        uint32_t ai = 0, ti = 0, ci = 0, pi = 0;
        if (src->agent)
            rc = map_key(d, s, KPI_DIM_AGENT - 1, map[KPI_DIM_AGENT - 1], src->agent - 1, &ai);
        if (rc == KPI_OK && src->team)
            rc = map_key(d, s, KPI_DIM_TEAM - 1, map[KPI_DIM_TEAM - 1], src->team - 1u, &ti);
        if (rc == KPI_OK)
            rc = map_key(d, s, KPI_DIM_CHANNEL - 1, map[KPI_DIM_CHANNEL - 1], src->channel, &ci);
        if (rc == KPI_OK)
            rc = map_key(d, s, KPI_DIM_PRIORITY - 1, map[KPI_DIM_PRIORITY - 1], src->priority,
                         &pi);
        if (rc != KPI_OK)
            break;
        tk *t = ts_insert(&d->ts, src->id);
        *t = *src;
        if (d->ts.biz)
            memcpy(bz_at(&d->ts, d->ts.n - 1), bz_at(&s->ts, i), BZ_BYTES);
        t->agent = src->agent ? ai + 1 : 0;
        t->team = (uint16_t)(src->team ? ti + 1 : 0);
        t->channel = (uint8_t)ci;
        t->priority = (uint8_t)pi;
        d->nstatus[t->status]++;
        if (t->flags & TF_WAITING)
            d->nwaiting++;
    }
    for (int i = 0; i < NDIM; i++)
        kpi__free(a, map[i]);
    return rc;
}

static int merge_into(kpi_engine *d, const kpi_engine *s)
{
    const kpi_allocator *a = &d->base.alloc;
    /* the counters add (a period's backlog, at most the tickets created,
     * then cannot pass its range either) */
    for (int i = 0; i < NSTORED; i++)
        if (d->cnt[i] > UINT64_MAX - s->cnt[i])
            return KPI_ERR_OVERFLOW;
    int rc = names_add(d, s);
    if (rc != KPI_OK || !s->started)
        return rc;
    if (!d->started) {
        d->started = true;
        d->now = s->now;
        set_head(d, s->head);
        for (uint32_t p = 0; p < d->nper; p++)
            d->ring[p].k = s->ring[p].k;
    }
    uint64_t s_unres = unresolved(s);
    int64_t s_head = s->head;
    roll_to(d, s->head); /* dst's backlog for periods it had not closed */
    for (uint32_t p = 0; p < s->nper && rc == KPI_OK; p++) {
        const bucket *sb = &s->ring[p];
        if (sb->k <= d->head - (int64_t)d->nper || sb->k > d->head)
            continue;
        bucket *db = bucket_of(d, sb->k);
        if (sb->has_backlog) {
            db->backlog += sb->backlog;
            db->has_backlog = 1;
        }
        for (int m = 0; m < NM && rc == KPI_OK; m++)
            if (sb->m[m] != NULL)
                rc = kpi__merge(type_of_metric(m), db->m[m], sb->m[m]);
        if (rc == KPI_OK && period_has_topics(sb) && (rc = topk_made(d, &db->topk)) == KPI_OK)
            rc = kpi_topk_merge(db->topk, sb->topk);
    }
    /* the periods dst closed from src's head on (which src's ring has not
     * closed, or does not hold): src's backlog stayed put after its last
     * event, and dst's is already there (none before dst started) */
    int64_t k0 = d->head - (int64_t)d->nper + 1;
    for (int64_t k = s_head > k0 ? s_head : k0; k < d->head; k++) {
        bucket *db = bucket_of(d, k);
        db->backlog += s_unres;
        db->has_backlog = 1;
    }
    for (int m = 0; m < NM && rc == KPI_OK; m++)
        rc = kpi__merge(type_of_metric(m), d->tot[m], s->tot[m]);
    for (int i = 0; i < NDIM && rc == KPI_OK; i++)
        for (int m = 0; m < NM && rc == KPI_OK; m++)
            if (d->dim[i].g[m] != NULL)
                rc = kpi_group_merge(d->dim[i].g[m], s->dim[i].g[m]);
    if (rc == KPI_OK)
        rc = kpi_topk_merge(d->topk, s->topk);
    for (int i = 0; i < NSTORED; i++)
        d->cnt[i] += s->cnt[i];
    /* a group merge replaces members present on both sides: forget every
     * cached member pointer (they are looked up again when next used) */
    for (int i = 0; i < NDIM; i++)
        for (size_t j = 0; j < d->dim[i].n; j++)
            memset(d->dim[i].v[j].m, 0, sizeof d->dim[i].v[j].m);
    if (rc == KPI_OK && s->ts.n > 0)
        rc = merge_tickets(d, s);
    if (rc == KPI_OK && s->cust.n > 0 &&
        (rc = grow_array(a, (void **)&d->cust.v, &d->cust.cap, d->cust.n + s->cust.n,
                         sizeof(cent))) == KPI_OK)
        rc = index_reserve(a, &d->cust.index, &d->cust.icap, (uint32_t)d->cust.n,
                           (uint32_t)s->cust.n, cust_key, &d->cust, false);
    for (size_t i = 0; i < s->cust.n && rc == KPI_OK; i++) {
        const cent *c = &s->cust.v[i];
        uint32_t pos = 0;
        int64_t j = dense_find(d->cust.index, d->cust.icap, c->key, cust_key, &d->cust, &pos);
        if (j >= 0) {
            if (c->last > d->cust.v[j].last)
                d->cust.v[j].last = c->last;
        } else {
            d->cust.v[d->cust.n] = *c;
            d->cust.index[pos] = (uint32_t)++d->cust.n;
        }
    }
    if (rc == KPI_OK)
        rc = rebuild_timers(d);
    if (rc == KPI_OK) {
        int64_t now = d->now > s->now ? d->now : s->now;
        rc = run_timers(d, now);
        roll_to(d, period_of(d, now));
        d->now = now;
        rings_trim(d);
    }
    return rc;
}

KPI_API int kpi_engine_merge(kpi_engine *dst, const kpi_engine *src)
{
    if (!kpi__is(dst, &kpi__engine_type) || !kpi__is(src, &kpi__engine_type) || dst == src)
        return KPI_ERR_INVALID;
    if (!same_config(dst, src))
        return KPI_ERR_INCOMPATIBLE;
    /* An id is free again once its ticket has left: a ticket of one engine
     * whose window ends by the merged clock (the later one) leaves in the
     * merge, so it may share its id with a live ticket of the other (as in
     * one engine fed both).  That engine is then brought to the merged
     * clock first (a copy of it), so that the ticket has left. */
    const int64_t now = dst->now > src->now ? dst->now : src->now;
    bool adv_dst = false, adv_src = false;
    for (uint32_t i = 0; i < src->ts.n; i++) {
        if (i + AHEAD_FAR < src->ts.n && dst->ts.icap != 0)
            ahead_ticket_index(&dst->ts, slot_at(&src->ts, i + AHEAD_FAR)->id);
        const tk *st = slot_at(&src->ts, i), *dt = ts_find(&dst->ts, st->id);
        if (dt != NULL) {
            /* both hold tickets, so both have started */
            bool de = expiring(dst, dt, now), se = expiring(src, st, now);
            if (!de && !se)
                return KPI_ERR_DUPLICATE;
            adv_dst |= de;
            adv_src |= se;
        }
    }
    kpi_engine *tmp, *s2 = NULL;
    int rc = engine_clone(dst, (void **)&tmp);
    if (rc != KPI_OK)
        return rc;
    if (adv_dst)
        rc = kpi_engine_advance(tmp, now);
    if (rc == KPI_OK && adv_src && (rc = engine_clone(src, (void **)&s2)) == KPI_OK)
        rc = kpi_engine_advance(s2, now);
    if (rc == KPI_OK)
        rc = merge_into(tmp, s2 != NULL ? s2 : src);
    if (s2 != NULL)
        engine_destroy(s2);
    if (rc == KPI_OK) {
        hw_recompute(tmp);
        kpi_engine old;
        memcpy(&old, dst, sizeof old);
        memcpy(dst, tmp, sizeof *dst);
        memcpy(tmp, &old, sizeof *tmp);
    }
    engine_destroy(tmp);
    return rc;
}

static int engine_merge_verb(void *dst, const void *src)
{
    return kpi_engine_merge(dst, src);
}

const kpi__type kpi__engine_type = {
    KPI__TAG_ENGINE, "engine",     engine_clone,     engine_destroy, engine_reset,
    engine_merge_verb, engine_encode, engine_decode, engine_footprint,
};
