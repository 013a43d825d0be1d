"""A strict, in-memory fake of the Telegram Bot API for tests and the offline console.

Three layers, one state:

* ``FakeBotAPI`` is the core: synchronous and thread-safe. ``handle(method, params)`` answers exactly
  like the Bot API (status code plus JSON body, Telegram's error wording), and the ``user_*`` methods
  play the human side by queueing realistic updates.
* ``FakeRequest`` plugs the core into ``telegram.Bot(..., request=FakeRequest(api))`` in-process.
* ``FakeTelegramServer`` serves the same core over HTTP, so a real ``python -m bot run`` subprocess can
  be pointed at it with ``TELEGRAM_API_BASE_URL``.

Strictness is the point: anything real Telegram refuses (bad HTML, 65-byte callback data, editing a
message into itself, writing to a user who never started the bot ...) fails here too, with the same
description, so bugs surface in tests instead of in production logs. Error descriptions were checked
against tdlib's source and a live Bot API test suite; where the fake is deliberately stricter than
Telegram, the description says so.
"""

from __future__ import annotations

import asyncio
import copy
import json
import logging
import mimetypes
import re
import struct
import threading
import time
import zlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any, Final, Self
from urllib.parse import parse_qsl, unquote, urlsplit

from telegram.request import BaseRequest, RequestData
from typing_extensions import override

from bot.devtools.telegram_html import HtmlParseError, check_http_url, parse_html, trim_formatted, utf16_len

__all__ = [
    "ApiCall",
    "BotMessage",
    "FakeBotAPI",
    "FakeRequest",
    "FakeTelegramServer",
    "UploadedFile",
    "make_png",
]

_LOG = logging.getLogger(__name__)

MAX_TEXT_LENGTH: Final = 4096
MAX_CAPTION_LENGTH: Final = 1024
MAX_CALLBACK_DATA_BYTES: Final = 64
MAX_CALLBACK_ANSWER_LENGTH: Final = 200
MAX_COMMANDS: Final = 100
MAX_COMMAND_DESCRIPTION: Final = 256
MAX_UPLOAD_BYTES: Final = 50 * 1024 * 1024
MAX_UPDATES_LIMIT: Final = 100
DELETE_WINDOW_SECONDS: Final = 48 * 3600
_POLL_STEP_SECONDS: Final = 0.01

_METHODS: Final = (
    "getMe",
    "getUpdates",
    "setMyCommands",
    "getMyCommands",
    "deleteMyCommands",
    "deleteWebhook",
    "setWebhook",
    "getWebhookInfo",
    "sendMessage",
    "editMessageText",
    "editMessageReplyMarkup",
    "deleteMessage",
    "answerCallbackQuery",
    "sendChatAction",
    "sendDocument",
    "sendPhoto",
    "getFile",
    "close",
    "logOut",
    "setChatMenuButton",
    "getChatMenuButton",
)
# The Bot API treats method names case-insensitively.
_CANONICAL: Final = {name.lower(): name for name in _METHODS}

_UPDATE_TYPES: Final = frozenset(
    {
        "message",
        "edited_message",
        "channel_post",
        "edited_channel_post",
        "business_connection",
        "business_message",
        "edited_business_message",
        "deleted_business_messages",
        "message_reaction",
        "message_reaction_count",
        "inline_query",
        "chosen_inline_result",
        "callback_query",
        "shipping_query",
        "pre_checkout_query",
        "purchased_paid_media",
        "poll",
        "poll_answer",
        "my_chat_member",
        "chat_member",
        "chat_join_request",
        "chat_boost",
        "removed_chat_boost",
    }
)
# What Telegram delivers when allowed_updates is empty or was never set.
_DEFAULT_ALLOWED: Final = _UPDATE_TYPES - {"chat_member", "message_reaction", "message_reaction_count"}

_CHAT_ACTIONS: Final = frozenset(
    {
        "typing",
        "upload_photo",
        "record_video",
        "upload_video",
        "record_voice",
        "upload_voice",
        "upload_document",
        "choose_sticker",
        "find_location",
        "record_video_note",
        "upload_video_note",
    }
)
_ENTITY_TYPES: Final = frozenset(
    {
        "mention",
        "hashtag",
        "cashtag",
        "bot_command",
        "url",
        "email",
        "phone_number",
        "bold",
        "italic",
        "underline",
        "strikethrough",
        "spoiler",
        "blockquote",
        "expandable_blockquote",
        "code",
        "pre",
        "text_link",
        "text_mention",
        "custom_emoji",
    }
)
_SCOPE_TYPES: Final = frozenset(
    {
        "default",
        "all_private_chats",
        "all_group_chats",
        "all_chat_administrators",
        "chat",
        "chat_administrators",
        "chat_member",
    }
)
_INLINE_ACTIONS: Final = (
    "url",
    "callback_data",
    "web_app",
    "login_url",
    "switch_inline_query",
    "switch_inline_query_current_chat",
    "switch_inline_query_chosen_chat",
    "copy_text",
    "callback_game",
    "pay",
)

_INT_FIELDS: Final = frozenset(
    {"message_id", "offset", "limit", "timeout", "cache_time", "reply_to_message_id", "message_thread_id"}
)
_BOOL_FIELDS: Final = frozenset(
    {
        "disable_notification",
        "protect_content",
        "show_alert",
        "drop_pending_updates",
        "allow_sending_without_reply",
        "disable_content_type_detection",
        "has_spoiler",
        "show_caption_above_media",
    }
)
# Form-encoded requests carry objects as JSON strings; Telegram decodes each field and names it on failure.
_JSON_FIELDS: Final = {
    "reply_markup": "can't parse reply keyboard markup JSON object",
    "entities": "can't parse entities JSON object",
    "caption_entities": "can't parse caption entities JSON object",
    "commands": "can't parse commands JSON object",
    "scope": "can't parse BotCommandScope JSON object",
    "allowed_updates": "can't parse allowed_updates JSON array",
    "link_preview_options": "can't parse link preview options JSON object",
    "reply_parameters": "can't parse reply parameters JSON object",
    "menu_button": "can't parse menu button JSON object",
}
_INTEGER: Final = re.compile(r"-?[0-9]+")
_COMMAND_NAME: Final = re.compile(r"[a-z0-9_]{1,32}")
_LANGUAGE_CODE: Final = re.compile(r"[a-z]{2}")
_LEADING_COMMAND: Final = re.compile(r"/[A-Za-z0-9_]{1,64}(?:@[A-Za-z0-9_]{3,32})?(?=$|[^\w/<>])")
_API_PATH: Final = re.compile(r"/bot([^/]+)/([A-Za-z]+)/?")
_FILE_PATH: Final = re.compile(r"/file/bot([^/]+)/(.+)")

_IMAGE_MAGIC: Final = (b"\x89PNG\r\n\x1a\n", b"\xff\xd8\xff", b"GIF87a", b"GIF89a", b"BM")
_MAX_PHOTO_SIDES: Final = 10_000
_MAX_PHOTO_RATIO: Final = 20


@dataclass(frozen=True, slots=True)
class ApiCall:
    """One Bot API call as the fake saw it: decoded params and its result or error description."""

    method: str
    params: dict[str, Any]
    ok: bool
    result_or_error: Any


@dataclass(frozen=True, slots=True)
class UploadedFile:
    """A file uploaded with multipart/form-data (or passed as bytes in-process)."""

    filename: str
    content: bytes
    mime_type: str | None = None


@dataclass(frozen=True, slots=True)
class BotMessage:
    """A message the bot sent, in its current state (after edits); media captions live in text."""

    message_id: int
    chat_id: int
    text: str
    plain_text: str
    reply_markup: dict[str, Any] | None
    parse_mode: str | None = None
    entities: list[dict[str, Any]] = field(default_factory=list)
    document: tuple[str, bytes] | None = None
    photo: bytes | None = None
    edited: bool = False
    deleted: bool = False
    date: int = 0

    @property
    def buttons(self) -> list[list[tuple[str, str]]]:
        """Return inline buttons as (text, callback_data) rows; non-callback buttons get ""."""
        if not self.reply_markup or "inline_keyboard" not in self.reply_markup:
            return []
        return [
            [(str(b["text"]), str(b.get("callback_data", ""))) for b in row]
            for row in self.reply_markup["inline_keyboard"]
        ]

    def button_data(self, label: str) -> str:
        """Return the callback_data of the inline button labelled label; fail with the labels shown."""
        for row in self.buttons:
            for text, data in row:
                if text == label and data:
                    return data
        labels = [text for row in self.buttons for text, _ in row]
        raise AssertionError(
            f"no callback button {label!r} on message {self.message_id}; buttons: {labels!r}"
        )


