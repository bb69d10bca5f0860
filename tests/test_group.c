/*
 * kpi_group: one accumulator per key, for any accumulator type.
 * SPDX-License-Identifier: MIT
 */
#include "kpi.h"
#include "testutil.h"

TEST_STATE_HELPERS(group, kpi_group, kpi_group_serialize)

static kpi_group *nps_group(void)
{
    kpi_score *proto;
    kpi_group *g;
    ck_assert_ok(kpi_nps_new(&proto));
    ck_assert_ok(kpi_score_add(proto, 3)); /* data is not copied, only config */
    ck_assert_ok(kpi_group_new(&g, proto));
    kpi_score_free(proto);
    return g;
}

static void feed(kpi_group *g, uint64_t key, int32_t answer)
{
    void *acc;
    ck_assert_ok(kpi_group_get(g, key, &acc));
    ck_assert_ok(kpi_score_add(acc, answer));
}

START_TEST(nps_per_agent_and_overall)
{
    kpi_group *g = nps_group();
    feed(g, 7, 10);
    feed(g, 7, 10);
    feed(g, 7, 0);
    feed(g, 3, 9);
    feed(g, 3, 8);
    feed(g, 900, 6);
    feed(g, 7, 9);
    ck_assert_uint_eq(kpi_group_size(g), 3);
    const void *m;
    kpi_estimate e;
    ck_assert_ok(kpi_group_find(g, 7, &m));
    ck_assert_uint_eq(kpi_score_count(m), 4);
    ck_assert_ok(kpi_score_nps(m, &e));
    ck_assert_near(e.value, 50.0, 1e-9);
    ck_assert_ok(kpi_group_find(g, 3, &m));
    ck_assert_ok(kpi_score_nps(m, &e));
    ck_assert_near(e.value, 50.0, 1e-9);
    ck_assert_status(kpi_group_find(g, 4, &m), KPI_ERR_UNKNOWN_ID);
    void *tot;
    ck_assert_ok(kpi_group_total(g, &tot));
    ck_assert_uint_eq(kpi_score_count(tot), 7);
    ck_assert_ok(kpi_score_nps(tot, &e));
    ck_assert_near(e.value, (4.0 - 2.0) / 7 * 100, 1e-9);
    kpi_score_free(tot);
    uint64_t keys[3];
    size_t n;
    ck_assert_status(kpi_group_keys(g, keys, 2, &n), KPI_ERR_BUFFER);
    ck_assert_uint_eq(n, 3);
    ck_assert_ok(kpi_group_keys(g, keys, 3, &n));
    ck_assert(keys[0] == 3 && keys[1] == 7 && keys[2] == 900);
    ck_assert_status(kpi_group_get(g, 1, NULL), KPI_ERR_INVALID);
    ck_assert_status(kpi_group_get(NULL, 1, &tot), KPI_ERR_INVALID);
    ck_assert_status(kpi_group_new(&g, NULL), KPI_ERR_INVALID);
    ck_assert_uint_eq(kpi_group_size(NULL), 0);
    kpi_group_free(g);
    kpi_group_free(NULL);
    kpi_group_reset(NULL);
}
END_TEST

START_TEST(grows_to_ten_thousand_keys_and_removes)
{
    kpi_rate *proto;
    kpi_group *g;
    ck_assert_ok(kpi_rate_new(&proto));
    ck_assert_ok(kpi_group_new(&g, proto));
    kpi_rate_free(proto);
    const size_t n = 10000;
    for (size_t i = 0; i < n; i++) {
        void *acc;
        uint64_t key = (uint64_t)i * UINT64_C(0x9E3779B97F4A7C15);
        ck_assert_ok(kpi_group_get(g, key, &acc));
        ck_assert_ok(kpi_rate_add_counts(acc, i % 7, 7));
    }
    ck_assert_uint_eq(kpi_group_size(g), n);
    uint64_t *keys = malloc(n * sizeof *keys);
    size_t got;
    ck_assert_ok(kpi_group_keys(g, keys, n, &got));
    ck_assert_uint_eq(got, n);
    for (size_t i = 1; i < n; i++)
        ck_assert(keys[i - 1] < keys[i]);
    /* remove every other key; the rest stay findable with their data */
    for (size_t i = 0; i < n; i += 2)
        ck_assert_ok(kpi_group_remove(g, (uint64_t)i * UINT64_C(0x9E3779B97F4A7C15)));
    ck_assert_status(kpi_group_remove(g, 0), KPI_ERR_UNKNOWN_ID);
    ck_assert_uint_eq(kpi_group_size(g), n / 2);
    for (size_t i = 0; i < n; i++) {
        const void *m;
        int rc = kpi_group_find(g, (uint64_t)i * UINT64_C(0x9E3779B97F4A7C15), &m);
        if (i % 2 == 0) {
            ck_assert_status(rc, KPI_ERR_UNKNOWN_ID);
        } else {
            ck_assert_ok(rc);
            ck_assert_uint_eq(kpi_rate_successes(m), i % 7);
        }
    }
    kpi_group_reset(g);
    ck_assert_uint_eq(kpi_group_size(g), 0);
    free(keys);
    kpi_group_free(g);
}
END_TEST

START_TEST(random_operations_match_a_reference_map)
{
    test_rng r = {77};
    kpi_rate *proto;
    kpi_group *g;
    ck_assert_ok(kpi_rate_new(&proto));
    ck_assert_ok(kpi_group_new(&g, proto));
    kpi_rate_free(proto);
    uint64_t ref[64] = {0}; /* trials per key 0..63, 0 = absent */
    for (int op = 0; op < 20000; op++) {
        uint64_t key = (uint64_t)test_range(&r, 0, 63);
        if (test_rand(&r) % 3 == 0) {
            int rc = kpi_group_remove(g, key);
            ck_assert_status(rc, ref[key] ? KPI_OK : KPI_ERR_UNKNOWN_ID);
            ref[key] = 0;
        } else {
            void *acc;
            ck_assert_ok(kpi_group_get(g, key, &acc));
            ck_assert_ok(kpi_rate_add(acc, 1));
            ref[key]++;
        }
    }
    size_t live = 0;
    for (uint64_t k = 0; k < 64; k++) {
        const void *m;
        if (ref[k]) {
            live++;
            ck_assert_ok(kpi_group_find(g, k, &m));
            ck_assert_uint_eq(kpi_rate_trials(m), ref[k]);
        } else {
            ck_assert_status(kpi_group_find(g, k, &m), KPI_ERR_UNKNOWN_ID);
        }
    }
    ck_assert_uint_eq(kpi_group_size(g), live);
    kpi_group_free(g);
}
END_TEST

START_TEST(merge_is_key_wise_and_equals_one_stream)
{
    test_rng r = {5};
    for (int round = 0; round < 10; round++) {
        kpi_group *a = nps_group(), *b = nps_group(), *all = nps_group();
        for (int i = 0; i < 400; i++) {
            uint64_t key = (uint64_t)test_range(&r, 0, 40);
            int32_t x = (int32_t)test_range(&r, 0, 10);
            feed(i % 2 ? a : b, key, x);
            feed(all, key, x);
        }
        ck_assert_ok(kpi_group_merge(a, b));
        ck_assert_uint_eq(kpi_group_size(a), kpi_group_size(all));
        uint64_t keys[41];
        size_t n;
        ck_assert_ok(kpi_group_keys(all, keys, 41, &n));
        for (size_t i = 0; i < n; i++) {
            const void *x, *y;
            ck_assert_ok(kpi_group_find(a, keys[i], &x));
            ck_assert_ok(kpi_group_find(all, keys[i], &y));
            uint64_t cx[11], cy[11];
            ck_assert_ok(kpi_score_distribution(x, cx, 11));
            ck_assert_ok(kpi_score_distribution(y, cy, 11));
            ck_assert(memcmp(cx, cy, sizeof cx) == 0);
        }
        ck_assert_ok(kpi_group_merge(b, b));
        kpi_group_free(a);
        kpi_group_free(b);
        kpi_group_free(all);
    }
}
END_TEST

