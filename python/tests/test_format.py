"""An independent reader of the serialized state, written from
docs/format.md alone (layout, type tags, bodies), checked against the
bytes the library writes and the values it reports."""

import math
import struct

import pytest

import kpi
# CRC-32C bit by bit (reflected 0x82F63B78, init and xor-out 0xFFFFFFFF),
# no table shared with the library
from test_common import crc32c


# ---- docs/format.md, "Layout" ----------------------------------------------
def test_crc32c_check_value():
    # the catalogued check value of CRC-32C over "123456789"
    assert crc32c(b"123456789") == 0xE3069283


class Body:
    """A cursor over a body: LEB128 varints in their shortest form,
    zig-zag svarints, u8, u32 and f64 little-endian."""

    def __init__(self, data):
        self.b, self.i = data, 0

    def u8(self):
        v = self.b[self.i]
        self.i += 1
        return v

    def u32(self):
        (v,) = struct.unpack_from("<I", self.b, self.i)
        self.i += 4
        return v

    def f64(self):
        (v,) = struct.unpack_from("<d", self.b, self.i)
        self.i += 8
        return v

    def varint(self):
        v, shift = 0, 0
        while True:
            byte = self.u8()
            v |= (byte & 0x7F) << shift
            if not byte & 0x80:
                assert byte != 0 or shift == 0, "not the shortest form"
                assert v < 2 ** 64
                return v
            shift += 7

    def svarint(self):
        u = self.varint()
        return (u >> 1) ^ -(u & 1)

    def nested(self):
        n = self.u32()
        sub = Body(self.b[self.i:self.i + n])
        self.i += n
        return sub

    def end(self):
        assert self.i == len(self.b), "bytes after the last field"


def open_state(data, tag):
    """Header fields, as the document lays them out; returns the body."""
    assert data[:4] == b"kpiS"
    version, t, blen = struct.unpack_from("<HHI", data, 4)
    assert version in (1, 2) and t == tag
    assert len(data) == 16 + blen
    (crc,) = struct.unpack_from("<I", data, 12 + blen)
    assert crc == crc32c(data[:12 + blen])
    return version, Body(data[12:12 + blen])


def seal(tag, body, version=1):
    """A state around `body` as the document lays it out."""
    head = b"kpiS" + struct.pack("<HHI", version, tag, len(body)) + body
    return head + struct.pack("<I", crc32c(head))


# ---- docs/format.md, "Bodies" ----------------------------------------------
def read_rate(b):
    s, t = b.varint(), b.varint()
    b.end()
    assert s <= t
    return s, t


def read_score(b):
    d = dict(min=b.svarint(), max=b.svarint(), threshold=b.svarint(),
             high_is_easy=b.u8(), has_nps=b.u8(), promoter=b.svarint(),
             detractor=b.svarint(), total=b.varint())
    d["counts"] = [b.varint() for _ in range(d["max"] - d["min"] + 1)]
    b.end()
    assert sum(d["counts"]) == d["total"]
    return d


def read_ratio(b):
    d = dict(kind=b.varint(), n=b.varint())
    d["num"], d["num_c"], d["den"], d["den_c"] = (b.f64() for _ in range(4))
    b.end()
    return d


def read_mean(b):
    d = dict(kind=b.u8(), has_cuts=b.u8(), lo=b.f64(), hi=b.f64(),
             neg_below=b.f64(), pos_above=b.f64(), n=b.varint())
    if d["n"]:
        d["neg"], d["pos"] = b.varint(), b.varint()
        for k in ("w", "w2", "mean", "m2", "min", "max"):
            d[k] = b.f64()
    b.end()
    return d


def read_duration(b):
    d = dict(accuracy=b.f64())
    d["targets"] = [b.svarint() for _ in range(b.varint())]
    d["count"], d["zeros"] = b.varint(), b.varint()
    d["sum"], d["min"], d["max"] = b.svarint(), b.svarint(), b.svarint()
    d["within"] = [b.varint() for _ in d["targets"]]
    d["collapsed"] = b.u8()
    assert d["collapsed"] in (0, 1)
    if d["collapsed"]:
        d["floor"] = b.svarint()
    d["buckets"] = {}
    if d["count"] > d["zeros"]:
        lo, span = b.svarint(), b.varint()
        pos, after_run = 0, False
        while pos < span:
            c = b.varint()
            if c == 0:  # a run of r empty buckets: 0, r - 1
                assert pos > 0 and not after_run
                pos += b.varint() + 1
                assert pos < span  # the last bucket is never empty
                after_run = True
            else:
                d["buckets"][lo + pos] = c
                pos += 1
                after_run = False
        d["lo"], d["span"] = lo, span
    b.end()
    return d


