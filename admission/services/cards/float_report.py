"""The card float: what the venue owes card holders, per card type, and how it moved.

Outstanding is the sum of every ledger of the type now (a blocked card whose balance moved to a
new card counts zero, its replacement the balance: the money is counted once). Movements are the
entries recorded between two venue days, by kind.
"""

from __future__ import annotations

import csv
import io
from collections import defaultdict
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from admission.contract import FloatReport, FloatRow
from admission.db.models import Card, CardEntry, CardType
from admission.domain.cards import CardKind, EntryKind
from admission.domain.errors import InvalidRequestError
from admission.i18n import _
from admission.services.catalog import get_venue

# Which column of a row each kind's (signed) amount adds to; payments and unloads show as
# positive amounts taken out of the float.
_COLUMNS: dict[EntryKind, tuple[str, int]] = {
    EntryKind.ISSUE: ("issued_cents", 1),
    EntryKind.LOAD: ("loaded_cents", 1),
    EntryKind.PAY: ("paid_cents", -1),
    EntryKind.REFUND: ("paid_cents", -1),
    EntryKind.UNLOAD: ("unloaded_cents", -1),
    EntryKind.EXPIRE: ("expired_cents", -1),
    EntryKind.TRANSFER_IN: ("transferred_cents", 1),
    EntryKind.TRANSFER_OUT: ("transferred_cents", 1),
    EntryKind.ADJUST: ("adjusted_cents", 1),
}


def parse_day(text: str | None) -> date | None:
    if text is None or text == "":
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise InvalidRequestError(_("dates are written YYYY-MM-DD, e.g. 2026-12-03")) from None


async def float_report(
    session: AsyncSession, date_from: str | None = None, date_to: str | None = None
) -> FloatReport:
    tz = ZoneInfo((await get_venue(session)).timezone)
    first, last = parse_day(date_from), parse_day(date_to)
    if first and last and last < first:
        raise InvalidRequestError(_("the report's last day is before its first"))
    types = (await session.scalars(select(CardType).order_by(CardType.id))).all()
    rows = {
        t.id: FloatRow(
            card_type=t.name, kind=CardKind(t.kind), currency=t.currency, cards=0, outstanding_cents=0
        )
        for t in types
    }
    counts = await session.execute(select(Card.card_type_id, func.count()).group_by(Card.card_type_id))
    for type_id, count in counts:
        rows[type_id].cards = int(count)
    totals = await session.execute(
        select(Card.card_type_id, func.sum(CardEntry.amount_cents))
        .join(Card, Card.id == CardEntry.card_id)
        .group_by(Card.card_type_id)
    )
    for type_id, total in totals:
        rows[type_id].outstanding_cents = int(total or 0)
    moved = (
        select(Card.card_type_id, CardEntry.kind, func.sum(CardEntry.amount_cents))
        .join(Card, Card.id == CardEntry.card_id)
        .group_by(Card.card_type_id, CardEntry.kind)
    )
    conflicts = (
        select(Card.card_type_id, func.count(), func.sum(CardEntry.conflict_cents))
        .join(Card, Card.id == CardEntry.card_id)
        .where(CardEntry.conflict.is_(True))
        .group_by(Card.card_type_id)
    )
    if first is not None:
        start = datetime.combine(first, time(), tz)
        moved, conflicts = (
            moved.where(CardEntry.recorded_at >= start),
            conflicts.where(CardEntry.recorded_at >= start),
        )
    if last is not None:
        end = datetime.combine(last + timedelta(days=1), time(), tz)
        moved, conflicts = (
            moved.where(CardEntry.recorded_at < end),
            conflicts.where(CardEntry.recorded_at < end),
        )
    sums: dict[int, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for type_id, kind, total in (await session.execute(moved)):
        column, sign = _COLUMNS[EntryKind(kind)]
        sums[type_id][column] += sign * int(total or 0)
    for type_id, columns in sums.items():
        for column, value in columns.items():
            setattr(rows[type_id], column, value)
    for type_id, count, cents in (await session.execute(conflicts)):
        rows[type_id].conflicts, rows[type_id].conflict_cents = int(count), int(cents or 0)
    return FloatReport(timezone=tz.key, date_from=first, date_to=last, rows=list(rows.values()))


FLOAT_COLUMNS = (
    "card_type",
    "kind",
    "currency",
    "cards",
    "outstanding_cents",
    "issued_cents",
    "loaded_cents",
    "paid_cents",
    "unloaded_cents",
    "expired_cents",
    "transferred_cents",
    "adjusted_cents",
    "conflicts",
    "conflict_cents",
)


def float_csv(report: FloatReport) -> str:
    """The float report as CSV (amounts in cents, one row per card type), for a spreadsheet."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(FLOAT_COLUMNS)
    for row in report.rows:
        writer.writerow([str(getattr(row, column)) for column in FLOAT_COLUMNS])
    return out.getvalue()
