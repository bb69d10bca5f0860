/*
 * Staffing: Erlang B, C and A.
 * SPDX-License-Identifier: MIT
 *
 * References written here in other ways than the library:
 *  - Erlang B/C by the textbook sums in long double (small N) and by
 *    log-space terms with lgammal (large N);
 *  - Erlang A by summing the birth-death chain's stationary distribution
 *    directly (long double);
 *  - Erlang A service level and ASA by a seeded discrete-event simulation
 *    of a FIFO M/M/N+M queue.
 */
#include <stdint.h>

#include "kpi/staffing.h"
#include "testutil.h"

#define SENTINEL (-12345.0)
#define ISENTINEL (-777)

/* ---- references --------------------------------------------------------- */

/* Textbook: B = (A^N/N!) / sum_{k<=N} A^k/k!,
 * C = (A^N/N! * N/(N-A)) / (sum_{k<N} A^k/k! + A^N/N! * N/(N-A)). */
static long double ref_erlang_b(double A, int N)
{
    long double term = 1.0L, sum = 1.0L;
    for (int k = 1; k <= N; k++) {
        term *= (long double)A / k;
        sum += term;
    }
    return term / sum;
}

static long double ref_erlang_c(double A, int N)
{
    long double term = 1.0L, sum = 0.0L;
    for (int k = 0; k < N; k++) {
        sum += term;
        term *= (long double)A / (k + 1);
    }
    long double top = term * N / (N - (long double)A);
    return top / (sum + top);
}

/* Erlang C in log space for large N: log of A^k/k! via lgammal, summed
 * relative to the largest term. */
static double ref_erlang_c_log(double A, int N)
{
    long double la = logl((long double)A);
    long double top = N * la - lgammal(N + 1.0L) + logl((long double)N / (N - (long double)A));
    long double mx = top;
    for (int k = 0; k < N; k++) {
        long double t = k * la - lgammal(k + 1.0L);
        if (t > mx)
            mx = t;
    }
    long double s = 0.0L;
    for (int k = 0; k < N; k++)
        s += expl(k * la - lgammal(k + 1.0L) - mx);
    long double t = expl(top - mx);
    return (double)(t / (s + t));
}

/* Erlang A by the chain: pi_k ~ A^k/k! (k <= N), then
 * pi_{N+q} = pi_N prod A / (N + j r).  P(wait) = sum_{k>=N} pi_k,
 * P(abandon) = r E[(L - N)+] / A (abandonment flow over arrival flow). */
static void ref_erlang_a(double A, int N, double r, double *pw, double *pab)
{
    long double t = 1.0L, head = 0.0L;
    for (int k = 1; k <= N; k++) {
        head += t;
        t *= (long double)A / k;
        if (t > 1e100L) { /* rescale: stays finite even where long double is double */
            t *= 1e-100L;
            head *= 1e-100L;
        }
    }
    long double tail = 0.0L, eq = 0.0L, q = t;
    for (long k = 0; k < 50000000L; k++) {
        tail += q;
        eq += (long double)k * q;
        long double rate = (long double)N + (k + 1) * (long double)r;
        q *= (long double)A / rate;
        if (q > 1e100L) {
            q *= 1e-100L;
            tail *= 1e-100L;
            eq *= 1e-100L;
            head *= 1e-100L;
        }
        if (rate > A && q < 1e-25L * tail)
            break;
    }
    *pw = (double)(tail / (head + tail));
    *pab = (double)((long double)r * eq / (head + tail) / A);
}

/* ---- worked example ----------------------------------------------------- */

START_TEST(worked_example_100_contacts_in_30_minutes_at_3_minutes_aht)
{
    double a, pw, sl, asa, occ;
    ck_assert_ok(kpi_erlang_traffic(100, 1800, 180, &a));
    ck_assert_near(a, 10.0, 1e-12);
    ck_assert_ok(kpi_erlang_c_wait_probability(a, 14, &pw));
    ck_assert_near(pw, 0.1741, 0.00005);
    ck_assert_ok(kpi_erlang_c_service_level(a, 14, 180, 20, &sl));
    ck_assert_near(sl, 0.888, 0.0005);
    ck_assert_ok(kpi_erlang_c_asa(a, 14, 180, &asa));
    ck_assert_near(asa, pw * 180 / 4, 1e-12);
    ck_assert_near(asa, 7.836, 0.001);
    ck_assert_ok(kpi_erlang_c_occupancy(a, 14, &occ));
    ck_assert_near(occ, 10.0 / 14.0, 1e-15);

    int32_t n = ISENTINEL, hc = ISENTINEL;
    ck_assert_ok(kpi_erlang_c_agents(a, 180, 20, 0.80, 0.85, &n));
    ck_assert_int_eq(n, 14);
    ck_assert_ok(kpi_staffing_headcount(n, 0.30, &hc));
    ck_assert_int_eq(hc, 20);
    /* 13 agents miss the target, 14 meet it */
    ck_assert_ok(kpi_erlang_c_service_level(a, 13, 180, 20, &sl));
    ck_assert(sl < 0.80);
}
END_TEST

START_TEST(occupancy_cap_raises_the_agents_needed)
{
    int32_t n = 0;
    /* 80% in 20 s alone needs 14 at 10 Erlangs; a 70% occupancy cap needs
     * ceil(10 / 0.7) = 15 */
    ck_assert_ok(kpi_erlang_c_agents(10, 180, 20, 0.80, 1.0, &n));
    ck_assert_int_eq(n, 14);
    ck_assert_ok(kpi_erlang_c_agents(10, 180, 20, 0.80, 0.70, &n));
    ck_assert_int_eq(n, 15);
    /* exactly on the cap: 10 / 0.5 = 20 is allowed */
    ck_assert_ok(kpi_erlang_c_agents(10, 180, 20, 0.0, 0.5, &n));
    ck_assert_int_eq(n, 20);
    /* target 0 and no cap: the smallest stable N */
    ck_assert_ok(kpi_erlang_c_agents(10, 180, 20, 0.0, 1.0, &n));
    ck_assert_int_eq(n, 11);
    ck_assert_ok(kpi_erlang_c_agents(10.5, 180, 20, 0.0, 1.0, &n));
    ck_assert_int_eq(n, 11);
    /* no traffic: one agent */
    ck_assert_ok(kpi_erlang_c_agents(0, 180, 20, 0.99, 1.0, &n));
    ck_assert_int_eq(n, 1);
}
END_TEST

START_TEST(headcount_rounds_up_after_shrinkage)
{
    int32_t hc = 0;
    ck_assert_ok(kpi_staffing_headcount(14, 0.0, &hc));
    ck_assert_int_eq(hc, 14);
    ck_assert_ok(kpi_staffing_headcount(10, 0.5, &hc));
    ck_assert_int_eq(hc, 20);
    ck_assert_ok(kpi_staffing_headcount(7, 0.3, &hc));
    ck_assert_int_eq(hc, 10);
    ck_assert_ok(kpi_staffing_headcount(15, 0.3, &hc)); /* 21.43 */
    ck_assert_int_eq(hc, 22);
    ck_assert_ok(kpi_staffing_headcount(0, 0.9, &hc));
    ck_assert_int_eq(hc, 0);
    ck_assert_ok(kpi_staffing_headcount(100, 0.35, &hc)); /* 153.8 */
    ck_assert_int_eq(hc, 154);
}
END_TEST

/* ---- Erlang B / C against references ------------------------------------ */

START_TEST(erlang_b_and_c_match_the_textbook_sums)
{
    static const double traffic[] = {0.01, 0.5, 1, 2.5, 7, 10, 19.9, 33.3, 49.5};
    for (size_t i = 0; i < sizeof traffic / sizeof traffic[0]; i++) {
        for (int n = 1; n <= 60; n++) {
            double A = traffic[i], b, c;
            ck_assert_ok(kpi_erlang_b(A, n, &b));
            ck_assert_near(b, (double)ref_erlang_b(A, n), 1e-13 + 1e-12 * b);
            if (A >= n) {
                ck_assert_status(kpi_erlang_c_wait_probability(A, n, &c), KPI_ERR_RANGE);
                continue;
            }
            ck_assert_ok(kpi_erlang_c_wait_probability(A, n, &c));
            long double ref = ref_erlang_c(A, n);
            ck_assert_msg(fabs(c - (double)ref) <= 1e-13 + 1e-11 * (double)ref,
                          "C(%d, %g) = %.17g, reference %.17Lg", n, A, c, ref);
        }
    }
}
END_TEST

