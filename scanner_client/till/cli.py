"""Box-office commands for `scanner-client` (and standalone: `python -m scanner_client.box_office`).

  enroll-box-office --server URL --token ADMIN_OR_BOX_OFFICE_TOKEN [--name NAME]
  box-office [--offline] [--output DIR] [--printer SPEC] [--smtp-host HOST ...]   the full-screen till
  box-office-sync                            post queued sales and pull the catalogue once
  box-office-report [--date YYYY-MM-DD]      the service's end-of-day report for this venue

The till keeps its files in `<data dir>/box-office/` (the data dir of `scanner-client`, so a PC
can be a gate and a box office without mixing their stores): box-office.sqlite3 (config, token,
catalogue from the change feed, outages, sales queue), signing-key.pem (0600), and out/tickets,
out/receipts unless --output says otherwise.
"""

from __future__ import annotations

import argparse
import asyncio
import os
from collections.abc import Sequence
from pathlib import Path
from zoneinfo import ZoneInfo

from rich.console import Console
from rich.table import Table

from admission.contract import SalesReport
from admission.domain.wording import duration_words
from admission.i18n import LANGUAGES, _
from admission.i18n.formatting import clock
from scanner_client.core.commands import (
    EXIT_NOT_ENROLLED,
    EXIT_UNREACHABLE,
    EXIT_USAGE,
    add_command,
    console,
    exit_status,
    read_token,
)
from scanner_client.core.language import speak_at_enrolment, speak_device_language
from scanner_client.core.money import format_money
from scanner_client.core.paths import data_dir
from scanner_client.core.remote import ServerRefused, ServerUnavailable
from scanner_client.core.retention import DEFAULT_KEEP_DAYS, KEEP_DAYS_KEY, keep_days, purge_older_than
from scanner_client.core.revocation import revoked_words
from scanner_client.core.servers import join_servers
from scanner_client.till.app import BoxOfficeApp
from scanner_client.till.enroll import (
    KEY_FILE,
    EnrollmentError,
    enroll_box_office,
    load_key,
)
from scanner_client.till.forms import method_words
from scanner_client.till.receipts.delivery import PRINTER_KEY
from scanner_client.till.receipts.escpos_printer import PrinterProblem, check_printer_spec
from scanner_client.till.receipts.mail import PASSWORD_ENV, SECURITY_CHOICES
from scanner_client.till.remote import BoxOfficeRemote, problem_text
from scanner_client.till.store import open_till_store
from scanner_client.till.terminal_cli import TillOpener, add_terminal_commands
from scanner_client.till.till import Till

LANGUAGE_HELP = f"this PC's language: {', '.join(LANGUAGES)} (default: the venue's)"
SERVER_HELP = (
    "service URL, e.g. https://tickets.example.org; repeat it (or give a comma list) for several "
    "servers in order of preference, e.g. the venue hub first, then the central service"
)


class TillNotEnrolled(RuntimeError):
    pass


def not_enrolled() -> str:
    return _("this PC is not enrolled as a box office: run `scanner-client enroll-box-office`")


def box_office_dir(explicit: str | None) -> Path:
    return data_dir(explicit) / "box-office"


RECEIPT_OPTIONS = {
    "printer": PRINTER_KEY,
    "smtp_host": "smtp_host",
    "smtp_port": "smtp_port",
    "smtp_security": "smtp_security",
    "smtp_user": "smtp_user",
    "smtp_from": "smtp_from",
}


def receipt_settings(args: argparse.Namespace) -> dict[str, str | None]:
    """The receipt printer and SMTP options given on the command line, as the till stores them
    (an empty value removes one); the SMTP password is never among them."""
    chosen: dict[str, str | None] = {}
    for option, key in RECEIPT_OPTIONS.items():
        value = getattr(args, option, None)
        if value is not None:
            chosen[key] = str(value).strip() or None
    printer = chosen.get(PRINTER_KEY)
    if printer:
        chosen[PRINTER_KEY] = check_printer_spec(printer)  # PrinterProblem says how to write it
    return chosen


def open_till(
    folder: Path,
    *,
    offline: bool = False,
    output: str | None = None,
    keep: float | None = None,
    receipts: dict[str, str | None] | None = None,
) -> Till:
    store = open_till_store(folder)
    if store.revoked_at is not None:
        kept = store.revoked_kept
        store.close()
        raise TillNotEnrolled(revoked_words(kept))
    server_url, token = store.get_config("server_url"), store.token
    if not server_url or not token:
        store.close()
        raise TillNotEnrolled(not_enrolled())
    speak_device_language(store)
    remote = None if offline else BoxOfficeRemote(server_url, token)
    output_dir = Path(output).expanduser() if output else folder / "out"
    if keep is not None:
        store.set_config(**{KEEP_DAYS_KEY: str(keep)})
    if receipts:
        store.set_config(**receipts)
    purge_older_than(output_dir, keep_days(store.get_config(KEEP_DAYS_KEY)))
    return Till(store, remote, load_key(folder / KEY_FILE), output_dir)


