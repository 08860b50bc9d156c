"""Cards through the API: selling, paying, loading, unloading, blocking, moving a lost card's
balance, retries, and the float report."""

from __future__ import annotations

from datetime import UTC, datetime

from tests.cards.conftest import Cards


def test_only_an_admin_defines_card_types(cards: Cards) -> None:
    refused = cards.post("/types", {"name": "Staff card", "kind": "stored_value"})
    assert refused.status_code == 403
    listed = cards.client.get("/api/v1/cards/types", headers=cards.box).json()
    assert [t["name"] for t in listed] == ["Gift card", "Member card"]


def test_a_gift_card_pays_until_its_value_is_spent_and_shows_its_ledger(cards: Cards) -> None:
    card = cards.sell(amount=5000)
    assert (card["balance_cents"], card["status"], card["kind"]) == (5000, "active", "gift")
    paid = cards.move(card["number"], "pay", 2000, reference="sale-17")
    assert paid.status_code == 200
    assert paid.json()["card"]["balance_cents"] == 3000
    short = cards.move(card["number"], "pay", 3001)
    assert short.status_code == 409 and "holds" in short.json()["detail"]
    assert cards.move(card["number"], "load", 1000).status_code == 422  # a gift card is not reloaded
    shown = cards.show(card["code"])  # by its scanned code as by its number
    assert [(e["kind"], e["amount_cents"], e["balance_after_cents"]) for e in shown["entries"]] == [
        ("issue", 5000, 5000),
        ("pay", -2000, 3000),
    ]
    payment = shown["entries"][1]
    assert payment["device"] and payment["token_id"] and payment["reference"] == "sale-17"


def test_a_retried_nonce_is_counted_once_and_a_reused_one_refused(cards: Cards) -> None:
    card = cards.sell(amount=5000)
    first = cards.move(card["number"], "pay", 1500, nonce="till-1-retry")
    again = cards.move(card["number"], "pay", 1500, nonce="till-1-retry")
    assert first.status_code == again.status_code == 200
    assert first.json()["entry"]["id"] == again.json()["entry"]["id"]
    assert cards.show(card["number"])["balance_cents"] == 3500
    other = cards.move(card["number"], "pay", 100, nonce="till-1-retry")
    assert other.status_code == 409 and "nonce" in other.json()["detail"]
    assert cards.show(card["number"])["balance_cents"] == 3500


def test_a_blocked_card_is_refused(cards: Cards) -> None:
    card = cards.sell(amount=5000)
    blocked = cards.post(f"/{card['number']}/block", {"reason": "stolen"})
    assert blocked.json()["status"] == "blocked"
    refused = cards.move(card["number"], "pay", 100)
    assert refused.status_code == 403 and "blocked" in refused.json()["detail"]
    assert cards.show(card["number"])["balance_cents"] == 5000


def test_stored_value_loads_and_unloads_within_its_limits(cards: Cards) -> None:
    card = cards.sell("Member card", amount=2000)
    assert cards.move(card["number"], "load", 3000, tender="card").json()["card"]["balance_cents"] == 5000
    assert cards.move(card["number"], "load", 45001).status_code == 422  # over the type's cap
    assert cards.move(card["number"], "unload", 10001, tender="cash").status_code == 422  # over the limit
    assert cards.move(card["number"], "unload", 4000, tender="cash").json()["card"]["balance_cents"] == 1000


def test_a_pin_card_pays_only_with_its_pin(cards: Cards) -> None:
    card = cards.sell("Member card", amount=2000, pin="4711")
    assert card["pin"] is True
    assert cards.move(card["number"], "pay", 100).status_code == 403
    assert cards.move(card["number"], "pay", 100, pin="1234").status_code == 403
    assert cards.move(card["number"], "pay", 100, pin="4711").status_code == 200


def test_a_lost_cards_balance_moves_to_a_new_card_and_the_old_is_blocked(cards: Cards) -> None:
    lost = cards.sell("Member card", amount=4000)
    cards.move(lost["number"], "pay", 500)
    new = cards.sell("Member card", amount=0)
    moved = cards.post(f"/{lost['number']}/transfer", {"nonce": cards.nonce(), "to_card": new["number"]})
    assert moved.status_code == 200, moved.text
    assert moved.json()["card"]["balance_cents"] == 3500
    old = cards.show(lost["number"])
    assert (old["status"], old["balance_cents"], old["replaced_by"]) == ("blocked", 0, new["number"])
    assert cards.move(lost["number"], "pay", 100).status_code == 403
    again = cards.post(f"/{lost['number']}/transfer", {"nonce": cards.nonce(), "to_card": new["number"]})
    assert again.status_code == 422  # its balance moved once, and only once
    report = cards.client.get("/api/v1/reports/float", headers=cards.viewer).json()
    member = next(r for r in report["rows"] if r["card_type"] == "Member card")
    assert (member["outstanding_cents"], member["transferred_cents"]) == (3500, 0)


def test_an_offline_overdraw_is_kept_and_flagged_never_clamped(cards: Cards) -> None:
    card = cards.sell(amount=1000)
    cards.move(card["number"], "pay", 800)  # online, meanwhile, at another till
    took = datetime(2026, 12, 3, 11, 0, tzinfo=UTC).isoformat()
    late = cards.move(card["number"], "pay", 500, offline=True, occurred_at=took)
    assert late.status_code == 200
    entry = late.json()["entry"]
    assert (entry["amount_cents"], entry["conflict"], entry["conflict_cents"]) == (-500, True, 300)
    assert late.json()["card"]["balance_cents"] == -300
    report = cards.client.get("/api/v1/reports/float", headers=cards.viewer).json()
    gift = next(r for r in report["rows"] if r["card_type"] == "Gift card")
    assert (gift["conflicts"], gift["conflict_cents"], gift["outstanding_cents"]) == (1, 300, -300)


