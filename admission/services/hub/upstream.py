"""The central service as a venue hub talks to it: its feed for hubs, its batch endpoint, its hub
annulments and hub sales, with the hub's token.

The hub's token is a device token with the `hub` role (docs/hub.md): it may read the feed, forward
passages in a gate's name and sales in a till's name, and nothing else; it is sent in a header
only."""

from __future__ import annotations

from typing import TypeVar

import httpx
import msgspec

from admission.contract import (
    BatchRequest,
    BatchResponse,
    HubAnnulRequest,
    HubAnnulResponse,
    HubChangesPage,
    SaleOut,
)
from admission.contract.hub_sales import HubSaleIn

API_PREFIX = "/api/v1"
T = TypeVar("T")


class UpstreamUnavailable(Exception):
    """No usable answer from the central service: try again later."""


class UpstreamRefused(Exception):
    """The central service answered with a 4xx problem: the same request will not pass."""

    def __init__(self, status: int, text: str) -> None:
        self.status = status
        self.detail = _problem_detail(text)  # the central service's words, for a manager
        super().__init__(f"{status}: {text[:300]}")


class Upstream:
    def __init__(self, url: str, token: str, *, transport: httpx.AsyncBaseTransport | None = None) -> None:
        base = url.rstrip("/")
        self.url = base
        self._http = httpx.AsyncClient(
            base_url=base if base.endswith(API_PREFIX) else base + API_PREFIX,
            headers={"Authorization": f"Bearer {token}", "Accept": "application/json"},
            timeout=httpx.Timeout(60.0, connect=5.0),
            transport=transport,
        )

    async def aclose(self) -> None:
        await self._http.aclose()

    async def changes(self, since: int, limit: int, wait: float) -> HubChangesPage:
        """A page of the central feed with the rows behind it (a long poll of `wait` seconds)."""
        params = {"since": since, "limit": limit, "wait": int(wait)}
        try:
            response = await self._http.get("/hub/changes", params=params, timeout=wait + 30.0)
        except httpx.HTTPError as exc:
            raise UpstreamUnavailable(f"central service unreachable ({type(exc).__name__})") from exc
        return self._decode(response, HubChangesPage)

    async def batch(self, request: BatchRequest) -> BatchResponse:
        return self._decode(await self._post("/passages/batch", request), BatchResponse)

    async def annul(self, request: HubAnnulRequest) -> HubAnnulResponse:
        """Annulments made at the hub after their scans were forwarded, in a gate's name."""
        return self._decode(await self._post("/hub/annulments", request), HubAnnulResponse)

    async def forward_sale(self, request: HubSaleIn) -> tuple[SaleOut, bool]:
        """A till's sale in the till's name: (the central service's sale, True if recorded now;
        False: it had it already, from the hub or from the till)."""
        response = await self._post("/hub/sales", request)
        return self._decode(response, SaleOut), response.status_code == 201

    async def _post(self, path: str, body: object) -> httpx.Response:
        try:
            return await self._http.post(
                path, content=msgspec.json.encode(body), headers={"Content-Type": "application/json"}
            )
        except httpx.HTTPError as exc:
            raise UpstreamUnavailable(f"central service unreachable ({type(exc).__name__})") from exc

    @staticmethod
    def _decode(response: httpx.Response, type_: type[T]) -> T:
        if response.status_code >= 500:
            raise UpstreamUnavailable(f"central service failed with {response.status_code}")
        if response.status_code >= 400:
            raise UpstreamRefused(response.status_code, response.text[:2000])
        try:
            return msgspec.json.decode(response.content, type=type_)
        except msgspec.DecodeError as exc:
            raise UpstreamUnavailable(f"unreadable answer from the central service: {exc}") from exc


def _problem_detail(text: str) -> str:
    try:
        problem = msgspec.json.decode(text)
    except msgspec.DecodeError:
        return text[:300]
    if isinstance(problem, dict) and problem.get("detail"):
        return str(problem["detail"])[:300]
    return text[:300]
