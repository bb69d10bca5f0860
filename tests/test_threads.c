/*
 * Thread use, as every header documents it: an object is used by one
 * thread at a time, different objects need no lock, and const reads of one
 * object may run concurrently.
 * - shards: for every mergeable type at once, 8 threads each feed their
 *   own object with their slice of a stream (by key) and finish it; the
 *   main thread merges the shards and compares with one object fed
 *   everything (same bytes, or the sketch's promise);
 * - readers: 8 threads serialize and clone one shared object concurrently,
 *   each result equal to the bytes read before they started.
 * Worker threads make no Check calls (Check is not thread-safe); they
 * return a status that the main thread asserts.
 * SPDX-License-Identifier: MIT
 */
#include <pthread.h>

#include "robust.h"

#define NTHREADS 8
#define NEV 2000

typedef struct job {
    const rb_type *T;
    const rb_ev *ev;  /* the whole stream; the job takes key % NTHREADS == slice */
    size_t n;
    unsigned slice;
    void *obj;        /* out: the shard */
    int rc;           /* out: the first failure, or KPI_OK */
    size_t failed_at;
} job;

static void *feed_slice(void *arg)
{
    job *j = arg;
    j->rc = j->T->make(&j->obj, NULL);
    for (size_t i = 0; i < j->n && j->rc == KPI_OK; i++)
        if (j->ev[i].key % NTHREADS == j->slice) {
            j->rc = j->T->add(j->obj, &j->ev[i]);
            j->failed_at = i;
        }
    if (j->rc == KPI_OK && j->T->finish)
        j->rc = j->T->finish(j->obj);
    return NULL;
}

static int mergeable(const rb_type *T)
{
    return T->merge != NULL && T->merge_props;
}

START_TEST(shards_on_threads_merge_to_one)
{
    job jobs[RB_NTYPES][NTHREADS];
    pthread_t tid[RB_NTYPES][NTHREADS];
    rb_ev *ev[RB_NTYPES];
    for (size_t t = 0; t < RB_NTYPES; t++) {
        ev[t] = rb_stream(&rb_types[t], 100 + t, NEV);
        if (!mergeable(&rb_types[t]))
            continue;
        for (unsigned k = 0; k < NTHREADS; k++) {
            jobs[t][k] = (job){&rb_types[t], ev[t], NEV, k, NULL, KPI_OK, 0};
            ck_assert_int_eq(pthread_create(&tid[t][k], NULL, feed_slice, &jobs[t][k]), 0);
        }
    }
    size_t checked = 0;
    for (size_t t = 0; t < RB_NTYPES; t++) {
        const rb_type *T = &rb_types[t];
        if (!mergeable(T)) {
            free(ev[t]);
            continue;
        }
        for (unsigned k = 0; k < NTHREADS; k++) {
            ck_assert_int_eq(pthread_join(tid[t][k], NULL), 0);
            ck_assert_msg(jobs[t][k].rc == KPI_OK, "%s: thread %u, event %zu: %s",
                          T->name, k, jobs[t][k].failed_at,
                          kpi_status_name(jobs[t][k].rc));
        }
        void *one = rb_fed(T, ev[t], NEV, NULL), *up = NULL, *down = NULL;
        rb_finish(T, one);
        /* merged in thread order, and in reverse order */
        ck_assert_ok(T->clone(jobs[t][0].obj, &up));
        ck_assert_ok(T->clone(jobs[t][NTHREADS - 1].obj, &down));
        for (unsigned k = 1; k < NTHREADS; k++) {
            ck_assert_ok(T->merge(up, jobs[t][k].obj));
            ck_assert_ok(T->merge(down, jobs[t][NTHREADS - 1 - k].obj));
        }
        rb_same(T, up, one, "8 shards merged vs one fed everything");
        rb_same(T, down, one, "8 shards merged backwards vs one fed everything");
        for (unsigned k = 0; k < NTHREADS; k++)
            T->destroy(jobs[t][k].obj);
        T->destroy(up);
        T->destroy(down);
        T->destroy(one);
        free(ev[t]);
        checked++;
    }
    ck_assert_uint_ge(checked, 15);
}
END_TEST

typedef struct reader {
    const rb_type *T;
    const void *obj;
    const unsigned char *want;
    size_t len;
    int mismatches;
} reader;

/* serialize the shared object, and a clone of it, many times */
static void *read_shared(void *arg)
{
    reader *r = arg;
    unsigned char *buf = malloc(r->len);
    for (int round = 0; round < 50 && buf; round++) {
        size_t len = 0;
        void *copy = NULL;
        if (r->T->ser(r->obj, buf, r->len, &len) != KPI_OK || len != r->len ||
            memcmp(buf, r->want, len) != 0)
            r->mismatches++;
        if (r->T->clone(r->obj, &copy) != KPI_OK ||
            r->T->ser(copy, buf, r->len, &len) != KPI_OK || len != r->len ||
            memcmp(buf, r->want, len) != 0)
            r->mismatches++;
        r->T->destroy(copy);
    }
    if (buf == NULL)
        r->mismatches++;
    free(buf);
    return NULL;
}

START_TEST(concurrent_const_reads)
{
    const rb_type *T = &rb_types[_i];
    rb_ev *ev = rb_stream(T, 7, 500);
    void *o = rb_fed(T, ev, 500, NULL);
    size_t len;
    unsigned char *want = rb_bytes(T, o, &len);
    reader r[NTHREADS];
    pthread_t tid[NTHREADS];
    for (int k = 0; k < NTHREADS; k++) {
        r[k] = (reader){T, o, want, len, 0};
        ck_assert_int_eq(pthread_create(&tid[k], NULL, read_shared, &r[k]), 0);
    }
    for (int k = 0; k < NTHREADS; k++) {
        ck_assert_int_eq(pthread_join(tid[k], NULL), 0);
        ck_assert_msg(r[k].mismatches == 0, "%s: reader %d: %d mismatches", T->name,
                      k, r[k].mismatches);
    }
    rb_unchanged(T, o, want, len, "after the concurrent reads");
    free(want);
    T->destroy(o);
    free(ev);
}
END_TEST

static Suite *threads_suite(void)
{
    TCase *tc;
    Suite *s = rb_suite("threads", &tc);
    tcase_add_test(tc, shards_on_threads_merge_to_one);
    tcase_add_loop_test(tc, concurrent_const_reads, 0, (int)RB_NTYPES);
    return s;
}

KPI_TEST_MAIN(threads_suite)
