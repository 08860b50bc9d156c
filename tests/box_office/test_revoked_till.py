"""A revoked till wipes its store and its signing key, keeps its unsent sales in a file for a
manager, says so on screen and refuses to sell or start; the real service process answers."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest
from textual.widgets import Static

from admission.cli import main as admission
from admission.demo import DemoVenue
from scanner_client.core.commands import EXIT_NOT_ENROLLED
from scanner_client.till.app import BoxOfficeApp
from scanner_client.till.cli import main as till_cli
from tests.box_office.test_box_office_app import SIZE, add, pay, until
from tests.box_office.till_support import close_till, enrolled_till
from tests.support.live_server import LiveServer


async def test_a_revoked_till_wipes_its_store_keeps_unsent_sales_and_stops_selling(
    live_server: LiveServer, demo_venue: DemoVenue, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = tmp_path / "data" / "box-office"
    till = await enrolled_till(folder, live_server.url, demo_venue.box_office_token, None)
    me = await till.remote.me() if till.remote else None
    assert me is not None
    app = BoxOfficeApp(till)
    async with app.run_test(size=SIZE) as pilot:
        live_server.stop(kill=True)
        till.go_offline("the link is down")
        await add(pilot, app, "100")
        await pay(pilot, app, "cash", tendered="50")
        sold = app.last_result
        assert sold is not None and sold.offline

        options = ["--database-url", demo_venue.database_url, "--data-dir", str(demo_venue.data_dir)]
        assert await asyncio.to_thread(admission, ["tokens", "revoke", str(me.id), *options]) == 0
        live_server.start()  # the till's own probe learns it; a sync says so too
        report = await till.sync_once()
        assert report.errors and "revoked" in report.errors[0]
        await until(pilot, lambda: "REVOKED" in str(app.query_one("#status", Static).content))
        assert "Enrol this PC again" in str(app.query_one("#message", Static).content)

        await add(pilot, app, "100")
        await pay(pilot, app, "cash", tendered="50")
        assert app.last_result is sold  # nothing more was sold
        assert "revoked" in (app.last_problem or "")

    assert till.store.token is None and till.store.ticket_count() == 0 and till.store.templates() == {}
    assert till.store.sales() == [] and till.store.get_config("server_url") is None
    assert not (folder / "signing-key.pem").exists()
    (kept,) = folder.glob("unsent-sales-*.json")
    assert kept.stat().st_mode & 0o777 == 0o600
    (record,) = json.loads(kept.read_text())
    assert record["nonce"] == sold.local.nonce and record["state"] == "queued"
    assert record["request"]["tickets"] == [t.code for t in sold.tickets]
    await close_till(till)

    capsys.readouterr()
    sync = ["--data-dir", str(tmp_path / "data"), "box-office-sync"]
    assert await asyncio.to_thread(till_cli, sync) == EXIT_NOT_ENROLLED
    assert "revoked" in capsys.readouterr().err
