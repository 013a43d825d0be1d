"""Engine and session factory. Built on demand from Settings, never at import time."""

from __future__ import annotations

import os
import stat
from dataclasses import dataclass
from functools import partial
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


def _sqlite_pragmas(dbapi_connection: Any, _record: Any, *, busy_ms: int = 5000) -> None:
    cursor = dbapi_connection.cursor()
    # WAL lets the dispatcher read while a handler writes; busy_timeout rides out short write locks.
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute(f"PRAGMA busy_timeout={int(busy_ms)}")
    cursor.execute("PRAGMA synchronous=NORMAL")
    # Deleted rows (/forget) are overwritten with zeros, not left readable in free pages.
    cursor.execute("PRAGMA secure_delete=ON")
    cursor.close()


@dataclass(frozen=True, slots=True)
class DatabaseTimeouts:
    """Seconds to wait for a connection, for one statement, and for a free pooled connection."""

    connect: float = 5.0
    statement: float = 10.0
    pool: float = 5.0


def create_engine(
    url: str,
    *,
    pool_size: int = 5,
    max_overflow: int = 10,
    echo: bool = False,
    timeouts: DatabaseTimeouts | None = None,
) -> AsyncEngine:
    """Create the async engine for ``url`` (plain sqlite:// and postgresql:// URLs accepted).

    Every wait on the database is bounded (``timeouts``): a server that accepts connections but
    answers nothing otherwise holds a handler, a reminder tick or a shutdown for ever. On PostgreSQL
    asyncpg's ``timeout`` bounds connecting, its ``command_timeout`` each statement on the client side
    (it also ends a wait on a silent server), and ``statement_timeout`` lets the server cancel a long
    statement itself; ``pool_timeout`` bounds the wait for a free connection. SQLite's busy timeout
    bounds waiting for another writer's lock.
    """
    timeouts = timeouts or DatabaseTimeouts()
    async_url = to_async_url(url)
    path = sqlite_path(async_url)
    if path is not None:
        prepare_sqlite_file(path)
    kwargs: dict[str, Any] = {"echo": echo, "pool_pre_ping": True}
    if async_url.startswith("postgresql+asyncpg"):
        kwargs["connect_args"] = {
            "timeout": timeouts.connect,
            "command_timeout": timeouts.statement,
            "server_settings": {"statement_timeout": str(int(timeouts.statement * 1000))},
        }
    if not async_url.startswith("sqlite"):
        kwargs.update(pool_size=pool_size, max_overflow=max_overflow, pool_timeout=timeouts.pool)
    engine = create_async_engine(async_url, **kwargs)
    if async_url.startswith("sqlite"):
        busy_ms = int(timeouts.statement * 1000)
        event.listen(engine.sync_engine, "connect", partial(_sqlite_pragmas, busy_ms=busy_ms))
    return engine


def create_session_factory(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    """Create the session factory used by units of work."""
    return async_sessionmaker(engine, expire_on_commit=False)