class _ApiError(Exception):
    """A Bot API failure: HTTP status, description and optional ResponseParameters."""

    def __init__(self, status: int, description: str, parameters: dict[str, Any] | None = None) -> None:
        super().__init__(description)
        self.status = status
        self.description = description
        self.parameters = parameters

    def body(self) -> dict[str, Any]:
        body: dict[str, Any] = {"ok": False, "error_code": self.status, "description": self.description}
        if self.parameters:
            body["parameters"] = self.parameters
        return body


def _bad(description: str) -> _ApiError:
    return _ApiError(400, f"Bad Request: {description}")


@dataclass(slots=True)
class _Fault:
    status: int
    description: str
    retry_after: int | None
    remaining: int


@dataclass(slots=True)
class _Formatted:
    source: str
    parse_mode: str | None
    text: str
    entities: list[dict[str, Any]]


@dataclass(slots=True)
class _StoredFile:
    file_id: str
    unique_id: str
    path: str
    upload: UploadedFile


@dataclass(slots=True)
class _Stored:
    """A message in a chat, bot's or user's, with its current Message payload."""

    payload: dict[str, Any]
    sender_id: int
    bot: BotMessage | None = None
    deleted: bool = False


@dataclass(slots=True)
class _Chat:
    info: dict[str, Any]
    next_message_id: int = 1
    messages: dict[int, _Stored] = field(default_factory=dict)
    blocked: bool = False
    menu_button: dict[str, Any] | None = None


def make_png(width: int = 1, height: int = 1) -> bytes:
    """Return a valid, blank RGB PNG of the given size (for sendPhoto tests and fake user photos)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    raw = b"".join(b"\x00" + b"\xff" * (3 * width) for _ in range(height))
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(raw))
        + chunk(b"IEND", b"")
    )


def _normalize(params: Mapping[str, Any]) -> dict[str, Any]:
    """Decode params the way Telegram does, so form-encoded and JSON requests look the same."""
    out: dict[str, Any] = {}
    for key, value in params.items():
        if value is None:
            continue
        numeric = isinstance(value, str) and _INTEGER.fullmatch(value.strip()) is not None
        if numeric and (key == "chat_id" or key in _INT_FIELDS):
            out[key] = int(value)
        elif key in _BOOL_FIELDS and isinstance(value, str):
            out[key] = value.strip().lower() in {"true", "1"}
        elif key in _JSON_FIELDS and isinstance(value, str):
            try:
                out[key] = json.loads(value)
            except ValueError:
                raise _bad(_JSON_FIELDS[key]) from None
        else:
            out[key] = value
    return out


def _check_utf8(value: str) -> None:
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise _bad("strings must be encoded in UTF-8") from None


def _explicit_entities(text: str, raw: object) -> list[dict[str, Any]]:
    """Validate caller-supplied MessageEntity dicts against text, with Telegram's descriptions."""
    if not isinstance(raw, list):
        raise _bad("can't parse entities JSON object")
    size = utf16_len(text)
    entities: list[dict[str, Any]] = []
    for item in raw:
        if not isinstance(item, dict):
            raise _bad("can't parse MessageEntity: expected an Object")
        for name in ("type", "offset", "length"):
            if name not in item:
                raise _bad(f"can't parse MessageEntity: Can't find field \"{name}\"")
        if item["type"] not in _ENTITY_TYPES:
            raise _bad("can't parse MessageEntity: Unsupported type specified")
        offset, length = int(item["offset"]), int(item["length"])
        if offset < 0:
            raise _bad(f"receive an entity with incorrect offset {offset}")
        if offset > size:
            raise _bad(f"entity begins after the end of the text at UTF-16 offset {offset}")
        if offset + length > size:
            raise _bad(
                f"entity beginning at UTF-16 offset {offset} ends after the end of the text "
                f"at UTF-16 offset {offset + length}"
            )
        if item["type"] == "text_link":
            url = item.get("url")
            if url is None:
                raise _bad("can't parse MessageEntity: Can't find field \"url\"")
            reason = check_http_url(str(url))
            if reason is not None:
                raise _bad(f"entity URL '{url}' is invalid: {reason}")
        entities.append(dict(item))
    return entities


def _parse_inline_keyboard(rows: object) -> list[list[dict[str, Any]]]:
    """Check the shape of an inline keyboard (phase one: what the Bot API itself parses)."""
    if not isinstance(rows, list) or not all(isinstance(row, list) for row in rows):
        raise _bad('field "inline_keyboard" must be of type Array')
    kept: list[list[dict[str, Any]]] = []
    for row in rows:
        checked: list[dict[str, Any]] = []
        for button in row:
            if not isinstance(button, dict):
                raise _bad("can't parse inline keyboard button: expected an Object")
            if "text" not in button:
                raise _bad("can't parse inline keyboard button: Can't find field \"text\"")
            for name in ("text", "url", "callback_data"):
                if name in button and not isinstance(button[name], str):
                    raise _bad(f'can\'t parse inline keyboard button: Field "{name}" must be of type String')
            # An empty url or callback_data counts as absent, which leaves a bare text button.
            actions = [
                name
                for name in _INLINE_ACTIONS
                if name in button and not (name in {"url", "callback_data"} and button[name] == "")
            ]
            if not actions:
                raise _bad(
                    "can't parse inline keyboard button: Text buttons are unallowed in the inline keyboard"
                )
            if len(actions) > 1:
                raise _bad(
                    f"can't parse inline keyboard button: exactly one of {', '.join(actions)} must be set "
                    "(the fake Bot API is stricter than Telegram, which silently ignores the extras)"
                )
            checked.append(dict(button))
        if checked:
            kept.append(checked)
    return kept


def _parse_markup(raw: object, *, inline_only: bool) -> dict[str, Any] | None:
    """Parse reply_markup; return it normalised (an empty inline keyboard means no markup)."""
    if raw is None:
        return None
    if not isinstance(raw, dict):
        raise _bad("can't parse reply keyboard markup JSON object")
    if "inline_keyboard" in raw:
        rows = _parse_inline_keyboard(raw["inline_keyboard"])
        return {"inline_keyboard": rows} if rows else None
    if inline_only:
        raise _bad("inline keyboard expected")
    if "keyboard" in raw:
        keyboard = raw["keyboard"]
        if not isinstance(keyboard, list) or not all(isinstance(row, list) for row in keyboard):
            raise _bad('field "keyboard" must be of type Array')
        for row in keyboard:
            for button in row:
                if not isinstance(button, str) and not (isinstance(button, dict) and "text" in button):
                    raise _bad("can't parse keyboard button: Can't find field \"text\"")
        return dict(raw)
    for flag in ("remove_keyboard", "force_reply"):
        if flag in raw:
            if raw[flag] is not True:
                raise _bad(f'field "{flag}" must be of type Boolean')
            return dict(raw)
    raise _bad("can't parse reply keyboard markup JSON object")


def _check_markup_content(markup: dict[str, Any] | None) -> None:
    """Check button contents (phase two: what Telegram's servers reject after the chat is resolved)."""
    if not markup:
        return
    for row in markup.get("inline_keyboard", []):
        for button in row:
            if not button["text"].strip():
                raise _bad("BUTTON_TEXT_INVALID")
            data = button.get("callback_data")
            if data is not None and len(data.encode("utf-8", "surrogatepass")) > MAX_CALLBACK_DATA_BYTES:
                raise _bad("BUTTON_DATA_INVALID")
            url = button.get("url")
            if url is not None:
                reason = check_http_url(url)
                if reason is not None:
                    raise _bad(f"inline keyboard button URL '{url}' is invalid: {reason}")


def _inline_markup(markup: dict[str, Any] | None) -> dict[str, Any] | None:
    # Message objects only ever carry inline keyboards; reply keyboards live on the client.
    return markup if markup and "inline_keyboard" in markup else None


def _image_error(content: bytes) -> str | None:
    """Return Telegram's complaint about an uploaded photo, or None if it would be accepted."""
    is_webp = content[:4] == b"RIFF" and content[8:12] == b"WEBP"
    if not (is_webp or content.startswith(_IMAGE_MAGIC)):
        return "IMAGE_PROCESS_FAILED"
    if content.startswith(_IMAGE_MAGIC[0]) and content[12:16] == b"IHDR":
        width, height = struct.unpack(">II", content[16:24])
        if (
            min(width, height) == 0
            or width + height > _MAX_PHOTO_SIDES
            or max(width, height) > _MAX_PHOTO_RATIO * min(width, height)
        ):
            return "PHOTO_INVALID_DIMENSIONS"
    return None


