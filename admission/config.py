"""Service configuration: flags win over environment variables, which win over defaults."""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path
from typing import ClassVar, TypeVar

import msgspec

from admission.db.engine import DEFAULT_SQLITE_URL
from admission.domain.errors import InvalidRequestError

DEFAULT_CLOCK_SKEW_LIMIT = 30.0
DEFAULT_SILENT_AFTER = 600.0
DEFAULT_TILL_CERTIFICATE_HOURS = 72.0

Number = TypeVar("Number", int, float)


class InvalidSetting(InvalidRequestError):
    """An environment variable that does not hold a usable value."""


def number_from_environment(
    variable: str, default: Number, *, whole: bool, lowest: float, highest: float, unit: str
) -> Number:
    """The one way a numeric setting is read, so each says the same kind of thing when it is wrong:
    which variable, what it must hold, and what it held instead."""
    raw = os.environ.get(variable, "").strip()
    if not raw:
        return default
    kind = "a whole number" if whole else "a number"
    wanted = f"{variable} must be {kind} of {unit} from {lowest:.15g} to {highest:.15g}, not {raw!r}"
    try:
        value = int(raw) if whole else float(raw)
    except ValueError:
        raise InvalidSetting(wanted) from None
    if not lowest <= value <= highest:  # also refuses nan
        raise InvalidSetting(wanted)
    return value  # type: ignore[return-value]


LOOKUP_UNITS = {
    "misses_per_device": "misses",
    "misses_per_address": "misses",
    "miss_window_seconds": "seconds",
    "lookups_per_minute": "look-ups",
}


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
        given = {
            field: number_from_environment(
                variable, 0, whole=True, lowest=1, highest=1_000_000, unit=LOOKUP_UNITS[field]
            )
            for field, variable in cls.ENVIRONMENT.items()
        }
        return cls(**{field: value for field, value in given.items() if value})


class Settings(msgspec.Struct, kw_only=True):
    database_url: str
    data_dir: Path  # issuer private keys live here (mode 0600)
    token_cache_seconds: float = 5.0
    lookup_limits: LookupLimits = LookupLimits()
    # How long a till's key certificate lasts: a day between the till's renewals plus the longest
    # outage the venue expects to sell through (two days: a weekend without the service).
    till_certificate_hours: float = DEFAULT_TILL_CERTIFICATE_HOURS

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
        return cls(
            database_url=url,
            data_dir=folder,
            lookup_limits=LookupLimits.from_environment(),
            till_certificate_hours=number_from_environment(
                "ADMISSION_TILL_CERTIFICATE_HOURS",
                DEFAULT_TILL_CERTIFICATE_HOURS,
                whole=False,
                lowest=0.01,
                highest=24 * 366,
                unit="hours",
            ),
            clock_skew_limit_seconds=_seconds("ADMISSION_CLOCK_SKEW_LIMIT", DEFAULT_CLOCK_SKEW_LIMIT),
            silent_after_seconds=_seconds("ADMISSION_SILENT_AFTER", DEFAULT_SILENT_AFTER),
            upstream=os.environ.get("ADMISSION_UPSTREAM") or None,
        )


def _seconds(variable: str, default: float) -> float:
    return number_from_environment(
        variable, default, whole=False, lowest=0.001, highest=10_000_000, unit="seconds"
    )
