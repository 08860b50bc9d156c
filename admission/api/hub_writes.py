"""At a venue hub: only the gates' own writes are taken. A hub forwards passages to the central
service and nothing else yet (docs/hub.md), so a sale, an issued or voided ticket or a change of
the venue made at the hub would never reach the centre: such a request is answered 503, as a
service that cannot do it now, so a device with a server list takes it to the next server."""

from __future__ import annotations

import re

from litestar import Request, Response

HUB_WRITES = re.compile(r"^/api/v1/(scans|passages/batch|scans/[^/]+/annul|outages|fleet/reports)/?$")
WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
RETRY_SECONDS = 30


async def refuse_other_writes(request: Request) -> Response[dict[str, object]] | None:
    if request.method not in WRITE_METHODS or HUB_WRITES.match(request.url.path):
        return None
    return Response(
        {
            "type": "about:blank",
            "title": "Service Unavailable",
            "status": 503,
            "code": "hub_scans_only",
            "detail": "this is a venue hub: it takes scans only; do this at the central service",
        },
        status_code=503,
        media_type="application/problem+json",
        headers={"Retry-After": str(RETRY_SECONDS)},
    )
