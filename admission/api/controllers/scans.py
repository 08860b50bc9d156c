"""Scanning: online scans, offline batches, annulment, the change feed, occupancy, outages."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from litestar import Controller, Request, get, post
from litestar.params import FromPath, JSONBody, Parameter
from sqlalchemy.exc import IntegrityError

from admission.api.auth import allow
from admission.api.state import principal, runtime
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
from admission.domain.errors import DomainError
from admission.services import catalog, feed, outages, scanning

GATES = allow("gate")
MAX_WAIT_SECONDS = 60
MAX_PAGE = 10_000










class ScanController(Controller):
    path = "/api/v1"
    tags = ["scanning"]

    @post("/scans", guards=[GATES], status_code=200)
    async def scan(self, request: Request, data: JSONBody[ScanRequest]) -> ScanResponse:
        return await runtime(request).scans.scan(principal(request), data)

    @post("/passages/batch", guards=[GATES], status_code=200)
    async def batch(self, request: Request, data: JSONBody[BatchRequest]) -> BatchResponse:
        rt = runtime(request)
        for attempt in (1, 2):  # a concurrent re-send of the same batch: the retry sees duplicates
            try:
                async with rt.db.session() as session:
                    view = await rt.catalog.current(session)
                    answer = await scanning.register_batch(session, rt.keys, view, principal(request), data)
                break
            except IntegrityError:
                if attempt == 2:
                    raise
        rt.notifier.poke()
        return answer

    @post("/scans/{nonce:str}/annul", guards=[GATES], status_code=200)
    async def annul(self, request: Request, nonce: FromPath[str]) -> AnnulResponse:
        rt = runtime(request)
        async with rt.db.session() as session:
            window = (await catalog.get_venue(session)).annul_window_seconds
            scan = await scanning.annul_passage(session, principal(request), nonce, window)
            answer = AnnulResponse(nonce=scan.nonce, annulled_at=scan.annulled_at or datetime.now(UTC))
        rt.notifier.poke()
        return answer

    @get("/sync/changes", guards=[allow("gate", "box_office")])
    async def changes(
        self,
        request: Request,
        since: Annotated[
            int, Parameter(ge=0, description="cursor of the last change you hold; 0: snapshot")
        ] = 0,
        limit: Annotated[int, Parameter(ge=1, le=MAX_PAGE)] = 1000,
        wait: Annotated[float, Parameter(ge=0, le=MAX_WAIT_SECONDS, description="long-poll seconds")] = 0,
    ) -> ChangesPage:
        rt = runtime(request)
        if wait > 0:
            await rt.notifier.wait_beyond(since, wait)
        async with rt.db.read_session() as session:
            return await feed.read_page(session, since, limit)

    @get("/occupancy", guards=[allow("viewer", "gate", "box_office")])
    async def occupancy(self, request: Request) -> Occupancy:
        async with runtime(request).db.read_session() as session:
            return Occupancy(at=datetime.now(UTC), zones=await scanning.occupancy(session))

    @post("/occupancy/auto-exit", guards=[allow()], status_code=200)
    async def auto_exit(self, request: Request, data: JSONBody[AutoExitRequest]) -> AutoExitResponse:
        rt = runtime(request)
        at = data.at or datetime.now(UTC)
        if at.tzinfo is None:
            raise DomainError("at must carry a UTC offset")
        async with rt.db.session() as session:
            count = await scanning.auto_exit(session, at, principal(request).device_id)
        rt.notifier.poke()
        return AutoExitResponse(exits_recorded=count)

    @post("/outages", guards=[allow("gate", "box_office")], status_code=201)
    async def report_outage(self, request: Request, data: JSONBody[OutageIn]) -> OutageOut:
        async with runtime(request).db.session() as session:
            return await outages.record_outage(session, principal(request), data)

    @get("/outages", guards=[allow("viewer")])
    async def list_outages(self, request: Request) -> list[OutageOut]:
        async with runtime(request).db.read_session() as session:
            return await outages.list_outages(session)
