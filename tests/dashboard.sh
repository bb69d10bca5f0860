#!/bin/sh
# The ticket-engine example: the dashboard runs over the shipped event log,
# prints every section with figures in it and rejects nothing, and every
# figure it prints agrees with tests/dashboard_reference.py (an independent
# computation of the same KPIs in plain Python, from the definitions); a
# bad line is reported with its line number and skipped; small logs pin the
# header's span and holidays, the backlog's and the volume's days and the
# reading of values and names; gen_events regenerates the shipped log byte
# for byte.
set -eu
: "${top_srcdir:=.}" "${top_builddir:=.}" "${EXEEXT:=}"
dashboard="$top_builddir/examples/dashboard$EXEEXT"
gen="$top_builddir/examples/gen_events$EXEEXT"
log="$top_srcdir/examples/data/events.csv"
tmp=$(mktemp -d "${TMPDIR:-/tmp}/kpi-dashboard.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
fail() { echo "dashboard: $*"; exit 1; }

status=0
"$dashboard" "$log" >"$tmp/out" 2>"$tmp/err" || status=$?
[ $status -eq 0 ] || { cat "$tmp/err"; fail "exit status $status on the shipped log"; }
[ ! -s "$tmp/err" ] || { cat "$tmp/err"; fail "complaints on the shipped log"; }
for section in "Response and resolution times" "Resolution quality" "Surveys" \
    "SLA compliance" "Backlog" "Volume per channel" "Top 10 topics" "Top 5 topics, last 7 days" "Agents" "Counters"; do
  grep -q "^== $section" "$tmp/out" || fail "no section '$section'"
done
pct='[0-9]+\.[0-9]%'
dur='[0-9]+(d [0-9]{2}h|h [0-9]{2}m|m [0-9]{2}s|s)'
expect() { grep -Eq "$1" "$tmp/out" || { cat "$tmp/out"; fail "no line matching: $1"; }; }
expect "rejected 0$"
expect "^  first reply time \(FRT\) +$dur +$dur +$dur +$dur +[1-9][0-9]*$"
expect "^  full resolution time \(settled\) +$dur +$dur +$dur +$dur +[1-9][0-9]*$"
expect "^  FCR \(settled\) +$pct +\(95% CI +$pct \.\. +$pct, n = [1-9][0-9]*\)$"
expect "^  reopen rate \(settled\) +$pct "
expect "^  repeat contacts \(7 days\) +$pct "
expect "^  CSAT \(4-5 of 5\) +$pct "
expect "^  NPS \(0-10\) +[-+][0-9]+\.[0-9] "
expect "^  CES easy \(5-7 of 7\) +$pct "
expect "^  all priorities( +$pct \(n = +[0-9]+\)){3}$"
expect "^  aging of the unresolved: < 1 day [0-9]+, 1-3 days [0-9]+, 3-7 days [0-9]+, >= 7 days [0-9]+$"
expect "^  email +[0-9]+ +[0-9.]+% +#+$"
expect "^   1\. [a-z].* +[0-9]+ +\([0-9]+ \.\. [0-9]+\) +[0-9.]+%$"
expect "^  agent-01 +[a-z]+ +[0-9]+ +[0-9]+ +$dur +$pct +$pct +[0-9]+\.[0-9]{2}$"
[ "$(grep -Ec '^  20[0-9]{2}-[0-9]{2}-[0-9]{2} +[0-9]+ +[0-9]+$' "$tmp/out")" -eq 7 ] ||
  fail "the backlog of the last 7 days is not 7 dated lines of numbers"

# every figure against the independent reference (plain Python 3, no
# libkpi: $KPI_PYTHON, else python3, else /usr/bin/python3)
py=
for cand in "${KPI_PYTHON:-}" python3 /usr/bin/python3; do
  case $cand in ''|no) continue ;; esac
  if "$cand" -c 'import sys; sys.exit(sys.version_info < (3, 6))' >/dev/null 2>&1; then py=$cand; break; fi
done
if [ -n "$py" ]; then
  "$py" -B "$top_srcdir/tests/dashboard_reference.py" "$log" "$tmp/out" >"$tmp/ref" 2>&1 ||
    { cat "$tmp/ref"; fail "the dashboard disagrees with tests/dashboard_reference.py"; }
  cat "$tmp/ref"
