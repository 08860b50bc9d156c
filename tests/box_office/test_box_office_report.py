"""The box-office day report as the seller reads it."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from admission.contract import OfflineSaleLine, SalesReport
from admission.domain.payments import PaymentMethod
from scanner_client.till.cli import print_report


def test_offline_sales_are_printed_in_the_venue_clock_under_its_name(capsys: pytest.CaptureFixture[str]) -> None:
    line = OfflineSaleLine(
        sale_id=7,
        device="till-1",
        sold_at=datetime(2026, 6, 12, 8, 15, 0, tzinfo=UTC),  # 10:15 in Copenhagen (summer time)
        synced_at=datetime(2026, 6, 12, 9, 20, 30, tzinfo=UTC),
        delay_seconds=3930,
        method=PaymentMethod.CASH,
        total_cents=2500,
        currency="DKK",
    )
    report = SalesReport(
        date=date(2026, 6, 12), timezone="Europe/Copenhagen", devices=[], totals=[], offline_sales=[line]
    )
    print_report(report)
    out = capsys.readouterr().out
    assert "(Europe/Copenhagen)" in out
    assert "sold 10:15:00" in out and "synced 11:20:30" in out
    assert "65 min 30 s later" in out