START_TEST(merge_of_different_member_types_or_configs_is_refused)
{
    kpi_group *a = nps_group(), *b, *c;
    kpi_rate *rp;
    kpi_score *sp;
    ck_assert_ok(kpi_rate_new(&rp));
    ck_assert_ok(kpi_group_new(&b, rp));
    ck_assert_ok(kpi_score_new(&sp, 1, 10));
    ck_assert_ok(kpi_group_new(&c, sp));
    feed(a, 1, 10);
    void *acc;
    ck_assert_ok(kpi_group_get(b, 1, &acc));
    ck_assert_ok(kpi_group_get(c, 2, &acc));
    size_t len;
    unsigned char *before = group_bytes(a, &len);
    ck_assert_status(kpi_group_merge(a, b), KPI_ERR_INCOMPATIBLE);
    ck_assert_status(kpi_group_merge(a, c), KPI_ERR_INCOMPATIBLE);
    ck_assert_status(kpi_group_merge(a, NULL), KPI_ERR_INVALID);
    group_unchanged(a, before, len);
    free(before);
    kpi_rate_free(rp);
    kpi_score_free(sp);
    kpi_group_free(a);
    kpi_group_free(b);
    kpi_group_free(c);
}
END_TEST

START_TEST(serialize_round_trip_gives_identical_bytes)
{
    kpi_group *g = nps_group(), *h = NULL, *k = NULL;
    for (uint64_t i = 0; i < 300; i++)
        feed(g, i * 31 % 97, (int32_t)(i % 11));
    ck_assert_ok(kpi_group_remove(g, 5));
    size_t len;
    unsigned char *b = group_bytes(g, &len);
    ck_assert_ok(kpi_group_deserialize(&h, b, len));
    group_unchanged(h, b, len);
    ck_assert_uint_eq(kpi_group_size(h), kpi_group_size(g));
    const void *x;
    ck_assert_ok(kpi_group_find(h, 31, &x));
    ck_assert_uint_eq(kpi_score_count(x), 4); /* i = 1, 98, 195, 292 */
    ck_assert_ok(kpi_group_clone(g, &k));
    group_unchanged(k, b, len);
    ck_assert_uint_eq(kpi_group_footprint(k), kpi_group_footprint(g));
    /* the prototype configuration travels too: new members are NPS */
    void *acc;
    ck_assert_ok(kpi_group_get(h, 5000, &acc));
    kpi_estimate e;
    ck_assert_ok(kpi_score_add(acc, 10));
    ck_assert_ok(kpi_score_nps(acc, &e));
    for (size_t n = 0; n < len; n++) {
        kpi_group *t = NULL;
        ck_assert(kpi_group_deserialize(&t, b, n) != KPI_OK);
    }
    for (size_t i = 0; i < len; i += 7) {
        kpi_group *t = NULL;
        b[i] ^= 0x10;
        ck_assert(kpi_group_deserialize(&t, b, len) != KPI_OK);
        b[i] ^= 0x10;
    }
    kpi_score *s;
    ck_assert_ok(kpi_nps_new(&s));
    unsigned char sb[128];
    size_t sl;
    ck_assert_ok(kpi_score_serialize(s, sb, sizeof sb, &sl));
    ck_assert_status(kpi_group_deserialize(&k, sb, sl), KPI_ERR_TYPE);
    kpi_score_free(s);
    free(b);
    kpi_group_free(g);
    kpi_group_free(h);
    kpi_group_free(k);
}
END_TEST

START_TEST(groups_nest_and_hold_every_type)
{
    kpi_mean *mp;
    kpi_group *inner, *outer, *back;
    ck_assert_ok(kpi_iqs_new(&mp));
    ck_assert_ok(kpi_group_new(&inner, mp));
    ck_assert_ok(kpi_group_new(&outer, inner)); /* team -> agent -> IQS */
    void *team, *agent;
    ck_assert_ok(kpi_group_get(outer, 1, &team));
    ck_assert_ok(kpi_group_get(team, 42, &agent));
    ck_assert_ok(kpi_iqs_add(agent, 18, 20));
    size_t len;
    unsigned char *b = group_bytes(outer, &len);
    ck_assert_ok(kpi_group_deserialize(&back, b, len));
    const void *t2, *a2;
    ck_assert_ok(kpi_group_find(back, 1, &t2));
    ck_assert_ok(kpi_group_find(t2, 42, &a2));
    double pct;
    ck_assert_ok(kpi_iqs_percent(a2, &pct));
    ck_assert_near(pct, 90.0, 1e-9);
    void *tot;
    ck_assert_ok(kpi_group_total(outer, &tot));
    ck_assert_uint_eq(kpi_group_size(tot), 1);
    kpi_group_free(tot);
    free(b);
    kpi_mean_free(mp);
    kpi_group_free(inner);
    kpi_group_free(outer);
    kpi_group_free(back);
}
END_TEST

START_TEST(rate_spread_between_agents_is_hand_computed)
{
    kpi_rate *proto;
    kpi_group *g;
    ck_assert_ok(kpi_rate_new(&proto));
    ck_assert_ok(kpi_group_new(&g, proto));
    const uint64_t s[4] = {8, 5, 1, 9}, t[4] = {10, 10, 2, 10};
    for (int i = 0; i < 4; i++) {
        void *acc;
        ck_assert_ok(kpi_group_get(g, (uint64_t)i, &acc));
        ck_assert_ok(kpi_rate_add_counts(acc, s[i], t[i]));
    }
    double mean, sd, lo, hi;
    size_t k;
    ck_assert_ok(kpi_group_rate_spread(g, 5, &mean, &sd, &lo, &hi, &k));
    double m = (0.8 + 0.5 + 0.9) / 3;
    double var = ((0.8 - m) * (0.8 - m) + (0.5 - m) * (0.5 - m) + (0.9 - m) * (0.9 - m)) / 3;
    ck_assert_near(mean, m, 1e-12);
    ck_assert_near(sd, sqrt(var), 1e-12);
    ck_assert(lo == 0.5 && hi == 0.9 && k == 3);
    ck_assert_ok(kpi_group_rate_spread(g, 0, NULL, NULL, &lo, NULL, &k));
    ck_assert(k == 4);
    ck_assert_status(kpi_group_rate_spread(g, 11, &mean, &sd, &lo, &hi, &k), KPI_ERR_EMPTY);
    kpi_group *n = nps_group();
    ck_assert_status(kpi_group_rate_spread(n, 0, &mean, &sd, &lo, &hi, &k), KPI_ERR_TYPE);
    ck_assert_status(kpi_group_rate_spread(NULL, 0, &mean, &sd, &lo, &hi, &k), KPI_ERR_INVALID);
    kpi_group_free(n);
    kpi_rate_free(proto);
    kpi_group_free(g);
}
END_TEST

