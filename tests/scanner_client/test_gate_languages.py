"""A gate speaks its PC's language, else the venue's: on screen (Pilot, on a real local store)
and in its commands; and no word on its screens escapes the catalogues."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import msgspec
import pytest

from admission import i18n
from admission.contract import Change, VenueData
from scanner_client.cli import main
from scanner_client.core.language import choose_language, device_language, speak_device_language
from scanner_client.gate.bigtext import big
from scanner_client.gate.screens.supervisor import SupervisorScreen
from scanner_client.gate.screens.unsynced import UnsyncedScreen
from scanner_client.gate.store import GateStore
from tests.scanner_client.client_support import SUPERVISOR_PIN, VenueSnapshot
from tests.scanner_client.test_client_app import make_app, scan, text
from tests.support.pseudo_locale import speaking_pseudo, untranslated, visible_texts


@pytest.fixture(autouse=True)
def english_afterwards() -> Iterator[None]:
    yield
    i18n.set_language("en")


async def test_a_gate_set_to_swedish_speaks_swedish_on_screen(store: GateStore, venue: VenueSnapshot) -> None:
    ticket = venue.issue(VenueSnapshot.SINGLE)
    venue.apply(store)
    choose_language(store, "sv")
    speak_device_language(store)
    app = make_app(store)
    async with app.run_test(size=(100, 40)) as pilot:
        assert text(app, "#headline") == "Klar: skanna en biljett"
        await scan(pilot, app, ticket.number)
        assert text(app, "#word") == big("GILTIG")
        assert text(app, "#headline") == "Välkommen"
        assert "offline" in text(app, "#detail")
        await scan(pilot, app, ticket.number)
        assert text(app, "#word") == big("NEKAD")
        assert text(app, "#headline") == "Redan använd"
        assert text(app, "#detail").startswith("Redan använd vid Main kl. ")
        assert "I dag vid Main:" in text(app, "#counters")
        footer = [b.binding.description for b in app.screen.active_bindings.values() if b.binding.show]
        assert "Riktning in/ut" in footer and "Avsluta" in footer


def test_a_gate_speaks_the_venues_language_unless_its_own_is_set(store: GateStore) -> None:
    assert device_language(store) == "en"
    venue = VenueData(name="Stadsmuseet", timezone="Europe/Stockholm", language="sv-SE")
    change = Change(seq=10_000, kind="venue", key="venue", data=msgspec.Raw(msgspec.json.encode(venue)))
    store.apply_changes([change], 10_000)
    assert device_language(store) == "sv"
    choose_language(store, "fi")
    assert device_language(store) == "fi"
    choose_language(store, "venue")
    assert device_language(store) == "sv"


def test_set_language_changes_the_gates_language_and_refuses_unknown_ones(
    store: GateStore, data_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["--data-dir", str(data_dir), "set-language", "de"]) == 0
    assert "Deutsch" in capsys.readouterr().err
    assert device_language(store) == "de"
    assert main(["--data-dir", str(data_dir), "set-language", "klingon"]) == 2
    assert "choose one of en, sv, da, de, fi" in capsys.readouterr().err
    assert device_language(store) == "de"


def test_gate_commands_speak_the_gates_language(
    store: GateStore, data_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    choose_language(store, "da")
    assert main(["--data-dir", str(data_dir), "status", "--no-probe"]) == 0
    out = capsys.readouterr().out
    assert "ikke tjekket" in out and "sprog" in out and "Dansk" in out


def test_every_verdict_word_has_block_letters_in_every_language() -> None:
    for language in i18n.LANGUAGES:
        with i18n.speaking(language):
            for word in (i18n._("ADMIT"), i18n._("REJECT"), i18n._("CHECKING")):
                assert "█" in big(word), (language, word)


GATE_DATA = ["Main", "Day ticket", "Test Venue", "Europe/Berlin", "gate-pc-1"]


async def test_no_word_on_the_gates_screens_escapes_the_catalogues(
    store: GateStore, venue: VenueSnapshot, monkeypatch: pytest.MonkeyPatch
) -> None:
    ticket, stranger = venue.issue(VenueSnapshot.SINGLE), "NOT-A-TICKET-42"
    venue.apply(store)
    with speaking_pseudo(monkeypatch):
        app = make_app(store)
        async with app.run_test(size=(120, 40)) as pilot:
            seen = visible_texts(app)
            await scan(pilot, app, ticket.number)
            seen += visible_texts(app)
            await scan(pilot, app, ticket.number)
            seen += visible_texts(app)
            await scan(pilot, app, stranger)
            seen += visible_texts(app)
            await pilot.press("f3")
            await pilot.pause()
            assert isinstance(app.screen, UnsyncedScreen)
            seen += visible_texts(app)
            await pilot.press("escape")
            await pilot.pause()
            await scan(pilot, app, ticket.number)
            await pilot.press("f4")
            await pilot.pause()
            assert isinstance(app.screen, SupervisorScreen)
            await pilot.press(*SUPERVISOR_PIN, "enter", "enter")
            await pilot.pause()
            seen += visible_texts(app)
    data = [*GATE_DATA, ticket.number, stranger, *(p.nonce for p in store.queued(100))]
    missing = untranslated(seen, data)
    assert missing == [], "\n".join(missing)


@pytest.mark.parametrize("command", ["enroll", "enroll-box-office"])
def test_enrolment_refuses_a_language_it_does_not_speak_before_contacting_anyone(
    tmp_path: Path, command: str, capsys: pytest.CaptureFixture[str]
) -> None:
    args = ["--data-dir", str(tmp_path / "pc"), command, "--server", "http://127.0.0.1:9", "--token", "adm_gate_x"]
    if command == "enroll":
        args += ["--gate", "Main gate"]
    assert main([*args, "--language", "klingon"]) == 2
    assert "choose one of en, sv, da, de, fi" in capsys.readouterr().err
