"""A venue hub following the whole central catalogue from an empty database: when it first read
the central feed to its end; forwarding annulments of scans already forwarded

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-03 19:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import admission.db.models

revision = "0019"
down_revision = "0018"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("hub_upstream") as table:
        table.add_column(
            sa.Column("caught_up_at", admission.db.models.UTCDateTime(timezone=True), nullable=True)
        )
    with op.batch_alter_table("hub_forwarded") as table:
        table.add_column(sa.Column("annul_status", sa.String(length=10), nullable=True))
        table.add_column(sa.Column("annul_detail", sa.String(length=300), nullable=True))
        table.add_column(
            sa.Column("annulled_upstream_at", admission.db.models.UTCDateTime(timezone=True), nullable=True)
        )
    # A hub made from a copy of the central database before this release follows on from where
    # it stands: it has read the central feed before.
    op.execute("UPDATE hub_upstream SET caught_up_at = CURRENT_TIMESTAMP")


def downgrade() -> None:
    with op.batch_alter_table("hub_forwarded") as table:
        table.drop_column("annulled_upstream_at")
        table.drop_column("annul_detail")
        table.drop_column("annul_status")
    with op.batch_alter_table("hub_upstream") as table:
        table.drop_column("caught_up_at")
