/*
 * Allocation-failure sweeps: for every accumulator type (tests/robust.h)
 * and every call that allocates (constructor, each growth step of a
 * stream, batch adds, clone, merge, deserialize), fail the n-th
 * allocation for n = 1, 2, ... until the call succeeds.  Each failed call
 * must return KPI_ERR_NOMEM, hand out nothing, leak nothing (live blocks
 * and bytes as before the call) and leave its object exactly as before
 * (same serialized bytes, same reads); run again without the failure, it
 * must give the same result as on an untouched object.
 * SPDX-License-Identifier: MIT
 */
#include "robust.h"
#include "libc_watch.h"

/* ---- an allocator that counts live blocks and bytes, and fails on cue ---- */

typedef struct counter {
    long live;      /* blocks allocated and not freed */
    size_t bytes;   /* their total size */
    long calls;     /* malloc_fn and realloc_fn calls */
    long countdown; /* > 0: the countdown-th call from now fails */
    int fired;      /* the planned failure happened */
} counter;

static counter ctr;

/* each block carries its size in front (16 bytes keep the alignment) */
#define HDR 16

static int fail_now(counter *c)
{
    c->calls++;
    if (c->countdown > 0 && --c->countdown == 0) {
        c->fired = 1;
        return 1;
    }
    return 0;
}

static void *c_malloc(void *opaque, size_t n)
{
    counter *c = opaque;
    if (fail_now(c))
        return NULL;
    unsigned char *b = malloc(n + HDR);
    if (b == NULL)
        return NULL;
    memcpy(b, &n, sizeof n);
    c->live++;
    c->bytes += n;
    return b + HDR;
}

static void *c_realloc(void *opaque, void *ptr, size_t n)
{
    counter *c = opaque;
    /* common.h: realloc_fn only resizes blocks of malloc_fn or realloc_fn,
     * so an allocator written to that may not take NULL (distinct's exact
     * set grew from NULL through realloc_fn until 2026-12-05) */
    ck_assert_msg(ptr != NULL, "realloc_fn called with NULL");
    if (fail_now(c))
        return NULL;
    size_t old;
    memcpy(&old, (unsigned char *)ptr - HDR, sizeof old);
    unsigned char *b = realloc((unsigned char *)ptr - HDR, n + HDR);
    if (b == NULL)
        return NULL;
    memcpy(b, &n, sizeof n);
    c->bytes = c->bytes - old + n;
    return b + HDR;
}

static void c_free(void *opaque, void *ptr)
{
    counter *c = opaque;
    size_t old;
    memcpy(&old, (unsigned char *)ptr - HDR, sizeof old);
    c->live--;
    c->bytes -= old;
    free((unsigned char *)ptr - HDR);
}

static const kpi_allocator A = {c_malloc, c_realloc, c_free, &ctr};

/* ---- the sweep ------------------------------------------------------------ */

typedef enum {
    OP_MAKE, OP_CLONE, OP_DESER, OP_GROW, OP_ADDN, OP_MERGE, OP_MERGE_SELF,
    OP_TOTAL,   /* kpi_group_total(): a read that allocates a member */
    OP_FORECAST /* kpi_series_set_forecast() on an empty series */
} op_kind;

static const char *const op_names[] = {"make", "clone", "deserialize", "grow",
                                       "add_array", "merge", "merge-self",
                                       "group_total", "set_forecast"};

typedef struct sweep_op {
    const rb_type *T;
    op_kind kind;
    const void *base;         /* the object the call works on (a copy of it) */
    const rb_ev *ev;          /* grow: the event; add_array: the events */
    size_t n;                 /* add_array: how many */
    const void *src;          /* merge: the source */
    const unsigned char *buf; /* deserialize: the bytes */
    size_t len;
} sweep_op;

static int works_on_object(op_kind k)
{
    return k == OP_GROW || k == OP_ADDN || k == OP_MERGE || k == OP_MERGE_SELF ||
           k == OP_FORECAST;
}

