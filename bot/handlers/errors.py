"""The per-update error handler: log ids and the exception, apologise to the user."""

from __future__ import annotations

import logging

from telegram import Update
from telegram.constants import ParseMode
from telegram.error import Forbidden, TelegramError

from bot.handlers.common import ClotContext
from bot.services.errors import StorageUnavailable
from bot.views import common as views

log = logging.getLogger(__name__)


async def on_error(update: object, context: ClotContext) -> None:
    """Log the update id and exception (never message text or token); reply with a short apology."""
    error = context.error
    update_id = update.update_id if isinstance(update, Update) else None
    user_id = update.effective_user.id if isinstance(update, Update) and update.effective_user else None
    if isinstance(error, Forbidden):
        log.info("update=%s user=%s: bot blocked or kicked", update_id, user_id)
        return
    log.error(
        "update=%s user=%s failed: %s",
        update_id,
        user_id,
        type(error).__name__,
        exc_info=(type(error), error, error.__traceback__) if error is not None else None,
    )
    if not isinstance(update, Update) or update.effective_chat is None:
        return
    text = (
        views.render_storage_unavailable() if isinstance(error, StorageUnavailable) else views.render_error()
    )
    try:
        if update.callback_query is not None:
            await update.callback_query.answer()
        await context.bot.send_message(update.effective_chat.id, text, parse_mode=ParseMode.HTML)
    except TelegramError as exc:
        log.warning("update=%s: could not send the apology: %s", update_id, type(exc).__name__)
