"""ClotCare command line: run | worker | migrate | console | ask | content check."""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from pydantic import ValidationError

if TYPE_CHECKING:
    from bot.config import Settings
    from bot.db.single_instance import InstanceLock

BOTFATHER_HELP = """\
TELEGRAM_BOT_TOKEN is not set, so ClotCare cannot talk to Telegram.
Get a token from @BotFather in Telegram: send it /newbot, choose a name and a username ending in "bot",
and it replies with a token like 123456789:AAH...; then either export it
(export TELEGRAM_BOT_TOKEN=123456789:AAH...) or put the line TELEGRAM_BOT_TOKEN=123456789:AAH... in a
file named .env in this folder, and run `make run` again. To try the bot without Telegram, run
`make demo`."""

WEBHOOK_SETUP_HELP = """\
WEBHOOK_URL is set, so ClotCare would run in webhook mode, but WEBHOOK_SECRET_TOKEN is not set.
Telegram sends that token back with every update, and requests without it are refused, so nobody
else can feed the bot fake updates. Set WEBHOOK_SECRET_TOKEN to 1-256 characters of A-Z, a-z, 0-9,
_ and - (for example the output of: python -c "import secrets; print(secrets.token_urlsafe(32))"),
or unset WEBHOOK_URL to use long polling."""

EXIT_CONFIG = 2


def _settings() -> Settings:
    from bot.config import Settings

    try:
        return Settings()
    except ValidationError as exc:
        # Name the settings that are wrong without echoing their values (one may be the token).
        fields = ", ".join(".".join(str(p) for p in err["loc"]).upper() for err in exc.errors())
        print(f"Invalid configuration: {fields}. See the configuration table in README.md.", file=sys.stderr)
        raise SystemExit(EXIT_CONFIG) from None


def refuse_placeholders(settings: Settings, names: tuple[str, ...] | None = None) -> None:
    """Exit 2 with one line if a setting still holds an example value (change-me, example.org ...)."""
    from bot.config import placeholder_settings

    found = placeholder_settings(settings, names)
    if found:
        print(
            f"Refusing to start: {', '.join(found)} still hold example values (change-me, example.org). "
            "Put in the real values; leave WEBHOOK_URL and WEBHOOK_SECRET_TOKEN empty for long polling.",
            file=sys.stderr,
        )
        raise SystemExit(EXIT_CONFIG)


def hold_instance_lock(settings: Settings) -> InstanceLock | None:
    """Lock a SQLite database file for this process's lifetime; exit 2 if another process holds it."""
    from bot.db.single_instance import InstanceLocked, acquire_instance_lock

    try:
        return acquire_instance_lock(settings.database_url)
    except InstanceLocked as exc:
        print(f"Refusing to start: {exc}", file=sys.stderr)
        raise SystemExit(EXIT_CONFIG) from None


def _webhook_problem(settings: Settings) -> str | None:
    """Return why the webhook settings cannot work, or None (also None in polling mode)."""
    from bot.web import webhook_path

    if settings.webhook_url is None:
        return None
    if settings.webhook_secret_token is None:
        return WEBHOOK_SETUP_HELP
    try:
        webhook_path(settings.webhook_url)
    except ValueError as exc:
        return str(exc)
    return None


def _check_telegram(settings: Settings) -> int | None:
    """Wait until Telegram answers getMe (network failures are retried); return an exit code to stop."""
    import asyncio
    import signal

    from bot.startup import REJECTED_BY_TELEGRAM, TokenRejected, wait_for_telegram

    assert settings.telegram_bot_token is not None
    # While waiting for the network, SIGTERM (systemd, docker stop) ends the wait like Ctrl-C does.
    previous = signal.signal(signal.SIGTERM, signal.default_int_handler)
    try:
        asyncio.run(
            wait_for_telegram(settings.telegram_bot_token.get_secret_value(), settings.telegram_api_base_url)
        )
    except TokenRejected:
        print(REJECTED_BY_TELEGRAM, file=sys.stderr)
        return EXIT_CONFIG
    except KeyboardInterrupt:
        print("Stopped while waiting for Telegram to answer.", file=sys.stderr)
        return 0
    finally:
        signal.signal(signal.SIGTERM, previous)
    return None


def _serve(serve: Callable[[], None]) -> int:
    """Run the bot's main loop; a token revoked while running ends it with the same one line, exit 2."""
    from bot.startup import REJECTED_BY_TELEGRAM, TokenRejected, token_rejection_explained

    try:
        with token_rejection_explained():
            serve()
    except TokenRejected:
        print(REJECTED_BY_TELEGRAM, file=sys.stderr)
        return EXIT_CONFIG
    return 0


def cmd_run(_args: argparse.Namespace) -> int:
    """Migrate (unless AUTO_MIGRATE=false) and run the bot: long polling, or a webhook if WEBHOOK_URL."""
    from bot.app import build_application, build_runtime, run_polling, run_webhook
    from bot.db.migrate import upgrade_to_head
    from bot.logs import configure_logging

    settings = _settings()
    # First, before touching the database: a second process on the same SQLite file must not start.
    lock = hold_instance_lock(settings)
    try:
        if settings.telegram_bot_token is None or not settings.telegram_bot_token.get_secret_value().strip():
            print(BOTFATHER_HELP, file=sys.stderr)
            return EXIT_CONFIG
        problem = _webhook_problem(settings)
        if problem is not None:
            print(problem, file=sys.stderr)
            return EXIT_CONFIG
        refuse_placeholders(settings)
        configure_logging(settings.log_level, settings.secret_values())
        log = logging.getLogger("bot")
        if (code := _check_telegram(settings)) is not None:
            return code
        if settings.auto_migrate:
            upgrade_to_head(settings.database_url)
            log.info("database migrated")
        runtime = build_runtime(settings)
        app = build_application(settings, runtime)
        if settings.webhook_url is not None:
            log.info("starting in webhook mode on port %d", settings.webhook_port)
            return _serve(lambda: run_webhook(app, settings))
        log.info("starting long polling")
        return _serve(lambda: run_polling(app, settings))
    finally:
        if lock is not None:
            lock.release()


