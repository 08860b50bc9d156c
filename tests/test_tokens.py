"""Tokens: a prefix per role, only hashes stored, and `admission tokens rotate`, after which the
old token is refused at once by every worker; tokens of older releases work until rotated."""

from __future__ import annotations

import asyncio
import hashlib
import re
from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from admission.cli import main
from admission.db.engine import Database
from admission.db.models import Device, Token
from admission.demo import DemoVenue
from tests.support.venues import api_client, bearer

ROLES = {
    "admin": "adm_admin_",
    "box_office": "adm_boxoffice_",
    "gate": "adm_gate_",
    "viewer": "adm_viewer_",
    "hub": "adm_hub_",
}


def cli(venue: DemoVenue, capsys: pytest.CaptureFixture[str], *args: str) -> str:
    options = ["--database-url", venue.database_url, "--data-dir", str(venue.data_dir)]
    assert main([*args, *options]) == 0
    return capsys.readouterr().out


def shown_token(out: str) -> str:
    return next(word for word in out.split() if word.startswith("adm_"))


async def stored_tokens(url: str) -> list[tuple[str, str, str]]:
    db = Database(url)
    try:
        async with db.read_session() as session:
            rows = await session.execute(select(Device.name, Token.prefix, Token.token_hash).join(Device))
            return [(name, prefix, digest) for name, prefix, digest in rows]
    finally:
        await db.dispose()


async def give_legacy_token(url: str, device: str, token: str) -> None:
    db = Database(url)
    try:
        async with db.session() as session:
            device_id = await session.scalar(select(Device.id).where(Device.name == device))
            session.add(
                Token(device_id=device_id, token_hash=hashlib.sha256(token.encode()).hexdigest(),
                      prefix="adm_", created_at=datetime.now(UTC))
            )  # fmt: skip
    finally:
        await db.dispose()


def test_each_role_has_its_own_prefix_and_only_hashes_are_stored(
    demo_venue: DemoVenue, capsys: pytest.CaptureFixture[str]
) -> None:
    made = {role: shown_token(cli(demo_venue, capsys, "tokens", "create", "--name", f"new-{role}", "--role", role))
            for role in ROLES}  # fmt: skip
    for role, token in made.items():
        assert re.fullmatch(re.escape(ROLES[role]) + r"[A-Za-z0-9_-]{43}", token), token
    stored = asyncio.run(stored_tokens(demo_venue.database_url))
    for role, token in made.items():
        (row,) = [r for r in stored if r[0] == f"new-{role}"]
        assert row[1] == ROLES[role]  # the prefix kept holds no character of the secret
        assert row[2] == hashlib.sha256(token.encode()).hexdigest()
    assert not [r for r in stored for token in made.values() if token[len(r[1]) :][:4] in r[1]]


def test_rotate_refuses_the_old_token_at_once_on_every_worker(
    demo_venue: DemoVenue, capsys: pytest.CaptureFixture[str]
) -> None:
    old = demo_venue.gate_tokens["Main gate"]
    with api_client(demo_venue) as one, api_client(demo_venue) as two:  # two workers of one service
        for worker in (one, two):  # both have the old token in their cache now
            assert worker.get("/api/v1/devices/me", headers=bearer(old)).status_code == 200
        device = one.get("/api/v1/devices/me", headers=bearer(old)).json()
        new = shown_token(cli(demo_venue, capsys, "tokens", "rotate", str(device["id"])))
        assert new.startswith("adm_gate_")
        for worker in (one, two):
            assert worker.get("/api/v1/devices/me", headers=bearer(old)).status_code == 401
            assert worker.get("/api/v1/devices/me", headers=bearer(new)).json()["name"] == device["name"]


def test_a_token_of_an_older_release_works_until_its_device_is_rotated(
    demo_venue: DemoVenue, capsys: pytest.CaptureFixture[str]
) -> None:
    legacy = "adm_" + "x" * 43
    with api_client(demo_venue) as client:
        north = client.get("/api/v1/devices/me", headers=bearer(demo_venue.gate_tokens["North gate"])).json()
        asyncio.run(give_legacy_token(demo_venue.database_url, north["name"], legacy))
        me = client.get("/api/v1/devices/me", headers=bearer(legacy))
        assert me.status_code == 200 and me.json()["legacy_token"] is True
        assert "legacy" in cli(demo_venue, capsys, "tokens", "list")
        new = shown_token(cli(demo_venue, capsys, "tokens", "rotate", str(me.json()["id"])))
        assert client.get("/api/v1/devices/me", headers=bearer(legacy)).status_code == 401
        assert client.get("/api/v1/devices/me", headers=bearer(new)).json()["legacy_token"] is False
    assert "legacy" not in cli(demo_venue, capsys, "tokens", "list")


def test_device_and_key_lists_show_the_venues_time(demo_venue: DemoVenue, capsys: pytest.CaptureFixture[str]) -> None:
    from datetime import datetime
    from zoneinfo import ZoneInfo

    with api_client(demo_venue) as client:
        venue = client.get("/api/v1/venue", headers=bearer(demo_venue.admin_token)).json()
        devices = client.get("/api/v1/devices", headers=bearer(demo_venue.admin_token)).json()
    tz = ZoneInfo(venue["timezone"])
    created = datetime.fromisoformat(devices[0]["created_at"])
    listed = cli(demo_venue, capsys, "tokens", "list")
    assert f"Devices ({venue['timezone']})" in listed
    assert f" {created.astimezone(tz):%H:%M} " in listed
    assert f" {created.astimezone(ZoneInfo('UTC')):%H:%M} " not in listed  # the venue is not on UTC
    assert f"Issuer keys ({venue['timezone']})" in cli(demo_venue, capsys, "keys", "list")
