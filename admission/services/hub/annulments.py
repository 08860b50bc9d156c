"""Forwarding annulments a hub's gates made after the hub had forwarded their scans.

The turnstile did not turn: the gate annulled its passage at the hub, but the link had already
sent the scan to the central service, where it counts. Such a scan (annulled at the hub, with a
`hub_forwarded` row the centre took, and no annulment status yet) is owed: the hub sends its
nonce in the gate's name (`POST /hub/annulments`, the `hub` role), and the centre annuls it as
if the gate asked there now, its own window measured by its own clock. The answer is written in
the scan's `hub_forwarded` row only after it came: annulled, duplicate (sent before: a hub that
stopped before writing sends again, and nothing is annulled twice) or refused with the centre's
reason, which a manager then reads; a refused annulment is not sent again."""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, datetime

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from admission.contract import HubAnnulRequest, HubAnnulResult
from admission.db.engine import Database
from admission.db.models import Device, HubForwarded, Scan
from admission.services.hub.upstream import Upstream, UpstreamUnavailable

TAKEN_UPSTREAM = ("registered", "duplicate", "conflict", "upstream")  # the scan counts there


async def owed_annulments(session: AsyncSession, limit: int) -> list[tuple[int, str, str]]:
    """(scan id, gate device, nonce) of the oldest annulments owed upstream."""
    rows = await session.execute(
        select(Scan.id, Device.name, Scan.nonce)
        .join(Device, Device.id == Scan.device_id)
        .join(HubForwarded, HubForwarded.scan_id == Scan.id)
        .where(
            Scan.annulled_at.is_not(None),
            HubForwarded.annul_status.is_(None),
            HubForwarded.status.in_(TAKEN_UPSTREAM),
            Device.role == "gate",
        )
        .order_by(Scan.id)
        .limit(limit)
    )
    return [(scan_id, device, nonce) for scan_id, device, nonce in rows]


async def record_annulments(session: AsyncSession, answered: list[tuple[int, HubAnnulResult]]) -> None:
    now = datetime.now(UTC)
    for scan_id, result in answered:
        await session.execute(
            update(HubForwarded)
            .where(HubForwarded.scan_id == scan_id)
            .values(annul_status=result.status, annul_detail=result.detail, annulled_upstream_at=now)
        )


async def forward_annulments(db: Database, upstream: Upstream, batch_size: int) -> dict[str, int]:
    """Send every owed annulment and record the answers; raises when upstream fails."""
    done: dict[str, int] = defaultdict(int)
    while True:
        async with db.read_session() as session:
            owed = await owed_annulments(session, batch_size)
        if not owed:
            return dict(done)
        by_device: dict[str, list[tuple[int, str]]] = defaultdict(list)
        for scan_id, device, nonce in owed:
            by_device[device].append((scan_id, nonce))
        for device, scans in by_device.items():
            response = await upstream.annul(HubAnnulRequest(device=device, nonces=[n for _, n in scans]))
            results = {r.nonce: r for r in response.results}
            answered = [(scan_id, results[nonce]) for scan_id, nonce in scans if nonce in results]
            async with db.session() as session:
                await record_annulments(session, answered)
            for _, result in answered:
                done[result.status] += 1
            if len(answered) < len(scans):  # an answer without some nonce: never loop on it
                raise UpstreamUnavailable("the central service left annulments unanswered")
