"""documents: the registry of published documents, proposals, suggestions, paragraph statuses

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-26
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "published_documents",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("folder", sa.String(32), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("file_name", sa.String(255), nullable=False, index=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("symbol", sa.String(255), nullable=True),
        sa.Column("classification", sa.String(64), nullable=False),
        sa.Column("language", sa.String(16), nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("mimetype", sa.String(255), nullable=False),
        sa.Column("publisher", sa.String(255), nullable=False),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("source_event_id", sa.String(255), nullable=False, unique=True),
        sa.Column("room_id", sa.String(255), nullable=True),
        sa.Column("event_id", sa.String(255), nullable=True),
        sa.Column("file_info", sa.Text(), nullable=True),
        sa.UniqueConstraint("folder", "file_name", "version"),
    )
    op.create_table(
        "proposals",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("delegation", sa.String(8), nullable=False, index=True),
        sa.Column("base_file_name", sa.String(255), nullable=False, index=True),
        sa.Column("base_version", sa.Integer(), nullable=False),
        sa.Column("file_name", sa.String(255), nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("submitted_by", sa.String(255), nullable=False),
        sa.Column("submitted_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("source_event_id", sa.String(255), nullable=False, unique=True),
        sa.Column("changes", sa.Integer(), nullable=False),
        sa.Column("paragraphs", sa.Text(), nullable=False),
        sa.Column("superseded_by", sa.Integer(), nullable=True),
    )
    op.create_table(
        "paragraph_statuses",
        sa.Column("base_file_name", sa.String(255), primary_key=True),
        sa.Column("paragraph", sa.Integer(), primary_key=True),
        sa.Column("status", sa.String(32), nullable=False),
        sa.Column("meeting", sa.String(64), nullable=True),
        sa.Column("set_by", sa.String(255), nullable=False),
        sa.Column("set_at", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("paragraph_statuses")
    op.drop_table("proposals")
    op.drop_table("published_documents")
