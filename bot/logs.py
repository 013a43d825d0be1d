"""Logging set-up: ids and outcomes only; the token can never reach a log line."""

from __future__ import annotations

import logging
from collections.abc import Iterable


class RedactingFilter(logging.Filter):
    """Replace secrets (the bot token) wherever they appear in a record, as a last line of defence."""

    def __init__(self, secrets: Iterable[str]) -> None:
        super().__init__()
        self._secrets = [s for s in secrets if s]

    def filter(self, record: logging.LogRecord) -> bool:
        """Redact the record in place; never drop it."""
        if not self._secrets:
            return True
        message = record.getMessage()
        redacted = message
        for secret in self._secrets:
            redacted = redacted.replace(secret, "[REDACTED]")
        if redacted != message:
            record.msg, record.args = redacted, None
        return True


def configure_logging(level: str, secrets: Iterable[str] = ()) -> None:
    """Configure the root logger once for the process."""
    handler = logging.StreamHandler()
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    handler.addFilter(RedactingFilter(secrets))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    # httpx logs every request URL at INFO, and Telegram URLs contain the bot token.
    for noisy in ("httpx", "httpcore", "apscheduler", "aiosqlite", "asyncio"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    # At DEBUG, python-telegram-bot logs whole updates and replies: message text and symptoms.
    # They never go to the logs, whatever LOG_LEVEL says (SAFETY.md rule 9).
    logging.getLogger("telegram").setLevel(max(logging.INFO, logging.getLevelName(level)))