else
  echo "dashboard: no python3: the figures are not compared with the reference"
fi

# small logs: `small NAME <<CSV` writes $tmp/NAME.csv (the header, then the
# lines read) and runs the dashboard over it: $tmp/out, $tmp/err, $status
small() {
  { echo "time,kind,ticket,actor,value,flags,channel,priority,team,topic"; cat; } >"$tmp/$1.csv"
  status=0
  "$dashboard" "$tmp/$1.csv" >"$tmp/out" 2>"$tmp/err" || status=$?
}
# the reference agrees with the dashboard's figures on $tmp/NAME.csv
agrees() {
  [ -n "$py" ] || return 0
  "$py" -B "$top_srcdir/tests/dashboard_reference.py" "$tmp/$1.csv" "$tmp/out" >"$tmp/ref" 2>&1 ||
    { cat "$tmp/ref"; fail "$1.csv: the dashboard disagrees with the reference"; }
}
complains() { grep -q "$1" "$tmp/err" || { cat "$tmp/err"; fail "no complaint: $1"; }; }
clean() { [ $status -eq 0 ] || { cat "$tmp/err"; fail "exit status $status on $1.csv"; }; }

# a bad line: reported by number, skipped, the rest applied (exit status 3)
small bad <<'CSV'
2026-03-02T08:00:00.000Z,created,1,cust-1,,,email,normal,,refund request
2026-03-02T08:05:00.000Z,agent_reply,2,agent-01,,,,,,
2026-03-02T08:06:00.000Z,teleported,1,,,,,,,
2026-03-02T08:10:00.000Z,agent_reply,1,agent-01,,,,,,
CSV
[ $status -eq 3 ] || { cat "$tmp/err"; fail "exit status $status with bad lines (expected 3)"; }
complains "bad.csv:3: agent_reply on ticket 2: KPI_ERR_UNKNOWN_ID"
complains "bad.csv:4: unknown kind 'teleported'"
grep -q "events 4, applied 2, rejected 2" "$tmp/out" || fail "the good lines were not applied"

# a first line refused before the engine sees it does not start the span
# at the epoch (1970-01-01 and 56 years of holidays)
small first <<'CSV'
2026-03-02T07:00:00.000Z,teleported,1,,,,,,,
2026-03-02T08:00:00.000Z,created,1,cust-1,,,email,normal,,refund request
2026-03-03T09:00:00.000Z,agent_reply,1,agent-01,,,,,,
CSV
complains "first.csv:2: unknown kind 'teleported'"
expect "^  span 2026-03-02 \.\. 2026-03-03, "
expect "holidays in the span: none$"

# nor does a line the engine refuses end it: the span is that of the
# events applied, the days the figures cover (a reply to an unknown ticket
# dated 2026-12-30 printed 'span 2026-03-02 .. 2026-12-30' and listed
# eight holidays, with the backlog's days ending 2026-03-03)
small last <<'CSV'
2026-03-02T08:00:00.000Z,created,1,cust-1,,,email,normal,,refund request
2026-03-03T09:00:00.000Z,agent_reply,1,agent-01,,,,,,
2026-12-30T09:00:00.000Z,agent_reply,99,agent-01,,,,,,
CSV
complains "last.csv:4: agent_reply on ticket 99: KPI_ERR_UNKNOWN_ID"
expect "^  span 2026-03-02 \.\. 2026-03-03, "
expect "holidays in the span: none$"

# a name the engine refuses (a topic of 300 bytes) is a bad field every
# time, not an unknown code from its second line on
long=$(printf '%0300d' 0)
small longname <<CSV
2026-03-02T08:00:00.000Z,created,1,cust-1,,,email,normal,,$long
2026-03-02T08:01:00.000Z,created,2,cust-1,,,email,normal,,$long
CSV
complains "longname.csv:2: bad topic field"
complains "longname.csv:3: bad topic field"

# a line too long for the reader is an event refused: events 2, applied
# 1, rejected 1
long=$(printf '%05000d' 0)
small toolong <<CSV
2026-03-02T08:00:00.000Z,created,1,cust-1,,,email,normal,,$long
2026-03-02T08:01:00.000Z,created,2,cust-1,,,email,normal,,refund request
CSV
complains "toolong.csv:2: line too long"
expect "events 2, applied 1, rejected 1$"

