"""Logging set-up: ids and outcomes only; the token can never reach a log line or a traceback."""

from __future__ import annotations

import logging
import sys
import threading
import traceback
from collections.abc import Iterable
from types import TracebackType
from urllib.parse import quote

REDACTED = "[REDACTED]"


class Redactor:
    """Replace known secrets in text, also in the percent-encoded form they take inside URLs."""

    def __init__(self, secrets: Iterable[str]) -> None:
        variants: set[str] = set()
        for secret in secrets:
            if secret:
                variants |= {secret, quote(secret, safe=""), quote(secret)}
        # Longest first, so a secret that contains another is replaced whole.
        self._secrets = sorted(variants, key=len, reverse=True)

    def __bool__(self) -> bool:
        return bool(self._secrets)

    def __call__(self, text: str) -> str:
        """Return ``text`` with every secret replaced by [REDACTED]."""
        for secret in self._secrets:
            text = text.replace(secret, REDACTED)
        return text


class RedactingFilter(logging.Filter):
    """Replace secrets (the bot token) wherever they appear in a record, as a last line of defence.

    Message, arguments, the formatted traceback of ``exc_info`` and ``stack_info`` are all cleaned:
    PTB's ``InvalidToken`` quotes the token, and httpx errors can carry the request URL.
    """

    def __init__(self, secrets: Iterable[str]) -> None:
        super().__init__()
        self._redact = Redactor(secrets)

    def filter(self, record: logging.LogRecord) -> bool:
        """Redact the record in place; never drop it."""
        if not self._redact:
            return True
        message = record.getMessage()
        redacted = self._redact(message)
        if redacted != message:
            record.msg, record.args = redacted, None
        if record.exc_info and record.exc_info[0] is not None and not record.exc_text:
            # Formatters reuse exc_text when it is set, so the traceback is rendered once, cleaned.
            record.exc_text = "".join(traceback.format_exception(*record.exc_info)).rstrip("\n")
        if record.exc_text:
            record.exc_text = self._redact(record.exc_text)
        if record.stack_info:
            record.stack_info = self._redact(record.stack_info)
        return True


def install_excepthooks(secrets: Iterable[str]) -> None:
    """Print uncaught exceptions (main thread and other threads) with secrets redacted.

    Python's default hooks would print the traceback verbatim, token included, after logging had
    carefully cleaned every log line. asyncio's "exception was never retrieved" reports go through
    the ``asyncio`` logger, so the RedactingFilter covers them.
    """
    redact = Redactor(secrets)

    def _print(exc_type: type[BaseException], exc: BaseException, tb: TracebackType | None) -> None:
        text = "".join(traceback.format_exception(exc_type, exc, tb))
        sys.stderr.write(redact(text))
        sys.stderr.flush()

    def _excepthook(exc_type: type[BaseException], exc: BaseException, tb: TracebackType | None) -> None:
        _print(exc_type, exc, tb)

    def _thread_hook(args: threading.ExceptHookArgs) -> None:
        if args.exc_type is SystemExit or args.exc_value is None:
            return
        name = args.thread.name if args.thread is not None else "?"
        sys.stderr.write(f"Exception in thread {name}:\n")
        _print(args.exc_type, args.exc_value, args.exc_traceback)

    sys.excepthook = _excepthook
    threading.excepthook = _thread_hook


def configure_logging(level: str, secrets: Iterable[str] = ()) -> None:
    """Configure the root logger once for the process, and redact secrets from uncaught exceptions."""
    secrets = list(secrets)
    handler = logging.StreamHandler()
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    handler.addFilter(RedactingFilter(secrets))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    if secrets:
        install_excepthooks(secrets)
    # httpx logs every request URL at INFO, and Telegram URLs contain the bot token.
    for noisy in ("httpx", "httpcore", "apscheduler", "aiosqlite", "asyncio"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    # At DEBUG, python-telegram-bot logs whole updates and replies: message text and symptoms.
    # They never go to the logs, whatever LOG_LEVEL says (SAFETY.md rule 9).
    logging.getLogger("telegram").setLevel(max(logging.INFO, logging.getLevelName(level)))
