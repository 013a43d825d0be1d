"""User service on a real database (SQLite and PostgreSQL)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from bot.db.session import create_engine, create_session_factory
from bot.db.uow import SqlUnitOfWork
from bot.domain.clock import FixedClock
from bot.services.errors import StorageUnavailable
from bot.services.users import UserService

T0 = datetime(2026, 11, 27, 9, 0, tzinfo=UTC)


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(T0)


@pytest.fixture
def users(engine: AsyncEngine, clock: FixedClock) -> UserService:
    factory = create_session_factory(engine)
    return UserService(lambda: SqlUnitOfWork(factory), clock)


async def test_register_creates_then_refreshes(users: UserService, clock: FixedClock) -> None:
    profile, created = await users.register(42, 42, "en")
    assert created
    assert profile.created_at == T0
    assert profile.country is None
    clock.advance(timedelta(hours=1))
    again, created_again = await users.register(42, 4242, "de")
    assert not created_again
    assert again.chat_id == 4242
    assert again.language == "de"
    assert again.updated_at == T0 + timedelta(hours=1)
    assert again.created_at == T0


async def test_country_with_one_zone_sets_the_zone(users: UserService) -> None:
    change = await users.set_country(7, 7, "fr")
    assert change.country.code == "FR"
    assert change.zone_set == "Europe/Paris"
    profile = await users.profile(7)
    assert profile is not None
    assert (profile.country, profile.timezone) == ("FR", "Europe/Paris")


async def test_country_with_several_zones_leaves_the_zone_alone(users: UserService) -> None:
    change = await users.set_country(8, 8, "US")
    assert change.zone_set is None
    assert change.profile.timezone is None


async def test_timezone_change_notifies_listeners(users: UserService) -> None:
    seen: list[tuple[int, str | None, str]] = []

    async def listener(user_id: int, old: str | None, new: str) -> None:
        seen.append((user_id, old, new))

    users.on_timezone_changed(listener)
    await users.set_timezone(9, 9, "Europe/Berlin")
    await users.set_timezone(9, 9, "Europe/Berlin")
    await users.set_timezone(9, 9, "Asia/Tokyo")
    assert seen == [(9, None, "Europe/Berlin"), (9, "Europe/Berlin", "Asia/Tokyo")]


async def test_unknown_country_code_is_refused(users: UserService) -> None:
    with pytest.raises(ValueError, match="unknown country"):
        await users.set_country(1, 1, "XX")


async def test_safety_profile_survives_a_dead_database(engine: AsyncEngine, users: UserService) -> None:
    await users.set_country(5, 5, "GB")
    await users.set_on_blood_thinners(5, 5, True)
    await engine.dispose()
    broken = UserService(lambda: SqlUnitOfWork(_dead_factory()), FixedClock(T0))
    # A fresh service has no cache: it must still answer, with "unknown".
    unknown = await broken.safety_profile(5)
    assert (unknown.country, unknown.on_blood_thinners, unknown.from_cache) == (None, None, True)
    # The running service remembers what it saw.
    users._uow_factory = lambda: SqlUnitOfWork(_dead_factory())
    cached = await users.safety_profile(5)
    assert (cached.country, cached.on_blood_thinners, cached.from_cache) == ("GB", True, True)
    with pytest.raises(StorageUnavailable):
        await users.register(5, 5, None)


def _dead_factory() -> async_sessionmaker[AsyncSession]:
    # Port 1 on loopback: connection refused, like a database that went away.
    return create_session_factory(create_engine("postgresql://nobody@127.0.0.1:1/none"))
