"""Online scans: a group decided and recorded in arrival order in one transaction
(`admission.services.scan_queue` forms the groups and commits them).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

from sqlalchemy.ext.asyncio import AsyncSession

from admission.contract import ScanRequest, ScanResponse
from admission.domain.codes import printable_code
from admission.domain.errors import ConflictError, DomainError, ForbiddenError
from admission.services import catalog
from admission.services.devices import Principal
from admission.services.keys import KeyRing
from admission.services.scanning.deciding import TicketIndex
from admission.services.scanning.facts import ScanFact, check_scan_time, record_scans
from admission.services.scanning.scopes import NONCE_REUSED, StoredScan, device_scope, gate_refusal


async def scan_online_group(
    session: AsyncSession,
    ring: KeyRing,
    view: catalog.ScanCatalog,
    scans: Sequence[tuple[Principal, ScanRequest]],
    stored: dict[tuple[int, str], StoredScan],
) -> list[ScanResponse | DomainError]:
    """Decide and record online scans in arrival order, in the caller's transaction.

    Each admitted scan counts for the scans after it, exactly as if each had had a
    transaction of its own (see ScanQueue). A scan the caller got wrong (unknown gate, another
    gate than the device's, a time in the future, a nonce it used for another scan) gets its
    error in its place and records nothing; the others go on. A nonce of the device's in
    `stored` (scans recorded before) gets that answer again; one recorded meanwhile by
    another worker makes the insert fail on the unique (scope, nonce).
    """
    now = datetime.now(UTC)
    stored = dict(stored)
    gates = view.gates
    index = TicketIndex(session, ring, view)
    await index.load(request.code for p, request in scans if (device_scope(p), request.nonce) not in stored)
    outcomes: list[ScanResponse | DomainError] = []
    facts: list[ScanFact] = []
    for principal, request in scans:
        key = (device_scope(principal), request.nonce)
        try:
            if key in stored:
                _check_gate(principal, request.gate)
                outcomes.append(replay(stored[key], request))
                continue
            at = check_scan_time(request.scanned_at, now)
            gate = catalog.known_gate(gates, request.gate)
            _check_gate(principal, request.gate)
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
        answer = fact.answer()
        stored[key] = StoredScan(
            code=printable_code(request.code), gate=gate.name, direction=request.direction, answer=answer
        )
        outcomes.append(answer)
    await record_scans(session, facts)
    return outcomes


def replay(stored: StoredScan, request: ScanRequest) -> ScanResponse:
    """The answer given before to this device's nonce: the same scan sent again gets it back."""
    if not stored.says_the_same(request.code, request.gate, request.direction):
        raise ConflictError(NONCE_REUSED)
    return stored.answer


def _check_gate(principal: Principal, gate: str) -> None:
    refusal = gate_refusal(principal, gate)
    if refusal is not None:
        raise ForbiddenError(refusal)
