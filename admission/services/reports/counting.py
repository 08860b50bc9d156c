"""Which scans a report counts and how: the period and gate scope (annulled passages, where
the turnstile did not turn, count nowhere: they did not happen), the verdict and direction
conditions, conditional counts and shares.
"""

from __future__ import annotations

from sqlalchemy import ColumnElement, and_, case, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from admission.db.models import Gate, Scan
from admission.domain.errors import InvalidRequestError
from admission.services.reports.periods import Period

ADMITTED = Scan.verdict == "admit"
REJECTED = Scan.verdict == "reject"
ENTRY = and_(ADMITTED, Scan.direction == "in")
EXIT = and_(ADMITTED, Scan.direction == "out")
# A refused visitor showed a ticket the service knows; a misread named none (a smudged label,
# a wrong barcode, a forgery): counting them apart keeps misreads out of the visitor figures.
REFUSED = and_(REJECTED, Scan.ticket_serial.is_not(None))
MISREAD = and_(REJECTED, Scan.ticket_serial.is_(None))


def count_if(condition: ColumnElement[bool]) -> ColumnElement[int]:
    return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)


def in_scope(period: Period | None, gate: str | None = None) -> list[ColumnElement[bool]]:
    conditions: list[ColumnElement[bool]] = [Scan.annulled_at.is_(None)]
    if period is not None:
        conditions += [Scan.scanned_at >= period.start, Scan.scanned_at < period.end]
    if gate is not None:
        conditions.append(Scan.gate == gate)
    return conditions


async def check_gate(session: AsyncSession, gate: str | None) -> None:
    """A gate filter must name a gate that exists or once scanned: a typo is an error, not 0."""
    if gate is None:
        return
    known = await session.scalar(select(Gate.id).where(Gate.name == gate))
    if known is None and await session.scalar(select(Scan.id).where(Scan.gate == gate).limit(1)) is None:
        raise InvalidRequestError(f"unknown gate {gate!r}")


def share_of(part: int, whole: int) -> float:
    return round(part / whole, 4) if whole else 0.0
