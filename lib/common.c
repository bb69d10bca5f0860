/*
 * Status texts, version, allocators, the generic verbs every accumulator's
 * public wrappers call, and shared numerics (Wilson interval, hashing).
 * SPDX-License-Identifier: MIT
 *
 * Wilson score interval (E. B. Wilson, "Probable inference, the law of
 * succession, and statistical inference", JASA 22, 1927):
 *   centre = (p + z^2 / 2n) / (1 + z^2 / n)
 *   half   = z / (1 + z^2 / n) * sqrt(p (1 - p) / n + z^2 / 4n^2)
 */
#include "codec.h"

#include <math.h>
#include <stdlib.h>

#include "kpi/common.h"

/* ---- version ------------------------------------------------------------ */

#define KPI__STR2(x) #x
#define KPI__STR(x) KPI__STR2(x)

KPI_API uint32_t kpi_version_number(void) { return KPI_VERSION_NUMBER; }

KPI_API const char *kpi_version_string(void)
{
    return KPI__STR(KPI_VERSION_MAJOR) "." KPI__STR(
        KPI_VERSION_MINOR) "." KPI__STR(KPI_VERSION_PATCH);
}

/* ---- status codes ------------------------------------------------------- */

static const struct {
    const char *name;
    const char *text;
} status_table[] = {
    /* index = -status */
    {"KPI_OK", "success"},
    {"KPI_ERR_INVALID", "invalid argument (NULL pointer or malformed value)"},
    {"KPI_ERR_RANGE", "value out of range"},
    {"KPI_ERR_NOMEM", "out of memory"},
    {"KPI_ERR_EMPTY", "no data yet"},
    {"KPI_ERR_INCOMPATIBLE", "objects are configured differently"},
    {"KPI_ERR_CORRUPT", "not a valid libkpi state (foreign or corrupt bytes)"},
    {"KPI_ERR_VERSION", "unsupported state format version"},
    {"KPI_ERR_BUFFER", "buffer too small"},
    {"KPI_ERR_ORDER", "event out of order (time went backwards)"},
    {"KPI_ERR_UNKNOWN_ID", "unknown id"},
    {"KPI_ERR_DUPLICATE", "duplicate id or entry"},
    {"KPI_ERR_TRUNCATED", "state bytes are truncated"},
    {"KPI_ERR_TYPE", "of another type than the call needs (state bytes, metric or prototype)"},
    {"KPI_ERR_STATE", "operation not allowed in the current state"},
    {"KPI_ERR_LIMIT", "capacity limit reached"},
    {"KPI_ERR_OVERFLOW", "counter would overflow"},
};

#define STATUS_COUNT (sizeof status_table / sizeof status_table[0])

/* A known code: 0 down to -(STATUS_COUNT - 1), compared as int (negating
 * INT_MIN, even as a long, overflows where long has 32 bits). */
static bool status_known(int status)
{
    return status <= 0 && status > -(int)STATUS_COUNT;
}

KPI_API const char *kpi_strerror(int status)
{
    if (!status_known(status))
        return "unknown libkpi status";
    return status_table[-status].text;
}

KPI_API const char *kpi_status_name(int status)
{
    if (!status_known(status))
        return "KPI_ERR_UNKNOWN";
    return status_table[-status].name;
}

KPI_API int kpi_status_last(void) { return -(int)(STATUS_COUNT - 1); }

/* ---- allocators --------------------------------------------------------- */

static void *std_malloc(void *opaque, size_t n)
{
    (void)opaque;
    return malloc(n);
}
static void *std_realloc(void *opaque, void *p, size_t n)
{
    (void)opaque;
    return realloc(p, n);
}
static void std_free(void *opaque, void *p)
{
    (void)opaque;
    free(p);
}

int kpi__allocator_resolve(const kpi_allocator *in, kpi_allocator *out)
{
    if (in == NULL) {
        out->malloc_fn = std_malloc;
        out->realloc_fn = std_realloc;
        out->free_fn = std_free;
        out->opaque = NULL;
        return KPI_OK;
    }
    if (in->malloc_fn == NULL || in->realloc_fn == NULL || in->free_fn == NULL)
        return KPI_ERR_INVALID;
    *out = *in;
    return KPI_OK;
}

void *kpi__calloc(const kpi_allocator *a, size_t count, size_t size)
{
    if (size && count > SIZE_MAX / size)
        return NULL;
    void *p = kpi__malloc(a, count * size);
    if (p)
        memset(p, 0, count * size);
    return p;
}

/* ---- sorting (internal.h: kpi__sort) ------------------------------------ */

