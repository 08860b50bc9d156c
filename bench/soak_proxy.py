"""The soak's network: a small fault-injecting TCP proxy between the clients and the service.

Every client (each gate, the box office) gets a `Link` of its own: a listening port on
127.0.0.1 that forwards to the service's port. A link injects three kinds of trouble:

- **chaos on every request and answer**: a request dropped before it reaches the service
  (connection reset), an answer dropped after the service has done the work (the request went
  through, the connection is reset before a byte of the answer comes back), or either delayed
  by 0.1-3 s;
- **blackholes**: for an offline period nothing goes through in either direction. New
  connections are accepted and then hang, data already in flight is held. When the period ends
  each held connection is either reset or resumed, a resumed one only after a random 0-4 s more
  (its sender's next TCP retransmission), while new connections pass at once: some requests
  reach the service well after their sender gave up on them and has asked again on a fresh
  connection, as TCP delivers data a broken path held back;
- **refusals**: the link stops listening (connection refused) and resets what it carried;
- **outages mid-request**: a blackhole that begins just as a request is about to go through,
  longer than its sender waits, so the sender gives up on a request that may still arrive.

When the service itself is down, a link resets every connection it accepts.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import socket
import struct
import time
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime

READ_SIZE = 65536
RETRANSMIT_SECONDS = 4.0  # a connection held by a blackhole resumes up to this much after the path
UPSTREAM_CONNECT_SECONDS = 5.0


@dataclass
class Chaos:
    """Per-request and per-answer fault probabilities (each chunk a side sends is one draw)."""

    drop_request: float = 0.02
    drop_answer: float = 0.02
    delay_request: float = 0.05
    delay_answer: float = 0.03
    min_delay: float = 0.1
    max_delay: float = 3.0

    def scaled(self, factor: float) -> Chaos:
        return Chaos(
            drop_request=self.drop_request * factor,
            drop_answer=self.drop_answer * factor,
            delay_request=self.delay_request * factor,
            delay_answer=self.delay_answer * factor,
            min_delay=self.min_delay,
            max_delay=self.max_delay,
        )


def reset(writer: asyncio.StreamWriter) -> None:
    """Close a connection with a TCP reset (SO_LINGER 0), as a broken path or dead host does."""
    sock = writer.get_extra_info("socket")
    if sock is not None:
        with contextlib.suppress(OSError):
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    writer.transport.abort()


class Link:
    """One client's path to the service: its own port, its own faults and offline periods."""

    def __init__(self, name: str, upstream_port: int, rng: random.Random, chaos: Chaos) -> None:
        self.name = name
        self.upstream_port = upstream_port
        self.rng = rng
        self.chaos = chaos
        self.port = 0
        self.state = "up"  # up | blackhole | refuse
        self.open = asyncio.Event()
        self.open.set()
        self.server: asyncio.Server | None = None
        self.pipes: set[Pipe] = set()
        self.counts: Counter[str] = Counter()
        self.offline_seconds = 0.0
        self.armed: float | None = None
        self.events: list[tuple[str, str]] = []  # (UTC time, what happened), for the post-mortem
        self.tasks: set[asyncio.Task[None]] = set()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def listen(self) -> None:
        self.server = await asyncio.start_server(self._accept, "127.0.0.1", self.port, reuse_address=True)
        self.port = int(self.server.sockets[0].getsockname()[1])

    def calm(self) -> None:
        """No more chaos on this link (the soak's final phase)."""
        self.chaos = self.chaos.scaled(0.0)

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.counts["connections"] += 1
        pipe = Pipe(self, reader, writer)
        self.pipes.add(pipe)
        try:
            await pipe.run()
        except asyncio.CancelledError:  # the soak is ending: this connection ends with it
            pipe.abort()
        except Exception:  # a pipe must never take the proxy down
            self.counts["pipe errors"] += 1
            pipe.abort()
        finally:
            pipe.finish()
            self.pipes.discard(pipe)

    def arm(self, seconds: float) -> None:
        """The next request on this link starts a blackhole of `seconds`: an outage mid-request."""
        self.armed = seconds

    def strike(self) -> None:
        """Called by a pipe about to forward a request: an armed outage begins now, holding it."""
        if self.armed is None or self.state != "up":
            return
        seconds, self.armed = self.armed, None
        self.counts["outages mid-request"] += 1
        self.note(f"outage mid-request for {seconds:.1f} s")
        self._go_dark()
        self.tasks.add(task := asyncio.create_task(self._stay_dark(seconds)))
        task.add_done_callback(self.tasks.discard)

    async def blackhole(self, seconds: float) -> None:
        """An offline period in which nothing passes; then each held connection is reset or resumed."""
        if self.state != "up":
            return
        self._go_dark()
        await self._stay_dark(seconds)

    def note(self, what: str) -> None:
        self.events.append((datetime.now(UTC).isoformat(timespec="milliseconds"), what))

    def _go_dark(self) -> None:
        self.note("blackhole begins")
        self.state = "blackhole"
        self.counts["blackholes"] += 1
        self.open.clear()

    async def _stay_dark(self, seconds: float) -> None:
        try:
            await asyncio.sleep(seconds)
        finally:
            for pipe in list(self.pipes):
                if self.rng.random() < 0.5:
                    self.counts["reset after an offline period"] += 1
                    pipe.abort()
                else:
                    self.counts["resumed after an offline period"] += 1
                    pipe.held_until = time.monotonic() + self.rng.uniform(0.0, RETRANSMIT_SECONDS)
            self.offline_seconds += seconds
            self.state = "up"
            self.open.set()
            self.note(f"blackhole ends after {seconds:.1f} s")

    async def refuse(self, seconds: float) -> None:
        """An offline period in which the link refuses connections and resets those it carried."""
        if self.state != "up" or self.server is None:
            return
        self.state = "refuse"
        self.counts["refusals"] += 1
        self.note("refusal begins")
        self.server.close()  # Python 3.11: stops listening, leaves accepted connections alone
        for pipe in list(self.pipes):
            pipe.abort()
        try:
            await asyncio.sleep(seconds)
        finally:
            self.offline_seconds += seconds
            for _attempt in range(50):  # the port is ours; a moment's TIME_WAIT must not end the soak
                try:
                    await self.listen()
                    break
                except OSError:
                    await asyncio.sleep(0.1)
            self.state = "up"
            self.note(f"refusal ends after {seconds:.1f} s")

    async def close(self) -> None:
        for task in list(self.tasks):
            task.cancel()
        if self.server is not None:
            self.server.close()
        for pipe in list(self.pipes):
            pipe.abort()
        self.open.set()


