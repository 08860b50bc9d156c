"""A gate's own passages as the rest of the client sees them: one scan recorded at this device,
the day's counters, and the passage as the batch upload sends it."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from admission.contract import BatchPassage
from admission.domain.model import Direction, Reason, Verdict
from scanner_client.core.database import StoreError, instant

INTERRUPTED_MESSAGE = "The gate stopped before showing a verdict: not admitted"

PASSAGE_COLUMNS = (
    "seq, nonce, code, gate, zone, from_zone, direction, scanned_at, source, ticket_serial, "
    "template_name, verdict, reason, message, entries_left, override_reason, upload, server_status, "
    "server_verdict, server_reason, annulled, annul_state, outage_id"
)


@dataclass(frozen=True, slots=True)
class LocalPassage:
    """One scan recorded at this device."""

    seq: int
    nonce: str
    code: str
    gate: str
    zone: str
    from_zone: str | None
    direction: Direction
    scanned_at: datetime
    source: str
    ticket_serial: int | None
    template_name: str | None
    verdict: Verdict | None
    reason: Reason | None
    message: str | None
    entries_left: int | None
    override_reason: str | None
    upload: bool
    server_status: str | None
    server_verdict: str | None
    server_reason: str | None
    annulled: bool
    annul_state: str | None
    outage_id: int | None

    @classmethod
    def from_row(cls, row: Sequence[Any]) -> LocalPassage:
        (seq, nonce, code, gate, zone, from_zone, direction, scanned_at, source, ticket_serial,
         template_name, verdict, reason, message, entries_left, override_reason, upload, server_status,
         server_verdict, server_reason, annulled, annul_state, outage_id) = row  # fmt: skip
        return cls(
            seq=int(seq),
            nonce=str(nonce),
            code=str(code),
            gate=str(gate),
            zone=str(zone),
            from_zone=from_zone,
            direction=Direction(direction),
            scanned_at=instant(scanned_at),
            source=str(source),
            ticket_serial=ticket_serial,
            template_name=template_name,
            verdict=Verdict(verdict) if verdict else None,
            reason=Reason(reason) if reason else None,
            message=message,
            entries_left=entries_left,
            override_reason=override_reason,
            upload=bool(upload),
            server_status=server_status,
            server_verdict=server_verdict,
            server_reason=server_reason,
            annulled=bool(annulled),
            annul_state=annul_state,
            outage_id=outage_id,
        )


@dataclass(frozen=True, slots=True)
class GateCounters:
    admitted: int = 0
    rejected: int = 0
    entered: int = 0
    exited: int = 0


def batch_passage(p: LocalPassage) -> BatchPassage:
    if p.verdict is None or p.reason is None:
        raise StoreError(f"passage {p.nonce} has no verdict yet and cannot be uploaded")
    return BatchPassage(
        nonce=p.nonce,
        code=p.code,
        gate=p.gate,
        direction=p.direction,
        scanned_at=p.scanned_at,
        local_verdict=p.verdict,
        local_reason=p.reason,
        override_reason=p.override_reason,
    )
