"""Start-up failures an operator meets first, seen from outside the real ``python -m bot`` process.

A token Telegram rejects must end the process with exit status 2 and one clear line (never the token);
Telegram being unreachable must be retried with a readable line per attempt until it answers.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from bot.startup import REJECTED_BY_TELEGRAM
from tests.fakes.telegram import FakeBotAPI, FakeTelegramServer

pytestmark = pytest.mark.e2e

REPO = Path(__file__).resolve().parents[2]
# Looks like a real token, so nothing in the output can be a coincidence.
WRONG_TOKEN = "7712345678:AAF-wrongTokenThatTelegramDoesNotKnow_x9"


def _env(tmp_path: Path, token: str, base_url: str, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TELEGRAM_", "DATABASE_", "WEBHOOK_"))}
    env.update(
        TELEGRAM_BOT_TOKEN=token,
        TELEGRAM_API_BASE_URL=base_url,
        DATABASE_URL=f"sqlite:///{tmp_path / 'bot.sqlite3'}",
        LOG_LEVEL="DEBUG",  # the most talkative level must still not leak the token
        POLLING_TIMEOUT_SECONDS="1",
        PYTHONUNBUFFERED="1",
        PYTHONPATH=str(REPO),
    )
    env.update(extra)
    return env


@pytest.mark.parametrize("command", ["run", "worker"])
def test_a_token_telegram_rejects_exits_2_with_one_line_and_no_token(tmp_path: Path, command: str) -> None:
    api = FakeBotAPI()  # knows only its own token, answers 401 Unauthorized to any other
    with FakeTelegramServer(api) as server:
        result = subprocess.run(
            [sys.executable, "-m", "bot", command],
            cwd=tmp_path,
            env=_env(tmp_path, WRONG_TOKEN, server.base_url),
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
    output = result.stdout + result.stderr
    assert result.returncode == 2, output
    assert result.stderr.strip() == REJECTED_BY_TELEGRAM
    assert result.stdout == ""
    for piece in (WRONG_TOKEN, WRONG_TOKEN.split(":", 1)[1], "AAF-wrongToken"):
        assert piece not in output
    assert "Traceback" not in output
    # The token is checked before anything else: the database was not even created (no migration).
    assert not (tmp_path / "bot.sqlite3").exists()


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_telegram_unreachable_at_start_up_is_retried_until_it_answers(tmp_path: Path) -> None:
    port = _free_port()  # nothing listens here yet: connections are refused
    api = FakeBotAPI()
    log_path = tmp_path / "bot.log"
    with log_path.open("wb") as log:
        proc = subprocess.Popen(
            [sys.executable, "-m", "bot", "run"],
            cwd=tmp_path,
            env=_env(tmp_path, api.token, f"http://127.0.0.1:{port}/bot"),
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    server = FakeTelegramServer(api, port=port)
    try:
        deadline = time.monotonic() + 30
        while "retrying in 2 s (attempt 2)" not in log_path.read_text(encoding="utf-8"):
            assert proc.poll() is None, log_path.read_text(encoding="utf-8")
            assert time.monotonic() < deadline, log_path.read_text(encoding="utf-8")
            time.sleep(0.05)
        # Telegram comes back: the same process carries on and starts polling, no restart needed.
        server.start()
        api.wait_until_polling(timeout=30)
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
        code = proc.wait(timeout=30)
        server.stop()
    logs = log_path.read_text(encoding="utf-8")
    assert code == 0, logs
    retry_lines = [line for line in logs.splitlines() if "cannot reach Telegram" in line]
    assert len(retry_lines) >= 2
    assert all("WARNING bot.startup:" in line for line in retry_lines)
    assert f"cannot reach Telegram at 127.0.0.1:{port} (ConnectError); retrying in 1 s (attempt 1)" in logs
    assert "Traceback" not in logs
    assert api.token not in logs
