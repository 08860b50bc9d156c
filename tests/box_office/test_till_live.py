"""The till and a gate against the real service process, which is stopped and restarted: sell
offline, the gate admits the offline-sold ticket while both are offline, and everything
reconciles, exactly once, when the server is back."""

from __future__ import annotations

import asyncio
from pathlib import Path

import httpx
import pytest

from admission.demo import DemoVenue
from admission.domain.model import Reason, Verdict
from admission.domain.payments import PaymentIn, PaymentMethod
from scanner_client.till.sale import CartLine, OfflineEventRefused, SaleProblem, SaleUncertain
from scanner_client.till.till import Till
from tests.box_office.till_support import close_till, enrolled_gate, enrolled_till
from tests.support.live_server import LiveServer

CASH = PaymentMethod.CASH


def line(till: Till, plu: str, quantity: int = 1, event_id: int | None = None) -> CartLine:
    (template,) = [t for t in till.find(plu) if t.plu == plu]
    event = till.store.events()[event_id] if event_id else None
    return CartLine(template=template, quantity=quantity, event=event)


def cash(cents: int) -> PaymentIn:
    return PaymentIn(method=CASH, amount_cents=cents)


def card(cents: int, brand: str) -> PaymentIn:
    return PaymentIn(method=PaymentMethod.CARD, amount_cents=cents, card_brand=brand)


async def test_sell_offline_admit_offline_and_reconcile_when_the_server_returns(
    live_server: LiveServer, demo_venue: DemoVenue, tmp_path: Path
) -> None:
    till = await enrolled_till(tmp_path / "till", live_server.url, demo_venue.admin_token, "till-1")
    gate = await enrolled_gate(
        tmp_path / "gate", live_server.url, demo_venue.gate_tokens["Main gate"], "Main gate"
    )
    try:
        # Online: the service issues, with numbers; the event seat is reserved centrally.
        online = await till.sell([line(till, "200", 1, demo_venue.event_id), line(till, "100")], cash(10_000))
        assert not online.offline and online.server_id and online.change_cents == 10_000 - 6000
        assert all(t.number for t in online.tickets)
        assert {p.suffix for p in online.ticket_files} == {".png", ".html", ".pdf"}
        assert {p.suffix for p in online.receipt_files} == {".pdf", ".eml"}

        live_server.stop()
        # The first sale after the outage starts goes offline by itself (the request never left).
        day = await till.sell([line(till, "100", 2)], cash(5000))
        assert day.offline and not till.online
        assert [t.number for t in day.tickets] == [None, None]
        with pytest.raises(OfflineEventRefused) as refused:
            await till.sell([line(till, "200", 1)], cash(3500))
        assert [f.plu for f in refused.value.fallbacks] == ["201"] and "fallback" in str(refused.value)
        with pytest.raises(SaleProblem, match="cannot be taken offline"):
            await till.sell([line(till, "201")], card(3500, "maestro"))
        fallback = await till.sell([line(till, "201")], card(3500, "Visa"))
        assert fallback.offline and till.store.pending_count() == 2

        # The gate is offline too and has never seen these tickets: the till's key vouches for them.
        first = await gate.scan(day.tickets[0].code)
        gate.mark_shown(first.nonce)  # on the gate's screen: only a verdict seen is uploaded
        again = await gate.scan(day.tickets[0].code)
        gate.mark_shown(again.nonce)
        assert (first.verdict, first.mode) == (Verdict.ADMIT, "offline")
        assert again.reason is Reason.ALREADY_USED

        live_server.start()
        report = await till.sync_once()
        assert (report.uploaded, report.refused, report.errors) == (2, 0, [])
        assert till.online and till.store.pending_count() == 0
        gate_report = await gate.sync_once()
        assert gate_report.uploaded == 2 and not gate_report.errors

        with live_server.client(demo_venue.box_office_token) as box:
            sales = box.get("/api/v1/sales").json()
            assert len(sales) == 3 and sum(s["offline"] for s in sales) == 2
            detail = box.get(f"/api/v1/tickets/{day.tickets[0].code}").json()
            assert [(p["gate"], p["verdict"], p["source"]) for p in detail["passages"]] == [
                ("Main gate", "admit", "offline"),
                ("Main gate", "reject", "offline"),
            ]
            offline_day = next(s for s in sales if s["nonce"] == day.local.nonce)
            assert sorted(t["code"] for t in offline_day["tickets"]) == sorted(t.code for t in day.tickets)
            day_report = box.get("/api/v1/sales/report").json()
        (device,) = day_report["devices"]
        assert device["device"] == "till-1" and device["offline_sales"] == 2
        assert device["cash_to_count_cents"] == 6000 + 5000 and device["card_total_cents"] == 3500

        # Exactly once: an acknowledgement lost in a crash means re-posting; nothing doubles.
        till.store.set_state(day.local.nonce, "queued")
        assert (await till.sync_once()).uploaded == 1
        with live_server.client(demo_venue.viewer_token) as viewer:
            assert len(viewer.get("/api/v1/sales").json()) == 3
            outages = [o for o in viewer.get("/api/v1/outages").json() if o["device"] == "till-1"]
        assert len(outages) == 1 and outages[0]["sales_offline"] == 2
    finally:
        await close_till(till)
        await gate.remote.aclose()  # type: ignore[union-attr]
        gate.store.close()


