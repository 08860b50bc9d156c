"""What request handlers are given by Litestar's dependency injection.

A handler names the parts of its worker it needs and gets just those: `uow` (the unit of work
its use case runs in), `keys`, `scans`, `scan_catalog`, `notifier`, `settings`; each parameter
is marked with the alias below for its name (`uow: Uow`). The caller, the device whose token
authenticated the request, is the request's user (`request: AuthenticatedRequest`), set by the
authentication middleware before any handler runs.

Cost matters on the online scan path: a provider without parameters is the cheapest one
Litestar can call (parameters are parsed per request), and Litestar resolves two or more
dependencies of one handler in a task group of their own (about 0.1 ms a request), so the scan
handler names one dependency only.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeAlias

from litestar import Request
from litestar.datastructures import State
from litestar.di import NamedDependency, Provide

from admission.api.worker import WorkerSlot
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
Config: TypeAlias = NamedDependency[Settings]
AuthenticatedRequest: TypeAlias = Request[Principal, None, State]


def dependencies(slot: WorkerSlot) -> dict[str, Provide]:
    """The providers of an app whose worker will be in `slot`."""

    def uow() -> UnitOfWork:
        return slot.worker.uow

    def keys() -> KeyRing:
        return slot.worker.keys

    def scans() -> ScanQueue:
        return slot.worker.scans

    def scan_catalog() -> ScanCatalogCache:
        return slot.worker.scan_catalog

    def notifier() -> ChangeNotifier:
        return slot.worker.notifier

    def settings() -> Settings:
        return slot.worker.settings

    providers: list[Callable[[], object]] = [uow, keys, scans, scan_catalog, notifier, settings]
    # Plain functions, called in the event loop: none of them waits for anything.
    return {p.__name__: Provide(p, sync_to_thread=False) for p in providers}
