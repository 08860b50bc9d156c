"""Service configuration: flags win over environment variables, which win over defaults."""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path

import msgspec

from admission.db.engine import DEFAULT_SQLITE_URL


class Settings(msgspec.Struct, kw_only=True):
    database_url: str
    data_dir: Path  # issuer private keys live here (mode 0600)
    token_cache_seconds: float = 5.0
    # How long a till's key certificate lasts: a day between the till's renewals plus the longest
    # outage the venue expects to sell through (two days: a weekend without the service).
    till_certificate_hours: float = 72.0

    @property
    def till_certificate_lifetime(self) -> timedelta:
        return timedelta(hours=self.till_certificate_hours)

    @classmethod
    def load(cls, database_url: str | None = None, data_dir: str | Path | None = None) -> Settings:
        folder = Path(data_dir or os.environ.get("ADMISSION_DATA_DIR") or ".")
        url = database_url or os.environ.get("ADMISSION_DATABASE_URL")
        if not url:
            url = DEFAULT_SQLITE_URL.replace("admission.db", str((folder / "admission.db").resolve()))
        hours = os.environ.get("ADMISSION_TILL_CERTIFICATE_HOURS")
        if not hours:
            return cls(database_url=url, data_dir=folder)
        try:
            lifetime = float(hours)
        except ValueError:
            lifetime = 0.0
        if not 0 < lifetime <= 24 * 366:
            raise ValueError(
                f"ADMISSION_TILL_CERTIFICATE_HOURS={hours!r}: give a number of hours above 0, at most a year"
            )
        return cls(database_url=url, data_dir=folder, till_certificate_hours=lifetime)
