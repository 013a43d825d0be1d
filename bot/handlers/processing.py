"""Process updates concurrently across chats, in order within a chat, safety guidance first.

PTB hands every fetched update to ``do_process_update`` in its own task, in fetch order (the tasks
start in creation order, and ``BaseUpdateProcessor.process_update`` does not yield while it has room).
This processor then:

* **keeps each chat's order**: an update waits for the previous update of the same chat to finish
  (one small ``asyncio.Event`` per queued update; a chat's entry is dropped when its queue empties);
* **bounds the work**: at most ``workers`` updates run handlers at once (an update waiting for its
  chat holds no worker, so one user's flood occupies one worker, never all of them), and at most
  ``max_pending`` updates are admitted at all (PTB's own semaphore; the rest wait in PTB's queue);
* **lets safety guidance jump every queue**: /emergency, /sos, /signs and text reporting warning signs
  run at once, neither behind their chat's earlier updates nor behind the worker bound (only behind
  the same chat's previous safety update, so a pasted flood cannot fan out), and run as
  ``ReplyClass.SAFETY`` so the transport retries their replies longest and the rate limiter lets them
  past its queues. Their content depends on nothing said before, so overtaking is safe.
"""

from __future__ import annotations

import asyncio
import inspect
import logging
from collections.abc import Awaitable, Callable
from inspect import CORO_CREATED
from typing import Any

from telegram import Update
from telegram.ext import BaseUpdateProcessor
from typing_extensions import override

from bot.handlers.throttle import is_safety_update
from bot.priority import ReplyClass, replying_as

log = logging.getLogger(__name__)

Classifier = Callable[[object], ReplyClass]


def chat_key(update: object) -> int | None:
    """Return the chat (or, without one, the user) whose updates must stay in order; None if neither."""
    if not isinstance(update, Update):
        return None
    if update.effective_chat is not None:
        return update.effective_chat.id
    if update.effective_user is not None:
        return update.effective_user.id
    return None


def classify_update(update: object) -> ReplyClass:
    """Return SAFETY for safety commands and text reporting warning signs, else REPLY."""
    if isinstance(update, Update) and is_safety_update(update):
        return ReplyClass.SAFETY
    return ReplyClass.REPLY


class ChatOrderedProcessor(BaseUpdateProcessor):
    """Run updates of different chats concurrently and of one chat in order; safety first."""

    __slots__ = ("_classify", "_safety_tails", "_tails", "_workers")

    def __init__(self, *, workers: int, max_pending: int, classify: Classifier) -> None:
        if workers < 1 or max_pending < workers:
            raise ValueError("need workers >= 1 and max_pending >= workers")
        super().__init__(max_pending)
        self._workers = asyncio.Semaphore(workers)
        self._classify = classify
        # chat -> the "done" event of the last update queued for that chat (safety ones apart).
        self._tails: dict[int, asyncio.Event] = {}
        self._safety_tails: dict[int, asyncio.Event] = {}

    @property
    def waiting_chats(self) -> int:
        """Return how many chats have an update queued or running (bounded by ``max_pending``)."""
        return len(self._tails) + len(self._safety_tails)

    @override
    async def do_process_update(self, update: object, coroutine: Awaitable[Any]) -> None:
        """Wait for the chat's previous update and a worker (unless urgent), then run the handlers."""
        reply_class = self._classify(update)
        key = chat_key(update)
        if reply_class is ReplyClass.SAFETY:
            # Ahead of the chat's other updates and outside the worker bound, but one at a time per
            # chat: someone pasting the same alarming text 100 times gets 100 replies in a row, not
            # 100 concurrent sends past the rate limiter.
            await self._run_chained(self._safety_tails, key, update, coroutine, reply_class, bounded=False)
            return
        await self._run_chained(self._tails, key, update, coroutine, reply_class, bounded=True)

    async def _run_chained(
        self,
        tails: dict[int, asyncio.Event],
        key: int | None,
        update: object,
        coroutine: Awaitable[Any],
        reply_class: ReplyClass,
        *,
        bounded: bool,
    ) -> None:
        previous: asyncio.Event | None = None
        done = asyncio.Event()
        if key is not None:
            # No await between reading and writing the tail: the chain is built in arrival order.
            previous = tails.get(key)
            tails[key] = done
        try:
            if previous is not None:
                await previous.wait()
            with replying_as(reply_class):
                if bounded:
                    async with self._workers:
                        await coroutine
                else:
                    await coroutine
        finally:
            done.set()
            if key is not None and tails.get(key) is done:
                del tails[key]
            if inspect.iscoroutine(coroutine) and inspect.getcoroutinestate(coroutine) == CORO_CREATED:
                # Cancelled before it started: close it, so Python does not warn "never awaited".
                coroutine.close()

    @override
    async def initialize(self) -> None:
        """Nothing to set up."""

    @override
    async def shutdown(self) -> None:
        """Nothing to release: PTB waits for the updates in flight before shutting down."""
