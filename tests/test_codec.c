/*
 * The portable state codec and the generic object verbs, exercised through
 * a small accumulator type defined here ("bag": a configured scale and a
 * growable array of values), and the library's one sort (kpi__sort, in
 * lib/common.c beside the verbs).  Links libkpicore to see the kpi__
 * helpers.
 * SPDX-License-Identifier: MIT
 */
#include "codec.h"
#include "kpi/rate.h"
#include "kpi/score.h"
#include "testutil.h"

/* ---- a minimal accumulator implementing kpi__type ----------------------- */

typedef struct bag {
    kpi__object base;
    int64_t scale; /* configuration: merge needs equal scales */
    int64_t *v;
    size_t n, cap;
} bag;

static const kpi__type bag_type;

static int bag_new(bag **out, int64_t scale, const kpi_allocator *a)
{
    void *o;
    int rc = kpi__object_new(&bag_type, sizeof(bag), a, &o);
    if (rc != KPI_OK)
        return rc;
    ((bag *)o)->scale = scale;
    *out = o;
    return KPI_OK;
}

static int bag_reserve(bag *b, size_t want)
{
    if (want <= b->cap)
        return KPI_OK;
    size_t cap = b->cap ? b->cap * 2 : 4;
    while (cap < want)
        cap *= 2;
    int64_t *nv = kpi__realloc(&b->base.alloc, b->v, cap * sizeof *nv);
    if (nv == NULL)
        return KPI_ERR_NOMEM;
    b->v = nv;
    b->cap = cap;
    return KPI_OK;
}

static int bag_add(bag *b, int64_t x)
{
    int rc = bag_reserve(b, b->n + 1);
    if (rc == KPI_OK)
        b->v[b->n++] = x;
    return rc;
}

static void bag_destroy(void *obj)
{
    bag *b = obj;
    kpi__free(&b->base.alloc, b->v);
    kpi__object_free(b);
}

static int bag_clone(const void *src, void **out)
{
    const bag *s = src;
    bag *b = NULL;
    int rc = bag_new(&b, s->scale, &s->base.alloc);
    if (rc == KPI_OK && (rc = bag_reserve(b, s->n)) == KPI_OK) {
        if (s->n)
            memcpy(b->v, s->v, s->n * sizeof *b->v);
        b->n = s->n;
        *out = b;
        return KPI_OK;
    }
    if (rc != KPI_OK && b != NULL)
        bag_destroy(b);
    return rc;
}

static void bag_reset(void *obj) { ((bag *)obj)->n = 0; }

static int bag_merge(void *dst, const void *src)
{
    bag *d = dst;
    const bag *s = src;
    if (d->scale != s->scale)
        return KPI_ERR_INCOMPATIBLE;
    int rc = bag_reserve(d, d->n + s->n);
    if (rc != KPI_OK)
        return rc;
    if (s->n)
        memcpy(d->v + d->n, s->v, s->n * sizeof *d->v);
    d->n += s->n;
    return KPI_OK;
}

static void bag_encode(const void *obj, kpi__writer *w)
{
    const bag *b = obj;
    kpi__put_svarint(w, b->scale);
    kpi__put_varint(w, b->n);
    for (size_t i = 0; i < b->n; i++)
        kpi__put_svarint(w, b->v[i]);
}

static int bag_decode(kpi__reader *r, const kpi_allocator *a, void **out)
{
    int64_t scale = kpi__get_svarint(r);
    size_t n = kpi__get_count(r, SIZE_MAX / 8, 1);
    if (r->err)
        return r->err;
    bag *b;
    int rc = bag_new(&b, scale, a);
    if (rc != KPI_OK)
        return rc;
    if ((rc = bag_reserve(b, n)) != KPI_OK) {
        bag_destroy(b);
        return rc;
    }
    for (size_t i = 0; i < n; i++)
        b->v[i] = kpi__get_svarint(r);
    b->n = n;
    if (r->err) {
        bag_destroy(b);
        return r->err;
    }
    *out = b;
    return KPI_OK;
}

static size_t bag_footprint(const void *obj)
{
    return sizeof(bag) + ((const bag *)obj)->cap * sizeof(int64_t);
}

static const kpi__type bag_type = {
    KPI__TAG_TEST, "bag",      bag_clone,  bag_destroy,  bag_reset,
    bag_merge,     bag_encode, bag_decode, bag_footprint};

/* A second type with another tag, to check type confusion is caught. */
static const kpi__type other_type = {
    KPI__TAG_SCORE, "other",   bag_clone,  bag_destroy,  bag_reset,
    bag_merge,      bag_encode, bag_decode, bag_footprint};

/* A bag with a few values, serialized into a fresh malloc'd buffer. */
static unsigned char *sample_state(size_t *len)
{
    bag *b;
    ck_assert_ok(bag_new(&b, 7, NULL));
    const int64_t vals[] = {0, 1, -1, 127, 128, -300, INT64_MAX, INT64_MIN};
    for (size_t i = 0; i < sizeof vals / sizeof vals[0]; i++)
        ck_assert_ok(bag_add(b, vals[i]));
    ck_assert_ok(kpi__serialize(b, NULL, 0, len));
    unsigned char *buf = malloc(*len);
    size_t len2;
    ck_assert_ok(kpi__serialize(b, buf, *len, &len2));
    ck_assert_uint_eq(*len, len2);
    bag_destroy(b);
    return buf;
}

/* ---- tests -------------------------------------------------------------- */

START_TEST(crc32c_matches_the_standard_check_value)
{
    /* the CRC catalogue's check value for CRC-32C over "123456789" */
    ck_assert_uint_eq(kpi__crc32c("123456789", 9), 0xE3069283u);
    ck_assert_uint_eq(kpi__crc32c("", 0), 0u);
    ck_assert_uint_eq(kpi__crc32c_bytewise("123456789", 9), 0xE3069283u);
    ck_assert_uint_eq(kpi__crc32c_bytewise("", 0), 0u);
}
END_TEST

/* The checksum the library uses (the crc32 instruction where there is
 * one) equals the byte-wise table's on every length and alignment. */
