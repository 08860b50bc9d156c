"""Forwarding a venue hub's scans to the central service, exactly once.

Every scan a gate registered at the hub (online or in an offline batch) is owed upstream until a
`hub_forwarded` row says the central service acknowledged it. The hub sends the owed scans
oldest first, grouped by gate, in batches under the gate's own nonces and in the gate's name
(the `hub` role, services/devices.forwarded_for): the central service judges each passage again
with all it knows and answers registered, duplicate (sent before, by the hub or by the gate
itself), conflict (flagged there for a manager) or refused. Only after that answer is the row
written, so a hub that stops between the two sends the batch again and gets duplicates.

Annulled scans are not sent: an annulled passage does not count. A scan annulled after it was
forwarded has its annulment forwarded after the scans of each round (services/hub/annulments.py).
A refused passage is kept with the central service's reason and not sent again.
"""

from __future__ import annotations

import asyncio
import logging
from collections import defaultdict
from collections.abc import Sequence
from datetime import UTC, datetime

import msgspec
from sqlalchemy import insert, select, update
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncSession

from admission.contract import BatchPassage, BatchRequest, BatchResult
from admission.db.engine import Database
from admission.db.models import Device, HubForwarded, Scan, table_of
from admission.domain.model import Direction, Reason, Verdict
from admission.services.hub.annulments import forward_annulments
from admission.services.hub.upstream import Upstream, UpstreamRefused, UpstreamUnavailable

log = logging.getLogger(__name__)

BATCH_SIZE = 500
MAX_BACKOFF = 10.0  # a venue's link comes back: its passages should follow within seconds


class OwedScan(msgspec.Struct, frozen=True, kw_only=True):
    scan_id: int
    device: str
    passage: BatchPassage


class Forwarded(msgspec.Struct, kw_only=True):
    """What one round of forwarding did, by the central service's answer."""

    sent: int = 0
    by_status: dict[str, int] = {}
    annulments: dict[str, int] = {}  # annulments forwarded, by the central service's answer


async def owed_scans(session: AsyncSession, limit: int) -> list[OwedScan]:
    """The oldest scans of the hub's gates not yet acknowledged upstream (not annulled)."""
    rows = (
        await session.execute(
            select(Scan, Device.name)
            .join(Device, Device.id == Scan.device_id)
            .outerjoin(HubForwarded, HubForwarded.scan_id == Scan.id)
            .where(HubForwarded.scan_id.is_(None), Device.role == "gate", Scan.annulled_at.is_(None))
            .order_by(Scan.id)
            .limit(limit)
        )
    ).all()
    return [
        OwedScan(
            scan_id=scan.id,
            device=device,
            passage=BatchPassage(
                nonce=scan.nonce,
                code=scan.code,
                gate=scan.gate,
                direction=Direction(scan.direction),
                scanned_at=scan.scanned_at,
                # What the gate did is what the hub decided (or the gate, offline).
                local_verdict=Verdict(scan.verdict),
                local_reason=Reason(scan.reason),
                override_reason=scan.override_reason,
            ),
        )
        for scan, device in rows
    ]


async def record_forwarded(session: AsyncSession, acknowledged: Sequence[tuple[int, BatchResult]]) -> None:
    if not acknowledged:
        return
    now = datetime.now(UTC)
    # The hub may have followed the centre's feed past these scans meanwhile and marked them as
    # come from there (`upstream`): the centre's own answer replaces that mark.
    marked = set(
        (
            await session.scalars(
                select(HubForwarded.scan_id).where(HubForwarded.scan_id.in_([i for i, _ in acknowledged]))
            )
        ).all()
    )
    for scan_id, result in acknowledged:
        if scan_id in marked:
            await session.execute(
                update(HubForwarded)
                .where(HubForwarded.scan_id == scan_id)
                .values(forwarded_at=now, status=result.status, detail=result.detail)
            )
    fresh = [
        {"scan_id": scan_id, "forwarded_at": now, "status": result.status, "detail": result.detail}
        for scan_id, result in acknowledged
        if scan_id not in marked
    ]
    if fresh:
        await session.execute(insert(table_of(HubForwarded)), fresh)


class HubForwarder:
    """Sends the hub's owed scans upstream, round after round, until stopped."""

    def __init__(
        self, db: Database, upstream: Upstream, *, batch_size: int = BATCH_SIZE, interval: float = 1.0
    ) -> None:
        self.db = db
        self.upstream = upstream
        self.batch_size = batch_size
        self.interval = interval

    async def forward_once(self) -> Forwarded:
        """Send every owed scan (in batches) and record the answers; raises when upstream fails."""
        done = Forwarded(by_status=defaultdict(int))
        while True:
            async with self.db.read_session() as session:
                owed = await owed_scans(session, self.batch_size)
            if not owed:
                done.by_status = dict(done.by_status)
                done.annulments = await forward_annulments(self.db, self.upstream, self.batch_size)
                return done
            by_device: dict[str, list[OwedScan]] = defaultdict(list)
            for scan in owed:
                by_device[scan.device].append(scan)
            for device, scans in by_device.items():
                response = await self.upstream.batch(
                    BatchRequest(device=device, passages=[s.passage for s in scans])
                )
                results = {r.nonce: r for r in response.results}
                acknowledged = [
                    (s.scan_id, results[s.passage.nonce]) for s in scans if s.passage.nonce in results
                ]
                async with self.db.session() as session:
                    await record_forwarded(session, acknowledged)
                done.sent += len(acknowledged)
                for _, result in acknowledged:
                    done.by_status[result.status] += 1
                if len(acknowledged) < len(scans):  # an answer without some nonce: never loop on it
                    raise UpstreamUnavailable("the central service left passages unanswered")

    async def run(self) -> None:
        """Forward until cancelled; a failing link backs off (1 s doubling to 10 s)."""
        backoff = self.interval
        while True:
            try:
                done = await self.forward_once()
            except UpstreamUnavailable as exc:
                log.warning("cannot forward to the central service: %s", exc)
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, MAX_BACKOFF)
                continue
            except UpstreamRefused as exc:  # the hub's token or a batch refused: say so, retry later
                log.error("the central service refused the hub's batch: %s", exc)
                await asyncio.sleep(MAX_BACKOFF)
                continue
            except DBAPIError as exc:  # lost a race with the feed's follower: the next round sees it
                log.warning("forwarding round given up, tried again: %s", type(exc).__name__)
                await asyncio.sleep(self.interval)
                continue
            if done.sent:
                log.info("forwarded %s passages upstream: %s", done.sent, done.by_status)
            if done.annulments:
                log.info("forwarded annulments upstream: %s", done.annulments)
            backoff = self.interval
            await asyncio.sleep(self.interval)
