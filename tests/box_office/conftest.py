"""Fixtures for box-office tests: the demo venue (SQLite, and PostgreSQL when configured) with an
in-process API client, and helpers to build sale requests."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from typing import Any

import pytest
from litestar.testing import TestClient

from admission.demo import DemoVenue
from tests.support.venues import api_client, bearer

_nonces = itertools.count(1)

PLU_DAY, PLU_CARD, PLU_WEEKEND, PLU_CONCERT, PLU_CONCERT_FALLBACK = "100", "110", "120", "200", "201"


@pytest.fixture
def client(demo_venue: DemoVenue) -> Iterator[TestClient]:  # type: ignore[type-arg]
    with api_client(demo_venue) as test_client:
        yield test_client


def nonce() -> str:
    return f"test-sale-{next(_nonces)}"


def sale_body(
    lines: list[dict[str, Any]], method: str = "cash", amount: int = 0, **extra: Any
) -> dict[str, Any]:
    payment: dict[str, Any] = {"method": method, "amount_cents": amount}
    if "card_brand" in extra:
        payment["card_brand"] = extra.pop("card_brand")
    return {"nonce": extra.pop("nonce", None) or nonce(), "lines": lines, "payment": payment, **extra}


def seller(venue: DemoVenue) -> dict[str, str]:
    return bearer(venue.box_office_token)


def admin(venue: DemoVenue) -> dict[str, str]:
    return bearer(venue.admin_token)
