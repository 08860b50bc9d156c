"""`admission payments ...`: the managers' payment routines: card-terminal incidents (more
subcommands in this module), in the venue's time zone."""

from __future__ import annotations

import argparse
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from rich.table import Table
from sqlalchemy.ext.asyncio import AsyncSession

from admission.cli.common import add_database_options, console, reading, run, settings_from
from admission.contract.payments import TerminalIncidentOut
from admission.i18n import _
from admission.i18n.formatting import money
from admission.services import catalog
from admission.services import reports as report_service
from admission.services.payments import incidents


async def venue_zone(session: AsyncSession) -> ZoneInfo:
    return ZoneInfo((await catalog.get_venue(session)).timezone)


def local(moment: datetime | None, tz: ZoneInfo) -> str:
    return f"{moment.astimezone(tz):%Y-%m-%d %H:%M}" if moment else ""


def cmd_incidents(args: argparse.Namespace) -> int:
    async def work(session: AsyncSession) -> tuple[ZoneInfo, list[TerminalIncidentOut]]:
        tz = await venue_zone(session)
        if not (args.start or args.end):
            return tz, await incidents.list_incidents(session, tz)
        period = report_service.resolve_period(tz, args.start, args.end)
        return tz, await incidents.list_incidents(session, tz, period.start, period.end)

    tz, rows = run(reading(settings_from(args), work))
    table = Table(
        _("till"),
        _("down from"),
        _("until"),
        _("minutes"),
        _("cause"),
        _("note"),
        _("paid meanwhile"),
        title=_("Card terminal incidents ({timezone})").format(timezone=str(tz)),
    )
    for row in rows:
        minutes = "" if row.duration_seconds is None else f"{row.duration_seconds / 60:.0f}"
        paid = ", ".join(f"{use.method} {use.sales} x {money(use.cents)}" for use in row.paid_with)
        table.add_row(
            row.device,
            local(row.started_at, tz),
            local(row.ended_at, tz) or _("still down"),
            minutes,
            row.cause,
            row.note or "",
            paid,
        )
    console.print(table)
    if not rows:
        console.print(_("No card terminal incidents."))
    return 0


def _period(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--from", dest="start", help="start: a date, a date-time (venue time) or today")
    parser.add_argument("--to", dest="end", help="end: a date includes that whole day")


def register(commands: Any) -> None:
    group = commands.add_parser("payments", help="payment routines: terminal incidents")
    sub = group.add_subparsers(dest="payments_command", required=True)
    listing = sub.add_parser("incidents", help="card-terminal incidents: when, why, how guests paid")
    add_database_options(listing)
    _period(listing)
    listing.set_defaults(handler=cmd_incidents)
