"""Ticket numbers cannot be guessed by asking the service: look-ups by a number or code that
name no ticket are limited per device and per address (429 with Retry-After), all look-ups
generously, and managers see the misses."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from litestar.testing import TestClient

from admission.config import InvalidSetting, LookupLimits, Settings
from admission.demo import DEMO_TIMEZONE, DemoVenue
from admission.domain.codes import damm_check_digit
from tests.support.venues import api_client, bearer

Client = TestClient  # type: ignore[type-arg]


def unknown_number(seed: int) -> str:
    """A well-formed ticket number (right check digit) that no demo ticket has: a guess."""
    body = f"{900_000_000_000 + seed:012d}"
    return body + damm_check_digit(body)


def look_up(client: Client, token: str, ref: str) -> int:
    return client.get(f"/api/v1/tickets/{ref}", headers=bearer(token)).status_code


def test_too_many_misses_answer_429_with_retry_after_and_a_problem_body(
    client: Client, venue: DemoVenue
) -> None:
    statuses = [look_up(client, venue.box_office_token, unknown_number(i)) for i in range(10)]
    assert statuses == [404] * 10  # the default: ten misses per device in ten minutes
    refused = client.get(f"/api/v1/tickets/{venue.tickets[0].number}", headers=bearer(venue.box_office_token))
    assert refused.status_code == 429  # a real number too: the look-up is not made at all
    assert refused.headers["content-type"].startswith("application/problem+json")
    retry_after = int(refused.headers["Retry-After"])
    assert 1 <= retry_after <= 600
    problem = refused.json()
    assert problem["status"] == 429 and problem["title"] == "Too many look-ups"
    assert "name no ticket" in problem["detail"] and f"{retry_after} s" in problem["detail"]
    assert problem["retry_after_seconds"] == retry_after


def test_every_route_taking_a_number_counts_its_misses(client: Client, venue: DemoVenue) -> None:
    token = venue.box_office_token
    typo = unknown_number(6)[:-1] + str((int(unknown_number(6)[-1]) + 1) % 10)
    misses = [
        client.get(f"/api/v1/tickets/{unknown_number(1)}/barcode", headers=bearer(token)),
        client.get(f"/api/v1/tickets/{unknown_number(2)}/print", headers=bearer(token)),
        client.post(f"/api/v1/tickets/{unknown_number(3)}/void", json={"reason": "x"}, headers=bearer(token)),
        client.post(f"/api/v1/tickets/{unknown_number(4)}/reissue", json={}, headers=bearer(token)),
        client.get("/api/v1/sales", params={"ticket": unknown_number(5)}, headers=bearer(token)),
    ]
    assert [m.status_code for m in misses] == [404] * 5
    for _ in range(20):  # a typo the check digit catches is no miss: it tells a guesser nothing
        assert look_up(client, token, typo) == 422
    for i in range(5):
        assert look_up(client, token, unknown_number(10 + i)) == 404
    for response in (
        client.get(f"/api/v1/tickets/{venue.tickets[0].number}/barcode", headers=bearer(token)),
        client.get("/api/v1/sales", params={"ticket": venue.tickets[0].number}, headers=bearer(token)),
        client.post(f"/api/v1/tickets/{venue.tickets[0].number}/reissue", json={}, headers=bearer(token)),
    ):
        assert response.status_code == 429 and "Retry-After" in response.headers
    assert client.get("/api/v1/sales", headers=bearer(token)).status_code == 200  # no number: no limit


def test_one_devices_misses_do_not_limit_another_device(client: Client, venue: DemoVenue) -> None:
    for i in range(11):
        look_up(client, venue.box_office_token, unknown_number(i))
    assert look_up(client, venue.box_office_token, venue.tickets[0].number) == 429
    assert look_up(client, venue.viewer_token, venue.tickets[0].number) == 200
    assert look_up(client, venue.viewer_token, unknown_number(99)) == 404


def test_misses_from_one_address_are_limited_across_its_devices(venue: DemoVenue) -> None:
    limits = LookupLimits(misses_per_device=100, misses_per_address=6)
    with api_client(venue, limits) as client:
        for i in range(3):
            assert look_up(client, venue.box_office_token, unknown_number(i)) == 404
            assert look_up(client, venue.viewer_token, unknown_number(10 + i)) == 404
        refused = client.get(f"/api/v1/tickets/{venue.tickets[0].number}", headers=bearer(venue.admin_token))
        assert refused.status_code == 429, refused.text
        assert "address" in refused.json()["detail"] and int(refused.headers["Retry-After"]) >= 1


def test_a_busy_till_typing_real_numbers_is_never_refused(client: Client, venue: DemoVenue) -> None:
    token = venue.box_office_token
    numbers = [t.number for t in venue.tickets]
    for round_ in range(3):  # 60 look-ups in well under a minute, a typo now and then
        for number in numbers:
            assert look_up(client, token, number) == 200
        assert look_up(client, token, unknown_number(round_)) == 404
    assert client.get(f"/api/v1/tickets/{numbers[0]}/print", headers=bearer(token)).status_code == 200


def test_all_look_ups_are_limited_generously_per_minute(venue: DemoVenue) -> None:
    with api_client(venue, LookupLimits(lookups_per_minute=5)) as client:
        number = venue.tickets[0].number
        assert [look_up(client, venue.box_office_token, number) for _ in range(5)] == [200] * 5
        refused = client.get(f"/api/v1/tickets/{number}", headers=bearer(venue.box_office_token))
        assert refused.status_code == 429
        assert 1 <= int(refused.headers["Retry-After"]) <= 60
        assert refused.json()["title"] == "Too many look-ups"
        # Other routes are not look-ups and are not counted; nor is the sales list without a ticket.
        assert client.get("/api/v1/venue", headers=bearer(venue.box_office_token)).status_code == 200
        assert client.get("/api/v1/sales", headers=bearer(venue.box_office_token)).status_code == 200
        by_ticket = client.get(
            "/api/v1/sales", params={"ticket": number}, headers=bearer(venue.box_office_token)
        )
        assert by_ticket.status_code == 429
        # Another device from the same address: the address made its five look-ups this minute.
        assert look_up(client, venue.viewer_token, number) == 429


def test_misses_report_shows_device_address_and_masked_numbers(client: Client, venue: DemoVenue) -> None:
    guessed = [unknown_number(i) for i in range(3)]
    for number in guessed:
        look_up(client, venue.box_office_token, number)
    look_up(client, venue.viewer_token, unknown_number(50))
    report = client.get("/api/v1/reports/lookup-misses", headers=bearer(venue.viewer_token))
    assert report.status_code == 200, report.text
    body = report.json()
    assert body["kind"] == "lookup-misses" and body["timezone"] == DEMO_TIMEZONE
    first, second = body["rows"]
    assert (first["device"], first["address"], first["misses"]) == ("box-office-1", "testclient", 3)
    assert second["misses"] == 1
    assert first["last_tried"] == f"{guessed[-1][:2]}{'•' * 9}{guessed[-1][-2:]}"
    assert not any(number in report.text for number in guessed)
    csv = client.get("/api/v1/reports/lookup-misses?format=csv", headers=bearer(venue.viewer_token))
    assert csv.text.splitlines()[0] == "device,address,misses,first_at,last_at,last_tried"
    later = (datetime.now(UTC) + timedelta(days=2)).date().isoformat()
    empty = client.get(f"/api/v1/reports/lookup-misses?from={later}", headers=bearer(venue.viewer_token))
    assert empty.json()["rows"] == []


def test_box_offices_do_not_read_the_misses_report(client: Client, venue: DemoVenue) -> None:
    response = client.get("/api/v1/reports/lookup-misses", headers=bearer(venue.box_office_token))
    assert response.status_code == 403


@pytest.mark.parametrize("wrong", ["0", "-3", "many"])
def test_a_wrong_limit_in_the_environment_is_named(monkeypatch: pytest.MonkeyPatch, wrong: str) -> None:
    monkeypatch.setenv("ADMISSION_LOOKUP_MISSES_PER_DEVICE", wrong)
    with pytest.raises(InvalidSetting, match="ADMISSION_LOOKUP_MISSES_PER_DEVICE"):
        LookupLimits.from_environment()


@pytest.mark.parametrize(
    ("variable", "wrong"),
    [
        ("ADMISSION_TILL_CERTIFICATE_HOURS", "0"),
        ("ADMISSION_TILL_CERTIFICATE_HOURS", "forever"),
        ("ADMISSION_CLOCK_SKEW_LIMIT", "nan"),
        ("ADMISSION_SILENT_AFTER", "-5"),
    ],
)
def test_every_numeric_setting_names_itself_and_what_it_must_hold(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, variable: str, wrong: str
) -> None:
    monkeypatch.setenv(variable, wrong)
    with pytest.raises(InvalidSetting, match=rf"{variable} must be a number of \w+ from .* not '{wrong}'"):
        Settings.load(data_dir=tmp_path)
