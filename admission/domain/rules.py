"""The verdict rules: one pure function used by the service and by every gate, online or not.

Entries are counted per zone: a ticket that allows one entry may enter each zone it is valid
for once. Entering zone B through a gate whose `from_zone` is A counts as leaving A.
Exits are always admitted for a known ticket: nobody is kept inside by a scanner.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import msgspec
from babel.dates import format_datetime

from admission.domain.model import (
    AdmittedPassage,
    Decision,
    Direction,
    GateInfo,
    Reason,
    TicketFacts,
    ValidityMode,
    Verdict,
)
from admission.domain.wording import welcome_words
from admission.i18n import N_, _, babel_locale


class ZoneHistory(msgspec.Struct, kw_only=True):
    """A ticket's admitted passages replayed for one zone, in time order."""

    entries_used: int = 0
    inside: bool = False
    exited_since_entry: bool = False
    last_entry: AdmittedPassage | None = None
    first_entry_at: datetime | None = None


def replay_zone(
    passages: Sequence[AdmittedPassage], zone: str, reentry_allowed: bool, tz: ZoneInfo
) -> ZoneHistory:
    history = ZoneHistory()
    for passage in sorted(passages, key=lambda p: p.scanned_at):
        if enters_zone(passage, zone):
            if not free_reentry(history, reentry_allowed, passage.scanned_at, tz):
                history.entries_used += 1
            history.inside = True
            history.exited_since_entry = False
            history.last_entry = passage
            if history.first_entry_at is None:
                history.first_entry_at = passage.scanned_at
        elif leaves_zone(passage, zone) and history.last_entry is not None:
            history.inside = False
            history.exited_since_entry = True
    return history


def free_reentry(history: ZoneHistory, reentry_allowed: bool, at: datetime, tz: ZoneInfo) -> bool:
    """Coming back after an exit on the same venue day uses no entry; another day does."""
    last = history.last_entry
    return (
        reentry_allowed
        and history.exited_since_entry
        and not history.inside
        and last is not None
        and last.scanned_at.astimezone(tz).date() == at.astimezone(tz).date()
    )


def enters_zone(passage: AdmittedPassage, zone: str) -> bool:
    if passage.direction is Direction.IN:
        return passage.zone == zone
    return passage.from_zone == zone


def leaves_zone(passage: AdmittedPassage, zone: str) -> bool:
    if passage.direction is Direction.OUT:
        return passage.zone == zone
    return passage.from_zone == zone


def first_use(ticket: TicketFacts, passages: Sequence[AdmittedPassage]) -> datetime | None:
    entries = [p.scanned_at for p in passages if p.direction is Direction.IN]
    candidates = [*entries, *([ticket.first_used_at] if ticket.first_used_at else [])]
    return min(candidates) if candidates else None


def end_of_local_day(moment: datetime, days: int, tz: ZoneInfo) -> datetime:
    """The instant the venue's day `days - 1` days after `moment` ends (N-day tickets)."""
    last_day: date = moment.astimezone(tz).date() + timedelta(days=max(days, 1))
    return datetime.combine(last_day, time.min, tzinfo=tz)


def local_clock(moment: datetime, tz: ZoneInfo, reference: datetime) -> str:
    """The time on the venue's clock; with the date too when it is not the reference's day."""
    local = moment.astimezone(tz)
    if local.date() == reference.astimezone(tz).date():
        return format_datetime(local, "HH:mm", locale=babel_locale())
    return format_datetime(local, "dd MMM HH:mm", locale=babel_locale())


# The rules' word for a free re-entry; the gate knows a re-entry in the service's answer by it.
REENTRY_WORDS = N_("Re-entry")


def reject(reason: Reason, message: str) -> Decision:
    return Decision(verdict=Verdict.REJECT, reason=reason, message=message)


def reject_invalid(message: str | None = None) -> Decision:
    return reject(Reason.INVALID, _("Not a valid ticket") if message is None else message)


PassageOrder = tuple[datetime, int, str]


def passage_order(scanned_at: datetime, device_id: int | None, nonce: str) -> PassageOrder:
    """The order in which a ticket's admissions count, whatever order they reached the service
    in: scan time, then the device (its id), then the nonce. An admission is judged against
    the admissions before it; the later-scanned of two is the extra one."""
    return (scanned_at, device_id or 0, nonce)


def admitted_anyway(server: Decision, online: bool) -> Decision:
    """An admission the rules refuse: the person went in, flagged with the reason it was wrong."""
    but = _("Admitted online, but: {problem}") if online else _("Admitted offline, but: {problem}")
    return Decision(verdict=Verdict.ADMIT, reason=server.reason, message=but.format(problem=server.message))


def decide(
    ticket: TicketFacts,
    passages: Sequence[AdmittedPassage],
    gate: GateInfo,
    direction: Direction,
    at: datetime,
    tz: ZoneInfo,
) -> Decision:
    """ADMIT or REJECT `ticket` at `gate` at instant `at`, given its admitted passages."""
    if direction is Direction.OUT:
        return Decision(verdict=Verdict.ADMIT, reason=Reason.OK, message=_("Exit"))
    return (
        _check_status(ticket)
        or _check_place(ticket, gate)
        or _check_event(ticket, at, tz)
        or _check_validity(ticket, passages, at, tz)
        or _check_entries(ticket, passages, gate, at, tz)
    )


