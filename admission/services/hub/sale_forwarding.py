"""A venue hub's tills' sales: recorded at the hub, forwarded to the central service exactly once.

A hub signs nothing (it holds the central service's public keys only), so a till selling through
it signs the tickets with its own key, as offline, and posts the sale to the hub at once. The hub
records it through the one till-signed path (`sales.record_sale`, offline: every code verified
with the till's own keys, which the hub follows on the central feed) in one transaction with a
`hub_sales` row holding the till's request, emits the tickets on its feed, so every gate and till
behind it knows them within a second, and acknowledges it.

The link sends each owed sale to the central service (`POST /api/v1/hub/sales`) in the till's
name and under the till's nonce, oldest first: the central service records it once, whether the
hub sends it again or the till also uploaded it itself. The answer is written to the row only
after the central service gave it, so a hub that stops in between sends the sale again and gets
a replay. A sale the central service refuses is kept with its reason for a manager
(`admission hub sales`) and not sent again.
"""

from __future__ import annotations

import asyncio
import logging
from collections import Counter
from datetime import UTC, datetime

import msgspec
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from admission.contract import SaleIn, SaleOut
from admission.contract.hub_sales import HubSaleIn
from admission.db.engine import Database
from admission.db.models import HubSale
from admission.domain.errors import ConflictError, InvalidRequestError
from admission.domain.model import TemplateKind
from admission.services.devices import Principal
from admission.services.hub.upstream import Upstream, UpstreamRefused, UpstreamUnavailable
from admission.services.keys import KeyRing
from admission.services.sales import record_sale
from admission.services.sales.lines import priced_lines

log = logging.getLogger(__name__)

MAX_BACKOFF = 10.0
# The central service refused the hub itself, not the sale: its token (401), or a limit (408, 429).
NOT_THE_SALES_FAULT = frozenset({401, 408, 429})


class OnlineSaleAtHub(ConflictError):
    """A till asked the hub to issue tickets: only the central service signs them."""

    code = "hub_sells_till_signed"


async def record_at_hub(
    session: AsyncSession, ring: KeyRing, who: Principal, data: SaleIn
) -> tuple[SaleOut, bool]:
    """A till's sale at the hub: recorded and owed upstream in one transaction; a re-sent nonce
    replays the first answer, as at the central service."""
    if not data.offline:
        raise OnlineSaleAtHub(
            "this is a venue hub: it signs no tickets; sign them at the till and send the sale "
            "with offline set (the hub forwards it to the central service)"
        )
    await _refuse_event_tickets(session, data)
    sale, created = await record_sale(session, ring, who, data)
    if created:
        session.add(
            HubSale(
                sale_id=sale.id,
                device=who.device_name,
                request=msgspec.json.encode(data).decode(),
                recorded_at=datetime.now(UTC),
            )
        )
    return sale, created


async def _refuse_event_tickets(session: AsyncSession, data: SaleIn) -> None:
    """Event seats need the central capacity check or a lease the hub holds, and the hub does not
    follow leases yet: a till's event ticket is refused here, its fallback entry ticket sold."""
    for number, line in enumerate(await priced_lines(session, data), 1):
        if line.template.kind != TemplateKind.ENTRY or line.event is not None:
            raise InvalidRequestError(
                f"line {number}: {line.template.name!r} is an event ticket; a venue hub sells no "
                "event tickets (sell its fallback entry template)"
            )


class OwedSale(msgspec.Struct, frozen=True, kw_only=True):
    sale_id: int
    forwarded: HubSaleIn


async def owed_sales(session: AsyncSession, limit: int) -> list[OwedSale]:
    rows = await session.scalars(
        select(HubSale).where(HubSale.forwarded_at.is_(None)).order_by(HubSale.sale_id).limit(limit)
    )
    return [
        OwedSale(
            sale_id=row.sale_id,
            forwarded=HubSaleIn(device=row.device, sale=msgspec.json.decode(row.request, type=SaleIn)),
        )
        for row in rows
    ]


async def record_answer(session: AsyncSession, sale_id: int, status: str, detail: str | None) -> None:
    await session.execute(
        update(HubSale)
        .where(HubSale.sale_id == sale_id, HubSale.forwarded_at.is_(None))
        .values(
            forwarded_at=datetime.now(UTC), status=status, detail=None if detail is None else detail[:300]
        )
    )


class HubSaleRow(msgspec.Struct, kw_only=True):
    sale_id: int
    device: str
    nonce: str
    recorded_at: datetime
    forwarded_at: datetime | None
    status: str | None  # None: owed
    detail: str | None


async def hub_sales(session: AsyncSession, *, refused_only: bool = False) -> list[HubSaleRow]:
    """The sales the hub took from its tills, newest first, with the central service's answer."""
    query = select(HubSale).order_by(HubSale.sale_id.desc())
    if refused_only:
        query = query.where(HubSale.status == "refused")
    return [
        HubSaleRow(
            sale_id=row.sale_id,
            device=row.device,
            nonce=msgspec.json.decode(row.request, type=SaleIn).nonce,
            recorded_at=row.recorded_at,
            forwarded_at=row.forwarded_at,
            status=row.status,
            detail=row.detail,
        )
        for row in await session.scalars(query)
    ]


class SaleForwarder:
    """Sends the hub's owed sales upstream, round after round, until stopped."""

    def __init__(
        self, db: Database, upstream: Upstream, *, batch_size: int = 100, interval: float = 1.0
    ) -> None:
        self.db = db
        self.upstream = upstream
        self.batch_size = batch_size
        self.interval = interval

    async def forward_once(self) -> Counter[str]:
        """Send every owed sale and record each answer; raises when the central service is down
        or refuses the hub itself (the sales stay owed)."""
        done = Counter[str]()
        while True:
            async with self.db.read_session() as session:
                owed = await owed_sales(session, self.batch_size)
            if not owed:
                return done
            for sale in owed:
                detail: str | None = None
                try:
                    _, created = await self.upstream.forward_sale(sale.forwarded)
                except UpstreamRefused as exc:
                    if exc.status in NOT_THE_SALES_FAULT:
                        raise
                    status, detail = "refused", exc.detail
                    log.error(
                        "the central service refused sale %s of %s: %s",
                        sale.forwarded.sale.nonce,
                        sale.forwarded.device,
                        exc.detail,
                    )
                else:
                    status = "registered" if created else "duplicate"
                async with self.db.session() as session:
                    await record_answer(session, sale.sale_id, status, detail)
                done[status] += 1

    async def run(self) -> None:
        """Forward until cancelled; a failing link backs off (1 s doubling to 10 s)."""
        backoff = self.interval
        while True:
            try:
                done = await self.forward_once()
            except (UpstreamUnavailable, UpstreamRefused) as exc:
                log.warning("cannot forward sales to the central service: %s", exc)
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, MAX_BACKOFF)
                continue
            if done:
                log.info("forwarded %s sales upstream: %s", sum(done.values()), dict(done))
            backoff = self.interval
            await asyncio.sleep(self.interval)
