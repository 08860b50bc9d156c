"""What one sync did, for the command line and the logs: the gate's and the till's alike."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class SyncReport:
    uploaded: int = 0  # records the service acknowledged (passages, sales)
    conflicts: int = 0  # of those, passages the service flagged as conflicts
    refused: int = 0  # records the service will never take: set aside, flagged
    resolved: int = 0  # lost answers settled (sales whose answer never came)
    changes: int = 0  # feed changes applied
    outages_posted: int = 0
    errors: list[str] = field(default_factory=list)
