"""Devices (gate PCs, box offices, managers' logins) and their revocable tokens."""

from __future__ import annotations

from litestar import Controller, Request, get, post
from litestar.params import FromPath, JSONBody

from admission.api.auth import allow
from admission.api.state import principal, runtime
from admission.contract import DeviceIn, DeviceOut, IssuedToken
from admission.services import devices


class DeviceController(Controller):
    path = "/api/v1/devices"
    tags = ["devices"]

    @get("/me", guards=[allow("box_office", "gate", "viewer")])
    async def who_am_i(self, request: Request) -> DeviceOut:
        async with runtime(request).db.read_session() as session:
            return await devices.device_out(
                session, await devices.get_device(session, principal(request).device_id)
            )

    @get(guards=[allow()])
    async def list_devices(self, request: Request) -> list[DeviceOut]:
        async with runtime(request).db.read_session() as session:
            return await devices.list_devices(session)

    @post(guards=[allow()])
    async def create_device(self, request: Request, data: JSONBody[DeviceIn]) -> IssuedToken:
        async with runtime(request).db.session() as session:
            issued = await devices.create_device(session, data)
        runtime(request).notifier.poke()
        return issued

    @post("/{device_id:int}/tokens", guards=[allow()])
    async def add_token(self, request: Request, device_id: FromPath[int]) -> IssuedToken:
        async with runtime(request).db.session() as session:
            device = await devices.get_device(session, device_id)
            token = await devices.add_token(session, device)
            return IssuedToken(device=await devices.device_out(session, device), token=token)

    @post("/{device_id:int}/revoke", guards=[allow()], status_code=200)
    async def revoke_device(self, request: Request, device_id: FromPath[int]) -> DeviceOut:
        async with runtime(request).db.session() as session:
            device = await devices.revoke_device(session, device_id)
            out = await devices.device_out(session, device)
        runtime(request).tokens.forget()
        runtime(request).notifier.poke()
        return out

    @post("/tokens/{token_id:int}/revoke", guards=[allow()], status_code=204)
    async def revoke_token(self, request: Request, token_id: FromPath[int]) -> None:
        async with runtime(request).db.session() as session:
            await devices.revoke_token(session, token_id)
        runtime(request).tokens.forget()
