"""The soak's own accounting (bench/soak_check.py): what counts as lost, and the one half-done
scan a SIGKILL of a gate may leave behind."""

from __future__ import annotations

import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))

from soak_check import Records, ScanRow, check_passages

AT = datetime(2026, 12, 3, 12, 0, tzinfo=UTC)


def printed_admit(nonce: str) -> dict[str, Any]:
    return {"nonce": nonce, "verdict": "admit", "mode": "offline"}


def stored(nonce: str, verdict: str, reason: str) -> ScanRow:
    return ScanRow(
        nonce=nonce, device="gate-main", verdict=verdict, reason=reason, source="offline", annulled=False,
        conflict=False, scanned_at=AT, received_at=AT, ticket_serial="1",
    )  # fmt: skip


def records(*rows: ScanRow) -> Records:
    return Records(scans=list(rows), nonce_counts={}, sales=[], sale_tickets={})


def test_a_printed_admit_uploaded_as_turned_away_by_a_killed_gate_is_its_kill_artefact() -> None:
    shown = {"gate-main": [printed_admit("g-1"), printed_admit("g-2")]}
    rows = records(stored("g-1", "admit", "ok"), stored("g-2", "reject", "turned_away"))

    killed = check_passages(shown, {"gate-main": 1}, rows)
    assert killed.lost == 0 and killed.doubled == 0
    assert killed.killed_after_printing == {"gate-main": 1}

    never_killed = check_passages(shown, {}, rows)
    assert never_killed.lost == 1 and never_killed.admissions_lost[0].startswith("gate-main g-2")


def test_one_kill_explains_one_half_done_scan_not_two() -> None:
    shown = {"gate-main": [printed_admit("g-1")]}
    rows = records(stored("g-1", "reject", "turned_away"), stored("g-9", "admit", "ok"))  # g-9 never printed
    result = check_passages(shown, {"gate-main": 1}, rows)
    assert result.lost == 0 and result.unexplained_excess == 1 and result.doubled == 1
