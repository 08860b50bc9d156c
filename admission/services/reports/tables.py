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
    "bucket": N_("From"),
    "gate": N_("Gate"),
    "entries": N_("Entries"),
    "exits": N_("Exits"),
    "refused": N_("Refused visitors"),
    "misreads": N_("Misreads"),
    "template_id": N_("Template no."),
    "template": N_("Ticket type"),
    "event_id": N_("Event no."),
    "event": N_("Event"),
    "zone": N_("Zone"),
    "entered": N_("Entered"),
    "left": N_("Left"),
    "inside": N_("Inside"),
    "verdict": N_("Verdict"),
    "reason": N_("Reason"),
    "scans": N_("Scans"),
    "share": N_("Share"),
    "source": N_("Source"),
    "label": N_("How it arrived"),
    "admitted": N_("Admitted"),
    "rejected": N_("Rejected"),
    "nonce": N_("Scan reference"),
    "scanned_at": N_("Scanned"),
    "received_at": N_("Registered"),
    "device": N_("Device"),
    "ticket_serial": N_("Ticket serial"),
    "ticket_number": N_("Ticket number"),
    "message": N_("What happened"),
    "reviewed_at": N_("Reviewed"),
    "note": N_("Note"),
    "id": N_("No."),
    "started_at": N_("Offline from"),
    "ended_at": N_("Back online"),
    "duration_seconds": N_("Duration"),
    "passages_offline": N_("Passages offline"),
    "sales_offline": N_("Sales offline"),
    "registered_at": N_("All registered"),
    "address": N_("Address"),
    "misses": N_("Numbers not found"),
    "first_at": N_("First"),
    "last_at": N_("Last"),
    "last_tried": N_("Last tried (masked)"),
    "limit_extended_at": N_("Offline limit extended"),
    "limit_extension_reason": N_("Why extended"),
}


def label(column: str) -> str:
    return _(LABELS[column]) if column in LABELS else column.replace("_", " ").capitalize()


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
