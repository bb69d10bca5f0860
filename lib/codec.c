/*
 * The portable state codec: a bounded, sticky-error byte reader and a
 * measuring writer, the state header, and CRC-32C.
 * SPDX-License-Identifier: MIT
 *
 * The checksum is CRC-32C (Castagnoli polynomial 0x1EDC6F41, reflected as
 * 0x82F63B78), the one used by iSCSI, ext4 and many storage formats: it
 * catches every burst error up to 32 bits and all odd numbers of bit flips.
 * It is computed with a byte-wise table built once at compile time
 * (constant data, no global mutable state), or with the SSE4.2 crc32
 * instruction where the processor has it.
 */
#include "codec.h"

#include <math.h>

/* ---- CRC-32C ------------------------------------------------------------ */

#define KPI__CRC_POLY 0x82F63B78u
/* one shift of the reflected CRC register, then 2, 4 and 8 of them */
#define S1(n) (((n) >> 1) ^ (KPI__CRC_POLY & (0u - ((n) & 1u))))
#define S2(n) S1(S1(n))
#define S4(n) S2(S2(n))
#define S8(n) S4(S4(n))
#define E1(n) S8(n)
#define E4(n) E1(n), E1((n) + 1u), E1((n) + 2u), E1((n) + 3u)
#define E16(n) E4(n), E4((n) + 4u), E4((n) + 8u), E4((n) + 12u)
#define E64(n) E16(n), E16((n) + 16u), E16((n) + 32u), E16((n) + 48u)
static const uint32_t crc_table[256] = {E64(0u), E64(64u), E64(128u),
                                        E64(192u)};

uint32_t kpi__crc32c_bytewise(const void *data, size_t len)
{
    const uint8_t *p = data;
    uint32_t crc = 0xFFFFFFFFu;
    for (size_t i = 0; i < len; i++)
        crc = crc_table[(crc ^ p[i]) & 0xFFu] ^ (crc >> 8);
    return crc ^ 0xFFFFFFFFu;
}

/* x86-64 with SSE4.2 (chosen at run time): the crc32 instruction computes
 * this very CRC (the same polynomial, reflected), 8 bytes at a time, about
 * twenty times the table's speed; the bytes of each 64-bit load are taken
 * in memory order on this little-endian machine. */
#if defined(__GNUC__) && defined(__x86_64__) && !defined(KPI_NO_DISPATCH)
#include <nmmintrin.h>
#define KPI__CRC_HW 1
__attribute__((target("sse4.2"))) static uint32_t crc32c_sse42(const uint8_t *p, size_t len)
{
    uint64_t crc = 0xFFFFFFFFu;
    for (; len >= 8; p += 8, len -= 8) {
        uint64_t v;
        memcpy(&v, p, sizeof v);
        crc = _mm_crc32_u64(crc, v);
    }
    uint32_t c = (uint32_t)crc;
    for (; len > 0; p++, len--)
        c = _mm_crc32_u8(c, *p);
    return c ^ 0xFFFFFFFFu;
}
#endif

uint32_t kpi__crc32c(const void *data, size_t len)
{
#if defined(KPI__CRC_HW)
    if (__builtin_cpu_supports("sse4.2"))
        return crc32c_sse42(data, len);
#endif
    return kpi__crc32c_bytewise(data, len);
}

/* ---- little-endian helpers ---------------------------------------------- */

static void store_le(uint8_t *dst, uint64_t v, size_t n)
{
    for (size_t i = 0; i < n; i++)
        dst[i] = (uint8_t)(v >> (8 * i));
}

static uint64_t load_le(const uint8_t *src, size_t n)
{
    uint64_t v = 0;
    for (size_t i = 0; i < n; i++)
        v |= (uint64_t)src[i] << (8 * i);
    return v;
}

/* ---- writer ------------------------------------------------------------- */

static bool fits(const kpi__writer *w, size_t n)
{
    return w->buf != NULL && w->pos <= w->cap && n <= w->cap - w->pos;
}

void kpi__put_bytes(kpi__writer *w, const void *src, size_t n)
{
    if (n && fits(w, n))
        memcpy(w->buf + w->pos, src, n);
    w->pos += n;
}

static void put_le(kpi__writer *w, uint64_t v, size_t n)
{
    if (fits(w, n))
        store_le(w->buf + w->pos, v, n);
    w->pos += n;
}

void kpi__put_u8(kpi__writer *w, uint8_t v) { put_le(w, v, 1); }
void kpi__put_u16(kpi__writer *w, uint16_t v) { put_le(w, v, 2); }
void kpi__put_u32(kpi__writer *w, uint32_t v) { put_le(w, v, 4); }
void kpi__put_u64(kpi__writer *w, uint64_t v) { put_le(w, v, 8); }
void kpi__put_i64(kpi__writer *w, int64_t v) { put_le(w, (uint64_t)v, 8); }

