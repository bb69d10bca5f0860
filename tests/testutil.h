/*
 * Helpers shared by the Check suites: a counting (and optionally failing)
 * allocator, golden-file access, a deterministic random generator, and the
 * main() every suite uses.
 * SPDX-License-Identifier: MIT
 */
#ifndef KPI_TESTUTIL_H
#define KPI_TESTUTIL_H

#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kpi/common.h"

/* ---- counting allocator ------------------------------------------------- */

typedef struct test_alloc {
    long mallocs;  /* successful malloc_fn calls */
    long reallocs; /* successful realloc_fn calls */
    long frees;    /* free_fn calls */
    long live;     /* blocks currently allocated */
    long calls;    /* malloc_fn + realloc_fn calls, failed or not */
    long fail_at;  /* fail the call whose 1-based number is this; 0 = never */
} test_alloc;

static inline void *test_malloc(void *opaque, size_t n)
{
    test_alloc *t = opaque;
    if (++t->calls == t->fail_at)
        return NULL;
    void *p = malloc(n);
    if (p) {
        t->mallocs++;
        t->live++;
    }
    return p;
}

static inline void *test_realloc(void *opaque, void *ptr, size_t n)
{
    test_alloc *t = opaque;
    if (++t->calls == t->fail_at)
        return NULL;
    void *p = realloc(ptr, n);
    if (p) {
        t->reallocs++;
        if (ptr == NULL)
            t->live++;
    }
    return p;
}

static inline void test_free(void *opaque, void *ptr)
{
    test_alloc *t = opaque;
    t->frees++;
    t->live--;
    free(ptr);
}

/* An allocator that counts into *t (zeroed here). */
static inline kpi_allocator test_allocator(test_alloc *t)
{
    memset(t, 0, sizeof *t);
    kpi_allocator a = {test_malloc, test_realloc, test_free, t};
    return a;
}

/* ---- deterministic random numbers (xoshiro-style splitmix) ------------- */

typedef struct test_rng {
    uint64_t s;
} test_rng;

static inline uint64_t test_rand(test_rng *r)
{
    uint64_t z = (r->s += UINT64_C(0x9E3779B97F4A7C15));
    z = (z ^ (z >> 30)) * UINT64_C(0xBF58476D1CE4E5B9);
    z = (z ^ (z >> 27)) * UINT64_C(0x94D049BB133111EB);
    return z ^ (z >> 31);
}

/* Uniform in [0, 1). */
static inline double test_uniform(test_rng *r)
{
    return (double)(test_rand(r) >> 11) * 0x1.0p-53;
}

/* Uniform integer in [lo, hi]. */
static inline int64_t test_range(test_rng *r, int64_t lo, int64_t hi)
{
    return lo + (int64_t)(test_rand(r) % (uint64_t)(hi - lo + 1));
}

/* ---- golden files ------------------------------------------------------- */

/* Path of tests/data/<name> in the source tree (top_srcdir from the test
 * environment, or the current directory). */
static inline const char *test_data_path(const char *name)
{
    static char path[4096];
    const char *top = getenv("top_srcdir");
    snprintf(path, sizeof path, "%s/tests/data/%s", top ? top : ".", name);
    return path;
}

/* Read a whole file; returns a malloc'd buffer (caller frees) or NULL. */
static inline unsigned char *test_read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    size_t cap = 4096, n = 0;
    unsigned char *buf = malloc(cap);
    size_t got;
    while (buf && (got = fread(buf + n, 1, cap - n, f)) > 0) {
        n += got;
        if (n == cap) {
            unsigned char *nb = realloc(buf, cap *= 2);
            if (!nb) {
                free(buf);
                buf = NULL;
            }
            buf = nb;
        }
    }
    fclose(f);
    *len = n;
    return buf;
}

/* With KPI_WRITE_GOLDEN set (only ever on purpose: a new format version
 * adds new files and keeps the old), write bytes as tests/data/<name>. */
static inline void test_write_golden(const char *name, const void *b, size_t len)
{
    if (!getenv("KPI_WRITE_GOLDEN"))
        return;
    FILE *f = fopen(test_data_path(name), "wb");
    ck_assert_ptr_nonnull(f);
    ck_assert_uint_eq(fwrite(b, 1, len, f), len);
    fclose(f);
}

/* ---- forged states ------------------------------------------------------ */

/* CRC-32C (the state codec's checksum), bit by bit. */
static inline uint32_t test_crc32c(const unsigned char *p, size_t n)
{
    uint32_t c = 0xFFFFFFFFu;
    for (size_t i = 0; i < n; i++) {
        c ^= p[i];
        for (int k = 0; k < 8; k++)
            c = (c >> 1) ^ (0x82F63B78u & (0u - (c & 1u)));
    }
    return ~c;
}

