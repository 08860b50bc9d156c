"""Issuer keys: the service's Ed25519 signing keys (private halves in files, mode 0600) and
the public keys of every issuer, box-office devices included, for verifying codes."""

from __future__ import annotations

import os
from datetime import UTC, datetime
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from admission.contract import KeyData
from admission.db.models import IssuerKey
from admission.domain.codes import public_hex
from admission.services import feed


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
        key_id=row.key_id, public_key=row.public_key, device=device_name, revoked=row.revoked_at is not None
    )


async def next_key_id(session: AsyncSession) -> int:
    return int(await session.scalar(select(func.coalesce(func.max(IssuerKey.key_id), 0))) or 0) + 1


async def register_public_key(
    session: AsyncSession, public_key: Ed25519PublicKey, device_id: int | None, device_name: str | None
) -> IssuerKey:
    row = IssuerKey(
        key_id=await next_key_id(session),
        public_key=public_hex(public_key),
        device_id=device_id,
        created_at=datetime.now(UTC),
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


class KeyRing:
    """The keys a service worker holds: its signing key and every issuer's public key."""

    def __init__(self, signing_key_id: int, signing_key: Ed25519PrivateKey) -> None:
        self.signing_key_id = signing_key_id
        self.signing_key = signing_key
        self.public: dict[int, Ed25519PublicKey] = {}

    @classmethod
    async def load(cls, session: AsyncSession, data_dir: Path) -> KeyRing:
        rows = (await session.scalars(select(IssuerKey).order_by(IssuerKey.key_id))).all()
        own = [r for r in rows if r.device_id is None and r.revoked_at is None]
        usable = [r for r in own if key_path(data_dir, r.key_id).exists()]
        if not usable:
            raise RuntimeError(
                f"no issuer private key found in {data_dir / 'keys'}: run `admission init` "
                "or point --data-dir at the folder it created"
            )
        newest = usable[-1]
        ring = cls(newest.key_id, load_private_key(key_path(data_dir, newest.key_id)))
        ring.refresh(rows)
        return ring

    def refresh(self, rows: list[IssuerKey] | tuple[IssuerKey, ...] | object) -> None:
        assert isinstance(rows, list | tuple)
        self.public = {
            r.key_id: Ed25519PublicKey.from_public_bytes(bytes.fromhex(r.public_key))
            for r in rows
            if r.revoked_at is None
        }

    async def reload_public(self, session: AsyncSession) -> None:
        self.refresh(list((await session.scalars(select(IssuerKey))).all()))
