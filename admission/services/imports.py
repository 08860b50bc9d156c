"""Retroactive registration of plain-text scan logs.

A gate PC without the client falls back to what venues did before: a USB scanner typing
codes into a text editor, one per line. Such a file is registered here line by line, in
file order, through the same rules path as passages uploaded by offline gates
(`scanning.TicketIndex.judge`: the ticket index, `decide`, tickets sold offline), and stored with
source "import".

Exactly once: each line's nonce is a hash of the gate, the direction and the file's text up
to and including that line. Importing the same file for the same gate again yields only
duplicates; importing it again after more codes were appended registers just the new lines.
Line endings (CRLF, CR, LF, mixed), a byte order mark or the file's encoding do not change
the text that is hashed. The gate and direction are part of it so that an exit log, or
another gate's log, that happens to begin with the same code is not mistaken for this one.

What a line may hold: a code (ticket number or signed code, with the scanner's usual noise),
optionally with a time stamp before or after it (`2026-06-01 14:03:12 <code>`, or
`<code>;2026-06-01T14:03`), which is the scan time for that line. Lines without a stamp are
scanned at `--at`, or at the import time.
"""

from __future__ import annotations

import codecs
import hashlib
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import get_args
from zoneinfo import ZoneInfo

import msgspec
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from admission.contract import ImportLine, ImportResult, LineStatus
from admission.db.models import Scan
from admission.domain import codes
from admission.domain.codes import CodeError
from admission.domain.errors import InvalidRequestError
from admission.domain.model import Direction, GateInfo
from admission.services import catalog, scanning
from admission.services.keys import KeyRing

MAX_IMPORT_BYTES = 5 * 1024 * 1024
MAX_IMPORT_LINES = 50_000
CHUNK_LINES = 2000  # lines judged per ticket-index load
SHOWN_TEXT = 80  # characters of a line echoed in the results

_LINE_BREAK = re.compile(rb"\r\n|\r|\n")
_STAMP = r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d{1,6})?)?(?:Z|[+-]\d{2}:?\d{2})?"
_STAMP_FIRST = re.compile(rf"^(?P<at>{_STAMP})[\s,;]+(?P<code>\S.*)$")
_STAMP_LAST = re.compile(rf"^(?P<code>.*\S)[\s,;]+(?P<at>{_STAMP})$")






@dataclass(frozen=True)
class LogLine:
    number: int
    text: str  # printable text of the line, trimmed
    nonce: str


# ------------------------------------------------------------------ reading ----------


