"""A demo venue: a small zoo with an evening concert, gates, devices and issued tickets.

Used by `admission demo` and by the tests that need a realistic, running venue.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import msgspec

from admission.contract import DeviceIn, EventIn, GateIn, IssueRequest, TemplateIn
from admission.db.engine import Database
from admission.domain.model import TemplateKind, ValidityMode
from admission.services import catalog, devices, tickets
from admission.services.keys import KeyRing
from admission.services.setup import initialise

DEMO_TIMEZONE = "Europe/Copenhagen"


class DemoTicket(msgspec.Struct, kw_only=True):
    template: str
    number: str
    code: str
    serial: str


class DemoVenue(msgspec.Struct, kw_only=True):
    database_url: str
    data_dir: str
    admin_token: str
    gate_tokens: dict[str, str]  # gate name -> token of that gate's device
    box_office_token: str
    viewer_token: str
    event_id: int
    tickets: list[DemoTicket]


async def seed_demo(
    database_url: str,
    data_dir: Path,
    tickets_per_template: int = 100,
    progress: Callable[[int], None] | None = None,
) -> DemoVenue:
    setup = await initialise(database_url, data_dir, "Demo Zoo & Arena", DEMO_TIMEZONE)
    tz = ZoneInfo(DEMO_TIMEZONE)
    db = Database(database_url)
    try:
        async with db.session() as session:
            ring = await KeyRing.load(session, data_dir)
            day = await catalog.create_template(
                session,
                TemplateIn(
                    name="Day ticket",
                    plu="100",
                    price_cents=2500,
                    title="Zoo day ticket",
                    description="One entry, any day this year.",
                    color="#2e7d32",
                    reentry_allowed=True,
                ),
            )
            await catalog.create_template(
                session,
                TemplateIn(
                    name="10-visit card",
                    plu="110",
                    price_cents=18000,
                    max_entries=10,
                    validity_mode=ValidityMode.DAYS_FROM_SALE,
                    validity_days=365,
                    title="10 visits",
                    color="#6a1b9a",
                ),
            )
            await catalog.create_template(
                session,
                TemplateIn(
                    name="Weekend pass",
                    plu="120",
                    price_cents=4000,
                    max_entries=None,
                    validity_mode=ValidityMode.DAYS_FROM_FIRST_USE,
                    validity_days=2,
                    reentry_allowed=True,
                    title="Two days, unlimited entries",
                    color="#ef6c00",
                ),
            )
            concert_fallback = await catalog.create_template(
                session,
                TemplateIn(
                    name="Concert entry (fallback)",
                    plu="201",
                    price_cents=3500,
                    allowed_zones=["arena"],
                    title="Evening concert",
                    description="Sold while event sales are offline.",
                    color="#c62828",
                ),
            )
            concert = await catalog.create_template(
                session,
                TemplateIn(
                    name="Concert ticket",
                    kind=TemplateKind.EVENT,
                    plu="200",
                    price_cents=3500,
                    allowed_zones=["arena"],
                    fallback_template_id=concert_fallback.id,
                    title="Evening concert",
                    color="#c62828",
                ),
            )
            # The next full hour, doors open 90 minutes before: its tickets can be tried at the
            # gates and its seats sold or leased whenever the demo is made, day or night.
            starts = datetime.now(tz).replace(minute=0, second=0, microsecond=0) + timedelta(hours=1)
            event = await catalog.create_event(
                session,
                EventIn(
                    name="Evening concert",
                    starts_at=starts,
                    ends_at=starts + timedelta(hours=3),
                    doors_open_minutes=90,
                    capacity=500,
                    template_ids=[concert.id],
                ),
            )
            await catalog.create_gate(session, GateIn(name="Main gate", zone="zoo"))
            await catalog.create_gate(session, GateIn(name="North gate", zone="zoo"))
            await catalog.create_gate(session, GateIn(name="Arena door", zone="arena", from_zone="zoo"))
            # Concert guests come in from the street; their tickets are valid in the arena only.
            await catalog.create_gate(session, GateIn(name="Arena entrance", zone="arena"))
            gate_tokens = {}
            for device, gate in (
                ("gate-main", "Main gate"),
                ("gate-north", "North gate"),
                ("gate-arena", "Arena door"),
                ("gate-arena-entrance", "Arena entrance"),
            ):
                issued = await devices.create_device(session, DeviceIn(name=device, role="gate", gate=gate))
                gate_tokens[gate] = issued.token
            box = await devices.create_device(session, DeviceIn(name="box-office-1", role="box_office"))
            viewer = await devices.create_device(session, DeviceIn(name="manager", role="viewer"))

        issued_tickets: list[DemoTicket] = []
        requests = [
            (day.id, None, "Day ticket"),
            (day.id + 1, None, "10-visit card"),
            (day.id + 2, None, "Weekend pass"),
            (concert.id, event.id, "Concert ticket"),
        ]
        for template_id, event_id, name in requests:
            async with db.session() as session:
                batch = await tickets.issue_tickets(
                    session,
                    ring,
                    tz,
                    IssueRequest(template_id=template_id, event_id=event_id, count=tickets_per_template),
                )
            issued_tickets += [
                DemoTicket(template=name, number=t.number or "", code=t.code, serial=str(t.serial))
                for t in batch
            ]
            if progress:
                progress(len(batch))
    finally:
        await db.dispose()
    return DemoVenue(
        database_url=database_url,
        data_dir=str(data_dir),
        admin_token=setup.admin_token,
        gate_tokens=gate_tokens,
        box_office_token=box.token,
        viewer_token=viewer.token,
        event_id=event.id,
        tickets=issued_tickets,
    )
