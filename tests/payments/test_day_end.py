"""Terminal reconciliation, the end of day per till and tender, and cash-up."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from litestar.testing import TestClient

from admission.cli import main
from admission.demo import DemoVenue
from tests.box_office.conftest import sale_body, seller
from tests.box_office.signing import register_till_key
from tests.support.venues import bearer

Client = TestClient  # type: ignore[type-arg]
PAY = "/api/v1/payments"
TILL = "box-office-1"


def sell(client: Client, venue: DemoVenue, method: str, amount: int, **extra: object) -> dict[str, object]:
    body = sale_body([{"plu": "100", "quantity": amount // 2500}], method=method, amount=amount, **extra)
    sold = client.post("/api/v1/sales", json=body, headers=seller(venue))
    assert sold.status_code == 201, sold.text
    return dict(sold.json())


def offline_card_sale(client: Client, venue: DemoVenue, amount: int = 2500) -> None:
    key = register_till_key(client, venue.box_office_token)
    template = client.get("/api/v1/templates", params={"plu": "100"}, headers=seller(venue)).json()[0]
    body = sale_body(
        [{"template_id": template["id"], "quantity": 1, "unit_price_cents": 2500}],
        method="card",
        amount=amount,
        card_brand="visa",
        offline=True,
        sold_at=(datetime.now(UTC) - timedelta(minutes=5)).isoformat(),
        tickets=[key.sign(template["id"])],
    )
    posted = client.post("/api/v1/sales", json=body, headers=seller(venue))
    assert posted.status_code == 201, posted.text


def test_a_settlement_is_reconciled_with_stored_payments_apart(client: Client, demo_venue: DemoVenue) -> None:
    sell(client, demo_venue, "card", 5000, card_brand="visa")
    sell(client, demo_venue, "cash", 2500)
    offline_card_sale(client, demo_venue)
    today = date.today().isoformat()
    viewer = bearer(demo_venue.viewer_token)
    (till,) = client.get(f"{PAY}/reconciliation", headers=viewer).json()["tills"]
    assert (till["till"], till["status"], till["online_card_cents"], till["offline_card_cents"]) == (
        TILL, "no_settlement", 5000, 2500
    )  # fmt: skip
    assert [p["amount_cents"] for p in till["stored_payments"]] == [2500]

    def settle(total: int) -> dict[str, object]:
        entry = [{"till": TILL, "date": today, "total_cents": total}]
        assert client.put(f"{PAY}/settlements", json=entry, headers=seller(demo_venue)).json() == {
            "entered": 1
        }
        (row,) = client.get(f"{PAY}/reconciliation", params={"date": today}, headers=viewer).json()["tills"]
        return dict(row)

    assert settle(5000)["status"] == "matches"
    assert settle(7500)["status"] == "matches_with_stored"  # the terminal forwarded the stored one too
    off = settle(4000)
    assert (off["status"], off["difference_cents"], off["difference_with_offline_cents"]) == (
        "mismatch",
        -1000,
        -3500,
    )
    unknown = [{"till": "nobody", "date": today, "total_cents": 1}]
    assert client.put(f"{PAY}/settlements", json=unknown, headers=seller(demo_venue)).status_code in (
        400,
        422,
    )
    assert client.put(f"{PAY}/settlements", json=unknown, headers=viewer).status_code == 403


def test_settlements_imported_from_csv_and_a_mismatch_exits_non_zero(
    client: Client, demo_venue: DemoVenue, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    sell(client, demo_venue, "card", 5000, card_brand="visa")
    args = ["--database-url", demo_venue.database_url, "--data-dir", demo_venue.data_dir]
    today = date.today().isoformat()
    csv_file = tmp_path / "settlements.csv"
    csv_file.write_text(f'till,date,total,note\n{TILL},{today},"50,00",batch 17\n', encoding="utf-8")
    assert main(["payments", "import-settlements", str(csv_file), *args]) == 0
    assert "1 settlement(s) entered." in capsys.readouterr().out
    assert main(["payments", "reconcile", "--date", today, *args]) == 0
    assert "matches" in capsys.readouterr().out
    assert main(["payments", "settle", "--till", TILL, "--date", today, "--total", "49.00", *args]) == 0
    assert main(["payments", "reconcile", "--date", today, *args]) == 1
    assert "MISMATCH" in capsys.readouterr().out
    csv_file.write_text(f"till,date,total\n{TILL},{today},lots\n", encoding="utf-8")
    assert main(["payments", "import-settlements", str(csv_file), *args]) == 2
    assert "line 2" in capsys.readouterr().err


def test_end_of_day_per_till_and_tender_with_a_cash_up(
    client: Client, demo_venue: DemoVenue, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    sell(client, demo_venue, "card", 5000, card_brand="visa")
    cash = sell(client, demo_venue, "cash", 5000)
    split = sale_body([{"plu": "100", "quantity": 1}], method="mobile", amount=1000)
    split["further_tenders"] = [{"method": "cash", "amount_cents": 2000}]
    assert client.post("/api/v1/sales", json=split, headers=seller(demo_venue)).status_code == 201
    assert (
        client.post(f"/api/v1/sales/{cash['id']}/refund", json={}, headers=seller(demo_venue)).status_code
        == 200
    )
    today = date.today().isoformat()
    report = client.get(f"{PAY}/end-of-day", headers=bearer(demo_venue.viewer_token)).json()
    (till,) = report["tills"]
    tenders = {t["tender"]: t for t in till["tenders"]}
    assert {k: v["net_cents"] for k, v in tenders.items()} == {"card": 5000, "cash": 1500, "mobile": 1000}
    assert (tenders["cash"]["sales"], tenders["cash"]["refunds"]) == (2, 1)
    assert till["cash_net_cents"] == 1500 and till["cash_up"] is None
    counted = {
        "till": TILL,
        "date": today,
        "counted_cents": 11_400,
        "float_cents": 10_000,
        "counted_by": "Mette",
    }
    up = client.post(f"{PAY}/cash-ups", json=counted, headers=seller(demo_venue))
    assert up.status_code == 200, up.text
    assert (up.json()["expected_cents"], up.json()["over_short_cents"]) == (11_500, -100)
    assert up.json()["counted_at"].endswith(("+01:00", "+02:00"))  # the venue's time
    csv_text = client.get(f"{PAY}/end-of-day", params={"format": "csv"}, headers=seller(demo_venue)).text
    # The split's cash part is what it paid (15.00 of 20.00 handed over), not what was tendered.
    assert f"{today},{TILL},cash,2,6500,1,5000,1500,EUR" in csv_text
    assert f"{TILL},10000,11500,11400,-100,Mette," in csv_text
    args = ["--database-url", demo_venue.database_url, "--data-dir", demo_venue.data_dir]
    out_csv = tmp_path / "day.csv"
    assert main(["payments", "end-of-day", "--date", today, "--csv", str(out_csv), *args]) == 0
    out = capsys.readouterr().out
    assert "Mette" in out and "Card" in out and "Mobile" in out
    assert out_csv.read_bytes().decode() == csv_text
    again = [
        "payments",
        "cash-up",
        "--till",
        TILL,
        "--counted",
        "115",
        "--float",
        "100",
        "--by",
        "Jens",
        *args,
    ]
    assert main(again) == 0
    assert "exactly right" in capsys.readouterr().out
    assert main(["payments", "cash-up", "--till", "nobody", "--counted", "1", "--by", "x", *args]) == 2
