"""Devices (gate PCs, box offices, managers' logins) and their revocable tokens."""

from __future__ import annotations

from litestar import Controller, get, post
from litestar.params import JSONBody

from admission.api.auth import allow
from admission.api.dependencies import AuthenticatedRequest, Uow
from admission.api.params import RowId
from admission.contract import DeviceIn, DeviceOut, IssuedToken
from admission.services import devices


class DeviceController(Controller):
    path = "/api/v1/devices"
    tags = ["devices"]

    @get("/me", guards=[allow("box_office", "gate", "viewer", "hub")])
    async def who_am_i(self, uow: Uow, request: AuthenticatedRequest) -> DeviceOut:
        return await uow.read(devices.show_device, request.user.device_id)

    @get(guards=[allow()])
    async def list_devices(self, uow: Uow) -> list[DeviceOut]:
        return await uow.read(devices.list_devices)

    @post(guards=[allow()])
    async def create_device(self, data: JSONBody[DeviceIn], uow: Uow) -> IssuedToken:
        return await uow.write(devices.create_device, data)

    @post("/{device_id:int}/tokens", guards=[allow()])
    async def add_token(self, device_id: RowId, uow: Uow) -> IssuedToken:
        return await uow.write(devices.issue_token, device_id)

    @post("/{device_id:int}/revoke", guards=[allow()], status_code=200)
    async def revoke_device(self, device_id: RowId, uow: Uow) -> DeviceOut:
        """Revoke the device, its tokens (at once on this worker) and its signing key."""
        return await uow.write(devices.revoke_device, device_id)

    @post("/tokens/{token_id:int}/revoke", guards=[allow()], status_code=204)
    async def revoke_token(self, token_id: RowId, uow: Uow) -> None:
        await uow.write(devices.revoke_token, token_id)
