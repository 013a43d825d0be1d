"""Moved to ``bot.devtools.fake_telegram`` (the console ships it); this name stays for the tests."""

from __future__ import annotations

from bot.devtools.fake_telegram import (
    DELETE_WINDOW_SECONDS,
    MAX_CALLBACK_ANSWER_LENGTH,
    MAX_CALLBACK_DATA_BYTES,
    MAX_CAPTION_LENGTH,
    MAX_COMMAND_DESCRIPTION,
    MAX_COMMANDS,
    MAX_TEXT_LENGTH,
    MAX_UPDATES_LIMIT,
    MAX_UPLOAD_BYTES,
    ApiCall,
    BotMessage,
    FakeBotAPI,
    FakeRequest,
    FakeTelegramServer,
    UploadedFile,
    make_png,
)

__all__ = [
    "DELETE_WINDOW_SECONDS",
    "MAX_CALLBACK_ANSWER_LENGTH",
    "MAX_CALLBACK_DATA_BYTES",
    "MAX_CAPTION_LENGTH",
    "MAX_COMMANDS",
    "MAX_COMMAND_DESCRIPTION",
    "MAX_TEXT_LENGTH",
    "MAX_UPDATES_LIMIT",
    "MAX_UPLOAD_BYTES",
    "ApiCall",
    "BotMessage",
    "FakeBotAPI",
    "FakeRequest",
    "FakeTelegramServer",
    "UploadedFile",
    "make_png",
]
