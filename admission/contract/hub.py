"""What a venue hub reads from the central service beyond the gates' feed (docs/hub.md): for each
page of the feed, the full rows behind its ticket and passage changes, which the gates' feed
leaves out (a ticket's number, code and key; a passage's device and scope)."""

from __future__ import annotations

from datetime import datetime

import msgspec

from admission.contract.feed import Change


class HubTicket(msgspec.Struct, kw_only=True):
    serial: str
    number: str | None
    number_hash: str | None
    code: str
    key_id: int
    template_id: int
    event_id: int | None
    issued_at: datetime
    valid_from: datetime | None
    valid_until: datetime | None
    status: str
    void_reason: str | None
    voided_at: datetime | None
    replaced_by: str | None
    reissued_from: str | None
    entries_carried: int
    first_used_at: datetime | None


class HubScan(msgspec.Struct, kw_only=True):
    nonce_scope: int
    nonce: str
    device: str | None  # the device's name: ids differ between the centre and a hub
    code: str
    ticket_serial: str | None
    gate: str
    zone: str
    from_zone: str | None
    direction: str
    verdict: str
    reason: str
    message: str
    source: str
    scanned_at: datetime
    received_at: datetime
    conflict: bool
    annulled_at: datetime | None
    answer: str


class HubChangesPage(msgspec.Struct, kw_only=True):
    cursor: int
    more: bool
    changes: list[Change]
    tickets: list[HubTicket]
    scans: list[HubScan]
