"""What a venue hub reads of the central service (docs/hub.md)."""

from __future__ import annotations

from typing import Annotated

from litestar import Controller, get, post
from litestar.params import JSONBody, Parameter

from admission.api.auth import allow
from admission.api.controllers.scans import MAX_PAGE, MAX_WAIT_SECONDS
from admission.api.dependencies import AuthenticatedRequest, Notifier, Uow
from admission.api.params import FeedCursor
from admission.contract import HubAnnulRequest, HubAnnulResponse, HubChangesPage
from admission.services import scanning
from admission.services.hub.pages import hub_page


class HubController(Controller):
    path = "/api/v1/hub"
    tags = ["hub"]

    @get("/changes", guards=[allow("hub")])
    async def changes(
        self,
        uow: Uow,
        notifier: Notifier,
        since: FeedCursor = 0,
        limit: Annotated[int, Parameter(ge=1, le=MAX_PAGE)] = 1000,
        wait: Annotated[float, Parameter(ge=0, le=MAX_WAIT_SECONDS, description="long-poll seconds")] = 0,
    ) -> HubChangesPage:
        """The feed with the full rows behind its changes (tickets, passages, the catalogue, devices
        with their tokens' hashes), for a hub's own database."""
        if wait > 0:
            await notifier.wait_beyond(since, wait)
        return await uow.read(hub_page, since, limit)

    @post("/annulments", guards=[allow("hub")], status_code=200)
    async def annulments(
        self, data: JSONBody[HubAnnulRequest], uow: Uow, request: AuthenticatedRequest
    ) -> HubAnnulResponse:
        """Annulments made at a hub after it forwarded the scans, in the gate's name: each
        annulled, a duplicate, or refused with why (e.g. past the window, measured here)."""
        return await uow.write(scanning.annul_forwarded, request.user, data)
