"""Calendar and SlaPolicy by hand."""

import datetime
import pickle

import pytest

import kpi

H, M = kpi.MS_PER_HOUR, kpi.MS_PER_MINUTE
CET = "CET-1CEST,M3.5.0,M10.5.0/3"
MON = 1704700800000  # 2024-01-08 08:00 UTC = 09:00 CET, a Monday


def office():
    cal = kpi.Calendar(CET)
    for day in range(kpi._calendar.MONDAY, kpi._calendar.SATURDAY):
        cal.add_hours(day, 9 * 60, 17 * 60)
    return cal


def test_calendar_elapsed_due_and_local_time():
    cal = office()
    assert cal.week_ms == 40 * H
    assert cal.elapsed(MON - 2 * H, MON + 25 * H) == 8 * H + 1 * H
    assert cal.due(MON, 10 * H) == MON + 24 * H + 2 * H  # Tuesday 11:00
    assert cal.is_open(MON) and not cal.is_open(MON - 1)
    assert cal.utc_offset(MON) == 3600
    assert cal.local_time(MON) == kpi.LocalTime(2024, 1, 8, 1, 9 * H)
    start = datetime.datetime(2024, 1, 8, 8, tzinfo=datetime.timezone.utc)
    assert cal.elapsed(start, start + datetime.timedelta(hours=3)) == 3 * H
    with pytest.raises(ValueError):
        cal.elapsed(datetime.datetime(2024, 1, 8), MON)
    cal.add_holiday(datetime.date(2024, 1, 9))
    assert cal.due(MON, 10 * H) == MON + 48 * H + 2 * H  # Tuesday is closed
    cal.add_closure((2024, 1, 8), 12 * 60, 13 * 60)
    assert cal.elapsed(MON, MON + 8 * H) == 7 * H
    assert cal == pickle.loads(pickle.dumps(cal)) and cal != office()


def test_calendar_errors():
    with pytest.raises(kpi.KpiInvalidError):
        kpi.Calendar("not a zone")
    cal = kpi.Calendar()
    with pytest.raises(kpi.KpiRangeError):
        cal.add_hours(7, 0, 60)
    with pytest.raises(kpi.KpiRangeError):
        cal.add_hours(1, 600, 500)
    with pytest.raises(kpi.KpiRangeError):
        cal.elapsed(10, 5)


def test_sla_policy():
    p = kpi.SlaPolicy(office())
    p.set_target(0, kpi.SLA_FIRST_RESPONSE, 1 * H)
    p.set_target(0, kpi.SLA_RESOLUTION, 10 * H, business_hours=True)
    assert p.target(0, kpi.SLA_RESOLUTION) == kpi.Target(10 * H, True)
    assert p.due(0, kpi.SLA_FIRST_RESPONSE, MON) == MON + H
    assert p.due(0, kpi.SLA_RESOLUTION, MON) == MON + 26 * H
    assert p.met(0, kpi.SLA_FIRST_RESPONSE, MON, MON + H)
    assert not p.met(0, kpi.SLA_FIRST_RESPONSE, MON, MON + H + 1)
    assert p.met(0, kpi.SLA_FIRST_RESPONSE, MON, MON + 2 * H, paused_ms=H)
    assert p.remaining(0, kpi.SLA_FIRST_RESPONSE, MON, MON + 90 * M) == -30 * M
    with pytest.raises(kpi.KpiUnknownIdError):
        p.target(1, kpi.SLA_FIRST_RESPONSE)
    with pytest.raises(kpi.KpiRangeError):
        p.set_target(8, kpi.SLA_FIRST_RESPONSE, H)
    with pytest.raises(kpi.KpiStateError):
        kpi.SlaPolicy().set_target(0, kpi.SLA_RESOLUTION, H, business_hours=True)
    assert kpi.SlaPolicy.from_bytes(bytes(p)) == p
    with pytest.raises(TypeError):
        kpi.SlaPolicy(calendar="CET")


def test_sla_unknown_metric_is_kpi_invalid_error_and_priority_past_7_a_range_error():
    # the metric is a selector (SLA_*): an unknown one is KPI_ERR_INVALID
    # in every call, before the priority (a caller's number: 8 or more is
    # KpiRangeError) and the times; nothing changes
    p = kpi.SlaPolicy(office())
    p.set_target(0, kpi.SLA_FIRST_RESPONSE, H)
    before = bytes(p)
    for metric in (kpi.SLA_RESOLUTION + 1, -1, 2**31 - 1):
        for priority in (0, 8):
            calls = (lambda: p.set_target(priority, metric, -1),
                     lambda: p.target(priority, metric),
                     lambda: p.due(priority, metric, MON, paused_ms=-1),
                     lambda: p.met(priority, metric, MON + H, MON),
                     lambda: p.remaining(priority, metric, MON, MON, paused_ms=-1))
            for call in calls:
                with pytest.raises(kpi.KpiInvalidError):
                    call()
    for call in (lambda: p.target(8, kpi.SLA_FIRST_RESPONSE),
                 lambda: p.met(8, kpi.SLA_FIRST_RESPONSE, MON, MON)):
        with pytest.raises(kpi.KpiRangeError):
            call()
    assert bytes(p) == before


