#!/usr/bin/env python3
"""pandas beside libkpi from Python (issue 7), on one generated table.

10,000,000 rows (KPI_BENCH_QUICK=1: 200,000): an NPS answer (int32 0..10),
a CSAT answer (int32 1..5), a first response time given directly as int64
milliseconds, and a topic (one of 60, Zipf-distributed) held both as
Python strings (an object column) and as a pandas categorical.

Each KPI is computed the pandas way (value_counts / quantile, as the issue
names them; NPS and CSAT also as boolean means, pandas' faster idiom for
them, printed beneath with libkpi's ratio over it) and by libkpi
through the Python package's numpy bulk calls (``add_array`` on the
columns' own buffers: no copy), objects created and the KPI read inside
the timed region.  Printed: the median of several runs for each, the ratio
pandas / libkpi (> 1: libkpi faster), and libkpi's quantile error against
pandas' exact values (interpolation="lower", libkpi's rank convention).

Top topics with string labels: both are given pandas' object column.
The package counts it by object identity (the column's PyObject pointers
as 64-bit ids, in C) and encodes each distinct object once, so the row
is timed from the column itself.  Printed apart: the batch call for
labels (kpi_topk_add_array: pointers and lengths) fed from a fixed-width
bytes ('S') array without copying the label bytes, which the column must
first be turned into (a once-only cost, printed, not in that time).  Beside each numeric KPI: the time numpy takes just to
read the column's bytes once (summed as 64-bit words): a yardstick for
reading speed, not a floor (a kernel that asks for the array ahead of its
loads reads it faster than numpy's sum: docs/PERFORMANCE.md).
Top topics by integer code (TopKId on the
categorical's codes) is the counterpart of value_counts on a categorical:
on the 60-topic categorical (int8 codes) and on a second one of 300
topics (int16 codes, as pandas stores more than 127 categories).

Each libkpi row has a second figure, "libkpi 2 threads": the same calls
with ``add_array(..., threads=2)`` (the array counted in two halves on two
threads, the GIL released in the C calls, the halves merged), ratio over
pandas and speed-up over one thread; the agreement checks say whether the
two-thread results equal the one-thread ones (they must: the states merge
exactly).  pandas uses one core; the machine's core count is printed.
"""

import os
import statistics
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "python"))

try:
    import numpy as np
    import pandas as pd
except ImportError as e:  # a benchmark, not a test: say so and stop
    print(f"bench_pandas: skipped ({e})")
    sys.exit(0)

import kpi  # noqa: E402

QUICK = os.environ.get("KPI_BENCH_QUICK", "") not in ("", "0")
ROWS = 200_000 if QUICK else 10_000_000
REPS = 3 if QUICK else 5
TOPICS = 60
WIDE_TOPICS = 300  # a categorical of more than 127 categories: int16 codes
WIDE = f"top 10 of {WIDE_TOPICS} topics, int16 codes"
QS = (0.5, 0.9, 0.99)


def median_seconds(fn):
    times, result = [], None
    for _ in range(REPS):
        t0 = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times), result


def generate(rows):
    rng = np.random.default_rng(7)
    nps_p = np.array([3, 2, 2, 3, 3, 5, 7, 12, 15, 20, 28], dtype=float)
    csat_p = np.array([6, 6, 12, 30, 46], dtype=float)
    codes = (rng.zipf(1.2, rows) - 1) % TOPICS
    names = np.array([f"topic-{i:02d}" for i in range(TOPICS)], dtype=object)
    return pd.DataFrame({
        "nps": rng.choice(11, rows, p=nps_p / nps_p.sum()).astype(np.int32),
        "csat": (1 + rng.choice(5, rows, p=csat_p / csat_p.sum())).astype(np.int32),
        "frt_ms": rng.lognormal(np.log(30 * 60_000), 1.3, rows).astype(np.int64),
        "topic": names[codes],  # object column of str
        "topic_cat": pd.Categorical.from_codes(codes, list(names)),
        "topic_wide": pd.Categorical.from_codes((rng.zipf(1.2, rows) - 1) % WIDE_TOPICS,
                                                [f"topic-{i:03d}" for i in range(WIDE_TOPICS)]),
    })


# ---- the pandas way ----------------------------------------------------------
def pd_nps(df):
    c = df["nps"].value_counts()
    return 100.0 * (c.reindex([9, 10], fill_value=0).sum()
                    - c.reindex(range(7), fill_value=0).sum()) / len(df)


def pd_csat(df):
    c = df["csat"].value_counts()
    return c.reindex([4, 5], fill_value=0).sum() / len(df)


def pd_nps_mean(df):
    """NPS the other pandas way: two boolean means (faster than value_counts)."""
    c = df["nps"]
    return 100.0 * ((c >= 9).mean() - (c <= 6).mean())


def pd_csat_mean(df):
    """CSAT share as a boolean mean (faster than value_counts)."""
    return (df["csat"] >= 4).mean()


def pd_frt(df):
    return df["frt_ms"].quantile(list(QS), interpolation="lower").tolist()


