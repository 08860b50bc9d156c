"""templates carry entry rules beyond the entry count

- `min_minutes_between_entries`: the least time between two entries (per zone);
- `max_entries_per_day`: entries per venue day (midnight to midnight, venue time);
- `max_entry_days`: distinct venue days with an entry;
- `entry_minutes_before_start` / `entry_minutes_after_end`: the admission window around the
  event of an event ticket (null: the event's doors, and until its end);
- `exit_required`: anti-passback, no entry to a zone the ticket is inside of until an exit.

Every column is null (or false) for existing templates: their tickets are decided as before.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-03 12:30:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

_MINUTES = (
    "min_minutes_between_entries",
    "max_entries_per_day",
    "max_entry_days",
    "entry_minutes_before_start",
    "entry_minutes_after_end",
)


def upgrade() -> None:
    with op.batch_alter_table("templates") as batch:
        for name in _MINUTES:
            batch.add_column(sa.Column(name, sa.Integer(), nullable=True))
        batch.add_column(sa.Column("exit_required", sa.Boolean(), nullable=False, server_default=sa.false()))
    # The default only filled existing rows: the model sets the value of every new one.
    with op.batch_alter_table("templates") as batch:
        batch.alter_column(
            "exit_required", server_default=None, existing_type=sa.Boolean(), existing_nullable=False
        )


def downgrade() -> None:
    with op.batch_alter_table("templates") as batch:
        batch.drop_column("exit_required")
        for name in reversed(_MINUTES):
            batch.drop_column(name)
