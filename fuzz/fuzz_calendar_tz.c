/*
 * libFuzzer target: the POSIX TZ parser (kpi_calendar_new()).
 * SPDX-License-Identifier: MIT
 *
 * Input: the TZ string up to the first NUL byte (or the whole input);
 * after the NUL, 8-byte little-endian instants (folded into the accepted
 * range) at which the calendar is evaluated besides a fixed set.  A
 * string the parser accepts gives a calendar that answers offsets, local
 * times, elapsed and due times, serializes, restores equal, and clones
 * equal; a string it rejects is KPI_ERR_INVALID.  A second calendar of
 * the zone, open around the clock, closes part of a date for each
 * instant (a day around one of 2026's clock changes, or the instant's
 * own date), in input order: updated date by date, it must answer elapsed
 * and due exactly as its decoded copy, which sums every date from scratch.
 */
#include "fuzz.h"

static const kpi_fuzz_ops *calendar_ops(void);

/* The calendar and its decoded copy answer alike at t. */
static void same_answers(const kpi_calendar *cal, const kpi_calendar *copy, int64_t t)
{
    int64_t a = 0, b = 0;
    int64_t end = t + 40 * KPI_MS_PER_DAY;
    if (end <= KPI_CALENDAR_MAX_TIME && t >= -KPI_CALENDAR_MAX_TIME) {
        int rc = kpi_calendar_elapsed(cal, t, end, &a);
        KPI_FUZZ_CHECK(kpi_calendar_elapsed(copy, t, end, &b) == rc);
        KPI_FUZZ_CHECK(rc != KPI_OK || a == b);
    }
    int rc = kpi_calendar_due(cal, t, 30 * KPI_MS_PER_HOUR, &a);
    KPI_FUZZ_CHECK(kpi_calendar_due(copy, t, 30 * KPI_MS_PER_HOUR, &b) == rc);
    KPI_FUZZ_CHECK(rc != KPI_OK || a == b);
}

#define Y2026 INT64_C(1767225600000) /* 2026-01-01T00:00:00Z */

/* Close part of dates of a round-the-clock calendar of the zone, one per
 * instant, then compare it with its decoded copy. */
static void dates_one_by_one(const char *tz, const uint64_t *u, size_t n)
{
    kpi_calendar *cal = NULL, *copy = NULL;
    KPI_FUZZ_CHECK(kpi_calendar_new(&cal, tz) == KPI_OK);
    for (int wd = 0; wd < 7; wd++)
        KPI_FUZZ_CHECK(kpi_calendar_add_hours(cal, wd, 0, 1440) == KPI_OK);
    int64_t change[8]; /* UTC days of 2026 in which the offset changes */
    size_t nch = 0;
    int32_t o0, o1;
    KPI_FUZZ_CHECK(kpi_calendar_utc_offset(cal, Y2026, &o0) == KPI_OK);
    for (int64_t day = 0; day < 365 && nch < 8; day++, o0 = o1) {
        KPI_FUZZ_CHECK(kpi_calendar_utc_offset(cal, Y2026 + (day + 1) * KPI_MS_PER_DAY, &o1) ==
                       KPI_OK);
        if (o1 != o0)
            change[nch++] = Y2026 + day * KPI_MS_PER_DAY;
    }
    for (size_t i = 0; i < n; i++) {
        int64_t t = (int64_t)(u[i] % (2 * (uint64_t)KPI_CALENDAR_MAX_TIME + 1)) -
                    KPI_CALENDAR_MAX_TIME;
        if (nch > 0 && (u[i] >> 63) == 0)
            t = change[u[i] % nch] + ((int64_t)((u[i] >> 8) % 5) - 2) * KPI_MS_PER_DAY / 2;
        int32_t y, m, d, wd, ms;
        KPI_FUZZ_CHECK(kpi_calendar_local_time(cal, t, &y, &m, &d, &wd, &ms) == KPI_OK);
        int32_t from = (int32_t)((u[i] >> 52) % 1440);
        int32_t to = from + 1 + (int32_t)((u[i] >> 40) % (uint64_t)(1440 - from));
        int rc = kpi_calendar_add_closure(cal, y, m, d, from, to);
        KPI_FUZZ_CHECK(rc == KPI_OK || rc == KPI_ERR_DUPLICATE || rc == KPI_ERR_RANGE);
    }
    size_t len = 0;
    uint8_t *bytes = kpi_fuzz_encode(calendar_ops(), cal, &len);
    KPI_FUZZ_CHECK(kpi_calendar_deserialize(&copy, bytes, len) == KPI_OK);
    free(bytes);
    for (size_t i = 0; i < nch; i++)
        for (int64_t back = 0; back <= 60; back += 20)
            same_answers(cal, copy, change[i] - back * KPI_MS_PER_DAY);
    for (size_t i = 0; i < n; i++)
        same_answers(cal, copy, (int64_t)(u[i] % (2 * (uint64_t)KPI_CALENDAR_MAX_TIME + 1)) -
                                    KPI_CALENDAR_MAX_TIME);
    kpi_calendar_free(copy);
    kpi_calendar_free(cal);
}

