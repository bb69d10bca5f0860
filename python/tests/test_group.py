"""Group against pandas groupby; member views; nested groups."""

import pickle

import pytest

import kpi

np = pytest.importorskip("numpy")


def test_group_of_durations_against_pandas_groupby(rng):
    pd = pytest.importorskip("pandas")
    df = pd.DataFrame({"agent": rng.integers(0, 12, 20_000),
                       "frt": rng.lognormal(12, 1, 20_000).astype("int64")})
    g = kpi.Group(kpi.frt())
    for agent, part in df.groupby("agent"):
        g[agent].add_array(part["frt"].to_numpy())
    assert g.keys() == sorted(df["agent"].unique().tolist()) and len(g) == 12
    exact = df.groupby("agent")["frt"].quantile(0.9, interpolation="lower")
    for agent, member in g.items():
        assert isinstance(member, kpi.Duration)
        assert member.count == int((df["agent"] == agent).sum())
        assert abs(member.quantile(0.9) - exact[agent]) <= 0.01 * exact[agent]
    total = g.total()
    assert isinstance(total, kpi.Duration) and total.count == len(df)
    v = df["frt"].quantile(0.5, interpolation="lower")
    assert abs(total.quantile(0.5) - v) <= 0.01 * v


def test_group_member_views_follow_the_group():
    g = kpi.Group(kpi.Rate())
    g[1].add(True)
    view = g[1]
    other = kpi.Group(kpi.Rate())
    other[1].add(False)
    g += other  # merge replaces the member object: the view still resolves
    assert (view.successes, view.trials) == (1, 2)
    assert 1 in g and 2 not in g and g.find(2) is None and len(g) == 1
    del g[1]
    with pytest.raises(KeyError):
        view.share()
    with pytest.raises(kpi.KpiUnknownIdError):
        g.remove(1)
    g[-1].add(True)  # keys are unsigned 64-bit
    assert g.keys() == [2**64 - 1]
    # a member pickles as a standalone object
    alone = pickle.loads(pickle.dumps(g[-1]))
    assert isinstance(alone, kpi.Rate) and alone.trials == 1 and alone._member is None


def test_a_members_configuration_is_the_groups():
    g = kpi.Group(kpi.csat(5, 4))
    g[1].add(4)
    with pytest.raises(kpi.KpiStateError):
        g[1].set_threshold(5)
    # the group still round-trips and its total reads with the prototype's threshold
    back = kpi.Group.from_bytes(g.to_bytes())
    assert back.total().csat().value == 1.0
    alone = pickle.loads(pickle.dumps(g[1]))  # a copy is the caller's
    alone.set_threshold(5)
    assert alone.csat().value == 0.0


def test_rate_spread():
    g = kpi.Group(kpi.Rate())
    g[1].add_counts(8, 10)
    g[2].add_counts(6, 10)
    g[3].add_counts(1, 1)
    s = g.rate_spread(min_trials=5)
    # shares 0.8 and 0.6: population sd sqrt((0.01 + 0.01) / 2) = 0.1, not
    # the sample sd sqrt(0.02 / 1) = 0.1414; agent 3 (1 trial) is skipped
    assert s == pytest.approx((0.7, 0.1, 0.6, 0.8, 2))
    with pytest.raises(kpi.KpiTypeError):
        kpi.Group(kpi.nps()).rate_spread()
    with pytest.raises(kpi.KpiEmptyError):
        g.rate_spread(min_trials=100)


def test_mean_spread():
    g = kpi.Group(kpi.Mean())
    for x in (4, 5):
        g[1].add(x)
    for x in (3, 3, 2):
        g[2].add(x)
    g[3].add(5)
    s = g.mean_spread(min_count=2)
    # means 4.5 and 8/3 (agent 3's one value skipped): mean 43/12, population
    # sd (4.5 - 8/3) / 2 = 0.91667
    assert s == pytest.approx((43 / 12, 11 / 12, 8 / 3, 4.5, 2))
    assert isinstance(s, kpi.MeanSpread)
    assert g.mean_spread().agents == 3 and g.mean_spread().max == 5
    with pytest.raises(kpi.KpiTypeError):
        kpi.Group(kpi.Rate()).mean_spread()
    with pytest.raises(kpi.KpiTypeError):
        g.rate_spread()
    with pytest.raises(kpi.KpiEmptyError):
        g.mean_spread(min_count=4)


def test_nested_groups_round_trip():
    g = kpi.Group(kpi.Group(kpi.nps()))  # team -> agent -> NPS
    g[1][10].add_array([10, 9, 3])
    g[2][20].add(0)
    back = kpi.from_bytes(bytes(g))
    assert isinstance(back, kpi.Group) and back.member_type is kpi.Group
    assert back[1].member_type is kpi.Score
    assert back[1][10].nps().value == pytest.approx(100 / 3)
    assert back.total()[20].count == 1


def test_group_refuses_bad_prototypes_and_merges():
    with pytest.raises(kpi.KpiTypeError):
        kpi.Group(kpi.Journey(10, 1000))
    with pytest.raises(TypeError):
        kpi.Group(42)
    with pytest.raises(kpi.KpiIncompatibleError):
        kpi.Group(kpi.nps()).merge(kpi.Group(kpi.csat()))


def test_a_group_from_a_read_only_view_feeds_its_members():
    # An engine's accumulator (a read-only view) as the prototype: the
    # group copies its configuration into members of the plain class,
    # which the group's owner feeds.  The read-only view class was taken
    # for the members: g[1].add() raised TypeError, total() was read-only.
    e = kpi.Engine()
    g = kpi.Group(e.duration("frt"))
    assert g.member_type is kpi.Duration
    g[1].add(5)
    assert g[1].count == 1 and type(g[1]) is kpi.Duration
    total = g.total()
    assert type(total) is kpi.Duration
    total.add(7)
    assert total.count == 2
    nested = kpi.Group(kpi.Engine().group("frt", kpi.DIM_AGENT))
    assert nested.member_type is kpi.Group
    nested[3][4].add(9)
    assert nested[3][4].count == 1
