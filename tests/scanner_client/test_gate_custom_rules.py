"""A template's custom rule at the gate: offline, decided from the template and the ticket's
attributes the feed brought, in the gate's language; online, the service's refusal worded again
by the gate in its language from the same rule; and the gate store's migration that makes room
for the attributes re-reads the feed so that no ticket is judged without them."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import httpx
import msgspec
import pytest

from admission import i18n
from admission.domain.model import Reason, Verdict
from scanner_client.core.migrations import MIGRATIONS, migrate, schema_version
from scanner_client.gate.store import GateStore
from tests.scanner_client.client_support import VenueSnapshot, shown, template, ticket_data
from tests.scanner_client.test_client_engine import FakeService, engine_for

ADULTS = 9
ADULTS_ONLY = {"==": [{"var": "attribute.age_group"}, "adult"]}


@pytest.fixture(autouse=True)
def english_after() -> Iterator[None]:
    yield
    i18n.set_language("en")


class RefusingService(FakeService):
    """Refuses every scan by the custom rule, in the service's English."""

    async def __call__(self, request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/scans") and not self.down:
            body = json.loads(request.content)
            self.scans.append(body)
            return httpx.Response(
                200,
                json={
                    "verdict": "reject",
                    "reason": "custom_rule",
                    "message": "Rule not met: ticket's age group is adult",
                    "nonce": body["nonce"],
                    "scanned_at": body["scanned_at"],
                    "ticket": None,
                },
            )
        return await super().__call__(request)


def adults_only(venue: VenueSnapshot, store: GateStore, **attributes: str) -> str:
    """A template whose rule admits adults, one ticket of it with `attributes`: its number."""
    venue.add("template", str(ADULTS), template(ADULTS, "Adults", max_entries=None, custom_rule=ADULTS_ONLY))
    ticket = venue.issue(ADULTS, in_snapshot=False)
    venue.add("ticket", str(ticket.serial), msgspec.structs.replace(ticket_data(ticket), attributes=attributes))
    venue.apply(store)
    return ticket.number


async def test_offline_the_gate_decides_the_rule_from_the_tickets_attributes_in_its_language(
    store: GateStore, venue: VenueSnapshot
) -> None:
    service = FakeService()
    service.down = True
    child = adults_only(venue, store, age_group="child")
    i18n.set_language("sv")
    engine = engine_for(store, service)
    refused = shown(engine, await engine.scan(child))
    assert refused.mode == "offline" and refused.verdict is Verdict.REJECT
    assert refused.reason is Reason.CUSTOM_RULE
    assert refused.message == "Regeln är inte uppfylld: biljettens age group är adult"


async def test_offline_an_adults_ticket_is_admitted(store: GateStore, venue: VenueSnapshot) -> None:
    service = FakeService()
    service.down = True
    adult = adults_only(venue, store, age_group="adult")
    engine = engine_for(store, service)
    admitted = shown(engine, await engine.scan(adult))
    assert admitted.mode == "offline" and admitted.verdict is Verdict.ADMIT


async def test_online_the_services_refusal_is_worded_in_the_gates_language(
    store: GateStore, venue: VenueSnapshot
) -> None:
    child = adults_only(venue, store, age_group="child")
    i18n.set_language("de")
    engine = engine_for(store, RefusingService())
    refused = shown(engine, await engine.scan(child))
    assert refused.mode == "online" and refused.reason is Reason.CUSTOM_RULE
    assert refused.message == "Regel nicht erfüllt: age group des Tickets ist adult"


async def test_online_the_services_words_stand_when_the_gate_would_decide_otherwise(
    store: GateStore, venue: VenueSnapshot
) -> None:
    adult = adults_only(venue, store, age_group="adult")  # the gate's copy says adult
    i18n.set_language("de")
    engine = engine_for(store, RefusingService())
    refused = shown(engine, await engine.scan(adult))
    assert refused.reason is Reason.CUSTOM_RULE
    assert refused.message == "Rule not met: ticket's age group is adult"


def test_the_attributes_migration_reads_the_feed_again(tmp_path: Path) -> None:
    db = sqlite3.connect(tmp_path / "store.db", isolation_level=None)
    schema_version(db)
    before = [m.name for m in MIGRATIONS].index("ticket attributes for custom rules")
    # A store of the release before, synced up to change 500.
    for number, step in enumerate(MIGRATIONS[:before], start=1):
        step.apply(db)
        db.execute("INSERT INTO schema_version VALUES (?, ?, datetime('now'))", (number, step.name))
    db.execute("INSERT OR REPLACE INTO config(key, value) VALUES ('cursor', '500')")
    assert migrate(db) == len(MIGRATIONS) - before
    assert db.execute("SELECT value FROM config WHERE key = 'cursor'").fetchone()[0] == "0"
    assert "attributes" in {row[1] for row in db.execute("PRAGMA table_info(tickets)")}
