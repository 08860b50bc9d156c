"""What one service worker holds while it runs, reachable from every request."""

from __future__ import annotations

from zoneinfo import ZoneInfo

import msgspec
from litestar import Request

from admission.config import Settings
from admission.db.engine import Database
from admission.services.catalog import ScanCatalogCache
from admission.services.devices import Principal, TokenAuthenticator
from admission.services.feed import ChangeNotifier
from admission.services.keys import KeyRing
from admission.services.scan_queue import ScanQueue


class Runtime(msgspec.Struct, kw_only=True):
    settings: Settings
    db: Database
    keys: KeyRing
    notifier: ChangeNotifier
    scans: ScanQueue
    catalog: ScanCatalogCache
    tokens: TokenAuthenticator


def runtime(request: Request) -> Runtime:
    value = request.app.state.runtime
    assert isinstance(value, Runtime)
    return value


def principal(request: Request) -> Principal:
    user = request.user
    assert isinstance(user, Principal)
    return user


def venue_zone(name: str) -> ZoneInfo:
    return ZoneInfo(name)