def bucket(accuracy, v):
    """floor(k L(v)), k and L as docs/format.md states them."""
    A, B, C = 6 / 35, -3 / 5, 10 / 7
    k = (1 + 1e-6) / (C * math.log((1 + accuracy) / (1 - accuracy)))
    m, e = math.frexp(float(v))  # v = m 2^e, m in [0.5, 1)
    s, e = 2 * m - 1, e - 1      # v = 2^e (1 + s)
    L = ((A * s + B) * s + C) * s + e
    return math.floor(L * k)


# ---- against the library ---------------------------------------------------
def test_rate_reads_as_documented():
    r = kpi.Rate()
    r.add_counts(300, 1000)
    data = r.to_bytes()
    version, b = open_state(data, 3)
    assert version == 1
    assert read_rate(b) == (300, 1000)
    # 300 = AC 02, 1000 = E8 07: 16 bytes of header and checksum around 4
    assert data[12:16] == bytes([0xAC, 0x02, 0xE8, 0x07]) and len(data) == 20


def test_score_reads_as_documented():
    s = kpi.Score(-3, 12)           # holds 6 and 9: NPS cuts 9 / 6
    s.set_threshold(4)
    s.set_high_is_easy(0)
    for a in (-3, -3, 0, 4, 12, 9):
        s.add(a)
    version, b = open_state(s.to_bytes(), 2)
    d = read_score(b)
    assert version == 1
    assert (d["min"], d["max"], d["threshold"]) == (-3, 12, 4)
    assert (d["high_is_easy"], d["has_nps"]) == (0, 1)
    assert (d["promoter"], d["detractor"]) == (9, 6)
    assert d["total"] == 6 == s.count
    assert d["counts"] == [s.count_of(v) for v in range(-3, 13)]
    assert d["counts"][0] == 2 and d["counts"][12] == 1
    # a scale without 6 and 9: no cuts, both written 0
    c = kpi.csat(5, 4)
    c.add_array([5, 5, 1])
    d = read_score(open_state(c.to_bytes(), 2)[1])
    assert (d["has_nps"], d["promoter"], d["detractor"]) == (0, 0, 0)
    assert (d["threshold"], d["high_is_easy"], d["counts"]) == (4, 1, [1, 0, 0, 0, 2])


def test_ratio_and_mean_read_as_documented():
    r = kpi.Ratio(kpi.RATIO_COST_PER_TICKET)
    r.add(1e16, 3.0)
    r.add(1.0, 2.0)
    d = read_ratio(open_state(r.to_bytes(), 5)[1])
    assert d["kind"] == kpi.RATIO_COST_PER_TICKET and d["n"] == 2 == r.count
    assert d["num"] + d["num_c"] == r.numerator and d["den"] + d["den_c"] == r.denominator == 5.0

    m = kpi.sentiment()
    for x in (-0.9, 0.1, 0.8):
        m.add(x)
    d = read_mean(open_state(m.to_bytes(), 4)[1])
    assert (d["kind"], d["has_cuts"], d["lo"], d["hi"]) == (1, 1, -1.0, 1.0)
    assert d["neg_below"] <= d["pos_above"]
    assert d["n"] == 3 == m.count
    assert (d["min"], d["max"]) == (m.min, m.max) == (-0.9, 0.8)
    assert d["mean"] == pytest.approx(m.mean, rel=1e-15)
    assert d["w"] == 3.0 and d["w2"] == 3.0
    assert d["lo"] <= d["min"] <= d["mean"] <= d["max"] <= d["hi"]
    d = read_mean(open_state(kpi.Mean().to_bytes(), 4)[1])
    assert (d["lo"], d["hi"], d["n"]) == (-math.inf, math.inf, 0)


def test_duration_reads_as_documented():
    d = kpi.Duration(0.01, targets=(0, 500, 60000))
    values = [0, 0, 7, 1000, 1001, 1002, 250000, 3600000]
    for v in values:
        d.add(v)
    x = read_duration(open_state(d.to_bytes(), 7)[1])
    assert x["accuracy"] == 0.01 and x["targets"] == [0, 500, 60000]
    assert (x["count"], x["zeros"], x["sum"]) == (8, 2, sum(values))
    assert (x["min"], x["max"]) == (0, 3600000) == (d.min, d.max)
    assert x["within"] == [2, 3, 6]
    assert x["collapsed"] == 0
    # the buckets, by the mapping the document states
    want = {}
    for v in values:
        if v:
            want[bucket(0.01, v)] = want.get(bucket(0.01, v), 0) + 1
    assert x["buckets"] == want
    assert x["lo"] == min(want) and x["lo"] + x["span"] - 1 == max(want)
    # an empty duration: no sketch at all
    e = read_duration(open_state(kpi.Duration().to_bytes(), 7)[1])
    assert (e["count"], e["sum"], e["min"], e["max"], e["buckets"]) == (0, 0, 0, 0, {})


