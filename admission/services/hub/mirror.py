"""A venue hub following the central service's feed into its own database (docs/hub.md).

Each page (contract/hub.py) is applied in one write transaction together with the cursor that
follows it, so a hub stopped anywhere resumes where it stopped: the catalogue (the venue,
templates, events, gates, notices, devices and their tokens: services/hub/catalogue_mirror.py),
issuer keys (a till's key, a revocation), tickets (sold, voided, paid, reissued at the centre)
and passages registered at the centre (a gate that fell back to it while the hub was down). The
hub re-emits those changes, cards' too, into its own feed, so its gates and tills learn them as
they would from the centre; devices are the hub's alone. A passage that came from the centre is
marked forwarded at once (status `upstream`): it is never sent back, nor is its annulment.

A hub starts from an empty database and reads the central feed from its start.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import cast

import msgspec
from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from admission.contract import ChangeKind, HubChangesPage, HubScan, HubTicket, KeyData
from admission.db.models import (
    Change,
    Device,
    HubForwarded,
    HubUpstream,
    IssuerKey,
    Scan,
    Template,
    Ticket,
    Venue,
)
from admission.services import feed
from admission.services.hub.catalogue_mirror import apply_catalogue
from admission.services.unit_of_work import after_commit

log = logging.getLogger(__name__)

# What the hub re-emits into its own feed, as the gates' feed carries it ("device" is hub-only).
FOLLOWED_KINDS: frozenset[str] = frozenset(
    {"venue", "template", "event", "gate", "notice", "card", "key", "ticket", "passage"}
)


async def upstream_cursor(session: AsyncSession, url: str) -> int:
    """How far the hub has read the central feed: from its start, the first time."""
    row = await session.get(HubUpstream, 1)
    if row is None:
        row = HubUpstream(id=1, url=url, cursor=0)
        session.add(row)
        await session.flush()
    return row.cursor


async def holds_a_venue_of_its_own(session: AsyncSession) -> bool:
    """A database set up as a venue (`admission init`, a copy) that never followed a centre: a
    hub made on it would mix two venues' rows, so a hub starts from an empty database."""
    if await session.get(HubUpstream, 1) is not None:
        return False
    return bool(await session.scalar(select(func.count()).select_from(Change))) or (
        await session.get(Venue, 1) is not None
    )


async def mark_caught_up(session: AsyncSession) -> None:
    await session.execute(
        update(HubUpstream).where(HubUpstream.id == 1).values(caught_up_at=datetime.now(UTC))
    )


async def has_caught_up(session: AsyncSession) -> bool:
    """Whether the hub has once read the central feed to its end (it may then serve its gates
    while the centre is out of reach)."""
    row = await session.get(HubUpstream, 1)
    return row is not None and row.caught_up_at is not None


async def apply_page(session: AsyncSession, page: HubChangesPage) -> int:
    """Apply one page and move the cursor; returns the changes taken."""
    applied = await apply_catalogue(session, page.catalogue)
    keys = [msgspec.json.decode(c.data, type=KeyData) for c in page.changes if c.kind == "key"]
    await _apply_keys(session, keys)
    if applied.tokens_changed or keys:  # the hub's workers reread tokens and keys after the commit
        after_commit(session, "tokens_revoked")
    taken_tickets = await _apply_tickets(session, page.tickets)
    await _apply_scans(session, page.scans)
    taken = [
        (cast(ChangeKind, c.kind), c.key, c.data)
        for c in page.changes
        if c.kind in FOLLOWED_KINDS and (c.kind != "ticket" or c.key in taken_tickets)
    ]
    await feed.emit_many(session, taken)
    await session.execute(update(HubUpstream).where(HubUpstream.id == 1).values(cursor=page.cursor))
    return len(taken)


async def _device_ids(session: AsyncSession, names: set[str]) -> dict[str, int]:
    if not names:
        return {}
    rows = await session.execute(select(Device.name, Device.id).where(Device.name.in_(names)))
    return {name: device_id for name, device_id in rows}


