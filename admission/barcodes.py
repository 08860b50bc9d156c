"""Barcodes on tickets: rendering (Code128, QR, printable tickets) and decoding.

- The ticket number (13 digits) is printed as Code128 with python-barcode: thermal printers and
  cheap 1D imagers read it, and staff can type the grouped digits printed under the bars.
- The signed code (152 symbols) is printed as a QR with zxing-cpp at error correction level Q:
  print-at-home tickets get folded and phone screens get cracked, and Q survives ~25% damage
  while the code still fits a small symbol (its alphabet keeps the QR in alphanumeric mode).
- Decoding uses zxing-cpp too, so the scanner client reads exactly what we print.

Sizes: PNG output is meant for 300 dpi (the PNG carries that resolution, so printing software
prints it at its intended physical size); SVG output carries millimetre sizes.
"""

from __future__ import annotations

import html
import io
import re
import string
from functools import lru_cache
from pathlib import Path
from typing import Any, Final

import msgspec
import zxingcpp
from barcode import Code128
from barcode.charsets import code128
from barcode.writer import PATH as _BARCODE_PACKAGE_DIR
from barcode.writer import ImageWriter, SVGWriter, mm2px
from PIL import Image, ImageColor, ImageDraw, ImageFont

from admission.domain.codes import (
    ALPHABET,
    SIGNED_CODE_LENGTH,
    format_ticket_number,
    is_valid_ticket_number,
)

PRINT_DPI: Final = 300
_MM_PER_INCH: Final = 25.4
_MM_PER_PT: Final = 0.352777778

# Code128 geometry in modules (the narrowest bar, "X"). ISO/IEC 15417 asks for a quiet zone of
# at least 10 X on both sides; without it imagers do not find the start pattern.
_CODE128_QUIET_MODULES: Final = 10
_CODE128_BAR_MODULES: Final = 40  # bar height: tall enough for a hand-held scanner swipe
_CODE128_TEXT_MODULES: Final = 12  # height of the digits printed under the bars
_CODE128_SVG_MODULE_MM: Final = 0.33  # X of 0.33 mm: reliable on laser and thermal printers
_MIN_MODULE_PX: Final = 2  # narrower bars stop decoding once printed (see LIBRARY-NOTES)

_QR_SVG_MODULE_MM: Final = 0.5  # 57 modules incl. quiet zone: about 28 mm, easy for phones

_READ_FORMATS: Final = zxingcpp.BarcodeFormats(
    [zxingcpp.BarcodeFormat.QRCode, zxingcpp.BarcodeFormat.Code128]
)
_SIGNED_ALPHABET: Final = frozenset(ALPHABET)


class BarcodeError(ValueError):
    """Data that cannot become a barcode, or an image that cannot be read as one."""


class DecodedBarcode(msgspec.Struct, frozen=True):
    text: str
    format: str  # zxing-cpp format name: "QRCode" or "Code128"


# ---------------------------------------------------------------- input checks --------


def _check_ticket_number(number: str) -> None:
    # Printing a number the gates will reject (bad check digit) is always a bug upstream.
    if not is_valid_ticket_number(number):
        raise BarcodeError(f"not a valid ticket number: {number!r}")


def _check_signed_code(code: str) -> None:
    # Anything outside the alphabet would push the QR out of alphanumeric mode and might not
    # survive keyboard-wedge scanners, so refuse it here rather than print a dud.
    if len(code) != SIGNED_CODE_LENGTH or not set(code) <= _SIGNED_ALPHABET:
        raise BarcodeError("not a signed ticket code (wrong length or characters)")


def _png_bytes(image: Image.Image) -> bytes:
    out = io.BytesIO()
    image.save(out, format="PNG", dpi=(PRINT_DPI, PRINT_DPI))
    return out.getvalue()


# ---------------------------------------------------------------- Code128 -------------


class TicketCode128(Code128):
    """python-barcode's Code128, without its lost leading "99" (python-barcode issue #251).

    Up to 0.16.1 it folds "start in set C, then switch" into one start code, but also when
    the second code is the data pair 99, which in set C means the digits "99", not a switch:
    a ticket number starting with 99 lost those digits. Only a real switch to A or B folds
    here (the fix of python-barcode pull request #263; drop this class once a release has it).
    """

    def _try_to_optimize(self, encoded: list[int]) -> list[int]:
        if encoded[0] == code128.START_CODES["C"] and encoded[1] in (code128.C["TO_A"], code128.C["TO_B"]):
            encoded[:2] = [code128.TO[encoded[1]]]
        return encoded


