"""Crash test: SIGKILL the headless client at random moments while it scans and uploads, with the
server coming and going; afterwards the server and the local store agree. Every verdict the
client printed is registered exactly once, and the server holds nothing the store does not know.
"""

from __future__ import annotations

import contextlib
import json
import os
import random
import signal
import subprocess
import threading
import time
from pathlib import Path
from typing import Any

import pytest

from admission.demo import DemoVenue
from scanner_client.gate.settings import open_store
from tests.scanner_client.live_support import CLIENT, cli, client_env, enroll, server_scans
from tests.support.databases import fresh_database
from tests.support.live_server import LiveServer
from tests.support.venues import seed

ROUNDS = 14


def run_until_killed(data_dir: Path, codes: list[str], kill_after: float) -> list[dict[str, Any]]:
    """Feed codes to a headless client and SIGKILL it after `kill_after` seconds."""
    process = subprocess.Popen(
        [*CLIENT, "--data-dir", str(data_dir), "gate", "--headless", "--drain-seconds", "30"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        env=client_env(),
        start_new_session=True,
    )
    assert process.stdin is not None and process.stdout is not None
    shown: list[dict[str, Any]] = []

    def feed() -> None:
        assert process.stdin is not None
        try:
            for code in codes:
                process.stdin.write(code.encode() + b"\n")
                process.stdin.flush()
                time.sleep(random.uniform(0.0, 0.01))
            process.stdin.close()
        except (BrokenPipeError, ValueError, OSError):
            pass

    def read() -> None:
        assert process.stdout is not None
        for line in process.stdout:
            with contextlib.suppress(json.JSONDecodeError):  # the last line may be cut by the kill
                shown.append(json.loads(line))

    threads = [threading.Thread(target=feed, daemon=True), threading.Thread(target=read, daemon=True)]
    for thread in threads:
        thread.start()
    time.sleep(kill_after)
    os.killpg(process.pid, signal.SIGKILL)
    process.wait()
    threads[1].join(timeout=5)
    return shown


@pytest.mark.slow
def test_sigkill_while_scanning_and_uploading_loses_and_duplicates_nothing(tmp_path: Path) -> None:
    rng = random.Random(int(os.environ.get("CRASH_SEED", "20261125")))
    random.seed(rng.random())
    with fresh_database("sqlite", tmp_path, "crash", None) as url:
        venue: DemoVenue = seed(url, tmp_path, tickets_per_template=40)
        server = LiveServer(venue)
        server.start()
        try:
            data = tmp_path / "gate"
            enroll(data, server, venue)
            pool = (
                [t.number for t in venue.tickets] + [t.code for t in venue.tickets] + ["garbage", "\x00\x01"]
            )
            shown: list[dict[str, Any]] = []
            server_up = True
            for round_number in range(ROUNDS):
                # The server comes and goes; a round that starts after an outage uploads the backlog
                # while it scans, so kills land in uploads too.
                if rng.random() < 0.35:
                    if server_up:
                        server.stop(kill=rng.random() < 0.5)
                    else:
                        server.start()
                    server_up = not server_up
                codes = [rng.choice(pool) for _ in range(rng.randint(50, 400))]
                shown += run_until_killed(data, codes, kill_after=rng.uniform(0.3, 2.5))
                assert shown, f"round {round_number}: the client printed nothing"
            if not server_up:
                server.start()
            for _ in range(3):  # what the last kills left in the queue goes up now
                cli(data, "sync")
            recorded = server_scans(venue)
        finally:
            server.stop()

    nonces_on_server = [s.nonce for s in recorded if s.device == "gate-main"]
    assert len(nonces_on_server) == len(set(nonces_on_server))
    by_nonce = {s.nonce: s for s in recorded}
    store = open_store(data)
    try:
        local = {p.nonce: p for p in store.passages(100_000)}
        assert store.queued_count() == 0
    finally:
        store.close()
    offline_shown = killed_before_marked_shown = 0
    for answer in shown:
        nonce = answer["nonce"]
        assert nonce in local, f"{nonce} was shown but is not in the store"
        assert nonce in by_nonce, f"{nonce} was shown but never registered"
        offline_shown += answer["mode"] == "offline"
        if answer["mode"] == "offline" and local[nonce].source == "interrupted":
            # Killed after printing, before the 'shown' commit: recorded as nobody passed (README).
            assert by_nonce[nonce].verdict == "reject"
            killed_before_marked_shown += 1
            continue
        assert by_nonce[nonce].verdict == answer["verdict"]
    decided_locally = {n for n, p in local.items() if p.verdict is not None}
    interrupted = {n for n, p in local.items() if p.source == "interrupted"}
    # Everything decided here is on the server; the server has nothing the store never saw.
    assert decided_locally <= set(nonces_on_server)
    assert set(nonces_on_server) <= decided_locally | interrupted
    assert offline_shown > 0 and len(shown) > offline_shown  # both paths were exercised
    statuses = [p.server_status for p in local.values()]
    print(
        f"\ncrash test: {len(shown)} verdicts shown ({offline_shown} offline), {len(local)} passages in the store, "
        f"{len(interrupted)} interrupted ({killed_before_marked_shown} of them printed first), "
        f"{statuses.count('duplicate')} re-sent after a lost acknowledgement"
    )
