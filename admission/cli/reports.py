"""`admission report`, `review-conflict`, `import-scans` and `notice`: the managers' commands.

Every command talks to the database
directly (like `admission tokens`), prints rich tables with times in the venue's time zone,
and exits 2 with a one-line message for anything the user can fix.
"""

from __future__ import annotations

import argparse
import re
import sys
from datetime import UTC, datetime, time, timedelta
from pathlib import Path
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

from babel.dates import format_date
from babel.numbers import format_percent
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from rich.table import Table
from sqlalchemy.ext.asyncio import AsyncSession

from admission import contract
from admission.cli.common import (
    CliError,
    add_database_options,
    console,
    errors,
    reading,
    run,
    settings_from,
    writing,
)
from admission.contract import ImportResult, OccupancyReport
from admission.domain.model import Direction
from admission.domain.wording import duration_words, reason_words
from admission.i18n import N_, _, babel_locale
from admission.services import catalog, imports, notices
from admission.services import reports as report_service
from admission.services.keys import KeyRing
from admission.services.reports import AnyReport, OutagesReport, SummaryReport

T = TypeVar("T")


KINDS = (
    "summary",
    "passages",
    "templates",
    "occupancy",
    "reasons",
    "sources",
    "conflicts",
    "outages",
    "lookup-misses",
    "float",  # the card float (admission.cli.cards)
)
# Report titles that are more than their kind's name.
TITLES = {"lookup-misses": N_("Ticket look-ups that found nothing")}
STATUS_STYLE = {"admitted": "green", "rejected": "red", "not_a_code": "yellow", "duplicate": "dim"}
# What became of a line of a scan log, in words.
STATUS_WORDS = {
    "admitted": N_("admitted"),
    "rejected": N_("rejected"),
    "not_a_code": N_("not a code"),
    "duplicate": N_("imported before"),
}
DIRECTION_WORDS = {"in": N_("entries"), "out": N_("exits")}


async def _zone(session: AsyncSession) -> ZoneInfo:
    return ZoneInfo((await catalog.get_venue(session)).timezone)


async def build_report(session: AsyncSession, args: argparse.Namespace) -> AnyReport | SummaryReport:
    tz = await _zone(session)
    named = bool(args.start or args.end)
    period = report_service.resolve_period(tz, args.start, args.end)
    granularity = args.granularity
    if args.kind == "summary":
        return await report_service.summary_report(session, period)
    if args.kind == "passages":
        return await report_service.passages_report(session, period, granularity or "hour", args.gate)
    if args.kind == "templates":
        return await report_service.templates_report(session, period, granularity, args.gate)
    if args.kind == "occupancy":
        return await report_service.occupancy_report(session, period, granularity or "hour")
    if args.kind == "reasons":
        return await report_service.reasons_report(session, period, args.gate)
    if args.kind == "sources":
        return await report_service.sources_report(session, period, args.gate)
    if args.kind == "lookup-misses":
        return await report_service.lookup_misses_report(session, period)
    if args.kind == "conflicts":
        return await report_service.conflicts_report(session, tz, args.status, period if named else None)
    return await report_service.outages_report(session, tz, period if named else None)


REPORT_WORDS = {
    "passages": N_("Passages"),
    "templates": N_("Ticket types"),
    "occupancy": N_("Occupancy"),
    "reasons": N_("Refusals by reason"),
    "sources": N_("How scans arrived"),
    "conflicts": N_("Conflicts"),
    "outages": N_("Outages"),
}


def _period_text(start: datetime | None, end: datetime | None) -> str:
    if start is None or end is None:
        return _("all time")
    next_midnight = datetime.combine(start.date() + timedelta(days=1), time.min, tzinfo=start.tzinfo)
    if start.time() == time.min and end == next_midnight:
        return format_date(start, "EEE yyyy-MM-dd", locale=babel_locale())
    return _("{start} to {end}").format(start=f"{start:%Y-%m-%d %H:%M}", end=f"{end:%Y-%m-%d %H:%M}")


def _text(value: Any, tz: ZoneInfo) -> str:
    if isinstance(value, datetime):
        return f"{value.astimezone(tz):%Y-%m-%d %H:%M}"
    if isinstance(value, float):
        return f"{value:.1%}" if value <= 1 else f"{value:,.0f}"
    return report_service.cell(value, tz)


