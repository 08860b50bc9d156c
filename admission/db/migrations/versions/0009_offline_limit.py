"""the venue's offline limit for gates; outages record a supervisor's extension of it

- `venue.offline_limit_hours` (default 24): a gate that has not reached the service for longer
  stops admitting offline; the change feed's venue entry carries it to the gates;
- `outages.limit_extended_at`, `outages.limit_extension_reason`: a supervisor extended that
  limit once during the outage, and why (posted by the gate with its outage report).

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-10 10:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from admission.db.models import UTCDateTime

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("venue") as venue:
        venue.add_column(sa.Column("offline_limit_hours", sa.Integer(), nullable=False, server_default="24"))
    with op.batch_alter_table("outages") as outages:
        outages.add_column(sa.Column("limit_extended_at", UTCDateTime(timezone=True), nullable=True))
        outages.add_column(sa.Column("limit_extension_reason", sa.String(300), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("outages") as outages:
        outages.drop_column("limit_extension_reason")
        outages.drop_column("limit_extended_at")
    with op.batch_alter_table("venue") as venue:
        venue.drop_column("offline_limit_hours")