void kpi__put_f64(kpi__writer *w, double v)
{
    uint64_t bits;
    memcpy(&bits, &v, sizeof bits);
    put_le(w, bits, 8);
}

void kpi__put_varint(kpi__writer *w, uint64_t v)
{
    while (v >= 0x80) {
        kpi__put_u8(w, (uint8_t)(v | 0x80));
        v >>= 7;
    }
    kpi__put_u8(w, (uint8_t)v);
}

void kpi__put_svarint(kpi__writer *w, int64_t v)
{
    /* zigzag; the sign mask without shifting a negative value right
     * (implementation-defined in C) */
    kpi__put_varint(w, ((uint64_t)v << 1) ^ (0 - (uint64_t)(v < 0)));
}

void kpi__put_blob(kpi__writer *w, const void *src, size_t n)
{
    kpi__put_varint(w, n);
    kpi__put_bytes(w, src, n);
}

size_t kpi__put_len_begin(kpi__writer *w)
{
    size_t mark = w->pos;
    kpi__put_u32(w, 0);
    return mark;
}

void kpi__put_len_end(kpi__writer *w, size_t mark)
{
    size_t n = w->pos - mark - 4;
    if (w->buf != NULL && mark + 4 <= w->cap)
        store_le(w->buf + mark, (uint32_t)n, 4);
}

void kpi__put_object(kpi__writer *w, const void *obj)
{
    const kpi__object *o = obj;
    size_t mark = kpi__put_len_begin(w);
    o->type->encode(obj, w);
    kpi__put_len_end(w, mark);
}

int kpi__encode_state(const void *obj, void *buf, size_t cap, size_t *len)
{
    const kpi__object *o = obj;
    kpi__writer w = {buf, buf ? cap : 0, 0};
    kpi__put_bytes(&w, "kpiS", 4);
    /* format 2 changed the engine's body only (codec.h) */
    kpi__put_u16(&w, o->type->tag == KPI__TAG_ENGINE ? kpi__engine_format(obj) : 1);
    kpi__put_u16(&w, o->type->tag);
    kpi__put_u32(&w, 0); /* body length, patched below */
    o->type->encode(obj, &w);
    size_t body = w.pos - KPI__HEADER_SIZE;
    size_t total = w.pos + KPI__TRAILER_SIZE;
    if (body > UINT32_MAX)
        return KPI_ERR_LIMIT;
    *len = total;
    if (buf == NULL)
        return KPI_OK;
    if (cap < total)
        return KPI_ERR_BUFFER;
    uint8_t *b = buf;
    store_le(b + 8, (uint32_t)body, 4);
    store_le(b + w.pos, kpi__crc32c(b, w.pos), 4);
    return KPI_OK;
}

/* ---- reader ------------------------------------------------------------- */

void kpi__reader_fail(kpi__reader *r, int status)
{
    if (r->err == KPI_OK)
        r->err = status;
}

int kpi__reader_open(kpi__reader *r, const void *buf, size_t len,
                     uint16_t tag)
{
    memset(r, 0, sizeof *r);
    if (buf == NULL)
        return KPI_ERR_INVALID;
    const uint8_t *b = buf;
    /* Foreign bytes are recognised as soon as the magic can be compared. */
    size_t cmp = len < 4 ? len : 4;
    if (memcmp(b, "kpiS", cmp) != 0)
        return KPI_ERR_CORRUPT;
    if (len < KPI__HEADER_SIZE + KPI__TRAILER_SIZE)
        return KPI_ERR_TRUNCATED;
    uint16_t version = (uint16_t)load_le(b + 4, 2);
    uint16_t type = (uint16_t)load_le(b + 6, 2);
    uint64_t body = load_le(b + 8, 4);
    if (version == 0)
        return KPI_ERR_CORRUPT;
    if (version > KPI__FORMAT_VERSION)
        return KPI_ERR_VERSION;
    if (body > len - KPI__HEADER_SIZE - KPI__TRAILER_SIZE)
        return KPI_ERR_TRUNCATED;
    if (body < len - KPI__HEADER_SIZE - KPI__TRAILER_SIZE)
        return KPI_ERR_CORRUPT; /* trailing bytes */
    size_t end = KPI__HEADER_SIZE + (size_t)body;
    if (kpi__crc32c(b, end) != (uint32_t)load_le(b + end, 4))
        return KPI_ERR_CORRUPT;
    if (type != tag)
        return KPI_ERR_TYPE;
    r->p = b + KPI__HEADER_SIZE;
    r->len = (size_t)body;
    r->pos = 0;
    r->err = KPI_OK;
    r->version = version;
    return KPI_OK;
}

int kpi__reader_close(const kpi__reader *r)
{
    if (r->err != KPI_OK)
        return r->err;
    return r->pos == r->len ? KPI_OK : KPI_ERR_CORRUPT;
}

