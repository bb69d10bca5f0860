/*
 * Top-k labels and ids: one Space-Saving core (Metwally, Agrawal and
 * El Abbadi, ICDT 2005) parameterised by key kind, behind two public types.
 * SPDX-License-Identifier: MIT
 *
 * Layout of the core:
 * - slots[m]: per counter the key hash, the key (the id, or the offset of
 *   the label's record in the arena), count, error and its position in
 *   order[];
 * - order[m]: slot indices sorted by count, descending (ties in no
 *   particular order); the minimum is order[size - 1], so a replacement is
 *   O(1) to find.  An increment moves the slot up by swapping it with the
 *   first slot of each equal-count block it overtakes (one swap for a
 *   weight of 1, found by binary search);
 * - table: open addressing (linear probing, backward-shift deletion) from
 *   key hash to slot index, at most half full;
 * - arena (strings only): records [u32 slot][u8 len][bytes].  A replaced
 *   label's record becomes garbage; when an append does not fit, live
 *   records are compacted in place (a record is live when its slot still
 *   points at it), so no allocation is needed.  Every add first reserves
 *   the capacity the whole call could need (see reserve_for), so a call
 *   never allocates once it has started changing state.
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

#define REC_HDR 5u
#define REC_MAX (REC_HDR + KPI_TOPK_MAX_LABEL)
#define EMPTY UINT32_MAX

enum { KIND_ID = 0, KIND_STR = 1 };

typedef struct ss_slot {
    uint64_t hash;
    uint64_t key; /* the id, or the arena offset of the label record */
    uint64_t count;
    uint64_t err;
    uint32_t pos; /* index in order[] */
    uint32_t len; /* label length (strings) */
} ss_slot;

typedef struct ss_core {
    int kind;
    uint32_t cap;
    uint32_t size;
    uint64_t total;
    bool lossy; /* a label was ever evicted: counts may be overestimates */
    ss_slot *slots;
    uint32_t *order;
    uint64_t *ocount; /* ocount[pos] == slots[order[pos]].count: the order
                       * searched without chasing slots (stays in L1) */
    uint32_t *table;
    size_t tmask;
    uint8_t *arena;
    size_t arena_cap, arena_used, arena_live;
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
    const uint8_t *label;
    size_t len;
} ss_key;

static ss_key key_id(uint64_t id)
{
    ss_key k = {kpi__mix64(id), id, NULL, 0};
    return k;
}

static ss_key key_str(const char *label, size_t len)
{
    ss_key k = {kpi__hash_bytes(label, len, 0), 0, (const uint8_t *)label, len};
    return k;
}

/* ---- core: memory ------------------------------------------------------- */

static size_t table_size(uint32_t cap)
{
    size_t t = 4;
    while (t < (size_t)cap * 2)
        t *= 2;
    return t;
}

static int ss_init(ss_core *c, int kind, uint32_t cap, const kpi_allocator *a)
{
    memset(c, 0, sizeof *c);
    c->kind = kind;
    c->cap = cap;
    size_t t = table_size(cap);
    c->slots = kpi__calloc(a, cap, sizeof *c->slots);
    c->order = c->slots ? kpi__calloc(a, cap, sizeof *c->order) : NULL;
    c->ocount = c->order ? kpi__calloc(a, cap, sizeof *c->ocount) : NULL;
    c->table = c->ocount ? kpi__calloc(a, t, sizeof *c->table) : NULL;
    if (c->table == NULL) {
        kpi__free(a, c->slots);
        kpi__free(a, c->order);
        kpi__free(a, c->ocount);
        memset(c, 0, sizeof *c);
        return KPI_ERR_NOMEM;
    }
    memset(c->table, 0xFF, t * sizeof *c->table);
    c->tmask = t - 1;
    return KPI_OK;
}

static void ss_release(ss_core *c, const kpi_allocator *a)
{
    kpi__free(a, c->slots);
    kpi__free(a, c->order);
    kpi__free(a, c->ocount);
    kpi__free(a, c->table);
    kpi__free(a, c->arena);
    memset(c, 0, sizeof *c);
}

