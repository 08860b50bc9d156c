"""`admission cards …`: card types, selling, loading, unloading, blocking, moving a lost card's
balance, corrections, nightly expiry and the offline caps; `admission report float` prints
the card float. Each command runs the service's own use case in one transaction, as the API
does for an admin or a box office."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from rich.table import Table
from sqlalchemy.ext.asyncio import AsyncSession

from admission import contract
from admission.cli import card_vouchers
from admission.cli.common import (
    CliError,
    add_database_options,
    cents,
    console,
    errors,
    reading,
    run,
    settings_from,
    writing,
)
from admission.config import Settings
from admission.domain.card_codes import format_card_number
from admission.domain.cards import CardKind, EntryKind, OfflineCaps
from admission.i18n import _, ngettext
from admission.i18n.formatting import date_time, money


async def _ring(session: AsyncSession, settings: Settings) -> Any:
    from admission.services.keys import KeyRing

    return await KeyRing.load(session, settings.data_dir)


async def _zone(session: AsyncSession) -> ZoneInfo:
    from admission.services import catalog

    return ZoneInfo((await catalog.get_venue(session)).timezone)


def print_card(card: contract.CardOut, tz: ZoneInfo) -> None:
    status = _("blocked") if card.status == "blocked" else _("active")
    console.print(
        f"[bold]{format_card_number(card.number)}[/]  {card.card_type} ({card.kind})  {status}  "
        + _("balance {balance}").format(balance=money(card.balance_cents, card.currency))
    )
    if card.expires_at is not None:
        console.print(_("expires {when}").format(when=date_time(card.expires_at, tz)))
    if card.blocked_at is not None:
        console.print(
            _("blocked {when}: {reason}").format(
                when=date_time(card.blocked_at, tz), reason=card.block_reason or ""
            )
        )
    if card.replaced_by:
        console.print(_("balance moved to card {number}").format(number=format_card_number(card.replaced_by)))
    if not card.entries:
        return
    table = Table(
        _("time"),
        _("entry"),
        _("amount"),
        _("balance"),
        _("device"),
        _("note"),
        title=_("Ledger ({zone})").format(zone=tz.key),
    )
    for e in card.entries:
        notes = [n for n in (e.tender, e.reference, e.reason, e.related_card) if n]
        if e.offline:
            notes.append(_("offline"))
        if e.conflict:
            notes.append(_("CONFLICT {amount}").format(amount=money(e.conflict_cents, card.currency)))
        table.add_row(
            date_time(e.occurred_at, tz),
            e.kind,
            money(e.amount_cents, card.currency),
            money(e.balance_after_cents, card.currency),
            e.device or _("service"),
            ", ".join(notes),
        )
    console.print(table)


def _entry_work(settings: Settings, action: Any) -> tuple[contract.CardEntryResult, ZoneInfo]:
    async def work(session: AsyncSession) -> tuple[contract.CardEntryResult, ZoneInfo]:
        return await action(session, await _ring(session, settings)), await _zone(session)

    result: tuple[contract.CardEntryResult, ZoneInfo] = run(writing(settings, work))
    return result


def cmd_types(args: argparse.Namespace) -> int:
    from admission.services import cards

    rows = run(reading(settings_from(args), cards.list_card_types))
    table = Table(
        _("name"), _("kind"), _("currency"), _("valid days"), _("max balance"), _("unload limit"), _("PIN")
    )
    for t in rows:
        table.add_row(
            t.name,
            t.kind,
            t.currency,
            str(t.validity_days or "—"),
            money(t.max_balance_cents, t.currency) if t.max_balance_cents is not None else "—",
            money(t.unload_limit_cents, t.currency),
            _("yes") if t.pin_required else "",
        )
    console.print(table)
    return 0


def cmd_type_add(args: argparse.Namespace) -> int:
    from admission.services import cards

    data = contract.CardTypeIn(
        name=args.name,
        kind=CardKind(args.kind),
        currency=args.currency.upper(),
        validity_days=args.validity_days,
        max_balance_cents=cents(args.max_balance) if args.max_balance else None,
        unload_limit_cents=cents(args.unload_limit) if args.unload_limit else 0,
        pin_required=args.pin_required,
    )
    row = run(writing(settings_from(args), lambda session: cards.create_card_type(session, data)))
    console.print(_("Card type {name!r} ({kind}) created.").format(name=row.name, kind=row.kind))
    return 0


def cmd_sell(args: argparse.Namespace) -> int:
    from admission.services import cards

    settings = settings_from(args)
    data = contract.CardIssueIn(
        nonce=cards.cli_nonce(),
        card_type=args.card_type,
        amount_cents=cents(args.amount),
        tender=args.tender,
        pin=args.pin,
    )
    result, tz = _entry_work(settings, lambda session, ring: cards.issue_card(session, ring, None, data))
    print_card(result.card, tz)
    console.print(_("code (QR): {code}").format(code=result.card.code), soft_wrap=True)
    return 0


def cmd_show(args: argparse.Namespace) -> int:
    from admission.services import cards

    settings = settings_from(args)

    async def work(session: AsyncSession) -> tuple[contract.CardOut, ZoneInfo]:
        return await cards.show_card(session, await _ring(session, settings), args.card), await _zone(session)

    card, tz = run(reading(settings, work))
    print_card(card, tz)
    return 0


def _move(args: argparse.Namespace, kind: EntryKind) -> int:
    from admission.services import cards

    data = contract.CardMoveIn(
        nonce=cards.cli_nonce(),
        amount_cents=cents(args.amount),
        tender=getattr(args, "tender", None),
        reference=getattr(args, "reference", None),
        pin=getattr(args, "pin", None),
    )
    if data.amount_cents <= 0:
        raise CliError(_("the amount must be more than zero"))
    result, tz = _entry_work(
        settings_from(args), lambda session, ring: cards.move(session, ring, None, args.card, kind, data)
    )
    print_card(result.card, tz)
    return 0


def cmd_load(args: argparse.Namespace) -> int:
    return _move(args, EntryKind.LOAD)


def cmd_unload(args: argparse.Namespace) -> int:
    return _move(args, EntryKind.UNLOAD)


def cmd_pay(args: argparse.Namespace) -> int:
    return _move(args, EntryKind.PAY)


def cmd_adjust(args: argparse.Namespace) -> int:
    from admission.services import cards

    data = contract.CardAdjustIn(nonce=cards.cli_nonce(), amount_cents=cents(args.amount), reason=args.reason)
    result, tz = _entry_work(
        settings_from(args), lambda session, ring: cards.adjust(session, ring, None, args.card, data)
    )
    print_card(result.card, tz)
    return 0


def cmd_block(args: argparse.Namespace) -> int:
    from admission.services import cards

    settings = settings_from(args)

    async def work(session: AsyncSession) -> tuple[contract.CardOut, ZoneInfo]:
        card = await cards.block(
            session, await _ring(session, settings), args.card, contract.CardBlockIn(reason=args.reason)
        )
        return card, await _zone(session)

    card, tz = run(writing(settings, work))
    print_card(card, tz)
    return 0


def cmd_transfer(args: argparse.Namespace) -> int:
    """A lost card's balance onto a new card (sold now, of the lost card's type) or a given one."""
    from admission.services import cards

    settings = settings_from(args)

    async def work(session: AsyncSession) -> tuple[contract.CardEntryResult, ZoneInfo]:
        ring = await _ring(session, settings)
        target = args.to
        if target is None:
            lost = await cards.show_card(session, ring, args.card)
            issued = await cards.issue_card(
                session,
                ring,
                None,
                contract.CardIssueIn(nonce=cards.cli_nonce(), card_type=lost.card_type, tender="none"),
            )
            target = issued.card.number
        data = contract.CardTransferIn(nonce=cards.cli_nonce(), to_card=target, reason=args.reason)
        return await cards.transfer(session, ring, None, args.card, data), await _zone(session)

    result, tz = run(writing(settings, work))
    print_card(result.card, tz)
    console.print(_("code (QR): {code}").format(code=result.card.code), soft_wrap=True)
    errors.print(_("[green]The lost card is blocked; its balance is on the card above.[/]"))
    return 0


def cmd_expire(args: argparse.Namespace) -> int:
    from admission.services import cards

    done = run(writing(settings_from(args), cards.expire_cards))
    for number, amount in done:
        console.print(
            _("{number}: {amount} expired").format(number=format_card_number(number), amount=money(amount))
        )
    errors.print(ngettext("{count} card expired", "{count} cards expired", len(done)).format(count=len(done)))
    return 0


def cmd_caps(args: argparse.Namespace) -> int:
    from admission.services import cards

    settings = settings_from(args)

    async def work(session: AsyncSession) -> contract.CardSettings:
        current = await cards.card_settings(session)
        if args.per_payment is None and args.per_card_day is None:
            return current
        caps = OfflineCaps(
            per_payment_cents=cents(args.per_payment)
            if args.per_payment
            else current.offline.per_payment_cents,
            per_card_per_day_cents=cents(args.per_card_day)
            if args.per_card_day
            else current.offline.per_card_per_day_cents,
        )
        return await cards.save_card_settings(session, contract.CardSettings(offline=caps))

    saved = run(writing(settings, work))
    console.print(
        _("Offline: at most {payment} a payment, {day} per card a day.").format(
            payment=money(saved.offline.per_payment_cents), day=money(saved.offline.per_card_per_day_cents)
        )
    )
    return 0


def cmd_float(args: argparse.Namespace) -> int:
    from admission.services import cards

    report = run(
        reading(settings_from(args), lambda session: cards.float_report(session, args.start, args.end))
    )
    if args.csv:
        text = cards.float_csv(report)
        if args.csv == "-":
            print(text, end="")
        else:
            Path(args.csv).write_text(text)
        return 0
    span = (
        _("all time")
        if not (report.date_from or report.date_to)
        else f"{report.date_from or '…'} .. {report.date_to or '…'}"
    )
    table = Table(
        _("card type"),
        _("cards"),
        _("outstanding"),
        _("issued"),
        _("loaded"),
        _("paid"),
        _("unloaded"),
        _("expired"),
        _("moved"),
        _("adjusted"),
        _("conflicts"),
        title=_("Card float ({span})").format(span=span),
    )
    for row in report.rows:
        table.add_row(
            row.card_type,
            str(row.cards),
            money(row.outstanding_cents, row.currency),
            money(row.issued_cents, row.currency),
            money(row.loaded_cents, row.currency),
            money(row.paid_cents, row.currency),
            money(row.unloaded_cents, row.currency),
            money(row.expired_cents, row.currency),
            money(row.transferred_cents, row.currency),
            money(row.adjusted_cents, row.currency),
            f"{row.conflicts} ({money(row.conflict_cents, row.currency)})" if row.conflicts else "0",
        )
    console.print(table)
    return 0


def register(commands: Any) -> None:
    group = commands.add_parser(
        "cards", help="gift and stored-value cards: types, sell, load, unload, block, transfer"
    )
    actions = group.add_subparsers(dest="action", required=True)

    def sub(name: str, help_text: str, handler: Any) -> argparse.ArgumentParser:
        parser: argparse.ArgumentParser = actions.add_parser(name, help=help_text)
        add_database_options(parser)
        parser.set_defaults(handler=handler)
        return parser

    sub("types", "the venue's card types", cmd_types)
    add = sub("type-add", "define a card type", cmd_type_add)
    add.add_argument("name")
    add.add_argument("--kind", required=True, choices=[k.value for k in CardKind])
    add.add_argument("--currency", default="EUR")
    add.add_argument(
        "--validity-days", type=int, help="days a card stays valid from its sale (default: no expiry)"
    )
    add.add_argument("--max-balance", help="the most a card may hold, e.g. 500")
    add.add_argument("--unload-limit", help="the most paid out in cash at once (stored value only)")
    add.add_argument("--pin-required", action="store_true", help="every card of the type gets a PIN")
    sell = sub("sell", "sell a new card with its value", cmd_sell)
    sell.add_argument("card_type")
    sell.add_argument("--amount", required=True, help="its starting value, e.g. 50 or 49.90")
    sell.add_argument("--tender", default="cash", choices=["cash", "card", "mobile", "invoice", "none"])
    sell.add_argument("--pin", help="4 to 12 digits")
    show = sub("show", "a card and its ledger (venue time)", cmd_show)
    show.add_argument("card", help="the card's number or scanned code")
    for name, help_text, handler in (
        ("load", "load a stored-value card", cmd_load),
        ("unload", "pay a stored-value card out in cash", cmd_unload),
        ("pay", "pay from a card", cmd_pay),
    ):
        parser = sub(name, help_text, handler)
        parser.add_argument("card")
        parser.add_argument("amount")
        if name != "pay":
            parser.add_argument("--tender", default="cash", choices=["cash", "card", "mobile"])
        else:
            parser.add_argument("--reference", help="the sale or voucher it paid")
        if name != "load":
            parser.add_argument("--pin")
    adjust = sub("adjust", "correct a card's balance, with a reason", cmd_adjust)
    adjust.add_argument("card")
    adjust.add_argument("amount", help="signed: 5 adds, -5 takes")
    adjust.add_argument("--reason", required=True)
    block = sub("block", "block a card everywhere (lost, stolen)", cmd_block)
    block.add_argument("card")
    block.add_argument("--reason", required=True)
    transfer = sub("transfer", "move a lost card's balance to a new card and block it", cmd_transfer)
    transfer.add_argument("card", help="the lost card's number")
    transfer.add_argument("--to", help="the new card's number (default: sell a new card of the same type)")
    transfer.add_argument("--reason", default="lost card")
    vouchers = sub(
        "vouchers", "register hand-written card vouchers from a CSV file", card_vouchers.cmd_vouchers
    )
    vouchers.add_argument(
        "file", help="CSV: voucher,card,amount,taken_at[,note]; times in the venue's time zone"
    )
    sub("expire", "write off what expired cards hold (nightly)", cmd_expire)
    caps = sub("caps", "offline caps: show, or set with the options", cmd_caps)
    caps.add_argument("--per-payment", help="the most one offline card payment may take")
    caps.add_argument("--per-card-day", help="the most one card may pay offline in a day at one till")
