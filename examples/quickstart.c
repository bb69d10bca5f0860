/*
 * quickstart: a few KPIs computed with libkpi, printed as a small report.
 *
 *   cc quickstart.c $(pkg-config --cflags --libs kpi) -o quickstart
 *
 * It feeds a day's survey answers and ticket outcomes from two shards (two
 * server threads, say), merges the shards, and prints CSAT, NPS and FCR
 * with their 95% intervals, then asks Erlang C how many agents tomorrow's
 * forecast needs.  Every call's status is checked: libkpi never returns a
 * made-up value.
 */
#include <stdio.h>
#include <stdlib.h>

#include <kpi.h>

#define CHECK(call)                                                           \
    do {                                                                      \
        int rc_ = (call);                                                     \
        if (rc_ != KPI_OK) {                                                  \
            fprintf(stderr, "%s: %s\n", #call, kpi_strerror(rc_));            \
            exit(EXIT_FAILURE);                                               \
        }                                                                     \
    } while (0)

static void print_share(const char *name, const kpi_estimate *e)
{
    printf("%-28s %6.1f%%   (95%% CI %5.1f%% .. %5.1f%%, n = %llu)\n", name,
           100.0 * e->value, 100.0 * e->lower, 100.0 * e->upper,
           (unsigned long long)e->n);
}

int main(void)
{
    if (kpi_version_number() != KPI_VERSION_NUMBER)
        fprintf(stderr, "note: compiled against libkpi %d, running %s\n",
                KPI_VERSION_NUMBER, kpi_version_string());

    /* CSAT on 1..5, satisfied = 4 or 5; NPS on 0..10 */
    static const int32_t csat_a[] = {5, 4, 4, 3, 5, 5, 2, 4, 5, 1, 4, 5};
    static const int32_t csat_b[] = {4, 5, 3, 5, 4, 4, 5, 2, 5, 4};
    static const int32_t nps_a[] = {10, 9, 8, 7, 10, 6, 9, 3, 10, 8};
    static const int32_t nps_b[] = {9, 10, 10, 5, 8, 9, 7, 10};
    /* first-contact resolution: 1 = resolved at first contact */
    static const uint8_t fcr_a[] = {1, 1, 0, 1, 1, 1, 0, 1, 1, 1, 1, 0};
    static const uint8_t fcr_b[] = {1, 0, 1, 1, 1, 1, 1, 0, 1};

    kpi_score *csat, *csat_shard, *nps, *nps_shard;
    kpi_rate *fcr, *fcr_shard;
    CHECK(kpi_csat_new(&csat, 5, 4));
    CHECK(kpi_csat_new(&csat_shard, 5, 4));
    CHECK(kpi_nps_new(&nps));
    CHECK(kpi_nps_new(&nps_shard));
    CHECK(kpi_rate_new(&fcr));
    CHECK(kpi_rate_new(&fcr_shard));

    CHECK(kpi_score_add_array(csat, csat_a, sizeof csat_a / sizeof csat_a[0]));
    CHECK(kpi_score_add_array(csat_shard, csat_b, sizeof csat_b / sizeof csat_b[0]));
    CHECK(kpi_score_add_array(nps, nps_a, sizeof nps_a / sizeof nps_a[0]));
    CHECK(kpi_score_add_array(nps_shard, nps_b, sizeof nps_b / sizeof nps_b[0]));
    CHECK(kpi_rate_add_array(fcr, fcr_a, sizeof fcr_a));
    CHECK(kpi_rate_add_array(fcr_shard, fcr_b, sizeof fcr_b));

    /* an answer off the scale is refused and changes nothing */
    int rc = kpi_score_add(csat, 7);
    printf("adding a 7 to a 1..5 CSAT: %s\n\n", kpi_status_name(rc));

    /* the second shard arrives as portable bytes, as from another process */
    unsigned char buf[256];
    size_t len;
    kpi_score *received;
    CHECK(kpi_score_serialize(csat_shard, buf, sizeof buf, &len));
    CHECK(kpi_score_deserialize(&received, buf, len));
    CHECK(kpi_score_merge(csat, received));
    CHECK(kpi_score_merge(nps, nps_shard));
    CHECK(kpi_rate_merge(fcr, fcr_shard));

    printf("libkpi %s\n", kpi_version_string());
    kpi_estimate e;
    double mean;
    CHECK(kpi_score_csat(csat, &e));
    print_share("CSAT (4-5 of 5)", &e);
    CHECK(kpi_score_mean(csat, &mean));
    printf("%-28s %6.2f\n", "CSAT mean", mean);
    CHECK(kpi_score_nps(nps, &e));
    printf("%-28s %+6.1f    (95%% CI %+.1f .. %+.1f, n = %llu)\n", "NPS", e.value,
           e.lower, e.upper, (unsigned long long)e.n);
    CHECK(kpi_rate_share(fcr, &e));
    print_share("First-contact resolution", &e);

    /* staffing: 100 contacts per 30 minutes at a 3-minute AHT, 80% in 20 s */
    double traffic, sl;
    int32_t agents, headcount;
    CHECK(kpi_erlang_traffic(100, 1800, 180, &traffic));
    CHECK(kpi_erlang_c_agents(traffic, 180, 20, 0.80, 0.85, &agents));
    CHECK(kpi_erlang_c_service_level(traffic, agents, 180, 20, &sl));
    CHECK(kpi_staffing_headcount(agents, 0.30, &headcount));
    printf("%-28s %6d    (%.1f Erlangs, service level %.1f%%, %d with 30%% shrinkage)\n",
           "Agents for 80% in 20 s", agents, traffic, 100.0 * sl, headcount);

    kpi_score_free(csat);
    kpi_score_free(csat_shard);
    kpi_score_free(received);
    kpi_score_free(nps);
    kpi_score_free(nps_shard);
    kpi_rate_free(fcr);
    kpi_rate_free(fcr_shard);
    return EXIT_SUCCESS;
}
