"""examples/python/dask_kpis.py: states built in two Dask worker processes,
shipped as bytes and merged, against one process and against pandas."""

import pytest
from conftest import example_module


@pytest.fixture(scope="module")
def example():
    with example_module("dask_kpis") as mod:
        yield mod


def test_dask_run_equals_one_process_and_pandas(example):
    df = example.generate_log(20_000, seed=5)
    dist = example.run_dask(df, partitions=5)
    single = example.run_single(df)
    # every figure, sketches included, is the same as one process's (the
    # example prints "identical reports"): exact states merge exactly and
    # merged sketches equal the single-stream sketch bucket for bucket
    assert dist == single
    # exact KPIs: equal to pandas, to the bit (integer counts and an
    # integer sum, each divided once, round alike)
    assert dist["tickets"] == len(df)
    counts = df["nps"].value_counts()
    promoters = counts.reindex([9, 10], fill_value=0).sum()
    detractors = counts.reindex(range(7), fill_value=0).sum()
    assert dist["nps"] == 100 * (promoters - detractors) / len(df)
    assert dist["csat"] == (df["csat"] >= 4).sum() / len(df)
    assert dist["frt_mean_ms"] == df["frt_ms"].sum() / len(df)
    assert dist["frt_within_1h"] == (df["frt_ms"] <= 3_600_000).sum() / len(df)
    topics = df["topic"].value_counts()
    assert dist["top_topics"] == [(str(k), int(v)) for k, v in topics.iloc[:5].items()]
    daily = df.groupby(df["t_ms"] // example.DAY * example.DAY).size()
    assert dist["daily_volume"] == [(int(k), float(v)) for k, v in daily.items()]
    # sketches: within their promise of the exact values
    for q, key in ((0.5, "frt_p50_ms"), (0.9, "frt_p90_ms"), (0.99, "frt_p99_ms")):
        v = df["frt_ms"].quantile(q, interpolation="lower")
        assert abs(dist[key] - v) <= 0.01 * v
    true = df["customer"].nunique()
    assert abs(dist["distinct_customers"] - true) <= 3 * 1.04 / 128 * true
