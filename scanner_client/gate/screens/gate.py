"""The gate's own screen: status bar, notices, the verdict panel, today's counters and the scan
input that the keyboard-wedge scanner types into. It shows what the app hands it; it reads
nothing itself.

It is the app's default screen, and the app composes it from `GateScreen.widgets()` (Textual
fills the default screen with the app's compose), so its widgets exist as soon as the app mounts.
"""

from __future__ import annotations

from zoneinfo import ZoneInfo

from textual.app import ComposeResult
from textual.containers import Vertical
from textual.screen import Screen
from textual.widgets import Footer, Input, Static

from admission.domain.codes import TICKET_NUMBER_LENGTH, format_ticket_number, normalise_scan
from admission.domain.model import Direction, Reason
from admission.domain.wording import entries_words, reason_words, welcome_words
from admission.i18n import N_, _
from admission.i18n.formatting import clock
from scanner_client.gate.bigtext import big
from scanner_client.gate.outcome import ScanOutcome
from scanner_client.gate.passages import GateCounters
from scanner_client.gate.words import direction_words, mode_words

# Why the gate refused to decide a scan at all (ScanOutcome.blocked), as its headline.
BLOCKED_HEADLINES = {
    "device_revoked": N_("This gate was revoked"),
    "offline_limit": N_("Offline for too long: not admitting"),
}


class GateScreen(Screen[None]):
    @staticmethod
    def widgets() -> ComposeResult:
        yield Static("", id="status")
        yield Static("", id="notice")
        with Vertical(id="verdict", classes="idle"):
            yield Static(big(""), id="word")
            yield Static(_("Ready: scan a ticket"), id="headline")
            yield Static("", id="detail")
        yield Static("", id="counters")
        yield Input(placeholder=_("Scan or type a ticket code, then Enter"), id="scan")
        yield Footer()

    def show_checking(self, code: str) -> None:
        """A scan is being decided: the last verdict must not stay on screen meanwhile."""
        self.query_one("#verdict", Vertical).set_classes("checking")
        self.query_one("#word", Static).update(big(_("CHECKING")))
        self.query_one("#headline", Static).update(_("Checking…"))
        self.query_one("#detail", Static).update(glimpse(code))

    def show_idle(self, headline: str) -> None:
        self.query_one("#verdict", Vertical).set_classes("idle")
        self.query_one("#word", Static).update(big(""))
        self.query_one("#headline", Static).update(headline)
        self.query_one("#detail", Static).update("")

    def show_blocked(self, headline: str, detail: str) -> None:
        """The gate will not admit anyone (revoked, or offline past the venue's limit): why, and
        what to do next, in place of a verdict."""
        self.query_one("#verdict", Vertical).set_classes("reject")
        self.query_one("#word", Static).update(big("REJECT"))
        self.query_one("#headline", Static).update(headline)
        self.query_one("#detail", Static).update(detail)

    def show_outcome(self, outcome: ScanOutcome, tz: ZoneInfo) -> None:
        if outcome.blocked:
            self.show_blocked(_(BLOCKED_HEADLINES.get(outcome.blocked, "Not admitted")), outcome.message)
            return
        self.query_one("#verdict", Vertical).set_classes("admit" if outcome.admitted else "reject")
        self.query_one("#word", Static).update(big(_("ADMIT") if outcome.admitted else _("REJECT")))
        details: list[str] = []
        if outcome.admitted and not outcome.override and outcome.reason is Reason.OK:
            headline = admission_words(outcome)
        elif outcome.admitted and not outcome.override:
            headline = outcome.message  # admitted although the rules refuse: the message says why
        else:
            headline = reason_words(outcome.reason)
            if outcome.override and outcome.admitted:
                headline = _("Supervisor override ({reason})").format(reason=headline)
            details = [outcome.message]
            if outcome.reason is Reason.INVALID:  # a misread or a stranger's code: what was read
                details.append(_("scanned: {code}").format(code=glimpse(outcome.code)))
        self.query_one("#headline", Static).update(headline)
        if outcome.template_name:
            details.append(outcome.template_name)
        if outcome.entries_left is not None and outcome.admitted:  # a refusal's headline says why
            details.append(entries_words(outcome.entries_left))
        when = clock(outcome.scanned_at, tz)
        details.append(f"{when} · {direction_words(outcome.direction)} · {mode_words(outcome.mode)}")
        self.query_one("#detail", Static).update("\n".join(details))

    def show_status(self, online: bool, parts: list[str], *, clock_skewed: bool = False) -> None:
        status = self.query_one("#status", Static)
        status.set_classes(["online" if online else "offline", *(["clock-skewed"] if clock_skewed else [])])
        status.update("  ·  ".join(parts))

    def show_notices(self, notices: list[str]) -> None:
        notice = self.query_one("#notice", Static)
        notice.display = bool(notices)
        notice.update("\n".join(notices))

    def show_counters(self, gate: str, c: GateCounters) -> None:
        # Entries and exits apart: an exit is not a visitor let in.
        counts = _("in {entered}   out {exited}   refused {refused}").format(
            entered=c.entered, exited=c.exited, refused=c.rejected
        )
        self.query_one("#counters", Static).update(
            _("Today at {gate}:  {counts}").format(gate=gate, counts=counts)
        )


def admission_words(outcome: ScanOutcome) -> str:
    """The headline of a plain admission in the gate's own words. The service answers in
    English, so the words come from the verdict's facts, not from its message."""
    if outcome.direction is Direction.OUT:
        return _("Exit")
    if outcome.reentry:
        return _("Re-entry")
    return welcome_words(outcome.entries_left)


def glimpse(code: str) -> str:
    """A scanned code short enough to read on the gate's screen."""
    text = normalise_scan(code) or code.strip()
    if len(text) == TICKET_NUMBER_LENGTH and text.isdigit():
        return format_ticket_number(text)
    return text if len(text) <= 24 else f"{text[:10]}…{text[-8:]}"
