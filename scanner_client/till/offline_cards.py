"""Card payments a till takes while it cannot reach the service, within the manager's caps.

The till knows a card only from the feed (its last balance, whether it is blocked) and from its
own sales not yet acknowledged; it takes a card offline only by its signed code (verified with
the venue's issuer keys: the number alone proves nothing offline), never a card it does not
hold, never a PIN card (tills hold no PIN hashes), and no more than the caps: per payment, and
per card and venue day at this till. The sale then waits in the queue with its card parts and is
registered exactly once by its nonce; what another till took from the same card meanwhile may
overdraw it, which the service keeps and flags as a conflict for a manager.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

import msgspec

from admission.contract import CardData, CardSettings, StoredValuePart
from admission.domain import cards as rules
from admission.domain.card_codes import classify_card, verify_card_code
from admission.domain.cards import CardStanding, OfflineCaps
from admission.domain.codes import CodeError
from admission.domain.errors import DomainError
from admission.i18n import _
from scanner_client.till.sale import SaleProblem
from scanner_client.till.store import LocalSale, TillStore

CAPS_CONFIG = "card_caps"  # the manager's caps as the till last fetched them
UNSENT = ("queued", "attempting", "unknown")


SIGNED_MODES = ("offline", "hub")  # sales whose card parts the till took on its own


class OfflineCards:
    def __init__(self, store: TillStore) -> None:
        self.store = store

    def caps(self) -> OfflineCaps:
        raw = self.store.get_config(CAPS_CONFIG)
        try:
            return msgspec.json.decode(raw, type=CardSettings).offline if raw else OfflineCaps()
        except msgspec.DecodeError:
            return OfflineCaps()

    def serial_of(self, ref: str) -> int:
        """The serial a card's signed code states, verified with the venue's own issuer keys."""
        try:
            found = classify_card(ref)
            if found is None or found.kind != "code":
                raise SaleProblem(_("Offline, a card is taken by its code only: scan the card."))
            keys = {
                k: s.public
                for k, s in self.store.key_standings().items()
                if not s.till and s.revoked_at is None
            }
            return verify_card_code(found.value, keys).serial
        except CodeError as exc:
            raise SaleProblem(str(exc)) from None

    def known(self, serial: int) -> CardData | None:
        row = self.store._db.execute("SELECT data FROM cards WHERE serial = ?", (serial,)).fetchone()
        return None if row is None else msgspec.json.decode(row[0], type=CardData)

    def last4(self, ref: str) -> str | None:
        """The printed number's last four digits of a card taken by its code, as the feed gave
        them (never the whole number: the feed does not carry it), for the receipt."""
        data = self.known(self.serial_of(ref))
        return None if data is None else data.last4

    def _parts(self, serial: int, sales: Sequence[LocalSale]) -> int:
        total = 0
        for sale in sales:
            for part in sale.request.stored_value:
                found = classify_card(part.card)
                if found is not None and found.kind == "code" and self._serial_or_none(found.value) == serial:
                    total += part.amount_cents
        return total

    def _serial_or_none(self, code: str) -> int | None:
        try:
            return self.serial_of(code)
        except SaleProblem:
            return None

    def standing(self, ref: str) -> tuple[int, CardStanding | None, bool]:
        """(serial, what this till knows of the card: the feed's balance less its own unsent card
        parts, or None if the feed never gave it the card, whether it has a PIN)."""
        serial = self.serial_of(ref)
        data = self.known(serial)
        if data is None:
            return serial, None, False
        unsent = self._parts(serial, self.store.sales(UNSENT))
        standing = CardStanding(
            status=data.status,
            balance_cents=data.balance_cents - unsent,
            expires_at=data.expires_at,
            currency=data.currency,
        )
        return serial, standing, data.pin

    def check(self, parts: Sequence[StoredValuePart], now: datetime, day_start: datetime) -> None:
        """SaleProblem unless every card part may be taken offline now."""
        caps = self.caps()
        for part in parts:
            serial, standing, pin = self.standing(part.card)
            if pin:
                raise SaleProblem(_("A card with a PIN cannot be taken offline."))
            # Sales through a venue hub took cards by the same offline rules.
            today = [s for s in self.store.sales() if s.mode in SIGNED_MODES and s.created_at >= day_start]
            spent = self._parts(serial, today)
            try:
                rules.check_offline_payment(caps, standing, part.amount_cents, spent, now)
            except DomainError as exc:
                raise SaleProblem(exc.detail) from None
