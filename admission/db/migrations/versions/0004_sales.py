"""sales: nonces per device, the request's digest, and sale_nonces (sales and cancelled attempts)

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-04 10:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import admission.db.models

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

AutoId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    with op.batch_alter_table("sales") as sales:
        sales.drop_constraint("uq_sales_nonce", type_="unique")
        sales.create_unique_constraint("uq_sales_device_id_nonce", ["device_id", "nonce"])
        sales.add_column(sa.Column("request_digest", sa.String(length=64), nullable=True))
    op.create_table(
        "sale_nonces",
        sa.Column("device_id", AutoId, nullable=False),
        sa.Column("nonce", sa.String(length=100), nullable=False),
        sa.Column("sale_id", AutoId, nullable=True),
        sa.Column("cancelled_at", admission.db.models.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["device_id"], ["devices.id"], name=op.f("fk_sale_nonces_device_id_devices")
        ),
        sa.ForeignKeyConstraint(["sale_id"], ["sales.id"], name=op.f("fk_sale_nonces_sale_id_sales")),
        sa.PrimaryKeyConstraint("device_id", "nonce", name=op.f("pk_sale_nonces")),
    )
    # Every sale recorded so far holds its device's nonce.
    op.execute(
        "INSERT INTO sale_nonces (device_id, nonce, sale_id) "
        "SELECT device_id, nonce, id FROM sales WHERE device_id IS NOT NULL"
    )


def downgrade() -> None:
    op.drop_table("sale_nonces")
    with op.batch_alter_table("sales") as sales:
        sales.drop_column("request_digest")
        sales.drop_constraint("uq_sales_device_id_nonce", type_="unique")
        sales.create_unique_constraint("uq_sales_nonce", ["nonce"])