def test_business_hours_takes_true_false_1_0_and_refuses_the_rest():
    cal = kpi.Calendar("UTC0")
    cal.add_hours(1, 9 * 60, 17 * 60)
    p = kpi.SlaPolicy(cal)
    p.set_target(0, kpi.SLA_RESOLUTION, H, business_hours=1)
    assert p.target(0, kpi.SLA_RESOLUTION) == kpi.Target(H, True)
    p.set_target(0, kpi.SLA_RESOLUTION, H, business_hours=0)
    assert p.target(0, kpi.SLA_RESOLUTION) == kpi.Target(H, False)
    before = bytes(p)
    for v in (2, -1):  # C refuses them, as out of the flag's range (2 was taken as True)
        with pytest.raises(kpi.KpiRangeError):
            p.set_target(0, kpi.SLA_RESOLUTION, H, business_hours=v)
    with pytest.raises(TypeError):  # "yes" is not a flag
        p.set_target(0, kpi.SLA_RESOLUTION, H, business_hours="yes")
    with pytest.raises(kpi.KpiRangeError):  # C's int cannot hold it: refused before the call
        p.set_target(0, kpi.SLA_RESOLUTION, H, business_hours=2**31)
    assert bytes(p) == before
    # the docstring says KpiRangeError for every other integer
    doc = " ".join(kpi.SlaPolicy.set_target.__doc__.split())
    assert "KpiRangeError for another integer" in doc, doc
    doc = " ".join(kpi._lib.flag.__doc__.split())
    assert "KpiRangeError" in doc, doc


def test_calendar_zone_with_a_nul_byte_is_refused():
    # kpi_calendar_new reads a NUL-terminated string: "CET-1\0CEST,M3.5.0,
    # M10.5.0/3" reached C as "CET-1" (no DST), so 2024-07-03 12:00 UTC read
    # an offset of 3600 s instead of CEST's 7200 s, though the whole string
    # is no POSIX TZ (a NUL is not in the grammar: "CET-1xCEST..." is refused)
    with pytest.raises(kpi.KpiInvalidError) as e:
        kpi.Calendar("CET-1\0CEST,M3.5.0,M10.5.0/3")
    assert e.value.code == -1
    with pytest.raises(kpi.KpiInvalidError):
        kpi.Calendar("UTC0\0")
    # the string without the NUL is a zone; its July offset is 2 h
    assert kpi.Calendar(CET).utc_offset(1720008000000) == 7200


def test_equality_compares_configurations_not_answers():
    # the module said == "compares what they compute"; kpi_calendar_equal
    # compares the configuration as written (kpi/calendar.h): a holiday on
    # a day without opening hours changes no answer, yet the calendars
    # compare unequal (equal ones do give the same answers)
    weekdays = kpi.Calendar("UTC0")
    for day in range(1, 6):  # Monday to Friday (0 = Sunday)
        weekdays.add_hours(day, 9 * 60, 17 * 60)
    also = weekdays.copy()
    also.add_holiday((2026, 12, 6))  # a Sunday: closed anyway
    t0 = 1_796_083_200_000  # 2026-12-01T00:00:00Z, a Tuesday
    for start, end in ((t0, t0 + 7 * 86_400_000), (t0 + 4 * 86_400_000, t0 + 6 * 86_400_000)):
        assert also.elapsed(start, end) == weekdays.elapsed(start, end)
        assert also.due(start, 3_600_000) == weekdays.due(start, 3_600_000)
    assert also.week_ms == weekdays.week_ms == 5 * 8 * 3_600_000
    assert also != weekdays and weekdays.copy() == weekdays
    doc = kpi._calendar.__doc__
    assert "compares what they compute" not in doc and "as written" in doc
    policy = kpi.SlaPolicy(weekdays)
    assert policy != kpi.SlaPolicy(also) and policy == kpi.SlaPolicy(weekdays)


def test_a_zone_that_is_not_text_is_a_type_error():
    # Calendar(5) and Calendar(None) raised AttributeError ('int' object has
    # no attribute 'encode') from the str method the zone was encoded with,
    # where every other argument of the package of the wrong type raises
    # TypeError (a bytes zone too: the zone is a str, as documented)
    for zone in (5, None, b"UTC0", ["UTC0"]):
        with pytest.raises(TypeError) as e:
            kpi.Calendar(zone)
        assert "posix_tz" in str(e.value)
    assert kpi.Calendar("UTC0").utc_offset(0) == 0
