"""The foundation through the real Application (in-process fake Bot API): onboarding, settings, fallbacks."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator

import pytest

from bot.config import Settings
from tests.fakes.harness import BotHarness, running_bot
from tests.fakes.telegram import BotMessage

USER = 501
APOLOGY = "something went wrong"


@pytest.fixture
async def bot(settings: Settings) -> AsyncIterator[BotHarness]:
    async with running_bot(settings) as harness:
        yield harness


def _no_apology(messages: list[BotMessage]) -> None:
    assert all(APOLOGY not in m.plain_text for m in messages), [m.plain_text for m in messages]


async def test_command_menu_is_registered_at_start_up(bot: BotHarness) -> None:
    names = [c["command"] for c in bot.api.commands]
    assert names[:3] == ["emergency", "signs", "check"]
    assert {"start", "help", "settings", "country", "timezone", "cancel", "ask", "topics"} - {"start"} <= set(
        names
    )
    assert "sos" not in names  # an alias: works, but not in the menu


async def test_start_welcomes_shows_disclaimer_and_asks_for_country(bot: BotHarness) -> None:
    replies = await bot.send(USER, "/start")
    assert len(replies) == 2
    welcome, onboarding = replies
    assert "ClotCare" in welcome.plain_text
    assert "not a substitute for medical advice" in welcome.plain_text
    assert "emergency number" in welcome.plain_text
    assert "which country" in onboarding.plain_text.lower()
    labels = [text for row in onboarding.buttons for text, _ in row]
    assert any("United Kingdom" in label for label in labels)
    assert "Skip for now" in labels


async def test_onboarding_country_button_then_timezone_prompt(bot: BotHarness) -> None:
    _, onboarding = await bot.send(USER, "/start")
    replies = await bot.press(USER, onboarding, "United Kingdom")
    assert "United Kingdom" in replies[0].plain_text
    assert "999" in replies[0].plain_text
    # GB has a single zone, so it is set without asking.
    assert "Europe/London" in replies[0].plain_text
    settings = await bot.send(USER, "/settings")
    assert "Europe/London" in settings[0].plain_text


async def test_onboarding_can_be_skipped(bot: BotHarness) -> None:
    _, onboarding = await bot.send(USER, "/start")
    replies = await bot.press(USER, onboarding, "Skip for now")
    assert "112 from a mobile" in replies[0].plain_text


async def test_returning_user_is_welcomed_back(bot: BotHarness) -> None:
    await bot.send(USER, "/start")
    await bot.send(USER, "/country de")
    replies = await bot.send(USER, "/start")
    assert "Welcome back" in replies[0].plain_text
    assert len(replies) == 1  # country and zone known: no onboarding questions


async def test_help_lists_every_registered_command(bot: BotHarness) -> None:
    (reply,) = await bot.send(USER, "/help")
    available = bot.app.bot_data["available_commands"]
    for name in available:
        assert f"/{name}" in reply.plain_text
    assert "not a substitute for medical advice" in reply.plain_text


@pytest.mark.parametrize(
    ("args", "country", "number"),
    [("uk", "United Kingdom", "999"), ("USA", "United States", "911"), ("Germany", "Germany", "112")],
)
async def test_country_by_alias_name_or_code(bot: BotHarness, args: str, country: str, number: str) -> None:
    replies = await bot.send(USER, f"/country {args}")
    assert country in replies[0].plain_text
    assert number in replies[0].plain_text


async def test_country_with_several_zones_asks_for_the_zone(bot: BotHarness) -> None:
    replies = await bot.send(USER, "/country us")
    assert len(replies) == 2
    assert "time zone" in replies[1].plain_text.lower()
    assert replies[1].reply_markup is not None  # the share-location keyboard


async def test_unknown_country_offers_suggestions(bot: BotHarness) -> None:
    (reply,) = await bot.send(USER, "/country germny")
    assert "Did you mean" in reply.plain_text
    replies = await bot.press(USER, reply, "Germany")
    assert "Country set to" in replies[0].plain_text


async def test_country_without_arguments_shows_usage(bot: BotHarness) -> None:
    (reply,) = await bot.send(USER, "/country")
    assert "/country uk" in reply.plain_text


async def test_timezone_by_city_name_offset_and_location(bot: BotHarness) -> None:
    (reply,) = await bot.send(USER, "/timezone berlin")
    assert "Europe/Berlin" in reply.plain_text
    (reply,) = await bot.send(USER, "/timezone UTC+3")
    # Shown the way the person wrote it, never as tzdata's sign-inverted "Etc/GMT-3".
    assert "UTC+3" in reply.plain_text
    assert "3 hours ahead of UTC" in reply.plain_text
    assert "GMT-3" not in reply.plain_text
    assert "daylight saving" in reply.plain_text
    before = len(bot.api.messages(USER))
    await bot.feed(bot.api.user_sends_location(USER, 40.7128, -74.0060))
    (reply,) = bot.api.messages(USER)[before:]
    assert "America/New_York" in reply.plain_text


async def test_timezone_unknown_and_usage(bot: BotHarness) -> None:
    (reply,) = await bot.send(USER, "/timezone narnia")
    assert "couldn't find" in reply.plain_text
    (reply,) = await bot.send(USER, "/timezone")
    assert "/timezone Europe/Berlin" in reply.plain_text


async def test_settings_buttons_start_a_prompt_answered_by_text(bot: BotHarness) -> None:
    (settings_msg,) = await bot.send(USER, "/settings")
    assert "not set" in settings_msg.plain_text
    await bot.press(USER, settings_msg, "Change country")
    replies = await bot.send(USER, "france")
    assert "France" in replies[0].plain_text
    (settings_msg,) = await bot.send(USER, "/settings")
    await bot.press(USER, settings_msg, "Change time zone")
    replies = await bot.send(USER, "Tokyo")
    assert "Asia/Tokyo" in replies[0].plain_text
    (final,) = await bot.send(USER, "/settings")
    assert "France" in final.plain_text
    assert "Asia/Tokyo" in final.plain_text
    assert "112" in final.plain_text


async def test_cancel_leaves_a_prompt(bot: BotHarness) -> None:
    (settings_msg,) = await bot.send(USER, "/settings")
    await bot.press(USER, settings_msg, "Change country")
    (reply,) = await bot.send(USER, "/cancel")
    assert "Stopped" in reply.plain_text
    (reply,) = await bot.send(USER, "/cancel")
    assert "nothing to stop" in reply.plain_text


async def test_unknown_command_and_non_text_messages_get_a_reply(bot: BotHarness) -> None:
    (reply,) = await bot.send(USER, "/frobnicate now")
    assert "/help" in reply.plain_text
    for update in (bot.api.user_sends_sticker(USER), bot.api.user_sends_photo(USER)):
        before = len(bot.api.messages(USER))
        await bot.feed(update)
        (reply,) = bot.api.messages(USER)[before:]
        assert "only read text" in reply.plain_text


HOSTILE = [
    "\u200b\u2060",  # looks empty: Telegram refuses truly blank text, clients still send these
    "x" * 4096,
    "مرحبا هل يمكنني تدليك الجلطة\u200f",
    "he\u200bllo\u200d\u2060 wor\ufeffld",
    "<b>bold</b> & <script>alert(1)</script> &amp; <",
    "'; DROP TABLE users; --",
    "\u202egnp.exe",
    "🩸🦵🫁" * 200,
]


@pytest.mark.parametrize("text", HOSTILE, ids=range(len(HOSTILE)))
async def test_hostile_text_gets_a_reply_and_nothing_crashes(bot: BotHarness, text: str) -> None:
    replies = await bot.send(USER, text)
    assert replies, "the bot must never be silent"
    _no_apology(replies)


@pytest.mark.parametrize(
    "command", ["/country", "/timezone", "/ask", "/settings", "/help", "/start", "/check"]
)
@pytest.mark.parametrize(
    "garbage", ["<>&\"'", "' OR 1=1 --", "\u202e\u200b", "ﷺ" * 300, "/etc/passwd ../../"]
)
async def test_commands_with_garbage_arguments(bot: BotHarness, command: str, garbage: str) -> None:
    replies = await bot.send(USER, f"{command} {garbage}")
    assert replies
    _no_apology(replies)


async def test_forged_settings_callbacks_change_nothing(bot: BotHarness) -> None:
    (settings_msg,) = await bot.send(USER, "/settings")
    for data in ("set:cc:XX", "set:tz:Mars/Base", "set", "set:cc", "zzz:1", "set:cc:GB:extra"):
        await bot.press_data(USER, settings_msg, data)
    (after,) = await bot.send(USER, "/settings")
    assert "Country: not set" in after.plain_text
    answers = bot.api.calls_of("answerCallbackQuery")
    assert len(answers) >= 5  # every press is answered, so the button stops spinning


async def test_errors_are_logged_without_text_and_the_user_gets_an_apology(
    bot: BotHarness, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    def boom(*_args: object, **_kwargs: object) -> None:
        raise RuntimeError("internal failure")

    monkeypatch.setattr(bot.app.bot_data["services"].qa, "ask", boom)
    secret_text = "what is a secret-question-42 about clots"
    with caplog.at_level(logging.INFO):
        replies = await bot.send(USER, secret_text)
    assert any(APOLOGY in m.plain_text for m in replies)
    assert "secret-question-42" not in caplog.text
    assert "RuntimeError" in caplog.text
    assert "123456:TEST-TOKEN" not in caplog.text


@pytest.mark.parametrize(
    "command", ["/settings", "/country uk", "/timezone berlin", "/reminders", "/history"]
)
async def test_personal_commands_in_a_group_ask_for_a_private_chat(bot: BotHarness, command: str) -> None:
    group = -100200300
    await bot.send(USER, "/country de")  # the member's own settings, made in private
    replies = await bot.send(USER, command, chat_id=group, chat_type="group")
    (reply,) = replies
    assert "private chat" in reply.plain_text
    assert "Germany" not in reply.plain_text
    (private,) = await bot.send(USER, "/settings")
    assert "Germany" in private.plain_text  # nothing changed from the group
