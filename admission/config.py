"""Service configuration: flags win over environment variables, which win over defaults."""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path
from typing import ClassVar

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


class LookupLimits(msgspec.Struct, frozen=True, kw_only=True):
    """How fast a caller may look tickets up by a number or code it types (docs/security.md has
    the arithmetic). Misses (a number or code that names no ticket) are limited tightly, per
    device and per client address, counted in the database so every worker sees them; all
    look-ups are limited generously, so a busy till typing real numbers never waits."""

    misses_per_device: int = 10
    misses_per_address: int = 30
    miss_window_seconds: int = 600
    lookups_per_minute: int = 120

    # The environment variable of each limit: `admission serve` hands its flags to the workers here.
    ENVIRONMENT: ClassVar[dict[str, str]] = {
        "misses_per_device": "ADMISSION_LOOKUP_MISSES_PER_DEVICE",
        "misses_per_address": "ADMISSION_LOOKUP_MISSES_PER_ADDRESS",
        "miss_window_seconds": "ADMISSION_LOOKUP_MISS_WINDOW_SECONDS",
        "lookups_per_minute": "ADMISSION_LOOKUPS_PER_MINUTE",
    }

    @classmethod
    def from_environment(cls) -> LookupLimits:
        given: dict[str, int] = {}
        for field, variable in cls.ENVIRONMENT.items():
            text = os.environ.get(variable, "").strip()
            if not text:
                continue
            try:
                value = int(text)
            except ValueError:
                raise ValueError(f"{variable} must be a whole number, not {text!r}") from None
            if value < 1:
                raise ValueError(f"{variable} must be 1 or more, not {value}")
            given[field] = value
        return cls(**given)


class Settings(msgspec.Struct, kw_only=True):
    database_url: str
    data_dir: Path  # issuer private keys live here (mode 0600)
    token_cache_seconds: float = 5.0
    lookup_limits: LookupLimits = LookupLimits()
    # How long a till's key certificate lasts: a day between the till's renewals plus the longest
    # outage the venue expects to sell through (two days: a weekend without the service).
    till_certificate_hours: float = 72.0

    @property
    def till_certificate_lifetime(self) -> timedelta:
        return timedelta(hours=self.till_certificate_hours)
    # Fleet health (`admission devices`, the dashboard): a device whose clock is off by more than
    # this is flagged, and told so in the answer to its report (offline verdicts use its clock)...
    clock_skew_limit_seconds: float = DEFAULT_CLOCK_SKEW_LIMIT
    # ...and an enrolled gate or till not heard of for longer than this is flagged silent.
    silent_after_seconds: float = DEFAULT_SILENT_AFTER
    # A venue hub's central service (`serve --upstream`): the hub takes its gates' writes only.
    upstream: str | None = None

    @classmethod
    def load(cls, database_url: str | None = None, data_dir: str | Path | None = None) -> Settings:
        folder = Path(data_dir or os.environ.get("ADMISSION_DATA_DIR") or ".")
        url = database_url or os.environ.get("ADMISSION_DATABASE_URL")
        if not url:
            url = DEFAULT_SQLITE_URL.replace("admission.db", str((folder / "admission.db").resolve()))
        hours = os.environ.get("ADMISSION_TILL_CERTIFICATE_HOURS")
        lifetime = 72.0
        if hours:
            try:
                lifetime = float(hours)
            except ValueError:
                lifetime = 0.0
            if not 0 < lifetime <= 24 * 366:
                raise ValueError(
                    f"ADMISSION_TILL_CERTIFICATE_HOURS={hours!r}: "
                    "give a number of hours above 0, at most a year"
                )
        return cls(
            database_url=url,
            data_dir=folder,
            lookup_limits=LookupLimits.from_environment(),
            till_certificate_hours=lifetime,
            clock_skew_limit_seconds=_seconds("ADMISSION_CLOCK_SKEW_LIMIT", DEFAULT_CLOCK_SKEW_LIMIT),
            silent_after_seconds=_seconds("ADMISSION_SILENT_AFTER", DEFAULT_SILENT_AFTER),
            upstream=os.environ.get("ADMISSION_UPSTREAM") or None,
        )
