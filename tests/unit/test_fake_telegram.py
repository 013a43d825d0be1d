"""Tests of the strict fake Telegram Bot API: its rejections, its user simulation and both transports."""

from __future__ import annotations

import asyncio
import html
import json
import threading
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from hypothesis import given
from hypothesis import strategies as st
from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.constants import ParseMode
from telegram.error import BadRequest, Forbidden, InvalidToken, RetryAfter
from telegram.ext import Application, CallbackQueryHandler, ContextTypes, MessageHandler, filters

from tests.fakes.telegram import (
    BotMessage,
    FakeBotAPI,
    FakeRequest,
    FakeTelegramServer,
    UploadedFile,
    make_png,
)
from tests.fakes.telegram_html import parse_html, utf16_len

USER = 1001
OTHER = 2002
NOT_MODIFIED = (
    "Bad Request: message is not modified: specified new message content and reply markup are exactly "
    "the same as a current content and reply markup of the message"
)
TEXT_BUTTONS = (
    "Bad Request: can't parse inline keyboard button: Text buttons are unallowed in the inline keyboard"
)
QUERY_INVALID = "Bad Request: query is too old and response timeout expired or query ID is invalid"


@pytest.fixture
def api() -> FakeBotAPI:
    """Return a fake whose user USER has already written to the bot."""
    fake = FakeBotAPI()
    fake.user_sends(USER, "/start")
    return fake


@pytest.fixture
def server(api: FakeBotAPI) -> Iterator[FakeTelegramServer]:
    """Serve the fake over HTTP for the duration of a test."""
    with FakeTelegramServer(api) as running:
        yield running


def send(api: FakeBotAPI, text: str, **params: Any) -> tuple[int, dict[str, Any]]:
    """Call sendMessage to USER with text and extra params."""
    return api.handle("sendMessage", {"chat_id": USER, "text": text, **params})


def error(response: tuple[int, dict[str, Any]]) -> str:
    """Return the description of a failed response (and check its shape)."""
    status, body = response
    assert body["ok"] is False
    assert body["error_code"] == status
    return str(body["description"])


def keyboard(*buttons: dict[str, Any]) -> dict[str, Any]:
    """Return an inline keyboard with one row of buttons."""
    return {"inline_keyboard": [list(buttons)]}


def ptb_bot(api: FakeBotAPI) -> Bot:
    """Return a PTB Bot wired to the fake in-process."""
    return Bot(api.token, request=FakeRequest(api), get_updates_request=FakeRequest(api))


def application(api: FakeBotAPI) -> Application[Any, Any, Any, Any, Any, Any]:
    """Return a PTB Application wired to the fake in-process."""
    return (
        Application.builder()
        .token(api.token)
        .request(FakeRequest(api))
        .get_updates_request(FakeRequest(api))
        .build()
    )


# ---------------------------------------------------------------------- sendMessage strictness


def test_missing_chat_id_is_rejected_with_telegrams_exact_body() -> None:
    api = FakeBotAPI()
    assert api.handle("sendMessage", {"text": "hi"}) == (
        400,
        {"ok": False, "error_code": 400, "description": "Bad Request: chat_id is empty"},
    )


def test_chat_that_never_wrote_to_the_bot_is_not_found(api: FakeBotAPI) -> None:
    assert error(api.handle("sendMessage", {"chat_id": OTHER, "text": "hi"})) == "Bad Request: chat not found"
    assert (
        error(api.handle("sendMessage", {"chat_id": "@nobody", "text": "hi"}))
        == "Bad Request: chat not found"
    )


@pytest.mark.parametrize("params", [{}, {"text": ""}], ids=["missing", "empty"])
def test_empty_text_is_rejected(api: FakeBotAPI, params: dict[str, Any]) -> None:
    assert (
        error(api.handle("sendMessage", {"chat_id": USER, **params})) == "Bad Request: message text is empty"
    )


@pytest.mark.parametrize(
    ("text", "parse_mode"),
    [("   \n ", None), ("<b> </b>\n", "HTML"), ("<i></i>", "HTML")],
    ids=["whitespace", "tags-and-whitespace", "tags-only"],
)
def test_text_that_is_empty_after_parsing_is_rejected(
    api: FakeBotAPI, text: str, parse_mode: str | None
) -> None:
    params = {"parse_mode": parse_mode} if parse_mode else {}
    assert error(send(api, text, **params)) == "Bad Request: text must be non-empty"


