"""`admission hub-sales`: at a venue hub, the sales its tills made through it and what the central
service made of each (owed, registered, duplicate, refused with its reason)."""

from __future__ import annotations

import argparse
from typing import Any
from zoneinfo import ZoneInfo

from rich.table import Table

from admission.cli.common import add_database_options, console, reading, run, settings_from
from admission.i18n import _
from admission.i18n.formatting import date_time


def cmd_hub_sales(args: argparse.Namespace) -> int:
    from admission.services import catalog
    from admission.services.hub.sale_forwarding import HubSaleRow, hub_sales

    async def work(session: Any) -> tuple[str, list[HubSaleRow]]:
        venue = await catalog.get_venue(session)
        return venue.timezone, await hub_sales(session, refused_only=args.refused)

    timezone, rows = run(reading(settings_from(args), work))
    tz = ZoneInfo(timezone)
    states = {
        None: _("owed"),
        "registered": _("registered"),
        "duplicate": _("registered (sent before)"),
        "refused": _("REFUSED"),
    }
    table = Table(
        _("sale"),
        _("till"),
        _("nonce"),
        _("sold through the hub"),
        _("central service"),
        _("answered"),
        _("reason"),
        title=_("Sales through this hub ({timezone})").format(timezone=timezone),
    )
    for row in rows:
        table.add_row(
            str(row.sale_id),
            row.device,
            row.nonce,
            date_time(row.recorded_at, tz),
            states.get(row.status, row.status or ""),
            date_time(row.forwarded_at, tz) if row.forwarded_at else "",
            row.detail or "",
        )
    console.print(table)
    refused = sum(1 for row in rows if row.status == "refused")
    if refused:
        console.print(
            _("{count} sales were refused by the central service: settle them there by hand").format(
                count=refused
            )
        )
    return 1 if refused else 0


def register(commands: Any) -> None:
    sales = commands.add_parser(
        "hub-sales",
        help="at a venue hub: its tills' sales and the central service's answer (exit 1 if one was refused)",
    )
    add_database_options(sales)
    sales.add_argument("--refused", action="store_true", help="only the sales the central service refused")
    sales.set_defaults(handler=cmd_hub_sales)
