"""Logging set-up: the token is redacted and Telegram's verbose debug logs never switch on."""

from __future__ import annotations

import logging
from collections.abc import Iterator

import pytest

from bot.logs import RedactingFilter, configure_logging


@pytest.fixture(autouse=True)
def _restore_logging() -> Iterator[None]:
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    telegram_level = logging.getLogger("telegram").level
    yield
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
