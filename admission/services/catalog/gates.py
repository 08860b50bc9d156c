"""Gates: where a passage leads, from which zone into which, and for which event."""

from __future__ import annotations

from collections.abc import Mapping

import msgspec
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from admission.contract import GateData, GateIn
from admission.db.models import Gate
from admission.domain.errors import ConflictError, InvalidRequestError, NotFoundError
from admission.domain.model import GateInfo
from admission.services import feed
from admission.services.catalog.events import get_event


def gate_data(gate: Gate) -> GateData:
    return GateData(
        id=gate.id, name=gate.name, zone=gate.zone, from_zone=gate.from_zone, event_id=gate.event_id
    )


async def create_gate(session: AsyncSession, data: GateIn) -> GateData:
    if await session.scalar(select(Gate.id).where(Gate.name == data.name)) is not None:
        raise ConflictError(f"gate {data.name!r} exists already")
    if data.event_id is not None:
        await get_event(session, data.event_id)
    gate = Gate(**msgspec.structs.asdict(data))
    session.add(gate)
    await session.flush()
    created = gate_data(gate)
    await feed.emit(session, "gate", str(gate.id), created)
    return created


async def update_gate(session: AsyncSession, name: str, data: GateIn) -> GateData:
    """Change where the gate named `name` leads (its zone, the zone it leaves, its event)."""
    gate = await session.scalar(select(Gate).where(Gate.name == name))
    if gate is None:
        raise NotFoundError(f"gate {name!r} does not exist")
    if data.name != name and await session.scalar(select(Gate.id).where(Gate.name == data.name)) is not None:
        raise ConflictError(f"gate {data.name!r} exists already")
    if data.event_id is not None:
        await get_event(session, data.event_id)
    gate.name, gate.zone, gate.from_zone, gate.event_id = data.name, data.zone, data.from_zone, data.event_id
    updated = gate_data(gate)
    await feed.emit(session, "gate", str(gate.id), updated)
    return updated


def gate_info(gate: Gate) -> GateInfo:
    """What judging a scan needs of a gate, as a value that outlives the session it came from."""
    return GateInfo(name=gate.name, zone=gate.zone, from_zone=gate.from_zone, event_id=gate.event_id)


async def gate_by_name(session: AsyncSession, name: str) -> GateInfo:
    return known_gate(await gates_by_name(session), name)


async def gates_by_name(session: AsyncSession) -> dict[str, GateInfo]:
    return {gate.name: gate_info(gate) for gate in (await session.scalars(select(Gate))).all()}


def known_gate(gates: Mapping[str, GateInfo], name: str) -> GateInfo:
    gate = gates.get(name)
    if gate is None:
        raise InvalidRequestError(f"unknown gate {name!r}: gates are set up by an admin under /api/v1/gates")
    return gate


async def list_gates(session: AsyncSession) -> list[GateData]:
    return [gate_data(g) for g in (await session.scalars(select(Gate).order_by(Gate.id))).all()]