START_TEST(erlang_c_formulas_for_service_level_and_asa)
{
    double pw, sl, asa;
    ck_assert_ok(kpi_erlang_c_wait_probability(33.3, 40, &pw));
    ck_assert_ok(kpi_erlang_c_service_level(33.3, 40, 240, 15, &sl));
    ck_assert_near(sl, 1.0 - pw * exp(-(40 - 33.3) * 15.0 / 240.0), 1e-15);
    ck_assert_ok(kpi_erlang_c_service_level(33.3, 40, 240, 0, &sl));
    ck_assert_near(sl, 1.0 - pw, 1e-15);
    ck_assert_ok(kpi_erlang_c_asa(33.3, 40, 240, &asa));
    ck_assert_near(asa, pw * 240 / (40 - 33.3), 1e-12);
    /* no traffic: nobody waits */
    ck_assert_ok(kpi_erlang_c_wait_probability(0, 3, &pw));
    ck_assert_near(pw, 0.0, 0.0);
    ck_assert_ok(kpi_erlang_c_service_level(0, 3, 240, 20, &sl));
    ck_assert_near(sl, 1.0, 0.0);
    ck_assert_ok(kpi_erlang_c_asa(0, 3, 240, &asa));
    ck_assert_near(asa, 0.0, 0.0);
    /* one agent: M/M/1, P(wait) = rho */
    ck_assert_ok(kpi_erlang_c_wait_probability(0.75, 1, &pw));
    ck_assert_near(pw, 0.75, 1e-15);
}
END_TEST

START_TEST(erlang_c_is_stable_and_monotone_at_10000_agents)
{
    double prev = 2.0;
    for (int n = 9901; n <= 10200; n++) {
        double c;
        ck_assert_ok(kpi_erlang_c_wait_probability(9900.0, n, &c));
        ck_assert(isfinite(c) && c >= 0.0 && c <= 1.0);
        ck_assert_msg(c < prev, "C not decreasing at N = %d", n);
        prev = c;
    }
    static const int ns[] = {9901, 9950, 10000, 10100};
    for (size_t i = 0; i < sizeof ns / sizeof ns[0]; i++) {
        double c;
        ck_assert_ok(kpi_erlang_c_wait_probability(9900.0, ns[i], &c));
        double ref = ref_erlang_c_log(9900.0, ns[i]);
        ck_assert_msg(fabs(c - ref) <= 1e-9 * ref + 1e-300,
                      "C(%d) = %.15g, log-space reference %.15g", ns[i], c, ref);
    }
    /* far more agents than traffic: underflows cleanly to 0, no NaN */
    double c, b;
    ck_assert_ok(kpi_erlang_c_wait_probability(1.0, 10000, &c));
    ck_assert(c == 0.0);
    ck_assert_ok(kpi_erlang_b(1.0, 10000, &b));
    ck_assert(b == 0.0);
    ck_assert_ok(kpi_erlang_c_wait_probability(9999.999, 10000, &c));
    ck_assert(c > 0.999 && c <= 1.0);
    int32_t n;
    ck_assert_ok(kpi_erlang_c_agents(9500, 180, 20, 0.9, 1.0, &n));
    double sl_n, sl_m;
    ck_assert_ok(kpi_erlang_c_service_level(9500, n, 180, 20, &sl_n));
    ck_assert_ok(kpi_erlang_c_service_level(9500, n - 1, 180, 20, &sl_m));
    ck_assert(sl_n >= 0.9 && sl_m < 0.9);
}
END_TEST

START_TEST(service_level_rises_with_agents_and_falls_with_traffic)
{
    for (int n = 11; n <= 40; n++) {
        double lo, hi;
        ck_assert_ok(kpi_erlang_c_service_level(10, n, 180, 20, &lo));
        ck_assert_ok(kpi_erlang_c_service_level(10, n + 1, 180, 20, &hi));
        ck_assert_msg(hi > lo || hi == 1.0, "SL(%d) = %g, SL(%d) = %g", n, lo, n + 1, hi);
    }
    double prev = 2.0;
    for (double a = 0.5; a < 19.9; a += 0.5) {
        double sl;
        ck_assert_ok(kpi_erlang_c_service_level(a, 20, 180, 20, &sl));
        ck_assert_msg(sl < prev || sl == 1.0, "SL not falling at A = %g", a);
        prev = sl;
    }
    /* ASA falls with agents */
    double asa_prev = INFINITY;
    for (int n = 11; n <= 30; n++) {
        double asa;
        ck_assert_ok(kpi_erlang_c_asa(10, n, 180, &asa));
        ck_assert(asa < asa_prev);
        asa_prev = asa;
    }
}
END_TEST

/* Naive search: every N from 1 upward, Erlang C recomputed from scratch. */
static int32_t naive_agents(double A, double aht, double T, double target,
                            double max_occ, int asa_mode)
{
    for (int32_t n = 1;; n++) {
        if (!((double)n > A) || A / n > max_occ)
            continue;
        double v;
        if (asa_mode) {
            ck_assert_ok(kpi_erlang_c_asa(A, n, aht, &v));
            if (v <= target)
                return n;
        } else {
            ck_assert_ok(kpi_erlang_c_service_level(A, n, aht, T, &v));
            if (v >= target)
                return n;
        }
    }
}

START_TEST(agents_search_equals_a_scan_from_one_agent)
{
    test_rng rng = {42};
    for (int i = 0; i < 300; i++) {
        double A = test_uniform(&rng) * (i < 200 ? 60.0 : 1200.0);
        double aht = 30 + test_uniform(&rng) * 600;
        double T = test_uniform(&rng) * 60;
        double target = test_uniform(&rng) * 0.99;
        double occ = test_uniform(&rng) < 0.5 ? 1.0 : 0.6 + 0.4 * test_uniform(&rng);
        int32_t n = 0;
        ck_assert_ok(kpi_erlang_c_agents(A, aht, T, target, occ, &n));
        ck_assert_int_eq(n, naive_agents(A, aht, T, target, occ, 0));
        double asa_target = 1 + test_uniform(&rng) * 60;
        ck_assert_ok(kpi_erlang_c_agents_for_asa(A, aht, asa_target, occ, &n));
        ck_assert_int_eq(n, naive_agents(A, aht, 0, asa_target, occ, 1));
    }
}
END_TEST

/* The header promises KPI_ERR_RANGE only when the RESULT overflows, and the
 * result contacts x AHT / interval for contacts = AHT = interval = 1e200 is
 * 1e200 x 1e200 / 1e200 = 1e200, finite; the product 1e400 alone overflowed
 * and the call was refused.  Likewise 1e-200 x 1e-200 / 1e-200 = 1e-200,
 * where the product 1e-400 underflowed to 0 and 0 Erlangs came out.  In the
 * ordinary range the value is unchanged (100 x 180 / 1800 = 10 exactly). */
START_TEST(traffic_is_the_quotient_even_when_the_product_leaves_the_range)
{
    double a = SENTINEL;
    ck_assert_ok(kpi_erlang_traffic(1e200, 1e200, 1e200, &a));
    ck_assert_near(a, 1e200, 1e186);
    ck_assert_ok(kpi_erlang_traffic(1e-200, 1e-200, 1e-200, &a));
    ck_assert_near(a, 1e-200, 1e-214);
    ck_assert_ok(kpi_erlang_traffic(3e300, 2e300, 1e-300, &a)); /* 1.5e-300 */
    ck_assert_near(a, 1.5e-300, 1e-314);
    ck_assert_ok(kpi_erlang_traffic(100, 1800, 180, &a));
    ck_assert(a == 10.0);
    ck_assert_ok(kpi_erlang_traffic(0, 1800, 1e300, &a));
    ck_assert(a == 0.0);
}
END_TEST

