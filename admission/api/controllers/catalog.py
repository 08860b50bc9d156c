"""Venue, templates, events and gates."""

from __future__ import annotations

from litestar import Controller, get, post, put
from litestar.params import FromQuery, JSONBody

from admission.api.auth import allow
from admission.api.dependencies import Uow
from admission.api.params import RowId
from admission.contract import (
    EventIn,
    EventOut,
    GateData,
    GateIn,
    TemplateData,
    TemplateIn,
    VenueData,
    VenueIn,
    VenueReceiptIn,
)
from admission.services import catalog

READERS = allow("box_office", "gate", "viewer")


class VenueController(Controller):
    path = "/api/v1/venue"
    tags = ["catalogue"]

    @get(guards=[READERS])
    async def show_venue(self, uow: Uow) -> VenueData:
        return await uow.read(catalog.show_venue)

    @put(guards=[allow()])
    async def update_venue(self, data: JSONBody[VenueIn], uow: Uow) -> VenueData:
        return await uow.write(catalog.save_venue, data)

    @put("/receipt", guards=[allow()])
    async def update_venue_receipt(self, data: JSONBody[VenueReceiptIn], uow: Uow) -> VenueData:
        """What receipts print about the venue: address lines, VAT number, standard VAT rate."""
        return await uow.write(catalog.save_venue_receipt, data)


class TemplateController(Controller):
    path = "/api/v1/templates"
    tags = ["catalogue"]

    @get(guards=[READERS])
    async def list_templates(
        self, uow: Uow, plu: FromQuery[str | None] = None, q: FromQuery[str | None] = None
    ) -> list[TemplateData]:
        return await uow.read(catalog.list_templates, plu, q)

    @get("/{template_id:int}", guards=[READERS])
    async def show_template(self, template_id: RowId, uow: Uow) -> TemplateData:
        return await uow.read(catalog.show_template, template_id)

    @post(guards=[allow()])
    async def create_template(self, data: JSONBody[TemplateIn], uow: Uow) -> TemplateData:
        return await uow.write(catalog.create_template, data)

    @put("/{template_id:int}", guards=[allow()])
    async def update_template(
        self, template_id: RowId, data: JSONBody[TemplateIn], uow: Uow
    ) -> TemplateData:
        return await uow.write(catalog.update_template, template_id, data)


class EventController(Controller):
    path = "/api/v1/events"
    tags = ["catalogue"]

    @get(guards=[READERS])
    async def list_events(self, uow: Uow) -> list[EventOut]:
        return await uow.read(catalog.list_events)

    @get("/{event_id:int}", guards=[READERS])
    async def show_event(self, event_id: RowId, uow: Uow) -> EventOut:
        return await uow.read(catalog.show_event, event_id)

    @post(guards=[allow()])
    async def create_event(self, data: JSONBody[EventIn], uow: Uow) -> EventOut:
        return await uow.write(catalog.create_event, data)

    @put("/{event_id:int}", guards=[allow()])
    async def update_event(self, event_id: RowId, data: JSONBody[EventIn], uow: Uow) -> EventOut:
        return await uow.write(catalog.update_event, event_id, data)


class GateController(Controller):
    path = "/api/v1/gates"
    tags = ["catalogue"]

    @get(guards=[READERS])
    async def list_gates(self, uow: Uow) -> list[GateData]:
        return await uow.read(catalog.list_gates)

    @post(guards=[allow()])
    async def create_gate(self, data: JSONBody[GateIn], uow: Uow) -> GateData:
        return await uow.write(catalog.create_gate, data)
