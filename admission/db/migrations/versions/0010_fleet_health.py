"""fleet health: what each gate and till last reported of itself

`device_health` holds one row per device, replaced by each report: its version, upload queue,
last feed read, connection state and the clock offset it measured against the service.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-10 10:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import admission.db.models

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

AutoId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "device_health",
        sa.Column("device_id", AutoId, nullable=False),
        sa.Column("received_at", admission.db.models.UTCDateTime(timezone=True), nullable=False),
        sa.Column("version", sa.String(length=40), nullable=False),
        sa.Column("queue", sa.Integer(), nullable=False),
        sa.Column("last_sync_at", admission.db.models.UTCDateTime(timezone=True), nullable=True),
        sa.Column("online", sa.Boolean(), nullable=False),
        sa.Column("clock_offset_ms", sa.BigInteger(), nullable=True),
        sa.ForeignKeyConstraint(
            ["device_id"], ["devices.id"], name=op.f("fk_device_health_device_id_devices")
        ),
        sa.PrimaryKeyConstraint("device_id", name=op.f("pk_device_health")),
    )


def downgrade() -> None:
    op.drop_table("device_health")
