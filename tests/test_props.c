/*
 * Properties over random streams, for every accumulator type in
 * tests/robust.h and several seeds (deterministic):
 * - serialize then deserialize gives the same bytes and the same reads;
 * - a batch call (add_array) equals the same events fed one by one, however
 *   the stream is cut into batches;
 * - a batch with one bad event in the middle is rejected and changes
 *   nothing;
 * - merge is commutative and associative, has the empty object as its
 *   identity, and shards merged equal one object fed everything (same
 *   bytes where the state is exactly mergeable, within the sketch's
 *   promise where it is not: see each row's `close`);
 * - a state whose body was edited (and resealed) is read or refused with
 *   KPI_ERR_CORRUPT, never another code;
 * - the golden state of each row, written by format version 1, still reads.
 * SPDX-License-Identifier: MIT
 */
#include "robust.h"

#define NEV 300
#define NSEEDS 4

static void *copy_of(const rb_type *T, const void *o)
{
    void *c = NULL;
    ck_assert_ok(T->clone(o, &c));
    return c;
}

/* dst (a copy of a) += b */
static void *merged(const rb_type *T, const void *a, const void *b)
{
    void *c = copy_of(T, a);
    int rc = T->merge(c, b);
    ck_assert_msg(rc == KPI_OK, "%s: merge: %s", T->name, kpi_status_name(rc));
    return c;
}

/* the events of shard s of k (by key) */
static rb_ev *shard(const rb_ev *ev, size_t n, unsigned s, unsigned k, size_t *m)
{
    rb_ev *out = calloc(n, sizeof *out);
    ck_assert_ptr_nonnull(out);
    *m = 0;
    for (size_t i = 0; i < n; i++)
        if (ev[i].key % k == s)
            out[(*m)++] = ev[i];
    return out;
}

START_TEST(round_trip)
{
    const rb_type *T = &rb_types[_i];
    for (uint64_t seed = 1; seed <= NSEEDS; seed++) {
        rb_ev *ev = rb_stream(T, seed, NEV);
        for (size_t n = 0; n <= NEV; n += NEV / 3) {
            void *o = rb_fed(T, ev, n, NULL), *back = NULL;
            size_t len;
            unsigned char *b = rb_bytes(T, o, &len);
            ck_assert_ok(T->deser(&back, b, len, NULL));
            rb_unchanged(T, back, b, len, "deserialized");
            rb_reads_equal(T, o, back, "deserialized");
            /* and the copy keeps working like the original */
            if (n < NEV) {
                int r1 = T->add(o, &ev[n]), r2 = T->add(back, &ev[n]);
                ck_assert_int_eq(r1, r2);
                rb_same(T, o, back, "fed after the round trip");
            }
            free(b);
            T->destroy(o);
            T->destroy(back);
        }
        free(ev);
    }
}
END_TEST

START_TEST(batch_equals_singles)
{
    const rb_type *T = &rb_types[_i];
    if (T->add_n == NULL)
        return;
    static const size_t cuts[] = {1, 2, 7, 37, 64, 300};
    for (uint64_t seed = 1; seed <= NSEEDS; seed++) {
        rb_ev *ev = rb_stream(T, seed, NEV);
        void *one = rb_fed(T, ev, NEV, NULL);
        size_t len;
        unsigned char *want = rb_bytes(T, one, &len);
        for (size_t c = 0; c < sizeof cuts / sizeof cuts[0]; c++) {
            void *o = NULL;
            ck_assert_ok(T->make(&o, NULL));
            for (size_t i = 0; i < NEV; i += cuts[c]) {
                size_t m = NEV - i < cuts[c] ? NEV - i : cuts[c];
                int rc = T->add_n(o, ev + i, m);
                ck_assert_msg(rc == KPI_OK, "%s: batch at %zu: %s", T->name, i,
                              kpi_status_name(rc));
            }
            char ctx[64];
            snprintf(ctx, sizeof ctx, "batches of %zu, seed %llu", cuts[c],
                     (unsigned long long)seed);
            rb_same(T, o, one, ctx);
            if (T->close == NULL)
                rb_reads_equal(T, o, one, ctx);
            T->destroy(o);
        }
        /* an empty batch changes nothing */
        ck_assert_ok(T->add_n(one, ev, 0));
        rb_unchanged(T, one, want, len, "empty batch");
        free(want);
        T->destroy(one);
        free(ev);
    }
}
END_TEST

