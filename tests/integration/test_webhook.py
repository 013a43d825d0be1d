"""Webhook mode in-process: the tornado server in front of the real Application on the fake Bot API."""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from bot.app import build_application, build_runtime
from bot.config import Settings
from bot.db.session import create_engine
from bot.handlers.common import ClotApplication
from bot.instrumentation import METRICS_KEY
from bot.metrics import Metrics
from bot.web import SECRET_HEADER, WebServer, running_webhook
from tests.fakes.harness import shared_knowledge
from tests.fakes.telegram import FakeBotAPI, FakeRequest

USER = 4242


@dataclass
class Served:
    """A running webhook server and what a test needs to talk to it."""

    api: FakeBotAPI
    app: ClotApplication
    base: str
    path: str
    secret: str
    webhook_url: str


def _app(settings: Settings, api: FakeBotAPI) -> ClotApplication:
    runtime = build_runtime(settings, knowledge=shared_knowledge())
    return build_application(
        settings, runtime, request=FakeRequest(api), updates_request=FakeRequest(api), rate_limited=False
    )


@pytest.fixture
async def served(settings: Settings) -> AsyncIterator[Served]:
    """Serve the webhook on a free loopback port; the public URL is HTTPS, as Telegram requires."""
    api = FakeBotAPI(token="123456:TEST-TOKEN")
    app = _app(settings, api)
    path = f"/tg-{secrets.token_hex(8)}"
    secret = secrets.token_urlsafe(32)
    webhook_url = f"https://bot.example.org{path}"
    async with running_webhook(
        app,
        webhook_url=webhook_url,
        secret_token=secret,
        metrics=app.bot_data[METRICS_KEY],
        engine=app.bot_data["engine"],
        host="127.0.0.1",
        port=0,
    ) as server:
        yield Served(api, app, f"http://127.0.0.1:{server.port}", path, secret, webhook_url)


async def _post(served: Served, update: dict[str, object], secret: str | None) -> httpx.Response:
    headers = {SECRET_HEADER: secret} if secret is not None else {}
    async with httpx.AsyncClient(base_url=served.base) as client:
        return await client.post(served.path, json=update, headers=headers)


async def test_set_webhook_is_called_with_the_secret(served: Served) -> None:
    calls = served.api.calls_of("setWebhook")
    assert len(calls) == 1
    assert calls[0].ok
    assert calls[0].params["url"] == served.webhook_url
    assert calls[0].params["secret_token"] == served.secret


async def test_update_with_the_right_secret_is_handled(served: Served) -> None:
    response = await _post(served, served.api.user_sends(USER, "/help"), served.secret)
    assert response.status_code == 200
    replies = await served.api.wait_for_messages_async(USER, 1, timeout=10)
    assert replies
    assert replies[0].plain_text


@pytest.mark.parametrize("secret", [None, "", "wrong-secret"], ids=["missing", "empty", "wrong"])
async def test_update_without_the_right_secret_is_refused(served: Served, secret: str | None) -> None:
    response = await _post(served, served.api.user_sends(USER, "/help"), secret)
    assert response.status_code == 403
    assert served.app.update_queue.empty()
    assert served.api.messages(USER) == []


async def test_a_prefix_of_the_secret_is_refused(served: Served) -> None:
    response = await _post(served, served.api.user_sends(USER, "/help"), served.secret[:-1])
    assert response.status_code == 403


async def test_garbage_with_the_right_secret_is_a_bad_request(served: Served) -> None:
    async with httpx.AsyncClient(base_url=served.base) as client:
        response = await client.post(served.path, content=b"not json", headers={SECRET_HEADER: served.secret})
    assert response.status_code == 400


async def test_other_paths_are_not_found(served: Served) -> None:
    async with httpx.AsyncClient(base_url=served.base) as client:
        response = await client.post(
            "/tg-somewhere-else", json={"update_id": 1}, headers={SECRET_HEADER: served.secret}
        )
    assert response.status_code == 404


async def test_healthz_is_200_when_the_database_answers(served: Served) -> None:
    async with httpx.AsyncClient(base_url=served.base) as client:
        response = await client.get("/healthz")
    assert response.status_code == 200


