"""`admission` speaks --language, else $ADMISSION_LANGUAGE, else the venue's language; and no
word of its reports escapes the catalogues."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import pytest
from babel.dates import format_date
from rich.console import Console
from sqlalchemy import select

from admission import cli, i18n
from admission.cli import admin, common
from admission.cli import fleet as fleet_cli
from admission.cli import reports as reports_cli
from admission.cli import service as service_cli
from admission.cli import venue as venue_cli
from admission.config import Settings
from admission.db.models import IssuerKey
from admission.demo import DemoVenue
from admission.services import catalog, devices
from tests.reports.scripted_day import CONFLICT_NONCE, DAY
from tests.reports.test_cli import run_cli, wide_console  # noqa: F401 (an autouse fixture)
from tests.support.pseudo_locale import speaking_pseudo, untranslated

MORE_REPORTS = ("sources", "templates", "conflicts", "lookup-misses")

# The demo venue's names of gates, zones, devices, templates and events: data, shown as they are.
DEMO_NAMES = [
    "Main gate",
    "North gate",
    "Arena door",
    "Arena entrance",
    "arena",
    "zoo",
    "gate-main",
    "gate-north",
    "gate-arena",
    "gate-arena-entrance",
    "box-office-1",
    "manager",
    "night-manager",
    "Day ticket",
    "10-visit card",
    "Weekend pass",
    "Concert entry (fallback)",
    "Concert ticket",
    "Evening concert",
]


@pytest.fixture(autouse=True)
def english_afterwards(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.delenv("ADMISSION_LANGUAGE", raising=False)
    yield
    i18n.set_language("en")
    common.follow_venue_language = False


def test_a_report_in_the_language_asked_for(scripted: DemoVenue, capsys: pytest.CaptureFixture[str]) -> None:
    day = DAY.isoformat()
    assert run_cli(scripted, "--language", "sv", "report", "passages", "--from", day, "--to", day) == 0
    out = capsys.readouterr().out
    assert "Passager: fre 2026-06-12 (Europe/Copenhagen)" in out and "Nekade besökare" in out


def test_the_environment_then_the_venue_choose_the_language(
    scripted: DemoVenue, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    day = DAY.isoformat()
    monkeypatch.setenv("ADMISSION_LANGUAGE", "fi")
    assert run_cli(scripted, "report", "summary", "--from", day, "--to", day) == 0
    assert "Yhteenveto: pe 2026-06-12" in capsys.readouterr().out
    monkeypatch.delenv("ADMISSION_LANGUAGE")
    settings = Settings.load(scripted.database_url, scripted.data_dir)
    common.run(common.writing(settings, lambda session: catalog.save_venue_locale(session, "DKK", "da")))
    assert run_cli(scripted, "report", "summary", "--from", day, "--to", day) == 0
    assert "Oversigt: fre. 2026-06-12" in capsys.readouterr().out


def test_an_unknown_language_is_refused_with_the_ones_there_are(
    scripted: DemoVenue, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run_cli(scripted, "--language", "xx", "report", "summary") == 2
    assert "choose one of en, sv, da, de, fi" in capsys.readouterr().err


def test_no_word_of_the_reports_escapes_the_catalogues(
    scripted: DemoVenue, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    day = DAY.isoformat()
    printed = []
    with speaking_pseudo(monkeypatch):
        for report in ("summary", "passages", "occupancy", "outages", "reasons", *MORE_REPORTS):
            assert run_cli(scripted, "--language", "en", "report", report, "--from", day, "--to", day) == 0
            printed.append(capsys.readouterr().out)
    # The service's record of a conflict, as it wrote it (its reason is in words in its own column).
    data = ["Europe/Copenhagen", "Fri", "day-arena-door-18:31-0", "Admitted offline, but: Already used", *DEMO_NAMES]
    missing = untranslated(printed, data)
    assert missing == [], "\n".join(missing)


@pytest.fixture
def wide_admin_consoles(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every command module's consoles wide (a cell wrapped across lines would split its brackets)."""
    for module in (common, admin, fleet_cli, service_cli, venue_cli, reports_cli, cli):
        for name in ("console", "errors"):
            if hasattr(module, name):
                stderr = name == "errors"
                monkeypatch.setattr(module, name, Console(width=400, stderr=stderr, soft_wrap=True))


