"""Ticket look-ups that found nothing: counted per device and per client address so that ticket
numbers cannot be guessed by asking the service (managers see them in
`admission.services.reports.lookup_misses`).

A look-up by a number or code runs in a write transaction that first takes the caller's turn
(its device and its address: on PostgreSQL two transaction-scoped advisory locks, on SQLite the
one writer's turn every write transaction takes), counts the caller's recent misses, and only
then looks up and, on a miss, records it. So the limit holds exactly, however many workers or
connections the caller spreads its guesses over: two look-ups of one caller never decide from
the same count.
"""

from __future__ import annotations

import zlib
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import TypeVar

import msgspec
from sqlalchemy import ColumnElement, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from admission.config import LookupLimits
from admission.db.models import LookupMiss
from admission.domain import codes
from admission.domain.codes import CodeError
from admission.domain.errors import UnknownTicketError

T = TypeVar("T")

# Advisory lock namespaces (the two-integer form, apart from the feed's single-integer lock).
_DEVICE_LOCKS = 7_002_001
_ADDRESS_LOCKS = 7_002_002
MAX_ADDRESS = 64
# Digits or characters kept at each end of a masked number or code: enough to see a run of
# guesses, too few to give back a real number that was mistyped in a digit or two.
LAST_TRIED_SHOWN = 2


class Caller(msgspec.Struct, frozen=True, kw_only=True):
    """Who is looking tickets up: the device whose token authenticated the request, and the
    address the request came from."""

    device_id: int
    address: str


class TooManyMisses(msgspec.Struct, frozen=True, kw_only=True):
    """The caller's look-up was not made: it missed too often; it may try again after this."""

    retry_after_seconds: int
    by: str  # "device" or "address": which limit was reached


class Missed(msgspec.Struct, frozen=True, kw_only=True):
    """The look-up named no ticket; the miss is recorded and the error is the caller's answer."""

    error: UnknownTicketError


def masked(tried: str) -> str:
    """What a report may show of a number or code that was tried: its ends, never all of it."""
    try:
        value = codes.classify_scan(tried).value
    except CodeError:
        value = "".join(ch for ch in tried if ch.isprintable())[:200]
    if len(value) <= 2 * LAST_TRIED_SHOWN:
        return "•" * len(value)
    hidden = len(value) - 2 * LAST_TRIED_SHOWN
    return f"{value[:LAST_TRIED_SHOWN]}{'•' * min(hidden, 30)}{value[-LAST_TRIED_SHOWN:]}"[:40]


async def _take_turn(session: AsyncSession, caller: Caller) -> None:
    """Serialise this caller's look-ups (by device, then by address: one order, no deadlock)."""
    if session.get_bind().dialect.name != "postgresql":
        return  # SQLite: every write transaction already has the database to itself
    address_key = zlib.crc32(caller.address.encode()) - 2**31  # a signed 32-bit integer
    device_key = caller.device_id % 2**31
    await session.execute(
        text("SELECT pg_advisory_xact_lock(:ns, :key)"), {"ns": _DEVICE_LOCKS, "key": device_key}
    )
    await session.execute(
        text("SELECT pg_advisory_xact_lock(:ns, :key)"), {"ns": _ADDRESS_LOCKS, "key": address_key}
    )


async def _retry_after(
    session: AsyncSession, whose: ColumnElement[bool], limit: int, window: timedelta, now: datetime
) -> int | None:
    """Seconds until the caller's misses in the window fall below `limit`, or None if they are below."""
    times = (
        await session.scalars(
            select(LookupMiss.at)
            .where(whose, LookupMiss.at > now - window)
            .order_by(LookupMiss.at.desc())
            .limit(limit)
        )
    ).all()
    if len(times) < limit:
        return None
    frees_at = times[limit - 1] + window  # the limit-th newest miss leaves the window
    return max(1, int((frees_at - now).total_seconds() + 0.999))


async def limited_lookup(
    session: AsyncSession,
    limits: LookupLimits,
    caller: Caller,
    tried: str,
    look_up: Callable[[AsyncSession], Awaitable[T]],
    now: datetime | None = None,
) -> T | TooManyMisses | Missed:
    """`look_up(session)` for `caller`, unless it missed too often lately; a miss is recorded.

    Runs inside the caller's write transaction (see the module's text); what `look_up` writes
    (a void, a reissue) commits with it. On a miss it wrote nothing, since finding the ticket
    comes first."""
    await _take_turn(session, caller)
    now = now or datetime.now(UTC)  # after the wait for the turn: the count is as of now
    window = timedelta(seconds=limits.miss_window_seconds)
    address = caller.address[:MAX_ADDRESS]
    for by, whose, limit in (
        ("device", LookupMiss.device_id == caller.device_id, limits.misses_per_device),
        ("address", LookupMiss.address == address, limits.misses_per_address),
    ):
        wait = await _retry_after(session, whose, limit, window, now)
        if wait is not None:
            return TooManyMisses(retry_after_seconds=wait, by=by)
    try:
        return await look_up(session)
    except UnknownTicketError as exc:
        # Only a well-formed number or code naming no ticket is a miss: what fails its check digit
        # or signature (a till's typo, mostly) tells a guesser nothing it could not compute itself.
        session.add(LookupMiss(at=now, device_id=caller.device_id, address=address, tried=masked(tried)))
        return Missed(error=exc)
