"""The Litestar application: one per service worker."""

from __future__ import annotations

import gc
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from litestar import Litestar, get
from litestar.datastructures import State
from litestar.middleware import DefineMiddleware

from admission import __version__
from admission.api.auth import PUBLIC_PATHS, UNAUTHENTICATED_METHODS, TokenAuthMiddleware
from admission.api.controllers.cards import CardController, FloatController
from admission.api.controllers.catalog import (
    EventController,
    GateController,
    TemplateController,
    VenueController,
)
from admission.api.controllers.dashboard import DASHBOARD_ROUTES
from admission.api.controllers.devices import DeviceController
from admission.api.controllers.fleet import FleetController
from admission.api.controllers.hub import HubController
from admission.api.controllers.hub_sales import HubSalesController
from admission.api.controllers.leases import LeaseController
from admission.api.controllers.payments import PaymentRoutinesController
from admission.api.controllers.reports import REPORT_ROUTES
from admission.api.controllers.sales import SalesController
from admission.api.controllers.scans import ScanController
from admission.api.controllers.tickets import TicketController
from admission.api.dependencies import dependencies
from admission.api.hub_writes import mark_hub_answers, refuse_other_writes
from admission.api.lookup_limits import LOOKUP_RATE_STORE, lookup_rate_limits, lookup_rate_store
from admission.api.openapi import document_problems, openapi_config
from admission.api.problems import EXCEPTION_HANDLERS, problem_plugin
from admission.api.worker import Worker, WorkerSlot
from admission.config import Settings

CONTROLLERS = [
    VenueController,
    TemplateController,
    EventController,
    GateController,
    DeviceController,
    FleetController,
    TicketController,
    ScanController,
    HubController,
    HubSalesController,
    SalesController,
    LeaseController,
    PaymentRoutinesController,
    CardController,
    FloatController,
    *REPORT_ROUTES,
    *DASHBOARD_ROUTES,
]


@get("/health", exclude_from_auth=True, include_in_schema=False)
async def health() -> dict[str, str]:
    return {"status": "ok", "version": __version__}


def create_app(settings: Settings, extra_route_handlers: list[object] | None = None) -> Litestar:
    slot = WorkerSlot()

    @asynccontextmanager
    async def lifespan(app: Litestar) -> AsyncIterator[None]:
        worker = await Worker.start(settings)
        slot.fill(worker)
        # What start-up made (routes, schemas, SQLAlchemy's caches) lives as long as the worker:
        # keep it out of the collector, whose full passes over it stopped the worker for up to
        # 90 ms, the scans waiting on it included.
        gc.freeze()
        try:
            yield
        finally:
            await worker.stop()
            slot.fill(None)

    logging.getLogger("admission").setLevel(logging.INFO)
    app = Litestar(
        route_handlers=[health, *CONTROLLERS, *(extra_route_handlers or [])],  # type: ignore[list-item]
        lifespan=[lifespan],
        dependencies=dependencies(slot),
        state=State({"worker_slot": slot}),
        middleware=[
            *([mark_hub_answers] if settings.upstream else []),
            DefineMiddleware(
                TokenAuthMiddleware, exclude=PUBLIC_PATHS, exclude_http_methods=UNAUTHENTICATED_METHODS
            ),
            *lookup_rate_limits(settings.lookup_limits),  # after authentication: it counts per device
        ],
        stores={LOOKUP_RATE_STORE: lookup_rate_store(settings.data_dir)},
        plugins=[problem_plugin()],
        exception_handlers=EXCEPTION_HANDLERS,  # type: ignore[arg-type]
        openapi_config=openapi_config(),
        request_max_body_size=20 * 1024 * 1024,
        before_request=refuse_other_writes if settings.upstream else None,
    )
    document_problems(app.openapi_schema)
    return app
