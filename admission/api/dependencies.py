"""What request handlers are given by Litestar's dependency injection.

A handler names what it needs and gets just that: `uow` (the unit of work its use case runs
in), `keys`, `scans`, `scan_catalog`, `notifier`, `settings`, and `caller`, the device whose
token authenticated the request. Declared once, on the app; a handler's parameter is marked
with the alias below for its name (`uow: Uow`, `caller: Caller`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeAlias

from litestar import Request
from litestar.datastructures import State
from litestar.di import NamedDependency, Provide

from admission.api.worker import worker_of
from admission.config import Settings
from admission.services.catalog import ScanCatalogCache
from admission.services.devices import Principal
from admission.services.feed import ChangeNotifier
from admission.services.keys import KeyRing
from admission.services.scan_queue import ScanQueue
from admission.services.unit_of_work import UnitOfWork

Uow: TypeAlias = NamedDependency[UnitOfWork]
Keys: TypeAlias = NamedDependency[KeyRing]
Scans: TypeAlias = NamedDependency[ScanQueue]
ScanCatalogue: TypeAlias = NamedDependency[ScanCatalogCache]
Notifier: TypeAlias = NamedDependency[ChangeNotifier]
Caller: TypeAlias = NamedDependency[Principal]


def provide_uow(state: State) -> UnitOfWork:
    return worker_of(state).uow


def provide_keys(state: State) -> KeyRing:
    return worker_of(state).keys


def provide_scans(state: State) -> ScanQueue:
    return worker_of(state).scans


def provide_scan_catalog(state: State) -> ScanCatalogCache:
    return worker_of(state).scan_catalog


def provide_notifier(state: State) -> ChangeNotifier:
    return worker_of(state).notifier


def provide_settings(state: State) -> Settings:
    return worker_of(state).settings


def provide_caller(request: Request) -> Principal:
    """The authentication middleware has set the caller on every request that reaches a handler."""
    user = request.user
    assert isinstance(user, Principal)
    return user


# Plain functions, called in the event loop: none of them waits for anything.
_PROVIDERS: dict[str, Callable[..., object]] = {
    "uow": provide_uow,
    "keys": provide_keys,
    "scans": provide_scans,
    "scan_catalog": provide_scan_catalog,
    "notifier": provide_notifier,
    "settings": provide_settings,
    "caller": provide_caller,
}
DEPENDENCIES = {name: Provide(provider, sync_to_thread=False) for name, provider in _PROVIDERS.items()}
