"""What applying a venue file changes: each object of the file compared with the venue, and the
step that makes it so. Every problem is found before anything is changed."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import msgspec
from sqlalchemy.ext.asyncio import AsyncSession

from admission.contract import (
    Action,
    DeviceIn,
    EventEntry,
    EventIn,
    GateEntry,
    GateIn,
    PlannedChange,
    TemplateEntry,
    TemplateIn,
    VenueFile,
    VenueIn,
    VenueReceiptIn,
)
from admission.domain import payments
from admission.domain.errors import DomainError
from admission.domain.vat import InvalidVatRate, rate_basis_points
from admission.services import catalog, devices
from admission.services.sales.till_setup import save_payment_config
from admission.services.venue_file.parsing import Path, SourceMap, price_cents
from admission.services.venue_file.state import (
    VenueState,
    View,
    device_view,
    differences,
)

Run = Callable[["Applying"], Awaitable[None]]


@dataclass
class Applying:
    """What the steps share while they run: the transaction, the ids of the objects by name
    (filled in as the steps create them) and the tokens of the devices created."""

    session: AsyncSession
    templates: dict[str, int]
    events: dict[str, int]
    tokens: dict[str, str] = field(default_factory=dict)


@dataclass
class Step:
    change: PlannedChange
    path: Path  # where the object stands in the file, to name it in an error
    run: Run | None  # None: nothing to do


@dataclass
class Planner:
    spec: VenueFile
    where: SourceMap
    state: VenueState
    tz: ZoneInfo
    problems: list[str] = field(default_factory=list)
    steps: list[Step] = field(default_factory=list)

    def problem(self, path: Path, message: str) -> None:
        self.problems.append(f"{self.where.where(path)}: {message}")

    def step(self, kind: Any, name: str, path: Path, old: View | None, new: View, run: Run) -> None:
        if old is None:
            self.steps.append(Step(PlannedChange(kind=kind, name=name, action="create"), path, run))
            return
        changed = differences(old, new, self.tz)
        action: Action = "update" if changed else "unchanged"
        change = PlannedChange(kind=kind, name=name, action=action, details=changed)
        self.steps.append(Step(change, path, run if changed else None))

    def aware(self, moment: datetime | None) -> datetime | None:
        """A time written without a UTC offset is the venue's local time."""
        if moment is None or moment.tzinfo is not None:
            return moment
        return moment.replace(tzinfo=self.tz)


def check_vat_rate(p: Planner, path: Path, rate: float | None) -> None:
    """A rate msgspec let through (0 to 100) may still have more decimals than a rate has."""
    if rate is None:
        return
    try:
        rate_basis_points(rate)
    except InvalidVatRate as exc:
        p.problem(path, f"{exc}: write e.g. vat_rate = 25 or 25.5")


def plan_venue_section(p: Planner) -> None:
    v, s = p.spec.venue, p.state
    check_vat_rate(p, ("venue", "vat_rate"), v.vat_rate)
    old = {
        "name": s.name,
        "timezone": s.timezone,
        "currency": s.currency,
        "language": s.language,
        "annul_window_seconds": s.annul_window_seconds,
        "offline_limit_hours": s.offline_limit_hours,
        "address": list(s.receipt.address),
        "vat_number": s.receipt.vat_number,
        "vat_rate": s.receipt.vat_rate,
    }
    new = {
        "name": v.name,
        "timezone": v.timezone,
        "currency": v.currency,
        "language": v.language,
        "annul_window_seconds": v.annul_window_seconds,
        "offline_limit_hours": v.offline_limit_hours,
        "address": list(v.address),
        "vat_number": v.vat_number,
        "vat_rate": v.vat_rate,
    }

    async def run(ids: Applying) -> None:
        if any(old[k] != new[k] for k in ("name", "timezone", "annul_window_seconds", "offline_limit_hours")):
            venue_in = VenueIn(
                name=v.name,
                timezone=v.timezone,
                annul_window_seconds=v.annul_window_seconds,
                offline_limit_hours=v.offline_limit_hours,
            )
            await catalog.save_venue(ids.session, venue_in)
        await catalog.save_venue_locale(ids.session, v.currency, v.language)
        if any(old[k] != new[k] for k in ("address", "vat_number", "vat_rate")):
            receipt = VenueReceiptIn(address=list(v.address), vat_number=v.vat_number, vat_rate=v.vat_rate)
            await catalog.save_venue_receipt(ids.session, receipt)

    p.step("venue", v.name, ("venue",), old, new, run)


def plan_payments(p: Planner) -> None:
    section = p.spec.payments
    if section is None:
        return
    default = payments.PaymentConfig()
    methods = default.methods
    if section.methods is not None:
        methods = [
            payments.MethodConfig(
                method=m.method, label=m.label or payments.DEFAULT_LABELS[m.method], enabled=m.enabled
            )
            for m in section.methods
        ]
    config = payments.PaymentConfig(
        methods=methods,
        card_brands=default.card_brands if section.card_brands is None else section.card_brands,
        card_offline_brands=(
            default.card_offline_brands
            if section.card_offline_brands is None
            else section.card_offline_brands
        ),
        card_offline_limit=(
            default.card_offline_limit if section.card_offline_limit is None else section.card_offline_limit
        ),
    )
    try:
        payments.check_config(config)
    except DomainError as exc:
        p.problem(("payments",), exc.detail)
        return

    async def run(ids: Applying) -> None:
        await save_payment_config(ids.session, config)

    p.step(
        "payments",
        "payment rules",
        ("payments",),
        payments_view(p.state.payments),
        payments_view(config),
        run,
    )