def test_length_limit_counts_utf16_units_after_entity_parsing(api: FakeBotAPI) -> None:
    assert send(api, "x" * 4096)[0] == 200
    assert send(api, "<b>" + "x" * 4096 + "</b>", parse_mode="HTML")[0] == 200
    assert send(api, "😀" * 2048)[0] == 200  # each emoji is a surrogate pair: 2 units
    assert error(send(api, "x" * 4097)) == "Bad Request: message is too long"
    assert error(send(api, "😀" * 2048 + "x")) == "Bad Request: message is too long"


@pytest.mark.parametrize(
    ("source", "description"),
    [
        ("<foo>x</foo>", 'Unsupported start tag "foo" at byte offset 0'),
        ("ok <script>x</script>", 'Unsupported start tag "script" at byte offset 3'),
        ("é <p>x</p>", 'Unsupported start tag "p" at byte offset 3'),  # byte offsets, not characters
        ("<b>unclosed", 'Can\'t find end tag corresponding to start tag "b"'),
        ("<b><i>x</b></i>", 'Unmatched end tag at byte offset 7, expected "</i>", found "</b>"'),
        ("</b>", "Unexpected end tag at byte offset 0"),
        ("1 < 2", 'Unsupported start tag "" at byte offset 2'),
        ("1<2", "Unclosed start tag at byte offset 1"),
        ("<br/>", 'Unsupported start tag "br/" at byte offset 0'),
        ("<span>x</span>", 'Tag "span" must have class "tg-spoiler" at byte offset 0'),
        ('<tg-emoji emoji-id="x">y</tg-emoji>', "Invalid custom emoji identifier specified"),
        ("AT&T", 'Unescaped "&"'),
    ],
)
def test_invalid_html_is_rejected_with_telegrams_wording(
    api: FakeBotAPI, source: str, description: str
) -> None:
    assert error(send(api, source, parse_mode="HTML")).startswith(
        f"Bad Request: can't parse entities: {description}"
    )


def test_supported_html_becomes_plain_text_and_entities(api: FakeBotAPI) -> None:
    source = (
        '<b>Bold</b> <i>it</i> <u>u</u> <s>s</s> <span class="tg-spoiler">sp</span> '
        '<a href="https://example.org/?a=1&amp;b=2">link</a> <code>c</code> '
        '<pre><code class="language-python">p</code></pre> <blockquote expandable>q</blockquote> '
        "&lt;3 &quot;&#169;&#x41;&quot; 😀<tg-spoiler>!</tg-spoiler>"
    )
    status, body = send(api, source, parse_mode=ParseMode.HTML)
    assert status == 200
    message = body["result"]
    assert message["text"] == 'Bold it u s sp link c p q <3 "©A" 😀!'
    kinds = {(e["type"], e.get("url") or e.get("language")) for e in message["entities"]}
    assert kinds == {
        ("bold", None),
        ("italic", None),
        ("underline", None),
        ("strikethrough", None),
        ("spoiler", None),
        ("text_link", "https://example.org/?a=1&b=2"),
        ("code", None),
        ("pre", "python"),
        ("expandable_blockquote", None),
    }
    last = message["entities"][-1]
    assert (last["type"], last["offset"]) == ("spoiler", utf16_len(message["text"]) - 1)


def test_bare_ampersand_can_be_allowed_like_real_telegram() -> None:
    api = FakeBotAPI(strict_ampersand=False)
    api.user_sends(USER, "hi")
    assert send(api, "R&D <b>ok</b>", parse_mode="HTML")[1]["result"]["text"] == "R&D ok"


def test_without_parse_mode_tags_are_literal_text(api: FakeBotAPI) -> None:
    assert send(api, "<b>x</b> & y")[1]["result"]["text"] == "<b>x</b> & y"


def test_other_parse_modes_are_refused(api: FakeBotAPI) -> None:
    assert "only implements parse_mode HTML" in error(send(api, "*x*", parse_mode="MarkdownV2"))
    assert error(send(api, "x", parse_mode="INVALID")) == "Bad Request: unsupported parse_mode"


@given(st.text(), st.text())
def test_escaped_text_round_trips_with_utf16_offsets(before: str, inside: str) -> None:
    parsed = parse_html(f"{html.escape(before)}<b>{html.escape(inside)}</b>")
    assert parsed.text == before + inside
    expected = [{"type": "bold", "offset": utf16_len(before), "length": utf16_len(inside)}] if inside else []
    assert parsed.entities == expected


# ---------------------------------------------------------------------- reply markup strictness


