"""What is stored of each scan: the fact, its answer, its row and, when admitted, its passage
on the feed; and the answers given before, by nonce.

Every scan is stored as a fact, rejected ones too. A nonce is registered once in its scope
(`scopes`): a repeated nonce gets the first answer back and registers nothing.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

import msgspec
from sqlalchemy import insert
from sqlalchemy.ext.asyncio import AsyncSession

from admission.contract import BatchResult, BatchStatus, PassageData, ScanResponse, TicketSummary
from admission.db.models import Scan, table_of
from admission.domain.codes import printable_code
from admission.domain.errors import InvalidRequestError
from admission.domain.model import (
    AdmittedPassage,
    Decision,
    Direction,
    GateInfo,
    Reason,
    TicketFacts,
    Verdict,
)
from admission.domain.rules import PassageOrder, passage_order
from admission.services import feed, tickets
from admission.services.scanning.scopes import scope_of

CLOCK_SKEW_ALLOWED = timedelta(minutes=10)


_encoder = msgspec.json.Encoder()


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
    counts_for: int | None = None  # an admission with a reissued ticket's old code: its successor

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

    def counted_serial(self) -> int | None:
        """The ticket the scan is stored under: its own, or for an admission with the old code
        of a reissued ticket, the ticket that replaced it (one entitlement, counted once)."""
        if self.counts_for is not None:
            return self.counts_for
        return self.ticket.serial if self.ticket else None

    def row(self) -> dict[str, object]:
        return {
            "nonce": self.nonce,
            "nonce_scope": scope_of(self.source, self.device_id),
            "code": printable_code(self.code),
            "ticket_serial": self.counted_serial(),
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
            ticket_serial=str(self.counted_serial()),
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


class StoredAdmission(msgspec.Struct, frozen=True, kw_only=True):
    """An admitted passage stored before, as the ticket index reads it to judge (and re-judge)."""

    id: int
    nonce: str
    code: str
    ticket_serial: int
    device_id: int | None
    gate: str
    zone: str
    from_zone: str | None
    direction: str
    scanned_at: datetime
    source: str
    conflict: bool

    @classmethod
    def columns(cls) -> list[Any]:
        return [table_of(Scan).c[name] for name in cls.__struct_fields__]

    def order(self) -> PassageOrder:
        return passage_order(self.scanned_at, self.device_id, self.nonce)

    def passage(self) -> AdmittedPassage:
        return AdmittedPassage(
            gate_name=self.gate,
            zone=self.zone,
            from_zone=self.from_zone,
            direction=Direction(self.direction),
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