/* Make a state of len bytes whose body was edited valid again: its body
 * length (bytes 8..11) and its checksum (the last 4 bytes). */
static inline void test_reseal(unsigned char *f, size_t len)
{
    uint32_t body = (uint32_t)(len - 16), crc;
    for (int k = 0; k < 4; k++)
        f[8 + k] = (unsigned char)(body >> (8 * k));
    crc = test_crc32c(f, len - 4);
    for (int k = 0; k < 4; k++)
        f[len - 4 + k] = (unsigned char)(crc >> (8 * k));
}

/* A double written into / read from a state's bytes, which are
 * little-endian on every platform (docs/format.md): a native memcpy would
 * poke the wrong bytes on a big-endian machine. */
static inline void test_put_f64(unsigned char *p, double x)
{
    uint64_t u;
    memcpy(&u, &x, 8);
    for (int k = 0; k < 8; k++)
        p[k] = (unsigned char)(u >> (8 * k));
}

static inline double test_get_f64(const unsigned char *p)
{
    uint64_t u = 0;
    for (int k = 0; k < 8; k++)
        u |= (uint64_t)p[k] << (8 * k);
    double x;
    memcpy(&x, &u, 8);
    return x;
}

/* ---- assertions --------------------------------------------------------- */

/* ---- vector registers' upper halves (x86-64) ----------------------------
 * After a SIMD kernel returns, the upper halves of ymm/zmm 0-15 must be
 * clean (vzeroupper): dirty ones slow every later SSE instruction, the
 * host's too.  XGETBV(1) reads which state is in use (XINUSE: bit 2 the
 * upper 128 bits of ymm0-15, bit 6 the upper 256 of zmm0-15).
 * test_upper_clear() cleans them before a call; test_upper_dirty() is 1 if
 * they are in use, 0 if not, -1 where XINUSE cannot be read. */
#if defined(__GNUC__) && defined(__x86_64__)
#include <cpuid.h>
static inline int test_xinuse_readable(void)
{
    unsigned a, b, c, d;
    if (!__get_cpuid(1, &a, &b, &c, &d) || !(c & (1u << 27)) || !(c & (1u << 28)))
        return 0; /* no OSXSAVE or no AVX */
    if (__get_cpuid_max(0, NULL) < 0xd)
        return 0;
    __cpuid_count(0xd, 1, a, b, c, d);
    return (a >> 2) & 1; /* XGETBV with ECX = 1 */
}
static inline void test_upper_clear(void)
{
    if (test_xinuse_readable())
        __asm__ volatile("vzeroupper" ::: "memory");
}
static inline int test_upper_dirty(void)
{
    if (!test_xinuse_readable())
        return -1;
    unsigned lo, hi;
    __asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(1u));
    (void)hi;
    return (lo & ((1u << 2) | (1u << 6))) != 0;
}
#else
static inline void test_upper_clear(void) {}
static inline int test_upper_dirty(void) { return -1; }
#endif

#define ck_assert_status(expr, want)                                         \
    do {                                                                     \
        int got_ = (expr);                                                   \
        ck_assert_msg(got_ == (want), "%s returned %s (%d), expected %s",    \
                      #expr, kpi_status_name(got_), got_,                    \
                      kpi_status_name(want));                                \
    } while (0)

#define ck_assert_ok(expr) ck_assert_status(expr, KPI_OK)

