"""/addmed, /stockings, /reminders, /history, /export, /forget and the reminder buttons (rem:...).

Guided flows keep their step and what the user chose so far as one typed ``FlowState``
(bot.handlers.flowstate, kinds ``FlowKind.REM_*``); /cancel clears the step. Every button carries
only opaque ids; the services check that the pressing user owns what the id names.
"""

from __future__ import annotations

import asyncio
import functools
import logging
from collections.abc import Awaitable, Callable, Coroutine
from dataclasses import dataclass, replace
from datetime import date, time
from typing import Any, Final

from telegram import CallbackQuery, InlineKeyboardMarkup, Message, Update
from telegram.constants import ParseMode
from telegram.error import BadRequest, TelegramError
from telegram.ext import CallbackQueryHandler, CommandHandler, filters

from bot.domain.commands import (
    AddMedRequest,
    ErrorKey,
    ParseError,
    StockingsRequest,
    TimesNeeded,
    parse_addmed,
    parse_stockings,
    times_per_day,
)
from bot.domain.reminders import ReminderKind
from bot.handlers.common import SERVICES_KEY, ClotApplication, ClotContext, command_args
from bot.handlers.flowstate import FlowKind, FlowState, clear_flow_state, get_flow, register_steps, set_flow
from bot.services.container import Services
from bot.services.errors import StorageUnavailable
from bot.services.reminders import (
    AddOutcome,
    AnswerStatus,
    PlanAdded,
    PlanOverlaps,
    StockingsOutcome,
    TimezoneRequired,
    TooManyPlans,
    clean_free_text,
    local_today,
    looks_like_a_dose,
    looks_like_a_name,
    parse_times_text,
    parse_until_text,
)
from bot.views import common as common_views
from bot.views import reminders as views
from bot.views.callbacks import decode

log = logging.getLogger(__name__)

REMINDER_FLOWS: Final = (
    FlowKind.REM_NAME,
    FlowKind.REM_DOSE,
    FlowKind.REM_TIMES,
    FlowKind.REM_END,
    FlowKind.REM_STOCKINGS_ON,
    FlowKind.REM_STOCKINGS_OFF,
    FlowKind.REM_CHANGE_TIMES,
)
PENDING_KEY: Final = "rem_pending"
MAX_NAME_CHARS: Final = 64
MAX_DOSE_CHARS: Final = 32
_MAX_ID_DIGITS: Final = 12
_MAX_PAGES: Final = 100

Handler = Callable[[Update, ClotContext], Coroutine[Any, Any, None]]


# ---------------------------------------------------------------------- plumbing


def _storage_guard(handler: Handler) -> Handler:
    """Turn a database outage into a polite reply instead of an error."""

    @functools.wraps(handler)
    async def wrapper(update: Update, context: ClotContext) -> None:
        try:
            await handler(update, context)
        except StorageUnavailable:
            log.warning("reminders: storage unavailable update=%s", update.update_id)
            if update.callback_query is not None:
                await update.callback_query.answer(common_views.render_storage_unavailable())
            elif update.effective_message is not None:
                await update.effective_message.reply_text(
                    common_views.render_storage_unavailable(), parse_mode=ParseMode.HTML
                )

    return wrapper


def _user_data(context: ClotContext) -> dict[Any, Any]:
    return context.user_data if context.user_data is not None else {}


def _expecting(context: ClotContext, kind: FlowKind) -> FlowState | None:
    """Return the open step if it is ``kind`` (a button from another step is stale)."""
    state = get_flow(context)
    return state if state is not None and state.kind is kind else None


def _id(text: str) -> int | None:
    """Return a positive id from callback data, or None for anything else."""
    if not text.isascii() or not text.isdecimal() or len(text) > _MAX_ID_DIGITS:
        return None
    value = int(text)
    return value if value > 0 else None


async def _reply(message: Message, text: str, markup: InlineKeyboardMarkup | None = None) -> None:
    await message.reply_text(text, parse_mode=ParseMode.HTML, reply_markup=markup)


async def _edit(query: CallbackQuery, text: str, markup: InlineKeyboardMarkup | None = None) -> None:
    """Edit the pressed message; an old or unchanged message is not worth an error."""
    try:
        await query.edit_message_text(text, parse_mode=ParseMode.HTML, reply_markup=markup)
    except BadRequest as exc:
        log.info("reminders: could not edit message: %s", type(exc).__name__)


