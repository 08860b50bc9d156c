"""`scanner-client terminal-down|terminal-up|terminal-status`: the card terminal's switch from the
command line, the same switch as Ctrl+T on the till's screen (seed 001)."""

from __future__ import annotations

import argparse
import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from functools import partial
from pathlib import Path

from rich.console import Console

from admission.i18n import _
from admission.i18n.formatting import clock
from scanner_client.core.commands import EXIT_USAGE
from scanner_client.till.sale import SaleProblem
from scanner_client.till.till import Till

console = Console(highlight=False)


@dataclass(frozen=True)
class TillOpener:
    """How the box-office commands find and open the till (scanner_client/till/cli.py)."""

    folder: Callable[[str | None], Path]
    open: Callable[..., Till]
    close: Callable[[Till], Awaitable[None]]


def _register_now(till: Till, opener: TillOpener) -> str:
    """Try to register the incident at once; offline it waits for the next sync."""

    async def attempt() -> list[str]:
        try:
            return (await till.sync_once()).errors
        finally:
            await opener.close(till)

    errors = asyncio.run(attempt())
    if errors or till.store.incidents_unposted():
        return _("Not registered at the server yet: it is sent with the next sync.")
    return _("Registered at the server.")


def cmd_terminal_down(opener: TillOpener, args: argparse.Namespace) -> int:
    till = opener.open(opener.folder(args.data_dir), offline=args.offline)
    try:
        incident = till.terminal_down(args.cause, args.note)
    except SaleProblem as exc:
        till.store.close()
        console.print(f"[red]{exc}[/red]")
        return EXIT_USAGE
    console.print(
        _("Card terminal down since {time}: bank cards are refused at this till.").format(
            time=clock(incident.started_at, till.tz)
        )
    )
    console.print(_("Tell guests: {line}").format(line=till.guest_line()))
    console.print(_register_now(till, opener) if till.remote else _("It is sent with the next sync."))
    if not till.remote:
        till.store.close()
    return 0


def cmd_terminal_up(opener: TillOpener, args: argparse.Namespace) -> int:
    till = opener.open(opener.folder(args.data_dir), offline=args.offline)
    incident = till.terminal_up(args.note)
    if incident is None:
        till.store.close()
        console.print(_("The card terminal was not marked down."))
        return EXIT_USAGE
    assert incident.ended_at is not None
    minutes = round((incident.ended_at - incident.started_at).total_seconds() / 60)
    console.print(
        _("Card terminal back at {time} after {minutes} min: bank cards are offered again.").format(
            time=clock(incident.ended_at, till.tz), minutes=minutes
        )
    )
    console.print(_register_now(till, opener) if till.remote else _("It is sent with the next sync."))
    if not till.remote:
        till.store.close()
    return 0


def add_terminal_commands(
    command: Callable[[str, str], argparse.ArgumentParser], handler: object, opener: TillOpener
) -> None:
    down = command("terminal-down", "the card terminal is down: refuse bank cards here, record the incident")
    down.add_argument("--cause", required=True, help="why, e.g. 'no connection to the acquirer'")
    down.add_argument("--note", help="what was done, who was called")
    down.add_argument("--offline", action="store_true", help="do not contact the server now")
    down.set_defaults(handler=handler, box_office_command=partial(cmd_terminal_down, opener))
    up = command("terminal-up", "the card terminal works again: end the incident")
    up.add_argument("--note", help="what fixed it")
    up.add_argument("--offline", action="store_true", help="do not contact the server now")
    up.set_defaults(handler=handler, box_office_command=partial(cmd_terminal_up, opener))
