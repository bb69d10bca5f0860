#!/usr/bin/env python3
"""An independent reference for examples/dashboard.

Reads the event log CSV (docs/format.md, "Event log CSV") and computes,
in plain Python with exact arithmetic and without libkpi, the KPIs the
dashboard prints, by the definitions of KPIS.md and include/kpi/engine.h
with the engine configured as examples/dashboard.c configures it: reopen
and repeat windows of 7 days, CET days (period origin -1 h), 90 periods,
a business calendar Europe/Berlin Mon-Fri 08:00-18:00 closed on the German
nationwide holidays, SLA targets in business hours per priority, FRT
targets 1 h (calendar) and 8 h (business).

    dashboard_reference.py EVENTS.CSV DASHBOARD_OUTPUT

compares the dashboard's output with the reference: exact KPIs must print
exactly as the reference prints them, quantiles (a sketch of 1% relative
error at the rank floor(q (n - 1)), kpi/duration.h) must print a value
whose printed interval meets [0.99 v, 1.01 v] around the exact value v.
With logged_in records in the log (gen_events writes one at the end of
every shift), it also checks gen_events' "Agents answer only while on
shift": every reply and resolve of a named agent lies in a logged shift.
Exit status 0 when every figure agrees, 1 with the disagreements listed.
The log must be one the dashboard applies whole (rejected 0), in time
order, as gen_events writes it.

    dashboard_reference.py EVENTS.CSV

prints the reference's figures.

The Berlin time zone, the holidays and business time are computed here
from their rules (no tz database, no libkpi calendar).
SPDX-License-Identifier: MIT
"""
import bisect
import heapq
import datetime as dt
import math
import re
import sys

HOUR = 3600 * 1000
DAY = 24 * HOUR
WINDOW = 7 * DAY            # reopen and repeat windows (engine defaults)
ORIGIN = -HOUR              # CET days
PERIODS = 90
# SLA targets in business hours: first reply, next reply, resolution
SLA = {0: (8, 16, 40), 1: (4, 8, 24), 2: (2, 4, 16), 3: (1, 2, 8)}
PRIORITIES = ["low", "normal", "high", "urgent"]
# the 97.5% normal quantile; the headers round it to 1.96 (score.h's mean
# interval, the NPS interval), which prints differently only at a
# rounding boundary (4.48499 and 4.48500)
Z = 1.959963984540054
EPOCH = dt.date(1970, 1, 1)


# ---- Europe/Berlin and the business calendar ---------------------------

def last_sunday(year, month):
    d = dt.date(year, month + 1, 1) - dt.timedelta(days=1) if month < 12 else dt.date(year, 12, 31)
    return d - dt.timedelta(days=(d.weekday() + 1) % 7)


def days(d):
    return (d - EPOCH).days