# a NUL byte in a line is reported at that line, and the next line is
# read, not skipped as the rest of an overlong line (it was: 'line too
# long', then ticket 2 dropped without a word: events 2, applied 1)
{ printf '2026-03-02T08:00:00.000Z,created,1,cust-1,,,email,normal,,refund\000request\n'
  echo '2026-03-02T08:01:00.000Z,created,2,cust-2,,,email,normal,,refund request'
  echo '2026-03-02T08:02:00.000Z,created,3,cust-3,,,email,normal,,refund request'; } | small nul
complains "nul.csv:2: NUL byte in the line"
expect "lines 4: events 3, applied 2, rejected 1$"

# a value past the int64 range is a bad field, not a wrapped negative
# number; INT64_MIN is one (refused by the engine, without overflow)
small values <<'CSV'
2026-03-02T08:00:00.000Z,created,1,cust-1,,,email,normal,,refund request
2026-03-02T18:00:00.000Z,logged_in,,agent-01,9300000000000000000,,,,billing,
2026-03-02T18:00:00.000Z,csat,1,,-9223372036854775808,,,,,
CSV
complains "values.csv:3: bad value field"
complains "values.csv:4: csat on ticket 1: KPI_ERR_RANGE"

# a ticket id is any uint64 but 0, also one of 20 digits (2^63 =
# 9223372036854775808 and 2^64 - 1 = 18446744073709551615 were a bad
# ticket or actor field: at most 19 digits were read); 2^64 is one
small bigid <<'CSV'
2026-03-02T08:00:00.000Z,created,18446744073709551615,cust-1,,,email,normal,,refund request
2026-03-02T08:01:00.000Z,created,9223372036854775808,cust-2,,,email,normal,,refund request
2026-03-02T08:02:00.000Z,merged,9223372036854775808,18446744073709551615,,,,,,
2026-03-02T08:03:00.000Z,created,18446744073709551616,cust-3,,,email,normal,,refund request
CSV
complains "bigid.csv:5: bad ticket field"
expect "events 4, applied 3, rejected 1$"
expect "merged 1,"

# a survey line without its answer is a bad value field, not an answer 0
# (an NPS of 0 is a detractor: one empty nps line read NPS -100.0, n = 1)
small noanswer <<'CSV'
2026-03-02T08:00:00.000Z,created,1,cust-1,,,email,normal,,refund request
2026-03-02T08:05:00.000Z,nps,1,,,,,,,
2026-03-02T08:06:00.000Z,ces,1,,,,,,,
CSV
complains "noanswer.csv:3: bad value field"
complains "noanswer.csv:4: bad value field"
expect "^  NPS \(0-10\) +- "
expect "events 3, applied 1, rejected 2$"

# nor is a logged_in line without its time 0 ms: it was applied without
# a word (exit status 0, 'events 2, applied 2, rejected 0') and gave
# agent-02, who has no other line, the row 'agent-02 billing 0 0 - - - -'
small notime <<'CSV'
2026-03-02T08:00:00.000Z,created,1,cust-1,,,email,normal,,refund request
2026-03-02T18:00:00.000Z,logged_in,,agent-02,,,,,billing,
CSV
[ $status -eq 3 ] || { cat "$tmp/err"; fail "exit status $status on notime.csv (expected 3)"; }
complains "notime.csv:3: bad value field"
expect "events 2, applied 1, rejected 1$"
! grep -q "^  agent-02 " "$tmp/out" || { cat "$tmp/out"; fail "a row for agent-02, whose one line has no time"; }

# the tables list the names of the events the engine took: an agent, a
# channel, a priority and a team named only on lines it refused (a reply
# and an assignment on unknown tickets, a second creation of ticket 1)
# were rows of their own ('agent-99 - 0 0 - - - -', 'fax 0 0.0%',
# 'critical - - -', 'sales 0 0 ...'), as if the helpdesk had them
small refusednames <<'CSV'
2026-03-02T08:00:00.000Z,created,1,cust-1,,,email,normal,,refund request
2026-03-02T08:05:00.000Z,agent_reply,1,agent-01,,,,,,
2026-03-02T08:06:00.000Z,agent_reply,2,agent-99,,,,,,
2026-03-02T08:07:00.000Z,created,1,cust-1,,,fax,critical,,refund request
2026-03-02T08:08:00.000Z,assigned,3,agent-01,,,,,sales,
CSV
complains "refusednames.csv:4: agent_reply on ticket 2: KPI_ERR_UNKNOWN_ID"
complains "refusednames.csv:5: created on ticket 1: KPI_ERR_DUPLICATE"
complains "refusednames.csv:6: assigned on ticket 3: KPI_ERR_UNKNOWN_ID"
expect "^  agent-01 "
expect "^  email +1 +100.0%"
for name in agent-99 fax critical sales; do
  ! grep -q "^  $name " "$tmp/out" || { cat "$tmp/out"; fail "a row for $name, named on refused lines only"; }
