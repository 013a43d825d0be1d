"""Safety and answers through the real process over HTTP: /emergency, /check, free text, questions."""

from __future__ import annotations

import pytest

from tests.e2e.conftest import BotProcess
from tests.e2e.conftest import press as _press
from tests.e2e.conftest import say as _say

pytestmark = pytest.mark.e2e

SIREN = "🚨"
WARNING = "⚠️"


@pytest.mark.parametrize(
    ("country", "number", "replies"), [("GB", "999", 1), ("US", "911", 2), ("AU", "000", 2), ("FR", "15", 1)]
)
def test_emergency_for_several_countries(
    bot_process: BotProcess, country: str, number: str, replies: int
) -> None:
    user = 9000 + ord(country[0]) * 100 + ord(country[1])
    # Countries with several time zones get a second message asking which one.
    _say(bot_process, user, f"/country {country}", expect=replies)
    (reply,) = _say(bot_process, user, "/emergency")
    assert reply.plain_text.startswith(SIREN)
    assert number in reply.plain_text.splitlines()[0]


def test_check_emergency_path(bot_process: BotProcess) -> None:
    user = 9101
    _say(bot_process, user, "/country gb")
    intro, question = _say(bot_process, user, "/check", expect=2)
    assert "Symptom check" in intro.plain_text
    (result,) = _press(bot_process, user, question, "Yes")
    assert result.plain_text.startswith(SIREN)
    assert "999" in result.plain_text.splitlines()[0]


def test_check_urgent_path(bot_process: BotProcess) -> None:
    user = 9102
    _say(bot_process, user, "/country gb")
    _intro, question = _say(bot_process, user, "/check", expect=2)
    for _ in range(12):
        data = question.buttons[0][0][1]
        answer = "Yes" if data.split(":")[2] == "leg_swelling" else "No"
        (question,) = _press(bot_process, user, question, answer)
        if not question.buttons or not question.buttons[0][0][1].startswith("chk:"):
            break
    assert WARNING in question.plain_text
    assert SIREN not in question.plain_text
    assert "massage" in question.plain_text.lower()


def test_free_text_emergency_and_a_question(bot_process: BotProcess) -> None:
    user = 9103
    _say(bot_process, user, "/country us", expect=2)
    (reply,) = _say(bot_process, user, "i cant breathe properly and my heart is racing")
    assert reply.plain_text.startswith(SIREN)
    assert "911" in reply.plain_text.splitlines()[0]
    (answer,) = _say(bot_process, user, "can i massage a blood clot away?")
    assert SIREN not in answer.plain_text
    assert "lungs" in answer.plain_text.lower()
    more = _press(bot_process, user, answer, "📖 Tell me more")
    assert "embolus" in more[0].plain_text.lower() or "lungs" in more[0].plain_text.lower()
    (unknown,) = _say(bot_process, user, "what's the best recipe for banana bread?")
    assert "pharmacist or doctor" in unknown.plain_text
