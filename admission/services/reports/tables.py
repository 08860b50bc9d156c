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
    LookupMissesReport,
    OccupancyReport,
    OutagesReport,
    PassagesReport,
    ReasonsReport,
    SourcesReport,
    TemplatesReport,
)
from admission.i18n import N_, _

AnyReport = (
    PassagesReport
    | TemplatesReport
    | OccupancyReport
    | ReasonsReport
    | SourcesReport
    | ConflictsReport
    | OutagesReport
    | LookupMissesReport
)


# What a manager reads above a column (CSV files keep the field names: tools read those).
LABELS = {
    "bucket": "From",
    "gate": "Gate",
    "entries": "Entries",
    "exits": "Exits",
    "refused": "Refused visitors",
    "misreads": "Misreads",
    "template_id": "Template no.",
    "template": "Ticket type",
    "event_id": "Event no.",
    "event": "Event",
    "zone": "Zone",
    "entered": "Entered",
    "left": "Left",
    "inside": "Inside",
    "verdict": "Verdict",
    "reason": "Reason",
    "scans": "Scans",
    "share": "Share",
    "source": "Source",
    "label": "How it arrived",
    "admitted": "Admitted",
    "rejected": "Rejected",
    "nonce": "Scan reference",
    "scanned_at": "Scanned",
    "received_at": "Registered",
    "device": "Device",
    "ticket_serial": "Ticket serial",
    "ticket_number": "Ticket number",
    "message": "What happened",
    "reviewed_at": "Reviewed",
    "note": "Note",
    "id": "No.",
    "started_at": "Offline from",
    "ended_at": "Back online",
    "duration_seconds": "Duration",
    "passages_offline": "Passages offline",
    "sales_offline": "Sales offline",
    "registered_at": "All registered",
    "address": N_("Address"),
    "misses": N_("Numbers not found"),
    "first_at": N_("First"),
    "last_at": N_("Last"),
    "last_tried": N_("Last tried (masked)"),
    "limit_extended_at": "Offline limit extended",
    "limit_extension_reason": "Why extended",
}


def label(column: str) -> str:
    return _(LABELS.get(column, column.replace("_", " ").capitalize()))


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
