"""VAT on a receipt: prices are gross (VAT included), and a receipt shows, per VAT rate, the net
amount, the VAT and the gross amount, in integer minor units (cents, öre, øre).

Rates are kept in basis points (hundredths of a percent: 25 % is 2500, Finland's 25.5 % is 2550),
so every rate a Nordic or German till meets is exact and the arithmetic stays in integers.

How the VAT is rounded, and why:

- **Per rate, on the receipt's total** at that rate, never line by line: the gross amounts of
  the lines at one rate are added first, then the VAT in them is computed once. That is the figure
  tax law asks for (the VAT amount per rate of the invoice, e.g. Germany's UStG § 14 and the EU
  VAT directive, art. 226), and it cannot drift by a cent per line on a long receipt.
- **Half up** (commercial rounding, *kaufmännisches Runden*), away from zero for refunds: it is
  what tax offices, accountants and every cash register the staff know do, so a receipt checked
  by hand agrees to the cent. Banker's rounding (half to even) only pays off when very many
  roundings are summed, which a receipt, with one rounding per rate, never does; and a refund
  mirrors its sale exactly, minus sign for minus sign.
- **Net is gross minus VAT**, so net + VAT == gross always, on every line of the VAT table.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

BASIS_POINTS_PER_PERCENT = 100
MAX_RATE_BASIS_POINTS = 100 * BASIS_POINTS_PER_PERCENT  # 100 %: no VAT rate is higher


class InvalidVatRate(ValueError):
    """A VAT rate that is not a percentage from 0 to 100 with at most two decimals."""


def rate_basis_points(percent: float | int | str | Decimal) -> int:
    """25 -> 2500, 25.5 -> 2550, "7" -> 700; at most two decimals, from 0 to 100 %."""
    try:
        exact = Decimal(str(percent).strip())
    except InvalidOperation as exc:
        raise InvalidVatRate(f"{percent!r} is not a VAT rate: write a percentage, e.g. 25 or 25.5") from exc
    if not exact.is_finite() or not 0 <= exact <= 100:
        raise InvalidVatRate(f"{percent!r} is not a VAT rate from 0 to 100 %")
    basis = exact * BASIS_POINTS_PER_PERCENT
    if basis != basis.to_integral_value():
        raise InvalidVatRate(f"{percent!r} has more than two decimals: write e.g. 25.5")
    return int(basis)


def rate_percent(basis_points: int) -> float:
    """2550 -> 25.5 (exact for every rate of at most two decimals)."""
    return basis_points / BASIS_POINTS_PER_PERCENT


def rate_words(basis_points: int) -> str:
    """2500 -> "25", 2550 -> "25.5", 700 -> "7" (the number as a receipt prints it, before "%")."""
    text = f"{Decimal(basis_points) / BASIS_POINTS_PER_PERCENT:f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def vat_in_gross(gross: int, basis_points: int) -> int:
    """The VAT contained in a gross amount at a rate, rounded half away from zero."""
    if not 0 <= basis_points <= MAX_RATE_BASIS_POINTS:
        raise InvalidVatRate(f"{basis_points} basis points is not a VAT rate from 0 to 100 %")
    magnitude = Decimal(abs(gross)) * basis_points / (10_000 + basis_points)
    vat = int(magnitude.quantize(Decimal(1), rounding=ROUND_HALF_UP))
    return -vat if gross < 0 else vat


@dataclass(frozen=True, slots=True)
class VatLine:
    """One row of a receipt's VAT table: the amounts at one rate."""

    rate_basis_points: int
    net: int
    vat: int
    gross: int


def vat_table(lines: Iterable[tuple[int, int]]) -> list[VatLine]:
    """The VAT table of a receipt from its lines as (gross amount, rate in basis points), one row
    per rate, highest rate first (as receipts list them)."""
    gross_by_rate: dict[int, int] = {}
    for gross, basis_points in lines:
        gross_by_rate[basis_points] = gross_by_rate.get(basis_points, 0) + gross
    table = []
    for basis_points in sorted(gross_by_rate, reverse=True):
        gross = gross_by_rate[basis_points]
        vat = vat_in_gross(gross, basis_points)
        table.append(VatLine(rate_basis_points=basis_points, net=gross - vat, vat=vat, gross=gross))
    return table
