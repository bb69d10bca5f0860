/*
 * Staffing: Erlang B, Erlang C (M/M/N) and Erlang A (M/M/N+M) as pure
 * functions.  No state, no allocation.
 * SPDX-License-Identifier: MIT
 *
 * Erlang B is carried in reciprocal form, x(n) = 1 / B(n):
 *     x(0) = 1,   x(n) = 1 + (n / A) x(n-1)
 * which is B(n) = A B(n-1) / (n + A B(n-1)) inverted: one multiply and one
 * add per agent, no division in the dependency chain, and no overflow
 * trouble (x may reach +inf when B underflows, and 1/inf = 0 is the right
 * answer).  Erlang C is then C = N B / (N - A (1 - B)) = N / (x (N - A) + A).
 *
 * Erlang A.  Work in units of the AHT (mu = 1) with r = AHT / patience
 * (the abandonment rate per waiting contact).  The stationary distribution
 * of the birth-death chain (birth A, death min(k, N) + r max(k - N, 0))
 * has, relative to the states 0..N normalised as in Erlang B,
 *     P(wait) = B S / (1 + B (S - 1)),
 *     S = sum_{q >= 0} A^q / prod_{j=1..q} (N + j r)
 *       = N * integral_0^inf exp(phi(u)) du,
 *     phi(u) = -N u + (A / r) (1 - exp(-r u))
 * (Beta-function integral of each term, then the sum is an exponential
 * series).  A contact that finds q others queued reaches an agent after a
 * sum of exponential stages with rates N + j r (j = q..0) unless its own
 * exponential patience runs out first; summing over q with the stationary
 * weights gives the (defective) density of the wait of ANSWERED contacts
 *     P(answered, wait in du) = P(wait) exp(phi(u) - r u) du / I0,
 *     I0 = integral_0^inf exp(phi(u)) du,
 * (Garnett, Mandelbaum and Reiman 2002; Zeltyn and Mandelbaum 2005).  Hence
 *     P(abandon)          = P(wait) * int exp(phi) (1 - e^{-ru}) / I0
 *     P(answered, W <= T) = (1 - P(wait)) + P(wait) * int_0^T exp(phi - ru) / I0
 *     E[W; answered]      = P(wait) * int u exp(phi - ru) / I0.
 * phi is concave: it peaks at u* = ln(A/N) / r when A > N, at 0 otherwise.
 * Writing u = u* + d and A' = min(A, N),
 *     phi(u) - phi(u*) = -(N - A') d - (A' / r) psi(r d),
 *     psi(y) = exp(-y) - 1 + y >= 0
 * is evaluated without cancellation (series near 0), so the shape of the
 * integrand is exact even when A / r is huge.  The integrals run over the
 * interval where phi - phi(u*) >= -40 (found by doubling from the
 * quadratic estimate, so the interval is at most twice the needed width);
 * the neglected tails are below e^-40 ~ 4e-18 of the peak times a length
 * comparable to the kept interval, i.e. < 1e-15 relative.  Each side of
 * the peak is integrated by 16 uniform panels of 8-point Gauss-Legendre,
 * the panel at the peak split dyadically 16 more times, and further until
 * it is no wider than 1/r (the integrand has features at the 1/r scale of
 * psi and of exp(-r u) as well as the peak's width); against
 * an exact long-double summation of the chain the wait and abandon
 * probabilities agree to about 1e-14 (tests/test_staffing.c asserts 1e-10).
 */
#include <float.h>
#include <math.h>
#include <stdint.h>

#include "internal.h"
#include "kpi/staffing.h"

/* ---- argument checks ---------------------------------------------------- */

/* A finite, non-negative value: else KPI_ERR_INVALID. */
static int check_nonneg(double v)
{
    return (isfinite(v) && v >= 0.0) ? KPI_OK : KPI_ERR_INVALID;
}

/* A finite, strictly positive value: negative/NaN/inf -> INVALID, 0 -> RANGE. */
static int check_positive(double v)
{
    if (!isfinite(v) || v < 0.0)
        return KPI_ERR_INVALID;
    return v > 0.0 ? KPI_OK : KPI_ERR_RANGE;
}

/* ---- Erlang B / C ------------------------------------------------------- */

