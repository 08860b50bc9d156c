"""gates keep hashed ticket numbers; tokens keep no secret characters

- `venue.settings.number_hashing`: the venue's key and cost for hashing ticket numbers
  (admission.domain.number_hash), made here for an existing venue;
- `tickets.number_hash`, computed for every existing ticket with a number (a few milliseconds
  each: a venue with 100,000 tickets takes a few minutes, once);
- the change feed's ticket changes lose their numbers and gain the hashes, and the venue's
  changes carry the hashing spec, so a gate that syncs from the start gets no number in clear;
- `tokens.prefix` kept the first ten characters of each token, six of them secret: it now holds
  `adm_` for every token made before tokens had a prefix per role.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-09 10:00:00
"""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import sqlalchemy as sa
from alembic import op

from admission.domain.number_hash import NumberHasher

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

_BATCH = 2000


def _hasher(bind: sa.Connection) -> NumberHasher | None:
    venue = sa.table("venue", sa.column("id", sa.Integer), sa.column("settings", sa.JSON))
    row = bind.execute(sa.select(venue.c.settings).where(venue.c.id == 1)).first()
    if row is None:
        return None  # no venue yet: `init` makes the key with the venue
    settings: dict[str, Any] = dict(row[0] or {})
    if not settings.get("number_hashing"):
        settings["number_hashing"] = NumberHasher.new().spec
        bind.execute(sa.update(venue).where(venue.c.id == 1).values(settings=settings))
    return NumberHasher.parse(settings["number_hashing"])


def _hash_tickets(bind: sa.Connection, hasher: NumberHasher) -> dict[str, str]:
    tickets = sa.table(
        "tickets",
        sa.column("serial", sa.BigInteger),
        sa.column("number", sa.String),
        sa.column("number_hash", sa.String),
    )
    rows = bind.execute(
        sa.select(tickets.c.serial, tickets.c.number).where(tickets.c.number.is_not(None))
    ).all()
    by_serial: dict[str, str] = {}
    with ThreadPoolExecutor() as pool:  # scrypt leaves the GIL: every core helps
        for start in range(0, len(rows), _BATCH):
            chunk = rows[start : start + _BATCH]
            hashes = list(pool.map(hasher, [number for _, number in chunk]))
            bind.execute(
                sa.update(tickets)
                .where(tickets.c.serial == sa.bindparam("s"))
                .values(number_hash=sa.bindparam("h")),
                [{"s": serial, "h": h} for (serial, _), h in zip(chunk, hashes, strict=True)],
            )
            by_serial.update({str(serial): h for (serial, _), h in zip(chunk, hashes, strict=True)})
    return by_serial


def _rewrite_feed(bind: sa.Connection, hasher: NumberHasher, by_serial: dict[str, str]) -> None:
    changes = sa.table("changes", sa.column("seq", sa.BigInteger), sa.column("kind", sa.String),
                       sa.column("data", sa.Text))  # fmt: skip
    rows = bind.execute(sa.select(changes.c.seq, changes.c.kind, changes.c.data)
                        .where(changes.c.kind.in_(["ticket", "venue"]))).all()  # fmt: skip
    updates = []
    for seq, kind, data in rows:
        value = json.loads(data)
        if kind == "ticket":
            value["number"] = None
            value["number_hash"] = by_serial.get(str(value.get("serial")))
        else:
            value["number_hashing"] = hasher.spec
        updates.append({"q": seq, "d": json.dumps(value, separators=(",", ":"))})
    for start in range(0, len(updates), _BATCH):
        bind.execute(
            sa.update(changes).where(changes.c.seq == sa.bindparam("q")).values(data=sa.bindparam("d")),
            updates[start : start + _BATCH],
        )


def upgrade() -> None:
    with op.batch_alter_table("tickets") as tickets:
        tickets.add_column(sa.Column("number_hash", sa.String(32), nullable=True))
    bind = op.get_bind()
    hasher = _hasher(bind)
    if hasher is not None:
        _rewrite_feed(bind, hasher, _hash_tickets(bind, hasher))
    op.execute("UPDATE tokens SET prefix = 'adm_'")


def downgrade() -> None:
    with op.batch_alter_table("tickets") as tickets:
        tickets.drop_column("number_hash")
