"""`admission`: set up, run and administer the admission service."""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
from collections.abc import Awaitable, Callable, Coroutine
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from rich.console import Console
from rich.progress import Progress
from rich.table import Table
from sqlalchemy.exc import DBAPIError

from admission.config import Settings
from admission.db.engine import Database
from admission.services.errors import ServiceError

console = Console()
errors = Console(stderr=True)
Handler = Callable[[argparse.Namespace], int]


class CliError(Exception):
    """A problem the user can fix; printed without a traceback."""


def run(coro: Coroutine[Any, Any, Any]) -> Any:
    return asyncio.run(coro)


def settings_from(args: argparse.Namespace) -> Settings:
    return Settings.load(getattr(args, "database_url", None), getattr(args, "data_dir", None))


async def with_session(settings: Settings, work: Callable[[Any], Awaitable[Any]]) -> Any:
    db = Database(settings.database_url)
    try:
        async with db.session() as session:
            return await work(session)
    finally:
        await db.dispose()


# ------------------------------------------------------------------ init / serve -----


def cmd_init(args: argparse.Namespace) -> int:
    from admission.services.setup import initialise

    settings = settings_from(args)
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    result = run(initialise(settings.database_url, settings.data_dir, args.venue, args.timezone))
    console.print(f"[green]Venue {args.venue!r} is set up[/] in {settings.database_url}")
    console.print(f"Issuer key {result.key_id} written to {settings.data_dir / 'keys'} (mode 0600).")
    console.print("Admin token (shown once, stored only as a hash):")
    console.print(f"  [bold]{result.admin_token}[/]")
    return 0


def check_issuer_key(settings: Settings) -> None:
    from admission.services.keys import KeyRing

    async def work(session: Any) -> None:
        try:
            await KeyRing.load(session, settings.data_dir)
        except RuntimeError as exc:
            raise CliError(str(exc)) from exc

    run(with_session(settings, work))


def cmd_serve(args: argparse.Namespace) -> int:
    from admission.db.migrate import upgrade_database
    from admission.serving import ServeOptions, serve

    settings = settings_from(args)
    upgrade_database(settings.database_url)  # a new release upgrades the schema in place
    check_issuer_key(settings)  # one clear line now, not a traceback from every worker
    os.environ["ADMISSION_DATABASE_URL"] = settings.database_url
    os.environ["ADMISSION_DATA_DIR"] = str(settings.data_dir.resolve())
    if args.workers > 1 and settings.database_url.startswith("sqlite"):
        errors.print(
            "[yellow]Several workers on SQLite work, but writes queue up: use PostgreSQL for more.[/]"
        )
    options = ServeOptions(
        host=args.host,
        port=args.port,
        workers=args.workers,
        log_level=args.log_level,
        access_log=args.access_log,
    )
    if options.workers > 1:  # one worker: uvicorn says where it listens itself
        address = f"http://{args.host}:{args.port}"
        errors.print(f"Starting {options.workers} workers on {address} (Ctrl-C stops them)")
    if serve(options) != 0:
        raise CliError("the service could not start: see the messages above")
    return 0


def cmd_openapi(args: argparse.Namespace) -> int:
    from admission.api.app import create_app

    app = create_app(Settings(database_url="sqlite+aiosqlite://", data_dir=Path(".")))
    print(json.dumps(app.openapi_schema.to_schema(), indent=2))
    return 0


# ------------------------------------------------------------------ demo -------------


def cmd_demo(args: argparse.Namespace) -> int:
    from admission.demo import seed_demo

    folder = Path(args.dir).resolve()
    if (folder / "admission.db").exists():
        raise CliError(f"{folder} holds a demo venue already: remove it (`make clean`) or pass --dir")
    folder.mkdir(parents=True, exist_ok=True)
    url = f"sqlite+aiosqlite:///{folder / 'admission.db'}"
    total = args.tickets * 4
    with Progress(console=console) as progress:
        task = progress.add_task("Issuing demo tickets", total=total)
        venue = run(seed_demo(url, folder, args.tickets, lambda n: progress.advance(task, n)))
        write_demo_files(folder, venue, progress)
    base = f"http://{args.host}:{args.port}"
    print_demo_guide(folder, venue, base)
    if args.no_serve:
        return 0
    args.database_url, args.data_dir, args.workers = url, str(folder), 1
    return cmd_serve(args)


