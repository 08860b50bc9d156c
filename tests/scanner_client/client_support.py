"""Test support for the scanner client: a small venue expressed as change-feed records, written
into a real local store through the same feed-apply path a sync uses (no mocks of the client's logic)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

import msgspec
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from admission.contract import (
    Change,
    EventData,
    GateData,
    KeyData,
    PassageData,
    TemplateData,
    TicketData,
    VenueData,
)
from admission.domain.codes import SignedTicket, new_serial, new_ticket_number, now_utc, sign_ticket
from admission.domain.model import Direction, TemplateKind, ValidityMode
from admission.domain.number_hash import NumberHasher
from scanner_client.core.snapshot import SnapshotStore
from scanner_client.gate.engine import GateEngine
from scanner_client.gate.outcome import ScanOutcome
from scanner_client.gate.settings import Settings, hash_pin

SUPERVISOR_PIN = "2468"
DEVICE = "gate-pc-1"


@dataclass
class IssuedTicket:
    serial: int
    number: str
    code: str
    template_id: int
    event_id: int | None = None


def template(id_: int, name: str, **rules: object) -> TemplateData:
    values: dict[str, object] = {
        "id": id_,
        "name": name,
        "kind": TemplateKind.ENTRY,
        "plu": None,
        "price_cents": 1000,
        "currency": "EUR",
        "validity_mode": ValidityMode.FIXED,
        "valid_from": None,
        "valid_until": None,
        "validity_days": None,
        "allowed_zones": [],
        "allowed_gates": [],
        "max_entries": 1,
        "reentry_allowed": False,
        "fallback_template_id": None,
        "active": True,
        "title": name,
        "description": "",
        "color": "#336699",
    }
    values.update(rules)
    return TemplateData(**values)  # type: ignore[arg-type]


HASHER = NumberHasher.new()  # the test venue's key for ticket numbers


@dataclass
class VenueSnapshot:
    """A venue's reference data and tickets, expressed as change-feed records."""

    timezone: str = "Europe/Berlin"
    key: Ed25519PrivateKey = field(default_factory=Ed25519PrivateKey.generate)
    key_id: int = 7
    changes: list[Change] = field(default_factory=list)
    _seq: int = 0

    SINGLE = 1  # one entry
    TRIPLE = 2  # three entries
    SEASON = 3  # unlimited, re-entry allowed
    CONCERT = 4  # event ticket
    HALL_ONLY = 5  # valid in the hall zone only

    def __post_init__(self) -> None:
        now = now_utc()
        self.event_start = now - timedelta(hours=1)
        self.add(
            "venue", "venue", VenueData(name="Test Venue", timezone=self.timezone, number_hashing=HASHER.spec)
        )
        public = self.key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw).hex()
        self.add(
            "key",
            str(self.key_id),
            KeyData(key_id=self.key_id, public_key=public, device=None, revoked=False),
        )
        for data in (
            template(self.SINGLE, "Day ticket"),
            template(self.TRIPLE, "3-entry card", max_entries=3),
            template(self.SEASON, "Season pass", max_entries=None, reentry_allowed=True),
            template(self.CONCERT, "Concert", kind=TemplateKind.EVENT),
            template(self.HALL_ONLY, "Hall pass", allowed_zones=["hall"]),
        ):
            self.add("template", str(data.id), data)
        self.add(
            "event",
            "1",
            EventData(
                id=1,
                name="Evening concert",
                starts_at=self.event_start,
                ends_at=self.event_start + timedelta(hours=5),
                doors_open_minutes=60,
                capacity=None,
                template_ids=[self.CONCERT],
            ),
        )
        self.add("gate", "Main", GateData(id=1, name="Main", zone="park", from_zone=None, event_id=None))
        self.add("gate", "Hall", GateData(id=2, name="Hall", zone="hall", from_zone="park", event_id=None))

    def add(self, kind: str, key: str, data: msgspec.Struct) -> None:
        self._seq += 1
        self.changes.append(
            Change(seq=self._seq, kind=kind, key=key, data=msgspec.Raw(msgspec.json.encode(data)))  # type: ignore[arg-type]
        )

    @property
    def cursor(self) -> int:
        return self._seq

    def sign(
        self,
        serial: int,
        template_id: int,
        event_id: int | None = None,
        key: Ed25519PrivateKey | None = None,
        key_id: int | None = None,
    ) -> str:
        ticket = SignedTicket(
            key_id=key_id or self.key_id, serial=serial, template_id=template_id, event_id=event_id
        )
        return sign_ticket(ticket, key or self.key)

    def issue(
        self,
        template_id: int,
        event_id: int | None = None,
        *,
        in_snapshot: bool = True,
        status: str = "valid",
        void_reason: str | None = None,
    ) -> IssuedTicket:
        serial = new_serial()
        ticket = IssuedTicket(
            serial, new_ticket_number(), self.sign(serial, template_id, event_id), template_id, event_id
        )
        if in_snapshot:
            self.add("ticket", str(serial), ticket_data(ticket, status=status, void_reason=void_reason))
        return ticket

    def passage(
        self,
        ticket: IssuedTicket,
        nonce: str,
        gate: str = "Main",
        zone: str = "park",
        at: datetime | None = None,
        annulled: bool = False,
    ) -> None:
        self.add(
            "passage",
            nonce,
            PassageData(
                nonce=nonce,
                ticket_serial=str(ticket.serial),
                gate=gate,
                zone=zone,
                from_zone=None,
                direction=Direction.IN,
                scanned_at=at or now_utc(),
                annulled=annulled,
            ),
        )

    def apply(self, store: SnapshotStore) -> None:
        store.apply_changes(self.changes, self.cursor, synced_at=now_utc())


def ticket_data(ticket: IssuedTicket, status: str = "valid", void_reason: str | None = None) -> TicketData:
    return TicketData(
        serial=str(ticket.serial),
        number=None,
        number_hash=HASHER(ticket.number),
        template_id=ticket.template_id,
        event_id=ticket.event_id,
        valid_from=None,
        valid_until=None,
        status=status,
        void_reason=void_reason,  # type: ignore[arg-type]
        entries_carried=0,
        first_used_at=None,
    )


def enrolled_settings(
    gate: str = "Main", server_url: str = "http://127.0.0.1:9", token: str = "t0ken"
) -> Settings:
    return Settings(
        server_url=server_url,
        token=token,
        device=DEVICE,
        gate=gate,
        pin_hash=hash_pin(SUPERVISOR_PIN),
        end_pause_ms=0,
    )


def shown(engine: GateEngine, outcome: ScanOutcome) -> ScanOutcome:
    """The verdict reached the person at the gate, as the app and headless mode report it."""
    engine.mark_shown(outcome.nonce)
    return outcome
