/*
 * Durations (FRT, ART, ASA, resolution time) and AHT.
 * SPDX-License-Identifier: MIT
 */
#include "internal.h"
#include "kpi/duration.h"
#include "testutil.h"

/* kpi__duration_add_array_simd's levels: portable, AVX2, AVX-512, AVX-512
 * with the float32 estimate (each where the CPU has it, else the widest
 * below). */
#define SIMD_LEVELS 4

/* ---- helpers ------------------------------------------------------------ */

static int cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

static kpi_duration *dur_new(double acc)
{
    kpi_duration *d = NULL;
    ck_assert_ok(kpi_duration_new(&d, acc));
    return d;
}

TEST_STATE_HELPERS(duration, kpi_duration, kpi_duration_serialize)
TEST_STATE_HELPERS(aht, kpi_aht, kpi_aht_serialize)
TEST_REREAD_HELPER(duration, kpi_duration, kpi_duration_deserialize)
TEST_FORGE_HELPER(duration, kpi_duration, kpi_duration_deserialize, kpi_duration_free)

/*
 * The promise: at every q of a grid from 0.001 to 0.999, the answer is
 * within acc of the exact value at rank floor(q (n - 1)).  Returns the
 * largest relative error seen.
 */
static double check_quantiles(const kpi_duration *d, int64_t *v, size_t n, double acc)
{
    qsort(v, n, sizeof *v, cmp_i64);
    double worst = 0;
    for (int i = 1; i <= 999; i++) {
        double q = i / 1000.0;
        size_t rank = (size_t)(q * (double)(n - 1));
        double got;
        ck_assert_ok(kpi_duration_quantile(d, q, &got));
        double exact = (double)v[rank];
        double err = exact == 0 ? fabs(got) : fabs(got - exact) / exact;
        ck_assert_msg(err <= acc, "q=%g got %.17g exact %.17g err %g > %g", q, got,
                      exact, err, acc);
        worst = err > worst ? err : worst;
    }
    double got;
    ck_assert_ok(kpi_duration_quantile(d, 0, &got));
    ck_assert(got == (double)v[0]);
    ck_assert_ok(kpi_duration_quantile(d, 1, &got));
    ck_assert(got == (double)v[n - 1]);
    return worst;
}

/* The smallest value in bucket i or above, by bisection on the scalar
 * mapping (the one single adds and the ticket engine use). */
static int64_t first_in_bucket(const kpi_duration *d, int32_t i)
{
    int64_t lo = 1, hi = (INT64_C(1) << 52) - 1;
    while (lo < hi) {
        int64_t mid = lo + (hi - lo) / 2;
        if (kpi__duration_index(d, mid) >= i)
            hi = mid;
        else
            lo = mid + 1;
    }
    return lo;
}

/* Streams used by several tests. */
enum { S_UNIFORM, S_LOGNORMAL, S_LOGUNIFORM, S_EQUAL, S_TWO_MODES, S_ZEROS, S_N };

static int64_t stream_value(test_rng *r, int kind)
{
    switch (kind) {
    case S_UNIFORM:
        return test_range(r, 0, 600000);
    case S_LOGNORMAL: {
        double u1 = test_uniform(r) + 1e-12, u2 = test_uniform(r);
        double z = sqrt(-2 * log(u1)) * cos(2 * M_PI * u2);
        return (int64_t)exp(11.0 + 1.5 * z);
    }
    case S_LOGUNIFORM:
        return (int64_t)exp(test_uniform(r) * log(30.0 * 86400000.0));
    case S_EQUAL:
        return 45000;
    case S_TWO_MODES:
        return test_uniform(r) < 0.5 ? test_range(r, 1, 10) : test_range(r, 100000000000, 300000000000);
    default:
        return test_uniform(r) < 0.3 ? 0 : test_range(r, 1, 5000000);
    }
}

/* ---- hand-computed cases ------------------------------------------------ */

/* Quantile answers are a bucket's value, found by solving the mapping's
 * cubic: every product is rounded apart from the sum after it, so that
 * every build (also -march=native, whose FMA would fuse them) gives these
 * exact doubles (recorded from a generic x86-64 build).  The cube root is
 * the library's own, not libm's cbrt(): with glibc's, three of these
 * answers differed by an ulp between the x86-64 and the 32-bit x86 builds
 * (q 64% at 0.01; q 43% and 78% at 0.001).  Five of them moved by one or
 * two ulps when the library's cube root replaced glibc's (2026-12-06). */
START_TEST(quantile_answers_are_the_same_doubles_in_every_build)
{
    static const double want[2][15] = {{
        0x1.8fc5dedc057eep+19, 0x1.a01895691ad43p+22, 0x1.802fba21ae16p+23,
        0x1.1daf27f880cdbp+24, 0x1.78a15224c56f1p+24, 0x1.d50cf3e4948ccp+24,
        0x1.18195b7195f1cp+25, 0x1.47f1df0a81a34p+25, 0x1.713bcce4ae5aep+25,
        0x1.a01fd05d8b249p+25, 0x1.cbd5271f7eaacp+25, 0x1.fb58c5fffc521p+25,
        0x1.181af665a3817p+26, 0x1.2f1bd0c935602p+26, 0x1.47f3be51941c6p+26,
    }, {
        0x1.8d9f485aa7831p+19, 0x1.a2d18cbb67934p+22, 0x1.84392d9fb5f5cp+23,
        0x1.1c2286ec27e8ep+24, 0x1.75d3a42f3fa31p+24, 0x1.d27d7c7bfef0dp+24,
        0x1.183ae22a4587cp+25, 0x1.46291153932bbp+25, 0x1.72de9bf278b1bp+25,
        0x1.a1fb3afc3149fp+25, 0x1.cde0919f9cbfbp+25, 0x1.fc8d928486343p+25,
        0x1.1578901086d4cp+26, 0x1.2d745940913ccp+26, 0x1.462907803376ap+26,
    }};
    const double accuracy[2] = {0.01, 0.001};
    for (int a = 0; a < 2; a++) {
        kpi_duration *d;
        ck_assert_ok(kpi_duration_new(&d, accuracy[a]));
        uint64_t s = 9;
        for (int i = 0; i < 20000; i++) {
            s = s * UINT64_C(6364136223846793005) + UINT64_C(1442695040888963407);
            ck_assert_ok(kpi_duration_add(d, (int64_t)(1 + (s >> 33) % 86400000)));
        }
        for (int j = 0; j < 15; j++) {
            double v;
            ck_assert_ok(kpi_duration_quantile(d, (1 + 7 * j) / 100.0, &v));
            ck_assert_msg(v == want[a][j], "accuracy %g, q %d%%: %a, want %a", accuracy[a],
                          1 + 7 * j, v, want[a][j]);
        }
        kpi_duration_free(d);
    }
}
END_TEST

START_TEST(exact_reads_of_a_small_stream)
{
    kpi_duration *d = dur_new(0.01);
    const int64_t v[] = {1000, 0, 3000, 2000};
    ck_assert_ok(kpi_duration_add_array(d, v, 4));
    ck_assert_uint_eq(kpi_duration_count(d), 4);
    double mean;
    int64_t x;
    ck_assert_ok(kpi_duration_mean(d, &mean));
    ck_assert(mean == 1500.0);
    ck_assert_ok(kpi_duration_sum(d, &x));
    ck_assert_int_eq(x, 6000);
    ck_assert_ok(kpi_duration_min(d, &x));
    ck_assert_int_eq(x, 0);
    ck_assert_ok(kpi_duration_max(d, &x));
    ck_assert_int_eq(x, 3000);
    /* rank floor(0.5 * 3) = 1 -> 1000; floor(0.7 * 3) = 2 -> 2000 */
    double q;
    ck_assert_ok(kpi_duration_quantile(d, 0.5, &q));
    ck_assert_near(q, 1000, 10);
    ck_assert_ok(kpi_duration_quantile(d, 0.7, &q));
    ck_assert_near(q, 2000, 20);
    ck_assert_ok(kpi_duration_quantile(d, 0.2, &q));
    ck_assert(q == 0.0); /* zeros are exact */
    ck_assert_near(kpi_duration_accuracy(d), 0.01, 0);
    kpi_duration_free(d);
}
END_TEST

START_TEST(zero_is_a_valid_duration_and_counted_exactly)
{
    kpi_duration *d = dur_new(0.01);
    for (int i = 0; i < 5; i++)
        ck_assert_ok(kpi_duration_add(d, 0));
    double q;
    ck_assert_ok(kpi_duration_quantile(d, 0.5, &q));
    ck_assert(q == 0.0);
    ck_assert_ok(kpi_duration_mean(d, &q));
    ck_assert(q == 0.0);
    kpi_estimate e;
    ck_assert_ok(kpi_duration_share_within(d, 0, &e));
    ck_assert(e.value == 1.0 && e.n == 5);
    kpi_duration_free(d);
}
END_TEST

START_TEST(reads_on_an_empty_object_say_empty)
{
    kpi_duration *d = dur_new(0.01);
    double m;
    int64_t x;
    kpi_estimate e;
    ck_assert_status(kpi_duration_mean(d, &m), KPI_ERR_EMPTY);
    ck_assert_status(kpi_duration_min(d, &x), KPI_ERR_EMPTY);
    ck_assert_status(kpi_duration_max(d, &x), KPI_ERR_EMPTY);
    ck_assert_status(kpi_duration_sum(d, &x), KPI_ERR_EMPTY);
    ck_assert_status(kpi_duration_quantile(d, 0.5, &m), KPI_ERR_EMPTY);
    ck_assert_status(kpi_duration_share_within(d, 10, &e), KPI_ERR_EMPTY);
    ck_assert_uint_eq(kpi_duration_count(d), 0);
    kpi_duration_free(d);
}
END_TEST

START_TEST(presets_are_one_percent_durations)
{
    int (*ctor[4])(kpi_duration **) = {kpi_frt_new, kpi_art_new, kpi_asa_new,
                                        kpi_resolution_time_new};
    for (int i = 0; i < 4; i++) {
        kpi_duration *d = NULL;
        ck_assert_ok(ctor[i](&d));
        ck_assert(kpi_duration_accuracy(d) == 0.01);
        ck_assert_ok(kpi_duration_add(d, 1234));
        kpi_duration_free(d);
        ck_assert_status(ctor[i](NULL), KPI_ERR_INVALID);
    }
}
END_TEST

START_TEST(constructor_validates_accuracy)
{
    kpi_duration *d = NULL;
    ck_assert_status(kpi_duration_new(&d, NAN), KPI_ERR_INVALID);
    ck_assert_status(kpi_duration_new(&d, 0.0), KPI_ERR_RANGE);
    ck_assert_status(kpi_duration_new(&d, -0.01), KPI_ERR_RANGE);
    ck_assert_status(kpi_duration_new(&d, 0.51), KPI_ERR_RANGE);
    ck_assert_status(kpi_duration_new(&d, INFINITY), KPI_ERR_RANGE);
    ck_assert_status(kpi_duration_new(&d, 1e-7), KPI_ERR_RANGE);
    ck_assert_status(kpi_duration_new(NULL, 0.01), KPI_ERR_INVALID);
    ck_assert_ptr_null(d);
    ck_assert_ok(kpi_duration_new(&d, 0.5));
    kpi_duration_free(d);
    ck_assert_ok(kpi_duration_new(&d, 1e-6));
    kpi_duration_free(d);
    kpi_allocator bad = {test_malloc, NULL, test_free, NULL};
    ck_assert_status(kpi_duration_new_with(&d, 0.01, &bad), KPI_ERR_INVALID);
    kpi_duration_free(NULL);
    kpi_duration_reset(NULL);
}
END_TEST

/* ---- error paths leave state unchanged ---------------------------------- */

START_TEST(negative_values_are_refused_all_or_nothing)
{
    kpi_duration *d = dur_new(0.01);
    ck_assert_ok(kpi_duration_add(d, 500));
    kpi_duration *before;
    ck_assert_ok(kpi_duration_clone(d, &before));
    ck_assert_status(kpi_duration_add(d, -1), KPI_ERR_RANGE);
    const int64_t v[] = {1, 2, 3000000, -5, 7};
    ck_assert_status(kpi_duration_add_array(d, v, 5), KPI_ERR_RANGE);
    ck_assert_status(kpi_duration_add_array(d, NULL, 3), KPI_ERR_INVALID);
    ck_assert_status(kpi_duration_add_array(NULL, v, 1), KPI_ERR_INVALID);
    ck_assert_ok(kpi_duration_add_array(d, NULL, 0));
    duration_same(d, before);
    kpi_duration_free(d);
    kpi_duration_free(before);
}
END_TEST

/* A batch's sum is computed in 32-bit halves inside the validation pass:
 * exact up to INT64_MAX, refused one past it, in a fresh object too. */
START_TEST(batch_sum_is_exact_to_int64_max_and_refused_past_it)
{
    const int64_t half = INT64_MAX / 2; /* 2^62 - 1 */
    const int64_t fits[] = {half, half, 1};        /* == INT64_MAX */
    const int64_t over[] = {half, half, 1, 1};     /* INT64_MAX + 1 */
    const int64_t many[] = {INT64_C(0xFFFFFFFF), INT64_C(0x1FFFFFFFF),
                            INT64_C(0x100000000), 7};
    kpi_duration *d = dur_new(0.01), *e = dur_new(0.01), *f = dur_new(0.01);
    int64_t s;
    ck_assert_ok(kpi_duration_add_array(d, fits, 3));
    ck_assert_ok(kpi_duration_sum(d, &s));
    ck_assert(s == INT64_MAX);
    ck_assert_status(kpi_duration_add_array(e, over, 4), KPI_ERR_OVERFLOW);
    ck_assert_uint_eq(kpi_duration_count(e), 0);
    ck_assert_ok(kpi_duration_add_array(f, many, 4));
    ck_assert_ok(kpi_duration_sum(f, &s));
    ck_assert(s == INT64_C(0xFFFFFFFF) + INT64_C(0x1FFFFFFFF) + INT64_C(0x100000000) + 7);
    kpi_duration_free(d);
    kpi_duration_free(e);
    kpi_duration_free(f);
}
END_TEST