START_TEST(crc32c_paths_agree)
{
    static unsigned char buf[4096 + 8];
    uint64_t x = 88172645463325252u;
    for (size_t i = 0; i < sizeof buf; i++) {
        x ^= x << 13, x ^= x >> 7, x ^= x << 17;
        buf[i] = (unsigned char)x;
    }
    for (size_t off = 0; off < 8; off++)
        for (size_t len = 0; len <= 300; len++)
            ck_assert_uint_eq(kpi__crc32c(buf + off, len), kpi__crc32c_bytewise(buf + off, len));
    ck_assert_uint_eq(kpi__crc32c(buf, 4096), kpi__crc32c_bytewise(buf, 4096));
    memset(buf, 0xFF, sizeof buf);
    ck_assert_uint_eq(kpi__crc32c(buf, 4103), kpi__crc32c_bytewise(buf, 4103));
}
END_TEST

START_TEST(primitives_round_trip)
{
    unsigned char buf[256];
    kpi__writer w = {buf, sizeof buf, 0};
    const uint64_t varints[] = {0, 1, 127, 128, 16383, 16384, UINT64_MAX};
    const int64_t svarints[] = {0, -1, 1, -64, 64, INT64_MIN, INT64_MAX};
    kpi__put_u8(&w, 0xAB);
    kpi__put_u16(&w, 0xBEEF);
    kpi__put_u32(&w, 0xDEADBEEFu);
    kpi__put_u64(&w, UINT64_C(0x0123456789ABCDEF));
    kpi__put_i64(&w, -42);
    kpi__put_f64(&w, -0.15625);
    for (size_t i = 0; i < 7; i++)
        kpi__put_varint(&w, varints[i]);
    for (size_t i = 0; i < 7; i++)
        kpi__put_svarint(&w, svarints[i]);
    kpi__put_blob(&w, "hello", 5);
    size_t mark = kpi__put_len_begin(&w);
    kpi__put_u32(&w, 99);
    kpi__put_len_end(&w, mark);
    ck_assert_uint_lt(w.pos, sizeof buf);
    /* little-endian on the wire, whatever the host */
    ck_assert_uint_eq(buf[1], 0xEF);
    ck_assert_uint_eq(buf[2], 0xBE);

    kpi__reader r = {buf, w.pos, 0, KPI_OK, 1, 0};
    ck_assert_uint_eq(kpi__get_u8(&r), 0xAB);
    ck_assert_uint_eq(kpi__get_u16(&r), 0xBEEF);
    ck_assert_uint_eq(kpi__get_u32(&r), 0xDEADBEEFu);
    ck_assert(kpi__get_u64(&r) == UINT64_C(0x0123456789ABCDEF));
    ck_assert(kpi__get_i64(&r) == -42);
    ck_assert(kpi__get_f64(&r) == -0.15625);
    for (size_t i = 0; i < 7; i++)
        ck_assert(kpi__get_varint(&r) == varints[i]);
    for (size_t i = 0; i < 7; i++)
        ck_assert(kpi__get_svarint(&r) == svarints[i]);
    size_t n;
    const uint8_t *s = kpi__get_blob(&r, 100, &n);
    ck_assert_uint_eq(n, 5);
    ck_assert(memcmp(s, "hello", 5) == 0);
    kpi__reader sub;
    kpi__get_nested(&r, &sub);
    ck_assert_uint_eq(sub.len, 4);
    ck_assert_uint_eq(kpi__get_u32(&sub), 99);
    ck_assert_ok(kpi__reader_close(&sub));
    ck_assert_ok(kpi__reader_close(&r));
}
END_TEST

START_TEST(reader_errors_are_sticky_and_never_read_past_the_end)
{
    const uint8_t buf[3] = {1, 2, 3};
    kpi__reader r = {buf, 3, 0, KPI_OK, 1, 0};
    ck_assert_uint_eq(kpi__get_u32(&r), 0);
    ck_assert_status(r.err, KPI_ERR_CORRUPT);
    ck_assert_uint_eq(kpi__get_u8(&r), 0); /* stays failed */
    ck_assert_status(kpi__reader_close(&r), KPI_ERR_CORRUPT);

    /* an unterminated varint, and an over-long one */
    const uint8_t bad1[2] = {0x80, 0x80};
    kpi__reader r1 = {bad1, 2, 0, KPI_OK, 1, 0};
    kpi__get_varint(&r1);
    ck_assert_status(r1.err, KPI_ERR_CORRUPT);
    const uint8_t bad2[10] = {0xFF, 0xFF, 0xFF, 0xFF, 0xFF,
                              0xFF, 0xFF, 0xFF, 0xFF, 0x7F};
    kpi__reader r2 = {bad2, 10, 0, KPI_OK, 1, 0};
    kpi__get_varint(&r2);
    ck_assert_status(r2.err, KPI_ERR_CORRUPT);

    /* non-finite doubles are refused where finiteness is required */
    unsigned char nan_buf[8];
    kpi__writer w = {nan_buf, 8, 0};
    kpi__put_f64(&w, NAN);
    kpi__reader r3 = {nan_buf, 8, 0, KPI_OK, 1, 0};
    kpi__get_finite(&r3);
    ck_assert_status(r3.err, KPI_ERR_CORRUPT);

    /* unconsumed bytes are an error at close */
    kpi__reader r4 = {buf, 3, 0, KPI_OK, 1, 0};
    kpi__get_u8(&r4);
    ck_assert_status(kpi__reader_close(&r4), KPI_ERR_CORRUPT);
}
END_TEST

START_TEST(counts_from_input_cannot_exceed_the_input)
{
    /* a forged count of a billion 8-byte elements in a 6-byte buffer */
    unsigned char buf[16];
    kpi__writer w = {buf, sizeof buf, 0};
    kpi__put_varint(&w, 1000000000);
    kpi__put_u16(&w, 0);
    kpi__reader r = {buf, w.pos, 0, KPI_OK, 1, 0};
    ck_assert_uint_eq(kpi__get_count(&r, SIZE_MAX, 8), 0);
    ck_assert_status(r.err, KPI_ERR_CORRUPT);
    /* and a count above the caller's maximum */
    kpi__reader r2 = {buf, w.pos, 0, KPI_OK, 1, 0};
    ck_assert_uint_eq(kpi__get_count(&r2, 10, 0), 0);
    ck_assert_status(r2.err, KPI_ERR_CORRUPT);
}
END_TEST

