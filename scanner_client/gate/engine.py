"""The gate engine: one scan path for the TUI, headless mode and the CLI, online or offline.

Online, a scan is asked of the server (short timeout) so a ticket used at another gate a second
ago is caught. When the server does not answer, the same scan, with the same nonce, is decided
locally by the shared rules and queued for the batch upload; after `failure_threshold` failed
calls in a row the engine switches to offline mode, opens an outage and probes the server in the
background until it answers, then switches back, closes the outage, uploads the queue and posts
the outage. While online it long-polls the change feed.

Every background loop catches its own errors: a network failure must never end the app.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime

import msgspec

from admission.contract import BatchRequest, GateData, ScanRequest, ScanResponse
from admission.domain.codes import now_utc
from admission.domain.model import Decision, Direction, Reason, Verdict
from admission.domain.waiting import wait_event
from scanner_client.core.remote import Remote, ServerRefused, ServerUnavailable
from scanner_client.gate.passages import LocalPassage, batch_passage
from scanner_client.gate.settings import Settings
from scanner_client.gate.store import GateStore
from scanner_client.gate.verdicts import MAX_SCAN_LENGTH, Judgement, LocalJudge

log = logging.getLogger(__name__)

Clock = Callable[[], datetime]
MAX_BACKOFF = 30.0
MIN_POLL_INTERVAL = 1.0  # seconds between feed polls that brought nothing


@dataclass(frozen=True, slots=True)
class ScanOutcome:
    """What the gate shows for one scan."""

    nonce: str
    code: str
    verdict: Verdict
    reason: Reason
    message: str
    mode: str  # online | offline
    direction: Direction
    scanned_at: datetime
    entries_left: int | None = None
    template_name: str | None = None
    ticket_serial: int | None = None
    override: bool = False

    @property
    def admitted(self) -> bool:
        return self.verdict is Verdict.ADMIT

    def as_json(self) -> dict[str, object]:
        return {
            "verdict": self.verdict.value,
            "reason": self.reason.value,
            "message": self.message,
            "mode": self.mode,
            "nonce": self.nonce,
            "direction": self.direction.value,
            "template": self.template_name,
            "entries_left": self.entries_left,
            "scanned_at": self.scanned_at.isoformat(),
            "override": self.override,
        }


@dataclass
class SyncReport:
    uploaded: int = 0
    conflicts: int = 0
    refused: int = 0
    changes: int = 0
    outages_posted: int = 0
    errors: list[str] = field(default_factory=list)


class GateNotKnown(RuntimeError):
    pass


class GateEngine:
    def __init__(
        self,
        store: GateStore,
        settings: Settings,
        remote: Remote | None,
        *,
        clock: Clock = now_utc,
    ) -> None:
        self.store = store
        self.settings = settings
        self.remote = remote
        self.clock = clock
        self.judge = LocalJudge(store)
        self.consecutive_failures = 0
        self.problem: str | None = None  # shown in the status bar (e.g. "token refused")
        self._scan_lock = asyncio.Lock()
        self._online_event = asyncio.Event()
        self._offline_event = asyncio.Event()
        self._upload_wanted = asyncio.Event()
        self._listeners: list[Callable[[], None]] = []
        store.mark_interrupted()
        # A restart during an outage stays offline until the server answers a probe.
        if remote is not None and store.current_outage() is None:
            self._set_online(True)
        else:
            self._set_online(False)

    # ------------------------------------------------------------------ state ----------

    @property
    def online(self) -> bool:
        return self._online_event.is_set()

    @property
    def mode(self) -> str:
        return "online" if self.online else "offline"

    @property
    def direction(self) -> Direction:
        return self.settings.direction

    @direction.setter
    def direction(self, value: Direction) -> None:
        self.settings.direction = value
        self.store.set_config(direction=value.value)

    def on_change(self, listener: Callable[[], None]) -> None:
        """Called (in the event loop) whenever online state, queue or sync time changes."""
        self._listeners.append(listener)

    def _notify(self) -> None:
        for listener in self._listeners:
            try:
                listener()
            except Exception:
                log.exception("status listener failed")

    def _set_online(self, online: bool) -> None:
        if online:
            self._offline_event.clear()
            self._online_event.set()
        else:
            self._online_event.clear()
            self._offline_event.set()

    def gate(self) -> GateData:
        gate = self.store.gate(self.settings.gate)
        if gate is None:
            raise GateNotKnown(f"gate {self.settings.gate!r} is not in the synced data")
        return gate

    def _record_success(self) -> None:
        self.consecutive_failures = 0
        self.problem = None

    def _record_failure(self, reason: str) -> None:
        self.consecutive_failures += 1
        log.info("server call failed (%s in a row): %s", self.consecutive_failures, reason)
        if self.online and self.consecutive_failures >= self.settings.failure_threshold:
            self.go_offline()

    def go_offline(self, at: datetime | None = None) -> None:
        if not self.online and self.store.current_outage() is not None:
            return
        self.store.open_outage(self.settings.device, at or self.clock())
        self._set_online(False)
        log.warning("switched to offline mode")
        self._notify()

    def go_online(self, at: datetime | None = None) -> None:
        if self.online:
            return
        self.consecutive_failures = 0
        self.store.close_outage(at or self.clock())
        self._set_online(True)
        self._upload_wanted.set()
        log.warning("server answers again: switched to online mode")
        self._notify()

    # ------------------------------------------------------------------ scans ----------

    async def scan(self, raw: str, direction: Direction | None = None) -> ScanOutcome:
        """Decide one scan. The passage is committed to the store before this returns."""
        async with self._scan_lock:
            direction = direction or self.direction
            at = self.clock()
            code = printable_code(raw)
            gate = self.gate()
            if self.online and self.remote is not None:
                outcome = await self._scan_online(code, gate, direction, at)
            else:
                outcome = self._scan_offline(code, gate, direction, at)
        self._notify()
        return outcome

    async def _scan_online(
        self, code: str, gate: GateData, direction: Direction, at: datetime
    ) -> ScanOutcome:
        assert self.remote is not None
        nonce = self.store.begin_passage(
            device=self.settings.device, code=code, gate=gate, direction=direction, scanned_at=at
        )
        request = ScanRequest(code=code, gate=gate.name, nonce=nonce, direction=direction, scanned_at=at)
        try:
            response = await self.remote.scan(request)
        except ServerUnavailable as exc:
            self._record_failure(str(exc))
        except ServerRefused as exc:
            # The server is up but would not take this scan (e.g. the token was revoked): the
            # gate still decides, and the passage waits in the queue where it stays visible.
            self.problem = f"server refused the scan: {exc.title}"
            if exc.unauthorised:
                self.go_offline(at)
        except Exception as exc:  # a verdict must come back whatever the HTTP layer does
            log.exception("online scan failed unexpectedly")
            self._record_failure(f"unexpected error: {exc!r}")
        else:
            self._record_success()
            return self._accept_online(nonce, code, direction, response)
        return self._decide_locally(nonce, code, gate, direction, at)

    def _accept_online(
        self, nonce: str, code: str, direction: Direction, response: ScanResponse
    ) -> ScanOutcome:
        ticket = response.ticket
        decision = Decision(
            verdict=response.verdict,
            reason=response.reason,
            message=response.message,
            entries_left=ticket.entries_left if ticket else None,
        )
        serial = int(ticket.serial) if ticket else None
        template = ticket.template if ticket else None
        self.store.complete_online(
            nonce, decision, ticket_serial=serial, template_name=template, scanned_at=response.scanned_at
        )
        return ScanOutcome(
            nonce=nonce,
            code=code,
            verdict=decision.verdict,
            reason=decision.reason,
            message=decision.message,
            mode="online",
            direction=direction,
            scanned_at=response.scanned_at,
            entries_left=decision.entries_left,
            template_name=template,
            ticket_serial=serial,
        )

    def _decide_locally(
        self, nonce: str, code: str, gate: GateData, direction: Direction, at: datetime
    ) -> ScanOutcome:
        """The online call failed: decide the same scan (same nonce) here and queue it."""
        judgement = self.judge.judge(code, gate.info(), direction, at)
        outage = self.store.current_outage()
        self.store.complete_offline(
            nonce,
            judgement.decision,
            ticket_serial=judgement.ticket_serial,
            template_name=judgement.template_name,
            outage_id=outage.id if outage else None,
        )
        self._upload_wanted.set()
        return _outcome(nonce, code, judgement, direction, at, "offline")

    def _scan_offline(self, code: str, gate: GateData, direction: Direction, at: datetime) -> ScanOutcome:
        judgement = self.judge.judge(code, gate.info(), direction, at)
        outage = self.store.current_outage()
        nonce = self.store.record_local(
            device=self.settings.device,
            code=code,
            gate=gate,
            direction=direction,
            scanned_at=at,
            decision=judgement.decision,
            ticket_serial=judgement.ticket_serial,
            template_name=judgement.template_name,
            outage_id=outage.id if outage else None,
        )
        return _outcome(nonce, code, judgement, direction, at, "offline")

    def preview(self, raw: str, direction: Direction | None = None) -> Judgement:
        """The local verdict for a code, recording nothing (for checking decoded images)."""
        return self.judge.judge(
            raw[:MAX_SCAN_LENGTH], self.gate().info(), direction or self.direction, self.clock()
        )

    # ------------------------------------------------------------------ overrides ------

    async def override_admit(self, rejected: ScanOutcome, reason: str) -> ScanOutcome:
        """A supervisor admits a rejected ticket: a new passage, sent with its override reason."""
        if rejected.admitted:
            raise ValueError("only a rejected scan can be overridden to admit")
        decision = Decision(
            verdict=Verdict.ADMIT, reason=rejected.reason, message=f"Admitted by supervisor: {reason}"
        )
        return await self._record_override(rejected, decision, reason)

    async def turn_away(self, admitted: ScanOutcome, reason: str) -> ScanOutcome:
        """A supervisor sends someone away after an ADMIT: the admitted passage is annulled (the
        ticket stays unused) and the turn-away is recorded as a REJECT `turned_away`."""
        if not admitted.admitted:
            raise ValueError("only an admitted scan can be turned away")
        self.store.request_annul(admitted.nonce)
        decision = Decision(
            verdict=Verdict.REJECT, reason=Reason.TURNED_AWAY, message=f"Turned away by supervisor: {reason}"
        )
        return await self._record_override(admitted, decision, reason)

    async def _record_override(self, original: ScanOutcome, decision: Decision, reason: str) -> ScanOutcome:
        async with self._scan_lock:
            at = self.clock()
            outage = None if self.online else self.store.current_outage()
            nonce = self.store.record_local(
                device=self.settings.device,
                code=original.code,
                gate=self.gate(),
                direction=original.direction,
                scanned_at=at,
                decision=decision,
                ticket_serial=original.ticket_serial,
                template_name=original.template_name,
                source="override",
                override_reason=reason,
                outage_id=outage.id if outage else None,
            )
        self._upload_wanted.set()
        self._notify()
        return ScanOutcome(
            nonce=nonce,
            code=original.code,
            verdict=decision.verdict,
            reason=decision.reason,
            message=decision.message,
            mode=self.mode,
            direction=original.direction,
            scanned_at=at,
            template_name=original.template_name,
            ticket_serial=original.ticket_serial,
            override=True,
        )

    # ------------------------------------------------------------------ sync -----------

    async def pull_changes(self, wait: float = 0, limit: int = 5000) -> int:
        """Fetch the feed until it has nothing more; returns the number of changes applied."""
        assert self.remote is not None
        applied = 0
        while True:
            page = await self.remote.changes(self.store.cursor, limit=limit, wait=wait)
            self.store.apply_changes(page.changes, page.cursor, synced_at=self.clock())
            applied += len(page.changes)
            self._notify()
            if not page.more:
                return applied
            wait = 0  # the rest of a backlog comes at once

    async def push_queue(self, report: SyncReport | None = None) -> SyncReport:
        """Upload every queued passage, then owed annulments and outage reports."""
        assert self.remote is not None
        report = report or SyncReport()
        size = max(1, min(self.settings.batch_size, 5000))
        while batch := self.store.queued(size):
            await self._send(batch, report)
            self._notify()
        for passage in self.store.annulments_due():
            try:
                await self.remote.annul(passage.nonce)
            except ServerRefused as exc:
                report.errors.append(f"annulment of {passage.nonce} refused: {exc}")
                self.store.set_annul_state(passage.nonce, "failed")
            else:
                self.store.set_annul_state(passage.nonce, "done")
        for outage in self.store.outages_to_post():
            final = outage.registered_at is not None
            await self.remote.post_outage(outage.report())
            self.store.mark_outage_posted(outage.id, final)
            report.outages_posted += 1
        self._notify()
        return report

    async def _send(self, batch: Sequence[LocalPassage], report: SyncReport) -> None:
        assert self.remote is not None
        request = BatchRequest(device=self.settings.device, passages=[batch_passage(p) for p in batch])
        try:
            response = await self.remote.batch(request)
        except ServerRefused as exc:
            if exc.unauthorised or exc.status in (404, 405):
                raise
            # One malformed passage must not block the queue forever: split until it is found.
            if len(batch) == 1:
                self.store.refuse(batch[0].nonce, str(exc), self.clock())
                report.refused += 1
                return
            middle = len(batch) // 2
            await self._send(batch[:middle], report)
            await self._send(batch[middle:], report)
            return
        self.store.acknowledge(response.results, self.clock())
        report.uploaded += len(response.results)
        report.conflicts += sum(1 for r in response.results if r.status == "conflict")

    async def sync_once(self) -> SyncReport:
        """Push the queue and pull the feed once (the `scanner-client sync` command)."""
        report = SyncReport()
        try:
            await self.remote_probe()
            await self.push_queue(report)
            report.changes = await self.pull_changes()
        except (ServerUnavailable, ServerRefused) as exc:
            report.errors.append(str(exc))
        return report

    async def remote_probe(self) -> None:
        """One cheap authenticated call; switches to online mode when it succeeds."""
        assert self.remote is not None
        await self.remote.me(time_limit=self.settings.scan_timeout + 1.0)
        self.go_online()

    # ------------------------------------------------------------------ background -----

    async def run(self) -> None:
        """The background loops (feed, upload, probe); runs until cancelled, never raises."""
        if self.remote is None:
            return
        await asyncio.gather(
            self._guarded(self._feed_loop),
            self._guarded(self._upload_loop),
            self._guarded(self._probe_loop),
        )

    async def _guarded(self, loop: Callable[[], Awaitable[None]]) -> None:
        while True:
            try:
                await loop()
                return
            except asyncio.CancelledError:
                raise
            except Exception:  # a bug in one loop must not stop the gate: log, pause, restart
                log.exception("background loop %s failed; restarting", loop.__name__)
                await asyncio.sleep(1.0)

    async def _feed_loop(self) -> None:
        backoff = 1.0
        while True:
            await self._online_event.wait()
            started = time.monotonic()
            try:
                applied = await self.pull_changes(wait=self.settings.feed_wait)
            except ServerUnavailable as exc:
                self._record_failure(f"feed: {exc}")
            except ServerRefused as exc:
                self.problem = f"feed refused: {exc.title}"
                self._notify()
            else:
                self._record_success()
                backoff = 1.0
                # A server that answers an empty long-poll at once (wait unsupported or set to 0)
                # must not be polled in a tight loop.
                idle = MIN_POLL_INTERVAL - (time.monotonic() - started)
                if not applied and idle > 0:
                    await asyncio.sleep(idle)
                continue
            await asyncio.sleep(backoff)
            backoff = min(backoff * 2, MAX_BACKOFF)

    async def _upload_loop(self) -> None:
        backoff = 1.0
        while True:
            await wait_event(self._upload_wanted, 5.0)
            self._upload_wanted.clear()
            if not self.online or (self.store.queued_count() == 0 and not self._owed_besides_queue()):
                continue
            try:
                await self.push_queue()
            except ServerUnavailable as exc:
                self._record_failure(f"upload: {exc}")
            except ServerRefused as exc:
                self.problem = f"upload refused: {exc.title}"
                self._notify()
            else:
                self._record_success()
                backoff = 1.0
                continue
            await asyncio.sleep(backoff)
            backoff = min(backoff * 2, MAX_BACKOFF)
            self._upload_wanted.set()

    def _owed_besides_queue(self) -> bool:
        return bool(self.store.annulments_due() or self.store.outages_to_post())

    async def _probe_loop(self) -> None:
        while True:
            await self._offline_event.wait()
            try:
                await self.remote_probe()
            except ServerUnavailable:
                pass
            except ServerRefused as exc:
                self.problem = f"server refused this device: {exc.title}"
                self._notify()
            else:
                continue
            await asyncio.sleep(self.settings.probe_interval)


def printable_code(raw: str) -> str:
    """The code as scanned, made storable everywhere: cut to the contract's limit (longer input is
    noise anyway), without NUL characters or unpaired surrogates, which PostgreSQL text and JSON
    cannot carry. The verdict is not affected: such input is never a ticket code."""
    code = raw[:MAX_SCAN_LENGTH].replace("\x00", "\ufffd")
    return code.encode("utf-8", "replace").decode("utf-8")


def _outcome(
    nonce: str, code: str, judgement: Judgement, direction: Direction, at: datetime, mode: str
) -> ScanOutcome:
    decision = judgement.decision
    return ScanOutcome(
        nonce=nonce,
        code=code,
        verdict=decision.verdict,
        reason=decision.reason,
        message=decision.message,
        mode=mode,
        direction=direction,
        scanned_at=at,
        entries_left=decision.entries_left,
        template_name=judgement.template_name,
        ticket_serial=judgement.ticket_serial,
    )


def encode_outcome(outcome: ScanOutcome) -> bytes:
    return msgspec.json.encode(outcome.as_json())
