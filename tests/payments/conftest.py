"""Payment routines at the service: the demo venue (each configured backend) and its API."""

import pytest
from rich.console import Console

from admission.cli import payments as payments_cli
from tests.box_office.conftest import client

__all__ = ["client"]


@pytest.fixture(autouse=True)
def wide_console(monkeypatch: pytest.MonkeyPatch) -> None:
    """Tables printed wide enough that no cell wraps."""
    monkeypatch.setattr(payments_cli, "console", Console(width=250))
