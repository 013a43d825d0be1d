"""Composition root: build the services and the Application, register handlers, lifecycle hooks."""

from __future__ import annotations

import asyncio
import logging
import signal
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncEngine
from telegram import BotCommand, LinkPreviewOptions, Update
from telegram.constants import ParseMode
from telegram.ext import Application, ApplicationBuilder, ContextTypes, Defaults, ExtBot
from telegram.request import BaseRequest, HTTPXRequest

from bot.config import Settings
from bot.db.session import DatabaseTimeouts, create_engine, create_session_factory
from bot.db.uow import SqlUnitOfWork
from bot.domain.clock import Clock, SystemClock
from bot.domain.emergency import EmergencyDirectory, default_emergency_numbers_path
from bot.domain.reminders import ReminderPolicy
from bot.handlers import errors, flows, messages, qa, reminders, safety, settings, start, throttle
from bot.handlers.common import SERVICES_KEY, ClotApplication, ClotContext
from bot.handlers.processing import ChatOrderedProcessor, classify_update
from bot.handlers.start import AVAILABLE_COMMANDS_KEY
from bot.instrumentation import METRICS_KEY, MeteredRequest, register_update_counter
from bot.jobs import register_jobs
from bot.knowledge.loader import default_content_dir, load_content
from bot.knowledge.retrieval import Retriever
from bot.metrics import Metrics
from bot.ratelimit import ChatRateLimiter
from bot.retry import RetryingRequest
from bot.services.container import Services
from bot.services.dispatcher import ChatPace, Dispatcher
from bot.services.qa import QAService
from bot.services.reminders import ReminderService
from bot.services.users import UserService
from bot.shutdown import arm_shutdown_watchdog
from bot.views.common import menu_commands
from bot.web import WebServer, serve_alongside_polling, serve_webhook, stop_signals

log = logging.getLogger(__name__)

POLLING_GRACE_KEY = "polling_grace_seconds"
DISPOSE_TIMEOUT_SECONDS = 3.0


@dataclass(frozen=True, slots=True)
class Runtime:
    """What ``build_runtime`` wires: the services and the engine behind them (to dispose of)."""

    services: Services
    engine: AsyncEngine
    # One registry per runtime, so tests (and a worker beside the bot) can build many side by side.
    metrics: Metrics = field(default_factory=Metrics)
    # Called after a commit stored new reminder occurrences (the tick scheduler plans its wake-up).
    reminders_added: list[Callable[[], None]] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class Knowledge:
    """What is read from content/ at start-up: immutable, so one copy can serve many Applications."""

    qa: QAService
    emergency: EmergencyDirectory


def load_knowledge(settings: Settings) -> Knowledge:
    """Load and validate the topics and the emergency-number table; build the search index."""
    content = load_content(settings.content_dir or default_content_dir())
    emergency = EmergencyDirectory.load(settings.emergency_numbers_file or default_emergency_numbers_path())
    return Knowledge(qa=QAService(content, Retriever(content)), emergency=emergency)


def build_runtime(
    settings: Settings,
    *,
    clock: Clock | None = None,
    engine: AsyncEngine | None = None,
    knowledge: Knowledge | None = None,
) -> Runtime:
    """Open the database engine and wire the services (loading content unless ``knowledge`` is given)."""
    clock = clock or SystemClock()
    engine = engine or create_engine(
        settings.async_database_url,
        pool_size=settings.database_pool_size,
        max_overflow=settings.database_max_overflow,
        timeouts=DatabaseTimeouts(
            connect=settings.database_connect_timeout_seconds,
            statement=settings.database_statement_timeout_seconds,
            pool=settings.database_pool_timeout_seconds,
        ),
    )
    session_factory = create_session_factory(engine)
    metrics = Metrics()
    reminders_added: list[Callable[[], None]] = []

    def reminders_changed() -> None:
        for listener in reminders_added:
            listener()

    def uow() -> SqlUnitOfWork:
        return SqlUnitOfWork(session_factory, on_reminders_added=reminders_changed)

    knowledge = knowledge or load_knowledge(settings)
    users = UserService(uow, clock, safety_timeout=settings.safety_profile_timeout_seconds)
    policy = ReminderPolicy(
        follow_up_after=timedelta(minutes=settings.reminder_follow_up_minutes),
        missed_after=timedelta(minutes=settings.reminder_missed_after_minutes),
        claim_lease=timedelta(seconds=settings.reminder_claim_lease_seconds),
    )
    reminder_service = ReminderService(uow, clock, policy, on_forget=[users.forget_cached])
    users.on_timezone_changed(reminder_service.on_timezone_changed)
    services = Services(
        clock=clock,
        users=users,
        emergency=knowledge.emergency,
        qa=knowledge.qa,
        reminders=reminder_service,
        dispatcher=Dispatcher(
            uow,
            policy,
            on_blocked=users.deactivate,
            metrics=metrics,
            clock=clock,
            # Pace each chat as Telegram does (bot/ratelimit.py), so no send waits inside a slice.
            chat_pace=ChatPace(),
            batch_size=settings.reminder_slice_size,
            concurrency=settings.reminder_slice_size,
        ),
    )
    return Runtime(services=services, engine=engine, metrics=metrics, reminders_added=reminders_added)


