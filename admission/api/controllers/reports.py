"""Reports, outages summary, notices and scan-log imports.

Every report answers JSON, or CSV with `?format=csv` or `Accept: text/csv`. Times are in
the venue's time zone; `from`/`to` take a date (a whole local day), a date-time (venue time
unless it carries an offset), `today` or `yesterday`; without them a report covers today.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal, TypeVar, cast
from zoneinfo import ZoneInfo

from litestar import Controller, Request, Response, get, post
from litestar.datastructures import UploadFile
from litestar.exceptions import ClientException
from litestar.params import FromPath, FromQuery, JSONBody, QueryParameter
from sqlalchemy.ext.asyncio import AsyncSession

from admission import contract
from admission.api.auth import allow
from admission.api.dependencies import AuthenticatedRequest, Keys, Uow
from admission.api.params import RowId
from admission.contract import (
    ConflictRow,
    ConflictsReport,
    ImportResult,
    LookupMissesReport,
    NoticeIn,
    NoticeOut,
    OccupancyReport,
    OutageSummary,
    PassagesReport,
    ReasonsReport,
    ReviewIn,
    SourcesReport,
    TemplatesReport,
)
from admission.domain.errors import InvalidRequestError
from admission.domain.model import Direction
from admission.services import catalog, imports, notices, reports
from admission.services.reports import ConflictStatus, Granularity, OutagesReport, Period, SummaryReport

VIEWERS = allow("viewer")
READERS = allow("viewer", "gate", "box_office")

From = Annotated[str | None, QueryParameter(name="from", description="start: date, date-time, today")]
To = Annotated[str | None, QueryParameter(name="to", description="end: a date includes that whole day")]
GateFilter = Annotated[str | None, QueryParameter(description="only this gate")]
Format = Annotated[Literal["json", "csv"] | None, QueryParameter(name="format")]
R = TypeVar("R", bound=contract.ReportBase)


async def venue_zone(session: AsyncSession) -> ZoneInfo:
    return ZoneInfo((await catalog.get_venue(session)).timezone)


async def period_of(session: AsyncSession, start: str | None, end: str | None) -> Period:
    return reports.resolve_period(await venue_zone(session), start, end)


async def optional_period(session: AsyncSession, start: str | None, end: str | None) -> Period | None:
    return await period_of(session, start, end) if start or end else None


def wants_csv(request: Request, output: str | None) -> bool:
    if output is not None:
        return output == "csv"
    return request.accept.best_match(["application/json", "text/csv"]) == "text/csv"


def respond(request: Request, report: R, output: str | None) -> Response[R]:
    """The report as JSON, or as CSV when the caller asked for it."""
    if not wants_csv(request, output):
        return Response(report)
    day = report.start.date().isoformat() if report.start else "all"
    csv_response = Response(
        content=reports.to_csv(cast(Any, report)),
        media_type="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{report.kind}-{day}.csv"'},
    )
    return cast("Response[R]", csv_response)  # the same report, negotiated into another format


class ReportController(Controller):
    path = "/api/v1/reports"
    tags = ["reports"]
    guards = [VIEWERS]

    @get("/summary")
    async def summary(self, uow: Uow, start: From = None, end: To = None) -> SummaryReport:
        async with uow.reading() as session:
            return await reports.summary_report(session, await period_of(session, start, end))

    @get("/passages")
    async def passages(
        self,
        request: Request,
        uow: Uow,
        start: From = None,
        end: To = None,
        gate: GateFilter = None,
        granularity: FromQuery[Granularity] = "hour",
        output: Format = None,
    ) -> Response[PassagesReport]:
        async with uow.reading() as session:
            period = await period_of(session, start, end)
            report = await reports.passages_report(session, period, granularity, gate)
        return respond(request, report, output)

    @get("/templates")
    async def templates(
        self,
        request: Request,
        uow: Uow,
        start: From = None,
        end: To = None,
        gate: GateFilter = None,
        granularity: FromQuery[Granularity | None] = None,
        output: Format = None,
    ) -> Response[TemplatesReport]:
        async with uow.reading() as session:
            period = await period_of(session, start, end)
            report = await reports.templates_report(session, period, granularity, gate)
        return respond(request, report, output)

    @get("/occupancy")
    async def occupancy(
        self,
        request: Request,
        uow: Uow,
        start: From = None,
        end: To = None,
        granularity: FromQuery[Granularity] = "15min",
        output: Format = None,
    ) -> Response[OccupancyReport]:
        async with uow.reading() as session:
            period = await period_of(session, start, end)
            report = await reports.occupancy_report(session, period, granularity)
        return respond(request, report, output)

    @get("/reasons")
    async def reasons(
        self,
        request: Request,
        uow: Uow,
        start: From = None,
        end: To = None,
        gate: GateFilter = None,
        output: Format = None,
    ) -> Response[ReasonsReport]:
        async with uow.reading() as session:
            report = await reports.reasons_report(session, await period_of(session, start, end), gate)
        return respond(request, report, output)

    @get("/sources")
    async def sources(
        self,
        request: Request,
        uow: Uow,
        start: From = None,
        end: To = None,
        gate: GateFilter = None,
        output: Format = None,
    ) -> Response[SourcesReport]:
        async with uow.reading() as session:
            report = await reports.sources_report(session, await period_of(session, start, end), gate)
        return respond(request, report, output)

    @get("/conflicts")
    async def conflicts(
        self,
        request: Request,
        uow: Uow,
        start: From = None,
        end: To = None,
        status: FromQuery[ConflictStatus] = "open",
        output: Format = None,
    ) -> Response[ConflictsReport]:
        """Passages admitted offline that the service flagged; without from/to: all of them."""
        async with uow.reading() as session:
            period = await optional_period(session, start, end)
            report = await reports.conflicts_report(session, await venue_zone(session), status, period)
        return respond(request, report, output)

    @post("/conflicts/{nonce:str}/review", guards=[allow()], status_code=200)
    async def review_conflict(self, nonce: FromPath[str], data: JSONBody[ReviewIn], uow: Uow) -> ConflictRow:
        async with uow.writing() as session:
            return await reports.review_conflict(session, await venue_zone(session), nonce, data.note)

    @get("/outages")
    async def outages(
        self, request: Request, uow: Uow, start: From = None, end: To = None, output: Format = None
    ) -> Response[OutagesReport]:
        """The outage log with its summary; without from/to: every outage."""
        async with uow.reading() as session:
            period = await optional_period(session, start, end)
            report = await reports.outages_report(session, await venue_zone(session), period)
        return respond(request, report, output)

    @get("/lookup-misses")
    async def lookup_misses(
        self, request: Request, uow: Uow, start: From = None, end: To = None, output: Format = None
    ) -> Response[LookupMissesReport]:
        """Ticket look-ups by a number or code that named no ticket, per device and address, most
        first (numbers masked): someone guessing ticket numbers shows as a long row."""
        async with uow.reading() as session:
            report = await reports.lookup_misses_report(session, await period_of(session, start, end))
        return respond(request, report, output)


class OutageSummaryController(Controller):
    path = "/api/v1/outages"
    tags = ["scanning"]

    @get("/summary", guards=[VIEWERS])
    async def outage_summary(self, uow: Uow, start: From = None, end: To = None) -> OutageSummary:
        """Count, total duration, passages and sales recorded offline, last registration."""
        async with uow.reading() as session:
            period = await optional_period(session, start, end)
            return (await reports.outages_report(session, await venue_zone(session), period)).summary


class NoticeController(Controller):
    path = "/api/v1/notices"
    tags = ["notices"]

    @post(guards=[allow()], status_code=201)
    async def create_notice(
        self, data: JSONBody[NoticeIn], uow: Uow, request: AuthenticatedRequest
    ) -> NoticeOut:
        """Show a message on every gate and box office until `ends_at` (at most 31 days)."""
        return await uow.write(notices.create_notice, data, request.user.device_id)

    @get(guards=[READERS])
    async def list_notices(self, uow: Uow, active: FromQuery[bool] = False) -> list[NoticeOut]:
        return await uow.read(notices.list_notices, active_only=active)

    @post("/{notice_id:int}/end", guards=[allow()], status_code=200)
    async def end_notice(self, notice_id: RowId, uow: Uow) -> NoticeOut:
        return await uow.write(notices.end_notice, notice_id)


class UnsupportedMediaError(ClientException):
    status_code = 415


async def uploaded_bytes(request: Request) -> bytes:
    """The scan log: the raw body (text/plain), or the file of a multipart form."""
    media_type = request.content_type[0]
    if media_type == "application/x-www-form-urlencoded":  # a form field would mangle the lines
        raise UnsupportedMediaError("send the scan log as text/plain or as the file of a multipart form")
    if media_type != "multipart/form-data":
        return await request.body()
    form = await request.form()
    files = [(name, value) for name, value in form.multi_items() if isinstance(value, UploadFile)]
    files.sort(key=lambda item: item[0] != "file")  # the field named "file" first, else any file
    if not files:
        raise InvalidRequestError("the form holds no file: send the scan log as the field 'file'")
    return await files[0][1].read()


class ImportController(Controller):
    path = "/api/v1/imports"
    tags = ["imports"]

    @post("/scans", guards=[allow()], status_code=200)
    async def import_scans(
        self,
        request: AuthenticatedRequest,
        uow: Uow,
        keys: Keys,
        gate: FromQuery[str],
        direction: FromQuery[Direction] = Direction.IN,
        at: Annotated[str | None, QueryParameter(description="scan time of lines without one")] = None,
    ) -> ImportResult:
        """Register a plain-text scan log (one code per line) at a gate, exactly once.

        Send the file as the body (text/plain) or as the field `file` of a multipart form.
        """
        content = await uploaded_bytes(request)
        # The same file imported concurrently: the unit of work's second attempt sees duplicates.
        return await uow.write(
            imports.import_scan_log, keys, content, gate, direction, at, request.user.device_id
        )


REPORT_ROUTES: list[Any] = [
    ReportController,
    OutageSummaryController,
    NoticeController,
    ImportController,
]
