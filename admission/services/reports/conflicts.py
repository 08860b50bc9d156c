"""Conflicts: passages admitted offline that the service would have rejected, and their review."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, Literal
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from admission.contract import ConflictRow, ConflictsReport
from admission.db.models import Device, Scan, Ticket
from admission.domain.errors import ConflictError, InvalidRequestError, NotFoundError
from admission.services.reports.counting import in_scope
from admission.services.reports.periods import Period, report_heading

ConflictStatus = Literal["open", "reviewed", "all"]


def _conflict_row(scan: Scan, device: str | None, number: str | None, tz: ZoneInfo) -> ConflictRow:
    return ConflictRow(
        nonce=scan.nonce,
        scanned_at=scan.scanned_at.astimezone(tz),
        received_at=scan.received_at.astimezone(tz),
        gate=scan.gate,
        device=device,
        ticket_serial=str(scan.ticket_serial) if scan.ticket_serial is not None else None,
        ticket_number=number,
        reason=scan.reason,
        message=scan.message,
        reviewed_at=scan.conflict_reviewed_at.astimezone(tz) if scan.conflict_reviewed_at else None,
        note=scan.conflict_note,
    )


def _conflicts_query(status: ConflictStatus, period: Period | None) -> Any:
    statement = (
        select(Scan, Device.name, Ticket.number)
        .outerjoin(Device, Device.id == Scan.device_id)
        .outerjoin(Ticket, Ticket.serial == Scan.ticket_serial)
        .where(Scan.conflict.is_(True), *in_scope(period))
        .order_by(Scan.scanned_at, Scan.id)
    )
    if status == "open":
        statement = statement.where(Scan.conflict_reviewed_at.is_(None))
    elif status == "reviewed":
        statement = statement.where(Scan.conflict_reviewed_at.is_not(None))
    return statement


async def conflicts_report(
    session: AsyncSession, tz: ZoneInfo, status: ConflictStatus = "open", period: Period | None = None
) -> ConflictsReport:
    """Passages admitted offline that the service would have rejected (e.g. the same
    single-entry ticket at two offline gates). Without a period: all of them, ever."""
    if status not in ("open", "reviewed", "all"):
        raise InvalidRequestError("status must be open, reviewed or all")
    rows = await session.execute(_conflicts_query(status, period))
    return ConflictsReport(
        **report_heading("conflicts", period, tz),
        status=status,
        rows=[_conflict_row(scan, device, number, tz) for scan, device, number in rows],
    )


async def review_conflict(
    session: AsyncSession, tz: ZoneInfo, nonce: str, note: str, now: datetime | None = None
) -> ConflictRow:
    """Mark a conflict reviewed with a note. The passage itself stays as it was: a fact."""
    # Nonces are per device, so two devices' scans may share one: the conflict waiting for a
    # review is meant, then any conflict, then whatever scan it is (to say why not).
    scan = await session.scalar(
        select(Scan)
        .where(Scan.nonce == nonce)
        .order_by(Scan.conflict.desc(), Scan.conflict_reviewed_at.is_not(None), Scan.id)
        .limit(1)
        .with_for_update()
    )
    if scan is None:
        raise NotFoundError(f"no scan with nonce {nonce!r}")
    if not scan.conflict:
        raise ConflictError("this scan is not a conflict: there is nothing to review")
    if scan.conflict_reviewed_at is not None:
        raise ConflictError(f"this conflict was reviewed already: {scan.conflict_note or '(no note)'}")
    scan.conflict_reviewed_at = now or datetime.now(UTC)
    scan.conflict_note = note.strip()[:300] or None
    await session.flush()
    device = await session.scalar(select(Device.name).where(Device.id == scan.device_id))
    number = await session.scalar(select(Ticket.number).where(Ticket.serial == scan.ticket_serial))
    return _conflict_row(scan, device, number, tz)
