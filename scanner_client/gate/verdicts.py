"""Local verdicts: the same pure rules as the service, fed from the gate's own store.

From the scanned string to a Decision: normalise and classify the code, find the ticket's facts
(by number in the synced snapshot, or by verifying the signed code with the synced issuer keys,
which also admits tickets sold after the last sync), collect its admitted passages (from the
feed and from this device's own unsynced log) and ask `decide`. Anything that is not a ticket
code (garbage, binary noise, overlong input) is a REJECT `invalid`, never an exception.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

import msgspec
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from admission.domain.codes import MAX_SCAN_LENGTH, CodeError, SignedTicket, classify_scan, verify_signed_code
from admission.domain.model import Decision, Direction, GateInfo, TicketFacts
from admission.domain.rules import decide, reject_invalid
from admission.i18n import _
from scanner_client.core.snapshot import StoredTicket
from scanner_client.gate.store import GateStore

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Judgement:
    decision: Decision
    ticket_serial: int | None = None
    template_name: str | None = None


class LocalJudge:
    """Decides scans from the local store. Cheap to call: caches the few reference rows."""

    def __init__(self, store: GateStore) -> None:
        self.store = store
        self._generation = -1
        self._keys: dict[int, Ed25519PublicKey] = {}
        self._tz = ZoneInfo("UTC")

    @property
    def tz(self) -> ZoneInfo:
        self._refresh()
        return self._tz

    def _refresh(self) -> None:
        if self._generation == self.store.generation:
            return
        keys: dict[int, Ed25519PublicKey] = {}
        for key in self.store.issuer_keys():
            if key.revoked:  # codes signed with a revoked key (e.g. a stolen till) are not accepted
                continue
            try:
                keys[key.key_id] = Ed25519PublicKey.from_public_bytes(bytes.fromhex(key.public_key))
            except ValueError:
                log.warning("issuer key %s in the feed is malformed; ignored", key.key_id)
        self._keys = keys
        self._tz = self.store.timezone()
        self._generation = self.store.generation

    def judge(self, raw: str, gate: GateInfo, direction: Direction, at: datetime) -> Judgement:
        try:
            return self._judge(raw, gate, direction, at)
        except CodeError as exc:
            return Judgement(reject_invalid(_("Not a valid ticket: {why}").format(why=exc)))
        except Exception:  # a verdict must always come back; a bug here must not stop the gate
            log.exception("local verdict failed for a scan")
            return Judgement(reject_invalid(_("Not a valid ticket: could not be read")))

    def _judge(self, raw: str, gate: GateInfo, direction: Direction, at: datetime) -> Judgement:
        self._refresh()
        if len(raw) > MAX_SCAN_LENGTH:
            raise CodeError(_("input is far too long to be a ticket code"))
        scanned = classify_scan(raw)
        if scanned.kind == "number":
            stored = self.store.ticket_by_number(scanned.value)
            if stored is None:
                return Judgement(reject_invalid(_("Unknown ticket number")))
            facts = self._facts(stored)
        else:
            signed = verify_signed_code(scanned.value, self._keys)
            stored = self.store.ticket_by_serial(signed.serial)
            # A ticket sold after the last sync is not in the snapshot: its signature vouches for it.
            facts = self._facts(stored if stored is not None else signed)
        if facts is None:
            return Judgement(reject_invalid(_("Ticket type unknown at this gate: sync needed")))
        passages = self.store.admitted_passages(facts.serial)
        decision = decide(facts, passages, gate, direction, at, self._tz)
        return Judgement(decision, ticket_serial=facts.serial, template_name=facts.template.name)

    def _facts(self, ticket: StoredTicket | SignedTicket) -> TicketFacts | None:
        """The facts the rules need: from the snapshot's row, or from a signed code alone when the
        ticket was sold after the last sync (its signature vouches for it, and nothing is used yet).
        None when its template or event is not known here."""
        template = self.store.templates().get(ticket.template_id)
        event = None if ticket.event_id is None else self.store.events().get(ticket.event_id)
        if template is None or (event is None and ticket.event_id is not None):
            return None
        facts = TicketFacts(
            serial=ticket.serial,
            template=template.rules(),
            event=event.window() if event else None,
            valid_from=ticket.valid_from,
            valid_until=ticket.valid_until,
        )
        if isinstance(ticket, SignedTicket):
            return facts
        return msgspec.structs.replace(
            facts,
            void=ticket.void,
            void_reason=ticket.void_reason,
            entries_carried=ticket.entries_carried,
            first_used_at=ticket.first_used_at,
        )
