"""The gate's store file in the data folder, and the device settings stored at enrollment."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from pathlib import Path

from admission.domain.model import Direction
from admission.i18n import _
from scanner_client.core.paths import private_folder
from scanner_client.core.revocation import revoked_words
from scanner_client.gate.store import GateStore

STORE_FILE = "scanner.sqlite3"


def open_store(directory: Path) -> GateStore:
    """The gate's store in the data folder (both readable by this user only: it holds the token)."""
    return GateStore(private_folder(directory) / STORE_FILE)


class NotEnrolled(RuntimeError):
    pass


@dataclass
class Settings:
    server_url: str
    token: str
    device: str
    gate: str
    direction: Direction = Direction.IN
    pin_hash: str | None = None
    # Scanners that send no Enter: a code ends after this pause (0 disables it).
    end_pause_ms: int = 150
    scan_timeout: float = 1.5
    failure_threshold: int = 2  # failed calls in a row before switching to offline mode
    probe_interval: float = 3.0
    feed_wait: int = 20  # long-poll seconds
    batch_size: int = 2000

    @classmethod
    def load(cls, store: GateStore) -> Settings:
        if store.revoked_at is not None:
            raise NotEnrolled(revoked_words(store.revoked_kept))
        server_url, device, gate = (store.get_config(k) for k in ("server_url", "device", "gate"))
        token = store.token
        if not (server_url and token and device and gate):
            raise NotEnrolled(_("this PC is not enrolled: run `scanner-client enroll` first"))
        return cls(
            server_url=server_url,
            token=token,
            device=device,
            gate=gate,
            direction=Direction(store.get_config("direction") or "in"),
            pin_hash=store.get_config("pin_hash"),
            end_pause_ms=int(store.get_config("end_pause_ms", "150") or 150),
            scan_timeout=float(store.get_config("scan_timeout", "1.5") or 1.5),
            failure_threshold=int(store.get_config("failure_threshold", "2") or 2),
            probe_interval=float(store.get_config("probe_interval", "3") or 3),
            feed_wait=int(store.get_config("feed_wait", "20") or 20),
            batch_size=int(store.get_config("batch_size", "2000") or 2000),
        )

    def save(self, store: GateStore) -> None:
        store.token = self.token
        store.set_config(
            server_url=self.server_url,
            device=self.device,
            gate=self.gate,
            direction=self.direction.value,
            pin_hash=self.pin_hash,
            end_pause_ms=str(self.end_pause_ms),
            scan_timeout=str(self.scan_timeout),
            failure_threshold=str(self.failure_threshold),
            probe_interval=str(self.probe_interval),
            feed_wait=str(self.feed_wait),
            batch_size=str(self.batch_size),
        )


# scrypt: a stolen store must not give the supervisor PIN away by brute force in seconds.
_SCRYPT = {"n": 2**14, "r": 8, "p": 1}


PIN_LENGTHS = range(4, 33)


def pin_problem(pin: str) -> str | None:
    """Why `pin` cannot be a supervisor PIN, or None."""
    if len(pin) not in PIN_LENGTHS or not pin.isprintable() or pin != pin.strip():
        return _("a PIN has {shortest} to {longest} characters, without spaces around it").format(
            shortest=PIN_LENGTHS.start, longest=PIN_LENGTHS.stop - 1
        )
    return None


def hash_pin(pin: str) -> str:
    salt = secrets.token_bytes(16)
    digest = hashlib.scrypt(pin.encode(), salt=salt, **_SCRYPT)
    return f"scrypt${salt.hex()}${digest.hex()}"


def verify_pin(pin: str, stored: str | None) -> bool:
    if not stored:
        return False
    try:
        scheme, salt_hex, digest_hex = stored.split("$")
    except ValueError:
        return False
    if scheme != "scrypt":
        return False
    digest = hashlib.scrypt(pin.encode(), salt=bytes.fromhex(salt_hex), **_SCRYPT)
    return hmac.compare_digest(digest.hex(), digest_hex)
