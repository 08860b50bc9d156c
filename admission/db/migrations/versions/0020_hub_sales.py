"""A venue hub's tills' sales: hub_sales, each till-signed sale the hub recorded with the till's
request, and the central service's answer once it gave one

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-03 19:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import admission.db.models

revision = "0020"
down_revision = "0019"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "hub_sales",
        sa.Column("sale_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("device", sa.String(length=100), nullable=False),
        sa.Column("request", sa.Text(), nullable=False),
        sa.Column("recorded_at", admission.db.models.UTCDateTime(timezone=True), nullable=False),
        sa.Column("forwarded_at", admission.db.models.UTCDateTime(timezone=True), nullable=True),
        sa.Column("status", sa.String(length=10), nullable=True),
        sa.Column("detail", sa.String(length=300), nullable=True),
        sa.ForeignKeyConstraint(["sale_id"], ["sales.id"], name=op.f("fk_hub_sales_sale_id_sales")),
        sa.PrimaryKeyConstraint("sale_id", name=op.f("pk_hub_sales")),
    )
    # The link looks for the owed ones every second.
    op.create_index("ix_hub_sales_owed", "hub_sales", ["forwarded_at", "sale_id"])


def downgrade() -> None:
    op.drop_index("ix_hub_sales_owed", table_name="hub_sales")
    op.drop_table("hub_sales")
