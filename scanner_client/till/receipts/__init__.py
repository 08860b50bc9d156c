"""Receipts: the model and its till-roll layout (model.py), a vector PDF (pdf.py), a receipt
printer in ESC/POS (escpos_printer.py) and e-mail (mail.py). A sale's or a refund's receipt is
always written as a PDF and as an `.eml` file (receipt.py); printing and sending are the seller's
choice after the sale."""

from scanner_client.till.receipts.model import (
    Receipt,
    ReceiptCardPart,
    ReceiptLine,
    Row,
    VenueDetails,
    layout,
    plain_text,
)
from scanner_client.till.receipts.receipt import ReceiptFiles, write_receipt

__all__ = [
    "Receipt",
    "ReceiptCardPart",
    "ReceiptFiles",
    "ReceiptLine",
    "Row",
    "VenueDetails",
    "layout",
    "plain_text",
    "write_receipt",
]
