"""Revoking a till against the real service with two workers: every worker refuses the till's
codes from the moment the revocation is committed (each worker used to keep the key in a cache of
its own), and a till renews its certificate by itself and sells offline only within it."""

from __future__ import annotations

import uuid
from datetime import timedelta
from pathlib import Path

import pytest

from admission.demo import DemoVenue
from admission.domain.codes import now_utc
from admission.domain.payments import PaymentIn, PaymentMethod
from scanner_client.till.sale import CartLine, SaleProblem
from scanner_client.till.till import Till
from tests.box_office.signing import register_till_key
from tests.box_office.till_support import close_till, enrolled_till
from tests.support.live_server import LiveServer
from tests.support.venues import api_client, bearer


def _scan_on_a_new_connection(server: LiveServer, venue: DemoVenue, code: str) -> dict[str, str]:
    """Each connection lands on a worker the kernel picks (SO_REUSEPORT): a few reach both."""
    with server.client(venue.gate_tokens["Main gate"]) as gate:
        body = {"code": code, "gate": "Main gate", "nonce": str(uuid.uuid4())}
        response = gate.post("/api/v1/scans", json=body)
    assert response.status_code == 200, response.text
    return dict(response.json())


def test_every_worker_refuses_a_revoked_tills_codes_at_once(demo_venue: DemoVenue) -> None:
    with api_client(demo_venue) as client:
        key = register_till_key(client, demo_venue.box_office_token)  # both workers load it at start
        me = client.get("/api/v1/devices/me", headers=bearer(demo_venue.box_office_token)).json()
        day = client.get("/api/v1/templates", params={"plu": "100"}, headers=bearer(demo_venue.admin_token))
        template_id = int(day.json()[0]["id"])
    server = LiveServer(demo_venue, workers=2)
    server.start(timeout=90)
    try:
        for _ in range(6):
            assert _scan_on_a_new_connection(server, demo_venue, key.sign(template_id))["verdict"] == "admit"
        with server.client(demo_venue.admin_token) as admin:
            assert admin.post(f"/api/v1/devices/{me['id']}/revoke").status_code == 200
        for _ in range(12):  # no waiting: the revocation holds from its commit on, on every worker
            after = now_utc() + timedelta(minutes=1)
            for code in (key.sign(template_id), key.sign(template_id, issued_at=after)):
                verdict = _scan_on_a_new_connection(server, demo_venue, code)
                assert (verdict["verdict"], verdict["reason"]) == ("reject", "invalid"), verdict
    finally:
        server.stop()


def _day_ticket(till: Till) -> CartLine:
    (template,) = [t for t in till.find("100") if t.plu == "100"]
    return CartLine(template=template, quantity=1)


async def test_the_till_renews_its_certificate_online_and_sells_offline_only_within_it(
    live_server: LiveServer, demo_venue: DemoVenue, tmp_path: Path
) -> None:
    till = await enrolled_till(tmp_path / "till", live_server.url, demo_venue.admin_token, "till-1")
    try:
        first = till.store.certificate
        assert first is not None and first.key_id == till.key_id and first.covers(now_utc())

        # A day and an hour later, online: the till's sync renews the certificate by itself.
        later = now_utc() + timedelta(days=1, hours=1)
        till.clock = lambda: later
        report = await till.sync_once()
        assert not report.errors, report.errors
        renewed = till.store.certificate
        assert renewed is not None and till.store.certificate_received_at == later
        assert renewed.not_after >= first.not_after
        assert (await till.sync_once()).errors == [] and till.store.certificate_received_at == later
        until = renewed.not_after.astimezone(till.tz)
        assert till.offline_selling_words() == f"offline sales until {until:%Y-%m-%d %H:%M}"

        live_server.stop()
        cash = PaymentIn(method=PaymentMethod.CASH, amount_cents=2500)
        till.clock = lambda: renewed.not_after + timedelta(minutes=1)
        with pytest.raises(SaleProblem, match="certificate has expired"):
            await till.sell([_day_ticket(till)], cash)
        assert "certificate has expired" in till.offline_selling_words()
        till.clock = lambda: renewed.not_after - timedelta(minutes=5)
        sale = await till.sell([_day_ticket(till)], cash)
        assert sale.offline and len(sale.tickets) == 1
    finally:
        await close_till(till)