/* KPIS.md's consistent resolution with a QA score per conversation: the
 * spread of the agents' mean scores, worked by hand. */
START_TEST(mean_spread_between_agents_is_hand_computed)
{
    kpi_mean *proto;
    kpi_group *g;
    ck_assert_ok(kpi_mean_new(&proto));
    ck_assert_ok(kpi_group_new(&g, proto));
    void *acc;
    /* agent 0: 4, 5 (mean 4.5); agent 1: 3, 3, 2 (8/3); agent 2: 5 (one
     * value); agent 3: 2 with weight 3 and 5 with weight 1 ((6 + 5) / 4 =
     * 2.75, two values) */
    static const struct {
        uint64_t agent;
        double x, w;
    } qa[] = {{0, 4, 1}, {0, 5, 1}, {1, 3, 1}, {1, 3, 1}, {1, 2, 1},
              {2, 5, 1}, {3, 2, 3}, {3, 5, 1}};
    for (size_t i = 0; i < sizeof qa / sizeof qa[0]; i++) {
        ck_assert_ok(kpi_group_get(g, qa[i].agent, &acc));
        ck_assert_ok(kpi_mean_add_weighted(acc, qa[i].x, qa[i].w));
    }
    double mean, sd, lo, hi;
    size_t k;
    /* at least 2 values: 4.5, 8/3, 2.75; mean 119/36 = 3.30556; population
     * variance ((4.5 - m)^2 + (8/3 - m)^2 + (2.75 - m)^2) / 3 = 0.71451 */
    ck_assert_ok(kpi_group_mean_spread(g, 2, &mean, &sd, &lo, &hi, &k));
    double m = 119.0 / 36;
    double var = ((4.5 - m) * (4.5 - m) + (8.0 / 3 - m) * (8.0 / 3 - m) +
                  (2.75 - m) * (2.75 - m)) / 3;
    ck_assert_near(mean, m, 1e-12);
    ck_assert_near(sd, sqrt(var), 1e-12);
    ck_assert_near(sd, 0.845285, 1e-6);
    ck_assert_near(lo, 8.0 / 3, 1e-12);
    ck_assert(hi == 4.5 && k == 3);
    /* every member with a value: agent 2's 5 is the largest */
    ck_assert_ok(kpi_group_mean_spread(g, 0, NULL, NULL, NULL, &hi, &k));
    ck_assert(hi == 5 && k == 4);
    ck_assert_status(kpi_group_mean_spread(g, 4, &mean, &sd, &lo, &hi, &k), KPI_ERR_EMPTY);
    /* the other kind of spread on this group, this one on a group of rates */
    ck_assert_status(kpi_group_rate_spread(g, 0, &mean, &sd, &lo, &hi, &k), KPI_ERR_TYPE);
    kpi_rate *rp;
    kpi_group *rg;
    ck_assert_ok(kpi_rate_new(&rp));
    ck_assert_ok(kpi_group_new(&rg, rp));
    ck_assert_ok(kpi_group_get(rg, 1, &acc));
    ck_assert_ok(kpi_rate_add(acc, 1));
    ck_assert_status(kpi_group_mean_spread(rg, 0, &mean, &sd, &lo, &hi, &k), KPI_ERR_TYPE);
    ck_assert_status(kpi_group_mean_spread(NULL, 0, &mean, &sd, &lo, &hi, &k), KPI_ERR_INVALID);
    kpi_rate_free(rp);
    kpi_group_free(rg);
    kpi_mean_free(proto);
    kpi_group_free(g);
    /* IQS members: earned / possible as fractions, (3 + 1) / (4 + 5) =
     * 4/9 and 9/10; their mean 0.67222, spread (0.9 - 4/9) / 2 */
    ck_assert_ok(kpi_iqs_new(&proto));
    ck_assert_ok(kpi_group_new(&g, proto));
    ck_assert_ok(kpi_group_get(g, 7, &acc));
    ck_assert_ok(kpi_iqs_add(acc, 3, 4));
    ck_assert_ok(kpi_iqs_add(acc, 1, 5));
    ck_assert_ok(kpi_group_get(g, 8, &acc));
    ck_assert_ok(kpi_iqs_add(acc, 9, 10));
    ck_assert_ok(kpi_group_mean_spread(g, 0, &mean, &sd, &lo, &hi, &k));
    ck_assert_near(mean, (4.0 / 9 + 0.9) / 2, 1e-12);
    ck_assert_near(sd, (0.9 - 4.0 / 9) / 2, 1e-12);
    ck_assert_near(lo, 4.0 / 9, 1e-12);
    ck_assert(hi == 0.9 && k == 2);
    kpi_mean_free(proto);
    kpi_group_free(g);
}
END_TEST

START_TEST(allocation_failures_leave_the_group_unchanged)
{
    test_alloc t;
    kpi_allocator a = test_allocator(&t);
    kpi_score *proto;
    kpi_group *g = NULL;
    ck_assert_ok(kpi_nps_new(&proto));
    /* constructor */
    for (long k = 1;; k++) {
        t.calls = 0;
        t.fail_at = k;
        int rc = kpi_group_new_with(&g, proto, &a);
        if (rc == KPI_OK)
            break;
        ck_assert_status(rc, KPI_ERR_NOMEM);
        ck_assert_int_eq(t.live, 0);
    }
    t.fail_at = 0;
    long before_get = t.mallocs;
    feed(g, 1, 9);
    ck_assert_int_gt(t.mallocs, before_get); /* members use the group's allocator */
    /* growth: fail each allocation of the get that crosses a resize */
    for (uint64_t key = 2; key < 40; key++) {
        size_t len;
        unsigned char *before = group_bytes(g, &len);
        for (long k = 1;; k++) {
            long live = t.live;
            t.calls = 0;
            t.fail_at = k;
            void *acc;
            int rc = kpi_group_get(g, key, &acc);
            if (rc == KPI_OK)
                break;
            ck_assert_status(rc, KPI_ERR_NOMEM);
            ck_assert_int_eq(t.live, live);
            group_unchanged(g, before, len);
        }
        t.fail_at = 0;
        free(before);
    }
    /* merge, clone, deserialize, total */
    kpi_group *src = NULL;
    ck_assert_ok(kpi_group_new_with(&src, proto, &a));
    for (uint64_t key = 30; key < 90; key++)
        feed(src, key, 10);
    size_t len;
    unsigned char *before = group_bytes(g, &len);
    for (long k = 1;; k++) {
        long live = t.live;
        t.calls = 0;
        t.fail_at = k;
        int rc = kpi_group_merge(g, src);
        if (rc == KPI_OK)
            break;
        ck_assert_status(rc, KPI_ERR_NOMEM);
        ck_assert_int_eq(t.live, live);
        group_unchanged(g, before, len);
    }
    t.fail_at = 0;
    free(before);
    before = group_bytes(g, &len);
    for (long k = 1;; k++) {
        long live = t.live;
        t.calls = 0;
        t.fail_at = k;
        kpi_group *c = NULL;
        int rc = kpi_group_deserialize_with(&c, before, len, &a);
        if (rc == KPI_OK) {
            t.fail_at = 0;
            kpi_group_free(c);
            break;
        }
        ck_assert_status(rc, KPI_ERR_NOMEM);
        ck_assert_int_eq(t.live, live);
    }
    for (long k = 1;; k++) {
        long live = t.live;
        t.calls = 0;
        t.fail_at = k;
        kpi_group *c = NULL;
        int rc = kpi_group_clone(g, &c);
        if (rc == KPI_OK) {
            t.fail_at = 0;
            kpi_group_free(c);
            break;
        }
        ck_assert_status(rc, KPI_ERR_NOMEM);
        ck_assert_int_eq(t.live, live);
    }
    for (long k = 1;; k++) {
        long live = t.live;
        t.calls = 0;
        t.fail_at = k;
        void *c = NULL;
        int rc = kpi_group_total(g, &c);
        if (rc == KPI_OK) {
            t.fail_at = 0;
            kpi_score_free(c);
            break;
        }
        ck_assert_status(rc, KPI_ERR_NOMEM);
        ck_assert_int_eq(t.live, live);
    }
    t.fail_at = 0;
    group_unchanged(g, before, len);
    free(before);
    kpi_group_free(src);
    kpi_group_free(g);
    kpi_score_free(proto);
    ck_assert_int_eq(t.live, 0);
}
END_TEST