done

# the tables have a row for every agent named on an event of an agent the
# engine took, also on a note or an assignment only (agent-07, agent-05),
# and for every team, and no other (the reference compares the lists); a
# value goes to the ticket's assignee (agent-05: FRT, CSAT, FCR), a reply
# to the agent who wrote it (agent-01)
small agents <<'CSV'
2026-03-02T08:00:00.000Z,created,1,cust-1,,,email,normal,,refund request
2026-03-02T08:01:00.000Z,assigned,1,agent-05,,,,,billing,
2026-03-02T08:02:00.000Z,note,1,agent-07,,,,,,
2026-03-02T08:03:00.000Z,agent_reply,1,agent-01,,,,,,
2026-03-02T08:04:00.000Z,resolved,1,,,,,,,
2026-03-02T08:05:00.000Z,csat,1,,5,,,,,
2026-03-02T08:06:00.000Z,closed,1,,,,,,,
CSV
clean agents
expect "^  agent-01 +- +0 +1 +- +- +- +-$"
expect "^  agent-05 +- +1 +0 +3m 00s +100.0% +100.0% +-$"
expect "^  agent-07 +- +0 +0 +- +- +- +-$"
agrees agents

# an agent's team is that of its last logged_in record the engine took:
# the refused one (a negative time) named technical, which the table showed
small team <<'CSV'
2026-03-02T08:00:00.000Z,created,1,cust-1,,,email,normal,,refund request
2026-03-02T18:00:00.000Z,logged_in,,agent-01,36000000,,,,billing,
2026-03-02T18:01:00.000Z,logged_in,,agent-01,-5,,,,technical,
CSV
complains "team.csv:4: logged_in on ticket 0: KPI_ERR_RANGE"
expect "^  agent-01 +billing "

# the agents' first column counts resolves, as the counters name them: a
# ticket resolved, reopened and resolved again by agent-01 is 'resolved
# 1, resolves 2' under Counters and 2 in agent-01's row, whose column was
# headed 'resolved' (the counters' word for tickets resolved, here 1)
small resolves <<'CSV'
2026-03-02T08:00:00.000Z,created,1,cust-1,,,email,normal,,refund request
2026-03-02T08:10:00.000Z,assigned,1,agent-01,,,,,billing,
2026-03-02T08:20:00.000Z,agent_reply,1,agent-01,,,,,,
2026-03-02T08:30:00.000Z,resolved,1,agent-01,,,,,,
2026-03-02T09:00:00.000Z,reopened,1,,,,,,,
2026-03-02T09:30:00.000Z,resolved,1,agent-01,,,,,,
2026-03-02T17:00:00.000Z,logged_in,,agent-01,28800000,,,,billing,
CSV
clean resolves
expect " resolved 1, resolves 2,"
expect "^  agent-01 +billing +2 +1 "
expect "^== Agents +team +resolves +replies +FRT p50 "

# the holidays listed are those of the span as printed (CET days): the
# last event, 2026-04-05T23:30Z, is on Easter Monday
small easter <<'CSV'
2026-04-01T08:00:00.000Z,created,1,cust-1,,,email,normal,,refund request
2026-04-05T23:30:00.000Z,agent_reply,1,agent-01,,,,,,
CSV
clean easter
expect "^  span 2026-04-01 \.\. 2026-04-06, "
expect "holidays in the span: 2026-04-03 Good Friday, 2026-04-06 Easter Monday$"
agrees easter

