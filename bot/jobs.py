"""Reminder jobs on PTB's JobQueue, and the Telegram side of reminder delivery.

The JobQueue never holds one job per reminder (an in-memory APScheduler job that starts more than a
second late is silently skipped). It holds the periodic tick (every ``REMINDER_TICK_SECONDS``, a safety
net; the first at start-up, which delivers or summarises what fell due while the bot was down) and at
most one **wake-up**: after every tick, and whenever reminders are added, the dispatcher asks the
database for the next instant anything is due and a one-off run of the tick is set for that instant.
So a reminder goes out at its due time, not at the next tick. Ticks never overlap within a process: a
wake-up arriving during a tick makes that tick run once more instead.
"""

from __future__ import annotations

import asyncio
import logging
import warnings
from datetime import UTC, datetime, timedelta
from typing import Final

from telegram import Bot, InlineKeyboardMarkup
from telegram.constants import ParseMode
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter, TelegramError
from telegram.warnings import PTBDeprecationWarning

from bot.handlers.common import SERVICES_KEY, ClotApplication, ClotContext
from bot.priority import replying_as
from bot.services.container import Services
from bot.services.dispatcher import MissedSummary, ReminderMessage, SendOutcome, SendResult, TickReport
from bot.services.errors import StorageUnavailable
from bot.views import reminders as views

log = logging.getLogger(__name__)

TICK_JOB_NAME: Final = "reminders-tick"
WAKE_JOB_NAME: Final = "reminders-wake"
SCHEDULER_KEY: Final = "reminder_scheduler"


def _retry_after(exc: RetryAfter) -> timedelta:
    with warnings.catch_warnings():
        # PTB 22 warns that retry_after will become a timedelta; accept both forms.
        warnings.simplefilter("ignore", PTBDeprecationWarning)
        value = exc.retry_after
    return value if isinstance(value, timedelta) else timedelta(seconds=float(value))


class TelegramSender:
    """Send reminder messages with the bot; map Telegram errors to what the dispatcher should do."""

    def __init__(self, bot: Bot) -> None:
        self._bot = bot

    async def send_reminder(self, message: ReminderMessage) -> SendResult:
        """Send one reminder, follow-up, snoozed resend or missed notice, with its buttons."""
        return await self._send(
            message.chat_id, message.user_id, views.render_reminder(message), views.reminder_keyboard(message)
        )

    async def send_missed_summary(self, summary: MissedSummary) -> SendResult:
        """Send the one summary of reminders missed while they could not be sent."""
        return await self._send(summary.chat_id, summary.user_id, views.render_missed_summary(summary), None)

    async def _send(
        self, chat_id: int, user_id: int, text: str, markup: InlineKeyboardMarkup | None
    ) -> SendResult:
        try:
            await self._bot.send_message(chat_id, text, parse_mode=ParseMode.HTML, reply_markup=markup)
        except Forbidden:
            return SendResult(SendOutcome.BLOCKED)
        except RetryAfter as exc:
            return SendResult(SendOutcome.RETRY, _retry_after(exc))
        except BadRequest as exc:
            # BadRequest is a NetworkError subclass in PTB, but retrying the same message cannot help.
            log.warning("reminder refused by Telegram: user=%s error=%s", user_id, type(exc).__name__)
            return SendResult(SendOutcome.FAILED)
        except NetworkError as exc:  # includes TimedOut
            log.info("reminder send will be retried: user=%s error=%s", user_id, type(exc).__name__)
            return SendResult(SendOutcome.RETRY)
        except TelegramError as exc:
            log.warning("reminder send failed: user=%s error=%s", user_id, type(exc).__name__)
            return SendResult(SendOutcome.FAILED)
        return SendResult(SendOutcome.SENT)


async def run_tick(app: ClotApplication) -> TickReport:
    """Run one reminder tick now (the job body; tests and the console call it directly)."""
    services: Services = app.bot_data[SERVICES_KEY]
    return await services.dispatcher.tick(services.clock.now(), TelegramSender(app.bot))


