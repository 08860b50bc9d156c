"""The gate's commands of `scanner-client`: enroll the PC, run the gate (full screen or
headless), decode images, sync once. The parser is in scanner_client/cli.py.

The device token is read from the command line (or `-` for standard input) and kept in the local
store; it is never printed or logged.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
from collections.abc import Coroutine
from pathlib import Path
from typing import Any, TypeVar

from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

from admission.domain.model import Direction, Verdict
from admission.i18n import _
from admission.i18n.formatting import number
from scanner_client.core.commands import (
    EXIT_NOT_ENROLLED,
    EXIT_REFUSED,
    EXIT_USAGE,
    console,
    exit_status,
    read_token,
)
from scanner_client.core.language import speak_at_enrolment, speak_device_language
from scanner_client.core.paths import data_dir
from scanner_client.core.remote import Remote, ServerRefused, ServerUnavailable
from scanner_client.core.servers import join_servers
from scanner_client.gate.engine import GateEngine
from scanner_client.gate.enroll import EnrollmentError, enroll
from scanner_client.gate.outcome import GateNotKnown
from scanner_client.gate.remote import GateRemote
from scanner_client.gate.settings import NotEnrolled, Settings, open_store
from scanner_client.gate.store import GateStore
from scanner_client.gate.words import direction_words

T = TypeVar("T")


def setup_logging(directory: Path, to_stderr: bool) -> None:
    directory.mkdir(parents=True, exist_ok=True)
    handlers: list[logging.Handler] = [logging.FileHandler(directory / "scanner.log", encoding="utf-8")]
    if to_stderr:
        stderr = logging.StreamHandler(sys.stderr)
        stderr.setLevel(logging.WARNING)
        handlers.append(stderr)
    logging.basicConfig(
        level=logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        handlers=handlers,
        force=True,
    )
    logging.getLogger("httpx").setLevel(logging.WARNING)  # request lines are noise at INFO


def make_engine(store: GateStore, settings: Settings) -> GateEngine:
    remote = GateRemote(settings.server_url, settings.token, scan_timeout=settings.scan_timeout)
    return GateEngine(store, settings, remote)


def load(args: argparse.Namespace) -> tuple[GateStore, Settings]:
    store = open_store(data_dir(args.data_dir))
    speak_device_language(store)
    try:
        return store, Settings.load(store)
    except NotEnrolled:
        store.close()
        raise


def _what_went_wrong(exc: ServerRefused | ServerUnavailable, server: str) -> str:
    if isinstance(exc, ServerUnavailable):
        return _("cannot reach the server at {server} ({error})").format(server=server, error=exc)
    if exc.unauthorised:
        return _("the token was refused ({error})").format(error=exc)
    return _("the server refused the request ({error})").format(error=exc)


def cmd_enroll(args: argparse.Namespace) -> int:
    token = read_token(args.token)
    if not token:
        no_token = _("No token given.")
        console.print(f"[red]{no_token}[/red]")
        return EXIT_USAGE
    directory = data_dir(args.data_dir)
    setup_logging(directory, to_stderr=False)
    store = open_store(directory)
    if (problem := speak_at_enrolment(store, args.language)) is not None:
        console.print(f"[red]{problem}[/red]")
        store.close()
        return EXIT_USAGE

    async def run() -> int:
        async with Remote(args.server, token) as remote:  # every server in the list, in order
            await remote.me()  # a wrong token or URL fails here, before any progress bar
            with Progress(
                SpinnerColumn(),
                TextColumn("{task.description}"),
                BarColumn(),
                TextColumn(_("{task.completed:,} changes")),
                TimeElapsedColumn(),
                console=console,
            ) as progress:
                task = progress.add_task(_("Pulling the snapshot"), total=None)
                result = await enroll(
                    store,
                    remote,
                    server_url=join_servers(args.server),
                    token=token,
                    gate=args.gate,
                    direction=Direction(args.direction),
                    supervisor_pin=args.supervisor_pin,
                    progress=lambda n: progress.update(task, completed=n),
                )
                progress.update(task, total=result.changes or 1, completed=result.changes or 1)
        speak_device_language(store)  # the venue's language is known now
        enrolled = _(
            "Enrolled device {device} at gate {gate} ({direction}); {tickets} tickets in the local "
            "store at {folder}."
        ).format(
            device=f"[bold]{result.device.name}[/bold]",
            gate=f"[bold]{args.gate}[/bold]",
            direction=direction_words(Direction(args.direction)),
            tickets=number(result.tickets),
            folder=directory,
        )
        console.print(f"[green]{enrolled}[/green]")
        if not store.get_config("pin_hash"):
            no_pin = _(
                "No supervisor PIN set: overrides are disabled "
                "(--supervisor-pin, or later `scanner-client set-pin`)."
            )
            console.print(f"[yellow]{no_pin}[/yellow]")
        return 0

    try:
        return asyncio.run(run())
    except (ServerRefused, ServerUnavailable) as exc:
        failed = _("Enrollment failed: {problem}.").format(
            problem=_what_went_wrong(exc, ", ".join(args.server))
        )
        console.print(f"[red]{failed}[/red]")
        return exit_status(exc)
    except EnrollmentError as exc:
        failed = _("Enrollment failed: {problem}").format(problem=exc)
        console.print(f"[red]{failed}[/red]")
        return EXIT_REFUSED
    finally:
        store.close()


def cmd_gate(args: argparse.Namespace) -> int:
    directory = data_dir(args.data_dir)
    setup_logging(directory, to_stderr=args.headless)
    store, settings = load(args)
    if args.direction:
        settings.direction = Direction(args.direction)
    engine = make_engine(store, settings)
    try:
        engine.gate()
    except GateNotKnown as exc:
        again = _("{problem}: run `scanner-client sync` or enroll again.").format(problem=exc)
        console.print(f"[red]{again}[/red]")
        return EXIT_NOT_ENROLLED
    try:
        if args.headless:
            from scanner_client.gate.headless import run_headless

            headless = run_headless(engine, drain_seconds=args.drain_seconds, watch=args.watch)
            return asyncio.run(_with_remote(engine, headless))
        from scanner_client.gate.app import GateApp

        GateApp(engine, watch=args.watch).run()
        return 0
    finally:
        store.close()


async def _with_remote(engine: GateEngine, work: Coroutine[Any, Any, T]) -> T:
    """Run `work`, then close the engine's HTTP client in the same event loop."""
    try:
        return await work
    finally:
        if engine.remote is not None:
            await engine.remote.aclose()