static void ss_reset(ss_core *c)
{
    c->size = 0;
    c->total = 0;
    c->lossy = false;
    memset(c->table, 0xFF, (c->tmask + 1) * sizeof *c->table);
    c->arena_used = c->arena_live = 0;
}

static size_t ss_footprint(const ss_core *c)
{
    return (size_t)c->cap * (sizeof(ss_slot) + sizeof(uint32_t) + sizeof(uint64_t)) +
           (c->tmask + 1) * sizeof(uint32_t) + c->arena_cap;
}

/* ---- core: keys and the hash index -------------------------------------- */

static const uint8_t *slot_label(const ss_core *c, const ss_slot *s)
{
    return c->arena + s->key + REC_HDR;
}

static bool slot_is(const ss_core *c, const ss_slot *s, const ss_key *k)
{
    if (s->hash != k->hash)
        return false;
    if (c->kind == KIND_ID)
        return s->key == k->id;
    return s->len == k->len && memcmp(slot_label(c, s), k->label, k->len) == 0;
}

static uint32_t ss_find(const ss_core *c, const ss_key *k)
{
    size_t i = (size_t)k->hash & c->tmask;
    for (;;) {
        uint32_t s = c->table[i];
        if (s == EMPTY || slot_is(c, &c->slots[s], k))
            return s;
        i = (i + 1) & c->tmask;
    }
}

static void table_insert(ss_core *c, uint32_t s)
{
    size_t i = (size_t)c->slots[s].hash & c->tmask;
    while (c->table[i] != EMPTY)
        i = (i + 1) & c->tmask;
    c->table[i] = s;
}

static void table_remove(ss_core *c, uint32_t s)
{
    size_t i = (size_t)c->slots[s].hash & c->tmask;
    while (c->table[i] != s)
        i = (i + 1) & c->tmask;
    /* backward-shift deletion keeps every probe chain unbroken */
    size_t j = i;
    for (;;) {
        j = (j + 1) & c->tmask;
        uint32_t t = c->table[j];
        if (t == EMPTY)
            break;
        size_t home = (size_t)c->slots[t].hash & c->tmask;
        /* move t into the hole at i unless its home lies in (i, j] */
        if (((j - home) & c->tmask) >= ((j - i) & c->tmask)) {
            c->table[i] = t;
            i = j;
        }
    }
    c->table[i] = EMPTY;
}

/* ---- core: the label arena ---------------------------------------------- */

static void compact(ss_core *c)
{
    size_t rd = 0, wr = 0;
    while (rd < c->arena_used) {
        uint32_t s;
        memcpy(&s, c->arena + rd, 4);
        size_t n = REC_HDR + c->arena[rd + 4];
        if (s < c->size && c->slots[s].key == rd) {
            if (wr != rd)
                memmove(c->arena + wr, c->arena + rd, n);
            c->slots[s].key = wr;
            wr += n;
        }
        rd += n;
    }
    c->arena_used = wr;
}

/* Make the arena large enough that `adds` more string adds with labels of
 * at most `maxlen` bytes can never need to allocate: the live records then
 * never exceed live + min(adds, m) records of that size, plus the one being
 * appended, and never m records of REC_MAX. */
