"""ASGI app factories for the supervisor's tests: one that cannot start, one that starts slowly."""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from typing import Any

Asgi = Callable[
    [dict[str, Any], Callable[[], Awaitable[Any]], Callable[[Any], Awaitable[None]]], Awaitable[None]
]


def failing() -> Asgi:
    raise RuntimeError("this app cannot start")


def slow() -> Asgi:
    time.sleep(3)  # long enough to be killed while still starting

    async def app(
        scope: dict[str, Any], receive: Callable[[], Awaitable[Any]], send: Callable[[Any], Awaitable[None]]
    ) -> None:
        if scope["type"] == "lifespan":
            while (await receive())["type"] != "lifespan.shutdown":
                await send({"type": "lifespan.startup.complete"})
            await send({"type": "lifespan.shutdown.complete"})
            return
        await send({"type": "http.response.start", "status": 200, "headers": [(b"content-length", b"2")]})
        await send({"type": "http.response.body", "body": b"ok"})

    return app