def payments_view(config: payments.PaymentConfig) -> View:
    return {
        "methods": [_method_words(m) for m in config.methods],
        "card_brands": list(config.card_brands),
        "card_offline_brands": list(config.card_offline_brands),
        "card_offline_limit": config.card_offline_limit,
    }


def _method_words(m: payments.MethodConfig) -> str:
    """E.g. "card", "mobile (as 'Swish')", "cash (off)"."""
    notes = [] if m.label == payments.DEFAULT_LABELS[m.method] else [f"as {m.label!r}"]
    notes += [] if m.enabled else ["off"]
    return m.method.value + (f" ({', '.join(notes)})" if notes else "")


def check_unique(p: Planner) -> None:
    for table in ("templates", "events", "gates", "devices"):
        seen: dict[str, int] = {}
        for index, entry in enumerate(getattr(p.spec, table)):
            if entry.name in seen:
                p.problem(
                    (table, index, "name"),
                    f"a second {table[:-1]} named {entry.name!r}: give each its own name",
                )
            seen.setdefault(entry.name, index)
    plus: dict[str, str] = {}
    for index, t in enumerate(p.spec.templates):
        if t.plu is not None and plus.setdefault(t.plu, t.name) != t.name:
            p.problem(
                ("templates", index, "plu"), f"PLU {t.plu!r} is {plus[t.plu]!r}'s already: give each its own"
            )


def check_zones(p: Planner) -> None:
    declared = set(p.spec.venue.zones)
    if not declared:
        return
    hint = f"declare it in [venue] zones, or use one of: {', '.join(sorted(declared))}"
    for index, g in enumerate(p.spec.gates):
        for key, zone in (("zone", g.zone), ("from_zone", g.from_zone)):
            if zone is not None and zone not in declared:
                p.problem(("gates", index, key), f"unknown zone {zone!r}: {hint}")
    for index, t in enumerate(p.spec.templates):
        for zone in t.zones:
            if zone not in declared:
                p.problem(("templates", index, "zones"), f"unknown zone {zone!r}: {hint}")


def plan_devices(p: Planner) -> None:
    gates = {g.name for g in p.spec.gates} | set(p.state.gates)
    for index, d in enumerate(p.spec.devices):
        path: Path = ("devices", index)
        if d.gate is not None and d.gate not in gates:
            p.problem((*path, "gate"), f"unknown gate {d.gate!r}: name a gate of [[gates]]")
            continue
        current = p.state.devices.get(d.name)
        new: View = {"role": d.role, "gate": d.gate}
        if current is not None and current.revoked:
            p.problem((*path, "name"), f"device {d.name!r} is revoked: give the new device another name")
            continue
        if current is not None and device_view(current) != new:
            p.problem(
                path,
                f"device {d.name!r} exists as {current.role}"
                + (f" at {current.gate!r}" if current.gate else "")
                + ": a venue file never changes a device's role or gate (its token's power); revoke it "
                "(`admission tokens revoke`) and add the new one under another name",
            )
            continue

        async def run(ids: Applying, d: Any = d) -> None:
            issued = await devices.create_device(ids.session, DeviceIn(name=d.name, role=d.role, gate=d.gate))
            ids.tokens[d.name] = issued.token

        p.step("device", d.name, path, None if current is None else device_view(current), new, run)


# The catalogue's parts are planned in admission.services.venue_file.catalogue; these are the
# shapes it hands to the catalogue services.
def template_in(t: TemplateEntry, p: Planner, fallback_id: int | None) -> TemplateIn:
    return TemplateIn(
        name=t.name,
        kind=t.kind,
        plu=t.plu,
        price_cents=price_cents(t.price),
        currency=t.currency or p.spec.venue.currency,
        validity_mode=t.validity,
        valid_from=p.aware(t.valid_from),
        valid_until=p.aware(t.valid_until),
        validity_days=t.validity_days,
        allowed_zones=list(t.zones),
        allowed_gates=list(t.gates),
        max_entries=None if t.max_entries == "unlimited" else t.max_entries,
        reentry_allowed=t.reentry,
        min_minutes_between_entries=t.min_minutes_between_entries,
        max_entries_per_day=t.max_entries_per_day,
        max_entry_days=t.max_entry_days,
        entry_minutes_before_start=t.entry_minutes_before_start,
        entry_minutes_after_end=t.entry_minutes_after_end,
        exit_required=t.exit_required,
        allow_pending_entry=t.allow_pending_entry,
        fallback_template_id=fallback_id,
        active=t.active,
        title=t.title,
        description=t.description,
        color=t.color,
        vat_rate=t.vat_rate,
        # Checked by the catalogue's planning before this is called (custom_rules.parse_rule_json).
        custom_rule=None if t.custom_rule is None else msgspec.json.decode(t.custom_rule),
    )


def event_in(e: EventEntry, p: Planner, template_ids: list[int]) -> EventIn:
    starts_at, ends_at = p.aware(e.starts_at), p.aware(e.ends_at)
    assert starts_at is not None and ends_at is not None
    return EventIn(
        name=e.name,
        starts_at=starts_at,
        ends_at=ends_at,
        doors_open_minutes=e.doors_open_minutes,
        capacity=None if e.capacity == "unlimited" else e.capacity,
        template_ids=template_ids,
    )


def gate_in(g: GateEntry, event_id: int | None) -> GateIn:
    return GateIn(name=g.name, zone=g.zone, from_zone=g.from_zone, event_id=event_id)
