"""Administer a venue from the shell: devices and tokens, issuer keys, issuing (paid or not) and
marking tickets paid, auto-exit."""

from __future__ import annotations

import argparse
import sys
from contextlib import nullcontext
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from rich.table import Table

from admission import contract
from admission.cli.common import (
    CliError,
    add_database_options,
    console,
    errors,
    run,
    settings_from,
    writing,
)
from admission.config import Settings
from admission.i18n import N_, _, ngettext
from admission.i18n.formatting import day, number, short_date_time

# A device's role as a manager reads it (the API and the venue file keep the field's value).
ROLE_WORDS = {
    "admin": N_("admin"),
    "box_office": N_("box office"),
    "gate": N_("gate"),
    "viewer": N_("viewer"),
}


def role_words(role: str) -> str:
    return _(ROLE_WORDS[role]) if role in ROLE_WORDS else role


async def venue_zone(session: Any) -> ZoneInfo:
    """Times in these tables are the venue's, like every time a manager reads."""
    from admission.services import catalog

    return ZoneInfo((await catalog.get_venue(session)).timezone)


def cmd_tokens_create(args: argparse.Namespace) -> int:
    from admission.services import devices

    async def work(session: Any) -> Any:
        return await devices.create_device(
            session, contract.DeviceIn(name=args.name, role=args.role, gate=args.gate)
        )

    issued = run(writing(settings_from(args), work))
    created = _("Device {name} ({role}) created. Token, shown once:")
    console.print(created.format(name=repr(issued.device.name), role=role_words(issued.device.role)))
    console.print(f"  [bold]{issued.token}[/]")
    return 0


def cmd_tokens_list(args: argparse.Namespace) -> int:
    from admission.services import devices

    async def work(session: Any) -> Any:
        return await devices.list_devices(session), await venue_zone(session)

    rows, tz = run(writing(settings_from(args), work))
    table = Table(
        _("id"),
        _("device"),
        _("role"),
        _("gate"),
        _("created"),
        _("revoked"),
        _("token"),
        title=_("Devices ({timezone})").format(timezone=tz.key),
    )
    for d in rows:
        table.add_row(
            str(d.id),
            d.name,
            role_words(d.role),
            d.gate or "",
            short_date_time(d.created_at, tz),
            _("yes") if d.revoked else "",
            # A token from before tokens were stored hashed per device: rotate it.
            _("legacy") if d.legacy_token and not d.revoked else "",
        )
    console.print(table)
    return 0


def cmd_tokens_revoke(args: argparse.Namespace) -> int:
    from admission.services import devices

    async def work(session: Any) -> Any:
        return await devices.revoke_device(session, args.device_id)

    settings = settings_from(args)
    device = run(writing(settings, work))
    console.print(_("Device {name} and all its tokens are revoked.").format(name=repr(device.name)))
    announce(settings)
    return 0


def announce(settings: Settings) -> None:
    """Tell the running service's workers (through its data folder) that tokens were revoked."""
    from admission.services import devices

    if not (settings.data_dir / "keys").is_dir():  # not the venue's folder: leave no file behind
        console.print(
            _("A running service's workers learn it within seconds (pass --data-dir to tell them at once).")
        )
        return
    devices.announce_token_change(settings.data_dir)


def cmd_tokens_rotate(args: argparse.Namespace) -> int:
    from admission.services import devices

    async def work(session: Any) -> Any:
        return await devices.rotate_token(session, args.device_id)

    settings = settings_from(args)
    issued = run(writing(settings, work))
    rotated = _("New token for device {name} ({role}), shown once:")
    console.print(rotated.format(name=repr(issued.device.name), role=role_words(issued.device.role)))
    console.print(f"  [bold]{issued.token}[/]")
    console.print(_("Every token it held before is revoked."))
    announce(settings)
    return 0


