"""The connection state every device runs on: online, offline, or offline and probing.

Online, the device asks the service first. After `failure_threshold` failed calls in a row it goes
offline: an outage is opened in the store's outage log and the device decides on its own. While
offline it probes the service every `probe_interval` seconds (PROBING while a probe waits for its
answer); the first answer switches it back online, closes the outage and wakes the uploads. A
restart during an outage stays offline until a probe succeeds, so the first scan or sale after a
restart does not sit through a timeout. Listeners (the screens) hear of every change.
"""

from __future__ import annotations

import asyncio
import enum
import logging
from collections.abc import Awaitable, Callable
from datetime import datetime

from admission.i18n import _
from scanner_client.core.outages import OutageLog
from scanner_client.core.remote import ServerRefused, ServerUnavailable

log = logging.getLogger(__name__)

Clock = Callable[[], datetime]
Listener = Callable[[], None]


class ConnectionState(enum.StrEnum):
    ONLINE = "online"
    OFFLINE = "offline"
    PROBING = "probing"


class Connectivity:
    def __init__(
        self,
        outages: OutageLog,
        *,
        outage_prefix: str,
        clock: Clock,
        failure_threshold: int,
        can_connect: bool,
        on_online: Listener,
        on_contact: Listener = lambda: None,
    ) -> None:
        self.outages = outages
        self.outage_prefix = outage_prefix  # outage references are `<prefix>-outage-<n>`
        self.clock = clock
        self.failure_threshold = failure_threshold
        self.consecutive_failures = 0
        self.problem: str | None = None  # shown in the status bar (e.g. "token refused")
        self._on_online = on_online
        self._on_contact = on_contact  # every answered call (core/offline_limit.py)
        self._online = asyncio.Event()
        self._offline = asyncio.Event()
        self._probing = False
        self._listeners: list[Listener] = []
        self._set_online(can_connect and outages.current_outage() is None)

    @property
    def online(self) -> bool:
        return self._online.is_set()

    @property
    def state(self) -> ConnectionState:
        if self.online:
            return ConnectionState.ONLINE
        return ConnectionState.PROBING if self._probing else ConnectionState.OFFLINE

    def on_change(self, listener: Listener) -> None:
        """Called (in the event loop) whenever the state, a queue or the sync time changes."""
        self._listeners.append(listener)

    def notify(self) -> None:
        for listener in self._listeners:
            try:
                listener()
            except Exception:
                log.exception("status listener failed")

    def record_success(self) -> None:
        self.consecutive_failures = 0
        self.problem = None
        self._on_contact()

    def record_failure(self, reason: str) -> None:
        self.consecutive_failures += 1
        log.info("server call failed (%s in a row): %s", self.consecutive_failures, reason)
        if self.online and self.consecutive_failures >= self.failure_threshold:
            self.go_offline(reason)

    def refused(self, problem: str) -> None:
        """The service answers but says no (a revoked token, a refused request): shown, not offline."""
        self.problem = problem
        self.notify()

    def go_offline(self, reason: str = "", at: datetime | None = None) -> None:
        if not self.online and self.outages.current_outage() is not None:
            return
        self.outages.open_outage(self.outage_prefix, at or self.clock())
        self._set_online(False)
        log.warning("switched to offline mode%s", f": {reason}" if reason else "")
        self.notify()

    def go_online(self, at: datetime | None = None) -> None:
        if self.online:
            return
        self.consecutive_failures = 0
        self.outages.close_outage(at or self.clock())
        self._set_online(True)
        self._on_online()
        log.warning("server answers again: switched to online mode")
        self.notify()

    async def wait_online(self) -> None:
        await self._online.wait()

    async def probe(self, ask: Callable[[], Awaitable[object]]) -> None:
        """Ask the service once; an answer switches the device online."""
        self._probing = True
        try:
            await ask()
        finally:
            self._probing = False
        self._on_contact()
        self.go_online()

    async def keep_probing(self, ask: Callable[[], Awaitable[object]], interval: float) -> None:
        """While offline, probe every `interval` seconds until the service answers; runs until cancelled."""
        while True:
            await self._offline.wait()
            try:
                await self.probe(ask)
            except ServerUnavailable:
                pass
            except ServerRefused as exc:
                self.refused(_("server refused this device: {title}").format(title=exc.title))
            else:
                continue
            await asyncio.sleep(interval)

    def _set_online(self, online: bool) -> None:
        (self._online if online else self._offline).set()
        (self._offline if online else self._online).clear()
