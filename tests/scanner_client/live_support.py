"""Helpers for tests that run the real `scanner-client` process against the real service process."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import select

from admission.db.engine import Database
from admission.db.models import Device, Scan
from admission.demo import DemoVenue
from tests.support.live_server import LiveServer

CLIENT = [sys.executable, "-m", "scanner_client.cli"]
GATES = {"Main gate": "gate-main", "North gate": "gate-north", "Arena door": "gate-arena"}


def client_env() -> dict[str, str]:
    env = dict(os.environ)
    env.pop("ADMISSION_SCANNER_DIR", None)
    env["PYTHONUNBUFFERED"] = "1"
    return env


def cli(
    data_dir: Path, *args: str, stdin: str | None = None, timeout: float = 60
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*CLIENT, "--data-dir", str(data_dir), *args],
        input=stdin,
        capture_output=True,
        text=True,
        timeout=timeout,
        env=client_env(),
    )


def enroll(
    data_dir: Path, server: LiveServer, venue: DemoVenue, gate: str = "Main gate", pin: str = "1357"
) -> None:
    done = cli(
        data_dir,
        "enroll",
        "--server",
        server.url,
        "--token",
        venue.gate_tokens[gate],
        "--gate",
        gate,
        "--supervisor-pin",
        pin,
    )
    assert done.returncode == 0, done.stderr
    # Tests stop and start the server: probe often, and go offline after one failed call.
    tuned = cli(
        data_dir, "config", "--probe-interval", "0.2", "--failure-threshold", "1", "--scan-timeout", "2"
    )
    assert tuned.returncode == 0, tuned.stderr


def headless(
    data_dir: Path, codes: list[str], drain: float = 0.5, timeout: float = 60
) -> list[dict[str, Any]]:
    done = cli(
        data_dir,
        "gate",
        "--headless",
        "--drain-seconds",
        str(drain),
        stdin="\n".join(codes) + "\n",
        timeout=timeout,
    )
    assert done.returncode == 0, done.stderr
    lines = [json.loads(line) for line in done.stdout.splitlines()]
    assert len(lines) == len([c for c in codes if c.strip()]), done.stdout
    return lines


@dataclass(frozen=True)
class ServerScan:
    nonce: str
    device: str | None
    gate: str
    verdict: str
    reason: str
    source: str
    scanned_at: datetime
    conflict: bool
    annulled: bool
    override_reason: str | None


async def _server_scans(database_url: str) -> list[ServerScan]:
    db = Database(database_url)
    try:
        async with db.read_session() as session:
            rows = await session.execute(
                select(Scan, Device.name).outerjoin(Device, Device.id == Scan.device_id).order_by(Scan.id)
            )
            return [
                ServerScan(
                    nonce=s.nonce,
                    device=name,
                    gate=s.gate,
                    verdict=s.verdict,
                    reason=s.reason,
                    source=s.source,
                    scanned_at=s.scanned_at,
                    conflict=s.conflict,
                    annulled=s.annulled_at is not None,
                    override_reason=s.override_reason,
                )
                for s, name in rows
            ]
    finally:
        await db.dispose()


def server_scans(venue: DemoVenue) -> list[ServerScan]:
    """Every scan the service recorded, read from its database (the facts, not an API view)."""
    return asyncio.run(_server_scans(venue.database_url))


def issue_ticket(server: LiveServer, venue: DemoVenue, template: str) -> dict[str, Any]:
    """Sell one more ticket through the box-office API (while the gates may not know it yet)."""
    with server.client(venue.box_office_token) as box:
        templates = box.get("/api/v1/templates").json()
        template_id = next(t["id"] for t in templates if t["name"] == template)
        response = box.post("/api/v1/tickets/issue", json={"template_id": template_id, "count": 1})
        assert response.status_code in (200, 201), response.text
        return dict(response.json()[0])


def void_ticket(server: LiveServer, venue: DemoVenue, number: str) -> None:
    with server.client(venue.box_office_token) as box:
        response = box.post(f"/api/v1/tickets/{number}/void", json={"reason": "refunded"})
        assert response.status_code == 200, response.text


def outages(server: LiveServer, venue: DemoVenue) -> list[dict[str, Any]]:
    with httpx.Client(
        base_url=server.url, headers={"Authorization": f"Bearer {venue.viewer_token}"}
    ) as viewer:
        return list(viewer.get("/api/v1/outages").json())
