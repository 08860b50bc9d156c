"""What the client's commands share: exit statuses, the console for messages, how a token is
read, how a subcommand is added."""

from __future__ import annotations

import argparse
import sys

from rich.console import Console

from scanner_client.core.remote import ServerRefused, ServerUnavailable

EXIT_USAGE = 2
EXIT_REFUSED = 3
EXIT_UNREACHABLE = 4
EXIT_NOT_ENROLLED = 5

console = Console(stderr=True, highlight=False)


def read_token(given: str) -> str:
    """The token as given, or read from standard input for `-` (it never shows in `ps` then)."""
    return sys.stdin.readline().strip() if given == "-" else given


def exit_status(exc: ServerRefused | ServerUnavailable) -> int:
    return EXIT_REFUSED if isinstance(exc, ServerRefused) else EXIT_UNREACHABLE


def add_command(commands: argparse._SubParsersAction, name: str, help_: str) -> argparse.ArgumentParser:
    sub: argparse.ArgumentParser = commands.add_parser(name, help=help_)
    # Accept --data-dir after the command too (argparse.SUPPRESS keeps the global value otherwise).
    sub.add_argument("--data-dir", default=argparse.SUPPRESS, help=argparse.SUPPRESS)
    return sub
