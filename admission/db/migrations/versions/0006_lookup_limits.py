"""ticket look-ups that found nothing, counted by the look-up limits

- `lookup_misses`: time, device, client address and a masked form of the number or code tried,
  read per device and per address over the limits' window and by the misses report.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-03 12:30:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import admission.db.models

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

AutoId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "lookup_misses",
        sa.Column("id", AutoId, nullable=False),
        sa.Column("at", admission.db.models.UTCDateTime(timezone=True), nullable=False),
        sa.Column("device_id", AutoId, nullable=False),
        sa.Column("address", sa.String(length=64), nullable=False),
        sa.Column("tried", sa.String(length=40), nullable=False),
        sa.ForeignKeyConstraint(
            ["device_id"], ["devices.id"], name=op.f("fk_lookup_misses_device_id_devices")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_lookup_misses")),
    )
    op.create_index("ix_lookup_misses_device_id_at", "lookup_misses", ["device_id", "at"])
    op.create_index("ix_lookup_misses_address_at", "lookup_misses", ["address", "at"])
    op.create_index("ix_lookup_misses_at", "lookup_misses", ["at"])


def downgrade() -> None:
    op.drop_index("ix_lookup_misses_at", table_name="lookup_misses")
    op.drop_index("ix_lookup_misses_address_at", table_name="lookup_misses")
    op.drop_index("ix_lookup_misses_device_id_at", table_name="lookup_misses")
    op.drop_table("lookup_misses")
