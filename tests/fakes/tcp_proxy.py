"""A tiny asyncio TCP proxy whose plug can be pulled: the database "goes away" and "comes back".

``cut()`` closes every proxied connection and stops listening (clients see resets, then refused
connections); ``restore()`` listens again on the same port. ``stall()`` is the nastier failure: the
proxy keeps accepting connections and keeps open ones open, but nothing passes in either direction
(a hung server, a black-holed network) until ``unstall()``. Runs on the test's own event loop, or on
its own thread with ``ThreadedTcpProxy``.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections.abc import Coroutine
from typing import Any, TypeVar

T = TypeVar("T")


class TcpProxy:
    """Forward 127.0.0.1:<port> to ``target_host:target_port`` until cut."""

    def __init__(self, target_host: str, target_port: int) -> None:
        self.target_host = target_host
        self.target_port = target_port
        self.port = 0
        self.connections = 0
        self._server: asyncio.Server | None = None
        self._writers: set[asyncio.StreamWriter] = set()
        self._tasks: set[asyncio.Task[None]] = set()
        self._flowing = asyncio.Event()
        self._flowing.set()

    async def start(self) -> None:
        """Listen (on a free port the first time, on the same port after a cut)."""
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", self.port)
        self.port = int(self._server.sockets[0].getsockname()[1])

    async def cut(self) -> None:
        """Stop listening and reset every open connection."""
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()
            self._server = None
        for writer in list(self._writers):
            transport = writer.transport
            transport.abort()
        self._writers.clear()
        for task in list(self._tasks):
            task.cancel()
        for task in list(self._tasks):
            with contextlib.suppress(asyncio.CancelledError, OSError):
                await task
        self._tasks.clear()

    def stall(self) -> None:
        """Keep every connection (and accept new ones) but pass no bytes until ``unstall``."""
        self._flowing.clear()

    def unstall(self) -> None:
        """Let bytes pass again (what was held back is delivered)."""
        self._flowing.set()

    async def restore(self) -> None:
        """Accept connections again on the same port."""
        await self.start()

    async def close(self) -> None:
        """Cut for good."""
        await self.cut()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        await self._flowing.wait()  # a stalled server accepts the connection, then says nothing
        try:
            up_reader, up_writer = await asyncio.open_connection(self.target_host, self.target_port)
        except OSError:
            writer.transport.abort()
            return
        self._writers |= {writer, up_writer}
        pumps = [
            asyncio.create_task(self._pump(reader, up_writer)),
            asyncio.create_task(self._pump(up_reader, writer)),
        ]
        self._tasks.update(pumps)
        for pump in pumps:
            pump.add_done_callback(self._tasks.discard)

    async def _pump(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while data := await reader.read(65536):
                await self._flowing.wait()
                writer.write(data)
                await writer.drain()
        except (ConnectionError, OSError):
            pass
        finally:
            self._writers.discard(writer)
            writer.transport.abort()


class ThreadedTcpProxy:
    """A ``TcpProxy`` on its own thread and event loop, for tests that drive a separate process."""

    def __init__(self, target_host: str, target_port: int) -> None:
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="tcp-proxy", daemon=True)
        self._thread.start()
        self.proxy = self._call(self._make(target_host, target_port))

    async def _make(self, host: str, port: int) -> TcpProxy:
        proxy = TcpProxy(host, port)
        await proxy.start()
        return proxy

    def _call(self, coro: Coroutine[Any, Any, T]) -> T:
        return asyncio.run_coroutine_threadsafe(coro, self._loop).result(timeout=30)

    @staticmethod
    async def _drain() -> None:
        current = asyncio.current_task()
        others = [t for t in asyncio.all_tasks() if t is not current]
        for task in others:
            task.cancel()
        await asyncio.gather(*others, return_exceptions=True)

    @property
    def port(self) -> int:
        """Return the port clients connect to."""
        return self.proxy.port

    def stall(self) -> None:
        """See ``TcpProxy.stall``."""
        self._loop.call_soon_threadsafe(self.proxy.stall)

    def unstall(self) -> None:
        """See ``TcpProxy.unstall``."""
        self._loop.call_soon_threadsafe(self.proxy.unstall)

    def close(self) -> None:
        """Close every connection and stop the thread."""
        self.unstall()
        self._call(self.proxy.close())
        self._call(self._drain())
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=10)
        self._loop.close()
