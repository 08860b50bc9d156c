"""After the sale, at the till: refund a whole sale, reissue a lost ticket or card, or mark a
ticket issued unpaid as paid. Each changes tickets at every gate, so each needs the service;
offline they are refused with a reason."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

from admission.contract import RefundIn, SaleOut, TicketOut
from admission.i18n import _
from scanner_client.core.remote import ServerRefused, ServerUnavailable, problem_text
from scanner_client.till.printer import sale_tender_words
from scanner_client.till.printing import IssuedTicket
from scanner_client.till.receipts import Receipt, ReceiptCardPart, ReceiptLine
from scanner_client.till.remote import BoxOfficeRemote
from scanner_client.till.sale import SaleProblem, issued_from

if TYPE_CHECKING:
    from scanner_client.till.till import Till

T = TypeVar("T")


def _require_online(till: Till, what: str) -> BoxOfficeRemote:
    if not till.online or till.remote is None:
        raise SaleProblem(
            _("{what} needs the server (it changes tickets at every gate): try again when online").format(
                what=what
            )
        )
    return till.remote


async def _call(till: Till, call: Awaitable[T]) -> T:
    try:
        return await call
    except ServerUnavailable as exc:
        till.go_offline(str(exc))
        raise SaleProblem(
            _("No answer from the server: nothing was changed. Try again when online.")
        ) from exc
    except ServerRefused as exc:
        raise SaleProblem(problem_text(exc)) from exc


async def find_sale(till: Till, ref: str) -> SaleOut:
    """A sale by its service id ("S123" or "123") or by one of its tickets (number or code)."""
    remote = _require_online(till, _("Looking up a sale"))
    text = ref.strip()
    if text.upper().removeprefix("S").isdigit() and len(text) <= 10:
        return await _call(till, remote.sale(int(text.upper().removeprefix("S"))))
    found = await _call(till, remote.sales_by_ticket(text))
    if not found:
        raise SaleProblem(_("this ticket was not sold at a box office (no sale holds it)"))
    return found[0]


async def refund_sale(
    till: Till, sale: SaleOut, *, include_used: bool = False, reason: str = "refunded"
) -> SaleOut:
    """Refund a whole sale, found (and shown to the seller) with `find_sale`: its tickets become
    void at every gate. Writes a refund receipt."""
    remote = _require_online(till, _("A refund"))
    # Kept in the store until the service answers: a refund sent again after a lost answer (even
    # after a restart) goes under the same nonce, and the service answers it as the first time.
    key = _refund_nonce_key(sale.id)
    nonce = till.store.get_config(key) or till.store.new_nonce(f"{till.device}-refund")
    till.store.set_config(**{key: nonce})
    request = RefundIn(reason=reason, include_used=include_used, nonce=nonce)
    try:
        refunded = await remote.refund(sale.id, request)
    except ServerUnavailable as exc:
        till.go_offline(str(exc))
        raise SaleProblem(
            _(
                "No answer from the server: the refund may or may not have been made. Refund the "
                "sale again when online: it is refunded once, and its receipt is written then."
            )
        ) from exc
    except ServerRefused as exc:  # nothing was done under this nonce: the next attempt is new
        till.store.set_config(**{key: None})
        raise SaleProblem(problem_text(exc)) from exc
    till.store.set_config(**{key: None})
    venue = till.printer.details
    rates = {t.id: t.vat_rate for t in till.templates().values()}
    receipt = Receipt(
        venue=venue,
        device=till.device,
        reference=f"S{sale.id}",
        sold_at=till.clock(),
        lines=[
            ReceiptLine(
                line.template,
                line.quantity,
                -line.unit_price_cents,
                venue.rate_for(rates.get(line.template_id)),
            )
            for line in sale.lines
        ],
        currency=sale.currency,
        payment=sale_tender_words(till.payment_config, refunded),
        card_parts=[
            ReceiptCardPart(part.refunded_to or part.card_number, part.refunded_cents)
            for part in refunded.card_parts
            if part.refunded_cents
        ],
        tendered_cents=0,
        change_cents=0,
        offline=False,
        tickets=[],
        refund_of=f"S{sale.id}",
    )
    till.last_receipt = await asyncio.to_thread(till.printer.refund, receipt)
    till.notify()
    return refunded


def _refund_nonce_key(sale_id: int) -> str:
    return f"refund_nonce_{sale_id}"


def refund_unanswered(till: Till, sale_id: int) -> bool:
    """Whether this till sent a refund of the sale and never got the answer (its nonce is kept)."""
    return till.store.get_config(_refund_nonce_key(sale_id)) is not None


async def reissue_ticket(till: Till, ref: str) -> tuple[IssuedTicket, list[Path]]:
    """A lost ticket or card: a new one carries over what is left; the old one is void for good."""
    remote = _require_online(till, _("A reissue"))
    new = issued_from(await _call(till, remote.reissue(ref.strip())))
    if new.template_id not in till.templates():
        await till.pull_changes()
    return new, await asyncio.to_thread(till.printer.reissued, new)


async def mark_paid(till: Till, ref: str) -> TicketOut:
    """A ticket issued unpaid (pay later, invoice) is paid: every gate admits it from its next feed
    read, within seconds while online. The ticket is named by its scanned code or its number."""
    remote = _require_online(till, _("Marking a ticket paid"))
    text = ref.strip()
    if not text:
        raise SaleProblem(_("scan the ticket or type its number first"))
    return await _call(till, remote.mark_paid(text))
