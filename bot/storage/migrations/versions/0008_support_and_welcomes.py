"""support and welcomes: tickets to the Technical Secretariat, their answers, and who was welcomed

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-30
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "support_tickets",
        sa.Column("number", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("requester", sa.String(255), nullable=False, index=True),
        sa.Column("room_id", sa.String(255), nullable=False),
        sa.Column("request_event_id", sa.String(255), nullable=False, unique=True),
        sa.Column("ticket_event_id", sa.String(255), nullable=True, unique=True),
        sa.Column("has_attachment", sa.Boolean, nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("opened_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("closed_by", sa.String(255), nullable=True),
    )
    op.create_table(
        "support_answers",
        sa.Column("answer_event_id", sa.String(255), primary_key=True),
        sa.Column(
            "ticket_number",
            sa.Integer,
            sa.ForeignKey("support_tickets.number"),
            nullable=False,
            index=True,
        ),
        sa.Column("responder", sa.String(255), nullable=False),
        sa.Column("relayed_event_id", sa.String(255), nullable=True),
        sa.Column("answered_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "welcomes",
        sa.Column("user_id", sa.String(255), primary_key=True),
        sa.Column("role", sa.String(32), nullable=False),
        sa.Column("room_id", sa.String(255), nullable=False),
        sa.Column("welcomed_at", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("welcomes")
    op.drop_table("support_answers")
    op.drop_table("support_tickets")
