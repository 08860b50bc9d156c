"""What the seller types, read into numbers the till can sell with, and the words the till's
screens use for templates and sale states."""

from __future__ import annotations

import re
from datetime import date, datetime, time
from zoneinfo import ZoneInfo

import msgspec

from admission.contract import MAX_LINE_QUANTITY, TemplateData
from admission.contract.payments import InvoiceIn
from admission.domain.model import TemplateKind
from admission.domain.payments import DEFAULT_LABELS, PaymentMethod
from admission.i18n import N_, _
from admission.i18n.formatting import calendar_date, read_date
from scanner_client.core.money import format_money
from scanner_client.till.sale import SaleProblem

STATE_WORDS = {
    "queued": N_("waits to be posted"),
    "unknown": N_("no answer: checked when back"),
    "attempting": N_("being sent"),
    "refused": N_("REFUSED by the server"),
}


def state_words(state: str) -> str:
    return _(STATE_WORDS[state]) if state in STATE_WORDS else state


def method_words(method: str) -> str:
    """A payment method stored by its code ("cash"), in the till's words."""
    try:
        return _(DEFAULT_LABELS[PaymentMethod(method)])
    except ValueError:
        return method


def template_label(template: TemplateData) -> str:
    plu = template.plu or "—"
    kind = "  [{}]".format(_("event")) if template.kind is TemplateKind.EVENT else ""
    return f"{plu:>6}  {template.name}  {format_money(template.price_cents, template.currency)}{kind}"


def parse_quantity(text: str) -> int:
    try:
        quantity = int(text.strip())
    except ValueError:
        quantity = 0
    if not 1 <= quantity <= MAX_LINE_QUANTITY:
        raise SaleProblem(
            _("Quantity must be a whole number from 1 to {most}, not {text!r}").format(
                most=MAX_LINE_QUANTITY, text=text
            )
        )
    return quantity


def parse_amount(text: str) -> int | None:
    """Cents from "50", "50.5" or "50,50"; None for blank (= exactly the total)."""
    cleaned = text.strip().replace(",", ".")
    if not cleaned:
        return None
    try:
        cents = round(float(cleaned) * 100)
    except ValueError as exc:
        raise SaleProblem(
            _("Amount tendered must be a number like 50.00, not {text!r}").format(text=text)
        ) from exc
    if cents < 0:
        raise SaleProblem(_("Amount tendered cannot be negative"))
    return cents


def parse_invoice(customer: str, reference: str, due: str, today: date) -> InvoiceIn:
    """The invoice a seller typed: who pays, under what reference, by when (a date as the till's
    language writes it, or 2026-12-17), never before today (the venue's)."""
    customer, reference = customer.strip(), reference.strip()
    if not customer:
        raise SaleProblem(_("Type the customer's name (who pays the invoice)"))
    if not reference:
        raise SaleProblem(_("Type the invoice's reference (e.g. the group's booking number)"))
    try:
        due_date = read_date(due)
    except ValueError:
        raise SaleProblem(
            _("The due date must be a date like {example}, not {text!r}").format(
                example=calendar_date(today), text=due
            )
        ) from None
    if due_date < today:
        raise SaleProblem(
            _("The due date {due} has passed: give today or a later day").format(due=calendar_date(due_date))
        )
    try:
        return msgspec.convert(
            {"customer": customer, "reference": reference, "due_date": due_date}, InvoiceIn
        )
    except msgspec.ValidationError:  # too long, or a character the service refuses
        raise SaleProblem(
            _("The customer's name may have up to 150 characters and the reference up to 80")
        ) from None


def due_date_hint(today: date) -> str:
    return _("Due date, written like {example}").format(example=calendar_date(today))


_CLOCK = re.compile(r"^(\d{1,2})[:.](\d{2})$")  # 12:05, and 12.05 as Danish and Finnish write it


def parse_written_time(text: str, now: datetime, tz: ZoneInfo) -> datetime:
    """The time written on a voucher, in the venue's time zone: "12:05" (today), or a date and a
    time ("03/12/2026 12:05" as the till's language writes dates, or "2026-12-03 12:05")."""
    cleaned = " ".join(text.split())
    day, _space, clock = cleaned.rpartition(" ")
    try:
        moment = _clock(clock)
        on = read_date(day) if day else now.astimezone(tz).date()
    except ValueError:
        raise SaleProblem(
            _("Write the voucher's time like {clock}, or with its date: {example}").format(
                clock=now.astimezone(tz).strftime("%H:%M"),
                example=calendar_date(now.astimezone(tz).date()) + " " + now.astimezone(tz).strftime("%H:%M"),
            )
        ) from None
    return datetime.combine(on, moment, tz)


def _clock(text: str) -> time:
    found = _CLOCK.match(text)
    if found is None:
        raise ValueError(text)
    return time(int(found[1]), int(found[2]))  # ValueError past 23:59