def _decode_line(raw: bytes) -> str:
    """UTF-8 when it is, else Windows-1252 (what editors on gate PCs write)."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        text = raw.decode("cp1252", errors="replace")
    return "".join(ch for ch in text if ch.isprintable() or ch == "\t").strip()


def _raw_lines(content: bytes) -> list[str]:
    if content.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):  # Notepad's "Unicode"
        text = content.decode("utf-16", errors="replace")
        parts = re.split(r"\r\n|\r|\n", text)
        lines = ["".join(ch for ch in p if ch.isprintable() or ch == "\t").strip() for p in parts]
    else:
        content = content.removeprefix(codecs.BOM_UTF8)
        lines = [_decode_line(part) for part in _LINE_BREAK.split(content)]
    if lines and lines[-1] == "":  # the newline that ends the last line opens no new one
        lines.pop()
    return lines


def read_log(content: bytes, gate: str = "", direction: str = "in") -> list[LogLine]:
    """The lines of a scan log, each with its nonce (a hash of the text up to that line)."""
    if len(content) > MAX_IMPORT_BYTES:
        raise InvalidRequestError(f"the file is larger than {MAX_IMPORT_BYTES // (1024 * 1024)} MB")
    texts = _raw_lines(content)
    if len(texts) > MAX_IMPORT_LINES:
        raise InvalidRequestError(f"the file has more than {MAX_IMPORT_LINES} lines: split it")
    running = hashlib.sha256(f"admission scan log\n{gate}\n{direction}\n".encode())
    lines = []
    for number, text in enumerate(texts, start=1):
        running.update(text.encode("utf-8", errors="replace") + b"\n")
        lines.append(LogLine(number=number, text=text, nonce=f"import-{running.hexdigest()[:48]}"))
    return lines


def split_stamp(text: str, tz: ZoneInfo) -> tuple[str, datetime | None]:
    """The code and, when the line carries one, its time stamp (venue time unless offset)."""
    match = _STAMP_FIRST.match(text) or _STAMP_LAST.match(text)
    if match is None:
        return text, None
    try:
        moment = datetime.fromisoformat(match["at"].replace(" ", "T", 1))
    except ValueError:
        return text, None
    return match["code"].strip(), moment.replace(tzinfo=tz) if moment.tzinfo is None else moment


def parse_import_time(text: str | None, tz: ZoneInfo, now: datetime) -> datetime:
    """`--at`: an ISO date-time, venue time unless it carries an offset; default now."""
    if not text:
        return now
    try:
        moment = datetime.fromisoformat(text.strip().replace(" ", "T", 1))
    except ValueError:
        raise InvalidRequestError(f"cannot read the time {text!r}: use e.g. 2026-06-01T14:00") from None
    moment = moment.replace(tzinfo=tz) if moment.tzinfo is None else moment
    return scanning.check_scan_time(moment, now)


# ------------------------------------------------------------------ registering ------


class _Judged(msgspec.Struct, kw_only=True):
    line: LogLine
    code: str
    at: datetime


async def _stored_answers(session: AsyncSession, nonces: list[str]) -> dict[str, tuple[str, str, str]]:
    rows = await session.execute(
        select(Scan.nonce, Scan.verdict, Scan.reason, Scan.message).where(
            Scan.nonce_scope == scanning.SERVICE_SCOPE, Scan.nonce.in_(nonces)
        )
    )
    return {nonce: (verdict, reason, message) for nonce, verdict, reason, message in rows}


def _prepare(lines: list[LogLine], tz: ZoneInfo, at: datetime, now: datetime) -> list[_Judged | ImportLine]:
    """Each non-blank line as something to judge, or as a line that is not a code."""
    prepared: list[_Judged | ImportLine] = []
    for line in lines:
        if not line.text:
            continue
        code, stamped = split_stamp(line.text, tz)
        shown = line.text[:SHOWN_TEXT]
        try:
            codes.classify_scan(code)
            scan_time = scanning.check_scan_time(stamped, now) if stamped else at
        except (CodeError, InvalidRequestError) as exc:
            prepared.append(ImportLine(line=line.number, text=shown, status="not_a_code", message=str(exc)))
            continue
        prepared.append(_Judged(line=line, code=code, at=scan_time))
    return prepared


async def _register_chunk(
    session: AsyncSession,
    ring: KeyRing,
    tz: ZoneInfo,
    gate: GateInfo,
    direction: Direction,
    chunk: list[_Judged],
    device_id: int | None,
    now: datetime,
) -> list[ImportLine]:
    stored = await _stored_answers(session, [j.line.nonce for j in chunk])
    index = scanning.TicketIndex(session, ring, await catalog.load_scan_catalog(session))
    await index.load(j.code for j in chunk if j.line.nonce not in stored)
    results: list[ImportLine] = []
    facts: list[scanning.ScanFact] = []
    for judged in chunk:
        line, shown = judged.line, judged.line.text[:SHOWN_TEXT]
        if line.nonce in stored:
            verdict, reason, message = stored[line.nonce]
            results.append(
                ImportLine(
                    line=line.number,
                    text=shown,
                    status="duplicate",
                    verdict=verdict,
                    reason=reason,
                    message=f"imported before: {message}",
                    nonce=line.nonce,
                )
            )
            continue
        # The one rules path for every scan: ticket index, tickets sold offline, `decide`.
        ticket, facts_of_ticket, decision = await index.judge(judged.code, gate, direction, judged.at)
        fact = scanning.ScanFact(
            nonce=line.nonce,
            code=judged.code,
            ticket=ticket,
            facts=facts_of_ticket,
            gate=gate,
            direction=direction,
            decision=decision,
            source="import",
            scanned_at=judged.at,
            received_at=now,
            device_id=device_id,
        )
        facts.append(fact)
        index.record(fact)
        results.append(
            ImportLine(
                line=line.number,
                text=shown,
                status="admitted" if decision.admitted else "rejected",
                verdict=decision.verdict.value,
                reason=decision.reason.value,
                message=decision.message,
                ticket_serial=str(ticket.serial) if ticket is not None else None,
                scanned_at=judged.at.astimezone(tz),
                nonce=line.nonce,
            )
        )
    await scanning.record_scans(session, facts)
    return results


async def import_scan_log(
    session: AsyncSession,
    ring: KeyRing,
    content: bytes,
    gate_name: str,
    direction: Direction = Direction.IN,
    at: str | datetime | None = None,
    device_id: int | None = None,
    now: datetime | None = None,
) -> ImportResult:
    """Register every code of a scan log at `gate_name`, in file order, exactly once."""
    now = now or datetime.now(UTC)
    tz = ZoneInfo((await catalog.get_venue(session)).timezone)
    gate = await catalog.gate_by_name(session, gate_name)
    scan_time = at if isinstance(at, datetime) else parse_import_time(at, tz, now)
    if scan_time.tzinfo is None:
        raise InvalidRequestError("the scan time must carry a UTC offset")
    lines = read_log(content, gate.name, direction.value)
    prepared = _prepare(lines, tz, scanning.check_scan_time(scan_time, now), now)
    judged_results: list[ImportLine] = []
    pending = [p for p in prepared if isinstance(p, _Judged)]
    for start in range(0, len(pending), CHUNK_LINES):
        chunk = pending[start : start + CHUNK_LINES]
        judged_results += await _register_chunk(session, ring, tz, gate, direction, chunk, device_id, now)
    results = sorted(
        [*judged_results, *(p for p in prepared if isinstance(p, ImportLine))], key=lambda r: r.line
    )
    count = {status: sum(1 for r in results if r.status == status) for status in get_args(LineStatus)}
    return ImportResult(
        file_sha256=hashlib.sha256(content).hexdigest(),
        gate=gate.name,
        direction=direction.value,
        lines=len(lines),
        blank=sum(1 for line in lines if not line.text),
        admitted=count["admitted"],
        rejected=count["rejected"],
        not_a_code=count["not_a_code"],
        duplicates=count["duplicate"],
        registered=count["admitted"] + count["rejected"],
        results=results,
    )
