"""Raw update builders the strict fake does not offer itself: contacts, channel posts, odd locations ...

Each builder goes through ``FakeBotAPI``'s own bookkeeping (chat and message stores, the update queue)
so the bot can reply to what it receives exactly as in production, and returns the Update dict to feed
to ``BotHarness.feed``. Kept apart from ``bot/devtools/fake_telegram.py`` so that module stays the single,
reviewed model of Telegram; the private helpers used here are that module's own.
"""

from __future__ import annotations

import copy
from typing import Any

from tests.fakes.telegram import FakeBotAPI


def user_message(
    api: FakeBotAPI,
    user_id: int,
    content: dict[str, Any],
    *,
    chat_id: int | None = None,
    chat_type: str = "private",
) -> dict[str, Any]:
    """Queue a message with arbitrary ``content`` (e.g. ``{"contact": {...}}``) from ``user_id``."""
    return api._user_message(  # the fake's own builder, reused rather than copied
        user_id,
        content=content,
        chat_id=chat_id,
        chat_type=chat_type,
        first_name="Test",
        language_code="en",
        reply_to_message_id=None,
    )


def contact(api: FakeBotAPI, user_id: int, *, phone: str = "+441234567890") -> dict[str, Any]:
    """Queue a shared contact card."""
    card = {"phone_number": phone, "first_name": "Someone", "user_id": user_id}
    return user_message(api, user_id, {"contact": card})


def location(api: FakeBotAPI, user_id: int, latitude: float, longitude: float) -> dict[str, Any]:
    """Queue a location, including coordinates Telegram itself would never send (NaN, 1e300, -500)."""
    return user_message(api, user_id, {"location": {"latitude": latitude, "longitude": longitude}})


def voice(api: FakeBotAPI, user_id: int) -> dict[str, Any]:
    """Queue a voice note (no file behind it: the bot never downloads voice notes)."""
    note = {"file_id": "AwACAgIAAxkBAAIvoice", "file_unique_id": "AgADvoice", "duration": 3}
    return user_message(api, user_id, {"voice": note})


def group_text(api: FakeBotAPI, user_id: int, chat_id: int, text: str) -> dict[str, Any]:
    """Queue a text message (or command) from ``user_id`` in the group ``chat_id`` (negative)."""
    return api.user_sends(user_id, text, chat_id=chat_id, chat_type="supergroup")


def channel_post(api: FakeBotAPI, chat_id: int, text: str, *, edited: bool = False) -> dict[str, Any]:
    """Queue a channel post (no ``from``: channels post as themselves) or an edit of one."""
    with api._cond:
        owner = api._users.get(chat_id) or {"id": 1, "is_bot": False, "first_name": "Owner"}
        chat = api._chat(chat_id, "channel", owner)
        message_id = chat.next_message_id
        chat.next_message_id += 1
        payload: dict[str, Any] = {
            "message_id": message_id,
            "sender_chat": dict(chat.info),
            "chat": dict(chat.info),
            "date": api._now(),
            "text": text,
        }
        if edited:
            payload["edit_date"] = payload["date"]
        return api._queue("edited_channel_post" if edited else "channel_post", copy.deepcopy(payload))


def callback(api: FakeBotAPI, user_id: int, chat_id: int, message_id: int, data: str) -> dict[str, Any]:
    """Press a button with any ``data``: forged, stale, over 64 bytes or not even valid UTF-8."""
    return api.user_presses(user_id, message_id, data, chat_id=chat_id, require_button=False)
