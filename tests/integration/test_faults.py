"""Fault injection through the real Application: Telegram failing, the database going away.

What "survives" means here:

* Telegram answering 5xx during a burst: every question still gets exactly one answer (the transport
  retries 5xx, see ``bot/retry.py``); when the failure outlasts the retries the answer is lost but the
  user gets the apology, never silence. 429: the rate limiter waits ``retry_after`` and sends once.
* The database gone, read-only or full: /emergency, /signs, /check and red-flag replies keep working
  (cached country); writes get the polite "can't save right now"; one warning line per failure, no
  error tracebacks, no crash; everything works again when the database comes back.

The long versions are marked ``chaos`` and run with ``make chaos`` (``pytest -m chaos --run-chaos``).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import shutil
import sqlite3
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError as DBOperationalError
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.app import build_application, build_runtime
from bot.config import Settings
from bot.db.session import sqlite_path
from bot.domain.clock import FixedClock
from bot.handlers.common import ClotApplication
from bot.jobs import TelegramSender, run_tick
from bot.retry import RetryingRequest
from bot.services.dispatcher import MissedSummary, ReminderMessage, SendResult
from bot.services.errors import StorageUnavailable
from tests.fakes.harness import BotHarness, running_bot, shared_knowledge
from tests.fakes.observers import APOLOGY, ErrorRecorder
from tests.fakes.tcp_proxy import TcpProxy
from tests.fakes.telegram import BotMessage, FakeBotAPI, FakeRequest

T0 = datetime(2026, 11, 27, 6, 0, tzinfo=UTC)
QUESTIONS = ["can I massage a clot", "can I fly with a blood clot", "what is warfarin", "is alcohol ok"]
CANT_SAVE = "can't save anything right now"


def _fast_retries(app: ClotApplication) -> RetryingRequest:
    """Return the app's retrying transport with millisecond back-off (the schedule itself is unit-tested)."""
    found = [r for r in app.bot._request if isinstance(r, RetryingRequest)]
    assert found, "the bot's transport is not wrapped in RetryingRequest"
    found[0]._base_delay = 0.001
    return found[0]


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(T0)


@pytest.fixture
async def bot(settings: Settings, clock: FixedClock) -> AsyncIterator[BotHarness]:
    async with running_bot(settings, clock) as harness:
        _fast_retries(harness.app)
        yield harness


def _answers(messages: list[BotMessage]) -> list[BotMessage]:
    return [m for m in messages if APOLOGY not in m.plain_text]


async def _burst(bot: BotHarness, users: list[int], questions: list[str]) -> None:
    """Every user asks every question, all at once (as concurrent updates would be processed)."""
    await asyncio.gather(*(bot.feed(bot.api.user_sends(u, q)) for u in users for q in questions))


# ---------------------------------------------------------------------- Telegram failing


@pytest.mark.parametrize(("status", "description"), [(502, "Bad Gateway"), (500, "Internal Server Error")])
async def test_5xx_during_a_burst_every_question_is_answered_once(
    bot: BotHarness, status: int, description: str
) -> None:
    errors = ErrorRecorder().install(bot.app)
    users = [5101, 5102, 5103, 5104, 5105]
    # Three failures in all: fewer than one request's four attempts, however the burst interleaves.
    bot.api.fail_next("sendMessage", status, description, times=2)
    bot.api.fail_next("sendMessage", 503, "Service Unavailable", times=1)
    await _burst(bot, users, QUESTIONS)
    for user in users:
        messages = bot.api.messages(user)
        assert len(messages) == len(QUESTIONS), [m.plain_text[:40] for m in messages]  # none lost, no dupes
        assert _answers(messages) == messages
    failed = [c for c in bot.api.calls_of("sendMessage") if not c.ok]
    assert len(failed) == 3
    errors.assert_none("5xx burst")
    # ... and the bot is alive afterwards.
    assert await bot.send(users[0], "/emergency")


