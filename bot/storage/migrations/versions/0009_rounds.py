"""rounds: the virtual discussion's rounds, the steps taken, and each paragraph's status history

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-30
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "rounds",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("document", sa.String(255), nullable=False, index=True),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("opens_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("closes_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("reminders", sa.String(255), nullable=False),
        sa.Column("meeting", sa.String(32), nullable=True),
        sa.Column("opened_by", sa.String(255), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("source_event_id", sa.String(255), nullable=False, unique=True),
        sa.Column("cancelled_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("cancelled_by", sa.String(255), nullable=True),
    )
    op.create_table(
        "round_steps",
        sa.Column("round_id", sa.Integer, sa.ForeignKey("rounds.id"), primary_key=True),
        sa.Column("key", sa.String(32), primary_key=True),
        sa.Column("taken_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "paragraph_status_history",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("base_file_name", sa.String(255), nullable=False, index=True),
        sa.Column("paragraph", sa.Integer, nullable=False),
        sa.Column("status", sa.String(32), nullable=False),
        sa.Column("meeting", sa.String(64), nullable=True),
        sa.Column("version", sa.Integer, nullable=True),
        sa.Column("round_id", sa.Integer, nullable=True),
        sa.Column("set_by", sa.String(255), nullable=False),
        sa.Column("set_at", sa.DateTime(timezone=True), nullable=False),
    )
    # The statuses set before this version become the first entry of each paragraph's history.
    op.execute(
        "INSERT INTO paragraph_status_history "
        "(base_file_name, paragraph, status, meeting, set_by, set_at) "
        "SELECT base_file_name, paragraph, status, meeting, set_by, set_at "
        "FROM paragraph_statuses"
    )


def downgrade() -> None:
    op.drop_table("paragraph_status_history")
    op.drop_table("round_steps")
    op.drop_table("rounds")