typedef int (*sort_cmp)(const void *, const void *);

/* Exchange two elements of `size` bytes, a word at a time. */
static void sort_swap(unsigned char *a, unsigned char *b, size_t size)
{
    if (a == b)
        return;
    for (; size >= 8; size -= 8, a += 8, b += 8) {
        uint64_t x, y;
        memcpy(&x, a, 8);
        memcpy(&y, b, 8);
        memcpy(a, &y, 8);
        memcpy(b, &x, 8);
    }
    for (; size > 0; size--, a++, b++) {
        unsigned char t = *a;
        *a = *b;
        *b = t;
    }
}

static void insertion_sort(unsigned char *v, size_t n, size_t size, sort_cmp cmp)
{
    for (size_t i = 1; i < n; i++)
        for (size_t j = i; j > 0 && cmp(v + (j - 1) * size, v + j * size) > 0; j--)
            sort_swap(v + (j - 1) * size, v + j * size, size);
}

/* Move element i down the max-heap v[0, n) to its place. */
static void sift_down(unsigned char *v, size_t i, size_t n, size_t size, sort_cmp cmp)
{
    for (size_t k; (k = 2 * i + 1) < n; i = k) {
        if (k + 1 < n && cmp(v + k * size, v + (k + 1) * size) < 0)
            k++;
        if (cmp(v + i * size, v + k * size) >= 0)
            return;
        sort_swap(v + i * size, v + k * size, size);
    }
}

static void heap_sort(unsigned char *v, size_t n, size_t size, sort_cmp cmp)
{
    for (size_t i = n / 2; i-- > 0;)
        sift_down(v, i, n, size, cmp);
    for (size_t m = n; m > 1;) {
        m--;
        sort_swap(v, v + m * size, size);
        sift_down(v, 0, m, size, cmp);
    }
}

#define SORT_SMALL 16

static void intro_sort(unsigned char *v, size_t n, size_t size, sort_cmp cmp,
                       unsigned depth)
{
    while (n > SORT_SMALL) {
        if (depth-- == 0) {
            heap_sort(v, n, size, cmp);
            return;
        }
        /* the median of the first, middle and last elements, ordered in
         * place, then moved to the front as the pivot: the last is then
         * >= the pivot, which bounds the scan from the left */
        unsigned char *a = v, *b = v + (n / 2) * size, *c = v + (n - 1) * size;
        if (cmp(b, a) < 0)
            sort_swap(a, b, size);
        if (cmp(c, b) < 0) {
            sort_swap(b, c, size);
            if (cmp(b, a) < 0)
                sort_swap(a, b, size);
        }
        sort_swap(v, b, size);
        /* Hoare's partition; both scans stop on elements equal to the
         * pivot, so that runs of equal keys split in the middle */
        size_t i = 0, j = n;
        for (;;) {
            do
                i++;
            while (i < n && cmp(v + i * size, v) < 0);
            do
                j--;
            while (cmp(v + j * size, v) > 0);
            if (i >= j)
                break;
            sort_swap(v + i * size, v + j * size, size);
        }
        sort_swap(v, v + j * size, size);
        /* [0, j) <= pivot at j <= (j, n): the smaller side recursively,
         * the larger one in this loop (O(log n) frames) */
        size_t left = j, right = n - j - 1;
        if (left < right) {
            intro_sort(v, left, size, cmp, depth);
            v += (j + 1) * size;
            n = right;
        } else {
            intro_sort(v + (j + 1) * size, right, size, cmp, depth);
            n = left;
        }
    }
    insertion_sort(v, n, size, cmp);
}

void kpi__sort(void *base, size_t n, size_t size, int (*cmp)(const void *, const void *))
{
    if (n < 2 || size == 0)
        return;
    unsigned depth = 0;
    for (size_t m = n; m > 1; m >>= 1)
        depth += 2;
    intro_sort(base, n, size, cmp, depth);
}

int kpi__object_new(const kpi__type *type, size_t size,
                    const kpi_allocator *alloc, void **out)
{
    kpi_allocator a;
    if (out == NULL || kpi__allocator_resolve(alloc, &a) != KPI_OK)
        return KPI_ERR_INVALID;
    kpi__object *o = kpi__calloc(&a, 1, size);
    if (o == NULL)
        return KPI_ERR_NOMEM;
    o->type = type;
    o->alloc = a;
    *out = o;
    return KPI_OK;
}

void kpi__object_free(void *obj)
{
    if (obj == NULL)
        return;
    kpi_allocator a = ((kpi__object *)obj)->alloc;
    kpi__free(&a, obj);
}

/* ---- generic verbs ------------------------------------------------------ */

