"""Issuer keys: the service's Ed25519 signing keys (private halves in files, mode 0600) and
the public keys of every issuer, box-office devices included, for verifying codes.

A till's key is certified for a while (`not_before`..`not_after`, renewed by the till online)
and judged with its revocation time: see `admission.domain.certificates`. Each worker keeps the
keys' standing in its `KeyRing`; a revocation anywhere reaches every worker at once through the
data folder's `tokens.changed` file, the signal token revocations already use."""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TypeVar

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from admission.contract import KeyData
from admission.db.models import IssuerKey
from admission.domain.certificates import KeyStanding, verify_code
from admission.domain.codes import CodeError, SignedTicket, public_hex
from admission.domain.errors import ConflictError
from admission.services import feed

# A till's first certificate, made with its key; the till then asks for one of the service's
# configured lifetime (`Settings.till_certificate_hours`) at once, and renews it while online.
DEFAULT_CERTIFICATE_LIFETIME = timedelta(hours=72)
T = TypeVar("T")


def key_path(data_dir: Path, key_id: int) -> Path:
    return data_dir / "keys" / f"issuer-{key_id}.pem"


def write_private_key(path: Path, key: Ed25519PrivateKey) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(pem)


def load_private_key(path: Path) -> Ed25519PrivateKey:
    key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    if not isinstance(key, Ed25519PrivateKey):
        raise ValueError(f"{path} is not an Ed25519 private key")
    return key


def key_data(row: IssuerKey, device_name: str | None = None) -> KeyData:
    return KeyData(
        key_id=row.key_id,
        public_key=row.public_key,
        device=device_name,
        revoked=row.revoked_at is not None,
        revoked_at=row.revoked_at,
        not_before=row.not_before,
        not_after=row.not_after,
    )


def standing(row: IssuerKey) -> KeyStanding:
    return KeyStanding.parse(
        row.key_id,
        row.public_key,
        till=row.device_id is not None,
        not_before=row.not_before,
        not_after=row.not_after,
        revoked_at=row.revoked_at,
    )


async def next_key_id(session: AsyncSession) -> int:
    return int(await session.scalar(select(func.coalesce(func.max(IssuerKey.key_id), 0))) or 0) + 1


async def register_public_key(
    session: AsyncSession,
    public_key: Ed25519PublicKey,
    device_id: int | None,
    device_name: str | None,
    lifetime: timedelta = DEFAULT_CERTIFICATE_LIFETIME,
) -> IssuerKey:
    """A new issuer key; a device's (a till's) is certified from now for `lifetime`."""
    now = datetime.now(UTC)
    row = IssuerKey(
        key_id=await next_key_id(session),
        public_key=public_hex(public_key),
        device_id=device_id,
        created_at=now,
        not_before=now if device_id is not None else None,
        not_after=now + lifetime if device_id is not None else None,
    )
    session.add(row)
    await session.flush()
    await feed.emit(session, "key", str(row.key_id), key_data(row, device_name))
    return row


async def create_service_key(session: AsyncSession, data_dir: Path) -> int:
    """A new signing key for the service; new tickets are signed with the newest one."""
    private = Ed25519PrivateKey.generate()
    row = await register_public_key(session, private.public_key(), None, None)
    write_private_key(key_path(data_dir, row.key_id), private)
    return row.key_id


def changed_stamp(path: Path | None) -> tuple[int, int, int] | None:
    """What identifies the current version of a signal file (replaced, never rewritten in place)."""
    if path is None:
        return None
    try:
        st = os.stat(path)
    except OSError:
        return None
    return st.st_ino, st.st_mtime_ns, st.st_size


class KeyRing:
    """The keys a service worker holds: its signing key and every issuer key's standing.

    Keys are reread when a code fails against them (a till enrolled or renewed its certificate
    since) and, before any code is verified, when `changed_file` (the data folder's
    `tokens.changed`, rewritten on every revocation) moved or `forget` was called: a revoked
    till's codes are refused by every worker at once."""

    def __init__(
        self,
        signing_key_id: int | None,
        signing_key: Ed25519PrivateKey | None,
        changed_file: Path | None = None,
    ) -> None:
        self._signing_key_id = signing_key_id
        self._signing_key = signing_key
        self.standings: dict[int, KeyStanding] = {}
        self._changed_file = changed_file
        self._changed_seen = changed_stamp(changed_file)
        self._stale = False

    @property
    def signing_key_id(self) -> int:
        return self._signing(self._signing_key_id)

    @property
    def signing_key(self) -> Ed25519PrivateKey:
        return self._signing(self._signing_key)

    @staticmethod
    def _signing(value: T | None) -> T:
        if value is None:  # a hub's ring: its writes that would sign are refused before this
            raise ConflictError("this service holds public keys only: it signs nothing (a venue hub)")
        return value

    @classmethod
    async def load_public(cls, session: AsyncSession, changed_file: Path | None = None) -> KeyRing:
        """A ring that verifies and never signs: a venue hub's. It holds the centre's public keys
        (from the feed) and no private key, whatever its data folder holds."""
        ring = cls(None, None, changed_file)
        await ring.reload_public(session)
        return ring

    @classmethod
    async def load(cls, session: AsyncSession, data_dir: Path, changed_file: Path | None = None) -> KeyRing:
        rows = (await session.scalars(select(IssuerKey).order_by(IssuerKey.key_id))).all()
        own = [r for r in rows if r.device_id is None and r.revoked_at is None]
        usable = [r for r in own if key_path(data_dir, r.key_id).exists()]
        if not usable:
            raise RuntimeError(
                f"no issuer private key found in {data_dir / 'keys'}: run `admission init` "
                "or point --data-dir at the folder it created"
            )
        newest = usable[-1]
        ring = cls(newest.key_id, load_private_key(key_path(data_dir, newest.key_id)), changed_file)
        ring.refresh(rows)
        return ring

    def refresh(self, rows: Sequence[IssuerKey]) -> None:
        standings = {}
        for row in rows:
            try:
                standings[row.key_id] = standing(row)
            except ValueError:  # a malformed public key vouches for nothing
                continue
        self.standings = standings

    def forget(self) -> None:
        """Reread the keys before the next code is verified (a revocation was committed)."""
        self._stale = True

    async def reload_public(self, session: AsyncSession) -> None:
        self.refresh(list((await session.scalars(select(IssuerKey))).all()))
        self._stale = False

    async def current(self, session: AsyncSession) -> Mapping[int, KeyStanding]:
        """The keys' standing, reread first if a revocation happened since they were read."""
        stamp = changed_stamp(self._changed_file)
        if self._stale or stamp != self._changed_seen:
            self._changed_seen = stamp
            await self.reload_public(session)
        return self.standings

    async def verify(self, session: AsyncSession, code: str, at: datetime) -> SignedTicket:
        """The ticket a signed code states, scanned at `at`, or CodeError: malformed, forged, or its
        key may not vouch for it (`admission.domain.certificates.check_standing`)."""
        try:
            return verify_code(code, await self.current(session), at)
        except CodeError:
            await self.reload_public(session)  # a key or a certificate newer than this copy
            return verify_code(code, self.standings, at)
