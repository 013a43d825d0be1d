"""/ask, /topics and the topic buttons: answers come from the content base only."""

from __future__ import annotations

import logging
import time
from typing import Any

from telegram import Message, Update
from telegram.constants import ParseMode
from telegram.ext import CallbackQueryHandler, CommandHandler

from bot.handlers.common import ClotApplication, ClotContext, command_args
from bot.views import qa as views
from bot.views.callbacks import decode
from bot.views.common import render_stale_button

log = logging.getLogger(__name__)

# The topic just shown to a person, so that "and at night?" is understood. Kept in memory only
# (context.user_data, never the database) and forgotten after a few minutes.
LAST_TOPIC_KEY = "qa_last_topic"
FOLLOW_UP_SECONDS = 300.0


def remember_topic(user_data: dict[Any, Any] | None, topic_id: str, now: float | None = None) -> None:
    """Remember the topic just shown, for follow-up questions in the next few minutes."""
    if user_data is not None:
        user_data[LAST_TOPIC_KEY] = (topic_id, (time.monotonic() if now is None else now) + FOLLOW_UP_SECONDS)


def recall_topic(user_data: dict[Any, Any] | None, now: float | None = None) -> str | None:
    """Return the topic shown in the last few minutes, or None (and forget it once it is stale)."""
    if user_data is None:
        return None
    remembered = user_data.get(LAST_TOPIC_KEY)
    if not isinstance(remembered, tuple) or len(remembered) != 2:
        return None
    topic_id, expires = remembered
    if (time.monotonic() if now is None else now) >= expires:
        user_data.pop(LAST_TOPIC_KEY, None)
        return None
    return str(topic_id)


async def reply_with_answer(
    message: Message, question: str, context: ClotContext, *, quiet_when_unknown: bool = False
) -> None:
    """Answer ``question`` from the content base, or say plainly that there is no answer."""
    qa = context.services.qa
    result = qa.ask(question, context=recall_topic(context.user_data))
    log.info(
        "answer: topic=%s section=%s reason=%s",
        result.topic.id if result.topic else None,
        "yes" if result.section else "no",
        result.reason,
    )
    if result.topic is None:
        if not quiet_when_unknown:
            await message.reply_text(
                views.render_no_answer(result.suggestions),
                parse_mode=ParseMode.HTML,
                reply_markup=views.no_answer_keyboard(qa.content, result.suggestions),
            )
        return
    remember_topic(context.user_data, result.topic.id)
    await message.reply_text(
        views.render_answer(result), parse_mode=ParseMode.HTML, reply_markup=views.answer_keyboard(result)
    )


async def ask(update: Update, context: ClotContext) -> None:
    """Answer ``/ask <question>`` (red flags first, exactly like free text)."""
    from bot.domain.triage import Severity
    from bot.handlers.messages import reply_to_red_flags

    message, user = update.effective_message, update.effective_user
    if message is None or user is None:
        return
    question = " ".join(command_args(context))
    if not question.strip():
        await message.reply_text(views.render_ask_usage(), parse_mode=ParseMode.HTML)
        return
    severity = await reply_to_red_flags(message, user.id, question, context)
    if severity is Severity.EMERGENCY:
        return
    # After safety guidance or "is this happening to you now?" (None), an answer may follow, no refusal.
    await reply_with_answer(message, question, context, quiet_when_unknown=severity is not Severity.INFO)


async def topics(update: Update, context: ClotContext) -> None:
    """Browse every topic as buttons."""
    message = update.effective_message
    if message is None:
        return
    await message.reply_text(
        views.render_topics_intro(),
        parse_mode=ParseMode.HTML,
        reply_markup=views.topics_keyboard(context.services.qa.topics(), 0),
    )


async def topic_button(update: Update, context: ClotContext) -> None:
    """Handle qa:more:<id>, qa:topic:<id> and qa:page:<n>."""
    query = update.callback_query
    if query is None:
        return
    data = decode(query.data)
    message = query.message if isinstance(query.message, Message) else None
    qa = context.services.qa
    if data is None or message is None or len(data.args) != 2:
        await query.answer(render_stale_button())
        return
    action, arg = data.args
    if action == "page" and arg.isdigit():
        await query.answer()
        keyboard = views.topics_keyboard(qa.topics(), int(arg))
        if keyboard != message.reply_markup:
            await message.edit_reply_markup(reply_markup=keyboard)
        return
    result = qa.explain(arg)
    if result is None or result.topic is None or action not in ("more", "topic"):
        await query.answer(render_stale_button())
        return
    await query.answer()
    remember_topic(context.user_data, result.topic.id)
    if action == "more":
        for part in views.render_topic_body(result.topic):
            await message.reply_text(part, parse_mode=ParseMode.HTML)
        return
    await message.reply_text(
        views.render_answer(result), parse_mode=ParseMode.HTML, reply_markup=views.answer_keyboard(result)
    )


def register(app: ClotApplication) -> set[str]:
    """Register the handlers of this module; return the command names."""
    app.add_handler(CommandHandler("ask", ask))
    app.add_handler(CommandHandler("topics", topics))
    app.add_handler(CallbackQueryHandler(topic_button, pattern=r"^qa:"))
    return {"ask", "topics"}
