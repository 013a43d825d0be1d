"""The bot's own HTTP server (tornado): the Telegram webhook, ``GET /healthz`` and ``GET /metrics``.

PTB's ``run_webhook`` cannot serve extra routes, so this follows PTB's "custom webhook bot" example:
our server puts each ``Update`` on ``application.update_queue`` and the Application, started with
``Application.start()``, processes it like a polled one.
"""

from __future__ import annotations

import asyncio
import hmac
import json
import logging
import re
import signal
import socket
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any, Final
from urllib.parse import urlsplit

from sqlalchemy.ext.asyncio import AsyncEngine
from telegram import Update
from tornado.httpserver import HTTPServer
from tornado.netutil import bind_sockets
from tornado.web import Application as TornadoApplication
from tornado.web import RequestHandler

from bot.db.health import DEFAULT_TIMEOUT_SECONDS, database_alive
from bot.handlers.common import ClotApplication
from bot.metrics import Metrics
from bot.shutdown import arm_shutdown_watchdog

log = logging.getLogger(__name__)

SECRET_HEADER: Final = "X-Telegram-Bot-Api-Secret-Token"  # noqa: S105 - a header name, not a secret
HEALTH_PATH: Final = "/healthz"
METRICS_PATH: Final = "/metrics"
# Telegram updates are a few kilobytes; refuse anything far bigger before reading it.
MAX_BODY_BYTES: Final = 1024 * 1024
RESERVED_PATHS: Final = frozenset({HEALTH_PATH, METRICS_PATH})


def webhook_path(webhook_url: str) -> str:
    """Return the path of the public webhook URL, which is also the path this server answers on."""
    path = urlsplit(webhook_url).path or "/"
    if path in RESERVED_PATHS:
        raise ValueError(f"WEBHOOK_URL must not end in {path}: that path serves health or metrics")
    return path


def _log_request(handler: RequestHandler) -> None:
    # Replaces tornado's access log, which would write the URL path (the webhook path is secret-ish).
    status = handler.get_status()
    level = logging.WARNING if status >= 500 else logging.DEBUG
    log.log(level, "http %s %d %.1fms", handler.request.method, status, 1000 * handler.request.request_time())


class _Handler(RequestHandler):
    """Base handler: plain-text errors, and exception logs without the request (it holds the secret)."""

    def write_error(self, status_code: int, **kwargs: Any) -> None:
        """Answer with a short plain-text reason instead of tornado's HTML page."""
        self.set_header("Content-Type", "text/plain; charset=utf-8")
        self.finish(f"{status_code} {self._reason}\n")

    def log_exception(self, typ: Any, value: Any, tb: Any) -> None:
        """Log the exception type only: tornado's default log includes the headers and the path."""
        log.error("http handler failed: %s", getattr(typ, "__name__", "unknown"))


class WebhookHandler(_Handler):
    """Accept updates from Telegram, only with the right secret token header."""

    def initialize(self, bot_app: ClotApplication, secret: bytes) -> None:
        """Receive the Application and the expected secret token."""
        self.bot_app = bot_app
        self.secret = secret

    async def post(self) -> None:
        """Check the secret, decode the update and queue it for the Application."""
        given = self.request.headers.get(SECRET_HEADER, "")
        # tornado decodes headers as latin-1, so this round-trips the bytes Telegram sent.
        if not hmac.compare_digest(given.encode("latin-1", "replace"), self.secret):
            log.warning("webhook request refused: missing or wrong secret token")
            self.send_error(403)
            return
        try:
            data = json.loads(self.request.body)
            if not isinstance(data, dict):
                raise TypeError("an update is a JSON object")
            update = Update.de_json(data, self.bot_app.bot)
        except (ValueError, TypeError, KeyError):
            log.warning("webhook request refused: not a Telegram update")
            self.send_error(400)
            return
        await self.bot_app.update_queue.put(update)
        self.set_status(200)
        self.finish()


class HealthHandler(_Handler):
    """Answer 200 when the database answers ``SELECT 1`` in time, 503 otherwise."""

    def initialize(self, engine: AsyncEngine, timeout: float) -> None:
        """Receive the engine to probe and the probe's timeout."""
        self.engine = engine
        self.timeout = timeout

    async def get(self) -> None:
        """Probe the database."""
        self.set_header("Content-Type", "text/plain; charset=utf-8")
        self.set_header("Cache-Control", "no-store")
        if await database_alive(self.engine, self.timeout):
            self.finish("ok\n")
        else:
            self.set_status(503)
            self.finish("database unavailable\n")


class MetricsHandler(_Handler):
    """Serve the Prometheus text exposition of this Application's registry."""

    def initialize(self, metrics: Metrics) -> None:
        """Receive the metrics to render."""
        self.metrics = metrics

    def get(self) -> None:
        """Render the metrics."""
        self.set_header("Content-Type", self.metrics.content_type)
        self.finish(self.metrics.render())