@pytest.mark.parametrize(
    ("button", "description"),
    [
        ({"text": "x", "callback_data": "d" * 65}, "Bad Request: BUTTON_DATA_INVALID"),
        ({"text": "x", "callback_data": "é" * 33}, "Bad Request: BUTTON_DATA_INVALID"),  # 66 bytes
        (
            {"text": "x", "callback_data": ""},
            TEXT_BUTTONS,
        ),
        (
            {"text": "x"},
            TEXT_BUTTONS,
        ),
        (
            {"callback_data": "x"},
            "Bad Request: can't parse inline keyboard button: Can't find field \"text\"",
        ),
        ({"text": " ", "callback_data": "x"}, "Bad Request: BUTTON_TEXT_INVALID"),
        (
            {"text": "x", "url": "not-a-url"},
            "Bad Request: inline keyboard button URL 'not-a-url' is invalid: Wrong HTTP URL",
        ),
        (
            {"text": "x", "url": "ftp://example.com"},
            "Bad Request: inline keyboard button URL 'ftp://example.com' is invalid: "
            "Unsupported URL protocol",
        ),
    ],
)
def test_invalid_inline_buttons_are_rejected(
    api: FakeBotAPI, button: dict[str, Any], description: str
) -> None:
    assert error(send(api, "pick", reply_markup=keyboard(button))) == description


def test_a_button_with_two_actions_is_rejected(api: FakeBotAPI) -> None:
    button = {"text": "x", "callback_data": "a", "url": "https://example.com"}
    assert "exactly one of url, callback_data" in error(send(api, "pick", reply_markup=keyboard(button)))


@pytest.mark.parametrize(
    "button",
    [
        {"text": "x", "callback_data": "d" * 64},
        {"text": "x", "callback_data": "é" * 32},
        {"text": "x", "url": "https://example.com/path?q=1"},
        {"text": "x", "url": "tg://resolve?domain=ClotCareBot"},
    ],
)
def test_valid_inline_buttons_are_accepted(api: FakeBotAPI, button: dict[str, Any]) -> None:
    status, body = send(api, "pick", reply_markup=keyboard(button))
    assert status == 200
    assert body["result"]["reply_markup"] == keyboard(button)


def test_form_encoded_json_fields_decode_like_native_ones(api: FakeBotAPI) -> None:
    markup = keyboard({"text": "Yes", "callback_data": "chk:y"})
    status, body = api.handle(
        "sendMessage", {"chat_id": str(USER), "text": "ok?", "reply_markup": json.dumps(markup)}
    )
    assert status == 200
    assert body["result"]["reply_markup"] == markup
    call = api.calls_of("sendMessage")[-1]
    assert call.params["chat_id"] == USER
    assert call.params["reply_markup"] == markup
    bad_json = api.handle("sendMessage", {"chat_id": USER, "text": "x", "reply_markup": "{"})
    assert error(bad_json) == "Bad Request: can't parse reply keyboard markup JSON object"


# ---------------------------------------------------------------------- edits, deletes, callbacks


def test_editing_unknown_or_foreign_messages_fails(api: FakeBotAPI) -> None:
    edit = {"chat_id": USER, "message_id": 999, "text": "new"}
    assert error(api.handle("editMessageText", edit)) == "Bad Request: message to edit not found"
    user_message_id = 1  # the fixture's /start
    foreign = {"chat_id": USER, "message_id": user_message_id, "text": "new"}
    assert error(api.handle("editMessageText", foreign)) == "Bad Request: message can't be edited"


def test_identical_edit_is_not_modified_but_dropping_the_keyboard_is_a_change(api: FakeBotAPI) -> None:
    markup = keyboard({"text": "Yes", "callback_data": "y"})
    message_id = send(api, "<b>Q</b>", parse_mode="HTML", reply_markup=markup)[1]["result"]["message_id"]
    same = {"chat_id": USER, "message_id": message_id, "parse_mode": "HTML", "reply_markup": markup}
    # Different HTML source, same resulting text and entities: Telegram compares the result.
    assert error(api.handle("editMessageText", same | {"text": "<strong>Q</strong>"})) == NOT_MODIFIED
    assert (
        api.handle(
            "editMessageText",
            {"chat_id": USER, "message_id": message_id, "text": "<b>Q</b>", "parse_mode": "HTML"},
        )[0]
        == 200
    )
    assert api.last_message(USER).reply_markup is None
    assert api.last_message(USER).edited


def test_a_reply_keyboard_is_not_part_of_the_message(api: FakeBotAPI) -> None:
    location = {"keyboard": [[{"text": "Share location", "request_location": True}]], "resize_keyboard": True}
    status, body = send(api, "Where are you?", reply_markup=location)
    assert status == 200
    assert "reply_markup" not in body["result"]
    assert api.last_message(USER).reply_markup == location
    same = {"chat_id": USER, "message_id": body["result"]["message_id"], "text": "Where are you?"}
    assert error(api.handle("editMessageText", same)) == NOT_MODIFIED
    assert error(api.handle("editMessageText", same | {"reply_markup": location})).endswith(
        "inline keyboard expected"
    )


