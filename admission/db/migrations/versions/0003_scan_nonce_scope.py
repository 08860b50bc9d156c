"""scans.nonce_scope: a nonce is unique per device (the service's own nonces in scope 0)

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-09 10:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("scans") as scans:
        scans.add_column(sa.Column("nonce_scope", sa.BigInteger(), nullable=False, server_default="0"))
    # Nonces were unique across devices so far: each scan keeps its nonce, now in its device's
    # scope; imports, the nightly exit and scans without a device are the service's (scope 0).
    op.execute(
        "UPDATE scans SET nonce_scope = device_id "
        "WHERE device_id IS NOT NULL AND source NOT IN ('import', 'auto_exit')"
    )
    with op.batch_alter_table("scans") as scans:
        scans.alter_column(
            "nonce_scope", server_default=None, existing_type=sa.BigInteger(), existing_nullable=False
        )
        scans.drop_constraint("uq_scans_nonce", type_="unique")
        scans.create_unique_constraint("uq_scans_nonce_scope", ["nonce_scope", "nonce"])


def downgrade() -> None:
    # Fails when two devices have used one nonce since: there is no single scope to go back to.
    with op.batch_alter_table("scans") as scans:
        scans.drop_constraint("uq_scans_nonce_scope", type_="unique")
        scans.create_unique_constraint("uq_scans_nonce", ["nonce"])
        scans.drop_column("nonce_scope")