/* ---- Erlang A ----------------------------------------------------------- */

/* Erlang A's P(wait) and P(abandon) against the chain for {A, N, r} cases
 * at the given AHT (patience AHT / r). */
static void match_chain(const double (*cases)[3], size_t n, double aht)
{
    for (size_t i = 0; i < n; i++) {
        double A = cases[i][0], r = cases[i][2];
        int N = (int)cases[i][1];
        double pw, pab, rpw, rpab;
        ref_erlang_a(A, N, r, &rpw, &rpab);
        ck_assert_ok(kpi_erlang_a_wait_probability(A, N, aht, aht / r, &pw));
        ck_assert_ok(kpi_erlang_a_abandon_probability(A, N, aht, aht / r, &pab));
        ck_assert_msg(fabs(pw - rpw) <= 1e-10, "case %zu: P(wait) %.15g, chain %.15g", i, pw, rpw);
        ck_assert_msg(fabs(pab - rpab) <= 1e-10 + 1e-9 * rpab,
                      "case %zu: P(abandon) %.15g, chain %.15g", i, pab, rpab);
    }
}

START_TEST(erlang_a_matches_the_birth_death_chain)
{
    /* A, N, r = AHT / patience */
    static const double cases[][3] = {
        {10, 14, 0.5},  {10, 14, 0.01}, {20, 14, 0.3},  {5, 5, 1},
        {100, 90, 0.1}, {950, 1000, 0.2}, {1200, 1000, 0.05}, {3, 10, 5},
        {50, 40, 3},    {0.2, 1, 0.7},  {400, 380, 0.02}, {30, 31, 100}};
    match_chain(cases, sizeof cases / sizeof cases[0], 120);
}
END_TEST

/* With patience far below the AHT (r = AHT / patience up to 1e12, the
 * accepted range), a contact that waits is almost always lost: one that
 * finds q others queued is answered with probability
 * prod_{j=0..q} (N + j r) / (N + (j + 1) r), about N / r for q = 0.  For
 * A = N = 14, r = 1e8: P(wait) = 0.18580354 (B(14, 14) = 0.18580352 plus
 * about B (1 - B) A / r), and P(abandon) = P(wait) (1 - 14 / (1e8 + 14))
 * = P(wait) - 2.6e-8.  The answered waiters wait 1 / (N + r) AHTs, so
 * ASA = P(wait) (N / (N + r)) (180 / (N + r)) / (1 - P(abandon))
 *     = 0.185803539 * 14 * 180 / 1e16 / 0.814196487 = 5.7508e-14 s.
 * The quadrature used to miss the exp(-r u) layer of width 1/r at u = 0:
 * P(abandon) came out as P(wait) - 7e-14 (off by 2.6e-8, the header
 * promises about 1e-10) and the ASA as 1.4e-15 s. */
START_TEST(erlang_a_is_accurate_at_tiny_patience)
{
    static const double cases[][3] = {
        {14, 14, 1e8}, {10, 14, 1e7}, {1200, 1000, 1e10}, {10500, 10000, 1e12}};
    match_chain(cases, sizeof cases / sizeof cases[0], 180);
    double pw, pab, asa;
    ck_assert_ok(kpi_erlang_a_wait_probability(14, 14, 180, 180e-8, &pw));
    ck_assert_ok(kpi_erlang_a_abandon_probability(14, 14, 180, 180e-8, &pab));
    ck_assert_ok(kpi_erlang_a_asa(14, 14, 180, 180e-8, &asa));
    ck_assert_near(pw - pab, 2.6e-8, 0.01e-8);
    ck_assert_near(asa, 5.7508e-14, 0.001e-14);
}
END_TEST

START_TEST(erlang_a_tends_to_erlang_c_as_patience_grows)
{
    static const double cases[][2] = {{10, 14}, {95, 100}, {0.5, 2}, {900, 950}};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        double A = cases[i][0];
        int32_t N = (int32_t)cases[i][1];
        double c, sl_c, asa_c, pw, sl, asa, pab;
        ck_assert_ok(kpi_erlang_c_wait_probability(A, N, &c));
        ck_assert_ok(kpi_erlang_c_service_level(A, N, 180, 20, &sl_c));
        ck_assert_ok(kpi_erlang_c_asa(A, N, 180, &asa_c));
        double patience = 180 * 1e9;
        ck_assert_ok(kpi_erlang_a_wait_probability(A, N, 180, patience, &pw));
        ck_assert_ok(kpi_erlang_a_service_level(A, N, 180, patience, 20, &sl));
        ck_assert_ok(kpi_erlang_a_asa(A, N, 180, patience, &asa));
        ck_assert_ok(kpi_erlang_a_abandon_probability(A, N, 180, patience, &pab));
        ck_assert_near(pw, c, 1e-6);
        ck_assert_near(sl, sl_c, 1e-6);
        ck_assert_near(asa, asa_c, 1e-6 * asa_c + 1e-9);
        ck_assert(pab >= 0.0 && pab < 1e-6);
    }
}
END_TEST

START_TEST(erlang_a_tends_to_erlang_b_as_patience_vanishes)
{
    static const double cases[][2] = {{10, 14}, {20, 14}, {3, 1}, {500, 480}};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        double A = cases[i][0], b, pw, pab, sl;
        int32_t N = (int32_t)cases[i][1];
        ck_assert_ok(kpi_erlang_b(A, N, &b));
        ck_assert_ok(kpi_erlang_a_wait_probability(A, N, 180, 180e-9, &pw));
        ck_assert_ok(kpi_erlang_a_abandon_probability(A, N, 180, 180e-9, &pab));
        ck_assert_ok(kpi_erlang_a_service_level(A, N, 180, 180e-9, 20, &sl));
        ck_assert_near(pw, b, 1e-6);
        ck_assert_near(pab, b, 1e-6);
        ck_assert_near(sl, 1.0 - b, 1e-6);
    }
}
END_TEST

START_TEST(erlang_a_values_stay_in_range)
{
    test_rng rng = {7};
    for (int i = 0; i < 400; i++) {
        int32_t N = (int32_t)test_range(&rng, 1, 300);
        double A = test_uniform(&rng) * 2.0 * N;
        double aht = 10 + test_uniform(&rng) * 600;
        double patience = aht * pow(10.0, -3 + 7 * test_uniform(&rng));
        double T = test_uniform(&rng) * 120;
        double pw, pab, asa, sl, sl0;
        ck_assert_ok(kpi_erlang_a_wait_probability(A, N, aht, patience, &pw));
        ck_assert_ok(kpi_erlang_a_abandon_probability(A, N, aht, patience, &pab));
        ck_assert_ok(kpi_erlang_a_asa(A, N, aht, patience, &asa));
        ck_assert_ok(kpi_erlang_a_service_level(A, N, aht, patience, T, &sl));
        ck_assert_ok(kpi_erlang_a_service_level(A, N, aht, patience, 0, &sl0));
        ck_assert(pw >= 0 && pw <= 1);
        ck_assert(pab >= 0 && pab <= pw + 1e-12);
        ck_assert(isfinite(asa) && asa >= 0);
        ck_assert(sl >= 0 && sl <= 1 - pab + 1e-12);
        ck_assert_near(sl0, 1.0 - pw, 1e-12);
        ck_assert(sl >= sl0 - 1e-12);
        /* abandonment is at most the excess traffic share 1 - N/A
         * plus the Erlang B loss at zero patience: check the flow bound */
        if (A > N)
            ck_assert(pab >= 1.0 - N / A - 1e-9);
    }
}
END_TEST

/* Seeded simulation of a FIFO M/M/N+M queue: each arrival takes the agent
 * that frees first; it waits max(0, free - t) and abandons if that exceeds
 * its patience (abandoners never occupy an agent).  Exact for FIFO. */
