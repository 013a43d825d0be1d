"""The typed flow state in the real Application: every stored step has a feature that takes its text,
a step kept from before a restart is picked up, and one that cannot be read is dropped with a reply."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime

import pytest

from bot.config import Settings
from bot.domain.clock import FixedClock
from bot.handlers.flowstate import STEPS_KEY, FlowKind
from bot.services.container import Services
from tests.fakes.harness import BotHarness, running_bot

T0 = datetime(2026, 11, 27, 6, 0, tzinfo=UTC)


@pytest.fixture
async def bot(settings: Settings) -> AsyncIterator[BotHarness]:
    async with running_bot(settings, FixedClock(T0)) as harness:
        yield harness


def _services(bot: BotHarness) -> Services:
    found = bot.app.bot_data["services"]
    assert isinstance(found, Services)
    return found


def _restart(bot: BotHarness, user_id: int) -> None:
    """Forget what the process holds in memory about the user, as a restart does."""
    bot.app.user_data[user_id].clear()


async def test_every_stored_kind_has_a_registered_step(bot: BotHarness) -> None:
    steps = bot.app.bot_data[STEPS_KEY]
    assert set(steps) == {kind for kind in FlowKind if kind.stored}
    # The symptom check is answered with buttons only: typed text is never taken as an answer.
    assert FlowKind.CHECK not in steps


async def test_a_step_stored_in_the_earlier_format_is_picked_up_after_a_restart(bot: BotHarness) -> None:
    await bot.send(1, "/start")
    await bot.send(1, "/timezone Europe/Berlin")
    await _services(bot).users.flows.save(1, "rem.dose", {"name": "apixaban", "dose": None})
    _restart(bot, 1)
    (reply,) = await bot.send(1, "5 mg")
    assert "apixaban" in reply.plain_text
    assert "time" in reply.plain_text.casefold()
    record = await _services(bot).users.flows.load(1)
    assert record is not None
    assert (record.flow, record.data) == ("rem.times", {"name": "apixaban", "dose": "5 mg"})


@pytest.mark.parametrize(
    ("flow", "data"),
    [("rem.unknown", {}), ("rem.end", {"name": "apixaban", "times": ["8 o'clock"]}), ("check", {})],
)
async def test_an_unreadable_stored_step_is_dropped_with_a_reply(
    bot: BotHarness, flow: str, data: dict[str, object]
) -> None:
    await bot.send(1, "/start")
    await _services(bot).users.flows.save(1, flow, data)
    _restart(bot, 1)
    replies = await bot.send(1, "/help")
    assert "couldn't pick up the step" in replies[0].plain_text
    assert len(replies) == 2  # and /help is answered as usual
    assert await _services(bot).users.flows.load(1) is None
    assert "flow" not in bot.app.user_data[1]
