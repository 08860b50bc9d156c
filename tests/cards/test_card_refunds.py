"""A refund puts each card's part of the sale back on the card, exactly once."""

from __future__ import annotations

from typing import Any

from tests.cards.conftest import Cards


def _day_price(cards: Cards) -> int:
    templates = cards.client.get("/api/v1/templates", headers=cards.box).json()
    price: int = next(t for t in templates if t["plu"] == "100")["price_cents"]
    return price


def _sell(cards: Cards, nonce: str, parts: list[dict[str, Any]], cash: int) -> dict[str, Any]:
    body = {
        "nonce": nonce,
        "lines": [{"plu": "100", "quantity": 1}],
        "payment": {"method": "cash", "amount_cents": cash},
        "stored_value": parts,
    }
    sold = cards.client.post("/api/v1/sales", json=body, headers=cards.box)
    assert sold.status_code == 201, sold.text
    sale: dict[str, Any] = sold.json()
    return sale


def _refund(cards: Cards, sale_id: int) -> Any:
    return cards.client.post(f"/api/v1/sales/{sale_id}/refund", json={}, headers=cards.box)


def test_a_refund_credits_each_card_its_part_once_and_says_so(cards: Cards) -> None:
    day = _day_price(cards)
    gift = cards.sell(amount=1000)
    member = cards.sell("Member card", amount=700)
    parts = [{"card": gift["number"], "amount_cents": 600}, {"card": member["number"], "amount_cents": 700}]
    sale = _sell(cards, "till-1-two-cards", parts, day - 1300)
    assert [(p["card_number"], p["paid_cents"]) for p in sale["card_parts"]] == [
        (gift["number"], 600),
        (member["number"], 700),
    ]
    refunded = _refund(cards, sale["id"])
    assert refunded.status_code == 200, refunded.text
    back = {p["card_number"]: (p["refunded_cents"], p["refunded_to"]) for p in refunded.json()["card_parts"]}
    assert back == {gift["number"]: (600, gift["number"]), member["number"]: (700, member["number"])}
    assert _refund(cards, sale["id"]).status_code == 409  # sent again: nothing credited twice
    shown = cards.show(gift["number"])
    assert shown["balance_cents"] == 1000
    (entry,) = [e for e in shown["entries"] if e["kind"] == "refund"]
    assert entry["amount_cents"] == 600 and entry["reference"] == "refund of sale till-1-two-cards"
    assert entry["nonce"] != "till-1-two-cards>card1"  # its own nonce, not the payment's
    assert cards.show(member["number"])["balance_cents"] == 700
    report = cards.client.get("/api/v1/payments/end-of-day", headers=cards.box).json()
    (till,) = report["tills"]
    stored = next(t for t in till["tenders"] if t["tender"] == "stored_value")
    assert (stored["refunded_cents"], stored["net_cents"]) == (1300, 0)


def test_a_lost_cards_part_goes_back_to_the_card_its_balance_moved_to(cards: Cards) -> None:
    day = _day_price(cards)
    lost = cards.sell(amount=1000)
    sale = _sell(cards, "till-1-lost", [{"card": lost["number"], "amount_cents": 400}], day - 400)
    fresh = cards.sell(amount=100)
    body = {"nonce": cards.nonce(), "to_card": fresh["number"], "reason": "lost"}
    moved = cards.post(f"/{lost['number']}/transfer", body)
    assert moved.status_code in (200, 201), moved.text
    new_number = moved.json()["card"]["number"]
    before = cards.show(new_number)["balance_cents"]
    refunded = _refund(cards, sale["id"])
    assert refunded.status_code == 200, refunded.text
    (part,) = refunded.json()["card_parts"]
    assert (part["card_number"], part["refunded_to"], part["refunded_cents"]) == (lost["number"], new_number, 400)
    assert cards.show(new_number)["balance_cents"] == before + 400
    assert cards.show(lost["number"])["balance_cents"] == 0


def test_a_blocked_card_refuses_its_part_and_the_sale_stays_as_it_was(cards: Cards) -> None:
    day = _day_price(cards)
    card = cards.sell(amount=1000)
    sale = _sell(cards, "till-1-blocked", [{"card": card["number"], "amount_cents": 500}], day - 500)
    assert cards.post(f"/{card['number']}/block", {"reason": "stolen"}).status_code in (200, 201)
    refused = _refund(cards, sale["id"])
    assert refused.status_code == 409
    assert card["number"][-4:] in refused.json()["detail"]
    shown = cards.client.get(f"/api/v1/sales/{sale['id']}", headers=cards.box).json()
    assert shown["status"] == "completed" and shown["tickets"][0]["status"] == "valid"
    assert cards.show(card["number"])["balance_cents"] == 500


def test_a_refund_sent_again_with_its_nonce_is_answered_as_the_first_time(cards: Cards) -> None:
    """A till whose refund got no answer sends it again under the same nonce: it gets the
    refunded sale back, and the card is credited once; the nonce for anything else is a 409."""
    day = _day_price(cards)
    gift = cards.sell(amount=1000)
    sale = _sell(cards, "till-1-retried", [{"card": gift["number"], "amount_cents": 400}], day - 400)
    other = _sell(cards, "till-1-other", [], day)
    url = f"/api/v1/sales/{sale['id']}/refund"
    body = {"nonce": "refund-7", "reason": "guest ill"}
    first = cards.client.post(url, json=body, headers=cards.box)
    assert first.status_code == 200, first.text
    again = cards.client.post(url, json=body, headers=cards.box)
    assert again.status_code == 200, again.text
    assert again.json() == first.json()
    assert cards.show(gift["number"])["balance_cents"] == 1000  # credited once

    changed = cards.client.post(url, json={**body, "include_used": True}, headers=cards.box)
    assert changed.status_code == 409 and "refund nonce refund-7" in changed.json()["detail"]
    elsewhere = cards.client.post(f"/api/v1/sales/{other['id']}/refund", json=body, headers=cards.box)
    assert elsewhere.status_code == 409
    assert cards.client.get(f"/api/v1/sales/{other['id']}", headers=cards.box).json()["status"] == "completed"
    # Without a nonce, or with another device's (its own namespace), a refunded sale stays a 409.
    assert _refund(cards, sale["id"]).status_code == 409
    assert cards.client.post(url, json=body, headers=cards.admin).status_code == 409
    # A new nonce refunds the other sale as usual.
    fresh = cards.client.post(f"/api/v1/sales/{other['id']}/refund", json={"nonce": "refund-8"}, headers=cards.box)
    assert fresh.status_code == 200 and fresh.json()["status"] == "refunded"
