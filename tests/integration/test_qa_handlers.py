"""Questions, /ask and /topics through the real Application."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from bot.config import Settings
from bot.handlers.qa import FOLLOW_UP_SECONDS, LAST_TOPIC_KEY, recall_topic, remember_topic
from tests.fakes.harness import BotHarness, running_bot
from tests.fakes.telegram_html import utf16_len

USER = 701


@pytest.fixture
async def bot(settings: Settings) -> AsyncIterator[BotHarness]:
    async with running_bot(settings) as harness:
        yield harness


async def test_massage_question_gets_a_clear_no(bot: BotHarness) -> None:
    (reply,) = await bot.send(USER, "can i massage a blood clot away")
    assert reply.plain_text.splitlines()[0] == "Can I massage a blood clot away?"
    assert "No" in reply.plain_text
    assert "lungs" in reply.plain_text
    assert "Source:" in reply.plain_text
    labels = [text for row in reply.buttons for text, _ in row]
    assert "📖 Tell me more" in labels


async def test_ask_command_and_usage(bot: BotHarness) -> None:
    (reply,) = await bot.send(USER, "/ask what do blood thinners do")
    assert "anticoagulant" in reply.plain_text.lower() or "blood thinner" in reply.plain_text.lower()
    (usage,) = await bot.send(USER, "/ask")
    assert "/ask can I massage a clot?" in usage.plain_text


async def test_dose_questions_never_get_a_dose(bot: BotHarness) -> None:
    (reply,) = await bot.send(USER, "how much apixaban should I take")
    assert " mg" not in reply.plain_text.lower()
    assert "pharmacist" in reply.plain_text.lower() or "doctor" in reply.plain_text.lower()


async def test_out_of_scope_is_refused_with_topic_buttons(bot: BotHarness) -> None:
    (reply,) = await bot.send(USER, "who won the football last night")
    assert "pharmacist or doctor" in reply.plain_text
    assert "information" not in reply.plain_text
    assert reply.buttons


async def test_tell_me_more_splits_under_the_limit_and_related_topics_work(bot: BotHarness) -> None:
    (reply,) = await bot.send(USER, "what is a pulmonary embolism")
    parts = await bot.press(USER, reply, "Tell me more")
    assert parts
    assert all(utf16_len(p.plain_text) <= 4096 for p in parts)
    related_label = reply.buttons[1][0][0]
    (related,) = await bot.press(USER, reply, related_label)
    assert related.plain_text.splitlines()[0] == related_label


async def test_topics_browser_pages(bot: BotHarness) -> None:
    (menu,) = await bot.send(USER, "/topics")
    first_page = [text for row in menu.buttons for text, _ in row]
    await bot.press(USER, menu, "▶️")
    edited = bot.api.messages(USER)[-1]
    assert edited.edited
    assert [text for row in edited.buttons for text, _ in row] != first_page
    before = len(bot.api.messages(USER))
    await bot.press_data(USER, edited, "qa:topic:no_such_topic")
    await bot.press_data(USER, edited, "qa:page:abc")
    assert len(bot.api.messages(USER)) == before  # forged data: answered, nothing sent


async def test_a_section_answer_and_a_follow_up_in_context(bot: BotHarness) -> None:
    (first,) = await bot.send(USER, "do compression stockings help after a dvt")
    assert first.plain_text.splitlines()[0] == "Compression stockings"
    (follow,) = await bot.send(USER, "what about at night?")
    lines = follow.plain_text.splitlines()
    assert lines[0] == "Compression stockings"
    assert "Wearing them: day, night and how long" in lines
    # Another person asking the same thing has no context: it is not read against stockings.
    (other,) = await bot.send(USER + 1, "what about at night?")
    assert "Wearing them: day, night and how long" not in other.plain_text.splitlines()


async def test_a_refusal_offers_did_you_mean_buttons_that_open_the_topic(bot: BotHarness) -> None:
    (reply,) = await bot.send(USER, "tell me about warfarin and chocolate")
    assert "leaflets don't cover" in reply.plain_text
    assert "pharmacist or doctor" in reply.plain_text
    labels = [text for row in reply.buttons for text, _ in row]
    assert "Food and warfarin (vitamin K)" in labels
    (topic,) = await bot.press(USER, reply, "Food and warfarin (vitamin K)")
    assert topic.plain_text.splitlines()[0] == "Food and warfarin (vitamin K)"


def test_the_last_topic_is_remembered_for_a_few_minutes_only() -> None:
    user_data: dict[object, object] = {}
    remember_topic(user_data, "compression_stockings", now=1000.0)
    assert recall_topic(user_data, now=1000.0 + FOLLOW_UP_SECONDS - 1) == "compression_stockings"
    assert recall_topic(user_data, now=1000.0 + FOLLOW_UP_SECONDS) is None
    assert user_data == {}  # forgotten once stale
    assert recall_topic(None) is None
    remember_topic(None, "x")  # no user data (channel posts): nothing to remember, no error
    user_data[LAST_TOPIC_KEY] = "garbage"
    assert recall_topic(user_data) is None
