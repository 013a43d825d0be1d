"""/emergency (/sos), /signs and the guided /check. None of these may depend on the database."""

from __future__ import annotations

import logging
import secrets
from typing import Any

from telegram import Message, Update
from telegram.constants import ParseMode
from telegram.error import BadRequest
from telegram.ext import CallbackQueryHandler, CommandHandler

from bot.domain.emergency import EmergencyInfo
from bot.domain.triage import (
    BLOOD_THINNER_QUESTION_ID,
    CheckOutcome,
    TriageResult,
    check_question,
    next_step,
    severity_for,
)
from bot.handlers.common import ClotApplication, ClotContext
from bot.handlers.flowstate import CHECK_KEY, FlowKind, FlowState, clear_flow_state, is_open, set_flow
from bot.handlers.start import private_chat_id
from bot.services.errors import StorageUnavailable
from bot.views import safety as views
from bot.views.callbacks import decode

log = logging.getLogger(__name__)


async def _emergency_info(user_id: int, context: ClotContext) -> tuple[EmergencyInfo | None, bool | None]:
    """Return the user's emergency info and blood-thinner status; never raises (cache or default)."""
    profile = await context.services.users.safety_profile(user_id)
    return context.services.emergency.lookup(profile.country), profile.on_blood_thinners


async def emergency(update: Update, context: ClotContext) -> None:
    """Send the emergency message at once: the user's number, what to say, PE signs, don't drive."""
    message, user = update.effective_message, update.effective_user
    if message is None or user is None:
        return
    info, _ = await _emergency_info(user.id, context)
    await message.reply_text(
        views.render_emergency(info),
        parse_mode=ParseMode.HTML,
        reply_markup=views.set_country_keyboard() if info is None else None,
    )


async def signs(update: Update, context: ClotContext) -> None:
    """Send the warning-sign checklist with the user's number."""
    message, user = update.effective_message, update.effective_user
    if message is None or user is None:
        return
    info, _ = await _emergency_info(user.id, context)
    await message.reply_text(
        views.render_signs(info),
        parse_mode=ParseMode.HTML,
        reply_markup=views.set_country_keyboard() if info is None else None,
    )


def _state(context: ClotContext) -> dict[str, Any] | None:
    if context.user_data is None:
        return None
    state = context.user_data.get(CHECK_KEY)
    return state if isinstance(state, dict) and is_open(context, FlowKind.CHECK) else None


async def check(update: Update, context: ClotContext) -> None:
    """Start the guided symptom check: one Yes/No question per message, emergencies first."""
    message, user = update.effective_message, update.effective_user
    if message is None or user is None or context.user_data is None:
        return
    _, thinners = await _emergency_info(user.id, context)
    session = secrets.token_hex(3)
    set_flow(context, FlowState(FlowKind.CHECK))
    context.user_data[CHECK_KEY] = {"session": session, "answers": {}, "thinners": thinners}
    await message.reply_text(views.render_check_intro(), parse_mode=ParseMode.HTML)
    await _ask_next(message, user.id, context)


async def _ask_next(message: Message, user_id: int, context: ClotContext) -> None:
    state = _state(context)
    if state is None:
        return
    step = next_step(state["answers"], state["thinners"])
    if isinstance(step, CheckOutcome):
        await _finish(message, user_id, step, context)
        return
    await message.reply_text(
        views.render_check_question(step),
        parse_mode=ParseMode.HTML,
        reply_markup=views.check_keyboard(step.id, state["session"]),
    )


async def _finish(message: Message, user_id: int, outcome: CheckOutcome, context: ClotContext) -> None:
    state = _state(context)
    clear_flow_state(context)
    # Only a finished check stores the blood-thinner answer: a cancelled or abandoned one saves nothing.
    answered = state["answers"].get(BLOOD_THINNER_QUESTION_ID) if state is not None else None
    if isinstance(answered, bool):
        try:
            await context.services.users.set_on_blood_thinners(
                user_id, private_chat_id(message, user_id), answered
            )
        except StorageUnavailable:
            log.warning("check: could not store blood-thinner status user=%s", user_id)
    info, _ = await _emergency_info(user_id, context)
    # Only the outcome level is logged: never which signs the user reported.
    log.info("check finished: user=%s level=%s", user_id, outcome.severity.name)
    await message.reply_text(
        views.render_check_result(outcome, info),
        parse_mode=ParseMode.HTML,
        reply_markup=views.set_country_keyboard() if info is None else None,
    )


