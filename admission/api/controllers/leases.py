"""Capacity leases: a manager lends event seats to a till or a venue hub; the holder reads its own
leases and gives back what it did not sell."""

from __future__ import annotations

from typing import Annotated

from litestar import Controller, get, post
from litestar.params import JSONBody, QueryParameter

from admission.api.auth import allow
from admission.api.dependencies import AuthenticatedRequest, Uow
from admission.api.params import RowId
from admission.contract.leases import LeaseConflictOut, LeaseIn, LeaseOut
from admission.services import leases

MANAGERS = allow()
HOLDERS = allow("box_office", "hub", "viewer")
RETURNERS = allow("box_office", "hub")
READERS = allow("viewer")

ActiveOnly = Annotated[bool, QueryParameter(description="only the leases still held")]


class LeaseController(Controller):
    path = "/api/v1/leases"
    tags = ["leases"]

    @post(guards=[MANAGERS], status_code=201)
    async def grant(self, data: JSONBody[LeaseIn], uow: Uow, request: AuthenticatedRequest) -> LeaseOut:
        """Lend `seats` of an event to a device until `expires_at` (default and latest: the event's
        end). The seats are reserved at once: 409 when too few are left, or when the device holds
        a lease for the event already."""
        return await uow.write(leases.grant_lease, data, request.user)

    @get(guards=[HOLDERS])
    async def list_leases(
        self, uow: Uow, request: AuthenticatedRequest, active: ActiveOnly = False
    ) -> list[LeaseOut]:
        """Leases, newest first: a till's or hub's token sees its own, a manager's every one."""
        holder = None if request.user.role in ("admin", "viewer") else request.user.device_id
        return await uow.read(leases.list_leases, holder, active_only=active)

    @get("/conflicts", guards=[READERS])
    async def conflicts(self, uow: Uow) -> list[LeaseConflictOut]:
        """Offline sales whose event seats no lease covered, with the overbooking they caused."""
        return await uow.read(leases.list_conflicts)

    @post("/{lease_id:int}/return", guards=[RETURNERS], status_code=200)
    async def give_back(self, lease_id: RowId, uow: Uow, request: AuthenticatedRequest) -> LeaseOut:
        """End the lease and give its unused seats back to the event, once: returning it again
        answers the lease as it stands. A holder ends only its own (404 for another's)."""
        holder = None if request.user.role == "admin" else request.user.device_id
        return await uow.write(leases.end_lease, lease_id, holder=holder)

    @post("/{lease_id:int}/revoke", guards=[MANAGERS], status_code=200)
    async def revoke(self, lease_id: RowId, uow: Uow) -> LeaseOut:
        """A manager ends a lease (a lost till): its unused seats go back at once; sales on it
        posted later are still recorded, as conflicts."""
        return await uow.write(leases.end_lease, lease_id, holder=None, revoke=True)
