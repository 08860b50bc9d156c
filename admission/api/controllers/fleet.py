"""Fleet health: each gate and till reports on itself; managers read the fleet table."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TypeAlias

from litestar import Controller, get, post
from litestar.di import NamedDependency
from litestar.params import JSONBody

from admission.api.auth import allow
from admission.api.dependencies import AuthenticatedRequest, Uow
from admission.config import Settings
from admission.contract import DeviceHealthAck, DeviceHealthIn, FleetOut, ServiceClock
from admission.services import fleet

Config: TypeAlias = NamedDependency[Settings]


def limits_of(settings: Settings) -> fleet.FleetLimits:
    return fleet.FleetLimits(
        clock_skew_limit_seconds=settings.clock_skew_limit_seconds,
        silent_after_seconds=settings.silent_after_seconds,
    )


class FleetController(Controller):
    path = "/api/v1/fleet"
    tags = ["devices"]

    @get(guards=[allow("viewer")])
    async def fleet_table(self, uow: Uow, settings: Config) -> FleetOut:
        """Every gate and till with what it last reported (version, queue, last sync, online,
        clock offset) and its flags: `clock_skew` and `silent` (limits in the answer)."""
        return await uow.read(fleet.fleet, limits_of(settings))

    @get("/clock", guards=[allow("gate", "box_office", "viewer")])
    async def service_clock(self) -> ServiceClock:
        """The service's time: a device measures its clock's offset with half the round trip."""
        return ServiceClock(now=datetime.now(UTC))

    @post("/reports", guards=[allow("gate", "box_office")], status_code=200)
    async def report_health(
        self, data: JSONBody[DeviceHealthIn], uow: Uow, request: AuthenticatedRequest, settings: Config
    ) -> DeviceHealthAck:
        """The calling device's own report (`device` must be the token's device, else 403)."""
        return await uow.write(fleet.record_report, request.user, data, limits_of(settings))
