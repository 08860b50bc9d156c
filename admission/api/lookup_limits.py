"""Look-up limits: ticket numbers cannot be guessed by asking the service.

Every route that finds a ticket from a number or code a person gives (the ticket look-up, its
barcode and printable page, void, reissue, sales by ticket) is limited twice, per device (the
token's) and per client address:

- **misses**, tightly: a number or code that names no ticket is recorded in the database
  (`admission.services.lookup_misses`), so every worker counts the same misses; past the limit
  the look-up is not made at all and the answer is 429 with `Retry-After`;
- **all look-ups**, generously, by Litestar's rate-limit middleware, with its counts in the data
  folder all workers share: it bounds the load a caller can put on look-ups, and a busy till
  typing real numbers never reaches it.

docs/security.md has the arithmetic behind the defaults.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any, TypeVar

from litestar import Request
from litestar.exceptions import TooManyRequestsException
from litestar.middleware import DefineMiddleware
from litestar.middleware.rate_limit import RateLimitConfig, RateLimitMiddleware, get_remote_address
from litestar.plugins.problem_details import ProblemDetailsException
from litestar.stores.file import FileStore
from litestar.types import Receive, Scope, Send
from sqlalchemy.ext.asyncio import AsyncSession

from admission.config import LookupLimits
from admission.i18n import _
from admission.services.devices import Principal
from admission.services.lookup_misses import Caller, Missed, TooManyMisses, limited_lookup
from admission.services.unit_of_work import UnitOfWork

T = TypeVar("T")

LOOKUP_RATE_STORE = "lookup_rates"
LOOKUP_RATE_FOLDER = "lookup-rates"  # in the data folder, shared by the service's workers


class TooManyLookups(ProblemDetailsException):
    """429 with Retry-After and a problem body saying what happened and when to try again."""

    def __init__(self, detail: str, retry_after_seconds: int) -> None:
        super().__init__(
            status_code=429,
            title=_("Too many look-ups"),
            detail=detail,
            headers={"Retry-After": str(retry_after_seconds)},
            extra={"retry_after_seconds": retry_after_seconds},
        )


def caller_of(request: Request[Any, Any, Any]) -> Caller:
    user = request.scope.get("user")
    assert isinstance(user, Principal), "look-ups are authenticated"
    return Caller(device_id=user.device_id, address=get_remote_address(request))


async def limited(
    uow: UnitOfWork,
    limits: LookupLimits,
    request: Request[Any, Any, Any],
    tried: str,
    look_up: Callable[[AsyncSession], Awaitable[T]],
) -> T:
    """`look_up` for the request's caller, within its miss limits: a miss (a well-formed number or
    code naming no ticket) answers 404 and is counted; too many misses is a 429."""
    outcome = await uow.write(limited_lookup, limits, caller_of(request), tried, look_up)
    if isinstance(outcome, TooManyMisses):
        window_minutes = max(1, limits.miss_window_seconds // 60)
        what = (
            _("This device gave {limit} numbers or codes that name no ticket within {minutes} min.")
            if outcome.by == "device"
            else _("This address gave {limit} numbers or codes that name no ticket within {minutes} min.")
        )
        limit = limits.misses_per_device if outcome.by == "device" else limits.misses_per_address
        detail = " ".join(
            (
                what.format(limit=limit, minutes=window_minutes),
                _("Check the number on the ticket; look-ups work again in {seconds} s.").format(
                    seconds=outcome.retry_after_seconds
                ),
            )
        )
        raise TooManyLookups(detail, outcome.retry_after_seconds)
    if isinstance(outcome, Missed):
        raise outcome.error
    return outcome


class LookupRateLimitMiddleware(RateLimitMiddleware):
    """Litestar's rate limit, answering as the miss limit does: problem details and Retry-After."""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        try:
            await super().__call__(scope, receive, send)
        except TooManyRequestsException as exc:  # raised before the handler: this limit was reached
            reset = (exc.headers or {}).get(self.config.rate_limit_reset_header_key, "60")
            seconds = max(1, int(reset)) if reset.isdigit() else 60
            detail = _(
                "More than {limit} ticket look-ups a minute: look-ups work again in {seconds} s."
            ).format(limit=self.max_requests, seconds=seconds)
            raise TooManyLookups(detail, seconds) from None


def _device_of(request: Request[Any, Any, Any]) -> str:
    user = request.scope.get("user")
    return f"device:{user.device_id}" if isinstance(user, Principal) else "device:none"


def _address_of(request: Request[Any, Any, Any]) -> str:
    return f"address:{get_remote_address(request)}"


# The option that marks a route as a look-up by a number or code a person gives (in its path).
TICKET_LOOKUP = {"ticket_lookup": True}


def lookup_by_query(parameter: str) -> dict[str, str]:
    """The option marking a route that is a look-up when this query parameter is given."""
    return {"ticket_lookup": parameter}


def _is_lookup(request: Request[Any, Any, Any]) -> bool:
    marked = request.scope["route_handler"].opt.get("ticket_lookup")
    if isinstance(marked, str):
        return marked in request.query_params
    return bool(marked)


def lookup_rate_limits(limits: LookupLimits) -> list[DefineMiddleware]:
    """The generous limit on all look-ups (routes marked `TICKET_LOOKUP`), per device and per
    address: app middleware placed after authentication, which names the device."""
    return [
        RateLimitConfig(
            rate_limit=("minute", limits.lookups_per_minute),
            identifier_for_request=identify,
            check_throttle_handler=_is_lookup,
            middleware_class=LookupRateLimitMiddleware,
            set_rate_limit_headers=False,
            store=LOOKUP_RATE_STORE,
        ).middleware
        for identify in (_device_of, _address_of)
    ]


def lookup_rate_store(data_dir: Path) -> FileStore:
    """Counts every worker of the service reads and writes (one service per data folder). Two
    workers counting the same caller at the same instant may each miss the other's count: the
    limit is generous, and the miss limit, which is exact, is the one that stops guessing."""
    return FileStore(data_dir / LOOKUP_RATE_FOLDER, create_directories=True)
