"""Moved to ``bot.devtools.fake_telegram`` (the console ships it); this name stays for the tests."""

from __future__ import annotations

from bot.devtools.fake_telegram import (
    ApiCall,
    BotMessage,
    FakeBotAPI,
    FakeRequest,
    FakeTelegramServer,
    UploadedFile,
    make_png,
)

__all__ = [
    "ApiCall",
    "BotMessage",
    "FakeBotAPI",
    "FakeRequest",
    "FakeTelegramServer",
    "UploadedFile",
    "make_png",
]