class LoseAnswers(httpx.AsyncBaseTransport):
    """Delivers requests, then loses the answer to the next POST /sales (a link that drops)."""

    def __init__(self) -> None:
        self.inner = httpx.AsyncHTTPTransport()
        self.lose_next_sale = False

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        response = await self.inner.handle_async_request(request)
        if self.lose_next_sale and request.method == "POST" and request.url.path.endswith("/sales"):
            self.lose_next_sale = False
            await response.aclose()
            raise httpx.ReadTimeout("answer lost", request=request)
        return response

    async def aclose(self) -> None:
        await self.inner.aclose()


async def test_a_sale_whose_answer_was_lost_is_cancelled_once_the_server_answers(
    live_server: LiveServer, demo_venue: DemoVenue, tmp_path: Path
) -> None:
    transport = LoseAnswers()
    till = await enrolled_till(
        tmp_path / "till", live_server.url, demo_venue.box_office_token, None, transport=transport
    )
    try:
        transport.lose_next_sale = True
        with pytest.raises(SaleUncertain, match="NOT completed"):
            await till.sell([line(till, "200", 2, demo_venue.event_id)], cash(7000))
        (attempt,) = till.store.sales(("unknown",))
        with live_server.client(demo_venue.box_office_token) as box:
            sold = box.get(f"/api/v1/events/{demo_venue.event_id}").json()["sold"]
        report = await till.sync_once()
        assert report.resolved == 1
        settled = till.store.sale(attempt.nonce)
        assert settled is not None and settled.state == "voided"
        with live_server.client(demo_venue.box_office_token) as box:
            (sale,) = box.get("/api/v1/sales", params={"nonce": attempt.nonce}).json()
            assert sale["status"] == "refunded"
            assert box.get(f"/api/v1/events/{demo_venue.event_id}").json()["sold"] == sold - 2
    finally:
        await close_till(till)
        await transport.aclose()


class HoldSales(httpx.AsyncBaseTransport):
    """A link that holds the next POST /sales on its way (the till hears nothing) and delivers it
    when told, and that can lose the answer to the next cancellation."""

    def __init__(self) -> None:
        self.inner = httpx.AsyncHTTPTransport()
        self.hold_next_sale = False
        self.lose_next_cancel = False
        self.held: httpx.Request | None = None

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if self.hold_next_sale and request.method == "POST" and request.url.path.endswith("/sales"):
            self.hold_next_sale = False
            await request.aread()
            self.held = request
            raise httpx.ReadTimeout("no answer", request=request)
        response = await self.inner.handle_async_request(request)
        if self.lose_next_cancel and request.url.path.endswith("/cancel"):
            self.lose_next_cancel = False
            await response.aclose()
            raise httpx.ReadTimeout("answer lost", request=request)
        return response

    async def deliver_held(self) -> httpx.Response:
        assert self.held is not None
        response = await self.inner.handle_async_request(self.held)
        await response.aread()
        return response

    async def aclose(self) -> None:
        await self.inner.aclose()