def _image_size(content: bytes) -> tuple[int, int]:
    if content.startswith(_IMAGE_MAGIC[0]) and content[12:16] == b"IHDR":
        width, height = struct.unpack(">II", content[16:24])
        return int(width), int(height)
    return 320, 320


class FakeBotAPI:
    """The strict fake Bot API core: thread-safe, synchronous, one bot and its chats."""

    def __init__(
        self,
        token: str = "123456:TEST-TOKEN",
        bot_username: str = "ClotCareBot",
        *,
        clock: Callable[[], float] = time.time,
        strict_ampersand: bool = True,
    ) -> None:
        self.token = token
        head = token.split(":", 1)[0]
        self.bot_id = int(head) if head.isdigit() else 123456
        self.bot_username = bot_username
        self.calls: list[ApiCall] = []
        self.commands: list[dict[str, Any]] = []
        self.callback_answers: dict[str, dict[str, Any]] = {}
        self.webhook_url = ""
        self._clock = clock
        self._strict_ampersand = strict_ampersand
        self._cond = threading.Condition(threading.RLock())
        self._chats: dict[int, _Chat] = {}
        self._users: dict[int, dict[str, Any]] = {}
        self._updates: list[dict[str, Any]] = []
        self._next_update_id = 1
        self._allowed_updates: frozenset[str] = _DEFAULT_ALLOWED
        self._poll_epoch = 0
        self._waiting_polls = 0
        self._faults: dict[str, list[_Fault]] = {}
        self._hangs: dict[str, list[float]] = {}
        self._outages: dict[str, float] = {}
        self._open_queries: dict[str, tuple[int, int]] = {}
        self._next_query = 1
        self._scoped_commands: dict[tuple[str, str], list[dict[str, Any]]] = {}
        self._files: dict[str, _StoredFile] = {}
        self._file_paths: dict[str, str] = {}
        self._default_menu_button: dict[str, Any] = {"type": "commands"}
        self._handlers: dict[str, Callable[[dict[str, Any]], Any]] = {
            "getMe": self._get_me,
            "setMyCommands": self._set_my_commands,
            "getMyCommands": self._get_my_commands,
            "deleteMyCommands": self._delete_my_commands,
            "deleteWebhook": self._delete_webhook,
            "setWebhook": self._set_webhook,
            "getWebhookInfo": self._get_webhook_info,
            "sendMessage": self._send_message,
            "editMessageText": self._edit_message_text,
            "editMessageReplyMarkup": self._edit_message_reply_markup,
            "deleteMessage": self._delete_message,
            "answerCallbackQuery": self._answer_callback_query,
            "sendChatAction": self._send_chat_action,
            "sendDocument": self._send_document,
            "sendPhoto": self._send_photo,
            "getFile": self._get_file,
            "close": lambda _p: True,
            "logOut": lambda _p: True,
            "setChatMenuButton": self._set_chat_menu_button,
            "getChatMenuButton": self._get_chat_menu_button,
        }

    # ------------------------------------------------------------------ the API surface

    def handle(
        self,
        method: str,
        params: Mapping[str, Any],
        *,
        timeout: float | None = None,
        cancel: threading.Event | None = None,
    ) -> tuple[int, dict[str, Any]]:
        """Answer one Bot API call; return (HTTP status, Telegram JSON body) and record it in calls.

        timeout caps how long getUpdates may long-poll; setting cancel (then calling notify) ends
        a waiting long poll early with whatever is queued.
        """
        name = _CANONICAL.get(method.lower())
        recorded: dict[str, Any] = dict(params)
        with self._cond:
            queue = self._hangs.get(name or "")
            delay = queue.pop(0) if queue else 0.0
            outage_left = self._outages.get(name or "", 0.0) - time.monotonic()
        if outage_left > 0:
            # Telegram down: the call hangs until the outage ends, then fails; nothing is delivered.
            time.sleep(outage_left)
            with self._cond:
                self.calls.append(ApiCall(name or method, dict(params), ok=False, result_or_error="outage"))
                self._cond.notify_all()
            return 502, _ApiError(502, "Bad Gateway").body()
        if delay:
            # A hanging Telegram: the call still goes through, but only after the client gave up waiting.
            time.sleep(delay)
        with self._cond:
            try:
                if name is None:
                    raise _ApiError(404, "Not Found")
                self._raise_injected_fault(name)
                recorded = _normalize(params)
                if name == "getUpdates":
                    result = self._get_updates(recorded, timeout, cancel)
                else:
                    result = self._handlers[name](recorded)
            except _ApiError as err:
                status, body = err.status, err.body()
                self.calls.append(
                    ApiCall(name or method, recorded, ok=False, result_or_error=err.description)
                )
            else:
                status, body = 200, {"ok": True, "result": result}
                self.calls.append(ApiCall(name, recorded, ok=True, result_or_error=copy.deepcopy(result)))
            self._cond.notify_all()
        return status, body

    def fail_next(
        self, method: str, status: int, description: str, *, retry_after: int | None = None, times: int = 1
    ) -> None:
        """Make the next `times` calls of method fail with status and description (429 gets retry_after)."""
        name = _CANONICAL.get(method.lower())
        if name is None:
            raise ValueError(f"the fake Bot API does not implement {method!r}; known: {', '.join(_METHODS)}")
        if times < 1:
            raise ValueError("times must be >= 1")
        if status == 429 and retry_after is None:
            retry_after = 1
        with self._cond:
            self._faults.setdefault(name, []).append(_Fault(status, description, retry_after, times))

    def hang_next(self, method: str, seconds: float, *, times: int = 1) -> None:
        """Delay the next `times` calls of method by seconds before answering (HTTP transport only)."""
        name = _CANONICAL.get(method.lower())
        if name is None:
            raise ValueError(f"the fake Bot API does not implement {method!r}")
        with self._cond:
            self._hangs.setdefault(name, []).extend([seconds] * times)

    def outage(self, method: str, seconds: float) -> None:
        """For the next ``seconds``, calls of method hang until the outage ends, then fail undelivered."""
        name = _CANONICAL.get(method.lower())
        if name is None:
            raise ValueError(f"the fake Bot API does not implement {method!r}")
        with self._cond:
            self._outages[name] = time.monotonic() + seconds

    # ------------------------------------------------------------------ user simulation

    def register_user(
        self, user_id: int, *, first_name: str = "Test", language_code: str | None = "en"
    ) -> None:
        """Mark user_id as someone who started the bot earlier, without queueing an update."""
        with self._cond:
            user = self._user(user_id, first_name, language_code)
            self._chat(user_id, "private", user)

    def user_sends(
        self,
        user_id: int,
        text: str,
        *,
        chat_id: int | None = None,
        chat_type: str = "private",
        first_name: str = "Test",
        language_code: str | None = "en",
        reply_to_message_id: int | None = None,
    ) -> dict[str, Any]:
        """Queue a text message from user_id and return the Update dict (commands get bot_command)."""
        if not text.strip():
            raise AssertionError("Telegram clients cannot send an empty or blank text message")
        content: dict[str, Any] = {"text": text}
        command = _LEADING_COMMAND.match(text)
        if command:
            content["entities"] = [{"type": "bot_command", "offset": 0, "length": utf16_len(command[0])}]
        return self._user_message(
            user_id,
            content=content,
            chat_id=chat_id,
            chat_type=chat_type,
            first_name=first_name,
            language_code=language_code,
            reply_to_message_id=reply_to_message_id,
        )

    def user_sends_location(
        self,
        user_id: int,
        latitude: float,
        longitude: float,
        *,
        chat_id: int | None = None,
        chat_type: str = "private",
        first_name: str = "Test",
        language_code: str | None = "en",
    ) -> dict[str, Any]:
        """Queue a location message from user_id and return the Update dict."""
        content = {"location": {"latitude": latitude, "longitude": longitude}}
        return self._user_message(
            user_id,
            content=content,
            chat_id=chat_id,
            chat_type=chat_type,
            first_name=first_name,
            language_code=language_code,
            reply_to_message_id=None,
        )

    def user_sends_sticker(
        self,
        user_id: int,
        *,
        emoji: str = "👍",
        chat_id: int | None = None,
        chat_type: str = "private",
        first_name: str = "Test",
        language_code: str | None = "en",
    ) -> dict[str, Any]:
        """Queue a sticker message from user_id and return the Update dict."""
        with self._cond:
            stored = self._store_file(UploadedFile("sticker.webp", b"RIFF\x00\x00\x00\x00WEBP", "image/webp"))
        sticker = {
            "file_id": stored.file_id,
            "file_unique_id": stored.unique_id,
            "type": "regular",
            "width": 512,
            "height": 512,
            "is_animated": False,
            "is_video": False,
            "emoji": emoji,
        }
        return self._user_message(
            user_id,
            content={"sticker": sticker},
            chat_id=chat_id,
            chat_type=chat_type,
            first_name=first_name,
            language_code=language_code,
            reply_to_message_id=None,
        )

    def user_sends_photo(
        self,
        user_id: int,
        *,
        caption: str | None = None,
        content: bytes | None = None,
        chat_id: int | None = None,
        chat_type: str = "private",
        first_name: str = "Test",
        language_code: str | None = "en",
    ) -> dict[str, Any]:
        """Queue a photo message from user_id (downloadable via getFile) and return the Update dict."""
        data = content if content is not None else make_png(4, 3)
        with self._cond:
            stored = self._store_file(UploadedFile("photo.jpg", data, "image/jpeg"))
        width, height = _image_size(data)
        message: dict[str, Any] = {"photo": [self._photo_size(stored, width, height)]}
        if caption:
            message["caption"] = caption
        return self._user_message(
            user_id,
            content=message,
            chat_id=chat_id,
            chat_type=chat_type,
            first_name=first_name,
            language_code=language_code,
            reply_to_message_id=None,
        )

    def user_edits_message(
        self, user_id: int, message_id: int, text: str, *, chat_id: int | None = None
    ) -> dict[str, Any]:
        """Edit the user's own earlier message and return the edited_message Update dict."""
        with self._cond:
            chat = self._chats.get(user_id if chat_id is None else chat_id)
            stored = chat.messages.get(message_id) if chat else None
            if stored is None or stored.deleted or stored.sender_id != user_id or stored.bot:
                raise AssertionError(
                    f"user {user_id} has no message {message_id} in chat {chat_id or user_id}"
                )
            stored.payload["text"] = text
            stored.payload["edit_date"] = self._now()
            stored.payload.pop("entities", None)
            command = _LEADING_COMMAND.match(text)
            if command:
                stored.payload["entities"] = [
                    {"type": "bot_command", "offset": 0, "length": utf16_len(command[0])}
                ]
            return self._queue("edited_message", copy.deepcopy(stored.payload))

    def user_presses(
        self,
        user_id: int,
        message_id: int,
        callback_data: str,
        *,
        chat_id: int | None = None,
        require_button: bool = True,
    ) -> dict[str, Any]:
        """Press an inline button on a bot message and return the callback_query Update dict.

        With require_button (the default) the message must currently show a button with that
        callback_data, as in a real client; pass False to simulate stale or forged data.
        """
        with self._cond:
            target_chat = user_id if chat_id is None else chat_id
            chat = self._chats.get(target_chat)
            stored = chat.messages.get(message_id) if chat else None
            if chat is None or stored is None or stored.bot is None or stored.deleted:
                raise AssertionError(
                    f"no bot message {message_id} in chat {target_chat} to press a button on"
                )
            shown = [data for row in stored.bot.buttons for _, data in row]
            if require_button and callback_data not in shown:
                raise AssertionError(
                    f"message {message_id} shows no button with callback_data {callback_data!r}; "
                    f"it shows {shown!r} (pass require_button=False to send stale or forged data)"
                )
            query_id = str(4_000_000_000_000_000 + self._next_query)
            self._next_query += 1
            self._open_queries[query_id] = (target_chat, message_id)
            user = self._users.get(user_id) or self._user(user_id, "Test", "en")
            query = {
                "id": query_id,
                "from": dict(user),
                "message": copy.deepcopy(stored.payload),
                "chat_instance": str(-abs(target_chat) * 7919),
                "data": callback_data,
            }
            return self._queue("callback_query", query)

    def block(self, user_id: int) -> None:
        """Block the bot as user_id; later sends to that chat fail with 403 (queues my_chat_member)."""
        with self._cond:
            user = self._users.get(user_id) or self._user(user_id, "Test", "en")
            chat = self._chat(user_id, "private", user)
            if not chat.blocked:
                chat.blocked = True
                self._queue_member_change(chat, user, "member", "kicked")

    def unblock(self, user_id: int) -> None:
        """Unblock the bot as user_id (queues my_chat_member)."""
        with self._cond:
            chat = self._chats.get(user_id)
            if chat is not None and chat.blocked:
                chat.blocked = False
                self._queue_member_change(chat, self._users[user_id], "kicked", "member")

    # ------------------------------------------------------------------ assertion helpers

    def messages(self, chat_id: int, *, include_deleted: bool = False) -> list[BotMessage]:
        """Return the bot's messages in chat_id in send order, in their current state."""
        with self._cond:
            return self._bot_messages(chat_id, include_deleted=include_deleted)

    def last_message(self, chat_id: int) -> BotMessage:
        """Return the bot's latest live message in chat_id; fail if there is none."""
        found = self.messages(chat_id)
        if not found:
            raise AssertionError(f"the bot has sent no messages to chat {chat_id}")
        return found[-1]

    def wait_for_messages(self, chat_id: int, count: int, timeout: float = 10.0) -> list[BotMessage]:
        """Block this thread until chat_id has >= count bot messages; never call it on the bot's loop."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while True:
                found = self._bot_messages(chat_id, include_deleted=False)
                remaining = deadline - time.monotonic()
                if len(found) >= count or remaining <= 0:
                    break
                self._cond.wait(remaining)
        return self._enough(found, chat_id, count, timeout)

    async def wait_for_messages_async(
        self,
        chat_id: int,
        count: int,
        timeout: float = 10.0,  # noqa: ASYNC109 - mirrors wait_for_messages
    ) -> list[BotMessage]:
        """Await until chat_id has >= count bot messages without blocking the event loop."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        found = self.messages(chat_id)
        # The core signals a threading.Condition, not the event loop, so poll in short steps.
        while len(found) < count and loop.time() < deadline:
            await asyncio.sleep(_POLL_STEP_SECONDS)
            found = self.messages(chat_id)
        return self._enough(found, chat_id, count, timeout)

    def calls_of(self, method: str) -> list[ApiCall]:
        """Return every recorded call of method (case-insensitive), oldest first."""
        name = _CANONICAL.get(method.lower(), method)
        with self._cond:
            return [call for call in self.calls if call.method == name]

    def pending_updates(self) -> list[dict[str, Any]]:
        """Return the updates queued for getUpdates and not yet confirmed."""
        with self._cond:
            return copy.deepcopy(self._updates)

    @property
    def bot_user(self) -> dict[str, Any]:
        """Return the bot's User object as Telegram serialises it."""
        first_name = self.bot_username.removesuffix("Bot") or self.bot_username
        return {"id": self.bot_id, "is_bot": True, "first_name": first_name, "username": self.bot_username}

    def file_content(self, file_path: str) -> bytes | None:
        """Return the bytes behind a getFile file_path (for the file download endpoints)."""
        with self._cond:
            file_id = self._file_paths.get(unquote(file_path))
            return self._files[file_id].upload.content if file_id else None

    # ------------------------------------------------------------------ internals used by transports

    def _updates_ready(self, offset: int) -> bool:
        """Tell whether getUpdates with offset would return something right now."""
        with self._cond:
            return any(
                (offset <= 0 or u["update_id"] >= offset) and self._update_type(u) in self._allowed_updates
                for u in self._updates
            )

    def notify(self) -> None:
        """Wake every thread waiting on the fake (long polls re-check their cancel events)."""
        with self._cond:
            self._cond.notify_all()

    def wait_until_polling(self, timeout: float = 10.0) -> None:
        """Block until some client is long-polling getUpdates (e.g. a bot subprocess finished starting)."""
        with self._cond:
            if not self._cond.wait_for(lambda: self._waiting_polls > 0, timeout):
                raise AssertionError(f"nobody long-polled getUpdates within {timeout}s")

    def _poll_waiting(self, delta: int) -> None:
        with self._cond:
            self._waiting_polls += delta
            self._cond.notify_all()

    # ------------------------------------------------------------------ helpers (lock held)

    def _now(self) -> int:
        return int(self._clock())

    def _raise_injected_fault(self, name: str) -> None:
        queue = self._faults.get(name)
        if not queue:
            return
        fault = queue[0]
        fault.remaining -= 1
        if fault.remaining == 0:
            queue.pop(0)
        parameters = {"retry_after": fault.retry_after} if fault.retry_after is not None else None
        raise _ApiError(fault.status, fault.description, parameters)

    def _user(self, user_id: int, first_name: str, language_code: str | None) -> dict[str, Any]:
        user: dict[str, Any] = {"id": user_id, "is_bot": False, "first_name": first_name}
        if language_code:
            user["language_code"] = language_code
        self._users[user_id] = user
        return user

    def _chat(self, chat_id: int, chat_type: str, user: dict[str, Any]) -> _Chat:
        chat = self._chats.get(chat_id)
        if chat is None:
            if chat_type == "private":
                info = {"id": chat_id, "type": "private", "first_name": user["first_name"]}
            else:
                info = {"id": chat_id, "type": chat_type, "title": f"Test {chat_type}"}
            chat = self._chats[chat_id] = _Chat(info)
        return chat

    def _queue(self, kind: str, payload: dict[str, Any]) -> dict[str, Any]:
        update = {"update_id": self._next_update_id, kind: payload}
        self._next_update_id += 1
        self._updates.append(update)
        self._cond.notify_all()
        return copy.deepcopy(update)

    def _queue_member_change(self, chat: _Chat, user: dict[str, Any], old: str, new: str) -> None:
        member_update = {
            "chat": dict(chat.info),
            "from": dict(user),
            "date": self._now(),
            "old_chat_member": {"user": self.bot_user, "status": old},
            "new_chat_member": {"user": self.bot_user, "status": new}
            | ({"until_date": 0} if new == "kicked" else {}),
        }
        self._queue("my_chat_member", member_update)

    def _user_message(
        self,
        user_id: int,
        *,
        content: dict[str, Any],
        chat_id: int | None,
        chat_type: str,
        first_name: str,
        language_code: str | None,
        reply_to_message_id: int | None,
    ) -> dict[str, Any]:
        if chat_type == "private" and chat_id not in (None, user_id):
            raise AssertionError("a private chat's id is the user's id; pass chat_type for groups")
        if chat_type != "private" and chat_id is None:
            raise AssertionError(f"a {chat_type} message needs an explicit (negative) chat_id")
        target = user_id if chat_id is None else chat_id
        with self._cond:
            user = self._user(user_id, first_name, language_code)
            chat = self._chat(target, chat_type, user)
            if chat.blocked:
                # A blocked bot cannot be written to; Telegram's "Restart" button unblocks first.
                chat.blocked = False
                self._queue_member_change(chat, user, "kicked", "member")
            message_id = chat.next_message_id
            chat.next_message_id += 1
            payload: dict[str, Any] = {
                "message_id": message_id,
                "from": dict(user),
                "chat": dict(chat.info),
                "date": self._now(),
                **content,
            }
            if reply_to_message_id is not None:
                replied = chat.messages.get(reply_to_message_id)
                if replied is None or replied.deleted:
                    raise AssertionError(f"no message {reply_to_message_id} in chat {target} to reply to")
                payload["reply_to_message"] = self._without_reply(replied.payload)
            chat.messages[message_id] = _Stored(payload=payload, sender_id=user_id)
            return self._queue("message", copy.deepcopy(payload))

    @staticmethod
    def _without_reply(payload: dict[str, Any]) -> dict[str, Any]:
        snapshot = copy.deepcopy(payload)
        snapshot.pop("reply_to_message", None)
        return snapshot

    @staticmethod
    def _update_type(update: dict[str, Any]) -> str:
        return next(key for key in update if key != "update_id")

    def _bot_messages(self, chat_id: int, *, include_deleted: bool) -> list[BotMessage]:
        chat = self._chats.get(chat_id)
        if chat is None:
            return []
        # Deep copies, so a test poking at a returned dict cannot corrupt the fake's state.
        return [
            copy.deepcopy(stored.bot)
            for _, stored in sorted(chat.messages.items())
            if stored.bot is not None and (include_deleted or not stored.deleted)
        ]

    @staticmethod
    def _enough(found: list[BotMessage], chat_id: int, count: int, timeout: float) -> list[BotMessage]:
        if len(found) < count:
            texts = [message.plain_text for message in found]
            raise AssertionError(
                f"expected >= {count} bot messages in chat {chat_id} within {timeout}s, "
                f"got {len(found)}: {texts!r}"
            )
        return found

    def _resolve_chat(self, params: dict[str, Any]) -> _Chat:
        raw = params.get("chat_id")
        if raw is None or raw == "":
            raise _bad("chat_id is empty")
        chat = self._chats.get(raw) if isinstance(raw, int) else None
        if chat is None:
            raise _bad("chat not found")
        return chat

    @staticmethod
    def _check_not_blocked(chat: _Chat) -> None:
        if chat.blocked:
            raise _ApiError(403, "Forbidden: bot was blocked by the user")

    def _formatted(
        self, params: dict[str, Any], key: str, entities_key: str, *, required: bool
    ) -> _Formatted:
        """Turn text/caption plus parse_mode or entities into Telegram's plain text and entities."""
        raw = params.get(key)
        parse_mode = params.get("parse_mode") or None
        if raw is None or raw == "":
            if required:
                raise _bad("message text is empty")
            return _Formatted("", parse_mode, "", [])
        source = raw if isinstance(raw, str) else json.dumps(raw)
        _check_utf8(source)
        if params.get(entities_key) is not None:
            # Explicit entities win over parse_mode, as in the Bot API.
            plain, entities = source, _explicit_entities(source, params[entities_key])
        elif parse_mode is None:
            plain, entities = source, []
        elif str(parse_mode).lower() == "html":
            try:
                parsed = parse_html(source, strict_ampersand=self._strict_ampersand)
            except HtmlParseError as err:
                raise _bad(f"can't parse entities: {err.description}") from None
            plain, entities = parsed.text, parsed.entities
        elif str(parse_mode).lower() in {"markdown", "markdownv2"}:
            raise _bad(
                "can't parse entities: the fake Bot API only implements parse_mode HTML "
                "(house rule 6: HTML parse mode, always escaped)"
            )
        else:
            raise _bad("unsupported parse_mode")
        trimmed = trim_formatted(plain, entities)
        return _Formatted(source, parse_mode, trimmed.text, trimmed.entities)

    @staticmethod
    def _check_length(formatted: _Formatted, *, limit: int, too_long: str, required: bool) -> None:
        if required and not formatted.text:
            raise _bad("text must be non-empty")
        if utf16_len(formatted.text) > limit:
            raise _bad(too_long)

    def _reply_target(self, chat: _Chat, params: dict[str, Any]) -> dict[str, Any] | None:
        reply = params.get("reply_parameters")
        if isinstance(reply, dict):
            if "message_id" not in reply:
                raise _bad('can\'t find field "message_id"')
            message_id, allow = reply["message_id"], bool(reply.get("allow_sending_without_reply"))
        elif "reply_to_message_id" in params:
            message_id = params["reply_to_message_id"]
            allow = bool(params.get("allow_sending_without_reply"))
        else:
            return None
        stored = chat.messages.get(message_id) if isinstance(message_id, int) else None
        if stored is None or stored.deleted:
            if allow:
                return None
            raise _bad("message to be replied not found")
        return self._without_reply(stored.payload)

    def _store_bot_message(
        self,
        chat: _Chat,
        formatted: _Formatted,
        markup: dict[str, Any] | None,
        params: dict[str, Any],
        *,
        media: dict[str, Any] | None = None,
        upload: UploadedFile | None = None,
    ) -> dict[str, Any]:
        reply_to = self._reply_target(chat, params)
        message_id = chat.next_message_id
        chat.next_message_id += 1
        now = self._now()
        payload: dict[str, Any] = {
            "message_id": message_id,
            "from": self.bot_user,
            "chat": dict(chat.info),
            "date": now,
        }
        if reply_to is not None:
            payload["reply_to_message"] = reply_to
        text_key, entities_key = ("caption", "caption_entities") if media else ("text", "entities")
        if media:
            payload.update(media)
        if formatted.text:
            payload[text_key] = formatted.text
        if formatted.entities:
            payload[entities_key] = copy.deepcopy(formatted.entities)
        inline = _inline_markup(markup)
        if inline:
            payload["reply_markup"] = copy.deepcopy(inline)
        bot = BotMessage(
            message_id=message_id,
            chat_id=chat.info["id"],
            text=formatted.source,
            plain_text=formatted.text,
            reply_markup=copy.deepcopy(markup),
            parse_mode=formatted.parse_mode,
            entities=copy.deepcopy(formatted.entities),
            document=(upload.filename, upload.content) if upload and media and "document" in media else None,
            photo=upload.content if upload and media and "photo" in media else None,
            date=now,
        )
        chat.messages[message_id] = _Stored(payload=payload, sender_id=self.bot_id, bot=bot)
        return copy.deepcopy(payload)

    def _message_to_edit(self, chat: _Chat, params: dict[str, Any]) -> _Stored:
        message_id = params.get("message_id")
        if message_id is None:
            raise _bad("message identifier is not specified")
        stored = chat.messages.get(message_id) if isinstance(message_id, int) else None
        if stored is None or stored.deleted:
            raise _bad("message to edit not found")
        if stored.bot is None:
            raise _bad("message can't be edited")
        return stored

    def _store_file(self, upload: UploadedFile) -> _StoredFile:
        number = len(self._files) + 1
        folder = "photos" if (upload.mime_type or "").startswith("image/") else "documents"
        suffix = mimetypes.guess_extension(upload.mime_type or "") or ""
        name = upload.filename if "." in upload.filename else upload.filename + suffix
        stored = _StoredFile(
            file_id=f"BQACAgIAAxkBAAI{number:08d}",
            unique_id=f"AgAD{number:08d}",
            path=f"{folder}/file_{number}_{name}",
            upload=upload,
        )
        self._files[stored.file_id] = stored
        self._file_paths[stored.path] = stored.file_id
        return stored

    @staticmethod
    def _photo_size(stored: _StoredFile, width: int, height: int) -> dict[str, Any]:
        return {
            "file_id": stored.file_id,
            "file_unique_id": stored.unique_id,
            "width": width,
            "height": height,
            "file_size": len(stored.upload.content),
        }

    def _resolve_upload(self, params: dict[str, Any], key: str) -> UploadedFile:
        value = params.get(key)
        if isinstance(value, str) and value.startswith("attach://"):
            value = params.get(value.removeprefix("attach://"))
        if value is None or value == "":
            raise _bad(f"there is no {key} in the request")
        if isinstance(value, UploadedFile):
            if not value.content:
                raise _bad("file must be non-empty")
            if len(value.content) > MAX_UPLOAD_BYTES:
                raise _ApiError(413, "Request Entity Too Large")
            return value
        if isinstance(value, str) and value in self._files:
            return self._files[value].upload
        if isinstance(value, str) and check_http_url(value) is None and "://" in value:
            # Telegram would download it; the fake has no network, so the bytes stay unknown.
            name = urlsplit(value).path.rsplit("/", 1)[-1] or "file"
            return UploadedFile(name, b"", mimetypes.guess_type(name)[0])
        raise _bad("wrong file identifier/HTTP URL specified")

    # ------------------------------------------------------------------ method handlers (lock held)

    def _get_me(self, _params: dict[str, Any]) -> dict[str, Any]:
        return self.bot_user | {
            "can_join_groups": True,
            "can_read_all_group_messages": False,
            "supports_inline_queries": False,
            "can_connect_to_business": False,
            "has_main_web_app": False,
        }

    def _get_updates(
        self, params: dict[str, Any], timeout: float | None, cancel: threading.Event | None
    ) -> list[dict[str, Any]]:
        if self.webhook_url:
            raise _ApiError(
                409,
                "Conflict: can't use getUpdates method while webhook is active; "
                "use deleteWebhook to delete the webhook first",
            )
        offset = int(params.get("offset", 0))
        limit = min(max(int(params.get("limit", MAX_UPDATES_LIMIT)), 1), MAX_UPDATES_LIMIT)
        wait = float(params.get("timeout", 0))
        if timeout is not None:
            wait = min(wait, timeout)
        allowed = params.get("allowed_updates")
        if allowed is not None:
            if not isinstance(allowed, list):
                raise _bad("can't parse allowed_updates JSON array")
            self._allowed_updates = frozenset(allowed) & _UPDATE_TYPES or _DEFAULT_ALLOWED
        # An offset confirms every earlier update; a negative one keeps only the last -offset.
        if offset > 0:
            self._updates = [u for u in self._updates if u["update_id"] >= offset]
        elif offset < 0:
            self._updates = self._updates[offset:]
        self._poll_epoch += 1
        epoch = self._poll_epoch
        self._cond.notify_all()
        deadline = time.monotonic() + wait
        self._waiting_polls += 1
        try:
            while True:
                self._updates = [u for u in self._updates if self._update_type(u) in self._allowed_updates]
                if self._updates or (cancel is not None and cancel.is_set()):
                    break
                if self._poll_epoch != epoch:
                    raise _ApiError(
                        409,
                        "Conflict: terminated by other getUpdates request; "
                        "make sure that only one bot instance is running",
                    )
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    break
                self._cond.wait(remaining)
        finally:
            self._waiting_polls -= 1
        return copy.deepcopy(self._updates[:limit])

    def _set_my_commands(self, params: dict[str, Any]) -> bool:
        commands = params.get("commands")
        if commands is None:
            raise _bad("can't parse commands JSON object")
        if not isinstance(commands, list):
            raise _bad("expected an Array of BotCommand")
        if len(commands) > MAX_COMMANDS:
            raise _bad("BOT_COMMANDS_TOO_MUCH")
        cleaned: list[dict[str, Any]] = []
        for item in commands:
            if not isinstance(item, dict):
                raise _bad("can't parse BotCommand: expected an Object")
            for name in ("command", "description"):
                if name not in item:
                    raise _bad(f"can't parse BotCommand: Can't find field \"{name}\"")
            command, description = str(item["command"]), str(item["description"])
            if not command:
                raise _bad("command must be non-empty")
            if not description:
                raise _bad("command description must be non-empty")
            if not _COMMAND_NAME.fullmatch(command):
                raise _bad("BOT_COMMAND_INVALID")
            if len(description) > MAX_COMMAND_DESCRIPTION:
                raise _bad("BOT_COMMAND_DESCRIPTION_INVALID")
            cleaned.append({"command": command, "description": description})
        key = self._commands_key(params)
        self._scoped_commands[key] = cleaned
        if key == ('{"type": "default"}', ""):
            self.commands = copy.deepcopy(cleaned)
        return True

    def _get_my_commands(self, params: dict[str, Any]) -> list[dict[str, Any]]:
        return copy.deepcopy(self._scoped_commands.get(self._commands_key(params), []))

    def _delete_my_commands(self, params: dict[str, Any]) -> bool:
        key = self._commands_key(params)
        self._scoped_commands.pop(key, None)
        if key == ('{"type": "default"}', ""):
            self.commands = []
        return True

    @staticmethod
    def _commands_key(params: dict[str, Any]) -> tuple[str, str]:
        scope = params.get("scope") or {"type": "default"}
        if not isinstance(scope, dict) or scope.get("type") not in _SCOPE_TYPES:
            raise _bad("can't parse BotCommandScope: Unsupported type specified")
        for name, types in (
            ("chat_id", {"chat", "chat_administrators", "chat_member"}),
            ("user_id", {"chat_member"}),
        ):
            if scope["type"] in types and name not in scope:
                raise _bad(f"can't parse BotCommandScope: Can't find field \"{name}\"")
        language = str(params.get("language_code") or "")
        if language and not _LANGUAGE_CODE.fullmatch(language):
            raise _bad("LANG_CODE_INVALID")
        return json.dumps(scope, sort_keys=True), language

    def _delete_webhook(self, params: dict[str, Any]) -> bool:
        self.webhook_url = ""
        if params.get("drop_pending_updates"):
            self._updates.clear()
        return True

    def _set_webhook(self, params: dict[str, Any]) -> bool:
        url = str(params.get("url") or "")
        if url and not url.lower().startswith("https://"):
            raise _bad("bad webhook: An HTTPS URL must be provided for webhook")
        self.webhook_url = url
        if params.get("drop_pending_updates"):
            self._updates.clear()
        return True

    def _get_webhook_info(self, _params: dict[str, Any]) -> dict[str, Any]:
        info: dict[str, Any] = {
            "url": self.webhook_url,
            "has_custom_certificate": False,
            "pending_update_count": len(self._updates),
        }
        if self.webhook_url:
            info["max_connections"] = 40
        return info

    def _send_message(self, params: dict[str, Any]) -> dict[str, Any]:
        formatted = self._formatted(params, "text", "entities", required=True)
        markup = _parse_markup(params.get("reply_markup"), inline_only=False)
        chat = self._resolve_chat(params)
        self._check_not_blocked(chat)
        self._check_length(formatted, limit=MAX_TEXT_LENGTH, too_long="message is too long", required=True)
        _check_markup_content(markup)
        return self._store_bot_message(chat, formatted, markup, params)

    def _edit_message_text(self, params: dict[str, Any]) -> dict[str, Any]:
        if params.get("inline_message_id"):
            raise _bad("MESSAGE_ID_INVALID")
        formatted = self._formatted(params, "text", "entities", required=True)
        markup = _parse_markup(params.get("reply_markup"), inline_only=True)
        chat = self._resolve_chat(params)
        stored = self._message_to_edit(chat, params)
        assert stored.bot is not None  # guaranteed by _message_to_edit
        if stored.bot.document is not None or stored.bot.photo is not None:
            raise _bad("there is no text in the message to edit")
        self._check_length(formatted, limit=MAX_TEXT_LENGTH, too_long="message is too long", required=True)
        _check_markup_content(markup)
        # Omitting reply_markup removes the inline keyboard, so it takes part in the comparison.
        current = stored.bot
        if (formatted.text, formatted.entities, markup) == (
            current.plain_text,
            current.entities,
            _inline_markup(current.reply_markup),
        ):
            raise self._not_modified()
        stored.payload["text"] = formatted.text
        stored.payload.pop("entities", None)
        if formatted.entities:
            stored.payload["entities"] = copy.deepcopy(formatted.entities)
        stored.bot = replace(
            current,
            text=formatted.source,
            plain_text=formatted.text,
            parse_mode=formatted.parse_mode,
            entities=copy.deepcopy(formatted.entities),
        )
        return self._finish_edit(stored, markup)

    def _edit_message_reply_markup(self, params: dict[str, Any]) -> dict[str, Any]:
        if params.get("inline_message_id"):
            raise _bad("MESSAGE_ID_INVALID")
        markup = _parse_markup(params.get("reply_markup"), inline_only=True)
        chat = self._resolve_chat(params)
        stored = self._message_to_edit(chat, params)
        assert stored.bot is not None  # guaranteed by _message_to_edit
        _check_markup_content(markup)
        if markup == _inline_markup(stored.bot.reply_markup):
            raise self._not_modified()
        return self._finish_edit(stored, markup)

    def _finish_edit(self, stored: _Stored, markup: dict[str, Any] | None) -> dict[str, Any]:
        assert stored.bot is not None
        now = self._now()
        stored.payload["edit_date"] = now
        stored.payload.pop("reply_markup", None)
        if markup:
            stored.payload["reply_markup"] = copy.deepcopy(markup)
        # Edits cannot touch a reply keyboard sent with the message; only inline keyboards change.
        kept = markup if markup or _inline_markup(stored.bot.reply_markup) else stored.bot.reply_markup
        stored.bot = replace(stored.bot, reply_markup=copy.deepcopy(kept), edited=True)
        return copy.deepcopy(stored.payload)

    @staticmethod
    def _not_modified() -> _ApiError:
        return _bad(
            "message is not modified: specified new message content and reply markup are exactly the same "
            "as a current content and reply markup of the message"
        )

    def _delete_message(self, params: dict[str, Any]) -> bool:
        chat = self._resolve_chat(params)
        message_id = params.get("message_id")
        if message_id is None:
            raise _bad("message identifier is not specified")
        stored = chat.messages.get(message_id) if isinstance(message_id, int) else None
        if stored is None or stored.deleted:
            raise _bad("message to delete not found")
        too_old = self._now() - int(stored.payload["date"]) > DELETE_WINDOW_SECONDS
        if (stored.bot is None and chat.info["type"] != "private") or too_old:
            raise _bad("message can't be deleted")
        stored.deleted = True
        if stored.bot is not None:
            stored.bot = replace(stored.bot, deleted=True)
        return True

    def _answer_callback_query(self, params: dict[str, Any]) -> bool:
        query_id = str(params.get("callback_query_id") or "")
        if query_id not in self._open_queries:
            raise _bad("query is too old and response timeout expired or query ID is invalid")
        text = params.get("text")
        if text is not None and len(str(text)) > MAX_CALLBACK_ANSWER_LENGTH:
            raise _bad("MESSAGE_TOO_LONG")
        del self._open_queries[query_id]
        self.callback_answers[query_id] = {
            key: params[key] for key in ("text", "show_alert", "url", "cache_time") if key in params
        }
        return True

    def _send_chat_action(self, params: dict[str, Any]) -> bool:
        if params.get("action") not in _CHAT_ACTIONS:
            raise _bad("wrong parameter action in request")
        chat = self._resolve_chat(params)
        self._check_not_blocked(chat)
        return True

    def _send_media(self, params: dict[str, Any], key: str) -> dict[str, Any]:
        upload = self._resolve_upload(params, key)
        formatted = self._formatted(params, "caption", "caption_entities", required=False)
        markup = _parse_markup(params.get("reply_markup"), inline_only=False)
        chat = self._resolve_chat(params)
        self._check_not_blocked(chat)
        self._check_length(
            formatted, limit=MAX_CAPTION_LENGTH, too_long="message caption is too long", required=False
        )
        _check_markup_content(markup)
        if key == "photo" and upload.content:
            problem = _image_error(upload.content)
            if problem:
                raise _bad(problem)
        stored = self._store_file(upload)
        media: dict[str, Any]
        if key == "photo":
            media = {"photo": [self._photo_size(stored, *_image_size(upload.content))]}
        else:
            media = {
                "document": {
                    "file_id": stored.file_id,
                    "file_unique_id": stored.unique_id,
                    "file_name": upload.filename,
                    "mime_type": upload.mime_type or "application/octet-stream",
                    "file_size": len(upload.content),
                }
            }
        return self._store_bot_message(chat, formatted, markup, params, media=media, upload=upload)

    def _send_document(self, params: dict[str, Any]) -> dict[str, Any]:
        return self._send_media(params, "document")

    def _send_photo(self, params: dict[str, Any]) -> dict[str, Any]:
        return self._send_media(params, "photo")

    def _get_file(self, params: dict[str, Any]) -> dict[str, Any]:
        stored = self._files.get(str(params.get("file_id") or ""))
        if stored is None:
            raise _bad("invalid file_id")
        return {
            "file_id": stored.file_id,
            "file_unique_id": stored.unique_id,
            "file_size": len(stored.upload.content),
            "file_path": stored.path,
        }

    def _set_chat_menu_button(self, params: dict[str, Any]) -> bool:
        button = params.get("menu_button") or {"type": "default"}
        if not isinstance(button, dict) or button.get("type") not in {"default", "commands", "web_app"}:
            raise _bad("can't parse menu button JSON object")
        if "chat_id" in params:
            self._resolve_chat(params).menu_button = dict(button)
        else:
            self._default_menu_button = dict(button)
        return True

    def _get_chat_menu_button(self, params: dict[str, Any]) -> dict[str, Any]:
        if "chat_id" in params:
            chat = self._resolve_chat(params)
            if chat.menu_button is not None:
                return dict(chat.menu_button)
        return dict(self._default_menu_button)


