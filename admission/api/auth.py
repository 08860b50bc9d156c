"""Bearer-token authentication (a middleware, so guards can see the caller) and role guards."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from litestar.connection import ASGIConnection
from litestar.exceptions import NotAuthorizedException, PermissionDeniedException
from litestar.handlers.base import BaseRouteHandler
from litestar.middleware import AbstractAuthenticationMiddleware, AuthenticationResult

from admission.api.worker import slot_of
from admission.contract import Role
from admission.services.devices import Principal

Guard = Callable[[ASGIConnection, BaseRouteHandler], Awaitable[None]]
PUBLIC_PATHS = ["^/schema", "^/health$", "^/dashboard"]
# Every method needs a token, OPTIONS too (Litestar lets OPTIONS through by default, for CORS
# preflights, which this same-origin API has no use for).
UNAUTHENTICATED_METHODS: list[str] = []


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
        if principal is None:
            raise NotAuthorizedException("this token is unknown or revoked")
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
