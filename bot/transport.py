"""A PTB transport that wraps another one; metering and retrying build on it."""

from __future__ import annotations

from typing import Any

from telegram.request import BaseRequest, RequestData
from typing_extensions import override

# Timeouts are passed through untouched (PTB's DefaultValue sentinels included).
Timeout = Any


class DelegatingRequest(BaseRequest):
    """Forward everything to ``inner``; subclasses override ``do_request`` to add one behaviour."""

    __slots__ = ("_inner",)

    def __init__(self, inner: BaseRequest) -> None:
        self._inner = inner

    @property
    @override
    def read_timeout(self) -> float | None:
        """Return the wrapped transport's default read timeout."""
        return self._inner.read_timeout

    @override
    async def initialize(self) -> None:
        """Initialise the wrapped transport."""
        await self._inner.initialize()

    @override
    async def shutdown(self) -> None:
        """Shut the wrapped transport down."""
        await self._inner.shutdown()

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
        """Make the request through the wrapped transport."""
        return await self._inner.do_request(
            url,
            method,
            request_data=request_data,
            read_timeout=read_timeout,
            write_timeout=write_timeout,
            connect_timeout=connect_timeout,
            pool_timeout=pool_timeout,
        )