async def _close(till: Till) -> None:
    if till.remote is not None:
        await till.remote.aclose()
    till.store.close()


def cmd_enroll(args: argparse.Namespace) -> int:
    token = read_token(args.token)
    folder = box_office_dir(args.data_dir)
    store = open_till_store(folder)
    if (problem := speak_at_enrolment(store, args.language)) is not None:
        console.print(f"[red]{problem}[/red]")
        store.close()
        return EXIT_USAGE

    async def enroll() -> int:
        try:
            done = await enroll_box_office(
                folder, store, server_url=join_servers(args.server), token=token, name=args.name
            )
        except EnrollmentError as exc:
            console.print(f"[red]{exc}[/red]")
            return EXIT_USAGE
        except (ServerRefused, ServerUnavailable) as exc:
            console.print(f"[red]{_server_said(exc)}[/red]")
            return exit_status(exc)
        speak_device_language(store)  # the venue's language is known now
        how = _("created") if done.created_device else _("registered its key")
        enrolled = _("Enrolled box office {device!r}").format(device=done.device)
        details = _(
            "({how}; signing key {key}, {changes} catalogue changes). "
            "Start it with `scanner-client box-office`."
        ).format(how=how, key=done.key_id, changes=done.changes)
        console.print(f"[green]{enrolled}[/green] {details}")
        return 0

    try:
        return asyncio.run(enroll())
    finally:
        store.close()


def _server_said(exc: ServerRefused | ServerUnavailable) -> str:
    if isinstance(exc, ServerRefused):
        return _("The server refused: {problem}").format(problem=problem_text(exc))
    return _("The server did not answer: {problem}").format(problem=exc)


def cmd_box_office(args: argparse.Namespace) -> int:
    try:
        receipts = receipt_settings(args)
    except PrinterProblem as exc:
        console.print(f"[red]{exc}[/red]")
        return EXIT_USAGE
    till = open_till(
        box_office_dir(args.data_dir),
        offline=args.offline,
        output=args.output,
        keep=args.keep_days,
        receipts=receipts,
    )

    async def run() -> None:
        try:
            await BoxOfficeApp(till).run_async()
        finally:
            await _close(till)

    asyncio.run(run())
    return 0


def cmd_sync(args: argparse.Namespace) -> int:
    till = open_till(box_office_dir(args.data_dir))

    async def sync() -> int:
        try:
            report = await till.sync_once()
        finally:
            await _close(till)
        for error in report.errors:
            console.print(f"[red]{error}[/red]")
        print(
            _("posted {posted}  refused {refused}  settled {settled}  changes {changes}").format(
                posted=report.uploaded,
                refused=report.refused,
                settled=report.resolved,
                changes=report.changes,
            )
        )
        return EXIT_UNREACHABLE if report.errors else 0

    return asyncio.run(sync())


def cmd_report(args: argparse.Namespace) -> int:
    folder = box_office_dir(args.data_dir)
    store = open_till_store(folder)
    server_url, token = store.get_config("server_url"), store.token
    speak_device_language(store)
    store.close()
    if not server_url or not token:
        raise TillNotEnrolled(not_enrolled())

    async def fetch() -> SalesReport:
        remote = BoxOfficeRemote(server_url, token)
        try:
            return await remote.day_report(args.date)
        finally:
            await remote.aclose()

    try:
        report = asyncio.run(fetch())
    except (ServerRefused, ServerUnavailable) as exc:
        console.print(f"[red]{problem_text(exc)}[/red]")
        return EXIT_UNREACHABLE
    print_report(report)
    return 0


