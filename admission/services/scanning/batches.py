"""Offline batches: what gates decided while offline, registered exactly once and judged
again by the service; and online scans whose answer the gate never saw, settled by what
the gate did.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from datetime import UTC, datetime

import msgspec
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from admission.contract import (
    BatchPassage,
    BatchRequest,
    BatchResponse,
    BatchResult,
    BatchStatus,
    PassageData,
)
from admission.db.models import Scan
from admission.domain.errors import ForbiddenError
from admission.domain.model import Decision, Direction, GateInfo, Reason, Verdict
from admission.domain.rules import passage_order
from admission.services import catalog
from admission.services.devices import Principal, forwarded_for
from admission.services.keys import KeyRing
from admission.services.scanning.annulment import mark_annulled
from admission.services.scanning.deciding import TicketIndex
from admission.services.scanning.facts import ScanFact, check_scan_time, record_scans
from admission.services.scanning.scopes import NONCE_REUSED, ScanBody, device_scope, gate_refusal


async def register_batch(
    session: AsyncSession,
    ring: KeyRing,
    catalogue: catalog.ScanCatalogCache,
    principal: Principal,
    request: BatchRequest,
) -> BatchResponse:
    if principal.role == "hub":  # a venue hub forwards what a gate registered at it
        principal = await forwarded_for(session, principal, request.device)
    if request.device != principal.device_name:
        raise ForbiddenError(
            f"this token belongs to device {principal.device_name!r}, not {request.device!r}"
        )
    view = await catalogue.current(session)
    now = datetime.now(UTC)
    for passage in request.passages:
        check_scan_time(passage.scanned_at, now)
    scope = device_scope(principal)
    known = await _known_scans(session, scope, [p.nonce for p in request.passages])
    results = _refusals(principal, request.passages, known)
    passages = [p for p in request.passages if p.nonce not in results]
    second = {
        p.nonce: p for p in passages if p.nonce in known and known[p.nonce].decided_otherwise(p, principal)
    }
    admitted_by_gate = {gate_nonce(p.nonce) for p in second.values() if p.local_verdict is Verdict.ADMIT}
    known.update(await _known_scans(session, scope, sorted(admitted_by_gate)))
    annulled = await _annul_online_admissions(
        session, scope, [n for n, p in second.items() if p.local_verdict is Verdict.REJECT], now
    )
    index = TicketIndex(session, ring, view)
    judged_here = admitted_by_gate - known.keys()  # a gate's own admissions not registered yet
    await index.load(p.code for p in passages if p.nonce not in known or gate_nonce(p.nonce) in judged_here)
    facts: list[ScanFact] = []
    for passage in sorted(passages, key=lambda p: (p.scanned_at, p.nonce)):
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
    await index.rejudge_later_admissions()
    await record_scans(session, facts, annulled)
    return BatchResponse(results=[results[p.nonce] for p in request.passages])


SENT_TWICE = "this nonce comes twice in the batch, for different scans"


def _refusals(
    principal: Principal, passages: Sequence[BatchPassage], known: dict[str, KnownScan]
) -> dict[str, BatchResult]:
    """Passages registered nowhere: at another gate than the device's, or under a nonce the
    device used for another scan. Each is refused on its own (the gate keeps it, flagged), so
    the rest of the batch still registers."""
    refused: dict[str, BatchResult] = {}
    first: dict[str, BatchPassage] = {}
    for passage in passages:
        earlier = first.setdefault(passage.nonce, passage)
        why = gate_refusal(principal, passage.gate)
        stored = known.get(passage.nonce)
        if why is None and stored and not stored.says_the_same(passage.code, passage.gate, passage.direction):
            why = NONCE_REUSED
        if why is None and (earlier.code, earlier.gate, earlier.direction) != (
            passage.code,
            passage.gate,
            passage.direction,
        ):
            why = SENT_TWICE
        if why is not None and passage.nonce not in refused:
            refused[passage.nonce] = BatchResult(
                nonce=passage.nonce,
                status="refused",
                verdict=passage.local_verdict,
                reason=passage.local_reason,
                detail=why,
            )
    return refused


class KnownScan(ScanBody, frozen=True, kw_only=True):
    """What a batch needs of a scan this device recorded before under one of its nonces."""

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


async def _known_scans(session: AsyncSession, scope: int, nonces: list[str]) -> dict[str, KnownScan]:
    known: dict[str, KnownScan] = {}
    for start in range(0, len(nonces), 5000):
        rows = await session.execute(
            select(
                Scan.nonce,
                Scan.code,
                Scan.gate,
                Scan.direction,
                Scan.verdict,
                Scan.reason,
                Scan.source,
                Scan.device_id,
                Scan.annulled_at,
            ).where(Scan.nonce_scope == scope, Scan.nonce.in_(nonces[start : start + 5000]))
        )
        known.update(
            {
                row.nonce: KnownScan(
                    code=row.code,
                    gate=row.gate,
                    direction=Direction(row.direction),
                    verdict=Verdict(row.verdict),
                    reason=Reason(row.reason),
                    source=row.source,
                    device_id=row.device_id,
                    annulled=row.annulled_at is not None,
                )
                for row in rows
            }
        )
    return known


async def _annul_online_admissions(
    session: AsyncSession, scope: int, nonces: list[str], now: datetime
) -> list[PassageData]:
    """The gate turned away someone the service had admitted online: the passage never was."""
    if not nonces:
        return []
    scans = await session.scalars(
        select(Scan)
        .where(Scan.nonce_scope == scope, Scan.nonce.in_(nonces), Scan.annulled_at.is_(None))
        .with_for_update()
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
    order = passage_order(passage.scanned_at, principal.device_id, passage.nonce)
    ticket, facts, server = await index.judge(
        passage.code, gate, passage.direction, passage.scanned_at, order=order
    )
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