#define ck_assert_near(a, b, tol)                                            \
    do {                                                                     \
        double a_ = (a), b_ = (b);                                           \
        ck_assert_msg(fabs(a_ - b_) <= (tol), "%s = %.10g, expected %.10g"   \
                      " (tolerance %g)", #a, a_, b_, (double)(tol));         \
    } while (0)

/* ---- object states -----------------------------------------------------
 * TEST_STATE_HELPERS(name, type, serialize) defines, for one libkpi type:
 *   unsigned char *name_bytes(const type *o, size_t *len)
 *       the object's serialized state in a malloc'd buffer;
 *   void name_same(const type *a, const type *b)
 *       asserts two objects have identical states (same bytes);
 *   void name_unchanged(const type *o, const unsigned char *before, size_t len)
 *       asserts the object's state is still `before` (a failed call
 *       changed nothing). */
/* helpers a suite may leave unused (clang's -Wunused-function also warns
 * about static inline functions expanded in the .c file itself) */
#if defined(__GNUC__)
#define TEST_MAYBE_UNUSED __attribute__((unused))
#else
#define TEST_MAYBE_UNUSED
#endif

#define TEST_STATE_HELPERS(name, type, serialize)                            \
    TEST_MAYBE_UNUSED static inline unsigned char *name##_bytes(             \
        const type *o, size_t *len)                                          \
    {                                                                        \
        ck_assert_ok(serialize(o, NULL, 0, len));                            \
        unsigned char *b_ = malloc(*len);                                    \
        ck_assert_ptr_nonnull(b_);                                           \
        ck_assert_ok(serialize(o, b_, *len, len));                           \
        return b_;                                                           \
    }                                                                        \
    TEST_MAYBE_UNUSED static inline void name##_unchanged(const type *o,     \
                                        const unsigned char *before,         \
                                        size_t len)                          \
    {                                                                        \
        size_t l_;                                                           \
        unsigned char *now_ = name##_bytes(o, &l_);                          \
        ck_assert_uint_eq(len, l_);                                          \
        ck_assert_msg(memcmp(before, now_, len) == 0, "state changed");      \
        free(now_);                                                          \
    }                                                                        \
    TEST_MAYBE_UNUSED static inline void name##_same(const type *a,          \
                                                     const type *b)          \
    {                                                                        \
        size_t la_;                                                          \
        unsigned char *x_ = name##_bytes(a, &la_);                           \
        name##_unchanged(b, x_, la_);                                        \
        free(x_);                                                            \
    }

/* name##_reread(o): o serialized and read back (both must succeed): a
 * new object the caller frees.  Needs name##_bytes (TEST_STATE_HELPERS). */
#define TEST_REREAD_HELPER(name, type, deserialize)                          \
    TEST_MAYBE_UNUSED static inline type *name##_reread(const type *o)       \
    {                                                                        \
        size_t l_;                                                           \
        unsigned char *b_ = name##_bytes(o, &l_);                            \
        type *d_ = NULL;                                                     \
        ck_assert_ok(deserialize(&d_, b_, l_));                              \
        free(b_);                                                            \
        return d_;                                                           \
    }

/* name##_forged(o, at, bad, good): o's state with byte `at` (header
 * included) set to `bad` and resealed is KPI_ERR_CORRUPT and makes no
 * object; set to `good` and resealed it reads back, as o when `good` is
 * the byte o wrote there.  Returns that byte.  Needs name##_bytes and
 * name##_same (TEST_STATE_HELPERS). */
#define TEST_FORGE_HELPER(name, type, deserialize, free_fn)                  \
    static inline unsigned char name##_forged(const type *o, size_t at,      \
                                              unsigned char bad,             \
                                              unsigned char good)            \
    {                                                                        \
        size_t l_;                                                           \
        unsigned char *b_ = name##_bytes(o, &l_);                            \
        unsigned char was_ = b_[at];                                         \
        type *d_ = NULL;                                                     \
        b_[at] = bad;                                                        \
        test_reseal(b_, l_);                                                 \
        ck_assert_status(deserialize(&d_, b_, l_), KPI_ERR_CORRUPT);         \
        ck_assert_ptr_null(d_);                                              \
        b_[at] = good;                                                       \
        test_reseal(b_, l_);                                                 \
        ck_assert_ok(deserialize(&d_, b_, l_));                              \
        if (good == was_)                                                    \
            name##_same(d_, o);                                              \
        free_fn(d_);                                                         \
        free(b_);                                                            \
        return was_;                                                         \
    }

/* ---- documented errors of the state verbs ------------------------------
 * TEST_STATE_ERRORS_HELPER(name, type, serialize, deserialize,
 * deserialize_with, free_fn) defines
 *   void name##_state_errors(const type *o)
 * which asserts, for o's state, every error the headers name for
 * serialize, deserialize and deserialize_with: #KPI_ERR_INVALID (NULL
 * object, length, output or bytes; an allocator with a NULL function),
 * #KPI_ERR_BUFFER (one byte short: the size is still reported and nothing
 * is written past cap), #KPI_ERR_TRUNCATED (a cut state), #KPI_ERR_CORRUPT
 * (foreign magic, a failing checksum), #KPI_ERR_VERSION (a format from the
 * future), #KPI_ERR_TYPE (the state resealed under another type's tag) and
 * #KPI_ERR_NOMEM (the first allocation fails).  No failed call hands out an
 * object or leaks, o is unchanged, and its bytes still read back as o.
 * Needs name##_bytes and name##_same (TEST_STATE_HELPERS). */
