"""Scans: online validation and registration, offline batches, annulment, occupancy.

Every scan is stored as a fact, rejected ones too (`facts`); a nonce is registered once. Each
scan is judged by one rules path (`deciding.TicketIndex`), whether it came online in a group
(`online`), in an offline gate's batch (`batches`) or from an imported scan log. A gate can
take back a passage the turnstile did not let through (`annulment`); `occupancy` counts who is
inside and records the nightly exit.
"""

from admission.services.scanning.annulment import annul_passage, mark_annulled
from admission.services.scanning.batches import gate_nonce, register_batch
from admission.services.scanning.deciding import TicketIndex
from admission.services.scanning.facts import (
    CLOCK_SKEW_ALLOWED,
    ScanFact,
    check_scan_time,
    previous_answer,
    record_scans,
    stored_answers,
)
from admission.services.scanning.occupancy import auto_exit, exit_everyone, occupancy, occupancy_now
from admission.services.scanning.online import scan_online_group

__all__ = [
    "CLOCK_SKEW_ALLOWED",
    "ScanFact",
    "TicketIndex",
    "annul_passage",
    "auto_exit",
    "check_scan_time",
    "exit_everyone",
    "gate_nonce",
    "mark_annulled",
    "occupancy",
    "occupancy_now",
    "previous_answer",
    "record_scans",
    "register_batch",
    "scan_online_group",
    "stored_answers",
]
