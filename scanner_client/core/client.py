"""What every device is besides its own business: its store, the service, the connection state,
the feed it follows, the outage reports it owes and the background loops that keep them in step.

The gate (gate/engine.py) and the till (till/till.py) extend it with scans and sales. Every
background loop catches its own errors: a network failure, or a bug in one loop, must never end
the app.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable
from datetime import datetime
from pathlib import Path
from typing import Generic, TypeVar

from admission.domain.codes import now_utc
from admission.i18n import _
from scanner_client.core.connectivity import Clock, ConnectionState, Connectivity, Listener
from scanner_client.core.feed import FeedFollower
from scanner_client.core.health import HealthReporter
from scanner_client.core.offline_limit import OfflineClock
from scanner_client.core.remote import Remote, ServerRefused, ServerUnavailable
from scanner_client.core.report import SyncReport
from scanner_client.core.revocation import revoked_words
from scanner_client.core.store import LocalStore

log = logging.getLogger(__name__)

MAX_BACKOFF = 30.0

StoreT = TypeVar("StoreT", bound=LocalStore)
RemoteT = TypeVar("RemoteT", bound=Remote)
Loop = Callable[[], Awaitable[None]]


class ClientCore(Generic[StoreT, RemoteT]):
    def __init__(
        self,
        store: StoreT,
        remote: RemoteT | None,
        *,
        outage_prefix: str,
        clock: Clock = now_utc,
        failure_threshold: int,
        probe_interval: float,
        feed_wait: float,
        probe_time_limit: float | None = None,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.store = store
        self.remote = remote
        self.clock = clock
        self.probe_interval = probe_interval
        self.feed_wait = feed_wait
        self.probe_time_limit = probe_time_limit
        self.sync_wanted = asyncio.Event()  # set when something waits to be uploaded
        self.offline_clock = OfflineClock(store, clock, monotonic)
        self.connectivity = Connectivity(
            store,
            outage_prefix=outage_prefix,
            clock=clock,
            failure_threshold=failure_threshold,
            can_connect=remote is not None,
            on_online=self.sync_wanted.set,
            on_contact=self.offline_clock.contact,
        )
        self._feed = None if remote is None else FeedFollower(store, remote, clock=clock, on_page=self.notify)
        self.health = HealthReporter(clock)
        self.revoked_at = store.revoked_at
        self._stopped = asyncio.Event()  # set when the device learns it was revoked: the loops end
        if remote is not None:
            remote.on_device_revoked = self.learn_revoked
            remote.on_server_change = self._server_changed

    @property
    def revoked(self) -> bool:
        return self.revoked_at is not None

    def revoked_words(self) -> str:
        """What the person at the device reads once it was revoked, and what to do next."""
        return revoked_words(self.store.revoked_kept)

    def learn_revoked(self) -> None:
        """The service says this device was revoked: save what was not yet uploaded, wipe the
        store and the token, stop the background loops (core/revocation.py)."""
        if self.revoked_at is not None:
            return
        at = self.clock()
        kept = self.save_unsent(at)
        self.store.wipe(at, kept)
        self.forget_files()
        self.revoked_at = at
        self.problem = _("device revoked")
        log.warning("the service says this device was revoked: its store was wiped")
        self._stopped.set()
        self.notify()

    def save_unsent(self, at: datetime) -> list[Path]:
        """Before a wipe: write the records not yet uploaded where a person can register them;
        returns the files written. A device with such records overrides this."""
        return []

    def forget_files(self) -> None:
        """After a wipe: remove what the device keeps beside its store (the till's signing key)."""

    @property
    def online(self) -> bool:
        return self.connectivity.online

    @property
    def server(self) -> str | None:
        """The URL of the server in use (None: no server configured)."""
        return None if self.remote is None else self.remote.server

    def server_words(self) -> str | None:
        """For the status line: which server answers this device, when it knows more than one."""
        if self.remote is None or len(self.remote.servers) < 2:
            return None
        return _("server {position} of {count}: {url}").format(
            position=self.remote.current + 1, count=len(self.remote.servers), url=self.remote.server
        )

    def _server_changed(self) -> None:
        assert self.remote is not None
        log.warning("now using server %s", self.remote.server)
        self.notify()

    @property
    def state(self) -> ConnectionState:
        return self.connectivity.state

    @property
    def problem(self) -> str | None:
        """What the service refused lately, in words for the status bar."""
        return self.connectivity.problem

    @problem.setter
    def problem(self, value: str | None) -> None:
        self.connectivity.problem = value

    def on_change(self, listener: Listener) -> None:
        self.connectivity.on_change(listener)

    def notify(self) -> None:
        self.connectivity.notify()

    def go_offline(self, reason: str = "", at: datetime | None = None) -> None:
        self.connectivity.go_offline(reason, at)

    def go_online(self, at: datetime | None = None) -> None:
        self.connectivity.go_online(at)

    async def probe(self) -> None:
        """One cheap authenticated call; switches to online mode when it succeeds."""
        await self.connectivity.probe(self._ask_service)

    async def _ask_service(self) -> None:
        assert self.remote is not None
        await self.remote.me(time_limit=self.probe_time_limit, from_top=True)

    async def pull_changes(self, wait: float = 0) -> int:
        """Fetch the feed until it has nothing more; returns the number of changes applied."""
        assert self._feed is not None
        return await self._feed.pull(wait=wait)

    async def follow_feed(self) -> bool:
        """One long poll of the feed (see FeedFollower.follow)."""
        assert self._feed is not None
        await self._feed.follow(self.feed_wait)
        return True

    async def post_outages(self, report: SyncReport) -> None:
        """Tell the service of ended outages: when they end, and finally once registered."""
        assert self.remote is not None
        self.store.settle_outages(self.clock())
        for outage in self.store.outages_to_post():
            await self.remote.post_outage(outage.report())
            self.store.mark_outage_posted(outage.id, final=outage.registered_at is not None)
            report.outages_posted += 1

    async def sync(self, report: SyncReport) -> None:
        """Upload what is owed and pull the feed once (the device's own order of things)."""
        raise NotImplementedError

    def device_name(self) -> str:
        """The device's name at the service (its token's device)."""
        raise NotImplementedError

    def queue_depth(self) -> int:
        """Records not yet uploaded (passages, sales), for the fleet report."""
        raise NotImplementedError

    async def report_health_if_due(self, *, force: bool = False) -> None:
        """Report on this device to the service (fleet health) when a report is due and the
        service answers; called from the device's own sync loop. Never raises for the network."""
        if self.remote is None or not self.online or not (force or self.health.due()):
            return
        await self.health.report(
            self.remote,
            device=self.device_name(),
            queue=self.queue_depth(),
            last_sync_at=self.store.last_sync_at,
            online=self.online,
        )
        self.notify()

    async def sync_once(self) -> SyncReport:
        """One full sync for the command line: probe, then sync; errors land in the report."""
        report = SyncReport()
        if self.remote is None:
            report.errors.append("no server configured")
            return report
        if self.revoked:
            report.errors.append(self.revoked_words())
            return report
        try:
            await self.probe()
            await self.sync(report)
            await self.report_health_if_due(force=True)
        except (ServerUnavailable, ServerRefused) as exc:
            report.errors.append(self.revoked_words() if self.revoked else str(exc))
        return report

    def background_loops(self) -> list[Loop]:
        """The loops `run` keeps going; a device adds its own to the probe loop."""
        return [self._probe_loop, self._better_server_loop]

    async def run(self) -> None:
        """The background loops; runs until cancelled, never raises."""
        if self.remote is None or self.revoked:
            return
        guarded = (self._guarded(loop) for loop in self.background_loops())
        loops: asyncio.Future[object] = asyncio.ensure_future(asyncio.gather(*guarded))
        stopped: asyncio.Future[object] = asyncio.ensure_future(self._stopped.wait())
        try:
            await asyncio.wait([loops, stopped], return_when=asyncio.FIRST_COMPLETED)
        finally:
            for task in (loops, stopped):
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task

    async def _probe_loop(self) -> None:
        await self.connectivity.keep_probing(self._ask_service, self.probe_interval)

    async def _better_server_loop(self) -> None:
        """Online on a lower server of the list: every probe interval, ask the better ones."""
        assert self.remote is not None
        time_limit = self.probe_time_limit or 3.0
        while True:
            await asyncio.sleep(self.probe_interval)
            if self.online and self.remote.current > 0:
                await self.remote.try_better(time_limit)

    async def retry_while_online(self, what: str, step: Callable[[], Awaitable[bool]]) -> None:
        """Run `step` again and again while online; a failed call backs off (1 s doubling to 30 s).
        `step` returns whether it reached the service, which resets the failure count."""
        backoff = 1.0
        while True:
            await self.connectivity.wait_online()
            try:
                reached = await step()
            except ServerUnavailable as exc:
                self.connectivity.record_failure(f"{what}: {exc}")
            except ServerRefused as exc:
                self.connectivity.refused(_("{what} refused: {title}").format(what=what, title=exc.title))
            else:
                if reached:
                    self.connectivity.record_success()
                backoff = 1.0
                continue
            await asyncio.sleep(backoff)
            backoff = min(backoff * 2, MAX_BACKOFF)

    async def _guarded(self, loop: Loop) -> None:
        while True:
            try:
                await loop()
                return
            except asyncio.CancelledError:
                raise
            except Exception:  # a bug in one loop must not stop the device: log, pause, restart
                log.exception("background loop %s failed; restarting", loop.__name__)
                await asyncio.sleep(1.0)
