#!/usr/bin/env python3
"""The ticket engine scaled out with Dask: helpdesk lifecycle events sharded
by customer, one kpi.Engine per partition, engines shipped back as portable
bytes and merged -- the same KPIs as one engine over the whole log.

A generated event log (ticket created, bot reply and handoff, assignment,
agent replies, customer messages, resolves, reopens, closes, merges, CSAT
answers, agents' logged-in time) is a pandas DataFrame with the columns of
kpi.EVENT_DTYPE plus a shard key (the customer; the agent for logged-in
rows).  Dask shuffles it on that key, so every event of a customer, and so
of each of its tickets, lands in one partition.  On a LocalCluster of two
worker processes each partition becomes an EVENT_DTYPE array, applied to
a fresh Engine with one apply() call and advanced to the log's end; the
client merges the engines (``sum(...)``) and reads the KPIs.  Sharding by
customer keeps repeat contacts exact.

Every figure is identical to the single-engine run: counts, shares and
sums are exact, and FRT quantiles come from merged sketches that equal the
single-stream sketch bucket for bucket (within 1% of the exact values).

    KPI_LIBRARY=lib/.libs/libkpi.so PYTHONPATH=python \\
        /usr/bin/python3 examples/python/dask_engine.py --tickets 100000 --partitions 8
"""

import argparse
import time

import numpy as np
import pandas as pd

import kpi

H = kpi.MS_PER_HOUR
DAY = kpi.MS_PER_DAY
MINUTE = kpi.MS_PER_MINUTE
START_MS = 1_704_067_200_000  # 2024-01-01T00:00:00Z
TOPICS = ["billing", "login", "refund", "shipping", "cancel", "bug", "invoice",
          "password", "upgrade", "delivery", "account", "other"]
TOPIC_NAMES = {code: name for code, name in enumerate(TOPICS, 1)}
FIELDS = [n for n in kpi.EVENT_DTYPE.names if n != "reserved"]


