"""Reminder views: valid escaped HTML, safe wording, short callbacks, a real chart, a safe CSV."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from datetime import UTC, date, datetime, time

import pytest
from hypothesis import given
from hypothesis import strategies as st
from telegram import InlineKeyboardMarkup

from bot.domain.commands import ErrorKey, ParseError
from bot.domain.reminders import Action, OccurrenceStatus, ReminderKind
from bot.domain.users import UserProfile
from bot.services.dispatcher import MissedSummary, PhaseEnd, ReminderMessage
from bot.services.reminders import (
    AnswerResult,
    AnswerStatus,
    DayTally,
    ExportData,
    History,
    LogEntry,
    Outcome,
    PlanAdded,
    PlanInfo,
    PlanOverlaps,
    ReminderInfo,
    StockingsSet,
    TimesChanged,
)
from bot.views import reminders as views
from bot.views.callbacks import MAX_CALLBACK_BYTES, decode
from tests.fakes.telegram_html import parse_html

BERLIN = "Europe/Berlin"
DUE = datetime(2026, 11, 27, 7, 0, tzinfo=UTC)
SAFE_MISSED = views.MISSED_DOSE_ADVICE.lower()
# Wording that would give a dose, a catch-up dose or tell someone to stop: never in any view.
FORBIDDEN = ("double dose", "catch up", "catch-up", "stop taking", "take two doses", "extra dose")


def info(
    kind: ReminderKind = ReminderKind.DOSE, name: str = "apixaban", dose: str | None = "5 mg", occ: int = 42
) -> ReminderInfo:
    return ReminderInfo(
        occurrence_id=occ,
        kind=kind,
        name=name,
        dose=dose,
        local_date=date(2026, 11, 27),
        local_time=time(8, 0),
        timezone=BERLIN,
        due_at=DUE,
        deadline=DUE.replace(hour=11),
    )


def plan(name: str = "apixaban", dose: str | None = "5 mg", **kwargs: object) -> PlanInfo:
    values: dict[str, object] = {
        "plan_id": 7,
        "kind": ReminderKind.DOSE,
        "name": name,
        "dose": dose,
        "times": (time(8), time(20)),
        "timezone": BERLIN,
        "first_day": None,
        "last_day": None,
        "active": True,
    }
    values.update(kwargs)
    return PlanInfo(**values)  # type: ignore[arg-type]


def message(action: Action, reminder: ReminderInfo | None = None, **kwargs: object) -> ReminderMessage:
    return ReminderMessage(
        user_id=1,
        chat_id=1,
        action=action,
        reminder=reminder or info(),
        snooze_minutes=kwargs.pop("snooze_minutes", (10, 15, 30, 60)),  # type: ignore[arg-type]
        phase_end=kwargs.pop("phase_end", None),  # type: ignore[arg-type]
    )


def plain(html: str) -> str:
    return parse_html(html).text


def callbacks(markup: InlineKeyboardMarkup | None) -> Iterator[str]:
    assert markup is not None
    for row in markup.inline_keyboard:
        for button in row:
            assert isinstance(button.callback_data, str)
            yield button.callback_data


def all_texts() -> Iterator[str]:
    for action in Action:
        for kind in ReminderKind:
            yield views.render_reminder(message(action, info(kind)))
    yield views.render_missed_summary(MissedSummary(1, 1, BERLIN, (info(),)))
    yield views.render_skipped(AnswerResult(AnswerStatus.RECORDED, info(), DUE))
    yield views.render_phase_end(info(), PhaseEnd(date(2026, 12, 3), None))
    yield views.render_phase_end(info(), PhaseEnd(date(2026, 12, 3), plan(first_day=date(2026, 12, 4))))
    yield views.render_plan_overlaps(PlanOverlaps(plan()))
    yield views.render_plan_added(PlanAdded(plan(), DUE))
    yield views.render_forget_confirm()
    for status in AnswerStatus:
        for previous in (None, *OccurrenceStatus):
            yield views.answer_refused(AnswerResult(status, info(), DUE, previous))


@pytest.mark.parametrize("text", list(all_texts()))
def test_every_text_is_valid_html_and_never_prescribes(text: str) -> None:
    rendered = plain(text) if "<" in text or "&" in text else text
    lowered = rendered.lower().replace(SAFE_MISSED, "")
    assert not any(phrase in lowered for phrase in FORBIDDEN), rendered
    assert len(rendered) < 4096


def test_dose_reminder_shows_name_dose_and_time_exactly() -> None:
    text = plain(views.render_reminder(message(Action.SEND, info(name="Eliquis <apixaban>", dose="2.5 mg"))))
    assert "Eliquis <apixaban> 2.5 mg" in text
    assert "08:00" in text


def test_late_reminder_says_when_it_was_due() -> None:
    text = plain(views.render_reminder(message(Action.SEND_LATE)))
    assert "due at 08:00" in text
    assert "do not take another dose" in text


def test_missed_notice_uses_the_safe_wording_and_offers_i_took_it() -> None:
    missed = message(Action.MARK_MISSED)
    assert SAFE_MISSED in plain(views.render_reminder(missed)).lower()
    keyboard = views.reminder_keyboard(missed)
    assert [b.text for row in keyboard.inline_keyboard for b in row] == ["✅ I took it"]


def test_missed_summary_lists_each_once_with_safe_wording() -> None:
    items = tuple(info(occ=n) for n in range(25))
    text = plain(views.render_missed_summary(MissedSummary(1, 1, BERLIN, items)))
    assert text.count("due at 08:00") == views.MAX_SUMMARY_ITEMS
    assert "and 5 more" in text
    assert SAFE_MISSED in text.lower()
    stockings_only = plain(
        views.render_missed_summary(MissedSummary(1, 1, BERLIN, (info(ReminderKind.STOCKINGS_ON),)))
    )
    assert "two doses" not in stockings_only


def test_reminder_buttons_carry_only_the_occurrence_id() -> None:
    keyboard = views.reminder_keyboard(message(Action.SEND))
    labels = [b.text for row in keyboard.inline_keyboard for b in row]
    assert labels[:3] == ["✅ Taken", "⏰ Snooze 15 min", "⏭ Skip"]
    assert labels[3:] == ["⏰ 10 min", "⏰ 30 min", "⏰ 1 h"]
    for data in callbacks(keyboard):
        decoded = decode(data)
        assert decoded is not None
        assert decoded.prefix == "rem"
        assert decoded.args[1] == "42"


def test_stocking_reminder_has_done_and_snooze_but_no_skip() -> None:
    keyboard = views.reminder_keyboard(message(Action.SEND, info(ReminderKind.STOCKINGS_OFF)))
    labels = [b.text for row in keyboard.inline_keyboard for b in row]
    assert labels[:2] == ["✅ Done", "⏰ Snooze 15 min"]
    assert "⏭ Skip" not in labels


def test_snooze_falls_back_when_the_default_would_pass_the_deadline() -> None:
    keyboard = views.reminder_keyboard(message(Action.SEND_FOLLOW_UP, snooze_minutes=(10,)))
    labels = [b.text for row in keyboard.inline_keyboard for b in row]
    assert labels == ["✅ Taken", "⏰ Snooze 10 min", "⏭ Skip"]
    none_left = views.reminder_keyboard(message(Action.SEND_FOLLOW_UP, snooze_minutes=()))
    assert [b.text for row in none_left.inline_keyboard for b in row] == ["✅ Taken", "⏭ Skip"]


@given(
    occ=st.integers(min_value=1, max_value=10**12 - 1), plan_id=st.integers(min_value=1, max_value=10**12 - 1)
)
def test_callback_data_fits_telegram(occ: int, plan_id: int) -> None:
    markups = [
        views.reminder_keyboard(message(Action.SEND, info(occ=occ))),
        views.plans_keyboard([plan(plan_id=plan_id, active=False), plan(plan_id=plan_id)]),
        views.confirm_delete_keyboard(plan(plan_id=plan_id)),
        views.snoozed_keyboard(AnswerResult(AnswerStatus.RECORDED, info(occ=occ), DUE)),
    ]
    for markup in markups:
        for data in callbacks(markup):
            assert len(data.encode()) <= MAX_CALLBACK_BYTES


def test_taken_edit_and_double_dose_answer() -> None:
    taken = AnswerResult(AnswerStatus.RECORDED, info(), DUE.replace(minute=3))
    assert "✅ Taken at 08:03" in plain(views.render_taken(taken))
    already = views.answer_refused(AnswerResult(AnswerStatus.ALREADY_TAKEN, info(), DUE.replace(minute=3)))
    assert already == "Already recorded at 08:03 — do not take another dose."
    after_missed = AnswerResult(AnswerStatus.RECORDED, info(), DUE, OccurrenceStatus.MISSED)
    assert "marked as missed" in plain(views.render_taken(after_missed))


def test_callback_answers_are_short_plain_text() -> None:
    for status in AnswerStatus:
        for previous in (None, *OccurrenceStatus):
            for kind in ReminderKind:
                text = views.answer_refused(AnswerResult(status, info(kind), DUE, previous))
                assert len(text) <= 200
                assert "<" not in text


def test_phase_end_quotes_the_next_plan_and_never_invents_a_dose() -> None:
    following = plan(dose="5 mg", first_day=date(2026, 12, 4))
    text = plain(views.render_phase_end(info(), PhaseEnd(date(2026, 12, 3), following)))
    assert "Tomorrow (Thu 3 Dec) is the last day" in text
    assert "From Fri 4 Dec, your next apixaban plan says: 5 mg at 08:00 and 20:00." in text
    no_dose = plain(views.render_phase_end(info(), PhaseEnd(date(2026, 12, 3), plan(dose=None))))
    assert "(no dose entered)" in no_dose
    assert "mg" not in no_dose
    none = plain(views.render_phase_end(info(), PhaseEnd(date(2026, 12, 3), None)))
    assert "mg" not in none
    assert "doctor or pharmacist" in none


def test_every_parse_error_has_a_message() -> None:
    for key in ErrorKey:
        text = views.render_parse_error(ParseError(key, "<x>"))
        assert text
        assert "<x>" not in text
        plain(text)


def test_plans_list_and_its_buttons() -> None:
    plans = [plan(), plan(plan_id=8, kind=ReminderKind.STOCKINGS_ON, times=(time(7, 30),), active=False)]
    text = plain(views.render_plans(plans))
    assert "1. 💊 apixaban 5 mg — 08:00, 20:00" in text
    assert "2. 🧦 Stockings on — 07:30 · ⏸ paused" in text
    labels = [[b.text for b in row] for row in views.plans_keyboard(plans).inline_keyboard]  # type: ignore[union-attr]
    assert labels == [["⏸ 1", "🕒 1", "🗑 1"], ["▶️ 2", "🕒 2", "🗑 2"]]
    assert views.plans_keyboard([]) is None
    assert "/addmed" in plain(views.render_plans([]))


def test_times_changed_says_from_when() -> None:
    today = TimesChanged(plan(), date(2026, 11, 27), starts_today=True)
    assert plain(views.render_times_changed(today)).endswith("from today.")
    tomorrow = TimesChanged(plan(), date(2026, 11, 28), starts_today=False)
    assert "from tomorrow (Sat 28 Nov)" in plain(views.render_times_changed(tomorrow))


def test_stockings_confirmation() -> None:
    on = plan(kind=ReminderKind.STOCKINGS_ON, times=(time(7, 30),))
    off = plan(kind=ReminderKind.STOCKINGS_OFF, times=(time(21),))
    text = plain(views.render_stockings_set(StockingsSet(on, off)))
    assert "put them on at 07:30, take them off at 21:00" in text


def _history() -> History:
    days = tuple(
        DayTally(date(2026, 11, 14 + i), taken=i % 3, late=i % 2, missed=1 if i == 5 else 0, skipped=0)
        for i in range(14)
    )
    return History(BERLIN, days)


def test_history_table_is_monospace_and_the_chart_is_a_png() -> None:
    history = _history()
    html = views.render_history(history, 30)
    assert "<pre>" in html
    text = plain(html)
    assert "Day" in text
    assert "Missed" in text
    assert "Fri 27 Nov" in text
    png = views.render_history_chart(history)
    assert png.startswith(b"\x89PNG\r\n\x1a\n")
    empty = History(BERLIN, tuple(DayTally(date(2026, 11, 14 + i)) for i in range(14)))
    assert empty.empty
    assert "<pre>" not in views.render_history(empty, 30)


def _export() -> ExportData:
    profile = UserProfile(1, 1, "DE", BERLIN, "en", True, True, DUE, DUE)
    entries = (
        LogEntry(info(name="=HYPERLINK(1)", dose="-5 mg"), Outcome.TAKEN, DUE, DUE, False),
        LogEntry(info(ReminderKind.STOCKINGS_ON, dose=None), Outcome.MISSED, None, DUE, True),
    )
    return ExportData(profile, (plan(name="+evil"),), entries)


def test_dose_log_csv_is_readable_and_formula_safe() -> None:
    raw = views.render_dose_log_csv(_export())
    assert raw.startswith("\ufeff".encode())
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))
    assert rows[0][:6] == ["date", "scheduled_time", "time_zone", "medicine", "dose", "outcome"]
    assert rows[1][:6] == ["2026-11-27", "08:00", BERLIN, "'=HYPERLINK(1)", "'-5 mg", "taken"]
    assert rows[1][6] == "2026-11-27 08:00"
    assert rows[2][3] == "compression stockings (put on)"
    assert rows[2][8] == "yes"


def test_my_data_csv_has_profile_and_plans() -> None:
    rows = list(csv.reader(io.StringIO(views.render_my_data_csv(_export()).decode("utf-8-sig"))))
    assert ["profile", "timezone", BERLIN] in rows
    assert ["reminder 1", "medicine", "'+evil"] in rows
    assert ["reminder 1", "times", "08:00 20:00"] in rows


# --- issue 11 ---------------------------------------------------------------------------------------


def test_a_long_list_is_paginated_under_telegrams_limit_and_every_plan_has_buttons() -> None:
    long_name = "x" * 64
    plans = [
        plan(name=f"{long_name}{i}", dose="y" * 32, plan_id=i + 1, times=tuple(time(h) for h in range(8)))
        for i in range(30)
    ]
    reachable: set[int] = set()
    for page in range(views.page_count(plans)):
        text = views.render_plans(plans, page)
        assert len(parse_html(text).text) <= 4096
        keyboard = views.plans_keyboard(plans, page)
        assert keyboard is not None
        for row in keyboard.inline_keyboard:
            for button in row:
                data = decode(str(button.callback_data))
                assert data is not None
                if data.args[0] == views.DELETE:
                    reachable.add(int(data.args[1]))
    assert reachable == {p.plan_id for p in plans}


def test_dates_carry_the_year_only_outside_this_year() -> None:
    today = date(2026, 11, 30)
    assert views.day_text(date(2026, 12, 4), today) == "Fri 4 Dec"
    assert views.day_text(date(2027, 1, 5), today) == "Tue 5 Jan 2027"


def test_a_dose_or_time_question_shows_a_corrected_example() -> None:
    error = ParseError(ErrorKey.ADDMED_DOSE_OR_TIME, "12.50", "/addmed warfarin 12.50 mg 18:00")
    text = parse_html(views.render_parse_error(error)).text
    assert "12.50" in text
    assert "/addmed warfarin 12.50 mg 18:00" in text


def test_two_blood_thinners_get_the_pharmacist_warning() -> None:
    added = PlanAdded(plan(name="rivaroxaban"), None, other_anticoagulant="apixaban")
    text = parse_html(views.render_plan_added(added)).text
    assert "Check with your doctor or pharmacist — people are rarely on two blood thinners" in text
