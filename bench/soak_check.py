"""The soak's verdict: what the gates and the till acknowledged, against the service's own records.

The service's records are read from its database, read-only (every scan, garbage included, and
every sale with its tickets), and the passages of every ticket the soak used are read once more
through `GET /api/v1/tickets/{ref}` to check that the API tells the same story.

What counts:

- every verdict line a gate printed is a passage the gate made. Centrally it must be registered
  (under its nonce, or, for an online scan whose answer the gate never saw and then decided
  itself, beside it), and the number of admissions the service counts for it must be what the
  gate showed: one for ADMIT, none for REJECT. Fewer is **lost**, more is **doubled**;
- a gate killed by SIGKILL may leave one passage behind that it never printed (it was waiting
  for the service, or had committed and not yet printed). More such passages than kills of that
  gate are records nobody made: **doubled**;
- every sale the till saw acknowledged must be there once, with all its tickets (**lost**
  otherwise); a sale the till settled as not sold (cancelled at the service, or never sent), or a
  nonce the till never used, must not be there (**doubled**); an offline sale still unacknowledged at the end is **unposted**.
"""

from __future__ import annotations

import hashlib
import sqlite3
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import httpx


@dataclass(frozen=True)
class ScanRow:
    nonce: str
    device: str | None
    verdict: str
    reason: str
    source: str
    annulled: bool
    conflict: bool
    scanned_at: datetime
    received_at: datetime
    ticket_serial: str | None

    @property
    def admits(self) -> bool:
        return self.verdict == "admit" and not self.annulled


@dataclass(frozen=True)
class SaleRow:
    id: int
    nonce: str
    device: str | None
    offline: bool
    status: str
    sold_at: datetime
    received_at: datetime


@dataclass
class Records:
    scans: list[ScanRow]
    nonce_counts: dict[str, int]  # nonces stored more than once (the unique index says: none)
    sales: list[SaleRow]
    sale_tickets: dict[int, set[str]]  # sale id -> ticket serials


@dataclass
class SaleRecord:
    """One sale as the till recorded it, under the nonce made before the request left."""

    nonce: str
    mode: str  # online | offline
    state: str  # attempting, acked, unknown, not_sold, declined, queued, refused, voided
    body: dict[str, Any]
    quantity: int
    made_at: float  # time.monotonic()
    serials: list[str] = field(default_factory=list)  # offline: the tickets the till signed
    sale_id: int | None = None
    problem: str | None = None
    acked_at: float | None = None


def gate_nonce(nonce: str) -> str:
    """The nonce under which the service registers a gate's own admission beside its online scan
    that the service had rejected (README: "an online scan whose answer the gate never saw")."""
    return "gate-decided-" + hashlib.sha256(nonce.encode()).hexdigest()[:40]


# ------------------------------------------------------------------ reading -------------


SCANS_SQL = (
    "SELECT s.nonce, d.name, s.verdict, s.reason, s.source, s.annulled_at, s.conflict, s.scanned_at, "
    "s.received_at, s.ticket_serial FROM scans s LEFT JOIN devices d ON d.id = s.device_id"
)
NONCE_COUNTS_SQL = "SELECT nonce, count(*) FROM scans GROUP BY nonce HAVING count(*) > 1"
SALES_SQL = (
    "SELECT s.id, s.nonce, d.name, s.offline, s.status, s.sold_at, s.received_at "
    "FROM sales s LEFT JOIN devices d ON d.id = s.device_id"
)
SALE_TICKETS_SQL = "SELECT sale_id, serial FROM tickets WHERE sale_id IS NOT NULL"


