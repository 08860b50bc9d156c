"""The device token, in a file of its own beside the store, readable by this user only.

The store is copied around (support, backups, a look at a conflict); the token is the device's
password and must not travel with it. `scanner.sqlite3` keeps its token in `scanner.token`,
`box-office.sqlite3` in `box-office.token`.
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path


def token_path(store_path: Path) -> Path:
    return store_path.with_suffix(".token")


def read_token(path: Path) -> str | None:
    try:
        return path.read_text(encoding="utf-8").strip() or None
    except FileNotFoundError:
        return None


def write_token(path: Path, token: str | None) -> None:
    """Replace the token at once (never half written); None removes it."""
    if token is None:
        with contextlib.suppress(FileNotFoundError):
            path.unlink()
        return
    partial = path.with_name(f".{path.name}.{os.getpid()}")
    fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        os.fchmod(fd, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(token + "\n")
            handle.flush()
            os.fsync(handle.fileno())
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    os.replace(partial, path)
