"""Tickets: issue, look up, void, reissue, and their barcodes and printable pages."""

from __future__ import annotations

from litestar import Controller, Response, get, post
from litestar.params import FromPath, FromQuery, JSONBody

from admission.api.auth import allow
from admission.api.dependencies import AuthenticatedRequest, Keys, Uow
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

    @get("/{ref:str}", guards=[READERS])
    async def look_up(self, ref: FromPath[str], uow: Uow) -> TicketDetail:
        return await uow.read(tickets.look_up, ref)

    @post("/{ref:str}/void", guards=[SELLERS], status_code=200)
    async def void(self, ref: FromPath[str], data: JSONBody[VoidRequest], uow: Uow) -> TicketOut:
        return await uow.write(tickets.void_ticket, ref, data.reason)

    @post("/{ref:str}/reissue", guards=[SELLERS], status_code=201)
    async def reissue(
        self, ref: FromPath[str], uow: Uow, keys: Keys, request: AuthenticatedRequest
    ) -> TicketOut:
        return await uow.write(tickets.reissue_ticket, keys, ref, request.user.device_id)

    @get("/{ref:str}/barcode", guards=[READERS])
    async def barcode(
        self,
        ref: FromPath[str],
        uow: Uow,
        kind: FromQuery[str] = "qr",
        format: FromQuery[str] = "svg",
    ) -> Response[bytes]:
        image = printing.barcode(await uow.read(tickets.get_ticket, ref), kind, format)
        return Response(image.content, media_type=image.media_type)

    @get("/{ref:str}/print", guards=[READERS])
    async def printable(
        self, ref: FromPath[str], uow: Uow, format: FromQuery[str] = "html"
    ) -> Response[bytes]:
        page = printing.printed_page(await uow.read(printing.printable_ticket, ref), format)
        return Response(page.content, media_type=page.media_type)
