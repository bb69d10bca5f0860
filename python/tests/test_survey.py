"""Score (CSAT, ESAT, NPS, CES), Rate, Mean (sentiment, IQS) and Ratio
against hand values and exact numpy / pandas computations."""

import math

import pytest

import kpi
from conftest import assert_estimate, assert_wilson, Z95

np = pytest.importorskip("numpy")


# ---- Score -----------------------------------------------------------------
def test_nps_by_hand():
    s = kpi.nps()
    s.add_array([10, 9, 9, 8, 7, 6, 0, 10])  # 4 promoters, 2 passives, 2 detractors
    e = s.nps()
    # adjusted Wald (Rocks 2016): 3/4 added to promoters and detractors,
    # 3 to n; centre 100 (4.75 - 2.75) / 11, not the value 25
    p, d, n = 4.75 / 11, 2.75 / 11, 11
    margin = Z95 * math.sqrt((p + d - (p - d) ** 2) / n) * 100
    centre = (p - d) * 100
    assert_estimate(e, 25.0, centre - margin, centre + margin, 8, rel=1e-6)
    assert e.low == pytest.approx(-29.41675030713442, rel=1e-9)
    shares = s.nps_shares()
    assert_wilson(shares.promoters, 4, 8)
    assert_wilson(shares.passives, 2, 8)
    assert_wilson(shares.detractors, 2, 8)
    assert s.scale == (0, 10)
    assert s.count_of(9) == 2 and s.count_of(5) == 0
    assert s.mean == pytest.approx(59 / 8)


def test_nps_margin_of_error():
    s = kpi.nps()
    s.add_array([10, 9, 9, 8, 7, 6, 0, 10])
    # the catalogue's plain Wald margin: p = 4/8, d = 2/8,
    # 1.96 sqrt((0.75 - 0.0625) / 8) x 100 = 57.4565
    assert s.nps_margin() == pytest.approx(Z95 * math.sqrt(0.6875 / 8) * 100, rel=1e-12)
    assert s.nps_margin() == pytest.approx(57.4565, abs=1e-4)
    s.reset()
    with pytest.raises(kpi.KpiEmptyError):
        s.nps_margin()
    s.add_array([9, 10])
    assert s.nps_margin() == 0.0  # every answer a promoter
    with pytest.raises(kpi.KpiStateError):
        kpi.csat(5, 4).nps_margin()


def test_csat_ces_esat_presets():
    c = kpi.csat(5, 4)
    c.add_array([5, 4, 3, 1, 5])
    assert_wilson(c.csat(), 3, 5)
    assert c.share() == c.csat()
    assert_wilson(c.share_at_most(3), 2, 5)
    e = kpi.esat()
    e.add_array([5, 4, 3, 1, 5])
    assert e.csat() == c.csat()
    ces = kpi.ces(7, 5)
    ces.add_array([7, 5, 4, 1])
    assert_wilson(ces.ces_easy(), 2, 4)
    ces2 = kpi.ces(7, 3)
    ces2.set_high_is_easy(False)
    ces2.add_array([7, 5, 3, 1])
    assert_wilson(ces2.ces_easy(), 2, 4)
    with pytest.raises(kpi.KpiStateError) as err:  # a 1..5 CSAT has no NPS cuts
        c.nps()
    assert err.value.code == -14