/* Feed member `acc` of a group something for key `key` (kind-specific). */
typedef int (*feed_fn)(void *acc, uint64_t key);
static int feed_ratio(void *a, uint64_t k) { return kpi_ratio_add(a, 100.0 * (double)k, 3); }
static int feed_series(void *a, uint64_t k)
{
    return kpi_series_add(a, (int64_t)k * KPI_MS_PER_HOUR, (double)k);
}
static int feed_customers(void *a, uint64_t k) { return kpi_customers_add_new(a, k); }
static int feed_duration(void *a, uint64_t k) { return kpi_duration_add(a, (int64_t)(k * 60000)); }
static int feed_topk(void *a, uint64_t k)
{
    return kpi_topk_add_str(a, k % 2 ? "billing" : "password reset");
}
static int feed_topk_id(void *a, uint64_t k) { return kpi_topk_id_add(a, k % 3, 1); }
static int feed_distinct(void *a, uint64_t k) { return kpi_distinct_add(a, k * 7919); }
static int feed_aht(void *a, uint64_t k)
{
    return kpi_aht_add(a, (int64_t)k * 1000, 500, 2000);
}
static int feed_service_level(void *a, uint64_t k)
{
    return kpi_service_level_add(a, (int64_t)k * 7000, KPI_CONTACT_ANSWERED);
}

/* Every accumulator type in the registry is a group member that merges
 * and survives serialize -> deserialize -> serialize byte for byte. */
START_TEST(every_registered_accumulator_type_is_a_group_member)
{
    kpi_ratio *ratio;
    kpi_series *series;
    kpi_customers *customers;
    kpi_duration *frt;
    kpi_aht *aht;
    kpi_service_level *sl;
    kpi_topk *topics;
    kpi_topk_id *channels;
    kpi_distinct *active;
    ck_assert_ok(kpi_cost_per_resolution_new(&ratio));
    ck_assert_ok(kpi_series_new(&series, KPI_MS_PER_HOUR, 48, 0));
    ck_assert_ok(kpi_customers_new(&customers));
    ck_assert_ok(kpi_frt_new(&frt));
    ck_assert_ok(kpi_duration_add_target(frt, KPI_MS_PER_HOUR));
    ck_assert_ok(kpi_aht_new(&aht));
    ck_assert_ok(kpi_service_level_new(&sl, 20000, 5000));
    ck_assert_ok(kpi_topk_new(&topics, 16));
    ck_assert_ok(kpi_topk_id_new(&channels, 8));
    ck_assert_ok(kpi_distinct_new(&active, 12));
    const struct {
        void *proto;
        feed_fn feed;
    } kinds[] = {{ratio, feed_ratio},
                 {series, feed_series},
                 {customers, feed_customers},
                 {frt, feed_duration},
                 {aht, feed_aht},
                 {sl, feed_service_level},
                 {topics, feed_topk},
                 {channels, feed_topk_id},
                 {active, feed_distinct}};
    for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++) {
        kpi_group *g, *back;
        ck_assert_ok(kpi_group_new(&g, kinds[i].proto));
        for (uint64_t key = 1; key <= 5; key++) {
            void *acc;
            ck_assert_ok(kpi_group_get(g, key, &acc));
            ck_assert_ok(kinds[i].feed(acc, key));
        }
        size_t len, len2;
        ck_assert_ok(kpi_group_serialize(g, NULL, 0, &len));
        unsigned char *buf = malloc(len), *buf2 = malloc(len);
        ck_assert_ok(kpi_group_serialize(g, buf, len, &len));
        ck_assert_ok(kpi_group_deserialize(&back, buf, len));
        ck_assert_uint_eq(kpi_group_size(back), 5);
        ck_assert_ok(kpi_group_serialize(back, buf2, len, &len2));
        ck_assert_uint_eq(len, len2);
        ck_assert_msg(memcmp(buf, buf2, len) == 0, "kind %zu changed on round trip", i);
        ck_assert_ok(kpi_group_merge(back, g));
        ck_assert_uint_eq(kpi_group_size(back), 5);
        free(buf);
        free(buf2);
        kpi_group_free(g);
        kpi_group_free(back);
    }
    /* a journey is keyed by customer itself: not a member type */
    kpi_journey *journey;
    kpi_group *refused = NULL;
    ck_assert_ok(kpi_journey_new(&journey, 8, KPI_MS_PER_DAY));
    ck_assert_status(kpi_group_new(&refused, journey), KPI_ERR_TYPE);
    ck_assert_ptr_null(refused);
    kpi_journey_free(journey);
    double cost;
    kpi_group *teams;
    void *team;
    ck_assert_ok(kpi_group_new(&teams, ratio));
    ck_assert_ok(kpi_group_get(teams, 7, &team));
    ck_assert_ok(kpi_ratio_add(team, 1200.0, 40));
    ck_assert_ok(kpi_ratio_value(team, &cost));
    ck_assert_near(cost, 30.0, 1e-12);
    kpi_group_free(teams);
    kpi_ratio_free(ratio);
    kpi_series_free(series);
    kpi_customers_free(customers);
    kpi_duration_free(frt);
    kpi_aht_free(aht);
    kpi_service_level_free(sl);
    kpi_topk_free(topics);
    kpi_topk_id_free(channels);
    kpi_distinct_free(active);
}
END_TEST

