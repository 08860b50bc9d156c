"""A venue hub's own tables: hub_forwarded, which of its scans the central service has
acknowledged; hub_upstream, how far it has read the central service's feed

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-03 15:40:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import admission.db.models

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "hub_forwarded",
        sa.Column("scan_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("forwarded_at", admission.db.models.UTCDateTime(timezone=True), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("detail", sa.String(length=300), nullable=True),
        sa.ForeignKeyConstraint(["scan_id"], ["scans.id"], name=op.f("fk_hub_forwarded_scan_id_scans")),
        sa.PrimaryKeyConstraint("scan_id", name=op.f("pk_hub_forwarded")),
    )
    op.create_table(
        "hub_upstream",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("url", sa.String(length=500), nullable=False),
        sa.Column("cursor", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_hub_upstream")),
    )


def downgrade() -> None:
    op.drop_table("hub_upstream")
    op.drop_table("hub_forwarded")
