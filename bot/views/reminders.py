"""Reminder texts and keyboards: reminders, answers, plans, guided set-up, history, export, /forget.

Medicine names and doses are shown exactly as the user typed them (escaped), never interpreted: the
bot never suggests a dose. Missed-dose wording follows SAFETY.md rule 5. Callback answers (the little
pop-ups after a button press) are plain text, not HTML, and at most 200 characters.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from datetime import date, datetime, time, timedelta
from html import escape
from typing import Final
from zoneinfo import ZoneInfo

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot.domain.commands import MAX_TIMES_PER_DAY, ErrorKey, ParseError
from bot.domain.reminders import Action, OccurrenceStatus, ReminderKind
from bot.domain.timezones import display_zone
from bot.services.dispatcher import MissedSummary, PhaseEnd, ReminderMessage
from bot.services.reminders import (
    AnswerResult,
    AnswerStatus,
    ExportData,
    History,
    LogEntry,
    PlanAdded,
    PlanInfo,
    PlanOverlaps,
    ReminderInfo,
    StockingsSet,
    TimesChanged,
    ZoneMove,
)
from bot.views.callbacks import encode

CALLBACK_PREFIX: Final = "rem"

# Callback verbs (second field of the callback data).
TAKEN: Final = "t"
SKIP: Final = "k"
SNOOZE: Final = "z"
PAUSE: Final = "p"
RESUME: Final = "r"
DELETE: Final = "d"
DELETE_YES: Final = "dy"
DELETE_NO: Final = "dn"
CHANGE_TIMES: Final = "c"
PICK_MEDICINE: Final = "am"
SKIP_DOSE: Final = "ad"
PICK_TIMES: Final = "at"
PICK_END: Final = "au"
STOCKINGS_ON: Final = "so"
STOCKINGS_OFF: Final = "sf"
FORGET_YES: Final = "fy"
FORGET_NO: Final = "fn"
PAGE: Final = "pg"
OTHER: Final = "o"
# /reminders shows this many plans per message, so even a long list stays under Telegram's 4096 chars.
PLANS_PER_PAGE: Final = 8

COMMON_MEDICINES: Final = ("apixaban", "rivaroxaban", "dabigatran", "edoxaban", "warfarin", "enoxaparin")
ONCE_DAILY: Final = (time(8, 0),)
TWICE_DAILY: Final = (time(8, 0), time(20, 0))
# Common times offered as buttons, by how many a day ("twice a day" -> the three usual pairs).
PRESET_TIMES: Final[dict[str, tuple[time, ...]]] = {
    "1": ONCE_DAILY,
    "2": TWICE_DAILY,
    "2e": (time(7, 0), time(19, 0)),
    "2l": (time(9, 0), time(21, 0)),
    "3": (time(8, 0), time(14, 0), time(20, 0)),
}
_PRESETS_PER_DAY: Final[dict[int, tuple[str, ...]]] = {1: ("1",), 2: ("2", "2e", "2l"), 3: ("3",)}
STOCKINGS_ON_CHOICES: Final = (time(6, 30), time(7, 0), time(7, 30), time(8, 0))
STOCKINGS_OFF_CHOICES: Final = (time(20, 0), time(21, 0), time(22, 0), time(23, 0))
MAX_SUMMARY_ITEMS: Final = 20

# SAFETY.md rule 5: a few regimens do allow a catch-up dose, so the leaflet or a pharmacist decides.
MISSED_DOSE_ADVICE: Final = (
    "Follow the leaflet or ask a pharmacist or doctor. Don't take two doses to make up for it unless "
    "the leaflet or a pharmacist says so."
)

# ---------------------------------------------------------------------- small formatting helpers


def hhmm(t: time) -> str:
    """Return a wall-clock time as HH:MM."""
    return t.strftime("%H:%M")


def local_hhmm(instant: datetime, zone: str) -> str:
    """Return a UTC instant as HH:MM in ``zone``."""
    return instant.astimezone(ZoneInfo(zone)).strftime("%H:%M")


def day_text(d: date, today: date | None = None) -> str:
    """Return a short date: "Fri 27 Nov", with the year when it is not ``today``'s year ("Tue 5 Jan 2027")."""
    text = f"{d.strftime('%a')} {d.day} {d.strftime('%b')}"
    return text if today is None or d.year == today.year else f"{text} {d.year}"


def times_text(times: Sequence[time]) -> str:
    """Return "08:00", "08:00 and 20:00" or "07:00, 13:00 and 19:00"."""
    parts = [hhmm(t) for t in times]
    if len(parts) <= 1:
        return "".join(parts)
    return f"{', '.join(parts[:-1])} and {parts[-1]}"


def _what(kind: ReminderKind, name: str, dose: str | None) -> str:
    """Return what a reminder is about, escaped: "apixaban 5 mg" or "put on your compression stockings"."""
    if kind is ReminderKind.STOCKINGS_ON:
        return "put on your compression stockings"
    if kind is ReminderKind.STOCKINGS_OFF:
        return "take off your compression stockings"
    return escape(f"{name} {dose}" if dose else name)