class _PixelExactImageWriter(ImageWriter):
    """python-barcode's ImageWriter, painting each bar on whole pixels.

    The stock writer converts millimetres to pixels in floating point and Pillow truncates the
    coordinates, so a bar meant to be 3 px is sometimes 2 px (2.9999999 px truncates to 2).
    At 2-3 px per module that is a 33-50% width error, enough to make decoding unreliable.
    Rounding instead gives every bar exactly its number of modules times the module width.
    """

    def _paint_module(self, xpos: float, ypos: float, width: float, color: str) -> None:
        left = round(mm2px(xpos, self.dpi))
        right = round(mm2px(xpos + width, self.dpi))
        top = round(mm2px(ypos, self.dpi))
        bottom = round(mm2px(ypos + self.module_height, self.dpi))
        self._draw.rectangle([(left, top), (right - 1, bottom - 1)], fill=color)


def _code128_options(module_mm: float) -> dict[str, Any]:
    """Writer options with every size derived from the module width, so the symbol scales."""
    return {
        "module_width": module_mm,
        "module_height": module_mm * _CODE128_BAR_MODULES,
        "quiet_zone": module_mm * _CODE128_QUIET_MODULES,
        "font_size": module_mm * _CODE128_TEXT_MODULES / _MM_PER_PT,
        # python-barcode anchors the text at its baseline-descender, text_distance below the
        # bars: a font height plus a small gap keeps digits and bars apart.
        "text_distance": module_mm * (_CODE128_TEXT_MODULES + 3),
        "margin_top": module_mm * 2,
        "margin_bottom": module_mm,
    }


def code128_svg(number: str) -> bytes:
    """The ticket number as a Code128 SVG (mm-sized, X = 0.33 mm), grouped digits underneath."""
    _check_ticket_number(number)
    options = _code128_options(_CODE128_SVG_MODULE_MM) | {"compress": True, "with_doctype": False}
    # A fresh Code128 per call: python-barcode keeps charset state on the instance while building.
    svg: bytes = TicketCode128(number, writer=SVGWriter()).render(options, text=format_ticket_number(number))
    return svg


def _code128_image(number: str, module_width_px: int) -> Image.Image:
    _check_ticket_number(number)
    if module_width_px < _MIN_MODULE_PX:
        raise ValueError(f"module_width_px must be at least {_MIN_MODULE_PX}: thinner bars do not decode")
    writer = _PixelExactImageWriter(format="PNG", mode="L", dpi=PRINT_DPI)
    options = _code128_options(module_width_px * _MM_PER_INCH / PRINT_DPI)
    symbol = TicketCode128(number, writer=writer)
    image: Image.Image = symbol.render(options, text=format_ticket_number(number))
    return image


def code128_png(number: str, *, module_width_px: int = 3) -> bytes:
    """The ticket number as a Code128 PNG (grayscale, 300 dpi), grouped digits underneath."""
    return _png_bytes(_code128_image(number, module_width_px))


# ---------------------------------------------------------------- QR ------------------


def _qr(code: str) -> zxingcpp.Barcode:
    _check_signed_code(code)
    return zxingcpp.create_barcode(code, zxingcpp.BarcodeFormat.QRCode, ec_level="Q")


def _qr_image(qr: zxingcpp.Barcode, scale: int) -> Image.Image:
    if scale < 1:
        raise ValueError("scale must be at least 1 pixel per module")
    # to_image keeps the 4-module quiet zone (add_quiet_zones defaults to True).
    return Image.fromarray(qr.to_image(scale=scale))


def qr_png(code: str, *, scale: int = 6) -> bytes:
    """The signed code as a QR PNG, `scale` pixels per module, quiet zone included."""
    return _png_bytes(_qr_image(_qr(code), scale))


_ZINT_SVG_SIZE = re.compile(r'<svg width="(\d+)" height="(\d+)"')


def qr_svg(code: str) -> bytes:
    """The signed code as a QR SVG, mm-sized (0.5 mm modules), scalable, quiet zone included."""
    svg = _qr(code).to_svg()  # one user unit per module
    # zxing-cpp (zint) writes a unitless size and no viewBox: give it a physical size and a
    # viewBox so it prints at a known size and can be scaled by CSS, and crisp edges so
    # renderers do not anti-alias seams between adjacent modules.
    match = _ZINT_SVG_SIZE.search(svg)
    if match is None:
        raise RuntimeError("unexpected SVG from zxing-cpp: cannot find its size")
    width, height = int(match[1]), int(match[2])
    sized = (
        f'<svg width="{width * _QR_SVG_MODULE_MM:g}mm" height="{height * _QR_SVG_MODULE_MM:g}mm" '
        f'viewBox="0 0 {width} {height}" shape-rendering="crispEdges"'
    )
    return (svg[: match.start()] + sized + svg[match.end() :]).encode()