def cmd_keys_list(args: argparse.Namespace) -> int:
    from sqlalchemy import select

    from admission.db.models import IssuerKey

    async def work(session: Any) -> Any:
        return (await session.scalars(select(IssuerKey).order_by(IssuerKey.key_id))).all(), await venue_zone(
            session
        )

    keys, tz = run(writing(settings_from(args), work))
    table = Table(
        _("key id"),
        _("owner"),
        _("public key"),
        _("created"),
        _("revoked"),
        title=_("Issuer keys ({timezone})").format(timezone=tz.key),
    )
    for key in keys:
        owner = _("device {id}").format(id=key.device_id) if key.device_id else _("the service")
        table.add_row(
            str(key.key_id),
            owner,
            key.public_key[:16] + "…",
            day(key.created_at, tz),
            _("yes") if key.revoked_at else "",
        )
    console.print(table)
    return 0


def cmd_keys_rotate(args: argparse.Namespace) -> int:
    from admission.services import keys

    settings = settings_from(args)

    async def work(session: Any) -> int:
        return await keys.create_service_key(session, settings.data_dir)

    key_id = run(writing(settings, work))
    console.print(
        _("New issuer key {id}: restart the service to sign with it. Old tickets stay valid.").format(
            id=key_id
        )
    )
    return 0


def cmd_auto_exit(args: argparse.Namespace) -> int:
    from admission.services import scanning

    at = datetime.fromisoformat(args.at) if args.at else datetime.now(UTC)
    if at.tzinfo is None:
        raise CliError(_("--at needs a UTC offset, e.g. 2026-06-01T23:00:00+02:00"))

    async def work(session: Any) -> int:
        return await scanning.auto_exit(session, at, None)

    count = run(writing(settings_from(args), work))
    recorded = ngettext(
        "Recorded {count} automatic exit at {time}.", "Recorded {count} automatic exits at {time}.", count
    )
    console.print(recorded.format(count=number(count), time=at.isoformat()))
    return 0


def cmd_issue(args: argparse.Namespace) -> int:
    from admission.services import catalog, tickets
    from admission.services.keys import KeyRing

    settings = settings_from(args)
    attributes = _attributes(args.attribute or [])

    async def work(session: Any) -> Any:
        tz = ZoneInfo((await catalog.get_venue(session)).timezone)
        ring = await KeyRing.load(session, settings.data_dir)
        template_id = await _template_id(session, args.template)
        request = contract.IssueRequest(
            template_id=template_id,
            event_id=args.event,
            count=args.count,
            payment_state="pending" if args.unpaid else "paid",
            attributes=attributes,
        )
        return await tickets.issue_tickets(session, ring, tz, request)

    issued = run(writing(settings, work))
    # Standard output is left open: closing it would end the output of whatever runs next.
    out = nullcontext(sys.stdout) if args.out == "-" else open(args.out, "w")  # noqa: SIM115
    with out as sheet:
        sheet.write("number,serial,code\n")
        for t in issued:
            sheet.write(f"{t.number},{t.serial},{t.code}\n")
    if args.out == "-":
        said = ngettext("Issued {count} ticket", "Issued {count} tickets", len(issued))
    else:
        said = ngettext(
            "Issued {count} ticket into {path}", "Issued {count} tickets into {path}", len(issued)
        )
    errors.print(f"[green]{said.format(count=number(len(issued)), path=args.out)}[/]")
    if args.unpaid:
        errors.print(
            _(
                "Issued unpaid: the gates refuse them until each is marked paid (`admission mark-paid "
                "NUMBER`), unless their template admits pending tickets."
            )
        )
    return 0


def cmd_mark_paid(args: argparse.Namespace) -> int:
    """Each ticket named is paid: the gates admit it from their next feed read."""
    from admission.services import tickets

    async def work(session: Any) -> list[contract.TicketOut]:
        return [await tickets.mark_paid(session, ref, paid_by=None) for ref in args.tickets]

    # One transaction: a list with one ticket that cannot be marked marks none, and says which.
    paid = run(writing(settings_from(args), work))
    for ticket in paid:
        said = _("Ticket {number} is paid: the gates admit it from their next sync.")
        console.print(said.format(number=ticket.number))
    return 0