static int run(const sweep_op *s, void *work, void **made)
{
    const rb_type *T = s->T;
    switch (s->kind) {
    case OP_MAKE: return T->make(made, &A);
    case OP_CLONE: return T->clone(s->base, made);
    case OP_DESER: return T->deser(made, s->buf, s->len, &A);
    case OP_GROW: return (T->grow ? T->grow : T->add)(work, s->ev);
    case OP_ADDN: return T->add_n(work, s->ev, s->n);
    case OP_MERGE: return T->merge(work, s->src);
    case OP_MERGE_SELF: return T->merge(work, work);
    case OP_TOTAL: return kpi_group_total(s->base, made);
    default: return kpi_series_set_forecast(work, 12, 0.2, 0.1, 0.3);
    }
}

/* The row of the objects a call hands out (a group's total: its member's). */
static const rb_type *made_row(const sweep_op *s)
{
    return s->kind == OP_TOTAL ? s->T->member : s->T;
}

/* The object a call gives or changes, as bytes (the reference result). */
static unsigned char *result_bytes(const sweep_op *s, void *work, void *made,
                                   size_t *len)
{
    if (works_on_object(s->kind))
        return rb_bytes(s->T, work, len);
    return rb_bytes(made_row(s), made, len);
}

/* Sweep one call.  Returns the number of allocations the successful call
 * made (the sweep failed each of them in turn), or -1 when the call is
 * refused even without a failure (for example KPI_ERR_INCOMPATIBLE). */
static long sweep(const sweep_op *s, const char *ctx)
{
    const rb_type *T = s->T;
    /* the reference: the call on an untouched copy, no failure */
    void *work = NULL, *made = NULL;
    if (works_on_object(s->kind))
        ck_assert_ok(T->clone(s->base, &work));
    int rc = run(s, work, &made);
    if (rc != KPI_OK) {
        ck_assert_msg(rc != KPI_ERR_NOMEM, "%s %s %s: NOMEM without a failure",
                      T->name, op_names[s->kind], ctx);
        T->destroy(work);
        return -1;
    }
    size_t ref_len;
    unsigned char *ref = result_bytes(s, work, made, &ref_len);
    T->destroy(work);
    made_row(s)->destroy(made);

    size_t src_len = 0;
    unsigned char *src_before = s->src ? rb_bytes(T, s->src, &src_len) : NULL;
    long n;
    for (n = 1;; n++) {
        work = made = NULL;
        if (works_on_object(s->kind))
            ck_assert_ok(T->clone(s->base, &work));
        size_t blen = 0;
        unsigned char *before = work ? rb_bytes(T, work, &blen) : NULL;
        long live0 = ctr.live;
        size_t bytes0 = ctr.bytes;

        ctr.fired = 0;
        ctr.countdown = n;
        rc = run(s, work, &made);
        ctr.countdown = 0;

        if (!ctr.fired) {
            /* fewer than n allocations: the call went through */
            ck_assert_msg(rc == KPI_OK, "%s %s %s: %s with no failure", T->name,
                          op_names[s->kind], ctx, kpi_status_name(rc));
            size_t got_len;
            unsigned char *got = result_bytes(s, work, made, &got_len);
            ck_assert_msg(got_len == ref_len && memcmp(got, ref, ref_len) == 0,
                          "%s %s %s: result differs", T->name, op_names[s->kind], ctx);
            free(got);
            T->destroy(work);
            made_row(s)->destroy(made);
            free(before);
            break;
        }
        ck_assert_msg(rc == KPI_ERR_NOMEM,
                      "%s %s %s: allocation %ld failed, the call returned %s",
                      T->name, op_names[s->kind], ctx, n, kpi_status_name(rc));
        ck_assert_msg(made == NULL, "%s %s %s: an object handed out on failure",
                      T->name, op_names[s->kind], ctx);
        ck_assert_msg(ctr.live == live0 && ctr.bytes == bytes0,
                      "%s %s %s: allocation %ld failed: %ld blocks, %zu bytes leaked",
                      T->name, op_names[s->kind], ctx, n, ctr.live - live0,
                      ctr.bytes - bytes0);
        if (work) {
            char what[96];
            snprintf(what, sizeof what, "%s %s (allocation %ld failed)",
                     op_names[s->kind], ctx, n);
            rb_unchanged(T, work, before, blen, what);
            rb_reads_equal(T, work, s->base, what);
            /* still usable: the same call now succeeds as on the original */
            ck_assert_ok(run(s, work, &made));
            size_t got_len;
            unsigned char *got = result_bytes(s, work, made, &got_len);
            ck_assert_msg(got_len == ref_len && memcmp(got, ref, ref_len) == 0,
                          "%s: %s: retry after the failure differs", T->name, what);
            free(got);
        }
        if (s->src)
            rb_unchanged(T, s->src, src_before, src_len, "merge source");
        T->destroy(work);
        free(before);
    }
    free(ref);
    free(src_before);
    if (getenv("KPI_TEST_VERBOSE") && n > 1)
        printf("%-16s %-12s %-28s %ld allocations failed in turn\n", T->name,
               op_names[s->kind], ctx, n - 1);
    return n - 1;
}

