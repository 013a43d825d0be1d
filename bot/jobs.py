"""Periodic jobs: the reminder tick on PTB's JobQueue, and the Telegram side of reminder delivery.

The JobQueue runs exactly one job for reminders, the tick; it never holds one job per reminder (an
in-memory APScheduler job that starts more than a second late is silently skipped). The first tick
runs at start-up, which is what delivers or summarises reminders that fell due while the bot was down.
"""

from __future__ import annotations

import logging
import warnings
from datetime import UTC, datetime, timedelta
from typing import Final

from telegram import Bot, InlineKeyboardMarkup
from telegram.constants import ParseMode
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter, TelegramError
from telegram.warnings import PTBDeprecationWarning

from bot.handlers.common import SERVICES_KEY, ClotApplication, ClotContext
from bot.services.container import Services
from bot.services.dispatcher import MissedSummary, ReminderMessage, SendOutcome, SendResult, TickReport
from bot.services.errors import StorageUnavailable
from bot.views import reminders as views

log = logging.getLogger(__name__)

TICK_JOB_NAME: Final = "reminders-tick"


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


async def reminder_tick(context: ClotContext) -> None:
    """Job callback: run one tick; a database outage waits for the next one."""
    try:
        await context.services.dispatcher.tick(context.services.clock.now(), TelegramSender(context.bot))
    except StorageUnavailable as exc:
        log.warning("reminder tick skipped: storage unavailable (%s)", exc)


def register_jobs(app: ClotApplication, *, interval_seconds: float = 20.0) -> None:
    """Schedule the reminder tick every ``interval_seconds``, first at start-up."""
    job_queue = app.job_queue
    if job_queue is None:
        log.warning("no JobQueue (install python-telegram-bot[job-queue]); reminders will not be sent")
        return
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