def _check_status(ticket: TicketFacts) -> Decision | None:
    if ticket.void:
        return reject(Reason.VOID, _("Ticket is void: {why}").format(why=ticket.void_reason or _("revoked")))
    return None


def _check_place(ticket: TicketFacts, gate: GateInfo) -> Decision | None:
    if gate.event_id is not None and ticket.event is not None and ticket.event.event_id != gate.event_id:
        return reject(
            Reason.WRONG_EVENT, _("Ticket is for another event: {event}").format(event=ticket.event.name)
        )
    rules = ticket.template
    if rules.allowed_zones and gate.zone not in rules.allowed_zones:
        # Staff know their gate by name; the zone says why, the allowed zones where to send the guest.
        zones = ", ".join(rules.allowed_zones)
        wrong = _("Not valid at {gate} (zone {zone}): valid in {zones}")
        return reject(Reason.WRONG_GATE, wrong.format(gate=gate.name, zone=gate.zone, zones=zones))
    if rules.allowed_gates and gate.name not in rules.allowed_gates:
        wrong = _("Not valid at {gate}: use {gates}")
        return reject(Reason.WRONG_GATE, wrong.format(gate=gate.name, gates=", ".join(rules.allowed_gates)))
    return None


def _check_event(ticket: TicketFacts, at: datetime, tz: ZoneInfo) -> Decision | None:
    event = ticket.event
    if event is None:
        return None
    # Arithmetic in UTC: on a datetime in the venue's ZoneInfo, `- timedelta` is wall-clock
    # arithmetic and would shift the doors by an hour on a DST night.
    doors = event.starts_at.astimezone(UTC) - timedelta(minutes=event.doors_open_minutes)
    today = at.astimezone(tz).date()
    first_day = min(doors, event.starts_at).astimezone(tz).date()  # doors may open the evening before
    last_day = (event.ends_at.astimezone(UTC) - timedelta(microseconds=1)).astimezone(tz).date()
    if not first_day <= today <= last_day:
        when = format_datetime(event.starts_at.astimezone(tz), "EEE dd MMM yyyy HH:mm", locale=babel_locale())
        return reject(
            Reason.EVENT_NOT_TODAY, _("{event} is on {when}, not today").format(event=event.name, when=when)
        )
    if at < doors:
        return reject(
            Reason.NOT_YET_VALID, _("Doors open at {time}").format(time=local_clock(doors, tz, doors))
        )
    if at >= event.ends_at:
        ended = local_clock(event.ends_at, tz, event.ends_at)
        return reject(Reason.EXPIRED, _("{event} ended at {time}").format(event=event.name, time=ended))
    return None


def _check_validity(
    ticket: TicketFacts, passages: Sequence[AdmittedPassage], at: datetime, tz: ZoneInfo
) -> Decision | None:
    if ticket.valid_from is not None and at < ticket.valid_from:
        return reject(
            Reason.NOT_YET_VALID, _("Valid from {time}").format(time=local_clock(ticket.valid_from, tz, at))
        )
    if ticket.valid_until is not None and at >= ticket.valid_until:
        return reject(
            Reason.EXPIRED, _("Expired at {time}").format(time=local_clock(ticket.valid_until, tz, at))
        )
    rules = ticket.template
    if rules.validity_mode is ValidityMode.DAYS_FROM_FIRST_USE and rules.validity_days:
        used = first_use(ticket, passages)
        if used is not None:
            until = end_of_local_day(used, rules.validity_days, tz)
            if at >= until:
                return reject(Reason.EXPIRED, _("Expired at {time}").format(time=local_clock(until, tz, at)))
    return None


def _check_entries(
    ticket: TicketFacts,
    passages: Sequence[AdmittedPassage],
    gate: GateInfo,
    at: datetime,
    tz: ZoneInfo,
) -> Decision:
    rules = ticket.template
    history = replay_zone(passages, gate.zone, rules.reentry_allowed, tz)
    used = history.entries_used + ticket.entries_carried
    limit = rules.max_entries
    if free_reentry(history, rules.reentry_allowed, at, tz):
        left = None if limit is None else max(limit - used, 0)
        return Decision(
            verdict=Verdict.ADMIT,
            reason=Reason.OK,
            message=_(REENTRY_WORDS),
            entries_left=left,
            reentry=True,
        )
    if limit is not None and used >= limit:
        return _reject_used_up(history, limit, at, tz)
    left = None if limit is None else limit - used - 1
    return Decision(verdict=Verdict.ADMIT, reason=Reason.OK, message=welcome_words(left), entries_left=left)


def _reject_used_up(history: ZoneHistory, limit: int, at: datetime, tz: ZoneInfo) -> Decision:
    if limit > 1:
        return reject(Reason.ENTRIES_EXHAUSTED, _("All {limit} entries used").format(limit=limit))
    last = history.last_entry
    if history.exited_since_entry:
        return reject(Reason.REENTRY_NOT_ALLOWED, _("Left already: re-entry is not allowed"))
    if last is None:  # every entry was used on the ticket this one replaced
        return reject(Reason.ALREADY_USED, _("Already used (before the ticket was reissued)"))
    return reject(
        Reason.ALREADY_USED,
        _("Already used at {gate} at {time}").format(
            gate=last.gate_name, time=local_clock(last.scanned_at, tz, at)
        ),
    )
