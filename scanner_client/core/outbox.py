"""The outbox: records made on the device (passages, sales) reach the service exactly once.

Each record is committed with a nonce made on the device before anything leaves it, and leaves
the queue only when the service has acknowledged it. The service keeps nonces for good, so
re-sending after a lost answer or a crash registers nothing twice. A record the service refuses
(4xx) is set aside, flagged for a person, so that it never blocks the records behind it: a
refused batch is split in halves until the refused record is found. A refusal that concerns the
device rather than a record (its token, an endpoint the service lacks) stops the upload instead.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from typing import Generic, TypeVar

from scanner_client.core.remote import ServerRefused
from scanner_client.core.report import SyncReport

Record = TypeVar("Record")


class Outbox(Generic[Record]):
    def __init__(
        self,
        *,
        pending: Callable[[int], Sequence[Record]],
        post: Callable[[Sequence[Record], SyncReport], Awaitable[None]],
        set_aside: Callable[[Record, ServerRefused], None],
        batch_size: int,
        device_refusals: frozenset[int] = frozenset({401, 403}),
        on_progress: Callable[[], None] = lambda: None,
    ) -> None:
        """`pending(n)`: the oldest n queued records; `post(batch, report)`: send them and store
        the service's acknowledgement; `set_aside(record, refusal)`: take a refused record out of
        the queue, kept and flagged."""
        self.pending = pending
        self.post = post
        self.set_aside = set_aside
        self.batch_size = max(1, batch_size)
        self.device_refusals = device_refusals
        self.on_progress = on_progress

    async def flush(self, report: SyncReport) -> None:
        """Upload every queued record, oldest first, a batch at a time."""
        while batch := self.pending(self.batch_size):
            await self._send(batch, report)
            self.on_progress()

    async def _send(self, batch: Sequence[Record], report: SyncReport) -> None:
        try:
            await self.post(batch, report)
        except ServerRefused as exc:
            if exc.status in self.device_refusals:
                raise
            if len(batch) == 1:
                self.set_aside(batch[0], exc)
                report.refused += 1
                return
            middle = len(batch) // 2
            await self._send(batch[:middle], report)
            await self._send(batch[middle:], report)
