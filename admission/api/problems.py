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
from sqlalchemy.exc import IntegrityError, OperationalError

from admission.services.errors import ServiceError

log = logging.getLogger("admission.api")


def _problem(status: int, title: str, detail: str) -> ProblemDetailsException:
    return ProblemDetailsException(status_code=status, title=title, detail=detail)


def from_service_error(exc: ServiceError) -> ProblemDetailsException:
    return _problem(exc.status, exc.title, exc.detail)


def from_integrity_error(_: IntegrityError) -> ProblemDetailsException:
    return _problem(409, "Conflict", "this conflicts with existing data (a duplicate?): nothing was changed")


def busy_database(request: Request, exc: OperationalError) -> Response:
    log.warning("database busy on %s %s: %s", request.method, request.url.path, exc.orig)
    body = {"title": "Service busy", "status": 503, "detail": "the database is busy: try again in a moment"}
    return Response(
        body, status_code=503, media_type="application/problem+json", headers={"Retry-After": "1"}
    )


def unexpected(request: Request, exc: Exception) -> Response:
    log.exception("unexpected error on %s %s", request.method, request.url.path)
    body = {"title": "Internal error", "status": 500, "detail": "the service failed: nothing was changed"}
    return Response(body, status_code=500, media_type="application/problem+json")


def problem_plugin() -> ProblemDetailsPlugin:
    return ProblemDetailsPlugin(
        ProblemDetailsConfig(
            enable_for_all_http_exceptions=True,
            exception_to_problem_detail_map={
                ServiceError: from_service_error,
                IntegrityError: from_integrity_error,
            },
        )
    )


EXCEPTION_HANDLERS = {OperationalError: busy_database, Exception: unexpected}
__all__ = ["EXCEPTION_HANDLERS", "HTTPException", "problem_plugin"]
