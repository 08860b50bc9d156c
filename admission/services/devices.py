"""Devices and their bearer tokens. Tokens are shown once and stored only as SHA-256 hashes.

Each role's tokens have a prefix of their own (docs/security.md): a leaked token shows its power,
and secret scanners tell them apart. Tokens of older releases start with `adm_` alone; they work
until their device's token is rotated.
"""

from __future__ import annotations

import enum
import hashlib
import os
import secrets
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import cast

import msgspec
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from admission.contract import ChangeKind, DeviceChange, DeviceIn, DeviceOut, IssuedToken, Role
from admission.db.models import Device, Gate, IssuerKey, Token
from admission.domain.errors import ConflictError, ForbiddenError, InvalidRequestError, NotFoundError
from admission.services import feed, keys
from admission.services.unit_of_work import after_commit

ROLE_PREFIXES: dict[str, str] = {
    "admin": "adm_admin_",
    "box_office": "adm_boxoffice_",
    "gate": "adm_gate_",
    "viewer": "adm_viewer_",
    "hub": "adm_hub_",
}
LEGACY_PREFIX = "adm_"  # every role's tokens before each role had its own prefix
TOKENS_CHANGED = "tokens.changed"  # in the data folder: rewritten on every revocation


class Principal(msgspec.Struct, frozen=True, kw_only=True):
    device_id: int
    device_name: str
    role: Role
    gate: str | None
    token_id: int | None = None  # the token this request came with: card ledger entries name it


class Refusal(enum.StrEnum):
    """Why a bearer token is refused, told apart so that a client can act on it: only
    DEVICE_REVOKED means the device itself is out of service (its store is wiped); a token
    replaced by `tokens rotate` (TOKEN_REVOKED) or one the service never made (UNKNOWN) must
    never make a device throw its records away."""

    DEVICE_REVOKED = "device_revoked"
    TOKEN_REVOKED = "token_revoked"
    UNKNOWN = "token_unknown"


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def new_token(role: str) -> str:
    return ROLE_PREFIXES[role] + secrets.token_urlsafe(32)


def announce_token_change(data_dir: Path) -> None:
    """Tell every worker of the service on this data folder to forget the tokens it cached: the
    file is replaced (a new inode), and each worker `stat`s it before trusting its cache."""
    partial = data_dir / f".{TOKENS_CHANGED}.{os.getpid()}"
    partial.write_text(f"{time.time_ns()}\n")
    os.replace(partial, data_dir / TOKENS_CHANGED)


async def device_out(session: AsyncSession, device: Device) -> DeviceOut:
    gate = await session.get(Gate, device.gate_id) if device.gate_id else None
    key_id = await session.scalar(select(IssuerKey.key_id).where(IssuerKey.device_id == device.id))
    legacy = await session.scalar(
        select(Token.id)
        .where(Token.device_id == device.id, Token.revoked_at.is_(None), Token.prefix == LEGACY_PREFIX)
        .limit(1)
    )
    return DeviceOut(
        id=device.id,
        name=device.name,
        role=device.role,
        gate=gate.name if gate else None,
        created_at=device.created_at,
        revoked=device.revoked_at is not None,
        key_id=key_id,
        legacy_token=legacy is not None,
    )


def device_change(device: Device) -> tuple[ChangeKind, str, object]:
    """The hub-only feed change (kind "device") of a device made, given a token or revoked: a
    venue hub then reads the device with its tokens' hashes (services/hub/catalogue_pages.py)."""
    return ("device", str(device.id), DeviceChange(id=device.id, name=device.name))


async def announce_device(session: AsyncSession, device: Device) -> None:
    await feed.emit_many(session, [device_change(device)])


async def add_token(session: AsyncSession, device: Device) -> str:
    if device.revoked_at is not None:
        raise ConflictError(f"device {device.name!r} is revoked")
    token = new_token(device.role)
    session.add(
        Token(
            device_id=device.id,
            token_hash=hash_token(token),
            prefix=ROLE_PREFIXES[device.role],  # never a secret character
            created_at=datetime.now(UTC),
        )
    )
    await session.flush()
    return token


