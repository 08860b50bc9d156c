"""`scanner-client set-pin`: set, change or remove the gate's supervisor PIN on this PC.

Whoever can run commands in the gate's data folder holds its device token already, so the
command asks for no current PIN: it is also the way out of a forgotten one. At the gate itself
the PIN is changed with the current one (F6, gate/screens/pin.py). Only a scrypt hash is stored;
a running gate uses the new PIN from its next override on.
"""

from __future__ import annotations

import argparse
import getpass
import sys

from admission.i18n import _
from scanner_client.core.commands import EXIT_USAGE, console
from scanner_client.gate.commands import load
from scanner_client.gate.settings import hash_pin, pin_problem


def _read_new_pin() -> str | None:
    if not sys.stdin.isatty():  # scripted: the PIN is the first line of standard input
        return sys.stdin.readline().rstrip("\r\n")
    pin = getpass.getpass(_("New supervisor PIN: "))
    if getpass.getpass(_("The same PIN again: ")) != pin:
        differ = _("The two PINs differ: nothing was changed.")
        console.print(f"[red]{differ}[/red]")
        return None
    return pin


def cmd_set_pin(args: argparse.Namespace) -> int:
    store, _settings = load(args)
    try:
        if args.remove:
            store.set_config(pin_hash=None)
            console.print(_("Supervisor PIN removed: overrides are disabled on this gate."))
            return 0
        pin = _read_new_pin()
        if pin is None:
            return EXIT_USAGE
        problem = pin_problem(pin)
        if problem:
            not_changed = _("Not changed: {problem}.").format(problem=problem)
            console.print(f"[red]{not_changed}[/red]")
            return EXIT_USAGE
        store.set_config(pin_hash=hash_pin(pin))
        console.print(
            "[green]{}[/green] {}".format(
                _("Supervisor PIN set."), _("It applies from the next override on.")
            )
        )
        return 0
    finally:
        store.close()
