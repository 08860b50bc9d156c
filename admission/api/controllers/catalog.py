"""Venue, templates, events and gates."""

from __future__ import annotations

from litestar import Controller, Request, get, post, put
from litestar.params import FromPath, FromQuery, JSONBody
from sqlalchemy.ext.asyncio import AsyncSession

from admission.api.auth import allow
from admission.api.state import runtime
from admission.contract import (
    EventData,
    EventIn,
    GateData,
    GateIn,
    TemplateData,
    TemplateIn,
    VenueData,
    VenueIn,
)
from admission.db.models import Event
from admission.services import catalog

READERS = allow("box_office", "gate", "viewer")


class VenueController(Controller):
    path = "/api/v1/venue"
    tags = ["catalogue"]

    @get(guards=[READERS])
    async def show_venue(self, request: Request) -> VenueData:
        async with runtime(request).db.read_session() as session:
            return catalog.venue_data(await catalog.get_venue(session))

    @put(guards=[allow()])
    async def update_venue(self, request: Request, data: JSONBody[VenueIn]) -> VenueData:
        async with runtime(request).db.session() as session:
            venue = catalog.venue_data(await catalog.save_venue(session, data))
        runtime(request).notifier.poke()
        return venue


class TemplateController(Controller):
    path = "/api/v1/templates"
    tags = ["catalogue"]

    @get(guards=[READERS])
    async def list_templates(
        self,
        request: Request,
        plu: FromQuery[str | None] = None,
        q: FromQuery[str | None] = None,
    ) -> list[TemplateData]:
        async with runtime(request).db.read_session() as session:
            return [catalog.template_data(t) for t in await catalog.list_templates(session, plu, q)]

    @get("/{template_id:int}", guards=[READERS])
    async def show_template(self, request: Request, template_id: FromPath[int]) -> TemplateData:
        async with runtime(request).db.read_session() as session:
            return catalog.template_data(await catalog.get_template(session, template_id))

    @post(guards=[allow()])
    async def create_template(self, request: Request, data: JSONBody[TemplateIn]) -> TemplateData:
        async with runtime(request).db.session() as session:
            template = catalog.template_data(await catalog.create_template(session, data))
        runtime(request).notifier.poke()
        return template

    @put("/{template_id:int}", guards=[allow()])
    async def update_template(
        self,
        request: Request,
        template_id: FromPath[int],
        data: JSONBody[TemplateIn],
    ) -> TemplateData:
        async with runtime(request).db.session() as session:
            template = catalog.template_data(await catalog.update_template(session, template_id, data))
        runtime(request).notifier.poke()
        return template


class EventOut(EventData, kw_only=True):
    sold: int
    remaining: int | None


class EventController(Controller):
    path = "/api/v1/events"
    tags = ["catalogue"]

    @get(guards=[READERS])
    async def list_events(self, request: Request) -> list[EventOut]:
        async with runtime(request).db.read_session() as session:
            return [await _event_out(session, e) for e in await catalog.list_events(session)]

    @get("/{event_id:int}", guards=[READERS])
    async def show_event(self, request: Request, event_id: FromPath[int]) -> EventOut:
        async with runtime(request).db.read_session() as session:
            return await _event_out(session, await catalog.get_event(session, event_id))

    @post(guards=[allow()])
    async def create_event(self, request: Request, data: JSONBody[EventIn]) -> EventOut:
        async with runtime(request).db.session() as session:
            event = await _event_out(session, await catalog.create_event(session, data))
        runtime(request).notifier.poke()
        return event

    @put("/{event_id:int}", guards=[allow()])
    async def update_event(
        self,
        request: Request,
        event_id: FromPath[int],
        data: JSONBody[EventIn],
    ) -> EventOut:
        async with runtime(request).db.session() as session:
            event = await _event_out(session, await catalog.update_event(session, event_id, data))
        runtime(request).notifier.poke()
        return event


async def _event_out(session: AsyncSession, event: Event) -> EventOut:
    data = await catalog.event_data(session, event)
    remaining = None if event.capacity is None else max(event.capacity - event.sold, 0)
    return EventOut(
        **{f: getattr(data, f) for f in data.__struct_fields__}, sold=event.sold, remaining=remaining
    )


class GateController(Controller):
    path = "/api/v1/gates"
    tags = ["catalogue"]

    @get(guards=[READERS])
    async def list_gates(self, request: Request) -> list[GateData]:
        async with runtime(request).db.read_session() as session:
            return [catalog.gate_data(g) for g in await catalog.list_gates(session)]

    @post(guards=[allow()])
    async def create_gate(self, request: Request, data: JSONBody[GateIn]) -> GateData:
        async with runtime(request).db.session() as session:
            gate = catalog.gate_data(await catalog.create_gate(session, data))
        runtime(request).notifier.poke()
        return gate
