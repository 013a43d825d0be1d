"""Per-user flood control: a token bucket in front of every other handler (group -1).

Each user may send a burst of ``BURST`` updates, then about ``RATE_PER_SECOND`` a second. Updates over
the limit are dropped (``ApplicationHandlerStop``) with one polite notice per ``NOTICE_INTERVAL``, so a
flood costs neither the database nor Telegram's rate limits, and other users are not slowed. Safety
comes first: text that reports warning signs, and the safety commands, are never dropped.
The clock is the injected one, so tests pin time with ``FixedClock``.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Final

from telegram import Update
from telegram.constants import ParseMode
from telegram.error import TelegramError
from telegram.ext import ApplicationHandlerStop, TypeHandler

from bot.domain.triage import Severity, detect_red_flags
from bot.handlers.common import ClotApplication, ClotContext
from bot.views import throttle as views

log = logging.getLogger(__name__)

BURST: Final = 20
RATE_PER_SECOND: Final = 1.0
NOTICE_INTERVAL: Final = timedelta(seconds=60)
# Taps on the symptom check and on "Is this happening to you now?" are never dropped.
SAFETY_BUTTON_PREFIXES: Final = ("chk:", "sn:")
THROTTLE_KEY: Final = "throttle"
# Never held back: what someone in trouble types first.
SAFETY_COMMANDS: Final = frozenset({"emergency", "sos", "signs"})
# Forget users whose bucket is full again once this many are tracked (memory stays bounded).
_PRUNE_AT: Final = 10_000


@dataclass(slots=True)
class _Bucket:
    tokens: float
    updated: datetime
    noticed_at: datetime | None = None


class TokenBuckets:
    """One token bucket per user: ``burst`` tokens, refilled at ``rate`` per second."""

    def __init__(self, burst: int = BURST, rate: float = RATE_PER_SECOND) -> None:
        self.burst = burst
        self.rate = rate
        self._buckets: dict[int, _Bucket] = {}

    def _refill(self, bucket: _Bucket, now: datetime) -> None:
        elapsed = max((now - bucket.updated).total_seconds(), 0.0)
        bucket.tokens = min(float(self.burst), bucket.tokens + elapsed * self.rate)
        bucket.updated = max(bucket.updated, now)

    def take(self, user_id: int, now: datetime) -> bool:
        """Spend one token for ``user_id``; return False when none is left."""
        bucket = self._buckets.get(user_id)
        if bucket is None:
            if len(self._buckets) >= _PRUNE_AT:
                self._prune(now)
            bucket = self._buckets[user_id] = _Bucket(float(self.burst), now)
        self._refill(bucket, now)
        if bucket.tokens >= 1.0:
            bucket.tokens -= 1.0
            return True
        return False

    def should_notice(self, user_id: int, now: datetime) -> bool:
        """Tell whether to send the "slow down" notice now (at most once per NOTICE_INTERVAL)."""
        bucket = self._buckets[user_id]
        if bucket.noticed_at is not None and now - bucket.noticed_at < NOTICE_INTERVAL:
            return False
        bucket.noticed_at = now
        return True

    def _prune(self, now: datetime) -> None:
        for user_id, bucket in list(self._buckets.items()):
            self._refill(bucket, now)
            if bucket.tokens >= self.burst:
                del self._buckets[user_id]


def _buckets(context: ClotContext) -> TokenBuckets:
    found = context.bot_data.get(THROTTLE_KEY)
    if not isinstance(found, TokenBuckets):
        found = context.bot_data[THROTTLE_KEY] = TokenBuckets()
    return found


def is_safety_update(update: Update) -> bool:
    """Tell whether the update is a safety command, a safety button, or text that may report warning signs."""
    query = update.callback_query
    if query is not None:
        return (query.data or "").startswith(SAFETY_BUTTON_PREFIXES)
    message = update.effective_message
    text = (message.text or message.caption) if message is not None else None
    if not text:
        return False
    if text.startswith("/"):
        command = text[1:].split(maxsplit=1)[0].split("@", 1)[0].lower() if len(text) > 1 else ""
        if command in SAFETY_COMMANDS:
            return True
    result = detect_red_flags(text)
    return result.severity is not Severity.INFO or result.uncertain


async def throttle(update: Update, context: ClotContext) -> None:
    """Let the update through, or drop it (with one notice per interval) when its user floods."""
    user = update.effective_user
    if user is None or not (update.message or update.edited_message or update.callback_query):
        return
    buckets = _buckets(context)
    now = context.services.clock.now()
    if buckets.take(user.id, now):
        return
    if is_safety_update(update):
        return  # emergencies are never held back, however fast they come
    notice = buckets.should_notice(user.id, now)
    if notice:
        log.info("throttled: user=%s update=%s", user.id, update.update_id)
        try:
            if update.callback_query is not None:
                await update.callback_query.answer(views.answer_slow_down())
            elif update.effective_message is not None:
                await update.effective_message.reply_text(views.render_slow_down(), parse_mode=ParseMode.HTML)
        except TelegramError as exc:
            log.info("throttled: notice not sent user=%s: %s", user.id, type(exc).__name__)
    raise ApplicationHandlerStop


def register(app: ClotApplication) -> set[str]:
    """Put the throttle in front of every other handler (group -1); it adds no commands."""
    app.add_handler(TypeHandler(Update, throttle), group=-1)
    app.bot_data[THROTTLE_KEY] = TokenBuckets()
    return set()
