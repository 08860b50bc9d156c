"""`admission payments ...`: the managers' payment routines: card-terminal incidents, invoices
(list, mark paid), terminal settlements and their reconciliation, the end of day per till and
tender, and cash-up; times in the venue's time zone, money as the language writes it."""

from __future__ import annotations

import argparse
import csv
import io
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from rich.table import Table
from sqlalchemy.ext.asyncio import AsyncSession

from admission.cli.common import CliError, add_database_options, console, reading, run, settings_from, writing
from admission.contract.payments import CashUpIn, InvoiceOut, InvoicePaidIn, SettlementIn, TerminalIncidentOut
from admission.domain.payments import DEFAULT_LABELS, PaymentMethod
from admission.i18n import N_, _
from admission.i18n.formatting import money
from admission.services import catalog
from admission.services import reports as report_service
from admission.services.payments import end_of_day, incidents, reconciliation
from admission.services.sales import invoices


async def venue_zone(session: AsyncSession) -> ZoneInfo:
    return ZoneInfo((await catalog.get_venue(session)).timezone)


def local(moment: datetime | None, tz: ZoneInfo) -> str:
    return f"{moment.astimezone(tz):%Y-%m-%d %H:%M}" if moment else ""


def cmd_incidents(args: argparse.Namespace) -> int:
    async def work(session: AsyncSession) -> tuple[ZoneInfo, list[TerminalIncidentOut]]:
        tz = await venue_zone(session)
        if not (args.start or args.end):
            return tz, await incidents.list_incidents(session, tz)
        period = report_service.resolve_period(tz, args.start, args.end)
        return tz, await incidents.list_incidents(session, tz, period.start, period.end)

    tz, rows = run(reading(settings_from(args), work))
    table = Table(
        _("till"),
        _("down from"),
        _("until"),
        _("minutes"),
        _("cause"),
        _("note"),
        _("paid meanwhile"),
        title=_("Card terminal incidents ({timezone})").format(timezone=str(tz)),
    )
    for row in rows:
        minutes = "" if row.duration_seconds is None else f"{row.duration_seconds / 60:.0f}"
        paid = ", ".join(f"{use.method} {use.sales} x {money(use.cents)}" for use in row.paid_with)
        table.add_row(
            row.device,
            local(row.started_at, tz),
            local(row.ended_at, tz) or _("still down"),
            minutes,
            row.cause,
            row.note or "",
            paid,
        )
    console.print(table)
    if not rows:
        console.print(_("No card terminal incidents."))
    return 0


STATUS_WORDS = {"unpaid": N_("unpaid"), "paid": N_("paid"), "cancelled": N_("cancelled")}


def cmd_invoices(args: argparse.Namespace) -> int:
    async def work(session: AsyncSession) -> tuple[ZoneInfo, list[InvoiceOut]]:
        return await venue_zone(session), await invoices.list_invoices(session, args.status)

    tz, rows = run(reading(settings_from(args), work))
    table = Table(
        _("invoice"),
        _("customer"),
        _("reference"),
        _("amount"),
        _("due"),
        _("status"),
        _("sold"),
        _("paid"),
        title=_("Invoices ({timezone})").format(timezone=str(tz)),
    )
    for row in rows:
        status = _(STATUS_WORDS.get(row.status, row.status))
        if row.overdue:
            status = "[bold red]{}[/]".format(_("overdue"))
        paid = f"{local(row.paid_at, tz)} {row.paid_by or ''}".strip() if row.paid_at else ""
        table.add_row(
            str(row.id),
            row.customer,
            row.reference,
            money(row.amount_cents, row.currency),
            row.due_date.isoformat(),
            status,
            f"S{row.sale_id} {local(row.issued_at, tz)}",
            paid,
        )
    console.print(table)
    unpaid = [r for r in rows if r.status == "unpaid"]
    console.print(
        _("{count} unpaid, {amount} outstanding").format(
            count=len(unpaid), amount=money(sum(r.amount_cents for r in unpaid))
        )
    )
    return 0


