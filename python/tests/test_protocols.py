"""One protocol for every public class: what a user who learned one class
expects of the others (construction, ``+``/``merge``/``+=``, bytes and
``from_bytes``, pickle, ``copy``/``deepcopy`` owning their own C object,
``with``/``close()`` and use after close, ``repr``, ``==``), checked class
by class so that a class that drifts from the others shows here."""

import copy
import pickle

import pytest

import kpi


def _score(i):
    s = kpi.csat()
    s.add(5)
    s.add(3 + i)
    return s


def _rate(i):
    r = kpi.Rate()
    r.add(True)
    r.add(bool(i))
    return r


def _mean(i):
    m = kpi.Mean()
    m.add(2.0 + i)
    return m


def _ratio(i):
    q = kpi.Ratio()
    q.add(3.0 + i, 2.0)
    return q


def _duration(i):
    d = kpi.Duration()
    d.add(1000 + i)
    return d


def _aht(i):
    a = kpi.Aht()
    a.add(100 + i, 20, 30)
    return a


def _service_level(i):
    s = kpi.ServiceLevel(20_000)
    s.add(1000 + i)
    return s


def _series(i):
    s = kpi.Series(60_000, 10)
    s.add(1000 + 60_000 * i, 2.0)
    return s


def _topk(i):
    t = kpi.TopK(8)
    t.add("a%d" % i, 3)
    return t


def _topk_id(i):
    t = kpi.TopKId(8)
    t.add(10 + i, 3)
    return t


def _distinct(i):
    d = kpi.Distinct()
    d.add(100 + i)
    return d


def _customers(i):
    c = kpi.Customers()
    c.add_revenue(10.0 + i)
    return c


def _journey(i):  # disjoint customers: trackers sharded by customer merge
    j = kpi.Journey(100, 60_000)
    j.touch(1 + i, 0, 1000)
    return j


def _group(i):
    g = kpi.Group(kpi.Rate())
    g[1 + i].add(True)
    return g


def _calendar(i):
    c = kpi.Calendar()
    c.add_hours(1, 540, 1020 - i)
    return c


def _sla_policy(i):
    p = kpi.SlaPolicy()
    p.set_target(0, kpi.SLA_FIRST_RESPONSE, 3_600_000 + i)
    return p


def _engine(i):  # disjoint tickets: engines sharded by customer merge
    e = kpi.Engine()
    e.created(1000, 1 + i, customer=1 + i)
    e.agent_reply(2000, 1 + i)
    return e


# class -> make(i): objects with different data for i = 0, 1
MAKERS = {
    kpi.Score: _score, kpi.Rate: _rate, kpi.Mean: _mean, kpi.Ratio: _ratio,
    kpi.Duration: _duration, kpi.Aht: _aht, kpi.ServiceLevel: _service_level,
    kpi.Series: _series, kpi.TopK: _topk, kpi.TopKId: _topk_id,
    kpi.Distinct: _distinct, kpi.Customers: _customers, kpi.Journey: _journey,
    kpi.Group: _group, kpi.Calendar: _calendar, kpi.SlaPolicy: _sla_policy,
    kpi.Engine: _engine,
}
CONFIGURATION = (kpi.Calendar, kpi.SlaPolicy)
MERGEABLE = [c for c in MAKERS if c not in CONFIGURATION]
ids = [c.__name__ for c in MAKERS]
merge_ids = [c.__name__ for c in MERGEABLE]


def test_every_public_class_is_checked_here():
    public = {getattr(kpi, n) for n in kpi.__all__}
    classes = {c for c in public if isinstance(c, type) and issubclass(c, kpi.KpiObject)
               and c is not kpi.KpiObject}
    assert classes == set(MAKERS)


