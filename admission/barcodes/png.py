"""PNG output at print resolution: the file carries 300 dpi, so printing software prints a
barcode or ticket at its intended physical size."""

from __future__ import annotations

import io
from typing import Final

from PIL import Image

PRINT_DPI: Final = 300


def png_bytes(image: Image.Image) -> bytes:
    """The image as PNG bytes that say 300 dpi."""
    out = io.BytesIO()
    image.save(out, format="PNG", dpi=(PRINT_DPI, PRINT_DPI))
    return out.getvalue()
