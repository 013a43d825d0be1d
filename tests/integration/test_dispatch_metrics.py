"""The dispatcher's metrics on /metrics, its graceful stop, and the Application hooks that drive it."""

from __future__ import annotations

import asyncio
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import httpx
from sqlalchemy import select

from bot.app import build_application, build_runtime
from bot.config import Settings
from bot.db.reminders import ReminderOccurrence
from bot.db.session import create_engine, create_session_factory
from bot.db.uow import SqlUnitOfWork
from bot.domain.clock import FixedClock
from bot.domain.reminders import ReminderPolicy
from bot.jobs import TICK_JOB_NAME, run_tick
from bot.services.dispatcher import (
    SENT,
    Dispatcher,
    MissedSummary,
    ReminderMessage,
    SendResult,
)
from bot.web import WebServer
from tests.fakes.harness import shared_knowledge
from tests.fakes.seed import seed_due
from tests.fakes.telegram import FakeBotAPI, FakeRequest

NOW = datetime(2026, 11, 27, 8, 0, 30, tzinfo=UTC)
DUE = datetime(2026, 11, 27, 8, 0, tzinfo=UTC)


@dataclass
class RecordingMetrics:
    """A DispatchMetrics fake that remembers what it was told."""

    outcomes: Counter[str] = field(default_factory=Counter)
    lags: list[float] = field(default_factory=list)

    def reminder_sent(self, *, late: bool, lag_seconds: float) -> None:
        """Record a delivery and its lag."""
        self.outcomes["late" if late else "sent"] += 1
        self.lags.append(lag_seconds)

    def reminder_follow_up_sent(self) -> None:
        """Record a follow-up."""
        self.outcomes["follow_up"] += 1

    def reminder_missed(self, count: int = 1) -> None:
        """Record missed reminders."""
        self.outcomes["missed"] += count

    def reminder_failed(self, count: int = 1) -> None:
        """Record failed deliveries."""
        self.outcomes["failed"] += count

    def reminder_blocked(self, count: int = 1) -> None:
        """Record blocked deliveries."""
        self.outcomes["blocked"] += count


class StoppingSender:
    """Send successfully, and ask the dispatcher to stop after ``stop_after`` sends (a SIGTERM mid-batch)."""

    def __init__(self, stop_after: int) -> None:
        self.dispatcher: Dispatcher | None = None
        self.stop_after = stop_after
        self.sent: list[int] = []

    async def send_reminder(self, message: ReminderMessage) -> SendResult:
        """Count the send; request the stop once enough went out."""
        self.sent.append(message.user_id)
        if len(self.sent) == self.stop_after and self.dispatcher is not None:
            self.dispatcher.request_stop()
        return SENT

    async def send_missed_summary(self, summary: MissedSummary) -> SendResult:
        """Count the summary like a reminder."""
        self.sent.append(summary.user_id)
        return SENT


async def test_metrics_endpoint_counts_reminders_after_a_tick(settings: Settings) -> None:
    """A tick's deliveries show up on /metrics with their dispatch lag."""
    api = FakeBotAPI(token="123456:TEST-TOKEN")
    for user_id in (1, 2, 3):
        api.register_user(user_id)
    await seed_due(settings.database_url, 3, datetime.now(UTC) - timedelta(seconds=5))
    runtime = build_runtime(settings, knowledge=shared_knowledge())
    app = build_application(settings, runtime, request=FakeRequest(api), rate_limited=False)
    server = WebServer(None, metrics=runtime.metrics, engine=runtime.engine)
    try:
        async with app:
            report = await run_tick(app)
        port = await server.start("127.0.0.1", 0)
        async with httpx.AsyncClient() as client:
            text = (await client.get(f"http://127.0.0.1:{port}/metrics")).text
    finally:
        await server.stop()
        await runtime.engine.dispose()
    assert report.sent == 3
    assert 'clotcare_reminders_total{outcome="sent"} 3.0' in text
    assert 'clotcare_reminders_total{outcome="late"} 0.0' in text
    assert "clotcare_reminder_dispatch_lag_seconds_count 3.0" in text


async def test_stop_request_mid_batch_records_the_sent_and_releases_the_rest(sqlite_url: str) -> None:
    """After request_stop no new send starts; unsent rows are claimable again at once, not after the lease."""
    await seed_due(sqlite_url, 10, DUE)
    engine = create_engine(sqlite_url)
    factory = create_session_factory(engine)
    metrics = RecordingMetrics()
    dispatcher = Dispatcher(lambda: SqlUnitOfWork(factory), ReminderPolicy(), concurrency=1, metrics=metrics)
    sender = StoppingSender(stop_after=3)
    sender.dispatcher = dispatcher
    try:
        first = await dispatcher.tick(NOW, sender)
        async with engine.connect() as conn:
            rows = (await conn.execute(select(ReminderOccurrence.__table__))).mappings().all()
        dispatcher.resume()
        second = await dispatcher.tick(NOW, sender)
    finally:
        await engine.dispose()
    assert first.claimed == 10
    assert first.sent == 3
    assert metrics.outcomes == Counter({"sent": 10})
    assert metrics.lags == [30.0] * 10
    released = [r for r in rows if r["status"] == "pending"]
    assert len(released) == 7
    assert all(r["claim_token"] is None and r["next_action_at"] == NOW for r in released)
    assert second.sent == 7
    assert sorted(sender.sent) == list(range(1, 11))


