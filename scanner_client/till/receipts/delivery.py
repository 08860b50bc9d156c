"""Handing a receipt to the guest after the sale: on the till's receipt printer, or by e-mail
through the till's SMTP server, with the `.eml` file as the fallback when there is none or it
fails. Both settings are the till's own (its store); the SMTP password is in the environment."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass

import msgspec

from admission.contract import Email
from admission.i18n import _
from scanner_client.till.receipts.escpos_printer import PrinterProblem, print_receipt
from scanner_client.till.receipts.mail import SendingFailed, SmtpSettings, send
from scanner_client.till.receipts.receipt import ReceiptFiles

PRINTER_KEY = "receipt_printer"
SMTP_KEYS = ("smtp_host", "smtp_port", "smtp_security", "smtp_user", "smtp_from")


class ReceiptProblem(Exception):
    """A receipt that could not be printed or e-mailed, in words for the seller."""


@dataclass(frozen=True, slots=True)
class Delivered:
    ok: bool  # False: not sent, but saved as a file to send later (the message says where)
    message: str


class ReceiptDelivery:
    def __init__(self, config: Callable[[str], str | None]) -> None:
        self._config = config

    @property
    def printer(self) -> str | None:
        return self._config(PRINTER_KEY) or None

    @property
    def smtp(self) -> SmtpSettings | None:
        return SmtpSettings.from_config({key: self._config(key) for key in SMTP_KEYS})

    async def print(self, files: ReceiptFiles) -> Delivered:
        spec = self.printer
        if spec is None:
            raise ReceiptProblem(
                _(
                    "No receipt printer is set up on this till: start it with --printer "
                    "(e.g. --printer usb:0x04b8:0x0e15). The receipt is saved as {path}."
                ).format(path=files.pdf)
            )
        try:
            await asyncio.to_thread(print_receipt, spec, files.rows)
        except PrinterProblem as exc:
            raise ReceiptProblem(
                _("Not printed: {problem}. The receipt is saved as {path}.").format(
                    problem=exc, path=files.pdf
                )
            ) from exc
        return Delivered(True, _("Receipt {reference} printed.").format(reference=files.receipt.reference))

    async def email(self, files: ReceiptFiles, to: str) -> Delivered:
        """Send the receipt to `to`; without a mail server, or when it fails, the e-mail is
        written as the receipt's .eml file, addressed, for a mail program to send."""
        address = to.strip()
        try:
            msgspec.convert(address, Email)
        except msgspec.ValidationError as exc:
            raise ReceiptProblem(_("{address!r} is not an e-mail address").format(address=to)) from exc
        smtp = self.smtp
        sender = smtp.sender if smtp else (self._config("smtp_from") or "box-office@localhost")
        message = files.message(sender, address)
        if smtp is not None:
            try:
                await send(message, smtp)
            except SendingFailed as exc:
                await asyncio.to_thread(files.eml.write_bytes, bytes(message))
                return Delivered(
                    False,
                    _(
                        "Not sent: {problem}. The e-mail to {to} is saved as {path}: "
                        "send it from a mail program."
                    ).format(problem=exc, to=address, path=files.eml),
                )
            return Delivered(True, _("Receipt sent to {to}.").format(to=address))
        await asyncio.to_thread(files.eml.write_bytes, bytes(message))
        return Delivered(
            False,
            _(
                "No mail server is set up on this till: the e-mail to {to} is saved as {path}; "
                "send it from a mail program."
            ).format(to=address, path=files.eml),
        )
