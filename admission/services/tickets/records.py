"""A ticket as the API and the feed state it, as plain data, and how new tickets are stored."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any, Protocol

import msgspec
from sqlalchemy import insert
from sqlalchemy.ext.asyncio import AsyncSession

from admission import contract
from admission.contract import PaymentState, TicketData, TicketOut
from admission.db.models import Ticket, table_of
from admission.services import feed


class TicketFields(contract.TicketState, Protocol):
    """What the API and the feed say of a ticket: a stored Ticket or a plain TicketRecord."""

    @property
    def serial(self) -> int: ...
    @property
    def code(self) -> str: ...
    @property
    def template_id(self) -> int: ...
    @property
    def event_id(self) -> int | None: ...
    @property
    def issued_at(self) -> datetime: ...
    @property
    def voided_at(self) -> datetime | None: ...
    @property
    def replaced_by(self) -> int | None: ...
    @property
    def number_hash(self) -> str | None: ...
    @property
    def paid_at(self) -> datetime | None: ...


class TicketRecord(msgspec.Struct, frozen=True, kw_only=True):
    """A ticket's row as plain data: bulk issue makes ten thousand and a batch of scans reads
    thousands, where ORM objects would cost more than the rest of the work."""

    serial: int
    number: str | None
    code: str
    key_id: int
    template_id: int
    event_id: int | None
    issued_at: datetime
    valid_from: datetime | None
    valid_until: datetime | None
    issued_by: int | None
    sale_id: int | None
    status: str = "valid"
    void_reason: str | None = None
    voided_at: datetime | None = None
    replaced_by: int | None = None
    reissued_from: int | None = None
    entries_carried: int = 0
    first_used_at: datetime | None = None
    number_hash: str | None = None
    payment_state: str = "paid"
    paid_at: datetime | None = None
    paid_by: int | None = None
    attributes: dict[str, str] | None = None  # None: none (custom rules read them)

    @classmethod
    def columns(cls) -> list[Any]:
        return [table_of(Ticket).c[name] for name in cls.__struct_fields__]


def ticket_out(t: TicketFields) -> TicketOut:
    return TicketOut(
        serial=str(t.serial),
        number=t.number,
        code=t.code,
        template_id=t.template_id,
        event_id=t.event_id,
        valid_from=t.valid_from,
        valid_until=t.valid_until,
        status="void" if t.status == "void" else "valid",
        issued_at=t.issued_at,
        payment_state=payment_state(t),
        paid_at=t.paid_at,
        attributes=dict(t.attributes or {}),
    )


def ticket_data(t: TicketFields) -> TicketData:
    return TicketData(
        serial=str(t.serial),
        number=None,  # gates keep the number's hash only
        number_hash=t.number_hash,
        template_id=t.template_id,
        event_id=t.event_id,
        valid_from=t.valid_from,
        valid_until=t.valid_until,
        status="void" if t.status == "void" else "valid",
        void_reason=t.void_reason,
        entries_carried=t.entries_carried,
        first_used_at=t.first_used_at,
        payment_state=payment_state(t),
        attributes=dict(t.attributes or {}),
    )


def payment_state(t: TicketFields) -> PaymentState:
    return "pending" if t.payment_state == "pending" else "paid"


async def insert_tickets(session: AsyncSession, records: Sequence[TicketRecord]) -> None:
    """Store new tickets and put them on the feed, the gates' way of learning of them."""
    await session.execute(insert(table_of(Ticket)), [msgspec.structs.asdict(t) for t in records])
    await feed.emit_many(session, [("ticket", str(t.serial), ticket_data(t)) for t in records])
