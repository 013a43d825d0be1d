"""Retry Bot API calls that Telegram answered with a server error (5xx): the one place replies are retried.

PTB does not retry a handler's ``reply_text`` by itself: on a 502 the reply is lost and the user is
left without an answer (the error handler's apology usually fails the same way). ``RetryingRequest``
wraps the transport and repeats a call that got a 5xx status up to ``retries`` times, with a short
exponential back-off. 429 (flood control) is not handled here: the rate limiter owns ``retry_after``.
Timeouts and connection errors are not retried either, because the request may have been delivered.

Delivery is therefore at-least-once for 5xx answers: a 5xx that Telegram returned *after* storing the
message (rare, e.g. a proxy timing out) produces a duplicate, which beats a lost emergency reply.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from http import HTTPStatus
from typing import Final

from telegram.request import BaseRequest, RequestData
from typing_extensions import override

from bot.transport import DelegatingRequest, Timeout

log = logging.getLogger(__name__)

DEFAULT_RETRIES: Final = 3
DEFAULT_BASE_DELAY: Final = 0.5
# Long polling has its own retry loop in PTB's Updater; retrying it here would only delay shutdown.
_NOT_RETRIED: Final = frozenset({"getupdates"})


class RetryingRequest(DelegatingRequest):
    """Wrap a PTB transport; repeat calls answered with HTTP 5xx (after 0.5 s, 1 s, 2 s by default)."""

    __slots__ = ("_base_delay", "_retries", "_sleep")

    def __init__(
        self,
        inner: BaseRequest,
        *,
        retries: int = DEFAULT_RETRIES,
        base_delay: float = DEFAULT_BASE_DELAY,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        if retries < 0 or base_delay < 0:
            raise ValueError("retries and base_delay must not be negative")
        super().__init__(inner)
        self._retries = retries
        self._base_delay = base_delay
        self._sleep = sleep

    @override
    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout: Timeout = BaseRequest.DEFAULT_NONE,
        write_timeout: Timeout = BaseRequest.DEFAULT_NONE,
        connect_timeout: Timeout = BaseRequest.DEFAULT_NONE,
        pool_timeout: Timeout = BaseRequest.DEFAULT_NONE,
    ) -> tuple[int, bytes]:
        """Make the request; repeat it while Telegram answers 5xx and retries are left."""
        # The URL is .../bot<token>/<method>: only the method is ever logged.
        endpoint = url.rsplit("/", 1)[-1]
        retries = 0 if endpoint.lower() in _NOT_RETRIED else self._retries
        attempt = 0
        while True:
            code, payload = await self._inner.do_request(
                url, method, request_data, read_timeout, write_timeout, connect_timeout, pool_timeout
            )
            if code < HTTPStatus.INTERNAL_SERVER_ERROR or attempt >= retries:
                return code, payload
            delay = self._base_delay * 2**attempt
            attempt += 1
            log.warning(
                "telegram %s answered %s; retry %d/%d in %.1fs", endpoint, code, attempt, retries, delay
            )
            await self._sleep(delay)
