"""Reading QR and Code128 symbols from photos and images, with the zxing-cpp that renders the
QR, so the scanner client reads exactly what we print."""

from __future__ import annotations

import io
from pathlib import Path

import msgspec
import zxingcpp
from PIL import Image

from admission.barcodes.errors import BarcodeError


class DecodedBarcode(msgspec.Struct, frozen=True):
    text: str
    format: str  # zxing-cpp format name: "QRCode" or "Code128"


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
    # Built per call rather than kept in a global: a service worker freezes what start-up made
    # out of the collector (gc.freeze), and a zxing-cpp object in a submodule's globals then
    # outlives the interpreter's clean-up, which nanobind reports as a leak at every exit.
    formats = zxingcpp.BarcodeFormats([zxingcpp.BarcodeFormat.QRCode, zxingcpp.BarcodeFormat.Code128])
    results = zxingcpp.read_barcodes(_luminance(image), formats=formats)
    return [DecodedBarcode(text=result.text, format=result.format.name) for result in results]