async def _apply_keys(session: AsyncSession, keys: list[KeyData]) -> None:
    devices = await _device_ids(session, {k.device for k in keys if k.device})
    for data in keys:
        row = await session.get(IssuerKey, data.key_id)
        if row is None:
            row = IssuerKey(key_id=data.key_id, created_at=datetime.now(UTC))
            session.add(row)
        row.public_key = data.public_key
        row.device_id = devices.get(data.device) if data.device else None
        row.revoked_at = data.revoked_at or (row.revoked_at if data.revoked else None)
        row.not_before, row.not_after = data.not_before, data.not_after
    await session.flush()


async def _apply_tickets(session: AsyncSession, tickets: list[HubTicket]) -> set[str]:
    """Upsert the tickets the hub can hold; returns the serials taken. Its template and key came
    earlier in the feed; one the hub does not hold (a centre of an older release, whose pages
    brought no catalogue) is left to the gates' signed-code checks."""
    if not tickets:
        return set()
    templates = set((await session.scalars(select(Template.id))).all())
    known_keys = set((await session.scalars(select(IssuerKey.key_id))).all())
    serials = [int(t.serial) for t in tickets]
    existing = {
        t.serial: t for t in (await session.scalars(select(Ticket).where(Ticket.serial.in_(serials)))).all()
    }
    taken: set[str] = set()
    for data in tickets:
        if data.template_id not in templates or data.key_id not in known_keys:
            log.warning("ticket %s: its template or key is not at this hub yet", data.serial)
            continue
        row = existing.get(int(data.serial))
        if row is None:
            row = Ticket(serial=int(data.serial), issued_at=data.issued_at)
            session.add(row)
        row.number, row.number_hash, row.code, row.key_id = (
            data.number,
            data.number_hash,
            data.code,
            data.key_id,
        )
        row.template_id, row.event_id = data.template_id, data.event_id
        row.valid_from, row.valid_until = data.valid_from, data.valid_until
        row.status, row.void_reason, row.voided_at = data.status, data.void_reason, data.voided_at
        row.replaced_by = None if data.replaced_by is None else int(data.replaced_by)
        row.reissued_from = None if data.reissued_from is None else int(data.reissued_from)
        row.entries_carried = data.entries_carried
        row.payment_state, row.attributes = data.payment_state, data.attributes
        # The first use the hub saw itself may be earlier than what the centre knows yet.
        uses = [at for at in (row.first_used_at, data.first_used_at) if at is not None]
        row.first_used_at = min(uses) if uses else None
        taken.add(data.serial)
    await session.flush()
    return taken


async def _apply_scans(session: AsyncSession, scans: list[HubScan]) -> None:
    if not scans:
        return
    devices = await _device_ids(session, {s.device for s in scans if s.device})
    now = datetime.now(UTC)
    for data in scans:
        device_id = devices.get(data.device) if data.device else None
        # A device's nonces are scoped by its id here as at the centre; one the hub does not know
        # (a centre of an older release names devices the hub never heard of) keeps the
        # service's own scope.
        scope = device_id if data.nonce_scope != 0 and device_id is not None else 0
        row = await session.scalar(select(Scan).where(Scan.nonce_scope == scope, Scan.nonce == data.nonce))
        if row is None:
            row = Scan(
                nonce_scope=scope,
                nonce=data.nonce,
                code=data.code,
                ticket_serial=None if data.ticket_serial is None else int(data.ticket_serial),
                device_id=device_id,
                gate=data.gate,
                zone=data.zone,
                from_zone=data.from_zone,
                direction=data.direction,
                verdict=data.verdict,
                reason=data.reason,
                message=data.message,
                source=data.source,
                scanned_at=data.scanned_at,
                received_at=data.received_at,
                conflict=data.conflict,
                annulled_at=data.annulled_at,
                answer=data.answer,
            )
            session.add(row)
            await session.flush()
        elif data.annulled_at is not None and row.annulled_at is None:
            row.annulled_at = data.annulled_at
        marker = await session.get(HubForwarded, row.id)
        if marker is None:  # the centre has it: never send it back
            marker = HubForwarded(scan_id=row.id, forwarded_at=now, status="upstream", detail=None)
            session.add(marker)
        if data.annulled_at is not None and marker.annul_status is None:  # annulled there: not owed
            marker.annul_status, marker.annulled_upstream_at = "upstream", now
    await session.flush()