async def _ask_timezone(message: Message, kept: bool) -> None:
    await message.reply_text(
        views.render_timezone_required(kept),
        parse_mode=ParseMode.HTML,
        reply_markup=common_views.location_keyboard(),
    )


# ---------------------------------------------------------------------- /addmed


async def _reply_added(message: Message, outcome: AddOutcome, context: ClotContext, args: list[str]) -> None:
    """Reply to an /addmed outcome; keep the request when the time zone is missing."""
    if isinstance(outcome, TimezoneRequired):
        if args:
            _user_data(context)[PENDING_KEY] = {"command": "addmed", "args": args, "chat_id": message.chat_id}
        await _ask_timezone(message, kept=bool(args))
    elif isinstance(outcome, PlanOverlaps):
        await _reply(message, views.render_plan_overlaps(outcome))
    elif isinstance(outcome, TooManyPlans):
        await _reply(message, views.render_too_many_plans(outcome.limit))
    else:
        await _reply(message, views.render_plan_added(outcome))


async def _ask_which_times(message: Message, context: ClotContext, needed: TimesNeeded) -> None:
    """ "Twice a day" says how often, not when: continue the guided set-up at the times step."""
    set_flow(context, FlowState(FlowKind.REM_TIMES, name=needed.name, dose=needed.dose))
    await _reply(
        message,
        views.render_times_needed(needed.name, needed.per_day),
        views.ask_times_keyboard(needed.per_day),
    )


async def _today_in_users_zone(user_id: int, context: ClotContext) -> tuple[str | None, date]:
    zone = await context.services.reminders.timezone_of(user_id)
    now = context.services.clock.now()
    return zone, local_today(zone or "UTC", now)


@_storage_guard
async def addmed(update: Update, context: ClotContext) -> None:
    """Add a dose reminder from arguments, or start the guided set-up."""
    message, user = update.effective_message, update.effective_user
    if message is None or user is None:
        return
    args = command_args(context)
    zone, today = await _today_in_users_zone(user.id, context)
    if not args:
        if zone is None:
            await _ask_timezone(message, kept=False)
            return
        set_flow(context, FlowState(FlowKind.REM_NAME))
        await _reply(message, views.render_pick_medicine(), views.pick_medicine_keyboard())
        return
    parsed = parse_addmed(args, today=today)
    if isinstance(parsed, ParseError):
        await _reply(message, views.render_parse_error(parsed))
        return
    if isinstance(parsed, TimesNeeded):
        if zone is None:
            await _ask_timezone(message, kept=False)
            return
        await _ask_which_times(message, context, parsed)
        return
    outcome = await context.services.reminders.add_medication(user.id, parsed)
    await _reply_added(message, outcome, context, args)


async def _finish_addmed(
    message: Message, user_id: int, context: ClotContext, state: FlowState, last_day: date | None
) -> None:
    request = AddMedRequest(name=state.name or "", dose=state.dose, times=state.times, last_day=last_day)
    clear_flow_state(context)
    outcome = await context.services.reminders.add_medication(user_id, request)
    await _reply_added(message, outcome, context, [])


async def _got_name(message: Message, context: ClotContext, state: FlowState, name: str) -> None:
    set_flow(context, replace(state, kind=FlowKind.REM_DOSE, name=name))
    await _reply(message, views.render_ask_dose(name), views.ask_dose_keyboard())


async def _got_dose(message: Message, context: ClotContext, state: FlowState, dose: str | None) -> None:
    set_flow(context, replace(state, kind=FlowKind.REM_TIMES, dose=dose))
    await _reply(message, views.render_ask_times(state.name or ""), views.ask_times_keyboard())


async def _got_times(
    message: Message, context: ClotContext, state: FlowState, times: tuple[time, ...]
) -> None:
    set_flow(context, replace(state, kind=FlowKind.REM_END, times=times))
    await _reply(message, views.render_ask_end(), views.ask_end_keyboard())


# ---------------------------------------------------------------------- /stockings


async def _reply_stockings(
    message: Message, outcome: StockingsOutcome, context: ClotContext, args: list[str]
) -> None:
    if isinstance(outcome, TimezoneRequired):
        if args:
            _user_data(context)[PENDING_KEY] = {
                "command": "stockings",
                "args": args,
                "chat_id": message.chat_id,
            }
        await _ask_timezone(message, kept=bool(args))
        return
    await _reply(message, views.render_stockings_set(outcome))


