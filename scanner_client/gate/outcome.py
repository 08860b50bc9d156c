"""What the gate shows for one scan, on screen and as headless mode's JSON line."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from admission.domain.model import Direction, Reason, Verdict
from scanner_client.gate.verdicts import Judgement


class GateNotKnown(RuntimeError):
    pass


@dataclass(frozen=True, slots=True)
class ScanOutcome:
    """What the gate shows for one scan."""

    nonce: str
    code: str
    verdict: Verdict
    reason: Reason
    message: str
    mode: str  # online | offline
    direction: Direction
    scanned_at: datetime
    entries_left: int | None = None
    template_name: str | None = None
    ticket_serial: int | None = None
    override: bool = False
    # Why the gate refused to decide at all ("device_revoked", "offline_limit"): nobody passed and
    # nothing was recorded; `message` says why and what to do.
    blocked: str | None = None
    reentry: bool = False  # a free re-entry (no entry counted)

    @property
    def admitted(self) -> bool:
        return self.verdict is Verdict.ADMIT

    @classmethod
    def judged(
        cls, nonce: str, code: str, judgement: Judgement, direction: Direction, at: datetime, mode: str
    ) -> ScanOutcome:
        decision = judgement.decision
        return cls(
            nonce=nonce,
            code=code,
            verdict=decision.verdict,
            reason=decision.reason,
            message=decision.message,
            mode=mode,
            direction=direction,
            scanned_at=at,
            entries_left=decision.entries_left,
            template_name=judgement.template_name,
            ticket_serial=judgement.ticket_serial,
            reentry=decision.reentry,
        )

    @classmethod
    def refused(
        cls, blocked: str, code: str, message: str, direction: Direction, at: datetime
    ) -> ScanOutcome:
        """The gate would not decide this scan (see `blocked`)."""
        return cls(
            nonce="",
            code=code,
            verdict=Verdict.REJECT,
            reason=Reason.TURNED_AWAY,
            message=message,
            mode="blocked",
            direction=direction,
            scanned_at=at,
            blocked=blocked,
        )

    def as_json(self) -> dict[str, object]:
        return {
            "verdict": self.verdict.value,
            "reason": self.reason.value,
            "message": self.message,
            "mode": self.mode,
            "nonce": self.nonce,
            "direction": self.direction.value,
            "template": self.template_name,
            "entries_left": self.entries_left,
            "scanned_at": self.scanned_at.isoformat(),
            "override": self.override,
            "blocked": self.blocked,
        }
