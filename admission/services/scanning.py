"""Scans: online validation and registration, offline batches, annulment, occupancy.

Every scan is stored as a fact, rejected ones too. A nonce is registered once: a repeated
nonce gets the first answer back and registers nothing. Each decision and its record share a
transaction in which the ticket is locked (SELECT ... FOR UPDATE on PostgreSQL, BEGIN
IMMEDIATE on SQLite), so two gates can never both admit a single-entry ticket online.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime, timedelta

import msgspec
from sqlalchemy import ColumnElement, case, func, insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from admission.contract import (
    AnnulResponse,
    AutoExitRequest,
    AutoExitResponse,
    BatchPassage,
    BatchRequest,
    BatchResponse,
    BatchResult,
    BatchStatus,
    Occupancy,
    PassageData,
    ScanRequest,
    ScanResponse,
    TicketSummary,
)
from admission.db.models import Gate, Scan, Ticket, table_of
from admission.domain import codes
from admission.domain.codes import CodeError
from admission.domain.errors import (
    ConflictError,
    DomainError,
    ForbiddenError,
    InvalidRequestError,
    NotFoundError,
)
from admission.domain.model import (
    AdmittedPassage,
    Decision,
    Direction,
    GateInfo,
    Reason,
    TicketFacts,
    Verdict,
)
from admission.domain.rules import decide, reject_invalid
from admission.services import catalog, feed, tickets
from admission.services.devices import Principal
from admission.services.keys import KeyRing

CLOCK_SKEW_ALLOWED = timedelta(minutes=10)
_encoder = msgspec.json.Encoder()
_decoder = msgspec.json.Decoder(ScanResponse)


def printable_code(raw: str) -> str:
    """The scanned text as stored: NUL is the one character PostgreSQL text cannot hold."""
    return raw.replace("\x00", "\ufffd")[:2000]


def check_scan_time(scanned_at: datetime | None, now: datetime) -> datetime:
    if scanned_at is None:
        return now
    if scanned_at.tzinfo is None:
        raise InvalidRequestError("scanned_at must carry a UTC offset")
    if scanned_at > now + CLOCK_SKEW_ALLOWED:
        raise InvalidRequestError("scanned_at is in the future: check the device clock")
    return scanned_at


def summary(ticket: tickets.TicketFields, facts: TicketFacts, decision: Decision) -> TicketSummary:
    return TicketSummary(
        serial=str(ticket.serial),
        number=ticket.number,
        template_id=ticket.template_id,
        template=facts.template.name,
        event_id=ticket.event_id,
        status="void" if ticket.status == "void" else "valid",
        entries_left=decision.entries_left,
        valid_from=ticket.valid_from,
        valid_until=ticket.valid_until,
    )


class ScanFact(msgspec.Struct, kw_only=True):
    """Everything stored for one scan."""

    nonce: str
    code: str
    ticket: tickets.TicketFields | None
    facts: TicketFacts | None
    gate: GateInfo
    direction: Direction
    decision: Decision
    source: str
    scanned_at: datetime
    received_at: datetime
    device_id: int | None
    local_verdict: Verdict | None = None
    local_reason: Reason | None = None
    override_reason: str | None = None
    conflict: bool = False

    def answer(self) -> ScanResponse:
        ticket_summary = None
        if self.ticket is not None and self.facts is not None:
            ticket_summary = summary(self.ticket, self.facts, self.decision)
        return ScanResponse(
            verdict=self.decision.verdict,
            reason=self.decision.reason,
            message=self.decision.message,
            nonce=self.nonce,
            scanned_at=self.scanned_at,
            ticket=ticket_summary,
        )

    def row(self) -> dict[str, object]:
        return {
            "nonce": self.nonce,
            "code": printable_code(self.code),
            "ticket_serial": self.ticket.serial if self.ticket else None,
            "device_id": self.device_id,
            "gate": self.gate.name,
            "zone": self.gate.zone,
            "from_zone": self.gate.from_zone,
            "direction": self.direction.value,
            "verdict": self.decision.verdict.value,
            "reason": self.decision.reason.value,
            "message": self.decision.message[:300],
            "source": self.source,
            "scanned_at": self.scanned_at,
            "received_at": self.received_at,
            "local_verdict": self.local_verdict.value if self.local_verdict else None,
            "local_reason": self.local_reason.value if self.local_reason else None,
            "override_reason": self.override_reason,
            "conflict": self.conflict,
            "answer": _encoder.encode(self.answer()).decode(),
        }

    def passage(self) -> PassageData | None:
        if self.ticket is None or self.decision.verdict is not Verdict.ADMIT:
            return None
        return PassageData(
            nonce=self.nonce,
            ticket_serial=str(self.ticket.serial),
            gate=self.gate.name,
            zone=self.gate.zone,
            from_zone=self.gate.from_zone,
            direction=self.direction,
            scanned_at=self.scanned_at,
        )

    def result(self, nonce: str) -> BatchResult:
        """The batch result for this fact, under the nonce the gate sent."""
        status: BatchStatus = "conflict" if self.conflict else "registered"
        return BatchResult(
            nonce=nonce, status=status, verdict=self.decision.verdict, reason=self.decision.reason
        )

    def admitted_passage(self) -> AdmittedPassage:
        return AdmittedPassage(
            gate_name=self.gate.name,
            zone=self.gate.zone,
            from_zone=self.gate.from_zone,
            direction=self.direction,
            scanned_at=self.scanned_at,
        )


async def record_scans(
    session: AsyncSession, facts: Sequence[ScanFact], annulled: Sequence[PassageData] = ()
) -> None:
    """Store the facts and put their admitted passages, and passages annulled, on the feed."""
    if facts:
        await session.execute(insert(table_of(Scan)), [f.row() for f in facts])  # Core: no ORM layer
    passages = [*(p for p in (f.passage() for f in facts) if p is not None), *annulled]
    await feed.emit_many(session, [("passage", p.nonce, p) for p in passages])


async def previous_answer(session: AsyncSession, nonce: str) -> ScanResponse | None:
    answer = await session.scalar(select(Scan.answer).where(Scan.nonce == nonce))
    return _decoder.decode(answer) if answer is not None else None


# ------------------------------------------------------------------ online -----------


async def scan_online_group(
    session: AsyncSession,
    ring: KeyRing,
    view: catalog.ScanCatalog,
    scans: Sequence[tuple[Principal, ScanRequest]],
    answered: dict[str, ScanResponse],
) -> list[ScanResponse | DomainError]:
    """Decide and record online scans in arrival order, in the caller's transaction.

    Each admitted scan counts for the scans after it, exactly as if each had had a
    transaction of its own (see ScanQueue). A scan the caller got wrong (unknown gate, a
    time in the future) gets its error in its place and records nothing; the others go on.
    A nonce in `answered` (answers given before) gets that answer again; one answered
    meanwhile by another worker makes the insert fail on the unique nonce.
    """
    now = datetime.now(UTC)
    answered = dict(answered)
    gates = view.gates
    index = TicketIndex(session, ring, view)
    await index.load(request.code for _, request in scans if request.nonce not in answered)
    outcomes: list[ScanResponse | DomainError] = []
    facts: list[ScanFact] = []
    for principal, request in scans:
        if request.nonce in answered:
            outcomes.append(answered[request.nonce])
            continue
        try:
            at = check_scan_time(request.scanned_at, now)
            gate = catalog.known_gate(gates, request.gate)
        except DomainError as exc:
            outcomes.append(exc)
            continue
        ticket, ticket_facts, decision = await index.judge(request.code, gate, request.direction, at)
        fact = ScanFact(
            nonce=request.nonce,
            code=request.code,
            ticket=ticket,
            facts=ticket_facts,
            gate=gate,
            direction=request.direction,
            decision=decision,
            source="online",
            scanned_at=at,
            received_at=now,
            device_id=principal.device_id,
        )
        facts.append(fact)
        index.record(fact)
        answered[request.nonce] = fact.answer()
        outcomes.append(answered[request.nonce])
    await record_scans(session, facts)
    return outcomes


async def stored_answers(session: AsyncSession, nonces: Sequence[str]) -> dict[str, ScanResponse]:
    """The answers given before to any of these nonces."""
    found: dict[str, ScanResponse] = {}
    for start in range(0, len(nonces), 5000):
        rows = await session.execute(
            select(Scan.nonce, Scan.answer).where(Scan.nonce.in_(nonces[start : start + 5000]))
        )
        found.update({nonce: _decoder.decode(answer) for nonce, answer in rows})
    return found


# ------------------------------------------------------------------ the ticket index --


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


# ------------------------------------------------------------------ batches ----------


async def register_batch(
    session: AsyncSession,
    ring: KeyRing,
    catalogue: catalog.ScanCatalogCache,
    principal: Principal,
    request: BatchRequest,
) -> BatchResponse:
    if request.device != principal.device_name:
        raise ForbiddenError(
            f"this token belongs to device {principal.device_name!r}, not {request.device!r}"
        )
    view = await catalogue.current(session)
    now = datetime.now(UTC)
    for passage in request.passages:
        check_scan_time(passage.scanned_at, now)
    known = await _known_scans(session, [p.nonce for p in request.passages])
    second = {
        p.nonce: p
        for p in request.passages
        if p.nonce in known and known[p.nonce].decided_otherwise(p, principal)
    }
    admitted_by_gate = {gate_nonce(p.nonce) for p in second.values() if p.local_verdict is Verdict.ADMIT}
    known.update(await _known_scans(session, sorted(admitted_by_gate)))
    annulled = await _annul_online_admissions(
        session, [n for n, p in second.items() if p.local_verdict is Verdict.REJECT], now
    )
    index = TicketIndex(session, ring, view)
    judged_here = admitted_by_gate - known.keys()  # a gate's own admissions not registered yet
    await index.load(
        p.code for p in request.passages if p.nonce not in known or gate_nonce(p.nonce) in judged_here
    )
    results: dict[str, BatchResult] = {}
    facts: list[ScanFact] = []
    for passage in sorted(request.passages, key=lambda p: p.scanned_at):
        if passage.nonce in results:
            continue
        if passage.nonce in second:
            results[passage.nonce], fact = await _second_decision(principal, index, view, passage, known, now)
        elif passage.nonce in known:
            stored = known[passage.nonce]
            results[passage.nonce] = BatchResult(
                nonce=passage.nonce, status="duplicate", verdict=stored.verdict, reason=stored.reason
            )
            continue
        else:
            fact = await _judge_offline_passage(principal, index, view.gates, passage, now)
            results[passage.nonce] = fact.result(passage.nonce)
        if fact is not None:
            facts.append(fact)
            index.record(fact)
    await record_scans(session, facts, annulled)
    return BatchResponse(results=[results[p.nonce] for p in request.passages])


class KnownScan(msgspec.Struct, frozen=True, kw_only=True):
    """What a batch needs of a scan recorded before under one of its nonces."""

    verdict: Verdict
    reason: Reason
    source: str
    device_id: int | None
    annulled: bool

    def decided_otherwise(self, passage: BatchPassage, principal: Principal) -> bool:
        """The gate's own online scan, whose answer it never saw: it decided the scan itself
        (same nonce) and came to the other verdict. What the gate did is what happened."""
        return (
            self.source == "online"
            and self.device_id == principal.device_id
            and passage.override_reason is None
            and passage.local_verdict is not self.verdict
        )


def gate_nonce(nonce: str) -> str:
    """The nonce of a gate's own admission, registered beside its online scan that was rejected."""
    return "gate-decided-" + hashlib.sha256(nonce.encode()).hexdigest()[:40]


