"""The real `python -m bot run` in webhook mode: Telegram (the fake) POSTs updates to our own server."""

from __future__ import annotations

import secrets
import signal
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.e2e.conftest import BotProcess
from tests.fakes.telegram import FakeBotAPI, FakeTelegramServer

pytestmark = pytest.mark.e2e

USER = 31337
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class WebhookBot(BotProcess):
    """A bot process in webhook mode: ready once it has registered its webhook (it never polls)."""

    ready_method = "setWebhook"
    polls = False

    def __init__(self, api: FakeBotAPI, server: FakeTelegramServer, tmp_path: Path) -> None:
        super().__init__(api, server, f"sqlite:///{tmp_path / 'webhook.sqlite3'}", tmp_path / "bot.log")
        self.port = _free_port()
        self.path = f"/tg-{secrets.token_hex(8)}"
        self.secret = secrets.token_urlsafe(32)
        # Telegram (and the fake) only accept an HTTPS webhook URL: in production TLS ends at a reverse
        # proxy in front of WEBHOOK_LISTEN:WEBHOOK_PORT, so here the test plays the proxy over plain HTTP.
        self.extra_env = {
            "WEBHOOK_URL": f"https://127.0.0.1:{self.port}{self.path}",
            "WEBHOOK_LISTEN": "127.0.0.1",
            "WEBHOOK_PORT": str(self.port),
            "WEBHOOK_SECRET_TOKEN": self.secret,
        }
        self.local = f"http://127.0.0.1:{self.port}"

    def post(self, update: dict[str, Any], secret: str | None) -> httpx.Response:
        """POST one update the way Telegram would."""
        headers = {SECRET_HEADER: secret} if secret is not None else {}
        return httpx.post(f"{self.local}{self.path}", json=update, headers=headers, timeout=10)


@pytest.fixture
def webhook_bot(fake_api: tuple[FakeBotAPI, FakeTelegramServer], tmp_path: Path) -> Iterator[WebhookBot]:
    """A started bot process in webhook mode on a fresh SQLite file."""
    api, server = fake_api
    bot = WebhookBot(api, server, tmp_path)
    bot.start()
    yield bot
    bot.stop()


def test_webhook_mode_end_to_end(webhook_bot: WebhookBot) -> None:
    api = webhook_bot.api
    registered = api.calls_of("setWebhook")[-1]
    assert registered.ok
    assert registered.params["secret_token"] == webhook_bot.secret
    assert registered.params["url"].endswith(webhook_bot.path)
    assert api.calls_of("getUpdates") == []

    assert webhook_bot.post(api.user_sends(USER, "/help"), secret=None).status_code == 403
    assert webhook_bot.post(api.user_sends(USER, "/help"), secret="nope").status_code == 403
    assert api.messages(USER) == []

    assert webhook_bot.post(api.user_sends(USER, "/start"), secret=webhook_bot.secret).status_code == 200
    welcome = api.wait_for_messages(USER, 1, timeout=15)
    assert "not a substitute for medical advice" in welcome[0].plain_text

    assert httpx.get(f"{webhook_bot.local}/healthz", timeout=10).status_code == 200
    metrics = httpx.get(f"{webhook_bot.local}/metrics", timeout=10)
    assert metrics.status_code == 200
    assert 'clotcare_updates_total{type="message"} 1.0' in metrics.text
    assert 'clotcare_messages_sent_total{method="sendMessage"}' in metrics.text

    # An update accepted just before SIGTERM is still answered: the queue is drained before exit.
    before = len(api.messages(USER))
    assert webhook_bot.post(api.user_sends(USER, "/help"), secret=webhook_bot.secret).status_code == 200
    assert webhook_bot.stop(signal.SIGTERM) == 0, webhook_bot.logs()
    assert len(api.messages(USER)) == before + 1

    logs = webhook_bot.logs()
    assert "webhook registered" in logs
    for secret in (webhook_bot.secret, webhook_bot.path, api.token):
        assert secret not in logs


def test_a_second_process_on_the_same_sqlite_file_exits_2(webhook_bot: WebhookBot) -> None:
    second = subprocess.run(
        [sys.executable, "-m", "bot", "run"],
        cwd=webhook_bot.log_path.parent,
        env=webhook_bot.env() | {"WEBHOOK_PORT": str(_free_port())},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert second.returncode == 2
    assert "already using the SQLite database" in second.stderr


def test_polling_mode_serves_health_and_metrics_on_metrics_port(
    fake_api: tuple[FakeBotAPI, FakeTelegramServer], tmp_path: Path
) -> None:
    api, server = fake_api
    bot = BotProcess(api, server, f"sqlite:///{tmp_path / 'polling.sqlite3'}", tmp_path / "bot.log")
    port = _free_port()
    bot.extra_env = {"METRICS_PORT": str(port), "WEBHOOK_LISTEN": "127.0.0.1"}
    bot.start()
    try:
        api.user_sends(USER, "/help")
        api.wait_for_messages(USER, 1, timeout=15)
        assert httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=10).status_code == 200
        metrics = httpx.get(f"http://127.0.0.1:{port}/metrics", timeout=10).text
        assert 'clotcare_updates_total{type="message"} 1.0' in metrics
        # No webhook route in polling mode.
        assert httpx.post(f"http://127.0.0.1:{port}/", json={}, timeout=10).status_code == 404
    finally:
        assert bot.stop(signal.SIGTERM) == 0, bot.logs()
    with pytest.raises(httpx.ConnectError):
        httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=2)