def test_the_float_report_adds_up_per_card_type_and_exports_csv(cards: Cards) -> None:
    gift = cards.sell(amount=5000)
    member = cards.sell("Member card", amount=2000)
    cards.move(gift["number"], "pay", 1200)
    cards.move(member["number"], "load", 3000)
    cards.move(member["number"], "unload", 1000)
    report = cards.client.get("/api/v1/reports/float", headers=cards.viewer)
    assert report.status_code == 200
    rows = {r["card_type"]: r for r in report.json()["rows"]}
    assert (rows["Gift card"]["outstanding_cents"], rows["Gift card"]["paid_cents"]) == (3800, 1200)
    member_row = rows["Member card"]
    assert (member_row["issued_cents"], member_row["loaded_cents"], member_row["unloaded_cents"]) == (2000, 3000, 1000)
    assert member_row["outstanding_cents"] == 4000
    csv = cards.client.get("/api/v1/reports/float?format=csv", headers=cards.viewer)
    assert csv.headers["content-type"].startswith("text/csv")
    assert "Gift card,gift,EUR,1,3800,5000,0,1200" in csv.text
    assert cards.client.get("/api/v1/reports/float", headers=cards.box).status_code == 403


def test_bad_card_requests_are_4xx_problems(cards: Cards) -> None:
    assert cards.client.get("/api/v1/cards/12345", headers=cards.box).status_code == 422
    assert cards.client.get("/api/v1/cards/1234567890123452", headers=cards.box).status_code in (404, 422)
    card = cards.sell(amount=1000)
    assert cards.move(card["number"], "pay", -5).status_code == 400
    assert cards.post("", {"nonce": "x", "card_type": "Nope", "amount_cents": 100}).status_code == 404
    bad_dates = cards.client.get("/api/v1/reports/float?from=yesterdayish", headers=cards.viewer)
    assert bad_dates.status_code == 422
    assert cards.client.get(f"/api/v1/cards/{card['number']}").status_code == 401


def _sale(cards: Cards, nonce: str, parts: list[dict[str, object]], payment: dict[str, object]) -> object:
    body = {"nonce": nonce, "lines": [{"plu": "100", "quantity": 1}], "payment": payment, "stored_value": parts}
    return cards.client.post("/api/v1/sales", json=body, headers=cards.box)


def test_a_sale_is_paid_partly_from_a_card_and_the_rest_in_cash_exactly_once(cards: Cards) -> None:
    price = cards.client.get("/api/v1/templates", headers=cards.box).json()
    day = next(t for t in price if t["plu"] == "100")["price_cents"]
    card = cards.sell(amount=day - 500)
    parts = [{"card": card["number"], "amount_cents": day - 500}]
    first = _sale(cards, "till-1-split", parts, {"method": "cash", "amount_cents": 1000})
    assert first.status_code == 201, first.text  # type: ignore[attr-defined]
    assert first.json()["stored_value_cents"] == day - 500  # type: ignore[attr-defined]
    again = _sale(cards, "till-1-split", parts, {"method": "cash", "amount_cents": 1000})
    assert again.status_code == 200  # type: ignore[attr-defined]
    shown = cards.show(card["number"])
    assert shown["balance_cents"] == 0 and shown["entries"][-1]["reference"] == "sale till-1-split"
    report = cards.client.get("/api/v1/sales/report", headers=cards.box).json()
    cash = next(m for m in report["totals"] if m["method"] == "cash")
    assert cash["sold_cents"] == 500  # only what the drawer took; the card part is in the float
    short = _sale(cards, "till-1-short", [{"card": card["number"], "amount_cents": 100}], {"method": "cash", "amount_cents": day})
    assert short.status_code == 409  # type: ignore[attr-defined]
    assert cards.client.get("/api/v1/sales?nonce=till-1-short", headers=cards.box).json() == []


def test_a_card_part_beside_a_split_payment_is_its_own_tender_at_the_end_of_the_day(cards: Cards) -> None:
    price = cards.client.get("/api/v1/templates", headers=cards.box).json()
    day = next(t for t in price if t["plu"] == "100")["price_cents"]
    card = cards.sell(amount=1000)
    body = {
        "nonce": "till-1-three-ways",
        "lines": [{"plu": "100", "quantity": 2}],
        "payment": {"method": "card", "amount_cents": day, "card_brand": "visa"},
        "further_tenders": [{"method": "cash", "amount_cents": day}],  # more than left: change
        "stored_value": [{"card": card["number"], "amount_cents": 1000}],
    }
    sold = cards.client.post("/api/v1/sales", json=body, headers=cards.box)
    assert sold.status_code == 201, sold.text
    tenders = {t["method"]: t["amount_cents"] for t in sold.json()["tenders"]}
    # The tenders pay what the card leaves, exactly: the cash part is the rest, not what was handed over.
    assert tenders == {"card": day, "cash": day - 1000}
    assert sold.json()["stored_value_cents"] == 1000
    report = cards.client.get("/api/v1/payments/end-of-day", headers=cards.box).json()
    (till,) = report["tills"]
    net = {t["tender"]: t["net_cents"] for t in till["tenders"]}
    assert net == {"card": day, "cash": day - 1000, "stored_value": 1000}
    assert till["cash_net_cents"] == day - 1000