def test_duration_bucket_mapping_matches_the_library():
    # one value per duration, so the state's only bucket is the value's
    for acc in (0.01, 0.05, 0.001, 0.5):
        for v in (1, 2, 3, 999, 1000, 65537, 86400000, 2 ** 53 + 2, 2 ** 63 - 1):
            d = kpi.Duration(acc)
            d.add(v)
            x = read_duration(open_state(d.to_bytes(), 7)[1])
            assert x["buckets"] == {bucket(acc, v): 1}, (acc, v)


def test_aht_reads_as_documented():
    a = kpi.Aht()
    a.add(100, 20, 30)
    a.add(0, 0, 0)
    b = open_state(a.to_bytes(), 9)[1]
    sums = [b.svarint() for _ in range(3)]
    h = read_duration(b.nested())
    b.end()
    assert sums == [100, 20, 30]
    assert h["count"] == 2 and h["zeros"] == 1 and h["sum"] == 150
    assert h["accuracy"] == 0.01 and h["targets"] == []


def test_a_configuration_is_bounded_by_its_limit_not_by_the_bytes():
    # docs/format.md, "Validation" 7: a series' length sizes its memory
    # and is bounded by KPI_SERIES_MAX_LENGTH (100000), not by the bytes
    # that follow.  A 7-byte body (series, not started): svarint period 1
    # = 02, varint length 100000 = 0x186A0 = A0 8D 06, svarint origin 0,
    # varint season 0, u8 started 0; the reader holds 100000 doubles
    # (800,000 bytes) for it, as kpi_series_new(1, 100000, 0) does
    body = bytes([0x02, 0xA0, 0x8D, 0x06, 0x00, 0x00, 0x00])
    state = seal(15, body)
    s = kpi.Series.from_bytes(state)
    assert s.length == 100000
    assert s.footprint >= 800000
    assert s.to_bytes() == state


def test_group_reads_as_documented():
    g = kpi.Group(kpi.Rate())
    g[7].add_counts(2, 5)
    g[2 ** 64 - 1].add_counts(0, 1)
    b = open_state(g.to_bytes(), 6)[1]
    assert b.u8() | b.u8() << 8 == 3  # u16 the members' tag: rate
    assert read_rate(b.nested()) == (0, 0)  # the prototype, written empty
    members = {}
    for _ in range(b.varint()):
        key = sum(b.u8() << (8 * j) for j in range(8))  # u64
        members[key] = read_rate(b.nested())
    b.end()
    assert members == {7: (2, 5), 2 ** 64 - 1: (0, 1)}


def test_doubles_and_long_varints_are_as_documented():
    # a double's 8 bytes low byte first: 1.0 = 0x3FF0000000000000
    r = kpi.Ratio()
    r.add(1.0, 2.0)
    body = open_state(r.to_bytes(), 5)[1].b
    assert body[2:10] == bytes([0, 0, 0, 0, 0, 0, 0xF0, 0x3F])
    # 2^64 - 1 trials: ten bytes, nine FF then 01
    r = kpi.Rate()
    r.add_counts(0, 2 ** 64 - 1)
    assert open_state(r.to_bytes(), 3)[1].b == bytes([0]) + bytes([0xFF] * 9) + bytes([1])


def test_a_duration_of_zeros_only_has_no_sketch():
    # count = zeros = 2: no sketch follows, and collapsed is 0
    d = kpi.Duration()
    d.add(0)
    d.add(0)
    x = read_duration(open_state(d.to_bytes(), 7)[1])
    assert (x["count"], x["zeros"], x["sum"], x["max"], x["collapsed"]) == (2, 2, 0, 0, 0)
    assert x["buckets"] == {}
    # the same with collapsed 1 and a floor of 0 is refused: f64 0.01,
    # no targets, count 2, zeros 2, sum 0, min 0, max 0, collapsed 1, floor 0
    body = struct.pack("<d", 0.01) + bytes([0, 2, 2, 0, 0, 0, 1, 0])
    with pytest.raises(kpi.KpiCorruptError):
        kpi.Duration.from_bytes(seal(7, body))
    state = seal(7, body[:-2] + bytes([0]))
    assert kpi.Duration.from_bytes(state).to_bytes() == state == d.to_bytes()


@pytest.mark.parametrize("data, error", [
    (b"", kpi.KpiTruncatedError), (b"kp", kpi.KpiTruncatedError),
    (b"kpiS" + bytes(11), kpi.KpiTruncatedError),
    (b"kX", kpi.KpiCorruptError), (b"kpiX" + bytes(12), kpi.KpiCorruptError)])
def test_the_magic_is_compared_as_far_as_the_bytes_go(data, error):
    with pytest.raises(error):
        kpi.Rate.from_bytes(data)
