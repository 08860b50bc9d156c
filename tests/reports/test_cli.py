"""`admission report`, `import-scans`, `review-conflict` and `notice`: output and exit codes."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from rich.console import Console

from admission import cli
from admission.cli import main
from admission.cli import reports as reports_cli
from admission.contract import OutageSummary
from admission.demo import DemoVenue
from admission.domain.wording import duration_words
from admission.services.reports import OutagesReport
from tests.reports.scripted_day import CONFLICT_NONCE, DAY


@pytest.fixture(autouse=True)
def wide_console(monkeypatch: pytest.MonkeyPatch) -> None:
    """Tables as wide as they like (captured output would wrap at 80 columns)."""
    monkeypatch.setattr(reports_cli, "console", Console(width=250))
    monkeypatch.setattr(reports_cli, "errors", Console(width=250, stderr=True))
    monkeypatch.setattr(cli, "errors", Console(width=250, stderr=True))


def run_cli(venue: DemoVenue, *args: str) -> int:
    return main([*args, "--database-url", venue.database_url, "--data-dir", venue.data_dir])


def test_report_prints_a_table_in_venue_time(scripted: DemoVenue, capsys: pytest.CaptureFixture[str]) -> None:
    day = DAY.isoformat()
    assert run_cli(scripted, "report", "passages", "--from", day, "--to", day, "--gate", "Main gate") == 0
    out = capsys.readouterr().out
    assert "Passages: Fri 2026-06-12 (Europe/Copenhagen), gate Main gate" in out
    assert "2026-06-12 09:00" in out and "│ 15 " in out
    assert "Refused visitors" in out and "Misreads" in out and "refused" not in out  # labels, not field names
    assert run_cli(scripted, "report", "occupancy", "--from", day, "--to", day) == 0
    out = capsys.readouterr().out
    assert "Inside now: arena 5, zoo 19" in out and "Peak (at bucket ends): arena 7, zoo 20" in out
    assert run_cli(scripted, "report", "summary", "--from", day, "--to", day) == 0
    out = capsys.readouterr().out
    assert "Open conflicts (all time)" in out and "Misreads (no ticket)" in out
    assert "admitted" not in out.lower()  # entries and exits, never one figure of both
    assert run_cli(scripted, "report", "outages", "--from", day, "--to", day) == 0
    out = capsys.readouterr().out
    assert "2 outage(s) on 2 device(s), 65 min in total" in out
    assert "Duration" in out and "duration_seconds" not in out and " min" in out
    assert run_cli(scripted, "report", "reasons", "--from", day, "--to", day) == 0
    out = capsys.readouterr().out
    assert "Already used" in out and "already_used" not in out


def test_report_csv_file(scripted: DemoVenue, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    target = tmp_path / "reasons.csv"
    assert (
        run_cli(
            scripted,
            "report",
            "reasons",
            "--from",
            DAY.isoformat(),
            "--to",
            DAY.isoformat(),
            "--csv",
            str(target),
        )
        == 0
    )
    rows = list(csv.DictReader(target.open()))
    assert {(r["verdict"], r["reason"]): int(r["scans"]) for r in rows} == {
        ("admit", "ok"): 30,
        ("admit", "already_used"): 1,
        ("reject", "invalid"): 3,
        ("reject", "already_used"): 2,
    }
    assert "Wrote 4 rows" in capsys.readouterr().err


def test_conflict_review_from_the_command_line(
    scripted: DemoVenue, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run_cli(scripted, "report", "conflicts") == 0
    assert CONFLICT_NONCE in capsys.readouterr().out
    assert run_cli(scripted, "review-conflict", CONFLICT_NONCE, "--note", "checked with the arena staff") == 0
    assert run_cli(scripted, "review-conflict", CONFLICT_NONCE) == 2
    assert "reviewed already" in capsys.readouterr().err
    assert run_cli(scripted, "review-conflict", "no-such-nonce") == 2


def test_import_scans_prints_results_and_is_idempotent(
    venue: DemoVenue, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    ticket = next(t for t in venue.tickets if t.template == "Day ticket")
    log = tmp_path / "gate.txt"
    log.write_bytes(f"{ticket.number}\r\n\r\nnot a code\r\n{ticket.number}\n".encode())
    assert run_cli(venue, "import-scans", str(log), "--gate", "Main gate") == 0
    out = capsys.readouterr().out
    assert "admitted" in out and "Already used" in out and "not a code" in out
    assert (
        "1 admitted, 1 rejected, 1 not codes, 0 imported before, 1 blank; 2 new passages registered." in out
    )
    assert run_cli(venue, "import-scans", str(log), "--gate", "Main gate", "--at", "2026-06-12T10:00") == 0
    assert "0 new passages registered" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["import-scans", "{missing}", "--gate", "Main gate"], "no such file"),
        (["import-scans", "{folder}", "--gate", "Main gate"], "is a folder"),
        (["import-scans", "{log}", "--gate", "Back door"], "unknown gate 'Back door'"),
        (["import-scans", "{log}", "--gate", "Main gate", "--at", "yesterday-ish"], "cannot read the time"),
        (["report", "passages", "--from", "2026-02-30"], "cannot read the time"),
        (["report", "passages", "--gate", "Back door"], "unknown gate"),
        (["report", "summary", "--csv", "-"], "no rows to export"),
        (["notice", "set", "Cash only", "--for", "a while"], "cannot read the duration"),
        (["notice", "set", "Cash only", "--for", "90d"], "at most 31 days"),
        (["notice", "end", "42"], "no notice 42"),
    ],
)
def test_mistakes_exit_2_with_a_message(
    venue: DemoVenue, tmp_path: Path, capsys: pytest.CaptureFixture[str], args: list[str], message: str
) -> None:
    log = tmp_path / "log.txt"
    log.write_text("1\n")
    paths = {"missing": str(tmp_path / "missing.txt"), "folder": str(tmp_path), "log": str(log)}
    assert run_cli(venue, *(a.format(**paths) for a in args)) == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err


def test_unknown_report_kind_is_a_usage_error(venue: DemoVenue) -> None:
    with pytest.raises(SystemExit) as exit_info:
        run_cli(venue, "report", "weather")
    assert exit_info.value.code == 2


def test_notices_from_the_command_line(venue: DemoVenue, capsys: pytest.CaptureFixture[str]) -> None:
    assert run_cli(venue, "notice", "set", "Card payments are down, cash only", "--for", "2h") == 0
    assert "shows on every gate and box office until" in capsys.readouterr().out
    assert run_cli(venue, "notice", "list") == 0
    assert "Card payments are down" in capsys.readouterr().out
    assert run_cli(venue, "notice", "end", "1") == 0
    assert run_cli(venue, "notice", "list") == 0
    assert "Card payments" not in capsys.readouterr().out


@pytest.mark.parametrize(
    ("seconds", "text"),
    [(0, "0 s"), (20.4, "20 s"), (59.6, "1 min"), (200, "3 min 20 s"), (3900, "65 min")],
)
def test_outage_durations_read_in_minutes_and_seconds(seconds: float, text: str) -> None:
    assert duration_words(seconds) == text


def test_a_sub_minute_outage_is_not_zero_minutes(capsys: pytest.CaptureFixture[str]) -> None:
    summary = OutageSummary(
        outages=1, ongoing=0, devices=1, total_duration_seconds=20.0, longest_seconds=20.0,
        passages_offline=3, sales_offline=0, not_yet_registered=0, last_registered_at=None,
    )
    report = OutagesReport(
        kind="outages", timezone="Europe/Copenhagen", start=None, end=None, summary=summary, rows=[]
    )
    reports_cli.print_extras(report)
    out = capsys.readouterr().out
    assert "1 outage(s) on 1 device(s), 20 s in total (longest 20 s)" in out