# ---------------------------------------------------------------------- in-process transport


def _error_bytes(status: int, description: str) -> bytes:
    return json.dumps({"ok": False, "error_code": status, "description": description}).encode()


class FakeRequest(BaseRequest):
    """A PTB transport that calls FakeBotAPI directly: ``Bot(token, request=FakeRequest(api))``."""

    __slots__ = ("_api",)

    def __init__(self, api: FakeBotAPI) -> None:
        self._api = api

    @property
    @override
    def read_timeout(self) -> float | None:
        """Return the read timeout PTB adds to getUpdates' long-poll timeout."""
        return 5.0

    @override
    async def initialize(self) -> None:
        """Do nothing: there is no connection pool to open."""

    @override
    async def shutdown(self) -> None:
        """Do nothing: there is no connection pool to close."""

    @override
    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout: object = None,
        write_timeout: object = None,
        connect_timeout: object = None,
        pool_timeout: object = None,
    ) -> tuple[int, bytes]:
        """Route a PTB request to the fake: API methods, and file downloads under /file/bot<token>/."""
        path = urlsplit(url).path
        file_match = _FILE_PATH.search(path)
        if file_match:
            # PTB percent-encodes download URLs, so the token's ':' arrives as %3A.
            if unquote(file_match[1]) != self._api.token:
                return 401, _error_bytes(401, "Unauthorized")
            content = self._api.file_content(file_match[2])
            return (200, content) if content is not None else (404, _error_bytes(404, "Not Found"))
        match = _API_PATH.search(path)
        if match is None:
            return 404, _error_bytes(404, "Not Found")
        if unquote(match[1]) != self._api.token:
            return 401, _error_bytes(401, "Unauthorized")
        params = self._params(request_data)
        long_poll = match[2].lower() == "getupdates"
        if long_poll:
            await self._wait_for_updates(params)
        status, body = self._api.handle(match[2], params, timeout=0.0 if long_poll else None)
        return status, json.dumps(body).encode()

    @staticmethod
    def _params(request_data: RequestData | None) -> dict[str, Any]:
        if request_data is None:
            return {}
        params: dict[str, Any] = dict(request_data.parameters)
        for name, (filename, content, mime_type) in request_data.multipart_data.items():
            data = content if isinstance(content, bytes) else content.read()
            params[name] = UploadedFile(filename, data, mime_type)
        return params

    async def _wait_for_updates(self, params: dict[str, Any]) -> None:
        # Poll instead of blocking on the core's Condition so the event loop keeps running.
        loop = asyncio.get_running_loop()
        deadline = loop.time() + float(params.get("timeout") or 0)
        offset = int(params.get("offset") or 0)
        self._api._poll_waiting(+1)
        try:
            while not self._api._updates_ready(offset) and loop.time() < deadline:  # noqa: ASYNC110
                await asyncio.sleep(_POLL_STEP_SECONDS)
        finally:
            self._api._poll_waiting(-1)


