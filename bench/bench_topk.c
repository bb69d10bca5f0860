/*
 * Top-k labels and ids, and distinct counts, beside naive exact
 * computations (a hash map of counts; a sorted unique of ids) in one run.
 * SPDX-License-Identifier: MIT
 */
#include <math.h>

#include "bench.h"
#include "kpi/distinct.h"
#include "kpi/topk.h"

#define NLAB 100000
static char labels[NLAB][16];
static size_t lens[NLAB];


/* Zipf(1.1) ranks over NLAB labels, by inverse sampling. */
static uint32_t *zipf_stream(size_t n)
{
    double *cdf = malloc(NLAB * sizeof *cdf), sum = 0;
    for (int i = 0; i < NLAB; i++)
        cdf[i] = (sum += 1.0 / pow(i + 1.0, 1.1));
    uint32_t *s = malloc(n * sizeof *s);
    for (size_t i = 0; i < n; i++) {
        s[i] = (uint32_t)bench_rank_of(cdf, NLAB, bench_unif() * sum);
    }
    free(cdf);
    return s;
}

/* naive exact: a chained hash map of label -> count */
typedef struct nnode {
    struct nnode *next;
    uint64_t count;
    size_t len;
    char label[16];
} nnode;
#define NBUCK (1u << 18)
static nnode *buck[NBUCK];

static uint64_t fnv(const char *s, size_t n)
{
    uint64_t h = 1469598103934665603u;
    for (size_t i = 0; i < n; i++)
        h = (h ^ (unsigned char)s[i]) * 1099511628211u;
    return h;
}

static size_t naive_bytes;
static void naive_clear(void)
{
    for (size_t i = 0; i < NBUCK; i++)
        while (buck[i]) {
            nnode *n = buck[i];
            buck[i] = n->next;
            free(n);
        }
    naive_bytes = NBUCK * sizeof(nnode *);
}

static void naive_add(const char *l, size_t len)
{
    nnode **b = &buck[fnv(l, len) & (NBUCK - 1)];
    for (nnode *n = *b; n; n = n->next)
        if (n->len == len && memcmp(n->label, l, len) == 0) {
            n->count++;
            return;
        }
    nnode *n = malloc(sizeof *n);
    n->next = *b;
    n->count = 1;
    n->len = len;
    memcpy(n->label, l, len);
    *b = n;
    naive_bytes += sizeof *n;
}

static uint64_t naive_get(const char *l, size_t len)
{
    for (nnode *n = buck[fnv(l, len) & (NBUCK - 1)]; n; n = n->next)
        if (n->len == len && memcmp(n->label, l, len) == 0)
            return n->count;
    return 0;
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return (x > y) - (x < y);
}

/* The exact count of the stream's k-th most frequent label (k >= 1), from
 * the naive map: a label is in the stream's true top k when its exact
 * count reaches it (ties at the edge all count as in). */
static uint64_t naive_kth_count(size_t k)
{
    uint64_t *c = malloc(NLAB * sizeof *c);
    for (size_t i = 0; i < NLAB; i++)
        c[i] = naive_get(labels[i], lens[i]);
    qsort(c, NLAB, sizeof *c, cmp_u64);
    uint64_t v = c[NLAB - k];
    free(c);
    return v;
}

/*
 * Reference only, not libkpi: a minimal Misra-Gries summary with batched
 * decrements (the other algorithm family issue 5 names, as the frequent
 * items sketches use it): an open-addressing table of 2^lg ids and
 * counts; a new id is inserted with count 1, and when more than 3/4 of the
 * slots are taken the median count is subtracted from every counter and
 * the counters at or below 0 leave.  No ranks, no per-label bounds kept,
 * no errors checked, called directly inside this program (no call into a
 * shared library): a floor for what that family costs per id on this
 * machine and stream, printed beside kpi_topk_id_add.
 */
typedef struct mg_ref {
    uint64_t *key;
    int64_t *cnt, *tmp, offset;
    uint8_t *used;
    uint32_t mask, n;
} mg_ref;

static void mg_init(mg_ref *m, unsigned lg)
{
    size_t len = (size_t)1 << lg;
    m->key = calloc(len, sizeof *m->key);
    m->cnt = calloc(len, sizeof *m->cnt);
    m->tmp = malloc(2 * len * sizeof *m->tmp);
    m->used = calloc(len, 1);
    m->mask = (uint32_t)(len - 1);
    m->n = 0;
    m->offset = 0;
}