typedef struct sim_out {
    double pw, pab, sl, asa;
} sim_out;

static double exp_variate(test_rng *r, double mean)
{
    return -mean * log1p(-test_uniform(r));
}

static sim_out simulate(double lambda, int N, double aht, double patience,
                        double T, long customers, uint64_t seed)
{
    test_rng rng = {seed};
    double *free_at = calloc((size_t)N, sizeof *free_at);
    ck_assert_ptr_nonnull(free_at);
    double t = 0.0, wait_served = 0.0;
    long waited = 0, abandoned = 0, in_time = 0, served = 0, counted = 0;
    long warmup = customers / 20;
    for (long c = 0; c < customers + warmup; c++) {
        t += exp_variate(&rng, 1.0 / lambda);
        int best = 0;
        for (int k = 1; k < N; k++)
            if (free_at[k] < free_at[best])
                best = k;
        double w = free_at[best] > t ? free_at[best] - t : 0.0;
        double pat = exp_variate(&rng, patience);
        double svc = exp_variate(&rng, aht);
        int ab = w > pat;
        if (!ab)
            free_at[best] = t + w + svc;
        if (c < warmup)
            continue;
        counted++;
        waited += w > 0.0;
        if (ab) {
            abandoned++;
        } else {
            served++;
            wait_served += w;
            in_time += w <= T;
        }
    }
    free(free_at);
    sim_out o = {(double)waited / counted, (double)abandoned / counted,
                 (double)in_time / counted, wait_served / served};
    return o;
}

START_TEST(erlang_a_agrees_with_a_seeded_simulation)
{
    /* N, A, AHT, patience, T */
    static const double cases[][5] = {
        {5, 4.5, 1.0, 2.0, 0.2},     /* busy, patient */
        {10, 12.0, 1.0, 0.5, 0.1},   /* overloaded: stable only thanks to abandons */
        {14, 10.0, 180.0, 60.0, 20.0} /* the worked example with 1-minute patience */
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        int N = (int)cases[i][0];
        double A = cases[i][1], aht = cases[i][2], pat = cases[i][3], T = cases[i][4];
        sim_out s = simulate(A / aht, N, aht, pat, T, 400000, 1000 + i);
        double pw, pab, sl, asa;
        ck_assert_ok(kpi_erlang_a_wait_probability(A, N, aht, pat, &pw));
        ck_assert_ok(kpi_erlang_a_abandon_probability(A, N, aht, pat, &pab));
        ck_assert_ok(kpi_erlang_a_service_level(A, N, aht, pat, T, &sl));
        ck_assert_ok(kpi_erlang_a_asa(A, N, aht, pat, &asa));
        /* 400,000 customers: standard errors are below 0.003 even with the
         * queue's autocorrelation; tolerance 0.01 absolute, ASA 5% */
        ck_assert_near(pw, s.pw, 0.01);
        ck_assert_near(pab, s.pab, 0.01);
        ck_assert_near(sl, s.sl, 0.01);
        ck_assert_near(asa, s.asa, 0.05 * s.asa);
    }
}
END_TEST

/* ---- errors: named codes, outputs untouched ----------------------------- */

#define EXPECT_ERR(call, code, var)                                          \
    do {                                                                     \
        var = SENTINEL;                                                      \
        ck_assert_status(call, code);                                        \
        ck_assert(var == SENTINEL);                                          \
    } while (0)

#define EXPECT_IERR(call, code, var)                                         \
    do {                                                                     \
        var = ISENTINEL;                                                     \
        ck_assert_status(call, code);                                        \
        ck_assert_int_eq(var, ISENTINEL);                                    \
    } while (0)

