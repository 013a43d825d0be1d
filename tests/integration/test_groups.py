"""ClotCare in a group chat: it speaks up for safety, never shows one member's data to the others,
and a member's buttons do nothing for anyone else."""

from __future__ import annotations

import copy
from collections.abc import AsyncIterator
from datetime import UTC, datetime

import pytest

from bot.config import Settings
from bot.domain.clock import FixedClock
from bot.jobs import run_tick
from tests.fakes import updates
from tests.fakes.harness import BotHarness, running_bot
from tests.fakes.observers import ErrorRecorder, snapshot
from tests.fakes.telegram import BotMessage

ALICE = 6101
BOB = 6102
GROUP = -100_610_000
T0 = datetime(2026, 11, 27, 6, 0, tzinfo=UTC)
AT_0800_BERLIN = datetime(2026, 11, 27, 7, 0, tzinfo=UTC)


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(T0)


@pytest.fixture
async def bot(settings: Settings, clock: FixedClock) -> AsyncIterator[BotHarness]:
    async with running_bot(settings, clock) as harness:
        yield harness


async def in_group(bot: BotHarness, user: int, text: str) -> list[BotMessage]:
    return await bot.send(user, text, chat_id=GROUP, chat_type="supergroup")


def _is_reminder(message: BotMessage) -> bool:
    return any(data.startswith("rem:t:") for row in message.buttons for _, data in row)


async def alice_with_a_reminder(bot: BotHarness) -> None:
    await bot.send(ALICE, "/start")
    await bot.send(ALICE, "/country de")
    await bot.send(ALICE, "/addmed apixaban 5 mg 08:00")


async def test_safety_is_answered_in_a_group(bot: BotHarness) -> None:
    errors = ErrorRecorder().install(bot.app)
    (reply,) = await in_group(bot, ALICE, "/emergency")
    assert reply.plain_text.startswith("🚨")
    (reply,) = await in_group(bot, ALICE, "/signs")
    assert "112" in reply.plain_text.splitlines()[0]
    (reply,) = await in_group(bot, BOB, "my friend suddenly can't breathe")
    assert reply.plain_text.startswith("🚨")
    replies = await in_group(bot, BOB, "my calf is swollen")
    assert "⚠️" in replies[0].plain_text
    # Small talk and stickers in a group are left alone.
    assert await in_group(bot, ALICE, "see you all at the walk on sunday") == []
    await bot.feed(bot.api.user_sends_sticker(ALICE, chat_id=GROUP, chat_type="supergroup"))
    assert all("only read text" not in m.plain_text for m in bot.api.messages(GROUP))
    errors.assert_none("group")


@pytest.mark.parametrize("command", ["/reminders", "/history", "/export", "/forget", "/addmed apixaban 9:00"])
async def test_a_members_reminders_never_appear_in_the_group(
    bot: BotHarness, clock: FixedClock, command: str
) -> None:
    await alice_with_a_reminder(bot)
    clock.set(AT_0800_BERLIN)
    await run_tick(bot.app)
    for user in (ALICE, BOB):
        for reply in await in_group(bot, user, command):
            assert "apixaban" not in reply.plain_text
            assert reply.document is None
            assert reply.photo is None
            assert not reply.buttons or not reply.buttons[0][0][1].startswith("rem:")


async def test_using_the_bot_in_a_group_never_moves_reminders_there(
    bot: BotHarness, clock: FixedClock
) -> None:
    await alice_with_a_reminder(bot)
    # Everything a member might do in a group that touches their profile:
    await in_group(bot, ALICE, "/start")
    await in_group(bot, ALICE, "/country de")
    await in_group(bot, ALICE, "/timezone Europe/Berlin")
    _intro, question = await in_group(bot, ALICE, "/check")
    while question.buttons and question.buttons[0][0][1].startswith("chk:"):
        data = question.buttons[0][0][1]
        (question,) = await bot.press_data(ALICE, question, data.rsplit(":", 1)[0] + ":n")
    clock.set(AT_0800_BERLIN)
    await run_tick(bot.app)
    assert [m.plain_text for m in bot.api.messages(GROUP) if _is_reminder(m)] == []
    assert any(_is_reminder(m) for m in bot.api.messages(ALICE)), "the reminder went nowhere"


async def test_another_members_check_buttons_are_stale_for_them(bot: BotHarness) -> None:
    _intro, question = await in_group(bot, ALICE, "/check")
    alice_state = copy.deepcopy(bot.app.user_data[ALICE])
    yes = question.button_data("Yes")
    replies = await bot.press_data(BOB, question, yes)
    assert replies
    assert "Yes" not in replies[0].plain_text or "expired" in replies[0].plain_text.lower()
    assert bot.app.user_data[ALICE] == alice_state
    # Alice's own check carries on from where she was.
    (result,) = await bot.press_data(ALICE, question, yes)
    assert result.plain_text.startswith("🚨")


async def test_another_members_settings_buttons_change_nothing_of_the_owner(bot: BotHarness) -> None:
    await alice_with_a_reminder(bot)
    engine = bot.app.bot_data["engine"]
    alice_rows = await snapshot(engine, user_id=ALICE)
    alice_memory = copy.deepcopy(bot.app.user_data.get(ALICE, {}))
    welcome = await in_group(bot, ALICE, "/start")
    onboarding = welcome[-1]
    for message in (*welcome, *await in_group(bot, ALICE, "/topics")):
        for row in message.buttons:
            for _, data in row:
                await bot.press_data(BOB, message, data)
    await bot.feed(updates.callback(bot.api, BOB, GROUP, onboarding.message_id, "set:cc:US"))
    await bot.feed(updates.callback(bot.api, BOB, GROUP, onboarding.message_id, "set:zone"))
    assert await snapshot(engine, user_id=ALICE) == alice_rows
    assert bot.app.user_data.get(ALICE, {}) == alice_memory
