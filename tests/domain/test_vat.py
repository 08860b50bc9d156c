"""VAT on a receipt: gross prices, one rounding per rate, net + VAT == gross."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from admission.domain.vat import (
    InvalidVatRate,
    VatLine,
    rate_basis_points,
    rate_words,
    vat_in_gross,
    vat_table,
)

RATES = st.integers(min_value=0, max_value=10_000)
AMOUNTS = st.integers(min_value=-10_000_000, max_value=10_000_000)
LINES = st.lists(st.tuples(AMOUNTS, st.sampled_from([0, 600, 700, 1000, 1200, 1400, 1900, 2500, 2550])))


def test_a_swedish_day_ticket_of_250_kronor_holds_50_kronor_vat() -> None:
    assert vat_table([(25_000, 2500)]) == [
        VatLine(rate_basis_points=2500, net=20_000, vat=5_000, gross=25_000)
    ]


def test_rates_are_rounded_once_on_their_total_not_line_by_line() -> None:
    # 3 x 1.00 at 19 %: per line 0.16 each (0.48); on the total 3.00 it is 0.479 -> 0.48;
    # 7 x 0.10 at 19 %: per line 0.02 each (0.14); on the total 0.70 it is 0.1118 -> 0.11.
    table = vat_table([(10, 1900)] * 7)
    assert table == [VatLine(rate_basis_points=1900, net=59, vat=11, gross=70)]


def test_halves_are_rounded_up_and_refunds_mirror_their_sale() -> None:
    # At 100 % a gross cent holds half a cent of VAT: exactly a half, rounded up.
    assert vat_in_gross(1, 10_000) == 1  # 0.5 of a cent at 100 %: half up
    assert vat_in_gross(-1, 10_000) == -1  # the refund gives back what the sale charged
    assert vat_in_gross(3, 10_000) == 2  # 1.5 -> 2


def test_the_table_lists_each_rate_once_highest_first() -> None:
    table = vat_table([(1000, 700), (2000, 1900), (500, 700), (0, 0)])
    assert [(row.rate_basis_points, row.gross) for row in table] == [(1900, 2000), (700, 1500), (0, 0)]


@given(LINES)
def test_net_and_vat_add_up_to_gross_for_every_rate(lines: list[tuple[int, int]]) -> None:
    table = vat_table(lines)
    assert sum(row.gross for row in table) == sum(gross for gross, _ in lines)
    for row in table:
        assert row.net + row.vat == row.gross
        assert row.gross == sum(gross for gross, rate in lines if rate == row.rate_basis_points)


@given(AMOUNTS, RATES)
def test_vat_is_the_exact_share_rounded_half_up(gross: int, basis_points: int) -> None:
    exact = Decimal(gross) * basis_points / (10_000 + basis_points)
    vat = vat_in_gross(gross, basis_points)
    assert abs(Decimal(vat) - exact) <= Decimal("0.5")
    assert vat_in_gross(-gross, basis_points) == -vat
    assert (vat >= 0) == (gross >= 0) or vat == 0


@pytest.mark.parametrize(
    ("written", "basis_points", "words"),
    [(25, 2500, "25"), (25.5, 2550, "25.5"), ("7", 700, "7"), (0, 0, "0"), ("12.25", 1225, "12.25")],
)
def test_rates_are_read_as_percentages(written: float | str, basis_points: int, words: str) -> None:
    assert rate_basis_points(written) == basis_points
    assert rate_words(basis_points) == words


@pytest.mark.parametrize("written", [-1, 101, "25.555", "a lot", float("nan")])
def test_a_rate_outside_0_to_100_or_with_three_decimals_is_refused(written: float | str) -> None:
    with pytest.raises(InvalidVatRate):
        rate_basis_points(written)