def _label(kind: ReminderKind, name: str, dose: str | None) -> str:
    """Return a short escaped label for lists: "💊 apixaban 5 mg", "🧦 Stockings on"."""
    if kind is ReminderKind.STOCKINGS_ON:
        return "🧦 Stockings on"
    if kind is ReminderKind.STOCKINGS_OFF:
        return "🧦 Stockings off"
    return f"💊 {_what(kind, name, dose)}"


def _plain_label(info: ReminderInfo) -> str:
    """Return an unescaped label for callback answers (plain text)."""
    if info.kind is ReminderKind.DOSE:
        return f"{info.name} {info.dose}" if info.dose else info.name
    return "Stockings on" if info.kind is ReminderKind.STOCKINGS_ON else "Stockings off"


def _button(text: str, *args: str | int) -> InlineKeyboardButton:
    return InlineKeyboardButton(text, callback_data=encode(CALLBACK_PREFIX, *args))


def _snooze_label(minutes: int) -> str:
    return f"{minutes // 60} h" if minutes % 60 == 0 else f"{minutes} min"


# ---------------------------------------------------------------------- reminders (sent by the tick)


def render_reminder(message: ReminderMessage) -> str:
    """Render a reminder, late reminder, follow-up, snoozed resend or missed notice."""
    info = message.reminder
    slot = hhmm(info.local_time)
    what = _what(info.kind, info.name, info.dose)
    dose = info.kind is ReminderKind.DOSE
    icon = "💊" if dose else "🧦"
    action = message.action
    if action is Action.MARK_MISSED and dose:
        lines = [
            f"❌ <b>{what}</b> (due at {slot}) is marked as missed — I didn't get an answer.",
            MISSED_DOSE_ADVICE,
            "If you did take it, press ✅ I took it.",
        ]
    elif action is Action.MARK_MISSED:
        lines = [f"❌ <b>{_label(info.kind, info.name, info.dose)}</b> ({slot}) is marked as not done."]
    elif action is Action.SEND_LATE:
        lines = [
            f"{icon} <b>Late reminder: {what}</b>",
            f"This was due at {slot} on {day_text(info.local_date)}; I couldn't send it on time.",
        ]
        if dose:
            lines.append("If you have already taken it, just press ✅ Taken — do not take another dose.")
    elif action is Action.SEND_FOLLOW_UP:
        question = "Have you taken it?" if dose else "Done?"
        lines = [f"⏰ <b>Reminder: {what}</b> (due at {slot}). {question}"]
    elif action is Action.RESEND_SNOOZED:
        lines = [f"⏰ <b>Snoozed reminder: {what}</b> (due at {slot})."]
    else:
        lines = [f"{icon} <b>Time to {'take ' if dose else ''}{what}</b> — {slot}"]
    if message.phase_end is not None:
        lines += ["", render_phase_end(info, message.phase_end)]
    return "\n".join(lines)


def render_phase_end(info: ReminderInfo, phase: PhaseEnd) -> str:
    """Say tomorrow is the plan's last day, and what the next plan of the same medicine says."""
    name = escape(info.name)
    text = f"📅 Tomorrow ({day_text(phase.last_day)}) is the last day of this {name} plan."
    following = phase.next_plan
    if following is None:
        return (
            f"{text} I have no {name} plan after it. If you have been told to keep taking it, add the "
            "next plan with /addmed; if you're not sure, ask your doctor or pharmacist."
        )
    start = day_text(following.first_day) if following.first_day else "then"
    dose = f"{escape(following.dose)} at" if following.dose else "at"
    no_dose = "" if following.dose else " (no dose entered)"
    return f"{text} From {start}, your next {name} plan says: {dose} {times_text(following.times)}{no_dose}."


def reminder_keyboard(message: ReminderMessage) -> InlineKeyboardMarkup:
    """Buttons under a reminder: Taken/Done, Snooze (default first, then the other lengths), Skip."""
    occ = message.reminder.occurrence_id
    dose = message.reminder.kind is ReminderKind.DOSE
    if message.action is Action.MARK_MISSED:
        return InlineKeyboardMarkup([[_button("✅ I took it" if dose else "✅ Done", TAKEN, occ)]])
    choices = list(message.snooze_minutes)
    default = 15 if 15 in choices else (choices[0] if choices else None)
    first = [_button("✅ Taken" if dose else "✅ Done", TAKEN, occ)]
    if default is not None:
        first.append(_button(f"⏰ Snooze {_snooze_label(default)}", SNOOZE, occ, default))
    if dose:
        first.append(_button("⏭ Skip", SKIP, occ))
    rows = [first]
    others = [m for m in choices if m != default]
    if others:
        rows.append([_button(f"⏰ {_snooze_label(m)}", SNOOZE, occ, m) for m in others])
    return InlineKeyboardMarkup(rows)


