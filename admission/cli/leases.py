"""`admission leases ...`: capacity leases, event seats lent to a till or a venue hub so that it
can sell event tickets offline: grant, list (with each event's figures), return or revoke, and
the offline sales no lease covered. Times in the venue's time zone."""

from __future__ import annotations

import argparse
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from rich.table import Table
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from admission.cli.common import CliError, add_database_options, console, reading, run, settings_from, writing
from admission.cli.reports import parse_until
from admission.contract import EventOut
from admission.contract.leases import LeaseConflictOut, LeaseIn, LeaseOut
from admission.db.models import Event
from admission.i18n import N_, _
from admission.i18n.formatting import date_time, number
from admission.services import catalog, leases

STATE_WORDS = {"active": N_("active"), "returned": N_("returned"), "revoked": N_("revoked")}
REASON_WORDS = {
    "no_lease": N_("no lease for this event"),
    "lease_full": N_("more than the lease had left"),
    "lease_expired": N_("sold after the lease expired"),
    "lease_ended": N_("posted after the lease was returned or revoked"),
}


async def _zone(session: AsyncSession) -> ZoneInfo:
    return ZoneInfo((await catalog.get_venue(session)).timezone)


async def _event_id(session: AsyncSession, wanted: str) -> int:
    """An event by its id or its exact name."""
    if wanted.isdigit():
        return (await catalog.get_event(session, int(wanted))).id
    found = (await session.scalars(select(Event.id).where(Event.name == wanted))).all()
    if len(found) != 1:
        problem = (
            _("no event is named {name}") if not found else _("several events are named {name}: give its id")
        )
        raise CliError(problem.format(name=repr(wanted)))
    return found[0]


def cmd_grant(args: argparse.Namespace) -> int:
    async def work(session: AsyncSession) -> tuple[ZoneInfo, LeaseOut]:
        tz = await _zone(session)
        expires = None
        if args.until or args.lasting:
            expires = parse_until(args.until, args.lasting, tz, datetime.now(UTC))
        data = LeaseIn(
            event_id=await _event_id(session, args.event),
            device=args.device,
            seats=args.seats,
            expires_at=expires,
        )
        return tz, await leases.grant_lease(session, data, None)

    if args.seats < 1:
        raise CliError(_("a lease holds at least one seat"))
    tz, lease = run(writing(settings_from(args), work))
    console.print(
        _(
            "Lease {id}: {seats} seats of {event} lent to {device} until {until}; they are reserved now."
        ).format(
            id=lease.id,
            seats=number(lease.seats),
            event=lease.event,
            device=lease.device,
            until=date_time(lease.expires_at, tz),
        )
    )
    return 0


def cmd_list(args: argparse.Namespace) -> int:
    async def work(session: AsyncSession) -> tuple[ZoneInfo, list[LeaseOut], list[EventOut]]:
        return (
            await _zone(session),
            await leases.list_leases(session, active_only=not args.all),
            await catalog.list_events(session),
        )

    tz, rows, events = run(reading(settings_from(args), work))
    console.print(events_table(events, tz))
    table = Table(
        _("lease"),
        _("event"),
        _("device"),
        _("seats"),
        _("sold"),
        _("left"),
        _("returned"),
        _("state"),
        _("granted"),
        _("expires"),
        title=_("Capacity leases ({timezone})").format(timezone=str(tz)),
    )
    now = datetime.now(UTC)
    for lease in rows:
        state = _(STATE_WORDS[lease.state])
        if lease.state == "active" and lease.expires_at <= now:
            state = _("expired: return it once its sales are in")
        table.add_row(
            str(lease.id),
            lease.event,
            lease.device,
            number(lease.seats),
            number(lease.sold),
            number(lease.left),
            number(lease.returned),
            state,
            date_time(lease.granted_at, tz),
            date_time(lease.expires_at, tz),
        )
    if rows:
        console.print(table)
    else:
        console.print(
            _("No capacity leases.") if args.all else _("No active capacity leases (--all: every lease).")
        )
    return 0


