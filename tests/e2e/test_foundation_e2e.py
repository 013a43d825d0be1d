"""The real `python -m bot run` process against the HTTP fake: onboarding survives a restart."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.e2e.conftest import REPO, BotProcess

pytestmark = pytest.mark.e2e

USER = 777


def _say(bot: BotProcess, text: str, expect: int = 1) -> list[str]:
    before = len(bot.api.messages(USER))
    bot.api.user_sends(USER, text)
    messages = bot.api.wait_for_messages(USER, before + expect, timeout=15)
    return [m.plain_text for m in messages[before:]]


def test_onboarding_and_settings_survive_a_restart(bot_process: BotProcess) -> None:
    welcome = _say(bot_process, "/start", expect=2)
    assert "not a substitute for medical advice" in welcome[0]
    assert "Germany" in _say(bot_process, "/country germany")[0]
    assert "Europe/Berlin" in _say(bot_process, "/timezone berlin")[0]
    settings = _say(bot_process, "/settings")[0]
    assert "Germany" in settings
    assert "112" in settings
    assert "Europe/Berlin" in settings

    bot_process.restart()

    settings = _say(bot_process, "/settings")[0]
    assert "Germany" in settings
    assert "Europe/Berlin" in settings
    assert bot_process.api.token not in bot_process.logs()


def test_missing_token_exits_2_with_instructions(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("TELEGRAM_")}
    result = subprocess.run(
        [sys.executable, "-m", "bot", "run"],
        cwd=tmp_path,
        env={**env, "PYTHONPATH": str(REPO)},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 2
    assert "@BotFather" in result.stderr
    assert ".env" in result.stderr
