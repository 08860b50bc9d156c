"""The till's card window (Ctrl+G, or scan a card at the till): a card's balance, selling and
loading cards, paying out a stored-value card in cash, moving a lost card's balance to a new card,
and paying the current sale (or part of it) from a card. Every key is in the footer."""

from __future__ import annotations

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Footer, Input, Select, Static

from admission.contract import CardEntryResult, CardOut, StoredValuePart
from admission.domain.card_codes import format_card_number, mask_card_number
from admission.i18n import N_, _
from admission.i18n.formatting import date_time
from scanner_client.core.keys import speak_bindings
from scanner_client.core.money import format_money
from scanner_client.till.card_desk import CardDesk, CardProblem, card_ref
from scanner_client.till.forms import parse_amount
from scanner_client.till.offline_cards import OfflineCards
from scanner_client.till.sale import SaleProblem


class CardScreen(ModalScreen[StoredValuePart | None]):
    """Dismissed with the part of the sale a card pays (F8), or None."""

    BINDINGS = [
        Binding("escape", "close", N_("Close"), priority=True),
        Binding("f5", "sell_card", N_("Sell card"), priority=True),
        Binding("f6", "load", N_("Load"), priority=True),
        Binding("f7", "unload", N_("Pay out cash"), priority=True),
        Binding("f8", "pay_sale", N_("Pay sale"), priority=True),
        Binding("f9", "replace_lost", N_("Lost card"), priority=True),
    ]

    def __init__(self, desk: CardDesk, sale_due_cents: int, currency: str, ref: str = "") -> None:
        super().__init__()
        speak_bindings(self)
        self.desk = desk
        self.sale_due_cents = sale_due_cents
        self.currency = currency
        self.first_ref = ref
        self.card: CardOut | None = None
        self.offline_ref = ""
        self.done = 0  # operations finished (tests wait on it)

    def compose(self) -> ComposeResult:
        with Vertical(id="box"):
            yield Static(_("Gift and stored-value cards"))
            yield Input(
                self.first_ref, placeholder=_("Scan or type the card; Enter shows its balance"), id="card"
            )
            yield Input(placeholder=_("Amount (blank for a sale: what the card can pay of it)"), id="amount")
            yield Select[str]([], prompt=_("Card type (selling a card)"), id="card-type")
            yield Static("", id="card-info")
            yield Static("", id="card-message")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#card", Input).focus()
        self._load_types()
        if self.first_ref:
            self._show(self.first_ref)

    @work(group="card-types", exit_on_error=False)
    async def _load_types(self) -> None:
        try:
            types = await self.desk.types()
        except CardProblem as exc:
            self.say(str(exc), problem=True)
            return
        select = self.query_one("#card-type", Select)
        select.set_options([(t.name, t.name) for t in types if t.active])
        if types:
            select.value = types[0].name

    def say(self, text: str, problem: bool = False) -> None:
        message = self.query_one("#card-message", Static)
        message.set_classes("error" if problem else "ok")
        message.update(text)
        if problem:
            self.app.bell()

    def _ref(self) -> str:
        raw = self.query_one("#card", Input).value
        ref = card_ref(raw)
        if ref is None:
            raise CardProblem(_("Scan or type a card first (its code or its 16-digit number)."))
        return ref

    def _amount(self, required: bool = True) -> int | None:
        try:
            amount = parse_amount(self.query_one("#amount", Input).value)
        except SaleProblem as exc:
            raise CardProblem(str(exc)) from None
        if amount is None and required:
            raise CardProblem(_("Type the amount first."))
        return amount

    @on(Input.Submitted, "#card")
    def _card_submitted(self) -> None:
        self._show(self.query_one("#card", Input).value)

    @work(exclusive=True, group="card", exit_on_error=False)
    async def _show(self, raw: str) -> None:
        try:
            ref = card_ref(raw)
            if ref is None:
                raise CardProblem(_("This is no card: scan the card's code or type its 16-digit number."))
            if not self.desk.till.online:
                self.show_offline(ref)
            else:
                self.show_card(await self.desk.show(ref))
        except (CardProblem, SaleProblem) as exc:
            self.say(str(exc), problem=True)
            return
        self.done += 1

    def show_card(self, card: CardOut) -> None:
        self.card = card
        self.query_one("#card", Input).value = card.number
        tz = self.desk.till.tz
        lines = [
            f"{format_card_number(card.number)}  {card.card_type}",
            _("Balance: {amount}").format(amount=format_money(card.balance_cents, card.currency)),
        ]
        if card.status == "blocked":
            lines.append(_("BLOCKED: {reason}").format(reason=card.block_reason or ""))
        if card.replaced_by:
            lines.append(_("Balance moved to {number}").format(number=format_card_number(card.replaced_by)))
        if card.expires_at is not None:
            lines.append(_("Valid until {when}").format(when=date_time(card.expires_at, tz)))
        self.query_one("#card-info", Static).update("\n".join(lines))

    def show_offline(self, ref: str) -> int:
        """What this till knows of the card while offline; answers the balance it may count on."""
        _serial, standing, pin = OfflineCards(self.desk.till.store).standing(ref)
        if standing is None:
            raise CardProblem(_("This till does not know the card's balance: it cannot be taken offline."))
        self.offline_ref = ref
        last4 = OfflineCards(self.desk.till.store).last4(ref)
        lines = [
            _("OFFLINE: last known balance {amount}").format(
                amount=format_money(standing.balance_cents, standing.currency)
            )
        ]
        if last4 is not None:
            lines.insert(0, mask_card_number(last4))
        if standing.status == "blocked":
            lines.append(_("BLOCKED: {reason}").format(reason=""))
        if pin:
            lines.append(_("A card with a PIN cannot be taken offline."))
        self.query_one("#card-info", Static).update("\n".join(lines))
        return standing.balance_cents

    def _run(self, operation: str) -> None:
        self._operate(operation)

    @work(exclusive=True, group="card", exit_on_error=False)
    async def _operate(self, operation: str) -> None:
        try:
            result = await self._do(operation)
        except CardProblem as exc:
            self.say(str(exc), problem=True)
            return
        self.show_card(result.card)
        self.query_one("#amount", Input).value = ""
        amount = format_money(abs(result.entry.amount_cents), result.card.currency)
        words = {
            "sell": _("Card sold with {amount}: hand it over."),
            "load": _("Loaded {amount}: take it in cash."),
            "unload": _("Paid out {amount} in cash."),
            "replace": _("The lost card is blocked; {amount} moved to the new card above: hand it over."),
        }
        self.say(words[operation].format(amount=amount))
        self.done += 1

    async def _do(self, operation: str) -> CardEntryResult:
        if operation == "sell":
            card_type = self.query_one("#card-type", Select).value
            if not isinstance(card_type, str):
                raise CardProblem(_("Choose the card type first."))
            return await self.desk.sell(card_type, self._amount() or 0)
        ref = self._ref()
        if operation == "load":
            return await self.desk.load(ref, self._amount() or 0)
        if operation == "unload":
            return await self.desk.unload(ref, self._amount() or 0)
        return await self.desk.replace_lost(ref)

    def action_sell_card(self) -> None:
        self._run("sell")

    def action_load(self) -> None:
        self._run("load")

    def action_unload(self) -> None:
        self._run("unload")

    def action_replace_lost(self) -> None:
        self._run("replace")

    def action_pay_sale(self) -> None:
        """The card pays the typed amount of the sale, or as much of it as it holds; the sale's own
        payment takes the rest. The card is charged with the sale, in one transaction."""
        try:
            ref = self._ref()
            if not self.desk.till.online:  # the card's code, checked against the caps when selling
                balance, number = self.show_offline(ref), ref
            else:
                card = self.card if self.card is not None and self.card.number == ref else None
                if card is None:
                    raise CardProblem(_("Press Enter first to see the card's balance."))
                balance, number = card.balance_cents, card.number
            if self.sale_due_cents <= 0:
                raise CardProblem(_("The cart is empty: add the tickets first."))
            amount = self._amount(required=False)
            if amount is None:
                amount = min(balance, self.sale_due_cents)
            if amount <= 0:
                raise CardProblem(_("This card holds nothing to pay with."))
            if amount > self.sale_due_cents:
                raise CardProblem(_("The card cannot pay more than the sale's total."))
        except (CardProblem, SaleProblem) as exc:
            self.say(str(exc), problem=True)
            return
        self.dismiss(StoredValuePart(card=number, amount_cents=amount))

    def action_close(self) -> None:
        self.dismiss(None)
