"""Files a device writes for people (printed tickets, receipts, photos of scanned tickets) are
kept for a number of days, then removed: a stolen PC holds only the last few days' buyers.

The number of days is the store's `keep_days` setting (default 30; `--keep-days` sets it).
"""

from __future__ import annotations

import contextlib
import time
from pathlib import Path

DEFAULT_KEEP_DAYS = 30
KEEP_DAYS_KEY = "keep_days"


def keep_days(configured: str | None) -> float:
    try:
        return max(float(configured), 0.0) if configured else DEFAULT_KEEP_DAYS
    except ValueError:
        return DEFAULT_KEEP_DAYS


def purge_older_than(folder: Path, days: float, now: float | None = None) -> list[Path]:
    """Remove the files under `folder` last changed more than `days` days ago, and the folders
    that leaves empty; returns the files removed. A missing folder is nothing to do."""
    if not folder.is_dir():
        return []
    cutoff = (time.time() if now is None else now) - days * 86400
    removed = []
    for path in sorted(folder.rglob("*"), key=lambda p: len(p.parts), reverse=True):
        with contextlib.suppress(FileNotFoundError, PermissionError, OSError):
            if path.is_file() and path.stat().st_mtime < cutoff:
                path.unlink()
                removed.append(path)
            elif path.is_dir() and not any(path.iterdir()):
                path.rmdir()
    return removed