/* ---- the tests ------------------------------------------------------------ */

#define NEV 120

/* clone and deserialize an object */
static void sweep_copies(const rb_type *T, const void *o, const char *ctx)
{
    sweep_op s = {T, OP_CLONE, o, NULL, 0, NULL, NULL, 0};
    ck_assert_int_ge(sweep(&s, ctx), 1);
    size_t len;
    unsigned char *b = rb_bytes(T, o, &len);
    s = (sweep_op){T, OP_DESER, NULL, NULL, 0, NULL, b, len};
    ck_assert_int_ge(sweep(&s, ctx), 1);
    free(b);
}

/* every test ends with as many live blocks as it began */
static long live_at_start;
static void note_live(void) { live_at_start = ctr.live; }
static void check_live(void)
{
    ck_assert_int_eq(ctr.live, live_at_start);
    ck_assert_int_eq(ctr.countdown, 0);
}

/* every constructor, clone and deserialize */
START_TEST(constructors)
{
    const rb_type *T = &rb_types[_i];
    sweep_op s = {T, OP_MAKE, NULL, NULL, 0, NULL, NULL, 0};
    ck_assert_int_ge(sweep(&s, ""), 1);
    rb_ev *ev = rb_stream(T, 11, NEV);
    void *base = rb_fed(T, ev, NEV, &A), *empty = NULL;
    ck_assert_ok(T->make(&empty, &A));
    sweep_copies(T, base, "of 120 events");
    sweep_copies(T, empty, "empty");
    T->destroy(empty);
    T->destroy(base);
    free(ev);
}
END_TEST

/* each state of a stream's first events, then the next event: the adds
 * that grow memory (new labels, wider sketches, new members, the switch
 * from an exact set to HyperLogLog) */
START_TEST(growth)
{
    const rb_type *T = &rb_types[_i];
    long allocating = 0;
    rb_ev *ev = rb_stream(T, 23, T->grow_steps + 1);
    void *base = NULL;
    ck_assert_ok(T->make(&base, &A));
    for (size_t i = 0; i < T->grow_steps; i++) {
        char ctx[48];
        snprintf(ctx, sizeof ctx, "at event %zu", i);
        sweep_op s = {T, OP_GROW, base, &ev[i], 0, NULL, NULL, 0};
        long n = sweep(&s, ctx);
        ck_assert_msg(n >= 0, "%s: event %zu refused", T->name, i);
        allocating += n > 0;
        /* the next state: the full event (for groups: member and value) */
        ck_assert_ok(T->add(base, &ev[i]));
    }
    if (T->grow_allocates)
        ck_assert_msg(allocating > 0, "%s: no growth step allocated", T->name);
    T->destroy(base);
    free(ev);
}
END_TEST

/* a batch add (one call) from several states */
START_TEST(batches)
{
    const rb_type *T = &rb_types[_i];
    if (T->add_n == NULL)
        return;
    rb_ev *ev = rb_stream(T, 31, 200);
    static const size_t from[] = {0, 5, 40};
    for (size_t k = 0; k < sizeof from / sizeof from[0]; k++) {
        void *base = rb_fed(T, ev, from[k], &A);
        char ctx[48];
        snprintf(ctx, sizeof ctx, "of 100 after %zu events", from[k]);
        sweep_op s = {T, OP_ADDN, base, ev + from[k], 100, NULL, NULL, 0};
        ck_assert_int_ge(sweep(&s, ctx), 0);
        T->destroy(base);
    }
    free(ev);
}
END_TEST

