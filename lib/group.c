/*
 * Group-by: one accumulator per 64-bit key, for any accumulator type.
 * SPDX-License-Identifier: MIT
 *
 * Members live in a dense array of (key, object) pairs, in insertion order
 * (removal moves the last pair into the hole); an open-addressing index of
 * 32-bit entry numbers with linear probing on kpi__mix64(key) finds them,
 * kept at most half full.  Removal from the index uses backward-shift
 * deletion (no tombstones).  The group knows nothing of its members'
 * layout: it clones, merges, encodes and frees them through their
 * kpi__type verb table.  Growth and merge allocate everything they need
 * before changing anything, so a failure leaves the group as it was.
 *
 * Deserialization must map a type tag to its verb table: kpi__group_types
 * below lists the types this library knows.  Modules add their type there
 * when they are merged.
 */
#include <math.h>
#include <stdlib.h>

#include "codec.h"
#include "kpi/group.h"
#include "kpi/mean.h"
#include "kpi/rate.h"

/* Types a serialized group may hold (tag -> verb table). */
static const kpi__type *const kpi__group_types[] = {
    &kpi__score_type,  &kpi__rate_type,      &kpi__mean_type,
    &kpi__group_type,  &kpi__ratio_type,     &kpi__series_type,
    &kpi__customers_type, &kpi__duration_type, &kpi__aht_type,
    &kpi__service_level_type, &kpi__topk_type, &kpi__topk_id_type,
    &kpi__distinct_type,
    /* kpi_journey is not a member type: it is keyed by customer itself
     * (a group of trackers would hold every customer once per key) */
};

typedef struct entry {
    uint64_t key;
    void *obj;
} entry;

struct kpi_group {
    kpi__object base;
    void *proto;      /* empty copy of the prototype's configuration */
    entry *ents;      /* dense, n used of ecap */
    size_t n, ecap;
    uint32_t *index;  /* icap slots (power of two or 0): entry number + 1, 0 = empty */
    size_t icap;
};

#define GROUP_LIMIT ((size_t)UINT32_MAX - 2)

static const kpi__type *type_of(const void *obj)
{
    return ((const kpi__object *)obj)->type;
}

/* Slot holding `key`, or the empty slot where it would go. */
static size_t probe(const uint32_t *index, size_t icap, const entry *ents,
                    uint64_t key, bool *found)
{
    size_t mask = icap - 1, i = (size_t)kpi__mix64(key) & mask;
    while (index[i] != 0) {
        if (ents[index[i] - 1].key == key) {
            *found = true;
            return i;
        }
        i = (i + 1) & mask;
    }
    *found = false;
    return i;
}

static bool lookup(const kpi_group *g, uint64_t key, size_t *slot)
{
    bool found = false;
    if (g->icap == 0)
        return false;
    *slot = probe(g->index, g->icap, g->ents, key, &found);
    return found;
}

static void index_rebuild(uint32_t *index, size_t icap, const entry *ents, size_t n)
{
    for (size_t e = 0; e < n; e++) {
        bool found;
        size_t s = probe(index, icap, ents, ents[e].key, &found);
        index[s] = (uint32_t)(e + 1);
    }
}

/* Make room for `want` members: allocates first, then installs; on
 * failure nothing changes. */
static int reserve(kpi_group *g, size_t want)
{
    if (want > GROUP_LIMIT)
        return KPI_ERR_LIMIT;
    const kpi_allocator *a = &g->base.alloc;
    uint32_t *ni = NULL;
    size_t nicap = g->icap;
    if (want * 2 > g->icap) {
        nicap = g->icap ? g->icap : 16;
        while (want * 2 > nicap)
            nicap *= 2;
        ni = kpi__calloc(a, nicap, sizeof *ni);
        if (ni == NULL)
            return KPI_ERR_NOMEM;
    }
    if (want > g->ecap) {
        size_t ncap = g->ecap ? g->ecap : 8;
        while (ncap < want)
            ncap *= 2;
        entry *ne = kpi__realloc(a, g->ents, ncap * sizeof *ne);
        if (ne == NULL) {
            kpi__free(a, ni);
            return KPI_ERR_NOMEM;
        }
        g->ents = ne;
        g->ecap = ncap;
    }
    if (ni != NULL) {
        index_rebuild(ni, nicap, g->ents, g->n);
        kpi__free(a, g->index);
        g->index = ni;
        g->icap = nicap;
    }
    return KPI_OK;
}

