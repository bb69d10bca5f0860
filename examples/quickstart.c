/*
 * quickstart: the smallest libkpi program.  It reports the library version
 * and a CSAT-style share with its 95% confidence interval.
 *
 *   cc quickstart.c $(pkg-config --cflags --libs kpi) -o quickstart
 */
#include <stdio.h>
#include <stdlib.h>

#include <kpi.h>

int main(void)
{
    if (kpi_version_number() != KPI_VERSION_NUMBER)
        fprintf(stderr, "note: compiled against libkpi %d, running %s\n",
                KPI_VERSION_NUMBER, kpi_version_string());

    /* 412 of 480 survey answers were 4 or 5 on a 1-5 scale */
    kpi_estimate csat;
    int rc = kpi_wilson_interval(412, 480, &csat);
    if (rc != KPI_OK) {
        fprintf(stderr, "kpi_wilson_interval: %s\n", kpi_strerror(rc));
        return EXIT_FAILURE;
    }
    printf("libkpi %s\n", kpi_version_string());
    printf("CSAT %.1f%% (95%% CI %.1f%% .. %.1f%%, n = %llu)\n",
           100.0 * csat.value, 100.0 * csat.lower, 100.0 * csat.upper,
           (unsigned long long)csat.n);
    return EXIT_SUCCESS;
}
