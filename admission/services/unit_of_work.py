"""Units of work: each use case runs in one transaction, and what it changed takes effect
outside the database only once that transaction has committed.

A use case notes on its session what its changes mean for the running worker (`after_commit`):
the change feed grew, so long-polling readers are to be woken; tokens were revoked, so the
worker's token cache is to forget. The unit of work carries those effects out after a commit,
never after a rollback: nobody is woken for a change that did not happen.

A write that lost a race with a concurrent one (a re-sent request inserting the same nonce a
moment earlier, a serialization failure) is run once more, in a fresh transaction: there it
sees what the other committed and answers as if the two had come one after the other. Every
attempt is a whole transaction, rolled back entirely when it fails, so running one again is
always safe.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from contextlib import asynccontextmanager
from typing import Concatenate, Literal, ParamSpec, TypeVar

from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from admission.db.engine import Database

P = ParamSpec("P")
T = TypeVar("T")

Effect = Literal["feed_grew", "tokens_revoked"]
UseCase = Callable[Concatenate[AsyncSession, P], Awaitable[T]]

_EFFECTS = "admission.after_commit"
_SERIALIZATION_FAILURE = "40001"  # SQLSTATE: PostgreSQL could not serialise the transaction
ATTEMPTS = 2


def after_commit(session: AsyncSession, effect: Effect) -> None:
    """Note that `effect` must follow once the session's transaction commits."""
    effects: set[Effect] = session.info.setdefault(_EFFECTS, set())
    effects.add(effect)


def lost_a_race(exc: BaseException) -> bool:
    """A concurrent writer got there first; the same work in a new transaction will see it."""
    if isinstance(exc, IntegrityError):
        return True
    return isinstance(exc, DBAPIError) and getattr(exc.orig, "sqlstate", None) == _SERIALIZATION_FAILURE


class UnitOfWork:
    """Transactions for use cases, and the effects of those that commit (see the module's text)."""

    def __init__(self, db: Database, effects: Mapping[Effect, Callable[[], None]] | None = None) -> None:
        self._db = db
        self._effects = dict(effects or {})

    async def write(self, use_case: UseCase[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
        """`use_case(session, ...)` in a write transaction, run again once if it lost a race."""
        for _ in range(ATTEMPTS - 1):
            try:
                return await self._write_once(use_case, *args, **kwargs)
            except DBAPIError as exc:
                if not lost_a_race(exc):
                    raise
        return await self._write_once(use_case, *args, **kwargs)

    async def read(self, use_case: UseCase[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
        """`use_case(session, ...)` in a read transaction (on SQLite one that never takes the write lock)."""
        async with self.reading() as session:
            return await use_case(session, *args, **kwargs)

    async def _write_once(self, use_case: UseCase[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
        async with self.writing() as session:
            return await use_case(session, *args, **kwargs)

    @asynccontextmanager
    async def writing(self) -> AsyncIterator[AsyncSession]:
        """One write transaction, committed when the block ends, rolled back if it raises."""
        async with self._db.session() as session:
            yield session
        self._committed(session)

    @asynccontextmanager
    async def reading(self) -> AsyncIterator[AsyncSession]:
        async with self._db.read_session() as session:
            yield session

    def _committed(self, session: AsyncSession) -> None:
        for effect in session.info.pop(_EFFECTS, ()):
            run = self._effects.get(effect)
            if run is not None:
                run()
