"""Planning and applying a venue file, in one transaction: all of it or nothing."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from admission.contract import AppliedVenue, VenueFile, VenuePlan
from admission.domain.errors import ConflictError, DomainError
from admission.services import catalog
from admission.services.venue_file.catalogue import plan_catalogue
from admission.services.venue_file.parsing import SourceMap, VenueFileError
from admission.services.venue_file.planning import (
    Applying,
    Planner,
    Step,
    check_unique,
    check_zones,
    plan_devices,
    plan_payments,
    plan_venue_section,
)
from admission.services.venue_file.state import load_state


async def plan_steps(session: AsyncSession, spec: VenueFile, where: SourceMap, source: str) -> list[Step]:
    """Every object of the file with what applying it would do; VenueFileError lists every
    problem (of the file alone, or of the file against the venue) with its line."""
    state = await load_state(session)
    try:
        tz = catalog.check_timezone(spec.venue.timezone)
    except DomainError as exc:
        raise VenueFileError(source, [f"{where.where(('venue', 'timezone'))}: {exc.detail}"]) from exc
    planner = Planner(spec, where, state, tz)
    check_unique(planner)
    check_zones(planner)
    plan_venue_section(planner)
    plan_payments(planner)
    plan_catalogue(planner)
    plan_devices(planner)
    if planner.problems:
        raise VenueFileError(source, planner.problems)
    return planner.steps


async def plan_venue(session: AsyncSession, spec: VenueFile, where: SourceMap, source: str) -> VenuePlan:
    """What applying the file would change, changing nothing."""
    return VenuePlan(changes=tuple(s.change for s in await plan_steps(session, spec, where, source)))


async def apply_venue(
    session: AsyncSession, spec: VenueFile, where: SourceMap, source: str, expected: VenuePlan | None = None
) -> AppliedVenue:
    """Apply the file in the caller's transaction. With `expected` (the plan shown to the user)
    it refuses to apply anything else, should the venue have changed since."""
    steps = await plan_steps(session, spec, where, source)
    plan = VenuePlan(changes=tuple(s.change for s in steps))
    if expected is not None and plan != expected:
        raise ConflictError("the venue changed while the plan was shown: nothing was changed, apply again")
    state = await load_state(session)
    applying = Applying(
        session=session,
        templates={name: t.id for name, t in state.templates.items()},
        events={name: group[0].id for name, group in state.events.items() if len(group) == 1},
    )
    for step in steps:
        if step.run is None:
            continue
        try:
            await step.run(applying)
            await session.flush()
        except DomainError as exc:
            raise VenueFileError(source, [f"{where.where(step.path)}: {exc.detail}"]) from exc
    return AppliedVenue(plan=plan, tokens=applying.tokens)
