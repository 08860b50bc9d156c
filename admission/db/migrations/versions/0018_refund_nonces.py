"""sale_refund_nonces: a refund's nonce, so that a refund sent again is answered as the first time

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-03 19:05:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None

AutoId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "sale_refund_nonces",
        sa.Column("device_id", AutoId, nullable=False),
        sa.Column("nonce", sa.String(length=100), nullable=False),
        sa.Column("sale_id", AutoId, nullable=False),
        sa.Column("request_digest", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(
            ["device_id"], ["devices.id"], name=op.f("fk_sale_refund_nonces_device_id_devices")
        ),
        sa.ForeignKeyConstraint(["sale_id"], ["sales.id"], name=op.f("fk_sale_refund_nonces_sale_id_sales")),
        sa.PrimaryKeyConstraint("device_id", "nonce", name=op.f("pk_sale_refund_nonces")),
    )


def downgrade() -> None:
    op.drop_table("sale_refund_nonces")