START_TEST(serialize_reports_size_and_refuses_small_buffers)
{
    bag *b;
    ck_assert_ok(bag_new(&b, 3, NULL));
    ck_assert_ok(bag_add(b, 5));
    size_t need = 0, len = 0;
    ck_assert_ok(kpi__serialize(b, NULL, 0, &need));
    /* 12 header + scale(1) + n(1) + value(1) + 4 checksum */
    ck_assert_uint_eq(need, 19);
    unsigned char buf[64];
    memset(buf, 0xEE, sizeof buf);
    ck_assert_status(kpi__serialize(b, buf, need - 1, &len), KPI_ERR_BUFFER);
    ck_assert_uint_eq(len, need);
    ck_assert_uint_eq(buf[need - 1], 0xEE); /* nothing written past cap */
    ck_assert_ok(kpi__serialize(b, buf, sizeof buf, &len));
    ck_assert_uint_eq(len, need);
    ck_assert(memcmp(buf, "kpiS", 4) == 0);
    ck_assert_status(kpi__serialize(NULL, buf, sizeof buf, &len), KPI_ERR_INVALID);
    ck_assert_status(kpi__serialize(b, buf, sizeof buf, NULL), KPI_ERR_INVALID);
    bag_destroy(b);
}
END_TEST

START_TEST(state_round_trips)
{
    size_t len;
    unsigned char *buf = sample_state(&len);
    bag *b;
    ck_assert_ok(kpi__deserialize(&bag_type, buf, len, NULL, (void **)&b));
    ck_assert_int_eq(b->scale, 7);
    ck_assert_uint_eq(b->n, 8);
    ck_assert(b->v[6] == INT64_MAX && b->v[7] == INT64_MIN && b->v[5] == -300);
    /* and re-serializes to the very same bytes */
    unsigned char again[128];
    size_t len2;
    ck_assert_ok(kpi__serialize(b, again, sizeof again, &len2));
    ck_assert_uint_eq(len2, len);
    ck_assert(memcmp(buf, again, len) == 0);
    bag_destroy(b);
    free(buf);
}
END_TEST

START_TEST(every_truncation_is_rejected)
{
    size_t len;
    unsigned char *buf = sample_state(&len);
    for (size_t cut = 0; cut < len; cut++) {
        void *out = NULL;
        int rc = kpi__deserialize(&bag_type, buf, cut, NULL, &out);
        ck_assert_msg(rc == KPI_ERR_TRUNCATED, "cut at %zu gave %s", cut,
                      kpi_status_name(rc));
        ck_assert_ptr_null(out);
    }
    free(buf);
}
END_TEST

START_TEST(every_bit_flip_is_rejected)
{
    size_t len;
    unsigned char *buf = sample_state(&len);
    for (size_t i = 0; i < len; i++) {
        for (int bit = 0; bit < 8; bit++) {
            buf[i] ^= (unsigned char)(1u << bit);
            void *out = NULL;
            int rc = kpi__deserialize(&bag_type, buf, len, NULL, &out);
            ck_assert_msg(rc < 0, "flip of bit %d in byte %zu was accepted", bit, i);
            ck_assert_ptr_null(out);
            buf[i] ^= (unsigned char)(1u << bit);
        }
    }
    free(buf);
}
END_TEST

START_TEST(foreign_bytes_and_other_types_are_named)
{
    void *out = NULL;
    const char png[] = "\x89PNG\r\n\x1a\n\0\0\0\rIHDR";
    ck_assert_status(kpi__deserialize(&bag_type, png, sizeof png, NULL, &out),
                     KPI_ERR_CORRUPT);
    ck_assert_status(kpi__deserialize(&bag_type, "kp", 2, NULL, &out),
                     KPI_ERR_TRUNCATED);
    ck_assert_status(kpi__deserialize(&bag_type, "xyz", 3, NULL, &out),
                     KPI_ERR_CORRUPT);
    ck_assert_status(kpi__deserialize(&bag_type, NULL, 10, NULL, &out),
                     KPI_ERR_INVALID);

    size_t len;
    unsigned char *buf = sample_state(&len);
    ck_assert_status(kpi__deserialize(&other_type, buf, len, NULL, &out),
                     KPI_ERR_TYPE);
    /* trailing garbage after a valid state */
    unsigned char *longer = malloc(len + 1);
    memcpy(longer, buf, len);
    longer[len] = 0;
    ck_assert_status(kpi__deserialize(&bag_type, longer, len + 1, NULL, &out),
                     KPI_ERR_CORRUPT);
    free(longer);
    ck_assert_ptr_null(out);
    free(buf);
}
END_TEST

START_TEST(newer_format_versions_are_refused_by_name)
{
    size_t len;
    unsigned char *buf = sample_state(&len);
    buf[4] = KPI__FORMAT_VERSION + 1;
    /* with a checksum made valid again, the version is what is wrong */
    uint32_t crc = kpi__crc32c(buf, len - 4);
    for (int i = 0; i < 4; i++)
        buf[len - 4 + i] = (unsigned char)(crc >> (8 * i));
    void *out = NULL;
    ck_assert_status(kpi__deserialize(&bag_type, buf, len, NULL, &out),
                     KPI_ERR_VERSION);
    buf[4] = 0;
    ck_assert_status(kpi__deserialize(&bag_type, buf, len, NULL, &out),
                     KPI_ERR_CORRUPT);
    free(buf);
}
END_TEST

/* KPI_WRITE_GOLDEN=1 regenerates the golden file: only ever on purpose,
 * when a new format version is introduced (old goldens stay). */
static void write_golden_if_asked(void)
{
    if (getenv("KPI_WRITE_GOLDEN")) {
        size_t n;
        unsigned char *b = sample_state(&n);
        test_write_golden("codec-bag-v1.bin", b, n);
        free(b);
    }
}

