"""The central service's side of a hub following it: a page of the feed with the full rows behind
its ticket and passage changes, and the catalogue rows behind the rest (catalogue_pages.py;
contract/hub.py), read in the same transaction as the page."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from admission.contract import HubChangesPage, HubScan, HubTicket
from admission.db.models import Device, Scan, Ticket
from admission.services import feed
from admission.services.hub.catalogue_pages import catalogue_rows


def _serial(value: int | None) -> str | None:
    return None if value is None else str(value)


async def hub_page(session: AsyncSession, since: int, limit: int) -> HubChangesPage:
    page = await feed.read_page(session, since, limit, for_hub=True)
    serials = {int(c.key) for c in page.changes if c.kind == "ticket"}
    nonces = {c.key for c in page.changes if c.kind == "passage"}
    tickets = (
        (await session.scalars(select(Ticket).where(Ticket.serial.in_(serials)))).all() if serials else []
    )
    scans = (
        (
            await session.execute(
                select(Scan, Device.name)
                .outerjoin(Device, Device.id == Scan.device_id)
                .where(Scan.nonce.in_(nonces))
            )
        ).all()
        if nonces
        else []
    )
    return HubChangesPage(
        cursor=page.cursor,
        more=page.more,
        changes=page.changes,
        tickets=[
            HubTicket(
                serial=str(t.serial),
                number=t.number,
                number_hash=t.number_hash,
                code=t.code,
                key_id=t.key_id,
                template_id=t.template_id,
                event_id=t.event_id,
                issued_at=t.issued_at,
                valid_from=t.valid_from,
                valid_until=t.valid_until,
                status=t.status,
                void_reason=t.void_reason,
                voided_at=t.voided_at,
                replaced_by=_serial(t.replaced_by),
                reissued_from=_serial(t.reissued_from),
                entries_carried=t.entries_carried,
                first_used_at=t.first_used_at,
                payment_state=t.payment_state,
                attributes=t.attributes,
            )
            for t in tickets
        ],
        catalogue=await catalogue_rows(session, page.changes, first=since == 0),
        scans=[
            HubScan(
                nonce_scope=s.nonce_scope,
                nonce=s.nonce,
                device=device,
                code=s.code,
                ticket_serial=_serial(s.ticket_serial),
                gate=s.gate,
                zone=s.zone,
                from_zone=s.from_zone,
                direction=s.direction,
                verdict=s.verdict,
                reason=s.reason,
                message=s.message,
                source=s.source,
                scanned_at=s.scanned_at,
                received_at=s.received_at,
                conflict=s.conflict,
                annulled_at=s.annulled_at,
                answer=s.answer,
            )
            for s, device in scans
        ],
    )
