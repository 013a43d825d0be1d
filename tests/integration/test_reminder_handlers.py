"""Reminders end to end in-process: real Application, real handlers, the strict fake Bot API."""

from __future__ import annotations

import csv
import io
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from bot.config import Settings
from bot.db.reminders import ReminderOccurrence
from bot.domain.clock import FixedClock
from bot.domain.reminders import OccurrenceStatus
from bot.jobs import run_tick
from bot.services.container import Services
from bot.views.reminders import MISSED_DOSE_ADVICE
from tests.fakes.harness import BotHarness, running_bot
from tests.fakes.telegram import BotMessage

T0 = datetime(2026, 11, 27, 6, 0, tzinfo=UTC)  # 07:00 in Berlin
AT_0800 = datetime(2026, 11, 27, 7, 0, tzinfo=UTC)


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(T0)


@pytest.fixture
async def bot(settings: Settings, clock: FixedClock) -> AsyncIterator[BotHarness]:
    async with running_bot(settings, clock) as harness:
        yield harness


def services(bot: BotHarness) -> Services:
    found = bot.app.bot_data["services"]
    assert isinstance(found, Services)
    return found


async def berlin_user(bot: BotHarness, user_id: int = 1) -> None:
    await bot.send(user_id, "/start")
    await bot.send(user_id, "/timezone Europe/Berlin")


async def tick_at(bot: BotHarness, clock: FixedClock, at: datetime, user_id: int = 1) -> list[BotMessage]:
    clock.set(at)
    before = len(bot.api.messages(user_id))
    await run_tick(bot.app)
    return bot.api.messages(user_id)[before:]


def current(bot: BotHarness, message: BotMessage) -> BotMessage:
    return next(m for m in bot.api.messages(message.chat_id) if m.message_id == message.message_id)


def last_answer(bot: BotHarness) -> dict[str, object]:
    return bot.api.calls_of("answerCallbackQuery")[-1].params


async def statuses(bot: BotHarness, user_id: int = 1) -> list[str]:
    engine = bot.app.bot_data["engine"]
    async with engine.connect() as conn:
        rows = await conn.execute(
            select(ReminderOccurrence.status)
            .where(ReminderOccurrence.user_id == user_id)
            .order_by(ReminderOccurrence.due_at)
        )
        return [r[0] for r in rows]


async def test_addmed_with_arguments_confirms_local_times(bot: BotHarness) -> None:
    await berlin_user(bot)
    (reply,) = await bot.send(1, "/addmed apixaban 5 mg 08:00 20:00 until 2026-12-03")
    assert (
        "Reminder added: apixaban 5 mg at 08:00 and 20:00 every day (Europe/Berlin time)" in reply.plain_text
    )
    assert "until Thu 3 Dec" in reply.plain_text
    assert "First reminder: Fri 27 Nov at 08:00" in reply.plain_text
    (bad,) = await bot.send(1, "/addmed apixaban 5 mg 25:00")
    assert "isn't a valid time" in bad.plain_text
    (clash,) = await bot.send(1, "/addmed Apixaban 2.5 mg 20:00")
    assert "You already have a reminder for apixaban" in clash.plain_text


async def test_addmed_without_a_time_zone_is_kept_until_the_zone_is_set(bot: BotHarness) -> None:
    await bot.send(1, "/start")
    (ask,) = await bot.send(1, "/addmed rivaroxaban 20 mg 18:00")
    assert "first tell me your time zone" in ask.plain_text
    assert "I've kept what you typed" in ask.plain_text
    replies = await bot.send(1, "/timezone Europe/Berlin")
    added = [m for m in replies if "Reminder added" in m.plain_text]
    assert len(added) == 1
    assert "rivaroxaban 20 mg at 18:00" in added[0].plain_text
    assert [p.name for p in await services(bot).reminders.list_plans(1)] == ["rivaroxaban"]