static int reserve_for(ss_core *c, const kpi_allocator *a, size_t adds,
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

/* Store k's label for slot s (capacity reserved by the caller). */
static void put_label(ss_core *c, uint32_t s, const ss_key *k, bool had)
{
    size_t rec = REC_HDR + k->len;
    if (c->arena_used + rec > c->arena_cap)
        compact(c);
    uint8_t *p = c->arena + c->arena_used;
    memcpy(p, &s, 4);
    p[4] = (uint8_t)k->len;
    memcpy(p + REC_HDR, k->label, k->len);
    if (had)
        c->arena_live -= REC_HDR + c->slots[s].len;
    c->slots[s].key = c->arena_used;
    c->slots[s].len = (uint32_t)k->len;
    c->arena_used += rec;
    c->arena_live += rec;
}

/* ---- core: order -------------------------------------------------------- */

static uint64_t count_at(const ss_core *c, size_t pos)
{
    return c->ocount[pos];
}

/* First position in [0, hi) whose count is <= v (counts descend), or hi.
 * Branch-free (the comparisons are unpredictable, and a mispredicted
 * branch per halving cost more than the search itself). */
static size_t first_le(const ss_core *c, size_t hi, uint64_t v)
{
    const uint64_t *a = c->ocount;
    if (hi == 0)
        return 0;
    size_t base = 0, n = hi;
    while (n > 1) {
        size_t half = n / 2;
        base = a[base + half] > v ? base + half : base;
        n -= half;
    }
    return base + (a[base] > v);
}

static void swap_pos(ss_core *c, size_t a, size_t b)
{
    uint32_t sa = c->order[a], sb = c->order[b];
    c->order[a] = sb;
    c->order[b] = sa;
    uint64_t ca = c->ocount[a];
    c->ocount[a] = c->ocount[b];
    c->ocount[b] = ca;
    c->slots[sb].pos = (uint32_t)a;
    c->slots[sa].pos = (uint32_t)b;
}

/* Slot s's count grew: move it up past every smaller count. */
static void bubble(ss_core *c, uint32_t s)
{
    size_t pos = c->slots[s].pos;
    uint64_t v = c->slots[s].count;
    while (pos > 0 && count_at(c, pos - 1) < v) {
        uint64_t run = count_at(c, pos - 1);
        /* heavy labels have counts of their own: a run of one is common */
        size_t lead = pos < 2 || count_at(c, pos - 2) > run ? pos - 1
                                                            : first_le(c, pos - 2, run);
        swap_pos(c, pos, lead);
        pos = lead;
    }
}

/* ---- core: updates ------------------------------------------------------ */

/* One Space-Saving update; validation and reservation are done. */
static void ss_add(ss_core *c, const ss_key *k, uint64_t w)
{
    c->total += w;
    uint32_t s = ss_find(c, k);
    if (s == EMPTY) {
        bool had = c->size == c->cap;
        if (!had) {
            s = c->size;
            c->slots[s].pos = s;
            c->order[s] = s;
            c->ocount[s] = 0;
            c->slots[s].count = 0;
            c->slots[s].err = 0;
            c->size++;
        } else {
            s = c->order[c->size - 1];
            c->lossy = true;
            table_remove(c, s);
            c->slots[s].err = c->slots[s].count;
        }
        c->slots[s].hash = k->hash;
        if (c->kind == KIND_ID)
            c->slots[s].key = k->id;
        else
            put_label(c, s, k, had);
        table_insert(c, s);
    }
    c->slots[s].count += w;
    c->ocount[c->slots[s].pos] += w;
    bubble(c, s);
}

/* ---- core: ranked reads ------------------------------------------------- */

static int key_cmp(const ss_core *c, const ss_slot *a, const ss_slot *b)
{
    if (c->kind == KIND_ID)
        return (a->key > b->key) - (a->key < b->key);
    size_t n = a->len < b->len ? a->len : b->len;
    int r = memcmp(slot_label(c, a), slot_label(c, b), n);
    if (r != 0)
        return r;
    return (a->len > b->len) - (a->len < b->len);
}

/* Slot at `rank` (counts descending, ties by key ascending). */
static const ss_slot *ss_rank(const ss_core *c, size_t rank)
{
    uint64_t v = count_at(c, rank);
    size_t a = first_le(c, rank + 1, v);
    size_t b = rank + 1;
    while (b < c->size && count_at(c, b) == v)
        b++;
    /* the (rank - a)-th smallest key among positions [a, b) */
    const ss_slot *prev = NULL, *best = NULL;
    for (size_t t = a; t <= rank; t++) {
        best = NULL;
        for (size_t i = a; i < b; i++) {
            const ss_slot *s = &c->slots[c->order[i]];
            if (prev != NULL && key_cmp(c, s, prev) <= 0)
                continue;
            if (best == NULL || key_cmp(c, s, best) < 0)
                best = s;
        }
        prev = best;
    }
    return best;
}

static uint64_t ss_min(const ss_core *c)
{
    return c->lossy ? count_at(c, c->size - 1) : 0;
}

static int ss_read(const ss_slot *s, uint64_t *count,
                   uint64_t *lower, uint64_t *upper)
{
    if (count)
        *count = s->count;
    if (lower)
        *lower = s->count - s->err;
    if (upper)
        *upper = s->count;
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
    return ss_read(&c->slots[s], count, lower, upper);
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

/* Append one entry to a core being rebuilt in order (counts descending;
 * arena reserved by the caller). */
static void append_entry(ss_core *c, const ss_key *k, uint64_t count,
                         uint64_t err)
{
    uint32_t s = c->size++;
    c->slots[s].hash = k->hash;
    c->slots[s].count = count;
    c->slots[s].err = err;
    c->slots[s].pos = s;
    c->order[s] = s;
    c->ocount[s] = count;
    if (c->kind == KIND_ID)
        c->slots[s].key = k->id;
    else
        put_label(c, s, k, false);
    table_insert(c, s);
}

static ss_key slot_key(const ss_core *c, const ss_slot *s)
{
    ss_key k = {s->hash, s->key, NULL, 0};
    if (c->kind == KIND_STR) {
        k.label = slot_label(c, s);
        k.len = s->len;
        k.id = 0;
    }
    return k;
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
        const ss_slot *e = &s->slots[s->order[i]];
        ss_key k = slot_key(s, e);
        append_entry(d, &k, e->count, e->err);
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
    size_t n = 0, bytes = 0;
    for (size_t i = 0; i < d->size; i++) {
        const ss_slot *e = &d->slots[i];
        cand *x = &cs[n++];
        x->k = slot_key(d, e);
        x->c = d;
        uint32_t o = ss_find(s, &x->k);
        x->count = e->count + (o == EMPTY ? smin : s->slots[o].count);
        x->err = e->err + (o == EMPTY ? smin : s->slots[o].err);
    }
    for (size_t i = 0; i < s->size; i++) {
        const ss_slot *e = &s->slots[i];
        ss_key k = slot_key(s, e);
        if (ss_find(d, &k) != EMPTY)
            continue;
        cand *x = &cs[n++];
        x->k = k;
        x->c = s;
        x->count = e->count + dmin;
        x->err = e->err + dmin;
    }
    qsort(cs, n, sizeof *cs, cand_cmp);
    bool lossy = d->lossy || s->lossy || n > d->cap;
    if (n > d->cap)
        n = d->cap;
    for (size_t i = 0; i < n && d->kind == KIND_STR; i++)
        bytes += REC_HDR + cs[i].k.len;
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
        const ss_slot *s = &c->slots[c->order[i]];
        if (c->kind == KIND_ID)
            kpi__put_u64(w, s->key);
        else
            kpi__put_blob(w, slot_label(c, s), s->len);
        kpi__put_varint(w, s->count);
        kpi__put_varint(w, s->err);
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
        *k = key_str((const char *)(l ? l : (const uint8_t *)""), len);
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
    uint64_t sum = 0, prev = UINT64_MAX;
    size_t bytes = 0;
    bool errs = false;
    for (size_t i = 0; i < size && scan.err == KPI_OK; i++) {
        ss_key k;
        uint64_t count, err;
        read_entry(&scan, kind, &k, &count, &err);
        if (scan.err != KPI_OK)
            break;
        if (count > prev || !kpi__add_u64(sum, count, &sum))
            kpi__reader_fail(&scan, KPI_ERR_CORRUPT);
        prev = count;
        errs |= err != 0;
        bytes += REC_HDR + k.len;
    }
    if (scan.err == KPI_OK &&
        (sum > total || (!lossy && (sum != total || errs))))
        kpi__reader_fail(&scan, KPI_ERR_CORRUPT);
    if (scan.err != KPI_OK)
        return scan.err;
    int rc = ss_init(c, kind, (uint32_t)cap, a);
    if (rc != KPI_OK)
        return rc;
    if (bytes > 0 && kind == KIND_STR) {
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

KPI_API void kpi_topk_free(kpi_topk *p) { kpi__destroy(p); }

KPI_API void kpi_topk_reset(kpi_topk *p)
{
    if (p != NULL)
        tk_reset(p);
}

KPI_API int kpi_topk_clone(const kpi_topk *p, kpi_topk **out)
{
    return kpi__clone(&kpi__topk_type, p, (void **)out);
}

KPI_API int kpi_topk_add(kpi_topk *p, const char *label, size_t len,
                         uint64_t weight)
{
    if (p == NULL)
        return KPI_ERR_INVALID;
    int rc = check_label(label, len);
    if (rc != KPI_OK)
        return rc;
    if (weight == 0)
        return KPI_ERR_RANGE;
    uint64_t t;
    if (!kpi__add_u64(p->c.total, weight, &t))
        return KPI_ERR_OVERFLOW;
    if ((rc = reserve_for(&p->c, &p->base.alloc, 1, len)) != KPI_OK)
        return rc;
    ss_key k = key_str(label, len);
    ss_add(&p->c, &k, weight);
    return KPI_OK;
}

KPI_API int kpi_topk_add_str(kpi_topk *p, const char *label)
{
    if (label == NULL)
        return KPI_ERR_INVALID;
    size_t len = strlen(label);
    return kpi_topk_add(p, label, len, 1);
}

KPI_API int kpi_topk_add_array(kpi_topk *p, const char *const *labels,
                               const size_t *lens, size_t n)
{
    if (p == NULL || (labels == NULL && n > 0))
        return KPI_ERR_INVALID;
    size_t maxlen = 0;
    for (size_t i = 0; i < n; i++) {
        if (labels[i] == NULL)
            return KPI_ERR_INVALID;
        size_t len = KPI_TOPK_MAX_LABEL + 1;
        if (lens != NULL) {
            len = lens[i];
        } else {
            const char *z = memchr(labels[i], 0, KPI_TOPK_MAX_LABEL + 1);
            if (z != NULL)
                len = (size_t)(z - labels[i]);
        }
        int rc = check_label(labels[i], len);
        if (rc != KPI_OK)
            return rc;
        if (len > maxlen)
            maxlen = len;
    }
    uint64_t t;
    if (!kpi__add_u64(p->c.total, n, &t))
        return KPI_ERR_OVERFLOW;
    if (n == 0)
        return KPI_OK;
    int rc = reserve_for(&p->c, &p->base.alloc, n, maxlen);
    if (rc != KPI_OK)
        return rc;
    for (size_t i = 0; i < n; i++) {
        ss_key k = key_str(labels[i], lens ? lens[i] : strlen(labels[i]));
        ss_add(&p->c, &k, 1);
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
    return p ? tk_footprint(p) : 0;
}

KPI_API uint64_t kpi_topk_total(const kpi_topk *p) { return p ? p->c.total : 0; }

KPI_API size_t kpi_topk_size(const kpi_topk *p) { return p ? p->c.size : 0; }

KPI_API uint64_t kpi_topk_error_bound(const kpi_topk *p)
{
    return p ? ss_min(&p->c) : 0;
}

KPI_API int kpi_topk_entry(const kpi_topk *p, size_t rank, const char **label,
                           size_t *len, uint64_t *count, uint64_t *lower,
                           uint64_t *upper)
{
    if (p == NULL)
        return KPI_ERR_INVALID;
    if (p->c.total == 0)
        return KPI_ERR_EMPTY;
    if (rank >= p->c.size)
        return KPI_ERR_RANGE;
    const ss_slot *s = ss_rank(&p->c, rank);
    if (label)
        *label = (const char *)slot_label(&p->c, s);
    if (len)
        *len = s->len;
    return ss_read(s, count, lower, upper);
}

KPI_API int kpi_topk_estimate(const kpi_topk *p, const char *label,
                              size_t len, uint64_t *count, uint64_t *lower,
                              uint64_t *upper)
{
    if (p == NULL)
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
    if (p == NULL || out == NULL)
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

KPI_API void kpi_topk_id_free(kpi_topk_id *p) { kpi__destroy(p); }

KPI_API void kpi_topk_id_reset(kpi_topk_id *p)
{
    if (p != NULL)
        tk_reset(p);
}

KPI_API int kpi_topk_id_clone(const kpi_topk_id *p, kpi_topk_id **out)
{
    return kpi__clone(&kpi__topk_id_type, p, (void **)out);
}

KPI_API int kpi_topk_id_add(kpi_topk_id *p, uint64_t id, uint64_t weight)
{
    if (p == NULL)
        return KPI_ERR_INVALID;
    if (weight == 0)
        return KPI_ERR_RANGE;
    uint64_t t;
    if (!kpi__add_u64(p->c.total, weight, &t))
        return KPI_ERR_OVERFLOW;
    ss_key k = key_id(id);
    ss_add(&p->c, &k, weight);
    return KPI_OK;
}

KPI_API int kpi_topk_id_add_array(kpi_topk_id *p, const uint64_t *ids,
                                  size_t n)
{
    if (p == NULL || (ids == NULL && n > 0))
        return KPI_ERR_INVALID;
    uint64_t t;
    if (!kpi__add_u64(p->c.total, n, &t))
        return KPI_ERR_OVERFLOW;
    for (size_t i = 0; i < n; i++) {
        ss_key k = key_id(ids[i]);
        ss_add(&p->c, &k, 1);
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
    return p ? tk_footprint(p) : 0;
}

KPI_API uint64_t kpi_topk_id_total(const kpi_topk_id *p)
{
    return p ? p->c.total : 0;
}

KPI_API size_t kpi_topk_id_size(const kpi_topk_id *p) { return p ? p->c.size : 0; }

KPI_API uint64_t kpi_topk_id_error_bound(const kpi_topk_id *p)
{
    return p ? ss_min(&p->c) : 0;
}

KPI_API int kpi_topk_id_entry(const kpi_topk_id *p, size_t rank, uint64_t *id,
                              uint64_t *count, uint64_t *lower,
                              uint64_t *upper)
{
    if (p == NULL)
        return KPI_ERR_INVALID;
    if (p->c.total == 0)
        return KPI_ERR_EMPTY;
    if (rank >= p->c.size)
        return KPI_ERR_RANGE;
    const ss_slot *s = ss_rank(&p->c, rank);
    if (id)
        *id = s->key;
    return ss_read(s, count, lower, upper);
}

KPI_API int kpi_topk_id_estimate(const kpi_topk_id *p, uint64_t id,
                                 uint64_t *count, uint64_t *lower,
                                 uint64_t *upper)
{
    if (p == NULL)
        return KPI_ERR_INVALID;
    ss_key k = key_id(id);
    return ss_estimate(&p->c, &k, count, lower, upper);
}

KPI_API int kpi_topk_id_share(const kpi_topk_id *p, uint64_t id,
                              kpi_estimate *out)
{
    if (p == NULL || out == NULL)
        return KPI_ERR_INVALID;
    ss_key k = key_id(id);
    return ss_share(&p->c, &k, out);
}

/* For the ticket engine (lib/internal.h): room for one add. */
int kpi__topk_reserve(kpi_topk *p, size_t len)
{
    return reserve_for(&p->c, &p->base.alloc, 1, len);
}
