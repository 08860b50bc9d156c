"""An ASGI app factory that fails, for the supervisor's start-up failure test."""

from __future__ import annotations


def create() -> object:
    raise RuntimeError("this app cannot start")
