"""Set up, run and demonstrate the service: init, serve, demo, openapi."""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

import msgspec
from rich.progress import Progress

from admission.cli.common import (
    CliError,
    add_database_options,
    add_serve_options,
    console,
    errors,
    lookup_limits_to_environment,
    private_folder,
    run,
    settings_from,
    writing,
)
from admission.config import Settings
from admission.i18n import _

if TYPE_CHECKING:
    from admission.demo import DemoVenue

DEMO_FILE = "demo.json"  # the finished demo venue: its tokens and tickets, to serve it again


def cmd_init(args: argparse.Namespace) -> int:
    from admission.services.setup import initialise

    settings = settings_from(args, creating=True)
    private_folder(settings.data_dir)
    result = run(initialise(settings.database_url, settings.data_dir, args.venue, args.timezone))
    set_up = _("Venue {name} is set up").format(name=repr(args.venue))
    console.print("[green]{}[/] {}".format(set_up, _("in {database}").format(database=settings.database_url)))
    key = _("Issuer key {id} written to {folder} (mode 0600).")
    console.print(key.format(id=result.key_id, folder=settings.data_dir / "keys"))
    console.print(_("Admin token (shown once, stored only as a hash):"))
    console.print(f"  [bold]{result.admin_token}[/]")
    return 0


def check_issuer_key(settings: Settings) -> None:
    from admission.services.keys import KeyRing

    async def work(session: Any) -> None:
        try:
            await KeyRing.load(session, settings.data_dir)
        except RuntimeError as exc:
            raise CliError(str(exc)) from exc

    run(writing(settings, work))


@contextmanager
def sole_service(settings: Settings, host: str, port: int) -> Iterator[None]:
    """Refuse a second service on the data folder or on the address (admission.serving.claim)."""
    from admission.serving import Refused, claim

    folder = settings.data_dir.resolve()
    if not folder.is_dir():
        raise CliError(
            _("the data folder {folder} does not exist: run `admission init --data-dir` first").format(
                folder=folder
            )
        )
    private_folder(folder)  # venues made before folders were private become so
    try:
        lock = claim(folder, host, port)
    except Refused as exc:
        raise CliError(str(exc)) from exc
    try:
        yield
    finally:
        if lock is not None:
            lock.close()


def cmd_serve(args: argparse.Namespace) -> int:
    from admission.db.migrate import upgrade_database
    from admission.serving import ServeOptions, serve

    lookup_limits_to_environment(args)
    hub = bool(getattr(args, "upstream", None))  # a hub's folder may be new: it starts empty (docs/hub.md)
    settings = settings_from(args, creating=hub)  # reads the limits back, so a wrong one stops here
    if hub:
        private_folder(settings.data_dir)
    with sole_service(settings, args.host, args.port):  # before the schema upgrade, too
        upgrade_database(settings.database_url)  # a new release upgrades the schema in place
        if not hub:  # a hub signs nothing: it holds no issuer key
            check_issuer_key(settings)  # one clear line now, not a traceback from every worker
        os.environ["ADMISSION_DATABASE_URL"] = settings.database_url
        os.environ["ADMISSION_DATA_DIR"] = str(settings.data_dir.resolve())
        if args.workers > 1 and settings.database_url.startswith("sqlite"):
            several = _("Several workers on SQLite work, but writes queue up: use PostgreSQL for more.")
            errors.print(f"[yellow]{several}[/]")
        options = ServeOptions(
            host=args.host,
            port=args.port,
            workers=args.workers,
            log_level=args.log_level,
            access_log=args.access_log,
        )
        if options.workers > 1:  # one worker: uvicorn says where it listens itself
            address = f"http://{args.host}:{args.port}"
            starting = _("Starting {count} workers on {address} (Ctrl-C stops them)")
            errors.print(starting.format(count=options.workers, address=address))
        with hub_link(args, settings):
            if serve(options) != 0:
                raise CliError(_("the service could not start: see the messages above"))
    return 0


@contextmanager
def hub_link(args: argparse.Namespace, settings: Settings) -> Iterator[None]:
    """With --upstream: this service is a venue hub, and a process of its own follows the central
    feed and forwards what its gates register (docs/hub.md) for as long as the service runs. The
    first time, the hub reads the whole central feed before it answers a gate."""
    if not getattr(args, "upstream", None):
        yield
        return
    import multiprocessing

    from admission.services.hub.link import HubNotReady, run_link, start_following

    token = read_upstream_token(args.token)
    database_url, data_dir = settings.database_url, settings.data_dir.resolve()
    try:
        taken = run(start_following(database_url, args.upstream, token, data_dir))
    except HubNotReady as exc:
        if exc.reason == "own_venue":
            raise CliError(
                _(
                    "this database holds a venue of its own: a hub starts from an empty database "
                    "(a new --data-dir or --database-url; docs/hub.md)"
                )
            ) from exc
        raise CliError(
            _(
                "a new hub reads the central service's feed once before it serves, and could not: {why}"
            ).format(why=exc.detail)
        ) from exc
    if taken:
        errors.print(_("Read {count} changes of the central service's feed.").format(count=taken))
    os.environ["ADMISSION_UPSTREAM"] = args.upstream  # the workers take their gates' writes only
    link = multiprocessing.get_context("spawn").Process(
        target=run_link,
        args=(database_url, args.upstream, token, args.log_level, data_dir),
        name="admission hub link",
    )
    link.start()
    try:
        yield
    finally:
        link.terminate()
        link.join(10)
        if link.is_alive():
            link.kill()
            link.join()