/* Append a member whose key is absent; room was reserved. */
static void insert(kpi_group *g, uint64_t key, void *obj)
{
    ((kpi__object *)obj)->flags |= KPI__MEMBER;
    bool found;
    size_t s = probe(g->index, g->icap, g->ents, key, &found);
    g->ents[g->n].key = key;
    g->ents[g->n].obj = obj;
    g->n++;
    g->index[s] = (uint32_t)g->n;
}

/* A copy of obj that uses allocator `a` (clone keeps the source's): the
 * object is encoded and decoded through its own verbs. */
static int rehome(const void *obj, const kpi_allocator *a, void **out)
{
    const kpi__type *t = type_of(obj);
    kpi__writer w = {NULL, 0, 0};
    t->encode(obj, &w);
    size_t len = w.pos;
    uint8_t *buf = kpi__malloc(a, len);
    if (buf == NULL)
        return KPI_ERR_NOMEM;
    kpi__writer w2 = {buf, len, 0};
    t->encode(obj, &w2);
    /* the copy is a group's member: nested once */
    kpi__reader r = {buf, len, 0, KPI_OK, KPI__FORMAT_VERSION, 1};
    void *o = NULL;
    int rc = t->decode(&r, a, &o);
    if (rc == KPI_OK)
        rc = kpi__reader_close(&r);
    if (rc != KPI_OK && o != NULL)
        t->destroy(o);
    kpi__free(a, buf);
    if (rc == KPI_OK)
        *out = o;
    return rc;
}

static bool same_allocator(const kpi_allocator *x, const kpi_allocator *y)
{
    return x->malloc_fn == y->malloc_fn && x->realloc_fn == y->realloc_fn &&
           x->free_fn == y->free_fn && x->opaque == y->opaque;
}

/* An exact copy of obj that uses allocator `a`: a clone when obj uses `a`
 * already (cheap, and what decoding nested groups relies on to stay
 * linear), else rehome(). */
static int copy_to(const void *obj, const kpi_allocator *a, void **out)
{
    if (same_allocator(&((const kpi__object *)obj)->alloc, a))
        return type_of(obj)->clone(obj, out);
    return rehome(obj, a, out);
}

static const kpi__type *type_for_tag(uint16_t tag)
{
    for (size_t i = 0; i < sizeof kpi__group_types / sizeof kpi__group_types[0]; i++)
        if (kpi__group_types[i]->tag == tag)
            return kpi__group_types[i];
    return NULL;
}

static int group_make(kpi_group **out, const void *prototype, const kpi_allocator *alloc)
{
    if (out == NULL || prototype == NULL || type_of(prototype) == NULL)
        return KPI_ERR_INVALID;
    /* only registered types can be restored from a saved group */
    if (type_for_tag(type_of(prototype)->tag) != type_of(prototype))
        return KPI_ERR_TYPE;
    kpi_group *g;
    int rc = kpi__object_new(&kpi__group_type, sizeof(kpi_group), alloc, (void **)&g);
    if (rc != KPI_OK)
        return rc;
    void *p = NULL;
    rc = rehome(prototype, &g->base.alloc, &p);
    if (rc != KPI_OK) {
        kpi__object_free(g);
        /* a valid object decodes again unless groups nest too deep */
        return rc == KPI_ERR_CORRUPT ? KPI_ERR_TYPE : rc;
    }
    type_of(p)->reset(p);
    g->proto = p;
    *out = g;
    return KPI_OK;
}

int kpi_group_new_with(kpi_group **out, const void *prototype, const kpi_allocator *alloc)
{
    return group_make(out, prototype, alloc);
}

int kpi_group_new(kpi_group **out, const void *prototype)
{
    return group_make(out, prototype, NULL);
}

/* ---- verbs -------------------------------------------------------------- */

static void group_clear(kpi_group *g)
{
    for (size_t e = 0; e < g->n; e++)
        kpi__destroy(g->ents[e].obj);
    g->n = 0;
    if (g->icap)
        memset(g->index, 0, g->icap * sizeof *g->index);
}

static void group_destroy(void *obj)
{
    kpi_group *g = obj;
    group_clear(g);
    kpi__destroy(g->proto);
    kpi__free(&g->base.alloc, g->ents);
    kpi__free(&g->base.alloc, g->index);
    kpi__object_free(g);
}