async def _known_scans(session: AsyncSession, nonces: list[str]) -> dict[str, KnownScan]:
    known: dict[str, KnownScan] = {}
    for start in range(0, len(nonces), 5000):
        rows = await session.execute(
            select(
                Scan.nonce, Scan.verdict, Scan.reason, Scan.source, Scan.device_id, Scan.annulled_at
            ).where(Scan.nonce.in_(nonces[start : start + 5000]))
        )
        known.update(
            {
                n: KnownScan(
                    verdict=Verdict(v), reason=Reason(r), source=s, device_id=d, annulled=a is not None
                )
                for n, v, r, s, d, a in rows
            }
        )
    return known


async def _annul_online_admissions(
    session: AsyncSession, nonces: list[str], now: datetime
) -> list[PassageData]:
    """The gate turned away someone the service had admitted online: the passage never was."""
    if not nonces:
        return []
    scans = await session.scalars(
        select(Scan).where(Scan.nonce.in_(nonces), Scan.annulled_at.is_(None)).with_for_update()
    )
    return [mark_annulled(scan, now) for scan in scans.all()]


async def _second_decision(
    principal: Principal,
    index: TicketIndex,
    view: catalog.ScanCatalog,
    passage: BatchPassage,
    known: dict[str, KnownScan],
    now: datetime,
) -> tuple[BatchResult, ScanFact | None]:
    """The result for a passage the gate decided itself after its online scan went unanswered."""
    if passage.local_verdict is Verdict.REJECT:  # the service's admission is annulled (done above)
        status: BatchStatus = "duplicate" if known[passage.nonce].annulled else "registered"
        return BatchResult(
            nonce=passage.nonce, status=status, verdict=Verdict.REJECT, reason=passage.local_reason
        ), None
    own = gate_nonce(passage.nonce)
    if own in known:
        stored = known[own]
        return BatchResult(
            nonce=passage.nonce, status="duplicate", verdict=stored.verdict, reason=stored.reason
        ), None
    fact = await _judge_offline_passage(
        principal, index, view.gates, msgspec.structs.replace(passage, nonce=own), now
    )
    return fact.result(passage.nonce), fact