async def test_5xx_outlasting_the_retries_loses_the_answer_but_apologises(bot: BotHarness) -> None:
    errors = ErrorRecorder().install(bot.app)
    bot.api.fail_next("sendMessage", 502, "Bad Gateway", times=4)  # the first try and all 3 retries
    replies = await bot.send(5201, QUESTIONS[0])
    assert [APOLOGY in m.plain_text for m in replies] == [True]
    assert len(errors.errors) == 1
    assert "NetworkError" in errors.errors[0]
    assert _answers(await bot.send(5201, QUESTIONS[0]))


async def test_4xx_is_never_retried(bot: BotHarness) -> None:
    bot.api.fail_next("sendMessage", 400, "Bad Request: chat not found")
    await bot.send(5301, QUESTIONS[0])
    assert len([c for c in bot.api.calls_of("sendMessage") if not c.ok]) == 1


@asynccontextmanager
async def rate_limited_bot(settings: Settings, clock: FixedClock) -> AsyncIterator[BotHarness]:
    """Like ``running_bot`` but with the production rate limiter (which owns 429 handling)."""
    api = FakeBotAPI(token="123456:TEST-TOKEN")
    runtime = build_runtime(settings, clock=clock, knowledge=shared_knowledge())
    app = build_application(settings, runtime, request=FakeRequest(api), updates_request=FakeRequest(api))
    async with app:
        try:
            yield BotHarness(app, api, clock)
        finally:
            if app.post_shutdown is not None:
                await app.post_shutdown(app)


async def test_429_is_waited_out_by_the_rate_limiter_and_sent_once(
    settings: Settings, clock: FixedClock
) -> None:
    async with rate_limited_bot(settings, clock) as bot:
        errors = ErrorRecorder().install(bot.app)
        bot.api.fail_next("sendMessage", 429, "Too Many Requests: retry after 1", retry_after=1)
        await _burst(bot, [5401, 5402], QUESTIONS[:1])
        for user in (5401, 5402):
            assert len(_answers(bot.api.messages(user))) == 1
        errors.assert_none("429")


# ---------------------------------------------------------------------- the database going away


class SqliteFault:
    """Make a SQLite database unavailable in one of three ways, and bring it back."""

    def __init__(self, engine: AsyncEngine, url: str) -> None:
        self.engine = engine
        path = sqlite_path(url)
        assert path is not None
        self.path: Path = path
        self.listeners: list[tuple[str, Callable[..., Any]]] = []

    async def break_(self, mode: str) -> None:
        await self.engine.dispose()
        if mode == "gone":
            # Root ignores file modes, so "gone" is literal: a directory where the file was.
            for suffix in ("", "-wal", "-shm"):
                source = self.path.with_name(self.path.name + suffix)
                if source.exists():
                    source.rename(source.with_name(source.name + ".away"))
            self.path.mkdir()
        elif mode == "readonly":
            self._listen("connect", lambda conn, _record: conn.execute("PRAGMA query_only=ON"))
        elif mode == "full":

            def full(_conn: Any, _cursor: Any, statement: str, params: Any, *_args: Any) -> None:
                if statement.lstrip().upper().startswith(("INSERT", "UPDATE", "DELETE")):
                    # What SQLAlchemy raises when SQLite reports SQLITE_FULL on a write.
                    raise DBOperationalError(
                        statement, params, sqlite3.OperationalError("database or disk is full")
                    )

            self._listen("before_cursor_execute", full)
        else:
            raise ValueError(mode)

    def _listen(self, name: str, fn: Callable[..., Any]) -> None:
        event.listen(self.engine.sync_engine, name, fn)
        self.listeners.append((name, fn))

    async def restore(self) -> None:
        await self.engine.dispose()
        for name, fn in self.listeners:
            event.remove(self.engine.sync_engine, name, fn)
        self.listeners.clear()
        if self.path.is_dir():
            shutil.rmtree(self.path)
            for suffix in ("", "-wal", "-shm"):
                away = self.path.with_name(self.path.name + suffix + ".away")
                if away.exists():
                    away.rename(self.path.with_name(self.path.name + suffix))


