"""Answers through the real process over HTTP: a section answer, "Did you mean" and a follow-up."""

from __future__ import annotations

import pytest

from tests.e2e.conftest import BotProcess
from tests.e2e.conftest import press as _press
from tests.e2e.conftest import say as _say

pytestmark = pytest.mark.e2e

WEARING = "Wearing them: day, night and how long"


def test_answers_sections_suggestions_and_follow_ups(bot_process: BotProcess) -> None:
    user = 9301
    # A question about one part of a topic gets the summary plus that section.
    (section,) = _say(bot_process, user, "how long do I wear stockings at night?")
    lines = section.plain_text.splitlines()
    assert lines[0] == "Compression stockings"
    assert WEARING in lines
    assert lines.index(WEARING) > 1  # after the title and the summary
    assert "Source:" in section.plain_text

    # A question the leaflets don't cover: a plain refusal, a pointer to people, "Did you mean" buttons.
    (refusal,) = _say(bot_process, user, "tell me about warfarin and chocolate")
    assert "leaflets don't cover" in refusal.plain_text
    assert "pharmacist or doctor" in refusal.plain_text
    labels = [text for row in refusal.buttons for text, _ in row]
    assert "Food and warfarin (vitamin K)" in labels
    (picked,) = _press(bot_process, user, refusal, "Food and warfarin (vitamin K)")
    assert picked.plain_text.splitlines()[0] == "Food and warfarin (vitamin K)"

    # Right after an answer, a short follow-up is read against the topic just shown.
    (first,) = _say(bot_process, user, "can I go back to work after a dvt")
    assert first.plain_text.splitlines()[0].startswith("Going back to work, driving and sex")
    (follow,) = _say(bot_process, user, "and driving?")
    follow_lines = follow.plain_text.splitlines()
    assert follow_lines[0] == first.plain_text.splitlines()[0]
    assert "Driving" in follow_lines
    # The context is in memory only: nothing of it reaches the logs.
    assert "and driving" not in bot_process.logs()
