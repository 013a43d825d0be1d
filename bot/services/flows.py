"""Guided flows that survive a restart: the one open step per user, kept in the database."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from bot.domain.clock import Clock
from bot.services.ports import FlowRecord, UnitOfWork

UowFactory = Callable[[], UnitOfWork]


class FlowService:
    """Load, store and end a user's open guided flow (one transaction each)."""

    def __init__(self, uow_factory: UowFactory, clock: Clock) -> None:
        self._uow_factory = uow_factory
        self._clock = clock

    async def load(self, user_id: int) -> FlowRecord | None:
        """Return the user's open flow, if any."""
        async with self._uow_factory() as uow:
            return await uow.flows.get(user_id)

    async def save(self, user_id: int, flow: str, data: dict[str, Any]) -> None:
        """Store the user's open flow; a user who never registered gets no row (nothing to attach to)."""
        async with self._uow_factory() as uow:
            if await uow.users.get(user_id) is None:
                return
            await uow.flows.put(user_id, flow, data, self._clock.now())
            await uow.commit()

    async def clear(self, user_id: int) -> None:
        """End the user's open flow."""
        async with self._uow_factory() as uow:
            await uow.flows.clear(user_id)
            await uow.commit()
