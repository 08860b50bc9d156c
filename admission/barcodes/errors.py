"""The one error of barcode rendering and reading."""

from __future__ import annotations


class BarcodeError(ValueError):
    """Data that cannot become a barcode, or an image that cannot be read as one."""
