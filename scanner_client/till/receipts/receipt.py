"""A receipt as files: its PDF, and an `.eml` with the receipt as text and the PDFs attached
(addressed to the buyer when an address was given) that any mail program can send."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from email.message import EmailMessage
from pathlib import Path
from zoneinfo import ZoneInfo

from admission.i18n import _
from scanner_client.till.printing import safe_name
from scanner_client.till.receipts.mail import receipt_message
from scanner_client.till.receipts.model import Receipt, Row, layout, plain_text
from scanner_client.till.receipts.pdf import receipt_pdf

DEFAULT_SENDER = "box-office@localhost"


@dataclass(frozen=True, slots=True)
class ReceiptFiles:
    receipt: Receipt
    rows: list[Row]  # the till roll, for the receipt printer
    pdf: Path
    eml: Path
    attachments: tuple[Path, ...]  # the tickets' PDFs, attached to the e-mail

    @property
    def paths(self) -> list[Path]:
        return [self.pdf, self.eml]

    def message(self, sender: str = DEFAULT_SENDER, to: str | None = None) -> EmailMessage:
        """The e-mail of this receipt, with its PDF and the tickets' PDFs attached."""
        text = plain_text(self.rows)
        pdf = self.pdf.read_bytes()
        return receipt_message(self.receipt, text, pdf, self.pdf.name, sender, to, self.attachments)


def write_receipt(
    folder: Path,
    receipt: Receipt,
    tz: ZoneInfo,
    attachments: Sequence[Path] = (),
    sender: str = DEFAULT_SENDER,
) -> ReceiptFiles:
    """The receipt as PDF and as .eml, side by side in `folder`."""
    folder.mkdir(parents=True, exist_ok=True)
    rows = layout(receipt, tz)
    stem = folder / f"{safe_name(receipt.reference)}-{receipt.kind}"
    pdf_path = stem.with_suffix(".pdf")
    title = _("Refund {reference}") if receipt.is_refund else _("Receipt {reference}")
    pdf_path.write_bytes(receipt_pdf(rows, title.format(reference=receipt.reference), receipt.sold_at))
    files = ReceiptFiles(receipt, rows, pdf_path, stem.with_suffix(".eml"), tuple(attachments))
    files.eml.write_bytes(bytes(files.message(sender, receipt.buyer_email)))
    return files
