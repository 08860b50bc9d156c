"""`admission` speaks --language, else $ADMISSION_LANGUAGE, else the venue's language; and no
word of its reports escapes the catalogues."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from admission import i18n
from admission.cli import common
from admission.config import Settings
from admission.demo import DemoVenue
from admission.services import catalog
from tests.reports.scripted_day import DAY
from tests.reports.test_cli import run_cli, wide_console  # noqa: F401 (an autouse fixture)
from tests.support.pseudo_locale import speaking_pseudo, untranslated


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
        for report in ("summary", "passages", "occupancy", "outages", "reasons"):
            assert run_cli(scripted, "--language", "en", "report", report, "--from", day, "--to", day) == 0
            printed.append(capsys.readouterr().out)
    data = [
        "Europe/Copenhagen",
        "Fri",
        "Main gate",
        "North gate",
        "Arena door",
        "Arena entrance",
        "arena",
        "zoo",
        "gate-north",
        "box-office-1",
    ]
    missing = untranslated(printed, data)
    assert missing == [], "\n".join(missing)