START_TEST(sum_overflow_is_refused_and_changes_nothing)
{
    kpi_duration *d = dur_new(0.01);
    ck_assert_ok(kpi_duration_add(d, INT64_MAX - 10));
    kpi_duration *before;
    ck_assert_ok(kpi_duration_clone(d, &before));
    ck_assert_status(kpi_duration_add(d, 11), KPI_ERR_OVERFLOW);
    const int64_t v[] = {1, 5, 5};
    ck_assert_status(kpi_duration_add_array(d, v, 3), KPI_ERR_OVERFLOW);
    duration_same(d, before);
    ck_assert_ok(kpi_duration_add(d, 10));
    int64_t s;
    ck_assert_ok(kpi_duration_sum(d, &s));
    ck_assert(s == INT64_MAX);
    kpi_duration_free(d);
    kpi_duration_free(before);
}
END_TEST

START_TEST(quantile_and_share_arguments_are_validated)
{
    kpi_duration *d = dur_new(0.01);
    ck_assert_ok(kpi_duration_add(d, 5));
    double x;
    kpi_estimate e;
    ck_assert_status(kpi_duration_quantile(d, NAN, &x), KPI_ERR_INVALID);
    ck_assert_status(kpi_duration_quantile(d, -0.1, &x), KPI_ERR_RANGE);
    ck_assert_status(kpi_duration_quantile(d, 1.1, &x), KPI_ERR_RANGE);
    ck_assert_status(kpi_duration_quantile(d, 0.5, NULL), KPI_ERR_INVALID);
    ck_assert_status(kpi_duration_quantile(NULL, 0.5, &x), KPI_ERR_INVALID);
    ck_assert_status(kpi_duration_share_within(d, -1, &e), KPI_ERR_RANGE);
    ck_assert_status(kpi_duration_share_within(d, 1, NULL), KPI_ERR_INVALID);
    ck_assert_status(kpi_duration_mean(NULL, &x), KPI_ERR_INVALID);
    ck_assert_status(kpi_duration_mean(d, NULL), KPI_ERR_INVALID);
    ck_assert_uint_eq(kpi_duration_count(NULL), 0);
    ck_assert_uint_eq(kpi_duration_footprint(NULL), 0);
    kpi_duration_free(d);
}
END_TEST

/* ---- targets ------------------------------------------------------------ */

START_TEST(registered_targets_give_exact_shares)
{
    kpi_duration *d = dur_new(0.05);
    ck_assert_ok(kpi_duration_add_target(d, 20000));
    ck_assert_ok(kpi_duration_add_target(d, 0));
    /* values straddling the target closer than the sketch's accuracy */
    const int64_t v[] = {19999, 20000, 20001, 20002, 0, 100, 40000, 19990};
    ck_assert_ok(kpi_duration_add_array(d, v, 8));
    kpi_estimate e;
    ck_assert_ok(kpi_duration_share_within(d, 20000, &e));
    ck_assert_near(e.value, 5.0 / 8.0, 0);
    ck_assert_uint_eq(e.n, 8);
    ck_assert(e.lower < e.value && e.upper > e.value);
    ck_assert_ok(kpi_duration_share_within(d, 0, &e));
    ck_assert_near(e.value, 1.0 / 8.0, 0);
    /* unregistered: exact outside [min, max), else from the sketch */
    ck_assert_ok(kpi_duration_share_within(d, 40000, &e));
    ck_assert(e.value == 1.0);
    ck_assert_ok(kpi_duration_share_within(d, 100, &e));
    ck_assert_near(e.value, 2.0 / 8.0, 0);
    kpi_duration_free(d);
}
END_TEST

START_TEST(estimated_shares_are_off_only_near_the_target)
{
    kpi_duration *d = dur_new(0.01);
    test_rng r = {7};
    int64_t v[20000];
    for (int i = 0; i < 20000; i++)
        v[i] = stream_value(&r, S_LOGUNIFORM);
    ck_assert_ok(kpi_duration_add_array(d, v, 20000));
    const int64_t targets[] = {1000, 60000, 3600000, 86400000};
    for (int t = 0; t < 4; t++) {
        uint64_t lo = 0, hi = 0; /* exact counts at target*(1-2a), (1+2a) */
        for (int i = 0; i < 20000; i++) {
            lo += (double)v[i] <= targets[t] * 0.98;
            hi += (double)v[i] <= targets[t] * 1.02;
        }
        kpi_estimate e;
        ck_assert_ok(kpi_duration_share_within(d, targets[t], &e));
        ck_assert(e.value * 20000 >= (double)lo - 0.5);
        ck_assert(e.value * 20000 <= (double)hi + 0.5);
    }
    kpi_duration_free(d);
}
END_TEST

/* The bound of an estimated share, by hand: at accuracy a the target's
 * bucket spans a factor of at most (1 + a) / (1 - a), so a duration at the
 * top of the bucket whose first value is the target, 2% above it at 1%,
 * counts as within; every duration at or under the target counts, and
 * none at or above target (1 + a) / (1 - a). */
START_TEST(estimated_shares_count_the_targets_bucket_as_within)
{
    const double accs[] = {0.01, 0.05, 0.001};
    for (int k = 0; k < 3; k++) {
        const double a = accs[k];
        kpi_duration *d = dur_new(a);
        int32_t b = kpi__duration_index(d, 60000);
        int64_t target = first_in_bucket(d, b), top = first_in_bucket(d, b + 1) - 1;
        ck_assert_int_eq(kpi__duration_index(d, top), b);
        ck_assert((double)(top - target) > 1.9 * a * (double)target);
        const int64_t v[] = {10, target, top, top + 1, 10000000};
        ck_assert_ok(kpi_duration_add_array(d, v, 5));
        kpi_estimate e;
        ck_assert_ok(kpi_duration_share_within(d, target, &e));
        ck_assert_uint_eq(e.n, 5);
        ck_assert_near(e.value, 3.0 / 5.0, 0); /* 10, target and top */
        ck_assert_ok(kpi_duration_share_within(d, target - 1, &e));
        ck_assert_near(e.value, 1.0 / 5.0, 0);
        kpi_duration_free(d);
        /* random streams: exact count <= target <= estimate < exact count
         * under target (1 + a) / (1 - a) */
        d = dur_new(a);
        enum { N = 20000 };
        static int64_t w[N];
        /* 1 ms .. 30 days, or 1 s .. 1000 s at 0.1% (no collapse) */
        const double lo = a < 0.01 ? 1000 : 1, span = a < 0.01 ? 1000 : 30 * 86400000.0;
        test_rng r = {(uint64_t)k + 31};
        for (int i = 0; i < N; i++)
            w[i] = (int64_t)(lo * exp(test_uniform(&r) * log(span)));
        ck_assert_ok(kpi_duration_add_array(d, w, N));
        ck_assert(!d->collapsed);
        for (int t = 0; t < 200; t++) {
            int64_t tr = (int64_t)(lo * exp(test_uniform(&r) * log(span)));
            uint64_t at = 0, under = 0;
            for (int i = 0; i < N; i++) {
                at += w[i] <= tr;
                under += (double)w[i] < (double)tr * (1 + a) / (1 - a);
            }
            ck_assert_ok(kpi_duration_share_within(d, tr, &e));
            double got = e.value * N;
            ck_assert_msg(got >= (double)at - 0.5 && got <= (double)under + 0.5,
                          "a %g target %lld: %g not in [%llu, %llu]", a, (long long)tr,
                          got, (unsigned long long)at, (unsigned long long)under);
        }
        kpi_duration_free(d);
    }
}
END_TEST

/* After a collapse the durations under the floor are counted in the floor
 * bucket, which is then the bucket of every target under it: a target
 * there counts them all as within (as a target's bucket does), never
 * none.  At 0.1%, 1, 2 and 3 ms fold into the floor when a value 4,696
 * buckets above 1 ms comes (floor 601, above 3 ms's bucket). */
START_TEST(a_target_under_a_collapsed_floor_counts_the_floor_as_within)
{
    kpi_duration *d = dur_new(0.001);
    const int64_t big = first_in_bucket(d, KPI_DURATION_MAX_BUCKETS + 600);
    const int64_t v[] = {0, 1, 2, 3, big};
    ck_assert_int_lt(kpi__duration_index(d, 3), 601);
    ck_assert_ok(kpi_duration_add_array(d, v, 5));
    ck_assert(d->collapsed);
    ck_assert_int_eq(d->floor_idx, 601);
    kpi_estimate e;
    /* exact: 0 (the zeros), under the minimum positive, at the maximum */
    ck_assert_ok(kpi_duration_share_within(d, 0, &e));
    ck_assert_near(e.value, 1.0 / 5.0, 0);
    ck_assert_ok(kpi_duration_share_within(d, big, &e));
    ck_assert_near(e.value, 1.0, 0);
    /* 1, 2 and 3 ms: the floor bucket counts (0, 1, 2, 3 of 5 within) */
    for (int64_t t = 1; t <= 3; t++) {
        ck_assert_ok(kpi_duration_share_within(d, t, &e));
        ck_assert_msg(e.value == 4.0 / 5.0, "target %lld: %g", (long long)t, e.value);
    }
    /* a target above the floor bucket and under the maximum: the same */
    ck_assert_ok(kpi_duration_share_within(d, 1000, &e));
    ck_assert_near(e.value, 4.0 / 5.0, 0);
    kpi_duration_free(d);
}
END_TEST

START_TEST(targets_are_registered_only_while_empty_up_to_eight)
{
    kpi_duration *d = dur_new(0.01);
    for (int i = 0; i < 8; i++)
        ck_assert_ok(kpi_duration_add_target(d, 1000 * (8 - i)));
    ck_assert_status(kpi_duration_add_target(d, 3000), KPI_ERR_DUPLICATE);
    ck_assert_status(kpi_duration_add_target(d, 99), KPI_ERR_LIMIT);
    ck_assert_status(kpi_duration_add_target(d, -1), KPI_ERR_RANGE);
    ck_assert_status(kpi_duration_add_target(NULL, 5), KPI_ERR_INVALID);
    kpi_duration_free(d);
    d = dur_new(0.01);
    ck_assert_ok(kpi_duration_add(d, 5));
    ck_assert_status(kpi_duration_add_target(d, 10), KPI_ERR_STATE);
    kpi_estimate e;
    ck_assert_ok(kpi_duration_share_within(d, 10, &e));
    ck_assert(e.value == 1.0);
    kpi_duration_reset(d); /* empty again: targets may be added */
    ck_assert_ok(kpi_duration_add_target(d, 10));
    kpi_duration_free(d);
}
END_TEST

/* ---- the sketch's guarantee --------------------------------------------- */

START_TEST(every_value_is_answered_within_the_accuracy)
{
    /* Each value its own rank: the answer for it is its bucket's value. */
    const double accs[] = {0.01, 0.05, 0.001, 0.5};
    for (int a = 0; a < 4; a++) {
        kpi_duration *d = dur_new(accs[a]);
        enum { N = 4000 };
        static int64_t v[N];
        test_rng r = {(uint64_t)a + 1};
        size_t n = 0;
        for (int i = 1; i <= 1000; i++)
            v[n++] = i; /* every small value */
        while (n < N) {
            /* geometric spread up to 2^63 - 1, incl. powers of two +- 1 */
            int e = (int)test_range(&r, 10, 49);
            int64_t base = INT64_C(1) << e;
            int64_t x = base + test_range(&r, -1, 1) * (int64_t)test_range(&r, 0, 1) +
                        (int64_t)(test_uniform(&r) * (double)base);
            v[n++] = x > 0 ? x : 1;
        }
        if (accs[a] == 0.001) /* finer accuracy: keep within the bucket cap */
            for (size_t i = 0; i < n; i++)
                v[i] = 50 + v[i] % 3000;
        qsort(v, N, sizeof *v, cmp_i64);
        ck_assert_ok(kpi_duration_add_array(d, v, N));
        for (size_t i = 1; i + 1 < N; i++) {
            double q = ((double)i + 0.5) / (double)(N - 1), got;
            ck_assert_ok(kpi_duration_quantile(d, q, &got));
            double err = fabs(got - (double)v[i]) / (double)v[i];
            ck_assert_msg(err <= accs[a], "acc %g value %lld got %.17g err %g",
                          accs[a], (long long)v[i], got, err);
        }
        /* large values one at a time in {1, x, 2x}: rank 1 is x, unclamped */
        for (int i = 0; i < 2000 && accs[a] != 0.001; i++) {
            int e = (int)test_range(&r, 49, 60);
            int64_t base = INT64_C(1) << e;
            int64_t x = base + (int64_t)(test_uniform(&r) * (double)base);
            if (i < 24)
                x = (INT64_C(1) << (37 + i)) + (i % 3) - 1; /* edges */
            const int64_t trio[] = {1, x, 2 * x};
            kpi_duration_reset(d);
            ck_assert_ok(kpi_duration_add_array(d, trio, 3));
            double got;
            ck_assert_ok(kpi_duration_quantile(d, 0.5, &got));
            ck_assert_msg(fabs(got - (double)x) <= accs[a] * (double)x,
                          "acc %g value %lld got %.17g", accs[a], (long long)x, got);
        }
        kpi_duration_free(d);
    }
}
END_TEST