def cmd_invoice_paid(args: argparse.Namespace) -> int:
    # The command line is the service's own hand (no device), as `admission notice` is.
    async def work(session: AsyncSession) -> InvoiceOut:
        return await invoices.mark_paid(session, None, args.invoice_id, InvoicePaidIn(note=args.note))

    invoice = run(writing(settings_from(args), work))
    console.print(
        _("Invoice {id} ({customer}, {reference}) is paid.").format(
            id=invoice.id, customer=invoice.customer, reference=invoice.reference
        )
    )
    return 0


def parse_cents(text: str) -> int:
    """Cents from "1234.50", "1234,50" or "1234"."""
    cleaned = text.strip().replace(" ", "").replace(",", ".")
    try:
        return int((Decimal(cleaned) * 100).to_integral_value())
    except InvalidOperation:
        problem = _("cannot read the amount {text!r}: write it like 1234.50").format(text=text)
        raise CliError(problem) from None


def parse_date(text: str | None) -> date:
    if text is None:
        return datetime.now().date()
    try:
        return date.fromisoformat(text)
    except ValueError:
        problem = _("cannot read the date {text!r}: write it like 2026-06-01").format(text=text)
        raise CliError(problem) from None


def cmd_settle(args: argparse.Namespace) -> int:
    entry = SettlementIn(
        till=args.till, date=parse_date(args.date), total_cents=parse_cents(args.total), note=args.note
    )
    run(writing(settings_from(args), lambda s: reconciliation.enter_settlements(s, [entry])))
    console.print(
        _("Settlement of {till} on {day}: {total}.").format(
            till=entry.till, day=entry.date.isoformat(), total=money(entry.total_cents)
        )
    )
    return 0


def read_settlements(path: str) -> list[SettlementIn]:
    """A CSV with the columns till, date, total (and an optional note), one row per terminal."""
    try:
        text = Path(path).read_text(encoding="utf-8-sig")
    except OSError as exc:
        raise CliError(_("cannot read {path}: {error}").format(path=path, error=exc.strerror)) from None
    entries = []
    for number, row in enumerate(csv.DictReader(io.StringIO(text)), 2):
        try:
            entries.append(
                SettlementIn(
                    till=(row.get("till") or "").strip(),
                    date=parse_date((row.get("date") or "").strip()),
                    total_cents=parse_cents(row.get("total") or ""),
                    note=(row.get("note") or "").strip() or None,
                )
            )
        except CliError as exc:
            raise CliError(_("line {number}: {problem}").format(number=number, problem=exc)) from None
    if not entries:
        raise CliError(_("{path} holds no settlements: columns till,date,total").format(path=path))
    return entries


def cmd_import_settlements(args: argparse.Namespace) -> int:
    entries = read_settlements(args.file)
    count = run(writing(settings_from(args), lambda s: reconciliation.enter_settlements(s, entries)))
    console.print(_("{count} settlement(s) entered.").format(count=count))
    return 0


STATUS_TEXT = {
    "matches": N_("matches"),
    "matches_with_stored": N_("matches with the stored payments"),
    "mismatch": N_("MISMATCH"),
    "no_settlement": N_("no settlement entered"),
}


