"""What one service worker holds while it runs: started with the app, stopped with it."""

from __future__ import annotations

import contextlib

import msgspec
from litestar.datastructures import State

from admission.config import Settings
from admission.db.engine import Database
from admission.services.catalog import ScanCatalogCache
from admission.services.devices import TOKENS_CHANGED, TokenAuthenticator, announce_token_change
from admission.services.feed import ChangeNotifier
from admission.services.keys import KeyRing
from admission.services.scan_queue import ScanQueue
from admission.services.unit_of_work import UnitOfWork


class Worker(msgspec.Struct, frozen=True, kw_only=True):
    """The worker's long-lived parts. Handlers are given the parts they name by dependency
    injection (`admission.api.dependencies`); only the authentication middleware, which runs
    before injection, reads the worker itself (through its `WorkerSlot`)."""

    settings: Settings
    db: Database
    uow: UnitOfWork
    keys: KeyRing
    notifier: ChangeNotifier
    scans: ScanQueue
    scan_catalog: ScanCatalogCache
    tokens: TokenAuthenticator

    @classmethod
    async def start(cls, settings: Settings) -> Worker:
        db = Database(settings.database_url)
        changed_file = settings.data_dir / TOKENS_CHANGED
        async with db.read_session() as session:
            if settings.upstream:  # a venue hub signs nothing: the centre's public keys only
                keys = await KeyRing.load_public(session, changed_file)
            else:
                keys = await KeyRing.load(session, settings.data_dir, changed_file)
        notifier = ChangeNotifier(db)
        await notifier.start()
        tokens = TokenAuthenticator(settings.token_cache_seconds, changed_file)

        def tokens_revoked() -> None:  # this worker at once, the others at their next request
            tokens.forget()
            keys.forget()  # a revoked device's keys too: its codes are judged anew
            with contextlib.suppress(OSError):  # a read-only folder: the others wait out their cache
                announce_token_change(settings.data_dir)

        # What a committed change means for this worker: its long polls wake, its tokens and
        # keys are reread.
        uow = UnitOfWork(db, {"feed_grew": notifier.poke, "tokens_revoked": tokens_revoked})
        scan_catalog = ScanCatalogCache()
        scans = ScanQueue(uow, keys, scan_catalog)
        scans.start()
        return cls(
            settings=settings,
            db=db,
            uow=uow,
            keys=keys,
            notifier=notifier,
            scans=scans,
            scan_catalog=scan_catalog,
            tokens=tokens,
        )

    async def stop(self) -> None:
        await self.scans.stop()
        await self.notifier.stop()
        await self.db.dispose()


class WorkerSlot:
    """Where an app finds its worker: the lifespan starts it after the app (and its dependency
    providers) were made, and stops it before the app goes."""

    def __init__(self) -> None:
        self._worker: Worker | None = None

    @property
    def worker(self) -> Worker:
        assert self._worker is not None, "the app's lifespan starts the worker"
        return self._worker

    def fill(self, worker: Worker | None) -> None:
        self._worker = worker


def slot_of(state: State) -> WorkerSlot:
    slot = state.worker_slot
    assert isinstance(slot, WorkerSlot)
    return slot
