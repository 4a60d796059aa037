"""identities: the cross-signing identity pinned for each person at first sight (trust on first use)

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-30
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "pinned_identities",
        sa.Column("user_id", sa.String(255), primary_key=True),
        sa.Column("master_key", sa.String(64), nullable=False),
        sa.Column("self_signing_key", sa.String(64), nullable=False),
        sa.Column("pinned_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("pinned_by", sa.String(255), nullable=False),
        # An identity the keys show that differs from the pinned one, until a Chair re-trusts it.
        sa.Column("changed_master_key", sa.String(64), nullable=True),
        sa.Column("changed_self_signing_key", sa.String(64), nullable=True),
        sa.Column("changed_at", sa.DateTime(timezone=True), nullable=True),
    )


def downgrade() -> None:
    op.drop_table("pinned_identities")