START_TEST(random_streams_meet_the_promise)
{
    enum { N = 50000 };
    static int64_t v[N];
    for (int kind = 0; kind < S_N; kind++) {
        kpi_duration *d = dur_new(0.01);
        test_rng r = {(uint64_t)kind * 31 + 5};
        for (size_t i = 0; i < N; i++)
            v[i] = stream_value(&r, kind);
        ck_assert_ok(kpi_duration_add_array(d, v, N));
        check_quantiles(d, v, N, 0.01);
        kpi_duration_free(d);
    }
}
END_TEST

START_TEST(one_by_one_equals_arrays)
{
    kpi_duration *a = dur_new(0.01), *b = dur_new(0.01);
    test_rng r = {99};
    int64_t v[3000];
    for (int i = 0; i < 3000; i++)
        v[i] = stream_value(&r, S_LOGNORMAL);
    for (int i = 0; i < 3000; i++)
        ck_assert_ok(kpi_duration_add(a, v[i]));
    ck_assert_ok(kpi_duration_add_array(b, v, 3000));
    duration_same(a, b);
    kpi_duration_free(a);
    kpi_duration_free(b);
}
END_TEST

START_TEST(zeros_mixed_into_a_populated_sketch_keep_it_exact)
{
    kpi_duration *a = dur_new(0.01), *b = dur_new(0.01);
    const int64_t first[] = {1000, 1200};
    const int64_t mixed[] = {0, 2000, 0, 1500, 0};
    ck_assert_ok(kpi_duration_add_array(a, first, 2));
    ck_assert_ok(kpi_duration_add_array(a, mixed, 5));
    for (int i = 0; i < 2; i++)
        ck_assert_ok(kpi_duration_add(b, first[i]));
    for (int i = 0; i < 5; i++)
        ck_assert_ok(kpi_duration_add(b, mixed[i]));
    duration_same(a, b);
    size_t len;
    unsigned char *bytes = duration_bytes(a, &len);
    kpi_duration *c;
    ck_assert_ok(kpi_duration_deserialize(&c, bytes, len));
    duration_same(a, c);
    double q;
    ck_assert_ok(kpi_duration_quantile(a, 0.5, &q)); /* rank 3 of 0,0,0,1000,... */
    ck_assert_near(q, 1000, 10);
    /* an error in the one-pass add is undone */
    const int64_t bad[] = {0, 1100, 0, -1};
    ck_assert_status(kpi_duration_add_array(a, bad, 4), KPI_ERR_RANGE);
    duration_same(a, c);
    free(bytes);
    kpi_duration_free(a);
    kpi_duration_free(b);
    kpi_duration_free(c);
}
END_TEST

START_TEST(memory_is_bounded_at_one_percent)
{
    kpi_duration *d = dur_new(0.01);
    test_rng r = {3};
    for (int i = 0; i < 100000; i++)
        ck_assert_ok(kpi_duration_add(d, test_range(&r, 1, 86400000)));
    ck_assert_ok(kpi_duration_add(d, 1));
    ck_assert_ok(kpi_duration_add(d, 86400000));
    ck_assert_uint_le(kpi_duration_footprint(d), 8192);
    /* the whole int64 range fits without collapsing */
    ck_assert_ok(kpi_duration_add(d, INT64_MAX / 2));
    ck_assert_uint_le(kpi_duration_footprint(d), 20000);
    double q;
    ck_assert_ok(kpi_duration_quantile(d, 0.001, &q));
    kpi_duration_free(d);
}
END_TEST

START_TEST(the_headers_bucket_counts_hold)
{
    /* duration.h: at 1% the buckets of 1 ms .. 2^63 ms and of 1 ms ..
     * 1 day.  Bucket of v: floor(k L(v)), k = (1 + 1e-6) / (C ln(1.01 /
     * 0.99)) = 34.99887; L(2^63) = 63 gives 2204 (63 k = 2204.93), L(1) =
     * 0 gives 0: 2205 buckets; L(86,400,000) = 26 + P(0.28746) = 26.36515
     * gives 922 (26.36515 k = 922.75): 923 buckets, 7,384 bytes. */
    kpi_duration *d = dur_new(0.01);
    ck_assert_int_eq(kpi__duration_index(d, 1), 0);
    ck_assert_int_eq(d->max_index + 1, 2205);
    ck_assert_int_eq(kpi__duration_index(d, 86400000) + 1, 923);
    const int64_t span[] = {1, INT64_MAX - 1};
    ck_assert_ok(kpi_duration_add_array(d, span, 2));
    ck_assert(!d->collapsed);
    kpi_duration_free(d);
}
END_TEST

/* After a collapse the promise covers the quantiles whose exact value is in
 * the kept buckets, not "the high quantiles": the 4096 buckets kept up to
 * the maximum's reach down a factor of 2^(4096 / k) with
 * k = (1 + 1e-6) / (10/7 ln((1 + a) / (1 - a))); at a = 0.01%,
 * 4096 / k = 4096 x 1.428571 x 0.00020000 / 1.000001 = 1.170 (a factor
 * 2.25).  Over 1 ms .. 1 day (log-uniform) the p90 is about
 * 86,400,000^0.9 = 13.2 million ms, far below 86,400,000 / 2.25 = 38
 * million: it reads as the floor bucket, too high.  Every quantile whose
 * value is in the kept buckets is within a; every other reads at least
 * its value. */
START_TEST(after_a_collapse_only_quantiles_in_the_kept_buckets_keep_the_promise)
{
    const double a = 0.0001;
    kpi_duration *d = dur_new(a);
    enum { N = 30000 };
    static int64_t v[N];
    test_rng r = {12};
    for (int i = 0; i < N; i++)
        v[i] = (int64_t)exp(test_uniform(&r) * log(86400000.0));
    ck_assert_ok(kpi_duration_add_array(d, v, N));
    ck_assert(d->collapsed);
    qsort(v, N, sizeof *v, cmp_i64);
    const double reach = pow(2.0, KPI_DURATION_MAX_BUCKETS / d->k);
    ck_assert(reach > 2.24 && reach < 2.26);
    int kept = 0, below = 0;
    for (int i = 0; i <= 1000; i++) {
        double q = i / 1000.0, got;
        ck_assert_ok(kpi_duration_quantile(d, q, &got));
        int64_t exact = v[(size_t)(q * (N - 1))];
        if (exact > 0 && kpi__duration_index(d, exact) >= d->floor_idx) {
            kept++;
            ck_assert_msg(fabs(got - (double)exact) <= a * (double)exact, "q %g", q);
            ck_assert((double)exact * reach >= (double)v[N - 1] * 0.999);
        } else {
            below++;
            ck_assert_msg(got >= (double)exact, "q %g", q);
        }
    }
    ck_assert(kept > 0 && below > 0);
    double p90;
    ck_assert_ok(kpi_duration_quantile(d, 0.9, &p90));
    double exact90 = (double)v[(size_t)(0.9 * (N - 1))];
    ck_assert(exact90 * reach < (double)v[N - 1]);
    ck_assert(p90 > exact90 * 2);
    kpi_duration_free(d);
}
END_TEST

START_TEST(beyond_the_bucket_cap_the_lowest_buckets_collapse)
{
    /* 0.1% accuracy over 1 ms .. 1 day needs about 9200 buckets */
    kpi_duration *d = dur_new(0.001);
    enum { N = 30000 };
    static int64_t v[N];
    test_rng r = {11};
    for (int i = 0; i < N; i++)
        v[i] = (int64_t)exp(test_uniform(&r) * log(86400000.0));
    ck_assert_ok(kpi_duration_add_array(d, v, N));
    ck_assert_uint_le(kpi_duration_footprint(d),
                      (KPI_DURATION_MAX_BUCKETS + 64) * 8 + 512);
    qsort(v, N, sizeof *v, cmp_i64);
    /* high quantiles keep the promise; exact reads stay exact */
    for (int i = 600; i <= 999; i++) {
        double q = i / 1000.0, got;
        ck_assert_ok(kpi_duration_quantile(d, q, &got));
        double exact = (double)v[(size_t)(q * (N - 1))];
        ck_assert_msg(fabs(got - exact) <= 0.001 * exact, "q %g", q);
    }
    int64_t mn;
    ck_assert_ok(kpi_duration_min(d, &mn));
    ck_assert_int_eq(mn, v[0]);
    double low;
    ck_assert_ok(kpi_duration_quantile(d, 0.01, &low));
    ck_assert(low >= (double)v[0]);
    /* collapsed states still round-trip */
    kpi_duration *e = duration_reread(d);
    duration_same(d, e);
    kpi_duration_free(e);
    kpi_duration_free(d);
}
END_TEST

/* The cap holds whichever path a value takes: values spanning exactly
 * KPI_DURATION_MAX_BUCKETS buckets leave slack in the window, and a value
 * a few buckets above them, added alone or in a small or large batch,
 * collapses the sketch as one batch of everything does (the used range
 * never passes the cap, and the state round-trips). */
START_TEST(the_cap_holds_for_values_inside_the_window_slack)
{
    kpi_duration *probe = dur_new(0.001);
    const int32_t cap = KPI_DURATION_MAX_BUCKETS;
    int64_t v[3] = {1, first_in_bucket(probe, cap - 1), first_in_bucket(probe, cap + 4)};
    ck_assert_int_eq(kpi__duration_index(probe, v[0]), 0);
    ck_assert_int_eq(kpi__duration_index(probe, v[1]), cap - 1);
    ck_assert_int_eq(kpi__duration_index(probe, v[2]), cap + 4);
    kpi_duration_free(probe);
    int64_t col[3][16];
    for (int j = 0; j < 3; j++)
        for (int i = 0; i < 16; i++)
            col[j][i] = v[j];
    kpi_duration *all = dur_new(0.001);
    ck_assert_ok(kpi_duration_add_array(all, col[0], 48));
    ck_assert(all->collapsed);
    ck_assert_int_eq(all->uhi - all->ulo + 1, cap);
    for (int simd = 0; simd < SIMD_LEVELS; simd++) {
        for (int way = 0; way < 3; way++) {
            /* the last value alone, in a batch of 2, in a batch of 16 */
            kpi_duration *d = dur_new(0.001);
            for (int j = 0; j < 2; j++)
                ck_assert_ok(kpi__duration_add_array_simd(d, col[j], 16, simd));
            ck_assert(!d->collapsed);
            if (way == 0)
                for (int i = 0; i < 16; i++)
                    ck_assert_ok(kpi_duration_add(d, v[2]));
            else if (way == 1)
                for (int i = 0; i < 16; i += 2)
                    ck_assert_ok(kpi__duration_add_array_simd(d, col[2], 2, simd));
            else
                ck_assert_ok(kpi__duration_add_array_simd(d, col[2], 16, simd));
            ck_assert_msg(d->uhi - d->ulo + 1 <= cap, "used %d buckets", d->uhi - d->ulo + 1);
            duration_same(d, all);
            size_t len;
            unsigned char *b = duration_bytes(d, &len);
            kpi_duration *e = NULL;
            ck_assert_ok(kpi_duration_deserialize(&e, b, len));
            duration_same(d, e);
            free(b);
            kpi_duration_free(e);
            kpi_duration_free(d);
        }
    }
    /* and a merge of the two parts */
    kpi_duration *lo = dur_new(0.001), *hi = dur_new(0.001);
    ck_assert_ok(kpi_duration_add_array(lo, col[0], 32));
    ck_assert_ok(kpi_duration_add_array(hi, col[2], 16));
    ck_assert_ok(kpi_duration_merge(lo, hi));
    duration_same(lo, all);
    kpi_duration_free(lo);
    kpi_duration_free(hi);
    kpi_duration_free(all);
}
END_TEST

/* ---- merge, clone, reset ------------------------------------------------ */

START_TEST(merge_equals_one_stream)
{
    for (int kind = 0; kind < S_N; kind++) {
        kpi_duration *a = dur_new(0.01), *b = dur_new(0.01), *all = dur_new(0.01);
        ck_assert_ok(kpi_duration_add_target(a, 30000));
        ck_assert_ok(kpi_duration_add_target(b, 30000));
        ck_assert_ok(kpi_duration_add_target(all, 30000));
        test_rng r = {(uint64_t)kind + 100};
        for (int i = 0; i < 5000; i++) {
            int64_t x = stream_value(&r, kind);
            ck_assert_ok(kpi_duration_add(i % 3 ? a : b, x));
            ck_assert_ok(kpi_duration_add(all, x));
        }
        ck_assert_ok(kpi_duration_merge(a, b));
        duration_same(a, all);
        kpi_duration_free(a);
        kpi_duration_free(b);
        kpi_duration_free(all);
    }
}
END_TEST

/* Log-uniform values in [1, top] ms. */
static void wide_values(int64_t *v, size_t n, double top, uint64_t seed)
{
    test_rng r = {seed};
    for (size_t i = 0; i < n; i++)
        v[i] = 1 + (int64_t)exp(test_uniform(&r) * log(top));
}

/* A sketch that collapsed (its lowest buckets folded into a floor) merges
 * like one sketch fed both streams: the merge takes the floor on, whichever
 * side collapsed, and whichever collapsed higher. */
