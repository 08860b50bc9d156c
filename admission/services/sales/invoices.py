"""Pay later by invoice (seed 001 names it among the alternatives to a card): a group's sale, or
its part, written to a customer with a reference and a due date; listed paid or unpaid, marked
paid once the money is in, cancelled with its sale when that is refunded before payment."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from admission.contract import SaleIn
from admission.contract.payments import InvoiceOut, InvoicePaidIn
from admission.db.models import Device, Invoice, Sale
from admission.domain.errors import ConflictError, InvalidRequestError, NotFoundError
from admission.domain.payments import PaymentMethod
from admission.domain.tenders import TenderLine
from admission.services import catalog

STATUSES = ("unpaid", "paid", "cancelled")


def check_invoice_shape(data: SaleIn) -> None:
    """An invoice tender needs its details, once; details need an invoice tender."""
    invoiced = [t for t in data.all_tenders() if t.method is PaymentMethod.INVOICE]
    if len(invoiced) > 1:
        raise InvalidRequestError("a sale takes one invoice: add its parts up")
    if invoiced and data.invoice is None:
        raise InvalidRequestError(
            "an invoice payment needs `invoice`: the customer, a reference and a due date"
        )
    if data.invoice is not None and not invoiced:
        raise InvalidRequestError("`invoice` goes with an invoice tender only")


def add_invoice(session: AsyncSession, sale: Sale, data: SaleIn, lines: Sequence[TenderLine]) -> None:
    """The sale's invoice, for what its invoice tender pays (none without one)."""
    amount = sum(t.amount_cents for t in lines if t.method is PaymentMethod.INVOICE)
    if data.invoice is None or not amount:
        return
    session.add(
        Invoice(
            sale_id=sale.id,
            customer=data.invoice.customer.strip(),
            reference=data.invoice.reference.strip(),
            due_date=data.invoice.due_date,
            amount_cents=amount,
            currency=sale.currency,
            status="unpaid",
        )
    )


async def cancel_with_sale(session: AsyncSession, sale: Sale) -> None:
    """A sale refunded before its invoice was paid: nobody owes it any more."""
    invoice = await session.scalar(select(Invoice).where(Invoice.sale_id == sale.id).with_for_update())
    if invoice is not None and invoice.status == "unpaid":
        invoice.status = "cancelled"


async def list_invoices(session: AsyncSession, status: str | None = None) -> list[InvoiceOut]:
    """Invoices, the oldest due first; `status` one of unpaid, paid, cancelled."""
    if status is not None and status not in STATUSES:
        raise InvalidRequestError(f"status is one of {', '.join(STATUSES)}, not {status!r}")
    tz = ZoneInfo((await catalog.get_venue(session)).timezone)
    seller, payer = aliased(Device), aliased(Device)
    query = (
        select(Invoice, Sale.sold_at, seller.name, payer.name)
        .join(Sale, Sale.id == Invoice.sale_id)
        .outerjoin(seller, seller.id == Sale.device_id)
        .outerjoin(payer, payer.id == Invoice.paid_by)
        .order_by(Invoice.due_date, Invoice.id)
    )
    if status is not None:
        query = query.where(Invoice.status == status)
    today = datetime.now(UTC).astimezone(tz).date()
    rows = (await session.execute(query)).all()
    return [_out(invoice, sold_at, device, paid_by, today, tz) for invoice, sold_at, device, paid_by in rows]


async def mark_paid(
    session: AsyncSession, device_id: int | None, invoice_id: int, data: InvoicePaidIn
) -> InvoiceOut:
    """Mark it paid by `device_id` (None: the manager's command line, which is the service's)."""
    invoice = await session.get(Invoice, invoice_id, with_for_update=True)
    if invoice is None:
        raise NotFoundError(f"invoice {invoice_id} does not exist")
    if invoice.status != "unpaid":
        raise ConflictError(f"invoice {invoice_id} is {invoice.status} already")
    invoice.status, invoice.paid_at, invoice.paid_by = "paid", datetime.now(UTC), device_id
    invoice.note = data.note or invoice.note
    await session.flush()
    return next(i for i in await list_invoices(session) if i.id == invoice_id)


def _out(
    invoice: Invoice, sold_at: datetime, device: str | None, paid_by: str | None, today: date, tz: ZoneInfo
) -> InvoiceOut:
    return InvoiceOut(
        id=invoice.id,
        sale_id=invoice.sale_id,
        device=device,
        customer=invoice.customer,
        reference=invoice.reference,
        due_date=invoice.due_date,
        amount_cents=invoice.amount_cents,
        currency=invoice.currency,
        status=invoice.status,
        overdue=invoice.status == "unpaid" and invoice.due_date < today,
        issued_at=sold_at.astimezone(tz),
        paid_at=invoice.paid_at.astimezone(tz) if invoice.paid_at else None,
        paid_by=paid_by,
        note=invoice.note,
    )