def pd_topics(df):
    return list(df["topic"].value_counts().iloc[:10].items())


def pd_topics_cat(df):
    return [(str(k), v) for k, v in df["topic_cat"].value_counts().iloc[:10].items()]


def pd_topics_wide(df):
    return [(str(k), v) for k, v in df["topic_wide"].value_counts().iloc[:10].items()]


# ---- libkpi from Python --------------------------------------------------------
def kpi_nps(df, threads=None):
    s = kpi.nps()
    s.add_array(df["nps"], threads=threads)
    return s.nps().value


def kpi_csat(df, threads=None):
    s = kpi.csat(5, 4)
    s.add_array(df["csat"], threads=threads)
    return s.csat().value


def kpi_frt(df, threads=None):
    d = kpi.frt()
    d.add_array(df["frt_ms"], threads=threads)
    return [d.quantile(q) for q in QS]


def kpi_topics(labels, threads=None):
    t = kpi.TopK(100)
    t.add_array(labels, threads=threads)
    return [(e.label, e.count) for e in t.top(10)]


def kpi_topics_cat(df, threads=None, column="topic_cat", capacity=100):
    cat = df[column].cat
    t = kpi.TopKId(capacity)
    t.add_array(cat.codes.to_numpy(), threads=threads)
    names = cat.categories
    return [(names[e.id], e.count) for e in t.top(10)]


def kpi_topics_wide(df, threads=None):
    return kpi_topics_cat(df, threads, "topic_wide", 1000)


def line(what, t_pd, t_kpi, t_floor=None):
    ns = 1e9 / ROWS
    ceiling = "" if t_floor is None else f"   (numpy's read {t_floor * ns:.2f} ns/row: pandas / it x{t_pd / t_floor:.1f})"
    print(f"  {what:<40} pandas {t_pd * 1e3:9.2f} ms ({t_pd * ns:6.2f} ns/row)   "
          f"libkpi {t_kpi * 1e3:8.2f} ms ({t_kpi * ns:6.2f} ns/row)   x{t_pd / t_kpi:.1f}{ceiling}")


def line_threads(t_pd, t_kpi1, t_kpi2):
    """The 2-thread figure under a row: time, ratio over pandas, and the
    speed-up over the row's one-thread libkpi time."""
    ns = 1e9 / ROWS
    print(f"  {'  libkpi 2 threads':<40} {'':>35}   libkpi {t_kpi2 * 1e3:8.2f} ms "
          f"({t_kpi2 * ns:6.2f} ns/row)   x{t_pd / t_kpi2:.1f}   ({t_kpi1 / t_kpi2:.2f}x one thread)")


