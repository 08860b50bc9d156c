"""Reports as tables of text cells (times in the venue's zone) and as CSV, for the CLI and
the CSV downloads."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import msgspec

from admission.contract import (
    ConflictsReport,
    OccupancyReport,
    OutagesReport,
    PassagesReport,
    ReasonsReport,
    SourcesReport,
    TemplatesReport,
)

AnyReport = (
    PassagesReport
    | TemplatesReport
    | OccupancyReport
    | ReasonsReport
    | SourcesReport
    | ConflictsReport
    | OutagesReport
)


def columns(report: AnyReport) -> list[str]:
    row_type: Any = type(report).row_type
    return [field.name for field in msgspec.structs.fields(row_type)]


def cell(value: Any, tz: ZoneInfo) -> str:
    """One value as text: times in the venue zone, nothing for None."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.astimezone(tz).isoformat(timespec="seconds")
    if isinstance(value, float):
        return f"{value:.4f}".rstrip("0").rstrip(".") if value % 1 else str(int(value))
    return str(value)


def table(report: AnyReport) -> tuple[list[str], list[list[Any]]]:
    names = columns(report)
    rows: Sequence[Any] = report.rows
    return names, [[getattr(row, name) for name in names] for row in rows]


def to_csv(report: AnyReport) -> str:
    tz = ZoneInfo(report.timezone)
    names, rows = table(report)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(names)
    writer.writerows([cell(value, tz) for value in row] for row in rows)
    return out.getvalue()
