"""`admission`: set up, run and administer the admission service.

Each module of this package adds its own subcommands; this one only wires them and runs one.
"""

from __future__ import annotations

import argparse
import os

from rich.markup import escape
from sqlalchemy.exc import DBAPIError

from admission.cli import admin, fleet, reports, service, venue
from admission.cli.common import CliError, Handler, errors
from admission.domain.errors import DomainError


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="admission", description="Offline-first ticketing and admission control"
    )
    commands = parser.add_subparsers(dest="command", required=True)
    for module in (service, admin, fleet, venue, reports):
        module.register(commands)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    handler: Handler = args.handler
    # Every file the service and its commands make (the database and its -wal and -shm, keys,
    # exports, barcodes, the demo's tokens) is for this user only, and every folder too.
    umask = os.umask(0o077)
    try:
        return handler(args)
    except (CliError, DomainError) as exc:
        errors.print(f"[red]Error:[/] {escape(str(exc))}")
        return 2
    except DBAPIError as exc:
        if _missing_table(exc):
            errors.print("[red]Error:[/] this database holds no venue yet: create one with `admission init`.")
        else:
            errors.print(
                f"[red]Database error:[/] {exc.orig}. Check --database-url and that the server runs."
            )
        return 2
    except KeyboardInterrupt:
        return 130
    finally:
        os.umask(umask)


def _missing_table(exc: DBAPIError) -> bool:
    message = str(exc.orig).lower()
    return "no such table" in message or ("relation" in message and "does not exist" in message)
