"""Issue 11 through the real process over HTTP: the nine scenarios as filed, a flow across a restart,
a flow interrupted by every other command, and time zones as people type them."""

from __future__ import annotations

import csv
import io
import time as clock
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.domain.timezones import offset_label
from bot.domain.triage import BLOOD_THINNER_QUESTION_ID
from tests.e2e.conftest import BotProcess
from tests.fakes.telegram import BotMessage

pytestmark = pytest.mark.e2e

SIREN = "🚨"
ASK_DOSE = "What dose is on your label"
TWO_THINNERS = "Check with your doctor or pharmacist — people are rarely on two blood thinners"


def _settle(bot: BotProcess, user: int) -> None:
    """Wait until the bot has stopped sending to ``user`` for a moment (late replies land first)."""
    count, stable_since = len(bot.api.messages(user)), clock.monotonic()
    while clock.monotonic() - stable_since < 0.6:
        clock.sleep(0.1)
        now = len(bot.api.messages(user))
        if now != count:
            count, stable_since = now, clock.monotonic()


def _say(bot: BotProcess, user: int, text: str, expect: int = 1) -> list[BotMessage]:
    before = len(bot.api.messages(user))
    bot.api.user_sends(user, text)
    found = bot.api.wait_for_messages(user, before + expect, timeout=20)
    _settle(bot, user)
    return bot.api.messages(user)[before:] or found[before:]


def _press(bot: BotProcess, user: int, message: BotMessage, label: str, expect: int = 1) -> list[BotMessage]:
    before = len(bot.api.messages(user))
    bot.api.user_presses(user, message.message_id, message.button_data(label))
    if expect:
        bot.api.wait_for_messages(user, before + expect, timeout=20)
    _settle(bot, user)
    return bot.api.messages(user)[before:]


def _text(messages: list[BotMessage]) -> str:
    return "\n".join(m.plain_text for m in messages)


def _plans(bot: BotProcess, user: int) -> str:
    return _text(_say(bot, user, "/reminders"))


# ---------------------------------------------------------------- the nine scenarios of the issue


def test_1_blood_thinner_status_follows_the_plans_and_a_cancelled_check_saves_nothing(
    bot_process: BotProcess,
) -> None:
    user = 1101
    _say(bot_process, user, "/timezone UTC")
    # A cancelled /check saves nothing: answer the blood-thinner question, then /cancel.
    messages = _say(bot_process, user, "/check", expect=2)
    question = messages[-1]
    for _ in range(20):
        data = question.buttons[0][0][1]
        if data.split(":")[2] == BLOOD_THINNER_QUESTION_ID:
            break
        (question,) = _press(bot_process, user, question, "No")
    _press(bot_process, user, question, "No")
    _say(bot_process, user, "/cancel")
    (settings,) = _say(bot_process, user, "/settings")
    assert "Blood thinner: not known" in settings.plain_text
    # "No" said in /settings, then apixaban added: the plan is the fact that counts.
    (asked,) = _press(bot_process, user, settings, "💊 Blood thinner")
    (noted,) = _press(bot_process, user, asked, "I don't")
    assert "you don't take a blood thinner" in noted.plain_text
    _say(bot_process, user, "/addmed apixaban 5mg 08:00 20:00")
    (settings,) = _say(bot_process, user, "/settings")
    assert "Blood thinner: yes (you have a reminder for apixaban)" in settings.plain_text
    replies = _say(bot_process, user, "my pee is pink")
    assert replies[0].plain_text.startswith(SIREN)


def test_2_a_one_line_addmed_leaves_no_wizard_behind(bot_process: BotProcess) -> None:
    user = 1102
    _say(bot_process, user, "/timezone UTC")
    (wizard,) = _say(bot_process, user, "/addmed")
    assert wizard.buttons
    (added,) = _say(bot_process, user, "/addmed apixaban 5mg 8am 8pm")
    assert "Reminder added" in added.plain_text
    replies = _say(bot_process, user, "my pee is pink since this morning")
    assert replies[0].plain_text.startswith(SIREN)
    assert ASK_DOSE not in _text(replies)
    plans = _plans(bot_process, user)
    assert "pee" not in plans
    assert plans.count("apixaban") == 1


def test_2b_a_red_flag_inside_a_flow_is_never_taken_as_an_answer(bot_process: BotProcess) -> None:
    user = 1112
    _say(bot_process, user, "/timezone UTC")
    _say(bot_process, user, "/addmed")
    replies = _say(bot_process, user, "my leg is swollen and painful")
    assert ASK_DOSE not in _text(replies)
    # The flow is still open for its real answer.
    (asked,) = _say(bot_process, user, "rivaroxaban")
    assert ASK_DOSE in asked.plain_text


@pytest.mark.parametrize(
    ("typed", "shown"),
    [("GMT+1", "UTC+1, 1 hour ahead of UTC"), ("UTC+2", "UTC+2, 2 hours ahead of UTC"), ("UTC-5", "UTC-5")],
)
def test_3_offsets_mean_what_the_person_means(bot_process: BotProcess, typed: str, shown: str) -> None:
    user = 1103
    (reply,) = _say(bot_process, user, f"/timezone {typed}")
    assert shown in reply.plain_text
    assert "Etc/GMT" not in reply.plain_text


