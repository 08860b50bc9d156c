"""A revoked till can no longer mint tickets: every key of the device is revoked with it, its key's
certificate bounds when its codes may have been issued, and the service and a gate that read the
feed refuse its later codes while admitting the tickets it sold in good faith before."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import msgspec
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from litestar.testing import TestClient

from admission.contract import ChangesPage, TillCertificate
from admission.demo import DemoVenue
from admission.domain.certificates import verify_certificate
from admission.domain.model import Direction, Reason, Verdict
from scanner_client.gate.store import GateStore
from scanner_client.gate.verdicts import LocalJudge
from tests.box_office.conftest import admin, sale_body, seller
from tests.box_office.signing import TillKey, register_till_key
from tests.box_office.test_sales_api import _scan, _template_id
from tests.support.venues import bearer

Client = TestClient  # type: ignore[type-arg]


def _box_office_device(client: Client, venue: DemoVenue) -> int:
    return int(client.get("/api/v1/devices/me", headers=seller(venue)).json()["id"])


def _feed_keys(client: Client, venue: DemoVenue) -> dict[int, dict[str, Any]]:
    """Each key as the feed last stated it."""
    page = client.get(
        "/api/v1/sync/changes", params={"limit": 10_000}, headers=bearer(venue.gate_tokens["Main gate"])
    ).json()
    return {c["data"]["key_id"]: c["data"] for c in page["changes"] if c["kind"] == "key"}


def _certify(client: Client, venue: DemoVenue, key: TillKey) -> TillCertificate:
    response = client.post(
        "/api/v1/sales/signing-key/certificate", json={"key_id": key.key_id}, headers=seller(venue)
    )
    assert response.status_code == 200, response.text
    return msgspec.json.decode(response.content, type=TillCertificate)


def _revoke(client: Client, venue: DemoVenue, device_id: int) -> datetime:
    response = client.post(f"/api/v1/devices/{device_id}/revoke", headers=admin(venue))
    assert response.status_code == 200, response.text
    return datetime.now(UTC)


def test_revoking_a_till_revokes_every_key_it_registered_and_refuses_their_later_codes(
    client: Client, demo_venue: DemoVenue
) -> None:
    first = register_till_key(client, demo_venue.box_office_token)
    second = register_till_key(client, demo_venue.box_office_token)  # a second PC at the same till
    day = _template_id(client, demo_venue, "100")
    sold_before = datetime.now(UTC) - timedelta(minutes=2)
    good_faith = [first.sign(day, issued_at=sold_before), second.sign(day, issued_at=sold_before)]

    revoked_at = _revoke(client, demo_venue, _box_office_device(client, demo_venue))

    keys = _feed_keys(client, demo_venue)
    for key in (first, second):
        assert keys[key.key_id]["revoked"] is True
        stamped = datetime.fromisoformat(keys[key.key_id]["revoked_at"])
        assert revoked_at - timedelta(seconds=30) <= stamped <= revoked_at
    later = datetime.now(UTC) + timedelta(minutes=2)
    for key in (first, second):
        for code in (key.sign(day, issued_at=later), key.sign(day)):  # the latter says no issue time
            verdict = _scan(client, demo_venue, code)
            assert (verdict["verdict"], verdict["reason"]) == ("reject", "invalid"), verdict
            assert "revoked till" in verdict["message"]
    # Guests who bought before the revocation are still let in.
    for code in good_faith:
        assert _scan(client, demo_venue, code)["verdict"] == "admit"


def test_a_till_renews_its_certificate_and_codes_issued_after_its_end_are_refused(
    client: Client, demo_venue: DemoVenue
) -> None:
    key = register_till_key(client, demo_venue.box_office_token)
    first = _certify(client, demo_venue, key)
    service_keys = [k for k in _feed_keys(client, demo_venue).values() if k["device"] is None]
    issuer = next(k for k in service_keys if k["key_id"] == first.issuer_key_id)
    verify_certificate(first, Ed25519PublicKey.from_public_bytes(bytes.fromhex(issuer["public_key"])))
    assert (first.key_id, first.device) == (key.key_id, "box-office-1")
    lifetime = first.not_after - datetime.now(UTC)
    assert timedelta(hours=71) < lifetime <= timedelta(hours=72)  # the default: three days

    renewed = _certify(client, demo_venue, key)
    assert renewed.not_after >= first.not_after and renewed.not_before == first.not_before
    fed = _feed_keys(client, demo_venue)[key.key_id]
    assert datetime.fromisoformat(fed["not_after"]) == renewed.not_after

    day = _template_id(client, demo_venue, "100")
    late = key.sign(day, issued_at=renewed.not_after + timedelta(minutes=1))
    verdict = _scan(client, demo_venue, late)
    assert verdict["reason"] == "invalid" and "certificate had expired" in verdict["message"]
    assert _scan(client, demo_venue, key.sign(day, issued_at=datetime.now(UTC)))["verdict"] == "admit"

    # An offline sale posted with a code issued after the certificate's end is refused whole.
    body = sale_body(
        [{"template_id": day, "quantity": 1, "unit_price_cents": 2500}],
        amount=2500,
        offline=True,
        sold_at=datetime.now(UTC).isoformat(),
        tickets=[key.sign(day, issued_at=renewed.not_after + timedelta(hours=1))],
    )
    refused = client.post("/api/v1/sales", json=body, headers=seller(demo_venue))
    assert refused.status_code == 422 and "certificate had expired" in refused.json()["detail"]


def test_only_a_box_office_gets_a_certificate_and_only_of_its_own_live_key(
    client: Client, demo_venue: DemoVenue
) -> None:
    key = register_till_key(client, demo_venue.box_office_token)
    path = "/api/v1/sales/signing-key/certificate"
    gate = bearer(demo_venue.gate_tokens["Main gate"])
    assert client.post(path, json={"key_id": key.key_id}, headers=gate).status_code == 403
    other = client.post(
        "/api/v1/devices", json={"name": "box-office-2", "role": "box_office"}, headers=admin(demo_venue)
    ).json()
    stranger = client.post(path, json={"key_id": key.key_id}, headers=bearer(other["token"]))
    assert stranger.status_code == 404 and stranger.headers["content-type"].startswith("application/problem")
    for bad in ({"key_id": 0}, {"key_id": 2**40}, {}):
        assert client.post(path, json=bad, headers=seller(demo_venue)).status_code == 400


def test_a_gate_that_read_the_feed_refuses_offline_what_a_revoked_till_signed_after_revocation(
    client: Client, demo_venue: DemoVenue, tmp_path: Path
) -> None:
    key = register_till_key(client, demo_venue.box_office_token)
    certificate = _certify(client, demo_venue, key)
    day = _template_id(client, demo_venue, "100")
    before = key.sign(day, issued_at=datetime.now(UTC) - timedelta(minutes=1))
    _revoke(client, demo_venue, _box_office_device(client, demo_venue))
    after = key.sign(day, issued_at=datetime.now(UTC) + timedelta(minutes=1))
    beyond = key.sign(day, issued_at=certificate.not_after + timedelta(minutes=1))

    store = GateStore(tmp_path / "gate.sqlite3")
    try:
        page = client.get(
            "/api/v1/sync/changes",
            params={"limit": 10_000},
            headers=bearer(demo_venue.gate_tokens["Main gate"]),
        )
        changes = msgspec.json.decode(page.content, type=ChangesPage)
        store.apply_changes(changes.changes, changes.cursor)  # the gate's next feed read, then offline
        judge = LocalJudge(store)
        gate = store.gate("Main gate")
        assert gate is not None
        now = datetime.now(UTC) + timedelta(minutes=5)
        admitted = judge.judge(before, gate.info(), Direction.IN, now).decision
        assert admitted.verdict is Verdict.ADMIT, admitted
        for code, why in ((after, "revoked till"), (beyond, "revoked till")):
            refused = judge.judge(code, gate.info(), Direction.IN, now).decision
            assert (refused.verdict, refused.reason) == (Verdict.REJECT, Reason.INVALID)
            assert why in refused.message, refused.message
    finally:
        store.close()
