"""`admission`: set up, run and administer the admission service.

Each module of this package adds its own subcommands; this one only wires them and runs one.
"""

from __future__ import annotations

import argparse
import os

from rich.markup import escape
from sqlalchemy.exc import DBAPIError

from admission.cli import admin, cards, common, fleet, hub_sales, leases, payments, reports, service, venue
from admission.cli.common import CliError, Handler, errors
from admission.domain.errors import DomainError
from admission.i18n import LANGUAGES, UnknownLanguage, _, set_language

LANGUAGE_ENV = "ADMISSION_LANGUAGE"
SERVICE_COMMANDS = frozenset({"serve", "demo"})


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="admission", description="Offline-first ticketing and admission control"
    )
    parser.add_argument(
        "--language",
        help=f"messages in {', '.join(LANGUAGES)} (default: $ADMISSION_LANGUAGE, else the venue's language)",
    )
    commands = parser.add_subparsers(dest="command", required=True)
    for module in (service, admin, fleet, venue, reports, payments, cards, leases, hub_sales):
        module.register(commands)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    handler: Handler = args.handler
    # Every file the service and its commands make (the database and its -wal and -shm, keys,
    # exports, barcodes, the demo's tokens) is for this user only, and every folder too.
    umask = os.umask(0o077)
    try:
        choose_language(args)
        return handler(args)
    except (CliError, DomainError, UnknownLanguage) as exc:
        errors.print("[red]{}[/] {}".format(_("Error:"), escape(str(exc))))
        return 2
    except DBAPIError as exc:
        if _missing_table(exc):
            no_venue = _("this database holds no venue yet: create one with `admission init`.")
            errors.print("[red]{}[/] {}".format(_("Error:"), no_venue))
        else:
            check = _("{error}. Check --database-url and that the server runs.").format(error=exc.orig)
            errors.print("[red]{}[/] {}".format(_("Database error:"), check))
        return 2
    except KeyboardInterrupt:
        return 130
    finally:
        os.umask(umask)


def choose_language(args: argparse.Namespace) -> None:
    """The language of this command's messages: --language, $ADMISSION_LANGUAGE, else the venue's
    (read with the venue's settings). The service itself always speaks English: its records and
    answers are read by programs and by people in every language."""
    if args.command in SERVICE_COMMANDS:
        return
    chosen = args.language or os.environ.get(LANGUAGE_ENV)
    if chosen:
        set_language(chosen)
    else:
        common.follow_venue_language = True


def _missing_table(exc: DBAPIError) -> bool:
    message = str(exc.orig).lower()
    return "no such table" in message or ("relation" in message and "does not exist" in message)
