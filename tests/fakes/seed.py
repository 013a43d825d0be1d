"""Bulk seeding for scale tests and benchmarks: users with one dose plan each, optionally already due."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from typing import Any, Final, cast

from sqlalchemy import Table, func, select, text
from sqlalchemy.engine import make_url

from bot.db.base import Base
from bot.db.migrate import upgrade_to_head
from bot.db.reminders import PRIORITY_DOSE, ReminderOccurrence, ReminderPlan
from bot.db.session import create_engine
from bot.domain.reminders import OccurrenceStatus, ReminderKind

ZONE: Final = "UTC"
CHUNK: Final = 5_000
DRUGS: Final = ("apixaban", "rivaroxaban", "dabigatran", "edoxaban", "warfarin")


def _users(ids: range, at: datetime) -> list[dict[str, Any]]:
    return [
        {"user_id": i, "chat_id": i, "timezone": ZONE, "active": True, "created_at": at, "updated_at": at}
        for i in ids
    ]


def _plans(ids: range, at: datetime, times: str, materialised_until: datetime) -> list[dict[str, Any]]:
    return [
        {
            "id": i,
            "user_id": i,
            "kind": ReminderKind.DOSE.value,
            "name": DRUGS[i % len(DRUGS)],
            "dose": "5 mg",
            "times": times,
            "timezone": ZONE,
            "active": True,
            "materialised_until": materialised_until,
            "created_at": at,
            "updated_at": at,
        }
        for i in ids
    ]


async def _fix_sequence(conn: Any) -> None:
    # Plans were inserted with explicit ids; move PostgreSQL's sequence past them for later inserts.
    if conn.dialect.name == "postgresql":
        await conn.execute(
            text(
                "SELECT setval(pg_get_serial_sequence('reminder_plans', 'id'), "
                "(SELECT max(id) FROM reminder_plans))"
            )
        )


async def seed_due(
    url: str, count: int, due_at: datetime, *, busy_user: int = 0, busy_plans: int = 0
) -> None:
    """Insert ``count`` users (ids 1..count), each with a plan and one pending dose due at ``due_at``.

    With ``busy_plans``, plans 1..busy_plans all belong to user ``busy_user`` instead (one chat with
    many reminders due at once, next to the others).
    """
    engine = create_engine(url)
    users = Base.metadata.tables["users"]
    plans = cast(Table, ReminderPlan.__table__)
    occurrences = cast(Table, ReminderOccurrence.__table__)
    # Materialised well past the lookahead, so the tick's materialisation leaves these plans alone.
    horizon = due_at + timedelta(days=3)
    local = due_at.replace(second=0, microsecond=0)

    def owner(plan_id: int) -> int:
        return busy_user if plan_id <= busy_plans else plan_id

    try:
        async with engine.begin() as conn:
            if busy_plans:
                await conn.execute(users.insert(), _users(range(busy_user, busy_user + 1), due_at))
            for start in range(1, count + 1, CHUNK):
                ids = range(start, min(start + CHUNK, count + 1))
                own = range(max(start, busy_plans + 1), ids.stop)
                if own:
                    await conn.execute(users.insert(), _users(own, due_at))
                rows = _plans(ids, due_at, local.strftime("%H:%M"), horizon)
                for row in rows:
                    row["user_id"] = owner(row["id"])
                await conn.execute(plans.insert(), rows)
                await conn.execute(
                    occurrences.insert(),
                    [
                        {
                            "plan_id": i,
                            "user_id": owner(i),
                            "kind": ReminderKind.DOSE.value,
                            "priority": PRIORITY_DOSE,
                            "local_date": local.date(),
                            "local_time": local.time(),
                            "due_at": due_at,
                            "deadline": due_at + timedelta(hours=4),
                            "status": OccurrenceStatus.PENDING.value,
                            "next_action_at": due_at,
                            "delivered_late": False,
                            "attempts": 0,
                        }
                        for i in ids
                    ],
                )
            await _fix_sequence(conn)
    finally:
        await engine.dispose()


async def seed_plans(url: str, count: int, created_at: datetime, times: str = "08:00,20:00") -> None:
    """Insert ``count`` users with one plan each, not materialised yet (the first tick does that)."""
    engine = create_engine(url)
    users = Base.metadata.tables["users"]
    plans = cast(Table, ReminderPlan.__table__)
    try:
        async with engine.begin() as conn:
            for start in range(1, count + 1, CHUNK):
                ids = range(start, min(start + CHUNK, count + 1))
                await conn.execute(users.insert(), _users(ids, created_at))
                await conn.execute(plans.insert(), _plans(ids, created_at, times, created_at))
            await _fix_sequence(conn)
    finally:
        await engine.dispose()


async def status_counts(url: str) -> dict[str, int]:
    """Return how many occurrences are in each status."""
    engine = create_engine(url)
    o = ReminderOccurrence
    try:
        async with engine.connect() as conn:
            rows = await conn.execute(select(o.status, func.count()).group_by(o.status))
            return {str(status): int(n) for status, n in rows}
    finally:
        await engine.dispose()


async def admin_sql(base_url: str, sql: str) -> None:
    """Run one statement on the server of ``base_url`` (CREATE/DROP DATABASE cannot run in a transaction)."""
    import asyncpg

    parsed = make_url(base_url)
    conn = await asyncpg.connect(
        host=parsed.host or "127.0.0.1",
        port=parsed.port or 5432,
        user=parsed.username or "postgres",
        password=parsed.password,
        database=parsed.database or "postgres",
    )
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


@contextmanager
def fresh_postgres(base_url: str, prefix: str = "clotcare_scale") -> Iterator[str]:
    """Create a PostgreSQL database next to ``base_url``, migrated to head; drop it afterwards."""
    name = f"{prefix}_{uuid.uuid4().hex[:10]}"
    asyncio.run(admin_sql(base_url, f'CREATE DATABASE "{name}"'))
    url = make_url(base_url).set(database=name).render_as_string(hide_password=False)
    try:
        upgrade_to_head(url)
        yield url
    finally:
        asyncio.run(admin_sql(base_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