def test_presets_default_thresholds_follow_the_scale():
    # CSAT / ESAT: top-2-box on the given scale; 1-10 answers 10, 9, 8, 4:
    # satisfied 10 and 9 -> 2 of 4 (the fixed default 4 counted 4 of 4)
    for make in (kpi.csat, kpi.esat):
        s = make(10)
        s.add_array([10, 9, 8, 4])
        assert_wilson(s.csat(), 2, 4)
    # 1-5 keeps 4 and 5; 1-3 is 2 and 3; a one-answer scale: its answer
    c = kpi.csat()
    c.add_array([5, 4, 3])
    assert_wilson(c.csat(), 2, 3)
    c3 = kpi.csat(max=3)  # refused before: 4 > 3
    c3.add_array([3, 2, 1])
    assert_wilson(c3.csat(), 2, 3)
    c1 = kpi.csat(1)
    c1.add(1)
    assert_wilson(c1.csat(), 1, 1)
    # CES: the answers above the middle (max + 1) / 2: 5-7 on 1-7 (middle
    # 4), 4-5 on 1-5 (3), 6-10 on 1-10 (5.5), 3-4 on 1-4 (2.5), 2 on 1-2
    for top, answers, easy in ((7, [7, 5, 4, 1], 2), (5, [5, 4, 3, 1], 2),
                               (10, [10, 6, 5, 1], 2), (4, [4, 3, 2, 1], 2),
                               (2, [2, 1], 1), (1, [1], 1)):
        e = kpi.ces(top)
        e.add_array(answers)
        assert_wilson(e.ces_easy(), easy, len(answers))
    # an explicit threshold is kept
    c = kpi.csat(10, 7)
    c.add_array([10, 7, 6])
    assert_wilson(c.csat(), 2, 3)


def test_high_is_easy_takes_true_false_1_0_and_refuses_the_rest():
    # 1..7 CES, threshold 3, answers 7, 5, 3, 1: >= 3 is 3 of 4, <= 3 is 2 of 4
    s = kpi.ces(7, 3)
    s.add_array([7, 5, 3, 1])
    for v, easy in ((False, 2), (True, 3), (0, 2), (1, 3), (np.False_, 2), (np.True_, 3)):
        s.set_high_is_easy(v)
        assert_wilson(s.ces_easy(), easy, 4)
    before = bytes(s)
    with pytest.raises(kpi.KpiRangeError):  # C refuses 2; truthiness took it as True
        s.set_high_is_easy(2)
    with pytest.raises(TypeError):  # "no" is not a flag (it was truthy: True)
        s.set_high_is_easy("no")
    assert bytes(s) == before


def test_general_scale_with_custom_cuts():
    s = kpi.Score(1, 10)
    s.set_nps_cuts(9, 6)
    s.set_threshold(8)
    s.add_array([10, 9, 8, 1])
    assert s.nps().value == pytest.approx(25.0)
    assert_wilson(s.share(), 3, 4)
    with pytest.raises(kpi.KpiRangeError):
        s.set_threshold(11)


def test_score_against_pandas(rng):
    pd = pytest.importorskip("pandas")
    answers = pd.Series(rng.integers(0, 11, 50_000), dtype="int32")
    s = kpi.nps()
    s.add_array(answers)  # a pandas Series: its int32 buffer, no copy
    counts = answers.value_counts()
    promoters = int(counts.loc[[9, 10]].sum())
    detractors = int(counts.loc[list(range(7))].sum())
    assert s.nps().value == pytest.approx(100 * (promoters - detractors) / len(answers))
    assert s.distribution == {k: int(counts.get(k, 0)) for k in range(11)}
    assert s.mean == pytest.approx(answers.mean())
    ci = s.mean_ci()
    half = Z95 * answers.std(ddof=1) / math.sqrt(len(answers))
    assert (ci.low, ci.high) == pytest.approx((answers.mean() - half, answers.mean() + half))


def test_score_errors_change_nothing():
    s = kpi.nps()
    s.add_array([1, 2, 3])
    before = bytes(s)
    with pytest.raises(kpi.KpiRangeError) as e:
        s.add(11)
    assert e.value.code == -2 and "value out of range" in str(e.value)
    assert e.value.strerror == "value out of range" and e.value.function == "kpi_score_add"
    with pytest.raises(kpi.KpiRangeError):
        s.add_array(np.array([5, 6, 11], dtype=np.int32))  # one bad answer: none added
    with pytest.raises(kpi.KpiRangeError):
        s.add(2**40)  # does not fit int32: refused before ctypes could wrap it
    with pytest.raises(kpi.KpiRangeError):
        s.add_array(np.array([1, 2**40]))  # int64 array with a value beyond int32
    with pytest.raises(TypeError):
        s.add_array(np.array([1.0, 2.5]))  # floats are never rounded silently
    with pytest.raises(TypeError):
        s.add(3.0)
    assert bytes(s) == before
    with pytest.raises(kpi.KpiEmptyError):
        kpi.nps().nps()
    with pytest.raises(kpi.KpiRangeError):
        kpi.Score(5, 1)
    with pytest.raises(kpi.KpiRangeError):
        kpi.csat(5, 6)


