"""The safety net (SAFETY.md rule 11) through the real Application: "Is this happening to you now?"."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from bot.config import Settings
from bot.domain.triage import detect_red_flags
from tests.fakes.harness import BotHarness, running_bot
from tests.fakes.telegram import BotMessage

USER = 611
GROUP = -100_611_000
SIREN = "🚨"
WARNING = "⚠️"
NET = "Is this happening to you now?"
UNCERTAIN = "my leg feels a bit weird today"


@pytest.fixture
async def bot(settings: Settings) -> AsyncIterator[BotHarness]:
    async with running_bot(settings) as harness:
        yield harness


def _net(replies: list[BotMessage]) -> BotMessage:
    assert replies, "no reply"
    net, *rest = replies
    assert net.plain_text.startswith(NET), net.plain_text
    assert SIREN not in net.plain_text
    assert WARNING not in net.plain_text
    # At most an answer to a question in the same message follows: never a refusal, never a second net.
    assert len(rest) <= 1, [m.plain_text for m in replies]
    for other in rest:
        assert NET not in other.plain_text
        assert SIREN not in other.plain_text
        assert "don't cover" not in other.plain_text
    return net


async def test_a_message_that_is_only_a_sign_gets_only_the_question(bot: BotHarness) -> None:
    replies = await bot.send(USER, UNCERTAIN)
    assert len(replies) == 1, [m.plain_text for m in replies]
    _net(replies)


async def test_a_question_beside_an_uncertain_sign_is_answered_after_the_question(bot: BotHarness) -> None:
    text = "sent home from a&e with a dvt in my left leg. can i massage it? its really sore"
    assert detect_red_flags(text).uncertain
    replies = await bot.send(USER, text)
    _net(replies)
    assert len(replies) == 2, [m.plain_text for m in replies]
    assert "massage" in replies[1].plain_text.lower()  # SAFETY rule 4: the clear "no" is not held back


def test_the_example_is_uncertain() -> None:
    result = detect_red_flags(UNCERTAIN)
    assert result.uncertain
    assert result.signs == frozenset()


async def test_uncertain_message_asks_with_signs_as_buttons_and_the_number(bot: BotHarness) -> None:
    await bot.send(USER, "/country gb")
    net = _net(await bot.send(USER, UNCERTAIN))
    assert "999" in net.plain_text
    assert "/check" in net.plain_text
    labels = [label for row in net.buttons for label, _ in row]
    assert "Short of breath" in labels
    assert "Chest pain" in labels
    assert labels[-1] == "No, just asking"
    assert "don't have information" not in net.plain_text.lower()


@pytest.mark.parametrize(
    ("button", "emoji"),
    [
        ("Short of breath", SIREN),
        ("Coughing up blood", SIREN),
        ("Black or bloody poo", SIREN),  # blood-thinner status unknown counts as yes
        ("Swollen, sore, warm or red leg or arm", WARNING),
        ("Very heavy period", WARNING),
    ],
)
async def test_tapping_a_sign_gives_its_guidance(bot: BotHarness, button: str, emoji: str) -> None:
    await bot.send(USER, "/country gb")
    net = _net(await bot.send(USER, UNCERTAIN))
    (reply,) = await bot.press(USER, net, button)
    if emoji == SIREN:
        assert reply.plain_text.startswith(SIREN)
        assert "999" in reply.plain_text.splitlines()[0]
    else:
        assert WARNING in reply.plain_text
        assert SIREN not in reply.plain_text


async def test_bleeding_sign_is_urgent_for_someone_not_on_a_blood_thinner(bot: BotHarness) -> None:
    await bot.send(USER, "/country gb")
    await bot.app.bot_data["services"].users.set_on_blood_thinners(USER, USER, False)
    net = _net(await bot.send(USER, UNCERTAIN))
    (reply,) = await bot.press(USER, net, "Black or bloody poo")
    assert WARNING in reply.plain_text
    assert SIREN not in reply.plain_text


async def test_just_asking_answers_the_quoted_question(bot: BotHarness) -> None:
    question = "can I take paracetamol for a headache while on apixaban?"
    assert detect_red_flags(question).uncertain
    net = _net(await bot.send(USER, question))
    replies = await bot.press(USER, net, "No, just asking")
    assert len(replies) == 1
    answer = replies[0].plain_text
    assert NET not in answer
    assert SIREN not in answer
    direct = await bot.send(USER, "/ask can I take paracetamol while on apixaban?")
    # Same content base, same kind of reply as asking the question outright.
    assert answer.splitlines()[0] == direct[-1].plain_text.splitlines()[0]


async def test_a_clear_question_still_gets_its_answer(bot: BotHarness) -> None:
    for question in ("what are the symptoms of a PE?", "can a DVT cause chest pain?"):
        replies = await bot.send(USER, question)
        assert replies, question
        assert all(NET not in m.plain_text for m in replies), question
        assert all(SIREN not in m.plain_text for m in replies), question


async def test_forged_or_stale_net_buttons_are_harmless(bot: BotHarness) -> None:
    net = _net(await bot.send(USER, UNCERTAIN))
    for data in ("sn:nosuchsign", "sn", "sn:a:b"):
        replies = await bot.press_data(USER, net, data)
        assert all(SIREN not in m.plain_text for m in replies)


async def test_groups_get_no_safety_net(bot: BotHarness) -> None:
    replies = await bot.send(USER, UNCERTAIN, chat_id=GROUP, chat_type="supergroup")
    assert all(NET not in m.plain_text for m in replies)


async def test_safety_net_works_without_a_database(bot: BotHarness) -> None:
    await bot.send(USER, "/country gb")
    await bot.app.bot_data["engine"].dispose()
    broken = bot.app.bot_data["services"].users

    class Down:
        async def __aenter__(self) -> None:
            raise ConnectionRefusedError("database down")

        async def __aexit__(self, *args: object) -> None:
            return None

    broken._uow_factory = Down  # simulate the database going away
    net = _net(await bot.send(USER, UNCERTAIN))
    assert "999" in net.plain_text  # the cached country
    (reply,) = await bot.press(USER, net, "Chest pain")
    assert reply.plain_text.startswith(SIREN)
    assert "999" in reply.plain_text.splitlines()[0]
    # A stranger (nothing cached) still gets the question with the international fallback.
    net = _net(await bot.send(USER + 1, UNCERTAIN))
    assert "112" in net.plain_text
