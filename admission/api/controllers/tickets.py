"""Tickets: issue, look up, void, reissue, and their barcodes and printable pages."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from litestar import Controller, Request, Response, get, post
from litestar.params import FromPath, FromQuery, JSONBody

from admission import barcodes
from admission.api.auth import allow
from admission.api.state import principal, runtime
from admission.contract import IssueRequest, TicketDetail, TicketOut, VoidRequest
from admission.domain.errors import InvalidRequestError
from admission.services import catalog, printing, tickets

SELLERS = allow("box_office")


class TicketController(Controller):
    path = "/api/v1/tickets"
    tags = ["tickets"]

    @post("/issue", guards=[SELLERS])
    async def issue(self, request: Request, data: JSONBody[IssueRequest]) -> list[TicketOut]:
        rt = runtime(request)
        async with rt.db.session() as session:
            tz = ZoneInfo((await catalog.get_venue(session)).timezone)
            issued = await tickets.issue_tickets(
                session, rt.keys, tz, data, issued_by=principal(request).device_id
            )
        rt.notifier.poke()
        return [tickets.ticket_out(t) for t in issued]

    @get("/{ref:str}", guards=[allow("box_office", "viewer")])
    async def look_up(self, request: Request, ref: FromPath[str]) -> TicketDetail:
        async with runtime(request).db.read_session() as session:
            tz = ZoneInfo((await catalog.get_venue(session)).timezone)
            return await tickets.ticket_detail(session, await tickets.get_ticket(session, ref), tz)

    @post("/{ref:str}/void", guards=[SELLERS], status_code=200)
    async def void(self, request: Request, ref: FromPath[str], data: JSONBody[VoidRequest]) -> TicketOut:
        rt = runtime(request)
        async with rt.db.session() as session:
            ticket = tickets.ticket_out(await tickets.void_ticket(session, ref, data.reason))
        rt.notifier.poke()
        return ticket

    @post("/{ref:str}/reissue", guards=[SELLERS], status_code=201)
    async def reissue(self, request: Request, ref: FromPath[str]) -> TicketOut:
        rt = runtime(request)
        async with rt.db.session() as session:
            ticket = await tickets.reissue_ticket(session, rt.keys, ref, principal(request).device_id)
            out = tickets.ticket_out(ticket)
        rt.notifier.poke()
        return out

    @get("/{ref:str}/barcode", guards=[allow("box_office", "viewer")])
    async def barcode(
        self,
        request: Request,
        ref: FromPath[str],
        kind: FromQuery[str] = "qr",
        format: FromQuery[str] = "svg",
    ) -> Response[bytes]:
        async with runtime(request).db.read_session() as session:
            ticket = await tickets.get_ticket(session, ref)
        renderers = {
            ("qr", "svg"): lambda: barcodes.qr_svg(ticket.code),
            ("qr", "png"): lambda: barcodes.qr_png(ticket.code),
            ("code128", "svg"): lambda: barcodes.code128_svg(ticket.number or ""),
            ("code128", "png"): lambda: barcodes.code128_png(ticket.number or ""),
        }
        render = renderers.get((kind, format))
        if render is None:
            raise InvalidRequestError("kind must be qr or code128, format svg or png")
        if kind == "code128" and not ticket.number:
            raise InvalidRequestError("this ticket was sold offline and has only its QR code")
        media = "image/svg+xml" if format == "svg" else "image/png"
        return Response(render(), media_type=media)

    @get("/{ref:str}/print", guards=[allow("box_office", "viewer")])
    async def printable(
        self,
        request: Request,
        ref: FromPath[str],
        format: FromQuery[str] = "html",
    ) -> Response[bytes]:
        async with runtime(request).db.read_session() as session:
            ticket = await tickets.get_ticket(session, ref)
            page = await printing.printable_ticket(session, ticket)
        if format == "html":
            return Response(barcodes.render_ticket_html(page).encode(), media_type="text/html")
        if format == "png":
            return Response(barcodes.render_ticket_png(page), media_type="image/png")
        if format == "pdf":
            return Response(barcodes.render_ticket_pdf(page), media_type="application/pdf")
        raise InvalidRequestError("format must be html, png or pdf")
