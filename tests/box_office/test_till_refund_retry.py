"""A refund whose answer the link lost: the till keeps the refund's nonce, and refunding the sale
again when the server answers is answered as the first refund was (one refund, its receipt
written then), never "refunded already" with no receipt."""

from __future__ import annotations

from pathlib import Path

import httpx
from textual.widgets import Input

from admission.demo import DemoVenue
from scanner_client.till.after_sales import refund_unanswered
from scanner_client.till.app import BoxOfficeApp
from scanner_client.till.receipts import layout, plain_text
from scanner_client.till.refunds import RefundScreen
from tests.box_office.test_box_office_app import SIZE, add, confirming, pay, text, until
from tests.box_office.till_support import close_till, enrolled_till
from tests.support.live_server import LiveServer


class LoseRefundAnswer(httpx.AsyncBaseTransport):
    """Delivers requests, then loses the answer to the next POST /sales/{id}/refund."""

    def __init__(self) -> None:
        self.inner = httpx.AsyncHTTPTransport()
        self.lose_next_refund = False
        self.refunds_sent: list[bytes] = []

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        response = await self.inner.handle_async_request(request)
        if request.method == "POST" and request.url.path.endswith("/refund"):
            self.refunds_sent.append(request.content)
            if self.lose_next_refund:
                self.lose_next_refund = False
                await response.aclose()
                raise httpx.ReadTimeout("answer lost", request=request)
        return response

    async def aclose(self) -> None:
        await self.inner.aclose()


async def test_a_refund_whose_answer_was_lost_is_answered_when_refunded_again(
    live_server: LiveServer, demo_venue: DemoVenue, tmp_path: Path
) -> None:
    transport = LoseRefundAnswer()
    till = await enrolled_till(
        tmp_path / "till", live_server.url, demo_venue.box_office_token, None, transport=transport
    )
    app = BoxOfficeApp(till)
    try:
        async with app.run_test(size=SIZE) as pilot:
            await add(pilot, app, "100", quantity="2")
            await pay(pilot, app, "cash")
            result = app.last_result
            assert result is not None and result.server_id, text(app, "#message")
            sale_receipt = till.last_receipt

            transport.lose_next_refund = True
            await pilot.press("f2")
            await until(pilot, lambda: isinstance(app.screen, RefundScreen))
            refunds = app.screen
            assert isinstance(refunds, RefundScreen)
            refunds.query_one("#ref", Input).value = f"S{result.server_id}"
            await pilot.press("f5")
            await until(pilot, lambda: confirming(app))
            await pilot.press("y")
            await until(pilot, lambda: refunds.outcome is not None)
            assert "may or may not have been made" in (refunds.outcome or "")
            assert refund_unanswered(till, result.server_id) and till.last_receipt is sale_receipt
            with live_server.client(demo_venue.box_office_token) as box:  # it did reach the service
                assert box.get(f"/api/v1/sales/{result.server_id}").json()["status"] == "refunded"

            await till.probe()  # the link is back
            assert till.online
            refunds.outcome = None
            await pilot.press("f5")  # the same sale again: no question, the first refund's answer
            await until(pilot, lambda: refunds.outcome is not None)
            assert f"Refunded sale S{result.server_id}" in (refunds.outcome or ""), refunds.outcome
            assert not refund_unanswered(till, result.server_id)
            assert till.last_receipt is not None and till.last_receipt is not sale_receipt
            assert "REFUND" in plain_text(layout(till.last_receipt.receipt, till.tz))
            assert len(transport.refunds_sent) == 2 and transport.refunds_sent[0] == transport.refunds_sent[1]

            refunds.outcome = None
            await pilot.press("f5")  # and once more: now it is simply refunded already
            await until(pilot, lambda: refunds.outcome is not None)
            assert "refunded already" in (refunds.outcome or "")
    finally:
        await close_till(till)
        await transport.aclose()
