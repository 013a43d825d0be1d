"""Conversation state and dose slots: the tables that make "one flow" and "one dose, one reminder" hold.

``conversation_state`` keeps a user's open guided step and what they answered so far (only what was
asked: a medicine name, a dose, times; never free text that was not the answer), so a half-finished
flow survives a restart. ``reminder_slots`` has one row per (user, medicine, local time, first day)
of every live dose plan; its primary key is the database's own guarantee that no path (add, new
times, concurrent requests) can give one dose two reminders. The first day is part of the key so a
course in phases (10 mg until the 7th, 5 mg from the 8th, same times) stays possible; overlapping
date ranges with different first days are refused by the service's overlap check.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import date, datetime, time
from typing import Any, cast

from sqlalchemy import BigInteger, Date, ForeignKey, Integer, String, Table, Text, Time, delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from bot.db.base import Base, UTCDateTime
from bot.services.errors import SlotTaken
from bot.services.ports import FlowRecord


class ConversationState(Base):
    """The guided step a user is in, and the answers given so far."""

    __tablename__ = "conversation_state"

    user_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("users.user_id", ondelete="CASCADE"), primary_key=True, autoincrement=False
    )
    flow: Mapped[str] = mapped_column(String(32))
    data: Mapped[str] = mapped_column(Text)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())


class ReminderSlot(Base):
    """One dose slot of a live plan: this user, this medicine (normalised), this wall-clock time."""

    __tablename__ = "reminder_slots"

    user_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("users.user_id", ondelete="CASCADE"), primary_key=True, autoincrement=False
    )
    medicine: Mapped[str] = mapped_column(String(64), primary_key=True)
    local_time: Mapped[time] = mapped_column(Time, primary_key=True)
    # OPEN_START stands for "no first day" (a key column cannot be NULL).
    first_day: Mapped[date] = mapped_column(Date, primary_key=True)
    plan_id: Mapped[int] = mapped_column(
        Integer, ForeignKey("reminder_plans.id", ondelete="CASCADE"), index=True
    )


OPEN_START = date(1970, 1, 1)

_STATE = cast(Table, ConversationState.__table__)
_SLOTS = cast(Table, ReminderSlot.__table__)


class SqlFlowRepository:
    """Conversation state in the SQL database."""

    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def get(self, user_id: int) -> FlowRecord | None:
        """Return the user's open flow, if any."""
        row = await self._session.get(ConversationState, user_id)
        if row is None:
            return None
        data = json.loads(row.data)
        return FlowRecord(row.flow, data if isinstance(data, dict) else {}, row.updated_at)

    async def put(self, user_id: int, flow: str, data: dict[str, Any], now: datetime) -> None:
        """Store the user's open flow (replacing any other)."""
        row = await self._session.get(ConversationState, user_id)
        encoded = json.dumps(data, sort_keys=True)
        if row is None:
            self._session.add(ConversationState(user_id=user_id, flow=flow, data=encoded, updated_at=now))
        else:
            row.flow, row.data, row.updated_at = flow, encoded, now
        await self._session.flush()

    async def clear(self, user_id: int) -> None:
        """Forget the user's open flow."""
        await self._session.execute(delete(_STATE).where(_STATE.c.user_id == user_id))


class SqlSlotRepository:
    """Dose slots in the SQL database."""

    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def claim(
        self, user_id: int, medicine: str, times: Sequence[time], plan_id: int, first_day: date | None
    ) -> None:
        """Take the slots for a plan; raise SlotTaken if one is taken (the transaction is then spoilt)."""
        try:
            for at in times:
                self._session.add(
                    ReminderSlot(
                        user_id=user_id,
                        medicine=medicine,
                        local_time=at,
                        first_day=first_day or OPEN_START,
                        plan_id=plan_id,
                    )
                )
            await self._session.flush()
        except IntegrityError as exc:
            # A concurrent request got there first; the caller rolls back and reports the overlap.
            raise SlotTaken(medicine) from exc

    async def release(self, plan_ids: Sequence[int]) -> None:
        """Give back the slots of these plans (deleted, ended, or about to get new times)."""
        if plan_ids:
            await self._session.execute(delete(_SLOTS).where(_SLOTS.c.plan_id.in_(list(plan_ids))))

    async def holder(
        self, user_id: int, medicine: str, times: Sequence[time], first_day: date | None
    ) -> int | None:
        """Return the plan holding one of these slots (for this first day), if any."""
        found = await self._session.execute(
            select(_SLOTS.c.plan_id).where(
                _SLOTS.c.user_id == user_id,
                _SLOTS.c.medicine == medicine,
                _SLOTS.c.local_time.in_(list(times)),
                _SLOTS.c.first_day == (first_day or OPEN_START),
            )
        )
        return found.scalars().first()