@pytest.mark.parametrize("cls", MERGEABLE, ids=merge_ids)
def test_plus_is_a_new_object_and_leaves_both_operands_unchanged(cls):
    a, b = MAKERS[cls](0), MAKERS[cls](1)
    ba, bb = bytes(a), bytes(b)
    s = a + b
    assert type(s) is cls and s is not a and s is not b
    assert bytes(a) == ba and bytes(b) == bb
    assert bytes(s) == bytes(a.copy().merge(b))
    assert bytes(sum([a, b])) == bytes(s)


@pytest.mark.parametrize("cls", MERGEABLE, ids=merge_ids)
def test_merge_and_iadd_change_the_left_operand_in_place_and_return_it(cls):
    a, b = MAKERS[cls](0), MAKERS[cls](1)
    bb = bytes(b)
    want = bytes(a + b)
    assert a.merge(b) is a
    assert bytes(a) == want and bytes(b) == bb
    a2 = MAKERS[cls](0)
    same = a2
    a2 += b
    assert a2 is same and bytes(a2) == want


@pytest.mark.parametrize("cls", CONFIGURATION, ids=[c.__name__ for c in CONFIGURATION])
def test_configuration_refuses_merge_and_reset_with_type_error(cls):
    a, b = MAKERS[cls](0), MAKERS[cls](1)
    for call in (lambda: a + b, lambda: a.merge(b), lambda: sum([a, b]), a.reset):
        with pytest.raises(TypeError):
            call()
    with pytest.raises(TypeError):
        a += b


@pytest.mark.parametrize("cls", MAKERS, ids=ids)
def test_bytes_from_bytes_and_pickle_round_trip(cls):
    a = MAKERS[cls](0)
    data = bytes(a)
    assert data == a.to_bytes()
    for back in (cls.from_bytes(data), cls.from_bytes(bytearray(data)),
                 kpi.from_bytes(memoryview(data)), pickle.loads(pickle.dumps(a))):
        assert type(back) is cls and bytes(back) == data


@pytest.mark.parametrize("cls", MAKERS, ids=ids)
@pytest.mark.parametrize("how", [copy.copy, copy.deepcopy, lambda o: o.copy()],
                         ids=["copy.copy", "copy.deepcopy", "copy()"])
def test_copies_own_their_c_object(cls, how):
    a = MAKERS[cls](0)
    data = bytes(a)
    c = how(a)
    assert type(c) is cls and bytes(c) == data
    assert c._h != a._h  # not the same C object: no double free, no shared change
    c.close()
    assert bytes(a) == data  # the original lives on
    c2 = how(a)
    del a
    assert bytes(c2) == data


@pytest.mark.parametrize("cls", MAKERS, ids=ids)
def test_with_and_close_then_every_use_raises_value_error(cls):
    with cls.from_bytes(bytes(MAKERS[cls](0))) as a:
        assert not a.closed
    assert a.closed
    a.close()  # again: nothing
    assert repr(a) == f"<kpi.{cls.__name__} closed>"
    other = MAKERS[cls](1)
    uses = [lambda: bytes(a), a.copy, lambda: copy.copy(a), lambda: pickle.dumps(a),
            lambda: a.footprint]
    if cls in MERGEABLE:
        uses += [lambda: a.merge(other), lambda: other.copy().merge(a), lambda: a + other,
                 lambda: other + a, a.reset]
    for use in uses:
        with pytest.raises(ValueError, match="closed"):
            use()


@pytest.mark.parametrize("cls", MAKERS, ids=ids)
def test_repr_names_the_class(cls):
    assert repr(MAKERS[cls](0)).startswith(f"<kpi.{cls.__name__}")


@pytest.mark.parametrize("cls", MAKERS, ids=ids)
def test_other_types_bytes_and_objects_are_refused_alike(cls):
    a = MAKERS[cls](0)
    stranger = kpi.Rate() if cls is not kpi.Rate else kpi.Mean()
    with pytest.raises(kpi.KpiTypeError) as e:
        cls.from_bytes(bytes(stranger))
    assert e.value.code == -13
    if cls in MERGEABLE:
        with pytest.raises(TypeError):
            a.merge(stranger)
        with pytest.raises(TypeError):
            a + 1