def test_edit_reply_markup_not_modified(api: FakeBotAPI) -> None:
    message_id = send(api, "plain")[1]["result"]["message_id"]
    target = {"chat_id": USER, "message_id": message_id}
    assert error(api.handle("editMessageReplyMarkup", target)) == NOT_MODIFIED
    markup = keyboard({"text": "Go", "callback_data": "go"})
    assert api.handle("editMessageReplyMarkup", target | {"reply_markup": markup})[0] == 200
    assert api.last_message(USER).buttons == [[("Go", "go")]]


def test_deleted_messages_leave_the_transcript(api: FakeBotAPI) -> None:
    message_id = send(api, "temporary")[1]["result"]["message_id"]
    target = {"chat_id": USER, "message_id": message_id}
    assert api.handle("deleteMessage", target) == (200, {"ok": True, "result": True})
    assert api.messages(USER) == []
    assert [m.deleted for m in api.messages(USER, include_deleted=True)] == [True]
    assert error(api.handle("deleteMessage", target)) == "Bad Request: message to delete not found"


def test_answer_callback_query_once_only(api: FakeBotAPI) -> None:
    message_id = send(api, "?", reply_markup=keyboard({"text": "A", "callback_data": "a"}))[1]["result"][
        "message_id"
    ]
    query_id = api.user_presses(USER, message_id, "a")["callback_query"]["id"]
    assert error(api.handle("answerCallbackQuery", {"callback_query_id": "nope"})) == QUERY_INVALID
    too_long = {"callback_query_id": query_id, "text": "x" * 201}
    assert error(api.handle("answerCallbackQuery", too_long)) == "Bad Request: MESSAGE_TOO_LONG"
    assert api.handle("answerCallbackQuery", {"callback_query_id": query_id, "text": "ok"})[0] == 200
    assert api.callback_answers[query_id] == {"text": "ok"}
    assert error(api.handle("answerCallbackQuery", {"callback_query_id": query_id})) == QUERY_INVALID


def test_pressing_a_button_the_message_does_not_show_is_a_test_bug(api: FakeBotAPI) -> None:
    message_id = send(api, "?", reply_markup=keyboard({"text": "A", "callback_data": "a"}))[1]["result"][
        "message_id"
    ]
    with pytest.raises(AssertionError, match="shows no button"):
        api.user_presses(USER, message_id, "forged")
    update = api.user_presses(USER, message_id, "forged", require_button=False)
    assert update["callback_query"]["data"] == "forged"
    assert update["callback_query"]["message"]["reply_markup"] == keyboard(
        {"text": "A", "callback_data": "a"}
    )


# ---------------------------------------------------------------------- commands, actions, media


@pytest.mark.parametrize(
    ("command", "description"),
    [
        ({"command": "Start", "description": "d"}, "Bad Request: BOT_COMMAND_INVALID"),
        ({"command": "bad command", "description": "d"}, "Bad Request: BOT_COMMAND_INVALID"),
        ({"command": "/start", "description": "d"}, "Bad Request: BOT_COMMAND_INVALID"),
        ({"command": "a" * 33, "description": "d"}, "Bad Request: BOT_COMMAND_INVALID"),
        ({"command": "", "description": "d"}, "Bad Request: command must be non-empty"),
        ({"command": "start", "description": ""}, "Bad Request: command description must be non-empty"),
        ({"command": "start", "description": "d" * 257}, "Bad Request: BOT_COMMAND_DESCRIPTION_INVALID"),
        ({"command": "start"}, "Bad Request: can't parse BotCommand: Can't find field \"description\""),
    ],
)
def test_invalid_commands_are_rejected(command: dict[str, str], description: str) -> None:
    api = FakeBotAPI()
    assert error(api.handle("setMyCommands", {"commands": [command]})) == description
    assert api.commands == []


def test_commands_round_trip_per_scope() -> None:
    api = FakeBotAPI()
    commands = [{"command": f"c{i}", "description": "d" * 256} for i in range(100)]
    assert api.handle("setMyCommands", {"commands": json.dumps(commands)})[0] == 200
    assert api.commands == commands
    assert api.handle("getMyCommands", {})[1]["result"] == commands
    assert api.handle("getMyCommands", {"language_code": "de"})[1]["result"] == []
    too_many = [*commands, {"command": "extra", "description": "d"}]
    assert error(api.handle("setMyCommands", {"commands": too_many})) == "Bad Request: BOT_COMMANDS_TOO_MUCH"
    assert api.handle("deleteMyCommands", {})[0] == 200
    assert api.commands == []