# ---------------------------------------------------------------- decoding ------------


def _open_image(data: bytes | Path) -> Image.Image:
    raw = data.read_bytes() if isinstance(data, Path) else bytes(data)  # missing file: OSError
    try:
        image = Image.open(io.BytesIO(raw))
        image.load()  # decode now: truncated or corrupt data fails here, not inside zxing
    # Pillow's decoders raise many exception types on corrupt input (OSError for truncation,
    # SyntaxError/ValueError/struct.error from plugins, DecompressionBombError for huge ones).
    except Exception as exc:
        raise BarcodeError("not a readable image (unknown format, truncated or corrupt data)") from exc
    return image


def _luminance(image: Image.Image) -> Image.Image:
    # Flatten transparency onto white first: a transparent PNG usually has black (0, 0, 0)
    # transparent pixels, which would otherwise swallow black bars.
    if image.mode in ("RGBA", "LA", "PA") or "transparency" in image.info:
        rgba = image.convert("RGBA")
        background = Image.new("RGBA", rgba.size, "white")
        image = Image.alpha_composite(background, rgba)
    return image if image.mode == "L" else image.convert("L")


def decode_image(data: bytes | Path | Image.Image) -> list[DecodedBarcode]:
    """Every QR and Code128 symbol found in a photo or image (PNG/JPEG/... bytes, path, PIL).

    Raises BarcodeError when the data is not a readable image; an image without barcodes gives [].
    """
    image = data if isinstance(data, Image.Image) else _open_image(data)
    results = zxingcpp.read_barcodes(_luminance(image), formats=_READ_FORMATS)
    return [DecodedBarcode(text=result.text, format=result.format.name) for result in results]


# ---------------------------------------------------------------- printable ticket ----


_DEFAULT_ACCENT: Final = "#1f3a5f"


class PrintableTicket(msgspec.Struct, frozen=True, kw_only=True):
    """Everything printed on a ticket, already formatted by the caller (locale, currency, zone).

    No labels are added around the texts, so `validity` and `price` should read on their own
    (e.g. "Valid 12-14 June 2026", "EUR 24.00").
    """

    venue_name: str
    title: str
    description: str = ""
    accent_color: str = _DEFAULT_ACCENT  # "#rrggbb" or "#rgb"; anything else prints the default
    template_name: str = ""
    event_name: str | None = None
    event_start: str | None = None
    validity: str = ""
    price: str = ""
    signed_code: str
    # None (or ""): a ticket sold offline by a box office has only its signed code: QR only.
    ticket_number: str | None = None


_HEX_COLOR = re.compile(r"#(?:[0-9a-fA-F]{3}){1,2}")


def _accent(t: PrintableTicket) -> str:
    # The colour lands in CSS, where html.escape does not protect: only plain hex gets through.
    # A bad colour from a template must not stop the box office printing, so fall back.
    return t.accent_color if _HEX_COLOR.fullmatch(t.accent_color) else _DEFAULT_ACCENT


def _on_accent(accent: str) -> str:
    """Black or white, whichever reads better on the accent colour (relative luminance)."""
    red, green, blue = ImageColor.getrgb(accent)[:3]
    return "#000000" if 0.2126 * red + 0.7152 * green + 0.0722 * blue > 150 else "#ffffff"


# ------------------------------------------------------------- HTML


_INLINE_SVG_NOISE = re.compile(r"<\?xml.*?\?>|<!DOCTYPE.*?>|<!--.*?-->", re.DOTALL)
_SVG_ID = re.compile(r'\sid="[^"]*"')


def _inline_svg(svg: bytes) -> str:
    # XML prologue and doctype are invalid inside HTML; ids would clash when several tickets
    # are printed on one page.
    return _SVG_ID.sub("", _INLINE_SVG_NOISE.sub("", svg.decode())).strip()


