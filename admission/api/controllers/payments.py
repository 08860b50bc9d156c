"""Payment routines: card-terminal incidents, invoices, terminal settlements and their
reconciliation, the end of day per till and tender, cash-up."""

from __future__ import annotations

from typing import Annotated

from litestar import Controller, get, put
from litestar.params import JSONBody, QueryParameter
from sqlalchemy.ext.asyncio import AsyncSession

from admission.api.auth import allow
from admission.api.controllers.reports import optional_period, venue_zone
from admission.api.dependencies import AuthenticatedRequest, Uow
from admission.api.params import NoncePath
from admission.contract.payments import TerminalIncidentIn, TerminalIncidentOut
from admission.services.payments import incidents

SELLERS = allow("box_office")
READERS = allow("box_office", "viewer")

From = Annotated[str | None, QueryParameter(name="from", description="start: date, date-time, today")]
To = Annotated[str | None, QueryParameter(name="to", description="end: a date includes that whole day")]


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
