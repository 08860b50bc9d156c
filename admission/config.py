"""Service configuration: flags win over environment variables, which win over defaults."""

from __future__ import annotations

import os
from pathlib import Path

import msgspec

from admission.db.engine import DEFAULT_SQLITE_URL
from admission.domain.errors import InvalidRequestError

DEFAULT_CLOCK_SKEW_LIMIT = 30.0
DEFAULT_SILENT_AFTER = 600.0


class InvalidSetting(InvalidRequestError):
    """An environment variable that does not hold a usable value."""


def _seconds(variable: str, default: float) -> float:
    raw = os.environ.get(variable, "").strip()
    if not raw:
        return default
    try:
        value = float(raw)
    except ValueError:
        raise InvalidSetting(f"{variable} must be a number of seconds, not {raw!r}") from None
    if not 0 < value < 10_000_000:
        raise InvalidSetting(f"{variable} must be a positive number of seconds, not {raw!r}")
    return value


class Settings(msgspec.Struct, kw_only=True):
    database_url: str
    data_dir: Path  # issuer private keys live here (mode 0600)
    token_cache_seconds: float = 5.0
    # Fleet health (`admission devices`, the dashboard): a device whose clock is off by more than
    # this is flagged, and told so in the answer to its report (offline verdicts use its clock)...
    clock_skew_limit_seconds: float = DEFAULT_CLOCK_SKEW_LIMIT
    # ...and an enrolled gate or till not heard of for longer than this is flagged silent.
    silent_after_seconds: float = DEFAULT_SILENT_AFTER

    @classmethod
    def load(cls, database_url: str | None = None, data_dir: str | Path | None = None) -> Settings:
        folder = Path(data_dir or os.environ.get("ADMISSION_DATA_DIR") or ".")
        url = database_url or os.environ.get("ADMISSION_DATABASE_URL")
        if not url:
            url = DEFAULT_SQLITE_URL.replace("admission.db", str((folder / "admission.db").resolve()))
        return cls(
            database_url=url,
            data_dir=folder,
            clock_skew_limit_seconds=_seconds("ADMISSION_CLOCK_SKEW_LIMIT", DEFAULT_CLOCK_SKEW_LIMIT),
            silent_after_seconds=_seconds("ADMISSION_SILENT_AFTER", DEFAULT_SILENT_AFTER),
        )