def test_chat_action_must_be_known(api: FakeBotAPI) -> None:
    assert api.handle("sendChatAction", {"chat_id": USER, "action": "typing"})[0] == 200
    bad = {"chat_id": USER, "action": "dancing"}
    assert error(api.handle("sendChatAction", bad)) == "Bad Request: wrong parameter action in request"


def test_media_need_the_file_and_a_short_caption(api: FakeBotAPI) -> None:
    no_file = api.handle("sendDocument", {"chat_id": USER})
    assert error(no_file) == "Bad Request: there is no document in the request"
    upload = UploadedFile("report.pdf", b"%PDF-1.4", "application/pdf")
    long_caption = {"chat_id": USER, "document": upload, "caption": "c" * 1025}
    assert error(api.handle("sendDocument", long_caption)) == "Bad Request: message caption is too long"
    not_an_image = {"chat_id": USER, "photo": UploadedFile("x.png", b"not an image")}
    assert error(api.handle("sendPhoto", not_an_image)) == "Bad Request: IMAGE_PROCESS_FAILED"
    too_thin = {"chat_id": USER, "photo": UploadedFile("x.png", make_png(100, 4))}
    assert error(api.handle("sendPhoto", too_thin)) == "Bad Request: PHOTO_INVALID_DIMENSIONS"
    ok = api.handle(
        "sendPhoto", {"chat_id": USER, "photo": UploadedFile("c.png", make_png(8, 6)), "caption": "c"}
    )
    assert ok[1]["result"]["photo"][0]["width"] == 8
    assert api.last_message(USER).photo == make_png(8, 6)
    assert api.last_message(USER).plain_text == "c"


# ---------------------------------------------------------------------- blocking and fault injection


def test_blocked_user_gets_403_until_they_write_again(api: FakeBotAPI) -> None:
    api.block(USER)
    assert send(api, "hi") == (
        403,
        {"ok": False, "error_code": 403, "description": "Forbidden: bot was blocked by the user"},
    )
    assert api.pending_updates()[-1]["my_chat_member"]["new_chat_member"]["status"] == "kicked"
    api.user_sends(USER, "/start")
    assert send(api, "welcome back")[0] == 200


def test_fail_next_injects_rate_limits_and_gateway_errors(api: FakeBotAPI) -> None:
    api.fail_next("sendMessage", 429, "Too Many Requests: retry after 7", retry_after=7, times=2)
    api.fail_next("sendmessage", 502, "Bad Gateway")
    rate_limited = {
        "ok": False,
        "error_code": 429,
        "description": "Too Many Requests: retry after 7",
        "parameters": {"retry_after": 7},
    }
    assert send(api, "a") == (429, rate_limited)
    assert send(api, "a") == (429, rate_limited)
    assert send(api, "a") == (502, {"ok": False, "error_code": 502, "description": "Bad Gateway"})
    assert send(api, "a")[0] == 200
    assert [call.ok for call in api.calls_of("sendMessage")] == [False, False, False, True]
    assert len(api.messages(USER)) == 1
    with pytest.raises(ValueError, match="does not implement"):
        api.fail_next("sendSticker", 500, "Internal Server Error")


def test_unknown_methods_are_404_and_names_are_case_insensitive(api: FakeBotAPI) -> None:
    assert api.handle("sendSticker", {}) == (
        404,
        {"ok": False, "error_code": 404, "description": "Not Found"},
    )
    assert api.handle("GETME", {})[1]["result"]["username"] == "ClotCareBot"
    assert api.calls_of("getMe")[0].method == "getMe"


# ---------------------------------------------------------------------- user simulation and updates


def test_commands_get_a_bot_command_entity_and_ids_are_shared_per_chat() -> None:
    api = FakeBotAPI()
    first = api.user_sends(USER, "/country@ClotCareBot uk")["message"]
    assert first["message_id"] == 1
    assert first["entities"] == [{"type": "bot_command", "offset": 0, "length": len("/country@ClotCareBot")}]
    assert first["chat"] == {"id": USER, "type": "private", "first_name": "Test"}
    assert "entities" not in api.user_sends(USER, "hello /start")["message"]
    assert send(api, "reply")[1]["result"]["message_id"] == 3
    assert api.user_sends_location(USER, 51.5, -0.12)["message"]["message_id"] == 4
    group = api.user_sends(USER, "/help", chat_id=-100, chat_type="supergroup")["message"]
    assert (group["message_id"], group["chat"]["type"]) == (1, "supergroup")