const uint8_t *kpi__get_view(kpi__reader *r, size_t n)
{
    if (r->err != KPI_OK)
        return NULL;
    if (n > r->len - r->pos) {
        kpi__reader_fail(r, KPI_ERR_CORRUPT);
        return NULL;
    }
    const uint8_t *v = r->p + r->pos;
    r->pos += n;
    return v;
}

void kpi__get_bytes(kpi__reader *r, void *dst, size_t n)
{
    const uint8_t *v = kpi__get_view(r, n);
    if (v != NULL && n)
        memcpy(dst, v, n);
    else if (n)
        memset(dst, 0, n);
}

static uint64_t get_le(kpi__reader *r, size_t n)
{
    const uint8_t *v = kpi__get_view(r, n);
    return v ? load_le(v, n) : 0;
}

uint8_t kpi__get_u8(kpi__reader *r) { return (uint8_t)get_le(r, 1); }
uint16_t kpi__get_u16(kpi__reader *r) { return (uint16_t)get_le(r, 2); }
uint32_t kpi__get_u32(kpi__reader *r) { return (uint32_t)get_le(r, 4); }
uint64_t kpi__get_u64(kpi__reader *r) { return get_le(r, 8); }
int64_t kpi__get_i64(kpi__reader *r) { return (int64_t)get_le(r, 8); }

double kpi__get_f64(kpi__reader *r)
{
    uint64_t bits = get_le(r, 8);
    double v;
    memcpy(&v, &bits, sizeof v);
    return v;
}

double kpi__get_finite(kpi__reader *r)
{
    double v = kpi__get_f64(r);
    if (!isfinite(v)) {
        kpi__reader_fail(r, KPI_ERR_CORRUPT);
        return 0.0;
    }
    return v;
}

uint64_t kpi__get_varint(kpi__reader *r)
{
    uint64_t v = 0;
    for (unsigned shift = 0; shift < 64; shift += 7) {
        uint8_t byte = kpi__get_u8(r);
        if (r->err != KPI_OK)
            return 0;
        /* the tenth byte may only carry the top bit of a 64-bit value */
        if (shift == 63 && byte > 1) {
            kpi__reader_fail(r, KPI_ERR_CORRUPT);
            return 0;
        }
        v |= (uint64_t)(byte & 0x7F) << shift;
        if (!(byte & 0x80)) {
            /* the shortest form only: a last group of zero after the
             * first byte (80 00 for 0) would give one value two spellings */
            if (byte == 0 && shift > 0) {
                kpi__reader_fail(r, KPI_ERR_CORRUPT);
                return 0;
            }
            return v;
        }
    }
    kpi__reader_fail(r, KPI_ERR_CORRUPT);
    return 0;
}

int64_t kpi__get_svarint(kpi__reader *r)
{
    uint64_t u = kpi__get_varint(r);
    return (int64_t)(u >> 1) ^ -(int64_t)(u & 1);
}

size_t kpi__get_count(kpi__reader *r, size_t max, size_t min_elem_bytes)
{
    uint64_t n = kpi__get_varint(r);
    if (r->err != KPI_OK)
        return 0;
    if (n > max || (min_elem_bytes && n > kpi__reader_left(r) / min_elem_bytes)) {
        kpi__reader_fail(r, KPI_ERR_CORRUPT);
        return 0;
    }
    return (size_t)n;
}

const uint8_t *kpi__get_blob(kpi__reader *r, size_t max, size_t *n)
{
    *n = kpi__get_count(r, max, 1);
    if (r->err != KPI_OK) {
        *n = 0;
        return NULL;
    }
    const uint8_t *v = kpi__get_view(r, *n);
    if (v == NULL)
        *n = 0;
    return v;
}

void kpi__get_nested(kpi__reader *r, kpi__reader *sub)
{
    memset(sub, 0, sizeof *sub);
    sub->version = r->version;
    sub->depth = (uint16_t)(r->depth + 1);
    uint32_t n = kpi__get_u32(r);
    const uint8_t *v = kpi__get_view(r, n);
    if (v == NULL) {
        sub->err = r->err ? r->err : KPI_ERR_CORRUPT;
        return;
    }
    sub->p = v;
    sub->len = n;
}

int kpi__get_object(kpi__reader *r, const kpi__type *type,
                    const kpi_allocator *a, void **out)
{
    kpi__reader sub;
    kpi__get_nested(r, &sub);
    if (sub.err != KPI_OK)
        return sub.err;
    void *obj = NULL;
    int rc = type->decode(&sub, a, &obj);
    if (rc == KPI_OK)
        rc = kpi__reader_close(&sub);
    if (rc != KPI_OK) {
        if (obj != NULL)
            type->destroy(obj);
        kpi__reader_fail(r, rc);
        return rc;
    }
    *out = obj;
    return KPI_OK;
}
