"""Group commit for online scans.

A gate may act on a verdict only once the scan behind it is committed, and committed durably:
an answer the gate acted on must never be lost. Committing each scan in a transaction of its
own costs a round of statements and a durable write per scan, and on SQLite a turn of the one
write lock. So each worker runs one writer: the scans that reach it while a transaction is
running wait for that transaction to end and are then decided together, in arrival order, in
the next one (`scanning.scan_online_group`): the same rules, the same row locks, one commit
for all of them, and only then is any of them answered. A lone scan on an idle worker is
decided at once; nothing ever waits for a timer.

A group fails as a whole (a nonce that another worker committed a moment earlier, a code that
trips a bug) only into its parts: its scans are then decided one by one, so one bad scan never
fails its neighbours. A database that is down fails the group at once.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging

import msgspec
from sqlalchemy.exc import IntegrityError, InterfaceError, OperationalError

from admission.contract import ScanRequest, ScanResponse
from admission.domain.errors import DomainError
from admission.services import scanning
from admission.services.catalog import ScanCatalogCache
from admission.services.devices import Principal
from admission.services.keys import KeyRing
from admission.services.unit_of_work import UnitOfWork

log = logging.getLogger("admission.scans")

MAX_GROUP = 256  # scans per transaction: bounds the locks held and the statement sizes


class PendingScan(msgspec.Struct):
    principal: Principal
    request: ScanRequest
    answer: asyncio.Future[ScanResponse]


class ScanQueue:
    """One worker's online scans, decided and committed in groups (see the module's text)."""

    def __init__(self, uow: UnitOfWork, keys: KeyRing, catalog: ScanCatalogCache) -> None:
        self._uow = uow
        self._keys = keys
        self._catalog = catalog
        self._waiting: asyncio.Queue[PendingScan | None] = asyncio.Queue()
        self._writer: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._writer = asyncio.create_task(self._write_groups(), name="online scan writer")

    async def stop(self, grace_seconds: float = 30.0) -> None:
        """Decide what is queued, then end the writer."""
        if self._writer is None:
            return
        self._waiting.put_nowait(None)
        try:
            async with asyncio.timeout(grace_seconds):
                await asyncio.shield(self._writer)
        except TimeoutError:
            self._writer.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._writer

    async def scan(self, principal: Principal, request: ScanRequest) -> ScanResponse:
        """The verdict on one online scan, once it is committed."""
        if self._writer is None or self._writer.done():
            raise RuntimeError("the online scan writer is not running")
        answer: asyncio.Future[ScanResponse] = asyncio.get_running_loop().create_future()
        self._waiting.put_nowait(PendingScan(principal, request, answer))
        # A caller that goes away cancels its future: if its scan was not decided yet it is
        # dropped unrecorded (never acknowledged, so the gate keeps its own record of it).
        return await answer

    async def _write_groups(self) -> None:
        while True:
            first = await self._waiting.get()
            if first is None:
                return
            group = [first]
            stopping = False
            while len(group) < MAX_GROUP and not self._waiting.empty():
                pending = self._waiting.get_nowait()
                if pending is None:
                    stopping = True
                    break
                group.append(pending)
            live = [p for p in group if not p.answer.done()]
            try:
                if live:
                    await self._decide(live)
            except Exception as exc:  # the writer must outlive any failure of one group
                _settle(live, exc)
            if stopping:
                return

    async def _decide(self, group: list[PendingScan]) -> None:
        try:
            outcomes = await self._commit(group)
        except Exception as exc:
            if len(group) > 1 and not _database_failure(exc):
                for pending in group:
                    await self._decide([pending])
                return
            await self._fail(group, exc)
            return
        for pending, outcome in zip(group, outcomes, strict=True):
            if pending.answer.done():
                continue
            if isinstance(outcome, DomainError):
                pending.answer.set_exception(outcome)
            else:
                pending.answer.set_result(outcome)

    async def _commit(self, group: list[PendingScan]) -> list[ScanResponse | DomainError]:
        scans = [(p.principal, p.request) for p in group]
        # What can be read before the write transaction is: on SQLite that transaction is the
        # one writer of every worker, and each round trip in it keeps the others waiting.
        # A nonce answered in between by another worker makes the insert fail; the group then
        # splits and the lone scan finds that answer. The catalog (rules, gates) is the one
        # of the moment the group started.
        async with self._uow.reading() as session:
            stored = await scanning.stored_scans(session, [_key(p) for p in group])
            view = await self._catalog.current(session)
        # One attempt only: a group that fails is split (see `_decide`), never simply run again.
        async with self._uow.writing() as session:
            return await scanning.scan_online_group(session, self._keys, view, scans, stored)

    async def _fail(self, group: list[PendingScan], exc: Exception) -> None:
        if isinstance(exc, IntegrityError) and len(group) == 1:
            # The same nonce of the same device, committed meanwhile by another worker: its
            # answer stands (for the same scan; another scan under that nonce is refused).
            pending = group[0]
            previous = await self._uow.read(scanning.stored_scan, _key(pending))
            if previous is not None:
                if not pending.answer.done():
                    try:
                        pending.answer.set_result(scanning.replay(previous, pending.request))
                    except DomainError as refusal:
                        pending.answer.set_exception(refusal)
                return
        if not isinstance(exc, DomainError):
            log.error("online scans failed (%d in the group): %r", len(group), exc)
        _settle(group, exc)


def _key(pending: PendingScan) -> tuple[int, str]:
    return scanning.device_scope(pending.principal), pending.request.nonce


def _settle(group: list[PendingScan], exc: Exception) -> None:
    for pending in group:
        if not pending.answer.done():
            pending.answer.set_exception(exc)


def _database_failure(exc: Exception) -> bool:
    """The database itself failed (down, locked, timed out): every scan would fail alike.

    Not a refusal of one scan's data (a duplicate nonce, text the database cannot hold):
    those split the group, so only the scan at fault gets the error.
    """
    return isinstance(exc, OperationalError | InterfaceError)