START_TEST(null_arguments_and_forged_bytes)
{
    kpi_rate *proto;
    ck_assert_ok(kpi_rate_new(&proto));
    kpi_group *g;
    ck_assert_ok(kpi_group_new(&g, proto));
    const uint64_t k1 = UINT64_C(0x1111111111111111), k2 = UINT64_C(0x2222222222222222);
    void *m;
    ck_assert_ok(kpi_group_get(g, k1, &m));
    ck_assert_ok(kpi_rate_add(m, 1));
    ck_assert_ok(kpi_group_get(g, k2, &m));
    ck_assert_ok(kpi_rate_add(m, 0));
    size_t len, n = 9;
    unsigned char *b = group_bytes(g, &len);
    const void *cm;
    uint64_t keys[2];
    void *tot = NULL;
    ck_assert_status(kpi_group_serialize(NULL, NULL, 0, &len), KPI_ERR_INVALID);
    ck_assert_status(kpi_group_find(g, k1, NULL), KPI_ERR_INVALID);
    ck_assert_status(kpi_group_find(NULL, k1, &cm), KPI_ERR_INVALID);
    ck_assert_status(kpi_group_keys(NULL, keys, 2, &n), KPI_ERR_INVALID);
    ck_assert_status(kpi_group_keys(g, NULL, 2, &n), KPI_ERR_INVALID);
    ck_assert_status(kpi_group_keys(g, keys, 2, NULL), KPI_ERR_INVALID);
    ck_assert_status(kpi_group_remove(NULL, k1), KPI_ERR_INVALID);
    ck_assert_status(kpi_group_total(g, NULL), KPI_ERR_INVALID);
    ck_assert_status(kpi_group_total(NULL, &tot), KPI_ERR_INVALID);
    ck_assert(n == 9 && tot == NULL);
    group_unchanged(g, b, len);

    /* the second key made equal to the first: a key twice */
    unsigned char *f = malloc(len);
    unsigned char p1[8], p2[8];
    for (int i = 0; i < 8; i++) {
        p1[i] = (unsigned char)(k1 >> (8 * i));
        p2[i] = (unsigned char)(k2 >> (8 * i));
    }
    kpi_group *r = NULL;
    for (int forge = 0; forge < 3; forge++) {
        memcpy(f, b, len);
        if (forge == 1) {
            unsigned char *at = NULL;
            for (size_t i = 12; i + 8 <= len - 4 && at == NULL; i++)
                if (memcmp(f + i, p2, 8) == 0)
                    at = f + i;
            ck_assert_ptr_nonnull(at);
            memcpy(at, p1, 8);
        } else if (forge == 2) {
            f[12] = f[13] = 0xff; /* a member type tag nobody knows */
        }
        test_reseal(f, len);
        int rc = kpi_group_deserialize(&r, f, len);
        if (forge == 0) {
            ck_assert_ok(rc);
            group_same(r, g);
            kpi_group_free(r);
            r = NULL;
        } else {
            ck_assert_status(rc, KPI_ERR_CORRUPT);
            ck_assert_ptr_null(r);
        }
    }
    free(f);
    free(b);
    kpi_group_free(g);
    kpi_rate_free(proto);
}
END_TEST

/* A state of a group nested `levels` deep (each prototype a group, the
 * innermost a kpi_rate), no members: forged bytes, as a snapshot store
 * could hand back. */
static unsigned char *nested_state(int levels, size_t *len)
{
    kpi_rate *r;
    ck_assert_ok(kpi_rate_new(&r));
    unsigned char rs[64];
    size_t rl;
    ck_assert_ok(kpi_rate_serialize(r, rs, sizeof rs, &rl));
    kpi_rate_free(r);
    const size_t rbody = rl - 16, n = (size_t)levels;
    *len = 16 + n * 7 + rbody;
    unsigned char *f = malloc(*len);
    ck_assert_ptr_nonnull(f);
    memcpy(f, rs, 12);
    f[6] = 6; /* the group's tag (a rate's is 3) */
    f[7] = 0;
    size_t p = 12;
    for (size_t d = 0; d < n; d++) {
        /* the prototype: its tag and length, a group but the innermost */
        unsigned tag = d + 1 == n ? 3u : 6u;
        uint32_t l = (uint32_t)((n - d - 1) * 7 + rbody);
        f[p++] = (unsigned char)tag;
        f[p++] = 0;
        for (int k = 0; k < 4; k++)
            f[p++] = (unsigned char)(l >> (8 * k));
    }
    memcpy(f + p, rs + 12, rbody);
    p += rbody;
    for (size_t d = 0; d < n; d++)
        f[p++] = 0; /* no members */
    test_reseal(f, *len);
    return f;
}

/* Groups of groups: restoring (and cloning) one nested k deep took time
 * exponential in k (each level re-encoded its prototype: 0.6 s at 18
 * levels, hours at 30, from a few hundred bytes); bytes nested beyond 64
 * levels are corrupt, not a recursion that ends in a stack overflow. */
START_TEST(groups_nested_deep_restore_in_linear_time_and_too_deep_is_corrupt)
{
    for (int levels = 1; levels <= 64; levels += 21) {
        size_t len;
        unsigned char *f = nested_state(levels, &len);
        kpi_group *g = NULL, *c = NULL;
        ck_assert_ok(kpi_group_deserialize(&g, f, len));
        group_unchanged(g, f, len);
        ck_assert_ok(kpi_group_clone(g, &c));
        group_same(g, c);
        /* a member at the top: a group nested one level less */
        void *m;
        ck_assert_ok(kpi_group_get(c, 7, &m));
        ck_assert_uint_eq(kpi_group_size(c), 1);
        kpi_group_free(c);
        kpi_group_free(g);
        free(f);
    }
    const int too_deep[] = {65, 1000, 200000};
    for (size_t i = 0; i < sizeof too_deep / sizeof too_deep[0]; i++) {
        size_t len;
        unsigned char *f = nested_state(too_deep[i], &len);
        kpi_group *g = NULL;
        ck_assert_status(kpi_group_deserialize(&g, f, len), KPI_ERR_CORRUPT);
        ck_assert_ptr_null(g);
        free(f);
    }
    /* built through the API: 64 levels round-trip, a 65th is refused */
    kpi_rate *r;
    ck_assert_ok(kpi_rate_new(&r));
    kpi_group *g = NULL, *up = NULL;
    ck_assert_ok(kpi_group_new(&g, r));
    for (int level = 2; level <= 64; level++) {
        ck_assert_ok(kpi_group_new(&up, g));
        kpi_group_free(g);
        g = up;
    }
    size_t len;
    unsigned char *b = group_bytes(g, &len), *f = nested_state(64, &len);
    group_unchanged(g, f, len);
    free(b);
    free(f);
    up = NULL;
    ck_assert_status(kpi_group_new(&up, g), KPI_ERR_TYPE);
    ck_assert_ptr_null(up);
    kpi_group_free(g);
    kpi_rate_free(r);
}
END_TEST

/* A member's configuration is the group's: the setters refuse a member
 * (KPI_ERR_STATE, nothing changed), so the group still decodes and its
 * total still merges.  Before, kpi_score_set_threshold(member, 5) was
 * accepted and the group serialized to bytes its own decoder refused
 * (KPI_ERR_CORRUPT: a member configured unlike the prototype).  Copies
 * that leave the group (a clone of a member, the total) are free objects
 * again; members made by a merge, a clone and a decode are members. */
static void group_setters_refuse(kpi_group *g, uint64_t key)
{
    void *m;
    ck_assert_ok(kpi_group_get(g, key, &m));
    ck_assert_status(kpi_score_set_threshold(m, 5), KPI_ERR_STATE);
    ck_assert_status(kpi_score_set_high_is_easy(m, 0), KPI_ERR_STATE);
    ck_assert_status(kpi_score_set_nps_cuts(m, 5, 1), KPI_ERR_STATE);
    /* range errors are still range errors */
    ck_assert_status(kpi_score_set_threshold(m, 99), KPI_ERR_RANGE);
}