class ClotCareApplication(
    Application[ExtBot[None], ClotContext, dict[Any, Any], dict[Any, Any], dict[Any, Any], Any]
):
    """PTB's Application, stopping the reminder dispatcher before its JobQueue waits for the tick."""

    async def start(self) -> None:
        """Let the dispatcher claim again (an Application may be started after a stop), then start."""
        services = self.bot_data.get(SERVICES_KEY)
        if isinstance(services, Services):
            services.dispatcher.resume()
        await super().start()

    async def stop(self) -> None:
        """Ask the dispatcher to claim no more, then stop (the JobQueue waits for the running tick)."""
        services = self.bot_data.get(SERVICES_KEY)
        if isinstance(services, Services):
            # Without this the running tick would work through up to max_batches before stop returns.
            services.dispatcher.request_stop()
        await super().stop()


# Order matters: PTB runs the first matching handler in a group, so the catch-all handlers come last.
# The throttle registers in group -1, so it sees every update before any feature does.
HANDLER_MODULES = (flows, throttle, start, safety, settings, qa, reminders, messages)


def build_application(
    settings: Settings,
    runtime: Runtime,
    *,
    request: BaseRequest | None = None,
    updates_request: BaseRequest | None = None,
    rate_limited: bool = True,
    dispatch: bool | None = None,
) -> ClotApplication:
    """Build the PTB Application with every handler and the lifecycle hooks.

    ``dispatch`` says whether this process runs the reminder tick (default: REMINDER_DISPATCH).
    """
    if settings.telegram_bot_token is None:
        raise ValueError("TELEGRAM_BOT_TOKEN is not set")
    builder: Any = (
        ApplicationBuilder()
        .application_class(ClotCareApplication)
        .token(settings.telegram_bot_token.get_secret_value())
        .base_url(settings.telegram_api_base_url)
        .base_file_url(settings.telegram_file_base_url)
        .context_types(ContextTypes(context=ClotContext))
        .defaults(
            Defaults(parse_mode=ParseMode.HTML, link_preview_options=LinkPreviewOptions(is_disabled=True))
        )
        .post_init(_post_init)
        .post_shutdown(_post_shutdown)
    )
    # Every Bot API call except getUpdates goes through the metered transport (PTB's default pool size).
    builder = builder.request(
        # RetryingRequest repeats calls answered 5xx, and replies failed in transit until their
        # deadline (see bot/retry.py); each attempt is metered.
        RetryingRequest(
            MeteredRequest(request or HTTPXRequest(connection_pool_size=256), runtime.metrics),
            reply_deadline=settings.reply_retry_seconds,
            safety_deadline=settings.safety_reply_retry_seconds,
            on_give_up=lambda _endpoint, reply_class: runtime.metrics.reply_given_up(reply_class.value),
        )
    )
    # Different chats concurrently, one chat in order, safety guidance first (bot/handlers/processing.py).
    builder = builder.concurrent_updates(
        ChatOrderedProcessor(
            workers=settings.update_workers,
            max_pending=max(settings.update_max_pending, settings.update_workers),
            classify=classify_update,
        )
    )
    if updates_request is not None:
        builder = builder.get_updates_request(updates_request)
    if rate_limited:
        builder = builder.rate_limiter(
            ChatRateLimiter(
                max_retries=3,
                overall_max_rate=settings.telegram_max_messages_per_second,
                allow_paid_broadcast=settings.telegram_allow_paid_broadcast,
            )
        )
    app: ClotApplication = builder.build()
    app.bot_data[SERVICES_KEY] = runtime.services
    app.bot_data["engine"] = runtime.engine
    app.bot_data[METRICS_KEY] = runtime.metrics
    register_update_counter(app, runtime.metrics)
    commands: set[str] = set()
    for module in HANDLER_MODULES:
        commands |= module.register(app)
    app.bot_data[AVAILABLE_COMMANDS_KEY] = frozenset(commands)
    app.add_error_handler(errors.on_error)
    if settings.reminder_dispatch if dispatch is None else dispatch:
        scheduler = register_jobs(app, interval_seconds=settings.reminder_tick_seconds)
        if scheduler is not None:
            runtime.reminders_added.append(scheduler.poke)
    else:
        log.info("reminder dispatch is off in this process (REMINDER_DISPATCH=false)")
    return app


