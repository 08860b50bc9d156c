"""Errors a use case raises when the rules refuse the caller's request.

They say what is wrong and what to do, never how it travels: the API maps each kind to its
HTTP status (`admission.api.problems`), the CLI prints the message and exits 2.
"""

from __future__ import annotations


class DomainError(Exception):
    """A request the rules refuse; the message is meant for the person who sent it."""

    # A problem `code` a client acts on (where the detail alone is words for a person).
    code: str | None = None

    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.detail = detail


class InvalidRequestError(DomainError):
    """Well-formed, but the rules do not allow it (a bad value, an impossible combination)."""


class NotFoundError(DomainError):
    """What the request names does not exist."""


class ConflictError(DomainError):
    """It clashes with what is already there (a duplicate name, a sold-out event, a used nonce)."""


class ForbiddenError(DomainError):
    """This caller may not do it, whatever its role in general allows."""


class UnknownTicketError(NotFoundError):
    """A number or code, typed or scanned, names no ticket: a miss, which the look-up limits count."""


class UnreadableTicketError(InvalidRequestError):
    """What was given is no ticket number or code at all (a wrong check digit, a forged code).
    Not a miss for the look-up limits: it tells a guesser nothing it could not compute itself."""


class InvalidRuleError(InvalidRequestError):
    """A custom rule that cannot be saved; `pointer` is the JSON pointer to the offending part
    within the request (e.g. `/custom_rule/and/1/==/0/var`)."""

    def __init__(self, detail: str, pointer: str) -> None:
        super().__init__(detail)
        self.pointer = pointer