START_TEST(golden_state_still_reads)
{
    write_golden_if_asked();
    /* tests/data/codec-bag-v1.bin was written by format version 1; every
     * later library must keep reading it to the same values */
    size_t len;
    unsigned char *golden = test_read_file(test_data_path("codec-bag-v1.bin"), &len);
    ck_assert_msg(golden != NULL, "missing %s", test_data_path("codec-bag-v1.bin"));
    size_t len2;
    unsigned char *now = sample_state(&len2);
    ck_assert_uint_eq(len, len2);
    ck_assert(memcmp(golden, now, len) == 0);
    bag *b;
    ck_assert_ok(kpi__deserialize(&bag_type, golden, len, NULL, (void **)&b));
    ck_assert_uint_eq(b->n, 8);
    bag_destroy(b);
    free(golden);
    free(now);
}
END_TEST

START_TEST(objects_use_their_own_allocator_for_everything)
{
    test_alloc t;
    kpi_allocator a = test_allocator(&t);
    bag *b;
    ck_assert_ok(bag_new(&b, 1, &a));
    ck_assert_int_eq(t.mallocs, 1);
    for (int i = 0; i < 100; i++)
        ck_assert_ok(bag_add(b, i));
    ck_assert_int_gt(t.reallocs, 1);
    void *c;
    ck_assert_ok(kpi__clone(&bag_type, b, &c)); /* clone keeps the allocator */
    long before = t.calls;
    size_t len;
    ck_assert_ok(kpi__serialize(c, NULL, 0, &len));
    ck_assert_int_eq(t.calls, before); /* serializing allocates nothing */
    unsigned char *buf = malloc(len);
    ck_assert_ok(kpi__serialize(c, buf, len, &len));
    void *d;
    ck_assert_ok(kpi__deserialize(&bag_type, buf, len, &a, &d));
    kpi__destroy(b);
    kpi__destroy(c);
    kpi__destroy(d);
    kpi__destroy(NULL);
    ck_assert_int_eq(t.live, 0); /* every block came back */
    ck_assert_int_ge(t.frees, 6);
    free(buf);
}
END_TEST

START_TEST(allocators_with_missing_functions_are_refused)
{
    kpi_allocator a = {test_malloc, NULL, test_free, NULL};
    void *o = NULL;
    ck_assert_status(kpi__object_new(&bag_type, sizeof(bag), &a, &o), KPI_ERR_INVALID);
    ck_assert_ptr_null(o);
    kpi_allocator out;
    ck_assert_ok(kpi__allocator_resolve(NULL, &out));
    ck_assert(out.malloc_fn != NULL && out.free_fn != NULL);
}
END_TEST

START_TEST(failed_allocations_leave_no_trace)
{
    size_t len;
    unsigned char *buf = sample_state(&len);
    for (long n = 1; n <= 3; n++) {
        test_alloc t;
        kpi_allocator a = test_allocator(&t);
        t.fail_at = n;
        void *out = NULL;
        int rc = kpi__deserialize(&bag_type, buf, len, &a, &out);
        if (n <= 2) {
            ck_assert_status(rc, KPI_ERR_NOMEM);
            ck_assert_ptr_null(out);
        } else {
            ck_assert_ok(rc);
            kpi__destroy(out);
        }
        ck_assert_int_eq(t.live, 0);
    }
    free(buf);
}
END_TEST

START_TEST(merge_checks_types_and_survives_self_merge)
{
    bag *a, *b;
    ck_assert_ok(bag_new(&a, 1, NULL));
    ck_assert_ok(bag_new(&b, 2, NULL));
    ck_assert_ok(bag_add(a, 10));
    ck_assert_status(kpi__merge(&bag_type, a, b), KPI_ERR_INCOMPATIBLE);
    ck_assert_uint_eq(a->n, 1);
    ck_assert_status(kpi__merge(&bag_type, a, NULL), KPI_ERR_INVALID);
    ck_assert_status(kpi__merge(&other_type, a, a), KPI_ERR_INVALID);
    ck_assert_ok(kpi__merge(&bag_type, a, a));
    ck_assert_uint_eq(a->n, 2);
    ck_assert(a->v[1] == 10);
    bag_destroy(a);
    bag_destroy(b);
}
END_TEST

START_TEST(string_hash_is_stable)
{
    /* serialized sketches depend on these exact values */
    ck_assert(kpi__hash_bytes("", 0, 0) == kpi__hash_bytes("", 0, 0));
    ck_assert(kpi__hash_bytes("billing", 7, 0) != kpi__hash_bytes("billinh", 7, 0));
    ck_assert(kpi__hash_bytes("billing", 7, 0) != kpi__hash_bytes("billing", 7, 1));
    ck_assert(kpi__hash_bytes("abcdefgh", 8, 0) != kpi__hash_bytes("abcdefgh\0", 9, 0));
    ck_assert(kpi__hash_bytes("billing", 7, 0) == UINT64_C(0xb579d0a9ae21a298));
    ck_assert(kpi__hash_bytes("", 0, 0) == UINT64_C(0x48218226ff3cd4bf));
    ck_assert(kpi__hash_bytes("password reset request", 22, 42) ==
              UINT64_C(0x5bb8c3a0d8755390));
}
END_TEST

START_TEST(blobs_bytes_and_a_null_buffer)
{
    /* a blob longer than the caller's maximum: NULL, length 0, corrupt */
    unsigned char buf[16];
    kpi__writer w = {buf, sizeof buf, 0};
    kpi__put_varint(&w, 5);
    memcpy(buf + w.pos, "hello", 5);
    w.pos += 5;
    size_t n = 99;
    kpi__reader r = {buf, w.pos, 0, KPI_OK, 1, 0};
    ck_assert_ptr_null(kpi__get_blob(&r, 4, &n));
    ck_assert_uint_eq(n, 0);
    ck_assert_status(r.err, KPI_ERR_CORRUPT);
    kpi__reader r1 = {buf, w.pos, 0, KPI_OK, 1, 0};
    const uint8_t *v = kpi__get_blob(&r1, 5, &n);
    ck_assert_uint_eq(n, 5);
    ck_assert(v != NULL && memcmp(v, "hello", 5) == 0);
    ck_assert_ok(kpi__reader_close(&r1));

    /* fixed-size bytes: copied, or zeros once past the end */
    unsigned char out[4] = {9, 9, 9, 9};
    kpi__reader r2 = {buf + 1, 5, 0, KPI_OK, 1, 0};
    kpi__get_bytes(&r2, out, 3);
    ck_assert(memcmp(out, "hel", 3) == 0 && out[3] == 9);
    kpi__get_bytes(&r2, out, 0);
    ck_assert_ok(r2.err);
    kpi__get_bytes(&r2, out, 4);
    ck_assert(out[0] == 0 && out[1] == 0 && out[2] == 0 && out[3] == 0);
    ck_assert_status(r2.err, KPI_ERR_CORRUPT);

    kpi__reader r3;
    ck_assert_status(kpi__reader_open(&r3, NULL, 16, 1), KPI_ERR_INVALID);
}
END_TEST

