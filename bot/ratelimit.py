"""Telegram's flood limits: PTB's AIORateLimiter plus about one message per second per private chat."""

from __future__ import annotations

import asyncio
import contextlib
import warnings
from collections import OrderedDict
from collections.abc import Callable, Coroutine
from datetime import timedelta
from typing import Any, Final

from aiolimiter import AsyncLimiter
from telegram.constants import FloodLimit
from telegram.error import RetryAfter
from telegram.ext import AIORateLimiter
from telegram.warnings import PTBDeprecationWarning
from typing_extensions import override

from bot.priority import is_urgent

# Methods that put or change a message in a chat; chat actions ("typing...") and reads are not throttled.
_MESSAGE_PREFIXES: Final = ("send", "edit", "copy", "forward")
_EXEMPT: Final = frozenset({"sendChatAction"})
MAX_TRACKED_CHATS: Final = 10_000

_Callback = Callable[..., Coroutine[Any, Any, bool | dict[str, Any] | list[dict[str, Any]]]]


class ChatRateLimiter(AIORateLimiter):
    """AIORateLimiter (overall and per-group limits, RetryAfter retries) plus a per-private-chat limit.

    Telegram asks bots to avoid more than about one message per second in one chat. The per-chat
    bucket allows a short burst (``chat_burst`` messages) so that a reply made of two messages (an
    edited button message and a new answer) is not held back a whole second, while the long-run rate
    stays at one per ``chat_period`` seconds. Limiters live in a bounded LRU: the least recently used
    chat's limiter is dropped first, which at worst lets that chat send one burst early.

    With ``allow_paid_broadcast`` the bot may go past the free 30 messages/s: a send that would
    otherwise wait for the overall limiter is marked ``allow_paid_broadcast`` (Telegram then charges
    Stars for it) and goes through PTB's 1000/s paid limiter instead.
    """

    __slots__ = (
        "_allow_paid",
        "_chat_burst",
        "_chat_limiters",
        "_chat_period",
        "_free_limiter",
        "_max_chats",
        "_urgent_retries",
    )

    def __init__(
        self,
        *,
        max_retries: int = 3,
        overall_max_rate: float = FloodLimit.MESSAGES_PER_SECOND,
        chat_burst: float = 3,
        chat_period: float = 3.0,
        max_chats: int = MAX_TRACKED_CHATS,
        allow_paid_broadcast: bool = False,
    ) -> None:
        if chat_burst <= 0 or chat_period <= 0 or max_chats < 1:
            raise ValueError("chat_burst, chat_period and max_chats must be positive")
        super().__init__(overall_max_rate=overall_max_rate, max_retries=max_retries)
        self._chat_burst = chat_burst
        self._chat_period = chat_period
        self._max_chats = max_chats
        self._chat_limiters: OrderedDict[int, AsyncLimiter] = OrderedDict()
        self._allow_paid = allow_paid_broadcast
        self._urgent_retries = max_retries
        # Only consulted for its capacity: it mirrors the free overall limit without consuming it.
        self._free_limiter = AsyncLimiter(overall_max_rate, 1) if allow_paid_broadcast else None

    @property
    def tracked_chats(self) -> int:
        """Return how many per-chat limiters are held (bounded by ``max_chats``)."""
        return len(self._chat_limiters)

    def _chat_limiter(self, chat_id: int) -> AsyncLimiter:
        limiter = self._chat_limiters.get(chat_id)
        if limiter is None:
            limiter = AsyncLimiter(self._chat_burst, self._chat_period)
            self._chat_limiters[chat_id] = limiter
            while len(self._chat_limiters) > self._max_chats:
                self._chat_limiters.popitem(last=False)
        else:
            self._chat_limiters.move_to_end(chat_id)
        return limiter

    @override
    async def process_request(
        self,
        callback: _Callback,
        args: Any,
        kwargs: dict[str, Any],
        endpoint: str,
        data: dict[str, Any],
        rate_limit_args: int | None,
    ) -> bool | dict[str, Any] | list[dict[str, Any]]:
        """Apply the per-chat limit to messages in private chats, then PTB's overall and group limits.

        Safety guidance (``bot.priority``) skips every limiter queue: it is rare, and making someone
        in danger wait behind a reminder fan-out or their own earlier replies is not acceptable.
        """
        if is_urgent():
            return await self._send_now(callback, args, kwargs, data)
        is_message = endpoint.startswith(_MESSAGE_PREFIXES) and endpoint not in _EXEMPT
        chat_id = _private_chat_id(data.get("chat_id")) if is_message else None
        chat_context = self._chat_limiter(chat_id) if chat_id is not None else contextlib.nullcontext()
        async with chat_context:
            if is_message and self._free_limiter is not None and endpoint.startswith("send"):
                if self._free_limiter.has_capacity():
                    await self._free_limiter.acquire()
                else:
                    # ``data`` is the very dict that becomes the request, so the flag reaches Telegram.
                    data["allow_paid_broadcast"] = True
            return await super().process_request(callback, args, kwargs, endpoint, data, rate_limit_args)

    async def _send_now(
        self, callback: _Callback, args: Any, kwargs: dict[str, Any], data: dict[str, Any]
    ) -> bool | dict[str, Any] | list[dict[str, Any]]:
        """Send without waiting for any limiter; still honour Telegram's flood-control answer."""
        for attempt in range(self._urgent_retries + 1):
            try:
                return await callback(*args, **kwargs)
            except RetryAfter as exc:
                if attempt >= self._urgent_retries:
                    raise
                await asyncio.sleep(_seconds(exc) + 0.1)
        raise AssertionError("unreachable")  # pragma: no cover


def _seconds(exc: RetryAfter) -> float:
    with warnings.catch_warnings():
        # PTB 22 warns that retry_after will become a timedelta; accept both forms.
        warnings.simplefilter("ignore", PTBDeprecationWarning)
        value = exc.retry_after
    return value.total_seconds() if isinstance(value, timedelta) else float(value)


def _private_chat_id(value: object) -> int | None:
    """Return the chat id if it names a private chat (positive integer); groups have their own limit."""
    with contextlib.suppress(TypeError, ValueError):
        chat_id = int(value)  # type: ignore[call-overload]
        return chat_id if chat_id > 0 else None
    return None
