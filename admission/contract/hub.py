"""What a venue hub reads from the central service beyond the gates' feed (docs/hub.md): for each
page of the feed, the full rows behind its ticket and passage changes, which the gates' feed
leaves out (a ticket's number, code and key; a passage's device and scope), the catalogue rows
behind its venue, template, event, gate and notice changes, and the devices with their token
hashes (only a `hub` token reads this page); and how a hub forwards a late annulment."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

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
    # Added later: defaults, so a centre of the release before still reads.
    payment_state: str = "paid"
    attributes: dict[str, Any] | None = None


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


# A catalogue row as the central database holds it: column name to value (times as ISO 8601).
HubRow = dict[str, Any]


class HubCatalogue(msgspec.Struct, kw_only=True):
    """The catalogue rows behind a page: the venue (always: its settings change without a feed
    change of their own), and the templates, events (with the templates sold for them), gates,
    notices and devices (with every token's hash and revocation) the page's changes name. Ids
    are the centre's: a hub keeps them, so the changes it re-emits name the same rows."""

    venue: HubRow | None = None
    templates: list[HubRow] = []
    events: list[HubRow] = []
    event_templates: list[HubRow] = []
    gates: list[HubRow] = []
    devices: list[HubRow] = []
    tokens: list[HubRow] = []
    notices: list[HubRow] = []


class DeviceChange(msgspec.Struct, kw_only=True):
    """A hub-only feed change (kind "device"): the device made, given a token or revoked."""

    id: int
    name: str


class HubChangesPage(msgspec.Struct, kw_only=True):
    cursor: int
    more: bool
    changes: list[Change]
    tickets: list[HubTicket]
    scans: list[HubScan]
    catalogue: HubCatalogue = msgspec.field(default_factory=HubCatalogue)


HubNonce = Annotated[str, msgspec.Meta(min_length=1, max_length=100)]


class HubAnnulRequest(msgspec.Struct, kw_only=True):
    """A hub forwarding annulments made at it, in a gate's name (as with its batches): each
    passage is annulled at the centre as if the gate asked there now, window included."""

    device: Annotated[str, msgspec.Meta(min_length=1, max_length=100)]
    nonces: Annotated[list[HubNonce], msgspec.Meta(min_length=1, max_length=500)]


# annulled: now annulled at the centre; duplicate: it was already; refused: see `detail`.
HubAnnulStatus = Literal["annulled", "duplicate", "refused"]


class HubAnnulResult(msgspec.Struct, kw_only=True):
    nonce: str
    status: HubAnnulStatus
    detail: str | None = None


class HubAnnulResponse(msgspec.Struct, kw_only=True):
    results: list[HubAnnulResult]