/* x(N) = 1 / B(N, A) by the reciprocal recursion; *xm1 = x(N) - 1 without
 * cancellation.  A > 0, N >= 1.  The count is 64-bit (an int32_t n++ past
 * N = INT32_MAX overflows), and once x is +inf it stays +inf (n / A > 0),
 * so the loop stops there. */
static double erlang_b_recip(double A, int32_t N, double *xm1)
{
    const double inv = 1.0 / A;
    double x = 1.0, d = 0.0;
    for (int64_t n = 1; n <= N && x <= DBL_MAX; n++) {
        d = ((double)n * inv) * x;
        x = 1.0 + d;
    }
    if (xm1)
        *xm1 = d;
    return x;
}

/* Erlang C from x = 1/B: N / (x (N - A) + A); requires A < N. */
static double erlang_c_from_recip(double A, int32_t N, double x)
{
    double n = (double)N;
    return n / (x * (n - A) + A);
}

/* Common validation of (traffic, agents) for Erlang C; checks stability. */
static int check_c(double traffic, int32_t agents)
{
    int rc = check_nonneg(traffic);
    if (rc != KPI_OK)
        return rc;
    if (agents <= 0 || traffic >= (double)agents)
        return KPI_ERR_RANGE;
    return KPI_OK;
}

static double erlang_c(double A, int32_t N)
{
    if (A == 0.0)
        return 0.0;
    return erlang_c_from_recip(A, N, erlang_b_recip(A, N, NULL));
}

/* The service level and the ASA from the wait probability pw = C(N, A),
 * as kpi_erlang_c_service_level() and kpi_erlang_c_asa() give them; the
 * agent searches compare these very values with the target. */
static double sl_from_pw(double A, int32_t N, double pw, double aht, double T)
{
    double sl = 1.0 - pw * exp(-((double)N - A) * T / aht);
    return sl < 0.0 ? 0.0 : sl;
}

static double asa_from_pw(double A, int32_t N, double pw, double aht)
{
    return pw * aht / ((double)N - A);
}

KPI_API int kpi_erlang_traffic(double contacts, double interval_s, double aht_s,
                               double *erlangs)
{
    if (erlangs == NULL)
        return KPI_ERR_INVALID;
    int rc;
    if ((rc = check_nonneg(contacts)) != KPI_OK ||
        (rc = check_positive(interval_s)) != KPI_OK ||
        (rc = check_nonneg(aht_s)) != KPI_OK)
        return rc;
    /* contacts x aht / interval on the mantissas (each in [0.5, 1), so the
     * product and the quotient can neither overflow nor underflow), the
     * exponents added apart: the product alone may leave the range of a
     * double (1e200 x 1e200) when the result does not; scaling by powers of
     * two is exact, so in range this rounds exactly as the plain formula */
    int ec, ea, ei;
    double mc = frexp(contacts, &ec), ma = frexp(aht_s, &ea);
    double mi = frexp(interval_s, &ei);
    double a = ldexp(mc * ma / mi, ec + ea - ei);
    if (!isfinite(a))
        return KPI_ERR_RANGE;
    *erlangs = a;
    return KPI_OK;
}

KPI_API int kpi_erlang_b(double traffic, int32_t agents, double *blocking)
{
    if (blocking == NULL)
        return KPI_ERR_INVALID;
    int rc = check_nonneg(traffic);
    if (rc != KPI_OK)
        return rc;
    if (agents <= 0)
        return KPI_ERR_RANGE;
    *blocking = traffic == 0.0 ? 0.0 : 1.0 / erlang_b_recip(traffic, agents, NULL);
    return KPI_OK;
}

KPI_API int kpi_erlang_c_wait_probability(double traffic, int32_t agents,
                                          double *p_wait)
{
    if (p_wait == NULL)
        return KPI_ERR_INVALID;
    int rc = check_c(traffic, agents);
    if (rc != KPI_OK)
        return rc;
    *p_wait = erlang_c(traffic, agents);
    return KPI_OK;
}

