"""The receipt by e-mail: a message with the receipt as text and its PDF attached (and the
tickets' PDFs for a sale), sent with aiosmtplib when the till has an SMTP server configured, and
written as an `.eml` file (which any mail program sends) when it has none or sending fails.

The SMTP settings are the till's own, kept in its store (`scanner-client box-office --smtp-host
…`); the password never is: it comes from the environment (`ADMISSION_SMTP_PASSWORD`) when the
till starts, so it is in no file, no log line and never on the change feed.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from pathlib import Path
from typing import Literal

import aiosmtplib

from admission.i18n import _
from scanner_client.till.receipts.model import Receipt

PASSWORD_ENV = "ADMISSION_SMTP_PASSWORD"
Security = Literal["starttls", "tls", "none"]
SECURITY_CHOICES: tuple[Security, ...] = ("starttls", "tls", "none")
SMTP_TIMEOUT = 20.0


@dataclass(frozen=True, slots=True)
class SmtpSettings:
    host: str
    port: int = 587
    security: Security = "starttls"  # STARTTLS on 587, TLS from the start on 465, or none
    user: str | None = None
    sender: str = "box-office@localhost"
    password: str | None = field(default=None, repr=False)  # never printed, never stored

    @staticmethod
    def from_config(config: dict[str, str | None]) -> SmtpSettings | None:
        """The till's SMTP settings from its store, with the password from the environment;
        None when no SMTP server is configured."""
        host = config.get("smtp_host")
        if not host:
            return None
        security = config.get("smtp_security") or "starttls"
        return SmtpSettings(
            host=host,
            port=int(config.get("smtp_port") or 587),
            security=security if security in SECURITY_CHOICES else "starttls",
            user=config.get("smtp_user") or None,
            sender=config.get("smtp_from") or "box-office@localhost",
            password=os.environ.get(PASSWORD_ENV) or None,
        )


class SendingFailed(Exception):
    """The SMTP server could not be reached or refused the message (in words for the seller)."""


def receipt_message(
    receipt: Receipt,
    text: str,
    pdf: bytes,
    pdf_name: str,
    sender: str,
    to: str | None,
    attachments: Sequence[Path] = (),
) -> EmailMessage:
    message = EmailMessage()
    subject = (
        _("{venue}: your refund {reference}") if receipt.is_refund else _("{venue}: your receipt {reference}")
    )
    message["Subject"] = subject.format(venue=receipt.venue.name, reference=receipt.reference)
    message["From"] = f"{receipt.venue.name} <{sender}>"
    if to:
        message["To"] = to
    message["Date"] = format_datetime(receipt.sold_at)
    message["Message-ID"] = make_msgid("receipt")
    message.set_content(text)
    message.add_attachment(pdf, maintype="application", subtype="pdf", filename=pdf_name)
    for path in attachments:
        if path.suffix == ".pdf" and path.exists():
            message.add_attachment(
                path.read_bytes(), maintype="application", subtype="pdf", filename=path.name
            )
    return message


def with_recipient(message: EmailMessage, to: str) -> EmailMessage:
    del message["To"]
    message["To"] = to
    return message


async def send(message: EmailMessage, smtp: SmtpSettings) -> None:
    """Send through the till's SMTP server; SendingFailed says why not (never the password)."""
    try:
        await aiosmtplib.send(
            message,
            hostname=smtp.host,
            port=smtp.port,
            username=smtp.user,
            password=smtp.password if smtp.user else None,
            start_tls=smtp.security == "starttls",
            use_tls=smtp.security == "tls",
            timeout=SMTP_TIMEOUT,
        )
    except (aiosmtplib.SMTPException, OSError) as exc:
        # aiosmtplib's messages name the server and its answer, not the credentials.
        raise SendingFailed(
            _("the mail server {host}:{port} did not take it: {problem}").format(
                host=smtp.host, port=smtp.port, problem=type(exc).__name__ + (f" ({exc})" if str(exc) else "")
            )
        ) from exc
