"""A till's sale queued before the split-payment release digests as it did then, so re-sending it
after the upgrade replays the recorded sale instead of being refused as another sale."""

from __future__ import annotations

from datetime import UTC, datetime
from hashlib import sha256

import msgspec

from admission.contract import SaleIn, SaleLineIn
from admission.domain.payments import PaymentIn, PaymentMethod
from admission.services.sales.lines import request_digest


class SaleInBeforeSplits(msgspec.Struct, kw_only=True):
    """SaleIn as the previous release encoded it."""

    nonce: str
    lines: list[SaleLineIn]
    payment: PaymentIn
    sold_at: datetime | None = None
    offline: bool = False
    tickets: list[str] = []
    buyer_email: str | None = None


def test_an_old_request_keeps_its_digest_and_a_split_changes_it() -> None:
    fields = {
        "nonce": "till-1-abc-7",
        "lines": [SaleLineIn(template_id=3, quantity=2, unit_price_cents=2500)],
        "payment": PaymentIn(method=PaymentMethod.CARD, amount_cents=5000, card_brand="visa"),
        "sold_at": datetime(2026, 6, 1, 10, 30, 5, 123456, tzinfo=UTC),
        "offline": True,
        "tickets": ["CODE1", "CODE2"],
        "buyer_email": "a@b.example",
    }
    old = sha256(msgspec.json.encode(SaleInBeforeSplits(**fields))).hexdigest()  # type: ignore[arg-type]
    assert request_digest(SaleIn(**fields)) == old  # type: ignore[arg-type]
    split = SaleIn(**fields, further_tenders=[PaymentIn(method=PaymentMethod.CASH, amount_cents=10)])  # type: ignore[arg-type]
    assert request_digest(split) != old