def _attributes(pairs: list[str]) -> dict[str, str]:
    """`--attribute age_group=child`, repeated: checked as the API checks them."""
    import msgspec

    written: dict[str, str] = {}
    for pair in pairs:
        name, equals, value = pair.partition("=")
        if not equals:
            raise CliError(f"--attribute {pair!r}: write NAME=VALUE, e.g. --attribute age_group=child")
        written[name.strip()] = value.strip()
    try:
        return msgspec.convert({"template_id": 1, "attributes": written}, contract.IssueRequest).attributes
    except msgspec.ValidationError as exc:
        raise CliError(
            f"--attribute: {exc} (names: lower-case letters, digits and _; values: 1 to 100 characters)"
        ) from exc


async def _template_id(session: Any, template: str) -> int:
    """A template named by its id or its name."""
    from admission.services import catalog

    if template.isdigit():
        return int(template)
    return int((await catalog.template_by_name(session, template)).id)


def register(commands: Any) -> None:
    tokens = commands.add_parser("tokens", help="devices and their tokens")
    token_commands = tokens.add_subparsers(dest="action", required=True)
    create = token_commands.add_parser("create", help="a new device with a token")
    add_database_options(create)
    create.add_argument("--name", required=True)
    create.add_argument("--role", required=True, choices=list(contract.ROLES))
    create.add_argument("--gate")
    create.set_defaults(handler=cmd_tokens_create)
    listing = token_commands.add_parser("list")
    add_database_options(listing)
    listing.set_defaults(handler=cmd_tokens_list)
    revoke = token_commands.add_parser("revoke", help="revoke a device and all its tokens")
    add_database_options(revoke)
    revoke.add_argument("device_id", type=int)
    revoke.set_defaults(handler=cmd_tokens_revoke)
    rotate_token = token_commands.add_parser(
        "rotate", help="a new token for a device (shown once); its old tokens stop working at once"
    )
    add_database_options(rotate_token)
    rotate_token.add_argument("device_id", type=int)
    rotate_token.set_defaults(handler=cmd_tokens_rotate)

    keys = commands.add_parser("keys", help="issuer keys")
    key_commands = keys.add_subparsers(dest="action", required=True)
    key_list = key_commands.add_parser("list")
    add_database_options(key_list)
    key_list.set_defaults(handler=cmd_keys_list)
    rotate = key_commands.add_parser("rotate", help="a new signing key for the service")
    add_database_options(rotate)
    rotate.set_defaults(handler=cmd_keys_rotate)

    auto_exit = commands.add_parser("auto-exit", help="record exits for everyone still inside (nightly)")
    add_database_options(auto_exit)
    auto_exit.add_argument("--at", help="time of the exits (ISO 8601 with offset; default now)")
    auto_exit.set_defaults(handler=cmd_auto_exit)

    issue = commands.add_parser("issue", help="issue tickets from a template")
    add_database_options(issue)
    issue.add_argument(
        "--template", required=True, help="the template's id or name (`admission templates list`)"
    )
    issue.add_argument("--event", type=int)
    issue.add_argument("--count", type=int, default=1)
    issue.add_argument("--out", default="-", help="CSV file (default: standard output)")
    issue.add_argument(
        "--unpaid",
        action="store_true",
        help="issue them unpaid (pay later, invoice): refused at the gates until marked paid",
    )
    issue.add_argument(
        "--attribute",
        action="append",
        metavar="NAME=VALUE",
        help="an attribute of every ticket, read by custom rules (e.g. age_group=child); repeat for more",
    )
    issue.set_defaults(handler=cmd_issue)

    mark_paid = commands.add_parser("mark-paid", help="tickets issued unpaid are paid: the gates admit them")
    add_database_options(mark_paid)
    mark_paid.add_argument("tickets", nargs="+", metavar="TICKET", help="ticket number or signed code")
    mark_paid.set_defaults(handler=cmd_mark_paid)