def render_missed_summary(summary: MissedSummary) -> str:
    """List, once, the reminders that passed their deadline while they could not be sent."""
    lines = ["⚠️ <b>I couldn't send these reminders on time</b>, so they are marked as missed:"]
    for info in summary.items[:MAX_SUMMARY_ITEMS]:
        label = _label(info.kind, info.name, info.dose)
        lines.append(f"• {label} — due at {hhmm(info.local_time)} on {day_text(info.local_date)}")
    hidden = len(summary.items) - MAX_SUMMARY_ITEMS
    if hidden > 0:
        lines.append(f"• … and {hidden} more (see /history)")
    if any(i.kind is ReminderKind.DOSE for i in summary.items):
        lines += ["", f"For a missed dose: {MISSED_DOSE_ADVICE[0].lower()}{MISSED_DOSE_ADVICE[1:]}"]
    lines += ["", "Sorry about that. Your next reminders will come as usual."]
    return "\n".join(lines)


# ---------------------------------------------------------------------- answers to reminder buttons


def _header(info: ReminderInfo) -> str:
    return f"{_label(info.kind, info.name, info.dose)} — {hhmm(info.local_time)}"


def render_taken(result: AnswerResult) -> str:
    """Render the reminder after "Taken": "✅ Taken at 08:03"."""
    assert result.reminder is not None
    assert result.at is not None
    info = result.reminder
    verb = "Taken" if info.kind is ReminderKind.DOSE else "Done"
    late = " (it had been marked as missed)" if result.previous is OccurrenceStatus.MISSED else ""
    return f"{_header(info)}\n✅ {verb} at {local_hhmm(result.at, info.timezone)}{late}"


def render_skipped(result: AnswerResult) -> str:
    """Render the reminder after "Skip", with the safe missed-dose wording for doses."""
    assert result.reminder is not None
    info = result.reminder
    text = f"{_header(info)}\n⏭ Skipped."
    if info.kind is ReminderKind.DOSE:
        text += f" If this is a missed dose: {MISSED_DOSE_ADVICE[0].lower()}{MISSED_DOSE_ADVICE[1:]}"
    return text


def render_snoozed(result: AnswerResult) -> str:
    """Render the reminder after "Snooze"."""
    assert result.reminder is not None
    assert result.at is not None
    info = result.reminder
    return (
        f"{_header(info)}\n⏰ Snoozed until {local_hhmm(result.at, info.timezone)} — I'll remind you again."
    )


def snoozed_keyboard(result: AnswerResult) -> InlineKeyboardMarkup:
    """Keep a Taken/Done button on a snoozed reminder, so it can be answered before it comes back."""
    assert result.reminder is not None
    dose = result.reminder.kind is ReminderKind.DOSE
    return InlineKeyboardMarkup(
        [[_button("✅ Taken" if dose else "✅ Done", TAKEN, result.reminder.occurrence_id)]]
    )


def answer_recorded() -> str:
    """Acknowledge a recorded answer (callback answer)."""
    return "Recorded."


def answer_refused(result: AnswerResult) -> str:
    """Explain, in a callback answer, why a button press changed nothing."""
    info = result.reminder
    if result.status is AnswerStatus.ALREADY_TAKEN and info is not None:
        at = local_hhmm(result.at, info.timezone) if result.at else "earlier"
        if info.kind is ReminderKind.DOSE:
            return f"Already recorded at {at} — do not take another dose."
        return f"Already done at {at}."
    if result.status is AnswerStatus.CLOSED:
        return _CLOSED_ANSWERS.get(result.previous, "This reminder can't be changed any more.")
    return _REFUSED_ANSWERS.get(result.status, "That button isn't valid any more.")


_CLOSED_ANSWERS: Final[dict[OccurrenceStatus | None, str]] = {
    OccurrenceStatus.SKIPPED: "This reminder was already marked as skipped.",
    OccurrenceStatus.MISSED: (
        "This reminder was already marked as missed. If you did take it, press ✅ I took it."
    ),
}
_REFUSED_ANSWERS: Final[dict[AnswerStatus, str]] = {
    AnswerStatus.GONE: (
        "This reminder was cancelled (its plan was paused or deleted), so nothing was recorded."
    ),
    AnswerStatus.INVALID: (
        "I can't snooze for that long — it would run into the next reminder. Please answer now."
    ),
}


def answer_stale() -> str:
    """Answer a button that is malformed, forged or from an old flow."""
    return "That button has expired."


# ---------------------------------------------------------------------- /addmed and /stockings


def render_addmed_usage() -> str:
    """Explain /addmed."""
    return (
        "Add a reminder like this:\n"
        "<code>/addmed apixaban 5 mg 08:00 20:00</code>\n"
        "Name, then the dose as on your label (optional), then the times. You can add "
        "<code>from 2026-12-04</code> and/or <code>until 2026-12-31</code> at the end.\n"
        "Or send just /addmed and I'll ask step by step."
    )