/* merges: into an empty object, into a fed one, into itself */
START_TEST(merges)
{
    const rb_type *T = &rb_types[_i];
    if (T->merge == NULL)
        return;
    rb_ev *e1 = rb_stream(T, 41, NEV), *e2 = rb_stream(T, 43, NEV);
    void *a = rb_fed(T, e1, NEV, &A), *b = rb_fed(T, e2, NEV / 2, &A), *empty = NULL;
    rb_finish(T, a);
    rb_finish(T, b);
    ck_assert_ok(T->make(&empty, &A));
    sweep_op s = {T, OP_MERGE, empty, NULL, 0, b, NULL, 0};
    ck_assert_int_ge(sweep(&s, "into empty"), 0);
    s = (sweep_op){T, OP_MERGE, a, NULL, 0, b, NULL, 0};
    long n = sweep(&s, "into fed");
    ck_assert(n >= 0 || !T->merge_props);
    s = (sweep_op){T, OP_MERGE, a, NULL, 0, empty, NULL, 0};
    ck_assert_int_ge(sweep(&s, "of empty"), 0);
    s = (sweep_op){T, OP_MERGE_SELF, a, NULL, 0, NULL, NULL, 0};
    n = sweep(&s, "into itself");
    ck_assert(n >= 0 || !T->merge_props);
    T->destroy(a);
    T->destroy(b);
    T->destroy(empty);
    free(e1);
    free(e2);
}
END_TEST

/* the reads and settings that allocate: a group's total, a forecast */
START_TEST(other_calls)
{
    const rb_type *T = &rb_types[_i];
    if (T->member != NULL) {
        rb_ev *ev = rb_stream(T, 53, NEV);
        void *g = rb_fed(T, ev, NEV, &A);
        sweep_op s = {T, OP_TOTAL, g, NULL, 0, NULL, NULL, 0};
        ck_assert_int_ge(sweep(&s, "of 120 events"), 1);
        T->destroy(g);
        free(ev);
    }
    if (strncmp(T->name, "series", 6) == 0) {
        void *empty = NULL;
        ck_assert_ok(T->make(&empty, &A));
        sweep_op s = {T, OP_FORECAST, empty, NULL, 0, NULL, NULL, 0};
        ck_assert_int_ge(sweep(&s, "on an empty series"), 1);
        T->destroy(empty);
    }
}
END_TEST

/* Two allocators in one process (common.h: every object uses the allocator
 * it was created with for ALL of its memory): merging an object made with
 * allocator B into one made with A takes nothing from B that outlives the
 * source, and frees nothing of A's through B or the reverse; a clone and a
 * deserialize with A of B's object hold nothing of B's. */
static counter ctr2;
static const kpi_allocator B = {c_malloc, c_realloc, c_free, &ctr2};

START_TEST(two_allocators_never_mix)
{
    const rb_type *T = &rb_types[_i];
    rb_ev *e1 = rb_stream(T, 61, NEV), *e2 = rb_stream(T, 67, NEV);
    long a0 = ctr.live;
    ck_assert_int_eq(ctr2.live, 0);
    void *a = rb_fed(T, e1, NEV / 2, &A), *b = rb_fed(T, e2, NEV, &B);
    rb_finish(T, a);
    rb_finish(T, b);
    long a1 = ctr.live, b1 = ctr2.live;
    ck_assert_int_gt(b1, 0);
    if (T->merge != NULL) {
        void *a_empty = NULL;
        ck_assert_ok(T->make(&a_empty, &A));
        int rc = T->merge(a, b);
        ck_assert(rc == KPI_OK || !T->merge_props);
        ck_assert_ok(T->merge(a_empty, b));
        ck_assert_int_eq(ctr2.live, b1); /* B's blocks: exactly b's */
        T->destroy(a_empty);
    }
    void *c = NULL, *d = NULL;
    ck_assert_ok(T->clone(b, &c)); /* a clone inherits B */
    size_t len;
    unsigned char *bytes = rb_bytes(T, b, &len);
    ck_assert_ok(T->deser(&d, bytes, len, &A)); /* read with A: all of it in A */
    free(bytes);
    long b2 = ctr2.live;
    T->destroy(b);
    T->destroy(c);
    ck_assert_int_eq(ctr2.live, 0);
    ck_assert_int_gt(b2, b1); /* the clone's blocks came from B */
    ck_assert_int_gt(ctr.live, a1);
    T->destroy(d);
    T->destroy(a);
    ck_assert_int_eq(ctr.live, a0);
    ck_assert_uint_eq(ctr2.bytes, 0);
    free(e1);
    free(e2);
}
END_TEST