/* ---- states written by hand from docs/format.md ------------------------- */

/* A state of `tag` around `body` exactly as docs/format.md lays it out:
 * "kpiS", u16 version, u16 tag, u32 body length, body, CRC-32C of all the
 * bytes before it; every integer little-endian.  Returns the length. */
static void le32(unsigned char *p, uint32_t v)
{
    for (int k = 0; k < 4; k++)
        p[k] = (unsigned char)(v >> (8 * k));
}

static size_t forge(unsigned char *f, uint16_t version, uint16_t tag,
                    const unsigned char *body, size_t blen)
{
    memcpy(f, "kpiS", 4);
    f[4] = (unsigned char)(version & 0xFF), f[5] = (unsigned char)(version >> 8);
    f[6] = (unsigned char)(tag & 0xFF), f[7] = (unsigned char)(tag >> 8);
    le32(f + 8, (uint32_t)blen);
    memcpy(f + 12, body, blen);
    le32(f + 12 + blen, test_crc32c(f, 12 + blen));
    return 16 + blen;
}

/* obj, written with serialize, gives exactly the n bytes at want. */
#define ck_assert_writes(serialize, obj, want, n)                              \
    do {                                                                       \
        unsigned char again_[64];                                              \
        size_t m_ = 0;                                                         \
        ck_assert_ok(serialize(obj, again_, sizeof again_, &m_));              \
        ck_assert_uint_eq(m_, n);                                              \
        ck_assert(memcmp(again_, want, n) == 0);                               \
    } while (0)

/* A rate of 300 successes in 1000 trials: two LEB128 varints, low group
 * first (300 = 0b10_0101100: AC 02; 1000 = 0b111_1101000: E8 07).  The
 * library reads it and writes the very same bytes back. */
START_TEST(a_hand_written_rate_state_reads)
{
    const unsigned char body[] = {0xAC, 0x02, 0xE8, 0x07};
    unsigned char f[64];
    size_t n = forge(f, 1, KPI__TAG_RATE, body, sizeof body);
    ck_assert_uint_eq(n, 20); /* 16 bytes longer than the body */
    kpi_rate *r = NULL;
    ck_assert_ok(kpi_rate_deserialize(&r, f, n));
    ck_assert_uint_eq(kpi_rate_successes(r), 300);
    ck_assert_uint_eq(kpi_rate_trials(r), 1000);
    ck_assert_writes(kpi_rate_serialize, r, f, n);
    kpi_rate_free(r);
    /* format 2 changed the engine's body only: the same rate under a
     * version-2 header reads alike, and is written back as format 1 (the
     * lowest version that describes it, so earlier libraries read it) */
    n = forge(f, 2, KPI__TAG_RATE, body, sizeof body);
    ck_assert_ok(kpi_rate_deserialize(&r, f, n));
    ck_assert_uint_eq(kpi_rate_successes(r), 300);
    f[4] = 1;
    test_reseal(f, n);
    ck_assert_writes(kpi_rate_serialize, r, f, n);
    kpi_rate_free(r);

    /* the largest counts: ten-byte varints of 2^64 - 1 */
    const unsigned char big[] = {0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x01,
                                 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x01};
    n = forge(f, 1, KPI__TAG_RATE, big, sizeof big);
    ck_assert_ok(kpi_rate_deserialize(&r, f, n));
    ck_assert(kpi_rate_successes(r) == UINT64_MAX && kpi_rate_trials(r) == UINT64_MAX);
    kpi_rate_free(r);
    r = NULL;
    /* an eleventh varint byte, and a tenth carrying more than bit 63; more
     * successes than trials; a body cut inside a varint; a byte left over;
     * varints longer than their shortest form (3 as 83 00, 0 as 80 00, 300
     * as AC 82 00) */
    static const struct {
        unsigned char body[12];
        size_t len;
    } bad[] = {
        {{0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x00, 0x01}, 12},
        {{0x00, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x02}, 11},
        {{0x05, 0x04}, 2},
        {{0x03, 0x80}, 2},
        {{0x03, 0x0A, 0x00}, 3},
        {{0x83, 0x00, 0x0A}, 3},
        {{0x80, 0x00, 0x0A}, 3},
        {{0xAC, 0x82, 0x00, 0xE8, 0x07}, 5},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        n = forge(f, 1, KPI__TAG_RATE, bad[i].body, bad[i].len);
        ck_assert_msg(kpi_rate_deserialize(&r, f, n) == KPI_ERR_CORRUPT, "body %zu", i);
    }
    ck_assert_ptr_null(r);
}
END_TEST

/* A 1..5 score with threshold 4 holding the answers 3, 4, 4, 5, 5, 5, 5:
 * min, max and threshold as zig-zag varints (1 -> 02, 5 -> 0A, 4 -> 08),
 * the direction (1: high is favourable) and NPS flags as bytes, the two NPS
 * cuts (0 without NPS), the total, then one count per value.  CSAT (>= 4)
 * = 6 / 7, mean = 31 / 7; with the direction byte 0, CSAT (<= 4) = 3 / 7. */