def cmd_decode(args: argparse.Namespace) -> int:
    from admission.barcodes import BarcodeError, decode_image

    directory = data_dir(args.data_dir)
    setup_logging(directory, to_stderr=False)
    store, settings = load(args)
    engine = make_engine(store, settings)
    found_any = False

    async def run() -> None:
        nonlocal found_any
        for image in args.images:
            try:
                barcodes = decode_image(Path(image))
            except (BarcodeError, OSError) as exc:
                print(_("{image}: cannot read: {error}").format(image=image, error=exc))
                continue
            if not barcodes:
                print(_("{image}: no barcode found").format(image=image))
            for barcode in barcodes:
                found_any = True
                if args.scan:
                    outcome = await engine.scan(barcode.text)
                    verdict, reason, message = outcome.verdict, outcome.reason.value, outcome.message
                    tail = f" [{outcome.mode}, {outcome.nonce}]"
                else:
                    decision = engine.preview(barcode.text).decision
                    verdict, reason, message, tail = (
                        decision.verdict,
                        decision.reason.value,
                        decision.message,
                        "",
                    )
                word = _("ADMIT") if verdict is Verdict.ADMIT else _("REJECT")
                line = f"{image}: {barcode.format} {barcode.text[:24]}… {word} {reason}: {message}{tail}"
                print(line, flush=True)
                if args.scan:  # printed: now someone has seen it
                    engine.mark_shown(outcome.nonce)

    try:
        asyncio.run(_with_remote(engine, run()))
    finally:
        store.close()
    return 0 if found_any else 1


def cmd_sync(args: argparse.Namespace) -> int:
    directory = data_dir(args.data_dir)
    setup_logging(directory, to_stderr=False)
    store, settings = load(args)
    engine = make_engine(store, settings)
    try:
        report = asyncio.run(_with_remote(engine, engine.sync_once()))
    finally:
        store.close()
    print(
        _(
            "uploaded {uploaded} passages ({conflicts} conflicts, {refused} refused), "
            "pulled {changes} changes, posted {outages} outage reports"
        ).format(
            uploaded=report.uploaded,
            conflicts=report.conflicts,
            refused=report.refused,
            changes=report.changes,
            outages=report.outages_posted,
        )
    )
    for error in report.errors:
        print(_("error: {error}").format(error=error), file=sys.stderr)
    return 1 if report.errors else 0
