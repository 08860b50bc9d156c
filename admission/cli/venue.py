"""Set a venue up from a venue file, write it back out, show and set what its receipts print,
and list its templates in words."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from rich.markup import escape
from rich.table import Table

from admission.cli import template_rules
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
from admission.contract import TemplateData, TemplateIn, VenueData, VenuePlan, VenueReceiptIn
from admission.i18n import N_, _, ngettext
from admission.i18n.formatting import money

ACTION_STYLES = {"create": "green", "update": "yellow", "unchanged": "dim"}
# What a change does and to what kind of object, as a manager reads it (the plan keeps the codes).
ACTION_WORDS = {"create": N_("create"), "update": N_("update"), "unchanged": N_("unchanged")}
KIND_WORDS = {
    "venue": N_("venue"),
    "payments": N_("payments"),
    "template": N_("template"),
    "event": N_("event"),
    "gate": N_("gate"),
    "device": N_("device"),
}


def cmd_venue_apply(args: argparse.Namespace) -> int:
    from admission.services import venue_file

    path = Path(args.file)
    source = str(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise CliError(
            _("cannot read the venue file {path}: {error}").format(path=source, error=exc)
        ) from exc
    spec, where = venue_file.read_venue_file(text, source)
    settings = settings_from(args)

    async def planning(session: Any) -> VenuePlan:
        return await venue_file.plan_venue(session, spec, where, source)

    plan = run(reading(settings, planning))
    print_plan(plan, source)
    if not plan.changes_anything:
        nothing = _("Nothing to change:")
        already = _("the venue already is as {path} describes it.").format(path=escape(source))
        console.print(f"[green]{nothing}[/] {already}")
        return 0
    if args.dry_run:
        console.print(_("Dry run: nothing was changed."))
        return 0

    async def applying(session: Any) -> Any:
        return await venue_file.apply_venue(session, spec, where, source, expected=plan)

    with console.status(_("Applying the venue file…")):
        applied = run(writing(settings, applying))
    counts = {a: sum(1 for c in plan.changes if c.action == a) for a in ACTION_STYLES}
    done = _("{created} created, {updated} updated, {unchanged} unchanged.").format(
        created=counts["create"], updated=counts["update"], unchanged=counts["unchanged"]
    )
    console.print("[green]{}[/] {}".format(_("Applied:"), done))
    if applied.tokens:
        table = Table(_("device"), title=_("New device tokens"))
        table.add_column(_("token (shown once: hand it to the device now)"), no_wrap=True)
        for name, token in applied.tokens.items():
            table.add_row(escape(name), token)
        console.print(table)
    return 0


def print_plan(plan: VenuePlan, source: str) -> None:
    table = Table(
        "", _("object"), _("name"), _("change"), title=_("Applying {path}").format(path=escape(source))
    )
    for change in plan.changes:
        style = ACTION_STYLES[change.action]
        table.add_row(
            f"[{style}]{_(ACTION_WORDS[change.action])}[/]",
            _(KIND_WORDS[change.kind]),
            # The payment set-up has no name of its own: its row is named in words.
            _("payment rules") if change.kind == "payments" else escape(change.name),
            escape("\n".join(change.details)),
        )
    console.print(table)


def cmd_venue_export(args: argparse.Namespace) -> int:
    from admission.services.venue_file.exporting import export_venue

    text = run(reading(settings_from(args), export_venue))
    if args.out == "-":
        sys.stdout.write(text)
        return 0
    out = Path(args.out)
    if out.exists() and not args.force:
        raise CliError(
            _("{path} exists already: pass --force to overwrite it, or another --out").format(path=out)
        )
    out.write_text(text, encoding="utf-8")
    os.chmod(out, 0o644)
    wrote = _("Wrote the venue to {path}").format(path=escape(str(out)))
    errors.print("[green]{}[/] {}".format(wrote, _("(apply it with `admission venue apply`).")))
    return 0


def cmd_venue_show(args: argparse.Namespace) -> int:
    from admission.services import catalog

    shown = run(reading(settings_from(args), catalog.show_venue))
    print_venue(shown)
    return 0


def print_venue(v: VenueData) -> None:
    table = Table(show_header=False, title=_("The venue"))
    table.add_row(_("Name"), escape(v.name))
    table.add_row(_("Time zone"), v.timezone)
    table.add_row(_("Address"), escape("\n".join(v.address)) or _("none (receipts print no address)"))
    table.add_row(_("VAT number"), escape(v.vat_number or "") or _("none"))
    standard = (
        _("{rate} % (prices include it)").format(rate=f"{v.vat_rate:g}") if v.vat_rate is not None else ""
    )
    table.add_row(_("Standard VAT rate"), standard or _("none (receipts show no VAT)"))
    console.print(table)


def cmd_venue_set(args: argparse.Namespace) -> int:
    from admission.services import catalog

    if args.address is None and args.vat_number is None and args.vat_rate is None:
        raise CliError(_("nothing to set: pass --address, --vat-number or --vat-rate"))

    async def work(session: Any) -> VenueData:
        current = catalog.venue_receipt(await catalog.get_venue(session))
        wanted = VenueReceiptIn(
            address=current.address if args.address is None else [a for a in args.address if a.strip()],
            vat_number=current.vat_number if args.vat_number is None else (args.vat_number.strip() or None),
            vat_rate=current.vat_rate if args.vat_rate is None else _rate_or_none(args.vat_rate),
        )
        checked = _checked(wanted, VenueReceiptIn)
        return await catalog.save_venue_receipt(session, checked)

    print_venue(run(writing(settings_from(args), work)))
    return 0


def _rate_or_none(text: str) -> float | None:
    """A rate as typed ("25", "25,5"), or None for "none" (no VAT on receipts, or the venue's)."""
    cleaned = text.strip().replace(",", ".")
    if cleaned.lower() in ("", "none", "standard"):
        return None
    try:
        return float(cleaned)
    except ValueError as exc:
        raise CliError(
            _("{value!r} is not a VAT rate: write a percentage, e.g. 25 or 25.5").format(value=text)
        ) from exc


def _checked(value: Any, kind: type[Any]) -> Any:
    """The value as the API would accept it: the same limits, said as a CLI message."""
    import msgspec

    try:
        return msgspec.convert(msgspec.to_builtins(value), type=kind)
    except msgspec.ValidationError as exc:
        raise CliError(str(exc)) from exc


def cmd_templates_set_vat(args: argparse.Namespace) -> int:
    from admission.services import catalog

    rate = _rate_or_none(args.rate)

    async def work(session: Any) -> TemplateData:
        template = await catalog.template_by_name(session, args.template)
        data = catalog.template_data(template)
        fields = {f: getattr(data, f) for f in TemplateIn.__struct_fields__ if f != "vat_rate"}
        return await catalog.update_template(
            session, template.id, _checked(TemplateIn(**fields, vat_rate=rate), TemplateIn)
        )

    updated = run(writing(settings_from(args), work))
    if updated.vat_rate is None:
        console.print(_("{name}: the venue's standard VAT rate").format(name=escape(updated.name)))
    else:
        console.print(
            _("{name}: VAT {rate} %").format(name=escape(updated.name), rate=f"{updated.vat_rate:g}")
        )
    return 0


def cmd_templates_pending_entry(args: argparse.Namespace) -> int:
    """Whether a template's tickets issued unpaid admit before they are paid (docs/entry-rules.md)."""
    from admission.services import catalog

    allow = args.choice == "allow"

    async def work(session: Any) -> TemplateData:
        template = await catalog.template_by_name(session, args.template)
        data = catalog.template_data(template)
        fields = {f: getattr(data, f) for f in TemplateIn.__struct_fields__ if f != "allow_pending_entry"}
        return await catalog.update_template(
            session, template.id, _checked(TemplateIn(**fields, allow_pending_entry=allow), TemplateIn)
        )

    updated = run(writing(settings_from(args), work))
    said = (
        _("{name}: tickets not yet paid are admitted.")
        if updated.allow_pending_entry
        else _("{name}: tickets not yet paid are refused until marked paid.")
    )
    console.print(said.format(name=escape(updated.name)))
    return 0


def cmd_templates_list(args: argparse.Namespace) -> int:
    from admission.services import catalog

    async def work(session: Any) -> tuple[str, list[TemplateData]]:
        return (await catalog.get_venue(session)).timezone, await catalog.list_templates(session)

    timezone, templates = run(reading(settings_from(args), work))
    tz = ZoneInfo(timezone)
    names = {t.id: t.name for t in templates}
    table = Table(
        _("id"),
        _("name"),
        _("PLU"),
        _("price"),
        _("rules"),
        title=_("Ticket templates (times in {timezone})").format(timezone=timezone),
    )
    for t in templates:
        name = escape(t.name) + ("" if t.active else " [dim]{}[/]".format(_("(inactive)")))
        table.add_row(
            str(t.id),
            name,
            t.plu or "",
            money(t.price_cents, t.currency),
            escape(rules_in_words(t, tz, names)),
        )
    console.print(table)
    if not templates:
        console.print(_("No templates yet: add them with `admission venue apply FILE` (docs/venue-file.md)."))
    return 0


def cmd_templates_show(args: argparse.Namespace) -> int:
    import msgspec

    from admission.domain.custom_rules import expression_words
    from admission.services import catalog

    async def work(session: Any) -> tuple[str, TemplateData, dict[int, str]]:
        template = await catalog.template_by_name(session, args.template)
        names = {t.id: t.name for t in await catalog.list_templates(session)}
        return (await catalog.get_venue(session)).timezone, catalog.template_data(template), names

    timezone, template, names = run(reading(settings_from(args), work))
    console.print(f"[bold]{escape(template.name)}[/] (id {template.id})")
    console.print(escape(rules_in_words(template, ZoneInfo(timezone), names)))
    if template.custom_rule is None:
        console.print(_("Custom rule: none"))
    else:
        said = _("Custom rule: admits only when {rule}")
        console.print(said.format(rule=escape(expression_words(template.custom_rule))))
        console.print(escape(msgspec.json.encode(template.custom_rule).decode()), soft_wrap=True)
    return 0


def rules_in_words(t: TemplateData, tz: ZoneInfo, names: dict[int, str]) -> str:
    """E.g. "Event ticket. 1 entry. Re-entry after an exit the same day. Zones: arena."."""
    from admission.barcodes.ticket import validity_text
    from admission.domain.model import TemplateKind, ValidityMode

    said = [
        _("Event ticket: valid for the event it is sold for.")
        if t.kind is TemplateKind.EVENT
        else _("Entry ticket.")
    ]
    if t.max_entries is None:
        said.append(_("Unlimited entries."))
    else:
        said.append(ngettext("{count} entry.", "{count} entries.", t.max_entries).format(count=t.max_entries))
    if t.reentry_allowed:
        said.append(_("Re-entry after an exit the same day."))
    said += entry_rules_in_words(t)
    days = t.validity_days or 0
    if t.validity_mode is ValidityMode.DAYS_FROM_SALE:
        said.append(
            ngettext("Valid {count} day from sale.", "Valid {count} days from sale.", days).format(count=days)
        )
    elif t.validity_mode is ValidityMode.DAYS_FROM_FIRST_USE:
        valid = ngettext("Valid {count} day from first use.", "Valid {count} days from first use.", days)
        said.append(valid.format(count=days))
    fixed_entry = t.validity_mode is ValidityMode.FIXED and t.kind is TemplateKind.ENTRY
    if t.valid_from or t.valid_until or fixed_entry:
        said.append(validity_text(t.valid_from, t.valid_until, tz, None) + ".")
    if t.allowed_zones:
        said.append(_("Zones: {zones}.").format(zones=", ".join(t.allowed_zones)))
    else:
        said.append(_("Every zone."))
    if t.allowed_gates:
        said.append(_("Gates: {gates}.").format(gates=", ".join(t.allowed_gates)))
    if t.fallback_template_id:
        fallback = names.get(t.fallback_template_id, str(t.fallback_template_id))
        said.append(_("Sold offline as {name}.").format(name=repr(fallback)))
    if t.vat_rate is not None:
        said.append(_("VAT {rate} % (its own rate).").format(rate=f"{t.vat_rate:g}"))
    return " ".join(said)


def entry_rules_in_words(t: TemplateData) -> list[str]:
    """The template's entry rules beyond the count, one sentence each (docs/entry-rules.md)."""
    from admission.i18n import _

    said: list[str] = []
    if t.exit_required:
        said.append(_("An exit before each new entry to a zone."))
    if t.min_minutes_between_entries:
        minutes = t.min_minutes_between_entries
        said.append(_("At least {minutes} min between entries.").format(minutes=minutes))
    if t.max_entries_per_day is not None:
        said.append(_("At most {count} per day.").format(count=t.max_entries_per_day))
    if t.max_entry_days is not None:
        said.append(_("On at most {days} different days.").format(days=t.max_entry_days))
    if t.entry_minutes_before_start is not None:
        minutes = t.entry_minutes_before_start
        said.append(_("Entry from {minutes} min before the event starts.").format(minutes=minutes))
    if t.entry_minutes_after_end:
        minutes = t.entry_minutes_after_end
        said.append(_("Entry until {minutes} min after the event ends.").format(minutes=minutes))
    if t.allow_pending_entry:
        said.append(_("Tickets not yet paid are admitted too."))
    if t.custom_rule is not None:
        from admission.domain.custom_rules import expression_words

        said.append(_("Admits only when {rule}.").format(rule=expression_words(t.custom_rule)))
    return said


def register(commands: Any) -> None:
    venue = commands.add_parser("venue", help="set the venue up from a venue file (docs/venue-file.md)")
    venue_commands = venue.add_subparsers(dest="action", required=True)
    apply = venue_commands.add_parser(
        "apply", help="create and update what the file describes; shows the changes first"
    )
    add_database_options(apply)
    apply.add_argument("file", help="the venue file (TOML)")
    apply.add_argument("--dry-run", action="store_true", help="show what would change, change nothing")
    apply.set_defaults(handler=cmd_venue_apply)
    export = venue_commands.add_parser("export", help="write the venue as a venue file")
    add_database_options(export)
    export.add_argument("--out", default="-", help="file to write (default: standard output)")
    export.add_argument("--force", action="store_true", help="overwrite --out if it exists")
    export.set_defaults(handler=cmd_venue_export)
    show = venue_commands.add_parser("show", help="the venue and what its receipts print")
    add_database_options(show)
    show.set_defaults(handler=cmd_venue_show)
    set_receipt = venue_commands.add_parser(
        "set", help="set what receipts print: address, VAT number, standard VAT rate (the rest is kept)"
    )
    add_database_options(set_receipt)
    set_receipt.add_argument(
        "--address", action="append", metavar="LINE", help="an address line; repeat for each line ('' clears)"
    )
    set_receipt.add_argument("--vat-number", help="VAT or organisation number ('' clears it)")
    set_receipt.add_argument(
        "--vat-rate",
        help="standard VAT rate in percent that prices include, e.g. 25 or 25.5 ('none': no VAT)",
    )
    set_receipt.set_defaults(handler=cmd_venue_set)

    templates = commands.add_parser("templates", help="ticket templates")
    template_commands = templates.add_subparsers(dest="action", required=True)
    listing = template_commands.add_parser("list", help="every template with its rules in words")
    add_database_options(listing)
    listing.set_defaults(handler=cmd_templates_list)
    set_vat = template_commands.add_parser("set-vat", help="a template's own VAT rate (a reduced rate)")
    add_database_options(set_vat)
    set_vat.add_argument("template", help="the template's name")
    set_vat.add_argument("rate", help="percent, e.g. 7 or 12; 'standard': the venue's standard rate")
    set_vat.set_defaults(handler=cmd_templates_set_vat)
    pending = template_commands.add_parser(
        "pending-entry", help="whether tickets issued unpaid admit before they are paid (default: refuse)"
    )
    add_database_options(pending)
    pending.add_argument("template", help="the template's name")
    pending.add_argument("choice", choices=["allow", "refuse"])
    pending.set_defaults(handler=cmd_templates_pending_entry)
    show = template_commands.add_parser("show", help="one template's rules in words, its custom rule too")
    add_database_options(show)
    show.add_argument("template", help="the template's name")
    show.set_defaults(handler=cmd_templates_show)
    template_rules.register(template_commands)