async def _post_init(app: ClotApplication) -> None:
    """Install the polling process's stop signals (if asked), then register the command menu."""
    grace = app.bot_data.get(POLLING_GRACE_KEY)
    if isinstance(grace, float):
        _install_stop_signals(app, grace)
    available = frozenset(app.bot_data.get(AVAILABLE_COMMANDS_KEY, frozenset()))
    await app.bot.set_my_commands([BotCommand(name, text) for name, text in menu_commands(available)])
    log.info("command menu registered: %d commands", len(menu_commands(available)))


def _install_stop_signals(app: ClotApplication, grace_seconds: float) -> None:
    """On SIGTERM/SIGINT arm the shutdown watchdog, then stop polling (PTB then stops gracefully)."""
    loop = asyncio.get_running_loop()

    def on_signal() -> None:
        arm_shutdown_watchdog(grace_seconds)
        app.stop_running()

    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, on_signal)


async def _post_shutdown(app: ClotApplication) -> None:
    """Release the database connections (closing them may not wait on a stalled server for long)."""
    engine = app.bot_data.get("engine")
    if isinstance(engine, AsyncEngine):
        try:
            await asyncio.wait_for(engine.dispose(), DISPOSE_TIMEOUT_SECONDS)
        except TimeoutError:
            log.warning(
                "database connections not closed within %.0f s; leaving them", DISPOSE_TIMEOUT_SECONDS
            )


def run_polling(app: ClotApplication, settings: Settings) -> None:
    """Run the bot with long polling until SIGINT/SIGTERM (with /healthz and /metrics if METRICS_PORT)."""
    if settings.metrics_port is not None:
        serve_alongside_polling(
            app,
            metrics=app.bot_data[METRICS_KEY],
            engine=app.bot_data["engine"],
            host=settings.webhook_listen,
            port=settings.metrics_port,
        )
    # The stop signals are installed in post_init (see _install_stop_signals), to arm the watchdog.
    app.bot_data[POLLING_GRACE_KEY] = float(settings.shutdown_grace_seconds)
    app.run_polling(
        allowed_updates=Update.ALL_TYPES, timeout=settings.polling_timeout_seconds, stop_signals=None
    )


def run_webhook(app: ClotApplication, settings: Settings) -> None:
    """Serve the webhook (plus /healthz and /metrics) until SIGINT/SIGTERM; needs WEBHOOK_URL and secret."""
    if settings.webhook_url is None or settings.webhook_secret_token is None:
        raise ValueError("webhook mode needs WEBHOOK_URL and WEBHOOK_SECRET_TOKEN")
    asyncio.run(
        serve_webhook(
            app,
            webhook_url=settings.webhook_url,
            secret_token=settings.webhook_secret_token.get_secret_value(),
            metrics=app.bot_data[METRICS_KEY],
            engine=app.bot_data["engine"],
            host=settings.webhook_listen,
            port=settings.webhook_port,
            metrics_port=settings.metrics_port,
            grace_seconds=settings.shutdown_grace_seconds,
        )
    )


def run_worker(app: ClotApplication, settings: Settings) -> None:
    """Run only the reminder tick (no polling, no webhook) until SIGINT/SIGTERM, then stop gracefully."""
    asyncio.run(_serve_worker(app, settings))


async def _serve_worker(app: ClotApplication, settings: Settings) -> None:
    """Start the Application without an updater: the JobQueue runs the tick; nothing fetches updates."""
    async with stop_signals(settings.shutdown_grace_seconds) as stop:
        # No post_init: the command menu is the intake process's business.
        await app.initialize()
        try:
            await app.start()
            server: WebServer | None = None
            try:
                if settings.metrics_port is not None:
                    server = WebServer(None, metrics=app.bot_data[METRICS_KEY], engine=app.bot_data["engine"])
                    await server.start(settings.webhook_listen, settings.metrics_port)
                log.info("reminder worker running")
                await stop.wait()
                log.info("stop signal received; finishing the reminders in flight")
            finally:
                if server is not None:
                    await server.stop()
                # ClotCareApplication.stop releases unsent claims and waits for the running tick.
                await app.stop()
        finally:
            await app.shutdown()
            if app.post_shutdown is not None:
                await app.post_shutdown(app)
