"""Retry Bot API calls that Telegram answered with a server error (5xx): the one place replies are retried.

PTB does not retry a handler's ``reply_text`` by itself: on a 502 the reply is lost and the user is
left without an answer (the error handler's apology usually fails the same way). ``RetryingRequest``
wraps the transport and repeats a call that got a 5xx status up to ``retries`` times, with a short
exponential back-off. 429 (flood control) is not handled here: the rate limiter owns ``retry_after``.
Timeouts and connection errors (``TimedOut``, ``NetworkError``) of a *reply to a user's update* are
retried too, with a growing pause (1 s, 2 s, 4 s ... at most ``max_delay``) until a deadline measured
from the first attempt: ``reply_deadline`` for ordinary replies, ``safety_deadline`` (longer) for safety
guidance (see ``bot.priority``). A reply sent while Telegram hangs therefore arrives once it recovers.
Such a request may already have been delivered, so this accepts a rare duplicate over a lost reply.
Calls outside an update (the reminder tick, which has its own retry rules) are not retried this way,
nor long polling. What is finally given up is logged (method and class, never the text) and counted.

Delivery is therefore at-least-once: a 5xx that Telegram returned *after* storing the message (rare,
e.g. a proxy timing out) produces a duplicate, which beats a lost emergency reply.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from http import HTTPStatus
from typing import Final

from telegram.error import NetworkError, TimedOut
from telegram.request import BaseRequest, RequestData
from typing_extensions import override

from bot.priority import ReplyClass, current_reply_class
from bot.transport import DelegatingRequest, Timeout

log = logging.getLogger(__name__)

DEFAULT_RETRIES: Final = 3
DEFAULT_BASE_DELAY: Final = 0.5
DEFAULT_REPLY_DEADLINE: Final = 300.0
DEFAULT_SAFETY_DEADLINE: Final = 900.0
DEFAULT_MAX_DELAY: Final = 30.0
# Methods that put a reply in a chat; a late answerCallbackQuery is refused by Telegram anyway.
_REPLY_PREFIXES: Final = ("send", "edit", "copy", "forward")
GaveUp = Callable[[str, ReplyClass], None]
# Long polling has its own retry loop in PTB's Updater; retrying it here would only delay shutdown.
_NOT_RETRIED: Final = frozenset({"getupdates"})


class RetryingRequest(DelegatingRequest):
    """Wrap a PTB transport; repeat calls answered with HTTP 5xx (after 0.5 s, 1 s, 2 s by default)."""

    __slots__ = (
        "_base_delay",
        "_clock",
        "_deadlines",
        "_max_delay",
        "_on_give_up",
        "_retries",
        "_sleep",
    )

    def __init__(
        self,
        inner: BaseRequest,
        *,
        retries: int = DEFAULT_RETRIES,
        base_delay: float = DEFAULT_BASE_DELAY,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        reply_deadline: float = DEFAULT_REPLY_DEADLINE,
        safety_deadline: float = DEFAULT_SAFETY_DEADLINE,
        max_delay: float = DEFAULT_MAX_DELAY,
        clock: Callable[[], float] = time.monotonic,
        on_give_up: GaveUp | None = None,
    ) -> None:
        if retries < 0 or base_delay < 0 or reply_deadline < 0 or safety_deadline < 0 or max_delay <= 0:
            raise ValueError("retries, delays and deadlines must not be negative")
        super().__init__(inner)
        self._retries = retries
        self._base_delay = base_delay
        self._sleep = sleep
        self._deadlines = {ReplyClass.REPLY: reply_deadline, ReplyClass.SAFETY: safety_deadline}
        self._max_delay = max_delay
        self._clock = clock
        self._on_give_up = on_give_up

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
        """Make the request; repeat it while Telegram answers 5xx (or a reply fails in transit)."""
        # The URL is .../bot<token>/<method>: only the method is ever logged.
        endpoint = url.rsplit("/", 1)[-1]
        retries = 0 if endpoint.lower() in _NOT_RETRIED else self._retries
        reply_class = current_reply_class() if endpoint.startswith(_REPLY_PREFIXES) else None
        deadline = None if reply_class is None else self._clock() + self._deadlines[reply_class]
        attempt = 0
        transit = 0
        while True:
            try:
                code, payload = await self._inner.do_request(
                    url, method, request_data, read_timeout, write_timeout, connect_timeout, pool_timeout
                )
            except (TimedOut, NetworkError) as exc:
                why = type(exc).__name__
                if not await self._pause_in_transit(endpoint, reply_class, deadline, transit, why):
                    raise
                transit += 1
                continue
            if code < HTTPStatus.INTERNAL_SERVER_ERROR:
                return code, payload
            if attempt < retries:
                delay = self._base_delay * 2**attempt
                attempt += 1
                log.warning(
                    "telegram %s answered %s; retry %d/%d in %.1fs", endpoint, code, attempt, retries, delay
                )
                await self._sleep(delay)
                continue
            # The quick retries are spent; a reply keeps trying (more slowly) until its deadline.
            if not await self._pause_in_transit(endpoint, reply_class, deadline, transit, f"HTTP {code}"):
                return code, payload
            transit += 1

    async def _pause_in_transit(
        self, endpoint: str, reply_class: ReplyClass | None, deadline: float | None, transit: int, why: str
    ) -> bool:
        """Sleep before the next attempt of a reply and return True, or return False when it is given up."""
        if deadline is None or reply_class is None:
            return False
        delay = min(self._max_delay, self._base_delay * 2 ** min(transit, 16))
        if self._clock() + delay > deadline:
            log.error(
                "telegram %s: %s reply given up after %d slow retries (%s)",
                endpoint,
                reply_class.value,
                transit,
                why,
            )
            if self._on_give_up is not None:
                self._on_give_up(endpoint, reply_class)
            return False
        log.warning(
            "telegram %s failed (%s); %s reply retry in %.1fs", endpoint, why, reply_class.value, delay
        )
        await self._sleep(delay)
        return True
