"""Headless protocol (stdin lines in, JSON lines out) and the CLI commands that need no server."""

from __future__ import annotations

import asyncio
import io
import json
from pathlib import Path

from admission.barcodes import qr_png
from admission.domain.model import Direction
from scanner_client.gate.engine import GateEngine
from scanner_client.gate.headless import MAX_LINE, run_headless
from scanner_client.gate.settings import Settings
from scanner_client.gate.store import GateStore
from tests.scanner_client.client_support import VenueSnapshot
from tests.scanner_client.live_support import cli
from tests.support.live_server import free_port


async def run_lines(store: GateStore, data: bytes, direction: Direction | None = None) -> list[dict[str, object]]:
    engine = GateEngine(store, Settings.load(store), remote=None)
    out = io.StringIO()
    assert await run_headless(engine, io.BytesIO(data), out, direction=direction) == 0
    return [json.loads(line) for line in out.getvalue().splitlines()]


async def test_one_json_answer_per_code_line_in_order(store: GateStore, venue: VenueSnapshot) -> None:
    ticket = venue.issue(VenueSnapshot.SINGLE)
    venue.apply(store)
    answers = await run_lines(store, f"{ticket.number}\r\n\n   \n{ticket.code}\n".encode())
    assert [(a["verdict"], a["reason"], a["mode"]) for a in answers] == [
        ("admit", "ok", "offline"),
        ("reject", "already_used", "offline"),
    ]
    assert set(answers[0]) >= {"verdict", "reason", "message", "mode", "nonce"}
    assert [a["nonce"] for a in answers] == ["gate-pc-1-1", "gate-pc-1-2"]
    stored = store.passage("gate-pc-1-2")
    assert stored is not None and stored.upload  # committed and queued before it was printed


async def test_noise_is_answered_invalid_and_never_stops_the_gate(store: GateStore, venue: VenueSnapshot) -> None:
    ticket = venue.issue(VenueSnapshot.SINGLE)
    venue.apply(store)
    noise = b"\xff\xfe\x00\x01garbage\x1b[0m\n" + b"9" * (3 * MAX_LINE) + b"\n" + b"\x00" * 50 + b"\n"
    answers = await run_lines(
        store, noise + ticket.number.encode() + b"\n"
    )  # no newline at the end is fine too
    assert [a["reason"] for a in answers] == ["invalid", "invalid", "invalid", "ok"]
    assert all(isinstance(a["message"], str) and a["message"] for a in answers)
    codes = [p.code for p in store.passages(10)]
    assert all("\x00" not in c and len(c) <= 2000 for c in codes)


async def test_direction_option(store: GateStore, venue: VenueSnapshot) -> None:
    ticket = venue.issue(VenueSnapshot.SINGLE)
    venue.apply(store)
    (answer,) = await run_lines(store, ticket.number.encode(), direction=Direction.OUT)
    assert (answer["direction"], answer["message"]) == ("out", "Exit")


def enrolled_store_dir(store: GateStore, data_dir: Path, server_url: str) -> Path:
    """The fixture's store, pointed at `server_url`, closed so a subprocess can open it."""
    settings = Settings.load(store)
    settings.server_url = server_url
    settings.failure_threshold = 1
    settings.save(store)
    store.close()
    return data_dir


def test_headless_process_without_a_server_works_offline(
    store: GateStore, venue: VenueSnapshot, data_dir: Path
) -> None:
    ticket = venue.issue(VenueSnapshot.TRIPLE)
    venue.apply(store)
    folder = enrolled_store_dir(store, data_dir, f"http://127.0.0.1:{free_port()}")  # nobody listens there
    done = cli(folder, "gate", "--headless", stdin=f"{ticket.number}\n{ticket.number}\nnot-a-ticket\n")
    assert done.returncode == 0, done.stderr
    answers = [json.loads(line) for line in done.stdout.splitlines()]
    assert [(a["mode"], a["reason"]) for a in answers] == [
        ("offline", "ok"),
        ("offline", "ok"),
        ("offline", "invalid"),
    ]
    assert answers[1]["entries_left"] == 1
    status = cli(folder, "status", "--no-probe")
    assert "unsynced      3 passages" in status.stdout and "t0ken" not in status.stdout + status.stderr


def test_decode_images_checks_without_recording(
    store: GateStore, venue: VenueSnapshot, data_dir: Path, tmp_path: Path
) -> None:
    ticket = venue.issue(VenueSnapshot.SINGLE)
    venue.apply(store)
    folder = enrolled_store_dir(store, data_dir, f"http://127.0.0.1:{free_port()}")
    image = tmp_path / "ticket.png"
    image.write_bytes(qr_png(ticket.code))
    blank = tmp_path / "blank.txt"
    blank.write_text("not an image")
    done = cli(folder, "decode", str(image), str(blank))
    assert done.returncode == 0, done.stderr
    assert "ADMIT ok" in done.stdout and "cannot read" in done.stdout
    recorded = cli(folder, "decode", "--scan", str(image))
    assert "ADMIT ok" in recorded.stdout and "offline" in recorded.stdout
    again = cli(folder, "decode", str(image))
    assert "REJECT already_used" in again.stdout  # the --scan run recorded the passage


def test_enroll_reports_an_unreachable_server_clearly(tmp_path: Path) -> None:
    done = cli(
        tmp_path / "new",
        "enroll",
        "--server",
        f"http://127.0.0.1:{free_port()}",
        "--token",
        "secret-token-123",
        "--gate",
        "Main",
    )
    assert done.returncode == 4
    assert "cannot reach the server" in done.stderr and "secret-token-123" not in done.stdout + done.stderr
    not_enrolled = cli(tmp_path / "new", "gate", "--headless", stdin="")
    assert not_enrolled.returncode == 5 and "not enrolled" in not_enrolled.stderr


async def test_watched_folder_images_are_scanned_once(
    store: GateStore, venue: VenueSnapshot, tmp_path: Path
) -> None:
    ticket = venue.issue(VenueSnapshot.SINGLE)
    venue.apply(store)
    folder = tmp_path / "inbox"
    folder.mkdir()
    (folder / "photo.png").write_bytes(qr_png(ticket.code))
    (folder / "notes.txt").write_text("ignored: not an image")
    engine = GateEngine(store, Settings.load(store), remote=None)
    out = io.StringIO()
    task = asyncio.create_task(run_headless(engine, io.BytesIO(b""), out, watch=folder))
    try:
        for _ in range(200):
            if out.getvalue():
                break
            await asyncio.sleep(0.02)
        (folder / "again.png").write_bytes(qr_png(ticket.code))
        for _ in range(200):
            if len(out.getvalue().splitlines()) == 2:
                break
            await asyncio.sleep(0.02)
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
    answers = [json.loads(line) for line in out.getvalue().splitlines()]
    assert [(a["image"], a["reason"]) for a in answers] == [
        ("photo.png", "ok"),
        ("again.png", "already_used"),
    ]
    assert sorted(p.name for p in (folder / "done").iterdir()) == ["again.png", "photo.png"]
    assert (folder / "notes.txt").exists()