START_TEST(a_collapsed_sketch_merges_like_one_stream)
{
    enum { N = 20000 };
    static int64_t day[N], year[N], small[N];
    wide_values(day, N, 86400000.0, 21);          /* collapses at 0.1% */
    wide_values(year, N, 86400000.0 * 365, 22);   /* collapses higher */
    wide_values(small, N, 50.0, 23);              /* 1..50 ms: never */
    const int64_t *streams[] = {day, year, small};
    /* every ordered pair of streams, and each alone merged into an empty one */
    for (int x = 0; x < 3; x++) {
        for (int y = -1; y < 3; y++) {
            if (y == x)
                continue;
            kpi_duration *a = dur_new(0.001), *b = dur_new(0.001), *one = dur_new(0.001);
            ck_assert_ok(kpi_duration_add_target(a, 20));
            ck_assert_ok(kpi_duration_add_target(b, 20));
            ck_assert_ok(kpi_duration_add_target(one, 20));
            if (y >= 0) {
                ck_assert_ok(kpi_duration_add_array(a, streams[y], N));
                ck_assert_ok(kpi_duration_add_array(one, streams[y], N));
            }
            ck_assert_ok(kpi_duration_add_array(b, streams[x], N));
            ck_assert_ok(kpi_duration_add_array(one, streams[x], N));
            ck_assert_ok(kpi_duration_merge(a, b));
            duration_same(a, one);
            /* and the other way round: b += a's stream */
            kpi_duration *c = dur_new(0.001);
            ck_assert_ok(kpi_duration_add_target(c, 20));
            if (y >= 0)
                ck_assert_ok(kpi_duration_add_array(c, streams[y], N));
            ck_assert_ok(kpi_duration_merge(b, c));
            duration_same(b, one);
            kpi_duration_free(a);
            kpi_duration_free(b);
            kpi_duration_free(c);
            kpi_duration_free(one);
        }
    }
}
END_TEST

/* The merged floor is not the higher of the two floors when the side that
 * did not collapse reaches higher: it is the cap under the merged maximum's
 * bucket, as for one sketch fed both streams.  At 0.1%, k = 1.000001 /
 * (10/7 ln(1.001 / 0.999)) = 350.0, and 4096 buckets reach down 4096 / k =
 * 11.70 octaves, a factor 2^11.70 = 3334: the day stream (max about 86.4
 * million ms) collapses with its floor near 86,400,000 / 3334 = 25,900 ms;
 * merged with values of 1.0 and 1.5 billion ms (about 140 buckets: no
 * collapse of their own), the floor moves up to near 1,500,000,000 / 3334 =
 * 450,000 ms. */
START_TEST(a_merged_floor_follows_the_merged_maximum)
{
    enum { N = 20000 };
    static int64_t day[N];
    wide_values(day, N, 86400000.0, 21);
    const int64_t big[] = {1000000000, 1500000000};
    kpi_duration *a = dur_new(0.001), *b = dur_new(0.001), *one = dur_new(0.001);
    ck_assert_ok(kpi_duration_add_array(a, big, 2));
    ck_assert_ok(kpi_duration_add_array(b, day, N));
    ck_assert(!a->collapsed && b->collapsed);
    const double reach = pow(2.0, KPI_DURATION_MAX_BUCKETS / b->k);
    ck_assert(reach > 3300 && reach < 3370);
    int32_t floor_b = b->floor_idx;
    ck_assert_int_ge(first_in_bucket(b, floor_b), 25900 * 95 / 100);
    ck_assert_int_le(first_in_bucket(b, floor_b), 25900 * 105 / 100);
    ck_assert_ok(kpi_duration_merge(a, b));
    ck_assert(a->collapsed);
    ck_assert_int_eq(a->floor_idx,
                     kpi__duration_index(a, 1500000000) - KPI_DURATION_MAX_BUCKETS + 1);
    ck_assert_int_gt(a->floor_idx, floor_b); /* not the higher of the two floors */
    ck_assert_int_ge(first_in_bucket(a, a->floor_idx), 450000 * 95 / 100);
    ck_assert_int_le(first_in_bucket(a, a->floor_idx), 450000 * 105 / 100);
    ck_assert_ok(kpi_duration_add_array(one, day, N));
    ck_assert_ok(kpi_duration_add_array(one, big, 2));
    duration_same(a, one);
    kpi_duration_free(a);
    kpi_duration_free(b);
    kpi_duration_free(one);
}
END_TEST

/* A collapsed sketch after a round trip (its window then exactly its used
 * buckets) goes on as the original: values under the floor, inside, and
 * above the top (moving the floor), one at a time and in batches; q = 0
 * and q = 1 stay the exact min and max. */
START_TEST(a_collapsed_sketch_goes_on_alike_after_a_round_trip)
{
    enum { N = 20000 };
    static int64_t v[N];
    wide_values(v, N, 86400000.0, 5);
    kpi_duration *d = dur_new(0.001);
    ck_assert_ok(kpi_duration_add_target(d, 60000));
    ck_assert_ok(kpi_duration_add_array(d, v, N));
    ck_assert(d->collapsed);
    const int64_t more[] = {1, 0, 500, 60000, 86400000, 86400000 * INT64_C(40), 2, 7,
                            86400000 * INT64_C(400), 3};
    for (int way = 0; way < 2; way++) {
        size_t len;
        unsigned char *b = duration_bytes(d, &len);
        kpi_duration *e = NULL;
        ck_assert_ok(kpi_duration_deserialize(&e, b, len));
        kpi_duration *c = NULL;
        ck_assert_ok(kpi_duration_clone(d, &c));
        if (way == 0) {
            for (int i = 0; i < 10; i++) {
                ck_assert_ok(kpi_duration_add(e, more[i]));
                ck_assert_ok(kpi_duration_add(c, more[i]));
                duration_same(e, c);
            }
        } else {
            ck_assert_ok(kpi_duration_add_array(e, more, 10));
            ck_assert_ok(kpi_duration_add_array(c, more, 10));
            duration_same(e, c);
        }
        double q;
        ck_assert_ok(kpi_duration_quantile(e, 0, &q));
        ck_assert(q == 0.0);
        ck_assert_ok(kpi_duration_quantile(e, 1, &q));
        ck_assert(q == 86400000.0 * 400);
        kpi_estimate x, y;
        ck_assert_ok(kpi_duration_share_within(e, 60000, &x));
        uint64_t within = 0;
        for (int i = 0; i < N; i++)
            within += v[i] <= 60000;
        ck_assert_uint_eq((uint64_t)(x.value * (double)(N + 10) + 0.5), within + 7);
        ck_assert_ok(kpi_duration_share_within(c, 60000, &y));
        ck_assert(x.value == y.value);
        free(b);
        kpi_duration_free(e);
        kpi_duration_free(c);
    }
    kpi_duration_free(d);
}
END_TEST

START_TEST(merge_refuses_different_configurations)
{
    kpi_duration *a = dur_new(0.01), *b = dur_new(0.02), *c = dur_new(0.01);
    ck_assert_ok(kpi_duration_add(a, 5));
    ck_assert_ok(kpi_duration_add(b, 5));
    ck_assert_ok(kpi_duration_add_target(c, 7));
    ck_assert_ok(kpi_duration_add(c, 5));
    kpi_duration *before;
    ck_assert_ok(kpi_duration_clone(a, &before));
    ck_assert_status(kpi_duration_merge(a, b), KPI_ERR_INCOMPATIBLE);
    ck_assert_status(kpi_duration_merge(a, c), KPI_ERR_INCOMPATIBLE);
    ck_assert_status(kpi_duration_merge(a, NULL), KPI_ERR_INVALID);
    duration_same(a, before);
    /* self merge doubles */
    ck_assert_ok(kpi_duration_merge(a, a));
    ck_assert_uint_eq(kpi_duration_count(a), 2);
    /* overflow of the sum */
    kpi_duration *big1 = dur_new(0.01), *big2 = dur_new(0.01);
    ck_assert_ok(kpi_duration_add(big1, INT64_MAX));
    ck_assert_ok(kpi_duration_add(big2, 1));
    ck_assert_status(kpi_duration_merge(big1, big2), KPI_ERR_OVERFLOW);
    ck_assert_uint_eq(kpi_duration_count(big1), 1);
    kpi_duration_free(big1);
    kpi_duration_free(big2);
    kpi_duration_free(a);
    kpi_duration_free(b);
    kpi_duration_free(c);
    kpi_duration_free(before);
}
END_TEST

START_TEST(reset_keeps_configuration_and_clone_is_deep)
{
    kpi_duration *d = dur_new(0.02);
    ck_assert_ok(kpi_duration_add_target(d, 100));
    ck_assert_ok(kpi_duration_add(d, 50));
    kpi_duration *c;
    ck_assert_ok(kpi_duration_clone(d, &c));
    kpi_duration_reset(d);
    ck_assert_uint_eq(kpi_duration_count(d), 0);
    ck_assert_uint_eq(kpi_duration_count(c), 1);
    ck_assert_ok(kpi_duration_add(d, 50));
    duration_same(d, c);
    ck_assert_status(kpi_duration_clone(NULL, &c), KPI_ERR_INVALID);
    kpi_duration_free(d);
    kpi_duration_free(c);
}
END_TEST

/* ---- serialization ------------------------------------------------------ */

static kpi_duration *sample(void)
{
    kpi_duration *d = dur_new(0.01);
    ck_assert_ok(kpi_duration_add_target(d, 20000));
    const int64_t v[] = {0, 1, 15000, 20000, 25000, 3600000, 0, 86400000};
    ck_assert_ok(kpi_duration_add_array(d, v, 8));
    return d;
}

START_TEST(serialize_round_trips_to_identical_reads_and_bytes)
{
    for (int kind = 0; kind < S_N; kind++) {
        kpi_duration *d = dur_new(0.02);
        test_rng r = {(uint64_t)kind};
        for (int i = 0; i < 2000; i++)
            ck_assert_ok(kpi_duration_add(d, stream_value(&r, kind)));
        size_t len;
        unsigned char *b = duration_bytes(d, &len);
        kpi_duration *e;
        ck_assert_ok(kpi_duration_deserialize(&e, b, len));
        duration_same(d, e);
        for (int i = 0; i <= 100; i++) {
            double x, y;
            ck_assert_ok(kpi_duration_quantile(d, i / 100.0, &x));
            ck_assert_ok(kpi_duration_quantile(e, i / 100.0, &y));
            ck_assert(x == y);
        }
        free(b);
        kpi_duration_free(d);
        kpi_duration_free(e);
    }
    /* the empty state too */
    kpi_duration *d = dur_new(0.01), *e;
    size_t len;
    unsigned char *b = duration_bytes(d, &len);
    ck_assert_ok(kpi_duration_deserialize(&e, b, len));
    duration_same(d, e);
    free(b);
    kpi_duration_free(d);
    kpi_duration_free(e);
}
END_TEST

START_TEST(corrupt_truncated_and_foreign_bytes_are_rejected)
{
    kpi_duration *d = sample();
    size_t len;
    unsigned char *b = duration_bytes(d, &len);
    kpi_duration *e = NULL;
    for (size_t cut = 0; cut < len; cut++)
        ck_assert_int_lt(kpi_duration_deserialize(&e, b, cut), 0);
    for (size_t i = 0; i < len; i++)
        for (int bit = 0; bit < 8; bit++) {
            b[i] ^= (unsigned char)(1u << bit);
            ck_assert_int_lt(kpi_duration_deserialize(&e, b, len), 0);
            b[i] ^= (unsigned char)(1u << bit);
        }
    ck_assert_ptr_null(e);
    kpi_aht *a;
    ck_assert_status(kpi_aht_deserialize(&a, b, len), KPI_ERR_TYPE);
    ck_assert_status(kpi_duration_deserialize(&e, NULL, len), KPI_ERR_INVALID);
    ck_assert_status(kpi_duration_deserialize(NULL, b, len), KPI_ERR_INVALID);
    unsigned char small[4];
    size_t need;
    ck_assert_status(kpi_duration_serialize(d, small, sizeof small, &need),
                     KPI_ERR_BUFFER);
    ck_assert_uint_eq(need, len);
    ck_assert_status(kpi_duration_serialize(NULL, NULL, 0, &need), KPI_ERR_INVALID);
    free(b);
    kpi_duration_free(d);
}
END_TEST

/* A registered target's count is the number of durations at or under it:
 * every zero, none when the target is under the minimum, all when it is
 * at or over the maximum.  Bytes whose count broke that decoded, and then
 * share_within(target) contradicted the exact reads (the header: exact for
 * a registered target and for one at or above the maximum).  Each state:
 * accuracy 0.01, one target, values whose svarints are one byte each, so
 * the body is f64 accuracy (bytes 12..19), ntargets 20, target 21, count
 * 22, zeros 23, sum 24, min 25, max 26, the target's count 27. */
START_TEST(target_counts_that_contradict_min_max_or_zeros_are_corrupt)
{
    static const struct {
        int64_t target, v[4];
        int n;
        unsigned char within, forged;
    } cases[] = {
        /* 50 >= max 30: all 3 within; 2 would read 2/3 (and 49: 3/3) */
        {50, {10, 20, 30}, 3, 3, 2},
        /* 5 < min 10: none within; 1 would read 1/3 (and 4: 0/3) */
        {5, {10, 20, 30}, 3, 0, 1},
        /* two zeros are within 5 whatever else: 1 would read 1/4 */
        {5, {0, 0, 10, 20}, 4, 2, 1},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        kpi_duration *d = dur_new(0.01);
        ck_assert_ok(kpi_duration_add_target(d, cases[i].target));
        ck_assert_ok(kpi_duration_add_array(d, cases[i].v, (size_t)cases[i].n));
        ck_assert_uint_eq(duration_forged(d, 27, cases[i].forged, cases[i].within),
                          cases[i].within);
        kpi_duration_free(d);
    }
}
END_TEST

/* count, zeros, sum, min and max are exact: n - z positive durations
 * between min (1 with zeros) and max, one of them max, sum to at least
 * max + (n - z - 1) min and at most min + (n - z - 1) max (with zeros: (n -
 * z) max).  Bytes whose sum broke that decoded: three zeros with sum 6 read
 * a mean of 2 above the maximum 0.  Each state: accuracy 0.01, no target,
 * values whose svarints are one byte each, so the body is f64 accuracy
 * (bytes 12..19), ntargets 20, count 21, zeros 22, sum 23, min 24, max 25;
 * the sum byte is the zig-zag 2 sum. */