def write_demo_files(folder: Path, venue: Any, progress: Progress) -> None:
    from admission import barcodes

    tickets_dir = folder / "tickets"
    tickets_dir.mkdir(exist_ok=True)
    task = progress.add_task("Rendering barcodes", total=len(venue.tickets))
    with (folder / "tickets.csv").open("w") as sheet:
        sheet.write("template,number,serial,code\n")
        for ticket in venue.tickets:
            sheet.write(f"{ticket.template},{ticket.number},{ticket.serial},{ticket.code}\n")
            (tickets_dir / f"{ticket.number}-qr.png").write_bytes(barcodes.qr_png(ticket.code))
            (tickets_dir / f"{ticket.number}-code128.png").write_bytes(barcodes.code128_png(ticket.number))
            progress.advance(task)
    (folder / "tokens.json").write_text(
        json.dumps(
            {
                "admin": venue.admin_token,
                "gates": venue.gate_tokens,
                "box_office": venue.box_office_token,
                "viewer": venue.viewer_token,
            },
            indent=2,
        )
    )
    os.chmod(folder / "tokens.json", 0o600)


def say(command: str) -> None:
    """A command to copy: never wrapped, whatever the terminal width."""
    console.print(command, soft_wrap=True, highlight=False)


def print_demo_guide(folder: Path, venue: Any, base: str) -> None:
    gate, token = next(iter(venue.gate_tokens.items()))
    first = venue.tickets[0]
    console.rule("[bold]Demo venue ready")
    console.print(f"Database and issuer key: {folder}")
    console.print(f"{len(venue.tickets)} tickets: {folder / 'tickets.csv'}, barcodes in {folder / 'tickets'}")
    console.print(f"Tokens (admin, gates, box office, viewer): {folder / 'tokens.json'}")
    console.print(f"API: {base}/api/v1   OpenAPI: {base}/schema   health: {base}/health")
    console.print("\nOpen a gate scanner on it (in another terminal):")
    say(
        f"  .venv/bin/scanner-client enroll --server {base} --token {token} "
        f"--gate '{gate}' --data-dir {folder / 'scanner-main'}"
    )
    say(f"  .venv/bin/scanner-client gate --data-dir {folder / 'scanner-main'}")
    console.print(f"Then type or scan a ticket number, e.g. {first.number}, and Enter.")
    console.print("Or scan from the command line:")
    say(
        f"  curl -s -H 'Authorization: Bearer {token}' -H 'Content-Type: application/json' "
        f'-d \'{{"code": "{first.number}", "gate": "{gate}", "nonce": "demo-1"}}\' {base}/api/v1/scans'
    )


# ------------------------------------------------------------------ tokens / keys ----


def cmd_tokens_create(args: argparse.Namespace) -> int:
    from admission.services import devices

    async def work(session: Any) -> Any:
        return await devices.create_device(
            session, devices.DeviceIn(name=args.name, role=args.role, gate=args.gate)
        )

    issued = run(with_session(settings_from(args), work))
    console.print(f"Device {issued.device.name!r} ({issued.device.role}) created. Token, shown once:")
    console.print(f"  [bold]{issued.token}[/]")
    return 0


def cmd_tokens_list(args: argparse.Namespace) -> int:
    from admission.services import devices

    rows = run(with_session(settings_from(args), devices.list_devices))
    table = Table("id", "device", "role", "gate", "created", "revoked", title="Devices")
    for d in rows:
        table.add_row(
            str(d.id),
            d.name,
            d.role,
            d.gate or "",
            f"{d.created_at:%Y-%m-%d %H:%M}",
            "yes" if d.revoked else "",
        )
    console.print(table)
    return 0


def cmd_tokens_revoke(args: argparse.Namespace) -> int:
    from admission.services import devices

    async def work(session: Any) -> Any:
        return await devices.revoke_device(session, args.device_id)

    device = run(with_session(settings_from(args), work))
    console.print(f"Device {device.name!r} and all its tokens are revoked (other workers: within seconds).")
    return 0


def cmd_keys_list(args: argparse.Namespace) -> int:
    from sqlalchemy import select

    from admission.db.models import IssuerKey

    async def work(session: Any) -> Any:
        return (await session.scalars(select(IssuerKey).order_by(IssuerKey.key_id))).all()

    table = Table("key id", "owner", "public key", "created", "revoked", title="Issuer keys")
    for key in run(with_session(settings_from(args), work)):
        owner = f"device {key.device_id}" if key.device_id else "service"
        table.add_row(
            str(key.key_id),
            owner,
            key.public_key[:16] + "…",
            f"{key.created_at:%Y-%m-%d}",
            "yes" if key.revoked_at else "",
        )
    console.print(table)
    return 0


def cmd_keys_rotate(args: argparse.Namespace) -> int:
    from admission.services import keys

    settings = settings_from(args)

    async def work(session: Any) -> int:
        return await keys.create_service_key(session, settings.data_dir)

    key_id = run(with_session(settings, work))
    console.print(f"New issuer key {key_id}: restart the service to sign with it. Old tickets stay valid.")
    return 0


