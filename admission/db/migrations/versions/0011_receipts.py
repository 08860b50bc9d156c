"""templates.vat_rate_basis_points: a template's own VAT rate (a museum's reduced rate)

The venue's receipt details (address, VAT number, standard rate) live in `venue.settings`,
which needs no change of schema.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-03 12:40:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("templates") as templates:
        templates.add_column(sa.Column("vat_rate_basis_points", sa.Integer(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("templates") as templates:
        templates.drop_column("vat_rate_basis_points")
