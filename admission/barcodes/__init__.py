"""Barcodes on tickets: rendering (Code128, QR, printable tickets) and decoding.

- The ticket number is printed as Code128 (`code128`), the signed code as a QR (`qr`).
- Decoding (`decoding`) uses zxing-cpp too, so the scanner client reads exactly what we print.
- A printable ticket (`ticket`) is laid out as HTML (`ticket_html`) or drawn as a PNG or PDF
  (`ticket_image`).

Sizes: PNG output is meant for 300 dpi (the PNG carries that resolution, so printing software
prints it at its intended physical size); SVG output carries millimetre sizes.

Gate and box-office clients use this package too: it depends on the rules in
`admission.domain` and nothing of the service.
"""

from __future__ import annotations

from admission.barcodes.code128 import TicketCode128, code128_png, code128_svg
from admission.barcodes.decoding import DecodedBarcode, decode_image
from admission.barcodes.errors import BarcodeError
from admission.barcodes.png import PRINT_DPI
from admission.barcodes.qr import qr_png, qr_svg
from admission.barcodes.ticket import PrintableTicket, validity_text
from admission.barcodes.ticket_html import render_ticket_html
from admission.barcodes.ticket_image import render_ticket_pdf, render_ticket_png

__all__ = [
    "PRINT_DPI",
    "BarcodeError",
    "DecodedBarcode",
    "PrintableTicket",
    "TicketCode128",
    "code128_png",
    "code128_svg",
    "decode_image",
    "qr_png",
    "qr_svg",
    "render_ticket_html",
    "render_ticket_pdf",
    "render_ticket_png",
    "validity_text",
]