def cmd_worker(_args: argparse.Namespace) -> int:
    """Migrate (unless AUTO_MIGRATE=false) and run only the reminder dispatcher, no update intake."""
    from bot.app import build_application, build_runtime, run_worker
    from bot.db.migrate import upgrade_to_head
    from bot.logs import configure_logging

    settings = _settings()
    # On SQLite a worker beside a bot would be a second dispatcher without SKIP LOCKED: refuse.
    lock = hold_instance_lock(settings)
    try:
        if settings.telegram_bot_token is None or not settings.telegram_bot_token.get_secret_value().strip():
            print(BOTFATHER_HELP, file=sys.stderr)
            return EXIT_CONFIG
        refuse_placeholders(settings, ("TELEGRAM_BOT_TOKEN", "DATABASE_URL", "DATABASE_PASSWORD"))
        configure_logging(settings.log_level, settings.secret_values())
        log = logging.getLogger("bot")
        if (code := _check_telegram(settings)) is not None:
            return code
        if settings.auto_migrate:
            upgrade_to_head(settings.database_url)
            log.info("database migrated")
        runtime = build_runtime(settings)
        app = build_application(settings, runtime, dispatch=True)
        log.info("starting reminder worker")
        return _serve(lambda: run_worker(app, settings))
    finally:
        if lock is not None:
            lock.release()


def cmd_migrate(_args: argparse.Namespace) -> int:
    """Apply all database migrations."""
    from bot.db.migrate import upgrade_to_head
    from bot.logs import configure_logging

    settings = _settings()
    refuse_placeholders(settings, ("DATABASE_URL", "DATABASE_PASSWORD"))
    configure_logging(settings.log_level, settings.secret_values())
    upgrade_to_head(settings.database_url)
    print("Database is up to date.")
    return 0


def cmd_console(args: argparse.Namespace) -> int:
    """Chat with the bot in the terminal through the in-process fake Bot API."""
    from bot.console import run_console

    return run_console(database_url=args.database_url)


def cmd_ask(args: argparse.Namespace) -> int:
    """Print the answer, topic id and score for a question (for content authors)."""
    from bot.knowledge.loader import default_content_dir, load_content
    from bot.knowledge.retrieval import Retriever
    from bot.services.qa import QAService

    content = load_content(_settings().content_dir or default_content_dir())
    service = QAService(content, Retriever(content))
    question = " ".join(args.question)
    result = service.ask(question)
    if result.topic is None:
        print(f"No answer (reason={result.reason}, score={result.score:.3f})")
        return 1
    print(f"topic: {result.topic.id}  score: {result.score:.3f}  reason: {result.reason}")
    print(f"title: {result.topic.title}")
    print(result.topic.summary)
    if result.related:
        print("related: " + ", ".join(t.id for t in result.related))
    return 0


def cmd_content_check(_args: argparse.Namespace) -> int:
    """Validate every content file and the emergency-number table."""
    from bot.domain.emergency import EmergencyDirectory, default_emergency_numbers_path
    from bot.knowledge.loader import ContentError, default_content_dir, load_content

    settings = _settings()
    try:
        content = load_content(settings.content_dir or default_content_dir())
        directory = EmergencyDirectory.load(
            settings.emergency_numbers_file or default_emergency_numbers_path()
        )
    except (ContentError, ValueError) as exc:
        print(f"content check failed: {exc}", file=sys.stderr)
        return 1
    print(f"OK: {len(content.all())} topics, {len(directory)} countries with emergency numbers.")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """Parse the command line and run the chosen command."""
    parser = argparse.ArgumentParser(prog="python -m bot", description="ClotCare Telegram bot")
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("run", help="run the bot (long polling)").set_defaults(func=cmd_run)
    sub.add_parser("worker", help="run only the reminder dispatcher (scale-out on PostgreSQL)").set_defaults(
        func=cmd_worker
    )
    sub.add_parser("migrate", help="apply database migrations").set_defaults(func=cmd_migrate)
    console = sub.add_parser("console", help="chat with the bot in this terminal, no Telegram needed")
    console.add_argument(
        "--database-url", default=None, help="database for the session (default: a temporary file)"
    )
    console.set_defaults(func=cmd_console)
    ask = sub.add_parser("ask", help="answer a question from the content base")
    ask.add_argument("question", nargs="+")
    ask.set_defaults(func=cmd_ask)
    content = sub.add_parser("content", help="content tools")
    content_sub = content.add_subparsers(dest="content_command", required=True)
    content_sub.add_parser("check", help="validate content/").set_defaults(func=cmd_content_check)
    args = parser.parse_args(argv)
    return int(args.func(args))


if __name__ == "__main__":
    sys.exit(main())