class TickScheduler:
    """Run the tick one at a time, and set a one-off wake-up for the next due reminder."""

    def __init__(self, app: ClotApplication, interval_seconds: float) -> None:
        self._app = app
        self._interval = interval_seconds
        self._lock = asyncio.Lock()
        self._again = False

    async def tick(self, context: ClotContext) -> None:
        """Job callback (periodic and wake-up): run the tick, then plan the next wake-up."""
        # A wake-up planned from inside an update's task inherits its context (APScheduler's timers
        # capture it); reminder sends must not be retried like a reply to that update.
        with replying_as(None):
            await self._tick(context)

    async def _tick(self, context: ClotContext) -> None:
        if self._lock.locked():
            self._again = True  # the running tick goes round once more
            return
        async with self._lock:
            while True:
                self._again = False
                try:
                    await context.services.dispatcher.tick(
                        context.services.clock.now(), TelegramSender(context.bot)
                    )
                except StorageUnavailable as exc:
                    log.warning("reminder tick skipped: storage unavailable (%s)", exc)
                    return  # the periodic tick tries again
                if not self._again or context.services.dispatcher.stopping:
                    break
        await self.plan_wake()

    async def plan_wake(self) -> None:
        """Set the one wake-up for the next due instant, if it comes before the next periodic tick."""
        services: Services = self._app.bot_data[SERVICES_KEY]
        job_queue = self._app.job_queue
        if job_queue is None or services.dispatcher.stopping:
            return
        try:
            due = await services.dispatcher.next_due()
        except StorageUnavailable:
            return
        if due is None:
            return
        delay = max(0.0, (due - services.clock.now()).total_seconds())
        if delay >= self._interval:
            return  # the periodic tick comes first; it plans again
        for job in job_queue.get_jobs_by_name(WAKE_JOB_NAME):
            job.schedule_removal()
        job_queue.run_once(self.tick, delay, name=WAKE_JOB_NAME, job_kwargs={"misfire_grace_time": None})

    def poke(self) -> None:
        """Reminders were added or changed: plan the wake-up again (soon, off the caller's path)."""
        job_queue = self._app.job_queue
        if job_queue is None or not self._app.running or self._lock.locked():
            return  # a running tick plans the wake-up when it ends
        job_queue.run_once(self._replan, 0.0, job_kwargs={"misfire_grace_time": None})

    async def _replan(self, _context: ClotContext) -> None:
        await self.plan_wake()


async def reminder_tick(context: ClotContext) -> None:
    """Job callback: run one tick through the app's scheduler (or directly without one)."""
    scheduler = context.bot_data.get(SCHEDULER_KEY)
    if isinstance(scheduler, TickScheduler):
        await scheduler.tick(context)
        return
    try:
        with replying_as(None):
            await context.services.dispatcher.tick(context.services.clock.now(), TelegramSender(context.bot))
    except StorageUnavailable as exc:
        log.warning("reminder tick skipped: storage unavailable (%s)", exc)


def register_jobs(app: ClotApplication, *, interval_seconds: float = 20.0) -> TickScheduler | None:
    """Schedule the reminder tick every ``interval_seconds`` (first at start-up) and its wake-ups."""
    job_queue = app.job_queue
    if job_queue is None:
        log.warning("no JobQueue (install python-telegram-bot[job-queue]); reminders will not be sent")
        return None
    scheduler = app.bot_data[SCHEDULER_KEY] = TickScheduler(app, interval_seconds)
    job_queue.run_repeating(
        reminder_tick,
        interval=interval_seconds,
        first=0.0,
        name=TICK_JOB_NAME,
        # One tick at a time; a late tick still runs (the database remembers what is due) and
        # missed runs collapse into one. An explicit next_run_time makes the first tick run when the
        # JobQueue starts: with first=0 alone APScheduler computes it from the (earlier) build time
        # and the first tick came a whole interval after start-up. Scheduler time, not the app clock.
        job_kwargs={
            "max_instances": 1,
            "coalesce": True,
            "misfire_grace_time": None,
            "next_run_time": datetime.now(UTC),
        },
    )
    return scheduler