def _moment(value: Any) -> datetime:
    if isinstance(value, str):  # SQLite keeps UTC without an offset
        value = datetime.fromisoformat(value)
    assert isinstance(value, datetime), value
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _records(scans: list[Any], counts: list[Any], sales: list[Any], tickets: list[Any]) -> Records:
    sale_tickets: dict[int, set[str]] = defaultdict(set)
    for sale_id, serial in tickets:
        sale_tickets[int(sale_id)].add(str(serial))
    return Records(
        scans=[
            ScanRow(
                nonce=n,
                device=d,
                verdict=v,
                reason=r,
                source=s,
                annulled=a is not None,
                conflict=bool(c),
                scanned_at=_moment(at),
                received_at=_moment(rt),
                ticket_serial=None if serial is None else str(serial),
            )
            for n, d, v, r, s, a, c, at, rt, serial in scans
        ],
        nonce_counts={str(n): int(c) for n, c in counts},
        sales=[
            SaleRow(
                id=int(i),
                nonce=n,
                device=d,
                offline=bool(o),
                status=st,
                sold_at=_moment(sa),
                received_at=_moment(ra),
            )
            for i, n, d, o, st, sa, ra in sales
        ],
        sale_tickets=dict(sale_tickets),
    )


async def read_records(database_url: str) -> Records:
    """Every scan and sale in the service's database, read without writing anything."""
    if database_url.startswith("sqlite"):
        path = database_url.split("///", 1)[1]
        connection = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            return _records(
                *(
                    connection.execute(sql).fetchall()
                    for sql in (SCANS_SQL, NONCE_COUNTS_SQL, SALES_SQL, SALE_TICKETS_SQL)
                )
            )
        finally:
            connection.close()
    import asyncpg
    from sqlalchemy.engine import make_url

    dsn = make_url(database_url).set(drivername="postgresql").render_as_string(hide_password=False)
    pg = await asyncpg.connect(dsn)
    try:
        await pg.execute("SET SESSION CHARACTERISTICS AS TRANSACTION READ ONLY")
        results = [
            [tuple(r) for r in await pg.fetch(sql)]
            for sql in (SCANS_SQL, NONCE_COUNTS_SQL, SALES_SQL, SALE_TICKETS_SQL)
        ]
    finally:
        await pg.close()
    return _records(*results)


# ------------------------------------------------------------------ passages ------------


@dataclass
class PassageCheck:
    printed: int = 0
    printed_offline: int = 0
    registered: int = 0  # central rows of the soak's gates
    admitted: int = 0  # central admissions that stand (not annulled)
    conflicts: int = 0
    missing: list[str] = field(default_factory=list)  # printed, no record at all
    admissions_lost: list[str] = field(default_factory=list)  # printed ADMIT, no admission stands
    extra_admissions: list[str] = field(default_factory=list)  # more admissions than the gate showed
    printed_twice: list[str] = field(default_factory=list)
    stored_twice: list[str] = field(default_factory=list)
    wrong_device: list[str] = field(default_factory=list)
    unprinted: dict[str, int] = field(default_factory=dict)  # gate device -> passages never printed
    # gate device -> ADMITs printed by a gate killed before it committed them as shown: uploaded
    # as "turned away" (the gate's rule: a verdict counts once it is durably marked shown)
    killed_after_printing: dict[str, int] = field(default_factory=dict)
    unexplained: list[str] = field(default_factory=list)  # a gate's kill artefacts beyond one per kill
    unexplained_excess: int = 0  # how many more than one per kill
    settled_beside: int = 0  # gate admissions registered beside a rejected online scan
    settled_annulled: int = 0  # online admissions annulled because the gate turned the person away
    upload_delays: list[float] = field(default_factory=list)  # offline verdicts: scan -> registered

    @property
    def lost(self) -> int:
        return len(self.missing) + len(self.admissions_lost)

    @property
    def doubled(self) -> int:
        return (
            len(self.extra_admissions)
            + len(self.printed_twice)
            + len(self.stored_twice)
            + self.unexplained_excess
            + len(self.wrong_device)
        )


def _stopped_before_marked_shown(row: ScanRow | None, kills: int) -> bool:
    """The gate printed the line, then was killed before committing the verdict as shown; on
    restart it uploads the scan as not admitted ("turned away"), as the gate's rules say."""
    return kills > 0 and row is not None and row.verdict == "reject" and row.reason == "turned_away"