static void group_reset(void *obj) { group_clear(obj); }

static int group_clone(const void *src, void **out)
{
    const kpi_group *s = src;
    kpi_group *g;
    /* the prototype is cloned, not re-encoded (group_make()): with groups
     * nested in groups, re-encoding at every level costs exponential time */
    int rc = kpi__object_new(&kpi__group_type, sizeof(kpi_group), &s->base.alloc, (void **)&g);
    if (rc != KPI_OK)
        return rc;
    if ((rc = type_of(s->proto)->clone(s->proto, &g->proto)) != KPI_OK) {
        kpi__object_free(g);
        return rc;
    }
    if ((rc = reserve(g, s->n)) != KPI_OK) {
        group_destroy(g);
        return rc;
    }
    for (size_t e = 0; e < s->n; e++) {
        void *m = NULL;
        rc = type_of(s->ents[e].obj)->clone(s->ents[e].obj, &m);
        if (rc != KPI_OK) {
            group_destroy(g);
            return rc;
        }
        insert(g, s->ents[e].key, m);
    }
    *out = g;
    return KPI_OK;
}

/* KPI_OK when members of a and b can merge (same type and configuration). */
static int compatible(const void *proto_a, const void *proto_b)
{
    const kpi__type *t = type_of(proto_a);
    if (t != type_of(proto_b))
        return KPI_ERR_INCOMPATIBLE;
    void *probe_obj = NULL;
    int rc = t->clone(proto_a, &probe_obj);
    if (rc != KPI_OK)
        return rc;
    rc = t->merge(probe_obj, proto_b);
    t->destroy(probe_obj);
    return rc;
}

static int group_merge(void *dst, const void *src)
{
    kpi_group *d = dst;
    const kpi_group *s = src;
    int rc = compatible(d->proto, s->proto);
    if (rc != KPI_OK)
        return rc;
    if (s->n == 0)
        return KPI_OK;
    const kpi_allocator *a = &d->base.alloc;
    void **fresh = kpi__calloc(a, s->n, sizeof *fresh);
    if (fresh == NULL)
        return KPI_ERR_NOMEM;
    size_t added = 0, slot;
    size_t e = 0;
    for (; e < s->n; e++) {
        const void *sm = s->ents[e].obj;
        const kpi__type *t = type_of(sm);
        if (lookup(d, s->ents[e].key, &slot)) {
            rc = t->clone(d->ents[d->index[slot] - 1].obj, &fresh[e]);
            if (rc == KPI_OK) {
                rc = t->merge(fresh[e], sm);
                if (rc != KPI_OK) {
                    t->destroy(fresh[e]);
                    fresh[e] = NULL;
                }
            }
        } else {
            /* the member copied, in dst's allocator (not merged into dst's
             * empty prototype: a customers prototype's gross margin would
             * refuse a member that set its own) */
            rc = copy_to(sm, a, &fresh[e]);
            added++;
        }
        if (rc != KPI_OK)
            break;
    }
    if (rc == KPI_OK)
        rc = reserve(d, d->n + added);
    if (rc != KPI_OK) {
        for (size_t i = 0; i < s->n; i++)
            kpi__destroy(fresh[i]);
        kpi__free(a, fresh);
        return rc;
    }
    /* commit: nothing below can fail */
    for (e = 0; e < s->n; e++) {
        if (lookup(d, s->ents[e].key, &slot)) {
            entry *en = &d->ents[d->index[slot] - 1];
            kpi__destroy(en->obj);
            ((kpi__object *)fresh[e])->flags |= KPI__MEMBER;
            en->obj = fresh[e];
        } else {
            insert(d, s->ents[e].key, fresh[e]);
        }
    }
    kpi__free(a, fresh);
    return KPI_OK;
}

/* KPI_OK when obj encodes to exactly the n bytes at p, else
 * KPI_ERR_CORRUPT (or KPI_ERR_NOMEM). */
static int encodes_as(const void *obj, const uint8_t *p, size_t n, const kpi_allocator *a)
{
    kpi__writer w = {NULL, 0, 0};
    type_of(obj)->encode(obj, &w);
    if (w.pos != n)
        return KPI_ERR_CORRUPT;
    uint8_t *buf = kpi__malloc(a, n);
    if (buf == NULL)
        return KPI_ERR_NOMEM;
    w = (kpi__writer){buf, n, 0};
    type_of(obj)->encode(obj, &w);
    int rc = n == 0 || memcmp(buf, p, n) == 0 ? KPI_OK : KPI_ERR_CORRUPT;
    kpi__free(a, buf);
    return rc;
}

