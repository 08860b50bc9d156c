"""A till's sale nonces: each is its device's own, spent once, on a sale or on its cancellation.

A till that got no answer to an online sale cannot tell whether the request died on the way or
is still coming (a slow link, a proxy holding it). `cancel_by_nonce` settles that for good in one
transaction: it finds the sale the nonce recorded, or records that the attempt is cancelled, so
that the request, should it arrive later, is refused and records nothing.

A sale and a cancellation both claim the nonce in `sale_nonces`, under one primary key (device,
nonce). Of two racing for it exactly one inserts its claim; the other's insert fails (on
PostgreSQL it waits for the first to commit), and the unit of work runs it again, when it finds
the winner's claim and answers accordingly.
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy.ext.asyncio import AsyncSession

from admission.contract import SaleCancelOut
from admission.db.models import Sale, SaleNonce
from admission.domain.errors import ConflictError
from admission.services.devices import Principal
from admission.services.sales.lookup import get_sale, sale_out


async def claim_of(session: AsyncSession, device_id: int, nonce: str) -> SaleNonce | None:
    return await session.get(SaleNonce, (device_id, nonce))


async def claim_for_sale(session: AsyncSession, device_id: int, nonce: str) -> SaleNonce:
    """The nonce claimed for a sale about to be recorded (its `sale_id` is set once it is)."""
    claim = SaleNonce(device_id=device_id, nonce=nonce)
    session.add(claim)
    await session.flush()  # now: a racing cancellation or re-send waits here, or we fail here
    return claim


async def claimed_sale(session: AsyncSession, claim: SaleNonce, digest: str) -> Sale:
    """The sale a repeated nonce recorded, if the request is the one recorded; otherwise a 409."""
    if claim.sale_id is None:
        assert claim.cancelled_at is not None  # a claim without either never commits
        raise ConflictError(
            f"sale {claim.nonce} was cancelled by its till at {claim.cancelled_at:%Y-%m-%d %H:%M:%S} UTC "
            "(it had no answer): nothing was sold and no tickets were issued; a new sale needs a new nonce"
        )
    sale = await get_sale(session, claim.sale_id)
    if sale.request_digest is not None and sale.request_digest != digest:
        raise ConflictError(
            f"this device used nonce {claim.nonce} for another sale already (sale {sale.id}): "
            "a new sale needs a new nonce"
        )
    return sale


async def cancel_by_nonce(session: AsyncSession, who: Principal, nonce: str) -> SaleCancelOut:
    """The calling device's sale with this nonce, or, if there is none, its cancellation for good."""
    claim = await claim_of(session, who.device_id, nonce)
    if claim is None:
        claim = SaleNonce(device_id=who.device_id, nonce=nonce, cancelled_at=datetime.now(UTC))
        session.add(claim)
        await session.flush()
    if claim.sale_id is not None:
        sale = await get_sale(session, claim.sale_id)
        return SaleCancelOut(nonce=nonce, sale=await sale_out(session, sale))
    return SaleCancelOut(nonce=nonce, cancelled_at=claim.cancelled_at)
