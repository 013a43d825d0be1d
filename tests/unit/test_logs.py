"""Logging set-up: the token is redacted and Telegram's verbose debug logs never switch on."""

from __future__ import annotations

import asyncio
import logging
import sys
import threading
from collections.abc import Iterator
from urllib.parse import quote

import pytest

from bot.logs import RedactingFilter, configure_logging, install_excepthooks


@pytest.fixture(autouse=True)
def _restore_logging() -> Iterator[None]:
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    telegram_level = logging.getLogger("telegram").level
    hook, thread_hook = sys.excepthook, threading.excepthook
    yield
    sys.excepthook, threading.excepthook = hook, thread_hook
    root.handlers[:] = handlers
    root.setLevel(level)
    logging.getLogger("telegram").setLevel(telegram_level)


def test_token_is_redacted_from_messages_and_arguments() -> None:
    record = logging.LogRecord(
        "x", logging.INFO, __file__, 1, "url %s/bot123:SECRET/getMe", ("https://h",), None
    )
    RedactingFilter(["123:SECRET"]).filter(record)
    assert record.getMessage() == "url https://h/bot[REDACTED]/getMe"


def test_debug_level_keeps_telegram_library_logs_at_info() -> None:
    configure_logging("DEBUG", ["123:SECRET"])
    assert logging.getLogger().level == logging.DEBUG
    # PTB logs every update and reply (message text, symptoms) at DEBUG.
    assert logging.getLogger("telegram").getEffectiveLevel() == logging.INFO
    assert logging.getLogger("httpx").getEffectiveLevel() == logging.WARNING
    configure_logging("WARNING")
    assert logging.getLogger("telegram").getEffectiveLevel() == logging.WARNING


def _raise_with_token() -> None:
    raise RuntimeError(f"The token `{TOKEN}` was rejected by the server (url .../bot{quote(TOKEN)}/getMe)")


TOKEN = "123456:AAE-secret_token"


def _formatted(record: logging.LogRecord) -> str:
    return logging.Formatter("%(levelname)s %(message)s").format(record)


def test_tracebacks_in_log_records_are_redacted_too() -> None:
    try:
        _raise_with_token()
    except RuntimeError:
        record = logging.LogRecord("x", logging.ERROR, __file__, 1, "failed", None, sys.exc_info())
    record.stack_info = f"Stack (most recent call last):\n  token {TOKEN}"
    RedactingFilter([TOKEN]).filter(record)
    text = _formatted(record)
    assert "RuntimeError: The token `[REDACTED]` was rejected" in text
    assert "/bot[REDACTED]/getMe" in text  # the percent-encoded form inside URLs, too
    assert "secret_token" not in text
    assert "Traceback (most recent call last)" in text  # the traceback itself is kept


def test_uncaught_exceptions_are_printed_redacted(
    capsys: pytest.CaptureFixture[str],
) -> None:
    configure_logging("INFO", [TOKEN])
    try:
        _raise_with_token()
    except RuntimeError as exc:
        sys.excepthook(type(exc), exc, exc.__traceback__)
    err = capsys.readouterr().err
    assert "RuntimeError: The token `[REDACTED]`" in err
    assert "secret_token" not in err


def test_exceptions_in_threads_are_printed_redacted(
    capsys: pytest.CaptureFixture[str],
) -> None:
    install_excepthooks([TOKEN])
    thread = threading.Thread(target=_raise_with_token, name="worker-1")
    thread.start()
    thread.join()
    err = capsys.readouterr().err
    assert "Exception in thread worker-1" in err
    assert "[REDACTED]" in err
    assert "secret_token" not in err


def test_asyncio_unhandled_errors_go_through_the_redacting_filter(caplog: pytest.LogCaptureFixture) -> None:
    # asyncio's default exception handler logs to the "asyncio" logger with exc_info; the root handler's
    # filter cleans it. caplog's handler sits on the root logger too, so give it the same filter.
    caplog.handler.addFilter(RedactingFilter([TOKEN]))
    loop = asyncio.new_event_loop()
    try:
        try:
            _raise_with_token()
        except RuntimeError as exc:
            loop.call_exception_handler({"message": "Task exception was never retrieved", "exception": exc})
    finally:
        loop.close()
    assert "Task exception was never retrieved" in caplog.text
    assert "[REDACTED]" in caplog.text
    assert "secret_token" not in caplog.text