START_TEST(a_members_configuration_is_the_groups)
{
    kpi_score *proto;
    ck_assert_ok(kpi_csat_new(&proto, 5, 4));
    kpi_group *g;
    ck_assert_ok(kpi_group_new(&g, proto));
    ck_assert_ok(kpi_score_set_threshold(proto, 5)); /* the caller's object: free */
    kpi_score_free(proto);
    void *m;
    ck_assert_ok(kpi_group_get(g, 7, &m));
    ck_assert_ok(kpi_score_add(m, 4));
    ck_assert_ok(kpi_group_get(g, 8, &m)); /* a second member, empty */
    size_t len;
    unsigned char *before = group_bytes(g, &len);
    group_setters_refuse(g, 7);
    group_setters_refuse(g, 8);
    group_unchanged(g, before, len);
    free(before);
    /* the group decodes, and its total (4 of 4: CSAT 1/1) merges */
    unsigned char *b = group_bytes(g, &len);
    kpi_group *d = NULL;
    ck_assert_ok(kpi_group_deserialize(&d, b, len));
    free(b);
    void *tot;
    ck_assert_ok(kpi_group_total(g, &tot));
    kpi_estimate e;
    ck_assert_ok(kpi_score_csat(tot, &e));
    ck_assert(e.value == 1.0 && e.n == 1);
    /* the total and a clone of a member are the caller's: free */
    ck_assert_ok(kpi_score_set_threshold(tot, 5));
    ck_assert_ok(kpi_score_csat(tot, &e));
    ck_assert(e.value == 0.0);
    kpi_score_free(tot);
    kpi_score *c;
    ck_assert_ok(kpi_group_get(g, 7, &m));
    ck_assert_ok(kpi_score_clone(m, &c));
    ck_assert_ok(kpi_score_set_threshold(c, 5));
    kpi_score_free(c);
    /* members of a decoded group, a cloned group and a merged group */
    group_setters_refuse(d, 7);
    kpi_group *cl;
    ck_assert_ok(kpi_group_clone(g, &cl));
    group_setters_refuse(cl, 7);
    ck_assert_ok(kpi_group_merge(cl, d)); /* key 7: a merged copy replaces it */
    group_setters_refuse(cl, 7);
    kpi_group_free(cl);
    kpi_group_free(d);
    kpi_group_free(g);

    /* the other setters: mean cuts, duration targets, series forecast */
    kpi_mean *mp;
    ck_assert_ok(kpi_sentiment_new(&mp));
    ck_assert_ok(kpi_group_new(&g, mp));
    kpi_mean_free(mp);
    ck_assert_ok(kpi_group_get(g, 1, &m));
    ck_assert_status(kpi_mean_set_cuts(m, -0.5, 0.5), KPI_ERR_STATE);
    kpi_group_free(g);
    kpi_duration *dp;
    ck_assert_ok(kpi_frt_new(&dp));
    ck_assert_ok(kpi_group_new(&g, dp));
    kpi_duration_free(dp);
    ck_assert_ok(kpi_group_get(g, 1, &m));
    ck_assert_status(kpi_duration_add_target(m, 60000), KPI_ERR_STATE);
    kpi_group_free(g);
    kpi_series *sp;
    ck_assert_ok(kpi_series_new(&sp, 3600000, 24, 0));
    ck_assert_ok(kpi_group_new(&g, sp));
    kpi_series_free(sp);
    ck_assert_ok(kpi_group_get(g, 1, &m));
    ck_assert_status(kpi_series_set_forecast(m, 24, 0.5, 0.1, 0.1), KPI_ERR_STATE);
    kpi_group_free(g);
}
END_TEST

/* kpi_group_total() merges every member into a new object, so it meets the
 * members' own merge rules: two forecasting series that both hold data
 * (Holt-Winters states do not merge, kpi/series.h) and customers of two
 * different gross margins (kpi/customers.h) are #KPI_ERR_INCOMPATIBLE, with
 * nothing handed out and the group as it was; one forecasting member with
 * data, or members of equal margins, total fine. */
START_TEST(total_of_members_that_do_not_merge_is_incompatible)
{
    kpi_series *sp;
    ck_assert_ok(kpi_series_new(&sp, 1000, 4, 0));
    ck_assert_ok(kpi_series_set_forecast(sp, 2, 0.5, 0.5, 0.5));
    kpi_group *g;
    ck_assert_ok(kpi_group_new(&g, sp));
    kpi_series_free(sp);
    void *m, *tot;
    ck_assert_ok(kpi_group_get(g, 1, &m));
    ck_assert_ok(kpi_series_add(m, 0, 1.0));
    ck_assert_ok(kpi_group_get(g, 2, &m)); /* empty: merges as a no-op */
    ck_assert_ok(kpi_group_total(g, &tot));
    double v;
    ck_assert_ok(kpi_series_total(tot, &v));
    ck_assert(v == 1.0);
    kpi_series_free(tot);
    ck_assert_ok(kpi_series_add(m, 0, 2.0)); /* now both hold data */
    size_t len;
    unsigned char *before = group_bytes(g, &len);
    tot = NULL;
    ck_assert_status(kpi_group_total(g, &tot), KPI_ERR_INCOMPATIBLE);
    ck_assert(tot == NULL);
    group_unchanged(g, before, len);
    /* and kpi_group_merge() of a group whose key 2 holds data too */
    kpi_group *h;
    ck_assert_ok(kpi_group_clone(g, &h));
    ck_assert_status(kpi_group_merge(g, h), KPI_ERR_INCOMPATIBLE);
    group_unchanged(g, before, len);
    kpi_group_free(h);
    free(before);
    kpi_group_free(g);

    kpi_customers *cp;
    ck_assert_ok(kpi_customers_new(&cp));
    ck_assert_ok(kpi_group_new(&g, cp));
    kpi_customers_free(cp);
    ck_assert_ok(kpi_group_get(g, 1, &m));
    ck_assert_ok(kpi_customers_set_margin(m, 0.5));
    ck_assert_ok(kpi_customers_set_start(m, 10));
    ck_assert_ok(kpi_group_get(g, 2, &m));
    ck_assert_ok(kpi_customers_set_margin(m, 0.5));
    ck_assert_ok(kpi_customers_set_start(m, 30));
    ck_assert_ok(kpi_group_total(g, &tot)); /* start 10 + 30 */
    ck_assert_ok(kpi_customers_add_lost(tot, 4));
    ck_assert_ok(kpi_customers_churn_lost(tot, &(kpi_estimate){0}));
    kpi_customers_free(tot);
    ck_assert_ok(kpi_customers_set_margin(m, 0.4)); /* a member may set its own */
    before = group_bytes(g, &len);
    tot = NULL;
    ck_assert_status(kpi_group_total(g, &tot), KPI_ERR_INCOMPATIBLE);
    ck_assert(tot == NULL);
    group_unchanged(g, before, len);
    free(before);
    kpi_group_free(g);
}
END_TEST

/* Customers members may set their own gross margins (group.h), and such a
 * group serializes; it must read back.  Group decoding checked each member
 * by merging it into one probe reset between members, but a customers
 * reset keeps the margin (configuration): member 1's 0.5 stayed in the
 * probe, member 2's 0.4 did not merge (KPI_ERR_INCOMPATIBLE) and the
 * state was KPI_ERR_CORRUPT; a prototype with a margin of its own (0.5)
 * refused a member of 0.4 the same way. */
TEST_REREAD_HELPER(group, kpi_group, kpi_group_deserialize)