def cmd_reconcile(args: argparse.Namespace) -> int:
    day = parse_date(args.date)
    report = run(reading(settings_from(args), lambda s: reconciliation.reconciliation(s, day)))
    tz = ZoneInfo(report.timezone)
    table = Table(
        _("till"),
        _("settlement"),
        _("card online"),
        _("difference"),
        _("stored offline"),
        _("difference with stored"),
        _("status"),
        title=_("Card terminal reconciliation {day} ({timezone})").format(
            day=day.isoformat(), timezone=report.timezone
        ),
    )

    def amount(cents: int | None) -> str:
        return "" if cents is None else money(cents, report.currency)

    for till in report.tills:
        status = _(STATUS_TEXT[till.status])
        table.add_row(
            till.till,
            amount(till.settlement_cents),
            amount(till.online_card_cents),
            amount(till.difference_cents),
            amount(till.offline_card_cents),
            amount(till.difference_with_offline_cents),
            f"[bold red]{status}[/]" if till.status == "mismatch" else status,
        )
    console.print(table)
    stored = [(t.till, p) for t in report.tills for p in t.stored_payments]
    if stored:
        listing = Table(
            _("till"), _("sale"), _("sold"), _("synced"), _("brand"), _("amount"),
            title=_("Card payments stored offline (forwarded by the terminal later)"),
        )  # fmt: skip
        for name, p in stored:
            listing.add_row(
                name, f"S{p.sale_id}", local(p.sold_at, tz), local(p.synced_at, tz), p.card_brand or "",
                money(p.amount_cents, report.currency),
            )  # fmt: skip
        console.print(listing)
    if not report.tills:
        console.print(_("No card payments and no settlements on this day."))
    return 1 if any(t.status == "mismatch" for t in report.tills) else 0


def cmd_end_of_day(args: argparse.Namespace) -> int:
    day = parse_date(args.date)
    report = run(reading(settings_from(args), lambda s: end_of_day.end_of_day(s, day)))
    if args.csv:
        Path(args.csv).write_text(end_of_day.end_of_day_csv(report), encoding="utf-8")
    tz = ZoneInfo(report.timezone)
    table = Table(
        _("till"), _("tender"), _("sales"), _("sold"), _("refunds"), _("refunded"), _("net"),
        title=_("End of day {day} per till and tender ({timezone})").format(
            day=day.isoformat(), timezone=report.timezone
        ),
    )  # fmt: skip
    for till in report.tills:
        for t in till.tenders:
            table.add_row(
                till.till, tender_words(t.tender), str(t.sales), money(t.sold_cents, report.currency),
                str(t.refunds), money(t.refunded_cents, report.currency), money(t.net_cents, report.currency),
            )  # fmt: skip
    for t in report.tenders:
        table.add_row(
            _("all tills"), tender_words(t.tender), str(t.sales), money(t.sold_cents, report.currency),
            str(t.refunds), money(t.refunded_cents, report.currency), money(t.net_cents, report.currency),
            style="bold",
        )  # fmt: skip
    console.print(table)
    cash = Table(
        _("till"), _("float"), _("expected"), _("counted"), _("over/short"), _("counted by"), _("at"),
        title=_("Cash-up"),
    )  # fmt: skip
    for till in report.tills:
        c = till.cash_up
        if c is None:
            expected = money(till.cash_net_cents, report.currency)
            cash.add_row(till.till, "", expected, _("not counted"), "", "", "")
            continue
        over_short = money(c.over_short_cents, report.currency)
        cash.add_row(
            till.till, money(c.float_cents, report.currency), money(c.expected_cents, report.currency),
            money(c.counted_cents, report.currency),
            f"[bold red]{over_short}[/]" if c.over_short_cents else over_short,
            c.counted_by, local(c.counted_at, tz),
        )  # fmt: skip
    console.print(cash)
    return 0


def cmd_cash_up(args: argparse.Namespace) -> int:
    data = CashUpIn(
        till=args.till,
        date=parse_date(args.date),
        counted_cents=parse_cents(args.counted),
        float_cents=parse_cents(args.float) if args.float else 0,
        counted_by=args.by,
        note=args.note,
    )
    if not data.counted_by.strip():
        raise CliError(_("say who counted: --by NAME"))
    result = run(writing(settings_from(args), lambda s: end_of_day.record_cash_up(s, data)))
    words = (
        _("over by {amount}") if result.over_short_cents > 0 else _("short by {amount}")
    ).format(amount=money(abs(result.over_short_cents)))
    if result.over_short_cents == 0:
        words = _("exactly right")
    console.print(
        _("Cash-up of {till}: counted {counted}, expected {expected}: {words}.").format(
            till=data.till,
            counted=money(result.counted_cents),
            expected=money(result.expected_cents),
            words=words,
        )
    )
    return 0


