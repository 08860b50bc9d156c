"""Retroactive registration of plain-text scan logs: parsing, rules in order, exactly once."""

from __future__ import annotations

import codecs
from typing import Any

from admission.demo import DemoVenue
from admission.domain import codes
from admission.services.imports import read_log, split_stamp
from tests.reports.scripted_day import TZ
from tests.support.venues import bearer

IMPORT = "/api/v1/imports/scans"


def day_tickets(venue: DemoVenue) -> list[Any]:
    return [t for t in venue.tickets if t.template == "Day ticket"]


def post_log(client: Any, venue: DemoVenue, content: bytes, **params: str) -> Any:
    response = client.post(
        IMPORT,
        params={"gate": "Main gate", **params},
        content=content,
        headers={**bearer(venue.admin_token), "Content-Type": "text/plain"},
    )
    assert response.status_code == 200, response.text
    return response.json()


def summary(client: Any, venue: DemoVenue) -> Any:
    return client.get("/api/v1/reports/summary", headers=bearer(venue.viewer_token)).json()


def test_line_endings_bom_and_encodings_give_the_same_lines_and_nonces() -> None:
    unix = b"1111\n\n  2222  \nthird line\n"
    variants = [
        b"1111\r\n\r\n  2222  \r\nthird line\r\n",  # Windows
        b"1111\r\r  2222  \rthird line",  # old Mac, no final newline
        b"1111\r\n\n  2222  \rthird line\n",  # mixed
        codecs.BOM_UTF8 + unix,
        codecs.BOM_UTF16_LE + unix.decode().encode("utf-16-le"),  # Notepad's "Unicode"
    ]
    expected = [(line.number, line.text, line.nonce) for line in read_log(unix)]
    assert [text for _, text, _ in expected] == ["1111", "", "2222", "third line"]
    assert len({nonce for *_, nonce in expected}) == 4
    for content in variants:
        assert [(line.number, line.text, line.nonce) for line in read_log(content)] == expected
    # Bytes that are not UTF-8 are read as Windows-1252; NUL and control bytes vanish.
    assert [line.text for line in read_log(b"caf\xe9\x00 \x81ok\x07\n")] == ["café \ufffdok"]
    # A nonce depends on the text up to its line: appending keeps the earlier nonces.
    longer = read_log(unix + b"4444\n")
    assert [line.nonce for line in longer[:4]] == [nonce for *_, nonce in expected]
    # ... and on the gate and direction: another gate's log may start with the same code.
    assert read_log(unix, "North gate")[0].nonce != read_log(unix, "Main gate")[0].nonce
    assert read_log(unix, "Main gate", "out")[0].nonce != read_log(unix, "Main gate")[0].nonce


def test_time_stamps_before_or_after_the_code() -> None:
    assert split_stamp("2026-06-12 14:03:12 1234567890128", TZ)[1].isoformat() == "2026-06-12T14:03:12+02:00"
    code, at = split_stamp("1234567890128;2026-06-12T14:03Z", TZ)
    assert (code, at.isoformat()) == ("1234567890128", "2026-06-12T14:03:00+00:00")
    assert split_stamp("1234567890128", TZ) == ("1234567890128", None)
    assert split_stamp("2026-13-99 10:00 1234567890128", TZ)[1] is None


def test_import_judges_lines_in_order_and_registers_each_once(client, venue: DemoVenue) -> None:
    first, second = day_tickets(venue)[:2]
    unknown = codes.new_ticket_number()
    mistyped = first.number[:-1] + str((int(first.number[-1]) + 1) % 10)  # the check digit catches it
    log = (
        codecs.BOM_UTF8
        + f"{first.number}\r\n".encode()
        + b"\r\n"
        + b"Pause 14:00 \xff\xfe garbage\n"
        + f"{first.number}\r".encode()  # the same ticket again: already used
        + f"]Q1{second.code}\n".encode()  # a QR scan with its AIM prefix
        + f"{unknown}\n".encode()
        + f"{mistyped}\n".encode()
    )
    result = post_log(client, venue, log)
    statuses = [(r["line"], r["status"], r["reason"]) for r in result["results"]]
    assert statuses == [
        (1, "admitted", "ok"),
        (3, "not_a_code", None),
        (4, "rejected", "already_used"),
        (5, "admitted", "ok"),
        (6, "rejected", "invalid"),
        (7, "not_a_code", None),
    ]
    assert (result["lines"], result["blank"], result["registered"]) == (7, 1, 4)
    assert (result["admitted"], result["rejected"], result["not_a_code"]) == (2, 2, 2)
    assert summary(client, venue)["scans"] == 4

    again = post_log(client, venue, log)
    assert again["registered"] == 0 and again["duplicates"] == 4
    assert [r["status"] for r in again["results"]] == [
        "duplicate",
        "not_a_code",
        "duplicate",
        "duplicate",
        "duplicate",
        "not_a_code",
    ]
    assert again["results"][2]["reason"] == "already_used"  # the first answer, not a new one
    assert summary(client, venue)["scans"] == 4

    # The same log saved with other line endings, then with one more line appended.
    third = day_tickets(venue)[2]
    resaved = log.replace(b"\r\n", b"\n").replace(b"\r", b"\n") + f"{third.number}\n".encode()
    appended = post_log(client, venue, resaved)
    assert appended["registered"] == 1 and appended["duplicates"] == 4
    assert appended["results"][-1]["status"] == "admitted"
    sources = client.get("/api/v1/reports/sources", headers=bearer(venue.viewer_token)).json()
    assert {r["source"]: r["scans"] for r in sources["rows"]}["import"] == 5