static void group_encode(const void *obj, kpi__writer *w)
{
    const kpi_group *g = obj;
    kpi__put_u16(w, type_of(g->proto)->tag);
    kpi__put_object(w, g->proto);
    kpi__put_varint(w, g->n);
    for (size_t e = 0; e < g->n; e++) {
        kpi__put_u64(w, g->ents[e].key);
        kpi__put_object(w, g->ents[e].obj);
    }
}

static int group_decode(kpi__reader *r, const kpi_allocator *a, void **out)
{
    if (r->depth >= KPI__MAX_DEPTH)
        return KPI_ERR_CORRUPT;
    uint16_t tag = kpi__get_u16(r);
    if (r->err)
        return r->err;
    const kpi__type *t = type_for_tag(tag);
    if (t == NULL)
        return KPI_ERR_CORRUPT;
    void *proto = NULL;
    size_t at = r->pos + 4; /* the prototype's body, after its length */
    int rc = kpi__get_object(r, t, a, &proto);
    if (rc != KPI_OK)
        return rc;
    t->reset(proto);
    /* a group writes its prototype empty: bytes whose prototype holds
     * data are no state of this library's (they would read as another) */
    if ((rc = encodes_as(proto, r->p + at, r->pos - at, a)) != KPI_OK) {
        t->destroy(proto);
        return rc;
    }
    kpi_group *g = NULL;
    void *probe_obj = NULL;
    /* the decoded prototype is already in allocator `a`: the group takes it
     * (group_make() would re-encode it, exponential in the nesting) */
    rc = kpi__object_new(&kpi__group_type, sizeof(kpi_group), a, (void **)&g);
    if (rc != KPI_OK) {
        t->destroy(proto);
        return rc;
    }
    g->proto = proto;
    /* each member: an 8-byte key and a 4-byte length at least */
    size_t n = kpi__get_count(r, GROUP_LIMIT, 12);
    if (r->err) {
        rc = r->err;
        goto fail;
    }
    if ((rc = reserve(g, n)) != KPI_OK || (rc = t->clone(g->proto, &probe_obj)) != KPI_OK)
        goto fail;
    for (size_t e = 0; e < n; e++) {
        uint64_t key = kpi__get_u64(r);
        void *m = NULL;
        size_t slot;
        if (r->err) {
            rc = r->err;
            goto fail;
        }
        if (lookup(g, key, &slot)) {
            rc = KPI_ERR_CORRUPT;
            goto fail;
        }
        if ((rc = kpi__get_object(r, t, a, &m)) != KPI_OK)
            goto fail;
        /* a member must be configured like the prototype: it merges into
         * an empty copy of it.  Not so a customers member, whose only
         * configuration, the gross margin, it may set itself (group.h);
         * and a customers reset keeps the margin, so the probe would hold
         * the first member's against the next. */
        rc = t == &kpi__customers_type ? KPI_OK : t->merge(probe_obj, m);
        t->reset(probe_obj);
        if (rc != KPI_OK) {
            t->destroy(m);
            if (rc == KPI_ERR_INCOMPATIBLE)
                rc = KPI_ERR_CORRUPT;
            goto fail;
        }
        insert(g, key, m);
    }
    t->destroy(probe_obj);
    *out = g;
    return KPI_OK;
fail:
    if (probe_obj != NULL)
        t->destroy(probe_obj);
    group_destroy(g);
    return rc;
}

static size_t group_footprint(const void *obj)
{
    const kpi_group *g = obj;
    size_t b = sizeof(kpi_group) + g->ecap * sizeof(entry) + g->icap * sizeof(uint32_t);
    b += type_of(g->proto)->footprint(g->proto);
    for (size_t e = 0; e < g->n; e++)
        b += type_of(g->ents[e].obj)->footprint(g->ents[e].obj);
    return b;
}

const kpi__type kpi__group_type = {
    KPI__TAG_GROUP, "group",      group_clone,  group_destroy,  group_reset,
    group_merge,    group_encode, group_decode, group_footprint};

/* ---- public ------------------------------------------------------------- */

void kpi_group_free(kpi_group *g) { kpi__release(g); }

