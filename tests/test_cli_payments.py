"""The `admission` commands for tickets issued unpaid: `issue --unpaid`, `mark-paid`, and
`templates pending-entry`; what they change is what a gate's scan then decides. Runs on each
backend."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from litestar.testing import TestClient

from admission.cli import main
from admission.cli.common import console, errors
from admission.demo import DemoVenue
from tests.support.venues import api_client, bearer

Client = TestClient  # type: ignore[type-arg]


@pytest.fixture
def client(demo_venue: DemoVenue, monkeypatch: pytest.MonkeyPatch) -> Iterator[Client]:
    monkeypatch.setattr(console, "_width", 250)  # no wrapped table cells to match across
    monkeypatch.setattr(errors, "_width", 250)
    with api_client(demo_venue) as test_client:
        yield test_client


def db(venue: DemoVenue) -> list[str]:
    return ["--database-url", venue.database_url, "--data-dir", venue.data_dir]


def scan(client: Client, venue: DemoVenue, code: str, nonce: str) -> str:
    body = {"code": code, "gate": "Main gate", "nonce": nonce}
    answer = client.post("/api/v1/scans", json=body, headers=bearer(venue.gate_tokens["Main gate"]))
    assert answer.status_code == 200, answer.text
    return str(answer.json()["reason"])


def issued_numbers_and_codes(out: str) -> list[tuple[str, str]]:
    rows = out.strip().splitlines()
    assert rows[0] == "number,serial,code"
    return [(number, code) for number, _serial, code in (row.split(",") for row in rows[1:])]


def test_issue_unpaid_then_mark_paid(
    client: Client, demo_venue: DemoVenue, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["issue", "--template", "Day ticket", "--count", "2", "--unpaid", *db(demo_venue)]) == 0
    out, err = capsys.readouterr()
    (first, first_code), (second, second_code) = issued_numbers_and_codes(out)
    assert "refuse them until each is marked paid" in err
    assert scan(client, demo_venue, first_code, "cli-1") == "unpaid"

    assert main(["mark-paid", first, *db(demo_venue)]) == 0
    out, _err = capsys.readouterr()
    assert f"Ticket {first} is paid" in out
    assert scan(client, demo_venue, first_code, "cli-2") == "ok"

    # A list with one ticket that cannot be marked marks none, and says why, without a traceback.
    assert main(["mark-paid", second, first, *db(demo_venue)]) == 2
    _out, err = capsys.readouterr()
    assert "paid already" in err and "Traceback" not in err
    assert scan(client, demo_venue, second_code, "cli-3") == "unpaid"
    assert main(["mark-paid", "1234567890123", *db(demo_venue)]) == 2
    assert "Error:" in capsys.readouterr().err


def test_a_template_set_to_admit_pending_tickets_says_so_and_admits_them(
    client: Client, demo_venue: DemoVenue, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["issue", "--template", "Day ticket", "--unpaid", *db(demo_venue)]) == 0
    ((_number, code),) = issued_numbers_and_codes(capsys.readouterr().out)

    assert main(["templates", "pending-entry", "Day ticket", "allow", *db(demo_venue)]) == 0
    assert "tickets not yet paid are admitted" in capsys.readouterr().out
    assert main(["templates", "list", *db(demo_venue)]) == 0
    assert "Tickets not yet paid are admitted too." in capsys.readouterr().out
    assert scan(client, demo_venue, code, "cli-allow") == "ok"

    assert main(["templates", "pending-entry", "Day ticket", "refuse", *db(demo_venue)]) == 0
    assert "refused until marked paid" in capsys.readouterr().out
    assert main(["templates", "pending-entry", "No such template", "allow", *db(demo_venue)]) == 2