_ERRORS: Final[dict[str, str]] = {
    ErrorKey.ADDMED_USAGE: "",
    ErrorKey.ADDMED_DOSE_OR_TIME: (
        "Is <code>{detail}</code> the dose or a time? I won't guess, because a wrong guess would add a "
        "reminder at the wrong time. Write a dose with its unit and times with a colon, e.g."
    ),
    ErrorKey.ADDMED_NO_NAME: "Start with the medicine's name, e.g. <code>/addmed apixaban 5 mg 08:00</code>.",
    ErrorKey.ADDMED_NO_TIMES: (
        "I couldn't find any times. Put them at the end, e.g. <code>08:00 20:00</code>."
    ),
    ErrorKey.ADDMED_TIME_OUT_OF_PLACE: (
        "“{detail}” looks like a time, but times go at the end, after the name and dose: "
        "<code>/addmed apixaban 5 mg 08:00 20:00</code>."
    ),
    ErrorKey.ADDMED_TOO_MANY_TIMES: (
        f"That's {{detail}} times a day; I can remind at most {MAX_TIMES_PER_DAY}."
    ),
    ErrorKey.ADDMED_NAME_TOO_LONG: "That medicine name is too long for me — please shorten it.",
    ErrorKey.ADDMED_DOSE_TOO_LONG: (
        "That dose is too long for me — please shorten it (e.g. <code>5 mg</code>)."
    ),
    ErrorKey.ADDMED_BAD_DATE: (
        "“{detail}” isn't a date I can read. Please use YYYY-MM-DD, e.g. <code>2026-12-31</code>."
    ),
    ErrorKey.ADDMED_DATE_OUT_OF_RANGE: "“{detail}” is too far from today. Please check the date.",
    ErrorKey.ADDMED_CLAUSE_OUT_OF_PLACE: (
        "Put <code>from</code> and <code>until</code> at the very end, after the times."
    ),
    ErrorKey.ADDMED_DUPLICATE_CLAUSE: "Please give “{detail}” only once.",
    ErrorKey.ADDMED_UNTIL_BEFORE_FROM: "The end date ({detail}) is before the start date.",
    ErrorKey.ADDMED_UNTIL_IN_PAST: "The end date ({detail}) has already passed.",
    ErrorKey.STOCKINGS_USAGE: "",
    ErrorKey.STOCKINGS_SAME_TIME: "Putting them on and taking them off can't both be at {detail}.",
    ErrorKey.BAD_TIME: (
        "“{detail}” isn't a valid time. Use HH:MM, like <code>08:00</code> or <code>20:30</code>."
    ),
}


def render_parse_error(error: ParseError) -> str:
    """Explain why /addmed or /stockings arguments were refused."""
    if error.message_key == ErrorKey.STOCKINGS_USAGE:
        return render_stockings_usage()
    template = _ERRORS.get(error.message_key, "")
    if not template:
        return render_addmed_usage()
    text = template.replace("{detail}", escape(error.detail))
    if error.example:
        # A corrected command built from the user's own words.
        text += f"\n<code>{escape(error.example)}</code>"
    return text


def render_times_needed(name: str, per_day: int) -> str:
    """Ask which times, when the user said how often ("twice a day") but not when."""
    how_often = {1: "once a day", 2: "twice a day", 3: "three times a day"}.get(per_day, "")
    return (
        f"<b>{escape(name)}</b> {how_often}: at which times? Pick a common choice or type your times, "
        "e.g. <code>08:00 20:00</code>."
    )


def render_too_many_plans(limit: int) -> str:
    """Refuse a plan over the per-user limit, with the way out."""
    return (
        f"You already have {limit} reminders, the most I keep for one person. Delete or finish one in "
        "/reminders first, then add this one again."
    )


def render_times_error(error: ParseError) -> str:
    """Explain that typed times could not be read (guided flows)."""
    detail = f" (“{escape(error.detail)}”)" if error.detail else ""
    return (
        f"I couldn't read those times{detail}. Send them like <code>08:00</code> or "
        "<code>08:00 20:00</code>, or /cancel."
    )


def render_plan_added(added: PlanAdded) -> str:
    """Confirm a new dose plan with its times in the user's zone."""
    plan = added.plan
    lines = [
        f"✅ Reminder added: <b>{_what(plan.kind, plan.name, plan.dose)}</b> at {times_text(plan.times)} "
        f"every day ({escape(display_zone(plan.timezone))} time){_days(plan)}."
    ]
    if added.not_today:
        lines.append(
            f"Not today at {times_text(added.not_today)}: this medicine was already reminded today, "
            "so there is no second prompt for a dose you may have taken. From tomorrow, all times."
        )
    if added.next_due is not None:
        local = added.next_due.astimezone(ZoneInfo(plan.timezone))
        lines.append(f"First reminder: {day_text(local.date(), plan.today)} at {local.strftime('%H:%M')}.")
    elif plan.never_fires:
        lines.append(
            "⚠️ This plan will never remind you: its last day ends before its next time. "
            "Delete it in /reminders and add it again with a later <code>until</code> date."
        )
    if added.other_anticoagulant is not None:
        lines.append(
            f"⚠️ You also have a reminder for <b>{escape(added.other_anticoagulant)}</b>, another blood "
            "thinner. Check with your doctor or pharmacist — people are rarely on two blood thinners."
        )
    lines.append("When a reminder comes, press ✅ Taken once you've taken it. See all with /reminders.")
    return "\n".join(lines)


def _days(plan: PlanInfo) -> str:
    parts = []
    if plan.first_day:
        parts.append(f" from {day_text(plan.first_day, plan.today)}")
    if plan.last_day:
        parts.append(f" until {day_text(plan.last_day, plan.today)}")
    return "".join(parts)