KPI_API int kpi_erlang_c_service_level(double traffic, int32_t agents,
                                       double aht_s, double threshold_s,
                                       double *service_level)
{
    if (service_level == NULL)
        return KPI_ERR_INVALID;
    int rc;
    if ((rc = check_nonneg(traffic)) != KPI_OK ||
        (rc = check_positive(aht_s)) != KPI_OK ||
        (rc = check_nonneg(threshold_s)) != KPI_OK ||
        (rc = check_c(traffic, agents)) != KPI_OK)
        return rc;
    *service_level = sl_from_pw(traffic, agents, erlang_c(traffic, agents), aht_s,
                                threshold_s);
    return KPI_OK;
}

KPI_API int kpi_erlang_c_asa(double traffic, int32_t agents, double aht_s,
                             double *asa_s)
{
    if (asa_s == NULL)
        return KPI_ERR_INVALID;
    int rc;
    if ((rc = check_nonneg(traffic)) != KPI_OK ||
        (rc = check_positive(aht_s)) != KPI_OK ||
        (rc = check_c(traffic, agents)) != KPI_OK)
        return rc;
    double asa = asa_from_pw(traffic, agents, erlang_c(traffic, agents), aht_s);
    if (!isfinite(asa))
        return KPI_ERR_RANGE;
    *asa_s = asa;
    return KPI_OK;
}

KPI_API int kpi_erlang_c_occupancy(double traffic, int32_t agents,
                                   double *occupancy)
{
    if (occupancy == NULL)
        return KPI_ERR_INVALID;
    int rc = check_c(traffic, agents);
    if (rc != KPI_OK)
        return rc;
    *occupancy = traffic / (double)agents;
    return KPI_OK;
}

/* Whether N agents meet the occupancy cap: A / N <= max_occ, an A / N
 * within a relative 1e-9 of the cap counting as the cap (decimal inputs:
 * 4.2 / 6 = 0.7000000000000001 in doubles, 0.7 in decimal). */
static int within_cap(double A, double n, double max_occ)
{
    double occ = A / n;
    return occ <= max_occ || occ - max_occ <= 1e-9 * max_occ;
}

/* The smallest N allowed by stability (N > A) and the occupancy cap
 * (within_cap()), or -1 if it does not fit an int32_t. */
static int64_t first_candidate(double A, double max_occ)
{
    double lo = floor(A) + 1.0;
    double cap = ceil(A / max_occ);
    if (cap > lo)
        lo = cap;
    if (!(lo <= (double)INT32_MAX + 1.0))
        return -1;
    int64_t n = (int64_t)lo;
    /* A / max_occ may round up past an N whose A / N is exactly the cap
     * (10.5 / 0.7 = 15.000000000000002, 10.5 / 15 = 0.7): step back */
    while ((double)(n - 1) > A && within_cap(A, (double)(n - 1), max_occ))
        n--;
    while (n <= INT32_MAX && !within_cap(A, (double)n, max_occ))
        n++;
    return n <= INT32_MAX ? n : -1;
}

/* Shared search: the smallest N >= first_candidate whose service level
 * (threshold T) is at least `target`, or, with T < 0, whose ASA is at most
 * `target`, each computed exactly as the public function computes it (so
 * that a target of the value N agents give returns N).  The Erlang B
 * recursion continues from one candidate to the next. */
static int search_agents(double A, double aht, double T, double target,
                         double max_occ, int32_t *agents)
{
    if (A == 0.0) {
        *agents = 1;
        return KPI_OK;
    }
    int64_t n = first_candidate(A, max_occ);
    if (n < 0)
        return KPI_ERR_RANGE;
    double x = erlang_b_recip(A, (int32_t)n, NULL);
    const double inv = 1.0 / A;
    for (;;) {
        double pw = erlang_c_from_recip(A, (int32_t)n, x);
        if (T >= 0.0 ? sl_from_pw(A, (int32_t)n, pw, aht, T) >= target
                     : asa_from_pw(A, (int32_t)n, pw, aht) <= target) {
            *agents = (int32_t)n;
            return KPI_OK;
        }
        if (n == INT32_MAX)
            return KPI_ERR_RANGE;
        n++;
        x = 1.0 + ((double)n * inv) * x;
    }
}

