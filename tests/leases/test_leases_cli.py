"""`admission leases grant|list|return|revoke|conflicts`: what a manager types, in the venue's time
zone, and clear one-line errors for what cannot be done."""

from __future__ import annotations

import pytest

from admission.cli import main
from admission.cli.common import console, errors
from admission.demo import DemoVenue


@pytest.fixture(autouse=True)
def wide(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(console, "_width", 250)  # no wrapped table cells to match across
    monkeypatch.setattr(errors, "_width", 250)


def db(venue: DemoVenue) -> list[str]:
    return ["--database-url", venue.database_url, "--data-dir", venue.data_dir]


def test_grant_list_return_and_revoke(demo_venue: DemoVenue, capsys: pytest.CaptureFixture[str]) -> None:
    grant = [
        "leases",
        "grant",
        "Evening concert",
        "--device",
        "box-office-1",
        "--seats",
        "12",
        *db(demo_venue),
    ]
    assert main(grant) == 0
    out = capsys.readouterr().out
    assert "Lease 1: 12 seats of Evening concert lent to box-office-1 until" in out
    assert main(["leases", "list", *db(demo_venue)]) == 0
    out = capsys.readouterr().out
    assert "Events (Europe/Copenhagen)" in out and "Capacity leases (Europe/Copenhagen)" in out
    concert = next(
        line for line in out.splitlines() if "Evening concert" in line and "box-office-1" not in line
    )
    assert "│ 12 " in concert  # leased out, beside sold and free
    assert "active" in next(line for line in out.splitlines() if "box-office-1" in line)

    assert main(grant) == 2  # the device holds one already
    assert "return it first" in capsys.readouterr().err
    assert main([*grant[:4], "nobody", *grant[5:]]) == 2
    assert "no device is named 'nobody'" in capsys.readouterr().err

    assert main(["leases", "return", "1", *db(demo_venue)]) == 0
    assert (
        "Lease 1 is returned: 12 unused seats of Evening concert are on sale again"
        in capsys.readouterr().out
    )
    assert main(["leases", "return", "1", *db(demo_venue)]) == 0  # asked again: frees nothing more
    assert "Lease 1 was returned already; nothing changed." in capsys.readouterr().out
    too_many = [*grant[:6], "100000", *db(demo_venue)]
    assert main(too_many) == 2
    assert "sold out" in capsys.readouterr().err
    assert main(grant) == 0
    assert main(["leases", "revoke", "2", *db(demo_venue)]) == 0
    assert "Lease 2 is revoked" in capsys.readouterr().out
    assert main(["leases", "list", "--all", *db(demo_venue)]) == 0
    out = capsys.readouterr().out
    assert "returned" in out and "revoked" in out
    assert main(["leases", "conflicts", *db(demo_venue)]) == 0
    assert "Every offline event sale was within a lease." in capsys.readouterr().out
    assert main(["leases", "return", "99", *db(demo_venue)]) == 2
    assert "lease 99 does not exist" in capsys.readouterr().err
