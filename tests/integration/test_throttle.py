"""Flood control through the real Application: one user's flood is slowed politely; nobody else notices."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest

from bot.config import Settings
from bot.domain.clock import FixedClock
from bot.handlers.throttle import BURST, TokenBuckets
from tests.fakes.harness import BotHarness, running_bot
from tests.fakes.observers import ErrorRecorder

FLOODER = 6001
NEIGHBOUR = 6002
T0 = datetime(2026, 11, 27, 9, 0, tzinfo=UTC)
SLOW_DOWN = "sending messages very fast"


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(T0)


@pytest.fixture
async def bot(settings: Settings, clock: FixedClock) -> AsyncIterator[BotHarness]:
    async with running_bot(settings, clock) as harness:
        yield harness


async def _flood(bot: BotHarness, clock: FixedClock, count: int, per_second: float, text: str = "hi") -> int:
    """Send ``count`` messages at ``per_second``; return how many got a (non-notice) reply."""
    answered = 0
    for _ in range(count):
        replies = await bot.send(FLOODER, text)
        answered += sum(SLOW_DOWN not in r.plain_text for r in replies) > 0
        clock.advance(timedelta(seconds=1 / per_second))
    return answered


def _notices(bot: BotHarness, user: int = FLOODER) -> int:
    return sum(SLOW_DOWN in m.plain_text for m in bot.api.messages(user))


async def test_a_flood_is_cut_after_the_burst_with_one_notice(bot: BotHarness, clock: FixedClock) -> None:
    errors = ErrorRecorder().install(bot.app)
    answered = await _flood(bot, clock, 50, per_second=50)
    # 20 in the burst, plus the one token that a second of refill buys.
    assert BURST <= answered <= BURST + 1
    assert _notices(bot) == 1
    # Meanwhile another user is answered at once, every time.
    for _ in range(5):
        assert await bot.send(NEIGHBOUR, "can I fly with a clot?")
    assert _notices(bot, NEIGHBOUR) == 0
    errors.assert_none("flood")


async def test_a_steady_one_message_a_second_is_never_throttled(bot: BotHarness, clock: FixedClock) -> None:
    assert await _flood(bot, clock, 60, per_second=1) == 60
    assert _notices(bot) == 0


async def test_the_user_is_answered_again_after_a_pause(bot: BotHarness, clock: FixedClock) -> None:
    await _flood(bot, clock, 40, per_second=100)
    assert await bot.send(FLOODER, "hello") == []
    clock.advance(timedelta(seconds=5))
    replies = await bot.send(FLOODER, "hello")
    assert replies
    assert SLOW_DOWN not in replies[0].plain_text


async def test_emergencies_always_get_through(bot: BotHarness, clock: FixedClock) -> None:
    await _flood(bot, clock, 30, per_second=100)
    (reply,) = await bot.send(FLOODER, "I suddenly can't breathe and my chest hurts")
    assert reply.plain_text.startswith("🚨")
    (reply,) = await bot.send(FLOODER, "/emergency")
    assert reply.plain_text.startswith("🚨")
    (reply,) = await bot.send(FLOODER, "/signs@ClotCareBot")
    assert "Call" in reply.plain_text
    photo = bot.api.user_sends_photo(FLOODER, caption="coughing up blood")
    before = len(bot.api.messages(FLOODER))
    await bot.feed(photo)
    assert bot.api.messages(FLOODER)[before].plain_text.startswith("🚨")


async def test_one_notice_per_minute_however_long_the_flood(bot: BotHarness, clock: FixedClock) -> None:
    answered = await _flood(bot, clock, 250, per_second=2)  # two minutes at twice the sustained rate
    # The bucket runs dry after ~20 s; from then on one notice a minute: at ~20 s and ~80 s.
    assert _notices(bot) == 2
    assert 125 <= answered <= 150


async def test_button_floods_are_answered_once_then_dropped(bot: BotHarness, clock: FixedClock) -> None:
    (topics,) = await bot.send(FLOODER, "/topics")
    data = topics.buttons[-1][-1][1]
    before = len(bot.api.calls_of("answerCallbackQuery"))
    for _ in range(40):
        await bot.press_data(FLOODER, topics, data)
    answers = bot.api.calls_of("answerCallbackQuery")[before:]
    notices = [a for a in answers if "Too many taps" in str(a.params.get("text", ""))]
    assert len(notices) == 1
    assert len(answers) <= BURST + 2


async def test_updates_without_a_user_pass_untouched(bot: BotHarness, clock: FixedClock) -> None:
    from tests.fakes import updates

    errors = ErrorRecorder().install(bot.app)
    for _ in range(50):
        await bot.feed(updates.channel_post(bot.api, -100_123, "news"))
    errors.assert_none("channel posts")


def test_buckets_refill_at_the_rate_and_forget_idle_users() -> None:
    buckets = TokenBuckets(burst=3, rate=0.5)
    assert [buckets.take(1, T0) for _ in range(4)] == [True, True, True, False]
    assert not buckets.take(1, T0 + timedelta(seconds=1))
    assert buckets.take(1, T0 + timedelta(seconds=2))
    # A clock that goes backwards (NTP step) must not mint tokens.
    assert not buckets.take(1, T0)
    assert buckets.should_notice(1, T0)
    assert not buckets.should_notice(1, T0 + timedelta(seconds=59))
    assert buckets.should_notice(1, T0 + timedelta(seconds=61))
    buckets._prune(T0 + timedelta(hours=1))
    assert buckets._buckets == {}
