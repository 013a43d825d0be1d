"""Free text, unknown commands and everything else: red flags first, then flows, then answers."""

from __future__ import annotations

import logging

from telegram import Message, Update
from telegram.constants import ChatType, ParseMode
from telegram.ext import CallbackQueryHandler, CommandHandler, MessageHandler, filters

from bot.domain.triage import Severity, detect_red_flags
from bot.handlers.common import ClotApplication, ClotContext
from bot.handlers.flowstate import get_flow, route_text
from bot.handlers.qa import reply_with_answer
from bot.handlers.safety import ask_if_happening_now
from bot.views import common as views
from bot.views.safety import render_red_flag_reply

log = logging.getLogger(__name__)


async def reply_to_red_flags(
    message: Message, user_id: int, text: str, context: ClotContext
) -> Severity | None:
    """Detect warning signs in ``text`` and, if any, reply with safety guidance first; return the level.

    None means the message sounded like a symptom but matched no sign: the bot has asked "Is this
    happening to you now?" (SAFETY.md rule 11); a question in it may still be answered, quietly.
    """
    profile = await context.services.users.safety_profile(user_id)
    result = detect_red_flags(text, on_blood_thinners=profile.on_blood_thinners)
    if result.severity is Severity.INFO:
        if result.uncertain and message.chat.type == ChatType.PRIVATE:
            log.info("red flag reply: user=%s level=UNCERTAIN", user_id)
            await ask_if_happening_now(message, context.services.emergency.lookup(profile.country))
            return None
        return result.severity
    info = context.services.emergency.lookup(profile.country)
    # The outcome level is logged for monitoring; the text and the signs never are.
    log.info("red flag reply: user=%s level=%s", user_id, result.severity.name)
    await message.reply_text(render_red_flag_reply(result, info), parse_mode=ParseMode.HTML)
    return result.severity


async def free_text(update: Update, context: ClotContext) -> None:
    """Answer a typed message: safety guidance if it reports warning signs, else a flow step or an answer."""
    message, user = update.effective_message, update.effective_user
    if message is None or user is None or not message.text:
        return
    text = message.text
    severity = await reply_to_red_flags(message, user.id, text, context)
    flow = get_flow(context)
    # Nothing may dilute "call the emergency number now". None: "is this happening to you now?" was
    # asked. And words that got safety guidance are about the person, not an answer to the open step: never
    # taken (or stored) as a medicine name, a dose or a time. The flow stays open.
    if severity is Severity.EMERGENCY or (flow is not None and severity is not Severity.INFO):
        return
    # The open step's feature takes the text (the symptom check has buttons only: no step for text).
    if await route_text(message, user.id, text, context):
        return
    if message.chat.type != ChatType.PRIVATE and severity is Severity.INFO:
        return  # in groups ClotCare only speaks up for safety, or when addressed with a command
    # After guidance or "is this happening to you now?" (None; no flow is open then), a question in the
    # same message that the content answers ("can I massage it? it's really sore") is answered too,
    # but no refusal is added.
    await reply_with_answer(message, text, context, quiet_when_unknown=severity is not Severity.INFO)


# Commands about one person's health or settings: answered only in a private chat.
PERSONAL_COMMANDS = frozenset(
    {"settings", "country", "timezone", "addmed", "stockings", "reminders", "history", "export", "forget"}
)


async def private_only(update: Update, context: ClotContext) -> None:
    """Ask a group member to use a private chat for personal commands (nothing personal is shown)."""
    message = update.effective_message
    if message is None:
        return
    await message.reply_text(views.render_private_only(context.bot.username), parse_mode=ParseMode.HTML)


async def unknown_command(update: Update, context: ClotContext) -> None:
    """Reply to a command the bot does not have."""
    message = update.effective_message
    if message is None or message.chat.type != ChatType.PRIVATE:
        return
    await message.reply_text(views.render_unknown_command(), parse_mode=ParseMode.HTML)


async def unsupported(update: Update, context: ClotContext) -> None:
    """Reply to stickers, photos, voice notes and other messages without text (captions are checked)."""
    message, user = update.effective_message, update.effective_user
    if message is None:
        return
    if message.caption and user is not None:
        severity = await reply_to_red_flags(message, user.id, message.caption, context)
        if severity is not Severity.INFO:
            return
    if message.chat.type != ChatType.PRIVATE:
        return
    await message.reply_text(views.render_unsupported_message(), parse_mode=ParseMode.HTML)


async def unknown_button(update: Update, context: ClotContext) -> None:
    """Answer a button no feature claims (forged, or from an older version of the bot)."""
    if update.callback_query is not None:
        await update.callback_query.answer(views.render_stale_button())


def register(app: ClotApplication) -> set[str]:
    """Register the catch-all handlers (must come after every feature's handlers)."""
    app.add_handler(MessageHandler(filters.TEXT & ~filters.COMMAND, free_text))
    app.add_handler(
        CommandHandler(sorted(PERSONAL_COMMANDS), private_only, filters=~filters.ChatType.PRIVATE)
    )
    app.add_handler(MessageHandler(filters.COMMAND, unknown_command))
    app.add_handler(MessageHandler(~filters.COMMAND & ~filters.StatusUpdate.ALL & ~filters.TEXT, unsupported))
    app.add_handler(CallbackQueryHandler(unknown_button))
    return set()