async def test_guided_addmed_with_buttons_and_typed_answers(bot: BotHarness) -> None:
    await berlin_user(bot)
    (pick,) = await bot.send(1, "/addmed")
    (ask_name,) = await bot.press(1, pick, "Other")
    assert "Type the medicine's name" in ask_name.plain_text
    (ask_dose,) = await bot.send(1, "Eliquis")
    assert "What dose is on your label for Eliquis" in ask_dose.plain_text
    (ask_times,) = await bot.send(1, "2.5 mg")
    (typed,) = await bot.press(1, ask_times, "Other times")
    assert "Type your times" in typed.plain_text
    (ask_end,) = await bot.send(1, "07:30 19:30")
    (type_end,) = await bot.press(1, ask_end, "Type an end date")
    assert "YYYY-MM-DD" in type_end.plain_text
    (bad,) = await bot.send(1, "soon")
    assert "isn't a date I can read" in bad.plain_text
    (done,) = await bot.send(1, "2026-12-10")
    assert "Reminder added: Eliquis 2.5 mg at 07:30 and 19:30" in done.plain_text
    assert "until Thu 10 Dec" in done.plain_text


async def test_guided_addmed_presets(bot: BotHarness) -> None:
    await berlin_user(bot)
    (pick,) = await bot.send(1, "/addmed")
    (ask_dose,) = await bot.press(1, pick, "apixaban")
    (ask_times,) = await bot.press(1, ask_dose, "Skip")
    (ask_end,) = await bot.press(1, ask_times, "Twice a day")
    (done,) = await bot.press(1, ask_end, "No end date")
    assert "Reminder added: apixaban at 08:00 and 20:00" in done.plain_text
    # The finished flow's buttons are stale now.
    await bot.press(1, pick, "warfarin")
    assert last_answer(bot)["text"] == "That button has expired."


async def test_cancel_leaves_the_flow(bot: BotHarness) -> None:
    await berlin_user(bot)
    await bot.send(1, "/addmed")
    await bot.send(1, "/cancel")
    await bot.send(1, "apixaban")
    assert await services(bot).reminders.list_plans(1) == []
    assert not any("What dose" in m.plain_text for m in bot.api.messages(1))


async def test_stockings_with_arguments_and_guided(bot: BotHarness) -> None:
    await berlin_user(bot)
    (reply,) = await bot.send(1, "/stockings 07:30 21:00")
    assert "put them on at 07:30, take them off at 21:00" in reply.plain_text
    (ask_on,) = await bot.send(1, "/stockings")
    (ask_off,) = await bot.press(1, ask_on, "07:00")
    assert "On at 07:00" in ask_off.plain_text
    (same,) = await bot.send(1, "7:00")
    assert "can't both be at 07:00" in same.plain_text
    (done,) = await bot.press(1, ask_off, "22:00")
    assert "put them on at 07:00, take them off at 22:00" in done.plain_text
    assert len(await services(bot).reminders.list_plans(1)) == 2


async def test_tick_sends_a_reminder_and_taken_is_recorded_once(bot: BotHarness, clock: FixedClock) -> None:
    await berlin_user(bot)
    await bot.send(1, "/addmed apixaban 5 mg 08:00")
    (reminder,) = await tick_at(bot, clock, AT_0800)
    assert reminder.plain_text == "💊 Time to take apixaban 5 mg — 08:00"
    assert [label for label, _ in reminder.buttons[0]] == ["✅ Taken", "⏰ Snooze 15 min", "⏭ Skip"]
    clock.set(AT_0800 + timedelta(minutes=3))
    assert await bot.press(1, reminder, "✅ Taken") == []
    taken = current(bot, reminder)
    assert taken.edited
    assert "✅ Taken at 08:03" in taken.plain_text
    assert taken.buttons == []
    # The client still shows the old buttons for a moment: a second press changes nothing.
    clock.set(AT_0800 + timedelta(minutes=9))
    await bot.press_data(1, reminder, reminder.button_data("✅ Taken"))
    answer = last_answer(bot)
    assert answer["text"] == "Already recorded at 08:03 — do not take another dose."
    assert answer["show_alert"] is True
    assert current(bot, reminder) == taken
    assert (await statuses(bot))[0] == OccurrenceStatus.TAKEN
    # No follow-up for an answered reminder.
    assert await tick_at(bot, clock, AT_0800 + timedelta(minutes=45)) == []


