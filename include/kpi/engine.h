/**
 * @file kpi/engine.h
 * @brief The ticket engine: raw helpdesk lifecycle events in, every
 *        operational KPI out.
 *
 * A helpdesk already has an event log: ticket created, customer message,
 * agent reply, bot reply, status change, assignment, resolve, reopen,
 * close, merge, survey answer, agent log-in time.  A #kpi_engine takes those
 * events (one call per event, or a batch of fixed-layout #kpi_event
 * records), keeps a small state per live ticket, and feeds the primitives of
 * this library (#kpi_duration, #kpi_rate, #kpi_score, #kpi_ratio,
 * #kpi_series, #kpi_topk), each kept overall and broken down by agent, team,
 * channel and priority in a #kpi_group, plus mergeable per-period buckets
 * for rolling windows.
 *
 * @section engine_defs Definitions (defaults in brackets; options below)
 * - **FRT** (#KPI_ENGINE_FRT): from the ticket's creation to the first
 *   public reply by a human agent.  Bot replies and internal notes never
 *   count [#KPI_ENGINE_OPT_BOT_REPLIES_COUNT = 0].  When a bot hands the
 *   ticket over (#KPI_EVENT_HANDOFF) while the FRT clock runs (before the
 *   human reply that ends it), FRT runs from the handoff
 *   [#KPI_ENGINE_OPT_FRT_FROM_HANDOFF = 1].  A ticket created
 *   by an agent (#KPI_EVENT_FLAG_BY_AGENT) measures from the first customer
 *   message (also one that reopens it, if an agent had replied before the
 *   resolve), its agents' earlier replies being the outreach, not answers
 *   (so a handoff after that message restarts the clock too); without one
 *   it has no FRT.  A ticket resolved before any
 *   reply, or with its customer's message unanswered, has no FRT; a reopen
 *   never produces a second FRT.  Recorded at the
 *   reply, in calendar time and (with a calendar) business time.
 * - **Reply time** (#KPI_ENGINE_REPLY_TIME, ART / next reply time): every
 *   public human reply that answers a waiting customer, measured from the
 *   first customer message still unanswered ("waiting since").  The
 *   creation of a customer-created ticket is its first customer message, so
 *   the first reply is included.  A reply when no customer is waiting
 *   records nothing.
 * - **First resolution time** (#KPI_ENGINE_FIRST_RESOLUTION): creation to
 *   the first resolve, recorded at that resolve.
 * - **Full resolution time** (#KPI_ENGINE_FULL_RESOLUTION): creation to the
 *   latest resolve, recorded once per ticket **when the ticket settles**:
 *   when it is closed, or when the engine's time (the latest event time
 *   seen, or kpi_engine_advance()) reaches its last resolve plus the reopen
 *   window [#KPI_ENGINE_OPT_REOPEN_WINDOW_MS = 7 days].  A reopen within
 *   the window therefore never leaves a stale value in the percentiles.
 *   Settled tickets leave the engine (they are evicted).
 * - **FCR** (#KPI_ENGINE_FCR): over settled resolved tickets, the share
 *   resolved with exactly one agent contact, one public human reply
 *   [#KPI_ENGINE_OPT_FCR_MIN_REPLIES = 1, #KPI_ENGINE_OPT_FCR_MAX_REPLIES =
 *   1], and never reopened (the KPI table's definition).  A ticket resolved
 *   without any reply (by a bot, or by an agent without writing) is not
 *   FCR but stays in the denominator.  Zendesk's one-touch (at most one
 *   reply, such tickets counted as one-touch) is the minimum set to 0; a
 *   reopen turns a ticket multi-touch either way.
 * - **Reopen rate** (#KPI_ENGINE_REOPEN): over settled resolved tickets,
 *   the share reopened at least once.  Merged tickets count as merged
 *   (#KPI_ENGINE_COUNT_MERGED), never as resolved.
 * - **Requester wait time** (#KPI_ENGINE_REQUESTER_WAIT): time in new, open
 *   and on-hold; **agent work time** (#KPI_ENGINE_AGENT_WORK): time in new
 *   and open (pending pauses both, on-hold pauses the agent's clock).
 *   Recorded when the ticket settles (up to its last resolve), in
 *   calendar time and, with a calendar, in business time
 *   (#KPI_ENGINE_REQUESTER_WAIT_BUSINESS, #KPI_ENGINE_AGENT_WORK_BUSINESS:
 *   the business time of the same spans).
 * - **Open cases now**: #KPI_ENGINE_COUNT_UNRESOLVED (new, open, pending,
 *   on-hold) and #KPI_ENGINE_COUNT_WAITING (a customer waiting for a
 *   human reply); **backlog at the end of a period**:
 *   kpi_engine_backlog(); **aging**: kpi_engine_aging().
 * - **Volume** (#KPI_ENGINE_VOLUME): tickets created per period, overall,
 *   per channel and per priority (#kpi_series).  **Top topics** (the labels of created
 *   tickets): over all time, kpi_engine_top_topics(); over a window of
 *   kept periods (the last N days), kpi_engine_window_topics().
 * - **Repeat contacts** (#KPI_ENGINE_REPEAT_CONTACT): over the contacts
 *   from customers (created tickets with a customer id, not created by an
 *   agent: an outbound ticket is no contact from its customer, neither a
 *   repeat nor one a later contact repeats), the share from a customer
 *   who made another contact within the repeat window before
 *   [#KPI_ENGINE_OPT_REPEAT_WINDOW_MS = 7 days], optionally only on the
 *   same topic [#KPI_ENGINE_OPT_REPEAT_SAME_TOPIC = 0], creations
 *   without a topic being on one topic of their own.  The engine keeps
 *   each customer's latest creation only, so a customer's creations are
 *   judged exactly when they arrive in time order.  A creation that
 *   arrives after a later one of the same customer is judged against that
 *   later one: a repeat if it is at most the window before it.  Of two
 *   creations the count is then still exact (one repeat if they are
 *   within the window, none if not), only which of the two counts as the
 *   repeat (and so its breakdown keys) follows the arrival order; of
 *   three or more out of order the count may differ, and once the
 *   engine's time has passed a customer's latest creation by the window
 *   the customer is forgotten, so a creation arriving later still is
 *   judged a first contact.  **Contacts per issue**:
 *   kpi_engine_contacts_per_issue(), from the same rate (an issue is a
 *   customer's contacts chained within the repeat window, on one topic
 *   with #KPI_ENGINE_OPT_REPEAT_SAME_TOPIC).
 * - **Agent productivity** (#KPI_ENGINE_RESOLVED_PER_HOUR,
 *   #KPI_ENGINE_REPLIES_PER_HOUR): resolves and public replies per
 *   logged-in hour (#KPI_EVENT_LOGGED_IN), by agent and team; the counts
 *   per agent are the numerators (kpi_ratio_numerator()).  By team, a
 *   resolve or reply counts for the ticket's team (as every breakdown) and
 *   the hours for the team given with the logged-in time: where agents
 *   work other teams' tickets, a team's ratio holds their output but not
 *   their hours (per agent it is exact).  A bot's replies (also under
 *   #KPI_ENGINE_OPT_BOT_REPLIES_COUNT, where they answer for FRT and reply
 *   time) and resolves (#KPI_EVENT_FLAG_BY_BOT) count for nobody, the
 *   total included.
 * - **Surveys** (#KPI_ENGINE_CSAT, #KPI_ENGINE_NPS, #KPI_ENGINE_CES):
 *   attributed to the ticket's agent, team, channel and priority at the
 *   time of the answer.  The engine's scores read CES with high = easy
 *   (#KPI_ENGINE_OPT_CES_EASY_FROM) and NPS with promoters 9-10 and
 *   detractors 0-6; each keeps every answer's count, so another reading
 *   (a CES scale where 1 is easiest, other NPS cut points) is a clone of
 *   the score read (kpi_score_clone()) set with kpi_score_set_high_is_easy()
 *   and kpi_score_set_threshold(), or kpi_score_set_nps_cuts().
 * - **SLA** (#KPI_ENGINE_SLA_FIRST_REPLY, #KPI_ENGINE_SLA_NEXT_REPLY,
 *   #KPI_ENGINE_SLA_RESOLUTION): with a policy (kpi_engine_set_sla_policy())
 *   the targets of the ticket's priority are judged met or breached: first
 *   reply at the first human reply (from the FRT start), next reply at
 *   every later reply that answers a waiting customer (from "waiting
 *   since"; so also the first reply of a ticket that has no FRT, such as
 *   one resolved before any reply and reopened by its customer: its
 *   first-reply target was settled at that resolve), resolution when the ticket settles (creation to last resolve,
 *   minus the time spent pending, in the target's own time base).  A reply
 *   target whose clock stops without its reply (the ticket resolved,
 *   closed unresolved or merged) is breached if it had lapsed by then (as
 *   kpi_engine_sla_risk() showed it), and not judged if it had not.  A
 *   rate per metric is the share met.  For live tickets, kpi_engine_sla_risk()
 *   counts the tickets due within a horizon and the next due time.
 *
 * @section engine_states Status transitions
 * - Created: status new.  A customer-created ticket starts with a customer
 *   waiting (since creation) and the FRT clock running; an agent-created
 *   one with neither, until the first customer message.
 * - Customer message: a customer is waiting from now unless one already
 *   was; pending becomes open (new and on-hold stay); on a solved ticket it
 *   reopens the ticket first [#KPI_ENGINE_OPT_MESSAGE_REOPENS = 1].  With
 *   that option 0, a message on a solved ticket is counted and changes
 *   nothing else: the ticket stays solved with nobody waiting (a solved
 *   ticket is never waiting), so no reply time or FRT starts from it.
 * - Human reply: new becomes open; records FRT (first one, if the clock
 *   runs) and reply time (if a customer waits), then nobody waits.
 *   Allowed on a solved ticket (counted, it does not reopen).
 * - Bot reply and note: counted only (a bot reply is a human reply under
 *   #KPI_ENGINE_OPT_BOT_REPLIES_COUNT).  Handoff: restarts the FRT clock if
 *   it runs (no human has answered yet: a customer-created ticket without a
 *   human reply, an agent-created one whose customer has written and not
 *   been answered); not on a solved ticket.
 * - Open / pending / on-hold: not on a solved ticket (reopen it first).
 * - Resolved: from new, open, pending or on-hold; nobody waits any more; a
 *   ticket resolved before its first human reply never gets an FRT.
 * - Reopened: solved becomes open (nobody waits until a customer message).
 * - Closed: solved (or, resolving it at the same time, unresolved) becomes
 *   closed and settles at once; merged: any status but closed becomes
 *   merged and settles without resolution KPIs.  Closed and merged tickets
 *   stay (for surveys on closed ones and #KPI_ERR_STATE on everything
 *   else) until their time plus the reopen window, then leave.
 * - Surveys: on any live ticket but a merged one.
 * - Breakdown keys of a value: the ticket's assignee and team (none: not
 *   broken down; team 0 is none), its channel and priority, as they are
 *   when the value is recorded.
 *
 * @section engine_rules Intake rules
 * Event times (and the times given to kpi_engine_advance()) must lie in
 * (-2^62, 2^62) ms, both ends excluded (about +-146 million years around
 * the epoch); any other time is #KPI_ERR_RANGE, for every kind of event.
 * Every ticket event must not be earlier than the ticket's previous event
 * (#KPI_ERR_ORDER); events of different tickets may arrive in any order.
 * Repeat contacts are the one definition that the order of arrival
 * changes: a creation is compared with the latest creation of its customer
 * that arrived before it (kept while within the repeat window of the
 * engine's time), so they follow their definition when each customer's
 * creations arrive in time order (out of order: "Repeat contacts" under
 * @ref engine_defs "Definitions").
 * Unknown tickets give #KPI_ERR_UNKNOWN_ID, a second creation of a live id
 * #KPI_ERR_DUPLICATE, a message, reply, status change or resolve on a
 * closed or merged ticket (or a status change on a solved one)
 * #KPI_ERR_STATE.  A failed call changes nothing.  Once a ticket has been
 * evicted its id is unknown again (and may be created anew).
 *
 * @section engine_memory Memory
 * 64 bytes per live ticket plus its share of the hash index (5.3 to 10.7
 * bytes: 4-byte entries, at most 3/4 full, the index doubling past that),
 * plus 12 bytes per ticket waiting for its settlement (the timer ring
 * comes in blocks of 1,024, 12 KB, and never moves an entry as it grows;
 * 16 to 32 bytes for one resolved out of time order);
 * with a calendar, 7 bytes more per ticket for its business wait and
 * work.  Measured with 1 M live tickets: 86.6 bytes per live ticket, 93.7
 * with a calendar (docs/PERFORMANCE.md); at most 87.1 and 94.1 over every
 * size from 0.5 M to 2.5 M live tickets, each resolved (a timer each),
 * the most just after the index doubles.  An engine holds at most 2^28 - 2 live tickets
 * and knows at most 2^24 - 1 distinct agents, every agent it has seen
 * (#KPI_ERR_LIMIT beyond).  Resolved, closed
 * and merged tickets leave when their window ends; the repeat-contact
 * memory keeps one entry per customer (or customer and topic) seen within
 * the repeat window.  Primitives per breakdown key are created with their
 * first value and kept for the engine's life: every agent ever seen keeps
 * its members (one per metric it was recorded in, a few KB to some 50 KB
 * an agent once its sketches have filled), also after the agent left,
 * and so does every name set with kpi_engine_set_name().  A tenant whose
 * agents change for months grows by that much per departed agent; the
 * only ways back are kpi_engine_reset() or an engine without the agent
 * breakdown (#KPI_ENGINE_OPT_BREAKDOWNS).  The room taken for tickets,
 * their index, customers and the event logs is kept when they leave:
 * memory follows the peak, not the tickets live now (200,000 tickets
 * created at once, then resolved, keep some 15 MB of
 * kpi_engine_ticket_bytes(), and 28 MB of kpi_engine_footprint(), once
 * all have left).  The timer rings' blocks
 * (1,024 timers, 12 KB, each) that settlements have passed are freed, but
 * one, by the call that settled them, before it returns (an event, a
 * batch, kpi_engine_advance(), kpi_engine_merge()):
 * kpi_engine_ticket_bytes() falls by the tickets' ring's blocks (the
 * customers' ring is not in it), kpi_engine_footprint() by both rings'.
 * An engine restored with
 * kpi_engine_deserialize() holds only what its state needs, so a
 * snapshot and a restore give the peak's room back.  Top topics take one summary of
 * #KPI_ENGINE_OPT_TOPK_CAPACITY counters over all time and one per kept
 * period, made with the period's first topic (kpi_topk_footprint(): about
 * 150 bytes a counter, 30,720 bytes at the default 200, plus, for labels
 * longer than 24 bytes, an arena of up to 260 bytes a counter: 52 KB), so
 * up to #KPI_ENGINE_OPT_PERIODS + 1 of them: about 1.1 MB at the defaults
 * (35 periods) once every kept period has seen a topic, up to 3 MB once
 * each has seen 200 labels longer than 24 bytes.
 *
 * Allocation failures: every call that changes an engine applies
 * completely or returns #KPI_ERR_NOMEM with the engine exactly as before:
 * the same snapshot bytes and the same reads (only reserved capacity may
 * have grown).  An event (and kpi_engine_advance()) settles what is due and
 * changes its ticket while logging how to undo it, and queues the values
 * it records; as it queues them it makes every allocation they need
 * (breakdown members, sketch and top-k growth), and it records them only
 * once all succeeded; if any failed, everything is undone.  (An event that
 * records no value and can meet no error once its keys are known, a note
 * or an assignment say, with nothing due, is applied directly: it has
 * nothing to undo.)  In a batch the
 * failing record is the one reported, with everything before it applied.
 * One exception keeps memory bounded: when time moves over thousands of
 * due tickets at once, their settlement commits in steps (of about 65,536
 * recorded values), and a failure leaves the engine as after the last
 * whole step, which is exactly the engine advanced with
 * kpi_engine_advance() to that step's time (kpi_engine_time() tells it);
 * the event itself is not applied.  kpi_engine_new(), kpi_engine_clone(),
 * kpi_engine_deserialize() and kpi_engine_merge() leak nothing and leave
 * their output (and the merge destination) untouched on failure.  Any
 * other error met while an event is applied, after its validation (a
 * business-time or SLA computation out of range), undoes the event the
 * same way and is returned as it is (settling never meets one: a resolve
 * is refused if its ticket's settlement could not be computed, and a
 * snapshot holding such a ticket is #KPI_ERR_CORRUPT); so does a value
 * that would overflow a count or a sum it feeds (#KPI_ERR_OVERFLOW: a
 * duration total past 2^63 - 1 ms, which merging engines can reach),
 * checked before any value is recorded.
 *
 * Time offsets inside a ticket are kept in 40 bits of milliseconds, so an
 * event more than 34 years after its ticket's creation is #KPI_ERR_RANGE.
 *
 * @section engine_threads Thread safety
 * An engine is not thread-safe: calls on one engine must be serialized by
 * the caller.  Const reads (the functions taking `const kpi_engine *`) may
 * run concurrently with each other.  Pointers handed out by the read
 * functions are borrowed: valid until the next call that changes the
 * engine, or its free.  Different engines need no lock.
 *
 * To use several cores, give each thread its own engine and send every
 * event of a ticket to the engine of the ticket's customer (a hash of the
 * customer id, say), so that each customer's tickets, and with them the
 * repeat contacts, stay in one engine.  Each engine settles tickets by its
 * own clock (its latest event), so bring them to one time with
 * kpi_engine_advance() before reading across them.  A KPI over all of them
 * is then the merge of their accumulators at read time
 * (kpi_duration_clone() of one engine's, kpi_duration_merge() of the
 * others', and so for every type): the same values one engine fed every
 * event reads for every accumulator that merges exactly (durations, rates,
 * scores, ratios, series; top topics while the summary holds every topic).
 * Or merge whole engines with kpi_engine_merge().  `bench/bench_engine`
 * does this on two cores (docs/PERFORMANCE.md, "Ticket engine").
 *
 * SPDX-License-Identifier: MIT
 */
