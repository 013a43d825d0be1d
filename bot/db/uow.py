"""SQL unit of work: one session, one transaction, per use case."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import suppress
from types import TracebackType
from typing import Self

from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.db.reminders import CHECKPOINT_AFTER_COMMIT, OCCURRENCES_ADDED, SqlReminderRepository
from bot.db.repositories import SqlUserRepository
from bot.db.state import SqlFlowRepository, SqlSlotRepository
from bot.services.errors import StorageUnavailable


class SqlUnitOfWork:
    """A transaction over the SQL repositories; rolls back unless committed."""

    users: SqlUserRepository
    reminders: SqlReminderRepository
    flows: SqlFlowRepository
    slots: SqlSlotRepository

    def __init__(
        self,
        session_factory: async_sessionmaker[AsyncSession],
        on_reminders_added: Callable[[], None] | None = None,
    ) -> None:
        self._session_factory = session_factory
        self._session: AsyncSession | None = None
        # Told after a commit that stored new reminder occurrences (the dispatcher plans its wake-up).
        self._on_reminders_added = on_reminders_added

    @property
    def session(self) -> AsyncSession:
        """Return the open session (only inside ``async with``)."""
        if self._session is None:
            raise RuntimeError("unit of work used outside 'async with'")
        return self._session

    async def __aenter__(self) -> Self:
        """Open a session and the repositories on it."""
        self._session = self._session_factory()
        self.users = SqlUserRepository(self._session)
        self.reminders = SqlReminderRepository(self._session)
        self.flows = SqlFlowRepository(self._session)
        self.slots = SqlSlotRepository(self._session)
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        """Roll back anything not committed and close the session."""
        session = self.session
        # If the connection is already gone these fail too; the original error below says why.
        with suppress(SQLAlchemyError, OSError):
            await session.rollback()
        with suppress(SQLAlchemyError, OSError):
            await session.close()
        self._session = None
        if isinstance(exc, SQLAlchemyError | OSError):
            # Services and handlers speak of "storage unavailable", never of SQL drivers.
            raise StorageUnavailable(type(exc).__name__) from exc

    async def commit(self) -> None:
        """Commit the transaction (then, after /forget on SQLite, fold the WAL into the main file)."""
        session = self.session
        await session.commit()
        added = session.info.pop(OCCURRENCES_ADDED, False)
        checkpoint = session.info.pop(CHECKPOINT_AFTER_COMMIT, False)
        if added and self._on_reminders_added is not None:
            self._on_reminders_added()
        if checkpoint and session.bind is not None and session.bind.dialect.name == "sqlite":
            # With secure_delete the deleted rows are zeroed in the database pages, but the WAL
            # still holds the old page images until a checkpoint copies them back; TRUNCATE also
            # empties the -wal file, so nothing of the forgotten user stays readable on disk.
            conn = await session.connection()
            await conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
            await session.commit()