# ---------------------------------------------------------------------- HTTP transport


def _parse_multipart(body: bytes, boundary: bytes) -> dict[str, Any]:
    """Split a multipart/form-data body into text fields and UploadedFile parts."""
    fields: dict[str, Any] = {}
    for part in body.split(b"--" + boundary)[1:]:
        if part.startswith(b"--"):
            break
        head, _, content = part.removeprefix(b"\r\n").partition(b"\r\n\r\n")
        content = content.removesuffix(b"\r\n")
        headers = {}
        for line in head.decode("utf-8", "replace").split("\r\n"):
            key, _, value = line.partition(":")
            headers[key.strip().lower()] = value.strip()
        disposition = headers.get("content-disposition", "")
        name = re.search(r'(?:^|;)\s*name="([^"]*)"', disposition)
        filename = re.search(r'filename="([^"]*)"', disposition)
        if name is None:
            continue
        if filename is not None:
            fields[name[1]] = UploadedFile(unquote(filename[1]), content, headers.get("content-type"))
        else:
            fields[name[1]] = content.decode("utf-8", "replace")
    return fields


class _FakeHTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False
    # socketserver's default backlog of 5 drops connections when several bot processes send at once.
    request_queue_size = 128

    def __init__(self, address: tuple[str, int], api: FakeBotAPI) -> None:
        super().__init__(address, _Handler)
        self.api = api
        self.stopping = threading.Event()
        self._active = 0
        self._idle = threading.Condition()

    def enter(self) -> None:
        with self._idle:
            self._active += 1

    def leave(self) -> None:
        with self._idle:
            self._active -= 1
            self._idle.notify_all()

    def wait_idle(self, timeout: float) -> None:
        with self._idle:
            self._idle.wait_for(lambda: self._active == 0, timeout)

    def handle_error(self, request: Any, client_address: Any) -> None:
        """Log handler failures instead of printing them; a client hanging up is routine."""
        _LOG.debug("fake Telegram server: request from %s failed", client_address, exc_info=True)


