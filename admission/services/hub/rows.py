"""Catalogue rows between the central database and a hub's, column by column.

The centre sends a row as a mapping of column name to value (contract/hub.py `HubRow`); JSON
turns its times into ISO 8601 text, which the hub turns back by the column's type. Every column
travels, so a column added to a catalogue table is followed without a change here."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime
from typing import Any

from sqlalchemy import Table

from admission.contract import HubRow
from admission.db.models import Base, UTCDateTime, table_of


def row_of(obj: Base, table: Table | None = None, *, leave_out: Iterable[str] = ()) -> HubRow:
    """An ORM row as the centre sends it."""
    columns = (table if table is not None else table_of(type(obj))).columns
    skipped = set(leave_out)
    return {c.key: getattr(obj, c.key) for c in columns if c.key not in skipped}


def _python_type_is_date(column_type: Any) -> bool:
    try:
        return column_type.python_type is date
    except NotImplementedError:
        return False


def values_for(table: Table, row: HubRow, *, leave_out: Iterable[str] = ()) -> dict[str, Any]:
    """A sent row's values for `table`'s columns, each of its column's Python type."""
    skipped = set(leave_out)
    values: dict[str, Any] = {}
    for column in table.columns:
        if column.key in row and column.key not in skipped:
            value = row[column.key]
            if isinstance(value, str) and isinstance(column.type, UTCDateTime):
                value = datetime.fromisoformat(value)
            elif isinstance(value, str) and _python_type_is_date(column.type):
                value = date.fromisoformat(value)
            values[column.key] = value
    return values