def generate_log(tickets, seed=1, days=28, agents=40):
    """(events, expected): the event DataFrame sorted by time (the index is
    the global order) and, per ticket, the FRT the engine must find (-1:
    none, for merged tickets)."""
    rng = np.random.default_rng(seed)
    n = tickets
    tk = np.arange(1, n + 1, dtype=np.int64)
    created = START_MS + rng.integers(0, days * DAY, n)
    customer = rng.integers(1, n // 3 + 2, n)
    agent = rng.integers(1, agents + 1, n)
    team = 1 + agent % 4
    topic_p = 1.0 / np.arange(1, len(TOPICS) + 1) ** 1.1
    by_agent = rng.random(n) < 0.05
    bot = ~by_agent & (rng.random(n) < 0.3)
    merged = rng.random(n) < 0.03
    second = ~merged & (rng.random(n) < 0.35)
    csat = ~merged & (rng.random(n) < 0.4)
    reopen = ~merged & (rng.random(n) < 0.08)
    close = ~merged & (rng.random(n) < 0.25)

    def u(lo, hi):
        return rng.integers(lo, hi, n)

    def reply_wait(median):
        return np.maximum(1000, rng.lognormal(np.log(median), 1.0, n)).astype(np.int64)

    parts = []

    def add(mask, t, kind, actor=0, value=0, flags=0, channel=0, priority=0, team=0,
            topic=0):
        cols = dict(time_ms=t, kind=kind, ticket=tk, actor=actor, value=value, flags=flags,
                    channel=channel, priority=priority, team=team, topic=topic,
                    shard_key=customer, step=len(parts))
        parts.append(pd.DataFrame({k: np.broadcast_to(v, n)[mask] for k, v in cols.items()}))

    every = np.ones(n, bool)
    add(every, created, kpi.EVENT_CREATED, actor=customer, channel=u(0, 4),
        priority=u(0, 4), flags=np.where(by_agent, kpi.EVENT_FLAG_BY_AGENT, 0),
        topic=1 + rng.choice(len(TOPICS), n, p=topic_p / topic_p.sum()))
    first_message = created + u(MINUTE, 2 * H)
    add(by_agent, first_message, kpi.EVENT_CUSTOMER_MESSAGE)
    start = np.where(by_agent, first_message, created)
    bot_at = start + u(5_000, 60_000)
    handoff_at = bot_at + u(10_000, 5 * MINUTE)
    add(bot, bot_at, kpi.EVENT_BOT_REPLY)
    add(bot, handoff_at, kpi.EVENT_HANDOFF)
    frt_start = np.where(bot, handoff_at, start)
    assigned = frt_start + u(1_000, 10 * MINUTE)
    add(every, assigned, kpi.EVENT_ASSIGNED, actor=agent, team=team)
    add(merged, assigned + 1, kpi.EVENT_MERGED, actor=tk + n)
    live = ~merged
    reply1 = assigned + reply_wait(30 * MINUTE)
    add(live, reply1, kpi.EVENT_AGENT_REPLY, actor=agent)
    message2 = reply1 + u(10 * MINUTE, 6 * H)
    reply2 = message2 + reply_wait(45 * MINUTE)
    add(second, message2, kpi.EVENT_CUSTOMER_MESSAGE)
    add(second, reply2, kpi.EVENT_AGENT_REPLY, actor=agent)
    resolved = np.where(second, reply2, reply1) + u(MINUTE, 2 * H)
    add(live, resolved, kpi.EVENT_RESOLVED, actor=agent)
    answer = 1 + rng.choice(5, n, p=[0.06, 0.06, 0.12, 0.30, 0.46])
    add(csat, resolved + u(10 * MINUTE, 20 * H), kpi.EVENT_CSAT, value=answer)
    comeback = resolved + u(H, 5 * DAY)       # a customer message reopens it
    reply3 = comeback + reply_wait(40 * MINUTE)
    resolved2 = reply3 + u(MINUTE, H)
    add(reopen, comeback, kpi.EVENT_CUSTOMER_MESSAGE)
    add(reopen, reply3, kpi.EVENT_AGENT_REPLY, actor=agent)
    add(reopen, resolved2, kpi.EVENT_RESOLVED, actor=agent)
    final = np.where(reopen, resolved2, resolved)
    add(close, final + u(DAY, 3 * DAY), kpi.EVENT_CLOSED)
    # the agents' logged-in time, once a day (sharded by agent)
    ag = np.repeat(np.arange(1, agents + 1), days)
    day = np.tile(np.arange(days), agents)
    parts.append(pd.DataFrame(dict(
        time_ms=START_MS + day * DAY + 23 * H, kind=kpi.EVENT_LOGGED_IN, ticket=0, actor=ag,
        value=8 * H, flags=0, channel=0, priority=0, team=1 + ag % 4, topic=0,
        shard_key=ag, step=len(parts))))
    log = pd.concat(parts, ignore_index=True)
    order = np.lexsort((log["step"].to_numpy(), log["ticket"].to_numpy(),
                        log["time_ms"].to_numpy()))
    log = log.iloc[order].drop(columns="step").reset_index(drop=True)
    expected_frt = np.where(merged, -1, reply1 - frt_start)
    return log, expected_frt


def new_engine():
    return kpi.Engine(names={"topic": TOPIC_NAMES}, targets={"frt": [H]})


def engine_bytes(part, until):
    """One partition -> the bytes of its engine.  Runs in a worker: the
    rows are put back in log order (the index), turned into one
    EVENT_DTYPE array and applied with one call."""
    e = new_engine()
    e.apply(kpi.to_events(part.sort_index()[FIELDS]))
    e.advance(until)
    return bytes(e)


def report(e):
    """The engine's KPIs as plain Python values."""
    frt = e.duration("frt")
    by_team = e.group("frt", "team")
    start, volume = e.volume().values()
    days = [int(start) + i * DAY for i, v in enumerate(volume) if v]
    return {
        "counts": e.counts(),
        "frt_count": frt.count,
        "frt_mean_ms": frt.mean,
        "frt_p50_ms": frt.quantile(0.5),
        "frt_p90_ms": frt.quantile(0.9),
        "frt_within_1h": frt.share_within(H).value,
        "frt_p90_by_team": {k: by_team[k].quantile(0.9) for k in by_team},
        "reply_time_p50_ms": e.duration("reply_time").quantile(0.5),
        "full_resolution_p90_ms": e.duration("full_resolution").quantile(0.9),
        "fcr": e.rate("fcr").share().value,
        "reopen": e.rate("reopen").share().value,
        "repeat_contact": e.rate("repeat_contact").share().value,
        "csat": e.score("csat").csat().value,
        "csat_answers": e.score("csat").count,
        "replies_per_hour_by_team": {k: r.value for k, r in
                                     e.group("replies_per_hour", "team").items()},
        "top_topics": [(x.label, x.count) for x in e.top_topics().top(5)],
        "daily_volume": [(day, float(e.volume().period(day))) for day in days],
        # unresolved tickets at the end of the last 7 days with new tickets
        "backlog": [e.backlog(day) for day in days[-7:]],
        "aging": tuple(e.aging()),
    }


def run_single(log):
    e = new_engine()
    e.apply(kpi.to_events(log[FIELDS]))
    e.advance(int(log["time_ms"].max()))
    return report(e)


def run_dask(log, partitions=8, n_workers=2):
    """Shard the log by customer and build one engine per partition on a
    LocalCluster of processes; merge the engines' bytes on the client."""
    import dask
    import dask.dataframe as dd
    from dask.distributed import Client, LocalCluster

    until = int(log["time_ms"].max())
    ddf = dd.from_pandas(log, npartitions=partitions, sort=False)
    ddf = ddf.shuffle("shard_key", npartitions=partitions)  # a customer: one partition
    with LocalCluster(n_workers=n_workers, threads_per_worker=1, processes=True,
                      dashboard_address=":0") as cluster, Client(cluster) as client:
        tasks = [dask.delayed(engine_bytes)(p, until) for p in ddf.to_delayed()]
        states = client.compute(tasks, sync=True)
    return report(sum(kpi.Engine.from_bytes(s) for s in states))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--tickets", type=int, default=100_000)
    ap.add_argument("--partitions", type=int, default=8)
    args = ap.parse_args()
    log, _ = generate_log(args.tickets)
    t0 = time.perf_counter()
    dist = run_dask(log, args.partitions)
    t1 = time.perf_counter()
    single = run_single(log)
    t2 = time.perf_counter()
    print(f"{len(log)} events of {args.tickets} tickets in {args.partitions} partitions "
          f"by customer on 2 worker processes ({t1 - t0:.2f} s, cluster start included) "
          f"vs one engine ({t2 - t1:.2f} s)")
    print(f"{'KPI':<24} {'Dask (merged engines)':>24} {'one engine':>24}")
    for key, value in dist.items():
        if isinstance(value, (int, float)):
            print(f"{key:<24} {value:>24.6f} {single[key]:>24.6f}")
    print("counters:", {k: v for k, v in dist["counts"].items() if v})
    print("top topics:", dist["top_topics"])
    print("backlog at the end of the last 7 days with new tickets:", dist["backlog"])
    print("identical reports:", dist == single)


if __name__ == "__main__":
    main()