def print_report(report: SalesReport) -> None:
    out = Console(highlight=False)
    heading = _("Sales {date}").format(date=report.date)
    out.print(f"[bold]{heading}[/bold] ({report.timezone})")
    for device in report.devices:
        table = Table(title=device.device)
        for column in (
            _("Method"),
            _("Sales"),
            _("Tickets"),
            _("Sold"),
            _("Refunded"),
            _("Net"),
            _("By brand"),
        ):
            table.add_column(column)
        for m in device.methods:
            brands = ", ".join(f"{b} {format_money(c)}" for b, c in m.by_card_brand.items())
            table.add_row(
                method_words(m.method.value),
                str(m.sales),
                str(m.tickets),
                format_money(m.sold_cents, m.currency),
                format_money(m.refunded_cents, m.currency),
                format_money(m.net_cents, m.currency),
                brands,
            )
        out.print(table)
        totals = _("cash to count {cash}   card total {card}   offline sales {offline} ({offline_total})")
        out.print(
            "  "
            + totals.format(
                cash=format_money(device.cash_to_count_cents),
                card=format_money(device.card_total_cents),
                offline=device.offline_sales,
                offline_total=format_money(device.offline_total_cents),
            )
        )
    venue_clock = ZoneInfo(report.timezone)  # the times are printed under this zone's name
    for line in report.offline_sales:
        sold, synced_at = clock(line.sold_at, venue_clock), clock(line.synced_at, venue_clock)
        synced = _("synced {time} ({delay} later)").format(
            time=synced_at, delay=duration_words(line.delay_seconds)
        )
        sale = _("offline sale {sale} at {device}: sold {time}").format(
            sale=line.sale_id, device=line.device, time=sold
        )
        out.print(f"  {sale}, {synced}, {format_money(line.total_cents)}")


def add_box_office_parser(commands: argparse._SubParsersAction) -> None:
    """Add the box-office commands to `scanner-client` (each sets `handler`, like the gate's)."""

    def command(name: str, help_: str) -> argparse.ArgumentParser:
        return add_command(commands, name, help_)

    enroll = command("enroll-box-office", "enroll this PC as a box office (makes its signing key)")
    enroll.add_argument("--server", required=True, action="append", help=SERVER_HELP)
    enroll.add_argument(
        "--token", required=True, help="an admin token, or the box_office device's own token ('-': stdin)"
    )
    enroll.add_argument("--name", help="box office device name (needed with an admin token)")
    enroll.add_argument("--language", help=LANGUAGE_HELP)
    enroll.set_defaults(handler=run_box_office, box_office_command=cmd_enroll)

    till = command("box-office", "run the box-office till (full screen)")
    till.add_argument("--offline", action="store_true", help="do not contact the server (sell offline)")
    till.add_argument(
        "--output", help="folder for ticket and receipt files (default: <data dir>/box-office/out)"
    )
    till.add_argument(
        "--keep-days",
        type=float,
        help=f"remove ticket and receipt files older than this many days (kept; default {DEFAULT_KEEP_DAYS})",
    )
    add_receipt_options(till)
    till.set_defaults(handler=run_box_office, box_office_command=cmd_box_office)

    sync = command("box-office-sync", "post queued box-office sales and pull the catalogue once")
    sync.set_defaults(handler=run_box_office, box_office_command=cmd_sync)

    report = command("box-office-report", "print the end-of-day sales report from the server")
    report.add_argument("--date", help="YYYY-MM-DD in the venue's time zone (default: today)")
    report.set_defaults(handler=run_box_office, box_office_command=cmd_report)
    add_terminal_commands(command, run_box_office, TillOpener(box_office_dir, open_till, _close))


def add_receipt_options(parser: argparse.ArgumentParser) -> None:
    """The till's receipt printer and mail server: kept in the till's store once given."""
    parser.add_argument(
        "--printer",
        help="receipt printer (ESC/POS): usb:VENDOR:PRODUCT (e.g. usb:0x04b8:0x0e15), "
        "net:HOST:PORT, or file:/dev/usb/lp0; '' removes it",
    )
    parser.add_argument("--smtp-host", help="mail server for e-mailed receipts; '' removes it")
    parser.add_argument("--smtp-port", type=int, help="its port (default 587)")
    parser.add_argument(
        "--smtp-security", choices=SECURITY_CHOICES, help="starttls (default, port 587), tls (465) or none"
    )
    parser.add_argument("--smtp-user", help=f"user name; the password is read from ${PASSWORD_ENV}")
    parser.add_argument("--smtp-from", help="sender address of receipts, e.g. tickets@zoo.example")


def run_box_office(args: argparse.Namespace) -> int:
    """Run the box-office command the parsed arguments name."""
    try:
        return int(args.box_office_command(args))
    except TillNotEnrolled as exc:
        console.print(f"[red]{exc}[/red]")
        return EXIT_NOT_ENROLLED


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="scanner-client", description="admission box office")
    parser.add_argument(
        "--data-dir", help="data folder (default: $ADMISSION_SCANNER_DIR or ~/.local/share/...)"
    )
    add_box_office_parser(parser.add_subparsers(dest="command", required=True))
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    umask = os.umask(0o077)  # receipts, printed tickets, the store: for this user only
    try:
        return int(args.handler(args))
    except KeyboardInterrupt:
        return 130
    finally:
        os.umask(umask)
