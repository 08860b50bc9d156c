"""Gift and stored-value cards at the till: look a card up, sell one, load it, pay it out,
move a lost card's balance to a new card. Each operation is the service's (the card's ledger
is central, under its row lock), so each needs the server; a retry after a lost answer is safe:
every request carries a nonce of this till, and the service answers a repeated one with what it
did the first time. Paying a sale from a card goes with the sale itself (`Till.sell`)."""

from __future__ import annotations

from urllib.parse import quote

import msgspec

from admission.contract import (
    CardEntryResult,
    CardIssueIn,
    CardMoveIn,
    CardOut,
    CardTransferIn,
    CardTypeOut,
    VoucherIn,
    VoucherResult,
    VouchersIn,
    VouchersResult,
)
from admission.domain.card_codes import classify_card
from admission.domain.codes import CodeError
from admission.i18n import _
from scanner_client.core.remote import ServerRefused, ServerUnavailable, problem_text
from scanner_client.till.till import Till


class CardProblem(Exception):
    """Why a card operation did not happen, in the seller's words."""


def card_ref(raw: str) -> str | None:
    """The card a scan or typed number names (its code or number), None when it names no card."""
    try:
        found = classify_card(raw)
    except CodeError as exc:
        raise CardProblem(str(exc)) from None
    return found.value if found else None


class CardDesk:
    """The card operations of one till."""

    def __init__(self, till: Till) -> None:
        self.till = till

    async def _call(
        self, method: str, path: str, body: object, kind: type[msgspec.Struct] | type[list[CardTypeOut]]
    ) -> object:
        remote = self.till.remote
        if remote is None or not self.till.online:
            raise CardProblem(_("Cards need the server: the till is offline."))
        try:
            response = await remote._request(method, f"/cards{path}", body=body)
            return remote._decode(response, kind)
        except ServerUnavailable as exc:
            self.till.go_offline(str(exc))
            raise CardProblem(_("No answer from the server: {error}").format(error=exc)) from exc
        except ServerRefused as exc:
            raise CardProblem(problem_text(exc)) from exc

    def nonce(self) -> str:
        return self.till.store.new_nonce(self.till.device)

    async def types(self) -> list[CardTypeOut]:
        found = await self._call("GET", "/types", None, list[CardTypeOut])
        assert isinstance(found, list)
        return found

    async def show(self, ref: str) -> CardOut:
        card = await self._call("GET", f"/{quote(ref, safe='')}", None, CardOut)
        assert isinstance(card, CardOut)
        return card

    async def sell(self, card_type: str, amount_cents: int, tender: str = "cash") -> CardEntryResult:
        body = CardIssueIn(nonce=self.nonce(), card_type=card_type, amount_cents=amount_cents, tender=tender)
        return await self._entry("POST", "", body)

    async def load(self, ref: str, amount_cents: int, tender: str = "cash") -> CardEntryResult:
        body = CardMoveIn(nonce=self.nonce(), amount_cents=amount_cents, tender=tender)
        return await self._entry("POST", f"/{quote(ref, safe='')}/load", body)

    async def unload(self, ref: str, amount_cents: int, pin: str | None = None) -> CardEntryResult:
        body = CardMoveIn(nonce=self.nonce(), amount_cents=amount_cents, tender="cash", pin=pin)
        return await self._entry("POST", f"/{quote(ref, safe='')}/unload", body)

    async def replace_lost(self, lost: str) -> CardEntryResult:
        """A new card of the lost card's type, then the lost card's balance moved onto it (the
        lost card is blocked). Answers the new card."""
        old = await self.show(lost)
        new = await self.sell(old.card_type, 0, tender="none")
        body = CardTransferIn(nonce=self.nonce(), to_card=new.card.number)
        return await self._entry("POST", f"/{quote(lost, safe='')}/transfer", body)

    async def register_voucher(self, voucher: VoucherIn) -> VoucherResult:
        """A hand-written voucher registered as the card payment it was. Its number is its nonce
        at the venue, so a retry after a lost answer is answered `duplicate`, never counted twice."""
        answer = await self._call("POST", "/vouchers", VouchersIn(vouchers=[voucher]), VouchersResult)
        assert isinstance(answer, VouchersResult)
        return answer.results[0]

    async def _entry(self, method: str, path: str, body: object) -> CardEntryResult:
        result = await self._call(method, path, body, CardEntryResult)
        assert isinstance(result, CardEntryResult)
        return result