START_TEST(rejected_batch_changes_nothing)
{
    const rb_type *T = &rb_types[_i];
    if (T->add_n == NULL || T->spoil == NULL)
        return;
    for (uint64_t seed = 1; seed <= NSEEDS; seed++) {
        rb_ev *ev = rb_stream(T, seed, NEV);
        for (size_t from = 0; from <= 200; from += 100) {
            void *o = rb_fed(T, ev, from, NULL);
            size_t len;
            unsigned char *before = rb_bytes(T, o, &len);
            rb_ev bad[61];
            memcpy(bad, ev + from, sizeof bad);
            T->spoil(&bad[30]);
            int rc = T->add_n(o, bad, 61);
            ck_assert_msg(rc != KPI_OK, "%s: a spoiled batch was accepted", T->name);
            ck_assert_msg(rc != KPI_ERR_NOMEM, "%s: spoiled batch: NOMEM", T->name);
            rb_unchanged(T, o, before, len, "rejected batch");
            /* and the good events alone still go in */
            ck_assert_ok(T->add_n(o, ev + from, 30));
            free(before);
            T->destroy(o);
        }
        free(ev);
    }
}
END_TEST

START_TEST(merge_laws)
{
    const rb_type *T = &rb_types[_i];
    if (T->merge == NULL)
        return;
    for (uint64_t seed = 1; seed <= NSEEDS; seed++) {
        rb_ev *ev = rb_stream(T, seed, NEV);
        void *one = rb_fed(T, ev, NEV, NULL), *empty = NULL;
        rb_finish(T, one);
        ck_assert_ok(T->make(&empty, NULL));
        /* the empty object is the identity, on either side */
        void *x = merged(T, one, empty), *y = merged(T, empty, one);
        rb_same(T, x, one, "one + empty");
        rb_same(T, y, one, "empty + one");
        T->destroy(x);
        T->destroy(y);
        if (T->merge_props) {
            void *s[3];
            for (unsigned k = 0; k < 3; k++) {
                size_t m;
                rb_ev *part = shard(ev, NEV, k, 3, &m);
                s[k] = rb_fed(T, part, m, NULL);
                rb_finish(T, s[k]);
                free(part);
            }
            void *ab = merged(T, s[0], s[1]), *ba = merged(T, s[1], s[0]);
            rb_same(T, ab, ba, "a + b vs b + a");
            void *ab_c = merged(T, ab, s[2]), *bc = merged(T, s[1], s[2]);
            void *a_bc = merged(T, s[0], bc);
            rb_same(T, ab_c, a_bc, "(a + b) + c vs a + (b + c)");
            rb_same(T, ab_c, one, "shards merged vs one fed everything");
            void *c_ba = merged(T, s[2], ba);
            rb_same(T, c_ba, one, "c + (b + a) vs one fed everything");
            void *ptrs[] = {ab, ba, ab_c, bc, a_bc, c_ba, s[0], s[1], s[2]};
            for (size_t i = 0; i < sizeof ptrs / sizeof ptrs[0]; i++)
                T->destroy(ptrs[i]);
        }
        T->destroy(one);
        T->destroy(empty);
        free(ev);
    }
}
END_TEST

/* docs/format.md, "Validation": the body's fields are checked one by one
 * and "any failure is KPI_ERR_CORRUPT".  Every byte of a body set to a few
 * telling values (0, 1, 0x7F, 0x80, 0xFF, ...) or deleted, the state then
 * resealed (true body length and checksum) so that only the body is wrong:
 * the state is read or refused with KPI_ERR_CORRUPT, nothing else, and
 * what is read serializes again. */
