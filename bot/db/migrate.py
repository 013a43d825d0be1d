"""Run Alembic migrations programmatically (used by ``python -m bot migrate`` / ``run`` and tests)."""

from __future__ import annotations

import asyncio
import threading

from alembic import command
from alembic.config import Config

from bot.shipped import shipped_path


def alembic_config(database_url: str, *, configure_logging: bool = False) -> Config:
    """Return an Alembic config pointed at ``database_url``."""
    config = Config(str(shipped_path("alembic.ini")))
    config.attributes["database_url"] = database_url
    config.attributes["configure_logging"] = configure_logging
    return config


def _in_thread_if_loop_running(target: object, *args: object) -> None:
    # env.py drives the async engine with asyncio.run(), which cannot nest inside a running loop.
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        target(*args)  # type: ignore[operator]
        return
    errors: list[BaseException] = []

    def runner() -> None:
        try:
            target(*args)  # type: ignore[operator]
        except BaseException as exc:  # noqa: BLE001 - re-raised in the caller thread
            errors.append(exc)

    thread = threading.Thread(target=runner, name="alembic")
    thread.start()
    thread.join()
    if errors:
        raise errors[0]


def upgrade_to_head(database_url: str) -> None:
    """Apply every migration up to head."""
    _in_thread_if_loop_running(command.upgrade, alembic_config(database_url), "head")


def downgrade_to_base(database_url: str) -> None:
    """Revert every migration (tests use this to prove downgrades work)."""
    _in_thread_if_loop_running(command.downgrade, alembic_config(database_url), "base")