async def _outage_checks(bot: BotHarness, user: int, caplog: pytest.LogCaptureFixture) -> None:
    """What must work, and how writes must fail, while the database is unavailable."""
    (reply,) = await bot.send(user, "/emergency")
    assert reply.plain_text.startswith("🚨")
    assert "999" in reply.plain_text.splitlines()[0]
    (reply,) = await bot.send(user, "/signs")
    assert "999" in reply.plain_text
    replies = await bot.send(user, "my calf is swollen and I cough blood")
    assert replies[0].plain_text.startswith("🚨")
    assert "999" in replies[0].plain_text.splitlines()[0]
    assert _answers(await bot.send(user, QUESTIONS[0]))
    _intro, question = await bot.send(user, "/check")
    (result,) = await bot.press(user, question, "Yes")
    assert result.plain_text.startswith("🚨")
    assert "999" in result.plain_text.splitlines()[0]
    for write in ("/country fr", "/timezone Europe/Paris", "/addmed apixaban 08:00"):
        replies = await bot.send(user, write)
        assert [CANT_SAVE in m.plain_text for m in replies] == [True], (
            write,
            [m.plain_text for m in replies],
        )
    for read in ("/settings", "/reminders", "/history", "/export"):
        replies = await bot.send(user, read)
        assert replies, read
        assert all(APOLOGY not in m.plain_text for m in replies), read
    assert await bot.send(user, "/start")
    # The tick may only fail with StorageUnavailable, which its job callback turns into a warning.
    with contextlib.suppress(StorageUnavailable):
        await run_tick(bot.app)


@pytest.mark.parametrize("mode", ["gone", "readonly", "full"])
async def test_sqlite_outage_keeps_safety_working_and_writes_polite(
    bot: BotHarness, settings: Settings, caplog: pytest.LogCaptureFixture, mode: str
) -> None:
    user = 5501
    await bot.send(user, "/start")
    await bot.send(user, "/country gb")
    errors = ErrorRecorder().install(bot.app)
    fault = SqliteFault(bot.app.bot_data["engine"], settings.database_url)
    await fault.break_(mode)
    with caplog.at_level(logging.INFO):
        await _outage_checks(bot, user, caplog)
    errors.assert_none(mode)
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR], [
        r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR
    ]
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert any("unavailable" in w for w in warnings), warnings
    await fault.restore()
    (reply,) = await bot.send(user, "/country fr")
    assert "Country set to" in reply.plain_text


async def test_postgres_outage_through_a_dying_proxy(
    postgres_url: str, clock: FixedClock, caplog: pytest.LogCaptureFixture
) -> None:
    real = make_url(postgres_url)
    proxy = TcpProxy(real.host or "127.0.0.1", real.port or 5432)
    await proxy.start()
    url = real.set(host="127.0.0.1", port=proxy.port).render_as_string(hide_password=False)
    settings = Settings(_env_file=None, telegram_bot_token="123456:TEST-TOKEN", database_url=url)
    user = 5601 + random.randrange(1_000_000)
    try:
        async with running_bot(settings, clock) as bot:
            _fast_retries(bot.app)
            await bot.send(user, "/start")
            await bot.send(user, "/country gb")
            errors = ErrorRecorder().install(bot.app)
            await proxy.cut()
            with caplog.at_level(logging.INFO):
                await _outage_checks(bot, user, caplog)
            errors.assert_none("postgres down")
            await proxy.restore()
            await bot.app.bot_data["engine"].dispose()
            (reply,) = await bot.send(user, "/country fr")
            assert "Country set to" in reply.plain_text
            await bot.app.bot_data["services"].reminders.forget(user)
    finally:
        await proxy.close()


# ---------------------------------------------------------------------- reminders around their due time

AT_0800_BERLIN = datetime(2026, 11, 27, 7, 0, tzinfo=UTC)


def _reminders(bot: BotHarness, user: int) -> list[BotMessage]:
    return [m for m in bot.api.messages(user) if any(d.startswith("rem:t:") for r in m.buttons for _, d in r)]


