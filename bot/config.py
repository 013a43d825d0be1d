"""Settings: the only module that reads the environment (and ``.env``)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Literal
from urllib.parse import urlsplit

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_SQLITE_URL = "sqlite:///data/clotcare.sqlite3"
# Telegram's rule for setWebhook's secret_token (sent back in X-Telegram-Bot-Api-Secret-Token).
WEBHOOK_SECRET_PATTERN = re.compile(r"[A-Za-z0-9_-]{1,256}")
# What deploy/clotcare.env.example and documentation put where a real value belongs.
PLACEHOLDER_MARKERS = ("change-me", "changeme", "replace-me")
PLACEHOLDER_HOSTS = ("example.org", "example.com", "example.net")


def to_async_url(url: str) -> str:
    """Return ``url`` with the async driver SQLAlchemy needs (aiosqlite / asyncpg)."""
    for plain, driver in (
        ("sqlite://", "sqlite+aiosqlite://"),
        ("postgresql://", "postgresql+asyncpg://"),
        ("postgres://", "postgresql+asyncpg://"),
        ("postgresql+psycopg2://", "postgresql+asyncpg://"),
        ("postgresql+psycopg://", "postgresql+asyncpg://"),
    ):
        if url.startswith(plain):
            return driver + url[len(plain) :]
    return url


class Settings(BaseSettings):
    """ClotCare configuration, from environment variables or a ``.env`` file."""

    model_config = SettingsConfigDict(env_file=".env", env_file_encoding="utf-8", extra="ignore")

    telegram_bot_token: SecretStr | None = None
    telegram_api_base_url: str = "https://api.telegram.org/bot"
    telegram_file_base_url: str = "https://api.telegram.org/file/bot"
    database_url: str = DEFAULT_SQLITE_URL
    # Put into DATABASE_URL's password, escaped, so any character works (compose passes POSTGRES_PASSWORD).
    database_password: SecretStr | None = None
    auto_migrate: bool = True
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"] = "INFO"
    content_dir: Path | None = None
    emergency_numbers_file: Path | None = None
    reminder_follow_up_minutes: int = Field(default=30, ge=1, le=24 * 60)
    reminder_missed_after_minutes: int = Field(default=240, ge=1, le=24 * 60)
    reminder_tick_seconds: float = Field(default=20.0, gt=0, le=300)
    # False makes `run` intake-only, for deployments where `python -m bot worker` processes dispatch.
    reminder_dispatch: bool = True
    reminder_claim_lease_seconds: float = Field(default=120.0, ge=5, le=3600)
    # Reminders claimed, sent concurrently and recorded together: the most a SIGKILL can send twice.
    reminder_slice_size: int = Field(default=16, ge=1, le=1000)
    polling_timeout_seconds: int = Field(default=10, ge=0, le=50)
    database_pool_size: int = Field(default=5, ge=1, le=200)
    database_max_overflow: int = Field(default=10, ge=0, le=200)
    webhook_url: str | None = None
    # Binding every interface is the point in a container; a reverse proxy or firewall fronts it.
    webhook_listen: str = "0.0.0.0"  # noqa: S104
    webhook_port: int = Field(default=8443, ge=1, le=65535)
    webhook_secret_token: SecretStr | None = None
    metrics_port: int | None = Field(default=None, ge=1, le=65535)
    telegram_allow_paid_broadcast: bool = False
    # Telegram's 30/s is per bot, not per process: with N sending processes give each about 30/N.
    telegram_max_messages_per_second: float = Field(default=30.0, gt=0, le=1000)
    # Updates of different chats run concurrently (one chat's stay in order): handler workers at once,
    # and how many updates may be admitted (running or waiting for their chat) before PTB holds the rest.
    update_workers: int = Field(default=64, ge=1, le=1024)
    update_max_pending: int = Field(default=4096, ge=1, le=100_000)
    # How long a reply that failed in transit (timeout, network error, 5xx) is retried; safety longest.
    reply_retry_seconds: float = Field(default=300.0, ge=0, le=3600)
    safety_reply_retry_seconds: float = Field(default=900.0, ge=0, le=4 * 3600)
    # Bounded waits on the database: a stalled server must not hold an update or a shutdown forever.
    database_connect_timeout_seconds: float = Field(default=5.0, gt=0, le=300)
    database_statement_timeout_seconds: float = Field(default=10.0, gt=0, le=3600)
    database_pool_timeout_seconds: float = Field(default=5.0, gt=0, le=300)
    # Safety replies wait this long for the user's country, then use the cached (or default) one.
    safety_profile_timeout_seconds: float = Field(default=1.0, gt=0, le=30)
    # After SIGTERM/SIGINT the process exits within this many seconds, whatever Telegram or the DB do.
    shutdown_grace_seconds: float = Field(default=25.0, gt=0, le=600)

    @field_validator("log_level", mode="before")
    @classmethod
    def _upper_log_level(cls, value: object) -> object:
        return value.upper() if isinstance(value, str) else value

    @field_validator(
        "webhook_url", "webhook_secret_token", "metrics_port", "database_password", mode="before"
    )
    @classmethod
    def _blank_is_unset(cls, value: object) -> object:
        # compose files and EnvironmentFiles often carry `NAME=` for "not set".
        return None if isinstance(value, str) and not value.strip() else value

    @field_validator("webhook_secret_token")
    @classmethod
    def _telegram_secret_rule(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and not WEBHOOK_SECRET_PATTERN.fullmatch(value.get_secret_value()):
            # The message must not echo the value: it is a secret.
            raise ValueError("must be 1-256 characters of A-Z, a-z, 0-9, _ and -")
        return value

    @model_validator(mode="after")
    def _password_into_url(self) -> Settings:
        if self.database_password is not None and not self.database_url.startswith("sqlite"):
            self.database_url = with_password(self.database_url, self.database_password.get_secret_value())
        return self

    def secret_values(self) -> list[str]:
        """Return every secret the process holds, for the log and traceback redaction."""
        from sqlalchemy.engine import make_url

        values = [s.get_secret_value() for s in (self.telegram_bot_token, self.webhook_secret_token) if s]
        try:
            password = make_url(self.database_url).password
        except ValueError:  # a URL SQLAlchemy cannot parse fails later, with its own message
            password = None
        if password:
            values.append(str(password))
        return [v for v in values if v.strip()]

    @property
    def async_database_url(self) -> str:
        """Return the database URL with the async driver filled in."""
        return to_async_url(self.database_url)

    @property
    def is_sqlite(self) -> bool:
        """Tell whether the database is SQLite (embedded, one process)."""
        return self.async_database_url.startswith("sqlite")


def with_password(url: str, password: str) -> str:
    """Return ``url`` with ``password`` set, percent-encoded (``@``, ``:``, ``/``, ``%`` ... are safe)."""
    from sqlalchemy.engine import make_url

    return make_url(url).set(password=password).render_as_string(hide_password=False)


def _is_placeholder(value: str) -> bool:
    folded = value.casefold()
    if any(marker in folded for marker in PLACEHOLDER_MARKERS):
        return True
    try:
        host = (urlsplit(folded).hostname or "") if "://" in folded else ""
    except ValueError:  # e.g. a broken IPv6 literal; the setting's own check reports it
        return False
    return any(host == h or host.endswith("." + h) for h in PLACEHOLDER_HOSTS)


def placeholder_settings(settings: Settings, names: tuple[str, ...] | None = None) -> list[str]:
    """Return the (upper-case) names of settings that still hold an example value like change-me."""
    candidates = {
        "TELEGRAM_BOT_TOKEN": settings.telegram_bot_token,
        "DATABASE_URL": settings.database_url,
        "DATABASE_PASSWORD": settings.database_password,
        "WEBHOOK_URL": settings.webhook_url,
        "WEBHOOK_SECRET_TOKEN": settings.webhook_secret_token,
    }
    found = []
    for name, value in candidates.items():
        if names is not None and name not in names:
            continue
        text = value.get_secret_value() if isinstance(value, SecretStr) else value
        if text is not None and _is_placeholder(text):
            found.append(name)
    return found
