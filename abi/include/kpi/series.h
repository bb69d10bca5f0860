/*
 * libkpi - incremental customer-service KPIs.
 * SPDX-License-Identifier: MIT
 */
/**
 * @file kpi/series.h
 * @brief Period series: counts or sums per fixed period (hour, day, week)
 *        in a ring, rolling totals, and an incrementally fitted additive
 *        Holt-Winters forecast of the next periods (request volume, volume
 *        per period, contact-volume forecast).
 *
 * Periods are the half-open intervals [origin + k * period,
 * origin + (k + 1) * period) for integer k (negative k allowed).  The ring
 * keeps the `length` newest periods: the newest is the period of the
 * latest event, the oldest is `length - 1` periods before it.  An event in
 * a newer period advances the ring, zeroing the periods skipped; an event
 * older than the oldest kept period is refused with #KPI_ERR_ORDER.  The
 * first event fixes the newest period; the `length - 1` periods before it
 * are kept (as zeros) and accept late events.
 *
 * Forecast (optional, kpi_series_set_forecast()): additive Holt-Winters
 * with season length m, smoothing parameters alpha (level), beta (trend),
 * gamma (season).  The model sees a period's value once, when the period
 * closes, i.e. when the ring first advances past it; late events for an
 * already closed period change the ring but not the model.  Model time
 * starts at the period of the first event (or of a restart, below).
 * Once 2m periods have closed, the model is initialised classically:
 * level L = mean of the first season, trend T = (mean of the second
 * season - mean of the first) / m, seasonal S[i] = y[i] - L for i < m
 * (first-season deviations); then the recursions are run over the
 * second season:
 *   L' = alpha (y - S[t mod m]) + (1 - alpha) (L + T)
 *   T' = beta (L' - L) + (1 - beta) T
 *   S[t mod m] = gamma (y - L') + (1 - gamma) S[t mod m]
 * and for every later closing period t the one-step forecast
 * L + T + S[t mod m] is compared with y first (the error statistics: MAE,
 * sMAPE, RMSE), then the recursions run.  Errors are counted only from
 * period 2m on, since the initial state has seen the second season.
 * The h-step forecast is L + h T + S[(t_last + h) mod m]; step 1 is the
 * first period the model has not seen, which is the newest (still open)
 * period of the ring.  To close a period without an event, add 0.0 at a
 * time in a later period.
 *
 * Parameters in (0, 1) do not make every model stable: some (more so for
 * long seasons, e.g. m = 24 with alpha = beta = gamma = 0.5, or m = 12
 * with alpha = 0.15 and beta = gamma = 0.99) amplify every deviation from
 * season to season, and their forecasts and errors grow without bound
 * whatever the data.  When a closing period would take the model's state
 * or an error sum past the range of a double, the model restarts: it
 * forgets everything it has seen, that period becomes its first, and the
 * forecast reads #KPI_ERR_EMPTY again until 2m periods have closed (the
 * error statistics then count from the restart).
 *
 * Every skipped period is a zero observation for the model, so with a
 * forecast a jump costs time proportional to its number of periods; jumps
 * of more than 1,000,000 periods are refused with #KPI_ERR_RANGE when a
 * forecast is set.
 *
 * Merge: series of equal period, length and origin merge by adding
 * periods; the merged ring ends at the later of the two newest periods
 * (periods of the source that fall before the merged ring's oldest period
 * are dropped from the ring but stay in the total).  A merged period's
 * value is the double sum of the two periods' values, so the merge equals
 * one series fed both streams exactly while the amounts are whole numbers
 * (see below) and up to rounding otherwise (cost or handle-time amounts
 * with fractions may differ in the last bits).  The Holt-Winters
 * state is not mergeable: merging two non-empty series either of which
 * has a forecast set is refused with #KPI_ERR_INCOMPATIBLE.  Merging into
 * an empty series copies the source (with its forecast state, whose
 * parameters must then match, the source empty or not); merging an empty
 * source into a non-empty series is a no-op.
 *
 * Period values are plain sums, bit for bit the double sum of the
 * period's amounts in the order they were added (kept as an exact integer
 * while every amount is a whole number and the sum is within +-2^53, where
 * the two agree).  The total over all time is a Neumaier-compensated sum
 * of the closed periods' values (folded in as they close) and of late
 * events, plus the newest period's value.  kpi_series_add_array() gives
 * exactly the state of the same events added one at a time.
 *
 * Thread safety: an object must not be used from two threads at once
 * without the caller's lock; different objects need no lock; const reads
 * may run concurrently when no thread writes.
 */