/* ---- nothing from the C library's allocator -------------------------------
 * common.h: an object given an allocator takes all of its memory from it.
 * Every verb of every row, on states large enough that a sort's scratch
 * would pass glibc's 1 KiB stack buffer, watched (tests/libc_watch.h): no
 * malloc, calloc or realloc of the C library's may happen inside. */
#define WATCHED(step, call)                                                  \
    do {                                                                     \
        libc_watch_begin();                                                  \
        int rc_w_ = (call);                                                  \
        libc_watch_end();                                                    \
        ck_assert_msg(rc_w_ == KPI_OK || rc_w_ == KPI_ERR_BUFFER ||          \
                          rc_w_ == KPI_ERR_INCOMPATIBLE,                     \
                      "%s: %s: %s", T->name, step, kpi_status_name(rc_w_));  \
        ck_assert_msg(libc_watch_calls == 0, "%s: %s took %ld blocks from "  \
                      "the C library's malloc", T->name, step,               \
                      libc_watch_calls);                                     \
    } while (0)

#define NBIG 3000

#if LIBC_WATCH
static int feed_all(const rb_type *T, void *o, const rb_ev *ev, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        int rc = T->add(o, &ev[i]);
        if (rc != KPI_OK)
            return rc;
    }
    return KPI_OK;
}

static int reads_into(const rb_type *T, const void *o, double *v)
{
    return T->reads(o, v) > 0 ? KPI_OK : KPI_ERR_EMPTY;
}
#endif

START_TEST(nothing_comes_from_the_c_library_allocator)
{
#if LIBC_WATCH
    const rb_type *T = &rb_types[_i];
    const kpi_allocator *W = &libc_watch_allocator;
    if (!libc_watch_usable())
        return; /* libkpi linked into the program: its calls look like ours */
    rb_ev *e1 = rb_stream(T, 71, NBIG), *e2 = rb_stream(T, 73, NBIG);
    void *a = NULL, *b = NULL, *c = NULL, *d = NULL;
    double v[RB_MAX_READS];
    libc_watch_calls = 0;
    WATCHED("make", T->make(&a, W));
    WATCHED("make", T->make(&b, W));
    ck_assert_int_gt(libc_watch_live, 0);
    WATCHED("add", feed_all(T, a, e1, NBIG));
    if (T->add_n != NULL)
        WATCHED("add_array", T->add_n(b, e2, NBIG));
    else
        WATCHED("add", feed_all(T, b, e2, NBIG));
    if (T->finish != NULL) {
        WATCHED("finish", T->finish(a));
        WATCHED("finish", T->finish(b));
    }
    if (T->merge != NULL)
        WATCHED("merge", T->merge(a, b));
    WATCHED("clone", T->clone(a, &c));
    size_t len = 0;
    WATCHED("serialize (size)", T->ser(a, NULL, 0, &len));
    unsigned char *buf = malloc(len);
    ck_assert_ptr_nonnull(buf);
    WATCHED("serialize", T->ser(a, buf, len, &len));
    WATCHED("deserialize", T->deser(&d, buf, len, W));
    WATCHED("reads", reads_into(T, a, v));
    WATCHED("reads", reads_into(T, d, v));
    if (T->member != NULL) {
        size_t n = 0;
        uint64_t *keys = malloc((kpi_group_size(a) + 1) * sizeof *keys);
        ck_assert_ptr_nonnull(keys);
        WATCHED("group_keys", kpi_group_keys(a, keys, kpi_group_size(a), &n));
        free(keys);
    }
    libc_watch_begin();
    T->destroy(a);
    T->destroy(b);
    T->destroy(c);
    T->destroy(d);
    libc_watch_end();
    ck_assert_int_eq(libc_watch_calls, 0);
    ck_assert_int_eq(libc_watch_live, 0);
    free(buf);
    free(e1);
    free(e2);
#else
    (void)_i;
    fputs("alloc: nothing_comes_from_the_c_library_allocator skipped (glibc "
          "outside sanitizers only)\n", stderr);
#endif
}
END_TEST