START_TEST(customers_members_of_different_margins_read_back)
{
    for (int proto_margin = 0; proto_margin < 2; proto_margin++) {
        kpi_customers *cp;
        ck_assert_ok(kpi_customers_new(&cp));
        if (proto_margin)
            ck_assert_ok(kpi_customers_set_margin(cp, 0.5));
        kpi_group *g;
        ck_assert_ok(kpi_group_new(&g, cp));
        kpi_customers_free(cp);
        void *m;
        ck_assert_ok(kpi_group_get(g, 1, &m));
        ck_assert_ok(kpi_customers_set_margin(m, 0.5));
        ck_assert_ok(kpi_customers_set_start(m, 10));
        ck_assert_ok(kpi_group_get(g, 2, &m));
        ck_assert_ok(kpi_customers_set_margin(m, 0.4));
        ck_assert_ok(kpi_customers_set_start(m, 30));
        kpi_group *d = group_reread(g);
        group_same(d, g);
        /* member 2 keeps its own margin: revenue 100 x 0.4 / 2 lost = 20 */
        ck_assert_ok(kpi_group_get(d, 2, &m));
        ck_assert_ok(kpi_customers_add_revenue(m, 100));
        ck_assert_ok(kpi_customers_add_lost(m, 2));
        double clv;
        ck_assert_ok(kpi_customers_clv(m, &clv));
        ck_assert(clv == 20.0);
        kpi_group_free(d);
        kpi_group_free(g);
    }
}
END_TEST

/* kpi_group_merge() copies a member whose key dst lacks (group.h).  It
 * made the copy by merging the member into an empty copy of dst's
 * prototype, which for customers carries the prototype's margin (0.5):
 * a shard whose member set its own (0.4) did not merge into a group
 * without that key (KPI_ERR_INCOMPATIBLE), though the group fed
 * everything holds it.  The copy is now the member itself, in dst's
 * allocator (a second allocator here too). */
START_TEST(merge_copies_a_customers_member_of_its_own_margin)
{
    kpi_customers *cp;
    ck_assert_ok(kpi_customers_new(&cp));
    ck_assert_ok(kpi_customers_set_margin(cp, 0.5));
    kpi_group *shard, *all;
    ck_assert_ok(kpi_group_new(&shard, cp));
    ck_assert_ok(kpi_group_new(&all, cp));
    void *m;
    for (int i = 0; i < 2; i++) {
        ck_assert_ok(kpi_group_get(i ? all : shard, 7, &m));
        ck_assert_ok(kpi_customers_set_margin(m, 0.4));
        ck_assert_ok(kpi_customers_set_start(m, 30));
    }
    for (int with = 0; with < 2; with++) {
        test_alloc ta;
        kpi_allocator a = test_allocator(&ta);
        kpi_group *e;
        ck_assert_ok(kpi_group_new_with(&e, cp, with ? &a : NULL));
        ck_assert_ok(kpi_group_merge(e, shard));
        group_same(e, all);
        kpi_group_free(e);
        ck_assert_int_eq(ta.live, 0);
    }
    kpi_customers_free(cp);
    kpi_group_free(shard);
    kpi_group_free(all);
}
END_TEST

/* A group's prototype is written empty (kpi_group_new() keeps only its
 * configuration).  Bytes whose prototype holds data are not a state the
 * library writes, and were read: the data was dropped, so the state read
 * back as another one and wrote other bytes.  A group of kpi_rate with no
 * member is 25 bytes: header (12), the member tag 03 00, the prototype's
 * length 02 00 00 00 and body 00 00 (0 successes, 0 trials), the member
 * count 00, checksum (4); 1 success in 2 trials (01 02) is corrupt. */
START_TEST(a_prototype_holding_data_is_corrupt)
{
    kpi_rate *proto;
    ck_assert_ok(kpi_rate_new(&proto));
    kpi_group *g;
    ck_assert_ok(kpi_group_new(&g, proto));
    kpi_rate_free(proto);
    size_t len;
    unsigned char *b = group_bytes(g, &len);
    ck_assert_uint_eq(len, 25);
    static const unsigned char body[] = {0x03, 0x00, 0x02, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00};
    ck_assert(memcmp(b + 12, body, sizeof body) == 0);
    b[18] = 0x01, b[19] = 0x02;
    test_reseal(b, len);
    kpi_group *d = NULL;
    ck_assert_status(kpi_group_deserialize(&d, b, len), KPI_ERR_CORRUPT);
    ck_assert_ptr_null(d);
    b[18] = b[19] = 0x00;
    test_reseal(b, len);
    ck_assert_ok(kpi_group_deserialize(&d, b, len));
    group_same(d, g);
    kpi_group_free(d);
    free(b);
    kpi_group_free(g);
}
END_TEST

/* A member handed to its type's free function by mistake stays the
 * group's, whole: scores, durations (their own free path), a nested group,
 * each fed after it and freed once, with the group (ASan and valgrind runs
 * would see a double free). */
START_TEST(freeing_a_member_leaves_it_to_its_group)
{
    kpi_group *g = nps_group();
    feed(g, 1, 10);
    feed(g, 1, 3);
    void *m;
    ck_assert_ok(kpi_group_get(g, 1, &m));
    size_t len;
    unsigned char *before = group_bytes(g, &len);
    kpi_score_free(m);
    group_unchanged(g, before, len);
    free(before);
    feed(g, 1, 9);
    kpi_estimate nps;
    ck_assert_ok(kpi_score_nps(m, &nps));
    ck_assert_double_eq_tol(nps.value, 100.0 * (2 - 1) / 3, 1e-9);
    kpi_group_free(g);

    kpi_duration *d;
    ck_assert_ok(kpi_duration_new(&d, 0.01));
    ck_assert_ok(kpi_group_new(&g, d));
    kpi_duration_free(d);
    ck_assert_ok(kpi_group_get(g, 7, &m));
    ck_assert_ok(kpi_duration_add(m, 1500));
    kpi_duration_free(m);
    ck_assert_uint_eq(kpi_duration_count(m), 1);
    ck_assert_ok(kpi_duration_add(m, 2500));
    ck_assert_uint_eq(kpi_duration_count(m), 2);
    kpi_group_free(g);

    kpi_group *inner = nps_group(), *outer;
    ck_assert_ok(kpi_group_new(&outer, inner));
    kpi_group_free(inner);
    ck_assert_ok(kpi_group_get(outer, 3, &m));
    feed(m, 5, 10);
    kpi_group_free(m);
    ck_assert_uint_eq(kpi_group_size(m), 1);
    feed(m, 6, 0);
    ck_assert_uint_eq(kpi_group_size(m), 2);
    kpi_group_free(outer);
}
END_TEST

/* The free functions with their own path (kpi_aht_free(),
 * kpi_service_level_free(), beside kpi_duration_free() above) and one
 * through kpi__release() (kpi_rate_free()) leave a member alone too: with
 * the group's counting allocator, a member handed to its type's free
 * function frees no block (the live count stays), the member takes more
 * values, and the group frees every block at the end. */