def render_plan_overlaps(overlap: PlanOverlaps) -> str:
    """Refuse a plan that would remind twice for one dose."""
    plan = overlap.existing
    return (
        f"You already have a reminder for <b>{escape(plan.name)}</b> at {times_text(plan.times)}"
        f"{_days(plan)} on some of those days, so I didn't add another — "
        "you should never be reminded twice for one dose.\n"
        "Change the existing one with /reminders. For a new phase that follows it, add "
        "<code>from YYYY-MM-DD</code>, e.g. <code>/addmed apixaban 5 mg 08:00 20:00 from 2026-12-04</code>."
    )


def render_timezone_required(kept: bool) -> str:
    """Ask for the time zone before adding reminders."""
    text = (
        "Reminders go by your local time, so first tell me your time zone: share your location with the "
        "button below, or send e.g. <code>/timezone Europe/London</code>."
    )
    if kept:
        text += "\nI've kept what you typed — I'll add the reminder as soon as your time zone is set."
    else:
        text += "\nThen send the command again."
    return text


def render_pending_added_intro(zone: str) -> str:
    """Introduce a reminder added after the time zone was set."""
    return f"Your time zone is now {escape(display_zone(zone))}, so I've added the reminder you asked for:"


def render_stockings_usage() -> str:
    """Explain /stockings."""
    return (
        "Compression stocking reminders: send the time to put them on, then the time to take them off, e.g.\n"
        "<code>/stockings 07:30 21:00</code>\nOr send just /stockings and I'll ask."
    )


def render_stockings_set(result: StockingsSet) -> str:
    """Confirm stocking reminders."""
    return (
        f"🧦 Stocking reminders set: put them on at {times_text(result.on.times)}, take them off at "
        f"{times_text(result.off.times)} ({escape(display_zone(result.on.timezone))} time). "
        "See all with /reminders."
    )


def render_pick_medicine() -> str:
    """Guided /addmed, step 1."""
    return "Which medicine should I remind you about? Pick one or type its name (or /cancel)."


def pick_medicine_keyboard() -> InlineKeyboardMarkup:
    """Common blood thinners, two per row, then Other."""
    buttons = [_button(name, PICK_MEDICINE, index) for index, name in enumerate(COMMON_MEDICINES)]
    rows = [buttons[i : i + 2] for i in range(0, len(buttons), 2)]
    rows.append([_button("Other (type the name)", PICK_MEDICINE, OTHER)])
    return InlineKeyboardMarkup(rows)


def render_type_medicine() -> str:
    """Ask for a typed medicine name."""
    return "Type the medicine's name, as on the box."


def render_bad_medicine() -> str:
    """Refuse an unreadable or too long name."""
    return (
        "Please type just the medicine's name (a few words, up to 64 characters), e.g. "
        "<code>apixaban</code>, or /cancel."
    )


def render_ask_dose(name: str) -> str:
    """Guided /addmed, step 2: the dose as on the label (optional; never suggested)."""
    return (
        f"What dose is on your label for <b>{escape(name)}</b>? Type it exactly as written, e.g. "
        "<code>5 mg</code> — I'll show it in your reminders. Or press Skip."
    )


def ask_dose_keyboard() -> InlineKeyboardMarkup:
    """Skip the dose."""
    return InlineKeyboardMarkup([[_button("Skip", SKIP_DOSE)]])


def render_bad_dose() -> str:
    """Refuse an unreadable or too long dose."""
    return (
        "Please type the dose as on the label, with its number (up to 32 characters), e.g. "
        "<code>5 mg</code>, or press Skip."
    )


def render_ask_times(name: str) -> str:
    """Guided /addmed, step 3."""
    return (
        f"When should I remind you to take <b>{escape(name)}</b>? Pick one, or type your times "
        "(e.g. <code>08:00 20:00</code>)."
    )


def ask_times_keyboard(per_day: int | None = None) -> InlineKeyboardMarkup:
    """Common times as buttons (the usual pairs for "twice a day"), or typed times."""
    if per_day in _PRESETS_PER_DAY:
        rows = [
            [_button(times_text(PRESET_TIMES[key]), PICK_TIMES, key)] for key in _PRESETS_PER_DAY[per_day]
        ]
    else:
        rows = [
            [_button(f"Once a day — {times_text(ONCE_DAILY)}", PICK_TIMES, 1)],
            [_button(f"Twice a day — {times_text(TWICE_DAILY)}", PICK_TIMES, 2)],
        ]
    rows.append([_button("Other times (type them)", PICK_TIMES, OTHER)])
    return InlineKeyboardMarkup(rows)


def render_type_times() -> str:
    """Ask for typed times."""
    return "Type your times, e.g. <code>08:00</code> or <code>07:00 19:00</code>."


def render_ask_end() -> str:
    """Guided /addmed, step 4."""
    return (
        "Does this plan end on a set date — for example a starting dose for 7 days? "
        "Press No end date, or type the last day as YYYY-MM-DD."
    )