static void mg_fini(mg_ref *m)
{
    free(m->key);
    free(m->cnt);
    free(m->tmp);
    free(m->used);
}

static uint32_t mg_slot(const mg_ref *m, uint64_t id)
{
    uint64_t h = id * UINT64_C(0x9E3779B97F4A7C15);
    return (uint32_t)(h >> 32) & m->mask;
}

/* The k-th smallest of v[0..n), n >= 1 (Hoare's selection; v is
 * reordered).  Signed indices: j may step to lo - 1. */
static int64_t select_i64(int64_t *v, int64_t n, int64_t k)
{
    int64_t lo = 0, hi = n - 1;
    while (lo < hi) {
        int64_t pivot = v[lo + (hi - lo) / 2];
        int64_t i = lo, j = hi;
        while (i <= j) {
            while (v[i] < pivot)
                i++;
            while (v[j] > pivot)
                j--;
            if (i <= j) {
                int64_t t = v[i];
                v[i++] = v[j];
                v[j--] = t;
            }
        }
        if (k <= j)
            hi = j;
        else if (k >= i)
            lo = i;
        else
            return v[k];
    }
    return v[k];
}

static void mg_purge(mg_ref *m)
{
    uint32_t n = 0, kept = 0;
    for (uint32_t i = 0; i <= m->mask; i++)
        if (m->used[i])
            m->tmp[n++] = m->cnt[i];
    int64_t med = select_i64(m->tmp, (int64_t)n, (int64_t)(n / 2));
    uint64_t *keys = (uint64_t *)m->tmp; /* reused: ids, then counts */
    for (uint32_t i = 0; i <= m->mask; i++)
        if (m->used[i] && m->cnt[i] > med) {
            keys[kept] = m->key[i];
            m->tmp[n + kept++] = m->cnt[i] - med;
        }
    memset(m->used, 0, (size_t)m->mask + 1);
    for (uint32_t j = 0; j < kept; j++) {
        uint32_t i = mg_slot(m, keys[j]);
        while (m->used[i])
            i = (i + 1) & m->mask;
        m->used[i] = 1;
        m->key[i] = keys[j];
        m->cnt[i] = m->tmp[n + j];
    }
    m->n = kept;
    m->offset += med;
}

__attribute__((noinline)) static void mg_add(mg_ref *m, uint64_t id)
{
    uint32_t i = mg_slot(m, id);
    while (m->used[i]) {
        if (m->key[i] == id) {
            m->cnt[i]++;
            return;
        }
        i = (i + 1) & m->mask;
    }
    m->used[i] = 1;
    m->key[i] = id;
    m->cnt[i] = 1;
    if (++m->n > (m->mask + 1) / 4 * 3)
        mg_purge(m);
}

