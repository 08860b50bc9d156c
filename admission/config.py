"""Service configuration: flags win over environment variables, which win over defaults."""

from __future__ import annotations

import os
from pathlib import Path

import msgspec

from admission.db.engine import DEFAULT_SQLITE_URL


class Settings(msgspec.Struct, kw_only=True):
    database_url: str
    data_dir: Path  # issuer private keys live here (mode 0600)
    token_cache_seconds: float = 5.0

    @classmethod
    def load(cls, database_url: str | None = None, data_dir: str | Path | None = None) -> Settings:
        folder = Path(data_dir or os.environ.get("ADMISSION_DATA_DIR") or ".")
        url = database_url or os.environ.get("ADMISSION_DATABASE_URL")
        if not url:
            url = DEFAULT_SQLITE_URL.replace("admission.db", str((folder / "admission.db").resolve()))
        return cls(database_url=url, data_dir=folder)