KPI_API int kpi_erlang_c_agents(double traffic, double aht_s, double threshold_s,
                                double target_service_level,
                                double max_occupancy, int32_t *agents)
{
    if (agents == NULL)
        return KPI_ERR_INVALID;
    int rc;
    if ((rc = check_nonneg(traffic)) != KPI_OK ||
        (rc = check_positive(aht_s)) != KPI_OK ||
        (rc = check_nonneg(threshold_s)) != KPI_OK)
        return rc;
    if (!isfinite(target_service_level) || !isfinite(max_occupancy))
        return KPI_ERR_INVALID;
    if (!(target_service_level >= 0.0 && target_service_level < 1.0) ||
        !(max_occupancy > 0.0 && max_occupancy <= 1.0))
        return KPI_ERR_RANGE;
    return search_agents(traffic, aht_s, threshold_s, target_service_level,
                         max_occupancy, agents);
}

KPI_API int kpi_erlang_c_agents_for_asa(double traffic, double aht_s,
                                        double target_asa_s,
                                        double max_occupancy, int32_t *agents)
{
    if (agents == NULL)
        return KPI_ERR_INVALID;
    int rc;
    if ((rc = check_nonneg(traffic)) != KPI_OK ||
        (rc = check_positive(aht_s)) != KPI_OK ||
        (rc = check_positive(target_asa_s)) != KPI_OK)
        return rc;
    if (!isfinite(max_occupancy))
        return KPI_ERR_INVALID;
    if (!(max_occupancy > 0.0 && max_occupancy <= 1.0))
        return KPI_ERR_RANGE;
    if (!(target_asa_s / aht_s > 0.0))
        return KPI_ERR_RANGE;
    return search_agents(traffic, aht_s, -1.0, target_asa_s, max_occupancy,
                         agents);
}

KPI_API int kpi_staffing_headcount(int32_t agents, double shrinkage,
                                   int32_t *headcount)
{
    if (headcount == NULL || !isfinite(shrinkage))
        return KPI_ERR_INVALID;
    if (agents < 0 || !(shrinkage >= 0.0 && shrinkage < 1.0))
        return KPI_ERR_RANGE;
    double h = (double)agents / (1.0 - shrinkage);
    double near = nearbyint(h);
    double hc = fabs(h - near) <= 1e-9 * h ? near : ceil(h);
    if (!(hc <= (double)INT32_MAX))
        return KPI_ERR_RANGE;
    *headcount = (int32_t)hc;
    return KPI_OK;
}

/* ---- Erlang A ----------------------------------------------------------- */

/* psi(y) = exp(-y) - 1 + y, accurate near 0 (series) and for large |y|. */
static double psi(double y)
{
    if (fabs(y) < 0.1) {
        double p = 1.0 / 3628800.0;
        p = p * y - 1.0 / 362880.0;
        p = p * y + 1.0 / 40320.0;
        p = p * y - 1.0 / 5040.0;
        p = p * y + 1.0 / 720.0;
        p = p * y - 1.0 / 120.0;
        p = p * y + 1.0 / 24.0;
        p = p * y - 1.0 / 6.0;
        p = p * y + 0.5;
        return p * y * y;
    }
    return expm1(-y) + y;
}

/* t - log1p(t), accurate near 0; t > 0 here. */
static double t_minus_log1p(double t)
{
    if (t < 0.1) {
        /* t^2 s with s = sum_{k>=2} (-t)^(k-2) / k = 1/2 - t/3 + t^2/4 - ... */
        double s = 1.0 / 24.0;
        for (int k = 23; k >= 2; k--)
            s = 1.0 / (double)k - t * s;
        return t * t * s;
    }
    return t - log1p(t);
}

typedef struct ea_shape {
    double r;      /* AHT / patience */
    double slope;  /* N - min(A, N) */
    double ae_r;   /* min(A, N) / r */
    double ustar;  /* position of the peak of phi */
} ea_shape;

/* phi(u* + d) - phi(u*) */
static double ea_base(const ea_shape *s, double d)
{
    return -s->slope * d - s->ae_r * psi(s->r * d);
}

typedef struct ea_sums {
    double i0, i1, iab, iu;
} ea_sums;

static const double gl_x[4] = {0.1834346424956498, 0.5255324099163290,
                               0.7966664774136267, 0.9602898564975363};
static const double gl_w[4] = {0.3626837833783620, 0.3137066458778873,
                               0.2223810344533745, 0.1012285362903763};