def test_user_media_and_edits_build_realistic_updates(api: FakeBotAPI) -> None:
    sticker = api.user_sends_sticker(USER)["message"]["sticker"]
    assert sticker["type"] == "regular"
    photo = api.user_sends_photo(USER, caption="leg")["message"]
    assert photo["caption"] == "leg"
    file_id = photo["photo"][0]["file_id"]
    path = api.handle("getFile", {"file_id": file_id})[1]["result"]["file_path"]
    assert api.file_content(path) == make_png(4, 3)
    edited = api.user_edits_message(USER, 1, "/start again")["edited_message"]
    assert (edited["text"], "edit_date" in edited) == ("/start again", True)
    ids = [update["update_id"] for update in api.pending_updates()]
    assert ids == sorted(ids)
    assert len(set(ids)) == len(ids)


def test_get_updates_confirms_with_offset_and_honours_limit(api: FakeBotAPI) -> None:
    api.user_sends(USER, "two")
    api.user_sends(USER, "three")
    first_two = api.handle("getUpdates", {"limit": 2})[1]["result"]
    assert [u["message"]["text"] for u in first_two] == ["/start", "two"]
    rest = api.handle("getUpdates", {"offset": first_two[-1]["update_id"] + 1})[1]["result"]
    assert [u["message"]["text"] for u in rest] == ["three"]
    assert api.handle("getUpdates", {"offset": rest[-1]["update_id"] + 1})[1]["result"] == []


def test_get_updates_long_polls_until_an_update_arrives() -> None:
    api = FakeBotAPI()
    timer = threading.Timer(0.05, api.user_sends, args=(USER, "late"))
    started = time.monotonic()
    timer.start()
    status, body = api.handle("getUpdates", {"timeout": 5})
    timer.join()
    assert status == 200
    assert [u["message"]["text"] for u in body["result"]] == ["late"]
    assert time.monotonic() - started < 2
    assert api.handle("getUpdates", {"offset": 2, "timeout": 0.05})[1]["result"] == []


def test_a_second_poller_terminates_the_first_with_a_conflict() -> None:
    api = FakeBotAPI()
    outcome: list[tuple[int, dict[str, Any]]] = []
    first = threading.Thread(target=lambda: outcome.append(api.handle("getUpdates", {"timeout": 5})))
    first.start()
    time.sleep(0.05)  # let the first poller start waiting
    assert api.handle("getUpdates", {})[0] == 200
    first.join(timeout=2)
    assert outcome[0][0] == 409
    assert error(outcome[0]).startswith("Conflict: terminated by other getUpdates request")


def test_get_updates_conflicts_with_an_active_webhook() -> None:
    api = FakeBotAPI()
    assert error(api.handle("setWebhook", {"url": "http://insecure"})).startswith("Bad Request: bad webhook")
    assert api.handle("setWebhook", {"url": "https://example.com/hook"})[0] == 200
    assert api.handle("getWebhookInfo", {})[1]["result"]["url"] == "https://example.com/hook"
    assert api.handle("getUpdates", {})[0] == 409
    assert api.handle("deleteWebhook", {"drop_pending_updates": "true"})[0] == 200
    assert api.handle("getUpdates", {})[1]["result"] == []


def test_wait_for_messages_reports_what_it_has_on_timeout(api: FakeBotAPI) -> None:
    send(api, "only one")
    with pytest.raises(AssertionError, match=r"expected >= 2 bot messages .* got 1: \['only one'\]"):
        api.wait_for_messages(USER, 2, timeout=0.05)
    threading.Timer(0.02, send, args=(api, "second")).start()
    assert [m.plain_text for m in api.wait_for_messages(USER, 2, timeout=2)] == ["only one", "second"]


# ---------------------------------------------------------------------- PTB in-process


async def test_ptb_bot_round_trip_in_process(api: FakeBotAPI) -> None:
    markup = InlineKeyboardMarkup([[InlineKeyboardButton("Yes", callback_data="chk:y")]])
    async with ptb_bot(api) as bot:
        assert bot.username == "ClotCareBot"
        sent = await bot.send_message(
            USER, "<b>Hello</b> &amp; welcome", parse_mode=ParseMode.HTML, reply_markup=markup
        )
        assert sent.text == "Hello & welcome"
        assert sent.entities[0].type == "bold"
        assert sent.reply_markup == markup
        edited = await bot.edit_message_text(
            "<i>Bye</i>", USER, sent.message_id, parse_mode=ParseMode.HTML, reply_markup=markup
        )
        assert isinstance(edited, type(sent))
        with pytest.raises(BadRequest, match="Message is not modified"):
            await bot.edit_message_text(
                "<i>Bye</i>", USER, sent.message_id, parse_mode=ParseMode.HTML, reply_markup=markup
            )
        with pytest.raises(BadRequest, match=r"(?i)unsupported start tag"):
            await bot.send_message(USER, "<p>no</p>", parse_mode=ParseMode.HTML)
    message = api.last_message(USER)
    assert (message.text, message.plain_text, message.edited) == ("<i>Bye</i>", "Bye", True)
    assert message.button_data("Yes") == "chk:y"