START_TEST(a_sum_the_exact_reads_rule_out_is_corrupt)
{
    static const struct {
        int64_t v[3];
        unsigned char bad, good; /* forged sums: impossible, possible */
    } cases[] = {
        {{0, 0, 0}, 6, 0},    /* only zeros: the sum is 0 */
        {{5, 10, 15}, 36, 35}, /* at most 5 + 15 + 15 = 35 */
        {{5, 10, 15}, 24, 25}, /* at least 5 + 5 + 15 = 25 */
        {{0, 5, 15}, 31, 30},  /* at most 15 + 15 = 30 */
        {{0, 5, 15}, 15, 16},  /* at least 1 + 15 = 16 */
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        kpi_duration *d = dur_new(0.01);
        ck_assert_ok(kpi_duration_add_array(d, cases[i].v, 3));
        int64_t sum;
        ck_assert_ok(kpi_duration_sum(d, &sum));
        ck_assert_uint_eq(duration_forged(d, 23, (unsigned char)(2 * cases[i].bad),
                                          (unsigned char)(2 * cases[i].good)),
                          2 * sum);
        kpi_duration_free(d);
    }
}
END_TEST

/* A target's exact count agrees with the buckets: at least the zeros and
 * the counts of the buckets under the target's, at most those and its
 * bucket's.  {10, 20, 30} at 1% with a target of 25 ms (body: ntargets 20,
 * target 21, count 22, zeros 23, sum 24, min 25, max 26, within 27): 2
 * within.  Forged to 1, the bytes used to decode with 1 of 3 within 25 ms
 * while the median read 20.1 (the bucket of 20, under 25's); 25 < max, 25
 * >= min and 1 >= 0 zeros passed the other checks.  A target of 0 ms with
 * one zero, {0, 20, 30}: within 1 (byte 27 again), forged to 2, read 2 of
 * 3 within 0 ms with one zero.  Both now corrupt. */
START_TEST(target_counts_that_contradict_the_buckets_are_corrupt)
{
    static const struct {
        int64_t target, v[3];
        unsigned char within, forged;
    } cases[] = {{25, {10, 20, 30}, 2, 1}, {25, {10, 20, 30}, 2, 3},
                 {0, {0, 20, 30}, 1, 2}};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        kpi_duration *d = dur_new(0.01);
        ck_assert_ok(kpi_duration_add_target(d, cases[i].target));
        ck_assert_ok(kpi_duration_add_array(d, cases[i].v, 3));
        ck_assert_uint_eq(duration_forged(d, 27, cases[i].forged, cases[i].within),
                          cases[i].within);
        kpi_duration_free(d);
    }
}
END_TEST

/* The used buckets of a sketch run from its minimum's bucket (with zeros,
 * some positive value's) to its maximum's.  {2, 10, 30} at 1%: buckets 34,
 * 116 and 171 (body: count 21, zeros 22, sum 23, min 24, max 25, collapsed
 * 26, ulo 27 as the zig-zag 68, span 28..29 = 138); its median is the
 * bucket of 10, 10.04, and 2 of 3 are within 29 ms.  Forged with ulo 0
 * (the three buckets moved 34 down), the bytes used to decode with a
 * median of 5.12 and 3 of 3 within 29 ms (30 counted in bucket 137);
 * with ulo 35 (one up) a median of 10.24, 2% off 10 at 1%.  {0, 2, 30}:
 * buckets 34 and 171 (ulo 68 at byte 27 again), median 1.98; forged with
 * ulo 33 (the maximum's count in bucket 170, under the bucket of 30), a
 * median of 1.94, 3% off 2.  All three are corrupt now. */
START_TEST(used_buckets_other_than_the_min_and_max_ones_are_corrupt)
{
    static const struct {
        int64_t v[3];
        unsigned char bad;
    } cases[] = {{{2, 10, 30}, 0}, {{2, 10, 30}, 70}, {{0, 2, 30}, 66}};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        kpi_duration *d = dur_new(0.01);
        ck_assert_ok(kpi_duration_add_array(d, cases[i].v, 3));
        ck_assert_int_eq(d->ulo, 34);
        ck_assert_int_eq(d->uhi, 171);
        ck_assert_uint_eq(duration_forged(d, 27, cases[i].bad, 68), 68);
        kpi_duration_free(d);
    }
}
END_TEST

/* A sketch collapses only when its used buckets would pass the cap
 * (4,096): its floor is then the cap under its maximum's bucket, and that
 * lowest bucket holds what was folded into it.  {2, 10, 30} at 1% (buckets
 * 34 to 171, 138 < 4,096) forged as collapsed with floor 34 (byte 26 set
 * to 1, the zig-zag 68 inserted after it) used to decode; three adds of 1
 * ms (bucket 0) then went into the floor's bucket 34, where a sketch fed
 * the same six values keeps them in bucket 0: the median (rank
 * floor(0.5 x 5) = 2, the value 1) read 1.98 instead of 1.01, and the share
 * within 1 ms 4 of 6 instead of 3 of 6.  Now corrupt.  A sketch that did
 * collapse, its floor forged one lower (the cap plus one apart) or one
 * higher (above its lowest bucket), stays corrupt. */
START_TEST(a_collapse_no_adds_made_is_corrupt)
{
    kpi_duration *d = dur_new(0.01), *e = NULL;
    const int64_t v[] = {2, 10, 30};
    ck_assert_ok(kpi_duration_add_array(d, v, 3));
    size_t len;
    unsigned char *b = duration_bytes(d, &len);
    unsigned char *f = malloc(len + 1);
    memcpy(f, b, 26);
    ck_assert_uint_eq(b[26], 0);
    f[26] = 1;
    f[27] = 68;
    memcpy(f + 28, b + 27, len - 27);
    test_reseal(f, len + 1);
    ck_assert_status(kpi_duration_deserialize(&e, f, len + 1), KPI_ERR_CORRUPT);
    ck_assert_ptr_null(e);
    free(f);
    free(b);
    kpi_duration_free(d);

    /* at 0.1%, 1 ms to a year collapses */
    enum { N = 20000 };
    static int64_t w[N];
    wide_values(w, N, 86400000.0 * 365, 9);
    d = dur_new(0.001);
    ck_assert_ok(kpi_duration_add_array(d, w, N));
    ck_assert(d->collapsed);
    ck_assert_int_eq(d->ulo, d->floor_idx);
    ck_assert_int_eq(d->uhi - d->floor_idx, KPI_DURATION_MAX_BUCKETS - 1);
    b = duration_bytes(d, &len);
    /* body: f64 accuracy, ntargets 20, then five varints (count, zeros,
     * sum, min, max), the collapsed byte and the floor (2 bytes) */
    size_t at = 21;
    for (int k = 0; k < 5; k++)
        while (b[at++] & 0x80)
            ;
    ck_assert_uint_eq(b[at], 1);
    ck_assert_uint_eq(b[at + 1] & 0x7f, (2 * d->floor_idx) & 0x7f);
    ck_assert_uint_eq(b[at + 2], (2 * d->floor_idx) >> 7);
    ck_assert(b[at + 1] >= 0x82 && b[at + 1] <= 0xfd);
    ck_assert_uint_eq(duration_forged(d, at + 1, b[at + 1] - 2, b[at + 1]), b[at + 1]);
    ck_assert_uint_eq(duration_forged(d, at + 1, b[at + 1] + 2, b[at + 1]), b[at + 1]);
    free(b);
    kpi_duration_free(d);
}
END_TEST

/* A value for the random round trips: zeros, small, wide (days to
 * centuries), 2^52 and up (the general path), a few near the top. */
static int64_t rt_value(test_rng *r)
{
    switch (test_range(r, 0, 7)) {
    case 0:
        return 0;
    case 1:
        return test_range(r, 1, 100);
    case 2:
        return (int64_t)exp(test_uniform(r) * log(1e13));
    case 3:
        return test_range(r, INT64_C(1) << 52, INT64_C(1) << 56);
    case 4:
        return test_uniform(r) < 0.01 ? INT64_MAX / 64 : test_range(r, 1000, 2000);
    default:
        return (int64_t)exp(test_uniform(r) * log(1e9));
    }
}

/* Sketches built by random adds (one by one and in batches), merges and
 * resets, at accuracies from the coarsest to finer than the cap allows
 * without collapsing, every other one with targets (0 ms to 2^53 ms):
 * every state reads back as itself, and its used buckets are those of its
 * exact min and max (the lowest the floor once collapsed, the floor then
 * the cap below the highest). */
START_TEST(every_state_of_adds_and_merges_reads_back)
{
    const double accs[] = {0.5, 0.05, 0.01, 0.001, 1e-4, 1e-6};
    test_rng r = {2024};
    int collapsed = 0;
    for (int a = 0; a < 6; a++) {
        kpi_duration *p[4];
        const int64_t targets[] = {0, 5, 1000, 86400000, INT64_C(1) << 53};
        for (int i = 0; i < 4; i++) {
            p[i] = dur_new(accs[a]);
            for (int t = 0; t < 5 && a % 2; t++)
                ck_assert_ok(kpi_duration_add_target(p[i], targets[t]));
        }
        for (int step = 0; step < 400; step++) {
            int i = (int)test_range(&r, 0, 3), op = (int)test_range(&r, 0, 9);
            int64_t v[40];
            size_t n = (size_t)test_range(&r, 1, 40);
            for (size_t k = 0; k < n; k++)
                v[k] = rt_value(&r);
            int rc;
            if (op < 4)
                rc = kpi_duration_add(p[i], v[0]);
            else if (op < 7)
                rc = kpi_duration_add_array(p[i], v, n);
            else if (op < 9)
                rc = kpi_duration_merge(p[i], p[test_range(&r, 0, 3)]);
            else
                rc = (kpi_duration_reset(p[i]), KPI_OK);
            ck_assert_msg(rc == KPI_OK || rc == KPI_ERR_OVERFLOW, "%s",
                          kpi_status_name(rc));
            kpi_duration *d = p[i];
            if (d->collapsed && d->count > d->zeros) {
                collapsed++;
                ck_assert_int_eq(d->ulo, d->floor_idx);
                ck_assert_int_eq(d->uhi - d->floor_idx, KPI_DURATION_MAX_BUCKETS - 1);
            }
            kpi_duration *e = duration_reread(d);
            duration_same(e, d);
            kpi_duration_free(e);
        }
        for (int i = 0; i < 4; i++)
            kpi_duration_free(p[i]);
    }
    ck_assert_int_gt(collapsed, 100);
}
END_TEST

START_TEST(golden_state_still_reads)
{
    /* tests/data/duration-v1.bin was written by format version 1 from
     * sample(); KPI_WRITE_GOLDEN=1 rewrites it (only for a new format) */
    kpi_duration *d = sample();
    size_t len;
    unsigned char *now = duration_bytes(d, &len);
    test_write_golden("duration-v1.bin", now, len);
    size_t glen;
    unsigned char *golden = test_read_file(test_data_path("duration-v1.bin"), &glen);
    ck_assert_msg(golden != NULL, "missing %s", test_data_path("duration-v1.bin"));
    ck_assert_uint_eq(glen, len);
    ck_assert(memcmp(golden, now, len) == 0);
    kpi_duration *g;
    ck_assert_ok(kpi_duration_deserialize(&g, golden, glen));
    kpi_estimate e;
    ck_assert_ok(kpi_duration_share_within(g, 20000, &e));
    ck_assert_near(e.value, 5.0 / 8.0, 0);
    double q;
    ck_assert_ok(kpi_duration_quantile(g, 0.5, &q));
    ck_assert_near(q, 15000, 150);
    kpi_duration_free(g);
    kpi_duration_free(d);
    free(golden);
    free(now);
}
END_TEST

/* ---- the batch path: portable and AVX2 kernels, chunks, growth ----------- */

/* The batch kernels work on chunks of this many values (lib/duration.c). */
#define CHUNK 2048

/* Room for n values (the batch tests' arrays are too large for the stack). */
static int64_t *values_of(size_t n)
{
    int64_t *v = malloc(n * sizeof *v);
    ck_assert_ptr_nonnull(v);
    return v;
}

/* Add v[0..n) to `one` five ways: one call per value into `one` itself,
 * and one batch into a copy of it through each level of kernels (the
 * portable ones, AVX2, AVX-512 and its float32 estimate where the CPU has them); the five states
 * must be the same bytes. */
static void every_way_into(kpi_duration *one, const int64_t *v, size_t n)
{
    kpi_duration *batch[SIMD_LEVELS];
    for (int l = 0; l < SIMD_LEVELS; l++)
        ck_assert_ok(kpi_duration_clone(one, &batch[l]));
    for (size_t i = 0; i < n; i++)
        ck_assert_ok(kpi_duration_add(one, v[i]));
    for (int l = 0; l < SIMD_LEVELS; l++) {
        ck_assert_ok(kpi__duration_add_array_simd(batch[l], v, n, l));
        duration_same(one, batch[l]);
        kpi_duration_free(batch[l]);
    }
}

/* every_way_into() a fresh sketch with `targets` registered; returns it. */
static kpi_duration *every_way(double acc, const int64_t *targets, int nt,
                                const int64_t *v, size_t n)
{
    kpi_duration *one = dur_new(acc);
    for (int t = 0; t < nt; t++)
        ck_assert_ok(kpi_duration_add_target(one, targets[t]));
    every_way_into(one, v, n);
    return one;
}

/* Every bucket edge below 2^52 ms (the last value of a bucket and the
 * first two of the next), at 50%, 5%, 1%, 0.1%, 0.035% (the finest the
 * AVX-512 float32 estimate serves, k about 1,000) and 0.033% (just past
 * it: the double kernel): the batch kernels put each in the bucket the
 * scalar mapping does, every level alike.  These are the values the float32
 * estimate cannot place alone.  Edges are taken in runs of at most 4,000
 * buckets (one sketch each, so that none collapses and the kernels, not
 * the general path, count). */