def _column_text(name: str, value: Any, tz: ZoneInfo) -> str:
    if value is not None and name.endswith("_seconds"):
        return duration_words(value)
    if value is not None and name == "reason":
        return reason_words(value)
    if name == "label" and isinstance(value, str):  # a scan's source in words (N_ in the report)
        return _(value)
    if name == "verdict" and value in ("admit", "reject"):
        return _("admit") if value == "admit" else _("reject")
    return _text(value, tz)


def print_table(report: AnyReport) -> None:
    tz = ZoneInfo(report.timezone)
    names, rows = report_service.table(report)
    words = {**REPORT_WORDS, **TITLES}
    kind = _(words[report.kind]) if report.kind in words else report.kind.capitalize()
    title = f"{kind}: {_period_text(report.start, report.end)} ({report.timezone})"
    if report.gate:
        title += ", " + _("gate {gate}").format(gate=report.gate)
    # A code with its words in the next column (a scan's source) is shown in words only; CSV keeps both.
    shown = [i for i, name in enumerate(names) if not (name == "source" and "label" in names)]
    table = Table(*(report_service.label(names[i]) for i in shown), title=title, title_justify="left")
    for row in rows:
        table.add_row(*(_column_text(names[i], row[i], tz) for i in shown))
    if not rows:
        table.caption = _("nothing in this period")
    console.print(table)


def print_summary(report: SummaryReport) -> None:
    title = _("Summary: {period}").format(period=_period_text(report.start, report.end))
    locale = babel_locale()
    table = Table(_("Figure"), _("Value"), title=title, title_justify="left")
    figures: list[tuple[str, object]] = [
        (_("Entries"), report.entries),
        (_("Exits"), report.exits),
        (_("Refused visitors"), report.refused),
        (_("Misreads (no ticket)"), report.misreads),
        (_("All scans"), report.scans),
        (_("Registered late (offline, import)"), format_percent(report.offline_share, "#,##0.0%", locale)),
        (_("Open conflicts (all time)"), report.open_conflicts),
        (_("Outages"), report.outages),
        *((_("Inside now: {zone}").format(zone=zone), count) for zone, count in report.occupancy_now.items()),
    ]
    for name, value in figures:
        table.add_row(name, str(value))
    console.print(table)


def print_extras(report: AnyReport) -> None:
    if isinstance(report, OccupancyReport):
        now = ", ".join(f"{z} [bold]{n}[/]" for z, n in report.now.items())
        console.print(_("Inside now: {zones}").format(zones=now))
        peak = ", ".join(f"{z} {n}" for z, n in report.peak.items())
        console.print(_("Peak (at bucket ends): {zones}").format(zones=peak))
    if isinstance(report, OutagesReport):
        s = report.summary
        summary = _(
            "{outages} outage(s) on {devices} device(s), {total} in total (longest {longest}), "
            "{passages} passages and {sales} sales recorded offline, {ongoing} ongoing, "
            "{unregistered} not yet registered"
        )
        console.print(
            summary.format(
                outages=s.outages,
                devices=s.devices,
                total=duration_words(s.total_duration_seconds),
                longest=duration_words(s.longest_seconds),
                passages=s.passages_offline,
                sales=s.sales_offline,
                ongoing=s.ongoing,
                unregistered=s.not_yet_registered,
            )
        )


def write_csv(report: AnyReport, target: str) -> None:
    text = report_service.to_csv(report)
    if target == "-":
        sys.stdout.write(text)
        return
    try:
        Path(target).write_text(text, encoding="utf-8", newline="")
    except OSError as exc:
        raise CliError(_("cannot write {path}: {error}").format(path=target, error=exc.strerror)) from None
    wrote = _("Wrote {count} rows to {path}").format(count=len(report.rows), path=target)
    errors.print(f"[green]{wrote}[/]")


def cmd_report(args: argparse.Namespace) -> int:
    if args.kind == "float":
        from admission.cli.cards import cmd_float

        return cmd_float(args)
    report = run(reading(settings_from(args), lambda session: build_report(session, args)))
    if isinstance(report, SummaryReport):
        if args.csv:
            raise CliError(_("the summary has no rows to export: use another report with --csv"))
        print_summary(report)
        return 0
    if args.csv:
        write_csv(report, args.csv)
        return 0
    print_table(report)
    print_extras(report)
    return 0