#define TEST_STATE_ERRORS_HELPER(name, type, serialize, deserialize,         \
                                 deserialize_with, free_fn)                  \
    TEST_MAYBE_UNUSED static void name##_state_errors(const type *o)         \
    {                                                                        \
        size_t l_, need_ = 0;                                                \
        unsigned char *b_ = name##_bytes(o, &l_);                            \
        unsigned char *c_ = malloc(l_);                                      \
        ck_assert_ptr_nonnull(c_);                                           \
        type *d_ = NULL;                                                     \
        test_alloc t_;                                                       \
        kpi_allocator a_ = test_allocator(&t_);                              \
        kpi_allocator bad_ = a_;                                             \
        bad_.realloc_fn = NULL;                                              \
        /* serialize */                                                      \
        ck_assert_status(serialize(NULL, c_, l_, &need_), KPI_ERR_INVALID);  \
        ck_assert_status(serialize(o, c_, l_, NULL), KPI_ERR_INVALID);       \
        memset(c_, 0xA5, l_);                                                \
        ck_assert_status(serialize(o, c_, l_ - 1, &need_), KPI_ERR_BUFFER);  \
        ck_assert_uint_eq(need_, l_);                                        \
        ck_assert_uint_eq(c_[l_ - 1], 0xA5);                                 \
        /* deserialize: every fault by both calls */                         \
        for (int w_ = 0; w_ < 2; w_++) {                                     \
            ck_assert_status(w_ ? deserialize_with(NULL, b_, l_, &a_)        \
                                : deserialize(NULL, b_, l_),                 \
                             KPI_ERR_INVALID);                               \
            ck_assert_status(w_ ? deserialize_with(&d_, NULL, l_, &a_)       \
                                : deserialize(&d_, NULL, l_),                \
                             KPI_ERR_INVALID);                               \
            ck_assert_status(w_ ? deserialize_with(&d_, b_, l_ - 1, &a_)     \
                                : deserialize(&d_, b_, l_ - 1),              \
                             KPI_ERR_TRUNCATED);                             \
            ck_assert_status(w_ ? deserialize_with(&d_, b_, 12, &a_)         \
                                : deserialize(&d_, b_, 12),                  \
                             KPI_ERR_TRUNCATED);                             \
            memcpy(c_, b_, l_);                                              \
            c_[0] = 'K';                                                     \
            ck_assert_status(w_ ? deserialize_with(&d_, c_, l_, &a_)         \
                                : deserialize(&d_, c_, l_),                  \
                             KPI_ERR_CORRUPT);                               \
            memcpy(c_, b_, l_);                                              \
            c_[l_ - 5] ^= 0x40; /* the body's last byte, checksum kept */    \
            ck_assert_status(w_ ? deserialize_with(&d_, c_, l_, &a_)         \
                                : deserialize(&d_, c_, l_),                  \
                             KPI_ERR_CORRUPT);                               \
            memcpy(c_, b_, l_);                                              \
            c_[4] = 0xFF;                                                    \
            c_[5] = 0x7F;                                                    \
            test_reseal(c_, l_);                                             \
            ck_assert_status(w_ ? deserialize_with(&d_, c_, l_, &a_)         \
                                : deserialize(&d_, c_, l_),                  \
                             KPI_ERR_VERSION);                               \
            memcpy(c_, b_, l_);                                              \
            c_[6] ^= 1; /* the type tag: another type's */                   \
            test_reseal(c_, l_);                                             \
            ck_assert_status(w_ ? deserialize_with(&d_, c_, l_, &a_)         \
                                : deserialize(&d_, c_, l_),                  \
                             KPI_ERR_TYPE);                                  \
            ck_assert_ptr_null(d_);                                          \
        }                                                                    \
        ck_assert_status(deserialize_with(&d_, b_, l_, &bad_),               \
                         KPI_ERR_INVALID);                                   \
        t_.fail_at = 1;                                                      \
        ck_assert_status(deserialize_with(&d_, b_, l_, &a_), KPI_ERR_NOMEM); \
        ck_assert_ptr_null(d_);                                              \
        ck_assert_int_eq(t_.live, 0);                                        \
        t_.fail_at = 0;                                                      \
        name##_unchanged(o, b_, l_);                                         \
        ck_assert_ok(deserialize_with(&d_, b_, l_, &a_));                    \
        name##_same(d_, o);                                                  \
        free_fn(d_);                                                         \
        ck_assert_int_eq(t_.live, 0);                                        \
        free(c_);                                                            \
        free(b_);                                                            \
    }

/* ---- main --------------------------------------------------------------- */

#define KPI_TEST_MAIN(make_suite)                                            \
    int main(void)                                                           \
    {                                                                        \
        SRunner *sr = srunner_create(make_suite());                          \
        srunner_run_all(sr, CK_NORMAL);                                      \
        int failed = srunner_ntests_failed(sr);                              \
        srunner_free(sr);                                                    \
        return failed ? EXIT_FAILURE : EXIT_SUCCESS;                         \
    }

#endif /* KPI_TESTUTIL_H */
