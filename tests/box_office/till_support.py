"""Tills and gates for box-office tests, built from the real client modules (no mocks of their logic)."""

from __future__ import annotations

from pathlib import Path

import httpx
import msgspec
from litestar.testing import TestClient

from admission.contract import ChangesPage, TillCertificate
from admission.demo import DemoVenue
from admission.domain.codes import now_utc
from admission.domain.model import Direction
from scanner_client.gate.engine import GateEngine
from scanner_client.gate.enroll import enroll as enroll_gate
from scanner_client.gate.remote import GateRemote
from scanner_client.gate.settings import Settings
from scanner_client.gate.store import GateStore
from scanner_client.till.enroll import KEY_FILE, enroll_box_office, load_key
from scanner_client.till.remote import BoxOfficeRemote
from scanner_client.till.store import open_till_store
from scanner_client.till.till import Till
from tests.box_office.signing import register_till_key
from tests.support.venues import bearer


def offline_till(folder: Path, client: TestClient, venue: DemoVenue) -> Till:  # type: ignore[type-arg]
    """A till enrolled as box-office-1 through the in-process service, with the certificate of its
    key, then cut off (no server)."""
    store = open_till_store(folder)
    key = register_till_key(client, venue.box_office_token)
    page = client.get(
        "/api/v1/sync/changes", params={"limit": 10_000}, headers=bearer(venue.box_office_token)
    )
    changes = msgspec.json.decode(page.content, type=ChangesPage)
    store.apply_changes(changes.changes, changes.cursor)
    certified = client.post(
        "/api/v1/sales/signing-key/certificate",
        json={"key_id": key.key_id},
        headers=bearer(venue.box_office_token),
    )
    assert certified.status_code == 200, certified.text
    store.keep_certificate(msgspec.json.decode(certified.content, type=TillCertificate), now_utc())
    config = client.get("/api/v1/sales/payment-methods", headers=bearer(venue.box_office_token))
    store.set_config(
        server_url="http://127.0.0.1:9",
        token=venue.box_office_token,
        device="box-office-1",
        key_id=str(key.key_id),
        payment_config=config.text,
    )
    return Till(store, None, key.private, folder / "out")


async def enrolled_till(
    folder: Path,
    server_url: str,
    token: str,
    name: str | None,
    transport: httpx.AsyncBaseTransport | None = None,
) -> Till:
    """A till enrolled against a running service exactly as `scanner-client enroll-box-office` does."""
    store = open_till_store(folder)

    def remote(url: str, token: str) -> BoxOfficeRemote:
        return BoxOfficeRemote(url, token, transport=transport)

    await enroll_box_office(
        folder, store, server_url=server_url, token=token, name=name, remote_factory=remote
    )
    device_token = store.token
    assert device_token
    return Till(
        store,
        remote(server_url, device_token),
        load_key(folder / KEY_FILE),
        folder / "out",
        probe_interval=0.2,
        feed_wait=1.0,  # a 20 s long-poll would hold the test server's graceful shutdown
    )


async def enrolled_gate(folder: Path, server_url: str, token: str, gate: str) -> GateEngine:
    store = GateStore(folder / "gate.sqlite3")
    remote = GateRemote(server_url, token, scan_timeout=2.0)
    await enroll_gate(
        store,
        remote,
        server_url=server_url,
        token=token,
        gate=gate,
        direction=Direction.IN,
        supervisor_pin=None,
    )
    settings = Settings.load(store)
    settings.failure_threshold = 1
    settings.probe_interval = 0.2
    return GateEngine(store, settings, remote)


async def close_till(till: Till) -> None:
    if till.remote is not None:
        await till.remote.aclose()
    till.store.close()