START_TEST(batch_buckets_equal_the_scalar_mapping_at_every_edge)
{
    const double accs[] = {0.5, 0.05, 0.01, 0.001, 3.5e-4, 3.3e-4};
    test_rng r = {17};
    for (int a = 0; a < 6; a++) {
        kpi_duration *probe = dur_new(accs[a]);
        int32_t top = kpi__duration_index(probe, (INT64_C(1) << 52) - 1);
        int64_t *v = values_of(3 * 4000 + 8);
        size_t total = 0;
        for (int32_t from = 1, next; from <= top; from = next) {
            size_t n = 0;
            int64_t sum = 0; /* a run ends before its sum could overflow */
            int32_t b = from;
            for (; b <= top && b < from + 4000 && sum < INT64_MAX / 4; b++) {
                int64_t f = first_in_bucket(probe, b);
                if (n > 0 && v[n - 1] >= f - 1)
                    continue; /* an empty bucket (small integers): edge in */
                ck_assert_int_lt(kpi__duration_index(probe, f - 1), b);
                ck_assert_int_ge(kpi__duration_index(probe, f), b);
                v[n++] = f - 1;
                v[n++] = f;
                v[n++] = f + 1;
                sum += 3 * f;
            }
            next = b;
            if (b > top)
                v[n++] = (INT64_C(1) << 52) - 1;
            /* in random order, so that each block of 8 mixes octaves */
            for (size_t i = n - 1; i > 0; i--) {
                size_t j = (size_t)test_range(&r, 0, (int64_t)i);
                int64_t t = v[i];
                v[i] = v[j];
                v[j] = t;
            }
            kpi_duration_free(every_way(accs[a], NULL, 0, v, n));
            total += n;
        }
        ck_assert_uint_gt(total, 3 * (size_t)top / 2);
        kpi_duration_free(probe);
        free(v);
    }
}
END_TEST

/* A value at bucket i's edge: the last one below it (side -1), its first
 * (0) or the one after (1). */
static int64_t edge_value(const kpi_duration *d, int32_t i, int side)
{
    return first_in_bucket(d, i) + side;
}

/* Every batch length from 0 to 100 (every tail of the 8- and 16-value
 * steps), at accuracies on both sides of the float32 estimate's limit,
 * into a new sketch with targets and into a populated one whose window
 * the batch overflows: lognormal values mixed with zeros, 1, 2^52 - 1 and
 * bucket edges.  Every level gives the bytes of one add per value; a bad
 * value at the end refuses the batch at every level, the sketch as it was
 * (the kernels take back what they counted, near lanes included). */
START_TEST(batch_lengths_0_to_100_equal_one_by_one_adds_at_every_level)
{
    const double accs[] = {0.5, 0.01, 3.5e-4, 1e-4};
    const int64_t targets[] = {0, 1, 1800000};
    test_rng r = {41};
    int64_t v[101];
    for (int a = 0; a < 4; a++) {
        kpi_duration *probe = dur_new(accs[a]);
        int32_t mid = kpi__duration_index(probe, 1800000);
        for (size_t n = 0; n <= 100; n++) {
            for (size_t i = 0; i < n; i++) {
                int64_t x = stream_value(&r, S_LOGNORMAL);
                switch (test_range(&r, 0, 9)) {
                case 0: x = 0; break;
                case 1: x = 1; break;
                case 2: x = (INT64_C(1) << 52) - 1; break;
                case 3:
                case 4:
                    x = edge_value(probe, mid - 40 + (int32_t)test_range(&r, 0, 80),
                                   (int)test_range(&r, -1, 1));
                    break;
                default: break;
                }
                v[i] = x;
            }
            kpi_duration *one = every_way(accs[a], targets, 3, v, n);
            kpi_duration *pop = dur_new(accs[a]);
            const int64_t seed[] = {1700000, 1900000};
            ck_assert_ok(kpi_duration_add_array(pop, seed, 2));
            every_way_into(pop, v, n);
            if (n > 0) {
                size_t len;
                unsigned char *before = duration_bytes(one, &len);
                v[n] = -1;
                for (int simd = 0; simd < SIMD_LEVELS; simd++) {
                    ck_assert_status(kpi__duration_add_array_simd(one, v, n + 1, simd),
                                     KPI_ERR_RANGE);
                    duration_unchanged(one, before, len);
                }
                free(before);
            }
            kpi_duration_free(pop);
            kpi_duration_free(one);
        }
        kpi_duration_free(probe);
    }
}
END_TEST

/* Batch sizes around the kernel's 8-value steps and the chunk size, into a
 * new sketch and into a populated one, with targets registered (their
 * counters exact: compared with a count of the values themselves). */
START_TEST(batches_straddling_chunks_equal_one_by_one_adds)
{
    const size_t sizes[] = {1, 7, 8, 9, CHUNK - 1, CHUNK, CHUNK + 1, 2 * CHUNK + 5, 10007};
    const int64_t targets[] = {0, 45000, 600000, 3600000};
    test_rng r = {23};
    int64_t *v = values_of(10007);
    for (int kind = 0; kind < S_N; kind++) {
        for (size_t i = 0; i < 10007; i++)
            v[i] = stream_value(&r, kind);
        v[5] = 45000; /* a value equal to a target */
        for (size_t s = 0; s < sizeof sizes / sizeof sizes[0]; s++) {
            size_t n = sizes[s];
            kpi_duration *one = every_way(0.01, targets, 4, v, n);
            for (int t = 0; t < 4; t++) {
                uint64_t within = 0;
                for (size_t i = 0; i < n; i++)
                    within += v[i] <= targets[t];
                kpi_estimate e;
                ck_assert_ok(kpi_duration_share_within(one, targets[t], &e));
                ck_assert_uint_eq(e.n, n);
                ck_assert_near(e.value, (double)within / (double)n, 1e-12);
            }
            /* the same batch again, into the populated sketch */
            every_way_into(one, v, n);
            kpi_duration_free(one);
        }
    }
    free(v);
}
END_TEST

/* Batches of fewer than 8 values take the scalar mapping when the window
 * holds them, the kernels when it does not: the same bytes either way. */
START_TEST(small_batches_inside_and_outside_the_window)
{
    const int64_t inside[] = {0, 1000, 1001, 999, 0, 1100, 950};
    const int64_t outside[] = {0, 5, 86400000};
    const int64_t zeros[] = {0, 0};
    kpi_duration *one = every_way(0.01, NULL, 0, zeros, 2);
    every_way_into(one, inside, 7);
    every_way_into(one, inside, 1);
    every_way_into(one, outside, 3);
    every_way_into(one, inside + 1, 6);
    kpi_duration_free(one);
}
END_TEST

/* One hot bucket: every value of a long batch lands on the same counter. */
START_TEST(a_batch_all_in_one_bucket_counts_every_value)
{
    enum { N = 3 * CHUNK + 3 };
    int64_t *v = values_of(N);
    for (size_t i = 0; i < N; i++)
        v[i] = 45000 + (int64_t)(i % 3); /* 45000..45002: one bucket at 1% */
    kpi_duration *one = every_way(0.01, NULL, 0, v, N);
    ck_assert_uint_eq(kpi_duration_count(one), N);
    double q;
    ck_assert_ok(kpi_duration_quantile(one, 0.5, &q));
    ck_assert_near(q, 45001, 45001 * 0.01);
    kpi_duration *fast = dur_new(0.01);
    ck_assert_ok(kpi__duration_add_array_simd(fast, v, N, 1));
    ck_assert_ok(kpi__duration_add_array_simd(fast, v, N, 2));
    ck_assert_ok(kpi__duration_add_array_simd(fast, v, N, 3));
    int64_t s;
    ck_assert_ok(kpi_duration_sum(fast, &s));
    ck_assert(s == 3 * (int64_t)(N / 3) * (45000 + 45001 + 45002));
    kpi_duration_free(one);
    kpi_duration_free(fast);
    free(v);
}
END_TEST

/* Columns made of one value at a bucket edge (every lane of every vector
 * near for the float32 estimate: the whole vector takes the exact
 * mapping), alone, between zeros (never near) and beside 1 ms (index 0,
 * never near): every level equals one add per value, and the counts are
 * where the scalar mapping puts them. */
START_TEST(columns_of_edge_values_and_zeros_equal_one_by_one_adds)
{
    enum { N = 3 * CHUNK + 5 };
    const double accs[] = {0.01, 0.001};
    int64_t *v = values_of(N);
    for (size_t a = 0; a < sizeof accs / sizeof accs[0]; a++) {
        kpi_duration *probe = dur_new(accs[a]);
        const int32_t buckets[] = {300, 517, 900};
        for (size_t b = 0; b < sizeof buckets / sizeof buckets[0]; b++) {
            /* (the same values, about 20 ms to 8 s, at both accuracies) */
            int64_t first = first_in_bucket(probe, (int32_t)(buckets[b] * (0.01 / accs[a])));
            const int64_t edge[] = {first, first - 1, 306};
            for (size_t e = 0; e < sizeof edge / sizeof edge[0]; e++) {
                for (int mix = 0; mix < 3; mix++) {
                    for (size_t i = 0; i < N; i++)
                        v[i] = mix == 1 && i % 2 ? 0 : mix == 2 && i % 3 == 0 ? 1 : edge[e];
                    kpi_duration *one = every_way(accs[a], NULL, 0, v, N);
                    uint64_t want = mix == 0 ? N : mix == 1 ? (N + 1) / 2 : N - (N + 2) / 3;
                    int32_t i = kpi__duration_index(one, edge[e]);
                    ck_assert_uint_eq(one->bins[i - one->blo], want);
                    kpi_duration_free(one);
                }
            }
        }
        kpi_duration_free(probe);
    }
    free(v);
}
END_TEST

/* 0, 1 and 2^52 - 1 (the largest value the kernels take) in full blocks,
 * exact reads by hand; 2^52 and beyond take the general path. */
START_TEST(batch_edge_values_zero_one_and_two_pow_52)
{
    const int64_t big = (INT64_C(1) << 52) - 1;
    int64_t v[24];
    for (int i = 0; i < 24; i++)
        v[i] = i % 3 == 0 ? 0 : i % 3 == 1 ? 1 : big;
    kpi_duration *one = every_way(0.01, NULL, 0, v, 24);
    int64_t mn, mx, s;
    ck_assert_ok(kpi_duration_min(one, &mn));
    ck_assert_ok(kpi_duration_max(one, &mx));
    ck_assert_ok(kpi_duration_sum(one, &s));
    ck_assert(mn == 0 && mx == big && s == 8 * (1 + big));
    double q;
    ck_assert_ok(kpi_duration_quantile(one, 0.5, &q)); /* rank 11: a 1 */
    ck_assert_near(q, 1.0, 0.01);
    ck_assert_ok(kpi_duration_quantile(one, 0.34, &q)); /* rank 7: a 0 */
    ck_assert(q == 0.0);
    kpi_estimate e;
    ck_assert_ok(kpi_duration_share_within(one, 0, &e));
    ck_assert_near(e.value, 1.0 / 3, 1e-12);
    kpi_duration_free(one);
    /* only zeros, then positives: the window appears with the first */
    int64_t z[16] = {0};
    one = every_way(0.01, NULL, 0, z, 16);
    kpi_duration_free(one);
    /* 2^52 and a value near INT64_MAX / 16 in the last block */
    int64_t w[CHUNK + 9];
    test_rng r = {3};
    for (size_t i = 0; i < CHUNK + 9; i++)
        w[i] = stream_value(&r, S_LOGUNIFORM);
    w[CHUNK + 2] = INT64_C(1) << 52;
    w[CHUNK + 7] = INT64_MAX / 16;
    kpi_duration_free(every_way(0.01, NULL, 0, w, CHUNK + 9));
}
END_TEST

/* The batch v[0..n) with v[pos] = bad is refused with `want` and leaves d
 * as `before`; v[pos] is put back. */
static void batch_refused(kpi_duration *d, int64_t *v, size_t n, size_t pos, int64_t bad,
                          int simd, int want, const unsigned char *before, size_t len)
{
    int64_t keep = v[pos];
    v[pos] = bad;
    ck_assert_status(kpi__duration_add_array_simd(d, v, n, simd), want);
    duration_unchanged(d, before, len);
    v[pos] = keep;
}

/* Values far above, then far below, a populated sketch's window, in the
 * middle of a batch: the window grows twice mid-batch; every allocation
 * failing in turn leaves the sketch as it was (bytes and live blocks), and
 * a negative value after the growth does too. */
START_TEST(window_growth_mid_batch_is_all_or_nothing)
{
    enum { N = 3 * CHUNK + 100 };
    int64_t *v = values_of(N);
    test_rng r = {41};
    for (size_t i = 0; i < N; i++)
        v[i] = test_range(&r, 900, 1100);
    v[CHUNK + 10] = 86400000;     /* second chunk: far above */
    v[2 * CHUNK + 10] = 2;        /* third chunk: far below */
    v[2 * CHUNK + 11] = 0;
    v[N - 1] = 1000;
    for (int simd = 0; simd < SIMD_LEVELS; simd++) {
        for (long fail = 1;; fail++) {
            test_alloc t;
            kpi_allocator al = test_allocator(&t);
            kpi_duration *d = NULL, *one = NULL;
            ck_assert_ok(kpi_duration_new_with(&d, 0.01, &al));
            ck_assert_ok(kpi_duration_new_with(&one, 0.01, &al));
            ck_assert_ok(kpi_duration_add(d, 1000));
            ck_assert_ok(kpi_duration_add(one, 1000));
            for (size_t i = 0; i < N; i++)
                ck_assert_ok(kpi_duration_add(one, v[i]));
            size_t len;
            unsigned char *before = duration_bytes(d, &len);
            long live = t.live;
            /* a negative value in the last block, after both growths */
            batch_refused(d, v, N, N - 1, -1, simd, KPI_ERR_RANGE, before, len);
            ck_assert_int_eq(t.live, live);
            t.fail_at = t.calls + fail;
            int rc = kpi__duration_add_array_simd(d, v, N, simd);
            bool failed = t.calls >= t.fail_at;
            t.fail_at = 0;
            if (failed) {
                ck_assert_status(rc, KPI_ERR_NOMEM);
                duration_unchanged(d, before, len);
                ck_assert_int_eq(t.live, live);
                /* a bad batch says so before running out of memory */
                t.fail_at = t.calls + fail;
                batch_refused(d, v, N, N - 1, -1, simd, KPI_ERR_RANGE, before, len);
                t.fail_at = 0;
                ck_assert_int_eq(t.live, live);
                ck_assert_ok(kpi__duration_add_array_simd(d, v, N, simd));
            } else {
                ck_assert_ok(rc);
            }
            duration_same(d, one);
            free(before);
            kpi_duration_free(d);
            kpi_duration_free(one);
            ck_assert_int_eq(t.live, 0);
            if (!failed) {
                ck_assert_int_ge(fail, 3); /* it did grow (twice) */
                break;
            }
        }
    }
    free(v);
}
END_TEST