#ifndef KPI_SERIES_H
#define KPI_SERIES_H

#include "kpi/common.h"

#ifdef __cplusplus
extern "C" {
#endif

/** A ring of per-period sums with an optional Holt-Winters forecast. */
typedef struct kpi_series kpi_series;

/** The largest ring length accepted by kpi_series_new(). */
#define KPI_SERIES_MAX_LENGTH 100000u
/** The largest season length accepted by kpi_series_set_forecast(). */
#define KPI_SERIES_MAX_SEASON 100000u
/** The largest magnitude of one amount (kpi_series_add()): far above any
 *  count, cost or revenue, and low enough that no period sum, total or
 *  forecast statistic can pass the range of a double (2^64 amounts of
 *  1e100 sum to 1.8e119). */
#define KPI_SERIES_MAX_AMOUNT 1e100

/**
 * @brief Create an empty series using the C library allocator.
 * @param[out] out receives the new series.
 * @param period_ms length of a period in ms (> 0), e.g. #KPI_MS_PER_DAY.
 * @param length number of periods kept, 1..#KPI_SERIES_MAX_LENGTH.
 * @param origin_ms a period boundary; boundaries are origin + k * period.
 * @return #KPI_OK; #KPI_ERR_INVALID if `out` is NULL; #KPI_ERR_RANGE if
 *         period_ms <= 0 or length is out of range; #KPI_ERR_NOMEM.
 *         Thread-safe.
 */
KPI_API int kpi_series_new(kpi_series **out, int64_t period_ms,
                           uint32_t length, int64_t origin_ms);

/**
 * @brief Create an empty series with a custom allocator.
 * @param[out] out receives the new series.
 * @param period_ms length of a period in ms (> 0).
 * @param length number of periods kept, 1..#KPI_SERIES_MAX_LENGTH.
 * @param origin_ms a period boundary.
 * @param alloc allocator for all memory of the object; NULL = C library.
 * @return #KPI_OK; #KPI_ERR_INVALID if `out` is NULL or `alloc` has a NULL
 *         function; #KPI_ERR_RANGE; #KPI_ERR_NOMEM. Thread-safe.
 */
KPI_API int kpi_series_new_with(kpi_series **out, int64_t period_ms,
                                uint32_t length, int64_t origin_ms,
                                const kpi_allocator *alloc);

/**
 * @brief Free a series; NULL is a no-op.
 * @param p the series.
 * Thread safety: not with concurrent use of `p`.
 */
KPI_API void kpi_series_free(kpi_series *p);

/**
 * @brief Empty the series (values, total and model state), keeping its
 *        configuration and forecast parameters; NULL is a no-op.
 * @param p the series.
 * Thread safety: not with concurrent use of `p`.
 */
KPI_API void kpi_series_reset(kpi_series *p);

/**
 * @brief Deep copy, with the same allocator.
 * @param p the series.
 * @param[out] out receives the copy.
 * @return #KPI_OK; #KPI_ERR_INVALID on NULL; #KPI_ERR_NOMEM.
 *         Thread safety: a const read of `p`.
 */
KPI_API int kpi_series_clone(const kpi_series *p, kpi_series **out);

/**
 * @brief Enable the Holt-Winters forecast (only while the series is
 *        empty).
 * @param p the series.
 * @param season_length m, periods per season (7 for daily periods and a
 *        weekly cycle, 24 for hourly), 1..#KPI_SERIES_MAX_SEASON.
 * @param alpha level smoothing, in (0, 1).
 * @param beta trend smoothing, in (0, 1).
 * @param gamma seasonal smoothing, in (0, 1).
 * @return #KPI_OK; #KPI_ERR_INVALID on NULL or NaN; #KPI_ERR_RANGE if a
 *         parameter is out of range; #KPI_ERR_STATE if the series already
 *         holds an event or is a group's member (kpi/group.h);
 *         #KPI_ERR_NOMEM.
 *         Thread safety: not with concurrent use of `p`.
 */
KPI_API int kpi_series_set_forecast(kpi_series *p, uint32_t season_length,
                                    double alpha, double beta, double gamma);

/**
 * @brief Add an amount (1.0 for a count) at time t.
 * @param p the series.
 * @param t_ms event time.
 * @param amount a finite amount, at most #KPI_SERIES_MAX_AMOUNT in magnitude.
 * @return #KPI_OK; #KPI_ERR_INVALID on NULL or non-finite amount;
 *         #KPI_ERR_ORDER if t is older than the oldest kept period;
 *         #KPI_ERR_RANGE if |amount| > #KPI_SERIES_MAX_AMOUNT, if t is so
 *         far from the origin that its period cannot be represented, or
 *         (with a forecast) if the jump exceeds 1,000,000 periods.
 *         Thread safety: not with concurrent use of `p`.
 */
KPI_API int kpi_series_add(kpi_series *p, int64_t t_ms, double amount);

/**
 * @brief Add n events, all or nothing (validated against the ring as it
 *        advances during the batch).
 * @param p the series.
 * @param t_ms n event times.
 * @param amounts n finite amounts, or NULL for 1.0 each.
 * @param n number of events (t_ms may be NULL when n is 0).
 * @return as kpi_series_add(); on any failure nothing is added.
 *         Thread safety: not with concurrent use of `p`.
 */
KPI_API int kpi_series_add_array(kpi_series *p, const int64_t *t_ms,
                                 const double *amounts, size_t n);

/**
 * @brief Dst += src (see the file description for the rules).
 * @param dst the series receiving.
 * @param src the series added (may be dst: doubles it).
 * @return #KPI_OK; #KPI_ERR_INVALID on NULL; #KPI_ERR_INCOMPATIBLE if
 *         period, length or origin differ, or both are non-empty and one
 *         has a forecast, or dst is empty and the forecast configurations
 *         differ; #KPI_ERR_OVERFLOW if a period sum or the total could pass
 *         the range of a double (only after many merges of a series into
 *         itself: each doubles it); #KPI_ERR_NOMEM.  dst is unchanged on
 *         failure.
 *         Thread safety: not with concurrent use of `dst`.
 */
KPI_API int kpi_series_merge(kpi_series *dst, const kpi_series *src);

/**
 * @brief The value of the period containing t.
 * @param p the series.
 * @param t_ms any time in the period.
 * @param[out] value receives the period's sum.
 * @return #KPI_OK; #KPI_ERR_INVALID on NULL; #KPI_ERR_EMPTY before the
 *         first event; #KPI_ERR_RANGE if the period is not in the ring.
 *         Thread safety: a const read.
 */
KPI_API int kpi_series_period(const kpi_series *p, int64_t t_ms,
                              double *value);

/**
 * @brief The total over the last n periods, ending with the newest.
 * @param p the series.
 * @param n_periods 1..length.
 * @param[out] sum receives the total.
 * @return #KPI_OK; #KPI_ERR_INVALID on NULL; #KPI_ERR_EMPTY before the
 *         first event; #KPI_ERR_RANGE if n_periods is 0 or > length.
 *         Thread safety: a const read.
 */
KPI_API int kpi_series_last(const kpi_series *p, uint32_t n_periods,
                            double *sum);

/**
 * @brief The start of the newest period.
 * @param p the series.
 * @param[out] period_start_ms receives the start time.
 * @return #KPI_OK; #KPI_ERR_INVALID on NULL; #KPI_ERR_EMPTY before the
 *         first event. Thread safety: a const read.
 */
KPI_API int kpi_series_latest(const kpi_series *p, int64_t *period_start_ms);

/**
 * @brief The number of periods kept.
 * @param p the series.
 * @return the ring length, 0 if `p` is NULL. Thread safety: a const read.
 */
KPI_API uint32_t kpi_series_length(const kpi_series *p);

/**
 * @brief The kept period values, oldest first.
 * @param p the series.
 * @param[out] out receives `length` values (may be NULL when cap is 0:
 *        then the call only reports the count in `n`, with
 *        #KPI_ERR_BUFFER, as kpi_group_keys() does).
 * @param cap capacity of `out` in values.
 * @param[out] n receives the number of values (length), also on
 *        #KPI_ERR_BUFFER.
 * @param[out] first_period_start_ms receives the start of the oldest
 *        period (may be NULL).  When the oldest kept periods would start
 *        before INT64_MIN (the newest period lies within `length` periods
 *        of the earliest representable time), it receives INT64_MIN, which
 *        is then not the start of out[0]: the start of out[j] is that of
 *        the newest period (kpi_series_latest()) minus (length - 1 - j)
 *        periods, and the periods before INT64_MIN read 0.
 * @return #KPI_OK; #KPI_ERR_INVALID if `p` or `n` is NULL, or `out` is
 *         NULL with cap > 0; #KPI_ERR_EMPTY before the first event;
 *         #KPI_ERR_BUFFER if cap < length (no value written).
 *         Thread safety: a const read.
 */
KPI_API int kpi_series_values(const kpi_series *p, double *out, size_t cap,
                              size_t *n, int64_t *first_period_start_ms);

/**
 * @brief The total of all amounts ever added (also of periods that left
 *        the ring).
 * @param p the series.
 * @param[out] total receives the total.
 * @return #KPI_OK; #KPI_ERR_INVALID on NULL; #KPI_ERR_EMPTY before the
 *         first event. Thread safety: a const read.
 */
KPI_API int kpi_series_total(const kpi_series *p, double *total);

/**
 * @brief The forecast of the next periods.
 *
 * The values are not clamped: the additive model may forecast below 0,
 * e.g. for quiet night hours under a falling trend.  Clamp a volume
 * forecast at 0 before kpi_erlang_traffic() (kpi/staffing.h), which
 * refuses a negative count with #KPI_ERR_INVALID.
 * @param p the series.
 * @param horizon number of periods to forecast (1 = the newest, still
 *        open period).
 * @param[out] out receives `horizon` values (may be NULL when cap is 0:
 *        then the call only checks that a forecast can be read, and
 *        gives #KPI_ERR_BUFFER when it can).
 * @param cap capacity of `out`.
 * @return #KPI_OK; #KPI_ERR_INVALID if `p` is NULL, or `out` is NULL
 *         with cap > 0; #KPI_ERR_STATE if no forecast is set;
 *         #KPI_ERR_EMPTY until 2m periods have closed; #KPI_ERR_RANGE if
 *         horizon is 0; #KPI_ERR_BUFFER if cap < horizon (no value
 *         written). Thread safety: a const read.
 */
KPI_API int kpi_series_forecast(const kpi_series *p, uint32_t horizon,
                                double *out, size_t cap);

/**
 * @brief The h-step forecast with an approximate 95% interval:
 *        value +- 1.96 * RMSE(one-step errors) * sqrt(v_h), with
 *        v_h = 1 + sum_{j=1}^{h-1} c_j^2 and
 *        c_j = alpha (1 + j beta) + gamma (1 - alpha) [j mod m = 0].
 *
 * v_h is the h-step error variance over the one-step one of additive
 * Holt-Winters as the ETS(A,A,A) state space model (Hyndman et al. 2008,
 * "Forecasting with Exponential Smoothing", class 1): the recursions above
 * are its error-correction form with the constants alpha, alpha beta and
 * gamma (1 - alpha).  v_1 = 1 (the interval at h = 1 is +- 1.96 RMSE); the
 * random walk (alpha -> 1, beta and gamma -> 0) gives v_h -> h.  It
 * assumes independent normal one-step errors of one variance, estimated by
 * the RMSE, and ignores the uncertainty of that estimate and of the
 * state.  `n` is the number of one-step errors behind the RMSE.
 * @param p the series.
 * @param h steps ahead, 1-based.
 * @param[out] out receives the estimate.
 * @return #KPI_OK; #KPI_ERR_INVALID on NULL; #KPI_ERR_STATE if no
 *         forecast is set; #KPI_ERR_EMPTY before the first one-step
 *         error (checked before h); #KPI_ERR_RANGE if h is 0. Thread
 *         safety: a const read.
 */
KPI_API int kpi_series_forecast_interval(const kpi_series *p, uint32_t h,
                                         kpi_estimate *out);

/**
 * @brief The model's one-step-ahead errors on the history.
 *
 * MAE = mean |y - f|; sMAPE = mean of |y - f| / ((|y| + |f|) / 2) as a
 * fraction in [0, 2] (a term with y = f = 0 counts 0).
 * @param p the series.
 * @param[out] mae receives the mean absolute error (may be NULL).
 * @param[out] smape receives the sMAPE (may be NULL).
 * @return #KPI_OK; #KPI_ERR_INVALID if `p` is NULL; #KPI_ERR_STATE if no
 *         forecast is set; #KPI_ERR_EMPTY before the model has made a
 *         prediction. Thread safety: a const read.
 */
KPI_API int kpi_series_forecast_error(const kpi_series *p, double *mae,
                                      double *smape);

/**
 * @brief Serialize the state (see docs/format.md).
 * @param p the series.
 * @param buf destination, or NULL to ask for the size.
 * @param cap capacity of buf.
 * @param[out] len receives the size needed.
 * @return #KPI_OK; #KPI_ERR_INVALID on NULL; #KPI_ERR_LIMIT if the state's body would pass 4 GiB
 *         (the format's limit); #KPI_ERR_BUFFER if cap is too
 *         small. Thread safety: a const read.
 */
KPI_API int kpi_series_serialize(const kpi_series *p, void *buf, size_t cap,
                                 size_t *len);

/**
 * @brief Rebuild a series from kpi_series_serialize() bytes.
 * @param[out] out receives the new series.
 * @param buf the bytes.
 * @param len their length.
 * @return #KPI_OK; #KPI_ERR_INVALID; #KPI_ERR_CORRUPT; #KPI_ERR_TRUNCATED;
 *         #KPI_ERR_VERSION; #KPI_ERR_TYPE; #KPI_ERR_NOMEM. Thread-safe.
 */
KPI_API int kpi_series_deserialize(kpi_series **out, const void *buf,
                                   size_t len);

/**
 * @brief kpi_series_deserialize() with a custom allocator.
 * @param[out] out receives the new series.
 * @param buf the bytes.
 * @param len their length.
 * @param alloc allocator; NULL = C library.
 * @return as kpi_series_deserialize(). Thread-safe.
 */
KPI_API int kpi_series_deserialize_with(kpi_series **out, const void *buf,
                                        size_t len,
                                        const kpi_allocator *alloc);

/**
 * @brief Bytes of memory held by the series.
 * @param p the series.
 * @return the footprint, 0 if `p` is NULL. Thread safety: a const read.
 */
KPI_API size_t kpi_series_footprint(const kpi_series *p);

#ifdef __cplusplus
}
#endif

#endif /* KPI_SERIES_H */
