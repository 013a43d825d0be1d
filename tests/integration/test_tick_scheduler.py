"""The tick scheduler: wake-ups at the next due instant, and ticks that never run as a user's reply."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

from bot.config import Settings
from bot.domain.clock import FixedClock
from bot.domain.commands import AddMedRequest
from bot.handlers.common import ClotContext
from bot.jobs import SCHEDULER_KEY, WAKE_JOB_NAME, TickScheduler, reminder_tick
from bot.priority import ReplyClass, current_reply_class, replying_as
from bot.services.dispatcher import TickReport
from tests.fakes.harness import running_bot

T0 = datetime(2026, 11, 27, 7, 59, 50, tzinfo=UTC)


async def test_a_tick_started_from_inside_an_update_does_not_run_as_its_reply(settings: Settings) -> None:
    async with running_bot(settings, FixedClock(T0)) as bot:
        seen: list[ReplyClass | None] = []
        dispatcher = bot.app.bot_data["services"].dispatcher

        async def tick(now: datetime, sender: object) -> TickReport:
            seen.append(current_reply_class())
            return TickReport()

        dispatcher.tick = tick
        # APScheduler timers capture the context of whoever scheduled them: here, a reply.
        with replying_as(ReplyClass.SAFETY):
            await reminder_tick(ClotContext(bot.app))
        assert seen == [None]


async def test_a_wake_up_is_set_for_the_next_due_reminder(settings: Settings) -> None:
    clock = FixedClock(T0)
    async with running_bot(settings, clock) as bot:
        scheduler = bot.app.bot_data[SCHEDULER_KEY]
        assert isinstance(scheduler, TickScheduler)
        services = bot.app.bot_data["services"]
        await services.users.set_timezone(1, 1, "UTC")
        request = AddMedRequest(name="apixaban", dose=None, times=(time(8),))
        await services.reminders.add_medication(1, request)
        before = datetime.now(UTC)
        await scheduler.plan_wake()
        after = datetime.now(UTC)
        assert bot.app.job_queue is not None
        (wake,) = bot.app.job_queue.get_jobs_by_name(WAKE_JOB_NAME)
        # Due at 08:00:00, ten seconds after the (fixed) now: the wake-up is set for then, not the tick.
        run_date = wake.job.trigger.run_date
        assert before + timedelta(seconds=10) <= run_date <= after + timedelta(seconds=10)
