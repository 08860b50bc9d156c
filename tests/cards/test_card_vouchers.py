"""Hand-written card vouchers registered later (seed 000): through the API as a box office does,
and from a CSV file at the shell as a manager does."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from admission.cli import main
from admission.demo import DemoVenue
from admission.domain.card_codes import new_card_number
from tests.cards.conftest import Cards

VENUE = ZoneInfo("Europe/Copenhagen")  # the demo venue's


def _voucher(
    voucher: str, card: str, amount: int, taken_at: datetime | None = None, **extra: Any
) -> dict[str, Any]:
    taken = (taken_at or datetime.now(UTC)).isoformat()
    return {"voucher": voucher, "card": card, "amount_cents": amount, "taken_at": taken, **extra}


def _register(cards: Cards, *vouchers: dict[str, Any], headers: dict[str, str] | None = None) -> Any:
    response = cards.post("/vouchers", {"vouchers": list(vouchers)}, headers)
    assert response.status_code == 200, response.text
    return response.json()


def _outcomes(answer: Any) -> list[str]:
    return [r["outcome"] for r in answer["results"]]


def test_a_voucher_registered_twice_is_counted_once(cards: Cards) -> None:
    card = cards.sell(amount=5000)
    spaced = " ".join(card["number"][i : i + 4] for i in range(0, 16, 4))  # as written by hand
    took = datetime.now(UTC).replace(microsecond=0)
    pile = (
        _voucher("A-101", spaced, 1200, took, note="till 2, Anna"),
        _voucher("A-102", card["number"], 800),
    )
    first = _register(cards, *pile)
    assert _outcomes(first) == ["registered", "registered"]
    assert [r["balance_cents"] for r in first["results"]] == [3800, 3000]
    again = _register(cards, *pile)  # the seller's retry
    assert _outcomes(again) == ["duplicate", "duplicate"]
    other_device = _register(cards, pile[0], headers=cards.admin)  # a manager enters the same pile
    assert _outcomes(other_device) == ["duplicate"]
    assert [r["entry_id"] for r in again["results"]] == [r["entry_id"] for r in first["results"]]
    shown = cards.show(card["number"])
    assert shown["balance_cents"] == 3000
    paid = [e for e in shown["entries"] if e["kind"] == "pay"]
    assert [(e["amount_cents"], e["reference"], e["offline"]) for e in paid] == [
        (-1200, "voucher A-101", True),
        (-800, "voucher A-102", True),
    ]
    assert paid[0]["reason"] == "till 2, Anna"
    assert datetime.fromisoformat(paid[0]["occurred_at"]) == took  # the seller's time, not the upload's
    reused = _register(cards, _voucher("A-101", card["number"], 1300))  # the same number, another amount
    assert _outcomes(reused) == ["refused"] and "already registered" in reused["results"][0]["reason"]
    assert cards.show(card["number"])["balance_cents"] == 3000


def test_an_overdraw_is_registered_and_flagged_with_its_amount(cards: Cards) -> None:
    card = cards.sell(amount=1000)
    cards.move(card["number"], "pay", 600)  # at another till, online, meanwhile
    answer = _register(cards, _voucher("B-1", card["number"], 1000))
    (result,) = answer["results"]
    assert (result["outcome"], result["conflict_cents"], result["balance_cents"]) == ("flagged", 600, -600)
    assert answer["flagged"] == 1 and answer["registered"] == 0
    entry = cards.show(card["number"])["entries"][-1]
    assert (entry["amount_cents"], entry["conflict"], entry["conflict_cents"]) == (-1000, True, 600)
    report = cards.client.get("/api/v1/reports/float", headers=cards.viewer).json()
    gift = next(r for r in report["rows"] if r["card_type"] == "Gift card")
    assert (gift["conflicts"], gift["conflict_cents"], gift["outstanding_cents"]) == (1, 600, -600)


def test_a_card_blocked_before_the_voucher_is_flagged_for_the_whole_amount(cards: Cards) -> None:
    card = cards.sell(amount=5000)
    before = datetime.now(UTC)  # taken while the card was still good
    assert cards.post(f"/{card['number']}/block", {"reason": "stolen"}).status_code == 200
    after = datetime.now(UTC)
    answer = _register(
        cards, _voucher("C-1", card["number"], 700, before), _voucher("C-2", card["number"], 300, after)
    )
    good, stale = answer["results"]
    assert (good["outcome"], good["conflict_cents"]) == ("registered", 0)
    assert (stale["outcome"], stale["conflict_cents"]) == ("flagged", 300)
    assert "blocked" in stale["reason"]
    assert cards.show(card["number"])["balance_cents"] == 4000  # both kept: the guests have the goods


def test_a_bad_card_number_refuses_that_voucher_and_registers_the_others(cards: Cards) -> None:
    card = cards.sell(amount=5000)
    number = card["number"]
    mistyped = number[:-1] + str((int(number[-1]) + 1) % 10)
    answer = _register(
        cards,
        _voucher("D-1", number, 500),
        _voucher("D-2", mistyped, 500),
        _voucher("D-3", new_card_number(), 500),  # a well-formed number no card has
        _voucher("D-4", "1234", 500),
        _voucher("D-5", number, 700, datetime.now(UTC) - timedelta(days=1)),  # before the card was sold
        _voucher("D-6", number, 700),
        _voucher("D-6", number, 700),  # the same voucher twice in one pile
    )
    assert _outcomes(answer) == [
        "registered",
        "refused",
        "refused",
        "refused",
        "refused",
        "registered",
        "duplicate",
    ]
    reasons = [r["reason"] for r in answer["results"]]
    assert "check digit" in reasons[1] and "no card" in reasons[2] and "16 digits" in reasons[3]
    assert "sold after" in reasons[4]
    assert (answer["registered"], answer["refused"], answer["duplicates"]) == (2, 4, 1)
    assert cards.show(number)["balance_cents"] == 3800


def test_vouchers_need_a_seller_and_a_readable_pile(cards: Cards) -> None:
    card = cards.sell(amount=5000)
    pile = {"vouchers": [_voucher("E-1", card["number"], 100)]}
    assert cards.post("/vouchers", pile, cards.viewer).status_code == 403
    assert cards.client.post("/api/v1/cards/vouchers", json=pile).status_code == 401
    naive = {"vouchers": [{**pile["vouchers"][0], "taken_at": "2026-12-03T11:00:00"}]}
    assert cards.post("/vouchers", naive).status_code == 400  # a time without its zone is ambiguous
    assert cards.post("/vouchers", {"vouchers": []}).status_code == 400
    future = _register(cards, _voucher("E-2", card["number"], 100, datetime.now(UTC) + timedelta(days=1)))
    assert _outcomes(future) == ["refused"]
    assert cards.show(card["number"])["balance_cents"] == 5000


def _db(venue: DemoVenue) -> list[str]:
    return ["--database-url", venue.database_url, "--data-dir", venue.data_dir]


def _sold_number(text: str) -> str:
    found = re.search(r"(\d{4} \d{4} \d{4} \d{4})", text)
    assert found, text
    return found.group(1).replace(" ", "")


def _balance(venue: DemoVenue, number: str, capsys: pytest.CaptureFixture[str]) -> str:
    assert main(["cards", "show", number, *_db(venue)]) == 0
    return capsys.readouterr().out.splitlines()[0]


def test_a_manager_registers_a_voucher_file_once_and_sees_what_was_refused(
    demo_venue: DemoVenue, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = _db(demo_venue)
    assert main(["cards", "type-add", "Gift card", "--kind", "gift", *db]) == 0
    assert main(["cards", "sell", "Gift card", "--amount", "100", *db]) == 0
    number = _sold_number(capsys.readouterr().out)
    took = datetime.now(VENUE).replace(second=0, microsecond=0)  # as the seller's watch showed it
    at = took.strftime("%Y-%m-%d %H:%M")
    pile = tmp_path / "vouchers.csv"
    pile.write_text(
        "voucher,card,amount,taken_at,note\n"
        f"F-1,{number},23.50,{at},till 1 Per\n"
        f"F-2,{number[:-1]}{(int(number[-1]) + 1) % 10},10,{at}\n"
        f"F-3,{number},90,{at}\n"
    )
    assert main(["cards", "vouchers", str(pile), *db]) == 1  # one refused: the manager must look
    out, err = capsys.readouterr()
    assert "registered" in out and "refused" in out and "flagged" in out and "check digit" in out
    assert "Europe/Copenhagen" in out and "1 registered, 1 flagged, 0 already registered, 1 refused" in err
    assert "balance -€13.50" in _balance(
        demo_venue, number, capsys
    )  # 100 - 23.50 - 90: overdrawn, not clamped
    assert main(["cards", "vouchers", str(pile), *db]) == 1
    assert "0 registered, 0 flagged, 2 already registered, 1 refused" in capsys.readouterr().err
    assert main(["cards", "show", number, *db]) == 0
    ledger = capsys.readouterr().out
    assert "voucher F-1" in ledger and took.strftime("%H:%M") in ledger  # the seller's time, at the venue


def test_a_voucher_file_with_bad_lines_names_them_and_registers_nothing(
    demo_venue: DemoVenue, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = _db(demo_venue)
    assert main(["cards", "type-add", "Gift card", "--kind", "gift", *db]) == 0
    assert main(["cards", "sell", "Gift card", "--amount", "100", *db]) == 0
    number = _sold_number(capsys.readouterr().out)
    pile = tmp_path / "vouchers.csv"
    pile.write_text(
        f"G-1,{number},10,{datetime.now(VENUE):%Y-%m-%d %H:%M}\n"
        f"G-2,{number},ten,{datetime.now(VENUE):%Y-%m-%d %H:%M}\n"
        f"G-3,{number},10,yesterday noon\n"
        f"G-4,{number}\n"
    )
    assert main(["cards", "vouchers", str(pile), *db]) == 2
    err = capsys.readouterr().err
    assert "line 2" in err and "not an amount" in err and "line 3" in err and "not a time" in err
    assert "line 4" in err and "line 1" not in err and "Nothing was registered" in err
    assert "balance €100.00" in _balance(demo_venue, number, capsys)
    assert main(["cards", "vouchers", str(tmp_path / "missing.csv"), *db]) == 2
