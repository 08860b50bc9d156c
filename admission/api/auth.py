"""Bearer-token authentication (a middleware, so guards can see the caller) and role guards."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from litestar.connection import ASGIConnection
from litestar.exceptions import NotAuthorizedException, PermissionDeniedException
from litestar.handlers.base import BaseRouteHandler
from litestar.middleware import AbstractAuthenticationMiddleware, AuthenticationResult
from litestar.plugins.problem_details import ProblemDetailsException

from admission.api.worker import slot_of
from admission.contract import Role
from admission.services.devices import Principal, Refusal

Guard = Callable[[ASGIConnection, BaseRouteHandler], Awaitable[None]]
PUBLIC_PATHS = ["^/schema", "^/health$", "^/dashboard"]
# Every method needs a token, OPTIONS too (Litestar lets OPTIONS through by default, for CORS
# preflights, which this same-origin API has no use for).
UNAUTHENTICATED_METHODS: list[str] = []

# A refused token's answer says why, in a problem `type` and `code` a client can test: a device
# wipes its store on DEVICE_REVOKED only, never on a token that was merely replaced (rotated).
REFUSALS: dict[Refusal, tuple[str, str]] = {
    Refusal.DEVICE_REVOKED: (
        "this device was revoked",
        "an administrator revoked this device: it may no longer work; "
        "enrol the PC again with a new device's token",
    ),
    Refusal.TOKEN_REVOKED: (
        "this token was replaced or revoked",
        "the device is still in service but this token no longer works: use the token it was given last",
    ),
    Refusal.UNKNOWN: (
        "this token is unknown or revoked",
        "check the token; tokens come from `admission tokens`",
    ),
}


def refused(refusal: Refusal) -> ProblemDetailsException:
    title, detail = REFUSALS[refusal]
    return ProblemDetailsException(
        status_code=401,
        title=title,
        detail=detail,
        type_=f"urn:admission:problem:{refusal.value.replace('_', '-')}",
        extra={"code": refusal.value},
    )


class TokenAuthMiddleware(AbstractAuthenticationMiddleware):
    async def authenticate_request(self, connection: ASGIConnection) -> AuthenticationResult:
        header = connection.headers.get("authorization", "")
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise NotAuthorizedException(
                "send 'Authorization: Bearer <token>'; tokens come from `admission tokens`"
            )
        worker = slot_of(connection.app.state).worker
        found, principal = worker.tokens.cached(token.strip())
        if not found:
            principal = await worker.uow.read(worker.tokens.authenticate, token.strip())
        if isinstance(principal, Refusal):
            raise refused(principal)
        return AuthenticationResult(user=principal, auth=None)


def allow(*roles: Role) -> Guard:
    """A guard admitting the given roles; admin may always pass."""

    # async: Litestar runs a plain function guard in a worker thread, a thread hop per request.
    async def guard(connection: ASGIConnection, _: BaseRouteHandler) -> None:
        user = connection.scope.get("user")  # absent, not an error, where no token was asked for
        if user is None:
            raise NotAuthorizedException("send 'Authorization: Bearer <token>'")
        if not isinstance(user, Principal) or (user.role != "admin" and user.role not in roles):
            raise PermissionDeniedException(
                f"this needs a token with the role {' or '.join(('admin', *roles))}"
            )

    return guard
