"""More edge cases of the package, each checked against what the rest of
the package does with the same input or against values written by hand."""

import pytest

import kpi

np = pytest.importorskip("numpy")


# -- TopK.add_array takes one 1-D column, as every bulk call --------------------
def test_topk_add_array_refuses_what_is_not_one_column():
    pd = pytest.importorskip("pandas")
    df = pd.DataFrame({"topic": ["billing", "login", "billing"]})
    labels = np.array([["billing", "login"], ["billing", "refund"]])
    t = kpi.TopK(10)
    # a DataFrame iterates its column names: it counted one label "topic"
    with pytest.raises(ValueError, match="1-D"):
        t.add_array(df)
    # 2-D arrays of every kind were flattened, which no other bulk call does
    for two_d in (labels, labels.astype("S"), labels.astype(object), df.values):
        with pytest.raises(ValueError, match="1-D"):
            t.add_array(two_d)
    with pytest.raises(ValueError, match="1-D"):
        kpi.nps().add_array(np.ones((2, 2), dtype=np.int32))  # as the others
    assert t.total == 0 and t.size == 0
    # the column itself (and each 1-D form of it) is counted
    for column in (df["topic"], df["topic"].to_numpy(), df["topic"].to_numpy().astype("S"),
                   list(df["topic"])):
        one = kpi.TopK(10)
        one.add_array(column)
        assert one.top(decode=True) == [kpi.TopEntry("billing", 2, 2, 2),
                                        kpi.TopEntry("login", 1, 1, 1)]