async def _judge_offline_passage(
    principal: Principal,
    index: TicketIndex,
    gates: dict[str, GateInfo],
    passage: BatchPassage,
    now: datetime,
) -> ScanFact:
    """The fact to store for a passage decided at an offline gate.

    The gate's verdict is what happened: the person went through or did not. The service
    judges it again with everything it knows; when the gate admitted someone the service
    would have rejected, the passage is registered as admitted and flagged as a conflict.
    """
    gate = gates.get(passage.gate) or GateInfo(name=passage.gate, zone="unknown")
    ticket, facts, server = await index.judge(passage.code, gate, passage.direction, passage.scanned_at)
    local = Decision(verdict=passage.local_verdict, reason=passage.local_reason, message="")
    source = "override" if passage.override_reason else "offline"
    conflict = False
    if passage.override_reason or passage.local_verdict is Verdict.REJECT:
        message = (
            f"Supervisor override: {passage.override_reason}" if passage.override_reason else server.message
        )
        decision = Decision(verdict=local.verdict, reason=local.reason, message=message)
    elif server.admitted and passage.gate in gates:
        decision = server
    else:
        conflict = True
        decision = Decision(
            verdict=Verdict.ADMIT, reason=server.reason, message=f"Admitted offline, but: {server.message}"
        )
    return ScanFact(
        nonce=passage.nonce,
        code=passage.code,
        ticket=ticket,
        facts=facts,
        gate=gate,
        direction=passage.direction,
        decision=decision,
        source=source,
        scanned_at=passage.scanned_at,
        received_at=now,
        device_id=principal.device_id,
        local_verdict=passage.local_verdict,
        local_reason=passage.local_reason,
        override_reason=passage.override_reason,
        conflict=conflict,
    )