class Pipe:
    """One client connection and its upstream connection to the service."""

    def __init__(self, link: Link, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.link = link
        self.client_reader, self.client_writer = reader, writer
        self.upstream_writer: asyncio.StreamWriter | None = None
        self.answer_doomed = False  # the request went through; its answer will be cut off
        self.held_until = 0.0  # resumed after a blackhole: data flows again from this moment
        self.aborted = False

    def abort(self) -> None:
        if self.aborted:
            return
        self.aborted = True
        reset(self.client_writer)
        if self.upstream_writer is not None:
            reset(self.upstream_writer)

    def finish(self) -> None:
        """After both directions ended: close; a connection never carried upstream is reset."""
        if self.upstream_writer is None:
            self.abort()
            return
        if not self.aborted:
            self.aborted = True
            self.client_writer.close()
            self.upstream_writer.close()

    async def run(self) -> None:
        await self.link.open.wait()  # a blackholed link holds new connections before they go anywhere
        if self.aborted:
            return
        try:
            async with asyncio.timeout(UPSTREAM_CONNECT_SECONDS):
                upstream_reader, self.upstream_writer = await asyncio.open_connection(
                    "127.0.0.1", self.link.upstream_port
                )
        except (OSError, TimeoutError):
            self.link.counts["service down: reset"] += 1
            return  # finish() resets the client connection
        if self.aborted:  # reset while connecting
            reset(self.upstream_writer)
            return
        await asyncio.gather(
            self._pump(self.client_reader, self.upstream_writer, request=True),
            self._pump(upstream_reader, self.client_writer, request=False),
        )

    async def _path(self) -> None:
        """Wait while the link holds this connection: a blackhole, then the retransmission delay."""
        if not self.link.open.is_set():
            await self.link.open.wait()
        if (wait := self.held_until - time.monotonic()) > 0:
            await asyncio.sleep(wait)

    async def _pump(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, *, request: bool
    ) -> None:
        rng, counts = self.link.rng, self.link.counts
        try:
            while not self.aborted:
                try:
                    chunk = await reader.read(READ_SIZE)
                except OSError:  # this side reset: the other side learns it when the path lets it
                    await self._path()
                    self.abort()
                    return
                if not chunk:  # a close crosses a blackhole no sooner than data does
                    await self._path()
                    if not self.aborted and writer.can_write_eof():
                        writer.write_eof()
                    return
                chaos, draw = self.link.chaos, rng.random()
                if request:
                    self.link.strike()
                    if draw < chaos.drop_request:
                        counts["requests dropped"] += 1
                        self.abort()
                        return
                    draw -= chaos.drop_request
                    if draw < chaos.drop_answer:
                        counts["answers dropped"] += 1
                        self.answer_doomed = True
                    elif draw - chaos.drop_answer < chaos.delay_request:
                        counts["requests delayed"] += 1
                        await asyncio.sleep(rng.uniform(chaos.min_delay, chaos.max_delay))
                else:
                    if self.answer_doomed:
                        self.abort()
                        return
                    if draw < chaos.delay_answer:
                        counts["answers delayed"] += 1
                        await asyncio.sleep(rng.uniform(chaos.min_delay, chaos.max_delay))
                await self._path()  # held by a blackhole: maybe delivered late, maybe never
                if self.aborted:
                    return
                writer.write(chunk)
                await writer.drain()
        except (OSError, asyncio.IncompleteReadError):
            self.abort()