START_TEST(a_hand_written_score_state_reads)
{
    const unsigned char body[] = {0x02, 0x0A, 0x08, 0x01, 0x00, 0x00, 0x00, 0x07,
                                  0x00, 0x00, 0x01, 0x02, 0x04};
    unsigned char f[64];
    size_t n = forge(f, 1, KPI__TAG_SCORE, body, sizeof body);
    kpi_score *s = NULL;
    ck_assert_ok(kpi_score_deserialize(&s, f, n));
    ck_assert_uint_eq(kpi_score_count(s), 7);
    kpi_estimate e;
    ck_assert_ok(kpi_score_csat(s, &e));
    ck_assert(e.value == 6.0 / 7.0 && e.n == 7);
    double mean;
    ck_assert_ok(kpi_score_mean(s, &mean));
    ck_assert_near(mean, 31.0 / 7.0, 1e-15);
    /* the same object built through the API writes the same bytes */
    kpi_score *t;
    ck_assert_ok(kpi_csat_new(&t, 5, 4));
    const int32_t answers[] = {3, 4, 4, 5, 5, 5, 5};
    ck_assert_ok(kpi_score_add_array(t, answers, 7));
    ck_assert_writes(kpi_score_serialize, t, f, n);
    kpi_score_free(t);
    kpi_score_free(s);
    s = NULL;
    unsigned char bad[sizeof body];
    memcpy(bad, body, sizeof body);
    /* the direction byte read as documented */
    bad[3] = 0x00;
    n = forge(f, 1, KPI__TAG_SCORE, bad, sizeof bad);
    ck_assert_ok(kpi_score_deserialize(&s, f, n));
    ck_assert_ok(kpi_score_csat(s, &e));
    ck_assert(e.value == 3.0 / 7.0);
    kpi_score_free(s);
    s = NULL;
    bad[3] = 0x02; /* neither 0 nor 1 */
    n = forge(f, 1, KPI__TAG_SCORE, bad, sizeof bad);
    ck_assert_status(kpi_score_deserialize(&s, f, n), KPI_ERR_CORRUPT);
    bad[3] = 0x01;
    /* a total that is not the sum of the counts */
    bad[7] = 0x06;
    n = forge(f, 1, KPI__TAG_SCORE, bad, sizeof bad);
    ck_assert_status(kpi_score_deserialize(&s, f, n), KPI_ERR_CORRUPT);
    ck_assert_ptr_null(s);
}
END_TEST

/* The header's fields, one at a time, with everything else valid, and the
 * order of the checks as docs/format.md lists them (1 to 6). */
START_TEST(header_fields_are_checked_in_the_documented_order)
{
    const unsigned char body[] = {0x03, 0x0A};
    unsigned char f[64];
    kpi_rate *r = NULL;
    size_t n;
    /* 3: a newer version (its checksum valid), also the largest, and a
     * byte-swapped 1 (the version is a little-endian u16: 0x0100 is 256)
     * are VERSION; 0 is CORRUPT.  6: another type's tag, an unknown tag, a
     * byte-swapped tag are TYPE. */
    static const struct {
        uint16_t version, tag;
        int want;
    } hdr[] = {
        {KPI__FORMAT_VERSION + 1, KPI__TAG_RATE, KPI_ERR_VERSION},
        {0xFFFF, KPI__TAG_RATE, KPI_ERR_VERSION},
        {0x0100, KPI__TAG_RATE, KPI_ERR_VERSION},
        {0, KPI__TAG_RATE, KPI_ERR_CORRUPT},
        {1, KPI__TAG_SCORE, KPI_ERR_TYPE},
        {1, 0x7FFF, KPI_ERR_TYPE},
        {1, (uint16_t)(KPI__TAG_RATE << 8), KPI_ERR_TYPE},
    };
    for (size_t i = 0; i < sizeof hdr / sizeof hdr[0]; i++) {
        n = forge(f, hdr[i].version, hdr[i].tag, body, sizeof body);
        ck_assert_msg(kpi_rate_deserialize(&r, f, n) == hdr[i].want,
                      "version %#x tag %#x", hdr[i].version, hdr[i].tag);
    }
    /* 5: the checksum is little-endian: byte-swapped it fails */
    n = forge(f, 1, KPI__TAG_RATE, body, sizeof body);
    unsigned char t = f[n - 4];
    f[n - 4] = f[n - 1], f[n - 1] = t;
    ck_assert_status(kpi_rate_deserialize(&r, f, n), KPI_ERR_CORRUPT);
    /* the checksum covers the header too: a changed tag under the old
     * checksum is CORRUPT, not TYPE (5 before 6) */
    n = forge(f, 1, KPI__TAG_RATE, body, sizeof body);
    f[6] = KPI__TAG_SCORE;
    ck_assert_status(kpi_rate_deserialize(&r, f, n), KPI_ERR_CORRUPT);
    /* a newer version is named even when its checksum fails (3 before 5),
     * and even when its body length lies (3 before 4) */
    n = forge(f, 1, KPI__TAG_RATE, body, sizeof body);
    f[4] = KPI__FORMAT_VERSION + 1;
    ck_assert_status(kpi_rate_deserialize(&r, f, n), KPI_ERR_VERSION);
    f[8] = 0xFF;
    ck_assert_status(kpi_rate_deserialize(&r, f, n), KPI_ERR_VERSION);
    /* 1 before 2: foreign bytes too short for a header are CORRUPT; a
     * prefix of the magic is TRUNCATED */
    ck_assert_status(kpi_rate_deserialize(&r, "kpiX", 4), KPI_ERR_CORRUPT);
    ck_assert_status(kpi_rate_deserialize(&r, "kpi", 3), KPI_ERR_TRUNCATED);
    ck_assert_status(kpi_rate_deserialize(&r, "", 0), KPI_ERR_TRUNCATED);
    /* 2: a header without its checksum */
    n = forge(f, 1, KPI__TAG_RATE, body, 0);
    ck_assert_status(kpi_rate_deserialize(&r, f, 15), KPI_ERR_TRUNCATED);

    /* 4: body lengths that lie: longer than the bytes (up to 2^32 - 1,
     * which must not wrap any size computation), or shorter (trailing
     * bytes) */
    const uint32_t lies[] = {3, 4, 100, 0x7FFFFFFFu, 0xFFFFFFF0u, 0xFFFFFFFCu, 0xFFFFFFFFu};
    for (size_t i = 0; i < sizeof lies / sizeof lies[0]; i++) {
        n = forge(f, 1, KPI__TAG_RATE, body, sizeof body);
        le32(f + 8, lies[i]);
        /* the checksum recomputed over the lying header: only the length
         * is wrong */
        le32(f + n - 4, test_crc32c(f, n - 4));
        ck_assert_msg(kpi_rate_deserialize(&r, f, n) == KPI_ERR_TRUNCATED,
                      "body length %u", (unsigned)lies[i]);
    }
    /* shorter than the body: bytes after the state */
    const uint32_t shorts[] = {0, 1};
    for (size_t i = 0; i < 2; i++) {
        n = forge(f, 1, KPI__TAG_RATE, body, sizeof body);
        le32(f + 8, shorts[i]);
        le32(f + 12 + shorts[i], test_crc32c(f, 12 + shorts[i]));
        ck_assert_status(kpi_rate_deserialize(&r, f, n), KPI_ERR_CORRUPT);
    }
    ck_assert_ptr_null(r);
}
END_TEST