def cmd_review_conflict(args: argparse.Namespace) -> int:
    async def work(session: AsyncSession) -> contract.ConflictRow:
        return await report_service.review_conflict(session, await _zone(session), args.nonce, args.note)

    row = run(writing(settings_from(args), work))
    reviewed = _("Conflict {nonce} ({gate}, {time}) marked reviewed.")
    console.print(reviewed.format(nonce=row.nonce, gate=row.gate, time=f"{row.scanned_at:%Y-%m-%d %H:%M}"))
    return 0


def read_file(path: str) -> bytes:
    try:
        return Path(path).read_bytes()
    except FileNotFoundError:
        raise CliError(_("no such file: {path}").format(path=path)) from None
    except IsADirectoryError:
        raise CliError(_("{path} is a folder, not a scan log").format(path=path)) from None
    except OSError as exc:
        raise CliError(_("cannot read {path}: {error}").format(path=path, error=exc.strerror)) from None


async def verifying_ring(session: AsyncSession, data_dir: Path) -> KeyRing:
    """The issuer keys, to recognise tickets sold offline. An import never signs, so on a
    machine without the service's private key a ring of public keys is enough."""
    try:
        return await KeyRing.load(session, data_dir)
    except RuntimeError:
        ring = KeyRing(0, Ed25519PrivateKey.generate())  # never used to sign
        await ring.reload_public(session)
        return ring


def print_import(result: ImportResult, path: str) -> None:
    direction = DIRECTION_WORDS.get(result.direction)
    table = Table(
        _("line"),
        _("scanned"),
        _("result"),
        _("reason"),
        _("message"),
        title=_("{file} at {gate} ({direction})").format(
            file=path, gate=result.gate, direction=_(direction) if direction else result.direction
        ),
    )
    for line in result.results:
        style = STATUS_STYLE[line.status]
        table.add_row(
            str(line.line),
            line.text,
            f"[{style}]{_(STATUS_WORDS[line.status])}[/]",
            reason_words(line.reason) if line.reason else "",
            # The service's record of the verdict, as it wrote it (README, "Languages").
            line.message,
        )
    console.print(table)
    counts = {
        "admitted": result.admitted,
        "rejected": result.rejected,
        "not_codes": result.not_a_code,
        "duplicates": result.duplicates,
        "blank": result.blank,
        "registered": result.registered,
    }
    console.print(
        _(
            "[green]{admitted} admitted[/], [red]{rejected} rejected[/], [yellow]{not_codes} not codes[/], "
            "{duplicates} imported before, {blank} blank; {registered} new passages registered."
        ).format(**counts)
    )


def cmd_import_scans(args: argparse.Namespace) -> int:
    content = read_file(args.file)
    settings = settings_from(args)

    async def work(session: AsyncSession) -> ImportResult:
        ring = await verifying_ring(session, settings.data_dir)
        return await imports.import_scan_log(
            session, ring, content, args.gate, Direction(args.direction), args.at
        )

    result = run(writing(settings, work))
    if not result.lines:
        console.print(_("{path} is empty: nothing to import.").format(path=args.file))
        return 0
    print_import(result, args.file)
    return 0


_DURATION = re.compile(r"^\s*(\d+)\s*(m|min|h|d)\s*$")


def parse_until(until: str | None, lasting: str | None, tz: ZoneInfo, now: datetime) -> datetime:
    """--until 18:00 (the next such time), --until 2026-06-01T18:00, or --for 90m / 2h / 1d."""
    if lasting:
        match = _DURATION.match(lasting)
        if not match:
            raise CliError(
                _("cannot read the duration {text}: use e.g. 45m, 2h or 1d").format(text=repr(lasting))
            )
        unit = {"m": "minutes", "min": "minutes", "h": "hours", "d": "days"}[match[2]]
        return now + timedelta(**{unit: int(match[1])})
    text = (until or "").strip()
    try:
        clock = datetime.strptime(text, "%H:%M")
    except ValueError:
        try:
            moment = datetime.fromisoformat(text.replace(" ", "T", 1))
        except ValueError:
            raise CliError(
                _("cannot read the time {text}: use 18:00 or 2026-06-01T18:00").format(text=repr(text))
            ) from None
        return moment.replace(tzinfo=tz) if moment.tzinfo is None else moment
    local_now = now.astimezone(tz)
    end = local_now.replace(hour=clock.hour, minute=clock.minute, second=0, microsecond=0)
    return end if end > local_now else end + timedelta(days=1)


