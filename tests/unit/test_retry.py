"""RetryingRequest: which Bot API answers are retried, how often, and after how long."""

from __future__ import annotations

from typing import Any

import pytest
from telegram.request import BaseRequest, RequestData
from typing_extensions import override

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