static void read_or_corrupt(const rb_type *T, const unsigned char *f, size_t len,
                            const char *what, size_t at)
{
    void *out = NULL;
    int rc = T->deser(&out, f, len, NULL);
    ck_assert_msg(rc == KPI_OK || rc == KPI_ERR_CORRUPT, "%s: byte %zu %s: %s", T->name, at,
                  what, kpi_status_name(rc));
    if (rc == KPI_OK) {
        size_t l2;
        free(rb_bytes(T, out, &l2));
        T->destroy(out);
    }
}

START_TEST(edited_bodies_are_read_or_refused_as_corrupt)
{
    const rb_type *T = &rb_types[_i];
    static const unsigned char vals[] = {0x00, 0x01, 0x02, 0x40, 0x7F, 0x80, 0xFF};
    rb_ev *ev = rb_stream(T, 5, 40);
    for (size_t n = 0; n <= 40; n += 20) {
        void *o = rb_fed(T, ev, n, NULL);
        size_t len;
        unsigned char *b = rb_bytes(T, o, &len);
        unsigned char *f = malloc(len);
        ck_assert_ptr_nonnull(f);
        for (size_t i = 12; i < len - 4; i++) {
            for (size_t k = 0; k < sizeof vals; k++) {
                if (b[i] == vals[k])
                    continue;
                memcpy(f, b, len);
                f[i] = vals[k];
                test_reseal(f, len);
                read_or_corrupt(T, f, len, "changed", i);
            }
            memcpy(f, b, i);
            memcpy(f + i, b + i + 1, len - i - 1);
            test_reseal(f, len - 1);
            read_or_corrupt(T, f, len - 1, "deleted", i);
        }
        free(f);
        free(b);
        T->destroy(o);
    }
    free(ev);
}
END_TEST

/* docs/format.md, "Versions": golden states of every format version are
 * kept and read by every later release.  tests/data/props-<row>-v1.bin
 * holds each row's object fed the first 60 events of stream 7, written by
 * format version 1; it must still read, serialize back to the very same
 * bytes, and equal the same object built now.  KPI_WRITE_GOLDEN=1 writes
 * the files again: only ever on purpose (a new version adds new files and
 * keeps these). */
START_TEST(golden_states_of_every_type_still_read)
{
    const rb_type *T = &rb_types[_i];
    char name[64];
    snprintf(name, sizeof name, "props-%s-v1.bin", T->name);
    rb_ev *ev = rb_stream(T, 7, 60);
    void *now = rb_fed(T, ev, 60, NULL);
    size_t len;
    unsigned char *b = rb_bytes(T, now, &len);
    test_write_golden(name, b, len);
    size_t glen;
    unsigned char *g = test_read_file(test_data_path(name), &glen);
    ck_assert_msg(g != NULL, "missing %s", test_data_path(name));
    void *back = NULL;
    ck_assert_ok(T->deser(&back, g, glen, NULL));
    rb_unchanged(T, back, g, glen, "golden state");
    rb_reads_equal(T, back, now, "golden state");
    ck_assert_msg(glen == len && memcmp(g, b, len) == 0, "%s: the state written now differs",
                  name);
    T->destroy(back);
    T->destroy(now);
    free(g);
    free(b);
    free(ev);
}
END_TEST

static Suite *props_suite(void)
{
    TCase *tc;
    Suite *s = rb_suite("props", &tc);
    tcase_add_loop_test(tc, round_trip, 0, (int)RB_NTYPES);
    tcase_add_loop_test(tc, batch_equals_singles, 0, (int)RB_NTYPES);
    tcase_add_loop_test(tc, rejected_batch_changes_nothing, 0, (int)RB_NTYPES);
    tcase_add_loop_test(tc, merge_laws, 0, (int)RB_NTYPES);
    tcase_add_loop_test(tc, edited_bodies_are_read_or_refused_as_corrupt, 0, (int)RB_NTYPES);
    tcase_add_loop_test(tc, golden_states_of_every_type_still_read, 0, (int)RB_NTYPES);
    return s;
}

KPI_TEST_MAIN(props_suite)
