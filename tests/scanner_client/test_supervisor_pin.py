"""The supervisor PIN after enrolment: changed at the gate with the current PIN (F6), or set,
changed and removed on the PC with `scanner-client set-pin`; stored only as a hash."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from textual.widgets import Static

from admission.domain.model import Reason
from scanner_client.cli import main
from scanner_client.gate.screens.pin import ChangePinScreen
from scanner_client.gate.screens.supervisor import SupervisorScreen
from scanner_client.gate.settings import verify_pin
from scanner_client.gate.store import GateStore
from tests.scanner_client.client_support import SUPERVISOR_PIN, VenueSnapshot
from tests.scanner_client.test_client_app import make_app, scan, until


def set_pin(data_dir: Path, monkeypatch: pytest.MonkeyPatch, typed: str, *options: str) -> int:
    monkeypatch.setattr("sys.stdin", io.StringIO(typed + "\n"))
    return main(["--data-dir", str(data_dir), "set-pin", *options])


def test_set_pin_stores_only_a_hash_and_can_remove_it(
    store: GateStore, data_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert set_pin(data_dir, monkeypatch, "97531") == 0
    stored = store.get_config("pin_hash")
    assert stored is not None and "97531" not in stored
    assert verify_pin("97531", stored) and not verify_pin(SUPERVISOR_PIN, stored)

    assert set_pin(data_dir, monkeypatch, "12") != 0  # too short: nothing changes
    assert store.get_config("pin_hash") == stored

    assert set_pin(data_dir, monkeypatch, "", "--remove") == 0
    assert store.get_config("pin_hash") is None


async def test_the_pin_is_changed_at_the_gate_with_the_current_one(
    store: GateStore, venue: VenueSnapshot
) -> None:
    ticket = venue.issue(VenueSnapshot.SINGLE, status="void", void_reason="reissued")
    venue.apply(store)
    app = make_app(store)
    async with app.run_test(size=(100, 40)) as pilot:
        await pilot.press("f6")
        assert isinstance(app.screen, ChangePinScreen)
        await pilot.press(*"0000", "enter", *"8642", "enter", *"8642", "enter")
        await until(
            pilot, lambda: "Wrong current PIN" in str(app.screen.query_one("#pin-error", Static).content)
        )
        enrolled = store.get_config("pin_hash")
        await pilot.press(*SUPERVISOR_PIN, "enter", *"8642", "enter", *"8642", "enter")
        await until(pilot, lambda: store.get_config("pin_hash") != enrolled)
        assert not isinstance(app.screen, ChangePinScreen)
        stored = store.get_config("pin_hash")
        assert stored is not None and verify_pin("8642", stored) and "8642" not in stored

        # The new PIN is the one an override asks for; the old one is refused.
        await scan(pilot, app, ticket.number)
        await pilot.press("f4", *SUPERVISOR_PIN, "enter", *"lost ticket", "enter")
        assert "Wrong PIN" in str(app.screen.query_one("#supervisor-error", Static).content)
        await pilot.press(*"8642", "enter", "enter")
        await until(pilot, lambda: app.outcomes_shown == 2)
        assert app.last_outcome is not None and app.last_outcome.override


async def test_a_running_gate_uses_a_pin_set_from_the_command_line(
    store: GateStore, venue: VenueSnapshot, data_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    ticket = venue.issue(VenueSnapshot.SINGLE)
    venue.apply(store)
    store.set_config(pin_hash=None)
    app = make_app(store)
    async with app.run_test(size=(100, 40)) as pilot:
        await scan(pilot, app, ticket.number)
        await pilot.press("f4")
        assert not isinstance(app.screen, SupervisorScreen)  # no PIN: no overrides
        assert set_pin(data_dir, monkeypatch, "55555") == 0
        await pilot.press("f4")
        assert isinstance(app.screen, SupervisorScreen)
        await pilot.press(*"55555", "enter", *"wrong ticket", "enter")
        await until(pilot, lambda: app.outcomes_shown == 2)
        assert app.last_outcome is not None and app.last_outcome.reason is Reason.TURNED_AWAY