def ask_end_keyboard() -> InlineKeyboardMarkup:
    """No end date, or type one."""
    return InlineKeyboardMarkup(
        [[_button("No end date", PICK_END, "none"), _button("Type an end date", PICK_END, "type")]]
    )


def render_type_end() -> str:
    """Ask for a typed end date."""
    return "Type the last day of this plan as YYYY-MM-DD, e.g. <code>2026-12-31</code>."


def render_ask_stockings_on() -> str:
    """Guided /stockings, step 1."""
    return "When do you put your compression stockings on? Pick a time or type one (or /cancel)."


def render_ask_stockings_off(on: time) -> str:
    """Guided /stockings, step 2."""
    return f"On at {hhmm(on)}. And when do you take them off? Pick a time or type one."


def stockings_keyboard(verb: str, choices: Sequence[time]) -> InlineKeyboardMarkup:
    """Time choices for one stockings step, then Other."""
    buttons = [_button(hhmm(t), verb, t.strftime("%H%M")) for t in choices]
    return InlineKeyboardMarkup([buttons, [_button("Other time (type it)", verb, OTHER)]])


def render_type_one_time() -> str:
    """Ask for one typed time."""
    return "Type the time, e.g. <code>07:30</code>."


def render_one_time_please() -> str:
    """Refuse several times where one is needed."""
    return "Please send one time only, e.g. <code>07:30</code>."


def render_use_buttons() -> str:
    """Remind the user a step expects a button (or /cancel)."""
    return "Please use the buttons above, or /cancel to stop."


# ---------------------------------------------------------------------- /reminders


def _plan_line(number: int, plan: PlanInfo) -> str:
    state = ""
    if plan.ended:
        state = " · ended"
    elif not plan.active:
        state = " · ⏸ paused"
    times = ", ".join(hhmm(t) for t in plan.times)
    return f"{number}. {_label(plan.kind, plan.name, plan.dose)} — {times}{_days(plan)}{state}"


