"""What every `admission` command shares: consoles, settings, a database session, options."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
from collections.abc import Awaitable, Callable, Coroutine
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any, TypeVar

from rich.console import Console
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncSession

from admission.config import InvalidSetting, LookupLimits, Settings
from admission.db.engine import Database, is_sqlite
from admission.domain.errors import DomainError
from admission.i18n import UnknownLanguage, _, set_language
from admission.services import catalog
from admission.services.unit_of_work import UnitOfWork

console = Console()
errors = Console(stderr=True)
Handler = Callable[[argparse.Namespace], int]
T = TypeVar("T")


# Set by `admission` when no language was chosen: the first read of the venue's settings sets it.
follow_venue_language = False


class CliError(Exception):
    """A problem the user can fix; printed without a traceback."""


def cents(text: str) -> int:
    """An amount as typed ("25", "25.50", "25,50") in cents."""
    try:
        value = Decimal(text.replace(",", ".").strip())
    except InvalidOperation:
        raise CliError(_("{text!r} is not an amount: write it like 25 or 25.50").format(text=text)) from None
    if value != value.quantize(Decimal("0.01")) or abs(value) > 10_000_000:
        raise CliError(_("{text!r} is not an amount: write it like 25 or 25.50").format(text=text))
    return int(value * 100)


def run(coro: Coroutine[Any, Any, Any]) -> Any:
    return asyncio.run(coro)


def sqlite_file(url: str) -> Path | None:
    """The database file of a SQLite URL (None for other databases and in-memory SQLite)."""
    if not is_sqlite(url):
        return None
    name = make_url(url).database
    return Path(name) if name and name != ":memory:" else None


def private_folder(folder: Path) -> Path:
    """The folder, made if needed, for this user only (the venue's keys and database live in it)."""
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    folder.chmod(0o700)
    return folder


def settings_from(args: argparse.Namespace, *, creating: bool = False) -> Settings:
    """The settings of the venue these arguments name. Only `init` (creating) may name a venue
    that does not exist yet: any other command run in the wrong folder would otherwise leave an
    empty database there and fail on a missing table."""
    try:
        settings = Settings.load(getattr(args, "database_url", None), getattr(args, "data_dir", None))
    except InvalidSetting as exc:  # a setting from the environment that cannot be read
        raise CliError(str(exc)) from None
    database_file = sqlite_file(settings.database_url)
    if not creating and database_file is not None and not database_file.exists():
        raise CliError(
            _(
                "there is no venue in {folder} (no {file}): pass --data-dir (or --database-url) of your "
                "venue, or create one with `admission init`"
            ).format(folder=settings.data_dir.resolve(), file=database_file.name)
        )
    if follow_venue_language and not creating:
        speak_venue_language(settings)
    return settings


def speak_venue_language(settings: Settings) -> None:
    """This command's messages in the venue's language (English if it has none this release speaks)."""
    global follow_venue_language
    follow_venue_language = False  # once per command

    async def language(session: AsyncSession) -> str:
        return catalog.venue_language(await catalog.get_venue(session))

    # No venue yet, or one in a language without a catalogue: the command speaks English.
    with contextlib.suppress(UnknownLanguage, DBAPIError, DomainError):
        set_language(run(reading(settings, language)))


async def writing(settings: Settings, work: Callable[[AsyncSession], Awaitable[T]]) -> T:
    """`work(session)` in one write transaction: the service's own unit of work, so a command
    changes the venue exactly as the same request to the API would."""
    return await _unit_of_work(settings, work, write=True)


async def reading(settings: Settings, work: Callable[[AsyncSession], Awaitable[T]]) -> T:
    """`work(session)` in a read transaction (on SQLite one that never takes the write lock)."""
    return await _unit_of_work(settings, work, write=False)


async def _unit_of_work(
    settings: Settings, work: Callable[[AsyncSession], Awaitable[T]], *, write: bool
) -> T:
    db = Database(settings.database_url)
    try:
        uow = UnitOfWork(db)
        return await (uow.write(work) if write else uow.read(work))
    finally:
        await db.dispose()


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
    limits = parser.add_argument_group("ticket look-up limits (docs/security.md)")
    for option, field, text in LOOKUP_LIMIT_OPTIONS:
        variable = LookupLimits.ENVIRONMENT[field]
        limits.add_argument(option, dest=field, type=int, metavar="N", help=f"{text} (${variable})")


# `serve` flags for the look-up limits: the field of `LookupLimits` each sets, and what it means.
LOOKUP_LIMIT_OPTIONS = (
    ("--lookup-misses-per-device", "misses_per_device", "numbers not found a device may try per window"),
    ("--lookup-misses-per-address", "misses_per_address", "numbers not found an address may try per window"),
    ("--lookup-miss-window", "miss_window_seconds", "the window, in seconds"),
    ("--lookups-per-minute", "lookups_per_minute", "look-ups a device or address may make a minute"),
)


def lookup_limits_to_environment(args: argparse.Namespace) -> None:
    """Hand the look-up limit flags to the service's workers, which read their environment."""
    for _option, field, _text in LOOKUP_LIMIT_OPTIONS:
        value = getattr(args, field, None)
        if value is not None:
            os.environ[LookupLimits.ENVIRONMENT[field]] = str(value)
