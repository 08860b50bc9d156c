"""Where a client keeps its files: one data folder per PC (the gate's store, and the till's in a
folder of its own), readable by its user only because the stores hold device tokens."""

from __future__ import annotations

import os
from pathlib import Path

DATA_DIR_ENV = "ADMISSION_SCANNER_DIR"


def data_dir(explicit: str | Path | None = None) -> Path:
    if explicit:
        return Path(explicit).expanduser()
    if env := os.environ.get(DATA_DIR_ENV):
        return Path(env).expanduser()
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "admission-scanner"


def private_folder(folder: Path) -> Path:
    """The folder, created if needed, for this user only (tokens and keys live in it)."""
    folder.mkdir(parents=True, exist_ok=True)
    folder.chmod(0o700)
    return folder
