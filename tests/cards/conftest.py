from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from litestar.testing import TestClient

from admission.demo import DemoVenue
from tests.support.venues import api_client, bearer

GIFT = {"name": "Gift card", "kind": "gift", "validity_days": 365}
MEMBER = {"name": "Member card", "kind": "stored_value", "max_balance_cents": 50000, "unload_limit_cents": 10000}


class Cards:
    """The API as a box office (and an admin, where the rules ask for one) uses it."""

    def __init__(self, client: TestClient, venue: DemoVenue) -> None:  # type: ignore[type-arg]
        self.client = client
        self.box = bearer(venue.box_office_token)
        self.admin = bearer(venue.admin_token)
        self.viewer = bearer(venue.viewer_token)
        self._nonce = 0

    def nonce(self) -> str:
        self._nonce += 1
        return f"till-1-{self._nonce}"

    def post(self, path: str, body: dict[str, Any], headers: dict[str, str] | None = None) -> Any:
        return self.client.post(f"/api/v1/cards{path}", json=body, headers=headers or self.box)

    def sell(self, card_type: str = "Gift card", amount: int = 5000, **extra: Any) -> dict[str, Any]:
        body = {"nonce": self.nonce(), "card_type": card_type, "amount_cents": amount, **extra}
        response = self.post("", body)
        assert response.status_code == 201, response.text
        card: dict[str, Any] = response.json()["card"]
        return card

    def move(self, number: str, kind: str, amount: int, **extra: Any) -> Any:
        body = {"nonce": extra.pop("nonce", None) or self.nonce(), "amount_cents": amount, **extra}
        return self.post(f"/{number}/{kind}", body)

    def show(self, ref: str) -> dict[str, Any]:
        response = self.client.get(f"/api/v1/cards/{ref}", headers=self.box)
        assert response.status_code == 200, response.text
        card: dict[str, Any] = response.json()
        return card


@pytest.fixture
def cards(demo_venue: DemoVenue) -> Iterator[Cards]:
    with api_client(demo_venue) as client:
        api = Cards(client, demo_venue)
        for card_type in (GIFT, MEMBER):
            client.post("/api/v1/cards/types", json=card_type, headers=api.admin).raise_for_status()
        yield api
