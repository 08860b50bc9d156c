"""The gate app driven by Textual's Pilot, on a real local store (offline: no server here)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path

from textual.pilot import Pilot
from textual.widgets import DataTable, Input, Static

from admission.barcodes import qr_png
from admission.contract import BatchResult
from admission.domain.codes import now_utc
from admission.domain.model import Direction, Reason, Verdict
from scanner_client.gate.app import GateApp
from scanner_client.gate.engine import GateEngine
from scanner_client.gate.screens.supervisor import SupervisorScreen
from scanner_client.gate.screens.unsynced import UnsyncedScreen
from scanner_client.gate.settings import Settings
from scanner_client.gate.store import GateStore
from tests.scanner_client.client_support import SUPERVISOR_PIN, VenueSnapshot


def make_app(store: GateStore, **settings: object) -> GateApp:
    loaded = Settings.load(store)
    for name, value in settings.items():
        setattr(loaded, name, value)
    return GateApp(GateEngine(store, loaded, remote=None))


async def until(pilot: Pilot[None], condition: Callable[[], bool], seconds: float = 5.0) -> None:
    for _ in range(int(seconds / 0.02)):
        if condition():
            return
        await pilot.pause(0.02)
    raise AssertionError("condition not reached in time")


async def scan(pilot: Pilot[None], app: GateApp, code: str) -> None:
    shown = app.outcomes_shown
    await pilot.press(*code, "enter")
    await until(pilot, lambda: app.outcomes_shown > shown)


def text(app: GateApp, selector: str) -> str:
    return str(app.query_one(selector, Static).content)


async def test_scan_shows_admit_then_already_used(store: GateStore, venue: VenueSnapshot) -> None:
    ticket = venue.issue(VenueSnapshot.SINGLE)
    venue.apply(store)
    app = make_app(store)
    async with app.run_test(size=(100, 40)) as pilot:
        assert app.focused is app.query_one("#scan", Input)
        await scan(pilot, app, ticket.number)
        assert app.query_one("#verdict").has_class("admit")
        assert "█" in text(app, "#word")
        assert text(app, "#headline") == "Welcome"
        assert "Day ticket" in text(app, "#detail") and "offline" in text(app, "#detail")
        assert "Last entry on this ticket" in text(app, "#detail") and "left: 0" not in text(app, "#detail")
        assert "in 1" in text(app, "#counters") and "admitted" not in text(app, "#counters")

        await scan(pilot, app, ticket.number)
        assert app.query_one("#verdict").has_class("reject")
        assert text(app, "#headline") == "Already used"
        assert "Already used at Main at" in text(app, "#detail")
        assert "refused 1" in text(app, "#counters")
        # The input is emptied and keeps the focus for the next scan.
        assert app.query_one("#scan", Input).value == ""
        assert app.focused is app.query_one("#scan", Input)
        assert "OFFLINE" in text(app, "#status") and "unsynced 2" in text(app, "#status")


async def test_garbage_input_is_a_plain_reject(store: GateStore) -> None:
    app = make_app(store)
    async with app.run_test(size=(100, 40)) as pilot:
        await scan(pilot, app, "hello-world?!")
        assert app.last_outcome is not None and app.last_outcome.reason is Reason.INVALID
        assert text(app, "#headline") == "Not a valid ticket"


async def test_direction_toggle(store: GateStore, venue: VenueSnapshot) -> None:
    ticket = venue.issue(VenueSnapshot.SEASON)
    venue.apply(store)
    app = make_app(store)
    async with app.run_test(size=(100, 40)) as pilot:
        await scan(pilot, app, ticket.number)
        await pilot.press("f2")
        assert app.engine.direction is Direction.OUT and "direction OUT" in text(app, "#status")
        await scan(pilot, app, ticket.number)
        assert app.last_outcome is not None and app.last_outcome.direction is Direction.OUT
        assert text(app, "#headline") == "Exit"
        assert "in 1" in text(app, "#counters") and "out 1" in text(app, "#counters")
        await pilot.press("f2")
        assert app.engine.direction is Direction.IN
    assert store.get_config("direction") == "in"  # the choice survives a restart


async def test_gate_screen_keeps_updating_behind_a_modal_screen(store: GateStore, venue: VenueSnapshot) -> None:
    # The sync engine's listener and the 1 s timer refresh the status while the unsynced list
    # is open; they must reach the gate screen below it, not fail on the modal one.
    venue.apply(store)
    app = make_app(store)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("f3")
        assert isinstance(app.screen, UnsyncedScreen)
        await pilot.press("f2")  # direction toggle: a priority key, also over the modal
        assert app.engine.direction is Direction.OUT
        app.refresh_status()
        assert "direction OUT" in str(app.main("#status", Static).content)
        await pilot.pause(1.2)  # the timer fires at least once with the modal on top
        assert app.is_running and isinstance(app.screen, UnsyncedScreen)


async def test_unsynced_screen_lists_the_queue(store: GateStore, venue: VenueSnapshot) -> None:
    ticket = venue.issue(VenueSnapshot.TRIPLE)
    venue.apply(store)
    app = make_app(store)
    async with app.run_test(size=(120, 40)) as pilot:
        await scan(pilot, app, ticket.number)
        await scan(pilot, app, "garbage")
        await scan(pilot, app, ticket.number)
        # The server answered the first upload: one registered, one flagged as a conflict.
        first, second, third = (p.nonce for p in reversed(store.passages(3)))
        store.acknowledge(
            [
                BatchResult(nonce=first, status="registered", verdict=Verdict.ADMIT, reason=Reason.OK),
                BatchResult(
                    nonce=third, status="conflict", verdict=Verdict.ADMIT, reason=Reason.ENTRIES_EXHAUSTED
                ),
            ],
            now_utc(),
        )
        await pilot.press("f3")
        assert isinstance(app.screen, UnsyncedScreen)
        table = app.screen.query_one("#queued", DataTable)
        assert [str(table.get_row_at(i)[1]) for i in range(table.row_count)] == [second]
        assert "Unsynced passages: 1" in str(app.screen.query_one("#queued-heading", Static).content)
        problems = app.screen.query_one("#flagged", DataTable)
        assert problems.row_count == 1
        assert str(problems.get_row_at(0)[1]) == third and "conflict" in str(problems.get_row_at(0)[4])
        await pilot.press("escape")
        assert not isinstance(app.screen, UnsyncedScreen)
        assert app.focused is app.query_one("#scan", Input)


async def test_end_of_code_after_a_pause_without_enter(store: GateStore, venue: VenueSnapshot) -> None:
    ticket = venue.issue(VenueSnapshot.SINGLE)
    venue.apply(store)
    app = make_app(store, end_pause_ms=100)
    async with app.run_test(size=(100, 40)) as pilot:
        await pilot.press(*ticket.number)  # no Enter: this scanner does not send one
        await until(pilot, lambda: app.outcomes_shown == 1)
        assert app.last_outcome is not None and app.last_outcome.verdict is Verdict.ADMIT
        # A person typing slowly is not cut off: an incomplete number stays in the field.
        for digit in ticket.number[:5]:
            await pilot.press(digit)
            await pilot.pause(0.06)
        await pilot.pause(0.3)
        assert app.query_one("#scan", Input).value == ticket.number[:5]
        assert app.outcomes_shown == 1


async def test_supervisor_admits_a_rejected_ticket(store: GateStore, venue: VenueSnapshot) -> None:
    ticket = venue.issue(VenueSnapshot.SINGLE, status="void", void_reason="reissued")
    venue.apply(store)
    app = make_app(store)
    async with app.run_test(size=(100, 40)) as pilot:
        await scan(pilot, app, ticket.number)
        assert app.last_outcome is not None and app.last_outcome.reason is Reason.VOID
        await pilot.press("f4")
        assert isinstance(app.screen, SupervisorScreen)
        await pilot.press(*"0000", "enter", *"lost ticket", "enter")
        assert "Wrong PIN" in str(app.screen.query_one("#supervisor-error", Static).content)
        await pilot.press(*SUPERVISOR_PIN, "enter", "enter")  # reason is kept; PIN again
        await until(pilot, lambda: app.outcomes_shown == 2)
        assert app.last_outcome is not None and app.last_outcome.override
        assert app.query_one("#verdict").has_class("admit")
        assert text(app, "#headline").startswith("Supervisor override")
    override = store.passage(app.last_outcome.nonce)
    assert override is not None and override.source == "override"
    assert override.override_reason == "lost ticket" and override.verdict is Verdict.ADMIT and override.upload


async def test_supervisor_turns_someone_away_without_using_the_ticket(
    store: GateStore, venue: VenueSnapshot
) -> None:
    ticket = venue.issue(VenueSnapshot.SINGLE)
    venue.apply(store)
    app = make_app(store)
    async with app.run_test(size=(100, 40)) as pilot:
        await scan(pilot, app, ticket.number)
        admitted = app.last_outcome
        assert admitted is not None and admitted.admitted
        await pilot.press("f4", *SUPERVISOR_PIN, "enter", *"drunk", "enter")
        await until(pilot, lambda: app.outcomes_shown == 2)
        assert app.last_outcome is not None and app.last_outcome.reason is Reason.TURNED_AWAY
        assert app.query_one("#verdict").has_class("reject")
        # The ticket is still unused: the next scan admits it.
        await scan(pilot, app, ticket.number)
        assert app.last_outcome.verdict is Verdict.ADMIT
    first = store.passage(admitted.nonce)
    assert first is not None and first.annulled and first.annul_state == "pending"


async def test_scans_typed_back_to_back_are_all_decided_in_order(store: GateStore, venue: VenueSnapshot) -> None:
    tickets = [venue.issue(VenueSnapshot.SINGLE) for _ in range(3)]
    venue.apply(store)
    app = make_app(store)
    async with app.run_test(size=(100, 40)) as pilot:
        keys: list[str] = []
        for t in tickets:
            keys += [*t.number, "enter"]
        await pilot.press(*keys)
        await until(pilot, lambda: app.outcomes_shown == 3)
        await asyncio.sleep(0)
    assert [p.code for p in reversed(store.passages(10))] == [t.number for t in tickets]
    assert all(p.verdict is Verdict.ADMIT for p in store.passages(10))


async def test_images_dropped_in_the_watched_folder_are_scanned(
    store: GateStore, venue: VenueSnapshot, tmp_path: Path
) -> None:
    ticket = venue.issue(VenueSnapshot.SINGLE)
    venue.apply(store)
    folder = tmp_path / "inbox"
    folder.mkdir()
    app = GateApp(GateEngine(store, Settings.load(store), remote=None), watch=folder)
    async with app.run_test(size=(100, 40)) as pilot:
        (folder / "ticket.png").write_bytes(qr_png(ticket.code))
        await until(pilot, lambda: app.outcomes_shown == 1)
        assert app.last_outcome is not None and app.last_outcome.verdict is Verdict.ADMIT
