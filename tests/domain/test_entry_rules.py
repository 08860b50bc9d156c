"""The entry rules of a template beyond its entry count: the admission window around an event,
the minimum time between entries, entries per venue day, distinct entry days and exit before
re-entry (anti-passback). Each row: a ticket, its admitted passages, the scan, and the exact
verdict, reason and staff message (which says which rule refused and when the ticket is admitted
again, in venue time)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from admission.domain.model import (
    AdmittedPassage,
    Direction,
    EventWindow,
    GateInfo,
    Reason,
    TemplateKind,
    TemplateRules,
    TicketFacts,
    Verdict,
)
from admission.domain.rules import decide
from admission.domain.wording import REASON_WORDS

CPH = ZoneInfo("Europe/Copenhagen")
MAIN = GateInfo(name="Main", zone="hall")
NORTH = GateInfo(name="North", zone="hall")
VIP = GateInfo(name="VIP door", zone="vip", from_zone="hall")  # entering vip leaves the hall

ENTRY_RULE_REASONS = {
    Reason.OUTSIDE_ENTRY_WINDOW,
    Reason.TOO_SOON,
    Reason.DAILY_LIMIT,
    Reason.ENTRY_DAYS_USED,
    Reason.EXIT_REQUIRED,
}


def cph(month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=CPH)


CONCERT = EventWindow(event_id=7, name="Concert", starts_at=cph(6, 12, 20), ends_at=cph(6, 12, 23))
LATE_SHOW = EventWindow(event_id=8, name="Late show", starts_at=cph(6, 12, 22), ends_at=cph(6, 12, 23, 50))


def pass_(**kw: object) -> TicketFacts:
    """An unlimited pass with the given rules (entries count only where the rule says so)."""
    rules = TemplateRules(template_id=1, name="Pass", max_entries=None, **kw)  # type: ignore[arg-type]
    return TicketFacts(serial=1, template=rules)


def event_ticket(event: EventWindow, **kw: object) -> TicketFacts:
    rules = TemplateRules(template_id=2, name="Concert", kind=TemplateKind.EVENT, **kw)  # type: ignore[arg-type]
    return TicketFacts(serial=2, template=rules, event=event)


def went_in(at: datetime, gate: GateInfo = MAIN) -> AdmittedPassage:
    return AdmittedPassage(
        gate_name=gate.name, zone=gate.zone, from_zone=gate.from_zone, direction=Direction.IN, scanned_at=at
    )


def went_out(at: datetime, gate: GateInfo = MAIN) -> AdmittedPassage:
    return AdmittedPassage(
        gate_name=gate.name, zone=gate.zone, from_zone=gate.from_zone, direction=Direction.OUT, scanned_at=at
    )


@dataclass(frozen=True)
class Case:
    id: str
    ticket: TicketFacts
    at: datetime
    reason: Reason
    message: str
    passages: tuple[AdmittedPassage, ...] = ()
    gate: GateInfo = MAIN


CASES = [
    # ------------------------------------------------------------ admission window -----
    Case(
        "window: entry opens 30 min before the start, not the event's doors",
        event_ticket(CONCERT, entry_minutes_before_start=30),
        cph(6, 12, 19, 29),
        Reason.OUTSIDE_ENTRY_WINDOW,
        "Entry opens 30 min before the start: again from 19:30",
    ),
    Case(
        "window: admitted at the opening minute",
        event_ticket(CONCERT, entry_minutes_before_start=30),
        cph(6, 12, 19, 30),
        Reason.OK,
        "Welcome",
    ),
    Case(
        "window: zero minutes means from the start",
        event_ticket(CONCERT, entry_minutes_before_start=0),
        cph(6, 12, 19, 59),
        Reason.OUTSIDE_ENTRY_WINDOW,
        "Entry opens 0 min before the start: again from 20:00",
    ),
    Case(
        "window: entry until 15 min after the end",
        event_ticket(CONCERT, entry_minutes_after_end=15),
        cph(6, 12, 23, 14),
        Reason.OK,
        "Welcome",
    ),
    Case(
        "window: closed 15 min after the end",
        event_ticket(CONCERT, entry_minutes_after_end=15),
        cph(6, 12, 23, 15),
        Reason.OUTSIDE_ENTRY_WINDOW,
        "Entry closed 15 min after the end, at 23:15",
    ),
    Case(
        "window: the tolerance reaches past midnight (still that event's entry, not 'not today')",
        event_ticket(LATE_SHOW, entry_minutes_after_end=30),
        cph(6, 13, 0, 10),
        Reason.OK,
        "Welcome",
    ),
    Case(
        "window: without a tolerance the event's doors decide as before",
        event_ticket(CONCERT),
        cph(6, 12, 18, 59),
        Reason.NOT_YET_VALID,
        "Doors open at 19:00",
    ),
    # ------------------------------------------------------------ minimum interval -----
    Case(
        "interval: 10 minutes not passed since the last entry",
        pass_(min_minutes_between_entries=10),
        cph(6, 12, 12, 4),
        Reason.TOO_SOON,
        "Entered 4 min ago; the minimum is 10 min: again from 12:10",
        (went_in(cph(6, 12, 12, 0)),),
    ),
    Case(
        "interval: the time to come back is shown as the first whole minute it is allowed",
        pass_(min_minutes_between_entries=10),
        cph(6, 12, 12, 4),
        Reason.TOO_SOON,
        "Entered 3 min ago; the minimum is 10 min: again from 12:11",
        (went_in(cph(6, 12, 12, 0).replace(second=30)),),
    ),
    Case(
        "interval: admitted once it has passed",
        pass_(min_minutes_between_entries=10),
        cph(6, 12, 12, 10),
        Reason.OK,
        "Welcome",
        (went_in(cph(6, 12, 12, 0)),),
    ),
    Case(
        "interval: a recorded exit lifts it (the ticket left with its holder)",
        pass_(min_minutes_between_entries=10),
        cph(6, 12, 12, 4),
        Reason.OK,
        "Welcome",
        (went_in(cph(6, 12, 12, 0)), went_out(cph(6, 12, 12, 2))),
    ),
    Case(
        "interval: counted per zone (the hall entry does not hold up the VIP door)",
        pass_(min_minutes_between_entries=10),
        cph(6, 12, 12, 4),
        Reason.OK,
        "Welcome",
        (went_in(cph(6, 12, 12, 0)),),
        VIP,
    ),
    # ------------------------------------------------------------ entries per day ------
    Case(
        "per day: today's entry is used; again from midnight, venue time",
        pass_(max_entries_per_day=1),
        cph(6, 12, 18),
        Reason.DAILY_LIMIT,
        "Today's entry is used. Again from 13 Jun 00:00",
        (went_in(cph(6, 12, 9)), went_out(cph(6, 12, 11))),
    ),
    Case(
        "per day: two a day",
        pass_(max_entries_per_day=2),
        cph(6, 12, 18),
        Reason.DAILY_LIMIT,
        "All 2 entries of today used. Again from 13 Jun 00:00",
        (went_in(cph(6, 12, 9)), went_out(cph(6, 12, 10)), went_in(cph(6, 12, 11))),
    ),
    Case(
        "per day: the next venue day starts at local midnight (23:30 UTC the day before)",
        pass_(max_entries_per_day=1),
        cph(6, 13, 0, 0),
        Reason.OK,
        "Welcome",
        (went_in(cph(6, 12, 23, 59)),),
    ),
    Case(
        "per day: a free re-entry the same day uses no entry",
        pass_(max_entries_per_day=1, reentry_allowed=True),
        cph(6, 12, 15),
        Reason.OK,
        "Re-entry",
        (went_in(cph(6, 12, 9)), went_out(cph(6, 12, 11))),
    ),
    # ------------------------------------------------------------ distinct entry days --
    Case(
        "days: a 2-day pass used on two days is refused on a third",
        pass_(max_entry_days=2),
        cph(6, 14, 10),
        Reason.ENTRY_DAYS_USED,
        "All 2 entry days used: 12 Jun, 13 Jun",
        (went_in(cph(6, 12, 10)), went_out(cph(6, 12, 18)), went_in(cph(6, 13, 10))),
    ),
    Case(
        "days: another entry on a day already used is admitted",
        pass_(max_entry_days=2),
        cph(6, 13, 15),
        Reason.OK,
        "Welcome",
        (went_in(cph(6, 12, 10)), went_in(cph(6, 13, 10)), went_out(cph(6, 13, 12))),
    ),
    Case(
        "days and per day: today's entry used on the last day says no day is left",
        pass_(max_entry_days=2, max_entries_per_day=1),
        cph(6, 13, 15),
        Reason.DAILY_LIMIT,
        "Today's entry is used. No entry days left",
        (went_in(cph(6, 12, 10)), went_in(cph(6, 13, 10))),
    ),
    # ------------------------------------------------------------ exit before re-entry -
    Case(
        "passback: inside already, no exit scanned",
        pass_(exit_required=True),
        cph(6, 12, 14),
        Reason.EXIT_REQUIRED,
        "Inside already since 12:00 (Main): scan the exit first",
        (went_in(cph(6, 12, 12)),),
        NORTH,
    ),
    Case(
        "passback: admitted after an exit",
        pass_(exit_required=True),
        cph(6, 12, 14),
        Reason.OK,
        "Welcome",
        (went_in(cph(6, 12, 12)), went_out(cph(6, 12, 13))),
    ),
    Case(
        "passback: per zone (inside the hall, the VIP door admits)",
        pass_(exit_required=True),
        cph(6, 12, 14),
        Reason.OK,
        "Welcome",
        (went_in(cph(6, 12, 12)),),
        VIP,
    ),
    Case(
        "passback: entering the VIP zone left the hall, so the hall admits again",
        pass_(exit_required=True),
        cph(6, 12, 14),
        Reason.OK,
        "Welcome",
        (went_in(cph(6, 12, 12)), went_in(cph(6, 12, 13), VIP)),
    ),
    Case(
        "passback: a single-entry ticket scanned again still reads 'already used'",
        TicketFacts(serial=1, template=TemplateRules(template_id=1, name="Day", exit_required=True)),
        cph(6, 12, 14),
        Reason.ALREADY_USED,
        "Already used at Main at 12:00",
        (went_in(cph(6, 12, 12)),),
    ),
]


@pytest.mark.parametrize("case", CASES, ids=[case.id for case in CASES])
def test_entry_rules(case: Case) -> None:
    decision = decide(case.ticket, case.passages, case.gate, Direction.IN, case.at, CPH)
    expected = Verdict.ADMIT if case.reason is Reason.OK else Verdict.REJECT
    assert (decision.verdict, decision.reason, decision.message) == (expected, case.reason, case.message)


def test_every_entry_rule_has_its_own_reason_and_words() -> None:
    assert {case.reason for case in CASES} >= ENTRY_RULE_REASONS
    assert all(REASON_WORDS[reason] for reason in ENTRY_RULE_REASONS)


def test_exits_are_admitted_whatever_the_rules() -> None:
    strict = pass_(exit_required=True, min_minutes_between_entries=60, max_entries_per_day=1, max_entry_days=1)
    decision = decide(strict, [went_out(cph(6, 12, 11))], MAIN, Direction.OUT, cph(6, 12, 12), CPH)
    assert decision.verdict is Verdict.ADMIT
