"""Capacity leases: leases, the seats of an event lent to a device to sell offline; lease_sales,
each offline sale's event seats counted within a lease or beyond it

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-03 19:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import admission.db.models

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "leases",
        sa.Column("id", _ID, nullable=False),
        sa.Column("event_id", _ID, nullable=False),
        sa.Column("device_id", _ID, nullable=False),
        sa.Column("seats", sa.Integer(), nullable=False),
        sa.Column("used", sa.Integer(), nullable=False),
        sa.Column("state", sa.String(length=10), nullable=False),
        sa.Column("granted_at", admission.db.models.UTCDateTime(timezone=True), nullable=False),
        sa.Column("granted_by", _ID, nullable=True),
        sa.Column("expires_at", admission.db.models.UTCDateTime(timezone=True), nullable=False),
        sa.Column("ended_at", admission.db.models.UTCDateTime(timezone=True), nullable=True),
        sa.Column("returned", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["event_id"], ["events.id"], name=op.f("fk_leases_event_id_events")),
        sa.ForeignKeyConstraint(["device_id"], ["devices.id"], name=op.f("fk_leases_device_id_devices")),
        sa.ForeignKeyConstraint(["granted_by"], ["devices.id"], name=op.f("fk_leases_granted_by_devices")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_leases")),
    )
    op.create_index(op.f("ix_leases_event_id"), "leases", ["event_id"], unique=False)
    op.create_index(op.f("ix_leases_device_id"), "leases", ["device_id"], unique=False)
    op.create_table(
        "lease_sales",
        sa.Column("id", _ID, nullable=False),
        sa.Column("sale_id", _ID, nullable=False),
        sa.Column("event_id", _ID, nullable=False),
        sa.Column("lease_id", _ID, nullable=True),
        sa.Column("seats", sa.Integer(), nullable=False),
        sa.Column("beyond", sa.Integer(), nullable=False),
        sa.Column("overbooked", sa.Integer(), nullable=False),
        sa.Column("reason", sa.String(length=300), nullable=True),
        sa.Column("recorded_at", admission.db.models.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["sale_id"], ["sales.id"], name=op.f("fk_lease_sales_sale_id_sales")),
        sa.ForeignKeyConstraint(["event_id"], ["events.id"], name=op.f("fk_lease_sales_event_id_events")),
        sa.ForeignKeyConstraint(["lease_id"], ["leases.id"], name=op.f("fk_lease_sales_lease_id_leases")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_lease_sales")),
    )
    op.create_index(op.f("ix_lease_sales_sale_id"), "lease_sales", ["sale_id"], unique=False)
    op.create_index(op.f("ix_lease_sales_event_id"), "lease_sales", ["event_id"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_lease_sales_event_id"), table_name="lease_sales")
    op.drop_index(op.f("ix_lease_sales_sale_id"), table_name="lease_sales")
    op.drop_table("lease_sales")
    op.drop_index(op.f("ix_leases_device_id"), table_name="leases")
    op.drop_index(op.f("ix_leases_event_id"), table_name="leases")
    op.drop_table("leases")
