/*
 * The portable state codec shared by every accumulator.  Not installed.
 * SPDX-License-Identifier: MIT
 *
 * Layout of a serialized state (all integers little-endian):
 *
 *   offset  size  field
 *   0       4     magic "kpiS"
 *   4       2     format version (the lowest describing it: see below)
 *   6       2     type tag (KPI__TAG_*)
 *   8       4     body length B
 *   12      B     body: the type's configuration, then its payload
 *   12+B    4     CRC-32C (Castagnoli) of bytes [0, 12+B)
 *
 * Writers never fail mid-way: a kpi__writer counts every byte and stores
 * only those that fit, so one pass both measures and writes.  Readers are
 * sticky: the first out-of-bounds or malformed read sets r->err and every
 * later read returns zero, so decoders check once at the end (and before
 * any allocation sized from the input, through kpi__get_count).
 */
#ifndef KPI_CODEC_H
#define KPI_CODEC_H

#include "internal.h"

/* The newest format version this library reads (and writes).  Format 2
 * changed only the ticket engine's body (two metrics more, the business
 * sums of live tickets); every other type's state is the same in both.  A
 * state is written with the lowest version that describes it, so that
 * earlier libraries still read it: format 1 but for an engine with a
 * calendar or a target on a business metric of format 2
 * (kpi__engine_format()). */
#define KPI__FORMAT_VERSION 2
#define KPI__HEADER_SIZE 12
#define KPI__TRAILER_SIZE 4

typedef struct kpi__writer {
    uint8_t *buf;
    size_t cap;
    size_t pos; /* bytes produced so far, stored or not */
} kpi__writer;

typedef struct kpi__reader {
    const uint8_t *p;
    size_t len;
    size_t pos;
    int err;          /* first error, KPI_OK while all reads succeeded */
    uint16_t version; /* format version of the state being read */
    uint16_t depth;   /* objects this one is nested in (kpi__get_nested) */
} kpi__reader;

/* Deepest nesting of objects a state may hold: a group whose prototype is
 * a group, and so on (kpi_group).  Bytes nested deeper are corrupt, so a
 * forged state cannot recurse without end. */
#define KPI__MAX_DEPTH 64

/* ---- writing ------------------------------------------------------------ */

void kpi__put_bytes(kpi__writer *w, const void *src, size_t n);
void kpi__put_u8(kpi__writer *w, uint8_t v);
void kpi__put_u16(kpi__writer *w, uint16_t v);
void kpi__put_u32(kpi__writer *w, uint32_t v);
void kpi__put_u64(kpi__writer *w, uint64_t v);
void kpi__put_i64(kpi__writer *w, int64_t v);
void kpi__put_f64(kpi__writer *w, double v);
/* LEB128 unsigned varint (1..10 bytes): compact for small counts. */
void kpi__put_varint(kpi__writer *w, uint64_t v);
/* Zig-zag signed varint. */
void kpi__put_svarint(kpi__writer *w, int64_t v);
/* A length-prefixed (varint) byte string. */
void kpi__put_blob(kpi__writer *w, const void *src, size_t n);
/* Nested length: reserve a u32 now, patch it with the bytes written since
 * when the nested part ends.  Used to embed one object in another. */
size_t kpi__put_len_begin(kpi__writer *w);
void kpi__put_len_end(kpi__writer *w, size_t mark);

/* Write a complete state: header, obj's type->encode, checksum. */
int kpi__encode_state(const void *obj, void *buf, size_t cap, size_t *len);

/* ---- reading ------------------------------------------------------------ */

/* Validate magic, version, length and checksum and position a reader on
 * the body.  Returns KPI_OK, KPI_ERR_INVALID (NULL), KPI_ERR_CORRUPT
 * (foreign bytes, bad checksum, trailing bytes), KPI_ERR_TRUNCATED,
 * KPI_ERR_VERSION or KPI_ERR_TYPE (tag differs from `tag`). */
int kpi__reader_open(kpi__reader *r, const void *buf, size_t len,
                     uint16_t tag);
/* KPI_OK when no read failed and the whole body was consumed. */
int kpi__reader_close(const kpi__reader *r);
/* Mark the reader failed with `status` (first failure wins). */
void kpi__reader_fail(kpi__reader *r, int status);

void kpi__get_bytes(kpi__reader *r, void *dst, size_t n);
/* Borrow n bytes in place (NULL on failure). */
const uint8_t *kpi__get_view(kpi__reader *r, size_t n);
uint8_t kpi__get_u8(kpi__reader *r);
uint16_t kpi__get_u16(kpi__reader *r);
uint32_t kpi__get_u32(kpi__reader *r);
uint64_t kpi__get_u64(kpi__reader *r);
int64_t kpi__get_i64(kpi__reader *r);
double kpi__get_f64(kpi__reader *r);
/* A finite double; fails the reader with KPI_ERR_CORRUPT on NaN/inf. */
double kpi__get_finite(kpi__reader *r);
uint64_t kpi__get_varint(kpi__reader *r);
int64_t kpi__get_svarint(kpi__reader *r);
/* A count of elements that each take at least `min_elem_bytes` bytes in
 * the remaining input, and at most `max`: guards every allocation sized
 * from untrusted input.  Fails the reader with KPI_ERR_CORRUPT otherwise. */
size_t kpi__get_count(kpi__reader *r, size_t max, size_t min_elem_bytes);
/* A length-prefixed byte string borrowed in place; *n receives its length.
 * Fails when longer than `max`. */
const uint8_t *kpi__get_blob(kpi__reader *r, size_t max, size_t *n);
/* Open a nested part written with kpi__put_len_begin/_end: `sub` reads
 * exactly those bytes; the parent skips past them. */
void kpi__get_nested(kpi__reader *r, kpi__reader *sub);
/* Bytes not yet read. */
static inline size_t kpi__reader_left(const kpi__reader *r)
{
    return r->err ? 0 : r->len - r->pos;
}

/* Decode a nested object of `type` from r (written by kpi__put_object). */
int kpi__get_object(kpi__reader *r, const kpi__type *type,
                    const kpi_allocator *a, void **out);
/* Encode an object nested in another, length-prefixed. */
void kpi__put_object(kpi__writer *w, const void *obj);

/* ---- checksum ----------------------------------------------------------- */

/* CRC-32C (Castagnoli, reflected, init and xor-out 0xFFFFFFFF). */
uint32_t kpi__crc32c(const void *data, size_t len);
/* The same with the byte-wise table only (the portable path; tests). */
uint32_t kpi__crc32c_bytewise(const void *data, size_t len);

#endif /* KPI_CODEC_H */
