"""Lease tests use the box office's fixtures: the demo venue with an in-process API client."""

from tests.box_office.conftest import client

__all__ = ["client"]
