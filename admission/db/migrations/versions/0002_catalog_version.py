"""venue.catalog_version: counts catalogue changes, so workers know when to reread it

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-02 19:50:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("venue") as venue:
        venue.add_column(sa.Column("catalog_version", sa.Integer(), nullable=False, server_default="0"))


def downgrade() -> None:
    with op.batch_alter_table("venue") as venue:
        venue.drop_column("catalog_version")
