"""The client core's pieces on their own: the connection state machine, the outbox's bisection,
the gate's figures reader, the cleaning of scanned input and the money formatter."""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Sequence
from datetime import timedelta
from pathlib import Path

import pytest

from admission.domain.codes import MAX_SCAN_LENGTH, now_utc, printable_code
from admission.domain.model import Decision, Direction, Reason, Verdict
from scanner_client.core.connectivity import ConnectionState, Connectivity
from scanner_client.core.outbox import Outbox
from scanner_client.core.remote import ServerRefused, ServerUnavailable
from scanner_client.core.report import SyncReport
from scanner_client.gate.figures import FiguresReader
from scanner_client.gate.store import GateStore
from tests.scanner_client.client_support import DEVICE


def connectivity(store: GateStore, woken: list[str]) -> Connectivity:
    return Connectivity(
        store,
        outage_prefix=DEVICE,
        clock=now_utc,
        failure_threshold=2,
        can_connect=True,
        on_online=lambda: woken.append("online"),
    )


async def test_connection_goes_offline_after_failures_probes_and_comes_back(store: GateStore) -> None:
    woken: list[str] = []
    state = connectivity(store, woken)
    changes: list[ConnectionState] = []
    state.on_change(lambda: changes.append(state.state))
    state.record_failure("timeout")
    assert state.state is ConnectionState.ONLINE  # one failure is not yet an outage
    state.record_failure("timeout")
    assert state.state is ConnectionState.OFFLINE and store.current_outage() is not None
    state.go_offline()  # already offline: the same outage, nobody told twice
    assert len(store.outages()) == 1 and changes == [ConnectionState.OFFLINE]

    answer = asyncio.Event()
    seen_while_asking: list[ConnectionState] = []

    async def ask() -> None:
        seen_while_asking.append(state.state)
        await answer.wait()

    probe = asyncio.create_task(state.probe(ask))
    await asyncio.sleep(0)
    answer.set()
    await probe
    assert seen_while_asking == [ConnectionState.PROBING]
    assert state.state is ConnectionState.ONLINE and woken == ["online"]
    (outage,) = store.outages()
    assert outage.ended_at is not None and store.current_outage() is None


async def test_a_restart_during_an_outage_starts_offline_and_probing_keeps_trying(store: GateStore) -> None:
    store.open_outage(DEVICE, now_utc() - timedelta(minutes=1))
    state = connectivity(store, [])
    assert not state.online
    calls: list[int] = []

    async def ask() -> None:
        calls.append(1)
        if len(calls) == 1:
            raise ServerUnavailable("no answer")
        if len(calls) == 2:
            raise ServerRefused(401, "this token is unknown or revoked")

    prober = asyncio.create_task(state.keep_probing(ask, interval=0.01))
    try:
        for _ in range(200):
            if state.online:
                break
            await asyncio.sleep(0.01)
    finally:
        prober.cancel()
        await asyncio.gather(prober, return_exceptions=True)
    assert state.online and len(calls) == 3
    assert state.problem == "server refused this device: this token is unknown or revoked"


async def test_the_outbox_sets_aside_only_the_refused_records() -> None:
    queue = list(range(10))
    accepted: list[int] = []
    set_aside: list[int] = []

    async def post(batch: Sequence[int], report: SyncReport) -> None:
        if 3 in batch or 7 in batch:
            raise ServerRefused(422, "Validation failed")
        accepted.extend(batch)
        report.uploaded += len(batch)
        for record in batch:
            queue.remove(record)

    def aside(record: int, refusal: ServerRefused) -> None:
        set_aside.append(record)
        queue.remove(record)

    outbox = Outbox(pending=lambda n: queue[:n], post=post, set_aside=aside, batch_size=8)
    report = SyncReport()
    await outbox.flush(report)
    assert sorted(accepted) == [0, 1, 2, 4, 5, 6, 8, 9] and set_aside == [3, 7]
    assert (report.uploaded, report.refused, queue) == (8, 2, [])


async def test_a_refusal_of_the_device_stops_the_upload_and_keeps_the_queue() -> None:
    queue = [1, 2, 3]

    async def post(batch: Sequence[int], report: SyncReport) -> None:
        raise ServerRefused(401, "token revoked")

    outbox = Outbox(pending=lambda n: queue[:n], post=post, set_aside=lambda r, e: None, batch_size=2)
    with pytest.raises(ServerRefused):
        await outbox.flush(SyncReport())
    assert queue == [1, 2, 3]


def test_figures_are_read_on_a_read_only_connection_of_their_own(store: GateStore, data_dir: Path) -> None:
    gate = store.gate("Main")
    assert gate is not None
    store.record_local(
        device=DEVICE,
        code="c",
        gate=gate,
        direction=Direction.IN,
        scanned_at=now_utc(),
        decision=Decision(verdict=Verdict.ADMIT, reason=Reason.OK, message="Welcome"),
        ticket_serial=None,
        template_name=None,
    )
    reader = FiguresReader(store.path)
    try:
        figures = reader.figures("Main", now_utc() - timedelta(hours=1))
        assert (figures.queued, figures.counters.admitted, figures.counters.entered) == (1, 1, 1)
        assert figures.last_sync_at is not None and reader.unsynced(10).queued_total == 1
    finally:
        reader.close()
    readonly = GateStore(store.path, read_only=True)
    with pytest.raises(sqlite3.OperationalError, match="readonly"):
        readonly.set_config(direction="out")
    readonly.close()


def test_scanned_input_is_made_storable() -> None:
    assert printable_code("AB\x00C") == "AB\ufffdC"
    assert printable_code("\ud800x") == "?x"
    assert len(printable_code("9" * (MAX_SCAN_LENGTH + 50))) == MAX_SCAN_LENGTH
