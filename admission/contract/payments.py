"""Payment routines on the wire: card-terminal incidents (more follow in this module)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import msgspec

Cause = Annotated[str, msgspec.Meta(min_length=1, max_length=150)]
Note = Annotated[str, msgspec.Meta(max_length=500)]


class TerminalIncidentIn(msgspec.Struct, kw_only=True):
    """A till's card terminal went down (and, once `ended_at` is set, came back).

    Put under the till's own nonce: the till sends it when the switch goes on and again when it
    goes off, from its outbox when offline; the service keeps one incident per (device, nonce).
    """

    started_at: datetime
    ended_at: datetime | None = None
    cause: Cause
    note: Note | None = None


class MethodUse(msgspec.Struct, kw_only=True):
    """How guests paid at the till while its terminal was down (the seed's "alternative methods used")."""

    method: str
    sales: int
    cents: int


class TerminalIncidentOut(msgspec.Struct, kw_only=True):
    id: int
    device: str
    nonce: str
    started_at: datetime
    ended_at: datetime | None
    duration_seconds: float | None  # ongoing: None
    cause: str
    note: str | None
    received_at: datetime
    paid_with: list[MethodUse] = []
