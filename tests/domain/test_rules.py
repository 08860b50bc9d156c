"""Table-driven tests for the verdict rules: `admission.domain.rules.decide`.

Every row states a ticket, its admitted passages, the gate, the scan instant and the venue's time
zone, and the exact verdict, reason and staff message expected. Venue times are written in the
venue's zone (``cph(...)``, ``nyc(...)``) or in UTC (``utc(...)``) where the point of the row is
that the local day differs from the UTC day.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from msgspec.structs import replace

from admission.domain.model import (
    AdmittedPassage,
    Direction,
    EventWindow,
    GateInfo,
    Reason,
    TemplateRules,
    TicketFacts,
    ValidityMode,
    Verdict,
)
from admission.domain.rules import decide, reject_invalid

CPH = ZoneInfo("Europe/Copenhagen")
NYC = ZoneInfo("America/New_York")
US = timedelta(microseconds=1)


def cph(year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, second, tzinfo=CPH)


def nyc(year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, second, tzinfo=NYC)


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, second, tzinfo=UTC)


# ---------------------------------------------------------------- building blocks -------

MAIN = GateInfo(name="Main", zone="hall")
NORTH = GateInfo(name="North", zone="hall")
VIP = GateInfo(name="VIP door", zone="vip", from_zone="hall")  # entering vip leaves the hall
STAGE = GateInfo(name="Stage", zone="hall", event_id=7)  # dedicated to the concert
ARENA = GateInfo(name="Arena", zone="hall", event_id=8)  # dedicated to another event

NOW = cph(2026, 6, 12, 12, 0)  # a Friday, noon in Copenhagen

CONCERT = EventWindow(
    event_id=7, name="Concert", starts_at=cph(2026, 6, 12, 20), ends_at=cph(2026, 6, 12, 23)
)
FESTIVAL = EventWindow(  # three days: Friday 14:00 to Sunday 23:00
    event_id=9, name="Festival", starts_at=cph(2026, 6, 12, 14), ends_at=cph(2026, 6, 14, 23)
)


def rules(**kw: object) -> TemplateRules:
    return TemplateRules(template_id=1, name="Day pass", **kw)  # type: ignore[arg-type]


def first_use_rules(days: int, **kw: object) -> TemplateRules:
    return rules(validity_mode=ValidityMode.DAYS_FROM_FIRST_USE, validity_days=days, **kw)


def ticket(template: TemplateRules | None = None, **facts: object) -> TicketFacts:
    return TicketFacts(serial=1, template=template or rules(), **facts)  # type: ignore[arg-type]


def event_ticket(event: EventWindow, **facts: object) -> TicketFacts:
    return ticket(rules(kind="event"), event=event, **facts)


def went_in(gate: GateInfo, at: datetime) -> AdmittedPassage:
    return AdmittedPassage(
        gate_name=gate.name, zone=gate.zone, from_zone=gate.from_zone, direction=Direction.IN, scanned_at=at
    )


def went_out(gate: GateInfo, at: datetime) -> AdmittedPassage:
    return AdmittedPassage(
        gate_name=gate.name, zone=gate.zone, from_zone=gate.from_zone, direction=Direction.OUT, scanned_at=at
    )


def in_and_out(gate: GateInfo, *days_and_hours: tuple[int, int]) -> tuple[AdmittedPassage, ...]:
    """An entry at each (day of June 2026, hour) and an exit one hour later."""
    passages: list[AdmittedPassage] = []
    for day, hour in days_and_hours:
        passages += [went_in(gate, cph(2026, 6, day, hour)), went_out(gate, cph(2026, 6, day, hour + 1))]
    return tuple(passages)


_ANY = object()


@dataclass(frozen=True)
class Case:
    id: str
    ticket: TicketFacts
    at: datetime
    reason: Reason
    message: str
    passages: tuple[AdmittedPassage, ...] = ()
    gate: GateInfo = MAIN
    direction: Direction = Direction.IN
    tz: ZoneInfo = CPH
    entries_left: object = _ANY  # checked only when given
    reentry: bool = False


def check(case: Case) -> None:
    decision = decide(case.ticket, case.passages, case.gate, case.direction, case.at, case.tz)
    expected_verdict = Verdict.ADMIT if case.reason is Reason.OK else Verdict.REJECT
    assert (decision.verdict, decision.reason, decision.message) == (
        expected_verdict,
        case.reason,
        case.message,
    )
    assert decision.admitted is (expected_verdict is Verdict.ADMIT)
    assert decision.reentry is case.reentry
    if case.entries_left is not _ANY:
        assert decision.entries_left == case.entries_left


def ids(cases: list[Case]) -> list[str]:
    return [case.id for case in cases]


# ---------------------------------------------------------------- admitted -------------

ADMITTED = [
    Case("single-entry-first-scan", ticket(), NOW, Reason.OK, "Welcome", entries_left=0),
    Case(
        "three-entry-card-first-scan",
        ticket(rules(max_entries=3)),
        NOW,
        Reason.OK,
        "Welcome: 2 entries left",
        entries_left=2,
    ),
    Case(
        "three-entry-card-after-one-visit",
        ticket(rules(max_entries=3)),
        NOW,
        Reason.OK,
        "Welcome: 1 entry left",
        passages=in_and_out(MAIN, (12, 9)),
        entries_left=1,
    ),
    Case(
        "unlimited-after-five-visits",
        ticket(rules(max_entries=None)),
        cph(2026, 6, 12, 20),
        Reason.OK,
        "Welcome",
        passages=in_and_out(MAIN, (12, 9), (12, 11), (12, 13), (12, 15), (12, 17)),
        entries_left=None,
    ),
    Case(
        "unlimited-while-inside",
        ticket(rules(max_entries=None)),
        NOW,
        Reason.OK,
        "Welcome",
        passages=(went_in(MAIN, cph(2026, 6, 12, 11)),),
        entries_left=None,
    ),
    Case(
        "reentry-after-exit-is-free",
        ticket(rules(reentry_allowed=True)),
        NOW,
        Reason.OK,
        "Re-entry",
        passages=in_and_out(MAIN, (12, 9)),
        entries_left=0,
        reentry=True,
    ),
    Case(
        "reentry-third-time",
        ticket(rules(reentry_allowed=True)),
        cph(2026, 6, 12, 16),
        Reason.OK,
        "Re-entry",
        passages=in_and_out(MAIN, (12, 9), (12, 12)),
        entries_left=0,
        reentry=True,
    ),
    Case(
        "reentry-does-not-consume-n-entry-card",
        ticket(rules(max_entries=3, reentry_allowed=True)),
        NOW,
        Reason.OK,
        "Re-entry",
        passages=in_and_out(MAIN, (12, 9)),
        entries_left=2,
        reentry=True,
    ),
    Case(
        "reentry-unlimited",
        ticket(rules(max_entries=None, reentry_allowed=True)),
        NOW,
        Reason.OK,
        "Re-entry",
        passages=in_and_out(MAIN, (12, 9)),
        entries_left=None,
        reentry=True,
    ),
    Case(
        "entries-carried-from-reissue",
        ticket(rules(max_entries=3), entries_carried=1),
        NOW,
        Reason.OK,
        "Welcome: 1 entry left",
        entries_left=1,
    ),
    Case(
        "entries-carried-plus-own-visit-last-entry",
        ticket(rules(max_entries=3), entries_carried=1),
        NOW,
        Reason.OK,
        "Welcome",
        passages=in_and_out(MAIN, (12, 9)),
        entries_left=0,
    ),
    Case(
        "other-gate-same-zone-after-exit-with-reentry",
        ticket(rules(reentry_allowed=True)),
        NOW,
        Reason.OK,
        "Re-entry",
        passages=in_and_out(NORTH, (12, 9)),
        reentry=True,
    ),
    Case(
        "single-entry-counts-per-zone",
        ticket(),
        NOW,
        Reason.OK,
        "Welcome",
        passages=(went_in(MAIN, cph(2026, 6, 12, 10)),),
        gate=VIP,
    ),
    Case(
        "back-into-hall-after-vip-with-reentry",
        ticket(rules(reentry_allowed=True)),
        NOW,
        Reason.OK,
        "Re-entry",
        passages=(went_in(MAIN, cph(2026, 6, 12, 10)), went_in(VIP, cph(2026, 6, 12, 11))),
        reentry=True,
    ),
    Case(
        "back-into-hall-through-vip-exit-then-main-with-reentry",
        ticket(rules(reentry_allowed=True)),
        cph(2026, 6, 12, 13),
        Reason.OK,
        "Re-entry",
        passages=(
            went_in(MAIN, cph(2026, 6, 12, 10)),
            went_in(VIP, cph(2026, 6, 12, 11)),
            went_out(VIP, cph(2026, 6, 12, 11, 30)),  # back into the hall: a free re-entry
            went_out(MAIN, cph(2026, 6, 12, 12)),
        ),
        reentry=True,
    ),
    Case("allowed-zone", ticket(rules(allowed_zones=("hall", "vip"))), NOW, Reason.OK, "Welcome"),
    Case("allowed-gate", ticket(rules(allowed_gates=("North", "Main"))), NOW, Reason.OK, "Welcome"),
    Case(
        "dedicated-gate-own-event",
        event_ticket(CONCERT),
        cph(2026, 6, 12, 20, 30),
        Reason.OK,
        "Welcome",
        gate=STAGE,
    ),
    Case("event-after-doors", event_ticket(CONCERT), cph(2026, 6, 12, 19, 30), Reason.OK, "Welcome"),
    Case("multi-day-event-first-day", event_ticket(FESTIVAL), cph(2026, 6, 12, 15), Reason.OK, "Welcome"),
    Case(
        "multi-day-event-second-day-morning",
        event_ticket(FESTIVAL),
        cph(2026, 6, 13, 9),
        Reason.OK,
        "Welcome",
    ),
    Case(
        "multi-day-event-last-day",
        event_ticket(FESTIVAL),
        cph(2026, 6, 14, 22),
        Reason.OK,
        "Welcome",
    ),
    Case(
        "days-from-first-use-still-valid",
        ticket(first_use_rules(2, max_entries=None)),
        cph(2026, 6, 12, 23, 59),
        Reason.OK,
        "Welcome",
        passages=in_and_out(MAIN, (11, 10)),
    ),
    Case(
        "days-from-first-use-unused-ticket",
        ticket(first_use_rules(1, max_entries=None), valid_until=cph(2026, 12, 31)),
        NOW,
        Reason.OK,
        "Welcome",
    ),
    Case(
        "first-used-at-carried-still-valid",
        ticket(first_use_rules(2), first_used_at=cph(2026, 6, 11, 10)),
        NOW,
        Reason.OK,
        "Welcome",
    ),
    Case(
        "inside-ticket-window",
        ticket(valid_from=cph(2026, 6, 1), valid_until=cph(2026, 7, 1)),
        NOW,
        Reason.OK,
        "Welcome",
    ),
]


@pytest.mark.parametrize("case", ADMITTED, ids=ids(ADMITTED))
def test_admitted(case: Case) -> None:
    check(case)


# ---------------------------------------------------------------- rejected -------------

REJECTED = [
    # void
    Case(
        "void/refunded",
        ticket(void=True, void_reason="refunded"),
        NOW,
        Reason.VOID,
        "Ticket is void: refunded",
    ),
    Case("void/no-reason-given", ticket(void=True), NOW, Reason.VOID, "Ticket is void: revoked"),
    Case(
        "void/before-every-other-check",
        ticket(rules(allowed_zones=("vip",)), void=True, void_reason="replaced", valid_until=cph(2026, 1, 1)),
        NOW,
        Reason.VOID,
        "Ticket is void: replaced",
    ),
    # already used: where and when, in the venue's local time
    Case(
        "already_used/single-entry-inside",
        ticket(),
        NOW,
        Reason.ALREADY_USED,
        "Already used at Main at 10:15",
        passages=(went_in(MAIN, cph(2026, 6, 12, 10, 15)),),
    ),
    Case(
        "already_used/names-the-other-gate",
        ticket(),
        NOW,
        Reason.ALREADY_USED,
        "Already used at North at 10:15",
        passages=(went_in(NORTH, cph(2026, 6, 12, 10, 15)),),
    ),
    Case(
        "already_used/names-the-latest-entry",
        ticket(rules(max_entries=1)),
        NOW,
        Reason.ALREADY_USED,
        "Already used at North at 11:40",
        passages=(went_in(MAIN, cph(2026, 6, 12, 10)), went_in(NORTH, cph(2026, 6, 12, 11, 40))),
    ),
    Case(
        "already_used/earlier-day-shows-date",
        ticket(),
        NOW,
        Reason.ALREADY_USED,
        "Already used at Main at 11 Jun 18:05",
        passages=(went_in(MAIN, cph(2026, 6, 11, 18, 5)),),
    ),
    Case(
        "already_used/passback-with-reentry-allowed",
        ticket(rules(reentry_allowed=True)),
        NOW,
        Reason.ALREADY_USED,
        "Already used at Main at 11:00",
        passages=(went_in(MAIN, cph(2026, 6, 12, 11)),),
    ),
    Case(
        "already_used/before-reissue",
        ticket(entries_carried=1),
        NOW,
        Reason.ALREADY_USED,
        "Already used (before the ticket was reissued)",
    ),
    # not yet valid
    Case(
        "not_yet_valid/ticket-window-later-today",
        ticket(valid_from=cph(2026, 6, 12, 14)),
        NOW,
        Reason.NOT_YET_VALID,
        "Valid from 14:00",
    ),
    Case(
        "not_yet_valid/ticket-window-tomorrow",
        ticket(valid_from=cph(2026, 6, 13, 9)),
        NOW,
        Reason.NOT_YET_VALID,
        "Valid from 13 Jun 09:00",
    ),
    Case(
        "not_yet_valid/before-doors",
        event_ticket(CONCERT),
        cph(2026, 6, 12, 18),
        Reason.NOT_YET_VALID,
        "Doors open at 19:00",
    ),
    Case(
        "not_yet_valid/before-doors-short-margin",
        event_ticket(replace(CONCERT, doors_open_minutes=15)),
        cph(2026, 6, 12, 19, 30),
        Reason.NOT_YET_VALID,
        "Doors open at 19:45",
    ),
    Case(
        "not_yet_valid/event-morning",
        event_ticket(CONCERT),
        cph(2026, 6, 12, 0, 5),
        Reason.NOT_YET_VALID,
        "Doors open at 19:00",
    ),
    # expired
    Case(
        "expired/ticket-window-earlier-today",
        ticket(valid_until=cph(2026, 6, 12, 10)),
        NOW,
        Reason.EXPIRED,
        "Expired at 10:00",
    ),
    Case(
        "expired/ticket-window-yesterday",
        ticket(valid_until=cph(2026, 6, 11, 18)),
        NOW,
        Reason.EXPIRED,
        "Expired at 11 Jun 18:00",
    ),
    Case(
        "expired/event-ended",
        event_ticket(CONCERT),
        cph(2026, 6, 12, 23, 30),
        Reason.EXPIRED,
        "Concert ended at 23:00",
    ),
    Case(
        "expired/multi-day-event-ended-on-last-day",
        event_ticket(FESTIVAL),
        cph(2026, 6, 14, 23, 30),
        Reason.EXPIRED,
        "Festival ended at 23:00",
    ),
    Case(
        "expired/two-days-from-first-use",
        ticket(first_use_rules(2, max_entries=None)),
        NOW,
        Reason.EXPIRED,
        "Expired at 00:00",
        passages=in_and_out(MAIN, (10, 14)),
    ),
    Case(
        "expired/one-day-from-first-use-next-morning",
        ticket(first_use_rules(1, reentry_allowed=True)),
        cph(2026, 6, 12, 8),
        Reason.EXPIRED,
        "Expired at 00:00",
        passages=in_and_out(MAIN, (11, 20)),
    ),
    Case(
        "expired/first-used-at-carried-from-reissue",
        ticket(first_use_rules(2), first_used_at=cph(2026, 6, 10, 14)),
        NOW,
        Reason.EXPIRED,
        "Expired at 00:00",
    ),
    Case(
        "expired/earliest-of-carried-and-own-first-use",
        ticket(first_use_rules(2, max_entries=None), first_used_at=cph(2026, 6, 9, 14)),
        cph(2026, 6, 11, 12),
        Reason.EXPIRED,
        "Expired at 00:00",
        passages=in_and_out(MAIN, (10, 14)),
    ),
    # wrong event, or not today
    Case(
        "wrong_event/gate-dedicated-to-another-event",
        event_ticket(CONCERT),
        cph(2026, 6, 12, 20, 30),
        Reason.WRONG_EVENT,
        "Ticket is for another event: Concert",
        gate=ARENA,
    ),
    Case(
        "event_not_today/day-before",
        event_ticket(CONCERT),
        cph(2026, 6, 11, 20, 30),
        Reason.EVENT_NOT_TODAY,
        "Concert is on Fri 12 Jun 2026 20:00, not today",
    ),
    Case(
        "event_not_today/day-after",
        event_ticket(CONCERT),
        cph(2026, 6, 13, 10),
        Reason.EVENT_NOT_TODAY,
        "Concert is on Fri 12 Jun 2026 20:00, not today",
    ),
    Case(
        "event_not_today/multi-day-day-before-first",
        event_ticket(FESTIVAL),
        cph(2026, 6, 11, 15),
        Reason.EVENT_NOT_TODAY,
        "Festival is on Fri 12 Jun 2026 14:00, not today",
    ),
    Case(
        "event_not_today/multi-day-day-after-last",
        event_ticket(FESTIVAL),
        cph(2026, 6, 15, 10),
        Reason.EVENT_NOT_TODAY,
        "Festival is on Fri 12 Jun 2026 14:00, not today",
    ),
    # wrong gate
    Case(
        "wrong_gate/zone-not-allowed",
        ticket(rules(allowed_zones=("vip",))),
        NOW,
        Reason.WRONG_GATE,
        "Not valid at Main (zone hall): valid in vip",
    ),
    Case(
        "wrong_gate/gate-not-allowed",
        ticket(rules(allowed_gates=("North", "East"))),
        NOW,
        Reason.WRONG_GATE,
        "Not valid at Main: use North, East",
    ),
    Case(
        "wrong_gate/vip-door-for-hall-only-ticket",
        ticket(rules(allowed_zones=("hall",))),
        NOW,
        Reason.WRONG_GATE,
        "Not valid at VIP door (zone vip): valid in hall",
        gate=VIP,
    ),
    # entries exhausted (N-entry cards)
    Case(
        "entries_exhausted/three-entry-card",
        ticket(rules(max_entries=3)),
        cph(2026, 6, 12, 18),
        Reason.ENTRIES_EXHAUSTED,
        "All 3 entries used",
        passages=in_and_out(MAIN, (10, 10), (11, 10), (12, 10)),
    ),
    Case(
        "entries_exhausted/carried-plus-own",
        ticket(rules(max_entries=3), entries_carried=2),
        NOW,
        Reason.ENTRIES_EXHAUSTED,
        "All 3 entries used",
        passages=in_and_out(MAIN, (12, 9)),
    ),
    Case(
        "entries_exhausted/all-carried",
        ticket(rules(max_entries=2), entries_carried=2),
        NOW,
        Reason.ENTRIES_EXHAUSTED,
        "All 2 entries used",
    ),
    Case(
        "entries_exhausted/passback-while-inside",
        ticket(rules(max_entries=2)),
        NOW,
        Reason.ENTRIES_EXHAUSTED,
        "All 2 entries used",
        passages=(went_in(MAIN, cph(2026, 6, 12, 10)), went_in(NORTH, cph(2026, 6, 12, 11))),
    ),
    # re-entry not allowed
    Case(
        "reentry_not_allowed/single-entry-exited",
        ticket(),
        NOW,
        Reason.REENTRY_NOT_ALLOWED,
        "Left already: re-entry is not allowed",
        passages=in_and_out(MAIN, (12, 9)),
    ),
    Case(
        "reentry_not_allowed/passages-out-of-order",
        ticket(),
        NOW,
        Reason.REENTRY_NOT_ALLOWED,
        "Left already: re-entry is not allowed",
        passages=tuple(reversed(in_and_out(MAIN, (12, 9)))),
    ),
    Case(
        "reentry_not_allowed/back-into-hall-after-vip",
        ticket(),
        NOW,
        Reason.REENTRY_NOT_ALLOWED,
        "Left already: re-entry is not allowed",
        passages=(went_in(MAIN, cph(2026, 6, 12, 10)), went_in(VIP, cph(2026, 6, 12, 11))),
    ),
]


@pytest.mark.parametrize("case", REJECTED, ids=ids(REJECTED))
def test_rejected(case: Case) -> None:
    check(case)


# ---------------------------------------------------------------- exits ----------------

EXIT_TICKETS = {
    "valid-ticket": ticket(),
    "void-ticket": ticket(void=True),
    "expired-window": ticket(valid_until=cph(2026, 1, 1)),
    "not-yet-valid-window": ticket(valid_from=cph(2027, 1, 1)),
    "zone-not-allowed": ticket(rules(allowed_zones=("vip",))),
    "event-on-another-day": event_ticket(CONCERT),
    "gate-dedicated-to-other-event": event_ticket(replace(CONCERT, event_id=99)),
    "entries-used-up": ticket(entries_carried=1),
}


@pytest.mark.parametrize("facts", EXIT_TICKETS.values(), ids=EXIT_TICKETS.keys())
@pytest.mark.parametrize("gate", [MAIN, VIP, STAGE], ids=["main", "vip", "dedicated"])
def test_exit_is_always_admitted(facts: TicketFacts, gate: GateInfo) -> None:
    passages = (*in_and_out(MAIN, (12, 9)), went_in(MAIN, cph(2026, 6, 12, 11)))
    decision = decide(facts, passages, gate, Direction.OUT, cph(2026, 6, 13, 3), CPH)
    assert (decision.verdict, decision.reason, decision.message) == (Verdict.ADMIT, Reason.OK, "Exit")


# ---------------------------------------------------------------- boundaries -----------

FROM = cph(2026, 6, 12, 9)
UNTIL = cph(2026, 6, 12, 17)
WINDOW = ticket(valid_from=FROM, valid_until=UNTIL)
DOORS = cph(2026, 6, 12, 19)  # CONCERT starts 20:00 with the default 60-minute margin
FIRST_USE = in_and_out(MAIN, (10, 14))  # two days from first use: until 12 Jun 00:00

BOUNDARIES = [
    Case("valid_from-1us-before", WINDOW, FROM - US, Reason.NOT_YET_VALID, "Valid from 09:00"),
    Case("valid_from-exact-is-inclusive", WINDOW, FROM, Reason.OK, "Welcome"),
    Case("valid_from-1us-after", WINDOW, FROM + US, Reason.OK, "Welcome"),
    Case("valid_until-1us-before", WINDOW, UNTIL - US, Reason.OK, "Welcome"),
    Case("valid_until-exact-is-exclusive", WINDOW, UNTIL, Reason.EXPIRED, "Expired at 17:00"),
    Case("doors-1us-before", event_ticket(CONCERT), DOORS - US, Reason.NOT_YET_VALID, "Doors open at 19:00"),
    Case("doors-exact", event_ticket(CONCERT), DOORS, Reason.OK, "Welcome"),
    Case(
        "no-door-margin-1us-before-start",
        event_ticket(replace(CONCERT, doors_open_minutes=0)),
        CONCERT.starts_at - US,
        Reason.NOT_YET_VALID,
        "Doors open at 20:00",
    ),
    Case(
        "no-door-margin-at-start",
        event_ticket(replace(CONCERT, doors_open_minutes=0)),
        CONCERT.starts_at,
        Reason.OK,
        "Welcome",
    ),
    Case("event-end-1us-before", event_ticket(CONCERT), CONCERT.ends_at - US, Reason.OK, "Welcome"),
    Case("event-end-exact", event_ticket(CONCERT), CONCERT.ends_at, Reason.EXPIRED, "Concert ended at 23:00"),
    Case(
        "event-ending-at-midnight-1us-before",
        event_ticket(replace(CONCERT, ends_at=cph(2026, 6, 13))),
        cph(2026, 6, 13) - US,
        Reason.OK,
        "Welcome",
    ),
    Case(
        "event-ending-at-midnight-exact-is-next-day",
        event_ticket(replace(CONCERT, ends_at=cph(2026, 6, 13))),
        cph(2026, 6, 13),
        Reason.EVENT_NOT_TODAY,
        "Concert is on Fri 12 Jun 2026 20:00, not today",
    ),
    Case(
        "days-from-first-use-1us-before-midnight",
        ticket(first_use_rules(2, max_entries=None)),
        cph(2026, 6, 12) - US,
        Reason.OK,
        "Welcome",
        passages=FIRST_USE,
    ),
    Case(
        "days-from-first-use-at-midnight-of-nth-day",
        ticket(first_use_rules(2, max_entries=None)),
        cph(2026, 6, 12),
        Reason.EXPIRED,
        "Expired at 00:00",
        passages=FIRST_USE,
    ),
]


@pytest.mark.parametrize("case", BOUNDARIES, ids=ids(BOUNDARIES))
def test_boundaries(case: Case) -> None:
    check(case)


# ---------------------------------------------------------------- time zones -----------

# 23:30 UTC on 12 June is 01:30 on 13 June in Copenhagen and 19:30 on 12 June in New York.
LATE_UTC = utc(2026, 6, 12, 23, 30)
NY_SHOW = EventWindow(event_id=7, name="Show", starts_at=nyc(2026, 6, 12, 19), ends_at=nyc(2026, 6, 12, 23))
NY_LATE_SHOW = EventWindow(  # crosses local midnight
    event_id=7, name="Late show", starts_at=nyc(2026, 6, 12, 22), ends_at=nyc(2026, 6, 13, 2)
)
# Europe springs forward on 29 March 2026 (02:00 CET -> 03:00 CEST) and falls back on 25 October
# (03:00 CEST -> 02:00 CET); New York springs forward on 8 March 2026 (02:00 EST -> 03:00 EDT).
SUNRISE_RUN = EventWindow(  # 03:30 CEST = 01:30 UTC; doors 60 minutes earlier = 00:30 UTC = 01:30 CET
    event_id=7, name="Sunrise run", starts_at=cph(2026, 3, 29, 3, 30), ends_at=cph(2026, 3, 29, 9)
)
NIGHT_RACE = EventWindow(  # 03:00 CET = 02:00 UTC; doors 120 minutes earlier = 00:00 UTC = 02:00 CEST
    event_id=7,
    name="Night race",
    starts_at=cph(2026, 10, 25, 3, 0),
    ends_at=cph(2026, 10, 25, 9),
    doors_open_minutes=120,
)
NEW_YEAR = EventWindow(  # doors open on the evening before the event's day
    event_id=7, name="New Year", starts_at=cph(2027, 1, 1, 0, 30), ends_at=cph(2027, 1, 1, 4)
)

TIME_ZONES = [
    Case(
        "already_used-time-in-copenhagen",
        ticket(),
        utc(2026, 6, 12, 16),
        Reason.ALREADY_USED,
        "Already used at Main at 16:15",
        passages=(went_in(MAIN, utc(2026, 6, 12, 14, 15)),),
    ),
    Case(
        "already_used-time-in-new-york",
        ticket(),
        utc(2026, 6, 12, 16),
        Reason.ALREADY_USED,
        "Already used at Main at 10:15",
        passages=(went_in(MAIN, utc(2026, 6, 12, 14, 15)),),
        tz=NYC,
    ),
    Case(
        "already_used-same-utc-day-other-local-day-new-york",
        ticket(),
        utc(2026, 6, 12, 4, 30),  # 00:30 in New York
        Reason.ALREADY_USED,
        "Already used at Main at 11 Jun 23:50",
        passages=(went_in(MAIN, utc(2026, 6, 12, 3, 50)),),
        tz=NYC,
    ),
    Case(
        "already_used-same-utc-day-same-local-day-copenhagen",
        ticket(),
        utc(2026, 6, 12, 4, 30),
        Reason.ALREADY_USED,
        "Already used at Main at 05:50",
        passages=(went_in(MAIN, utc(2026, 6, 12, 3, 50)),),
    ),
    Case(
        "new-york-show-scanned-after-utc-midnight",
        event_ticket(NY_SHOW),
        utc(2026, 6, 13, 1),  # 21:00 on 12 June in New York
        Reason.OK,
        "Welcome",
        tz=NYC,
    ),
    Case(
        "new-york-show-day-before-local",
        event_ticket(NY_SHOW),
        utc(2026, 6, 12, 3),  # 23:00 on 11 June in New York
        Reason.EVENT_NOT_TODAY,
        "Show is on Fri 12 Jun 2026 19:00, not today",
        tz=NYC,
    ),
    Case(
        "copenhagen-concert-day-starts-before-utc-midnight",
        event_ticket(CONCERT),
        utc(2026, 6, 11, 22, 30),  # 00:30 on 12 June in Copenhagen: the right day, doors not open
        Reason.NOT_YET_VALID,
        "Doors open at 19:00",
    ),
    Case(
        "copenhagen-concert-seen-from-new-york-is-another-day",
        event_ticket(CONCERT),
        utc(2026, 6, 11, 22, 30),  # 18:30 on 11 June in New York
        Reason.EVENT_NOT_TODAY,
        "Concert is on Fri 12 Jun 2026 14:00, not today",
        tz=NYC,
    ),
    Case(
        "late-show-after-local-midnight",
        event_ticket(NY_LATE_SHOW),
        nyc(2026, 6, 13, 1, 30),
        Reason.OK,
        "Welcome",
        tz=NYC,
    ),
    Case(
        "late-show-ended-after-local-midnight",
        event_ticket(NY_LATE_SHOW),
        nyc(2026, 6, 13, 2),
        Reason.EXPIRED,
        "Late show ended at 02:00",
        tz=NYC,
    ),
    Case(
        "late-show-next-afternoon",
        event_ticket(NY_LATE_SHOW),
        nyc(2026, 6, 13, 15),
        Reason.EXPIRED,
        "Late show ended at 02:00",
        tz=NYC,
    ),
    Case(
        "late-show-two-days-later",
        event_ticket(NY_LATE_SHOW),
        nyc(2026, 6, 14, 1),
        Reason.EVENT_NOT_TODAY,
        "Late show is on Fri 12 Jun 2026 22:00, not today",
        tz=NYC,
    ),
    # one day from a first use at 23:30 UTC: ends at the venue's next local midnight
    Case(
        "first-use-day-copenhagen-1us-before-midnight",
        ticket(first_use_rules(1, max_entries=None)),
        utc(2026, 6, 13, 22) - US,
        Reason.OK,
        "Welcome",
        passages=(went_in(MAIN, LATE_UTC),),
    ),
    Case(
        "first-use-day-copenhagen-midnight",
        ticket(first_use_rules(1, max_entries=None)),
        utc(2026, 6, 13, 22),
        Reason.EXPIRED,
        "Expired at 00:00",
        passages=(went_in(MAIN, LATE_UTC),),
    ),
    Case(
        "first-use-day-new-york-1us-before-midnight",
        ticket(first_use_rules(1, max_entries=None)),
        utc(2026, 6, 13, 4) - US,
        Reason.OK,
        "Welcome",
        passages=(went_in(MAIN, LATE_UTC),),
        tz=NYC,
    ),
    Case(
        "first-use-day-new-york-midnight",
        ticket(first_use_rules(1, max_entries=None)),
        utc(2026, 6, 13, 4),
        Reason.EXPIRED,
        "Expired at 00:00",
        passages=(went_in(MAIN, LATE_UTC),),
        tz=NYC,
    ),
    # N days from first use across a DST change: 47 hours (spring) or 49 hours (autumn), not 48
    Case(
        "two-days-over-european-spring-dst-1us-before",
        ticket(first_use_rules(2, max_entries=None)),
        utc(2026, 3, 29, 22) - US,
        Reason.OK,
        "Welcome",
        passages=(went_in(MAIN, cph(2026, 3, 28, 12)),),
    ),
    Case(
        "two-days-over-european-spring-dst-midnight",
        ticket(first_use_rules(2, max_entries=None)),
        utc(2026, 3, 29, 22),
        Reason.EXPIRED,
        "Expired at 00:00",
        passages=(went_in(MAIN, cph(2026, 3, 28, 12)),),
    ),
    Case(
        "two-days-over-european-autumn-dst-1us-before",
        ticket(first_use_rules(2, max_entries=None)),
        utc(2026, 10, 25, 23) - US,
        Reason.OK,
        "Welcome",
        passages=(went_in(MAIN, cph(2026, 10, 24, 12)),),
    ),
    Case(
        "two-days-over-european-autumn-dst-midnight",
        ticket(first_use_rules(2, max_entries=None)),
        utc(2026, 10, 25, 23),
        Reason.EXPIRED,
        "Expired at 00:00",
        passages=(went_in(MAIN, cph(2026, 10, 24, 12)),),
    ),
    Case(
        "two-days-over-new-york-spring-dst-1us-before",
        ticket(first_use_rules(2, max_entries=None)),
        utc(2026, 3, 9, 4) - US,
        Reason.OK,
        "Welcome",
        passages=(went_in(MAIN, nyc(2026, 3, 7, 12)),),
        tz=NYC,
    ),
    Case(
        "two-days-over-new-york-spring-dst-midnight",
        ticket(first_use_rules(2, max_entries=None)),
        utc(2026, 3, 9, 4),
        Reason.EXPIRED,
        "Expired at 00:00",
        passages=(went_in(MAIN, nyc(2026, 3, 7, 12)),),
        tz=NYC,
    ),
    # door margins are real minutes, also on a DST night
    Case(
        "doors-on-spring-dst-night-1us-before",
        event_ticket(SUNRISE_RUN),
        utc(2026, 3, 29, 0, 30) - US,
        Reason.NOT_YET_VALID,
        "Doors open at 01:30",
    ),
    Case(
        "doors-on-spring-dst-night-exact",
        event_ticket(SUNRISE_RUN),
        utc(2026, 3, 29, 0, 30),
        Reason.OK,
        "Welcome",
    ),
    Case(
        "doors-on-autumn-dst-night-1us-before",
        event_ticket(NIGHT_RACE),
        utc(2026, 10, 25, 0, 0) - US,
        Reason.NOT_YET_VALID,
        "Doors open at 02:00",
    ),
    Case(
        "doors-on-autumn-dst-night-exact",
        event_ticket(NIGHT_RACE),
        utc(2026, 10, 25, 0, 0),
        Reason.OK,
        "Welcome",
    ),
    # doors that open before the local midnight preceding the event
    Case(
        "doors-open-the-evening-before-1us-before",
        event_ticket(NEW_YEAR),
        cph(2026, 12, 31, 23, 30) - US,
        Reason.NOT_YET_VALID,
        "Doors open at 23:30",
    ),
    Case(
        "doors-open-the-evening-before-exact",
        event_ticket(NEW_YEAR),
        cph(2026, 12, 31, 23, 30),
        Reason.OK,
        "Welcome",
    ),
    Case(
        "doors-open-the-evening-before-two-days-early",
        event_ticket(NEW_YEAR),
        cph(2026, 12, 30, 23, 45),
        Reason.EVENT_NOT_TODAY,
        "New Year is on Fri 01 Jan 2027 00:30, not today",
    ),
]


@pytest.mark.parametrize("case", TIME_ZONES, ids=ids(TIME_ZONES))
def test_time_zones(case: Case) -> None:
    check(case)


# ---------------------------------------------------------------- coverage of reasons ---


def test_every_reason_but_turned_away_is_reachable() -> None:
    """TURNED_AWAY is a supervisor's action, INVALID comes from reading the code (below); the
    template's further entry rules have their table in test_entry_rules.py, unpaid tickets in
    test_unpaid_tickets.py."""
    reached = {case.reason for case in ADMITTED + REJECTED + BOUNDARIES + TIME_ZONES}
    further = {
        Reason.OUTSIDE_ENTRY_WINDOW,
        Reason.TOO_SOON,
        Reason.DAILY_LIMIT,
        Reason.ENTRY_DAYS_USED,
        Reason.EXIT_REQUIRED,
        Reason.UNPAID,
        Reason.CUSTOM_RULE,  # its table is in test_custom_rules.py
    }
    assert reached == set(Reason) - {Reason.TURNED_AWAY, Reason.INVALID} - further


def test_reject_invalid() -> None:
    decision = reject_invalid()
    assert (decision.verdict, decision.reason, decision.message) == (
        Verdict.REJECT,
        Reason.INVALID,
        "Not a valid ticket",
    )
    assert not decision.admitted
    assert reject_invalid("Forged code").message == "Forged code"


def test_reentry_is_free_on_the_same_day_only() -> None:
    card = ticket(rules(max_entries=3, reentry_allowed=True))
    yesterday = in_and_out(MAIN, (11, 10))
    next_day = decide(card, yesterday, MAIN, Direction.IN, NOW, CPH)
    assert (next_day.reentry, next_day.entries_left) == (False, 1)
    same_day = decide(card, in_and_out(MAIN, (12, 9)), MAIN, Direction.IN, NOW, CPH)
    assert (same_day.reentry, same_day.entries_left, same_day.message) == (True, 2, "Re-entry")