START_TEST(invalid_inputs_are_named_errors_and_write_nothing)
{
    double v;
    int32_t n;
    const double nan = NAN, inf = INFINITY;

    /* traffic */
    ck_assert_status(kpi_erlang_traffic(100, 1800, 180, NULL), KPI_ERR_INVALID);
    EXPECT_ERR(kpi_erlang_traffic(-1, 1800, 180, &v), KPI_ERR_INVALID, v);
    EXPECT_ERR(kpi_erlang_traffic(nan, 1800, 180, &v), KPI_ERR_INVALID, v);
    EXPECT_ERR(kpi_erlang_traffic(100, inf, 180, &v), KPI_ERR_INVALID, v);
    EXPECT_ERR(kpi_erlang_traffic(100, -5, 180, &v), KPI_ERR_INVALID, v);
    EXPECT_ERR(kpi_erlang_traffic(100, 0, 180, &v), KPI_ERR_RANGE, v);
    EXPECT_ERR(kpi_erlang_traffic(100, 1800, -1, &v), KPI_ERR_INVALID, v);
    EXPECT_ERR(kpi_erlang_traffic(1e300, 1e-300, 1e300, &v), KPI_ERR_RANGE, v);

    /* Erlang B */
    ck_assert_status(kpi_erlang_b(1, 1, NULL), KPI_ERR_INVALID);
    EXPECT_ERR(kpi_erlang_b(-1, 1, &v), KPI_ERR_INVALID, v);
    EXPECT_ERR(kpi_erlang_b(nan, 1, &v), KPI_ERR_INVALID, v);
    EXPECT_ERR(kpi_erlang_b(1, 0, &v), KPI_ERR_RANGE, v);

    /* Erlang C wait probability and occupancy */
    ck_assert_status(kpi_erlang_c_wait_probability(1, 2, NULL), KPI_ERR_INVALID);
    EXPECT_ERR(kpi_erlang_c_wait_probability(-1, 2, &v), KPI_ERR_INVALID, v);
    EXPECT_ERR(kpi_erlang_c_wait_probability(nan, 2, &v), KPI_ERR_INVALID, v);
    EXPECT_ERR(kpi_erlang_c_wait_probability(inf, 2, &v), KPI_ERR_INVALID, v);
    EXPECT_ERR(kpi_erlang_c_wait_probability(1, 0, &v), KPI_ERR_RANGE, v);
    EXPECT_ERR(kpi_erlang_c_wait_probability(1, -3, &v), KPI_ERR_RANGE, v);
    EXPECT_ERR(kpi_erlang_c_wait_probability(2, 2, &v), KPI_ERR_RANGE, v);
    EXPECT_ERR(kpi_erlang_c_wait_probability(2.5, 2, &v), KPI_ERR_RANGE, v);
    ck_assert_status(kpi_erlang_c_occupancy(1, 2, NULL), KPI_ERR_INVALID);
    EXPECT_ERR(kpi_erlang_c_occupancy(nan, 2, &v), KPI_ERR_INVALID, v);
    EXPECT_ERR(kpi_erlang_c_occupancy(3, 2, &v), KPI_ERR_RANGE, v);
    EXPECT_ERR(kpi_erlang_c_occupancy(1, 0, &v), KPI_ERR_RANGE, v);

    /* service level, ASA */
    ck_assert_status(kpi_erlang_c_service_level(1, 2, 180, 20, NULL), KPI_ERR_INVALID);
    EXPECT_ERR(kpi_erlang_c_service_level(1, 2, -180, 20, &v), KPI_ERR_INVALID, v);
    EXPECT_ERR(kpi_erlang_c_service_level(1, 2, 0, 20, &v), KPI_ERR_RANGE, v);
    EXPECT_ERR(kpi_erlang_c_service_level(1, 2, nan, 20, &v), KPI_ERR_INVALID, v);
    EXPECT_ERR(kpi_erlang_c_service_level(1, 2, 180, -1, &v), KPI_ERR_INVALID, v);
    EXPECT_ERR(kpi_erlang_c_service_level(1, 2, 180, inf, &v), KPI_ERR_INVALID, v);
    EXPECT_ERR(kpi_erlang_c_service_level(2, 2, 180, 20, &v), KPI_ERR_RANGE, v);
    EXPECT_ERR(kpi_erlang_c_service_level(1, 0, 180, 20, &v), KPI_ERR_RANGE, v);
    ck_assert_status(kpi_erlang_c_asa(1, 2, 180, NULL), KPI_ERR_INVALID);
    EXPECT_ERR(kpi_erlang_c_asa(1, 2, -1, &v), KPI_ERR_INVALID, v);
    EXPECT_ERR(kpi_erlang_c_asa(1, 2, 0, &v), KPI_ERR_RANGE, v);
    EXPECT_ERR(kpi_erlang_c_asa(5, 2, 180, &v), KPI_ERR_RANGE, v);
    EXPECT_ERR(kpi_erlang_c_asa(-5, 2, 180, &v), KPI_ERR_INVALID, v);

    /* agents for a target */
    ck_assert_status(kpi_erlang_c_agents(10, 180, 20, 0.8, 1, NULL), KPI_ERR_INVALID);
    EXPECT_IERR(kpi_erlang_c_agents(-10, 180, 20, 0.8, 1, &n), KPI_ERR_INVALID, n);
    EXPECT_IERR(kpi_erlang_c_agents(nan, 180, 20, 0.8, 1, &n), KPI_ERR_INVALID, n);
    EXPECT_IERR(kpi_erlang_c_agents(10, -180, 20, 0.8, 1, &n), KPI_ERR_INVALID, n);
    EXPECT_IERR(kpi_erlang_c_agents(10, 0, 20, 0.8, 1, &n), KPI_ERR_RANGE, n);
    EXPECT_IERR(kpi_erlang_c_agents(10, 180, -20, 0.8, 1, &n), KPI_ERR_INVALID, n);
    EXPECT_IERR(kpi_erlang_c_agents(10, 180, 20, nan, 1, &n), KPI_ERR_INVALID, n);
    EXPECT_IERR(kpi_erlang_c_agents(10, 180, 20, 1.0, 1, &n), KPI_ERR_RANGE, n);
    EXPECT_IERR(kpi_erlang_c_agents(10, 180, 20, -0.1, 1, &n), KPI_ERR_RANGE, n);
    EXPECT_IERR(kpi_erlang_c_agents(10, 180, 20, 0.8, 0, &n), KPI_ERR_RANGE, n);
    EXPECT_IERR(kpi_erlang_c_agents(10, 180, 20, 0.8, 1.5, &n), KPI_ERR_RANGE, n);
    EXPECT_IERR(kpi_erlang_c_agents(10, 180, 20, 0.8, inf, &n), KPI_ERR_INVALID, n);
    EXPECT_IERR(kpi_erlang_c_agents(3e9, 180, 20, 0.8, 1, &n), KPI_ERR_RANGE, n);
    EXPECT_IERR(kpi_erlang_c_agents(1e6, 180, 20, 0.8, 1e-4, &n), KPI_ERR_RANGE, n);
    ck_assert_status(kpi_erlang_c_agents_for_asa(10, 180, 20, 1, NULL), KPI_ERR_INVALID);
    EXPECT_IERR(kpi_erlang_c_agents_for_asa(10, 180, 0, 1, &n), KPI_ERR_RANGE, n);
    EXPECT_IERR(kpi_erlang_c_agents_for_asa(10, 180, -2, 1, &n), KPI_ERR_INVALID, n);
    EXPECT_IERR(kpi_erlang_c_agents_for_asa(10, 0, 20, 1, &n), KPI_ERR_RANGE, n);
    EXPECT_IERR(kpi_erlang_c_agents_for_asa(10, 180, 20, 0, &n), KPI_ERR_RANGE, n);
    EXPECT_IERR(kpi_erlang_c_agents_for_asa(10, 180, 20, nan, &n), KPI_ERR_INVALID, n);
    EXPECT_IERR(kpi_erlang_c_agents_for_asa(-1, 180, 20, 1, &n), KPI_ERR_INVALID, n);

    /* headcount */
    ck_assert_status(kpi_staffing_headcount(14, 0.3, NULL), KPI_ERR_INVALID);
    EXPECT_IERR(kpi_staffing_headcount(14, nan, &n), KPI_ERR_INVALID, n);
    EXPECT_IERR(kpi_staffing_headcount(14, 1.0, &n), KPI_ERR_RANGE, n);
    EXPECT_IERR(kpi_staffing_headcount(14, -0.1, &n), KPI_ERR_RANGE, n);
    EXPECT_IERR(kpi_staffing_headcount(-1, 0.3, &n), KPI_ERR_RANGE, n);
    EXPECT_IERR(kpi_staffing_headcount(INT32_MAX, 0.5, &n), KPI_ERR_RANGE, n);

    /* Erlang A (the four share one validation; check each entry point) */
    ck_assert_status(kpi_erlang_a_wait_probability(1, 2, 180, 60, NULL), KPI_ERR_INVALID);
    ck_assert_status(kpi_erlang_a_abandon_probability(1, 2, 180, 60, NULL), KPI_ERR_INVALID);
    ck_assert_status(kpi_erlang_a_asa(1, 2, 180, 60, NULL), KPI_ERR_INVALID);
    ck_assert_status(kpi_erlang_a_service_level(1, 2, 180, 60, 20, NULL), KPI_ERR_INVALID);
    EXPECT_ERR(kpi_erlang_a_wait_probability(-1, 2, 180, 60, &v), KPI_ERR_INVALID, v);
    EXPECT_ERR(kpi_erlang_a_wait_probability(1, 0, 180, 60, &v), KPI_ERR_RANGE, v);
    EXPECT_ERR(kpi_erlang_a_wait_probability(1, 2, 0, 60, &v), KPI_ERR_RANGE, v);
    EXPECT_ERR(kpi_erlang_a_wait_probability(1, 2, 180, 0, &v), KPI_ERR_RANGE, v);
    EXPECT_ERR(kpi_erlang_a_wait_probability(1, 2, 180, -60, &v), KPI_ERR_INVALID, v);
    EXPECT_ERR(kpi_erlang_a_wait_probability(1, 2, 180, inf, &v), KPI_ERR_INVALID, v);
    EXPECT_ERR(kpi_erlang_a_wait_probability(1, 2, 1, 1e13, &v), KPI_ERR_RANGE, v);
    EXPECT_ERR(kpi_erlang_a_abandon_probability(nan, 2, 180, 60, &v), KPI_ERR_INVALID, v);
    EXPECT_ERR(kpi_erlang_a_abandon_probability(1, -2, 180, 60, &v), KPI_ERR_RANGE, v);
    EXPECT_ERR(kpi_erlang_a_abandon_probability(1, 2, 1, 1e-13, &v), KPI_ERR_RANGE, v);
    EXPECT_ERR(kpi_erlang_a_asa(1, 2, nan, 60, &v), KPI_ERR_INVALID, v);
    EXPECT_ERR(kpi_erlang_a_asa(1, 0, 180, 60, &v), KPI_ERR_RANGE, v);
    EXPECT_ERR(kpi_erlang_a_service_level(1, 2, 180, 60, -1, &v), KPI_ERR_INVALID, v);
    EXPECT_ERR(kpi_erlang_a_service_level(1, 2, 180, 60, nan, &v), KPI_ERR_INVALID, v);
    EXPECT_ERR(kpi_erlang_a_service_level(1, 2, 180, nan, 20, &v), KPI_ERR_INVALID, v);
    EXPECT_ERR(kpi_erlang_a_service_level(1, 0, 180, 60, 20, &v), KPI_ERR_RANGE, v);
}
END_TEST

