"""Hand-written vouchers registered at the till (Ctrl+R): when no till could take a card, the
seller wrote its number, the amount, the time and the voucher's number on the voucher pad. Here
they are typed in one after another, each field then Enter, and each voucher is answered at once
with what the service did: registered, flagged (with why: overdrawn, blocked), already registered,
or refused (with why: a mistyped number...). The service is the only judge (the card's ledger is
central), so this needs the server; offline the window says so and registers nothing."""

from __future__ import annotations

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import DataTable, Footer, Input, Static

from admission.contract import VoucherIn, VoucherOutcome, VoucherResult
from admission.domain.card_codes import mask_card_number
from admission.i18n import N_, _
from scanner_client.core.keys import speak_bindings
from scanner_client.core.money import format_money
from scanner_client.till.card_desk import CardDesk, CardProblem
from scanner_client.till.forms import parse_amount, parse_written_time
from scanner_client.till.sale import SaleProblem

VOUCHERS_KEY, VOUCHERS_WORDS = "ctrl+r", N_("Vouchers")
FIELDS = ("#voucher-card", "#voucher-amount", "#voucher-time", "#voucher-number")

OUTCOME_WORDS = {
    VoucherOutcome.REGISTERED: N_("registered"),
    VoucherOutcome.FLAGGED: N_("FLAGGED for the manager"),
    VoucherOutcome.DUPLICATE: N_("already registered: counted once"),
    VoucherOutcome.REFUSED: N_("REFUSED"),
}


class VoucherScreen(ModalScreen[None]):
    BINDINGS = [Binding("escape", "dismiss(None)", N_("Close"), priority=True)]

    def __init__(self, desk: CardDesk) -> None:
        super().__init__()
        speak_bindings(self)
        self.desk = desk
        self.answered: list[VoucherResult] = []  # newest last (tests read it)
        self.problems = 0  # answers the seller had to read as a problem (tests wait on it)

    def compose(self) -> ComposeResult:
        with Vertical(id="box"):
            yield Static(_("Hand-written vouchers: type each as written, Enter after each field."))
            yield Static("", id="voucher-online")
            yield Input(placeholder=_("Card number (16 digits, as written)"), id="voucher-card")
            yield Input(placeholder=_("Amount"), id="voucher-amount")
            yield Input(placeholder=_("Time written (12:05, or with its date)"), id="voucher-time")
            yield Input(
                placeholder=_("Voucher number (from the pad); Enter registers it"), id="voucher-number"
            )
            yield Static("", id="voucher-message")
            yield DataTable(id="voucher-results", cursor_type="row")
        yield Footer()

    def on_mount(self) -> None:
        table = self.query_one("#voucher-results", DataTable)
        table.add_columns(_("Voucher"), _("Card"), _("Amount"), _("Answer"), _("Why"))
        self.query_one("#voucher-card", Input).focus()
        self.show_connection()

    def show_connection(self) -> bool:
        online = self.desk.till.online
        line = self.query_one("#voucher-online", Static)
        line.set_classes("" if online else "error")
        line.update(
            ""
            if online
            else _("OFFLINE: vouchers are registered by the server only. Keep them until the till is online.")
        )
        return online

    @on(Input.Submitted, "#voucher-card")
    @on(Input.Submitted, "#voucher-amount")
    @on(Input.Submitted, "#voucher-time")
    def _next_field(self, event: Input.Submitted) -> None:
        following = FIELDS[FIELDS.index(f"#{event.input.id}") + 1]
        self.query_one(following, Input).focus()

    @on(Input.Submitted, "#voucher-number")
    def _register_submitted(self) -> None:
        self._register()

    def say(self, text: str, problem: bool = False, refused: bool = False) -> None:
        """A problem here (nothing was sent), or the service's answer (a refusal in red)."""
        message = self.query_one("#voucher-message", Static)
        message.set_classes("error" if problem or refused else "ok")
        message.update(text)
        self.problems += problem
        if problem or refused:
            self.app.bell()

    def _voucher(self) -> VoucherIn:
        values = {field: self.query_one(field, Input).value.strip() for field in FIELDS}
        card, amount_text, written, number = (values[f] for f in FIELDS)
        if not card:
            raise SaleProblem(_("Type the card number written on the voucher."))
        amount = parse_amount(amount_text)
        if not amount:
            raise SaleProblem(_("Type the amount written on the voucher."))
        if not number:
            raise SaleProblem(_("Type the voucher's number (printed on the pad)."))
        till = self.desk.till
        taken_at = parse_written_time(written, till.clock(), till.tz)
        return VoucherIn(voucher=number, card=card, amount_cents=amount, taken_at=taken_at)

    @work(exclusive=True, group="voucher", exit_on_error=False)
    async def _register(self) -> None:
        if not self.show_connection():
            self.say(_("Offline: nothing registered."), problem=True)
            return
        try:
            voucher = self._voucher()
            result = await self.desk.register_voucher(voucher)
        except (SaleProblem, CardProblem) as exc:
            self.say(str(exc), problem=True)
            self.show_connection()
            return
        self.show(result)

    def show(self, result: VoucherResult) -> None:
        self.answered.append(result)
        amount = format_money(result.amount_cents, result.currency or "")
        outcome = _(OUTCOME_WORDS[result.outcome])
        why = result.reason or ""
        if result.outcome is VoucherOutcome.FLAGGED and result.conflict_cents:
            to_settle = format_money(result.conflict_cents, result.currency or "")
            settle = _("{amount} to settle").format(amount=to_settle)
            why = f"{why} ({settle})" if why else settle
        card = mask_card_number(result.card) if result.card.isdigit() else result.card
        self.query_one("#voucher-results", DataTable).add_row(result.voucher, card, amount, outcome, why)
        words = _("Voucher {voucher}: {outcome}").format(voucher=result.voucher, outcome=outcome)
        refused = result.outcome is VoucherOutcome.REFUSED
        self.say(f"{words}: {why}" if why else words, refused=refused)
        if refused:  # the seller corrects what was mistyped and presses Enter again
            return
        for field in FIELDS:
            self.query_one(field, Input).value = ""
        self.query_one("#voucher-card", Input).focus()
