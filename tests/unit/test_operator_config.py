"""Operator-facing settings: example values are refused, and any database password survives the URL."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from sqlalchemy.engine import make_url

from bot.__main__ import main
from bot.config import Settings, placeholder_settings, with_password
from bot.startup import TokenRejected, wait_for_telegram
from tests.fakes.telegram import FakeBotAPI, FakeTelegramServer

REPO = Path(__file__).resolve().parents[2]
NASTY = "p@ss:w/rd%20#?&=+ üñí 'quote\""


def _example_env() -> dict[str, str]:
    """The settings exactly as deploy/clotcare.env.example ships them."""
    values: dict[str, str] = {}
    for line in (REPO / "deploy" / "clotcare.env.example").read_text(encoding="utf-8").splitlines():
        if line and not line.startswith("#") and "=" in line:
            name, _, value = line.partition("=")
            values[name] = value
    return values


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("TELEGRAM_BOT_TOKEN", "123456789:change-me"),
        ("TELEGRAM_BOT_TOKEN", "CHANGEME"),
        ("DATABASE_URL", "postgresql://clotcare:replace-me@127.0.0.1/clotcare"),
        ("DATABASE_PASSWORD", "change-me"),
        ("WEBHOOK_URL", "https://bot.example.org/tg-hook"),
        ("WEBHOOK_URL", "https://example.com/x"),
        ("WEBHOOK_SECRET_TOKEN", "change-me"),
    ],
)
def test_example_values_are_recognised(name: str, value: str) -> None:
    settings = Settings(_env_file=None, **{name.lower(): value})  # type: ignore[arg-type]
    assert name in placeholder_settings(settings)


def test_real_looking_values_are_not_placeholders() -> None:
    settings = Settings(
        _env_file=None,
        telegram_bot_token="7712345678:AAF-real",
        database_url="postgresql://clotcare@db:5432/clotcare",
        database_password="Xy7-example-not",
        webhook_url="https://clots.my-hospital.nhs.uk/tg-8f3a",
        webhook_secret_token="abc_DEF-123",
    )
    assert placeholder_settings(settings) == []


@pytest.mark.parametrize("command", ["run", "worker", "migrate"])
def test_the_shipped_example_env_is_refused_at_start_up_with_one_line(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str], command: str
) -> None:
    monkeypatch.chdir(tmp_path)  # no .env here
    for name, value in _example_env().items():
        monkeypatch.setenv(name, value)
    with pytest.raises(SystemExit) as exited:
        main([command])
    assert exited.value.code == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1
    assert err.startswith("Refusing to start:")
    assert "DATABASE_URL" in err
    assert ("TELEGRAM_BOT_TOKEN" in err) is (command != "migrate")
    assert "change-me" not in err.split("(")[0]  # names the settings, never echoes their values


def test_the_example_env_leaves_the_webhook_off_and_migration_to_the_operator() -> None:
    env = _example_env()
    assert env["WEBHOOK_URL"] == ""
    assert env["WEBHOOK_SECRET_TOKEN"] == ""
    assert env["AUTO_MIGRATE"] == "false"
    settings = Settings(_env_file=None, **{k.lower(): v for k, v in env.items() if k != "POSTGRES_PASSWORD"})  # type: ignore[arg-type]
    assert settings.webhook_url is None
    assert settings.auto_migrate is False


def test_database_password_with_special_characters_is_escaped_into_the_url() -> None:
    settings = Settings(
        _env_file=None,
        database_url="postgresql://clotcare@db:5432/clotcare",
        database_password=NASTY,
    )
    url = make_url(settings.database_url)
    assert url.password == NASTY
    assert (url.username, url.host, url.port, url.database) == ("clotcare", "db", 5432, "clotcare")
    assert make_url(settings.async_database_url).drivername == "postgresql+asyncpg"
    assert make_url(settings.async_database_url).password == NASTY
    assert NASTY in settings.secret_values()


def test_with_password_replaces_an_existing_password() -> None:
    url = with_password("postgresql://u:old@h/db", "n@w/1")
    assert make_url(url).password == "n@w/1"
    assert "old" not in url


def test_a_sqlite_url_ignores_the_database_password() -> None:
    settings = Settings(_env_file=None, database_url="sqlite:///x.sqlite3", database_password="p")
    assert settings.database_url == "sqlite:///x.sqlite3"


def test_start_up_check_tells_a_rejected_token_apart_from_a_network_failure() -> None:
    api = FakeBotAPI()
    with FakeTelegramServer(api) as server:
        assert asyncio.run(wait_for_telegram(api.token, server.base_url)) == api.bot_username
        with pytest.raises(TokenRejected) as rejected:
            asyncio.run(wait_for_telegram("999:WRONG", server.base_url))
    assert "999:WRONG" not in str(rejected.value)
    assert rejected.value.__cause__ is None


def test_network_failures_are_retried_with_growing_pauses(caplog: pytest.LogCaptureFixture) -> None:
    from telegram.error import NetworkError

    pauses: list[float] = []

    async def sleep(seconds: float) -> None:
        pauses.append(seconds)

    closed = "http://127.0.0.1:9/bot"  # the discard port: nothing listens, the connection is refused
    with pytest.raises(NetworkError):
        asyncio.run(wait_for_telegram("1:X", closed, max_attempts=5, sleep=sleep, max_delay=5))
    assert pauses == [1, 2, 4, 5]
    warnings = [r.getMessage() for r in caplog.records if r.name == "bot.startup"]
    assert warnings[0] == "cannot reach Telegram at 127.0.0.1:9 (ConnectError); retrying in 1 s (attempt 1)"
    assert warnings[-1].endswith("giving up after 5 tries")
