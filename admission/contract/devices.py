"""Devices, their roles and the tokens issued to them."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

import msgspec

Role = Literal["admin", "box_office", "gate", "viewer"]


ROLES: tuple[Role, ...] = ("admin", "box_office", "gate", "viewer")


class DeviceIn(msgspec.Struct, kw_only=True):
    name: Annotated[str, msgspec.Meta(min_length=1, max_length=100, pattern=r"^[A-Za-z0-9_.-]+$")]
    role: Role
    gate: str | None = None
    # box-office devices sign tickets they sell offline; gates learn this key from the feed
    signing_public_key: Annotated[str, msgspec.Meta(pattern=r"^[0-9a-f]{64}$")] | None = None


class DeviceOut(msgspec.Struct, kw_only=True):
    id: int
    name: str
    role: str
    gate: str | None
    created_at: datetime
    revoked: bool
    key_id: int | None = None
    # holds a token of an older release (`adm_` for every role): rotate it (docs/security.md)
    legacy_token: bool = False


class IssuedToken(msgspec.Struct, kw_only=True):
    device: DeviceOut
    token: str  # shown once