/* Counts that lie inside a body: a nested length or a count larger than
 * the bytes left, up to 2^64 - 1, must fail before any allocation. */
START_TEST(counts_and_nested_lengths_that_lie_are_refused)
{
    unsigned char buf[32];
    const uint64_t lies[] = {5, UINT32_MAX, (uint64_t)SIZE_MAX, UINT64_MAX};
    for (size_t i = 0; i < 4; i++) {
        kpi__writer w = {buf, sizeof buf, 0};
        kpi__put_varint(&w, lies[i]);
        kpi__put_u32(&w, 0);
        kpi__reader r = {buf, w.pos, 0, KPI_OK, 1, 0};
        ck_assert_uint_eq(kpi__get_count(&r, SIZE_MAX, 1), 0);
        ck_assert_status(r.err, KPI_ERR_CORRUPT);
        kpi__reader r2 = {buf, w.pos, 0, KPI_OK, 1, 0};
        size_t n = 7;
        ck_assert_ptr_null(kpi__get_blob(&r2, SIZE_MAX, &n));
        ck_assert_uint_eq(n, 0);
        ck_assert_status(r2.err, KPI_ERR_CORRUPT);
    }
    /* a nested part announcing more bytes than its parent has */
    const uint32_t nested[] = {5, 0x7FFFFFFFu, UINT32_MAX};
    for (size_t i = 0; i < 3; i++) {
        kpi__writer w = {buf, sizeof buf, 0};
        kpi__put_u32(&w, nested[i]);
        kpi__put_u32(&w, 0);
        kpi__reader r = {buf, w.pos, 0, KPI_OK, 1, 0};
        kpi__reader sub;
        kpi__get_nested(&r, &sub);
        ck_assert_status(sub.err, KPI_ERR_CORRUPT);
        ck_assert_status(r.err, KPI_ERR_CORRUPT);
        ck_assert_uint_eq(kpi__get_u8(&sub), 0);
    }
}
END_TEST

/* ---- kpi__sort (lib/common.c): the library's one sort ------------------- */

/* elements of an odd size, compared on a key with many ties, so that a
 * sort moving bytes wrongly or losing an element shows */
typedef struct rec5 {
    unsigned char key, tag[4];
} rec5;

static int cmp_rec5(const void *a, const void *b)
{
    const rec5 *x = a, *y = b;
    if (x->key != y->key)
        return x->key < y->key ? -1 : 1;
    return memcmp(x->tag, y->tag, sizeof x->tag);
}

static int cmp_u64_test(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return (x > y) - (x < y);
}

typedef struct rec24 {
    uint64_t w[3];
} rec24;

static int cmp_rec24(const void *a, const void *b)
{
    const rec24 *x = a, *y = b;
    for (int i = 0; i < 3; i++)
        if (x->w[i] != y->w[i])
            return x->w[i] < y->w[i] ? -1 : 1;
    return 0;
}

static long sort_calls;

static int cmp_u64_counted(const void *a, const void *b)
{
    sort_calls++;
    return cmp_u64_test(a, b);
}

/* Sort a copy with kpi__sort and another with the C library's qsort (the
 * reference: the comparisons are total orders, so both give the same
 * bytes), and compare. */
static void sort_like_qsort(const void *in, size_t n, size_t size,
                            int (*cmp)(const void *, const void *), const char *what)
{
    unsigned char *a = malloc(n * size + 1), *b = malloc(n * size + 1);
    ck_assert(a != NULL && b != NULL);
    memcpy(a, in, n * size);
    memcpy(b, in, n * size);
    kpi__sort(a, n, size, cmp);
    qsort(b, n, size, cmp);
    ck_assert_msg(memcmp(a, b, n * size) == 0, "%s: n = %zu, size %zu", what, n, size);
    free(a);
    free(b);
}

START_TEST(sort_orders_like_qsort_on_every_shape)
{
    test_rng r = {20261206};
    static const size_t sizes[] = {0, 1, 2, 3, 15, 16, 17, 31, 100, 1000, 4099, 70000};
    for (size_t si = 0; si < sizeof sizes / sizeof sizes[0]; si++) {
        size_t n = sizes[si];
        uint64_t *u = malloc((n + 1) * sizeof *u);
        rec5 *f = malloc((n + 1) * sizeof *f);
        rec24 *t = malloc((n + 1) * sizeof *t);
        ck_assert(u != NULL && f != NULL && t != NULL);
        /* shapes: random, few distinct values, sorted, reversed, all equal,
         * organ pipe, sorted with a few swaps */
        for (int shape = 0; shape < 7; shape++) {
            for (size_t i = 0; i < n; i++) {
                uint64_t x;
                switch (shape) {
                case 0: x = test_rand(&r); break;
                case 1: x = test_rand(&r) % 3; break;
                case 2: x = i; break;
                case 3: x = n - i; break;
                case 4: x = 42; break;
                case 5: x = i < n / 2 ? i : n - i; break;
                default: x = i; break;
                }
                u[i] = x;
            }
            if (shape == 6)
                for (size_t k = 0; n > 1 && k < 1 + n / 100; k++) {
                    size_t i = test_rand(&r) % n, j = test_rand(&r) % n;
                    uint64_t x = u[i];
                    u[i] = u[j];
                    u[j] = x;
                }
            for (size_t i = 0; i < n; i++) {
                f[i].key = (unsigned char)(u[i] % 7);
                uint32_t tag = (uint32_t)(test_rand(&r) % 5);
                memcpy(f[i].tag, &tag, sizeof f[i].tag);
                t[i].w[0] = u[i] % 5;
                t[i].w[1] = u[i];
                t[i].w[2] = test_rand(&r) % 3;
            }
            sort_like_qsort(u, n, sizeof *u, cmp_u64_test, "uint64");
            sort_like_qsort(f, n, sizeof *f, cmp_rec5, "5-byte records");
            sort_like_qsort(t, n, sizeof *t, cmp_rec24, "24-byte records");
        }
        free(u);
        free(f);
        free(t);
    }
}
END_TEST

