"""examples/python/dask_engine.py: engines built in two Dask worker
processes from a log sharded by customer, shipped as bytes and merged,
against one engine over the whole log and against the generator's own
first response times."""

import pytest
from conftest import example_module

np = pytest.importorskip("numpy")


@pytest.fixture(scope="module")
def example():
    with example_module("dask_engine") as mod:
        yield mod


def test_merged_engines_equal_one_engine(example):
    tickets = 20_000
    log, expected_frt = example.generate_log(tickets, seed=5)
    dist = example.run_dask(log, partitions=4)
    single = example.run_single(log)
    # every figure, quantiles included, is the same (merged sketches equal
    # the single-stream sketch bucket for bucket)
    assert dist == single
    counts = dist["counts"]
    assert counts["created"] == tickets and counts["events"] == len(log)
    assert counts["merged"] == (expected_frt < 0).sum()
    assert counts["live"] > 0 and counts["settled"] > 0 and counts["reopens"] > 0
    # against the generator: FRT from creation (or the bot's handoff, or the
    # first customer message of an outbound ticket) to the first human reply
    frt = expected_frt[expected_frt >= 0]
    assert dist["frt_count"] == len(frt)
    # exact: an integer sum and a count, each divided once
    assert dist["frt_mean_ms"] == frt.sum() / len(frt)
    assert dist["frt_within_1h"] == (frt <= 3_600_000).sum() / len(frt)
    for q, key in ((0.5, "frt_p50_ms"), (0.9, "frt_p90_ms")):
        exact = np.quantile(frt, q, method="lower")
        assert abs(dist[key] - exact) <= 0.01 * exact
    assert dist["csat_answers"] == (log["kind"] == 15).sum()
    assert sum(n for _, n in dist["daily_volume"]) == tickets
