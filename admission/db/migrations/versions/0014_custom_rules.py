"""templates.custom_rule and tickets.attributes: a template's own rule expression, and the
attributes (set at issue, e.g. an age group) such rules read

Both are null for existing rows: their tickets are decided as before.

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-03 15:40:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("templates") as templates:
        templates.add_column(sa.Column("custom_rule", sa.JSON(), nullable=True))
    with op.batch_alter_table("tickets") as tickets:
        tickets.add_column(sa.Column("attributes", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("tickets") as tickets:
        tickets.drop_column("attributes")
    with op.batch_alter_table("templates") as templates:
        templates.drop_column("custom_rule")
