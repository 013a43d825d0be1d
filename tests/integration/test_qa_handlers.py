"""Questions, /ask and /topics through the real Application."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from bot.config import Settings
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
    assert "pharmacist or your doctor" in reply.plain_text
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
