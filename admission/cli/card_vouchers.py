"""`admission cards vouchers FILE.csv`: register the hand-written card vouchers of an outage.

The file has one voucher a line, `voucher,card,amount,taken_at[,note]` (a header line naming the
columns may come first): the amount as written (123.50), the time in the venue's time zone
(2026-12-03 14:05) unless it states its offset. A file with a line that cannot be read registers
nothing: each bad line is named, the file fixed and given again. Registering the same file twice
counts every voucher once."""

from __future__ import annotations

import argparse
import csv
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import msgspec
from rich.markup import escape
from rich.table import Table
from sqlalchemy.ext.asyncio import AsyncSession

from admission import contract
from admission.cli.common import CliError, cents, console, errors, reading, run, settings_from, writing
from admission.contract import VoucherOutcome
from admission.domain.card_codes import format_card_number
from admission.i18n import _
from admission.i18n.formatting import date_time, money

COLUMNS = ("voucher", "card", "amount", "taken_at", "note")
OUTCOME_STYLE = {
    VoucherOutcome.REGISTERED: "green",
    VoucherOutcome.FLAGGED: "yellow",
    VoucherOutcome.DUPLICATE: "dim",
    VoucherOutcome.REFUSED: "red",
}


def outcome_label(outcome: VoucherOutcome) -> str:
    return {
        VoucherOutcome.REGISTERED: _("registered"),
        VoucherOutcome.FLAGGED: _("flagged"),
        VoucherOutcome.DUPLICATE: _("already registered"),
        VoucherOutcome.REFUSED: _("refused"),
    }[outcome]


def read_vouchers(text: str, zone: ZoneInfo) -> list[contract.VoucherIn]:
    """The vouchers of a CSV file; CliError naming every line that cannot be read."""
    vouchers: list[contract.VoucherIn] = []
    problems: list[str] = []
    for line, row in enumerate(csv.reader(text.splitlines()), 1):
        cells = [c.strip() for c in row]
        if not any(cells) or (not vouchers and not problems and cells[0].lower() == COLUMNS[0]):
            continue  # a blank line, or the header
        try:
            vouchers.append(_voucher(cells, zone))
        except CliError as exc:
            problems.append(_("line {line}: {problem}").format(line=line, problem=exc))
    if problems:
        problems.append(_("Nothing was registered: correct these lines and run again."))
        raise CliError("\n".join(problems))
    if not vouchers:
        raise CliError(_("the file has no vouchers"))
    return vouchers


def _voucher(cells: list[str], zone: ZoneInfo) -> contract.VoucherIn:
    if len(cells) not in (4, 5):
        raise CliError(_("expected voucher,card,amount,taken_at and an optional note"))
    number, card, amount, taken = cells[:4]
    amount_cents = cents(amount)
    if amount_cents <= 0:
        raise CliError(_("the amount must be more than zero"))
    try:
        taken_at = datetime.fromisoformat(taken)
    except ValueError:
        problem = _("{text!r} is not a time: write it like 2026-12-03 14:05").format(text=taken)
        raise CliError(problem) from None
    if taken_at.tzinfo is None:
        taken_at = taken_at.replace(tzinfo=zone)  # as the seller's watch showed it, at the venue
    fields = {
        "voucher": number,
        "card": card,
        "amount_cents": amount_cents,
        "taken_at": taken_at,
        "note": (cells[4] if len(cells) == 5 else "") or None,
    }
    try:
        return msgspec.convert(fields, contract.VoucherIn)
    except msgspec.ValidationError as exc:
        raise CliError(_("this line cannot be read ({problem})").format(problem=exc)) from None


async def _zone(session: AsyncSession) -> ZoneInfo:
    from admission.services import catalog

    return ZoneInfo((await catalog.get_venue(session)).timezone)


def cmd_vouchers(args: argparse.Namespace) -> int:
    from admission.services import cards

    settings = settings_from(args)
    path = Path(args.file)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise CliError(_("cannot read {file}: {problem}").format(file=path, problem=exc)) from None
    zone: ZoneInfo = run(reading(settings, _zone))
    vouchers = read_vouchers(text, zone)
    data = contract.VouchersIn(vouchers=vouchers)
    result: contract.VouchersResult = run(
        writing(settings, lambda session: cards.register_vouchers(session, None, data))
    )
    print_result(result, vouchers, zone)
    return 1 if result.refused else 0


def print_result(result: contract.VouchersResult, vouchers: list[contract.VoucherIn], zone: ZoneInfo) -> None:
    table = Table(
        _("voucher"),
        _("card"),
        _("amount"),
        _("taken"),
        _("outcome"),
        _("balance"),
        title=_("Card vouchers ({zone})").format(zone=zone.key),
    )
    for voucher, row in zip(vouchers, result.results, strict=True):
        style = OUTCOME_STYLE[row.outcome]
        table.add_row(
            escape(row.voucher),
            format_card_number(row.card) if row.card.isdigit() else escape(row.card),
            money(row.amount_cents, row.currency or ""),
            date_time(voucher.taken_at, zone),
            f"[{style}]{outcome_label(row.outcome)}[/]",
            money(row.balance_cents, row.currency or "") if row.balance_cents is not None else "",
        )
    console.print(table)
    # Why, below the table: a reason is a sentence, too long for a column in a narrow terminal.
    for row in result.results:
        if row.reason:
            console.print(
                _("voucher {voucher}: {reason}").format(
                    voucher=escape(row.voucher), reason=escape(row.reason)
                ),
                soft_wrap=True,
            )
    summary = _(
        "{registered} registered, {flagged} flagged, {duplicates} already registered, {refused} refused"
    )
    line = summary.format(
        registered=result.registered,
        flagged=result.flagged,
        duplicates=result.duplicates,
        refused=result.refused,
    )
    errors.print(f"[red]{line}[/]" if result.refused else line)
