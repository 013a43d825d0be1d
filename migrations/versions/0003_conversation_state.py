"""Conversation state (a guided flow survives a restart) and dose slots (one dose, one reminder).

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-30
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import bot.db.base

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Apply this revision."""
    op.create_table(
        "conversation_state",
        sa.Column("user_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("flow", sa.String(length=32), nullable=False),
        sa.Column("data", sa.Text(), nullable=False),
        sa.Column("updated_at", bot.db.base.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.user_id"],
            name=op.f("fk_conversation_state_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("user_id", name=op.f("pk_conversation_state")),
    )
    # The primary key is the rule: one reminder per user, medicine and wall-clock time (per phase).
    op.create_table(
        "reminder_slots",
        sa.Column("user_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("medicine", sa.String(length=64), nullable=False),
        sa.Column("local_time", sa.Time(), nullable=False),
        sa.Column("first_day", sa.Date(), nullable=False),
        sa.Column("plan_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["plan_id"],
            ["reminder_plans.id"],
            name=op.f("fk_reminder_slots_plan_id_reminder_plans"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.user_id"],
            name=op.f("fk_reminder_slots_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "user_id", "medicine", "local_time", "first_day", name=op.f("pk_reminder_slots")
        ),
    )
    op.create_index(op.f("ix_reminder_slots_plan_id"), "reminder_slots", ["plan_id"], unique=False)


def downgrade() -> None:
    """Revert this revision."""
    op.drop_index(op.f("ix_reminder_slots_plan_id"), table_name="reminder_slots")
    op.drop_table("reminder_slots")
    op.drop_table("conversation_state")