def check_passages(
    shown: dict[str, list[dict[str, Any]]], kills: dict[str, int], records: Records
) -> PassageCheck:
    """`shown`: gate device -> every verdict line it printed; `kills`: gate device -> SIGKILLs."""
    result = PassageCheck()
    by_nonce = {row.nonce: row for row in records.scans}
    result.stored_twice = sorted(records.nonce_counts)
    for device, lines in shown.items():
        printed: dict[str, dict[str, Any]] = {}
        for line in lines:
            if line["nonce"] in printed:
                result.printed_twice.append(line["nonce"])
            printed[line["nonce"]] = line
        result.printed += len(printed)
        for nonce, line in printed.items():
            row, beside = by_nonce.get(nonce), by_nonce.get(gate_nonce(nonce))
            if row is None and beside is None:
                result.missing.append(f"{device} {nonce} ({line['verdict']}, {line['mode']})")
                continue
            for found in (row, beside):
                if found is not None and found.device != device:
                    result.wrong_device.append(f"{nonce} registered for {found.device}, printed by {device}")
            admissions = sum(1 for r in (row, beside) if r is not None and r.admits)
            expected = 1 if line["verdict"] == "admit" else 0
            what = f"{device} {nonce}: printed {line['verdict']} ({line['mode']}), {admissions} admission(s) stand"
            if admissions < expected and _stopped_before_marked_shown(row, kills.get(device, 0)):
                result.killed_after_printing[device] = result.killed_after_printing.get(device, 0) + 1
            elif admissions < expected:
                result.admissions_lost.append(what)
            elif admissions > expected:
                result.extra_admissions.append(what)
            result.settled_beside += beside is not None
            result.settled_annulled += row is not None and row.annulled and line["verdict"] == "reject"
            if line["mode"] == "offline":
                result.printed_offline += 1
                registering = beside if beside is not None else row
                if registering is not None and registering.source != "online":
                    delay = (registering.received_at - registering.scanned_at).total_seconds()
                    result.upload_delays.append(delay)
        own = [row for row in records.scans if row.device == device]
        beside_of = {gate_nonce(row.nonce): row.nonce for row in own}
        origins = set()
        for row in own:
            origin = beside_of.get(row.nonce, row.nonce)
            if origin not in printed:
                origins.add(origin)
        result.unprinted[device] = len(origins)
        # A kill leaves at most one scan half-done: registered but not printed, or printed but
        # not yet committed as shown.
        artefacts = len(origins) + result.killed_after_printing.get(device, 0)
        if artefacts > kills.get(device, 0):
            result.unexplained_excess += artefacts - kills.get(device, 0)
            result.unexplained += [f"{device} {n}: registered, never printed" for n in sorted(origins)]
    gates = set(shown)
    mine = [row for row in records.scans if row.device in gates]
    result.registered = len(mine)
    result.admitted = sum(1 for row in mine if row.admits)
    result.conflicts = sum(1 for row in mine if row.conflict)
    return result


# ------------------------------------------------------------------ sales ---------------


@dataclass
class SaleCheck:
    acknowledged: int = 0
    online: int = 0
    offline: int = 0
    unknown_reached: int = 0  # unanswered online attempts that had reached the service (refunded)
    unknown_not_received: int = 0
    declined: int = 0
    missing: list[str] = field(default_factory=list)
    ticket_mismatch: list[str] = field(default_factory=list)
    ghosts: list[str] = field(default_factory=list)  # recorded, though the till settled it as not sold
    strangers: list[str] = field(default_factory=list)  # the till's device, a nonce it never made
    unposted: list[str] = field(default_factory=list)
    refused: list[str] = field(default_factory=list)
    upload_delays: list[float] = field(default_factory=list)  # offline sales: sold -> received

    @property
    def lost(self) -> int:
        return len(self.missing) + len(self.ticket_mismatch)

    @property
    def doubled(self) -> int:
        return len(self.ghosts) + len(self.strangers)