/* M. D. McIlroy's adversary ("A killer adversary for quicksort", 1999):
 * values are decided only as the comparisons need them, so that any
 * quicksort picking its pivot from a few elements takes quadratic time.
 * The introsort's heapsort fallback must keep it to O(n log n). */
static size_t *adv_val;
static size_t adv_gas, adv_solid, adv_candidate;
static long adv_calls;

static int cmp_adversary(const void *pa, const void *pb)
{
    size_t x = *(const size_t *)pa, y = *(const size_t *)pb;
    adv_calls++;
    if (adv_val[x] == adv_gas && adv_val[y] == adv_gas)
        adv_val[x == adv_candidate ? x : y] = adv_solid++;
    if (adv_val[x] == adv_gas)
        adv_candidate = x;
    else if (adv_val[y] == adv_gas)
        adv_candidate = y;
    return (adv_val[x] > adv_val[y]) - (adv_val[x] < adv_val[y]);
}

START_TEST(sort_stays_n_log_n_against_an_adversary)
{
    const size_t n = 20000;
    size_t *idx = malloc(n * sizeof *idx);
    adv_val = malloc(n * sizeof *adv_val);
    ck_assert(idx != NULL && adv_val != NULL);
    adv_gas = n;
    adv_solid = 0;
    adv_candidate = 0;
    adv_calls = 0;
    for (size_t i = 0; i < n; i++) {
        idx[i] = i;
        adv_val[i] = adv_gas;
    }
    kpi__sort(idx, n, sizeof *idx, cmp_adversary);
    /* n log2 n is about 286,000; a quadratic sort takes tens of millions */
    ck_assert_msg(adv_calls < 20L * 286000, "%ld comparisons", adv_calls);
    for (size_t i = 1; i < n; i++)
        ck_assert_uint_le(adv_val[idx[i - 1]], adv_val[idx[i]]);
    free(idx);
    free(adv_val);
}
END_TEST

START_TEST(sort_comparisons_are_n_log_n_on_plain_inputs)
{
    const size_t n = 100000; /* n log2 n = 1.66 M */
    uint64_t *u = malloc(n * sizeof *u);
    ck_assert_ptr_nonnull(u);
    test_rng r = {7};
    for (int shape = 0; shape < 3; shape++) {
        for (size_t i = 0; i < n; i++)
            u[i] = shape == 0 ? test_rand(&r) : shape == 1 ? i : 5;
        sort_calls = 0;
        kpi__sort(u, n, sizeof *u, cmp_u64_counted);
        ck_assert_msg(sort_calls < 2L * 1660000, "shape %d: %ld comparisons", shape,
                      sort_calls);
        for (size_t i = 1; i < n; i++)
            ck_assert_uint_le(u[i - 1], u[i]);
    }
    free(u);
}
END_TEST

static Suite *codec_suite(void)
{
    Suite *s = suite_create("codec");
    TCase *tc = tcase_create("wire");
    tcase_add_test(tc, crc32c_matches_the_standard_check_value);
    tcase_add_test(tc, crc32c_paths_agree);
    tcase_add_test(tc, primitives_round_trip);
    tcase_add_test(tc, reader_errors_are_sticky_and_never_read_past_the_end);
    tcase_add_test(tc, blobs_bytes_and_a_null_buffer);
    tcase_add_test(tc, counts_from_input_cannot_exceed_the_input);
    tcase_add_test(tc, string_hash_is_stable);
    suite_add_tcase(s, tc);
    tc = tcase_create("state");
    tcase_add_test(tc, serialize_reports_size_and_refuses_small_buffers);
    tcase_add_test(tc, state_round_trips);
    tcase_add_test(tc, every_truncation_is_rejected);
    tcase_add_test(tc, every_bit_flip_is_rejected);
    tcase_add_test(tc, foreign_bytes_and_other_types_are_named);
    tcase_add_test(tc, newer_format_versions_are_refused_by_name);
    tcase_add_test(tc, golden_state_still_reads);
    tcase_add_test(tc, a_hand_written_rate_state_reads);
    tcase_add_test(tc, a_hand_written_score_state_reads);
    tcase_add_test(tc, header_fields_are_checked_in_the_documented_order);
    tcase_add_test(tc, counts_and_nested_lengths_that_lie_are_refused);
    suite_add_tcase(s, tc);
    tc = tcase_create("object");
    tcase_add_test(tc, objects_use_their_own_allocator_for_everything);
    tcase_add_test(tc, allocators_with_missing_functions_are_refused);
    tcase_add_test(tc, failed_allocations_leave_no_trace);
    tcase_add_test(tc, merge_checks_types_and_survives_self_merge);
    suite_add_tcase(s, tc);
    tc = tcase_create("sort");
    tcase_add_test(tc, sort_orders_like_qsort_on_every_shape);
    tcase_add_test(tc, sort_stays_n_log_n_against_an_adversary);
    tcase_add_test(tc, sort_comparisons_are_n_log_n_on_plain_inputs);
    suite_add_tcase(s, tc);
    return s;
}

KPI_TEST_MAIN(codec_suite)