class _Handler(BaseHTTPRequestHandler):
    # HTTP/1.0 closes each connection after the response, so nothing lingers when the server stops.
    protocol_version = "HTTP/1.0"
    server_version = "FakeTelegramBotAPI/1.0"

    def do_GET(self) -> None:
        """Serve a Bot API call or a file download."""
        self._serve()

    def do_POST(self) -> None:
        """Serve a Bot API call."""
        self._serve()

    def log_message(self, format: str, *args: Any) -> None:
        """Stay quiet; FakeBotAPI.calls is the request log."""

    def _serve(self) -> None:
        server = self.server
        assert isinstance(server, _FakeHTTPServer)
        server.enter()
        try:
            split = urlsplit(self.path)
            file_match = _FILE_PATH.fullmatch(split.path)
            if file_match:
                self._serve_file(server.api, file_match[1], file_match[2])
                return
            # Read the whole body first: closing a socket with unread input makes the client see a reset.
            try:
                params = self._params(split.query)
            except ValueError:
                self._reply(400, {"ok": False, "error_code": 400, "description": "Bad Request: invalid JSON"})
                return
            match = _API_PATH.fullmatch(split.path)
            if match is None:
                self._reply(404, {"ok": False, "error_code": 404, "description": "Not Found"})
            elif unquote(match[1]) != server.api.token:
                self._reply(401, {"ok": False, "error_code": 401, "description": "Unauthorized"})
            else:
                self._reply(*server.api.handle(match[2], params, cancel=server.stopping))
        finally:
            server.leave()

    def _serve_file(self, api: FakeBotAPI, token: str, file_path: str) -> None:
        content = api.file_content(file_path) if unquote(token) == api.token else None
        if content is None:
            self._reply(404, {"ok": False, "error_code": 404, "description": "Not Found"})
            return
        self._send(200, content, "application/octet-stream")

    def _read_body(self) -> bytes:
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            chunks = []
            while size := int(self.rfile.readline().split(b";")[0].strip() or b"0", 16):
                chunks.append(self.rfile.read(size))
                self.rfile.readline()
            self.rfile.readline()
            return b"".join(chunks)
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def _params(self, query: str) -> dict[str, Any]:
        params: dict[str, Any] = dict(parse_qsl(query, keep_blank_values=True))
        body = self._read_body()
        content_type = self.headers.get("Content-Type", "")
        mime = content_type.split(";", 1)[0].strip().lower()
        if mime == "application/json" and body:
            decoded = json.loads(body)
            if isinstance(decoded, dict):
                params.update(decoded)
        elif mime == "application/x-www-form-urlencoded":
            params.update(parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True))
        elif mime == "multipart/form-data":
            boundary = re.search(r'boundary="?([^";]+)"?', content_type)
            if boundary:
                params.update(_parse_multipart(body, boundary[1].encode()))
        return params

    def _reply(self, status: int, body: dict[str, Any]) -> None:
        self._send(status, json.dumps(body).encode(), "application/json")

    def _send(self, status: int, payload: bytes, content_type: str) -> None:
        try:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)
        except (BrokenPipeError, ConnectionResetError):
            _LOG.debug("fake Telegram server: client went away before the response")


