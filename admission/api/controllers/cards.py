"""Gift and stored-value cards: types, selling, the ledger's movements, blocking, moving a lost
card's balance, the float report. Box offices sell and take payments; admins define types,
caps and corrections; viewers read."""

from __future__ import annotations

from typing import Annotated, Any, Literal, cast

from litestar import Controller, Request, Response, get, post, put
from litestar.params import JSONBody, PathParameter, QueryParameter

from admission.api.auth import allow
from admission.api.dependencies import AuthenticatedRequest, Keys, Uow
from admission.contract import (
    CardAdjustIn,
    CardBlockIn,
    CardEntryResult,
    CardIssueIn,
    CardMoveIn,
    CardOut,
    CardSettings,
    CardTransferIn,
    CardTypeIn,
    CardTypeOut,
    FloatReport,
    VouchersIn,
    VouchersResult,
)
from admission.domain.cards import EntryKind
from admission.services import cards

SELLERS = allow("box_office")
READERS = allow("box_office", "viewer")
CardRef = Annotated[
    str,
    PathParameter(
        min_length=1, max_length=400, pattern=r"^[^\x00]+$", description="card code, number or #id"
    ),
]
Format = Annotated[Literal["json", "csv"] | None, QueryParameter(name="format")]
From = Annotated[str | None, QueryParameter(name="from", description="first day, YYYY-MM-DD, venue time")]
To = Annotated[str | None, QueryParameter(name="to", description="last day, YYYY-MM-DD, venue time")]


class CardController(Controller):
    path = "/api/v1/cards"
    tags = ["cards"]

    @get("/types", guards=[READERS])
    async def types(self, uow: Uow) -> list[CardTypeOut]:
        return await uow.read(cards.list_card_types)

    @post("/types", guards=[allow()], status_code=201)
    async def create_type(self, data: JSONBody[CardTypeIn], uow: Uow) -> CardTypeOut:
        return await uow.write(cards.create_card_type, data)

    @get("/settings", guards=[READERS])
    async def settings(self, uow: Uow) -> CardSettings:
        """The manager's offline caps (per payment, per card per day)."""
        return await uow.read(cards.card_settings)

    @put("/settings", guards=[allow()])
    async def save_settings(self, data: JSONBody[CardSettings], uow: Uow) -> CardSettings:
        return await uow.write(cards.save_card_settings, data)

    @post(guards=[SELLERS], status_code=201)
    async def issue(
        self, data: JSONBody[CardIssueIn], uow: Uow, keys: Keys, request: AuthenticatedRequest
    ) -> CardEntryResult:
        """Sell a new card with its starting value; the same nonce again answers the same card."""
        return await uow.write(cards.issue_card, keys, request.user, data)

    @post("/vouchers", guards=[SELLERS], status_code=200)
    async def vouchers(
        self, data: JSONBody[VouchersIn], uow: Uow, request: AuthenticatedRequest
    ) -> VouchersResult:
        """Hand-written vouchers registered later: each a card payment, answered one by one
        (registered, flagged, duplicate, or refused with its reason); a voucher number counts once."""
        return await uow.write(cards.register_vouchers, request.user, data)

    @get("/{ref:str}", guards=[READERS])
    async def show(self, ref: CardRef, uow: Uow, keys: Keys) -> CardOut:
        """A card with its whole ledger and the balance after each entry."""
        return await uow.read(cards.show_card, keys, ref)

    @post("/{ref:str}/load", guards=[SELLERS], status_code=200)
    async def load(
        self, ref: CardRef, data: JSONBody[CardMoveIn], uow: Uow, keys: Keys, request: AuthenticatedRequest
    ) -> CardEntryResult:
        return await uow.write(cards.move, keys, request.user, ref, EntryKind.LOAD, data)

    @post("/{ref:str}/pay", guards=[SELLERS], status_code=200)
    async def pay(
        self, ref: CardRef, data: JSONBody[CardMoveIn], uow: Uow, keys: Keys, request: AuthenticatedRequest
    ) -> CardEntryResult:
        """Pay from the card: 409 when it holds less; an offline till's payment (`offline`) is
        registered even then, flagged as a conflict with the overdraw."""
        return await uow.write(cards.move, keys, request.user, ref, EntryKind.PAY, data)

    @post("/{ref:str}/refund", guards=[SELLERS], status_code=200)
    async def refund(
        self, ref: CardRef, data: JSONBody[CardMoveIn], uow: Uow, keys: Keys, request: AuthenticatedRequest
    ) -> CardEntryResult:
        return await uow.write(cards.move, keys, request.user, ref, EntryKind.REFUND, data)

    @post("/{ref:str}/unload", guards=[SELLERS], status_code=200)
    async def unload(
        self, ref: CardRef, data: JSONBody[CardMoveIn], uow: Uow, keys: Keys, request: AuthenticatedRequest
    ) -> CardEntryResult:
        """Pay a stored-value card's value out in cash, within its type's limit."""
        return await uow.write(cards.move, keys, request.user, ref, EntryKind.UNLOAD, data)

    @post("/{ref:str}/adjust", guards=[allow()], status_code=200)
    async def adjust(
        self, ref: CardRef, data: JSONBody[CardAdjustIn], uow: Uow, keys: Keys, request: AuthenticatedRequest
    ) -> CardEntryResult:
        return await uow.write(cards.adjust, keys, request.user, ref, data)

    @post("/{ref:str}/block", guards=[SELLERS], status_code=200)
    async def block(self, ref: CardRef, data: JSONBody[CardBlockIn], uow: Uow, keys: Keys) -> CardOut:
        return await uow.write(cards.block, keys, ref, data)

    @post("/{ref:str}/transfer", guards=[SELLERS], status_code=200)
    async def transfer(
        self,
        ref: CardRef,
        data: JSONBody[CardTransferIn],
        uow: Uow,
        keys: Keys,
        request: AuthenticatedRequest,
    ) -> CardEntryResult:
        """A lost card: its balance moves to `to_card` and it is blocked everywhere."""
        return await uow.write(cards.transfer, keys, request.user, ref, data)


class FloatController(Controller):
    path = "/api/v1/reports/float"
    tags = ["reports", "cards"]

    @get(guards=[allow("viewer")])
    async def float_report(
        self,
        request: Request[Any, Any, Any],
        uow: Uow,
        start: From = None,
        end: To = None,
        output: Format = None,
    ) -> Response[FloatReport]:
        """Outstanding card liability per card type, and loads, payments, unloads, expiry and
        transfers between two venue days; CSV with `?format=csv` or `Accept: text/csv`."""
        report = await uow.read(cards.float_report, start, end)
        wants_csv = output == "csv" or (
            output is None and request.accept.best_match(["application/json", "text/csv"]) == "text/csv"
        )
        if not wants_csv:
            return Response(report)
        csv_response = Response(
            content=cards.float_csv(report),
            media_type="text/csv",
            headers={"Content-Disposition": 'attachment; filename="card-float.csv"'},
        )
        return cast("Response[FloatReport]", csv_response)
