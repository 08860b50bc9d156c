"""Payment routines: card-terminal incidents, invoices, terminal settlements and their
reconciliation, the end of day per till and tender, cash-up."""

from __future__ import annotations

from typing import Annotated, Literal

import msgspec
from litestar import Controller, Request, Response, get, post, put
from litestar.params import JSONBody, QueryParameter
from sqlalchemy.ext.asyncio import AsyncSession

from admission.api.auth import allow
from admission.api.controllers.reports import optional_period, venue_zone, wants_csv
from admission.api.dependencies import AuthenticatedRequest, Uow
from admission.api.params import NoncePath, RowId
from admission.contract.payments import (
    CashUpIn,
    CashUpOut,
    EndOfDayReport,
    InvoiceOut,
    InvoicePaidIn,
    ReconciliationReport,
    SettlementIn,
    TerminalIncidentIn,
    TerminalIncidentOut,
)
from admission.services.payments import end_of_day, incidents, reconciliation
from admission.services.sales import invoices
from admission.services.sales.day_report import parse_day

SELLERS = allow("box_office")
READERS = allow("box_office", "viewer")

From = Annotated[str | None, QueryParameter(name="from", description="start: date, date-time, today")]
To = Annotated[str | None, QueryParameter(name="to", description="end: a date includes that whole day")]
Day = Annotated[str | None, QueryParameter(name="date", description="YYYY-MM-DD, venue time (default today)")]
Format = Annotated[Literal["json", "csv"] | None, QueryParameter(name="format")]
Settlements = Annotated[list[SettlementIn], msgspec.Meta(min_length=1, max_length=500)]
InvoiceStatus = Annotated[
    str | None, QueryParameter(description="unpaid, paid or cancelled (default: all)", max_length=12)
]


class PaymentRoutinesController(Controller):
    path = "/api/v1/payments"
    tags = ["payments"]

    @put("/terminal-incidents/{nonce:str}", guards=[SELLERS], status_code=200)
    async def record_incident(
        self, nonce: NoncePath, data: JSONBody[TerminalIncidentIn], uow: Uow, request: AuthenticatedRequest
    ) -> TerminalIncidentOut:
        """This till's card terminal is down (or, with `ended_at`, back): registered once per nonce,
        whatever the till re-sends."""
        return await uow.write(incidents.record_incident, request.user, nonce, data)

    @get("/terminal-incidents", guards=[READERS])
    async def list_incidents(self, uow: Uow, start: From = None, end: To = None) -> list[TerminalIncidentOut]:
        """Card-terminal incidents overlapping the period (all without one), newest first, times in
        the venue's time zone, with how guests paid meanwhile."""

        async def work(session: AsyncSession) -> list[TerminalIncidentOut]:
            period = await optional_period(session, start, end)
            tz = await venue_zone(session)
            if period is None:
                return await incidents.list_incidents(session, tz)
            return await incidents.list_incidents(session, tz, period.start, period.end)

        return await uow.read(work)

    @get("/invoices", guards=[READERS])
    async def list_invoices(self, uow: Uow, status: InvoiceStatus = None) -> list[InvoiceOut]:
        """Invoices (pay later), the oldest due first, each with its status and whether it is overdue."""
        return await uow.read(invoices.list_invoices, status)

    @post("/invoices/{invoice_id:int}/paid", guards=[SELLERS], status_code=200)
    async def mark_invoice_paid(
        self, invoice_id: RowId, data: JSONBody[InvoicePaidIn], uow: Uow, request: AuthenticatedRequest
    ) -> InvoiceOut:
        """The customer paid: the invoice is marked paid (by this device, now); 409 if it is not unpaid."""
        return await uow.write(invoices.mark_paid, request.user.device_id, invoice_id, data)

    @put("/settlements", guards=[SELLERS], status_code=200)
    async def enter_settlements(self, data: JSONBody[Settlements], uow: Uow) -> dict[str, int]:
        """Each till's card-terminal settlement total for a day (the acquirer's report): all or
        nothing; a till and day entered again takes the newer total."""
        return {"entered": await uow.write(reconciliation.enter_settlements, data)}

    @get("/reconciliation", guards=[READERS])
    async def reconcile(self, uow: Uow, day: Day = None) -> ReconciliationReport:
        """Per till: the settlement against the card payments recorded that day; stored
        (offline, store-and-forward) card payments listed apart."""

        async def work(session: AsyncSession) -> ReconciliationReport:
            return await reconciliation.reconciliation(session, parse_day(day, await venue_zone(session)))

        return await uow.read(work)

    @get("/end-of-day", guards=[READERS])
    async def end_of_day(
        self, uow: Uow, request: Request, day: Day = None, output: Format = None
    ) -> Response[EndOfDayReport]:
        """Per till and per tender kind (sales, refunds, net) and each till's cash-up; CSV with
        `format=csv` or `Accept: text/csv`."""

        async def work(session: AsyncSession) -> EndOfDayReport:
            return await end_of_day.end_of_day(session, parse_day(day, await venue_zone(session)))

        report = await uow.read(work)
        if not wants_csv(request, output):
            return Response(report)
        csv_response = Response(
            content=end_of_day.end_of_day_csv(report),
            media_type="text/csv",
            headers={"Content-Disposition": f'attachment; filename="end-of-day-{report.date}.csv"'},
        )
        return csv_response  # type: ignore[return-value]

    @post("/cash-ups", guards=[SELLERS], status_code=200)
    async def cash_up(self, data: JSONBody[CashUpIn], uow: Uow) -> CashUpOut:
        """A till's drawer counted: against the float plus the day's net cash, over or short."""
        return await uow.write(end_of_day.record_cash_up, data)