async def test_taken_on_the_follow_up_after_the_original_is_refused(
    bot: BotHarness, clock: FixedClock
) -> None:
    await berlin_user(bot)
    await bot.send(1, "/addmed apixaban 08:00")
    (original,) = await tick_at(bot, clock, AT_0800)
    (follow_up,) = await tick_at(bot, clock, AT_0800 + timedelta(minutes=30))
    assert "Reminder: apixaban (due at 08:00). Have you taken it?" in follow_up.plain_text
    clock.set(AT_0800 + timedelta(minutes=31))
    await bot.press(1, original, "✅ Taken")
    await bot.press(1, follow_up, "✅ Taken")
    assert last_answer(bot)["text"] == "Already recorded at 08:31 — do not take another dose."
    assert not current(bot, follow_up).edited
    assert await tick_at(bot, clock, AT_0800 + timedelta(hours=5)) == []


async def test_skip_and_snooze(bot: BotHarness, clock: FixedClock) -> None:
    await berlin_user(bot)
    await bot.send(1, "/addmed apixaban 08:00 20:00")
    (morning,) = await tick_at(bot, clock, AT_0800)
    clock.set(AT_0800 + timedelta(minutes=2))
    await bot.press(1, morning, "⏰ Snooze 15 min")
    snoozed = current(bot, morning)
    assert "Snoozed until 08:17" in snoozed.plain_text
    assert [label for row in snoozed.buttons for label, _ in row] == ["✅ Taken"]
    assert await tick_at(bot, clock, AT_0800 + timedelta(minutes=16)) == []
    (again,) = await tick_at(bot, clock, AT_0800 + timedelta(minutes=17))
    assert "Snoozed reminder: apixaban (due at 08:00)" in again.plain_text
    await bot.press(1, again, "⏭ Skip")
    skipped = current(bot, again)
    assert "⏭ Skipped" in skipped.plain_text
    assert MISSED_DOSE_ADVICE.lower() in skipped.plain_text.lower()
    await bot.press_data(1, again, again.button_data("✅ Taken"))
    assert last_answer(bot)["text"] == "Recorded."  # the user's word: taken after all
    assert (await statuses(bot))[0] == OccurrenceStatus.TAKEN


async def test_missed_dose_message_uses_the_safe_wording(bot: BotHarness, clock: FixedClock) -> None:
    await berlin_user(bot)
    await bot.send(1, "/addmed apixaban 08:00")
    for minutes in (0, 30):
        await tick_at(bot, clock, AT_0800 + timedelta(minutes=minutes))
    (missed,) = await tick_at(bot, clock, AT_0800 + timedelta(hours=4))
    assert "marked as missed" in missed.plain_text
    assert MISSED_DOSE_ADVICE in missed.plain_text
    assert "unless the leaflet or a pharmacist says so" in missed.plain_text  # SAFETY.md rule 5
    assert [label for row in missed.buttons for label, _ in row] == ["✅ I took it"]


async def test_forged_foreign_and_stale_callbacks_change_nothing(bot: BotHarness, clock: FixedClock) -> None:
    await berlin_user(bot, 1)
    await berlin_user(bot, 2)
    await bot.send(1, "/addmed apixaban 08:00")
    await bot.send(2, "/addmed warfarin 08:00")
    await tick_at(bot, clock, AT_0800, user_id=1)
    mine = bot.api.messages(1)[-1]
    theirs = bot.api.messages(2)[-1]
    foreign_occurrence = mine.button_data("✅ Taken").split(":")[2]
    forged = [
        f"rem:t:{foreign_occurrence}",
        f"rem:k:{foreign_occurrence}",
        f"rem:z:{foreign_occurrence}:15",
        "rem:t:999999",
        "rem:t:abc",
        "rem:t:-1",
        "rem:z:1:7",
        "rem:z:1",
        "rem:zz:1",
        "rem:p:999",
        "rem:dy:1",
        "rem:am:99",
        "rem:fy:extra",
        "rem",
        "nonsense",
    ]
    for data in forged:
        assert await bot.press_data(2, theirs, data) == [], data
        assert last_answer(bot)["text"] in {
            "That button isn't valid any more.",
            "That button has expired.",
            "That reminder no longer exists.",
        }, data
    assert not current(bot, theirs).edited
    assert (await statuses(bot, 1))[0] == OccurrenceStatus.SENT
    assert [p.active for p in await services(bot).reminders.list_plans(1)] == [True]