def cmd_auto_exit(args: argparse.Namespace) -> int:
    from admission.services import scanning

    at = datetime.fromisoformat(args.at) if args.at else datetime.now(UTC)
    if at.tzinfo is None:
        raise CliError("--at needs a UTC offset, e.g. 2026-06-01T23:00:00+02:00")

    async def work(session: Any) -> int:
        return await scanning.auto_exit(session, at, None)

    count = run(with_session(settings_from(args), work))
    console.print(f"Recorded {count} automatic exits at {at.isoformat()}.")
    return 0


def cmd_issue(args: argparse.Namespace) -> int:
    from admission.services import catalog, tickets
    from admission.services.keys import KeyRing

    settings = settings_from(args)

    async def work(session: Any) -> Any:
        tz = ZoneInfo((await catalog.get_venue(session)).timezone)
        ring = await KeyRing.load(session, settings.data_dir)
        request = tickets.IssueRequest(template_id=args.template, event_id=args.event, count=args.count)
        return await tickets.issue_tickets(session, ring, tz, request)

    issued = run(with_session(settings, work))
    out = sys.stdout if args.out == "-" else open(args.out, "w")  # noqa: SIM115
    with out:
        out.write("number,serial,code\n")
        for t in issued:
            out.write(f"{t.number},{t.serial},{t.code}\n")
    errors.print(f"[green]Issued {len(issued)} tickets[/]" + ("" if args.out == "-" else f" into {args.out}"))
    return 0


# ------------------------------------------------------------------ wiring -----------


def add_database_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--database-url", help="SQLAlchemy URL (default: $ADMISSION_DATABASE_URL or SQLite in --data-dir)"
    )
    parser.add_argument(
        "--data-dir",
        help="folder of the issuer keys and default database (default: $ADMISSION_DATA_DIR or .)",
    )


def add_serve_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8700)
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument(
        "--log-level", default="info", choices=["critical", "error", "warning", "info", "debug"]
    )
    parser.add_argument(
        "--access-log", action="store_true", help="log every request (tokens are never logged)"
    )


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="admission", description="Offline-first ticketing and admission control"
    )
    commands = parser.add_subparsers(dest="command", required=True)

    init = commands.add_parser("init", help="create the database, issuer key and first admin token")
    add_database_options(init)
    init.add_argument("--venue", default="My venue", help="venue name")
    init.add_argument("--timezone", default="Europe/Berlin", help="IANA time zone of the venue")
    init.set_defaults(handler=cmd_init)

    serve = commands.add_parser("serve", help="run the service")
    add_database_options(serve)
    add_serve_options(serve)
    serve.set_defaults(handler=cmd_serve)

    demo = commands.add_parser("demo", help="set up a demo venue and serve it")
    demo.add_argument("--dir", default="demo-venue")
    demo.add_argument("--tickets", type=int, default=100, help="tickets per template")
    demo.add_argument("--no-serve", action="store_true", help="set up only")
    add_serve_options(demo)
    demo.set_defaults(handler=cmd_demo)

    openapi = commands.add_parser("openapi", help="print the OpenAPI document")
    openapi.set_defaults(handler=cmd_openapi)

    tokens = commands.add_parser("tokens", help="devices and their tokens")
    token_commands = tokens.add_subparsers(dest="action", required=True)
    create = token_commands.add_parser("create", help="a new device with a token")
    add_database_options(create)
    create.add_argument("--name", required=True)
    create.add_argument("--role", required=True, choices=["admin", "box_office", "gate", "viewer"])
    create.add_argument("--gate")
    create.set_defaults(handler=cmd_tokens_create)
    listing = token_commands.add_parser("list")
    add_database_options(listing)
    listing.set_defaults(handler=cmd_tokens_list)
    revoke = token_commands.add_parser("revoke", help="revoke a device and all its tokens")
    add_database_options(revoke)
    revoke.add_argument("device_id", type=int)
    revoke.set_defaults(handler=cmd_tokens_revoke)

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
    issue.add_argument("--template", type=int, required=True)
    issue.add_argument("--event", type=int)
    issue.add_argument("--count", type=int, default=1)
    issue.add_argument("--out", default="-", help="CSV file (default: standard output)")
    issue.set_defaults(handler=cmd_issue)

    for register in EXTRA_COMMANDS:
        register(commands)
    return parser


def _reports_commands(commands: Any) -> None:
    from admission.reports_cli import register  # imported late: it builds on this module

    register(commands)


# Other modules add their subcommands here (reports, imports), keeping this file about wiring.
EXTRA_COMMANDS: list[Callable[[Any], None]] = [_reports_commands]


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    handler: Handler = args.handler
    try:
        return handler(args)
    except (CliError, ServiceError) as exc:
        errors.print(f"[red]Error:[/] {exc}")
        return 2
    except DBAPIError as exc:
        errors.print(f"[red]Database error:[/] {exc.orig}. Check --database-url and that the server runs.")
        return 2
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
