"""`admission cards …` and `admission report float`: what a manager does at the shell."""

from __future__ import annotations

import re

import pytest

from admission.cli import main
from admission.demo import DemoVenue


def _db(venue: DemoVenue) -> list[str]:
    return ["--database-url", venue.database_url, "--data-dir", venue.data_dir]


def _number(text: str) -> str:
    found = re.search(r"(\d{4} \d{4} \d{4} \d{4})", text)
    assert found, text
    return found.group(1).replace(" ", "")


def test_a_manager_sells_pays_moves_a_lost_card_and_reads_the_float(
    demo_venue: DemoVenue, capsys: pytest.CaptureFixture[str]
) -> None:
    db = _db(demo_venue)
    assert main(["cards", "type-add", "Member card", "--kind", "stored_value", "--unload-limit", "50", *db]) == 0
    assert main(["cards", "sell", "Member card", "--amount", "40", *db]) == 0
    card = _number(capsys.readouterr().out)
    assert main(["cards", "load", card, "25.50", *db]) == 0
    assert main(["cards", "unload", card, "60", *db]) == 2  # over the type's limit: a message, no traceback
    assert "at most" in capsys.readouterr().err
    assert main(["cards", "transfer", card, *db]) == 0
    out = capsys.readouterr().out
    new = _number(out)
    assert new != card and "65.50" in out
    assert main(["cards", "show", card, *db]) == 0
    shown = capsys.readouterr().out
    assert "blocked" in shown and "transfer_out" in shown and "Europe/Copenhagen" in shown
    assert main(["cards", "pay", card, "1", *db]) == 2
    assert "blocked" in capsys.readouterr().err
    assert main(["report", "float", "--csv", "-", *db]) == 0
    assert "Member card,stored_value,EUR,2,6550,4000,2550,0,0,0,0,0,0,0" in capsys.readouterr().out


def test_typed_amounts_that_are_not_money_are_refused(demo_venue: DemoVenue, capsys: pytest.CaptureFixture[str]) -> None:
    db = _db(demo_venue)
    assert main(["cards", "type-add", "Gift card", "--kind", "gift", *db]) == 0
    assert main(["cards", "sell", "Gift card", "--amount", "12.345", *db]) == 2
    assert "not an amount" in capsys.readouterr().err
    assert main(["cards", "show", "0000", *db]) == 2


def test_a_lost_gift_card_moves_to_a_new_gift_card_and_a_gift_card_is_still_sold_with_a_value(
    demo_venue: DemoVenue, capsys: pytest.CaptureFixture[str]
) -> None:
    db = _db(demo_venue)
    assert main(["cards", "type-add", "Gift card", "--kind", "gift", *db]) == 0
    assert main(["cards", "sell", "Gift card", "--amount", "0", *db]) == 2
    assert "give an amount" in capsys.readouterr().err
    assert main(["cards", "sell", "Gift card", "--amount", "50", *db]) == 0
    lost = _number(capsys.readouterr().out)
    assert main(["cards", "pay", lost, "20", *db]) == 0
    capsys.readouterr()
    assert main(["cards", "transfer", lost, *db]) == 0
    out = capsys.readouterr().out
    new = _number(out)
    assert new != lost and "30.00" in out
    assert main(["cards", "pay", lost, "1", *db]) == 2
    assert "blocked" in capsys.readouterr().err
