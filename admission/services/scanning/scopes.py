"""Whose scan is it: a device's nonces are its own, and a gate device scans at its own gate.

A nonce names a scan within a scope. A device's scans (online, offline, overrides, the
passages a gate decided itself) are in the device's own scope, so no device can take over
another's nonces. Nonces the service makes itself from what it registers (imported scan logs,
the nightly exit) are in the service's scope, whoever asked for them: the same log imported
twice, from the command line or through the API, registers nothing twice.

A repeated nonce is the same scan sent again only when it says the same thing: the same code,
gate and direction. Anything else under a nonce already used is refused, never taken for a
duplicate.
"""

from __future__ import annotations

from collections.abc import Sequence

import msgspec
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from admission.contract import ScanResponse
from admission.db.models import Scan
from admission.domain.codes import printable_code
from admission.domain.model import Direction
from admission.services.devices import Principal

SERVICE_SCOPE = 0  # device ids start at 1
SERVICE_SOURCES = frozenset({"import", "auto_exit"})

_decoder = msgspec.json.Decoder(ScanResponse)


def scope_of(source: str, device_id: int | None) -> int:
    """The scope a scan's nonce belongs to."""
    if source in SERVICE_SOURCES or device_id is None:
        return SERVICE_SCOPE
    return device_id


def device_scope(principal: Principal) -> int:
    return principal.device_id


def gate_refusal(principal: Principal, gate: str) -> str | None:
    """Why this device may not scan at `gate`, or None when it may. A gate device enrolled for
    a gate scans there only; one enrolled without a gate (a roaming handheld) and an admin
    scan anywhere."""
    if principal.role == "gate" and principal.gate is not None and gate != principal.gate:
        return f"this device scans at gate {principal.gate!r}, not at {gate!r}"
    return None


NONCE_REUSED = "this nonce was used by this device for another scan (another code, gate or direction)"


class ScanBody(msgspec.Struct, frozen=True, kw_only=True):
    """What a scan recorded under a nonce said: its code (as stored), gate and direction."""

    code: str
    gate: str
    direction: Direction

    def says_the_same(self, code: str, gate: str, direction: Direction) -> bool:
        return (self.code, self.gate, self.direction) == (printable_code(code), gate, direction)


class StoredScan(ScanBody, frozen=True, kw_only=True):
    """What a device said under a nonce before, and the answer it got."""

    answer: ScanResponse


async def stored_scan(session: AsyncSession, key: tuple[int, str]) -> StoredScan | None:
    """The scan recorded under this (scope, nonce), if any."""
    scope, nonce = key
    row = (
        await session.execute(
            select(Scan.code, Scan.gate, Scan.direction, Scan.answer).where(
                Scan.nonce_scope == scope, Scan.nonce == nonce
            )
        )
    ).first()
    if row is None:
        return None
    code, gate, direction, answer = row
    return StoredScan(code=code, gate=gate, direction=Direction(direction), answer=_decoder.decode(answer))


async def stored_scans(
    session: AsyncSession, keys: Sequence[tuple[int, str]]
) -> dict[tuple[int, str], StoredScan]:
    """The scans recorded before under any of these (scope, nonce) pairs."""
    wanted = set(keys)
    nonces = sorted({nonce for _, nonce in wanted})
    found: dict[tuple[int, str], StoredScan] = {}
    for start in range(0, len(nonces), 5000):
        rows = await session.execute(
            select(Scan.nonce_scope, Scan.nonce, Scan.code, Scan.gate, Scan.direction, Scan.answer).where(
                Scan.nonce.in_(nonces[start : start + 5000])
            )
        )
        for scope, nonce, code, gate, direction, answer in rows:
            if (scope, nonce) in wanted:
                found[(scope, nonce)] = StoredScan(
                    code=code, gate=gate, direction=Direction(direction), answer=_decoder.decode(answer)
                )
    return found
