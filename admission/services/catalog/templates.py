"""Ticket templates: what a ticket admits, when, how often, at what price."""

from __future__ import annotations

import difflib
from datetime import UTC, datetime

import msgspec
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from admission.contract import TemplateData, TemplateIn
from admission.db.models import Template
from admission.domain.custom_rules import RuleError, parse_rule
from admission.domain.errors import ConflictError, InvalidRequestError, InvalidRuleError, NotFoundError
from admission.domain.model import TemplateKind, ValidityMode
from admission.domain.vat import InvalidVatRate, rate_basis_points, rate_percent
from admission.services import feed
from admission.services.catalog.venue import require_aware


def template_data(t: Template) -> TemplateData:
    return TemplateData(
        id=t.id,
        name=t.name,
        kind=TemplateKind(t.kind),
        plu=t.plu,
        price_cents=t.price_cents,
        currency=t.currency,
        validity_mode=ValidityMode(t.validity_mode),
        valid_from=t.valid_from,
        valid_until=t.valid_until,
        validity_days=t.validity_days,
        allowed_zones=list(t.allowed_zones),
        allowed_gates=list(t.allowed_gates),
        max_entries=t.max_entries,
        reentry_allowed=t.reentry_allowed,
        min_minutes_between_entries=t.min_minutes_between_entries,
        max_entries_per_day=t.max_entries_per_day,
        max_entry_days=t.max_entry_days,
        entry_minutes_before_start=t.entry_minutes_before_start,
        entry_minutes_after_end=t.entry_minutes_after_end,
        exit_required=t.exit_required,
        fallback_template_id=t.fallback_template_id,
        active=t.active,
        title=t.title,
        description=t.description,
        color=t.color,
        vat_rate=None if t.vat_rate_basis_points is None else rate_percent(t.vat_rate_basis_points),
        allow_pending_entry=t.allow_pending_entry,
        custom_rule=t.custom_rule,
    )


def vat_basis_points(percent: float | None) -> int | None:
    """A VAT rate as stored (basis points), or InvalidRequestError saying what to write."""
    if percent is None:
        return None
    try:
        return rate_basis_points(percent)
    except InvalidVatRate as exc:
        raise InvalidRequestError(str(exc)) from exc


def _columns(data: TemplateIn) -> dict[str, object]:
    """The template's columns from what an admin wrote (the rate kept in basis points)."""
    fields = msgspec.structs.asdict(data)
    fields["vat_rate_basis_points"] = vat_basis_points(fields.pop("vat_rate"))
    return fields


def check_custom_rule(expression: dict[str, object] | None) -> None:
    """A custom rule is checked whole before it is saved: gates must never meet one they cannot
    read. The error names the offending part by its JSON pointer."""
    if expression is None:
        return
    try:
        parse_rule(expression)
    except RuleError as exc:
        pointer = "/custom_rule" + ("" if exc.path == "/" else exc.path)
        raise InvalidRuleError(f"custom_rule at {pointer}: {exc.problem}", pointer) from exc


async def _check_template(session: AsyncSession, data: TemplateIn, own_id: int | None) -> None:
    require_aware(data.valid_from, data.valid_until)
    check_custom_rule(data.custom_rule)
    if data.valid_from and data.valid_until and data.valid_from >= data.valid_until:
        raise InvalidRequestError("valid_from must be before valid_until")
    if data.validity_mode is not ValidityMode.FIXED and not data.validity_days:
        raise InvalidRequestError(f"validity_mode {data.validity_mode} needs validity_days")
    if data.fallback_template_id is not None:
        fallback = await session.get(Template, data.fallback_template_id)
        if fallback is None or fallback.id == own_id:
            raise InvalidRequestError(f"fallback template {data.fallback_template_id} does not exist")
        if fallback.kind != TemplateKind.ENTRY:
            raise InvalidRequestError("a fallback template must be an entry (non-event) template")
    same_name = await session.scalar(select(Template.id).where(Template.name == data.name))
    if same_name is not None and same_name != own_id:
        raise ConflictError(f"a template named {data.name!r} exists already")
    if data.plu is not None:
        same_plu = await session.scalar(select(Template.id).where(Template.plu == data.plu))
        if same_plu is not None and same_plu != own_id:
            raise ConflictError(f"PLU {data.plu!r} belongs to another template already")


async def create_template(session: AsyncSession, data: TemplateIn) -> TemplateData:
    await _check_template(session, data, None)
    template = Template(**_columns(data), created_at=datetime.now(UTC))
    session.add(template)
    await session.flush()
    created = template_data(template)
    await feed.emit(session, "template", str(template.id), created)
    return created


async def update_template(session: AsyncSession, template_id: int, data: TemplateIn) -> TemplateData:
    template = await get_template(session, template_id)
    await _check_template(session, data, template_id)
    for field, value in _columns(data).items():
        setattr(template, field, value)
    updated = template_data(template)
    await feed.emit(session, "template", str(template.id), updated)
    return updated


async def get_template(session: AsyncSession, template_id: int) -> Template:
    template = await session.get(Template, template_id)
    if template is None:
        raise NotFoundError(f"template {template_id} does not exist")
    return template


async def template_by_name(session: AsyncSession, name: str) -> Template:
    template = await session.scalar(select(Template).where(Template.name == name))
    if template is None:
        names = (await session.scalars(select(Template.name).order_by(Template.name))).all()
        close = difflib.get_close_matches(name, names, n=3)
        known = "`admission templates list` shows them"
        if close:
            known = f"did you mean {', '.join(repr(c) for c in close)}?"
        raise NotFoundError(f"there is no template named {name!r}: {known}")
    return template


async def show_template(session: AsyncSession, template_id: int) -> TemplateData:
    return template_data(await get_template(session, template_id))


async def list_templates(
    session: AsyncSession, plu: str | None = None, query: str | None = None
) -> list[TemplateData]:
    statement = select(Template).order_by(Template.id)
    if plu:
        statement = statement.where(Template.plu == plu)
    if query:
        statement = statement.where(Template.name.ilike(f"%{query}%"))
    return [template_data(t) for t in (await session.scalars(statement)).all()]
