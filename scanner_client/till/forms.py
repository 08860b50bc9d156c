"""What the seller types, read into numbers the till can sell with, and the words the till's
screens use for templates and sale states."""

from __future__ import annotations

from admission.contract import MAX_LINE_QUANTITY, TemplateData
from admission.domain.model import TemplateKind
from scanner_client.core.money import format_money
from scanner_client.till.sale import SaleProblem

STATE_WORDS = {
    "queued": "waits to be posted",
    "unknown": "no answer: checked when back",
    "attempting": "being sent",
    "refused": "REFUSED by the server",
}


def template_label(template: TemplateData) -> str:
    plu = template.plu or "—"
    kind = "  [event]" if template.kind is TemplateKind.EVENT else ""
    return f"{plu:>6}  {template.name}  {format_money(template.price_cents, template.currency)}{kind}"


def parse_quantity(text: str) -> int:
    try:
        quantity = int(text.strip())
    except ValueError:
        quantity = 0
    if not 1 <= quantity <= MAX_LINE_QUANTITY:
        raise SaleProblem(f"Quantity must be a whole number from 1 to {MAX_LINE_QUANTITY}, not {text!r}")
    return quantity


def parse_amount(text: str) -> int | None:
    """Cents from "50", "50.5" or "50,50"; None for blank (= exactly the total)."""
    cleaned = text.strip().replace(",", ".")
    if not cleaned:
        return None
    try:
        cents = round(float(cleaned) * 100)
    except ValueError as exc:
        raise SaleProblem(f"Amount tendered must be a number like 50.00, not {text!r}") from exc
    if cents < 0:
        raise SaleProblem("Amount tendered cannot be negative")
    return cents
