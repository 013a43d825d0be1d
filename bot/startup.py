"""Check that Telegram accepts the token before anything else starts, in one clear line either way.

Without this, a revoked token or a network outage at start-up surfaced as PTB's traceback (hundreds
of lines, and the token inside ``InvalidToken``'s message). Here a rejected token is one line and exit
status 2 (a configuration error: restarting cannot help), and an unreachable Telegram is retried with
a growing pause, one log line per attempt, until it answers.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from typing import Final
from urllib.parse import urlsplit

from telegram import Bot
from telegram.error import BadRequest, InvalidToken, NetworkError

log = logging.getLogger(__name__)

REJECTED_BY_TELEGRAM: Final = (
    "Telegram rejected TELEGRAM_BOT_TOKEN (401 Unauthorized): it is wrong or was revoked. "
    "Copy the current token from @BotFather (/mybots -> API Token) into the settings and start again."
)
FIRST_DELAY: Final = 1.0
MAX_DELAY: Final = 60.0

Sleep = Callable[[float], Awaitable[None]]


class TokenRejected(Exception):
    """Telegram answered 401: the token is wrong or revoked (the message never carries the token)."""


def _reason(exc: BaseException) -> str:
    # The class name of the network error's cause (ConnectError, ReadTimeout ...) says enough and can
    # never contain the token, unlike some messages that quote the request URL.
    cause = exc.__cause__ or exc.__context__
    return type(cause).__name__ if cause is not None else type(exc).__name__


async def wait_for_telegram(
    token: str,
    base_url: str,
    *,
    max_attempts: int | None = None,
    sleep: Sleep = asyncio.sleep,
    first_delay: float = FIRST_DELAY,
    max_delay: float = MAX_DELAY,
) -> str:
    """Call getMe until Telegram answers; return the bot's username or raise TokenRejected.

    Network failures (no route, DNS, timeouts, Telegram's 5xx) are retried after 1 s, 2 s, 4 s ...
    capped at ``max_delay``; ``max_attempts=None`` retries until Telegram answers or the process is
    stopped. After ``max_attempts`` failures the last NetworkError is raised.
    """
    host = urlsplit(base_url).netloc or base_url
    delay = first_delay
    attempt = 0
    while True:
        attempt += 1
        try:
            async with Bot(token, base_url=base_url) as bot:
                # Entering the context runs initialize(), which is getMe.
                return bot.username
        except InvalidToken:
            # PTB's message quotes the token: drop the exception chain, keep only the fact.
            raise TokenRejected("Telegram rejected the bot token") from None
        except BadRequest:
            raise
        except NetworkError as exc:
            if max_attempts is not None and attempt >= max_attempts:
                log.error(
                    "cannot reach Telegram at %s (%s); giving up after %d tries", host, _reason(exc), attempt
                )
                raise
            log.warning(
                "cannot reach Telegram at %s (%s); retrying in %.0f s (attempt %d)",
                host,
                _reason(exc),
                delay,
                attempt,
            )
            await sleep(delay)
            delay = min(delay * 2, max_delay)


@contextmanager
def token_rejection_explained() -> Iterator[None]:
    """Turn PTB's InvalidToken (whose message quotes the token) into TokenRejected, chain dropped."""
    try:
        yield
    except InvalidToken:
        raise TokenRejected("Telegram rejected the bot token") from None
