"""A watched folder: imagers and phones drop photos of tickets in it, each barcode found is
scanned like a typed code.

A file is claimed by moving it into `done/` before it is decoded, so a crash can never scan the
same image twice (at worst one dropped image is not scanned, and nobody saw a verdict for it).
Files younger than `settle` seconds are left alone: they may still be being written.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

from admission.barcodes import BarcodeError, decode_image
from admission.i18n import _

log = logging.getLogger(__name__)

IMAGE_SUFFIXES = frozenset({".png", ".jpg", ".jpeg", ".bmp", ".gif", ".tif", ".tiff", ".webp"})

# Called with the image and the decoded texts (empty: no barcode), or an error message.
Found = Callable[[Path, list[str], str | None], Awaitable[None]]


def claim_ready(folder: Path, settle: float) -> list[Path]:
    """Move settled images into done/ and return their new paths, oldest first."""
    done = folder / "done"
    done.mkdir(parents=True, exist_ok=True)
    now = time.time()
    claimed = []
    candidates = [p for p in folder.iterdir() if p.is_file() and p.suffix.lower() in IMAGE_SUFFIXES]
    for path in sorted(candidates, key=lambda p: p.stat().st_mtime):
        if now - path.stat().st_mtime < settle:
            continue
        target = done / path.name
        if target.exists():  # the same name dropped again: keep both
            target = done / f"{path.stem}-{time.time_ns()}{path.suffix}"
        try:
            path.rename(target)
        except FileNotFoundError:  # taken away meanwhile
            continue
        claimed.append(target)
    return claimed


async def watch_folder(folder: Path, found: Found, *, interval: float = 0.5, settle: float = 0.3) -> None:
    """Poll `folder` until cancelled. Errors are reported per image, never raised."""
    while True:
        try:
            images = await asyncio.to_thread(claim_ready, folder, settle)
        except OSError as exc:
            log.warning("cannot read the watched folder %s: %s", folder, exc)
            images = []
        for image in images:
            try:
                # zxing-cpp is CPU-bound: keep the event loop (and the gate's input) responsive.
                texts = [b.text for b in await asyncio.to_thread(decode_image, image)]
            except (BarcodeError, OSError) as exc:
                await found(image, [], _("cannot read {name}: {error}").format(name=image.name, error=exc))
                continue
            await found(image, texts, None)
        await asyncio.sleep(interval)
