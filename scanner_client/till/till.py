"""The till: sells online or offline with the same screen, keeps its queue, syncs when it can.

Online, a sale is the service's: it checks capacity and payment and issues the tickets, all or
nothing. Offline, the till sells entry tickets on its own: it checks the payment's offline rules
(shared with the service, `admission.domain.payments`), signs each ticket with its own Ed25519
key (which every gate learned from the change feed at enrollment, so they admit these tickets at
once, online or not), records the sale in its queue and prints. Event tickets need the central
capacity check, so offline they are refused with the fallback entry templates offered instead.

When the service is back the queue is posted oldest first, each sale under the nonce it was
recorded with: the service registers it once, whatever is re-sent. An online attempt whose answer
was lost is looked up by its nonce; if the service did record it, it is refunded, because nobody
got its tickets.

The catalogue (templates, events, issuer keys, venue), kept current from the change feed, the
till's configuration, its outages and its sales live in one store, `TillStore`.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TypeVar
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import httpx
import msgspec
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from admission.contract import (
    MAX_LINE_QUANTITY,
    EventData,
    RefundIn,
    SaleIn,
    SaleLineIn,
    SaleOut,
    TemplateData,
    TicketOut,
)
from admission.domain import payments
from admission.domain.codes import SignedTicket, new_serial, now_utc, sign_ticket
from admission.domain.model import TemplateKind
from admission.domain.payments import MethodStatus, PaymentConfig, PaymentIn, PaymentRefused
from admission.domain.templates import stamp_validity
from scanner_client.core.remote import ServerRefused, ServerUnavailable
from scanner_client.till.printing import (
    TICKET_FORMATS,
    IssuedTicket,
    Receipt,
    ReceiptLine,
    printable,
    write_receipt,
    write_tickets,
)
from scanner_client.till.remote import BoxOfficeRemote, problem_text
from scanner_client.till.store import LocalSale, TillStore

log = logging.getLogger(__name__)

Clock = Callable[[], datetime]
T = TypeVar("T")
FEED_PAGE = 5000
MAX_BACKOFF = 30.0


# ------------------------------------------------------------------ outcomes ------------


class SaleProblem(Exception):
    """A sale (or refund) the till did not make, in words for the seller. Nothing was recorded."""


class OfflineEventRefused(SaleProblem):
    """Event tickets while offline: refused, with the fallback entry templates to offer instead."""

    def __init__(self, message: str, fallbacks: Sequence[TemplateData]) -> None:
        super().__init__(message)
        self.fallbacks = list(fallbacks)


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


@dataclass(frozen=True, slots=True)
class EventChoice:
    event: EventData
    remaining: int | None  # None: no capacity limit (or unknown, when not live)
    live: bool = True  # False: from the snapshot while offline, seats unknown

    def label(self, tz: ZoneInfo) -> str:
        start = self.event.starts_at.astimezone(tz).strftime("%a %d %b %H:%M")
        if not self.live:
            left = "offline: seats unknown"
        else:
            left = "no limit" if self.remaining is None else f"{self.remaining} left"
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


@dataclass
class SyncReport:
    posted: int = 0
    refused: int = 0
    resolved: int = 0
    changes: int = 0
    errors: list[str] = field(default_factory=list)


def issued_from(ticket: TicketOut) -> IssuedTicket:
    return IssuedTicket(
        serial=ticket.serial,
        number=ticket.number,
        code=ticket.code,
        template_id=ticket.template_id,
        event_id=ticket.event_id,
        valid_from=ticket.valid_from,
        valid_until=ticket.valid_until,
    )


# ------------------------------------------------------------------ the till ------------


class Till:
    def __init__(
        self,
        store: TillStore,
        remote: BoxOfficeRemote | None,
        signing_key: Ed25519PrivateKey | None,
        output_dir: Path,
        *,
        clock: Clock = now_utc,
        ticket_formats: Sequence[str] = TICKET_FORMATS,
        probe_interval: float = 3.0,
        feed_wait: float = 20.0,
    ) -> None:
        self.store = store
        self.remote = remote
        self.signing_key = signing_key
        self.output_dir = output_dir
        self.clock = clock
        self.ticket_formats = tuple(ticket_formats)
        self.probe_interval = probe_interval
        self.feed_wait = feed_wait
        self.problem: str | None = None  # shown in the status bar (e.g. "token refused")
        self._online = asyncio.Event()
        self._offline = asyncio.Event()
        self._sync_wanted = asyncio.Event()
        self._sale_lock = asyncio.Lock()
        self._listeners: list[Callable[[], None]] = []
        store.mark_interrupted()
        # A restart during an outage stays offline until the service answers a probe.
        self._set_online(remote is not None and store.current_outage() is None)

    # ------------------------------------------------------------ state ---------------

    @property
    def online(self) -> bool:
        return self._online.is_set()

    @property
    def device(self) -> str:
        return self.store.get_config("device") or "box-office"

    @property
    def key_id(self) -> int | None:
        value = self.store.get_config("key_id")
        return int(value) if value else None

    @property
    def tz(self) -> ZoneInfo:
        try:
            return ZoneInfo(self.store.get_config("timezone") or "UTC")
        except (ZoneInfoNotFoundError, ValueError):
            return ZoneInfo("UTC")

    @property
    def venue(self) -> str:
        return self.store.get_config("venue_name") or "Box office"

    @property
    def payment_config(self) -> PaymentConfig:
        raw = self.store.get_config("payment_config")
        if raw is None:
            return PaymentConfig()
        try:
            return msgspec.json.decode(raw, type=PaymentConfig)
        except msgspec.DecodeError:
            return PaymentConfig()

    def on_change(self, listener: Callable[[], None]) -> None:
        self._listeners.append(listener)

    def _notify(self) -> None:
        for listener in self._listeners:
            try:
                listener()
            except Exception:
                log.exception("status listener failed")

    def _set_online(self, online: bool) -> None:
        (self._online if online else self._offline).set()
        (self._offline if online else self._online).clear()

    def go_offline(self, reason: str = "") -> None:
        if self.store.current_outage() is None:
            self.store.open_outage(f"{self.device}-{self.store.install_id}", self.clock())
        if self.online:
            log.warning("box office offline: %s", reason)
        self._set_online(False)
        self._notify()

    def go_online(self) -> None:
        if self.store.current_outage() is not None:
            self.store.close_outage(self.clock())
        if not self.online:
            log.warning("box office online again")
        self._set_online(True)
        self._sync_wanted.set()
        self._notify()

    # ------------------------------------------------------------ catalogue -----------

    def templates(self) -> dict[int, TemplateData]:
        return self.store.templates()

    def find(self, query: str) -> list[TemplateData]:
        """Active templates by PLU (exact match first) or by name; everything for an empty query."""
        wanted = query.strip()
        active = sorted(
            (t for t in self.templates().values() if t.active), key=lambda t: (t.plu or "~", t.name)
        )
        if not wanted:
            return active
        exact = [t for t in active if t.plu == wanted]
        near = [
            t
            for t in active
            if t not in exact and (wanted.casefold() in t.name.casefold() or (t.plu or "").startswith(wanted))
        ]
        return exact + near

    def fallback_for(self, template: TemplateData) -> TemplateData | None:
        if template.fallback_template_id is None:
            return None
        fallback = self.templates().get(template.fallback_template_id)
        return fallback if fallback is not None and fallback.active else None

    async def events_for(self, template: TemplateData) -> list[EventChoice]:
        """Upcoming events this template is sold for, with seats left (from the service if online)."""
        if template.kind is not TemplateKind.EVENT:
            return []
        now = self.clock()
        if self.online and self.remote is not None:
            try:
                live = await self.remote.events()
            except ServerUnavailable as exc:
                self.go_offline(str(exc))
            except ServerRefused as exc:
                self.problem = f"events refused: {exc.title}"
            else:
                return [
                    EventChoice(event=e, remaining=e.remaining)
                    for e in sorted(live, key=lambda e: e.starts_at)
                    if template.id in e.template_ids and e.ends_at > now
                ]
        known = sorted(self.store.events().values(), key=lambda e: e.starts_at)
        return [
            EventChoice(event=e, remaining=None, live=False)
            for e in known
            if template.id in e.template_ids and e.ends_at > now
        ]

    def payment_statuses(self) -> list[MethodStatus]:
        return payments.method_statuses(
            self.payment_config, online=self.online, stored_card_payments=self.store.stored_card_payments()
        )

    # ------------------------------------------------------------ selling -------------

    def check_cart(self, lines: Sequence[CartLine]) -> tuple[int, str]:
        """(total, currency) of a cart the till can try to sell, or SaleProblem saying why not."""
        if not lines:
            raise SaleProblem("the cart is empty: add a ticket first")
        for line in lines:
            if not 1 <= line.quantity <= MAX_LINE_QUANTITY:
                raise SaleProblem(f"quantity must be a whole number from 1 to {MAX_LINE_QUANTITY}")
            if line.template.kind is TemplateKind.EVENT and line.event is None and self.online:
                raise SaleProblem(f"{line.template.name}: choose the event")
        currencies = {line.template.currency for line in lines}
        if len(currencies) > 1:
            raise SaleProblem(f"one sale, one currency: the cart mixes {', '.join(sorted(currencies))}")
        return sum(line.total_cents for line in lines), currencies.pop()

    async def sell(
        self, lines: Sequence[CartLine], payment: PaymentIn, buyer_email: str | None = None
    ) -> SaleResult:
        async with self._sale_lock:
            total, currency = self.check_cart(lines)
            if self.online and self.remote is not None:
                result = await self._sell_online(lines, payment, total, currency, buyer_email)
            else:
                result = await self._sell_offline(lines, payment, total, currency, buyer_email)
        self._notify()
        return result

    def _check_payment(self, payment: PaymentIn, total: int, *, offline: bool) -> None:
        stored = self.store.stored_card_payments() if offline else None
        try:
            payments.check_payment(
                self.payment_config, payment, total, offline=offline, stored_card_payments=stored
            )
        except PaymentRefused as exc:
            raise SaleProblem(exc.detail) from exc

    async def _sell_online(
        self, lines: Sequence[CartLine], payment: PaymentIn, total: int, currency: str, email: str | None
    ) -> SaleResult:
        assert self.remote is not None
        self._check_payment(payment, total, offline=False)
        request = SaleIn(
            nonce=self.store.new_nonce(self.device),
            lines=[
                SaleLineIn(
                    template_id=line.template.id,
                    event_id=line.event.id if line.event else None,
                    quantity=line.quantity,
                )
                for line in lines
            ],
            payment=payment,
            buyer_email=email,
        )
        # Recorded before the request leaves: a crash now leaves an attempt to check, never a ghost.
        self.store.record(request, mode="online", state="attempting", currency=currency, total_cents=total)
        try:
            sale = await self.remote.sell(request)
        except ServerUnavailable as exc:
            self.go_offline(str(exc))
            if _never_sent(exc):  # no connection at all: certainly not sold there, so sell here
                self.store.set_state(request.nonce, "not_sold", str(exc))
                return await self._sell_offline(lines, payment, total, currency, email)
            self.store.set_state(request.nonce, "unknown", str(exc))
            raise SaleUncertain(
                "No answer from the server: this sale was NOT completed and nothing was printed. "
                "The till is offline now: sell again (offline rules apply). The unanswered attempt is "
                "checked, and cancelled if it reached the server, once the connection is back."
            ) from exc
        except ServerRefused as exc:
            message = problem_text(exc)
            self.store.set_state(request.nonce, "declined", message)
            if exc.unauthorised:
                self.problem = f"server refused this device: {exc.title}"
            raise SaleDeclined(message) from exc
        self.store.acknowledge(request.nonce, sale)
        local = self.store.sale(request.nonce)
        assert local is not None
        tickets = [issued_from(t) for t in sale.tickets]
        return await self._hand_out(local, tickets, lines, sale.sold_at, offline=False, server_id=sale.id)

    async def _sell_offline(
        self, lines: Sequence[CartLine], payment: PaymentIn, total: int, currency: str, email: str | None
    ) -> SaleResult:
        self._refuse_event_lines(lines)
        self._check_payment(payment, total, offline=True)
        if self.signing_key is None or self.key_id is None:
            raise SaleProblem("this till has no signing key, so it cannot sell offline: enroll it again")
        sold_at = self.clock()
        tickets = [self._sign(line.template, sold_at) for line in lines for _ in range(line.quantity)]
        request = SaleIn(
            nonce=self.store.new_nonce(self.device),
            lines=[
                SaleLineIn(
                    template_id=line.template.id,
                    quantity=line.quantity,
                    unit_price_cents=line.template.price_cents,
                )
                for line in lines
            ],
            payment=payment,
            sold_at=sold_at,
            offline=True,
            tickets=[t.code for t in tickets],
            buyer_email=email,
        )
        # Committed (fsync'd) before anything is printed: a printed ticket is always in the queue.
        local = self.store.record(
            request,
            mode="offline",
            state="queued",
            currency=currency,
            total_cents=total,
            outage_id=outage.id if (outage := self.store.current_outage()) else None,
        )
        return await self._hand_out(local, tickets, lines, sold_at, offline=True, server_id=None)

    def _refuse_event_lines(self, lines: Sequence[CartLine]) -> None:
        events = [line.template for line in lines if line.template.kind is TemplateKind.EVENT]
        if not events:
            return
        fallbacks = [f for f in (self.fallback_for(t) for t in events) if f is not None]
        offer = "; ".join(f"{f.name} (PLU {f.plu})" if f.plu else f.name for f in fallbacks)
        raise OfflineEventRefused(
            "Event tickets cannot be sold offline: the server must check the seats left. "
            + (
                f"Sell the fallback entry ticket instead: {offer}."
                if offer
                else "No fallback ticket is set up."
            ),
            fallbacks,
        )

    def _sign(self, template: TemplateData, sold_at: datetime) -> IssuedTicket:
        assert self.signing_key is not None and self.key_id is not None
        valid_from, valid_until = stamp_validity(template.rules(), sold_at, self.tz)
        signed = SignedTicket(
            key_id=self.key_id,
            serial=new_serial(),
            template_id=template.id,
            valid_from=valid_from,
            valid_until=valid_until,
        )
        return IssuedTicket(
            serial=str(signed.serial),
            number=None,  # offline: the signed code (QR) is the ticket
            code=sign_ticket(signed, self.signing_key),
            template_id=template.id,
            event_id=None,
            # the code keeps minutes: print exactly what the gates will read
            valid_from=_minute(valid_from),
            valid_until=_minute(valid_until),
        )

    async def _hand_out(
        self,
        local: LocalSale,
        tickets: list[IssuedTicket],
        lines: Sequence[CartLine],
        sold_at: datetime,
        *,
        offline: bool,
        server_id: int | None,
    ) -> SaleResult:
        payment = local.request.payment
        reference = local.nonce if server_id is None else f"S{server_id}"
        receipt = Receipt(
            venue=self.venue,
            device=self.device,
            reference=reference,
            sold_at=sold_at,
            lines=[ReceiptLine(line.describe(), line.quantity, line.template.price_cents) for line in lines],
            currency=local.currency,
            payment=self._payment_words(payment),
            tendered_cents=payment.amount_cents,
            change_cents=payments.change_due(payment, local.total_cents),
            offline=offline,
            tickets=tickets,
            buyer_email=local.request.buyer_email,
        )
        ticket_files, receipt_files = await asyncio.to_thread(self._print, reference, tickets, receipt)
        return SaleResult(
            local=local,
            tickets=tickets,
            ticket_files=ticket_files,
            receipt_files=receipt_files,
            change_cents=receipt.change_cents,
            offline=offline,
            server_id=server_id,
        )

    def _payment_words(self, payment: PaymentIn) -> str:
        label = self.payment_config.label(payment.method)
        if payment.card_brand:
            label += f" ({payments.brand_label(payments.normalise_brand(payment.card_brand))})"
        return label

    def _print(
        self, reference: str, tickets: list[IssuedTicket], receipt: Receipt
    ) -> tuple[list[Path], list[Path]]:
        day = receipt.sold_at.astimezone(self.tz).strftime("%Y-%m-%d")
        pages = []
        for ticket in tickets:
            template = self.templates()[ticket.template_id]
            event = self.store.events().get(ticket.event_id) if ticket.event_id else None
            pages.append((ticket, printable(ticket, template, event, self.venue, self.tz)))
        ticket_files = write_tickets(self.output_dir / "tickets" / day, reference, pages, self.ticket_formats)
        pdfs = [p for p in ticket_files if p.suffix == ".pdf"]
        receipt_files = write_receipt(self.output_dir / "receipts" / day, receipt, self.tz, pdfs)
        return ticket_files, receipt_files

    # ------------------------------------------------------------ refunds, reissue -----

    def _require_online(self, what: str) -> BoxOfficeRemote:
        if not self.online or self.remote is None:
            raise SaleProblem(
                f"{what} needs the server (it changes tickets at every gate): try again when online"
            )
        return self.remote

    async def _call(self, call: Awaitable[T]) -> T:
        try:
            return await call
        except ServerUnavailable as exc:
            self.go_offline(str(exc))
            raise SaleProblem(
                "No answer from the server: nothing was changed. Try again when online."
            ) from exc
        except ServerRefused as exc:
            raise SaleProblem(problem_text(exc)) from exc

    async def find_sale(self, ref: str) -> SaleOut:
        """A sale by its service id ("S123" or "123") or by one of its tickets (number or code)."""
        remote = self._require_online("Looking up a sale")
        text = ref.strip()
        if text.upper().removeprefix("S").isdigit() and len(text) <= 10:
            return await self._call(remote.sale(int(text.upper().removeprefix("S"))))
        found = await self._call(remote.sales_by_ticket(text))
        if not found:
            raise SaleProblem("this ticket was not sold at a box office (no sale holds it)")
        return found[0]

    async def refund(self, ref: str, *, include_used: bool = False, reason: str = "refunded") -> SaleOut:
        """Refund a whole sale: its tickets become void at every gate. Writes a refund receipt."""
        remote = self._require_online("A refund")
        sale = await self.find_sale(ref)
        refunded = await self._call(
            remote.refund(sale.id, RefundIn(reason=reason, include_used=include_used))
        )
        receipt = Receipt(
            venue=self.venue,
            device=self.device,
            reference=f"S{sale.id}",
            sold_at=self.clock(),
            lines=[
                ReceiptLine(f"Refund: {line.template}", line.quantity, -line.unit_price_cents)
                for line in sale.lines
            ],
            currency=sale.currency,
            payment=self._payment_words(
                PaymentIn(method=sale.payment_method, amount_cents=0, card_brand=sale.card_brand)
            ),
            tendered_cents=0,
            change_cents=0,
            offline=False,
            tickets=[],
            heading="Refund",
        )
        await asyncio.to_thread(write_receipt, self.output_dir / "receipts" / "refunds", receipt, self.tz)
        self._notify()
        return refunded

    async def reissue(self, ref: str) -> tuple[IssuedTicket, list[Path]]:
        """A lost ticket or card: a new one carries over what is left; the old one is void for good."""
        remote = self._require_online("A reissue")
        new = issued_from(await self._call(remote.reissue(ref.strip())))
        if new.template_id not in self.templates():
            await self.pull_changes()
        template = self.templates()[new.template_id]
        event = self.store.events().get(new.event_id) if new.event_id else None
        page = printable(new, template, event, self.venue, self.tz)
        folder = self.output_dir / "tickets" / "reissued"
        files = await asyncio.to_thread(
            write_tickets, folder, f"reissue-{new.serial}", [(new, page)], self.ticket_formats
        )
        return new, files

    # ------------------------------------------------------------ sync ----------------

    async def sync(self) -> SyncReport:
        """Settle unanswered attempts, post the queue, report outages, refresh the catalogue."""
        assert self.remote is not None
        report = SyncReport()
        await self._settle_unknown(report)
        await self._post_queue(report)
        await self._post_outages()
        report.changes = await self.pull_changes()
        config = await self.remote.payment_config()
        self.store.set_config(payment_config=msgspec.json.encode(config).decode())
        self._notify()
        return report

    async def sync_once(self) -> SyncReport:
        """One full sync for the CLI: probes first; errors land in the report, not as exceptions."""
        if self.remote is None:
            return SyncReport(errors=["no server configured"])
        try:
            await self.remote.whoami()
            self.go_online()
            return await self.sync()
        except (ServerUnavailable, ServerRefused) as exc:
            return SyncReport(errors=[str(exc)])

    async def _settle_unknown(self, report: SyncReport) -> None:
        assert self.remote is not None
        for attempt in self.store.sales(("unknown",)):
            found = await self.remote.sales_by_nonce(attempt.nonce)
            if not found:
                self.store.set_state(attempt.nonce, "not_sold", "the server never received it")
            else:
                await self._cancel_lost_sale(attempt, found[0])
            report.resolved += 1

    async def _cancel_lost_sale(self, attempt: LocalSale, sale: SaleOut) -> None:
        assert self.remote is not None
        if sale.status == "refunded":
            self.store.acknowledge(attempt.nonce, sale)
            self.store.set_state(attempt.nonce, "voided", "refunded already")
            return
        refund = RefundIn(reason="box office got no answer: tickets never handed out")
        try:
            refunded = await self.remote.refund(sale.id, refund)
        except ServerRefused as exc:  # e.g. one of its tickets was used after all: a manager decides
            self.store.set_state(
                attempt.nonce, "refused", f"could not cancel sale {sale.id}: {problem_text(exc)}"
            )
            return
        self.store.acknowledge(attempt.nonce, refunded)
        self.store.set_state(attempt.nonce, "voided", f"sale {sale.id} reached the server and was refunded")

    async def _post_queue(self, report: SyncReport) -> None:
        assert self.remote is not None
        for sale in self.store.sales(("queued",)):
            try:
                answer = await self.remote.sell(sale.request, time_limit=30.0)
            except ServerRefused as exc:
                if exc.unauthorised:
                    raise
                # One sale the service will never take must not block the rest: flag it, go on.
                self.store.set_state(sale.nonce, "refused", problem_text(exc))
                report.refused += 1
                continue
            self.store.acknowledge(sale.nonce, answer)
            report.posted += 1
            self._notify()

    async def _post_outages(self) -> None:
        assert self.remote is not None
        self.store.settle_outages(self.clock())
        for outage in self.store.outages_to_post():
            await self.remote.post_outage(outage.report())
            self.store.mark_outage_posted(outage.id, final=outage.registered_at is not None)

    async def pull_changes(self, wait: float = 0) -> int:
        assert self.remote is not None
        applied = 0
        while True:
            page = await self.remote.changes(self.store.cursor, limit=FEED_PAGE, wait=wait)
            self.store.apply_changes(page.changes, page.cursor, synced_at=self.clock())
            applied += len(page.changes)
            if not page.more:
                return applied
            wait = 0

    # ------------------------------------------------------------ background ----------

    async def run(self) -> None:
        """Sync while online, probe while offline; runs until cancelled, never raises."""
        if self.remote is None:
            return
        await asyncio.gather(self._guarded(self._sync_loop), self._guarded(self._probe_loop))

    async def _guarded(self, loop: Callable[[], Awaitable[None]]) -> None:
        while True:
            try:
                await loop()
                return
            except asyncio.CancelledError:
                raise
            except Exception:  # a bug in one loop must not stop the till: log, pause, restart
                log.exception("background loop %s failed; restarting", loop.__name__)
                await asyncio.sleep(1.0)

    async def _sync_loop(self) -> None:
        backoff = 1.0
        while True:
            await self._online.wait()
            try:
                if self.store.pending_count() or self._sync_wanted.is_set():
                    self._sync_wanted.clear()
                    await self.sync()
                await self.pull_changes(wait=self.feed_wait)
                self._notify()
            except ServerUnavailable as exc:
                self.go_offline(str(exc))
            except ServerRefused as exc:
                self.problem = f"sync refused: {exc.title}"
                self._notify()
            else:
                backoff = 1.0
                continue
            await asyncio.sleep(backoff)
            backoff = min(backoff * 2, MAX_BACKOFF)

    async def _probe_loop(self) -> None:
        assert self.remote is not None
        while True:
            await self._offline.wait()
            with contextlib.suppress(ServerUnavailable, ServerRefused):
                await self.remote.whoami()
                self.go_online()
                continue
            await asyncio.sleep(self.probe_interval)


def _never_sent(exc: ServerUnavailable) -> bool:
    """The connection was never made, so the service cannot have seen the request."""
    return isinstance(exc.__cause__, httpx.ConnectError | httpx.ConnectTimeout)


def _minute(moment: datetime | None) -> datetime | None:
    return None if moment is None else moment.replace(second=0, microsecond=0)