class WebServer:
    """The HTTP server: /healthz and /metrics always; the webhook too when given a path, secret and app.

    A worker without an Application passes None and gets the health and metrics routes only.
    """

    def __init__(
        self,
        application: ClotApplication | None,
        *,
        metrics: Metrics,
        engine: AsyncEngine,
        webhook_path: str | None = None,
        secret_token: str | None = None,
        health_timeout: float = DEFAULT_TIMEOUT_SECONDS,
    ) -> None:
        if (webhook_path is None) != (secret_token is None):
            raise ValueError("the webhook needs both a path and a secret token")
        if webhook_path is not None and application is None:
            raise ValueError("the webhook needs the Application to hand updates to")
        routes: list[Any] = [
            (HEALTH_PATH, HealthHandler, {"engine": engine, "timeout": health_timeout}),
            (METRICS_PATH, MetricsHandler, {"metrics": metrics}),
        ]
        if webhook_path is not None and secret_token is not None and application is not None:
            routes.append(
                (
                    _literal_route(webhook_path),
                    WebhookHandler,
                    {"bot_app": application, "secret": secret_token.encode()},
                )
            )
        self._tornado = TornadoApplication(routes, log_function=_log_request)
        self._server: HTTPServer | None = None
        self.port: int | None = None

    async def start(self, host: str, port: int) -> int:
        """Start listening on ``host:port`` (port 0 picks a free one); return the bound port."""
        sockets = bind_sockets(port, host, family=socket.AF_UNSPEC)
        server = HTTPServer(self._tornado, max_body_size=MAX_BODY_BYTES)
        server.add_sockets(sockets)
        self._server = server
        self.port = int(sockets[0].getsockname()[1])
        log.info("http server listening on port %d", self.port)
        return self.port

    async def stop(self) -> None:
        """Stop accepting connections and close the idle ones (requests in flight are answered)."""
        server, self._server = self._server, None
        if server is None:
            return
        server.stop()
        await server.close_all_connections()


def _literal_route(path: str) -> str:
    # tornado routes are regular expressions; the webhook path is a literal.
    return re.escape(path)


@asynccontextmanager
async def running_webhook(
    application: ClotApplication,
    *,
    webhook_url: str,
    secret_token: str,
    metrics: Metrics,
    engine: AsyncEngine,
    host: str,
    port: int,
) -> AsyncIterator[WebServer]:
    """Initialise and start the Application, serve the webhook, register it with Telegram; undo on exit.

    On exit the server stops accepting first, then ``Application.stop`` processes the updates
    already queued, then everything shuts down (``post_shutdown`` disposes of the engine).
    """
    server = WebServer(
        application,
        metrics=metrics,
        engine=engine,
        webhook_path=webhook_path(webhook_url),
        secret_token=secret_token,
    )
    await application.initialize()
    try:
        # post_init / post_shutdown are only called by run_polling / run_webhook, so call them here.
        if application.post_init is not None:
            await application.post_init(application)
        await application.start()
        try:
            await server.start(host, port)
            try:
                # Listening first: Telegram starts delivering as soon as the webhook is set.
                await application.bot.set_webhook(
                    url=webhook_url, secret_token=secret_token, allowed_updates=Update.ALL_TYPES
                )
                log.info("webhook registered with Telegram")
                yield server
            finally:
                await server.stop()
        finally:
            await application.stop()
            if application.post_stop is not None:
                await application.post_stop(application)
    finally:
        await application.shutdown()
        if application.post_shutdown is not None:
            await application.post_shutdown(application)


@asynccontextmanager
async def stop_signals(grace_seconds: float | None = None) -> AsyncIterator[asyncio.Event]:
    """Set the yielded event on SIGTERM or SIGINT (installed first, so start-up can be interrupted too).

    With ``grace_seconds`` the signal also arms the shutdown watchdog (``bot.shutdown``).
    """
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    signals = (signal.SIGTERM, signal.SIGINT)

    def on_signal() -> None:
        if grace_seconds is not None:
            arm_shutdown_watchdog(grace_seconds)
        stop.set()

    for sig in signals:
        loop.add_signal_handler(sig, on_signal)
    try:
        yield stop
    finally:
        for sig in signals:
            loop.remove_signal_handler(sig)


async def serve_webhook(
    application: ClotApplication,
    *,
    webhook_url: str,
    secret_token: str,
    metrics: Metrics,
    engine: AsyncEngine,
    host: str,
    port: int,
    metrics_port: int | None = None,
    grace_seconds: float | None = None,
) -> None:
    """Run the bot in webhook mode until SIGTERM or SIGINT, then shut down gracefully."""
    async with (
        stop_signals(grace_seconds) as stop,
        running_webhook(
            application,
            webhook_url=webhook_url,
            secret_token=secret_token,
            metrics=metrics,
            engine=engine,
            host=host,
            port=port,
        ),
    ):
        side: WebServer | None = None
        if metrics_port is not None and metrics_port != port:
            # A separate port keeps /metrics off the public, proxied webhook port if wanted.
            side = WebServer(None, metrics=metrics, engine=engine)
            await side.start(host, metrics_port)
        try:
            await stop.wait()
            log.info("stop signal received; shutting down")
        finally:
            if side is not None:
                await side.stop()


def serve_alongside_polling(
    application: ClotApplication, *, metrics: Metrics, engine: AsyncEngine, host: str, port: int
) -> None:
    """Serve /healthz and /metrics while ``run_polling`` runs: start after post_init, stop at post_stop."""
    server = WebServer(None, metrics=metrics, engine=engine)
    previous_init = application.post_init
    previous_stop = application.post_stop

    async def post_init(app: Any) -> None:
        if previous_init is not None:
            await previous_init(app)
        await server.start(host, port)

    async def post_stop(app: Any) -> None:
        await server.stop()
        if previous_stop is not None:
            await previous_stop(app)

    application.post_init = post_init
    application.post_stop = post_stop
