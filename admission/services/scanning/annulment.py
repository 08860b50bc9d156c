"""Annulment: the turnstile did not turn, so the gate takes its own passage back."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from admission.contract import AnnulResponse, HubAnnulRequest, HubAnnulResponse, HubAnnulResult, PassageData
from admission.db.models import Scan
from admission.domain.errors import ConflictError, NotFoundError
from admission.domain.model import Direction
from admission.services import catalog, feed
from admission.services.devices import Principal, forwarded_for
from admission.services.scanning.scopes import device_scope


async def annul_passage(session: AsyncSession, principal: Principal, nonce: str) -> AnnulResponse:
    """The turnstile did not turn: the gate takes its own passage back, shortly after. A
    device's nonces are its own, so only its own scans are found (an admin's too)."""
    window_seconds = (await catalog.get_venue(session)).annul_window_seconds
    scan = await session.scalar(
        select(Scan).where(Scan.nonce_scope == device_scope(principal), Scan.nonce == nonce).with_for_update()
    )
    if scan is None:
        raise NotFoundError(f"this device has no scan with nonce {nonce!r}")
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


async def annul_forwarded(
    session: AsyncSession, hub: Principal, request: HubAnnulRequest
) -> HubAnnulResponse:
    """A venue hub forwards annulments made at it after it had forwarded the scans: each is
    annulled here in the gate's name, exactly as if the gate asked here now (its own scans only,
    the venue's window measured by this service's clock). One annulled before (the hub sent it
    again) is a `duplicate`; one this service refuses is `refused`, with why, and the others go on."""
    gate = await forwarded_for(session, hub, request.device)
    results: list[HubAnnulResult] = []
    for nonce in request.nonces:
        annulled = await session.scalar(
            select(Scan.annulled_at).where(Scan.nonce_scope == device_scope(gate), Scan.nonce == nonce)
        )
        if annulled is not None:
            results.append(HubAnnulResult(nonce=nonce, status="duplicate"))
            continue
        try:
            await annul_passage(session, gate, nonce)
        except (ConflictError, NotFoundError) as refused:
            results.append(HubAnnulResult(nonce=nonce, status="refused", detail=str(refused)[:300]))
            continue
        results.append(HubAnnulResult(nonce=nonce, status="annulled"))
    return HubAnnulResponse(results=results)
