"""The look-up limits hold against a real service with two workers: a guesser spreading its
misses over connections (and so over workers) gets no more than one worker would give it."""

from __future__ import annotations

import asyncio
from collections import Counter

import httpx
import pytest

from admission.demo import DemoVenue
from admission.domain.codes import damm_check_digit
from tests.support.live_server import running_server

LIMIT = 6


def guess(i: int) -> str:
    body = f"{800_000_000_000 + i:012d}"
    return body + damm_check_digit(body)


async def guess_all(url: str, token: str, count: int) -> list[httpx.Response]:
    async def one(i: int) -> httpx.Response:
        # A connection of its own per guess: the kernel spreads them over both workers.
        async with httpx.AsyncClient(
            base_url=url, headers={"Authorization": f"Bearer {token}"}, timeout=30
        ) as client:
            return await client.get(f"/api/v1/tickets/{guess(i)}")

    return await asyncio.gather(*(one(i) for i in range(count)))


def test_the_miss_limit_holds_across_two_workers_and_concurrent_guesses(
    demo_venue: DemoVenue, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ADMISSION_LOOKUP_MISSES_PER_DEVICE", str(LIMIT))
    with running_server(demo_venue, workers=2) as server:
        answers = asyncio.run(guess_all(server.url, demo_venue.box_office_token, 4 * LIMIT))
        assert Counter(a.status_code for a in answers) == {404: LIMIT, 429: 3 * LIMIT}
        assert all(int(a.headers["Retry-After"]) >= 1 for a in answers if a.status_code == 429)
        with server.client(demo_venue.box_office_token) as client:
            assert client.get(f"/api/v1/tickets/{demo_venue.tickets[0].number}").status_code == 429
        with server.client(demo_venue.viewer_token) as client:  # another device is not limited
            assert client.get(f"/api/v1/tickets/{demo_venue.tickets[0].number}").status_code == 200
            report = client.get("/api/v1/reports/lookup-misses").json()
        assert [(r["device"], r["misses"]) for r in report["rows"]] == [("box-office-1", LIMIT)]
