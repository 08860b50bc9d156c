"""Card terminal down at the till (seed 001): the switch, what it refuses and offers, and the
incident registered at the service exactly once, offline or online."""

from __future__ import annotations

from pathlib import Path

import msgspec
import pytest
from litestar.testing import TestClient
from textual.widgets import Input, Static

from admission.demo import DemoVenue
from admission.domain.payments import PaymentIn, PaymentMethod
from scanner_client.till.app import BoxOfficeApp
from scanner_client.till.sale import CartLine, SaleProblem
from scanner_client.till.terminal_screen import TerminalDownScreen
from scanner_client.till.till import Till
from tests.box_office.conftest import seller
from tests.box_office.till_support import close_till, enrolled_till, offline_till
from tests.support.live_server import LiveServer
from tests.support.venues import bearer

Client = TestClient  # type: ignore[type-arg]
INCIDENTS = "/api/v1/payments/terminal-incidents"


def day_ticket(till: Till) -> CartLine:
    (template,) = [t for t in till.find("100") if t.plu == "100"]
    return CartLine(template=template, quantity=1)


def card(cents: int) -> PaymentIn:
    return PaymentIn(method=PaymentMethod.CARD, amount_cents=cents, card_brand="visa")


async def test_the_switch_on_screen_refuses_cards_offers_the_rest_and_queues_the_incident(
    client: Client, demo_venue: DemoVenue, tmp_path: Path
) -> None:
    till = offline_till(tmp_path / "till", client, demo_venue)
    app = BoxOfficeApp(till)
    async with app.run_test(size=(160, 50)) as pilot:
        await pilot.press("ctrl+t")
        await pilot.pause()
        assert isinstance(app.screen, TerminalDownScreen)
        await pilot.press("enter", "enter")  # no cause: asked again, nothing recorded
        assert isinstance(app.screen, TerminalDownScreen) and till.terminal_incident is None
        app.screen.query_one("#terminal-cause", Input).value = "no connection to the acquirer"
        app.screen.query_one("#terminal-cause", Input).focus()
        await pilot.press("enter")
        app.screen.query_one("#terminal-note", Input).value = "called support"
        await pilot.press("enter")
        await pilot.pause()
        assert till.terminal_incident is not None
        status, rules = (str(app.query_one(s, Static).content) for s in ("#status", "#rules"))
        assert "CARD TERMINAL DOWN" in status
        assert "Card: card terminal down" in rules
        assert "Tell guests: Our card terminal is down right now. We take Cash, Mobile" in rules
    with pytest.raises(SaleProblem, match="card terminal is down"):
        await till.sell([day_ticket(till)], card(2500))
    sold = await till.sell([day_ticket(till)], PaymentIn(method=PaymentMethod.CASH, amount_cents=2500))
    assert sold.offline

    # What the till queued is what the service registers, once however often it is sent.
    (queued,) = till.store.incidents_to_post()
    body = msgspec.json.encode(queued.request())
    headers = seller(demo_venue) | {"content-type": "application/json"}
    for _ in range(2):
        assert client.put(f"{INCIDENTS}/{queued.nonce}", content=body, headers=headers).status_code == 200
    ended = till.terminal_up("restarted the terminal")
    assert ended is not None and till.terminal_incident is None
    assert [i.version for i in till.store.incidents_to_post()] == [2]
    body = msgspec.json.encode(ended.request())
    assert client.put(f"{INCIDENTS}/{ended.nonce}", content=body, headers=headers).status_code == 200
    (incident,) = client.get(INCIDENTS, headers=bearer(demo_venue.viewer_token)).json()
    assert (
        incident["cause"] == "no connection to the acquirer" and incident["note"] == "restarted the terminal"
    )
    assert incident["ended_at"] is not None
    await till.sell([day_ticket(till)], card(2500))  # cards again (the terminal stores it offline)
    await close_till(till)


@pytest.mark.slow
async def test_an_online_till_registers_the_incident_by_its_sync_exactly_once(
    live_server: LiveServer, demo_venue: DemoVenue, tmp_path: Path
) -> None:
    till = await enrolled_till(tmp_path / "till", live_server.url, demo_venue.box_office_token, None)
    try:
        till.terminal_down("power cut at the counter")
        with pytest.raises(SaleProblem, match="card terminal is down"):
            await till.sell([day_ticket(till)], card(2500))
        await till.sync_once()
        till.terminal_up()
        await till.sync_once()
        await till.sync_once()
        assert till.store.incidents_unposted() == 0
        with live_server.client(demo_venue.viewer_token) as viewer:
            (incident,) = viewer.get(INCIDENTS).json()
        assert incident["cause"] == "power cut at the counter" and incident["ended_at"] is not None
    finally:
        await close_till(till)


def test_the_switch_on_the_command_line_records_and_ends_the_incident_offline(
    client: Client, demo_venue: DemoVenue, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from scanner_client.till.cli import main

    till = offline_till(tmp_path / "box-office", client, demo_venue)
    till.store.token = demo_venue.box_office_token  # enrolled: the token in its own file
    till.store.close()
    folder = ["--data-dir", str(tmp_path)]
    assert main([*folder, "terminal-down", "--cause", "terminal frozen", "--offline"]) == 0
    out = capsys.readouterr().out
    assert "bank cards are refused" in out and "Tell guests:" in out and "next sync" in out
    assert main([*folder, "terminal-up", "--note", "rebooted", "--offline"]) == 0
    assert "bank cards are offered again" in capsys.readouterr().out
    assert main([*folder, "terminal-up", "--offline"]) == 2  # it was not down
    assert main([*folder, "terminal-down", "--cause", " ", "--offline"]) == 2
    again = offline_till(tmp_path / "box-office", client, demo_venue)
    (incident,) = again.store.incidents_to_post()
    assert (incident.cause, incident.note, incident.ended_at is not None) == ("terminal frozen", "rebooted", True)
    again.store.close()