# ------------------------------------------------------------------ annul ------------


async def annul_passage(session: AsyncSession, principal: Principal, nonce: str) -> AnnulResponse:
    """The turnstile did not turn: the gate takes its own passage back, shortly after."""
    window_seconds = (await catalog.get_venue(session)).annul_window_seconds
    scan = await session.scalar(select(Scan).where(Scan.nonce == nonce).with_for_update())
    if scan is None:
        raise NotFoundError(f"no scan with nonce {nonce!r}")
    if principal.role != "admin" and scan.device_id != principal.device_id:
        raise ForbiddenError("a gate can annul only its own passages")
    if scan.annulled_at is not None:
        raise ConflictError("this passage is annulled already")
    if scan.verdict != "admit" or scan.ticket_serial is None:
        raise ConflictError("only admitted passages can be annulled")
    now = datetime.now(UTC)
    if now - scan.received_at > timedelta(seconds=window_seconds):
        raise ConflictError(f"too late: a passage can be annulled within {window_seconds} s")
    await feed.emit(session, "passage", scan.nonce, mark_annulled(scan, now))
    return AnnulResponse(nonce=scan.nonce, annulled_at=now)


def mark_annulled(scan: Scan, now: datetime) -> PassageData:
    """Annul an admitted passage; what the feed says of it from now on."""
    scan.annulled_at = now
    return PassageData(
        nonce=scan.nonce,
        ticket_serial=str(scan.ticket_serial),
        gate=scan.gate,
        zone=scan.zone,
        from_zone=scan.from_zone,
        direction=Direction(scan.direction),
        scanned_at=scan.scanned_at,
        annulled=True,
    )


