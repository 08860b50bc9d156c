"""ASGI entry point for uvicorn workers: settings come from the environment."""

from __future__ import annotations

from litestar import Litestar

from admission.api.app import create_app
from admission.config import Settings


def create() -> Litestar:
    return create_app(Settings.load())
