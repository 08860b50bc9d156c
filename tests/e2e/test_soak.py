"""The fault-injection soak (bench/soak.py) for 30 s on SQLite: real service, gates and till
processes through the faulty proxy, workers, supervisor and gates SIGKILLed. Nothing a gate
printed or the till saw acknowledged may be lost or counted twice."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.slow
def test_a_short_soak_loses_and_doubles_nothing(tmp_path: Path) -> None:
    summary_file = tmp_path / "soak.json"
    command = [sys.executable, str(ROOT / "bench" / "soak.py"), "--backend", "sqlite", "--seconds", "30"]
    command += [
        "--seed",
        "20261203",
        "--fault-min",
        "2",
        "--fault-max",
        "5",
        "--summary-json",
        str(summary_file),
    ]
    done = subprocess.run(command, capture_output=True, text=True, timeout=900)
    assert summary_file.exists(), f"the soak did not finish:\n{done.stdout[-4000:]}\n{done.stderr[-4000:]}"
    summary = json.loads(summary_file.read_text())
    problems = {kind: items for kind, items in summary["problems"].items() if items}
    assert summary["lost"] == 0, problems
    assert summary["doubled"] == 0, problems
    assert summary["not_drained"] == 0, summary["unsynced"]
    assert done.returncode == 0, done.stdout[-4000:]
    # Both paths ran: verdicts online and offline, sales online and offline, faults injected.
    assert 0 < summary["verdicts_printed_offline"] < summary["verdicts_printed"]
    assert summary["sales_online"] > 0 and summary["sales_offline"] > 0
    assert sum(summary["faults"].values()) > 0
    assert all(periods > 0 for periods in summary["offline_periods"].values())
