"""The `admission` CLI: set-up, tokens, OpenAPI, demo; errors exit non-zero with a message."""

from __future__ import annotations

import json
import sqlite3
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest
from litestar.testing import TestClient

from admission.cli import main
from admission.demo import DemoVenue
from tests.support.venues import api_client, bearer


def init(tmp_path: Path, capsys: pytest.CaptureFixture[str], *extra: str) -> tuple[int, str, str]:
    url = f"sqlite+aiosqlite:///{tmp_path / 'venue.db'}"
    code = main(["init", "--database-url", url, "--data-dir", str(tmp_path / "data"), *extra])
    out, err = capsys.readouterr()
    return code, out, err


def test_init_creates_key_and_shows_admin_token_once(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = init(tmp_path, capsys, "--venue", "Zoo", "--timezone", "Europe/Oslo")
    assert code == 0
    key = tmp_path / "data" / "keys" / "issuer-1.pem"
    assert stat.S_IMODE(key.stat().st_mode) == 0o600
    token = next(word for word in out.split() if word.startswith("adm_"))
    with sqlite3.connect(tmp_path / "venue.db") as db:
        stored = [row[0] for row in db.execute("SELECT token_hash FROM tokens")]
        venue = db.execute("SELECT name, timezone FROM venue").fetchone()
    assert token not in stored and len(stored) == 1  # only the hash is kept
    assert venue == ("Zoo", "Europe/Oslo")


def test_second_init_refuses_with_a_clear_message(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert init(tmp_path, capsys)[0] == 0
    code, _, err = init(tmp_path, capsys)
    assert code == 2 and "set up already" in err


def test_unknown_time_zone_is_a_cli_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = init(tmp_path, capsys, "--timezone", "Mars/Olympus")
    assert code == 2 and "unknown time zone" in err


def test_tokens_create_list_and_revoke(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    init(tmp_path, capsys)
    db = ["--database-url", f"sqlite+aiosqlite:///{tmp_path / 'venue.db'}"]
    assert main(["tokens", "create", "--name", "gate-1", "--role", "gate", *db]) == 0
    assert "adm_gate_" in capsys.readouterr().out
    assert main(["tokens", "list", *db]) == 0
    assert "gate-1" in capsys.readouterr().out
    assert main(["tokens", "revoke", "2", *db]) == 0
    assert main(["tokens", "revoke", "99", *db]) == 2
    assert "does not exist" in capsys.readouterr().err


def test_openapi_documents_the_contract(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["openapi"]) == 0
    document = json.loads(capsys.readouterr().out)
    for path in ("/api/v1/scans", "/api/v1/passages/batch", "/api/v1/sync/changes", "/api/v1/tickets/issue"):
        assert path in document["paths"]


def test_demo_sets_up_a_venue_with_tickets_and_barcodes(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = tmp_path / "demo"
    assert main(["demo", "--dir", str(folder), "--tickets", "2", "--no-serve"]) == 0
    out = capsys.readouterr().out
    assert "scanner-client enroll" in out
    lines = (folder / "tickets.csv").read_text().splitlines()
    assert len(lines) == 1 + 8
    number = lines[1].split(",")[1]
    assert (folder / "tickets" / f"{number}-qr.png").exists()
    tokens = json.loads((folder / "tokens.json").read_text())
    assert set(tokens) == {"admin", "gates", "box_office", "viewer"}
    assert set(tokens["gates"]) == {"Main gate", "North gate", "Arena door", "Arena entrance"}

    # `make demo` again serves the same venue: same tokens, no new tickets
    assert main(["demo", "--dir", str(folder), "--no-serve"]) == 0
    again = capsys.readouterr().out
    assert "Serving the demo venue made before" in again
    assert tokens["gates"]["Main gate"] in again
    assert len((folder / "tickets.csv").read_text().splitlines()) == 1 + 8

    # a demo interrupted before it was complete is not served half-made
    (folder / "demo.json").unlink()
    assert main(["demo", "--dir", str(folder), "--no-serve"]) == 2
    assert "unfinished demo venue" in capsys.readouterr().err


def test_concert_guests_reach_the_arena_from_the_street(venue_client: tuple) -> None:  # type: ignore[type-arg]
    client, venue = venue_client
    concert = next(t for t in venue.tickets if t.template == "Concert ticket")
    body = {"code": concert.number, "gate": "Main gate", "nonce": "concert-main"}
    main_gate = client.post("/api/v1/scans", json=body, headers=bearer(venue.gate_tokens["Main gate"])).json()
    assert main_gate["reason"] == "wrong_gate"
    assert main_gate["message"] == "Not valid at Main gate (zone zoo): valid in arena"
    body = {"code": concert.number, "gate": "Arena entrance", "nonce": "concert-arena"}
    arena = client.post(
        "/api/v1/scans", json=body, headers=bearer(venue.gate_tokens["Arena entrance"])
    ).json()
    assert arena["reason"] != "wrong_gate"  # admitted on the concert's day, from the doors' opening


def test_commands_outside_a_venue_say_so_and_create_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    for command in (["tokens", "list"], ["report", "summary"], ["issue", "--template", "1"], ["serve"]):
        assert main([*command, "--data-dir", str(tmp_path)]) == 2
        assert "there is no venue in" in capsys.readouterr().err
    assert list(tmp_path.iterdir()) == []


def test_an_empty_database_is_named_as_such(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "admission.db").touch()
    assert main(["tokens", "list", "--data-dir", str(tmp_path)]) == 2
    assert "this database holds no venue yet" in capsys.readouterr().err


@pytest.fixture
def venue_client(demo_venue: DemoVenue) -> Iterator[tuple[TestClient, DemoVenue]]:  # type: ignore[type-arg]
    with api_client(demo_venue) as client:
        yield client, demo_venue


def test_the_venue_folder_and_database_files_are_for_the_service_user_only(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = tmp_path / "data"
    data.mkdir(mode=0o755)
    data.chmod(0o755)
    assert main(["init", "--data-dir", str(data), "--venue", "Zoo", "--timezone", "UTC"]) == 0
    assert main(["tokens", "create", "--name", "g1", "--role", "viewer", "--data-dir", str(data)]) == 0
    capsys.readouterr()
    assert stat.S_IMODE(data.stat().st_mode) == 0o700
    database_files = [p for p in data.iterdir() if p.name.startswith("admission.db")]
    assert "admission.db" in {p.name for p in database_files}
    assert {p.name: stat.S_IMODE(p.stat().st_mode) for p in database_files} == {
        p.name: 0o600 for p in database_files
    }
    # a venue made by an older release, world-readable, is made private when next opened
    (data / "admission.db").chmod(0o644)
    assert main(["tokens", "list", "--data-dir", str(data)]) == 0
    assert stat.S_IMODE((data / "admission.db").stat().st_mode) == 0o600


def test_serve_refuses_a_look_up_limit_below_one_with_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ADMISSION_LOOKUP_MISSES_PER_DEVICE", "")  # restored after the test
    init(tmp_path, capsys)
    code = main(["serve", "--data-dir", str(tmp_path / "data"), "--lookup-misses-per-device", "0"])
    assert code == 2
    said = " ".join(capsys.readouterr().err.split())
    assert "ADMISSION_LOOKUP_MISSES_PER_DEVICE must be a whole number of misses from 1 to 1000000" in said
