"""Scanning: online scans, offline batches, annulment, the change feed, occupancy, outages."""

from __future__ import annotations

from typing import Annotated

from litestar import Controller, get, post
from litestar.params import FromPath, JSONBody, Parameter

from admission.api.auth import allow
from admission.api.dependencies import AuthenticatedRequest, Keys, Notifier, ScanCatalogue, Scans, Uow
from admission.api.params import FeedCursor
from admission.contract import (
    AnnulResponse,
    AutoExitRequest,
    AutoExitResponse,
    BatchRequest,
    BatchResponse,
    ChangesPage,
    Occupancy,
    OutageIn,
    OutageOut,
    ScanRequest,
    ScanResponse,
)
from admission.services import feed, outages, scanning

GATES = allow("gate")
MAX_WAIT_SECONDS = 60
MAX_PAGE = 10_000


class ScanController(Controller):
    path = "/api/v1"
    tags = ["scanning"]

    @post("/scans", guards=[GATES], status_code=200)
    async def scan(
        self, data: JSONBody[ScanRequest], scans: Scans, request: AuthenticatedRequest
    ) -> ScanResponse:
        return await scans.scan(request.user, data)

    @post("/passages/batch", guards=[allow("gate", "hub")], status_code=200)
    async def batch(
        self,
        data: JSONBody[BatchRequest],
        uow: Uow,
        keys: Keys,
        scan_catalog: ScanCatalogue,
        request: AuthenticatedRequest,
    ) -> BatchResponse:
        # A concurrent re-send of the same batch loses the race on its nonces: the unit of
        # work runs it again, and then it finds them registered (duplicates).
        return await uow.write(scanning.register_batch, keys, scan_catalog, request.user, data)

    @post("/scans/{nonce:str}/annul", guards=[GATES], status_code=200)
    async def annul(self, nonce: FromPath[str], uow: Uow, request: AuthenticatedRequest) -> AnnulResponse:
        return await uow.write(scanning.annul_passage, request.user, nonce)

    @get("/sync/changes", guards=[allow("gate", "box_office", "hub")])
    async def changes(
        self,
        uow: Uow,
        notifier: Notifier,
        since: FeedCursor = 0,
        limit: Annotated[int, Parameter(ge=1, le=MAX_PAGE)] = 1000,
        wait: Annotated[float, Parameter(ge=0, le=MAX_WAIT_SECONDS, description="long-poll seconds")] = 0,
    ) -> ChangesPage:
        if wait > 0:  # wait before reading: a parked long poll holds no connection
            await notifier.wait_beyond(since, wait)
        return await uow.read(feed.read_page, since, limit)

    @get("/occupancy", guards=[allow("viewer", "gate", "box_office")])
    async def occupancy(self, uow: Uow) -> Occupancy:
        return await uow.read(scanning.occupancy_now)

    @post("/occupancy/auto-exit", guards=[allow()], status_code=200)
    async def auto_exit(
        self, data: JSONBody[AutoExitRequest], uow: Uow, request: AuthenticatedRequest
    ) -> AutoExitResponse:
        return await uow.write(scanning.exit_everyone, data, request.user)

    @post("/outages", guards=[allow("gate", "box_office")], status_code=201)
    async def report_outage(
        self, data: JSONBody[OutageIn], uow: Uow, request: AuthenticatedRequest
    ) -> OutageOut:
        return await uow.write(outages.record_outage, request.user, data)

    @get("/outages", guards=[allow("viewer")])
    async def list_outages(self, uow: Uow) -> list[OutageOut]:
        return await uow.read(outages.list_outages)