START_TEST(erlang_a_with_no_traffic_or_overload)
{
    double pw, pab, asa, sl;
    ck_assert_ok(kpi_erlang_a_wait_probability(0, 3, 180, 60, &pw));
    ck_assert_ok(kpi_erlang_a_abandon_probability(0, 3, 180, 60, &pab));
    ck_assert_ok(kpi_erlang_a_asa(0, 3, 180, 60, &asa));
    ck_assert_ok(kpi_erlang_a_service_level(0, 3, 180, 60, 20, &sl));
    ck_assert(pw == 0.0 && pab == 0.0 && asa == 0.0 && sl == 1.0);
    /* heavy overload: almost everyone waits, abandonment ~ 1 - N/A */
    ck_assert_ok(kpi_erlang_a_wait_probability(2000, 1000, 180, 60, &pw));
    ck_assert_ok(kpi_erlang_a_abandon_probability(2000, 1000, 180, 60, &pab));
    ck_assert_near(pw, 1.0, 1e-9);
    ck_assert_near(pab, 0.5, 1e-3);
    /* 10,000 agents: finite, in range */
    ck_assert_ok(kpi_erlang_a_service_level(9900, 10000, 180, 120, 20, &sl));
    ck_assert(sl > 0.0 && sl <= 1.0);
    ck_assert_ok(kpi_erlang_a_asa(9900, 10000, 180, 120, &asa));
    ck_assert(isfinite(asa) && asa >= 0.0);
}
END_TEST

/* target ASA / AHT below the smallest double: no finite answer */
START_TEST(a_target_asa_that_underflows_against_the_aht_is_out_of_range)
{
    int32_t n = -7;
    ck_assert_status(kpi_erlang_c_agents_for_asa(10.0, 1e300, 5e-324, 1.0, &n), KPI_ERR_RANGE);
    ck_assert_int_eq(n, -7);
    ck_assert_ok(kpi_erlang_c_agents_for_asa(10.0, 1e300, 1e-10, 1.0, &n));
    ck_assert_int_gt(n, 10);
}
END_TEST

/* The occupancy cap A / N <= max_occupancy holds with equality when A / N
 * is exactly the cap: 10.5 Erlangs at 70% need 15 agents (10.5 / 15 = 0.7),
 * although 10.5 / 0.7 rounds to 15.000000000000002 in doubles; likewise
 * 21 Erlangs at 70% -> 30, 4.2 at 60% -> 7, 8.4 at 60% -> 14. */
START_TEST(an_occupancy_exactly_at_the_cap_is_allowed)
{
    static const double cases[][3] = {
        {10.5, 0.7, 15}, {21.0, 0.7, 30}, {4.2, 0.6, 7}, {8.4, 0.6, 14}, {42.0, 0.7, 60}};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        double A = cases[i][0], occ = cases[i][1];
        int32_t want = (int32_t)cases[i][2], n = ISENTINEL;
        ck_assert(A / want <= occ && A / (want - 1) > occ);
        ck_assert_ok(kpi_erlang_c_agents(A, 180, 20, 0.0, occ, &n));
        ck_assert_msg(n == want, "A = %g, cap %g: %d agents, want %d", A, occ, n, want);
        ck_assert_ok(kpi_erlang_c_agents_for_asa(A, 180, 1e6, occ, &n));
        ck_assert_msg(n == want, "ASA: A = %g, cap %g: %d agents, want %d", A, occ, n, want);
        double o;
        ck_assert_ok(kpi_erlang_c_occupancy(A, want, &o));
        ck_assert(o <= occ);
    }
}
END_TEST

/* A decimal traffic whose occupancy at N agents is the decimal cap exactly
 * meets the cap, though A / N in doubles may lie one unit in the last place
 * above it: 4.2 Erlangs at 70% need 6 agents (4.2 / 6 = 0.7000000000000001
 * in doubles), 2.1 at 70% need 3; swept over caps and N up to 400, with A
 * the double nearest N x cap written in decimal. */
START_TEST(a_decimal_occupancy_at_the_cap_is_allowed)
{
    static const double caps[] = {0.6, 0.65, 0.7, 0.75, 0.78, 0.8, 0.83, 0.85, 0.9, 0.95};
    for (size_t i = 0; i < sizeof caps / sizeof caps[0]; i++) {
        long pct = lround(caps[i] * 100.0);
        for (int32_t want = 1; want <= 400; want++) {
            double A = (double)(pct * want) / 100.0;
            int32_t n = ISENTINEL;
            ck_assert_ok(kpi_erlang_c_agents(A, 180, 20, 0.0, caps[i], &n));
            ck_assert_msg(n == want, "A = %.17g, cap %g: %d agents, want %d", A,
                          caps[i], n, want);
            n = ISENTINEL;
            ck_assert_ok(kpi_erlang_c_agents_for_asa(A, 180, 1e6, caps[i], &n));
            ck_assert_msg(n == want, "ASA: A = %.17g, cap %g: %d agents, want %d",
                          A, caps[i], n, want);
        }
    }
}
END_TEST

/* ---- review: M/M/1, monotone targets, Erlang A by the tagged customer --- */

START_TEST(one_agent_is_the_m_m_1_queue)
{
    /* rho = A: P(wait) = rho, SL = 1 - rho exp(-(1 - rho) T / AHT),
     * ASA = rho AHT / (1 - rho), occupancy rho */
    static const double rhos[] = {0.001, 0.3, 0.75, 0.999};
    for (size_t i = 0; i < sizeof rhos / sizeof rhos[0]; i++) {
        double A = rhos[i], pw, sl, asa, occ;
        ck_assert_ok(kpi_erlang_c_wait_probability(A, 1, &pw));
        ck_assert_near(pw, A, 1e-15);
        ck_assert_ok(kpi_erlang_c_service_level(A, 1, 240, 30, &sl));
        ck_assert_near(sl, 1 - A * exp(-(1 - A) * 30.0 / 240.0), 1e-15);
        ck_assert_ok(kpi_erlang_c_asa(A, 1, 240, &asa));
        ck_assert_near(asa, A * 240 / (1 - A), 1e-12 * asa);
        ck_assert_ok(kpi_erlang_c_occupancy(A, 1, &occ));
        ck_assert_near(occ, A, 0);
    }
    int32_t n = ISENTINEL;
    ck_assert_ok(kpi_erlang_c_agents(0.5, 240, 30, 0.0, 1.0, &n));
    ck_assert_int_eq(n, 1);
    /* 1 - 0.5 exp(-0.5 * 30 / 240) = 0.5303: 53% met by one agent, 54% not */
    ck_assert_ok(kpi_erlang_c_agents(0.5, 240, 30, 0.53, 1.0, &n));
    ck_assert_int_eq(n, 1);
    ck_assert_ok(kpi_erlang_c_agents(0.5, 240, 30, 0.54, 1.0, &n));
    ck_assert_int_eq(n, 2);
    double v = SENTINEL;
    ck_assert_status(kpi_erlang_c_wait_probability(1.0, 1, &v), KPI_ERR_RANGE);
    ck_assert(v == SENTINEL);
}
END_TEST

START_TEST(agents_needed_never_fall_as_the_target_rises)
{
    static const double traffic[] = {0.3, 10, 47.5, 800, 9500};
    for (size_t i = 0; i < sizeof traffic / sizeof traffic[0]; i++) {
        int32_t prev = 0, prev_asa = INT32_MAX;
        for (int k = 0; k <= 99; k++) {
            double target = k / 100.0;
            int32_t n = 0;
            ck_assert_ok(kpi_erlang_c_agents(traffic[i], 180, 20, target, 0.95, &n));
            ck_assert_msg(n >= prev, "A = %g: %d agents at %g, %d before", traffic[i], n,
                          target, prev);
            double sl;
            ck_assert_ok(kpi_erlang_c_service_level(traffic[i], n, 180, 20, &sl));
            ck_assert(sl >= target);
            prev = n;
            /* a longer acceptable ASA never needs more agents */
            ck_assert_ok(kpi_erlang_c_agents_for_asa(traffic[i], 180, 1.0 + k, 1.0, &n));
            ck_assert(n <= prev_asa);
            prev_asa = n;
        }
    }
}
END_TEST