async def check_answer(update: Update, context: ClotContext) -> None:
    """Record a Yes/No from the check (chk:<session>:<question>:<y|n>); stale buttons are harmless."""
    query, user = update.callback_query, update.effective_user
    if query is None or user is None:
        return
    message = query.message if isinstance(query.message, Message) else None
    parts = (query.data or "").split(":")
    state = _state(context)
    valid = (
        len(parts) == 4
        and parts[3] in ("y", "n")
        and check_question(parts[2]) is not None
        and state is not None
        and parts[1] == state["session"]
        and parts[2] not in state["answers"]
        and message is not None
    )
    if not valid or state is None or message is None:
        await query.answer()
        if message is not None:
            await message.reply_text(views.render_check_stale(), parse_mode=ParseMode.HTML)
        return
    question_id, yes = parts[2], parts[3] == "y"
    state["answers"][question_id] = yes
    await query.answer()
    question = check_question(question_id)
    assert question is not None
    try:
        await message.edit_text(views.render_check_answered(question, yes), parse_mode=ParseMode.HTML)
    except BadRequest:
        log.debug("check: question message could not be edited")
    if question_id == BLOOD_THINNER_QUESTION_ID:
        # Used for the rest of this check only; stored when the check finishes.
        state["thinners"] = yes
    await _ask_next(message, user.id, context)


async def ask_if_happening_now(message: Message, info: EmergencyInfo | None) -> None:
    """Ask "Is this happening to you now?" with the warning signs as buttons (SAFETY.md rule 11).

    The question quotes the user's message, so "No, just asking" can answer it later without the bot
    keeping the text anywhere.
    """
    await message.reply_text(
        views.render_safety_net(info),
        parse_mode=ParseMode.HTML,
        reply_markup=views.safety_net_keyboard(),
        do_quote=True,
    )


async def safety_net_answer(update: Update, context: ClotContext) -> None:
    """Handle a tap on the safety net (sn:<sign> or sn:no): guidance for the sign, or the answer."""
    query, user = update.callback_query, update.effective_user
    if query is None or user is None:
        return
    await query.answer()
    message = query.message if isinstance(query.message, Message) else None
    decoded = decode(query.data)
    if message is None or decoded is None or len(decoded.args) != 1:
        return
    choice = decoded.args[0]
    if choice == views.SAFETY_NET_JUST_ASKING:
        from bot.handlers.qa import reply_with_answer

        original = message.reply_to_message
        if original is None or not original.text:
            await message.reply_text(views.render_safety_net_ask_again(), parse_mode=ParseMode.HTML)
            return
        log.info("safety net: user=%s just asking", user.id)
        await reply_with_answer(message, original.text, context)
        return
    if choice not in views.SAFETY_NET_SIGN_IDS:
        await message.reply_text(views.render_check_stale(), parse_mode=ParseMode.HTML)
        return
    info, thinners = await _emergency_info(user.id, context)
    signs = frozenset({choice})
    result = TriageResult(severity_for(signs, on_blood_thinners=thinners), signs)
    # Only the level is logged, never which sign was tapped.
    log.info("safety net: user=%s level=%s", user.id, result.severity.name)
    await message.reply_text(
        views.render_red_flag_reply(result, info),
        parse_mode=ParseMode.HTML,
        reply_markup=views.set_country_keyboard() if info is None else None,
    )


def register(app: ClotApplication) -> set[str]:
    """Register the handlers of this module; return the command names."""
    app.add_handler(CallbackQueryHandler(safety_net_answer, pattern=rf"^{views.SAFETY_NET_PREFIX}:"))
    app.add_handler(CommandHandler(["emergency", "sos"], emergency))
    app.add_handler(CommandHandler("signs", signs))
    app.add_handler(CommandHandler("check", check))
    app.add_handler(CallbackQueryHandler(check_answer, pattern=r"^chk:"))
    return {"emergency", "sos", "signs", "check"}
