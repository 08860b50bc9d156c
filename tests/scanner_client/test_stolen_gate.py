"""What a stolen gate or till PC gives away: its files are its user's only, the device token
lives in a file of its own, the store keeps no ticket number in clear (only slow keyed hashes,
docs/security.md), and old receipts and printed tickets are removed after the days configured."""

from __future__ import annotations

import os
import stat
import time
from pathlib import Path

from admission.domain.codes import new_ticket_number, now_utc
from admission.domain.model import Direction, GateInfo, Verdict
from scanner_client.core.retention import purge_older_than
from scanner_client.gate.settings import Settings, open_store
from scanner_client.gate.verdicts import LocalJudge
from tests.scanner_client.client_support import VenueSnapshot, enrolled_settings
from tests.scanner_client.test_store_migrations import old_gate_store

MAIN = GateInfo(name="Main", zone="park")


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def store_bytes(folder: Path) -> bytes:
    return b"".join(p.read_bytes() for p in folder.iterdir() if p.name.startswith("scanner.sqlite3"))


def test_a_new_gate_store_its_folder_and_its_token_are_for_its_user_only(tmp_path: Path) -> None:
    folder = tmp_path / "gate"
    store = open_store(folder)
    enrolled_settings(token="adm_gate_s3cret").save(store)
    VenueSnapshot().apply(store)  # writes: the -wal and -shm files exist now
    assert mode(folder) == 0o700
    for path in folder.iterdir():
        assert mode(path) == 0o600, path.name
    assert {p.name for p in folder.iterdir()} >= {"scanner.sqlite3", "scanner.sqlite3-wal", "scanner.token"}
    assert Settings.load(store).token == "adm_gate_s3cret"
    store.close()
    assert b"adm_gate_s3cret" not in store_bytes(folder)


def test_the_gate_store_holds_no_ticket_number_yet_decides_typed_numbers(tmp_path: Path) -> None:
    venue = VenueSnapshot()
    tickets = [venue.issue(VenueSnapshot.SINGLE) for _ in range(20)]
    store = open_store(tmp_path)
    venue.apply(store)
    judge = LocalJudge(store)
    judged = judge.judge(tickets[3].number, MAIN, Direction.IN, now_utc())
    assert judged.decision.verdict is Verdict.ADMIT and judged.ticket_serial == tickets[3].serial
    unknown = judge.judge(new_ticket_number(), MAIN, Direction.IN, now_utc())
    assert unknown.decision.message == "Unknown ticket number"
    store.close()
    raw = store_bytes(tmp_path)
    for ticket in tickets:
        assert ticket.number.encode() not in raw


def test_a_store_of_release_0_1_gives_up_its_token_and_ticket_numbers(tmp_path: Path) -> None:
    venue = VenueSnapshot()
    tickets = [venue.issue(VenueSnapshot.SINGLE, in_snapshot=False) for _ in range(5)]
    old = old_gate_store(tmp_path, venue)
    old.executemany(
        "INSERT INTO tickets(serial, number, template_id, void, entries_carried) VALUES (?, ?, 1, 0, 0)",
        [(t.serial, t.number) for t in tickets],
    )
    old.close()
    token = enrolled_settings().token
    assert token.encode() in store_bytes(tmp_path) and tickets[0].number.encode() in store_bytes(tmp_path)

    store = open_store(tmp_path)
    assert Settings.load(store).token == token and store.get_config("token") is None
    assert mode(tmp_path / "scanner.token") == 0o600 and store.cursor == 0  # the feed is read again
    venue.apply(store)  # the resync brings the numbers' hashes
    store.close()
    raw = store_bytes(tmp_path)
    assert token.encode() not in raw
    assert not [t.number for t in tickets if t.number.encode() in raw]


def test_receipts_and_printed_tickets_older_than_the_days_kept_are_removed(tmp_path: Path) -> None:
    out = tmp_path / "out"
    old_receipt = out / "receipts" / "2026-01-02" / "sale-1-receipt.pdf"
    old_ticket = out / "tickets" / "2026-01-02" / "sale-1-01-123.png"
    recent = out / "receipts" / "today" / "sale-2-receipt.pdf"
    for path in (old_receipt, old_ticket, recent):
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(b"x")
    month_ago = time.time() - 31 * 86400
    for path in (old_receipt, old_ticket):
        os.utime(path, (month_ago, month_ago))
    removed = purge_older_than(out, days=30)
    assert sorted(removed) == sorted([old_receipt, old_ticket])
    assert recent.exists() and not (out / "tickets").exists()  # emptied day folders go too
    assert purge_older_than(tmp_path / "missing", days=30) == []