# the business calendar is closed on the holidays the header lists, in
# every year a line may have: ticket 1 is created Thursday 1998-12-31
# 10:00 CET and answered Monday 1999-01-04 10:00, over New Year's Day (a
# Friday): Thursday 10-18 is 8 h, Monday 08-10 is 2 h, FRT 10 business
# hours (the calendar held the holidays of 2000..2099 only: 20h 00m, the
# Friday counted as open); 2099-12-31 .. 2100-01-04 alike (ticket 2).  A
# time outside the years whose holidays the calendar holds, 1900..2199, is
# reported, not taken without them
small newyear <<'CSV'
1998-12-31T09:00:00.000Z,created,1,cust-1,,,email,normal,,refund request
1999-01-04T09:00:00.000Z,agent_reply,1,agent-01,,,,,,
2099-12-31T09:00:00.000Z,created,2,cust-2,,,email,normal,,refund request
2100-01-04T09:00:00.000Z,agent_reply,2,agent-01,,,,,,
1899-12-31T09:00:00.000Z,created,3,cust-3,,,email,normal,,refund request
2200-01-01T09:00:00.000Z,created,4,cust-4,,,email,normal,,refund request
CSV
complains "newyear.csv:6: time outside the years 1900..2199 of the business calendar"
complains "newyear.csv:7: time outside the years 1900..2199 of the business calendar"
expect "^  first reply time \(FRT\) +[0-9]d [0-9]{2}h +[0-9]d [0-9]{2}h +10h 00m +10h 00m +2$"

# a last day without a new ticket: created 0 (not "-"), its backlog 1
# (the ticket of 03-02, answered on 03-03, is still open)
small quiet <<'CSV'
2026-03-02T08:00:00.000Z,created,1,cust-1,,,email,normal,,refund request
2026-03-03T09:00:00.000Z,agent_reply,1,agent-01,,,,,,
CSV
clean quiet
expect "^  2026-03-02 +1 +1$"
expect "^  2026-03-03 +0 +1$"

# and so in a log that creates no ticket at all (an agent's logged_in
# record alone, 'tickets created 0'): the day read created '-' beside its
# backlog 0, as no volume series exists before the first creation
small noticket <<'CSV'
2026-03-02T18:00:00.000Z,logged_in,,agent-01,3600000,,,,billing,
CSV
clean noticket
expect "^  tickets created 0, "
expect "^  2026-03-02 +0 +0$"
agrees noticket

# volume per channel over the last 90 days: the email ticket of 100 days
# before the end is not in it (email 0, chat 1, all 1)
small long <<'CSV'
2026-01-01T08:00:00.000Z,created,1,cust-1,,,email,normal,,refund request
2026-04-10T08:00:00.000Z,created,2,cust-2,,,chat,normal,,refund request
CSV
clean long
expect "^  chat +1 +100.0%  #+$"
expect "^  email +0 +0.0%  $"
expect "^  all +1$"

# a ticket created without a channel is in "all" (every ticket created,
# as the header's count) in a row of its own, and the shares are of all:
# email 1 of 2 = 50.0%, 20 of 40 marks (it read email 100.0%, all 1)
small nochannel <<'CSV'
2026-03-02T08:00:00.000Z,created,1,cust-1,,,email,normal,,refund request
2026-03-02T09:00:00.000Z,created,2,cust-2,,,,normal,,refund request
CSV
clean nochannel
expect "^  email +1 +50.0%  #{20}$"
expect "^  \(none\) +1 +50.0%  #{20}$"
expect "^  all +2$"
agrees nochannel

# and that row stays, at 0, when those tickets are older than the 90
# days, as a channel quiet of late does (email 0 in long.csv): the ticket
# without a channel of 100 days before the end dropped the row, the
# reference listed it ('(none) 0 0.0%'; chat 1 of 1, all 1)
small oldnochannel <<'CSV'
2026-01-01T08:00:00.000Z,created,1,cust-1,,,,normal,,refund request
2026-04-10T08:00:00.000Z,created,2,cust-2,,,chat,normal,,refund request
CSV
clean oldnochannel
expect "^  chat +1 +100.0%  #{40}$"
expect "^  \(none\) +0 +0.0%  $"
expect "^  all +1$"
agrees oldnochannel

# every ticket older than the 90 days: each channel and 'all' are 0, the
# shares 0.0% (the reference divided by that total of 0 and stopped with
# a ZeroDivisionError)
small allold <<'CSV'
2026-01-01T08:00:00.000Z,created,1,cust-1,,,chat,normal,,refund request
2026-04-10T18:00:00.000Z,logged_in,,agent-01,3600000,,,,billing,
CSV
clean allold
expect "^  chat +0 +0.0%  $"
expect "^  all +0$"
agrees allold

