"""A real reminder through the real process: due a minute ahead, delivered, Taken pressed once, guarded."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

import pytest

from tests.e2e.conftest import BotProcess
from tests.fakes.telegram import BotMessage

pytestmark = pytest.mark.e2e

USER = 4242


def _wait_for(bot: BotProcess, predicate: object, timeout: float) -> BotMessage:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for message in bot.api.messages(USER):
            if predicate(message):  # type: ignore[operator]
                return message
        time.sleep(0.2)
    raise AssertionError(f"no matching message within {timeout}s:\n{bot.logs()[-3000:]}")


def test_reminder_a_minute_ahead_is_delivered_and_taken_once(bot_process: BotProcess) -> None:
    bot_process.stop()
    # The periodic tick is 5 minutes away: only the wake-up set for the due instant can deliver it.
    bot_process.extra_env["REMINDER_TICK_SECONDS"] = "300"
    bot_process.start()
    api = bot_process.api
    api.user_sends(USER, "/timezone UTC")
    api.wait_for_messages(USER, 1)
    now = datetime.now(UTC)
    # The next whole minute, with at least 15 s to spare for the command to be processed.
    due = (now + timedelta(minutes=2 if now.second > 45 else 1)).replace(second=0, microsecond=0)
    api.user_sends(USER, f"/addmed apixaban 5 mg {due:%H:%M}")
    confirmation = api.wait_for_messages(USER, 2)[-1]
    assert f"{due:%H:%M}" in confirmation.plain_text

    wait = (due - datetime.now(UTC)).total_seconds() + 30
    reminder = _wait_for(bot_process, lambda m: "apixaban" in m.plain_text and m.buttons, wait)
    assert "5 mg" in reminder.plain_text
    assert f"{due:%H:%M}" in reminder.plain_text

    api.user_presses(USER, reminder.message_id, reminder.button_data("✅ Taken"))
    taken = _wait_for(
        bot_process, lambda m: m.message_id == reminder.message_id and "Taken at" in m.plain_text, 15
    )
    assert taken.edited

    # The double-dose guard: a second press (e.g. from another device's copy) changes nothing.
    answers_before = len(api.calls_of("answerCallbackQuery"))
    api.user_presses(USER, reminder.message_id, reminder.button_data("✅ Taken"), require_button=False)
    deadline = time.monotonic() + 15
    while len(api.calls_of("answerCallbackQuery")) <= answers_before and time.monotonic() < deadline:
        time.sleep(0.1)
    answer = api.calls_of("answerCallbackQuery")[-1]
    assert "already recorded" in str(answer.params.get("text", "")).lower()
    assert "do not take another dose" in str(answer.params.get("text", "")).lower()
    assert len([m for m in api.messages(USER) if "apixaban" in m.plain_text and m.buttons]) <= 1