async def test_reminders_pause_resume_change_and_delete(bot: BotHarness, clock: FixedClock) -> None:
    await berlin_user(bot)
    await bot.send(1, "/addmed apixaban 5 mg 08:00")
    (listing,) = await bot.send(1, "/reminders")
    assert "1. 💊 apixaban 5 mg — 08:00" in listing.plain_text
    await bot.press(1, listing, "⏸ 1")
    assert "⏸ paused" in current(bot, listing).plain_text
    assert await tick_at(bot, clock, AT_0800) == []
    clock.set(AT_0800 + timedelta(hours=1))
    await bot.press(1, current(bot, listing), "▶️ 1")
    assert "paused" not in current(bot, listing).plain_text
    (prompt,) = await bot.press(1, current(bot, listing), "🕒 1")
    assert "Send the new times" in prompt.plain_text
    (changed,) = await bot.send(1, "10:30")
    assert "New times for 💊 apixaban 5 mg: 10:30, from today." in changed.plain_text
    (reminder,) = await tick_at(bot, clock, AT_0800 + timedelta(hours=2, minutes=30))
    assert reminder.plain_text == "💊 Time to take apixaban 5 mg — 10:30"
    await bot.press(1, current(bot, listing), "🗑 1")
    assert "Delete the reminder" in current(bot, listing).plain_text
    await bot.press(1, current(bot, listing), "Yes, delete")
    assert "You have no reminders yet" in current(bot, listing).plain_text
    assert await services(bot).reminders.list_plans(1) == []


async def test_history_sends_a_table_and_a_chart(bot: BotHarness, clock: FixedClock) -> None:
    await berlin_user(bot)
    await bot.send(1, "/addmed apixaban 08:00")
    (reminder,) = await tick_at(bot, clock, AT_0800)
    await bot.press(1, reminder, "✅ Taken")
    clock.set(AT_0800 + timedelta(hours=1))
    table, chart = await bot.send(1, "/history")
    assert any(e["type"] == "pre" for e in table.entities)
    assert "Fri 27 Nov     1    0      0       0" in table.plain_text
    assert chart.photo is not None
    assert chart.photo.startswith(b"\x89PNG")
    assert len(bot.api.calls_of("sendPhoto")) == 1


async def test_history_without_reminders_sends_no_chart(bot: BotHarness) -> None:
    await berlin_user(bot)
    (only,) = await bot.send(1, "/history")
    assert "No dose reminders" in only.plain_text
    assert bot.api.calls_of("sendPhoto") == []


async def test_export_sends_the_dose_log_as_csv(bot: BotHarness, clock: FixedClock) -> None:
    await berlin_user(bot)
    await bot.send(1, "/addmed apixaban 5 mg 08:00")
    (reminder,) = await tick_at(bot, clock, AT_0800)
    clock.set(AT_0800 + timedelta(minutes=4))
    await bot.press(1, reminder, "✅ Taken")
    log, data = await bot.send(1, "/export")
    assert log.document is not None
    name, content = log.document
    assert name == "clotcare-dose-log.csv"
    rows = list(csv.reader(io.StringIO(content.decode("utf-8-sig"))))
    assert rows[1][:7] == [
        "2026-11-27",
        "08:00",
        "Europe/Berlin",
        "apixaban",
        "5 mg",
        "taken",
        "2026-11-27 08:04",
    ]
    assert data.document is not None
    assert data.document[0] == "clotcare-my-data.csv"
    assert len(bot.api.calls_of("sendDocument")) == 2