/* A negative value, a sum overflow, in the last block of a long batch:
 * refused, nothing changed, in a new and in a populated sketch. */
START_TEST(an_error_in_the_last_block_changes_nothing)
{
    enum { N = 2 * CHUNK + 13 };
    int64_t *v = values_of(N);
    test_rng r = {8};
    for (size_t i = 0; i < N; i++)
        v[i] = stream_value(&r, S_LOGNORMAL);
    for (int simd = 0; simd < SIMD_LEVELS; simd++) {
        for (int populated = 0; populated <= 1; populated++) {
            kpi_duration *d = dur_new(0.01);
            ck_assert_ok(kpi_duration_add_target(d, 60000));
            if (populated)
                ck_assert_ok(kpi__duration_add_array_simd(d, v, N - 100, simd));
            size_t len;
            unsigned char *before = duration_bytes(d, &len);
            for (int at = 0; at < 2; at++) {
                size_t pos = at ? N - 1 : N - 9; /* the tail; the last full block */
                batch_refused(d, v, N, pos, INT64_MIN, simd, KPI_ERR_RANGE, before, len);
                batch_refused(d, v, N, pos, INT64_MAX - 5, simd, KPI_ERR_OVERFLOW, before,
                              len);
            }
            free(before);
            kpi_duration_free(d);
        }
    }
    free(v);
}
END_TEST

/* ---- allocator ---------------------------------------------------------- */

START_TEST(allocation_failure_at_every_step_changes_nothing)
{
    test_rng r = {5};
    int64_t v[500];
    for (int i = 0; i < 500; i++)
        v[i] = stream_value(&r, S_LOGUNIFORM);
    /* constructor, growth, merge, clone, deserialize */
    for (long fail = 1; fail <= 40; fail++) {
        test_alloc t;
        kpi_allocator al = test_allocator(&t);
        t.fail_at = fail;
        kpi_duration *d = NULL;
        int rc = kpi_duration_new_with(&d, 0.01, &al);
        if (rc != KPI_OK) {
            ck_assert_status(rc, KPI_ERR_NOMEM);
            ck_assert_int_eq(t.live, 0);
            continue;
        }
        for (int i = 0; i < 500; i++) {
            kpi_duration *before;
            long fa = t.fail_at;
            t.fail_at = 0;
            ck_assert_ok(kpi_duration_clone(d, &before));
            t.fail_at = fa;
            long live = t.live;
            rc = kpi_duration_add(d, v[i]);
            if (rc != KPI_OK) {
                ck_assert_status(rc, KPI_ERR_NOMEM);
                ck_assert_int_eq(t.live, live);
                duration_same(d, before);
                ck_assert_ok(kpi_duration_add(d, v[i]));
            }
            kpi_duration_free(before);
        }
        /* merge into a fresh object, clone, deserialize */
        t.fail_at = 0;
        kpi_duration *m = NULL;
        ck_assert_ok(kpi_duration_new_with(&m, 0.01, &al));
        ck_assert_ok(kpi_duration_add(m, 1));
        size_t len;
        unsigned char *b = duration_bytes(d, &len);
        t.fail_at = t.calls + 1;
        long live = t.live;
        ck_assert_status(kpi_duration_merge(m, d), KPI_ERR_NOMEM);
        ck_assert_int_eq(t.live, live);
        ck_assert_uint_eq(kpi_duration_count(m), 1);
        kpi_duration *c = NULL;
        for (long k = 1; k <= 2; k++) {
            t.fail_at = t.calls + k;
            ck_assert_status(kpi_duration_clone(d, &c), KPI_ERR_NOMEM);
            ck_assert_int_eq(t.live, live);
            t.fail_at = t.calls + k;
            ck_assert_status(kpi_duration_deserialize_with(&c, b, len, &al),
                             KPI_ERR_NOMEM);
            ck_assert_int_eq(t.live, live);
        }
        ck_assert_ptr_null(c);
        t.fail_at = 0;
        ck_assert_ok(kpi_duration_merge(m, d));
        ck_assert_ok(kpi_duration_deserialize_with(&c, b, len, &al));
        duration_same(c, d);
        free(b);
        kpi_duration_free(c);
        kpi_duration_free(m);
        kpi_duration_free(d);
        ck_assert_int_eq(t.live, 0);
    }
}
END_TEST

START_TEST(the_allocator_is_actually_used)
{
    test_alloc t;
    kpi_allocator al = test_allocator(&t);
    kpi_duration *d;
    ck_assert_ok(kpi_duration_new_with(&d, 0.01, &al));
    ck_assert_int_eq(t.mallocs, 1);
    ck_assert_ok(kpi_duration_add(d, 12345));
    ck_assert_int_ge(t.mallocs, 2);
    kpi_aht *a;
    ck_assert_ok(kpi_aht_new_with(&a, &al));
    ck_assert_ok(kpi_aht_add(a, 1, 2, 3));
    kpi_aht_free(a);
    kpi_duration_free(d);
    ck_assert_int_eq(t.live, 0);
}
END_TEST

/* ---- AHT ---------------------------------------------------------------- */

/* Every kernel level returns with the vector registers' upper halves clean
 * (see tests/testutil.h): a good batch (values spread, zeros, a bucket
 * edge), one that grows the window, and one refused (a negative value in
 * its second chunk), into sketches at 1% and 0.01% (the float32 estimate
 * and the double kernel). */
START_TEST(kernels_leave_the_upper_halves_clean)
{
    if (test_upper_dirty() < 0)
        return; /* not x86-64 with XGETBV(1): nothing to read */
    static int64_t v[5000];
    const double acc[] = {0.01, 0.0001};
    for (int a = 0; a < 2; a++) {
        for (int simd = 0; simd < SIMD_LEVELS; simd++) {
            kpi_duration *d;
            ck_assert_ok(kpi_duration_new(&d, acc[a]));
            for (int round = 0; round < 3; round++) {
                for (size_t i = 0; i < 5000; i++)
                    v[i] = i % 4 == 0 ? 0 : (int64_t)(1 + i * 7919 % (round == 1 ? 100000000 : 100000));
                if (round == 2)
                    v[2048 + 3] = -1;
                test_upper_clear();
                ck_assert_status(kpi__duration_add_array_simd(d, v, 5000, simd),
                                 round == 2 ? KPI_ERR_RANGE : KPI_OK);
                ck_assert_msg(test_upper_dirty() == 0, "accuracy %g, level %d, round %d: dirty",
                              acc[a], simd, round);
            }
            kpi_duration_free(d);
        }
    }
}
END_TEST

/* The AHT and the component means are the exact sums over the exact count,
 * divided in double precision, not exact values: one contact of talk
 * 2^53 + 1 = 9,007,199,254,740,993 ms has that AHT exactly, which no double
 * holds; the read is the nearest double, 2^53 = 9,007,199,254,740,992 (a
 * tie, to even).  And three contacts of 1, 0 and 0 ms hold 1/3, read as the
 * double nearest it. */
START_TEST(aht_means_are_divided_in_double_precision)
{
    kpi_aht *a = NULL;
    ck_assert_ok(kpi_aht_new(&a));
    ck_assert_ok(kpi_aht_add(a, (INT64_C(1) << 53) + 1, 0, 0));
    double m, c;
    ck_assert_ok(kpi_aht_mean(a, &m));
    ck_assert_ok(kpi_aht_component_mean(a, KPI_AHT_TALK, &c));
    ck_assert(m == 9007199254740992.0 && c == 9007199254740992.0);
    ck_assert(m != (double)((INT64_C(1) << 53) + 2)); /* the next double up */
    kpi_aht_reset(a);
    ck_assert_ok(kpi_aht_add(a, 1, 0, 0));
    ck_assert_ok(kpi_aht_add(a, 0, 0, 0));
    ck_assert_ok(kpi_aht_add(a, 0, 0, 0));
    ck_assert_ok(kpi_aht_mean(a, &m));
    ck_assert(m == 1.0 / 3.0);
    kpi_aht_free(a);
}
END_TEST

START_TEST(aht_is_the_sum_of_components_over_handled_contacts)
{
    kpi_aht *a;
    ck_assert_ok(kpi_aht_new(&a));
    /* (300 + 60 + 120) s and (200 + 0 + 40) s: AHT = 360 s */
    ck_assert_ok(kpi_aht_add(a, 300000, 60000, 120000));
    ck_assert_ok(kpi_aht_add(a, 200000, 0, 40000));
    ck_assert_uint_eq(kpi_aht_count(a), 2);
    double m;
    ck_assert_ok(kpi_aht_mean(a, &m));
    ck_assert(m == 360000.0);
    ck_assert_ok(kpi_aht_component_mean(a, KPI_AHT_TALK, &m));
    ck_assert(m == 250000.0);
    ck_assert_ok(kpi_aht_component_mean(a, KPI_AHT_HOLD, &m));
    ck_assert(m == 30000.0);
    ck_assert_ok(kpi_aht_component_mean(a, KPI_AHT_AFTER_WORK, &m));
    ck_assert(m == 80000.0);
    ck_assert_status(kpi_aht_component_mean(a, 3, &m), KPI_ERR_INVALID);
    ck_assert_ok(kpi_aht_quantile(a, 1, &m));
    ck_assert(m == 480000.0);
    ck_assert_ok(kpi_aht_quantile(a, 0, &m));
    ck_assert(m == 240000.0);
    kpi_aht_free(a);
}
END_TEST

START_TEST(aht_errors_change_nothing)
{
    kpi_aht *a;
    ck_assert_ok(kpi_aht_new(&a));
    double m;
    ck_assert_status(kpi_aht_mean(a, &m), KPI_ERR_EMPTY);
    ck_assert_status(kpi_aht_component_mean(a, KPI_AHT_TALK, &m), KPI_ERR_EMPTY);
    ck_assert_status(kpi_aht_quantile(a, 0.5, &m), KPI_ERR_EMPTY);
    ck_assert_ok(kpi_aht_add(a, 10, 20, 30));
    ck_assert_status(kpi_aht_add(a, 1, -1, 1), KPI_ERR_RANGE);
    ck_assert_status(kpi_aht_add(a, INT64_MAX, 0, 0), KPI_ERR_OVERFLOW);
    ck_assert_status(kpi_aht_add(a, INT64_MAX / 2, INT64_MAX / 2, INT64_MAX / 2),
                     KPI_ERR_OVERFLOW);
    const int64_t t[] = {1, 2}, h[] = {1, 2}, w[] = {1, -2};
    ck_assert_status(kpi_aht_add_array(a, t, h, w, 2), KPI_ERR_RANGE);
    ck_assert_status(kpi_aht_add_array(a, t, NULL, w, 2), KPI_ERR_INVALID);
    ck_assert_status(kpi_aht_add(NULL, 1, 1, 1), KPI_ERR_INVALID);
    ck_assert_uint_eq(kpi_aht_count(a), 1);
    ck_assert_ok(kpi_aht_mean(a, &m));
    ck_assert(m == 60.0);
    ck_assert_ok(kpi_aht_component_mean(a, KPI_AHT_HOLD, &m));
    ck_assert(m == 20.0);
    kpi_aht_free(a);
}
END_TEST

