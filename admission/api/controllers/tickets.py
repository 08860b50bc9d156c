"""Tickets: issue, look up, mark paid, void, reissue, and their barcodes and printable pages.

Every route that finds a ticket by the number or code in its path is a look-up within the
look-up limits (`admission.api.lookup_limits`): misses are counted, and too many are a 429.
"""

from __future__ import annotations

from functools import partial

from litestar import Controller, Response, get, post
from litestar.params import FromPath, FromQuery, JSONBody

from admission.api.auth import allow
from admission.api.dependencies import AuthenticatedRequest, Keys, ServiceSettings, Uow
from admission.api.lookup_limits import TICKET_LOOKUP, limited
from admission.contract import IssueRequest, TicketDetail, TicketOut, VoidRequest
from admission.services import printing, tickets

SELLERS = allow("box_office")
READERS = allow("box_office", "viewer")


class TicketController(Controller):
    path = "/api/v1/tickets"
    tags = ["tickets"]

    @post("/issue", guards=[SELLERS])
    async def issue(
        self, data: JSONBody[IssueRequest], uow: Uow, keys: Keys, request: AuthenticatedRequest
    ) -> list[TicketOut]:
        return await uow.write(tickets.issue, keys, data, issued_by=request.user.device_id)

    @get("/{ref:str}", guards=[READERS], opt=TICKET_LOOKUP)
    async def look_up(
        self, ref: FromPath[str], uow: Uow, settings: ServiceSettings, request: AuthenticatedRequest
    ) -> TicketDetail:
        look_up = partial(tickets.look_up, ref=ref)
        return await limited(uow, settings.lookup_limits, request, ref, look_up)

    @post("/{ref:str}/void", guards=[SELLERS], status_code=200, opt=TICKET_LOOKUP)
    async def void(
        self,
        ref: FromPath[str],
        data: JSONBody[VoidRequest],
        uow: Uow,
        settings: ServiceSettings,
        request: AuthenticatedRequest,
    ) -> TicketOut:
        void = partial(tickets.void_ticket, ref=ref, reason=data.reason)
        return await limited(uow, settings.lookup_limits, request, ref, void)

    @post("/{ref:str}/paid", guards=[SELLERS], status_code=200, opt=TICKET_LOOKUP)
    async def mark_paid(
        self, ref: FromPath[str], uow: Uow, settings: ServiceSettings, request: AuthenticatedRequest
    ) -> TicketOut:
        """A ticket issued unpaid is paid: the gates admit it from their next feed read."""
        mark_paid = partial(tickets.mark_paid, ref=ref, paid_by=request.user.device_id)
        return await limited(uow, settings.lookup_limits, request, ref, mark_paid)

    @post("/{ref:str}/reissue", guards=[SELLERS], status_code=201, opt=TICKET_LOOKUP)
    async def reissue(
        self,
        ref: FromPath[str],
        uow: Uow,
        keys: Keys,
        settings: ServiceSettings,
        request: AuthenticatedRequest,
    ) -> TicketOut:
        reissue = partial(tickets.reissue_ticket, ring=keys, ref=ref, issued_by=request.user.device_id)
        return await limited(uow, settings.lookup_limits, request, ref, reissue)

    @get("/{ref:str}/barcode", guards=[READERS], opt=TICKET_LOOKUP)
    async def barcode(
        self,
        ref: FromPath[str],
        uow: Uow,
        settings: ServiceSettings,
        request: AuthenticatedRequest,
        kind: FromQuery[str] = "qr",
        format: FromQuery[str] = "svg",
    ) -> Response[bytes]:
        find = partial(tickets.get_ticket, ref=ref)
        ticket = await limited(uow, settings.lookup_limits, request, ref, find)
        image = printing.barcode(ticket, kind, format)
        return Response(image.content, media_type=image.media_type)

    @get("/{ref:str}/print", guards=[READERS], opt=TICKET_LOOKUP)
    async def printable(
        self,
        ref: FromPath[str],
        uow: Uow,
        settings: ServiceSettings,
        request: AuthenticatedRequest,
        format: FromQuery[str] = "html",
    ) -> Response[bytes]:
        page = await limited(
            uow, settings.lookup_limits, request, ref, partial(printing.printable_ticket, ref=ref)
        )
        rendered = printing.printed_page(page, format)
        return Response(rendered.content, media_type=rendered.media_type)
