"""A refused token says why: a revoked device is told apart from a token that was replaced
(`admission tokens rotate`) or never made, so a device wipes its store only when it is revoked."""

from __future__ import annotations

import pytest

from admission.cli import main
from admission.demo import DemoVenue
from tests.support.venues import api_client, bearer


def cli(venue: DemoVenue, capsys: pytest.CaptureFixture[str], *args: str) -> str:
    options = ["--database-url", venue.database_url, "--data-dir", str(venue.data_dir)]
    assert main([*args, *options]) == 0
    return capsys.readouterr().out


def test_a_revoked_device_is_told_so_and_a_rotated_token_is_not(
    demo_venue: DemoVenue, capsys: pytest.CaptureFixture[str]
) -> None:
    main_gate = demo_venue.gate_tokens["Main gate"]
    north_gate = demo_venue.gate_tokens["North gate"]
    with api_client(demo_venue) as client:
        main_id = client.get("/api/v1/devices/me", headers=bearer(main_gate)).json()["id"]
        north_id = client.get("/api/v1/devices/me", headers=bearer(north_gate)).json()["id"]
        cli(demo_venue, capsys, "tokens", "revoke", str(main_id))
        cli(demo_venue, capsys, "tokens", "rotate", str(north_id))

        revoked = client.get("/api/v1/sync/changes?since=0&limit=1", headers=bearer(main_gate))
        assert revoked.status_code == 401
        assert revoked.headers["content-type"].startswith("application/problem+json")
        assert revoked.json()["code"] == "device_revoked"
        assert revoked.json()["type"] == "urn:admission:problem:device-revoked"
        assert "enrol" in revoked.json()["detail"]

        rotated = client.get("/api/v1/devices/me", headers=bearer(north_gate))
        assert rotated.status_code == 401
        assert rotated.json()["code"] == "token_revoked"

        unknown = client.get("/api/v1/devices/me", headers=bearer("adm_gate_" + "x" * 43))
        assert unknown.status_code == 401
        assert unknown.json()["code"] == "token_unknown"
        # Asked again (now from the token cache), the answers stay apart.
        assert client.get("/api/v1/devices/me", headers=bearer(main_gate)).json()["code"] == "device_revoked"
        assert client.get("/api/v1/devices/me", headers=bearer(north_gate)).json()["code"] == "token_revoked"
