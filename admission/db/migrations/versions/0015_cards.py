"""card_types, cards, card_entries: gift and stored-value cards and their append-only ledger;
sales.stored_value_cents: the part of a sale paid from cards

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-03 15:40:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from admission.db.models import UTCDateTime

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None

AutoId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "card_types",
        sa.Column("id", AutoId, primary_key=True),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("validity_days", sa.Integer(), nullable=True),
        sa.Column("max_balance_cents", sa.Integer(), nullable=True),
        sa.Column("unload_limit_cents", sa.Integer(), nullable=False),
        sa.Column("pin_required", sa.Boolean(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_card_types")),
        sa.UniqueConstraint("name", name=op.f("uq_card_types_name")),
    )
    op.create_table(
        "cards",
        sa.Column("id", AutoId, primary_key=True),
        sa.Column("serial", sa.BigInteger(), nullable=False),
        sa.Column("number", sa.String(16), nullable=False),
        sa.Column("code", sa.String(200), nullable=False),
        sa.Column("card_type_id", AutoId, nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("status", sa.String(10), nullable=False),
        sa.Column("issued_at", UTCDateTime(), nullable=False),
        sa.Column("expires_at", UTCDateTime(), nullable=True),
        sa.Column("pin_hash", sa.String(200), nullable=True),
        sa.Column("blocked_at", UTCDateTime(), nullable=True),
        sa.Column("block_reason", sa.String(200), nullable=True),
        sa.Column("replaced_by", AutoId, nullable=True),
        sa.Column("issued_by", AutoId, nullable=True),
        sa.ForeignKeyConstraint(
            ["card_type_id"], ["card_types.id"], name=op.f("fk_cards_card_type_id_card_types")
        ),
        sa.ForeignKeyConstraint(["replaced_by"], ["cards.id"], name=op.f("fk_cards_replaced_by_cards")),
        sa.ForeignKeyConstraint(["issued_by"], ["devices.id"], name=op.f("fk_cards_issued_by_devices")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_cards")),
        sa.UniqueConstraint("serial", name=op.f("uq_cards_serial")),
        sa.UniqueConstraint("number", name=op.f("uq_cards_number")),
    )
    op.create_index(op.f("ix_cards_card_type_id"), "cards", ["card_type_id"])
    op.create_table(
        "card_entries",
        sa.Column("id", AutoId, primary_key=True),
        sa.Column("card_id", AutoId, nullable=False),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("amount_cents", sa.BigInteger(), nullable=False),
        sa.Column("device_id", AutoId, nullable=True),
        sa.Column("token_id", AutoId, nullable=True),
        sa.Column("nonce_scope", sa.BigInteger(), nullable=False),
        sa.Column("nonce", sa.String(120), nullable=False),
        sa.Column("occurred_at", UTCDateTime(), nullable=False),
        sa.Column("recorded_at", UTCDateTime(), nullable=False),
        sa.Column("offline", sa.Boolean(), nullable=False),
        sa.Column("tender", sa.String(30), nullable=True),
        sa.Column("reference", sa.String(200), nullable=True),
        sa.Column("reason", sa.String(300), nullable=True),
        sa.Column("related_card_id", AutoId, nullable=True),
        sa.Column("conflict", sa.Boolean(), nullable=False),
        sa.Column("conflict_cents", sa.BigInteger(), nullable=False),
        sa.Column("conflict_reviewed_at", UTCDateTime(), nullable=True),
        sa.Column("request_digest", sa.String(64), nullable=False),
        sa.ForeignKeyConstraint(["card_id"], ["cards.id"], name=op.f("fk_card_entries_card_id_cards")),
        sa.ForeignKeyConstraint(
            ["device_id"], ["devices.id"], name=op.f("fk_card_entries_device_id_devices")
        ),
        sa.ForeignKeyConstraint(["token_id"], ["tokens.id"], name=op.f("fk_card_entries_token_id_tokens")),
        sa.ForeignKeyConstraint(
            ["related_card_id"], ["cards.id"], name=op.f("fk_card_entries_related_card_id_cards")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_card_entries")),
        sa.UniqueConstraint("nonce_scope", "nonce", name="uq_card_entries_nonce_scope_nonce"),
    )
    op.create_index("ix_card_entries_card_id_id", "card_entries", ["card_id", "id"])
    op.create_index("ix_card_entries_recorded_at", "card_entries", ["recorded_at"])
    with op.batch_alter_table("sales") as sales:
        sales.add_column(sa.Column("stored_value_cents", sa.Integer(), nullable=False, server_default="0"))


def downgrade() -> None:
    with op.batch_alter_table("sales") as sales:
        sales.drop_column("stored_value_cents")
    op.drop_table("card_entries")
    op.drop_table("cards")
    op.drop_table("card_types")