@_storage_guard
async def stockings(update: Update, context: ClotContext) -> None:
    """Set stocking reminders from arguments, or start the guided set-up."""
    message, user = update.effective_message, update.effective_user
    if message is None or user is None:
        return
    args = command_args(context)
    if not args:
        zone = await context.services.reminders.timezone_of(user.id)
        if zone is None:
            await _ask_timezone(message, kept=False)
            return
        await _ask_stockings_on(message, context)
        return
    parsed = parse_stockings(args)
    if isinstance(parsed, ParseError):
        await _reply(message, views.render_parse_error(parsed))
        return
    outcome = await context.services.reminders.set_stockings(user.id, parsed)
    await _reply_stockings(message, outcome, context, args)


async def _ask_stockings_on(message: Message, context: ClotContext) -> None:
    set_flow(context, FlowState(FlowKind.REM_STOCKINGS_ON))
    await _reply(
        message,
        views.render_ask_stockings_on(),
        views.stockings_keyboard(views.STOCKINGS_ON, views.STOCKINGS_ON_CHOICES),
    )


async def _got_stockings_time(
    message: Message, user_id: int, context: ClotContext, state: FlowState, at: time
) -> None:
    if state.kind is FlowKind.REM_STOCKINGS_ON:
        set_flow(context, replace(state, kind=FlowKind.REM_STOCKINGS_OFF, on=at))
        await _reply(
            message,
            views.render_ask_stockings_off(at),
            views.stockings_keyboard(views.STOCKINGS_OFF, views.STOCKINGS_OFF_CHOICES),
        )
        return
    on = state.on
    if on is None:  # the "on" answer is missing (FlowState.from_record never lets this through)
        await _ask_stockings_on(message, context)
        return
    if on == at:
        set_flow(context, state)
        await _reply(
            message,
            views.render_parse_error(ParseError(ErrorKey.STOCKINGS_SAME_TIME, at.isoformat("minutes"))),
        )
        return
    clear_flow_state(context)
    outcome = await context.services.reminders.set_stockings(user_id, StockingsRequest(on=on, off=at))
    await _reply_stockings(message, outcome, context, [])


# ---------------------------------------------------------------------- typed answers in flows


async def handle_flow_text(
    message: Message, user_id: int, state: FlowState, text: str, context: ClotContext
) -> None:
    """Take typed text for a reminder step (the flow registry has already taken the step off)."""
    try:
        await _flow_text(message, user_id, state, text, context)
    except StorageUnavailable:
        log.warning("reminders flow: storage unavailable user=%s", user_id)
        set_flow(context, state)
        await _reply(message, common_views.render_storage_unavailable())


async def _flow_text(
    message: Message, user_id: int, state: FlowState, text: str, context: ClotContext
) -> None:
    kind = state.kind
    if kind is FlowKind.REM_NAME:
        await _typed_name(message, user_id, state, text, context)
    elif kind is FlowKind.REM_DOSE:
        dose = clean_free_text(text, MAX_DOSE_CHARS)
        if dose is None or not looks_like_a_dose(dose):
            set_flow(context, state)
            await _reply(message, views.render_bad_dose(), views.ask_dose_keyboard())
            return
        await _got_dose(message, context, state, dose)
    elif kind in (FlowKind.REM_TIMES, FlowKind.REM_CHANGE_TIMES):
        times = parse_times_text(text)
        per_day = times_per_day(text) if kind is FlowKind.REM_TIMES else None
        if isinstance(times, ParseError) and per_day is not None and state.name is not None:
            # "twice a day" says how often, not when: ask which times, with the common pairs.
            await _ask_which_times(
                message, context, TimesNeeded(name=state.name, dose=state.dose, per_day=per_day)
            )
            return
        if isinstance(times, ParseError):
            set_flow(context, state)
            # "twice a day" and the like: offer the common times again as buttons.
            markup = views.ask_times_keyboard() if kind is FlowKind.REM_TIMES else None
            await _reply(message, views.render_times_error(times), markup)
            return
        if kind is FlowKind.REM_TIMES:
            await _got_times(message, context, state, times)
        else:
            await _change_times(message, user_id, context, state, times)
    elif kind is FlowKind.REM_END:
        _zone, today = await _today_in_users_zone(user_id, context)
        last_day = parse_until_text(text, today)
        if isinstance(last_day, ParseError):
            set_flow(context, state)
            await _reply(message, views.render_parse_error(last_day))
            return
        await _finish_addmed(message, user_id, context, state, last_day)
    elif kind in (FlowKind.REM_STOCKINGS_ON, FlowKind.REM_STOCKINGS_OFF):
        times = parse_times_text(text)
        if isinstance(times, ParseError) or len(times) != 1:
            set_flow(context, state)
            error = (
                views.render_times_error(times)
                if isinstance(times, ParseError)
                else views.render_one_time_please()
            )
            await _reply(message, error)
            return
        await _got_stockings_time(message, user_id, context, state, times[0])