START_TEST(erlang_c_at_10000_agents_gives_finite_values_everywhere)
{
    double pw, sl, asa, occ;
    ck_assert_ok(kpi_erlang_c_wait_probability(9990, 10000, &pw));
    ck_assert_ok(kpi_erlang_c_service_level(9990, 10000, 180, 20, &sl));
    ck_assert_ok(kpi_erlang_c_asa(9990, 10000, 180, &asa));
    ck_assert_ok(kpi_erlang_c_occupancy(9990, 10000, &occ));
    ck_assert(isfinite(pw) && pw > 0 && pw < 1);
    ck_assert_near(sl, 1 - pw * exp(-10.0 * 20 / 180), 1e-15);
    ck_assert_near(asa, pw * 180 / 10, 1e-12 * asa);
    ck_assert_near(occ, 0.999, 1e-15);
    ck_assert_near(pw, ref_erlang_c_log(9990, 10000), 1e-9);
    int32_t n;
    ck_assert_ok(kpi_erlang_c_agents(9990, 180, 20, 0.8, 1.0, &n));
    ck_assert(n > 9990 && n < 10200);
    ck_assert_ok(kpi_erlang_c_service_level(9990, n, 180, 20, &sl));
    ck_assert(sl >= 0.8);
    ck_assert_ok(kpi_erlang_c_service_level(9990, n - 1, 180, 20, &sl));
    ck_assert(sl < 0.8);
    double b;
    ck_assert_ok(kpi_erlang_b(20000, 10000, &b));
    ck_assert(isfinite(b) && b > 0.49 && b < 0.51); /* ~ 1 - N / A */
}
END_TEST

/* Erlang A followed for one tagged arrival: it sees N + q in the system
 * with the stationary probability of the chain (PASTA), then the number j
 * of contacts ahead of it falls at rate N + j r (services and their
 * abandonments) while it abandons itself at rate r; from j = 0 it is
 * answered at rate N.  p_j(t) = P(still waiting, j ahead at t), integrated
 * by RK4 (time in AHT units); SL(T) = P(no wait) + int_0^T N p_0,
 * ASA = int t N p_0 / P(answered). */
static void ref_erlang_a_tagged(double A, int N, double r, double T, double *sl,
                                double *asa)
{
    enum { J = 400 };
    long double pi[J], head = 0, t = 1, tot;
    for (int k = 0; k < N; k++) {
        head += t;
        t *= (long double)A / (k + 1);
    }
    for (int j = 0; j < J; j++) {
        pi[j] = t;
        t *= (long double)A / (N + (j + 1) * (long double)r);
    }
    tot = head;
    for (int j = 0; j < J; j++)
        tot += pi[j];
    static double p[J], k1[J], k2[J], k3[J], k4[J], tmp[J];
    for (int j = 0; j < J; j++)
        p[j] = (double)(pi[j] / tot);
    double h = 1e-3 / (1 + r), time = 0, in_t = 0, ans = 0, wsum = 0;
    double pwait = 0;
    for (int j = 0; j < J; j++)
        pwait += p[j];
#define DERIV(src, dst)                                                        \
    for (int j = 0; j < J; j++)                                                \
        dst[j] = -(N + j * r + r) * src[j] +                                   \
                 (j + 1 < J ? (N + (j + 1) * r) * src[j + 1] : 0.0);
    for (;;) {
        double mass = 0;
        for (int j = 0; j < J; j++)
            mass += p[j];
        if (mass < 1e-16 * pwait || time > 1e4)
            break;
        /* Simpson on the flux N p_0 over the step, from the RK4 stages */
        double f0 = N * p[0];
        DERIV(p, k1);
        for (int j = 0; j < J; j++) tmp[j] = p[j] + 0.5 * h * k1[j];
        DERIV(tmp, k2);
        double fm = N * tmp[0];
        for (int j = 0; j < J; j++) tmp[j] = p[j] + 0.5 * h * k2[j];
        DERIV(tmp, k3);
        fm = 0.5 * (fm + N * tmp[0]);
        for (int j = 0; j < J; j++) tmp[j] = p[j] + h * k3[j];
        DERIV(tmp, k4);
        for (int j = 0; j < J; j++)
            p[j] += h / 6 * (k1[j] + 2 * k2[j] + 2 * k3[j] + k4[j]);
        double f1 = N * p[0];
        double flux = h / 6 * (f0 + 4 * fm + f1);
        double tflux = h / 6 * (time * f0 + 4 * (time + h / 2) * fm + (time + h) * f1);
        if (time + h <= T + 1e-12)
            in_t += flux;
        ans += flux;
        wsum += tflux;
        time += h;
    }
#undef DERIV
    *sl = (1 - pwait) + in_t;
    *asa = wsum / ((1 - pwait) + ans);
}

START_TEST(erlang_a_service_level_and_asa_follow_the_tagged_customer)
{
    /* A, N, r = AHT / patience, T in AHTs (T a multiple of the step) */
    static const double cases[][4] = {
        {4.5, 5, 0.5, 0.2}, {12, 10, 2, 0.1}, {3, 2, 0.1, 0.5}, {1.5, 3, 1, 0.05},
        {12, 10, 0.1, 0.5}, {30, 10, 0.2, 3} /* T before the peak of the wait density */};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        double A = cases[i][0], r = cases[i][2], T = cases[i][3];
        int N = (int)cases[i][1];
        double rsl, rasa, sl, asa;
        ref_erlang_a_tagged(A, N, r, T, &rsl, &rasa);
        const double aht = 100;
        ck_assert_ok(kpi_erlang_a_service_level(A, N, aht, aht / r, T * aht, &sl));
        ck_assert_ok(kpi_erlang_a_asa(A, N, aht, aht / r, &asa));
        ck_assert_msg(fabs(sl - rsl) < 1e-9, "case %zu: SL %.12g, reference %.12g", i, sl, rsl);
        ck_assert_msg(fabs(asa - rasa * aht) < 1e-9 * rasa * aht,
                      "case %zu: ASA %.12g, reference %.12g", i, asa, rasa * aht);
    }
}
END_TEST

START_TEST(erlang_a_approaches_erlang_c_as_patience_grows)
{
    /* the gap to Erlang C shrinks with the abandonment rate r */
    double c, sl_c;
    ck_assert_ok(kpi_erlang_c_wait_probability(10, 14, &c));
    ck_assert_ok(kpi_erlang_c_service_level(10, 14, 180, 20, &sl_c));
    double prev = INFINITY, prev_sl = INFINITY;
    for (int k = 1; k <= 12; k++) {
        double pw, sl, pab;
        double patience = 180 * pow(10.0, k);
        ck_assert_ok(kpi_erlang_a_wait_probability(10, 14, 180, patience, &pw));
        ck_assert_ok(kpi_erlang_a_service_level(10, 14, 180, patience, 20, &sl));
        ck_assert_ok(kpi_erlang_a_abandon_probability(10, 14, 180, patience, &pab));
        ck_assert(pab >= 0 && pab <= 1);
        double d = fabs(pw - c), dsl = fabs(sl - sl_c);
        ck_assert_msg(d <= prev + 1e-12 && dsl <= prev_sl + 1e-12,
                      "patience 1e%d AHT: |P(wait) - C| = %g, |SL - SL_C| = %g", k, d, dsl);
        ck_assert(d < 0.1 * pow(10.0, -k) + 1e-9); /* O(r) */
        prev = d;
        prev_sl = dsl;
    }
    ck_assert(prev < 1e-9);
}
END_TEST

/* The agents for a target are the smallest N whose kpi_erlang_c_service_level()
 * (kpi_erlang_c_asa()) meets it: asking for the very value N agents give
 * must return N.  10 Erlangs, AHT 180 s, 20 s: SL(13) = 0.79559..., and a
 * target of exactly that needs 13 agents, not 14. */
START_TEST(a_target_equal_to_what_n_agents_give_needs_n_agents)
{
    static const double traffic[] = {10, 15, 20, 47.5, 333.3};
    for (size_t i = 0; i < sizeof traffic / sizeof traffic[0]; i++) {
        double A = traffic[i];
        for (int32_t N = (int32_t)floor(A) + 1; N <= (int32_t)floor(A) + 15; N++) {
            double sl, asa;
            int32_t n = ISENTINEL;
            ck_assert_ok(kpi_erlang_c_service_level(A, N, 180, 20, &sl));
            if (sl < 1.0) {
                ck_assert_ok(kpi_erlang_c_agents(A, 180, 20, sl, 1.0, &n));
                ck_assert_msg(n == N, "A = %g: target SL(%d) = %.17g gave %d agents", A, N,
                              sl, n);
            }
            ck_assert_ok(kpi_erlang_c_asa(A, N, 180, &asa));
            if (asa > 0.0) {
                ck_assert_ok(kpi_erlang_c_agents_for_asa(A, 180, asa, 1.0, &n));
                ck_assert_msg(n == N, "A = %g: target ASA(%d) = %.17g gave %d agents", A,
                              N, asa, n);
            }
        }
    }
}
END_TEST

