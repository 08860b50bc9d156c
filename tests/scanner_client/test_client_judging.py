"""Real `scanner-client` gates against the real service: the later-scanned of two offline
admissions is the conflict whatever gate uploads first, and the old code of a reissued ticket,
admitted by a gate that did not know of the reissue, uses up the new ticket everywhere."""

from __future__ import annotations

from pathlib import Path

from admission.demo import DemoVenue
from tests.scanner_client.live_support import cli, enroll, headless, server_scans
from tests.support.live_server import LiveServer


def test_the_gate_that_scanned_later_is_flagged_though_it_uploads_first(
    live_server: LiveServer, demo_venue: DemoVenue, tmp_path: Path
) -> None:
    main, north = tmp_path / "main", tmp_path / "north"
    enroll(main, live_server, demo_venue, "Main gate")
    enroll(north, live_server, demo_venue, "North gate")
    ticket = next(t for t in demo_venue.tickets if t.template == "Day ticket")
    live_server.stop()
    (first,) = headless(main, [ticket.number])
    (second,) = headless(north, [ticket.code])
    assert (first["mode"], first["verdict"], second["verdict"]) == ("offline", "admit", "admit")
    live_server.start()
    assert cli(north, "sync").stdout.startswith("uploaded 1 passages (0 conflicts")
    assert cli(main, "sync").stdout.startswith("uploaded 1 passages (0 conflicts")
    recorded = {s.nonce: s for s in server_scans(demo_venue)}
    assert not recorded[first["nonce"]].conflict
    assert recorded[second["nonce"]].conflict and recorded[second["nonce"]].verdict == "admit"
    with live_server.client(demo_venue.viewer_token) as viewer:
        rows = viewer.get("/api/v1/reports/conflicts").json()["rows"]
    assert [(r["nonce"], r["device"], r["reason"]) for r in rows] == [
        (second["nonce"], "gate-north", "already_used")
    ]


def test_the_old_code_admitted_offline_after_a_reissue_uses_up_the_new_ticket(
    live_server: LiveServer, demo_venue: DemoVenue, tmp_path: Path
) -> None:
    main, north = tmp_path / "main", tmp_path / "north"
    enroll(main, live_server, demo_venue, "Main gate")
    enroll(north, live_server, demo_venue, "North gate")
    old = next(t for t in demo_venue.tickets if t.template == "Day ticket")
    with live_server.client(demo_venue.box_office_token) as box:
        response = box.post(f"/api/v1/tickets/{old.number}/reissue")
        assert response.status_code == 201, response.text
        new = response.json()

    live_server.stop()  # North gate never heard of the reissue: the old card is valid there
    (at_north,) = headless(north, [old.code])
    assert (at_north["mode"], at_north["verdict"]) == ("offline", "admit")
    live_server.start()
    assert cli(north, "sync").stdout.startswith("uploaded 1 passages (1 conflicts")

    # Online, the new card is used up.
    (online,) = headless(main, [new["number"]])
    assert (online["mode"], online["verdict"], online["reason"]) == ("online", "reject", "already_used")
    # And offline too, once the gate has read the feed.
    assert cli(main, "sync").returncode == 0
    live_server.stop()
    (offline,) = headless(main, [new["code"]])
    assert (offline["mode"], offline["verdict"], offline["reason"]) == ("offline", "reject", "already_used")
    live_server.start()
    assert cli(main, "sync").returncode == 0

    with live_server.client(demo_venue.viewer_token) as viewer:
        replacement = viewer.get(f"/api/v1/tickets/{new['number']}").json()
        templates = viewer.get("/api/v1/reports/templates").json()["rows"]
    assert replacement["entries_left"] == 0
    assert [(p["nonce"], p["verdict"]) for p in replacement["passages"]] == [
        (at_north["nonce"], "admit"),
        (online["nonce"], "reject"),
        (offline["nonce"], "reject"),
    ]
    assert sum(r["entries"] for r in templates if r["template"] == "Day ticket") == 1