def test_score_bulk_equals_per_item(rng):
    xs = rng.integers(1, 6, 1000, dtype=np.int32)
    bulk, single = kpi.csat(), kpi.csat()
    bulk.add_array(xs)
    for x in xs:
        single.add(int(x))
    assert bytes(bulk) == bytes(single)


# ---- Rate ------------------------------------------------------------------
def test_rate_by_hand_and_counts():
    r = kpi.Rate()
    for x in (True, False, True, 1, 0):
        r.add(x)
    r.add_counts(2, 5)
    assert (r.successes, r.trials) == (5, 10)
    assert_wilson(r.share(), 5, 10)
    with pytest.raises(kpi.KpiRangeError):
        r.add_counts(3, 2)
    with pytest.raises(kpi.KpiRangeError):
        r.add_counts(-1, 2)
    with pytest.raises(kpi.KpiRangeError):
        r.add_array(np.array([0, 1, 2], dtype=np.uint8))
    assert r.trials == 10
    with pytest.raises(kpi.KpiEmptyError):
        kpi.Rate().share()


def test_wilson_without_an_object():
    # kpi_wilson_interval: the interval a Rate of the same counts gives
    for succ, trials in ((5, 10), (0, 1), (7, 7), (1, 3), (2**40, 2**41)):
        r = kpi.Rate()
        r.add_counts(succ, trials)
        assert kpi.wilson(succ, trials) == r.share()
        assert_wilson(kpi.wilson(succ, trials), succ, trials)
    for succ, trials in ((3, 2), (-1, 2), (1, -2), (2**64, 2**64)):
        with pytest.raises(kpi.KpiRangeError):
            kpi.wilson(succ, trials)
    with pytest.raises(kpi.KpiEmptyError):
        kpi.wilson(0, 0)


def test_rate_bool_array_against_numpy(rng):
    outcomes = rng.random(100_001) < 0.83
    r = kpi.Rate()
    r.add_array(outcomes)
    assert r.successes == int(outcomes.sum())
    assert_wilson(r.share(), int(outcomes.sum()), outcomes.size)


# ---- Mean ------------------------------------------------------------------
def test_mean_against_numpy(rng):
    xs = rng.normal(4.2, 2.0, 20_000)
    m = kpi.Mean()
    m.add_array(xs[:7000])
    for x in xs[7000:7010]:
        m.add(float(x))
    m.add_array(list(xs[7010:]))  # a plain list: copied
    assert m.count == xs.size
    assert m.mean == pytest.approx(xs.mean(), rel=1e-12)
    assert m.variance == pytest.approx(xs.var(ddof=1), rel=1e-9)
    assert (m.min, m.max) == (xs.min(), xs.max())
    ci = m.mean_ci()
    half = Z95 * xs.std(ddof=1) / math.sqrt(xs.size)
    assert (ci.low, ci.high) == pytest.approx((xs.mean() - half, xs.mean() + half), rel=1e-6)


def test_weighted_mean_and_single_value_interval():
    m = kpi.Mean()
    m.add(1.0, weight=3)
    m.add(5.0, weight=1)
    assert m.mean == pytest.approx(2.0)
    one = kpi.Mean()
    one.add(2.5)
    ci = one.mean_ci()
    assert ci.value == 2.5 and ci.low == -math.inf and ci.high == math.inf and ci.n == 1
    with pytest.raises(kpi.KpiEmptyError):
        one.variance
    with pytest.raises(kpi.KpiInvalidError):
        one.add(float("nan"))
    with pytest.raises(kpi.KpiInvalidError):
        one.add_array(np.array([1.0, np.inf]))
    assert one.count == 1