async def create_device(session: AsyncSession, data: DeviceIn) -> IssuedToken:
    if await session.scalar(select(Device.id).where(Device.name == data.name)) is not None:
        raise ConflictError(f"device {data.name!r} exists already")
    gate_id = None
    if data.gate is not None:
        gate_id = await session.scalar(select(Gate.id).where(Gate.name == data.gate))
        if gate_id is None:
            raise InvalidRequestError(f"unknown gate {data.gate!r}")
    device = Device(name=data.name, role=data.role, gate_id=gate_id, created_at=datetime.now(UTC))
    session.add(device)
    await session.flush()
    await announce_device(session, device)  # before its key: a hub knows the key's device
    if data.signing_public_key:
        if data.role != "box_office":
            raise InvalidRequestError("only box_office devices sign tickets")
        public = Ed25519PublicKey.from_public_bytes(bytes.fromhex(data.signing_public_key))
        await keys.register_public_key(session, public, device.id, device.name)
    token = await add_token(session, device)
    return IssuedToken(device=await device_out(session, device), token=token)


async def issue_token(session: AsyncSession, device_id: int) -> IssuedToken:
    """Another token for a device (a second PC at the same till, a token that was lost)."""
    device = await get_device(session, device_id)
    token = await add_token(session, device)
    await announce_device(session, device)
    return IssuedToken(device=await device_out(session, device), token=token)


async def rotate_token(session: AsyncSession, device_id: int) -> IssuedToken:
    """A new token for the device; every token it held before is revoked in the same transaction."""
    device = await get_device(session, device_id)
    if device.revoked_at is not None:
        raise ConflictError(f"device {device.name!r} is revoked: make a new device instead")
    await session.execute(
        update(Token)
        .where(Token.device_id == device_id, Token.revoked_at.is_(None))
        .values(revoked_at=datetime.now(UTC))
    )
    token = await add_token(session, device)
    await announce_device(session, device)
    after_commit(session, "tokens_revoked")
    return IssuedToken(device=await device_out(session, device), token=token)


async def get_device(session: AsyncSession, device_id: int) -> Device:
    device = await session.get(Device, device_id)
    if device is None:
        raise NotFoundError(f"device {device_id} does not exist")
    return device


async def show_device(session: AsyncSession, device_id: int) -> DeviceOut:
    return await device_out(session, await get_device(session, device_id))


async def revoke_device(session: AsyncSession, device_id: int) -> DeviceOut:
    """Revoke the device, every token it holds and every signing key it registered."""
    device = await get_device(session, device_id)
    now = datetime.now(UTC)
    device.revoked_at = device.revoked_at or now
    await session.execute(
        update(Token).where(Token.device_id == device_id, Token.revoked_at.is_(None)).values(revoked_at=now)
    )
    # Every key the device ever registered (a till re-enrolled on a new PC holds several): codes
    # issued with any of them from now on are refused, by every worker and every gate.
    held = await session.scalars(
        select(IssuerKey).where(IssuerKey.device_id == device_id, IssuerKey.revoked_at.is_(None))
    )
    changed: list[tuple[ChangeKind, str, object]] = []
    for key in held:
        key.revoked_at = now
        changed.append(("key", str(key.key_id), keys.key_data(key, device.name)))
    changed.append(device_change(device))  # before its keys would do too: one transaction
    await feed.emit_many(session, changed)
    after_commit(session, "tokens_revoked")  # tokens and keys, on every worker
    return await device_out(session, device)


async def revoke_token(session: AsyncSession, token_id: int) -> None:
    token = await session.get(Token, token_id)
    if token is None:
        raise NotFoundError(f"token {token_id} does not exist")
    token.revoked_at = token.revoked_at or datetime.now(UTC)
    device = await get_device(session, token.device_id)
    await announce_device(session, device)
    after_commit(session, "tokens_revoked")


async def list_devices(session: AsyncSession) -> list[DeviceOut]:
    devices = (await session.scalars(select(Device).order_by(Device.id))).all()
    return [await device_out(session, d) for d in devices]