#define EA_PANELS 16 /* uniform panels from the peak outward */
#define EA_GRADED 16 /* dyadic refinements of the panel next to the peak */
#define EA_DEPTH 40.0

/* Add one 8-point Gauss-Legendre panel over d in [a, b] (either order) to
 * *o; if only_i1, only the exp(phi - r u) integral (into i1). */
static void ea_panel(const ea_shape *s, double a, double b, int only_i1,
                     ea_sums *o)
{
    double mid = 0.5 * (a + b), half = 0.5 * fabs(b - a);
    for (int k = 0; k < 8; k++) {
        double d = mid + (k < 4 ? -gl_x[k] : gl_x[k - 4]) * half;
        double w = gl_w[k & 3] * half;
        double f = w * exp(ea_base(s, d));
        double u = s->ustar + d;
        if (u < 0.0)
            u = 0.0;
        double eru = exp(-s->r * u);
        o->i1 += f * eru;
        if (!only_i1) {
            o->i0 += f;
            o->iab += f * -expm1(-s->r * u);
            o->iu += f * u * eru;
        }
    }
}

/* Integrate over d between `from` (the end nearer the peak) and `to`:
 * EA_PANELS uniform panels, the one at `from` split dyadically
 * EA_GRADED times towards `from`, which resolves the integrand's features
 * near the peak at any scale (the 1/r scale of psi, the peak's width). */
static void ea_integrate(const ea_shape *s, double from, double to,
                         int only_i1, ea_sums *o)
{
    if (from == to)
        return;
    double h = (to - from) / EA_PANELS;
    for (int p = 1; p < EA_PANELS; p++)
        ea_panel(s, from + p * h, from + (p + 1) * h, only_i1, o);
    /* the factor exp(-r u) of the answered-contact integrals falls on the
     * scale 1/r at `from` (u = 0 when the peak is at 0, else exp(-r u*)
     * exp(-r d)): when the panel next to `from` is still wider than 1/r
     * (patience far below the AHT), grade further until it is not */
    int levels = EA_GRADED;
    while (levels < EA_GRADED + 64 && fabs(h) * ldexp(1.0, -levels) * s->r > 1.0)
        levels++;
    double w = h;
    for (int g = 0; g < levels; g++) {
        ea_panel(s, from + 0.5 * w, from + w, only_i1, o);
        w *= 0.5;
    }
    ea_panel(s, from, from + w, only_i1, o);
}

typedef struct ea_result {
    double pw, pab, asa_u, sl;
} ea_result;

/* Validation shared by the Erlang A functions. */
static int check_a(double traffic, int32_t agents, double aht_s,
                   double patience_s)
{
    int rc;
    if ((rc = check_nonneg(traffic)) != KPI_OK ||
        (rc = check_positive(aht_s)) != KPI_OK ||
        (rc = check_positive(patience_s)) != KPI_OK)
        return rc;
    if (agents <= 0)
        return KPI_ERR_RANGE;
    double ratio = patience_s / aht_s;
    if (!(ratio >= 1e-12 && ratio <= 1e12))
        return KPI_ERR_RANGE;
    return KPI_OK;
}