int main(void)
{
    bench_seed(12345);
    size_t n = bench_size(4000000, 100000);
    const uint32_t cap = 1000;
    for (int i = 0; i < NLAB; i++)
        lens[i] = (size_t)snprintf(labels[i], sizeof labels[i], "topic-%d", i);
    uint32_t *z = zipf_stream(n);
    char buf[64];

    bench_title("top-k string labels (Space-Saving, m = 1000, Zipf 1.1 over 100000 labels)");
    kpi_topk *p = NULL;
    double kpi_ns, naive_ns;
    BENCH_MEDIAN(kpi_ns, n, (kpi_topk_free(p), kpi_topk_new(&p, cap)),
                 for (size_t i = 0; i < n; i++)
                     kpi_topk_add(p, labels[z[i]], lens[z[i]], 1));
    BENCH_MEDIAN(naive_ns, n, naive_clear(),
                 for (size_t i = 0; i < n; i++)
                     naive_add(labels[z[i]], lens[z[i]]));
    bench_line("kpi_topk_add per label", kpi_ns, naive_ns, "<= 25 ns");
    bench_bytes("bytes per object", (double)kpi_topk_footprint(p),
                (double)naive_bytes, "bounded by m");
    /* measured error of the top 100 against the exact counts; found: the
     * reported top 100 that are in the stream's exact top 100 (by the
     * naive counts, not by the Zipf ranks the stream was drawn from) */
    double worst = 0;
    int found = 0;
    uint64_t kth = naive_kth_count(100);
    for (size_t r = 0; r < 100; r++) {
        const char *l;
        size_t len;
        uint64_t c;
        kpi_topk_entry(p, r, &l, &len, &c, NULL, NULL);
        uint64_t t = naive_get(l, len);
        double e = (double)(c - t) / (double)n;
        if (e > worst)
            worst = e;
        found += t >= kth;
    }
    snprintf(buf, sizeof buf, "<= 1/m = %.4g", 1.0 / cap);
    bench_error("max overestimate / N over the top 100", worst, buf);
    bench_error("exact top-100 labels in the reported top 100", found, "-");
    bench_error("error bound / N", (double)kpi_topk_error_bound(p) / (double)n, buf);
    kpi_topk_free(p);
    p = NULL;

    /* top topics: 60 labels (the Zipf ranks mod 60), batches of 64 Ki
     * labels through kpi_topk_add_array, as the Python package sends a
     * column; naive: the exact count of the reference hash map */
    bench_title("top-k string labels, batches of 60 topics (m = 100, 64 Ki labels per call)");
    const size_t lchunk = 65536;
    const char **lp = malloc(lchunk * sizeof *lp);
    size_t *ll = malloc(lchunk * sizeof *ll);
    BENCH_MEDIAN(kpi_ns, n, (kpi_topk_free(p), kpi_topk_new(&p, 100)),
                 for (size_t i = 0; i < n; i += lchunk) {
                     size_t m = n - i < lchunk ? n - i : lchunk;
                     for (size_t j = 0; j < m; j++) {
                         lp[j] = labels[z[i + j] % 60];
                         ll[j] = lens[z[i + j] % 60];
                     }
                     kpi_topk_add_array(p, lp, ll, m);
                 });
    BENCH_MEDIAN(naive_ns, n, naive_clear(),
                 for (size_t i = 0; i < n; i++)
                     naive_add(labels[z[i] % 60], lens[z[i] % 60]));
    bench_line("kpi_topk_add_array per label (with the pointers)", kpi_ns, naive_ns, "-");
    kpi_topk_free(p);
    free(lp);
    free(ll);

    bench_title("top-k ids (Space-Saving, m = 1000, same stream as ids)");
    uint64_t *ids = malloc(n * sizeof *ids);
    for (size_t i = 0; i < n; i++)
        ids[i] = z[i];
    kpi_topk_id *q = NULL;
    BENCH_MEDIAN(kpi_ns, n, (kpi_topk_id_free(q), kpi_topk_id_new(&q, cap)),
                 for (size_t i = 0; i < n; i++) kpi_topk_id_add(q, ids[i], 1));
    uint64_t *counts = calloc(NLAB, sizeof *counts);
    BENCH_MEDIAN(naive_ns, n, memset(counts, 0, NLAB * sizeof *counts),
                 for (size_t i = 0; i < n; i++) counts[ids[i]]++);
    bench_line("kpi_topk_id_add per id (naive: dense array)", kpi_ns, naive_ns, "<= 8 ns");
    /* what limits it: a bare call into the library, and the other family */
    double call_ns, mg_ns;
    size_t qsum = 0;
    BENCH_MEDIAN(call_ns, n, (void)0,
                 for (size_t i = 0; i < n; i++) qsum += kpi_topk_id_size(q));
    bench_keep(&qsum);
    bench_line("  reference: a bare exported call (kpi_topk_id_size)", call_ns, 0, "-");
    for (unsigned lg = 11; lg <= 13; lg++) {
        mg_ref mg;
        mg_init(&mg, lg);
        BENCH_MEDIAN(mg_ns, n, (mg_fini(&mg), mg_init(&mg, lg)),
                     for (size_t i = 0; i < n; i++) mg_add(&mg, ids[i]));
        snprintf(buf, sizeof buf, "  reference: minimal Misra-Gries, %u slots, direct call",
                 1u << lg);
        bench_line(buf, mg_ns, 0, "-");
        printf("  %-44s %10.6f     (kpi_topk_id error bound / N %.6f)\n",
               "    its decrement total / N", (double)mg.offset / (double)n,
               (double)kpi_topk_id_error_bound(q) / (double)n);
        mg_fini(&mg);
    }
    bench_bytes("bytes per object", (double)kpi_topk_id_footprint(q),
                (double)(NLAB * sizeof *counts), "bounded by m");
    /* every rank, each pass after an add (which drops the order of a long
     * run kept by reads); the smallest count is shared by many counters.
     * naive: sorting (count, id) pairs of the same size */
    size_t qn = kpi_topk_id_size(q), tied = 0;
    uint64_t sink = 0;
    for (size_t r = 0; r < qn; r++) {
        uint64_t c;
        kpi_topk_id_entry(q, r, NULL, &c, NULL, NULL);
        tied += c == kpi_topk_id_error_bound(q);
    }
    BENCH_MEDIAN(kpi_ns, qn, kpi_topk_id_add(q, ids[0], 1),
                 for (size_t r = 0; r < qn; r++) {
                     uint64_t v;
                     kpi_topk_id_entry(q, r, &v, NULL, NULL, NULL);
                     sink += v;
                 });
    uint64_t *pairs = malloc(2 * qn * sizeof *pairs);
    BENCH_MEDIAN(naive_ns, qn,
                 for (size_t r = 0; r < qn; r++) {
                     pairs[2 * r] = UINT64_MAX - ids[r] % 7;
                     pairs[2 * r + 1] = ids[r];
                 },
                 qsort(pairs, qn, 2 * sizeof *pairs, cmp_u64));
    bench_keep(&sink);
    free(pairs);
    bench_line("kpi_topk_id_entry per rank, all ranks after an add (naive: qsort)",
               kpi_ns, naive_ns, "-");
    printf("  (%zu of the %zu counters share the smallest count)\n", tied, qn);
    kpi_topk_id_free(q);
    q = NULL;

    /* categorical codes: few small ids, a batch per call (the Python
     * package converts int8 codes to uint64 in chunks of 64 Ki) */
    bench_title("top-k ids, batches of categorical codes (m = 100, 60 ids: the Zipf ranks mod 60)");
    const size_t chunk = 65536;
    for (size_t i = 0; i < n; i++)
        ids[i] = z[i] % 60;
    BENCH_MEDIAN(kpi_ns, n, (kpi_topk_id_free(q), kpi_topk_id_new(&q, 100)),
                 for (size_t i = 0; i < n; i += chunk)
                     kpi_topk_id_add_array(q, ids + i, n - i < chunk ? n - i : chunk));
    BENCH_MEDIAN(naive_ns, n, memset(counts, 0, 60 * sizeof *counts),
                 for (size_t i = 0; i < n; i++) counts[ids[i]]++);
    uint64_t top0;
    kpi_topk_id_entry(q, 0, NULL, &top0, NULL, NULL);
    bench_agree("  rank 0's count (id 0)", (double)top0, (double)counts[0], 0);
    bench_line("kpi_topk_id_add_array, 64 Ki ids per call (naive: dense array)", kpi_ns,
               naive_ns, "-");
    BENCH_MEDIAN(kpi_ns, n, (kpi_topk_id_free(q), kpi_topk_id_new(&q, 100)),
                 kpi_topk_id_add_array(q, ids, n));
    bench_line("kpi_topk_id_add_array, one call", kpi_ns, naive_ns, "-");

    /* the same stream with the 60 ids interned as large 64-bit values
     * (database keys, hashes): the sparse count; naive: an exact count in
     * an open-addressing hash table */
    bench_title("top-k ids, batches of 60 large interned ids (m = 100, same stream)");
    for (size_t i = 0; i < n; i++)
        ids[i] = (z[i] % 60 + 1) * UINT64_C(0x9E3779B97F4A7C15);
    uint64_t hkey[128], hval[128];
    BENCH_MEDIAN(kpi_ns, n, (kpi_topk_id_free(q), kpi_topk_id_new(&q, 100)),
                 for (size_t i = 0; i < n; i += chunk)
                     kpi_topk_id_add_array(q, ids + i, n - i < chunk ? n - i : chunk));
    BENCH_MEDIAN(naive_ns, n, (memset(hkey, 0, sizeof hkey), memset(hval, 0, sizeof hval)), {
        for (size_t i = 0; i < n; i++) {
            size_t h = (size_t)(ids[i] >> 57);
            while (hval[h] != 0 && hkey[h] != ids[i])
                h = (h + 1) & 127;
            hkey[h] = ids[i];
            hval[h]++;
        }
        bench_keep(hval);
    });
    kpi_topk_id_estimate(q, UINT64_C(0x9E3779B97F4A7C15), &top0, NULL, NULL);
    bench_agree("  the first id's count", (double)top0, (double)counts[0], 0);
    bench_line("kpi_topk_id_add_array, 64 Ki ids per call (naive: hash table)", kpi_ns,
               naive_ns, "-");

    /* more than 256 ids in a short range (topic ids 1001..1400, pandas'
     * int16 codes widened): the range count; naive: a dense array */
    bench_title("top-k ids, batches of 400 topic ids 1001..1400 (m = 1000, the Zipf ranks mod 400)");
    const uint64_t nt = 400;
    uint64_t *tcounts = calloc(nt, sizeof *tcounts);
    for (size_t i = 0; i < n; i++)
        ids[i] = 1001 + z[i] % nt;
    BENCH_MEDIAN(kpi_ns, n, (kpi_topk_id_free(q), kpi_topk_id_new(&q, cap)),
                 for (size_t i = 0; i < n; i += chunk)
                     kpi_topk_id_add_array(q, ids + i, n - i < chunk ? n - i : chunk));
    BENCH_MEDIAN(naive_ns, n, memset(tcounts, 0, nt * sizeof *tcounts),
                 for (size_t i = 0; i < n; i++) tcounts[ids[i] - 1001]++);
    kpi_topk_id_estimate(q, 1001, &top0, NULL, NULL);
    bench_agree("  id 1001's count", (double)top0, (double)tcounts[0], 0);
    bench_line("kpi_topk_id_add_array, 64 Ki ids per call (naive: dense array)", kpi_ns,
               naive_ns, "-");
    BENCH_MEDIAN(kpi_ns, n, (kpi_topk_id_free(q), kpi_topk_id_new(&q, cap)),
                 kpi_topk_id_add_array(q, ids, n));
    bench_line("kpi_topk_id_add_array, one call", kpi_ns, naive_ns, "-");
    BENCH_MEDIAN(kpi_ns, n, (kpi_topk_id_free(q), kpi_topk_id_new(&q, cap)),
                 for (size_t i = 0; i < n; i++) kpi_topk_id_add(q, ids[i], 1));
    bench_line("  the same ids one call each (kpi_topk_id_add)", kpi_ns, naive_ns, "-");
    free(tcounts);
    kpi_topk_id_free(q);
    free(counts);

    bench_title("distinct ids (HyperLogLog p = 12 after 512 exact)");
    size_t dn = n;
    uint64_t *u = malloc(dn * sizeof *u), *sorted = malloc(dn * sizeof *u);
    for (size_t i = 0; i < dn; i++)
        u[i] = bench_rand() % (dn / 2);
    kpi_distinct *d = NULL;
    BENCH_MEDIAN(kpi_ns, dn, (kpi_distinct_free(d), kpi_distinct_new(&d, 12)),
                 for (size_t i = 0; i < dn; i++) kpi_distinct_add(d, u[i]));
    size_t uniq = 0;
    BENCH_MEDIAN(naive_ns, dn, memcpy(sorted, u, dn * sizeof *u), {
        qsort(sorted, dn, sizeof *sorted, cmp_u64);
        uniq = dn ? 1 : 0;
        for (size_t i = 1; i < dn; i++)
            uniq += sorted[i] != sorted[i - 1];
    });
    bench_line("kpi_distinct_add per id (naive: sort+unique)", kpi_ns, naive_ns, "<= 4 ns");
    BENCH_MEDIAN(kpi_ns, dn, (kpi_distinct_free(d), kpi_distinct_new(&d, 12)),
                 kpi_distinct_add_array(d, u, dn));
    bench_line("kpi_distinct_add_array per id", kpi_ns, naive_ns, "<= 4 ns");
    kpi_estimate e;
    kpi_distinct_estimate(d, &e);
    bench_error("relative error vs exact", fabs(e.value - (double)uniq) / (double)uniq,
                "1.04/sqrt(4096) = 0.0163 (1 s.e.)");
    bench_bytes("bytes per object", (double)kpi_distinct_footprint(d),
                (double)(dn * sizeof *u), "2^p + struct");
    kpi_distinct_free(d);
    naive_clear();
    free(u);
    free(sorted);
    free(ids);
    free(z);
    return bench_disagreements != 0;
}
