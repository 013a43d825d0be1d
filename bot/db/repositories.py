"""SQL repositories: translate between ORM rows and domain value objects. They never commit."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.models import User
from bot.domain.users import UserProfile

_UPDATABLE_USER_FIELDS = frozenset(
    {"chat_id", "country", "timezone", "language", "on_blood_thinners", "active"}
)


def _profile(row: User) -> UserProfile:
    return UserProfile(
        user_id=row.user_id,
        chat_id=row.chat_id,
        country=row.country,
        timezone=row.timezone,
        language=row.language,
        on_blood_thinners=row.on_blood_thinners,
        active=row.active,
        created_at=row.created_at,
        updated_at=row.updated_at,
    )


class SqlUserRepository:
    """Users in the SQL database."""

    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def get(self, user_id: int) -> UserProfile | None:
        """Return the profile of ``user_id`` or None."""
        row = await self._session.get(User, user_id)
        return None if row is None else _profile(row)

    async def upsert(
        self, user_id: int, chat_id: int, language: str | None, now: datetime
    ) -> tuple[UserProfile, bool]:
        """Create or refresh a user; return the profile and whether it was created."""
        row = await self._session.get(User, user_id)
        created = row is None
        if row is None:
            row = User(
                user_id=user_id,
                chat_id=chat_id,
                language=language,
                active=True,
                created_at=now,
                updated_at=now,
            )
            self._session.add(row)
        elif row.chat_id != chat_id or not row.active or (language and row.language != language):
            row.chat_id = chat_id
            row.active = True
            row.language = language or row.language
            row.updated_at = now
        await self._session.flush()
        return _profile(row), created

    async def update(self, user_id: int, now: datetime, **fields: object) -> UserProfile | None:
        """Change the named fields of a user; return the new profile or None if unknown."""
        unknown = set(fields) - _UPDATABLE_USER_FIELDS
        if unknown:
            raise ValueError(f"not updatable: {sorted(unknown)}")
        row = await self._session.get(User, user_id)
        if row is None:
            return None
        for name, value in fields.items():
            setattr(row, name, value)
        row.updated_at = now
        await self._session.flush()
        return _profile(row)

    async def delete(self, user_id: int) -> bool:
        """Delete the user row; return whether it existed."""
        result = await self._session.execute(delete(User).where(User.user_id == user_id))
        return bool(getattr(result, "rowcount", 0))

    async def ids(self) -> list[int]:
        """Return every user id (for maintenance scripts)."""
        return list((await self._session.scalars(select(User.user_id))).all())