_TICKET_HTML = string.Template("""<!DOCTYPE html>
<html>
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>$title - $venue</title>
<style>
@page { size: A6 portrait; margin: 0; }
* { box-sizing: border-box; }
html, body { margin: 0; padding: 0; background: #eee; }
body { font-family: "DejaVu Sans", "Helvetica Neue", Arial, sans-serif; color: #111; }
/* Fixed A6 box: text that does not fit is clipped, the barcodes never move off the page. */
.ticket { width: 105mm; height: 148mm; margin: 8mm auto; background: #fff; overflow: hidden;
  display: flex; flex-direction: column; box-shadow: 0 1mm 4mm rgba(0, 0, 0, .25); }
.band { flex: none; background: $accent; color: $on_accent; padding: 5mm 7mm 4mm;
  -webkit-print-color-adjust: exact; print-color-adjust: exact; }
.venue { margin: 0; font-size: 14pt; font-weight: bold; }
.template { margin: 1mm 0 0; font-size: 9pt; }
.body { flex: 1 1 auto; min-height: 0; overflow: hidden; padding: 4mm 7mm 0; }
h1 { margin: 0 0 2mm; font-size: 18pt; line-height: 1.15; overflow-wrap: anywhere; }
.event { margin: 0 0 2mm; font-size: 11pt; }
.event strong { display: block; }
.validity, .price { margin: 0 0 1.5mm; font-size: 10pt; }
.price { font-weight: bold; }
.description { margin: 2mm 0 0; font-size: 8.5pt; color: #444; white-space: pre-line;
  overflow-wrap: anywhere; }
.codes { flex: none; display: flex; flex-direction: column; align-items: center; gap: 3mm;
  padding: 3mm 0 6mm; }
.codes svg { display: block; }
.qr svg { width: 38mm; height: 38mm; }
@media print {
  html, body { background: #fff; }
  .ticket { margin: 0; box-shadow: none; }
  .ticket + .ticket { break-before: page; }
}
</style>
</head>
<body>
<main class="ticket">
<header class="band">
<p class="venue">$venue</p>
$template
</header>
<section class="body">
<h1>$title</h1>
$event
$validity
$price
$description
</section>
<section class="codes">
<div class="qr" role="img" aria-label="QR code">$qr</div>
$code128
</section>
</main>
</body>
</html>
""")


def _paragraph(css_class: str, text: str) -> str:
    return f'<p class="{css_class}">{html.escape(text)}</p>' if text else ""


def _event_html(t: PrintableTicket) -> str:
    if t.event_name is None and t.event_start is None:
        return ""
    name = f"<strong>{html.escape(t.event_name)}</strong>" if t.event_name else ""
    start = f"<time>{html.escape(t.event_start)}</time>" if t.event_start else ""
    return f'<p class="event">{name}{start}</p>'


def render_ticket_html(t: PrintableTicket) -> str:
    """A self-contained A6 HTML ticket: inline SVG barcodes, print CSS, all text escaped."""
    accent = _accent(t)
    return _TICKET_HTML.substitute(
        accent=accent,
        on_accent=_on_accent(accent),
        venue=html.escape(t.venue_name),
        template=_paragraph("template", t.template_name),
        title=html.escape(t.title),
        event=_event_html(t),
        validity=_paragraph("validity", t.validity),
        price=_paragraph("price", t.price),
        description=_paragraph("description", t.description),
        qr=_inline_svg(qr_svg(t.signed_code)),
        code128=_code128_html(t.ticket_number),
    )


def _code128_html(number: str | None) -> str:
    if not number:
        return ""
    label = html.escape(format_ticket_number(number))
    svg = _inline_svg(code128_svg(number))
    return f'<div class="code128" role="img" aria-label="Ticket number {label}">{svg}</div>'


# ------------------------------------------------------------- image (PNG, PDF)

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
    accent = _accent(t)
    page = Image.new("RGB", _PAGE_PX, "white")
    draw = ImageDraw.Draw(page)

    # Barcodes first, from the bottom up: they must always fit, text takes what is left.
    code128_top = height - _MARGIN_PX + _GAP_PX  # no number (QR only): the QR sits at the bottom
    if t.ticket_number:
        code128 = _code128_image(t.ticket_number, _TICKET_CODE128_MODULE_PX)
        code128_top = height - _MARGIN_PX - code128.height
        page.paste(code128, ((width - code128.width) // 2, code128_top))
    symbol = _qr(t.signed_code)
    modules = symbol.to_image(scale=1).shape[0]  # side length including the quiet zone
    qr = _qr_image(symbol, max(3, _QR_TARGET_PX // modules))
    qr_top = code128_top - _GAP_PX - qr.height
    page.paste(qr, ((width - qr.width) // 2, qr_top))

    draw.rectangle([(0, 0), (width, _BAND_PX)], fill=accent)
    band = _TextColumn(draw, _MARGIN_PX, 60, width - 2 * _MARGIN_PX, _BAND_PX - 20)
    band.paragraph(t.venue_name, 56, fill=_on_accent(accent), bold=True, space=10)
    band.paragraph(t.template_name, 36, fill=_on_accent(accent))

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
    return _png_bytes(_compose_ticket(t))


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
