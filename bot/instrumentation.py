"""Feed ``Metrics`` from the Telegram side: incoming updates, and every Bot API call the bot makes."""

from __future__ import annotations

import json
from http import HTTPStatus
from typing import Final

from telegram import Update
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter, TelegramError, TimedOut
from telegram.ext import TypeHandler
from telegram.request import BaseRequest, RequestData
from typing_extensions import override

from bot.handlers.common import ClotApplication, ClotContext
from bot.metrics import Metrics
from bot.transport import DelegatingRequest, Timeout

METRICS_KEY: Final = "metrics"
# Runs before every feature handler (groups are processed in ascending order) and never stops them.
COUNT_GROUP: Final = -100
_SENDING_PREFIXES: Final = ("send", "edit", "copy", "forward")
_NOT_A_MESSAGE: Final = frozenset({"sendChatAction"})


def error_kind(exc: BaseException) -> str:
    """Name the kind of a Bot API failure (most specific first: BadRequest and TimedOut are NetworkErrors)."""
    for cls in (BadRequest, Forbidden, RetryAfter, TimedOut, NetworkError):
        if isinstance(exc, cls):
            return cls.__name__
    return "other"


def update_type(update: Update) -> str:
    """Return the name of the field an update carries (message, callback_query, ...)."""
    for name in Update.ALL_TYPES:
        if getattr(update, name, None) is not None:
            return str(name)
    return "unknown"


def register_update_counter(app: ClotApplication, metrics: Metrics) -> None:
    """Count every incoming update by type, ahead of the feature handlers."""

    async def count_update(update: Update, _context: ClotContext) -> None:
        """Count one update."""
        metrics.update_received(update_type(update))

    app.add_handler(TypeHandler(Update, count_update), group=COUNT_GROUP)


class MeteredRequest(DelegatingRequest):
    """Wrap a PTB transport: count messages sent and Bot API errors by kind; change nothing else."""

    __slots__ = ("_metrics",)

    def __init__(self, inner: BaseRequest, metrics: Metrics) -> None:
        super().__init__(inner)
        self._metrics = metrics

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
        """Make the HTTP request through the wrapped transport and count its outcome."""
        try:
            code, payload = await self._inner.do_request(
                url, method, request_data, read_timeout, write_timeout, connect_timeout, pool_timeout
            )
        except TelegramError as exc:
            self._metrics.telegram_error(error_kind(exc))
            raise
        except Exception:
            # BaseRequest turns any other transport failure into a NetworkError.
            self._metrics.telegram_error("NetworkError")
            raise
        if HTTPStatus.OK <= code < HTTPStatus.MULTIPLE_CHOICES:
            # The URL is .../bot<token>/<method>: only the method is kept, never the token.
            endpoint = url.rsplit("/", 1)[-1]
            if endpoint.startswith(_SENDING_PREFIXES) and endpoint not in _NOT_A_MESSAGE:
                self._metrics.message_sent(endpoint)
        else:
            self._metrics.telegram_error(status_kind(code, payload))
        return code, payload


def status_kind(code: int, payload: bytes) -> str:
    """Name the error PTB will raise for a failed Bot API response (mirrors BaseRequest's mapping)."""
    try:
        body = json.loads(payload)
    except ValueError:
        body = None
    parameters = body.get("parameters") if isinstance(body, dict) else None
    if isinstance(parameters, dict):
        if parameters.get("migrate_to_chat_id"):
            return "other"
        if parameters.get("retry_after"):
            return "RetryAfter"
    if code == HTTPStatus.FORBIDDEN:
        return "Forbidden"
    if code == HTTPStatus.BAD_REQUEST:
        return "BadRequest"
    if code in (HTTPStatus.UNAUTHORIZED, HTTPStatus.NOT_FOUND, HTTPStatus.CONFLICT):
        return "other"
    return "NetworkError"
