"""What every `admission` command shares: consoles, settings, a database session, options."""


from __future__ import annotations

import argparse
import asyncio
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any

from rich.console import Console

from admission.config import Settings
from admission.db.engine import Database

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
