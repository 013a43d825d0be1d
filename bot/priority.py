"""What the code running right now is doing for whom: a reply to an update, a safety reply, or neither.

The update processor sets it for each update it runs (``bot.handlers.processing``); the transport reads
it to decide how long a failed send is worth retrying (``bot.retry``) and the rate limiter to let safety
replies past every queue (``bot.ratelimit``). Background work (the reminder tick) runs with no class: the
dispatcher has its own retry rules, and a reminder must never wait minutes inside one send.
A context variable, so each update's task carries its own value without any plumbing.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from enum import StrEnum


class ReplyClass(StrEnum):
    """How much a reply matters if it cannot be sent at once."""

    REPLY = "reply"  # an answer to a user's update
    SAFETY = "safety"  # emergency guidance: retried longest, never rate-limited behind others


_CURRENT: ContextVar[ReplyClass | None] = ContextVar("clotcare_reply_class", default=None)


def current_reply_class() -> ReplyClass | None:
    """Return the reply class of the update being handled in this task (None outside updates)."""
    return _CURRENT.get()


@contextmanager
def replying_as(reply_class: ReplyClass | None) -> Iterator[None]:
    """Run the block with ``reply_class`` as the current reply class."""
    token = _CURRENT.set(reply_class)
    try:
        yield
    finally:
        _CURRENT.reset(token)


def is_urgent() -> bool:
    """Tell whether the current task is sending safety guidance."""
    return _CURRENT.get() is ReplyClass.SAFETY