def test_sentiment_and_iqs():
    s = kpi.sentiment()
    s.add_array([-0.5, 0.0, 0.04, 0.3, 0.9])
    sh = s.shares()
    assert_wilson(sh.negative, 1, 5)
    assert_wilson(sh.neutral, 2, 5)
    assert_wilson(sh.positive, 2, 5)
    with pytest.raises(kpi.KpiRangeError):
        s.add(1.5)
    q = kpi.iqs()
    q.iqs_add(8, 10)
    q.iqs_add(3, 5)
    assert q.iqs_percent == pytest.approx(100 * 11 / 15)
    with pytest.raises(kpi.KpiRangeError):
        q.iqs_add(6, 5)
    with pytest.raises(kpi.KpiStateError):
        kpi.Mean().shares()


# ---- Ratio -----------------------------------------------------------------
def test_ratio_against_pandas(rng):
    pd = pytest.importorskip("pandas")
    df = pd.DataFrame({"cost": rng.random(5000) * 40, "resolved": rng.integers(0, 3, 5000)})
    r = kpi.cost_per_resolution()
    r.add_array(df["cost"], df["resolved"])  # int column: converted to float64
    assert r.kind == kpi.RATIO_COST_PER_RESOLUTION and r.count == 5000
    assert r.value == pytest.approx(df["cost"].sum() / df["resolved"].sum(), rel=1e-12)
    assert r.numerator == pytest.approx(df["cost"].sum(), rel=1e-12)
    with pytest.raises(ValueError):
        r.add_array([1.0, 2.0], [1.0])
    for make, kind in ((kpi.cost_per_ticket, 2), (kpi.cost_to_revenue, 3),
                       (kpi.tickets_per_agent_hour, 4), (kpi.Ratio, 0)):
        assert make().kind == kind
    with pytest.raises(kpi.KpiEmptyError):
        kpi.Ratio().value
    with pytest.raises(kpi.KpiIncompatibleError):
        kpi.cost_per_ticket().merge(kpi.cost_to_revenue())


def test_ratio_of_an_unknown_kind_is_kpi_invalid_error():
    # the kind is a selector (RATIO_*): one past the last and the largest
    # uint32 are KPI_ERR_INVALID, as the C call answers
    for kind in (kpi.RATIO_TICKETS_PER_AGENT_HOUR + 1, 2**32 - 1):
        with pytest.raises(kpi.KpiInvalidError) as info:
            kpi.Ratio(kind)
        assert info.value.name == "KPI_ERR_INVALID"


def test_rate_and_engine_flags_take_numpy_bools_as_bools():
    # Rate.add and Engine.set_option turned Python's bool into an int but
    # gave numpy's (an element of a bool array) to operator.index, which
    # numpy deprecates ("it will be an error for 'np.bool_' scalars to be
    # interpreted as an index"): a DeprecationWarning per call, an error
    # where warnings are errors, where the docs take "a bool"
    import warnings
    r = kpi.Rate()
    e = kpi.Engine()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for x in np.array([True, False, True]):
            r.add(x)
        e.set_option("bot_replies_count", np.True_)
    assert (r.successes, r.trials) == (2, 3)
    assert e.option("bot_replies_count") == 1
    with pytest.raises(kpi.KpiRangeError):
        r.add(2)
    assert r.trials == 3


def test_score_on_one_value_takes_that_value_as_its_threshold():
    # Score(min, max) sets the threshold to max - 1, but on a one-value
    # scale (min == max) max - 1 is off the scale (where set_threshold
    # refuses a threshold), so the library takes max itself (kpi_score_new
    # in kpi/score.h).  Seen with the direction reversed: answers <=
    # threshold.  Scale 5..5, one answer 5: threshold 5 gives 5 <= 5, a
    # share of 1/1 = 1.0; the documented max - 1 = 4 would give 5 <= 4,
    # 0/1 = 0.0.
    s = kpi.Score(5, 5)
    s.add(5)
    s.set_high_is_easy(False)
    assert s.share().value == 1.0
    # ... and the docstring says so
    assert "min == max" in kpi.Score.__doc__
