"""/emergency, /signs, /check and red-flag replies through the real Application."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from bot.config import Settings
from tests.fakes.harness import BotHarness, running_bot
from tests.fakes.telegram import BotMessage

USER = 601
SIREN = "🚨"
WARNING = "⚠️"


@pytest.fixture
async def bot(settings: Settings) -> AsyncIterator[BotHarness]:
    async with running_bot(settings) as harness:
        yield harness


def _assert_emergency(message: BotMessage, number: str) -> None:
    assert message.plain_text.startswith(SIREN), message.plain_text
    assert number in message.plain_text.splitlines()[0], message.plain_text


def _assert_urgent(message: BotMessage) -> None:
    assert WARNING in message.plain_text
    assert SIREN not in message.plain_text


@pytest.mark.parametrize(
    ("country", "number"), [("GB", "999"), ("US", "911"), ("AU", "000"), ("DE", "112"), ("JP", "119")]
)
async def test_emergency_uses_the_users_number(bot: BotHarness, country: str, number: str) -> None:
    await bot.send(USER, f"/country {country}")
    (reply,) = await bot.send(USER, "/emergency")
    _assert_emergency(reply, number)
    text = reply.plain_text.lower()
    assert "drive" in text
    assert "breath" in text


async def test_sos_is_an_alias_and_unknown_country_gets_112_and_a_button(bot: BotHarness) -> None:
    (reply,) = await bot.send(USER, "/sos")
    _assert_emergency(reply, "112")
    assert "112 from a mobile, or your local emergency number" in reply.plain_text
    follow = await bot.press(USER, reply, "Set my country")
    assert "/country" in follow[0].plain_text


async def test_signs_lists_pe_dvt_and_bleeding_with_the_number(bot: BotHarness) -> None:
    await bot.send(USER, "/country gb")
    (reply,) = await bot.send(USER, "/signs")
    text = reply.plain_text.lower()
    assert "999" in reply.plain_text.splitlines()[0]
    assert "breath" in text
    assert "swelling" in text
    assert "bleeding" in text
    assert "111" in reply.plain_text  # NHS 111 for same-day help


async def _answer_all(bot: BotHarness, answers: dict[str, str], default: str = "No") -> list[BotMessage]:
    """Press the answer for each question until the check ends; return every message it sent."""
    messages = await bot.send(USER, "/check")
    seen: list[BotMessage] = list(messages)
    for _ in range(20):
        last = bot.api.last_message(USER)
        if not last.buttons or not last.buttons[0][0][1].startswith("chk:"):
            return seen
        question_id = last.buttons[0][0][1].split(":")[2]
        new = await bot.press(USER, last, answers.get(question_id, default))
        seen += new
    raise AssertionError("the check did not end")


async def test_check_all_no_is_calm(bot: BotHarness) -> None:
    await bot.send(USER, "/country gb")
    messages = await _answer_all(bot, {})
    result = messages[-1].plain_text
    assert SIREN not in result
    assert WARNING not in result
    assert "No warning signs" in result


async def test_check_pe_yes_stops_at_once_with_emergency(bot: BotHarness) -> None:
    await bot.send(USER, "/country gb")
    messages = await _answer_all(bot, {"chest_pain": "Yes"})
    _assert_emergency(messages[-1], "999")
    asked = [m for m in bot.api.messages(USER) if "Your answer" in m.plain_text]
    assert len(asked) == 2  # breathless (No), chest pain (Yes): nothing more was asked


async def test_check_dvt_yes_is_urgent_and_says_dont_massage(bot: BotHarness) -> None:
    await bot.send(USER, "/country gb")
    messages = await _answer_all(bot, {"thinner": "No", "leg_swelling": "Yes"})
    _assert_urgent(messages[-1])
    text = messages[-1].plain_text.lower()
    assert "today" in text
    assert "massage" in text
    assert "111" in messages[-1].plain_text


async def test_check_asks_bleeding_questions_for_people_on_thinners(bot: BotHarness) -> None:
    messages = await _answer_all(bot, {"thinner": "Yes", "bleeding_stool": "Yes"})
    _assert_emergency(messages[-1], "112")
    # The answer is remembered for next time (the thinner question is not asked again).
    messages = await _answer_all(bot, {})
    assert not any(
        "blood thinner" in m.plain_text.lower() and "Your answer" in m.plain_text for m in messages
    )


async def test_stale_and_forged_check_buttons_are_harmless(bot: BotHarness) -> None:
    await bot.send(USER, "/check")
    first_question = bot.api.last_message(USER)
    await bot.send(USER, "/cancel")
    replies = await bot.press_data(USER, first_question, first_question.buttons[0][0][1])
    assert "check has ended" in replies[0].plain_text
    for forged in ("chk:zzz:breathless:y", "chk:::", "chk:abc:nope:y", "chk"):
        await bot.press_data(USER, first_question, forged)
    assert all(SIREN not in m.plain_text for m in bot.api.messages(USER))


@pytest.mark.parametrize(
    ("text", "level"),
    [
        ("I can't catch my breath and my chest hurts", "emergency"),
        ("im coughing up blood", "emergency"),
        ("my calf is swollen and hot", "urgent"),
        ("what is a DVT?", "info"),
        ("no chest pain, just asking about stockings", "info"),
    ],
)
async def test_free_text_red_flags_come_first(bot: BotHarness, text: str, level: str) -> None:
    await bot.send(USER, "/country us")
    replies = await bot.send(USER, text)
    if level == "emergency":
        assert len(replies) == 1  # nothing dilutes the emergency message
        _assert_emergency(replies[0], "911")
    elif level == "urgent":
        _assert_urgent(replies[0])
    else:
        assert all(SIREN not in m.plain_text and WARNING not in m.plain_text for m in replies)


async def test_photo_caption_with_red_flags_gets_emergency_guidance(bot: BotHarness) -> None:
    before = len(bot.api.messages(USER))
    await bot.feed(bot.api.user_sends_photo(USER, caption="look at my leg, also I can't breathe"))
    (reply,) = bot.api.messages(USER)[before:]
    _assert_emergency(reply, "112")


async def test_safety_features_work_without_a_database(bot: BotHarness) -> None:
    await bot.send(USER, "/country gb")
    await bot.app.bot_data["engine"].dispose()
    broken = bot.app.bot_data["services"].users

    class Down:
        async def __aenter__(self) -> None:
            raise ConnectionRefusedError("database down")

        async def __aexit__(self, *args: object) -> None:
            return None

    broken._uow_factory = Down  # simulate the database going away
    (reply,) = await bot.send(USER, "/emergency")
    _assert_emergency(reply, "999")  # cached country
    (reply,) = await bot.send(USER, "/signs")
    assert "999" in reply.plain_text
    replies = await bot.send(USER, "I'm so short of breath")
    _assert_emergency(replies[0], "999")
    messages = await _answer_all(bot, {"fainting": "Yes"})
    _assert_emergency(messages[-1], "999")
    # A stranger (no cache) still gets the international fallback.
    (reply,) = await bot.send(USER + 1, "/emergency")
    _assert_emergency(reply, "112")
