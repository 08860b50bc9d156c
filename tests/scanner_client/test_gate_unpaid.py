"""An unpaid ticket at a gate that knows it from the feed: the screen names the refusal and says
what the guest does; the gate admits it once the feed says it is paid. And a gate store synced
before payment states existed reads its tickets from the feed again, so none is taken for paid."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import msgspec
import pytest

from admission.domain.codes import now_utc
from admission.domain.model import Direction, Reason
from scanner_client.core import migrations
from scanner_client.gate.settings import STORE_FILE, open_store
from scanner_client.gate.store import GateStore
from scanner_client.gate.verdicts import LocalJudge
from tests.scanner_client.client_support import IssuedTicket, VenueSnapshot, ticket_data
from tests.scanner_client.test_client_app import make_app, scan, text


def issue_unpaid(venue: VenueSnapshot) -> IssuedTicket:
    ticket = venue.issue(VenueSnapshot.SINGLE, in_snapshot=False)
    venue.add("ticket", str(ticket.serial), msgspec.structs.replace(ticket_data(ticket), payment_state="pending"))
    return ticket


def mark_paid(venue: VenueSnapshot, ticket: IssuedTicket) -> None:
    venue.add("ticket", str(ticket.serial), ticket_data(ticket))  # the feed's change after mark paid


async def test_the_gate_screen_says_the_ticket_is_not_paid_and_where_the_guest_pays(
    store: GateStore, venue: VenueSnapshot
) -> None:
    ticket = issue_unpaid(venue)
    venue.apply(store)
    app = make_app(store)
    async with app.run_test(size=(100, 40)) as pilot:
        await scan(pilot, app, ticket.number)
        assert app.query_one("#verdict").has_class("reject")
        assert text(app, "#headline") == "Not paid yet"
        assert "pays at the box office" in text(app, "#detail")

        mark_paid(venue, ticket)
        venue.apply(store)  # what the feed follower does when the payment arrives
        await scan(pilot, app, ticket.code)
        assert app.query_one("#verdict").has_class("admit")


def test_a_store_synced_before_payment_states_reads_the_feed_again(
    tmp_path: Path, venue: VenueSnapshot, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The store as the release before this one left it: synced up to change 42, one ticket known.
    with monkeypatch.context() as before:
        names = [m.name for m in migrations.MIGRATIONS]
        payment_states = names.index("tickets with their payment state, read again from the feed")
        before.setattr(migrations, "MIGRATIONS", migrations.MIGRATIONS[:payment_states])
        open_store(tmp_path).close()
    db = sqlite3.connect(tmp_path / STORE_FILE)
    db.execute("INSERT OR REPLACE INTO config(key, value) VALUES ('cursor', '42')")
    db.execute(
        "INSERT INTO tickets(serial, template_id, void, entries_carried) VALUES (?, ?, 0, 0)",
        (1234, VenueSnapshot.SINGLE),
    )
    db.commit()
    db.close()

    store = open_store(tmp_path)
    try:
        assert store.cursor == 0  # read again from the start
        known = store.ticket_by_serial(1234)
        assert known is not None and known.paid  # until the feed says otherwise
        ticket = issue_unpaid(venue)
        venue.apply(store)
        main = store.gate("Main")
        assert main is not None
        decision = LocalJudge(store).judge(ticket.code, main.info(), Direction.IN, now_utc()).decision
        assert decision.reason is Reason.UNPAID
    finally:
        store.close()
