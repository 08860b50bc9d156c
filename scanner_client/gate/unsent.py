"""A revoked gate's admissions the service has not yet heard of, saved as scan logs that
`admission import-scans FILE --gate G --direction D` registers (exactly once, however often).

One file per gate and direction, because an import names one of each; one line per admission:
its scan time with its UTC offset, then the code. Only admissions are written: a person who was
let in must be counted, while a scan the gate refused let nobody in, and an import judges every
line again, so it could turn a refusal into an admission nobody made. The manager reviews the
file before importing it: the gate was revoked, perhaps stolen.
"""

from __future__ import annotations

import re
from collections import defaultdict
from datetime import datetime
from pathlib import Path

from admission.domain.model import Verdict
from scanner_client.core.revocation import write_private
from scanner_client.gate.passages import LocalPassage


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9]+", "-", text).strip("-").lower() or "gate"


def unsent_admissions(passages: list[LocalPassage]) -> dict[tuple[str, str], list[LocalPassage]]:
    grouped: dict[tuple[str, str], list[LocalPassage]] = defaultdict(list)
    for passage in passages:
        if passage.upload and passage.verdict is Verdict.ADMIT and not passage.annulled:
            grouped[(passage.gate, passage.direction.value)].append(passage)
    return grouped


def write_unsent(folder: Path, device: str, passages: list[LocalPassage], at: datetime) -> list[Path]:
    """Write the unsent admissions next to the store (this user only); returns the files."""
    written = []
    stamp = at.strftime("%Y%m%dT%H%M%S")
    for (gate, direction), group in sorted(unsent_admissions(passages).items()):
        path = folder / f"unsent-{_slug(device)}-{_slug(gate)}-{direction}-{stamp}.txt"
        in_order = sorted(group, key=lambda p: p.seq)
        lines = "".join(f"{p.scanned_at.isoformat(timespec='seconds')} {p.code}\n" for p in in_order)
        write_private(path, lines.encode("utf-8"))
        written.append(path)
    return written