async def _typed_name(
    message: Message, user_id: int, state: FlowState, text: str, context: ClotContext
) -> None:
    """Take a typed medicine name; a complete "/addmed"-style line is added straight away."""
    _zone, today = await _today_in_users_zone(user_id, context)
    parsed = parse_addmed(text.split(), today=today)
    if isinstance(parsed, TimesNeeded):
        await _ask_which_times(message, context, parsed)
        return
    if isinstance(parsed, AddMedRequest):
        outcome = await context.services.reminders.add_medication(user_id, parsed)
        await _reply_added(message, outcome, context, text.split())
        return
    name = clean_free_text(text, MAX_NAME_CHARS)
    if name is None or not looks_like_a_name(name):
        # A question or a sentence is not a medicine name: nothing is stored that was not asked for.
        set_flow(context, state)
        await _reply(message, views.render_bad_medicine())
        return
    await _got_name(message, context, state, name)


async def _change_times(
    message: Message, user_id: int, context: ClotContext, state: FlowState, times: tuple[time, ...]
) -> None:
    plan_id = state.plan_id
    plan = await context.services.reminders.get_plan(user_id, plan_id) if plan_id is not None else None
    if plan is None:
        await _reply(message, views.answer_plan_unknown())
        return
    if plan.kind is not ReminderKind.DOSE and len(times) != 1:
        set_flow(context, state)
        await _reply(message, views.render_one_time_please())
        return
    change = await context.services.reminders.change_times(user_id, plan.plan_id, times)
    if change is None:
        await _reply(message, views.answer_plan_unknown())
        return
    if isinstance(change, PlanOverlaps):
        # The same rule as a new plan: one dose, one reminder.
        set_flow(context, FlowState(FlowKind.REM_CHANGE_TIMES, plan_id=plan.plan_id))
        await _reply(message, views.render_plan_overlaps(change))
        return
    await _reply(message, views.render_times_changed(change))


# ---------------------------------------------------------------- /reminders, /history, /export, /forget


@_storage_guard
async def reminders_command(update: Update, context: ClotContext) -> None:
    """List the user's reminders with pause / resume / change times / delete buttons."""
    message, user = update.effective_message, update.effective_user
    if message is None or user is None:
        return
    plans = await context.services.reminders.list_plans(user.id)
    await _reply(message, views.render_plans(plans), views.plans_keyboard(plans))


