"""Create the reminder tables: plans and their materialised occurrences.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-28
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import bot.db.base

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Apply this revision."""
    op.create_table(
        "reminder_plans",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("user_id", sa.BigInteger(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("dose", sa.String(length=64), nullable=True),
        sa.Column("times", sa.String(length=64), nullable=False),
        sa.Column("timezone", sa.String(length=64), nullable=False),
        sa.Column("first_day", sa.Date(), nullable=True),
        sa.Column("last_day", sa.Date(), nullable=True),
        sa.Column("active", sa.Boolean(), server_default=sa.true(), nullable=False),
        sa.Column("materialised_until", bot.db.base.UTCDateTime(), nullable=False),
        sa.Column("created_at", bot.db.base.UTCDateTime(), nullable=False),
        sa.Column("updated_at", bot.db.base.UTCDateTime(), nullable=False),
        sa.Column("deleted_at", bot.db.base.UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.user_id"],
            name=op.f("fk_reminder_plans_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_reminder_plans")),
    )
    op.create_index(op.f("ix_reminder_plans_user_id"), "reminder_plans", ["user_id"], unique=False)
    op.create_index(
        "ix_reminder_plans_materialise", "reminder_plans", ["active", "materialised_until"], unique=False
    )
    op.create_table(
        "reminder_occurrences",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("plan_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.BigInteger(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("priority", sa.SmallInteger(), nullable=False),
        sa.Column("local_date", sa.Date(), nullable=False),
        sa.Column("local_time", sa.Time(), nullable=False),
        sa.Column("due_at", bot.db.base.UTCDateTime(), nullable=False),
        sa.Column("deadline", bot.db.base.UTCDateTime(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("next_action_at", bot.db.base.UTCDateTime(), nullable=True),
        sa.Column("sent_at", bot.db.base.UTCDateTime(), nullable=True),
        sa.Column("follow_up_sent_at", bot.db.base.UTCDateTime(), nullable=True),
        sa.Column("snoozed_until", bot.db.base.UTCDateTime(), nullable=True),
        sa.Column("answered_at", bot.db.base.UTCDateTime(), nullable=True),
        sa.Column("answered_from", sa.String(length=16), nullable=True),
        sa.Column("delivered_late", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("claim_token", sa.String(length=32), nullable=True),
        sa.Column("claimed_until", bot.db.base.UTCDateTime(), nullable=True),
        sa.Column("attempts", sa.Integer(), server_default="0", nullable=False),
        sa.ForeignKeyConstraint(
            ["plan_id"],
            ["reminder_plans.id"],
            name=op.f("fk_reminder_occurrences_plan_id_reminder_plans"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.user_id"],
            name=op.f("fk_reminder_occurrences_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_reminder_occurrences")),
        # Materialisation is idempotent: one row per plan and wall-clock slot, whatever the instant.
        sa.UniqueConstraint(
            "plan_id",
            "local_date",
            "local_time",
            name=op.f("uq_reminder_occurrences_plan_id_local_date_local_time"),
        ),
    )
    # The claim query: per priority, rows whose next action is due, oldest first.
    op.create_index(
        "ix_reminder_occurrences_claim", "reminder_occurrences", ["priority", "next_action_at"], unique=False
    )
    op.create_index(
        "ix_reminder_occurrences_user_due", "reminder_occurrences", ["user_id", "due_at"], unique=False
    )


def downgrade() -> None:
    """Revert this revision."""
    op.drop_index("ix_reminder_occurrences_user_due", table_name="reminder_occurrences")
    op.drop_index("ix_reminder_occurrences_claim", table_name="reminder_occurrences")
    op.drop_table("reminder_occurrences")
    op.drop_index("ix_reminder_plans_materialise", table_name="reminder_plans")
    op.drop_index(op.f("ix_reminder_plans_user_id"), table_name="reminder_plans")
    op.drop_table("reminder_plans")