def check_sales(journal: list[SaleRecord], device: str, records: Records) -> SaleCheck:
    result = SaleCheck()
    central = {row.nonce: row for row in records.sales if row.device == device}
    for sale in journal:
        row = central.get(sale.nonce)
        if sale.state == "acked":
            result.acknowledged += 1
            result.online += sale.mode == "online"
            result.offline += sale.mode == "offline"
            if row is None or row.id != sale.sale_id:
                result.missing.append(
                    f"{sale.nonce}: acknowledged as sale {sale.sale_id}, central {row and row.id}"
                )
                continue
            serials = records.sale_tickets.get(row.id, set())
            if len(serials) != sale.quantity or (sale.serials and serials != set(sale.serials)):
                result.ticket_mismatch.append(
                    f"{sale.nonce} (sale {row.id}): {sale.quantity} tickets sold, {len(serials)} registered"
                )
            if row.offline:
                result.upload_delays.append((row.received_at - row.sold_at).total_seconds())
        elif sale.state == "voided":
            result.unknown_reached += 1
            if row is None or row.status != "refunded":
                result.missing.append(
                    f"{sale.nonce}: settled as reached and refunded, central {row and row.status}"
                )
        elif sale.state in ("not_sold", "declined"):
            result.unknown_not_received += sale.state == "not_sold"
            result.declined += sale.state == "declined"
            if row is not None:
                result.ghosts.append(
                    f"{sale.nonce}: the till settled it as {sale.state} ({sale.problem}), "
                    f"the service holds sale {row.id} ({row.status}, received {row.received_at:%H:%M:%S.%f})"
                )
        elif sale.state == "refused":
            result.refused.append(f"{sale.nonce}: {sale.problem}")
        else:  # queued, unknown or attempting at the end: never settled
            result.unposted.append(f"{sale.nonce} ({sale.mode}, {sale.state}); central: {row and row.id}")
    made = {sale.nonce for sale in journal}
    result.strangers = [f"{n} (sale {row.id})" for n, row in central.items() if n not in made]
    return result


# ------------------------------------------------------------------ the API's view ------


async def api_disagreements(
    base_url: str, viewer_token: str, refs: list[str], records: Records
) -> tuple[int, list[str]]:
    """Look every ticket up through the API; (tickets read, passages the API and the records tell
    differently)."""
    rows_by_serial: dict[str, dict[str, ScanRow]] = defaultdict(dict)
    for row in records.scans:
        if row.ticket_serial is not None:
            rows_by_serial[row.ticket_serial][row.nonce] = row
    problems: list[str] = []
    seen: set[str] = set()
    headers = {"Authorization": f"Bearer {viewer_token}"}
    async with httpx.AsyncClient(base_url=base_url, headers=headers, timeout=30) as client:
        for ref in refs:
            response = await client.get(f"/api/v1/tickets/{ref}")
            if response.status_code == 404:
                continue  # an offline sale's ticket no gate met and no upload carried (yet)
            if response.status_code != 200:
                problems.append(f"ticket {ref[:16]}: HTTP {response.status_code}")
                continue
            detail = response.json()
            serial = str(detail["serial"])
            if serial in seen:
                continue
            seen.add(serial)
            api = {p["nonce"]: p for p in detail["passages"]}
            stored = rows_by_serial.get(serial, {})
            for nonce in api.keys() ^ stored.keys():
                problems.append(
                    f"ticket {serial}: passage {nonce} only in {'the API' if nonce in api else 'the database'}"
                )
            for nonce in api.keys() & stored.keys():
                row, passage = stored[nonce], api[nonce]
                if (passage["verdict"], passage["annulled"]) != (row.verdict, row.annulled):
                    problems.append(
                        f"ticket {serial}: passage {nonce} differs between the API and the database"
                    )
    return len(seen), problems
