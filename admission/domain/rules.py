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

from admission.domain import custom_rules
from admission.domain.model import (
    AdmittedPassage,
    Decision,
    Direction,
    GateInfo,
    Reason,
    TemplateRules,
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
    # Entries that used an entry (not free re-entries), per venue day: the daily and day limits.
    entries_by_day: dict[date, int] = msgspec.field(default_factory=dict)


def replay_zone(
    passages: Sequence[AdmittedPassage], zone: str, reentry_allowed: bool, tz: ZoneInfo
) -> ZoneHistory:
    history = ZoneHistory()
    for passage in sorted(passages, key=replay_order):
        if enters_zone(passage, zone):
            if not free_reentry(history, reentry_allowed, passage.scanned_at, tz):
                history.entries_used += 1
                day = passage.scanned_at.astimezone(tz).date()
                history.entries_by_day[day] = history.entries_by_day.get(day, 0) + 1
            history.inside = True
            history.exited_since_entry = False
            history.last_entry = passage
            if history.first_entry_at is None:
                history.first_entry_at = passage.scanned_at
        elif leaves_zone(passage, zone) and history.last_entry is not None:
            history.inside = False
            history.exited_since_entry = True
    return history


def replay_order(passage: AdmittedPassage) -> tuple[datetime, str, str, str, str]:
    """Time order, and for passages of one instant an order of their own content: the service
    and a gate hold a ticket's passages in different orders, and must replay them alike."""
    p = passage
    return (p.scanned_at, p.direction.value, p.gate_name, p.zone, p.from_zone or "")


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
    # Before the place and the rules: whatever else is wrong, the guest goes to the box office first.
    if not ticket.paid and not ticket.template.allow_pending_entry:
        return reject(Reason.UNPAID, _("Payment pending: the guest pays at the box office, then enters"))
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
    rules = ticket.template
    before_start = rules.entry_minutes_before_start
    after_end = rules.entry_minutes_after_end or 0
    # Arithmetic in UTC: on a datetime in the venue's ZoneInfo, `- timedelta` is wall-clock
    # arithmetic and would shift the doors by an hour on a DST night.
    doors = event.starts_at.astimezone(UTC) - timedelta(
        minutes=event.doors_open_minutes if before_start is None else before_start
    )
    closes = event.ends_at.astimezone(UTC) + timedelta(minutes=after_end)
    today = at.astimezone(tz).date()
    first_day = min(doors, event.starts_at).astimezone(tz).date()  # doors may open the evening before
    last_day = (closes - timedelta(microseconds=1)).astimezone(tz).date()
    if not first_day <= today <= last_day:
        when = format_datetime(event.starts_at.astimezone(tz), "EEE dd MMM yyyy HH:mm", locale=babel_locale())
        return reject(
            Reason.EVENT_NOT_TODAY, _("{event} is on {when}, not today").format(event=event.name, when=when)
        )
    if before_start is not None and at < doors:
        return reject(
            Reason.OUTSIDE_ENTRY_WINDOW,
            _("Entry opens {minutes} min before the start: again from {when}").format(
                minutes=before_start, when=local_clock(doors, tz, at)
            ),
        )
    if after_end and at >= closes:
        return reject(
            Reason.OUTSIDE_ENTRY_WINDOW,
            _("Entry closed {minutes} min after the end, at {when}").format(
                minutes=after_end, when=local_clock(closes, tz, at)
            ),
        )
    if at < doors:
        return reject(
            Reason.NOT_YET_VALID, _("Doors open at {time}").format(time=local_clock(doors, tz, doors))
        )
    if at >= closes:
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
        refused_by_rule = _check_custom_rule(ticket, history, gate, at, tz)
        if refused_by_rule is not None:
            return refused_by_rule
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
    refused = _check_entry_rules(rules, history, at, tz) or _check_custom_rule(ticket, history, gate, at, tz)
    if refused is not None:
        return refused
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


def _check_entry_rules(
    rules: TemplateRules, history: ZoneHistory, at: datetime, tz: ZoneInfo
) -> Decision | None:
    """Anti-passback, the minimum interval, the distinct entry days and the daily limit, in the
    zone of the gate; each refusal says which rule refused and, when it is known, from when the
    ticket is admitted again (venue time)."""
    last = history.last_entry
    if rules.exit_required and history.inside and last is not None:
        return reject(
            Reason.EXIT_REQUIRED,
            _("Inside already since {when} ({gate}): scan the exit first").format(
                when=local_clock(last.scanned_at, tz, at), gate=last.gate_name
            ),
        )
    interval = rules.min_minutes_between_entries
    # A recorded exit shows the ticket left with its holder: the interval stops a ticket passed
    # back over the fence, which leaves no exit.
    if interval and last is not None and not history.exited_since_entry:
        again = last.scanned_at.astimezone(UTC) + timedelta(minutes=interval)
        if at < again:
            return reject(
                Reason.TOO_SOON,
                _("Entered {minutes} min ago; the minimum is {interval} min: again from {when}").format(
                    minutes=max(int((at - last.scanned_at).total_seconds() // 60), 0),
                    interval=interval,
                    when=local_clock(_whole_minute_up(again), tz, at),
                ),
            )
    today = at.astimezone(tz).date()
    days = rules.max_entry_days
    if days is not None and today not in history.entries_by_day and len(history.entries_by_day) >= days:
        return reject(
            Reason.ENTRY_DAYS_USED,
            _("All {days} entry days used: {dates}").format(
                days=days, dates=", ".join(f"{d:%d %b}" for d in sorted(history.entries_by_day))
            ),
        )
    per_day = rules.max_entries_per_day
    if per_day is not None and history.entries_by_day.get(today, 0) >= per_day:
        tomorrow = datetime.combine(today + timedelta(days=1), time.min, tzinfo=tz)
        next_time = _("Again from {when}").format(when=local_clock(tomorrow, tz, at))
        if days is not None and len(history.entries_by_day) >= days:
            next_time = _("No entry days left")  # today was the last one
        return reject(
            Reason.DAILY_LIMIT,
            _("All {count} entries of today used. {again}").format(count=per_day, again=next_time)
            if per_day > 1
            else _("Today's entry is used. {again}").format(again=next_time),
        )
    return None


def _check_custom_rule(
    ticket: TicketFacts, history: ZoneHistory, gate: GateInfo, at: datetime, tz: ZoneInfo
) -> Decision | None:
    """The template's own rule, last: it applies to every entry, a free re-entry too, and its
    refusal names the part of the rule that does not hold (docs/entry-rules.md)."""
    text = ticket.template.custom_rule
    if text is None:
        return None
    try:
        rule = custom_rules.cached_rule(text)
    except custom_rules.RuleError as exc:
        # Saved rules are checked, so only a rule from a newer release gets here: refuse rather
        # than admit on a rule this gate cannot read, and say so.
        unreadable = _("This gate cannot read the template's rule: {error}")
        return reject(Reason.CUSTOM_RULE, unreadable.format(error=exc))
    failing = custom_rules.failing_part(rule, custom_rule_context(ticket, history, gate, at, tz))
    if failing is None:
        return None
    return reject(Reason.CUSTOM_RULE, _("Rule not met: {rule}").format(rule=custom_rules.rule_words(failing)))


def custom_rule_context(
    ticket: TicketFacts, history: ZoneHistory, gate: GateInfo, at: datetime, tz: ZoneInfo
) -> custom_rules.RuleContext:
    """What a custom rule reads of this entry: counted in the gate's zone like the other rules,
    before this entry (an entry that would be the third today sees entries today = 2)."""
    local = at.astimezone(tz)
    first_entries = [m for m in (history.first_entry_at, ticket.first_used_at) if m is not None]
    first = min(first_entries) if first_entries else None
    last = history.last_entry
    return custom_rules.RuleContext(
        weekday=local.isoweekday(),
        minute_of_day=local.hour * 60 + local.minute,
        zone=gate.zone,
        gate=gate.name,
        entries_today=history.entries_by_day.get(local.date(), 0),
        entries_total=history.entries_used + ticket.entries_carried,
        days_since_first_entry=None if first is None else (local.date() - first.astimezone(tz).date()).days,
        minutes_since_last_entry=(
            None if last is None else max(int((at - last.scanned_at).total_seconds() // 60), 0)
        ),
        attributes=ticket.attributes,
    )


def _whole_minute_up(moment: datetime) -> datetime:
    """The first whole minute at or after `moment`: "again from 12:11" must not be refused at 12:11."""
    whole = moment.replace(second=0, microsecond=0)
    return whole if whole == moment else whole + timedelta(minutes=1)