class TokenAuthenticator:
    """Resolves bearer tokens, caching answers briefly so scans do not pay a query each.

    Revocation reaches this worker at once and other workers within `ttl` seconds.
    """

    def __init__(self, ttl: float, changed_file: Path | None = None) -> None:
        self.ttl = ttl
        self._cache: dict[str, tuple[float, Principal | Refusal]] = {}
        self._changed_file = changed_file
        self._changed_seen = self._changed_stamp()

    def forget(self) -> None:
        self._cache.clear()

    def _changed_stamp(self) -> tuple[int, int, int] | None:
        if self._changed_file is None:
            return None
        try:
            st = os.stat(self._changed_file)
        except OSError:
            return None
        return st.st_ino, st.st_mtime_ns, st.st_size

    def cached(self, token: str) -> tuple[bool, Principal | Refusal]:
        """(found, principal or why the token is refused) from the cache alone: a hit costs no
        database round trip, only a `stat` of the data folder's tokens.changed (a revocation by
        any worker or command)."""
        stamp = self._changed_stamp()
        if stamp != self._changed_seen:
            self._changed_seen = stamp
            self._cache.clear()
        cached = self._cache.get(hash_token(token))
        if cached and cached[0] > time.monotonic():
            return True, cached[1]
        return False, Refusal.UNKNOWN

    async def authenticate(self, session: AsyncSession, token: str) -> Principal | Refusal:
        found, principal = self.cached(token)
        if found:
            return principal
        digest = hash_token(token)
        now = time.monotonic()
        row = (
            await session.execute(
                select(Device.id, Device.name, Device.role, Gate.name, Token.id)
                .join(Token, Token.device_id == Device.id)
                .outerjoin(Gate, Gate.id == Device.gate_id)
                .where(Token.token_hash == digest, Token.revoked_at.is_(None), Device.revoked_at.is_(None))
            )
        ).first()
        if row is not None:
            principal = Principal(
                device_id=row[0], device_name=row[1], role=cast(Role, row[2]), gate=row[3], token_id=row[4]
            )
        else:
            principal = await _refusal(session, digest)
        if len(self._cache) > 10_000:
            self._cache.clear()
        self._cache[digest] = (now + self.ttl, principal)
        return principal


async def forwarded_for(session: AsyncSession, hub: Principal, device_name: str) -> Principal:
    """The gate a hub forwards passages for: the passages count as that gate's own, under its
    nonces and its gate, so a gate that uploads to the hub and to the service alike (or a hub
    that sends a batch again) registers each passage once. A gate revoked since still has its
    passages taken: the hub acknowledged them while the gate was in service."""
    row = (
        await session.execute(
            select(Device.id, Device.name, Device.role, Gate.name)
            .outerjoin(Gate, Gate.id == Device.gate_id)
            .where(Device.name == device_name)
        )
    ).first()
    if row is None or row[2] != "gate":
        raise ForbiddenError(
            f"hub {hub.device_name!r} forwards passages of gates only: {device_name!r} is none"
        )
    return Principal(device_id=row[0], device_name=row[1], role="gate", gate=row[3])


async def sale_forwarded_for(session: AsyncSession, hub: Principal, device_name: str) -> Principal:
    """The till a hub forwards a sale for: the sale counts as that till's own, under its nonce, so
    a till that also uploads it itself (or a hub that sends it again) registers it once. A till
    revoked since still has its sale taken: the hub acknowledged it while the till was in service."""
    row = (
        await session.execute(select(Device.id, Device.name, Device.role).where(Device.name == device_name))
    ).first()
    if row is None or row[2] != "box_office":
        raise ForbiddenError(
            f"hub {hub.device_name!r} forwards sales of box offices only: {device_name!r} is none"
        )
    return Principal(device_id=row[0], device_name=row[1], role="box_office", gate=None)


async def _refusal(session: AsyncSession, digest: str) -> Refusal:
    """Why a token that authenticates nobody is refused: its device was revoked, the token alone
    was (rotated, or revoked by its id), or the service never made it."""
    device_revoked_at = (
        await session.execute(
            select(Device.revoked_at)
            .join(Token, Token.device_id == Device.id)
            .where(Token.token_hash == digest)
        )
    ).first()
    if device_revoked_at is None:
        return Refusal.UNKNOWN
    return Refusal.TOKEN_REVOKED if device_revoked_at[0] is None else Refusal.DEVICE_REVOKED
