"""Scans: online validation and registration, offline batches, annulment, occupancy.

Every scan is stored as a fact, rejected ones too (`facts`); a nonce is registered once within
its scope, the sending device's own (`scopes`). Each scan is judged by one rules path
(`deciding.TicketIndex`), whether it came online in a group (`online`), in an offline gate's
batch (`batches`) or from an imported scan log. A gate can take back a passage the turnstile
did not let through (`annulment`); `occupancy` counts who is inside and records the nightly
exit.
"""

from admission.services.scanning.annulment import annul_forwarded, annul_passage, mark_annulled
from admission.services.scanning.batches import gate_nonce, register_batch
from admission.services.scanning.deciding import TicketIndex
from admission.services.scanning.facts import CLOCK_SKEW_ALLOWED, ScanFact, check_scan_time, record_scans
from admission.services.scanning.occupancy import auto_exit, exit_everyone, occupancy, occupancy_now
from admission.services.scanning.online import replay, scan_online_group
from admission.services.scanning.scopes import (
    SERVICE_SCOPE,
    StoredScan,
    device_scope,
    gate_refusal,
    stored_scan,
    stored_scans,
)

__all__ = [
    "CLOCK_SKEW_ALLOWED",
    "SERVICE_SCOPE",
    "ScanFact",
    "StoredScan",
    "TicketIndex",
    "annul_forwarded",
    "annul_passage",
    "auto_exit",
    "check_scan_time",
    "device_scope",
    "exit_everyone",
    "gate_nonce",
    "gate_refusal",
    "mark_annulled",
    "occupancy",
    "occupancy_now",
    "record_scans",
    "register_batch",
    "replay",
    "scan_online_group",
    "stored_scan",
    "stored_scans",
]
