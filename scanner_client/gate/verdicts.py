"""Local verdicts: the same pure rules as the service, fed from the gate's own store.

From the scanned string to a Decision: normalise and classify the code, find the ticket's facts
(by number in the synced snapshot, or by verifying the signed code with the synced issuer keys,
which also admits tickets sold after the last sync by a till whose key vouched for them then),
collect its admitted passages (from the feed and from this device's own unsynced log) and ask
`decide`. Anything that is not a ticket code (garbage, binary noise, overlong input) is a REJECT
`invalid`, never an exception.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

import msgspec

from admission.domain.certificates import KeyStanding, verify_code
from admission.domain.codes import MAX_SCAN_LENGTH, CodeError, SignedTicket, classify_scan
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
        self._keys: dict[int, KeyStanding] = {}
        self._tz = ZoneInfo("UTC")

    @property
    def tz(self) -> ZoneInfo:
        self._refresh()
        return self._tz

    def _refresh(self) -> None:
        if self._generation == self.store.generation:
            return
        # A revoked till's key stays: the tickets it sold before its revocation are still admitted.
        self._keys = self.store.key_standings()
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
            # A till's code counts if it was issued within its key's certificate and before the
            # key's revocation, as the feed last told (admission.domain.certificates).
            signed = verify_code(scanned.value, self._keys, at)
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
            paid=ticket.paid,
            attributes=ticket.attributes,
        )
