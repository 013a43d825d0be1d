"""ORM models. Every table that refers to a user carries ``user_id`` so /forget can find it."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Boolean, String, true
from sqlalchemy.orm import Mapped, mapped_column

from bot.db.base import Base, UTCDateTime


class User(Base):
    """A person who talked to the bot: where they are, for emergency numbers and reminder times."""

    __tablename__ = "users"

    user_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    chat_id: Mapped[int] = mapped_column(BigInteger)
    country: Mapped[str | None] = mapped_column(String(2))
    timezone: Mapped[str | None] = mapped_column(String(64))
    language: Mapped[str | None] = mapped_column(String(16))
    on_blood_thinners: Mapped[bool | None] = mapped_column(Boolean)
    active: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())


from bot.db.reminders import ReminderOccurrence, ReminderPlan  # noqa: E402,F401
from bot.db.state import ConversationState, ReminderSlot  # noqa: E402,F401