async def test_stopping_the_application_stops_the_dispatcher_and_starting_resumes_it(
    settings: Settings,
) -> None:
    """ClotCareApplication.stop asks the dispatcher to stop before the JobQueue waits for the tick."""
    api = FakeBotAPI(token="123456:TEST-TOKEN")
    runtime = build_runtime(settings, knowledge=shared_knowledge())
    app = build_application(settings, runtime, request=FakeRequest(api), rate_limited=False)
    dispatcher = runtime.services.dispatcher
    seen: list[bool] = []
    try:
        async with app:
            await app.start()
            seen.append(dispatcher.stopping)
            await app.stop()
            seen.append(dispatcher.stopping)
            await app.start()
            seen.append(dispatcher.stopping)
            await app.stop()
    finally:
        await runtime.engine.dispose()
    assert seen == [False, True, False]


async def test_reminder_dispatch_false_makes_an_intake_only_process(settings: Settings) -> None:
    """REMINDER_DISPATCH=false schedules no tick; a worker forces it on."""
    intake = settings.model_copy(update={"reminder_dispatch": False})
    runtime = build_runtime(intake, knowledge=shared_knowledge())
    try:
        app = build_application(intake, runtime, request=FakeRequest(FakeBotAPI()), rate_limited=False)
        worker = build_application(
            intake, runtime, request=FakeRequest(FakeBotAPI()), rate_limited=False, dispatch=True
        )
        assert app.job_queue is not None
        assert worker.job_queue is not None
        assert app.job_queue.get_jobs_by_name(TICK_JOB_NAME) == ()
        assert len(worker.job_queue.get_jobs_by_name(TICK_JOB_NAME)) == 1
    finally:
        await runtime.engine.dispose()


async def test_the_first_tick_runs_as_the_application_starts_not_an_interval_later(
    settings: Settings,
) -> None:
    """Reminders that fell due while the bot was down go out at start-up, even with a long tick interval."""
    api = FakeBotAPI(token="123456:TEST-TOKEN")
    api.register_user(1)
    await seed_due(settings.database_url, 1, datetime.now(UTC) - timedelta(seconds=5))
    slow = settings.model_copy(update={"reminder_tick_seconds": 120.0})
    runtime = build_runtime(slow, knowledge=shared_knowledge())
    app = build_application(slow, runtime, request=FakeRequest(api), rate_limited=False)
    # Built well before it starts, as when the process migrates or loads content in between.
    await asyncio.sleep(0.5)
    try:
        async with app:
            await app.start()
            try:
                messages = await api.wait_for_messages_async(1, 1, timeout=10)
            finally:
                await app.stop()
    finally:
        await runtime.engine.dispose()
    assert len(messages) == 1


class SlowSender:
    """Each send takes ``step`` on the clock; at send number ``probe_at`` another dispatcher ticks."""

    def __init__(self, clock: FixedClock, step: timedelta, probe_at: int, other: Dispatcher) -> None:
        self.clock = clock
        self.step = step
        self.probe_at = probe_at
        self.other = other
        self.sent: list[int] = []
        self.other_sent: list[int] = []

    async def send_reminder(self, message: ReminderMessage) -> SendResult:
        """Send, let time pass, and let the other dispatcher try to claim mid-tick."""
        self.sent.append(message.user_id)
        self.clock.advance(self.step)
        if len(self.sent) == self.probe_at:
            rival = StoppingSender(stop_after=10_000)
            await self.other.tick(self.clock.now(), rival)
            self.other_sent += rival.sent
        return SENT

    async def send_missed_summary(self, summary: MissedSummary) -> SendResult:
        """Not expected here."""
        raise AssertionError("no summary expected")


async def test_a_tick_longer_than_the_lease_leases_later_batches_from_the_current_time(
    sqlite_url: str,
) -> None:
    """Batches claimed late in a long tick stay leased, so a second dispatcher cannot send them again."""
    await seed_due(sqlite_url, 4, DUE)
    engine = create_engine(sqlite_url)
    factory = create_session_factory(engine)
    clock = FixedClock(NOW)
    policy = ReminderPolicy()
    other = Dispatcher(lambda: SqlUnitOfWork(factory), policy, clock=clock)
    dispatcher = Dispatcher(lambda: SqlUnitOfWork(factory), policy, batch_size=2, concurrency=1, clock=clock)
    # Two sends outlast the two-minute lease; the rival ticks during the second batch's first send.
    sender = SlowSender(clock, timedelta(minutes=1, seconds=30), probe_at=3, other=other)
    try:
        report = await dispatcher.tick(NOW, sender)
    finally:
        await engine.dispose()
    assert report.sent == 4
    assert sender.other_sent == []
    assert sorted(sender.sent) == [1, 2, 3, 4]
