"""The till: sells online or offline with the same screen, keeps its queue, syncs when it can.

Online, a sale is the service's: it checks capacity and payment and issues the tickets, all or
nothing. Offline, the till sells entry tickets on its own: it checks the payment's offline rules
(shared with the service, `admission.domain.payments`), signs each ticket with its own key
(signing.py), records the sale in its queue and prints. Event tickets need the central capacity
check: offline, the till sells them only within a capacity lease of the event's seats it holds
(leases.py), and without one they are refused with the fallback entry templates offered instead.

Through a venue hub (a server that says so on every answer, and signs nothing) the till signs
the tickets itself, as offline, and posts the sale to the hub at once: the hub records it, tells
its gates, forwards it to the central service under the same nonce, and its answer acknowledges
the sale here; without an answer the sale stays queued like an offline one.

When the service is back the queue goes up through the outbox, oldest first, each sale under
the nonce it was recorded with: the service registers it once, whatever is re-sent. An online
attempt whose answer was lost is cancelled at the service by its nonce: if the service did
record it, it is refunded, because nobody got its tickets; if not, the cancellation makes the
service refuse that request should it still arrive. Connection state, outages, the feed and the loops
are the client core's (core/client.py).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from datetime import datetime, time
from pathlib import Path
from zoneinfo import ZoneInfo

import httpx
import msgspec
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from admission.contract import (
    CardSettings,
    RefundIn,
    SaleIn,
    SaleLineIn,
    SaleOut,
    StoredValuePart,
    TemplateData,
)
from admission.contract.payments import InvoiceIn
from admission.domain import payments, terminal_down
from admission.domain import tenders as split
from admission.domain.codes import now_utc
from admission.domain.model import TemplateKind
from admission.domain.payments import MethodStatus, PaymentConfig, PaymentIn, PaymentMethod, PaymentRefused
from admission.i18n import _
from admission.i18n.formatting import clock as clock_time
from scanner_client.core.client import ClientCore, Loop
from scanner_client.core.connectivity import Clock
from scanner_client.core.outbox import Outbox
from scanner_client.core.remote import ServerRefused, ServerUnavailable, problem_text
from scanner_client.core.report import SyncReport
from scanner_client.core.revocation import write_private
from scanner_client.till import certificate, leases
from scanner_client.till.enroll import KEY_FILE
from scanner_client.till.offline_cards import CAPS_CONFIG, OfflineCards
from scanner_client.till.printer import TicketPrinter, tender_words
from scanner_client.till.printing import TICKET_FORMATS, IssuedTicket
from scanner_client.till.receipts import Receipt, ReceiptCardPart, ReceiptFiles, ReceiptLine
from scanner_client.till.receipts.delivery import ReceiptDelivery
from scanner_client.till.remote import BoxOfficeRemote
from scanner_client.till.sale import (
    CartLine,
    EventChoice,
    OfflineEventRefused,
    SaleDeclined,
    SaleProblem,
    SaleResult,
    SaleUncertain,
    check_cart,
    issued_from,
)
from scanner_client.till.signing import OfflineSigner
from scanner_client.till.store import PENDING_STATES, LocalSale, TillStore
from scanner_client.till.terminal import LocalIncident

log = logging.getLogger(__name__)

HUB_SELLS_TILL_SIGNED = "hub_sells_till_signed"  # a hub's refusal of a sale it would have to sign

UPLOAD_TIME_LIMIT = 30.0  # a queued sale is posted without a seller waiting for it


class Till(ClientCore[TillStore, BoxOfficeRemote]):
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
        device = store.get_config("device") or "box-office"
        super().__init__(
            store,
            remote,
            outage_prefix=f"{device}-{store.install_id}",
            clock=clock,
            failure_threshold=1,  # a seller must not wait twice for a dead link
            probe_interval=probe_interval,
            feed_wait=feed_wait,
        )
        self.device = device
        key_id = store.get_config("key_id")
        self.key_id = int(key_id) if key_id else None
        self.signer: OfflineSigner | None = None  # without a key the till cannot sell offline
        if signing_key is not None and self.key_id is not None:
            self.signer = OfflineSigner(signing_key, self.key_id)
        self.printer = TicketPrinter(store, output_dir, ticket_formats)
        self.receipts = ReceiptDelivery(store.get_config)
        self.last_receipt: ReceiptFiles | None = None  # the latest sale's or refund's, to print or e-mail
        self.outbox = Outbox(
            pending=lambda limit: store.sales(("queued",), limit),
            post=self._post_sale,
            set_aside=lambda sale, refusal: store.set_state(sale.nonce, "refused", problem_text(refusal)),
            batch_size=1,  # the service takes sales one at a time
            on_progress=self.notify,
        )
        self._sale_lock = asyncio.Lock()
        self._invoice: InvoiceIn | None = None  # the sale being made's invoice, under the sale lock
        self._stored_value: list[StoredValuePart] = []  # the card parts of the sale being made
        store.mark_interrupted()

    @property
    def tz(self) -> ZoneInfo:
        return self.store.timezone()

    @property
    def venue(self) -> str:
        return self.printer.venue

    @property
    def payment_config(self) -> PaymentConfig:
        raw = self.store.get_config("payment_config")
        if raw is None:
            return PaymentConfig()
        try:
            return msgspec.json.decode(raw, type=PaymentConfig)
        except msgspec.DecodeError:
            return PaymentConfig()

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
                self.problem = _("events refused: {title}").format(title=exc.title)
            else:
                return [
                    EventChoice(event=e, remaining=e.remaining)
                    for e in sorted(live, key=lambda e: e.starts_at)
                    if template.id in e.template_ids and e.ends_at > now
                ]
        known = sorted(self.store.events().values(), key=lambda e: e.starts_at)
        choices = []
        for event in known:
            if template.id not in event.template_ids or event.ends_at <= now:
                continue
            lease = self.store.lease_for(event.id)
            if lease is not None and now < lease.expires_at:  # sellable offline within the lease
                choices.append(
                    EventChoice(event=event, remaining=self.store.lease_left(lease), live=False, leased=True)
                )
            else:
                choices.append(EventChoice(event=event, remaining=None, live=False))
        return choices

    def lease_words(self) -> list[str]:
        """What each lease this till holds has left ("12 seats left on the lease for Concert 19:00")."""
        return [
            leases.lease_words(lease, self.store.lease_left(lease), self.tz) for lease in self.store.leases()
        ]

    def _check_leases(self, event_lines: Sequence[CartLine], sold_at: datetime) -> None:
        """Event seats sold offline must fit the till's lease of each event and its time."""
        wanted: dict[int, int] = {}
        for line in event_lines:
            assert line.event is not None
            wanted[line.event.id] = wanted.get(line.event.id, 0) + line.quantity
        for event_id, seats in wanted.items():
            lease = self.store.lease_for(event_id)
            assert lease is not None
            left = self.store.lease_left(lease)
            problem = leases.refusal(lease, left, seats, lease.event, sold_at, self.tz)
            if problem is not None:
                raise SaleProblem(problem)

    @property
    def through_hub(self) -> bool:
        """Online at a venue hub: sales are signed here and follow the offline payment rules."""
        return self.online and self.remote is not None and self.remote.at_hub

    def payment_statuses(self) -> list[MethodStatus]:
        statuses = payments.method_statuses(
            self.payment_config,
            online=self.online and not self.through_hub,
            stored_card_payments=self.store.stored_card_payments(),
        )
        if self.store.open_incident() is not None:
            return terminal_down.statuses_while_down(self.payment_config, statuses)
        return statuses

    @property
    def terminal_incident(self) -> LocalIncident | None:
        """The card terminal's open incident: the terminal is down while there is one."""
        return self.store.open_incident()

    def guest_line(self) -> str:
        return terminal_down.guest_line(self.payment_config)

    def terminal_down(self, cause: str, note: str | None = None) -> LocalIncident:
        """The card terminal is down: record the incident (registered at the service by the sync
        loop, now or once the connection is back) and stop offering the bank-card tender."""
        cause = cause.strip()
        if not cause:
            raise SaleProblem(_("Say why the card terminal is down (e.g. no connection, no power)"))
        incident = self.store.start_incident(
            self.store.new_nonce(f"{self.device}-terminal"), self.clock(), cause, (note or "").strip() or None
        )
        self.sync_wanted.set()
        self.notify()
        return incident

    def terminal_up(self, note: str | None = None) -> LocalIncident | None:
        """The card terminal works again: the incident ends now (None if it was not down)."""
        incident = self.store.end_incident(self.clock(), (note or "").strip() or None)
        self.sync_wanted.set()
        self.notify()
        return incident

    async def post_terminal_incidents(self, report: SyncReport) -> None:
        """Register each incident's latest state at the service, once per change."""
        assert self.remote is not None
        for incident in self.store.incidents_to_post():
            try:
                await self.remote.record_terminal_incident(incident.nonce, incident.request())
            except ServerRefused as exc:
                if exc.unauthorised:
                    raise
                # A service that will never take it must not hold up the sales behind it.
                log.warning("terminal incident %s refused: %s", incident.nonce, problem_text(exc))
                report.refused += 1
            self.store.mark_incident_posted(incident.nonce, incident.version)

    def save_unsent(self, at: datetime) -> list[Path]:
        """A revoked till's sales the service has not acknowledged, with their requests, for a
        manager: money was taken for them (those whose online answer never came may or may not
        be at the service: their state says so)."""
        unsent = self.store.sales(PENDING_STATES, limit=-1)
        if not unsent:
            return []
        path = self.store.path.parent / f"unsent-sales-{self.device}-{at.strftime('%Y%m%dT%H%M%S')}.json"
        records = [
            {"nonce": s.nonce, "state": s.state, "created_at": s.created_at, "request": s.request}
            for s in unsent
        ]
        write_private(path, msgspec.json.format(msgspec.json.encode(records)))
        return [path]

    def forget_files(self) -> None:
        (self.store.path.parent / KEY_FILE).unlink(missing_ok=True)
        self.signer = None

    async def sell(
        self,
        lines: Sequence[CartLine],
        payment: PaymentIn,
        buyer_email: str | None = None,
        further_tenders: Sequence[PaymentIn] = (),
        invoice: InvoiceIn | None = None,
        stored_value: Sequence[StoredValuePart] = (),
    ) -> SaleResult:
        """Sell the cart, paid by `payment` and, for a split payment, the `further_tenders`; an
        invoice tender (pay later) goes with the `invoice`'s customer, reference and due date.
        `stored_value`: parts paid from gift or stored-value cards, recorded with the sale in one
        transaction (the tenders cover the rest)."""
        tenders = [payment, *further_tenders]
        if self.revoked:
            raise SaleProblem(self.revoked_words())
        async with self._sale_lock:
            self._invoice = invoice
            total, currency = check_cart(lines, online=self.online and not self.through_hub)
            self._stored_value = list(stored_value)
            if self.through_hub:
                result = await self._sell_signed(lines, tenders, total, currency, buyer_email, at_hub=True)
            elif self.online and self.remote is not None:
                result = await self._sell_online(lines, tenders, total, currency, buyer_email)
            else:
                result = await self._sell_signed(lines, tenders, total, currency, buyer_email)
        self.notify()
        return result

    def _check_payment(self, tenders: list[PaymentIn], total: int, *, offline: bool) -> None:
        stored = self.store.stored_card_payments() if offline else None
        try:
            left = split.left_after_cards([part.amount_cents for part in self._stored_value], total)
            if self.store.open_incident() is not None:
                terminal_down.refuse_terminal_tender(self.payment_config, tenders)
            if any(t.method is PaymentMethod.INVOICE for t in tenders) and self._invoice is None:
                raise PaymentRefused(_("an invoice needs the customer's name, a reference and a due date"))
            split.check_tenders(
                self.payment_config, tenders, left, offline=offline, stored_card_payments=stored
            )
        except PaymentRefused as exc:
            raise SaleProblem(exc.detail) from exc

    async def _sell_online(
        self,
        lines: Sequence[CartLine],
        tenders: list[PaymentIn],
        total: int,
        currency: str,
        email: str | None,
    ) -> SaleResult:
        assert self.remote is not None
        self._check_payment(tenders, total, offline=False)
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
            payment=tenders[0],
            further_tenders=tenders[1:],
            invoice=self._invoice,
            buyer_email=email,
            stored_value=self._stored_value,
        )
        # Recorded before the request leaves: a crash now leaves an attempt to check, never a ghost.
        self.store.record(request, mode="online", state="attempting", currency=currency, total_cents=total)
        try:
            sale = await self.remote.sell(request)
        except ServerUnavailable as exc:
            self.go_offline(str(exc))
            if _never_sent(exc):  # no connection at all: certainly not sold there, so sell here
                self.store.set_state(request.nonce, "not_sold", str(exc))
                return await self._sell_signed(lines, tenders, total, currency, email)
            self.store.set_state(request.nonce, "unknown", str(exc))
            raise SaleUncertain(
                _(
                    "No answer from the server: this sale was NOT completed and nothing was printed. "
                    "The till is offline now: sell again (offline rules apply). The unanswered attempt is "
                    "checked, and cancelled if it reached the server, once the connection is back."
                )
            ) from exc
        except ServerRefused as exc:
            if self.revoked:  # the store is wiped: nothing was sold
                raise SaleProblem(self.revoked_words()) from exc
            message = problem_text(exc)
            if exc.code == HUB_SELLS_TILL_SIGNED:  # a hub it did not know for one: it recorded nothing
                self.remote.learn_hub()
                self.store.set_state(request.nonce, "not_sold", message)
                return await self._sell_signed(lines, tenders, total, currency, email, at_hub=True)
            self.store.set_state(request.nonce, "declined", message)
            if exc.unauthorised:
                self.problem = _("server refused this device: {title}").format(title=exc.title)
            raise SaleDeclined(message) from exc
        self.store.acknowledge(request.nonce, sale)
        local = self.store.sale(request.nonce)
        assert local is not None
        tickets = [issued_from(t) for t in sale.tickets]
        cards = [ReceiptCardPart(part.card_number, part.paid_cents) for part in sale.card_parts]
        return await self._hand_out(local, tickets, lines, sale.sold_at, server_id=sale.id, card_parts=cards)

    async def _sell_signed(
        self,
        lines: Sequence[CartLine],
        tenders: list[PaymentIn],
        total: int,
        currency: str,
        email: str | None,
        *,
        at_hub: bool = False,
    ) -> SaleResult:
        """A sale of tickets this till signs: offline, or through a venue hub (`at_hub`)."""
        event_lines = [line for line in lines if line.template.kind is TemplateKind.EVENT]
        if at_hub and event_lines:  # the hub records till-signed entry tickets only
            fallbacks = [f for f in map(self.fallback_for, (line.template for line in event_lines)) if f]
            raise OfflineEventRefused.offering(fallbacks, at_hub=True)
        unleased = [
            line.template
            for line in event_lines
            if line.event is None or self.store.lease_for(line.event.id) is None
        ]
        if unleased:  # only a lease of the event's seats lets the till sell them offline
            raise OfflineEventRefused.offering([f for f in map(self.fallback_for, unleased) if f is not None])
        self._check_payment(tenders, total, offline=True)
        if self._stored_value:  # the manager's caps, and only cards the feed gave this till
            now = self.clock()
            day_start = datetime.combine(now.astimezone(self.tz).date(), time(), self.tz)
            OfflineCards(self.store).check(self._stored_value, now, day_start)
        if self.signer is None:
            raise SaleProblem(_("this till has no signing key, so it cannot sell offline: enroll it again"))
        sold_at = self.clock()
        refusal = certificate.offline_refusal(self.store, self.key_id, sold_at)
        if refusal is not None:  # gates would refuse what it signs now
            raise SaleProblem(refusal)
        self._check_leases(event_lines, sold_at)
        tickets = [
            self.signer.sign(line.template, sold_at, self.tz, line.event.id if line.event else None)
            for line in lines
            for _ in range(line.quantity)
        ]
        request = SaleIn(
            nonce=self.store.new_nonce(self.device),
            lines=[
                SaleLineIn(
                    template_id=line.template.id,
                    event_id=line.event.id if line.event else None,
                    quantity=line.quantity,
                    unit_price_cents=line.template.price_cents,
                )
                for line in lines
            ],
            payment=tenders[0],
            further_tenders=tenders[1:],
            invoice=self._invoice,
            sold_at=sold_at,
            offline=True,
            tickets=[t.code for t in tickets],
            buyer_email=email,
            stored_value=self._stored_value,
        )
        outage = None if at_hub else self.store.current_outage()
        # Committed (fsync'd) before anything is printed: a printed ticket is always in the queue.
        local = self.store.record(
            request,
            mode="hub" if at_hub else "offline",
            state="queued",
            currency=currency,
            total_cents=total,
            outage_id=outage.id if outage else None,
        )
        if at_hub:
            acknowledged = await self._post_to_hub(request)
            local = self.store.sale(request.nonce) or local
            at_hub = acknowledged
        # Offline a card is taken by its signed code: the feed's record gives its last four digits.
        known = OfflineCards(self.store)
        cards = [ReceiptCardPart(known.last4(part.card), part.amount_cents) for part in self._stored_value]
        return await self._hand_out(
            local, tickets, lines, sold_at, server_id=None, card_parts=cards, through_hub=at_hub
        )

    async def _post_to_hub(self, request: SaleIn) -> bool:
        """Post a signed sale, already queued, to the hub: True once the hub holds it. Without an
        answer it stays queued, an offline sale, posted again under its nonce (a hub that did
        record it replays it). A refusal declines it: nothing is printed."""
        assert self.remote is not None
        try:
            answer = await self.remote.sell(request)
        except ServerUnavailable as exc:
            self.go_offline(str(exc))
            return False
        except ServerRefused as exc:
            if self.revoked:
                raise SaleProblem(self.revoked_words()) from exc
            message = problem_text(exc)
            self.store.set_state(request.nonce, "declined", message)
            if exc.unauthorised:
                self.problem = _("server refused this device: {title}").format(title=exc.title)
            raise SaleDeclined(message) from exc
        self.store.acknowledge(request.nonce, answer)
        return True

    async def _hand_out(
        self,
        local: LocalSale,
        tickets: list[IssuedTicket],
        lines: Sequence[CartLine],
        sold_at: datetime,
        *,
        server_id: int | None,
        card_parts: Sequence[ReceiptCardPart] = (),
        through_hub: bool = False,
    ) -> SaleResult:
        tenders = local.request.all_tenders()
        offline = server_id is None and not through_hub
        # A sale through the hub is known centrally by its nonce, as an offline one: the hub's own
        # sale id means nothing at the central service.
        reference = local.nonce if server_id is None else f"S{server_id}"
        venue = self.printer.details
        receipt = Receipt(
            venue=venue,
            device=self.device,
            reference=reference,
            sold_at=sold_at,
            lines=[
                ReceiptLine(
                    line.describe(),
                    line.quantity,
                    line.template.price_cents,
                    venue.rate_for(line.template.vat_rate),
                )
                for line in lines
            ],
            currency=local.currency,
            payment=" + ".join(
                tender_words(self.payment_config, t, len(tenders) + len(card_parts)) for t in tenders
            ),
            card_parts=card_parts,
            tendered_cents=sum(t.amount_cents for t in tenders),
            change_cents=split.change_due(tenders, local.total_cents),
            offline=offline,
            tickets=tickets,
            buyer_email=local.request.buyer_email,
            invoice=local.request.invoice,
        )
        ticket_files, receipt_files = await asyncio.to_thread(self.printer.sale, reference, tickets, receipt)
        self.last_receipt = receipt_files
        return SaleResult(
            local=local,
            tickets=tickets,
            ticket_files=ticket_files,
            receipt_files=receipt_files.paths,
            change_cents=receipt.change_cents,
            offline=offline,
            server_id=server_id,
            receipt=receipt_files,
            through_hub=through_hub,
        )

    async def sync(self, report: SyncReport) -> None:
        """Settle unanswered attempts, post the queue, report outages, refresh the catalogue."""
        assert self.remote is not None
        # A hub takes sales and outages only: unanswered online attempts were made at the central
        # service and are settled there, as are terminal incidents and the key's certificate.
        central = not self.remote.at_hub
        if central:
            await self._settle_unknown(report)
        await self.outbox.flush(report)
        await self.post_outages(report)
        if central:
            await self.post_terminal_incidents(report)
        report.changes = await self.pull_changes()
        config = await self.remote.payment_config()
        self.store.set_config(payment_config=msgspec.json.encode(config).decode())
        await self._fetch_card_caps()
        if central:  # a hub renews no certificate and holds no up-to-date leases
            await self.renew_certificate()
            await self.settle_leases()
        self.notify()

    async def settle_leases(self) -> None:
        """Take this till's active leases from the service, then give back those that are done
        (their sales all acknowledged, after an outage or their expiry: `leases.py`)."""
        assert self.remote is not None
        try:
            held = await self.remote.leases()
            async with self._sale_lock:  # no sale on a lease while it is being given back
                self.store.keep_leases(held)
                for lease in self.store.leases_to_return(self.clock()):
                    await self.remote.return_lease(lease.id)
                    self.store.forget_lease(lease.id)
        except ServerRefused as exc:
            if exc.unauthorised:
                raise
            log.warning("capacity leases not settled: %s", problem_text(exc))

    async def _fetch_card_caps(self) -> None:
        """The manager's offline caps for card payments, kept for the next outage."""
        assert self.remote is not None
        try:
            response = await self.remote._request("GET", "/cards/settings")
        except ServerRefused:  # a service without cards: the safe defaults stay
            return
        settings = self.remote._decode(response, CardSettings)
        self.store.set_config(**{CAPS_CONFIG: msgspec.json.encode(settings).decode()})

    def offline_selling_words(self) -> str:
        """Until when this till may sell offline (its certificate's end, in the venue's time), or
        why it may not: for the status bar, so the seller knows before the link goes."""
        now = self.clock()
        refusal = certificate.offline_refusal(self.store, self.key_id, now)
        held = self.store.certificate
        if refusal is not None or held is None:
            return refusal or ""
        until = held.not_after.astimezone(self.tz)
        return _("offline sales until {moment}").format(moment=f"{until:%Y-%m-%d %H:%M}")

    async def renew_certificate(self, *, force: bool = False) -> bool:
        """Renew the key's certificate when a third of its time has passed (or `force`); returns
        whether a new one was kept. A refused answer leaves the one the till has."""
        assert self.remote is not None
        now = self.clock()
        if self.key_id is None or not (force or certificate.renewal_due(self.store, self.key_id, now)):
            return False
        try:
            await certificate.renew(self.store, self.remote, self.key_id, now)
        except certificate.CertificateRefused as exc:
            log.warning("the service's certificate was not taken: %s", exc)
            self.problem = _("certificate refused: {reason}").format(reason=exc)
            return False
        return True

    async def _post_sale(self, batch: Sequence[LocalSale], report: SyncReport) -> None:
        assert self.remote is not None
        (sale,) = batch
        answer = await self.remote.sell(sale.request, time_limit=UPLOAD_TIME_LIMIT)
        self.store.acknowledge(sale.nonce, answer)
        report.uploaded += 1

    async def _settle_unknown(self, report: SyncReport) -> None:
        """Settle each unanswered online attempt at the service, by its nonce.

        Not finding the sale proves nothing: the request may still be on its way (a slow link, a
        proxy holding it) and be recorded after the look-up. So the attempt is cancelled there:
        the service answers with the sale if it holds it (refunded, as nobody got its tickets),
        or records the cancellation, after which that request is refused should it ever arrive.
        Only that answer makes the attempt `not_sold`; without one it stays `unknown`.
        """
        assert self.remote is not None
        for attempt in self.store.sales(("unknown",)):
            settled = await self.remote.cancel_by_nonce(attempt.nonce)
            if settled.sale is not None:
                await self._cancel_lost_sale(attempt, settled.sale)
            else:
                when = clock_time(settled.cancelled_at, self.tz) if settled.cancelled_at else _("now")
                self.store.set_state(
                    attempt.nonce,
                    "not_sold",
                    _("never recorded; cancelled at the server ({when})").format(when=when),
                )
            report.resolved += 1

    async def _cancel_lost_sale(self, attempt: LocalSale, sale: SaleOut) -> None:
        assert self.remote is not None
        if sale.status == "refunded":
            self.store.acknowledge(attempt.nonce, sale)
            self.store.set_state(attempt.nonce, "voided", _("refunded already"))
            return
        refund = RefundIn(reason="box office got no answer: tickets never handed out")
        try:
            refunded = await self.remote.refund(sale.id, refund)
        except ServerRefused as exc:  # e.g. one of its tickets was used after all: a manager decides
            problem = _("could not cancel sale {sale}: {problem}").format(
                sale=sale.id, problem=problem_text(exc)
            )
            self.store.set_state(attempt.nonce, "refused", problem)
            return
        self.store.acknowledge(attempt.nonce, refunded)
        self.store.set_state(
            attempt.nonce, "voided", _("sale {sale} reached the server and was refunded").format(sale=sale.id)
        )

    def device_name(self) -> str:
        return self.device

    def queue_depth(self) -> int:
        return self.store.pending_count()

    def background_loops(self) -> list[Loop]:
        return [*super().background_loops(), self._sync_loop]

    async def _sync_loop(self) -> None:
        await self.retry_while_online(_("sync"), self._sync_and_follow)

    async def _sync_and_follow(self) -> bool:
        if self.store.pending_count() or self.store.incidents_unposted() or self.sync_wanted.is_set():
            self.sync_wanted.clear()
            await self.sync(SyncReport())
        else:  # a lease granted since the last sync is here for the next outage
            await self.settle_leases()
        await self.report_health_if_due()
        await self.follow_feed()
        return True


def _never_sent(exc: ServerUnavailable) -> bool:
    """The connection was never made, so the service cannot have seen the request."""
    return isinstance(exc.__cause__, httpx.ConnectError | httpx.ConnectTimeout)