static void evaluate(const kpi_calendar *cal, int64_t t)
{
    int32_t off, y, m, d, wd, ms;
    int64_t v, due;
    int open;
    KPI_FUZZ_CHECK(kpi_calendar_utc_offset(cal, t, &off) == KPI_OK);
    KPI_FUZZ_CHECK(off > -2 * 86400 && off < 2 * 86400);
    KPI_FUZZ_CHECK(kpi_calendar_local_time(cal, t, &y, &m, &d, &wd, &ms) == KPI_OK);
    KPI_FUZZ_CHECK(m >= 1 && m <= 12 && d >= 1 && d <= 31 && wd >= 0 && wd <= 6);
    KPI_FUZZ_CHECK(ms >= 0 && ms < KPI_MS_PER_DAY);
    KPI_FUZZ_CHECK(kpi_calendar_is_open(cal, t, &open) == KPI_OK);
    int64_t end = t + 8 * KPI_MS_PER_DAY;
    if (end <= KPI_CALENDAR_MAX_TIME &&
        kpi_calendar_elapsed(cal, t, end, &v) == KPI_OK)
        KPI_FUZZ_CHECK(v >= 0 && v <= end - t);
    if (kpi_calendar_due(cal, t, 2 * KPI_MS_PER_HOUR, &due) == KPI_OK) {
        KPI_FUZZ_CHECK(due >= t);
        /* the business time from t to the due instant is the target */
        KPI_FUZZ_CHECK(kpi_calendar_elapsed(cal, t, due, &v) == KPI_OK);
        KPI_FUZZ_CHECK(v == 2 * KPI_MS_PER_HOUR);
    }
}


const char kpi_fuzz_name[] = "calendar_tz";

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const uint8_t *nul = memchr(data, 0, size);
    size_t tz_len = nul ? (size_t)(nul - data) : size;
    char *tz = malloc(tz_len + 1);
    KPI_FUZZ_CHECK(tz != NULL);
    memcpy(tz, data, tz_len);
    tz[tz_len] = '\0';
    kpi_calendar *cal = (kpi_calendar *)(void *)&kpi_fuzz_untouched;
    int rc = kpi_calendar_new(&cal, tz);
    if (rc != KPI_OK) {
        free(tz);
        KPI_FUZZ_CHECK(rc == KPI_ERR_INVALID);
        KPI_FUZZ_CHECK(cal == (kpi_calendar *)(void *)&kpi_fuzz_untouched);
        return 0;
    }
    /* weekdays 9:00-17:00 with a lunch break, Saturday mornings, and a
     * holiday on a DST switch day */
    for (int wd = 1; wd <= 5; wd++) {
        KPI_FUZZ_CHECK(kpi_calendar_add_hours(cal, wd, 9 * 60, 12 * 60) == KPI_OK);
        KPI_FUZZ_CHECK(kpi_calendar_add_hours(cal, wd, 13 * 60, 17 * 60) == KPI_OK);
    }
    KPI_FUZZ_CHECK(kpi_calendar_add_hours(cal, 6, 0, 4 * 60) == KPI_OK);
    KPI_FUZZ_CHECK(kpi_calendar_add_holiday(cal, 2026, 3, 29) == KPI_OK);
    static const int64_t fixed[] = {0, INT64_C(1774746000000), INT64_C(1792890000000),
                                    INT64_C(-4102444800000), INT64_C(4133980800000),
                                    KPI_CALENDAR_MAX_TIME - KPI_MS_PER_DAY,
                                    -KPI_CALENDAR_MAX_TIME};
    for (size_t i = 0; i < sizeof fixed / sizeof fixed[0]; i++)
        evaluate(cal, fixed[i]);
    uint64_t at[8];
    size_t nat = 0;
    for (size_t off = tz_len + 1; nul && off + 8 <= size && off < tz_len + 1 + 8 * 8; off += 8) {
        uint64_t u = 0;
        for (int k = 0; k < 8; k++)
            u |= (uint64_t)data[off + k] << (8 * k);
        int64_t t = (int64_t)(u % (2 * (uint64_t)KPI_CALENDAR_MAX_TIME + 1)) - KPI_CALENDAR_MAX_TIME;
        evaluate(cal, t);
        at[nat++] = u;
    }
    dates_one_by_one(tz, at, nat);
    free(tz);
    kpi_fuzz_exercise(calendar_ops(), cal);
    kpi_calendar_free(cal);
    return 0;
}

static void reads(const kpi_calendar *cal)
{
    (void)kpi_calendar_week_ms(cal);
}
KPI_FUZZ_CONFIG_OPS(calendar, reads)
static const kpi_fuzz_ops *calendar_ops(void) { return &kpi_fuzz_ops_of_target; }
