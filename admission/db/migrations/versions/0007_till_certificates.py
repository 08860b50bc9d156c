"""till keys become short-lived certificates

- `issuer_keys.not_before` and `not_after`: the window in which a till's key may issue tickets,
  renewed online by the till. Every existing till key is certified from its creation for the
  default lifetime from now (`DEFAULT_CERTIFICATE_LIFETIME`), so a till of an older release that
  is never upgraded stops minting tickets gates accept, and an upgraded one renews before then.
- the change feed gets a fresh `key` change for every till key, carrying its window and its
  revocation time, so gates that read the feed already learn them too.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-10 10:00:00
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from alembic import op

from admission.db.models import UTCDateTime

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

DEFAULT_CERTIFICATE_LIFETIME = timedelta(hours=72)  # as admission.config's default


def _iso(moment: datetime | None) -> str | None:
    if moment is None:
        return None
    if moment.tzinfo is None:  # SQLite hands back naive UTC
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def upgrade() -> None:
    with op.batch_alter_table("issuer_keys") as keys:
        keys.add_column(sa.Column("not_before", UTCDateTime(timezone=True), nullable=True))
        keys.add_column(sa.Column("not_after", UTCDateTime(timezone=True), nullable=True))
    bind = op.get_bind()
    issuer_keys = sa.table(
        "issuer_keys",
        sa.column("key_id", sa.Integer),
        sa.column("public_key", sa.String),
        sa.column("device_id", sa.Integer),
        sa.column("created_at", UTCDateTime(timezone=True)),
        sa.column("revoked_at", UTCDateTime(timezone=True)),
        sa.column("not_before", UTCDateTime(timezone=True)),
        sa.column("not_after", UTCDateTime(timezone=True)),
    )
    devices = sa.table("devices", sa.column("id", sa.Integer), sa.column("name", sa.String))
    changes = sa.table("changes", sa.column("kind", sa.String), sa.column("key", sa.String),
                       sa.column("data", sa.Text))  # fmt: skip
    until = datetime.now(UTC).replace(microsecond=0) + DEFAULT_CERTIFICATE_LIFETIME
    rows = bind.execute(
        sa.select(
            issuer_keys.c.key_id,
            issuer_keys.c.public_key,
            issuer_keys.c.created_at,
            issuer_keys.c.revoked_at,
            devices.c.name,
        )
        .join(devices, devices.c.id == issuer_keys.c.device_id)
        .order_by(issuer_keys.c.key_id)
    ).all()
    fed = []
    for key_id, public_key, created_at, revoked_at, device in rows:
        bind.execute(
            sa.update(issuer_keys)
            .where(issuer_keys.c.key_id == key_id)
            .values(not_before=created_at, not_after=until)
        )
        data = {
            "key_id": key_id,
            "public_key": public_key,
            "device": device,
            "revoked": revoked_at is not None,
            "revoked_at": _iso(revoked_at),
            "not_before": _iso(created_at),
            "not_after": _iso(until),
        }
        fed.append({"kind": "key", "key": str(key_id), "data": json.dumps(data, separators=(",", ":"))})
    if fed:
        bind.execute(sa.insert(changes), fed)


def downgrade() -> None:
    with op.batch_alter_table("issuer_keys") as keys:
        keys.drop_column("not_after")
        keys.drop_column("not_before")