async def test_ptb_sees_forbidden_and_retry_after(api: FakeBotAPI) -> None:
    async with ptb_bot(api) as bot:
        api.fail_next("sendMessage", 429, "Too Many Requests: retry after 3", retry_after=3)
        with pytest.raises(RetryAfter, match="Retry in 3"):
            await bot.send_message(USER, "x")
        api.block(USER)
        with pytest.raises(Forbidden, match="bot was blocked by the user"):
            await bot.send_message(USER, "x")


async def test_ptb_send_document_and_download_in_process(api: FakeBotAPI) -> None:
    payload = bytes(range(256)) * 3 + b"\r\n--not-a-boundary\r\n"
    async with ptb_bot(api) as bot:
        sent = await bot.send_document(
            USER, payload, filename="summary.pdf", caption="<b>PDF</b>", parse_mode=ParseMode.HTML
        )
        assert sent.document is not None
        assert sent.caption == "PDF"
        downloaded = await (await bot.get_file(sent.document.file_id)).download_as_bytearray()
    assert bytes(downloaded) == payload
    assert api.last_message(USER).document == ("summary.pdf", payload)


async def test_ptb_get_updates_long_poll_in_process() -> None:
    api = FakeBotAPI()
    async with ptb_bot(api) as bot:
        loop = asyncio.get_running_loop()
        loop.call_later(0.05, api.user_sends, USER, "hello")
        started = loop.time()
        updates = await bot.get_updates(timeout=5)
        assert loop.time() - started < 2
        assert updates[0].message is not None
        assert updates[0].message.text == "hello"


