"""End-to-end fixtures: the real ``python -m bot run`` process against the fake Bot API over HTTP."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.fakes.telegram import BotMessage, FakeBotAPI, FakeTelegramServer

REPO = Path(__file__).resolve().parents[2]


class BotProcess:
    """A running ``python -m bot run`` subprocess; restartable on the same database."""

    def __init__(
        self, api: FakeBotAPI, server: FakeTelegramServer, database_url: str, log_path: Path
    ) -> None:
        self.api = api
        self.server = server
        self.database_url = database_url
        self.log_path = log_path
        self.extra_env: dict[str, str] = {}
        self._proc: subprocess.Popen[bytes] | None = None
        self.starts = 0

    def env(self) -> dict[str, str]:
        """Return the environment of the bot process (no .env file, no inherited bot settings)."""
        env = {
            k: v for k, v in os.environ.items() if not k.startswith(("TELEGRAM_", "DATABASE_", "REMINDER_"))
        }
        env.update(
            TELEGRAM_BOT_TOKEN=self.api.token,
            TELEGRAM_API_BASE_URL=self.server.base_url,
            TELEGRAM_FILE_BASE_URL=self.server.file_base_url,
            DATABASE_URL=self.database_url,
            LOG_LEVEL="INFO",
            POLLING_TIMEOUT_SECONDS="1",
            PYTHONUNBUFFERED="1",
        )
        env.update(self.extra_env)
        return env

    # The Bot API call that tells the process is up; polling processes also wait for the first long poll.
    ready_method = "setMyCommands"
    polls = True

    def start(self, timeout: float = 30.0) -> None:
        """Start the bot and wait until it is ready (command menu registered, and polling if it polls)."""
        before = len(self.api.calls_of(self.ready_method))
        with self.log_path.open("ab") as log:
            self._proc = subprocess.Popen(
                [sys.executable, "-m", "bot", "run"],
                cwd=self.log_path.parent,
                env=self.env(),
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        self.starts += 1
        deadline = time.monotonic() + timeout
        while len(self.api.calls_of(self.ready_method)) <= before:
            assert self._proc.poll() is None, f"bot exited early:\n{self.logs()}"
            assert time.monotonic() < deadline, f"bot did not start within {timeout}s:\n{self.logs()}"
            time.sleep(0.05)
        if self.polls:
            self.api.wait_until_polling(timeout=max(1.0, deadline - time.monotonic()))

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 20.0) -> int:
        """Stop the bot with ``sig``; return its exit code."""
        proc, self._proc = self._proc, None
        if proc is None:
            return 0
        if proc.poll() is None:
            proc.send_signal(sig)
        try:
            return proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            return proc.wait(timeout=timeout)

    def restart(self) -> None:
        """Stop gracefully and start again on the same database."""
        self.stop()
        self.start()

    def logs(self) -> str:
        """Return everything the process(es) logged so far."""
        return self.log_path.read_text(encoding="utf-8", errors="replace") if self.log_path.exists() else ""


def say(bot: BotProcess, user: int, text: str, expect: int = 1) -> list[BotMessage]:
    """Send ``text`` as ``user`` and return the ``expect`` replies that follow."""
    before = len(bot.api.messages(user))
    bot.api.user_sends(user, text)
    return bot.api.wait_for_messages(user, before + expect, timeout=15)[before:]


def press(bot: BotProcess, user: int, message: BotMessage, label: str, expect: int = 1) -> list[BotMessage]:
    """Press the button labelled ``label`` as ``user`` and return the ``expect`` replies that follow."""
    before = len(bot.api.messages(user))
    bot.api.user_presses(user, message.message_id, message.button_data(label))
    return bot.api.wait_for_messages(user, before + expect, timeout=15)[before:]


@pytest.fixture
def fake_api() -> Iterator[tuple[FakeBotAPI, FakeTelegramServer]]:
    """The fake Bot API served over HTTP on loopback."""
    api = FakeBotAPI()
    server = FakeTelegramServer(api)
    server.start()
    yield api, server
    server.stop()


@pytest.fixture
def bot_process(fake_api: tuple[FakeBotAPI, FakeTelegramServer], tmp_path: Path) -> Iterator[BotProcess]:
    """A started bot process on a fresh SQLite file (migrated by the process itself at start-up)."""
    api, server = fake_api
    proc = BotProcess(api, server, f"sqlite:///{tmp_path / 'e2e.sqlite3'}", tmp_path / "bot.log")
    proc.start()
    yield proc
    code = proc.stop()
    assert code in (0, -signal.SIGTERM), f"bot exited with {code}:\n{proc.logs()}"
