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

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from admission.db.models import Scan, Ticket
from admission.domain import codes
from admission.domain.codes import CodeError
from admission.domain.model import AdmittedPassage, Decision, Direction, GateInfo, TicketFacts, Verdict
from admission.domain.rules import decide, reject_invalid
from admission.services import catalog, tickets
from admission.services.keys import KeyRing
from admission.services.scanning.facts import ScanFact


class TicketIndex:
    """The tickets, rules and admitted passages a group of scans needs, loaded (and locked)
    in a few queries; then each scan is judged against it in turn, and each admitted one is
    recorded in it so that it counts for the scans after it."""

    def __init__(self, session: AsyncSession, ring: KeyRing, view: catalog.ScanCatalog) -> None:
        self.session, self.ring, self.view, self.tz = session, ring, view, view.tz
        self.by_number: dict[str, tickets.TicketFields] = {}
        self.by_serial: dict[int, tickets.TicketFields] = {}
        self.facts: dict[int, TicketFacts] = {}
        self.passages: dict[int, list[AdmittedPassage]] = defaultdict(list)
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
        # The passages in a statement of their own, after the tickets are locked: on PostgreSQL
        # (read committed) a statement sees what was committed before it began, so a query
        # that waited for a ticket's lock inside it would not see the passage the lock's holder
        # just committed, and the ticket would be admitted twice.
        await self._load_passages()
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

    async def _load_passages(self) -> None:
        serials = list(self.by_serial)
        for start in range(0, len(serials), 5000):
            rows = await self.session.execute(
                select(
                    Scan.ticket_serial, Scan.gate, Scan.zone, Scan.from_zone, Scan.direction, Scan.scanned_at
                ).where(
                    Scan.ticket_serial.in_(serials[start : start + 5000]),
                    Scan.verdict == "admit",
                    Scan.annulled_at.is_(None),
                )
            )
            for serial, g, z, f, d, at in rows:
                self.passages[int(serial or 0)].append(
                    AdmittedPassage(gate_name=g, zone=z, from_zone=f, direction=Direction(d), scanned_at=at)
                )

    def find(self, raw: str) -> tickets.TicketFields | None:
        scanned, serial = self.read(raw)
        if serial is None:
            return self.by_number.get(scanned.value)
        ticket = self.by_serial.get(serial)
        if ticket is not None and ticket.code != scanned.value:
            raise CodeError(tickets.CODE_MISMATCH)
        return ticket

    async def judge(
        self, code: str, gate: GateInfo, direction: Direction, at: datetime
    ) -> tuple[tickets.TicketFields | None, TicketFacts | None, Decision]:
        """The service's verdict on `code` at `gate` at `at`, with the ticket and its facts."""
        try:
            ticket = self.find(code)
        except CodeError as exc:
            return None, None, reject_invalid(f"Not a valid ticket: {exc}")
        if ticket is None:  # sold offline and not seen yet, or unknown: resolved one by one (rare)
            resolved = await tickets.resolve_code(self.session, self.ring, code, lock=True)
            if resolved.ticket is None or resolved.facts is None:
                return None, None, reject_invalid(resolved.error or "Not a valid ticket")
            ticket = resolved.ticket
            self.add(ticket)
            self.facts[ticket.serial] = resolved.facts
            self.passages[ticket.serial] = await tickets.admitted_passages(self.session, ticket.serial)
        facts = self.facts[ticket.serial]
        passages = self.passages[ticket.serial]
        return ticket, facts, decide(facts, passages, gate, direction, at, self.tz)

    def record(self, fact: ScanFact) -> None:
        """Count an admitted scan for the scans judged after it."""
        if fact.ticket is not None and fact.decision.verdict is Verdict.ADMIT:
            self.passages[fact.ticket.serial].append(fact.admitted_passage())
