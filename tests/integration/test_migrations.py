"""Alembic migrations: upgrade to head on both engines, agree with the models, downgrade cleanly."""

from __future__ import annotations

from pathlib import Path

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.db.base import Base
from bot.db.migrate import downgrade_to_base, upgrade_to_head
from bot.db.session import create_engine


def _diff(connection: Connection) -> list[object]:
    context = MigrationContext.configure(connection, opts={"compare_type": True})
    return list(compare_metadata(context, Base.metadata))


async def test_models_and_migrations_agree(engine: AsyncEngine) -> None:
    async with engine.connect() as conn:
        diff = await conn.run_sync(_diff)
    assert diff == [], f"models and migrations differ; write a migration: {diff}"


async def test_every_model_table_exists_after_upgrade(engine: AsyncEngine) -> None:
    async with engine.connect() as conn:
        tables = set(await conn.run_sync(lambda c: inspect(c).get_table_names()))
    assert set(Base.metadata.tables) <= tables
    assert "alembic_version" in tables


async def test_downgrade_then_upgrade_round_trip(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'roundtrip.sqlite3'}"
    upgrade_to_head(url)
    downgrade_to_base(url)
    engine = create_engine(url)
    async with engine.connect() as conn:
        tables = set(await conn.run_sync(lambda c: inspect(c).get_table_names()))
    await engine.dispose()
    assert tables <= {"alembic_version"}
    upgrade_to_head(url)


def test_sqlite_file_is_private(tmp_path: Path) -> None:
    path = tmp_path / "sub" / "clotcare.sqlite3"
    upgrade_to_head(f"sqlite:///{path}")
    assert path.stat().st_mode & 0o777 == 0o600
