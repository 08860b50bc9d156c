"""index the change feed by kind, for the newest catalog change

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-02 18:40:00
"""

from __future__ import annotations

from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_changes_kind_seq", "changes", ["kind", "seq"])


def downgrade() -> None:
    op.drop_index("ix_changes_kind_seq", table_name="changes")
