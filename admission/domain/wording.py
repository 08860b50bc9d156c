"""The words staff and managers read for the rules' reasons, shared by the gate, the reports
and the command line so that a refusal reads the same everywhere."""

from __future__ import annotations

from admission.domain.model import Reason
from admission.i18n import N_

REASON_WORDS: dict[Reason, str] = {
    Reason.OK: "Valid ticket",
    Reason.INVALID: "Not a valid ticket",
    Reason.VOID: "Ticket is void",
    Reason.ALREADY_USED: "Already used",
    Reason.NOT_YET_VALID: "Not valid yet",
    Reason.EXPIRED: "Expired",
    Reason.WRONG_EVENT: "Ticket for another event",
    Reason.EVENT_NOT_TODAY: "Event is not today",
    Reason.WRONG_GATE: "Wrong gate or zone",
    Reason.ENTRIES_EXHAUSTED: "No entries left",
    Reason.REENTRY_NOT_ALLOWED: "Re-entry not allowed",
    Reason.TURNED_AWAY: "Turned away",
    Reason.OUTSIDE_ENTRY_WINDOW: N_("Outside the entry window"),
    Reason.TOO_SOON: N_("Too soon after the last entry"),
    Reason.DAILY_LIMIT: N_("Entries for today used"),
    Reason.ENTRY_DAYS_USED: N_("All entry days used"),
    Reason.EXIT_REQUIRED: N_("Exit required before re-entry"),
}


def entries_words(left: int) -> str:
    """What remains on a ticket after an admission: "0 entries left" under a green ADMIT reads
    like a refusal to staff, so the last entry says so."""
    if left <= 0:
        return "Last entry on this ticket"
    return f"{left} more {'entry' if left == 1 else 'entries'} on this ticket"


def reason_words(reason: str) -> str:
    """The words for a stored reason; a reason this release does not know reads as itself."""
    try:
        return REASON_WORDS[Reason(reason)]
    except ValueError:
        return reason.replace("_", " ")


def duration_words(seconds: float) -> str:
    """'40 s', '3 min 20 s', '65 min': an outage of seconds must not read as '0 min'."""
    whole = round(seconds)
    if whole < 60:
        return f"{whole} s"
    minutes, rest = divmod(whole, 60)
    return f"{minutes} min {rest} s" if rest else f"{minutes} min"


def clock_offset_words(seconds: float) -> str:
    """A device's clock against the service's: '+45 s' (ahead), '-3 min 5 s' (behind), '+2 h 5 min',
    '-9131 days' (a PC whose clock battery died)."""
    sign, whole = ("+" if seconds >= 0 else "-"), round(abs(seconds))
    if whole < 3600:
        return sign + duration_words(whole)
    if whole < 86400:
        return f"{sign}{whole // 3600} h {whole % 3600 // 60} min"
    return f"{sign}{whole // 86400} days"