class FakeTelegramServer:
    """Serve a FakeBotAPI over HTTP (stdlib ThreadingHTTPServer) for end-to-end tests."""

    def __init__(self, api: FakeBotAPI, host: str = "127.0.0.1", port: int = 0) -> None:
        self.api = api
        self.host = host
        self.port = port
        self._httpd: _FakeHTTPServer | None = None
        self._thread: threading.Thread | None = None

    @property
    def base_url(self) -> str:
        """Return the Bot API base URL, e.g. http://127.0.0.1:54321/bot (PTB appends the token)."""
        return f"{self._origin()}/bot"

    @property
    def file_base_url(self) -> str:
        """Return the file download base URL, e.g. http://127.0.0.1:54321/file/bot."""
        return f"{self._origin()}/file/bot"

    def _origin(self) -> str:
        if self._httpd is None:
            raise RuntimeError("FakeTelegramServer is not running; call start() first")
        return f"http://{self.host}:{self.port}"

    def start(self) -> None:
        """Bind the socket and serve in a daemon thread."""
        if self._httpd is not None:
            return
        self._httpd = _FakeHTTPServer((self.host, self.port), self.api)
        self.port = int(self._httpd.server_address[1])
        self._thread = threading.Thread(
            target=self._httpd.serve_forever,
            kwargs={"poll_interval": 0.05},
            name=f"fake-telegram-{self.port}",
            daemon=True,
        )
        self._thread.start()

    def stop(self) -> None:
        """Release long polls, stop serving and close the socket."""
        httpd, thread = self._httpd, self._thread
        if httpd is None:
            return
        httpd.stopping.set()
        self.api.notify()
        httpd.shutdown()
        httpd.wait_idle(timeout=5.0)
        httpd.server_close()
        if thread is not None:
            thread.join(timeout=5.0)
        self._httpd = self._thread = None

    def __enter__(self) -> Self:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
