#!/usr/bin/env python3
"""Distributed KPIs with Dask: libkpi states built in the workers, shipped
back as portable bytes, merged, and read -- the same figures as one process.

A generated helpdesk event log (one row per ticket: customer, NPS and CSAT
answers, first response time in ms, topic, creation time) is split into
partitions.  On a LocalCluster of two worker processes each partition
becomes a handful of libkpi accumulators (NPS, CSAT, FRT, top topics,
distinct customers, daily volume), serialized with ``bytes(obj)``.  The
client rebuilds them with ``kpi.from_bytes`` and merges them with ``+``.
The run is then repeated in this process over the whole log and both
reports are printed side by side.

Counts, NPS, CSAT, FRT sums and the daily volume are exact either way; the
FRT quantiles are within the sketch's 1% of the exact values, and merged
sketches equal the single-stream sketch bucket for bucket, so both runs
print the same numbers.

    KPI_LIBRARY=lib/.libs/libkpi.so PYTHONPATH=python \\
        /usr/bin/python3 examples/python/dask_kpis.py --rows 200000 --partitions 8
"""

import argparse
import time

import numpy as np
import pandas as pd

import kpi

DAY = kpi.MS_PER_DAY
START_MS = 1_704_067_200_000  # 2024-01-01T00:00:00Z
TOPICS = ["billing", "login", "refund", "shipping", "cancel", "bug", "invoice",
          "password", "upgrade", "delivery", "account", "other"]


def generate_log(rows, seed=1, days=28):
    """A synthetic ticket log, sorted by creation time."""
    rng = np.random.default_rng(seed)
    t = np.sort(START_MS + rng.integers(0, days * DAY, rows))
    nps_p = np.array([3, 2, 2, 3, 3, 5, 7, 12, 15, 20, 28], dtype=float)
    csat_p = np.array([6, 6, 12, 30, 46], dtype=float)
    topic_p = 1.0 / np.arange(1, len(TOPICS) + 1) ** 1.1
    return pd.DataFrame({
        "t_ms": t,
        "customer": rng.integers(0, rows // 4 + 1, rows),
        "nps": rng.choice(11, rows, p=nps_p / nps_p.sum()).astype(np.int32),
        "csat": (1 + rng.choice(5, rows, p=csat_p / csat_p.sum())).astype(np.int32),
        "frt_ms": rng.lognormal(np.log(40 * 60_000), 1.1, rows).astype(np.int64),
        "topic": pd.Categorical.from_codes(
            rng.choice(len(TOPICS), rows, p=topic_p / topic_p.sum()), TOPICS),
    })


def new_states():
    return {
        "nps": kpi.nps(),
        "csat": kpi.csat(5, 4),
        "frt": kpi.frt(targets=[kpi.MS_PER_HOUR]),
        "topics": kpi.TopK(64),
        "customers": kpi.Distinct(14),
        "volume": kpi.Series(DAY, 60, origin_ms=0),
    }


def kpi_states(part):
    """One partition -> {name: portable bytes}.  Runs in a worker."""
    s = new_states()
    s["nps"].add_array(part["nps"].to_numpy())
    s["csat"].add_array(part["csat"].to_numpy())
    s["frt"].add_array(part["frt_ms"].to_numpy())
    # labels as a fixed-width bytes array: the label bytes are used in place
    s["topics"].add_array(part["topic"].astype(str).to_numpy().astype("S"))
    s["customers"].add_array(part["customer"].to_numpy())
    s["volume"].add_array(part["t_ms"].to_numpy())
    return {name: bytes(obj) for name, obj in s.items()}


def merge_states(parts):
    """[{name: bytes}] -> {name: merged accumulator}."""
    return {name: sum(kpi.from_bytes(p[name]) for p in parts) for name in parts[0]}


def report(s):
    """The KPIs as plain Python values."""
    frt = s["frt"]
    start, volume = s["volume"].values()
    days = [(int(start) + i * DAY, float(v)) for i, v in enumerate(volume) if v]
    return {
        "tickets": frt.count,
        "nps": s["nps"].nps().value,
        "csat": s["csat"].csat().value,
        "frt_mean_ms": frt.mean,
        "frt_p50_ms": frt.quantile(0.5),
        "frt_p90_ms": frt.quantile(0.9),
        "frt_p99_ms": frt.quantile(0.99),
        "frt_within_1h": s["frt"].share_within(kpi.MS_PER_HOUR).value,
        "top_topics": [(e.label, e.count) for e in s["topics"].top(5)],
        "distinct_customers": s["customers"].estimate().value,
        "daily_volume": days,
    }


def run_single(df):
    return report(merge_states([kpi_states(df)]))


def run_dask(df, partitions=8, n_workers=2):
    """Build the states per partition on a LocalCluster of processes."""
    import dask
    import dask.dataframe as dd
    from dask.distributed import Client, LocalCluster

    ddf = dd.from_pandas(df, npartitions=partitions, sort=False)
    with LocalCluster(n_workers=n_workers, threads_per_worker=1, processes=True,
                      dashboard_address=":0") as cluster, Client(cluster) as client:
        tasks = [dask.delayed(kpi_states)(p) for p in ddf.to_delayed()]
        parts = client.compute(tasks, sync=True)
    return report(merge_states(parts))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--rows", type=int, default=200_000)
    ap.add_argument("--partitions", type=int, default=8)
    args = ap.parse_args()
    df = generate_log(args.rows)
    t0 = time.perf_counter()
    dist = run_dask(df, args.partitions)
    t1 = time.perf_counter()
    single = run_single(df)
    t2 = time.perf_counter()
    print(f"{args.rows} tickets in {args.partitions} partitions on 2 worker processes "
          f"({t1 - t0:.2f} s, cluster start included) vs one process ({t2 - t1:.2f} s)")
    print(f"{'KPI':<20} {'Dask (merged bytes)':>28} {'one process':>28}")
    for key in dist:
        if key in ("top_topics", "daily_volume"):
            continue
        print(f"{key:<20} {dist[key]:>28.6f} {single[key]:>28.6f}")
    print("top topics (Dask):       ", dist["top_topics"])
    print("top topics (one process):", single["top_topics"])
    print("days with volume:", len(dist["daily_volume"]),
          "same volume per day:", dist["daily_volume"] == single["daily_volume"])
    print("identical reports:", dist == single)


if __name__ == "__main__":
    main()
