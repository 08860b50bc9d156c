"""`admission devices`: the fleet table (every gate and till, what it last reported, its flags)."""

from __future__ import annotations

import argparse
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from rich.table import Table

from admission.cli.admin import role_words
from admission.cli.common import CliError, add_database_options, console, reading, run, settings_from
from admission.contract import FleetDevice, FleetOut
from admission.domain.wording import clock_offset_words
from admission.i18n import _
from admission.i18n.formatting import date_time, number


def cmd_devices(args: argparse.Namespace) -> int:
    from admission.services import fleet

    settings = settings_from(args)
    for name in ("clock_skew_limit_seconds", "silent_after_seconds"):
        value = getattr(args, name)
        if value is not None:
            if not value > 0:
                raise CliError(_("limits are positive numbers of seconds"))
            setattr(settings, name, value)
    limits = fleet.FleetLimits(
        clock_skew_limit_seconds=settings.clock_skew_limit_seconds,
        silent_after_seconds=settings.silent_after_seconds,
    )

    async def work(session: Any) -> FleetOut:
        return await fleet.fleet(session, limits)

    console.print(fleet_table(run(reading(settings, work))))
    return 0


def fleet_table(report: FleetOut) -> Table:
    tz = ZoneInfo(report.timezone)
    table = Table(
        _("device"),
        _("role"),
        _("gate"),
        _("version"),
        _("online"),
        _("last seen"),
        _("last sync"),
        _("queue"),
        _("clock offset"),
        _("flags"),
        title=_("Devices ({timezone})").format(timezone=report.timezone),
        caption=_("Flagged: a clock off by more than {clock} s; silent for more than {silent} min").format(
            clock=f"{report.clock_skew_limit_seconds:g}", silent=f"{report.silent_after_seconds / 60:g}"
        ),
    )
    for device in report.devices:
        table.add_row(*_cells(device, tz))
    return table


def _cells(device: FleetDevice, tz: ZoneInfo) -> list[str]:
    def local(moment: datetime | None) -> str:
        return date_time(moment, tz) if moment else _("never")

    online = _("revoked") if device.revoked else _("yes") if device.online else _("no")
    flags = "; ".join(device.warnings)
    return [
        device.name,
        role_words(device.role),
        device.gate or "",
        device.version or "",
        online,
        local(device.last_seen_at),
        local(device.last_sync_at) if device.last_seen_at else "",
        "" if device.queue is None else number(device.queue),
        "" if device.clock_offset_seconds is None else clock_offset_words(device.clock_offset_seconds),
        f"[bold red]{flags}[/]" if flags else "",
    ]


def register(commands: Any) -> None:
    devices = commands.add_parser(
        "devices", help="the fleet: version, online, last seen, queue and clock of every gate and till"
    )
    add_database_options(devices)
    devices.add_argument(
        "--clock-skew-limit",
        dest="clock_skew_limit_seconds",
        type=float,
        help="flag a clock off by more than this many seconds (default: $ADMISSION_CLOCK_SKEW_LIMIT or 30)",
    )
    devices.add_argument(
        "--silent-after",
        dest="silent_after_seconds",
        type=float,
        help="flag a device not heard of for this many seconds (default: $ADMISSION_SILENT_AFTER or 600)",
    )
    devices.set_defaults(handler=cmd_devices)
