"""The venue as a venue file: applying what this writes to the same venue changes nothing, and
to a fresh venue sets up the same catalogue, payment rules and devices (with new tokens)."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from admission.domain.model import TemplateKind, ValidityMode
from admission.domain.payments import DEFAULT_LABELS
from admission.services.venue_file.state import VenueState, load_state

Table = list[tuple[str, Any]]


async def export_venue(session: AsyncSession) -> str:
    return venue_toml(await load_state(session))


def venue_toml(s: VenueState) -> str:
    tz = s.tz
    zones = sorted(
        {g.zone for g in s.gates.values()}
        | {g.from_zone for g in s.gates.values() if g.from_zone}
        | {z for t in s.templates.values() for z in t.allowed_zones}
    )
    out = [
        f"# The venue {s.name!r} as a venue file (docs/venue-file.md): apply it with",
        "# `admission venue apply FILE`. Times are in the venue's time zone.",
        "",
    ]
    out += _table(
        "[venue]",
        [
            ("name", s.name),
            ("timezone", s.timezone),
            ("currency", s.currency),
            ("language", s.language),
            ("annul_window_seconds", s.annul_window_seconds),
            ("offline_limit_hours", s.offline_limit_hours),
            ("zones", zones),
            ("address", list(s.receipt.address) or None),
            ("vat_number", s.receipt.vat_number),
            ("vat_rate", s.receipt.vat_rate),
        ],
        tz,
    )
    templates = sorted(s.templates.values(), key=lambda t: t.id)
    for t in templates:  # fallbacks may come after: apply orders them itself
        fields: Table = [("name", t.name)]
        if t.kind is TemplateKind.EVENT:
            fields.append(("kind", t.kind.value))
        fields += [("plu", t.plu), ("price", _Price(t.price_cents))]
        if t.currency != s.currency:
            fields.append(("currency", t.currency))
        if t.validity_mode is not ValidityMode.FIXED:
            fields.append(("validity", t.validity_mode.value))
        fields += [
            ("valid_from", t.valid_from),
            ("valid_until", t.valid_until),
            ("validity_days", t.validity_days),
            ("zones", t.allowed_zones or None),
            ("gates", t.allowed_gates or None),
            ("max_entries", "unlimited" if t.max_entries is None else t.max_entries),
            ("reentry", t.reentry_allowed),
            ("min_minutes_between_entries", t.min_minutes_between_entries),
            ("max_entries_per_day", t.max_entries_per_day),
            ("max_entry_days", t.max_entry_days),
            ("entry_minutes_before_start", t.entry_minutes_before_start),
            ("entry_minutes_after_end", t.entry_minutes_after_end),
            ("exit_required", t.exit_required),
            ("allow_pending_entry", t.allow_pending_entry),
            ("fallback", s.template_names.get(t.fallback_template_id or 0)),
            ("active", t.active),
            ("title", t.title or None),
            ("description", t.description or None),
            ("color", t.color),
            ("vat_rate", t.vat_rate),
            ("custom_rule", None if t.custom_rule is None else json.dumps(t.custom_rule)),
        ]
        out += _table("[[templates]]", fields, tz)
    for group in s.events.values():
        for e in group:
            out += _table(
                "[[events]]",
                [
                    ("name", e.name),
                    ("starts_at", e.starts_at),
                    ("ends_at", e.ends_at),
                    ("doors_open_minutes", e.doors_open_minutes),
                    ("capacity", "unlimited" if e.capacity is None else e.capacity),
                    ("templates", sorted(s.template_names[i] for i in e.template_ids)),
                ],
                tz,
            )
    for g in sorted(s.gates.values(), key=lambda g: g.id):
        event = s.event_names.get(g.event_id or 0)
        out += _table(
            "[[gates]]",
            [("name", g.name), ("zone", g.zone), ("from_zone", g.from_zone), ("event", event)],
            tz,
        )
    p = s.payments
    out += _table(
        "[payments]",
        [
            ("card_brands", list(p.card_brands)),
            ("card_offline_brands", list(p.card_offline_brands)),
            ("card_offline_limit", p.card_offline_limit),
        ],
        tz,
    )
    for m in p.methods:
        label = None if m.label == DEFAULT_LABELS[m.method] else m.label
        out += _table(
            "[[payments.methods]]", [("method", m.method.value), ("label", label), ("enabled", m.enabled)], tz
        )
    for d in s.devices.values():
        if not d.revoked:
            out += _table("[[devices]]", [("name", d.name), ("role", d.role), ("gate", d.gate)], tz)
    return "\n".join(out)


_DEFAULTS_LEFT_OUT = (
    ("reentry", False),
    ("exit_required", False),
    ("allow_pending_entry", False),
    ("active", True),
    ("enabled", True),
    ("max_entries", 1),
)


class _Price(int):
    """Cents, written as an amount (25.00)."""


def _table(header: str, fields: Table, tz: ZoneInfo) -> list[str]:
    lines = [header]
    for key, value in fields:
        left_out = any(key == k and type(value) is type(v) and value == v for k, v in _DEFAULTS_LEFT_OUT)
        if value is not None and not left_out:
            lines.append(f"{key} = {_value(value, tz)}")
    return [*lines, ""]


def _value(value: Any, tz: ZoneInfo) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, _Price):
        return f"{value // 100}.{value % 100:02d}"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):  # a VAT rate: 25.0 is written 25, 25.5 stays 25.5
        return str(int(value)) if value.is_integer() else repr(value)
    if isinstance(value, datetime):
        # With its UTC offset: exact, and still read as the venue's local time.
        return value.astimezone(tz).isoformat(timespec="seconds")
    if isinstance(value, list):
        return "[" + ", ".join(_value(v, tz) for v in value) + "]"
    # JSON's escapes are TOML's too; TOML also refuses a raw DEL.
    return json.dumps(str(value), ensure_ascii=False).replace("\x7f", "\\u007f")