def cmd_notice_set(args: argparse.Namespace) -> int:
    async def work(session: AsyncSession) -> tuple[ZoneInfo, contract.NoticeOut]:
        tz = await _zone(session)
        ends_at = parse_until(args.until, args.lasting, tz, datetime.now(UTC))
        data = contract.NoticeIn(message=args.message, ends_at=ends_at)
        return tz, await notices.create_notice(session, data, None)

    if not args.message.strip():
        raise CliError(_("the notice needs a message"))
    tz, notice = run(writing(settings_from(args), work))
    shows = _("Notice {id} shows on every gate and box office until {time}.")
    console.print(shows.format(id=notice.id, time=_text(notice.ends_at, tz)))
    return 0


def cmd_notice_list(args: argparse.Namespace) -> int:
    async def work(session: AsyncSession) -> tuple[ZoneInfo, list[contract.NoticeOut]]:
        return await _zone(session), await notices.list_notices(session, active_only=not args.all)

    tz, rows = run(reading(settings_from(args), work))
    table = Table(
        _("id"),
        _("message"),
        _("from"),
        _("until"),
        _("by"),
        _("active"),
        title=_("Notices ({timezone})").format(timezone=tz.key),
        title_justify="left",
    )
    for n in rows:
        table.add_row(
            str(n.id),
            n.message,
            _text(n.starts_at, tz),
            _text(n.ends_at, tz),
            n.created_by or "",
            _("yes") if n.active else "",
        )
    console.print(table)
    return 0


def cmd_notice_end(args: argparse.Namespace) -> int:
    notice = run(writing(settings_from(args), lambda session: notices.end_notice(session, args.notice_id)))
    console.print(_("Notice {id} ended; clients drop it with their next sync.").format(id=notice.id))
    return 0


def _period_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--from", dest="start", help="start: a date, a date-time (venue time), today, yesterday"
    )
    parser.add_argument(
        "--to", dest="end", help="end: a date includes that whole day (default: end of today)"
    )


def register(commands: Any) -> None:
    report = commands.add_parser(
        "report", help="passages, occupancy, verdicts, sources, conflicts, outages, look-up misses"
    )
    report.add_argument("kind", choices=KINDS)
    _period_options(report)
    report.add_argument("--gate", help="only this gate (passages, templates, reasons, sources)")
    report.add_argument(
        "--granularity", choices=report_service.GRANULARITIES, help="time buckets (default: hour)"
    )
    report.add_argument(
        "--status", choices=["open", "reviewed", "all"], default="open", help="conflicts to list"
    )
    report.add_argument("--csv", metavar="FILE", help="write the rows as CSV to FILE ('-': standard output)")
    add_database_options(report)
    report.set_defaults(handler=cmd_report)

    review = commands.add_parser("review-conflict", help="mark a conflict reviewed, with a note")
    review.add_argument("nonce")
    review.add_argument("--note", default="", help="what was done about it")
    add_database_options(review)
    review.set_defaults(handler=cmd_review_conflict)

    scans = commands.add_parser("import-scans", help="register a text file of scanned codes, one per line")
    scans.add_argument("file", help="the scan log (what the scanner typed into an editor)")
    scans.add_argument("--gate", required=True, help="the gate where the codes were scanned")
    scans.add_argument("--direction", choices=["in", "out"], default="in")
    scans.add_argument("--at", help="scan time of lines without their own (venue time; default: now)")
    add_database_options(scans)
    scans.set_defaults(handler=cmd_import_scans)

    notice = commands.add_parser("notice", help="messages shown on every gate and box office")
    actions = notice.add_subparsers(dest="action", required=True)
    show = actions.add_parser("set", help="show a notice until a time")
    show.add_argument("message")
    until = show.add_mutually_exclusive_group(required=True)
    until.add_argument("--until", help="18:00 (next such time) or 2026-06-01T18:00 (venue time)")
    until.add_argument("--for", dest="lasting", help="a duration: 45m, 2h, 1d")
    add_database_options(show)
    show.set_defaults(handler=cmd_notice_set)
    listing = actions.add_parser("list", help="notices showing now (--all: every notice)")
    listing.add_argument("--all", action="store_true")
    add_database_options(listing)
    listing.set_defaults(handler=cmd_notice_list)
    end = actions.add_parser("end", help="end a notice now")
    end.add_argument("notice_id", type=int)
    add_database_options(end)
    end.set_defaults(handler=cmd_notice_end)
