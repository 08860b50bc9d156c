"""Deciding scans: the tickets, rules and passages a group of scans needs, loaded (and the
tickets locked) in a few queries, then each scan judged against them in turn.

The lock (SELECT ... FOR UPDATE on PostgreSQL, BEGIN IMMEDIATE on SQLite) lasts until the
decisions are recorded in the same transaction, so two gates can never both admit a
single-entry ticket online.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from admission.db.models import Scan, Ticket
from admission.domain import codes
from admission.domain.codes import CodeError
from admission.domain.model import AdmittedPassage, Decision, Direction, GateInfo, TicketFacts, Verdict
from admission.domain.rules import PassageOrder, admitted_anyway, decide, passage_order, reject_invalid
from admission.services import catalog, tickets
from admission.services.keys import KeyRing
from admission.services.scanning.facts import ScanFact, StoredAdmission


class TicketIndex:
    """The tickets, rules and admitted passages a group of scans needs, loaded (and locked)
    in a few queries; then each scan is judged against it in turn, and each admitted one is
    recorded in it so that it counts for the scans after it.

    A reissued ticket's chain is one entitlement: the ticket that replaced it (the chain's
    newest, its head) is loaded and locked too, and an admission with an old code counts as
    an entry of the head (it is stored and fed under the head's serial)."""

    def __init__(self, session: AsyncSession, ring: KeyRing, view: catalog.ScanCatalog) -> None:
        self.session, self.ring, self.view, self.tz = session, ring, view, view.tz
        self.by_number: dict[str, tickets.TicketFields] = {}
        self.by_serial: dict[int, tickets.TicketFields] = {}
        self.facts: dict[int, TicketFacts] = {}
        self.passages: dict[int, list[tuple[PassageOrder, AdmittedPassage]]] = defaultdict(list)
        self.stored: dict[int, list[StoredAdmission]] = defaultdict(list)  # admissions judged before
        self.added: dict[int, PassageOrder] = {}  # per head: the earliest admission added here
        self._read: dict[str, tuple[codes.ScannedCode, int | None] | str] = {}

    async def load(self, raw_codes: Iterable[str]) -> None:
        numbers, serials = set(), set()
        for raw in raw_codes:
            try:
                scanned, serial = self.read(raw)
            except CodeError:
                continue
            if serial is None:
                numbers.add(scanned.value)
            else:
                serials.add(serial)
        statement = (
            select(*tickets.TicketRecord.columns())
            .where(Ticket.number.in_(numbers) | Ticket.serial.in_(serials))
            .order_by(Ticket.serial)  # one lock order for every transaction: no deadlocks
            .with_for_update()
        )
        for row in await self.session.execute(statement):
            self.add(tickets.TicketRecord(**row._asdict()))
        await self._load_heads()
        # The passages in a statement of their own, after the tickets are locked: on PostgreSQL
        # (read committed) a statement sees what was committed before it began, so a query
        # that waited for a ticket's lock inside it would not see the passage the lock's holder
        # just committed, and the ticket would be admitted twice.
        await self._load_passages(list(self.by_serial))
        await self._load_rules()

    def read(self, raw: str) -> tuple[codes.ScannedCode, int | None]:
        """The scan normalised, with the serial of a signed code; each text is read once."""
        known = self._read.get(raw)
        if known is None:
            try:
                scanned = codes.classify_scan(raw)
                serial = codes.read_signed_code(scanned.value)[0].serial if scanned.kind == "signed" else None
                known = (scanned, serial)
            except CodeError as exc:
                known = str(exc)
            self._read[raw] = known
        if isinstance(known, str):
            raise CodeError(known)
        return known

    def add(self, ticket: tickets.TicketFields) -> None:
        self.by_serial[ticket.serial] = ticket
        if ticket.number:
            self.by_number[ticket.number] = ticket

    async def _load_heads(self) -> None:
        """The tickets that replaced the loaded ones (reissues), locked too. Rare: a second
        statement only when a replaced ticket's code was scanned."""
        while missing := {
            t.replaced_by
            for t in self.by_serial.values()
            if t.replaced_by and t.replaced_by not in self.by_serial
        }:
            statement = (
                select(*tickets.TicketRecord.columns())
                .where(Ticket.serial.in_(missing))
                .order_by(Ticket.serial)
                .with_for_update()
            )
            found = [tickets.TicketRecord(**row._asdict()) for row in await self.session.execute(statement)]
            for ticket in found:
                self.add(ticket)
            if len(found) < len(missing):  # a dangling link: the chain ends at the last ticket found
                break

    def head(self, ticket: tickets.TicketFields) -> tickets.TicketFields:
        """The newest ticket of `ticket`'s reissue chain: the entitlement its admissions count for."""
        seen = {ticket.serial}
        while ticket.replaced_by is not None and ticket.replaced_by in self.by_serial:
            ticket = self.by_serial[ticket.replaced_by]
            if ticket.serial in seen:
                break
            seen.add(ticket.serial)
        return ticket

    def facts_at(self, ticket: tickets.TicketFields, at: datetime) -> TicketFacts:
        """What the rules read for a scan of `ticket`'s code at `at`. A replaced ticket's code
        scanned before it was replaced is the entitlement as it stands now (the head); scanned
        after, it is the old ticket: void."""
        head = self.head(ticket)
        if head is not ticket and (ticket.voided_at is None or at < ticket.voided_at):
            return self.facts[head.serial]
        return self.facts[ticket.serial]

    async def _load_rules(self) -> None:
        rules, events = self.view.rules, self.view.events
        unknown = [
            t
            for t in self.by_serial.values()
            if t.template_id not in rules or (t.event_id is not None and t.event_id not in events)
        ]
        if unknown:
            # A template or event newer than the catalog copy (created since this transaction
            # read the catalog's version, possible on PostgreSQL): read them as they are now.
            fresh = await catalog.load_scan_catalog(self.session)
            rules, events = fresh.rules, fresh.events
        for serial, ticket in self.by_serial.items():
            event = events.get(ticket.event_id) if ticket.event_id else None
            self.facts[serial] = tickets.facts_of(ticket, rules[ticket.template_id], event)

    async def _load_passages(self, serials: list[int]) -> None:
        for start in range(0, len(serials), 5000):
            rows = await self.session.execute(
                select(*StoredAdmission.columns()).where(
                    Scan.ticket_serial.in_(serials[start : start + 5000]),
                    Scan.verdict == "admit",
                    Scan.annulled_at.is_(None),
                )
            )
            for row in rows:
                self._add_stored(StoredAdmission(**row._asdict()))

    def _add_stored(self, stored: StoredAdmission) -> None:
        self.stored[stored.ticket_serial].append(stored)
        self.passages[stored.ticket_serial].append((stored.order(), stored.passage()))

    def find(self, raw: str) -> tickets.TicketFields | None:
        scanned, serial = self.read(raw)
        if serial is None:
            return self.by_number.get(scanned.value)
        ticket = self.by_serial.get(serial)
        if ticket is not None and ticket.code != scanned.value:
            raise CodeError(tickets.CODE_MISMATCH)
        return ticket

    async def judge(
        self,
        code: str,
        gate: GateInfo,
        direction: Direction,
        at: datetime,
        *,
        order: PassageOrder | None = None,
    ) -> tuple[tickets.TicketFields | None, TicketFacts | None, Decision]:
        """The service's verdict on `code` at `gate` at `at`, with the ticket and its facts.

        With `order` (a passage decided elsewhere, see `rules.passage_order`) it is judged
        against the admissions before it only; without (a scan now), against all of them.
        """
        try:
            ticket = self.find(code)
        except CodeError as exc:
            return None, None, reject_invalid(f"Not a valid ticket: {exc}")
        if ticket is None:  # sold offline and not seen yet, or unknown: resolved one by one (rare)
            resolved = await tickets.resolve_code(self.session, self.ring, code, lock=True, at=at)
            if resolved.ticket is None or resolved.facts is None:
                return None, None, reject_invalid(resolved.error or "Not a valid ticket")
            ticket = resolved.ticket
            self.add(ticket)
            self.facts[ticket.serial] = resolved.facts
            await self._load_passages([ticket.serial])
        facts = self.facts_at(ticket, at)
        return ticket, facts, decide(facts, self.before(facts.serial, order), gate, direction, at, self.tz)

    def before(self, serial: int, order: PassageOrder | None) -> list[AdmittedPassage]:
        """The admitted passages of ticket `serial` that count before `order` (all without)."""
        return [p for key, p in self.passages[serial] if order is None or key < order]

    def record(self, fact: ScanFact) -> None:
        """Count an admitted scan for the scans judged after it: an admission with an old
        code of a reissued ticket counts for (and is stored under) the ticket that replaced it."""
        if fact.ticket is not None and fact.decision.verdict is Verdict.ADMIT:
            head = self.head(fact.ticket)
            if head is not fact.ticket:
                fact.counts_for = head.serial
            order = passage_order(fact.scanned_at, fact.device_id, fact.nonce)
            self.passages[head.serial].append((order, fact.admitted_passage()))
            self.added[head.serial] = min(order, self.added.get(head.serial, order))

    async def rejudge_later_admissions(self) -> None:
        """Judge again the stored entries scanned after an admission recorded here (an offline
        passage that arrived late): each against the admissions before it in scan order, so the
        later-scanned of two is the one flagged as a conflict, whatever order they arrived in.
        Only the flag, reason and message change: the passage stays admitted (a fact), and the
        answer given at the time stays what a repeated nonce gets back. Supervisor overrides
        are never flagged; entries at a gate no longer known are left as they were judged."""
        for serial, earliest in self.added.items():
            for stored in self.stored[serial]:
                order = stored.order()
                if order <= earliest or stored.source == "override" or stored.direction != "in":
                    continue
                gate = self.view.gates.get(stored.gate)
                try:
                    ticket = self.find(stored.code)
                except CodeError:
                    continue
                if gate is None or ticket is None:
                    continue
                facts = self.facts_at(ticket, stored.scanned_at)
                server = decide(
                    facts, self.before(facts.serial, order), gate, Direction.IN, stored.scanned_at, self.tz
                )
                if server.admitted != stored.conflict:
                    continue  # judged the same way
                decision = server if server.admitted else admitted_anyway(server, stored.source == "online")
                await self.session.execute(
                    update(Scan)
                    .where(Scan.id == stored.id)
                    .values(
                        conflict=not server.admitted,
                        reason=decision.reason.value,
                        message=decision.message[:300],
                    )
                )
