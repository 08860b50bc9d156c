"""Every error as RFC 9457 problem details; nothing the caller sends may yield a 500."""

from __future__ import annotations

import logging

from litestar import Request, Response
from litestar.exceptions import HTTPException
from litestar.plugins.problem_details import (
    ProblemDetailsConfig,
    ProblemDetailsException,
    ProblemDetailsPlugin,
)
from sqlalchemy.exc import DBAPIError, IntegrityError, OperationalError

from admission.domain.errors import (
    ConflictError,
    DomainError,
    ForbiddenError,
    InvalidRequestError,
    InvalidRuleError,
    NotFoundError,
)

log = logging.getLogger("admission.api")


# Each kind of refusal and its answer; a DomainError of no listed kind is a plain 400.
DOMAIN_ERROR_STATUS: dict[type[DomainError], tuple[int, str]] = {
    InvalidRequestError: (422, "Invalid request"),
    NotFoundError: (404, "Not found"),
    ConflictError: (409, "Conflict"),
    ForbiddenError: (403, "Forbidden"),
}


def from_domain_error(exc: DomainError) -> ProblemDetailsException:
    status, title = next(
        (answer for kind, answer in DOMAIN_ERROR_STATUS.items() if isinstance(exc, kind)),
        (400, "Bad request"),
    )
    # A rule's error points at the part of the request that is wrong, for a form to highlight.
    extra: dict[str, str] = {"pointer": exc.pointer} if isinstance(exc, InvalidRuleError) else {}
    if exc.code is not None:
        extra["code"] = exc.code
    return ProblemDetailsException(status_code=status, title=title, detail=exc.detail, extra=extra or None)


def _problem_response(
    status: int, title: str, detail: str, headers: dict[str, str] | None = None
) -> Response:
    body = {"title": title, "status": status, "detail": detail}
    return Response(body, status_code=status, media_type="application/problem+json", headers=headers)


def database_error(request: Request, exc: DBAPIError) -> Response:
    """Database refusals caused by the caller's input are 4xx; a busy database is 503."""
    message = str(exc.orig).lower()
    if "invalid byte sequence" in message or "character not in repertoire" in message:
        return _problem_response(400, "Bad request", "text must not contain NUL characters")
    if isinstance(exc, IntegrityError):
        return _problem_response(409, "Conflict", "this conflicts with existing data: nothing was changed")
    if isinstance(exc, OperationalError):
        log.warning("database busy on %s %s: %s", request.method, request.url.path, exc.orig)
        return _problem_response(503, "Service busy", "the database is busy: try again", {"Retry-After": "1"})
    return unexpected(request, exc)


def unexpected(request: Request, exc: Exception) -> Response:
    log.exception("unexpected error on %s %s", request.method, request.url.path)
    return _problem_response(500, "Internal error", "the service failed: nothing was changed")


def problem_plugin() -> ProblemDetailsPlugin:
    return ProblemDetailsPlugin(
        ProblemDetailsConfig(
            enable_for_all_http_exceptions=True,
            exception_to_problem_detail_map={DomainError: from_domain_error},
        )
    )


def out_of_range(request: Request, exc: OverflowError) -> Response:
    """A date or number beyond what the calendar or a column can hold (e.g. a report to 9999-12-31)."""
    return _problem_response(400, "Bad request", "a date or number in the request is out of range")


def nested_too_deeply(request: Request, exc: RecursionError) -> Response:
    """JSON nested hundreds deep: no request body of this API is more than a few levels."""
    return _problem_response(400, "Bad request", "the request body is nested too deeply")


def not_found(request: Request, exc: Exception) -> Response:
    return _problem_response(404, "Not found", "there is no such file")


EXCEPTION_HANDLERS = {
    DBAPIError: database_error,
    OverflowError: out_of_range,
    RecursionError: nested_too_deeply,
    Exception: unexpected,
}
__all__ = ["EXCEPTION_HANDLERS", "HTTPException", "problem_plugin"]
