"""`scanner-client`: enroll a gate PC, run the gate (TUI or headless), decode images, status, sync.

The device token is read from the command line (or `-` for standard input) and kept in the local
store; it is never printed or logged.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
from collections.abc import Coroutine, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

from rich.console import Console
from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

from admission.domain.model import Direction, Verdict
from scanner_client.core.paths import data_dir
from scanner_client.core.remote import Remote, ServerRefused, ServerUnavailable
from scanner_client.gate.engine import GateEngine
from scanner_client.gate.enroll import EnrollmentError, enroll
from scanner_client.gate.outcome import GateNotKnown
from scanner_client.gate.remote import GateRemote
from scanner_client.gate.settings import NotEnrolled, Settings, open_store
from scanner_client.gate.store import GateStore

T = TypeVar("T")
EXIT_USAGE = 2
EXIT_REFUSED = 3
EXIT_UNREACHABLE = 4
EXIT_NOT_ENROLLED = 5

console = Console(stderr=True, highlight=False)


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


def venue_time(store: GateStore, moment: datetime | None) -> str:
    if moment is None:
        return "never"
    try:
        tz = ZoneInfo(store.get_config("timezone") or "UTC")
    except Exception:
        tz = ZoneInfo("UTC")
    return moment.astimezone(tz).strftime("%Y-%m-%d %H:%M:%S %Z")


def make_engine(store: GateStore, settings: Settings) -> GateEngine:
    remote = GateRemote(settings.server_url, settings.token, scan_timeout=settings.scan_timeout)
    return GateEngine(store, settings, remote)


def load(args: argparse.Namespace) -> tuple[GateStore, Settings]:
    store = open_store(data_dir(args.data_dir))
    try:
        return store, Settings.load(store)
    except NotEnrolled:
        store.close()
        raise


# ------------------------------------------------------------------ commands -------------


def cmd_enroll(args: argparse.Namespace) -> int:
    token = sys.stdin.readline().strip() if args.token == "-" else args.token
    if not token:
        console.print("[red]No token given.[/red]")
        return EXIT_USAGE
    directory = data_dir(args.data_dir)
    setup_logging(directory, to_stderr=False)
    store = open_store(directory)

    async def run() -> int:
        async with Remote(args.server, token) as remote:
            await remote.me()  # a wrong token or URL fails here, before any progress bar
            with Progress(
                SpinnerColumn(),
                TextColumn("{task.description}"),
                BarColumn(),
                TextColumn("{task.completed:,} changes"),
                TimeElapsedColumn(),
                console=console,
            ) as progress:
                task = progress.add_task("Pulling the snapshot", total=None)
                result = await enroll(
                    store,
                    remote,
                    server_url=args.server,
                    token=token,
                    gate=args.gate,
                    direction=Direction(args.direction),
                    supervisor_pin=args.supervisor_pin,
                    progress=lambda n: progress.update(task, completed=n),
                )
                progress.update(task, total=result.changes or 1, completed=result.changes or 1)
        console.print(
            f"[green]Enrolled[/green] device [bold]{result.device.name}[/bold] "
            f"at gate [bold]{args.gate}[/bold] "
            f"({args.direction}); {result.tickets:,} tickets in the local store at {directory}."
        )
        if not store.get_config("pin_hash"):
            console.print(
                "[yellow]No supervisor PIN set: overrides are disabled (--supervisor-pin).[/yellow]"
            )
        return 0

    try:
        return asyncio.run(run())
    except ServerRefused as exc:
        reason = "the token was refused" if exc.unauthorised else "the server refused the request"
        console.print(f"[red]Enrollment failed: {reason} ({exc}).[/red]")
        return EXIT_REFUSED
    except ServerUnavailable as exc:
        console.print(f"[red]Enrollment failed: cannot reach the server at {args.server} ({exc}).[/red]")
        return EXIT_UNREACHABLE
    except EnrollmentError as exc:
        console.print(f"[red]Enrollment failed: {exc}[/red]")
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
        console.print(f"[red]{exc}: run `scanner-client sync` or enroll again.[/red]")
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
                print(f"{image}: cannot read: {exc}")
                continue
            if not barcodes:
                print(f"{image}: no barcode found")
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
                word = "ADMIT" if verdict is Verdict.ADMIT else "REJECT"
                print(f"{image}: {barcode.format} {barcode.text[:24]}… {word} {reason}: {message}{tail}")

    try:
        asyncio.run(_with_remote(engine, run()))
    finally:
        store.close()
    return 0 if found_any else 1


def cmd_status(args: argparse.Namespace) -> int:
    store, settings = load(args)
    try:
        reachable = "not checked"
        if not args.no_probe:
            reachable = asyncio.run(_probe(settings))
        outage = store.current_outage()
        flagged = store.flagged()
        lines = [
            f"device        {settings.device}",
            f"gate          {settings.gate} (direction {settings.direction.value})",
            f"server        {settings.server_url}: {reachable}",
            f"venue         {store.get_config('venue_name') or '?'} "
            f"({store.get_config('timezone') or 'UTC'})",
            f"tickets       {store.ticket_count():,} in the local store (feed cursor {store.cursor})",
            f"last sync     {venue_time(store, store.last_sync_at)}",
            f"unsynced      {store.queued_count()} passages",
            f"conflicts     {sum(1 for p in flagged if p.server_status == 'conflict')}",
            f"refused       {sum(1 for p in flagged if p.server_status == 'refused')}",
            f"offline since {venue_time(store, outage.started_at)}" if outage else "offline since -",
            f"supervisor    {'PIN set' if settings.pin_hash else 'no PIN: overrides disabled'}",
        ]
        print("\n".join(lines))
        return 0
    finally:
        store.close()


async def _probe(settings: Settings) -> str:
    async with Remote(settings.server_url, settings.token) as remote:
        try:
            await remote.me(time_limit=3.0)
        except ServerUnavailable as exc:
            return f"unreachable ({exc})"
        except ServerRefused as exc:
            return f"refuses this device ({exc})"
    return "reachable"


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
        f"uploaded {report.uploaded} passages ({report.conflicts} conflicts, {report.refused} refused), "
        f"pulled {report.changes} changes, posted {report.outages_posted} outage reports"
    )
    for error in report.errors:
        print(f"error: {error}", file=sys.stderr)
    return 1 if report.errors else 0


def cmd_config(args: argparse.Namespace) -> int:
    store, settings = load(args)
    try:
        for name in (
            "end_pause_ms",
            "scan_timeout",
            "failure_threshold",
            "probe_interval",
            "feed_wait",
            "batch_size",
        ):
            value = getattr(args, name)
            if value is not None:
                setattr(settings, name, value)
        settings.save(store)
        for name in (
            "end_pause_ms",
            "scan_timeout",
            "failure_threshold",
            "probe_interval",
            "feed_wait",
            "batch_size",
        ):
            print(f"{name:18} {getattr(settings, name)}")
        return 0
    finally:
        store.close()


# ------------------------------------------------------------------ parser ---------------


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="scanner-client", description="admission gate scanner client")
    parser.add_argument(
        "--data-dir",
        help="local store folder (default: $ADMISSION_SCANNER_DIR or ~/.local/share/admission-scanner)",
    )
    commands = parser.add_subparsers(dest="command", required=True)

    def command(name: str, help_: str) -> argparse.ArgumentParser:
        sub = commands.add_parser(name, help=help_)
        # Accept --data-dir after the command too (argparse.SUPPRESS keeps the global value otherwise).
        sub.add_argument("--data-dir", default=argparse.SUPPRESS, help=argparse.SUPPRESS)
        return sub

    enroll_parser = command("enroll", "enroll this PC as a gate and pull the first snapshot")
    enroll_parser.add_argument(
        "--server", required=True, help="service URL, e.g. https://tickets.example.org"
    )
    enroll_parser.add_argument(
        "--token", required=True, help="the gate device's token ('-': read it from stdin)"
    )
    enroll_parser.add_argument("--gate", required=True, help="gate name as configured on the server")
    enroll_parser.add_argument("--direction", choices=["in", "out"], default="in")
    enroll_parser.add_argument("--supervisor-pin", help="PIN for supervisor overrides (stored hashed)")
    enroll_parser.set_defaults(handler=cmd_enroll)

    gate = command("gate", "run the gate: full-screen scanner app, or --headless")
    gate.add_argument(
        "--headless", action="store_true", help="stdin: one code per line; stdout: JSON per line"
    )
    gate.add_argument("--direction", choices=["in", "out"], help="override the enrolled direction")
    gate.add_argument("--watch", type=Path, help="also scan barcodes in images dropped into this folder")
    gate.add_argument(
        "--drain-seconds",
        type=float,
        default=5.0,
        help="headless: at end of input, try this long to upload the queue",
    )
    gate.set_defaults(handler=cmd_gate)

    decode = command("decode", "decode barcodes in images and validate them")
    decode.add_argument("images", nargs="+")
    decode.add_argument("--scan", action="store_true", help="record them as scans (default: check only)")
    decode.set_defaults(handler=cmd_decode)

    status = command("status", "show the local store, queue and server reachability")
    status.add_argument("--no-probe", action="store_true", help="do not contact the server")
    status.set_defaults(handler=cmd_status)

    sync = command("sync", "upload queued passages and pull the change feed once")
    sync.set_defaults(handler=cmd_sync)

    config = command("config", "show or change tuning settings")
    config.add_argument("--end-pause-ms", type=int, help="end a code after this pause without Enter (0: off)")
    config.add_argument("--scan-timeout", type=float, help="seconds to wait for an online verdict")
    config.add_argument("--failure-threshold", type=int, help="failed calls in a row before going offline")
    config.add_argument("--probe-interval", type=float, help="seconds between probes while offline")
    config.add_argument("--feed-wait", type=int, help="long-poll seconds")
    config.add_argument("--batch-size", type=int, help="passages per upload (at most 5000)")
    config.set_defaults(handler=cmd_config)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return int(args.handler(args))
    except NotEnrolled as exc:
        console.print(f"[red]{exc}[/red]")
        return EXIT_NOT_ENROLLED
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