void kpi_group_reset(kpi_group *g)
{
    if (kpi__is(g, &kpi__group_type))
        group_reset(g);
}

int kpi_group_clone(const kpi_group *g, kpi_group **out)
{
    return kpi__clone(&kpi__group_type, g, (void **)out);
}

int kpi_group_merge(kpi_group *dst, const kpi_group *src)
{
    return kpi__merge(&kpi__group_type, dst, src);
}

int kpi_group_serialize(const kpi_group *g, void *buf, size_t cap, size_t *len)
{
    if (!kpi__is(g, &kpi__group_type))
        return KPI_ERR_INVALID;
    return kpi__serialize(g, buf, cap, len);
}

int kpi_group_deserialize_with(kpi_group **out, const void *buf, size_t len,
                               const kpi_allocator *alloc)
{
    return kpi__deserialize(&kpi__group_type, buf, len, alloc, (void **)out);
}

int kpi_group_deserialize(kpi_group **out, const void *buf, size_t len)
{
    return kpi_group_deserialize_with(out, buf, len, NULL);
}

size_t kpi_group_footprint(const kpi_group *g)
{
    return kpi__is(g, &kpi__group_type) ? group_footprint(g) : 0;
}

int kpi_group_get(kpi_group *g, uint64_t key, void **acc)
{
    if (!kpi__is(g, &kpi__group_type) || acc == NULL)
        return KPI_ERR_INVALID;
    size_t slot;
    if (lookup(g, key, &slot)) {
        *acc = g->ents[g->index[slot] - 1].obj;
        return KPI_OK;
    }
    if (g->n >= GROUP_LIMIT)
        return KPI_ERR_LIMIT;
    void *m = NULL;
    int rc = type_of(g->proto)->clone(g->proto, &m);
    if (rc != KPI_OK)
        return rc;
    if ((rc = reserve(g, g->n + 1)) != KPI_OK) {
        kpi__destroy(m);
        return rc;
    }
    insert(g, key, m);
    *acc = m;
    return KPI_OK;
}

int kpi_group_find(const kpi_group *g, uint64_t key, const void **acc)
{
    if (!kpi__is(g, &kpi__group_type) || acc == NULL)
        return KPI_ERR_INVALID;
    size_t slot;
    if (!lookup(g, key, &slot))
        return KPI_ERR_UNKNOWN_ID;
    *acc = g->ents[g->index[slot] - 1].obj;
    return KPI_OK;
}

size_t kpi_group_size(const kpi_group *g)
{
    return kpi__is(g, &kpi__group_type) ? g->n : 0;
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return (x > y) - (x < y);
}

int kpi_group_keys(const kpi_group *g, uint64_t *keys, size_t cap, size_t *n)
{
    if (!kpi__is(g, &kpi__group_type) || n == NULL || (keys == NULL && cap > 0))
        return KPI_ERR_INVALID;
    *n = g->n;
    if (cap < g->n)
        return KPI_ERR_BUFFER;
    for (size_t e = 0; e < g->n; e++)
        keys[e] = g->ents[e].key;
    if (g->n > 1)
        kpi__sort(keys, g->n, sizeof *keys, cmp_u64);
    return KPI_OK;
}

int kpi_group_remove(kpi_group *g, uint64_t key)
{
    if (!kpi__is(g, &kpi__group_type))
        return KPI_ERR_INVALID;
    size_t s;
    if (!lookup(g, key, &s))
        return KPI_ERR_UNKNOWN_ID;
    size_t e = g->index[s] - 1, mask = g->icap - 1;
    /* backward-shift deletion */
    size_t i = s, j = s;
    for (;;) {
        j = (j + 1) & mask;
        if (g->index[j] == 0)
            break;
        size_t k = (size_t)kpi__mix64(g->ents[g->index[j] - 1].key) & mask;
        /* move j back to i unless its home k lies cyclically in (i, j] */
        bool stays = i <= j ? (i < k && k <= j) : (i < k || k <= j);
        if (!stays) {
            g->index[i] = g->index[j];
            i = j;
        }
    }
    g->index[i] = 0;
    kpi__destroy(g->ents[e].obj);
    size_t last = g->n - 1;
    if (e != last) {
        size_t ls = 0;
        g->ents[e] = g->ents[last];
        /* the moved entry's slot points at last + 1: repoint it */
        (void)lookup(g, g->ents[e].key, &ls);
        g->index[ls] = (uint32_t)(e + 1);
    }
    g->n--;
    return KPI_OK;
}