def read_upstream_token(given: str | None) -> str:
    """The hub's token at the central service: --token, `-` for standard input, or the
    environment's ADMISSION_UPSTREAM_TOKEN (a token on a command line is seen by `ps`)."""
    token = os.environ.get("ADMISSION_UPSTREAM_TOKEN", "") if given is None else given
    if token == "-":
        token = sys.stdin.readline()
    token = token.strip()
    if not token:
        raise CliError(
            "--upstream needs the hub's token: --token TOKEN, --token - or $ADMISSION_UPSTREAM_TOKEN"
        )
    return token


def cmd_openapi(args: argparse.Namespace) -> int:
    from admission.api.app import create_app

    app = create_app(Settings(database_url="sqlite+aiosqlite://", data_dir=Path(".")))
    print(json.dumps(app.openapi_schema.to_schema(), indent=2))
    return 0


def cmd_demo(args: argparse.Namespace) -> int:
    folder = Path(args.dir).resolve()
    url = f"sqlite+aiosqlite:///{folder / 'admission.db'}"
    from admission.demo import DemoVenue

    saved = folder / DEMO_FILE
    if saved.exists():  # a second `make demo` serves the venue the first one made
        venue = msgspec.json.decode(saved.read_bytes(), type=DemoVenue)
        console.print(
            _("Serving the demo venue made before in {folder} (`make clean` starts afresh)").format(
                folder=folder
            )
        )
    elif (folder / "admission.db").exists():
        raise CliError(
            _("{folder} holds an unfinished demo venue: remove it (`make clean`) or pass --dir").format(
                folder=folder
            )
        )
    else:
        venue = make_demo(folder, url, args.tickets)
    base = f"http://{args.host}:{args.port}"
    print_demo_guide(folder, venue, base)
    if args.no_serve:
        return 0
    args.database_url, args.data_dir, args.workers = url, str(folder), 1
    return cmd_serve(args)


def make_demo(folder: Path, url: str, tickets_per_template: int) -> DemoVenue:
    from admission.demo import seed_demo

    private_folder(folder)
    with Progress(console=console) as progress:
        task = progress.add_task(_("Issuing demo tickets"), total=tickets_per_template * 4)
        venue = run(seed_demo(url, folder, tickets_per_template, lambda n: progress.advance(task, n)))
        write_demo_files(folder, venue, progress)
    # Written last: its presence says the venue is complete. It holds tokens, like tokens.json.
    (folder / DEMO_FILE).write_bytes(msgspec.json.encode(venue))
    os.chmod(folder / DEMO_FILE, 0o600)
    return venue


def write_demo_files(folder: Path, venue: Any, progress: Progress) -> None:
    from admission import barcodes

    tickets_dir = folder / "tickets"
    tickets_dir.mkdir(exist_ok=True)
    task = progress.add_task(_("Rendering barcodes"), total=len(venue.tickets))
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
    console.rule("[bold]{}".format(_("Demo venue ready")))
    console.print(_("Database and issuer key: {folder}").format(folder=folder))
    tickets = _("{count} tickets: {sheet}, barcodes in {folder}")
    console.print(
        tickets.format(count=len(venue.tickets), sheet=folder / "tickets.csv", folder=folder / "tickets")
    )
    console.print(_("Tokens (admin, gates, box office, viewer): {file}").format(file=folder / "tokens.json"))
    console.print(f"API: {base}/api/v1   OpenAPI: {base}/schema   health: {base}/health")
    console.print(_("Its set-up as a venue file (docs/venue-file.md):"))
    say(f"  .venv/bin/admission venue export --data-dir {folder}")
    console.print("\n" + _("Open a gate scanner on it (in another terminal):"))
    say(
        f"  .venv/bin/scanner-client enroll --server {base} --token {token} "
        f"--gate '{gate}' --data-dir {folder / 'scanner-main'}"
    )
    say(f"  .venv/bin/scanner-client gate --data-dir {folder / 'scanner-main'}")
    console.print(
        _("Then type or scan a ticket number, e.g. {number}, and Enter.").format(number=first.number)
    )
    console.print(_("Or scan from the command line:"))
    say(
        f"  curl -s -H 'Authorization: Bearer {token}' -H 'Content-Type: application/json' "
        f'-d \'{{"code": "{first.number}", "gate": "{gate}", "nonce": "demo-1"}}\' {base}/api/v1/scans'
    )


def register(commands: Any) -> None:
    init = commands.add_parser("init", help="create the database, issuer key and first admin token")
    add_database_options(init)
    init.add_argument("--venue", default="My venue", help="venue name")
    init.add_argument("--timezone", default="Europe/Berlin", help="IANA time zone of the venue")
    init.set_defaults(handler=cmd_init)

    serve = commands.add_parser("serve", help="run the service")
    add_database_options(serve)
    add_serve_options(serve)
    hub = serve.add_argument_group("venue hub (docs/hub.md)")
    hub.add_argument("--upstream", metavar="URL", help="the central service: run this one as a venue hub")
    hub.add_argument(
        "--token", help="the hub's token at the central service (role hub; '-': read it from stdin)"
    )
    serve.set_defaults(handler=cmd_serve)

    demo = commands.add_parser("demo", help="set up a demo venue and serve it")
    demo.add_argument("--dir", default="demo-venue")
    demo.add_argument("--tickets", type=int, default=100, help="tickets per template")
    demo.add_argument("--no-serve", action="store_true", help="set up only")
    add_serve_options(demo)
    demo.set_defaults(handler=cmd_demo)

    openapi = commands.add_parser("openapi", help="print the OpenAPI document")
    openapi.set_defaults(handler=cmd_openapi)
