"""The words staff and managers read for the rules' reasons, shared by the gate, the reports
and the command line so that a refusal reads the same everywhere (in the reader's language)."""

from __future__ import annotations

from admission.domain.model import Reason
from admission.i18n import N_, _, ngettext

REASON_WORDS: dict[Reason, str] = {
    Reason.OK: N_("Valid ticket"),
    Reason.INVALID: N_("Not a valid ticket"),
    Reason.VOID: N_("Ticket is void"),
    Reason.ALREADY_USED: N_("Already used"),
    Reason.NOT_YET_VALID: N_("Not valid yet"),
    Reason.EXPIRED: N_("Expired"),
    Reason.WRONG_EVENT: N_("Ticket for another event"),
    Reason.EVENT_NOT_TODAY: N_("Event is not today"),
    Reason.WRONG_GATE: N_("Wrong gate or zone"),
    Reason.ENTRIES_EXHAUSTED: N_("No entries left"),
    Reason.REENTRY_NOT_ALLOWED: N_("Re-entry not allowed"),
    Reason.TURNED_AWAY: N_("Turned away"),
    Reason.OUTSIDE_ENTRY_WINDOW: N_("Outside the entry window"),
    Reason.TOO_SOON: N_("Too soon after the last entry"),
    Reason.DAILY_LIMIT: N_("Entries for today used"),
    Reason.ENTRY_DAYS_USED: N_("All entry days used"),
    Reason.EXIT_REQUIRED: N_("Exit required before re-entry"),
    Reason.UNPAID: N_("Not paid yet"),
    Reason.CUSTOM_RULE: N_("Refused by the template's rule"),
}


def welcome_words(left: int | None) -> str:
    """The greeting of an admission: with the entries still left on a card, none on the last."""
    if left is None or left <= 0:
        return _("Welcome")
    return ngettext("Welcome: {count} entry left", "Welcome: {count} entries left", left).format(count=left)


def entries_words(left: int) -> str:
    """What remains on a ticket after an admission: "0 entries left" under a green ADMIT reads
    like a refusal to staff, so the last entry says so."""
    if left <= 0:
        return _("Last entry on this ticket")
    return ngettext("{count} more entry on this ticket", "{count} more entries on this ticket", left).format(
        count=left
    )


def reason_words(reason: str) -> str:
    """The words for a stored reason; a reason this release does not know reads as itself."""
    try:
        return _(REASON_WORDS[Reason(reason)])
    except ValueError:
        return reason.replace("_", " ")


def duration_words(seconds: float) -> str:
    """'40 s', '3 min 20 s', '65 min': an outage of seconds must not read as '0 min'."""
    whole = round(seconds)
    if whole < 60:
        return _("{seconds} s").format(seconds=whole)
    minutes, rest = divmod(whole, 60)
    if rest:
        return _("{minutes} min {seconds} s").format(minutes=minutes, seconds=rest)
    return _("{minutes} min").format(minutes=minutes)


def clock_offset_words(seconds: float) -> str:
    """A device's clock against the service's: '+45 s' (ahead), '-3 min 5 s' (behind), '+2 h 5 min',
    '-9131 days' (a PC whose clock battery died)."""
    sign, whole = ("+" if seconds >= 0 else "-"), round(abs(seconds))
    if whole < 3600:
        return sign + duration_words(whole)
    if whole < 86400:
        return sign + _("{hours} h {minutes} min").format(hours=whole // 3600, minutes=whole % 3600 // 60)
    days = whole // 86400
    return sign + ngettext("{count} day", "{count} days", days).format(count=days)