# ------------------------------------------------------------------ occupancy --------


def _admitted_after(since: datetime | None) -> list[ColumnElement[bool]]:
    conditions: list[ColumnElement[bool]] = [
        Scan.verdict == "admit",
        Scan.annulled_at.is_(None),
        Scan.ticket_serial.is_not(None),
    ]
    if since is not None:
        conditions.append(Scan.scanned_at >= since)
    return conditions


async def occupancy_now(session: AsyncSession) -> Occupancy:
    return Occupancy(at=datetime.now(UTC), zones=await occupancy(session))


async def occupancy(session: AsyncSession, until: datetime | None = None) -> dict[str, int]:
    """People inside each zone: entries into it minus exits from it (never below zero)."""
    conditions = _admitted_after(None)
    if until is not None:
        conditions.append(Scan.scanned_at < until)
    into = case((Scan.direction == "in", 1), else_=-1)
    rows = await session.execute(select(Scan.zone, func.sum(into)).where(*conditions).group_by(Scan.zone))
    totals: dict[str, int] = defaultdict(int)
    for zone, count in rows:
        totals[zone] += int(count)
    from_rows = await session.execute(
        select(Scan.from_zone, func.sum(-into))
        .where(*conditions, Scan.from_zone.is_not(None))
        .group_by(Scan.from_zone)
    )
    for from_zone, count in from_rows:
        totals[str(from_zone)] += int(count)
    return {zone: max(count, 0) for zone, count in sorted(totals.items())}


def zone_tag(zone: str) -> str:
    return hashlib.sha256(zone.encode()).hexdigest()[:10]


async def exit_everyone(
    session: AsyncSession, request: AutoExitRequest, principal: Principal
) -> AutoExitResponse:
    """Closing time: an exit for everyone still inside, at the time asked for (default now)."""
    at = request.at or datetime.now(UTC)
    if at.tzinfo is None:
        raise DomainError("at must carry a UTC offset")
    return AutoExitResponse(exits_recorded=await auto_exit(session, at, principal.device_id))


async def auto_exit(session: AsyncSession, at: datetime, device_id: int | None) -> int:
    """Nightly reset: record an exit for every ticket still inside a zone. Returns the count."""
    rows = await session.execute(
        select(Scan.ticket_serial, Scan.zone, Scan.from_zone, Scan.direction)
        .where(*_admitted_after(None), Scan.scanned_at <= at)
        .order_by(Scan.scanned_at)
    )
    inside: dict[tuple[int, str], int] = defaultdict(int)
    for serial, zone, from_zone, direction in rows:
        step = 1 if direction == "in" else -1
        inside[(int(serial or 0), zone)] += step
        if from_zone:
            inside[(int(serial or 0), from_zone)] -= step
    entrances = select(Gate).where(Gate.from_zone.is_(None))
    gates = {g.zone: catalog.gate_info(g) for g in (await session.scalars(entrances)).all()}
    facts = []
    for (serial, zone), count in sorted(inside.items()):
        if count <= 0:
            continue
        gate = gates.get(zone) or GateInfo(name="auto-exit", zone=zone)
        ticket = await session.get(Ticket, serial)
        exit_decision = Decision(verdict=Verdict.ADMIT, reason=Reason.OK, message="Automatic exit at closing")
        facts.append(
            ScanFact(
                nonce=f"auto-exit-{int(at.timestamp())}-{serial}-{zone_tag(zone)}",
                code=ticket.number or ticket.code if ticket else "",
                ticket=ticket,
                facts=None,
                gate=gate,
                direction=Direction.OUT,
                decision=exit_decision,
                source="auto_exit",
                scanned_at=at,
                received_at=datetime.now(UTC),
                device_id=device_id,
            )
        )
    await record_scans(session, facts)
    return len(facts)