async def test_application_echo_via_process_update(api: FakeBotAPI) -> None:
    async def echo(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Echo the text back in bold."""
        assert update.effective_message is not None
        await update.effective_message.reply_text(
            f"<b>{html.escape(update.effective_message.text or '')}</b>", parse_mode=ParseMode.HTML
        )

    app = application(api)
    app.add_handler(MessageHandler(filters.TEXT & ~filters.COMMAND, echo))
    async with app:
        await app.process_update(Update.de_json(api.user_sends(USER, "I'm <fine> & well"), app.bot))
    assert [m.plain_text for m in api.messages(USER)] == ["I'm <fine> & well"]


async def test_application_callback_query_round_trip(api: FakeBotAPI) -> None:
    seen: list[str | None] = []

    async def on_press(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Record the data, answer the query, then try answering again."""
        query = update.callback_query
        assert query is not None
        seen.append(query.data)
        await query.answer("Saved")
        with pytest.raises(BadRequest, match="query is too old"):
            await query.answer()

    app = application(api)
    app.add_handler(CallbackQueryHandler(on_press))
    async with app:
        markup = InlineKeyboardMarkup([[InlineKeyboardButton("Daily", callback_data="rem:daily")]])
        sent = await app.bot.send_message(USER, "How often?", reply_markup=markup)
        await app.process_update(
            Update.de_json(api.user_presses(USER, sent.message_id, "rem:daily"), app.bot)
        )
    assert seen == ["rem:daily"]
    assert [call.ok for call in api.calls_of("answerCallbackQuery")] == [True, False]


async def test_application_polling_in_process(api: FakeBotAPI) -> None:
    async def echo(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Echo the text back."""
        assert update.effective_message is not None
        await update.effective_message.reply_text(update.effective_message.text or "")

    app = application(api)
    app.add_handler(MessageHandler(filters.TEXT & ~filters.COMMAND, echo))
    async with app:
        await app.bot.set_my_commands([("start", "Start ClotCare")])
        assert app.updater is not None
        await app.updater.start_polling(drop_pending_updates=True)
        await app.start()
        api.user_sends(USER, "ping")
        messages = await api.wait_for_messages_async(USER, 1, timeout=5)
        await app.updater.stop()
        await app.stop()
    assert [m.plain_text for m in messages] == ["ping"]
    assert api.commands == [{"command": "start", "description": "Start ClotCare"}]


# ---------------------------------------------------------------------- PTB over HTTP


async def test_ptb_over_http_send_receive_and_upload(api: FakeBotAPI, server: FakeTelegramServer) -> None:
    payload = b"\x00\x01binary\r\n\r\n--x" * 50
    bot = Bot(api.token, base_url=server.base_url, base_file_url=server.file_base_url)
    async with bot:
        assert (await bot.get_me()).id == api.bot_id
        markup = InlineKeyboardMarkup([[InlineKeyboardButton("Yes", callback_data="y")]])
        sent = await bot.send_message(USER, "<b>hi</b>", parse_mode=ParseMode.HTML, reply_markup=markup)
        assert (sent.text, sent.reply_markup) == ("hi", markup)
        with pytest.raises(BadRequest, match=r"(?i)button_data_invalid"):
            await bot.send_message(
                USER,
                "x",
                reply_markup=InlineKeyboardMarkup([[InlineKeyboardButton("x", callback_data="d" * 65)]]),
            )
        doc = await bot.send_document(
            USER, payload, filename="data.bin", caption="<i>raw</i>", parse_mode=ParseMode.HTML
        )
        assert doc.document is not None
        downloaded = await (await bot.get_file(doc.document.file_id)).download_as_bytearray()
        assert bytes(downloaded) == payload
        confirmed = await bot.get_updates()
        threading.Timer(0.05, api.user_sends, args=(USER, "over http")).start()
        updates = await bot.get_updates(offset=confirmed[-1].update_id + 1, timeout=5)
        assert [u.message.text for u in updates if u.message] == ["over http"]
    assert api.last_message(USER).document == ("data.bin", payload)
    assert api.calls_of("sendMessage")[0].params["reply_markup"] == markup.to_dict()


async def test_http_rejects_wrong_token_and_unknown_paths(
    api: FakeBotAPI, server: FakeTelegramServer
) -> None:
    with pytest.raises(InvalidToken, match="rejected by the server"):
        async with Bot("999:WRONG", base_url=server.base_url):
            pass  # initialize() calls getMe
    async with httpx.AsyncClient() as client:
        wrong = await client.post(f"{server.base_url}999:WRONG/getMe")
        assert (wrong.status_code, wrong.json()) == (
            401,
            {"ok": False, "error_code": 401, "description": "Unauthorized"},
        )
        unknown = await client.get(f"{server.base_url}{api.token}/sendSticker")
        assert unknown.status_code == 404
        as_json = await client.post(
            f"{server.base_url}{api.token}/sendMessage", json={"chat_id": USER, "text": ""}
        )
        assert as_json.json()["description"] == "Bad Request: message text is empty"
        form = await client.post(
            f"{server.base_url}{api.token}/sendMessage",
            data={
                "chat_id": str(USER),
                "text": "f",
                "reply_markup": json.dumps(keyboard({"text": "a", "url": "x"})),
            },
        )
        assert (
            form.json()["description"]
            == "Bad Request: inline keyboard button URL 'x' is invalid: Wrong HTTP URL"
        )


async def test_application_polling_over_http(api: FakeBotAPI, server: FakeTelegramServer) -> None:
    async def echo(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Echo the text back."""
        assert update.effective_message is not None
        await update.effective_message.reply_text(update.effective_message.text or "")

    app = Application.builder().token(api.token).base_url(server.base_url).build()
    app.add_handler(MessageHandler(filters.TEXT & ~filters.COMMAND, echo))
    async with app:
        assert app.updater is not None
        await app.updater.start_polling(timeout=5)
        await app.start()
        api.user_sends(USER, "ping over http")
        messages = await api.wait_for_messages_async(USER, 1, timeout=5)
        await app.updater.stop()
        await app.stop()
    assert [m.plain_text for m in messages] == ["ping over http"]
    # PTB's closing getUpdates confirmed everything it processed.
    assert api.pending_updates() == []


def test_stopping_the_server_releases_a_waiting_long_poll(api: FakeBotAPI) -> None:
    server = FakeTelegramServer(api)
    server.start()
    url = f"{server.base_url}{api.token}/getUpdates"
    api.handle("getUpdates", {"offset": 2})  # confirm the fixture's /start so the poll has to wait
    results: list[httpx.Response] = []
    poller = threading.Thread(
        target=lambda: results.append(httpx.post(url, data={"offset": "2", "timeout": "30"}))
    )
    started = time.monotonic()
    poller.start()
    api.wait_until_polling(timeout=5)
    server.stop()
    poller.join(timeout=5)
    assert time.monotonic() - started < 3
    assert results[0].json() == {"ok": True, "result": []}


def test_bot_message_helpers() -> None:
    message = BotMessage(
        1,
        USER,
        "t",
        "t",
        keyboard({"text": "A", "callback_data": "a"}, {"text": "B", "url": "https://x.org"}),
    )
    assert message.buttons == [[("A", "a"), ("B", "")]]
    with pytest.raises(AssertionError, match="no callback button 'B'"):
        message.button_data("B")
