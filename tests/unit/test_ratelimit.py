"""The per-chat rate limiter: one chat is spaced out, other chats are not held up behind it."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

import pytest
from telegram.error import RetryAfter

from bot.priority import ReplyClass, replying_as
from bot.ratelimit import ChatRateLimiter


class Recorder:
    """A stand-in for ExtBot's network call: records the order in which requests went out."""

    def __init__(self) -> None:
        self.sent: list[tuple[str, object]] = []

    async def __call__(self, endpoint: str, data: dict[str, Any]) -> bool:
        self.sent.append((endpoint, data.get("chat_id")))
        return True


def _limiter(**kwargs: Any) -> ChatRateLimiter:
    # Tiny periods keep the test fast; only ordering and counts are asserted, never durations.
    defaults: dict[str, Any] = {"max_retries": 0, "chat_burst": 1, "chat_period": 0.2}
    return ChatRateLimiter(**(defaults | kwargs))


async def _send(
    limiter: ChatRateLimiter, recorder: Recorder, chat_id: object, endpoint: str = "sendMessage"
) -> None:
    data: dict[str, Any] = {"chat_id": chat_id, "text": "x"}
    await limiter.process_request(recorder, (endpoint, data), {}, endpoint, data, None)


async def test_one_chat_is_spaced_but_another_chat_is_not_held_up() -> None:
    limiter, recorder = _limiter(), Recorder()
    first = [asyncio.create_task(_send(limiter, recorder, 1)) for _ in range(3)]
    await asyncio.sleep(0)  # let chat 1 take its burst and queue the rest
    other = asyncio.create_task(_send(limiter, recorder, 2))
    await other
    # Chat 2 went out while chat 1 was still waiting for its second slot.
    assert recorder.sent[:2] == [("sendMessage", 1), ("sendMessage", 2)]
    await asyncio.gather(*first)
    assert [chat for _, chat in recorder.sent].count(1) == 3


async def test_a_burst_within_one_chat_is_allowed_then_throttled() -> None:
    limiter, recorder = _limiter(chat_burst=2, chat_period=0.4), Recorder()
    tasks = [asyncio.create_task(_send(limiter, recorder, 7)) for _ in range(3)]
    await asyncio.sleep(0.01)
    assert len(recorder.sent) == 2
    await asyncio.gather(*tasks)
    assert len(recorder.sent) == 3


async def test_chat_actions_groups_and_non_message_calls_are_not_throttled_per_chat() -> None:
    limiter, recorder = _limiter(chat_period=60.0), Recorder()
    await _send(limiter, recorder, 5)
    # Each of these would wait a minute if it counted against chat 5.
    await asyncio.wait_for(_send(limiter, recorder, 5, "sendChatAction"), 1.0)
    await asyncio.wait_for(_send(limiter, recorder, 5, "answerCallbackQuery"), 1.0)
    await asyncio.wait_for(_send(limiter, recorder, -100123, "sendMessage"), 1.0)
    await asyncio.wait_for(_send(limiter, recorder, "@channel", "sendMessage"), 1.0)
    assert len(recorder.sent) == 5
    assert limiter.tracked_chats == 1


async def test_tracked_chats_are_bounded() -> None:
    limiter, recorder = _limiter(max_chats=3), Recorder()
    for chat_id in range(1, 11):
        await _send(limiter, recorder, chat_id)
    assert limiter.tracked_chats == 3
    assert len(recorder.sent) == 10


async def test_paid_broadcast_marks_only_sends_beyond_the_free_rate() -> None:
    limiter = ChatRateLimiter(
        max_retries=0, overall_max_rate=2, chat_burst=100, chat_period=1, allow_paid_broadcast=True
    )
    seen: list[bool] = []

    async def record(endpoint: str, data: dict[str, Any]) -> bool:
        seen.append(bool(data.get("allow_paid_broadcast")))
        return True

    for chat_id in range(1, 5):
        data: dict[str, Any] = {"chat_id": chat_id, "text": "x"}
        await limiter.process_request(record, ("sendMessage", data), {}, "sendMessage", data, None)
    assert seen[:2] == [False, False]
    assert any(seen[2:])


async def test_without_paid_broadcast_nothing_is_marked() -> None:
    limiter = ChatRateLimiter(max_retries=0, overall_max_rate=100, chat_burst=100, chat_period=1)
    data: dict[str, Any] = {"chat_id": 1, "text": "x"}
    await limiter.process_request(Recorder(), ("sendMessage", data), {}, "sendMessage", data, None)
    assert "allow_paid_broadcast" not in data


async def test_retry_after_is_waited_out_and_retried() -> None:
    limiter = _limiter(max_retries=2)
    attempts: list[int] = []

    async def flaky(endpoint: str, data: dict[str, Any]) -> bool:
        attempts.append(len(attempts))
        if len(attempts) == 1:
            raise RetryAfter(timedelta(milliseconds=10))
        return True

    data: dict[str, Any] = {"chat_id": 9, "text": "x"}
    assert await limiter.process_request(flaky, ("sendMessage", data), {}, "sendMessage", data, None)
    assert attempts == [0, 1]


async def test_retry_after_beyond_max_retries_is_raised() -> None:
    limiter = _limiter(max_retries=0)

    async def always_flooded(endpoint: str, data: dict[str, Any]) -> bool:
        raise RetryAfter(timedelta(milliseconds=10))

    data: dict[str, Any] = {"chat_id": 9, "text": "x"}
    with pytest.raises(RetryAfter):
        await limiter.process_request(always_flooded, ("sendMessage", data), {}, "sendMessage", data, None)


@pytest.mark.parametrize(
    "kwargs", [{"chat_burst": 0}, {"chat_period": 0}, {"max_chats": 0}], ids=["burst", "period", "chats"]
)
def test_sizes_must_be_positive(kwargs: dict[str, Any]) -> None:
    with pytest.raises(ValueError, match="positive"):
        ChatRateLimiter(**kwargs)


async def test_safety_guidance_skips_the_queue_of_its_own_chat() -> None:
    limiter, recorder = _limiter(chat_burst=1, chat_period=5.0), Recorder()
    queued = [asyncio.create_task(_send(limiter, recorder, 9)) for _ in range(3)]
    await asyncio.sleep(0.01)
    assert len(recorder.sent) == 1  # the chat's burst is spent; two replies wait ~5 s each
    with replying_as(ReplyClass.SAFETY):
        await asyncio.wait_for(_send(limiter, recorder, 9), 1)
    assert len(recorder.sent) == 2
    for task in queued:
        task.cancel()
    await asyncio.gather(*queued, return_exceptions=True)


async def test_safety_guidance_still_honours_flood_control() -> None:
    limiter = _limiter(max_retries=1)
    calls: list[int] = []

    async def flooded(endpoint: str, data: dict[str, Any]) -> bool:
        calls.append(1)
        if len(calls) == 1:
            raise RetryAfter(timedelta(seconds=0))
        return True

    data: dict[str, Any] = {"chat_id": 5, "text": "x"}
    with replying_as(ReplyClass.SAFETY):
        assert await limiter.process_request(flooded, ("sendMessage", data), {}, "sendMessage", data, None)
    assert len(calls) == 2