@pytest.mark.parametrize(
    ("typed", "zone"),
    [
        ("EST", "America/New_York"),
        ("CET", "Europe/Berlin"),
        ("JST", "Asia/Tokyo"),
        ("Mumbai", "Asia/Kolkata"),
    ],
)
def test_3_abbreviations_and_cities(bot_process: BotProcess, typed: str, zone: str) -> None:
    (reply,) = _say(bot_process, 1113, f"/timezone {typed}")
    assert zone in reply.plain_text
    label = offset_label(zone, datetime.now(UTC))
    assert label in reply.plain_text


def test_3_ist_asks_for_a_city(bot_process: BotProcess) -> None:
    (reply,) = _say(bot_process, 1123, "/timezone IST")
    assert "Which city" in reply.plain_text
    labels = [text for row in reply.buttons for text, _ in row]
    assert {"Asia/Kolkata", "Europe/Dublin", "Asia/Jerusalem"} <= set(labels)


def test_4_one_medicine_under_two_names_and_two_blood_thinners(bot_process: BotProcess) -> None:
    user = 1104
    _say(bot_process, user, "/timezone UTC")
    _say(bot_process, user, "/addmed apixaban 08:00 20:00")
    (refused,) = _say(bot_process, user, "/addmed Eliquis 08:00 20:00")
    assert "You already have a reminder for apixaban" in refused.plain_text
    (warned,) = _say(bot_process, user, "/addmed rivaroxaban 20 mg 09:00")
    assert TWO_THINNERS in warned.plain_text
    assert "Eliquis" not in _plans(bot_process, user)


def test_5_changing_times_cannot_double_a_dose(bot_process: BotProcess) -> None:
    user = 1105
    _say(bot_process, user, "/timezone UTC")
    _say(bot_process, user, "/addmed apixaban 08:00")
    _say(bot_process, user, "/addmed apixaban 20:00")
    (listing,) = _say(bot_process, user, "/reminders")
    (ask,) = _press(bot_process, user, listing, "🕒 2")
    (refused,) = _say(bot_process, user, "08:00")
    assert "You already have a reminder for apixaban at 08:00" in refused.plain_text
    plans = _plans(bot_process, user)
    assert "20:00" in plans
    assert ask.plain_text


def test_6_a_dose_written_like_a_time_is_asked_about(bot_process: BotProcess) -> None:
    user = 1106
    _say(bot_process, user, "/timezone UTC")
    (reply,) = _say(bot_process, user, "/addmed warfarin 12.50 18:00")
    assert "Is 12.50 the dose or a time?" in reply.plain_text
    assert "/addmed warfarin 12.50 mg 18:00" in reply.plain_text
    assert "warfarin" not in _plans(bot_process, user)


def test_7_a_zone_change_says_where_the_next_reminder_lands(bot_process: BotProcess) -> None:
    user = 1107
    _say(bot_process, user, "/timezone Asia/Tokyo")
    _say(bot_process, user, "/addmed apixaban 08:00")
    (reply,) = _say(bot_process, user, "/timezone America/Los_Angeles")
    la = datetime.now(UTC).astimezone(ZoneInfo("America/Los_Angeles"))
    assert offset_label("America/Los_Angeles", datetime.now(UTC)) in reply.plain_text
    assert "Next apixaban reminder" in reply.plain_text
    assert "at 08:00" in reply.plain_text
    # Nothing skipped: the next 08:00 in Los Angeles is today's or tomorrow's, never the day after.
    next_day = la.date() if la.hour < 8 else (la + timedelta(days=1)).date()
    assert f"{next_day.day} {next_day.strftime('%b')}" in reply.plain_text
    assert "Los_Angeles" in _plans(bot_process, user)


