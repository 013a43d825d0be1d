"""Privacy of the real process: a whole session's logs hold no token, no typed text, no symptoms.

SAFETY.md rule 9 and house rule 7: logs carry ids and outcomes only. The session below touches every
feature a worried user would (onboarding, questions with symptoms, the symptom check, /emergency, a
reminder, /export, /forget); then every log line the process wrote is searched.
"""

from __future__ import annotations

import re
import time
from pathlib import Path

import pytest

from bot.db.session import sqlite_path
from tests.e2e.conftest import BotProcess
from tests.fakes.telegram import BotMessage

pytestmark = pytest.mark.e2e

USER = 9301

TYPED = [
    "my calf is swollen and I cough blood",
    "can I massage a blood clot away?",
    "my left thigh feels warm and tender since tuesday",
    "is it ok to fly next week with my rivaroxaban",
]
# Words that describe the user's body or medicine; none may reach a log line in any form.
SYMPTOM_WORDS = ["calf", "swollen", "cough", "thigh", "tender", "tuesday", "rivaroxaban", "apixaban"]


def _say(bot: BotProcess, text: str, expect: int = 1) -> list[BotMessage]:
    before = len(bot.api.messages(USER))
    bot.api.user_sends(USER, text)
    return bot.api.wait_for_messages(USER, before + expect, timeout=15)[before:]


def _press(bot: BotProcess, message: BotMessage, data: str, expect: int = 1) -> list[BotMessage]:
    before = len(bot.api.messages(USER))
    bot.api.user_presses(USER, message.message_id, data)
    return bot.api.wait_for_messages(USER, before + expect, timeout=15)[before:]


def _current(bot: BotProcess, message: BotMessage) -> BotMessage:
    return next(m for m in bot.api.messages(USER) if m.message_id == message.message_id)


def _assert_not_in_database_files(database_url: str, needles: list[bytes]) -> None:
    path = sqlite_path(database_url)
    assert path is not None, "this test runs the bot on a SQLite file"
    files = [p for p in (path, Path(f"{path}-wal"), Path(f"{path}-journal")) if p.exists()]
    assert files
    for file in files:
        raw = file.read_bytes()
        for needle in needles:
            assert needle not in raw, f"{needle!r} still readable in {file.name} after /forget"


def test_a_whole_session_leaves_no_personal_data_in_the_logs(bot_process: BotProcess) -> None:
    bot = bot_process
    _welcome, onboarding = _say(bot, "/start", expect=2)
    (country_set,) = _press(bot, onboarding, onboarding.button_data("🇬🇧 United Kingdom"))
    assert "999" in country_set.plain_text
    _say(bot, "/timezone Europe/London")
    for text in TYPED:
        assert _say(bot, text)
    _intro, question = _say(bot, "/check", expect=2)
    # The first question is a lung one: Yes ends the check at once (each reply costs ~1 s of rate limit).
    (result,) = _press(bot, question, question.button_data("Yes"))
    assert result.plain_text.startswith("🚨")
    (emergency,) = _say(bot, "/emergency")
    assert "999" in emergency.plain_text.splitlines()[0]
    (added,) = _say(bot, "/addmed apixaban 5 mg 08:00 20:00")
    assert "apixaban" in added.plain_text
    _say(bot, "/export", expect=2)
    (confirm,) = _say(bot, "/forget")
    bot.api.user_presses(USER, confirm.message_id, confirm.button_data("🗑 Delete everything"))
    deadline = time.monotonic() + 15
    while "deleted" not in _current(bot, confirm).plain_text:
        assert time.monotonic() < deadline, "/forget was not confirmed"
        time.sleep(0.05)
    # Nothing of the user may stay readable in the database files (secure_delete + WAL checkpoint),
    # checked on the raw bytes while the process still runs (no shutdown checkpoint helps).
    _assert_not_in_database_files(bot.database_url, [b"apixaban", b"Europe/London"])
    code = bot.stop()
    assert code in (0, -15)

    logs = bot.logs()
    assert "red flag reply" in logs, "the session should have logged outcomes (is logging on?)"
    lowered = logs.lower()
    assert bot.api.token not in logs
    assert bot.api.token.split(":", 1)[1] not in logs  # not even the secret half
    for text in [*TYPED, "Europe/London apixaban", "5 mg"]:
        assert text.lower() not in lowered, f"typed text {text!r} was logged"
    for word in SYMPTOM_WORDS:
        found = re.findall(rf".*\b{word}\b.*", logs, flags=re.IGNORECASE)
        assert not found, f"symptom/medicine word {word!r} was logged: {found[:3]}"