async def test_forget_asks_then_deletes_everything(bot: BotHarness, clock: FixedClock) -> None:
    await berlin_user(bot)
    await bot.send(1, "/addmed apixaban 08:00")
    await bot.send(1, "/stockings 07:30 21:00")
    await tick_at(bot, clock, AT_0800)
    (ask,) = await bot.send(1, "/forget")
    await bot.press(1, ask, "Keep my data")
    assert current(bot, ask).plain_text == "Nothing was deleted."
    assert await services(bot).users.profile(1) is not None
    (ask,) = await bot.send(1, "/forget")
    await bot.press(1, ask, "Delete everything")
    assert "everything ClotCare stored about you is deleted" in current(bot, ask).plain_text
    assert await services(bot).users.profile(1) is None
    engine = bot.app.bot_data["engine"]
    async with engine.connect() as conn:
        left = await conn.scalar(select(func.count()).select_from(ReminderOccurrence))
    assert left == 0
    assert await tick_at(bot, clock, AT_0800 + timedelta(hours=12)) == []


async def test_a_user_who_blocked_the_bot_has_plans_paused(bot: BotHarness, clock: FixedClock) -> None:
    await berlin_user(bot)
    await bot.send(1, "/addmed apixaban 08:00 20:00")
    bot.api.block(1)
    clock.set(AT_0800)
    report = await run_tick(bot.app)
    assert report.blocked == 1
    profile = await services(bot).users.profile(1)
    assert profile is not None
    assert not profile.active
    assert [p.active for p in await services(bot).reminders.list_plans(1)] == [False]
    clock.set(AT_0800 + timedelta(hours=12))
    assert (await run_tick(bot.app)).claimed == 0


async def test_the_tick_is_scheduled_on_the_job_queue(bot: BotHarness) -> None:
    assert bot.app.job_queue is not None
    (job,) = bot.app.job_queue.get_jobs_by_name("reminders-tick")
    assert job.job.trigger.interval == timedelta(seconds=20)


async def test_twice_a_day_asks_which_times_with_the_usual_pairs(bot: BotHarness) -> None:
    await berlin_user(bot)
    (question,) = await bot.send(1, "/addmed apixaban 5 mg twice a day")
    assert "apixaban" in question.plain_text
    labels = [text for row in question.buttons for text, _ in row]
    assert labels[:3] == ["08:00 and 20:00", "07:00 and 19:00", "09:00 and 21:00"]
    (end,) = await bot.press(1, question, "07:00 and 19:00")
    (added,) = await bot.press(1, end, "No end date")
    assert "apixaban 5 mg" in added.plain_text
    assert "07:00 and 19:00" in added.plain_text


async def test_twice_a_day_typed_in_the_guided_steps_asks_which_times(bot: BotHarness) -> None:
    await berlin_user(bot)
    await bot.send(1, "/addmed")
    await bot.send(1, "rivaroxaban")
    await bot.send(1, "20 mg")
    (question,) = await bot.send(1, "twice a day")
    labels = [text for row in question.buttons for text, _ in row]
    assert labels[:3] == ["08:00 and 20:00", "07:00 and 19:00", "09:00 and 21:00"]
    (end,) = await bot.press(1, question, "09:00 and 21:00")
    (added,) = await bot.press(1, end, "No end date")
    assert "rivaroxaban 20 mg" in added.plain_text
    assert "09:00 and 21:00" in added.plain_text


async def test_a_sentence_is_not_taken_as_a_medicine_name(bot: BotHarness) -> None:
    await berlin_user(bot)
    await bot.send(1, "/addmed")
    (refused,) = await bot.send(1, "what should I take for my leg")
    assert "just the medicine's name" in refused.plain_text
    (asked,) = await bot.send(1, "Eliquis")
    assert "What dose is on your label for Eliquis" in asked.plain_text