def test_8_limits_pages_and_identical_requests(bot_process: BotProcess) -> None:
    user = 1108
    _say(bot_process, user, "/timezone UTC")
    # Two identical requests back to back: one plan.
    bot_process.api.user_sends(user, "/addmed heparin 5000 units 07:00")
    _say(bot_process, user, "/addmed heparin 5000 units 07:00", expect=2)
    for number in range(29):
        letters = chr(97 + number // 26) + chr(97 + number % 26)  # a name must not start with a digit
        _say(
            bot_process, user, f"/addmed {'medicine with a long name ' * 2}{letters} 10 mg 06:00 12:00 18:00"
        )
    (refused,) = _say(bot_process, user, "/addmed one more 09:00")
    assert "the most I keep for one person" in refused.plain_text
    (listing,) = _say(bot_process, user, "/reminders")
    assert "page 1 of 4, 30 reminders" in listing.plain_text
    assert listing.plain_text.count("heparin") == 1
    page = listing
    for expected in (2, 3, 4):
        before = len(bot_process.api.messages(user))
        bot_process.api.user_presses(user, page.message_id, page.button_data("Next ▶️"))
        deadline = clock.monotonic() + 15
        while f"page {expected} of 4" not in bot_process.api.messages(user)[before - 1].plain_text:
            assert clock.monotonic() < deadline
            clock.sleep(0.1)
        page = bot_process.api.messages(user)[before - 1]
    assert "🗑 30" in [text for row in page.buttons for text, _ in row]


def test_9_export_is_everything_and_warns_about_a_plan_that_never_fires(bot_process: BotProcess) -> None:
    user = 1109
    (zone,) = _say(bot_process, user, "/timezone Mumbai")
    assert "Asia/Kolkata" in zone.plain_text
    _say(bot_process, user, "/addmed apixaban 08:00")
    (listing,) = _say(bot_process, user, "/reminders")
    # Delete asks first, by editing the list in place; then "Yes, delete".
    _press(bot_process, user, listing, "🗑 1", expect=0)
    (confirm,) = [m for m in bot_process.api.messages(user) if m.message_id == listing.message_id]
    _press(bot_process, user, confirm, "🗑 Yes, delete", expect=0)
    local = datetime.now(UTC).astimezone(ZoneInfo("Asia/Kolkata"))
    if local.hour >= 1:  # a time already past today, and until today: it can never fire
        past = (local - timedelta(minutes=30)).strftime("%H:%M")
        (never,) = _say(bot_process, user, f"/addmed dalteparin {past} until {local.date().isoformat()}")
        assert "will never remind you" in never.plain_text
    documents = _say(bot_process, user, "/export", expect=2)
    my_data = next(m for m in documents if m.document and m.document[0] == "clotcare-my-data.csv")
    assert my_data.document is not None
    rows = list(csv.reader(io.StringIO(my_data.document[1].decode("utf-8-sig"))))
    fields = {(r[0], r[1]): r[2] for r in rows[1:]}
    assert fields[("profile", "chat_id")] == str(user)
    assert fields[("profile", "updated_at")]
    assert fields[("reminder 1", "medicine")] == "apixaban"
    assert fields[("reminder 1", "deleted")] == "yes"


# ---------------------------------------------------------------- flows: restart, interruptions


def test_a_half_finished_flow_survives_a_restart(bot_process: BotProcess) -> None:
    user = 1110
    _say(bot_process, user, "/timezone UTC")
    (pick,) = _say(bot_process, user, "/addmed")
    (dose,) = _press(bot_process, user, pick, "rivaroxaban")
    assert ASK_DOSE in dose.plain_text
    bot_process.restart()
    (times,) = _say(bot_process, user, "20 mg")
    assert "times" in times.plain_text.lower()
    (end,) = _say(bot_process, user, "8 and 20")
    (added,) = _press(bot_process, user, end, "No end date")
    assert "Reminder added" in added.plain_text
    assert "rivaroxaban" in added.plain_text
    assert "20 mg" in added.plain_text
    assert "08:00 and 20:00" in added.plain_text


OTHER_COMMANDS = (
    ("/start", 1),
    ("/help", 1),
    ("/settings", 1),
    ("/country", 1),
    ("/timezone", 1),
    ("/emergency", 1),
    ("/sos", 1),
    ("/signs", 1),
    ("/check", 2),
    ("/reminders", 1),
    ("/history", 1),
    ("/stockings", 1),
    ("/forget", 1),
    ("/nosuchcommand", 1),
    ("/cancel", 1),
)


def test_every_other_command_ends_a_flow(bot_process: BotProcess) -> None:
    user = 1111
    _say(bot_process, user, "/timezone UTC")
    for command, replies in OTHER_COMMANDS:
        _say(bot_process, user, "/addmed")
        _say(bot_process, user, command, expect=replies)
        after = _say(bot_process, user, "rivaroxaban")
        assert ASK_DOSE not in _text(after), command
    assert "rivaroxaban" not in _plans(bot_process, user)


def test_a_stale_button_from_an_ended_flow_gets_a_clear_answer(bot_process: BotProcess) -> None:
    user = 1114
    _say(bot_process, user, "/timezone UTC")
    (pick,) = _say(bot_process, user, "/addmed")
    _say(bot_process, user, "/cancel")
    answers = len(bot_process.api.calls_of("answerCallbackQuery"))
    bot_process.api.user_presses(user, pick.message_id, pick.button_data("apixaban"))
    deadline = clock.monotonic() + 15
    while len(bot_process.api.calls_of("answerCallbackQuery")) <= answers:
        assert clock.monotonic() < deadline
        clock.sleep(0.1)
    answer = bot_process.api.calls_of("answerCallbackQuery")[-1]
    assert str(answer.params.get("text", ""))
    _settle(bot_process, user)
    assert ASK_DOSE not in bot_process.api.last_message(user).plain_text


@pytest.mark.parametrize("zone", ["Europe/Berlin", "America/New_York", "Australia/Sydney", "Asia/Kathmandu"])
def test_time_zones_show_the_offset_in_force_today(bot_process: BotProcess, zone: str) -> None:
    (reply,) = _say(bot_process, 1115, f"/timezone {zone}")
    now = datetime.now(UTC)
    assert offset_label(zone, now) in reply.plain_text
    assert now.astimezone(ZoneInfo(zone)).strftime("%H:") in reply.plain_text or now.second > 55