@pytest.mark.parametrize(
    ("status", "description", "retry_after"),
    [(502, "Bad Gateway", None), (429, "Too Many Requests: retry after 30", 30)],
)
async def test_telegram_failing_at_the_due_time_delivers_the_reminder_once_later(
    bot: BotHarness, clock: FixedClock, status: int, description: str, retry_after: int | None
) -> None:
    user = 5901
    await bot.send(user, "/start")
    await bot.send(user, "/timezone Europe/Berlin")
    await bot.send(user, "/addmed apixaban 08:00")
    clock.set(AT_0800_BERLIN)
    # 502: the first try and all three transport retries fail; 429: flood control for 30 s.
    bot.api.fail_next("sendMessage", status, description, retry_after=retry_after, times=4)
    await run_tick(bot.app)
    assert _reminders(bot, user) == []
    for minutes in (1, 2, 3, 10, 20):
        clock.set(AT_0800_BERLIN + timedelta(minutes=minutes))
        await run_tick(bot.app)
    assert len(_reminders(bot, user)) == 1  # delivered late, and exactly once


class Crash(BaseException):
    """Stands in for SIGKILL: nothing after it runs (BaseException, so no handler catches it)."""


class CrashingSender:
    """A TelegramSender that dies just before, or just after, its first send."""

    def __init__(self, app: ClotApplication, *, after_send: bool) -> None:
        self._real = TelegramSender(app.bot)
        self._after_send = after_send

    async def send_reminder(self, message: ReminderMessage) -> SendResult:
        if not self._after_send:
            raise Crash
        await self._real.send_reminder(message)
        raise Crash

    async def send_missed_summary(self, summary: MissedSummary) -> SendResult:
        raise Crash


@pytest.mark.parametrize(("after_send", "expected"), [(False, 1), (True, 2)])
async def test_a_crash_during_dispatch_loses_nothing(
    bot: BotHarness, clock: FixedClock, after_send: bool, expected: int
) -> None:
    user = 5951
    await bot.send(user, "/start")
    await bot.send(user, "/timezone Europe/Berlin")
    await bot.send(user, "/addmed apixaban 08:00")
    clock.set(AT_0800_BERLIN)
    services = bot.app.bot_data["services"]
    with pytest.raises(Crash):
        await services.dispatcher.tick(clock.now(), CrashingSender(bot.app, after_send=after_send))
    # "Restart": ticks go on with the real sender; the claim's lease has to run out first.
    for minutes in (1, 3, 5, 10):
        clock.set(AT_0800_BERLIN + timedelta(minutes=minutes))
        await run_tick(bot.app)
    # Never lost; a crash between sending and recording re-sends once (at-least-once, by design).
    assert len(_reminders(bot, user)) == expected


# ---------------------------------------------------------------------- chaos (make chaos)


@pytest.mark.chaos
async def test_chaos_random_telegram_faults_during_a_long_burst(
    settings: Settings, clock: FixedClock
) -> None:
    rng = random.Random(20261127)
    async with running_bot(settings, clock) as bot:
        _fast_retries(bot.app)
        errors = ErrorRecorder().install(bot.app)
        users = list(range(5700, 5740))
        lost = 0
        for round_ in range(10):
            for _ in range(rng.randrange(1, 4)):
                status = rng.choice([500, 502, 503, 504])
                bot.api.fail_next("sendMessage", status, "Bad Gateway", times=rng.randrange(1, 4))
            clock.advance(timedelta(minutes=1))
            await _burst(bot, users, [QUESTIONS[round_ % len(QUESTIONS)]])
        for user in users:
            messages = bot.api.messages(user)
            assert len(messages) == 10, (user, len(messages))  # one reply per question: no dupes
            lost += len(messages) - len(_answers(messages))
        assert lost == 0
        errors.assert_none("chaos")


@pytest.mark.chaos
@pytest.mark.parametrize("mode", ["gone", "readonly", "full"])
async def test_chaos_database_flapping(
    bot: BotHarness, settings: Settings, clock: FixedClock, caplog: pytest.LogCaptureFixture, mode: str
) -> None:
    user = 5801
    await bot.send(user, "/start")
    await bot.send(user, "/country gb")
    fault = SqliteFault(bot.app.bot_data["engine"], settings.database_url)
    for _ in range(5):
        clock.advance(timedelta(minutes=1))  # stay under the per-user flood limit
        await fault.break_(mode)
        await _outage_checks(bot, user, caplog)
        await fault.restore()
        (reply,) = await bot.send(user, "/country gb")
        assert "Country set to" in reply.plain_text
