"""The receipt on a receipt printer, in ESC/POS (python-escpos).

A till names its printer once (`scanner-client box-office --printer …`, kept in its store):

- `usb:0x04b8:0x0e15`: USB vendor and product id (needs pyusb and the system's libusb:
  `pip install 'python-escpos[usb]'`);
- `net:192.168.1.50:9100` (or `192.168.1.50:9100`): a network printer, port 9100 by default;
- `file:/dev/usb/lp0` (or a path starting with `/`): a device or file the printer reads.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Sequence
from pathlib import Path

from escpos.escpos import Escpos

from admission.i18n import _
from scanner_client.till.receipts.model import Row

NETWORK_PORT = 9100
_HOST = re.compile(r"^[A-Za-z0-9.-]+$|^\[[0-9A-Fa-f:]+\]$")  # a name, IPv4, or [IPv6]


class PrinterProblem(Exception):
    """The receipt printer could not be named, reached or written to; in words for the seller."""


def check_printer_spec(spec: str) -> str:
    """The spec as stored, or PrinterProblem saying how to write it (before the till starts)."""
    _parse(spec)
    return spec.strip()


def _parse(spec: str) -> tuple[str, tuple[str | int, ...]]:
    text = spec.strip()
    kind, _sep, rest = text.partition(":")
    try:
        if kind == "usb":
            vendor, product = rest.split(":")
            return "usb", (int(vendor, 16), int(product, 16))
        if kind == "file" or text.startswith("/"):
            path = rest if kind == "file" else text
            if not path:
                raise ValueError(path)
            return "file", (path,)
        host_port = rest if kind == "net" else text
        host, _sep, port = host_port.rpartition(":") if ":" in host_port else (host_port, "", "")
        if not _HOST.match(host):
            raise ValueError(host_port)
        return "net", (host, int(port) if port else NETWORK_PORT)
    except ValueError as exc:
        raise PrinterProblem(
            _(
                "unknown printer {spec!r}: write usb:VENDOR:PRODUCT (e.g. usb:0x04b8:0x0e15), "
                "net:HOST:PORT (e.g. net:192.168.1.50:9100) or file:/dev/usb/lp0"
            ).format(spec=spec)
        ) from exc


def open_printer(spec: str) -> Escpos:
    """The printer a spec names, connected; PrinterProblem when it cannot be."""
    kind, args = _parse(spec)
    try:
        if kind == "usb":
            from escpos.printer import Usb  # pyusb is optional: imported only for a USB printer

            if not Usb.is_usable():
                raise PrinterProblem(
                    _("USB printers need pyusb and libusb: pip install 'python-escpos[usb]'")
                )
            vendor, product = args
            return Usb(int(vendor), int(product))
        if kind == "file":
            from escpos.printer import File

            (path,) = args
            if not Path(str(path)).parent.exists():
                raise PrinterProblem(_("no such printer device: {path}").format(path=path))
            return File(str(path))
        from escpos.printer import Network

        host, port = args
        printer = Network(str(host), int(port), timeout=5)
        printer.open()
        return printer
    except PrinterProblem:
        raise
    except Exception as exc:  # the library raises its own errors, OSError and USB errors alike
        raise PrinterProblem(_("the receipt printer did not answer: {problem}").format(problem=exc)) from exc


def write_rows(printer: Escpos, rows: Sequence[Row]) -> None:
    """The till roll's rows as ESC/POS, then a cut."""
    for row in rows:
        printer.set(
            align="center" if row.center else "left",
            bold=row.bold,
            double_width=row.large,
            double_height=row.large,
            normal_textsize=not row.large,
        )
        printer.textln(row.text)
    printer.set(align="left", bold=False, normal_textsize=True)
    printer.cut()


def print_receipt(spec: str, rows: Sequence[Row]) -> None:
    """Print on the till's printer; PrinterProblem in words for the seller when it fails."""
    printer = open_printer(spec)
    try:
        write_rows(printer, rows)
    except Exception as exc:
        raise PrinterProblem(_("printing failed: {problem}").format(problem=exc)) from exc
    finally:
        with contextlib.suppress(Exception):  # a printer that failed may not close cleanly either
            printer.close()