def test_imported_passages_reach_the_gates_and_count_as_exits(client, venue: DemoVenue) -> None:
    ticket = day_tickets(venue)[0]
    post_log(client, venue, f"{ticket.number}\n".encode())
    post_log(client, venue, f"{ticket.number}\n\n".encode(), direction="out")  # another file: an exit
    page = client.get(
        "/api/v1/sync/changes",
        params={"since": 0, "limit": 10000},
        headers=bearer(venue.gate_tokens["North gate"]),
    ).json()
    passages = [c["data"] for c in page["changes"] if c["kind"] == "passage"]
    assert [(p["ticket_serial"], p["direction"]) for p in passages] == [
        (ticket.serial, "in"),
        (ticket.serial, "out"),
    ]
    figures = summary(client, venue)
    assert (figures["entries"], figures["exits"], figures["occupancy_now"]["zoo"]) == (1, 1, 0)


def test_scan_time_from_at_or_from_the_line(client, venue: DemoVenue) -> None:
    first, second = day_tickets(venue)[:2]
    log = f"{first.number}\n2026-06-12 14:03 {second.number}\n".encode()
    result = post_log(client, venue, log, at="2026-06-12T13:00")
    assert [r["scanned_at"] for r in result["results"]] == [
        "2026-06-12T13:00:00+02:00",
        "2026-06-12T14:03:00+02:00",
    ]
    rows = client.get(
        "/api/v1/reports/passages",
        params={"from": "2026-06-12", "to": "2026-06-12", "granularity": "hour"},
        headers=bearer(venue.viewer_token),
    ).json()["rows"]
    assert [(r["bucket"][11:16], r["entries"]) for r in rows] == [("13:00", 1), ("14:00", 1)]


def test_upload_as_multipart_and_refusals(client, venue: DemoVenue) -> None:
    admin = bearer(venue.admin_token)
    ticket = day_tickets(venue)[0]
    files = {"file": ("gate-main.txt", f"{ticket.number}\n".encode(), "text/plain")}
    response = client.post(IMPORT, params={"gate": "Main gate"}, files=files, headers=admin)
    assert response.status_code == 200, response.text
    assert response.json()["admitted"] == 1
    refusals = [
        (
            client.post(
                IMPORT, params={"gate": "Main gate"}, content=b"x", headers=bearer(venue.viewer_token)
            ),
            403,
        ),
        (client.post(IMPORT, params={"gate": "Back door"}, content=b"x", headers=admin), 422),
        (client.post(IMPORT, params={"gate": "Main gate", "at": "soon"}, content=b"x", headers=admin), 422),
        (
            client.post(
                IMPORT, params={"gate": "Main gate", "at": "2099-01-01T00:00"}, content=b"x", headers=admin
            ),
            422,
        ),
        (
            client.post(IMPORT, params={"gate": "Main gate", "direction": "up"}, content=b"x", headers=admin),
            400,
        ),
        (client.post(IMPORT, content=b"x", headers=admin), 400),
        (
            client.post(
                IMPORT,
                params={"gate": "Main gate"},
                files={"other": ("a", b"")},
                data={"x": "1"},
                headers=admin,
            ),
            200,
        ),
        (client.post(IMPORT, params={"gate": "Main gate"}, data={"x": "1"}, headers=admin), 415),
    ]
    for answer, status in refusals:
        assert answer.status_code == status, answer.text
        if status >= 400:
            assert answer.headers["content-type"].startswith("application/problem+json")