# a target used up exactly at closing time (low: 40 business hours from
# Saturday 2026-03-07, Monday to Thursday 08-18, due Thursday 18:00 CET)
# is met by a reply until business time runs again: at the end of
# Thursday it is due now, at risk, not breached (engine.h,
# kpi_engine_sla_risk(); the reference had it breached, and so disagreed
# with the logs of other seeds and sizes: gen_events -n 1000 -s 6)
small closing <<'CSV'
2026-03-07T09:00:00.000Z,created,1,cust-1,,,email,low,,refund request
2026-03-09T08:00:00.000Z,agent_reply,1,agent-01,,,,,,
2026-03-12T12:00:00.000Z,note,1,agent-01,,,,,,
CSV
clean closing
expect "^  live tickets: 0 already breached, 1 due within 24 hours; next due 2026-03-12T23:00:00.000Z$"
agrees closing

# a ticket created without a priority is a bad priority field, not a low
# one (code 0 is "low": it was judged by low's SLA targets, in its row)
small nopriority <<'CSV'
2026-03-02T08:00:00.000Z,created,1,cust-1,,,email,normal,,refund request
2026-03-02T09:00:00.000Z,created,2,cust-2,,,email,,,refund request
2026-03-02T10:00:00.000Z,agent_reply,2,agent-01,,,,,,
CSV
complains "nopriority.csv:3: bad priority field"
expect "^  low +- "

# an empty flag name is a bad flags field wherever it stands: '|by_agent'
# and 'by_agent||by_bot' were, 'by_agent|' was read as by_agent (events 3,
# applied 1, rejected 2 with it refused; the creation of ticket 3 stands)
small flags <<'CSV'
2026-03-02T08:00:00.000Z,created,1,cust-1,,by_agent|,email,normal,,refund request
2026-03-02T08:01:00.000Z,created,2,cust-2,,|by_agent,email,normal,,refund request
2026-03-02T08:02:00.000Z,created,3,cust-3,,by_agent,email,normal,,refund request
CSV
complains "flags.csv:2: bad flags field"
complains "flags.csv:3: bad flags field"
expect "events 3, applied 1, rejected 2$"

# a dashboard that could not be written is a failure, not exit status 0
if [ -w /dev/full ]; then
  status=0
  "$dashboard" "$log" >/dev/full 2>"$tmp/err" || status=$?
  [ $status -eq 1 ] || fail "exit status $status writing to /dev/full (expected 1)"
  complains "dashboard: stdout: write error"
fi

# a log of another seed and size is applied whole and agrees with the
# reference, whose check of gen_events' "agents answer only while on
# shift" allows 20 minutes past a shift's logged_in record (which comes
# 0-10 minutes after the shift's end): with -n 15000 -s 3 a chat handed to
# agent-11 at 14:27:15Z, 2 min 45 s before the end of the early shift
# (15:30 CET = 14:30Z; logged_in at 14:33:00Z), was answered at 14:40:53Z
# and resolved at 14:54:49Z, 1 min 49 s past 14:33:00 + 20 min; a live
# chat or call is now answered by the end of the shift (+ 2 minutes), else
# it goes to the queue
"$gen" -n 15000 -s 3 -o "$tmp/s3.csv" 2>/dev/null
status=0
"$dashboard" "$tmp/s3.csv" >"$tmp/out" 2>"$tmp/err" || status=$?
clean s3
expect "rejected 0$"
agrees s3

# the generator reproduces the shipped log
"$gen" -o "$tmp/events.csv" 2>/dev/null
cmp -s "$tmp/events.csv" "$log" || fail "gen_events no longer reproduces $log (regenerate it and commit)"
# "-o -" is standard output (the dashboard reads "-" as standard input)
(cd "$tmp" && "$gen" -n 300 -o - 2>/dev/null) > "$tmp/stdout.csv"
"$gen" -n 300 -o "$tmp/file.csv" 2>/dev/null
cmp -s "$tmp/stdout.csv" "$tmp/file.csv" && [ ! -e "$tmp/-" ] || fail "gen_events -o - did not write to standard output"
echo "dashboard: every section printed, bad lines reported, the sample log regenerates identically"