/* Every double argument of every function: NaN and +-infinity are
 * KPI_ERR_INVALID, and so is a negative traffic, count or time; a negative
 * share (target, occupancy cap, shrinkage) is off its scale, KPI_ERR_RANGE.
 * Nothing is written. */
START_TEST(every_non_finite_or_negative_argument_is_named_and_writes_nothing)
{
    const double bad[4] = {NAN, INFINITY, -INFINITY, -1.0};
    for (int b = 0; b < 4; b++) {
        const double x = bad[b];
        const int share = b == 3 ? KPI_ERR_RANGE : KPI_ERR_INVALID;
        double v;
        int32_t n;
        for (int pos = 0; pos < 3; pos++) {
            double a[3] = {100, 1800, 180};
            a[pos] = x;
            EXPECT_ERR(kpi_erlang_traffic(a[0], a[1], a[2], &v), KPI_ERR_INVALID, v);
        }
        EXPECT_ERR(kpi_erlang_b(x, 3, &v), KPI_ERR_INVALID, v);
        EXPECT_ERR(kpi_erlang_c_wait_probability(x, 3, &v), KPI_ERR_INVALID, v);
        EXPECT_ERR(kpi_erlang_c_occupancy(x, 3, &v), KPI_ERR_INVALID, v);
        for (int pos = 0; pos < 3; pos++) {
            double a[3] = {10, 180, 20};
            a[pos] = x;
            EXPECT_ERR(kpi_erlang_c_service_level(a[0], 14, a[1], a[2], &v), KPI_ERR_INVALID,
                       v);
            if (pos < 2)
                EXPECT_ERR(kpi_erlang_c_asa(a[0], 14, a[1], &v), KPI_ERR_INVALID, v);
        }
        for (int pos = 0; pos < 5; pos++) {
            double a[5] = {10, 180, 20, 0.8, 0.85};
            a[pos] = x;
            EXPECT_IERR(kpi_erlang_c_agents(a[0], a[1], a[2], a[3], a[4], &n),
                        pos < 3 ? KPI_ERR_INVALID : share, n);
        }
        for (int pos = 0; pos < 4; pos++) {
            double a[4] = {10, 180, 20, 0.85};
            a[pos] = x;
            EXPECT_IERR(kpi_erlang_c_agents_for_asa(a[0], a[1], a[2], a[3], &n),
                        pos < 3 ? KPI_ERR_INVALID : share, n);
        }
        EXPECT_IERR(kpi_staffing_headcount(14, x, &n), share, n);
        for (int pos = 0; pos < 4; pos++) {
            double a[4] = {10, 180, 120, 20};
            a[pos] = x;
            EXPECT_ERR(kpi_erlang_a_service_level(a[0], 14, a[1], a[2], a[3], &v),
                       KPI_ERR_INVALID, v);
            if (pos == 3)
                continue;
            EXPECT_ERR(kpi_erlang_a_wait_probability(a[0], 14, a[1], a[2], &v),
                       KPI_ERR_INVALID, v);
            EXPECT_ERR(kpi_erlang_a_abandon_probability(a[0], 14, a[1], a[2], &v),
                       KPI_ERR_INVALID, v);
            EXPECT_ERR(kpi_erlang_a_asa(a[0], 14, a[1], a[2], &v), KPI_ERR_INVALID, v);
        }
    }
}
END_TEST

/* INT32_MAX agents, a count the header accepts ("stable for any number of
 * agents that fits an int32_t"): the Erlang B recursion counted its agents
 * in an int32_t up to N inclusive, so after the last agent n++ overflowed
 * (undefined behaviour; the sanitizer build stops there).  With 10 Erlangs
 * B(N) = 10^N / N! / sum_{k<=N} 10^k / k! is below 10^-1000 long before
 * N = 2^31 - 1 (10^200 / 200! ~ 1.3e-175 already), so B, C and the Erlang A
 * probabilities are 0 in doubles, and the Erlang A service level is
 * 1 - 0 = 1. */
START_TEST(int32_max_agents_are_counted_without_overflow)
{
    double b = SENTINEL, c = SENTINEL, pw = SENTINEL, sl = SENTINEL;
    ck_assert_ok(kpi_erlang_b(10, INT32_MAX, &b));
    ck_assert_ok(kpi_erlang_c_wait_probability(10, INT32_MAX, &c));
    ck_assert_ok(kpi_erlang_a_wait_probability(10, INT32_MAX, 180, 60, &pw));
    ck_assert_ok(kpi_erlang_a_service_level(10, INT32_MAX, 180, 60, 20, &sl));
    ck_assert(b == 0.0 && c == 0.0 && pw == 0.0 && sl == 1.0);
}
END_TEST

static Suite *staffing_suite(void)
{
    Suite *s = suite_create("staffing");
    TCase *tc = tcase_create("erlang");
    tcase_add_test(tc, a_target_asa_that_underflows_against_the_aht_is_out_of_range);
    tcase_add_test(tc, worked_example_100_contacts_in_30_minutes_at_3_minutes_aht);
    tcase_add_test(tc, occupancy_cap_raises_the_agents_needed);
    tcase_add_test(tc, headcount_rounds_up_after_shrinkage);
    tcase_add_test(tc, erlang_b_and_c_match_the_textbook_sums);
    tcase_add_test(tc, erlang_c_formulas_for_service_level_and_asa);
    tcase_add_test(tc, erlang_c_is_stable_and_monotone_at_10000_agents);
    tcase_add_test(tc, service_level_rises_with_agents_and_falls_with_traffic);
    tcase_add_test(tc, agents_search_equals_a_scan_from_one_agent);
    tcase_add_test(tc, erlang_a_matches_the_birth_death_chain);
    tcase_add_test(tc, erlang_a_tends_to_erlang_c_as_patience_grows);
    tcase_add_test(tc, erlang_a_is_accurate_at_tiny_patience);
    tcase_add_test(tc, erlang_a_tends_to_erlang_b_as_patience_vanishes);
    tcase_add_test(tc, erlang_a_values_stay_in_range);
    tcase_add_test(tc, erlang_a_agrees_with_a_seeded_simulation);
    tcase_add_test(tc, invalid_inputs_are_named_errors_and_write_nothing);
    tcase_add_test(tc, erlang_a_with_no_traffic_or_overload);
    tcase_add_test(tc, an_occupancy_exactly_at_the_cap_is_allowed);
    tcase_add_test(tc, a_decimal_occupancy_at_the_cap_is_allowed);
    tcase_add_test(tc, a_target_equal_to_what_n_agents_give_needs_n_agents);
    tcase_add_test(tc, every_non_finite_or_negative_argument_is_named_and_writes_nothing);
    tcase_add_test(tc, one_agent_is_the_m_m_1_queue);
    tcase_add_test(tc, agents_needed_never_fall_as_the_target_rises);
    tcase_add_test(tc, erlang_c_at_10000_agents_gives_finite_values_everywhere);
    tcase_add_test(tc, erlang_a_service_level_and_asa_follow_the_tagged_customer);
    tcase_add_test(tc, erlang_a_approaches_erlang_c_as_patience_grows);
    tcase_add_test(tc, traffic_is_the_quotient_even_when_the_product_leaves_the_range);
    tcase_add_test(tc, int32_max_agents_are_counted_without_overflow);
    suite_add_tcase(s, tc);
    return s;
}

KPI_TEST_MAIN(staffing_suite)
