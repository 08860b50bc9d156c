"""The venue as it stands, in the venue file's terms: objects by name, each as the fields the
file writes, so a file and the database compare field by field."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from admission.contract import DeviceOut, EventOut, GateData, TemplateData, TemplateIn, VenueReceiptIn
from admission.domain.custom_rules import canonical_json
from admission.domain.payments import PaymentConfig
from admission.services import catalog, devices
from admission.services.sales.till_setup import payment_config

View = dict[str, Any]


@dataclass
class VenueState:
    name: str
    timezone: str
    currency: str
    language: str
    annul_window_seconds: int
    offline_limit_hours: int
    receipt: VenueReceiptIn
    payments: PaymentConfig
    templates: dict[str, TemplateData]
    events: dict[str, list[EventOut]]  # names of events need not be unique in the database
    gates: dict[str, GateData]
    devices: dict[str, DeviceOut]
    template_names: dict[int, str] = field(default_factory=dict)
    event_names: dict[int, str] = field(default_factory=dict)

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)


async def load_state(session: AsyncSession) -> VenueState:
    venue = await catalog.get_venue(session)
    templates = await catalog.list_templates(session)
    events: dict[str, list[EventOut]] = {}
    for event in await catalog.list_events(session):
        events.setdefault(event.name, []).append(event)
    return VenueState(
        name=venue.name,
        timezone=venue.timezone,
        currency=catalog.venue_currency(venue),
        language=catalog.venue_language(venue),
        annul_window_seconds=venue.annul_window_seconds,
        offline_limit_hours=venue.offline_limit_hours,
        receipt=catalog.venue_receipt(venue),
        payments=await payment_config(session),
        templates={t.name: t for t in templates},
        events=events,
        gates={g.name: g for g in await catalog.list_gates(session)},
        devices={d.name: d for d in await devices.list_devices(session)},
        template_names={t.id: t.name for t in templates},
        event_names={e.id: e.name for group in events.values() for e in group},
    )


def template_view(t: TemplateData, state: VenueState) -> View:
    fallback = state.template_names.get(t.fallback_template_id) if t.fallback_template_id else None
    return template_fields(t, fallback)


def template_fields(t: TemplateData | TemplateIn, fallback: str | None) -> View:
    """A template as the plan compares it, from the file's wish or the venue's state alike."""
    return {
        "kind": t.kind.value,
        "plu": t.plu,
        "price": t.price_cents,
        "currency": t.currency,
        "validity": t.validity_mode.value,
        "valid_from": t.valid_from,
        "valid_until": t.valid_until,
        "validity_days": t.validity_days,
        "zones": list(t.allowed_zones),
        "gates": list(t.allowed_gates),
        "max_entries": t.max_entries,
        "reentry": t.reentry_allowed,
        "min_minutes_between_entries": t.min_minutes_between_entries,
        "max_entries_per_day": t.max_entries_per_day,
        "max_entry_days": t.max_entry_days,
        "entry_minutes_before_start": t.entry_minutes_before_start,
        "entry_minutes_after_end": t.entry_minutes_after_end,
        "exit_required": t.exit_required,
        "allow_pending_entry": t.allow_pending_entry,
        "fallback": fallback,
        "active": t.active,
        "title": t.title,
        "description": t.description,
        "color": t.color,
        "vat_rate": t.vat_rate,
        "custom_rule": None if t.custom_rule is None else canonical_json(t.custom_rule),
    }


def event_view(e: EventOut, state: VenueState) -> View:
    return {
        "starts_at": e.starts_at,
        "ends_at": e.ends_at,
        "doors_open_minutes": e.doors_open_minutes,
        "capacity": e.capacity,
        "templates": sorted(state.template_names[i] for i in e.template_ids),
    }


def gate_view(g: GateData, state: VenueState) -> View:
    return {
        "zone": g.zone,
        "from_zone": g.from_zone,
        "event": state.event_names.get(g.event_id) if g.event_id else None,
    }


def device_view(d: DeviceOut) -> View:
    return {"role": d.role, "gate": d.gate}


def differences(old: View, new: View, tz: ZoneInfo) -> tuple[str, ...]:
    """Each changed field as "field: old → new", in the venue's time zone."""
    return tuple(
        f"{key}: {shown(key, old.get(key), tz)} → {shown(key, new[key], tz)}"
        for key in new
        if old.get(key) != new[key]
    )


def shown(key: str, value: Any, tz: ZoneInfo) -> str:
    if value is None:
        return "unlimited" if key in ("max_entries", "capacity") else "none"
    if key == "vat_rate" and isinstance(value, float | int):
        return f"{value:g} %"
    if key == "address" and isinstance(value, list):
        return " / ".join(value) or "none"
    if isinstance(value, datetime):
        return value.astimezone(tz).strftime("%Y-%m-%d %H:%M")
    if key == "price" and isinstance(value, int):
        return f"{value / 100:.2f}"
    if isinstance(value, list):
        return ", ".join(str(v) for v in value) or "any"
    if isinstance(value, bool):
        return "yes" if value else "no"
    return str(value)
