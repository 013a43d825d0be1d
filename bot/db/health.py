"""Database liveness for health checks: does ``SELECT 1`` answer within a short timeout?"""

from __future__ import annotations

import asyncio
import logging

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

log = logging.getLogger(__name__)

DEFAULT_TIMEOUT_SECONDS = 2.0


async def database_alive(engine: AsyncEngine, timeout_seconds: float = DEFAULT_TIMEOUT_SECONDS) -> bool:
    """Tell whether the database answers ``SELECT 1`` within ``timeout_seconds``."""

    async def probe() -> None:
        async with engine.connect() as conn:
            await conn.execute(text("SELECT 1"))

    try:
        async with asyncio.timeout(timeout_seconds):
            await probe()
    except TimeoutError:
        log.warning("health check: database did not answer within %.1fs", timeout_seconds)
        return False
    except Exception as exc:  # noqa: BLE001 - any failure means "not healthy", and is reported as such
        log.warning("health check: database unavailable (%s)", type(exc).__name__)
        return False
    return True