START_TEST(aht_merges_round_trips_and_survives_allocation_failure)
{
    kpi_aht *a, *b, *all;
    ck_assert_ok(kpi_aht_new(&a));
    ck_assert_ok(kpi_aht_new(&b));
    ck_assert_ok(kpi_aht_new(&all));
    test_rng r = {42};
    enum { N = 300 };
    int64_t t[N], h[N], w[N];
    for (int i = 0; i < N; i++) {
        t[i] = test_range(&r, 0, 900000);
        h[i] = test_range(&r, 0, 120000);
        w[i] = test_range(&r, 0, 300000);
        ck_assert_ok(kpi_aht_add(i % 2 ? a : b, t[i], h[i], w[i]));
    }
    ck_assert_ok(kpi_aht_add_array(all, t, h, w, N));
    ck_assert_ok(kpi_aht_merge(a, b));
    aht_same(a, all);
    size_t len;
    unsigned char *bytes = aht_bytes(all, &len);
    kpi_aht *c;
    ck_assert_ok(kpi_aht_deserialize(&c, bytes, len));
    aht_same(c, all);
    kpi_aht_free(c);
    for (size_t i = 0; i < len; i++) {
        bytes[i] ^= 0x10;
        ck_assert_int_lt(kpi_aht_deserialize(&c, bytes, len), 0);
        bytes[i] ^= 0x10;
    }
    /* allocation failures: constructor, array growth, clone, deserialize */
    for (long fail = 1; fail <= 6; fail++) {
        test_alloc ta;
        kpi_allocator al = test_allocator(&ta);
        ta.fail_at = fail;
        kpi_aht *x = NULL;
        int rc = kpi_aht_new_with(&x, &al);
        if (rc != KPI_OK) {
            ck_assert_status(rc, KPI_ERR_NOMEM);
            ck_assert_int_eq(ta.live, 0);
            continue;
        }
        long live = ta.live;
        rc = kpi_aht_add_array(x, t, h, w, N);
        if (rc != KPI_OK) {
            ck_assert_status(rc, KPI_ERR_NOMEM);
            ck_assert_int_eq(ta.live, live);
            ck_assert_uint_eq(kpi_aht_count(x), 0);
        }
        ta.fail_at = ta.calls + 1;
        kpi_aht *y = NULL;
        ck_assert_status(kpi_aht_deserialize_with(&y, bytes, len, &al), KPI_ERR_NOMEM);
        ta.fail_at = ta.calls + 2;
        ck_assert_status(kpi_aht_deserialize_with(&y, bytes, len, &al), KPI_ERR_NOMEM);
        ta.fail_at = ta.calls + 2;
        ck_assert_status(kpi_aht_clone(x, &y), KPI_ERR_NOMEM);
        ck_assert_ptr_null(y);
        kpi_aht_free(x);
        ck_assert_int_eq(ta.live, 0);
    }
    kpi_aht_reset(all);
    ck_assert_uint_eq(kpi_aht_count(all), 0);
    ck_assert_ok(kpi_aht_merge(all, all));
    ck_assert_uint_le(kpi_aht_footprint(all), 20000);
    free(bytes);
    kpi_aht_free(a);
    kpi_aht_free(b);
    kpi_aht_free(all);
}
END_TEST

/* ---- documented errors (rev-retval) ---- */

TEST_STATE_ERRORS_HELPER(duration, kpi_duration, kpi_duration_serialize,
                         kpi_duration_deserialize, kpi_duration_deserialize_with,
                         kpi_duration_free)
TEST_STATE_ERRORS_HELPER(aht, kpi_aht, kpi_aht_serialize, kpi_aht_deserialize,
                         kpi_aht_deserialize_with, kpi_aht_free)

START_TEST(documented_errors_of_the_state_verbs)
{
    kpi_duration *d;
    ck_assert_ok(kpi_frt_new(&d));
    for (int64_t i = 1; i <= 40; i++)
        ck_assert_ok(kpi_duration_add(d, i * 1000 + i));
    duration_state_errors(d);
    kpi_duration_free(d);

    kpi_aht *a, *c = NULL;
    ck_assert_ok(kpi_aht_new(&a));
    ck_assert_ok(kpi_aht_add(a, 60000, 5000, 20000));
    ck_assert_ok(kpi_aht_add(a, 90000, 0, 1000));
    aht_state_errors(a);
    size_t len;
    unsigned char *before = aht_bytes(a, &len);
    ck_assert_status(kpi_aht_clone(NULL, &c), KPI_ERR_INVALID);
    ck_assert_status(kpi_aht_clone(a, NULL), KPI_ERR_INVALID);
    ck_assert_ptr_null(c);
    aht_unchanged(a, before, len);
    free(before);
    kpi_aht_free(a);
}
END_TEST

START_TEST(documented_errors_of_the_reads_and_constructors)
{
    kpi_duration *d;
    int64_t x = 77;
    ck_assert_ok(kpi_duration_new(&d, 0.01));
    ck_assert_ok(kpi_duration_add(d, 5));
    ck_assert_status(kpi_duration_sum(NULL, &x), KPI_ERR_INVALID);
    ck_assert_status(kpi_duration_sum(d, NULL), KPI_ERR_INVALID);
    ck_assert_status(kpi_duration_min(NULL, &x), KPI_ERR_INVALID);
    ck_assert_status(kpi_duration_min(d, NULL), KPI_ERR_INVALID);
    ck_assert_status(kpi_duration_max(NULL, &x), KPI_ERR_INVALID);
    ck_assert_status(kpi_duration_max(d, NULL), KPI_ERR_INVALID);
    ck_assert_int_eq(x, 77); /* nothing written */
    kpi_duration_free(d);

    ck_assert_status(kpi_frt_new(NULL), KPI_ERR_INVALID);
    ck_assert_status(kpi_art_new(NULL), KPI_ERR_INVALID);
    ck_assert_status(kpi_asa_new(NULL), KPI_ERR_INVALID);
    ck_assert_status(kpi_resolution_time_new(NULL), KPI_ERR_INVALID);

    test_alloc t;
    kpi_allocator al = test_allocator(&t);
    al.malloc_fn = NULL;
    kpi_aht *made = NULL;
    ck_assert_status(kpi_aht_new_with(&made, &al), KPI_ERR_INVALID);
    ck_assert_status(kpi_aht_new_with(NULL, NULL), KPI_ERR_INVALID);
    ck_assert_ptr_null(made);
    ck_assert_int_eq(t.calls, 0);
}
END_TEST

START_TEST(documented_errors_of_aht_merge)
{
    kpi_aht *a;
    ck_assert_ok(kpi_aht_new(&a));
    ck_assert_ok(kpi_aht_add(a, INT64_C(1) << 40, 0, 0));
    ck_assert_status(kpi_aht_merge(NULL, a), KPI_ERR_INVALID);
    ck_assert_status(kpi_aht_merge(a, NULL), KPI_ERR_INVALID);
    /* doubling by self-merges until the talk sum would pass 2^63 - 1 */
    int rc = KPI_OK;
    size_t len = 0;
    unsigned char *before = NULL;
    for (int i = 0; i < 70 && rc == KPI_OK; i++) {
        free(before);
        before = aht_bytes(a, &len);
        rc = kpi_aht_merge(a, a);
    }
    ck_assert_status(rc, KPI_ERR_OVERFLOW);
    aht_unchanged(a, before, len);
    free(before);
    kpi_aht_free(a);
}
END_TEST

START_TEST(documented_errors_of_the_remaining_duration_calls)
{
    test_alloc t;
    kpi_allocator al = test_allocator(&t);
    kpi_duration *d = NULL;
    ck_assert_status(kpi_duration_new_with(&d, KPI_DURATION_MIN_ACCURACY / 2, &al),
                     KPI_ERR_RANGE);
    ck_assert_status(kpi_duration_new_with(&d, KPI_DURATION_MAX_ACCURACY * 2, &al),
                     KPI_ERR_RANGE);
    ck_assert_ptr_null(d);
    ck_assert_int_eq(t.live, 0);
    ck_assert_status(kpi_duration_add(NULL, 5), KPI_ERR_INVALID);
    ck_assert_status(kpi_aht_new(NULL), KPI_ERR_INVALID);

    kpi_aht *a;
    double m = 42;
    ck_assert_ok(kpi_aht_new(&a));
    ck_assert_status(kpi_aht_quantile(a, 0.5, &m), KPI_ERR_EMPTY);
    ck_assert_ok(kpi_aht_add(a, INT64_MAX / 2, 0, 0));
    size_t len;
    unsigned char *before = aht_bytes(a, &len);
    ck_assert_status(kpi_aht_mean(NULL, &m), KPI_ERR_INVALID);
    ck_assert_status(kpi_aht_mean(a, NULL), KPI_ERR_INVALID);
    ck_assert_status(kpi_aht_quantile(NULL, 0.5, &m), KPI_ERR_INVALID);
    ck_assert_status(kpi_aht_quantile(a, 0.5, NULL), KPI_ERR_INVALID);
    ck_assert_status(kpi_aht_quantile(a, 1.5, &m), KPI_ERR_RANGE);
    ck_assert_status(kpi_aht_quantile(a, -0.5, &m), KPI_ERR_RANGE);
    ck_assert(m == 42); /* nothing written */
    /* a batch of 1,000 ms and half of INT64_MAX (+ 2): the first fits, the
     * second would take the talk sum past INT64_MAX, so the whole batch
     * is refused (all or nothing) */
    const int64_t talk[] = {1000, INT64_MAX / 2 + 2}, zero[] = {0, 0};
    ck_assert_status(kpi_aht_add_array(a, talk, zero, zero, 2), KPI_ERR_OVERFLOW);
    aht_unchanged(a, before, len);
    free(before);
    kpi_aht_free(a);
}
END_TEST

static Suite *duration_suite(void)
{
    Suite *s = suite_create("duration");
    TCase *tc = tcase_create("reads");
    tcase_add_test(tc, exact_reads_of_a_small_stream);
    tcase_add_test(tc, quantile_answers_are_the_same_doubles_in_every_build);
    tcase_add_test(tc, zero_is_a_valid_duration_and_counted_exactly);
    tcase_add_test(tc, reads_on_an_empty_object_say_empty);
    tcase_add_test(tc, presets_are_one_percent_durations);
    tcase_add_test(tc, constructor_validates_accuracy);
    tcase_add_test(tc, negative_values_are_refused_all_or_nothing);
    tcase_add_test(tc, sum_overflow_is_refused_and_changes_nothing);
    tcase_add_test(tc, batch_sum_is_exact_to_int64_max_and_refused_past_it);
    tcase_add_test(tc, quantile_and_share_arguments_are_validated);
    suite_add_tcase(s, tc);
    tc = tcase_create("targets");
    tcase_add_test(tc, registered_targets_give_exact_shares);
    tcase_add_test(tc, estimated_shares_are_off_only_near_the_target);
    tcase_add_test(tc, estimated_shares_count_the_targets_bucket_as_within);
    tcase_add_test(tc, a_target_under_a_collapsed_floor_counts_the_floor_as_within);
    tcase_add_test(tc, targets_are_registered_only_while_empty_up_to_eight);
    suite_add_tcase(s, tc);
    tc = tcase_create("sketch");
    tcase_add_test(tc, every_value_is_answered_within_the_accuracy);
    tcase_add_test(tc, random_streams_meet_the_promise);
    tcase_add_test(tc, one_by_one_equals_arrays);
    tcase_add_test(tc, zeros_mixed_into_a_populated_sketch_keep_it_exact);
    tcase_add_test(tc, memory_is_bounded_at_one_percent);
    tcase_add_test(tc, the_headers_bucket_counts_hold);
    tcase_add_test(tc, beyond_the_bucket_cap_the_lowest_buckets_collapse);
    tcase_add_test(tc, after_a_collapse_only_quantiles_in_the_kept_buckets_keep_the_promise);
    tcase_add_test(tc, the_cap_holds_for_values_inside_the_window_slack);
    tcase_add_test(tc, a_collapsed_sketch_goes_on_alike_after_a_round_trip);
    suite_add_tcase(s, tc);
    tc = tcase_create("batch");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, batch_buckets_equal_the_scalar_mapping_at_every_edge);
    tcase_add_test(tc, batch_lengths_0_to_100_equal_one_by_one_adds_at_every_level);
    tcase_add_test(tc, batches_straddling_chunks_equal_one_by_one_adds);
    tcase_add_test(tc, small_batches_inside_and_outside_the_window);
    tcase_add_test(tc, a_batch_all_in_one_bucket_counts_every_value);
    tcase_add_test(tc, columns_of_edge_values_and_zeros_equal_one_by_one_adds);
    tcase_add_test(tc, batch_edge_values_zero_one_and_two_pow_52);
    tcase_add_test(tc, window_growth_mid_batch_is_all_or_nothing);
    tcase_add_test(tc, an_error_in_the_last_block_changes_nothing);
    suite_add_tcase(s, tc);
    tc = tcase_create("object");
    tcase_add_test(tc, merge_equals_one_stream);
    tcase_add_test(tc, a_collapsed_sketch_merges_like_one_stream);
    tcase_add_test(tc, a_merged_floor_follows_the_merged_maximum);
    tcase_add_test(tc, merge_refuses_different_configurations);
    tcase_add_test(tc, reset_keeps_configuration_and_clone_is_deep);
    tcase_add_test(tc, serialize_round_trips_to_identical_reads_and_bytes);
    tcase_add_test(tc, corrupt_truncated_and_foreign_bytes_are_rejected);
    tcase_add_test(tc, target_counts_that_contradict_min_max_or_zeros_are_corrupt);
    tcase_add_test(tc, a_sum_the_exact_reads_rule_out_is_corrupt);
    tcase_add_test(tc, every_state_of_adds_and_merges_reads_back);
    tcase_add_test(tc, used_buckets_other_than_the_min_and_max_ones_are_corrupt);
    tcase_add_test(tc, a_collapse_no_adds_made_is_corrupt);
    tcase_add_test(tc, target_counts_that_contradict_the_buckets_are_corrupt);
    tcase_add_test(tc, golden_state_still_reads);
    tcase_add_test(tc, allocation_failure_at_every_step_changes_nothing);
    tcase_add_test(tc, the_allocator_is_actually_used);
    suite_add_tcase(s, tc);
    tc = tcase_create("aht");
    tcase_add_test(tc, aht_is_the_sum_of_components_over_handled_contacts);
    tcase_add_test(tc, aht_means_are_divided_in_double_precision);
    tcase_add_test(tc, kernels_leave_the_upper_halves_clean);
    tcase_add_test(tc, aht_errors_change_nothing);
    tcase_add_test(tc, aht_merges_round_trips_and_survives_allocation_failure);
    /* ---- documented errors (rev-retval) ---- */
    tcase_add_test(tc, documented_errors_of_the_state_verbs);
    tcase_add_test(tc, documented_errors_of_the_reads_and_constructors);
    tcase_add_test(tc, documented_errors_of_aht_merge);
    tcase_add_test(tc, documented_errors_of_the_remaining_duration_calls);
    suite_add_tcase(s, tc);
    return s;
}

KPI_TEST_MAIN(duration_suite)
