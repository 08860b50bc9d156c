"""The signed code (152 symbols) as a QR, with zxing-cpp at error correction level Q:
print-at-home tickets get folded and phone screens get cracked, and Q survives ~25% damage
while the code still fits a small symbol (its alphabet keeps the QR in alphanumeric mode).
SVG output is millimetre-sized, PNG output is 300 dpi."""

from __future__ import annotations

import re
from typing import Final

import zxingcpp
from PIL import Image

from admission.barcodes.errors import BarcodeError
from admission.barcodes.png import png_bytes
from admission.domain.codes import ALPHABET, SIGNED_CODE_LENGTH

_QR_SVG_MODULE_MM: Final = 0.5  # 57 modules incl. quiet zone: about 28 mm, easy for phones
_SIGNED_ALPHABET: Final = frozenset(ALPHABET)


def _check_signed_code(code: str) -> None:
    # Anything outside the alphabet would push the QR out of alphanumeric mode and might not
    # survive keyboard-wedge scanners, so refuse it here rather than print a dud.
    if len(code) != SIGNED_CODE_LENGTH or not set(code) <= _SIGNED_ALPHABET:
        raise BarcodeError("not a signed ticket code (wrong length or characters)")


def qr_symbol(code: str) -> zxingcpp.Barcode:
    """The signed code as a QR symbol (level Q), to be drawn as an image or an SVG."""
    _check_signed_code(code)
    return zxingcpp.create_barcode(code, zxingcpp.BarcodeFormat.QRCode, ec_level="Q")


def qr_image(qr: zxingcpp.Barcode, scale: int) -> Image.Image:
    """A QR symbol as an image, `scale` pixels per module, quiet zone included."""
    if scale < 1:
        raise ValueError("scale must be at least 1 pixel per module")
    # to_image keeps the 4-module quiet zone (add_quiet_zones defaults to True).
    return Image.fromarray(qr.to_image(scale=scale))


def qr_png(code: str, *, scale: int = 6) -> bytes:
    """The signed code as a QR PNG, `scale` pixels per module, quiet zone included."""
    return png_bytes(qr_image(qr_symbol(code), scale))


_ZINT_SVG_SIZE = re.compile(r'<svg width="(\d+)" height="(\d+)"')


def qr_svg(code: str) -> bytes:
    """The signed code as a QR SVG, mm-sized (0.5 mm modules), scalable, quiet zone included."""
    svg = qr_symbol(code).to_svg()  # one user unit per module
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
