"""A printable ticket drawn as an A6 image at 300 dpi, as PNG or as a one-page PDF: barcodes
placed first, from the bottom up, and the text wrapped into the space left above them."""

from __future__ import annotations

import io
from functools import lru_cache
from typing import Final

from barcode.writer import PATH as _BARCODE_PACKAGE_DIR
from PIL import Image, ImageDraw, ImageFont

from admission.barcodes.code128 import code128_image
from admission.barcodes.png import PRINT_DPI, png_bytes
from admission.barcodes.qr import qr_image, qr_symbol
from admission.barcodes.ticket import PrintableTicket, printed_accent, text_color_on

_PAGE_PX: Final = (1240, 1748)  # A6 (105 x 148 mm) at 300 dpi
_MARGIN_PX: Final = 72  # 6 mm
_GAP_PX: Final = 36  # 3 mm
_BAND_PX: Final = 230
_QR_TARGET_PX: Final = 470  # about 40 mm: whole multiples of the module size are chosen below
_TICKET_CODE128_MODULE_PX: Final = 4  # 0.34 mm at 300 dpi
_TEXT: Final = "#111111"
_MUTED: Final = "#555555"

_Font = ImageFont.FreeTypeFont | ImageFont.ImageFont


@lru_cache(maxsize=32)
def _font(size: int, *, bold: bool = False) -> _Font:
    # DejaVu Sans is on most Linux hosts and covers Latin, Greek and Cyrillic; python-barcode
    # ships DejaVu Sans Mono, so there is always a font with the same coverage to fall back to.
    candidates = [
        "DejaVuSans-Bold.ttf" if bold else "DejaVuSans.ttf",
        f"{_BARCODE_PACKAGE_DIR}/fonts/DejaVuSansMono.ttf",
    ]
    for candidate in candidates:
        try:
            return ImageFont.truetype(candidate, size)
        except OSError:
            continue
    return ImageFont.load_default(size)


def _wrap(text: str, font: _Font, width: int) -> list[str]:
    """Greedy word wrap to a pixel width; words longer than a line are broken by character."""
    lines: list[str] = []
    for paragraph in text.splitlines() or [""]:
        line = ""
        for word in paragraph.split():
            candidate = f"{line} {word}" if line else word
            if font.getlength(candidate) <= width:
                line = candidate
                continue
            if line:
                lines.append(line)
            line = ""
            for char in word:
                if font.getlength(line + char) > width and line:
                    lines.append(line)
                    line = ""
                line += char
        lines.append(line)
    return lines


class _TextColumn:
    """Draws paragraphs top-down and never below `bottom`, so text cannot cover a barcode."""

    def __init__(self, draw: ImageDraw.ImageDraw, left: int, top: int, width: int, bottom: int) -> None:
        self.draw, self.left, self.y, self.width, self.bottom = draw, left, top, width, bottom

    def paragraph(
        self, text: str, size: int, *, fill: str = _TEXT, bold: bool = False, space: int = 0
    ) -> None:
        if not text:
            return
        font = _font(size, bold=bold)
        line_height = round(size * 1.25)
        lines = _wrap(text, font, self.width)
        fitting = max(0, (self.bottom - self.y) // line_height)
        if len(lines) > fitting:  # cut what does not fit and say so with an ellipsis
            lines = lines[:fitting]
            if lines:
                lines[-1] = self._ellipsize(lines[-1], font)
        for line in lines:
            self.draw.text((self.left, self.y), line, font=font, fill=fill)
            self.y += line_height
        self.y += space

    def _ellipsize(self, line: str, font: _Font) -> str:
        while line and font.getlength(line + " …") > self.width:
            line = line[:-1]
        return line.rstrip() + " …"


def _compose_ticket(t: PrintableTicket) -> Image.Image:
    width, height = _PAGE_PX
    accent = printed_accent(t)
    page = Image.new("RGB", _PAGE_PX, "white")
    draw = ImageDraw.Draw(page)

    # Barcodes first, from the bottom up: they must always fit, text takes what is left.
    code128_top = height - _MARGIN_PX + _GAP_PX  # no number (QR only): the QR sits at the bottom
    if t.ticket_number:
        code128 = code128_image(t.ticket_number, _TICKET_CODE128_MODULE_PX)
        code128_top = height - _MARGIN_PX - code128.height
        page.paste(code128, ((width - code128.width) // 2, code128_top))
    symbol = qr_symbol(t.signed_code)
    modules = symbol.to_image(scale=1).shape[0]  # side length including the quiet zone
    qr = qr_image(symbol, max(3, _QR_TARGET_PX // modules))
    qr_top = code128_top - _GAP_PX - qr.height
    page.paste(qr, ((width - qr.width) // 2, qr_top))

    draw.rectangle([(0, 0), (width, _BAND_PX)], fill=accent)
    band = _TextColumn(draw, _MARGIN_PX, 60, width - 2 * _MARGIN_PX, _BAND_PX - 20)
    band.paragraph(t.venue_name, 56, fill=text_color_on(accent), bold=True, space=10)
    band.paragraph(t.template_name, 36, fill=text_color_on(accent))

    text = _TextColumn(draw, _MARGIN_PX, _BAND_PX + 50, width - 2 * _MARGIN_PX, qr_top - _GAP_PX)
    text.paragraph(t.title, 68, bold=True, space=24)
    text.paragraph(t.event_name or "", 42, bold=True, space=4)
    text.paragraph(t.event_start or "", 40, space=20)
    text.paragraph(t.validity, 38, space=8)
    text.paragraph(t.price, 42, bold=True, space=20)
    text.paragraph(t.description, 32, fill=_MUTED)
    return page


def render_ticket_png(t: PrintableTicket) -> bytes:
    """The ticket as an A6 PNG at 300 dpi, with its QR and Code128."""
    return png_bytes(_compose_ticket(t))


def render_ticket_pdf(t: PrintableTicket) -> bytes:
    """The ticket as a one-page A6 PDF (the PNG's image at 300 dpi)."""
    out = io.BytesIO()
    # Pillow embeds RGB pages as JPEG: quality 95 without chroma subsampling keeps bar edges
    # sharp enough to decode (the lossless alternative, hex-encoded palette, is ~4 MB).
    _compose_ticket(t).save(
        out,
        format="PDF",
        resolution=PRINT_DPI,
        quality=95,
        subsampling=0,
        title=f"{t.title} - {t.venue_name}",
    )
    return out.getvalue()
