"""The catalogue part of a venue file: templates, events and gates, compared with the venue
by name, with every name they refer to checked (in the file or in the venue)."""

from __future__ import annotations

from admission.contract import EventEntry, GateEntry, TemplateEntry
from admission.domain.custom_rules import RuleError, parse_rule_json
from admission.domain.errors import DomainError
from admission.domain.model import TemplateKind, ValidityMode
from admission.services import catalog
from admission.services.venue_file.planning import (
    Applying,
    Planner,
    check_vat_rate,
    event_in,
    gate_in,
    template_in,
)
from admission.services.venue_file.state import View, event_view, gate_view, template_fields, template_view


def plan_catalogue(p: Planner) -> None:
    for index in _fallbacks_first(p):
        _plan_template(p, index, p.spec.templates[index])
    for index, event in enumerate(p.spec.events):
        _plan_event(p, index, event)
    for index, gate in enumerate(p.spec.gates):
        _plan_gate(p, index, gate)


def _fallbacks_first(p: Planner) -> list[int]:
    """Template indexes, each after the template of the file it falls back to."""
    by_name = {t.name: i for i, t in enumerate(p.spec.templates)}
    order: list[int] = []
    visiting: set[int] = set()

    def visit(index: int) -> None:
        if index in order:
            return
        if index in visiting:
            p.problem(("templates", index, "fallback"), "templates fall back to each other in a circle")
            return
        visiting.add(index)
        fallback = p.spec.templates[index].fallback
        if fallback in by_name:
            visit(by_name[fallback])
        visiting.discard(index)
        if index not in order:
            order.append(index)

    for index in range(len(p.spec.templates)):
        visit(index)
    return order


def _template_kind(p: Planner, name: str) -> TemplateKind | None:
    in_file = next((t for t in p.spec.templates if t.name == name), None)
    if in_file is not None:
        return in_file.kind
    existing = p.state.templates.get(name)
    return existing.kind if existing else None


def _plan_template(p: Planner, index: int, t: TemplateEntry) -> None:
    path = ("templates", index)
    if t.custom_rule is not None:
        try:
            parse_rule_json(t.custom_rule)
        except RuleError as exc:
            p.problem((*path, "custom_rule"), f"at {exc.path}: {exc.problem} (docs/entry-rules.md)")
            return
    try:
        wanted = template_in(t, p, None)
    except DomainError as exc:
        p.problem((*path, "price"), exc.detail)
        return
    count = len(p.problems)
    check_vat_rate(p, (*path, "vat_rate"), t.vat_rate)
    if t.validity is not ValidityMode.FIXED and t.validity_days is None:
        p.problem(
            (*path, "validity_days"),
            f'validity = "{t.validity}" needs validity_days, e.g. validity_days = 365',
        )
    if wanted.valid_from and wanted.valid_until and wanted.valid_from >= wanted.valid_until:
        p.problem((*path, "valid_until"), "valid_until must come after valid_from")
    if t.fallback is not None:
        kind = _template_kind(p, t.fallback)
        if t.fallback == t.name or kind is None:
            p.problem(
                (*path, "fallback"), f"no other template is named {t.fallback!r}: name one of [[templates]]"
            )
        elif kind is not TemplateKind.ENTRY:
            p.problem(
                (*path, "fallback"),
                f"{t.fallback!r} is an event template: a fallback must be an entry template",
            )
    gates = {g.name for g in p.spec.gates} | set(p.state.gates)
    for gate in t.gates:
        if gate not in gates:
            p.problem((*path, "gates"), f"unknown gate {gate!r}: name a gate of [[gates]]")
    other = next(
        (o for o in p.state.templates.values() if t.plu and o.plu == t.plu and o.name != t.name), None
    )
    if other is not None and other.name not in {f.name for f in p.spec.templates if f.plu != t.plu}:
        p.problem(
            (*path, "plu"), f"PLU {t.plu!r} belongs to the template {other.name!r} already: choose another"
        )
    if len(p.problems) > count:
        return
    current = p.state.templates.get(t.name)
    new = template_fields(wanted, t.fallback)

    async def run(ids: Applying) -> None:
        fallback_id = ids.templates[t.fallback] if t.fallback else None
        data = template_in(t, p, fallback_id)
        if current is None:
            ids.templates[t.name] = (await catalog.create_template(ids.session, data)).id
        else:
            await catalog.update_template(ids.session, current.id, data)

    old = None if current is None else template_view(current, p.state)
    p.step("template", t.name, path, old, new, run)


def _plan_event(p: Planner, index: int, e: EventEntry) -> None:
    path = ("events", index)
    count = len(p.problems)
    wanted = event_in(e, p, [])
    if wanted.starts_at >= wanted.ends_at:
        p.problem((*path, "ends_at"), "an event must end after it starts")
    for name in e.templates:
        kind = _template_kind(p, name)
        if kind is None:
            p.problem((*path, "templates"), f"unknown template {name!r}: name one of [[templates]]")
        elif kind is not TemplateKind.EVENT:
            p.problem(
                (*path, "templates"), f'{name!r} is an entry template: an event sells kind = "event" ones'
            )
    existing = p.state.events.get(e.name, [])
    if len(existing) > 1:
        p.problem(
            (*path, "name"), f"the venue has {len(existing)} events named {e.name!r}: rename them first"
        )
    current = existing[0] if len(existing) == 1 else None
    if current is not None and wanted.capacity is not None and wanted.capacity < current.sold:
        p.problem(
            (*path, "capacity"), f"{current.sold} tickets are sold already: capacity cannot go below that"
        )
    if len(p.problems) > count:
        return
    new: View = {
        "starts_at": wanted.starts_at,
        "ends_at": wanted.ends_at,
        "doors_open_minutes": wanted.doors_open_minutes,
        "capacity": wanted.capacity,
        "templates": sorted(set(e.templates)),
    }

    async def run(ids: Applying) -> None:
        data = event_in(e, p, sorted({ids.templates[name] for name in e.templates}))
        if current is None:
            ids.events[e.name] = (await catalog.create_event(ids.session, data)).id
        else:
            await catalog.update_event(ids.session, current.id, data)

    old = None if current is None else event_view(current, p.state)
    p.step("event", e.name, path, old, new, run)


def _plan_gate(p: Planner, index: int, g: GateEntry) -> None:
    path = ("gates", index)
    if g.event is not None and g.event not in {e.name for e in p.spec.events}:
        found = len(p.state.events.get(g.event, []))
        if found != 1:
            problem = "is not one of [[events]]" if not found else f"names {found} events of the venue"
            p.problem((*path, "event"), f"{g.event!r} {problem}: name one event of [[events]]")
            return
    current = p.state.gates.get(g.name)
    new: View = {"zone": g.zone, "from_zone": g.from_zone, "event": g.event}

    async def run(ids: Applying) -> None:
        data = gate_in(g, ids.events[g.event] if g.event else None)
        if current is None:
            await catalog.create_gate(ids.session, data)
        else:
            await catalog.update_gate(ids.session, g.name, data)

    old = None if current is None else gate_view(current, p.state)
    p.step("gate", g.name, path, old, new, run)
