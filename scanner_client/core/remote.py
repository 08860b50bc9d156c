"""The service's HTTP API as every client device uses it (httpx, async); the gate's and the till's
own endpoints are in gate/remote.py and till/remote.py.

A device may know several servers in order of preference (a venue hub, then the central service:
core/servers.py). A call goes to the server in use; one that cannot be reached at all (connection
refused, reset, no route) is passed over at once for the next in the list, so a dead hub costs a
scan no time limit. A server that times out or fails (5xx) fails that call, and the next call
starts at the server after it. Only when no server in the list answers is the call
`ServerUnavailable`. Probes start at the top of the list, and `try_better` moves back up as soon
as a better server answers again (ClientCore runs it while online on a lower one).

Failures come back as two exception types, because the client reacts to them differently:
`ServerUnavailable` (no answer, timeout, 5xx: the link or the server is down, so decide locally
and go offline) and `ServerRefused` (a 4xx problem: the server is up but says no). The bearer
token is sent in a header only; it is never part of a message or a log line.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

import httpx
import msgspec

from admission.contract import ChangesPage, DeviceHealthAck, DeviceHealthIn, OutageIn, ServiceClock
from admission.i18n import _
from scanner_client.core.servers import parse_servers

T = TypeVar("T")
API_PREFIX = "/api/v1"
HUB_HEADER = "admission-hub"  # every answer of a venue hub carries it (admission/api/hub_writes.py)


class ServerUnavailable(Exception):
    """No usable answer: connection failed, timed out, or the server failed (5xx)."""


class _Unreachable(ServerUnavailable):
    """No connection at all: the next server in the list is tried in the same call."""


DEVICE_REVOKED = "device_revoked"  # the problem `code` of a revoked device's token (docs/security.md)


class ServerRefused(Exception):
    """The server answered with a 4xx problem."""

    def __init__(self, status: int, title: str, detail: str | None = None, code: str | None = None) -> None:
        self.status = status
        self.title = title
        self.detail = detail
        self.code = code  # the problem's `code`, where the service gives one
        super().__init__(f"{status} {title}" + (f": {detail}" if detail else ""))

    @property
    def unauthorised(self) -> bool:
        return self.status in (401, 403)

    @property
    def device_revoked(self) -> bool:
        """The service says this device was revoked: not a rotated token, not an unknown one."""
        return self.status == 401 and self.code == DEVICE_REVOKED


class DeviceInfo(msgspec.Struct, kw_only=True):
    id: int
    name: str
    role: str
    gate: str | None = None


def api_base(server_url: str) -> str:
    """Accept the server URL with or without the API prefix."""
    base = server_url.rstrip("/")
    return base if base.endswith(API_PREFIX) else base + API_PREFIX


class Remote:
    def __init__(
        self,
        server_url: str | Sequence[str],
        token: str,
        *,
        scan_timeout: float = 1.5,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self.scan_timeout = scan_timeout
        self.servers = parse_servers(server_url)
        if not self.servers:
            raise ValueError("no server URL given")
        self.current = 0  # index in `servers` of the server in use
        # Which servers said, in their latest answer, that they are a venue hub (signing nothing).
        self._hubs = [False] * len(self.servers)
        # Told whenever any call learns that the device was revoked (ClientCore wipes the store).
        self.on_device_revoked: Callable[[], None] | None = None
        # Told whenever the server in use changes (the status line names it).
        self.on_server_change: Callable[[], None] | None = None
        self._clients = [
            httpx.AsyncClient(
                base_url=api_base(url),
                headers={"Authorization": f"Bearer {token}", "Accept": "application/json"},
                timeout=httpx.Timeout(10.0, connect=min(scan_timeout, 3.0)),
                transport=transport,
                # Several long-polls plus scans and uploads may overlap.
                limits=httpx.Limits(max_connections=8, max_keepalive_connections=4),
            )
            for url in self.servers
        ]

    @property
    def server(self) -> str:
        """The URL of the server in use."""
        return self.servers[self.current]

    @property
    def at_hub(self) -> bool:
        """The server in use is a venue hub: it takes passages and till-signed sales, signs nothing."""
        return self._hubs[self.current]

    def learn_hub(self, index: int | None = None) -> None:
        """A server (the one in use by default) refused what only a central service does."""
        self._hubs[self.current if index is None else index] = True

    async def aclose(self) -> None:
        for client in self._clients:
            await client.aclose()

    async def __aenter__(self) -> Remote:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    def _use(self, index: int) -> None:
        if index != self.current:
            self.current = index
            if self.on_server_change is not None:
                self.on_server_change()

    async def _request(
        self,
        method: str,
        path: str,
        *,
        body: Any = None,
        params: dict[str, Any] | None = None,
        time_limit: float | None = None,
        server: int | None = None,
        from_top: bool = False,
    ) -> httpx.Response:
        """Send to the server in use (or from the top of the list, or to `server` only), passing
        over the unreachable ones."""
        if server is not None:
            order: Sequence[int] = [server]
        else:
            order = range(0 if from_top else self.current, len(self.servers))
        failure: ServerUnavailable | None = None
        for index in order:
            try:
                response = await self._send(index, method, path, body, params, time_limit)
            except ServerUnavailable as exc:
                # A probe (from the top) asks every server in turn; another call passes over the
                # unreachable ones only, since one that hangs has used up the call's time.
                failure = exc
                if from_top or isinstance(exc, _Unreachable):
                    continue
                if server is None and index + 1 < len(self.servers):
                    self._use(index + 1)  # this one hangs or fails: the next call starts lower
                raise
            if server is None:
                self._use(index)
            return response
        assert failure is not None
        raise failure

    async def _send(
        self,
        index: int,
        method: str,
        path: str,
        body: Any,
        params: dict[str, Any] | None,
        time_limit: float | None,
    ) -> httpx.Response:
        content = msgspec.json.encode(body) if body is not None else None
        headers = {"Content-Type": "application/json"} if content is not None else None
        try:
            # httpx's timeouts bound each connect/read/write step; asyncio.timeout bounds the whole
            # call, so a server that trickles its answer cannot hold a scan past its time limit.
            async with asyncio.timeout(time_limit):
                response = await self._clients[index].request(
                    method,
                    path,
                    content=content,
                    params=params,
                    headers=headers,
                    timeout=httpx.USE_CLIENT_DEFAULT if time_limit is None else time_limit,
                )
        except (httpx.TimeoutException, TimeoutError) as exc:
            raise ServerUnavailable(
                _("no answer within the time limit ({error})").format(error=type(exc).__name__)
            ) from exc
        except (httpx.ConnectError, httpx.RemoteProtocolError) as exc:  # refused, reset, no route
            raise _Unreachable(_("server unreachable ({error})").format(error=type(exc).__name__)) from exc
        except httpx.HTTPError as exc:  # other transport and protocol errors
            raise ServerUnavailable(
                _("server unreachable ({error})").format(error=type(exc).__name__)
            ) from exc
        self._hubs[index] = HUB_HEADER in response.headers
        if response.status_code >= 500:
            raise ServerUnavailable(_("server failed with {status}").format(status=response.status_code))
        if response.status_code >= 400:
            refusal = _refused(response)
            if refusal.device_revoked and self.on_device_revoked is not None:
                self.on_device_revoked()
            raise refusal
        return response

    def pass_over(self, server: int) -> bool:
        """A call pinned to `server` failed: use the next server in the list, if there is one."""
        if server != self.current or server + 1 >= len(self.servers):
            return False
        self._use(server + 1)
        return True

    async def try_better(self, time_limit: float) -> bool:
        """Ask the servers above the one in use, best first; move to the first that answers."""
        for index in range(self.current):
            try:
                await self.pinned_me(index, time_limit)
            except (ServerUnavailable, ServerRefused):
                continue
            self._use(index)
            return True
        return False

    async def pinned_me(self, server: int, time_limit: float | None = None) -> DeviceInfo:
        """Who this device is at one server of the list (the server in use stays as it is)."""
        response = await self._request("GET", "/devices/me", time_limit=time_limit, server=server)
        return self._decode(response, DeviceInfo)

    @staticmethod
    def _decode(response: httpx.Response, type_: type[T]) -> T:
        try:
            return msgspec.json.decode(response.content, type=type_)
        except msgspec.DecodeError as exc:
            # A proxy's HTML page or a truncated body: as good as no answer.
            raise ServerUnavailable(
                _("unreadable answer from the server: {error}").format(error=exc)
            ) from exc

    async def me(self, time_limit: float | None = None, from_top: bool = False) -> DeviceInfo:
        """Who this device is at the service; `from_top`: ask the best server that answers."""
        response = await self._request("GET", "/devices/me", time_limit=time_limit, from_top=from_top)
        return self._decode(response, DeviceInfo)

    async def changes(
        self, since: int, limit: int, wait: float = 0, server: int | None = None
    ) -> ChangesPage:
        """A page of the feed; `server` pins the call to one server, whose feed `since` counts in."""
        params: dict[str, Any] = {"since": since, "limit": limit}
        if wait > 0:
            params["wait"] = int(wait)
        # Long-polls hold the request open for `wait` seconds: allow that plus a margin.
        response = await self._request(
            "GET", "/sync/changes", params=params, time_limit=wait + 30.0, server=server
        )
        return self._decode(response, ChangesPage)

    async def post_outage(self, report: OutageIn) -> None:
        await self._request("POST", "/outages", body=report)

    async def service_clock(self) -> ServiceClock:
        """The service's time, for measuring this PC's clock (a short call: the round trip counts)."""
        response = await self._request("GET", "/fleet/clock", time_limit=5.0)
        return self._decode(response, ServiceClock)

    async def report_health(self, report: DeviceHealthIn) -> DeviceHealthAck:
        response = await self._request("POST", "/fleet/reports", body=report, time_limit=10.0)
        return self._decode(response, DeviceHealthAck)


def _refused(response: httpx.Response) -> ServerRefused:
    title, detail, code = response.reason_phrase or "refused", None, None
    try:
        problem = msgspec.json.decode(response.content)
    except msgspec.DecodeError:
        problem = None
    if isinstance(problem, dict):
        title = str(problem.get("title") or title)
        detail = problem.get("detail")
        detail = None if detail is None else str(detail)
        code = problem.get("code")
        code = code if isinstance(code, str) else None
    return ServerRefused(response.status_code, title, detail, code)


def problem_text(exc: Exception) -> str:
    """The service's own words for a refusal, for the person at the device."""
    detail = getattr(exc, "detail", None)
    title = getattr(exc, "title", None)
    if isinstance(detail, str) and detail and detail != "Bad Request":  # validation: the title says more
        return detail
    return str(title or exc)