async def _unanswered_sale(till: Till, transport: HoldSales, venue: DemoVenue) -> str:
    """An online sale whose request the link holds: the seller is told it was NOT completed."""
    transport.hold_next_sale = True
    with pytest.raises(SaleUncertain, match="NOT completed"):
        await till.sell([line(till, "200", 2, venue.event_id)], cash(7000))
    (attempt,) = till.store.sales(("unknown",))
    return attempt.nonce


async def test_a_lost_sale_arriving_after_the_till_settled_it_is_refused_and_counted_nowhere(
    live_server: LiveServer, demo_venue: DemoVenue, tmp_path: Path
) -> None:
    transport = HoldSales()
    till = await enrolled_till(
        tmp_path / "till", live_server.url, demo_venue.box_office_token, None, transport=transport
    )
    try:
        nonce = await _unanswered_sale(till, transport, demo_venue)
        with live_server.client(demo_venue.box_office_token) as box:
            sold = box.get(f"/api/v1/events/{demo_venue.event_id}").json()["sold"]
            report = box.get("/api/v1/sales/report").json()
        assert (await till.sync_once()).resolved == 1
        settled = till.store.sale(nonce)
        assert settled is not None and settled.state == "not_sold"

        # The request the link held arrives now: refused, nothing sold, nothing counted.
        late = await transport.deliver_held()
        assert late.status_code == 409, late.text
        assert "cancelled" in late.json()["detail"]
        with live_server.client(demo_venue.box_office_token) as box:
            assert box.get("/api/v1/sales", params={"nonce": nonce}).json() == []
            assert box.get(f"/api/v1/events/{demo_venue.event_id}").json()["sold"] == sold
            assert box.get("/api/v1/sales/report").json() == report
    finally:
        await close_till(till)
        await transport.aclose()


async def test_an_attempt_stays_unknown_until_the_service_acknowledges_its_cancellation(
    live_server: LiveServer, demo_venue: DemoVenue, tmp_path: Path
) -> None:
    transport = HoldSales()
    till = await enrolled_till(
        tmp_path / "till", live_server.url, demo_venue.box_office_token, None, transport=transport
    )
    try:
        nonce = await _unanswered_sale(till, transport, demo_venue)
        transport.lose_next_cancel = True
        assert (await till.sync_once()).errors
        assert till.store.sale(nonce).state == "unknown"  # type: ignore[union-attr]
        assert (await till.sync_once()).resolved == 1  # asked again: the same answer
        assert till.store.sale(nonce).state == "not_sold"  # type: ignore[union-attr]
        assert (await transport.deliver_held()).status_code == 409
    finally:
        await close_till(till)
        await transport.aclose()


async def test_enrolling_with_a_pre_created_box_office_token_registers_a_new_key(
    live_server: LiveServer, demo_venue: DemoVenue, tmp_path: Path
) -> None:
    first = await enrolled_till(tmp_path / "a", live_server.url, demo_venue.box_office_token, "box-office-1")
    second = await enrolled_till(tmp_path / "b", live_server.url, demo_venue.box_office_token, None)
    try:
        assert first.key_id != second.key_id and first.device == second.device == "box-office-1"
        # Both keys stay valid: tickets signed with the first are in visitors' hands.
        keys = {k.key_id: k for k in second.store.issuer_keys()}
        assert not keys[first.key_id].revoked and not keys[second.key_id].revoked  # type: ignore[index]
    finally:
        await asyncio.gather(close_till(first), close_till(second))