def utc_offset_ms(t):
    """Europe/Berlin: CEST (UTC+2) from the last Sunday of March 01:00 UTC
    to the last Sunday of October 01:00 UTC, CET (UTC+1) otherwise."""
    y = (EPOCH + dt.timedelta(days=t // DAY)).year
    start = days(last_sunday(y, 3)) * DAY + HOUR
    end = days(last_sunday(y, 10)) * DAY + HOUR
    return 2 * HOUR if start <= t < end else HOUR


def local_to_utc(local_ms):
    """A local wall-clock instant outside the DST gaps and folds."""
    guess = local_ms - HOUR
    return local_ms - utc_offset_ms(guess if utc_offset_ms(guess) == HOUR else local_ms - 2 * HOUR)


def easter(y):
    # Meeus/Jones/Butcher
    a, b, c = y % 19, y // 100, y % 100
    d, e = b // 4, b % 4
    f = (b + 8) // 25
    g = (b - f + 1) // 3
    h = (19 * a + b - d - g + 15) % 30
    i, k = c // 4, c % 4
    l = (32 + 2 * e + 2 * i - h - k) % 7
    m = (a + 11 * h + 22 * l) // 451
    month = (h + l - 7 * m + 114) // 31
    day = (h + l - 7 * m + 114) % 31 + 1
    return dt.date(y, month, day)


def german_holidays(y):
    es = easter(y)
    fixed = [dt.date(y, 1, 1), dt.date(y, 5, 1), dt.date(y, 10, 3), dt.date(y, 12, 25), dt.date(y, 12, 26)]
    moving = [es + dt.timedelta(days=o) for o in (-2, 1, 39, 50)]
    return set(fixed + moving)


class Business:
    """Business milliseconds as a cumulative function B(t) over the open
    intervals of the days first..last: elapsed(a, b) = B(b) - B(a)."""

    def __init__(self, first_day, last_day):
        self.starts, self.ends, self.before = [], [], []
        acc = 0
        hol = set()
        for y in range(first_day.year, last_day.year + 1):
            hol |= german_holidays(y)
        d = first_day
        while d <= last_day:
            if d.weekday() < 5 and d not in hol:
                a = local_to_utc(days(d) * DAY + 8 * HOUR)
                b = local_to_utc(days(d) * DAY + 18 * HOUR)
                self.starts.append(a)
                self.ends.append(b)
                self.before.append(acc)
                acc += b - a
            d += dt.timedelta(days=1)
        self.lo = days(first_day) * DAY - 3 * HOUR
        self.hi = days(last_day) * DAY + 21 * HOUR

    def cum(self, t):
        assert self.lo <= t <= self.hi, t
        i = bisect.bisect_right(self.starts, t) - 1
        if i < 0:
            return 0
        return self.before[i] + min(t, self.ends[i]) - self.starts[i]

    def elapsed(self, a, b):
        assert b >= a
        return self.cum(b) - self.cum(a)

    def due(self, start, ms):
        """The earliest t with elapsed(start, t) == ms."""
        goal = self.cum(start) + ms
        if ms == 0:
            return start
        # the interval in which the cumulative function reaches goal
        i = bisect.bisect_left([b + (e - s) for b, s, e in zip(self.before, self.starts, self.ends)], goal)
        assert i < len(self.starts), "due past the calendar's days"
        return self.starts[i] + goal - self.before[i]


# ---- statistics ---------------------------------------------------------

def wilson(k, n):
    if n == 0:
        return None
    p = k / n
    z2 = Z * Z
    den = 1 + z2 / n
    centre = (p + z2 / (2 * n)) / den
    half = Z * math.sqrt(p * (1 - p) / n + z2 / (4 * n * n)) / den
    return p, max(0.0, centre - half), min(1.0, centre + half), n


def exact_quantile(values, q):
    v = sorted(values)
    return v[math.floor(q * (len(v) - 1))]


def mean_ci(values):
    n = len(values)
    m = sum(values) / n
    if n == 1:
        return m, -math.inf, math.inf
    s = math.sqrt(sum((x - m) ** 2 for x in values) / (n - 1))
    h = Z * s / math.sqrt(n)
    return m, m - h, m + h


# ---- the engine's definitions, in plain Python --------------------------

NEW, OPEN, PENDING, ON_HOLD, SOLVED, CLOSED, MERGED = range(7)
# the kinds whose actor is an agent
AGENT_KINDS = ("agent_reply", "note", "assigned", "resolved", "logged_in")
UNRESOLVED = (NEW, OPEN, PENDING, ON_HOLD)


class Ticket:
    pass


class Reference:
    def __init__(self, path):
        self.rows = []
        with open(path, newline="") as f:
            header = f.readline().rstrip("\r\n")
            assert header == "time,kind,ticket,actor,value,flags,channel,priority,team,topic", header
            for line in f:
                line = line.rstrip("\r\n")
                if line:
                    self.rows.append(line.split(","))
        for r in self.rows:
            r[0] = self.parse_time(r[0])
        first = min(r[0] for r in self.rows)
        last = max(r[0] for r in self.rows)
        self.first, self.last = first, last
        d0 = dt.date(1970, 1, 1) + dt.timedelta(days=first // DAY - 3)
        d1 = dt.date(1970, 1, 1) + dt.timedelta(days=last // DAY + 60)
        self.cal = Business(d0, d1)
        self.run()

    @staticmethod
    def parse_time(s):
        m = re.fullmatch(r"(\d{4})-(\d\d)-(\d\d)T(\d\d):(\d\d):(\d\d)(?:\.(\d{3}))?Z", s)
        assert m, s
        y, mo, d, h, mi, se = (int(x) for x in m.groups()[:6])
        return days(dt.date(y, mo, d)) * DAY + ((h * 60 + mi) * 60 + se) * 1000 + int(m.group(7) or 0)

    # values per metric: list of (value, keys dict, time)
    def rec(self, metric, value, t, keys):
        self.values.setdefault(metric, []).append((value, dict(keys), t))

    def keys(self, tk):
        return {"agent": tk.agent, "team": tk.team, "channel": tk.channel, "priority": tk.priority}

    def set_status(self, tk, now, status):
        span = now - tk.since
        if tk.status == PENDING:
            tk.pause_biz += self.cal.elapsed(tk.since, now)
        if tk.status in (NEW, OPEN, ON_HOLD):
            tk.wait += span
            tk.wait_b += self.cal.elapsed(tk.since, now)
        if tk.status in (NEW, OPEN):
            tk.work += span
            tk.work_b += self.cal.elapsed(tk.since, now)
        tk.status, tk.since = status, now

    def settle(self, tk, when):
        k = self.keys(tk)
        lr = tk.last_resolve
        self.rec("full", lr - tk.created, when, k)
        self.rec("full_b", self.cal.elapsed(tk.created, lr), when, k)
        self.rec("wait", tk.wait, when, k)
        self.rec("work", tk.work, when, k)
        self.rec("wait_b", tk.wait_b, when, k)
        self.rec("work_b", tk.work_b, when, k)
        self.rec("fcr", int(not tk.reopened and tk.replies == 1), when, k)
        self.rec("reopen", int(tk.reopened), when, k)
        target = SLA[tk.priority][2] * HOUR
        self.rec("sla_res", int(self.cal.elapsed(tk.created, lr) - tk.pause_biz <= target), when, k)
        self.settled += 1

    def advance(self, t):
        """Settle the solved tickets whose reopen window has ended by t and
        evict the closed and merged ones; close the periods ending by t."""
        while self.period_end <= t:
            b = self.period_end
            self.backlog[b - DAY] = sum(1 for x in self.live.values() if x.status in UNRESOLVED)
            self.period_end += DAY
        while self.due and self.due[0][0] <= t:
            when, tid = heapq.heappop(self.due)
            tk = self.live.get(tid)
            if tk is None:
                continue
            if tk.status == SOLVED and tk.last_resolve + WINDOW == when:
                self.settle(tk, when)
                del self.live[tid]
            elif tk.status in (CLOSED, MERGED) and tk.ended + WINDOW == when:
                del self.live[tid]

    def run(self):
        self.values = {}
        self.live = {}
        self.count = dict.fromkeys(["created", "resolved", "resolves", "reopens", "closed", "merged",
                                    "agent replies", "bot replies", "bot-resolved", "handoffs",
                                    "customer messages", "notes", "surveys", "events"], 0)
        self.settled = 0
        self.due = []             # (time, ticket): settlement or eviction
        self.backlog = {}
        self.volume = {}          # (period start, channel) -> count
        self.topics = {}
        self.topic_times = []  # (topic, creation time) of every named topic
        self.last_created = {}    # customer -> time of the last creation
        self.logged_in = {}       # agent -> ms; team -> ms
        self.logged_in_team = {}
        self.agent_team = {}
        self.prod = {}            # (dim, key, "resolved"|"replies") -> count
        first_period = (self.first - ORIGIN) // DAY * DAY + ORIGIN
        self.period_end = first_period + DAY
        for r in self.rows:
            t, kind, ticket, actor, value, flags, channel, priority, team, topic = r
            self.advance(t)
            self.count["events"] += 1
            if kind == "logged_in":
                self.logged_in[actor] = self.logged_in.get(actor, 0) + int(value)
                self.logged_in_team[team] = self.logged_in_team.get(team, 0) + int(value)
                self.agent_team[actor] = team or "-"
                continue
            tid = int(ticket)
            if kind == "created":
                assert tid not in self.live
                tk = Ticket()
                tk.id, tk.created, tk.customer = tid, t, actor
                tk.channel, tk.priority, tk.topic = channel, PRIORITIES.index(priority), topic
                tk.status, tk.since = NEW, t
                tk.by_agent = "by_agent" in flags.split("|")
                tk.clock = None if tk.by_agent else t       # FRT start while it runs
                tk.waiting = None if tk.by_agent else t     # customer waiting since
                tk.frt_done = tk.no_frt = False
                tk.replies = 0
                tk.reopened = False
                tk.first_resolve = tk.last_resolve = None
                tk.agent, tk.team = "", ""
                tk.wait = tk.work = tk.wait_b = tk.work_b = tk.pause_biz = 0
                tk.ended = None
                self.live[tid] = tk
                self.count["created"] += 1
                p = (t - ORIGIN) // DAY * DAY + ORIGIN
                self.volume[(p, channel)] = self.volume.get((p, channel), 0) + 1
                if topic:
                    self.topics[topic] = self.topics.get(topic, 0) + 1
                    self.topic_times.append((topic, t))
                if actor and not tk.by_agent:  # contacts from the customer only
                    prev = self.last_created.get(actor)
                    self.rec("repeat", int(prev is not None and prev >= t - WINDOW), t, self.keys(tk))
                    self.last_created[actor] = max(t, prev if prev is not None else t)
                continue
            tk = self.live[tid]
            assert tk.status not in (CLOSED, MERGED) or kind in ("csat", "nps", "ces"), (tid, kind)
            if kind == "customer_message":
                self.count["customer messages"] += 1
                if tk.status == SOLVED:
                    self.reopen(tk, t)
                if tk.waiting is None:
                    tk.waiting = t
                if tk.status == PENDING:
                    self.set_status(tk, t, OPEN)
                # an agent-created ticket measures FRT from its first customer message
                if tk.by_agent and not tk.frt_done and not tk.no_frt and tk.clock is None:
                    tk.clock = t
            elif kind == "agent_reply":
                self.count["agent replies"] += 1
                agent = actor or tk.agent
                k = self.keys(tk)
                first = False
                if tk.clock is not None:
                    s = tk.clock
                    self.rec("frt", t - s, t, k)
                    b = self.cal.elapsed(s, t)
                    self.rec("frt_b", b, t, k)
                    self.rec("sla_first", int(b <= SLA[tk.priority][0] * HOUR), t, k)
                    tk.clock, tk.frt_done, first = None, True, True
                if tk.waiting is not None:
                    s = tk.waiting
                    self.rec("reply", t - s, t, k)
                    b = self.cal.elapsed(s, t)
                    self.rec("reply_b", b, t, k)
                    if not first:
                        self.rec("sla_next", int(b <= SLA[tk.priority][1] * HOUR), t, k)
                    tk.waiting = None
                tk.replies += 1
                if tk.status == NEW:
                    self.set_status(tk, t, OPEN)
                for dim, key in (("agent", agent), ("team", tk.team)):
                    if key:
                        self.prod[(dim, key, "replies")] = self.prod.get((dim, key, "replies"), 0) + 1
            elif kind == "bot_reply":
                self.count["bot replies"] += 1
            elif kind == "handoff":
                self.count["handoffs"] += 1
                if tk.clock is not None:
                    tk.clock = t
            elif kind == "note":
                self.count["notes"] += 1
            elif kind in ("open", "pending", "on_hold"):
                assert tk.status in UNRESOLVED, (tid, kind)
                self.set_status(tk, t, {"open": OPEN, "pending": PENDING, "on_hold": ON_HOLD}[kind])
            elif kind == "assigned":
                tk.agent, tk.team = actor, team
            elif kind == "resolved":
                self.resolve(tk, t, actor, "by_bot" in flags.split("|"))
            elif kind == "reopened":
                assert tk.status == SOLVED
                self.reopen(tk, t)
            elif kind == "closed":
                if tk.status in UNRESOLVED:
                    self.resolve(tk, t, "", False)
                assert tk.status == SOLVED
                self.set_status(tk, t, CLOSED)
                tk.ended = t
                heapq.heappush(self.due, (t + WINDOW, tid))
                self.count["closed"] += 1
                self.settle(tk, t)
            elif kind == "merged":
                self.unanswered(tk, t)
                self.set_status(tk, t, MERGED)
                tk.ended = t
                heapq.heappush(self.due, (t + WINDOW, tid))
                tk.waiting = tk.clock = None
                self.count["merged"] += 1
                self.settled += 1
            elif kind in ("csat", "nps", "ces"):
                self.count["surveys"] += 1
                self.rec(kind, int(value), t, self.keys(tk))
            else:
                raise AssertionError(kind)
        # the dashboard: advance to the end of the last CET day
        self.end = ((self.last - ORIGIN) // DAY + 1) * DAY + ORIGIN
        self.advance(self.end)

    def reopen(self, tk, t):
        self.set_status(tk, t, OPEN)
        tk.reopened = True
        self.count["reopens"] += 1

    def unanswered(self, tk, t):
        """A reply target whose clock stops without its reply (a resolve, a
        merge): breached if it had lapsed, else not judged."""
        if tk.clock is not None:
            metric, start, target = "sla_first", tk.clock, SLA[tk.priority][0]
        elif tk.waiting is not None:
            metric, start, target = "sla_next", tk.waiting, SLA[tk.priority][1]
        else:
            return
        if self.cal.elapsed(start, t) > target * HOUR:
            self.rec(metric, 0, t, self.keys(tk))

    def resolve(self, tk, t, actor, bot):
        assert tk.status in UNRESOLVED, tk.id
        self.unanswered(tk, t)
        self.set_status(tk, t, SOLVED)
        tk.waiting = None
        if not tk.frt_done and (tk.replies == 0 or tk.clock is not None):
            tk.no_frt = True
        tk.clock = None
        k = self.keys(tk)
        if tk.first_resolve is None:
            tk.first_resolve = t
            self.count["resolved"] += 1
            if bot:
                self.count["bot-resolved"] += 1
            self.rec("first", t - tk.created, t, k)
            self.rec("first_b", self.cal.elapsed(tk.created, t), t, k)
        tk.last_resolve = t
        heapq.heappush(self.due, (t + WINDOW, tk.id))
        self.count["resolves"] += 1
        if not bot:
            agent = actor or tk.agent
            for dim, key in (("agent", agent), ("team", tk.team)):
                if key:
                    self.prod[(dim, key, "resolved")] = self.prod.get((dim, key, "resolved"), 0) + 1

    # ---- reads ----------------------------------------------------------

    def vals(self, metric, dim=None, key=None, since=None):
        out = []
        for v, k, t in self.values.get(metric, []):
            if dim is not None and k[dim] != key:
                continue
            if since is not None and t < since:
                continue
            out.append(v)
        return out

    def sla_risk(self):
        now, horizon = self.end, DAY
        at_risk = breached = 0
        next_due = None
        for tk in self.live.values():
            if tk.status not in UNRESOLVED:
                continue
            dues = []
            tg = SLA[tk.priority]
            if tk.clock is not None:
                dues.append(self.cal.due(tk.clock, tg[0] * HOUR))
            elif tk.waiting is not None:
                dues.append(self.cal.due(tk.waiting, tg[1] * HOUR))
            pause = tk.pause_biz + (self.cal.elapsed(tk.since, now) if tk.status == PENDING else 0)
            dues.append(self.cal.due(tk.created, tg[2] * HOUR + pause))
            # a target met up to its due instant, and no business time
            # since (due at closing time, now at night), is still met by a
            # reply now: due now, at risk, not breached (engine.h,
            # kpi_engine_sla_risk())
            dues = [now if d < now and self.cal.elapsed(d, now) == 0 else d for d in dues]
            # a ticket with a target past due is breached; at risk are the
            # tickets not breached with a target due within the horizon
            if any(d < now for d in dues):
                breached += 1
            elif any(d <= now + horizon for d in dues):
                at_risk += 1
            for d in dues:
                if d >= now and (next_due is None or d < next_due):
                    next_due = d
        return breached, at_risk, next_due


# ---- the dashboard's text --------------------------------------------------

def fmt_ms(ms):
    s = int(ms / 1000.0 + 0.5)
    if s >= 86400:
        return "%dd %02dh" % (s // 86400, s % 86400 // 3600)
    if s >= 3600:
        return "%dh %02dm" % (s // 3600, s % 3600 // 60)
    if s >= 60:
        return "%dm %02ds" % (s // 60, s % 60)
    return "%ds" % s


def printed_range(text):
    """The ms values that the dashboard prints as `text`: [lo, hi), or None."""
    for pattern, big, small, unit in ((r"(\d+)d (\d\d)h", 86400, 3600, 3600), (r"(\d+)h (\d\d)m", 3600, 60, 60),
                                      (r"(\d+)m (\d\d)s", 60, 1, 1), (r"(\d+)s()", 1, 0, 1)):
        m = re.fullmatch(pattern, text)
        if m:
            s = int(m[1]) * big + (int(m[2]) * small if small else 0)
            return s * 1000 - 500, (s + unit) * 1000 - 500
    return None


def quantile_ok(text, values, q, accuracy=0.01):
    if not values:
        return text == "-"
    v = exact_quantile(values, q)
    rng = printed_range(text)
    if rng is None:
        return False
    lo, hi = rng
    return lo <= v * (1 + accuracy) and v * (1 - accuracy) < hi


def share_text(est):
    p, lo, hi, n = est
    return "%7.1f%%   (95%% CI %5.1f%% .. %5.1f%%, n = %d)" % (100 * p, 100 * lo, 100 * hi, n)


def cet_date(t):
    return (dt.date(1970, 1, 1) + dt.timedelta(days=(t - ORIGIN) // DAY)).isoformat()


def format_time(ms):
    return (dt.datetime(1970, 1, 1) + dt.timedelta(milliseconds=ms)).strftime("%Y-%m-%dT%H:%M:%S.") + \
        "%03dZ" % (ms % 1000)


class Check:
    def __init__(self, ref, out):
        self.ref, self.lines, self.errors, self.checked = ref, out.splitlines(), [], 0

    def line(self, pattern):
        for l in self.lines:
            m = re.match(pattern, l)
            if m:
                return m
        self.errors.append("no line matching %r" % pattern)
        return None

    def equal(self, what, got, want):
        self.checked += 1
        if got != want:
            self.errors.append("%s: dashboard %r, reference %r" % (what, got, want))

    def quant(self, what, text, values, q):
        self.checked += 1
        if not quantile_ok(text, values, q):
            v = exact_quantile(values, q) if values else None
            self.errors.append("%s: dashboard %r, reference %r (%s ms)" %
                               (what, text, fmt_ms(v) if v is not None else "-", v))

    def run(self):
        ref = self.ref
        dur = r"(-|\d+d \d\dh|\d+h \d\dm|\d+m \d\ds|\d+s)"
        m = self.line(r"  tickets created (\d+), settled (\d+), live now (\d+)$")
        if m:
            self.equal("tickets created/settled/live", m.groups(),
                       (str(ref.count["created"]), str(ref.settled), str(len(ref.live))))
        m = self.line(r"  lines (\d+): events (\d+), applied (\d+), rejected (\d+)$")
        if m:
            n = len(ref.rows)
            self.equal("lines and events", m.groups(), (str(n + 1), str(n), str(n), "0"))
        m = self.line(r"  span (\S+) \.\. (\S+),")
        if m:
            self.equal("span", m.groups(), (cet_date(ref.first), cet_date(ref.last)))
        # the holidays listed: the dates of German nationwide holidays on
        # the CET days of the span, by date (May 1 on Ascension Day twice)
        m = self.line(r"  business hours Mon-Fri 08:00-18:00; holidays in the span:(.*)$")
        if m:
            d0, d1 = (dt.date(*map(int, cet_date(t).split("-"))) for t in (ref.first, ref.last))
            want = sorted(d for y in range(d0.year, d1.year + 1) for d in german_holidays(y) if d0 <= d <= d1)
            got = sorted({dt.date(*map(int, x.split("-"))) for x in re.findall(r" (\d{4}-\d\d-\d\d) ", m[1] + " ")})
            self.equal("holidays in the span", got, want)
            self.equal("holidays in the span, none", m[1] == " none", not want)
        rows = [("first reply time (FRT)", "frt", "frt_b"), ("reply time (every reply, ART)", "reply", "reply_b"),
                ("first resolution time", "first", "first_b"),
                ("full resolution time (settled)", "full", "full_b"),
                ("requester wait time (settled)", "wait", "wait_b"), ("agent work time (settled)", "work", "work_b"),
                ("FRT, last 7 days", "frt", "frt_b")]
        for label, cal, bus in rows:
            m = self.line(r"  %s +%s +%s +%s +%s +(\d+)$" % (re.escape(label), dur, dur, dur, dur))
            if not m:
                continue
            since = ref.end - 7 * DAY if label.startswith("FRT, last") else None
            c = ref.vals(cal, since=since)
            b = ref.vals(bus, since=since) if bus else []
            self.equal(label + " n", int(m[5]), len(c))
            self.quant(label + " p50", m[1], c, 0.5)
            self.quant(label + " p90", m[2], c, 0.9)
            self.quant(label + " business p50", m[3], b, 0.5)
            self.quant(label + " business p90", m[4], b, 0.9)
        frt, frt_b = ref.vals("frt"), ref.vals("frt_b")
        self.share("FRT within 1 hour", wilson(sum(v <= HOUR for v in frt), len(frt)))
        self.share("FRT within 8 business hours", wilson(sum(v <= 8 * HOUR for v in frt_b), len(frt_b)))
        for label, metric in (("FCR (settled)", "fcr"), ("reopen rate (settled)", "reopen"),
                              ("repeat contacts (7 days)", "repeat")):
            v = ref.vals(metric)
            self.share(label, wilson(sum(v), len(v)))
        # contacts per issue: n contacts, n - repeats issues; the interval
        # is the repeat share's mapped through 1 / (1 - p)
        v = ref.vals("repeat")
        m = self.line(r"  contacts per issue +(.*)$")
        if m and (not v or sum(v) == len(v)):
            self.equal("contacts per issue", re.match(r"  contacts per issue +- +\(.*\)$", m[0]) is not None,
                       True)
        elif m:
            _, lo, hi, n = wilson(sum(v), len(v))
            want = "  %-34s %8.2f   (95%% CI %.2f .. %.2f, n = %d)" % (
                "contacts per issue", n / (n - sum(v)), 1 / (1 - lo), 1 / (1 - hi) if hi < 1 else math.inf, n)
            self.equal("contacts per issue", m[0], want)
        csat, nps, ces = ref.vals("csat"), ref.vals("nps"), ref.vals("ces")
        self.share("CSAT (4-5 of 5)", wilson(sum(x >= 4 for x in csat), len(csat)))
        self.share("CES easy (5-7 of 7)", wilson(sum(x >= 5 for x in ces), len(ces)))
        for label, v in (("CSAT mean (1-5)", csat), ("CES mean (1-7)", ces)):
            if not v:
                self.equal(label + " absent", [l for l in self.lines if l.startswith("  " + label)], [])
                continue
            mm = self.line(r"  %s +(.*)$" % re.escape(label))
            if mm:
                self.equal(label, mm[0], "  %-34s %8.2f   (95%% CI %5.2f .. %5.2f)" % ((label,) + mean_ci(v)))
        n = len(nps)
        if n == 0:
            self.equal("NPS", self.line(r"  NPS \(0-10\) +- +\(.*\)$") is not None, True)
            return self.rest()
        p = sum(x >= 9 for x in nps) / n
        d = sum(x <= 6 for x in nps) / n
        passives = sum(7 <= x <= 8 for x in nps) / n
        val = 100 * (p - d)
        # the adjusted-Wald interval of score.h (Rocks 2016): 3/4 of an
        # answer added to promoters and detractors, 3 to n; it is widened
        # to hold the value
        na = n + 3
        pa = (sum(x >= 9 for x in nps) + 0.75) / na
        da = (sum(x <= 6 for x in nps) + 0.75) / na
        half = Z * math.sqrt((pa + da - (pa - da) ** 2) / na)
        lower = min(max(-100, 100 * (pa - da - half)), val)
        upper = max(min(100, 100 * (pa - da + half)), val)
        mm = self.line(r"  NPS \(0-10\) .*$")
        if mm:
            self.equal("NPS", mm[0], "  %-34s %+8.1f   (95%% CI %+.1f .. %+.1f, n = %d)" %
                       ("NPS (0-10)", val, lower, upper, n))
        mm = self.line(r"  promoters / passives / detractors .*$")
        if mm:
            self.equal("NPS shares", mm[0], "  %-34s %7.1f%% / %.1f%% / %.1f%%" %
                       ("promoters / passives / detractors", 100 * p, 100 * passives, 100 * d))
        self.rest()

    def rest(self):
        self.sla()
        self.backlog()
        self.channels()
        self.topics()
        self.people()
        self.counters()

    def share(self, label, est):
        m = self.line(r"  %s +(.*)$" % re.escape(label))
        if m and est is None:  # no values: "-" and the error's text
            self.equal(label, re.match(r"  %s +- +\(.*\)$" % re.escape(label), m[0]) is not None, True)
        elif m:
            self.equal(label, m[0], "  %-34s %s" % (label, share_text(est)))

    def sla(self):
        ref = self.ref
        metrics = ("sla_first", "sla_next", "sla_res")
        for name in ["urgent", "high", "normal", "low", "all priorities"]:
            cells = []
            for metric in metrics:
                v = ref.vals(metric) if name == "all priorities" else \
                    ref.vals(metric, "priority", PRIORITIES.index(name))
                cells.append(" %6.1f%% (n = %5d)" % (100 * sum(v) / len(v), len(v)) if v else " %6s  %11s" % ("-", ""))
            want = "  %-34s%s" % (name, "".join(cells))
            m = self.line(r"  %s  .*$" % re.escape(name))
            if m:
                self.equal("SLA " + name, m[0], want)
        breached, at_risk, next_due = ref.sla_risk()
        m = self.line(r"  live tickets: .*$")
        if m:
            self.equal("SLA risk", m[0], "  live tickets: %d already breached, %d due within 24 hours; next due %s" %
                       (breached, at_risk, format_time(next_due) if next_due is not None else "none"))

    def backlog(self):
        ref = self.ref
        for k in range(7, 0, -1):
            day = ref.end - k * DAY
            created = sum(c for (p, ch), c in ref.volume.items() if p == day)
            m = self.line(r"  %s +.*$" % cet_date(day))
            if m:
                self.equal("backlog " + cet_date(day), m[0], "  %-28s %9s   %9s" %
                           (cet_date(day), created, ref.backlog.get(day, "-")))
        live = list(ref.live.values())
        st = lambda s: sum(1 for x in live if x.status == s)
        want = ("  now: unresolved %d, new %d, open %d, pending %d, on-hold %d, waiting for a reply %d, "
                "solved, in reopen window %d" % (sum(1 for x in live if x.status in UNRESOLVED), st(NEW), st(OPEN),
                                                 st(PENDING), st(ON_HOLD),
                                                 sum(1 for x in live if x.waiting is not None), st(SOLVED)))
        m = self.line(r"  now: .*$")
        if m:
            self.equal("backlog now", m[0], want)
        ages = [0, 0, 0, 0]
        for x in live:
            if x.status in UNRESOLVED and x.created <= ref.end:
                a = ref.end - x.created
                ages[0 if a < DAY else 1 if a < 3 * DAY else 2 if a < 7 * DAY else 3] += 1
        m = self.line(r"  aging of the unresolved: .*$")
        if m:
            self.equal("aging", m[0], "  aging of the unresolved: < 1 day %d, 1-3 days %d, 3-7 days %d, >= 7 days %d"
                       % tuple(ages))

    def channels(self):
        ref = self.ref
        oldest = ref.end - PERIODS * DAY
        # tickets created without a channel are the dashboard's row "(none)"
        per = dict.fromkeys({ch or "(none)" for (p, ch) in ref.volume}, 0)
        for (p, ch), c in ref.volume.items():
            if p >= oldest:
                per[ch or "(none)"] += c
        total = sum(per.values())
        for ch, c in sorted(per.items(), key=lambda x: (-x[1], x[0])):
            share = c / total if total else 0.0  # every ticket older than the window
            want = "  %-12s %7.0f %6.1f%%  %s" % (ch, c, 100 * share, "#" * int(share * 40 + 0.5))
            m = self.line(r"  %s +\d+ .*$" % re.escape(ch))
            if m:
                self.equal("volume " + ch, m[0].rstrip(), want.rstrip())
        order = [l.split()[0] for l in self.lines if re.match(r"  \S+ +\d+ +[\d.]+%  #*$", l)]
        self.equal("channel order", order, [ch for ch, c in sorted(per.items(), key=lambda x: (-x[1], x[0]))])
        m = self.line(r"  all +(\d+)$")
        if m:
            self.equal("volume all", int(m[1]), total)

    def topics(self):
        ref = self.ref
        total = sum(ref.topics.values())
        m = self.line(r"== Top 10 topics \(of (\d+) tickets; counts within \+- (\d+)\)$")
        if m:
            self.equal("topics total", int(m[1]), total)
            self.equal("topics error bound", int(m[2]), 0)
        ranked = sorted(ref.topics.items(), key=lambda x: -x[1])
        for rank in range(min(10, len(ranked))):
            m = self.line(r"  %2d\. (.*?) +(\d+)  \((\d+) \.\. (\d+)\) +([\d.]+)%%$" % (rank + 1))
            if not m:
                continue
            want = ranked[rank][1]
            self.equal("topic %d count" % (rank + 1), (int(m[2]), int(m[3]), int(m[4])), (want, want, want))
            self.equal("topic %d label's count" % (rank + 1), ref.topics.get(m[1]), want)
            self.equal("topic %d share" % (rank + 1), m[5], "%.1f" % (100 * want / total))
        # the last 7 days: topics of the tickets created from end - 7 days on
        week = {}
        for topic, t in ref.topic_times:
            if t >= ref.end - 7 * DAY:
                week[topic] = week.get(topic, 0) + 1
        wtotal = sum(week.values())
        m = self.line(r"== Top 5 topics, last 7 days \(of (\d+) tickets; counts within \+- (\d+)\)$")
        if m:
            self.equal("week topics total", int(m[1]), wtotal)
            self.equal("week topics error bound", int(m[2]), 0)
        ranked = sorted(week.items(), key=lambda x: -x[1])
        after = self.lines.index(m[0]) + 1 if m else len(self.lines)
        for rank in range(min(5, len(ranked))):
            mm = re.match(r"  %2d\. (.*?) +(\d+) +([\d.]+)%%$" % (rank + 1), self.lines[after + rank]) \
                if after + rank < len(self.lines) else None
            self.equal("week topic %d row" % (rank + 1), mm is not None, True)
            if not mm:
                continue
            want = ranked[rank][1]
            self.equal("week topic %d count" % (rank + 1), int(mm[2]), want)
            self.equal("week topic %d label's count" % (rank + 1), week.get(mm[1]), want)
            self.equal("week topic %d share" % (rank + 1), mm[3], "%.1f" % (100 * want / wtotal))

    def people(self):
        ref = self.ref
        # a row per agent named on an event of an agent (a reply, note,
        # assignment, resolve or logged_in record), and per team, no other
        agents = sorted({r[3] for r in ref.rows if r[3] and r[1] in AGENT_KINDS} |
                        {k[1] for k in ref.prod if k[0] == "agent"})
        for a in agents:
            self.person("agent", a, ref.agent_team.get(a, "-"), ref.logged_in.get(a))
        teams = sorted({r[8] for r in ref.rows if r[8]})
        for team in teams:
            self.person("team", team, "", ref.logged_in_team.get(team))
        if "== Agents" in " ".join(self.lines):
            at = [i for i, l in enumerate(self.lines) if l.startswith("== Agents")][0]
            rows = self.lines[at + 1:self.lines.index("  -- teams", at)] if "  -- teams" in self.lines else []
            self.equal("agent rows", [l.split()[0] for l in rows], agents)
            end = self.lines.index("  -- teams", at) + 1 if "  -- teams" in self.lines else len(self.lines)
            rows = []
            for l in self.lines[end:]:
                if not l.startswith("  "):
                    break
                rows.append(l.split()[0])
            self.equal("team rows", sorted(rows), teams)

    def person(self, dim, key, team, logged_ms):
        ref = self.ref
        res = ref.prod.get((dim, key, "resolved"), 0)
        rep = ref.prod.get((dim, key, "replies"), 0)
        rph = "%.2f" % (res / (logged_ms / HOUR)) if logged_ms else "-"
        csat = ref.vals("csat", dim, key)
        fcr = ref.vals("fcr", dim, key)
        pct = lambda v, t: "%.1f%%" % (100 * sum(x >= t for x in v) / len(v)) if v else "-"
        m = self.line(r"  %s +%s +(\d+) +(\d+) +(\S+(?: \S+)?) +(\S+) +(\S+) +(\S+)$" %
                      (re.escape(key), re.escape(team) if team else ""))
        if not m:
            return
        self.equal("%s %s" % (dim, key), (int(m[1]), int(m[2]), m[4], m[5], m[6]),
                   (res, rep, pct(csat, 4), pct(fcr, 1), rph))
        self.quant("%s %s FRT p50" % (dim, key), m[3], ref.vals("frt", dim, key), 0.5)

    def counters(self):
        ref = self.ref
        text = " ".join(l.strip() for l in self.lines[self.lines.index("== Counters") + 1:]
                        if not l.strip().startswith("engine memory")) if "== Counters" in self.lines else ""
        got = dict((k.strip(), int(v)) for k, v in re.findall(r"([a-z -]+?) (\d+)[,]?", text))
        self.equal("counters", got, ref.count)


def off_shift(ref, slack=20 * 60 * 1000):
    """gen_events: "Agents answer only while on shift".  Every shift worked
    ends with a logged_in record (at the end of the shift, plus up to ten
    minutes, with the minutes logged in: the shift less a half-hour break
    and up to 12 minutes); the replies and resolves of a named agent must
    fall inside one of the agent's shifts, give or take `slack` (a call or
    a chat that runs over).  Returns the lines that do not."""
    shifts = {}
    for r in ref.rows:
        if r[1] == "logged_in":
            shifts.setdefault(r[3], []).append((r[0] - int(r[4]) - 42 * 60 * 1000 - slack, r[0] + slack))
    bad = []
    for r in ref.rows:
        if r[1] in ("agent_reply", "resolved") and r[3]:
            if not any(a <= r[0] <= b for a, b in shifts.get(r[3], [])):
                bad.append("%s %s on ticket %s by %s, off shift" % (format_time(r[0]), r[1], r[2], r[3]))
    return bad


def main(argv):
    if len(argv) not in (2, 3):
        print(__doc__.split("\n\n")[2].strip(), file=sys.stderr)
        return 2
    ref = Reference(argv[1])
    if len(argv) == 2:
        for metric in sorted(ref.values):
            v = [x[0] for x in ref.values[metric]]
            print("%-10s n %6d  sum %d" % (metric, len(v), sum(v)), end="")
            if metric in ("frt", "frt_b", "reply", "reply_b", "first", "first_b", "full", "full_b", "wait", "work",
                          "wait_b", "work_b"):
                print("  p50 %s  p90 %s" % (fmt_ms(exact_quantile(v, 0.5)), fmt_ms(exact_quantile(v, 0.9))), end="")
            print()
        print(ref.count)
        return 0
    with open(argv[2]) as f:
        check = Check(ref, f.read())
    check.run()
    if any(r[1] == "logged_in" for r in ref.rows):
        check.errors += off_shift(ref)
    for e in check.errors:
        print("dashboard_reference: " + e)
    if check.errors:
        return 1
    print("dashboard_reference: %d figures agree with the reference" % check.checked)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
