"""Online scans: a group decided and recorded in arrival order in one transaction
(`admission.services.scan_queue` forms the groups and commits them).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

from sqlalchemy.ext.asyncio import AsyncSession

from admission.contract import ScanRequest, ScanResponse
from admission.domain.errors import DomainError
from admission.services import catalog
from admission.services.devices import Principal
from admission.services.keys import KeyRing
from admission.services.scanning.deciding import TicketIndex
from admission.services.scanning.facts import ScanFact, check_scan_time, record_scans


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