int kpi_group_total(const kpi_group *g, void **out)
{
    if (!kpi__is(g, &kpi__group_type) || out == NULL)
        return KPI_ERR_INVALID;
    const kpi__type *t = type_of(g->proto);
    void *tot = NULL;
    /* the merge of the members: customers members may set their own gross
     * margin (group.h), which the prototype's would refuse, so their total
     * starts from the first member; other members are configured as the
     * prototype */
    size_t first = t == &kpi__customers_type && g->n > 0 ? 1 : 0;
    int rc = t->clone(first ? g->ents[0].obj : g->proto, &tot);
    if (rc != KPI_OK)
        return rc;
    for (size_t e = first; e < g->n; e++) {
        if ((rc = t->merge(tot, g->ents[e].obj)) != KPI_OK) {
            t->destroy(tot);
            return rc;
        }
    }
    *out = tot;
    return KPI_OK;
}

/* A member's value and the count it rests on (rates: share and trials;
 * means: mean and values). */
typedef void (*member_value)(const void *member, double *x, uint64_t *n);

static void rate_value(const void *member, double *x, uint64_t *n)
{
    const kpi_rate *r = member;
    *n = kpi_rate_trials(r);
    *x = *n ? (double)kpi_rate_successes(r) / (double)*n : 0.0;
}

static void mean_value(const void *member, double *x, uint64_t *n)
{
    *n = kpi_mean_count(member);
    if (*n == 0 || kpi_mean_mean(member, x) != KPI_OK)
        *n = 0; /* (a member with values always has a mean) */
}

/* The spread of the values of g's members (of type t) that rest on at
 * least max(1, min_n): Welford's mean and population variance, min, max. */
static int spread(const kpi_group *g, const kpi__type *t, member_value value, uint64_t min_n,
                  double *mean_out, double *stddev, double *min_out, double *max_out,
                  size_t *agents)
{
    if (!kpi__is(g, &kpi__group_type))
        return KPI_ERR_INVALID;
    if (type_of(g->proto) != t)
        return KPI_ERR_TYPE;
    size_t k = 0;
    double mean = 0, m2 = 0, lo = 0, hi = 0;
    for (size_t e = 0; e < g->n; e++) {
        double x;
        uint64_t n;
        value(g->ents[e].obj, &x, &n);
        if (n == 0 || n < min_n)
            continue;
        k++;
        double d = x - mean;
        mean += d / (double)k;
        m2 += d * (x - mean);
        if (k == 1 || x < lo)
            lo = x;
        if (k == 1 || x > hi)
            hi = x;
    }
    if (k == 0)
        return KPI_ERR_EMPTY;
    if (mean_out)
        *mean_out = mean;
    if (stddev)
        *stddev = sqrt(m2 > 0 ? m2 / (double)k : 0.0);
    if (min_out)
        *min_out = lo;
    if (max_out)
        *max_out = hi;
    if (agents)
        *agents = k;
    return KPI_OK;
}

int kpi_group_rate_spread(const kpi_group *g, uint64_t min_trials, double *mean_share,
                          double *stddev, double *min_share, double *max_share,
                          size_t *agents)
{
    return spread(g, &kpi__rate_type, rate_value, min_trials, mean_share, stddev, min_share,
                  max_share, agents);
}

int kpi_group_mean_spread(const kpi_group *g, uint64_t min_count, double *mean_of_means,
                          double *stddev, double *min_mean, double *max_mean, size_t *agents)
{
    return spread(g, &kpi__mean_type, mean_value, min_count, mean_of_means, stddev, min_mean,
                  max_mean, agents);
}

/* ---- for the ticket engine (lib/internal.h) ----------------------------- */

int kpi__group_spare(kpi_group *g, size_t extra, void **member)
{
    if (g->n + extra > GROUP_LIMIT)
        return KPI_ERR_LIMIT;
    int rc = reserve(g, g->n + extra);
    return rc == KPI_OK ? type_of(g->proto)->clone(g->proto, member) : rc;
}

void kpi__group_adopt(kpi_group *g, uint64_t key, void *member)
{
    insert(g, key, member);
}

const void *kpi__group_member_at(const kpi_group *g, size_t i)
{
    return i < g->n ? g->ents[i].obj : NULL;
}
