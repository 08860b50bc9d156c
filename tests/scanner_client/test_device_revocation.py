"""A revoked gate wipes its store, says so and refuses to scan; a replaced (rotated) token never
wipes anything. The real `scanner-client` process against the real service process."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from admission.cli import main as admission
from admission.demo import DemoVenue
from tests.scanner_client.live_support import cli, enroll, headless, server_scans
from tests.support.live_server import LiveServer


def service_cli(venue: DemoVenue, *args: str) -> None:
    assert admission([*args, "--database-url", venue.database_url, "--data-dir", str(venue.data_dir)]) == 0


def device_id(server: LiveServer, token: str) -> int:
    with server.client(token) as client:
        return int(client.get("/api/v1/devices/me").json()["id"])


def rows(store: Path, table: str) -> int:
    with sqlite3.connect(store) as db:
        return int(db.execute(f"SELECT count(*) FROM {table}").fetchone()[0])


def config(store: Path) -> dict[str, str]:
    with sqlite3.connect(store) as db:
        return dict(db.execute("SELECT key, value FROM config").fetchall())


def test_a_revoked_gate_wipes_its_store_keeps_its_unsent_admissions_and_refuses_to_scan(
    live_server: LiveServer, demo_venue: DemoVenue, tmp_path: Path
) -> None:
    data = tmp_path / "gate-main"
    enroll(data, live_server, demo_venue)
    day = [t for t in demo_venue.tickets if t.template == "Day ticket"]
    live_server.stop(kill=True)
    offline = headless(data, [day[0].number, day[0].number, day[1].code])
    assert [(o["mode"], o["verdict"]) for o in offline] == [
        ("offline", "admit"),
        ("offline", "reject"),
        ("offline", "admit"),
    ]
    live_server.start()
    service_cli(demo_venue, "tokens", "revoke", str(device_id(live_server, demo_venue.gate_tokens["Main gate"])))

    synced = cli(data, "sync")
    assert synced.returncode != 0
    assert "revoked" in synced.stderr and "Enrol this PC again" in synced.stderr

    store = data / "scanner.sqlite3"
    assert not (data / "scanner.token").exists()
    for table in ("tickets", "templates", "gates", "issuer_keys", "feed_passages", "passages", "outages"):
        assert rows(store, table) == 0, table
    kept = config(store)
    assert "number_hashing" not in kept and "server_url" not in kept and "pin_hash" not in kept
    assert kept["revoked_at"]

    # The two admissions the service never heard of are in a file `admission import-scans` reads.
    (export,) = data.glob("unsent-*.txt")
    assert export.stat().st_mode & 0o777 == 0o600
    assert "main-gate-in" in export.name
    lines = export.read_text().splitlines()
    assert [line.split()[-1] for line in lines] == [day[0].number, day[1].code]

    status = cli(data, "status", "--no-probe")
    assert status.returncode != 0
    assert "REVOKED" in status.stdout and "Enrol this PC again" in status.stdout
    assert str(export) in status.stdout and "admission import-scans" in status.stdout

    refused = cli(data, "gate", "--headless", stdin=day[2].number + "\n")
    assert refused.returncode != 0 and "revoked" in refused.stderr
    assert not [s for s in server_scans(demo_venue) if s.device == "gate-main"]

    service_cli(demo_venue, "import-scans", str(export), "--gate", "Main gate")
    imported = [s for s in server_scans(demo_venue) if s.source == "import"]
    assert [(s.gate, s.verdict) for s in imported] == [("Main gate", "admit"), ("Main gate", "admit")]


def test_a_rotated_token_wipes_nothing(live_server: LiveServer, demo_venue: DemoVenue, tmp_path: Path) -> None:
    data = tmp_path / "gate-north"
    enroll(data, live_server, demo_venue, gate="North gate")
    live_server.stop(kill=True)
    day = [t for t in demo_venue.tickets if t.template == "Day ticket"]
    headless(data, [day[3].number])
    live_server.start()
    service_cli(demo_venue, "tokens", "rotate", str(device_id(live_server, demo_venue.gate_tokens["North gate"])))

    synced = cli(data, "sync")
    assert synced.returncode != 0 and "replaced" in synced.stderr
    store = data / "scanner.sqlite3"
    assert (data / "scanner.token").exists()
    assert rows(store, "tickets") > 0 and rows(store, "passages") == 1
    assert "revoked_at" not in config(store)
    assert not list(data.glob("unsent-*"))
    status = cli(data, "status", "--no-probe")
    assert status.returncode == 0 and "REVOKED" not in status.stdout
