"""tickets carry a payment state; templates may admit tickets not yet paid

- `tickets.payment_state`: "paid" or "pending" (issued unpaid: pay later, invoice, an online
  order not yet settled); `paid_at` and `paid_by` say when, and by which device, a pending
  ticket was marked paid.
- `templates.allow_pending_entry`: the template's pending tickets admit too.

Every existing ticket was paid for when it was issued, and no template admitted unpaid tickets:
existing rows become "paid" and false, and are decided as before.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-03 15:45:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import admission.db.models

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("tickets") as tickets:
        tickets.add_column(
            sa.Column("payment_state", sa.String(length=10), nullable=False, server_default="paid")
        )
        tickets.add_column(
            sa.Column("paid_at", admission.db.models.UTCDateTime(timezone=True), nullable=True)
        )
        tickets.add_column(
            sa.Column("paid_by", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True)
        )
        tickets.create_foreign_key(op.f("fk_tickets_paid_by_devices"), "devices", ["paid_by"], ["id"])
    with op.batch_alter_table("templates") as templates:
        templates.add_column(
            sa.Column("allow_pending_entry", sa.Boolean(), nullable=False, server_default=sa.false())
        )
    # The defaults only filled existing rows: the models set the value of every new one.
    with op.batch_alter_table("tickets") as tickets:
        tickets.alter_column(
            "payment_state", server_default=None, existing_type=sa.String(length=10), existing_nullable=False
        )
    with op.batch_alter_table("templates") as templates:
        templates.alter_column(
            "allow_pending_entry", server_default=None, existing_type=sa.Boolean(), existing_nullable=False
        )


def downgrade() -> None:
    with op.batch_alter_table("templates") as templates:
        templates.drop_column("allow_pending_entry")
    with op.batch_alter_table("tickets") as tickets:
        tickets.drop_constraint(op.f("fk_tickets_paid_by_devices"), type_="foreignkey")
        tickets.drop_column("paid_by")
        tickets.drop_column("paid_at")
        tickets.drop_column("payment_state")
