"""The gate engine: one scan path for the TUI, headless mode and the CLI, online or offline.

Online, a scan is asked of the server (short timeout) so a ticket used at another gate a second
ago is caught. When the server does not answer, the same scan, with the same nonce, is decided
locally by the shared rules and queued for the batch upload; enough failed calls in a row switch
the gate offline (core/connectivity.py) until a probe is answered. The passages decided here go
up through the outbox, then owed annulments and outage reports; while online the engine
long-polls the change feed.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import time
from collections.abc import Callable, Sequence
from datetime import datetime
from pathlib import Path

from admission.contract import BatchRequest, GateData, ScanRequest, ScanResponse
from admission.domain.codes import MAX_SCAN_LENGTH, now_utc, printable_code
from admission.domain.model import Decision, Direction, Reason, Verdict
from admission.domain.rules import REENTRY_WORDS
from admission.domain.waiting import wait_event
from admission.i18n import _
from scanner_client.core.client import ClientCore, Loop
from scanner_client.core.connectivity import Clock
from scanner_client.core.offline_limit import OfflineAllowance
from scanner_client.core.outbox import Outbox
from scanner_client.core.remote import ServerRefused, ServerUnavailable
from scanner_client.core.report import SyncReport
from scanner_client.gate.offline_limit import LimitAlreadyExtended, offline_limit_words
from scanner_client.gate.outcome import GateNotKnown, ScanOutcome
from scanner_client.gate.passages import LocalPassage, batch_passage
from scanner_client.gate.remote import GateRemote
from scanner_client.gate.settings import Settings
from scanner_client.gate.store import GateStore
from scanner_client.gate.unsent import write_unsent
from scanner_client.gate.verdicts import Judgement, LocalJudge

log = logging.getLogger(__name__)

MAX_BATCH = 5000
# An endpoint the service lacks (404, 405) is not about one passage: no passage is set aside for it.
DEVICE_REFUSALS = frozenset({401, 403, 404, 405})


class GateEngine(ClientCore[GateStore, GateRemote]):
    def __init__(
        self,
        store: GateStore,
        settings: Settings,
        remote: GateRemote | None,
        *,
        clock: Clock = now_utc,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        super().__init__(
            store,
            remote,
            outage_prefix=settings.device,
            clock=clock,
            failure_threshold=settings.failure_threshold,
            probe_interval=settings.probe_interval,
            feed_wait=settings.feed_wait,
            probe_time_limit=settings.scan_timeout + 1.0,
            monotonic=monotonic,
        )
        self.settings = settings
        self.judge = LocalJudge(store)
        self.outbox = Outbox(
            pending=store.queued,
            post=self._post_batch,
            set_aside=lambda p, refusal: store.refuse(p.nonce, str(refusal), self.clock()),
            batch_size=min(settings.batch_size, MAX_BATCH),
            device_refusals=DEVICE_REFUSALS,
            on_progress=self.notify,
        )
        self._scan_lock = asyncio.Lock()
        self._unseen: set[str] = set()  # decided here, verdict not yet shown (see mark_shown)
        store.mark_interrupted()

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

    def gate(self) -> GateData:
        gate = self.store.gate(self.settings.gate)
        if gate is None:
            raise GateNotKnown(_("gate {gate!r} is not in the synced data").format(gate=self.settings.gate))
        return gate

    async def scan(self, raw: str, direction: Direction | None = None) -> ScanOutcome:
        """Decide one scan. The passage is committed to the store before this returns; the caller
        calls mark_shown once the verdict has reached the person at the gate."""
        async with self._scan_lock:
            direction = direction or self.direction
            at = self.clock()
            code = printable_code(raw)
            if self.revoked:
                return ScanOutcome.refused("device_revoked", code, self.revoked_words(), direction, at)
            gate = self.gate()
            if self.online and self.remote is not None:
                outcome = await self._scan_online(code, gate, direction, at)
            else:
                outcome = self._scan_offline(code, gate, direction, at)
        self.notify()
        return outcome

    def save_unsent(self, at: datetime) -> list[Path]:
        """A revoked gate's admissions not yet uploaded, as scan logs for `admission import-scans`."""
        unsent = [p for p in self.store.passages(limit=-1) if p.upload]  # LIMIT -1: every row
        return write_unsent(self.store.path.parent, self.settings.device, unsent, at)

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
            self.connectivity.record_failure(str(exc))
        except ServerRefused as exc:
            if self.revoked:  # the store is wiped: nobody passes, nothing is left to record
                return ScanOutcome.refused("device_revoked", code, self.revoked_words(), direction, at)
            # The server is up but would not take this scan (e.g. the token was replaced): the
            # gate still decides, and the passage waits in the queue where it stays visible.
            self.problem = _("server refused the scan: {title}").format(title=exc.title)
            if exc.unauthorised:
                self.go_offline(exc.title, at)
        except Exception as exc:  # a verdict must come back whatever the HTTP layer does
            log.exception("online scan failed unexpectedly")
            self.connectivity.record_failure(f"unexpected error: {exc!r}")
        else:
            self.connectivity.record_success()
            return self._accept_online(nonce, code, direction, response, gate)
        return self._decide_locally(nonce, code, gate, direction, at)

    def _accept_online(
        self, nonce: str, code: str, direction: Direction, response: ScanResponse, gate: GateData
    ) -> ScanOutcome:
        ticket = response.ticket
        decision = Decision(
            verdict=response.verdict,
            reason=response.reason,
            message=self._custom_rule_words(response, code, gate, direction),
            entries_left=ticket.entries_left if ticket else None,
            # The service speaks English; its word for a free re-entry is the only sign of one.
            reentry=response.message == REENTRY_WORDS,
        )
        judgement = Judgement(
            decision,
            ticket_serial=int(ticket.serial) if ticket else None,
            template_name=ticket.template if ticket else None,
        )
        self.store.complete_online(
            nonce,
            decision,
            ticket_serial=judgement.ticket_serial,
            template_name=judgement.template_name,
            scanned_at=response.scanned_at,
        )
        return ScanOutcome.judged(nonce, code, judgement, direction, response.scanned_at, "online")

    def _custom_rule_words(
        self, response: ScanResponse, code: str, gate: GateData, direction: Direction
    ) -> str:
        """The service's message, except for a refusal by a template's custom rule: the service
        words it in English, so the gate words the same rule, from the template it holds, in its
        own language (when its own verdict agrees; otherwise the service's words stand)."""
        if response.reason is not Reason.CUSTOM_RULE:
            return response.message
        here = self.judge.judge(code, gate.info(), direction, response.scanned_at).decision
        return here.message if here.reason is Reason.CUSTOM_RULE else response.message

    def _decide_locally(
        self, nonce: str, code: str, gate: GateData, direction: Direction, at: datetime
    ) -> ScanOutcome:
        """The online call failed: decide the same scan (same nonce) here and queue it."""
        refusal = self._past_offline_limit(code, direction, at)
        if refusal is not None:
            outage = self.store.current_outage()
            self.store.give_up(nonce, refusal.message, outage.id if outage else None)
            return refusal
        judgement = self.judge.judge(code, gate.info(), direction, at)
        outage = self.store.current_outage()
        self.store.complete_offline(
            nonce,
            judgement.decision,
            ticket_serial=judgement.ticket_serial,
            template_name=judgement.template_name,
            outage_id=outage.id if outage else None,
        )
        self._unseen.add(nonce)
        return ScanOutcome.judged(nonce, code, judgement, direction, at, "offline")

    def _scan_offline(self, code: str, gate: GateData, direction: Direction, at: datetime) -> ScanOutcome:
        refusal = self._past_offline_limit(code, direction, at)
        if refusal is not None:
            return refusal
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
        self._unseen.add(nonce)
        return ScanOutcome.judged(nonce, code, judgement, direction, at, "offline")

    def _past_offline_limit(self, code: str, direction: Direction, at: datetime) -> ScanOutcome | None:
        """Offline for longer than the venue allows: the gate decides nothing (nobody passes)."""
        allowance = self.offline_clock.allowance()
        if not allowance.reached:
            return None
        return ScanOutcome.refused("offline_limit", code, offline_limit_words(allowance), direction, at)

    def extend_offline_limit(self, reason: str) -> OfflineAllowance:
        """A supervisor (PIN checked by the screen) lets the gate admit offline for one more
        limit period, once per offline period; logged in the outage log, uploaded with it."""
        allowance = self.offline_clock.allowance()
        if allowance.extended_at is not None:
            raise LimitAlreadyExtended(_("The offline limit was extended once already: reconnect the gate."))
        if self.online and not allowance.reached:
            raise LimitAlreadyExtended(_("The gate is online: no offline limit applies."))
        at = self.clock()
        self.go_offline(_("offline limit extended by a supervisor"), at)
        outage = self.store.current_outage()
        if outage is not None:
            self.store.log_limit_extension(outage.id, at, reason)
        self.offline_clock.extend(at)
        log.warning("offline limit extended by a supervisor")
        self.notify()
        return self.offline_clock.allowance()

    def mark_shown(self, nonce: str) -> None:
        """The verdict of this scan has reached the person at the gate (on screen, printed, or
        written to the turnstile's controller). A verdict decided here counts, and is uploaded,
        only from this durable commit on: a gate that stops before it uploads the passage as not
        admitted, as for an online scan whose answer never came."""
        if nonce not in self._unseen:
            return  # decided by the service, which already holds it
        self.store.mark_shown(nonce)
        self._unseen.discard(nonce)
        self.sync_wanted.set()

    def preview(self, raw: str, direction: Direction | None = None) -> Judgement:
        """The local verdict for a code, recording nothing (for checking decoded images)."""
        return self.judge.judge(
            raw[:MAX_SCAN_LENGTH], self.gate().info(), direction or self.direction, self.clock()
        )

    async def override_admit(self, rejected: ScanOutcome, reason: str) -> ScanOutcome:
        """A supervisor admits a rejected ticket: a new passage, sent with its override reason."""
        if rejected.admitted:
            raise ValueError("only a rejected scan can be overridden to admit")
        decision = Decision(
            verdict=Verdict.ADMIT,
            reason=rejected.reason,
            message=_("Admitted by supervisor: {reason}").format(reason=reason),
        )
        return await self._record_override(rejected, decision, reason)

    async def turn_away(self, admitted: ScanOutcome, reason: str) -> ScanOutcome:
        """A supervisor sends someone away after an ADMIT: the admitted passage is annulled (the
        ticket stays unused) and the turn-away is recorded as a REJECT `turned_away`."""
        if not admitted.admitted:
            raise ValueError("only an admitted scan can be turned away")
        self.store.request_annul(admitted.nonce)
        decision = Decision(
            verdict=Verdict.REJECT,
            reason=Reason.TURNED_AWAY,
            message=_("Turned away by supervisor: {reason}").format(reason=reason),
        )
        return await self._record_override(admitted, decision, reason)

    async def _record_override(self, original: ScanOutcome, decision: Decision, reason: str) -> ScanOutcome:
        async with self._scan_lock:
            at = self.clock()
            outage = None if self.online else self.store.current_outage()
            judgement = Judgement(
                decision, ticket_serial=original.ticket_serial, template_name=original.template_name
            )
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
            self._unseen.add(nonce)
        self.notify()
        outcome = ScanOutcome.judged(nonce, original.code, judgement, original.direction, at, self.mode)
        return dataclasses.replace(outcome, override=True)

    async def push_queue(self, report: SyncReport | None = None) -> SyncReport:
        """Upload every queued passage, then owed annulments and outage reports."""
        report = report or SyncReport()
        await self.outbox.flush(report)
        await self._send_annulments(report)
        await self.post_outages(report)
        self.notify()
        return report

    async def _post_batch(self, batch: Sequence[LocalPassage], report: SyncReport) -> None:
        assert self.remote is not None
        request = BatchRequest(device=self.settings.device, passages=[batch_passage(p) for p in batch])
        response = await self.remote.batch(request)
        self.store.acknowledge(response.results, self.clock())
        refused = sum(1 for r in response.results if r.status == "refused")
        report.uploaded += len(response.results) - refused
        report.refused += refused
        report.conflicts += sum(1 for r in response.results if r.status == "conflict")

    async def _send_annulments(self, report: SyncReport) -> None:
        assert self.remote is not None
        for passage in self.store.annulments_due():
            try:
                await self.remote.annul(passage.nonce)
            except ServerRefused as exc:
                report.errors.append(
                    _("annulment of {nonce} refused: {error}").format(nonce=passage.nonce, error=exc)
                )
                self.store.set_annul_state(passage.nonce, "failed")
            else:
                self.store.set_annul_state(passage.nonce, "done")

    async def sync(self, report: SyncReport) -> None:
        await self.push_queue(report)
        report.changes = await self.pull_changes()

    def device_name(self) -> str:
        return self.settings.device

    def queue_depth(self) -> int:
        return self.store.queued_count()

    def background_loops(self) -> list[Loop]:
        return [*super().background_loops(), self._feed_loop, self._upload_loop]

    async def _feed_loop(self) -> None:
        await self.retry_while_online(_("feed"), self.follow_feed)

    async def _upload_loop(self) -> None:
        await self.retry_while_online(_("upload"), self._upload_when_wanted)

    async def _upload_when_wanted(self) -> bool:
        await self.report_health_if_due()  # at most once a minute (fleet health)
        await wait_event(self.sync_wanted, 5.0)
        self.sync_wanted.clear()
        if not self.online or not self._owes_anything():
            return False
        try:
            await self.push_queue()
        except (ServerUnavailable, ServerRefused):
            self.sync_wanted.set()  # try again after the back-off
            raise
        return True

    def _owes_anything(self) -> bool:
        return bool(self.store.queued_count() or self.store.annulments_due() or self.store.outages_to_post())