/* Evaluate Erlang A; uT < 0 skips the service level. */
static void erlang_a(double A, int32_t N, double r, double uT, ea_result *o)
{
    if (A == 0.0) {
        o->pw = o->pab = o->asa_u = 0.0;
        o->sl = 1.0;
        return;
    }
    double xm1;
    double x = erlang_b_recip(A, N, &xm1);
    (void)x;
    double n = (double)N;
    ea_shape s;
    s.r = r;
    double phimax;
    if (A > n) {
        double t = (A - n) / n;
        s.ustar = log1p(t) / r;
        phimax = n * t_minus_log1p(t) / r;
        s.slope = 0.0;
        s.ae_r = n / r;
    } else {
        s.ustar = 0.0;
        phimax = 0.0;
        s.slope = n - A;
        s.ae_r = A / r;
    }
    /* right end: base(hi) <= -DEPTH, hi at most twice the root */
    double g = sqrt(2.0 * EA_DEPTH / (s.ae_r * r));
    if (s.slope > 0.0 && EA_DEPTH / s.slope < g)
        g = EA_DEPTH / s.slope;
    double hi = 0.5 * g;
    for (int i = 0; i < 4000 && ea_base(&s, hi) > -EA_DEPTH; i++)
        hi *= 2.0;
    /* left end (only when the peak is interior) */
    double lo = 0.0;
    if (s.ustar > 0.0) {
        double gl = sqrt(2.0 * EA_DEPTH / (n * r)); /* base(-gl) <= -DEPTH */
        for (int i = 0; i < 4000 && ea_base(&s, -0.5 * gl) <= -EA_DEPTH; i++)
            gl *= 0.5;
        lo = -gl < -s.ustar ? -s.ustar : -gl;
    }
    ea_sums all = {0, 0, 0, 0};
    if (lo < 0.0)
        ea_integrate(&s, 0.0, lo, 0, &all);
    ea_integrate(&s, 0.0, hi, 0, &all);

    double logS = log(n) + phimax + log(all.i0);
    double R = exp(log(xm1) - logS); /* (1/B - 1) / S */
    double pw = 1.0 / (1.0 + R);
    double served = (1.0 - pw) + pw * all.i1 / all.i0;
    o->pw = pw;
    o->pab = pw * all.iab / all.i0;
    o->asa_u = pw * all.iu / all.i0 / served;
    if (uT >= 0.0) {
        double dT = uT - s.ustar, it;
        if (dT >= hi) {
            it = all.i1;
        } else {
            ea_sums t = {0, 0, 0, 0};
            if (dT > lo) {
                if (dT < 0.0) {
                    ea_integrate(&s, dT, lo, 1, &t);
                } else {
                    if (lo < 0.0)
                        ea_integrate(&s, 0.0, lo, 1, &t);
                    ea_integrate(&s, 0.0, dT, 1, &t);
                }
            }
            it = t.i1;
        }
        double sl = (1.0 - pw) + pw * it / all.i0;
        o->sl = sl > served ? served : sl; /* answered in time <= answered */
    }
    if (o->pab > 1.0)
        o->pab = 1.0;
}

KPI_API int kpi_erlang_a_wait_probability(double traffic, int32_t agents,
                                          double aht_s, double patience_s,
                                          double *p)
{
    if (p == NULL)
        return KPI_ERR_INVALID;
    int rc = check_a(traffic, agents, aht_s, patience_s);
    if (rc != KPI_OK)
        return rc;
    ea_result o;
    erlang_a(traffic, agents, aht_s / patience_s, -1.0, &o);
    *p = o.pw;
    return KPI_OK;
}

KPI_API int kpi_erlang_a_abandon_probability(double traffic, int32_t agents,
                                             double aht_s, double patience_s,
                                             double *p)
{
    if (p == NULL)
        return KPI_ERR_INVALID;
    int rc = check_a(traffic, agents, aht_s, patience_s);
    if (rc != KPI_OK)
        return rc;
    ea_result o;
    erlang_a(traffic, agents, aht_s / patience_s, -1.0, &o);
    *p = o.pab;
    return KPI_OK;
}

KPI_API int kpi_erlang_a_asa(double traffic, int32_t agents, double aht_s,
                             double patience_s, double *asa_s)
{
    if (asa_s == NULL)
        return KPI_ERR_INVALID;
    int rc = check_a(traffic, agents, aht_s, patience_s);
    if (rc != KPI_OK)
        return rc;
    ea_result o;
    erlang_a(traffic, agents, aht_s / patience_s, -1.0, &o);
    *asa_s = o.asa_u * aht_s;
    return KPI_OK;
}

KPI_API int kpi_erlang_a_service_level(double traffic, int32_t agents,
                                       double aht_s, double patience_s,
                                       double threshold_s,
                                       double *service_level)
{
    if (service_level == NULL)
        return KPI_ERR_INVALID;
    int rc = check_a(traffic, agents, aht_s, patience_s);
    if (rc != KPI_OK)
        return rc;
    if ((rc = check_nonneg(threshold_s)) != KPI_OK)
        return rc;
    ea_result o;
    erlang_a(traffic, agents, aht_s / patience_s, threshold_s / aht_s, &o);
    *service_level = o.sl;
    return KPI_OK;
}
