"""Errors a use case raises for the caller's fault; the API turns them into problem details."""

from __future__ import annotations


class ServiceError(Exception):
    status = 400
    title = "Bad request"

    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.detail = detail


class NotFoundError(ServiceError):
    status = 404
    title = "Not found"


class ConflictError(ServiceError):
    status = 409
    title = "Conflict"


class InvalidRequestError(ServiceError):
    status = 422
    title = "Invalid request"


class ForbiddenError(ServiceError):
    status = 403
    title = "Forbidden"
