"""`scanner-client`: enroll a gate PC, run the gate (TUI or headless), decode images, status, sync,
config, set-pin; and the box-office till (enroll-box-office, box-office, box-office-sync, box-office-report).
The commands themselves are in scanner_client/gate (commands.py, status.py) and scanner_client/till."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from pathlib import Path

from admission.i18n import LANGUAGES, UnknownLanguage, _, language_name
from scanner_client.core.commands import EXIT_NOT_ENROLLED, EXIT_USAGE, add_command, console
from scanner_client.core.language import choose_language, speak_device_language
from scanner_client.core.paths import data_dir
from scanner_client.core.store import LocalStore
from scanner_client.gate.commands import cmd_decode, cmd_enroll, cmd_gate, cmd_sync
from scanner_client.gate.pin import cmd_set_pin
from scanner_client.gate.settings import STORE_FILE, NotEnrolled
from scanner_client.gate.status import cmd_config, cmd_status
from scanner_client.till.cli import LANGUAGE_HELP, SERVER_HELP, add_box_office_parser, box_office_dir
from scanner_client.till.store import TILL_FILE


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="scanner-client", description="admission gate and box-office client"
    )
    parser.add_argument(
        "--data-dir",
        help="local store folder (default: $ADMISSION_SCANNER_DIR or ~/.local/share/admission-scanner)",
    )
    commands = parser.add_subparsers(dest="command", required=True)

    def command(name: str, help_: str) -> argparse.ArgumentParser:
        return add_command(commands, name, help_)

    enroll_parser = command("enroll", "enroll this PC as a gate and pull the first snapshot")
    enroll_parser.add_argument(
        "--server",
        required=True,
        action="append",
        help=SERVER_HELP,
    )
    enroll_parser.add_argument(
        "--token", required=True, help="the gate device's token ('-': read it from stdin)"
    )
    enroll_parser.add_argument("--gate", required=True, help="gate name as configured on the server")
    enroll_parser.add_argument("--direction", choices=["in", "out"], default="in")
    enroll_parser.add_argument("--supervisor-pin", help="PIN for supervisor overrides (stored hashed)")
    enroll_parser.add_argument("--language", help=LANGUAGE_HELP)
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
    config.add_argument("--server", action="append", help="replace the server list (as for enroll)")
    config.set_defaults(handler=cmd_config)

    set_pin = command("set-pin", "set, change or remove the supervisor PIN (asked for, stored hashed)")
    set_pin.add_argument("--remove", action="store_true", help="remove the PIN: overrides are disabled")
    set_pin.set_defaults(handler=cmd_set_pin)

    set_language = command("set-language", "the language of this PC's gate and till screens and messages")
    set_language.add_argument("language", help=f"{', '.join(LANGUAGES)}, or 'venue' for the venue's language")
    set_language.set_defaults(handler=cmd_set_language)

    add_box_office_parser(commands)
    return parser


def cmd_set_language(args: argparse.Namespace) -> int:
    """Set the language of each device enrolled in the data folder (the gate's and the till's)."""
    folder = data_dir(args.data_dir)
    stores = [
        path for path in (folder / STORE_FILE, box_office_dir(args.data_dir) / TILL_FILE) if path.exists()
    ]
    if not stores:
        not_enrolled = _("this PC is not enrolled: run `scanner-client enroll` first")
        console.print(f"[red]{not_enrolled}[/red]")
        return EXIT_NOT_ENROLLED
    for path in stores:
        store = LocalStore(path)
        try:
            choose_language(store, args.language)
            language = speak_device_language(store)
        except UnknownLanguage as exc:
            console.print(f"[red]{exc}[/red]")
            return EXIT_USAGE
        finally:
            store.close()
    console.print(
        _("This PC speaks {language} from the next start.").format(language=language_name(language))
    )
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    umask = os.umask(0o077)  # the store, logs, receipts, printed tickets: for this user only
    try:
        return int(args.handler(args))
    except NotEnrolled as exc:
        console.print(f"[red]{exc}[/red]")
        return EXIT_NOT_ENROLLED
    except KeyboardInterrupt:
        return 130
    finally:
        os.umask(umask)


if __name__ == "__main__":
    sys.exit(main())
