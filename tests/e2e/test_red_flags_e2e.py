"""Red flags in everyday words and the safety net, through the real `python -m bot run` process over HTTP."""

from __future__ import annotations

import pytest

from tests.e2e.conftest import BotProcess
from tests.e2e.conftest import press as _press
from tests.e2e.conftest import say as _say

pytestmark = pytest.mark.e2e

SIREN = "🚨"
WARNING = "⚠️"
NET = "Is this happening to you now?"


@pytest.mark.parametrize(
    "text",
    [
        "feels like there's an elephant sat on my chest and I'm only watching telly",
        "I'm on apixaban and after lunch my wee looks like rosé",
        "threw up earlier, it looked like coffee grounds",
    ],
)
def test_everyday_words_emergency_gets_the_siren_and_the_number(bot_process: BotProcess, text: str) -> None:
    user = 9600 + len(text)
    _say(bot_process, user, "/country gb")
    (reply,) = _say(bot_process, user, text)
    assert reply.plain_text.startswith(SIREN)
    assert "999" in reply.plain_text.splitlines()[0]


def test_safety_net_asks_and_a_tapped_sign_gets_guidance(bot_process: BotProcess) -> None:
    user = 9701
    _say(bot_process, user, "/country gb")
    (net,) = _say(bot_process, user, "my leg feels a bit weird today")
    assert net.plain_text.startswith(NET)
    assert "999" in net.plain_text
    assert SIREN not in net.plain_text
    assert WARNING not in net.plain_text
    (guidance,) = _press(bot_process, user, net, "Short of breath")
    assert guidance.plain_text.startswith(SIREN)
    assert "999" in guidance.plain_text.splitlines()[0]
    (urgent,) = _press(bot_process, user, net, "Swollen, sore, warm or red leg or arm")
    assert WARNING in urgent.plain_text
    assert SIREN not in urgent.plain_text


def test_just_asking_gets_an_answer(bot_process: BotProcess) -> None:
    user = 9702
    _say(bot_process, user, "/country gb")
    (net,) = _say(bot_process, user, "can I take paracetamol for a headache while on apixaban?")
    assert net.plain_text.startswith(NET)
    (answer,) = _press(bot_process, user, net, "No, just asking")
    assert NET not in answer.plain_text
    assert SIREN not in answer.plain_text