def tender_words(tender: str) -> str:
    if tender == "stored_value":
        return _("Gift or stored-value card")
    try:
        return _(DEFAULT_LABELS[PaymentMethod(tender)])
    except ValueError:
        return tender


def _period(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--from", dest="start", help="start: a date, a date-time (venue time) or today")
    parser.add_argument("--to", dest="end", help="end: a date includes that whole day")


def register(commands: Any) -> None:
    group = commands.add_parser(
        "payments", help="payment routines: terminal incidents, invoices, reconciliation, end of day, cash-up"
    )
    sub = group.add_subparsers(dest="payments_command", required=True)
    listing = sub.add_parser("incidents", help="card-terminal incidents: when, why, how guests paid")
    add_database_options(listing)
    _period(listing)
    listing.set_defaults(handler=cmd_incidents)
    listing = sub.add_parser("invoices", help="invoices (pay later): paid, unpaid, overdue")
    add_database_options(listing)
    listing.add_argument("--status", choices=invoices.STATUSES, help="only these")
    listing.set_defaults(handler=cmd_invoices)
    paid = sub.add_parser("invoice-paid", help="mark an invoice paid")
    add_database_options(paid)
    paid.add_argument("invoice_id", type=int, help="the invoice's number (see `payments invoices`)")
    paid.add_argument("--note", help="e.g. the bank transfer's reference")
    paid.set_defaults(handler=cmd_invoice_paid)
    settle = sub.add_parser("settle", help="enter a card terminal's end-of-day settlement total")
    add_database_options(settle)
    settle.add_argument("--till", required=True, help="the till (box-office device) whose terminal it is")
    settle.add_argument("--date", help="YYYY-MM-DD, the venue's day (default: today)")
    settle.add_argument("--total", required=True, help="the settlement total, e.g. 1234.50")
    settle.add_argument("--note", help="e.g. the acquirer's batch number")
    settle.set_defaults(handler=cmd_settle)
    imported = sub.add_parser(
        "import-settlements", help="enter settlements from a CSV: till,date,total[,note]"
    )
    add_database_options(imported)
    imported.add_argument("file", help="the CSV file")
    imported.set_defaults(handler=cmd_import_settlements)
    reconcile = sub.add_parser(
        "reconcile", help="settlements against recorded card payments (exit 1 on a mismatch)"
    )
    add_database_options(reconcile)
    reconcile.add_argument("--date", help="YYYY-MM-DD, the venue's day (default: today)")
    reconcile.set_defaults(handler=cmd_reconcile)
    day = sub.add_parser("end-of-day", help="per till and tender: sales, refunds, net; and each cash-up")
    add_database_options(day)
    day.add_argument("--date", help="YYYY-MM-DD, the venue's day (default: today)")
    day.add_argument("--csv", help="also write it as CSV to this file")
    day.set_defaults(handler=cmd_end_of_day)
    cash = sub.add_parser("cash-up", help="the drawer counted: against the float and the day's cash")
    add_database_options(cash)
    cash.add_argument("--till", required=True, help="the till (box-office device)")
    cash.add_argument("--date", help="YYYY-MM-DD, the venue's day (default: today)")
    cash.add_argument("--counted", required=True, help="the cash counted in the drawer, e.g. 512.30")
    cash.add_argument("--float", help="the change the drawer started with (default 0)")
    cash.add_argument("--by", required=True, help="who counted")
    cash.add_argument("--note", help="e.g. who checked the count")
    cash.set_defaults(handler=cmd_cash_up)
