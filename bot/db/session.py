"""Engine and session factory. Built on demand from Settings, never at import time."""

from __future__ import annotations

import os
import stat
from pathlib import Path
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine

from bot.config import to_async_url


def sqlite_path(url: str) -> Path | None:
    """Return the file path of a SQLite URL (None for other engines and in-memory databases)."""
    parsed = make_url(to_async_url(url))
    if not parsed.drivername.startswith("sqlite") or not parsed.database or parsed.database == ":memory:":
        return None
    return Path(parsed.database)


def prepare_sqlite_file(path: Path) -> None:
    """Create the SQLite file's folder and the file itself, readable by its owner only."""
    path.parent.mkdir(parents=True, exist_ok=True)
    if not path.exists():
        # Health data: create the file 0600 before SQLite does, so it is never world-readable.
        fd = os.open(path, os.O_CREAT | os.O_WRONLY, stat.S_IRUSR | stat.S_IWUSR)
        os.close(fd)
    os.chmod(path, stat.S_IRUSR | stat.S_IWUSR)


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    # WAL lets the dispatcher read while a handler writes; busy_timeout rides out short write locks.
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=5000")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def create_engine(url: str, *, pool_size: int = 5, max_overflow: int = 10, echo: bool = False) -> AsyncEngine:
    """Create the async engine for ``url`` (plain sqlite:// and postgresql:// URLs accepted)."""
    async_url = to_async_url(url)
    path = sqlite_path(async_url)
    if path is not None:
        prepare_sqlite_file(path)
    kwargs: dict[str, Any] = {"echo": echo, "pool_pre_ping": True}
    if not async_url.startswith("sqlite"):
        kwargs.update(pool_size=pool_size, max_overflow=max_overflow)
    engine = create_async_engine(async_url, **kwargs)
    if async_url.startswith("sqlite"):
        event.listen(engine.sync_engine, "connect", _sqlite_pragmas)
    return engine


def create_session_factory(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    """Create the session factory used by units of work."""
    return async_sessionmaker(engine, expire_on_commit=False)
