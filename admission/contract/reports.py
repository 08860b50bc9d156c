"""Manager reports, conflict review, outages, notices and scan-log imports."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, ClassVar, Literal

import msgspec

from admission.contract.common import Count


class ReportBase(msgspec.Struct, kw_only=True):
    kind: str
    timezone: str
    start: datetime | None
    end: datetime | None
    gate: str | None = None
    granularity: str | None = None


class PassageRow(msgspec.Struct, kw_only=True):
    bucket: datetime
    gate: str
    entries: int
    exits: int
    refused: int  # visitors turned away: scans of a ticket the service knows
    misreads: int  # rejected scans that named no ticket


class PassagesReport(ReportBase):
    row_type: ClassVar[type] = PassageRow
    rows: list[PassageRow]


class TemplateRow(msgspec.Struct, kw_only=True):
    bucket: datetime | None
    template_id: int
    template: str
    event_id: int | None
    event: str | None
    entries: int
    exits: int
    refused: int


class TemplatesReport(ReportBase):
    row_type: ClassVar[type] = TemplateRow
    rows: list[TemplateRow]


class OccupancyRow(msgspec.Struct, kw_only=True):
    bucket: datetime
    zone: str
    entered: int
    left: int
    inside: int  # at the end of the bucket (or now, for the current one)


class OccupancyReport(ReportBase):
    row_type: ClassVar[type] = OccupancyRow
    now: dict[str, int]
    peak: dict[str, int]
    rows: list[OccupancyRow]


class ReasonRow(msgspec.Struct, kw_only=True):
    verdict: str
    reason: str
    scans: int
    share: float  # of all scans in the period


class ReasonsReport(ReportBase):
    row_type: ClassVar[type] = ReasonRow
    admitted: int
    rejected: int
    rows: list[ReasonRow]


class SourceRow(msgspec.Struct, kw_only=True):
    source: str
    label: str
    scans: int
    admitted: int
    rejected: int
    share: float


class SourcesReport(ReportBase):
    row_type: ClassVar[type] = SourceRow
    rows: list[SourceRow]


class ConflictRow(msgspec.Struct, kw_only=True):
    nonce: str
    scanned_at: datetime
    received_at: datetime
    gate: str
    device: str | None
    ticket_serial: str | None
    ticket_number: str | None
    reason: str
    message: str
    reviewed_at: datetime | None
    note: str | None


class ConflictsReport(ReportBase):
    row_type: ClassVar[type] = ConflictRow
    status: str
    rows: list[ConflictRow]


class ReviewIn(msgspec.Struct, kw_only=True):
    note: Annotated[str, msgspec.Meta(max_length=300)] = ""


class OutageOut(msgspec.Struct, kw_only=True):
    id: int
    device: str
    started_at: datetime
    ended_at: datetime | None
    duration_seconds: float | None
    passages_offline: int
    sales_offline: int
    registered_at: datetime | None
    note: str | None
    limit_extended_at: datetime | None = None  # a supervisor extended the gate's offline limit
    limit_extension_reason: str | None = None


# A report's outage rows are the outage log's entries, in the venue's time zone.
OutageRow = OutageOut


class OutageSummary(msgspec.Struct, kw_only=True):
    outages: int
    ongoing: int
    devices: int
    total_duration_seconds: float  # ongoing outages count until now
    longest_seconds: float
    passages_offline: int
    sales_offline: int
    not_yet_registered: int  # outages whose offline records have not all reached the service
    last_registered_at: datetime | None


class OutagesReport(ReportBase):
    row_type: ClassVar[type] = OutageRow
    summary: OutageSummary
    rows: list[OutageRow]


class LookupMissRow(msgspec.Struct, kw_only=True):
    """Look-ups by a number or code that named no ticket, from one device at one address."""

    device: str
    address: str
    misses: int
    first_at: datetime
    last_at: datetime
    last_tried: str  # masked: a miss is often a real number with a typo


class LookupMissesReport(ReportBase):
    row_type: ClassVar[type] = LookupMissRow
    rows: list[LookupMissRow]  # most misses first


class SummaryReport(ReportBase):
    scans: int
    entries: int
    exits: int
    refused: int  # visitors turned away (their ticket was known)
    misreads: int  # rejected scans that named no ticket: not visitors
    occupancy_now: dict[str, int]
    open_conflicts: int
    outages: int
    offline_share: float  # admitted passages registered retroactively, of all admitted


class NoticeIn(msgspec.Struct, kw_only=True):
    message: Annotated[str, msgspec.Meta(min_length=1, max_length=500, pattern=r"^[^\x00]+$")]
    ends_at: datetime


class NoticeOut(msgspec.Struct, kw_only=True):
    id: int
    message: str
    starts_at: datetime
    ends_at: datetime | None
    created_at: datetime
    created_by: str | None
    active: bool


class OutageIn(msgspec.Struct, kw_only=True):
    client_ref: Annotated[str, msgspec.Meta(min_length=1, max_length=80)]
    started_at: datetime
    ended_at: datetime | None = None
    passages_offline: Count = 0
    sales_offline: Count = 0
    registered_at: datetime | None = None
    note: Annotated[str, msgspec.Meta(max_length=300)] | None = None
    limit_extended_at: datetime | None = None
    limit_extension_reason: Annotated[str, msgspec.Meta(max_length=300)] | None = None


LineStatus = Literal["admitted", "rejected", "not_a_code", "duplicate"]


class ImportLine(msgspec.Struct, kw_only=True):
    line: int  # 1-based line number in the file
    text: str
    status: LineStatus
    verdict: str | None = None
    reason: str | None = None
    message: str = ""
    ticket_serial: str | None = None
    scanned_at: datetime | None = None
    nonce: str | None = None


class ImportResult(msgspec.Struct, kw_only=True):
    file_sha256: str
    gate: str
    direction: str
    lines: int
    blank: int
    admitted: int
    rejected: int
    not_a_code: int
    duplicates: int
    registered: int  # new facts stored by this import
    results: list[ImportLine]
