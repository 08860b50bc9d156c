"""The receipt as a vector PDF on an 80 mm till roll (fpdf2): text stays text, so it is sharp on
any printer, small, searchable, and a screen reader or an accountant's tool can read it.

The font is DejaVu Sans Mono, which python-barcode (a dependency already) ships: monospace keeps
the till roll's columns, and it has every letter of the Nordic and German alphabets."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from pathlib import Path

import barcode
from fpdf import FPDF

from scanner_client.till.receipts.model import WIDTH, Row

FONT_FILE = Path(barcode.__file__).parent / "fonts" / "DejaVuSansMono.ttf"
ROLL_MM = 80.0
MARGIN_MM = 4.0
FONT_PT = 8.0  # 42 characters of DejaVu Sans Mono (0.6 em each) fill 71 of the 72 mm
LARGE_PT = 12.0
LINE_MM = 3.8
LARGE_LINE_MM = 5.6


def receipt_pdf(rows: Sequence[Row], title: str, created: datetime) -> bytes:
    """One page as long as the receipt, 80 mm wide."""
    height = 2 * MARGIN_MM + sum(LARGE_LINE_MM if row.large else LINE_MM for row in rows)
    pdf = FPDF(unit="mm", format=(ROLL_MM, max(height, 40.0)))
    pdf.set_margins(MARGIN_MM, MARGIN_MM, MARGIN_MM)
    pdf.set_auto_page_break(False)
    pdf.set_title(title)
    pdf.set_creator("admission till")
    pdf.set_creation_date(created)
    pdf.add_font("receipt", fname=FONT_FILE)
    pdf.add_page()
    for row in rows:
        size, line = (LARGE_PT, LARGE_LINE_MM) if row.large else (FONT_PT, LINE_MM)
        pdf.set_font("receipt", size=size)
        # The font has no bold face: bold rows are drawn filled and outlined, which reads as bold.
        mode = "FILL_STROKE" if row.bold else "FILL"
        with pdf.local_context(text_mode=mode, line_width=0.12):
            pdf.cell(
                w=ROLL_MM - 2 * MARGIN_MM,
                h=line,
                text=row.text[: WIDTH if not row.large else WIDTH * 2 // 3],
                align="C" if row.center else "L",
                new_x="LMARGIN",
                new_y="NEXT",
            )
    return bytes(pdf.output())
