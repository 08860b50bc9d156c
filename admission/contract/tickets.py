"""Issuing, looking up, voiding and reissuing tickets."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import msgspec

from admission.contract.common import Id
from admission.contract.feed import PaymentState, TicketStatus

MAX_ISSUE = 10_000


# A ticket's attributes, read by custom rules: a few short names and values (age_group = child).
AttributeName = Annotated[str, msgspec.Meta(pattern=r"^[a-z][a-z0-9_]{0,39}$")]
AttributeValue = Annotated[str, msgspec.Meta(min_length=1, max_length=100, pattern=r"^[^\x00-\x1f\x7f]+$")]
Attributes = Annotated[dict[AttributeName, AttributeValue], msgspec.Meta(max_length=10)]


class IssueRequest(msgspec.Struct, kw_only=True):
    template_id: Id
    event_id: Id | None = None
    count: Annotated[int, msgspec.Meta(ge=1, le=MAX_ISSUE)] = 1
    # "pending": issued unpaid (pay later, invoice); refused at the gates until marked paid,
    # unless the template admits pending tickets.
    payment_state: PaymentState = "paid"
    attributes: Attributes = {}  # set on every ticket of this issue


class TicketOut(msgspec.Struct, kw_only=True):
    serial: str
    number: str | None
    code: str
    template_id: int
    event_id: int | None
    valid_from: datetime | None
    valid_until: datetime | None
    status: TicketStatus
    issued_at: datetime
    payment_state: PaymentState = "paid"
    paid_at: datetime | None = None  # when a ticket issued unpaid was marked paid
    attributes: dict[str, str] = {}


class PassageOut(msgspec.Struct, kw_only=True):
    nonce: str
    gate: str
    zone: str
    direction: str
    verdict: str
    reason: str
    message: str
    source: str
    scanned_at: datetime
    received_at: datetime
    conflict: bool
    annulled: bool


class TicketDetail(TicketOut, kw_only=True):
    template: str
    void_reason: str | None
    replaced_by: str | None
    reissued_from: str | None
    entries_carried: int
    entries_left: int | None
    passages: list[PassageOut]


class VoidRequest(msgspec.Struct, kw_only=True):
    reason: Annotated[str, msgspec.Meta(min_length=1, max_length=200)] = "refunded"