def test_no_word_of_the_administration_commands_escapes_the_catalogues(
    scripted: DemoVenue,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    wide_admin_consoles: None,
) -> None:
    """tokens, keys, templates, venue, devices, notice, import-scans, review-conflict, auto-exit and
    issue: every message, table heading and word in their tables comes from the catalogues."""
    settings = Settings.load(scripted.database_url, scripted.data_dir)
    exported, scan_log, sheet = tmp_path / "venue.toml", tmp_path / "scans.txt", tmp_path / "tickets.csv"
    new_venue = tmp_path / "night-zoo"
    scan_log.write_text(f"{scripted.tickets[0].number}\nnot a code\n{scripted.tickets[0].number}\n")
    printed: list[str] = []

    def run(*args: str, code: int = 0) -> None:
        assert run_cli(scripted, "--language", "en", *args) == code, args
        captured = capsys.readouterr()
        printed.extend([captured.out, captured.err])

    with speaking_pseudo(monkeypatch):
        run("tokens", "create", "--name", "night-manager", "--role", "viewer")
        listed = common.run(common.reading(settings, devices.list_devices))
        night = str(next(d.id for d in listed if d.name == "night-manager"))
        run("tokens", "rotate", night)
        run("tokens", "revoke", night)
        run("tokens", "list")
        run("keys", "list")
        run("keys", "rotate")
        run("templates", "list")
        run("venue", "show")
        run("venue", "set", "--vat-rate", "25")
        run("venue", "export", "--out", str(exported))
        run("venue", "apply", str(exported), "--dry-run")
        run("devices")
        run("notice", "set", "Cash only", "--for", "2h")
        run("notice", "list", "--all")
        run("notice", "end", "1")
        run("import-scans", str(scan_log), "--gate", "Main gate")
        run("review-conflict", CONFLICT_NONCE, "--note", "checked")
        run("auto-exit", "--at", "2026-06-12T23:00:00+02:00")
        run("issue", "--template", "Day ticket", "--count", "2", "--out", str(sheet))
        run("notice", "set", "Cash only", "--for", "a while", code=2)
        run("import-scans", str(tmp_path / "missing.txt"), "--gate", "Main gate", code=2)
        run("venue", "export", "--out", str(exported), code=2)
        assert cli.main(["--language", "en", "init", "--venue", "Night zoo", "--data-dir", str(new_venue)]) == 0
        captured = capsys.readouterr()
        printed.extend([captured.out, captured.err])
    text = "\n".join(printed)
    keys = common.run(common.reading(settings, lambda session: session.scalars(select(IssuerKey.public_key))))
    data = [
        *re.findall(r"sqlite\S+", text),
        *(str(path) for path in (exported, scan_log, sheet, tmp_path / "missing.txt", new_venue / "keys")),
        "'Night zoo'",
        str(scripted.data_dir),
        scripted.database_url,
        *re.findall(r"adm_\S+", text),  # tokens
        *(key[:16] for key in keys),
        *(t.number for t in scripted.tickets),
        # The service's own records of a verdict and the file's field names, as they are.
        "Admitted",
        "Already used",
        "Not a ticket code",
        "Europe/Copenhagen",
        "Demo Zoo & Arena",
        "Cash only",
        "checked",
        "'a while'",
        "not a code",  # a line of the scan log
        "admin",  # the device `init` makes
        format_date(datetime.now(), "MMM", locale="en_GB"),  # the keys' dates
        *DEMO_NAMES,
    ]
    missing = untranslated(printed, data)
    assert missing == [], "\n".join(missing)