@_storage_guard
async def history_command(update: Update, context: ClotContext) -> None:
    """Show the last 14 days as a table and a chart."""
    message, user = update.effective_message, update.effective_user
    if message is None or user is None:
        return
    service = context.services.reminders
    history = await service.history(user.id)
    follow_up = int(service.policy.follow_up_after.total_seconds() // 60)
    await _reply(message, views.render_history(history, follow_up))
    if history.empty:
        return
    # Drawing takes a noticeable moment; keep the event loop free for other users meanwhile.
    chart = await asyncio.to_thread(views.render_history_chart, history)
    await message.reply_photo(chart, caption=views.history_caption(history), parse_mode=ParseMode.HTML)


@_storage_guard
async def export_command(update: Update, context: ClotContext) -> None:
    """Send the dose log as CSV, and the settings and plans as a second CSV."""
    message, user = update.effective_message, update.effective_user
    if message is None or user is None:
        return
    data = await context.services.reminders.export(user.id)
    # Thousands of rows: render off the event loop, so other chats are answered meanwhile.
    dose_log = await asyncio.to_thread(views.render_dose_log_csv, data)
    await message.reply_document(
        dose_log,
        filename=views.DOSE_LOG_FILENAME,
        caption=views.render_export_caption(),
        parse_mode=ParseMode.HTML,
    )
    await message.reply_document(
        views.render_my_data_csv(data),
        filename=views.MY_DATA_FILENAME,
        caption=views.render_my_data_caption(),
        parse_mode=ParseMode.HTML,
    )


async def forget_command(update: Update, context: ClotContext) -> None:
    """Ask for confirmation before deleting everything about the user."""
    message = update.effective_message
    if message is None:
        return
    await _reply(message, views.render_forget_confirm(), views.forget_keyboard())


# ---------------------------------------------------------------------- buttons


@_storage_guard
async def button(update: Update, context: ClotContext) -> None:
    """Handle every rem:... button: reminder answers, plan actions, guided steps and /forget."""
    query, user = update.callback_query, update.effective_user
    if query is None or user is None:
        return
    data = decode(query.data)
    message = query.message if isinstance(query.message, Message) else None
    if data is None or message is None or not data.args:
        await query.answer(views.answer_stale())
        return
    verb, rest = data.args[0], list(data.args[1:])
    handler = _BUTTONS.get(verb)
    if handler is None:
        await query.answer(views.answer_stale())
        return
    await handler(_Press(query, message, user.id, verb, rest), context)


@dataclass(frozen=True, slots=True)
class _Press:
    """A decoded rem:... button press: who pressed what on which message."""

    query: CallbackQuery
    message: Message
    user_id: int
    verb: str
    rest: list[str]


ButtonHandler = Callable[[_Press, ClotContext], Awaitable[None]]


async def _answer_button(press: _Press, context: ClotContext) -> None:
    """Taken / Skip / Snooze on a reminder."""
    query, user_id, verb, rest = press.query, press.user_id, press.verb, press.rest
    occurrence_id = _id(rest[0]) if rest else None
    if occurrence_id is None or (verb == views.SNOOZE and (len(rest) != 2 or _id(rest[1]) is None)):
        await query.answer(views.answer_stale())
        return
    service = context.services.reminders
    if verb == views.TAKEN:
        result = await service.record_taken(user_id, occurrence_id)
    elif verb == views.SKIP:
        result = await service.record_skip(user_id, occurrence_id)
    else:
        result = await service.snooze(user_id, occurrence_id, int(rest[1]))
    if result.status is not AnswerStatus.RECORDED:
        await query.answer(
            views.answer_refused(result), show_alert=result.status is AnswerStatus.ALREADY_TAKEN
        )
        return
    await query.answer(views.answer_recorded())
    if verb == views.TAKEN:
        await _edit(query, views.render_taken(result))
    elif verb == views.SKIP:
        await _edit(query, views.render_skipped(result))
    else:
        await _edit(query, views.render_snoozed(result), views.snoozed_keyboard(result))


async def _refresh_plans(
    query: CallbackQuery, user_id: int, context: ClotContext, plan_id: int | None = None
) -> None:
    """Show the list again, on the page of the plan just acted on."""
    plans = await context.services.reminders.list_plans(user_id)
    index = next((i for i, p in enumerate(plans) if p.plan_id == plan_id), 0)
    page = index // views.PLANS_PER_PAGE
    await _edit(query, views.render_plans(plans, page), views.plans_keyboard(plans, page))


async def _page_button(press: _Press, context: ClotContext) -> None:
    """Show another page of /reminders."""
    page = int(press.rest[0]) if len(press.rest) == 1 and press.rest[0].isdecimal() else None
    if page is None or page > _MAX_PAGES:
        await press.query.answer(views.answer_stale())
        return
    await press.query.answer()
    plans = await context.services.reminders.list_plans(press.user_id)
    await _edit(press.query, views.render_plans(plans, page), views.plans_keyboard(plans, page))


async def _plan_button(press: _Press, context: ClotContext) -> None:
    """Pause, resume or delete (confirmed) a plan, then show the list again."""
    query, user_id, verb, rest = press.query, press.user_id, press.verb, press.rest
    plan_id = _id(rest[0]) if len(rest) == 1 else None
    if plan_id is None:
        await query.answer(views.answer_stale())
        return
    service = context.services.reminders
    actions = {
        views.PAUSE: (service.pause, views.answer_plan_paused),
        views.RESUME: (service.resume, views.answer_plan_resumed),
        views.DELETE_YES: (service.delete, views.answer_plan_deleted),
    }
    action, answer = actions[verb]
    if await action(user_id, plan_id) is None:
        await query.answer(views.answer_plan_unknown())
        return
    await query.answer(answer())
    await _refresh_plans(query, user_id, context, plan_id)


async def _plan_question_button(press: _Press, context: ClotContext) -> None:
    """Ask before deleting, take back a delete, or ask for new times."""
    query, message, user_id, verb, rest = press.query, press.message, press.user_id, press.verb, press.rest
    plan_id = _id(rest[0]) if len(rest) == 1 else None
    plan = await context.services.reminders.get_plan(user_id, plan_id) if plan_id is not None else None
    if plan is None:
        await query.answer(views.answer_plan_unknown() if plan_id is not None else views.answer_stale())
        return
    await query.answer()
    if verb == views.DELETE:
        await _edit(query, views.render_confirm_delete(plan), views.confirm_delete_keyboard(plan))
    elif verb == views.DELETE_NO:
        await _refresh_plans(query, user_id, context, plan.plan_id)
    else:
        set_flow(context, FlowState(FlowKind.REM_CHANGE_TIMES, plan_id=plan.plan_id))
        await _reply(message, views.render_ask_new_times(plan))


async def _addmed_button(press: _Press, context: ClotContext) -> None:
    """Steps of the guided /addmed."""
    query, message, user_id, verb, rest = press.query, press.message, press.user_id, press.verb, press.rest
    value = rest[0] if len(rest) == 1 else None
    state = get_flow(context)
    kind = state.kind if state is not None else None
    if verb == views.PICK_MEDICINE and state is not None and kind is FlowKind.REM_NAME and value is not None:
        if value == views.OTHER:
            await query.answer()
            await _reply(message, views.render_type_medicine())
            return
        index = _id(value) if value != "0" else 0
        if index is None or index >= len(views.COMMON_MEDICINES):
            await query.answer(views.answer_stale())
            return
        await query.answer()
        await _got_name(message, context, state, views.COMMON_MEDICINES[index])
    elif verb == views.SKIP_DOSE and state is not None and kind is FlowKind.REM_DOSE and not rest:
        await query.answer()
        await _got_dose(message, context, state, None)
    elif (
        verb == views.PICK_TIMES
        and state is not None
        and kind is FlowKind.REM_TIMES
        and (value in views.PRESET_TIMES or value == views.OTHER)
    ):
        await query.answer()
        if value == views.OTHER:
            await _reply(message, views.render_type_times())
            return
        await _got_times(message, context, state, views.PRESET_TIMES[str(value)])
    elif (
        verb == views.PICK_END
        and state is not None
        and kind is FlowKind.REM_END
        and value in ("none", "type")
    ):
        await query.answer()
        if value == "type":
            await _reply(message, views.render_type_end())
            return
        await _finish_addmed(message, user_id, context, state, None)
    else:
        await query.answer(views.answer_stale())


async def _stockings_button(press: _Press, context: ClotContext) -> None:
    """Steps of the guided /stockings."""
    query, message, user_id, verb, rest = press.query, press.message, press.user_id, press.verb, press.rest
    kind = FlowKind.REM_STOCKINGS_ON if verb == views.STOCKINGS_ON else FlowKind.REM_STOCKINGS_OFF
    value = rest[0] if len(rest) == 1 else None
    state = _expecting(context, kind)
    if value is None or state is None:
        await query.answer(views.answer_stale())
        return
    await query.answer()
    if value == views.OTHER:
        await _reply(message, views.render_type_one_time())
        return
    at = _hhmm(value)
    if at is None:
        return
    await _got_stockings_time(message, user_id, context, state, at)


def _hhmm(value: str) -> time | None:
    if len(value) != 4 or not value.isascii() or not value.isdecimal():
        return None
    hour, minute = int(value[:2]), int(value[2:])
    return time(hour, minute) if hour < 24 and minute < 60 else None


async def _forget_button(press: _Press, context: ClotContext) -> None:
    """Confirm or cancel /forget."""
    query, user_id, verb, rest = press.query, press.user_id, press.verb, press.rest
    if rest:
        await query.answer(views.answer_stale())
        return
    await query.answer()
    if verb == views.FORGET_NO:
        await _edit(query, views.render_forget_cancelled())
        return
    await context.services.reminders.forget(user_id)
    # What PTB holds in memory about the user goes too: flows, drafts, a kept /addmed.
    _user_data(context).clear()
    await _edit(query, views.render_forgotten())


_BUTTONS: Final[dict[str, ButtonHandler]] = {
    views.TAKEN: _answer_button,
    views.SKIP: _answer_button,
    views.SNOOZE: _answer_button,
    views.PAUSE: _plan_button,
    views.RESUME: _plan_button,
    views.DELETE: _plan_question_button,
    views.DELETE_YES: _plan_button,
    views.DELETE_NO: _plan_question_button,
    views.CHANGE_TIMES: _plan_question_button,
    views.PICK_MEDICINE: _addmed_button,
    views.SKIP_DOSE: _addmed_button,
    views.PICK_TIMES: _addmed_button,
    views.PICK_END: _addmed_button,
    views.STOCKINGS_ON: _stockings_button,
    views.STOCKINGS_OFF: _stockings_button,
    views.FORGET_YES: _forget_button,
    views.FORGET_NO: _forget_button,
    views.PAGE: _page_button,
}


# ---------------------------------------------------------------------- a kept request, once the zone is set


def pending_listener(app: ClotApplication) -> Callable[[int, str | None, str], Awaitable[None]]:
    """Return a time-zone listener that adds the /addmed or /stockings kept while the zone was missing."""

    async def listener(user_id: int, old_zone: str | None, new_zone: str) -> None:
        data = app.user_data.get(user_id)
        pending = data.pop(PENDING_KEY, None) if data is not None else None
        if not isinstance(pending, dict):
            return
        services: Services = app.bot_data[SERVICES_KEY]
        args = [str(a) for a in pending.get("args", [])]
        chat_id = int(pending.get("chat_id", user_id))
        try:
            text = await _add_pending(services, user_id, str(pending.get("command")), args, new_zone)
            if text is not None:
                await app.bot.send_message(
                    chat_id,
                    f"{views.render_pending_added_intro(new_zone)}\n\n{text}",
                    parse_mode=ParseMode.HTML,
                )
        except (StorageUnavailable, TelegramError) as exc:
            log.warning("kept reminder request not added: user=%s error=%s", user_id, type(exc).__name__)

    return listener


async def _add_pending(  # noqa: PLR0911 - one reply per outcome
    services: Services, user_id: int, command: str, args: list[str], zone: str
) -> str | None:
    today = local_today(zone, services.clock.now())
    if command == "stockings":
        stockings_request = parse_stockings(args)
        if isinstance(stockings_request, ParseError):
            return None
        outcome = await services.reminders.set_stockings(user_id, stockings_request)
        return None if isinstance(outcome, TimezoneRequired) else views.render_stockings_set(outcome)
    request = parse_addmed(args, today=today)
    if isinstance(request, ParseError):
        return views.render_parse_error(request)
    if isinstance(request, TimesNeeded):
        return views.render_times_needed(request.name, request.per_day)
    added = await services.reminders.add_medication(user_id, request)
    if isinstance(added, PlanAdded):
        return views.render_plan_added(added)
    if isinstance(added, PlanOverlaps):
        return views.render_plan_overlaps(added)
    if isinstance(added, TooManyPlans):
        return views.render_too_many_plans(added.limit)
    return None


def register(app: ClotApplication) -> set[str]:
    """Register the reminder commands and buttons; return the command names."""
    private = filters.ChatType.PRIVATE
    app.add_handler(CommandHandler("addmed", addmed, filters=private))
    app.add_handler(CommandHandler("stockings", stockings, filters=private))
    app.add_handler(CommandHandler("reminders", reminders_command, filters=private))
    app.add_handler(CommandHandler("history", history_command, filters=private))
    app.add_handler(CommandHandler("export", export_command, filters=private))
    app.add_handler(CommandHandler("forget", forget_command, filters=private))
    app.add_handler(CallbackQueryHandler(button, pattern=rf"^{views.CALLBACK_PREFIX}:"))
    register_steps(app, REMINDER_FLOWS, handle_flow_text)
    services: Services = app.bot_data[SERVICES_KEY]
    services.users.on_timezone_changed(pending_listener(app))
    return {"addmed", "stockings", "reminders", "history", "export", "forget"}
