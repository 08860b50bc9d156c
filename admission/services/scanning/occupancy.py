"""Who is inside: people per zone, and the nightly exit for everyone still in."""

from __future__ import annotations

import hashlib
from collections import defaultdict
from datetime import UTC, datetime

from sqlalchemy import ColumnElement, case, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from admission.contract import AutoExitRequest, AutoExitResponse, Occupancy
from admission.db.models import Gate, Scan, Ticket
from admission.domain.errors import DomainError
from admission.domain.model import Decision, Direction, GateInfo, Reason, Verdict
from admission.services import catalog
from admission.services.devices import Principal
from admission.services.scanning.facts import ScanFact, record_scans


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
