"""RetryingRequest: which Bot API answers are retried, how often, and after how long."""

from __future__ import annotations

from typing import Any

import pytest
from telegram.error import NetworkError, TimedOut
from telegram.request import BaseRequest, RequestData
from typing_extensions import override

from bot.priority import ReplyClass, replying_as
from bot.retry import RetryingRequest

URL = "https://api.telegram.org/bot123:SECRET/sendMessage"


class Scripted(BaseRequest):
    """Answer with the scripted status codes in order, then 200."""

    def __init__(self, *codes: int) -> None:
        self.codes = list(codes)
        self.calls: list[str] = []

    @property
    @override
    def read_timeout(self) -> float | None:
        return 5.0

    @override
    async def initialize(self) -> None:
        return None

    @override
    async def shutdown(self) -> None:
        return None

    @override
    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout: Any = None,
        write_timeout: Any = None,
        connect_timeout: Any = None,
        pool_timeout: Any = None,
    ) -> tuple[int, bytes]:
        self.calls.append(url)
        code = self.codes.pop(0) if self.codes else 200
        return code, b'{"ok": true, "result": true}'


def _retrying(inner: BaseRequest, sleeps: list[float], retries: int = 3) -> RetryingRequest:
    async def sleep(seconds: float) -> None:
        sleeps.append(seconds)

    return RetryingRequest(inner, retries=retries, base_delay=0.5, sleep=sleep)


async def test_5xx_is_retried_with_exponential_back_off() -> None:
    sleeps: list[float] = []
    inner = Scripted(502, 503, 500)
    code, _ = await _retrying(inner, sleeps).do_request(URL, "POST")
    assert code == 200
    assert len(inner.calls) == 4
    assert sleeps == [0.5, 1.0, 2.0]


async def test_gives_up_after_the_last_retry_with_the_last_answer() -> None:
    sleeps: list[float] = []
    inner = Scripted(502, 502, 502, 502, 502)
    code, _ = await _retrying(inner, sleeps).do_request(URL, "POST")
    assert code == 502
    assert len(inner.calls) == 4


@pytest.mark.parametrize("code", [400, 403, 404, 409, 429])
async def test_client_errors_and_flood_control_are_not_retried(code: int) -> None:
    sleeps: list[float] = []
    inner = Scripted(code)
    assert (await _retrying(inner, sleeps).do_request(URL, "POST"))[0] == code
    assert len(inner.calls) == 1
    assert sleeps == []


async def test_long_polling_is_not_retried() -> None:
    sleeps: list[float] = []
    inner = Scripted(502)
    code, _ = await _retrying(inner, sleeps).do_request(URL.replace("sendMessage", "getUpdates"), "POST")
    assert code == 502
    assert len(inner.calls) == 1


async def test_the_retry_log_never_contains_the_token(caplog: pytest.LogCaptureFixture) -> None:
    await _retrying(Scripted(502), []).do_request(URL, "POST")
    assert "sendMessage" in caplog.text
    assert "SECRET" not in caplog.text


def test_negative_settings_are_refused() -> None:
    with pytest.raises(ValueError, match="negative"):
        RetryingRequest(Scripted(), retries=-1)


# ---------------------------------------------------------------------- replies failing in transit


class Outage(BaseRequest):
    """Raise ``error`` for the first ``failures`` calls, then answer 200; time is the fake clock."""

    def __init__(self, failures: int, error: Exception) -> None:
        self.failures = failures
        self.error = error
        self.calls = 0

    @property
    @override
    def read_timeout(self) -> float | None:
        return 5.0

    @override
    async def initialize(self) -> None:
        return None

    @override
    async def shutdown(self) -> None:
        return None

    @override
    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout: Any = None,
        write_timeout: Any = None,
        connect_timeout: Any = None,
        pool_timeout: Any = None,
    ) -> tuple[int, bytes]:
        self.calls += 1
        if self.calls <= self.failures:
            raise self.error
        return 200, b'{"ok": true, "result": true}'


def _in_transit(inner: BaseRequest, given_up: list[str]) -> tuple[RetryingRequest, list[float]]:
    """A RetryingRequest on a fake clock that advances by each sleep; deadlines 300 s / 900 s."""
    now = [0.0]
    sleeps: list[float] = []

    async def sleep(seconds: float) -> None:
        sleeps.append(seconds)
        now[0] += seconds

    request = RetryingRequest(
        inner,
        base_delay=0.5,
        sleep=sleep,
        clock=lambda: now[0],
        reply_deadline=300.0,
        safety_deadline=900.0,
        on_give_up=lambda _endpoint, reply_class: given_up.append(reply_class.value),
    )
    return request, sleeps


@pytest.mark.parametrize("error", [TimedOut(), NetworkError("connection reset")])
async def test_a_reply_failing_in_transit_is_retried_until_it_goes_through(error: Exception) -> None:
    given_up: list[str] = []
    inner = Outage(8, error)
    request, sleeps = _in_transit(inner, given_up)
    with replying_as(ReplyClass.REPLY):
        code, _ = await request.do_request(URL, "POST")
    assert code == 200
    assert inner.calls == 9
    # Doubling pauses, capped at 30 s.
    assert sleeps == [0.5, 1.0, 2.0, 4.0, 8.0, 16.0, 30.0, 30.0]
    assert given_up == []


async def test_a_reply_is_given_up_at_its_deadline_and_counted() -> None:
    given_up: list[str] = []
    inner = Outage(10_000, TimedOut())
    request, sleeps = _in_transit(inner, given_up)
    with replying_as(ReplyClass.REPLY), pytest.raises(TimedOut):
        await request.do_request(URL, "POST")
    assert sum(sleeps) <= 300.0
    assert sum(sleeps) > 300.0 - 30.0
    assert given_up == ["reply"]


async def test_safety_replies_are_retried_longer_than_other_replies() -> None:
    given_up: list[str] = []
    inner = Outage(10_000, TimedOut())
    request, sleeps = _in_transit(inner, given_up)
    with replying_as(ReplyClass.SAFETY), pytest.raises(TimedOut):
        await request.do_request(URL, "POST")
    assert 900.0 - 30.0 < sum(sleeps) <= 900.0
    assert given_up == ["safety"]


async def test_5xx_beyond_the_quick_retries_keeps_a_reply_trying() -> None:
    given_up: list[str] = []
    inner = Scripted(*([502] * 7))
    request, sleeps = _in_transit(inner, given_up)
    with replying_as(ReplyClass.REPLY):
        code, _ = await request.do_request(URL, "POST")
    assert code == 200
    assert len(inner.calls) == 8
    assert sleeps == [0.5, 1.0, 2.0, 0.5, 1.0, 2.0, 4.0]


async def test_outside_an_update_transit_failures_are_not_retried() -> None:
    # The reminder tick has its own retry rules; a send there must fail fast.
    inner = Outage(1, TimedOut())
    request, sleeps = _in_transit(inner, [])
    with pytest.raises(TimedOut):
        await request.do_request(URL, "POST")
    assert inner.calls == 1
    assert sleeps == []


async def test_callback_answers_are_not_retried_in_transit() -> None:
    inner = Outage(1, TimedOut())
    request, _ = _in_transit(inner, [])
    with replying_as(ReplyClass.SAFETY), pytest.raises(TimedOut):
        await request.do_request(URL.replace("sendMessage", "answerCallbackQuery"), "POST")
    assert inner.calls == 1