def events_table(events: list[EventOut], tz: ZoneInfo) -> Table:
    table = Table(
        _("event"),
        _("starts"),
        _("capacity"),
        _("sold"),
        _("leased out"),
        _("free"),
        title=_("Events ({timezone})").format(timezone=str(tz)),
    )
    for event in events:
        table.add_row(
            event.name,
            date_time(event.starts_at, tz),
            _("no limit") if event.capacity is None else number(event.capacity),
            number(event.sold),
            number(event.leased),
            "" if event.remaining is None else number(event.remaining),
        )
    return table


def _end(args: argparse.Namespace, *, revoke: bool) -> int:
    async def work(session: AsyncSession) -> tuple[bool, LeaseOut]:
        active = {lease.id for lease in await leases.list_leases(session, active_only=True)}
        return args.lease_id in active, await leases.end_lease(
            session, args.lease_id, holder=None, revoke=revoke
        )

    ended_now, lease = run(writing(settings_from(args), work))
    if not ended_now:  # asked again: nothing more is freed
        console.print(
            _("Lease {id} was {state} already; nothing changed.").format(
                id=lease.id, state=_(STATE_WORDS[lease.state])
            )
        )
        return 0
    console.print(
        _(
            "Lease {id} is {state}: {seats} unused seats of {event} are on sale again ({sold} sold on it)."
        ).format(
            id=lease.id,
            state=_(STATE_WORDS[lease.state]),
            seats=number(lease.returned),
            event=lease.event,
            sold=number(lease.sold),
        )
    )
    return 0


def cmd_return(args: argparse.Namespace) -> int:
    return _end(args, revoke=False)


def cmd_revoke(args: argparse.Namespace) -> int:
    return _end(args, revoke=True)


def cmd_conflicts(args: argparse.Namespace) -> int:
    async def work(session: AsyncSession) -> tuple[ZoneInfo, list[LeaseConflictOut]]:
        return await _zone(session), await leases.list_conflicts(session)

    tz, rows = run(reading(settings_from(args), work))
    table = Table(
        _("sale"),
        _("device"),
        _("event"),
        _("sold at"),
        _("seats"),
        _("beyond a lease"),
        _("over capacity"),
        _("why"),
        title=_("Offline event sales no lease covered ({timezone})").format(timezone=str(tz)),
    )
    for row in rows:
        table.add_row(
            str(row.sale_id),
            row.device,
            row.event,
            date_time(row.sold_at, tz),
            number(row.seats),
            number(row.beyond),
            f"[bold red]{number(row.overbooked)}[/]" if row.overbooked else "0",
            _(REASON_WORDS.get(row.reason, row.reason)),
        )
    if rows:
        console.print(table)
    else:
        console.print(_("Every offline event sale was within a lease."))
    return 0


def register(commands: Any) -> None:
    group = commands.add_parser("leases", help="capacity leases: event seats a till or hub sells offline")
    actions = group.add_subparsers(dest="action", required=True)
    grant = actions.add_parser("grant", help="lend seats of an event to a device; they are reserved at once")
    grant.add_argument("event", help="the event's id or exact name")
    grant.add_argument("--device", required=True, help="the till's (or hub's) device name")
    grant.add_argument("--seats", required=True, type=int, help="how many seats")
    until = grant.add_mutually_exclusive_group()
    until.add_argument(
        "--until", help="when it expires: 18:00 or 2026-06-01T18:00 (default: the event's end)"
    )
    until.add_argument("--for", dest="lasting", help="how long it lasts: 45m, 2h, 1d")
    add_database_options(grant)
    grant.set_defaults(handler=cmd_grant)
    listing = actions.add_parser(
        "list", help="the events' figures and the active leases (--all: every lease)"
    )
    listing.add_argument("--all", action="store_true", help="returned and revoked leases too")
    add_database_options(listing)
    listing.set_defaults(handler=cmd_list)
    for name, handler, words in (
        ("return", cmd_return, "end a lease: its unused seats go on sale again (once)"),
        ("revoke", cmd_revoke, "end a lost till's lease: its later sales become conflicts"),
    ):
        action = actions.add_parser(name, help=words)
        action.add_argument("lease_id", type=int, help="the lease's number (leases list)")
        add_database_options(action)
        action.set_defaults(handler=handler)
    conflicts = actions.add_parser(
        "conflicts", help="offline event sales no lease covered, with the overbooking"
    )
    add_database_options(conflicts)
    conflicts.set_defaults(handler=cmd_conflicts)