def read_floor(col):
    """The time numpy takes to read the column's bytes once (summing them
    as 64-bit words, a vectorized pass with no conversion): a yardstick of
    reading speed.  Not a floor: the score kernel, which asks for the
    array a block ahead of its loads, reads faster than this."""
    a = np.ascontiguousarray(col.to_numpy())
    words = a.view(np.uint8)[: a.nbytes // 8 * 8].view(np.uint64)
    return median_seconds(lambda: int(np.add.reduce(words)))[0]


def main():
    print(f"\n== pandas {pd.__version__} beside libkpi {kpi.version()} from Python "
          f"{sys.version.split()[0]}, numpy {np.__version__}: {ROWS:,} rows, "
          f"median of {REPS}{' (quick mode: small sizes)' if QUICK else ''}; "
          f"{os.cpu_count()} cores (pandas uses one)")
    df = generate(ROWS)
    results = {}
    threaded = {}  # what -> (libkpi 2-thread time, result)
    means = {}  # what -> pandas' boolean-mean result
    for what, fp, fk, col in (("NPS (0..10)", pd_nps, kpi_nps, df["nps"]),
                              ("CSAT share (top-2-box of 1..5)", pd_csat, kpi_csat, df["csat"]),
                              ("FRT p50/p90/p99 (int64 ms)", pd_frt, kpi_frt, df["frt_ms"]),
                              ("top 10 topics, categorical codes", pd_topics_cat, kpi_topics_cat,
                               df["topic_cat"].cat.codes),
                              (WIDE, pd_topics_wide, kpi_topics_wide,
                               df["topic_wide"].cat.codes)):
        t_pd, r_pd = median_seconds(lambda: fp(df))
        t_kpi, r_kpi = median_seconds(lambda: fk(df))
        results[what] = (t_pd, t_kpi, r_pd, r_kpi)
        line(what, t_pd, t_kpi, read_floor(col))
        threaded[what] = median_seconds(lambda: fk(df, threads=2))
        line_threads(t_pd, t_kpi, threaded[what][0])
        fm = {"NPS (0..10)": pd_nps_mean, "CSAT share (top-2-box of 1..5)": pd_csat_mean}.get(what)
        if fm is not None:  # the faster pandas idiom, beside the value_counts
            t_m, r_m = median_seconds(lambda: fm(df))
            means[what] = r_m
            print(f"  {'  pandas as boolean means':<40} pandas {t_m * 1e3:9.2f} ms "
                  f"({t_m * 1e9 / ROWS:6.2f} ns/row)   libkpi one thread x{t_m / t_kpi:.1f}, "
                  f"2 threads x{t_m / threaded[what][0]:.1f}")
    t_pd, r_pd = median_seconds(lambda: pd_topics(df))
    t_kpi, r_kpi = median_seconds(lambda: kpi_topics(df["topic"]))
    results["topics"] = (t_pd, t_kpi, r_pd, r_kpi)
    line("top 10 topics, string labels", t_pd, t_kpi)
    threaded["topics"] = median_seconds(lambda: kpi_topics(df["topic"], threads=2))
    line_threads(t_pd, t_kpi, threaded["topics"][0])
    t0 = time.perf_counter()
    labels = df["topic"].to_numpy().astype("S")  # once: object str -> fixed-width bytes
    t_conv = time.perf_counter() - t0
    t_s, r_s = median_seconds(lambda: kpi_topics(labels))
    print(f"  {'  libkpi from an S array':<40} {'':>35}   libkpi {t_s * 1e3:8.2f} ms "
          f"({t_s * 1e9 / ROWS:6.2f} ns/row)   x{t_pd / t_s:.1f}   (same labels and counts: "
          f"{[(str(x), int(y)) for x, y in r_s] == [(str(x), int(y)) for x, y in r_pd]}); "
          f"the object column -> S array, once: {t_conv * 1e3:.2f} ms "
          f"({t_conv * 1e9 / ROWS:.2f} ns/row), not in that time")

    strs = [k for k in results if k not in ("top 10 topics, categorical codes", WIDE)]
    t_pd_all = sum(results[k][0] for k in strs)
    t_kpi_all = sum(results[k][1] for k in strs)
    line("all four KPIs (string topics)", t_pd_all, t_kpi_all)
    cats = [k for k in results if k not in ("topics", WIDE)]
    t_pd_cat = sum(results[k][0] for k in cats)
    t_kpi_cat = sum(results[k][1] for k in cats)
    line("all four KPIs (categorical topics)", t_pd_cat, t_kpi_cat)
    line_threads(t_pd_cat, t_kpi_cat, sum(threaded[k][0] for k in cats))

    print("  agreement:")
    agree = []  # every check below; one False makes the exit status 1
    _, _, nps_pd, nps_kpi = results["NPS (0..10)"]
    _, _, csat_pd, csat_kpi = results["CSAT share (top-2-box of 1..5)"]
    agree += [abs(nps_pd - nps_kpi) < 1e-9, abs(csat_pd - csat_kpi) < 1e-12]
    print(f"    NPS   pandas {nps_pd:.6f}  libkpi {nps_kpi:.6f}  (exact: equal {agree[-2]})")
    print(f"    CSAT  pandas {csat_pd:.6f}  libkpi {csat_kpi:.6f}  (exact: equal {agree[-1]})")
    agree.append(abs(means['NPS (0..10)'] - nps_kpi) < 1e-9
                 and abs(means['CSAT share (top-2-box of 1..5)'] - csat_kpi) < 1e-12)
    print(f"    boolean means: NPS {means['NPS (0..10)']:.6f}, CSAT "
          f"{means['CSAT share (top-2-box of 1..5)']:.6f} (equal: {agree[-1]})")
    _, _, q_pd, q_kpi = results["FRT p50/p90/p99 (int64 ms)"]
    for q, a, b in zip(QS, q_pd, q_kpi):
        agree.append(abs(b - a) / a <= 0.01)
        print(f"    FRT p{round(q * 100)}: pandas {a:.0f} ms  libkpi {b:.1f} ms  "
              f"relative error {abs(b - a) / a:.5f} (promise <= 0.01)")
    for key, name in (("topics", "strings"), ("top 10 topics, categorical codes", "codes"),
                      (WIDE, f"{WIDE_TOPICS} categories' codes")):
        _, _, a, b = results[key]
        same = [(str(x), int(y)) for x, y in a] == [(str(x), int(y)) for x, y in b]
        agree.append(same)
        print(f"    top topics ({name}): same labels and counts as pandas: {same}")
    print("  2 threads against 1 thread (libkpi):")
    for what, (_, r2) in threaded.items():
        r1 = results[what][3]
        if isinstance(r1, list) and r1 and isinstance(r1[0], tuple):
            how = "same labels and counts"
            same = [(str(x), int(y)) for x, y in r1] == [(str(x), int(y)) for x, y in r2]
        elif isinstance(r1, list):
            how, same = "quantiles equal", r1 == r2
        else:
            how, same = "exact: equal", r1 == r2
        agree.append(same)
        name = "top 10 topics, string labels" if what == "topics" else what
        print(f"    {name:<40} {how}: {same}")
    if not all(agree):
        print("  libkpi and pandas DISAGREE above: the ratios compare different results")
        sys.exit(1)


if __name__ == "__main__":
    main()
