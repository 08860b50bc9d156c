"""A sale as the seller sees it: the cart and its events, what came of it, and the ways a sale
does not happen (each said in words for the seller; nothing was recorded when one is raised)."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from zoneinfo import ZoneInfo

from babel.dates import format_datetime

from admission.contract import MAX_LINE_QUANTITY, EventData, TemplateData, TicketOut
from admission.domain.model import TemplateKind
from admission.i18n import _, babel_locale, ngettext
from scanner_client.till.printing import IssuedTicket
from scanner_client.till.receipts import ReceiptFiles
from scanner_client.till.store import LocalSale


class SaleProblem(Exception):
    """A sale (or refund) the till did not make, in words for the seller. Nothing was recorded."""


class OfflineEventRefused(SaleProblem):
    """Event tickets while offline: refused, with the fallback entry templates to offer instead."""

    def __init__(self, message: str, fallbacks: Sequence[TemplateData]) -> None:
        super().__init__(message)
        self.fallbacks = list(fallbacks)

    @classmethod
    def offering(cls, fallbacks: Sequence[TemplateData], *, at_hub: bool = False) -> OfflineEventRefused:
        offer = "; ".join(f"{f.name} (PLU {f.plu})" if f.plu else f.name for f in fallbacks)
        refused = (
            _(
                "Event tickets cannot be sold through the venue hub: "
                "the central server must check the seats left."
            )
            if at_hub
            else _("Event tickets cannot be sold offline: the server must check the seats left.")
        )
        instead = (
            _("Sell the fallback entry ticket instead: {offer}.").format(offer=offer)
            if offer
            else _("No fallback ticket is set up.")
        )
        return cls(f"{refused} {instead}", fallbacks)


class SaleDeclined(SaleProblem):
    """The service refused the sale (sold out, template withdrawn, ...): nothing was sold."""


class SaleUncertain(SaleProblem):
    """The service did not answer: the sale was not completed here and is checked later."""


@dataclass(frozen=True, slots=True)
class CartLine:
    template: TemplateData
    quantity: int
    event: EventData | None = None

    @property
    def total_cents(self) -> int:
        return self.quantity * self.template.price_cents

    def describe(self) -> str:
        return f"{self.template.name} — {self.event.name}" if self.event else self.template.name


def check_cart(lines: Sequence[CartLine], *, online: bool) -> tuple[int, str]:
    """(total, currency) of a cart the till can try to sell, or SaleProblem saying why not."""
    if not lines:
        raise SaleProblem(_("the cart is empty: add a ticket first"))
    for line in lines:
        if not 1 <= line.quantity <= MAX_LINE_QUANTITY:
            raise SaleProblem(
                _("quantity must be a whole number from 1 to {most}").format(most=MAX_LINE_QUANTITY)
            )
        if line.template.kind is TemplateKind.EVENT and line.event is None and online:
            raise SaleProblem(_("{ticket}: choose the event").format(ticket=line.template.name))
    currencies = {line.template.currency for line in lines}
    if len(currencies) > 1:
        raise SaleProblem(
            _("one sale, one currency: the cart mixes {currencies}").format(
                currencies=", ".join(sorted(currencies))
            )
        )
    return sum(line.total_cents for line in lines), currencies.pop()


@dataclass(frozen=True, slots=True)
class EventChoice:
    event: EventData
    remaining: int | None  # None: no capacity limit (or unknown, when not live)
    live: bool = True  # False: from the snapshot while offline, seats unknown
    leased: bool = False  # offline, sold on this till's lease: `remaining` is what the lease has left

    def label(self, tz: ZoneInfo) -> str:
        start = format_datetime(self.event.starts_at, "EEE d MMM HH:mm", tzinfo=tz, locale=babel_locale())
        if self.leased:
            left = ngettext(
                "{count} seat left on the lease", "{count} seats left on the lease", self.remaining or 0
            ).format(count=self.remaining or 0)
        elif not self.live:
            left = _("offline: seats unknown")
        elif self.remaining is None:
            left = _("no limit")
        else:
            left = ngettext("{count} seat left", "{count} seats left", self.remaining).format(
                count=self.remaining
            )
        return f"{self.event.name} · {start} · {left}"


@dataclass(frozen=True, slots=True)
class SaleResult:
    local: LocalSale
    tickets: list[IssuedTicket]
    ticket_files: list[Path]
    receipt_files: list[Path]
    change_cents: int
    offline: bool
    server_id: int | None
    receipt: ReceiptFiles | None = None  # to print or e-mail after the sale
    through_hub: bool = False  # signed here and acknowledged by the venue hub


def issued_from(ticket: TicketOut) -> IssuedTicket:
    """The ticket as the service issued it, with the fields the till prints."""
    return IssuedTicket(**{f.name: getattr(ticket, f.name) for f in dataclasses.fields(IssuedTicket)})