int kpi__serialize(const void *obj, void *buf, size_t cap, size_t *len)
{
    if (obj == NULL || len == NULL)
        return KPI_ERR_INVALID;
    return kpi__encode_state(obj, buf, cap, len);
}

int kpi__deserialize(const kpi__type *type, const void *buf, size_t len,
                     const kpi_allocator *alloc, void **out)
{
    kpi_allocator a;
    if (out == NULL || buf == NULL || kpi__allocator_resolve(alloc, &a) != KPI_OK)
        return KPI_ERR_INVALID;
    kpi__reader r;
    int rc = kpi__reader_open(&r, buf, len, type->tag);
    if (rc != KPI_OK)
        return rc;
    void *obj = NULL;
    rc = type->decode(&r, &a, &obj);
    if (rc == KPI_OK)
        rc = kpi__reader_close(&r);
    if (rc != KPI_OK) {
        if (obj != NULL)
            type->destroy(obj);
        return rc;
    }
    *out = obj;
    return KPI_OK;
}

int kpi__merge(const kpi__type *type, void *dst, const void *src)
{
    if (!kpi__is(dst, type) || !kpi__is(src, type))
        return KPI_ERR_INVALID;
    if (dst == src) {
        /* merging an object with itself doubles it: merge from a copy so
         * the source does not change under the merge */
        void *copy = NULL;
        int rc = type->clone(src, &copy);
        if (rc != KPI_OK)
            return rc;
        rc = type->merge(dst, copy);
        type->destroy(copy);
        return rc;
    }
    return type->merge(dst, src);
}

int kpi__clone(const kpi__type *type, const void *src, void **out)
{
    if (!kpi__is(src, type) || out == NULL)
        return KPI_ERR_INVALID;
    return type->clone(src, out);
}

void kpi__destroy(void *obj)
{
    if (obj != NULL)
        ((kpi__object *)obj)->type->destroy(obj);
}

void kpi__release(void *obj)
{
    if (obj != NULL && !kpi__is_member(obj))
        kpi__destroy(obj);
}

/* ---- numerics ----------------------------------------------------------- */

void kpi__wilson(uint64_t successes, uint64_t trials, kpi_estimate *out)
{
    const double z = KPI__Z95, z2 = z * z;
    double n = (double)trials;
    double p = (double)successes / n;
    double denom = 1.0 + z2 / n;
    double centre = (p + z2 / (2.0 * n)) / denom;
    double half = z / denom * sqrt(p * (1.0 - p) / n + z2 / (4.0 * n * n));
    out->value = p;
    out->lower = centre - half;
    out->upper = centre + half;
    /* exact bounds at the extremes, free of rounding */
    if (successes == 0)
        out->lower = 0.0;
    if (successes == trials)
        out->upper = 1.0;
    if (out->lower < 0.0)
        out->lower = 0.0;
    if (out->upper > 1.0)
        out->upper = 1.0;
    /* the interval holds the share; near 2^53 trials and beyond, rounding
     * can push a bound past it (a share of 1 - 1e-19 reads as 1.0, and
     * the upper bound computed just below) */
    if (out->lower > p)
        out->lower = p;
    if (out->upper < p)
        out->upper = p;
    out->n = trials;
}

KPI_API int kpi_wilson_interval(uint64_t successes, uint64_t trials,
                                kpi_estimate *out)
{
    if (out == NULL)
        return KPI_ERR_INVALID;
    if (trials == 0)
        return KPI_ERR_EMPTY;
    if (successes > trials)
        return KPI_ERR_RANGE;
    kpi__wilson(successes, trials, out);
    return KPI_OK;
}

/* A simple, portable 64-bit string hash: 8-byte little-endian words mixed
 * through the splitmix64 finalizer.  Stable by construction (no
 * endianness or alignment dependence), which serialized sketches need. */
uint64_t kpi__hash_bytes(const void *data, size_t len, uint64_t seed)
{
    const uint8_t *p = data;
    uint64_t h = kpi__mix64(seed ^ (UINT64_C(0x9E3779B97F4A7C15) * (len + 1)));
    while (len >= 8) {
        uint64_t w = 0;
        for (int i = 0; i < 8; i++)
            w |= (uint64_t)p[i] << (8 * i);
        h = kpi__mix64(h ^ w) + UINT64_C(0x9E3779B97F4A7C15);
        p += 8;
        len -= 8;
    }
    uint64_t w = 0;
    for (size_t i = 0; i < len; i++)
        w |= (uint64_t)p[i] << (8 * i);
    return kpi__mix64(h ^ w ^ ((uint64_t)len << 56));
}
