"""Scans, annulments, offline passage batches and occupancy on the wire."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

import msgspec

from admission.contract.common import NO_NUL, GateName, Nonce, RawCode
from admission.contract.feed import TicketStatus
from admission.domain.model import (
    Direction,
    Reason,
    Verdict,
)

ScanSource = Literal["online", "offline", "import", "override", "auto_exit"]


# registered: stored now; duplicate: this device sent this passage before (nothing stored twice);
# conflict: stored, flagged for a manager; refused: not stored, `detail` says why (another gate
# than the device's, or a nonce the device used for another scan). Only `registered` and
# `conflict` store anything.
BatchStatus = Literal["registered", "duplicate", "conflict", "refused"]


MAX_BATCH = 5000


class ScanRequest(msgspec.Struct, kw_only=True):
    code: RawCode
    gate: GateName
    nonce: Nonce
    direction: Direction = Direction.IN
    scanned_at: datetime | None = None


class TicketSummary(msgspec.Struct, kw_only=True):
    serial: str
    number: str | None
    template_id: int
    template: str
    event_id: int | None
    status: TicketStatus
    entries_left: int | None
    valid_from: datetime | None
    valid_until: datetime | None


class ScanResponse(msgspec.Struct, kw_only=True):
    verdict: Verdict
    reason: Reason
    message: str
    nonce: str
    scanned_at: datetime
    ticket: TicketSummary | None = None


MAX_OVERRIDE_REASON = 200
OverrideReason = Annotated[str, msgspec.Meta(min_length=1, max_length=MAX_OVERRIDE_REASON, pattern=NO_NUL)]


class BatchPassage(msgspec.Struct, kw_only=True):
    nonce: Nonce
    code: RawCode
    gate: GateName
    direction: Direction
    scanned_at: datetime
    local_verdict: Verdict
    local_reason: Reason
    # set when a supervisor overrode the local verdict; the gate caps what a supervisor types
    override_reason: OverrideReason | None = None


class BatchRequest(msgspec.Struct, kw_only=True):
    device: Annotated[str, msgspec.Meta(max_length=100)]
    passages: Annotated[list[BatchPassage], msgspec.Meta(max_length=MAX_BATCH)]


class BatchResult(msgspec.Struct, kw_only=True):
    nonce: str
    status: BatchStatus
    verdict: Verdict  # the stored verdict; for a refused passage, the gate's own
    reason: Reason
    detail: str | None = None  # why a passage was refused


class BatchResponse(msgspec.Struct, kw_only=True):
    results: list[BatchResult]


class AnnulResponse(msgspec.Struct, kw_only=True):
    nonce: str
    annulled_at: datetime


class Occupancy(msgspec.Struct, kw_only=True):
    at: datetime
    zones: dict[str, int]


class AutoExitRequest(msgspec.Struct, kw_only=True):
    at: datetime | None = None


class AutoExitResponse(msgspec.Struct, kw_only=True):
    exits_recorded: int
