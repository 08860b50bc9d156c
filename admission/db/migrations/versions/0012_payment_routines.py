"""Payment routines: card-terminal incidents.

Revision ID: 0012_payment_routines
Revises: 0011
Create Date: 2026-12-03 15:40:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import admission.db.models

revision = "0012_payment_routines"
down_revision = "0011"
branch_labels = None
depends_on = None

AutoId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
UTC = admission.db.models.UTCDateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "terminal_incidents",
        sa.Column("id", AutoId, nullable=False),
        sa.Column("device_id", AutoId, nullable=False),
        sa.Column("nonce", sa.String(length=100), nullable=False),
        sa.Column("started_at", UTC, nullable=False),
        sa.Column("ended_at", UTC, nullable=True),
        sa.Column("cause", sa.String(length=150), nullable=False),
        sa.Column("note", sa.String(length=500), nullable=True),
        sa.Column("received_at", UTC, nullable=False),
        sa.ForeignKeyConstraint(
            ["device_id"], ["devices.id"], name=op.f("fk_terminal_incidents_device_id_devices")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_terminal_incidents")),
        sa.UniqueConstraint("device_id", "nonce", name="uq_terminal_incidents_device_id_nonce"),
    )
    op.create_index(
        op.f("ix_terminal_incidents_device_id"), "terminal_incidents", ["device_id"], unique=False
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_terminal_incidents_device_id"), table_name="terminal_incidents")
    op.drop_table("terminal_incidents")
