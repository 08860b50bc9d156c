"""The ticket number (13 digits) as Code128, with python-barcode: thermal printers and cheap 1D
imagers read it, and staff can type the grouped digits printed under the bars.

Carries a fix python-barcode has not released yet (`TicketCode128`) and paints bars on whole
pixels (`_PixelExactImageWriter`); SVG output is millimetre-sized, PNG output is 300 dpi.
"""

from __future__ import annotations

from typing import Any, Final

from barcode import Code128
from barcode.charsets import code128
from barcode.writer import ImageWriter, SVGWriter, mm2px
from PIL import Image

from admission.barcodes.errors import BarcodeError
from admission.barcodes.png import PRINT_DPI, png_bytes
from admission.domain.codes import format_ticket_number, is_valid_ticket_number

_MM_PER_INCH: Final = 25.4
_MM_PER_PT: Final = 0.352777778

# Code128 geometry in modules (the narrowest bar, "X"). ISO/IEC 15417 asks for a quiet zone of
# at least 10 X on both sides; without it imagers do not find the start pattern.
_CODE128_QUIET_MODULES: Final = 10
_CODE128_BAR_MODULES: Final = 40  # bar height: tall enough for a hand-held scanner swipe
_CODE128_TEXT_MODULES: Final = 12  # height of the digits printed under the bars
_CODE128_SVG_MODULE_MM: Final = 0.33  # X of 0.33 mm: reliable on laser and thermal printers
_MIN_MODULE_PX: Final = 2  # narrower bars stop decoding once printed (see LIBRARY-NOTES)


def _check_ticket_number(number: str) -> None:
    # Printing a number the gates will reject (bad check digit) is always a bug upstream.
    if not is_valid_ticket_number(number):
        raise BarcodeError(f"not a valid ticket number: {number!r}")


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


def code128_image(number: str, module_width_px: int) -> Image.Image:
    """The ticket number as a Code128 image at 300 dpi, `module_width_px` pixels per module."""
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
    return png_bytes(code128_image(number, module_width_px))
