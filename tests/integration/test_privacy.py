"""Privacy through the real handlers: the database file is private, /forget forgets, /export exports.

SAFETY.md rule 9: health data stays minimal, and a user can export and delete everything about them.
The tables are enumerated from the models, so a table added later is covered without editing this file.
"""

from __future__ import annotations

import csv
import io
import stat
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import select

from bot.config import Settings
from bot.db.base import Base
from bot.db.session import create_engine, sqlite_path
from bot.domain.clock import FixedClock
from bot.domain.triage import BLOOD_THINNER_QUESTION_ID
from bot.jobs import run_tick
from tests.fakes.harness import BotHarness, running_bot
from tests.fakes.observers import snapshot, user_tables

ME = 8101
OTHER = 8102
T0 = datetime(2026, 11, 27, 6, 0, tzinfo=UTC)


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(T0)


@pytest.fixture
async def bot(settings: Settings, clock: FixedClock) -> AsyncIterator[BotHarness]:
    async with running_bot(settings, clock) as harness:
        yield harness


async def _full_user(bot: BotHarness, clock: FixedClock, user: int) -> None:
    """Give ``user`` a row in every table: profile, blood-thinner answer, plans, sent and answered doses."""
    await bot.send(user, "/start")
    await bot.send(user, "/country de")
    _intro, question = await bot.send(user, "/check")
    while question.buttons and question.buttons[0][0][1].startswith("chk:"):
        data = question.buttons[0][0][1]
        answer = "Yes" if data.split(":")[2] == BLOOD_THINNER_QUESTION_ID else "No"
        (question,) = await bot.press(user, question, answer)
    await bot.send(user, "/addmed apixaban 5 mg 08:00 20:00")
    await bot.send(user, "/stockings 07:30 21:00")
    clock.set(datetime(2026, 11, 27, 7, 0, tzinfo=UTC))
    await run_tick(bot.app)
    reminder = bot.api.messages(user)[-1]
    taken = [d for row in reminder.buttons for _, d in row if d.startswith("rem:t:")]
    if taken:
        await bot.press_data(user, reminder, taken[0])
    clock.set(T0)
    # A half-finished guided /addmed: the name typed, the dose not yet.
    await bot.send(user, "/addmed")
    await bot.send(user, "rivaroxaban")


def _user_rows(rows: dict[str, list[tuple[object, ...]]]) -> int:
    return sum(len(rows[name]) for name in user_tables())


def test_every_table_that_could_hold_personal_data_is_found() -> None:
    tables = user_tables()
    assert "users" in tables
    assert set(Base.metadata.tables) - set(tables) == set(), "a table outside /forget's reach"


async def test_forget_through_the_buttons_removes_every_row_about_the_user(
    bot: BotHarness, clock: FixedClock
) -> None:
    await _full_user(bot, clock, ME)
    await _full_user(bot, clock, OTHER)
    engine = bot.app.bot_data["engine"]
    mine = await snapshot(engine, user_id=ME)
    for name in user_tables():
        assert mine[name], f"set-up left {name} empty for the user; the test would prove nothing"
    others_before = await snapshot(engine, user_id=OTHER)

    (confirm,) = await bot.send(ME, "/forget")
    await bot.press(ME, confirm, "Delete everything")

    after = await snapshot(engine, user_id=ME)
    assert _user_rows(after) == 0, {k: v for k, v in after.items() if v}
    # Rows that point at the user only through a foreign key (no user_id column) must be gone too.
    async with engine.connect() as conn:
        for table in Base.metadata.sorted_tables:
            for fk in table.foreign_keys:
                if fk.column.table.name == "users":
                    left = (await conn.execute(select(table).where(fk.parent == ME))).all()
                    assert left == [], (table.name, left)
    assert await snapshot(engine, user_id=OTHER) == others_before
    assert ME not in bot.app.user_data or bot.app.user_data[ME] == {}
    cached = bot.app.bot_data["services"].users._safety_cache
    assert ME not in cached


async def test_export_contains_everything_stored_about_the_user(bot: BotHarness, clock: FixedClock) -> None:
    await _full_user(bot, clock, ME)
    engine = bot.app.bot_data["engine"]
    rows = await snapshot(engine, user_id=ME)
    before = len(bot.api.messages(ME))
    await bot.send(ME, "/export")
    documents = [m.document for m in bot.api.messages(ME)[before:] if m.document is not None]
    assert len(documents) == 2
    exported = "\n".join(content.decode("utf-8-sig") for _, content in documents)
    cells = {cell for line in csv.reader(io.StringIO(exported)) for cell in line}

    (user_row,) = rows["users"]
    users = Base.metadata.tables["users"]
    profile = dict(zip(users.c.keys(), user_row, strict=True))
    assert profile["on_blood_thinners"] is True
    for field in ("user_id", "country", "timezone", "language", "on_blood_thinners"):
        assert str(profile[field]) in cells, (field, profile[field])
    plans = Base.metadata.tables["reminder_plans"]
    for plan_row in rows["reminder_plans"]:
        plan = dict(zip(plans.c.keys(), plan_row, strict=True))
        assert plan["name"] in exported, plan
        if plan["dose"]:
            assert plan["dose"] in exported
    # One dose-log line per reminder that is due by now (later ones are schedule, not history).
    occurrences = Base.metadata.tables["reminder_occurrences"]
    due = [
        dict(zip(occurrences.c.keys(), r, strict=True))
        for r in rows["reminder_occurrences"]
        if dict(zip(occurrences.c.keys(), r, strict=True))["sent_at"] is not None
    ]
    log_lines = documents[0][1].decode("utf-8-sig").strip().splitlines()[1:]
    assert len(log_lines) >= len(due) >= 1


async def test_export_and_forget_for_someone_never_seen(bot: BotHarness) -> None:
    before = len(bot.api.messages(ME))
    await bot.send(ME, "/export")
    assert len(bot.api.messages(ME)) > before
    (confirm,) = await bot.send(ME, "/forget")
    replies = await bot.press(ME, confirm, "Delete everything")
    assert replies == []  # the confirmation message is edited in place
    assert "deleted" in bot.api.messages(ME)[-1].plain_text


def test_sqlite_file_and_its_journals_are_private(tmp_path: Path) -> None:
    import asyncio

    path = tmp_path / "fresh" / "clotcare.sqlite3"
    url = f"sqlite:///{path}"
    assert sqlite_path(url) == path

    async def write() -> None:
        engine = create_engine(url)
        async with engine.begin() as conn:
            await conn.exec_driver_sql("CREATE TABLE t (x INTEGER)")
            await conn.exec_driver_sql("INSERT INTO t VALUES (1)")
            for suffix in ("-wal", "-shm"):
                journal = path.with_name(path.name + suffix)
                if journal.exists():
                    assert stat.S_IMODE(journal.stat().st_mode) & 0o077 == 0, suffix
        await engine.dispose()

    asyncio.run(write())
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_an_existing_world_readable_database_is_made_private(tmp_path: Path) -> None:
    path = tmp_path / "old.sqlite3"
    path.write_bytes(b"")
    path.chmod(0o644)
    create_engine(f"sqlite:///{path}")
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
