"""The gate's local store: the device's one store (core/store.py) with its passage log.

Every scan made at this device is a row of `passages`: committed before its verdict is shown,
and, where it was decided here, waiting in the upload queue (upload = 1) until the service
acknowledges it. The row stays as history, with the service's answer (conflicts, refusals).
A passage decided here is recorded as unseen and marked shown once its verdict has reached the
person at the gate; until then it is not uploaded, and after a crash it counts as not admitted.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from datetime import UTC, datetime

from admission.contract import BatchResult, GateData
from admission.domain.model import AdmittedPassage, Decision, Direction, Reason, Verdict
from scanner_client.core.database import epoch, instant
from scanner_client.core.store import LocalStore
from scanner_client.gate.passages import INTERRUPTED_MESSAGE, PASSAGE_COLUMNS, GateCounters, LocalPassage


class GateStore(LocalStore):
    """All local state of one gate device. Not thread-safe: use it from one thread."""

    def _annulled_in_feed(self, db: sqlite3.Connection, nonces: Sequence[str]) -> None:
        # One of ours annulled elsewhere (or by our own request): it no longer counts here either.
        db.executemany(
            "UPDATE passages SET annulled = 1, annul_state = CASE WHEN annul_state IS NULL "
            "THEN NULL ELSE 'done' END WHERE nonce = ?",
            [(n,) for n in nonces],
        )

    def admitted_passages(self, serial: int) -> list[AdmittedPassage]:
        """Every admitted, unannulled passage of a ticket known here: from the feed and from this
        device's own log (which holds offline passages the server has not seen yet)."""
        found: dict[str, AdmittedPassage] = {}
        for nonce, gate, zone, from_zone, direction, scanned_at in self._db.execute(
            "SELECT nonce, gate, zone, from_zone, direction, scanned_at FROM feed_passages "
            "WHERE ticket_serial = ? UNION ALL "
            "SELECT nonce, gate, zone, from_zone, direction, scanned_at FROM passages "
            "WHERE ticket_serial = ? AND verdict = 'admit' AND annulled = 0",
            (serial, serial),
        ):
            found[nonce] = AdmittedPassage(
                gate_name=gate,
                zone=zone,
                from_zone=from_zone,
                direction=Direction(direction),
                scanned_at=instant(scanned_at),
            )
        return list(found.values())

    def begin_passage(
        self, *, device: str, code: str, gate: GateData, direction: Direction, scanned_at: datetime
    ) -> str:
        """Reserve a nonce and record that a scan is being asked online; returns the nonce.

        Committed before the request leaves, so a nonce is never reused after a crash."""
        with self.transaction() as db:
            seq = self.next_number(db, "passage")
            nonce = f"{device}-{seq}"
            db.execute(
                "INSERT INTO passages(seq, nonce, code, gate, zone, from_zone, direction, scanned_at, "
                "source) VALUES (?,?,?,?,?,?,?,?, 'pending')",
                (seq, nonce, code, gate.name, gate.zone, gate.from_zone, direction.value, epoch(scanned_at)),
            )
        return nonce

    def complete_online(
        self,
        nonce: str,
        decision: Decision,
        *,
        ticket_serial: int | None,
        template_name: str | None,
        scanned_at: datetime,
    ) -> None:
        """The server decided and registered this scan."""
        with self.transaction() as db:
            db.execute(
                "UPDATE passages SET source = 'online', verdict = ?, reason = ?, message = ?, "
                "entries_left = ?, ticket_serial = ?, template_name = ?, scanned_at = ?, upload = 0, "
                "server_status = 'online', server_verdict = ?, server_reason = ?, acked_at = ? "
                "WHERE nonce = ?",
                (
                    *_decided(decision),
                    ticket_serial,
                    template_name,
                    epoch(scanned_at),
                    decision.verdict.value,
                    decision.reason.value,
                    epoch(datetime.now(UTC)),
                    nonce,
                ),
            )

    def complete_offline(
        self,
        nonce: str,
        decision: Decision,
        *,
        ticket_serial: int | None,
        template_name: str | None,
        outage_id: int | None,
    ) -> None:
        """The server did not answer: this scan was decided here and waits for the upload."""
        with self.transaction() as db:
            db.execute(
                "UPDATE passages SET source = 'offline', verdict = ?, reason = ?, message = ?, "
                "entries_left = ?, ticket_serial = ?, template_name = ?, upload = 1, unseen = 1, "
                "outage_id = ? WHERE nonce = ?",
                (*_decided(decision), ticket_serial, template_name, outage_id, nonce),
            )
            self._count_offline(db, outage_id, "passages_offline")

    def record_local(
        self,
        *,
        device: str,
        code: str,
        gate: GateData,
        direction: Direction,
        scanned_at: datetime,
        decision: Decision,
        ticket_serial: int | None,
        template_name: str | None,
        source: str = "offline",
        override_reason: str | None = None,
        outage_id: int | None = None,
    ) -> str:
        """Record a scan decided here (offline, or a supervisor's override) in one commit, as not
        yet shown (see mark_shown)."""
        with self.transaction() as db:
            seq = self.next_number(db, "passage")
            nonce = f"{device}-{seq}"
            db.execute(
                "INSERT INTO passages(seq, nonce, code, gate, zone, from_zone, direction, scanned_at, "
                "source, ticket_serial, template_name, verdict, reason, message, entries_left, "
                "override_reason, upload, unseen, outage_id) "
                "VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,1,1,?)",
                (
                    seq, nonce, code, gate.name, gate.zone, gate.from_zone, direction.value,
                    epoch(scanned_at), source, ticket_serial, template_name, *_decided(decision),
                    override_reason, outage_id,
                ),
            )  # fmt: skip
            self._count_offline(db, outage_id, "passages_offline")
        return nonce

    def give_up(self, nonce: str, message: str, outage_id: int | None) -> None:
        """An online scan got no answer and the gate may not decide offline (its offline limit):
        nobody passed. Uploaded as such, so the service annuls it should it have admitted it."""
        with self.transaction() as db:
            db.execute(
                "UPDATE passages SET source = 'interrupted', verdict = ?, reason = ?, message = ?, "
                "entries_left = NULL, upload = 1, unseen = 0, outage_id = ? WHERE nonce = ?",
                (Verdict.REJECT.value, Reason.TURNED_AWAY.value, message[:300], outage_id, nonce),
            )

    def mark_shown(self, nonce: str) -> None:
        """The verdict of a passage decided here has reached the person at the gate: from now on
        it is what happened, and it may be uploaded."""
        with self.transaction() as db:
            db.execute("UPDATE passages SET unseen = 0 WHERE nonce = ? AND unseen = 1", (nonce,))

    def mark_interrupted(self) -> int:
        """At start-up, scans the gate stopped on before anyone saw a verdict: those whose online
        answer never came back, and those decided here but never shown. Nobody saw a verdict, so
        nobody passed. They are uploaded as such: if the server did admit one, it annuls that
        admission, and the ticket is not used up by a scan that let nobody in."""
        with self.transaction() as db:
            return db.execute(
                "UPDATE passages SET source = 'interrupted', verdict = ?, reason = ?, message = ?, "
                "entries_left = NULL, upload = 1, unseen = 0 WHERE source = 'pending' OR unseen = 1",
                (Verdict.REJECT.value, Reason.TURNED_AWAY.value, INTERRUPTED_MESSAGE),
            ).rowcount

    def passage(self, nonce: str) -> LocalPassage | None:
        row = self._db.execute(f"SELECT {PASSAGE_COLUMNS} FROM passages WHERE nonce = ?", (nonce,)).fetchone()
        return None if row is None else LocalPassage.from_row(row)

    def passages(self, limit: int = 1000) -> list[LocalPassage]:
        return self._select("ORDER BY seq DESC LIMIT ?", limit)

    def queued(self, limit: int) -> list[LocalPassage]:
        """The upload queue. A verdict not yet shown is held back: it may still become 'nobody
        passed' if the gate stops before showing it."""
        return self._select("WHERE upload = 1 AND unseen = 0 ORDER BY seq LIMIT ?", limit)

    def queued_count(self) -> int:
        """Passages not yet on the server, counting those still waiting to be shown."""
        return int(self._db.execute("SELECT count(*) FROM passages WHERE upload = 1").fetchone()[0])

    def flagged(self, limit: int = 1000) -> list[LocalPassage]:
        """Conflicts, refused uploads and annulments still owed to the server."""
        return self._select(
            "WHERE server_status IN ('conflict', 'refused') OR annul_state IN ('pending', 'failed') "
            "ORDER BY seq DESC LIMIT ?",
            limit,
        )

    def _select(self, where: str, *params: object) -> list[LocalPassage]:
        rows = self._db.execute(f"SELECT {PASSAGE_COLUMNS} FROM passages {where}", params).fetchall()
        return [LocalPassage.from_row(r) for r in rows]

    def acknowledge(self, results: Sequence[BatchResult], at: datetime) -> None:
        """The server's answers to a batch: these passages leave the queue. One it refused (another
        gate's, a nonce it knows for another scan) is kept, flagged, with the server's reason."""
        with self.transaction() as db:
            db.executemany(
                "UPDATE passages SET upload = 0, server_status = ?, server_verdict = ?, server_reason = ?, "
                "acked_at = ? WHERE nonce = ? AND upload = 1",
                [
                    (r.status, None, (r.detail or "refused")[:300], epoch(at), r.nonce)
                    if r.status == "refused"
                    else (r.status, r.verdict.value, r.reason.value, epoch(at), r.nonce)
                    for r in results
                ],
            )
            self._settle_outages(db, at)

    def refuse(self, nonce: str, problem: str, at: datetime) -> None:
        """The server refused this passage as malformed: keep it, flagged, out of the queue (a
        passage that can never be accepted must not block every later one)."""
        with self.transaction() as db:
            db.execute(
                "UPDATE passages SET upload = 0, server_status = 'refused', server_reason = ?, acked_at = ? "
                "WHERE nonce = ?",
                (problem[:300], epoch(at), nonce),
            )
            self._settle_outages(db, at)

    def request_annul(self, nonce: str) -> None:
        """The person did not pass (turned away after an ADMIT): the passage stops counting here at
        once, and the annulment is owed to the server."""
        with self.transaction() as db:
            db.execute("UPDATE passages SET annulled = 1, annul_state = 'pending' WHERE nonce = ?", (nonce,))
            db.execute("DELETE FROM feed_passages WHERE nonce = ?", (nonce,))

    def annulments_due(self) -> list[LocalPassage]:
        """Annulments the server can take now: the passage itself has been registered."""
        return self._select(
            "WHERE annul_state = 'pending' AND upload = 0 AND source != 'interrupted' ORDER BY seq"
        )

    def set_annul_state(self, nonce: str, state: str) -> None:
        with self.transaction() as db:
            db.execute("UPDATE passages SET annul_state = ? WHERE nonce = ?", (state, nonce))

    def counters(self, gate: str, since: datetime) -> GateCounters:
        admitted = rejected = entered = exited = 0
        for verdict, direction, annulled, count in self._db.execute(
            "SELECT verdict, direction, annulled, count(*) FROM passages "
            "WHERE scanned_at >= ? AND gate = ? AND verdict IS NOT NULL GROUP BY 1, 2, 3",
            (epoch(since), gate),
        ):
            if verdict == Verdict.ADMIT.value and not annulled:
                admitted += count
                if direction == Direction.IN.value:
                    entered += count
                else:
                    exited += count
            else:
                rejected += count
        return GateCounters(admitted=admitted, rejected=rejected, entered=entered, exited=exited)


def _decided(decision: Decision) -> tuple[str, str, str, int | None]:
    """The decision's columns: verdict, reason, message, entries_left."""
    return decision.verdict.value, decision.reason.value, decision.message, decision.entries_left
