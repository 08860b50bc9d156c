"""Payment routines: card-terminal incidents; a sale's tenders (split payment); invoices;
card-terminal settlements (reconciliation); cash-ups.

Every sale recorded before gets one tender line: its payment method for its whole total.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-03 15:40:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import admission.db.models

revision = "0013"
down_revision = "0012"
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
    op.create_table(
        "sale_tenders",
        sa.Column("id", AutoId, nullable=False),
        sa.Column("sale_id", AutoId, nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("method", sa.String(length=30), nullable=False),
        sa.Column("card_brand", sa.String(length=30), nullable=True),
        sa.Column("amount_cents", sa.Integer(), nullable=False),
        sa.Column("tendered_cents", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["sale_id"], ["sales.id"], name=op.f("fk_sale_tenders_sale_id_sales")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sale_tenders")),
        sa.UniqueConstraint("sale_id", "position", name="uq_sale_tenders_sale_id_position"),
    )
    op.create_index(op.f("ix_sale_tenders_sale_id"), "sale_tenders", ["sale_id"], unique=False)
    op.create_table(
        "invoices",
        sa.Column("id", AutoId, nullable=False),
        sa.Column("sale_id", AutoId, nullable=False),
        sa.Column("customer", sa.String(length=150), nullable=False),
        sa.Column("reference", sa.String(length=80), nullable=False),
        sa.Column("due_date", sa.Date(), nullable=False),
        sa.Column("amount_cents", sa.Integer(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("paid_at", UTC, nullable=True),
        sa.Column("paid_by", AutoId, nullable=True),
        sa.Column("note", sa.String(length=500), nullable=True),
        sa.ForeignKeyConstraint(["sale_id"], ["sales.id"], name=op.f("fk_invoices_sale_id_sales")),
        sa.ForeignKeyConstraint(["paid_by"], ["devices.id"], name=op.f("fk_invoices_paid_by_devices")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_invoices")),
        sa.UniqueConstraint("sale_id", name=op.f("uq_invoices_sale_id")),
    )
    op.create_table(
        "terminal_settlements",
        sa.Column("id", AutoId, nullable=False),
        sa.Column("device_id", AutoId, nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("total_cents", sa.Integer(), nullable=False),
        sa.Column("entered_at", UTC, nullable=False),
        sa.Column("note", sa.String(length=500), nullable=True),
        sa.ForeignKeyConstraint(
            ["device_id"], ["devices.id"], name=op.f("fk_terminal_settlements_device_id_devices")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_terminal_settlements")),
        sa.UniqueConstraint("device_id", "day", name="uq_terminal_settlements_device_id_day"),
    )
    op.create_table(
        "cash_ups",
        sa.Column("id", AutoId, nullable=False),
        sa.Column("device_id", AutoId, nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("float_cents", sa.Integer(), nullable=False),
        sa.Column("counted_cents", sa.Integer(), nullable=False),
        sa.Column("expected_cents", sa.Integer(), nullable=False),
        sa.Column("counted_by", sa.String(length=100), nullable=False),
        sa.Column("counted_at", UTC, nullable=False),
        sa.Column("note", sa.String(length=500), nullable=True),
        sa.ForeignKeyConstraint(["device_id"], ["devices.id"], name=op.f("fk_cash_ups_device_id_devices")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_cash_ups")),
        sa.UniqueConstraint("device_id", "day", name="uq_cash_ups_device_id_day"),
    )
    op.execute(
        "INSERT INTO sale_tenders (sale_id, position, method, card_brand, amount_cents, tendered_cents) "
        "SELECT id, 0, payment_method, card_brand, total_cents, total_cents FROM sales"
    )


def downgrade() -> None:
    op.drop_table("cash_ups")
    op.drop_table("terminal_settlements")
    op.drop_table("invoices")
    op.drop_index(op.f("ix_sale_tenders_sale_id"), table_name="sale_tenders")
    op.drop_table("sale_tenders")
    op.drop_index(op.f("ix_terminal_incidents_device_id"), table_name="terminal_incidents")
    op.drop_table("terminal_incidents")
