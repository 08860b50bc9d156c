"""Cards at an offline till: taken within the manager's caps from the balance the feed gave the
till, queued with the sale and registered exactly once; an overdraw another till caused meanwhile
is kept and flagged; a card blocked (a lost card moved to a new one) is refused offline once the
feed reached the till."""

from __future__ import annotations

from pathlib import Path

import pytest

from admission.contract import StoredValuePart
from admission.demo import DemoVenue
from scanner_client.till.receipts import layout, plain_text
from scanner_client.till.sale import SaleProblem
from tests.box_office.test_till_live import cash, line
from tests.box_office.till_support import close_till, enrolled_till
from tests.support.live_server import LiveServer


async def test_an_offline_till_takes_known_cards_within_the_caps_and_registers_them_once(
    live_server: LiveServer, demo_venue: DemoVenue, tmp_path: Path
) -> None:
    with live_server.client(demo_venue.admin_token) as admin:
        admin.post("/api/v1/cards/types", json={"name": "Gift card", "kind": "gift"}).raise_for_status()
        admin.put(
            "/api/v1/cards/settings", json={"offline": {"per_payment_cents": 2000, "per_card_per_day_cents": 3000}}
        ).raise_for_status()
        sold = [
            admin.post(
                "/api/v1/cards", json={"nonce": f"sell-{i}", "card_type": "Gift card", "amount_cents": 5000}
            ).json()["card"]
            for i in range(3)
        ]
        lost, kept, stranger = sold
        moved = admin.post(
            f"/api/v1/cards/{lost['number']}/transfer", json={"nonce": "move-1", "to_card": stranger["number"]}
        )
        moved.raise_for_status()
    till = await enrolled_till(tmp_path / "till", live_server.url, demo_venue.box_office_token, None)
    try:
        await till.sync_once()  # the feed brings the cards' balances, the lost card's block, the caps
        live_server.stop()
        ticket = line(till, "100")
        price = ticket.total_cents
        assert price > 2000

        with pytest.raises(SaleProblem, match="blocked"):
            await till.sell([ticket], cash(price), stored_value=[StoredValuePart(card=lost["code"], amount_cents=100)])
        with pytest.raises(SaleProblem, match="at most"):
            await till.sell([ticket], cash(price), stored_value=[StoredValuePart(card=kept["code"], amount_cents=2001)])
        with pytest.raises(SaleProblem, match="code only"):
            await till.sell([ticket], cash(price), stored_value=[StoredValuePart(card=kept["number"], amount_cents=100)])
        first = await till.sell(
            [ticket], cash(price - 2000), stored_value=[StoredValuePart(card=kept["code"], amount_cents=2000)]
        )
        assert first.offline
        # The receipt names the card by the last four digits the feed gave the till: never more.
        assert first.receipt is not None
        printed = plain_text(layout(first.receipt.receipt, till.tz))
        assert f"Paid by value card **** {kept['number'][-4:]}" in printed
        feed_records = [bytes(row[0]).decode() for row in till.store._db.execute("SELECT data FROM cards")]
        assert len(feed_records) == 3
        assert not any(card["number"][:12] in record for card in sold for record in feed_records)
        with pytest.raises(SaleProblem, match="more today"):
            await till.sell([ticket], cash(price), stored_value=[StoredValuePart(card=kept["code"], amount_cents=1001)])
        await till.sell([ticket], cash(price - 1000), stored_value=[StoredValuePart(card=kept["code"], amount_cents=1000)])

        live_server.start()
        with live_server.client(demo_venue.admin_token) as admin:  # meanwhile, online: the card is spent
            spent = admin.post(f"/api/v1/cards/{kept['number']}/pay", json={"nonce": "other-1", "amount_cents": 4000})
            spent.raise_for_status()
        report = await till.sync_once()
        assert (report.uploaded, report.refused, report.errors) == (2, 0, [])
        till.store.set_state(first.local.nonce, "queued")  # an acknowledgement lost: posted again
        assert (await till.sync_once()).uploaded == 1
        with live_server.client(demo_venue.viewer_token) as viewer:
            card = viewer.get(f"/api/v1/cards/{kept['number']}").json()
            float_rows = viewer.get("/api/v1/reports/float").json()["rows"]
        payments = [e for e in card["entries"] if e["kind"] == "pay"]
        assert sorted(e["amount_cents"] for e in payments) == [-4000, -2000, -1000]  # each once
        assert card["balance_cents"] == 5000 - 7000  # never clamped
        flagged = [e for e in payments if e["conflict"]]
        assert [(e["offline"], e["conflict_cents"]) for e in flagged] == [(True, 1000), (True, 1000)]
        assert float_rows[0]["conflicts"] == 2 and float_rows[0]["conflict_cents"] == 2000
    finally:
        await close_till(till)
