"""Reports for venue managers, derived from the scan facts and aggregated in SQL.

One module per concept: report periods, time buckets (and the SQL that buckets scans on
SQLite and PostgreSQL), which scans count, then each report or group of reports, and the
reports as table cells and CSV. The response bodies live in `admission.contract`. Callers
import from the package itself, which re-exports every public name.
"""

from __future__ import annotations

from admission.contract import OutagesReport, SummaryReport
from admission.services.reports.breakdowns import SOURCE_LABELS, reasons_report, sources_report
from admission.services.reports.buckets import (
    GRANULARITIES,
    MAX_BUCKETS,
    Buckets,
    Granularity,
    bucket_slot,
    make_buckets,
)
from admission.services.reports.conflicts import ConflictStatus, conflicts_report, review_conflict
from admission.services.reports.counting import check_gate
from admission.services.reports.lookup_misses import lookup_misses_report
from admission.services.reports.occupancy import occupancy_report
from admission.services.reports.outages import outages_report, summarise_outages
from admission.services.reports.passages import passages_report, templates_report
from admission.services.reports.periods import Period, parse_moment, resolve_period
from admission.services.reports.summary import summary_report
from admission.services.reports.tables import AnyReport, cell, columns, label, table, to_csv

__all__ = [
    "GRANULARITIES",
    "MAX_BUCKETS",
    "SOURCE_LABELS",
    "AnyReport",
    "Buckets",
    "ConflictStatus",
    "Granularity",
    "OutagesReport",
    "Period",
    "SummaryReport",
    "bucket_slot",
    "cell",
    "check_gate",
    "columns",
    "conflicts_report",
    "label",
    "lookup_misses_report",
    "make_buckets",
    "occupancy_report",
    "outages_report",
    "parse_moment",
    "passages_report",
    "reasons_report",
    "resolve_period",
    "review_conflict",
    "sources_report",
    "summarise_outages",
    "summary_report",
    "table",
    "templates_report",
    "to_csv",
]