/* The calls that sort (kpi_group_keys, a top-k merge) on more than glibc's
 * qsort() keeps on its stack: a thousand keys, two full summaries. */
START_TEST(sorting_calls_take_nothing_from_the_c_library)
{
#if LIBC_WATCH
    const kpi_allocator *W = &libc_watch_allocator;
    const rb_type *T = &rb_types[0]; /* (for WATCHED's messages) */
    if (!libc_watch_usable())
        return;
    kpi_rate *proto = NULL;
    kpi_group *g = NULL;
    ck_assert_ok(kpi_rate_new(&proto));
    ck_assert_ok(kpi_group_new_with(&g, proto, W));
    libc_watch_calls = 0;
    for (uint64_t k = 0; k < 1000; k++) {
        void *m = NULL;
        WATCHED("group_get", kpi_group_get(g, k * UINT64_C(0x9E3779B97F4A7C15), &m));
        WATCHED("rate_add", kpi_rate_add(m, (int)(k & 1)));
    }
    uint64_t keys[1000];
    size_t n = 0;
    WATCHED("group_keys", kpi_group_keys(g, keys, 1000, &n));
    ck_assert_uint_eq(n, 1000);
    for (size_t i = 1; i < n; i++)
        ck_assert_uint_lt(keys[i - 1], keys[i]);
    kpi_topk *x = NULL, *y = NULL;
    ck_assert_ok(kpi_topk_new_with(&x, 500, W));
    ck_assert_ok(kpi_topk_new_with(&y, 500, W));
    char label[32];
    for (int i = 0; i < 2000; i++) {
        snprintf(label, sizeof label, "a-long-topic-label-%05d", i % 700);
        WATCHED("topk_add", kpi_topk_add_str(x, label));
        snprintf(label, sizeof label, "a-long-topic-label-%05d", (i * 7) % 900);
        WATCHED("topk_add", kpi_topk_add_str(y, label));
    }
    WATCHED("topk_merge", kpi_topk_merge(x, y));
    ck_assert_uint_eq(kpi_topk_total(x), 4000);
    kpi_topk_free(x);
    kpi_topk_free(y);
    kpi_group_free(g);
    kpi_rate_free(proto);
    ck_assert_int_eq(libc_watch_live, 0);
#else
    fputs("alloc: sorting_calls_take_nothing_from_the_c_library skipped (glibc "
          "outside sanitizers only)\n", stderr);
#endif
}
END_TEST

static Suite *alloc_suite(void)
{
    TCase *tc;
    Suite *s = rb_suite("alloc", &tc);
    tcase_add_checked_fixture(tc, note_live, check_live);
    tcase_add_loop_test(tc, constructors, 0, (int)RB_NTYPES);
    tcase_add_loop_test(tc, growth, 0, (int)RB_NTYPES);
    tcase_add_loop_test(tc, batches, 0, (int)RB_NTYPES);
    tcase_add_loop_test(tc, merges, 0, (int)RB_NTYPES);
    tcase_add_loop_test(tc, other_calls, 0, (int)RB_NTYPES);
    tcase_add_loop_test(tc, two_allocators_never_mix, 0, (int)RB_NTYPES);
    tcase_add_loop_test(tc, nothing_comes_from_the_c_library_allocator, 0, (int)RB_NTYPES);
    tcase_add_test(tc, sorting_calls_take_nothing_from_the_c_library);
    return s;
}

KPI_TEST_MAIN(alloc_suite)
