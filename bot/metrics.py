"""Prometheus metrics: one registry per Application, so tests and workers can build many side by side."""

from __future__ import annotations

from typing import Final

from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Histogram, generate_latest

# The kinds of Telegram API errors worth telling apart on a dashboard (see ``bot.instrumentation``).
ERROR_KINDS: Final = ("BadRequest", "Forbidden", "RetryAfter", "TimedOut", "NetworkError", "other")
REMINDER_OUTCOMES: Final = ("sent", "late", "follow_up", "missed", "failed", "blocked")
# Dispatch lag from a few seconds (a tick) up to hours (an outage being caught up).
LAG_BUCKETS: Final = (1.0, 5.0, 15.0, 30.0, 60.0, 120.0, 300.0, 600.0, 1800.0, 3600.0, 4 * 3600.0)


class Metrics:
    """The bot's counters and histograms, with small methods for the code that observes them."""

    content_type: Final = CONTENT_TYPE_LATEST

    def __init__(self, registry: CollectorRegistry | None = None) -> None:
        self.registry = registry if registry is not None else CollectorRegistry(auto_describe=True)
        self._updates = Counter(
            "clotcare_updates_total",
            "Updates received from Telegram, by update type.",
            ["type"],
            registry=self.registry,
        )
        self._sent = Counter(
            "clotcare_messages_sent_total",
            "Bot API calls that sent or edited a message and succeeded, by method.",
            ["method"],
            registry=self.registry,
        )
        self._errors = Counter(
            "clotcare_telegram_errors_total",
            "Bot API calls that failed, by error kind.",
            ["kind"],
            registry=self.registry,
        )
        self._reminders = Counter(
            "clotcare_reminders_total",
            "Reminder deliveries by outcome: sent (on time), late, follow_up, missed, failed, blocked.",
            ["outcome"],
            registry=self.registry,
        )
        self._lag = Histogram(
            "clotcare_reminder_dispatch_lag_seconds",
            "Seconds between a reminder falling due and its message being sent.",
            buckets=LAG_BUCKETS,
            registry=self.registry,
        )
        self._given_up = Counter(
            "clotcare_replies_given_up_total",
            "Replies to users that could not be sent before their retry deadline, by class.",
            ["reply_class"],
            registry=self.registry,
        )
        for reply_class in ("reply", "safety"):
            self._given_up.labels(reply_class=reply_class)
        # Pre-create the label sets so dashboards see zeros instead of missing series.
        for kind in ERROR_KINDS:
            self._errors.labels(kind=kind)
        for outcome in REMINDER_OUTCOMES:
            self._reminders.labels(outcome=outcome)

    def update_received(self, update_type: str) -> None:
        """Count one incoming update of ``update_type`` (message, callback_query, ...)."""
        self._updates.labels(type=update_type).inc()

    def message_sent(self, method: str) -> None:
        """Count one successful sendMessage / editMessageText / sendDocument ... call."""
        self._sent.labels(method=method).inc()

    def telegram_error(self, kind: str) -> None:
        """Count one failed Bot API call; unknown kinds are counted as "other"."""
        self._errors.labels(kind=kind if kind in ERROR_KINDS else "other").inc()

    def reply_given_up(self, reply_class: str) -> None:
        """Count one reply to a user finally given up after retrying until its deadline."""
        self._given_up.labels(reply_class=reply_class).inc()

    def reminder_sent(self, *, late: bool, lag_seconds: float) -> None:
        """Count a reminder delivered (late or on time) and record how long after its due time."""
        self._reminders.labels(outcome="late" if late else "sent").inc()
        self._lag.observe(max(0.0, lag_seconds))

    def reminder_follow_up_sent(self) -> None:
        """Count one follow-up message for an unanswered reminder."""
        self._reminders.labels(outcome="follow_up").inc()

    def reminder_missed(self, count: int = 1) -> None:
        """Count reminders marked missed (with or without a message)."""
        self._reminders.labels(outcome="missed").inc(count)

    def reminder_failed(self, count: int = 1) -> None:
        """Count reminder deliveries that failed (to be retried or given up)."""
        self._reminders.labels(outcome="failed").inc(count)

    def reminder_blocked(self, count: int = 1) -> None:
        """Count reminders not delivered because the user blocked the bot."""
        self._reminders.labels(outcome="blocked").inc(count)

    def render(self) -> bytes:
        """Return the registry in the Prometheus text exposition format."""
        return generate_latest(self.registry)