START_TEST(freeing_a_member_frees_nothing_of_the_group)
{
    test_alloc t;
    kpi_allocator a = test_allocator(&t);
    kpi_group *g;
    void *m;
    long live;

    kpi_aht *aht;
    ck_assert_ok(kpi_aht_new(&aht));
    ck_assert_ok(kpi_group_new_with(&g, aht, &a));
    kpi_aht_free(aht);
    ck_assert_ok(kpi_group_get(g, 1, &m));
    ck_assert_ok(kpi_aht_add(m, 100, 20, 30));
    live = t.live;
    kpi_aht_free(m);
    ck_assert_int_eq(t.live, live);
    ck_assert_ok(kpi_aht_add(m, 200, 0, 10));
    ck_assert_uint_eq(kpi_aht_count(m), 2);
    kpi_group_free(g);
    ck_assert_int_eq(t.live, 0);

    kpi_service_level *sl;
    ck_assert_ok(kpi_service_level_new(&sl, 20000, 0));
    ck_assert_ok(kpi_group_new_with(&g, sl, &a));
    kpi_service_level_free(sl);
    ck_assert_ok(kpi_group_get(g, 2, &m));
    ck_assert_ok(kpi_service_level_add(m, 1000, KPI_CONTACT_ANSWERED));
    live = t.live;
    kpi_service_level_free(m);
    ck_assert_int_eq(t.live, live);
    ck_assert_ok(kpi_service_level_add(m, 30000, KPI_CONTACT_ABANDONED));
    ck_assert_uint_eq(kpi_service_level_offered(m), 2);
    kpi_group_free(g);
    ck_assert_int_eq(t.live, 0);

    kpi_rate *r;
    ck_assert_ok(kpi_rate_new(&r));
    ck_assert_ok(kpi_group_new_with(&g, r, &a));
    kpi_rate_free(r);
    ck_assert_ok(kpi_group_get(g, 3, &m));
    ck_assert_ok(kpi_rate_add(m, 1));
    live = t.live;
    kpi_rate_free(m);
    ck_assert_int_eq(t.live, live);
    ck_assert_ok(kpi_rate_add(m, 0));
    ck_assert_uint_eq(kpi_rate_trials(m), 2);
    kpi_group_free(g);
    ck_assert_int_eq(t.live, 0);
}
END_TEST

/* ---- documented errors (rev-retval) ---- */

TEST_STATE_ERRORS_HELPER(group, kpi_group, kpi_group_serialize, kpi_group_deserialize,
                         kpi_group_deserialize_with, kpi_group_free)

START_TEST(documented_errors_of_the_state_verbs)
{
    kpi_group *g = nps_group(), *c = NULL;
    feed(g, 3, 9);
    feed(g, 3, 2);
    feed(g, 70, 10);
    group_state_errors(g);
    size_t len;
    unsigned char *before = group_bytes(g, &len);
    ck_assert_status(kpi_group_clone(NULL, &c), KPI_ERR_INVALID);
    ck_assert_status(kpi_group_clone(g, NULL), KPI_ERR_INVALID);
    ck_assert_ptr_null(c);
    group_unchanged(g, before, len);
    free(before);
    kpi_group_free(g);
}
END_TEST

START_TEST(documented_errors_of_new_with)
{
    test_alloc t;
    kpi_allocator a = test_allocator(&t);
    kpi_allocator bad = a;
    bad.free_fn = NULL;
    kpi_rate *proto;
    kpi_calendar *cal;
    kpi_group *g = NULL;
    ck_assert_ok(kpi_rate_new(&proto));
    ck_assert_ok(kpi_calendar_new(&cal, "UTC0"));
    ck_assert_status(kpi_group_new_with(&g, proto, &bad), KPI_ERR_INVALID);
    ck_assert_status(kpi_group_new_with(&g, NULL, &a), KPI_ERR_INVALID);
    ck_assert_status(kpi_group_new_with(NULL, proto, &a), KPI_ERR_INVALID);
    /* a calendar cannot be a member */
    ck_assert_status(kpi_group_new_with(&g, cal, &a), KPI_ERR_TYPE);
    ck_assert_ptr_null(g);
    ck_assert_int_eq(t.live, 0);
    kpi_calendar_free(cal);
    kpi_rate_free(proto);
}
END_TEST

/* a group of rates: key 1 with 2^63 trials, and key 2 with 2^63 trials */
static kpi_group *huge_rates(void)
{
    kpi_rate *proto;
    kpi_group *g;
    void *m;
    ck_assert_ok(kpi_rate_new(&proto));
    ck_assert_ok(kpi_group_new(&g, proto));
    kpi_rate_free(proto);
    for (uint64_t key = 1; key <= 2; key++) {
        ck_assert_ok(kpi_group_get(g, key, &m));
        ck_assert_ok(kpi_rate_add_counts(m, 1, UINT64_C(1) << 63));
    }
    return g;
}

START_TEST(documented_overflows_of_total_and_merge)
{
    kpi_group *g = huge_rates(), *h = huge_rates();
    size_t len;
    unsigned char *before = group_bytes(g, &len);
    void *total = NULL;
    ck_assert_status(kpi_group_total(g, &total), KPI_ERR_OVERFLOW);
    ck_assert_ptr_null(total);
    ck_assert_status(kpi_group_merge(g, h), KPI_ERR_OVERFLOW);
    group_unchanged(g, before, len);
    ck_assert_status(kpi_group_merge(g, g), KPI_ERR_OVERFLOW);
    group_unchanged(g, before, len);
    /* one key alone totals fine */
    ck_assert_ok(kpi_group_remove(h, 2));
    ck_assert_ok(kpi_group_total(h, &total));
    ck_assert_uint_eq(kpi_rate_trials(total), UINT64_C(1) << 63);
    kpi_rate_free(total);
    free(before);
    kpi_group_free(g);
    kpi_group_free(h);
}
END_TEST

static Suite *group_suite(void)
{
    Suite *s = suite_create("group");
    TCase *tc = tcase_create("group");
    tcase_add_test(tc, nps_per_agent_and_overall);
    tcase_add_test(tc, grows_to_ten_thousand_keys_and_removes);
    tcase_add_test(tc, random_operations_match_a_reference_map);
    tcase_add_test(tc, merge_is_key_wise_and_equals_one_stream);
    tcase_add_test(tc, merge_of_different_member_types_or_configs_is_refused);
    tcase_add_test(tc, serialize_round_trip_gives_identical_bytes);
    tcase_add_test(tc, groups_nest_and_hold_every_type);
    tcase_add_test(tc, every_registered_accumulator_type_is_a_group_member);
    tcase_add_test(tc, rate_spread_between_agents_is_hand_computed);
    tcase_add_test(tc, mean_spread_between_agents_is_hand_computed);
    tcase_add_test(tc, allocation_failures_leave_the_group_unchanged);
    tcase_add_test(tc, null_arguments_and_forged_bytes);
    tcase_add_test(tc, groups_nested_deep_restore_in_linear_time_and_too_deep_is_corrupt);
    tcase_add_test(tc, a_members_configuration_is_the_groups);
    tcase_add_test(tc, total_of_members_that_do_not_merge_is_incompatible);
    tcase_add_test(tc, customers_members_of_different_margins_read_back);
    tcase_add_test(tc, merge_copies_a_customers_member_of_its_own_margin);
    tcase_add_test(tc, a_prototype_holding_data_is_corrupt);
    tcase_add_test(tc, freeing_a_member_leaves_it_to_its_group);
    tcase_add_test(tc, freeing_a_member_frees_nothing_of_the_group);
    /* ---- documented errors (rev-retval) ---- */
    tcase_add_test(tc, documented_errors_of_the_state_verbs);
    tcase_add_test(tc, documented_errors_of_new_with);
    tcase_add_test(tc, documented_overflows_of_total_and_merge);
    suite_add_tcase(s, tc);
    return s;
}

KPI_TEST_MAIN(group_suite)