#ifndef KPI_ENGINE_H
#define KPI_ENGINE_H

#include "kpi/calendar.h"
#include "kpi/common.h"
#include "kpi/duration.h"
#include "kpi/group.h"
#include "kpi/rate.h"
#include "kpi/ratio.h"
#include "kpi/score.h"
#include "kpi/series.h"
#include "kpi/sla.h"
#include "kpi/topk.h"

#ifdef __cplusplus
extern "C" {
#endif

/** An opaque ticket engine. */
typedef struct kpi_engine kpi_engine;

/** @name Event kinds (kpi_event::kind)
 *  @{ */
/** Ticket created: actor = customer (0 = none), channel, priority, topic
 *  (a code named by kpi_engine_set_name()), flags #KPI_EVENT_FLAG_BY_AGENT. */
#define KPI_EVENT_CREATED 1u
/** A customer message on the ticket. */
#define KPI_EVENT_CUSTOMER_MESSAGE 2u
/** A public reply by a human agent: actor = agent (0 = the assignee). */
#define KPI_EVENT_AGENT_REPLY 3u
/** A reply by a bot or an automation. */
#define KPI_EVENT_BOT_REPLY 4u
/** A bot hands the ticket over to human agents. */
#define KPI_EVENT_HANDOFF 5u
/** An internal note (never a reply): actor = agent. */
#define KPI_EVENT_NOTE 6u
/** Status change to open. */
#define KPI_EVENT_OPEN 7u
/** Status change to pending (waiting for the customer; pauses clocks). */
#define KPI_EVENT_PENDING 8u
/** Status change to on-hold (waiting for a third party). */
#define KPI_EVENT_ON_HOLD 9u
/** Assigned: actor = agent (0 = unassigned), team (0 = none). */
#define KPI_EVENT_ASSIGNED 10u
/** Resolved (solved): actor = agent (0 = the assignee); flags
 *  #KPI_EVENT_FLAG_BY_BOT when a bot resolved it. */
#define KPI_EVENT_RESOLVED 11u
/** Reopened (only a solved ticket). */
#define KPI_EVENT_REOPENED 12u
/** Closed: final.  Closing an unsolved ticket resolves it first. */
#define KPI_EVENT_CLOSED 13u
/** Merged into another ticket: actor = the surviving ticket's id. */
#define KPI_EVENT_MERGED 14u
/** CSAT answer: value = the answer. */
#define KPI_EVENT_CSAT 15u
/** NPS answer: value = 0..10. */
#define KPI_EVENT_NPS 16u
/** CES answer: value = the answer. */
#define KPI_EVENT_CES 17u
/** Agent logged-in time: ticket unused (0), actor = agent, team, value =
 *  logged-in milliseconds, 0 .. 2^40 - 1 (about 34 years; more is
 *  #KPI_ERR_RANGE). */
#define KPI_EVENT_LOGGED_IN 18u
/** The largest event kind this version knows. */
#define KPI_EVENT_KIND_MAX 18u
/** @} */

/** @name Event flags (kpi_event::flags)
 *  @{ */
/** #KPI_EVENT_CREATED: the ticket was opened by an agent (outbound). */
#define KPI_EVENT_FLAG_BY_AGENT 0x1u
/** #KPI_EVENT_RESOLVED: a bot resolved the ticket. */
#define KPI_EVENT_FLAG_BY_BOT 0x2u
/** Every flag this version knows; other bits are #KPI_ERR_INVALID. */
#define KPI_EVENT_FLAGS_ALL 0x3u
/** @} */

/**
 * @brief One lifecycle event, the record of kpi_engine_apply().
 *
 * The layout is frozen for the life of the 1.x ABI: 64 bytes, naturally
 * aligned, no padding, so numpy structured arrays and other languages can
 * build arrays of it (see docs/format.md for the offsets).  Fields a kind
 * does not use must be zero.
 */
typedef struct kpi_event {
    /** Event time, ms since the Unix epoch (offset 0). */
    int64_t time_ms;
    /** The ticket's id (offset 8); 0 only for #KPI_EVENT_LOGGED_IN. */
    uint64_t ticket;
    /** Customer, agent or target ticket, by kind (offset 16). */
    uint64_t actor;
    /** Survey answer or logged-in ms, by kind (offset 24). */
    int64_t value;
    /** One of the KPI_EVENT_* kinds (offset 32). */
    uint32_t kind;
    /** KPI_EVENT_FLAG_* bits (offset 36). */
    uint32_t flags;
    /** Channel code, 0..255 (#KPI_EVENT_CREATED; offset 40). */
    uint32_t channel;
    /** Priority code, 0..255 (#KPI_EVENT_CREATED; offset 44); the SLA
     *  policy applies to priorities below #KPI_SLA_PRIORITIES. */
    uint32_t priority;
    /** Team code, 0..65535, 0 = none (#KPI_EVENT_ASSIGNED,
     *  #KPI_EVENT_LOGGED_IN; offset 48). */
    uint32_t team;
    /** Topic code, 0 = none (#KPI_EVENT_CREATED; offset 52). */
    uint32_t topic;
    /** Reserved, must be zero (offset 56). */
    uint32_t reserved[2];
} kpi_event;

/** @name Metrics: what the engine derives, and the primitive behind each
 *  @{ */
/** FRT, calendar time (#kpi_duration). */
#define KPI_ENGINE_FRT 0
/** FRT in business time (#kpi_duration; needs a calendar). */
#define KPI_ENGINE_FRT_BUSINESS 1
/** Reply time (ART), calendar (#kpi_duration). */
#define KPI_ENGINE_REPLY_TIME 2
/** Reply time in business time (#kpi_duration). */
#define KPI_ENGINE_REPLY_TIME_BUSINESS 3
/** First resolution time, calendar (#kpi_duration). */
#define KPI_ENGINE_FIRST_RESOLUTION 4
/** First resolution time, business (#kpi_duration). */
#define KPI_ENGINE_FIRST_RESOLUTION_BUSINESS 5
/** Full resolution time at settlement, calendar (#kpi_duration). */
#define KPI_ENGINE_FULL_RESOLUTION 6
/** Full resolution time at settlement, business (#kpi_duration). */
#define KPI_ENGINE_FULL_RESOLUTION_BUSINESS 7
/** Requester wait time at settlement (#kpi_duration). */
#define KPI_ENGINE_REQUESTER_WAIT 8
/** Agent work time at settlement (#kpi_duration). */
#define KPI_ENGINE_AGENT_WORK 9
/** FCR (or one-touch, by the options) over settled resolved tickets (#kpi_rate). */
#define KPI_ENGINE_FCR 10
/** Reopened share of settled resolved tickets (#kpi_rate). */
#define KPI_ENGINE_REOPEN 11
/** Repeat-contact share of created tickets (#kpi_rate). */
#define KPI_ENGINE_REPEAT_CONTACT 12
/** First-reply SLA met share (#kpi_rate). */
#define KPI_ENGINE_SLA_FIRST_REPLY 13
/** Next-reply SLA met share (#kpi_rate). */
#define KPI_ENGINE_SLA_NEXT_REPLY 14
/** Resolution SLA met share (#kpi_rate). */
#define KPI_ENGINE_SLA_RESOLUTION 15
/** CSAT answers (#kpi_score, scale from the options). */
#define KPI_ENGINE_CSAT 16
/** NPS answers (#kpi_score, 0..10). */
#define KPI_ENGINE_NPS 17
/** CES answers (#kpi_score, scale from the options). */
#define KPI_ENGINE_CES 18
/** Resolves per logged-in hour (#kpi_ratio; the total, by agent and by
 *  team: no channel or priority breakdown). */
#define KPI_ENGINE_RESOLVED_PER_HOUR 19
/** Public replies per logged-in hour (#kpi_ratio; the total, by agent and
 *  by team: no channel or priority breakdown). */
#define KPI_ENGINE_REPLIES_PER_HOUR 20
/** Tickets created per period (#kpi_series; the total, by channel and by
 *  priority: no agent or team breakdown, #KPI_ERR_RANGE, as a ticket has
 *  neither when it is created). */
#define KPI_ENGINE_VOLUME 21
/** Requester wait time at settlement in business time (#kpi_duration;
 *  needs a calendar). */
#define KPI_ENGINE_REQUESTER_WAIT_BUSINESS 22
/** Agent work time at settlement in business time (#kpi_duration; needs a
 *  calendar). */
#define KPI_ENGINE_AGENT_WORK_BUSINESS 23
/** Number of metrics. */
#define KPI_ENGINE_METRICS 24
/** @} */

/** @name Primitive types of the metrics (kpi_engine_metric_type())
 *  @{ */
/** The metric is a #kpi_duration. */
#define KPI_ENGINE_TYPE_DURATION 1
/** The metric is a #kpi_rate. */
#define KPI_ENGINE_TYPE_RATE 2
/** The metric is a #kpi_score. */
#define KPI_ENGINE_TYPE_SCORE 3
/** The metric is a #kpi_ratio. */
#define KPI_ENGINE_TYPE_RATIO 4
/** The metric is a #kpi_series. */
#define KPI_ENGINE_TYPE_SERIES 5
/** @} */

/** @name Breakdown dimensions
 *  @{ */
/** No breakdown: the overall value (the key is ignored). */
#define KPI_DIM_ALL 0
/** By agent id (the ticket's assignee; the replying or resolving agent for
 *  productivity). */
#define KPI_DIM_AGENT 1
/** By team code. */
#define KPI_DIM_TEAM 2
/** By channel code. */
#define KPI_DIM_CHANNEL 3
/** By priority code. */
#define KPI_DIM_PRIORITY 4
/** Topic codes (names only: kpi_engine_set_name()). */
#define KPI_DIM_TOPIC 5
/** @} */

/** @name Counters (kpi_engine_count())
 *  @{ */
/** Tickets created. */
#define KPI_ENGINE_COUNT_CREATED 0
/** Resolve events (a reopened ticket resolved again counts twice). */
#define KPI_ENGINE_COUNT_RESOLVES 1
/** Tickets resolved for the first time. */
#define KPI_ENGINE_COUNT_RESOLVED 2
/** Reopen events. */
#define KPI_ENGINE_COUNT_REOPENS 3
/** Tickets closed. */
#define KPI_ENGINE_COUNT_CLOSED 4
/** Tickets merged into another. */
#define KPI_ENGINE_COUNT_MERGED 5
/** Public human replies. */
#define KPI_ENGINE_COUNT_REPLIES 6
/** Bot replies. */
#define KPI_ENGINE_COUNT_BOT_REPLIES 7
/** Customer messages (the creation excluded). */
#define KPI_ENGINE_COUNT_CUSTOMER_MESSAGES 8
/** Internal notes. */
#define KPI_ENGINE_COUNT_NOTES 9
/** Bot handoffs. */
#define KPI_ENGINE_COUNT_HANDOFFS 10
/** Survey answers (CSAT, NPS and CES). */
#define KPI_ENGINE_COUNT_SURVEYS 11
/** Tickets resolved by a bot (first resolve). */
#define KPI_ENGINE_COUNT_BOT_RESOLVED 12
/** Tickets settled: their final values recorded, when closed, merged, or
 *  at the end of the reopen window after their last resolve.  A closed or
 *  merged ticket stays live until its own window ends, so settled plus
 *  live tickets may exceed the tickets created. */
#define KPI_ENGINE_COUNT_SETTLED 13
/** Events applied. */
#define KPI_ENGINE_COUNT_EVENTS 14
/** Live tickets held now (any status). */
#define KPI_ENGINE_COUNT_LIVE 15
/** Unresolved tickets now (new, open, pending, on-hold). */
#define KPI_ENGINE_COUNT_UNRESOLVED 16
/** Tickets with a customer waiting for a human reply now. */
#define KPI_ENGINE_COUNT_WAITING 17
/** Tickets in status new now. */
#define KPI_ENGINE_COUNT_NEW 18
/** Tickets in status open now. */
#define KPI_ENGINE_COUNT_OPEN 19
/** Tickets in status pending now. */
#define KPI_ENGINE_COUNT_PENDING 20
/** Tickets in status on-hold now. */
#define KPI_ENGINE_COUNT_ON_HOLD 21
/** Tickets solved and inside their reopen window now. */
#define KPI_ENGINE_COUNT_SOLVED 22
/** Customers (or customer-topic pairs) held for repeat contacts now. */
#define KPI_ENGINE_COUNT_CUSTOMERS 23
/** Number of counters. */
#define KPI_ENGINE_COUNTERS 24
/** @} */

/** @name Ticket status (kpi_engine_ticket_status())
 *  @{ */
/** Created, not yet touched. */
#define KPI_STATUS_NEW 0
/** Open. */
#define KPI_STATUS_OPEN 1
/** Pending (waiting for the customer). */
#define KPI_STATUS_PENDING 2
/** On-hold (waiting for a third party). */
#define KPI_STATUS_ON_HOLD 3
/** Solved, inside its reopen window. */
#define KPI_STATUS_SOLVED 4
/** Closed (kept until its window ends, then evicted). */
#define KPI_STATUS_CLOSED 5
/** Merged into another ticket (kept until its window ends). */
#define KPI_STATUS_MERGED 6
/** @} */

/** @name Options (kpi_engine_set_option(); only before the first event)
 *  @{ */
/** Reopen window in ms, 0..2^39 (about 17 years) [7 days]: resolved
 *  tickets settle after it. */
#define KPI_ENGINE_OPT_REOPEN_WINDOW_MS 0
/** Repeat-contact window in ms, 0..2^39 [7 days]. */
#define KPI_ENGINE_OPT_REPEAT_WINDOW_MS 1
/** 1 = a repeat contact must be on the same topic [0]. */
#define KPI_ENGINE_OPT_REPEAT_SAME_TOPIC 2
/** 1 = bot replies count as replies for FRT, reply time and FCR [0]. */
#define KPI_ENGINE_OPT_BOT_REPLIES_COUNT 3
/** 1 = FRT runs from a bot's handoff when there is one [1]. */
#define KPI_ENGINE_OPT_FRT_FROM_HANDOFF 4
/** Most public replies of an FCR ticket, 0..254 [1]. */
#define KPI_ENGINE_OPT_FCR_MAX_REPLIES 5
/** 1 = a customer message on a solved ticket reopens it [1]; 0 = it is
 *  counted without reopening, and without a wait or an FRT start. */
#define KPI_ENGINE_OPT_MESSAGE_REOPENS 6
/** Length of a period for volume, windows and backlog, in ms, 1000 (a
 *  second) .. 366 days [1 day]. */
#define KPI_ENGINE_OPT_PERIOD_MS 7
/** A period boundary, in ms, inside (-2^62, 2^62) as event times (@ref
 *  engine_rules) [0 = midnight UTC]; -3600000 gives CET days.
 *  Periods are fixed spans of #KPI_ENGINE_OPT_PERIOD_MS and do not follow
 *  daylight saving time: in summer (CEST) a CET day runs from 01:00 to
 *  01:00 local time. */
#define KPI_ENGINE_OPT_PERIOD_ORIGIN_MS 8
/** Number of periods kept for windows, volume and backlog, 1..4096 [35]. */
#define KPI_ENGINE_OPT_PERIODS 9
/** Capacity of the top-topics accumulator, 1..1000000 [200]. */
#define KPI_ENGINE_OPT_TOPK_CAPACITY 10
/** CSAT scale maximum, 2..100 (scale 1..max) [5]. */
#define KPI_ENGINE_OPT_CSAT_MAX 11
/** CSAT "satisfied" threshold, 1..#KPI_ENGINE_OPT_CSAT_MAX [4] (lower it
 *  before the maximum, raise the maximum first). */
#define KPI_ENGINE_OPT_CSAT_SATISFIED_FROM 12
/** CES scale maximum, 2..100 [7]. */
#define KPI_ENGINE_OPT_CES_MAX 13
/** CES "easy" threshold, 1..#KPI_ENGINE_OPT_CES_MAX [5]. */
#define KPI_ENGINE_OPT_CES_EASY_FROM 14
/** Bit set of breakdowns kept: bit d for dimension d (agent, team,
 *  channel, priority) [all: 0x1e]. */
#define KPI_ENGINE_OPT_BREAKDOWNS 15
/** Fewest public replies of an FCR ticket, 0..#KPI_ENGINE_OPT_FCR_MAX_REPLIES
 *  [1]: with the maximum at 1, "exactly one reply"; 0 gives Zendesk's
 *  one-touch, tickets resolved without a reply counted.  A minimum above
 *  the maximum is refused (#KPI_ERR_RANGE: raise the maximum first); a
 *  maximum set below the minimum lowers the minimum to it.  At 0 an
 *  engine state's bytes are those of libraries from before this option;
 *  they refuse a state with a minimum above 0 (#KPI_ERR_CORRUPT). */
#define KPI_ENGINE_OPT_FCR_MIN_REPLIES 16
/** Number of options. */
#define KPI_ENGINE_OPTIONS 17
/** @} */

/** Number of aging buckets of kpi_engine_aging(). */
#define KPI_ENGINE_AGING_BUCKETS 4

/**
 * @brief Create an engine with the default options and no calendar.
 * @param[out] out receives the engine.
 * @return #KPI_OK; #KPI_ERR_INVALID if `out` is NULL; #KPI_ERR_NOMEM.
 *         Thread-safe.
 */
KPI_API int kpi_engine_new(kpi_engine **out);

/**
 * @brief kpi_engine_new() with a custom allocator (used for everything the
 *        engine holds, its primitives included).
 * @param[out] out receives the engine.
 * @param alloc allocator; NULL = C library.
 * @return #KPI_OK; #KPI_ERR_INVALID on NULL `out` or a bad allocator;
 *         #KPI_ERR_NOMEM. Thread-safe.
 */
KPI_API int kpi_engine_new_with(kpi_engine **out, const kpi_allocator *alloc);

/**
 * @brief Free an engine and everything it holds; NULL is a no-op.
 * @param e the engine.
 * Thread safety: not with concurrent use of `e`.
 */
KPI_API void kpi_engine_free(kpi_engine *e);

/**
 * @brief Forget every ticket, customer and KPI value, keeping options,
 *        calendar, policy and names; NULL is a no-op.
 * The engine is then as a new one so configured: it has applied no event,
 * so until its next one kpi_engine_set_option(), kpi_engine_set_calendar(),
 * kpi_engine_set_sla_policy() and kpi_engine_add_target() take changes
 * again (an admin's new business hours or SLA targets for a fresh start).
 * @param e the engine.
 * Thread safety: not with concurrent use of `e`.
 */
KPI_API void kpi_engine_reset(kpi_engine *e);

/**
 * @brief Deep copy, with the same allocator.
 * @param e the engine.
 * @param[out] out receives the copy.
 * @return #KPI_OK; #KPI_ERR_INVALID on NULL; #KPI_ERR_NOMEM.
 *         Thread safety: a const read of `e`.
 */
KPI_API int kpi_engine_clone(const kpi_engine *e, kpi_engine **out);

/**
 * @brief Set an option (only while the engine has applied no event: since
 *        it was made, restored from an engine that had applied none, or
 *        reset with kpi_engine_reset(); a failed event does not count).
 * @param e the engine.
 * @param option one of the KPI_ENGINE_OPT_* values.
 * @param value the value (domains in the option's description).
 * @return #KPI_OK; #KPI_ERR_INVALID if `e` is NULL or the option is
 *         unknown; #KPI_ERR_RANGE for a value outside its domain;
 *         #KPI_ERR_STATE once an event has been applied.
 *         Thread safety: not with concurrent use of `e`.
 */
KPI_API int kpi_engine_set_option(kpi_engine *e, int option, int64_t value);

/**
 * @brief Read an option.
 * @param e the engine.
 * @param option one of the KPI_ENGINE_OPT_* values.
 * @param[out] value receives its value.
 * @return #KPI_OK; #KPI_ERR_INVALID on NULL or an unknown option.
 *         Thread safety: a const read of `e`.
 */
KPI_API int kpi_engine_option(const kpi_engine *e, int option, int64_t *value);

/**
 * @brief Attach a business calendar (copied) for the *_BUSINESS metrics,
 *        while the engine has applied no event (as kpi_engine_set_option()).
 * The engine keeps its own copy: `cal` may be changed or freed at once,
 * and changes to it after the call do not reach the engine.
 * @param e the engine.
 * @param cal the calendar; NULL detaches.
 * @return #KPI_OK; #KPI_ERR_INVALID if `e` is NULL or `cal` is no
 *         calendar; #KPI_ERR_STATE once an event has been applied;
 *         #KPI_ERR_NOMEM.
 *         Thread safety: not with concurrent use of `e`; `cal` is only read.
 */
KPI_API int kpi_engine_set_calendar(kpi_engine *e, const kpi_calendar *cal);

/**
 * @brief Attach an SLA policy (copied, its calendar included), while the
 *        engine has applied no event (as kpi_engine_set_option()).
 * The engine keeps its own copy: `policy` may be changed or freed at once.
 * @param e the engine.
 * @param policy the policy; NULL detaches.
 * @return #KPI_OK; #KPI_ERR_INVALID if `e` is NULL or `policy` is no
 *         policy; #KPI_ERR_STATE once an event has been applied;
 *         #KPI_ERR_NOMEM.
 *         Thread safety: not with concurrent use of `e`; `policy` is only
 *         read.
 */
KPI_API int kpi_engine_set_sla_policy(kpi_engine *e,
                                      const kpi_sla_policy *policy);

/**
 * @brief Register a share-within target on a duration metric (exact
 *        kpi_duration_share_within() at that target), before the first
 *        event.
 * @param e the engine.
 * @param metric a duration metric.
 * @param target_ms the target, > 0.
 * @return #KPI_OK; #KPI_ERR_INVALID if `e` is NULL or the metric is
 *         unknown; #KPI_ERR_RANGE for a bad target; #KPI_ERR_TYPE if the
 *         metric is not a duration; #KPI_ERR_DUPLICATE if the metric has that target
 *         already; #KPI_ERR_LIMIT if the metric has all its targets;
 *         #KPI_ERR_STATE once an event has been applied; #KPI_ERR_NOMEM.
 *         Nothing changes on failure.
 *         Thread safety: not with concurrent use of `e`.
 */
KPI_API int kpi_engine_add_target(kpi_engine *e, int metric, int64_t target_ms);

/**
 * @brief Name a code of a dimension (agent, team, channel, priority or
 *        topic), at any time; a new name replaces the old one.
 * Topic codes used in #kpi_event records must be named before use: the
 * name is the label counted by the top-topics accumulator.  A topic is
 * its label, taken when a ticket is created: a creation is counted in the
 * top topics, and compared for repeat contacts on the same topic
 * (#KPI_ENGINE_OPT_REPEAT_SAME_TOPIC), under the name its code has then.
 * Renaming a topic code changes neither the counts already made nor the
 * topic remembered for a customer's earlier contact: a contact after the
 * rename is on another topic than one before it (no repeat on the same
 * topic), and two codes given one name are one topic.
 * @param e the engine.
 * @param dim #KPI_DIM_AGENT .. #KPI_DIM_TOPIC.
 * @param code the code (agent id, team/channel/priority/topic code), in
 *        the range a #kpi_event carries: channel and priority 0..255, team
 *        0..65535, topic 0..2^32 - 1, agent any.
 * @param name a NUL-terminated name of 1..#KPI_TOPK_MAX_LABEL bytes.
 * @return #KPI_OK; #KPI_ERR_INVALID on NULL, an empty name or a
 *         dimension other than #KPI_DIM_AGENT .. #KPI_DIM_TOPIC;
 *         #KPI_ERR_RANGE for a code outside its range (no event could use
 *         it) or a name too long;
 *         #KPI_ERR_NOMEM. Thread safety: not with concurrent use of `e`.
 */
KPI_API int kpi_engine_set_name(kpi_engine *e, int dim, uint64_t code,
                                const char *name);

/**
 * @brief The name of a code.
 * @param e the engine.
 * @param dim #KPI_DIM_AGENT .. #KPI_DIM_TOPIC.
 * @param code the code.
 * @param[out] name receives the borrowed NUL-terminated name.
 * @return #KPI_OK; #KPI_ERR_INVALID on NULL or a dimension other than
 *         #KPI_DIM_AGENT .. #KPI_DIM_TOPIC; #KPI_ERR_UNKNOWN_ID if the
 *         code has no name.
 *         Thread safety: a const read of `e`.
 */
KPI_API int kpi_engine_name(const kpi_engine *e, int dim, uint64_t code,
                            const char **name);

/** @name Intake, one call per kind
 *  Each returns #KPI_OK or a named error and then changes nothing: see
 *  @ref engine_rules.  Thread safety: not with concurrent use of `e`.
 *  @{ */

/**
 * @brief A ticket was created.
 * @param e the engine.
 * @param t_ms creation time.
 * @param ticket the ticket's id, not 0.
 * @param customer the customer's id (0 = unknown: no repeat-contact check;
 *        nor for a ticket created by an agent, which is no contact from
 *        the customer).
 * @param channel channel code, 0..255.
 * @param priority priority code, 0..255.
 * @param topic the topic label (NULL or "" = none), up to
 *        #KPI_TOPK_MAX_LABEL bytes.
 * @param flags 0 or #KPI_EVENT_FLAG_BY_AGENT.
 * @return #KPI_OK; #KPI_ERR_INVALID if `e` is NULL, ticket is 0 or flags
 *         are unknown; #KPI_ERR_RANGE for a code or label out of range,
 *         or a time outside (-2^62, 2^62) (@ref engine_rules);
 *         #KPI_ERR_DUPLICATE if the ticket is live; #KPI_ERR_LIMIT;
 *         #KPI_ERR_NOMEM; #KPI_ERR_OVERFLOW.
 *         Thread safety: not with concurrent use of `e`.
 */
KPI_API int kpi_engine_created(kpi_engine *e, int64_t t_ms, uint64_t ticket,
                               uint64_t customer, uint32_t channel,
                               uint32_t priority, const char *topic,
                               uint32_t flags);

/**
 * @brief A customer message.
 * @param e the engine.
 * @param t_ms its time.
 * @param ticket the ticket.
 * @return #KPI_OK; #KPI_ERR_INVALID; #KPI_ERR_UNKNOWN_ID; #KPI_ERR_ORDER;
 *         #KPI_ERR_STATE (closed or merged); #KPI_ERR_RANGE;
 *         #KPI_ERR_NOMEM; #KPI_ERR_OVERFLOW.
 *         Thread safety: not with concurrent use of `e`.
 */
KPI_API int kpi_engine_customer_message(kpi_engine *e, int64_t t_ms,
                                        uint64_t ticket);

/**
 * @brief A public reply by a human agent.
 * @param e the engine.
 * @param t_ms its time.
 * @param ticket the ticket.
 * @param agent the agent (0 = the assignee).
 * @return #KPI_OK; #KPI_ERR_INVALID; #KPI_ERR_UNKNOWN_ID; #KPI_ERR_ORDER;
 *         #KPI_ERR_STATE; #KPI_ERR_RANGE; #KPI_ERR_LIMIT;
 *         #KPI_ERR_NOMEM; #KPI_ERR_OVERFLOW.
 *         Thread safety: not with concurrent use of `e`.
 */
KPI_API int kpi_engine_agent_reply(kpi_engine *e, int64_t t_ms,
                                   uint64_t ticket, uint64_t agent);

/**
 * @brief Any other event on a ticket, by kind: #KPI_EVENT_BOT_REPLY,
 *        #KPI_EVENT_HANDOFF, #KPI_EVENT_NOTE, #KPI_EVENT_OPEN,
 *        #KPI_EVENT_PENDING, #KPI_EVENT_ON_HOLD, #KPI_EVENT_REOPENED or
 *        #KPI_EVENT_CLOSED (and #KPI_EVENT_CUSTOMER_MESSAGE, which needs no
 *        other field either: the same as kpi_engine_customer_message()).
 * @param e the engine.
 * @param t_ms its time.
 * @param ticket the ticket.
 * @param kind the kind.
 * @return #KPI_OK; #KPI_ERR_INVALID (NULL, an unknown kind, or a kind
 *         that needs more fields); #KPI_ERR_UNKNOWN_ID; #KPI_ERR_ORDER; #KPI_ERR_STATE;
 *         #KPI_ERR_RANGE; #KPI_ERR_NOMEM; #KPI_ERR_OVERFLOW.
 *         Thread safety: not with concurrent use of `e`.
 */
KPI_API int kpi_engine_ticket_event(kpi_engine *e, int64_t t_ms,
                                    uint64_t ticket, uint32_t kind);

/**
 * @brief The ticket was assigned.
 * @param e the engine.
 * @param t_ms its time.
 * @param ticket the ticket.
 * @param agent the agent (0 = unassigned).
 * @param team the team code, 0..65535 (0 = none).
 * @return #KPI_OK; #KPI_ERR_INVALID; #KPI_ERR_UNKNOWN_ID; #KPI_ERR_ORDER;
 *         #KPI_ERR_STATE; #KPI_ERR_RANGE; #KPI_ERR_LIMIT;
 *         #KPI_ERR_NOMEM; #KPI_ERR_OVERFLOW.
 *         Thread safety: not with concurrent use of `e`.
 */
KPI_API int kpi_engine_assigned(kpi_engine *e, int64_t t_ms, uint64_t ticket,
                                uint64_t agent, uint32_t team);

/**
 * @brief The ticket was resolved.
 * @param e the engine.
 * @param t_ms its time.
 * @param ticket the ticket.
 * @param agent the resolving agent (0 = the assignee).
 * @param flags 0 or #KPI_EVENT_FLAG_BY_BOT.
 * @return #KPI_OK; #KPI_ERR_INVALID; #KPI_ERR_UNKNOWN_ID; #KPI_ERR_ORDER;
 *         #KPI_ERR_STATE (already solved, closed or merged);
 *         #KPI_ERR_RANGE (also when what the ticket's settlement will
 *         compute from this resolve, its full resolution in business time
 *         or its resolution SLA, falls outside the calendar's range: it is
 *         computed now, so that the settlement itself can never fail);
 *         #KPI_ERR_LIMIT; #KPI_ERR_NOMEM; #KPI_ERR_OVERFLOW.
 *         Thread safety: not with concurrent use of `e`.
 */
KPI_API int kpi_engine_resolved(kpi_engine *e, int64_t t_ms, uint64_t ticket,
                                uint64_t agent, uint32_t flags);

/**
 * @brief The ticket was merged into another one (it settles as merged).
 * @param e the engine.
 * @param t_ms its time.
 * @param ticket the merged ticket.
 * @param into the surviving ticket's id (not `ticket`; it need not be
 *        known to this engine).
 * @return #KPI_OK; #KPI_ERR_INVALID; #KPI_ERR_UNKNOWN_ID; #KPI_ERR_ORDER;
 *         #KPI_ERR_STATE; #KPI_ERR_RANGE; #KPI_ERR_NOMEM; #KPI_ERR_OVERFLOW.
 *         Thread safety: not with concurrent use of `e`.
 */
KPI_API int kpi_engine_merged(kpi_engine *e, int64_t t_ms, uint64_t ticket,
                              uint64_t into);

/**
 * @brief A survey answer for a ticket.
 * @param e the engine.
 * @param t_ms its time.
 * @param ticket the ticket (live: within its window).
 * @param kind #KPI_EVENT_CSAT, #KPI_EVENT_NPS or #KPI_EVENT_CES.
 * @param answer the answer, on the configured scale.
 * @return #KPI_OK; #KPI_ERR_INVALID (NULL, ticket 0, or a kind other
 *         than the three); #KPI_ERR_UNKNOWN_ID; #KPI_ERR_ORDER;
 *         #KPI_ERR_STATE (merged); #KPI_ERR_RANGE (off the scale);
 *         #KPI_ERR_LIMIT; #KPI_ERR_NOMEM; #KPI_ERR_OVERFLOW.
 *         Thread safety: not with concurrent use of `e`.
 */
KPI_API int kpi_engine_survey(kpi_engine *e, int64_t t_ms, uint64_t ticket,
                              uint32_t kind, int32_t answer);

/**
 * @brief An agent's logged-in time (for productivity per hour).
 * @param e the engine.
 * @param t_ms when it was reported (advances the engine's time).
 * @param agent the agent, not 0.
 * @param team the agent's team code (0 = none).
 * @param logged_in_ms logged-in milliseconds, 0 .. 2^40 - 1 (a negative
 *        or larger value is #KPI_ERR_RANGE).
 * @return #KPI_OK; #KPI_ERR_INVALID; #KPI_ERR_RANGE; #KPI_ERR_LIMIT;
 *         #KPI_ERR_NOMEM; #KPI_ERR_OVERFLOW.
 *         Thread safety: not with concurrent use of `e`.
 */
KPI_API int kpi_engine_logged_in(kpi_engine *e, int64_t t_ms, uint64_t agent,
                                 uint32_t team, int64_t logged_in_ms);

/**
 * @brief Apply one #kpi_event record.
 * @param e the engine.
 * @param ev the record (unused fields zero).
 * @return as the per-kind call; #KPI_ERR_INVALID for an unknown kind,
 *         unknown flags, non-zero reserved fields or fields a kind does not
 *         use; #KPI_ERR_UNKNOWN_ID for an unnamed topic code.
 *         Thread safety: not with concurrent use of `e`.
 */
KPI_API int kpi_engine_event(kpi_engine *e, const kpi_event *ev);
/** @} */

/**
 * @brief Apply n records in order; stop at the first bad one.
 * Every record before the bad one is applied, the bad one and everything
 * after it are not, and `*applied` tells how many were applied (the index
 * of the bad one).  Each record is applied as kpi_engine_event() would
 * apply it, while the tickets of the records 8 and 16 places on are read
 * ahead (their slots, their index entries), so that their cache misses
 * overlap the work: this is the fast path for back-fills and bindings.
 * A host that receives events one at a time gains most of it by buffering
 * a few: with 1 M live tickets on the project's VM, one kpi_engine_event()
 * per event took 359-399 ns an event, batches of 4 records 189-196, of 16
 * 155-156, of 64 142-144, one batch of the whole stream 133-145
 * (docs/PERFORMANCE.md, "Batch size").
 * With millions of live tickets the look-ups are cheaper still where the
 * engine's memory can come in huge pages: a host using glibc can set
 * GLIBC_TUNABLES=glibc.malloc.hugetlb=1, or pass kpi_engine_new_with() an
 * allocator that can (docs/PERFORMANCE.md, "Ticket engine").
 * @param e the engine.
 * @param events n records.
 * @param n number of records (events may be NULL when n is 0).
 * @param record_size sizeof(kpi_event) as the caller was compiled
 *        (64); other sizes are #KPI_ERR_VERSION.
 * @param[out] applied receives the number applied (may be NULL).
 * @return #KPI_OK if all were applied; #KPI_ERR_INVALID if `e` is NULL or
 *         `events` is NULL with n above 0 (nothing applied); #KPI_ERR_VERSION
 *         for another `record_size`; else the first bad record's error (as
 *         kpi_engine_event()).  Thread safety: not with concurrent use of
 *         `e`.
 */
KPI_API int kpi_engine_apply(kpi_engine *e, const kpi_event *events, size_t n,
                             size_t record_size, size_t *applied);

/**
 * @brief Move the engine's time forward without an event: settles (and
 *        evicts) every ticket whose window ends by `t_ms`, closes periods,
 *        forgets customers outside the repeat window.  Earlier times are a
 *        no-op, and so is any time before the first event: the engine
 *        then has no time yet (kpi_engine_time() stays #KPI_ERR_EMPTY)
 *        and its options stay settable.
 * @param e the engine.
 * @param t_ms the new time.
 * @return #KPI_OK; #KPI_ERR_INVALID if `e` is NULL; #KPI_ERR_RANGE for a
 *         time outside (-2^62, 2^62) (@ref engine_rules), checked first:
 *         also before the first event, and for a time earlier than the
 *         engine's; #KPI_ERR_NOMEM or
 *         #KPI_ERR_OVERFLOW (what then changed: @ref engine_memory).
 *         Thread safety: not with concurrent use of `e`.
 */
KPI_API int kpi_engine_advance(kpi_engine *e, int64_t t_ms);

/** @name Reads
 *  Borrowed pointers stay valid until the next call that may change the
 *  engine (one taking a non-const `e`), even if that call fails: an event
 *  refused with #KPI_ERR_NOMEM leaves every value as it was, but may have
 *  moved the memory behind a pointer read before (a top topic's label).
 *  Thread safety: const reads of `e`.
 *  @{ */

/**
 * @brief The engine's time: the latest event time seen (or advanced to
 *        since the first event).
 * @param e the engine.
 * @param[out] t_ms receives it.
 * @return #KPI_OK; #KPI_ERR_INVALID on NULL; #KPI_ERR_EMPTY before the
 *         first event.
 *         Thread safety: a const read of `e`.
 */
KPI_API int kpi_engine_time(const kpi_engine *e, int64_t *t_ms);

/**
 * @brief A counter.
 * @param e the engine.
 * @param counter one of the KPI_ENGINE_COUNT_* values.
 * @param[out] out receives it.
 * @return #KPI_OK; #KPI_ERR_INVALID on NULL or an unknown counter.
 *         Thread safety: a const read of `e`.
 */
KPI_API int kpi_engine_count(const kpi_engine *e, int counter, uint64_t *out);

/**
 * @brief The primitive type of a metric.
 * @param metric one of the KPI_ENGINE_* metrics.
 * @return a KPI_ENGINE_TYPE_* value, or #KPI_ERR_INVALID for an unknown
 *         metric. Thread-safe.
 */
KPI_API int kpi_engine_metric_type(int metric);

/**
 * @brief A metric's accumulator, overall or for one breakdown key.
 * @param e the engine.
 * @param metric one of the KPI_ENGINE_* metrics.
 * @param dim #KPI_DIM_ALL (key ignored) or a kept breakdown.
 * @param key the agent id or team/channel/priority code.
 * @param[out] acc receives a borrowed pointer to the primitive of the
 *        metric's type (kpi_engine_metric_type()).
 * @return #KPI_OK; #KPI_ERR_INVALID on NULL or an unknown metric or
 *         dimension; #KPI_ERR_RANGE for a breakdown not kept (by the
 *         options, for this metric, or #KPI_DIM_TOPIC: none is);
 *         #KPI_ERR_UNKNOWN_ID if nothing was recorded for the key.
 *         Thread safety: a const read of `e`.
 */
KPI_API int kpi_engine_metric(const kpi_engine *e, int metric, int dim,
                              uint64_t key, const void **acc);

/**
 * @brief kpi_engine_metric() for a duration metric.
 * @param e the engine.
 * @param metric a duration metric.
 * @param dim the dimension.
 * @param key the key.
 * @param[out] out receives the borrowed duration.
 * @return as kpi_engine_metric(); #KPI_ERR_TYPE if not a duration.
 *         Thread safety: a const read of `e`.
 */
KPI_API int kpi_engine_duration(const kpi_engine *e, int metric, int dim,
                                uint64_t key, const kpi_duration **out);

/**
 * @brief kpi_engine_metric() for a rate metric.
 * @param e the engine.
 * @param metric a rate metric.
 * @param dim the dimension.
 * @param key the key.
 * @param[out] out receives the borrowed rate.
 * @return as kpi_engine_metric(); #KPI_ERR_TYPE if not a rate.
 *         Thread safety: a const read of `e`.
 */
KPI_API int kpi_engine_rate(const kpi_engine *e, int metric, int dim,
                            uint64_t key, const kpi_rate **out);

/**
 * @brief Contacts per issue, from a repeat-contact rate: contacts over the
 *        issues they raised, trials / (trials - successes).
 * Every contact (created ticket with a customer id, not created by an
 * agent) that is not a repeat starts an issue, and each repeat contact
 * adds one to the issue it
 * follows, so the repeat share p gives 1 / (1 - p) contacts per issue
 * (KPIS.md section 4).  `repeat` is any rate of
 * #KPI_ENGINE_REPEAT_CONTACT: the engine's (kpi_engine_rate()), a
 * breakdown member's, or a window's (kpi_engine_window()); over a window,
 * the repeats of issues raised before it count as its contacts, while
 * their issues do not.  The interval maps the share's Wilson interval
 * (kpi_rate_share()) through 1 / (1 - p): [1 / (1 - lower),
 * 1 / (1 - upper)], its upper bound infinite when the share's is 1.
 * @param repeat a repeat-contact rate.
 * @param[out] out receives the estimate (value >= 1; n = contacts).
 * @return #KPI_OK; #KPI_ERR_INVALID on NULL or an object that is not a
 *         rate; #KPI_ERR_EMPTY if there is no contact, or no issue raised
 *         (every contact a repeat: a window of follow-ups only).  `out`
 *         is unchanged on failure.
 *         Thread safety: a const read of `repeat`.
 */
KPI_API int kpi_engine_contacts_per_issue(const kpi_rate *repeat, kpi_estimate *out);

/**
 * @brief kpi_engine_metric() for a score metric.
 * @param e the engine.
 * @param metric a score metric.
 * @param dim the dimension.
 * @param key the key.
 * @param[out] out receives the borrowed score.
 * @return as kpi_engine_metric(); #KPI_ERR_TYPE if not a score.
 *         Thread safety: a const read of `e`.
 */
KPI_API int kpi_engine_score(const kpi_engine *e, int metric, int dim,
                             uint64_t key, const kpi_score **out);

/**
 * @brief kpi_engine_metric() for a ratio metric.
 * @param e the engine.
 * @param metric a ratio metric.
 * @param dim the dimension.
 * @param key the key.
 * @param[out] out receives the borrowed ratio.
 * @return as kpi_engine_metric(); #KPI_ERR_TYPE if not a ratio.
 *         Thread safety: a const read of `e`.
 */
KPI_API int kpi_engine_ratio(const kpi_engine *e, int metric, int dim,
                             uint64_t key, const kpi_ratio **out);

/**
 * @brief kpi_engine_metric() for the volume series.
 *
 * A series' newest period is that of its latest creation (kpi/series.h),
 * not the engine's time: the overall series moves with every creation,
 * a channel's only with that channel's, and kpi_engine_advance() moves
 * neither.  After a quiet day kpi_series_last(s, 1) is still the day of
 * the last creation, and kpi_series_period() of a later period is
 * #KPI_ERR_RANGE: no ticket was created in it (a count of 0).  For
 * "created in the last N days" by the engine's clock, read each wanted
 * period with kpi_series_period(), counting a period after
 * kpi_series_latest() as 0.
 * @param e the engine.
 * @param dim the dimension.
 * @param key the key.
 * @param[out] out receives the borrowed series.
 * @return as kpi_engine_metric().
 *         Thread safety: a const read of `e`.
 */
KPI_API int kpi_engine_volume(const kpi_engine *e, int dim, uint64_t key,
                              const kpi_series **out);

/**
 * @brief The breakdown of a metric by a dimension, as a group (keys are
 *        the agent ids or codes; kpi_group_keys() lists them).
 * @param e the engine.
 * @param metric the metric.
 * @param dim a kept breakdown dimension (not #KPI_DIM_ALL).
 * @param[out] out receives the borrowed group.
 * @return #KPI_OK; #KPI_ERR_INVALID on NULL, an unknown metric or a
 *         dimension other than #KPI_DIM_AGENT .. #KPI_DIM_TOPIC;
 *         #KPI_ERR_RANGE for a dimension not kept.
 *         Thread safety: a const read of `e`.
 */
KPI_API int kpi_engine_group(const kpi_engine *e, int metric, int dim,
                             const kpi_group **out);

/**
 * @brief The top-topics accumulator (labels of created tickets).
 * @param e the engine.
 * @param[out] out receives the borrowed accumulator.
 * @return #KPI_OK; #KPI_ERR_INVALID on NULL.
 *         Thread safety: a const read of `e`.
 */
KPI_API int kpi_engine_top_topics(const kpi_engine *e, const kpi_topk **out);

/**
 * @brief A metric over a window of whole periods: a new accumulator (owned
 *        by the caller, free it with its type's _free) merging the kept
 *        periods that start in [from_ms, to_ms).
 * A value is attributed to the period of the event that produced it (the
 * reply for FRT, the settlement for full resolution, ...).  For "the last
 * N days", pass from = the start of the period N - 1 before the current
 * one and to = INT64_MAX.
 * @param e the engine.
 * @param metric a duration, rate, score or ratio metric.
 * @param from_ms window start (inclusive).
 * @param to_ms window end (exclusive), > from_ms.
 * @param[out] out receives the new accumulator.
 * @return #KPI_OK; #KPI_ERR_INVALID on NULL or an unknown metric;
 *         #KPI_ERR_RANGE for the volume metric (read its series
 *         instead), an empty range or from_ms <= -2^62 (the engine's times are above it);
 *         #KPI_ERR_ORDER if a period that starts in the window is
 *         no longer kept (a window starting inside the period before the
 *         oldest kept one is not refused: no period starts between);
 *         #KPI_ERR_NOMEM.
 *         Thread safety: a const read of `e`.
 */
KPI_API int kpi_engine_window(const kpi_engine *e, int metric, int64_t from_ms,
                              int64_t to_ms, void **out);

/**
 * @brief Top topics over a window of whole periods: a new top-k summary
 *        (owned by the caller, free it with kpi_topk_free()) merging the
 *        summaries of the kept periods that start in [from_ms, to_ms).
 * A topic is counted in the period of its ticket's creation.  Each period
 * keeps a Space-Saving summary of #KPI_ENGINE_OPT_TOPK_CAPACITY counters,
 * and the window is their merge (kpi_topk_merge()), of the same capacity:
 * while the topics of the window's periods fit in it, the counts are
 * exact; otherwise each listed label's true count lies in [lower, count]
 * (kpi_topk_entry()), and a label not listed was created at most
 * kpi_topk_error_bound() times in the window.  For "the last N days",
 * pass from = the start of the period N - 1 before the current one and
 * to = INT64_MAX, as for kpi_engine_window().
 * @param e the engine.
 * @param from_ms window start (inclusive).
 * @param to_ms window end (exclusive), > from_ms.
 * @param[out] out receives the new summary.
 * @return #KPI_OK; #KPI_ERR_INVALID on NULL; #KPI_ERR_RANGE for an empty
 *         range or from_ms <= -2^62 (as kpi_engine_window());
 *         #KPI_ERR_ORDER if a period that starts in the window is
 *         no longer kept (as kpi_engine_window()); #KPI_ERR_NOMEM.
 *         Thread safety: a const read of `e`.
 */
KPI_API int kpi_engine_window_topics(const kpi_engine *e, int64_t from_ms, int64_t to_ms,
                                     kpi_topk **out);

/**
 * @brief The backlog at the end of a kept period: unresolved tickets at
 *        the moment the engine's time first passed the period's end.
 * @param e the engine.
 * @param period_start_ms the start of the period (a boundary).
 * @param[out] out receives the count.
 * @return #KPI_OK; #KPI_ERR_INVALID on NULL, a time that is not a period
 *         boundary, or one outside (-2^62, 2^62) (the engine's times: a
 *         kept period that starts at or below -2^62, possible with the
 *         origin near 2^62, is not read); #KPI_ERR_ORDER if the period is no longer kept;
 *         #KPI_ERR_EMPTY if the period has not ended yet, or ended before
 *         the engine's first event (the engine had no time then).
 *         Thread safety: a const read of `e`.
 */
KPI_API int kpi_engine_backlog(const kpi_engine *e, int64_t period_start_ms,
                               uint64_t *out);

/**
 * @brief Age at `now_ms` of the tickets unresolved now, in buckets
 *        [0, 1 d), [1 d, 3 d), [3 d, 7 d), [7 d, ...); tickets created after
 *        now_ms are not counted.  O(live tickets).
 * The tickets are taken as the engine holds them (after its latest
 * event), as kpi_engine_sla_risk() takes them: a `now_ms` before the
 * engine's time is not a view of the past (a ticket resolved since is not
 * counted, though it was unresolved then); for the unresolved tickets at
 * the end of a past period, read kpi_engine_backlog().
 * @param e the engine.
 * @param now_ms the time at which ages are taken.
 * @param[out] counts receives #KPI_ENGINE_AGING_BUCKETS counts.
 * @return #KPI_OK; #KPI_ERR_INVALID on NULL.
 *         Thread safety: a const read of `e`.
 */
KPI_API int kpi_engine_aging(const kpi_engine *e, int64_t now_ms,
                             uint64_t counts[KPI_ENGINE_AGING_BUCKETS]);

/**
 * @brief SLA risk of the live tickets at `now_ms` under the attached
 *        policy: the running targets (first reply before the first human
 *        reply, next reply while a customer waits, resolution while
 *        unresolved; the resolution clock excludes pending time so far).
 *        The tickets are taken as the engine holds them (after its latest
 *        event), also those created after `now_ms`: a `now_ms` before the
 *        engine's time is not a view of the past.  O(live tickets).
 * @param e the engine.
 * @param now_ms the time.
 * @param horizon_ms "at risk" means due in [now, now + horizon]: a target
 *        is met up to and including its due instant (kpi/sla.h), so one
 *        due exactly at `now_ms` is at risk, not yet breached.  A
 *        business-time target whose due instant has passed with no
 *        business time since (due at closing time, now at night) still
 *        shows its target on its clock (a reply now meets it): it is due
 *        at `now_ms`, at risk, not breached.
 * @param[out] at_risk receives the number of tickets with a target due
 *        within the horizon and none breached.
 * @param[out] breached receives the number of tickets with a running target
 *        already past due (due before now, and for a business-time target
 *        business time run since: its clock is past the target).  A ticket
 *        counts once: breached if any of its running targets is past due
 *        (even with another due within the horizon), else at risk.
 * @param[out] next_due receives the earliest due time at or after now among
 *        the running targets (INT64_MAX if none).
 * @return #KPI_OK; #KPI_ERR_INVALID on NULL or a negative horizon;
 *         #KPI_ERR_EMPTY if no policy is attached.
 *         Thread safety: a const read of `e`.
 */
KPI_API int kpi_engine_sla_risk(const kpi_engine *e, int64_t now_ms,
                                int64_t horizon_ms, uint64_t *at_risk,
                                uint64_t *breached, int64_t *next_due);

/**
 * @brief A live ticket's status.
 * @param e the engine.
 * @param ticket the ticket.
 * @param[out] status receives a KPI_STATUS_* value.
 * @return #KPI_OK; #KPI_ERR_INVALID on NULL; #KPI_ERR_UNKNOWN_ID if the
 *         ticket is not live.
 *         Thread safety: a const read of `e`.
 */
KPI_API int kpi_engine_ticket_status(const kpi_engine *e, uint64_t ticket,
                                     int *status);
/** @} */

/**
 * @brief dst += src: the KPI values, counters and customers merge; src's
 *        live tickets move into dst.  Use it to combine engines that saw
 *        disjoint tickets (sharded by customer, so repeat contacts stay
 *        exact).  The merged engine's time is the later of the two: the
 *        tickets that are due by then settle in the merge, and each period
 *        one engine closed after the other's last event counts the other's
 *        unresolved tickets in its backlog, as one engine fed both and
 *        advanced to that time would.  Names (kpi_engine_set_name()) that
 *        only src has are added; where both named a code, dst's name stays
 *        (top topics count labels, so a topic code named differently in
 *        the two engines still counts each label under its own name).
 * @param dst the destination.
 * @param src the source (unchanged).
 * @return #KPI_OK; #KPI_ERR_INVALID on NULL or dst == src;
 *         #KPI_ERR_INCOMPATIBLE if options, duration targets
 *         (kpi_engine_add_target(); the same targets added in another
 *         order are alike), calendar or policy differ;
 *         #KPI_ERR_DUPLICATE if a ticket is live in both at the merged
 *         time (one whose window ends by then leaves in the merge, and
 *         its id may be live in the other, as in one engine fed both);
 *         #KPI_ERR_OVERFLOW if a counter, or an accumulator's count or
 *         sum, would pass its range (an engine merged with copies of
 *         itself some 50 times); #KPI_ERR_LIMIT if the merged engine
 *         would hold more live tickets or know more agents than an
 *         engine can (@ref engine_memory "Memory"); #KPI_ERR_NOMEM.
 *         Nothing changes on failure.
 *         Thread safety: not with concurrent use of `dst`; `src` is read.
 */
KPI_API int kpi_engine_merge(kpi_engine *dst, const kpi_engine *src);

/**
 * @brief Snapshot the whole engine (options, calendar, policy, names, live
 *        tickets, customers, every KPI) to portable bytes.
 *
 * Written in format 2 when the engine has a calendar (or a target on a
 * business metric that format 2 added), else in format 1, which earlier
 * libraries read too (docs/format.md, "Versions"); a library of format 1
 * refuses format 2 (#KPI_ERR_VERSION).  This one reads both.
 * @param e the engine.
 * @param buf output buffer, or NULL to ask for the size (#KPI_OK, `len`
 *        set; `cap` is then ignored).
 * @param cap its size.
 * @param[out] len receives the size written, or needed.
 * @return #KPI_OK; #KPI_ERR_INVALID on NULL; #KPI_ERR_LIMIT if the
 *         state's body would pass 4 GiB, the format's limit (about 57
 *         bytes a live ticket, 66 with a calendar: some 75 or 65 million
 *         live tickets; shard by customer beyond); #KPI_ERR_BUFFER if cap
 *         is too small (len tells the size needed).
 *         Thread safety: a const read of `e`.
 */
KPI_API int kpi_engine_serialize(const kpi_engine *e, void *buf, size_t cap,
                                 size_t *len);

/**
 * @brief Restore an engine from kpi_engine_serialize() bytes.
 * @param[out] out receives the engine.
 * @param buf the bytes.
 * @param len their length.
 * @return #KPI_OK; #KPI_ERR_INVALID on NULL; #KPI_ERR_CORRUPT;
 *         #KPI_ERR_TRUNCATED; #KPI_ERR_VERSION; #KPI_ERR_TYPE;
 *         #KPI_ERR_LIMIT for a state (of an earlier library) whose live
 *         tickets name more agents than this one keeps (@ref
 *         engine_memory "Memory"); #KPI_ERR_NOMEM. Thread-safe.
 */
KPI_API int kpi_engine_deserialize(kpi_engine **out, const void *buf,
                                   size_t len);

/**
 * @brief kpi_engine_deserialize() with a custom allocator.
 * @param[out] out receives the engine.
 * @param buf the bytes.
 * @param len their length.
 * @param alloc allocator; NULL = C library.
 * @return as kpi_engine_deserialize(). Thread-safe.
 */
KPI_API int kpi_engine_deserialize_with(kpi_engine **out, const void *buf,
                                        size_t len, const kpi_allocator *alloc);

/**
 * @brief Bytes held by the engine (everything it owns).
 * @param e the engine (NULL gives 0).
 * @return the byte count. Thread safety: a const read of `e`.
 */
KPI_API size_t kpi_engine_footprint(const kpi_engine *e);

/**
 * @brief Bytes held for live tickets: the ticket slots, the index and the
 *        settlement queue (kpi_engine_footprint() minus the KPI values,
 *        names and customers).
 * The room is that of the most tickets held at once, but for the timer
 * ring's blocks that settlements have passed: those are freed, but one,
 * by the call that settled them (@ref engine_memory "Memory").
 * @param e the engine (NULL gives 0).
 * @return the byte count. Thread safety: a const read of `e`.
 */
KPI_API size_t kpi_engine_ticket_bytes(const kpi_engine *e);

#ifdef __cplusplus
}
#endif

#endif /* KPI_ENGINE_H */
