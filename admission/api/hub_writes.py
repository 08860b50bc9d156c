"""At a venue hub: only the gates' own writes and the tills' till-signed sales are taken. A hub
forwards passages and those sales to the central service and nothing else yet (docs/hub.md), so
an issued or voided ticket, a refund or a change of the venue made at the hub would never reach
the centre: such a request is answered 503, as a service that cannot do it now, so a device with
a server list takes it to the next server. Every answer of a hub says so in a header, so a till
knows that it sells through a hub (which signs nothing) before it sells."""

from __future__ import annotations

import re

from litestar import Request, Response
from litestar.types import ASGIApp, Message, Receive, Scope, Send

HUB_WRITES = re.compile(r"^/api/v1/(scans|passages/batch|scans/[^/]+/annul|outages|fleet/reports|sales)/?$")
WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
RETRY_SECONDS = 30
HUB_HEADER = b"admission-hub"  # on every answer of a venue hub (scanner_client/core/remote.py)


async def refuse_other_writes(request: Request) -> Response[dict[str, object]] | None:
    if request.method not in WRITE_METHODS or HUB_WRITES.match(request.url.path):
        return None
    return Response(
        {
            "type": "about:blank",
            "title": "Service Unavailable",
            "status": 503,
            "code": "hub_scans_only",
            "detail": (
                "this is a venue hub: it takes scans and till-signed sales only; "
                "do this at the central service"
            ),
        },
        status_code=503,
        media_type="application/problem+json",
        headers={"Retry-After": str(RETRY_SECONDS)},
    )


def mark_hub_answers(app: ASGIApp) -> ASGIApp:
    """Middleware: every HTTP answer carries the hub header, refusals included."""

    async def marked(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await app(scope, receive, send)
            return

        async def send_marked(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", []), (HUB_HEADER, b"1")]
            await send(message)

        await app(scope, receive, send_marked)

    return marked