async def test_metrics_count_updates_and_replies(served: Served) -> None:
    await _post(served, served.api.user_sends(USER, "/help"), served.secret)
    await served.api.wait_for_messages_async(USER, 1, timeout=10)
    async with httpx.AsyncClient(base_url=served.base) as client:
        response = await client.get("/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    body = response.text
    assert 'clotcare_updates_total{type="message"} 1.0' in body
    assert 'clotcare_messages_sent_total{method="sendMessage"}' in body
    assert 'clotcare_telegram_errors_total{kind="Forbidden"} 0.0' in body
    assert 'clotcare_reminders_total{outcome="sent"} 0.0' in body
    assert "clotcare_reminder_dispatch_lag_seconds_bucket" in body


async def test_telegram_errors_are_counted_by_kind(served: Served) -> None:
    served.api.fail_next("sendMessage", 403, "Forbidden: bot was blocked by the user")
    await _post(served, served.api.user_sends(USER, "/help"), served.secret)
    metrics: Metrics = served.app.bot_data[METRICS_KEY]
    expected = 'clotcare_telegram_errors_total{kind="Forbidden"} 1.0'
    for _ in range(500):
        if expected in metrics.render().decode():
            break
        await asyncio.sleep(0.01)
    assert expected in metrics.render().decode()


async def test_healthz_is_503_when_the_database_is_unreachable(settings: Settings) -> None:
    api = FakeBotAPI(token="123456:TEST-TOKEN")
    app = _app(settings, api)
    # Nothing listens on port 1: the probe fails fast instead of timing out.
    dead = create_engine("postgresql://postgres@127.0.0.1:1/clotcare")
    server = WebServer(None, metrics=app.bot_data[METRICS_KEY], engine=dead, health_timeout=2.0)
    port = await server.start("127.0.0.1", 0)
    try:
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as client:
            response = await client.get("/healthz")
            assert response.status_code == 503
            # Without a webhook path and secret, the server has no webhook route at all.
            assert (await client.post("/", json={})).status_code == 404
    finally:
        await server.stop()
        await dead.dispose()
        await app.bot_data["engine"].dispose()


# ---------------------------------------------------------------------- configuration


def _run_cli(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, **env: str) -> int:
    """Run `python -m bot run` in-process with only ``env`` set; return its exit status."""
    import os

    from bot.__main__ import main

    for name in list(os.environ):
        if name.startswith(("TELEGRAM_", "DATABASE_", "WEBHOOK_", "METRICS_")):
            monkeypatch.delenv(name)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    monkeypatch.chdir(tmp_path)  # no stray .env file
    try:
        return main(["run"])
    except SystemExit as exc:
        return int(exc.code or 0)


def test_webhook_mode_without_a_secret_refuses_to_start(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = _run_cli(
        monkeypatch,
        tmp_path,
        TELEGRAM_BOT_TOKEN="123456:TEST-TOKEN",
        DATABASE_URL=f"sqlite:///{tmp_path / 'bot.sqlite3'}",
        WEBHOOK_URL="https://bot.example.org/tg-hook",
    )
    assert code == 2
    assert "WEBHOOK_SECRET_TOKEN is not set" in capsys.readouterr().err


@pytest.mark.parametrize("secret", ["has space", "x" * 257, "ünïcode", "semi;colon"])
def test_a_secret_outside_telegrams_rule_refuses_to_start(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str], secret: str
) -> None:
    code = _run_cli(
        monkeypatch,
        tmp_path,
        TELEGRAM_BOT_TOKEN="123456:TEST-TOKEN",
        DATABASE_URL=f"sqlite:///{tmp_path / 'bot.sqlite3'}",
        WEBHOOK_URL="https://bot.example.org/tg-hook",
        WEBHOOK_SECRET_TOKEN=secret,
    )
    assert code == 2
    err = capsys.readouterr().err
    assert "WEBHOOK_SECRET_TOKEN" in err
    assert secret not in err


def test_a_webhook_path_that_would_shadow_healthz_refuses_to_start(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = _run_cli(
        monkeypatch,
        tmp_path,
        TELEGRAM_BOT_TOKEN="123456:TEST-TOKEN",
        DATABASE_URL=f"sqlite:///{tmp_path / 'bot.sqlite3'}",
        WEBHOOK_URL="https://bot.example.org/healthz",
        WEBHOOK_SECRET_TOKEN="abc_DEF-123",
    )
    assert code == 2
    assert "/healthz" in capsys.readouterr().err


@pytest.mark.parametrize("secret", ["a", "A-z_0-9", "x" * 256])
def test_secrets_within_telegrams_rule_are_accepted(secret: str) -> None:
    settings = Settings(_env_file=None, webhook_secret_token=secret)
    assert settings.webhook_secret_token is not None
    assert settings.webhook_secret_token.get_secret_value() == secret


def test_blank_webhook_settings_mean_unset() -> None:
    settings = Settings(_env_file=None, webhook_url="", webhook_secret_token="", metrics_port="")
    assert settings.webhook_url is None
    assert settings.webhook_secret_token is None
    assert settings.metrics_port is None


def test_pool_settings_reach_the_postgres_engine(settings: Settings) -> None:
    tuned = settings.model_copy(
        update={
            "database_url": "postgresql://postgres@127.0.0.1:1/clotcare",
            "database_pool_size": 7,
            "database_max_overflow": 3,
        }
    )
    runtime = build_runtime(tuned, knowledge=shared_knowledge())
    pool = runtime.engine.sync_engine.pool
    assert pool.size() == 7  # type: ignore[attr-defined]
    assert pool._max_overflow == 3  # type: ignore[attr-defined]