def page_count(plans: Sequence[PlanInfo]) -> int:
    """Return how many /reminders pages the plans fill."""
    return max(1, -(-len(plans) // PLANS_PER_PAGE))


def _page_bounds(plans: Sequence[PlanInfo], page: int) -> tuple[int, int, int]:
    page = min(max(page, 0), page_count(plans) - 1)
    return page, page * PLANS_PER_PAGE, min(len(plans), (page + 1) * PLANS_PER_PAGE)


def render_plans(plans: Sequence[PlanInfo], page: int = 0) -> str:
    """List the user's reminders (one page of them)."""
    if not plans:
        return (
            "You have no reminders yet. Add one with /addmed "
            "(e.g. <code>/addmed apixaban 5 mg 08:00 20:00</code>) or /stockings "
            "(e.g. <code>/stockings 07:30 21:00</code>)."
        )
    zones = sorted({p.timezone for p in plans})
    page, first, end = _page_bounds(plans, page)
    pages = page_count(plans)
    title = f"<b>Your reminders</b> ({escape(', '.join(display_zone(z) for z in zones))} time)"
    if pages > 1:
        title += f" — page {page + 1} of {pages}, {len(plans)} reminders"
    lines = [title, ""]
    lines += [_plan_line(i, p) for i, p in enumerate(plans[first:end], start=first + 1)]
    lines += ["", "Buttons: ⏸ pause · ▶️ resume · 🕒 change times · 🗑 delete (the number is the reminder's)."]
    return "\n".join(lines)


def plans_keyboard(plans: Sequence[PlanInfo], page: int = 0) -> InlineKeyboardMarkup | None:
    """One row per plan on the page: pause or resume, change times, delete; then page buttons."""
    if not plans:
        return None
    page, first, end = _page_bounds(plans, page)
    rows = []
    for number, plan in enumerate(plans[first:end], start=first + 1):
        toggle = (
            _button(f"▶️ {number}", RESUME, plan.plan_id)
            if not plan.active
            else _button(f"⏸ {number}", PAUSE, plan.plan_id)
        )
        rows.append(
            [
                toggle,
                _button(f"🕒 {number}", CHANGE_TIMES, plan.plan_id),
                _button(f"🗑 {number}", DELETE, plan.plan_id),
            ]
        )
    nav = []
    if page > 0:
        nav.append(_button("◀️ Previous", PAGE, page - 1))
    if end < len(plans):
        nav.append(_button("Next ▶️", PAGE, page + 1))
    if nav:
        rows.append(nav)
    return InlineKeyboardMarkup(rows)


def render_confirm_delete(plan: PlanInfo) -> str:
    """Ask before deleting a plan."""
    return (
        f"Delete the reminder {_label(plan.kind, plan.name, plan.dose)} at {times_text(plan.times)}? "
        "Your history stays."
    )


def confirm_delete_keyboard(plan: PlanInfo) -> InlineKeyboardMarkup:
    """Yes / No for deleting a plan."""
    return InlineKeyboardMarkup(
        [[_button("🗑 Yes, delete", DELETE_YES, plan.plan_id), _button("Keep it", DELETE_NO, plan.plan_id)]]
    )


def answer_plan_paused() -> str:
    """Callback answer after pausing."""
    return "Paused. No reminders until you resume it."


def answer_plan_resumed() -> str:
    """Callback answer after resuming."""
    return "Resumed."


def answer_plan_deleted() -> str:
    """Callback answer after deleting."""
    return "Deleted."


def answer_plan_unknown() -> str:
    """Callback answer for a plan that is gone or not the user's."""
    return "That reminder no longer exists."


def render_ask_new_times(plan: PlanInfo) -> str:
    """Ask for a plan's new times."""
    example = "07:30" if plan.kind is not ReminderKind.DOSE else "08:00 20:00"
    return (
        f"Send the new time{'s' if plan.kind is ReminderKind.DOSE else ''} for "
        f"{_label(plan.kind, plan.name, plan.dose)} (now {times_text(plan.times)}), e.g. "
        f"<code>{example}</code> — or /cancel."
    )


def render_times_changed(change: TimesChanged) -> str:
    """Confirm new times, and from when they apply."""
    plan = change.plan
    head = f"🕒 New times for {_label(plan.kind, plan.name, plan.dose)}: {times_text(plan.times)}"
    if change.starts_today:
        return f"{head}, from today."
    return (
        f"{head}, from tomorrow ({day_text(change.from_day)}). Today's reminders keep the old times, "
        "so you're never reminded twice for one dose."
    )


# ---------------------------------------------------------------------- /history and /export


def render_history(history: History, follow_up_minutes: int) -> str:
    """Render the last days as a monospace table."""
    if history.empty:
        return (
            f"No dose reminders in the last {len(history.days)} days yet. Add one with /addmed, e.g. "
            "<code>/addmed apixaban 5 mg 08:00 20:00</code>."
        )
    rows = [f"{'Day':<10} {'Taken':>5} {'Late':>4} {'Missed':>6} {'Skipped':>7}"]
    for d in history.days:
        rows.append(f"{day_text(d.day):<10} {d.taken:>5} {d.late:>4} {d.missed:>6} {d.skipped:>7}")
    open_now = sum(d.open for d in history.days)
    lines = [
        f"<b>Your doses, last {len(history.days)} days</b> ({escape(display_zone(history.timezone))} time)",
        f"<pre>{escape(chr(10).join(rows))}</pre>",
        f"Late = taken more than {follow_up_minutes} minutes after the reminder, "
        "or after it was marked missed.",
    ]
    if open_now:
        lines.append(f"{open_now} reminder{'s' if open_now != 1 else ''} still waiting for your answer.")
    lines.append("Download your full log for your doctor with /export.")
    return "\n".join(lines)


def history_caption(history: History) -> str:
    """Caption of the history chart."""
    return f"Doses per day, last {len(history.days)} days ({escape(display_zone(history.timezone))} time)"


def render_history_chart(history: History) -> bytes:
    """Draw taken / late / missed / skipped per day as a stacked bar chart; return PNG bytes."""
    # Lazy import: matplotlib is slow to load and only needed here. Figure + Agg canvas avoids pyplot's
    # global state, so charts can be drawn from worker threads.
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    from matplotlib.ticker import MaxNLocator

    labels = [f"{d.day.day} {d.day.strftime('%b')}" for d in history.days]
    series = (
        ("Taken", [d.taken for d in history.days], "#2e7d32"),
        ("Late", [d.late for d in history.days], "#f9a825"),
        ("Missed", [d.missed for d in history.days], "#c62828"),
        ("Skipped", [d.skipped for d in history.days], "#757575"),
    )
    figure = Figure(figsize=(8, 4), dpi=100)
    FigureCanvasAgg(figure)
    axes = figure.add_subplot()
    bottom = [0] * len(labels)
    for name, values, colour in series:
        axes.bar(labels, values, bottom=bottom, label=name, color=colour)
        bottom = [b + v for b, v in zip(bottom, values, strict=True)]
    axes.set_ylabel("Doses")
    axes.set_title(history_caption(history))
    axes.yaxis.set_major_locator(MaxNLocator(integer=True))
    axes.tick_params(axis="x", labelrotation=45, labelsize=8)
    axes.legend(loc="upper left", fontsize=8)
    figure.tight_layout()
    out = io.BytesIO()
    figure.savefig(out, format="png")
    return out.getvalue()


def _cell(value: str) -> str:
    """Return a CSV cell that spreadsheet programs will not run as a formula."""
    return "'" + value if value[:1] in ("=", "+", "-", "@", "\t", "\r") else value


def _local(instant: datetime | None, zone: str) -> str:
    return "" if instant is None else instant.astimezone(ZoneInfo(zone)).strftime("%Y-%m-%d %H:%M")


def _log_what(entry: LogEntry) -> tuple[str, str]:
    info = entry.reminder
    if info.kind is ReminderKind.STOCKINGS_ON:
        return "compression stockings (put on)", ""
    if info.kind is ReminderKind.STOCKINGS_OFF:
        return "compression stockings (take off)", ""
    return info.name, info.dose or ""


def render_dose_log_csv(data: ExportData) -> bytes:
    """Render the dose log as CSV (UTF-8 with BOM so spreadsheet programs read the accents)."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(
        [
            "date",
            "scheduled_time",
            "time_zone",
            "medicine",
            "dose",
            "outcome",
            "answered_at",
            "reminder_sent_at",
            "reminder_was_late",
        ]
    )
    for entry in data.log:
        info = entry.reminder
        what, dose = _log_what(entry)
        writer.writerow(
            [
                info.local_date.isoformat(),
                hhmm(info.local_time),
                info.timezone,
                _cell(what),
                _cell(dose),
                entry.outcome.value,
                _local(entry.answered_at, info.timezone),
                _local(entry.sent_at, info.timezone),
                "yes" if entry.delivered_late else "no",
            ]
        )
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def render_my_data_csv(data: ExportData) -> bytes:
    """Render the profile and the reminder plans as CSV (one "record" per row)."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["record", "field", "value"])
    profile = data.profile
    if profile is not None:
        for name in (
            "user_id",
            "chat_id",
            "country",
            "timezone",
            "language",
            "on_blood_thinners",
            "active",
            "created_at",
            "updated_at",
        ):
            value = getattr(profile, name)
            writer.writerow(["profile", name, _cell("" if value is None else str(value))])
    for number, plan in enumerate(data.plans, start=1):
        record = f"reminder {number}"
        writer.writerow([record, "kind", plan.kind.value])
        writer.writerow([record, "medicine", _cell(plan.name)])
        writer.writerow([record, "dose", _cell(plan.dose or "")])
        writer.writerow([record, "times", " ".join(hhmm(t) for t in plan.times)])
        writer.writerow([record, "time_zone", plan.timezone])
        writer.writerow([record, "from", plan.first_day.isoformat() if plan.first_day else ""])
        writer.writerow([record, "until", plan.last_day.isoformat() if plan.last_day else ""])
        writer.writerow([record, "paused", "no" if plan.active else "yes"])
        writer.writerow([record, "deleted", "yes" if plan.deleted_at else "no"])
        writer.writerow([record, "created_at", plan.created_at.isoformat() if plan.created_at else ""])
        writer.writerow([record, "deleted_at", plan.deleted_at.isoformat() if plan.deleted_at else ""])
        if plan.never_fires:
            writer.writerow([record, "warning", "will never remind: the until date is before the next time"])
    if data.flow is not None:
        writer.writerow(["open guided step", "step", data.flow.flow])
        for key, value in sorted(data.flow.data.items()):
            writer.writerow(["open guided step", key, _cell(str(value))])
        writer.writerow(["open guided step", "updated_at", data.flow.updated_at.isoformat()])
    return ("\ufeff" + out.getvalue()).encode("utf-8")


DOSE_LOG_FILENAME: Final = "clotcare-dose-log.csv"
MY_DATA_FILENAME: Final = "clotcare-my-data.csv"


def render_export_caption() -> str:
    """Caption of the dose log document."""
    return "Your dose log — you can share it with your doctor or pharmacist."


def render_my_data_caption() -> str:
    """Caption of the settings-and-plans document."""
    return "Your settings and reminder plans: everything else ClotCare stores about you."


# ---------------------------------------------------------------------- /forget


def render_forget_confirm() -> str:
    """Ask before deleting everything."""
    return (
        "This deletes <b>everything</b> ClotCare stores about you — your settings, reminders and dose "
        "history — and stops all reminders. It can't be undone.\n"
        "Want a copy first? Use /export before you delete."
    )


def forget_keyboard() -> InlineKeyboardMarkup:
    """Delete everything / keep."""
    return InlineKeyboardMarkup(
        [[_button("🗑 Delete everything", FORGET_YES), _button("Keep my data", FORGET_NO)]]
    )


def render_forgotten() -> str:
    """Confirm the deletion."""
    return (
        "Done — everything ClotCare stored about you is deleted and your reminders are stopped. "
        "If you send /start again, I'll start fresh."
    )


def render_forget_cancelled() -> str:
    """Confirm nothing was deleted."""
    return "Nothing was deleted."


def render_timezone_moves(moves: Sequence[ZoneMove]) -> str:
    """Say where each dose reminder lands after a zone change, and when the gap is unusual."""
    lines: list[str] = []
    for move in moves:
        if move.next_due is None:
            continue
        local = move.next_due.astimezone(ZoneInfo(move.plan.timezone))
        line = (
            f"Next <b>{escape(move.plan.name)}</b> reminder: {day_text(local.date())} at "
            f"{local.strftime('%H:%M')} (new local time)."
        )
        gap = move.gap
        if gap is not None and abs(gap - move.usual_gap) >= timedelta(hours=2):
            hours = round(gap.total_seconds() / 3600)
            usual = round(move.usual_gap.total_seconds() / 3600)
            word = "later" if gap > move.usual_gap else "sooner"
            line += (
                f" That is {hours} hours after your last reminder instead of the usual {usual} — "
                f"{word} than usual because of the time change. Ask your pharmacist how to time the "
                "doses around the change; don't take two doses close together unless they say so."
            )
        lines.append(line)
    return "\n".join(lines)