def test_interval_reads_return_the_one_estimate_tuple():
    reads = [
        _score(0).share, _score(0).csat, _score(0).mean_ci, lambda: _score(0).share_at_least(4),
        _rate(0).share, _mean(0).mean_ci, lambda: _duration(0).share_within(5000),
        _service_level(0).share, _service_level(0).abandon_rate,
        lambda: _topk(0).share("a0"), lambda: _topk_id(0).share(10), _distinct(0).estimate,
        lambda: kpi.wilson(1, 2),
    ]
    for read in reads:
        e = read()
        assert type(e) is kpi.Estimate and e._fields == ("value", "low", "high", "n")


@pytest.mark.parametrize("cls", MAKERS, ids=ids)
def test_errors_carry_the_code_and_the_library_text(cls):
    with pytest.raises(kpi.KpiError) as e:
        cls.from_bytes(b"kpiS")
    err = e.value
    assert err.code == -12 and err.name == "KPI_ERR_TRUNCATED"
    assert err.strerror and err.strerror in str(err)
    back = pickle.loads(pickle.dumps(err))
    assert type(back) is type(err) and back.code == err.code and str(back) == str(err)


def _engine_views():
    e = kpi.Engine()
    e.created(1000, 1, channel=2, topic="billing")
    e.assigned(1500, 1, 7)
    e.agent_reply(2000, 1, agent=7)
    return e, [e.duration("frt"), e.volume(), e.top_topics(), e.group("frt", "agent"),
               e.group("frt", "agent")[7]]


def test_from_bytes_through_a_views_class_gives_the_plain_class():
    # type(x).from_bytes(bytes(x)) is the usual round trip; for a read-only
    # view it gave an object of the view class that was no view: owned, yet
    # refusing add/merge (and a group that never created members), where
    # copy(), pickle and view + other give the plain, writable class
    e, views = _engine_views()
    for v in views:
        plain = type(v)._owned_class()
        back = type(v).from_bytes(bytes(v))
        assert type(back) is plain and not back._readonly
        assert bytes(back) == bytes(v)
        back.merge(v.copy())
        assert type(copy.copy(v)) is type(pickle.loads(pickle.dumps(v))) is plain
    g = type(views[3]).from_bytes(bytes(views[3]))
    g[99].add(5)  # a plain group creates the member
    assert 99 in g


@pytest.mark.parametrize("cls", MAKERS, ids=ids)
def test_the_base_class_from_bytes_reads_any_type(cls):
    # kpi.KpiObject is public, the base of every class: its from_bytes, like
    # kpi.from_bytes, reads the type from the header (it raised
    # NotImplementedError "kpi_None_deserialize is not in the loaded libkpi")
    data = bytes(MAKERS[cls](0))
    back = kpi.KpiObject.from_bytes(data)
    assert type(back) is cls and bytes(back) == data
    with pytest.raises(kpi.KpiTruncatedError):
        kpi.KpiObject.from_bytes(data[:10])


@pytest.mark.parametrize("cls", MAKERS, ids=ids)
def test_equality_with_a_closed_object_is_identity_and_never_raises(cls):
    # == on a closed Calendar or SlaPolicy raised ValueError, so `x in
    # objects` and objects.remove(x) failed as soon as the list held a
    # closed one; on every other class == with a closed object is identity
    a, b = MAKERS[cls](0), cls.from_bytes(bytes(MAKERS[cls](0)))
    b.close()
    assert (a == b) is False and (b == a) is False and a != b
    assert b == b and not (b != b)
    objects = [b, a]
    assert a in objects
    objects.remove(a)
    assert objects == [b]
    if cls in CONFIGURATION:  # open ones compare their configurations
        assert a == a.copy() and a != MAKERS[cls](1)
