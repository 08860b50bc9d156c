"""Tickets the till signs itself while offline, with its own Ed25519 key.

Every gate learned the key's public half from the change feed when the till was enrolled, so
gates admit these tickets at once, online or not. They carry no ticket number: the signed code
(QR) is the ticket. Each code says when it was issued (to the minute): gates admit it if that lies
within the key's certificate and before any revocation of the key (certificate.py).
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from admission.contract import TemplateData
from admission.domain.codes import SignedTicket, new_serial, sign_ticket, to_code_precision
from admission.domain.templates import stamp_validity
from scanner_client.till.printing import IssuedTicket


class OfflineSigner:
    def __init__(self, key: Ed25519PrivateKey, key_id: int) -> None:
        self.key = key
        self.key_id = key_id

    def sign(
        self, template: TemplateData, sold_at: datetime, tz: ZoneInfo, event_id: int | None = None
    ) -> IssuedTicket:
        """A ticket of `template` (for `event_id`, sold on the till's lease of that event)."""
        valid_from, valid_until = stamp_validity(template.rules(), sold_at, tz)
        issued_at = to_code_precision(sold_at)
        if event_id is not None:  # an event ticket's code keeps its issue time where valid_from goes
            valid_from = issued_at
        signed = SignedTicket(
            key_id=self.key_id,
            serial=new_serial(),
            template_id=template.id,
            event_id=event_id,
            valid_from=valid_from,
            valid_until=valid_until,
            issued_at=issued_at,
        )
        return IssuedTicket(
            serial=str(signed.serial),
            number=None,
            code=sign_ticket(signed, self.key),
            template_id=template.id,
            event_id=event_id,
            # the code keeps minutes: print exactly what the gates will read
            valid_from=_minute(valid_from),
            valid_until=_minute(valid_until),
        )


def _minute(moment: datetime | None) -> datetime | None:
    return None if moment is None else moment.replace(second=0, microsecond=0)
