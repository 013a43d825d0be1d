"""Shared fixtures: settings, databases (SQLite always, PostgreSQL when TEST_POSTGRES_URL is set)."""

from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.config import Settings
from bot.db.base import Base
from bot.db.migrate import upgrade_to_head
from bot.db.session import create_engine
from tests.fakes.seed import admin_sql

POSTGRES_ENV = "TEST_POSTGRES_URL"
SKIP_POSTGRES_REASON = (
    f"PostgreSQL tests skipped: {POSTGRES_ENV} is not set (see README, 'Running the tests')"
)


def pytest_addoption(parser: pytest.Parser) -> None:
    """Add --run-chaos: the long fault-injection tests (``make chaos``) are skipped without it."""
    parser.addoption("--run-chaos", action="store_true", default=False, help="run tests marked chaos")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Skip tests marked chaos unless --run-chaos was given."""
    if config.getoption("--run-chaos"):
        return
    skip = pytest.mark.skip(reason="chaos test: run with --run-chaos (make chaos)")
    for item in items:
        if "chaos" in item.keywords:
            item.add_marker(skip)


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """Say loudly when the PostgreSQL half of the suite did not run."""
    if not os.environ.get(POSTGRES_ENV):
        terminalreporter.write_sep("=", SKIP_POSTGRES_REASON, yellow=True)


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """Create a fresh PostgreSQL database for this test run, migrated to head; drop it afterwards."""
    base = os.environ.get(POSTGRES_ENV)
    if not base:
        pytest.skip(SKIP_POSTGRES_REASON)
    name = f"clotcare_test_{uuid.uuid4().hex[:12]}"
    asyncio.run(admin_sql(base, f'CREATE DATABASE "{name}"'))
    url = make_url(base).set(database=name).render_as_string(hide_password=False)
    upgrade_to_head(url)
    yield url
    asyncio.run(admin_sql(base, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Migrate one SQLite file to head; tests copy it instead of migrating again."""
    path = tmp_path_factory.mktemp("sqlite") / "template.sqlite3"
    upgrade_to_head(f"sqlite:///{path}")
    return path


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest, tmp_path: Path, sqlite_template: Path) -> str:
    """A migrated, empty database on each engine: SQLite always, PostgreSQL when configured."""
    if request.param == "sqlite":
        target = tmp_path / "clotcare.sqlite3"
        target.write_bytes(sqlite_template.read_bytes())
        return f"sqlite:///{target}"
    url: str = request.getfixturevalue("postgres_url")
    return url


@pytest.fixture
def sqlite_url(tmp_path: Path, sqlite_template: Path) -> str:
    """A migrated, empty SQLite database (for tests that don't need both engines)."""
    target = tmp_path / "clotcare.sqlite3"
    target.write_bytes(sqlite_template.read_bytes())
    return f"sqlite:///{target}"


async def _empty_all_tables(engine: AsyncEngine) -> None:
    async with engine.begin() as conn:
        for table in reversed(Base.metadata.sorted_tables):
            await conn.execute(table.delete())


@pytest.fixture
async def engine(database_url: str) -> AsyncIterator[AsyncEngine]:
    """An engine on the test database; every table is emptied afterwards (PostgreSQL is shared)."""
    eng = create_engine(database_url)
    await _empty_all_tables(eng)
    yield eng
    await _empty_all_tables(eng)
    await eng.dispose()


@pytest.fixture
def settings(sqlite_url: str) -> Settings:
    """Settings for in-process tests: SQLite, the fake token, no environment leaking in."""
    return Settings(
        _env_file=None,
        telegram_bot_token="123456:TEST-TOKEN",
        database_url=sqlite_url,
    )
